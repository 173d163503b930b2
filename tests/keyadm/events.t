#!/bin/sh
# Usage events: the file init makes, last use in show and list, the
# --unused, --expiring and --stale questions, the failures report, and
# hostile lines in the events file.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"

EV="$TMP/keys.events"
now_ms() { echo $(($(date +%s) * 1000)); }
# ev TIME RESULT ID USER SERVICE SOURCE: one line as a service appends it
ev() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"${EVF:-$EV}"; }
jget() { json_get "$(ka show "$1" --json 2>/dev/null)" "$2"; }
fresh() {
	rm -f "$EV" "$EV.1"
	new_store
}
ids() { python3 -c 'import json,sys; print(" ".join(sorted(k["id"] for k in json.load(sys.stdin))))'; }

# ---- init makes the events file, 0660, and leaves an existing one alone
new_store
check "init creates the events file" test -f "$EV"
is "events file mode" "$(stat -c %a "$EV")" 660
is "events file has the store's group" "$(stat -c %g "$EV")" "$(stat -c %g "$DB")"
rm -f "$DB" "$DB.lock"
echo "keep me" >"$EV"
chmod 600 "$EV"
check "init with an existing events file" q ka init
is "existing events file untouched" "$(cat "$EV") $(stat -c %a "$EV")" "keep me 600"
rm -f "$DB" "$DB.lock" "$EV"
ln -s "$TMP/elsewhere" "$EV"
check "init with a symlink at the events path still makes the store" q ka init
check_fails "the symlink is not followed" test -e "$TMP/elsewhere"
rm -f "$DB" "$DB.lock" "$EV"
new_store

a=$(new_key "$TMP/a.key" alice)
b=$(new_key "$TMP/b.key" alice)
c=$(new_key "$TMP/c.key" bob)
kd=$(new_key "$TMP/d.key" bob)

# ---- no events: never used
is "show: never used" "$(ka show "$a" | grep '^last used')" "last used: never"
is "show --json: nulls" "$(jget "$a" 'j["lastUsedAt"], j["lastUsedService"], j["lastUsedSource"]')" "None None None"

# ---- verify does not record by default; --record does
ka verify alice --service sshd --from 192.0.2.7 <"$TMP/a.key" >/dev/null
is "verify leaves no event" "$(wc -c <"$EV" | tr -d ' ')" 0
is "verify alone is no use" "$(jget "$a" 'j["lastUsedAt"]')" None
ka verify alice --service sshd --from 192.0.2.7 --record <"$TMP/a.key" >/dev/null
is "verify --record appends one line" "$(wc -l <"$EV" | tr -d ' ')" 1
no_key_in "$(cat "$EV")" "$TMP/a.key" "events file"
is "last use service and source" "$(jget "$a" 'j["lastUsedService"], j["lastUsedSource"], j["lastUsedAt"] > 0')" "sshd 192.0.2.7 True"
like "show: last used line" "$(ka show "$a" | grep '^last used')" "^last used: 20[0-9-]+ [0-9:]+ UTC sshd 192.0.2.7$"

# ---- only VALID is use: a rejected attempt with a real id is not
ka verify bob --service smtp --from 198.51.100.1 --record <"$TMP/b.key" >/dev/null
is "WRONG_USER recorded" "$(tail -1 "$EV" | cut -f2,3)" "WRONG_USER	$b"
is "a rejected attempt is not use" "$(jget "$b" 'j["lastUsedAt"]')" None
t=$(now_ms)
ev $((t - 5000)) REVOKED "$c" bob imap 203.0.113.9
is "a REVOKED event is not use" "$(jget "$c" 'j["lastUsedAt"]')" None

