#!/bin/sh
# Self-service: keyadm installed with `make install SELF_SERVICE=1`, its
# store made by its own `keyadm init` (the directory 0750, the store 0640,
# root's: the users cannot enter it), run by two real unprivileged users.
# Each manages only their own keys; the other's are "not found"; paths
# from the caller are refused. Nothing is written to /etc (setuid.sh).
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"
. "$TOP/tests/pam_apikey/pamlib.sh"
. "$TOP/tests/keyadm/setuid.sh"

install_setuid
two_users

# ---- the layout keyadm init makes, and only that
DB="$ROOT/var/lib/apikey/keys.db"
export APIKEY_DB="$DB"
EV="$ROOT/var/lib/apikey/keys.events"
policy "self_service yes" "store $DB" "max_keys_per_user 3"
"$SU" init 2>/dev/null
is "init: the directory" "$(stat -c '%U %a' "${DB%/*}")" "root 750"
is "init: the store" "$(stat -c '%U %a' "$DB")" "root 640"
is "init: the events file" "$(stat -c '%U %a' "$EV")" "root 660"
check_fails "a user cannot enter the store's directory" setpriv --reuid "$U1" --regid "$(id -g "$U1")" --clear-groups -- test -e "$DB"
k2=$(new_key "$TMP/u2.key" "$U2")
chmod 644 "$TMP/u2.key"

# ---- a user creates, lists and shows their own keys
as "$U1" create "$U1" --name laptop >"$TMP/u1.key" 2>"$TMP/err"
is "create own key" "$?" 0
k1=$(cut -d_ -f2 "$TMP/u1.key")
is "the key works" "$(ka verify "$U1" <"$TMP/u1.key" 2>/dev/null)" VALID
is "the owner is the caller" "$(json_get "$(ka show "$k1" --json)" 'j["owner"], j["createdBy"]')" "$U1 $U1"
is "the store stays root's after a user's write" "$(stat -c %u "$DB")" 0
is "list: only own keys" "$(as "$U1" list --json | python3 -c 'import json,sys; print([k["id"] for k in json.load(sys.stdin)])')" "['$k1']"
is "list own user by name" "$(as "$U1" list "$U1" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 1
check_exit "list another user: refused" 2 q as "$U1" list "$U2"
check "show own key" q as "$U1" show "$k1"
check "verify own key" q as "$U1" verify "$U1" <"$TMP/u1.key"

# ---- another user's key is "not found", exactly like a missing id
miss=$(as "$U1" show AAAAAAAAAAAA 2>&1)
check_exit "show a missing id: 3" 3 q as "$U1" show AAAAAAAAAAAA
is "missing id: the message" "$miss" "keyadm: no key AAAAAAAAAAAA"
other=$(as "$U1" show "$k2" 2>&1)
check_exit "show another's key: 3" 3 q as "$U1" show "$k2"
is "same message as a missing id" "$(echo "$other" | sed "s/$k2/ID/")" "$(echo "$miss" | sed "s/AAAAAAAAAAAA/ID/")"
unlike "nothing of the other key shown" "$other" "$U2"
before=$(state)
for op in revoke disable enable rotate; do
	miss=$(as "$U1" $op AAAAAAAAAAAA 2>&1)
	other=$(as "$U1" $op "$k2" 2>&1)
	check_exit "$op another's key: 3" 3 q as "$U1" $op "$k2"
	like "$op: a missing id says so" "$miss" "no key AAAAAAAAAAAA"
	is "$op: same message as a missing id" "$(echo "$other" | sed "s/$k2/ID/")" "$(echo "$miss" | sed "s/AAAAAAAAAAAA/ID/")"
done
check_exit "revoke --key with another's key: 3" 3 q as "$U1" revoke --key "$TMP/u2.key"
check_exit "revoke --user of another: refused" 2 q as "$U1" revoke --user "$U2"
check_exit "create for another: refused" 2 q as "$U1" create "$U2"
check_exit "verify as another: refused" 2 q as "$U1" verify "$U2" <"$TMP/u2.key"
unchanged "attempts on another's key" "$before"
is "the other's key still works" "$(ka verify "$U2" <"$TMP/u2.key" 2>/dev/null)" VALID
is "$U2 sees their key" "$(as "$U2" list --json | python3 -c 'import json,sys; print([k["id"] for k in json.load(sys.stdin)])')" "['$k2']"
is "$U2 does not see $U1's" "$(as "$U2" show "$k1" >/dev/null 2>&1; echo $?)" 3

# ---- own keys: disable, enable, rotate, revoke; the audit names the caller
check "disable own" q as "$U1" disable "$k1" --reason away
check "enable own" q as "$U1" enable "$k1"
as "$U1" rotate "$k1" >"$TMP/u1b.key" 2>/dev/null
is "rotate own" "$?" 0
k1b=$(cut -d_ -f2 "$TMP/u1b.key")
is "rotated key works" "$(ka verify "$U1" <"$TMP/u1b.key" 2>/dev/null)" VALID
check "revoke own" q as "$U1" revoke "$k1b" --reason "no longer needed"
is "revoked" "$(ka verify "$U1" <"$TMP/u1b.key" 2>/dev/null)" REVOKED
is "the audit records the real caller" "$(ka audit --key "$k1b" --json | python3 -c 'import json,sys; print(sorted(set(a["actor"] for a in json.load(sys.stdin))))')" "['$U1']"
no_key_in "$(as "$U1" list 2>&1)" "$TMP/u1b.key" "self-service list"
# ... and so does syslog (read through a /dev/log of our own)
if logns_works && start_syslog; then
	mark
	in_logns env -u APIKEY_DB -u APIKEY_CONFIG "$SU_ASAN" setpriv --reuid "$U1" \
		--regid "$(id -g "$U1")" --clear-groups -- "$SU" create "$U1" >"$TMP/u1c.key" 2>/dev/null
	k1c=$(cut -d_ -f2 "$TMP/u1c.key")
	like "syslog names the real caller" "$(since)" \
		"keyadm\[[0-9]+\]: create key=$k1c user=$U1 by=\"$U1\" entry=[0-9]+ store=$DB\$"
	check "the self-service user revokes it again" q as "$U1" revoke "$k1c"
else
	skip "no private mount namespace or syslog listener here"
fi

# ---- last use is readable through the setuid copy
printf '%s\tVALID\t%s\t%s\tsshd\t192.0.2.4\n' "$(($(date +%s) * 1000))" "$k2" "$U2" >>"$EV"
is "last use in self-service" "$(as "$U2" show "$k2" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["lastUsedService"])')" sshd
# rotated and compressed, root's 0600: read with the privilege, not the caller's
gzip -c "$EV" >"$EV.2.gz" && chmod 0600 "$EV.2.gz" && : >"$EV"
is "last use in self-service from a rotated .gz" "$(as "$U2" show "$k2" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["lastUsedService"])')" sshd
printf '%s\tVALID\t%s\t%s\timap\t192.0.2.4\n' "$(($(date +%s) * 1000))" "$k2" "$U2" >"$EV.1"
chown "$U2" "$EV.1"
is "the twin: a rotated copy of the caller's own is not read" "$(as "$U2" show "$k2" --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["lastUsedService"])')" sshd
rm -f "$EV.1" "$EV.2.gz"

# ---- the policy applies to users
as "$U2" create "$U2" >/dev/null 2>&1
as "$U2" create "$U2" >/dev/null 2>&1
like "max_keys_per_user for users" "$(as "$U2" create "$U2" 2>&1)" "already has 3 keys"

# ---- paths and variables from the caller are refused
before=$(state)
for v in "--db $TMP/x.db" "--config $TMP/x.conf"; do
	# shellcheck disable=SC2086
	check_exit "setuid refuses $v" 2 q as "$U1" $v list
done
err=$(env "$SU_ASAN" APIKEY_DB="$TMP/x.db" setpriv --reuid "$U1" --regid "$(id -g "$U1")" --clear-groups -- "$SU" list 2>&1)
check_exit "setuid refuses APIKEY_DB" 2 q env "$SU_ASAN" APIKEY_DB="$TMP/x.db" setpriv --reuid "$U1" --regid "$(id -g "$U1")" --clear-groups -- "$SU" list
like "APIKEY_DB: clear message" "$err" "APIKEY_DB and APIKEY_CONFIG are refused"
check_exit "setuid refuses APIKEY_CONFIG" 2 q env -u APIKEY_DB "$SU_ASAN" APIKEY_CONFIG="$TMP/x.conf" setpriv --reuid "$U1" --regid "$(id -g "$U1")" --clear-groups -- "$SU" list
for cmd in "init" "purge $k1b" "audit" "check" "failures" "scan $TMP/etc" "set $k1 --name x" "group nogroup" "init --group nogroup"; do
	# shellcheck disable=SC2086
	check_exit "self-service refuses $cmd" 2 q as "$U1" $cmd
done
printf 'u\n' >"$TMP/users"
check_exit "self-service refuses create --batch" 2 q as "$U1" create --batch <"$TMP/users"
check_exit "self-service refuses verify --record" 2 q as "$U1" verify "$U1" --record <"$TMP/u1.key"
check_exit "a caller with no name is refused" 1 q env -u APIKEY_DB -u APIKEY_CONFIG "$SU_ASAN" setpriv --reuid 54321 --regid 54321 --clear-groups -- "$SU" list
unchanged "refused self-service calls" "$before"

# ---- the site decides
policy "self_service no" "store $DB"
like "self_service no: refused" "$(as "$U1" list 2>&1)" "self-service is not enabled"
check_exit "self_service no: exit 1" 1 q as "$U1" create "$U1"
rm -f "$CONF"
check_exit "no policy file: refused" 1 q as "$U1" list
policy "self_service yes" "store $DB"
chmod 666 "$CONF"
check_exit "a world-writable policy: refused" 1 q as "$U1" list
policy "self_service yes" "store $DB"
chown "$U1" "$CONF"
check_exit "a policy owned by the user: refused" 1 q as "$U1" list
unchanged "refused by the site" "$before"
policy "self_service yes" "store $DB"
check "root runs the setuid copy as usual" q env -u APIKEY_DB "$SU" --db "$DB" list

done_testing
