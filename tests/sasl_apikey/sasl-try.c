/*
 * sasl-try: one SASL exchange between the real libsasl2 client and server
 * in one process, for the tests and the demo.
 *
 *   sasl-try --plugins DIR --db DB --mech PLAIN|LOGIN --user U
 *            [--authzid Z] [--service S] [--remote IP] [--initial yes|no]
 *            [--proxy yes] [--realm R] [--opt name=value ...] [--between CMD]
 *            [--raw HEX | --raw-file FILE] < password
 *
 * The server loads its mechanisms only from DIR; the client uses the stock
 * plugins of the system's SASL directory. Server options come from a
 * SASL_CB_GETOPT callback: apikey_db=DB, mech_list="PLAIN LOGIN", log_level=4
 * and the --opt pairs (which win); --db none sets no apikey_db (an
 * application that did not opt in). --realm R is the user_realm the server
 * passes to sasl_server_new. The password is read from stdin, never
 * from argv, and is never printed. --raw/--raw-file send a hand-made first
 * message straight to sasl_server_start (no client). --proxy yes installs a
 * proxy policy that lets any authcid act as any authzid. --between CMD runs
 * two exchanges in the same process with the shell command CMD between
 * them (a revocation seen by a long-lived server), a result line for each.
 *
 * Prints one line: the result name, and on success user=, authcid=, mech=
 * and plugin= (the file that provides the first server mechanism of that
 * name: the one sasl_server_start picks). Server log messages go to stderr
 * as "log: ...". Exits 0 only for SASL_OK (of the last exchange).
 */
#include <sasl/sasl.h>
#include <sasl/saslplug.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/saslcb.h"

#ifndef CLIENT_PLUGIN_DIR
#define CLIENT_PLUGIN_DIR "/usr/lib/x86_64-linux-gnu/sasl2"
#endif

#define PASS_MAX 70000
#define OPTS_MAX 32

static const char *realm;
static const char *opts[OPTS_MAX];
static char plugin[256] = "?";
static const char *want_mech;

static int log_cb(void *ctx, int level, const char *message)
{
	(void)ctx;
	fprintf(stderr, "log: [%d] %s\n", level, message ? message : "");
	return SASL_OK;
}

static int proxy_cb(sasl_conn_t *conn, void *ctx, const char *requested_user, unsigned rlen,
                    const char *auth_identity, unsigned alen, const char *def_realm, unsigned urlen,
                    struct propctx *propctx)
{
	(void)conn, (void)ctx, (void)requested_user, (void)rlen, (void)auth_identity;
	(void)alen, (void)def_realm, (void)urlen, (void)propctx;
	return SASL_OK;
}

/* The first server mechanism named like the one asked for is the one
 * sasl_server_start uses. */
static void info_cb(server_sasl_mechanism_t *m, sasl_info_callback_stage_t stage, void *rock)
{
	const char *f, *slash;

	(void)rock;
	if (stage != SASL_INFO_LIST_MECH || m == NULL || m->plug == NULL || plugin[0] != '?')
		return;
	if (strcasecmp(m->plug->mech_name, want_mech) != 0)
		return;
	f = m->f ? m->f : m->plugname ? m->plugname : "?";
	slash = strrchr(f, '/');
	snprintf(plugin, sizeof(plugin), "%s", slash ? slash + 1 : f);
}

#define CB(f) TL_SASL_CB(f)

static sasl_callback_t server_cbs[] = {
        {SASL_CB_GETPATH, CB(tl_sasl_server_path), NULL},
        {SASL_CB_GETOPT, CB(tl_sasl_getopt), NULL},
        {SASL_CB_LOG, CB(log_cb), NULL},
        {SASL_CB_LIST_END, NULL, NULL},
};
static sasl_callback_t proxy_cbs[] = {
        {SASL_CB_PROXY_POLICY, CB(proxy_cb), NULL},
        {SASL_CB_LIST_END, NULL, NULL},
};

