# Self-service as the real actor (sourced after tests/lib.sh and cli.sh):
# keyadm installed the way `make install SELF_SERVICE=1` installs it
# (tests/keyadm/setuid.sh: a private DESTDIR, its apikey.conf there), run by
# real unprivileged users (names with $$) removed at exit. SU, CONF, as
# and policy come from setuid.sh.
. "$TOP/tests/keyadm/setuid.sh"
command -v python3 >/dev/null 2>&1 || skip_all "needs python3"
install_setuid

# new_user VAR: a real user, removed at exit; its name goes into VAR.
_nusers=0
new_user() {
	_nusers=$((_nusers + 1))
	_u=akl$$x$_nusers
	useradd -M -N -s /usr/sbin/nologin -d /nonexistent "$_u" || return 1
	at_exit "userdel $_u >/dev/null 2>&1"
	eval "$1=\$_u"
}
