/* The GDBM key store: the trusted open (the descriptor checked before
 * GDBM sees it), records read and written for a transaction, the meta
 * record, key lookups and iteration, the per-user index. The audit chain
 * is audit.c, the consistency check storecheck.c, store creation txnops.c. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdint.h>
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

/* The next component of *rest (advanced past it) into out; 0 at the end. */
static int next_name(const char **rest, char *out, size_t cap)
{
	const char *p = *rest;
	size_t n;

	while (*p == '/')
		p++;
	n = strcspn(p, "/");
	*rest = p + n;
	if (n == 0 || n >= cap)
		return n == 0 ? 0 : -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 1;
}

struct walk {
	char todo[8192]; /* what is left to walk */
	char at[4096];   /* the canonical path walked so far ("" is /) */
	int fd;          /* its directory */
	int links;
};

/* Back to / (an absolute symlink) or up one step (".."): to directories
 * already checked, which only root can change. */
static int walk_restart(struct walk *w, int up)
{
	char *slash = strrchr(w->at, '/');

	if (up && slash != NULL)
		*slash = '\0';
	else
		w->at[0] = '\0';
	close(w->fd);
	w->fd = open(w->at[0] ? w->at : "/", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return w->fd < 0 ? -1 : 0;
}

/* A symlink met on the way: its target is walked in its place. It lies
 * in a directory already checked, so only its owner (in a sticky
 * directory) could change it: that must be root too. */
static int walk_link(struct walk *w, int lfd, const char *name, const char *rest, uid_t trusted_uid,
                     struct ak_error *e)
{
	char target[4096], tail[8192];
	struct stat sb = {0};
	ssize_t n;

	if (fstat(lfd, &sb) != 0 || (sb.st_uid != 0 && sb.st_uid != trusted_uid)) {
		ak_err_set(e, AK_E_UNTRUSTED, "symbolic link %s/%s: owned by uid %u, not root",
		           w->at, name, (unsigned)sb.st_uid);
		return -1;
	}
	if (++w->links > 40 || (n = readlinkat(lfd, "", target, sizeof(target) - 1)) <= 0) {
		ak_err_set(e, AK_E_UNTRUSTED, "%s: too many or unreadable symbolic links", w->todo);
		return -1;
	}
	target[n] = '\0';
	snprintf(tail, sizeof(tail), "%s", rest);
	if (snprintf(w->todo, sizeof(w->todo), "%s/%s", target, tail) >= (int)sizeof(w->todo)) {
		ak_err_set(e, AK_E_INVAL, "store path too long");
		return -1;
	}
	return target[0] == '/' ? walk_restart(w, 0) : 0;
}

/* Walks dir from / one name at a time without following anything
 * blindly: every directory entered, and every one a symlink on the way
 * is read from, is checked (dir_trusted). Returns a descriptor of the
 * store's directory: what was checked is what the store is opened in. */
static int dir_walk(const char *dir, uid_t trusted_uid, struct ak_error *e)
{
	struct walk w = {"", "", -1, 0};
	char name[256], cwd[4096];
	const char *rest;
	struct stat sb;
	int fd, rc;

	if (dir[0] != '/' && getcwd(cwd, sizeof(cwd)) == NULL)
		goto io;
	if (snprintf(w.todo, sizeof(w.todo), "%s/%s", dir[0] == '/' ? "" : cwd, dir) >=
	    (int)sizeof(w.todo)) {
		ak_err_set(e, AK_E_INVAL, "store path too long");
		return -1;
	}
	if ((w.fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    dir_trusted(w.fd, "/", trusted_uid, 0, e) != 0)
		goto fail;
	for (rest = w.todo; (rc = next_name(&rest, name, sizeof(name))) > 0;) {
		if (strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0) {
			if (walk_restart(&w, 1) != 0)
				goto io;
			continue;
		}
		if ((fd = openat(w.fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
		    fstat(fd, &sb) != 0) {
			if (fd >= 0)
				close(fd);
			goto io;
		}
		if (S_ISLNK(sb.st_mode)) {
			rc = walk_link(&w, fd, name, rest, trusted_uid, e);
			close(fd);
			if (rc != 0)
				goto fail;
			rest = w.todo;
			continue;
		}
		if (strlen(w.at) + strlen(name) + 2 > sizeof(w.at) || !S_ISDIR(sb.st_mode)) {
			close(fd);
			errno = ENOTDIR;
			goto io;
		}
		strcat(strcat(w.at, "/"), name);
		close(w.fd);
		w.fd = fd;
		if (dir_trusted(w.fd, w.at, trusted_uid, 0, e) != 0)
			goto fail;
	}
	/* The store's own directory: not even a sticky one may be writable. */
	if (rc == 0 && dir_trusted(w.fd, w.at[0] ? w.at : "/", trusted_uid, 1, e) == 0)
		return w.fd;
	if (rc < 0)
		ak_err_set(e, AK_E_INVAL, "%s: a name on the way is too long", dir);
	goto fail;
io:
	ak_err_set(e, AK_E_IO, "%s: %s", dir, strerror(errno));
fail:
	if (w.fd >= 0)
		close(w.fd);
	return -1;
}

/* MUST be how a store is opened (readers and writers): the directories
 * checked, then the file opened in the directory checked, without
 * following a symlink and without waiting on a FIFO put in its place. */
int ak_store_open_fd(const char *path, uid_t trusted_uid, struct ak_error *e)
{
	char buf[4096];
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	int dfd, fd = -1, dlen = slash == NULL || slash == path ? 1 : (int)(slash - path);

	if (snprintf(buf, sizeof(buf), "%.*s", dlen, slash == NULL ? "." : path) >=
	            (int)sizeof(buf) ||
	    *base == '\0') {
		ak_err_set(e, AK_E_INVAL, "%s: not a store path", path);
		return -1;
	}
	if ((dfd = dir_walk(buf, trusted_uid, e)) >= 0) {
		fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		if (fd < 0)
			ak_err_set(e, errno == ELOOP ? AK_E_UNTRUSTED : AK_E_IO, "%s: %s", path,
			           errno == ELOOP ? "is a symbolic link" : strerror(errno));
		close(dfd);
	}
	if (fd >= 0 && ak_fd_trusted(fd, path, trusted_uid, e) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

int ak_db_find(uint8_t **val, size_t *len, int *found, const struct ak_store *st, const char *key,
               struct ak_error *e)
{
	datum k = {(char *)(uintptr_t)key, (int)strlen(key)};
	datum v = gdbm_fetch(st->db, k);

	*found = v.dptr != NULL;
	if (v.dptr == NULL) {
		if (gdbm_errno == GDBM_ITEM_NOT_FOUND)
			return 0;
		ak_err_set(e, AK_E_IO, "store read failed: %s", ak_gdbm_strerror());
		return -1;
	}
	*val = (uint8_t *)v.dptr;
	*len = (size_t)v.dsize;
	return 0;
}

int ak_db_get(uint8_t **val, size_t *len, const struct ak_store *st, const char *key,
              struct ak_error *e)
{
	int found;

	if (ak_db_find(val, len, &found, st, key, e) != 0)
		return -1;
	if (!found) {
		ak_err_set(e, AK_E_NOENT, "no record %s", key);
		return -1;
	}
	return 0;
}

static int meta_load(struct ak_store *st, const char *path, struct ak_error *e)
{
	uint8_t *v = NULL;
	size_t len = 0;
	int found, rc;

	if (ak_db_find(&v, &len, &found, st, AK_META_KEY, e) != 0)
		return -1;
	if (!found) {
		ak_err_set(e, AK_E_CORRUPT, "%s: not an apikey store (no meta record)", path);
		return -1;
	}
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

int ak_store_find_key(struct ak_key *out, int *found, const struct ak_store *st, const char *id,
                      struct ak_error *e)
{
	char rk[sizeof(AK_KEY_PFX) + AK_ID_LEN];
	uint8_t *v = NULL;
	size_t len = 0;
	int rc;

	*found = 0;
	if (st == NULL || out == NULL || !ak_id_valid(id))
		return 0;
	snprintf(rk, sizeof(rk), AK_KEY_PFX "%s", id);
	if (ak_db_find(&v, &len, found, st, rk, e) != 0)
		return -1;
	if (!*found)
		return 0;
	rc = ak_key_decode(out, v, len);
	sodium_memzero(v, len);
	free(v);
	if (rc != 0 || strcmp(out->id, id) != 0) {
		ak_err_set(e, AK_E_CORRUPT, "record of key %s is corrupt", id);
		return -1;
	}
	return 0;
}

int ak_store_get_key(struct ak_key *out, const struct ak_store *st, const char *id,
                     struct ak_error *e)
{
	int found;

	if (ak_store_find_key(out, &found, st, id, e) != 0)
		return -1;
	if (!found && ak_id_valid(id))
		ak_err_set(e, AK_E_NOENT, "no key %s", id);
	else if (!found)
		ak_err_set(e, AK_E_NOENT, "no such key");
	return found ? 0 : -1;
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
	int rc = 0;

	if (st == NULL || fn == NULL) {
		ak_err_set(e, AK_E_INVAL, "no store or no callback");
		return -1;
	}
	for (k = gdbm_firstkey(st->db); k.dptr != NULL; k = next) {
		if (is_key_record(k)) {
			memcpy(id, k.dptr + 2, AK_ID_LEN);
			id[AK_ID_LEN] = '\0';
			if ((rc = ak_store_get_key(&key, st, id, e)) != 0 || fn(&key, ctx) != 0) {
				free(k.dptr);
				return rc;
			}
		}
		next = gdbm_nextkey(st->db, k);
		free(k.dptr);
	}
	if (gdbm_errno != GDBM_ITEM_NOT_FOUND && gdbm_errno != GDBM_NO_ERROR) {
		ak_err_set(e, AK_E_IO, "store iteration failed: %s", ak_gdbm_strerror());
		return -1;
	}
	return 0;
}

void ak_index_key(char *out, size_t cap, const char *user, size_t chunk)
{
	if (chunk == 0)
		snprintf(out, cap, AK_USER_PFX "%s", user);
	else
		snprintf(out, cap, AK_USER_PFX "%s/%zu", user, chunk);
}

int ak_index_chunk(char **ids, size_t *n, const struct ak_store *st, const char *user, size_t chunk,
                   struct ak_error *e)
{
	char rk[AK_INDEX_KEY_MAX], id[AK_ID_LEN + 1];
	uint8_t *v = NULL;
	size_t len = 0, i;

	*ids = NULL;
	*n = 0;
	ak_index_key(rk, sizeof(rk), user, chunk);
	if (ak_db_get(&v, &len, st, rk, e) != 0)
		return -1;
	for (i = 0; i + AK_ID_LEN <= len; i += AK_ID_LEN) {
		memcpy(id, v + i, AK_ID_LEN);
		id[AK_ID_LEN] = '\0';
		if (!ak_id_valid(id))
			break;
	}
	if (i != len || len == 0) {
		free(v);
		ak_err_set(e, AK_E_CORRUPT, "index of user %s is corrupt", user);
		return -1;
	}
	*ids = (char *)v;
	*n = len / AK_ID_LEN;
	return 0;
}

/* The ids of user's keys, every chunk in order: a malloc'd array of n ids
 * of AK_ID_LEN bytes (not terminated); *ids is NULL and n 0 when the user
 * has none. */
int ak_index_get(char **ids, size_t *n, const struct ak_store *st, const char *user,
                 struct ak_error *e)
{
	struct ak_error mine = {AK_OK, ""};
	char *part, *all = NULL, *grown;
	size_t chunk, m, total = 0;

	*ids = NULL;
	*n = 0;
	if (!ak_user_valid(user))
		return 0;
	if (e == NULL)
		e = &mine;
	for (chunk = 0;; chunk++) {
		if (ak_index_chunk(&part, &m, st, user, chunk, e) != 0)
			break;
		if ((grown = realloc(all, (total + m) * AK_ID_LEN)) == NULL) {
			free(part);
			ak_err_set(e, AK_E_NOMEM, "out of memory");
			break;
		}
		all = grown;
		memcpy(all + total * AK_ID_LEN, part, m * AK_ID_LEN);
		total += m;
		free(part);
	}
	if (e->code != AK_E_NOENT) {
		free(all);
		return -1;
	}
	/* the end of the chunks, not an error */
	e->code = AK_OK;
	e->msg[0] = '\0';
	*ids = all;
	*n = total;
	return 0;
}

int ak_store_user_slice(size_t *total, const struct ak_store *st, const char *user, size_t from,
                        size_t max, int (*fn)(const struct ak_key *, void *), void *ctx,
                        struct ak_error *e)
{
	char *ids = NULL, id[AK_ID_LEN + 1];
	struct ak_key key;
	size_t n = 0, i;
	int rc = 0;

	if (st == NULL || fn == NULL) {
		ak_err_set(e, AK_E_INVAL, "no store or no callback");
		return -1;
	}
	if (ak_index_get(&ids, &n, st, user, e) != 0)
		return -1;
	if (total != NULL)
		*total = n;
	for (i = 0; i < n && i < max; i++) {
		memcpy(id, ids + ((from + i) % n) * AK_ID_LEN, AK_ID_LEN);
		id[AK_ID_LEN] = '\0';
		if ((rc = ak_store_get_key(&key, st, id, e)) != 0)
			break;
		if (strcmp(key.owner, user) != 0) {
			ak_err_set(e, AK_E_CORRUPT,
			           "index of user %s lists key %s of another owner", user, id);
			rc = -1;
			break;
		}
		if (fn(&key, ctx) != 0)
			break;
	}
	free(ids);
	return rc;
}

int ak_store_user_keys(const struct ak_store *st, const char *user,
                       int (*fn)(const struct ak_key *, void *), void *ctx, struct ak_error *e)
{
	return ak_store_user_slice(NULL, st, user, 0, SIZE_MAX, fn, ctx, e);
}
