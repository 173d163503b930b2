/* The engine of keyadm check (store integrity): every record decodes, the user index and the keys
 * agree both ways, the audit chain holds, and no unknown record is present. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct check_ctx {
	const struct ak_store *st;
	struct ak_error *e;
	uint64_t audits;
	int rc;
};

/* Every key is listed in its owner's index. */
static int check_key_indexed(const struct ak_key *k, void *vctx)
{
	struct check_ctx *c = vctx;
	char *ids = NULL;
	size_t n = 0, i;

	if ((c->rc = ak_index_get(&ids, &n, c->st, k->owner, c->e)) != 0)
		return 1;
	for (i = 0; i < n; i++)
		if (memcmp(ids + i * AK_ID_LEN, k->id, AK_ID_LEN) == 0)
			break;
	free(ids);
	if (i == n) {
		ak_err_set(c->e, AK_E_CORRUPT, "key %s is missing from the index of %s", k->id,
		           k->owner);
		c->rc = -1;
		return 1;
	}
	return 0;
}

static int ignore_key(const struct ak_key *k, void *ctx)
{
	(void)k;
	(void)ctx;
	return 0;
}

/* "u:<user>/<chunk>": a later chunk of an index, read with its chunk 0,
 * must follow an existing chunk (a chunk after a gap would never be read). */
static int check_chunk(struct check_ctx *c, char *user, const char *num)
{
	char *part = NULL, *end;
	unsigned long n;
	struct ak_error mine = {AK_OK, ""};
	struct ak_error *e = c->e ? c->e : &mine;
	size_t m;
	int rc;

	n = strtoul(num, &end, 10);
	if (!ak_user_valid(user) || num[0] < '1' || num[0] > '9' || *end != '\0' || n > 1u << 30) {
		ak_err_set(c->e, AK_E_CORRUPT, "index record with an invalid name");
		return -1;
	}
	rc = ak_index_chunk(&part, &m, c->st, user, n - 1, e);
	free(part);
	if (rc != 0 && e->code == AK_E_NOENT)
		ak_err_set(e, AK_E_CORRUPT, "index of user %s has a gap before chunk %lu", user, n);
	return rc;
}

/* One record of any kind; index entries are followed to their keys. */
static int check_record(struct check_ctx *c, datum k)
{
	char name[AK_INDEX_KEY_MAX + 1], *slash;

	if (k.dsize == (int)strlen(AK_META_KEY) &&
	    memcmp(k.dptr, AK_META_KEY, (size_t)k.dsize) == 0)
		return 0;
	if (k.dsize > 2 && memcmp(k.dptr, AK_AUDIT_PFX, 2) == 0) {
		c->audits++;
		return 0; /* checked in order by the chain walk */
	}
	if (k.dsize > 2 && (size_t)k.dsize < sizeof(name) && memcmp(k.dptr, AK_USER_PFX, 2) == 0) {
		memcpy(name, k.dptr, (size_t)k.dsize);
		name[k.dsize] = '\0';
		if ((slash = strchr(name + 2, '/')) != NULL) {
			*slash = '\0';
			return check_chunk(c, name + 2, slash + 1);
		}
		if (!ak_user_valid(name + 2)) {
			ak_err_set(c->e, AK_E_CORRUPT, "index record with an invalid user name");
			return -1;
		}
		return ak_store_user_keys(c->st, name + 2, ignore_key, NULL, c->e);
	}
	if (k.dsize == 2 + AK_ID_LEN && memcmp(k.dptr, AK_KEY_PFX, 2) == 0)
		return 0; /* decoded by ak_store_each_key */
	if (k.dsize == (int)strlen(AK_TOMB_KEY) &&
	    memcmp(k.dptr, AK_TOMB_KEY, (size_t)k.dsize) == 0)
		return ak_tombstones_check(c->st, c->e);
	ak_err_set(c->e, AK_E_CORRUPT, "unknown record in the store");
	return -1;
}

int ak_store_check(const struct ak_store *st, struct ak_error *e)
{
	struct check_ctx c = {st, e, 0, 0};
	datum k, next;
	int rc = 0;

	if (st == NULL) {
		ak_err_set(e, AK_E_INVAL, "no store");
		return -1;
	}
	for (k = gdbm_firstkey(st->db); k.dptr != NULL; k = next) {
		rc = check_record(&c, k);
		next = rc == 0 ? gdbm_nextkey(st->db, k) : (datum){NULL, 0};
		free(k.dptr);
		if (rc != 0)
			return -1;
	}
	if (ak_store_each_key(st, check_key_indexed, &c, e) != 0 || c.rc != 0)
		return -1;
	if (c.audits != st->meta.audit_seq) {
		ak_err_set(e, AK_E_CORRUPT, "%" PRIu64 " audit entries, meta says %" PRIu64,
		           c.audits, st->meta.audit_seq);
		return -1;
	}
	return ak_store_audit_verify(st, e);
}
