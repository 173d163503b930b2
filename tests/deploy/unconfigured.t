#!/bin/sh
# shellcheck disable=SC2034,SC2086 # ids kept for reference; option lists split on purpose
# The plugin installed beside the stock ones changes nothing for an
# application that did not opt in: a Postfix from Debian's own main.cf and
# master.cf (smtpd chrooted: y) set up the classic way for sasldb users
# (pwcheck_method auxprop, sasldb2 inside the chroot), no apikey_ option.
# The same sessions, first with only the stock plugins in the SASL plugin
# directory, then with libapikey.so beside them: the same answers, and
# nothing of ours in the log or the events file.
[ -n "${DEPLOY_NS:-}" ] || exec env DEPLOY_NS=1 unshare --mount --propagation private "$0"
. "$(dirname "$0")/deploylib.sh"

need_postfix
need "saslpasswd2 is not installed" have saslpasswd2
need_snippet MAIN postfix-main.cf

deploy_store
A=$(new_key "$TMP/k.alice" "carol$$")
pf_stock
printf '%s\n' "$MAIN" | sed "s|^postconf |postconf -c '$PF/conf' |" >"$TMP/main.sh"
check "the page's postconf command applies" sh "$TMP/main.sh"
# The classic sasldb setup: smtpd opens /etc/sasldb2 inside its chroot;
# the realm is the server name Postfix gives the library, myhostname.
printf 'mech_list: PLAIN LOGIN\npwcheck_method: auxprop\nauxprop_plugin: sasldb\n' \
	>"$PF/conf/sasl/smtpd.conf"
mkdir -p "$Q/etc"
printf 'carol-%s-pw' "$$" | saslpasswd2 -f "$Q/etc/sasldb2" -p -c -u "$(postconf -c "$PF/conf" -h myhostname)" "carol$$"
chown root:postfix "$Q/etc/sasldb2" && chmod 0640 "$Q/etc/sasldb2"
printf 'carol-%s-pw\n' "$$" >"$TMP/k.carolpw"
printf 'not-carols\n' >"$TMP/k.carolbad"

# Only the stock plugins first (what the host had before our package).
mkdir -p "$TMP/stock-plugins"
cp -p "$STOCK"/*.so* "$TMP/stock-plugins/"
sed -i "s|SASL_PATH=$TMP/sasl-plugins|SASL_PATH=$TMP/stock-plugins|" "$PF/conf/main.cf"
check "no libapikey.so among the stock plugins" test ! -e "$TMP/stock-plugins/libapikey.so"

# session NAME: every case, each answer as "KEYFILE MECH USER CODE" in
# $TMP/NAME.answers (the AUTH reply code).
session() {
	: >"$TMP/$1.answers"
	for c in "carolpw PLAIN carol$$" "carolpw LOGIN carol$$" "carolbad PLAIN carol$$" \
		"carolbad LOGIN carol$$" "alice PLAIN carol$$" "carolpw PLAIN bob$$"; do
		set -- "$1" $c
		smtp "$PORT" "$TMP/k.$2" "$3" "$4"
		code=$(grep -E '^<[-~*]+ +(235|535|454) ' "$TMP/swaks.out" | head -n 1 | sed 's/^<[-~*]* *//' | cut -c1-3)
		rcpt_ok && code="$code+relay"
		echo "$2 $3 $4 $code" >>"$TMP/$1.answers"
	done
}
pf_start || {
	done_testing
	exit 1
}
session stock
MASTER=$(head -n 1 "$Q/pid/master.pid" | tr -d ' ')
pf_stop
check_fails "postfix stopped" kill -0 "$MASTER"
sed -i "s|SASL_PATH=$TMP/stock-plugins|SASL_PATH=$TMP/sasl-plugins|" "$PF/conf/main.cf"
check "now libapikey.so is installed beside the stock plugins" test -f "$TMP/sasl-plugins/libapikey.so"
: >"$PF/maillog"
pf_start || {
	done_testing
	exit 1
}
session ours

like "stock plugins: carol's sasldb password logs in and relays" "$(cat "$TMP/stock.answers")" "^carolpw PLAIN carol$$ 235\+relay$"
is "with libapikey.so installed: every answer as with the stock plugins" \
	"$(cat "$TMP/ours.answers")" "$(cat "$TMP/stock.answers")"
like "  carol's PLAIN login" "$(cat "$TMP/ours.answers")" "^carolpw PLAIN carol$$ 235\+relay$"
like "  carol's LOGIN login" "$(cat "$TMP/ours.answers")" "^carolpw LOGIN carol$$ 235\+relay$"
like "  a wrong password" "$(cat "$TMP/ours.answers")" "^carolbad PLAIN carol$$ 535$"
like "  an API key is only a wrong password here" "$(cat "$TMP/ours.answers")" "^alice PLAIN carol$$ 535$"
sleep 1
unlike "nothing of ours in the mail log" "$(cat "$PF/maillog")" "apikey:"
is "no event recorded (the store was never asked)" "$(wc -c <"$STORE/keys.events" | tr -d ' ')" 0

# Twin: the same Postfix opted in (apikey_db, the store bind-mounted into
# the chroot): now the key logs in, so the plugin was loaded all along.
pf_stop
printf 'apikey_db: %s\n' "$DB" >>"$PF/conf/sasl/smtpd.conf"
ka group postfix >/dev/null 2>&1
mkdir -p "$Q$STORE" && mount --bind "$STORE" "$Q$STORE"
# before $TMP is removed, or the mount point outlives it
at_exit "umount '$Q$STORE' 2>/dev/null"
pf_start >/dev/null
accepted "$PORT" "$TMP/k.alice" PLAIN "carol$$"
refused "$PORT" "$TMP/k.carolpw" PLAIN "carol$$"
sleep 1
check "opted in: the plugin logs the refused password" grep -q "apikey: authentication failure; user=carol$$ key=- result=MALFORMED" "$PF/maillog"
no_secret_in "$PF/maillog" "$TMP/k.alice" "$TMP/k.carolpw"
done_testing
