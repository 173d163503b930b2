#!/bin/sh
# keyadm sessions, revoke and disable --end-sessions over session records
# as pam_apikey writes them (planted here for real processes that stand
# for sessions: a shell with a child): a live session of the key ends
# (its leader and the leader's child), another key's and another user's
# sessions keep running, a stale record (the pid runs something else: a
# wrong start time) is removed and its process not signalled; without
# --end-sessions (and no policy) nothing ends; end_sessions yes is the
# default and --keep-sessions overrides it; a record planted by a non-root
# user, one naming a user who does not own the key, or a directory with
# wrong modes is refused; the audit entry and syslog say how many.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"
. "$TOP/tests/pam_apikey/pamlib.sh"
need_root() { [ "$(id -u)" -eq 0 ] || skip_all "needs root (records are root's)"; }
need_root

SD="$TMP/sessions"
mkdir -m 0700 "$SD"
printf 'sessions_dir %s\n' "$SD" >"$TMP/policy"
export APIKEY_CONFIG="$TMP/policy"
new_store
a=$(new_key "$TMP/a" alice)
a2=$(new_key "$TMP/a2" alice)
b=$(new_key "$TMP/b" bob)

# session: a process standing for a session (a shell and its child); its
# pid in $P.
session() {
	sh -c 'sleep 300 & wait' &
	P=$!
	at_exit "pkill -P $P sleep; kill $P 2>/dev/null"
	sleep 0.2
}

session; PA=$P; plant "$a" alice "$PA"
session; PA2=$P; plant "$a2" alice "$PA2"
session; PB=$P; plant "$b" bob "$PB"
session; PS=$P; plant "$a" alice "$PS" 12345 # stale: pid reused
j=$(ka sessions --json)
is "sessions --json lists the three live sessions (not the stale one)" \
	"$(json_get "$j" 'sorted((s["key"], s["user"], s["service"], s["host"], s["pid"]) for s in j) == sorted([("'"$a"'", "alice", "sshd", "127.0.0.1", '"$PA"'), ("'"$a2"'", "alice", "sshd", "127.0.0.1", '"$PA2"'), ("'"$b"'", "bob", "sshd", "127.0.0.1", '"$PB"')])')" True
is "sessions alice: two" "$(ka sessions alice | tail -n +2 | wc -l)" 2
is "sessions --key: one" "$(ka sessions --key "$b" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 1
like "the table has the key, user, service and host" "$(ka sessions bob)" "^$b +bob +sshd +127\.0\.0\.1 +20"

# ---- negative twin: revoke without --end-sessions ends nothing
is "revoke without --end-sessions" "$(ka revoke "$a2")" "revoked $a2 (alice)"
sleep 0.3
check "... leaves the key's session running" alive "$PA2"
is "... and its record" "$(ls "$SD" | grep -c "^$a2\.")" 1

# ---- revoke --end-sessions (in a namespace whose syslog we read, where
# there is one)
LOGS=0
if logns_works && start_syslog; then LOGS=1; fi
mark 2>/dev/null
if [ "$LOGS" -eq 1 ]; then
	out=$(in_logns "$KEYADM" revoke "$a" --end-sessions --reason "laptop stolen" 2>&1)
else
	out=$(ka revoke "$a" --end-sessions --reason "laptop stolen" 2>&1)
fi
like "revoke --end-sessions says how many it ended" "$out" "^ended 1 session of $a \(alice\)$"
sleep 0.3
check_fails "the key's session leader is gone" alive "$PA"
check_fails "... and its child" pgrep -P "$PA" sleep
check "another key's session of the same user keeps running" alive "$PA2"
check "another user's session keeps running" alive "$PB"
check "the stale record's process (pid reused) is not signalled" alive "$PS"
is "the stale record and the ended one are removed" "$(ls "$SD" | grep -c "^$a\.")" 0
like "the audit trail says how many" "$(ka audit --key "$a")" "end-sessions.*1 session"
if [ "$LOGS" -eq 1 ]; then
	like "syslog: the revoke, then how many sessions it ended" "$(since | tr '\n' ' ')" \
		"keyadm\[[0-9]+\]: revoke key=$a user=alice by=\"root\" reason=\"laptop stolen\" entry=[0-9]+ store=$DB .*keyadm\[[0-9]+\]: end-sessions key=$a user=alice by=\"root\" sessions=1 entry=[0-9]+ store=$DB"
else
	skip "no private mount namespace here: syslog not captured"
fi
wait "$PA" 2>/dev/null

