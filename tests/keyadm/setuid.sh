# Self-service tests: keyadm as the admin installs it. Sourced after
# tests/lib.sh, cli.sh and pamlib.sh by a test that runs as root.
#
# install_setuid: `make install SELF_SERVICE=1` of a copy of this tree (copy_tree) into
# $ROOT (DESTDIR), PREFIX=/usr and SYSCONFDIR=$ROOT/etc, so that the
# installed keyadm reads $ROOT/etc/apikey/apikey.conf and nothing goes to
# /etc (a failed install fails the test). $ROOT is root's, mode 0755 (test users may traverse it, as they
# may /). Sets SU (the setuid keyadm), CONF and HOOKS (its hooks_dir).
# two_users: the real unprivileged users U1 (aksa$$) and U2 (aksb$$), no
# home, no login shell, removed at exit.
# as USER ARGS...: SU run by USER (its own uid, gid, no other group).
# policy LINES...: writes CONF, root's, 0644.
for _c in make cc useradd userdel setpriv; do
	command -v "$_c" >/dev/null 2>&1 || skip_all "needs $_c"
done
[ "$(id -u)" -eq 0 ] || skip_all "needs root (useradd, make install SELF_SERVICE=1)"

ROOT="$TMP/root"
SU="$ROOT/usr/sbin/keyadm"
CONF="$ROOT/etc/apikey/apikey.conf"
HOOKS="$ROOT/etc/apikey/hooks.d"
install_setuid() {
	if mkdir -m 755 "$ROOT" "$TMP/src" &&
		copy_tree "$TMP/src" &&
		make -s -C "$TMP/src" install SELF_SERVICE=1 SANITIZE="$SANITIZED" \
			DESTDIR="$ROOT" PREFIX=/usr SYSCONFDIR="$ROOT/etc" >"$TMP/install.log" 2>&1 &&
		mkdir -p -m 755 "$ROOT/etc/apikey" "$ROOT/var/lib"; then
		is "installed setuid root" "$(stat -c '%U %a' "$SU")" "root 4755"
		return 0
	fi
	sed 's/^/# /' "$TMP/install.log"
	not_ok "make install SELF_SERVICE=1"
	done_testing
	exit 1
}
# LeakSanitizer stops the process with ptrace, which the kernel refuses for
# a setuid program run by a user: under SANITIZE=1 those runs keep ASan and
# UBSan but not the leak check (root's runs of the same code keep it).
SU_ASAN="ASAN_OPTIONS=${ASAN_OPTIONS:-}"
[ "$SANITIZED" = 1 ] && SU_ASAN="$SU_ASAN:detect_leaks=0"
two_users() {
	U1=aksa$$
	U2=aksb$$
	for _u in "$U1" "$U2"; do
		at_exit "userdel -f $_u >/dev/null 2>&1"
		useradd -M -N -s /usr/sbin/nologin -d /nonexistent "$_u"
	done
}
as() {
	_u=$1
	shift
	env -u APIKEY_DB -u APIKEY_CONFIG "$SU_ASAN" setpriv --reuid "$_u" --regid "$(id -g "$_u")" \
		--clear-groups -- "$SU" "$@"
}
policy() {
	printf '%s\n' "$@" >"$CONF"
	chown root:root "$CONF"
	chmod 644 "$CONF"
}
