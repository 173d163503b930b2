#!/bin/sh
# The shipped change hook conf/hooks.d/dovecot-kick, installed as
# pam_apikey(8) and keyadm(8) say, against the real Dovecot set up by
# pam_apikey(8)'s keys-only recipe on Debian's stock files
# (tests/deploy/dovecotlib.sh): an IMAP IDLE connection opened with a key
# is dropped within seconds of keyadm revoke (and of disable), another
# user's IDLE connection stays; a change that is no revocation (set)
# drops nothing, and neither does a revoke without the hook.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"
. "$TOP/tests/pam_apikey/pamlib.sh"
. "$TOP/tests/deploy/snippet.sh"
. "$TOP/tests/deploy/dovecotlib.sh"
MAN="$TOP/man/pam_apikey.8"
HOOK="$TOP/conf/hooks.d/dovecot-kick"
need "pam_apikey.so is not built" test -f "$SO"
need "needs root (useradd, dovecot)" test "$(id -u)" -eq 0
need "dovecot-imapd is not installed" have dovecot doveadm doveconf useradd userdel python3
need "no stock /etc/dovecot or /etc/pam.d/dovecot" test -f /etc/dovecot/dovecot.conf -a -f /etc/pam.d/dovecot
need "no dovenull or dovecot user" id dovenull
need "no private mount namespace here (unshare --mount)" logns_works
unsanitized "Dovecot starts its auth worker with a clean environment: libasan cannot be preloaded"
need "cannot start the syslog listener" start_syslog

new_user akkb
U2=$U
new_user akka
new_store
A=$(new_key "$TMP/a" "$U")
A2=$(new_key "$TMP/a2" "$U")
B=$(new_key "$TMP/b" "$U2")
chmod 0600 "$TMP/a" "$TMP/a2" "$TMP/b"

dv_copy
: >"$P/pam.dovecot"
check "the man page's keys-only snippet applies to the stock /etc/pam.d/dovecot" pam_recipe pam-keys
start_dovecot
mkdir -m 0755 "$TMP/hooks.d"
install -m 0755 "$HOOK" "$TMP/hooks.d/dovecot-kick"
printf 'hooks_dir %s\n' "$TMP/hooks.d" >"$TMP/hooks.conf"
printf 'hooks_dir %s\n' "$TMP/none.d" >"$TMP/nohooks.conf"
# kadm ARGS...: keyadm with the hook, where /etc/dovecot is the copy.
kadm() { APIKEY_CONFIG="$TMP/hooks.conf" in_dv "$KEYADM" "$@"; }

# idle KEYFILE USER NAME: an IDLE connection in the background; its
# output in $TMP/NAME.idle, its pid in $I once it idles.
idle() {
	python3 "$TOP/tests/deploy/imap_idle.py" "$PORT" "$2" <"$1" >"$TMP/$3.idle" 2>&1 &
	I=$!
	at_exit "kill $I 2>/dev/null"
	_i=0
	while ! grep -q '^IDLE' "$TMP/$3.idle" && kill -0 "$I" 2>/dev/null && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	like "$3: an IMAP IDLE connection opened with a key" "$(cat "$TMP/$3.idle")" '^IDLE$'
}
# dropped PID NAME: waits up to 5 s for the connection to end.
dropped() {
	_i=0
	while kill -0 "$1" 2>/dev/null && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	grep -q '^DROPPED' "$TMP/$2.idle"
}

idle "$TMP/a" "$U" first; IA=$I
idle "$TMP/b" "$U2" other; IB=$I
APIKEY_CONFIG="$TMP/nohooks.conf" in_dv "$KEYADM" set "$A" --name renamed >/dev/null 2>&1
out=$(kadm set "$A" --name renamed-again 2>&1)
unlike "set with the hook: the hook does not fail" "$out" 'hook'
sleep 1
check "a change that is no revocation (set) drops nothing" kill -0 "$IA"
APIKEY_CONFIG="$TMP/nohooks.conf" in_dv "$KEYADM" revoke "$A2" >/dev/null 2>&1
sleep 1
check "a revoke without the hook drops nothing" kill -0 "$IA"

t0=$(date +%s)
out=$(kadm revoke "$A" 2>&1)
like "revoke with the hook" "$out" "^revoked $A \($U\)$"
check "the key's IDLE connection is dropped" dropped "$IA" first
check "... within seconds ($(($(date +%s) - t0)) s)" test $(($(date +%s) - t0)) -le 5
check "another user's IDLE connection stays" kill -0 "$IB"

out=$(kadm disable "$B" 2>&1)
like "disable with the hook" "$out" "^disabled $B \($U2\)$"
check "disable drops the owner's IDLE connection too" dropped "$IB" other
out=$(kadm revoke "$B" 2>&1)
unlike "a user with no connection left: the hook does not fail" "$out" 'hook'
stop_dovecot
for f in "$P/dovecot.log" "$P/dovecot.out" "$SYSLOG" "$TMP/first.idle"; do
	no_secret_in "$f" "$TMP/a" "$TMP/b"
done
done_testing
