#!/bin/sh
# The Debian packages: dpkg-buildpackage in a private copy of the tree (the
# tree itself stays as it was), lintian, then installation into a
# disposable root (an overlay of / with a tmpfs upper layer, in a private
# mount namespace, entered with chroot; never this host's own /), where
# tests/debian/inroot.sh checks what installing, pam-auth-update, remove
# and purge do. One build per run.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/debian/deblib.sh"

unsanitized "the packages are built with dpkg-buildflags, not the test build's flags"
[ "$(id -u)" -eq 0 ] || skip_all "needs root (dpkg, mount namespace, chroot)"
for c in dpkg-buildpackage dh lintian unshare chroot pamtester pam-auth-update sshd sshpass saslpasswd2; do
	command -v "$c" >/dev/null 2>&1 || skip_all "$c is not installed (make check installs it)"
done
grep -qw overlay /proc/filesystems || skip_all "no overlay filesystem in this kernel"

# ---- build, in a private copy of the tree
SRC="$TMP/build/apikey"
before=$(git -C "$TOP" status --porcelain 2>/dev/null)
copy_tree "$SRC"
# conf/hooks.d and conf/fail2ban ship whatever they hold: one more file
# in each, in the copy, must be in the packages too.
mkdir -p "$SRC/conf/hooks.d" "$SRC/conf/fail2ban/filter.d"
printf '#!/bin/sh\nexit 0\n' >"$SRC/conf/hooks.d/zz-packaging-test"
chmod 755 "$SRC/conf/hooks.d/zz-packaging-test"
printf '[Definition]\nfailregex = ^zz-packaging-test <HOST>$\n' >"$SRC/conf/fail2ban/filter.d/zz-packaging-test.conf"
start=$(date +%s)
# A package build of its own, not a part of the make check that runs this.
unset MAKEFLAGS MAKELEVEL MFLAGS SANITIZE T
(cd "$SRC" && dpkg-buildpackage -us -uc -b) >"$TMP/build.log" 2>&1
rc=$?
is "dpkg-buildpackage -us -uc -b succeeds" "$rc" 0
[ "$rc" -eq 0 ] || { tail -30 "$TMP/build.log" | sed 's/^/# /'; done_testing; exit 1; }
diag "build: $(($(date +%s) - start)) s"
is "the tree is as it was (the build ran in a copy)" "$(git -C "$TOP" status --porcelain 2>/dev/null)" "$before"

cc_line=$(grep -m1 -- '-o pam_apikey/pam_apikey.so' "$TMP/build.log")
like "the compiler gets dpkg-buildflags' CFLAGS and CPPFLAGS" "$cc_line" \
	"-Wdate-time -D_FORTIFY_SOURCE=2 .*-ffile-prefix-map=.*-Werror=format-security"
like "... followed by the project's own (-Werror, hardening)" "$cc_line" \
	"-Werror=format-security .*-Werror .*-fvisibility=hidden"
like "the linker gets dpkg-buildflags' LDFLAGS (bindnow)" "$cc_line" "-Wl,-z,relro -Wl,-z,now"

DEBS="$TMP/build"
V=$(dpkg-parsechangelog -l "$SRC/debian/changelog" -S Version)
A=$(dpkg --print-architecture)
M=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
for p in apikey libpam-apikey libsasl2-modules-apikey; do
	check "$p and $p-dbgsym are built" test -f "$DEBS/${p}_${V}_$A.deb" -a -f "$DEBS/$p-dbgsym_${V}_$A.deb"
done
contents() { dpkg-deb -c "$DEBS/${1}_${V}_$A.deb" | awk '{ print $6 }' | sed 's|^\./|/|'; }
contents apikey >"$TMP/c.apikey"
contents libpam-apikey >"$TMP/c.pam"
contents libsasl2-modules-apikey >"$TMP/c.sasl"
check "the PAM module is in Debian's multiarch PAM directory" grep -qx "/lib/$M/security/pam_apikey.so" "$TMP/c.pam"
check "the SASL plugin is in the multiarch sasl2 directory, beside the stock ones" \
	grep -qx "/usr/lib/$M/sasl2/libapikey.so" "$TMP/c.sasl"
is "... and is all the packages put there" "$(grep -h "/sasl2/." "$TMP/c.apikey" "$TMP/c.pam" "$TMP/c.sasl")" \
	"/usr/lib/$M/sasl2/libapikey.so"
