# Helpers for the PAM integration tests (sourced after tests/lib.sh and
# tests/cli/cli.sh): a captured syslog, free loopback ports, pam_wrapper.
SO="$TOP/pam_apikey/pam_apikey.so"
MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
PWRAP_LIB=/usr/lib/$MULTIARCH/libpam_wrapper.so

# need WHAT CMD...: skips the whole test unless CMD succeeds.
need() {
	_what=$1
	shift
	"$@" >/dev/null 2>&1 || skip_all "$_what"
}

# have CMD...: every CMD is installed.
have() {
	for _c; do
		command -v "$_c" >/dev/null 2>&1 || return 1
	done
}

# sshd_conf DIR PORT: a private sshd: makes the host key DIR/hostkey and
# writes DIR/sshd_config for password and keyboard-interactive logins
# through PAM on 127.0.0.1:PORT (pid file DIR/sshd.pid, no root login).
sshd_conf() {
	ssh-keygen -q -t ed25519 -N '' -C '' -f "$1/hostkey"
	cat >"$1/sshd_config" <<CONF
ListenAddress 127.0.0.1:$2
HostKey $1/hostkey
PidFile $1/sshd.pid
UsePAM yes
KbdInteractiveAuthentication yes
PasswordAuthentication yes
PubkeyAuthentication no
AuthorizedKeysFile none
PermitRootLogin no
UseDNS no
PrintMotd no
LogLevel VERBOSE
CONF
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_port PORT: until something accepts on 127.0.0.1:PORT (at most ~10 s).
wait_port() {
	python3 - "$1" <<'PY'
import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.5).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY
}

# start_syslog: a listener on $TMP/log.sock writing $SYSLOG; in_logns
# CMD... runs CMD with /dev/log bound to it (tests/pam/logns.sh).
SYSLOG="$TMP/syslog"
start_syslog() {
	python3 "$TOP/tests/pam/syslog_listen.py" "$TMP/log.sock" "$SYSLOG" &
	_syslog_pid=$!
	at_exit "kill $_syslog_pid"
	_i=0
	while [ ! -e "$SYSLOG.ready" ] && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	[ -e "$SYSLOG.ready" ]
}
# sync_log: returns once everything sent to the listener before it is in
# $SYSLOG (a marker goes through the same FIFO datagram socket); markers
# are left out by logged().
_sync=0
sync_log() {
	_sync=$((_sync + 1))
	logger -d -u "$TMP/log.sock" "apikey-test-sync-$_sync" 2>/dev/null || return 1
	_i=0
	while ! grep -q "apikey-test-sync-$_sync\$" "$SYSLOG" && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
}
logged() { sync_log && grep -v 'apikey-test-sync-' "$SYSLOG"; }
# mark, then since: the captured lines logged after the mark.
_mark=0
mark() { _mark=$(logged | wc -l); }
since() { logged | tail -n +$((_mark + 1)); }
in_logns() { sh "$TOP/tests/pam/logns.sh" "$TMP/log.sock" "$@"; }
LOGNS="$TOP/tests/pam/logns.sh"
# logns_works: can this machine make a private mount namespace?
logns_works() { unshare --mount --propagation private true; }

# pam_wrapper copies the service files into /tmp/pam.? directories; a
# process that ends with _exit (sshd's children) leaves its copy. Removes
# the copies of this test's services (they name $TMP) whose process is gone.
pwrap_cleanup() {
	for _d in /tmp/pam.?; do
		[ -f "$_d/pid" ] || continue
		grep -qsF "$TMP/" "$_d"/* || continue
		kill -0 "$(cat "$_d/pid")" 2>/dev/null && continue
		rm -rf "$_d"
	done
}

# pwrap CMD...: CMD under pam_wrapper with service files from $PAMD;
# module messages go to syslog (PAM_WRAPPER_USE_SYSLOG), not stderr.
# Under SANITIZE=1, libasan is preloaded before pam_wrapper (san_env).
PAMD="$TMP/pam.d"
pwrap_env() {
	export LD_PRELOAD="$PWRAP_LIB" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$PAMD" PAM_WRAPPER_USE_SYSLOG=1
	san_env
}
pwrap() { (pwrap_env && exec "$@"); }

# no_secret_in FILE KEYFILE...: no key, nor its secret part, in FILE.
no_secret_in() {
	_f=$1
	shift
	_leak=""
	for _k in "$@"; do
		[ -s "$_k" ] || continue
		grep -qF "$(cat "$_k")" "$_f" && _leak="$_leak $_k"
		grep -qF "$(cut -d_ -f3 "$_k")" "$_f" && _leak="$_leak $_k(secret)"
	done
	is "no key or secret in $(basename "$_f")" "$_leak" ""
}
