/* keyadm install: a replica takes its primary's signed bundle. Every
 * refusal is one line naming the reason, exit 1, and the store unchanged;
 * the checks on the store are made again under its lock, where the new
 * store is built (the same temporary copy, sync and rename as any write). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fleet.h"

struct inst {
	const struct ka_ctx *c;
	const char *file;
	uint8_t *buf;
	size_t len;
	struct ka_bundle h;
	struct ak_store *cur; /* the store installed now, or NULL */
	struct ak_txn *t;     /* the new store, or NULL: check only */
	char *dead;           /* ids the installed store holds revoked, sorted */
	size_t n_dead, cap_dead;
	struct ka_diff diff;            /* the installed keys, for the audit entries */
	char reason[AK_REASON_MAX + 1]; /* of the entries: "serial N from ORIGIN" */
};

static __attribute__((noreturn, format(printf, 2, 3))) void refuse(const struct inst *in,
                                                                   const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	ka_die(KA_EXIT_FAIL, "%s: refused: %s (the store was not changed)", ka_esc(in->file), why);
}

static void read_bundle(struct inst *in)
{
	struct stat sb;
	size_t off = 0;
	int fd = open(in->file, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		ka_die(KA_EXIT_FAIL, "%s: %s", ka_esc(in->file), strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
		refuse(in, "malformed: not a regular file");
	if ((uint64_t)sb.st_size > KA_BUNDLE_MAX)
		refuse(in, "malformed: larger than any bundle");
	in->len = (size_t)sb.st_size;
	if ((in->buf = malloc(in->len ? in->len : 1)) == NULL)
		ka_die(KA_EXIT_FAIL, "out of memory");
	while (off < in->len) {
		ssize_t n = read(fd, in->buf + off, in->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	if (off != in->len)
		refuse(in, "truncated: the file changed while it was read");
}

static void load_trust(struct inst *in, struct ka_signer *trust)
{
	const char *path = in->c->o->trust ? in->c->o->trust : in->c->pol.fleet_trust;
	char why[4096 + 128];

	if (path == NULL || *path == '\0')
		ka_usage("install: no trusted key (--trust PUBKEY, or fleet_trust in apikey.conf)");
	if (ka_trust_load(trust, path, why, sizeof(why)) != 0)
		ka_die(KA_EXIT_FAIL, "%s", why);
}

/* The store as it is, or NULL when this replica has none yet. */
static struct ak_store *open_current(const struct ka_ctx *c)
{
	struct ak_error e = {AK_OK, ""};
	struct ak_store *st = NULL;
	struct stat sb;

	if (lstat(c->db, &sb) != 0 && errno == ENOENT)
		return NULL;
	if (ak_store_open(&st, c->db, geteuid(), &e) != 0)
		ka_die(KA_EXIT_FAIL, "%s", e.msg);
	return st;
}

/* What the header says against the installed store: 1 when this very
 * bundle is installed already, 0 to go on; every other case refuses. */
static int check_header(const struct inst *in)
{
	const struct ka_bundle *h = &in->h;
	const struct ak_meta *m;

	if (in->c->now > h->valid_until_ms)
		refuse(in, "expired: the bundle's validity has passed (publish a new one)");
	if (in->cur == NULL)
		return 0;
	m = ak_store_meta(in->cur);
	if (m->fleet_role != AK_ROLE_REPLICA)
		refuse(in,
		       "%s is not a replica (a %s store): install replaces only a replica's "
		       "store",
		       in->c->db, m->origin[0] ? "promoted" : "standalone or primary");
	if (strcmp(m->origin, h->origin) != 0)
		refuse(in, "another origin: the bundle is from %s, this replica follows %s",
		       h->origin, m->origin);
	if (h->serial < m->serial)
		refuse(in, "rollback: serial %" PRIu64 " is lower than the installed %" PRIu64,
		       h->serial, m->serial);
	if (h->serial == m->serial) {
		if (sodium_memcmp(h->digest, m->bundle_digest, AK_HASH_LEN) != 0)
			refuse(in, "fork: serial %" PRIu64 " is installed with other content",
			       h->serial);
		return 1;
	}
	return 0;
}

static int id_cmp(const void *a, const void *b)
{
	return memcmp(a, b, AK_ID_LEN);
}

static int seen_key(const struct ak_key *k, void *vin)
{
	struct inst *in = vin;

	if (in->t != NULL)
		ka_diff_add(&in->diff, k);
	if (k->state != AK_STATE_REVOKED)
		return 0;
	if (in->n_dead >= in->cap_dead) {
		in->cap_dead = in->cap_dead ? in->cap_dead * 2 : 1024;
		if ((in->dead = realloc(in->dead, in->cap_dead * AK_ID_LEN)) == NULL)
			ka_die(KA_EXIT_FAIL, "out of memory");
	}
	memcpy(in->dead + in->n_dead++ * AK_ID_LEN, k->id, AK_ID_LEN);
	return 0;
}

/* Every id this replica has seen revoked: its revoked keys, and those
 * earlier bundles revoked and later ones purged (the "revoked" record). */
static void load_dead(struct inst *in)
{
	struct ak_error e = {AK_OK, ""};
	size_t i, out;

	free(in->dead);
	in->dead = NULL;
	in->n_dead = in->cap_dead = 0;
	ka_diff_free(&in->diff);
	if (in->cur == NULL)
		return;
	if (ak_store_tombstones(&in->dead, &in->n_dead, in->cur, &e) != 0)
		ka_die(KA_EXIT_FAIL, "%s", e.msg);
	in->cap_dead = in->n_dead; /* the tombstones' array is exactly that long */
	if (ak_store_each_key(in->cur, seen_key, in, &e) != 0)
		ka_die(KA_EXIT_FAIL, "%s", e.msg);
	ka_diff_sort(&in->diff);
	if (in->cap_dead < in->n_dead)
		in->cap_dead = in->n_dead;
	if (in->n_dead > 1)
		qsort(in->dead, in->n_dead, AK_ID_LEN, id_cmp);
	for (i = out = 0; i < in->n_dead; i++)
		if (out == 0 || memcmp(in->dead + (out - 1) * AK_ID_LEN, in->dead + i * AK_ID_LEN,
		                       AK_ID_LEN) != 0)
			memmove(in->dead + out++ * AK_ID_LEN, in->dead + i * AK_ID_LEN, AK_ID_LEN);
	in->n_dead = out;
}

static void note(struct inst *in, const char *action, const char *id, const char *owner)
{
	struct ak_error e = {AK_OK, ""};

	if (ak_txn_audit(in->t, action, id, owner, in->reason, &e) != 0)
		ka_txn_fail(in->t, &e);
}

/* A key of the installed store that the bundle no longer has. */
static void gone(const char *id, void *vin)
{
	struct inst *in = vin;
	struct ak_error e = {AK_OK, ""};
	char sid[AK_ID_LEN + 1];
	struct ak_key k;

	memcpy(sid, id, AK_ID_LEN);
	sid[AK_ID_LEN] = '\0';
	if (ak_store_get_key(&k, in->cur, sid, &e) != 0)
		ka_die(KA_EXIT_FAIL, "%s", e.msg);
	note(in, "purge", k.id, k.owner);
}

/* One record: a key this replica has seen revoked stays revoked
 * (revocation is final everywhere, purged or not); under the lock it goes
 * into the new store, with an audit entry when it changed. */
static int take_key(const struct ak_key *k, void *vin)
{
	struct inst *in = vin;
	struct ak_error e = {AK_OK, ""};
	const char *action;

	if (k->state != AK_STATE_REVOKED && in->n_dead > 0 &&
	    bsearch(k->id, in->dead, in->n_dead, AK_ID_LEN, id_cmp) != NULL)
		refuse(in, "key %s is revoked on this replica and not revoked in the bundle",
		       k->id);
	if (in->t == NULL)
		return 0;
	if (ak_txn_put_key(in->t, k, &e) != 0)
		ka_txn_fail(in->t, &e);
	/* a new replica's first install is one entry, not one per key */
	if (in->cur != NULL && (action = ka_diff_next(&in->diff, k, gone, in)) != NULL)
		note(in, action, k->id, k->owner);
	return 0;
}

static void check_records(struct inst *in)
{
	struct ak_error e = {AK_OK, ""};
	char why[256];

	load_dead(in);
	if (ka_bundle_each(&in->h, take_key, in, why, sizeof(why)) != 0)
		refuse(in, "%s", why);
	if (in->t == NULL)
		return;
	if (in->cur != NULL)
		ka_diff_rest(&in->diff, gone, in);
	if (ak_txn_put_tombstones(in->t, in->dead, in->n_dead, &e) != 0)
		ka_txn_fail(in->t, &e);
}

static void replica_meta(struct inst *in)
{
	struct ak_meta *m = ak_txn_meta(in->t);
	const struct ka_bundle *h = &in->h;

	snprintf(m->prefix, sizeof(m->prefix), "%s", h->prefix);
	memcpy(m->store_key, h->store_key, AK_STORE_KEY_LEN);
	m->generation = h->generation ? h->generation - 1 : 0; /* the commit counts one */
	m->created_ms = h->created_ms;
	snprintf(m->origin, sizeof(m->origin), "%s", h->origin);
	m->fleet_role = AK_ROLE_REPLICA;
	m->fleet_stale = (uint8_t)in->c->pol.fleet_stale;
	m->serial = h->serial;
	m->published_ms = h->published_ms;
	m->valid_until_ms = h->valid_until_ms;
	m->installed_ms = in->c->now;
	m->origin_generation = h->generation;
	memcpy(m->origin_audit_head, h->audit_head, AK_HASH_LEN);
	memcpy(m->bundle_digest, h->digest, AK_HASH_LEN);
}

/* Under the store's lock: the checks again, then the new store. */
static void install_locked(struct inst *in)
{
	struct ak_error e = {AK_OK, ""};
	const struct group *gr = getgrnam("apikey");
	struct ak_store *cur;
	char reason[AK_REASON_MAX + 1];

	gid_t gid = gr ? gr->gr_gid : (gid_t)-1;
	int fresh;

	in->t = ka_txn_begin_new(in->c, gid);
	in->cur = cur = open_current(in->c);
	fresh = cur == NULL;
	if (check_header(in) == 1) {
		ka_txn_abort_quiet(in->t);
		ak_store_close(cur);
		in->t = NULL;
		return;
	}
	replica_meta(in);
	snprintf(reason, sizeof(reason), "serial %" PRIu64 " from %s, %" PRIu64 " keys",
	         in->h.serial, in->h.origin, in->h.count);
	if (ak_txn_audit(in->t, "install", "", "", reason, &e) != 0)
		ka_txn_fail(in->t, &e);
	snprintf(in->reason, sizeof(in->reason), "install of serial %" PRIu64 " from %s",
	         in->h.serial, in->h.origin);
	check_records(in);
	ak_store_close(cur);
	in->cur = NULL;
	ka_txn_commit(in->t);
	if (fresh) /* a new replica keeps usage events like keyadm init's store */
		ka_events_create(in->c, gid);
}

static void report(const struct inst *in, const char *what)
{
	char until[32];

	ak_format_time(until, sizeof(until), in->h.valid_until_ms);
	if (in->c->o->json)
		printf("{\"result\":\"%s\",\"origin\":\"%s\",\"serial\":%" PRIu64
		       ",\"keys\":%" PRIu64 ",\"validUntil\":%" PRId64 "}\n",
		       what, in->h.origin, in->h.serial, in->h.count, in->h.valid_until_ms);
	else
		printf("%s: serial %" PRIu64 " from %s, %" PRIu64 " keys, valid until %s: %s\n",
		       ka_esc(in->file), in->h.serial, in->h.origin, in->h.count, until, what);
}

int ka_cmd_install(const struct ka_ctx *c)
{
	struct inst in;
	struct ka_signer trust;
	char why[256];
	int same;

	memset(&in, 0, sizeof(in));
	in.c = c;
	in.file = c->o->args[0];
	load_trust(&in, &trust);
	read_bundle(&in);
	if (ka_bundle_open(&in.h, in.buf, in.len, &trust, why, sizeof(why)) != 0)
		refuse(&in, "%s", why);
	in.cur = open_current(c);
	same = check_header(&in);
	if (c->o->check) {
		check_records(&in); /* MUST: every check, and nothing changed */
		report(&in, same ? "installed already" : "would be installed");
	} else if (same) {
		report(&in, "installed already");
	} else {
		ak_store_close(in.cur);
		in.cur = NULL;
		install_locked(&in);
		report(&in, in.t != NULL ? "installed" : "installed already");
	}
	if (in.cur != NULL)
		ak_store_close(in.cur);
	sodium_memzero(in.buf, in.len);
	free(in.buf);
	free(in.dead);
	ka_diff_free(&in.diff);
	sodium_memzero(&in.h, sizeof(in.h));
	ka_flush(stdout);
	return KA_EXIT_OK;
}
