#!/bin/sh
# keyadm revoke, disable, enable, purge, rotate, set and audit: every
# change, its refusal, and that a refusal changes nothing.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"

new_store
a=$(new_key "$TMP/a.key" alice)
b=$(new_key "$TMP/b.key" alice)
c=$(new_key "$TMP/c.key" bob)
v() { ka verify "$1" <"$2" 2>/dev/null; }

# ---- revoke: immediate, idempotent, first time/reason/actor stay
out=$(ka revoke "$a" --reason "laptop stolen")
is "revoke says what it did" "$out" "revoked $a (alice)"
is "revoked key is rejected at once" "$(v alice "$TMP/a.key")" REVOKED
first=$(ka show "$a" --json)
g=$(generation)
out=$(SUDO_USER=mallory SUDO_UID=1234 ka revoke "$a" --reason "second try")
check_exit "revoking again exits 0" 0 q ka revoke "$a" --reason "third try"
like "second revoke says it already was" "$out" "already revoked $a \(alice\) at 20"
is "first revocation kept (time, reason, actor)" "$(ka show "$a" --json)" "$first"
is "an idempotent revoke writes nothing" "$(generation)" "$g"
is "revokedReason" "$(json_get "$first" 'j["revokedReason"]')" "laptop stolen"
j=$(ka revoke "$a" --json)
is "revoke --json shape" "$(json_get "$j" 'j["revoked"], j["id"], j["reason"], j["revokedAt"] == '"$(json_get "$first" 'j["revokedAt"]')")" \
	"True $a laptop stolen True"
is "other keys unaffected" "$(v alice "$TMP/b.key")" VALID

# ---- several ids: one transaction; an unknown one changes nothing
kd=$(new_key "$TMP/d.key" carol)
ke=$(new_key "$TMP/e.key" carol)
before=$(state)
err=$(ka revoke "$kd" AAAAAAAAAAAA "$ke" 2>&1)
check_exit "unknown id among several exits 3" 3 ka revoke "$kd" AAAAAAAAAAAA "$ke" 2>/dev/null
like "the unknown id is named" "$err" "no key AAAAAAAAAAAA"
unchanged "unknown id among several" "$before"
is "first of them still valid" "$(v carol "$TMP/d.key")" VALID
g=$(generation)
check "revoke two ids" q ka revoke "$kd" "$ke" --reason batch
is "two ids, one write" "$(generation)" $((g + 1))
is "both revoked" "$(v carol "$TMP/d.key") $(v carol "$TMP/e.key")" "REVOKED REVOKED"

# ---- revoke --user
f=$(new_key "$TMP/f.key" dave)
h=$(new_key "$TMP/h.key" dave)
i=$(new_key "$TMP/i.key" erin)
g=$(generation)
out=$(ka revoke --user dave --reason offboarding)
is "revoke --user: one write" "$(generation)" $((g + 1))
is "revoke --user: every key of the user" "$(v dave "$TMP/f.key") $(v dave "$TMP/h.key")" "REVOKED REVOKED"
is "revoke --user: others untouched" "$(v erin "$TMP/i.key")" VALID
is "revoke --user reports each key" "$(echo "$out" | grep -c '^revoked')" 2
check_exit "revoke --user with no keys exits 3" 3 ka revoke --user nobody 2>/dev/null
check_exit "revoke: ids and --user together is usage" 2 ka revoke "$i" --user erin 2>/dev/null
check_exit "revoke with nothing named is usage" 2 ka revoke 2>/dev/null

