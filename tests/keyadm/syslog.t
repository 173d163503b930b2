#!/bin/sh
# keyadm sends every committed change to syslog (authpriv.notice), one line
# per audit entry: captured through a /dev/log bound in a private mount
# namespace (tests/pam_apikey/logns.sh). The negative twins: a refused, failed or
# no-op command logs nothing, and no line holds a key.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"
. "$TOP/tests/pam_apikey/pamlib.sh"
need "no private mount namespace here (unshare --mount)" logns_works
need "cannot start the syslog listener" start_syslog

# kl ARGS...: keyadm in the namespace whose /dev/log we read.
kl() { in_logns "$KEYADM" "$@"; }
AP='<85>[A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]{8} keyadm\[[0-9]+\]: '
S="store=$DB"
one() { # DESC PATTERN: exactly one new line, matching
	_got=$(since)
	is "$1: one line" "$(printf '%s' "$_got" | grep -c .)" 1
	like "$1: the line" "$_got" "$2"
}
none() { is "$1: nothing logged" "$(since)" ""; }

mark
kl init 2>/dev/null
one "init" "^${AP}init by=\"root\" entry=1 $S\$"

mark
kl create alice --name laptop >"$TMP/a" 2>/dev/null
A=$(cut -d_ -f2 "$TMP/a")
one "create" "^${AP}create key=$A user=alice by=\"root\" entry=2 $S\$"

mark
kl revoke "$A" --reason 'laptop stolen at the station' >/dev/null 2>&1
one "revoke with a reason" \
	"^${AP}revoke key=$A user=alice by=\"root\" reason=\"laptop stolen at the station\" entry=3 $S\$"

# a reason cannot close its quotes and add fields: " and \ are escaped
kl create alice >"$TMP/f" 2>/dev/null
F=$(cut -d_ -f2 "$TMP/f")
mark
kl disable "$F" --reason 'x" entry=1 store=/forged \' >/dev/null 2>&1
got=$(since)
is "a hostile reason: the whole line" "$(printf '%s' "$got" | sed -E "s/^$AP//")" \
	"disable key=$F user=alice by=\"root\" reason=\"x\\\" entry=1 store=/forged \\\\\" entry=5 $S"
is "a hostile reason: the audit keeps it as given" \
	"$(json_get "$(ka show "$F" --json)" 'j["disabledReason"]')" 'x" entry=1 store=/forged \'

mark
kl revoke "$A" >/dev/null 2>&1
none "revoking a revoked key again (no change)"
check_exit "and that exits 0" 0 q ka revoke "$A"

mark
check_exit "an unknown id" 3 q kl revoke AAAAAAAAAAAA
none "an unknown id"
check_exit "an invalid user" 2 q kl create 'bad user'
none "an invalid user"
chmod 0666 "$DB"
check_exit "a world-writable store is refused" 1 q kl create alice
none "a refused store"
chmod 0640 "$DB"

printf 'max_lifetime 30d\n' >"$TMP/p.conf"
check_exit "a create the policy refuses" 1 q kl --config "$TMP/p.conf" create alice
none "a create the policy refuses"

kl create bob >"$TMP/b1" 2>/dev/null
kl create bob >"$TMP/b2" 2>/dev/null
B1=$(cut -d_ -f2 "$TMP/b1")
B2=$(cut -d_ -f2 "$TMP/b2")
mark
kl rotate "$B1" >"$TMP/b3" 2>/dev/null
B3=$(cut -d_ -f2 "$TMP/b3")
got=$(since)
like "rotate: the old key's line" "$got" "${AP}rotate key=$B1 user=bob "
like "rotate: the new key's line" "$got" "${AP}create key=$B3 user=bob by=\"root\" reason=\"rotated from a previous key\""

# offboarding: one line per key changed, in one write
active=$(json_get "$(ka list bob --state active --json)" 'len(j)')
mark
kl disable --user bob --reason "on leave" >/dev/null 2>&1
got=$(since)
is "disable --user: a line per active key" "$(printf '%s\n' "$got" | grep -c "disable key=")" "$active"
like "disable --user: the second key" "$got" "disable key=$B2 user=bob by=\"root\" reason=\"on leave\" entry="
like "disable --user: the rotated-to key" "$got" "disable key=$B3 user=bob by=\"root\" reason=\"on leave\" entry="

# a batch: one line per action, not one per key
mark
seq 1 40 | sed 's/^/svc/' | kl create --batch >"$TMP/batch" 2>/dev/null
n=$(json_get "$(ka audit --json)" 'len(j)')
one "create --batch of 40 keys" \
	"^${AP}create of 40 keys by=\"root\" entries=$((n - 39))-$n $S \\(keyadm audit lists each\\)\$"

unrevoked=$(json_get "$(ka list bob --json)" 'len([k for k in j if k["state"] != "revoked"])')
mark
kl revoke --user bob --reason offboarded >/dev/null 2>&1
is "revoke --user: a line per key not yet revoked" "$(since | grep -c "revoke key=")" "$unrevoked"
check "bob had keys to revoke" test "$unrevoked" -ge 2

logged >"$TMP/all"
no_secret_in "$TMP/all" "$TMP/a" "$TMP/b1" "$TMP/b2" "$TMP/b3"
no_key_in "$(cat "$TMP/all")" "$TMP/batch" "the syslog lines"
is "every line is authpriv.notice from keyadm" "$(grep -cvE "^$AP" "$TMP/all")" 0
done_testing
