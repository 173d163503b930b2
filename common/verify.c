/* Verification: the one function every front end calls. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "internal.h"

enum ak_result ak_key_policy(const struct ak_key *k, const struct ak_verify_req *req,
                             int64_t now_ms)
{
	if (k->state == AK_STATE_REVOKED)
		return AK_REVOKED;
	if (k->state != AK_STATE_ACTIVE)
		return AK_DISABLED;
	if (k->expires_ms != 0 && now_ms >= k->expires_ms)
		return AK_EXPIRED;
	if (!ak_service_allowed(k, req->service))
		return AK_SERVICE_DENIED;
	if (!ak_source_allowed(k, req->source))
		return AK_SOURCE_DENIED;
	return AK_VALID;
}

static void res_from_key(struct ak_verify_res *res, const struct ak_key *k)
{
	memcpy(res->owner, k->owner, sizeof(res->owner));
	res->expires_ms = k->expires_ms;
}

enum ak_result ak_key_authentic(struct ak_key *out, const struct ak_store *st, const char *key,
                                size_t len)
{
	char id[AK_ID_LEN + 1], secret[AK_SECRET_LEN + 1];
	enum ak_result r = AK_MALFORMED;
	int found = 0;

	if (st == NULL || out == NULL || key == NULL)
		return AK_UNAVAILABLE;
	memset(out, 0, sizeof(*out));
	if (ak_key_parse(id, secret, key, len, st->meta.prefix) != AK_VALID)
		goto out;
	/* MUST cost the same for an unknown id: no message is made for it */
	r = AK_UNAVAILABLE;
	if (ak_store_find_key(out, &found, st, id, NULL) != 0)
		goto out;
	/* An unknown id costs the same HMAC and comparison (against the
	 * zero verifier out holds, which no HMAC equals in practice) as a
	 * real one: the time of a refusal does not tell whether the id
	 * exists. MUST be constant time; a wrong secret is NOT_FOUND. */
	if (ak_key_verify(out->hash, st->meta.store_key, id, secret) && found)
		r = AK_VALID;
	else
		r = AK_NOT_FOUND;
out:
	if (r != AK_VALID && r != AK_MALFORMED) {
		memset(out, 0, sizeof(*out));
		memcpy(out->id, id, sizeof(id)); /* the id parsed: logs may name it */
	}
	sodium_memzero(secret, sizeof(secret));
	return r;
}

enum ak_result ak_verify(struct ak_verify_res *res, const struct ak_store *st,
                         const struct ak_verify_req *req)
{
	struct ak_key k;

	if (res == NULL)
		return AK_UNAVAILABLE;
	memset(res, 0, sizeof(*res));
	res->result = AK_UNAVAILABLE;
	if (st == NULL || req == NULL)
		return res->result;
	if (req->user == NULL || req->key == NULL)
		return res->result = AK_MALFORMED;
	res->result = ak_key_authentic(&k, st, req->key, req->key_len);
	memcpy(res->id, k.id, sizeof(res->id));
	if (res->result != AK_VALID)
		return res->result;
	res_from_key(res, &k);
	if (strcmp(k.owner, req->user) != 0)
		return res->result = AK_WRONG_USER;
	return res->result = ak_key_policy(&k, req, req->now_ms ? req->now_ms : ak_now_ms());
}

/*
 * One open store per process, revalidated before every use: lstat(2) on
 * the path must show the same device, inode, size, mtime and ctime as the
 * descriptor we hold, in the same process (not a forked child). keyadm
 * replaces the store by rename, so a write always changes the inode (ours
 * stays allocated while we hold it, so it cannot be reused), and a chmod
 * or an in-place edit changes ctime: either way the next call reopens and
 * re-runs every trust check. Revocation stays immediate; the open cost
 * (GDBM reads its directory) is paid once per store version instead of
 * once per login. The mutex serialises threads (GDBM handles are not
 * thread-safe); a verification holds it for a few microseconds.
 */
static struct {
	pthread_mutex_t mu;
	struct ak_store *st;
	struct stat sb;
	pid_t pid;
	uid_t trusted_uid;
	char path[4096];
} cache = {PTHREAD_MUTEX_INITIALIZER, NULL, {0}, 0, 0, ""};

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static void cache_drop(void)
{
	/* In a forked child the handle is the parent's: forget, do not close
	 * (closing would only free memory the child does not share anyway). */
	if (cache.st != NULL && cache.pid == getpid())
		ak_store_close(cache.st);
	cache.st = NULL;
	cache.path[0] = '\0';
}

/* The store for path, from the cache when it is still the same file;
 * called with cache.mu held. */
static struct ak_store *cache_store(const char *path, uid_t trusted_uid, struct ak_error *e)
{
	struct stat now;

