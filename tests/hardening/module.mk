# killverify: the driver and verifiers of tests/hardening/kill.t.
TEST_BINS += tests/hardening/killverify
CLEAN_EXTRA += tests/hardening/killverify
KV_SRC := tests/hardening/killverify.c tests/hardening/kvrun.c tests/hardening/kvjudge.c \
          tests/hardening/verifier.c
tests/hardening/killverify: $(KV_SRC) tests/hardening/killverify.h tests/hardening/kvdriver.h $(CORE_LIB)
	$(CC) $(TEST_CFLAGS) -o $@ $(KV_SRC) $(CORE_LIB) $(LDFLAGS) -pie $(CORE_LIBS)
