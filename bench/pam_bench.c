/* Times whole PAM transactions through the real libpam:
 * pam_start -> pam_authenticate -> pam_acct_mgmt -> pam_end (mode "new"),
 * or authenticate + acct_mgmt on one handle (mode "reuse").
 * Usage: pam_bench CONFDIR SERVICE USER ITERATIONS new|reuse < password
 * Prints: median_us p10_us p90_us failures rss_growth_kb  (over batches of 20). */
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/pamconv.h"
#include "stats.h"

static char password[512];
static const char *secret = password;

static int one(const char *confdir, const char *service, const char *user, pam_handle_t **reuse)
{
	struct pam_conv c = {tl_pam_conv, &secret};
	pam_handle_t *ph = reuse ? *reuse : NULL;
	int rc;

	if (ph == NULL && pam_start_confdir(service, user, &c, confdir, &ph) != PAM_SUCCESS)
		return -1;
	pam_set_item(ph, PAM_RHOST, "127.0.0.1");
	rc = pam_authenticate(ph, 0);
	if (rc == PAM_SUCCESS)
		rc = pam_acct_mgmt(ph, 0);
	if (reuse)
		*reuse = ph;
	else
		pam_end(ph, rc);
	return rc == PAM_SUCCESS ? 0 : -1;
}

int main(int argc, char **argv)
{
	pam_handle_t *ph = NULL;
	long iters, i, fails = 0;
	int reuse;
	struct ak_stats st;

	if (argc != 6 || fgets(password, sizeof(password), stdin) == NULL) {
		fprintf(stderr,
		        "usage: pam_bench CONFDIR SERVICE USER ITERATIONS new|reuse < password\n");
		return 2;
	}
	password[strcspn(password, "\n")] = '\0';
	iters = strtol(argv[4], NULL, 10);
	reuse = strcmp(argv[5], "reuse") == 0;
	stats_init(&st, iters);
	for (i = 0; i < 20; i++) /* warm-up */
		fails += one(argv[1], argv[2], argv[3], reuse ? &ph : NULL) != 0;
	rss_mark(&st);
	for (i = 0; i < iters; i++) {
		stats_start(&st);
		fails += one(argv[1], argv[2], argv[3], reuse ? &ph : NULL) != 0;
		stats_stop(&st);
	}
	if (ph != NULL)
		pam_end(ph, PAM_SUCCESS);
	stats_print(&st, fails);
	return fails ? 1 : 0;
}
