# Helpers for the PAM integration tests (sourced after tests/lib.sh and
# tests/keyadm/cli.sh): a captured syslog, free loopback ports, pam_wrapper.
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

# need_sshd CMD...: skips the whole test unless the module is built, it
# runs as root, and sshd, ssh, ssh-keygen, sshpass, useradd, userdel and
# every CMD are installed.
need_sshd() {
	need "pam_apikey.so is not built" test -f "$SO"
	need "needs root (useradd, sshd)" test "$(id -u)" -eq 0
	need "openssh-server, openssh-client or sshpass is not installed" \
		have /usr/sbin/sshd ssh ssh-keygen sshpass useradd userdel "$@"
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
# CMD... runs CMD with /dev/log bound to it (tests/pam_apikey/logns.sh).
SYSLOG="$TMP/syslog"
start_syslog() {
	python3 "$TOP/tests/pam_apikey/syslog_listen.py" "$TMP/log.sock" "$SYSLOG" &
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
in_logns() { sh "$TOP/tests/pam_apikey/logns.sh" "$TMP/log.sock" "$@"; }
LOGNS="$TOP/tests/pam_apikey/logns.sh"
# logns_works: can this machine make a private mount namespace?
logns_works() { unshare --mount --propagation private true; }

# pam_wrapper copies the service files into /tmp/pam.? directories; a
# process that ends with _exit (sshd's children) leaves its copy.
# pwrap_procs: "DIR PID" of each copy of this test's services (they name
# $TMP).
pwrap_procs() {
	for _d in /tmp/pam.?; do
		[ -f "$_d/pid" ] || continue
		grep -qsF "$TMP/" "$_d"/* || continue
		echo "$_d $(cat "$_d/pid")"
	done
}
# pwrap_cleanup: removes the copies whose process has ended (gone, or a
# zombie not yet reaped).
pwrap_cleanup() {
	pwrap_procs | while read -r _d _p; do
		alive "$_p" || rm -rf "$_d"
	done
}
# pwrap_live: the PIDs of this test's processes that made a copy and run.
pwrap_live() { pwrap_procs | while read -r _d _p; do alive "$_p" && echo "$_p"; done; }
pwrap_any() { [ -n "$(pwrap_live)" ]; }
# pwrap_finish: at the end of a test. An sshd's per-connection processes
# outlive the listener for a moment: waits up to 5 s for this test's
# processes to end, then kills those still there (the ones whose
# environment names this test's $PAMD: its own) and removes the copies.
pwrap_finish() {
	wait_while 50 pwrap_any
	for _p in $(pwrap_live); do
		tr '\0' '\n' <"/proc/$_p/environ" 2>/dev/null | grep -qxF "PAM_WRAPPER_SERVICE_DIR=$PAMD" &&
			kill -9 "$_p" 2>/dev/null && echo "# pam_wrapper process $_p still there 5 s after the test: killed"
	done
	wait_while 20 pwrap_any
	pwrap_cleanup
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

# ssh logins to the sshd a test runs on 127.0.0.1:$PORT as user $U.
# login KEYFILE [METHODS] [USER]: one ssh login with the file's first line
# as the password (sshpass -f: the key is on no command line and in no
# environment); prints what the remote command printed, or ssh's
# complaint, and returns ssh's exit status.
login() {
	sshpass -f "$1" ssh -p "$PORT" -F /dev/null \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
		-o PubkeyAuthentication=no -o PreferredAuthentications="${2:-password}" \
		-o NumberOfPasswordPrompts=1 -o ConnectTimeout=10 \
		"${3:-$U}@127.0.0.1" 'echo "logged in as $(id -un) with key $APIKEY_ID"' 2>&1 </dev/null
}
# granted DESC KEYFILE ID [METHODS]; denied DESC KEYFILE [METHODS] [USER]:
# a refusal is ssh's "Permission denied" and its exit status 255.
granted() {
	is "$1" "$(login "$2" "${4:-password}")" "logged in as $U with key $3"
}
denied() {
	_out=$(login "$2" "${3:-password}" "${4:-$U}")
	_rc=$?
	case "$_out" in
	*"logged in"*) not_ok "$1 (the login succeeded)" ;;
	*"Permission denied"*)
		if [ "$_rc" -eq 255 ]; then
			ok "$1: Permission denied"
		else
			not_ok "$1 (ssh exited $_rc, want 255)"
		fi
		;;
	*) not_ok "$1 (no 'Permission denied' in: $(printf %s "$_out" | head -c 200))" ;;
	esac
}

# start_sshd CONFIG: the real sshd with CONFIG (which listens on
# 127.0.0.1:$PORT and writes its PID file) under pam_wrapper, in the
# syslog namespace when $LOGS is 1; its output in $TMP/sshd.log, its PID
# in $SSHD_PID, stopped at exit. The test ends when it does not listen.
start_sshd() {
	if [ ! -d /run/sshd ]; then
		mkdir -m 0755 /run/sshd
		at_exit "rmdir /run/sshd"
	fi
	# exec all the way down: $! is sshd's own PID. sshd re-executes itself for
	# every connection (execv with its own environment), and the privileged
	# per-connection process that calls PAM keeps LD_PRELOAD and the
	# PAM_WRAPPER variables, so no -r is needed: the "logged in" and the
	# syslog checks below prove that this directory's sshd service file, and
	# so the built module, made the decisions.
	if [ "$LOGS" -eq 1 ]; then
		(pwrap_env && exec sh "$LOGNS" "$TMP/log.sock" /usr/sbin/sshd -D -e -f "$1") \
			>"$TMP/sshd.log" 2>&1 &
	else
		(pwrap_env && exec /usr/sbin/sshd -D -e -f "$1") >"$TMP/sshd.log" 2>&1 &
	fi
	SSHD_PID=$!
	at_exit "kill $SSHD_PID; wait $SSHD_PID; pwrap_finish"
	if ! wait_port "$PORT"; then
		not_ok "sshd listens on 127.0.0.1:$PORT"
		sed 's/^/# /' "$TMP/sshd.log" | grep -v PWRAP | head -20
		done_testing
		exit 1
	fi
	ok "sshd listens on 127.0.0.1:$PORT"
}

# new_user PREFIX: a new system user PREFIX$$ with a home, its name in $U,
# removed with its home at exit. The test ends if useradd fails.
new_user() {
	U=$1$$
	while id "$U" >/dev/null 2>&1; do U=${U}x; done
	useradd -m -s /bin/sh "$U" || {
		not_ok "useradd $U"
		done_testing
		exit 1
	}
	at_exit "userdel -r -f $U >/dev/null 2>&1"
}
# key_set: a new store (and its events file) and keys of $U, each in
# $TMP/NAME with its id in NAME's variable: a (A) and a2 (A2) valid, r (R)
# revoked, d (D) disabled, s (S) for the smtp service only.
key_set() {
	new_store
	install -m 0660 /dev/null "$TMP/keys.events"
	A=$(new_key "$TMP/a" "$U")
	A2=$(new_key "$TMP/a2" "$U")
	R=$(new_key "$TMP/r" "$U")
	ka revoke "$R" >/dev/null 2>&1
	D=$(new_key "$TMP/d" "$U")
	ka disable "$D" >/dev/null 2>&1
	S=$(new_key "$TMP/s" "$U" --service smtp)
}
# start_of PID: field 22 of /proc/PID/stat (after the command's ")").
start_of() { sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f20; }
# plant ID USER PID [START]: a session record in $SD as pam_apikey writes
# it (START: the process's start time, by default PID's own).
plant() {
	f="$SD/$1.$3.0000beef"
	printf 'id %s\nuser %s\nservice sshd\nrhost 127.0.0.1\nstart %s000\npid %s\npid_start %s\ncgroup -\nlogind -\n' \
		"$1" "$2" "$(date +%s)" "$3" "${4:-$(start_of "$3")}" >"$f"
	chmod 0600 "$f"
}
# unix_password FILE: a random Unix password for $U, written to FILE.
unix_password() {
	printf 'Unix-pw-%s-%s\n' "$$" "$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')" >"$1"
	printf '%s:%s\n' "$U" "$(cat "$1")" | chpasswd
}
