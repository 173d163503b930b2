/* The limits of apikey.conf, applied where keys are made or changed. A
 * refusal happens before the store is written, so nothing changes. */
#include <string.h>

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

struct count {
	int64_t now;
	unsigned long n;
};

static int count_live(const struct ak_key *k, void *vc)
{
	struct count *n = vc;
	const char *s = ak_key_state_at(k, n->now);

	n->n += strcmp(s, "active") == 0 || strcmp(s, "disabled") == 0;
	return 0;
}

/* max_keys_per_user: active and disabled keys (not revoked or expired),
 * counted in the transaction's copy so that a batch counts its own keys. */
void ka_policy_count(const struct ka_ctx *c, struct ak_txn *t, const char *owner)
{
	struct ak_error e = {AK_OK, ""};
	struct count n = {c->now, 0};

	if (c->pol.max_keys == 0)
		return;
	if (ak_store_user_keys(ak_txn_store(t), owner, count_live, &n, &e) != AK_OK &&
	    e.code != AK_E_NOENT)
		ka_txn_fail(t, &e);
	if (n.n >= c->pol.max_keys)
		ka_die(KA_EXIT_FAIL,
		       "%s already has %lu keys, the most allowed (max_keys_per_user in %s): "
		       "revoke one first (nothing was changed)",
		       owner, n.n, c->pol.path);
}
