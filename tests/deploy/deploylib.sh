# Helpers for the deployment tests, sourced first (it sources tests/lib.sh,
# tests/keyadm/cli.sh and tests/sasl_apikey/sasllib.sh): the recipes of
# sasl_apikey(8) applied to the configuration as the Debian packages ship
# it, in private copies, with the real daemons on 127.0.0.1.
#
# A test that mounts re-executes itself in a private mount namespace
# first (tests/run.sh already gives one; a test started by hand gets its
# own), so that nothing it mounts is seen outside it:
#   [ -n "${DEPLOY_NS:-}" ] || exec env DEPLOY_NS=1 unshare --mount --propagation private "$0"
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/keyadm/cli.sh"
. "$TOP/tests/sasl_apikey/sasllib.sh"
MAN_SASL="$TOP/man/sasl_apikey.8"

# The page's snippets (tests/deploy/snippet.sh). Besides the verbs that
# edit a stock file, sasl_apikey(8) marks commands the administrator runs
# with the verb run; a test runs them on its private copies (paths
# rewritten by here).
. "$TOP/tests/deploy/snippet.sh"
# need_snippet VAR NAME: VAR=the snippet of sasl_apikey(8), or the test
# fails here.
need_snippet() {
	_s=$(snippet "$MAN_SASL" "$2")
	if [ -z "$_s" ]; then
		not_ok "sasl_apikey(8) has the snippet $2"
		done_testing
		exit 1
	fi
	eval "$1=\$_s"
}
# apply_here NAME TARGET: snippet_apply of sasl_apikey(8)'s NAME to TARGET,
# then the documented paths in what it wrote rewritten by here.
apply_here() {
	snippet_apply "$MAN_SASL" "$1" "$2" || return 1
	_f=$2
	[ -d "$_f" ] && _f="$2/$(snippet_raw "$MAN_SASL" "$1" | head -n 1 | cut -f2-)"
	here <"$_f" >"$_f.here" && cat "$_f.here" >"$_f" && rm -f "$_f.here"
}

# The store at the documented path's private twin: /var/lib/apikey is
# $STORE below. here rewrites the documented paths of a snippet into this
# test's private ones (only paths; every other word stays as documented).
STORE="$TMP/var/lib/apikey"
PF="$TMP/pf"
Q="$TMP/spool/postfix"
here() {
	sed -e "s|/var/lib/apikey|$STORE|g" -e "s|/var/spool/postfix|$Q|g" \
		-e "s|/etc/postfix|$PF/conf|g" -e "s|/etc/default/saslauthd|$TMP/default/saslauthd|g" \
		-e "s|/etc/fstab|$TMP/fstab|g" -e "s|/etc/sasl2|$TMP/sasl2|g" \
		-e "s|/etc/memcached.conf|$TMP/memcached.conf|g" \
		-e "s|\\([\" ]\\)/var/run/saslauthd|\\1$TMP/run/saslauthd|g"
}

# deploy_store: keyadm init at $STORE/keys.db; DB and APIKEY_DB follow.
deploy_store() {
	DB="$STORE/keys.db"
	export APIKEY_DB="$DB"
	mkdir -p "$(dirname "$STORE")"
	ka init >/dev/null 2>&1
}

# keyset USER SERVICE OTHER_SERVICE: the keys every recipe is tried with,
# in $TMP/k.NAME: valid, valid2 (revoked while the daemon runs), other
# (another user's), revoked, disabled, expired, wrongsvc (for
# OTHER_SERVICE only), forged, and password (an ordinary password). Ids in
# K_valid etc.
keyset() {
	K_valid=$(new_key "$TMP/k.valid" "$1" --service "$2")
	K_valid2=$(new_key "$TMP/k.valid2" "$1")
	K_other=$(new_key "$TMP/k.other" "bob$$")
	K_revoked=$(new_key "$TMP/k.revoked" "$1")
	K_disabled=$(new_key "$TMP/k.disabled" "$1")
	K_wrongsvc=$(new_key "$TMP/k.wrongsvc" "$1" --service "$3")
	K_expired=$(new_key "$TMP/k.expired" "$1" --expires 1s)
	ka revoke "$K_revoked" >/dev/null 2>&1
	ka disable "$K_disabled" >/dev/null 2>&1
	forge "$TMP/k.valid" "$TMP/k.forged"
	printf 'hunter2-%s\n' "$$" >"$TMP/k.password"
	KEYFILES="$TMP/k.valid $TMP/k.valid2 $TMP/k.other $TMP/k.revoked $TMP/k.disabled $TMP/k.expired $TMP/k.wrongsvc $TMP/k.forged $TMP/k.password"
	sleep 1 # the 1 s key expires
}

