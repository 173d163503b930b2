#!/bin/sh
# pamtester (a real PAM application) under pam_wrapper, whose service
# files come from this test's directory and name the built pam_apikey.so
# by absolute path: authenticate and acct_mgmt for a valid key, every kind
# of bad key, restrictions by service name and by rhost, the other entry
# points, an unusable store, and a revocation between two runs.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"
. "$TOP/tests/pam_apikey/pamlib.sh"
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

# pt KEYFILE [-I item=value] SERVICE USER OPS...: pamtester's result line,
# without the prompts; the key goes to its conversation on stdin, never on
# the command line. pamtester reports success on stdout and failure on
# stderr (the two are not ordered in one pipe): the last line of the
# stream that matches its exit status.
pt() {
	_k=$1
	shift
	if pwrap pamtester "$@" <"$_k" >"$TMP/pt.out" 2>"$TMP/pt.err"; then
		_f="$TMP/pt.out"
	else
		_f="$TMP/pt.err"
	fi
	grep -v '^PWRAP' "$_f" | tail -n 1 | sed 's/^\(Password: \)*//'
}
OKAUTH='pamtester: successfully authenticated'
OKACCT='pamtester: account management done.'
FAIL='pamtester: Authentication failure'
UNAVAIL='pamtester: Authentication service cannot retrieve authentication info'

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
chmod 0660 "$DB"
like "a group-writable store: PAM_AUTHINFO_UNAVAIL" "$(pt "$TMP/a" app alice authenticate)" "$UNAVAIL"
chmod 0640 "$DB"
ln -s "$DB" "$TMP/link.db"
svc link "auth required $SO db=$TMP/link.db"
like "a store reached through a symlink: PAM_AUTHINFO_UNAVAIL" "$(pt "$TMP/a" link alice authenticate)" "$UNAVAIL"
cp "$DB" "$TMP/nobody.db"
chown nobody "$TMP/nobody.db"
svc nobody "auth required $SO db=$TMP/nobody.db"
like "a store not owned by root: PAM_AUTHINFO_UNAVAIL" "$(pt "$TMP/a" nobody alice authenticate)" "$UNAVAIL"
cp "$DB" "$TMP/trunc.db"
truncate -s 200 "$TMP/trunc.db"
svc trunc "auth required $SO db=$TMP/trunc.db"
like "a truncated store: PAM_AUTHINFO_UNAVAIL" "$(pt "$TMP/a" trunc alice authenticate)" "$UNAVAIL"
cp "$DB" "$TMP/copy.db"
svc copy "auth required $SO db=$TMP/copy.db"
is "the twin: an intact copy of the store, owned by root, works" \
	"$(pt "$TMP/a" copy alice authenticate)" "$OKAUTH"

# A genuine key of another store (same prefix): its id is unknown here.
"$KEYADM" --db "$TMP/second.db" init >/dev/null 2>&1
"$KEYADM" --db "$TMP/second.db" create alice >"$TMP/other" 2>/dev/null
svc second "auth required $SO db=$TMP/second.db"
is "a key of a second store works against that store" "$(pt "$TMP/other" second alice authenticate)" "$OKAUTH"
is "NOT_FOUND: the same key against this store" "$(pt "$TMP/other" app alice authenticate)" "$FAIL"

# Options, through the service file.
svc opt_service "auth required $M service=smtp" "account required $M service=smtp"
is "service=smtp: a key limited to smtp passes in another PAM service" \
	"$(pt "$TMP/s" opt_service alice authenticate acct_mgmt)" "$OKACCT"
S3=$(new_key "$TMP/s3" alice --service sshd)
is "service=smtp: a key limited to sshd is SERVICE_DENIED" "$(pt "$TMP/s3" opt_service alice authenticate)" "$FAIL"
svc split "auth required $M service=smtp" "account required $M"
is "account re-checks the key: allowed in auth (service=smtp) ..." \
	"$(pt "$TMP/s" split alice authenticate)" "$OKAUTH"
is "... and refused in account, which checks the service app" \
	"$(pt "$TMP/s" split alice authenticate acct_mgmt)" "$FAIL"
svc acct_only "account required $M" "account required pam_permit.so"
is "account with no key used: PAM_IGNORE, the stack decides (permit)" \
	"$(pt "$TMP/empty" acct_only alice acct_mgmt)" "$OKACCT"
svc acct_alone "account required $M"
is "account with no key used grants nothing on its own" \
	"$(pt "$TMP/empty" acct_alone alice acct_mgmt)" "pamtester: Permission denied"

SERVERR='pamtester: Error in service module'
for o in bogus db=relative/keys.db db= service= nonkey=maybe events=relative "DB=$DB" use_first_pass=1; do
	svc badopt "auth required $M $o"
	is "option '$o' is refused: PAM_SERVICE_ERR, even for a valid key" \
		"$(pt "$TMP/a" badopt alice authenticate)" "$SERVERR"
