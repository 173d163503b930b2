#!/bin/sh
# Self-service limits, run by real users through a setuid keyadm installed
# as `make install SELF_SERVICE=1` installs it: max_keys_per_user counts a
# key in its rotation grace, self_service_max_stored, purge_revoked_after
# and self_service_rate refuse with one clear message and change nothing;
# a suspension set by root stays root's; verify of another user's key
# answers exactly like a key that does not exist. Each with its twin.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"
. "$TOP/tests/keyadm/suid.sh"

new_user U1
new_user U2
new_user U3
new_user U4
new_store
# live USER: the user's keys that can still log in
live() {
	ka list "$1" --json | python3 -c 'import json,sys; print(sum(k["state"] in ("active","disabled") for k in json.load(sys.stdin)))'
}
stored() {
	ka list "$1" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}

# ---- the settings: strict values, one error naming file and line
for bad in "self_service_rate 0/1h" "self_service_rate 20" "self_service_rate 20/" \
	"self_service_rate x/1h" "self_service_rate 20/30m" "self_service_max_stored 0" \
	"self_service_max_stored -1" "purge_revoked_after forever" "purge_revoked_after 0d"; do
	printf '%s\n' "$bad" >"$TMP/bad.conf"
	err=$(ka --config "$TMP/bad.conf" list 2>&1)
	check_exit "refused: $bad" 1 q ka --config "$TMP/bad.conf" list
	like "$bad: file, line and setting named" "$err" "^keyadm: $TMP/bad.conf:1: ${bad%% *}: not a "
done
printf 'purge_revoked_after 1d\npurge_revoked_after 2d\n' >"$TMP/bad.conf"
like "given twice: refused" "$(ka --config "$TMP/bad.conf" list 2>&1)" "bad.conf:2: purge_revoked_after: given twice"
printf 'self_service_rate none\nself_service_max_stored none\npurge_revoked_after never\n' >"$TMP/good.conf"
check "none, none and never are accepted" q ka --config "$TMP/good.conf" list
printf 'self_service_rate 5/30min\nself_service_max_stored 1000000\npurge_revoked_after 2w\n' >"$TMP/good.conf"
check "values in range are accepted" q ka --config "$TMP/good.conf" list

# ---- max_keys_per_user: a key in its rotation grace still logs in
policy "self_service yes" "store $DB" "max_keys_per_user 3" "self_service_rate none"
as "$U1" create "$U1" >"$TMP/a.key" 2>/dev/null
as "$U1" create "$U1" >"$TMP/b.key" 2>/dev/null
ka1=$(cut -d_ -f2 "$TMP/a.key")
kb1=$(cut -d_ -f2 "$TMP/b.key")
check "within the limit: rotate --grace works" q as "$U1" rotate "$ka1" --grace 1d
is "three keys log in (one in its grace)" "$(live "$U1")" 3
before=$(state)
err=$(as "$U1" rotate "$kb1" --grace 1d 2>&1 >/dev/null)
check_exit "at the limit: rotate --grace refused" 1 q as "$U1" rotate "$kb1" --grace 1d
like "the message says why and what to do" "$err" \
	"^keyadm: $U1 already has 3 keys, the most allowed \(max_keys_per_user in $CONF\): a key in its rotation grace counts: revoke one, or rotate without --grace \(nothing was changed\)$"
i=0
while [ $i -lt 5 ]; do
	as "$U1" rotate "$kb1" --grace 1d >/dev/null 2>&1
	i=$((i + 1))
done
unchanged "repeated rotate --grace at the limit" "$before"
is "still three keys that log in" "$(live "$U1")" 3
check_exit "at the limit: create refused" 1 q as "$U1" create "$U1"
check "at the limit: rotate without --grace works" q as "$U1" rotate "$kb1"
is "rotation without a grace keeps the count" "$(live "$U1")" 3

# ---- self_service_max_stored: revoked keys count; root is not limited
policy "self_service yes" "store $DB" "self_service_max_stored 4" "self_service_rate none"
i=0
while [ $i -lt 4 ]; do
	as "$U2" create "$U2" >"$TMP/s.key" 2>/dev/null && as "$U2" revoke --key "$TMP/s.key" >/dev/null 2>&1
	i=$((i + 1))
