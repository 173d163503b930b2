#!/bin/sh
# pamtester (a real PAM application) under pam_wrapper, whose service
# files come from this test's directory and name the built pam_apikey.so
# by absolute path: authenticate and acct_mgmt for a valid key, every kind
# of bad key, restrictions by service name and by rhost, the other entry
# points, an unusable store, and a revocation between two runs.
. "$TOP/tests/lib.sh"
. "$TOP/tests/cli/cli.sh"
. "$TOP/tests/pam/pamlib.sh"
need "pam_apikey.so is not built" test -f "$SO"
need "pamtester is not installed" have pamtester
need "pam_wrapper is not installed" test -f "$PWRAP_LIB"
at_exit pwrap_cleanup

mkdir -p "$PAMD"
svc() { # name, then lines
	_svc=$1
	shift
	printf '%s\n' "$@" >"$PAMD/$_svc"
}
M="$SO db=$DB"
svc other "auth required pam_deny.so" "account required pam_deny.so"
svc app "auth required $M" "account required $M"
svc smtp "auth required $M" "account required $M"
svc both "auth required $M" "account required $M" "session required $M" "password required $M"
svc gone "auth required $SO db=$TMP/gone.db" "account required $SO db=$TMP/gone.db"

# pt KEYFILE [-I item=value] SERVICE USER OPS...: pamtester's last line
# (the result), without the prompt; the key goes to its conversation on
# stdin, never on the command line.
pt() {
	_k=$1
	shift
	pwrap pamtester "$@" <"$_k" 2>&1 | grep -v '^PWRAP' | tail -n 1 | sed 's/^Password: //'
}
OKAUTH='pamtester: successfully authenticated'
OKACCT='pamtester: account management done.'
FAIL='pamtester: Authentication failure'

new_store
A=$(new_key "$TMP/a" alice)
R=$(new_key "$TMP/r" alice)
ka revoke "$R" >/dev/null 2>&1
D=$(new_key "$TMP/d" alice)
ka disable "$D" >/dev/null 2>&1
E=$(new_key "$TMP/e" alice --expires 1s)
S=$(new_key "$TMP/s" alice --service smtp)
F=$(new_key "$TMP/f" alice --from 192.0.2.0/24,2001:db8::/32)
forge "$TMP/a" "$TMP/forged"
printf 'not a key\n' >"$TMP/pw"
: >"$TMP/empty"
sleep 1 # E expires

is "VALID: authenticate" "$(pt "$TMP/a" app alice authenticate)" "$OKAUTH"
is "VALID: authenticate then acct_mgmt" "$(pt "$TMP/a" app alice authenticate acct_mgmt)" "$OKACCT"
is "WRONG_USER" "$(pt "$TMP/a" app bob authenticate)" "$FAIL"
is "REVOKED" "$(pt "$TMP/r" app alice authenticate)" "$FAIL"
is "DISABLED" "$(pt "$TMP/d" app alice authenticate)" "$FAIL"
is "EXPIRED" "$(pt "$TMP/e" app alice authenticate)" "$FAIL"
is "NOT_FOUND: forged key" "$(pt "$TMP/forged" app alice authenticate)" "$FAIL"
is "MALFORMED: a password" "$(pt "$TMP/pw" app alice authenticate)" "$FAIL"
is "MALFORMED: empty" "$(pt "$TMP/empty" app alice authenticate)" "$FAIL"
is "a key for smtp passes in the service named smtp" "$(pt "$TMP/s" smtp alice authenticate acct_mgmt)" "$OKACCT"
is "SERVICE_DENIED: the same key in service app" "$(pt "$TMP/s" app alice authenticate)" "$FAIL"
is "a source-restricted key from inside (IPv4)" "$(pt "$TMP/f" -I rhost=192.0.2.44 app alice authenticate)" "$OKAUTH"
is "a source-restricted key from inside (IPv6)" "$(pt "$TMP/f" -I rhost=2001:db8::7 app alice authenticate)" "$OKAUTH"
is "SOURCE_DENIED: from outside" "$(pt "$TMP/f" -I rhost=198.51.100.1 app alice authenticate)" "$FAIL"
is "SOURCE_DENIED: no rhost at all" "$(pt "$TMP/f" app alice authenticate)" "$FAIL"
is "chauthtok refuses: keys change with keyadm rotate" \
	"$(pt "$TMP/a" both alice chauthtok)" "pamtester: Authentication token manipulation error"
like "open_session grants nothing on its own" "$(pt "$TMP/a" both alice open_session)" \
	'pamtester: .*(denied|error|failure)'
like "a missing store: PAM_AUTHINFO_UNAVAIL" "$(pt "$TMP/a" gone alice authenticate)" \
	'pamtester: Authentication service cannot retrieve authentication info'
chmod 0666 "$DB"
like "a world-writable store: PAM_AUTHINFO_UNAVAIL" "$(pt "$TMP/a" app alice authenticate)" \
	'pamtester: Authentication service cannot retrieve authentication info'
chmod 0640 "$DB"
is "the store fixed: the key works again" "$(pt "$TMP/a" app alice authenticate)" "$OKAUTH"
ka revoke "$A" --reason "revoked between two runs" >/dev/null 2>&1
is "revoked after the previous run: the next run fails" "$(pt "$TMP/a" app alice authenticate)" "$FAIL"
done_testing
