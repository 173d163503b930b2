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
	int rc;

	snprintf(rk, sizeof(rk), AK_AUDIT_PFX "%" PRIu64, seq);
	if ((rc = ak_db_get(st, rk, &v, &len, e)) != AK_OK) {
		if (rc == AK_E_NOENT) {
			ak_err_set(e, AK_E_CORRUPT, "audit entry %" PRIu64 " is missing", seq);
			rc = AK_E_CORRUPT;
		}
		return rc;
	}
	rc = ak_audit_decode(a, v, len);
	free(v);
	if (rc != 0 || a->seq != seq) {
		ak_err_set(e, AK_E_CORRUPT, "audit entry %" PRIu64 " is corrupt", seq);
		return AK_E_CORRUPT;
	}
	return AK_OK;
}

int ak_store_each_audit(const struct ak_store *st, uint64_t from,
                        int (*fn)(const struct ak_audit *, void *), void *ctx, struct ak_error *e)
{
	struct ak_audit a;
	uint64_t seq;
	int rc;

	if (st == NULL || fn == NULL || from == 0)
		return AK_E_INVAL;
	for (seq = from; seq <= st->meta.audit_seq; seq++) {
		if ((rc = audit_get(st, &a, seq, e)) != AK_OK)
			return rc;
		if (fn(&a, ctx) != 0)
			break;
	}
	return AK_OK;
}

int ak_store_audit_verify(const struct ak_store *st, struct ak_error *e)
{
	uint8_t prev[AK_HASH_LEN];
	struct ak_audit a;
	uint64_t seq;
	int rc;

	if (st == NULL)
		return AK_E_INVAL;
	memset(prev, 0, sizeof(prev));
	for (seq = 1; seq <= st->meta.audit_seq; seq++) {
		if ((rc = audit_get(st, &a, seq, e)) != AK_OK)
			return rc;
		if (sodium_memcmp(a.prev, prev, AK_HASH_LEN) != 0) {
			ak_err_set(e, AK_E_CORRUPT,
			           "audit chain broken at entry %" PRIu64
			           ": it does not follow entry %" PRIu64,
			           seq, seq - 1);
			return AK_E_CORRUPT;
		}
		ak_audit_hash(prev, &a);
	}
	if (sodium_memcmp(prev, st->meta.audit_head, AK_HASH_LEN) != 0) {
		ak_err_set(e, AK_E_CORRUPT,
		           "audit chain broken: entry %" PRIu64 " is not the recorded head",
		           st->meta.audit_seq);
		return AK_E_CORRUPT;
	}
	return AK_OK;
}
