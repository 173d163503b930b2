#!/bin/sh
# Run by tests/debian/packages.t inside the disposable root (an overlay of
# /, chroot): installs the packages built from this tree and checks that
# installing breaks nothing (a Unix password through a real sshd and the
# stock sshd PAM stack, a sasldb user through the real libsasl2), that keyadm and the
# store work, the pam-auth-update profile (keys and passwords log in, wrong
# passwords and revoked keys do not; --disable leaves no trace), the SASL
# plugin in the sasl2 directory (an application that did not opt in keeps
# its sasldb users, one that opts in as sasl_apikey(8) says takes keys),
# remove and purge. TAP lines numbered from $N0.
. "$TOP/tests/lib.sh"
. "$TOP/tests/deploy/snippet.sh"
_n=$N0
# The installed keyadm with its defaults: the store and the policy the
# package made, not the test store of lib.sh.
unset APIKEY_DB APIKEY_CONFIG
export DEBIAN_FRONTEND=noninteractive
# No daemon of the packages may start (there is none; this makes sure).
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
PKGS="apikey libpam-apikey libsasl2-modules-apikey"
deb() { echo "$DEBS/${1}_${V}_$A.deb"; }
SASLDIR=/usr/lib/$M/sasl2
TRY="$TOP/tests/sasl_apikey/sasl-try"

# ---- what is there before: a Unix user with a password, a sasldb user
U=akdeb$$
useradd -m -s /bin/sh "$U"
printf '%s:%s\n' "$U" "unix-pw-$$" | chpasswd
printf 'unix-pw-%s\n' "$$" >"$TMP/upw"
printf 'wrong-pw-%s\n' "$$" >"$TMP/wpw"
# pt NAME WANT INPUT [SERVICE]: pamtester, by default with Debian's own
# /etc/pam.d/sshd
pt() {
	if pamtester "${4:-sshd}" "$U" authenticate acct_mgmt <"$3" >"$TMP/pt.out" 2>&1; then got=ok; else got=fail; fi
	is "$1" "$got" "$2"
}
printf 'sasl-pw-%s' "$$" | saslpasswd2 -f "$TMP/sasldb" -p -c -u localhost carol
printf 'sasl-pw-%s\n' "$$" >"$TMP/spw"
SDB="--opt auxprop_plugin=sasldb --opt sasldb_path=$TMP/sasldb --opt pwcheck_method=auxprop"
# st NAME WANT PWFILE [OPTS]: one PLAIN exchange with the system's
# plugins, as an application with sasldb and no apikey_ option (one that
# did not opt in)
st() {
	_d=$1 _w=$2 _p=$3
	shift 3
	# shellcheck disable=SC2086 # option list
	"$TRY" --plugins "$SASLDIR" --db none --mech PLAIN --user carol \
		--service smtp --remote 127.0.0.1 $SDB "$@" <"$_p" >"$TMP/st.out" 2>"$TMP/st.err"
	like "$_d" "$(cat "$TMP/st.out")" "$_w"
}
# st_in NAME WANT PWFILE: the same application opted in, with the lines
# of sasl_apikey(8)'s smtpd.conf as its SASL options
snippet "$TOP/man/sasl_apikey.8" postfix-smtpd.conf >"$TMP/optin.conf"
st_in() {
	_a=$1 _b=$2 _c=$3
	set --
	while IFS= read -r _l; do set -- "$@" --opt "${_l%%:*}=${_l#*: }"; done <"$TMP/optin.conf"
	st "$_a" "$_b" "$_c" "$@"
}
# A real sshd with Debian's own PAM service file, its own host key and
# config on 127.0.0.1; it runs, unrestarted, through the whole test.
. "$TOP/tests/pam_apikey/pamlib.sh"
PORT=$(free_port)
sshd_conf "$TMP" "$PORT"
mkdir -m 0755 /run/sshd
/usr/sbin/sshd -D -e -f "$TMP/sshd_config" >"$TMP/sshd.log" 2>&1 &
SSHD_PID=$!
at_exit "kill $SSHD_PID"
wait_port "$PORT" || diag "sshd does not listen: $(head -5 "$TMP/sshd.log")"
# ssh_login NAME WANT FILE: one password login with the file's first line
ssh_login() {
	if sshpass -f "$3" ssh -p "$PORT" -F /dev/null -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o PubkeyAuthentication=no \
		-o PreferredAuthentications=password -o NumberOfPasswordPrompts=1 \
		-o ConnectTimeout=10 "$U@127.0.0.1" true </dev/null >"$TMP/ssh.out" 2>&1; then
		got=ok
	else
		got=fail
	fi
	is "$1" "$got" "$2"
}
have_try=0
[ -x "$TRY" ] && have_try=1
cp -a /etc/pam.d "$TMP/pam.d.before"
pt "before: the Unix password logs in (stock sshd stack)" ok "$TMP/upw"
pt "before: a wrong password does not" fail "$TMP/wpw"
ssh_login "before: the Unix password logs in to sshd" ok "$TMP/upw"
if [ "$have_try" = 1 ]; then
	st "before: the sasldb user logs in with stock PLAIN" "^SASL_OK user=carol .*plugin=plain" "$TMP/spw"
	st "before: a wrong sasldb password does not" "^SASL_BADAUTH" "$TMP/wpw"
