/* The driver of tests/hardening/kill.t: hundreds of keyadm writes (create,
 * disable, enable, set, revoke, rotate), most of them killed with SIGKILL
 * after a random delay, while verifier processes (verifier.c) loop over
 * every key whose right answer is known at every moment.
 *
 * After every write the driver opens the store as a reader, runs the
 * consistency check on it, and compares every key with its model: a write
 * that exited 0 must be there whole, a killed one whole or not at all (the
 * store's generation says which), anything else must be unchanged. What
 * the store then holds is published to the verifiers as the key's answer
 * after that write's time window. `keyadm check` runs every KV_CHECK_EVERY
 * kills and at the end.
 *
 * Usage: killverify [--early] KEYADM DB VERIFIERS WRITES SEED ANSWER:USER:KEYFILE...
 * The ANSWER:USER:KEYFILE keys (VALID, REVOKED or DISABLED) are never
 * written to: their answer must never change. --early publishes every
 * change as if visible from its write's start, a lie the verifiers must
 * catch (the old answers given during the write become wrong): the
 * test's proof that the judging can fail. Prints "name value" figure
 * lines; problems go to stderr, naming key ids only. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "killverify.h"

#define KV_CHECK_EVERY 25 /* kills between two runs of keyadm check */
#define KV_WARMUP 16      /* first writes: creates, never killed (timing, targets) */
#define KV_KILL_SHARE 0.6 /* of the other writes */
#define KV_NICE 10        /* the verifiers' and the front ends' priority */

/* When a write is killed: after a random delay from its start; a random
 * moment after its temporary copy appears (copying, changing, syncing);
 * or right after its rename (syncing the directory, printing, exiting),
 * the narrow window random delays rarely hit. */
enum kv_kill { KILL_NONE, KILL_DELAY, KILL_COPY, KILL_RENAME, KILL_N };
static const char *const kill_names[KILL_N] = {"none", "delay", "copy", "rename"};

extern char **environ;

struct kv_model {
	uint8_t exists, state, svc_ok;
};

enum kv_op { OP_CREATE, OP_DISABLE, OP_ENABLE, OP_SET, OP_REVOKE, OP_ROTATE, OP_N };
static const char *const op_names[OP_N] = {"create", "disable", "enable",
                                           "set",    "revoke",  "rotate"};
static const unsigned op_weight[OP_N] = {22, 18, 16, 16, 14, 14}; /* percent */

struct kv_cmd {
	enum kv_op op;
	int target; /* the key written to; -1 for create */
	struct kv_model before, want, fresh_want;
	char user[AK_USER_MAX + 1]; /* the owner of a new key */
	enum kv_kill how;
	int64_t delay_ns; /* after the start, the copy or the rename */
	int64_t start, end;
	int killed, status;
};

struct kv_fig {
	long writes, completed, killed, before_rename, after_rename, failed, lost, torn;
	long unprinted, open_fail, check_fail, keyadm_checks, keyadm_check_fail;
	long tmp_after_write, tmp_after_kill, per_op[OP_N], killed_op[OP_N], killed_how[KILL_N];
};

struct kv_drv {
	struct kv_shared *m;
	const char *keyadm, *db;
	char out[4200], err[4200], dir[4096], tmpbase[4096], prefix[AK_PREFIX_MAX + 1];
	struct kv_model model[KV_MAXKEYS];
	int nfixed, watch; /* watch: inotify on the store's directory */
	int early;         /* --early: windows end where they start */
	uint64_t rng, gen;
	double avg_ms; /* mean run time of the writes that were not killed */
	struct kv_fig f;
};

static uint64_t rnd(struct kv_drv *d)
{
	d->rng ^= d->rng >> 12;
	d->rng ^= d->rng << 25;
	d->rng ^= d->rng >> 27;
	return d->rng * 2685821657736338717ULL;
}

static double rnd01(struct kv_drv *d)
{
	return (double)(rnd(d) >> 11) / 9007199254740992.0;
}

