#!/bin/sh
# Valgrind memcheck over the PAM module and the SASL plugin in-process,
# through the real libraries: 0 errors, 0 bytes definitely or indirectly
# lost, with valid and rejected keys. Long-lived servers (smtpd,
# memcached) authenticate thousands of times in one process.
. "$TOP/tests/lib.sh"
. "$TOP/tests/keyadm/cli.sh"
unsanitized "valgrind and ASan do not mix: the sanitizers check this build"
command -v valgrind >/dev/null || skip_all "valgrind not installed"
for b in pam_bench sasl_bench; do
	[ -x "$TOP/bench/$b" ] || { not_ok "bench/$b built"; done_testing; exit 1; }
done
new_store
chmod 755 "$TMP"
new_key "$TMP/k" alice >/dev/null
mkdir -p "$TMP/pam.d" "$TMP/sasl"
M="$TOP/pam_apikey/pam_apikey.so db=$DB"
printf 'auth required %s\naccount required %s\n' "$M" "$M" >"$TMP/pam.d/apikey"
cp "$TOP/sasl_apikey/libapikey.so" "$TMP/sasl/"
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
run_vg() { # name, expected exit, command...
	name=$1 want=$2
	shift 2
	valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
		"$@" >"$TMP/vg.out" 2>"$TMP/vg.err"
	is "$name: exit status (99 would be a memcheck finding)" "$?" "$want"
	like "$name: 0 errors" "$(cat "$TMP/vg.err")" 'ERROR SUMMARY: 0 errors'
	unlike "$name: nothing definitely or indirectly lost" "$(cat "$TMP/vg.err")" '(definitely|indirectly) lost: [1-9]'
}
run_vg "PAM, 300 valid new-handle transactions" 0 \
	"$TOP/bench/pam_bench" "$TMP/pam.d" apikey alice 300 new <"$TMP/k"
run_vg "PAM, 300 wrong-user transactions" 1 \
	"$TOP/bench/pam_bench" "$TMP/pam.d" apikey bob 300 new <"$TMP/k"
run_vg "SASL, 300 valid PLAIN exchanges" 0 \
	"$TOP/bench/sasl_bench" "$TMP/sasl" "/usr/lib/$ma/sasl2" alice 300 apikey_db="$DB" mech_list=PLAIN <"$TMP/k"
run_vg "SASL, 300 wrong-user PLAIN exchanges" 1 \
	"$TOP/bench/sasl_bench" "$TMP/sasl" "/usr/lib/$ma/sasl2" bob 300 apikey_db="$DB" mech_list=PLAIN <"$TMP/k"
ka revoke "$(cut -d_ -f2 "$TMP/k")" >/dev/null 2>&1
run_vg "PAM, 300 revoked-key transactions" 1 \
	"$TOP/bench/pam_bench" "$TMP/pam.d" apikey alice 300 new <"$TMP/k"
done_testing
