/* keyadm list: keys with their last use, filtered by owner, state, and
 * the operator's questions: unused for a while, expiring soon, older than
 * the rotation policy. */
#include <stdlib.h>
#include <string.h>

#include "keyadm.h"

struct ka_keys {
	struct ak_key *v;
	size_t n, cap;
	const char *state; /* the state the keys must be in; NULL: any */
	int64_t now, expiring, stale;
};

static int collect(const struct ak_key *k, void *vl)
{
	struct ka_keys *l = vl;
	struct ak_key *grown;

	if (l->state != NULL && strcmp(ak_key_state_at(k, l->now), l->state) != 0)
		return 0;
	if (l->expiring && (k->expires_ms == 0 || k->expires_ms > l->now + l->expiring))
		return 0;
	if (l->stale && k->created_ms > l->now - l->stale)
		return 0;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		if ((grown = realloc(l->v, l->cap * sizeof(*grown))) == NULL)
			ka_die(KA_EXIT_FAIL, "out of memory");
		l->v = grown;
	}
	l->v[l->n++] = *k;
	return 0;
}

/* Oldest first; the id breaks ties so that the order is stable. */
static int by_created(const void *a, const void *b)
{
	const struct ak_key *x = a, *y = b;

	if (x->created_ms != y->created_ms)
		return x->created_ms < y->created_ms ? -1 : 1;
	return strcmp(x->id, y->id);
}

static void check_state(const char *s)
{
	if (strcmp(s, "active") != 0 && strcmp(s, "disabled") != 0 && strcmp(s, "revoked") != 0 &&
	    strcmp(s, "expired") != 0)
		ka_usage("invalid --state (active, disabled, revoked or expired)");
}

/* --unused: drops the keys with a VALID use within the duration. */
static void drop_used(struct ka_keys *l, struct ka_use *u, int64_t since)
{
	size_t i, n = 0;

	for (i = 0; i < l->n; i++) {
		if (u[i].time_ms != 0 && u[i].time_ms >= since)
			continue;
		l->v[n] = l->v[i];
		u[n++] = u[i];
	}
	l->n = n;
}

static void print(const struct ka_ctx *c, const struct ka_keys *l, const struct ka_use *u)
{
	size_t i;

	if (!c->o->json) {
		ka_list_table(stdout, l->v, u, l->n, c->now);
		return;
	}
	fputc('[', stdout);
	for (i = 0; i < l->n; i++) {
		fputs(i ? ",\n" : "\n", stdout);
		ka_json_key(stdout, &l->v[i], &u[i], c->now);
	}
	fputs("\n]\n", stdout);
}

static void load(const struct ka_ctx *c, struct ka_keys *l, const char *user)
{
	struct ak_error e = {AK_OK, ""};
	struct ak_store *st = ka_store_open(c);
	int rc = user ? ak_store_user_keys(st, user, collect, l, &e)
	              : ak_store_each_key(st, collect, l, &e);

	ak_store_close(st);
	if (rc != 0)
		ka_die(KA_EXIT_FAIL, "%s", e.msg);
}

int ka_cmd_list(const struct ka_ctx *c)
{
	const struct ka_opts *o = c->o;
	struct ka_keys l = {NULL, 0, 0, o->state, c->now, 0, 0};
	const char *user = o->n_args ? o->args[0] : c->self;
	int64_t unused = o->unused ? ka_duration("--unused", o->unused) : 0;
	struct ka_use *u;

	if (user)
		ka_check_user(user);
	if (l.state)
		check_state(l.state);
	if (o->expiring)
		l.expiring = ka_duration("--expiring", o->expiring);
	if (o->stale)
		l.stale = ka_duration("--stale", o->stale);
	if (o->unused)
		ka_events_need(c, "--unused");
	if ((o->unused || o->expiring || o->stale) && l.state == NULL)
		l.state = "active"; /* the questions are about keys that work */
	load(c, &l, user);
	if (l.n > 1)
		qsort(l.v, l.n, sizeof(l.v[0]), by_created);
	if ((u = calloc(l.n ? l.n : 1, sizeof(*u))) == NULL)
		ka_die(KA_EXIT_FAIL, "out of memory");
	ka_lastuse(c, l.v, l.n, u);
	if (o->unused)
		drop_used(&l, u, c->now - unused);
	print(c, &l, u);
	free(u);
	free(l.v);
	ka_flush(stdout);
	return KA_EXIT_OK;
}
