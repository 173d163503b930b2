# Helpers for the fleet tests (sourced after tests/lib.sh, tests/keyadm/cli.sh,
# tests/pam_apikey/pamlib.sh and tests/deploy/snippet.sh): a primary and N
# replicas, each a network namespace of this test on one bridge (10.254.0.0/24
# exists only inside them), each replica with its own sshd using pam_apikey
# on its own store, the primary pushing with keyadm(8)'s FLEET wiring.
#
# Host 0 is the primary (10.254.0.1); replica i is 10.254.0.(i+1), files in
# $TMP/hI. Everything is removed at exit: namespaces, processes, users.
FNS="akf$$"
FSW="${FNS}sw"
# fns I: the namespace of host I.
fns() { echo "${FNS}h$1"; }
fip() { echo "10.254.0.$(($1 + 1))"; }
# in_host I CMD...: CMD in host I's network namespace.
in_host() {
	_h=$1
	shift
	ip netns exec "$(fns "$_h")" "$@"
}

# fleet_net N: the bridge namespace and hosts 0..N.
fleet_net() {
	ip netns add "$FSW" || return 1
	at_exit "ip netns del $FSW"
	ip -n "$FSW" link add br0 type bridge && ip -n "$FSW" link set br0 up || return 1
	_i=0
	while [ "$_i" -le "$1" ]; do
		ip netns add "$(fns "$_i")" || return 1
		at_exit "ip netns del $(fns "$_i")"
		# before the namespace goes: every process the test started in it
		# (sshd's sessions would outlive their listener, waiting forever
		# on connections whose other end is gone with the namespace)
		at_exit "ip netns pids $(fns "$_i") | xargs -r kill -9"
		ip -n "$FSW" link add "v$_i" type veth peer name eth0 netns "$(fns "$_i")" &&
			ip -n "$FSW" link set "v$_i" master br0 up &&
			ip -n "$(fns "$_i")" addr add "$(fip "$_i")/24" dev eth0 &&
			ip -n "$(fns "$_i")" link set eth0 up &&
			ip -n "$(fns "$_i")" link set lo up || return 1
		_i=$((_i + 1))
	done
}
# link_down I, link_up I: host I cut off from the bridge, and back.
link_down() { ip -n "$FSW" link set "v$1" down; }
link_up() { ip -n "$FSW" link set "v$1" up; }

# wait_tcp I ADDR PORT: until ADDR:PORT accepts from host I (~10 s).
wait_tcp() {
	in_host "$1" python3 - "$2" "$3" <<'PY'
import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection((sys.argv[1], int(sys.argv[2])), 0.5).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY
}

# replica_sshd I PAMD CONFIG [DROP AT]: the real sshd of host I in its
# namespace and a private mount namespace in which /etc/pam.d is PAMD (so
# libpam reads this host's files and nothing outside sees them), /run is
# its own (sshd's /run/sshd, which no other test can remove meanwhile)
# and, when given, the directory AT is DROP; stopped at exit.
replica_sshd() {
	ip netns exec "$(fns "$1")" unshare --mount --propagation private \
		sh -c 'mount --bind "$0" /etc/pam.d && mount -t tmpfs -o mode=0755 tmpfs /run &&
			mkdir -m 0755 /run/sshd && { [ -z "$2" ] || mount --bind "$2" "$3"; } &&
			exec /usr/sbin/sshd -D -e -f "$1"' "$2" "$3" "${4:-}" "${5:-}" \
		>"$TMP/h$1/sshd.log" 2>&1 &
	at_exit "kill $!"
	wait_tcp 0 "$(fip "$1")" 22
}

# ssh_at I KEYFILE [USER]: one password login to replica I, from a client
# in its own namespace (so a host cut off from the bridge is still asked),
# with the file's first line as the password; what the remote command
# printed, or ssh's complaint.
ssh_at() {
	in_host "$1" sshpass -f "$2" ssh -F /dev/null \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
		-o PubkeyAuthentication=no -o PreferredAuthentications=password \
		-o NumberOfPasswordPrompts=1 -o ConnectTimeout=5 \
		"${3:-$U}@$(fip "$1")" 'echo "logged in on $(hostname -I 2>/dev/null | cut -d" " -f1)"' 2>&1 </dev/null
}
# login_ok I KEYFILE: ssh_at succeeds; login_refused I KEYFILE: refused
# (ssh's "Permission denied", exit 255).
login_ok() {
	case $(ssh_at "$1" "$2") in *"logged in"*) return 0 ;; esac
	return 1
}
login_refused() {
	_o=$(ssh_at "$1" "$2")
	_rc=$?
	case $_o in *"Permission denied"*) [ "$_rc" -eq 255 ] ;; *) return 1 ;; esac
}

