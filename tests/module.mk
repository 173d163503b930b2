# tests/module.mk: what every test fragment shares, and the programs of
# bench/ the tests run.
# Products: none of its own (TEST_BINS collects the test programs that
#           `make check` builds; tests/*/*.t are what tests/run.sh runs)
# Sources:  tests/tap.h (TAP for the C tests), tests/lib.sh, tests/run.sh
# Needs:    bench/module.mk (bench/pam_bench, bench/sasl_bench,
#           bench/revoke_load, bench/id_timing): the hardening tests drive
#           the module and the plugin with them. pam_bench and sasl_bench:
#           kill.t, load.t, growth.t, events.t, valgrind.t (through
#           tests/hardening/hlib.sh); revoke_load: load.t; id_timing:
#           insiders_store.t; sanitize.t checks that all are instrumented.
#           tests/lib/module.mk (the shared helpers), included after this.
$(call needs,CFLAGS)
TEST_CFLAGS := $(filter-out -fvisibility=hidden,$(CFLAGS)) -Itests -fPIE
TEST_BINS += bench/pam_bench bench/sasl_bench bench/revoke_load bench/id_timing
