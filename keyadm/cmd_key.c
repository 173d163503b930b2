/* keyadm init, create, rotate, set: the commands that make or change keys.
 * Everything is validated before the transaction begins. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "keyadm.h"

/* The directory of the store: created 0750 when missing. */
static void init_dir(const char *db, gid_t gid)
{
	char buf[4096], *dir;

	if (snprintf(buf, sizeof(buf), "%s", db) >= (int)sizeof(buf))
		ka_usage("store path too long");
	dir = dirname(buf);
	if (mkdir(dir, 0750) != 0) {
		if (errno == EEXIST)
			return;
		ka_die(KA_EXIT_FAIL, "%s: cannot create the directory: %s", dir, strerror(errno));
	}
	if (gid != (gid_t)-1 && chown(dir, (uid_t)-1, gid) != 0)
		ka_warn("%s: cannot give the directory to group apikey: %s", dir, strerror(errno));
}

/* init --json: what was made, for a script (the messages stay on stderr). */
static void init_json(const struct ka_ctx *c, const char *prefix, const char *group)
{
	fputs("{\"db\":", stdout);
	ka_json_str(stdout, c->db);
	fputs(",\"prefix\":", stdout);
	ka_json_str(stdout, prefix);
	fputs(",\"mode\":\"0640\",\"events\":", stdout);
	ka_json_opt(stdout, c->events_off ? "" : c->events);
	fputs(",\"group\":", stdout);
	ka_json_opt(stdout, group);
	fputs("}\n", stdout);
	ka_flush(stdout);
}

int ka_cmd_init(const struct ka_ctx *c)
{
	struct ak_error e = {AK_OK, ""};
	const char *prefix = c->o->prefix ? c->o->prefix : AK_DEFAULT_PREFIX;
	const struct group *gr = NULL;
	struct ak_store *st;
	gid_t gid = (gid_t)-1;

	if (!ak_prefix_valid(prefix))
		ka_usage("invalid prefix (%d to %d of a-z 0-9, starting with a letter)",
		         AK_PREFIX_MIN, AK_PREFIX_MAX);
	if (c->o->group != NULL) {
		gid = ka_group_resolve(c->o->group);
		ka_group_precheck(c);
	} else if ((gr = getgrnam("apikey")) != NULL)
		gid = gr->gr_gid;
	init_dir(c->db, gid);
	if (ak_store_init(c->db, prefix, gid, c->actor, &e) != 0)
		ka_die(KA_EXIT_FAIL, "%s", e.msg);
	st = ka_store_open(c);
	ka_changes_collect(st, 1, c->db);
	ka_hooks_start(c->db, 1, ak_store_meta(st)->generation);
	ak_store_close(st);
	ka_changes_log();
	ka_hooks_committed();
	fprintf(stderr, "keyadm: created the key store %s (prefix %s, mode 0640)\n", c->db, prefix);
	ka_events_create(c, gid);
	if (c->o->group != NULL)
		ka_group_apply(c, gid, c->o->group); /* an existing directory too */
	else if (gr == NULL)
		fprintf(stderr,
		        "keyadm: there is no group apikey: the store stays in your group; "
		        "to let services read it: keyadm group GROUP (or groupadd --system apikey "
		        "and keyadm group apikey)\n");
	if (c->o->json)
		init_json(c, prefix, c->o->group ? c->o->group : gr ? "apikey" : "");
	return KA_EXIT_OK;
}

/* create and rotate print their key here: one write(2) of a buffer that
 * is wiped right after, never through stdio's buffers. (create --batch
 * prints its keys in cmd_batch.c, through stdout, then wipes them.) */
static int print_key(const struct ka_ctx *c, const char *key, const struct ak_key *k)
{
	char line[AK_KEY_MAX + 256], t[32] = "null";
	int rc;

	if (k->expires_ms != 0)
		snprintf(t, sizeof(t), "%" PRId64, k->expires_ms);
	if (c->o->json)
		snprintf(line, sizeof(line),
		         "{\"id\":\"%s\",\"key\":\"%s\",\"owner\":\"%s\",\"expiresAt\":%s}\n",
		         k->id, key, k->owner, t);
	else
		snprintf(line, sizeof(line), "%s\n", key);
	rc = ka_write_all(STDOUT_FILENO, line, strlen(line));
	sodium_memzero(line, sizeof(line));
	return rc;
}

static void report_new(const struct ka_ctx *c, char *key, const struct ak_key *k)
{
	char t[40];
	int rc = print_key(c, key, k);

	sodium_memzero(key, AK_KEY_MAX + 1);
	ka_secret_wipe();
	if (rc != 0)
		ka_die(KA_EXIT_FAIL, "key %s was made but could not be written out: revoke it",
		       k->id);
	ak_format_time(t, sizeof(t), k->expires_ms);
	fprintf(stderr, "keyadm: key %s for %s, expires %s\n", k->id, k->owner,
	        k->expires_ms ? t : "never");
}

