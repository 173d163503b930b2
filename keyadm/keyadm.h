/* keyadm: the admin CLI over the core. Private to keyadm/. */
#ifndef KEYADM_H
#define KEYADM_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "apikey_admin.h"

/* Exit codes, documented in keyadm.8 EXIT STATUS. */
#define KA_EXIT_OK 0
#define KA_EXIT_FAIL 1
#define KA_EXIT_USAGE 2
#define KA_EXIT_NOENT 3
#define KA_EXIT_REJECTED 4 /* verify: the key was checked and is not VALID */
#define KA_EXIT_FOUND 1    /* scan: keys were found */
#define KA_EXIT_SCANERR 5  /* scan: a path could not be read (and nothing found) */

/* The policy file; a build for tests may point elsewhere. */
#ifndef KA_SYSCONF
#define KA_SYSCONF "/etc/apikey/apikey.conf"
#endif

/* Change hooks: the default directory (hooks_dir in apikey.conf). */
#ifndef KA_HOOKS_DIR
#define KA_HOOKS_DIR "/etc/apikey/hooks.d"
#endif

/* The largest input read from stdin or a file (a key is far smaller). */
#define KA_INPUT_MAX 4096

/* --events: the most files one command reads. */
#define KA_EVENTS_MAX 64

/* Options, wherever they stand on the command line. */
struct ka_opts {
	const char *cmd;
	char **args; /* positional arguments after the subcommand */
	int n_args;
	const char *db, *prefix, *name, *expires, *service, *from, *reason;
	const char *user, *key, *grace, *state,
	        *since; /* --key: a file (revoke) or an id (audit) */
	const char *config, *unused, *expiring, *stale, *group;
	const char *events[KA_EVENTS_MAX]; /* --events, one file per host */
	int n_events;
	int json, help, version, no_expiry, any_service, any_source, verify, batch;
	const char *out, *valid, *trust; /* publish, install */
	int record, revoke, follow_symlinks, check;
	int end_sessions, keep_sessions;
	uint64_t given; /* KA_O_* bits of the options present */
};

/* The site policy (apikey.conf); zero values mean "no limit" (the
 * defaults are set by ka_conf_load, "none" or "never" turns one off). */
struct ka_policy {
	char path[1024]; /* the file read; "" when there was none */
	int64_t max_lifetime, default_expiry;
	char max_lifetime_text[32]; /* as written, for messages */
	unsigned long max_keys;
	int self_service;
	unsigned long ss_max_stored; /* self_service_max_stored */
	unsigned long ss_rate;       /* self_service_rate: changes per window */
	int64_t ss_rate_window;
	char ss_rate_text[32];
	int64_t purge_after; /* purge_revoked_after */
	char purge_after_text[32];
	char store[1024];        /* "" when not set */
	char events[1024];       /* the events setting: a path, "none", or "" */
	char hooks_dir[1024];    /* "" when not set */
	char fleet_trust[1024];  /* the primary's public key on a replica; "" when not set */
	int fleet_stale;         /* AK_STALE_DENY (default) or AK_STALE_WARN */
	char sessions_dir[1024]; /* "" when not set: AK_SESSIONS_DIR */
	int end_sessions;        /* end_sessions yes */
	size_t events_line;      /* where it was set, for messages */
};

/* The run's context: where the store is, who acts, when. */
struct ka_ctx {
	const struct ka_opts *o;
	const char *db;
	char events[4096 + 16]; /* the usage events file: the setting, else beside the store */
	int events_off;         /* events none */
	char actor[AK_ACTOR_MAX + 1];
	int64_t now;
	struct ka_policy pol;
	const char *self; /* self-service: the only owner allowed; NULL: any */
};

/* Last use of a key, from the usage events (VALID attempts only). */
struct ka_use {
	int64_t time_ms; /* 0: no use seen; KA_USE_OFF: events none */
	char service[AK_SERVICE_LEN + 1];
	char source[64 + 1];
	char host[64]; /* --events: the file's host ("" for the one events file) */
};

