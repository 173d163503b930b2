/* The admin audit trail: a:<seq> entries, each carrying the hash of the
 * one before, the newest hash kept in meta. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "internal.h"

static int audit_get(const struct ak_store *st, struct ak_audit *a, uint64_t seq,
                     struct ak_error *e)
{
	char rk[32];
	uint8_t *v = NULL;
	size_t len = 0;
	int found, rc;

	snprintf(rk, sizeof(rk), AK_AUDIT_PFX "%" PRIu64, seq);
	if (ak_db_find(&v, &len, &found, st, rk, e) != 0)
		return -1;
	if (!found) {
		ak_err_set(e, AK_E_CORRUPT, "audit entry %" PRIu64 " is missing", seq);
		return -1;
	}
	rc = ak_audit_decode(a, v, len);
	free(v);
	if (rc != 0 || a->seq != seq) {
		ak_err_set(e, AK_E_CORRUPT, "audit entry %" PRIu64 " is corrupt", seq);
		return -1;
	}
	return 0;
}

int ak_store_each_audit(const struct ak_store *st, uint64_t from,
                        int (*fn)(const struct ak_audit *, void *), void *ctx, struct ak_error *e)
{
	struct ak_audit a;
	uint64_t seq;

	if (st == NULL || fn == NULL || from == 0) {
		ak_err_set(e, AK_E_INVAL, "no store, no callback or no first entry");
		return -1;
	}
	for (seq = from; seq <= st->meta.audit_seq; seq++) {
		if (audit_get(st, &a, seq, e) != 0)
			return -1;
		if (fn(&a, ctx) != 0)
			break;
	}
	return 0;
}

int ak_store_audit_verify(const struct ak_store *st, struct ak_error *e)
{
	uint8_t prev[AK_HASH_LEN];
	struct ak_audit a;
	uint64_t seq;

	if (st == NULL) {
		ak_err_set(e, AK_E_INVAL, "no store");
		return -1;
	}
	memset(prev, 0, sizeof(prev));
	for (seq = 1; seq <= st->meta.audit_seq; seq++) {
		if (audit_get(st, &a, seq, e) != 0)
			return -1;
		if (sodium_memcmp(a.prev, prev, AK_HASH_LEN) != 0) {
			ak_err_set(e, AK_E_CORRUPT,
			           "audit chain broken at entry %" PRIu64
			           ": it does not follow entry %" PRIu64,
			           seq, seq - 1);
			return -1;
		}
		ak_audit_hash(prev, &a);
	}
	if (sodium_memcmp(prev, st->meta.audit_head, AK_HASH_LEN) != 0) {
		ak_err_set(e, AK_E_CORRUPT,
		           "audit chain broken: entry %" PRIu64 " is not the recorded head",
		           st->meta.audit_seq);
		return -1;
	}
	return 0;
}
