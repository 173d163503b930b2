# tests/hardening/module.mk: killverify, the driver and verifiers of
# tests/hardening/kill.t.
# Products: tests/hardening/killverify
# Sources:  tests/hardening/killverify.c tests/hardening/kvrun.c
#           tests/hardening/kvjudge.c tests/hardening/verifier.c
#           tests/hardening/killverify.h tests/hardening/kvdriver.h
# Needs:    common/module.mk (CORE_LIB, CORE_LIBS), tests/module.mk (TEST_CFLAGS)
$(call needs,CORE_LIB CORE_LIBS TEST_CFLAGS)
# (sasl-threads.c is compiled by threads.t itself, with -fsanitize=thread.)
TEST_BINS += tests/hardening/killverify
CLEAN_EXTRA += tests/hardening/killverify
KV_SRC := tests/hardening/killverify.c tests/hardening/kvrun.c tests/hardening/kvjudge.c \
          tests/hardening/verifier.c
KV_HDR := tests/hardening/killverify.h tests/hardening/kvdriver.h
tests/hardening/killverify: $(KV_SRC) $(KV_HDR) $(CORE_LIB)
	$(CC) $(TEST_CFLAGS) -o $@ $(KV_SRC) $(CORE_LIB) $(LDFLAGS) -pie $(CORE_LIBS)
