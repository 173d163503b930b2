#!/bin/sh
# Fleet: keyadm signing-key create, publish, install, status. Every
# refusal of install here (rollback, bad or untrusted signature, a wrong
# fleet_trust, truncated or malformed, every changed byte) is one line
# naming the reason, exit 1 and the replica's store unchanged, each next
# to its positive twin; a replica refuses local changes. fleet_replica.t:
# the replica over time (expiry, forks, origins, revived keys, staleness,
# hooks, promotion).
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"
. "$TOP/tests/keyadm/fleetlib.sh"


# ---- signing-key create ----
new_store
new_key "$TMP/a.key" alice >/dev/null
new_key "$TMP/b.key" bob >/dev/null
is "a new store is standalone" "$(P status --json | json_get "$(cat)" 'j["role"]')" standalone
out=$(P signing-key create 2>&1)
check "signing-key create exits 0" test $? -eq 0
like "it prints the public key's path" "$out" "^public key: $DB.pub$"
like "and its fingerprint" "$out" '^fingerprint: SHA256:[A-Za-z0-9+/]{43}$'
is "the secret key is 0600 root's" "$(stat -c '%a %U' "$DB.sign")" "600 root"
is "the public key is 0644" "$(stat -c '%a' "$DB.pub")" 644
sum=$(cat "$DB.sign" "$DB.pub" | sha256sum)
check_exit "a second signing-key create is refused" 1 q P signing-key create
like "naming why" "$(P signing-key create 2>&1)" 'already exists; keyadm never replaces one'
is "and both key files are unchanged" "$(cat "$DB.sign" "$DB.pub" | sha256sum)" "$sum"
check_exit "signing-key without create is a usage error" 2 q P signing-key make
is "a store with a signing key is a primary" "$(P status --json | json_get "$(cat)" 'j["role"]')" primary

# ---- publish ----
check_exit "publish without --out is a usage error" 2 q P publish
check_exit "publish with a bad --valid is a usage error" 2 q P publish --out "$TMP/x" --valid 7x
P publish --out "$TMP/out/b1.akb" >"$TMP/o" 2>&1
check "publish exits 0" test $? -eq 0
like "it names the serial and the file" "$(cat "$TMP/o")" "^published serial [0-9]+ of .* to $TMP/out/b1.akb$"
is "the bundle is 0600 (it holds the hashes and the store key)" "$(stat -c %a "$TMP/out/b1.akb")" 600
is "the serial file is 0600" "$(stat -c %a "$DB.serial")" 600
s1=$(P status --json | serial_of)
P publish --out "$TMP/out/b2.akb" --json >"$TMP/j" 2>/dev/null
s2=$(serial_of <"$TMP/j")
check "serials go up with every publish" test "$s2" -gt "$s1"
now=$(date +%s%3N)
is "the default validity is 7 days" \
	"$(json_get "$(cat "$TMP/j")" 'round((j["validUntil"] - j["publishedAt"]) / 86400000)')" 7
check "the bundle is not a GDBM file" test "$(head -c 8 "$TMP/out/b1.akb")" = AKBUNDLE
unlike "no key in the bundle" "$(cat "$TMP/out/b1.akb" | tr -c 'A-Za-z0-9_' '\n')" "$(cut -d_ -f3 "$TMP/a.key")"

# serials never go down, even from a store and serial file restored from a backup
cp -p "$DB" "$TMP/backup.db"
cp -p "$DB.serial" "$TMP/backup.serial"
P publish --out "$TMP/out/b3.akb" >/dev/null 2>&1
s3=$(P status --json | serial_of)
cp -p "$TMP/backup.db" "$DB"
cp -p "$TMP/backup.serial" "$DB.serial"
P publish --out "$TMP/out/b4.akb" >/dev/null 2>&1
s4=$(P status --json | serial_of)
check "after a restore of store and serial file the serial still goes up" test "$s4" -gt "$s3"
rm -f "$DB.serial"
P publish --out "$TMP/out/b5.akb" >/dev/null 2>&1
check "and without a serial file too" test "$(P status --json | serial_of)" -gt "$s4"
printf 'garbage\n' >"$DB.serial"
check_exit "a damaged serial file refuses publish" 1 q P publish --out "$TMP/out/bad.akb"
check "and nothing is published" test ! -e "$TMP/out/bad.akb"
rm -f "$DB.serial"

# ---- install: the first one makes the replica ----
check_exit "install without --trust or fleet_trust is a usage error" 2 q R install "$TMP/out/b1.akb"
check "install --check on a new replica" q R install --check "$TMP/out/b1.akb" --trust "$DB.pub"
check "--check made no store" test ! -e "$RDB"
R install "$TMP/out/b1.akb" --trust "$DB.pub" >"$TMP/o" 2>&1
check "install makes the replica's store" test $? -eq 0 -a -f "$RDB"
like "and says so" "$(cat "$TMP/o")" "serial $s1 from .*, 2 keys, valid until .*: installed$"
is "alice's key is VALID on the replica" "$(R verify alice <"$TMP/a.key" 2>&1)" VALID
forge "$TMP/a.key" "$TMP/forged"
is "a forged key is not" "$(R verify alice <"$TMP/forged" 2>&1)" NOT_FOUND
check "the replica's store checks out" q R check
st=$(R status --json)
is "status: role replica" "$(json_get "$st" 'j["role"]')" replica
is "status: serial" "$(json_get "$st" 'j["serial"]')" "$s1"
is "status: every field, times in ms" "$(json_get "$st" 'sorted(j)')" \
	"['generation', 'installedAt', 'origin', 'publishedAt', 'role', 'serial', 'stale', 'validUntil']"
