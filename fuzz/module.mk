# fuzz/module.mk: the fuzz targets and their corpus replays.
# Products: fuzz/fuzz_<target> (make fuzz), fuzz/fuzz_<target>.replay (make check)
#           for each <target> of FUZZ_TARGETS
# Sources:  fuzz/fuzz_<target>.c fuzz/fixture.c fuzz/fixture.h fuzz/failinj.c
#           fuzz/failinj.h fuzz/replay.c, corpus fuzz/corpus/<target>/
# Needs:    common/module.mk (CORE_SRC, CORE_HDR, CORE_LIB, CORE_LIBS: the
#           PAM and SASL targets compile the core in); pam_apikey/module.mk
#           and sasl_apikey/module.mk (PAM_SRC, SASL_SRC, compiled in whole);
#           tests/module.mk (TEST_CFLAGS, the replays' flags); the top
#           Makefile (SODIUM_SHARED_LIBS, GDBM_LIBS, PAM_LIBS)
$(call needs,CORE_SRC CORE_HDR CORE_LIB CORE_LIBS PAM_SRC SASL_SRC TEST_CFLAGS)
# Fuzzing: `make fuzz` builds each target with clang's libFuzzer, ASan and
# UBSan and runs it for FUZZ_SECONDS over its checked-in corpus (new
# inputs go to fuzz/out/, never into the corpus); `make -j2 fuzz` runs two
# at a time. A crash fails the run and leaves the input in fuzz/out/.
# Each run gets its own TMPDIR (the fixtures' files), removed afterwards.
# `make check` replays the corpus through the same targets built normally
# (tests/fuzz/replay.t). The front-end targets compile the PAM module and
# the SASL plugin in whole and authenticate against fuzz/fixture.c's store.
FUZZ_TARGETS := key record cidr when audit events pam sasl session
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS  := -std=c11 -D_GNU_SOURCE -g -O1 -Icommon -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=all
FUZZ_DEPS    := fuzz/fixture.c fuzz/fixture.h fuzz/failinj.c fuzz/failinj.h $(PAM_SRC) $(SASL_SRC)
FUZZ_LIBS_pam = $(PAM_LIBS)
# The PAM and SASL targets fail calls of the module, the plugin and the
# core as the input says (fuzz/failinj.h), the core compiled in for it.
FUZZ_FI      := -include fuzz/failinj.h fuzz/failinj.c
FUZZ_FI_pam  := $(FUZZ_FI)
FUZZ_FI_sasl := $(FUZZ_FI)
FUZZ_CORE_pam  := $(CORE_SRC)
FUZZ_CORE_sasl := $(CORE_SRC)
FUZZ_REPLAYS := $(FUZZ_TARGETS:%=fuzz/fuzz_%.replay)
TEST_BINS    += $(FUZZ_REPLAYS)
CLEAN_EXTRA  += $(FUZZ_TARGETS:%=fuzz/fuzz_%) $(FUZZ_REPLAYS)

fuzz/fuzz_%.replay: fuzz/fuzz_%.c fuzz/replay.c $(FUZZ_DEPS) $(CORE_LIB)
	$(CC) $(TEST_CFLAGS) -o $@ $(FUZZ_FI_$*) $< fuzz/fixture.c fuzz/replay.c $(FUZZ_CORE_$*) \
	  $(CORE_LIB) $(LDFLAGS) -pie $(CORE_LIBS) $(FUZZ_LIBS_$*)

# libsodium linked shared, as pkg-config says: the fuzzers are not shipped.
fuzz/fuzz_%: fuzz/fuzz_%.c $(FUZZ_DEPS) $(CORE_SRC) $(CORE_HDR)
	clang $(FUZZ_CFLAGS) -o $@ $(FUZZ_FI_$*) $< fuzz/fixture.c $(CORE_SRC) $(SODIUM_SHARED_LIBS) \
	  $(GDBM_LIBS) $(FUZZ_LIBS_$*)

fuzz: deps-test $(FUZZ_TARGETS:%=fuzz-run-%)
.PRECIOUS: fuzz/fuzz_%
fuzz-run-%: fuzz/fuzz_%
	@mkdir -p fuzz/out/$*
	@tmp=$$(mktemp -d); \
	TMPDIR=$$tmp ./fuzz/fuzz_$* -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=1024 \
	  -artifact_prefix=fuzz/out/$*- -print_final_stats=1 fuzz/out/$* fuzz/corpus/$* \
	  >fuzz/out/$*.log 2>&1; rc=$$?; rm -rf "$$tmp"; \
	runs=$$(sed -n 's/^stat::number_of_executed_units: *//p' fuzz/out/$*.log); \
	echo "fuzz: $* $(FUZZ_SECONDS)s, $${runs:-?} inputs, exit $$rc"; \
	if [ $$rc -ne 0 ]; then grep -E 'ERROR|SUMMARY|Test unit written' fuzz/out/$*.log; fi; \
	exit $$rc