check "keyadm in /usr/sbin" grep -qx /usr/sbin/keyadm "$TMP/c.apikey"
is "... not setuid as shipped, and /usr/bin/keyadm a link to ../sbin/keyadm for the users' PATH" \
	"$(dpkg-deb -c "$DEBS/apikey_${V}_$A.deb" | awk '$6 ~ /usr\/s?bin\/keyadm$/ { print $6, $1, $7, $8 }' | sort | tr '\n' ' ')" \
	"./usr/bin/keyadm lrwxrwxrwx -> ../sbin/keyadm ./usr/sbin/keyadm -rwxr-xr-x   "
deps=$(for p in apikey libpam-apikey libsasl2-modules-apikey; do
	dpkg-deb -f "$DEBS/${p}_${V}_$A.deb" Depends Pre-Depends
done | tr ',|' '\n\n' | sed 's/(.*)//; s/^[A-Za-z-]*://; s/[[:space:]]//g' | grep . | sort -u)
like "the packages depend on libraries, libpam-runtime and adduser" "$(echo "$deps" | tr '\n' ' ')" \
	"adduser .*libc6 .*libpam-runtime"
# shellcheck disable=SC2086 # a list of names
is "nothing the packages pull in ships a service" "$(daemons $deps)" ""
# Every shipped file of conf/ is in a package, at its place.
miss=""
for f in $(cd "$SRC" && find conf -type f | sort); do
	case $f in
	conf/apikey.conf) want=/etc/apikey/apikey.conf ;;
	conf/logrotate.d/*) want=/etc/${f#conf/} ;;
	conf/fail2ban/*) want=/etc/${f#conf/} ;;
	conf/hooks.d/*) want=/usr/share/doc/apikey/examples/${f#conf/} ;;
	conf/bash-completion/keyadm) want=/usr/share/bash-completion/completions/keyadm ;;
	conf/pam-configs/apikey) want=/usr/share/pam-configs/apikey ;;
	conf/systemd/*) want=/usr/share/doc/apikey/examples/${f#conf/} ;;
	conf/fleet/apikey-install-newest) want=/usr/sbin/apikey-install-newest ;;
	*) want="(no place for $f)" ;;
	esac
	grep -qxF "$want" "$TMP/c.apikey" "$TMP/c.pam" || miss="$miss $f"
done
is "every file under conf/ is shipped" "$miss" ""
like "a hook example keeps its execute bit" \
	"$(dpkg-deb -c "$DEBS/apikey_${V}_$A.deb" | grep 'examples/hooks.d/zz-packaging-test$')" "^-rwxr-xr-x "
dpkg-deb -e "$DEBS/apikey_${V}_$A.deb" "$TMP/ctl"
check "the fail2ban files are conffiles" grep -qx /etc/fail2ban/filter.d/zz-packaging-test.conf "$TMP/ctl/conffiles"
scripts=""
for p in apikey libpam-apikey libsasl2-modules-apikey; do
	dpkg-deb -e "$DEBS/${p}_${V}_$A.deb" "$TMP/ctl.$p"
	for f in "$TMP/ctl.$p"/preinst "$TMP/ctl.$p"/postinst "$TMP/ctl.$p"/prerm "$TMP/ctl.$p"/postrm; do
		[ -f "$f" ] && scripts="$scripts $f"
	done
done
is "the maintainer scripts: apikey's postinst and postrm, libpam-apikey's postinst and prerm (the plugin has none)" \
	"$(echo $scripts | wc -w | tr -d ' ')" 4
# shellcheck disable=SC2086 # a list of files
check_fails "no maintainer script starts, stops or restarts a service" \
	grep -Eq 'invoke-rc\.d|systemctl|deb-systemd-invoke|service ' $scripts
check "apikey.conf and the logrotate file are conffiles" \
	sh -c "grep -qx /etc/apikey/apikey.conf '$TMP/ctl/conffiles' && grep -qx /etc/logrotate.d/apikey '$TMP/ctl/conffiles'"
check "the hooks directory is shipped (empty)" grep -qx /etc/apikey/hooks.d/ "$TMP/c.apikey"
is "... and holds nothing (the examples are in /usr/share/doc)" "$(grep -c '^/etc/apikey/hooks.d/.' "$TMP/c.apikey")" 0
for f in README.md.gz architecture.md.gz copyright; do
	check "/usr/share/doc/apikey/$f" grep -qx "/usr/share/doc/apikey/$f" "$TMP/c.apikey"
done
for m in man8/keyadm.8.gz man5/apikey.conf.5.gz; do
	check "man page $m" grep -qx "/usr/share/man/$m" "$TMP/c.apikey"
done
dpkg-deb -x "$DEBS/libpam-apikey_${V}_$A.deb" "$TMP/x"
dpkg-deb -x "$DEBS/libpam-apikey-dbgsym_${V}_$A.deb" "$TMP/x"
so="$TMP/x/lib/$M/security/pam_apikey.so"
id=$(readelf -n "$so" | awk '/Build ID/ { print $3 }')
check_fails "the shipped module is stripped" sh -c "readelf -S '$so' | grep -q '\.debug_info'"
check "its symbols are in the -dbgsym package" test -f \
	"$TMP/x/usr/lib/debug/.build-id/$(echo "$id" | cut -c1-2)/$(echo "$id" | cut -c3-).debug"

# ---- lintian: no tag at all, down to info and pedantic ones, but those
# overridden with their reason in debian/*.lintian-overrides.
# lintian runs as nobody, as it prefers: the packages are world-readable.
lint() { setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME=/nonexistent TMPDIR=/tmp lintian "$@"; }
lint -I --pedantic --fail-on error,warning,info,pedantic "$DEBS"/*.changes >"$TMP/lintian.log" 2>&1
rc=$?
sed 's/^/# lintian: /' "$TMP/lintian.log"
is "lintian passes (no error, warning, info or pedantic tag)" "$rc" 0
unlike "lintian prints no E:, W:, I: or P: line" "$(cat "$TMP/lintian.log")" "^[EWIP]: "
# The twin: lintian does find an error in a package that lacks its copyright.
mkdir "$TMP/broken"
dpkg-deb -R "$DEBS/apikey_${V}_$A.deb" "$TMP/broken/root"
rm "$TMP/broken/root/usr/share/doc/apikey/copyright"
dpkg-deb -b "$TMP/broken/root" "$TMP/broken/apikey_${V}_$A.deb" >/dev/null 2>&1
like "lintian reports an error in a broken copy (no copyright file)" \
	"$(lint "$TMP/broken/apikey_${V}_$A.deb" 2>&1)" "^E: apikey: no-copyright-file"

# ---- the disposable root
R="$TMP/root"
mkdir "$R"
cp "$TOP/tests/debian/inroot.sh" "$TMP/inroot.sh"
export DEBS V A M
unshare --mount --propagation private sh -ec '
	R=$1
	mount -t tmpfs -o mode=0755 apikey-test "$R"
	mkdir "$R/upper" "$R/work" "$R/merged"
	# What dpkg, useradd and pam-auth-update use is a copy taken now, in
	# directories marked opaque: this host changing its own (another
	# test'"'"'s useradd, an apt run) while the overlay is mounted cannot show
	# through, which the overlay filesystem leaves undefined.
	for d in etc var/lib/dpkg var/cache/debconf var/lib/pam; do
		mkdir -p "$R/upper/$d"
		cp -a "/$d/." "$R/upper/$d/"
		python3 -c "import os, sys; os.setxattr(sys.argv[1], \"trusted.overlay.opaque\", b\"y\")" "$R/upper/$d"
	done
	mount -t overlay overlay -o "lowerdir=/,upperdir=$R/upper,workdir=$R/work" "$R/merged"
	mount --rbind /dev "$R/merged/dev"
	mount -t proc proc "$R/merged/proc"
	mount --rbind /sys "$R/merged/sys"
	mount -t tmpfs tmpfs "$R/merged/run"
	# The tree (read-only) and this test'"'"'s files, wherever they live
	mkdir -p "$R/merged$TOP" "$R/merged$4"
	mount --bind "$TOP" "$R/merged$TOP"
	mount -o remount,bind,ro "$R/merged$TOP"
	mount --bind "$4" "$R/merged$4"
	exec chroot "$R/merged" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin TOP="$TOP" \
		DEBS="$DEBS" V="$V" A="$A" M="$M" N0="$2" sh "$3"
' sh "$R" "$_n" "$TMP/inroot.sh" "$TMP" >"$TMP/inroot.out" 2>&1
rc=$?
cat "$TMP/inroot.out"
ran=$(grep -Ec '^(not )?ok [0-9]+' "$TMP/inroot.out")
bad=$(grep -Ec '^not ok [0-9]+' "$TMP/inroot.out")
_n=$((_n + ran)) _failed=$((_failed + bad))
is "the checks in the disposable root ran to the end" "$rc/$(tail -1 "$TMP/inroot.out")" "0/# inroot: done"
check "this host has no apikey package" sh -c '! dpkg-query -W apikey libpam-apikey libsasl2-modules-apikey 2>/dev/null | grep -q .'
check_fails "this host's PAM stacks do not name pam_apikey" grep -rqs pam_apikey /etc/pam.d
done_testing
