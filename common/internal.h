/* Private to common/: not installed, not used by the front ends. */
#ifndef AK_INTERNAL_H
#define AK_INTERNAL_H

#include <gdbm.h>

#include "apikey.h"

struct ak_store {
	GDBM_FILE db;
	struct ak_meta meta;
};

/* record keys */
#define AK_META_KEY "meta"
#define AK_KEY_PFX "k:"
#define AK_USER_PFX "u:"
#define AK_AUDIT_PFX "a:"
#define AK_SCHEMA 1

/* store.c, shared with txn.c */
int ak_fd_trusted(int fd, const char *path, uid_t trusted_uid, struct ak_error *e);
int ak_store_open_fd(const char *path, uid_t trusted_uid, struct ak_error *e);
int ak_store_attach(struct ak_store *st, int fd, const char *path, int flags, struct ak_error *e);
int ak_db_get(const struct ak_store *st, const char *key, uint8_t **val, size_t *len,
              struct ak_error *e);
int ak_db_put(struct ak_store *st, const char *key, const uint8_t *val, size_t len, int replace,
              struct ak_error *e);
int ak_meta_put(struct ak_store *st, struct ak_error *e);
int ak_index_get(const struct ak_store *st, const char *user, char **ids, size_t *n,
                 struct ak_error *e);
const char *ak_gdbm_strerror(void);

/* verify.c, shared with keyadm's rules through ak_verify */
enum ak_result ak_key_policy(const struct ak_key *k, const struct ak_verify_req *req,
                             int64_t now_ms);

/* util.c */
int ak_strlcpy(char *dst, const char *src, size_t cap);

#endif
