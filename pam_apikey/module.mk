# pam_apikey/module.mk: the PAM module.
# Products: pam_apikey/pam_apikey.so
# Sources:  pam_apikey/pam_apikey.c pam_apikey/pam_apikey.map
# Needs:    common/module.mk (CORE_LIB, CORE_LIBS); the top Makefile
#           (SODIUM_CFLAGS, PAM_LIBS)
$(call needs,CORE_LIB CORE_LIBS)
# Linked with the core archive and static libsodium; only the pam_sm_*
# entry points are exported (version script, tests/pam_apikey/symbols.t).
# -z nodelete keeps the module mapped after pam_end, so the core's cached
# store handle (revalidated on every call) survives from one transaction
# to the next in long-lived services.
PAM_SO  := pam_apikey/pam_apikey.so
PAM_SRC := pam_apikey/pam_apikey.c
PAM_MAP := pam_apikey/pam_apikey.map
all: $(PAM_SO)
CLEAN_EXTRA += $(PAM_SO)

$(PAM_SO): $(PAM_SRC) $(PAM_MAP) $(CORE_LIB)
	$(CC) $(CFLAGS) $(SODIUM_CFLAGS) -shared -o $@ $(PAM_SRC) $(CORE_LIB) $(LDFLAGS) \
		-Wl,--version-script=$(PAM_MAP) -Wl,-z,defs -Wl,-z,nodelete \
		$(CORE_LIBS) $(PAM_LIBS)

install: install-pam
uninstall: uninstall-pam
.PHONY: install-pam uninstall-pam
install-pam: $(PAM_SO)
	install -d $(DESTDIR)$(PAMDIR) $(DESTDIR)$(MANDIR)/man8
	install -m 0644 $(PAM_SO) $(DESTDIR)$(PAMDIR)/pam_apikey.so
	install -m 0644 man/pam_apikey.8 $(DESTDIR)$(MANDIR)/man8/pam_apikey.8
uninstall-pam:
	rm -f $(DESTDIR)$(PAMDIR)/pam_apikey.so $(DESTDIR)$(MANDIR)/man8/pam_apikey.8
