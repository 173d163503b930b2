#!/bin/sh
# keyadm init --group and keyadm group: one command gives a service's
# group the directory, the store and the usage events file, never the
# writers' lock (root's, 0600), and keeps their modes. The negative twins: an unknown group, a caller who is
# not root, a symbolic link in the set, bad arguments: refused, nothing
# changed; the members of the group read and append, others do not.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"
[ "$(id -u)" -eq 0 ] || skip_all "needs root (groupadd, useradd, chgrp)"
for c in groupadd groupdel useradd userdel setpriv; do
	command -v "$c" >/dev/null 2>&1 || skip_all "needs $c"
done

G1=akg$$
G2=akh$$
U=akgu$$
O=akgo$$
at_exit "userdel $U >/dev/null 2>&1; userdel $O >/dev/null 2>&1; groupdel $G1 >/dev/null 2>&1; groupdel $G2 >/dev/null 2>&1"
groupadd "$G1"
groupadd "$G2"
useradd -M -N -g "$G2" -s /usr/sbin/nologin -d /nonexistent "$U"
useradd -M -N -s /usr/sbin/nologin -d /nonexistent "$O"
mkdir -m 755 "$TMP/srv"
DB="$TMP/srv/apikey/keys.db"
export APIKEY_DB="$DB"
D="$TMP/srv/apikey"
EV="$D/keys.events"
# layout: owner:group mode of the directory, store, writers' lock, events
layout() { stat -c '%U:%G %a' "$D" "$DB" "$DB.wlock" "$EV" | tr '\n' ' '; }
# as_member USER CMD...: USER with only its primary group
as_user() { _u=$1; shift; setpriv --reuid "$_u" --regid "$(id -g "$_u")" --clear-groups -- "$@"; }

ka init --group "$G1" 2>"$TMP/err"
is "init --group: exit 0" "$?" 0
is "init --group: every file, the documented modes" "$(layout)" \
	"root:$G1 750 root:$G1 640 root:root 600 root:$G1 660 "
ka create alice >"$TMP/a" 2>/dev/null
check "init --group: the store works" test "$(ka verify alice <"$TMP/a" 2>/dev/null)" = VALID

before=$(layout)
check_exit "group of an unknown name: 2" 2 q ka group nosuchgroup$$
like "unknown group: the message" "$(ka group nosuchgroup$$ 2>&1)" "no such group"
check_exit "group of an unknown number: 2" 2 q ka group 4000000
check_exit "group without GROUP: 2" 2 q ka group
check_exit "group with two: 2" 2 q ka group "$G1" "$G2"
check_exit "init --group of an unknown group: 2" 2 q ka --db "$TMP/other/keys.db" init --group nosuchgroup$$
check_fails "init --group of an unknown group: nothing made" test -e "$TMP/other"
mkdir -m 750 "$TMP/pre"
ln -s "$TMP/target0" "$TMP/pre/keys.events"
check_exit "init --group beside a symlinked events file: 1" 1 q ka --db "$TMP/pre/keys.db" init --group "$G2"
check_fails "init --group beside a symlinked events file: no store made" test -e "$TMP/pre/keys.db"
check_exit "group of a missing store: 1" 1 q ka --db "$TMP/none/keys.db" group "$G2"
check_fails "group of a missing store: nothing made" test -e "$TMP/none"
check_exit "not root: refused" 1 q as_user "$O" env APIKEY_DB="$DB" "$KEYADM" group "$G2"
is "refused: nothing changed" "$(layout)" "$before"

ka group "$G2" 2>"$TMP/err"
is "group: exit 0" "$?" 0
is "group: every file changes group, modes kept" "$(layout)" \
	"root:$G2 750 root:$G2 640 root:root 600 root:$G2 660 "
like "group: says what it did" "$(cat "$TMP/err")" "keys.events: group $G2"
check "a member of the group reads the store" as_user "$U" test -r "$DB"
check "a member of the group appends to the events" as_user "$U" sh -c "printf '' >>'$EV'"
check "a member reads the store through keyadm" test "$(as_user "$U" env APIKEY_DB="$DB" APIKEY_CONFIG="$APIKEY_CONFIG" "$KEYADM" verify alice <"$TMP/a" 2>/dev/null)" = VALID
check_fails "someone else cannot enter the directory" as_user "$O" test -r "$DB"
check "the store still works" test "$(ka verify alice <"$TMP/a" 2>/dev/null)" = VALID

# ---- a symbolic link where a file was: refused, nothing changed anywhere
: >"$TMP/target"
chgrp "$G1" "$TMP/target"
mv "$EV" "$TMP/events.real"
ln -s "$TMP/target" "$EV"
before=$(stat -c '%G' "$D" "$DB" "$DB.wlock" "$TMP/target" | tr '\n' ' ')
check_exit "a symlinked events file: refused" 1 q ka group "$G1"
is "a symlinked events file: nothing changed, not even its target" \
	"$(stat -c '%G' "$D" "$DB" "$DB.wlock" "$TMP/target" | tr '\n' ' ')" "$before"
rm "$EV"
mv "$TMP/events.real" "$EV"

# ---- a mode that does not let the group in: said, not changed
chmod 600 "$DB"
like "a store the group cannot read: warned" "$(ka group "$G1" 2>&1)" "keys.db: mode 0600 does not let the group read it"
is "the mode is the admin's" "$(stat -c %a "$DB")" 600
chmod 640 "$DB"

# ---- a missing events file is made; events none leaves it out
rm "$EV"
ka group "$G2" 2>/dev/null
is "a missing events file: made with the group, 0660" "$(stat -c '%G %a' "$EV")" "$G2 660"
printf 'events none\n' >"$TMP/none.conf"
ka --config "$TMP/none.conf" group "$G1" 2>/dev/null
is "events none: the events file is left alone" "$(stat -c '%G' "$DB" "$EV" | tr '\n' ' ')" "$G1 $G2 "

# ---- the docs give this command, not a chgrp recipe
unlike "no chgrp recipe in README, docs/, man pages" \
	"$(grep -n 'chgrp' "$TOP/README.md" "$TOP"/docs/*.md "$TOP"/man/*.[58])" .
done_testing
