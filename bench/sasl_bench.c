/* Times full SASL PLAIN exchanges between the real client and server
 * libraries in one process: sasl_server_new + sasl_client_new, client
 * start, server start, dispose.
 * Usage: sasl_bench SERVER_PLUGIN_DIR CLIENT_PLUGIN_DIR USER ITERATIONS
 *                   [option=value ...] < password
 * Options go to the server (apikey_db=..., pwcheck_method=auxprop, ...).
 * Prints: median_us p10_us p90_us failures rss_growth_kb. */
#include <sasl/sasl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/saslcb.h"
#include "stats.h"

static char password[512];

static sasl_callback_t server_cbs[] = {
        {SASL_CB_GETPATH, TL_SASL_CB(tl_sasl_server_path), NULL},
        {SASL_CB_GETOPT, TL_SASL_CB(tl_sasl_getopt), NULL},
        {SASL_CB_LIST_END, NULL, NULL},
};

static int exchange(void)
{
	sasl_conn_t *s = NULL, *c = NULL;
	const char *out, *sout, *mech;
	unsigned outlen, soutlen;
	int rc;

	if (sasl_server_new("smtp", "localhost", NULL, "127.0.0.1;25", "127.0.0.1;40000", NULL, 0,
	                    &s) != SASL_OK ||
	    sasl_client_new("smtp", "localhost", "127.0.0.1;40000", "127.0.0.1;25", NULL, 0, &c) !=
	            SASL_OK)
		return -1;
	rc = sasl_client_start(c, "PLAIN", NULL, &out, &outlen, &mech);
	if (rc == SASL_OK || rc == SASL_CONTINUE)
		rc = sasl_server_start(s, "PLAIN", out, outlen, &sout, &soutlen);
	sasl_dispose(&c);
	sasl_dispose(&s);
	return rc == SASL_OK ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct ak_stats st;
	long iters, i, fails = 0;

	if (argc < 5 || fgets(password, sizeof(password), stdin) == NULL) {
		fprintf(stderr, "usage: sasl_bench SERVER_DIR CLIENT_DIR USER ITERATIONS "
		                "[opt=val...] < password\n");
		return 2;
	}
	password[strcspn(password, "\n")] = '\0';
	tl_sasl.server_dir = argv[1];
	tl_sasl.client_dir = argv[2];
	tl_sasl.user = argv[3];
	iters = strtol(argv[4], NULL, 10);
	tl_sasl.opts = (const char *const *)(argv + 5);
	tl_sasl.nopts = argc - 5;
	if (tl_sasl_set_secret(password, strlen(password)) != 0 ||
	    sasl_server_init(server_cbs, "bench") != SASL_OK ||
	    sasl_client_init(tl_sasl_client_cbs) != SASL_OK) {
		fprintf(stderr, "sasl_bench: SASL init failed\n");
		return 1;
	}
	stats_init(&st, iters);
	for (i = 0; i < 20; i++)
		fails += exchange() != 0;
	rss_mark(&st);
	for (i = 0; i < iters; i++) {
		stats_start(&st);
		fails += exchange() != 0;
		stats_stop(&st);
	}
	stats_print(&st, fails);
	sasl_server_done();
	sasl_client_done();
	tl_sasl_clear_secret();
	explicit_bzero(password, sizeof(password));
	return fails ? 1 : 0;
}
