#!/bin/sh
# Usage events end to end, through the real libpam and libsasl2 with the
# module and the plugin running as a service does (user nobody, group
# nogroup standing for apikey): concurrent logins never tear a line and
# keyadm reads every one; a missing, read-only, directory or FIFO events
# file changes no authentication result, is reported to syslog once per
# process, and hangs nothing; last use and failures after real logins; and
# the shipped logrotate file (shown in keyadm.8), run four times by the real
# logrotate under the services, keeps every use and failure readable.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"
. "$TOP/tests/sasl_apikey/sasllib.sh"
. "$TOP/tests/hardening/hlib.sh"
for b in bench/pam_bench bench/sasl_bench tests/pam_apikey/pamcase; do
	[ -x "$TOP/$b" ] || { not_ok "$b built"; done_testing; exit 1; }
done
need "needs root (setpriv to a service user, a private mount namespace)" test "$(id -u)" -eq 0
need "setpriv is not installed" have setpriv
need "user nobody and group nogroup" getent group nogroup
need "no private mount namespace for a captured syslog" logns_works
need "the syslog listener does not start" start_syslog

EV="$TMP/keys.events"
new_store
bench_setup
bench_as nobody nogroup
cp "$TOP/tests/pam_apikey/pamcase" "$SASLTRY" "$TMP/bin/"
cp "$TMP/pam.d/apikey" "$TMP/pam.d/sshd"
A=$(new_key "$TMP/a" alice)
B=$(new_key "$TMP/b" bob)
R=$(new_key "$TMP/r" alice)
D=$(new_key "$TMP/d" bob)
ka revoke "$R" >/dev/null 2>&1
ka disable "$D" >/dev/null 2>&1
# lines EVENT-REGEX: how many lines of the events file match.
lines() { grep -Ec -- "$1" "$EV"; }
# fails LOOP-OUTPUT: the failures field of a bench line.
fails() { printf '%s\n' "$1" | awk '{print $4}'; }
# warned: how many "cannot record" lines the captured syslog has since mark.
warned() { since | grep -c 'cannot record usage events'; }
# watched CMD...: CMD (a bench loop) with its syslog captured, stopped
# after 60 s so that a blocked open is a failure, not a stuck test.
watched() {
	_as=$BENCH_AS
	BENCH_AS="timeout 60 sh $LOGNS $TMP/log.sock $_as"
	"$@"
	_rc=$?
	BENCH_AS=$_as
	return $_rc
}

# ---- 1. two PAM and two SASL processes at once, valid and rejected keys
# (a SASL exchange costs a tenth of a PAM transaction: ten times as many
# keep the four writing together)
NP=2000 NS=20000
pam_loop alice $NP "$TMP/a" >"$TMP/p1" 2>&1 &
p1=$!
pam_loop alice $NP "$TMP/r" >"$TMP/p2" 2>&1 &
p2=$!
sasl_loop bob $NS "$TMP/b" >"$TMP/s1" 2>&1 &
s1=$!
sasl_loop bob $NS "$TMP/d" >"$TMP/s2" 2>&1 &
s2=$!
at_exit "kill $p1 $p2 $s1 $s2 2>/dev/null"
# keyadm reads while they write: it never meets a bad line. read(2) can
# end inside the line being written (one that crosses a page); that
# unterminated tail is a write in progress, neither read nor counted.
reads=0 rerr=0 rbad=0
while kill -0 $p1 2>/dev/null || kill -0 $s1 2>/dev/null; do
	err=$(ka failures 2>&1 >/dev/null) || rerr=$((rerr + 1))
	n=$(printf '%s\n' "$err" | sed -n 's/.*: \([0-9]*\) malformed line.*/\1/p')
	[ -n "$n" ] && [ "$n" -gt "$rbad" ] && rbad=$n
	reads=$((reads + 1))
