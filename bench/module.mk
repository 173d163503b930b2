# make bench: builds the drivers with the release flags and runs
# bench/run.sh (QUICK=1 skips the million-key store). Not part of check.
BENCH_BINS := bench/pam_bench bench/sasl_bench bench/core_bench bench/id_timing bench/revoke_load
CLEAN_EXTRA += $(BENCH_BINS)
DEPS_BENCH := whois db5.3-util gnuplot-nox time bc

# The conversation, the SASL callbacks and the key forger are the tests'
# (tests/lib/module.mk: TL_PAMCONV, TL_SASLCB, TL_FORGE).
bench/pam_bench: bench/pam_bench.c bench/stats.h $(TL_PAMCONV)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(TL_PAMCONV) $(LDFLAGS) -pie -lpam
bench/revoke_load: bench/revoke_load.c $(TL_PAMCONV)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(TL_PAMCONV) $(LDFLAGS) -pie -lpam
bench/sasl_bench: bench/sasl_bench.c bench/stats.h $(TL_SASLCB)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(TL_SASLCB) $(LDFLAGS) -pie -lsasl2
bench/core_bench: bench/core_bench.c bench/stats.h $(CORE_LIB)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(CORE_LIB) $(LDFLAGS) -pie $(CORE_LIBS)
bench/id_timing: bench/id_timing.c bench/stats.h $(TL_FORGE) $(CORE_LIB)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(TL_FORGE) $(CORE_LIB) $(LDFLAGS) -pie $(CORE_LIBS)

bench: deps-test all $(BENCH_BINS)
	@sh .ci/deps.sh $(DEPS_BENCH)
	@bash bench/run.sh
	@sh bench/fleet.sh
