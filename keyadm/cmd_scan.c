/* keyadm scan: find keys of this store in files (a repository, a config
 * tree, a backup), say whose they are, and with --revoke revoke the real
 * ones. A key is shown masked (prefix and id) and checked against the
 * stored hash: a forged key for a real id is "not in this store" and is
 * never revoked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "keyadm.h"

struct finding {
	char *file;
	uint64_t line;
	char id[AK_ID_LEN + 1];
	char owner[AK_USER_MAX + 1];
	const char *state; /* NULL: not in this store */
	uint8_t hash[AK_HASH_LEN];
	int revoke; /* 1: to revoke (first finding of a live key), 2: revoked */
};

struct scan {
	const struct ka_ctx *c;
	struct ak_store *st;
	struct finding *v;
	size_t n, cap;
};

static struct finding *add(struct scan *s)
{
	struct finding *grown;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		if ((grown = realloc(s->v, s->cap * sizeof(*grown))) == NULL)
			ka_die(KA_EXIT_FAIL, "out of memory");
		s->v = grown;
	}
	memset(&s->v[s->n], 0, sizeof(s->v[0]));
	return &s->v[s->n++];
}

static int seen_live(const struct scan *s, const char *id)
{
	size_t i;

	for (i = 0; i + 1 < s->n; i++)
		if (s->v[i].revoke && strcmp(s->v[i].id, id) == 0)
			return 1;
	return 0;
}

/* MUST: the key is used here and forgotten: only its id and the stored
 * hash (of a genuine key) are kept. */
static void found(void *vs, const char *file, uint64_t line, const char *key, size_t len)
{
	struct scan *s = vs;
	struct finding *f = add(s);
	struct ak_key k;
	enum ak_result r = ak_key_authentic(&k, s->st, key, len);

	if ((f->file = strdup(file)) == NULL)
		ka_die(KA_EXIT_FAIL, "out of memory");
	f->line = line;
	memcpy(f->id, key + strlen(ak_store_meta(s->st)->prefix) + 1, AK_ID_LEN);
	if (r == AK_UNAVAILABLE)
		ka_die(KA_EXIT_FAIL, "the record of key %s is unreadable", f->id);
	if (r != AK_VALID)
		return;
	memcpy(f->owner, k.owner, sizeof(f->owner));
	f->state = ak_key_state_at(&k, s->c->now);
	memcpy(f->hash, k.hash, sizeof(f->hash));
	f->revoke = s->c->o->revoke && k.state != AK_STATE_REVOKED && !seen_live(s, f->id);
	sodium_memzero(&k, sizeof(k));
}

/* "found by keyadm scan in FILE", printable and short enough: the file
 * in its log form. */
static void default_reason(char *out, size_t cap, const char *file)
{
	size_t n = (size_t)snprintf(out, cap, "found by keyadm scan in ");

	(void)ak_log_clean(out + n, cap - n, file);
}

static void revoke_found(struct scan *s)
{
	struct ak_error e = {AK_OK, ""};
	char why[AK_REASON_MAX + 1];
	struct ak_txn *t = NULL;
	struct ak_key k;
	size_t i;
	int changed;

	for (i = 0; i < s->n; i++) {
		struct finding *f = &s->v[i];
		if (f->revoke != 1)
			continue;
		if (t == NULL)
			t = ka_txn_begin(s->c);
		/* the record may have changed since the scan: same key, still live */
		if (ka_key_lookup(t, &k, f->id) != 0 ||
		    sodium_memcmp(k.hash, f->hash, AK_HASH_LEN) != 0)
			continue;
		default_reason(why, sizeof(why), f->file);
		if (ak_keyrec_revoke(&k, &changed, ak_txn_now(t), ak_txn_actor(t),
		                     s->c->o->reason ? s->c->o->reason : why, &e) != 0 ||
		    !changed)
			continue;
		if (ak_txn_put_key(t, &k, &e) != 0 ||
		    ak_txn_audit(t, "revoke", k.id, k.owner, k.revoked_reason, &e) != 0)
			ka_txn_fail(t, &e);
		f->revoke = 2;
		f->state = "revoked";
	}
	if (t != NULL)
		ka_txn_commit(t);
}

static void print(const struct scan *s, const char *prefix)
{
	size_t i;

	if (s->c->o->json)
		fputc('[', stdout);
	for (i = 0; i < s->n; i++) {
		const struct finding *f = &s->v[i];
		if (!s->c->o->json) {
			printf("%s:%llu: %s_%s_\xe2\x80\xa6 %s%s%s%s\n", ka_esc(f->file),
			       (unsigned long long)f->line, prefix, f->id,
			       f->state ? ka_esc(f->owner) : "not in this store",
			       f->state ? " " : "", f->state ? f->state : "",
			       f->revoke == 2 ? " (revoked now)" : "");
			continue;
		}
		fputs(i ? ",\n{\"file\":" : "\n{\"file\":", stdout);
		ka_json_str(stdout, f->file);
		printf(",\"line\":%llu,\"id\":\"%s\",\"masked\":\"%s_%s_\xe2\x80\xa6\",\"inStore\":"
		       "%s,"
		       "\"owner\":",
		       (unsigned long long)f->line, f->id, prefix, f->id,
		       f->state ? "true" : "false");
		if (f->state) {
			ka_json_str(stdout, f->owner);
			printf(",\"state\":\"%s\"", f->state);
		} else
			fputs("null,\"state\":null", stdout);
		printf(",\"revokedNow\":%s}", f->revoke == 2 ? "true" : "false");
	}
	if (s->c->o->json)
		fputs(s->n ? "\n]\n" : "]\n", stdout);
}

int ka_cmd_scan(const struct ka_ctx *c)
{
	struct scan s = {c, NULL, NULL, 0, 0};
	struct ka_walk w;
	char prefix[AK_PREFIX_MAX + 1];
	size_t i;
	int a;

	ka_fail_code(KA_EXIT_SCANERR); /* 1 means "found" here */
	if (c->o->reason && !c->o->revoke)
		ka_usage("scan: --reason goes with --revoke");
	if (c->o->reason)
		ka_check_text("reason", c->o->reason, AK_REASON_MAX);
	s.st = ka_store_open(c);
	memcpy(prefix, ak_store_meta(s.st)->prefix, sizeof(prefix));
	memset(&w, 0, sizeof(w));
	w.prefix = prefix;
	w.follow = c->o->follow_symlinks;
	w.found = found;
	w.ctx = &s;
	for (a = 0; a < c->o->n_args; a++)
		ka_walk_path(&w, c->o->args[a]);
	ak_store_close(s.st);
	if (c->o->revoke)
		revoke_found(&s);
	print(&s, prefix);
	ka_flush(stdout);
	if (w.symlinks)
		ka_warn("%zu symbolic link%s not followed", w.symlinks, w.symlinks > 1 ? "s" : "");
	for (i = 0; i < s.n; i++)
		free(s.v[i].file);
	free(s.v);
	if (s.n)
		return KA_EXIT_FOUND;
	return w.errors ? KA_EXIT_SCANERR : KA_EXIT_OK;
}
