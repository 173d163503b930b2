/* What an install changes on a replica, key by key: the installed store's
 * keys (id, state, a digest of the record) sorted by id, merged with the
 * bundle's records, which come in id order. The changes become the
 * replica's audit entries, so its syslog lines and its hooks (a cache
 * flush) name the keys and users, as on the primary. */
#include <stdlib.h>
#include <string.h>

#include "fleet.h"

#define DIGEST_LEN 16

struct ka_seen {
	char id[AK_ID_LEN];
	uint8_t state;
	uint8_t digest[DIGEST_LEN];
};

static void key_digest(uint8_t *out, const struct ak_key *k)
{
	uint8_t rec[AK_REC_MAX];
	size_t len = 0;

	if (ak_key_encode(rec, sizeof(rec), &len, k) != 0)
		len = 0; /* every key read from a store encodes */
	crypto_generichash(out, DIGEST_LEN, rec, len, NULL, 0);
	sodium_memzero(rec, sizeof(rec));
}

void ka_diff_add(struct ka_diff *d, const struct ak_key *k)
{
	struct ka_seen *s;

	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 1024;
		if ((d->v = realloc(d->v, d->cap * sizeof(*d->v))) == NULL)
			ka_die(KA_EXIT_FAIL, "out of memory");
	}
	s = &d->v[d->n++];
	memcpy(s->id, k->id, AK_ID_LEN);
	s->state = k->state;
	key_digest(s->digest, k);
}

static int seen_cmp(const void *a, const void *b)
{
	return memcmp(((const struct ka_seen *)a)->id, ((const struct ka_seen *)b)->id, AK_ID_LEN);
}

void ka_diff_sort(struct ka_diff *d)
{
	if (d->n > 1)
		qsort(d->v, d->n, sizeof(*d->v), seen_cmp);
	d->at = 0;
}

static const char *changed(uint8_t from, uint8_t to)
{
	if (to == AK_STATE_REVOKED && from != AK_STATE_REVOKED)
		return "revoke";
	if (to == AK_STATE_DISABLED && from == AK_STATE_ACTIVE)
		return "disable";
	if (to == AK_STATE_ACTIVE && from == AK_STATE_DISABLED)
		return "enable";
	return "set";
}

/* The action of bundle key k: "create", "revoke", "disable", "enable",
 * "set", or NULL when unchanged. The installed keys before k (gone from
 * the bundle) go to gone(id, ctx) first. */
const char *ka_diff_next(struct ka_diff *d, const struct ak_key *k,
                         void (*gone)(const char *id, void *ctx), void *ctx)
{
	uint8_t dg[DIGEST_LEN];
	struct ka_seen *s;

	while (d->at < d->n && memcmp(d->v[d->at].id, k->id, AK_ID_LEN) < 0)
		gone(d->v[d->at++].id, ctx);
	if (d->at == d->n || memcmp(d->v[d->at].id, k->id, AK_ID_LEN) != 0)
		return "create";
	s = &d->v[d->at++];
	key_digest(dg, k);
	if (memcmp(dg, s->digest, DIGEST_LEN) == 0)
		return NULL;
	return changed(s->state, k->state);
}

void ka_diff_rest(struct ka_diff *d, void (*gone)(const char *id, void *ctx), void *ctx)
{
	while (d->at < d->n)
		gone(d->v[d->at++].id, ctx);
}

void ka_diff_free(struct ka_diff *d)
{
	free(d->v);
	memset(d, 0, sizeof(*d));
}
