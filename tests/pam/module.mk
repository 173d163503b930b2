TEST_BINS += tests/pam/pamcase tests/pam/pamtest
CLEAN_EXTRA += tests/pam/pamcase tests/pam/pamtest
tests/pam/pamcase: tests/pam/pamcase.c
	$(CC) $(TEST_CFLAGS) -o $@ $< $(LDFLAGS) -pie -lpam
# libpamtest (libpamtest0-dev), run under pam_wrapper by tests/pam/libpamtest.t.
tests/pam/pamtest: tests/pam/pamtest.c tests/tap.h
	$(CC) $(TEST_CFLAGS) $$(pkg-config --cflags libpamtest) -o $@ $< $(LDFLAGS) -pie \
		$$(pkg-config --libs libpamtest) -lpam