done
wait $p1 $p2 $s1 $s2
MP=$((NP + 20)) MS=$((NS + 20)) # each loop warms up with 20
TOTAL=$((2 * MP + 2 * MS))
diag "PAM valid:    $(cat "$TMP/p1")  (median p10 p90 us, failures, rss kB)"
diag "PAM revoked:  $(cat "$TMP/p2")"
diag "SASL valid:   $(cat "$TMP/s1")"
diag "SASL disabled: $(cat "$TMP/s2")"
diag "keyadm failures runs during the logins: $reads, most malformed lines seen in one: $rbad"
is "PAM: the valid key was never refused" "$(fails "$(cat "$TMP/p1")")" 0
is "PAM: the revoked key was never accepted" "$(fails "$(cat "$TMP/p2")")" $MP
is "SASL: the valid key was never refused" "$(fails "$(cat "$TMP/s1")")" 0
is "SASL: the disabled key was never accepted" "$(fails "$(cat "$TMP/s2")")" $MS
check "keyadm read while they wrote" test "$reads" -ge 1
is "keyadm never failed while they wrote" "$rerr" 0
is "no reader met a bad line (the line being written is not one)" "$rbad" 0

sw=$(cut -f 3 "$EV" | uniq | wc -l | tr -d ' ')
diag "runs of lines from one writer: $sw (1 would be no overlap at all)"
check "the four wrote at the same time (their lines interleave)" test "$sw" -gt 4
is "one line per attempt" "$(wc -l <"$EV" | tr -d ' ')" $TOTAL
is "the file ends with a whole line" "$(tail -c 1 "$EV" | od -An -tx1 | tr -d ' ')" 0a
is "every line has six tab-separated fields" "$(awk -F '\t' 'NF != 6' "$EV" | wc -l | tr -d ' ')" 0
TS='^[0-9]{13}	'
H='	127\.0\.0\.1$'
is "every line is one of the four attempts, whole" "$(grep -Evc -- \
	"$TS(VALID	$A	alice	apikey|REVOKED	$R	alice	apikey|VALID	$B	bob	smtp|DISABLED	$D	bob	smtp)$H" "$EV")" 0
is "PAM VALID lines" "$(lines "${TS}VALID	$A	alice	apikey$H")" $MP
is "PAM REVOKED lines" "$(lines "${TS}REVOKED	$R	alice	apikey$H")" $MP
is "SASL VALID lines" "$(lines "${TS}VALID	$B	bob	smtp$H")" $MS
is "SASL DISABLED lines" "$(lines "${TS}DISABLED	$D	bob	smtp$H")" $MS
err=$(ka failures --json 2>&1 >"$TMP/f.json")
is "keyadm failures: no malformed line, no warning" "$err" ""
j=$(cat "$TMP/f.json")
is "failures: the two rejected keys, one group each" \
	"$(json_get "$j" 'sorted((g["id"], g["state"], g["source"], g["count"], g["results"], g["services"], g["users"]) for g in j)')" \
	"$(python3 -c 'import sys; print(sorted([(sys.argv[1], "revoked", "127.0.0.1", int(sys.argv[3]), ["REVOKED"], ["apikey"], ["alice"]), (sys.argv[2], "disabled", "127.0.0.1", int(sys.argv[4]), ["DISABLED"], ["smtp"], ["bob"])]))' "$R" "$D" $MP $MS)"
err=$(ka list --json 2>&1 >"$TMP/l.json")
is "keyadm list: no malformed line, no warning" "$err" ""
j=$(cat "$TMP/l.json")
is "list: last use of the PAM and SASL keys, none for the rejected ones" \
	"$(json_get "$j" '[(k["owner"], k["lastUsedService"], k["lastUsedSource"]) for k in sorted(j, key=lambda k: ["'"$A"'", "'"$B"'", "'"$R"'", "'"$D"'"].index(k["id"]))]')" \
	"[('alice', 'apikey', '127.0.0.1'), ('bob', 'smtp', '127.0.0.1'), ('alice', None, None), ('bob', None, None)]"
no_secret_in "$EV" "$TMP/a" "$TMP/b" "$TMP/r" "$TMP/d"

