#!/bin/sh
# keyadm create --batch: keys in input order, one write, every key works;
# bad input refuses the whole batch and changes nothing.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"

new_store
g0=$(ka check 2>/dev/null | sed -n 's/.*generation \([0-9]*\).*/\1/p')
printf 'alice\nbob\ncarol\n' | ka create --batch --name app --service smtp >"$TMP/keys" 2>"$TMP/err"
check "batch of three exits 0" test $? -eq 0
is "three keys, one per line" "$(wc -l <"$TMP/keys" | tr -d ' ')" 3
g1=$(ka check 2>/dev/null | sed -n 's/.*generation \([0-9]*\).*/\1/p')
is "one snapshot write for the batch" "$((g1 - g0))" 1
n=0
for u in alice bob carol; do
	n=$((n + 1))
	sed -n "${n}p" "$TMP/keys" >"$TMP/k"
	is "key $n belongs to $u and is VALID for smtp" "$(ka verify "$u" --service smtp <"$TMP/k" 2>&1)" VALID
	is "key $n is refused for another service" "$(ka verify "$u" --service sshd <"$TMP/k" 2>&1)" SERVICE_DENIED
done
sed -n 1p "$TMP/keys" >"$TMP/k"
is "key 1 is not bob's" "$(ka verify bob --service smtp <"$TMP/k" 2>&1)" WRONG_USER
is "names applied to all" "$(ka list --json | python3 -c 'import json,sys; print(sorted(set(k["name"] for k in json.load(sys.stdin))))')" "['app']"
is "one audit entry per key" "$(ka audit --json | python3 -c 'import json,sys; print(sum(1 for a in json.load(sys.stdin) if a["action"]=="create"))')" 3
unlike "no key on stderr" "$(cat "$TMP/err")" 'ak_[0-9A-Za-z]{12}_'
printf 'dave\n' | ka create --batch --json >"$TMP/j" 2>/dev/null
is "JSON lines carry id, key, owner" "$(python3 -c 'import json,sys; o=json.loads(open(sys.argv[1]).read()); print(sorted(o), o["owner"], o["key"].split("_")[1]==o["id"])' "$TMP/j")" "['id', 'key', 'owner'] dave True"

before=$(state)
printf 'erin\n-rf\nfrank\n' | ka create --batch >"$TMP/out" 2>"$TMP/err"
check_exit "an invalid user name refuses the batch" 2 sh -c "printf 'erin\n-rf\nfrank\n' | '$KEYADM' create --batch >/dev/null 2>&1"
like "the error names the line" "$(cat "$TMP/err")" 'line 2'
is "no key printed for a refused batch" "$(wc -c <"$TMP/out" | tr -d ' ')" 0
unchanged "refused batch" "$before"
check_exit "an empty line refuses the batch" 2 sh -c "printf 'ok\n\n' | '$KEYADM' create --batch >/dev/null 2>&1"
check_exit "a NUL byte refuses the batch" 2 sh -c "printf 'o\0k\n' | '$KEYADM' create --batch >/dev/null 2>&1"
check_exit "empty stdin is a usage error" 2 sh -c "'$KEYADM' create --batch </dev/null >/dev/null 2>&1"
check_exit "USER and --batch together are a usage error" 2 sh -c "echo a | '$KEYADM' create alice --batch >/dev/null 2>&1"
check_exit "create without USER or --batch is a usage error" 2 q ka create
unchanged "every refused batch" "$before"
done_testing
