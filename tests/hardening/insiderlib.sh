# Shared by tests/hardening/insiders.t and insiders_store.t (the
# insiders of the threat model): the actors, real users made for the
# test and removed at exit, and the store laid out as README says.
# Source it after tests/lib.sh, tests/keyadm/cli.sh and
# tests/pam_apikey/pamlib.sh.
PY=/usr/bin/python3 # the actors run it: not a python under /root

# as USER CMD...: CMD run by USER (real, effective and saved ids), with its
# own groups only and no variable of ours
as() {
	_u=$1
	shift
	env -u APIKEY_DB -u APIKEY_CONFIG setpriv --reuid "$_u" --regid "$(id -g "$_u")" \
		--init-groups -- "$@"
}
# as_bg USER CMD... &: the same, in the background, with $! the pid of CMD
as_bg() {
	_u=$1
	shift
	exec env -u APIKEY_DB -u APIKEY_CONFIG setpriv --reuid "$_u" --regid "$(id -g "$_u")" \
		--init-groups -- "$@"
}

# insiders_setup: the actors (GRP the store's group, SVC a service
# account in it, U and W two users), $A where they write their reports,
# and the store $DB in $ST: a directory 0750 and the store 0640 in the
# service's group, the events file 0660.
insiders_setup() {
	GRP=aksg$$ SVC=akss$$ U=aksu$$ W=aksw$$
	at_exit "userdel $SVC >/dev/null 2>&1; userdel $U >/dev/null 2>&1; userdel $W >/dev/null 2>&1; groupdel $GRP >/dev/null 2>&1"
	groupadd "$GRP"
	useradd -M -N -g "$GRP" -s /usr/sbin/nologin -d /nonexistent "$SVC"
	useradd -M -N -s /usr/sbin/nologin -d /nonexistent "$U"
	useradd -M -N -s /usr/sbin/nologin -d /nonexistent "$W"
	# where the actors write their reports
	A="$TMP/actors"
	mkdir -m 1777 "$A"

	# ---- the store as README says: a directory 0750 and the store 0640 in
	# the service's group, the events file 0660
	ST="$TMP/st"
	DB="$ST/keys.db"
	export APIKEY_DB="$DB"
	mkdir -m 0750 "$ST"
	ka init 2>/dev/null
	chgrp "$GRP" "$ST" "$DB" "$ST/keys.events"
	mkdir -p "$TMP/etc/apikey"
	printf 'self_service yes\nstore %s\n' "$DB" >"$TMP/etc/apikey/apikey.conf"
	chmod 644 "$TMP/etc/apikey/apikey.conf"
	check "the service account reads the store" as "$SVC" test -r "$DB"
}
