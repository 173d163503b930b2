#!/bin/sh
# Sessions under self-service: real users run keyadm as `make install
# SELF_SERVICE=1` installs it. A user lists and ends only the sessions of
# their own keys: another user's sessions are neither listed nor reached
# (by id, by --user, or by --key ID), and the record's word does not
# count, the key's owner in the store does. The sessions directory is
# root's: a user cannot plant a record.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"
. "$TOP/tests/pam_apikey/pamlib.sh"
. "$TOP/tests/keyadm/setuid.sh"

install_setuid
two_users
DB="$ROOT/var/lib/apikey/keys.db"
export APIKEY_DB="$DB"
SD="$ROOT/run/sessions"
mkdir -p -m 0755 "$ROOT/run"
mkdir -m 0700 "$SD"
policy "self_service yes" "store $DB" "sessions_dir $SD"
"$SU" init 2>/dev/null
k1=$("$SU" create "$U1" 2>/dev/null | cut -d_ -f2)
k2=$("$SU" create "$U2" 2>/dev/null | cut -d_ -f2)

# session USER: a process of USER standing for a session; its pid in $P.
session() {
	setpriv --reuid "$1" --regid "$(id -g "$1")" --clear-groups -- sleep 300 &
	P=$!
	at_exit "kill $P 2>/dev/null; wait $P"
	sleep 0.2
}
session "$U1"; P1=$P; plant "$k1" "$U1" "$P1"
session "$U2"; P2=$P; plant "$k2" "$U2" "$P2"

is "a user's sessions: only their own key's" "$(as "$U1" sessions --json | python3 -c 'import json,sys; print(" ".join(s["key"] for s in json.load(sys.stdin)))')" "$k1"
check_exit "sessions of another user: refused" 2 q as "$U1" sessions "$U2"
check_exit "sessions --key of another user's key: no such key" 3 q as "$U1" sessions --key "$k2"
check_exit "revoke --end-sessions of another user's key: no such key" 3 q as "$U1" revoke "$k2" --end-sessions
check_exit "revoke --user OTHER --end-sessions: refused" 2 q as "$U1" revoke --user "$U2" --end-sessions
check_exit "disable --user OTHER --end-sessions: refused" 2 q as "$U1" disable --user "$U2" --end-sessions
check "... the other user's session keeps running" alive "$P2"
check_fails "a user cannot plant a record in the sessions directory" \
	setpriv --reuid "$U1" --regid "$(id -g "$U1")" --clear-groups -- sh -c "echo x >'$SD/$k2.1.x'" 2>/dev/null
out=$(as "$U1" revoke --user "$U1" --end-sessions 2>&1)
like "a user's revoke --user SELF --end-sessions ends their own session" "$out" "^ended 1 session of $k1 \($U1\)$"
sleep 0.3
check_fails "... it is gone" alive "$P1"
check "... and the other user's is not" alive "$P2"
like "the audit entry names the user as actor" "$("$SU" audit --key "$k1")" "end-sessions.*$U1"
is "the other user's record stays" "$(ls "$SD" | grep -c "^$k2\.")" 1
done_testing
