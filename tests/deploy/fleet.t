#!/bin/sh
# shellcheck disable=SC2086 # host lists split on purpose
# keyadm(8) FLEET, wired as shipped: a primary and $FLEET_HOSTS replicas
# (3), each a network namespace of this test on one bridge, each replica
# running the real sshd with pam_apikey on its own store. The primary's
# change hook conf/hooks.d/fleet-publish publishes and pushes with rsync
# over ssh into every replica's write-only drop directory (its
# authorized_keys forcing rrsync -wo); on each replica the
# apikey-install.service command runs when the drop directory changes
# (tests/deploy/pathunit.py does the path unit's part). A key created on
# the primary logs in on every replica; once keyadm revoke returns, it is
# refused everywhere. A replica cut off still gets the change made on
# the primary within the hook's time, and later the re-publish
# (apikey-publish.service). The push account can only write its drop
# directory; an old bundle (a revoked key active again), a truncated one or
# junk that it drops is refused and changes nothing. Cut off for longer
# than the bundles' validity, a replica refuses every key (stale).
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"
. "$TOP/tests/pam_apikey/pamlib.sh"
. "$TOP/tests/deploy/snippet.sh"
. "$TOP/tests/deploy/fleetlib.sh"
N=${FLEET_HOSTS:-3}
# The hosts' sshd and the hook's ssh and rsync run inside namespaces the
# sanitizers' preload does not reach: the PAM module under ASan is tested
# by deploy/sshd.t and tests/pam_apikey instead.
unsanitized "the fleet's sshd in its namespaces"
need "pam_apikey.so is not built" test -f "$SO"
need "needs root (namespaces, useradd, sshd)" test "$(id -u)" -eq 0
need "openssh, sshpass, rsync or iproute2 is not installed" \
	have /usr/sbin/sshd ssh ssh-keygen sshpass rsync rrsync ip useradd flock timeout
need "no stock /etc/pam.d/sshd or /etc/ssh/sshd_config" test -f /etc/pam.d/sshd -a -f /etc/ssh/sshd_config
need "cannot make network namespaces here" sh -c "ip netns add ${FNS}probe && ip netns del ${FNS}probe"
check "$N replicas and the primary on a bridge, in namespaces of their own" fleet_net "$N"

fleet_setup
A=$(new_key "$TMP/a" "$U")
B=$(new_key "$TMP/b" "$U")
forge "$TMP/a" "$TMP/forged"
chmod 0600 "$TMP/a" "$TMP/b" "$TMP/forged"
: "$A"

# every DESC PRED KEYFILE: PRED holds on every replica within ~5 s; the
# seconds until it held everywhere in $T.
every() {
	_t0=$(date +%s%N)
	_h=1
	while [ "$_h" -le "$N" ]; do
		_try=0
		until $2 "$_h" "$3"; do
			_try=$((_try + 1))
			[ "$_try" -lt 25 ] || break
			sleep 0.2
		done
		[ "$_try" -lt 25 ] || break
		_h=$((_h + 1))
	done
	T=$((($(date +%s%N) - _t0) / 1000000))
	if [ "$_h" -gt "$N" ]; then ok "$1 (${T} ms)"; else not_ok "$1 (not on host $_h)"; fi
}
every "a key created on the primary logs in on every replica" login_ok "$TMP/a"
every "a forged key is refused on every replica" login_refused "$TMP/forged"
every "a second key logs in on every replica" login_ok "$TMP/b"
cp "$(ls -1 "$TMP"/p/out/bundle-* | tail -n 1)" "$TMP/old.akb" # B active in it
ka revoke "$B" >/dev/null 2>"$TMP/err"
every "revoked on the primary: refused by ssh on every replica" login_refused "$TMP/b"
is "the hook pushed without a warning" "$(grep -i warn "$TMP/err")" ""
every "the other key still logs in everywhere" login_ok "$TMP/a"

# The push account: rrsync -wo, nothing else.
pssh() { in_host 0 ssh -F "$PE/fleet.ssh_config" -o BatchMode=yes "$@" </dev/null 2>&1; }
like "the push account gets no shell" "$(pssh h1 id)" 'rrsync|not allowed|rsync'
unlike "... and ran nothing" "$(pssh h1 id)" 'uid='
newest=$(ls -1r "$TMP/p/out" | grep -E '^bundle-' | head -n 1)
out=$(in_host 0 rsync -e "ssh -F $PE/fleet.ssh_config -o BatchMode=yes" "h1:$newest" "$TMP/stolen" 2>&1)
like "the push account cannot read a bundle back" "$out" 'write-only'
check "... and nothing was read" test ! -e "$TMP/stolen"
check "the drop directory keeps the installed bundle (rsync's basis)" test -f "$TMP/h1/drop/$newest"
if [ "$LOGS" -eq 1 ]; then
	pushed=""
	i=1
	while [ "$i" -le "$N" ]; do
		logged | grep -q "hook fleet-publish: fleet-publish: h$i: bundle-[0-9]\{20\}\.akb sent ([0-9]* bytes, [0-9]* received)" &&
			pushed="$pushed h$i"
		i=$((i + 1))
	done
	is "the hook logged each host's push with rsync's bytes sent" "$pushed" "$(seq -f ' h%g' -s '' 1 "$N")"
