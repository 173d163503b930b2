#!/bin/sh
# Fleet: a replica over time. Expired bundles, forks, another origin, a
# key seen revoked active again, install into a store that is not a
# replica, staleness (fleet_stale deny and warn), the replica's hooks and
# audit trail per changed key, promotion; each refusal one line naming
# the reason, exit 1 and the replica's store unchanged, next to its
# positive twin. (fleet.t: signing keys, publish, install and the
# refusals of bad bundles.)
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"
. "$TOP/tests/keyadm/fleetlib.sh"

check "a primary and its replica" fleet_pair

# ---- expired, and its twin ----
P publish --out "$TMP/out/short.akb" --valid 1s >/dev/null 2>&1
sleep 1.2
refused "an expired bundle" "expired" "$TMP/out/short.akb" --trust "$DB.pub"
P publish --out "$TMP/out/b8.akb" >/dev/null 2>&1
R install "$TMP/out/b8.akb" --trust "$DB.pub" >/dev/null 2>&1
is "twin: a fresh one installs" "$?" 0

# ---- fork: the installed serial with other content ----
new_key "$TMP/c.key" carol >/dev/null
s8=$(R status --json | serial_of)
# the clock is a floor, the serial file counts: a serial file set ahead
# (as if restored from a primary whose clock ran ahead) sets the serial
sa=$((s8 + 1000000000))
printf '%020d %020d %020d\n' $((sa - 1)) 0 0 >"$DB.serial"
P publish --out "$TMP/out/ahead.akb" >/dev/null 2>&1
R install "$TMP/out/ahead.akb" --trust "$DB.pub" >/dev/null 2>&1
is "a serial file ahead of the clock sets the serial" "$(R status --json | serial_of)" "$sa"
new_key "$TMP/d.key" dave >/dev/null
printf '%020d %020d %020d\n' $((sa - 1)) 0 0 >"$DB.serial"
P publish --out "$TMP/out/fork.akb" >/dev/null 2>&1
refused "the same serial with other content" "fork: serial $sa is installed with other content" \
	"$TMP/out/fork.akb" --trust "$DB.pub"
printf '%020d %020d %020d\n' "$sa" 0 0 >"$DB.serial"
P publish --out "$TMP/out/b9.akb" >/dev/null 2>&1
R install "$TMP/out/b9.akb" --trust "$DB.pub" >/dev/null 2>&1
is "twin: the next serial installs" "$?" 0
is "carol's key made on the primary is VALID on the replica" "$(R verify carol <"$TMP/c.key" 2>&1)" VALID

# ---- another origin ----
if unshare --uts true 2>/dev/null; then
	mkdir "$TMP/far"
	FDB="$TMP/far/keys.db"
	ka --db "$FDB" init >/dev/null 2>&1
	unshare --uts sh -c "hostname elsewhere.example && '$KEYADM' --db '$FDB' signing-key create" >/dev/null 2>&1
	ka --db "$FDB" publish --out "$TMP/out/far.akb" >/dev/null 2>&1
	refused "a bundle of another origin (trusted key)" \
		"another origin: the bundle is from elsewhere.example, this replica follows $origin" \
		"$TMP/out/far.akb" --trust "$FDB.pub"
	mkdir "$TMP/r2"
	ka --db "$TMP/r2/keys.db" install "$TMP/out/far.akb" --trust "$FDB.pub" >/dev/null 2>&1
	is "twin: it installs on a replica of that origin" "$?" 0
else
	skip "unshare --uts is not available: another origin"
fi

# ---- a key this replica has seen revoked, active again ----
bid=$(cut -d_ -f2 "$TMP/b.key")
cp -p "$DB" "$TMP/before-revoke.db"
P revoke "$bid" --reason leaked >/dev/null 2>&1
P publish --out "$TMP/out/revoked.akb" >/dev/null 2>&1
R install "$TMP/out/revoked.akb" --trust "$DB.pub" >/dev/null 2>&1
is "the revocation reaches the replica" "$(R verify bob <"$TMP/b.key" 2>&1)" REVOKED
cp -p "$TMP/before-revoke.db" "$DB" # the primary restored from a backup
P publish --out "$TMP/out/revived.akb" >/dev/null 2>&1
refused "a revoked key active again" "key $bid is revoked on this replica and not revoked in the bundle" \
	"$TMP/out/revived.akb" --trust "$DB.pub"
