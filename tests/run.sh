#!/bin/sh
# Runs every test program (tests/*/*.t: shell scripts and built C tests)
# and counts their TAP lines: "ok N - what", "not ok N - what",
# "ok N # SKIP why". A program that exits non-zero without a "not ok"
# counts as one failure, and so does a sanitizer report in its output.
# Ends with "N passed, N failed, N skipped".
# Usage: sh tests/run.sh [PATTERN]   (PATTERN filters test paths)
set -u
cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
out="$top/tests/out"
mkdir -p "$out"
pat="${1:-${T:-}}"
pass=0 fail=0 skip=0
export TOP="$top" # the tests find the tree by it
# Each test runs in a private mount namespace whose /dev/log leads nowhere:
# what the programs under test send to syslog (keyadm's changes, the
# module's refusals) stays out of this machine's logs. Tests that read
# syslog bind their own listener there (tests/pam_apikey/logns.sh).
if [ -e /dev/log ] && unshare --mount --propagation private true 2>/dev/null; then
	isolate() {
		unshare --mount --propagation private sh -c \
			'mount --bind /dev/null /dev/log 2>/dev/null; exec "$@"' sh "$@"
	}
else
	isolate() { "$@"; }
fi
failed_list=""
for t in tests/*/*.t; do
	[ -x "$t" ] || continue
	case "$t" in *"$pat"*) ;; *) continue ;; esac
	name=$(echo "$t" | sed 's|^tests/||; s|\.t$||; s|/|-|g')
	log="$out/$name.log"
	start=$(date +%s)
	isolate timeout -k 10 600 "$t" >"$log" 2>&1 </dev/null
	rc=$?
	p=$(grep -Ec '^ok [0-9]+( |$)' "$log" | tr -d ' ')
	s=$(grep -Eic '^ok [0-9]+.*# *skip' "$log" | tr -d ' ')
	f=$(grep -Ec '^not ok [0-9]+' "$log" | tr -d ' ')
	p=$((p - s))
	# A sanitizer report that reached the log (SANITIZE=1) is a failure,
	# whatever the program's exit status was.
	if grep -Eq '==[0-9]+==ERROR: [A-Za-z]+Sanitizer|SUMMARY: [A-Za-z]+Sanitizer|: runtime error: ' "$log" &&
		! grep -q '^not ok.*sanitizer' "$log"; then
		f=$((f + 1))
		echo "not ok - $name: a sanitizer report is in its log" >>"$log"
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $name exited $rc" >>"$log"
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	secs=$(($(date +%s) - start))
	if [ "$f" -eq 0 ]; then
		printf '%-36s %4d passed %3d skipped  (%ss)\n' "$name" "$p" "$s" "$secs"
	else
		printf '%-36s %4d passed %3d FAILED   (%ss)\n' "$name" "$p" "$f" "$secs"
		grep -E '^not ok' "$log" | sed 's/^/    /' | head -20
		echo "    (log: tests/out/$name.log)"
		failed_list="$failed_list $name"
	fi
done
[ -n "$failed_list" ] && echo "failed:$failed_list"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ $((pass + skip)) -gt 0 ]
