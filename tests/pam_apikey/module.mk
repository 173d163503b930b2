TEST_BINS += tests/pam_apikey/pamcase tests/pam_apikey/pamtest
CLEAN_EXTRA += tests/pam_apikey/pamcase tests/pam_apikey/pamtest
tests/pam_apikey/pamcase: tests/pam_apikey/pamcase.c
	$(CC) $(TEST_CFLAGS) -o $@ $< $(LDFLAGS) -pie -lpam
# libpamtest (libpamtest0-dev), run under pam_wrapper by tests/pam_apikey/libpamtest.t.
tests/pam_apikey/pamtest: tests/pam_apikey/pamtest.c tests/tap.h
	$(CC) $(TEST_CFLAGS) $$(pkg-config --cflags libpamtest) -o $@ $< $(LDFLAGS) -pie \
		$$(pkg-config --libs libpamtest) -lpam
