#!/bin/sh
# shellcheck disable=SC2034,SC2086 # ids kept for reference; option lists split on purpose
# A real Postfix smtpd on 127.0.0.1 with sasl_apikey: AUTH PLAIN and LOGIN
# through swaks, relaying only for authenticated clients. Postfix runs from
# this test's own config_directory (nothing in /etc is touched); Debian's
# Postfix reads the SASL settings from <config_directory>/sasl/smtpd.conf.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/cli/cli.sh"
. "$TOP/tests/sasl/sasllib.sh"

need "postfix is not installed" have postfix postconf
need "swaks is not installed" have swaks
need "there is no postfix user" id postfix
need "tests run as root (postfix start)" test "$(id -u)" -eq 0

new_store
A=$(new_key "$TMP/a" alice)
L=$(new_key "$TMP/l" alice)
R=$(new_key "$TMP/r" alice)
D=$(new_key "$TMP/d" alice)
E=$(new_key "$TMP/e" alice --expires 1s)
S=$(new_key "$TMP/s" alice --service imap)
V=$(new_key "$TMP/v" alice)
: "$A $L $E $S"
ka revoke "$R" >/dev/null 2>&1
ka disable "$D" >/dev/null 2>&1
forge "$TMP/a" "$TMP/forged"
# smtpd runs as postfix and drops supplementary groups: the store gets
# the group postfix, mode 0640, as docs/sasl.md tells administrators.
chgrp postfix "$DB" 2>/dev/null
chmod 0640 "$DB" 2>/dev/null
chmod 0755 "$PLUGDIR"

PF="$TMP/pf"
PORT=$(free_port)
mkdir -p "$PF/conf/sasl" "$PF/queue" "$PF/data"
chown postfix "$PF/data"
cat >"$PF/conf/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $PF/queue
data_directory = $PF/data
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = apikey-test.localdomain
mydestination =
mynetworks = 127.0.0.2/32
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
relayhost =
alias_maps =
alias_database =
local_recipient_maps =
smtpd_banner = \$myhostname ESMTP
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
smtpd_sasl_security_options = noanonymous
smtpd_tls_security_level = none
smtpd_relay_restrictions = permit_sasl_authenticated reject
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C POSTLOG_SERVICE POSTLOG_HOSTNAME SASL_PATH=$PLUGDIR $SAN_ENV
maillog_file = $PF/maillog
maillog_file_prefixes = $PF
CF
cat >"$PF/conf/master.cf" <<CF
127.0.0.1:$PORT inet n - n - - smtpd
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
proxymap unix - - n - - proxymap
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
CF
cat >"$PF/conf/sasl/smtpd.conf" <<CF
mech_list: PLAIN LOGIN
apikey_db: $DB
CF

postfix -c "$PF/conf" check >"$PF/check.out" 2>&1
check "postfix check accepts the private configuration" test $? -eq 0
pf_stop() {
	postfix -c "$PF/conf" stop >/dev/null 2>&1
	_pid=$(head -n 1 "$PF/queue/pid/master.pid" 2>/dev/null | tr -d ' ')
	if [ -n "$_pid" ] && kill -0 "$_pid" 2>/dev/null; then
		sleep 1
		kill "$_pid" 2>/dev/null
	fi
}
at_exit pf_stop
postfix -c "$PF/conf" start >"$PF/start.out" 2>&1
if ! wait_port "$PORT"; then
	not_ok "postfix smtpd listens on 127.0.0.1:$PORT"
	sed 's/^/# /' "$PF/start.out" "$PF/check.out" "$PF/maillog" 2>/dev/null | head -40
	done_testing
	exit 1
fi
ok "postfix smtpd listens on 127.0.0.1:$PORT"

# smtp KEYFILE MECH USER: one swaks session to RCPT; the transcript (which
# holds the key in base64) stays in $TMP/swaks.out and is never printed.
smtp() {
	swaks --server 127.0.0.1 --port "$PORT" --auth "$2" --auth-user "$3" \
		--auth-password "$(cat "$1")" --from a@example.org --to b@example.net \
		--quit-after RCPT >"$TMP/swaks.out" 2>&1
}
# said CODE STAGE: the server answered CODE at AUTH (stage auth) or RCPT.
auth_said() { grep -Eq "^<[-~*]+ +$1 " "$TMP/swaks.out"; }
rcpt_ok() { grep -Eq '^<- +250 2\.1\.5 ' "$TMP/swaks.out"; }
accepted() {
	smtp "$@"
	if auth_said 235 && rcpt_ok; then ok "$2 $(basename "$1"): 235, relaying allowed"; else
		not_ok "$2 $(basename "$1"): wanted 235 and RCPT 250 ($(grep -E '^<' "$TMP/swaks.out" | grep -Ev '^<~? +334' | cut -c1-60 | tr '\n' '|'))"
	fi
}
refused() {
	smtp "$@"
	if auth_said 535 && ! rcpt_ok; then ok "$2 $(basename "$1") as $3: 535, no relaying"; else
		not_ok "$2 $(basename "$1") as $3: wanted 535 and no relaying ($(grep -E '^<' "$TMP/swaks.out" | grep -Ev '^<~? +334' | cut -c1-60 | tr '\n' '|'))"
	fi
}

sleep 1 # the 1s key has expired
accepted "$TMP/a" PLAIN alice
accepted "$TMP/l" LOGIN alice
refused "$TMP/r" PLAIN alice
refused "$TMP/r" LOGIN alice
refused "$TMP/d" PLAIN alice
refused "$TMP/e" PLAIN alice
refused "$TMP/forged" PLAIN alice
refused "$TMP/forged" LOGIN alice
refused "$TMP/a" PLAIN bob
refused "$TMP/s" PLAIN alice

# Without AUTH, relaying is refused (the relay rule is not open).
swaks --server 127.0.0.1 --port "$PORT" --from a@example.org --to b@example.net \
	--quit-after RCPT >"$TMP/swaks.out" 2>&1
if grep -Eq '^<\*\* +554 ' "$TMP/swaks.out" && ! rcpt_ok; then ok "no AUTH: relaying refused (554)"; else
	not_ok "no AUTH: relaying refused"
fi

# Revocation between two sessions, without restarting postfix.
accepted "$TMP/v" PLAIN alice
ka revoke "$V" >/dev/null 2>&1
refused "$TMP/v" PLAIN alice

sleep 1
is "keyadm revoke kept the store's group and mode" "$(stat -c '%G %a' "$DB")" "postfix 640"
check "the mail log has our plugin's lines" grep -q "apikey: " "$PF/maillog"
check "the mail log names the revoked key's result" grep -q "key=$V result=REVOKED" "$PF/maillog"
check "the mail log names a wrong user" grep -q "user=bob key=$A result=WRONG_USER" "$PF/maillog"
no_secret_in "$PF/maillog" "$TMP/a" "$TMP/l" "$TMP/r" "$TMP/d" "$TMP/e" "$TMP/s" "$TMP/v" "$TMP/forged"
done_testing
