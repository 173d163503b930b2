/* The bundle codec. A bundle is independent of GDBM's on-disk format
 * (not portable across architectures or versions):
 *
 *   "AKBUNDLE" u16 version u32 header-length header signature[64] body
 *
 * header: origin (u8 length, bytes), signer key number[8], serial,
 * generation, published, valid-until, store created (u64 each, ms for
 * times), audit count u64, audit head[32], prefix (u8 length, bytes),
 * store key[32], record count u64, body length u64, body digest[32]
 * (BLAKE2b-256). body: the key records in id order, each a u16 length and
 * the store's own record encoding. The Ed25519 signature covers
 * KA_BUNDLE_CONTEXT NUL and every byte before it (so the header, and the
 * body through its digest). Integers are big-endian. */
#include <stdlib.h>
#include <string.h>

#include "fleet.h"

#define PRE_LEN 14 /* magic, version, header length */
#define SIG_LEN crypto_sign_BYTES

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void b_put(struct buf *b, const void *v, size_t n)
{
	if (n > b->cap - b->len) {
		size_t cap = b->cap ? b->cap : 4096;
		while (n > cap - b->len)
			cap *= 2;
		if (cap > KA_BUNDLE_MAX || (b->p = realloc(b->p, cap)) == NULL)
			ka_die(KA_EXIT_FAIL, "out of memory (or a bundle over 2 GiB)");
		b->cap = cap;
	}
	memcpy(b->p + b->len, v, n);
	b->len += n;
}

static void b_uint(struct buf *b, uint64_t v, unsigned n)
{
	uint8_t x[8];
	unsigned i;

	for (i = 0; i < n; i++)
		x[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	b_put(b, x, n);
}

static void b_str8(struct buf *b, const char *s)
{
	size_t n = strlen(s);

	b_uint(b, n, 1);
	b_put(b, s, n);
}

/* ---- writing ---- */

struct rec {
	size_t off; /* into the records buffer: u16 length, then the record */
};

struct collect {
	struct buf recs;
	struct rec *idx;
	size_t n, cap;
};

static int collect_key(const struct ak_key *k, void *vc)
{
	struct collect *c = vc;
	uint8_t rec[AK_REC_MAX];
	size_t len;

	if (ak_key_encode(rec, sizeof(rec), &len, k) != 0)
		ka_die(KA_EXIT_FAIL, "key %s does not encode", k->id);
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 1024;
		if ((c->idx = realloc(c->idx, c->cap * sizeof(*c->idx))) == NULL)
			ka_die(KA_EXIT_FAIL, "out of memory");
	}
	c->idx[c->n++].off = c->recs.len;
	b_uint(&c->recs, len, 2);
	b_put(&c->recs, rec, len);
	return 0;
}

/* The record's id: after the length, the tag, the version and the id's
 * own u16 length (ak_key_encode writes the id first). */
static const uint8_t *rec_id(const uint8_t *base, size_t off)
{
	return base + off + 2 + 2 + 2;
}

static const uint8_t *sort_base;

static int rec_cmp(const void *a, const void *b)
{
	return memcmp(rec_id(sort_base, ((const struct rec *)a)->off),
	              rec_id(sort_base, ((const struct rec *)b)->off), AK_ID_LEN);
}

static void body_build(struct buf *body, const struct ak_store *st, uint64_t *count)
{
	struct ak_error e = {AK_OK, ""};
	struct collect c;
	size_t i;

	memset(&c, 0, sizeof(c));
	if (ak_store_each_key(st, collect_key, &c, &e) != 0)
		ka_die_err(&e);
	sort_base = c.recs.p;
	if (c.n > 0)
		qsort(c.idx, c.n, sizeof(*c.idx), rec_cmp);
	for (i = 0; i < c.n; i++) {
		const uint8_t *r = c.recs.p + c.idx[i].off;
		b_put(body, r, 2 + ((size_t)r[0] << 8 | r[1]));
	}
	*count = c.n;
	sodium_memzero(c.recs.p, c.recs.cap);
	free(c.recs.p);
	free(c.idx);
}

static void header_put(struct buf *b, const struct ka_bundle *h)
{
	b_str8(b, h->origin);
	b_put(b, h->keynum, KA_KEYNUM_LEN);
	b_uint(b, h->serial, 8);
	b_uint(b, h->generation, 8);
	b_uint(b, (uint64_t)h->published_ms, 8);
	b_uint(b, (uint64_t)h->valid_until_ms, 8);
	b_uint(b, (uint64_t)h->created_ms, 8);
	b_uint(b, h->audit_seq, 8);
	b_put(b, h->audit_head, AK_HASH_LEN);
	b_str8(b, h->prefix);
	b_put(b, h->store_key, AK_STORE_KEY_LEN);
	b_uint(b, h->count, 8);
	b_uint(b, h->body_len, 8);
	b_put(b, h->body_digest, AK_HASH_LEN);
}

