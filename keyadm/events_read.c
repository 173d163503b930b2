/* The usage events file, beside the store unless apikey.conf says where
 * (or "none"): made by init, read with every rotated copy logrotate keeps
 * (NAME.1, NAME.2.gz, ...) for last use and failed attempts. Services
 * append to it, so every line is untrusted: bad lines are counted, never
 * fatal; a rotated copy that is not root's regular file is skipped. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "keyadm.h"

/* The events setting, else the file beside the store (the core's events
 * policy, as the services apply it); --events (root only: a setuid keyadm
 * reads no file its caller names) overrides both. */
void ka_events_select(struct ka_ctx *c)
{
	if (c->o->n_events > 0) {
		if (ka_priv_setuid())
			ka_usage("--events is for root");
		c->events_off = 0;
		snprintf(c->events, sizeof(c->events), "%s", c->o->events[0]);
		return;
	}
	if (ak_events_choose(c->events, sizeof(c->events), &c->events_off, c->pol.events, c->db,
	                     NULL) != 0)
		ka_usage("store path too long");
}

/* What needs the events (failures, --unused, --record) is refused when
 * they are off, rather than answered from nothing. */
void ka_events_need(const struct ka_ctx *c, const char *what)
{
	if (c->events_off)
		ka_die(KA_EXIT_FAIL,
		       "%s needs the usage events, which are off (events none, %s:%zu)", what,
		       c->pol.path, c->pol.events_line);
}

/* 0660, group apikey: services that run as other users append to it. An
 * existing file (or anything at that name) is left alone. */
void ka_events_create(const struct ka_ctx *c, gid_t gid)
{
	int fd;

	if (c->events_off)
		return;
	fd = open(c->events, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		if (errno != EEXIST)
			ka_warn("%s: cannot create the usage events file: %s", c->events,
			        strerror(errno));
		return;
	}
	if ((gid != (gid_t)-1 && fchown(fd, (uid_t)-1, gid) != 0) || fchmod(fd, 0660) != 0)
		ka_warn("%s: cannot set group and mode: %s", c->events, strerror(errno));
	close(fd);
	fprintf(stderr, "keyadm: created the usage events file %s (mode 0660)\n", c->events);
}

/* A file the events setting names must be there (its rotated copies need
 * not): an error naming the setting, not a silent "never used". Beside the
 * store, a missing file means events are not kept, and other errors are
 * warnings. */
static void read_failed(const struct ka_ctx *c, int rc, const struct ak_error *e)
{
	int set = c->pol.events[0] != '\0';

	if (rc == 0 || (e->code == AK_E_NOENT && !set))
		return;
	if (set)
		ka_die(KA_EXIT_FAIL, "cannot read the usage events: %s (events, %s:%zu)", e->msg,
		       c->pol.path, c->pol.events_line);
	ka_warn("cannot read the usage events: %s", e->msg);
}

/* A rotated copy: NAME.N or NAME.N.gz, N a decimal without a leading 0. */
struct rotated {
	unsigned long n;
	int gz;
	char path[sizeof(((struct ka_ctx *)0)->events) + 16];
};

/* N of entry d when it is base.N or base.N.gz (*gz set), else 0. */
static unsigned long rotated_number(const char *d, const char *base, int *gz)
{
	size_t b = strlen(base), i;
	unsigned long n = 0;

	if (strncmp(d, base, b) != 0 || d[b] != '.' || d[b + 1] < '1' || d[b + 1] > '9')
		return 0;
	for (i = b + 1; d[i] >= '0' && d[i] <= '9' && i < b + 10; i++)
		n = n * 10 + (unsigned long)(d[i] - '0');
	*gz = strcmp(d + i, ".gz") == 0;
	return (d[i] == '\0' || *gz) ? n : 0;
}

/* Oldest first: the highest number; of N and N.gz (a compression cut
 * short), the plain one, the .gz then skipped. */
static int by_age(const void *a, const void *b)
{
	const struct rotated *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return x->gz - y->gz;
}

