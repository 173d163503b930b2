/* pam_apikey through the real libpam with libpamtest, under pam_wrapper:
 * the service files come from PAM_WRAPPER_SERVICE_DIR (written by
 * tests/pam_apikey/libpamtest.t, which also makes the store and the keys).
 * Keys are read from files in PT_DIR and compared, never printed.
 * Environment: PT_DIR, PT_KEYADM (keyadm with --db), PT_DB, and the ids
 * PT_ID_A, PT_ID_A2, PT_ID_A3. */
#include <libpamtest.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"

#define KEY_CAP 1024

static char key[KEY_CAP];

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v ? v : "";
}

/* Loads PT_DIR/name into key; "" if it cannot be read. */
static const char *load(const char *name)
{
	char path[4096];
	FILE *f;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/%s", env("PT_DIR"), name);
	explicit_bzero(key, sizeof(key));
	if ((f = fopen(path, "rb")) != NULL) {
		n = fread(key, 1, sizeof(key) - 1, f);
		fclose(f);
	}
	while (n > 0 && key[n - 1] == '\n')
		key[--n] = '\0';
	return key;
}

/* One transaction: auth with the key in file name, then the ops in tc
 * after the first; returns the libpamtest verdict. */
static enum pamtest_err run(const char *service, const char *user, const char *name,
                            struct pam_testcase *tc, size_t n)
{
	const char *answers[] = {load(name), NULL};
	struct pamtest_conv_data conv = {answers, NULL, NULL, NULL};
	enum pamtest_err rc = _pamtest(service, user, &conv, tc, n, NULL);

	explicit_bzero(key, sizeof(key));
	return rc;
}

/* APIKEY_ID in an envlist from PAMTEST_GETENVLIST, or NULL. */
static const char *apikey_id(char **envlist)
{
	size_t i;

	for (i = 0; envlist != NULL && envlist[i] != NULL; i++)
		if (strncmp(envlist[i], "APIKEY_ID=", 10) == 0)
			return envlist[i] + 10;
	return NULL;
}

static void auth_only(const char *desc, const char *service, const char *user, const char *name,
                      int want)
{
	struct pam_testcase tc[] = {pam_test(PAMTEST_AUTHENTICATE, want)};

	is_int(run(service, user, name, tc, 1), PAMTEST_ERR_OK, "%s: auth %s", desc,
	       pam_strerror(NULL, want));
}

static void test_valid(void)
{
	struct pam_testcase tc[] = {
	        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
	        pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
	        pam_test(PAMTEST_SETCRED, PAM_SUCCESS),
	        pam_test(PAMTEST_GETENVLIST, PAM_SUCCESS),
	};

	is_int(run("apikey", "alice", "a", tc, 4), PAMTEST_ERR_OK,
	       "VALID: auth, account and setcred succeed");
	is_str(apikey_id(tc[3].case_out.envlist), env("PT_ID_A"),
	       "VALID: APIKEY_ID is the key's id");
	pamtest_free_env(tc[3].case_out.envlist);
}

static void test_rejections(void)
{
	static const struct {
		const char *desc, *user, *file;
	} c[] = {
	        {"WRONG_USER", "bob", "a"},       {"REVOKED", "alice", "r"},
	        {"DISABLED", "alice", "d"},       {"EXPIRED", "alice", "e"},
	        {"SERVICE_DENIED", "alice", "s"}, {"SOURCE_DENIED", "alice", "f"},
	        {"NOT_FOUND", "alice", "forged"}, {"MALFORMED", "alice", "pw"},
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct pam_testcase tc[] = {
		        pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR),
		        pam_test(PAMTEST_GETENVLIST, PAM_SUCCESS),
		};

		is_int(run("apikey", c[i].user, c[i].file, tc, 2), PAMTEST_ERR_OK, "%s: auth fails",
		       c[i].desc);
		ok(apikey_id(tc[1].case_out.envlist) == NULL, "%s: no APIKEY_ID", c[i].desc);
		pamtest_free_env(tc[1].case_out.envlist);
	}
	auth_only("a key for smtp, service=smtp", "as_smtp", "alice", "s", PAM_SUCCESS);
}

/* The entry points that must never grant anything on their own. */
static void test_other_entry_points(void)
{
	struct pam_testcase pw[] = {pam_test(PAMTEST_CHAUTHTOK, PAM_AUTHTOK_ERR)};
	struct pam_testcase s1[] = {pam_test(PAMTEST_OPEN_SESSION, PAM_PERM_DENIED)};
	struct pam_testcase s2[] = {pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS),
	                            pam_test(PAMTEST_CLOSE_SESSION, PAM_SUCCESS)};
	struct pam_testcase ac[] = {pam_test(PAMTEST_ACCOUNT, PAM_PERM_DENIED)};

	is_int(run("apikey", "alice", "a", pw, 1), PAMTEST_ERR_OK,
	       "chauthtok refuses (keys change with keyadm rotate)");
	is_int(run("session_only", "alice", "a", s1, 1), PAMTEST_ERR_OK,
	       "a session of pam_apikey alone is not granted");
	is_int(run("session_permit", "alice", "a", s2, 2), PAMTEST_ERR_OK,
	       "session: pam_permit decides, pam_apikey ignores");
	is_int(run("account_only", "alice", "a", ac, 1), PAMTEST_ERR_OK,
	       "account with no key and nothing else: not granted");
}

