/* The kill driver (killverify.c): planning a write that changes
 * something, on a key it fits; running keyadm and killing it at the
 * chosen moment; keyadm check. */
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

extern char **environ;

static const unsigned op_weight[OP_N] = {22, 18, 16, 16, 14, 14}; /* percent */

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

void kv_plan(struct kv_drv *d, struct kv_cmd *c)
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

void kv_choose_kill(struct kv_drv *d, struct kv_cmd *c)
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
void kv_run(struct kv_drv *d, struct kv_cmd *c)
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

void kv_show_err(struct kv_drv *d, const char *what)
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

int kv_keyadm_check(struct kv_drv *d)
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
		kv_show_err(d, "keyadm check failed");
		return -1;
	}
	return 0;
}

/* Temporary copies beside the store. */
int kv_tmp_copies(struct kv_drv *d)
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
