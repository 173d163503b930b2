#!/bin/sh
# shellcheck disable=SC2086 # option lists split on purpose
# The store replaced by something that is not a sane store: the PAM module
# (through the real libpam) answers PAM_AUTHINFO_UNAVAIL and logs why, the
# SASL plugin (through the real libsasl2) SASL_UNAVAIL and logs why, keyadm
# verify says UNAVAILABLE, keyadm check names the problem, and a write
# refuses to touch it. So is a store in a directory others could write.
# Nothing waits: a FIFO is refused, not opened.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"
. "$TOP/tests/sasl_apikey/sasllib.sh"
CASE="$TOP/tests/pam_apikey/pamcase"
need "tests/pam_apikey/pamcase is not built" test -x "$CASE"
need "no private mount namespace for a captured syslog" logns_works
need "the syslog listener does not start" start_syslog

new_store
chmod 755 "$TMP"
A=$(new_key "$TMP/a" alice)
mkdir -p "$PAMD"
printf 'auth required %s db=%s\naccount required %s db=%s\n' "$SO" "$DB" "$SO" "$DB" >"$PAMD/apikey"
P="--mech PLAIN --user alice --service smtp --remote 127.0.0.1"
cp "$DB" "$TMP/good.db"
restore() {
	chmod 755 "$TMP"
	rm -rf "$DB"
	cp "$TMP/good.db" "$DB"
	chmod 0640 "$DB"
}

# replaced NAME WHY: the store is now broken as NAME says; WHY is what every
# reader must say about it.
replaced() {
	mark
	out=$(timeout 20 sh "$LOGNS" "$TMP/log.sock" "$CASE" "$PAMD" apikey alice "$TMP/a" \
		PAM_AUTHINFO_UNAVAIL - 2>&1)
	is "$1: PAM_AUTHINFO_UNAVAIL" "$?" 0
	like "$1: the PAM module logs why" "$(since)" "result=UNAVAILABLE: .*$2"
	is "$1: SASL_UNAVAIL" "$(timeout 20 "$SASLTRY" --plugins "$PLUGDIR" --db "$DB" $P \
		<"$TMP/a" 2>"$TMP/st.err" | cut -d' ' -f1)" SASL_UNAVAIL
	like "$1: the SASL plugin logs why" "$(cat "$TMP/st.err")" "result=UNAVAILABLE .*: .*$2"
	is "$1: keyadm verify says UNAVAILABLE" "$(timeout 20 "$KEYADM" verify alice <"$TMP/a" 2>/dev/null)" \
		UNAVAILABLE
	out=$(timeout 20 "$KEYADM" check 2>&1)
	is "$1: keyadm check fails" "$?" 1
	like "$1: keyadm check names the problem" "$out" "problem: .*$2"
	out=$(timeout 20 "$KEYADM" create bob 2>&1)
	is "$1: a write refuses it" "$?" 1
	like "$1: and says why" "$out" "$2"
	no_secret_in "$TMP/st.err" "$TMP/a"
	restore
	check "$1: the store put back works again" q ka verify alice <"$TMP/a"
}

check "the sane store works" q ka verify alice <"$TMP/a"
rm "$DB" && ln -s "$TMP/good.db" "$DB"
replaced "a symlink" "is a symbolic link"
rm "$DB" && mkdir "$DB"
replaced "a directory" "not a regular file"
rm "$DB" && mkfifo "$DB"
replaced "a FIFO" "not a regular file"
: >"$DB"
replaced "an empty file" "not a usable GDBM file"
head -c 3000 "$TMP/good.db" >"$DB"
replaced "a truncated copy" "not a usable GDBM file"
head -c 20000 /dev/urandom >"$DB"
replaced "random bytes" "not a usable GDBM file"
chown nobody "$DB"
replaced "owned by another user" "owned by uid [0-9]+, not root"
chmod 0660 "$DB"
replaced "group-writable" "writable by group or others"
chmod 0646 "$DB"
replaced "world-writable" "writable by group or others"
restore
chmod 775 "$TMP"
replaced "in a group-writable directory" "directory $TMP: writable by group or others"
chmod 1777 "$TMP"
replaced "in a sticky world-writable directory (like /tmp)" "directory $TMP: writable by group or others .mode 1777."
is "every key written before is still there" "$(ka list alice 2>/dev/null | grep -c "$A")" 1
no_secret_in "$SYSLOG" "$TMP/a"
done_testing
