#!/bin/sh
# What pam_apikey sends to syslog(3), captured through a /dev/log bound in
# a private mount namespace (tests/pam_apikey/logns.sh) while the real libpam
# runs the module: one line per result code in pam_unix's failure-line
# shape plus key= and result=, the success line, the reason of an
# unusable store, hostile PAM items that cannot forge a log field, and
# never a key or a secret, not even with debug. Also the usage events file.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"
. "$TOP/tests/pam_apikey/pamlib.sh"
CASE="$TOP/tests/pam_apikey/pamcase"
need "pam_apikey.so or tests/pam_apikey/pamcase is not built" test -f "$SO" -a -x "$CASE"
need "no private mount namespace here (unshare --mount)" logns_works
need "cannot start the syslog listener" start_syslog

CONF="$TMP/pam.d"
mkdir -p "$CONF"
M="$SO db=$DB"
printf '%s\n' "auth required pam_deny.so" "account required pam_deny.so" >"$CONF/other"
printf '%s\n' "auth required $M" "account required $M" >"$CONF/apikey"
printf '%s\n' "auth required $M debug nonkey=ignore" "auth required pam_deny.so" \
	"account required $M debug" >"$CONF/dbg"
printf '%s\n' "auth required $M bogus=1" >"$CONF/badopt"
printf '%s\n' "auth required $SO db=$TMP/none.db" >"$CONF/missing"
printf '%s\n' "auth required $M events=none" >"$CONF/evnone"
printf '%s\n' "auth required $M events=$TMP/no.events" >"$CONF/evmissing"
printf '%s\n' "auth required $M events=rel.events" >"$CONF/evrel"
# pc ARGS...: pamcase in the namespace whose /dev/log we read.
pc() { in_logns "$CASE" "$CONF" "$@"; }
F2B='pam_[a-z_]+\([a-z]+:auth\): authentication failure; logname=[^ ]* uid=0 euid=0 tty=[^ ]* ruser=[^ ]* rhost=192\.0\.2\.9 +user='
export PAMCASE_RHOST=192.0.2.9

new_store
A=$(new_key "$TMP/a" alice)
R=$(new_key "$TMP/r" alice)
ka revoke "$R" >/dev/null 2>&1
D=$(new_key "$TMP/d" alice)
ka disable "$D" >/dev/null 2>&1
E=$(new_key "$TMP/e" alice --expires 1s)
S=$(new_key "$TMP/s" alice --service smtp)
F=$(new_key "$TMP/f" alice --from 10.0.0.0/8)
A2=$(new_key "$TMP/a2" alice)
forge "$TMP/a" "$TMP/forged"
printf 'hunter2 is my password\n' >"$TMP/pw"
KEYS="$TMP/a $TMP/r $TMP/d $TMP/e $TMP/s $TMP/f $TMP/a2 $TMP/forged"
sleep 1 # E expires

mark
check "VALID" pc apikey alice "$TMP/a" PAM_SUCCESS PAM_SUCCESS "$A"
is "success: one line with key id, user, service and rhost" \
	"$(since | sed 's/^<[0-9]*>.*pam_apikey/pam_apikey/')" \
	"pam_apikey(apikey:auth): key $A accepted for alice service apikey rhost 192.0.2.9"
like "success is LOG_AUTHPRIV|LOG_INFO" "$(since)" '^<86>'

for c in "bob:a:$A:WRONG_USER" "alice:r:$R:REVOKED" "alice:d:$D:DISABLED" "alice:e:$E:EXPIRED" \
	"alice:s:$S:SERVICE_DENIED" "alice:f:$F:SOURCE_DENIED" "alice:forged:$A:NOT_FOUND" \
	"alice:pw:-:MALFORMED"; do
	IFS=: read -r u f id code <<C
$c
C
	mark
	pc apikey "$u" "$TMP/$f" PAM_AUTH_ERR - >/dev/null
	like "$code: fail2ban line with key=$id" "$(since)" "$F2B$u key=$id result=$code\$"
	like "$code: LOG_AUTHPRIV|LOG_NOTICE" "$(since)" '^<85>'
