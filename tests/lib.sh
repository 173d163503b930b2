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
# A private temporary directory, removed at exit; extra cleanup via
# at_exit "command".
_cleanups=""
at_exit() { _cleanups="$*; $_cleanups"; }
_finish() {
	eval "$_cleanups" 2>/dev/null
	[ -n "${TMP:-}" ] && rm -rf "$TMP"
}
trap _finish EXIT
trap 'exit 130' INT TERM
TMP=$(mktemp -d /tmp/apikey-test.XXXXXX)
chmod 755 "$TMP"
DB="$TMP/keys.db"
export APIKEY_DB="$DB"

# Ends the script: exit status says whether anything failed.
done_testing() {
	echo "1..$_n"
	[ "$_failed" -eq 0 ]
}
