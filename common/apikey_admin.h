/*
 * apikey core, the admin view: key format, hashing, record codec, snapshot
 * store, transactions, audit trail, events reader, session records. For
 * keyadm, the tests, the fuzzers and bench; the front ends include only
 * apikey.h (included here), whose status convention holds for every
 * function below.
 */
#ifndef APIKEY_ADMIN_H
#define APIKEY_ADMIN_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/types.h>

#include "apikey.h"

/* The writers' lock beside the store (mode 0600, the writer's own): any
 * process that waits for the writers, or for a write to end, locks it. */
#define AK_LOCK_SUFFIX ".wlock"
#define AK_DEFAULT_PREFIX "ak"

#define AK_PREFIX_MIN 2
#define AK_PREFIX_MAX 16
#define AK_SECRET_LEN 43
#define AK_CHECK_LEN 6
/* prefix "_" id "_" secret check */
#define AK_KEY_MAX (AK_PREFIX_MAX + 1 + AK_ID_LEN + 1 + AK_SECRET_LEN + AK_CHECK_LEN)
#define AK_HASH_LEN 32
#define AK_STORE_KEY_LEN 32

#define AK_NAME_MAX 128    /* bytes of a key's display name */
#define AK_REASON_MAX 256  /* bytes of a revoke/disable reason */
#define AK_ACTOR_MAX 96    /* "alice", "root via sudo: alice" */
#define AK_SERVICES_MAX 16 /* services a key may be limited to */
#define AK_SOURCES_MAX 16  /* source CIDRs a key may be limited to */
#define AK_ACTION_MAX 16   /* "create", "revoke", ... */
#define AK_ORIGIN_MAX 64   /* bytes of a fleet origin (the primary's name) */

#define AK_HASH_HMAC_SHA256 1 /* HMAC-SHA-256(store_key, id ":" secret) */

enum ak_state { AK_STATE_ACTIVE = 1, AK_STATE_DISABLED = 2, AK_STATE_REVOKED = 3 };

struct ak_cidr {
	uint8_t family; /* 4 or 6 */
	uint8_t bits;   /* prefix length */
	uint8_t addr[16];
};

/* One key, the decoded k:<id> record. Never holds the secret. */
struct ak_key {
	char id[AK_ID_LEN + 1];
	char owner[AK_USER_MAX + 1];
	char name[AK_NAME_MAX + 1];
	uint8_t alg;
	uint8_t hash[AK_HASH_LEN];
	int64_t created_ms;
	char created_by[AK_ACTOR_MAX + 1];
	int64_t expires_ms;  /* 0: never */
	uint8_t state;       /* enum ak_state */
	int64_t disabled_ms; /* 0 unless disabled */
	char disabled_by[AK_ACTOR_MAX + 1];
	char disabled_reason[AK_REASON_MAX + 1];
	int64_t revoked_ms; /* 0 unless revoked */
	char revoked_by[AK_ACTOR_MAX + 1];
	char revoked_reason[AK_REASON_MAX + 1];
	uint8_t n_services; /* 0: any service */
	char services[AK_SERVICES_MAX][AK_SERVICE_LEN + 1];
	uint8_t n_sources; /* 0: any source */
	struct ak_cidr sources[AK_SOURCES_MAX];
	char rotated_from[AK_ID_LEN + 1]; /* "" when none */
	char rotated_to[AK_ID_LEN + 1];
};

/* The meta record: one per store. */
struct ak_meta {
	uint32_t schema;
	char prefix[AK_PREFIX_MAX + 1];
	uint8_t store_key[AK_STORE_KEY_LEN];
	uint64_t generation; /* +1 on every committed write */
	int64_t created_ms;
	uint64_t audit_seq;              /* number of audit entries */
	uint8_t audit_head[AK_HASH_LEN]; /* hash of the newest audit entry */
	/* Fleet (meta version 2, written only when origin is set): what the
	 * readers need to judge a replica's freshness with no other file. */
	char origin[AK_ORIGIN_MAX + 1]; /* "" unless the store is in a fleet */
	uint8_t fleet_role;             /* AK_ROLE_*: a replica refuses changes */
	uint8_t fleet_stale;            /* AK_STALE_*: past valid_until_ms */
	uint64_t serial;                /* the newest bundle installed (or published) */
	int64_t published_ms, valid_until_ms, installed_ms;
	uint64_t origin_generation;             /* the primary's generation */
	uint8_t origin_audit_head[AK_HASH_LEN]; /* the primary's audit head */
	uint8_t bundle_digest[AK_HASH_LEN];     /* of the installed bundle's header */
};
#define AK_ROLE_NONE 0    /* standalone, or a primary (keys.db.sign beside it) */
#define AK_ROLE_REPLICA 1 /* built by keyadm install from its primary's bundles */
#define AK_STALE_DENY 0   /* past validUntil: UNAVAILABLE */
#define AK_STALE_WARN 1   /* past validUntil: answer, with a warning */

