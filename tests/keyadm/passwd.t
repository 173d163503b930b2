#!/bin/sh
# create warns, and does not refuse, when the user is not in the passwd
# database (a virtual mail user is real): one line on stderr, the key made,
# stdout and --json as usual. Its twin: root, who is in passwd, gets no
# warning; create --batch names the first unknown user and its line.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"

new_store
ghost=nosuch$$x
getent passwd "$ghost" >/dev/null && skip_all "$ghost exists"
warn="^keyadm: warning: $ghost is not in the passwd database \(getent passwd\): the key is made all the same, as for a virtual mail user$"

ka create "$ghost" >"$TMP/g.key" 2>"$TMP/err"
is "unknown user: exit 0" "$?" 0
like "unknown user: the warning" "$(cat "$TMP/err")" "$warn"
is "unknown user: one warning line" "$(grep -c warning "$TMP/err")" 1
gid=$(cut -d_ -f2 "$TMP/g.key")
is "unknown user: the key is made" "$(ka show "$gid" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["owner"])')" "$ghost"
printf '%s' "$(cat "$TMP/g.key")" | ka verify "$ghost" >"$TMP/res" 2>/dev/null
is "unknown user: the key is VALID" "$(cat "$TMP/res")" VALID
ka --json create "$ghost" >"$TMP/out" 2>"$TMP/err"
is "unknown user, --json: stdout is the object alone" \
	"$(python3 -c 'import json,sys; print(sorted(json.load(open(sys.argv[1]))))' "$TMP/out")" \
	"['expiresAt', 'id', 'key', 'owner']"
like "unknown user, --json: the warning on stderr" "$(cat "$TMP/err")" "$warn"

ka create root >/dev/null 2>"$TMP/err"
unlike "root: no warning" "$(cat "$TMP/err")" "warning"
is "root: only the key's line on stderr" "$(wc -l <"$TMP/err" | tr -d ' ')" 1

printf 'root\n%s\nnosuch%sy\n' "$ghost" "$$" | ka create --batch >/dev/null 2>"$TMP/err"
like "batch: the first unknown user and its line" "$(cat "$TMP/err")" \
	"^keyadm: warning: $ghost \(stdin line 2\) is not in the passwd database"
is "batch: one warning" "$(grep -c warning "$TMP/err")" 1
printf 'root\ndaemon\n' | ka create --batch >/dev/null 2>"$TMP/err"
unlike "batch of passwd users: no warning" "$(cat "$TMP/err")" "warning"
before=$(state)
ka create "bad/name" >/dev/null 2>"$TMP/err"
is "an invalid name: still refused (exit 2)" "$?" 2
unlike "an invalid name: no passwd warning" "$(cat "$TMP/err")" "passwd"
unchanged "an invalid name" "$before"

done_testing
