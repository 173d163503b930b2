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
 * the compact record of bundle_rec.c. The Ed25519 signature covers
 * KA_BUNDLE_CONTEXT NUL and every byte before it (so the header, and the
 * body through its digest). Integers are big-endian. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"

#define PRE_LEN 14 /* magic, version, header length */
#define SIG_LEN crypto_sign_BYTES

void ka_buf_put(struct buf *b, const void *v, size_t n)
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
	ka_buf_put(b, x, n);
}

static void b_str8(struct buf *b, const char *s)
{
	size_t n = strlen(s);

	b_uint(b, n, 1);
	ka_buf_put(b, s, n);
}

/* ---- writing ---- */

static int collect_key(const struct ak_key *k, void *vc)
{
	struct ka_bundle_out *c = vc;

	c->one.len = 0;
	ka_rec_encode(&c->one, k);
	if (c->one.len > 0xffff)
		ka_die(KA_EXIT_FAIL, "key %s does not encode", k->id);
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 1024;
		if ((c->idx = realloc(c->idx, c->cap * sizeof(*c->idx))) == NULL)
			ka_die(KA_EXIT_FAIL, "out of memory");
	}
	c->idx[c->n++] = c->recs.len;
	b_uint(&c->recs, c->one.len, 2);
	ka_buf_put(&c->recs, c->one.p, c->one.len);
	return 0;
}

/* The record's id: right after its length (the compact record starts
 * with it, bare). */
static const uint8_t *rec_id(const uint8_t *base, size_t off)
{
	return base + off + 2;
}

static size_t rec_len(const uint8_t *base, size_t off)
{
	return 2 + ((size_t)base[off] << 8 | base[off + 1]);
}

static const uint8_t *sort_base;

static int rec_cmp(const void *a, const void *b)
{
	return memcmp(rec_id(sort_base, *(const size_t *)a), rec_id(sort_base, *(const size_t *)b),
	              AK_ID_LEN);
}

/* Every key's record, sorted by id in an index (the records are never
 * copied), and the body's digest over them in that order. */
static void body_build(struct ka_bundle_out *o, const struct ak_store *st, struct ka_bundle *h)
{
	struct ak_error e = {AK_OK, ""};
	crypto_generichash_state hs;
	size_t i;

	if (ak_store_each_key(st, collect_key, o, &e) != 0)
		ka_die_err(&e);
	sort_base = o->recs.p;
	if (o->n > 0)
		qsort(o->idx, o->n, sizeof(*o->idx), rec_cmp);
	crypto_generichash_init(&hs, NULL, 0, AK_HASH_LEN);
	for (i = 0, h->body_len = 0; i < o->n; i++) {
		size_t n = rec_len(o->recs.p, o->idx[i]);
		crypto_generichash_update(&hs, o->recs.p + o->idx[i], n);
		h->body_len += n;
	}
	crypto_generichash_final(&hs, h->body_digest, AK_HASH_LEN);
	h->count = o->n;
}

static void header_put(struct buf *b, const struct ka_bundle *h)
{
	b_str8(b, h->origin);
	ka_buf_put(b, h->keynum, KA_KEYNUM_LEN);
	b_uint(b, h->serial, 8);
	b_uint(b, h->generation, 8);
	b_uint(b, (uint64_t)h->published_ms, 8);
	b_uint(b, (uint64_t)h->valid_until_ms, 8);
	b_uint(b, (uint64_t)h->created_ms, 8);
	b_uint(b, h->audit_seq, 8);
	ka_buf_put(b, h->audit_head, AK_HASH_LEN);
	b_str8(b, h->prefix);
	ka_buf_put(b, h->store_key, AK_STORE_KEY_LEN);
	b_uint(b, h->count, 8);
	b_uint(b, h->body_len, 8);
	ka_buf_put(b, h->body_digest, AK_HASH_LEN);
}

/* The bytes signed: the context, a NUL, then the file up to the signature. */
static void signed_message(struct buf *m, const uint8_t *pre, size_t n)
{
	ka_buf_put(m, KA_BUNDLE_CONTEXT, sizeof(KA_BUNDLE_CONTEXT));
	ka_buf_put(m, pre, n);
}

void ka_bundle_build(struct ka_bundle_out *o, const struct ak_store *st, const struct ka_signer *s,
                     struct ka_bundle *h)
{
	const struct ak_meta *m = ak_store_meta(st);
	struct buf hdr = {NULL, 0, 0}, msg = {NULL, 0, 0};
	uint8_t sig[SIG_LEN];

