/* keyadm revoke, disable, enable, purge: state changes of one or many
 * keys, all in one transaction (one snapshot write). An unknown id among
 * several changes nothing. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "keyadm.h"

enum ka_op { OP_REVOKE, OP_DISABLE, OP_ENABLE, OP_PURGE };

static const char *const op_verb[] = {"revoke", "disable", "enable", "purge"};

struct ka_target {
	struct ak_key k;
	int rc;               /* 1 changed, 0 already so, -1 skipped (--user: a revoked key),
	                       * HELD: enable of a key someone else disabled (self-service) */
	struct ka_ends *ends; /* --end-sessions: its live sessions */
	size_t ended;
};

struct ka_batch {
	const struct ka_ctx *c;
	enum ka_op op;
	struct ak_txn *t;
	struct ka_target *v;
	size_t n, cap;
	int by_user;
	uint8_t hash[AK_HASH_LEN]; /* --key: the verifier of the presented key */
	int by_key;
};

static struct ka_target *batch_add(struct ka_batch *b)
{
	struct ka_target *grown;

	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 16;
		if ((grown = realloc(b->v, b->cap * sizeof(*grown))) == NULL)
			ka_die(KA_EXIT_FAIL, "out of memory");
		b->v = grown;
	}
	memset(&b->v[b->n], 0, sizeof(b->v[0]));
	return &b->v[b->n++];
}

static int collect_user_key(const struct ak_key *k, void *vb)
{
	batch_add(vb)->k = *k;
	return 0;
}

/* The ids on the command line, each once; unknown ones are all reported. */
static void collect_ids(struct ka_batch *b, char **ids, int n)
{
	int i, j, missing = 0;

	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(ids[i], ids[j]) == 0)
				break;
		if (j < i)
			continue;
		if (ka_key_lookup(b->t, &batch_add(b)->k, ids[i]) != 0) {
			if (n == 1)
				ka_die(KA_EXIT_NOENT, "no key %s", ids[i]);
			ka_warn("no key %s", ids[i]);
			b->n--;
			missing++;
		}
	}
	if (missing)
		ka_die(KA_EXIT_NOENT, "%d unknown key id%s: nothing was changed", missing,
		       missing > 1 ? "s" : "");
}

static void collect_user(struct ka_batch *b, const char *user)
{
	struct ak_error e = {AK_OK, ""};

	if (ak_store_user_keys(ak_txn_store(b->t), user, collect_user_key, b, &e) != 0)
		ka_txn_fail(b->t, &e);
	if (b->n == 0)
		ka_die(KA_EXIT_NOENT, "%s has no keys", user);
	b->by_user = 1;
}

/* --key: the full key (a leak found somewhere) is parsed and its secret
 * checked against the stored verifier; a forged key for a real id is
 * "no such key", exactly like verification. */
static void key_to_id(const struct ka_ctx *c, char *id, uint8_t *hash)
{
	char buf[KA_INPUT_MAX + 2]; /* the key: wiped on every path */
	struct ak_store *st;
	struct ak_key k;
	enum ak_result r;
	size_t len;
	int fd = ka_open_input(c->o->key);

	ka_secret_hold(buf, sizeof(buf));
	len = ka_read_input(buf, sizeof(buf), fd);
	if (fd != 0)
		close(fd);
	st = ka_store_open(c);
	r = ak_key_authentic(&k, st, buf, len);
	ka_secret_wipe();
	ak_store_close(st);
	if (r == AK_MALFORMED)
		ka_die(KA_EXIT_FAIL, "not a key of this store (MALFORMED)");
	if (r == AK_UNAVAILABLE)
		ka_die(KA_EXIT_FAIL, "the key's record is unreadable");
	if (r != AK_VALID)
		ka_die(KA_EXIT_NOENT, "no such key in this store (NOT_FOUND)");
	memcpy(id, k.id, AK_ID_LEN + 1);
	memcpy(hash, k.hash, AK_HASH_LEN);
}

static void collect_key(struct ka_batch *b, const char *id)
{
	struct ka_target *tg = batch_add(b);

	if (ka_key_lookup(b->t, &tg->k, id) != 0 ||
	    sodium_memcmp(b->hash, tg->k.hash, AK_HASH_LEN) != 0)
		ka_die(KA_EXIT_NOENT, "no such key in this store (NOT_FOUND)");
}

#define HELD (-2)

/* MUST: a suspension belongs to who set it: in self-service a key that
 * root (or an administrator) disabled stays disabled. */
static int held_by_other(const struct ka_batch *b, const struct ak_key *k)
{
	return b->c->self != NULL && k->state == AK_STATE_DISABLED &&
	       strcmp(k->disabled_by, ak_txn_actor(b->t)) != 0;
}

