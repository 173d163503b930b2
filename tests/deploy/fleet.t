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
# refused everywhere. The push account can only write its drop directory;
# a file it drops that is not a good bundle changes nothing.
. "$TOP/tests/lib.sh"
. "$TOP/tests/cli/cli.sh"
. "$TOP/tests/pam/pamlib.sh"
. "$TOP/tests/deploy/snippet.sh"
. "$TOP/tests/deploy/fleetlib.sh"
N=${FLEET_HOSTS:-3}
need "pam_apikey.so is not built" test -f "$SO"
need "needs root (namespaces, useradd, sshd)" test "$(id -u)" -eq 0
need "openssh, sshpass, rsync or iproute2 is not installed" \
	have /usr/sbin/sshd ssh ssh-keygen sshpass rsync rrsync ip useradd flock timeout
need "no stock /etc/pam.d/sshd or /etc/ssh/sshd_config" test -f /etc/pam.d/sshd -a -f /etc/ssh/sshd_config
need "cannot make network namespaces here" sh -c "ip netns add ${FNS}probe && ip netns del ${FNS}probe"
check "$N replicas and the primary on a bridge, in namespaces of their own" fleet_net "$N"

# The real keyadm once it publishes; until then a store copy stands in.
REAL=0
if ka publish --help >/dev/null 2>&1; then
	REAL=1
	FKEYADM=$KEYADM
else
	export REAL_KEYADM="$KEYADM"
	FKEYADM=$TOP/tests/deploy/fleetstub.sh
	diag "keyadm has no publish yet: the bundle is a copy of the store"
fi

new_user akfl
P=akpu$$
useradd -m -s /bin/sh "$P" || skip_all "useradd $P"
at_exit "userdel -r -f $P >/dev/null 2>&1"
PH=$(getent passwd "$P" | cut -d: -f6)
# The push account's authorized_keys: one line forcing rrsync -wo into the
# drop directory, which each replica's sshd sees at $PH/drop.
install -d -m 0700 -o "$P" -g "$P" "$PH/.ssh" "$PH/drop"

# The primary: its store, the hook in its hooks directory, fleet.conf.
PE=$TMP/p/etc
mkdir -p -m 755 "$TMP/p" "$PE" "$PE/hooks.d"
printf 'hooks_dir %s\n' "$PE/hooks.d" >"$PE/apikey.conf"
export APIKEY_CONFIG="$PE/apikey.conf"
install -m 0755 "$TOP/conf/hooks.d/fleet-publish" "$PE/hooks.d/"
ssh-keygen -q -t ed25519 -N '' -C '' -f "$TMP/pushkey"
printf 'command="rrsync -wo %s",restrict %s\n' "$PH/drop" "$(cat "$TMP/pushkey.pub")" >"$PH/.ssh/authorized_keys"
chown "$P:" "$PH/.ssh/authorized_keys"
: >"$PE/fleet.hosts"
: >"$PE/known_hosts"
: >"$PE/fleet.ssh_config"
{
	printf 'outdir %s\ncontrol %s\nkeyadm %s\n' "$TMP/p/out" "$TMP/cm" "$FKEYADM"
} >"$PE/fleet.conf"

# The replicas: a store path, a drop directory the push account owns, an
# authorized_keys line forcing rrsync -wo, the stock PAM and sshd files
# with pam_apikey(8)'s keys-only recipe.
i=1
while [ "$i" -le "$N" ]; do
	H=$TMP/h$i
	mkdir -p -m 755 "$H" "$H/pam.d"
	install -d -m 0700 -o "$P" -g "$P" "$H/drop"
	for f in /etc/pam.d/*; do [ -f "$f" ] && cp "$f" "$H/pam.d/"; done
	cp /etc/pam.d/sshd "$H/pam.d/sshd.new"
	DB=$H/keys.db snippet_apply "$TOP/man/pam_apikey.8" pam-keys "$H/pam.d/sshd.new" &&
		DB=$H/keys.db pam_localize "$H/pam.d/sshd.new" && mv "$H/pam.d/sshd.new" "$H/pam.d/sshd"
	ssh-keygen -q -t ed25519 -N '' -C '' -f "$H/hostkey"
	{
		printf 'ListenAddress %s:22\nHostKey %s\nPidFile %s\n' \
			"$(fip "$i")" "$H/hostkey" "$H/sshd.pid"
		cat /etc/ssh/sshd_config
	} >"$H/sshd_config"
	printf 'h%s\n' "$i" >>"$PE/fleet.hosts"
	printf '%s %s\n' "$(fip "$i")" "$(cut -d' ' -f1-2 "$H/hostkey.pub")" >>"$PE/known_hosts"
	printf 'Host h%s\n\tHostName %s\n\tUser %s\n\tIdentityFile %s\n\tUserKnownHostsFile %s\n\tStrictHostKeyChecking yes\n' \
		"$i" "$(fip "$i")" "$P" "$TMP/pushkey" "$PE/known_hosts" >>"$PE/fleet.ssh_config"
	i=$((i + 1))
done

# install_cmd I: apikey-install.service's command for host I.
install_cmd() {
	sed -n 's/^ExecStart=@SBINDIR@\///p' "$TOP/conf/systemd/apikey-install.service" |
		sed "s#^#$TOP/conf/fleet/#; s#/var/lib/apikey/drop#$TMP/h$1/drop#"
}
i=1
while [ "$i" -le "$N" ]; do
	H=$TMP/h$i
	(
		export APIKEY_DB=$H/keys.db KEYADM=$FKEYADM
		# shellcheck disable=SC2046 # the command's words
		exec python3 "$TOP/tests/deploy/pathunit.py" "$H/drop" $(install_cmd "$i")
	) >"$H/install.log" 2>&1 &
	at_exit "kill $!"
	replica_sshd "$i" "$H/pam.d" "$H/sshd_config" "$H/drop" "$PH/drop" || not_ok "sshd of host $i listens"
	i=$((i + 1))
done
ok "every replica's sshd listens on its own address"

# keyadm on the primary, its hooks pushing over the bridge; syslog captured.
LOGS=0
LOGNS_CMD=""
if logns_works && start_syslog; then
	LOGS=1
	LOGNS_CMD="sh $LOGNS $TMP/log.sock"
fi
# shellcheck disable=SC2086 # the wrapper's words
ka() { in_host 0 $LOGNS_CMD "$KEYADM" "$@"; }
new_store
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
	like "the hook logged each host's push with rsync's bytes sent" \
		"$(logged | grep -c "hook fleet-publish: fleet-publish: h[0-9]*: bundle-[0-9]\{20\}\.akb sent ([0-9]* bytes)")" "^$((N * 4))\$"
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
publish_cmd() {
	env=$(sed -n 's/^Environment=//p' "$TOP/conf/systemd/apikey-publish.service")
	cmd=$(sed -n 's/^ExecStart=//p' "$TOP/conf/systemd/apikey-publish.service" | sed "s#^/etc/apikey#$PE#")
	# shellcheck disable=SC2086 # the unit's words
	in_host 0 ${LOGNS_CMD:-} env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin APIKEY_DB="$DB" $env $cmd </dev/null
}
if publish_cmd >"$TMP/err" 2>&1; then
	ok "apikey-publish.service's command re-publishes"
else
	not_ok "apikey-publish.service's command re-publishes"
	sed 's/^/# /' "$TMP/err"
fi
every "... and the host back on the bridge gets the new key" login_ok "$TMP/c"

done_testing