done
is "within the cap: four keys made and revoked" "$(stored "$U2")" 4
before=$(state)
err=$(as "$U2" create "$U2" 2>&1 >/dev/null)
check_exit "at the cap: create refused" 1 q as "$U2" create "$U2"
like "the cap's message" "$err" \
	"^keyadm: $U2 keeps 4 keys, revoked and expired ones included, the most allowed \(self_service_max_stored in $CONF\): revoked keys are purged 90d after \(purge_revoked_after\), or root can purge them \(nothing was changed\)$"
unchanged "refused at the cap" "$before"
check "root is not held by the self-service cap" q new_key "$TMP/r.key" "$U2"

# ---- purge_revoked_after: long-dead keys go on the next write, audit stays
policy "self_service yes" "store $DB" "self_service_max_stored 5" "self_service_rate none" \
	"purge_revoked_after 2s"
old=$(ka list "$U2" --json | python3 -c 'import json,sys; print(" ".join(k["id"] for k in json.load(sys.stdin) if k["state"]=="revoked"))')
sleep 3
as "$U2" create "$U2" >"$TMP/n.key" 2>/dev/null
is "create after the retention: works" "$?" 0
as "$U2" revoke --key "$TMP/n.key" >/dev/null 2>&1
kn=$(cut -d_ -f2 "$TMP/n.key")
gone=0
for id in $old; do
	ka show "$id" >/dev/null 2>&1 || gone=$((gone + 1))
done
is "the four revoked keys were purged" "$gone" 4
first=${old%% *}
is "their audit is kept (create, revoke, purge)" \
	"$(ka audit --key "$first" --json | python3 -c 'import json,sys; print(",".join(a["action"] for a in json.load(sys.stdin)))')" \
	"create,revoke,purge"
like "the purge says why" "$(ka audit --key "$first")" "reason: revoked or expired more than 2s ago \(purge_revoked_after\)"
check "a key revoked within the retention is kept" q ka show "$kn"
is "root's active key is kept" "$(ka show "$(cut -d_ -f2 "$TMP/r.key")" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')" active
check "the store checks out after the purge" q ka check
# a write examines at most 256 of the user's keys: more are purged over
# the next writes, so a write's cost does not grow with the user's keys
policy "self_service yes" "store $DB" "self_service_max_stored none" "self_service_rate none" \
	"purge_revoked_after 1s"
yes "$U4" | head -n 300 | ka create --batch >/dev/null 2>&1
ka revoke --user "$U4" >/dev/null 2>&1
sleep 2
revoked() { ka list "$1" --state revoked --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
check "a user with 300 long-revoked keys creates one" q as "$U4" create "$U4"
is "that write purged 256 of them" "$(revoked "$U4")" 44
check "... and another" q as "$U4" create "$U4"
is "the next write purged the rest" "$(revoked "$U4")" 0
is "the two new keys stay" "$(stored "$U4")" 2

# ---- self_service_rate: changes counted, revocations never limited
policy "self_service yes" "store $DB" "self_service_rate 3/1h"
as "$U3" create "$U3" >"$TMP/c.key" 2>/dev/null
kc=$(cut -d_ -f2 "$TMP/c.key")
check "within the rate: disable" q as "$U3" disable "$kc"
check "within the rate: enable" q as "$U3" enable "$kc"
before=$(state)
err=$(as "$U3" disable "$kc" 2>&1 >/dev/null)
check_exit "over the rate: refused" 1 q as "$U3" disable "$kc"
like "the rate's message" "$err" \
	"^keyadm: $U3 made 3 changes in the last 1h, the most allowed \(self_service_rate 3/1h in $CONF\): try again after [0-9-]+ [0-9:]+ UTC; revoking is never limited \(nothing was changed\)$"
check_exit "over the rate: create refused" 1 q as "$U3" create "$U3"
unchanged "refused over the rate" "$before"
check "over the rate: enable of an active key is no change, no refusal" q as "$U3" enable "$kc"
check "over the rate: revoke still works" q as "$U3" revoke "$kc"
is "revoked" "$(ka verify "$U3" <"$TMP/c.key" 2>/dev/null)" REVOKED
check "root is not rate limited" q new_key "$TMP/c2.key" "$U3"
policy "self_service yes" "store $DB" "self_service_rate 3/2s"
sleep 3
check "the window passes: allowed again" q as "$U3" create "$U3"

# ---- suspensions belong to who set them
policy "self_service yes" "store $DB" "self_service_rate none"
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