# The negative twin: lines the services did not write whole. A seventh
# field on a newer VALID line and a NUL byte are counted, never read; a
# torn tail (the start of a REVOKED line, as a write cut short leaves it)
# is neither read nor counted until a later line ends it.
cp "$EV" "$TMP/ev.good"
now=$(($(date +%s) * 1000 + 3600000))
{
	printf '%s\tVALID\t%s\talice\tforged\t203.0.113.1\tx\n' "$now" "$A"
	printf '%s\tVALID\t%s\talice\tn\0ul\t203.0.113.2\n' "$now" "$A"
	printf '%s\tREVOKED\t%s\tali' "$now" "$R"
} >>"$EV"
err=$(ka failures --json 2>&1 >"$TMP/f.json")
is "failures: the two bad lines are counted in one warning" "$err" \
	"keyadm: $EV: 2 malformed lines ignored"
is "failures: the torn REVOKED line is not an attempt" \
	"$(json_get "$(cat "$TMP/f.json")" '[g["count"] for g in j if g["id"] == "'"$R"'"]')" "[$MP]"
check_exit "failures still exits 0" 0 q ka failures
is "show: the forged newer VALID lines are no use" \
	"$(json_get "$(ka show "$A" --json 2>/dev/null)" 'j["lastUsedService"], j["lastUsedSource"]')" "apikey 127.0.0.1"
like "show: and warns about them" "$(ka show "$A" 2>&1 >/dev/null)" "2 malformed lines ignored"
# a login after the torn tail: its line is glued to the tail and goes
# with it as one bad line, never misread as another event
is "a PAM login after the torn tail succeeds" "$(fails "$(pam_loop alice 1 "$TMP/a")")" 0
is "the login's first line, glued to the torn tail, is refused with it" \
	"$(ka failures 2>&1 >/dev/null)" "keyadm: $EV: 3 malformed lines ignored"
is "one glued line, then the login's other 20 whole" "$(wc -l <"$EV" | tr -d ' ')" $((TOTAL + 2 + 21))
cp "$TMP/ev.good" "$EV"

# ---- 2. an events file the services cannot write: results unchanged
# unusable WHAT WARNINGS: through PAM and SASL the valid keys pass and the
# rejected ones fail, each process logs WARNINGS "cannot record" lines
# for its 23 attempts, and keyadm reads (or reports) without hanging.
unusable() {
	mark
	is "$1: PAM, valid key accepted" "$(fails "$(watched pam_loop alice 3 "$TMP/a")")" 0
	is "$1: PAM, syslog reports for 23 attempts: $2" "$(warned)" "$2"
	mark
	is "$1: PAM, revoked key refused" "$(fails "$(watched pam_loop alice 3 "$TMP/r")")" 23
	is "$1: PAM, and in that process too: $2" "$(warned)" "$2"
	mark
	is "$1: SASL, valid key accepted" "$(fails "$(watched sasl_loop bob 3 "$TMP/b" log_level=3)")" 0
	is "$1: SASL, syslog reports for 23 attempts: $2" "$(warned)" "$2"
	mark
	is "$1: SASL, disabled key refused" "$(fails "$(watched sasl_loop bob 3 "$TMP/d" log_level=3)")" 23
	is "$1: SASL, and in that process too: $2" "$(warned)" "$2"
	check_exit "$1: keyadm list does not hang and exits 0" 0 q timeout 20 "$KEYADM" list
	check_exit "$1: keyadm failures does not hang and exits 0" 0 q timeout 20 "$KEYADM" failures
}
mv "$EV" "$TMP/ev.saved"
unusable "missing" 0
check_fails "missing: no front end created the file" test -e "$EV"
is "missing: keyadm says nothing about it" "$(ka failures 2>&1 >/dev/null)" ""

cp "$TMP/ev.saved" "$EV"
chgrp nogroup "$EV"
chmod 0440 "$EV"
unusable "read-only (0440)" 1
is "read-only: no line was added" "$(wc -l <"$EV" | tr -d ' ')" $TOTAL
is "read-only: keyadm still reads it" "$(ka failures 2>&1 >/dev/null)" ""

rm -f "$EV"
mkdir -m 0770 "$EV"
chgrp nogroup "$EV"
unusable "a directory" 1
like "a directory: keyadm says it is not a regular file" "$(ka list 2>&1 >/dev/null)" \
	"cannot read the usage events: .*keys\.events: not a regular file"
rmdir "$EV"

