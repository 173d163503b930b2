# Shell test library: TAP output for tests/run.sh.
# Source it from a tests/*/*.t script:  . "$TOP/tests/lib.sh"
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
KEYADM="$TOP/keyadm/keyadm"
_n=0
_failed=0

ok() { _n=$((_n + 1)); echo "ok $_n - $*"; }
not_ok() { _n=$((_n + 1)); _failed=$((_failed + 1)); echo "not ok $_n - $*"; }
skip() { _n=$((_n + 1)); echo "ok $_n # SKIP $*"; }
diag() { echo "# $*"; }
# skip_all WHY: the whole test is skipped (one SKIP line, exit 0).
skip_all() {
	skip "$*"
	done_testing
	exit 0
}

# check DESC CMD...: passes when CMD exits 0.
check() {
	d=$1; shift
	if "$@"; then ok "$d"; else not_ok "$d (exit $?: $*)"; fi
}
# check_fails DESC CMD...: passes when CMD exits non-zero.
check_fails() {
	d=$1; shift
	if "$@"; then not_ok "$d (unexpectedly succeeded: $*)"; else ok "$d"; fi
}
# check_exit DESC CODE CMD...: passes when CMD exits with CODE.
check_exit() {
	d=$1 want=$2; shift 2
	"$@"; got=$?
	if [ "$got" -eq "$want" ]; then ok "$d"; else not_ok "$d (exit $got, want $want)"; fi
}
# is DESC GOT WANT
is() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (got '$2', want '$3')"; fi
}
# like DESC TEXT PATTERN (grep -E)
like() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then ok "$1"; else not_ok "$1 (no /$3/ in: $(printf '%s' "$2" | head -c 300))"; fi
}
unlike() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then not_ok "$1 (found /$3/)"; else ok "$1"; fi
}
# forge KEYFILE OUT [newid]: the same prefix and id (with newid: a random
# id, a key that does not exist) with another secret and a correct check:
# a well-formed key that must never be accepted (tests/lib/keyforge, the
# one forger of the tests and the bench: tests/lib/forge.c).
forge() {
	"$TOP/tests/lib/keyforge" "$@" && [ -s "$2" ] && return 0
	not_ok "forge: tests/lib/keyforge made no key (make check builds it)"
	done_testing
	exit 1
}

