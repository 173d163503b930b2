#!/bin/sh
# pam_apikey through the real libpam (pam_start_confdir and service files
# in a private directory): every result code in auth and account, every
# option, stacking with pam_permit/pam_deny, hostile input, stores that
# must not be trusted, and revocation seen by the very next transaction.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"
SO="$TOP/pam_apikey/pam_apikey.so"
CASE="$TOP/tests/pam_apikey/pamcase"
if [ ! -f "$SO" ] || [ ! -x "$CASE" ]; then
	skip "pam_apikey.so or tests/pam_apikey/pamcase not built"
	done_testing
	exit 0
fi
CONF="$TMP/pam.d"
mkdir -p "$CONF"
svc() { # name, then lines
	n=$1
	shift
	printf '%s\n' "$@" >"$CONF/$n"
}
M="$SO db=$DB"
svc apikey "auth required $M" "account required $M"
svc svcopt "auth required $M service=smtp" "account required $M service=smtp"
svc ignore "auth [success=done ignore=ignore default=die] $M nonkey=ignore" "auth required pam_permit.so" "account required $M"
svc ignore_deny "auth [success=done ignore=ignore default=die] $M nonkey=ignore" "auth required pam_deny.so"
svc failnk "auth [success=done ignore=ignore default=die] $M nonkey=fail" "auth required pam_permit.so"
SETITEMS="/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)/pam_wrapper/pam_set_items.so"
svc first "auth required $SETITEMS" "auth required $M use_first_pass" "account required $M"
svc tryfirst "auth required $SETITEMS" "auth required $M try_first_pass" "account required $M"
svc badopt "auth required $M bogus" "account required $M"
svc badopt2 "auth required $SO db=relative.db" "account required $SO db=relative.db"
svc badopt3 "auth required $M nonkey=maybe"
svc missing "auth required $SO db=$TMP/none.db" "account required $SO db=$TMP/none.db"
svc permit_then "auth required pam_permit.so" "account required $M" "account required pam_permit.so"
svc deny_then "auth required pam_permit.so" "account required $M" "account required pam_deny.so"
svc accbad "auth required pam_permit.so" "account required $M bogus"
pc() { "$CASE" "$CONF" "$@"; }

new_store
chmod 755 "$TMP"
A=$(new_key "$TMP/a" alice)
R=$(new_key "$TMP/r" alice)
ka revoke "$R" --reason test >/dev/null 2>&1
D=$(new_key "$TMP/d" alice)
ka disable "$D" >/dev/null 2>&1
S=$(new_key "$TMP/s" alice --service smtp)
F=$(new_key "$TMP/f" alice --from 192.0.2.0/24)
E=$(new_key "$TMP/e" alice --expires 2s)
B=$(new_key "$TMP/b" bob)
# A forged key: alice's id and a different secret with a correct check.
forge "$TMP/a" "$TMP/forged"
printf 'hunter2\n' >"$TMP/pw"
: >"$TMP/empty"

check "VALID: auth and account succeed, APIKEY_ID set" pc apikey alice "$TMP/a" PAM_SUCCESS PAM_SUCCESS "$A"
check "WRONG_USER: bob cannot use alice's key" pc apikey bob "$TMP/a" PAM_AUTH_ERR - -
check "REVOKED" pc apikey alice "$TMP/r" PAM_AUTH_ERR - -
check "DISABLED" pc apikey alice "$TMP/d" PAM_AUTH_ERR - -
check "SERVICE_DENIED: key for smtp at service apikey" pc apikey alice "$TMP/s" PAM_AUTH_ERR - -
check "service= option: the smtp key passes as smtp" pc svcopt alice "$TMP/s" PAM_SUCCESS PAM_SUCCESS "$S"
check "service= option: an unrestricted key passes too" pc svcopt alice "$TMP/a" PAM_SUCCESS PAM_SUCCESS
check "SOURCE_DENIED: no PAM_RHOST" pc apikey alice "$TMP/f" PAM_AUTH_ERR - -
PAMCASE_RHOST=198.51.100.7 check "SOURCE_DENIED: rhost outside" pc apikey alice "$TMP/f" PAM_AUTH_ERR - -
PAMCASE_RHOST=192.0.2.9 check "source inside the allowed network passes" pc apikey alice "$TMP/f" PAM_SUCCESS PAM_SUCCESS "$F"
PAMCASE_RHOST=host.example check "a host name as rhost is denied for a restricted key" pc apikey alice "$TMP/f" PAM_AUTH_ERR - -
check "NOT_FOUND: forged secret for a real id" pc apikey alice "$TMP/forged" PAM_AUTH_ERR - -
check "MALFORMED: a password" pc apikey alice "$TMP/pw" PAM_AUTH_ERR - -
check "MALFORMED: empty token" pc apikey alice "$TMP/empty" PAM_AUTH_ERR - -
check "no APIKEY_ID after a failure" pc apikey bob "$TMP/a" PAM_AUTH_ERR - -
check "another user's valid key never opens bob's account" pc apikey bob "$TMP/b" PAM_SUCCESS PAM_SUCCESS "$B"
check "bob's key is not alice's" pc apikey alice "$TMP/b" PAM_AUTH_ERR - -