static uint8_t answer(const struct kv_model *k)
{
	if (!k->exists)
		return AK_NOT_FOUND;
	if (k->state == AK_STATE_REVOKED)
		return AK_REVOKED;
	if (k->state == AK_STATE_DISABLED)
		return AK_DISABLED;
	return k->svc_ok ? AK_VALID : AK_SERVICE_DENIED;
}

static int same(const struct kv_model *a, const struct kv_model *b)
{
	return a->exists == b->exists && a->state == b->state && a->svc_ok == b->svc_ok;
}

/* What the store holds for id; -1 when the record cannot be read. */
static int truth(const struct ak_store *st, const char *id, struct kv_model *out)
{
	struct ak_error e = {AK_OK, ""};
	struct ak_key k;
	int rc = ak_store_get_key(&k, st, id, &e);

	memset(out, 0, sizeof(*out));
	if (rc != 0 && e.code == AK_E_NOENT)
		return 0;
	if (rc != 0) {
		fprintf(stderr, "key %s unreadable: %s\n", id, e.msg);
		return -1;
	}
	out->exists = 1;
	out->state = (uint8_t)k.state;
	out->svc_ok = ak_service_allowed(&k, KV_SERVICE) ? 1 : 0;
	return 0;
}

/* ---- planning: an operation that changes something, on a key it fits ---- */

static int pick(struct kv_drv *d, enum kv_op op)
{
	int n = atomic_load(&d->m->nkeys), tries, i;
	const struct kv_model *k;

	for (tries = 0; n > d->nfixed && tries < 64; tries++) {
		i = d->nfixed + (int)(rnd(d) % (uint64_t)(n - d->nfixed));
		k = &d->model[i];
		if (!k->exists || k->state == AK_STATE_REVOKED ||
		    atomic_load(&d->m->keys[i].nwin) >= KV_MAXWIN - 2)
			continue;
		if ((op == OP_DISABLE || op == OP_ROTATE) && k->state != AK_STATE_ACTIVE)
			continue;
		if (op == OP_ENABLE && k->state != AK_STATE_DISABLED)
			continue;
		return i;
	}
	return -1;
}

static void plan(struct kv_drv *d, struct kv_cmd *c)
{
	unsigned r = (unsigned)(rnd(d) % 100), op = 0;

	while (r >= op_weight[op])
		r -= op_weight[op++];
	memset(c, 0, sizeof(*c));
	c->op = (enum kv_op)op;
	c->target = c->op == OP_CREATE || d->f.writes < KV_WARMUP ? -1 : pick(d, c->op);
	if (c->target < 0)
		c->op = OP_CREATE;
	else
		c->before = c->want = d->model[c->target];
	c->fresh_want = (struct kv_model){1, AK_STATE_ACTIVE, 1};
	if (c->op == OP_CREATE)
		snprintf(c->user, sizeof(c->user), "kv%d", (int)(rnd(d) % 40));
	else
		snprintf(c->user, sizeof(c->user), "%s", d->m->keys[c->target].user);
	if (c->op == OP_DISABLE)
		c->want.state = AK_STATE_DISABLED;
	else if (c->op == OP_ENABLE)
		c->want.state = AK_STATE_ACTIVE;
	else if (c->op == OP_SET)
		c->want.svc_ok = !c->want.svc_ok;
	else if (c->op == OP_REVOKE || c->op == OP_ROTATE)
		c->want.state = AK_STATE_REVOKED;
	if (c->op == OP_ROTATE)
		c->fresh_want.svc_ok = c->before.svc_ok;
}

/* ---- running keyadm ---- */

static int spawn(struct kv_drv *d, pid_t *pid, char **av)
{
	posix_spawn_file_actions_t fa;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, d->out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, d->err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	rc = posix_spawn(pid, av[0], &fa, NULL, av, environ);
	posix_spawn_file_actions_destroy(&fa);
	return rc;
}

