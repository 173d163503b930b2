#!/bin/sh
# keyadm is on a self-service user's PATH: make install SELF_SERVICE=1 puts
# the setuid keyadm in $PREFIX/sbin and a symbolic link $PREFIX/bin/keyadm
# to it; a real user with the PATH Debian's login.defs gives users (ENV_PATH,
# read from the file, under the DESTDIR) finds it and manages their own
# key with it. The twins: a plain make install makes no link (an admin
# tool stays in sbin); with the users' PATH without the link, there is no
# keyadm; make uninstall removes the link.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"
. "$TOP/tests/keyadm/suid.sh"

[ -r /etc/login.defs ] || skip_all "no /etc/login.defs"
upath=$(sed -n 's/^ENV_PATH[[:space:]]*PATH=//p' /etc/login.defs)
supath=$(sed -n 's/^ENV_SUPATH[[:space:]]*PATH=//p' /etc/login.defs)
like "login.defs: a users' PATH without sbin" "$upath" "^[^ ]*/usr/local/bin"
unlike "login.defs: the users' PATH has no sbin" "$upath" "sbin"
# the PATHs under the DESTDIR
under() { printf '%s\n' "$1" | tr ':' '\n' | sed "s|^|$ROOT|" | paste -sd:; }

L="$ROOT/usr/bin/keyadm"
check "a symbolic link in bin" test -L "$L"
is "it leads to sbin, relative" "$(readlink "$L")" "../sbin/keyadm"
is "sbin holds the setuid keyadm" "$(stat -L -c '%U %a' "$L")" "root 4755"

new_user U1
policy "self_service yes" "store $DB"
new_store
chmod 755 "$TMP"
found=$(setpriv --reuid "$U1" --regid "$(id -g "$U1")" --clear-groups -- \
	env -i PATH="$(under "$upath")" /bin/sh -c 'command -v keyadm')
is "the user's PATH finds keyadm in bin" "$found" "$L"
setpriv --reuid "$U1" --regid "$(id -g "$U1")" --clear-groups -- env -i PATH="$(under "$upath")" \
	"$SU_ASAN" /bin/sh -c 'keyadm create "$1" --name by-path' sh "$U1" >"$TMP/u.key" 2>/dev/null
is "the user makes a key through it (setuid through the link)" \
	"$(ka list "$U1" --json | python3 -c 'import json,sys; print([k["name"] for k in json.load(sys.stdin)])')" \
	"['by-path']"
sfound=$(env -i PATH="$(under "$supath")" /bin/sh -c 'command -v keyadm')
is "root's PATH finds sbin first" "$sfound" "$ROOT/usr/sbin/keyadm"

# ---- a plain make install: no link; uninstall removes it
if make -s -C "$TMP/src" install DESTDIR="$TMP/plain" PREFIX=/usr SYSCONFDIR="$TMP/etc" \
	>"$TMP/plain.log" 2>&1; then
	check_fails "plain make install: no link in bin" test -e "$TMP/plain/usr/bin/keyadm"
	check "plain make install: keyadm in sbin" test -x "$TMP/plain/usr/sbin/keyadm"
	none=$(env -i PATH="$(printf '%s\n' "$upath" | tr ':' '\n' | sed "s|^|$TMP/plain|" | paste -sd:)" \
		/bin/sh -c 'command -v keyadm')
	is "plain make install: not on the users' PATH" "$none" ""
else
	not_ok "plain make install: $(tail -3 "$TMP/plain.log")"
fi
make -s -C "$TMP/src" uninstall DESTDIR="$ROOT" PREFIX=/usr >/dev/null 2>&1
check_fails "make uninstall removes the link" test -e "$L" -o -L "$L"
check_fails "and keyadm" test -e "$ROOT/usr/sbin/keyadm"

done_testing
