#!/bin/sh
# Insiders cannot undo a revocation (docs/architecture.md, "Threat
# model"), continued from insiders.t. Each capability tried by its real
# actor, each with its negative twin:
#  - whoever can write the store's directory renames an older copy over
#    the store: readers refuse the store; the twin: the copy itself says
#    VALID for the revoked key, and with sane modes the rename is refused;
#  - whoever reads a core image of create --batch finds no key; the twin:
#    a core taken while a key is being written out has it;
#  - a remote client cannot tell real ids from unknown ones by timing; the
#    twin: the same measurement sees a malformed key's shortcut.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"
. "$TOP/tests/pam_apikey/pamlib.sh"
. "$TOP/tests/hardening/insiderlib.sh"
[ "$(id -u)" -eq 0 ] || skip_all "needs root (useradd)"
for c in useradd userdel groupadd groupdel setpriv flock gdb "$PY"; do
	need "needs $c" command -v "$c"
done
unsanitized "gcore of a sanitized keyadm would dump its shadow memory"

insiders_setup

# ==== 3. whoever can write the store's directory (a misconfiguration)
KO=$(new_key "$TMP/ko" dave)
cp -p "$DB" "$TMP/older.db" # root-owned copies from before the revoke
cp -p "$DB" "$ST/keys.db.old"
ka revoke "$KO" >/dev/null 2>&1
is "the key is revoked" "$(ka verify dave <"$TMP/ko" 2>/dev/null)" REVOKED
check_fails "with sane modes the user cannot put the older copy back" \
	as "$W" mv "$ST/keys.db.old" "$DB"
chgrp "$(id -g "$W")" "$ST"
chmod 0770 "$ST"
check "given write access to the directory, the user renames the older copy over the store" \
	as "$W" mv "$ST/keys.db.old" "$DB"
is "the twin: that copy holds the key VALID" \
	"$(ka --db "$TMP/older.db" verify dave <"$TMP/ko" 2>/dev/null)" VALID
is "readers refuse the store: UNAVAILABLE" "$(ka verify dave <"$TMP/ko" 2>/dev/null)" UNAVAILABLE
like "and say why" "$(ka verify dave <"$TMP/ko" 2>&1 >/dev/null)" \
	"directory $ST: writable by group or others \(mode 0770\)"
like "keyadm check says the same" "$(ka check 2>&1)" "problem: directory $ST: writable by group"
check_fails "writes refuse it too" q ka create dave
chmod 0750 "$ST"
chgrp "$GRP" "$ST"
is "with the directory sane again, readers use it (the restored copy)" \
	"$(ka verify dave <"$TMP/ko" 2>/dev/null)" VALID
ka revoke "$KO" >/dev/null 2>&1

# where a store may live: sticky ancestors, owners
v() { ka --db "$1" verify dave <"$TMP/ko" 2>&1; }
mkdir -m 1777 "$TMP/sticky"
mkdir -m 0755 "$TMP/sticky/sub"
cp -p "$DB" "$TMP/sticky/sub/keys.db"
is "a root-owned directory in a sticky one (like /tmp) is accepted" "$(v "$TMP/sticky/sub/keys.db")" REVOKED
check_fails "and the user cannot rename it away" as "$W" mv "$TMP/sticky/sub" "$TMP/sticky/gone"
cp -p "$DB" "$TMP/sticky/keys.db"
like "a store directly in the sticky directory is refused" "$(v "$TMP/sticky/keys.db")" \
	"directory $TMP/sticky: writable by group or others \(mode 1777\)"
mkdir -m 0755 "$TMP/sticky/usr"
chown "$W" "$TMP/sticky/usr"
mkdir -m 0755 "$TMP/sticky/usr/sub"
cp -p "$DB" "$TMP/sticky/usr/sub/keys.db"
like "a directory of another user on the way is refused" "$(v "$TMP/sticky/usr/sub/keys.db")" \
	"directory $TMP/sticky/usr: owned by uid [0-9]+, not root"
check "the twin: that user could swap the store's directory" \
	as "$W" mv "$TMP/sticky/usr/sub" "$TMP/sticky/usr/away"
