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

#include "stats.h"

static const char *server_dir, *client_dir, *user;
static char password[512];
static char **opts;
static int nopts;
static sasl_secret_t *secret;

static int server_path(void *ctx, const char **path)
{
	(void)ctx;
	*path = server_dir;
	return SASL_OK;
}

static int client_path(void *ctx, const char **path)
{
	(void)ctx;
	*path = client_dir;
	return SASL_OK;
}

static int getopt_cb(void *ctx, const char *plugin, const char *option, const char **result,
                     unsigned *len)
{
	size_t n = strlen(option);
	int i;

	(void)ctx;
	(void)plugin;
	for (i = 0; i < nopts; i++)
		if (strncmp(opts[i], option, n) == 0 && opts[i][n] == '=') {
			*result = opts[i] + n + 1;
			if (len)
				*len = (unsigned)strlen(*result);
			return SASL_OK;
		}
	return SASL_FAIL;
}

static int simple(void *ctx, int id, const char **result, unsigned *len)
{
	(void)ctx;
	if (id != SASL_CB_AUTHNAME && id != SASL_CB_USER)
		return SASL_BADPARAM;
	*result = id == SASL_CB_USER ? "" : user;
	if (len)
		*len = (unsigned)strlen(*result);
	return SASL_OK;
}

static int getsecret(sasl_conn_t *conn, void *ctx, int id, sasl_secret_t **out)
{
	(void)conn;
	(void)ctx;
	(void)id;
	*out = secret;
	return SASL_OK;
}

/* libsasl2 stores callbacks as int (*)(void); casting through a
 * function-pointer type with no arguments keeps -Wcast-function-type quiet. */
#define CB(f) ((int (*)(void))(void (*)(void))(f))

static sasl_callback_t server_cbs[] = {
        {SASL_CB_GETPATH, CB(server_path), NULL},
        {SASL_CB_GETOPT, CB(getopt_cb), NULL},
        {SASL_CB_LIST_END, NULL, NULL},
};
static sasl_callback_t client_cbs[] = {
        {SASL_CB_GETPATH, CB(client_path), NULL}, {SASL_CB_AUTHNAME, CB(simple), NULL},
        {SASL_CB_USER, CB(simple), NULL},         {SASL_CB_PASS, CB(getsecret), NULL},
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
	size_t n;

	if (argc < 5 || fgets(password, sizeof(password), stdin) == NULL) {
		fprintf(stderr, "usage: sasl_bench SERVER_DIR CLIENT_DIR USER ITERATIONS "
		                "[opt=val...] < password\n");
		return 2;
	}
	password[strcspn(password, "\n")] = '\0';
	server_dir = argv[1];
	client_dir = argv[2];
	user = argv[3];
	iters = strtol(argv[4], NULL, 10);
	opts = argv + 5;
	nopts = argc - 5;
	n = strlen(password);
	secret = calloc(1, sizeof(*secret) + n + 1);
	secret->len = n;
	memcpy(secret->data, password, n);
	if (sasl_server_init(server_cbs, "bench") != SASL_OK ||
	    sasl_client_init(client_cbs) != SASL_OK) {
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
	return fails ? 1 : 0;
}
