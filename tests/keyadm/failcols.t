#!/bin/sh
# keyadm failures: the columns are as wide as their widest cell (like
# column -t), the same on a terminal and in a pipe, with a long and a
# short owner, name, source and a key that is not in the store; each row
# names the key's owner and name. The twin: a name of UTF-8 characters
# wider in bytes than in columns does not break the columns.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"

new_store
long=averyveryveryverylongowner.name@example.org
a=$(new_key "$TMP/a.key" al --name x)
b=$(new_key "$TMP/b.key" "$long" --name "the mail server of the accounting floor")
utf=$(printf 'caf\303\251 \342\230\225')
c=$(new_key "$TMP/c.key" bo --name "$utf")
ka revoke "$a" "$b" "$c" >/dev/null 2>&1
ka verify al --from 192.0.2.1 --service smtp --record <"$TMP/a.key" >/dev/null
for _ in 1 2 3 4 5 6 7 8 9 10 11; do
	ka verify "$long" --from 2001:db8:ffff:ffff:ffff:ffff:ffff:fffe --service imap --record <"$TMP/b.key" >/dev/null
done
ka verify bo --from 10.0.0.1 --record <"$TMP/c.key" >/dev/null
forge "$TMP/a.key" "$TMP/f.key" newid
ka verify al --from 192.0.2.2 --record <"$TMP/f.key" >/dev/null

ka failures >"$TMP/pipe" 2>/dev/null
is "five lines: the header and four groups" "$(wc -l <"$TMP/pipe" | tr -d ' ')" 5

# aligned PATH: every cell of every row starts where its header starts
# (characters, not bytes), separated by two spaces at least, COUNT on the right
aligned() {
	python3 - "$1" <<'PY'
import re, sys
rows = open(sys.argv[1], encoding="utf-8").read().splitlines()
head = rows[0]
starts = [m.start() for m in re.finditer(r"\S+", head)]
names = head.split()
bad = []
for r in rows[1:]:
    # a name may hold spaces: cells are found by the header's columns
    for i, s in enumerate(starts):
        if names[i] == "COUNT":
            continue
        if s >= len(r) or r[s] == " " or (s > 0 and r[s - 1] != " "):
            bad.append("%s of %r" % (names[i], r[:40]))
    cnt = starts[names.index("COUNT")]
    end = cnt + len("COUNT")
    if r[end - 1] == " " or r[end] != " ":
        bad.append("COUNT not right-aligned in %r" % r[:40])
print("ok" if not bad else "; ".join(bad))
PY
}
is "in a pipe: every column aligned" "$(aligned "$TMP/pipe")" ok
like "the header" "$(head -1 "$TMP/pipe")" "^KEY +OWNER +NAME +STATE +SOURCE +COUNT +FIRST +LAST +RESULTS +SERVICES +USERS$"
like "the long owner, its name and the IPv6 source, most attempts first" "$(sed -n 2p "$TMP/pipe")" \
	"^$b  $long  the mail server of the accounting floor  revoked  2001:db8:ffff:ffff:ffff:ffff:ffff:fffe  +11  "
like "the short owner and name" "$(grep "^$a" "$TMP/pipe")" "^$a +al +x +revoked +192\.0\.2\.1 +1 "
like "a key not in the store: owner and name -" "$(grep "NOT_FOUND" "$TMP/pipe")" " +- +- +unknown +192\.0\.2\.2 +1 "
like "the UTF-8 name as is" "$(grep "^$c" "$TMP/pipe")" "^$c +bo +$utf +revoked "
# widths from the cells, not fixed: a short report is narrow
ka failures --key "$a" >"$TMP/short"
is "one short group: aligned" "$(aligned "$TMP/short")" ok
w=$(awk 'NR == 2 { print length($0) }' "$TMP/short")
[ "$w" -lt 150 ] && ok "one short group: narrow ($w columns)" || not_ok "one short group: $w columns"

if command -v script >/dev/null 2>&1; then
	script -qec "$KEYADM failures" /dev/null | tr -d '\r' >"$TMP/tty"
	is "on a terminal: the same table" "$(cat "$TMP/tty")" "$(cat "$TMP/pipe")"
else
	skip "no script(1) for a terminal"
fi

j=$(ka failures --json)
is "--json: owner and name of each key" \
	"$(json_get "$j" 'sorted((g["owner"], g["name"]) for g in j if g["owner"])')" \
	"[('al', 'x'), ('$long', 'the mail server of the accounting floor'), ('bo', '$utf')]"
is "--json: no owner nor name for a key not in the store" \
	"$(json_get "$j" '[(g["owner"], g["name"]) for g in j if g["state"] == "unknown"]')" "[(None, None)]"
no_key_in "$(cat "$TMP/pipe")" "$TMP/b.key" "failures table"

# ---- a long report: measured then printed, not held (bounded memory)
python3 - "$TMP/keys.events" <<'PY'
import random, string, sys, time
A = string.ascii_letters + string.digits
r = random.Random(7)
t = int(time.time() * 1000)
with open(sys.argv[1], "a") as f:
    for i in range(100000):
        f.write("%d\tNOT_FOUND\t%s\tu%d\tsshd\t192.0.%d.%d\n" % (t - i, "".join(r.choice(A) for _ in range(12)), i % 977, i >> 8 & 255, i & 255))
PY
# shellcheck disable=SC2046
set -- $(python3 - "$KEYADM" "$TMP/big" <<'PY'
import resource, subprocess, sys
p = subprocess.run([sys.argv[1], "failures"], stdout=open(sys.argv[2], "w"), stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, p.returncode)
PY
)
diag "failures, text, over 100000 groups: peak RSS $1 kB"
is "100000 groups: exit 0" "$2" 0
if [ "${SANITIZED:-0}" = 1 ]; then
	skip "peak RSS (make check SANITIZE=1)"
else
	check "100000 groups: peak RSS within 64 MB ($1 kB)" test "$1" -le 65536
fi
n=$(wc -l <"$TMP/big" | tr -d ' ')
[ "$n" -gt 100000 ] && ok "100000 groups: all shown ($n lines)" || not_ok "100000 groups: $n lines"
is "100000 groups: every column aligned" "$(aligned "$TMP/big")" ok

done_testing
