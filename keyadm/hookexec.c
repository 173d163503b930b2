/* Running the hooks of the hooks directory, in the supervisor (hookrun.c):
 * which files are hooks, one hook's environment, its time bound, its
 * output to syslog. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "keyadm.h"
#include "hooks.h"

#define HOOKS_MAX 100
#define HOOK_NAME_MAX 64
#define OUT_LINES_MAX 100 /* lines of one hook's output that are logged */
#define OUT_LINE_LEN 240

void ka_hook_warn(const char *fmt, ...)
{
	char msg[400], line[440];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	syslog(LOG_WARNING, "%s", msg);
	snprintf(line, sizeof(line), "keyadm: warning: %s\n", msg);
	if (write(KA_FD_STATUS, line, strlen(line)) < 0)
		return; /* keyadm is gone: syslog has it */
}

static int owner_ok(const struct stat *sb)
{
	return sb->st_uid == 0 || (getuid() != 0 && sb->st_uid == geteuid());
}

/* MUST: nobody but root can change which programs run: the directory and
 * every directory above it owned by root and writable only by root (a
 * directory above may be sticky and world-writable, like /tmp). */
static int dir_trusted(const char *dir)
{
	char p[sizeof(((struct ka_hook_facts *)0)->dir)];
	struct stat sb;
	size_t i, len = strlen(dir);

	if (dir[0] != '/' || len >= sizeof(p))
		return 0;
	for (i = 1; i <= len; i++) {
		if (dir[i] != '/' && dir[i] != '\0')
			continue;
		memcpy(p, dir, i);
		p[i] = '\0';
		if (lstat(p, &sb) != 0 || !S_ISDIR(sb.st_mode) || !owner_ok(&sb))
			return 0;
		if ((sb.st_mode & (S_IWGRP | S_IWOTH)) && (i == len || !(sb.st_mode & S_ISVTX)))
			return 0;
	}
	return 1;
}

/* Names as run-parts takes them: letters, digits, _ and - (no backup
 * copies like hook.dpkg-old or hook~). */
static int name_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return 0;
	return i > 0 && i <= HOOK_NAME_MAX;
}

static int by_name(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

/* Whether a directory entry is a hook to run. A name that is not a hook's
 * (hook.dpkg-old) is noted in syslog only; a hook not safe to run is also
 * a warning. */
static int hook_usable(int dfd, const char *dir, const char *name)
{
	struct stat sb;

	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return 0;
	if (!name_ok(name)) {
		syslog(LOG_NOTICE, "hooks_dir %s: not run, not a hook's name: %.80s", dir, name);
		return 0;
	}
	if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0 || S_ISDIR(sb.st_mode))
		return 0;
	if (!S_ISREG(sb.st_mode)) {
		ka_hook_warn("hook %s/%s skipped: not a regular file (a symbolic link? copy the "
		             "hook instead)",
		             dir, name);
		return 0;
	}
	if (!(sb.st_mode & S_IXUSR))
		return 0; /* like run-parts: chmod -x turns a hook off */
	if (!owner_ok(&sb) || (sb.st_mode & (S_IWGRP | S_IWOTH))) {
		ka_hook_warn("hook %s/%s skipped: it must be owned by root and not writable by "
		             "group or others",
		             dir, name);
		return 0;
	}
	return 1;
}

/* The hooks to run, sorted. */
static size_t hooks_list(const char *dir, char (*names)[HOOK_NAME_MAX + 1])
{
	struct dirent *d;
	size_t n = 0;
	DIR *dp = opendir(dir);

	if (dp == NULL)
		return 0;
	while ((d = readdir(dp)) != NULL && n < HOOKS_MAX)
		if (hook_usable(dirfd(dp), dir, d->d_name))
			memcpy(names[n++], d->d_name, strlen(d->d_name) + 1); /* name_ok: fits */
	closedir(dp);
	qsort(names, n, sizeof(names[0]), by_name);
	return n;
}

/* The hook's process: stdin the facts (its own offset), stdout and stderr
 * to the supervisor, the environment the facts. */
/* The signals glibc keeps for itself (32 and 33: thread cancellation,
 * setxid) cannot be changed through sigaction(2), so a caller who set them
 * to SIG_IGN with the raw system call would pass that on through exec to
 * every hook: put them back with the raw call too, just before the exec. */
static void internal_signals_default(void)
{
	struct {
		void (*handler)(int);
		unsigned long flags;
		void (*restorer)(void);
		uint64_t mask;
	} k;
	int s;

	memset(&k, 0, sizeof(k));
	k.handler = SIG_DFL;
	for (s = 32; s < SIGRTMIN; s++)
		(void)syscall(SYS_rt_sigaction, s, &k, NULL, sizeof(k.mask));
}

