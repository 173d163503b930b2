#!/bin/sh
# The shipped shared objects export only their entry points: pam_sm_* for
# the PAM module, sasl_server_plug_init for the SASL plugin. Everything
# else (the core, libsodium linked in) stays hidden. And what they import:
# the store is read, never written, by a front end, so neither imports a
# GDBM write function (the core archive keeps them out of the objects the
# front ends pull in); the twin is keyadm, the writer, caught by the same
# check.
. "$TOP/tests/lib.sh"
exports() { nm -D --defined-only "$1" | awk '{print $3}' | sort | tr '\n' ' '; }
GDBM_WRITES='^gdbm_(store|delete|sync|reorganize|import|load|recover|convert|failure_atomic|setopt)$'
GDBM_READS='^gdbm_(close|errno_location|fd_open|fdesc|fetch|firstkey|nextkey|strerror)$'
gdbm_writes() { nm -D --undefined-only "$1" | awk '{print $2}' | grep -E "$GDBM_WRITES" | tr '\n' ' '; }
gdbm_others() {
	nm -D --undefined-only "$1" | awk '{print $2}' | grep '^gdbm_' | grep -Ev "$GDBM_READS" | tr '\n' ' '
}
so="$TOP/pam_apikey/pam_apikey.so"
if [ -f "$so" ]; then
	is "pam_apikey.so exports only pam_sm_*" "$(exports "$so")" \
		"pam_sm_acct_mgmt pam_sm_authenticate pam_sm_chauthtok pam_sm_close_session pam_sm_open_session pam_sm_setcred "
	unlike "pam_apikey.so needs no shared libsodium" "$(ldd "$so")" libsodium
	like "pam_apikey.so is linked with -z now (full RELRO)" "$(readelf -d "$so")" 'BIND_NOW|FLAGS.*NOW'
	is "pam_apikey.so imports no GDBM write function" "$(gdbm_writes "$so")" ""
	is "pam_apikey.so imports only GDBM's read functions" "$(gdbm_others "$so")" ""
	like "pam_apikey.so does read the store through GDBM" "$(nm -D --undefined-only "$so")" ' gdbm_fetch$'
else
	not_ok "pam_apikey.so is built"
fi
so="$TOP/sasl_apikey/libapikey.so"
if [ -f "$so" ]; then
	is "libapikey.so exports only sasl_server_plug_init" "$(exports "$so")" "sasl_server_plug_init "
	unlike "libapikey.so needs no shared libsodium" "$(ldd "$so")" libsodium
	is "libapikey.so imports no GDBM write function" "$(gdbm_writes "$so")" ""
else
	skip "libapikey.so not built yet"
fi
# The twin: keyadm writes the store, and the same checks see it.
like "twin: keyadm imports gdbm_store, and the write check catches it" \
	"$(gdbm_writes "$KEYADM")" 'gdbm_store '
like "twin: and the read-only check catches its writes too" "$(gdbm_others "$KEYADM")" 'gdbm_sync '
done_testing
