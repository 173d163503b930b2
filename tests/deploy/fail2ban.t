#!/bin/sh
# shellcheck disable=SC2086 # key file lists split on purpose
# The shipped fail2ban filter (conf/fail2ban/filter.d/apikey.conf) through
# the real fail2ban-regex, over lines the real module and plugin sent to
# syslog(3): pam_apikey through the real libpam (tests/pam_apikey/pamcase) and
# sasl_apikey through the real libsasl2 with the library's own syslog
# logging (tests/deploy/sasl_syslog.py), captured by a private /dev/log
# (tests/pam_apikey/logns.sh) and written as a syslog daemon writes auth.log.
# Every key failure counts for the client's address (one address per
# result code); a success, result=UNAVAILABLE (a broken store), keyadm's
# own lines and a hostile rhost that carries an address count for nobody.
# The example jail is disabled as shipped and loads with the stock
# configuration once enabled.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"
. "$TOP/tests/pam_apikey/pamlib.sh"
. "$TOP/tests/deploy/f2blib.sh"
CASE="$TOP/tests/pam_apikey/pamcase"
PLUGIN="$TOP/sasl_apikey/libapikey.so"
need "pam_apikey.so, libapikey.so or tests/pam_apikey/pamcase is not built" test -f "$SO" -a -f "$PLUGIN" -a -x "$CASE"
need "fail2ban is not installed" have fail2ban-regex fail2ban-client
need "no stock fail2ban configuration in /etc/fail2ban" test -f /etc/fail2ban/filter.d/common.conf
need "no private mount namespace here (unshare --mount)" logns_works
need "cannot start the syslog listener" start_syslog

check "the stock configuration with the shipped filter and jail" f2b_setup
mkdir -p "$TMP/plugins"
cp "$PLUGIN" "$TMP/plugins/"

new_store
A=$(new_key "$TMP/a" alice)
R=$(new_key "$TMP/r" alice)
D=$(new_key "$TMP/d" alice)
E=$(new_key "$TMP/e" alice --expires 1s)
S=$(new_key "$TMP/s" alice --service imap)
F=$(new_key "$TMP/f" alice --from 10.0.0.0/8)
B=$(new_key "$TMP/b" bob)
forge "$TMP/a" "$TMP/forged"
printf 'hunter2 is my password\n' >"$TMP/pw"
# A well-formed key whose id this store has never seen.
(DB="$TMP/other.db" APIKEY_DB="$TMP/other.db" new_store && DB="$TMP/other.db" APIKEY_DB="$TMP/other.db" new_key "$TMP/u" alice >/dev/null)
in_logns "$KEYADM" revoke "$R" --reason test >/dev/null 2>&1
in_logns "$KEYADM" disable "$D" >/dev/null 2>&1
KEYS="$TMP/a $TMP/r $TMP/d $TMP/e $TMP/s $TMP/f $TMP/b $TMP/forged $TMP/u"
sleep 1 # E expires
: "$A $S $F $B"

M="$SO db=$DB"
mkdir -p "$TMP/pam.d"
printf '%s\n' "auth required pam_deny.so" >"$TMP/pam.d/other"
printf '%s\n' "auth required $M" "account required $M" >"$TMP/pam.d/smtp"
printf '%s\n' "auth required $SO db=$TMP/none.db" >"$TMP/pam.d/broken"
# pam HOST SERVICE USER KEYFILE RC: one PAM auth from HOST.
pam() { PAMCASE_RHOST=$1 in_logns "$CASE" "$TMP/pam.d" "$2" "$3" "$4" "$5" - >/dev/null; }
# sasl HOST USER KEYFILE [OPT...]: one SASL PLAIN exchange from HOST.
sasl() {
	_h=$1 _u=$2 _k=$3
	shift 3
	# shellcheck disable=SC2086 # SAN_ENV: NAME=VALUE words for env
	in_logns env $SAN_ENV python3 "$TOP/tests/deploy/sasl_syslog.py" "$TMP/plugins" "$_h;4711" "$_u" \
		"apikey_db=$DB" "$@" <"$_k"
}

# Positives: one address per result code, PAM in 192.0.2.0/24, SASL in
# 198.51.100.0/24.
want=""
n=0
for c in "alice:r:REVOKED" "alice:d:DISABLED" "alice:e:EXPIRED" "alice:s:SERVICE_DENIED" \
	"alice:f:SOURCE_DENIED" "alice:b:WRONG_USER" "alice:forged:NOT_FOUND" "alice:u:NOT_FOUND" \
	"alice:pw:MALFORMED"; do
	IFS=: read -r u f code <<C
$c
C
	n=$((n + 1))
	pam "192.0.2.$n" smtp "$u" "$TMP/$f" PAM_AUTH_ERR || not_ok "pam $code from 192.0.2.$n"
	rc=$(sasl "198.51.100.$n" "$u" "$TMP/$f")
	[ "$rc" = -13 ] || not_ok "sasl $code from 198.51.100.$n (result $rc, want SASL_BADAUTH)"
	want="$want 192.0.2.$n 198.51.100.$n"
