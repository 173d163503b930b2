# pam_apikey.so: linked with the core archive and static libsodium; only
# the pam_sm_* entry points are exported (version script, tests/pam_apikey/symbols.t).
# -z nodelete keeps the module mapped after pam_end, so the core's cached
# store handle (revalidated on every call) survives from one transaction
# to the next in long-lived services.
PAM_SO := pam_apikey/pam_apikey.so
all: $(PAM_SO)
CLEAN_EXTRA += $(PAM_SO)

$(PAM_SO): pam_apikey/pam_apikey.c pam_apikey/pam_apikey.map $(CORE_LIB)
	$(CC) $(CFLAGS) -shared -o $@ pam_apikey/pam_apikey.c $(CORE_LIB) $(LDFLAGS) \
		-Wl,--version-script=pam_apikey/pam_apikey.map -Wl,-z,defs -Wl,-z,nodelete \
		$(CORE_LIBS) -lpam

install: install-pam
uninstall: uninstall-pam
.PHONY: install-pam uninstall-pam
install-pam: $(PAM_SO)
	install -d $(DESTDIR)$(PAMDIR) $(DESTDIR)$(MANDIR)/man8
	install -m 0644 $(PAM_SO) $(DESTDIR)$(PAMDIR)/pam_apikey.so
	install -m 0644 man/pam_apikey.8 $(DESTDIR)$(MANDIR)/man8/pam_apikey.8
uninstall-pam:
	rm -f $(DESTDIR)$(PAMDIR)/pam_apikey.so $(DESTDIR)$(MANDIR)/man8/pam_apikey.8