# ---- the newest VALID wins, from the rotated file too
EVF="$EV.1" ev $((t - 86400000)) VALID "$c" bob imap 203.0.113.1
is "last use from keys.events.1" "$(jget "$c" 'j["lastUsedService"], j["lastUsedSource"]')" "imap 203.0.113.1"
ev $((t - 3600000)) VALID "$c" bob smtp 203.0.113.2
EVF="$EV.1" ev $((t - 7200000)) VALID "$c" bob pop3 203.0.113.3
is "the newest use wins" "$(jget "$c" 'j["lastUsedService"], j["lastUsedAt"]')" "smtp $((t - 3600000))"
out=$(ka list)
like "list has LAST USED" "$(echo "$out" | head -1)" "LAST USED$"
like "list: last use of a used key" "$(echo "$out" | grep "^$c")" "UTC smtp 203.0.113.2$"
like "list: never" "$(echo "$out" | grep "^$kd")" " never$"
is "list --json has lastUsedAt" "$(ka list bob --json | python3 -c 'import json,sys; print([k["lastUsedAt"] is None for k in json.load(sys.stdin)])')" "[False, True]"

# ---- missing files are fine; bad lines are counted once, never fatal
rm -f "$EV.1"
printf 'garbage\n%s\tVALID\tnot-an-id\tbob\tx\ty\n%s\tBOGUS\t%s\tbob\tx\ty\n\t\t\t\n' "$t" "$t" "$kd" >>"$EV"
printf '%s\tVALID\t%s\tbob\tsshd' "$t" "$kd" >>"$EV" # no newline: torn
err=$(ka show "$kd" 2>&1 >/dev/null)
check_exit "bad lines are not fatal" 0 q ka show "$kd"
is "bad lines reported once" "$(echo "$err" | grep -c malformed)" 1
like "bad lines counted, not the unterminated last one (a write in progress)" "$err" "keys.events: 4 malformed lines ignored"
is "a torn VALID line is no use" "$(jget "$kd" 'j["lastUsedAt"]')" None
is "good lines still count" "$(jget "$c" 'j["lastUsedService"]')" smtp
mv "$EV" "$TMP/ev.saved"
check_exit "no events file at all" 0 q ka list
mv "$TMP/ev.saved" "$EV"

# ---- --unused: no VALID use within the duration (never used included)
fresh
u1=$(new_key "$TMP/u1.key" carol)
u2=$(new_key "$TMP/u2.key" carol)
u3=$(new_key "$TMP/u3.key" carol)
u4=$(new_key "$TMP/u4.key" dave)
u5=$(new_key "$TMP/u5.key" dave)
t=$(now_ms)
ev $((t - 86400000)) VALID "$u1" carol sshd 192.0.2.1
ev $((t - 40 * 86400000)) VALID "$u2" carol sshd 192.0.2.1
ev $((t - 1000)) REVOKED "$u4" dave sshd 192.0.2.1
ev $((t - 1000)) VALID "$u5" dave sshd 192.0.2.1
ka revoke "$u5" >/dev/null
wantu=$(printf '%s\n' "$u2" "$u3" "$u4" | sort | tr '\n' ' ' | sed 's/ $//')
is "--unused 30d: old use, never used, failed only" "$(ka list --unused 30d --json | ids)" "$wantu"
is "--unused 60d" "$(ka list --unused 60d --json | ids)" "$(printf '%s\n' "$u3" "$u4" | sort | tr '\n' ' ' | sed 's/ $//')"
is "--unused with USER" "$(ka list carol --unused 30d --json | ids)" "$(printf '%s\n' "$u2" "$u3" | sort | tr '\n' ' ' | sed 's/ $//')"
is "--unused skips revoked keys" "$(ka list dave --unused 30d --json | ids)" "$u4"
is "--unused --state revoked" "$(ka list --unused 1d --state revoked --json | ids)" ""
check_exit "--unused bogus is usage" 2 ka list --unused soon 2>/dev/null
check_exit "--unused on show is usage" 2 ka show "$u1" --unused 30d 2>/dev/null

