#!/bin/sh
# make check SANITIZE=1: every object and program of the build is
# instrumented with ASan and UBSan, and a normal build has none of it (the
# flags stamp rebuilt everything when the flags changed). Under SANITIZE=1,
# the helpers' settings make a heap overflow, undefined behaviour and a
# leak in our programs into reports that fail the test, and a program of
# the system loads the module only with libasan preloaded (san_env).
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"
. "$TOP/tests/pam_apikey/pamlib.sh"
need "nm and readelf (binutils) are missing" have nm readelf cc

# instrumented FILE: FILE calls into ASan (an object) or needs its runtime.
instrumented() {
	case $1 in
	*.o) nm -u "$1" | grep -q ' __asan_' ;;
	*) readelf -d "$1" | grep -q 'NEEDED.*libasan' ;;
	esac
}
# built: the objects and programs make check builds (C tests anywhere
# under tests/ included), one per line.
built() {
	for f in "$TOP"/common/*.o "$KEYADM" "$SO" "$TOP/sasl_apikey/libapikey.so" \
		"$TOP"/tests/*/* "$TOP"/fuzz/*.replay "$TOP"/bench/pam_bench "$TOP"/bench/sasl_bench \
		"$TOP"/bench/revoke_load; do
		[ -f "$f" ] && [ "$(head -c 4 "$f")" = "$(printf '\177ELF')" ] && echo "$f"
	done
}
odd=""
n=0
for f in $(built); do
	n=$((n + 1))
	if [ "$SANITIZED" = 1 ]; then
		instrumented "$f" || odd="$odd ${f#"$TOP"/}"
	else
		instrumented "$f" && odd="$odd ${f#"$TOP"/}"
	fi
done
diag "$n objects and programs checked"
check "the build has the core objects, keyadm, the module and the plugin" test "$n" -ge 14
if [ "$SANITIZED" = 1 ]; then
	is "SANITIZE=1: every object and program has ASan" "$odd" ""
else
	is "normal build: no object or program has ASan" "$odd" ""
fi
# The twin: a probe built the other way is caught by the same check.
printf 'int probe(int *p);\nint probe(int *p) { return *p; }\n' >"$TMP/probe.c"
if [ "$SANITIZED" = 1 ]; then
	cc -c -o "$TMP/probe.o" "$TMP/probe.c"
	check_fails "twin: an object built without -fsanitize is caught" instrumented "$TMP/probe.o"
else
	cc -fsanitize=address -c -o "$TMP/probe.o" "$TMP/probe.c"
	check "twin: an object built with -fsanitize=address is caught" instrumented "$TMP/probe.o"
	skip_all "the rest needs make check SANITIZE=1"
fi

# ---- the settings every test gets: findings are reports in $SAN_DIR.
# The probes report into their own directory, read here, so that this
# test's own san_reports stays clean.
cat >"$TMP/bug.c" <<'C'
#include <limits.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv) {
	char *p = malloc(8);
	int big = INT_MAX - 1;
	if (p == NULL) return 2;
	memset(p, 'x', 8);
	if (strcmp(argv[1], "heap") == 0) p[8] = 0;
	if (strcmp(argv[1], "ub") == 0) big += argc + 1;
	if (strcmp(argv[1], "leak") == 0) p = NULL;
	free(p);
	return big == 0;
}
C
# shellcheck disable=SC2086
check "a probe builds with the sanitizers of the build" cc -O0 -g $SAN_CFLAGS -o "$TMP/bug" "$TMP/bug.c"
mkdir -m 1733 "$TMP/probe"
probe_opts=$(printf '%s' "$ASAN_OPTIONS" | sed "s|$SAN_DIR/|$TMP/probe/|")
probe_ubsan=$(printf '%s' "${UBSAN_OPTIONS:-}" | sed "s|$SAN_DIR/|$TMP/probe/|")
# probe CASE: runs the probe as the tests run our programs; echoes its
# exit status, and the reports in $TMP/probe.txt.
probe() {
	rm -f "$TMP/probe/"*
	ASAN_OPTIONS=$probe_opts UBSAN_OPTIONS=$probe_ubsan "$TMP/bug" "$1" >/dev/null 2>"$TMP/probe.err"
	echo $?
	cat "$TMP/probe/"* >"$TMP/probe.txt" 2>/dev/null
}
is "no bug: exit 0" "$(probe none)" 0
is "no bug: no report" "$(cat "$TMP/probe.txt")" ""
is "heap overflow: aborts" "$(probe heap)" 134
like "heap overflow: reported" "$(cat "$TMP/probe.txt")" 'ERROR: AddressSanitizer: heap-buffer-overflow'
is "signed overflow: aborts (no recovery)" "$(probe ub)" 134
like "signed overflow: on stderr" "$(cat "$TMP/probe.err")" 'runtime error: signed integer overflow'
like "signed overflow: reported" "$(cat "$TMP/probe.txt")" 'in __ubsan_handle_add_overflow'
like "signed overflow: the report has the line" "$(cat "$TMP/probe.txt")" 'in main .*bug\.c:[0-9]+'
is "leak: fails" "$(probe leak)" 134
like "leak: reported (leak detection is on for our programs)" "$(cat "$TMP/probe.txt")" \
	'ERROR: LeakSanitizer: detected memory leaks'

# ---- a program of the system (pamtester) loads the module.
if ! have pamtester || [ ! -f "$PWRAP_LIB" ]; then
	skip "pamtester or pam_wrapper is not installed"
	done_testing
	exit 0
fi
new_store
new_key "$TMP/k" alice >/dev/null
mkdir -p "$PAMD"
printf 'auth required %s db=%s\n' "$SO" "$DB" >"$PAMD/apikey"
at_exit pwrap_cleanup
pwrap pamtester apikey alice authenticate <"$TMP/k" >"$TMP/pt.out" 2>&1
is "san_env: pamtester authenticates through the instrumented module" "$?" 0
is "san_env: libasan comes first in LD_PRELOAD" "$(pwrap_env && printf '%s' "$LD_PRELOAD" | cut -d: -f1)" "$ASAN_LIB"
# unpreloaded: pamtester with pam_wrapper preloaded, not libasan (the
# shell's word on the crash goes to /dev/null with the function's stderr).
unpreloaded() {
	(pwrap_env && export LD_PRELOAD="$PWRAP_LIB" ASAN_OPTIONS="$probe_opts" &&
		exec pamtester apikey alice authenticate) <"$TMP/k" >"$TMP/pt.out" 2>&1
}
rm -f "$TMP/probe/"*
unpreloaded 2>/dev/null
check "twin: without libasan preloaded, pamtester cannot use the module" test $? -ne 0
like "twin: ASan says why" "$(cat "$TMP/pt.out")" 'ASan runtime does not come first'
unlike "twin: not authenticated" "$(cat "$TMP/pt.out")" 'successfully authenticated'
done_testing
