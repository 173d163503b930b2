/* keyadm: the admin CLI over the core. Private to keyadm/. */
#ifndef KEYADM_H
#define KEYADM_H

#include <stdint.h>
#include <stdio.h>

#include "apikey.h"

/* Exit codes, documented in keyadm.8 EXIT STATUS. */
#define KA_EXIT_OK 0
#define KA_EXIT_FAIL 1
#define KA_EXIT_USAGE 2
#define KA_EXIT_NOENT 3
#define KA_EXIT_REJECTED 4 /* verify: the key was checked and is not VALID */

/* The largest input read from stdin or a file (a key is far smaller). */
#define KA_INPUT_MAX 4096

/* Options, wherever they stand on the command line. */
struct ka_opts {
	const char *cmd;
	char **args; /* positional arguments after the subcommand */
	int n_args;
	const char *db, *prefix, *name, *expires, *service, *from, *reason;
	const char *user, *key, *grace, *state,
	        *since; /* --key: a file (revoke) or an id (audit) */
	int json, help, version, no_expiry, any_service, any_source, verify, batch;
	unsigned given; /* KA_O_* bits of the options present */
};

/* The run's context: where the store is, who acts, when. */
struct ka_ctx {
	const struct ka_opts *o;
	const char *db;
	char actor[AK_ACTOR_MAX + 1];
	int64_t now;
};

/* main.c */
void ka_usage_cmd(FILE *f, const char *cmd);

/* util.c: dying, the store, the transaction, input */
__attribute__((noreturn, format(printf, 2, 3))) void ka_die(int code, const char *fmt, ...);
__attribute__((noreturn, format(printf, 1, 2))) void ka_usage(const char *fmt, ...);
__attribute__((noreturn)) void ka_die_err(const struct ak_error *e);
void ka_secret_hold(void *buf, size_t len);
void ka_secret_wipe(void);
void ka_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ka_actor(char *out, size_t cap);
struct ak_store *ka_store_open(const struct ka_ctx *c);
struct ak_txn *ka_txn_begin(const struct ka_ctx *c);
void ka_txn_commit(struct ak_txn *t);
void ka_txn_abort_quiet(struct ak_txn *t);
void ka_txn_fail(struct ak_txn *t, const struct ak_error *e);
void ka_check_id(const char *id);
void ka_check_user(const char *user);
void ka_check_text(const char *what, const char *s, size_t max);
int64_t ka_when(const struct ka_ctx *c, const char *s);
size_t ka_read_input(char *buf, size_t cap, int fd);
int ka_open_input(const char *path);
int ka_key_lookup(struct ak_txn *t, struct ak_key *k, const char *id);

/* out.c: JSON and readable output */
void ka_json_str(FILE *f, const char *s);
void ka_json_time(FILE *f, int64_t ms);
void ka_json_key(FILE *f, const struct ak_key *k, int64_t now);
void ka_show_key(FILE *f, const struct ak_key *k, int64_t now);
void ka_list_table(FILE *f, const struct ak_key *keys, size_t n, int64_t now);
void ka_flush(FILE *f);

/* commands */
int ka_cmd_init(const struct ka_ctx *c);
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

#endif