# ---- --expiring
fresh
x1=$(new_key "$TMP/x1.key" erin --expires 3d)
x2=$(new_key "$TMP/x2.key" erin --expires 30d)
new_key "$TMP/x3.key" erin >/dev/null
x4=$(new_key "$TMP/x4.key" erin --expires 2d)
ka disable "$x4" >/dev/null
is "--expiring 7d: active keys expiring within" "$(ka list --expiring 7d --json | ids)" "$x1"
is "--expiring 60d" "$(ka list --expiring 60d --json | ids)" "$(printf '%s\n' "$x1" "$x2" | sort | tr '\n' ' ' | sed 's/ $//')"
is "--expiring --state disabled" "$(ka list --expiring 7d --state disabled --json | ids)" "$x4"
is "--expiring 1h: none" "$(ka list --expiring 1h --json | ids)" ""
check_exit "--expiring bogus is usage" 2 ka list --expiring 2027-01-01 2>/dev/null

# ---- --stale: created longer ago than the duration
fresh
s1=$(new_key "$TMP/s1.key" frank)
sleep 3
new_key "$TMP/s2.key" frank >/dev/null
is "--stale 2s: the old key only" "$(ka list --stale 2s --json | ids)" "$s1"
is "--stale 1d: none" "$(ka list --stale 1d --json | ids)" ""
is "--stale and --unused together" "$(ka list frank --stale 2s --unused 1d --json | ids)" "$s1"
ka revoke "$s1" >/dev/null
# s2 may have become stale too by now (slow machine, SANITIZE=1): only s1
# is checked.
unlike "--stale skips revoked keys" "$(ka list --stale 2s --json | ids)" "$s1"

# ---- failures: rejected attempts grouped by key and source
fresh
r1=$(new_key "$TMP/r1.key" gina)
r2=$(new_key "$TMP/r2.key" gina)
ka revoke "$r1" --reason offboarded >/dev/null
for _ in 1 2 3; do
	ka verify gina --service smtp --from 192.0.2.50 --record <"$TMP/r1.key" >/dev/null
done
ka verify gina --service imap --from 192.0.2.50 --record <"$TMP/r1.key" >/dev/null
ka verify gina --service smtp --from 192.0.2.60 --record <"$TMP/r1.key" >/dev/null
ka verify gina --service sshd --from 192.0.2.70 --record <"$TMP/r2.key" >/dev/null
ka verify hank --service sshd --from 192.0.2.80 --record <"$TMP/r2.key" >/dev/null
forge "$TMP/r2.key" "$TMP/r2f.key"
ka verify gina --from 192.0.2.90 --record <"$TMP/r2f.key" >/dev/null
echo "not a key" | ka verify gina --from 192.0.2.99 --record >/dev/null
t=$(now_ms)
ev $((t - 10 * 86400000)) REVOKED "$r1" gina smtp 192.0.2.50
j=$(ka failures --json)
is "failures: groups" "$(json_get "$j" 'len(j)')" 5
is "failures: most first, revoked key from one source" \
	"$(json_get "$j" 'j[0]["id"], j[0]["state"], j[0]["owner"], j[0]["source"], j[0]["count"], j[0]["results"], sorted(j[0]["services"])')" \
	"$r1 revoked gina 192.0.2.50 5 ['REVOKED'] ['imap', 'smtp']"
