#!/bin/sh
# keyadm check and audit --verify against a damaged or badly installed
# store: tampering with the audit trail, a broken user index, loose modes.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"

# patch FILE FROM TO: replaces every FROM by TO (same length) in the bytes.
patch() {
	python3 - "$@" <<'PY'
import sys
p, a, b = sys.argv[1], sys.argv[2].encode(), sys.argv[3].encode()
assert len(a) == len(b)
data = open(p, "rb").read()
n = data.count(a)
open(p, "r+b").write(data.replace(a, b))
print(n)
PY
}

new_store
id=$(new_key "$TMP/a.key" alice)
check "a fresh store passes check" q ka check
like "check reports the generation" "$(ka check)" "^ok: .*generation [0-9]+, [0-9]+ audit entries"
check "a fresh store passes audit --verify" q ka audit --verify
out=$(ka check)
no_key_in "$out" "$TMP/a.key" "check"

# ---- a tampered audit entry breaks the chain
ka revoke "$id" --reason ZZTAMPERZZ >/dev/null
cp "$DB" "$TMP/good.db"
n=$(patch "$DB" ZZTAMPERZZ ZZTAMPERYY)
check "the reason was found in the store's bytes" test "$n" -ge 1
err=$(ka audit --verify 2>&1)
check_exit "audit --verify fails on a tampered trail" 1 q ka audit --verify
like "audit --verify names the problem" "$err" "audit trail broken"
unlike "no hash in the message" "$err" "[0-9a-f]{32}"
check_exit "check fails on a tampered trail" 1 q ka check
like "check lists the problem" "$(ka check 2>/dev/null)" "^problem: "
cp "$TMP/good.db" "$DB"
check "the original passes again" q ka audit --verify

# ---- a broken user index
new_store
id=$(new_key "$TMP/b.key" idxuserq)
n=$(patch "$DB" "u:idxuserq" "u:idxuserz")
check "the index record was found" test "$n" -ge 1
check_exit "check fails on a broken index" 1 q ka check
like "check lists the problem" "$(ka check 2>/dev/null)" "^problem: "

# ---- file modes and owners
new_store
check "modes as made by init pass" q ka check
chmod 644 "$DB"
check_exit "a world-readable store is a problem" 1 q ka check
like "check says so" "$(ka check 2>/dev/null)" "readable by others"
chmod 640 "$DB"
chmod 640 "$DB.wlock"
check_exit "a writers' lock the store's group can open is a problem" 1 q ka check
like "check names the lock file" "$(ka check 2>/dev/null)" "keys.db.wlock: open to group or others"
before=$(state)
out=$(ka create alice 2>&1)
is "a write refuses a lock a reader could hold" "$?" 1
like "and says how to fix it" "$out" "keys.db.wlock: .*mode 0640: remove it"
unchanged "a write refusing the lock" "$before"
chmod 600 "$DB.wlock"
: >"$DB.lock"
check "a write removes the lock file of older versions" q ka create alice
check_fails "which is gone" test -e "$DB.lock"
chmod 660 "$DB"
check_exit "a group-writable store is a problem" 1 q ka check
like "check explains" "$(ka check 2>/dev/null)" "writable by group or others"
chmod 640 "$DB"
check "back to sane modes" q ka check

# ---- verify on an unusable store: UNAVAILABLE, the reason on stderr
new_store
id=$(new_key "$TMP/c.key" carol)
is "verify VALID on a sane store" "$(ka verify carol <"$TMP/c.key")" VALID
chmod 662 "$DB"
out=$(ka verify carol <"$TMP/c.key" 2>"$TMP/err")
rc=$?
is "verify on a world-writable store: UNAVAILABLE" "$out" UNAVAILABLE
is "verify UNAVAILABLE exits 1" "$rc" 1
like "the reason is on stderr" "$(cat "$TMP/err")" "writable by group or others"
chmod 640 "$DB"
cp "$DB" "$TMP/keep.db"
head -c 700 "$TMP/keep.db" >"$DB"
is "verify on a truncated store: UNAVAILABLE" "$(ka verify carol <"$TMP/c.key" 2>/dev/null)" UNAVAILABLE
check_exit "check fails on a truncated store" 1 q ka check
rm -f "$DB"
is "verify without a store: UNAVAILABLE" "$(ka verify carol <"$TMP/c.key" 2>/dev/null)" UNAVAILABLE
check_exit "check: a missing store is a problem" 1 q ka check

done_testing
