#!/bin/sh
# Self-service, run by real users through a setuid keyadm installed as
# `make install SELF_SERVICE=1` installs it: a suspension set by root stays
# root's; verify of another user's key answers exactly like a key that does
# not exist. Each with its twin.
. "$TOP/tests/lib.sh"
. "$TOP/tests/cli/cli.sh"
. "$TOP/tests/cli/suid.sh"

new_user U1
new_user U2
new_user U3
new_store
# live USER: the user's keys that can still log in
live() {
	ka list "$1" --json | python3 -c 'import json,sys; print(sum(k["state"] in ("active","disabled") for k in json.load(sys.stdin)))'
}
stored() {
	ka list "$1" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}

# ---- suspensions belong to who set them
policy "self_service yes" "store $DB"
as "$U3" create "$U3" >"$TMP/d.key" 2>/dev/null
kd=$(cut -d_ -f2 "$TMP/d.key")
check "root disables a user's key" q ka disable "$kd" --reason "fraud review"
before=$(state)
err=$(as "$U3" enable "$kd" 2>&1 >/dev/null)
check_exit "the user cannot enable root's suspension" 1 q as "$U3" enable "$kd"
is "the user is told why" "$err" \
	"keyadm: key $kd was disabled by root: fraud review: only root can enable it (nothing was changed)"
like "enable --user skips it, saying why" "$(as "$U3" enable --user "$U3" 2>&1)" \
	"skipped $kd \($U3\): disabled by root, only root can enable it"
unchanged "refused enable" "$before"
like "show tells who and why" "$(as "$U3" show "$kd")" "disabled: .* by root: fraud review"
is "still disabled" "$(ka verify "$U3" <"$TMP/d.key" 2>/dev/null)" DISABLED
check "root enables its own suspension" q ka enable "$kd"
is "enabled" "$(ka verify "$U3" <"$TMP/d.key" 2>/dev/null)" VALID
check "the user disables their own key" q as "$U3" disable "$kd" --reason lunch
check "... and enables it again" q as "$U3" enable "$kd"
check "the user disables again" q as "$U3" disable "$kd"
check "root may enable a user's suspension" q ka enable "$kd"

# ---- verify of another user's key reads as a key that does not exist
forge "$TMP/d.key" "$TMP/none.key" newid
nid=$(cut -d_ -f2 "$TMP/none.key")
for fmt in "" "--json"; do
	# shellcheck disable=SC2086
	other=$(as "$U1" verify "$U1" $fmt <"$TMP/d.key" 2>&1)
	o_rc=$?
	# shellcheck disable=SC2086
	none=$(as "$U1" verify "$U1" $fmt <"$TMP/none.key" 2>&1)
	n_rc=$?
	is "verify $fmt: same exit status" "$o_rc" "$n_rc"
	is "verify $fmt: same answer" "$(echo "$other" | sed "s/$kd/ID/")" "$(echo "$none" | sed "s/$nid/ID/")"
	unlike "verify $fmt: the owner is not named" "$other" "$U3|WRONG_USER"
done
is "the answer for a missing key" "$none" "{\"result\":\"NOT_FOUND\",\"id\":\"$nid\",\"owner\":null}"
is "verify of the user's own key names the owner" "$(as "$U3" verify "$U3" --json <"$TMP/d.key")" \
	"{\"result\":\"VALID\",\"id\":\"$kd\",\"owner\":\"$U3\"}"
like "root still sees WRONG_USER" "$(ka verify "$U1" --json <"$TMP/d.key")" "\"result\":\"WRONG_USER\".*\"owner\":\"$U3\""

done_testing