else
	skip "no private mount namespace here: syslog not captured"
fi

# A replica cut off: the change is made and pushed to the others within
# the hook's time; the unreachable host is logged. Back on the bridge, the
# primary's re-publish (apikey-publish.service, as its timer runs it)
# brings it up to date.
link_down "$N"
t0=$(date +%s)
ka create "$U" >"$TMP/c" 2>"$TMP/err"
rc=$?
chmod 0600 "$TMP/c"
C=$(cut -d_ -f2 "$TMP/c")
is "a change with a replica unreachable is made (exit 0)" "$rc" 0
t=$(($(date +%s) - t0))
check "... within the hook's 10 seconds (${t}s)" test "$t" -le 10
like "... and keyadm warns that the hook failed" "$(cat "$TMP/err")" 'fleet-publish failed'
N0=$N
N=$((N0 - 1))
every "... the new key logs in on the reachable replicas" login_ok "$TMP/c"
N=$N0
check "... not on the cut-off host" login_refused "$N" "$TMP/c"
if [ "$LOGS" -eq 1 ]; then
	like "... whose failure is logged" "$(logged)" "fleet-publish: h$N: bundle-[0-9]{20}\.akb not sent: "
else
	skip "no private mount namespace here: syslog not captured"
fi
link_up "$N"
if publish_cmd >"$TMP/err" 2>&1; then
	ok "apikey-publish.service's command re-publishes"
else
	not_ok "apikey-publish.service's command re-publishes"
	sed 's/^/# /' "$TMP/err"
fi
every "... and the host back on the bridge gets the new key" login_ok "$TMP/c"


# What the push account drops that is not a newer bundle of this primary
# is refused, removed, and changes nothing; the next real push installs.
pdrop() { in_host 0 rsync -e "ssh -F $PE/fleet.ssh_config -o BatchMode=yes" "$1" "h1:$2" >/dev/null 2>&1; }
gone() {
	_try=0
	while [ -e "$TMP/h1/drop/$1" ] && [ "$_try" -lt 50 ]; do
		sleep 0.1
		_try=$((_try + 1))
	done
	[ ! -e "$TMP/h1/drop/$1" ]
}
before=$(APIKEY_DB=$TMP/h1/keys.db APIKEY_CONFIG=$TMP/h1/apikey.conf ka status --json)
HI=bundle-99999999999999999999.akb
check "the push account drops an old bundle (a key active again) under a higher name" pdrop "$TMP/old.akb" "$HI"
check "... the replica refuses it and removes it" gone "$HI"
like "... saying why" "$(cat "$TMP/h1/install.log")" "$HI refused, removed: .*(serial|rollback|older|lower)"
check "... the revoked key is still refused there" login_refused 1 "$TMP/b"
check "... the valid key still logs in" login_ok 1 "$TMP/a"
is "... and the replica's store is as it was" "$(APIKEY_DB=$TMP/h1/keys.db APIKEY_CONFIG=$TMP/h1/apikey.conf ka status --json)" "$before"
head -c 100 "$TMP/old.akb" >"$TMP/cut.akb"
check "a truncated bundle dropped" pdrop "$TMP/cut.akb" "$HI"
check "... is refused and removed" gone "$HI"
printf 'not a bundle\n' >"$TMP/junk.akb"
check "a file that is no bundle dropped" pdrop "$TMP/junk.akb" "$HI"
check "... is refused and removed" gone "$HI"
ka revoke "$C" >/dev/null 2>&1
every "after the refused drops a revocation still reaches every replica" login_refused "$TMP/c"

# Cut off and stale: bundles valid 5 s, the re-publish every second or so
# reaches every host but the one cut off, which fails closed once its
# bundle has expired; back on the bridge, it answers again.
cp "$PE/fleet.conf" "$TMP/fleet.conf.1h"
printf 'valid 5s\ntimeout 2\n' >>"$PE/fleet.conf"
check "bundles valid 5 s pushed" publish_cmd
every "... the key logs in everywhere" login_ok "$TMP/a"
link_down "$N"
t0=$(date +%s)
while [ $(($(date +%s) - t0)) -lt 7 ]; do
	publish_cmd >/dev/null 2>&1
	sleep 1
done
publish_cmd >/dev/null 2>&1
check "a replica still pushed to answers" login_ok 1 "$TMP/a"
check "the replica cut off for longer than the validity refuses the valid key (stale)" login_refused "$N" "$TMP/a"
like "... its keyadm status says stale" "$(APIKEY_DB=$TMP/h$N/keys.db APIKEY_CONFIG=$TMP/h$N/apikey.conf ka status --json)" '"stale": ?true'
link_up "$N"
cp "$TMP/fleet.conf.1h" "$PE/fleet.conf"
check "back on the bridge, the re-publish reaches it" publish_cmd
every "... and the key logs in everywhere again" login_ok "$TMP/a"
done_testing
