/* The fixture of the core's unit tests (unit.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/forge.h"
#include "unit.h"

char dir[] = "/tmp/apikey-unit.XXXXXX";
char db[512];

int unit_setup(void)
{
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(db, sizeof(db), "%s/keys.db", dir);
	return 0;
}

int unit_done(int tap_status)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return tap_status;
}

int code_of(int rc, const struct ak_error *e)
{
	return rc == 0 ? AK_OK : (int)e->code;
}

int make_store(char keys[K_N][AK_KEY_MAX + 1])
{
	struct ak_error e = {0, ""};
	struct ak_txn *t = NULL;
	struct ak_key k;
	int i, changed;

	if (ak_store_init(db, "ak", (gid_t)-1, "tester", &e) != 0 ||
	    ak_txn_begin(&t, db, geteuid(), "tester", &e) != 0) {
		printf("# %s\n", e.msg);
		return -1;
	}
	for (i = 0; i < K_N; i++) {
		if (ak_txn_new_key(t, &k, keys[i], "alice", &e) != 0)
			goto fail;
		if (i == K_REVOKED) {
			k.expires_ms = 1; /* revoked wins over expired */
			if (ak_keyrec_revoke(&k, &changed, ak_txn_now(t), "tester", "lost", &e) !=
			    0)
				goto fail;
		}
		if (i == K_DISABLED &&
		    ak_keyrec_disable(&k, &changed, ak_txn_now(t), "tester", "audit", &e) != 0)
			goto fail;
		if (i == K_EXPIRED)
			k.expires_ms = ak_txn_now(t) - 1;
		if (i == K_SERVICE && ak_services_parse(&k, "smtp") != 0)
			goto fail;
		if (i == K_SOURCE && ak_sources_parse(&k, "192.0.2.0/24") != 0)
			goto fail;
		if (ak_txn_put_key(t, &k, &e) != 0 ||
		    ak_txn_audit(t, "create", k.id, "alice", NULL, &e) != 0)
			goto fail;
	}
	return ak_txn_commit(t, &e);
fail:
	printf("# %s\n", e.msg);
	ak_txn_abort(t);
	return -1;
}

void fill_key(struct ak_key *k)
{
	memset(k, 0, sizeof(*k));
	strcpy(k->id, "AAAAAAAAAAAA");
	strcpy(k->owner, "alice");
	strcpy(k->name, "laptop \xc3\xa9t\xc3\xa9");
	k->alg = AK_HASH_HMAC_SHA256;
	memset(k->hash, 7, sizeof(k->hash));
	k->created_ms = 1700000000000;
	strcpy(k->created_by, "root via sudo: bob");
	k->expires_ms = 1800000000000;
	k->state = AK_STATE_REVOKED;
	k->revoked_ms = 1700000001000;
	strcpy(k->revoked_by, "root");
	strcpy(k->revoked_reason, "laptop lost");
	if (ak_services_parse(k, "sshd,smtp") != 0 ||
	    ak_sources_parse(k, "10.0.0.0/8,2001:db8::/32") != 0)
		k->n_services = 99;
	strcpy(k->rotated_to, "BBBBBBBBBBBB");
}

enum ak_result try_key(const char *user, const char *key, const char *svc, const char *src)
{
	struct ak_verify_req req = {user, key, strlen(key), svc, src, 0};
	struct ak_verify_res res;
	struct ak_error e;

	return ak_verify_path(&res, db, geteuid(), &req, &e);
}

void forge(char *out, const char *real)
{
	size_t n = strlen(real), plen = strcspn(real, "_");

	memcpy(out, real, n + 1);
	if (tl_key_forge(out, n, plen + 2 + AK_ID_LEN, AK_SECRET_LEN) != 0)
		out[0] = '\0'; /* MALFORMED: the test that wanted NOT_FOUND fails */
}
