/* Changes inside a transaction: keys, the user index, audit entries;
 * and the creation of a new store. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "internal.h"

static int chunk_put(struct ak_store *st, const char *user, size_t chunk, const char *ids, size_t n,
                     struct ak_error *e)
{
	char rk[AK_INDEX_KEY_MAX];
	datum k;

	ak_index_key(rk, sizeof(rk), user, chunk);
	if (n > 0)
		return ak_db_put(st, rk, (const uint8_t *)ids, n * AK_ID_LEN, 1, e);
	k.dptr = rk;
	k.dsize = (int)strlen(rk);
	if (gdbm_delete(st->db, k) != 0 && gdbm_errno != GDBM_ITEM_NOT_FOUND) {
		ak_err_set(e, AK_E_IO, "store write failed: %s", ak_gdbm_strerror());
		return -1;
	}
	return 0;
}

static int chunk_exists(const struct ak_store *st, const char *user, size_t chunk)
{
	char rk[AK_INDEX_KEY_MAX];
	datum k;

	ak_index_key(rk, sizeof(rk), user, chunk);
	k.dptr = rk;
	k.dsize = (int)strlen(rk);
	return gdbm_exists(st->db, k);
}

/* The number of chunks (they have no gap): doubling, then bisection. */
static size_t chunk_count(const struct ak_store *st, const char *user)
{
	size_t lo = 0, hi = 1; /* chunk lo - 1 exists (none for 0), hi unknown */

	while (chunk_exists(st, user, hi - 1)) {
		lo = hi;
		hi *= 2;
	}
	while (lo + 1 < hi) { /* chunks < lo exist, chunk hi - 1 does not */
		size_t mid = lo + (hi - lo) / 2;
		if (chunk_exists(st, user, mid - 1))
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* Adds id to the last chunk, or starts a new one: one small record
 * written, whatever the number of the user's keys. */
static int index_add(struct ak_store *st, const char *user, const char *id, struct ak_error *e)
{
	size_t m = chunk_count(st, user), n = 0;
	char *ids = NULL, *grown;
	int rc = -1;

	if (m > 0 && ak_index_chunk(&ids, &n, st, user, m - 1, e) != 0)
		return -1;
	if (m == 0 || n >= AK_INDEX_CHUNK) {
		free(ids);
		ids = NULL;
		n = 0;
		m++;
	}
	if ((grown = realloc(ids, (n + 1) * AK_ID_LEN)) == NULL) {
		ak_err_set(e, AK_E_NOMEM, "out of memory");
		goto out;
	}
	ids = grown;
	memcpy(ids + n * AK_ID_LEN, id, AK_ID_LEN);
	rc = chunk_put(st, user, m - 1, ids, n + 1, e);
out:
	free(ids);
	return rc;
}

/* Removes id: the last id of the last chunk takes its place, so two
 * small records at most are written. */
static int index_remove(struct ak_store *st, const char *user, const char *id, struct ak_error *e)
{
	size_t m = chunk_count(st, user), c, n = 0, ln = 0, i = 0;
	char *ids = NULL, *last = NULL;
	int rc = -1;

	for (c = 0; c < m; c++) {
		if (ak_index_chunk(&ids, &n, st, user, c, e) != 0)
			return -1;
		for (i = 0; i < n && memcmp(ids + i * AK_ID_LEN, id, AK_ID_LEN) != 0; i++)
			;
		if (i < n)
			break;
		free(ids);
		ids = NULL;
	}
	if (c == m)
		return 0; /* not listed */
	if (c + 1 < m) {
		if (ak_index_chunk(&last, &ln, st, user, m - 1, e) != 0)
			goto out;
		memcpy(ids + i * AK_ID_LEN, last + (ln - 1) * AK_ID_LEN, AK_ID_LEN);
		if (chunk_put(st, user, c, ids, n, e) != 0)
			goto out;
		rc = chunk_put(st, user, m - 1, last, ln - 1, e);
	} else {
		memmove(ids + i * AK_ID_LEN, ids + (i + 1) * AK_ID_LEN, (n - i - 1) * AK_ID_LEN);
		rc = chunk_put(st, user, c, ids, n - 1, e);
	}
out:
	free(ids);
	free(last);
	return rc;
}

struct ak_meta *ak_txn_meta(struct ak_txn *t)
{
	struct ak_store *st = ak_txn_store(t);

	return st ? &st->meta : NULL;
}

int ak_txn_put_key(struct ak_txn *t, const struct ak_key *k, struct ak_error *e)
{
	struct ak_store *st = ak_txn_store(t);
	struct ak_key old;
	char rk[sizeof(AK_KEY_PFX) + AK_ID_LEN];
	uint8_t buf[AK_REC_MAX];
	size_t len;
	int found;

	if (st == NULL || k == NULL || ak_key_encode(buf, sizeof(buf), &len, k) != 0 ||
	    ak_key_decode(&old, buf, len) != 0) {
		ak_err_set(e, AK_E_INVAL, "invalid key record");
		return -1;
	}
	if (ak_store_find_key(&old, &found, st, k->id, e) != 0)
		return -1;
	if (found && strcmp(old.owner, k->owner) != 0) {
		ak_err_set(e, AK_E_INVAL, "the owner of a key never changes");
		return -1;
	}
	snprintf(rk, sizeof(rk), AK_KEY_PFX "%s", k->id);
	if (ak_db_put(st, rk, buf, len, 1, e) != 0)
		return -1;
	return found ? 0 : index_add(st, k->owner, k->id, e);
}

int ak_txn_delete_key(struct ak_txn *t, const char *id, struct ak_error *e)
{
	struct ak_store *st = ak_txn_store(t);
	char rk[sizeof(AK_KEY_PFX) + AK_ID_LEN];
	struct ak_key k;
	datum d;

	if (st == NULL || ak_store_get_key(&k, st, id, e) != 0)
		return -1;
	snprintf(rk, sizeof(rk), AK_KEY_PFX "%s", id);
	d.dptr = rk;
	d.dsize = (int)strlen(rk);
	if (gdbm_delete(st->db, d) != 0) {
		ak_err_set(e, AK_E_IO, "store write failed: %s", ak_gdbm_strerror());
		return -1;
	}
	return index_remove(st, k.owner, id, e);
}

int ak_txn_new_key(struct ak_txn *t, struct ak_key *k, char *key_out, const char *owner,
                   struct ak_error *e)
{
	struct ak_store *st = ak_txn_store(t);
	struct ak_key existing;
	char secret[AK_SECRET_LEN + 1];
	int tries, found, rc;

	if (st == NULL || k == NULL || key_out == NULL || !ak_user_valid(owner)) {
		ak_err_set(e, AK_E_INVAL, "invalid user name");
		return -1;
	}
	memset(k, 0, sizeof(*k));
	for (tries = 0; tries < 8; tries++) {
		if (ak_key_generate(key_out, k->id, st->meta.prefix) != 0) {
			ak_err_set(e, AK_E_IO, "cannot generate a key");
			return -1;
		}
		rc = ak_store_find_key(&existing, &found, st, k->id, e);
		if (rc == 0 && !found)
			break;
		sodium_memzero(key_out, AK_KEY_MAX + 1);
		if (rc != 0)
			return -1;
	}
	if (tries == 8 ||
	    ak_key_parse(k->id, secret, key_out, strlen(key_out), st->meta.prefix) != AK_VALID) {
		ak_err_set(e, AK_E_IO, "cannot generate a unique key id");
		return -1;
	}
	ak_key_hash(k->hash, st->meta.store_key, k->id, secret);
	sodium_memzero(secret, sizeof(secret));
	snprintf(k->owner, sizeof(k->owner), "%s", owner);
	snprintf(k->created_by, sizeof(k->created_by), "%s", ak_txn_actor(t));
	k->alg = AK_HASH_HMAC_SHA256;
	k->created_ms = ak_txn_now(t);
	k->state = AK_STATE_ACTIVE;
	return 0;
}

static int audit_append(struct ak_store *st, const struct ak_audit *a, struct ak_error *e)
{
	uint8_t buf[AK_REC_MAX];
	char rk[32];
	size_t len;

	if (ak_audit_encode(buf, sizeof(buf), &len, a) != 0) {
		ak_err_set(e, AK_E_INVAL, "invalid audit entry");
		return -1;
	}
	snprintf(rk, sizeof(rk), AK_AUDIT_PFX "%" PRIu64, a->seq);
	if (ak_db_put(st, rk, buf, len, 0, e) != 0)
		return -1;
	ak_audit_hash(st->meta.audit_head, a);
	st->meta.audit_seq = a->seq;
	return 0;
}

static int audit_fill(struct ak_audit *a, const struct ak_store *st, int64_t now, const char *actor,
                      const char *action, const char *id, const char *owner, const char *reason)
{
	memset(a, 0, sizeof(*a));
	a->seq = st->meta.audit_seq + 1;
	a->time_ms = now;
	memcpy(a->prev, st->meta.audit_head, AK_HASH_LEN);
	if (ak_strlcpy(a->actor, actor, sizeof(a->actor)) != 0 ||
	    ak_strlcpy(a->action, action, sizeof(a->action)) != 0 ||
	    ak_strlcpy(a->id, id ? id : "", sizeof(a->id)) != 0 ||
	    ak_strlcpy(a->owner, owner ? owner : "", sizeof(a->owner)) != 0 ||
	    ak_strlcpy(a->reason, reason ? reason : "", sizeof(a->reason)) != 0)
		return -1;
	return ak_text_valid(a->reason, AK_REASON_MAX) ? 0 : -1;
}

int ak_txn_audit(struct ak_txn *t, const char *action, const char *id, const char *owner,
                 const char *reason, struct ak_error *e)
{
	struct ak_store *st = ak_txn_store(t);
	struct ak_audit a;

	if (st == NULL || action == NULL || *action == '\0' ||
	    audit_fill(&a, st, ak_txn_now(t), ak_txn_actor(t), action, id, owner, reason) != 0) {
		ak_err_set(e, AK_E_INVAL, "invalid audit entry");
		return -1;
	}
	return audit_append(st, &a, e);
}

/* Writes the first meta record and the "init" audit entry into db. */
static int init_records(struct ak_store *st, const char *prefix, const char *actor,
                        struct ak_error *e)
{
	struct ak_audit a;

	st->meta.schema = AK_SCHEMA;
	snprintf(st->meta.prefix, sizeof(st->meta.prefix), "%s", prefix);
	randombytes_buf(st->meta.store_key, sizeof(st->meta.store_key));
	st->meta.created_ms = ak_now_ms();
	st->meta.generation = 1;
	if (audit_fill(&a, st, st->meta.created_ms, actor, "init", NULL, NULL, NULL) != 0) {
		ak_err_set(e, AK_E_INVAL, "invalid actor");
		return -1;
	}
	if (audit_append(st, &a, e) != 0 || ak_meta_put(st, e) != 0)
		return -1;
	if (gdbm_sync(st->db) != 0 || fsync(gdbm_fdesc(st->db)) != 0) {
		ak_err_set(e, AK_E_IO, "syncing the new store failed");
		return -1;
	}
	return 0;
}

/* The writers' lock, readable by no one else (see lock_store in txn.c). */
static int init_lock_file(const char *path, struct ak_error *e)
{
	char lp[4096 + 8];
	int fd;

	snprintf(lp, sizeof(lp), "%s" AK_LOCK_SUFFIX, path);
	fd = open(lp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0 && errno == EEXIST)
		return 0; /* left by an earlier store: checked by every write */
	if (fd < 0 || fchmod(fd, 0600) != 0) {
		ak_err_set(e, AK_E_IO, "%s: %s", lp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int ak_store_init(const char *path, const char *prefix, gid_t group, const char *actor,
                  struct ak_error *e)
{
	struct ak_store st;
	char tmp[4096 + 16];
	int fd, rc = -1;

	if (path == NULL || !ak_prefix_valid(prefix) || actor == NULL ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp)) {
		ak_err_set(e, AK_E_INVAL, "invalid store path or prefix");
		return -1;
	}
	if (sodium_init() < 0 || (fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		ak_err_set(e, AK_E_IO, "%s: cannot create the store: %s", path, strerror(errno));
		return -1;
	}
	memset(&st, 0, sizeof(st));
	if ((group != (gid_t)-1 && fchown(fd, (uid_t)-1, group) != 0) || fchmod(fd, 0640) != 0) {
		ak_err_set(e, AK_E_IO, "%s: %s", tmp, strerror(errno));
		close(fd);
		goto out;
	}
	st.db = gdbm_fd_open(fd, tmp, 0, GDBM_NEWDB | GDBM_NOLOCK | GDBM_CLOEXEC, NULL);
	if (st.db == NULL) {
		ak_err_set(e, AK_E_IO, "%s: %s", path, ak_gdbm_strerror());
		close(fd);
		goto out;
	}
	if (init_records(&st, prefix, actor, e) != 0)
		goto out;
	gdbm_close(st.db);
	st.db = NULL;
	/* link(2) never replaces: MUST refuse to overwrite an existing store. */
	if (link(tmp, path) != 0) {
		ak_err_set(e, errno == EEXIST ? AK_E_EXISTS : AK_E_IO, "%s: %s", path,
		           errno == EEXIST ? "a store already exists" : strerror(errno));
		goto out;
	}
	rc = init_lock_file(path, e);
out:
	if (st.db != NULL)
		gdbm_close(st.db);
	unlink(tmp);
	sodium_memzero(&st, sizeof(st));
	return rc;
}