done
svc badacct "auth required $M" "account required $M nonkey=maybe"
is "a bad option in account fails it (PAM_SERVICE_ERR)" \
	"$(pt "$TMP/a" badacct alice authenticate acct_mgmt)" "$SERVERR"

# nonkey: fail (default) vs ignore, with pam_permit/pam_deny standing in
# for pam_unix.
svc nk_fail "auth required $M" "auth required pam_permit.so"
svc nk_ign "auth required $M nonkey=ignore" "auth required pam_permit.so"
svc nk_ign_deny "auth required $M nonkey=ignore" "auth required pam_deny.so"
svc nk_stack "auth [success=done ignore=ignore default=die] $M nonkey=ignore" \
	"auth required pam_permit.so"
svc nk_stack_deny "auth [success=done ignore=ignore default=die] $M nonkey=ignore" \
	"auth required pam_deny.so"
is "nonkey=fail (default): a password fails the stack" "$(pt "$TMP/pw" nk_fail alice authenticate)" "$FAIL"
is "nonkey=ignore: a password is handed on (pam_permit decides)" \
	"$(pt "$TMP/pw" nk_ign alice authenticate)" "$OKAUTH"
is "nonkey=ignore: a password is handed on (pam_deny decides)" \
	"$(pt "$TMP/pw" nk_ign_deny alice authenticate)" "$FAIL"
is "nonkey=ignore: a revoked key is still checked and fails" "$(pt "$TMP/r" nk_ign alice authenticate)" "$FAIL"
is "nonkey=ignore: a forged key is still checked and fails" "$(pt "$TMP/forged" nk_ign alice authenticate)" "$FAIL"
is "keys-or-password stack: a valid key is done before pam_deny" \
	"$(pt "$TMP/a" nk_stack_deny alice authenticate)" "$OKAUTH"
is "keys-or-password stack: a password goes on to the next module" \
	"$(pt "$TMP/pw" nk_stack alice authenticate)" "$OKAUTH"
is "keys-or-password stack: a revoked key stops the stack (die)" \
	"$(pt "$TMP/r" nk_stack alice authenticate)" "$FAIL"
is "keys-or-password stack: another user's key stops the stack" \
	"$(pt "$TMP/a" nk_stack bob authenticate)" "$FAIL"

# use_first_pass / try_first_pass. The first module (a store that does not
# exist, optional) prompts and leaves the answer as PAM_AUTHTOK; the input
# holds one line, so a second prompt would hit end of file and fail.
svc ufp "auth optional $SO db=$TMP/gone.db" "auth required $M use_first_pass"
svc ufp_alone "auth required $M use_first_pass"
svc tfp "auth optional $SO db=$TMP/gone.db" "auth required $M try_first_pass"
svc tfp_alone "auth required $M try_first_pass"
svc two_prompts "auth optional $SO db=$TMP/gone.db" "auth required $M"
is "use_first_pass takes the earlier module's answer" "$(pt "$TMP/a" ufp alice authenticate)" "$OKAUTH"
is "use_first_pass: the earlier answer is still verified (revoked)" "$(pt "$TMP/r" ufp alice authenticate)" "$FAIL"
is "use_first_pass with no earlier answer fails, never prompts" "$(pt "$TMP/a" ufp_alone alice authenticate)" "$FAIL"
is "try_first_pass takes the earlier module's answer" "$(pt "$TMP/a" tfp alice authenticate)" "$OKAUTH"
is "try_first_pass with no earlier answer prompts" "$(pt "$TMP/a" tfp_alone alice authenticate)" "$OKAUTH"
is "without either, the module prompts again (and meets end of input)" \
	"$(pt "$TMP/a" two_prompts alice authenticate)" "$FAIL"

# events=PATH: one line per check, with the id and never the key.
: >"$TMP/ev"
svc events "auth required $M events=$TMP/ev"
is "events=PATH: the check passes" "$(pt "$TMP/a" events alice authenticate)" "$OKAUTH"
is "events=PATH: one line, naming the key id" "$(grep -c "$A" "$TMP/ev")" 1
no_secret_in "$TMP/ev" "$TMP/a"
svc noevents "auth required $M events=none"
is "events=none: the check passes" "$(pt "$TMP/a" noevents alice authenticate)" "$OKAUTH"
is "events=none: nothing more recorded" "$(wc -l <"$TMP/ev" | tr -d ' ')" 1

