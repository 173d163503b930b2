/* The usage events file, beside the store unless apikey.conf says where
 * (or "none"): made by init, read (with its rotated ".1") for last use and
 * failed attempts. Services append to it, so every line is untrusted: bad
 * lines are counted, never fatal. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keyadm.h"

/* The events setting, else the file beside the store. */
void ka_events_select(struct ka_ctx *c)
{
	c->events_off = strcmp(c->pol.events, "none") == 0;
	if (c->events_off)
		c->events[0] = '\0';
	else if (c->pol.events[0] != '\0')
		snprintf(c->events, sizeof(c->events), "%s", c->pol.events);
	else if (ak_events_path(c->events, sizeof(c->events), c->db) != 0)
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

/* A file the events setting names must be there (its rotated copy need
 * not): an error naming the setting, not a silent "never used". Beside the
 * store, a missing file means events are not kept, and other errors are
 * warnings. */
static void read_failed(const struct ka_ctx *c, int rc, int current, const struct ak_error *e)
{
	int set = c->pol.events[0] != '\0';

	if (rc == AK_OK || (rc == AK_E_NOENT && (!set || !current)))
		return;
	if (set)
		ka_die(KA_EXIT_FAIL, "cannot read the usage events: %s (events, %s:%zu)", e->msg,
		       c->pol.path, c->pol.events_line);
	ka_warn("cannot read the usage events: %s", e->msg);
}

/* The rotated file first, then the current one: oldest lines first. */
void ka_events_read(const struct ka_ctx *c, int (*fn)(const struct ak_event *, void *), void *ctx)
{
	struct ak_error e = {AK_OK, ""};
	char rotated[sizeof(c->events) + 2];
	const char *paths[2];
	size_t bad, total = 0;
	int i, rc;

	if (c->events_off)
		return;
	snprintf(rotated, sizeof(rotated), "%s.1", c->events);
	paths[0] = rotated;
	paths[1] = c->events;
	for (i = 0; i < 2; i++) {
		ka_priv_raise(); /* self-service: the file is root:apikey 0660 */
		rc = ak_events_each(paths[i], fn, ctx, &bad, &e);
		ka_priv_drop();
		read_failed(c, rc, i == 1, &e);
		total += bad;
	}
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
