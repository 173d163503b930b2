# tests/pam_apikey/module.mk: the PAM module's test drivers.
# Products: tests/pam_apikey/pamcase tests/pam_apikey/pamtest
# Sources:  tests/pam_apikey/pamcase.c, tests/pam_apikey/pamtest.c (with tests/tap.h)
# Needs:    tests/module.mk (TEST_CFLAGS), tests/lib/module.mk (TL_PAMCONV), the
#           top Makefile (PAM_LIBS, PAMTEST_CFLAGS, PAMTEST_LIBS)
$(call needs,TEST_CFLAGS TL_PAMCONV)
TEST_BINS += tests/pam_apikey/pamcase tests/pam_apikey/pamtest
CLEAN_EXTRA += tests/pam_apikey/pamcase tests/pam_apikey/pamtest
# One transaction through the real libpam (module.t, sshd.t, the deploy tests).
tests/pam_apikey/pamcase: tests/pam_apikey/pamcase.c $(TL_PAMCONV)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(TL_PAMCONV) $(LDFLAGS) -pie $(PAM_LIBS)
# libpamtest (libpamtest0-dev), run under pam_wrapper by tests/pam_apikey/libpamtest.t.
tests/pam_apikey/pamtest: tests/pam_apikey/pamtest.c tests/tap.h
	$(CC) $(TEST_CFLAGS) $(PAMTEST_CFLAGS) -o $@ $< $(LDFLAGS) -pie $(PAMTEST_LIBS) $(PAM_LIBS)
