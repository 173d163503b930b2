#!/bin/sh
# Concurrent writers: two processes creating and revoking keys at the same
# time lose nothing (the write lock serialises whole transactions).
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"

N=${CONCURRENT_WRITES:-60}
new_store

# writer USER: creates N keys, revoking every other one right after.
writer() {
	w=$1
	j=0
	while [ "$j" -lt "$N" ]; do
		j=$((j + 1))
		"$KEYADM" create "$w" --name "n$j" >"$TMP/$w.key" 2>>"$TMP/$w.err" || echo "create $j failed" >>"$TMP/$w.fail"
		kid=$(cut -d_ -f2 "$TMP/$w.key")
		if [ $((j % 2)) -eq 0 ]; then
			"$KEYADM" revoke "$kid" --reason "r$j" >/dev/null 2>>"$TMP/$w.err" || echo "revoke $j failed" >>"$TMP/$w.fail"
		fi
	done
	rm -f "$TMP/$w.key"
}

writer alice &
p1=$!
writer bob &
p2=$!
at_exit "kill $p1 $p2"
wait "$p1"
wait "$p2"

check_fails "no write of alice failed" test -s "$TMP/alice.fail"
check_fails "no write of bob failed" test -s "$TMP/bob.fail"
for w in alice bob; do
	j=$(ka list "$w" --json)
	is "$w: every key is there" "$(json_get "$j" 'len(j)')" "$N"
	is "$w: every revocation is there" "$(json_get "$j" 'len([k for k in j if k["state"]=="revoked"])')" $((N / 2))
	is "$w: every name is there once" "$(json_get "$j" 'len(set(k["name"] for k in j))')" "$N"
done
is "one audit entry per change" "$(ka audit --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" $((1 + 3 * N))
check "keyadm check passes" q ka check
check "audit --verify passes" q ka audit --verify

done_testing
