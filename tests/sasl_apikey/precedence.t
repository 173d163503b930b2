#!/bin/sh
# shellcheck disable=SC2034,SC2086 # ids kept for reference; option lists split on purpose
# Precedence: with the stock PLAIN and LOGIN plugins in the same directory,
# ours handles the exchange whatever order the files were created in (the
# library orders equal-ranked mechanisms by readdir()); and in every order
# an application without an apikey_ option keeps the stock behaviour (its
# sasldb password logs in, through ours).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/keyadm/cli.sh"
. "$TOP/tests/sasl_apikey/sasllib.sh"

need "the stock libplain.so and liblogin.so are missing" test -f "$STOCK/libplain.so" -a -f "$STOCK/liblogin.so"
need "saslpasswd2 or the stock libsasldb.so is missing" test -f "$STOCK/libsasldb.so" -a -x /usr/sbin/saslpasswd2
new_store
printf 'carol-password' | saslpasswd2 -f "$TMP/sasldb" -p -c -u localhost carol
printf 'carol-password\n' >"$TMP/carolpw"
NOT_IN="--db none --opt auxprop_plugin=sasldb --opt sasldb_path=$TMP/sasldb --opt pwcheck_method=auxprop"
A=$(new_key "$TMP/a" alice)
R=$(new_key "$TMP/r" alice)
ka revoke "$R" >/dev/null 2>&1

# Stock PLAIN alone refuses a key: it has no password store to check it in.
rm -f "$PLUGDIR"/*.so
cp "$STOCK/libplain.so" "$STOCK/liblogin.so" "$PLUGDIR/"
unlike "stock PLAIN alone refuses the key (no password store)" "$(st "$TMP/a" --mech PLAIN --user alice)" "^SASL_OK"
unlike "stock PLAIN alone: not our plugin" "$(cat "$TMP/st.err")" "apikey:"

# fill ORDER...: a fresh directory with the plugins copied in ORDER
# (apikey, plain, login), each newer than the previous.
fill() {
	rm -rf "$PLUGDIR"
	mkdir "$PLUGDIR"
	for _p; do
		case $_p in
		apikey) cp "$PLUGIN" "$PLUGDIR/libapikey.so" ;;
		*) cp "$STOCK/lib$_p.so" "$PLUGDIR/" ;;
		esac
		touch "$PLUGDIR/lib$_p.so"
		sleep 0.05
	done
	cp "$STOCK/libsasldb.so" "$PLUGDIR/"
}

for order in "apikey plain login" "plain login apikey" "plain apikey login" "login plain apikey" \
	"apikey login plain" "login apikey plain"; do
	# shellcheck disable=SC2086
	fill $order
	for mech in PLAIN LOGIN; do
		res "[$order] $mech: a valid key is accepted" SASL_OK "$TMP/a" --mech $mech --user alice --service smtp
		like "[$order] $mech: handled by libapikey" "$(cat "$TMP/st.out")" "mech=$mech plugin=apikey$"
		res "[$order] $mech: a revoked key is refused" SASL_BADAUTH "$TMP/r" --mech $mech --user alice --service smtp
		res "[$order] $mech: not opted in, a sasldb password logs in" SASL_OK "$TMP/carolpw" --mech $mech --user carol $NOT_IN
		like "[$order] $mech: not opted in, still through libapikey" "$(cat "$TMP/st.out")" "user=carol .*plugin=apikey$"
	done
done

# Re-copy ours last into a directory that already has it, then touch the
# stock ones: still ours.
fill apikey plain login
cp "$PLUGIN" "$PLUGDIR/libapikey.so"
touch "$PLUGDIR/libplain.so" "$PLUGDIR/liblogin.so"
res "after re-copying and touching: PLAIN accepted" SASL_OK "$TMP/a" --mech PLAIN --user alice
like "after re-copying and touching: handled by libapikey" "$(cat "$TMP/st.out")" "plugin=apikey$"
res "after re-copying and touching: LOGIN accepted" SASL_OK "$TMP/a" --mech LOGIN --user alice --initial no
done_testing
