/* The compact key record of a bundle: the store's record without its
 * fixed widths. The id comes first and bare (12 bytes, what the body is
 * sorted by), integers are LEB128 varints, strings a varint length and
 * the bytes, the verifier and addresses bare:
 *
 *   id[12] owner name alg hash[32] created created_by expires state
 *   disabled disabled_by disabled_reason revoked revoked_by revoked_reason
 *   n_services service... n_sources (family bits addr[4|16])...
 *   rotated_from rotated_to
 *
 * The decoder is strict (one encoding per key: no over-long varint, no
 * trailing byte) and hands the result through the store's own encoder and
 * strict decoder, so a bundle's key obeys every rule a stored key does. */
#include <string.h>

#include "fleet.h"

static void put_v(struct buf *b, uint64_t v)
{
	uint8_t x[10];
	size_t n = 0;

	do {
		x[n] = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v != 0)
			x[n] |= 0x80;
		n++;
	} while (v != 0);
	ka_buf_put(b, x, n);
}

static void put_s(struct buf *b, const char *s)
{
	size_t n = strlen(s);

	put_v(b, n);
	ka_buf_put(b, s, n);
}

static void put_u8(struct buf *b, uint8_t v)
{
	ka_buf_put(b, &v, 1);
}

void ka_rec_encode(struct buf *b, const struct ak_key *k)
{
	uint8_t i;

	ka_buf_put(b, k->id, AK_ID_LEN);
	put_s(b, k->owner);
	put_s(b, k->name);
	put_u8(b, k->alg);
	ka_buf_put(b, k->hash, AK_HASH_LEN);
	put_v(b, (uint64_t)k->created_ms);
	put_s(b, k->created_by);
	put_v(b, (uint64_t)k->expires_ms);
	put_u8(b, k->state);
	put_v(b, (uint64_t)k->disabled_ms);
	put_s(b, k->disabled_by);
	put_s(b, k->disabled_reason);
	put_v(b, (uint64_t)k->revoked_ms);
	put_s(b, k->revoked_by);
	put_s(b, k->revoked_reason);
	put_u8(b, k->n_services);
	for (i = 0; i < k->n_services; i++)
		put_s(b, k->services[i]);
	put_u8(b, k->n_sources);
	for (i = 0; i < k->n_sources; i++) {
		put_u8(b, k->sources[i].family);
		put_u8(b, k->sources[i].bits);
		ka_buf_put(b, k->sources[i].addr, k->sources[i].family == 4 ? 4u : 16u);
	}
	put_s(b, k->rotated_from);
	put_s(b, k->rotated_to);
}

/* A minimal LEB128 of at most 63 bits (times are never negative). */
static uint64_t get_v(struct ka_rd *c)
{
	uint64_t v = 0;
	const uint8_t *p;
	unsigned shift;

	for (shift = 0; shift < 63; shift += 7) {
		if ((p = ka_rd_take(c, 1)) == NULL)
			return 0;
		v |= (uint64_t)(*p & 0x7f) << shift;
		if ((*p & 0x80) == 0) {
			if ((*p == 0 && shift > 0) || v > (uint64_t)INT64_MAX)
				c->bad = 1; /* over-long, or past a time */
			return v;
		}
	}
	c->bad = 1;
	return 0;
}

static uint8_t get_u8(struct ka_rd *c)
{
	const uint8_t *p = ka_rd_take(c, 1);

	return p ? *p : 0;
}

static void get_bytes(struct ka_rd *c, void *out, size_t n)
{
	const uint8_t *p = ka_rd_take(c, n);

	if (p != NULL)
		memcpy(out, p, n);
}

/* At most max bytes, no NUL inside, into out[max + 1]. */
static void get_s(struct ka_rd *c, char *out, size_t max)
{
	uint64_t n = get_v(c);
	const uint8_t *p;

	out[0] = '\0';
	if (c->bad || n > max || (p = ka_rd_take(c, (size_t)n)) == NULL ||
	    memchr(p, '\0', n) != NULL) {
		c->bad = 1;
		return;
	}
	memcpy(out, p, (size_t)n);
	out[n] = '\0';
}

static void get_source(struct ka_rd *c, struct ak_cidr *s)
{
	s->family = get_u8(c);
	s->bits = get_u8(c);
	if (s->family != 4 && s->family != 6) {
		c->bad = 1;
		return;
	}
	get_bytes(c, s->addr, s->family == 4 ? 4u : 16u);
}

static void get_key(struct ka_rd *c, struct ak_key *k)
{
	uint8_t i;

	get_bytes(c, k->id, AK_ID_LEN);
	get_s(c, k->owner, AK_USER_MAX);
	get_s(c, k->name, AK_NAME_MAX);
	k->alg = get_u8(c);
	get_bytes(c, k->hash, AK_HASH_LEN);
	k->created_ms = (int64_t)get_v(c);
	get_s(c, k->created_by, AK_ACTOR_MAX);
	k->expires_ms = (int64_t)get_v(c);
	k->state = get_u8(c);
	k->disabled_ms = (int64_t)get_v(c);
	get_s(c, k->disabled_by, AK_ACTOR_MAX);
	get_s(c, k->disabled_reason, AK_REASON_MAX);
	k->revoked_ms = (int64_t)get_v(c);
	get_s(c, k->revoked_by, AK_ACTOR_MAX);
	get_s(c, k->revoked_reason, AK_REASON_MAX);
	if ((k->n_services = get_u8(c)) > AK_SERVICES_MAX)
		c->bad = 1;
	for (i = 0; !c->bad && i < k->n_services; i++)
		get_s(c, k->services[i], AK_SERVICE_LEN);
	if ((k->n_sources = get_u8(c)) > AK_SOURCES_MAX)
		c->bad = 1;
	for (i = 0; !c->bad && i < k->n_sources; i++)
		get_source(c, &k->sources[i]);
	get_s(c, k->rotated_from, AK_ID_LEN);
	get_s(c, k->rotated_to, AK_ID_LEN);
}

int ka_rec_decode(struct ak_key *k, const uint8_t *p, size_t len)
{
	struct ka_rd c = {p, len, 0, 0};
	uint8_t rec[AK_REC_MAX];
	size_t n;
	int rc = -1;

	memset(k, 0, sizeof(*k));
	get_key(&c, k);
	/* MUST: every rule of a stored key, by the store's strict decoder */
	if (!c.bad && c.off == c.len && ak_key_encode(rec, sizeof(rec), &n, k) == 0 &&
	    ak_key_decode(k, rec, n) == 0)
		rc = 0;
	sodium_memzero(rec, sizeof(rec));
	if (rc != 0)
		memset(k, 0, sizeof(*k));
	return rc;
}