static __attribute__((noreturn)) void die_held(const struct ak_key *k)
{
	ka_die(KA_EXIT_FAIL,
	       "key %s was disabled by %s%s%s: only root can enable it (nothing was changed)",
	       k->id, ka_esc(k->disabled_by), k->disabled_reason[0] ? ": " : "",
	       ka_esc(k->disabled_reason));
}

/* The record's change as a target's rc: 1 changed, 0 already so, -1
 * refused. */
static int change_one(struct ka_batch *b, struct ak_key *k)
{
	const char *reason = b->c->o->reason, *actor = ak_txn_actor(b->t);
	int64_t now = ak_txn_now(b->t);
	int changed = 0, rc;

	if (b->op == OP_REVOKE)
		rc = ak_keyrec_revoke(k, &changed, now, actor, reason, NULL);
	else if (b->op == OP_DISABLE)
		rc = ak_keyrec_disable(k, &changed, now, actor, reason, NULL);
	else
		rc = ak_keyrec_enable(k, &changed, NULL);
	return rc != 0 ? -1 : changed;
}

/* One key's change; a refused change stops everything. */
static void apply_one(struct ka_batch *b, struct ka_target *tg)
{
	struct ak_key *k = &tg->k;

	if (b->op == OP_PURGE)
		tg->rc = k->state == AK_STATE_REVOKED ? 1 : -1;
	else if (b->op == OP_ENABLE && held_by_other(b, k))
		tg->rc = HELD;
	else
		tg->rc = change_one(b, k);
	if (tg->rc >= 0 || b->by_user)
		return;
	if (tg->rc == HELD)
		die_held(k);
	if (b->op == OP_PURGE)
		ka_die(KA_EXIT_FAIL, "key %s is %s, not revoked: only revoked keys are purged",
		       k->id, ak_state_name(k->state));
	ka_die(KA_EXIT_FAIL,
	       "key %s is revoked: revocation is permanent, it cannot be %sd (nothing was "
	       "changed)",
	       k->id, op_verb[b->op]);
}

static void store_one(struct ka_batch *b, const struct ka_target *tg)
{
	struct ak_error e = {AK_OK, ""};
	const struct ak_key *k = &tg->k;
	const char *reason = b->op == OP_REVOKE || b->op == OP_DISABLE ? b->c->o->reason : NULL;
	int rc;

	if (tg->rc != 1)
		return;
	if (b->op == OP_PURGE)
		rc = ak_txn_delete_key(b->t, k->id, &e);
	else
		rc = ak_txn_put_key(b->t, k, &e);
	if (rc != 0 || ak_txn_audit(b->t, op_verb[b->op], k->id, k->owner, reason, &e) != 0)
		ka_txn_fail(b->t, &e);
}

/* --end-sessions (or end_sessions yes): the live sessions of every key
 * that is now revoked or disabled, found under the store's lock; the
 * audit entry says how many, and they end once the change is committed. */
static size_t find_sessions(struct ka_batch *b)
{
	struct ak_error e = {AK_OK, ""};
	char why[32];
	size_t i, n, total = 0;

	if ((b->op != OP_REVOKE && b->op != OP_DISABLE) || !ka_sessions_wanted(b->c))
		return 0;
	for (i = 0; i < b->n; i++) {
		struct ka_target *tg = &b->v[i];
		if (tg->k.state != AK_STATE_REVOKED && tg->k.state != AK_STATE_DISABLED)
			continue;
		tg->ends = ka_sessions_find(b->c, &tg->k, 0);
		if ((n = ka_sessions_count(tg->ends)) == 0)
			continue;
		snprintf(why, sizeof(why), "%zu session%s", n, n > 1 ? "s" : "");
		if (ak_txn_audit(b->t, "end-sessions", tg->k.id, tg->k.owner, why, &e) != 0)
			ka_txn_fail(b->t, &e);
		total += n;
	}
	return total;
}

/* Then the sessions found are ended, and once more those of the same
 * keys that opened in the moment before the commit (their account check
 * passed before it): after the commit no new one can open. */
static void end_sessions(struct ka_batch *b)
{
	struct ka_ends *late;
	size_t i;

	for (i = 0; i < b->n; i++) {
		if (b->v[i].ends == NULL)
			continue;
		b->v[i].ended = ka_sessions_end(b->v[i].ends);
		ka_sessions_free(b->v[i].ends);
		b->v[i].ends = NULL;
		ka_priv_raise();
		late = ka_sessions_find(b->c, &b->v[i].k, 1);
		ka_priv_drop();
		b->v[i].ended += ka_sessions_end(late);
		ka_sessions_free(late);
	}
}

