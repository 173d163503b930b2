#!/bin/sh
# shellcheck disable=SC2034,SC2086 # ids kept for reference; option lists split on purpose
# For applications that call sasl_checkpass (Cyrus IMAP LOGIN, POP3
# USER/PASS): the stock saslauthd -a pam with pam_apikey, run under
# pam_wrapper with this test's PAM service directory, checked with
# testsaslauthd. saslauthd runs without its credential cache (no -c).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/cli/cli.sh"
. "$TOP/tests/pam/pamlib.sh"

need "saslauthd or testsaslauthd is not installed" have saslauthd testsaslauthd
need "pam_apikey/pam_apikey.so is not built" test -f "$SO"
need "pam_wrapper is not installed" test -f "$PWRAP_LIB"

new_store
A=$(new_key "$TMP/a" alice)
R=$(new_key "$TMP/r" alice)
D=$(new_key "$TMP/d" alice)
S=$(new_key "$TMP/s" alice --service smtp)
I=$(new_key "$TMP/i" alice --service imap)
V=$(new_key "$TMP/v" alice)
: "$A $D $S $I"
ka revoke "$R" >/dev/null 2>&1
ka disable "$D" >/dev/null 2>&1
forge "$TMP/a" "$TMP/forged"

mkdir -p "$PAMD" "$TMP/mux"
for svc in imap smtp; do
	printf 'auth required %s db=%s\naccount required %s db=%s\n' "$SO" "$DB" "$SO" "$DB" >"$PAMD/$svc"
done
# its own session: on SIGTERM saslauthd signals its whole process group
(pwrap_env && exec setsid saslauthd -a pam -d -m "$TMP/mux" -n 1) >"$TMP/saslauthd.log" 2>&1 &
SA=$!
# stops saslauthd by its PID, then removes pam_wrapper's copies of our
# service files
sa_stop() {
	kill "$SA" 2>/dev/null
	wait "$SA" 2>/dev/null
	pwrap_cleanup
}
at_exit sa_stop
i=0
while [ ! -S "$TMP/mux/mux" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "saslauthd -a pam is listening on its socket" test -S "$TMP/mux/mux"

# tsa KEYFILE USER SERVICE: testsaslauthd (the key on its argv: acceptable
# only for throwaway test keys); output kept in $TMP/tsa.out.
tsa() {
	testsaslauthd -f "$TMP/mux/mux" -s "$3" -u "$2" -p "$(cat "$1")" >"$TMP/tsa.out" 2>&1
}
passes() {
	if tsa "$@" && grep -q '^0: OK "Success."' "$TMP/tsa.out"; then ok "$(basename "$1") as $2 on $3: OK"; else
		not_ok "$(basename "$1") as $2 on $3: wanted OK ($(head -c 80 "$TMP/tsa.out"))"
	fi
}
fails() {
	if ! tsa "$@" && grep -q '^0: NO "authentication failed"' "$TMP/tsa.out"; then ok "$(basename "$1") as $2 on $3: NO"; else
		not_ok "$(basename "$1") as $2 on $3: wanted NO ($(head -c 80 "$TMP/tsa.out"))"
	fi
}

passes "$TMP/a" alice imap
passes "$TMP/a" alice smtp
fails "$TMP/r" alice imap
fails "$TMP/d" alice imap
fails "$TMP/forged" alice imap
fails "$TMP/a" bob imap
fails "$TMP/s" alice imap
passes "$TMP/s" alice smtp
passes "$TMP/i" alice imap
printf 'hunter2\n' >"$TMP/pw"
fails "$TMP/pw" alice imap
fails "$TMP/a" alice pop # no PAM service file: pam_wrapper has no "other"

# A revocation counts at once: saslauthd keeps no cache without -c.
passes "$TMP/v" alice imap
ka revoke "$V" >/dev/null 2>&1
fails "$TMP/v" alice imap
check "saslauthd is still running" kill -0 "$SA"
no_secret_in "$TMP/saslauthd.log" "$TMP/a" "$TMP/r" "$TMP/d" "$TMP/s" "$TMP/i" "$TMP/v" "$TMP/forged"
done_testing
