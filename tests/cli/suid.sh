# Self-service as the real actor (sourced after tests/lib.sh and cli.sh):
# keyadm installed the way `make install SELF_SERVICE=1` installs it, from
# a copy of the sources into a private DESTDIR under $TMP, with its policy
# path compiled in under $TMP (root-owned): nothing goes to /etc, and the
# tree's own build is left alone. Real unprivileged users (names with $$)
# run it and are removed at exit.

[ "$(id -u)" -eq 0 ] || skip_all "needs root (useradd, a setuid copy)"
for _c in make cc useradd userdel setpriv python3; do
	command -v "$_c" >/dev/null 2>&1 || skip_all "needs $_c"
done

CONF="$TMP/etc/apikey.conf"
mkdir -p "$TMP/etc" "$TMP/src/common" "$TMP/src/keyadm" "$TMP/dest"
cp "$TOP"/common/*.[ch] "$TMP/src/common/"
cp "$TOP"/keyadm/*.[ch] "$TMP/src/keyadm/"
cp -r "$TOP/Makefile" "$TOP/man" "$TMP/src/"
# the policy path as a C string in OPT: make's shell turns \" into "
if ! make -s -C "$TMP/src" install SELF_SERVICE=1 SANITIZE="${SANITIZED:-0}" \
	DESTDIR="$TMP/dest" PREFIX=/usr/local OPT="-O2 -DKA_SYSCONF=\\\"$CONF\\\"" \
	>"$TMP/install.log" 2>&1; then
	not_ok "make install SELF_SERVICE=1 into a private DESTDIR"
	cat "$TMP/install.log" >&2
	done_testing
	exit 1
fi
SU="$TMP/dest/usr/local/sbin/keyadm"
is "installed setuid root" "$(stat -c '%U %a' "$SU")" "root 4755"

# LeakSanitizer cannot trace a setuid program run by a user.
SU_ASAN="ASAN_OPTIONS=${ASAN_OPTIONS:-}"
[ "${SANITIZED:-0}" = 1 ] && SU_ASAN="$SU_ASAN:detect_leaks=0"

# new_user VAR: a real user, removed at exit; its name goes into VAR.
_nusers=0
new_user() {
	_nusers=$((_nusers + 1))
	_u=akl$$x$_nusers
	useradd -M -N -s /usr/sbin/nologin -d /nonexistent "$_u" || return 1
	at_exit "userdel $_u >/dev/null 2>&1"
	eval "$1=\$_u"
}

# as USER ARGS...: the setuid copy run by USER with a clean environment.
as() {
	_u=$1
	shift
	env -u APIKEY_DB -u APIKEY_CONFIG "$SU_ASAN" setpriv --reuid "$_u" \
		--regid "$(id -g "$_u")" --clear-groups -- "$SU" "$@"
}

# policy LINE...: the setuid copy's apikey.conf, root-owned.
policy() {
	printf '%s\n' "$@" >"$CONF"
	chown root:root "$CONF"
	chmod 644 "$CONF"
}
