#!/bin/sh
# make install honours DESTDIR and PREFIX and puts every shipped file in
# place with sane modes; make uninstall removes exactly what it put there.
. "$TOP/tests/lib.sh"
root="$TMP/root"
out=$(make -s -C "$TOP" install DESTDIR="$root" PREFIX=/usr 2>&1)
check "make install into DESTDIR succeeds" test $? -eq 0
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
for f in usr/sbin/keyadm:755 usr/share/man/man8/keyadm.8:644 usr/share/man/man5/apikey.conf.5:644 \
	"lib/$ma/security/pam_apikey.so:644" usr/share/man/man8/pam_apikey.8:644 \
	"usr/lib/$ma/sasl2/libapikey.so:644" usr/share/man/man8/sasl_apikey.8:644; do
	p=${f%:*} m=${f##*:}
	if [ -f "$root/$p" ]; then
		is "installed /$p mode $m" "$(stat -c %a "$root/$p")" "$m"
	else
		not_ok "installed /$p"
	fi
done
unlike "install into DESTDIR creates no system group" "$out" "created system group"
make -s -C "$TOP" uninstall DESTDIR="$root" PREFIX=/usr >/dev/null 2>&1
out=$(make -s -C "$TOP" install DESTDIR="$root" PREFIX=/usr SELF_SERVICE=1 2>&1)
is "SELF_SERVICE=1 installs keyadm setuid root" "$(stat -c %a:%U "$root/usr/sbin/keyadm")" 4755:root
make -s -C "$TOP" uninstall DESTDIR="$root" PREFIX=/usr >/dev/null 2>&1
check "make uninstall succeeds" test $? -eq 0
is "uninstall leaves no file behind" "$(find "$root" -type f | wc -l | tr -d ' ')" 0
done_testing