static void args_of(struct kv_drv *d, const struct kv_cmd *c, char buf[][128], char **av)
{
	const char *id = c->target >= 0 ? d->m->keys[c->target].id : c->user;
	const char *a[10] = {d->keyadm, "--db", d->db, op_names[c->op], id, NULL};
	int n = 5, i;

	if (c->op == OP_CREATE || c->op == OP_SET) {
		a[n++] = "--service";
		a[n++] = c->op == OP_SET && !c->want.svc_ok ? "imap" : KV_SERVICE ",imap";
	} else if (c->op == OP_DISABLE || c->op == OP_REVOKE) {
		a[n++] = "--reason";
		a[n++] = "kill test";
	}
	for (i = 0; i < n; i++) {
		snprintf(buf[i], 128, "%s", a[i]);
		av[i] = buf[i];
	}
	av[n] = NULL;
}

/* Waits at most limit_ns for an event of mask on a name of the store's
 * directory that starts with name. */
static void wait_event(struct kv_drv *d, uint32_t mask, const char *name, int64_t limit_ns)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	struct pollfd p = {d->watch, POLLIN, 0};
	int64_t until = kv_now() + limit_ns;
	ssize_t n, off;

	while (kv_now() < until && poll(&p, 1, (int)((until - kv_now()) / 1000000) + 1) > 0) {
		n = read(d->watch, buf, sizeof(buf));
		for (off = 0; n > 0 && off < n; off += (ssize_t)(sizeof(*ev) + ev->len)) {
			ev = (const struct inotify_event *)(const void *)(buf + off);
			if ((ev->mask & mask) && ev->len > 0 &&
			    strncmp(ev->name, name, strlen(name)) == 0)
				return;
		}
	}
}

static void drain_events(struct kv_drv *d)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	while (read(d->watch, buf, sizeof(buf)) > 0)
		;
}

static void nap_ns(int64_t ns)
{
	struct timespec pause = {ns / 1000000000, ns % 1000000000};

	nanosleep(&pause, NULL);
}

