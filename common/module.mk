# common/module.mk: the core, built once as a PIC static archive that the
# PAM module, the SASL plugin, keyadm, the tests and the fuzzers link.
# Products: common/libakcore.a
# Sources:  $(CORE_SRC) $(CORE_HDR), listed below
# Needs:    the top Makefile (CFLAGS, SODIUM_CFLAGS, SODIUM_LIBS, GDBM_LIBS)
# tests/style/build_lists.t fails when a C file or header of common/ is
# missing from these lists, or a listed one does not exist.
CORE_SRC := common/audit.c common/cidr.c common/events.c common/key.c common/keystate.c \
            common/record.c common/session.c common/store.c common/storecheck.c \
            common/tombstones.c common/txn.c common/txnops.c common/util.c common/verify.c
# apikey.h: the front ends' header; apikey_admin.h: keyadm's, the tests'
# and the fuzzers' (it includes apikey.h); internal.h: common/ only.
CORE_HDR := common/apikey.h common/apikey_admin.h common/internal.h
CORE_OBJ := $(CORE_SRC:.c=.o)
CORE_LIB := common/libakcore.a
# What a program or shared object that links $(CORE_LIB) links after it.
CORE_LIBS = $(SODIUM_LIBS) $(GDBM_LIBS)
all: $(CORE_LIB)
CLEAN_EXTRA += common/*.o $(CORE_LIB)

common/%.o: common/%.c $(CORE_HDR)
	$(CC) $(CFLAGS) $(SODIUM_CFLAGS) -c -o $@ $<

$(CORE_LIB): $(CORE_OBJ) $(FLAGS_STAMP)
	rm -f $@
	ar rcs $@ $(CORE_OBJ)
