#!/bin/sh
# shellcheck disable=SC2034,SC2086 # ids kept for reference; option lists split on purpose
# sasl_apikey(8) "saslauthd" and "Postfix through saslauthd", verbatim from
# the man page: Debian's own /etc/default/saslauthd (a private copy, from
# the package) with -c removed as the page says, saslauthd started the way
# Debian's start script does (-a $MECHANISMS $OPTIONS -n $THREADS) under
# pam_wrapper with pam_apikey in the page's PAM lines; testsaslauthd, then a
# Postfix from Debian's own main.cf and master.cf (smtpd chrooted: y) whose
# SASL configuration has no apikey_ option, with our plugin installed beside
# the stock ones, reaching saslauthd's socket inside its chroot.
[ -n "${DEPLOY_NS:-}" ] || exec env DEPLOY_NS=1 unshare --mount --propagation private "$0"
. "$(dirname "$0")/deploylib.sh"

need "saslauthd or testsaslauthd is not installed" have saslauthd testsaslauthd
need "pam_apikey/pam_apikey.so is not built" test -f "$SO"
need "pam_wrapper is not installed" test -f "$PWRAP_LIB"
need_postfix
need "there is no group sasl" getent group sasl

need_snippet NO_CACHE saslauthd-no-cache
need_snippet PF_OPTIONS saslauthd-postfix-options
need_snippet PF_DIR saslauthd-postfix-dir
need_snippet MAIN postfix-main.cf

# Debian's file as the package ships it (the .deb in apt's cache when it is
# there, else the installed conffile).
mkdir -p "$TMP/default"
deb=$(ls /var/cache/apt/archives/sasl2-bin_*.deb 2>/dev/null | tail -n 1)
if [ -z "$deb" ] || ! dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./etc/default/saslauthd \
	>"$TMP/default/saslauthd" 2>/dev/null || [ ! -s "$TMP/default/saslauthd" ]; then
	cp /etc/default/saslauthd "$TMP/default/saslauthd"
fi
cp "$TMP/default/saslauthd" "$TMP/default/saslauthd.stock"
like "Debian's file caches credentials (-c)" "$(grep '^OPTIONS=' "$TMP/default/saslauthd")" '^OPTIONS="-c '

deploy_store
keyset "alice$$" smtp imap
# The page's PAM lines, for the services the clients name, with this
# build's module and store.
mkdir -p "$PAMD"
check "the page's /etc/pam.d/smtp is created" snippet_apply "$MAN_SASL" saslauthd-pam "$PAMD"
pam_localize "$PAMD/smtp"
cp "$PAMD/smtp" "$PAMD/imap"

# ---- saslauthd alone (sasl_checkpass users), -c removed as the page says.
printf '%s\n' "$NO_CACHE" | here >"$TMP/no-cache.sh"
check "the page's sed applies" sh "$TMP/no-cache.sh"
unlike "OPTIONS has no -c now" "$(grep '^OPTIONS=' "$TMP/default/saslauthd")" '-c( |")'
like "OPTIONS keeps Debian's -m" "$(grep '^OPTIONS=' "$TMP/default/saslauthd")" '-m /var/run/saslauthd"'
# Debian's start script creates the -m directory root:sasl 0710.
RUN="$TMP/run/saslauthd"
mkdir -p "$RUN" && chown root:sasl "$RUN" && chmod 0710 "$RUN"
sa_start "$TMP/default/saslauthd" "$RUN"

# tsa KEYFILE USER SERVICE: testsaslauthd (the key on its argv: throwaway
# test keys only); output kept in $TMP/tsa.out.
tsa() {
	testsaslauthd -f "$RUN/mux" -s "$3" -u "$2" -p "$(cat "$1")" >"$TMP/tsa.out" 2>&1
}
passes() { login_in "$(basename "$1") as $2 on $3" "$TMP/tsa.out" '^0: OK "Success."' tsa "$@"; }
fails() { login_out "$(basename "$1") as $2 on $3" "$TMP/tsa.out" '^0: NO "authentication failed"' tsa "$@"; }
passes "$TMP/k.valid" "alice$$" smtp
passes "$TMP/k.valid2" "alice$$" imap
for k in forged other revoked disabled expired wrongsvc password; do
	fails "$TMP/k.$k" "alice$$" smtp
