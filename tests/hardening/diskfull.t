#!/bin/sh
# Disk full: writes fail with a clear error, the live store is untouched,
# no temporary copy is left behind, and the store works once there is room.
# Needs root for a small tmpfs, mounted on the test's own directory.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"
mnt="$TMP/small"
mkdir -p "$mnt"
if ! mount -t tmpfs -o size=512k,mode=0755 tmpfs "$mnt" 2>/dev/null; then
	skip "cannot mount a tmpfs here (needs root)"
	done_testing
	exit 0
fi
at_exit "umount '$mnt'"
DB="$mnt/keys.db"
export APIKEY_DB="$DB"
ka init >/dev/null 2>&1
new_key "$TMP/k1" alice >/dev/null
id1=$(cut -d_ -f2 "$TMP/k1")
leftovers() { ls "$mnt" | grep -c '\.tmp\.' ; }

# 1. no room even for the copy
dd if=/dev/zero of="$mnt/fill" bs=4k 2>/dev/null
before=$(sha256sum <"$DB")
err=$(ka create bob 2>&1 >"$TMP/out")
check_exit "create on a full disk fails" 1 q ka create bob
like "the error says why" "$err" 'No space left on device'
is "no key printed" "$(wc -c <"$TMP/out" | tr -d ' ')" 0
is "live store untouched" "$(sha256sum <"$DB")" "$before"
is "no temporary copy left" "$(leftovers)" 0
check_exit "revoke on a full disk fails" 1 q ka revoke "$id1"
is "the key is still VALID" "$(ka verify alice <"$TMP/k1" 2>&1)" VALID

# 2. room for the copy, not for the change (a big batch)
rm -f "$mnt/fill"
free=$(df --output=avail -B1 "$mnt" | tail -1)
head -c $((free - 3 * $(stat -c %s "$DB"))) /dev/zero >"$mnt/fill"
before=$(sha256sum <"$DB")
seq 1 5000 | sed 's/^/u/' | ka create --batch >"$TMP/out" 2>"$TMP/err"
is "a batch that does not fit fails" "$?" 1
like "with a clear error" "$(cat "$TMP/err")" 'No space left|store write failed|syncing'
is "no key printed" "$(wc -c <"$TMP/out" | tr -d ' ')" 0
is "live store untouched" "$(sha256sum <"$DB")" "$before"
is "no temporary copy left" "$(leftovers)" 0

# 3. room again: everything works and nothing was lost
rm -f "$mnt/fill"
check "check passes" q ka check
is "the old key is still VALID" "$(ka verify alice <"$TMP/k1" 2>&1)" VALID
check "a write succeeds again" q ka create bob
is "keys present" "$(ka list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 2
done_testing
