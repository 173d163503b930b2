/* keyadm fleet: signed bundles of a primary's store for its replicas.
 * The format is keyadm(8) FLEET and docs/architecture.md. */
#ifndef KA_FLEET_H
#define KA_FLEET_H

#include <sodium.h>

#include "keyadm.h"

#define KA_BUNDLE_MAGIC "AKBUNDLE"
#define KA_BUNDLE_VERSION 1
/* MUST: the signature covers this context first, so that no other
 * Ed25519 signature by the same key can pass for a bundle. */
#define KA_BUNDLE_CONTEXT "apikey fleet bundle v1"
#define KA_BUNDLE_MAX ((size_t)1 << 31) /* 2 GiB: far above 1 000 000 keys */
#define KA_KEYNUM_LEN 8                 /* signify's key number: the signer's */

/* The signed header of a bundle (everything but the records). */
struct ka_bundle {
	char origin[AK_ORIGIN_MAX + 1];
	uint8_t keynum[KA_KEYNUM_LEN];
	uint64_t serial, generation;
	int64_t published_ms, valid_until_ms, created_ms;
	uint64_t audit_seq;
	uint8_t audit_head[AK_HASH_LEN];
	char prefix[AK_PREFIX_MAX + 1];
	uint8_t store_key[AK_STORE_KEY_LEN];
	uint64_t count, body_len;
	uint8_t body_digest[AK_HASH_LEN];
	uint8_t digest[AK_HASH_LEN]; /* of the signed bytes: the bundle's identity */
	const uint8_t *body;         /* into the file's bytes */
};

/* A signing key pair as keyadm keeps it. */
struct ka_signer {
	char origin[AK_ORIGIN_MAX + 1];
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
};

/* The primary's serial state, keys.db.serial. */
struct ka_serial {
	uint64_t serial;
	int64_t published_ms, valid_until_ms;
};

/* fleet.c: files beside the store */
void ka_fleet_path(char *out, size_t cap, const char *db, const char *suffix);
void ka_fingerprint(char *out, size_t cap, const uint8_t *pk);
void ka_keynum(uint8_t *out, const uint8_t *pk);
void ka_signer_create(const char *db, const char *origin, struct ka_signer *s);
void ka_signer_load(struct ka_signer *s, const char *db);
/* The public key file at path (a replica's fleet_trust): 0 or -1 with a
 * reason in why. */
int ka_trust_load(struct ka_signer *s, const char *path, char *why, size_t cap);
int ka_serial_open(const char *db, struct ka_serial *cur);
void ka_serial_write(int fd, const char *db, const struct ka_serial *s);
int ka_serial_read(const char *db, struct ka_serial *s);

/* bundle.c: the codec */
struct buf {
	uint8_t *p;
	size_t len, cap;
};
/* A bundle ready to write: the head (frame, header, signature) and the
 * records, in id order through idx. */
struct ka_bundle_out {
	struct buf head, recs, one;
	size_t *idx; /* offsets into recs, sorted by id */
	size_t n, cap, len;
};
/* The bundle of st, signed by s; h gets the header (its store key wiped). */
void ka_bundle_build(struct ka_bundle_out *o, const struct ak_store *st, const struct ka_signer *s,
                     struct ka_bundle *h);
int ka_bundle_emit(FILE *f, const struct ka_bundle_out *o);
void ka_buf_put(struct buf *b, const void *v, size_t n);
/* A strict reader: any read past the end sets bad and returns NULL. */
struct ka_rd {
	const uint8_t *p;
	size_t len, off;
	int bad;
};
const uint8_t *ka_rd_take(struct ka_rd *r, size_t n);
void ka_bundle_free(struct ka_bundle_out *o);
/* Parses and verifies buf against the trusted key: 0, or -1 with the
 * reason (one line) in why. Records are checked by ka_bundle_each. */
int ka_bundle_open(struct ka_bundle *h, const uint8_t *buf, size_t len,
                   const struct ka_signer *trust, char *why, size_t cap);
/* Every record in order, strictly decoded: 0, fn's non-zero, or -1 with why. */
int ka_bundle_each(const struct ka_bundle *h, int (*fn)(const struct ak_key *, void *), void *ctx,
                   char *why, size_t cap);

/* bundle_rec.c: the compact key record of a bundle */
void ka_rec_encode(struct buf *b, const struct ak_key *k);
int ka_rec_decode(struct ak_key *k, const uint8_t *p, size_t len) AK_WARN_UNUSED;

/* install_diff.c: what an install changes, key by key */
struct ka_seen;
struct ka_diff {
	struct ka_seen *v;
	size_t n, cap, at;
};
void ka_diff_add(struct ka_diff *d, const struct ak_key *k);
void ka_diff_sort(struct ka_diff *d);
const char *ka_diff_next(struct ka_diff *d, const struct ak_key *k,
                         void (*gone)(const char *id, void *ctx), void *ctx);
void ka_diff_rest(struct ka_diff *d, void (*gone)(const char *id, void *ctx), void *ctx);
void ka_diff_free(struct ka_diff *d);

#endif
