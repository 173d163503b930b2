#!/bin/sh
# keyadm scan: real, revoked, forged, checksum-broken and foreign keys in a
# tree, a key across a chunk boundary of a big file, a binary file,
# symlinks; --revoke revokes only genuine live keys, in one write.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"

new_store
a=$(new_key "$TMP/a.key" alice)
b=$(new_key "$TMP/b.key" bob)
r=$(new_key "$TMP/r.key" carol)
s=$(new_key "$TMP/s.key" dave)
ka revoke "$r" >/dev/null
forge "$TMP/a.key" "$TMP/forged.key"
# checksum broken: one secret character changed
python3 - "$TMP/s.key" "$TMP/broken.key" <<'PY'
import sys
k = open(sys.argv[1]).read().strip()
i = len(k) - 10
c = "A" if k[i] != "A" else "B"
open(sys.argv[2], "w").write(k[:i] + c + k[i + 1:] + "\n")
PY
# a well-formed key of another store with the same prefix (unknown id)
rm -f "$TMP/o.db" "$TMP/o.db.lock" "$TMP/o.events"
ka --db "$TMP/o.db" init 2>/dev/null
ka --db "$TMP/o.db" create zoe >"$TMP/other.key" 2>/dev/null
o=$(cut -d_ -f2 "$TMP/other.key")

T="$TMP/tree"
mkdir -p "$T/app/conf" "$T/empty"
{ echo "# app"; echo "API_KEY=$(cat "$TMP/a.key")"; } >"$T/app/conf/app.env"
{ echo one; echo two; printf 'old="%s"\n' "$(cat "$TMP/r.key")"; } >"$T/app/old.yml"
{ echo "forged: $(cat "$TMP/forged.key")"; echo "broken: $(cat "$TMP/broken.key")"; } >"$T/app/suspicious.txt"
echo "x$(cat "$TMP/b.key")" >"$T/app/glued-before.txt"
echo "$(cat "$TMP/b.key")x" >"$T/app/glued-after.txt"
echo "other=$(cat "$TMP/other.key")" >"$T/other.txt"
# a binary file with a key among NULs and high bytes
python3 - "$TMP/s.key" "$T/app/blob.bin" <<'PY'
import os, sys
k = open(sys.argv[1]).read().strip().encode()
open(sys.argv[2], "wb").write(os.urandom(0) + b"\x00\xff\x00" * 1000 + b"\x00" + k + b"\xff" + b"\x00" * 5000)
PY
# a symlink to a file with a key, outside the tree
echo "$(cat "$TMP/b.key")" >"$TMP/outside.txt"
ln -s "$TMP/outside.txt" "$T/link.txt"
mkfifo "$T/fifo"

out=$(ka scan "$T" 2>"$TMP/err")
rc=$?
err=$(cat "$TMP/err")
is "found: exit 1" "$rc" 1
no_key_in "$out$err" "$TMP/a.key" "scan (real)"
no_key_in "$out$err" "$TMP/r.key" "scan (revoked)"
no_key_in "$out$err" "$TMP/s.key" "scan (binary)"
no_key_in "$out$err" "$TMP/forged.key" "scan (forged)"
is "the real key: file, line, masked, owner, state" "$(echo "$out" | grep "^$T/app/conf/app.env")" \
	"$T/app/conf/app.env:2: ak_${a}_… alice active"
is "the revoked key" "$(echo "$out" | grep "old.yml")" "$T/app/old.yml:3: ak_${r}_… carol revoked"
is "the forged key is not in this store" "$(echo "$out" | grep "suspicious.txt")" \
	"$T/app/suspicious.txt:1: ak_${a}_… not in this store"
is "the key of another store" "$(echo "$out" | grep "other.txt")" "$T/other.txt:1: ak_${o}_… not in this store"
is "the key in a binary file" "$(echo "$out" | grep "blob.bin")" "$T/app/blob.bin:1: ak_${s}_… dave active"
unlike "a checksum-broken key is not a find" "$out" "suspicious.txt:2"
unlike "a key glued to letters is not a find" "$out" "glued"
unlike "symlinks are not followed by default" "$out" "link.txt|outside"
is "five finds" "$(echo "$out" | wc -l | tr -d ' ')" 5
like "skipped symlinks are counted" "$err" "1 symbolic link not followed"
out=$(ka scan "$T" --follow-symlinks 2>/dev/null)
is "--follow-symlinks follows" "$(echo "$out" | grep -c "link.txt:1: ak_${b}_… bob active")" 1
out=$(ka scan "$T/link.txt" 2>&1)
like "a symlink on the command line is skipped with a word" "$out" "symbolic link, not followed"

