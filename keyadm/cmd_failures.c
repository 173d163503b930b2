/* keyadm failures: rejected attempts from the usage events, grouped by key
 * and source, most frequent first: which applications still knock with a
 * revoked, disabled, expired or mistyped key. */
#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "keyadm.h"

#define LIST_MAX 8 /* services or users kept per group */
/* MUST: the events file is written by the services' group, so what it
 * can make keyadm hold is bounded (about 25 MB) and its lookups keyed:
 * past these, attempts are counted and reported, not tracked. */
#define GROUPS_MAX 100000 /* key id and source pairs */
#define NAMES_MAX 65536   /* distinct service and user names */
#define GROUPS_SLOTS (1u << 18)
#define NAMES_SLOTS (1u << 17)

struct group {
	char id[AK_ID_LEN + 1]; /* "" for attempts whose key did not parse */
	char source[64 + 1];
	char host[64]; /* --events: the file's host */
	uint8_t n_services, n_users;
	uint32_t results; /* bit per enum ak_result */
	uint64_t count;
	int64_t first, last;
	uint32_t services[LIST_MAX], users[LIST_MAX]; /* indexes into names */
};

typedef char name_t[AK_USER_MAX + 1]; /* service names are shorter */

struct failures {
	const struct ka_ctx *c;
	int64_t since;
	unsigned char key[crypto_shorthash_KEYBYTES]; /* random: no crafted collisions */
	struct group *v;
	size_t n, alloc;
	uint32_t *gslot; /* open addressing, index + 1 into v; 0 is empty */
	name_t *names;
	size_t n_names, names_alloc;
	uint32_t *nslot;
	uint64_t untracked; /* attempts of pairs past GROUPS_MAX */
	int names_full;
};

static size_t hash(const struct failures *f, const char *a, const char *b, size_t cap)
{
	unsigned char in[AK_ID_LEN + 1 + 64 + 1 + 1], h[crypto_shorthash_BYTES];
	size_t na = strlen(a), nb = strlen(b);
	uint64_t v;

	memcpy(in, a, na + 1); /* the NUL keeps "ab","c" apart from "a","bc" */
	memcpy(in + na + 1, b, nb);
	crypto_shorthash(h, in, na + 1 + nb, f->key);
	memcpy(&v, h, sizeof(v));
	return (size_t)v & (cap - 1);
}

/* n + 1 entries of size sz in *v (at most max): 0, or -1 at the bound. */
static int room(void **v, size_t *alloc, size_t n, size_t sz, size_t max)
{
	size_t cap;
	void *p;

	if (n < *alloc)
		return 0;
	if (n >= max)
		return -1;
	cap = *alloc ? (*alloc * 2 < max ? *alloc * 2 : max) : 256;
	if ((p = realloc(*v, cap * sz)) == NULL)
		ka_die(KA_EXIT_FAIL, "out of memory");
	*v = p;
	*alloc = cap;
	return 0;
}

/* The group of id and source, made when new; NULL past GROUPS_MAX. */
static struct group *group_of(struct failures *f, const char *id, const char *source)
{
	const char *host = ka_events_host();
	size_t i = hash(f, id, source, GROUPS_SLOTS);
	struct group *g;

	for (; f->gslot[i] != 0; i = (i + 1) & (GROUPS_SLOTS - 1)) {
		g = &f->v[f->gslot[i] - 1];
		if (strcmp(g->id, id) == 0 && strcmp(g->source, source) == 0 &&
		    strcmp(g->host, host) == 0)
			return g;
	}
	if (room((void **)&f->v, &f->alloc, f->n, sizeof(*f->v), GROUPS_MAX) != 0)
		return NULL;
	g = &f->v[f->n];
	memset(g, 0, sizeof(*g));
	snprintf(g->id, sizeof(g->id), "%s", id);
	snprintf(g->source, sizeof(g->source), "%s", source);
	snprintf(g->host, sizeof(g->host), "%s", host);
	f->gslot[i] = (uint32_t)++f->n;
	return g;
}

/* The index of name s, added when new; -1 past NAMES_MAX. */
static int64_t name_of(struct failures *f, const char *s)
{
	size_t i = hash(f, s, "", NAMES_SLOTS);

	for (; f->nslot[i] != 0; i = (i + 1) & (NAMES_SLOTS - 1))
		if (strcmp(f->names[f->nslot[i] - 1], s) == 0)
			return f->nslot[i] - 1;
	if (room((void **)&f->names, &f->names_alloc, f->n_names, sizeof(*f->names), NAMES_MAX)) {
		f->names_full = 1;
		return -1;
	}
	snprintf(f->names[f->n_names], sizeof(*f->names), "%s", s);
	f->nslot[i] = (uint32_t)++f->n_names;
	return (int64_t)f->n_names - 1;
}