# alive PID: the process is there and has not ended (a zombie has).
alive() {
	[ -d "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}
# wait_while TENTHS CMD...: runs CMD every tenth of a second while it
# succeeds, TENTHS times at most; false when it still did at the end.
wait_while() {
	_ww=$1
	shift
	while [ "$_ww" -gt 0 ] && "$@"; do
		sleep 0.1
		_ww=$((_ww - 1))
	done
	[ "$_ww" -gt 0 ]
}

# A private temporary directory, removed at exit; extra cleanup via
# at_exit "command".
_cleanups=""
at_exit() { _cleanups="$*; $_cleanups"; }
_finish() {
	_rc=$?
	eval "$_cleanups" 2>/dev/null
	san_reports || _rc=1
	[ -n "${TMP:-}" ] && rm -rf "$TMP"
	exit "$_rc"
}
trap _finish EXIT
trap 'exit 130' INT TERM
TMP=$(mktemp -d /tmp/apikey-test.XXXXXX)
chmod 755 "$TMP"
DB="$TMP/keys.db"
export APIKEY_DB="$DB"
# An empty policy: this machine's /etc/apikey/apikey.conf (limits, an
# events file) must not change what the tests see.
: >"$TMP/empty.conf"
export APIKEY_CONFIG="$TMP/empty.conf"

# ---- make check SANITIZE=1: the build has ASan and UBSan (no recovery).
# Our programs (keyadm, the unit tests, the harnesses) load the runtime
# themselves and keep leak detection. A program of the system that loads
# our module or plugin (pamtester, sshd, saslauthd, smtpd, memcached, ...)
# needs libasan preloaded first: start it after san_env (pwrap_env does it)
# or give a daemon's own environment list $SAN_ENV. Leaks are not checked
# in those, they are not ours: the harnesses check the module's and the
# plugin's. Every report goes to $SAN_DIR, and any report fails the test at
# exit (san_reports): an error in a daemon's child or behind an expected
# non-zero exit cannot pass unseen.
ASAN_LIB=$(ldd "$KEYADM" 2>/dev/null | awk '$1 ~ /^libasan\.so/ { print $3; exit }')
# shellcheck disable=SC2034 # SAN_ENV and SAN_CFLAGS are for the tests
SANITIZED=0 SAN_ENV="" SAN_CFLAGS=""
# shellcheck disable=SC2034 # the same
if [ -n "$ASAN_LIB" ]; then
	SANITIZED=1
	SAN_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all"
	SAN_DIR="$TMP/sanitizer"
	mkdir -m 1733 "$SAN_DIR" # daemons write here after dropping root
	# UBSan (a separate runtime with GCC) writes its message to stderr
	# whatever log_path says, then aborts: handle_abort makes ASan report
	# that abort, with the UBSan handler and the line, in $SAN_DIR.
	export ASAN_OPTIONS="abort_on_error=1:handle_abort=1:detect_leaks=1:strict_string_checks=1:log_path=$SAN_DIR/asan"
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:abort_on_error=1:log_path=$SAN_DIR/ubsan"
	# libasan intercepts crypt_r but finds the real one only in libraries
	# loaded before it starts: pam_unix, dlopened later, would call NULL.
	SAN_PRELOAD="$ASAN_LIB$(ldconfig -p | awk '$1 == "libcrypt.so.1" { printf ":%s", $NF; exit }')"
	SAN_ENV="LD_PRELOAD=$SAN_PRELOAD ASAN_OPTIONS=$ASAN_OPTIONS:detect_leaks=0 UBSAN_OPTIONS=$UBSAN_OPTIONS"
fi
# san_env: this (sub)shell's children are third-party programs that load
# the module or plugin; nothing without SANITIZE=1.
san_env() {
	[ "$SANITIZED" = 1 ] || return 0
	case ${LD_PRELOAD:-} in
	*"$ASAN_LIB"*) ;;
	*) LD_PRELOAD="$SAN_PRELOAD${LD_PRELOAD:+ $LD_PRELOAD}" ;;
	esac
	export LD_PRELOAD ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0"
}
# san_leaks: after san_env, for one of our programs (a harness under
# pam_wrapper): leak detection back on.
san_leaks() {
	[ "$SANITIZED" = 1 ] && export ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=1"
	return 0
}
# unsanitized WHY: skips the whole test under SANITIZE=1.
unsanitized() {
	[ "$SANITIZED" = 1 ] && skip_all "$* (make check SANITIZE=1)"
	return 0
}
# san_reports: prints what the sanitizers reported (a TAP failure); false
# when there was anything.
san_reports() {
	[ "$SANITIZED" = 1 ] && [ -d "$SAN_DIR" ] || return 0
	_r=$(find "$SAN_DIR" -type f -size +0 | sort)
	[ -z "$_r" ] && return 0
	for _f in $_r; do
		sed 's/^/# /' "$_f" | head -60
	done
	not_ok "sanitizer reports: $(echo "$_r" | sed 's|.*/||' | tr '\n' ' ')"
	return 1
}

# copy_tree DEST: what git would commit (tracked and new files, nothing
# ignored), or without git the whole tree but its test and bench outputs.
# Builds and `make -n` (which rewrites the flags stamp) run there, never in
# the tree itself.
copy_tree() {
	mkdir -p "$1"
	if git -C "$TOP" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$TOP" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -P -t "$1")
	else
		(cd "$TOP" && tar -cf - --exclude=./tests/out --exclude=./bench/out --exclude=./fuzz/out .) |
			tar -xf - -C "$1"
	fi
}

# Ends the script: exit status says whether anything failed.
done_testing() {
	echo "1..$_n"
	[ "$_failed" -eq 0 ]
}