	if (cache.st != NULL && cache.pid == getpid() && cache.trusted_uid == trusted_uid &&
	    strcmp(cache.path, path) == 0 && lstat(path, &now) == 0 && same_file(&now, &cache.sb))
		return cache.st;
	cache_drop();
	if (strlen(path) >= sizeof(cache.path) ||
	    ak_store_open(&cache.st, path, trusted_uid, e) != 0)
		return NULL;
	/* MUST describe the descriptor we read, not whatever the path is now */
	if (fstat(gdbm_fdesc(cache.st->db), &cache.sb) != 0) {
		cache_drop();
		ak_err_set(e, AK_E_IO, "%s: cannot stat the open store", path);
		return NULL;
	}
	cache.pid = getpid();
	cache.trusted_uid = trusted_uid;
	snprintf(cache.path, sizeof(cache.path), "%s", path);
	return cache.st;
}

static int64_t req_now(const struct ak_verify_req *req)
{
	return req != NULL && req->now_ms ? req->now_ms : ak_now_ms();
}

/* A replica past its bundle's validity (the primary stopped reaching it):
 * 0 to refuse, the reason in e. fleet_stale warn answers and leaves the
 * warning in e with AK_OK for the caller to log. Read from the meta the
 * open already decoded: no file, no lookup. */
static int fleet_fresh(const struct ak_store *st, const char *path, const struct ak_verify_req *req,
                       struct ak_error *e)
{
	const struct ak_meta *m = &st->meta;
	char until[32];

	/* MUST stay this cheap: it runs on every authentication */
	if (m->fleet_role != AK_ROLE_REPLICA || req_now(req) <= m->valid_until_ms)
		return 1;
	ak_format_time(until, sizeof(until), m->valid_until_ms);
	if (m->fleet_stale == AK_STALE_WARN) {
		ak_err_set(e, AK_OK,
		           "%s: replica of %s is stale (valid until %s); answering anyway "
		           "(fleet_stale warn)",
		           path, m->origin, until);
		return 1;
	}
	ak_err_set(e, AK_E_IO, "%s: replica of %s is stale (valid until %s; fleet_stale deny)",
	           path, m->origin, until);
	return 0;
}

enum ak_result ak_verify_path(struct ak_verify_res *res, const char *path, uid_t trusted_uid,
                              const struct ak_verify_req *req, struct ak_error *e)
{
	struct ak_store *st;
	enum ak_result r = AK_UNAVAILABLE;

	if (res == NULL)
		return AK_UNAVAILABLE;
	memset(res, 0, sizeof(*res));
	res->result = AK_UNAVAILABLE;
	if (path == NULL)
		return AK_UNAVAILABLE;
	pthread_mutex_lock(&cache.mu);
	if ((st = cache_store(path, trusted_uid, e)) != NULL && fleet_fresh(st, path, req, e)) {
		r = ak_verify(res, st, req);
		if (r == AK_UNAVAILABLE) {
			ak_err_set(e, AK_E_CORRUPT, "%s: key record unreadable", path);
			cache_drop();
		}
	}
	pthread_mutex_unlock(&cache.mu);
	return r;
}

static enum ak_result recheck(const struct ak_store *st, const char *id,
                              const struct ak_verify_req *req, struct ak_verify_res *res,
                              struct ak_error *e)
{
	struct ak_error mine = {AK_OK, ""};
	struct ak_key k;

	if (ak_store_get_key(&k, st, id, e ? e : &mine) != 0)
		return (e ? e : &mine)->code == AK_E_NOENT ? AK_NOT_FOUND : AK_UNAVAILABLE;
	res_from_key(res, &k);
	if (strcmp(k.owner, req->user) != 0)
		return AK_WRONG_USER;
	return ak_key_policy(&k, req, req_now(req));
}

enum ak_result ak_recheck_path(struct ak_verify_res *res, const char *path, uid_t trusted_uid,
                               const char *id, const struct ak_verify_req *req, struct ak_error *e)
{
	struct ak_store *st;

	if (res == NULL)
		return AK_UNAVAILABLE;
	memset(res, 0, sizeof(*res));
	res->result = AK_UNAVAILABLE;
	if (path == NULL || req == NULL || req->user == NULL || !ak_id_valid(id))
		return res->result = AK_MALFORMED;
	memcpy(res->id, id, AK_ID_LEN);
	pthread_mutex_lock(&cache.mu);
	if ((st = cache_store(path, trusted_uid, e)) != NULL && fleet_fresh(st, path, req, e)) {
		res->result = recheck(st, id, req, res, e);
		if (res->result == AK_UNAVAILABLE)
			cache_drop();
	}
	pthread_mutex_unlock(&cache.mu);
	return res->result;
}

void ak_verify_cache_clear(void)
{
	pthread_mutex_lock(&cache.mu);
	cache_drop();
	pthread_mutex_unlock(&cache.mu);
}
