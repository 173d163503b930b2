#!/bin/sh
# Installs the Debian packages named on the command line that are missing.
# Quick when everything is present: one dpkg-query, no apt-get.
set -eu
missing=""
for p in "$@"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing (run the same make command as root to install them)" >&2
	exit 1
fi
echo "deps: installing$missing"
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
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
