/* Unit tests of the verification order for every result code, a revocation seen
 * by the next verification, untrusted stores (common/verify.c). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "tap.h"
#include "unit.h"

static void test_verify_order(char keys[K_N][AK_KEY_MAX + 1])
{
	char other[AK_KEY_MAX + 1], id[AK_ID_LEN + 1];

	is_int(try_key("alice", keys[K_GOOD], "sshd", "198.51.100.1"), AK_VALID, "VALID");
	is_int(try_key("alice", "hunter2", "sshd", NULL), AK_MALFORMED, "MALFORMED password");
	if (ak_key_generate(other, id, "ak") == 0)
		is_int(try_key("alice", other, "sshd", NULL), AK_NOT_FOUND, "NOT_FOUND unknown id");
	forge(other, keys[K_GOOD]);
	is_int(try_key("alice", other, "sshd", NULL), AK_NOT_FOUND,
	       "forged secret for a real id is NOT_FOUND");
	is_int(try_key("bob", keys[K_GOOD], "sshd", NULL), AK_WRONG_USER, "WRONG_USER");
	is_int(try_key("alice", keys[K_REVOKED], "sshd", NULL), AK_REVOKED,
	       "REVOKED (before EXPIRED)");
	is_int(try_key("bob", keys[K_REVOKED], "sshd", NULL), AK_WRONG_USER,
	       "WRONG_USER before REVOKED");
	is_int(try_key("alice", keys[K_DISABLED], "sshd", NULL), AK_DISABLED, "DISABLED");
	is_int(try_key("alice", keys[K_EXPIRED], "sshd", NULL), AK_EXPIRED, "EXPIRED");
	is_int(try_key("alice", keys[K_SERVICE], "sshd", NULL), AK_SERVICE_DENIED,
	       "SERVICE_DENIED");
	is_int(try_key("alice", keys[K_SERVICE], "smtp", NULL), AK_VALID, "allowed service VALID");
	is_int(try_key("alice", keys[K_SERVICE], NULL, NULL), AK_SERVICE_DENIED,
	       "no service, restricted key");
	is_int(try_key("alice", keys[K_SOURCE], "sshd", "198.51.100.1"), AK_SOURCE_DENIED,
	       "SOURCE_DENIED");
	is_int(try_key("alice", keys[K_SOURCE], "sshd", "192.0.2.9"), AK_VALID,
	       "allowed source VALID");
	is_int(try_key("alice", keys[K_SOURCE], "sshd", ""), AK_SOURCE_DENIED,
	       "unknown source, restricted key");
}

/* The cached handle must never hide a write: revoke in this process,
 * through the same write path keyadm uses, and verify again at once. */
static void test_revoke_seen(char keys[K_N][AK_KEY_MAX + 1])
{
	int changed;
	char id[AK_ID_LEN + 1];
	struct ak_error e;
	struct ak_txn *t = NULL;
	struct ak_key k;

	is_int(try_key("alice", keys[K_GOOD], "sshd", NULL), AK_VALID,
	       "valid before the revocation");
	memcpy(id, keys[K_GOOD] + 3, AK_ID_LEN);
	id[AK_ID_LEN] = '\0';
	if (ak_txn_begin(&t, db, geteuid(), "tester", &e) != 0 ||
	    ak_store_get_key(&k, ak_txn_store(t), id, &e) != 0 ||
	    ak_keyrec_revoke(&k, &changed, ak_txn_now(t), "tester", "test", &e) != 0 || !changed ||
	    ak_txn_put_key(t, &k, &e) != 0 ||
	    ak_txn_audit(t, "revoke", id, "alice", "test", &e) != 0 || ak_txn_commit(t, &e) != 0) {
		ok(0, "revoke committed: %s", e.msg);
		return;
	}
	is_int(try_key("alice", keys[K_GOOD], "sshd", NULL), AK_REVOKED,
	       "the very next verification in the same process is REVOKED");
}

static void test_untrusted(char keys[K_N][AK_KEY_MAX + 1])
{
	char p[600];

	chmod(db, 0662);
	is_int(try_key("alice", keys[K_GOOD], "sshd", NULL), AK_UNAVAILABLE,
	       "group/world-writable store refused");
	chmod(db, 0640);
	snprintf(p, sizeof(p), "%s/link.db", dir);
	if (symlink(db, p) == 0) {
		struct ak_verify_req req = {"alice", keys[K_GOOD], strlen(keys[K_GOOD]),
		                            NULL,    NULL,         0};
		struct ak_verify_res res;
		struct ak_error e;
		is_int(ak_verify_path(&res, p, geteuid(), &req, &e), AK_UNAVAILABLE,
		       "symlinked store refused");
		ok(strstr(e.msg, "symbolic link") != NULL, "error names the symlink");
	}
}

int main(void)
{
	char keys[K_N][AK_KEY_MAX + 1];

	if (unit_setup() != 0)
		return 1;
	ok(make_store(keys) == 0, "store created with one key per case");
	test_verify_order(keys);
	test_revoke_seen(keys);
	test_untrusted(keys);
	sodium_memzero(keys, sizeof(keys));
	return unit_done(tap_done());
}
