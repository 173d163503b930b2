/* Unit tests of the audit chain: a rewritten entry breaks it (common/audit.c). */
#include <fcntl.h>
#include <gdbm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "tap.h"
#include "unit.h"

/* Rewrites audit entry 2 in place with GDBM, as an attacker with write
 * access would; the chain must notice. */
static void test_audit_tamper(void)
{
	char copy[600], cmd[1300];
	struct ak_store *st = NULL;
	struct ak_error e;
	struct ak_audit a;
	GDBM_FILE g;
	datum k = {(char *)"a:2", 3}, v;
	uint8_t buf[AK_REC_MAX];
	size_t len;

	snprintf(copy, sizeof(copy), "%s/tamper.db", dir);
	snprintf(cmd, sizeof(cmd), "cp %s %s", db, copy);
	if (system(cmd) != 0 || (g = gdbm_open(copy, 0, GDBM_WRITER, 0, NULL)) == NULL) {
		ok(0, "tamper copy");
		return;
	}
	v = gdbm_fetch(g, k);
	if (v.dptr && ak_audit_decode(&a, (uint8_t *)v.dptr, (size_t)v.dsize) == 0) {
		strcpy(a.actor, "mallory");
		if (ak_audit_encode(buf, sizeof(buf), &len, &a) == 0) {
			datum nv = {(char *)buf, (int)len};
			gdbm_store(g, k, nv, GDBM_REPLACE);
		}
	}
	free(v.dptr);
	gdbm_close(g);
	chmod(copy, 0640);
	if (ak_store_open(&st, copy, geteuid(), &e) != 0) {
		ok(0, "tampered store opens");
		return;
	}
	ok(ak_store_audit_verify(st, &e) == -1 && e.code == AK_E_CORRUPT &&
	           strstr(e.msg, "entry 3") != NULL,
	   "a rewritten audit entry breaks the chain at the next entry");
	ok(ak_store_check(st, &e) != 0, "store check fails on the broken chain");
	ak_store_close(st);
}

int main(void)
{
	char keys[K_N][AK_KEY_MAX + 1];

	if (unit_setup() != 0)
		return 1;
	ok(make_store(keys) == 0, "store created with one key per case");
	test_audit_tamper();
	sodium_memzero(keys, sizeof(keys));
	return unit_done(tap_done());
}
