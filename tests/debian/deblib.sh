# Helpers for tests/debian: what a set of packages pulls in (the private
# copy of the tree is tests/lib.sh's copy_tree).

# closure PKG...: the packages apt installs for PKG... with their Depends and
# PreDepends, recursively (no Recommends or Suggests), one name a line.
closure() {
	apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
		--no-breaks --no-replaces --no-enhances "$@" 2>/dev/null |
		sed -n 's/^\([a-z0-9][a-z0-9.+-]*\)\(:[a-z0-9]*\)\{0,1\}$/\1/p' | sort -u
}

# daemons PKG...: the installed packages of the closure of PKG... that ship
# a service (a systemd unit or an init script), one "package: file" a line.
# Essential and required packages (dpkg's backup timer, libpam-modules-bin's
# pam_namespace) are on every Debian host: installing pulls nothing of
# theirs in, and they do not count.
daemons() {
	_ess=" $(dpkg-query -W -f='${Package}:${Essential}:${Priority} ' | tr ' ' '\n' |
		sed -n 's/:yes:.*$//p; s/:[a-z]*:required$//p' | tr '\n' ' ') "
	for _p in $(closure "$@"); do
		case $_ess in *" $_p "*) continue ;; esac
		for _l in /var/lib/dpkg/info/"$_p".list /var/lib/dpkg/info/"$_p":*.list; do
			[ -f "$_l" ] || continue
			grep -E '^(/usr)?/lib/systemd/system/[^/]+\.(service|socket)$|^/etc/init\.d/[^/]+$' "$_l" |
				sed "s|^|$_p: |"
		done
	done
}