# ---- revoke --key (a leaked key, from a file or stdin)
k=$(new_key "$TMP/k.key" frank)
forge "$TMP/k.key" "$TMP/kf.key"
before=$(state)
check_exit "a forged key for a real id does not revoke" 3 ka revoke --key "$TMP/kf.key" 2>/dev/null
unchanged "forged --key" "$before"
is "the real key still works" "$(v frank "$TMP/k.key")" VALID
printf 'not-a-key\n' >"$TMP/junk"
err=$(ka revoke --key "$TMP/junk" 2>&1)
check_exit "a malformed --key exits 1" 1 ka revoke --key "$TMP/junk" 2>/dev/null
like "malformed --key: clear error" "$err" "MALFORMED"
unchanged "malformed --key" "$before"
out=$(ka revoke --key - --reason leaked <"$TMP/k.key" 2>&1)
is "revoke --key - (stdin)" "$out" "revoked $k (frank)"
no_key_in "$out" "$TMP/k.key" "revoke --key"
is "revoked by --key" "$(v frank "$TMP/k.key")" REVOKED
check "revoke --key FILE again is idempotent" q ka revoke --key "$TMP/k.key"

# ---- disable / enable
check "disable" q ka disable "$b" --reason billing
is "disabled key is rejected" "$(v alice "$TMP/b.key")" DISABLED
is "disabledReason" "$(ka show "$b" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["disabledReason"])')" billing
check "disable again is idempotent" q ka disable "$b"
check "enable" q ka enable "$b"
is "enabled key works again" "$(v alice "$TMP/b.key")" VALID
is "enable clears the disable fields" "$(ka show "$b" --json | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["disabledAt"], j["state"])')" "None active"
before=$(state)
err=$(ka enable "$a" 2>&1)
check_exit "enabling a revoked key is refused" 1 ka enable "$a" 2>/dev/null
like "refusal says why" "$err" "revoked: revocation is permanent"
unchanged "enable revoked" "$before"
is "still revoked" "$(v alice "$TMP/a.key")" REVOKED
check_exit "disabling a revoked key is refused" 1 ka disable "$a" 2>/dev/null
unchanged "disable revoked" "$before"
check_exit "enable revoked among valid ones changes nothing" 1 ka enable "$b" "$a" 2>/dev/null
unchanged "enable mixed" "$before"
out=$(ka disable --user alice --reason audit)
like "disable --user skips revoked keys" "$out" "skipped $a \(alice\): revoked"
is "disable --user disabled the live one" "$(v alice "$TMP/b.key")" DISABLED
check "enable --user" q ka enable --user alice
is "enable --user" "$(v alice "$TMP/b.key")" VALID
check_exit "enable takes no --reason" 2 ka enable "$b" --reason x 2>/dev/null

# ---- rotate without grace
r1=$(ka set "$b" --name phone --service sshd --from 10.0.0.0/8 --expires 30d 2>&1)
like "set reports what changed" "$r1" "changed: name expiry services sources"
ka rotate "$b" >"$TMP/b2.key" 2>"$TMP/err"
b2=$(cut -d_ -f2 "$TMP/b2.key")
is "rotate prints one key line" "$(wc -l <"$TMP/b2.key" | tr -d ' ')" 1
check "rotate gives a new id" test "$b2" != "$b"
no_key_in "$(cat "$TMP/err")" "$TMP/b2.key" "rotate stderr"
is "old key revoked at once" "$(ka verify alice --service sshd --from 10.1.2.3 <"$TMP/b.key")" REVOKED
is "new key valid with the same restrictions" "$(ka verify alice --service sshd --from 10.1.2.3 <"$TMP/b2.key")" VALID
is "new key keeps the service restriction" "$(ka verify alice --service smtp --from 10.1.2.3 <"$TMP/b2.key")" SERVICE_DENIED
old=$(ka show "$b" --json)
new=$(ka show "$b2" --json)
is "old: reason names the new id, linked" "$(json_get "$old" 'j["revokedReason"], j["rotatedTo"]')" "rotated to $b2 $b2"
is "new: copies owner, name, expiry, restrictions" \
	"$(json_get "$new" 'j["owner"], j["name"], j["services"], j["sources"], j["rotatedFrom"], j["expiresAt"]')" \
	"$(json_get "$old" 'j["owner"], j["name"], j["services"], j["sources"], "'"$b"'", j["expiresAt"]')"