# ---- JSON
j=$(ka scan "$T/app/conf" "$T/other.txt" --json 2>/dev/null)
is "json: shape" "$(json_get "$j" '[(f["line"], f["id"], f["masked"], f["inStore"], f["owner"], f["state"], f["revokedNow"]) for f in j]')" \
	"[(2, '$a', 'ak_${a}_…', True, 'alice', 'active', False), (1, '$o', 'ak_${o}_…', False, None, None, False)]"

# ---- nothing found, errors
check_exit "nothing found: exit 0" 0 q ka scan "$T/empty"
is "nothing found: --json is []" "$(ka scan "$T/empty" --json)" "[]"
check_exit "an unreadable path, nothing found: exit 5" 5 q ka scan "$TMP/missing"
check_exit "an unreadable path, keys found: exit 1" 1 q ka scan "$TMP/missing" "$T/app/conf"
check_exit "no path is usage" 2 q ka scan
check_exit "--reason without --revoke is usage" 2 q ka scan "$T" --reason x
check_exit "no store: exit 5" 5 q ka --db "$TMP/nostore.db" scan "$T"
check_exit "/proc is not entered" 0 q ka scan /proc/self

# ---- a key across a chunk boundary of a big file (chunks are 256 KiB)
python3 - "$TMP/b.key" "$TMP/big.txt" <<'PY'
import sys
k = open(sys.argv[1]).read().strip()
with open(sys.argv[2], "w") as f:
    for pos in (262144 - 20, 2 * 262144 + 30, 3 * 262144 - 1):
        f.write(" " * (pos - f.tell() - 1) + "\n" + k + "\n")
    f.write("z" * (4 * 1024 * 1024) + "\n")
PY
out=$(ka scan "$TMP/big.txt" 2>/dev/null)
is "keys across chunk boundaries: all found, once" "$(echo "$out" | grep -c "ak_${b}_… bob active")" 3
is "line numbers across chunks" "$(echo "$out" | cut -d: -f2 | tr '\n' ' ')" "2 4 6 "

# ---- --revoke: only genuine live keys, in one write
g=$(generation)
forge "$TMP/b.key" "$TMP/forged-b.key"
mkdir "$T/forged-only"
cp "$TMP/forged-b.key" "$T/forged-only/k.txt"
before=$(state)
check_exit "--revoke on a forged key only: found, exit 1" 1 q ka scan "$T/forged-only" --revoke
unchanged "a forged key revokes nothing" "$before"
is "bob's real key still valid" "$(ka verify bob <"$TMP/b.key" 2>/dev/null)" VALID
out=$(ka scan "$T" --revoke 2>/dev/null)
is "--revoke: one write" "$(generation)" $((g + 1))
like "--revoke says what it revoked" "$out" "app.env:2: ak_${a}_… alice revoked \(revoked now\)"
is "the real key is revoked" "$(ka verify alice <"$TMP/a.key" 2>/dev/null)" REVOKED
is "the binary-file key is revoked" "$(ka verify dave <"$TMP/s.key" 2>/dev/null)" REVOKED
is "default reason names the file" "$(json_get "$(ka show "$a" --json)" 'j["revokedReason"]')" "found by keyadm scan in $T/app/conf/app.env"
is "the already revoked key keeps its first revocation" "$(json_get "$(ka show "$r" --json)" 'j["revokedReason"]')" None
is "the glued and symlinked key is untouched" "$(ka verify bob <"$TMP/b.key" 2>/dev/null)" VALID
is "the other store's key is untouched" "$(ka --db "$TMP/o.db" verify zoe <"$TMP/other.key" 2>/dev/null)" VALID
g=$(generation)
check_exit "--revoke again: found, exit 1" 1 q ka scan "$T" --revoke
is "--revoke again writes nothing" "$(generation)" "$g"
check_exit "scan --revoke --reason" 1 q ka scan "$TMP/outside.txt" --revoke --reason "pasted in chat" --json
is "--reason recorded" "$(json_get "$(ka show "$b" --json)" 'j["state"], j["revokedReason"]')" "revoked pasted in chat"
like "the audit trail has the scan revocation" "$(ka audit --key "$b")" "revoke .*pasted in chat"

done_testing
