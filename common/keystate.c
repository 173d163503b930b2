/* State changes of one key record. Pure: the caller stores and audits. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static int refuse(int *changed, const struct ak_key *k, const char *verb, struct ak_error *e)
{
	if (changed != NULL)
		*changed = 0;
	if (k == NULL)
		ak_err_set(e, AK_E_INVAL, "no key record");
	else
		ak_err_set(e, AK_E_STATE, "key %s is revoked: it cannot be %s", k->id, verb);
	return -1;
}

int ak_keyrec_revoke(struct ak_key *k, int *changed, int64_t now_ms, const char *actor,
                     const char *reason, struct ak_error *e)
{
	if (k == NULL || changed == NULL)
		return refuse(changed, NULL, "revoked", e);
	/* Idempotent: the first revocation's time, actor and reason stay. */
	*changed = k->state != AK_STATE_REVOKED;
	if (!*changed)
		return 0;
	k->state = AK_STATE_REVOKED;
	k->revoked_ms = now_ms;
	snprintf(k->revoked_by, sizeof(k->revoked_by), "%s", actor ? actor : "");
	snprintf(k->revoked_reason, sizeof(k->revoked_reason), "%s", reason ? reason : "");
	return 0;
}

int ak_keyrec_disable(struct ak_key *k, int *changed, int64_t now_ms, const char *actor,
                      const char *reason, struct ak_error *e)
{
	if (k == NULL || changed == NULL || k->state == AK_STATE_REVOKED)
		return refuse(changed, changed ? k : NULL, "disabled", e);
	*changed = k->state != AK_STATE_DISABLED;
	if (!*changed)
		return 0;
	k->state = AK_STATE_DISABLED;
	k->disabled_ms = now_ms;
	snprintf(k->disabled_by, sizeof(k->disabled_by), "%s", actor ? actor : "");
	snprintf(k->disabled_reason, sizeof(k->disabled_reason), "%s", reason ? reason : "");
	return 0;
}

int ak_keyrec_enable(struct ak_key *k, int *changed, struct ak_error *e)
{
	if (k == NULL || changed == NULL || k->state == AK_STATE_REVOKED)
		return refuse(changed, changed ? k : NULL, "enabled", e);
	*changed = k->state != AK_STATE_ACTIVE;
	if (!*changed)
		return 0;
	k->state = AK_STATE_ACTIVE;
	k->disabled_ms = 0;
	k->disabled_by[0] = '\0';
	k->disabled_reason[0] = '\0';
	return 0;
}

const char *ak_key_state_at(const struct ak_key *k, int64_t now_ms)
{
	if (k == NULL)
		return "invalid";
	if (k->state == AK_STATE_ACTIVE && k->expires_ms != 0 && now_ms >= k->expires_ms)
		return "expired";
	return ak_state_name(k->state);
}
