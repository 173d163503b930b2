/* Unit tests of state changes of a key record: revoke, disable, enable, expiry
 * (common/keystate.c). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "tap.h"
#include "unit.h"

static void test_state_changes(void)
{
	struct ak_error e = {AK_OK, ""};
	struct ak_key k;
	int ch;

	fill_key(&k);
	k.state = AK_STATE_ACTIVE;
	k.expires_ms = 0;
	ok(ak_keyrec_revoke(&k, &ch, 1000, "a", "first", NULL) == 0 && ch == 1,
	   "revoke changes an active key");
	ok(ak_keyrec_revoke(&k, &ch, 2000, "b", "second", NULL) == 0 && ch == 0 &&
	           k.revoked_ms == 1000 && strcmp(k.revoked_reason, "first") == 0 &&
	           strcmp(k.revoked_by, "a") == 0,
	   "revoking again keeps the first time, reason and actor");
	ok(ak_keyrec_enable(&k, &ch, &e) == -1 && e.code == AK_E_STATE && ch == 0 &&
	           k.state == AK_STATE_REVOKED,
	   "a revoked key cannot be enabled");
	ok(ak_keyrec_disable(&k, &ch, 3000, "a", NULL, &e) == -1 && e.code == AK_E_STATE,
	   "a revoked key cannot be disabled");
	fill_key(&k);
	k.state = AK_STATE_ACTIVE;
	k.expires_ms = 0;
	ok(ak_keyrec_disable(&k, &ch, 1000, "a", "billing", NULL) == 0 && ch == 1 &&
	           ak_keyrec_disable(&k, &ch, 2000, "a", "x", NULL) == 0 && ch == 0,
	   "disable, then disable again is a no-op");
	ok(ak_keyrec_enable(&k, &ch, NULL) == 0 && ch == 1 && k.state == AK_STATE_ACTIVE &&
	           k.disabled_ms == 0,
	   "enable");
	k.expires_ms = 5;
	is_str(ak_key_state_at(&k, 10), "expired", "state at a later time is expired");
	is_str(ak_key_state_at(&k, 1), "active", "state before expiry is active");
}

int main(void)
{
	if (unit_setup() != 0)
		return 1;
	test_state_changes();
	return unit_done(tap_done());
}