/* One admin audit entry, a:<seq>. */
struct ak_audit {
	uint64_t seq; /* 1, 2, ... */
	int64_t time_ms;
	char actor[AK_ACTOR_MAX + 1];
	char action[AK_ACTION_MAX + 1];
	char id[AK_ID_LEN + 1]; /* "" for store-wide actions */
	char owner[AK_USER_MAX + 1];
	char reason[AK_REASON_MAX + 1];
	uint8_t prev[AK_HASH_LEN]; /* hash of entry seq-1 (zeros for 1) */
};

/* ---- results, time, input validation (util.c) ---- */
const char *ak_state_name(uint8_t state);
int64_t ak_now_ms(void);
void ak_err_set(struct ak_error *e, enum ak_status code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* A fleet origin: 1..AK_ORIGIN_MAX of [A-Za-z0-9.-], starting with a
 * letter or digit (a host name). Returns 1 when valid. */
int ak_origin_valid(const char *origin) AK_WARN_UNUSED;
/* A strict reader of big-endian fields (the record and bundle codecs):
 * a read past the end sets bad, returns NULL or 0 and reads nothing more. */
struct ak_rd {
	const uint8_t *p;
	size_t len, off;
	int bad;
};
const uint8_t *ak_rd_take(struct ak_rd *r, size_t n);
uint64_t ak_rd_uint(struct ak_rd *r, unsigned bytes);
/* A u64 of milliseconds; over INT64_MAX sets bad. */
int64_t ak_rd_time(struct ak_rd *r);
void ak_rd_bytes(struct ak_rd *r, void *out, size_t n);
/* v as 1..8 big-endian bytes into out: the codecs' integers. */
void ak_be_put(uint8_t *out, uint64_t v, unsigned bytes);
/* Length of the valid UTF-8 sequence at s (at most n bytes, shortest
 * form, no surrogate) with its code point in *cp, or 0. */
size_t ak_utf8_decode(uint32_t *cp, const char *s, size_t n) AK_WARN_UNUSED;
/* 0 for a character that must not stand in text a person reads: C0 and C1
 * controls, DEL, the bidi controls (U+061C, U+200E/F, U+202A..E,
 * U+2066..9) and the line and paragraph separators (U+2028, U+2029). */
int ak_char_printable(uint32_t cp) AK_WARN_UNUSED;
/* 0..max bytes of UTF-8 whose characters are all ak_char_printable. */
int ak_text_valid(const char *s, size_t max) AK_WARN_UNUSED;
/* 1 for a byte that a log line, an events field or a record shows as it
 * is: printable ASCII but the space (the one rule of ak_log_clean, the
 * events writer, session records and keyadm's echoes of input). */
int ak_word_char(unsigned char c) AK_WARN_UNUSED;
/* A positive number and a unit -> milliseconds (> 0): "45s", "30min",
 * "12h", "90d", "2w", "6mo" (30 days each), "1y" (365 days). "m" and
 * "M" are refused (minutes or months?), as is any other unit. */
int ak_parse_duration(int64_t *ms, const char *s) AK_WARN_UNUSED;
/* Why s is not a duration, for a message (never names s itself). */
const char *ak_duration_help(const char *s);
/* A duration from now, "2027-01-31" (00:00 UTC) or "2027-01-31T12:00:00Z". */
int ak_parse_when(int64_t *ms, const char *s, int64_t now_ms) AK_WARN_UNUSED;
/* "2026-11-22 17:44:02 UTC" into buf (at least 32 bytes); "-" for 0. */
void ak_format_time(char *buf, size_t len, int64_t ms);
/* Comma-separated service names ([A-Za-z0-9._-], 1..AK_SERVICE_LEN). */
int ak_services_parse(struct ak_key *k, const char *csv) AK_WARN_UNUSED;
int ak_service_allowed(const struct ak_key *k, const char *service) AK_WARN_UNUSED;

/* ---- CIDR (cidr.c) ---- */
int ak_cidr_parse(struct ak_cidr *out, const char *s) AK_WARN_UNUSED;
/* Comma-separated CIDRs into k->sources. */
int ak_sources_parse(struct ak_key *k, const char *csv) AK_WARN_UNUSED;
void ak_cidr_format(char *buf, size_t len, const struct ak_cidr *c);
/* 1 when addr (IPv4, IPv6, or IPv4-mapped IPv6 text) is in one of the
 * key's sources or the key has none; 0 otherwise (also for a hostname). */
int ak_source_allowed(const struct ak_key *k, const char *addr) AK_WARN_UNUSED;

/* ---- key format (key.c) ---- */
int ak_prefix_valid(const char *prefix) AK_WARN_UNUSED;
/* Makes a new key "<prefix>_<id>_<secret><check>" into key_out (at least
 * AK_KEY_MAX + 1 bytes) and its id into id_out. The caller MUST wipe
 * key_out with sodium_memzero. */
int ak_key_generate(char *key_out, char *id_out, const char *prefix) AK_WARN_UNUSED;
/* Exact parse: AK_VALID and id_out/secret_out filled, or AK_MALFORMED.
 * secret_out needs AK_SECRET_LEN + 1 bytes and MUST be wiped. */
enum ak_result ak_key_parse(char *id_out, char *secret_out, const char *key, size_t len,
                            const char *prefix) AK_WARN_UNUSED;
/* The stored verifier for id:secret: HMAC-SHA-256(store_key, id ":"
 * secret). */
void ak_key_hash(uint8_t *out, const uint8_t *store_key, const char *id, const char *secret);
/* 1 when hash is the verifier of id:secret under store_key, in constant
 * time (libsodium's crypto_auth_hmacsha256_verify); 0 otherwise. */
int ak_key_verify(const uint8_t *hash, const uint8_t *store_key, const char *id,
                  const char *secret) AK_WARN_UNUSED;
/* A random base62 id of AK_ID_LEN characters. */
void ak_id_generate(char *id_out);
/* Length of a key in this format starting at s (up to len bytes) whose
 * check characters are correct, or 0. Used by scanners. */
size_t ak_key_match(const char *s, size_t len, const char *prefix) AK_WARN_UNUSED;

/* ---- record codec (record.c); strict: truncation, trailing bytes,
 * unknown versions and over-long fields are AK_E_CORRUPT ---- */
#define AK_REC_MAX 8192
int ak_key_encode(uint8_t *buf, size_t cap, size_t *len, const struct ak_key *k) AK_WARN_UNUSED;
int ak_key_decode(struct ak_key *k, const uint8_t *buf, size_t len) AK_WARN_UNUSED;
int ak_meta_encode(uint8_t *buf, size_t cap, size_t *len, const struct ak_meta *m) AK_WARN_UNUSED;
int ak_meta_decode(struct ak_meta *m, const uint8_t *buf, size_t len) AK_WARN_UNUSED;
int ak_audit_encode(uint8_t *buf, size_t cap, size_t *len, const struct ak_audit *a) AK_WARN_UNUSED;
int ak_audit_decode(struct ak_audit *a, const uint8_t *buf, size_t len) AK_WARN_UNUSED;
/* Hash of an audit entry (covers every field, prev included). */
void ak_audit_hash(uint8_t *out, const struct ak_audit *a);

/* ---- store (store.c) ---- */
struct ak_store; /* an open snapshot: read-only, or a transaction's copy */

/* Opens path read-only without a lock. Refuses (AK_E_UNTRUSTED) anything
 * that is not a regular file owned by root or by trusted_uid, or that is
 * group- or world-writable; a symlink is refused too. So is a store in a
 * directory that someone else could change: its directory and every one
 * above it must be owned by root (or trusted_uid) and not writable by
 * group or others; an ancestor may be a sticky one such as /tmp (whose
 * entries only their owners can rename), never the store's own. */
int ak_store_open(struct ak_store **out, const char *path, uid_t trusted_uid,
                  struct ak_error *e) AK_WARN_UNUSED;
void ak_store_close(struct ak_store *st);
const struct ak_meta *ak_store_meta(const struct ak_store *st);
/* 0, or -1 with e->code AK_E_NOENT, AK_E_CORRUPT or AK_E_IO. */
int ak_store_get_key(struct ak_key *out, const struct ak_store *st, const char *id,
                     struct ak_error *e) AK_WARN_UNUSED;
/* The iterators below: 0 when done (also when fn returned non-zero,
 * which stops), -1 on a read error (e->code AK_E_CORRUPT, AK_E_IO,
 * AK_E_INVAL, AK_E_NOMEM). */
/* Calls fn for every key (any order); fn returning non-zero stops. */
int ak_store_each_key(const struct ak_store *st, int (*fn)(const struct ak_key *, void *),
                      void *ctx, struct ak_error *e) AK_WARN_UNUSED;
/* Calls fn for every key of user, from the u:<user> index. */
int ak_store_user_keys(const struct ak_store *st, const char *user,
                       int (*fn)(const struct ak_key *, void *), void *ctx,
                       struct ak_error *e) AK_WARN_UNUSED;
/* A bounded sweep: fn for at most max of user's keys, in index order from
 * the from-th (modulo their number); *total (may be NULL) gets the number
 * of user's keys, read from the index alone. */
int ak_store_user_slice(size_t *total, const struct ak_store *st, const char *user, size_t from,
                        size_t max, int (*fn)(const struct ak_key *, void *), void *ctx,
                        struct ak_error *e) AK_WARN_UNUSED;
/* Calls fn for audit entries seq from..n in order (from 1: all of them). */
int ak_store_each_audit(const struct ak_store *st, uint64_t from,
                        int (*fn)(const struct ak_audit *, void *), void *ctx,
                        struct ak_error *e) AK_WARN_UNUSED;
/* Checks the chain against meta: 0, or -1 with AK_E_CORRUPT naming the
 * entry. */
int ak_store_audit_verify(const struct ak_store *st, struct ak_error *e) AK_WARN_UNUSED;
/* Decodes every record, checks the index both ways and the audit chain
 * (storecheck.c, the engine of keyadm check): 0 or -1. */
int ak_store_check(const struct ak_store *st, struct ak_error *e) AK_WARN_UNUSED;

/* Creates a new store (and its writers' lock path.wlock, mode 0600)
 * with prefix; group is the gid the store gets (or (gid_t)-1 to keep
 * the caller's). Fails AK_E_EXISTS. */
int ak_store_init(const char *path, const char *prefix, gid_t group, const char *actor,
                  struct ak_error *e) AK_WARN_UNUSED;

/* ---- writes: a transaction on a private copy, renamed into place ---- */
struct ak_txn;
/* Locks path.wlock (waiting at most 30 s; the error names the holder),
 * removes stale temporary copies, copies the live store and opens the
 * copy for writing. */
int ak_txn_begin(struct ak_txn **out, const char *path, uid_t trusted_uid, const char *actor,
                 struct ak_error *e) AK_WARN_UNUSED;
/* A transaction on a new, empty store (no meta yet: the caller writes
 * every record and sets the meta) that replaces path on commit, or
 * creates it with group (or the caller's) and mode 0640: keyadm install. */
int ak_txn_begin_new(struct ak_txn **out, const char *path, uid_t trusted_uid, const char *actor,
                     gid_t group, struct ak_error *e) AK_WARN_UNUSED;
struct ak_store *ak_txn_store(struct ak_txn *t);
/* The copy's meta record, written at commit (install and promote set the
 * fleet fields; generation is bumped by the commit). */
struct ak_meta *ak_txn_meta(struct ak_txn *t);
/* Stores k (new or changed), keeping the u:<owner> index right. */
int ak_txn_put_key(struct ak_txn *t, const struct ak_key *k, struct ak_error *e) AK_WARN_UNUSED;
/* Removes a key (purge) and its index entry. */
int ak_txn_delete_key(struct ak_txn *t, const char *id, struct ak_error *e) AK_WARN_UNUSED;
/* Creates a key for owner into k (id, hash, created, state set; the caller
 * fills name, expiry, restrictions before ak_txn_put_key) and the full key
 * into key_out (AK_KEY_MAX + 1 bytes, MUST be wiped by the caller). */
int ak_txn_new_key(struct ak_txn *t, struct ak_key *k, char *key_out, const char *owner,
                   struct ak_error *e) AK_WARN_UNUSED;
/* Appends an audit entry with the transaction's actor and time. */
int ak_txn_audit(struct ak_txn *t, const char *action, const char *id, const char *owner,
                 const char *reason, struct ak_error *e) AK_WARN_UNUSED;
const char *ak_txn_actor(const struct ak_txn *t);
int64_t ak_txn_now(const struct ak_txn *t);
/* Syncs the copy, renames it over the live file, syncs the directory,
 * unlocks and frees t (whatever the outcome). 0 once renamed: the change
 * is made (a failed sync of the directory after it is reported in e). */
int ak_txn_commit(struct ak_txn *t, struct ak_error *e) AK_WARN_UNUSED;
/* Discards the copy, unlocks, frees t. Safe with NULL. */
void ak_txn_abort(struct ak_txn *t);

/* ---- a replica's revoked ids (tombstones.c): every key it has seen revoked,
 * kept across installs; AK_ID_LEN bytes each, sorted, no NUL ---- */
/* *ids (malloc'd, NULL when none) and their number: 0, or -1 with
 * AK_E_CORRUPT/AK_E_IO. */
int ak_store_tombstones(char **ids, size_t *n, const struct ak_store *st,
                        struct ak_error *e) AK_WARN_UNUSED;
int ak_txn_put_tombstones(struct ak_txn *t, const char *ids, size_t n,
                          struct ak_error *e) AK_WARN_UNUSED;

/* ---- state changes of a key record in memory (keystate.c): pure, the
 * store is not touched (keyadm puts and audits) ----
 * 0 with *changed 1 when the record changed, 0 when it already was so
 * (idempotent); -1 when not allowed (e->code AK_E_STATE: disable or enable
 * a revoked key), *changed 0. */
int ak_keyrec_revoke(struct ak_key *k, int *changed, int64_t now_ms, const char *actor,
                     const char *reason, struct ak_error *e) AK_WARN_UNUSED;
int ak_keyrec_disable(struct ak_key *k, int *changed, int64_t now_ms, const char *actor,
                      const char *reason, struct ak_error *e) AK_WARN_UNUSED;
int ak_keyrec_enable(struct ak_key *k, int *changed, struct ak_error *e) AK_WARN_UNUSED;
/* "active", "disabled", "revoked" or "expired" at now. */
const char *ak_key_state_at(const struct ak_key *k, int64_t now_ms);

/* ---- verification on an open store (verify.c); the front ends take
 * ak_verify_path (apikey.h) ---- */
/* Order: parse, fetch, constant-time compare, owner, state, expiry,
 * service, source. A wrong secret for a real id is NOT_FOUND. */
enum ak_result ak_verify(struct ak_verify_res *res, const struct ak_store *st,
                         const struct ak_verify_req *req) AK_WARN_UNUSED;
/* Is this full key genuine in this store, whoever owns it? Parse, fetch,
 * constant-time compare: AK_VALID with the record in out, or MALFORMED,
 * NOT_FOUND (also a wrong secret), UNAVAILABLE; out->id holds the parsed id
 * whenever the key parsed. For keyadm revoke --key and scan --revoke. */
enum ak_result ak_key_authentic(struct ak_key *out, const struct ak_store *st, const char *key,
                                size_t len) AK_WARN_UNUSED;

/* ---- usage events (events.c): beside the store, never in it ---- */
struct ak_event {
	int64_t time_ms;
	enum ak_result result;
	char id[AK_ID_LEN + 1]; /* "" when the key did not parse */
	char user[AK_USER_MAX + 1];
	char service[AK_SERVICE_LEN + 1];
	char source[64 + 1];
};
/* The default events file of a store: keys.db -> keys.events. */
int ak_events_path(char *out, size_t cap, const char *db) AK_WARN_UNUSED;
/* The events policy (front ends' events= option, apikey.conf's events):
 * events NULL or "" -> the file beside db, "none" -> off (*off 1, out
 * ""), else the path events names. 0, or -1 (AK_E_INVAL: too long). */
int ak_events_choose(char *out, size_t cap, int *off, const char *events, const char *db,
                     struct ak_error *e) AK_WARN_UNUSED;
/* Appends one line with one write(2) to an existing regular events file
 * (never blocks on a FIFO); the caller decides what a failure means
 * (never the authentication result): e->code is AK_E_NOENT when the file
 * is missing, AK_E_UNTRUSTED when it is not a regular file, else AK_E_IO. */
int ak_event_append(const char *path, const struct ak_verify_req *req,
                    const struct ak_verify_res *res, struct ak_error *e) AK_WARN_UNUSED;
/* Calls fn for every well-formed line; *bad counts the others. A last line
 * without its newline (a write in progress) is neither read nor counted.
 * 0, or -1 with e->code AK_E_NOENT, AK_E_UNTRUSTED (not a regular file: a
 * FIFO is refused, not waited on) or AK_E_IO. */
int ak_events_each(size_t *bad, const char *path, int (*fn)(const struct ak_event *, void *),
                   void *ctx, struct ak_error *e) AK_WARN_UNUSED;
/* The same over an open stream (a rotated, perhaps decompressed, file);
 * name is for the message. 0, or -1 with AK_E_IO (a read error of f). */
int ak_events_each_stream(size_t *bad, FILE *f, const char *name,
                          int (*fn)(const struct ak_event *, void *), void *ctx,
                          struct ak_error *e) AK_WARN_UNUSED;
/* Opens path read-only into *fd as ak_events_each does (no symlink, no
 * FIFO wait, a regular file only): 0, or -1 with AK_E_NOENT,
 * AK_E_UNTRUSTED or AK_E_IO. */
int ak_events_open(int *fd, const char *path, struct ak_error *e) AK_WARN_UNUSED;

/* ---- session records (session.c), the whole of them: keyadm lists and
 * ends them. No secret in a record. ---- */
#define AK_CGROUP_MAX 512
#define AK_SESSION_NAME_MAX (AK_ID_LEN + 48)
struct ak_session {
	char id[AK_ID_LEN + 1];
	char user[AK_USER_MAX + 1];
	char service[AK_SERVICE_LEN + 1];
	char rhost[AK_RHOST_MAX + 1]; /* "" when the service gave none */
	int64_t start_ms;
	pid_t pid;                      /* the session leader: the process that opened it */
	uint64_t pid_start;             /* its start time, /proc/PID/stat field 22 */
	char cgroup[AK_CGROUP_MAX + 1]; /* /proc/PID/cgroup (v2 or name=systemd) */
	char logind[32];                /* the logind session id ("" when none) */
	char name[AK_SESSION_NAME_MAX]; /* the record's file name */
};
/* The start time of pid in clock ticks since boot: 0 running, 1 a
 * zombie (it has ended), -1 gone (not a status: three answers). */
int ak_proc_start(uint64_t *ticks, pid_t pid) AK_WARN_UNUSED;
/* The same, and the parent's pid when ppid is not NULL. */
int ak_proc_stat(pid_t *ppid, uint64_t *ticks, pid_t pid) AK_WARN_UNUSED;
/* s's pid, start time, cgroup and logind session, from /proc. */
int ak_session_fill(struct ak_session *s, pid_t pid, struct ak_error *e) AK_WARN_UNUSED;
/* Makes dir (0700, its parent 0755) if missing and checks it: a directory
 * owned by root, not group- or world-writable, not a symlink. Returns an
 * open descriptor of it or -1 (AK_E_UNTRUSTED or AK_E_IO). */
int ak_sessions_dir(const char *dir, int create, struct ak_error *e) AK_WARN_UNUSED;
/* A new record in dir, created O_EXCL|O_NOFOLLOW; s->name is set. */
int ak_session_write(struct ak_session *s, const char *dir, struct ak_error *e) AK_WARN_UNUSED;
/* Removes the record name if it is still the one of pid: 0 or -1. */
int ak_session_remove(const char *dir, const char *name, pid_t pid) AK_WARN_UNUSED;
/* Each record of dir, in no order. A record that is not a regular file
 * owned by root, is writable by others or does not parse is passed to bad
 * (name, reason) and skipped. fn returning nonzero stops. */
int ak_sessions_each(const char *dir, int (*fn)(const struct ak_session *, void *),
                     void (*bad)(const char *, const char *, void *), void *ctx,
                     struct ak_error *e) AK_WARN_UNUSED;
/* A record's text: every field once, nothing else (buf is changed). */
int ak_session_parse(struct ak_session *s, char *buf) AK_WARN_UNUSED;
/* The text of s: its length, or -1 when it does not fit. */
int ak_session_format(char *buf, size_t cap, const struct ak_session *s) AK_WARN_UNUSED;
/* 1: the leader runs with the recorded start time; 0: stale. */
int ak_session_live(const struct ak_session *s) AK_WARN_UNUSED;

#endif
