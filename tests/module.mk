# Test programs built by `make check` (tests/*/*.t are what tests/run.sh runs).
TEST_CFLAGS := $(filter-out -fvisibility=hidden,$(CFLAGS)) -Itests -fPIE
TEST_BINS += tests/common/core.t
CLEAN_EXTRA += tests/common/core.t

tests/common/core.t: tests/common/core.c tests/tap.h $(CORE_LIB)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(CORE_LIB) $(LDFLAGS) -pie $(CORE_LIBS)
TEST_BINS += bench/pam_bench bench/sasl_bench bench/revoke_load bench/id_timing
