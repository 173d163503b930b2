#!/bin/sh
# Long-lived servers (smtpd, memcached, a busy sshd) authenticate for days
# in one process: 10 000 PAM transactions and 10 000 SASL PLAIN exchanges
# through the real libraries leave the resident size where it was after
# warm-up. A leak of 32 bytes per login would add 320 KiB.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"
. "$TOP/tests/hardening/hlib.sh"
for b in pam_bench sasl_bench; do
	[ -x "$TOP/bench/$b" ] || { not_ok "bench/$b built"; done_testing; exit 1; }
done
if ldd "$TOP/bench/pam_bench" | grep -q libasan; then
	skip "ASan build: its quarantine holds freed memory, so the resident size says nothing"
	done_testing
	exit 0
fi
new_store
bench_setup
new_key "$TMP/k" alice >/dev/null
R=$(new_key "$TMP/r" alice)
ka revoke "$R" >/dev/null 2>&1
LIMIT=200 # KiB
# run: name, expected failures, bench output -> checks failures and growth
run() {
	# shellcheck disable=SC2086 # the bench line splits into its fields
	set -- "$1" "$2" $3
	is "$1: failures" "$6" "$2"
	diag "$1: grew ${7} KiB after warm-up"
	check "$1: resident size grew by at most $LIMIT KiB" test "$7" -le $LIMIT
}
run "PAM, 10000 valid transactions" 0 "$(pam_loop alice 10000 "$TMP/k")"
run "PAM, 10000 revoked-key transactions" 10020 "$(pam_loop alice 10000 "$TMP/r")"
run "SASL, 10000 valid PLAIN exchanges" 0 "$(sasl_loop alice 10000 "$TMP/k")"
run "SASL, 10000 revoked-key PLAIN exchanges" 10020 "$(sasl_loop alice 10000 "$TMP/r")"
done_testing
