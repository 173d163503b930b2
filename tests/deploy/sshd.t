#!/bin/sh
# shellcheck disable=SC2086 # key file lists split on purpose
# pam_apikey(8)'s sshd recipe, verbatim, on Debian's stock files: private
# copies of /etc/pam.d/sshd (with the common-* files it includes) and
# /etc/ssh/sshd_config, changed only by the snippets pulled out of the man
# page's source (tests/deploy/snippet.sh); the test's own additions are
# the listening address, host key and PID file, the built module's path
# and the test's store. The real sshd runs on 127.0.0.1 under pam_wrapper
# (its "sshd" PAM service comes from this test's directory). Keys only: a
# valid key in, with password and keyboard-interactive; forged, another
# user's, revoked while sshd runs, disabled, wrong-service keys and the
# user's real Unix password out. Keys or the Unix password
# (nonkey=ignore): the password works again, a bad key still fails. The
# use is in keyadm list; no secret in any log.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"
. "$TOP/tests/pam_apikey/pamlib.sh"
. "$TOP/tests/deploy/snippet.sh"
. "$TOP/tests/deploy/f2blib.sh"
MAN="$TOP/man/pam_apikey.8"
need_sshd chpasswd
need "no stock /etc/pam.d/sshd or /etc/ssh/sshd_config" test -f /etc/pam.d/sshd -a -f /etc/ssh/sshd_config
need "pam_wrapper is not installed" test -f "$PWRAP_LIB"
LOGS=0
if logns_works && start_syslog; then LOGS=1; fi

new_user akdep
unix_password "$TMP/pw"

key_set
B=$(new_key "$TMP/b" "someone.else")
forge "$TMP/a" "$TMP/forged"
KEYS="$TMP/a $TMP/a2 $TMP/r $TMP/d $TMP/s $TMP/b $TMP/forged"
chmod 0600 $KEYS "$TMP/pw"
: "$D $S $B"

# The PAM files as Debian ships them, then the man page's edit.
mkdir -p "$PAMD"
for f in sshd common-auth common-account common-session common-password other; do
	[ -f "/etc/pam.d/$f" ] && cp "/etc/pam.d/$f" "$PAMD/$f"
done
pam_recipe() {
	cp /etc/pam.d/sshd "$PAMD/sshd.new"
	snippet_apply "$MAN" "$1" "$PAMD/sshd.new" && pam_localize "$PAMD/sshd.new" &&
		mv "$PAMD/sshd.new" "$PAMD/sshd"
}
check "the man page's keys-only snippet applies to the stock /etc/pam.d/sshd" pam_recipe pam-keys
like "Debian's account and session lines stay" "$(grep -c -E '^(account +required +pam_nologin|session +required +pam_loginuid|session +required +pam_limits|@include common-(account|session|password))' "$PAMD/sshd")" '^6$'
unlike "common-auth is no longer included (keys only)" "$(cat "$PAMD/sshd")" '^@include common-auth'

sshd_stock
check "sshd accepts the resulting configuration" /usr/sbin/sshd -t -f "$TMP/sshd_config"

granted "keys only: a valid key logs in (password)" "$TMP/a" "$A"
granted "keys only: a valid key logs in (keyboard-interactive)" "$TMP/a" "$A" keyboard-interactive
denied "keys only: a forged key" "$TMP/forged"
denied "keys only: another user's key" "$TMP/b"
denied "keys only: a revoked key" "$TMP/r"
denied "keys only: a disabled key" "$TMP/d"
denied "keys only: a key for smtp only" "$TMP/s"
denied "keys only: the user's real Unix password" "$TMP/pw"
denied "keys only: the Unix password (keyboard-interactive)" "$TMP/pw" keyboard-interactive
granted "a second key logs in" "$TMP/a2" "$A2"
ka revoke "$A2" >/dev/null 2>&1
denied "revoked while sshd runs: refused at once" "$TMP/a2"

check "the man page's keys-or-password snippet applies to the stock /etc/pam.d/sshd" pam_recipe pam-either
login "$TMP/pw" >"$TMP/out" 2>&1
like "keys or password: the Unix password logs in" "$(cat "$TMP/out")" "^logged in as $U with key \$"
granted "keys or password: a valid key logs in" "$TMP/a" "$A"
denied "keys or password: a revoked key does not fall through to pam_unix" "$TMP/r"
denied "keys or password: a forged key" "$TMP/forged"
printf 'not-the-password\n' >"$TMP/wrong"
chmod 0600 "$TMP/wrong"
denied "keys or password: a wrong Unix password" "$TMP/wrong"
check "sshd is still the one we started" kill -0 "$SSHD_PID"

list=$(ka list "$U" 2>&1)
like "keyadm list shows the key's last use by sshd from 127.0.0.1" "$(printf '%s\n' "$list" | grep "$A")" 'sshd.*127\.0\.0\.1'
no_secret_in "$TMP/sshd.log" $KEYS "$TMP/pw"
no_secret_in "$TMP/keys.events" $KEYS "$TMP/pw"
if [ "$LOGS" -eq 1 ]; then
	no_secret_in "$SYSLOG" $KEYS "$TMP/pw"
	like "the revocation is logged" "$(logged)" "pam_apikey\\(sshd:auth\\): authentication failure; .* rhost=127\\.0\\.0\\.1 +user=$U key=$A2 result=REVOKED\$"
else
	skip "no private mount namespace here: syslog not captured"
fi
# The shipped fail2ban filter over what this sshd logged.
if [ "$LOGS" -eq 1 ] && have fail2ban-regex && f2b_setup; then
	syslog_file "$TMP/auth.log"
	f2b_check "$TMP/auth.log" "sshd" '127\.0\.0\.1'
else
	skip "fail2ban or the captured syslog is missing"
fi
done_testing