before=$(state)
check_exit "rotating a revoked key is refused" 1 sh -c "'$KEYADM' rotate $b >'$TMP/none' 2>/dev/null"
unchanged "rotate revoked" "$before"
is "refused rotate prints no key" "$(wc -c <"$TMP/none" | tr -d ' ')" 0
check_exit "rotate an unknown id exits 3" 3 ka rotate AAAAAAAAAAAA 2>/dev/null
check_exit "rotate with a bad grace is usage" 2 ka rotate "$b2" --grace soon 2>/dev/null
unchanged "rotate bad grace" "$before"

# ---- rotate with grace: the old key expires when the grace ends
ka rotate "$b2" --grace 1s >"$TMP/b3.key" 2>/dev/null
b3=$(cut -d_ -f2 "$TMP/b3.key")
oldj=$(ka show "$b2" --json)
is "grace: old key not revoked, linked" "$(json_get "$oldj" 'j["revokedAt"], j["rotatedTo"]')" "None $b3"
is "grace: old key expiry shortened" "$(json_get "$oldj" 'j["expiresAt"] < '"$(json_get "$new" 'j["expiresAt"]')")" True
sleep 2
is "after the grace the old key is EXPIRED" "$(ka verify alice --service sshd --from 10.0.0.1 <"$TMP/b2.key")" EXPIRED
is "the new key is VALID" "$(ka verify alice --service sshd --from 10.0.0.1 <"$TMP/b3.key")" VALID
check_exit "rotating an expired key is refused" 1 q ka rotate "$b2"

# ---- set
check "set --any-service --any-source --no-expiry" ka set "$b3" --any-service --any-source --no-expiry 2>/dev/null
is "set widened the key" "$(ka verify alice --service imap --from 203.0.113.9 <"$TMP/b3.key")" VALID
check "set --expires" ka set "$b3" --expires 2099-01-01 2>/dev/null
is "set --expires stored" "$(ka show "$b3" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["expiresAt"])')" 4070908800000
before=$(state)
check_exit "set with nothing to set is usage" 2 ka set "$b3" 2>/dev/null
check_exit "set --expires with --no-expiry is usage" 2 ka set "$b3" --expires 1d --no-expiry 2>/dev/null
check_exit "set --expires in the past is usage" 2 ka set "$b3" --expires 2001-01-01 2>/dev/null
check_exit "set a revoked key is refused" 1 ka set "$a" --name x 2>/dev/null
unchanged "refused set" "$before"

# ---- purge: revoked keys only
check_exit "purge an active key is refused" 1 ka purge "$b3" 2>/dev/null
unchanged "refused purge" "$before"
check "purge a revoked key" q ka purge "$a"
check_exit "purged key is gone" 3 ka show "$a" 2>/dev/null
is "purged key: NOT_FOUND" "$(v alice "$TMP/a.key")" NOT_FOUND

# ---- audit
au=$(ka audit --json)
is "one audit entry per change, each action present" \
	"$(json_get "$au" '" ".join(sorted(set(a["action"] for a in j)))')" \
	"create disable enable init purge revoke rotate set"
is "idempotent revokes left no entry" "$(json_get "$au" 'len([a for a in j if a["action"]=="revoke" and a["id"]=="'"$a"'"])')" 1
is "audit --key filters" "$(ka audit --key "$a" --json | python3 -c 'import json,sys; print(sorted(set(a["id"] for a in json.load(sys.stdin))))')" "['$a']"
is "audit --user filters" "$(ka audit --user dave --json | python3 -c 'import json,sys; print(sorted(set(a["owner"] for a in json.load(sys.stdin))))')" "['dave']"
is "audit --since 1h keeps today's entries" "$(ka audit --since 1h --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" "$(json_get "$au" 'len(j)')"
is "audit --since a future date is empty" "$(ka audit --since 2099-01-01 --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 0
like "audit text names reasons" "$(ka audit)" "revoke +$a +alice .*reason: laptop stolen"
like "audit --verify" "$(ka audit --verify)" "audit trail intact: [0-9]+ entries"
check "check passes" q ka check
sudo_actor=$(SUDO_USER=alice SUDO_UID=1000 ka create zed 2>/dev/null >/dev/null; ka audit --user zed --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["actor"])')
is "actor behind sudo" "$sudo_actor" "root via sudo: alice"

done_testing