# nonkey
check "nonkey=ignore: a password is left to the stack (pam_permit)" pc ignore alice "$TMP/pw" PAM_SUCCESS -
check "nonkey=ignore: a password is left to the stack (pam_deny)" pc ignore_deny alice "$TMP/pw" PAM_AUTH_ERR -
check "nonkey=ignore: a key is still checked (valid)" pc ignore alice "$TMP/a" PAM_SUCCESS PAM_SUCCESS "$A"
check "nonkey=ignore: a key is still checked (revoked fails, stack stops)" pc ignore alice "$TMP/r" PAM_AUTH_ERR -
check "nonkey=ignore: a forged key fails, not ignored" pc ignore alice "$TMP/forged" PAM_AUTH_ERR -
check "nonkey=fail: a password fails closed" pc failnk alice "$TMP/pw" PAM_AUTH_ERR -

# use_first_pass / try_first_pass
PAM_AUTHTOK="$(cat "$TMP/a")" check "use_first_pass takes the earlier token" pc first alice - PAM_SUCCESS PAM_SUCCESS "$A"
check "use_first_pass with no earlier token fails, never prompts" pc first alice "$TMP/a" PAM_AUTH_ERR -
PAM_AUTHTOK="$(cat "$TMP/r")" check "use_first_pass with a revoked earlier token fails" pc first alice "$TMP/a" PAM_AUTH_ERR -
PAM_AUTHTOK="$(cat "$TMP/a")" check "try_first_pass takes the earlier token" pc tryfirst alice "$TMP/pw" PAM_SUCCESS PAM_SUCCESS "$A"
check "try_first_pass prompts when there is none" pc tryfirst alice "$TMP/a" PAM_SUCCESS PAM_SUCCESS "$A"

# options and stores
check "unknown option fails closed in auth" pc badopt alice "$TMP/a" PAM_SERVICE_ERR -
check "unknown option fails closed in account" pc accbad alice - PAM_SUCCESS PAM_SERVICE_ERR
check "relative db= fails closed" pc badopt2 alice "$TMP/a" PAM_SERVICE_ERR -
check "malformed nonkey= fails closed" pc badopt3 alice "$TMP/pw" PAM_SERVICE_ERR -
check "missing store: PAM_AUTHINFO_UNAVAIL" pc missing alice "$TMP/a" PAM_AUTHINFO_UNAVAIL -
cp "$DB" "$TMP/good.db"
chmod 0664 "$DB"
check "group-writable store: PAM_AUTHINFO_UNAVAIL" pc apikey alice "$TMP/a" PAM_AUTHINFO_UNAVAIL -
chmod 0646 "$DB"
check "world-writable store: PAM_AUTHINFO_UNAVAIL" pc apikey alice "$TMP/a" PAM_AUTHINFO_UNAVAIL -
chmod 0640 "$DB"
chown nobody "$DB"
check "store not owned by root: PAM_AUTHINFO_UNAVAIL" pc apikey alice "$TMP/a" PAM_AUTHINFO_UNAVAIL -
chown root "$DB"
mv "$DB" "$TMP/real.db" && ln -s "$TMP/real.db" "$DB"
check "symlinked store: PAM_AUTHINFO_UNAVAIL" pc apikey alice "$TMP/a" PAM_AUTHINFO_UNAVAIL -
rm "$DB" && head -c 3000 "$TMP/real.db" >"$DB" && chmod 0640 "$DB"
check "truncated store: PAM_AUTHINFO_UNAVAIL" pc apikey alice "$TMP/a" PAM_AUTHINFO_UNAVAIL -
head -c 20000 /dev/urandom >"$DB"
check "random bytes: PAM_AUTHINFO_UNAVAIL" pc apikey alice "$TMP/a" PAM_AUTHINFO_UNAVAIL -
rm "$DB" && mkdir "$DB"
check "a directory: PAM_AUTHINFO_UNAVAIL" pc apikey alice "$TMP/a" PAM_AUTHINFO_UNAVAIL -
rmdir "$DB" && : >"$DB" && chmod 0640 "$DB"
check "an empty file: PAM_AUTHINFO_UNAVAIL" pc apikey alice "$TMP/a" PAM_AUTHINFO_UNAVAIL -
cp "$TMP/good.db" "$DB" && chmod 0640 "$DB"
check "the restored store works again" pc apikey alice "$TMP/a" PAM_SUCCESS PAM_SUCCESS "$A"

