/* Session records: pam_apikey writes one file per session it opened with
 * a key, keyadm reads them to list and end those sessions. The directory
 * and every record must be root's and writable by no one else: a record
 * names processes that root will signal. What identifies the session is
 * read from /proc (the leader's start time, its cgroup), never from the
 * environment, which the user controls. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "internal.h"

#define REC_MAX 4096

static int read_small(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r;

	while (n + 1 < cap && (r = read(fd, buf + n, cap - 1 - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		n += (size_t)r;
	}
	buf[n] = '\0';
	return n + 1 < cap ? (int)n : -1;
}

static int read_proc(pid_t pid, const char *what, char *buf, size_t cap)
{
	char path[64];
	int fd, n;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read_small(fd, buf, cap);
	close(fd);
	return n;
}

/* Fields 4 (the parent) and 22 (the start) of /proc/PID/stat, counted
 * after the command's last ')'; field 3 is the state: a zombie has ended. */
int ak_proc_stat(pid_t *ppid, uint64_t *ticks, pid_t pid)
{
	char buf[1024], *p, *end;
	int field, zombie;

	if (pid <= 1 || read_proc(pid, "stat", buf, sizeof(buf)) < 0 ||
	    (p = strrchr(buf, ')')) == NULL || p[1] != ' ' || p[2] == '\0')
		return -1;
	zombie = p[2] == 'Z' || p[2] == 'X';
	for (field = 2; field < 22 && p != NULL; field++) {
		p = strchr(p + 1, ' ');
		if (field == 3 && p != NULL && ppid != NULL)
			*ppid = (pid_t)strtol(p + 1, NULL, 10);
	}
	if (p == NULL)
		return -1;
	errno = 0;
	*ticks = strtoull(p + 1, &end, 10);
	if (errno != 0 || end == p + 1)
		return -1;
	return zombie;
}

int ak_proc_start(uint64_t *ticks, pid_t pid)
{
	return ak_proc_stat(NULL, ticks, pid);
}

/* A printable value without blanks, as a record line holds it. */
static int word_valid(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= max || !ak_word_char((unsigned char)s[i]))
			return 0;
	return 1;
}

/* "0::/path" (cgroup v2), else the "name=systemd" hierarchy (v1). A
 * logind session is the scope "session-ID.scope". */
static void proc_cgroup(struct ak_session *s, pid_t pid)
{
	char buf[4096], *line, *save = NULL, *path, *base;

	s->cgroup[0] = s->logind[0] = '\0';
	if (read_proc(pid, "cgroup", buf, sizeof(buf)) < 0)
		return;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "0::", 3) == 0)
			path = line + 3;
		else if ((path = strstr(line, ":name=systemd:")) != NULL)
			path += strlen(":name=systemd:");
		else
			continue;
		if (path[0] != '/' || !word_valid(path, AK_CGROUP_MAX))
			return;
		snprintf(s->cgroup, sizeof(s->cgroup), "%s", path);
		base = strrchr(s->cgroup, '/') + 1;
		if (sscanf(base, "session-%31[A-Za-z0-9].scope", s->logind) != 1 ||
		    strcmp(base + strlen("session-") + strlen(s->logind), ".scope") != 0)
			s->logind[0] = '\0';
		return;
	}
}

int ak_session_fill(struct ak_session *s, pid_t pid, struct ak_error *e)
{
	if (ak_proc_start(&s->pid_start, pid) != 0) {
		ak_err_set(e, AK_E_IO, "cannot read the start time of process %d", (int)pid);
		return -1;
	}
	s->pid = pid;
	proc_cgroup(s, pid);
	return 0;
}