done
fails "$TMP/k.valid" "bob$$" smtp
# Revoked while saslauthd runs: refused at once (no cache).
ka revoke "$K_valid2" >/dev/null 2>&1
fails "$TMP/k.valid2" "alice$$" imap
used_in_list "$K_valid"
sa_stop

# Negative twin: Debian's OPTIONS with -c keep a revoked key working.
V=$(new_key "$TMP/k.cached" "alice$$")
sa_start "$TMP/default/saslauthd.stock" "$RUN"
passes "$TMP/k.cached" "alice$$" imap
ka revoke "$V" >/dev/null 2>&1
tsa "$TMP/k.cached" "alice$$" imap
like "with Debian's -c a revoked key still passes (why the page removes it)" "$(cat "$TMP/tsa.out")" '^0: OK'
sa_stop

# ---- Postfix through saslauthd: the page's OPTIONS and run directory.
printf '%s\n' "$PF_OPTIONS" | here >"$TMP/pf-options.sh"
check "the page's Postfix OPTIONS apply" sh "$TMP/pf-options.sh"
like "OPTIONS puts the socket in Postfix's chroot, without -c" "$(grep '^OPTIONS=' "$TMP/default/saslauthd")" \
	"^OPTIONS=\"-m $Q/var/run/saslauthd\"\$"
# dpkg-statoverride --add OWNER GROUP MODE DIR: what Debian's start script
# then makes of the directory.
set -- $(printf '%s\n' "$PF_DIR" | here)
is "the page's run directory line is a dpkg-statoverride --add" "$1 $2" "dpkg-statoverride --add"
PFRUN=$6
mkdir -p "$PFRUN" && chown "$3:$4" "$PFRUN" && chmod "$5" "$PFRUN"
is "the run directory is inside the chroot" "$PFRUN" "$Q/var/run/saslauthd"
sa_start "$TMP/default/saslauthd" "$PFRUN"

pf_stock
check "the page's smtpd.conf is created" apply_here postfix-saslauthd.conf "$PF/conf/sasl"
unlike "the smtpd.conf of this route has no apikey_ option" "$(cat "$PF/conf/sasl/smtpd.conf")" apikey_
printf '%s\n' "$MAIN" | sed "s|^postconf |postconf -c '$PF/conf' |" >"$TMP/main.sh"
check "the page's postconf command applies" sh "$TMP/main.sh"
is "smtp runs chrooted, as Debian ships it" "$(pf_chroot_is_y "127.0.0.1:$PORT")" y
check "our plugin is installed beside the stock ones" test -f "$TMP/sasl-plugins/libapikey.so" -a -f "$TMP/sasl-plugins/libplain.so"
pf_start || {
	done_testing
	exit 1
}
K_valid2=$(new_key "$TMP/k.valid2" "alice$$")
smtp_keyset "$PORT" "alice$$"
sleep 1
unlike "the plugin stayed out of the way (no apikey line in the mail log)" "$(cat "$PF/maillog")" "apikey:"
# shellcheck disable=SC2086 # the key files are words
no_secret_in "$PF/maillog" $KEYFILES
# shellcheck disable=SC2086
no_secret_in "$TMP/saslauthd.log" $KEYFILES
# shellcheck disable=SC2086
no_secret_in "$STORE/keys.events" $KEYFILES

# Negative twin: Debian's default root:sasl 0710 with postfix in group sasl
# (adduser postfix sasl, in a copy of /etc/group seen only here): smtpd
# keeps only its primary group and cannot reach the socket.
cp /etc/group "$TMP/group"
sed -i 's/^\(sasl:[^:]*:[0-9]*:\)\(.*\)$/\1\2,postfix/; s/^\(sasl:[^:]*:[0-9]*:\),postfix$/\1postfix/' "$TMP/group"
mount --bind "$TMP/group" /etc/group
like "postfix is in group sasl here" "$(id -Gn postfix)" "sasl"
chown root:sasl "$PFRUN"
refused "$PORT" "$TMP/k.valid" PLAIN "alice$$" 454
check "smtpd could not reach saslauthd" grep -q "cannot connect to saslauthd server: Permission denied" "$PF/maillog"
umount /etc/group
done_testing
