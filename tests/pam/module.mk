TEST_BINS += tests/pam/pamcase
CLEAN_EXTRA += tests/pam/pamcase
tests/pam/pamcase: tests/pam/pamcase.c
	$(CC) $(TEST_CFLAGS) -o $@ $< $(LDFLAGS) -pie -lpam