mkfifo -m 0660 "$EV"
chgrp nogroup "$EV"
unusable "a FIFO" 1
like "a FIFO: keyadm says it is not a regular file" "$(timeout 20 "$KEYADM" failures 2>&1 >/dev/null)" \
	"cannot read the usage events: .*keys\.events: not a regular file"
is "a FIFO: keyadm verify --record does not hang and answers" \
	"$(timeout 20 "$KEYADM" verify alice --record <"$TMP/a" 2>"$TMP/err")" VALID
like "a FIFO: and says the attempt was not recorded" "$(cat "$TMP/err")" "cannot record the attempt: .*keys\.events"
# A reader holding the FIFO open: the writers refuse it all the same and
# put nothing into it.
exec 3<>"$EV"
unusable "a FIFO being read" 1
check_fails "a FIFO being read: nothing was written into it" \
	sh -c 'timeout 2 dd bs=1 count=1 iflag=nonblock <&3 2>/dev/null | grep -q .'
exec 3<&-
rm -f "$EV"
mv "$TMP/ev.saved" "$EV"
is "the events file put back: a login" "$(fails "$(pam_loop alice 1 "$TMP/a")")" 0
is "is recorded again" "$(wc -l <"$EV" | tr -d ' ')" $((TOTAL + 21))

# ---- 3. last use and failures after real logins (sshd as the PAM service)
P=$(new_key "$TMP/p" carol)
S=$(new_key "$TMP/s" dave)
U=$(new_key "$TMP/u" carol)
W=$(new_key "$TMP/w" carol)
X=$(new_key "$TMP/x" erin)
ka revoke "$X" --reason offboarded >/dev/null 2>&1
# pam USER KEYFILE RHOST AUTH [ID]: one login through pamcase, as the service
pam() {
	PAMCASE_RHOST=$3 as_svc "$TMP/bin/pamcase" "$TMP/pam.d" sshd "$1" "$2" "$4" - "${5:--}"
}
# sasl USER KEYFILE SERVICE REMOTE: one PLAIN exchange through sasl-try
sasl() {
	as_svc "$TMP/bin/sasl-try" --plugins "$TMP/sasl" --db "$DB" --mech PLAIN --user "$1" \
		--service "$3" --remote "$4" <"$2" 2>/dev/null | cut -d' ' -f1
}
chmod 0644 "$TMP/p" "$TMP/w" "$TMP/x" # pamcase reads the key file as the service user
jshow() { json_get "$(ka show "$1" --json 2>/dev/null)" "$2"; }
t0=$(($(date +%s) * 1000))
check "PAM login with carol's key" pam carol "$TMP/p" 192.0.2.10 PAM_SUCCESS "$P"
is "SASL login with dave's key" "$(sasl dave "$TMP/s" imap 198.51.100.7)" SASL_OK
t1=$((($(date +%s) + 1) * 1000))
check "PAM: carol's key as another user is refused" pam mallory "$TMP/p" 192.0.2.99 PAM_AUTH_ERR
check "PAM: a rejected attempt with a never-used key" pam mallory "$TMP/w" 192.0.2.98 PAM_AUTH_ERR
is "SASL: dave's key as another user is refused" "$(sasl mallory "$TMP/s" smtp 198.51.100.99)" SASL_BADAUTH
is "show --json: last use after the PAM login" "$(jshow "$P" 'j["lastUsedService"], j["lastUsedSource"], '"$t0"' <= j["lastUsedAt"] <= '"$t1")" \
	"sshd 192.0.2.10 True"
is "show --json: last use after the SASL login" "$(jshow "$S" 'j["lastUsedService"], j["lastUsedSource"], '"$t0"' <= j["lastUsedAt"] <= '"$t1")" \
	"imap 198.51.100.7 True"
like "show: the PAM key's last use line" "$(ka show "$P" 2>/dev/null | grep '^last used')" \
	"^last used: 20[0-9-]+ [0-9:]+ UTC sshd 192\.0\.2\.10$"
like "show: the SASL key's last use line" "$(ka show "$S" 2>/dev/null | grep '^last used')" \
	"^last used: 20[0-9-]+ [0-9:]+ UTC imap 198\.51\.100\.7$"