refused "the same with --check" "key $bid is revoked on this replica" --check "$TMP/out/revived.akb" --trust "$DB.pub"
is "bob's key stays REVOKED on the replica" "$(R verify bob <"$TMP/b.key" 2>&1)" REVOKED
P revoke "$bid" --reason "again after the restore" >/dev/null 2>&1
P publish --out "$TMP/out/b10.akb" >/dev/null 2>&1
R install "$TMP/out/b10.akb" --trust "$DB.pub" >/dev/null 2>&1
is "twin: revoked again on the primary, the bundle installs" "$?" 0
# revoked, then purged on the primary: the replica still remembers
P purge "$bid" >/dev/null 2>&1
P publish --out "$TMP/out/purged.akb" >/dev/null 2>&1
R install "$TMP/out/purged.akb" --trust "$DB.pub" >/dev/null 2>&1
is "a purge installs" "$?" 0
is "bob's key is gone from the replica" "$(R verify bob <"$TMP/b.key" 2>&1)" NOT_FOUND
check "the replica's store with its revoked ids checks out" q R check
cp -p "$TMP/before-revoke.db" "$DB"
P publish --out "$TMP/out/revived2.akb" >/dev/null 2>&1
refused "a revoked and purged key active again" "key $bid is revoked on this replica and not revoked in the bundle" \
	"$TMP/out/revived2.akb" --trust "$DB.pub"
P revoke "$bid" --reason "again after the restore" >/dev/null 2>&1
P purge "$bid" >/dev/null 2>&1
P publish --out "$TMP/out/b10.akb" >/dev/null 2>&1
R install "$TMP/out/b10.akb" --trust "$DB.pub" >/dev/null 2>&1
is "twin: revoked and purged again on the primary, the bundle installs" "$?" 0

# ---- install into a store that is not a replica ----
psum=$(sha256sum <"$DB")
P install "$TMP/out/b10.akb" --trust "$DB.pub" >/dev/null 2>"$TMP/e"
is "install into the primary's own store exits 1" "$?" 1
like "naming why" "$(cat "$TMP/e")" 'refused: .* is not a replica'
is "and the primary's store is unchanged" "$(sha256sum <"$DB")" "$psum"

# ---- freshness: past validUntil ----
P publish --out "$TMP/out/brief.akb" --valid 2s >/dev/null 2>&1
R install "$TMP/out/brief.akb" --trust "$DB.pub" >/dev/null 2>&1
is "fresh: VALID" "$(R verify alice <"$TMP/a.key" 2>/dev/null)" VALID
sleep 2.2
R verify alice <"$TMP/a.key" >"$TMP/o" 2>"$TMP/e"
is "stale (fleet_stale deny): exit 1" "$?" 1
is "stale: UNAVAILABLE" "$(cat "$TMP/o")" UNAVAILABLE
like "stale: the reason" "$(cat "$TMP/e")" "replica of $origin is stale \(valid until .*; fleet_stale deny\)"
is "status says stale" "$(R status --json | json_get "$(cat)" 'j["stale"]')" True
printf 'fleet_stale warn\n' >"$TMP/warn.conf"
P publish --out "$TMP/out/brief2.akb" --valid 2s >/dev/null 2>&1
ka --config "$TMP/warn.conf" --db "$RDB" install "$TMP/out/brief2.akb" --trust "$DB.pub" >/dev/null 2>&1
sleep 2.2
R verify alice <"$TMP/a.key" >"$TMP/o" 2>"$TMP/e"
is "stale (fleet_stale warn): VALID" "$(cat "$TMP/o")" VALID
like "with a warning" "$(cat "$TMP/e")" 'is stale .*answering anyway \(fleet_stale warn\)'
R verify bob <"$TMP/forged" >"$TMP/o" 2>/dev/null
is "warn still refuses a forged key" "$(cat "$TMP/o")" NOT_FOUND
printf 'fleet_stale maybe\n' >"$TMP/bad.conf"
check_exit "fleet_stale takes deny or warn" 1 q ka --config "$TMP/bad.conf" --db "$RDB" status
P publish --out "$TMP/out/b11.akb" >/dev/null 2>&1
R install "$TMP/out/b11.akb" --trust "$DB.pub" >/dev/null 2>&1
is "a new bundle makes the replica fresh again" "$(R verify alice <"$TMP/a.key" 2>/dev/null)" VALID

