#!/bin/sh
# .ci/deps.sh (make deps, make check) installs what is missing and leaves
# disabled what the packages enabled to start at boot, systemd units and
# SysV start links alike, while a service enabled before stays enabled. In
# a private mount namespace whose /etc/systemd/system and /etc/rc?.d are
# copies on tmpfs, with apt-get and dpkg-query stand-ins that "install" a
# package by enabling its service as a postinst does; the real systemctl
# and update-rc.d disable it. Nothing outside the namespace changes.
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" -eq 0 ] || skip_all "needs root (mount namespace)"
for _c in unshare systemctl update-rc.d; do
	command -v "$_c" >/dev/null 2>&1 || skip_all "needs $_c"
done
[ -f /lib/systemd/system/memcached.service ] && [ -x /etc/init.d/memcached ] ||
	skip_all "needs memcached's unit and init script (make check installs memcached)"
unshare --mount --propagation private true 2>/dev/null || skip_all "no mount namespace"

mkdir -p "$TMP/bin"
# dpkg-query: every package is missing; apt-get install: memcached's
# postinst enables it (a unit link and a start link); update: nothing.
printf '#!/bin/sh\necho not-installed\n' >"$TMP/bin/dpkg-query"
cat >"$TMP/bin/apt-get" <<'EOF'
#!/bin/sh
case " $* " in *" install "*) ;; *) exit 0 ;; esac
ln -sf /lib/systemd/system/memcached.service /etc/systemd/system/multi-user.target.wants/
rm -f /etc/rc2.d/K01memcached /etc/rc3.d/K01memcached
ln -sf ../init.d/memcached /etc/rc2.d/S01memcached
ln -sf ../init.d/memcached /etc/rc3.d/S01memcached
EOF
chmod 755 "$TMP/bin/dpkg-query" "$TMP/bin/apt-get"

# In the namespace: the directories copied onto tmpfs, a service enabled
# before (a unit of the test's own, a start link), then deps.sh, then what
# is enabled.
cat >"$TMP/inns.sh" <<'EOF'
set -e
for d in /etc/systemd/system /etc/rc0.d /etc/rc1.d /etc/rc2.d /etc/rc3.d /etc/rc4.d \
	/etc/rc5.d /etc/rc6.d /etc/rcS.d; do
	[ -d "$d" ] || continue
	mkdir -p "$TMP/copy$d"
	cp -a "$d/." "$TMP/copy$d/"
	mount -t tmpfs tmpfs "$d"
	cp -a "$TMP/copy$d/." "$d/"
done
mkdir -p /etc/systemd/system/multi-user.target.wants
rm -f /etc/systemd/system/multi-user.target.wants/memcached.service /etc/rc?.d/S??memcached
printf '[Unit]\nDescription=enabled before\n[Install]\nWantedBy=multi-user.target\n' >"$TMP/before-test.service"
ln -sf "$TMP/before-test.service" /etc/systemd/system/multi-user.target.wants/
ln -sf ../init.d/memcached /etc/rc2.d/S01before-test
PATH="$TMP/bin:$PATH" sh "$TOP/.ci/deps.sh" memcached >"$TMP/deps.out" 2>&1 || echo "exit $?" >>"$TMP/deps.out"
ls /etc/systemd/system/multi-user.target.wants/ >"$TMP/wants"
ls /etc/rc2.d/ /etc/rc3.d/ >"$TMP/rc"
EOF
unshare --mount --propagation private sh -c 'TMP=$1 TOP=$2 sh "$1/inns.sh"' sh "$TMP" "$TOP" \
	>"$TMP/ns.log" 2>&1
check "deps.sh ran in the namespace" test -s "$TMP/wants"
sed 's/^/# /' "$TMP/ns.log" "$TMP/deps.out"
unlike "deps.sh succeeded" "$(cat "$TMP/deps.out")" '^exit '
unlike "the unit the install enabled is disabled again" "$(cat "$TMP/wants")" '^memcached\.service$'
unlike "its SysV start links too" "$(cat "$TMP/rc")" '^S[0-9][0-9]memcached$'
like "deps.sh says what it left disabled" "$(cat "$TMP/deps.out")" \
	'left disabled, as before the install: memcached$'
# The twin: what was enabled before the install stays enabled.
like "a unit enabled before stays enabled" "$(cat "$TMP/wants")" '^before-test\.service$'
like "a start link from before stays" "$(cat "$TMP/rc")" '^S01before-test$'
# And the real /etc saw nothing of it.
check "no test link in the real /etc/systemd/system" \
	test ! -e /etc/systemd/system/multi-user.target.wants/before-test.service
check "no test link in the real /etc/rc2.d" test ! -e /etc/rc2.d/S01before-test
done_testing
