/* Unit tests of a transaction's guarantees: a commit is seen by a fresh open
 * and bumps the generation by one, an abort leaves the live file as it was
 * and no temporary copy behind, the writers' lock, init over a store, the
 * user index through put and delete, the audit chain (common/txn.c,
 * common/txnops.c). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "tap.h"
#include "unit.h"

/* The contents of path in a malloc'd buffer (*len bytes), or NULL. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf != NULL)
		*len = (size_t)n;
	fclose(f);
	return buf;
}

/* 1 when path's contents are still before's (blen bytes). */
static int same_bytes(const char *path, const char *before, size_t blen)
{
	size_t len = 0;
	char *now = slurp(path, &len);
	int same = now != NULL && before != NULL && len == blen && memcmp(now, before, len) == 0;

	free(now);
	return same;
}

/* The number of temporary copies (keys.db.tmp.*) in dir. */
static int tmp_copies(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "keys.db.tmp.", 12) == 0)
			n++;
	closedir(d);
	return n;
}

/* A fresh open's meta record into *m, and whether its audit chain
 * verifies into *verified (may be NULL); 0 or -1. */
static int meta_of(struct ak_meta *m, int *verified)
{
	struct ak_store *st = NULL;
	struct ak_error e;

	if (ak_store_open(&st, db, geteuid(), &e) != 0)
		return -1;
	*m = *ak_store_meta(st);
	if (verified != NULL)
		*verified = ak_store_audit_verify(st, &e) == 0;
	ak_store_close(st);
	return 0;
}

static uint64_t generation(void)
{
	struct ak_meta m;

	return meta_of(&m, NULL) == 0 ? m.generation : 0;
}

/* 1 when a fresh open of the store finds id. */
static int visible(const char *id)
{
	struct ak_store *st = NULL;
	struct ak_error e;
	struct ak_key k;
	int found;

	if (ak_store_open(&st, db, geteuid(), &e) != 0)
		return -1;
	found = ak_store_get_key(&k, st, id, &e) == 0;
	ak_store_close(st);
	return found;
}

static int count_key(const struct ak_key *k, void *ctx)
{
	(void)k;
	(*(int *)ctx)++;
	return 0;
}

static void test_init(void)
{
	char lock[600], missing[600];
	struct ak_error e;
	struct stat sb;
	size_t len = 0;
	char *before;

	ok(ak_store_init(db, "ak", (gid_t)-1, "tester", &e) == 0, "a new store is created");
	snprintf(lock, sizeof(lock), "%s%s", db, AK_LOCK_SUFFIX);
	ok(lstat(lock, &sb) == 0 && S_ISREG(sb.st_mode) && (sb.st_mode & 07777) == 0600,
	   "the writers' lock file exists with mode 0600");
	snprintf(missing, sizeof(missing), "%s/never.db%s", dir, AK_LOCK_SUFFIX);
	ok(lstat(missing, &sb) != 0, "no lock file for a store never made");
	before = slurp(db, &len);
	ok(ak_store_init(db, "zz", (gid_t)-1, "mallory", &e) != 0 && e.code == AK_E_EXISTS,
	   "a second init on the same path fails with AK_E_EXISTS");
	ok(same_bytes(db, before, len), "the refused init changed nothing");
	is_int(generation(), 1, "the new store's generation is 1");
	free(before);
}

static void test_commit(char *key)
{
	struct ak_txn *t = NULL;
	struct ak_error e;
	struct ak_key k;
	uint64_t g = generation();

	if (ak_txn_begin(&t, db, geteuid(), "tester", &e) != 0 ||
	    ak_txn_new_key(t, &k, key, "alice", &e) != 0 || ak_txn_put_key(t, &k, &e) != 0) {
		ok(0, "transaction with a new key: %s", e.msg);
		ak_txn_abort(t);
		return;
	}
	is_int(visible(k.id), 0, "an uncommitted key is not seen by a fresh open");
	is_int(generation(), g, "the generation does not move before the commit");
	ok(ak_txn_commit(t, &e) == 0, "the transaction commits");
	is_int(visible(k.id), 1, "the committed key is seen by a fresh open");
	is_int(generation(), g + 1, "the commit bumps the generation by exactly one");
	is_int(tmp_copies(), 0, "no temporary copy left after the commit");
}

