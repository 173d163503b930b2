/* The sessions pam_apikey recorded: keyadm sessions lists the live ones,
 * revoke and disable --end-sessions end those of their keys. A record is
 * believed only for the key's owner in the store (not the record's word),
 * and only while its leader runs with the recorded start time: a record
 * whose pid was reused is stale, removed and never signalled. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "keyadm.h"

#define GRACE_MS 2000 /* SIGHUP, then SIGKILL after this */
#define PROCS_MAX 4096

struct ka_proc {
	pid_t pid;
	uint64_t start;
};

struct ka_ends {
	const char *dir;
	const struct ak_key *k; /* NULL: any key (listing) */
	const char *user;       /* listing: only this user's keys */
	struct ak_store *st;    /* listing: the owners */
	struct ak_session *v;
	size_t n, cap, stale;
	int late; /* after the commit: a failure is a warning */
};

const char *ka_sessions_dir(const struct ka_ctx *c)
{
	return c->pol.sessions_dir[0] ? c->pol.sessions_dir : AK_SESSIONS_DIR;
}

/* --end-sessions, else --keep-sessions, else end_sessions in the policy. */
int ka_sessions_wanted(const struct ka_ctx *c)
{
	if (c->o->end_sessions && c->o->keep_sessions)
		ka_usage("--end-sessions and --keep-sessions contradict each other");
	return c->o->end_sessions || (c->pol.end_sessions && !c->o->keep_sessions);
}

static void refused(const char *name, const char *why, void *vs)
{
	struct ka_ends *s = vs;

	ka_warn("%s/%s: %s: ignored", s->dir, ka_esc(name), why);
}

static void add(struct ka_ends *s, const struct ak_session *r)
{
	struct ak_session *grown;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		if ((grown = realloc(s->v, s->cap * sizeof(*grown))) == NULL)
			ka_die(KA_EXIT_FAIL, "out of memory");
		s->v = grown;
	}
	s->v[s->n++] = *r;
}

/* The owner of the record's key, from the store: the record must name it. */
static int owner_ok(const struct ka_ends *s, const struct ak_session *r)
{
	struct ak_error e = {AK_OK, ""};
	struct ak_key k;

	if (s->k != NULL)
		return strcmp(r->id, s->k->id) == 0 && strcmp(r->user, s->k->owner) == 0;
	if (ak_store_get_key(&k, s->st, r->id, &e) != 0 || strcmp(k.owner, r->user) != 0)
		return 0;
	return s->user == NULL || strcmp(k.owner, s->user) == 0;
}

static int collect(const struct ak_session *r, void *vs)
{
	struct ka_ends *s = vs;

	if (s->k != NULL && strcmp(r->id, s->k->id) != 0)
		return 0;
	if (!ak_session_live(r)) {
		/* the session is over, or its pid now runs something else */
		if (s->k != NULL && ak_session_remove(s->dir, r->name, r->pid) == 0)
			s->stale++;
		return 0;
	}
	if (owner_ok(s, r))
		add(s, r);
	else if (s->k != NULL || s->user == NULL)
		ka_warn("%s/%s: names %s, not the key's owner: ignored", s->dir, r->name,
		        ka_esc(r->user));
	return 0;
}

static void scan(struct ka_ends *s)
{
	struct ak_error e = {AK_OK, ""};

	if (ak_sessions_each(s->dir, collect, refused, s, &e) == 0)
		return;
	if (!s->late)
		ka_die(KA_EXIT_FAIL, "%s (nothing was changed)", e.msg);
	ka_warn("%s: no more sessions ended", e.msg);
}

/* Called privileged, inside the change's transaction (late: after it). */
struct ka_ends *ka_sessions_find(const struct ka_ctx *c, const struct ak_key *k, int late)
{
	struct ka_ends *s = calloc(1, sizeof(*s));

	if (s == NULL)
		ka_die(KA_EXIT_FAIL, "out of memory");
	s->dir = ka_sessions_dir(c);
	s->k = k;
	s->late = late;
	scan(s);
	return s;
}

size_t ka_sessions_count(const struct ka_ends *s)
{
	return s ? s->n : 0;
}

void ka_sessions_free(struct ka_ends *s)
{
	if (s != NULL)
		free(s->v);
	free(s);
}

/* ---- ending: the leader, its descendants, and the logind scope ---- */

struct ka_procs {
	struct ka_proc v[PROCS_MAX];
	size_t n;
};

static void proc_add(struct ka_procs *p, pid_t pid, uint64_t start)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->v[i].pid == pid)
			return;
	if (p->n < PROCS_MAX)
		p->v[p->n++] = (struct ka_proc){pid, start};
}

/* Every process whose parent is in p, until none is added. */
static void add_descendants(struct ka_procs *p)
{
	size_t before;
	struct dirent *d;
	pid_t pid, ppid;
	uint64_t start;
	size_t i;
	DIR *dp;

	do {
		before = p->n;
		if ((dp = opendir("/proc")) == NULL)
			return;
		while ((d = readdir(dp)) != NULL) {
			if ((pid = (pid_t)atoi(d->d_name)) <= 1 ||
			    ak_proc_stat(&ppid, &start, pid) != 0)
				continue;
			for (i = 0; i < p->n; i++)
				if (p->v[i].pid == ppid)
					proc_add(p, pid, start);
		}
		closedir(dp);
	} while (p->n != before && p->n < PROCS_MAX);
}