check "status: installedAt is now" test "$(json_get "$st" 'j["installedAt"]')" -ge "$now"
check "the replica keeps usage events" test -f "$TMP/r/keys.events"

# the same bundle again: nothing to do, nothing changed
before=$(rsum)
R install "$TMP/out/b1.akb" --trust "$DB.pub" >"$TMP/o" 2>&1
is "the installed bundle again exits 0" "$?" 0
like "and says it is installed already" "$(cat "$TMP/o")" 'installed already$'
is "and changes nothing" "$(rsum)" "$before"

# ---- a replica refuses local changes, naming its primary ----
origin=$(json_get "$st" 'j["origin"]')
aid=$(cut -d_ -f2 "$TMP/a.key")
for cmd in "create carol" "revoke $aid" "disable $aid" "enable $aid" "rotate $aid" \
	"set $aid --name x" "purge $aid"; do
	before=$(rsum)
	# shellcheck disable=SC2086
	R $cmd >/dev/null 2>"$TMP/e"
	is "replica: $cmd exits 1" "$?" 1
	like "replica: $cmd names the primary" "$(cat "$TMP/e")" "replica of $origin: make the change on the primary"
	is "replica: $cmd changed nothing" "$(rsum)" "$before"
done
check_exit "a replica does not publish" 1 q R publish --out "$TMP/out/r.akb"
check_exit "nor make a signing key" 1 q R signing-key create

# ---- rollback and its twin ----
R install "$TMP/out/b2.akb" --trust "$DB.pub" >/dev/null 2>&1
is "a newer serial installs" "$(R status --json | serial_of)" "$s2"
refused "rollback" "rollback: serial $s1 is lower than the installed $s2" "$TMP/out/b1.akb" --trust "$DB.pub"
refused "rollback with --check" "rollback" --check "$TMP/out/b1.akb" --trust "$DB.pub"

# ---- bad signature, untrusted, and their twin ----
python3 - "$TMP/out/b5.akb" "$TMP/hdr.akb" "$TMP/body.akb" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
h = bytearray(b); h[14 + 1 + h[14] + 8 + 8 + 8 + 8 + 7] ^= 1  # valid-until, low byte
open(sys.argv[2], "wb").write(h)
d = bytearray(b); d[-5] ^= 1  # a byte of the last record
open(sys.argv[3], "wb").write(d)
PY
refused "an altered header" "bad signature" "$TMP/hdr.akb" --trust "$DB.pub"
refused "an altered record" "bad signature" "$TMP/body.akb" --trust "$DB.pub"
refused "an altered bundle with --check" "bad signature" --check "$TMP/hdr.akb" --trust "$DB.pub"
mkdir "$TMP/other"
ODB="$TMP/other/keys.db"
ka --db "$ODB" init >/dev/null 2>&1
ka --db "$ODB" signing-key create >/dev/null 2>&1
ka --db "$ODB" publish --out "$TMP/out/other.akb" >/dev/null 2>&1
refused "a bundle of another key" "untrusted" "$TMP/out/other.akb" --trust "$DB.pub"
refused "the right bundle with the wrong key" "untrusted" "$TMP/out/b5.akb" --trust "$ODB.pub"
cp "$DB.pub" "$TMP/loose.pub" && chmod 666 "$TMP/loose.pub"
before=$(rsum)
check_exit "a trusted key writable by others is refused" 1 q R install "$TMP/out/b5.akb" --trust "$TMP/loose.pub"
is "and nothing changed" "$(rsum)" "$before"
R install "$TMP/out/b5.akb" --trust "$DB.pub" >/dev/null 2>&1
is "twin: the untouched bundle with the trusted key installs" "$?" 0

# ---- fleet_trust from apikey.conf ----
P publish --out "$TMP/out/b6.akb" >/dev/null 2>&1
printf 'fleet_trust %s\n' "$DB.pub" >"$TMP/trust.conf"
ka --config "$TMP/trust.conf" --db "$RDB" install "$TMP/out/b6.akb" >/dev/null 2>&1
is "fleet_trust in apikey.conf is the default --trust" "$?" 0
printf 'fleet_trust %s\n' "$ODB.pub" >"$TMP/wrong.conf"
P publish --out "$TMP/out/b7.akb" >/dev/null 2>&1
before=$(rsum)
check_exit "a wrong fleet_trust refuses" 1 q ka --config "$TMP/wrong.conf" --db "$RDB" install "$TMP/out/b7.akb"
is "and nothing changed" "$(rsum)" "$before"
printf 'fleet_trust relative.pub\n' >"$TMP/bad.conf"
check_exit "fleet_trust must be an absolute path" 1 q ka --config "$TMP/bad.conf" --db "$RDB" status