static void test_abort(char *key)
{
	struct ak_txn *t = NULL;
	struct ak_error e;
	struct ak_key k;
	uint64_t g = generation();
	size_t len = 0;
	char *before = slurp(db, &len);

	if (ak_txn_begin(&t, db, geteuid(), "tester", &e) != 0 ||
	    ak_txn_new_key(t, &k, key, "alice", &e) != 0 || ak_txn_put_key(t, &k, &e) != 0 ||
	    ak_txn_audit(t, "create", k.id, "alice", NULL, &e) != 0) {
		ok(0, "transaction to abort: %s", e.msg);
		ak_txn_abort(t);
		free(before);
		return;
	}
	is_int(tmp_copies(), 1, "an open transaction has its temporary copy");
	ak_txn_abort(t);
	ok(before != NULL && same_bytes(db, before, len),
	   "the abort leaves the live file byte-identical");
	is_int(tmp_copies(), 0, "the abort removes the temporary copy");
	is_int(visible(k.id), 0, "the aborted key is not in the store");
	is_int(generation(), g, "the abort does not move the generation");
	free(before);
}

/* The number of bob's keys in the index of st, or -1. */
static int bob_keys(struct ak_store *st)
{
	struct ak_error e;
	int n = 0;

	return ak_store_user_keys(st, "bob", count_key, &n, &e) == 0 ? n : -1;
}

static void test_index(char *key)
{
	struct ak_txn *t = NULL;
	struct ak_store *st = NULL;
	struct ak_error e;
	struct ak_key a, b;
	char key2[AK_KEY_MAX + 1];

	if (ak_txn_begin(&t, db, geteuid(), "tester", &e) != 0 ||
	    ak_txn_new_key(t, &a, key, "bob", &e) != 0 || ak_txn_put_key(t, &a, &e) != 0 ||
	    ak_txn_new_key(t, &b, key2, "bob", &e) != 0 || ak_txn_put_key(t, &b, &e) != 0) {
		ok(0, "two keys for bob: %s", e.msg);
		ak_txn_abort(t);
		return;
	}
	sodium_memzero(key2, sizeof(key2));
	is_int(bob_keys(ak_txn_store(t)), 2, "the index lists both keys put");
	ok(ak_txn_delete_key(t, a.id, &e) == 0, "a key is deleted");
	is_int(bob_keys(ak_txn_store(t)), 1, "the index drops the deleted key");
	ok(ak_txn_delete_key(t, a.id, &e) != 0 && e.code == AK_E_NOENT,
	   "deleting it again is AK_E_NOENT");
	ok(ak_txn_commit(t, &e) == 0, "the put and delete commit");
	if (ak_store_open(&st, db, geteuid(), &e) != 0) {
		ok(0, "store opens: %s", e.msg);
		return;
	}
	is_int(bob_keys(st), 1, "a fresh open's index has the one key left");
	is_int(ak_store_check(st, &e), 0, "store check passes after put and delete");
	ak_store_close(st);
}

static uint64_t audit_seq(int *verified)
{
	struct ak_meta m;

	return meta_of(&m, verified) == 0 ? m.audit_seq : 0;
}

static void test_audit(void)
{
	struct ak_txn *t = NULL;
	struct ak_error e;
	int v = 0;
	uint64_t n = audit_seq(&v);

	if (ak_txn_begin(&t, db, geteuid(), "tester", &e) != 0 ||
	    ak_txn_audit(t, "set", NULL, "carol", "one", &e) != 0 ||
	    ak_txn_audit(t, "set", NULL, "carol", "two", &e) != 0 ||
	    ak_txn_audit(t, "set", NULL, "carol", "three", &e) != 0 || ak_txn_commit(t, &e) != 0) {
		ok(0, "three audit entries: %s", e.msg);
		return;
	}
	is_int(audit_seq(&v), n + 3, "audit_seq counts the three entries");
	ok(v, "the audit chain verifies with them");
	n = audit_seq(&v);
	if (ak_txn_begin(&t, db, geteuid(), "tester", &e) != 0 ||
	    ak_txn_audit(t, "set", NULL, "carol", "lost", &e) != 0) {
		ok(0, "an audit entry to abort: %s", e.msg);
		ak_txn_abort(t);
		return;
	}
	ak_txn_abort(t);
	is_int(audit_seq(&v), n, "an aborted audit entry is not counted");
}

int main(void)
{
	char key[AK_KEY_MAX + 1];

	if (unit_setup() != 0)
		return 1;
	test_init();
	test_commit(key);
	test_abort(key);
	test_index(key);
	test_audit();
	sodium_memzero(key, sizeof(key));
	return unit_done(tap_done());
}