mkdir -m 0777 "$TMP/open"
mkdir -m 0755 "$TMP/open/sub"
cp -p "$DB" "$TMP/open/sub/keys.db"
like "a world-writable ancestor that is not sticky is refused" "$(v "$TMP/open/sub/keys.db")" \
	"directory $TMP/open: writable by group or others \(mode 0777\)"
check "the twin: anyone could rename the store's directory there" \
	as "$W" mv "$TMP/open/sub" "$TMP/open/away"
ln -s "$ST" "$TMP/link"
is "a symlink to a sane directory is followed (the real path is checked)" \
	"$(ka --db "$TMP/link/keys.db" verify dave <"$TMP/ko" 2>/dev/null)" REVOKED
mkdir -m 0777 "$TMP/wlink"
ln -s "$ST" "$TMP/wlink/st"
like "a symlink in a directory others can write is refused" \
	"$(v "$TMP/wlink/st/keys.db")" "directory $TMP/wlink: writable by group or others"
check "the twin: anyone could point it at another store" as "$W" ln -sfn "$TMP/sticky/sub" "$TMP/wlink/st"
as "$W" ln -s "$ST" "$TMP/sticky/wlink"
like "a symlink of another user in a sticky directory is refused" \
	"$(v "$TMP/sticky/wlink/keys.db")" "symbolic link $TMP/sticky/wlink: owned by uid [0-9]+, not root"
check "the twin: its owner could point it elsewhere" as "$W" ln -sfn "$TMP/sticky/sub" "$TMP/sticky/wlink"
mkdir -m 0755 "$TMP/sane"
ln -s ../wlink/st "$TMP/sane/chain"
like "a chain of symlinks is checked link by link" "$(v "$TMP/sane/chain/keys.db")" \
	"directory $TMP/wlink: writable by group or others"

# ==== 4. a core image of create --batch holds no key
printf 'erin\nfrank\ngina\n' >"$TMP/users"
# core_at BREAK OUT: a core of create --batch taken at function BREAK
core_at() {
	gdb -batch -ex "$1" -ex "run create --batch <$TMP/users >$2" -ex "gcore $TMP/core" \
		-ex kill "$KEYADM" >"$TMP/gdb.log" 2>&1
}
rm -f "$TMP/core"
core_at "catch syscall exit_group" "$TMP/bkeys"
is "create --batch printed its keys (under gdb)" "$(grep -c _ "$TMP/bkeys")" 3
check "a core image taken at its end" test -s "$TMP/core"
is "holds none of the keys it printed" "$(grep -c -a -F -f "$TMP/bkeys" "$TMP/core")" 0
is "nor any of their secrets" "$(cut -d_ -f3 "$TMP/bkeys" | grep -c -a -F -f - "$TMP/core")" 0
rm -f "$TMP/core"
core_at "break ka_write_all" "$TMP/bkeys2"
check "the twin: a core taken while the keys are written out" test -s "$TMP/core"
"$KEYADM" revoke --user erin >/dev/null 2>&1
check "has them (the search finds keys in a core)" test "$(strings -n 60 "$TMP/core" | grep -c "^ak_[0-9A-Za-z]\{12\}_")" -gt 0
rm -f "$TMP/core" "$TMP/bkeys" "$TMP/bkeys2"

# ==== 5. a remote client times its attempts
IDT="$TOP/bench/id_timing"
if [ -x "$IDT" ]; then
	printf 'u%s\n' $(seq 1 1000) | ka create --batch >"$TMP/many" 2>/dev/null
	t=$("$IDT" "$DB" "$TMP/many" 100000)
	diag "ak_verify, µs: real id with a wrong secret, unknown id, malformed: $t"
	set -- $t
	check "an unknown id takes as long as a real one with a wrong secret ($2 vs $1 µs)" \
		"$PY" -c "import sys; sys.exit(not ($2 >= 0.85 * $1))"
	check "the twin: the measurement sees a shortcut where there is one (malformed: $3 µs)" \
		"$PY" -c "import sys; sys.exit(not ($3 <= 0.6 * $1))"
	rm -f "$TMP/many"
else
	skip "bench/id_timing is not built (make check builds it)"
fi

done_testing