is "failures: first and last" "$(json_get "$j" 'j[0]["firstAt"] == '"$((t - 10 * 86400000))"', j[0]["lastAt"] > j[0]["firstAt"]')" "True True"
is "failures: no VALID attempt counted" "$(json_get "$j" 'any(g["id"] == "'"$r2"'" and g["source"] == "192.0.2.70" for g in j)')" False
is "failures: wrong user" "$(json_get "$j" '[g["results"] for g in j if g["source"] == "192.0.2.80"][0], [g["users"] for g in j if g["source"] == "192.0.2.80"][0]')" "['WRONG_USER'] ['hank']"
is "failures: a forged key is NOT_FOUND under its id" "$(json_get "$j" '[(g["id"], g["results"]) for g in j if g["source"] == "192.0.2.90"][0]')" "('$r2', ['NOT_FOUND'])"
is "failures: MALFORMED has no key id" "$(json_get "$j" '[(g["id"], g["state"], g["results"]) for g in j if g["source"] == "192.0.2.99"][0]')" "(None, None, ['MALFORMED'])"
is "failures --since 1d" "$(json_get "$(ka failures --since 1d --json)" '[g["count"] for g in j if g["source"] == "192.0.2.50"][0]')" 4
is "failures --key" "$(json_get "$(ka failures --key "$r2" --json)" 'sorted(g["source"] for g in j)')" "['192.0.2.80', '192.0.2.90']"
is "failures --user" "$(json_get "$(ka failures --user hank --json)" '[g["source"] for g in j]')" "['192.0.2.80']"
out=$(ka failures)
like "failures text: header" "$(echo "$out" | head -1)" "^KEY +OWNER +NAME +STATE +SOURCE +COUNT +FIRST +LAST +RESULTS +SERVICES +USERS$"
like "failures text: the revoked key first" "$(echo "$out" | sed -n 2p)" "^$r1 +gina +- +revoked +192.0.2.50 +5 "
like "failures text: no key id" "$out" "\(no key id\) +- +- +- +192.0.2.99 +1 "
no_key_in "$out" "$TMP/r1.key" "failures"
no_key_in "$out" "$TMP/r2f.key" "failures (forged)"
is "failures: nothing rejected" "$(ka failures --user nobody)" ""
is "failures --json: nothing" "$(ka failures --user nobody --json | tr -d '\n')" "[]"
check_exit "failures --key with a full key is usage" 2 ka failures --key "$(cat "$TMP/r1.key")" 2>/dev/null
check_exit "failures --since bogus" 2 ka failures --since yesterday 2>/dev/null
check_exit "failures takes no argument" 2 ka failures "$r1" 2>/dev/null
printf 'x\ty\n' >>"$EV"
err=$(ka failures 2>&1 >/dev/null)
like "failures: bad lines reported" "$err" "1 malformed line ignored"
rm -f "$DB"
check_exit "failures without a store fails" 1 ka failures 2>/dev/null

# ---- the events setting of apikey.conf: another file, or none
fresh
like "--help says where the events are read" "$(ka --help)" "The usage events: events in the policy \(a path or none\)"
CONF="$TMP/apikey.conf"
conf() { printf '%s\n' "$@" >"$CONF"; chmod 644 "$CONF"; }
kc() { ka --config "$CONF" "$@"; }
OTHER="$TMP/log/keys.events"
mkdir -p "$TMP/log"
rm -f "$DB" "$DB.lock" "$EV"
conf "# where the services write" "events $OTHER"
check "init with events elsewhere" q kc init
check "init creates the events file the setting names" test -f "$OTHER"
is "with mode 0660" "$(stat -c %a "$OTHER")" 660
check_fails "and none beside the store" test -e "$EV"
e1=$(new_key "$TMP/e1.key" ivan)
t=$(now_ms)
EVF="$OTHER" ev $((t - 60000)) VALID "$e1" ivan imap 192.0.2.31
EVF="$OTHER.1" ev $((t - 120000)) REVOKED "$e1" ivan smtp 192.0.2.32
ev $((t - 1000)) VALID "$e1" ivan sshd 192.0.2.33 # beside the store: not read
is "show reads the file the setting names" \
	"$(json_get "$(kc show "$e1" --json 2>/dev/null)" 'j["lastUsedService"], j["lastUsedSource"]')" "imap 192.0.2.31"
is "the default file is not read then" \
	"$(json_get "$(ka show "$e1" --json 2>/dev/null)" 'j["lastUsedService"], j["lastUsedSource"]')" "sshd 192.0.2.33"
like "list reads it too" "$(kc list 2>/dev/null | grep "^$e1")" " UTC imap 192\.0\.2\.31$"
is "failures reads it and its rotated .1" \
	"$(json_get "$(kc failures --json 2>/dev/null)" '[(g["source"], g["services"]) for g in j]')" "[('192.0.2.32', ['smtp'])]"
kc verify ivan --service pop3 --from 192.0.2.34 --record <"$TMP/e1.key" >/dev/null 2>&1 || :
is "verify --record appends to it" "$(tail -n 1 "$OTHER" | cut -f 3,5,6)" "$e1	pop3	192.0.2.34"
env APIKEY_CONFIG="$CONF" "$KEYADM" list >"$TMP/out" 2>&1
like "APIKEY_CONFIG carries the setting too" "$(grep "^$e1" "$TMP/out")" " UTC pop3 192\.0\.2\.34$"