/* --name, --expires, --service, --from checked into a scratch record. */
void ka_parse_restrictions(const struct ka_ctx *c, struct ak_key *r)
{
	const struct ka_opts *o = c->o;

	memset(r, 0, sizeof(*r));
	if (o->name) {
		ka_check_text("name", o->name, AK_NAME_MAX);
		snprintf(r->name, sizeof(r->name), "%s", o->name);
	}
	if (o->expires)
		r->expires_ms = ka_when(c, o->expires);
	if (o->service && ak_services_parse(r, o->service) != 0)
		ka_usage("invalid service list (comma-separated names of A-Z a-z 0-9 . _ -, at "
		         "most %d of %d bytes)",
		         AK_SERVICES_MAX, AK_SERVICE_LEN);
	if (o->from && ak_sources_parse(r, o->from) != 0)
		ka_usage("invalid source list (comma-separated IPv4 or IPv6 CIDRs, at most %d)",
		         AK_SOURCES_MAX);
}

void ka_copy_restrictions(struct ak_key *k, const struct ak_key *r)
{
	memcpy(k->name, r->name, sizeof(k->name));
	k->expires_ms = r->expires_ms;
	k->n_services = r->n_services;
	memcpy(k->services, r->services, sizeof(k->services));
	k->n_sources = r->n_sources;
	memcpy(k->sources, r->sources, sizeof(k->sources));
}

int ka_cmd_create(const struct ka_ctx *c)
{
	struct ak_error e = {AK_OK, ""};
	struct ak_key r, k;
	char key[AK_KEY_MAX + 1];
	struct ak_txn *t;
	const char *user;

	if (c->o->batch && c->o->n_args != 0)
		ka_usage("create: too many arguments: --batch reads the users from stdin");
	if (!c->o->batch && c->o->n_args == 0)
		ka_usage("create: missing argument USER (or --batch with users on stdin)");
	ka_parse_restrictions(c, &r);
	ka_policy_new_expiry(c, &r);
	if (c->o->batch)
		return ka_create_batch(c, &r);
	user = c->o->args[0];
	ka_check_user(user);
	t = ka_txn_begin(c);
	ka_policy_rate(c, t);
	ka_policy_make_room(c, t, user, KA_ROOM_LIVE | KA_ROOM_PURGE);
	if (ak_txn_new_key(t, &k, key, user, &e) != 0) {
		sodium_memzero(key, sizeof(key));
		ka_txn_fail(t, &e);
	}
	ka_secret_hold(key, sizeof(key)); /* wiped by any exit, and in the hooks' supervisor */
	ka_copy_restrictions(&k, &r);
	if (ak_txn_put_key(t, &k, &e) != 0 ||
	    ak_txn_audit(t, "create", k.id, user, NULL, &e) != 0) {
		sodium_memzero(key, sizeof(key));
		ka_txn_fail(t, &e);
	}
	ka_txn_commit(t); /* MUST come first: a printed key is a stored key */
	report_new(c, key, &k);
	if (getpwnam(user) == NULL)
		ka_warn_not_passwd(user, 0);
	return KA_EXIT_OK;
}

static void rotate_apply(struct ak_txn *t, struct ak_key *old, struct ak_key *nk, int64_t grace)
{
	struct ak_error e = {AK_OK, ""};
	int changed;
	char why[64];
	int64_t now = ak_txn_now(t), until = now + grace;

	nk->expires_ms = old->expires_ms;
	memcpy(nk->name, old->name, sizeof(nk->name));
	nk->n_services = old->n_services;
	memcpy(nk->services, old->services, sizeof(nk->services));
	nk->n_sources = old->n_sources;
	memcpy(nk->sources, old->sources, sizeof(nk->sources));
	memcpy(nk->rotated_from, old->id, sizeof(nk->rotated_from));
	memcpy(old->rotated_to, nk->id, sizeof(old->rotated_to));
	snprintf(why, sizeof(why), "rotated to %s", nk->id);
	if (grace == 0) {
		/* old is live (rotate_check), so revoking it cannot be refused */
		if (ak_keyrec_revoke(old, &changed, now, ak_txn_actor(t), why, &e) != 0)
			ka_txn_fail(t, &e);
	} else if (old->expires_ms == 0 || until < old->expires_ms)
		old->expires_ms = until;
}

static void rotate_check(const struct ka_ctx *c, const struct ak_key *old)
{
	if (old->state == AK_STATE_REVOKED)
		ka_die(KA_EXIT_FAIL, "key %s is revoked: create a new key instead", old->id);
	if (old->state == AK_STATE_DISABLED)
		ka_die(KA_EXIT_FAIL, "key %s is disabled: enable it first", old->id);
	if (old->expires_ms != 0 && old->expires_ms <= c->now)
		ka_die(KA_EXIT_FAIL, "key %s has expired: create a new key instead", old->id);
}

