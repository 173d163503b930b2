#!/bin/sh
# keyadm list, show and failures over several events files, one per host
# (--events FILE, repeatable; keyadm(8) FLEET): a key's last use names the
# host it was on, the failures are grouped per source and host, and each
# file's rotated copies are read too. The negative twins: a missing file
# is one error naming it; a command that does not read events refuses the
# option; without --events nothing names a host.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"

new_store
EV=$TMP/keys.events
A=$(new_key "$TMP/a.key" alice)
R=$(new_key "$TMP/r.key" alice)
ka revoke "$R" >/dev/null 2>&1
# use WHO KEYFILE FROM: one recorded attempt, in the store's events file.
use() { ka verify "$1" --service sshd --from "$3" --record <"$2" >/dev/null 2>&1; }
use alice "$TMP/a.key" 192.0.2.1
use alice "$TMP/r.key" 192.0.2.1
mkdir -m 755 "$TMP/fleet"
mv "$EV" "$TMP/fleet/bastion.events"
: >"$EV"
sleep 0.01
use alice "$TMP/r.key" 192.0.2.9
use alice "$TMP/r.key" 192.0.2.9
mv "$EV" "$TMP/fleet/mail.events.1"
: >"$EV"
use alice "$TMP/a.key" 198.51.100.4
mv "$EV" "$TMP/fleet/mail.events"
: >"$EV"
F="--events $TMP/fleet/bastion.events --events $TMP/fleet/mail.events"

# shellcheck disable=SC2086 # the options' words
list=$(ka list alice $F 2>&1)
like "list: the last use of a key names its host (the later one)" "$(printf '%s\n' "$list" | grep "$A")" 'sshd 198\.51\.100\.4 on mail'
# shellcheck disable=SC2086
like "show: the same" "$(ka show "$A" $F 2>&1)" 'sshd 198\.51\.100\.4 on mail'
# shellcheck disable=SC2086
j=$(ka list alice --json $F 2>&1)
is "list --json: lastUsedHost" "$(json_get "$j" "[k['lastUsedHost'] for k in j if k['id'] == '$A'][0]")" mail
# shellcheck disable=SC2086
fl=$(ka failures $F 2>&1)
like "failures: the revoked key's attempts on the bastion" "$(printf '%s\n' "$fl" | grep "$R")" '192\.0\.2\.1@bastion +1 '
like "failures: ... and on the mail host (from its rotated copy)" "$(printf '%s\n' "$fl" | grep "$R")" '192\.0\.2\.9@mail +2 '
# shellcheck disable=SC2086
jf=$(ka failures --json $F 2>&1)
is "failures --json: one group per host" "$(json_get "$jf" "sorted(g['host'] for g in j if g['id'] == '$R')")" "['bastion', 'mail']"

unlike "without --events: no host named" "$(ka list alice 2>&1)" ' on (mail|bastion)'
out=$(ka list alice --events "$TMP/fleet/nosuch.events" 2>&1)
rc=$?
is "a missing events file: exit 1" "$rc" 1
like "... one error naming it" "$out" "nosuch\\.events: No such file or directory \\(--events\\)"
out=$(ka create bob --events "$TMP/fleet/mail.events" 2>&1)
is "create does not take --events (exit 2)" "$?" 2
like "... and says so" "$out" 'create does not take --events'
is "... and made no key" "$(ka list bob 2>&1 | grep -c bob)" 0
done_testing