/* Runs c, killing it as c->how says. */
static void run(struct kv_drv *d, struct kv_cmd *c)
{
	char buf[10][128], *av[11];
	int64_t limit = (int64_t)(5 * d->avg_ms * 1e6) + 100000000;
	pid_t pid;
	int st;

	args_of(d, c, buf, av);
	atomic_store(&d->m->hot, c->target >= 0 ? c->target : atomic_load(&d->m->hot));
	drain_events(d);
	c->start = kv_now();
	if (spawn(d, &pid, av) != 0) {
		c->end = kv_now();
		c->status = -1;
		return;
	}
	if (c->how == KILL_COPY)
		wait_event(d, IN_CREATE, d->tmpbase, limit);
	else if (c->how == KILL_RENAME)
		wait_event(d, IN_MOVED_TO, strrchr(d->db, '/') + 1, limit);
	if (c->how != KILL_NONE) {
		nap_ns(c->delay_ns);
		kill(pid, SIGKILL); /* our own child, not yet reaped */
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	c->end = kv_now();
	c->killed = WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
	c->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void show_err(struct kv_drv *d, const char *what)
{
	char buf[512] = "";
	int fd = open(d->err, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	fprintf(stderr, "%s: %s\n", what, buf);
}

static int keyadm_check(struct kv_drv *d)
{
	char buf[10][128], *av[11];
	const char *a[] = {d->keyadm, "--db", d->db, "check"};
	pid_t pid;
	int i, st = -1;

	for (i = 0; i < 4; i++) {
		snprintf(buf[i], 128, "%s", a[i]);
		av[i] = buf[i];
	}
	av[4] = NULL;
	d->f.keyadm_checks++;
	if (spawn(d, &pid, av) != 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0) {
		d->f.keyadm_check_fail++;
		show_err(d, "keyadm check failed");
		return -1;
	}
	return 0;
}

/* Temporary copies beside the store. */
static int tmp_copies(struct kv_drv *d)
{
	DIR *dp = opendir(d->dir);
	struct dirent *de;
	int n = 0;

	while (dp != NULL && (de = readdir(dp)) != NULL)
		n += strncmp(de->d_name, d->tmpbase, strlen(d->tmpbase)) == 0;
	if (dp != NULL)
		closedir(dp);
	return n;
}

/* ---- resolving a write against the store ---- */

/* A new key printed by create or rotate: its index (not yet published), or -1. */
static int new_key(struct kv_drv *d, const char *user)
{
	char buf[256], id[AK_ID_LEN + 1], secret[AK_SECRET_LEN + 1];
	int fd = open(d->out, O_RDONLY | O_CLOEXEC), n = atomic_load(&d->m->nkeys), idx = -1;
	ssize_t len = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;
	struct kv_key *k = &d->m->keys[n];

	if (fd >= 0)
		close(fd);
	if (len > 1 && len - 1 <= AK_KEY_MAX && buf[len - 1] == '\n' && n < KV_MAXKEYS &&
	    ak_key_parse(id, secret, buf, (size_t)len - 1, d->prefix) == AK_VALID) {
		memcpy(k->key, buf, (size_t)len - 1);
		k->key[len - 1] = '\0';
		memcpy(k->id, id, sizeof(k->id));
		snprintf(k->user, sizeof(k->user), "%s", user);
		k->initial = AK_NOT_FOUND;
		idx = n;
	}
	sodium_memzero(buf, sizeof(buf));
	sodium_memzero(secret, sizeof(secret));
	return idx;
}

/* The window of c on key idx, and the model becomes what the store holds. */
static void add_win(struct kv_drv *d, int idx, const struct kv_cmd *c,
                    const struct kv_model *before, const struct kv_model *after)
{
	struct kv_key *k = &d->m->keys[idx];
	int n = atomic_load_explicit(&k->nwin, memory_order_relaxed);

	d->model[idx] = *after;
	if (answer(before) == answer(after) || n >= KV_MAXWIN)
		return;
	k->win[n] = (struct kv_win){c->start, d->early ? c->start : c->end, answer(before),
	                            answer(after)};
	atomic_store_explicit(&k->nwin, n + 1, memory_order_release);
}

/* Exited 0: the change is there. Killed: all of it when the generation
 * moved, none of it otherwise. Failed: nothing changed. */
static void judge_write(struct kv_drv *d, const struct kv_cmd *c, const char *id,
                        const struct kv_model *got, const struct kv_model *before,
                        const struct kv_model *want, int committed)
{
	const struct kv_model *should =
	        c->killed ? (committed ? want : before) : (c->status == 0 ? want : before);

	if (same(got, should))
		return;
	if (!c->killed && c->status == 0)
		d->f.lost++;
	else
		d->f.torn++;
	fprintf(stderr, "write %ld (%s, %s): key %s is %s, expected %s\n", d->f.writes,
	        op_names[c->op], c->killed ? "killed" : "exited", id, ak_result_name(answer(got)),
	        ak_result_name(answer(should)));
}

static void resolve_fresh(struct kv_drv *d, const struct ak_store *st, const struct kv_cmd *c,
                          int committed)
{
	const struct kv_model none = {0, 0, 0};
	struct kv_model got;
	int idx = new_key(d, c->user);

	if (idx < 0) {
		if (!c->killed && c->status == 0) {
			d->f.lost++;
			fprintf(stderr, "write %ld (%s) exited 0 without a key\n", d->f.writes,
			        op_names[c->op]);
		}
		d->f.unprinted += c->killed && committed;
		return;
	}
	if (truth(st, d->m->keys[idx].id, &got) != 0 || !got.exists) {
		d->f.lost++;
		fprintf(stderr, "a printed key %s is not in the store\n", d->m->keys[idx].id);
	} else {
		judge_write(d, c, d->m->keys[idx].id, &got, &none, &c->fresh_want, committed);
	}
	add_win(d, idx, c, &none, &got);
	atomic_store(&d->m->nkeys, idx + 1);
}

/* Every key as its model says: a change no write made is a lost or torn one. */
static void check_all(struct kv_drv *d, const struct ak_store *st)
{
	int n = atomic_load(&d->m->nkeys), i;
	struct kv_model got;

	for (i = 0; i < n; i++) {
		if (truth(st, d->m->keys[i].id, &got) != 0 || !same(&got, &d->model[i])) {
			d->f.lost++;
			fprintf(stderr, "after write %ld key %s is %s, expected %s\n", d->f.writes,
			        d->m->keys[i].id, ak_result_name(answer(&got)),
			        ak_result_name(answer(&d->model[i])));
			d->model[i] = got;
		}
	}
}

static int resolve(struct kv_drv *d, const struct kv_cmd *c)
{
	struct ak_error e = {AK_OK, ""};
	struct ak_store *st = NULL;
	struct kv_model got;
	uint64_t gen0 = d->gen;
	int committed;

	if (ak_store_open(&st, d->db, getuid(), &e) != 0) {
		d->f.open_fail++;
		fprintf(stderr, "after write %ld the store does not open: %s\n", d->f.writes,
		        e.msg);
		return -1;
	}
	d->gen = ak_store_meta(st)->generation;
	committed = d->gen == gen0 + 1;
	if (d->gen != gen0 + (!c->killed && c->status == 0) && !(c->killed && committed)) {
		d->f.torn++;
		fprintf(stderr, "write %ld (%s): generation %llu -> %llu\n", d->f.writes,
		        op_names[c->op], (unsigned long long)gen0, (unsigned long long)d->gen);
	}
	if (c->killed)
		*(committed ? &d->f.after_rename : &d->f.before_rename) += 1;
	if (c->target >= 0) {
		if (truth(st, d->m->keys[c->target].id, &got) != 0)
			got = c->before;
		judge_write(d, c, d->m->keys[c->target].id, &got, &c->before, &c->want, committed);
		add_win(d, c->target, c, &c->before, &got);
	}
	if (c->op == OP_CREATE || c->op == OP_ROTATE)
		resolve_fresh(d, st, c, committed);
	check_all(d, st);
	if (ak_store_check(st, &e) != 0) {
		d->f.check_fail++;
		fprintf(stderr, "after write %ld the check fails: %s\n", d->f.writes, e.msg);
	}
	ak_store_close(st);
	return 0;
}

static void tally(struct kv_drv *d, const struct kv_cmd *c)
{
	int copies = tmp_copies(d);

	d->f.writes++;
	d->f.per_op[c->op]++;
	if (c->killed) {
		d->f.killed++;
		d->f.killed_op[c->op]++;
		d->f.killed_how[c->how]++;
		d->f.tmp_after_kill += copies > 0;
		if (d->f.killed % KV_CHECK_EVERY == 0)
			keyadm_check(d);
		return;
	}
	d->f.tmp_after_write += copies > 0;
	if (c->status != 0) {
		d->f.failed++;
		show_err(d, op_names[c->op]);
		return;
	}
	d->f.completed++;
	if (c->how == KILL_NONE) /* a missed kill's time is not the write's */
		d->avg_ms = 0.9 * d->avg_ms + 0.1 * (double)(c->end - c->start) / 1e6;
}

static void choose_kill(struct kv_drv *d, struct kv_cmd *c)
{
	double r = rnd01(d);

	c->how = KILL_NONE;
	if (d->f.writes < KV_WARMUP || rnd01(d) >= KV_KILL_SHARE)
		return;
	if (r < 0.5) {
		c->how = KILL_DELAY;
		c->delay_ns = (int64_t)(rnd01(d) * 1.2 * d->avg_ms * 1e6);
	} else if (r < 0.75) {
		c->how = KILL_COPY;
		c->delay_ns = (int64_t)(rnd01(d) * 0.5 * d->avg_ms * 1e6);
	} else {
		c->how = KILL_RENAME;
		c->delay_ns = (int64_t)(rnd01(d) * 200000);
	}
}

static int one_write(struct kv_drv *d)
{
	struct kv_cmd c;
	int rc;

	plan(d, &c);
	choose_kill(d, &c);
	run(d, &c);
	rc = resolve(d, &c);
	tally(d, &c);
	atomic_store_explicit(&d->m->horizon, kv_now(), memory_order_release);
	return rc;
}

/* ---- set-up, verifiers, figures ---- */

static int read_key(char *out, const char *file)
{
	char buf[256];
	FILE *fp = fopen(file, "re");
	int rc = fp != NULL && fgets(buf, sizeof(buf), fp) != NULL ? 0 : -1;

	if (fp != NULL)
		fclose(fp);
	buf[rc == 0 ? strcspn(buf, "\n") : 0] = '\0';
	if (rc == 0 && strlen(buf) > AK_KEY_MAX)
		rc = -1;
	if (rc == 0)
		snprintf(out, AK_KEY_MAX + 1, "%s", buf);
	sodium_memzero(buf, sizeof(buf));
	return rc;
}

/* ANSWER:USER:KEYFILE, a key no write touches. */
static int add_fixed(struct kv_drv *d, const struct ak_store *st, const char *spec)
{
	static const char *const names[] = {"VALID", "REVOKED", "DISABLED"};
	static const uint8_t answers[] = {AK_VALID, AK_REVOKED, AK_DISABLED};
	struct kv_key *k = &d->m->keys[d->nfixed];
	const char *u = strchr(spec, ':'), *f = u ? strchr(u + 1, ':') : NULL;
	size_t alen = u ? (size_t)(u - spec) : 0;
	char secret[AK_SECRET_LEN + 1];
	int i;

	for (i = 0; i < 3 && !(strlen(names[i]) == alen && strncmp(spec, names[i], alen) == 0); i++)
		;
	if (f == NULL || i == 3 || d->nfixed >= KV_MAXKEYS / 2 || read_key(k->key, f + 1) != 0 ||
	    ak_key_parse(k->id, secret, k->key, strlen(k->key), d->prefix) != AK_VALID)
		return -1;
	sodium_memzero(secret, sizeof(secret));
	snprintf(k->user, sizeof(k->user), "%.*s", (int)(f - u - 1), u + 1);
	k->initial = answers[i];
	if (truth(st, k->id, &d->model[d->nfixed]) != 0 ||
	    answer(&d->model[d->nfixed]) != k->initial)
		return -1;
	d->nfixed++;
	return 0;
}

static int setup(struct kv_drv *d, char **specs, int n)
{
	struct ak_error e = {AK_OK, ""};
	struct ak_store *st = NULL;
	const char *slash = strrchr(d->db, '/');
	int i;

	if (slash == NULL || ak_store_open(&st, d->db, getuid(), &e) != 0)
		return -1;
	snprintf(d->prefix, sizeof(d->prefix), "%s", ak_store_meta(st)->prefix);
	d->gen = ak_store_meta(st)->generation;
	snprintf(d->dir, sizeof(d->dir), "%.*s", (int)(slash - d->db), d->db);
	snprintf(d->tmpbase, sizeof(d->tmpbase), "%s.tmp.", slash + 1);
	d->watch = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (d->watch < 0 || inotify_add_watch(d->watch, d->dir, IN_CREATE | IN_MOVED_TO) < 0)
		return -1;
	snprintf(d->out, sizeof(d->out), "%s/kv.out", d->dir);
	snprintf(d->err, sizeof(d->err), "%s/kv.err", d->dir);
	for (i = 0; i < n; i++)
		if (add_fixed(d, st, specs[i]) != 0) {
			fprintf(stderr, "bad fixed key %s\n", specs[i]);
			ak_store_close(st);
			return -1;
		}
	ak_store_close(st);
	atomic_store(&d->m->nkeys, d->nfixed);
	atomic_store(&d->m->horizon, kv_now());
	return 0;
}

static void print_figures(struct kv_drv *d, long crashes)
{
	struct kv_stats t = {0};
	const struct kv_fig *f = &d->f;
	int w, r;

	for (w = 0; w < KV_MAXWORKERS; w++) {
		const struct kv_stats *s = &d->m->ws[w];
		t.attempts += s->attempts;
		t.wrong_valid += s->wrong_valid;
		t.wrong_refused += s->wrong_refused;
		t.unavailable += s->unavailable;
		t.in_window += s->in_window;
		t.after_revoke += s->after_revoke;
		for (r = 0; r <= AK_UNAVAILABLE; r++)
			t.results[r] += s->results[r];
		if (s->unavailable > 0)
			fprintf(stderr, "verifier %d: first unavailable: %s\n", w,
			        s->first_unavailable);
	}
	printf("writes %ld\ncompleted %ld\nkilled %ld\nbefore_rename %ld\nafter_rename %ld\n"
	       "failed %ld\nlost %ld\ntorn %ld\nunprinted %ld\nopen_fail %ld\ncheck_fail %ld\n"
	       "keyadm_checks %ld\nkeyadm_check_fail %ld\ntmp_after_write %ld\n"
	       "tmp_after_kill %ld\nkeys %d\nverifications %ld\nwrong_valid %ld\n"
	       "wrong_refused %ld\nunavailable %ld\nin_window %ld\nafter_revoke %ld\n"
	       "verifier_crashes %ld\nmean_write_ms %.1f\n",
	       f->writes, f->completed, f->killed, f->before_rename, f->after_rename, f->failed,
	       f->lost, f->torn, f->unprinted, f->open_fail, f->check_fail, f->keyadm_checks,
	       f->keyadm_check_fail, f->tmp_after_write, f->tmp_after_kill,
	       atomic_load(&d->m->nkeys), t.attempts, t.wrong_valid, t.wrong_refused, t.unavailable,
	       t.in_window, t.after_revoke, crashes, d->avg_ms);
	printf("ops");
	for (r = 0; r < OP_N; r++)
		printf(" %s=%ld/%ld", op_names[r], f->per_op[r], f->killed_op[r]);
	printf("\nkills");
	for (r = 1; r < KILL_N; r++)
		printf(" %s=%ld", kill_names[r], f->killed_how[r]);
	printf("\nanswers");
	for (r = 0; r <= AK_UNAVAILABLE; r++)
		printf(" %s=%ld", ak_result_name((enum ak_result)r), t.results[r]);
	printf("\n");
}

static long stop_verifiers(struct kv_shared *m, const pid_t *kids, int n)
{
	long crashes = 0;
	int i, st;

	atomic_store(&m->horizon, INT64_MAX);
	atomic_store(&m->stop, 1);
	for (i = 0; i < n; i++) {
		if (waitpid(kids[i], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			crashes++;
			fprintf(stderr, "verifier %d ended abnormally (status %d)\n", i, st);
		}
	}
	return crashes;
}

int main(int argc, char **argv)
{
	static struct kv_drv d;
	pid_t kids[KV_MAXWORKERS];
	long writes, crashes;
	int nv, i;

	d.early = argc > 1 && strcmp(argv[1], "--early") == 0;
	argc -= d.early;
	argv += d.early;
	if (argc < 7 || (nv = atoi(argv[3])) < 1 || nv > KV_MAXWORKERS ||
	    (writes = atol(argv[4])) < 1 || sodium_init() < 0) {
		fprintf(stderr, "usage: killverify [--early] KEYADM DB VERIFIERS WRITES SEED "
		                "ANSWER:USER:KEYFILE...\n");
		return 2;
	}
	d.keyadm = argv[1];
	d.db = argv[2];
	d.rng = strtoull(argv[5], NULL, 10) | 1;
	d.avg_ms = 10;
	d.m = mmap(NULL, sizeof(*d.m), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (d.m == MAP_FAILED || setup(&d, argv + 6, argc - 6) != 0)
		return 2;
	/* Verifiers at a lower priority: on a busy machine keyadm, not the
	 * loops, sets the pace; they still overlap every write. */
	for (i = 0; i < nv; i++)
		if ((kids[i] = fork()) == 0 && setpriority(PRIO_PROCESS, 0, KV_NICE) == 0)
			kv_verifier(d.m, i, d.db);
		else if (kids[i] == 0)
			_exit(2);
	while (d.f.writes < writes && one_write(&d) == 0)
		;
	crashes = stop_verifiers(d.m, kids, nv);
	keyadm_check(&d);
	print_figures(&d, crashes);
	unlink(d.out);
	unlink(d.err);
	return 0;
}
