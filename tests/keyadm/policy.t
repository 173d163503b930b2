#!/bin/sh
# apikey.conf: strict parsing (file:line errors, nothing done), and the
# limits create, create --batch, rotate and set enforce.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"

CONF="$TMP/apikey.conf"
conf() { printf '%s\n' "$@" >"$CONF"; chmod 644 "$CONF"; }
kc() { ka --config "$CONF" "$@"; }
DAY=86400000

new_store
new_key "$TMP/a.key" alice >/dev/null

# ---- no file at the default path: no limits; a named file must exist
check "no policy file: create without expiry" q ka create bob
check_exit "--config naming a missing file" 1 ka --config "$TMP/none.conf" list 2>/dev/null
check_exit "APIKEY_CONFIG naming a missing file" 1 env APIKEY_CONFIG="$TMP/none.conf" "$KEYADM" list 2>/dev/null

# ---- syntax: comments, blanks, every setting
conf "# site policy" "" "   # indented comment" "max_lifetime 90d" "default_expiry	30d" \
	"max_keys_per_user 5" "self_service no" "store $DB"
check "a valid file with comments and blank lines" q kc list

# ---- errors name the file and line, exit 1, and change nothing
before=$(state)
bad() { # DESC LINE-IN-MESSAGE PATTERN CONTENT...
	_d=$1 _l=$2 _p=$3
	shift 3
	conf "$@"
	_err=$(kc create alice 2>&1 >/dev/null)
	_rc=$?
	is "$_d: exit 1" "$_rc" 1
	like "$_d: file and line" "$_err" "^keyadm: $CONF:$_l: $_p"
}
bad "unknown setting" 3 "unknown setting" "# c" "max_lifetime 90d" "max_lifetim 30d"
bad "bad duration" 1 "max_lifetime: not a duration" "max_lifetime ninety"
bad "duplicate" 2 "max_keys_per_user: given twice" "max_keys_per_user 3" "max_keys_per_user 4"
bad "two values" 1 "default_expiry: takes exactly one value" "default_expiry 30d 60d"
bad "no value" 2 "self_service: takes exactly one value" "" "self_service"
bad "self_service maybe" 1 "self_service: yes or no" "self_service maybe"
bad "zero keys" 1 "max_keys_per_user: not a number" "max_keys_per_user 0"
bad "negative keys" 1 "max_keys_per_user: not a number" "max_keys_per_user -1"
bad "keys with junk" 1 "max_keys_per_user: not a number" "max_keys_per_user 5x"
bad "relative store" 1 "store: not an absolute path" "store keys.db"
conf "max_lifetime 30d" "default_expiry 60d"
like "default_expiry longer than max_lifetime" "$(kc create alice 2>&1)" "default_expiry is longer than max_lifetime"
conf "max_lifetime 30d"
chmod 664 "$CONF"
like "a group-writable policy is refused" "$(kc list 2>&1)" "must be owned by root and not writable"
check_exit "a group-writable policy: exit 1" 1 q kc list
conf "max_lifetime 30d"
ln -s "$CONF" "$TMP/link.conf"
check_exit "a symlinked policy is refused" 1 q ka --config "$TMP/link.conf" list
unchanged "config errors" "$before"
printf 'max_lifetime 30d\0\n' >"$CONF"
check_exit "a NUL byte" 1 q kc list
check_exit "--config twice is usage" 2 q ka --config "$CONF" --config "$CONF" list

