#!/bin/sh
# shellcheck disable=SC2034,SC2086 # ids kept for reference; option lists split on purpose
# sasl_apikey(8) "memcached", verbatim from the man page: Debian's own
# memcached.conf (a private copy of the package's default) with the page's
# -S, started by Debian's own wrapper script (as its systemd unit does, so
# -u memcache), the page's SASL configuration in a private SASL
# configuration directory, our plugin installed beside the stock ones, the
# store's group set by the page's command, and the page's Python client,
# which reads the key from a file.
. "$(dirname "$0")/deploylib.sh"

WRAPPER=/usr/share/memcached/scripts/systemd-memcached-wrapper
need "memcached is not installed" have memcached
need "memcached has no SASL support" sh -c 'memcached -h | grep -q -- --enable-sasl'
need "Debian's memcached wrapper or default configuration is missing" \
	test -x "$WRAPPER" -a -f /usr/share/memcached/memcached.conf.default
need "there is no user memcache" id memcache
need "python3 is not installed" have python3
need "tests run as root (the wrapper)" test "$(id -u)" -eq 0

need_snippet GROUP store-group

HN=$(hostname)
deploy_store
keyset "alice$$@$HN" memcached smtp
K_norealm=$(new_key "$TMP/k.norealm" "alice$$")
# The page: memcached's group is memcache.
printf '%s\n' "$GROUP" | here | sed "s|^keyadm group postfix\$|'$KEYADM' group memcache|" >"$TMP/group.sh"
check "the page's keyadm group (group memcache) applies" sh "$TMP/group.sh"
is "the store is root:memcache 0640" "$(stat -c '%U:%G %a' "$DB")" "root:memcache 640"

# Debian's memcached.conf as the package installs it, then the page's line.
# Only the port and the pid file are the test's.
cp /usr/share/memcached/memcached.conf.default "$TMP/memcached.conf"
like "Debian's file runs memcached as memcache" "$(cat "$TMP/memcached.conf")" '^-u memcache'
check "the page's -S is appended" snippet_apply "$MAN_SASL" memcached.conf "$TMP/memcached.conf"
is "memcached.conf ends with -S" "$(tail -n 1 "$TMP/memcached.conf")" "-S"
PORT=$(free_port)
sed -i -e "s|^-p 11211|-p $PORT|" -e "s|^-P .*|-P $TMP/memcached.pid|" "$TMP/memcached.conf"
mkdir "$TMP/sasl2"
check "the page's /etc/sasl2/memcached.conf is created" apply_here memcached-sasl.conf "$TMP/sasl2"
sasl_plugins "$TMP/sasl-plugins"
check "the page's client is written" snippet_apply "$MAN_SASL" memcached-client "$TMP"

(san_env && exec env SASL_CONF_PATH="$TMP/sasl2" SASL_PATH="$TMP/sasl-plugins" \
	"$WRAPPER" "$TMP/memcached.conf") >"$TMP/mc.log" 2>&1 &
MC=$!
at_exit "kill $MC"
check "memcached -S listens on 127.0.0.1:$PORT" wait_port "$PORT"
is "memcached runs as memcache" "$(ps -o user= -p "$MC" | tr -d ' ')" memcache

# mc KEYFILE USER: the page's client; its answer in $TMP/mc.out.
mc() { python3 "$TMP/mc-version.py" 127.0.0.1 "$PORT" "$2" "$1" >"$TMP/mc.out" 2>&1; }
passes() { login_in "$(basename "$1") as $2" "$TMP/mc.out" '^[0-9]+\.[0-9]+' mc "$@"; }
fails() { login_out "$(basename "$1") as $2" "$TMP/mc.out" 'authentication failed' mc "$@"; }
passes "$TMP/k.valid" "alice$$"
passes "$TMP/k.valid" "alice$$@$HN"
passes "$TMP/k.valid2" "alice$$"
for k in forged other revoked disabled expired wrongsvc password; do
	fails "$TMP/k.$k" "alice$$"
done
fails "$TMP/k.valid" "bob$$"
fails "$TMP/k.norealm" "alice$$"
ka revoke "$K_valid2" >/dev/null 2>&1
fails "$TMP/k.valid2" "alice$$"
check "memcached is still running" kill -0 "$MC"

E="$STORE/keys.events"
is "the events name the identity authorised, alice@HOST, exactly" \
	"$(grep -c "	VALID	$K_valid	alice$$@$HN	memcached	" "$E")" 2
check "the key without the realm: WRONG_USER for alice@HOST" grep -q "	WRONG_USER	$K_norealm	alice$$@$HN	" "$E"
check "the key revoked while memcached ran: REVOKED" grep -q "	REVOKED	$K_valid2	alice$$@$HN	" "$E"
used_in_list "$K_valid"
# shellcheck disable=SC2086 # the key files are words
no_secret_in "$TMP/mc.log" $KEYFILES "$TMP/k.norealm"
# shellcheck disable=SC2086
no_secret_in "$E" $KEYFILES "$TMP/k.norealm"
done_testing