/* The rotated copies of c->events in *out (malloc'd, oldest first). */
static size_t rotated_list(const struct ka_ctx *c, struct rotated **out)
{
	char dir[sizeof(c->events)], *slash;
	const char *base = c->events;
	struct rotated *v = NULL, *p;
	struct dirent *d;
	size_t n = 0, cap = 0;
	unsigned long num;
	DIR *dp;
	int gz;

	snprintf(dir, sizeof(dir), "%s", c->events);
	if ((slash = strrchr(dir, '/')) != NULL) {
		base += slash - dir + 1;
		slash[slash == dir] = '\0'; /* "/x" is in "/" */
	}
	if ((dp = opendir(slash ? dir : ".")) == NULL)
		return 0;
	while ((d = readdir(dp)) != NULL) {
		if ((num = rotated_number(d->d_name, base, &gz)) == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((p = realloc(v, cap * sizeof(*v))) == NULL)
				ka_die(KA_EXIT_FAIL, "out of memory");
			v = p;
		}
		v[n].n = num;
		v[n].gz = gz;
		snprintf(v[n].path, sizeof(v[n].path), "%s%s", c->events, d->d_name + strlen(base));
		n++;
	}
	closedir(dp);
	if (n)
		qsort(v, n, sizeof(*v), by_age);
	*out = v;
	return n;
}

static ssize_t gz_read(void *gz, char *buf, size_t n)
{
	return gzread(gz, buf, n > INT_MAX ? INT_MAX : (unsigned)n);
}

static int gz_close(void *gz)
{
	return gzclose_r(gz) == Z_OK ? 0 : -1;
}

/* A rotated copy as a stream (decompressed when .gz, *gz its handle), or
 * NULL with a warning: it must be root's regular file, not writable by
 * others (as logrotate leaves it), and a .gz gzip data. */
static FILE *rotated_open(const struct rotated *r, gzFile *gz)
{
	struct ak_error e = {AK_OK, ""};
	struct stat sb;
	FILE *f = NULL;
	int fd;

	*gz = NULL;
	if (ak_events_open(&fd, r->path, &e) != 0) {
		if (e.code != AK_E_NOENT) /* gone since the listing: rotated meanwhile */
			ka_warn("%s, skipped", e.msg);
		return NULL;
	}
	if (fstat(fd, &sb) != 0 || sb.st_uid != 0 || (sb.st_mode & S_IWOTH) != 0)
		ka_warn("%s: not root's or writable by others, skipped", r->path);
	else if (!r->gz)
		f = fdopen(fd, "r");
	else if ((*gz = gzdopen(fd, "rb")) == NULL)
		ka_warn("%s: %s, skipped", r->path, strerror(ENOMEM));
	else if (gzdirect(*gz))
		ka_warn("%s: not gzip data, skipped", r->path);
	else
		f = fopencookie(*gz, "r", (cookie_io_functions_t){gz_read, NULL, NULL, gz_close});
	if (f == NULL && *gz != NULL)
		gzclose_r(*gz);
	else if (f == NULL)
		close(fd);
	return f;
}

/* The events of one rotated copy; its bad lines. */
static size_t read_rotated(const struct rotated *r, int (*fn)(const struct ak_event *, void *),
                           void *ctx)
{
	struct ak_error e = {AK_OK, ""};
	const char *msg, *zmsg;
	size_t bad = 0;
	gzFile gz;
	FILE *f;
	int zerr;

	ka_priv_raise(); /* self-service: the directory is root:apikey 0750 */
	f = rotated_open(r, &gz);
	ka_priv_drop();
	if (f == NULL)
		return 0;
	msg = ak_events_each_stream(&bad, f, r->path, fn, ctx, &e) != 0 ? "read error" : NULL;
	if (gz != NULL && (zmsg = gzerror(gz, &zerr), zerr != Z_OK)) {
		/* Z_BUF_ERROR: cut short, which gzread takes for an end */
		msg = strncmp(zmsg, "<fd:", 4) == 0 && strstr(zmsg, ">: ") ? strstr(zmsg, ">: ") + 3
		                                                           : zmsg;
	}
	if (msg != NULL)
		ka_warn("%s: %s; read up to there", r->path, msg);
	fclose(f);
	return bad;
}

/* --events FILE: the host the events came from, the file's name less a
 * .events suffix (bastion.events: bastion); "" for the one events file. */
static char cur_host[64];

const char *ka_events_host(void)
{
	return cur_host;
}

