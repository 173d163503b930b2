#!/bin/sh
# pam_apikey on a replica of a fleet (keyadm(8) FLEET), through the real
# libpam with syslog captured: a fresh replica answers as its store says,
# one past its bundle's validity answers PAM_AUTHINFO_UNAVAIL with the
# reason in the log (fleet_stale deny), or answers with a logged warning
# (fleet_stale warn), in auth and in account; a revocation installed from
# the primary is refused at the next login.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"
. "$TOP/tests/pam_apikey/pamlib.sh"
CASE="$TOP/tests/pam_apikey/pamcase"
need "pam_apikey.so or tests/pam_apikey/pamcase is not built" test -f "$SO" -a -x "$CASE"
need "no private mount namespace here (unshare --mount)" logns_works
need "cannot start the syslog listener" start_syslog

mkdir -p "$TMP/r" "$TMP/pam.d"
RDB="$TMP/r/keys.db"
printf '%s\n' "auth required $SO db=$RDB" "account required $SO db=$RDB" >"$TMP/pam.d/apikey"
pc() { in_logns "$CASE" "$TMP/pam.d" "$@"; }
R() { ka --db "$RDB" "$@"; }
export PAMCASE_RHOST=192.0.2.9

new_store
A=$(new_key "$TMP/a" alice)
B=$(new_key "$TMP/b" alice)
ka signing-key create >/dev/null 2>&1
ka publish --out "$TMP/1.akb" >/dev/null 2>&1
R install "$TMP/1.akb" --trust "$DB.pub" >/dev/null 2>&1
chmod 755 "$TMP"

check "fresh replica: VALID in auth and account" pc apikey alice "$TMP/a" PAM_SUCCESS PAM_SUCCESS "$A"
ka revoke "$B" >/dev/null 2>&1
check "a revocation on the primary alone: the replica still says VALID" \
	pc apikey alice "$TMP/b" PAM_SUCCESS PAM_SUCCESS "$B"
ka publish --out "$TMP/2.akb" --valid 2s >/dev/null 2>&1
R install "$TMP/2.akb" --trust "$DB.pub" >/dev/null 2>&1
check "installed: the revoked key is refused at the next login" pc apikey alice "$TMP/b" PAM_AUTH_ERR -
check "and the other key still works" pc apikey alice "$TMP/a" PAM_SUCCESS PAM_SUCCESS "$A"
mark
PAMCASE_BETWEEN="sleep 2.2" pc apikey alice "$TMP/a" PAM_SUCCESS PAM_AUTHINFO_UNAVAIL >/dev/null
check "going stale between auth and account: account is PAM_AUTHINFO_UNAVAIL" test $? -eq 0
like "and the account line says why" "$(since)" \
	"pam_apikey\\(apikey:account\\): authentication failure; .* key=$A result=UNAVAILABLE: .*replica of .* is stale \\(valid until .*; fleet_stale deny\\)\$"
mark
check "stale (deny): auth is PAM_AUTHINFO_UNAVAIL" pc apikey alice "$TMP/a" PAM_AUTHINFO_UNAVAIL -
like "with the reason in the log" "$(since)" \
	"result=UNAVAILABLE: .*replica of .* is stale \\(valid until .*; fleet_stale deny\\)\$"

printf 'fleet_stale warn\n' >"$TMP/warn.conf"
ka publish --out "$TMP/3.akb" --valid 2s >/dev/null 2>&1
ka --config "$TMP/warn.conf" --db "$RDB" install "$TMP/3.akb" --trust "$DB.pub" >/dev/null 2>&1
sleep 2.2
mark
check "stale (warn): VALID in auth and account" pc apikey alice "$TMP/a" PAM_SUCCESS PAM_SUCCESS "$A"
like "with a warning in the log (LOG_WARNING)" "$(since)" \
	'^<84>.*pam_apikey\(apikey:auth\): .*replica of .* is stale \(valid until .*\); answering anyway \(fleet_stale warn\)$'
check "stale (warn): the revoked key is still refused" pc apikey alice "$TMP/b" PAM_AUTH_ERR -
logged >"$TMP/log.txt"
no_secret_in "$TMP/log.txt" "$TMP/a" "$TMP/b"
done_testing