done

mark
PAMCASE_BETWEEN="'$KEYADM' revoke $A2 >/dev/null 2>&1" pc apikey alice "$TMP/a2" PAM_SUCCESS PAM_AUTH_ERR >/dev/null
like "account after revocation: logged from the account step" "$(since)" \
	"pam_apikey\\(apikey:account\\): authentication failure; .* user=alice key=$A2 result=REVOKED\$"

mark
pc missing alice "$TMP/a" PAM_AUTHINFO_UNAVAIL - >/dev/null
like "UNAVAILABLE: the line ends with the store's reason" "$(since)" \
	"${F2B}alice key=- result=UNAVAILABLE: .*none\\.db"
mark
pc badopt alice "$TMP/a" PAM_SERVICE_ERR - >/dev/null
like "an unknown option is logged at LOG_ERR" "$(since)" '^<83>.*unknown or malformed option "bogus=1": failing closed'

# Hostile PAM items cannot add a field or a line to the log.
mark
PAMCASE_RHOST="$(printf 'evil host\nrhost=203.0.113.1')" pc apikey alice "$TMP/r" PAM_AUTH_ERR - >/dev/null
like "a hostile rhost is logged as one printable token" "$(since)" 'rhost=evil\?host\?rhost=203\.0\.113\.1 +user=alice'
is "a hostile rhost makes no extra line" "$(since | wc -l | tr -d ' ')" 1
mark
pc apikey "$(printf 'alice\nuser=root')" "$TMP/a" PAM_AUTH_ERR - >/dev/null
unlike "a user name with a newline is refused before anything logs it" "$(since)" 'user=root'

mark
pc dbg alice "$TMP/a" PAM_SUCCESS PAM_SUCCESS "$A" >/dev/null
pc dbg alice "$TMP/pw" PAM_AUTH_ERR - >/dev/null
pc dbg alice "$TMP/forged" PAM_AUTH_ERR - >/dev/null
like "debug: nonkey=ignore is explained at LOG_DEBUG" "$(since)" '^<87>.*not a key; nonkey=ignore'

# Usage events: off until the file exists, then one line per check.
unlike "no events file: no warning about it" "$(logged)" 'cannot record usage events'
install -m 0660 /dev/null "$TMP/keys.events"
pc apikey alice "$TMP/a" PAM_SUCCESS PAM_SUCCESS "$A" >/dev/null
pc apikey alice "$TMP/r" PAM_AUTH_ERR - >/dev/null
ev=$(cat "$TMP/keys.events")
like "events: the VALID check is recorded" "$ev" "	VALID	$A	alice	apikey	192\\.0\\.2\\.9\$"
like "events: the REVOKED check is recorded" "$ev" "	REVOKED	$R	alice	apikey	192\\.0\\.2\\.9\$"
is "events: exactly one line per check" "$(printf '%s\n' "$ev" | wc -l | tr -d ' ')" 2
pc evnone alice "$TMP/a" PAM_SUCCESS - >/dev/null
is "events=none records nothing" "$(wc -l <"$TMP/keys.events" | tr -d ' ')" 2
mark
pc apikey "$(cut -d_ -f3 "$TMP/a")" "$TMP/a" PAM_AUTH_ERR - >/dev/null
like "a secret typed as the user name is logged as user=-" "$(since)" "${F2B}- key=$A result=WRONG_USER"
like "and recorded as user -" "$(tail -n 1 "$TMP/keys.events")" "	WRONG_USER	$A	-	apikey	"
mark
pc evmissing alice "$TMP/a" PAM_SUCCESS - >/dev/null
like "a missing events= file is reported and the login still succeeds" "$(since)" 'cannot record usage events'
check "events= with a relative path fails closed" pc evrel alice "$TMP/a" PAM_SERVICE_ERR -
no_secret_in "$TMP/keys.events" $KEYS

no_secret_in "$SYSLOG" $KEYS
unlike "no password in the log" "$(logged)" hunter2
done_testing