static void print_json(const struct ka_batch *b, const struct ka_target *tg)
{
	const struct ak_key *k = &tg->k;
	static const char *const done[] = {"revoked", "disabled", "enabled", "purged"};

	printf("{\"%s\":%s,\"id\":\"%s\",\"owner\":", done[b->op], tg->rc >= 0 ? "true" : "false",
	       k->id);
	ka_json_str(stdout, k->owner);
	printf(",\"changed\":%s", tg->rc == 1 ? "true" : "false");
	if (b->op == OP_REVOKE || b->op == OP_DISABLE) {
		int r = b->op == OP_REVOKE;
		printf(",\"%s\":", r ? "revokedAt" : "disabledAt");
		ka_json_time(stdout, r ? k->revoked_ms : k->disabled_ms);
		fputs(",\"reason\":", stdout);
		ka_json_str(stdout, r ? k->revoked_reason : k->disabled_reason);
		printf(",\"sessionsEnded\":%zu", tg->ended);
	}
	fputs("}\n", stdout);
}

static void print_text(const struct ka_batch *b, const struct ka_target *tg)
{
	static const char *const done[] = {"revoked", "disabled", "enabled", "purged"};
	const struct ak_key *k = &tg->k;
	char t[40];

	if (tg->rc == 1) {
		printf("%s %s (%s)\n", done[b->op], k->id, k->owner);
	} else if (tg->rc == HELD) {
		printf("skipped %s (%s): disabled by %s, only root can enable it\n", k->id,
		       k->owner, ka_esc(k->disabled_by));
	} else if (tg->rc < 0) {
		printf("skipped %s (%s): revoked\n", k->id, k->owner);
	} else if (b->op == OP_ENABLE) {
		printf("already active %s (%s)\n", k->id, k->owner);
	} else {
		ak_format_time(t, sizeof(t), b->op == OP_REVOKE ? k->revoked_ms : k->disabled_ms);
		printf("already %s %s (%s) at %s\n", done[b->op], k->id, k->owner, t);
	}
	if (tg->ended)
		printf("ended %zu session%s of %s (%s)\n", tg->ended, tg->ended > 1 ? "s" : "",
		       k->id, k->owner);
}

static int run_batch(const struct ka_ctx *c, enum ka_op op)
{
	const struct ka_opts *o = c->o;
	struct ka_batch b = {c, op, NULL, NULL, 0, 0, 0, {0}, 0};
	char id[AK_ID_LEN + 1];
	size_t i, changed = 0, sessions;
	int i_arg;

	if ((o->n_args > 0) + (o->user != NULL) + (o->key != NULL) != 1)
		ka_usage("%s: name the keys: ID..., --user USER%s", op_verb[op],
		         op == OP_REVOKE ? " or --key FILE" : "");
	for (i_arg = 0; i_arg < o->n_args; i_arg++)
		ka_check_id(o->args[i_arg]);
	if (o->user)
		ka_check_user(o->user);
	if (o->reason)
		ka_check_text("reason", o->reason, AK_REASON_MAX);
	if (op == OP_REVOKE || op == OP_DISABLE)
		(void)ka_sessions_wanted(c); /* contradicting options: before the lock */
	if (o->key)
		key_to_id(c, id, b.hash);
	b.t = ka_txn_begin(c);
	if (o->key)
		collect_key(&b, id);
	else if (o->user)
		collect_user(&b, o->user);
	else
		collect_ids(&b, o->args, o->n_args);
	for (i = 0; i < b.n; i++)
		apply_one(&b, &b.v[i]);
	for (i = 0; i < b.n; i++)
		changed += b.v[i].rc == 1;
	if (changed && (op == OP_DISABLE || op == OP_ENABLE))
		ka_policy_rate(c, b.t);
	for (i = 0; i < b.n; i++)
		store_one(&b, &b.v[i]);
	sessions = find_sessions(&b);
	if (changed || sessions)
		ka_txn_commit(b.t);
	else
		ka_txn_abort_quiet(b.t);
	end_sessions(&b);
	for (i = 0; i < b.n; i++)
		(o->json ? print_json : print_text)(&b, &b.v[i]);
	sodium_memzero(b.hash, sizeof(b.hash));
	free(b.v);
	ka_flush(stdout);
	return KA_EXIT_OK;
}

int ka_cmd_revoke(const struct ka_ctx *c)
{
	return run_batch(c, OP_REVOKE);
}

int ka_cmd_disable(const struct ka_ctx *c)
{
	return run_batch(c, OP_DISABLE);
}

int ka_cmd_enable(const struct ka_ctx *c)
{
	return run_batch(c, OP_ENABLE);
}

int ka_cmd_purge(const struct ka_ctx *c)
{
	return run_batch(c, OP_PURGE);
}
