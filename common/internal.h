/* Private to common/: not installed, not used by the front ends. */
#ifndef AK_INTERNAL_H
#define AK_INTERNAL_H

#include <gdbm.h>

#include "apikey_admin.h"

struct ak_store {
	GDBM_FILE db;
	struct ak_meta meta;
};

/* record keys */
#define AK_META_KEY "meta"
#define AK_KEY_PFX "k:"
#define AK_USER_PFX "u:"
#define AK_AUDIT_PFX "a:"
#define AK_TOMB_KEY "revoked" /* a replica's revoked ids (tombstones.c) */
#define AK_SCHEMA 1

/* store.c (the read side), shared with txn.c */
int ak_fd_trusted(int fd, const char *path, uid_t trusted_uid, struct ak_error *e) AK_WARN_UNUSED;
int ak_store_open_fd(const char *path, uid_t trusted_uid, struct ak_error *e) AK_WARN_UNUSED;
int ak_store_attach(struct ak_store *st, int fd, const char *path, int flags,
                    struct ak_error *e) AK_WARN_UNUSED;
/* A record's value (malloc'd) into *val: 0 with *found 1, or 0 with
 * *found 0 when there is none (no message made: the unknown-id path of
 * a verification costs what the known one does), -1 on a read error. */
int ak_db_find(uint8_t **val, size_t *len, int *found, const struct ak_store *st, const char *key,
               struct ak_error *e) AK_WARN_UNUSED;
/* The same, a missing record being -1 with AK_E_NOENT. */
int ak_db_get(uint8_t **val, size_t *len, const struct ak_store *st, const char *key,
              struct ak_error *e) AK_WARN_UNUSED;
/* ak_store_get_key with a missing key as 0 and *found 0. */
int ak_store_find_key(struct ak_key *out, int *found, const struct ak_store *st, const char *id,
                      struct ak_error *e) AK_WARN_UNUSED;
/* txn.c: the only GDBM writes (store.c is the read side the front ends
 * link) */
int ak_db_put(struct ak_store *st, const char *key, const uint8_t *val, size_t len, int replace,
              struct ak_error *e) AK_WARN_UNUSED;
int ak_meta_put(struct ak_store *st, struct ak_error *e) AK_WARN_UNUSED;
/* The u:<user> index is kept in chunks so that a write rewrites one small
 * record, not the whole list: "u:<user>" then "u:<user>/1", "u:<user>/2",
 * ... with no gap; ids are added to the last chunk until it holds
 * AK_INDEX_CHUNK (a chunk 0 written whole by an older keyadm may hold more). */
#define AK_INDEX_CHUNK 64
#define AK_INDEX_KEY_MAX (sizeof(AK_USER_PFX) + AK_USER_MAX + 24)
void ak_index_key(char *out, size_t cap, const char *user, size_t chunk);
/* One chunk: 0, or -1 with AK_E_NOENT past the last one, AK_E_CORRUPT. */
int ak_index_chunk(char **ids, size_t *n, const struct ak_store *st, const char *user, size_t chunk,
                   struct ak_error *e) AK_WARN_UNUSED;
/* Every chunk: 0 (none: *ids NULL, *n 0), or -1. */
int ak_index_get(char **ids, size_t *n, const struct ak_store *st, const char *user,
                 struct ak_error *e) AK_WARN_UNUSED;
const char *ak_gdbm_strerror(void);

/* tombstones.c, for storecheck.c */
int ak_tombstones_check(const struct ak_store *st, struct ak_error *e) AK_WARN_UNUSED;

/* verify.c, shared with keyadm's rules through ak_verify */
enum ak_result ak_key_policy(const struct ak_key *k, const struct ak_verify_req *req,
                             int64_t now_ms) AK_WARN_UNUSED;

/* util.c */
int ak_strlcpy(char *dst, const char *src, size_t cap) AK_WARN_UNUSED;
/* [A-Za-z0-9._-]: a character of a service name */
int ak_service_char(unsigned char c) AK_WARN_UNUSED;

#endif
