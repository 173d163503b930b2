/* The limits of apikey.conf, applied where keys are made or changed. A
 * refusal happens before the store is written, so nothing changes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "keyadm.h"

/* A key's lifetime is counted from its creation. */
void ka_policy_check_expiry(const struct ka_ctx *c, int64_t expires, int64_t created)
{
	const struct ka_policy *p = &c->pol;

	if (p->max_lifetime == 0)
		return;
	if (expires == 0 || expires - created > p->max_lifetime)
		ka_die(KA_EXIT_FAIL, "keys must expire within %s (max_lifetime in %s)%s",
		       p->max_lifetime_text, p->path, expires == 0 ? ": give --expires" : "");
}

/* create and create --batch: default_expiry when --expires is missing. */
void ka_policy_new_expiry(const struct ka_ctx *c, struct ak_key *r)
{
	if (r->expires_ms == 0 && c->pol.default_expiry != 0)
		r->expires_ms = c->now + c->pol.default_expiry;
	ka_policy_check_expiry(c, r->expires_ms, c->now);
}

/* rotate: the new key keeps the old expiry, shortened to fit the policy. */
int64_t ka_policy_rotated_expiry(const struct ka_ctx *c, int64_t old_expires, int64_t now)
{
	const struct ka_policy *p = &c->pol;
	int64_t fit;

	if (p->max_lifetime == 0)
		return old_expires;
	fit = now + (p->default_expiry ? p->default_expiry : p->max_lifetime);
	if (old_expires == 0 || old_expires - now > p->max_lifetime) {
		ka_warn("the new key expires sooner than the old one: keys must expire within %s "
		        "(max_lifetime in %s)",
		        p->max_lifetime_text, p->path);
		return fit;
	}
	return old_expires;
}

/* The file the limits come from, for messages (the defaults when none). */
static const char *conf_name(const struct ka_policy *p)
{
	return p->path[0] ? p->path : KA_SYSCONF;
}

static int64_t dead_since(const struct ak_key *k, int64_t now)
{
	if (k->state == AK_STATE_REVOKED)
		return k->revoked_ms;
	if (k->expires_ms != 0 && k->expires_ms <= now)
		return k->expires_ms;
	return 0;
}

struct room {
	int64_t now, before; /* before: a key dead since before it is purged */
	unsigned long live, stored;
	char (*purge)[AK_ID_LEN + 1];
	size_t n_purge, cap;
};

static int room_key(const struct ak_key *k, void *vr)
{
	struct room *r = vr;
	const char *s = ak_key_state_at(k, r->now);
	int64_t dead = dead_since(k, r->now);
	void *grown;

	r->live += strcmp(s, "active") == 0 || strcmp(s, "disabled") == 0;
	if (r->before == 0 || dead == 0 || dead >= r->before)
		return 0;
	if (r->n_purge == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 16;
		if ((grown = realloc(r->purge, r->cap * sizeof(*r->purge))) == NULL)
			ka_die(KA_EXIT_FAIL, "out of memory");
		r->purge = grown;
	}
	memcpy(r->purge[r->n_purge++], k->id, AK_ID_LEN + 1);
	return 0;
}

/* purge_revoked_after: the owner's long-dead keys go; their audit stays. */
static void purge_dead(const struct ka_ctx *c, struct ak_txn *t, const char *owner, struct room *r)
{
	struct ak_error e = {AK_OK, ""};
	char why[128];
	size_t i;

	snprintf(why, sizeof(why), "revoked or expired more than %s ago (purge_revoked_after)",
	         c->pol.purge_after_text);
	for (i = 0; i < r->n_purge; i++)
		if (ak_txn_delete_key(t, r->purge[i], &e) != 0 ||
		    ak_txn_audit(t, "purge", r->purge[i], owner, why, &e) != 0)
			ka_txn_fail(t, &e);
	r->stored -= r->n_purge;
}

/* Keys a write examines for purge_revoked_after: all of a user's keys up
 * to this many, else this many from a random place (the purge spreads over
 * the next writes), so that the cost of a write does not grow with them. */
#define SWEEP_MAX 256

/* Before a key is made for owner, in the transaction's copy (a batch
 * counts its own keys): purge_revoked_after, then self_service_max_stored
 * (every key kept, revoked and expired ones included: the index's length)
 * and, when the key adds one that can log in, max_keys_per_user (active
 * and disabled keys, a key in its rotation grace included: every key's
 * state is read). */
