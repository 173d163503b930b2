/* keyadm list, show, verify: the commands that only read the store. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "keyadm.h"

struct ka_keys {
	struct ak_key *v;
	size_t n, cap;
	const char *state; /* NULL: every state */
	int64_t now;
};

static int collect(const struct ak_key *k, void *vl)
{
	struct ka_keys *l = vl;
	struct ak_key *grown;

	if (l->state != NULL && strcmp(ak_key_state_at(k, l->now), l->state) != 0)
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

int ka_cmd_list(const struct ka_ctx *c)
{
	struct ak_error e = {AK_OK, ""};
	struct ka_keys l = {NULL, 0, 0, c->o->state, c->now};
	const char *user = c->o->n_args ? c->o->args[0] : NULL;
	struct ak_store *st;
	size_t i;
	int rc;

	if (user)
		ka_check_user(user);
	if (l.state)
		check_state(l.state);
	st = ka_store_open(c);
	rc = user ? ak_store_user_keys(st, user, collect, &l, &e)
	          : ak_store_each_key(st, collect, &l, &e);
	ak_store_close(st);
	if (rc != AK_OK)
		ka_die(KA_EXIT_FAIL, "%s", e.msg);
	if (l.n > 1)
		qsort(l.v, l.n, sizeof(l.v[0]), by_created);
	if (c->o->json) {
		fputc('[', stdout);
		for (i = 0; i < l.n; i++) {
			fputs(i ? ",\n" : "\n", stdout);
			ka_json_key(stdout, &l.v[i], c->now);
		}
		fputs("\n]\n", stdout);
	} else {
		ka_list_table(stdout, l.v, l.n, c->now);
	}
	free(l.v);
	ka_flush(stdout);
	return KA_EXIT_OK;
}

int ka_cmd_show(const struct ka_ctx *c)
{
	struct ak_error e = {AK_OK, ""};
	struct ak_store *st;
	struct ak_key k;
	int rc;

	ka_check_id(c->o->args[0]);
	st = ka_store_open(c);
	rc = ak_store_get_key(st, &k, c->o->args[0], &e);
	ak_store_close(st);
	if (rc != AK_OK)
		ka_die_err(&e);
	if (c->o->json) {
		ka_json_key(stdout, &k, c->now);
		fputc('\n', stdout);
	} else {
		ka_show_key(stdout, &k, c->now);
	}
	ka_flush(stdout);
	return KA_EXIT_OK;
}

static void print_result(const struct ka_ctx *c, const struct ak_verify_res *res)
{
	if (!c->o->json) {
		printf("%s\n", ak_result_name(res->result));
		return;
	}
	printf("{\"result\":\"%s\",\"id\":", ak_result_name(res->result));
	if (res->id[0])
		ka_json_str(stdout, res->id);
	else
		fputs("null", stdout);
	fputs(",\"owner\":", stdout);
	if (res->owner[0])
		ka_json_str(stdout, res->owner);
	else
		fputs("null", stdout);
	fputs("}\n", stdout);
}

/* The key comes on stdin only: never on argv, where ps(1) shows it. */
int ka_cmd_verify(const struct ka_ctx *c)
{
	struct ak_error e = {AK_OK, ""};
	struct ak_verify_req req;
	struct ak_verify_res res;
	char buf[KA_INPUT_MAX + 2];
	enum ak_result r;

	ka_check_user(c->o->args[0]);
	if (c->o->from && strlen(c->o->from) > 64)
		ka_usage("invalid --from address");
	memset(&req, 0, sizeof(req));
	req.user = c->o->args[0];
	req.service = c->o->service;
	req.source = c->o->from;
	req.key = buf;
	ka_secret_hold(buf, sizeof(buf));
	req.key_len = ka_read_input(buf, sizeof(buf), STDIN_FILENO);
	r = ak_verify_path(c->db, geteuid(), &req, &res, &e);
	ka_secret_wipe();
	res.result = r;
	print_result(c, &res);
	ka_flush(stdout);
	if (r == AK_VALID)
		return KA_EXIT_OK;
	if (r == AK_UNAVAILABLE) {
		ka_warn("%s", e.msg[0] ? e.msg : "the key store is unavailable");
		return KA_EXIT_FAIL;
	}
	return KA_EXIT_REJECTED;
}
