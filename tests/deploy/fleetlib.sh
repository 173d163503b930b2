# Helpers for the fleet tests (sourced after tests/lib.sh, tests/cli/cli.sh,
# tests/pam/pamlib.sh and tests/deploy/snippet.sh): a primary and N
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
# libpam reads this host's files and nothing outside sees them) and, when
# given, the directory AT is DROP; stopped at exit.
replica_sshd() {
	[ -d /run/sshd ] || {
		mkdir -m 0755 /run/sshd
		at_exit "rmdir /run/sshd"
	}
	ip netns exec "$(fns "$1")" unshare --mount --propagation private \
		sh -c 'mount --bind "$0" /etc/pam.d && { [ -z "$2" ] || mount --bind "$2" "$3"; } &&
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
