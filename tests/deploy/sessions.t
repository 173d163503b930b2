#!/bin/sh
# shellcheck disable=SC2086 # key file lists split on purpose
# Revocation ends the sessions a key opened: the real sshd on 127.0.0.1
# with pam_apikey(8)'s keys-or-password recipe and its session line, taken
# from the man page, on Debian's stock files (the test's additions: the
# built module, the store, and sessions= pointing into the test's
# directory). Two long-running sessions of one user with two keys and one
# with the Unix password: keyadm sessions --json lists the two key
# sessions; revoke without --end-sessions ends nothing; revoke
# --end-sessions ends the first key's within seconds while the other key's
# and the password's keep running; a stale record (a live unrelated
# process, a wrong start time) is not killed; the records hold no secret.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"
. "$TOP/tests/pam_apikey/pamlib.sh"
. "$TOP/tests/deploy/snippet.sh"
MAN="$TOP/man/pam_apikey.8"
need_sshd chpasswd
need "no stock /etc/pam.d/sshd or /etc/ssh/sshd_config" test -f /etc/pam.d/sshd -a -f /etc/ssh/sshd_config
need "pam_wrapper is not installed" test -f "$PWRAP_LIB"
LOGS=0

SD="$TMP/sessions"
printf 'sessions_dir %s\n' "$SD" >"$TMP/policy"
export APIKEY_CONFIG="$TMP/policy"
PAM_EXTRA="sessions=$SD"
new_user akses
# the remote commands that outlive their connections (the password's),
# before the user is removed
at_exit "pkill -KILL -u $U"
unix_password "$TMP/pw"
new_store
A=$(new_key "$TMP/a" "$U")
A2=$(new_key "$TMP/a2" "$U")
A3=$(new_key "$TMP/a3" "$U")
KEYS="$TMP/a $TMP/a2 $TMP/a3"
chmod 0600 $KEYS "$TMP/pw"

mkdir -p "$PAMD"
for f in sshd common-auth common-account common-session common-password other; do
	[ -f "/etc/pam.d/$f" ] && cp "/etc/pam.d/$f" "$PAMD/$f"
done
cp /etc/pam.d/sshd "$PAMD/sshd.new"
recipe() {
	snippet_apply "$MAN" pam-either "$PAMD/sshd.new" &&
		snippet_apply "$MAN" pam-session "$PAMD/sshd.new" &&
		pam_localize "$PAMD/sshd.new" && mv "$PAMD/sshd.new" "$PAMD/sshd"
}
check "the man page's keys-or-password and session snippets apply to the stock /etc/pam.d/sshd" recipe
like "pam_apikey in auth, account and session" "$(grep -c "pam_apikey.so db=$DB sessions=$SD" "$PAMD/sshd")" '^3$'

sshd_stock

