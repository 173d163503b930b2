#!/bin/sh
# Bad input of every class: one clear line on stderr, the documented exit
# code, and nothing changed (the store's bytes are compared).
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"

new_store
id=$(new_key "$TMP/a.key" alice --name laptop)
snap=$(cksum <"$DB")

# bad CODE PATTERN DESC ARGS...: keyadm ARGS exits CODE with one stderr
# line matching PATTERN, prints nothing on stdout, and the store is intact.
bad() {
	want_code=$1 pat=$2 desc=$3
	shift 3
	"$KEYADM" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
	rc=$?
	is "$desc: exit $want_code" "$rc" "$want_code"
	if [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -Eq -- "$pat" "$TMP/err"; then
		ok "$desc: one clear line"
	else
		not_ok "$desc: stderr was: $(head -c 200 "$TMP/err")"
	fi
	is "$desc: nothing on stdout" "$(wc -c <"$TMP/out" | tr -d ' ')" 0
	is "$desc: store unchanged" "$(cksum <"$DB")" "$snap"
}

long=$(printf 'a%.0s' $(seq 1 65))
longname=$(printf 'n%.0s' $(seq 1 129))
longreason=$(printf 'r%.0s' $(seq 1 257))
bad_utf8=$(printf 'caf\351')
ctrl=$(printf 'a\033[31mb')

bad 2 "unknown option --frob" "unknown option" create bob --frob
bad 2 "unknown option -x" "unknown short option" create bob -x
bad 2 "unknown command" "unknown command" frobnicate
bad 2 "does not take --grace" "option of another command" create bob --grace 1d
bad 2 "given twice" "repeated option" create bob --name a --name b
bad 2 "needs a value" "missing option value" create bob --name
bad 2 "non-empty" "empty option value" create bob --name ""
bad 2 "missing argument" "create without a user" create
bad 2 "too many arguments" "create with two users" create bob carol
bad 2 "invalid user name" "empty user" create ""
bad 2 "invalid user name" "over-long user" create "$long"
bad 2 "unknown option -bob" "user starting with -" create -bob
bad 2 "invalid user name" "user starting with - after --" create -- -bob
bad 2 "invalid user name" "user with a slash" create "a/b"
bad 2 "invalid user name" "user with a space" create "a b"
bad 2 "invalid name" "over-long name" create bob --name "$longname"
bad 2 "invalid name" "non-UTF-8 name" create bob --name "$bad_utf8"
bad 2 "invalid name" "control characters in a name" create bob --name "$ctrl"
bad 2 "invalid time" "bad duration" create bob --expires 90x
bad 2 "invalid time" "negative duration" create bob --expires -5d
bad 2 "invalid time" "bad date" create bob --expires 2027-02-30
bad 2 "in the past" "expiry in the past" create bob --expires 2001-01-01
bad 2 "invalid source list" "bad CIDR" create bob --from 10.0.0.0/33
bad 2 "invalid source list" "bad address" create bob --from 10.0.0.256/8
bad 2 "invalid source list" "hostname as source" create bob --from example.org
bad 2 "invalid source list" "empty CIDR in a list" create bob --from 10.0.0.0/8,,
bad 2 "invalid service list" "bad service name" create bob --service 'ss h'
bad 2 "invalid reason" "over-long reason" revoke "$id" --reason "$longreason"
bad 2 "invalid reason" "non-UTF-8 reason" disable "$id" --reason "$bad_utf8"
bad 3 "no key AAAAAAAAAAAA" "unknown id" revoke AAAAAAAAAAAA
bad 3 "no key AAAAAAAAAAAA" "unknown id (disable)" disable AAAAAAAAAAAA
bad 3 "no key AAAAAAAAAAAA" "unknown id (set)" set AAAAAAAAAAAA --name x
bad 3 "no key AAAAAAAAAAAA" "unknown id (purge)" purge AAAAAAAAAAAA
bad 2 "not a key id" "malformed id" revoke 'AAAA$(id)'
bad 2 "full key, not an id" "a full key as id" revoke "$(cat "$TMP/a.key")"
no_key_in "$(cat "$TMP/err")" "$TMP/a.key" "full key as id"
bad 2 "invalid prefix" "bad prefix" --db "$TMP/other.db" init --prefix A
bad 2 "invalid --state" "bad state" list --state gone
bad 2 "invalid --since" "bad --since" audit --since yesterday
bad 2 "no filter" "audit --verify with a filter" audit --verify --user alice
bad 2 "takes no value" "value for a flag" list --json=yes
bad 2 "no command" "no command" --json

# the key itself is never echoed back, even when an option is wrong
"$KEYADM" show "$id" "--$(cat "$TMP/a.key")" >/dev/null 2>"$TMP/err"
no_key_in "$(cat "$TMP/err")" "$TMP/a.key" "unknown option made of a key"

# the store: missing, not a store, corrupt, truncated, untrusted
bad 1 "no key store" "missing store" --db "$TMP/none.db" list
check_fails "missing store: no lock file made" test -e "$TMP/none.db.wlock"
bad 1 "no key store" "missing store (create)" --db "$TMP/none.db" create bob
check_fails "missing store: still no lock file" test -e "$TMP/none.db.wlock"
printf 'hello\n' >"$TMP/text.db"
chmod 600 "$TMP/text.db"
bad 1 "not a usable GDBM file" "a text file as store" --db "$TMP/text.db" create bob
is "text file untouched" "$(cat "$TMP/text.db")" hello
: >"$TMP/empty.db"
bad 1 "not a usable GDBM file" "an empty file as store" --db "$TMP/empty.db" list
head -c 600 "$DB" >"$TMP/trunc.db"
bad 1 "not a usable GDBM file|corrupt" "a truncated store" --db "$TMP/trunc.db" revoke "$id"
mkdir "$TMP/dir.db"
bad 1 "not a regular file|Is a directory" "a directory as store" --db "$TMP/dir.db" list
ln -s "$DB" "$TMP/link.db"
bad 1 "symbolic link" "a symlink to a store" --db "$TMP/link.db" list
chmod 660 "$DB"
bad 1 "writable by group" "group-writable store" revoke "$id"
bad 1 "writable by group" "group-writable store (list)" list
chmod 640 "$DB"
if [ "$(id -u)" -eq 0 ]; then
	chown 65534 "$DB"
	bad 1 "owned by uid 65534" "store not owned by root" revoke "$id"
	chown 0 "$DB"
else
	skip "store not owned by root: needs root"
fi
is "the key still works after all that" "$(ka verify alice <"$TMP/a.key")" VALID

done_testing
