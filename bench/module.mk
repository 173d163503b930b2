# make bench: builds the drivers with the release flags and runs
# bench/run.sh (QUICK=1 skips the million-key store). Not part of check.
BENCH_BINS := bench/pam_bench bench/sasl_bench bench/core_bench bench/id_timing bench/revoke_load
CLEAN_EXTRA += $(BENCH_BINS)
DEPS_BENCH := whois db5.3-util gnuplot-nox time bc

bench/pam_bench: bench/pam_bench.c bench/stats.h
	$(CC) $(TEST_CFLAGS) -o $@ $< $(LDFLAGS) -pie -lpam
bench/revoke_load: bench/revoke_load.c
	$(CC) $(TEST_CFLAGS) -o $@ $< $(LDFLAGS) -pie -lpam
bench/sasl_bench: bench/sasl_bench.c bench/stats.h
	$(CC) $(TEST_CFLAGS) -o $@ $< $(LDFLAGS) -pie -lsasl2
bench/core_bench: bench/core_bench.c bench/stats.h $(CORE_LIB)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(CORE_LIB) $(LDFLAGS) -pie $(CORE_LIBS)
bench/id_timing: bench/id_timing.c bench/stats.h $(CORE_LIB)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(CORE_LIB) $(LDFLAGS) -pie $(CORE_LIBS)

bench: deps-test all $(BENCH_BINS)
	@sh .ci/deps.sh $(DEPS_BENCH)
	@bash bench/run.sh
	@sh bench/fleet.sh
