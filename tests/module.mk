# Test programs built by `make check` (tests/*/*.t are what tests/run.sh runs).
TEST_CFLAGS := $(filter-out -fvisibility=hidden,$(CFLAGS)) -Itests -fPIE
TEST_BINS += bench/pam_bench bench/sasl_bench bench/revoke_load bench/id_timing