# login_in DESC OUT PATTERN CMD...: CMD succeeds and its answer in OUT
# matches PATTERN; login_out: CMD fails and OUT matches PATTERN.
login_in() {
	_d=$1 _o=$2 _p=$3
	shift 3
	if "$@" && grep -Eq -- "$_p" "$_o"; then ok "$_d: in"; else not_ok "$_d: wanted in ($(head -c 80 "$_o"))"; fi
}
login_out() {
	_d=$1 _o=$2 _p=$3
	shift 3
	if ! "$@" && grep -Eq -- "$_p" "$_o"; then ok "$_d: refused"; else
		not_ok "$_d: wanted a refusal ($(head -c 80 "$_o"))"
	fi
}

# used_in_list ID: keyadm list shows a last use for the key (not "never").
used_in_list() {
	_l=$(ka list 2>/dev/null | awk -v id="$1" '$1 == id')
	case $_l in
	"") not_ok "keyadm list shows key $1" ;;
	*never) not_ok "keyadm list: key $1 was used but shows 'never' ($_l)" ;;
	*) ok "keyadm list shows the use of key $1" ;;
	esac
}

# sasl_plugins DIR: a plugin directory as "make install" leaves the
# system's: the stock plugins and libapikey.so beside them.
sasl_plugins() {
	mkdir -p "$1"
	cp -p "$STOCK"/*.so* "$1/"
	cp "$PLUGIN" "$1/libapikey.so"
	chmod 0755 "$1"
}

# need_postfix: skips the test without Postfix, swaks, openssl or root.
need_postfix() {
	need "postfix is not installed" have postfix postconf
	need "swaks is not installed" have swaks
	need "openssl is not installed" have openssl
	need "there is no postfix user" id postfix
	need "tests run as root (postfix start, mount)" test "$(id -u)" -eq 0
	need "Debian's master.cf is missing" test -f /usr/share/postfix/master.cf.dist
}

# ---- Postfix from the Debian package's files: main.cf as the package's
# postinst made it, master.cf as the package ships it (chroot y). Only
# paths, the listening addresses and the TLS certificate are the test's;
# mynetworks leaves out 127.0.0.1 so that the test client is not trusted.
# pf_stock: the private configuration in $PF/conf, queue $Q, smtp on
# 127.0.0.1:$PORT, TLS with a throwaway certificate.
pf_stock() {
	mkdir -p "$PF/conf/sasl" "$Q" "$PF/data"
	chown postfix "$PF/data"
	cp /etc/postfix/main.cf "$PF/conf/main.cf"
	cp /usr/share/postfix/master.cf.dist "$PF/conf/master.cf"
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=apikey-test.localdomain \
		-keyout "$PF/conf/tls.key" -out "$PF/conf/tls.crt" >/dev/null 2>&1
	chmod 0600 "$PF/conf/tls.key"
	postconf -c "$PF/conf" -e "queue_directory = $Q" "data_directory = $PF/data" \
		"meta_directory = /etc/postfix" "inet_interfaces = 127.0.0.1" "inet_protocols = ipv4" \
		"myhostname = apikey-test.localdomain" "mydestination =" "mynetworks = 127.0.0.2/32" \
		"alias_maps =" "alias_database =" "maillog_file = $PF/maillog" \
		"maillog_file_prefixes = $PF" \
		"smtpd_tls_cert_file = $PF/conf/tls.crt" "smtpd_tls_key_file = $PF/conf/tls.key" \
		"smtpd_tls_security_level = may" \
		"import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C POSTLOG_SERVICE POSTLOG_HOSTNAME SASL_PATH=$TMP/sasl-plugins $SAN_ENV"
	PORT=$(free_port)
	sed -i "s|^smtp      inet|127.0.0.1:$PORT inet|" "$PF/conf/master.cf"
	sasl_plugins "$TMP/sasl-plugins"
}
# pf_chroot_is_y: the smtpd services of master.cf run chrooted.
pf_chroot_is_y() {
	awk -v s="$1" '$1 == s && $2 == "inet" { print $5 }' "$PF/conf/master.cf"
}
# pf_stop: postfix stop, then waits up to 10 s for the master (by its pid
# file) to be gone, killing it after the first 5.
pf_stop() {
	_pid=$(head -n 1 "$Q/pid/master.pid" 2>/dev/null | tr -d ' ')
	postfix -c "$PF/conf" stop >/dev/null 2>&1
	_i=0
	while [ -n "$_pid" ] && kill -0 "$_pid" 2>/dev/null && [ $_i -lt 100 ]; do
		[ $_i -eq 50 ] && kill "$_pid" 2>/dev/null
		sleep 0.1
		_i=$((_i + 1))
	done
}
# pf_start: postfix check and start; false (and the logs shown) when smtpd
# does not listen.
pf_start() {
	at_exit pf_stop
	postfix -c "$PF/conf" check >"$PF/check.out" 2>&1
	postfix -c "$PF/conf" start >"$PF/start.out" 2>&1
	if wait_port "$PORT"; then
		ok "postfix listens on 127.0.0.1:$PORT"
		return 0
	fi
	not_ok "postfix listens on 127.0.0.1:$PORT"
	sed 's/^/# /' "$PF/start.out" "$PF/check.out" "$PF/maillog" 2>/dev/null | head -40
	return 1
}

# smtp PORT KEYFILE MECH USER [SWAKS ARGS]: one swaks session with STARTTLS
# to RCPT; swaks reads the key at its password prompt from the key file,
# never from its command line; the transcript (the key in base64) stays
# in $TMP/swaks.out and is never printed.
smtp() {
	_p=$1 _k=$2 _m=$3 _u=$4
	shift 4
	swaks --server 127.0.0.1 --port "$_p" --tls --auth "$_m" --auth-user "$_u" \
		--from a@example.org --to b@example.net --quit-after RCPT "$@" <"$_k" >"$TMP/swaks.out" 2>&1
}
auth_said() { grep -Eq "^<[-~*]+ +$1 " "$TMP/swaks.out"; }
rcpt_ok() { grep -Eq '^<[-~] +250 2\.1\.5 ' "$TMP/swaks.out"; }
_smtp_why() { grep -E '^<' "$TMP/swaks.out" | grep -Ev '^<~? +334' | cut -c1-60 | tr '\n' '|'; }
# accepted PORT KEYFILE MECH USER: 235 and relaying allowed.
accepted() {
	smtp "$@"
	if auth_said 235 && rcpt_ok; then ok "$1: $3 $(basename "$2") as $4: 235, relaying allowed"; else
		not_ok "$1: $3 $(basename "$2") as $4: wanted 235 and RCPT 250 ($(_smtp_why))"
	fi
}
# refused PORT KEYFILE MECH USER [CODE]: CODE (535) and no relaying.
refused() {
	_c=${5:-535}
	smtp "$1" "$2" "$3" "$4"
	if auth_said "$_c" && ! rcpt_ok; then ok "$1: $3 $(basename "$2") as $4: $_c, no relaying"; else
		not_ok "$1: $3 $(basename "$2") as $4: wanted $_c and no relaying ($(_smtp_why))"
	fi
}
# smtp_keyset PORT USER: every key of keyset against one smtpd; the valid
# and the second valid key are accepted, the rest refused; then the second
# is revoked while postfix runs and refused at once.
smtp_keyset() {
	accepted "$1" "$TMP/k.valid" PLAIN "$2"
	accepted "$1" "$TMP/k.valid" LOGIN "$2"
	accepted "$1" "$TMP/k.valid2" PLAIN "$2"
	for _k in forged other revoked disabled expired wrongsvc password; do
		refused "$1" "$TMP/k.$_k" PLAIN "$2"
	done
	refused "$1" "$TMP/k.valid" PLAIN "bob$$"
	ka revoke "$K_valid2" >/dev/null 2>&1
	refused "$1" "$TMP/k.valid2" PLAIN "$2"
	refused "$1" "$TMP/k.valid2" LOGIN "$2"
}

# ---- saslauthd as Debian's start script runs it, from a private copy of
# /etc/default/saslauthd. sa_start DEFAULTS RUN_DIR: sources DEFAULTS,
# checks that OPTIONS names RUN_DIR with -m, starts
#   saslauthd -a $MECHANISMS $MECH_OPTIONS $OPTIONS -n $THREADS
# under pam_wrapper (PAM service files from $PAMD) with -d (foreground,
# its log in $TMP/saslauthd.log), the -m directory translated by here.
sa_start() {
	# shellcheck disable=SC1090 # the private copy of Debian's file
	(. "$1" && echo "$MECHANISMS" >"$TMP/sa.mech" && echo "$OPTIONS" >"$TMP/sa.opts" &&
		echo "${THREADS:-5}" >"$TMP/sa.threads")
	_mo=$(cat "$TMP/sa.opts")
	# its own session: on SIGTERM saslauthd signals its whole process group
	# shellcheck disable=SC2046,SC2086 # the options are words
	(pwrap_env && exec setsid saslauthd -a $(cat "$TMP/sa.mech") $(echo "$_mo" | here) -d \
		-n "$(cat "$TMP/sa.threads")") >"$TMP/saslauthd.log" 2>&1 &
	SA=$!
	at_exit sa_stop
	_i=0
	while [ ! -S "$2/mux" ] && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	check "saslauthd -a $(cat "$TMP/sa.mech") is listening on $2/mux" test -S "$2/mux"
}
# saslauthd's signal handlers call syslog(3): a SIGTERM that lands while
# its SIGCHLD handler is inside syslog waits for syslog's lock for ever
# (about one stop in six). After 10 s the master is killed, and then
# whatever is left of its process group (setsid: its own; the workers),
# so a stop cannot hang the test.
sa_stop() {
	[ -n "${SA:-}" ] || return 0
	kill "$SA" 2>/dev/null
	wait_while 100 alive "$SA" || echo "# saslauthd did not end 10 s after SIGTERM: killed"
	kill -9 "-$SA" "$SA" 2>/dev/null
	wait "$SA" 2>/dev/null
	wait_while 50 kill -0 "-$SA" 2>/dev/null
	SA=""
	pwrap_cleanup
}
