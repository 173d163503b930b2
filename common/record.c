/* Versioned, length-prefixed binary records with a strict decoder:
 * truncation, trailing bytes, unknown versions, over-long fields and
 * values out of range are AK_E_CORRUPT, never a crash.
 *
 * Every record: tag byte, version byte, then fields in a fixed order.
 * Integers are big-endian; strings are a u16 length and the bytes (no NUL
 * inside); fixed byte arrays have no length. */
#include <string.h>

#include <sodium.h>

#include "internal.h"

#define TAG_KEY 'K'
#define TAG_META 'M'
#define TAG_AUDIT 'A'
#define REC_VERSION 1

struct wbuf {
	uint8_t *p;
	size_t cap, len;
	int bad;
};

struct rbuf {
	const uint8_t *p;
	size_t len, off;
	int bad;
};

static void w_bytes(struct wbuf *w, const void *v, size_t n)
{
	if (w->bad || n > w->cap - w->len) {
		w->bad = 1;
		return;
	}
	memcpy(w->p + w->len, v, n);
	w->len += n;
}

static void w_uint(struct wbuf *w, uint64_t v, unsigned bytes)
{
	uint8_t b[8];
	unsigned i;

	for (i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
	w_bytes(w, b, bytes);
}

static void w_str(struct wbuf *w, const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n > max) {
		w->bad = 1;
		return;
	}
	w_uint(w, n, 2);
	w_bytes(w, s, n);
}

static const uint8_t *r_take(struct rbuf *r, size_t n)
{
	const uint8_t *p;

	if (r->bad || n > r->len - r->off) {
		r->bad = 1;
		return NULL;
	}
	p = r->p + r->off;
	r->off += n;
	return p;
}

static uint64_t r_uint(struct rbuf *r, unsigned bytes)
{
	const uint8_t *p = r_take(r, bytes);
	uint64_t v = 0;
	unsigned i;

	if (p == NULL)
		return 0;
	for (i = 0; i < bytes; i++)
		v = (v << 8) | p[i];
	return v;
}

static int64_t r_time(struct rbuf *r)
{
	uint64_t v = r_uint(r, 8);

	if (v > (uint64_t)INT64_MAX)
		r->bad = 1;
	return (int64_t)v;
}

static void r_bytes(struct rbuf *r, void *out, size_t n)
{
	const uint8_t *p = r_take(r, n);

	if (p != NULL)
		memcpy(out, p, n);
}

/* A string of at most max bytes, no NUL inside, into out[max + 1]. */
static void r_str(struct rbuf *r, char *out, size_t max)
{
	size_t n = (size_t)r_uint(r, 2);
	const uint8_t *p;

	out[0] = '\0';
	if (r->bad)
		return;
	if (n > max) {
		r->bad = 1;
		return;
	}
	if ((p = r_take(r, n)) == NULL)
		return;
	if (memchr(p, '\0', n) != NULL) {
		r->bad = 1;
		return;
	}
	memcpy(out, p, n);
	out[n] = '\0';
}

static void r_header(struct rbuf *r, uint8_t tag)
{
	if (r_uint(r, 1) != tag || r_uint(r, 1) != REC_VERSION)
		r->bad = 1;
}

static int r_finish(struct rbuf *r)
{
	return (r->bad || r->off != r->len) ? -1 : 0;
}

static int id_or_empty(const char *id)
{
	return id[0] == '\0' || ak_id_valid(id);
}

int ak_key_encode(uint8_t *buf, size_t cap, size_t *len, const struct ak_key *k)
{
	struct wbuf w = {buf, cap, 0, 0};
	uint8_t i;

	if (buf == NULL || len == NULL || k == NULL)
		return -1;
	if (k->n_services > AK_SERVICES_MAX || k->n_sources > AK_SOURCES_MAX)
		return -1;
	w_uint(&w, TAG_KEY, 1);
	w_uint(&w, REC_VERSION, 1);
	w_str(&w, k->id, AK_ID_LEN);
	w_str(&w, k->owner, AK_USER_MAX);
	w_str(&w, k->name, AK_NAME_MAX);
	w_uint(&w, k->alg, 1);
	w_bytes(&w, k->hash, AK_HASH_LEN);
	w_uint(&w, (uint64_t)k->created_ms, 8);
	w_str(&w, k->created_by, AK_ACTOR_MAX);
	w_uint(&w, (uint64_t)k->expires_ms, 8);
	w_uint(&w, k->state, 1);
	w_uint(&w, (uint64_t)k->disabled_ms, 8);
	w_str(&w, k->disabled_by, AK_ACTOR_MAX);
	w_str(&w, k->disabled_reason, AK_REASON_MAX);
	w_uint(&w, (uint64_t)k->revoked_ms, 8);
	w_str(&w, k->revoked_by, AK_ACTOR_MAX);
	w_str(&w, k->revoked_reason, AK_REASON_MAX);
	w_uint(&w, k->n_services, 1);
	for (i = 0; i < k->n_services; i++)
		w_str(&w, k->services[i], AK_SERVICE_LEN);
	w_uint(&w, k->n_sources, 1);
	for (i = 0; i < k->n_sources; i++) {
		w_uint(&w, k->sources[i].family, 1);
		w_uint(&w, k->sources[i].bits, 1);
		w_bytes(&w, k->sources[i].addr, k->sources[i].family == 4 ? 4u : 16u);
	}
	w_str(&w, k->rotated_from, AK_ID_LEN);
	w_str(&w, k->rotated_to, AK_ID_LEN);
	if (w.bad)
		return -1;
	*len = w.len;
	return 0;
}