# remote: the user's remote commands that run (a zombie has ended).
remote() { ps -u "$U" -o stat=,comm= | awk '$1 !~ /^Z/ && $2 == "sleep"' | wc -l; }
running() { kill -0 "$1" 2>/dev/null; }
count() { ka sessions "$U" --json 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
wait_count() {
	_i=0
	while [ "$(count)" != "$1" ] && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
}
# hold KEYFILE [METHOD]: a long-running ssh session (the remote shell
# sleeps), up once its remote command runs; the client's pid in $H. On a
# busy machine a login can fail for want of a pam_wrapper directory
# (/tmp/pam.?, shared by every test): the dead ones of this test are
# removed and the login tried again, three times at most.
hold() {
	_want=$(($(remote) + 1))
	for _try in 1 2 3; do
		pwrap_cleanup
		sshpass -f "$1" ssh -p "$PORT" -F /dev/null \
			-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
			-o PubkeyAuthentication=no -o PreferredAuthentications="${2:-password}" \
			-o NumberOfPasswordPrompts=1 -o ConnectTimeout=30 \
			"$U@127.0.0.1" 'sleep 600' </dev/null >/dev/null 2>&1 &
		H=$!
		at_exit "kill $H 2>/dev/null"
		_i=0
		while running "$H" && [ "$(remote)" -lt "$_want" ] && [ $_i -lt 300 ]; do
			sleep 0.1
			_i=$((_i + 1))
		done
		[ "$(remote)" -ge "$_want" ] && running "$H" && return 0
		kill "$H" 2>/dev/null
		diag "a login with $(basename "$1") did not come up (try $_try)"
	done
}
hold "$TMP/a"; HA=$H
wait_count 1
hold "$TMP/a2"; HA2=$H
wait_count 2
hold "$TMP/pw"; HP=$H
hold "$TMP/a3" keyboard-interactive; HA3=$H
wait_count 3
sleep 1
j=$(ka sessions --json)
is "sessions --json: the three key sessions (one by keyboard-interactive), not the password's" \
	"$(json_get "$j" 'sorted((s["key"], s["user"], s["service"], s["host"]) for s in j) == sorted([("'"$A"'", "'"$U"'", "sshd", "127.0.0.1"), ("'"$A2"'", "'"$U"'", "sshd", "127.0.0.1"), ("'"$A3"'", "'"$U"'", "sshd", "127.0.0.1")])')" True
check "all four ssh sessions run" sh -c "kill -0 $HA && kill -0 $HA2 && kill -0 $HP && kill -0 $HA3"
is "the user's four remote commands run" "$(remote)" 4
no_secret_in "$(cat "$SD"/* >"$TMP/records"; echo "$TMP/records")" $KEYS "$TMP/pw"

# A stale record: the pid of a live unrelated process, a wrong start time.
sleep 600 &
UNREL=$!
at_exit "kill $UNREL 2>/dev/null"
f=$(ls "$SD" | grep "^$A\." | head -n 1)
sed "s/^pid .*/pid $UNREL/; s/^pid_start .*/pid_start 1/" "$SD/$f" >"$SD/$A.$UNREL.0000beef"
chmod 0600 "$SD/$A.$UNREL.0000beef"

# Negative twin: revoke without --end-sessions (and no policy).
ka revoke "$A3" >/dev/null 2>&1
sleep 2
check "revoke without --end-sessions: the key's session keeps running" running "$HA3"

t0=$(date +%s)
out=$(ka revoke "$A" --end-sessions 2>&1)
like "revoke --end-sessions ends the key's session" "$out" "^ended 1 session of $A \($U\)$"
_i=0
while running "$HA" && [ $_i -lt 100 ]; do
	sleep 0.1
	_i=$((_i + 1))
done
check_fails "the key's ssh connection is gone" running "$HA"
dt=$(($(date +%s) - t0))
check "... within seconds ($dt s)" test "$dt" -le 5
check "the same user's session with another key keeps running" running "$HA2"
check "the same user's session with the Unix password keeps running" running "$HP"
check "the unrelated process of the stale record is not killed" running "$UNREL"
is "the user's remote commands: three left" "$(remote)" 3
is "sessions --json after: the other two keys'" "$(ka sessions --json | python3 -c 'import json,sys; print(" ".join(sorted(s["key"] for s in json.load(sys.stdin))))')" \
	"$(printf '%s\n' "$A2" "$A3" | sort | tr '\n' ' ' | sed 's/ $//')"
is "the stale record is removed" "$(ls "$SD" | grep -c "^$A\.")" 0
like "the audit trail says how many" "$(ka audit --key "$A")" 'end-sessions.*1 session'
out=$(ka revoke --user "$U" --end-sessions 2>&1)
like "offboarding: revoke --user --end-sessions ends the rest" "$out" "ended 1 session of $A2"
_i=0
while { running "$HA2" || running "$HA3"; } && [ $_i -lt 100 ]; do
	sleep 0.1
	_i=$((_i + 1))
done
check_fails "... the second key's connection is gone" running "$HA2"
check_fails "... the revoked-earlier key's too" running "$HA3"
check "the Unix password's session still runs" running "$HP"
is "sessions: none left" "$(ka sessions --json)" "[]"
is "the user's remote commands: one left (the password's)" "$(remote)" 1
check "sshd is still the one we started" kill -0 "$SSHD_PID"
done_testing
