/* Unit tests of reading a store: every key, the user index, counters, what is not a
 * store, init over an existing store (common/store.c, common/txnops.c). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "tap.h"
#include "unit.h"

static int count_key(const struct ak_key *k, void *ctx)
{
	(void)k;
	(*(int *)ctx)++;
	return 0;
}

static void test_store_reads(void)
{
	struct ak_store *st = NULL;
	struct ak_error e;
	int n = 0, m = 0;

	if (ak_store_open(&st, db, geteuid(), &e) != 0) {
		ok(0, "store opens: %s", e.msg);
		return;
	}
	ok(ak_store_each_key(st, count_key, &n, &e) == 0 && n == K_N, "each_key sees every key");
	ok(ak_store_user_keys(st, "alice", count_key, &m, &e) == 0 && m == K_N,
	   "user index lists every key");
	m = 0;
	ok(ak_store_user_keys(st, "bob", count_key, &m, &e) == 0 && m == 0, "user without keys");
	is_int(ak_store_meta(st)->audit_seq, 1 + K_N, "one audit entry per change");
	is_int(ak_store_meta(st)->generation, 2, "generation counts commits");
	is_int(ak_store_audit_verify(st, &e), 0, "audit chain verifies");
	is_int(ak_store_check(st, &e), 0, "store check passes");
	ak_store_close(st);
}

static void test_untrusted(void)
{
	char p[600];
	int fd;

	snprintf(p, sizeof(p), "%s/empty.db", dir);
	fd = open(p, O_CREAT | O_WRONLY, 0640);
	close(fd);
	{
		struct ak_store *st = NULL;
		struct ak_error e;
		ok(ak_store_open(&st, p, geteuid(), &e) != 0 && st == NULL,
		   "empty file is not a store");
		snprintf(p, sizeof(p), "%s/missing.db", dir);
		ok(ak_store_open(&st, p, geteuid(), &e) != 0 && e.code == AK_E_IO,
		   "missing store reported");
		ok(ak_store_open(&st, dir, geteuid(), &e) != 0 && e.code == AK_E_UNTRUSTED,
		   "directory refused");
	}
	{
		struct ak_store *st = NULL;
		struct ak_error e;
		ok(ak_store_init(db, "ak", (gid_t)-1, "tester", &e) != 0 && e.code == AK_E_EXISTS,
		   "init refuses to overwrite a store");
		ok(ak_store_open(&st, db, geteuid(), &e) == 0,
		   "store still opens after the refused init");
		ak_store_close(st);
	}
}

int main(void)
{
	char keys[K_N][AK_KEY_MAX + 1];

	if (unit_setup() != 0)
		return 1;
	ok(make_store(keys) == 0, "store created with one key per case");
	test_store_reads();
	test_untrusted();
	sodium_memzero(keys, sizeof(keys));
	return unit_done(tap_done());
}