static void r_source(struct rbuf *r, struct ak_cidr *c)
{
	memset(c, 0, sizeof(*c));
	c->family = (uint8_t)r_uint(r, 1);
	c->bits = (uint8_t)r_uint(r, 1);
	if (r->bad || (c->family != 4 && c->family != 6) || c->bits > (c->family == 4 ? 32 : 128)) {
		r->bad = 1;
		return;
	}
	r_bytes(r, c->addr, c->family == 4 ? 4u : 16u);
}

/* Field-level rules the codec enforces beyond the byte layout. */
static int key_fields_valid(const struct ak_key *k)
{
	uint8_t i;

	if (!ak_id_valid(k->id) || !ak_user_valid(k->owner) || k->alg != AK_HASH_HMAC_SHA256)
		return 0;
	if (k->state < AK_STATE_ACTIVE || k->state > AK_STATE_REVOKED)
		return 0;
	if (!id_or_empty(k->rotated_from) || !id_or_empty(k->rotated_to))
		return 0;
	for (i = 0; i < k->n_services; i++)
		if (k->services[i][0] == '\0')
			return 0;
	return 1;
}

int ak_key_decode(struct ak_key *k, const uint8_t *buf, size_t len)
{
	struct rbuf r = {buf, len, 0, 0};
	uint8_t i;

	if (k == NULL || buf == NULL)
		return -1;
	memset(k, 0, sizeof(*k));
	r_header(&r, TAG_KEY);
	r_str(&r, k->id, AK_ID_LEN);
	r_str(&r, k->owner, AK_USER_MAX);
	r_str(&r, k->name, AK_NAME_MAX);
	k->alg = (uint8_t)r_uint(&r, 1);
	r_bytes(&r, k->hash, AK_HASH_LEN);
	k->created_ms = r_time(&r);
	r_str(&r, k->created_by, AK_ACTOR_MAX);
	k->expires_ms = r_time(&r);
	k->state = (uint8_t)r_uint(&r, 1);
	k->disabled_ms = r_time(&r);
	r_str(&r, k->disabled_by, AK_ACTOR_MAX);
	r_str(&r, k->disabled_reason, AK_REASON_MAX);
	k->revoked_ms = r_time(&r);
	r_str(&r, k->revoked_by, AK_ACTOR_MAX);
	r_str(&r, k->revoked_reason, AK_REASON_MAX);
	k->n_services = (uint8_t)r_uint(&r, 1);
	if (k->n_services > AK_SERVICES_MAX)
		r.bad = 1;
	for (i = 0; !r.bad && i < k->n_services; i++)
		r_str(&r, k->services[i], AK_SERVICE_LEN);
	k->n_sources = (uint8_t)r_uint(&r, 1);
	if (k->n_sources > AK_SOURCES_MAX)
		r.bad = 1;
	for (i = 0; !r.bad && i < k->n_sources; i++)
		r_source(&r, &k->sources[i]);
	r_str(&r, k->rotated_from, AK_ID_LEN);
	r_str(&r, k->rotated_to, AK_ID_LEN);
	if (r_finish(&r) != 0 || !key_fields_valid(k)) {
		memset(k, 0, sizeof(*k));
		return -1;
	}
	return 0;
}

/* Version 2 of the meta record: version 1 and the fleet fields. A store
 * outside a fleet keeps writing version 1, byte for byte. */
#define META_FLEET_VERSION 2

static void w_meta_fleet(struct wbuf *w, const struct ak_meta *m)
{
	w_str(w, m->origin, AK_ORIGIN_MAX);
	w_uint(w, m->fleet_role, 1);
	w_uint(w, m->fleet_stale, 1);
	w_uint(w, m->serial, 8);
	w_uint(w, (uint64_t)m->published_ms, 8);
	w_uint(w, (uint64_t)m->valid_until_ms, 8);
	w_uint(w, (uint64_t)m->installed_ms, 8);
	w_uint(w, m->origin_generation, 8);
	w_bytes(w, m->origin_audit_head, AK_HASH_LEN);
	w_bytes(w, m->bundle_digest, AK_HASH_LEN);
}

