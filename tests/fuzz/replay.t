#!/bin/sh
# Replays every checked-in fuzz input (seeds and regressions) through the
# fuzz targets built with the normal compiler and flags (one corpus
# directory per target).
. "$TOP/tests/lib.sh"
for t in $(ls "$TOP/fuzz/corpus"); do
	bin="$TOP/fuzz/fuzz_$t.replay"
	if [ ! -x "$bin" ]; then not_ok "fuzz target $t built"; continue; fi
	n=$(ls "$TOP/fuzz/corpus/$t" | wc -l)
	out=$("$bin" "$TOP"/fuzz/corpus/"$t"/* 2>&1)
	rc=$?
	got=$(printf '%s\n' "$out" | grep -c '^ok ')
	if [ "$rc" -eq 0 ] && [ "$got" -eq "$n" ] && [ "$n" -gt 0 ]; then
		ok "fuzz corpus $t: $n inputs replayed"
	else
		not_ok "fuzz corpus $t: $got of $n replayed (exit $rc)"
	fi
done
done_testing
