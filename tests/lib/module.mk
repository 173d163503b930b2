# tests/lib/module.mk: the helpers the C tests and the bench share.
# Products: tests/lib/keyforge (the forge of tests/lib.sh)
#           TL_FORGE, TL_PAMCONV, TL_SASLCB: objects linked into the programs
#           of tests/ and bench/ that use them
# Sources:  tests/lib/forge.c tests/lib/forge.h tests/lib/keyforge.c
#           tests/lib/pamconv.c tests/lib/pamconv.h
#           tests/lib/saslcb.c tests/lib/saslcb.h
# Needs:    tests/module.mk (TEST_CFLAGS), common/apikey_admin.h (key lengths)
$(call needs,TEST_CFLAGS)
TL_FORGE := tests/lib/forge.o
TL_PAMCONV := tests/lib/pamconv.o
TL_SASLCB := tests/lib/saslcb.o
TL_OBJ := $(TL_FORGE) $(TL_PAMCONV) $(TL_SASLCB)
TEST_BINS += tests/lib/keyforge
CLEAN_EXTRA += tests/lib/keyforge $(TL_OBJ)

$(TL_OBJ): tests/lib/%.o: tests/lib/%.c tests/lib/%.h $(FLAGS_STAMP)
	$(CC) $(TEST_CFLAGS) -c -o $@ $<
$(TL_FORGE): common/apikey.h common/apikey_admin.h
tests/lib/keyforge: tests/lib/keyforge.c $(TL_FORGE) common/apikey.h common/apikey_admin.h
	$(CC) $(TEST_CFLAGS) -o $@ $< $(TL_FORGE) $(LDFLAGS) -pie
