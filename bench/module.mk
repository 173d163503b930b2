# bench/module.mk: the benchmark drivers.
# Products: bench/pam_bench bench/sasl_bench bench/core_bench bench/id_timing
#           bench/revoke_load
# Sources:  bench/<product>.c bench/stats.h
# Needs:    common/module.mk (CORE_LIB, CORE_LIBS); tests/module.mk
#           (TEST_CFLAGS); the top Makefile (PAM_LIBS, SASL_LIBS); and at
#           run time `make all`'s pam_apikey.so, libapikey.so and keyadm.
$(call needs,CORE_LIB CORE_LIBS TEST_CFLAGS TL_PAMCONV TL_SASLCB TL_FORGE)
# make bench: builds the drivers with the release flags and runs
# bench/run.sh (QUICK=1 skips the million-key store). Not part of check,
# but the tests run pam_bench, sasl_bench, revoke_load and id_timing:
# tests/module.mk puts them in TEST_BINS.
BENCH_BINS := bench/pam_bench bench/sasl_bench bench/core_bench bench/id_timing bench/revoke_load
CLEAN_EXTRA += $(BENCH_BINS)
DEPS_BENCH := whois db5.3-util gnuplot-nox time bc

# The conversation, the SASL callbacks and the key forger are the tests'
# (tests/lib/module.mk: TL_PAMCONV, TL_SASLCB, TL_FORGE).
bench/pam_bench: bench/pam_bench.c bench/stats.h $(TL_PAMCONV)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(TL_PAMCONV) $(LDFLAGS) -pie $(PAM_LIBS)
bench/revoke_load: bench/revoke_load.c $(TL_PAMCONV)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(TL_PAMCONV) $(LDFLAGS) -pie $(PAM_LIBS)
bench/sasl_bench: bench/sasl_bench.c bench/stats.h $(TL_SASLCB)
	$(CC) $(TEST_CFLAGS) $(SASL_CFLAGS) -o $@ $< $(TL_SASLCB) $(LDFLAGS) -pie $(SASL_LIBS)
bench/core_bench: bench/core_bench.c bench/stats.h $(CORE_LIB)
	$(CC) $(TEST_CFLAGS) $(SODIUM_CFLAGS) -o $@ $< $(CORE_LIB) $(LDFLAGS) -pie $(CORE_LIBS)
bench/id_timing: bench/id_timing.c bench/stats.h $(TL_FORGE) $(CORE_LIB)
	$(CC) $(TEST_CFLAGS) $(SODIUM_CFLAGS) -o $@ $< $(TL_FORGE) $(CORE_LIB) $(LDFLAGS) -pie $(CORE_LIBS)

bench: deps-test all $(BENCH_BINS)
	@sh .ci/deps.sh $(DEPS_BENCH)
	@bash bench/run.sh
	@sh bench/fleet.sh