# ---- a leader whose command name looks like more fields of
# /proc/PID/stat (") S 1 2 3"): its start time is still read right
cp /bin/sleep "$TMP/x) S 1 2 3 4"
"$TMP/x) S 1 2 3 4" 300 &
PW=$!
at_exit "kill $PW 2>/dev/null"
sleep 0.2
w=$(new_key "$TMP/w" walter)
plant "$w" walter "$PW"
is "a leader named ') S 1 2 3 4' is live" "$(ka sessions walter --json | python3 -c 'import json,sys; print([s["pid"] for s in json.load(sys.stdin)])')" "[$PW]"
like "... and ended" "$(ka revoke "$w" --end-sessions)" "ended 1 session of $w"
wait "$PW" 2>/dev/null

# ---- an already revoked key: --end-sessions ends what is left
j=$(ka revoke "$a2" --end-sessions --json)
is "revoke --end-sessions of a revoked key ends its session (json)" "$(json_get "$j" 'j["sessionsEnded"], j["changed"]')" "1 False"
sleep 0.3
check_fails "... it is gone" alive "$PA2"

# ---- policy: end_sessions yes, and --keep-sessions
printf 'sessions_dir %s\nend_sessions yes\n' "$SD" >"$TMP/policy"
c=$(new_key "$TMP/c" carol)
session; PC=$P; plant "$c" carol "$PC"
is "disable --keep-sessions under end_sessions yes" "$(ka disable "$c" --keep-sessions)" "disabled $c (carol)"
check "... the session runs" alive "$PC"
ka enable "$c" >/dev/null
out=$(ka disable "$c")
like "end_sessions yes: disable ends the session" "$out" "ended 1 session of $c"
sleep 0.3
check_fails "... it is gone" alive "$PC"
check_exit "--end-sessions with --keep-sessions is a usage error" 2 q ka revoke "$b" --end-sessions --keep-sessions
printf 'sessions_dir %s\n' "$SD" >"$TMP/policy"

# ---- refused records
d=$(new_key "$TMP/d" dave)
session; PD=$P; plant "$d" mallory "$PD"
err=$(ka revoke "$d" --end-sessions 2>&1 >/dev/null)
like "a record naming another user than the key's owner is refused" "$err" "names mallory, not the key's owner: ignored"
check "... and its process is not signalled" alive "$PD"
rm -f "$SD/$d."*
e=$(new_key "$TMP/e" erin)
session; PE=$P; plant "$e" erin "$PE"
chown nobody "$SD/$e.$PE.0000beef"
err=$(ka revoke "$e" --end-sessions 2>&1 >/dev/null)
like "a record not owned by root is refused" "$err" "not owned by root or writable by others: ignored"
check "... and its process is not signalled" alive "$PE"
chown root "$SD/$e.$PE.0000beef"
chmod 0777 "$SD"
err=$(ka sessions 2>&1)
check_exit "a sessions directory writable by others is refused" 1 q ka sessions
like "... with one clear error" "$err" "must be owned by root and not writable by group or others"
chmod 0700 "$SD"
ln -s "/proc/$PE/stat" "$SD/$e.$PE.link"
err=$(ka sessions erin 2>&1)
like "a symbolic link in the directory is refused" "$err" "cannot be opened"
rm -f "$SD/$e.$PE.link"
cp "$SD/$e.$PE.0000beef" "$TMP/good"
sed "s/^pid .*/pid 99999/" "$TMP/good" >"$SD/$e.$PE.0000beef"
like "a record whose name is not its key and process is refused" "$(ka sessions erin 2>&1)" "its name is not its key and process: ignored"
for bad in "s/^id .*/id x/" "s/^user .*/user -x/" "/^rhost/d" "s/^start .*/start 12x/" "\$a extra 1" "s/^cgroup .*/cgroup a b/"; do
	sed "$bad" "$TMP/good" >"$SD/$e.$PE.0000beef"
	like "a record that does not parse is refused ($bad)" "$(ka sessions erin 2>&1)" "does not parse: ignored"
done
cp "$TMP/good" "$SD/$e.$PE.0000beef"
is "the intact record is believed again" "$(ka sessions erin | tail -n +2 | wc -l)" 1
check_exit "sessions: a bad user name is a usage error" 2 q ka sessions -- -x
check_exit "sessions --key of an unknown key: not found" 3 q ka sessions --key AAAAAAAAAAAA
check "no key material in any record" sh -c "! grep -rqF \"\$(cut -d_ -f3 '$TMP/b')\" '$SD'"
is "sessions of nobody: no output" "$(ka sessions nobody)" ""
is "sessions --json with none: []" "$(ka sessions nobody --json)" "[]"
done_testing