# Keys or the Unix password: the real pam_unix below the module, for a
# test user with a password (created here, removed at exit).
if [ "$(id -u)" -eq 0 ] && have useradd userdel chpasswd; then
	U=akpt$$
	while id "$U" >/dev/null 2>&1; do U=${U}x; done
	if useradd -M -s /bin/sh "$U" 2>/dev/null; then
		at_exit "userdel -f $U >/dev/null 2>&1"
		printf 'unix-Pass-%s\n' "$$" >"$TMP/upw"
		printf 'unix-Wrong-%s\n' "$$" >"$TMP/upw_bad"
		printf '%s:%s\n' "$U" "$(cat "$TMP/upw")" | chpasswd
		UK=$(new_key "$TMP/uk" "$U")
		UR=$(new_key "$TMP/ur" "$U")
		ka revoke "$UR" >/dev/null 2>&1
		svc mixed "auth [success=done ignore=ignore default=die] $M nonkey=ignore" \
			"auth required pam_unix.so try_first_pass" "account required $M" \
			"account required pam_unix.so"
		svc keys_only "auth required $M" "account required $M" "account required pam_unix.so"
		is "pam_unix stack: the Unix password logs in (one prompt)" \
			"$(pt "$TMP/upw" mixed "$U" authenticate acct_mgmt)" "$OKACCT"
		is "pam_unix stack: a wrong Unix password fails" \
			"$(pt "$TMP/upw_bad" mixed "$U" authenticate)" "$FAIL"
		is "pam_unix stack: the user's key logs in" \
			"$(pt "$TMP/uk" mixed "$U" authenticate acct_mgmt)" "$OKACCT"
		is "pam_unix stack: a revoked key never reaches pam_unix" \
			"$(pt "$TMP/ur" mixed "$U" authenticate)" "$FAIL"
		is "pam_unix stack: alice's key for this user fails" \
			"$(pt "$TMP/a" mixed "$U" authenticate)" "$FAIL"
		is "keys only: the Unix password is refused" \
			"$(pt "$TMP/upw" keys_only "$U" authenticate)" "$FAIL"
		is "keys only: the user's key logs in" \
			"$(pt "$TMP/uk" keys_only "$U" authenticate acct_mgmt)" "$OKACCT"
	else
		not_ok "useradd $U"
	fi
else
	skip "pam_unix stack: needs root and useradd"
fi

ka revoke "$A" --reason "revoked between two runs" >/dev/null 2>&1
is "revoked after the previous run: the next run fails" "$(pt "$TMP/a" app alice authenticate)" "$FAIL"

# Session records (sessions=): a key's session is recorded and close_session
# removes it; no key, no record; a directory with wrong modes or reached
# through a symlink gets no record and the session is not failed.
SD="$TMP/sessions"
A=$(new_key "$TMP/a" alice)
svc sess "auth required $M sessions=$SD" "session required $M sessions=$SD"
svc sess_p "auth required $M sessions=$SD" "session required $M sessions=$SD" "session required pam_permit.so"
like "open_session after a key's auth records it (PAM_SUCCESS)" \
	"$(pt "$TMP/a" sess alice authenticate open_session)" 'pamtester: successfully opened a session'
is "... in a directory it made 0700, root's" "$(stat -c '%a %U' "$SD")" "700 root"
rec=$(cat "$SD"/"$A".* 2>/dev/null)
like "... naming the key, the user, the service and the leader" "$(printf '%s\n' "$rec" | tr '\n' ' ')" \
	"^id $A user alice service sess rhost - start [0-9]+ pid [0-9]+ pid_start [0-9]+ cgroup "
is "... one file, 0600, root's" "$(stat -c '%a %U' "$SD"/"$A".*)" "600 root"
cat "$SD"/* >"$TMP/records"
no_secret_in "$TMP/records" "$TMP/a"
rm -f "$SD"/*
like "open_session then close_session" "$(pt "$TMP/a" sess alice authenticate open_session close_session)" \
	'pamtester: session has successfully been closed'
is "... leaves no record" "$(ls "$SD" | wc -l)" 0
is "a session without a key's auth is not recorded" "$(pt "$TMP/pw" sess_p alice open_session >/dev/null; ls "$SD" | wc -l)" 0
chmod 0777 "$SD"
like "a world-writable sessions directory: the session still opens" \
	"$(pt "$TMP/a" sess_p alice authenticate open_session)" 'pamtester: successfully opened a session'
is "... and nothing is recorded there" "$(ls "$SD" | wc -l)" 0
if logns_works && start_syslog; then
	mark
	(pwrap_env && exec sh "$LOGNS" "$TMP/log.sock" pamtester sess_p alice authenticate \
		open_session open_session) <"$TMP/a" >/dev/null 2>&1
	is "a record that cannot be written is logged once per process" \
		"$(since | grep -c "pam_apikey(sess_p:session): cannot record the session of key $A: .*must be owned by root and not writable by group or others")" 1
else
	skip "no private mount namespace here: syslog not captured"
fi
chmod 0700 "$SD"
ln -s "$SD" "$TMP/sdlink"
svc sess_l "auth required $M sessions=$TMP/sdlink" "session required $M sessions=$TMP/sdlink" "session required pam_permit.so"
like "a sessions directory reached through a symlink: the session still opens" \
	"$(pt "$TMP/a" sess_l alice authenticate open_session)" 'pamtester: successfully opened a session'
is "... and nothing is recorded" "$(ls "$SD" | wc -l)" 0
svc sess_bad "session required $M sessions=relative"
is "sessions=relative is refused: PAM_SERVICE_ERR" "$(pt "$TMP/a" sess_bad alice open_session)" \
	'pamtester: Error in service module'
done_testing
