/* A replica's memory of revocations: the ids of every key it has seen
 * revoked, kept across installs so that a key the primary revoked and
 * then purged cannot come back active from a primary restored from an
 * old backup. One record, "revoked": AK_ID_LEN bytes per id, sorted,
 * no separators. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int ids_valid(const uint8_t *v, size_t len)
{
	char id[AK_ID_LEN + 1];
	size_t i;

	if (len % AK_ID_LEN != 0)
		return 0;
	for (i = 0; i < len; i += AK_ID_LEN) {
		memcpy(id, v + i, AK_ID_LEN);
		id[AK_ID_LEN] = '\0';
		if (!ak_id_valid(id) || (i > 0 && memcmp(v + i - AK_ID_LEN, v + i, AK_ID_LEN) >= 0))
			return 0;
	}
	return 1;
}

int ak_store_tombstones(char **ids, size_t *n, const struct ak_store *st, struct ak_error *e)
{
	uint8_t *v = NULL;
	size_t len = 0;
	int found;

	if (st == NULL || ids == NULL || n == NULL) {
		ak_err_set(e, AK_E_INVAL, "bad arguments");
		return -1;
	}
	*ids = NULL;
	*n = 0;
	if (ak_db_find(&v, &len, &found, st, AK_TOMB_KEY, e) != 0)
		return -1;
	if (!found)
		return 0;
	if (!ids_valid(v, len)) {
		free(v);
		ak_err_set(e, AK_E_CORRUPT, "the record of revoked ids does not decode");
		return -1;
	}
	*ids = (char *)v;
	*n = len / AK_ID_LEN;
	return 0;
}

int ak_txn_put_tombstones(struct ak_txn *t, const char *ids, size_t n, struct ak_error *e)
{
	struct ak_store *st = ak_txn_store(t);

	if (st == NULL || (n > 0 && ids == NULL) ||
	    !ids_valid((const uint8_t *)ids, n * AK_ID_LEN)) {
		ak_err_set(e, AK_E_INVAL, "invalid list of revoked ids");
		return -1;
	}
	if (n == 0)
		return 0;
	return ak_db_put(st, AK_TOMB_KEY, (const uint8_t *)ids, n * AK_ID_LEN, 1, e);
}

int ak_tombstones_check(const struct ak_store *st, struct ak_error *e)
{
	char *ids = NULL;
	size_t n = 0;
	int rc = ak_store_tombstones(&ids, &n, st, e);

	free(ids);
	return rc;
}