/* The bytes signed: the context, a NUL, then the file up to the signature. */
static void signed_message(struct buf *m, const uint8_t *pre, size_t n)
{
	b_put(m, KA_BUNDLE_CONTEXT, sizeof(KA_BUNDLE_CONTEXT));
	b_put(m, pre, n);
}

void ka_bundle_write(uint8_t **out, size_t *len, const struct ak_store *st,
                     const struct ka_signer *s, struct ka_bundle *h)
{
	const struct ak_meta *m = ak_store_meta(st);
	struct buf body = {NULL, 0, 0}, hdr = {NULL, 0, 0}, file = {NULL, 0, 0}, msg = {NULL, 0, 0};
	uint8_t sig[SIG_LEN];

	snprintf(h->origin, sizeof(h->origin), "%s", s->origin);
	ka_keynum(h->keynum, s->pk);
	h->generation = m->generation;
	h->created_ms = m->created_ms;
	h->audit_seq = m->audit_seq;
	memcpy(h->audit_head, m->audit_head, AK_HASH_LEN);
	snprintf(h->prefix, sizeof(h->prefix), "%s", m->prefix);
	memcpy(h->store_key, m->store_key, AK_STORE_KEY_LEN);
	body_build(&body, st, &h->count);
	h->body_len = body.len;
	crypto_generichash(h->body_digest, AK_HASH_LEN, body.p, body.len, NULL, 0);
	header_put(&hdr, h);
	b_put(&file, KA_BUNDLE_MAGIC, 8);
	b_uint(&file, KA_BUNDLE_VERSION, 2);
	b_uint(&file, hdr.len, 4);
	b_put(&file, hdr.p, hdr.len);
	signed_message(&msg, file.p, file.len);
	crypto_sign_detached(sig, NULL, msg.p, msg.len, s->sk);
	crypto_generichash(h->digest, AK_HASH_LEN, msg.p, msg.len, NULL, 0);
	b_put(&file, sig, SIG_LEN);
	b_put(&file, body.p, body.len);
	sodium_memzero(hdr.p, hdr.cap);
	sodium_memzero(msg.p, msg.cap);
	sodium_memzero(body.p, body.cap);
	free(hdr.p);
	free(msg.p);
	free(body.p);
	sodium_memzero(h->store_key, sizeof(h->store_key));
	*out = file.p;
	*len = file.len;
}

/* ---- reading: strict, like the record decoder ---- */

struct rd {
	const uint8_t *p;
	size_t len, off;
	int bad;
};

static const uint8_t *rd_take(struct rd *r, size_t n)
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