/* s into the list unless it is there or the list is full. */
static void add_name(struct failures *f, uint32_t *list, uint8_t *n, const char *s)
{
	int64_t k;
	unsigned i;

	for (i = 0; i < *n; i++)
		if (strcmp(f->names[list[i]], s) == 0)
			return;
	if (*n < LIST_MAX && (k = name_of(f, s)) >= 0)
		list[(*n)++] = (uint32_t)k;
}

static int one(const struct ak_event *ev, void *vf)
{
	struct failures *f = vf;
	const struct ka_opts *o = f->c->o;
	struct group *g;

	if (ev->result == AK_VALID || ev->time_ms < f->since ||
	    (o->key && strcmp(ev->id, o->key) != 0) || (o->user && strcmp(ev->user, o->user) != 0))
		return 0;
	if ((g = group_of(f, ev->id, ev->source)) == NULL) {
		f->untracked++;
		return 0;
	}
	if (g->count++ == 0)
		g->first = ev->time_ms;
	g->first = ev->time_ms < g->first ? ev->time_ms : g->first;
	g->last = ev->time_ms > g->last ? ev->time_ms : g->last;
	g->results |= 1u << ev->result;
	add_name(f, g->services, &g->n_services, ev->service);
	add_name(f, g->users, &g->n_users, ev->user);
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
	if (strcmp(x->id, y->id) != 0)
		return strcmp(x->id, y->id);
	return strcmp(x->source, y->source) != 0 ? strcmp(x->source, y->source)
	                                         : strcmp(x->host, y->host);
}

/* The key now: its state, so that "revoked" stands out, its owner and
 * name, so that a person knows whose application knocks. */
struct key_now {
	const char *state;
	char owner[AK_USER_MAX + 1];
	char name[AK_NAME_MAX + 1];
};

static void key_now(const struct ka_ctx *c, struct ak_store *st, const struct group *g,
                    struct key_now *kn)
{
	struct ak_key k;

	kn->state = "-";
	kn->owner[0] = kn->name[0] = '\0';
	if (g->id[0] == '\0')
		return;
	kn->state = "unknown";
	if (ak_store_get_key(&k, st, g->id, NULL) != 0)
		return;
	kn->state = ak_key_state_at(&k, c->now);
	memcpy(kn->owner, k.owner, sizeof(kn->owner));
	memcpy(kn->name, k.name, sizeof(kn->name));
}

static void json_list(const char *name, const name_t *names, const uint32_t *list, unsigned n)
{
	unsigned i;

	printf(",\"%s\":[", name);
	for (i = 0; i < n; i++) {
		fputs(i ? "," : "", stdout);
		ka_json_str(stdout, names[list[i]]);
	}
	fputc(']', stdout);
}

static void print_json(const struct group *g, const name_t *names, const struct key_now *kn,
                       size_t nth)
{
	int r;

	printf("%s{\"id\":", nth ? ",\n" : "\n");
	ka_json_opt(stdout, g->id);
	fputs(",\"state\":", stdout);
	ka_json_opt(stdout, g->id[0] ? kn->state : "");
	fputs(",\"owner\":", stdout);
	ka_json_opt(stdout, kn->owner);
	fputs(",\"name\":", stdout);
	ka_json_opt(stdout, kn->name);
	fputs(",\"source\":", stdout);
	ka_json_opt(stdout, strcmp(g->source, "-") != 0 ? g->source : "");
	if (g->host[0] != '\0') {
		fputs(",\"host\":", stdout);
		ka_json_opt(stdout, g->host);
	}
	printf(",\"count\":%" PRIu64 ",\"firstAt\":%" PRId64 ",\"lastAt\":%" PRId64
	       ",\"results\":[",
	       g->count, g->first, g->last);
	for (r = AK_VALID; r <= AK_UNAVAILABLE; r++)
		if (g->results & (1u << r))
			printf("%s\"%s\"", (g->results & ((1u << r) - 1)) ? "," : "",
			       ak_result_name((enum ak_result)r));
	fputc(']', stdout);
	json_list("services", names, g->services, g->n_services);
	json_list("users", names, g->users, g->n_users);
	fputc('}', stdout);
}

static void join(char *buf, size_t cap, const name_t *names, const uint32_t *list, unsigned n,
                 int more)
{
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < n; i++)
		snprintf(buf + strlen(buf), cap - strlen(buf), "%s%s", i ? "," : "",
		         ka_esc(names[list[i]]));
	if (more)
		snprintf(buf + strlen(buf), cap - strlen(buf), ",...");
}

enum {
	C_KEY,
	C_OWNER,
	C_NAME,
	C_STATE,
	C_SOURCE,
	C_COUNT,
	C_FIRST,
	C_LAST,
	C_RESULTS,
	C_SERVICES,
	C_USERS,
	C_N
};