static int usage(void)
{
	fprintf(stderr, "usage: sasl-try --plugins DIR --db DB --mech PLAIN|LOGIN --user U\n"
	                "       [--authzid Z] [--service S] [--remote IP] [--initial yes|no]\n"
	                "       [--proxy yes] [--opt name=value ...] [--between CMD]\n"
	                "       [--raw HEX | --raw-file FILE] < password\n");
	return 2;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads FILE (or decodes HEX) into a new buffer. */
static char *load_raw(const char *hex, const char *file, unsigned *len)
{
	char *buf;
	size_t n = 0, i;

	if (file != NULL) {
		FILE *fp = fopen(file, "rb");

		if (fp == NULL)
			return NULL;
		buf = malloc(PASS_MAX * 2);
		if (buf != NULL)
			n = fread(buf, 1, PASS_MAX * 2, fp);
		fclose(fp);
		*len = (unsigned)n;
		return buf;
	}
	n = strlen(hex);
	if (n % 2 != 0 || (buf = malloc(n / 2 + 1)) == NULL)
		return NULL;
	for (i = 0; i < n / 2; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			free(buf);
			return NULL;
		}
		buf[i] = (char)(hi << 4 | lo);
	}
	*len = (unsigned)(n / 2);
	return buf;
}

static int read_password(void)
{
	char *buf = calloc(1, PASS_MAX + 1);
	size_t n;
	int rc;

	if (buf == NULL)
		return -1;
	n = fread(buf, 1, PASS_MAX, stdin);
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	rc = tl_sasl_set_secret(buf, n);
	explicit_bzero(buf, PASS_MAX + 1);
	free(buf);
	return rc;
}

/* The exchange: client start, server start, then steps until done. */
static int exchange(sasl_conn_t *s, sasl_conn_t *c, const char *mech, int initial)
{
	const char *out = NULL, *sout = NULL, *used = NULL;
	unsigned outlen = 0, soutlen = 0;
	int rc, crc, rounds = 0;

	crc = sasl_client_start(c, mech, NULL, initial ? &out : NULL, initial ? &outlen : NULL,
	                        &used);
	if (crc != SASL_OK && crc != SASL_CONTINUE) {
		fprintf(stderr, "sasl-try: client start: %s\n", tl_sasl_result_name(crc));
		return crc;
	}
	rc = sasl_server_start(s, mech, out, outlen, &sout, &soutlen);
	while (rc == SASL_CONTINUE && rounds++ < 10) {
		crc = sasl_client_step(c, sout, soutlen, NULL, &out, &outlen);
		if (crc != SASL_OK && crc != SASL_CONTINUE) {
			fprintf(stderr, "sasl-try: client step: %s\n", tl_sasl_result_name(crc));
			return crc;
		}
		rc = sasl_server_step(s, out, outlen, &sout, &soutlen);
	}
	return rc;
}