static int dir_trusted(int fd, const char *dir, struct ak_error *e)
{
	struct stat sb;

	if (fstat(fd, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		ak_err_set(e, AK_E_UNTRUSTED, "%s: not a directory", dir);
		return -1;
	}
	if (sb.st_uid != 0 || (sb.st_mode & (S_IWGRP | S_IWOTH))) {
		ak_err_set(e, AK_E_UNTRUSTED,
		           "%s: must be owned by root and not writable by group or others", dir);
		return -1;
	}
	return 0;
}

/* The parent of dir, when missing, as /run/apikey: 0755 root. */
static void make_parent(const char *dir)
{
	char parent[4096];
	char *slash;

	snprintf(parent, sizeof(parent), "%s", dir);
	if ((slash = strrchr(parent, '/')) != NULL && slash != parent) {
		*slash = '\0';
		(void)mkdir(parent, 0755);
	}
}

int ak_sessions_dir(const char *dir, int create, struct ak_error *e)
{
	int fd;

	if (dir == NULL || dir[0] != '/') {
		ak_err_set(e, AK_E_INVAL, "the sessions directory must be an absolute path");
		return -1;
	}
	if (create) {
		make_parent(dir);
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			ak_err_set(e, AK_E_IO, "%s: %s", dir, strerror(errno));
			return -1;
		}
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		ak_err_set(e, errno == ENOENT ? AK_E_NOENT : AK_E_UNTRUSTED, "%s: %s", dir,
		           errno == ELOOP ? "a symbolic link" : strerror(errno));
		return -1;
	}
	if (dir_trusted(fd, dir, e) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int ak_session_format(char *buf, size_t cap, const struct ak_session *s)
{
	int n = snprintf(buf, cap,
	                 "id %s\nuser %s\nservice %s\nrhost %s\nstart %" PRId64 "\npid %d\n"
	                 "pid_start %" PRIu64 "\ncgroup %s\nlogind %s\n",
	                 s->id, s->user, s->service[0] ? s->service : "-",
	                 s->rhost[0] ? s->rhost : "-", s->start_ms, (int)s->pid, s->pid_start,
	                 s->cgroup[0] ? s->cgroup : "-", s->logind[0] ? s->logind : "-");

	return n > 0 && (size_t)n < cap ? n : -1;
}

static int write_all(int fd, const char *buf, size_t len)
{
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, buf, len)) < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

int ak_session_write(struct ak_session *s, const char *dir, struct ak_error *e)
{
	char buf[REC_MAX];
	uint8_t rnd[4];
	int dfd, fd = -1, n, rc = -1;

	if (!ak_id_valid(s->id) || !ak_user_valid(s->user) || !word_valid(s->service, 64) ||
	    !word_valid(s->rhost, AK_RHOST_MAX) ||
	    (n = ak_session_format(buf, sizeof(buf), s)) < 0) {
		ak_err_set(e, AK_E_INVAL, "invalid session record");
		return -1;
	}
	if ((dfd = ak_sessions_dir(dir, 1, e)) < 0)
		return -1;
	randombytes_buf(rnd, sizeof(rnd));
	snprintf(s->name, sizeof(s->name), "%s.%d.%02x%02x%02x%02x", s->id, (int)s->pid, rnd[0],
	         rnd[1], rnd[2], rnd[3]);
	fd = openat(dfd, s->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || write_all(fd, buf, (size_t)n) != 0) {
		ak_err_set(e, AK_E_IO, "%s/%s: %s", dir, s->name, strerror(errno));
		if (fd >= 0)
			(void)unlinkat(dfd, s->name, 0);
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	close(dfd);
	return rc;
}

static int name_valid(const char *name)
{
	return name[0] != '.' && word_valid(name, AK_SESSION_NAME_MAX - 1) &&
	       strchr(name, '/') == NULL;
}

int ak_session_remove(const char *dir, const char *name, pid_t pid)
{
	char prefix[32];
	struct ak_error e;
	int dfd, rc;

	/* Only a record of this session: NAME is ID.PID.RANDOM. */
	snprintf(prefix, sizeof(prefix), ".%d.", (int)pid);
	if (!name_valid(name) || strstr(name, prefix) == NULL ||
	    (dfd = ak_sessions_dir(dir, 0, &e)) < 0)
		return -1;
	rc = unlinkat(dfd, name, 0);
	close(dfd);
	return rc;
}

static int num_field(const char *v, uint64_t max, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(v, &end, 10);
	return v[0] >= '0' && v[0] <= '9' && errno == 0 && *end == '\0' && *out <= max ? 0 : -1;
}

static int copy_word(char *dst, size_t cap, const char *v)
{
	if (strcmp(v, "-") == 0)
		v = "";
	if (!word_valid(v, cap - 1))
		return -1;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static int parse_line(struct ak_session *s, const char *k, const char *v, unsigned *seen)
{
	static const char *const names[] = {"id",  "user",      "service", "rhost", "start",
	                                    "pid", "pid_start", "cgroup",  "logind"};
	uint64_t n = 0;
	unsigned i;
	int rc;

	for (i = 0; i < sizeof(names) / sizeof(names[0]) && strcmp(k, names[i]) != 0; i++)
		;
	if (i == sizeof(names) / sizeof(names[0]) || (*seen & (1u << i)))
		return -1;
	*seen |= 1u << i;
	if (i == 0)
		rc = copy_word(s->id, sizeof(s->id), v) || !ak_id_valid(s->id);
	else if (i == 1)
		rc = copy_word(s->user, sizeof(s->user), v) || !ak_user_valid(s->user);
	else if (i == 2)
		rc = copy_word(s->service, sizeof(s->service), v);
	else if (i == 3)
		rc = copy_word(s->rhost, sizeof(s->rhost), v);
	else if (i == 7)
		rc = copy_word(s->cgroup, sizeof(s->cgroup), v);
	else if (i == 8)
		rc = copy_word(s->logind, sizeof(s->logind), v);
	else if ((rc = num_field(v, i == 5 ? 0x7fffffff : INT64_MAX, &n)) == 0 && i == 4)
		s->start_ms = (int64_t)n;
	else if (rc == 0 && i == 5)
		s->pid = (pid_t)n;
	else
		s->pid_start = n;
	return rc ? -1 : 0;
}

int ak_session_parse(struct ak_session *s, char *buf)
{
	char *line, *save = NULL, *sp;
	unsigned seen = 0;

	memset(s, 0, sizeof(*s));
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if ((sp = strchr(line, ' ')) == NULL)
			return -1;
		*sp = '\0';
		if (parse_line(s, line, sp + 1, &seen) != 0)
			return -1;
	}
	return seen == 0x1ffu && s->pid > 1 ? 0 : -1;
}

/* A record's name is ID.PID.RANDOM of its own contents. */
static int name_matches(const struct ak_session *s)
{
	char want[AK_SESSION_NAME_MAX];
	int n = snprintf(want, sizeof(want), "%s.%d.", s->id, (int)s->pid);

	return n > 0 && strncmp(s->name, want, (size_t)n) == 0;
}

/* NULL, or why the record is refused. */
static const char *read_record(int dfd, const char *name, struct ak_session *s)
{
	char buf[REC_MAX];
	struct stat sb;
	const char *why = NULL;
	int fd;

	memset(s, 0, sizeof(*s));
	if (!name_valid(name))
		return "not a record name";
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errno == ENOENT ? "" : "cannot be opened (a symbolic link?)";
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_nlink != 1)
		why = "not a regular file";
	else if (sb.st_uid != 0 || (sb.st_mode & (S_IWGRP | S_IWOTH)))
		why = "not owned by root or writable by others";
	else if (read_small(fd, buf, sizeof(buf)) < 0 || ak_session_parse(s, buf) != 0)
		why = "does not parse";
	close(fd);
	memcpy(s->name, name, strlen(name) + 1); /* name_valid: it fits */
	if (why == NULL && !name_matches(s))
		why = "its name is not its key and process";
	return why;
}

int ak_sessions_each(const char *dir, int (*fn)(const struct ak_session *, void *),
                     void (*bad)(const char *, const char *, void *), void *ctx, struct ak_error *e)
{
	struct ak_session s;
	struct dirent *d;
	const char *why;
	DIR *dp;
	int dfd, rc = 0;

	if ((dfd = ak_sessions_dir(dir, 0, e)) < 0)
		return e->code == AK_E_NOENT ? 0 : -1;
	if ((dp = fdopendir(dfd)) == NULL) {
		close(dfd);
		ak_err_set(e, AK_E_IO, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while (rc == 0 && (d = readdir(dp)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if ((why = read_record(dirfd(dp), d->d_name, &s)) == NULL)
			rc = fn(&s, ctx);
		else if (why[0] != '\0' && bad != NULL)
			bad(d->d_name, why, ctx);
	}
	closedir(dp);
	sodium_memzero(&s, sizeof(s));
	return 0;
}

int ak_session_live(const struct ak_session *s)
{
	uint64_t t;

	return ak_proc_start(&t, s->pid) == 0 && t == s->pid_start;
}

int ak_session_record(struct ak_session **out, const char *dir, const char *id, const char *user,
                      const char *service, const char *rhost, struct ak_error *e)
{
	struct ak_session *s;

	if (out == NULL || dir == NULL || id == NULL || user == NULL) {
		ak_err_set(e, AK_E_INVAL, "invalid session record");
		return -1;
	}
	if ((*out = s = calloc(1, sizeof(*s))) == NULL) {
		ak_err_set(e, AK_E_NOMEM, "out of memory");
		return -1;
	}
	snprintf(s->id, sizeof(s->id), "%s", id);
	snprintf(s->user, sizeof(s->user), "%s", user);
	(void)ak_log_clean(s->service, sizeof(s->service), service);
	(void)ak_log_clean(s->rhost, sizeof(s->rhost), rhost);
	s->start_ms = ak_now_ms();
	if (ak_session_fill(s, getpid(), e) != 0 || ak_session_write(s, dir, e) != 0) {
		free(s);
		*out = NULL;
		return -1;
	}
	return 0;
}

int ak_session_end(const struct ak_session *s, const char *dir, struct ak_error *e)
{
	if (s == NULL) {
		ak_err_set(e, AK_E_INVAL, "no session");
		return -1;
	}
	if (ak_session_remove(dir, s->name, s->pid) != 0) {
		ak_err_set(e, AK_E_NOENT, "session record %s was already gone", s->name);
		return -1;
	}
	return 0;
}
