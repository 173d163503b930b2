#!/bin/sh
# make demo: a store in a temporary directory, a key, authentication
# through keyadm, the real libpam and the real libsasl2, a revocation
# with a reason, the rejection everywhere, and the audit trail.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
keyadm="$top/keyadm/keyadm"
pam_so="$top/pam_apikey/pam_apikey.so"
sasl_so="$top/sasl_apikey/libapikey.so"
sasl_try="$top/tests/sasl_apikey/sasl-try"
dir=$(mktemp -d /tmp/apikey-demo.XXXXXX)
trap 'rm -rf "$dir"' EXIT
chmod 755 "$dir"
db="$dir/keys.db"
# the demo's own (empty) policy, whatever this machine's apikey.conf says
: >"$dir/apikey.conf"
export APIKEY_CONFIG="$dir/apikey.conf"
key="$dir/alice.key"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() {
	printf '$'
	for a in "$@"; do case "$a" in *" "*) printf " '%s'" "$a" ;; *) printf ' %s' "$a" ;; esac; done
	printf '\n'
	"$@"
}

say "a new key store"
run "$keyadm" --db "$db" init
ls -l "$dir" | sed 1d

say "a key for alice, for ssh and smtp; the key is printed once, on stdout"
printf '$ %s\n' "keyadm --db $db create alice --name laptop --service demo,smtp --expires 90d > alice.key"
"$keyadm" --db "$db" create alice --name laptop --service demo,smtp --expires 90d >"$key"
id=$(cut -d_ -f2 "$key")
echo "(key saved to $key; its id is $id)"
run "$keyadm" --db "$db" list

say "keyadm verify reads the key from stdin, never from argv"
printf '$ keyadm verify alice --service demo < alice.key\n'
"$keyadm" --db "$db" verify alice --service demo <"$key" || true
printf '$ keyadm verify bob --service demo < alice.key\n'
"$keyadm" --db "$db" verify bob --service demo <"$key" || true

pam_try() {
	LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$dir/pam.d" \
		pamtester -v demo alice authenticate acct_mgmt <"$key" 2>&1 | grep -v "^PWRAP" | sed 's/^/  /' || true
}
if [ -f "$pam_so" ] && command -v pamtester >/dev/null; then
	mkdir -p "$dir/pam.d"
	printf 'auth required pam_deny.so\naccount required pam_deny.so\n' >"$dir/pam.d/other"
	cat >"$dir/pam.d/demo" <<PAM
auth    required $pam_so db=$db
account required $pam_so db=$db
PAM
	say "the real libpam (pamtester, service 'demo', pam_apikey.so by absolute path)"
	pam_try
fi

sasl_try() {
	"$sasl_try" --plugins "$dir/sasl" --db "$db" --mech PLAIN --user alice \
		--service smtp --remote 127.0.0.1 <"$key" 2>&1 | grep -v "^log: \[5\]" | sed 's/^/  /' || true
}
if [ -f "$sasl_so" ] && [ -x "$sasl_try" ]; then
	mkdir -p "$dir/sasl"
	cp "$sasl_so" "$dir/sasl/"
	say "the real libsasl2 (client PLAIN against the server with libapikey.so)"
	sasl_try
fi

say "revoke the key, with a reason"
run "$keyadm" --db "$db" revoke "$id" --reason "laptop stolen"
say "revoking again is idempotent: the first time and reason stay"
run "$keyadm" --db "$db" revoke "$id" --reason "second try"
run "$keyadm" --db "$db" show "$id"

say "the very next authentication fails"
printf '$ keyadm verify alice --service demo < alice.key\n'
"$keyadm" --db "$db" verify alice --service demo <"$key" || true
[ -f "$pam_so" ] && command -v pamtester >/dev/null && { echo "libpam:"; pam_try; }
[ -f "$sasl_so" ] && [ -x "$sasl_try" ] && { echo "libsasl2:"; sasl_try; }

say "the audit trail (hash-chained)"
run "$keyadm" --db "$db" audit
run "$keyadm" --db "$db" audit --verify
run "$keyadm" --db "$db" check
echo "(keyadm also sent each change to syslog, authpriv.notice, tag keyadm: one line per audit entry)"
