# Helpers for the Dovecot deployment tests (sourced after tests/lib.sh,
# pamlib.sh and snippet.sh, with $MAN, $U, $SO and $DB set): a private copy
# of Debian's /etc/dovecot and /etc/pam.d/dovecot, the real dovecot in a
# private mount namespace whose /etc/dovecot and /etc/pam.d/dovecot are
# those copies, and IMAP logins with python's imaplib.

# dv_copy: the private copies, as Debian ships them, in $P, with the
# test's settings in one extra file of conf.d; the IMAP port in $PORT.
P="$TMP/dv"
dv_copy() {
	mkdir -p "$P/run" "$P/state"
	cp -a /etc/dovecot "$P/etc"
	if [ ! -s "$P/etc/private/dovecot.pem" ]; then
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
			-keyout "$P/etc/private/dovecot.key" -out "$P/etc/private/dovecot.pem" >/dev/null 2>&1
	fi
	PORT=$(free_port)
	cat >"$P/etc/conf.d/99-test-private.conf" <<-CONF
	base_dir = $P/run
	state_dir = $P/state
	log_path = $P/dovecot.log
	listen = 127.0.0.1
	mail_location = maildir:~/Maildir
	service imap-login {
	  inet_listener imap {
	    port = $PORT
	  }
	  inet_listener imaps {
	    port = 0
	  }
	}
	CONF
}

# pam_recipe SNIPPET: the stock /etc/pam.d/dovecot with the man page's
# edit, written in place (the bind mount follows the file).
pam_recipe() {
	cp /etc/pam.d/dovecot "$TMP/pam.new"
	snippet_apply "$MAN" "$1" "$TMP/pam.new" && pam_localize "$TMP/pam.new" &&
		cat "$TMP/pam.new" >"$P/pam.dovecot"
}
# in_dv CMD...: CMD where /etc/dovecot and /etc/pam.d/dovecot are the
# private copies (inside the syslog namespace with in_logns).
DVNS='mount --bind "$1" /etc/dovecot && mount --bind "$2" /etc/pam.d/dovecot && shift 2 && exec "$@"'
in_dv() { unshare --mount --propagation private sh -c "$DVNS" sh "$P/etc" "$P/pam.dovecot" "$@"; }
doveconf_h() { in_dv doveconf -c "$P/etc/dovecot.conf" -h "$1"; }
DV_PID=""
start_dovecot() {
	# exec all the way down (no shell function in between): $! is the
	# dovecot master's own PID, which stops its children.
	sh "$LOGNS" "$TMP/log.sock" sh -c "$DVNS" sh "$P/etc" "$P/pam.dovecot" \
		dovecot -F -c "$P/etc/dovecot.conf" >>"$P/dovecot.out" 2>&1 &
	DV_PID=$!
	at_exit "kill $DV_PID; wait $DV_PID"
	if ! wait_port "$PORT"; then
		not_ok "dovecot listens on 127.0.0.1:$PORT"
		sed 's/^/# /' "$P/dovecot.out" "$P/dovecot.log" 2>/dev/null | tail -20
		done_testing
		exit 1
	fi
	ok "dovecot listens on 127.0.0.1:$PORT"
	_i=0
	while [ ! -s "$P/run/master.pid" ] && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	is "the PID we stop is the dovecot master's" "$(cat "$P/run/master.pid" 2>/dev/null)" "$DV_PID"
}
stop_dovecot() {
	kill "$DV_PID"
	wait "$DV_PID"
	_i=0
	while [ -e "$P/run/master.pid" ] && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
}
# imap KEYFILE [USER]: one IMAP STARTTLS and LOGIN; OK or NO and the
# reply in $TMP/imap.out. After a failure the next login comes from the
# next loopback address: Dovecot's auth penalty would delay the logins
# that follow from the failed one's.
SRC=1
imap() {
	python3 "$TOP/tests/deploy/imap_login.py" "$PORT" "${2:-$U}" "127.0.0.$SRC" <"$1" >"$TMP/imap.out" 2>&1 ||
		SRC=$((SRC + 1))
}
granted() {
	imap "$2" "${3:-$U}"
	like "$1" "$(cat "$TMP/imap.out")" '^OK '
}
denied() {
	imap "$2" "${3:-$U}"
	like "$1" "$(cat "$TMP/imap.out")" '^NO .*AUTHENTICATIONFAILED'
}
