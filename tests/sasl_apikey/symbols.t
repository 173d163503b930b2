#!/bin/sh
# libapikey.so exports only sasl_server_plug_init (the version script), so
# the core and the libsodium linked into it never clash with a server's own
# copies. The twin: a plugin without a version script exports more, and
# the same check says so. It reads the store and never writes it: no GDBM
# write function is imported (the twin: keyadm, the writer, is caught).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/pam_apikey/pamlib.sh"
so="$TOP/sasl_apikey/libapikey.so"
need "sasl_apikey/libapikey.so is not built" test -f "$so"
need "nm and readelf (binutils) are missing" have nm readelf

exports() { nm -D --defined-only "$1" | awk '{print $3}' | sort | tr '\n' ' '; }
is "only sasl_server_plug_init is exported" "$(exports "$so")" "sasl_server_plug_init "

imports() { nm -D --undefined-only "$1" | awk '{print $2}' | tr '\n' ' '; }
writes='gdbm_(store|delete|sync|reorganize|import|load|recover|convert|failure_atomic|setopt) '
unlike "no GDBM write function is imported" "$(imports "$so")" "$writes"
like "the store is read through GDBM (the check looks at the right list)" "$(imports "$so")" \
	'gdbm_fetch '
like "twin: keyadm, the writer, imports them and is caught" "$(imports "$TOP/keyadm/keyadm")" \
	"$writes"
unlike "no core symbol is visible" "$(nm -D "$so")" ' [TDBR] (ak_|sodium_|crypto_)'
like "the entry point is a defined function" "$(nm -D --defined-only "$so")" ' T sasl_server_plug_init$'

dyn=$(readelf -d "$so")
unlike "libsodium is linked in, not needed at run time" "$dyn" 'NEEDED.*libsodium'
unlike "libsasl2 is not needed (everything comes through utils)" "$dyn" 'NEEDED.*libsasl2'
like "full RELRO: bound now" "$dyn" 'BIND_NOW|FLAGS.*NOW'
unlike "no RPATH or RUNPATH" "$dyn" 'RPATH|RUNPATH'
unlike "no text relocations" "$dyn" 'TEXTREL'
like "GNU_RELRO segment present" "$(readelf -lW "$so")" 'GNU_RELRO'
unlike "the stack is not executable" "$(readelf -lW "$so" | grep GNU_STACK)" 'RWE'

# Negative twin: the stock libplain.so, built without a version script,
# exports its helpers too, and the same check catches it. (Ours cannot even
# be linked without its script: libsodium.a is not fully PIC, and only
# making its symbols local lets the linker resolve them.)
STOCK=/usr/lib/$MULTIARCH/sasl2
if [ -f "$STOCK/libplain.so" ]; then
	leak=$(exports "$STOCK/libplain.so")
	if [ "$leak" != "sasl_server_plug_init " ]; then
		ok "twin: the stock libplain.so exports more than its entry point, and is caught"
	else
		not_ok "twin: the stock libplain.so exports more than its entry point, and is caught"
	fi
	like "twin: its helpers show" "$leak" '_plug_'
else
	skip "twin: the stock libplain.so is missing"
fi
done_testing