static void host_of(const char *file)
{
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	size_t n = strlen(base);

	if (n > 7 && strcmp(base + n - 7, ".events") == 0)
		n -= 7;
	snprintf(cur_host, sizeof(cur_host), "%.*s", (int)n, base);
}

static void read_one(const struct ka_ctx *c, int (*fn)(const struct ak_event *, void *), void *ctx);

/* Every file of --events (each must be there), else the events file. */
void ka_events_read(const struct ka_ctx *c, int (*fn)(const struct ak_event *, void *), void *ctx)
{
	struct ka_ctx one;
	int i;

	if (c->o->n_events == 0) {
		read_one(c, fn, ctx);
		return;
	}
	for (i = 0; i < c->o->n_events; i++) {
		if (access(c->o->events[i], R_OK) != 0)
			ka_die(KA_EXIT_FAIL, "%s: %s (--events)", ka_esc(c->o->events[i]),
			       strerror(errno));
		one = *c;
		one.pol.events[0] = '\0';
		snprintf(one.events, sizeof(one.events), "%s", c->o->events[i]);
		host_of(c->o->events[i]);
		read_one(&one, fn, ctx);
	}
	cur_host[0] = '\0';
}

/* The rotated copies first, oldest first, then the current file. */
static void read_one(const struct ka_ctx *c, int (*fn)(const struct ak_event *, void *), void *ctx)
{
	struct ak_error e = {AK_OK, ""};
	struct rotated *r = NULL;
	size_t bad, total = 0, n, i;
	int rc;

	if (c->events_off)
		return;
	ka_priv_raise();
	n = rotated_list(c, &r);
	ka_priv_drop();
	for (i = 0; i < n; i++)
		if (i == 0 || r[i].n != r[i - 1].n)
			total += read_rotated(&r[i], fn, ctx);
	free(r);
	ka_priv_raise(); /* self-service: the file is root:apikey 0660 */
	rc = ak_events_each(&bad, c->events, fn, ctx, &e);
	ka_priv_drop();
	read_failed(c, rc, &e);
	total += bad;
	if (total)
		ka_warn("%s: %zu malformed line%s ignored", c->events, total, total > 1 ? "s" : "");
}

struct lastuse {
	const struct ak_key *keys;
	size_t *by_id; /* indexes into keys, sorted by id */
	size_t n;
	struct ka_use *out;
};

static const struct ak_key *sort_keys;

static int cmp_idx(const void *a, const void *b)
{
	return strcmp(sort_keys[*(const size_t *)a].id, sort_keys[*(const size_t *)b].id);
}

static int use_one(const struct ak_event *ev, void *vl)
{
	struct lastuse *l = vl;
	size_t lo = 0, hi = l->n, mid;
	struct ka_use *u;
	int d;

	if (ev->result != AK_VALID || ev->id[0] == '\0')
		return 0; /* only a VALID attempt is a use */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		d = strcmp(ev->id, l->keys[l->by_id[mid]].id);
		if (d == 0) {
			u = &l->out[l->by_id[mid]];
			if (ev->time_ms >= u->time_ms) {
				u->time_ms = ev->time_ms;
				memcpy(u->service, ev->service, sizeof(u->service));
				memcpy(u->source, ev->source, sizeof(u->source));
				snprintf(u->host, sizeof(u->host), "%s", ka_events_host());
			}
			return 0;
		}
		if (d < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

/* out[i]: the last VALID use of keys[i] (zeros: none seen). */
void ka_lastuse(const struct ka_ctx *c, const struct ak_key *keys, size_t n, struct ka_use *out)
{
	struct lastuse l = {keys, NULL, n, out};
	size_t i;

	memset(out, 0, n * sizeof(*out));
	for (i = 0; c->events_off && i < n; i++)
		out[i].time_ms = KA_USE_OFF;
	if (n == 0 || c->events_off)
		return;
	if ((l.by_id = calloc(n, sizeof(*l.by_id))) == NULL)
		ka_die(KA_EXIT_FAIL, "out of memory");
	for (i = 0; i < n; i++)
		l.by_id[i] = i;
	sort_keys = keys;
	qsort(l.by_id, n, sizeof(*l.by_id), cmp_idx);
	ka_events_read(c, use_one, &l);
	free(l.by_id);
}
