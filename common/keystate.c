/* State changes of one key record. Pure: the caller stores and audits. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

int ak_key_revoke(struct ak_key *k, int64_t now_ms, const char *actor, const char *reason)
{
	if (k == NULL)
		return -1;
	/* Idempotent: the first revocation's time, actor and reason stay. */
	if (k->state == AK_STATE_REVOKED)
		return 0;
	k->state = AK_STATE_REVOKED;
	k->revoked_ms = now_ms;
	snprintf(k->revoked_by, sizeof(k->revoked_by), "%s", actor ? actor : "");
	snprintf(k->revoked_reason, sizeof(k->revoked_reason), "%s", reason ? reason : "");
	return 1;
}

int ak_key_disable(struct ak_key *k, int64_t now_ms, const char *actor, const char *reason)
{
	if (k == NULL || k->state == AK_STATE_REVOKED)
		return -1;
	if (k->state == AK_STATE_DISABLED)
		return 0;
	k->state = AK_STATE_DISABLED;
	k->disabled_ms = now_ms;
	snprintf(k->disabled_by, sizeof(k->disabled_by), "%s", actor ? actor : "");
	snprintf(k->disabled_reason, sizeof(k->disabled_reason), "%s", reason ? reason : "");
	return 1;
}

int ak_key_enable(struct ak_key *k)
{
	if (k == NULL || k->state == AK_STATE_REVOKED)
		return -1;
	if (k->state == AK_STATE_ACTIVE)
		return 0;
	k->state = AK_STATE_ACTIVE;
	k->disabled_ms = 0;
	k->disabled_by[0] = '\0';
	k->disabled_reason[0] = '\0';
	return 1;
}

const char *ak_key_state_at(const struct ak_key *k, int64_t now_ms)
{
	if (k == NULL)
		return "invalid";
	if (k->state == AK_STATE_ACTIVE && k->expires_ms != 0 && now_ms >= k->expires_ms)
		return "expired";
	return ak_state_name(k->state);
}
