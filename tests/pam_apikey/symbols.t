#!/bin/sh
# The shipped shared objects export only their entry points: pam_sm_* for
# the PAM module, sasl_server_plug_init for the SASL plugin. Everything
# else (the core, libsodium linked in) stays hidden.
. "$TOP/tests/lib.sh"
exports() { nm -D --defined-only "$1" | awk '{print $3}' | sort | tr '\n' ' '; }
so="$TOP/pam_apikey/pam_apikey.so"
if [ -f "$so" ]; then
	is "pam_apikey.so exports only pam_sm_*" "$(exports "$so")" \
		"pam_sm_acct_mgmt pam_sm_authenticate pam_sm_chauthtok pam_sm_close_session pam_sm_open_session pam_sm_setcred "
	unlike "pam_apikey.so needs no shared libsodium" "$(ldd "$so")" libsodium
	like "pam_apikey.so is linked with -z now (full RELRO)" "$(readelf -d "$so")" 'BIND_NOW|FLAGS.*NOW'
else
	not_ok "pam_apikey.so is built"
fi
so="$TOP/sasl_apikey/libapikey.so"
if [ -f "$so" ]; then
	is "libapikey.so exports only sasl_server_plug_init" "$(exports "$so")" "sasl_server_plug_init "
	unlike "libapikey.so needs no shared libsodium" "$(ldd "$so")" libsodium
else
	skip "libapikey.so not built yet"
fi
done_testing
