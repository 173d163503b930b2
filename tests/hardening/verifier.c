/* A verifier process of tests/hardening/kill.t: ak_verify_path in a tight
 * loop, as the PAM module and the SASL plugin call it (one cached handle
 * per process, revalidated by lstat), alternating the key the current
 * write touches and every known key in turn. Each attempt is timed on
 * CLOCK_MONOTONIC and judged against the answers the store held between
 * its start and its end: the answer before any write of that key that
 * overlaps it, after any such write, or the one in force at its start.
 * Anything else is wrong; AK_UNAVAILABLE is counted on its own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "killverify.h"

#define KV_PENDING 65536 /* attempts waiting for the horizon */
#define KV_REPORT 5      /* wrong answers described per verifier */

struct kv_try {
	int64_t s, e;
	int key;
	uint8_t r;
};

int64_t kv_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void report(int w, const struct kv_key *k, const struct kv_try *t, int expect)
{
	fprintf(stderr, "verifier %d: key %s answered %s, expected %s (%d writes of it)\n", w,
	        k->id, ak_result_name(t->r), ak_result_name(expect),
	        atomic_load_explicit(&k->nwin, memory_order_acquire));
}

static void judge(struct kv_shared *m, int w, const struct kv_try *t)
{
	const struct kv_key *k = &m->keys[t->key];
	struct kv_stats *st = &m->ws[w];
	int n = atomic_load_explicit(&k->nwin, memory_order_acquire);
	int cur = k->initial, overlap = 0, by_write = 0, fits = 0, i;

	for (i = 0; i < n; i++) {
		const struct kv_win *win = &k->win[i];
		if (win->end < t->s) {
			cur = win->after;
			by_write = 1;
		} else if (win->start <= t->e) {
			overlap = 1;
			fits |= t->r == win->before || t->r == win->after;
		}
	}
	fits |= t->r == cur;
	st->results[t->r]++;
	st->in_window += overlap;
	st->after_revoke += !overlap && by_write && cur == AK_REVOKED;
	if (fits || t->r == AK_UNAVAILABLE)
		return;
	if (t->r == AK_VALID)
		st->wrong_valid++;
	else
		st->wrong_refused++;
	if (st->wrong_valid + st->wrong_refused <= KV_REPORT)
		report(w, k, t, cur);
}

/* Judges the attempts that ended before the horizon, oldest first. */
static void drain(struct kv_shared *m, int w, const struct kv_try *p, unsigned *head, unsigned tail)
{
	int64_t h = atomic_load_explicit(&m->horizon, memory_order_acquire);

	while (*head != tail && p[*head % KV_PENDING].e < h) {
		judge(m, w, &p[*head % KV_PENDING]);
		(*head)++;
	}
}

static void attempt(struct kv_shared *m, int w, const char *db, int idx, struct kv_try *t)
{
	const struct kv_key *k = &m->keys[idx];
	struct ak_verify_req req = {k->user, k->key, strlen(k->key), KV_SERVICE, NULL, 0};
	struct ak_verify_res res;
	struct ak_error e = {AK_OK, ""};
	struct kv_stats *st = &m->ws[w];

	t->key = idx;
	t->s = kv_now();
	t->r = (uint8_t)ak_verify_path(&res, db, getuid(), &req, &e);
	t->e = kv_now();
	st->attempts++;
	if (t->r == AK_UNAVAILABLE && st->unavailable++ == 0)
		snprintf(st->first_unavailable, sizeof(st->first_unavailable), "%s", e.msg);
}

void kv_verifier(struct kv_shared *m, int w, const char *db)
{
	struct kv_try *p = calloc(KV_PENDING, sizeof(*p));
	struct timespec nap = {0, 100 * 1000};
	unsigned head = 0, tail = 0, next = 0;
	int n, idx;

	if (p == NULL)
		_exit(2);
	while (!atomic_load(&m->stop)) {
		if (tail - head < KV_PENDING) {
			n = atomic_load(&m->nkeys);
			idx = (tail & 1) ? atomic_load(&m->hot) : (int)(next++ % (unsigned)n);
			attempt(m, w, db, idx, &p[tail % KV_PENDING]);
			tail++;
		} else {
			nanosleep(&nap, NULL);
		}
		drain(m, w, p, &head, tail);
	}
	drain(m, w, p, &head, tail); /* the horizon is at its end now */
	free(p);
	_exit(head == tail ? 0 : 2);
}
