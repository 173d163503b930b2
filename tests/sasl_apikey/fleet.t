#!/bin/sh
# sasl_apikey on a replica of a fleet (keyadm(8) FLEET) through the real
# libsasl2: fresh, it answers as its store says; past its bundle's
# validity it answers SASL_UNAVAIL with the reason logged (fleet_stale
# deny), or answers with a logged warning (fleet_stale warn).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/keyadm/cli.sh"
. "$TOP/tests/sasl_apikey/sasllib.sh"

# the replica is $DB (what st reads); the primary lives beside it
mkdir -p "$TMP/p"
PDB="$TMP/p/keys.db"
Pk() { ka --db "$PDB" "$@"; }
Pk init >/dev/null 2>&1
A=$(new_key "$TMP/a" alice --db "$PDB")
B=$(new_key "$TMP/b" alice --db "$PDB")
Pk revoke "$B" >/dev/null 2>&1
Pk signing-key create >/dev/null 2>&1
Pk publish --out "$TMP/1.akb" --valid 2s >/dev/null 2>&1
ka install "$TMP/1.akb" --trust "$PDB.pub" >/dev/null 2>&1
P="--mech PLAIN --user alice --service smtp --remote 127.0.0.1"

res "fresh replica: SASL_OK" SASL_OK "$TMP/a" $P
res "fresh replica: the revoked key is SASL_BADAUTH" SASL_BADAUTH "$TMP/b" $P
sleep 2.2
res "stale (deny): SASL_UNAVAIL" SASL_UNAVAIL "$TMP/a" $P
like "with the reason in the log" "$(cat "$TMP/st.err")" \
	"result=UNAVAILABLE .*replica of .* is stale \\(valid until .*; fleet_stale deny\\)"
printf 'fleet_stale warn\n' >"$TMP/warn.conf"
Pk publish --out "$TMP/2.akb" --valid 2s >/dev/null 2>&1
ka --config "$TMP/warn.conf" install "$TMP/2.akb" --trust "$PDB.pub" >/dev/null 2>&1
res "installed again: fresh, SASL_OK" SASL_OK "$TMP/a" $P
sleep 2.2
res "stale (warn): SASL_OK" SASL_OK "$TMP/a" $P
like "with a warning in the log" "$(cat "$TMP/st.err")" \
	'apikey: .*replica of .* is stale \(valid until .*\); answering anyway \(fleet_stale warn\)'
res "stale (warn): the revoked key is still SASL_BADAUTH" SASL_BADAUTH "$TMP/b" $P
no_secret_in "$TMP/st.err" "$TMP/a" "$TMP/b"
done_testing