static __attribute__((noreturn)) void hook_exec(const struct ka_hook_facts *f, const char *path,
                                                const char *name, int out)
{
	char e[6][AK_USER_MAX + 4096 + 32];
	char *envp[8], *argv[2], self_fd[32];
	int in, i;

	setpgid(0, 0);
	snprintf(self_fd, sizeof(self_fd), "/proc/self/fd/%d", KA_FD_LINES);
	in = open(self_fd, O_RDONLY | O_CLOEXEC); /* an offset of its own */
	if (in < 0 || dup2(in, 0) != 0 || dup2(out, 1) != 1 || dup2(out, 2) != 2)
		_exit(126);
	close_range(3, ~0U, 0);
	signal(SIGPIPE, SIG_DFL);
	snprintf(e[0], sizeof(e[0]), "APIKEY_ACTION=%s", f->action);
	snprintf(e[1], sizeof(e[1]), "APIKEY_KEY_ID=%s", f->id);
	snprintf(e[2], sizeof(e[2]), "APIKEY_USER=%s", f->user);
	snprintf(e[3], sizeof(e[3]), "APIKEY_COUNT=%" PRIu64, f->count);
	snprintf(e[4], sizeof(e[4]), "APIKEY_GENERATION=%" PRIu64, f->generation);
	snprintf(e[5], sizeof(e[5]), "APIKEY_DB=%s", f->db);
	envp[0] = (char *)(uintptr_t) "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
	for (i = 0; i < 6; i++)
		envp[i + 1] = e[i];
	envp[7] = NULL;
	argv[0] = (char *)(uintptr_t)name;
	argv[1] = NULL;
	internal_signals_default();
	execve(path, argv, envp);
	_exit(126);
}

struct out {
	const char *name;
	char line[OUT_LINE_LEN + 1];
	size_t len, lines;
};

/* One line of a hook's output: printable ASCII only, to syslog. */
static void out_flush(struct out *o)
{
	size_t i;

	if (o->len == 0)
		return;
	for (i = 0; i < o->len; i++)
		if (o->line[i] != ' ' && !ak_word_char((unsigned char)o->line[i]))
			o->line[i] = '?';
	o->line[o->len] = '\0';
	if (o->lines < OUT_LINES_MAX)
		syslog(LOG_NOTICE, "hook %s: %s", o->name, o->line);
	else if (o->lines == OUT_LINES_MAX)
		syslog(LOG_NOTICE, "hook %s: (more output not logged)", o->name);
	o->lines++;
	o->len = 0;
}

static void out_add(struct out *o, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (b[i] == '\n' || o->len == OUT_LINE_LEN)
			out_flush(o);
		if (b[i] != '\n')
			o->line[o->len++] = b[i];
	}
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads the hook's output until it exits or its time is up. */
static int hook_wait(pid_t pid, int fd, struct out *o, int *status)
{
	int64_t end = mono_ms() + KA_HOOK_SECONDS * 1000;
	struct pollfd p = {fd, POLLIN, 0};
	char b[512];
	ssize_t n;

	while (waitpid(pid, status, WNOHANG) == 0) {
		if (mono_ms() >= end)
			return -1;
		if (p.fd < 0) {
			poll(NULL, 0, 2); /* output closed: the exit is near */
			continue;
		}
		if (poll(&p, 1, 50) <= 0)
			continue;
		n = read(fd, b, sizeof(b));
		if (n > 0)
			out_add(o, b, (size_t)n);
		else if (n == 0 || errno != EINTR)
			p.fd = -1; /* closed: wait for the exit alone */
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	while ((n = read(fd, b, sizeof(b))) > 0)
		out_add(o, b, (size_t)n);
	out_flush(o);
	return 0;
}

static void hook_run(const struct ka_hook_facts *f, const char *name)
{
	char path[sizeof(f->dir) + HOOK_NAME_MAX + 2];
	struct out o = {name, "", 0, 0};
	int pipefd[2], st = 0;
	pid_t pid;

	if (snprintf(path, sizeof(path), "%s/%s", f->dir, name) >= (int)sizeof(path))
		return; /* cannot be: dir and name are bounded */
	if (pipe2(pipefd, O_CLOEXEC) != 0 || (pid = fork()) < 0) {
		ka_hook_warn("hook %s not run: %s", path, strerror(errno));
		return;
	}
	if (pid == 0)
		hook_exec(f, path, name, pipefd[1]);
	setpgid(pid, pid);
	close(pipefd[1]);
	if (hook_wait(pid, pipefd[0], &o, &st) != 0) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		out_flush(&o);
		ka_hook_warn("hook %s killed after %d s", path, KA_HOOK_SECONDS);
	} else if (WIFEXITED(st) && WEXITSTATUS(st) != 0) {
		ka_hook_warn("hook %s failed (exit %d)", path, WEXITSTATUS(st));
	} else if (WIFSIGNALED(st)) {
		ka_hook_warn("hook %s failed (signal %d)", path, WTERMSIG(st));
	}
	close(pipefd[0]);
}

void ka_hooks_run_dir(const struct ka_hook_facts *f)
{
	static char names[HOOKS_MAX][HOOK_NAME_MAX + 1];
	struct stat sb;
	size_t i, n;

	if (lstat(f->dir, &sb) != 0) {
		if (errno != ENOENT || f->dir_set)
			ka_hook_warn("hooks_dir %s: %s: no hooks run", f->dir, strerror(errno));
		return;
	}
	if (!dir_trusted(f->dir)) {
		ka_hook_warn("hooks_dir %s: it and every directory above it must be owned by "
		             "root and not writable by group or others: no hooks run",
		             f->dir);
		return;
	}
	n = hooks_list(f->dir, names);
	for (i = 0; i < n; i++)
		hook_run(f, names[i]);
}
