# fail2ban helpers for the deployment tests (sourced after tests/lib.sh
# and tests/pam_apikey/pamlib.sh): the stock configuration with the shipped
# filter, and the captured syslog as a syslog daemon writes it to a file.
F2B="$TMP/fail2ban"

# f2b_setup: a copy of the stock /etc/fail2ban with the shipped filter
# and example jail added, in $F2B.
f2b_setup() {
	rm -rf "$F2B"
	cp -r /etc/fail2ban "$F2B" &&
		cp "$TOP/conf/fail2ban/filter.d/apikey.conf" "$F2B/filter.d/apikey.conf" &&
		cp "$TOP/conf/fail2ban/jail.d/apikey.conf" "$F2B/jail.d/apikey.conf"
}

# syslog_file OUT: what the listener captured ($SYSLOG), as auth.log has
# it: the priority dropped and a host name after the time stamp.
syslog_file() {
	logged | sed -E 's/^<[0-9]+>(.{15}) /\1 testhost /' >"$1"
}

# f2b_hosts LOG: the address of every line the shipped filter matches in
# LOG, one a line (fail2ban-regex's own output).
f2b_hosts() {
	fail2ban-regex --config "$F2B" -o '<ip>' "$1" apikey 2>/dev/null
}

# f2b_check LOG WHAT HOSTRE: every key failure line of pam_apikey in LOG
# (UNAVAILABLE is none) is matched, each for an address matching the
# extended regular expression HOSTRE.
f2b_check() {
	_want=$(grep -E 'pam_apikey\(.*authentication failure; .* result=' "$1" | grep -vc 'result=UNAVAILABLE')
	_got=$(f2b_hosts "$1")
	is "fail2ban: every key failure of $2 is matched ($_want)" "$(printf '%s\n' "$_got" | grep -c .)" "$_want"
	unlike "fail2ban: each for the client's address" "$(printf '%s\n' "$_got" | grep -Ev "^($3)\$")" .
}