# ---- max_lifetime
conf "max_lifetime 90d"
before=$(state)
err=$(kc create alice 2>&1 >/dev/null)
like "no expiry refused" "$err" "keys must expire within 90d \(max_lifetime in $CONF\): give --expires"
err=$(kc create alice --expires 100d 2>&1 >/dev/null)
is "too long refused, clear message" "$err" "keyadm: keys must expire within 90d (max_lifetime in $CONF)"
check_exit "too long: exit 1" 1 q kc create alice --expires 100d
check_exit "a date too far" 1 q kc create alice --expires 2099-01-01
printf 'carol\ndave\n' >"$TMP/users"
check_exit "batch without expiry refused" 1 q kc create --batch <"$TMP/users"
unchanged "max_lifetime refusals" "$before"
check "within the lifetime" q kc create alice --expires 90d
check "batch within the lifetime" q kc create --batch --expires 30d <"$TMP/users"
APIKEY_CONFIG="$CONF"
export APIKEY_CONFIG
check_exit "APIKEY_CONFIG applies too" 1 q ka create alice --expires 100d
unset APIKEY_CONFIG
k=$(kc create erin --expires 10d 2>/dev/null | cut -d_ -f2)
before=$(state)
check_exit "set --expires beyond the lifetime" 1 q kc set "$k" --expires 100d
like "set: clear message" "$(kc set "$k" --no-expiry 2>&1)" "keys must expire within 90d"
unchanged "set refusals" "$before"
check "set within the lifetime" q kc set "$k" --expires 60d
# rotate: a key from before the policy (no expiry) rotates into one that fits
old=$(ka create frank 2>/dev/null | cut -d_ -f2)
err=$(kc rotate "$old" 2>&1 >"$TMP/frank.key")
like "rotate warns that the new key expires sooner" "$err" "expires sooner than the old one"
nk=$(cut -d_ -f2 "$TMP/frank.key")
is "the rotated key fits max_lifetime" "$(json_get "$(ka show "$nk" --json)" '0 < j["expiresAt"] - j["createdAt"] <= 90 * '"$DAY")" True
old=$(ka create frank --expires 10d 2>/dev/null | cut -d_ -f2)
x=$(json_get "$(ka show "$old" --json)" 'j["expiresAt"]')
nk=$(kc rotate "$old" 2>/dev/null | cut -d_ -f2)
is "a fitting expiry is kept on rotate" "$(json_get "$(ka show "$nk" --json)" 'j["expiresAt"]')" "$x"

# ---- default_expiry
conf "default_expiry 30d"
k=$(kc create gina 2>/dev/null | cut -d_ -f2)
now=$(($(date +%s) * 1000))
is "default_expiry applies" "$(json_get "$(ka show "$k" --json)" 'abs(j["expiresAt"] - '"$now"' - 30 * '"$DAY"') < 600000')" True
k=$(kc create gina --expires 5d 2>/dev/null | cut -d_ -f2)
is "--expires wins over default_expiry" "$(json_get "$(ka show "$k" --json)" 'abs(j["expiresAt"] - '"$now"' - 5 * '"$DAY"') < 600000')" True
k=$(ka create gina 2>/dev/null | cut -d_ -f2)
is "without the policy no default" "$(json_get "$(ka show "$k" --json)" 'j["expiresAt"]')" None

# ---- max_keys_per_user: active and disabled count, revoked do not
conf "max_keys_per_user 2"
h1=$(kc create hank 2>/dev/null | cut -d_ -f2)
h2=$(kc create hank 2>/dev/null | cut -d_ -f2)
before=$(state)
err=$(kc create hank 2>&1 >/dev/null)
like "third key refused" "$err" "hank already has 2 keys, the most allowed \(max_keys_per_user in $CONF\)"
check_exit "third key: exit 1" 1 q kc create hank
ka disable "$h2" >/dev/null
before=$(state)
check_exit "a disabled key still counts" 1 q kc create hank
printf 'ivan\nhank\n' >"$TMP/users2"
check_exit "batch over the limit refused" 1 q kc create --batch <"$TMP/users2"
printf 'ivan\nivan\nivan\n' >"$TMP/users3"
check_exit "batch counts its own keys" 1 q kc create --batch <"$TMP/users3"
unchanged "max_keys refusals" "$before"
check "rotate at the limit" q kc rotate "$h1"
ka revoke "$h2" >/dev/null
check "a revoked key frees a place" q kc create hank
check "another user is not limited by hank" q kc create ivan

done_testing
