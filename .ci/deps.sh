#!/bin/sh
# Installs the Debian packages named on the command line that are missing.
# Quick when everything is present: one dpkg-query, no apt-get.
# With --fetch first: the packages are only downloaded into apt's cache
# (for a test that unpacks one in a namespace of its own).
set -eu
fetch=0
if [ "${1:-}" = --fetch ]; then
	fetch=1
	shift
fi
missing=""
for p in "$@"; do
	if [ "$fetch" = 1 ]; then
		ls /var/cache/apt/archives/"${p}"_*.deb >/dev/null 2>&1 || missing="$missing $p"
		continue
	fi
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing (run the same make command as root to install them)" >&2
	exit 1
fi
if [ "$fetch" = 1 ]; then echo "deps: downloading$missing"; else echo "deps: installing$missing"; fi
# Keep daemons that come with the packages (sshd, postfix, memcached,
# saslauthd) from starting: the tests run their own on loopback.
rc=/usr/sbin/policy-rc.d
made_rc=0
if [ ! -e "$rc" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$rc" && chmod 755 "$rc" && made_rc=1
fi
trap '[ "$made_rc" = 1 ] && rm -f "$rc"' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
if [ "$fetch" = 1 ]; then
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends --download-only $missing
	exit 0
fi
# What the packages enable (systemd units, SysV start links) is disabled
# again: the tests start their own daemons, and a host that ran them boots
# with the services it had before. Only what this install enabled.
enabled() {
	find /etc/systemd/system -path '*.wants/*' -type l 2>/dev/null
	ls -d /etc/rc[2345].d/S* 2>/dev/null || true
}
was=$(enabled | sort)
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
off=""
for l in $(enabled | sort); do
	echo "$was" | grep -qxF "$l" && continue
	n=${l##*/}
	case $l in
	/etc/rc*) n=${n#S[0-9][0-9]}; update-rc.d "$n" disable >/dev/null 2>&1 || rm -f "$l" ;;
	*) systemctl --root=/ --quiet disable "$n" 2>/dev/null || rm -f "$l" ;;
	esac
	n=${n%.service}
	case " $off " in *" $n "*) ;; *) off="$off $n" ;; esac
done
[ -z "$off" ] || echo "deps: left disabled, as before the install:$off"
