# tests/common/module.mk: the core's unit tests, one program per core file.
# Products: tests/common/key.t tests/common/record.t tests/common/util.t
#           tests/common/cidr.t tests/common/keystate.t tests/common/verify.t
#           tests/common/store.t tests/common/audit.t tests/common/events.t
#           tests/common/txn.t tests/common/session.t tests/common/tombstones.t
# Sources:  tests/common/<name>.c for each, with the fixture
#           tests/common/unit.c tests/common/unit.h and tests/tap.h
# Needs:    common/module.mk (CORE_LIB, CORE_LIBS), tests/module.mk (TEST_CFLAGS),
#           tests/lib/module.mk (TL_FORGE: verify.t's forged key)
$(call needs,CORE_LIB CORE_LIBS TEST_CFLAGS TL_FORGE)
UNIT_TESTS := tests/common/key.t tests/common/record.t tests/common/util.t \
              tests/common/cidr.t tests/common/keystate.t tests/common/verify.t \
              tests/common/store.t tests/common/audit.t tests/common/events.t \
              tests/common/txn.t tests/common/session.t tests/common/tombstones.t
UNIT_FIXTURE := tests/common/unit.c $(TL_FORGE)
TEST_BINS += $(UNIT_TESTS)
CLEAN_EXTRA += $(UNIT_TESTS)

$(UNIT_TESTS): tests/common/%.t: tests/common/%.c $(UNIT_FIXTURE) tests/common/unit.h \
		tests/tap.h $(CORE_LIB)
	$(CC) $(TEST_CFLAGS) -Itests/common -o $@ $< $(UNIT_FIXTURE) $(CORE_LIB) $(LDFLAGS) -pie \
		$(CORE_LIBS)

# make check-unit: builds and runs only these (the Debian package build
# runs them: they need nothing but the build).
.PHONY: check-unit
check-unit: $(UNIT_TESTS)
	@for t in $(UNIT_TESTS); do ./$$t || exit 1; done
