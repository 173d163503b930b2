#!/bin/sh
# Crash safety: keyadm is killed with SIGKILL at random moments during
# hundreds of writes. Afterwards the store opens, keyadm check passes,
# and every change whose command exited 0 is there.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"

N=${CRASH_WRITES:-240}
new_store
: >"$TMP/created" # ids whose create exited 0
: >"$TMP/revoked" # ids whose revoke exited 0
# random delays up to 15 ms; every other write is a kill candidate
awk -v n="$N" 'BEGIN { srand(); for (i = 0; i < n; i++) printf "%.4f %d\n", rand() * 0.015, rand() < 0.6 }' >"$TMP/plan"

# A process killed while LeakSanitizer inspects it at exit leaves a report
# of the inspection ("unable to get registers"), not of a leak: the killed
# writers go without it (every other keyadm test checks keyadm's leaks).
if [ "$SANITIZED" = 1 ]; then export ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0"; fi
i=0 killed=0 done_ok=0
while read -r delay kill_it; do
	i=$((i + 1))
	victim=$(tail -n 1 "$TMP/created")
	if [ $((i % 3)) -eq 0 ] && [ -n "$victim" ]; then
		"$KEYADM" revoke "$victim" --reason "crash test" >/dev/null 2>&1 &
		op=revoke
	else
		"$KEYADM" create "user$((i % 7))" >"$TMP/k.$i" 2>/dev/null &
		op=create
	fi
	pid=$!
	if [ "$kill_it" -eq 1 ]; then
		sleep "$delay"
		kill -KILL "$pid" 2>/dev/null
	fi
	{ wait "$pid"; } 2>/dev/null
	rc=$?
	if [ "$rc" -eq 0 ]; then
		done_ok=$((done_ok + 1))
		if [ "$op" = create ]; then cut -d_ -f2 "$TMP/k.$i" >>"$TMP/created"; else echo "$victim" >>"$TMP/revoked"; fi
	elif [ "$rc" -eq 137 ]; then
		killed=$((killed + 1))
	else
		diag "write $i ($op) exited $rc"
	fi
	rm -f "$TMP/k.$i"
done <"$TMP/plan"
diag "$N writes: $done_ok completed, $killed killed"
check "at least 200 writes attempted" test "$i" -ge 200
check "some writes were killed" test "$killed" -gt 0
check "some writes completed" test "$done_ok" -gt 0

check "the store opens after the crashes" q ka list
check "keyadm check passes" q ka check
check "audit --verify passes" q ka audit --verify

ka list --json >"$TMP/list.json"
missing=$(python3 - "$TMP/list.json" "$TMP/created" "$TMP/revoked" <<'PY'
import json, sys
keys = {k["id"]: k for k in json.load(open(sys.argv[1]))}
created = open(sys.argv[2]).read().split()
revoked = open(sys.argv[3]).read().split()
bad = [i for i in created if i not in keys]
bad += [i for i in revoked if i not in keys or keys[i]["state"] != "revoked"]
print(len(bad))
PY
)
is "every create and revoke that exited 0 is in the store" "$missing" 0
is "every completed create is in the audit trail" \
	"$(ka audit --json | python3 -c 'import json,sys; print(len([a for a in json.load(sys.stdin) if a["action"]=="create"]))')" \
	"$(ka list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"

# the next writer removes the copies killed writers left behind
check "a write after the crashes succeeds" q ka create final
is "no temporary copies left" "$(find "$TMP" -name 'keys.db.tmp.*' | wc -l | tr -d ' ')" 0

done_testing