static uint64_t rd_uint(struct rd *r, unsigned n)
{
	const uint8_t *p = rd_take(r, n);
	uint64_t v = 0;
	unsigned i;

	for (i = 0; p != NULL && i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

static int64_t rd_time(struct rd *r)
{
	uint64_t v = rd_uint(r, 8);

	if (v > (uint64_t)INT64_MAX)
		r->bad = 1;
	return (int64_t)v;
}

static void rd_bytes(struct rd *r, void *out, size_t n)
{
	const uint8_t *p = rd_take(r, n);

	if (p != NULL)
		memcpy(out, p, n);
}

static void rd_str8(struct rd *r, char *out, size_t max)
{
	size_t n = (size_t)rd_uint(r, 1);
	const uint8_t *p;

	out[0] = '\0';
	if (r->bad || n > max) {
		r->bad = 1;
		return;
	}
	if ((p = rd_take(r, n)) != NULL) {
		memcpy(out, p, n);
		out[n] = '\0';
	}
}

static int header_get(struct ka_bundle *h, const uint8_t *p, size_t len)
{
	struct rd r = {p, len, 0, 0};

	rd_str8(&r, h->origin, AK_ORIGIN_MAX);
	rd_bytes(&r, h->keynum, KA_KEYNUM_LEN);
	h->serial = rd_uint(&r, 8);
	h->generation = rd_uint(&r, 8);
	h->published_ms = rd_time(&r);
	h->valid_until_ms = rd_time(&r);
	h->created_ms = rd_time(&r);
	h->audit_seq = rd_uint(&r, 8);
	rd_bytes(&r, h->audit_head, AK_HASH_LEN);
	rd_str8(&r, h->prefix, AK_PREFIX_MAX);
	rd_bytes(&r, h->store_key, AK_STORE_KEY_LEN);
	h->count = rd_uint(&r, 8);
	h->body_len = rd_uint(&r, 8);
	rd_bytes(&r, h->body_digest, AK_HASH_LEN);
	if (r.bad || r.off != r.len || !ak_origin_valid(h->origin) || !ak_prefix_valid(h->prefix) ||
	    h->serial == 0 || h->valid_until_ms <= h->published_ms)
		return -1;
	return 0;
}

static int why_set(char *why, size_t cap, const char *msg)
{
	snprintf(why, cap, "%s", msg);
	return -1;
}

/* Magic, version and lengths: what a truncated or foreign file fails. */
static int frame_check(const uint8_t *buf, size_t len, size_t *hlen, char *why, size_t cap)
{
	if (len < PRE_LEN || memcmp(buf, KA_BUNDLE_MAGIC, 8) != 0)
		return why_set(why, cap, "malformed: not an apikey bundle");
	if (((unsigned)buf[8] << 8 | buf[9]) != KA_BUNDLE_VERSION)
		return why_set(why, cap, "malformed: unknown bundle format version");
	*hlen = (size_t)buf[10] << 24 | (size_t)buf[11] << 16 | (size_t)buf[12] << 8 | buf[13];
	if (*hlen > 4096 || len < PRE_LEN + *hlen + SIG_LEN)
		return why_set(why, cap, "truncated or malformed: the header is incomplete");
	return 0;
}

int ka_bundle_open(struct ka_bundle *h, const uint8_t *buf, size_t len,
                   const struct ka_signer *trust, char *why, size_t cap)
{
	struct buf msg = {NULL, 0, 0};
	uint8_t keynum[KA_KEYNUM_LEN], digest[AK_HASH_LEN];
	size_t hlen;
	int bad;

	memset(h, 0, sizeof(*h));
	if (frame_check(buf, len, &hlen, why, cap) != 0)
		return -1;
	if (header_get(h, buf + PRE_LEN, hlen) != 0)
		return why_set(why, cap, "malformed: the header does not decode");
	ka_keynum(keynum, trust->pk);
	if (memcmp(keynum, h->keynum, KA_KEYNUM_LEN) != 0)
		return why_set(why, cap, "untrusted: signed by another key than the trusted one");
	signed_message(&msg, buf, PRE_LEN + hlen);
	bad = crypto_sign_verify_detached(buf + PRE_LEN + hlen, msg.p, msg.len, trust->pk);
	crypto_generichash(h->digest, AK_HASH_LEN, msg.p, msg.len, NULL, 0);
	free(msg.p);
	if (bad != 0)
		return why_set(why, cap, "bad signature: the bundle was altered or forged");
	if (len - PRE_LEN - hlen - SIG_LEN != h->body_len)
		return why_set(why, cap,
		               len - PRE_LEN - hlen - SIG_LEN < h->body_len
		                       ? "truncated: the body is shorter than signed"
		                       : "malformed: bytes after the signed body");
	h->body = buf + PRE_LEN + hlen + SIG_LEN;
	crypto_generichash(digest, AK_HASH_LEN, h->body, h->body_len, NULL, 0);
	if (sodium_memcmp(digest, h->body_digest, AK_HASH_LEN) != 0)
		return why_set(why, cap,
		               "bad signature: the body does not match its signed digest");
	return 0;
}

int ka_bundle_each(const struct ka_bundle *h, int (*fn)(const struct ak_key *, void *), void *ctx,
                   char *why, size_t cap)
{
	struct rd r = {h->body, h->body_len, 0, 0};
	char last[AK_ID_LEN + 1] = "";
	struct ak_key k;
	uint64_t n;
	int rc = 0;

	for (n = 0; rc == 0 && r.off < r.len; n++) {
		size_t len = (size_t)rd_uint(&r, 2);
		const uint8_t *p = rd_take(&r, len);
		if (p == NULL || ak_key_decode(&k, p, len) != 0)
			return why_set(why, cap, "malformed: a key record does not decode");
		/* MUST: one canonical order, so one store has one bundle body */
		if (strcmp(k.id, last) <= 0)
			return why_set(why, cap, "malformed: key records out of order");
		memcpy(last, k.id, sizeof(last));
		rc = fn(&k, ctx);
	}
	sodium_memzero(&k, sizeof(k));
	if (rc == 0 && n != h->count)
		return why_set(why, cap, "malformed: the record count does not match the header");
	return rc;
}