/* main.c and help.c: --help */
void ka_usage_cmd(FILE *f, const char *cmd);
void ka_help_option(FILE *f, const char *cmd, const char *opt, int takes_value);

/* exits.c: dying, the store, the transaction, input */
__attribute__((noreturn, format(printf, 2, 3))) void ka_die(int code, const char *fmt, ...);
__attribute__((noreturn, format(printf, 1, 2))) void ka_usage(const char *fmt, ...);
__attribute__((noreturn)) void ka_die_err(const struct ak_error *e);
void ka_secret_hold(void *buf, size_t len);
void ka_secret_wipe(void);
void ka_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ka_actor(char *out, size_t cap);
struct ak_store *ka_store_open(const struct ka_ctx *c);
struct ak_txn *ka_txn_begin(const struct ka_ctx *c);
struct ak_txn *ka_txn_begin_replica(const struct ka_ctx *c);
struct ak_txn *ka_txn_begin_new(const struct ka_ctx *c, gid_t group);
void ka_refuse_replica(const struct ka_ctx *c, const struct ak_meta *m);
void ka_txn_commit(struct ak_txn *t);
void ka_txn_abort_quiet(struct ak_txn *t);
void ka_txn_fail(struct ak_txn *t, const struct ak_error *e);
void ka_check_id(const char *id);

void ka_check_user(const char *user);
void ka_warn_not_passwd(const char *user, size_t line);
void ka_check_text(const char *what, const char *s, size_t max);
int64_t ka_duration(const char *what, const char *s);
int64_t ka_when(const struct ka_ctx *c, const char *s);
size_t ka_read_input(char *buf, size_t cap, int fd);
int ka_open_input(const char *path);
int ka_key_lookup(struct ak_txn *t, struct ak_key *k, const char *id);

int64_t ka_since(const struct ka_ctx *c, const char *s);
void ka_fail_code(int code);

/* changelog.c: every committed change, one syslog line per audit entry */
void ka_changes_collect(const struct ak_store *st, uint64_t from, const char *db);
void ka_changes_log(void);

/* hooks.c: change hooks, run after every committed change */
void ka_hooks_config(const char *dir);
void ka_hooks_reset(void);
void ka_hooks_note(const struct ak_audit *a);
void ka_hooks_start(const char *db, uint64_t from, uint64_t generation);
void ka_hooks_committed(void);
void ka_hooks_cancel(void);
void ka_hooks_wait(void);

/* priv.c: keyadm installed setuid root (self-service) */
void ka_priv_init(void);
int ka_priv_setuid(void);
void ka_priv_raise(void);
void ka_priv_drop(void);
const char *ka_self(void);
void ka_self_check(struct ka_ctx *c);

/* conf.c and policy.c: apikey.conf and its limits */
void ka_conf_load(struct ka_policy *p, const char *path, int must_exist);
void ka_conf_select(struct ka_ctx *c);
void ka_policy_new_expiry(const struct ka_ctx *c, struct ak_key *r);
void ka_policy_check_expiry(const struct ka_ctx *c, int64_t expires, int64_t created);
int64_t ka_policy_rotated_expiry(const struct ka_ctx *c, int64_t old_expires, int64_t now);
#define KA_ROOM_LIVE 1u  /* the new key can log in: max_keys_per_user */
#define KA_ROOM_GRACE 2u /* ... while the old one is in its rotation grace */
#define KA_ROOM_PURGE 4u /* purge_revoked_after applies */
void ka_policy_make_room(const struct ka_ctx *c, struct ak_txn *t, const char *owner,
                         unsigned what);
void ka_policy_rate(const struct ka_ctx *c, struct ak_txn *t);

/* events_read.c: the usage events file */
#define KA_USE_OFF (-1)
void ka_events_select(struct ka_ctx *c);
void ka_events_need(const struct ka_ctx *c, const char *what);
void ka_events_create(const struct ka_ctx *c, gid_t gid);
void ka_events_read(const struct ka_ctx *c, int (*fn)(const struct ak_event *, void *), void *ctx);
const char *ka_events_host(void); /* while ka_events_read reads an --events file */
void ka_lastuse(const struct ka_ctx *c, const struct ak_key *keys, size_t n, struct ka_use *out);