static void test_stacks(void)
{
	auth_only("nonkey=ignore, a password, then pam_permit", "ignore_permit", "alice", "pw",
	          PAM_SUCCESS);
	auth_only("nonkey=ignore, a password, then pam_deny", "ignore_deny", "alice", "pw",
	          PAM_AUTH_ERR);
	auth_only("nonkey=ignore, a revoked key stops the stack", "ignore_permit", "alice", "r",
	          PAM_AUTH_ERR);
	auth_only("nonkey=ignore, a forged key stops the stack", "ignore_permit", "alice", "forged",
	          PAM_AUTH_ERR);
	auth_only("nonkey=fail, a password fails before pam_permit", "fail_permit", "alice", "pw",
	          PAM_AUTH_ERR);
	auth_only("sufficient, a valid key skips pam_deny", "sufficient_deny", "alice", "a",
	          PAM_SUCCESS);
	auth_only("use_first_pass with nothing earlier fails, never prompts", "first_none", "alice",
	          "a", PAM_AUTH_ERR);
	auth_only("try_first_pass with nothing earlier prompts", "tryfirst_none", "alice", "a",
	          PAM_SUCCESS);
	auth_only("an unknown option fails closed", "badopt", "alice", "a", PAM_SERVICE_ERR);
}

/* pam_set_items (from pam_wrapper) sets PAM items from the environment at
 * the time the stack runs: an earlier module's token, the remote host. */
static void test_items(void)
{
	setenv("PAM_AUTHTOK", load("a"), 1);
	auth_only("use_first_pass: the token an earlier module set", "first", "alice", "pw",
	          PAM_SUCCESS);
	auth_only("try_first_pass: the token an earlier module set", "tryfirst", "alice", "pw",
	          PAM_SUCCESS);
	setenv("PAM_AUTHTOK", load("r"), 1);
	auth_only("use_first_pass: a revoked earlier token fails", "first", "alice", "a",
	          PAM_AUTH_ERR);
	explicit_bzero(getenv("PAM_AUTHTOK"), strlen(getenv("PAM_AUTHTOK")));
	unsetenv("PAM_AUTHTOK");
	setenv("PAM_RHOST", "192.0.2.9", 1);
	auth_only("rhost inside the key's network", "items", "alice", "f", PAM_SUCCESS);
	setenv("PAM_RHOST", "::ffff:192.0.2.9", 1);
	auth_only("rhost inside, IPv4-mapped IPv6", "items", "alice", "f", PAM_SUCCESS);
	setenv("PAM_RHOST", "198.51.100.1", 1);
	auth_only("rhost outside the key's network", "items", "alice", "f", PAM_AUTH_ERR);
	setenv("PAM_RHOST", "192.0.2.9.evil.example", 1);
	auth_only("a host name is not an address", "items", "alice", "f", PAM_AUTH_ERR);
	unsetenv("PAM_RHOST");
}

static int keyadm(const char *cmd, const char *id)
{
	char line[8192];

	snprintf(line, sizeof(line), "%s %s %s >/dev/null 2>&1", env("PT_KEYADM"), cmd, id);
	return system(line);
}

/* Revoked between auth and account on one handle, and between two logins
 * in one process: both fail at once. */
static void test_revocation(void)
{
	struct pam_testcase keep[] = {pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
	                              pam_test(PAMTEST_KEEPHANDLE, PAM_SUCCESS)};
	pam_handle_t *ph;

	is_int(run("apikey", "alice", "a2", keep, 2), PAMTEST_ERR_OK, "a2 authenticates");
	ph = keep[1].case_out.ph;
	is_int(keyadm("revoke", env("PT_ID_A2")), 0, "keyadm revoke a2");
	is_int(pam_acct_mgmt(ph, 0), PAM_AUTH_ERR,
	       "revoked between auth and account: account fails");
	pam_end(ph, PAM_SUCCESS);

	auth_only("a3 before revocation", "apikey", "alice", "a3", PAM_SUCCESS);
	is_int(keyadm("revoke", env("PT_ID_A3")), 0, "keyadm revoke a3");
	auth_only("a3 after revocation, same process", "apikey", "alice", "a3", PAM_AUTH_ERR);
}

/* Stores that must not be trusted: PAM_AUTHINFO_UNAVAIL, never success. */
static void test_stores(void)
{
	const char *db = env("PT_DB");
	char moved[4096];

	auth_only("missing store", "missing", "alice", "a", PAM_AUTHINFO_UNAVAIL);
	ok(chmod(db, 0660) == 0, "chmod g+w");
	auth_only("group-writable store", "apikey", "alice", "a", PAM_AUTHINFO_UNAVAIL);
	ok(chmod(db, 0640) == 0 && chown(db, 65534, 0) == 0, "chown nobody");
	auth_only("store not owned by root", "apikey", "alice", "a", PAM_AUTHINFO_UNAVAIL);
	ok(chown(db, 0, 0) == 0, "chown root");
	snprintf(moved, sizeof(moved), "%s.real", db);
	ok(rename(db, moved) == 0 && symlink(moved, db) == 0, "store replaced by a symlink");
	auth_only("symlinked store", "apikey", "alice", "a", PAM_AUTHINFO_UNAVAIL);
	ok(unlink(db) == 0 && truncate(moved, 4096) == 0 && rename(moved, db) == 0,
	   "store truncated");
	auth_only("truncated store", "apikey", "alice", "a", PAM_AUTHINFO_UNAVAIL);
}

int main(void)
{
	test_valid();
	test_rejections();
	test_other_entry_points();
	test_stacks();
	test_items();
	test_revocation();
	test_stores();
	explicit_bzero(key, sizeof(key));
	return tap_done();
}