else
	skip "tests/sasl_apikey/sasl-try is not built (make check builds it)"
fi

# ---- install every package
cp -a /etc "$TMP/etc.before"
dpkg -i "$(deb apikey)" "$(deb libpam-apikey)" "$(deb libsasl2-modules-apikey)" >"$TMP/dpkg.log" 2>&1
is "dpkg -i of the three packages succeeds" "$?" 0
for p in $PKGS; do dpkg -L "$p"; done | sort -u >"$TMP/own"
# etc_changes: what changed in /etc since $TMP/etc.before, but the
# packages' own files, the group files (the new group) and the shadow
# tools' lock and temporary files (this host's useradd, seen through the
# overlay while another test runs)
etc_changes() {
	diff -rq --no-dereference "$TMP/etc.before" /etc 2>&1 |
		sed -e 's|^Only in /etc\(.*\): \(.*\)$|/etc\1/\2|' \
			-e 's|^Files .* and \(/etc/.*\) differ$|\1|' \
			-e "s|^Only in $TMP/etc.before\\(.*\\): \\(.*\\)\$|removed /etc\\1/\\2|" |
		while read -r f; do
			case $f in /etc/group | /etc/gshadow | /etc/group- | /etc/gshadow- | /etc/*.lock | /etc/*+) continue ;; esac
			grep -qxF "$f" "$TMP/own" || echo "$f"
		done
}
changed=$(etc_changes)
is "installing changes nothing in /etc but the packages' files and /etc/group" "$changed" ""
sed 's/^/# dpkg: /' "$TMP/dpkg.log" | grep -v 'Reading database' | head -20
check "the system group apikey exists" sh -c "getent group apikey >/dev/null"
is "store directory: 0750 root:apikey" "$(stat -c '%a %U:%G' /var/lib/apikey)" "750 root:apikey"
is "store: 0640 root:apikey" "$(stat -c '%a %U:%G' /var/lib/apikey/keys.db)" "640 root:apikey"
is "writers' lock: 0600 root:root" "$(stat -c '%a %U:%G' /var/lib/apikey/keys.db.wlock)" "600 root:root"
check_fails "no lock of older versions" test -e /var/lib/apikey/keys.db.lock
is "events: 0660 root:apikey" "$(stat -c '%a %U:%G' /var/lib/apikey/keys.events)" "660 root:apikey"
check "keyadm check passes on the new store" keyadm check
check "keyadm accepts the shipped apikey.conf" sh -c "keyadm list >/dev/null"
check "/etc/pam.d is unchanged by the installation" diff -r "$TMP/pam.d.before" /etc/pam.d
check "the plugin is in the sasl2 directory" test -f "$SASLDIR/libapikey.so"
pt "after: the Unix password still logs in" ok "$TMP/upw"
pt "after: a wrong password still does not" fail "$TMP/wpw"
ssh_login "after: the Unix password still logs in to sshd" ok "$TMP/upw"
ssh_login "after: a wrong password does not log in to sshd" fail "$TMP/wpw"
if [ "$have_try" = 1 ]; then
	st "after: the sasldb user of an application that did not opt in still logs in (through our PLAIN)" \
		"^SASL_OK user=carol .*plugin=apikey$" "$TMP/spw"
	unlike "... and our plugin logs nothing of its own for it" "$(cat "$TMP/st.err")" "apikey:"
	st "after: a wrong sasldb password still does not" "^SASL_BADAUTH" "$TMP/wpw"
	keyadm create carol --service smtp >"$TMP/ckey" 2>"$TMP/ckey.err"
	CKID=$(sed -n 's/.*key \([A-Za-z0-9]*\) for .*/\1/p' "$TMP/ckey.err")
	st "after: carol's key does not log in where the application did not opt in" "^SASL_BADAUTH" "$TMP/ckey"
fi

# ---- keyadm, and a reinstallation that must not touch the store
keyadm create "$U" --name deb --service sshd >"$TMP/key" 2>"$TMP/create.err"
check "keyadm create makes a key" test -s "$TMP/key"
KID=$(sed -n 's/.*key \([A-Za-z0-9]*\) for .*/\1/p' "$TMP/create.err")
# Self-service as keyadm(8) says for the package: setuid by statoverride,
# the store in its 0750 root:apikey directory, which the user cannot search;
# the user finds keyadm on a login PATH (no sbin) through /usr/bin/keyadm.
is "/usr/bin/keyadm links to ../sbin/keyadm" "$(readlink /usr/bin/keyadm)" ../sbin/keyadm
is "a user's login PATH finds keyadm" "$(runuser -l "$U" -c 'command -v keyadm' 2>&1)" /usr/bin/keyadm
like "not setuid as shipped, the user cannot read the store" \
	"$(runuser -l "$U" -c 'keyadm list' 2>&1)" "Permission denied|not allowed|refused"
dpkg-statoverride --update --add root root 4755 /usr/sbin/keyadm
is "the statoverride makes keyadm setuid root at once" "$(stat -c '%a %U' /usr/sbin/keyadm)" "4755 root"
runuser -l "$U" -c "keyadm create $U --name off" >"$TMP/offkey" 2>"$TMP/off.err"
check_fails "setuid, but self_service off (as shipped): the user makes no key" test -s "$TMP/offkey"
like "... and is told self-service is off" "$(cat "$TMP/off.err")" "self-service is not enabled"
keyadm create root --name rootk >/dev/null 2>"$TMP/rootk.err"
RKID=$(sed -n 's/.*key \([A-Za-z0-9]*\) for .*/\1/p' "$TMP/rootk.err")
cp -p /etc/apikey/apikey.conf "$TMP/apikey.conf.orig"
echo "self_service yes" >>/etc/apikey/apikey.conf
like "self-service: the user lists keys (their own)" "$(runuser -l "$U" -c 'keyadm list' 2>&1)" "^ID +OWNER"
runuser -l "$U" -c "keyadm create $U --name self" >"$TMP/selfkey" 2>"$TMP/self.err"
check "self-service: the user makes a key of their own" test -s "$TMP/selfkey" ||
	sed 's/^/# self-service create: /' "$TMP/self.err"
like "self-service: ... and sees it" "$(runuser -l "$U" -c 'keyadm list' 2>&1)" " self "
SKID=$(sed -n 's/.*key \([A-Za-z0-9]*\) for .*/\1/p' "$TMP/self.err")
like "self-service: the audit trail names the user as owner and actor" "$(keyadm audit 2>&1)" "create +$SKID +$U +$U"
runuser -l "$U" -c "keyadm revoke $SKID --reason test" >/dev/null 2>&1
like "self-service: the user revokes it" "$(keyadm show "$SKID" 2>&1)" "state: +revoked"
is "self-service writes leave the store 0640 root:apikey" "$(stat -c '%a %U:%G' /var/lib/apikey/keys.db)" "640 root:apikey"
is "... the directory 0750 root:apikey" "$(stat -c '%a %U:%G' /var/lib/apikey)" "750 root:apikey"
is "... the writers' lock 0600 root:root" "$(stat -c '%a %U:%G' /var/lib/apikey/keys.db.wlock)" "600 root:root"
is "... the events 0660 root:apikey" "$(stat -c '%a %U:%G' /var/lib/apikey/keys.events)" "660 root:apikey"
check_fails "self-service: ... and none for root" sh -c "runuser -l '$U' -c 'keyadm create root' >/dev/null 2>&1"
check_fails "self-service: ... nor revokes root's (id unknown to them)" \
	sh -c "runuser -l '$U' -c 'keyadm revoke $RKID --reason test' >/dev/null 2>&1"
like "... which stays active" "$(keyadm show "$RKID" 2>&1)" "state: +active"
dpkg -i "$(deb apikey)" >/dev/null 2>&1
is "self-service: a reinstallation keeps keyadm setuid" "$(stat -c %a /usr/sbin/keyadm)" 4755
dpkg-statoverride --remove /usr/sbin/keyadm
chmod 0755 /usr/sbin/keyadm
cp -p "$TMP/apikey.conf.orig" /etc/apikey/apikey.conf
like "without the statoverride, the user cannot read the store" \
	"$(runuser -l "$U" -c 'keyadm list' 2>&1)" "Permission denied|not allowed|refused"
sum=$(sha256sum </var/lib/apikey/keys.db)
dpkg -i "$(deb apikey)" >/dev/null 2>&1
is "reinstalling apikey succeeds" "$?" 0
is "... and leaves the store as it was" "$(sha256sum </var/lib/apikey/keys.db)" "$sum"

# ---- the pam-auth-update profile
pam-auth-update --enable apikey
is "enabled: the change in /etc is common-auth's" "$(etc_changes)" /etc/pam.d/common-auth
like "enabled: common-auth names pam_apikey above pam_unix" "$(grep -v '^#' /etc/pam.d/common-auth | grep -E 'pam_(apikey|unix)' | tr '\n' ' ')" \
	"pam_apikey.so nonkey=ignore.*pam_unix.so"
check "enabled: common-account is as before" cmp -s "$TMP/pam.d.before/common-account" /etc/pam.d/common-account
like "enabled: the enabled profiles (debconf) name apikey" \
	"$(echo 'get libpam-runtime/profiles' | debconf-communicate libpam-runtime 2>&1)" apikey
dpkg -i "$(deb libpam-apikey)" >/dev/null 2>&1
check "enabled: an upgrade (reinstallation) of libpam-apikey keeps it enabled" \
	grep -q pam_apikey /etc/pam.d/common-auth
pt "enabled: the key logs in" ok "$TMP/key"
ssh_login "enabled: the key logs in to sshd" ok "$TMP/key"
ssh_login "enabled: the Unix password still logs in to sshd" ok "$TMP/upw"
pt "enabled: the Unix password still logs in" ok "$TMP/upw"
pt "enabled: a wrong password does not" fail "$TMP/wpw"
keyadm create root --service sshd >"$TMP/rootkey" 2>/dev/null
pt "enabled: another user's key does not" fail "$TMP/rootkey"
keyadm revoke "$KID" --reason test >/dev/null 2>&1
pt "enabled: the revoked key does not" fail "$TMP/key"
ssh_login "enabled: the revoked key does not log in to sshd" fail "$TMP/key"
# A user whose name pam_apikey refuses (it fails before it looks at the
# password) keeps their Unix password: the profile's failures fall through.
W="ak+deb$$"
if useradd -M -s /bin/sh "$W" 2>/dev/null || useradd --badname -M -s /bin/sh "$W" 2>/dev/null; then
	printf '%s:%s\n' "$W" "unix-pw-$$" | chpasswd
	if pamtester sshd "$W" authenticate acct_mgmt <"$TMP/upw" >"$TMP/pt.out" 2>&1; then got=ok; else got=fail; fi
	is "enabled: a user named $W (no key can be theirs) logs in with the Unix password" "$got" ok
	if pamtester sshd "$W" authenticate <"$TMP/wpw" >"$TMP/pt.out" 2>&1; then got=ok; else got=fail; fi
	is "... and not with a wrong one" "$got" fail
	userdel "$W"
else
	skip "useradd refuses the name $W"
fi
# A service with pam_apikey lines of its own (service=imap, as pam_apikey(8)
# shows for Dovecot) that includes the common stacks keeps taking its keys.
cat >/etc/pam.d/akimap <<PAM
auth    [success=done ignore=ignore default=die] pam_apikey.so service=imap nonkey=ignore
@include common-auth
account required pam_apikey.so service=imap
@include common-account
PAM
keyadm create "$U" --service imap >"$TMP/imapkey" 2>/dev/null
pt "enabled: a service's own service=imap lines still accept an imap key" ok "$TMP/imapkey" akimap
pt "... and the Unix password there" ok "$TMP/upw" akimap
pt "... and a wrong password not" fail "$TMP/wpw" akimap
pt "enabled: the imap key does not log in to sshd" fail "$TMP/imapkey"
rm /etc/pam.d/akimap
pam-auth-update --disable apikey
check_fails "disabled: no PAM file names pam_apikey" grep -rq pam_apikey /etc/pam.d
check "disabled: /etc/pam.d is as before the installation" diff -r "$TMP/pam.d.before" /etc/pam.d
pt "disabled: the Unix password logs in" ok "$TMP/upw"

# ---- an application that opts in, as sasl_apikey(8) says
if [ "$have_try" = 1 ]; then
	like "the page's smtpd.conf opts in with apikey_db" "$(cat "$TMP/optin.conf")" "^apikey_db: /var/lib/apikey/keys.db$"
	keyadm create root --service smtp >"$TMP/rootsmtp" 2>/dev/null
	st_in "opted in: carol's key logs in through our plugin" "^SASL_OK user=carol .*plugin=apikey$" "$TMP/ckey"
	st_in "opted in: the sasldb password is no key (no apikey_fallback)" "^SASL_BADAUTH" "$TMP/spw"
	st_in "opted in: another user's key does not" "^SASL_BADAUTH" "$TMP/rootsmtp"
	keyadm revoke "$CKID" --reason test >/dev/null 2>&1
	st_in "opted in: the revoked key does not" "^SASL_BADAUTH" "$TMP/ckey"
	like "... and the plugin says why" "$(cat "$TMP/st.err")" "result=REVOKED"
	st "not opted in: the sasldb user still logs in" "^SASL_OK user=carol" "$TMP/spw"
fi

# ---- remove libpam-apikey while its profile is enabled: no PAM line left
pam-auth-update --enable apikey
dpkg -r libpam-apikey >/dev/null 2>&1
is "dpkg -r libpam-apikey succeeds" "$?" 0
check_fails "removed: no PAM file names pam_apikey" grep -rq pam_apikey /etc/pam.d
pt "removed: the Unix password logs in" ok "$TMP/upw"

# ---- purge: no file of the packages is left, but the store with keys
for p in $PKGS; do dpkg -L "$p" 2>/dev/null; done | sort -u >"$TMP/files"
dpkg -r apikey >/dev/null 2>&1
check "removed: the store stays" test -f /var/lib/apikey/keys.db
# shellcheck disable=SC2086 # a list of names
dpkg --purge $PKGS >"$TMP/purge.log" 2>&1
is "dpkg --purge succeeds" "$?" 0
left=""
while read -r f; do
	[ -d "$f" ] && [ ! -L "$f" ] && continue # shared directories stay
	[ -e "$f" ] || [ -L "$f" ] && left="$left $f"
done <"$TMP/files"
is "purged: no file of the packages is left" "$left" ""
for d in /etc/apikey /usr/share/doc/apikey /usr/share/doc/libpam-apikey; do
	check_fails "purged: $d is gone" test -e "$d"
done
check_fails "purged: the plugin is gone from the sasl2 directory" test -e "$SASLDIR/libapikey.so"
if [ "$have_try" = 1 ]; then
	st "purged: the sasldb user logs in with stock PLAIN" "^SASL_OK user=carol .*plugin=plain" "$TMP/spw"
fi
check_fails "purged: no PAM file names pam_apikey" grep -rq pam_apikey /etc/pam.d
check "purged: /etc/pam.d is as before the installation" diff -r "$TMP/pam.d.before" /etc/pam.d
check_fails "purged: pam-auth-update's state (/var/lib/pam) names apikey no more" grep -rqw apikey /var/lib/pam
unlike "purged: the enabled profiles (debconf) do not name apikey" \
	"$(echo 'get libpam-runtime/profiles' | debconf-communicate libpam-runtime 2>&1)" apikey
check "purged: the store that held keys is kept" test -f /var/lib/apikey/keys.db
like "purge says it kept the store" "$(cat "$TMP/purge.log")" "kept /var/lib/apikey/keys.db"
check "purged: the group apikey is kept (documented)" sh -c "getent group apikey >/dev/null"
pt "purged: the Unix password logs in" ok "$TMP/upw"

# ---- a new installation finds the kept store and uses it unchanged
dpkg -i "$(deb apikey)" >/dev/null 2>&1
like "reinstalled: the kept store and its keys are there" "$(keyadm list 2>&1)" "$KID"
# ---- the twin: a store nobody used is removed by purge
dpkg --purge apikey >/dev/null 2>&1
rm -rf /var/lib/apikey
dpkg -i "$(deb apikey)" >/dev/null 2>&1
check "a fresh installation makes a new store" test -f /var/lib/apikey/keys.db
dpkg --purge apikey >/dev/null 2>&1
check_fails "purged: an unused store and its directory are gone" test -e /var/lib/apikey
dpkg -i "$(deb apikey)" >/dev/null 2>&1
rm /var/lib/apikey/keys.db
dpkg --purge apikey >/dev/null 2>&1
check_fails "purged after the admin deleted the store: its lock, events and directory are gone" \
	test -e /var/lib/apikey

# ---- a store that was there before the first installation (keyadm from
# the source tree) is neither touched nor removed by purge
"$TOP/keyadm/keyadm" --db /var/lib/apikey/keys.db init >/dev/null 2>&1
"$TOP/keyadm/keyadm" --db /var/lib/apikey/keys.db create "$U" >/dev/null 2>&1
sum=$(sha256sum </var/lib/apikey/keys.db)
dpkg -i "$(deb apikey)" >/dev/null 2>&1
is "first installation over an existing store: untouched" "$(sha256sum </var/lib/apikey/keys.db)" "$sum"
dpkg --purge apikey >/dev/null 2>&1
is "... and purge keeps it" "$(sha256sum </var/lib/apikey/keys.db 2>&1)" "$sum"
rm -rf /var/lib/apikey

is "sshd ran through it all without a restart" "$(cat "$TMP/sshd.pid")" "$SSHD_PID"
kill "$SSHD_PID"
userdel -r "$U" 2>/dev/null
rm -f /usr/sbin/policy-rc.d
echo "# inroot: done"