is "show: a key never used" "$(ka show "$U" 2>/dev/null | grep '^last used')" "last used: never"
is "show: a key only ever refused was never used" "$(ka show "$W" 2>/dev/null | grep '^last used')" "last used: never"
out=$(ka list 2>/dev/null)
like "list: the PAM key" "$(printf '%s\n' "$out" | grep "^$P")" " UTC +sshd +192\.0\.2\.10$"
like "list: the SASL key" "$(printf '%s\n' "$out" | grep "^$S")" " UTC +imap +198\.51\.100\.7$"
like "list: the unused key" "$(printf '%s\n' "$out" | grep "^$U")" " never$"
like "list: the refused-only key" "$(printf '%s\n' "$out" | grep "^$W")" " never$"
for _ in 1 2 3; do pam erin "$TMP/x" 192.0.2.20 PAM_AUTH_ERR; done
for _ in 1 2; do sasl erin "$TMP/x" smtp 198.51.100.20 >/dev/null; done
j=$(ka failures --key "$X" --json 2>/dev/null)
is "failures: the revoked key still tried, by source, with count and service" \
	"$(json_get "$j" 'sorted((g["state"], g["owner"], g["source"], g["count"], g["results"], g["services"]) for g in j)')" \
	"[('revoked', 'erin', '192.0.2.20', 3, ['REVOKED'], ['sshd']), ('revoked', 'erin', '198.51.100.20', 2, ['REVOKED'], ['smtp'])]"
like "failures: the text report, busiest source first" "$(ka failures --key "$X" 2>/dev/null | sed -n 2p)" \
	"^$X +erin +- +revoked +192\.0\.2\.20 +3 .* REVOKED +sshd +erin$"
is "failures: of carol's key, only the refused attempt, not the login" \
	"$(json_get "$(ka failures --key "$P" --json 2>/dev/null)" '[(g["source"], g["count"], g["results"], g["users"]) for g in j]')" \
	"[('192.0.2.99', 1, ['WRONG_USER'], ['mallory'])]"
is "failures: none for the unused key; for dave's, only the refused attempt" \
	"$(ka failures --key "$U" 2>/dev/null)$(json_get "$(ka failures --key "$S" --json 2>/dev/null)" '[g["source"] for g in j]')" \
	"['198.51.100.99']"
no_secret_in "$EV" "$TMP/p" "$TMP/s" "$TMP/w" "$TMP/x"