# ---- a replica's hooks, audit trail and syslog name what an install changed ----
HD="$TMP/hooks.d"
mkdir -m 755 "$HD"
printf '#!/bin/sh\n{ echo "== $APIKEY_ACTION $APIKEY_COUNT"; cat; } >>%s\n' "$TMP/rec" >"$HD/50-rec"
chmod 755 "$HD/50-rec"
printf 'hooks_dir %s\n' "$HD" >"$TMP/hooks.conf"
HR() { ka --config "$TMP/hooks.conf" --db "$RDB" "$@"; }
new_key "$TMP/f.key" frank >/dev/null
fid=$(cut -d_ -f2 "$TMP/f.key")
cid=$(cut -d_ -f2 "$TMP/c.key")
did=$(cut -d_ -f2 "$TMP/d.key")
P revoke "$cid" >/dev/null 2>&1
P disable "$did" >/dev/null 2>&1
P publish --out "$TMP/out/h1.akb" >/dev/null 2>&1
: >"$TMP/rec"
HR install "$TMP/out/h1.akb" --trust "$DB.pub" >/dev/null 2>&1
T=$(printf '\t')
is "the hooks get one line per changed key, in id order" "$(sed 1d "$TMP/rec")" \
	"$(printf 'create\t%s\tfrank\nrevoke\t%s\tcarol\ndisable\t%s\tdave\n' "$fid" "$cid" "$did" |
		sort -t "$T" -k2,2)"
is "APIKEY_ACTION is install, APIKEY_COUNT the keys" "$(head -1 "$TMP/rec")" "== install 3"
is "the replica's audit trail: the install, then each change" \
	"$(R audit --json | json_get "$(cat)" '" ".join(a["action"] for a in j)')" \
	"install $(sed 1d "$TMP/rec" | cut -f1 | tr '\n' ' ' | sed 's/ $//')"
P purge "$cid" >/dev/null 2>&1
P publish --out "$TMP/out/h2.akb" >/dev/null 2>&1
: >"$TMP/rec"
HR install "$TMP/out/h2.akb" --trust "$DB.pub" >/dev/null 2>&1
is "a purge on the primary: a purge line on the replica" "$(cat "$TMP/rec")" \
	"$(printf '== install 1\npurge\t%s\tcarol' "$cid")"
P publish --out "$TMP/out/h3.akb" >/dev/null 2>&1
: >"$TMP/rec"
HR install "$TMP/out/h3.akb" --trust "$DB.pub" >/dev/null 2>&1
is "nothing changed: the hooks run with no lines" "$(cat "$TMP/rec")" "== install 0"
check "the replica checks out after all that" q R check

# ---- promotion ----
sr=$(R status --json | serial_of)
check_exit "promote refuses a store that is not a replica" 1 q P promote
R promote >"$TMP/o" 2>&1
is "promote exits 0" "$?" 0
is "the promoted store is standalone" "$(R status --json | json_get "$(cat)" 'j["role"]')" standalone
is "and keeps the origin" "$(R status --json | json_get "$(cat)" 'j["origin"]')" "$origin"
new_key "$TMP/e.key" erin --db "$RDB" >/dev/null
is "it takes local changes" "$(R verify erin <"$TMP/e.key" 2>/dev/null)" VALID
R signing-key create >"$TMP/o" 2>&1
like "its signing key keeps the fleet's origin" "$(cat "$TMP/o")" "^origin: $origin$"
R publish --out "$TMP/out/new.akb" >/dev/null 2>&1
check "the new primary's serial continues above the last installed" \
	test "$(R status --json | serial_of)" -gt "$sr"
mkdir "$TMP/r3"
ka --db "$TMP/r3/keys.db" install "$TMP/out/b11.akb" --trust "$DB.pub" >/dev/null 2>&1
R3() { ka --db "$TMP/r3/keys.db" "$@"; }
RDB_SAVE=$RDB
RDB="$TMP/r3/keys.db"
refused "another replica: the new primary under the old trust" "untrusted" "$TMP/out/new.akb" --trust "$DB.pub"
R3 install "$TMP/out/new.akb" --trust "$RDB_SAVE.pub" >/dev/null 2>&1
is "twin: with the new public key it follows the new primary" "$?" 0
is "erin's key reaches it" "$(R3 verify erin <"$TMP/e.key" 2>/dev/null)" VALID
refused "and the old primary's bundles are now a rollback" "rollback|untrusted" "$TMP/out/b11.akb" --trust "$DB.pub"

unlike "no key in any message" "$(cat "$TMP"/e "$TMP"/o)" '_[0-9A-Za-z]{12}_[0-9A-Za-z]{20}'
done_testing