/* scan_walk.c: files and directories, read in chunks, for keys */
struct ka_walk {
	const char *prefix;
	int follow;      /* follow symbolic links */
	size_t symlinks; /* skipped */
	size_t errors;   /* paths that could not be read */
	void (*found)(void *ctx, const char *file, uint64_t line, const char *key, size_t len);
	void *ctx;
};
void ka_walk_path(struct ka_walk *w, const char *path);

/* out.c: JSON and readable output */
void ka_json_str(FILE *f, const char *s);
void ka_json_opt(FILE *f, const char *s);
const char *ka_esc(const char *s);
void ka_json_time(FILE *f, int64_t ms);
void ka_json_key(FILE *f, const struct ak_key *k, const struct ka_use *u, int64_t now);
void ka_show_key(FILE *f, const struct ak_key *k, const struct ka_use *u, int64_t now);
void ka_list_table(FILE *f, const struct ak_key *keys, const struct ka_use *u, size_t n,
                   int64_t now);
void ka_flush(FILE *f);
void ka_output_hold(void);
int ka_output_release(void);
int ka_write_all(int fd, const char *buf, size_t len);
/* Columns that fit their widest cell: measure every row, then print it. */
#define KA_COLS_MAX 16
struct ka_cols {
	size_t n;
	unsigned right; /* bit per right-aligned column */
	int w[KA_COLS_MAX];
};
void ka_cols_measure(struct ka_cols *c, const char *const *cells);
void ka_cols_print(FILE *f, const struct ka_cols *c, const char *const *cells);

/* commands */
int ka_cmd_init(const struct ka_ctx *c);
int ka_cmd_group(const struct ka_ctx *c);
gid_t ka_group_resolve(const char *name);
void ka_group_precheck(const struct ka_ctx *c);
void ka_group_apply(const struct ka_ctx *c, gid_t gid, const char *name);
int ka_cmd_create(const struct ka_ctx *c);
int ka_create_batch(const struct ka_ctx *c, const struct ak_key *r);
void ka_parse_restrictions(const struct ka_ctx *c, struct ak_key *r);
void ka_copy_restrictions(struct ak_key *k, const struct ak_key *r);
int ka_cmd_rotate(const struct ka_ctx *c);
int ka_cmd_set(const struct ka_ctx *c);
int ka_cmd_revoke(const struct ka_ctx *c);
int ka_cmd_disable(const struct ka_ctx *c);
int ka_cmd_enable(const struct ka_ctx *c);
int ka_cmd_purge(const struct ka_ctx *c);
int ka_cmd_list(const struct ka_ctx *c);
int ka_cmd_show(const struct ka_ctx *c);
int ka_cmd_audit(const struct ka_ctx *c);
int ka_cmd_check(const struct ka_ctx *c);
int ka_cmd_verify(const struct ka_ctx *c);
int ka_cmd_failures(const struct ka_ctx *c);
int ka_cmd_scan(const struct ka_ctx *c);
int ka_cmd_signing_key(const struct ka_ctx *c);
int ka_cmd_publish(const struct ka_ctx *c);
int ka_cmd_install(const struct ka_ctx *c);
int ka_cmd_status(const struct ka_ctx *c);
int ka_cmd_promote(const struct ka_ctx *c);
int ka_cmd_sessions(const struct ka_ctx *c);

/* sessions.c: the sessions pam_apikey recorded, ended with their keys */
struct ka_ends; /* the live sessions of the keys of one change */
const char *ka_sessions_dir(const struct ka_ctx *c);
int ka_sessions_wanted(const struct ka_ctx *c);
struct ka_ends *ka_sessions_find(const struct ka_ctx *c, const struct ak_key *k, int late);
size_t ka_sessions_count(const struct ka_ends *s);
size_t ka_sessions_end(struct ka_ends *s);
void ka_sessions_free(struct ka_ends *s);

#endif