# ---- 4. the shipped logrotate file, which keyadm.8 shows, run by the
# real logrotate four times while the services and keyadm write: history
# from every rotated copy, compressed or not; hostile copies skipped.
if have logrotate gzip; then
	sed -n '/^\/var\/lib\/apikey\/keys\.events {$/,/^}$/p' "$TOP/man/keyadm.8" >"$TMP/snippet"
	is "keyadm.8 shows the shipped logrotate file, line for line" \
		"$(cat "$TMP/snippet")" "$(cat "$TOP/conf/logrotate.d/apikey")"
	# the shipped file moved to $TMP; nogroup is apikey here
	sed "s|^/var/lib/apikey/|$TMP/|; s|^\( *create 0660 root\) apikey\$|\1 nogroup|" \
		"$TOP/conf/logrotate.d/apikey" >"$TMP/logrotate.conf"
	like "it creates the file for the services" "$(cat "$TMP/logrotate.conf")" "^ +create 0660 root nogroup$"
	unlike "it does not copytruncate (it loses what is appended meanwhile)" \
		"$(cat "$TMP/logrotate.conf")" "copytruncate"
	lr() { logrotate -f -s "$TMP/logrotate.state" "$TMP/logrotate.conf" 2>&1; }
	n=$(wc -l <"$EV" | tr -d ' ')
	is "logrotate rotates the events file without a complaint" "$(lr)" ""
	is "keys.events.1 has every line" "$(wc -l <"$EV.1" | tr -d ' ')" "$n"
	is "the new keys.events: empty, 0660, root, the services' group" \
		"$(stat -c '%s %a %U %G' "$EV")" "0 660 root nogroup"
	check "a PAM login after the rotation" pam carol "$TMP/p" 192.0.2.11 PAM_SUCCESS "$P"
	is "the service appended to the new file" "$(cut -f 2,3,6 "$EV")" "VALID	$P	192.0.2.11"
	is "keyadm: last use from the new file" "$(jshow "$P" 'j["lastUsedService"], j["lastUsedSource"]')" \
		"sshd 192.0.2.11"
	is "keyadm: last use from the rotated .1" "$(jshow "$S" 'j["lastUsedService"], j["lastUsedSource"]')" \
		"imap 198.51.100.7"
	is "keyadm: failures from the rotated .1" \
		"$(json_get "$(ka failures --key "$X" --json 2>/dev/null)" 'sum(g["count"] for g in j)')" 5
	is "a second rotation" "$(lr)" ""
	is "keys.events.1 now holds the login after the first" "$(cut -f 2,3,6 "$EV.1")" "VALID	$P	192.0.2.11"
	check "the older file is compressed (delaycompress kept .1 plain)" gzip -t "$EV.2.gz"
	is "and has every line of the first" "$(gzip -dc "$EV.2.gz" | wc -l | tr -d ' ')" "$n"
	# a third and a fourth while keyadm verify --record writes (each line
	# lands in the old file or the new one; one that finds no file between
	# logrotate's rename and its create is reported, so none goes missing
	# unannounced) and a SASL login comes in between
	V=$(new_key "$TMP/v" carol)
	NV=300
	(for _ in $(seq $NV); do
		"$KEYADM" verify carol --service imap --from 192.0.2.40 --record <"$TMP/v" >/dev/null 2>>"$TMP/v.err"
	done) &
	vl=$!
	at_exit "kill $vl 2>/dev/null"
	# some of the loop's lines in the current file (at most 30 s)
	written() {
		_i=0
		while [ "$(grep -c "	$V	" "$EV")" -lt 50 ] && [ $_i -lt 300 ]; do
			sleep 0.1
			_i=$((_i + 1))
		done
	}
	written
	is "a third rotation while keyadm writes" "$(lr)" ""
	is "SASL login after the third" "$(sasl dave "$TMP/s" smtp 198.51.100.8)" SASL_OK
	written
	is "a fourth rotation while keyadm writes" "$(lr)" ""
	wait $vl
	is "four rotations: .1 plain, .2.gz .3.gz .4.gz" \
		"$(cd "$TMP" && ls keys.events.* | tr '\n' ' ')" "keys.events.1 keys.events.2.gz keys.events.3.gz keys.events.4.gz "
	all() { for f in "$EV.4.gz" "$EV.3.gz" "$EV.2.gz"; do gzip -dc "$f"; done; cat "$EV.1" "$EV"; }
	lost=$(grep -c 'cannot record' "$TMP/v.err")
	diag "verify --record during two rotations: $NV attempts, $lost found no file"
	is "every attempt during the rotations is in some copy, or was reported" \
		$(($(all | grep -c "	VALID	$V	carol	imap	192.0.2.40$") + lost)) $NV
	check "the attempts went to more than one copy" test \
		"$(for f in "$EV.3.gz" "$EV.2.gz" "$EV.1" "$EV"; do gzip -dcf "$f" | grep -q "	$V	" && echo x; done | wc -l)" -ge 2
	is "after four rotations: PAM last use from keys.events.3.gz" \
		"$(jshow "$P" 'j["lastUsedService"], j["lastUsedSource"]')" "sshd 192.0.2.11"
	is "after four rotations: SASL last use from keys.events.1" \
		"$(jshow "$S" 'j["lastUsedService"], j["lastUsedSource"]')" "smtp 198.51.100.8"
	is "after four rotations: the revoked key's 5 failures from keys.events.4.gz" \
		"$(json_get "$(ka failures --key "$X" --json 2>/dev/null)" 'sum(g["count"] for g in j)')" 5
	is "after four rotations: the used keys are not unused, the unused one is" \
		"$(ka list --unused 1h 2>/dev/null | awk 'NR > 1 {print $1}' | grep -E "^($P|$S|$U)$" | tr '\n' ' ')" "$U "
	is "and nothing was malformed" "$(ka failures 2>&1 >/dev/null)" ""

	# hostile rotated copies (the directory is root's: an admin's mistake
	# or a compromise): skipped, each with one warning, never a crash or a
	# hang; names outside the rotation pattern are not read at all
	Y=$(new_key "$TMP/y" erin)
	ka revoke "$Y" >/dev/null 2>&1
	t=$(($(date +%s) * 1000))
	forged() { printf '%s\tREVOKED\t%s\terin\tsshd\t%s\n' "$t" "$X" "$1"; }
	for i in $(seq 1000); do printf '%s\tREVOKED\t%s\terin\tsshd\t192.0.2.77\n' "$t" "$Y"; done |
		gzip -c >"$TMP/y.gz"
	head -c $(($(wc -c <"$TMP/y.gz") / 2)) "$TMP/y.gz" >"$EV.8.gz"
	head -c 4096 /dev/urandom >"$EV.9.gz"
	forged 192.0.2.91 >"$TMP/plain" && { echo "not an event"; gzip -c "$TMP/plain"; } >"$EV.10"
	ln -s /etc/shadow "$EV.5"
	forged 192.0.2.92 >"$EV.6" && chown nobody "$EV.6"
	forged 192.0.2.93 >"$EV.7" && chmod 0646 "$EV.7"
	forged 192.0.2.94 | gzip -c >"$EV.11.gz" && chown nobody "$EV.11.gz"
	mkfifo -m 0660 "$EV.12"
	forged 192.0.2.95 | gzip -c >"$EV.13.bz2"
	for f in "$EV.1.bak" "$EV.01" "$EV-20261201" "$EV.1.gz.old" "$EV.0" "$EV.2x"; do forged 192.0.2.96 >"$f"; done
	err=$(timeout 20 "$KEYADM" failures --json 2>&1 >"$TMP/f.json")
	rc=$?
	is "hostile copies: failures exits 0" "$rc" 0
	check "hostile copies: the JSON parses" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/f.json"
	like "a truncated .gz: read up to the damage" "$err" "keys\.events\.8\.gz: unexpected end of file; read up to there"
	y=$(json_get "$(cat "$TMP/f.json")" 'sum(g["count"] for g in j if g["id"] == "'"$Y"'")')
	check "and its whole lines before the damage counted ($y of 1000)" test "$y" -gt 0 -a "$y" -lt 1000
	like "random bytes as .gz: not gzip data" "$err" "keys\.events\.9\.gz: not gzip data, skipped"
	like "a symlink: refused" "$err" "keys\.events\.5: Too many levels of symbolic links, skipped"
	like "another owner: refused" "$err" "keys\.events\.6: not root's or writable by others, skipped"
	like "world-writable: refused" "$err" "keys\.events\.7: not root's or writable by others, skipped"
	like "another owner's .gz: refused" "$err" "keys\.events\.11\.gz: not root's or writable by others, skipped"
	like "a FIFO: refused, not waited on" "$err" "keys\.events\.12: not a regular file, skipped"
	like "gzip data without .gz: read as text, each line bad" "$err" "keys\.events: [0-9]+ malformed lines? ignored"
	is "the revoked key's count: nothing forged got in" \
		"$(json_get "$(cat "$TMP/f.json")" 'sum(g["count"] for g in j if g["id"] == "'"$X"'")')" 5
	unlike "no file outside the pattern was read" "$(cat "$TMP/f.json")" "192\.0\.2\.9[1-6]"
	is "one warning per hostile copy (6), one for the truncated, one for the bad lines" \
		"$(printf '%s\n' "$err" | wc -l | tr -d ' ')" 8
	rm -f "$EV".[0-9]* "$EV.01" "$EV.1.bak" "$EV-20261201" "$EV.1.gz.old" "$EV.2x"
	mv "$TMP/plain" "$EV.3" && chmod 0640 "$EV.3" # the twin: a root-owned plain copy is read
	is "the twin: a well-formed copy of root's is read" \
		"$(json_get "$(ka failures --key "$X" --json 2>/dev/null)" '[(g["source"], g["count"]) for g in j]')" \
		"[('192.0.2.91', 1)]"
else
	skip "logrotate or gzip is not installed (make deps)"
fi

done_testing
