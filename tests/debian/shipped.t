#!/bin/sh
# The files the packages ship from conf/: the logrotate file is the man
# page's snippet, the example apikey.conf names every setting of
# apikey.conf(5) with a value keyadm accepts, the pam-auth-update profile
# is off by default and adds only auth, and the bash
# completion completes commands, options and (for root) key ids.
. "$(dirname "$0")/../lib.sh"
C="$TOP/conf"

# logrotate: exactly the snippet of keyadm(8) FILES
awk '/^\.Bd -literal/ { inb = 1; buf = ""; next }
	/^\.Ed/ { if (buf ~ /keys\.events \{/) printf "%s", buf; inb = 0; next }
	inb { buf = buf $0 "\n" }' "$TOP/man/keyadm.8" >"$TMP/snippet"
check "the man page has a logrotate snippet" test -s "$TMP/snippet"
check "conf/logrotate.d/apikey is the snippet of keyadm(8)" cmp -s "$TMP/snippet" "$C/logrotate.d/apikey"

# apikey.conf: every setting, commented out, with a valid value
"$KEYADM" init >/dev/null 2>&1
install -m 0644 "$C/apikey.conf" "$TMP/shipped.conf"
check "keyadm accepts the shipped apikey.conf" sh -c "'$KEYADM' --config '$TMP/shipped.conf' list >/dev/null"
settings=$(sed -n 's/^\.It Cm \([a-z_]*\).*/\1/p' "$TOP/man/apikey.conf.5")
missing=""
for s in $settings; do
	grep -q "^#$s " "$C/apikey.conf" || missing="$missing $s"
done
is "every setting of apikey.conf(5) is in the example, commented out" "$missing" ""
unlike "no setting is active as shipped" "$(grep -v '^#' "$C/apikey.conf" | grep -v '^$')" "."
# Uncommented, every line of a setting apikey.conf(5) documents is valid
# (the store setting pointed at the test store, the events file beside
# it, the hooks in a directory of the test). The example may name a
# setting ahead of the man page (hooks_dir).
: >"$TMP/on.conf"
for n in $(sed -n 's/^#\([a-z_][a-z_]*\) [^ ]*$/\1/p' "$C/apikey.conf"); do
	if echo "$settings" | grep -qx "$n"; then
		sed -n "s/^#\\($n [^ ]*\\)\$/\\1/p" "$C/apikey.conf" >>"$TMP/on.conf"
	else
		diag "the example names $n, which apikey.conf(5) does not document yet"
	fi
done
mkdir -m 0755 "$TMP/hooks.d"
sed -i "s|^store .*|store $DB|; s|^events .*|events $TMP/keys.events|; s|^hooks_dir .*|hooks_dir $TMP/hooks.d|" \
	"$TMP/on.conf"
chmod 0644 "$TMP/on.conf"
is "uncommented, each documented setting once" "$(wc -l <"$TMP/on.conf" | tr -d ' ')" "$(echo "$settings" | wc -w | tr -d ' ')"
check "uncommented, keyadm accepts every value" sh -c "'$KEYADM' --config '$TMP/on.conf' list >/dev/null"
# The twin: a setting keyadm does not know is refused, so the file was read.
{ cat "$TMP/on.conf"; echo "no_such_setting 1"; } >"$TMP/bad.conf"
chmod 0644 "$TMP/bad.conf"
check_fails "an unknown setting is refused (the file is really read)" \
	sh -c "'$KEYADM' --config '$TMP/bad.conf' list >/dev/null 2>&1"

# the pam-auth-update profile
P="$C/pam-configs/apikey"
like "profile: not enabled by default" "$(cat "$P")" "^Default: no$"
like "profile: auth above pam_unix (priority 256)" "$(sed -n 's/^Priority: //p' "$P")" "^(2[6-9][0-9]|[3-9][0-9][0-9])$"
like "profile: auth hands anything but a valid key on to pam_unix" "$(cat "$P")" \
	"\[success=end default=ignore\][[:space:]]+pam_apikey.so nonkey=ignore"
like "profile: a password a service's own lines read is not asked for again" "$(cat "$P")" \
	"pam_apikey.so nonkey=ignore try_first_pass$"
unlike "profile: no account, session or password part" "$(cat "$P")" "^(Account|Session|Password)"

# bash completion
if [ -f /usr/share/bash-completion/bash_completion ] && command -v bash >/dev/null; then
	"$KEYADM" create alice >/dev/null 2>"$TMP/c.err"
	ID=$(sed -n 's/.*key \([A-Za-z0-9]*\) for .*/\1/p' "$TMP/c.err")
	# comp WORD...: what completing the last word offers, one line
	comp() {
		PATH="$TOP/keyadm:$PATH" bash -c '
			. /usr/share/bash-completion/bash_completion
			. "$0"
			COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
			COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
			_keyadm keyadm "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
			printf "%s " "${COMPREPLY[@]}"' "$C/bash-completion/keyadm" "$@"
	}
	is "completion: commands" "$(comp keyadm r)" "revoke rotate "
	is "completion: a command's options" "$(comp keyadm revoke --)" "--user --key --reason --json --help "
	is "completion: states" "$(comp keyadm list --state d)" "disabled "
	is "completion: the fleet commands" "$(comp keyadm p)" "purge publish promote "
	is "completion: install's options" "$(comp keyadm install --)" "--trust --check --json --help "
	is "completion: root gets the key ids" "$(comp keyadm --db "$DB" show "")" "$ID "
	nob=$(PATH="$TOP/keyadm:$PATH" setpriv --reuid=nobody --regid=nogroup --clear-groups bash -c '
		. /usr/share/bash-completion/bash_completion
		. "$0"
		COMP_WORDS=(keyadm --db "$1" show ""); COMP_CWORD=4
		COMP_LINE="keyadm --db $1 show "; COMP_POINT=${#COMP_LINE}
		_keyadm keyadm "" show
		echo "${COMPREPLY[*]}"' "$C/bash-completion/keyadm" "$DB" 2>&1)
	is "completion: other users get no key ids" "$nob" ""
else
	skip "bash-completion is not installed (make check installs it)"
fi
done_testing
