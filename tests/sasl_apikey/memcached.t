#!/bin/sh
# shellcheck disable=SC2034,SC2086 # ids kept for reference; option lists split on purpose
# A real memcached -S (SASL, binary protocol) on 127.0.0.1 with sasl_apikey,
# driven by the SASL-capable libmemcached tools, several clients at once.
# memcached reads <SASL_CONF_PATH>/memcached.conf and runs as nobody. It
# gives the library its host name as the user_realm: alice logs in as
# alice@HOST, so the keys are made for that canonical name.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/keyadm/cli.sh"
. "$TOP/tests/sasl_apikey/sasllib.sh"

need "memcached is not installed" have memcached
need "libmemcached-tools is not installed" have memcstat memccp memccat
need "memcstat has no SASL options" sh -c 'memcstat --help | grep -q -- --username'
need "memcached has no SASL support" sh -c 'memcached -h | grep -q -- --enable-sasl'
need "there is no user nobody" id nobody

new_store
U="alice@$(hostname)"
A=$(new_key "$TMP/a" "$U")
R=$(new_key "$TMP/r" "$U")
D=$(new_key "$TMP/d" "$U")
S=$(new_key "$TMP/s" "$U" --service smtp)
V=$(new_key "$TMP/v" "$U")
P=$(new_key "$TMP/p" alice)
: "$A $D $S $P"
ka revoke "$R" >/dev/null 2>&1
ka disable "$D" >/dev/null 2>&1
forge "$TMP/a" "$TMP/forged"
chmod 0644 "$DB" 2>/dev/null # memcached runs as nobody
chmod 0755 "$PLUGDIR"

mkdir "$TMP/saslconf"
printf 'mech_list: PLAIN\napikey_db: %s\napikey_events: none\n' "$DB" >"$TMP/saslconf/memcached.conf"
PORT=$(free_port)
(san_env && exec env SASL_CONF_PATH="$TMP/saslconf" SASL_PATH="$PLUGDIR" \
	memcached -S -u nobody -l 127.0.0.1 -p "$PORT" -U 0 -t 4 -vv) >"$TMP/mc.log" 2>&1 &
MC=$!
at_exit "kill $MC"
check "memcached -S listens on 127.0.0.1:$PORT" wait_port "$PORT"

M="-b -s 127.0.0.1:$PORT"
# mc TOOL KEYFILE USER ARGS...: a libmemcached tool authenticated with the
# key in KEYFILE (on its argv: acceptable only for throwaway test keys).
mc() {
	_t=$1 _k=$2 _u=$3
	shift 3
	# shellcheck disable=SC2086
	(cd "$TMP" && "$_t" $M -u "$_u" -p "$(cat "$_k")" "$@")
}

check "memcstat with a valid key" q mc memcstat "$TMP/a" alice
echo "value-$$" >"$TMP/item1"
check "memccp with a valid key stores an item" q mc memccp "$TMP/a" alice item1
is "memccat with a valid key reads it back" "$(mc memccat "$TMP/a" alice item1 2>/dev/null)" "value-$$"
check_fails "revoked key: refused" q mc memcstat "$TMP/r" alice
check_fails "revoked key: cannot read the item" q mc memccat "$TMP/r" alice item1
check_fails "disabled key: refused" q mc memcstat "$TMP/d" alice
check_fails "forged key: refused" q mc memcstat "$TMP/forged" alice
check_fails "alice's key as bob: refused" q mc memcstat "$TMP/a" bob
check_fails "key limited to smtp: refused by memcached" q mc memcstat "$TMP/s" alice
printf 'hunter2\n' >"$TMP/pw"
check_fails "a normal password: refused" q mc memcstat "$TMP/pw" alice
check_fails "a key of alice without the realm: refused (alice is alice@HOST here)" q mc memcstat "$TMP/p" alice
check "  logged as WRONG_USER for the canonical name" grep -q "user=$U key=$P result=WRONG_USER" "$TMP/mc.log"
check "a valid key accepted for the canonical name" grep -q "key $A accepted for $U service memcached" "$TMP/mc.log"

# Several clients at once (memcached authenticates on its worker threads).
i=0 pids=""
while [ $i -lt 12 ]; do
	echo "v$i" >"$TMP/c$i"
	(mc memccp "$TMP/a" alice "c$i" >"$TMP/c$i.err" 2>&1 && mc memccat "$TMP/a" alice "c$i" >"$TMP/c$i.got" 2>>"$TMP/c$i.err") &
	pids="$pids $!"
	(q mc memcstat "$TMP/forged" alice && echo bad >"$TMP/f$i.bad") &
	pids="$pids $!"
	i=$((i + 1))
done
for p in $pids; do wait "$p"; done
good=0 bad=0
i=0
while [ $i -lt 12 ]; do
	[ "$(cat "$TMP/c$i.got" 2>/dev/null)" = "v$i" ] && good=$((good + 1))
	[ -e "$TMP/f$i.bad" ] && bad=$((bad + 1))
	i=$((i + 1))
done
is "12 concurrent clients with a valid key all stored and read back" "$good" 12
is "12 concurrent clients with a forged key all refused" "$bad" 0

# Revocation without restarting memcached.
check "key v works" q mc memcstat "$TMP/v" alice
ka revoke "$V" >/dev/null 2>&1
check_fails "key v revoked: the next connection is refused" q mc memcstat "$TMP/v" alice
check "memcached is still running" kill -0 "$MC"

check "memcached's log has our plugin's lines" grep -q "apikey: " "$TMP/mc.log"
check "the log names the revoked key's result" grep -q "key=$V result=REVOKED" "$TMP/mc.log"
no_secret_in "$TMP/mc.log" "$TMP/a" "$TMP/r" "$TMP/d" "$TMP/s" "$TMP/v" "$TMP/p" "$TMP/forged"
done_testing
