#!/bin/sh
# SIGKILL keyadm at random moments during hundreds of writes while
# verifiers run. tests/hardening/killverify drives the writes (create,
# disable, enable, set, revoke, rotate), kills most of them (after a
# random delay, during the copy, or right after the rename) and after
# each one checks that the store opens, passes the check, and holds every
# change whose command exited 0 (and a killed one whole or not at all);
# two verifier processes call ak_verify_path in tight loops and judge
# every answer against what the store held while it ran. The real PAM
# module and SASL plugin log in all along with keys no write touches.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"
. "$TOP/tests/hardening/hlib.sh"
KV="$TOP/tests/hardening/killverify"
for b in "$KV" "$TOP/bench/pam_bench" "$TOP/bench/sasl_bench"; do
	[ -x "$b" ] || { not_ok "$b built"; done_testing; exit 1; }
done
N=${KILL_WRITES:-520}
SEED=${KILL_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
diag "seed $SEED (KILL_SEED=$SEED to repeat)"

new_store
bench_setup
new_key "$TMP/a" alice >/dev/null
new_key "$TMP/b" bob >/dev/null
R=$(new_key "$TMP/r" carol)
D=$(new_key "$TMP/d" dave)
ka revoke "$R" >/dev/null 2>&1
ka disable "$D" >/dev/null 2>&1
FIXED="VALID:alice:$TMP/a VALID:bob:$TMP/b REVOKED:carol:$TMP/r DISABLED:dave:$TMP/d"

# A process killed while LeakSanitizer inspects it at exit leaves a report
# of the inspection ("unable to get registers"), not of a leak: the killed
# writers go without it (every other keyadm test checks keyadm's leaks).
if [ "$SANITIZED" = 1 ]; then export ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0"; fi

# fig FILE NAME: one figure of a killverify run
fig() { sed -n "s/^$2 //p" "$1"; }

# The negative twins, on a store of their own: the judging catches a lie.
# 1. --early claims each change was visible from its write's start: the
#    old answers verifiers got during the writes must count as wrong.
# 2. a keyadm that "revokes" by exiting 0 and doing nothing: lost changes.
TWIN="$TMP/twin"
mkdir -p "$TWIN"
cp "$DB" "$TWIN/keys.db"
# shellcheck disable=SC2086 # FIXED splits into the fixed keys
"$KV" --early "$KEYADM" "$TWIN/keys.db" 2 60 "$SEED" $FIXED >"$TMP/early" 2>/dev/null
check "a lie about when changes became visible is caught (wrong VALID answers)" \
	test "$(fig "$TMP/early" wrong_valid)" -gt 0
cp "$DB" "$TWIN/keys.db"
printf '#!/bin/sh\ncase " $* " in *" revoke "*) exit 0 ;; esac\nexec "%s" "$@"\n' "$KEYADM" >"$TMP/liar"
chmod 755 "$TMP/liar"
# shellcheck disable=SC2086
"$KV" "$TMP/liar" "$TWIN/keys.db" 2 60 "$SEED" $FIXED >"$TMP/liar.out" 2>/dev/null
check "a revoke that exited 0 but is not in the store is caught" \
	test "$(fig "$TMP/liar.out" lost)" -gt 0
diag "negative twins: --early: $(fig "$TMP/early" wrong_valid) wrong VALID;" \
	"lying revoke: $(fig "$TMP/liar.out" lost) lost changes"

# The front ends, through the real libraries, for as long as the writes go on.
front() { # NAME LOOP USER KEYFILE: runs LOOP until $TMP/done exists
	while [ ! -e "$TMP/done" ]; do
		"$2" "$3" 200 "$4" 2>/dev/null | awk '{ print $4 } END { if (NR == 0) print "none" }' >>"$TMP/$1"
	done
}
front pam_ok pam_loop alice "$TMP/a" & f1=$!
front pam_revoked pam_loop carol "$TMP/r" & f2=$!
front sasl_ok sasl_loop bob "$TMP/b" & f3=$!
# below keyadm's priority, as the verifiers are: the writes set the pace
renice -n 10 -p $f1 $f2 $f3 >/dev/null
at_exit "touch '$TMP/done'; kill $f1 $f2 $f3 2>/dev/null"

start=$(date +%s)
# shellcheck disable=SC2086
"$KV" "$KEYADM" "$DB" 2 "$N" "$SEED" $FIXED >"$TMP/fig" 2>"$TMP/problems"
rc=$?
touch "$TMP/done"
wait $f1 $f2 $f3
diag "$(($(date +%s) - start)) s; $(tr '\n' ' ' <"$TMP/fig")"
sed 's/^/# /' "$TMP/problems" | head -20
f() { fig "$TMP/fig" "$1"; }
is "the driver ran to the end" "$rc" 0
check "at least 500 writes" test "$(f writes)" -ge 500
check "at least 100 writes were killed" test "$(f killed)" -ge 100
check "some were killed before the rename" test "$(f before_rename)" -gt 0
check "some were killed after the rename" test "$(f after_rename)" -gt 0
check "killed writes left temporary copies behind" test "$(f tmp_after_kill)" -gt 0
is "every write that was not killed exited 0" "$(f failed)" 0
is "every change whose command exited 0 is there" "$(f lost)" 0
is "every killed change is there whole or not at all" "$(f torn)" 0
is "the store opened after every write" "$(f open_fail)" 0
is "the store check passed after every write" "$(f check_fail)" 0
check "keyadm check ran during the writes" test "$(f keyadm_checks)" -ge 5
is "keyadm check passed every time" "$(f keyadm_check_fail)" 0
is "no temporary copy was left after a completed write" "$(f tmp_after_write)" 0
check "the verifiers verified" test "$(f verifications)" -ge 10000
check "some verifications overlapped a write of their key" test "$(f in_window)" -gt 0
check "some verifications started after a revoke of their key returned" \
	test "$(f after_revoke)" -gt 0
is "no verification said VALID where the store did not" "$(f wrong_valid)" 0
is "no verification refused with an answer the store did not give" "$(f wrong_refused)" 0
is "no verification found the store unavailable" "$(f unavailable)" 0
is "no verifier crashed" "$(f verifier_crashes)" 0

sum() { awk '{ s += $1; n++ } END { print s + 0, n + 0 }' "$TMP/$1"; }
diag "front-end failures and runs of 220 logins: PAM valid $(sum pam_ok)," \
	"PAM revoked $(sum pam_revoked), SASL valid $(sum sasl_ok)"
check "every front-end run ended with its figures" test "$(cat "$TMP"/pam_* "$TMP"/sasl_* | grep -c none)" -eq 0
# shellcheck disable=SC2046 # the two figures split
set -- $(sum pam_ok)
check "PAM logins ran during the writes" test "$2" -gt 0
is "PAM: the untouched valid key was never refused" "$1" 0
# shellcheck disable=SC2046
set -- $(sum pam_revoked)
is "PAM: the revoked key was never accepted" "$1" $(($2 * 220))
# shellcheck disable=SC2046
set -- $(sum sasl_ok)
check "SASL logins ran during the writes" test "$2" -gt 0
is "SASL: the untouched valid key was never refused" "$1" 0

check "keyadm check passes at the end" q ka check
check "audit --verify passes at the end" q ka audit --verify
check "a write after the kills succeeds" q ka create final
# only beside the store: the twins' killed writes leave copies of their own
is "no temporary copy left" "$(find "$TMP" -maxdepth 1 -name 'keys.db.tmp.*' | wc -l | tr -d ' ')" 0
done_testing
