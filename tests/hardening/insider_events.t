#!/bin/sh
# A member of the store's group appends to the usage events file (the
# services must): its lines are hostile. Run as a real user of that group
# (useradd, setpriv): terminal escapes, invalid UTF-8, NUL bytes, bidi
# controls, overlong fields, bad times and ids, forged VALID lines for a
# key that does not exist and for a real key a week ahead. Every bad line
# is counted, never read: list, show and failures print only what the
# services could have written, their --json parses as strict UTF-8 JSON,
# and last use and failure counts stay the real ones. Then 600 000
# distinct ids and 70 000 distinct service names: keyadm failures stays
# within 64 MB and a few seconds and says which bound it hit.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"
. "$TOP/tests/pam_apikey/pamlib.sh"
need "needs root (useradd, setpriv)" test "$(id -u)" -eq 0
for c in useradd groupadd setpriv python3; do
	need "$c is not installed" have "$c"
done

G=akev$$
M=akev$$
at_exit "userdel $M >/dev/null 2>&1; groupdel $G >/dev/null 2>&1"
groupadd "$G" && useradd -M -N -g "$G" -s /usr/sbin/nologin -d /nonexistent "$M" ||
	{ not_ok "a test user in a group of its own"; done_testing; exit 1; }
EV="$TMP/keys.events"
new_store
chgrp "$G" "$EV" && chmod 0660 "$EV"
# member CMD...: CMD as the group member, nothing else of root's
member() { setpriv --reuid "$M" --regid "$G" --clear-groups -- "$@"; }
A=$(new_key "$TMP/a" alice)
R=$(new_key "$TMP/r" bob)
ka revoke "$R" >/dev/null 2>&1
ka verify alice --service sshd --from 192.0.2.1 --record <"$TMP/a" >/dev/null 2>&1
ka verify bob --service smtp --from 192.0.2.2 --record <"$TMP/r" >/dev/null 2>&1
good_list=$(ka list 2>&1)
good_fail=$(ka failures --json 2>&1)

check_fails "a user outside the group cannot append" \
	setpriv --reuid nobody --regid nogroup --clear-groups -- sh -c ": >>'$EV'" 2>/dev/null
check "the member can append to the events file (the services' right)" \
	member sh -c "printf '' >>'$EV'"

now=$(($(date +%s) * 1000))
NBAD=$(python3 - "$EV.hostile" "$now" "$A" "$R" <<'PY'
import sys
out, now, a, r = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode(), sys.argv[4].encode()
t = str(now).encode()
def line(*f):
    return b"\t".join(f) + b"\n"
bad = [
    line(t, b"VALID", a, b"alice", b"\x1b]0;owned\x07\x1b[2J", b"192.0.2.66"),  # escapes
    line(t, b"REVOKED", r, b"b\xffob", b"smtp", b"192.0.2.66"),              # invalid UTF-8
    line(t, b"REVOKED", r, b"bob", b"smtp", b"192.0.2\x0066"),               # NUL
    line(t, b"REVOKED", r, b"bob", b"smtp", "192.0.2.66\u202e".encode()),    # bidi override
    line(t, b"REVOKED", r, b"bob", "sm\u2028tp".encode(), b"-"),             # line separator
    line(t, b"REVOKED", r, b"b" * 65, b"smtp", b"-"),                        # user too long
    line(t, b"REVOKED", r, b"bob", b"s" * 33, b"-"),                         # service too long
    line(t, b"REVOKED", r, b"bob", b"smtp", b"9" * 5000),                    # line too long
    line(t, b"REVOKED", r[:11], b"bob", b"smtp", b"-"),                      # short id
    line(t, b"REVOKED", r[:11] + b"!", b"bob", b"smtp", b"-"),               # not base62
    line(t, b"REVOKED", r, b"-bob", b"smtp", b"-"),                          # not a user name
    line(b"1e12", b"REVOKED", r, b"bob", b"smtp", b"-"),                     # not a number
    line(b"-" + t, b"REVOKED", r, b"bob", b"smtp", b"-"),                    # negative
    line(b"99999999999999999999", b"REVOKED", r, b"bob", b"smtp", b"-"),     # overflow
    line(b"900000000000", b"REVOKED", r, b"bob", b"smtp", b"-"),             # before 2000
    line(str(now + 7 * 86400000).encode(), b"VALID", a, b"alice", b"sshd", b"203.0.113.9"),  # ahead
    line(t, b"VALID", b"-", b"alice", b"sshd", b"-"),                        # a use with no key
    line(t, b"REVOKED", r, b"bob", b"smtp", b"-", b"extra"),                 # seven fields
    line(t, b"valid", a, b"alice", b"sshd", b"-"),                           # unknown result
    line(t, b"REVOKED", r, b"bob", b"", b"-"),                               # empty field
]
# a made-up key id: the syntax is right, the store has none
good = [line(t, b"VALID", b"ZZZZZZZZZZZZ", b"mallory", b"sshd", b"203.0.113.7")]
open(out, "wb").write(b"".join(bad + good))
print(len(bad))
PY
)
member sh -c "cat '$EV.hostile' >>'$EV'"
is "the member's lines went in" "$(grep -c 203.0.113.7 "$EV")" 1
# printable ASCII, tab and newline only
clean() { LC_ALL=C tr -d '\t\n -~' | wc -c | tr -d ' '; }
out=$(ka list 2>"$TMP/err")
is "list: one warning counts every bad line" "$(cat "$TMP/err")" "keyadm: $EV: $NBAD malformed lines ignored"
is "list: the table is what it was (no forged use, no escape)" "$out" "$good_list"
is "list: nothing but printable ASCII" "$(ka list 2>&1 | clean)" 0
for cmd in "list" "show $A" "show $R" "failures" "failures --key $R"; do
	# shellcheck disable=SC2086
	ka $cmd --json >"$TMP/j" 2>/dev/null
	check "$cmd --json is strict UTF-8 JSON" python3 -c \
		'import json,sys; json.loads(open(sys.argv[1],"rb").read().decode("utf-8","strict"))' "$TMP/j"
	is "$cmd --json: nothing but printable ASCII" "$(clean <"$TMP/j")" 0
	# shellcheck disable=SC2086
	is "$cmd: nothing but printable ASCII" "$(ka $cmd 2>&1 | clean)" 0
