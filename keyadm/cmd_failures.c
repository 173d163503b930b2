/* keyadm failures: rejected attempts from the usage events, grouped by key
 * and source, most frequent first: which applications still knock with a
 * revoked, disabled, expired or mistyped key. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "keyadm.h"

#define LIST_MAX 8 /* services or users kept per group */

struct group {
	char id[AK_ID_LEN + 1]; /* "" for attempts whose key did not parse */
	char source[64 + 1];
	uint64_t count;
	int64_t first, last;
	uint32_t results;                         /* bit per enum ak_result */
	char services[LIST_MAX][AK_USER_MAX + 1]; /* service names are shorter */
	char users[LIST_MAX][AK_USER_MAX + 1];
	unsigned n_services, n_users;
};

struct failures {
	const struct ka_ctx *c;
	int64_t since;
	struct group *v; /* open addressing, cap a power of two */
	size_t n, cap;
};

static uint64_t hash(const char *id, const char *source)
{
	uint64_t h = 1469598103934665603ull;

	for (; *id; id++)
		h = (h ^ (unsigned char)*id) * 1099511628211ull;
	h = (h ^ 0xff) * 1099511628211ull;
	for (; *source; source++)
		h = (h ^ (unsigned char)*source) * 1099511628211ull;
	return h;
}

static struct group *slot(struct group *v, size_t cap, const char *id, const char *source)
{
	size_t i = (size_t)hash(id, source) & (cap - 1);

	while (v[i].count != 0 && (strcmp(v[i].id, id) != 0 || strcmp(v[i].source, source) != 0))
		i = (i + 1) & (cap - 1);
	return &v[i];
}

static void grow(struct failures *f)
{
	size_t i, cap = f->cap ? f->cap * 2 : 256;
	struct group *v = calloc(cap, sizeof(*v));

	if (v == NULL)
		ka_die(KA_EXIT_FAIL, "out of memory");
	for (i = 0; i < f->cap; i++)
		if (f->v[i].count != 0)
			*slot(v, cap, f->v[i].id, f->v[i].source) = f->v[i];
	free(f->v);
	f->v = v;
	f->cap = cap;
}

static void add_name(char (*list)[AK_USER_MAX + 1], unsigned *n, size_t size, const char *s)
{
	unsigned i;

	for (i = 0; i < *n; i++)
		if (strncmp(list[i], s, size - 1) == 0)
			return;
	if (*n < LIST_MAX)
		snprintf(list[(*n)++], size, "%s", s);
}

static int one(const struct ak_event *ev, void *vf)
{
	struct failures *f = vf;
	const struct ka_opts *o = f->c->o;
	struct group *g;

	if (ev->result == AK_VALID || ev->time_ms < f->since ||
	    (o->key && strcmp(ev->id, o->key) != 0) || (o->user && strcmp(ev->user, o->user) != 0))
		return 0;
	if ((f->n + 1) * 2 > f->cap)
		grow(f);
	g = slot(f->v, f->cap, ev->id, ev->source);
	if (g->count++ == 0) {
		f->n++;
		memcpy(g->id, ev->id, sizeof(g->id));
		memcpy(g->source, ev->source, sizeof(g->source));
		g->first = ev->time_ms;
	}
	g->first = ev->time_ms < g->first ? ev->time_ms : g->first;
	g->last = ev->time_ms > g->last ? ev->time_ms : g->last;
	g->results |= 1u << ev->result;
	add_name(g->services, &g->n_services, sizeof(g->services[0]), ev->service);
	add_name(g->users, &g->n_users, sizeof(g->users[0]), ev->user);
	return 0;
}

/* Most attempts first, then the most recent; the id keeps it stable. */
static int by_count(const void *a, const void *b)
{
	const struct group *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if (x->last != y->last)
		return x->last > y->last ? -1 : 1;
	return strcmp(x->id, y->id) != 0 ? strcmp(x->id, y->id) : strcmp(x->source, y->source);
}

/* The key's state and owner now, so that "revoked" stands out. */
static void key_now(const struct ka_ctx *c, struct ak_store *st, const struct group *g,
                    const char **state, char *owner)
{
	struct ak_key k;

	*state = "-";
	owner[0] = '\0';
	if (g->id[0] == '\0')
		return;
	*state = "unknown";
	if (ak_store_get_key(st, &k, g->id, NULL) != AK_OK)
		return;
	*state = ak_key_state_at(&k, c->now);
	memcpy(owner, k.owner, AK_USER_MAX + 1);
}