	memset(o, 0, sizeof(*o));
	snprintf(h->origin, sizeof(h->origin), "%s", s->origin);
	ka_keynum(h->keynum, s->pk);
	h->generation = m->generation;
	h->created_ms = m->created_ms;
	h->audit_seq = m->audit_seq;
	memcpy(h->audit_head, m->audit_head, AK_HASH_LEN);
	snprintf(h->prefix, sizeof(h->prefix), "%s", m->prefix);
	memcpy(h->store_key, m->store_key, AK_STORE_KEY_LEN);
	body_build(o, st, h);
	header_put(&hdr, h);
	ka_buf_put(&o->head, KA_BUNDLE_MAGIC, 8);
	b_uint(&o->head, KA_BUNDLE_VERSION, 2);
	b_uint(&o->head, hdr.len, 4);
	ka_buf_put(&o->head, hdr.p, hdr.len);
	signed_message(&msg, o->head.p, o->head.len);
	crypto_sign_detached(sig, NULL, msg.p, msg.len, s->sk);
	crypto_generichash(h->digest, AK_HASH_LEN, msg.p, msg.len, NULL, 0);
	ka_buf_put(&o->head, sig, SIG_LEN);
	sodium_memzero(hdr.p, hdr.cap);
	sodium_memzero(msg.p, msg.cap);
	free(hdr.p);
	free(msg.p);
	sodium_memzero(h->store_key, sizeof(h->store_key));
	o->len = o->head.len + h->body_len;
}

int ka_bundle_emit(FILE *f, const struct ka_bundle_out *o)
{
	size_t i;

	if (fwrite(o->head.p, 1, o->head.len, f) != o->head.len)
		return -1;
	for (i = 0; i < o->n; i++) {
		size_t n = rec_len(o->recs.p, o->idx[i]);
		if (fwrite(o->recs.p + o->idx[i], 1, n, f) != n)
			return -1;
	}
	return fflush(f) == 0 ? 0 : -1;
}

void ka_bundle_free(struct ka_bundle_out *o)
{
	if (o->recs.p != NULL)
		sodium_memzero(o->recs.p, o->recs.cap);
	if (o->head.p != NULL)
		sodium_memzero(o->head.p, o->head.cap);
	if (o->one.p != NULL)
		sodium_memzero(o->one.p, o->one.cap);
	free(o->recs.p);
	free(o->head.p);
	free(o->one.p);
	free(o->idx);
	memset(o, 0, sizeof(*o));
}

/* ---- reading: strict, like the record decoder ---- */

const uint8_t *ka_rd_take(struct ka_rd *r, size_t n)
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

static uint64_t rd_uint(struct ka_rd *r, unsigned n)
{
	const uint8_t *p = ka_rd_take(r, n);
	uint64_t v = 0;
	unsigned i;

	for (i = 0; p != NULL && i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

static int64_t rd_time(struct ka_rd *r)
{
	uint64_t v = rd_uint(r, 8);

	if (v > (uint64_t)INT64_MAX)
		r->bad = 1;
	return (int64_t)v;
}

static void rd_bytes(struct ka_rd *r, void *out, size_t n)
{
	const uint8_t *p = ka_rd_take(r, n);

	if (p != NULL)
		memcpy(out, p, n);
}

static void rd_str8(struct ka_rd *r, char *out, size_t max)
{
	size_t n = (size_t)rd_uint(r, 1);
	const uint8_t *p;

	out[0] = '\0';
	if (r->bad || n > max) {
		r->bad = 1;
		return;
	}
	if ((p = ka_rd_take(r, n)) != NULL) {
		memcpy(out, p, n);
		out[n] = '\0';
	}
}

static int header_get(struct ka_bundle *h, const uint8_t *p, size_t len)
{
	struct ka_rd r = {p, len, 0, 0};

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
	struct ka_rd r = {h->body, h->body_len, 0, 0};
	char last[AK_ID_LEN + 1] = "";
	struct ak_key k;
	uint64_t n;
	int rc = 0;

	for (n = 0; rc == 0 && r.off < r.len; n++) {
		size_t len = (size_t)rd_uint(&r, 2);
		const uint8_t *p = ka_rd_take(&r, len);
		if (p == NULL || ka_rec_decode(&k, p, len) != 0)
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