static void r_meta_fleet(struct rbuf *r, struct ak_meta *m)
{
	r_str(r, m->origin, AK_ORIGIN_MAX);
	m->fleet_role = (uint8_t)r_uint(r, 1);
	m->fleet_stale = (uint8_t)r_uint(r, 1);
	m->serial = r_uint(r, 8);
	m->published_ms = r_time(r);
	m->valid_until_ms = r_time(r);
	m->installed_ms = r_time(r);
	m->origin_generation = r_uint(r, 8);
	r_bytes(r, m->origin_audit_head, AK_HASH_LEN);
	r_bytes(r, m->bundle_digest, AK_HASH_LEN);
	if (m->origin[0] == '\0' || !ak_origin_valid(m->origin) ||
	    m->fleet_role > AK_ROLE_REPLICA || m->fleet_stale > AK_STALE_WARN)
		r->bad = 1;
}

int ak_meta_encode(uint8_t *buf, size_t cap, size_t *len, const struct ak_meta *m)
{
	struct wbuf w = {buf, cap, 0, 0};

	if (buf == NULL || len == NULL || m == NULL)
		return -1;
	w_uint(&w, TAG_META, 1);
	w_uint(&w, m->origin[0] ? META_FLEET_VERSION : REC_VERSION, 1);
	w_uint(&w, m->schema, 4);
	w_str(&w, m->prefix, AK_PREFIX_MAX);
	w_bytes(&w, m->store_key, AK_STORE_KEY_LEN);
	w_uint(&w, m->generation, 8);
	w_uint(&w, (uint64_t)m->created_ms, 8);
	w_uint(&w, m->audit_seq, 8);
	w_bytes(&w, m->audit_head, AK_HASH_LEN);
	if (m->origin[0])
		w_meta_fleet(&w, m);
	if (w.bad)
		return -1;
	*len = w.len;
	return 0;
}

int ak_meta_decode(struct ak_meta *m, const uint8_t *buf, size_t len)
{
	struct rbuf r = {buf, len, 0, 0};
	uint64_t version;

	if (m == NULL || buf == NULL)
		return -1;
	memset(m, 0, sizeof(*m));
	if (r_uint(&r, 1) != TAG_META)
		r.bad = 1;
	version = r_uint(&r, 1);
	if (version != REC_VERSION && version != META_FLEET_VERSION)
		r.bad = 1;
	m->schema = (uint32_t)r_uint(&r, 4);
	r_str(&r, m->prefix, AK_PREFIX_MAX);
	r_bytes(&r, m->store_key, AK_STORE_KEY_LEN);
	m->generation = r_uint(&r, 8);
	m->created_ms = r_time(&r);
	m->audit_seq = r_uint(&r, 8);
	r_bytes(&r, m->audit_head, AK_HASH_LEN);
	if (version == META_FLEET_VERSION)
		r_meta_fleet(&r, m);
	if (r_finish(&r) != 0 || m->schema != AK_SCHEMA || !ak_prefix_valid(m->prefix)) {
		sodium_memzero(m, sizeof(*m));
		return -1;
	}
	return 0;
}

int ak_audit_encode(uint8_t *buf, size_t cap, size_t *len, const struct ak_audit *a)
{
	struct wbuf w = {buf, cap, 0, 0};

	if (buf == NULL || len == NULL || a == NULL)
		return -1;
	w_uint(&w, TAG_AUDIT, 1);
	w_uint(&w, REC_VERSION, 1);
	w_uint(&w, a->seq, 8);
	w_uint(&w, (uint64_t)a->time_ms, 8);
	w_str(&w, a->actor, AK_ACTOR_MAX);
	w_str(&w, a->action, AK_ACTION_MAX);
	w_str(&w, a->id, AK_ID_LEN);
	w_str(&w, a->owner, AK_USER_MAX);
	w_str(&w, a->reason, AK_REASON_MAX);
	w_bytes(&w, a->prev, AK_HASH_LEN);
	if (w.bad)
		return -1;
	*len = w.len;
	return 0;
}

int ak_audit_decode(struct ak_audit *a, const uint8_t *buf, size_t len)
{
	struct rbuf r = {buf, len, 0, 0};

	if (a == NULL || buf == NULL)
		return -1;
	memset(a, 0, sizeof(*a));
	r_header(&r, TAG_AUDIT);
	a->seq = r_uint(&r, 8);
	a->time_ms = r_time(&r);
	r_str(&r, a->actor, AK_ACTOR_MAX);
	r_str(&r, a->action, AK_ACTION_MAX);
	r_str(&r, a->id, AK_ID_LEN);
	r_str(&r, a->owner, AK_USER_MAX);
	r_str(&r, a->reason, AK_REASON_MAX);
	r_bytes(&r, a->prev, AK_HASH_LEN);
	if (r_finish(&r) != 0 || a->seq == 0 || a->action[0] == '\0' || !id_or_empty(a->id)) {
		memset(a, 0, sizeof(*a));
		return -1;
	}
	return 0;
}

void ak_audit_hash(uint8_t *out, const struct ak_audit *a)
{
	uint8_t buf[AK_REC_MAX];
	size_t len = 0;

	if (ak_audit_encode(buf, sizeof(buf), &len, a) != 0)
		len = 0; /* unencodable entries never reach the store */
	crypto_hash_sha256(out, buf, len);
}
