/* keyadm show, verify: one key, read from the store. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "keyadm.h"

int ka_cmd_show(const struct ka_ctx *c)
{
	struct ak_error e = {AK_OK, ""};
	struct ak_store *st;
	struct ak_key k;
	struct ka_use u;
	int rc;

	ka_check_id(c->o->args[0]);
	st = ka_store_open(c);
	rc = ak_store_get_key(&k, st, c->o->args[0], &e);
	ak_store_close(st);
	/* MUST: another user's key reads exactly like a missing one */
	if (rc == 0 && c->self != NULL && strcmp(k.owner, c->self) != 0)
		ka_die(KA_EXIT_NOENT, "no key %s", c->o->args[0]);
	if (rc != 0)
		ka_die_err(&e);
	ka_lastuse(c, &k, 1, &u);
	if (c->o->json) {
		ka_json_key(stdout, &k, &u, c->now);
		fputc('\n', stdout);
	} else {
		ka_show_key(stdout, &k, &u, c->now);
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

/* --record: the attempt goes to the usage events file like a service's
 * (for testing a setup end to end); without it verify leaves no trace, so
 * an administrator's check never counts as a key's use. */
static void record(const struct ka_ctx *c, const struct ak_verify_req *req,
                   const struct ak_verify_res *res)
{
	struct ak_error e = {AK_OK, ""};

	if (res->result == AK_UNAVAILABLE)
		return; /* the attempt never reached the store */
	if (ak_event_append(c->events, req, res, &e) != 0)
		ka_warn("cannot record the attempt: %s", e.msg);
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
	if (c->o->record)
		ka_events_need(c, "verify --record");
	if (c->o->from && strlen(c->o->from) > 64)
		ka_usage("invalid --from address");
	memset(&req, 0, sizeof(req));
	req.user = c->o->args[0];
	req.service = c->o->service;
	req.source = c->o->from;
	req.key = buf;
	ka_secret_hold(buf, sizeof(buf));
	req.key_len = ka_read_input(buf, sizeof(buf), STDIN_FILENO);
	ka_priv_raise();
	r = ak_verify_path(&res, c->db, geteuid(), &req, &e);
	ka_priv_drop();
	ka_secret_wipe();
	if (r != AK_UNAVAILABLE && e.msg[0] != '\0')
		ka_warn("%s", e.msg); /* a stale replica under fleet_stale warn */
	/* MUST: in self-service another user's key answers exactly like a key
	 * that does not exist (result, id, owner, exit status) */
	if (c->self != NULL && res.owner[0] != '\0' && strcmp(res.owner, c->self) != 0) {
		r = AK_NOT_FOUND;
		memset(res.owner, 0, sizeof(res.owner));
		res.expires_ms = 0;
	}
	res.result = r;
	if (c->o->record)
		record(c, &req, &res);
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