# a file the setting names must be there: a clear error, not "never"
conf "max_keys_per_user 9" "events $TMP/nodir/keys.events"
for cmd in "list" "show $e1" "failures"; do
	# shellcheck disable=SC2086 # the command and its argument
	err=$(kc $cmd 2>&1 >/dev/null)
	is "a missing events file named by the setting: $cmd fails" "$?" 1
	like "a missing events file: $cmd names it, the reason and the setting's line" "$err" \
		"^keyadm: cannot read the usage events: $TMP/nodir/keys\.events: No such file or directory \(events, $CONF:2\)$"
done
conf "events $TMP/log"
is "a directory named by the setting is an error" "$(kc list 2>&1 >/dev/null)" \
	"keyadm: cannot read the usage events: $TMP/log: not a regular file (events, $CONF:1)"
check_exit "a directory named by the setting: exit 1" 1 q kc failures
mkfifo "$TMP/log/fifo"
conf "events $TMP/log/fifo"
check_exit "a FIFO named by the setting: exit 1, no wait" 1 q timeout 20 "$KEYADM" --config "$CONF" failures
rm -f "$OTHER"
conf "events $OTHER"
err=$(kc list 2>&1 >/dev/null)
like "the file removed after init: an error too" "$err" "No such file or directory \(events, $CONF:1\)$"

# errors in the setting itself name the file and line, and change nothing
before=$(state)
for v in "keys.events" "./keys.events" "None" "-"; do
	conf "# c" "events $v"
	err=$(kc list 2>&1 >/dev/null)
	is "events $v: exit 1" "$?" 1
	is "events $v: refused with file and line" "$err" "keyadm: $CONF:2: events: not an absolute path or none"
done
conf "events none" "events $OTHER"
like "events given twice" "$(kc list 2>&1)" "^keyadm: $CONF:2: events: given twice$"
conf "events"
like "events without a value" "$(kc list 2>&1)" "^keyadm: $CONF:1: events: takes exactly one value$"
conf "event $OTHER"
like "a misspelt setting lists events among the known ones" "$(kc list 2>&1)" \
	"^keyadm: $CONF:1: unknown setting \(.*, store, events, hooks_dir, fleet_trust, fleet_stale, sessions_dir, end_sessions\)$"
unchanged "events setting errors" "$before"

# events none: nothing read, nothing made; what needs events says so
conf "events none"
like "none: list says last use is not recorded" "$(kc list 2>/dev/null | grep "^$e1")" " not recorded$"
is "none: show says so" "$(kc show "$e1" 2>/dev/null | grep '^last used')" "last used: not recorded"
is "none: show --json has null last use" "$(json_get "$(kc show "$e1" --json 2>/dev/null)" 'j["lastUsedAt"]')" None
is "none: no warning from list" "$(kc list 2>&1 >/dev/null)" ""
for cmd in "failures" "list --unused 30d"; do
	# shellcheck disable=SC2086 # the command and its options
	err=$(kc $cmd 2>&1 >/dev/null)
	is "none: $cmd fails" "$?" 1
	like "none: $cmd says why, with the setting's line" "$err" \
		"needs the usage events, which are off \(events none, $CONF:1\)$"
done
n=$(wc -l <"$EV")
err=$(kc verify ivan --record <"$TMP/e1.key" 2>&1 >/dev/null)
like "none: verify --record is refused" "$err" "verify --record needs the usage events"
is "none: and records nothing anywhere" "$(cat "$EV" "$OTHER" 2>/dev/null | wc -l | tr -d ' ')" "$n"
check_exit "none: verify alone still works" 0 q kc verify ivan <"$TMP/e1.key"
rm -f "$DB" "$DB.lock" "$EV"
check "none: init" q kc init
check_fails "none: init makes no events file" test -e "$EV"

done_testing
