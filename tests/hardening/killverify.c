/* The driver of tests/hardening/kill.t: hundreds of keyadm writes (create,
 * disable, enable, set, revoke, rotate), most of them killed with SIGKILL
 * after a random delay, while verifier processes (verifier.c) loop over
 * every key whose right answer is known at every moment. This file: set-up,
 * the write loop and the figures; kvrun.c plans, runs and kills the
 * writes, kvjudge.c judges each against the store.
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

#include "kvdriver.h"

#define KV_CHECK_EVERY 25 /* kills between two runs of keyadm check */
#define KV_NICE 10        /* the verifiers' and the front ends' priority */

const char *const op_names[OP_N] = {"create", "disable", "enable", "set", "revoke", "rotate"};
static const char *const kill_names[KILL_N] = {"none", "delay", "copy", "rename"};

static void tally(struct kv_drv *d, const struct kv_cmd *c)
{
	int copies = kv_tmp_copies(d);

	d->f.writes++;
	d->f.per_op[c->op]++;
	if (c->killed) {
		d->f.killed++;
		d->f.killed_op[c->op]++;
		d->f.killed_how[c->how]++;
		d->f.tmp_after_kill += copies > 0;
		if (d->f.killed % KV_CHECK_EVERY == 0)
			kv_keyadm_check(d);
		return;
	}
	d->f.tmp_after_write += copies > 0;
	if (c->status != 0) {
		d->f.failed++;
		kv_show_err(d, op_names[c->op]);
		return;
	}
	d->f.completed++;
	if (c->how == KILL_NONE) /* a missed kill's time is not the write's */
		d->avg_ms = 0.9 * d->avg_ms + 0.1 * (double)(c->end - c->start) / 1e6;
}

static int one_write(struct kv_drv *d)
{
	struct kv_cmd c;
	int rc;

	kv_plan(d, &c);
	kv_choose_kill(d, &c);
	kv_run(d, &c);
	rc = kv_resolve(d, &c);
	tally(d, &c);
	atomic_store_explicit(&d->m->horizon, kv_now(), memory_order_release);
	return rc;
}

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
	if (kv_truth(st, k->id, &d->model[d->nfixed]) != 0 ||
	    kv_answer(&d->model[d->nfixed]) != k->initial)
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
	kv_keyadm_check(&d);
	print_figures(&d, crashes);
	unlink(d.out);
	unlink(d.err);
	return 0;
}