int ka_cmd_rotate(const struct ka_ctx *c)
{
	struct ak_error e = {AK_OK, ""};
	struct ak_key old, nk;
	char key[AK_KEY_MAX + 1], why[64];
	int64_t grace = 0;
	struct ak_txn *t;

	ka_check_id(c->o->args[0]);
	if (c->o->grace)
		grace = ka_duration("--grace", c->o->grace);
	t = ka_txn_begin(c);
	if (ka_key_lookup(t, &old, c->o->args[0]) != 0)
		ka_die(KA_EXIT_NOENT, "no key %s", c->o->args[0]);
	rotate_check(c, &old);
	ka_policy_rate(c, t);
	/* with a grace the old key still logs in: one more that counts */
	ka_policy_make_room(c, t, old.owner,
	                    KA_ROOM_PURGE | (grace != 0 ? KA_ROOM_LIVE | KA_ROOM_GRACE : 0));
	ka_secret_hold(key, sizeof(key)); /* wiped by any exit from here on */
	if (ak_txn_new_key(t, &nk, key, old.owner, &e) != 0)
		ka_txn_fail(t, &e);
	rotate_apply(t, &old, &nk, grace);
	nk.expires_ms = ka_policy_rotated_expiry(c, nk.expires_ms, ak_txn_now(t));
	snprintf(why, sizeof(why), "rotated to %s", nk.id);
	if (ak_txn_put_key(t, &nk, &e) != 0 || ak_txn_put_key(t, &old, &e) != 0 ||
	    ak_txn_audit(t, "rotate", old.id, old.owner, why, &e) != 0 ||
	    ak_txn_audit(t, "create", nk.id, nk.owner, "rotated from a previous key", &e) != 0)
		ka_txn_fail(t, &e);
	ka_txn_commit(t);
	report_new(c, key, &nk);
	if (grace != 0)
		fprintf(stderr, "keyadm: the old key %s stays valid until its grace ends\n",
		        old.id);
	return KA_EXIT_OK;
}

/* Applies the --set options present; "what" lists them for the audit. */
static void set_apply(const struct ka_ctx *c, struct ak_key *k, const struct ak_key *r, char *what,
                      size_t cap)
{
	const struct ka_opts *o = c->o;

	what[0] = '\0';
	if (o->name) {
		memcpy(k->name, r->name, sizeof(k->name));
		strncat(what, " name", cap - strlen(what) - 1);
	}
	if (o->expires || o->no_expiry) {
		k->expires_ms = r->expires_ms;
		strncat(what, " expiry", cap - strlen(what) - 1);
	}
	if (o->service || o->any_service) {
		k->n_services = r->n_services;
		memcpy(k->services, r->services, sizeof(k->services));
		strncat(what, " services", cap - strlen(what) - 1);
	}
	if (o->from || o->any_source) {
		k->n_sources = r->n_sources;
		memcpy(k->sources, r->sources, sizeof(k->sources));
		strncat(what, " sources", cap - strlen(what) - 1);
	}
}

/* set --json: the key and what changed (what: " name expiry ..."). */
static void set_json(const struct ak_key *k, const char *what)
{
	const char *w = what;
	size_t n;

	printf("{\"set\":true,\"id\":\"%s\",\"owner\":", k->id);
	ka_json_str(stdout, k->owner);
	fputs(",\"changed\":[", stdout);
	while (*w == ' ' && (n = strcspn(w + 1, " ")) > 0) {
		printf("%s\"%.*s\"", w == what ? "" : ",", (int)n, w + 1);
		w += n + 1;
	}
	fputs("]}\n", stdout);
	ka_flush(stdout);
}

int ka_cmd_set(const struct ka_ctx *c)
{
	struct ak_error e = {AK_OK, ""};
	const struct ka_opts *o = c->o;
	struct ak_key r, k;
	char what[64], why[80];
	struct ak_txn *t;

	ka_check_id(o->args[0]);
	if (!o->name && !o->expires && !o->no_expiry && !o->service && !o->any_service &&
	    !o->from && !o->any_source)
		ka_usage("set: nothing to set (--name, --expires, --no-expiry, --service, "
		         "--any-service, --from, --any-source)");
	if ((o->expires && o->no_expiry) || (o->service && o->any_service) ||
	    (o->from && o->any_source))
		ka_usage("set: contradictory options");
	ka_parse_restrictions(c, &r);
	t = ka_txn_begin(c);
	if (ka_key_lookup(t, &k, o->args[0]) != 0)
		ka_die(KA_EXIT_NOENT, "no key %s", o->args[0]);
	if (k.state == AK_STATE_REVOKED)
		ka_die(KA_EXIT_FAIL, "key %s is revoked: it cannot change", k.id);
	if (o->expires || o->no_expiry)
		ka_policy_check_expiry(c, r.expires_ms, k.created_ms);
	set_apply(c, &k, &r, what, sizeof(what));
	snprintf(why, sizeof(why), "changed:%s", what);
	if (ak_txn_put_key(t, &k, &e) != 0 || ak_txn_audit(t, "set", k.id, k.owner, why, &e) != 0)
		ka_txn_fail(t, &e);
	ka_txn_commit(t);
	fprintf(stderr, "keyadm: key %s %s\n", k.id, why);
	if (o->json)
		set_json(&k, what);
	return KA_EXIT_OK;
}
