# Fuzzing: `make fuzz` builds each target with clang's libFuzzer, ASan and
# UBSan and runs it for FUZZ_SECONDS over its checked-in corpus (new
# inputs go to fuzz/out/, never into the corpus). `make check` replays the
# corpus through the same targets built normally (tests/fuzz/replay.t).
FUZZ_TARGETS := key record cidr when
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS  := -std=c11 -D_GNU_SOURCE -g -O1 -Icommon -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=all
FUZZ_REPLAYS := $(FUZZ_TARGETS:%=fuzz/fuzz_%.replay)
TEST_BINS    += $(FUZZ_REPLAYS)
CLEAN_EXTRA  += $(FUZZ_TARGETS:%=fuzz/fuzz_%) $(FUZZ_REPLAYS)

fuzz/fuzz_%.replay: fuzz/fuzz_%.c fuzz/replay.c $(CORE_LIB)
	$(CC) $(TEST_CFLAGS) -o $@ $< fuzz/replay.c $(CORE_LIB) $(LDFLAGS) -pie $(CORE_LIBS)

fuzz/fuzz_%: fuzz/fuzz_%.c $(CORE_SRC) common/apikey.h common/internal.h
	clang $(FUZZ_CFLAGS) -o $@ $< $(CORE_SRC) -lsodium -lgdbm

fuzz: $(FUZZ_TARGETS:%=fuzz/fuzz_%)
	@set -e; for t in $(FUZZ_TARGETS); do \
	  mkdir -p fuzz/out/$$t; \
	  echo "fuzz: $$t for $(FUZZ_SECONDS)s"; \
	  ./fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=5 -rss_limit_mb=1024 \
	    -artifact_prefix=fuzz/out/$$t- -print_final_stats=1 fuzz/out/$$t fuzz/corpus/$$t \
	    2>&1 | grep -E 'stat::number_of_executed_units|Done|ERROR|SUMMARY' ; \
	done