# ---- truncated and malformed ----
len=$(stat -c %s "$TMP/out/b7.akb")
head -c $((len - 1)) "$TMP/out/b7.akb" >"$TMP/cut1.akb"
head -c 100 "$TMP/out/b7.akb" >"$TMP/cut100.akb"
head -c 5 "$TMP/out/b7.akb" >"$TMP/cut5.akb"
refused "a bundle one byte short" "truncated" "$TMP/cut1.akb" --trust "$DB.pub"
refused "a bundle cut in its header" "truncated|malformed" "$TMP/cut100.akb" --trust "$DB.pub"
refused "five bytes" "malformed" "$TMP/cut5.akb" --trust "$DB.pub"
: >"$TMP/empty.akb"
refused "an empty file" "malformed" "$TMP/empty.akb" --trust "$DB.pub"
{ cat "$TMP/out/b7.akb"; printf x; } >"$TMP/long.akb"
refused "a byte after the body" "malformed" "$TMP/long.akb" --trust "$DB.pub"
cp "$RDB" "$TMP/gdbm.akb"
refused "a GDBM store instead of a bundle" "malformed" "$TMP/gdbm.akb" --trust "$DB.pub"
R install "$TMP/out/b7.akb" --trust "$DB.pub" >/dev/null 2>&1
is "twin: the whole bundle installs" "$?" 0

# every field of every kind of key reaches the replica as it is on the primary
mkdir "$TMP/rich"
XDB="$TMP/rich/keys.db"
X() { ka --db "$XDB" "$@"; }
X init --prefix acme >/dev/null 2>&1
x1=$(new_key "$TMP/x1.key" xavier --db "$XDB" --name "laptop é" --service smtp,imap --from 192.0.2.0/24,2001:db8::/32 --expires 30d)
x2=$(new_key "$TMP/x2.key" xavier --db "$XDB")
x3=$(new_key "$TMP/x3.key" yvonne --db "$XDB")
X rotate "$x1" --grace 1d >/dev/null 2>&1
X disable "$x2" --reason "on leave" >/dev/null 2>&1
X revoke "$x3" --reason "left the company" >/dev/null 2>&1
X signing-key create >/dev/null 2>&1
X publish --out "$TMP/rich.akb" >/dev/null 2>&1
ka --db "$TMP/rich/r.db" install "$TMP/rich.akb" --trust "$XDB.pub" >/dev/null 2>&1
is "the replica lists every key and field as the primary does" \
	"$(ka --db "$TMP/rich/r.db" list --json 2>&1)" "$(X list --json 2>&1)"
is "a restricted key keeps its restrictions on the replica" \
	"$(ka --db "$TMP/rich/r.db" verify xavier --service smtp --from 198.51.100.1 <"$TMP/x1.key" 2>&1)" SOURCE_DENIED

# every single changed byte and every truncation of a bundle is refused
mkdir "$TMP/small"
SDB="$TMP/small/keys.db"
ka --db "$SDB" init >/dev/null 2>&1
new_key "$TMP/s.key" sam --db "$SDB" --service smtp --from 192.0.2.0/24 >/dev/null
ka --db "$SDB" signing-key create >/dev/null 2>&1
ka --db "$SDB" publish --out "$TMP/small.akb" >/dev/null 2>&1
ka --db "$TMP/small/r.db" install "$TMP/small.akb" --trust "$SDB.pub" >/dev/null 2>&1
ka --db "$SDB" publish --out "$TMP/small2.akb" >/dev/null 2>&1
slen=$(stat -c %s "$TMP/small2.akb")
python3 - "$TMP/small2.akb" "$TMP/mut" <<'PY'
import os, sys
b = open(sys.argv[1], "rb").read()
os.mkdir(sys.argv[2])
for i in range(len(b)):
    m = bytearray(b); m[i] ^= 0x20
    open("%s/f%d" % (sys.argv[2], i), "wb").write(m)
    open("%s/t%d" % (sys.argv[2], i), "wb").write(b[:i])
PY
bad=""
i=0
while [ "$i" -lt "$slen" ]; do
	for f in f t; do
		if ka --db "$TMP/small/r.db" install --check "$TMP/mut/$f$i" --trust "$SDB.pub" >/dev/null 2>&1; then
			bad="$bad $f$i"
		fi
	done
	i=$((i + 1))
done
is "each of the $slen bytes changed, and each truncation: refused" "$bad" ""
check "twin: the bundle itself passes --check" q ka --db "$TMP/small/r.db" install --check "$TMP/small2.akb" --trust "$SDB.pub"

unlike "no key in any message" "$(cat "$TMP"/e "$TMP"/o)" '_[0-9A-Za-z]{12}_[0-9A-Za-z]{20}'
done_testing