done
is "show: alice's last use is the real one, not the forged future one" \
	"$(json_get "$(ka show "$A" --json 2>/dev/null)" 'j["lastUsedService"], j["lastUsedSource"]')" "sshd 192.0.2.1"
is "failures: the revoked key's count is the real one" "$(ka failures --json 2>/dev/null)" "$good_fail"
unlike "failures: the made-up key id is nowhere" "$(ka failures 2>&1; ka list 2>&1)" "ZZZZZZZZZZZZ"
check_exit "show of the made-up id: no such key" 3 q ka show ZZZZZZZZZZZZ
# the twin: a line the services write after the hostile ones is read
ka verify alice --service imap --from 192.0.2.3 --record <"$TMP/a" >/dev/null 2>&1
is "a real use after the hostile lines is read" \
	"$(json_get "$(ka show "$A" --json 2>/dev/null)" 'j["lastUsedService"], j["lastUsedSource"]')" "imap 192.0.2.3"
ka verify bob --service smtp --from 192.0.2.2 --record <"$TMP/r" >/dev/null 2>&1
is "and a real failure is counted" \
	"$(json_get "$(ka failures --key "$R" --json 2>/dev/null)" '[g["count"] for g in j]')" "[2]"

# ---- bounded memory: distinct ids and names the member makes up
# bounded FILE-DESC: failures over lines the member appends
bounded() {
	cp "$TMP/ev.base" "$EV"
	member sh -c "cat '$1' >>'$EV'"
	what=$2
	# peak RSS (kB), seconds and exit status of the one child, by getrusage
	# shellcheck disable=SC2046
	set -- $(python3 - "$KEYADM" "$TMP/j" "$TMP/err" <<'PY'
import resource, subprocess, sys, time
t = time.monotonic()
p = subprocess.run([sys.argv[1], "failures", "--json"], stdout=open(sys.argv[2], "w"),
                   stderr=open(sys.argv[3], "w"))
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, round(time.monotonic() - t, 2), p.returncode)
PY
)
	diag "failures over $what: peak RSS $1 kB, $2 s"
	is "$what: failures exits 0" "$3" 0
	if [ "$SANITIZED" = 1 ]; then # ASan's shadow and quarantine are not keyadm's
		skip "$what: peak RSS and time (make check SANITIZE=1)"
	else
		check "$what: peak RSS within 64 MB ($1 kB)" test "$1" -le 65536
		check "$what: within 20 s ($2 s)" awk -v s="$2" 'BEGIN { exit !(s < 20) }'
	fi
	check "$what: the JSON parses" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/j"
}
cp "$EV" "$TMP/ev.base"
python3 - "$TMP/ids" "$TMP/names" "$now" <<'PY'
import random, string, sys
A = string.ascii_letters + string.digits
r = random.Random(12)
t = int(sys.argv[3])
with open(sys.argv[1], "w") as f:
    for i in range(600000):
        f.write("%d\tREVOKED\t%s\t-\tsshd\t192.0.2.%d\n" % (t - i, "".join(r.choice(A) for _ in range(12)), i % 200))
with open(sys.argv[2], "w") as f:
    for i in range(70000):
        f.write("%d\tEXPIRED\t-\tu%d\ts%d\t10.%d.%d.%d\n" % (t - i, i, i, i >> 16, (i >> 8) & 255, i & 255))
PY
bounded "$TMP/ids" "600000 distinct ids"
like "600000 distinct ids: the bound is reported" "$(cat "$TMP/err")" \
	"failures: more than 100000 key and source pairs; 50000[0-9] attempts of the others are not shown"
is "600000 distinct ids: 100000 groups shown" "$(json_get "$(cat "$TMP/j")" 'len(j)')" 100000
is "600000 distinct ids: the real revoked key's group is still there" \
	"$(json_get "$(cat "$TMP/j")" '[g["count"] for g in j if g["id"] == "'"$R"'"]')" "[2]"
bounded "$TMP/names" "70000 distinct service and user names"
like "70000 names: the bound is reported" "$(cat "$TMP/err")" \
	"failures: more than 65536 service and user names; the others are not listed"
cp "$TMP/ev.base" "$EV"
is "the twin: without them, no bound is hit" "$(ka failures 2>&1 >/dev/null | grep -c 'more than')" 0

done_testing
