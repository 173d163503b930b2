/* One PAM transaction through the real libpam, with the service file read
 * from a private directory (pam_start_confdir): no /etc/pam.d edits.
 * Usage: pamcase CONFDIR SERVICE USER KEYFILE|- AUTH ACCT [ID]
 *   AUTH, ACCT: expected results by name (PAM_SUCCESS, PAM_AUTH_ERR, ...;
 *   ACCT "-" skips the account step); ID: expected APIKEY_ID ("-": unset).
 * Environment: PAMCASE_RHOST sets PAM_RHOST; PAMCASE_BETWEEN runs a shell command between auth and
 * account on the same handle; PAMCASE_AGAIN runs a command, then a second auth in the same process
 * that must give PAMCASE_AGAIN_RC; PAMCASE_SECOND=KEYFILE authenticates again on the same handle
 * with that file's key, which must give PAMCASE_SECOND_RC and leave APIKEY_ID PAMCASE_SECOND_ID
 * ("-": unset). Exit 0 when every result is as expected; differences go to
 * stdout as TAP comments. The key is read from the file, never printed. */
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/pamconv.h"

static char key[70000];
static const char *secret = key;

static const struct {
	const char *name;
	int rc;
} names[] = {
        {"PAM_SUCCESS", PAM_SUCCESS},
        {"PAM_AUTH_ERR", PAM_AUTH_ERR},
        {"PAM_IGNORE", PAM_IGNORE},
        {"PAM_PERM_DENIED", PAM_PERM_DENIED},
        {"PAM_AUTHINFO_UNAVAIL", PAM_AUTHINFO_UNAVAIL},
        {"PAM_SERVICE_ERR", PAM_SERVICE_ERR},
        {"PAM_ACCT_EXPIRED", PAM_ACCT_EXPIRED},
        {"PAM_USER_UNKNOWN", PAM_USER_UNKNOWN},
        {"PAM_AUTHTOK_ERR", PAM_AUTHTOK_ERR},
        {"PAM_CRED_INSUFFICIENT", PAM_CRED_INSUFFICIENT},
};

static int rc_of(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i].name, name) == 0)
			return names[i].rc;
	fprintf(stderr, "pamcase: unknown result %s\n", name);
	exit(2);
}

static void read_file(char *buf, size_t cap, const char *path)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	buf[0] = '\0';
	if (f == NULL)
		return;
	n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
}

static int start(pam_handle_t **ph, char **argv)
{
	static struct pam_conv c = {tl_pam_conv, &secret};
	const char *rhost = getenv("PAMCASE_RHOST");

	if (pam_start_confdir(argv[2], argv[3], &c, argv[1], ph) != PAM_SUCCESS)
		return -1;
	if (rhost != NULL)
		pam_set_item(*ph, PAM_RHOST, rhost);
	return 0;
}

static int expect(const char *what, int got, int want, pam_handle_t *ph)
{
	if (got == want)
		return 0;
	printf("# %s returned %d (%s), want %d\n", what, got, pam_strerror(ph, got), want);
	return 1;
}

static int check_id(pam_handle_t *ph, const char *want)
{
	const char *got = pam_getenv(ph, "APIKEY_ID");

	if (want == NULL || (strcmp(want, "-") == 0 && got == NULL) ||
	    (got != NULL && strcmp(got, want) == 0))
		return 0;
	printf("# APIKEY_ID is %s, want %s\n", got ? got : "(unset)", want);
	return 1;
}

/* A second auth on one handle: APIKEY_ID must follow its result. */
static int auth_again(pam_handle_t *ph, const char *keyfile)
{
	const char *want = getenv("PAMCASE_SECOND_RC"), *id = getenv("PAMCASE_SECOND_ID");
	int bad;

	read_file(key, sizeof(key), keyfile);
	bad = expect("second pam_authenticate on the same handle", pam_authenticate(ph, 0),
	             rc_of(want ? want : "PAM_SUCCESS"), ph);
	return bad | check_id(ph, id ? id : "-");
}

int main(int argc, char **argv)
{
	pam_handle_t *ph = NULL;
	const char *between = getenv("PAMCASE_BETWEEN"), *again = getenv("PAMCASE_AGAIN");
	const char *second = getenv("PAMCASE_SECOND");
	int bad = 0, rc;

	if (argc < 7 || argc > 8)
		return 2;
	if (strcmp(argv[4], "-") != 0)
		read_file(key, sizeof(key), argv[4]);
	if (start(&ph, argv) != 0)
		return 2;
	rc = pam_authenticate(ph, 0);
	bad |= expect("pam_authenticate", rc, rc_of(argv[5]), ph);
	if (between != NULL && system(between) != 0)
		bad = 1;
	if (strcmp(argv[6], "-") != 0)
		bad |= expect("pam_acct_mgmt", pam_acct_mgmt(ph, 0), rc_of(argv[6]), ph);
	bad |= check_id(ph, argc == 8 ? argv[7] : NULL);
	if (second != NULL)
		bad |= auth_again(ph, second);
	pam_end(ph, rc);
	if (again != NULL) {
		if (system(again) != 0 || start(&ph, argv) != 0)
			return 1;
		rc = pam_authenticate(ph, 0);
		bad |= expect("second pam_authenticate", rc, rc_of(getenv("PAMCASE_AGAIN_RC")), ph);
		pam_end(ph, rc);
	}
	memset(key, 0, sizeof(key));
	return bad;
}