int main(int argc, char **argv)
{
	const char *db = NULL, *mech = NULL, *service = "smtp", *remote = NULL;
	const char *raw = NULL, *raw_file = NULL, *between = NULL;
	char db_opt[1100], remote_buf[300], *rawbuf = NULL;
	sasl_conn_t *s = NULL, *c = NULL;
	int initial = 1, proxy = 0, rc, i, status = 1, round;
	unsigned rawlen = 0;

	tl_sasl.opts = opts;
	tl_sasl.client_dir = CLIENT_PLUGIN_DIR;
	opts[tl_sasl.nopts++] = "mech_list=PLAIN LOGIN";
	opts[tl_sasl.nopts++] = "log_level=4";
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (v == NULL)
			return usage();
		i++;
		if (strcmp(a, "--plugins") == 0)
			tl_sasl.server_dir = v;
		else if (strcmp(a, "--db") == 0)
			db = v;
		else if (strcmp(a, "--mech") == 0)
			mech = v;
		else if (strcmp(a, "--user") == 0)
			tl_sasl.user = v;
		else if (strcmp(a, "--authzid") == 0)
			tl_sasl.authzid = v;
		else if (strcmp(a, "--service") == 0)
			service = v;
		else if (strcmp(a, "--realm") == 0)
			realm = v;
		else if (strcmp(a, "--remote") == 0)
			remote = v;
		else if (strcmp(a, "--initial") == 0 && (!strcmp(v, "yes") || !strcmp(v, "no")))
			initial = strcmp(v, "yes") == 0;
		else if (strcmp(a, "--proxy") == 0 && (!strcmp(v, "yes") || !strcmp(v, "no")))
			proxy = strcmp(v, "yes") == 0;
		else if (strcmp(a, "--opt") == 0 && strchr(v, '=') != NULL &&
		         tl_sasl.nopts < OPTS_MAX - 1)
			opts[tl_sasl.nopts++] = v;
		else if (strcmp(a, "--between") == 0)
			between = v;
		else if (strcmp(a, "--raw") == 0)
			raw = v;
		else if (strcmp(a, "--raw-file") == 0)
			raw_file = v;
		else
			return usage();
	}
	if (tl_sasl.server_dir == NULL || db == NULL || mech == NULL ||
	    (tl_sasl.user == NULL && !raw && !raw_file))
		return usage();
	snprintf(db_opt, sizeof(db_opt), "apikey_db=%s", db);
	/* --opt pairs come later in the table and win over this default */
	if (strcmp(db, "none") != 0) {
		memmove(opts + 1, opts, sizeof(opts[0]) * (size_t)tl_sasl.nopts);
		opts[0] = db_opt;
		tl_sasl.nopts++;
	}
	want_mech = mech;
	if (remote != NULL) {
		if (strlen(remote) > 200)
			return usage();
		snprintf(remote_buf, sizeof(remote_buf), "%s;40000", remote);
	}
	if (raw != NULL || raw_file != NULL) {
		rawbuf = load_raw(raw, raw_file, &rawlen);
		if (rawbuf == NULL) {
			fprintf(stderr, "sasl-try: bad --raw or --raw-file\n");
			return 2;
		}
	} else if (read_password() != 0) {
		fprintf(stderr, "sasl-try: out of memory\n");
		return 2;
	}

	rc = sasl_server_init(server_cbs, "sasl-try");
	if (rc != SASL_OK) {
		printf("%s (server init)\n", tl_sasl_result_name(rc));
		goto done;
	}
	rc = sasl_client_init(tl_sasl_client_cbs);
	if (rc != SASL_OK) {
		printf("%s (client init)\n", tl_sasl_result_name(rc));
		goto done;
	}
	sasl_server_plugin_info(mech, info_cb, NULL);
	for (round = 0; round < (between != NULL ? 2 : 1); round++) {
		if (round == 1) {
			fflush(stdout);
			if (system(between) != 0)
				fprintf(stderr, "sasl-try: the --between command failed\n");
		}
		status = 1;
		rc = sasl_server_new(service, "localhost", realm, "127.0.0.1;25",
		                     remote ? remote_buf : NULL, proxy ? proxy_cbs : NULL, 0, &s);
		if (rc != SASL_OK) {
			printf("%s (server new)\n", tl_sasl_result_name(rc));
			goto done;
		}
		if (rawbuf != NULL) {
			const char *sout = NULL;
			unsigned soutlen = 0;

			rc = sasl_server_start(s, mech, rawbuf, rawlen, &sout, &soutlen);
		} else {
			rc = sasl_client_new(service, "localhost", remote ? remote_buf : NULL,
			                     "127.0.0.1;25", NULL, 0, &c);
			if (rc != SASL_OK) {
				printf("%s (client new)\n", tl_sasl_result_name(rc));
				goto done;
			}
			rc = exchange(s, c, mech, initial);
		}
		if (rc == SASL_OK) {
			const void *u = NULL, *au = NULL, *m = NULL;

			sasl_getprop(s, SASL_USERNAME, &u);
			sasl_getprop(s, SASL_AUTHUSER, &au);
			sasl_getprop(s, SASL_MECHNAME, &m);
			printf("SASL_OK user=%s authcid=%s mech=%s plugin=%s\n",
			       u ? (const char *)u : "?", au ? (const char *)au : "?",
			       m ? (const char *)m : "?", plugin);
			status = 0;
		} else {
			printf("%s\n", tl_sasl_result_name(rc));
		}
		if (c != NULL)
			sasl_dispose(&c);
		if (s != NULL)
			sasl_dispose(&s);
	}
done:
	if (c != NULL)
		sasl_dispose(&c);
	if (s != NULL)
		sasl_dispose(&s);
	sasl_server_done();
	sasl_client_done();
	tl_sasl_clear_secret();
	if (rawbuf != NULL) {
		memset(rawbuf, 0, rawlen);
		free(rawbuf);
	}
	return status;
}