/* A logind session's scope holds all its processes, double forks too. */
static void add_scope(struct ka_procs *p, const struct ak_session *r)
{
	char path[AK_CGROUP_MAX + 64];
	uint64_t start;
	FILE *f;
	int pid;

	if (r->logind[0] == '\0' || strstr(r->cgroup, "/session-") == NULL)
		return;
	snprintf(path, sizeof(path), "/sys/fs/cgroup%s/cgroup.procs", r->cgroup);
	if ((f = fopen(path, "re")) == NULL)
		return;
	while (fscanf(f, "%d", &pid) == 1)
		if (ak_proc_start(&start, pid) == 0)
			proc_add(p, pid, start);
	fclose(f);
}

/* Signals the processes of p that still are what they were; returns how
 * many still run. */
static size_t signal_all(const struct ka_procs *p, int sig)
{
	uint64_t start;
	size_t i, alive = 0;

	for (i = 0; i < p->n; i++) {
		if (ak_proc_start(&start, p->v[i].pid) != 0 || start != p->v[i].start)
			continue;
		alive++;
		if (sig != 0)
			(void)kill(p->v[i].pid, sig);
	}
	return alive;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int end_one(const struct ka_ends *s, const struct ak_session *r)
{
	static struct ka_procs p;
	long waited;

	p.n = 0;
	if (!ak_session_live(r))
		return 0;
	proc_add(&p, r->pid, r->pid_start);
	add_descendants(&p);
	add_scope(&p, r);
	signal_all(&p, SIGHUP);
	for (waited = 0; waited < GRACE_MS && signal_all(&p, 0) > 0; waited += 100)
		sleep_ms(100);
	if (signal_all(&p, 0) > 0)
		signal_all(&p, SIGKILL);
	if (ak_session_remove(s->dir, r->name, r->pid) != 0) {
		/* ended all the same: the leader's own close_session, run as
		 * it ended, removed its record first */
	}
	return 1;
}

/* After the commit: every session found is ended; returns how many. */
size_t ka_sessions_end(struct ka_ends *s)
{
	size_t i, ended = 0;

	if (s == NULL || s->n == 0)
		return 0;
	ka_priv_raise();
	for (i = 0; i < s->n; i++)
		ended += (size_t)end_one(s, &s->v[i]);
	ka_priv_drop();
	return ended;
}

/* ---- keyadm sessions ---- */

static int by_start(const void *a, const void *b)
{
	const struct ak_session *x = a, *y = b;

	return (x->start_ms > y->start_ms) - (x->start_ms < y->start_ms);
}

static void print_json(const struct ka_ends *s)
{
	size_t i;

	fputs("[", stdout);
	for (i = 0; i < s->n; i++) {
		const struct ak_session *r = &s->v[i];
		printf("%s\n{\"key\":\"%s\",\"user\":", i ? "," : "", r->id);
		ka_json_str(stdout, r->user);
		fputs(",\"service\":", stdout);
		ka_json_str(stdout, r->service);
		fputs(",\"host\":", stdout);
		ka_json_str(stdout, r->rhost);
		fputs(",\"since\":", stdout);
		ka_json_time(stdout, r->start_ms);
		printf(",\"pid\":%d,\"logindSession\":", (int)r->pid);
		if (r->logind[0])
			ka_json_str(stdout, r->logind);
		else
			fputs("null", stdout);
		fputs("}", stdout);
	}
	fputs(s->n ? "\n]\n" : "]\n", stdout);
}

static void print_text(const struct ka_ends *s)
{
	char t[40];
	size_t i;

	if (s->n == 0)
		return;
	printf("%-12s  %-16s  %-10s  %-15s  %-20s  %s\n", "KEY", "USER", "SERVICE", "HOST", "SINCE",
	       "PID");
	for (i = 0; i < s->n; i++) {
		const struct ak_session *r = &s->v[i];
		ak_format_time(t, sizeof(t), r->start_ms);
		printf("%-12s  %-16s  %-10s  %-15s  %-20s  %d\n", r->id, r->user,
		       r->service[0] ? r->service : "-", r->rhost[0] ? r->rhost : "-", t,
		       (int)r->pid);
	}
}

int ka_cmd_sessions(const struct ka_ctx *c)
{
	const struct ka_opts *o = c->o;
	struct ka_ends s = {ka_sessions_dir(c), NULL, NULL, NULL, NULL, 0, 0, 0, 0};
	struct ak_key k;
	struct ak_error e = {AK_OK, ""};

	if (o->n_args && o->key)
		ka_usage("sessions: name a user or --key ID, not both");
	s.user = o->n_args ? o->args[0] : c->self;
	if (s.user)
		ka_check_user(s.user);
	if (c->self && strcmp(s.user, c->self) != 0)
		ka_usage("you can list only your own sessions (you are %s)", c->self);
	if (o->key)
		ka_check_id(o->key);
	s.st = ka_store_open(c);
	if (o->key) {
		if (ak_store_get_key(&k, s.st, o->key, &e) != 0 ||
		    (c->self && strcmp(k.owner, c->self) != 0))
			ka_die(KA_EXIT_NOENT, "no key %s", o->key);
		s.k = &k;
	}
	ka_priv_raise();
	scan(&s);
	ka_priv_drop();
	ak_store_close(s.st);
	if (s.n > 1)
		qsort(s.v, s.n, sizeof(s.v[0]), by_start);
	(o->json ? print_json : print_text)(&s);
	free(s.v);
	ka_flush(stdout);
	return KA_EXIT_OK;
}
