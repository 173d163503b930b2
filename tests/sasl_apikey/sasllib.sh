# Helpers for the SASL tests (sourced after tests/lib.sh and tests/keyadm/cli.sh):
# the built plugin, sasl-try and a private plugin directory. Reuses the
# loopback and pam_wrapper helpers of tests/pam_apikey/pamlib.sh.
. "$TOP/tests/pam_apikey/pamlib.sh"
PLUGIN="$TOP/sasl_apikey/libapikey.so"
SASLTRY="$TOP/tests/sasl_apikey/sasl-try"
STOCK=/usr/lib/$MULTIARCH/sasl2
PLUGDIR="$TMP/plugins"

need "sasl_apikey/libapikey.so is not built" test -f "$PLUGIN"
need "tests/sasl_apikey/sasl-try is not built (make check builds it)" test -x "$SASLTRY"
mkdir -p "$PLUGDIR"
cp "$PLUGIN" "$PLUGDIR/libapikey.so"

# st KEYFILE ARGS...: one exchange through sasl-try against $PLUGDIR and
# $DB; the result line in $TMP/st.out, the server log in $TMP/st.err;
# echoes the first word (SASL_OK, SASL_BADAUTH, ...).
st() {
	_kf=$1
	shift
	"$SASLTRY" --plugins "$PLUGDIR" --db "$DB" "$@" <"$_kf" >"$TMP/st.out" 2>"$TMP/st.err"
	cut -d' ' -f1 "$TMP/st.out"
}

# res DESC WANT KEYFILE ARGS...: the exchange ends with WANT.
res() {
	_d=$1 _w=$2
	shift 2
	is "$_d" "$(st "$@")" "$_w"
}
