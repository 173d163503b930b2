/* The GDBM key store, read side: a trusted open, lookups, iteration,
 * the audit chain and the consistency check; and store creation. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "internal.h"

const char *ak_gdbm_strerror(void)
{
	return gdbm_strerror(gdbm_errno);
}

/* MUST be called on the opened descriptor, never on the path: what is
 * checked is what is read. */
int ak_fd_trusted(int fd, const char *path, uid_t trusted_uid, struct ak_error *e)
{
	struct stat sb;

	if (fstat(fd, &sb) != 0) {
		ak_err_set(e, AK_E_IO, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		ak_err_set(e, AK_E_UNTRUSTED, "%s: not a regular file", path);
		return -1;
	}
	if (sb.st_uid != 0 && sb.st_uid != trusted_uid) {
		ak_err_set(e, AK_E_UNTRUSTED, "%s: owned by uid %u, not root", path,
		           (unsigned)sb.st_uid);
		return -1;
	}
	if (sb.st_mode & (S_IWGRP | S_IWOTH)) {
		ak_err_set(e, AK_E_UNTRUSTED, "%s: writable by group or others (mode %04o)", path,
		           (unsigned)(sb.st_mode & 07777));
		return -1;
	}
	return 0;
}

/* One directory on the way to the store, as sshd's StrictModes judges
 * it: owned by root or trusted_uid, and writable by nobody else, except
 * a sticky ancestor (like /tmp): its entries, the next of which is
 * owned by root as this rule demands, can be renamed only by their
 * owner. The store's own directory MUST NOT be writable at all: whoever
 * can write it can rename an older copy over the store. */
static int dir_trusted(int fd, const char *dir, uid_t trusted_uid, int last, struct ak_error *e)
{
	struct stat sb;

	if (fstat(fd, &sb) != 0) {
		ak_err_set(e, AK_E_IO, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (sb.st_uid != 0 && sb.st_uid != trusted_uid) {
		ak_err_set(e, AK_E_UNTRUSTED, "directory %s: owned by uid %u, not root", dir,
		           (unsigned)sb.st_uid);
		return -1;
	}
	if ((sb.st_mode & (S_IWGRP | S_IWOTH)) && (last || !(sb.st_mode & S_ISVTX))) {
		ak_err_set(e, AK_E_UNTRUSTED,
		           "directory %s: writable by group or others (mode %04o): the store "
		           "could be replaced",
		           dir, (unsigned)(sb.st_mode & 07777));
		return -1;
	}
	return 0;
}

/* Walks the canonical directory of path from / down with O_NOFOLLOW,
 * checking each step, and returns a descriptor of the store's directory:
 * what was checked is what the store is opened in. */
static int dir_walk(char *canon, uid_t trusted_uid, struct ak_error *e)
{
	char *p = canon, *slash;
	int fd, next;

	if ((fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    dir_trusted(fd, "/", trusted_uid, canon[1] == '\0', e) != 0)
		goto fail;
	while (*++p != '\0') {
		if ((slash = strchr(p, '/')) != NULL)
			*slash = '\0';
		next = openat(fd, p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
		if (fd < 0 || dir_trusted(fd, canon, trusted_uid, slash == NULL, e) != 0)
			goto fail;
		if (slash == NULL)
			break;
		*slash = '/';
		p = slash;
	}
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	else if (e == NULL || e->code == AK_OK)
		ak_err_set(e, AK_E_IO, "%s: %s", canon, strerror(errno));
	return -1;
}

/* MUST be how a store is opened (readers and writers): the directories
 * checked, then the file opened in the directory checked, without
 * following a symlink and without waiting on a FIFO put in its place. */
int ak_store_open_fd(const char *path, uid_t trusted_uid, struct ak_error *e)
{
	char buf[4096], *canon = NULL;
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	int dfd, fd = -1;

	if (snprintf(buf, sizeof(buf), "%.*s", slash ? (int)(slash - path) : 1,
	             slash ? (slash == path ? "/" : path) : ".") >= (int)sizeof(buf) ||
	    *base == '\0') {
		ak_err_set(e, AK_E_INVAL, "%s: not a store path", path);
		return -1;
	}
	if ((canon = realpath(buf, NULL)) == NULL) {
		ak_err_set(e, AK_E_IO, "%s: %s", buf, strerror(errno));
		return -1;
	}
	if ((dfd = dir_walk(canon, trusted_uid, e)) >= 0) {
		fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		if (fd < 0)
			ak_err_set(e, errno == ELOOP ? AK_E_UNTRUSTED : AK_E_IO, "%s: %s", path,
			           errno == ELOOP ? "is a symbolic link" : strerror(errno));
		close(dfd);
	}
	free(canon);
	if (fd >= 0 && ak_fd_trusted(fd, path, trusted_uid, e) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

int ak_db_get(const struct ak_store *st, const char *key, uint8_t **val, size_t *len,
              struct ak_error *e)
{
	datum k = {(char *)(uintptr_t)key, (int)strlen(key)};
	datum v = gdbm_fetch(st->db, k);

	if (v.dptr == NULL) {
		if (gdbm_errno == GDBM_ITEM_NOT_FOUND) {
			ak_err_set(e, AK_E_NOENT, "no record %s", key);
			return AK_E_NOENT;
		}
		ak_err_set(e, AK_E_IO, "store read failed: %s", ak_gdbm_strerror());
		return AK_E_IO;
	}
	*val = (uint8_t *)v.dptr;
	*len = (size_t)v.dsize;
	return AK_OK;
}

int ak_db_put(struct ak_store *st, const char *key, const uint8_t *val, size_t len, int replace,
              struct ak_error *e)
{
	datum k = {(char *)(uintptr_t)key, (int)strlen(key)};
	datum v = {(char *)(uintptr_t)val, (int)len};

	if (gdbm_store(st->db, k, v, replace ? GDBM_REPLACE : GDBM_INSERT) != 0) {
		ak_err_set(e, AK_E_IO, "store write failed: %s", ak_gdbm_strerror());
		return -1;
	}
	return 0;
}

int ak_meta_put(struct ak_store *st, struct ak_error *e)
{
	uint8_t buf[AK_REC_MAX];
	size_t len;
	int rc;

	if (ak_meta_encode(buf, sizeof(buf), &len, &st->meta) != 0) {
		ak_err_set(e, AK_E_INVAL, "cannot encode the meta record");
		return -1;
	}
	rc = ak_db_put(st, AK_META_KEY, buf, len, 1, e);
	sodium_memzero(buf, sizeof(buf));
	return rc;
}

static int meta_load(struct ak_store *st, const char *path, struct ak_error *e)
{
	uint8_t *v = NULL;
	size_t len = 0;
	int rc = ak_db_get(st, AK_META_KEY, &v, &len, e);

	if (rc == AK_E_NOENT) {
		ak_err_set(e, AK_E_CORRUPT, "%s: not an apikey store (no meta record)", path);
		return -1;
	}
	if (rc != AK_OK)
		return -1;
	rc = ak_meta_decode(&st->meta, v, len);
	sodium_memzero(v, len);
	free(v);
	if (rc != 0) {
		ak_err_set(e, AK_E_CORRUPT, "%s: meta record is corrupt or of an unknown version",
		           path);
		return -1;
	}
	return 0;
}

/* Hands fd to GDBM (which then owns it) and loads the meta record. */
int ak_store_attach(struct ak_store *st, int fd, const char *path, int flags, struct ak_error *e)
{
	st->db = gdbm_fd_open(fd, path, 0, flags | GDBM_NOLOCK | GDBM_CLOEXEC, NULL);
	if (st->db == NULL) {
		ak_err_set(e, AK_E_CORRUPT, "%s: not a usable GDBM file: %s", path,
		           ak_gdbm_strerror());
		close(fd);
		return -1;
	}
	if (meta_load(st, path, e) != 0) {
		gdbm_close(st->db);
		st->db = NULL;
		return -1;
	}
	return 0;
}

int ak_store_open(struct ak_store **out, const char *path, uid_t trusted_uid, struct ak_error *e)
{
	struct ak_store *st;
	int fd;

	if (out == NULL || path == NULL || *path == '\0') {
		ak_err_set(e, AK_E_INVAL, "no store path");
		return -1;
	}
	*out = NULL;
	if ((fd = ak_store_open_fd(path, trusted_uid, e)) < 0)
		return -1;
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		close(fd);
		ak_err_set(e, AK_E_NOMEM, "out of memory");
		return -1;
	}
	if (ak_store_attach(st, fd, path, GDBM_READER, e) != 0) {
		free(st);
		return -1;
	}
	*out = st;
	return 0;
}

void ak_store_close(struct ak_store *st)
{
	if (st == NULL)
		return;
	if (st->db != NULL)
		gdbm_close(st->db);
	sodium_memzero(st, sizeof(*st));
	free(st);
}

const struct ak_meta *ak_store_meta(const struct ak_store *st)
{
	return st ? &st->meta : NULL;
}

int ak_store_get_key(const struct ak_store *st, struct ak_key *out, const char *id,
                     struct ak_error *e)
{
	char rk[sizeof(AK_KEY_PFX) + AK_ID_LEN];
	uint8_t *v = NULL;
	size_t len = 0;
	int rc;

	if (st == NULL || out == NULL || !ak_id_valid(id)) {
		ak_err_set(e, AK_E_NOENT, "no such key");
		return AK_E_NOENT;
	}
	snprintf(rk, sizeof(rk), AK_KEY_PFX "%s", id);
	if ((rc = ak_db_get(st, rk, &v, &len, e)) != AK_OK) {
		if (rc == AK_E_NOENT)
			ak_err_set(e, AK_E_NOENT, "no key %s", id);
		return rc;
	}
	rc = ak_key_decode(out, v, len);
	free(v);
	if (rc != 0 || strcmp(out->id, id) != 0) {
		ak_err_set(e, AK_E_CORRUPT, "record of key %s is corrupt", id);
		return AK_E_CORRUPT;
	}
	return AK_OK;
}

static int is_key_record(datum k)
{
	return k.dsize == (int)(sizeof(AK_KEY_PFX) - 1 + AK_ID_LEN) &&
	       memcmp(k.dptr, AK_KEY_PFX, sizeof(AK_KEY_PFX) - 1) == 0;
}

int ak_store_each_key(const struct ak_store *st, int (*fn)(const struct ak_key *, void *),
                      void *ctx, struct ak_error *e)
{
	datum k, next;
	struct ak_key key;
	char id[AK_ID_LEN + 1];
	int rc = AK_OK;

	if (st == NULL || fn == NULL)
		return AK_E_INVAL;
	for (k = gdbm_firstkey(st->db); k.dptr != NULL; k = next) {
		if (is_key_record(k)) {
			memcpy(id, k.dptr + 2, AK_ID_LEN);
			id[AK_ID_LEN] = '\0';
			if ((rc = ak_store_get_key(st, &key, id, e)) != AK_OK ||
			    fn(&key, ctx) != 0) {
				free(k.dptr);
				return rc;
			}
		}
		next = gdbm_nextkey(st->db, k);
		free(k.dptr);
	}
	if (gdbm_errno != GDBM_ITEM_NOT_FOUND && gdbm_errno != GDBM_NO_ERROR) {
		ak_err_set(e, AK_E_IO, "store iteration failed: %s", ak_gdbm_strerror());
		return AK_E_IO;
	}
	return AK_OK;
}

/* The ids of user's keys: a malloc'd array of n ids of AK_ID_LEN bytes
 * (not terminated); *ids is NULL and n 0 when the user has none. */
int ak_index_get(const struct ak_store *st, const char *user, char **ids, size_t *n,
                 struct ak_error *e)
{
	char rk[sizeof(AK_USER_PFX) + AK_USER_MAX];
	uint8_t *v = NULL;
	size_t len = 0, i;
	int rc;

	*ids = NULL;
	*n = 0;
	if (!ak_user_valid(user))
		return AK_OK;
	snprintf(rk, sizeof(rk), AK_USER_PFX "%s", user);
	if ((rc = ak_db_get(st, rk, &v, &len, e)) == AK_E_NOENT)
		return AK_OK;
	if (rc != AK_OK)
		return rc;
	for (i = 0; i < len; i += AK_ID_LEN) {
		char id[AK_ID_LEN + 1];
		if (len - i < AK_ID_LEN)
			break;
		memcpy(id, v + i, AK_ID_LEN);
		id[AK_ID_LEN] = '\0';
		if (!ak_id_valid(id))
			break;
	}
	if (i != len || len == 0) {
		free(v);
		ak_err_set(e, AK_E_CORRUPT, "index of user %s is corrupt", user);
		return AK_E_CORRUPT;
	}
	*ids = (char *)v;
	*n = len / AK_ID_LEN;
	return AK_OK;
}

int ak_store_user_keys(const struct ak_store *st, const char *user,
                       int (*fn)(const struct ak_key *, void *), void *ctx, struct ak_error *e)
{
	char *ids = NULL, id[AK_ID_LEN + 1];
	struct ak_key key;
	size_t n = 0, i;
	int rc;

	if (st == NULL || fn == NULL)
		return AK_E_INVAL;
	if ((rc = ak_index_get(st, user, &ids, &n, e)) != AK_OK)
		return rc;
	for (i = 0; i < n; i++) {
		memcpy(id, ids + i * AK_ID_LEN, AK_ID_LEN);
		id[AK_ID_LEN] = '\0';
		if ((rc = ak_store_get_key(st, &key, id, e)) != AK_OK)
			break;
		if (strcmp(key.owner, user) != 0) {
			ak_err_set(e, AK_E_CORRUPT,
			           "index of user %s lists key %s of another owner", user, id);
			rc = AK_E_CORRUPT;
			break;
		}
		if (fn(&key, ctx) != 0)
			break;
	}
	free(ids);
	return rc;
}
