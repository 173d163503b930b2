# Shared by tests/keyadm/fleet.t and fleet_replica.t: a primary ($DB)
# and a replica ($RDB), and the checks of an install. Source it after
# tests/lib.sh and tests/keyadm/cli.sh.
mkdir -p "$TMP/r" "$TMP/out"
RDB="$TMP/r/keys.db"
P() { ka --db "$DB" "$@"; }
R() { ka --db "$RDB" "$@"; }
# rsum: the replica's store, byte for byte and by inode ("unchanged")
rsum() { if [ -e "$RDB" ]; then stat -c %i "$RDB"; sha256sum <"$RDB"; else echo none; fi; }
# refused DESC PATTERN BUNDLE [ARGS...]: install refuses BUNDLE with one
# line matching PATTERN, exit 1, and the replica's store is unchanged.
refused() {
	_d=$1 _p=$2
	shift 2
	_before=$(rsum)
	R install "$@" >"$TMP/o" 2>"$TMP/e"
	_rc=$?
	is "$_d: exit 1" "$_rc" 1
	like "$_d: the reason" "$(cat "$TMP/e")" "refused: $_p"
	is "$_d: one line" "$(wc -l <"$TMP/e" | tr -d ' ')" 1
	is "$_d: the store is unchanged" "$(rsum)" "$_before"
}
serial_of() { python3 -c 'import json,sys; print(json.load(sys.stdin)["serial"])'; }

# fleet_pair: a primary with alice's and bob's keys ($TMP/a.key,
# $TMP/b.key) and a signing key, its first bundle installed on the
# replica, $TMP/forged a forged key of alice's id and $origin the
# replica's origin. fleet.t makes and checks all of this step by step.
fleet_pair() {
	new_store
	new_key "$TMP/a.key" alice >/dev/null
	new_key "$TMP/b.key" bob >/dev/null
	P signing-key create >/dev/null 2>&1 &&
		P publish --out "$TMP/out/b1.akb" >/dev/null 2>&1 &&
		R install "$TMP/out/b1.akb" --trust "$DB.pub" >/dev/null 2>&1 ||
		return 1
	forge "$TMP/a.key" "$TMP/forged"
	origin=$(R status --json | json_get "$(cat)" 'j["origin"]')
}