static void json_list(const char *name, const char (*list)[AK_USER_MAX + 1], unsigned n)
{
	unsigned i;

	printf(",\"%s\":[", name);
	for (i = 0; i < n; i++) {
		fputs(i ? "," : "", stdout);
		ka_json_str(stdout, list[i]);
	}
	fputc(']', stdout);
}

static void json_opt(const char *s)
{
	if (*s == '\0')
		fputs("null", stdout);
	else
		ka_json_str(stdout, s);
}

static void print_json(const struct group *g, const char *state, const char *owner, size_t nth)
{
	int r;

	printf("%s{\"id\":", nth ? ",\n" : "\n");
	json_opt(g->id);
	fputs(",\"state\":", stdout);
	json_opt(g->id[0] ? state : "");
	fputs(",\"owner\":", stdout);
	json_opt(owner);
	fputs(",\"source\":", stdout);
	json_opt(strcmp(g->source, "-") != 0 ? g->source : "");
	printf(",\"count\":%" PRIu64 ",\"firstAt\":%" PRId64 ",\"lastAt\":%" PRId64
	       ",\"results\":[",
	       g->count, g->first, g->last);
	for (r = AK_VALID; r <= AK_UNAVAILABLE; r++)
		if (g->results & (1u << r))
			printf("%s\"%s\"", (g->results & ((1u << r) - 1)) ? "," : "",
			       ak_result_name((enum ak_result)r));
	fputc(']', stdout);
	json_list("services", g->services, g->n_services);
	json_list("users", g->users, g->n_users);
	fputc('}', stdout);
}

static void join(char *buf, size_t cap, const char (*list)[AK_USER_MAX + 1], unsigned n, int more)
{
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < n; i++)
		snprintf(buf + strlen(buf), cap - strlen(buf), "%s%s", i ? "," : "",
		         ka_esc(list[i]));
	if (more)
		snprintf(buf + strlen(buf), cap - strlen(buf), ",...");
}

static void print_text(const struct group *g, const char *state, size_t nth)
{
	char first[40], last[40], res[200] = "", sv[700], us[700];
	int r;

	if (nth == 0)
		printf("%-12s  %-8s  %-15s  %5s  %-23s  %-23s  %s\n", "KEY", "STATE", "SOURCE",
		       "COUNT", "FIRST", "LAST", "RESULTS  SERVICES  USERS");
	ak_format_time(first, sizeof(first), g->first);
	ak_format_time(last, sizeof(last), g->last);
	for (r = AK_VALID; r <= AK_UNAVAILABLE; r++)
		if (g->results & (1u << r))
			snprintf(res + strlen(res), sizeof(res) - strlen(res), "%s%s",
			         res[0] ? "," : "", ak_result_name((enum ak_result)r));
	join(sv, sizeof(sv), g->services, g->n_services, g->n_services == LIST_MAX);
	join(us, sizeof(us), g->users, g->n_users, g->n_users == LIST_MAX);
	printf("%-12s  %-8s  %-15s  %5" PRIu64 "  %-23s  %-23s  %s  %s  %s\n",
	       g->id[0] ? ka_esc(g->id) : "(no key id)", state, ka_esc(g->source), g->count, first,
	       last, res, sv, us);
}

static void print_all(const struct ka_ctx *c, const struct group *v, size_t n)
{
	struct ak_store *st = ka_store_open(c);
	char owner[AK_USER_MAX + 1];
	const char *state;
	size_t i;

	if (c->o->json)
		fputc('[', stdout);
	for (i = 0; i < n; i++) {
		key_now(c, st, &v[i], &state, owner);
		if (c->o->json)
			print_json(&v[i], state, owner, i);
		else
			print_text(&v[i], state, i);
	}
	if (c->o->json)
		fputs("\n]\n", stdout);
	ak_store_close(st);
}

int ka_cmd_failures(const struct ka_ctx *c)
{
	struct failures f = {c, INT64_MIN, NULL, 0, 0};
	size_t i, n = 0;

	if (c->o->user)
		ka_check_user(c->o->user);
	if (c->o->key)
		ka_check_id(c->o->key);
	if (c->o->since)
		f.since = ka_since(c, c->o->since);
	ka_events_need(c, "failures");
	grow(&f);
	ka_events_read(c, one, &f);
	for (i = 0; i < f.cap; i++)
		if (f.v[i].count != 0)
			f.v[n++] = f.v[i];
	qsort(f.v, n, sizeof(f.v[0]), by_count);
	print_all(c, f.v, n);
	free(f.v);
	ka_flush(stdout);
	return KA_EXIT_OK;
}
