/* Unit tests of a replica's revoked ids: written and read back sorted, an
 * empty set, a list that is not sorted valid ids refused, a record that
 * does not decode (common/tombstones.c). */
#include <gdbm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "tap.h"
#include "unit.h"

#define IDS                                                                                        \
	"AAAAAAAAAAAA"                                                                             \
	"BBBBBBBBBBBB"                                                                             \
	"abcdefghijkl"

/* The store at path's revoked ids: ak_store_tombstones's code (AK_OK),
 * their number in *n and whether they are want (nwant ids) in *same. */
static int read_ids(const char *path, const char *want, size_t nwant, size_t *n, int *same)
{
	struct ak_store *st = NULL;
	struct ak_error e;
	char *ids = NULL;
	int rc;

	*n = 0;
	*same = 0;
	if (ak_store_open(&st, path, geteuid(), &e) != 0)
		return -1;
	rc = code_of(ak_store_tombstones(&ids, n, st, &e), &e);
	*same = *n == nwant &&
	        (nwant == 0 ? ids == NULL : memcmp(ids, want, nwant * AK_ID_LEN) == 0);
	free(ids);
	ak_store_close(st);
	return rc;
}

/* ak_txn_put_tombstones's code for ids in a transaction that is aborted. */
static int put_code(const char *ids, size_t n)
{
	struct ak_txn *t = NULL;
	struct ak_error e;
	int rc;

	if (ak_txn_begin(&t, db, geteuid(), "tester", &e) != 0)
		return -1;
	rc = code_of(ak_txn_put_tombstones(t, ids, n, &e), &e);
	ak_txn_abort(t);
	return rc;
}

static void test_write_read(void)
{
	struct ak_txn *t = NULL;
	struct ak_error e;
	size_t n;
	int same;

	if (ak_store_init(db, "ak", (gid_t)-1, "tester", &e) != 0) {
		ok(0, "store created: %s", e.msg);
		return;
	}
	is_int(read_ids(db, NULL, 0, &n, &same), AK_OK, "a new store's revoked ids read");
	ok(n == 0 && same, "a new store has an empty set (no ids, NULL)");
	ok(ak_txn_begin(&t, db, geteuid(), "tester", &e) == 0 &&
	           ak_txn_put_tombstones(t, IDS, 3, &e) == 0 && ak_txn_commit(t, &e) == 0,
	   "three sorted ids are written");
	is_int(read_ids(db, IDS, 3, &n, &same), AK_OK, "the ids read back");
	ok(n == 3 && same, "they read back sorted, as written");
	is_int(put_code(IDS + AK_ID_LEN, 2), AK_OK, "a sorted tail of them is accepted");
	is_int(put_code("BBBBBBBBBBBB"
	                "AAAAAAAAAAAA",
	                2),
	       AK_E_INVAL, "unsorted ids are refused");
	is_int(put_code("AAAAAAAAAAAA"
	                "AAAAAAAAAAAA",
	                2),
	       AK_E_INVAL, "a repeated id is refused");
	is_int(put_code("AAAAAAAAAAA!", 1), AK_E_INVAL, "an id with a bad character is refused");
	is_int(put_code(NULL, 1), AK_E_INVAL, "a missing list is refused");
	is_int(read_ids(db, IDS, 3, &n, &same), AK_OK, "the ids read after the refusals");
	ok(n == 3 && same, "the refused lists changed nothing");
}

/* A copy of the store whose record of revoked ids is value (len bytes),
 * written with GDBM as someone with write access to the file would. */
static int corrupt_copy(char *copy, size_t cap, const char *value, size_t len)
{
	char cmd[1300], buf[64];
	GDBM_FILE g;
	datum k = {(char *)AK_TOMB_KEY, (int)strlen(AK_TOMB_KEY)};
	datum v = {buf, (int)len};
	int rc;

	if (len > sizeof(buf))
		return -1;
	memcpy(buf, value, len);

	snprintf(copy, cap, "%s/corrupt.db", dir);
	snprintf(cmd, sizeof(cmd), "rm -f %s && cp %s %s", copy, db, copy);
	if (system(cmd) != 0 || (g = gdbm_open(copy, 0, GDBM_WRITER, 0, NULL)) == NULL)
		return -1;
	rc = gdbm_store(g, k, v, GDBM_REPLACE);
	gdbm_close(g);
	return rc == 0 && chmod(copy, 0640) == 0 ? 0 : -1;
}

/* 1 when the store at path fails ak_store_check. */
static int check_fails(const char *path)
{
	struct ak_store *st = NULL;
	struct ak_error e;
	int bad;

	if (ak_store_open(&st, path, geteuid(), &e) != 0)
		return 0;
	bad = ak_store_check(st, &e) != 0;
	ak_store_close(st);
	return bad;
}

static void test_corrupt(void)
{
	static const struct {
		const char *value, *what;
	} cases[] = {
	        {IDS, "an intact record"},
	        {"AAAAAAAAAAAA"
	         "BBBBB",
	         "a record cut inside an id"},
	        {"BBBBBBBBBBBB"
	         "AAAAAAAAAAAA",
	         "a record of unsorted ids"},
	        {"AAAAAAAAAAA\n", "a record with a bad byte"},
	};
	char copy[600];
	size_t i, n;
	int same;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int want = i == 0 ? AK_OK : AK_E_CORRUPT;

		if (corrupt_copy(copy, sizeof(copy), cases[i].value, strlen(cases[i].value)) != 0) {
			ok(0, "copy with %s", cases[i].what);
			continue;
		}
		is_int(read_ids(copy, NULL, 0, &n, &same), want, "%s reads as %s", cases[i].what,
		       i == 0 ? "ids" : "AK_E_CORRUPT");
		is_int(check_fails(copy), i != 0, "store check %s %s", i == 0 ? "passes" : "fails",
		       cases[i].what);
	}
}

int main(void)
{
	if (unit_setup() != 0)
		return 1;
	test_write_read();
	test_corrupt();
	return unit_done(tap_done());
}
