#!/bin/sh
# Load and races: two processes authenticate through the real libpam and
# two through the real libsasl2, in tight loops, while keyadm creates,
# disables, enables, rotates and revokes other keys. A valid key is never
# refused, a disabled one never accepted, and a key revoked while the
# loops run is refused from the first attempt that starts after keyadm
# revoke returned (bench/revoke_load records every attempt's times).
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"
. "$TOP/tests/hardening/hlib.sh"
for b in pam_bench sasl_bench revoke_load; do
	[ -x "$TOP/bench/$b" ] || { not_ok "bench/$b built"; done_testing; exit 1; }
done
new_store
bench_setup
new_key "$TMP/a" alice >/dev/null
new_key "$TMP/b" bob >/dev/null
D=$(new_key "$TMP/d" alice)
ka disable "$D" >/dev/null 2>&1
N=15000
pam() { pam_loop "$1" $N "$2" >"$3" 2>&1; }
sasl() { sasl_loop "$1" $N "$2" >"$3" 2>&1; }
pam alice "$TMP/a" "$TMP/p1" & p1=$!
pam bob "$TMP/b" "$TMP/p2" & p2=$!
sasl alice "$TMP/a" "$TMP/s1" & s1=$!
sasl bob "$TMP/b" "$TMP/s2" & s2=$!
pam alice "$TMP/d" "$TMP/p3" & p3=$!
at_exit "kill $p1 $p2 $s1 $s2 $p3 2>/dev/null"
writes=0 werr=0
while kill -0 $p1 2>/dev/null || kill -0 $s1 2>/dev/null; do
	id=$(new_key "$TMP/x" "churn$writes") || werr=$((werr + 1))
	ka disable "$id" >/dev/null 2>&1 || werr=$((werr + 1))
	ka enable "$id" >/dev/null 2>&1 || werr=$((werr + 1))
	ka rotate "$id" >"$TMP/x2" 2>/dev/null || werr=$((werr + 1))
	ka revoke --user "churn$writes" >/dev/null 2>&1 || werr=$((werr + 1))
	writes=$((writes + 5))
	[ $writes -lt 2000 ] || break
done
wait $p1 $p2 $s1 $s2 $p3
failures() { awk '{print $4}' "$1"; }
diag "keyadm writes during the loops: $writes"
check "keyadm wrote during the loops" test "$writes" -ge 10
is "every keyadm write succeeded" "$werr" 0
is "PAM loop 1: valid key never refused" "$(failures "$TMP/p1")" 0
is "PAM loop 2: valid key never refused" "$(failures "$TMP/p2")" 0
is "SASL loop 1: valid key never refused" "$(failures "$TMP/s1")" 0
is "SASL loop 2: valid key never refused" "$(failures "$TMP/s2")" 0
is "PAM loop 3: disabled key never accepted" "$(failures "$TMP/p3")" $((N + 20))
check "store check passes after the load" q ka check

# revocation while two processes authenticate through PAM
V=$(new_key "$TMP/v" carol)
out=$("$TOP/bench/revoke_load" "$TMP/pam.d" apikey "$KEYADM" "$DB" "$V" \
	alice "$TMP/a" bob "$TMP/b" carol "$TMP/v")
diag "revoke_load: revoke_ms first_reject_us late_accepts other_failures attempts = $out"
# shellcheck disable=SC2086 # the figures split into fields
set -- $out
is "no attempt that started after revoke returned was accepted" "$3" 0
is "no other key failed during the write" "$4" 0
check "the revoked key was tried after the revocation" test "$2" -gt 0
check "enough attempts were made" test "$5" -gt 100
done_testing