# account
check "account without a key in this transaction is ignored (pam_permit decides)" pc permit_then alice - PAM_SUCCESS PAM_SUCCESS -
check "account without a key in this transaction is ignored (pam_deny decides)" pc deny_then alice - PAM_SUCCESS PAM_AUTH_ERR -
PAMCASE_BETWEEN="'$KEYADM' revoke $A >/dev/null 2>&1" \
	check "revoked between auth and account: account fails" pc apikey alice "$TMP/a" PAM_SUCCESS PAM_AUTH_ERR
A2=$(new_key "$TMP/a2" alice)
PAMCASE_BETWEEN="'$KEYADM' disable $A2 >/dev/null 2>&1" \
	check "disabled between auth and account: account fails" pc apikey alice "$TMP/a2" PAM_SUCCESS PAM_AUTH_ERR
sleep 2
check "EXPIRED in auth" pc apikey alice "$TMP/e" PAM_AUTH_ERR -
E2=$(new_key "$TMP/e2" alice --expires 3s)
PAMCASE_BETWEEN="sleep 3" check "expired between auth and account: PAM_ACCT_EXPIRED" pc apikey alice "$TMP/e2" PAM_SUCCESS PAM_ACCT_EXPIRED
A3=$(new_key "$TMP/a3" alice)
PAMCASE_AGAIN="'$KEYADM' revoke $A3 >/dev/null 2>&1" PAMCASE_AGAIN_RC=PAM_AUTH_ERR \
	check "revoked between two logins in one process: the second fails" pc apikey alice "$TMP/a3" PAM_SUCCESS PAM_SUCCESS "$A3"

# A second auth on the same handle: APIKEY_ID follows the last result.
A4=$(new_key "$TMP/a4" alice)
A5=$(new_key "$TMP/a5" alice)
R4=$(new_key "$TMP/r4" alice)
ka revoke "$R4" >/dev/null 2>&1
PAMCASE_SECOND="$TMP/a4" PAMCASE_SECOND_RC=PAM_SUCCESS PAMCASE_SECOND_ID="$A4" \
	check "a second successful auth on one handle: APIKEY_ID names the second key" \
	pc apikey alice "$TMP/a5" PAM_SUCCESS - "$A5"
PAMCASE_SECOND="$TMP/r4" PAMCASE_SECOND_RC=PAM_AUTH_ERR PAMCASE_SECOND_ID=- \
	check "a failed second auth on one handle: APIKEY_ID is removed" \
	pc apikey alice "$TMP/a4" PAM_SUCCESS - "$A4"
PAMCASE_SECOND="$TMP/pw" PAMCASE_SECOND_RC=PAM_SUCCESS PAMCASE_SECOND_ID=- \
	check "a password after a key on one handle (nonkey=ignore, pam_permit): no APIKEY_ID" \
	pc ignore alice "$TMP/a4" PAM_SUCCESS - "$A4"
PAMCASE_SECOND="$TMP/none" PAMCASE_SECOND_RC=PAM_AUTH_ERR PAMCASE_SECOND_ID=- \
	check "an empty answer after a key on one handle: no APIKEY_ID" \
	pc apikey alice "$TMP/a4" PAM_SUCCESS - "$A4"

# hostile input
for u in -alice +alice "" "$(printf 'a%.0s' $(seq 1 65))" "al ice"; do
	check "user '$(printf %.12s "$u")...' refused" pc apikey "$u" "$TMP/a3" PAM_AUTH_ERR -
done
head -c 600 /dev/zero | tr '\0' 'a' >"$TMP/long"
check "a token longer than PAM_MAX_RESP_SIZE fails" pc apikey alice "$TMP/long" PAM_AUTH_ERR -
printf '\010\n\r\177INCORRECT' >"$TMP/placeholder"
check "sshd's invalid-user placeholder fails" pc apikey alice "$TMP/placeholder" PAM_AUTH_ERR -
printf 'ak_\001\002\377x' >"$TMP/ctl"
check "control and non-UTF-8 bytes fail" pc apikey alice "$TMP/ctl" PAM_AUTH_ERR -
head -c 65000 /dev/urandom >"$TMP/huge"
check "64 KiB of random bytes fail" pc apikey alice "$TMP/huge" PAM_AUTH_ERR -

done_testing
