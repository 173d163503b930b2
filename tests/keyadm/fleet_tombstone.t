#!/bin/sh
# keyadm install on a replica that holds tombstones (keys revoked, then
# purged on the primary) and revoked keys: the replica's list of every id
# it has seen revoked grows past the tombstones without overrunning them
# (this aborted with a heap error), and a bundle reviving a tombstoned key
# is still refused.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"

new_store
ka signing-key create >/dev/null 2>&1
printf 'fleet_trust %s\n' "$TMP/keys.db.pub" >"$TMP/replica.conf"
R="env APIKEY_DB=$TMP/replica.db APIKEY_CONFIG=$TMP/replica.conf $KEYADM"
n=0
# pub: publish and install; the install's exit status
pub() {
	n=$((n + 1))
	ka publish --out "$TMP/b$n.akb" >/dev/null 2>&1 && $R install "$TMP/b$n.akb" >/dev/null 2>&1
}
X=$(new_key "$TMP/x" xavier)
ka revoke "$X" >/dev/null 2>&1
check "a revoked key reaches the replica" pub
ka purge "$X" >/dev/null 2>&1
check "its purge too (a tombstone on the replica)" pub
i=0
while [ "$i" -lt 3 ]; do
	Y=$(new_key "$TMP/y$i" yvonne)
	ka revoke "$Y" >/dev/null 2>&1
	i=$((i + 1))
done
check "revoked keys beside the tombstone: install --check" $R install --check "$TMP/b$n.akb"
check "... and install of the next bundle" pub
is "... the replica holds the primary's serial" \
	"$($R status --json | sed -n 's/.*"serial":\([0-9]*\).*/\1/p')" \
	"$(ka status --json | sed -n 's/.*"serial":\([0-9]*\).*/\1/p')"
out=$($R install --check "$TMP/b1.akb" 2>&1)
rc=$?
is "an old bundle is still refused (exit 1)" "$rc" 1
like "... saying why" "$out" 'refused'
done_testing
