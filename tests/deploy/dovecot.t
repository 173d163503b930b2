#!/bin/sh
# shellcheck disable=SC2086 # key file lists split on purpose
# pam_apikey(8)'s Dovecot recipe, verbatim, on Debian's stock files: a
# private copy of /etc/dovecot (stock conf.d) and of /etc/pam.d/dovecot,
# changed only by the snippets pulled out of the man page's source
# (tests/deploy/snippet.sh). The test's own settings, in one extra file of
# the copy's conf.d: a private base_dir, state_dir and log, 127.0.0.1 and
# a free port, ssl = no (the package's certificate is made by its
# a free port, maildir homes. The real `dovecot -F -c COPY/dovecot.conf`
# runs in a private mount namespace (tests/pam_apikey/logns.sh) whose
# /etc/dovecot and /etc/pam.d/dovecot are the private copies, bound over
# them: the stock files' absolute paths (the certificate that the
# package's postinst would make, here a self-signed one in the copy) and
# the PAM service "dovecot" lead to the copies, and nothing outside sees a
# change. Clients: python's imaplib (tests/deploy/imap_login.py).
# Without the cache (the recipe): a valid key in; forged, another user's,
# revoked (while Dovecot runs), disabled, wrong-service keys and the real
# Unix password out; with nonkey=ignore the Unix password works again.
# With the cache as the recipe configures it: a revoked key stays alive
# without the hook (why it is needed), and is refused at once once the
# shipped hook conf/hooks.d/dovecot-auth-cache-flush has run from keyadm.
# The uses are in keyadm list; no secret in any log.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"
. "$TOP/tests/pam_apikey/pamlib.sh"
. "$TOP/tests/deploy/snippet.sh"
. "$TOP/tests/deploy/f2blib.sh"
. "$TOP/tests/deploy/dovecotlib.sh"
MAN="$TOP/man/pam_apikey.8"
HOOK="$TOP/conf/hooks.d/dovecot-auth-cache-flush"
need "pam_apikey.so is not built" test -f "$SO"
need "needs root (useradd, dovecot)" test "$(id -u)" -eq 0
need "dovecot-imapd is not installed" have dovecot doveadm doveconf useradd userdel chpasswd python3
need "no stock /etc/dovecot or /etc/pam.d/dovecot" test -f /etc/dovecot/dovecot.conf -a -f /etc/pam.d/dovecot
need "no dovenull or dovecot user" id dovenull
need "no private mount namespace here (unshare --mount)" logns_works
unsanitized "Dovecot starts its auth worker with a clean environment: libasan cannot be preloaded"
need "cannot start the syslog listener" start_syslog

new_user akdov
unix_password "$TMP/pw"
printf 'not-the-password\n' >"$TMP/wrong"

key_set
SD=$(new_key "$TMP/sd" "$U" --service dovecot)
B=$(new_key "$TMP/b" "someone.else")
C=$(new_key "$TMP/c" "$U")
C2=$(new_key "$TMP/c2" "$U")
forge "$TMP/a" "$TMP/forged"
KEYS="$TMP/a $TMP/a2 $TMP/r $TMP/d $TMP/s $TMP/sd $TMP/b $TMP/c $TMP/c2 $TMP/forged"
chmod 0600 $KEYS "$TMP/pw" "$TMP/wrong"
: "$D $S $B"

dv_copy
: >"$P/pam.dovecot"
check "the man page's keys-only snippet applies to the stock /etc/pam.d/dovecot" pam_recipe pam-keys
like "Debian's account and session includes stay" "$(grep -c -E '^@include common-(account|session)' "$P/pam.dovecot")" '^2$'

check "the stock configuration with the test's settings is valid" q in_dv doveconf -c "$P/etc/dovecot.conf" -n
is "as the recipe says, the authentication cache is off" "$(doveconf_h auth_cache_size)" 0
start_dovecot
granted "keys only: a valid key logs in" "$TMP/a"
granted "keys only: a key limited to the dovecot service logs in" "$TMP/sd"
denied "keys only: a forged key" "$TMP/forged"
denied "keys only: another user's key" "$TMP/b"
denied "keys only: a revoked key" "$TMP/r"
denied "keys only: a disabled key" "$TMP/d"
denied "keys only: a key for smtp only" "$TMP/s"
denied "keys only: the user's real Unix password" "$TMP/pw"
granted "a second key logs in" "$TMP/a2"
ka revoke "$A2" >/dev/null 2>&1
denied "revoked while Dovecot runs: refused at once" "$TMP/a2"