done
POSITIVES=$n
# Negatives, all from 203.0.113.0/24: successes, a broken store, a
# hostile rhost that holds an address, keyadm's change lines.
check "PAM success" pam 203.0.113.1 smtp alice "$TMP/a" PAM_SUCCESS
is "SASL success" "$(sasl 203.0.113.2 alice "$TMP/a")" 0
check "PAM UNAVAILABLE" pam 203.0.113.3 broken alice "$TMP/a" PAM_AUTHINFO_UNAVAIL
is "SASL UNAVAILABLE" "$(sasl 203.0.113.4 alice "$TMP/a" "apikey_db=$TMP/none.db")" -24
check "PAM: a hostile rhost" pam "x rhost=203.0.113.5 " smtp alice "$TMP/r" PAM_AUTH_ERR
in_logns "$KEYADM" revoke "$A" --reason "rhost=203.0.113.6 result=REVOKED" >/dev/null 2>&1

# What a syslog daemon writes to auth.log and mail.log: the priority
# dropped and the host name after the time stamp.
syslog_file "$TMP/auth.log"
like "the log holds the module's failure lines" "$(cat "$TMP/auth.log")" 'pam_apikey\(smtp:auth\): authentication failure;.* result=REVOKED$'
like "the log holds the plugin's failure lines" "$(cat "$TMP/auth.log")" 'apikey-sasl-app: apikey: authentication failure;.* result=REVOKED'
like "the log holds the UNAVAILABLE lines" "$(grep -c 'result=UNAVAILABLE' "$TMP/auth.log")" '^2$'
like "the log holds keyadm's change lines" "$(cat "$TMP/auth.log")" 'keyadm.*revoke'
like "the log holds the success lines" "$(grep -c "key $A accepted for alice" "$TMP/auth.log")" '^2$'

f2b_hosts "$TMP/auth.log" >"$TMP/ips"
is "fail2ban-regex runs the shipped filter" "$?" 0
got=$(sort "$TMP/ips" | uniq -c | awk '{ print $2 ":" $1 }' | sort | tr '\n' ' ')
exp=$(for h in $want; do echo "$h:1"; done | sort | tr '\n' ' ')
is "every key failure counted once, for its client's address" "$got" "$exp"
is "$((POSITIVES * 2)) failures found" "$(wc -l <"$TMP/ips" | tr -d ' ')" $((POSITIVES * 2))
unlike "no success, UNAVAILABLE, hostile rhost or keyadm line counted" "$(cat "$TMP/ips")" '203\.0\.113\.'
fail2ban-regex --config "$F2B" "$TMP/auth.log" apikey >"$TMP/f2b.out" 2>&1
like "fail2ban-regex's summary agrees" "$(cat "$TMP/f2b.out")" "Lines: [0-9]+ lines, 0 ignored, $((POSITIVES * 2)) matched"
fail2ban-regex --config "$F2B" -o '<F-USER>' "$TMP/auth.log" apikey >"$TMP/users" 2>&1
is "the PAM lines also give the user" "$(grep -c '^alice$' "$TMP/users")" $((POSITIVES))

fail2ban-regex --config "$F2B" "$TMP/auth.log" pam-generic >"$TMP/generic.out" 2>&1
like "the stock pam-generic filter matches none of them (why the filter is shipped)" \
	"$(cat "$TMP/generic.out")" "Lines: [0-9]+ lines, 0 ignored, 0 matched"

# A single line of each shape, checked on its own (fail2ban-regex LINE).
line=$(grep 'pam_apikey(smtp:auth).*result=UNAVAILABLE' "$TMP/auth.log" | head -1)
[ -n "$line" ] || line=$(grep 'result=UNAVAILABLE' "$TMP/auth.log" | head -1)
like "a single UNAVAILABLE line is missed" "$(fail2ban-regex --config "$F2B" "$line" apikey 2>&1)" '1 lines, 0 ignored, 0 matched, 1 missed'

# The jail: disabled as shipped; enabled in a .local it loads with the
# stock jail.conf and uses this filter.
fail2ban-client -c "$F2B" -d >"$TMP/dump" 2>&1
unlike "as shipped the apikey jail is not enabled" "$(cat "$TMP/dump")" "'add', 'apikey'"
printf '[apikey]\nenabled = true\nlogpath = %s\nbackend = polling\n' "$TMP/auth.log" >"$F2B/jail.d/apikey.local"
fail2ban-client -c "$F2B" -d >"$TMP/dump" 2>&1
like "enabled, the apikey jail loads" "$(cat "$TMP/dump")" "'add', 'apikey', 'polling'"
like "and takes its failregex from the filter" "$(cat "$TMP/dump")" "'apikey', 'addfailregex', .*pam_apikey"

no_secret_in "$TMP/auth.log" $KEYS
done_testing
