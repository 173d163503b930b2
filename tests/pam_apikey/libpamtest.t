#!/bin/sh
# Runs tests/pam_apikey/pamtest (libpamtest, the real libpam under pam_wrapper)
# against a fresh store: the service files name the built module by
# absolute path and live in this test's directory.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"
. "$TOP/tests/pam_apikey/pamlib.sh"
BIN="$TOP/tests/pam_apikey/pamtest"
need "pam_apikey.so or tests/pam_apikey/pamtest is not built (libpamtest0-dev)" test -f "$SO" -a -x "$BIN"
need "pam_wrapper is not installed" test -f "$PWRAP_LIB"
at_exit pwrap_cleanup

mkdir -p "$PAMD"
svc() { # name, then lines
	_svc=$1
	shift
	printf '%s\n' "$@" >"$PAMD/$_svc"
}
M="$SO db=$DB"
ITEMS="/usr/lib/$MULTIARCH/pam_wrapper/pam_set_items.so"
svc other "auth required pam_deny.so" "account required pam_deny.so" \
	"session required pam_deny.so" "password required pam_deny.so"
svc apikey "auth required $M" "account required $M" "session required $M" "password required $M"
svc as_smtp "auth required $M service=smtp"
svc session_only "session required $M"
svc session_permit "session required $M" "session required pam_permit.so"
svc account_only "account required $M"
svc ignore_permit "auth [success=done ignore=ignore default=die] $M nonkey=ignore" "auth required pam_permit.so"
svc ignore_deny "auth [success=done ignore=ignore default=die] $M nonkey=ignore" "auth required pam_deny.so"
svc fail_permit "auth [success=done ignore=ignore default=die] $M nonkey=fail" "auth required pam_permit.so"
svc sufficient_deny "auth sufficient $M" "auth required pam_deny.so"
svc first "auth required $ITEMS" "auth required $M use_first_pass"
svc tryfirst "auth required $ITEMS" "auth required $M try_first_pass"
svc first_none "auth required $M use_first_pass"
svc tryfirst_none "auth required $M try_first_pass"
svc badopt "auth required $M use_frist_pass"
svc items "auth required $ITEMS" "auth required $M"
svc missing "auth required $SO db=$TMP/missing.db"

new_store
A=$(new_key "$TMP/a" alice)
R=$(new_key "$TMP/r" alice)
ka revoke "$R" >/dev/null 2>&1
D=$(new_key "$TMP/d" alice)
ka disable "$D" >/dev/null 2>&1
new_key "$TMP/e" alice --expires 1s >/dev/null
new_key "$TMP/s" alice --service smtp >/dev/null
new_key "$TMP/f" alice --from 192.0.2.0/24 >/dev/null
A2=$(new_key "$TMP/a2" alice)
A3=$(new_key "$TMP/a3" alice)
forge "$TMP/a" "$TMP/forged"
printf 'a plain password\n' >"$TMP/pw"
sleep 1 # e expires

(pwrap_env && san_leaks && PT_DIR=$TMP PT_DB=$DB PT_KEYADM="$KEYADM --db $DB" \
	PT_ID_A=$A PT_ID_A2=$A2 PT_ID_A3=$A3 exec "$BIN") >"$TMP/out" 2>&1
rc=$?
# pamtest prints the TAP lines and the plan; pam_wrapper's own lines go.
grep -v '^PWRAP' "$TMP/out"
exit $rc