check "the man page's keys-or-password snippet applies" pam_recipe pam-either
granted "keys or password: the Unix password logs in" "$TMP/pw"
granted "keys or password: a valid key logs in" "$TMP/a"
denied "keys or password: a revoked key does not fall through to pam_unix" "$TMP/r"
denied "keys or password: a wrong Unix password" "$TMP/wrong"
list=$(ka list "$U" 2>&1)
like "keyadm list shows the key's last use by dovecot from the client's address" \
	"$(printf '%s\n' "$list" | grep "$A")" 'dovecot.*127\.0\.0\.[0-9]+'
stop_dovecot

# The cache, as the recipe configures it where it must stay on.
check "the man page's cache_key snippet applies to the stock auth-system.conf.ext" \
	snippet_apply "$MAN" dovecot-cache-key "$P/etc/conf.d/auth-system.conf.ext"
check "the man page's local.conf snippet creates local.conf" snippet_apply "$MAN" dovecot-cache-ttl "$P/etc"
is "the cache is on" "$(doveconf_h auth_cache_size)" "1 M"
check "keys only again" pam_recipe pam-keys
start_dovecot
granted "cache: a valid key logs in" "$TMP/c"
ev=$(wc -l <"$TMP/keys.events")
granted "cache: the same key again" "$TMP/c"
is "a cached login leaves no event (why the cache stays off)" "$(wc -l <"$TMP/keys.events")" "$ev"
ka revoke "$C" >/dev/null 2>&1
granted "cache, no hook: the revoked key still logs in from the cache" "$TMP/c"

# The shipped hook, run by keyadm, as root, in a namespace whose
# /etc/dovecot is the private copy (so the hook's doveconf finds its
# base_dir, as on a real host).
need "the change hook conf/hooks.d/dovecot-auth-cache-flush is not there" test -f "$HOOK"
mkdir -m 0755 "$TMP/hooks.d"
install -m 0755 "$HOOK" "$TMP/hooks.d/dovecot-auth-cache-flush"
printf 'hooks_dir %s\n' "$TMP/hooks.d" >"$TMP/hooks.conf"
granted "cache: another key logs in" "$TMP/c2"
granted "cache: and again, from the cache" "$TMP/c2"
APIKEY_CONFIG="$TMP/hooks.conf" in_dv "$KEYADM" revoke "$C2" >"$TMP/revoke.out" 2>&1
is "keyadm revoke with the hook succeeds" "$?" 0
unlike "the hook did not fail" "$(cat "$TMP/revoke.out")" 'hook'
cached_from=$SRC
denied "cache, hook: the revoked key is refused at once" "$TMP/c2"
SRC=$cached_from # the cache key holds the client's address
denied "cache, hook: the key revoked before it, of the same user and address, too" "$TMP/c"
granted "cache, hook: a valid key of that user still logs in" "$TMP/a"
stop_dovecot

for f in "$P/dovecot.log" "$P/dovecot.out" "$TMP/keys.events" "$SYSLOG"; do
	no_secret_in "$f" $KEYS "$TMP/pw"
done
like "the module's lines name the revocation" "$(logged)" \
	"pam_apikey\\(dovecot:auth\\): authentication failure; .* rhost=127\\.0\\.0\\.[0-9]+ +user=$U key=$A2 result=REVOKED\$"
# The shipped fail2ban filter over what this Dovecot logged.
if have fail2ban-regex && f2b_setup; then
	syslog_file "$TMP/auth.log"
	f2b_check "$TMP/auth.log" "Dovecot" '127\.0\.0\.[0-9]+'
else
	skip "fail2ban or the captured syslog is missing"
fi
done_testing