# fleet_setup: on the namespaces of fleet_net $N, the test users $U (keys)
# and $P (the push account), the primary (its store $DB with a signing key,
# the shipped hook, fleet.conf, hosts, ssh_config from keyadm(8)) and every
# replica (stock PAM and sshd files with pam_apikey(8)'s keys-only recipe
# on its own store, its sshd, the install command run as the path unit
# would). ka runs keyadm on the primary (syslog captured when $LOGS is 1).
fleet_setup() {
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
	# keyadm(8)'s authorized_keys line, with this test's drop directory and key.
	check "keyadm(8)'s authorized_keys snippet" snippet_apply "$TOP/man/keyadm.8" fleet-authorized-keys "$PH/.ssh"
	sed -i "s#/var/lib/apikey/drop#$PH/drop#; s#ssh-ed25519 AAAA\.\.\. root@primary#$(cat "$TMP/pushkey.pub")#" \
		"$PH/.ssh/authorized_keys"
	like "... forces rrsync -wo" "$(cat "$PH/.ssh/authorized_keys")" '^command="rrsync -wo [^"]*",restrict ssh-ed25519 '
	chown "$P:" "$PH/.ssh/authorized_keys"
	: >"$PE/fleet.hosts"
	: >"$PE/known_hosts"
	: >"$PE/fleet.ssh_config"
	{
		printf 'outdir %s\ncontrol %s\nkeyadm %s\n' "$TMP/p/out" "$TMP/cm" "$KEYADM"
	} >"$PE/fleet.conf"

	# The replicas: a store path, a drop directory the push account owns, an
	# authorized_keys line forcing rrsync -wo, the stock PAM and sshd files
	# with pam_apikey(8)'s keys-only recipe.
	i=1
	while [ "$i" -le "$N" ]; do
		H=$TMP/h$i
		mkdir -p -m 755 "$H" "$H/pam.d"
		printf 'fleet_trust %s\n' "$H/primary.pub" >"$H/apikey.conf"
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
		printf 'Host h%s\n\tHostName %s\n' "$i" "$(fip "$i")" >>"$PE/fleet.ssh_config"
		i=$((i + 1))
	done

	# keyadm(8)'s fleet.ssh_config after the hosts' addresses, localized.
	snippet "$TOP/man/keyadm.8" fleet-ssh-config |
		sed "s#/etc/apikey/fleet.key#$TMP/pushkey#; s#/etc/apikey/fleet.known_hosts#$PE/known_hosts#; s#apikey-push#$P#" \
			>>"$PE/fleet.ssh_config"
	like "keyadm(8)'s fleet.ssh_config snippet" "$(cat "$PE/fleet.ssh_config")" "User $P"
	# install_cmd I: apikey-install.service's command for host I.
	install_cmd() {
		sed -n 's/^ExecStart=@SBINDIR@\///p' "$TOP/conf/systemd/apikey-install.service" |
			sed "s#^#$TOP/conf/fleet/#; s#/var/lib/apikey/drop#$TMP/h$1/drop#"
	}
	i=1
	while [ "$i" -le "$N" ]; do
		H=$TMP/h$i
		(
			export APIKEY_DB=$H/keys.db APIKEY_CONFIG=$H/apikey.conf KEYADM
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
	ka signing-key create >/dev/null
	i=1
	while [ "$i" -le "$N" ]; do
		cp "$TMP/keys.db.pub" "$TMP/h$i/primary.pub"
		i=$((i + 1))
	done
}

# publish_cmd: apikey-publish.service's command, as its timer runs it, on
# the primary (its output in $TMP/publish.out).
publish_cmd() {
	env=$(sed -n 's/^Environment=//p' "$TOP/conf/systemd/apikey-publish.service")
	cmd=$(sed -n 's/^ExecStart=//p' "$TOP/conf/systemd/apikey-publish.service" | sed "s#^/etc/apikey#$PE#")
	# shellcheck disable=SC2086 # the unit's words
	in_host 0 ${LOGNS_CMD:-} env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin APIKEY_DB="$DB" $env $cmd </dev/null >"$TMP/publish.out"
}