/* One row of the table: measured (cols->w grows) or printed. */
static void text_row(struct ka_cols *cols, int print, const struct group *g, const name_t *names,
                     const struct key_now *kn)
{
	char first[40], last[40], res[200] = "", sv[700], us[700], count[24], src[140];
	const char *cell[C_N];
	int r;

	ak_format_time(first, sizeof(first), g->first);
	ak_format_time(last, sizeof(last), g->last);
	for (r = AK_VALID; r <= AK_UNAVAILABLE; r++)
		if (g->results & (1u << r))
			snprintf(res + strlen(res), sizeof(res) - strlen(res), "%s%s",
			         res[0] ? "," : "", ak_result_name((enum ak_result)r));
	/* --events: the attempt's source on its host */
	snprintf(src, sizeof(src), "%s%s%s", ka_esc(g->source), g->host[0] ? "@" : "", g->host);
	join(sv, sizeof(sv), names, g->services, g->n_services, g->n_services == LIST_MAX);
	join(us, sizeof(us), names, g->users, g->n_users, g->n_users == LIST_MAX);
	snprintf(count, sizeof(count), "%" PRIu64, g->count);
	cell[C_KEY] = g->id[0] ? ka_esc(g->id) : "(no key id)";
	cell[C_OWNER] = kn->owner[0] ? ka_esc(kn->owner) : "-";
	cell[C_NAME] = kn->name[0] ? ka_esc(kn->name) : "-";
	cell[C_STATE] = kn->state;
	cell[C_SOURCE] = src;
	cell[C_COUNT] = count;
	cell[C_FIRST] = first;
	cell[C_LAST] = last;
	cell[C_RESULTS] = res;
	cell[C_SERVICES] = sv[0] ? sv : "-";
	cell[C_USERS] = us[0] ? us : "-";
	if (print)
		ka_cols_print(stdout, cols, cell);
	else
		ka_cols_measure(cols, cell);
}

static const char *const header[C_N] = {"KEY",   "OWNER", "NAME",    "STATE",    "SOURCE", "COUNT",
                                        "FIRST", "LAST",  "RESULTS", "SERVICES", "USERS"};

static void print_json_all(const struct ka_ctx *c, struct ak_store *st, const struct group *v,
                           size_t n, const name_t *names)
{
	struct key_now kn;
	size_t i;

	fputc('[', stdout);
	for (i = 0; i < n; i++) {
		key_now(c, st, &v[i], &kn);
		print_json(&v[i], names, &kn, i);
	}
	fputs("\n]\n", stdout);
}

/* Twice over the groups, to measure then print: nothing is held. */
static void print_text_all(const struct ka_ctx *c, struct ak_store *st, const struct group *v,
                           size_t n, const name_t *names)
{
	struct ka_cols cols = {C_N, 1u << C_COUNT, {0}};
	struct key_now kn;
	int print;
	size_t i;

	if (n == 0)
		return;
	for (print = 0; print <= 1; print++) {
		if (print)
			ka_cols_print(stdout, &cols, header);
		else
			ka_cols_measure(&cols, header);
		for (i = 0; i < n; i++) {
			key_now(c, st, &v[i], &kn);
			text_row(&cols, print, &v[i], names, &kn);
		}
	}
}

static void print_all(const struct ka_ctx *c, const struct group *v, size_t n, const name_t *names)
{
	struct ak_store *st = ka_store_open(c);

	if (c->o->json)
		print_json_all(c, st, v, n, names);
	else
		print_text_all(c, st, v, n, names);
	ak_store_close(st);
}

/* What the bounds kept out, after the report. */
static void bounds_hit(const struct failures *f)
{
	if (f->untracked)
		ka_warn("failures: more than %d key and source pairs; %" PRIu64
		        " attempts of the others are not shown",
		        GROUPS_MAX, f->untracked);
	if (f->names_full)
		ka_warn("failures: more than %d service and user names; the others are not listed",
		        NAMES_MAX);
}

int ka_cmd_failures(const struct ka_ctx *c)
{
	struct failures f = {.c = c, .since = INT64_MIN};

	if (c->o->user)
		ka_check_user(c->o->user);
	if (c->o->key)
		ka_check_id(c->o->key);
	if (c->o->since)
		f.since = ka_since(c, c->o->since);
	ka_events_need(c, "failures");
	f.gslot = calloc(GROUPS_SLOTS, sizeof(*f.gslot));
	f.nslot = calloc(NAMES_SLOTS, sizeof(*f.nslot));
	if (f.gslot == NULL || f.nslot == NULL)
		ka_die(KA_EXIT_FAIL, "out of memory");
	crypto_shorthash_keygen(f.key);
	ka_events_read(c, one, &f);
	free(f.gslot);
	free(f.nslot);
	if (f.n)
		qsort(f.v, f.n, sizeof(f.v[0]), by_count);
	print_all(c, f.v, f.n, (const name_t *)f.names);
	free(f.v);
	free(f.names);
	ka_flush(stdout);
	bounds_hit(&f);
	return KA_EXIT_OK;
}
