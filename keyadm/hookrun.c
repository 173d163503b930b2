/* The change hooks' supervisor: a process of its own, forked by keyadm
 * before the rename. It sheds everything of the caller's, waits for the
 * change to be committed, then runs each hook of the hooks directory in
 * run-parts order, bounded in time, its output to syslog. Nothing it does
 * changes keyadm's result. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "keyadm.h"
#include "hooks.h"

static int moved(int fd, int min)
{
	int n = fcntl(fd, F_DUPFD_CLOEXEC, min);

	if (n < 0)
		_exit(1); /* fail safe: no hooks rather than a caller's descriptor */
	return n;
}

/* Only the three descriptors of the facts stay; 0, 1, 2 are /dev/null. */
static void fds_reset(int go, int status, int lines)
{
	int g = moved(go, 10), s = moved(status, 10), l = moved(lines, 10), fd;

	close_range(0, 9, 0);
	for (fd = 0; fd < 3; fd++)
		if (open("/dev/null", O_RDWR) != fd)
			_exit(1);
	if (dup2(g, KA_FD_GO) != KA_FD_GO || dup2(s, KA_FD_STATUS) != KA_FD_STATUS ||
	    dup2(l, KA_FD_LINES) != KA_FD_LINES)
		_exit(1);
	close_range(KA_FD_LINES + 1, ~0U, 0);
}

static void signals_reset(void)
{
	struct sigaction sa;
	sigset_t none;
	int s;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (s = 1; s < NSIG; s++)
		(void)sigaction(s, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* init's limit; without CAP_SYS_RESOURCE (a container) a hard limit the
 * caller lowered stays, and the soft limit is init's as far as it allows. */
static void limit_set(enum __rlimit_resource r, struct rlimit *l)
{
	struct rlimit now;

	if (setrlimit(r, l) == 0 || getrlimit(r, &now) != 0)
		return;
	l->rlim_max = now.rlim_max;
	if (l->rlim_cur > now.rlim_max)
		l->rlim_cur = now.rlim_max;
	(void)setrlimit(r, l);
}

/* A caller could starve the hooks into their time bound (nice 19,
 * SCHED_IDLE, one CPU, idle I/O) or offer them to the OOM killer first. */
static void sched_reset(void)
{
	struct sched_param sp = {0};
	cpu_set_t cpus;
	int fd;

	(void)setpriority(PRIO_PROCESS, 0, 0);
	(void)sched_setscheduler(0, SCHED_OTHER, &sp);
	if (sched_getaffinity(1, sizeof(cpus), &cpus) == 0)
		(void)sched_setaffinity(0, sizeof(cpus), &cpus);
	(void)syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, 0 /* the default */);
	if ((fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC)) >= 0) {
		if (write(fd, "0", 1) != 1)
			(void)0; /* best effort: lowering it needs CAP_SYS_RESOURCE */
		close(fd);
	}
}

/* MUST: root in every id, and the limits and priority of init, not the
 * caller's (a caller could set RLIMIT_CPU or RLIMIT_NOFILE for the hooks). */
static void become_root(void)
{
	struct rlimit l;
	int r;

	if (geteuid() != 0)
		return; /* keyadm run by a user on a store of their own */
	if (setgroups(0, NULL) != 0 || setgid(0) != 0 || setuid(0) != 0 || getuid() != 0)
		_exit(1); /* fail safe */
	for (r = 0; r < RLIM_NLIMITS; r++)
		if (prlimit(1, (enum __rlimit_resource)r, NULL, &l) == 0)
			limit_set((enum __rlimit_resource)r, &l);
	sched_reset();
}

/* become_root first: a caller's RLIMIT_NOFILE must not stop fds_reset. */
static void detach(int go, int status, int lines)
{
	become_root();
	fds_reset(go, status, lines);
	signals_reset();
	signal(SIGPIPE, SIG_IGN); /* keyadm may be gone */
	if (setsid() < 0 || chdir("/") != 0)
		_exit(1);
	umask(022);
	openlog("keyadm", LOG_PID, LOG_AUTHPRIV);
}

struct find {
	int yes;
	const struct ka_hook_facts *f;
};

static int found(const struct ak_audit *a, void *ctx)
{
	struct find *r = ctx;
	uint8_t h1[AK_HASH_LEN], h2[AK_HASH_LEN];

	ak_audit_hash(h1, a);
	ak_audit_hash(h2, &r->f->first);
	r->yes = memcmp(h1, h2, sizeof(h1)) == 0;
	return 1;
}

/* Whether the store holds the change's first audit entry. Readers need no
 * lock: the file renamed into place is whole. */
static int in_store(const struct ka_hook_facts *f)
{
	struct ak_error e = {AK_OK, ""};
	struct ak_store *st = NULL;
	struct find r = {0, f};

	if (ak_store_open(&st, f->db, geteuid(), &e) == 0 &&
	    ak_store_each_audit(st, f->from, found, &r, &e) != 0)
		r.yes = 0;
	ak_store_close(st);
	return r.yes;
}

/* keyadm went away without saying, or said the commit failed: once its
 * lock is free the store holds the change or never will. */
static int committed_anyway(const struct ka_hook_facts *f)
{
	struct timespec pause = {0, 50 * 1000 * 1000};
	char lock[sizeof(f->db) + 8];
	int fd, i, yes;

	snprintf(lock, sizeof(lock), "%s" AK_LOCK_SUFFIX, f->db);
	if ((fd = open(lock, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY)) < 0)
		return 0;
	for (i = 0; flock(fd, LOCK_EX | LOCK_NB) != 0 && i < 600; i++)
		nanosleep(&pause, NULL);
	yes = in_store(f);
	close(fd);
	return yes;
}

/* 'c' from keyadm, or its end. A caller who stops keyadm (SIGSTOP) after
 * the rename does not hold the hooks back: every second without word
 * the store is looked at. */
static int wait_go(const struct ka_hook_facts *f)
{
	struct pollfd p = {KA_FD_GO, POLLIN, 0};
	char c = 0;
	ssize_t n = -1;
	int r;

	for (;;) {
		r = poll(&p, 1, 1000);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0) {
			if (in_store(f))
				return 1;
			continue;
		}
		if (r > 0 && (n = read(KA_FD_GO, &c, 1)) < 0 && errno == EINTR)
			continue;
		break;
	}
	close(KA_FD_GO);
	if (n == 1 && c == 'c')
		return 1;
	return committed_anyway(f);
}

void ka_hooks_supervise(const struct ka_hook_facts *f, int go, int status)
{
	detach(go, status, f->lines);
	if (wait_go(f))
		ka_hooks_run_dir(f);
	_exit(0);
}
