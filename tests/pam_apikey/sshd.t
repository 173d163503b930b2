#!/bin/sh
# A real OpenSSH sshd on 127.0.0.1 and a free high port, with its own host
# key and config, under pam_wrapper so that its "sshd" PAM service comes
# from this test's directory and names the built pam_apikey.so by absolute
# path. A test user logs in with sshpass + ssh: a valid key runs a command;
# every kind of bad key gets "Permission denied"; a key revoked between two
# logins fails on the second without restarting sshd. syslog is captured
# in a private mount namespace: the failure lines have pam_unix's shape
# and no key or secret is ever logged.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"
. "$TOP/tests/pam_apikey/pamlib.sh"
need_sshd logger
need "pam_wrapper is not installed" test -f "$PWRAP_LIB"
LOGS=0
if logns_works && start_syslog; then LOGS=1; fi

# A test user with a home, removed (with its home) at exit.
new_user aktest

new_store
A=$(new_key "$TMP/a" "$U")
R=$(new_key "$TMP/r" "$U")
ka revoke "$R" --reason "test" >/dev/null 2>&1
D=$(new_key "$TMP/d" "$U")
ka disable "$D" >/dev/null 2>&1
E=$(new_key "$TMP/e" "$U" --expires 1s)
S=$(new_key "$TMP/s" "$U" --service smtp)
S2=$(new_key "$TMP/s2" "$U" --service smtp,sshd)
F=$(new_key "$TMP/f" "$U" --from 10.0.0.0/8)
F2=$(new_key "$TMP/f2" "$U" --from 10.0.0.0/8,127.0.0.0/8)
B=$(new_key "$TMP/b" "someone.else")
N=$(new_key "$TMP/n" "nouser$$")
A2=$(new_key "$TMP/a2" "$U")
forge "$TMP/a" "$TMP/forged"
printf 'correct horse battery staple\n' >"$TMP/pw"
sleep 1 # E expires
KEYS="$TMP/a $TMP/r $TMP/d $TMP/e $TMP/s $TMP/s2 $TMP/f $TMP/f2 $TMP/b $TMP/n $TMP/a2 $TMP/forged"

mkdir -p "$PAMD"
cat >"$PAMD/sshd" <<PAM
auth     required $SO db=$DB
account  required $SO db=$DB
account  required pam_permit.so
session  required pam_permit.so
password required pam_deny.so
PAM
PORT=$(free_port)
sshd_conf "$TMP" "$PORT"
start_sshd "$TMP/sshd_config"
is "the PID we stop is sshd's own" "$(cat "$TMP/sshd.pid" 2>/dev/null)" "$SSHD_PID"

chmod 0600 $KEYS

granted "a valid key logs in (password) and the session sees APIKEY_ID" "$TMP/a" "$A"
granted "a valid key logs in (keyboard-interactive)" "$TMP/a" "$A" keyboard-interactive
denied "revoked key" "$TMP/r"
denied "revoked key (keyboard-interactive)" "$TMP/r" keyboard-interactive
denied "disabled key" "$TMP/d"
denied "expired key" "$TMP/e"
denied "another user's key (WRONG_USER)" "$TMP/b"
denied "a key limited to smtp (SERVICE_DENIED)" "$TMP/s"
granted "a key limited to smtp and sshd logs in" "$TMP/s2" "$S2"
denied "a key limited to 10.0.0.0/8 from 127.0.0.1 (SOURCE_DENIED)" "$TMP/f"
granted "a key limited to 10.0.0.0/8 and 127.0.0.0/8 logs in" "$TMP/f2" "$F2"
denied "a forged key (real id, other secret)" "$TMP/forged"
denied "a password that is not a key" "$TMP/pw"
denied "a valid key for a user sshd does not know" "$TMP/n" password "nouser$$"
denied "a valid key for a user sshd does not know (keyboard-interactive)" "$TMP/n" \
	keyboard-interactive "nouser$$"

granted "before revocation: a second key logs in" "$TMP/a2" "$A2"
ka revoke "$A2" --reason "offboarding" >/dev/null 2>&1
denied "after revocation, the same sshd refuses it at once" "$TMP/a2"
granted "the other keys still work" "$TMP/a" "$A"
is "sshd was not restarted" "$(cat "$TMP/sshd.pid")" "$SSHD_PID"
check "sshd is still running" kill -0 "$SSHD_PID"

no_secret_in "$TMP/sshd.log" $KEYS
if [ "$LOGS" -eq 1 ]; then
	log=$(logged)
	no_secret_in "$SYSLOG" $KEYS
	like "success logged with key id, user, service and rhost" "$log" \
		"pam_apikey\\(sshd:auth\\): key $A accepted for $U service sshd rhost 127\\.0\\.0\\.1\$"
	# pam_unix's failure line (what the shipped fail2ban filter matches), and then our key= and result=.
	f2b='pam_[a-z_]+\(sshd:auth\): authentication failure; logname=[^ ]* uid=[^ ]* euid=[^ ]* tty=[^ ]* ruser=[^ ]* rhost=127\.0\.0\.1 +user='
	for pair in "$R:REVOKED" "$D:DISABLED" "$E:EXPIRED" "$B:WRONG_USER" "$S:SERVICE_DENIED" \
		"$F:SOURCE_DENIED" "$A:NOT_FOUND" "$A2:REVOKED"; do
		like "failure logged for fail2ban: ${pair#*:}" "$log" \
			"$f2b$U key=${pair%%:*} result=${pair#*:}\$"
	done
	like "a non-key password is logged as MALFORMED without a key id" "$log" "${f2b}$U key=- result=MALFORMED\$"
	like "messages go to LOG_AUTHPRIV" "$(grep pam_apikey "$SYSLOG" | head -1)" '^<8[0-7]>'
	unlike "every pam_apikey message is LOG_AUTHPRIV" "$(grep pam_apikey "$SYSLOG" | grep -v '^<8[0-7]>')" .
else
	skip "no private mount namespace here: syslog not captured"
fi
done_testing
