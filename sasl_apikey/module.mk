# sasl_apikey/module.mk: the Cyrus SASL plugin.
# Products: sasl_apikey/libapikey.so
# Sources:  sasl_apikey/plugin.c sasl_apikey/libapikey.map
# Needs:    common/module.mk (CORE_LIB, CORE_LIBS); the top Makefile
#           (SODIUM_CFLAGS, SASL_CFLAGS)
$(call needs,CORE_LIB CORE_LIBS)
# libapikey.so: Cyrus SASL names a plugin after its file. Linked with the
# core archive and static libsodium; exports only sasl_server_plug_init,
# and needs no libsasl2 (the server hands it its callbacks).
# The version script is load-bearing: libsodium.a is not fully PIC, and
# only making its symbols local lets the linker resolve them.
# -z nodelete keeps the core's cached store handle across sasl_done and
# re-initialisation in long-lived servers.
SASL_SO  := sasl_apikey/libapikey.so
SASL_SRC := sasl_apikey/plugin.c
SASL_MAP := sasl_apikey/libapikey.map
all: $(SASL_SO)
CLEAN_EXTRA += $(SASL_SO)

$(SASL_SO): $(SASL_SRC) $(SASL_MAP) $(CORE_LIB)
	$(CC) $(CFLAGS) $(SODIUM_CFLAGS) $(SASL_CFLAGS) -shared -o $@ $(SASL_SRC) $(CORE_LIB) \
		$(LDFLAGS) -Wl,--version-script=$(SASL_MAP) -Wl,-z,defs -Wl,-z,nodelete \
		$(CORE_LIBS)

install: install-sasl
uninstall: uninstall-sasl
.PHONY: install-sasl uninstall-sasl
install-sasl: $(SASL_SO)
	install -d $(DESTDIR)$(SASLDIR) $(DESTDIR)$(MANDIR)/man8
	install -m 0644 $(SASL_SO) $(DESTDIR)$(SASLDIR)/libapikey.so
	install -m 0644 man/sasl_apikey.8 $(DESTDIR)$(MANDIR)/man8/sasl_apikey.8
uninstall-sasl:
	rm -f $(DESTDIR)$(SASLDIR)/libapikey.so $(DESTDIR)$(MANDIR)/man8/sasl_apikey.8