void ka_policy_make_room(const struct ka_ctx *c, struct ak_txn *t, const char *owner, unsigned what)
{
	struct ak_error e = {AK_OK, ""};
	const struct ka_policy *p = &c->pol;
	struct room r = {c->now, 0, 0, 0, NULL, 0, 0};
	int stored = c->self != NULL && p->ss_max_stored != 0;
	int live = (what & KA_ROOM_LIVE) && p->max_keys != 0;
	size_t total = 0;

	if ((what & KA_ROOM_PURGE) && p->purge_after != 0)
		r.before = c->now - p->purge_after;
	if (r.before == 0 && !stored && !live)
		return;
	if (ak_store_user_slice(&total, ak_txn_store(t), owner, randombytes_random(),
	                        live ? SIZE_MAX : (r.before ? SWEEP_MAX : 0), room_key, &r,
	                        &e) != 0 &&
	    e.code != AK_E_NOENT)
		ka_txn_fail(t, &e);
	r.stored = total;
	purge_dead(c, t, owner, &r);
	free(r.purge);
	if (stored && r.stored >= p->ss_max_stored)
		ka_die(KA_EXIT_FAIL,
		       "%s keeps %lu keys, revoked and expired ones included, the most allowed "
		       "(self_service_max_stored in %s): %s%s%sroot can purge them (nothing was "
		       "changed)",
		       owner, r.stored, conf_name(p),
		       p->purge_after ? "revoked keys are purged " : "",
		       p->purge_after ? p->purge_after_text : "",
		       p->purge_after ? " after (purge_revoked_after), or " : "");
	if (live && r.live >= p->max_keys)
		ka_die(KA_EXIT_FAIL,
		       "%s already has %lu keys, the most allowed (max_keys_per_user in %s): %s "
		       "(nothing was changed)",
		       owner, r.live, conf_name(p),
		       (what & KA_ROOM_GRACE)
		               ? "a key in its rotation grace counts: revoke one, or "
		                 "rotate without --grace"
		               : "revoke one first");
}

static int time_of(const struct ak_audit *a, void *vt)
{
	*(int64_t *)vt = a->time_ms;
	return 1;
}

/* The first audit entry at or after since, by bisection: entries are
 * appended in time order (a clock stepped back only shortens the window). */
static uint64_t first_since(struct ak_txn *t, int64_t since)
{
	struct ak_error e = {AK_OK, ""};
	const struct ak_store *st = ak_txn_store(t);
	uint64_t lo = 1, hi = ak_store_meta(st)->audit_seq + 1, mid;
	int64_t when;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		when = 0;
		if (ak_store_each_audit(st, mid, time_of, &when, &e) != 0)
			ka_txn_fail(t, &e);
		if (when < since)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct rate {
	const char *actor;
	unsigned long n;
	int64_t first;
};

/* A change that grows the store: revocations (and the purges and the
 * old key's line of a rotation) are never limited. */
static int count_change(const struct ak_audit *a, void *vr)
{
	struct rate *r = vr;

	if (strcmp(a->actor, r->actor) != 0 || strcmp(a->action, "revoke") == 0 ||
	    strcmp(a->action, "purge") == 0 || strcmp(a->action, "rotate") == 0)
		return 0;
	if (r->n++ == 0)
		r->first = a->time_ms;
	return 0;
}

/* self_service_rate: a self-service caller's changes (keys made, disabled,
 * enabled) within the window, counted in the audit trail under the lock;
 * the cost is that of the window's entries, not of the store. */
void ka_policy_rate(const struct ka_ctx *c, struct ak_txn *t)
{
	struct ak_error e = {AK_OK, ""};
	const struct ka_policy *p = &c->pol;
	struct rate r = {ak_txn_actor(t), 0, 0};
	int64_t since = c->now - p->ss_rate_window;
	char when[40];
	uint64_t from;

	if (c->self == NULL || p->ss_rate == 0)
		return;
	from = first_since(t, since);
	if (from <= ak_store_meta(ak_txn_store(t))->audit_seq &&
	    ak_store_each_audit(ak_txn_store(t), from, count_change, &r, &e) != 0)
		ka_txn_fail(t, &e);
	if (r.n < p->ss_rate)
		return;
	ak_format_time(when, sizeof(when), r.first + p->ss_rate_window);
	ka_die(KA_EXIT_FAIL,
	       "%s made %lu changes in the last %s, the most allowed (self_service_rate %s in %s): "
	       "try again after %s; revoking is never limited (nothing was changed)",
	       r.actor, r.n, p->ss_rate_text + strcspn(p->ss_rate_text, "/") + 1, p->ss_rate_text,
	       conf_name(p), when);
}
