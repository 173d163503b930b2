/*
 * apikey core, the front ends' view: what pam_apikey and sasl_apikey need
 * to check a key and report on it, and nothing of the store inside. Every
 * other user of the core (keyadm, the tests, the fuzzers, bench) includes
 * apikey_admin.h, which includes this one.
 *
 * Status convention (the whole core, both headers):
 * - A status function returns int: 0 on success, -1 on failure, with the
 *   reason in the struct ak_error *e (e->code an AK_E_* code, e->msg one
 *   line that never holds a key, a secret, a hash or a record). e is always
 *   the last argument and may be NULL.
 * - A predicate (*_valid, *_allowed, *_live, ak_looks_like_key, ...)
 *   returns 1 or 0, never -1.
 * - Verification returns enum ak_result.
 * - Arguments: outputs first (an object the call changes, such as a
 *   transaction or a key record, counts as one), then the object read,
 *   then the inputs, then a callback and its context, then e.
 * - AK_WARN_UNUSED on every predicate and on every function that changes
 *   state or can fail.
 */
#ifndef APIKEY_H
#define APIKEY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define AK_VERSION "0.1.0"
#define AK_DEFAULT_DB "/var/lib/apikey/keys.db"
#define AK_SESSIONS_DIR "/run/apikey/sessions"

#define AK_ID_LEN 12
#define AK_USER_MAX 64    /* bytes of a user (owner) name */
#define AK_SERVICE_LEN 32 /* bytes of one service name */
#define AK_RHOST_MAX 64   /* bytes of a session's remote host */
#define AK_ERR_MAX 256

#define AK_WARN_UNUSED __attribute__((warn_unused_result))

/* Stable result codes: the names are used in logs, JSON and tests. */
enum ak_result {
	AK_VALID = 0,
	AK_MALFORMED,
	AK_NOT_FOUND,
	AK_WRONG_USER,
	AK_REVOKED,
	AK_DISABLED,
	AK_EXPIRED,
	AK_SERVICE_DENIED,
	AK_SOURCE_DENIED,
	AK_UNAVAILABLE
};

/* The reason of a failed status function, in struct ak_error. */
enum ak_status {
	AK_OK = 0,
	AK_E_INVAL,     /* bad argument or input */
	AK_E_NOENT,     /* no such key (or user has none), no such file */
	AK_E_EXISTS,    /* store already exists */
	AK_E_STATE,     /* operation not allowed in the key's state */
	AK_E_UNTRUSTED, /* a file fails the ownership/mode checks */
	AK_E_CORRUPT,   /* a record or the file does not decode */
	AK_E_IO,        /* system call or GDBM failure */
	AK_E_NOMEM
};

struct ak_error {
	enum ak_status code;
	char msg[AK_ERR_MAX];
};

struct ak_verify_req {
	const char *user; /* the login name claimed */
	const char *key;  /* the presented key (not NUL-terminated needed) */
	size_t key_len;
	const char *service; /* "sshd", "smtp", ... ; NULL or "" for none */
	const char *source;  /* remote address text; NULL or "" when unknown */
	int64_t now_ms;      /* 0: now */
};

struct ak_verify_res {
	enum ak_result result;
	char id[AK_ID_LEN + 1];      /* "" when the key did not parse */
	char owner[AK_USER_MAX + 1]; /* "" unless the id was found */
	int64_t expires_ms;
};

/* ---- verification (verify.c) ---- */
/* Opens path (revalidating any cached handle by device and inode, so a
 * revocation counts on the very next call), verifies, and closes. An
 * unusable store is AK_UNAVAILABLE with the reason in e; a stale replica
 * under fleet_stale warn answers and leaves the warning in e->msg with
 * e->code AK_OK. */
enum ak_result ak_verify_path(struct ak_verify_res *res, const char *path, uid_t trusted_uid,
                              const struct ak_verify_req *req, struct ak_error *e) AK_WARN_UNUSED;
/* Re-checks a key already authenticated by id (PAM account): everything
 * after the hash compare. req->key is ignored. */
enum ak_result ak_recheck_path(struct ak_verify_res *res, const char *path, uid_t trusted_uid,
                               const char *id, const struct ak_verify_req *req,
                               struct ak_error *e) AK_WARN_UNUSED;
/* Closes the cached store handle (a SASL plugin's free hook, tests). */
void ak_verify_cache_clear(void);
/* 1 when the bytes look like a key of some prefix ("x_..._..." of the
 * right length) so front ends can tell a key from a password cheaply. */
int ak_looks_like_key(const char *s, size_t len) AK_WARN_UNUSED;
const char *ak_result_name(enum ak_result r);

/* ---- names (util.c, key.c) ---- */
/* 1..AK_USER_MAX bytes of [A-Za-z0-9._@-] and a final '$'; must not start
 * with '-', '+', '.' or '@'. Returns 1 when valid. */
int ak_user_valid(const char *user) AK_WARN_UNUSED;
/* 1 for AK_ID_LEN base62 characters. */
int ak_id_valid(const char *id) AK_WARN_UNUSED;
/* The claimed user name as a rejection's log line or event may show it:
 * the name, or "-" when it is not valid or holds a run of more than
 * AK_LOG_RUN_MAX letters and digits, as a key's secret pasted at the user
 * prompt would (a secret is 49 of them). */
#define AK_LOG_RUN_MAX 24
const char *ak_user_for_log(const char *user);
/* The log form of an untrusted name (a host, a tty, a service): a copy
 * into buf (cap > 0 bytes, truncated) with every byte outside printable
 * ASCII, space included, as '?'; NULL as "". Returns buf. */
const char *ak_log_clean(char *buf, size_t cap, const char *s);

/* ---- usage events (events.c): beside the store, never in it ---- */
/* Appends the event of one attempt to the events file that the front
 * end's option names: events NULL or "" is the file beside the store db
 * (keys.db -> keys.events), whose absence means events are off and is
 * silent; "none" is off; a path is that file, which must exist. 0 when
 * written or off; -1 when it could not be written, the reason in e and
 * *report set to 1 for the first such failure of the process only (an
 * atomic flag), 0 after: the caller logs once. A failure never changes
 * the authentication result. */
int ak_event_record(int *report, const char *events, const char *db,
                    const struct ak_verify_req *req, const struct ak_verify_res *res,
                    struct ak_error *e) AK_WARN_UNUSED;

/* ---- session records (session.c): the sessions pam_apikey opened with a
 * key, one file each in a directory only root can write, for keyadm to
 * list and end ---- */
struct ak_session; /* opaque here; allocated by the core, freed with free() */
/* Records the session of the calling process, opened with key id by user
 * for service from rhost (either may be NULL; both are stored in their
 * log form): a new record in dir, created O_EXCL|O_NOFOLLOW; *out gets
 * the record (malloc'd; NULL on failure). */
int ak_session_record(struct ak_session **out, const char *dir, const char *id, const char *user,
                      const char *service, const char *rhost, struct ak_error *e) AK_WARN_UNUSED;
/* Removes s's record from dir if it is still the one of s's process (s
 * itself stays: the caller frees it). -1 when it was already gone (e
 * names the record). */
int ak_session_end(const struct ak_session *s, const char *dir, struct ak_error *e) AK_WARN_UNUSED;

#endif
