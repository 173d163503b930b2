/* sasl-threads: several threads authenticate through the real libsasl2
 * server at once, each exchange on its own connection (sasl_server_new,
 * start, step, dispose), as a multithreaded server such as memcached does.
 * tests/hardening/threads.t builds it with ThreadSanitizer.
 * Usage: sasl-threads PLUGIN_DIR DB EVENTS THREADS ROUNDS CASE...
 * CASE: WANT:MECH:USER:KEYFILE, WANT ok or no, MECH PLAIN or LOGIN. Each
 * thread runs ROUNDS rounds over every case, starting at a different one.
 * ok wants SASL_OK and the user as the authenticated name; no wants
 * SASL_BADAUTH. Prints "attempts accepted refused wrong"; exits 1 when any
 * answer was wrong, 2 on a usage or set-up error. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sasl/sasl.h>

#define MAX_CASES 16
#define MAX_THREADS 16
#define FIELD_MAX 256

struct tcase {
	int want_ok;
	int login; /* LOGIN, else PLAIN */
	char user[FIELD_MAX];
	char key[FIELD_MAX];
};

static struct tcase cases[MAX_CASES];
static int ncases, rounds;
static const char *plugin_dir, *db, *events;
static pthread_mutex_t tally_mu = PTHREAD_MUTEX_INITIALIZER;
static long attempts, accepted, refused, wrong;

static int get_path(void *ctx, const char **path)
{
	(void)ctx;
	*path = plugin_dir;
	return SASL_OK;
}

static int get_opt(void *ctx, const char *plugin, const char *option, const char **result,
                   unsigned *len)
{
	(void)ctx;
	(void)plugin;
	if (strcmp(option, "apikey_db") == 0)
		*result = db;
	else if (strcmp(option, "apikey_events") == 0)
		*result = events;
	else if (strcmp(option, "mech_list") == 0)
		*result = "PLAIN LOGIN";
	else
		return SASL_FAIL;
	if (len)
		*len = (unsigned)strlen(*result);
	return SASL_OK;
}

/* The plugin's lines are not needed here (tests/sasl_apikey check them); keeping
 * them off syslog keeps a shared machine's log clean. */
static int quiet_log(void *ctx, int level, const char *msg)
{
	(void)ctx;
	(void)level;
	(void)msg;
	return SASL_OK;
}

#define CB(f) ((int (*)(void))(void (*)(void))(f))
static const sasl_callback_t callbacks[] = {
        {SASL_CB_GETPATH, CB(get_path), NULL},
        {SASL_CB_GETOPT, CB(get_opt), NULL},
        {SASL_CB_LOG, CB(quiet_log), NULL},
        {SASL_CB_LIST_END, NULL, NULL},
};

/* One exchange on a new connection: 1 accepted as the case's user, 0
 * refused (SASL_BADAUTH), -1 anything else. */
static int exchange(const struct tcase *c)
{
	char msg[2 * FIELD_MAX + 2];
	size_t ulen = strlen(c->user), klen = strlen(c->key);
	sasl_conn_t *s = NULL;
	const char *out;
	const void *name = NULL;
	unsigned outlen;
	int rc, got = -1;

	if (sasl_server_new("imap", "localhost", NULL, "127.0.0.1;143", "127.0.0.1;40000", NULL, 0,
	                    &s) != SASL_OK)
		return -1;
	if (c->login) {
		rc = sasl_server_start(s, "LOGIN", c->user, (unsigned)ulen, &out, &outlen);
		if (rc == SASL_CONTINUE)
			rc = sasl_server_step(s, c->key, (unsigned)klen, &out, &outlen);
	} else {
		msg[0] = '\0';
		memcpy(msg + 1, c->user, ulen + 1);
		memcpy(msg + ulen + 2, c->key, klen);
		rc = sasl_server_start(s, "PLAIN", msg, (unsigned)(ulen + klen + 2), &out, &outlen);
	}
	if (rc == SASL_OK && sasl_getprop(s, SASL_USERNAME, &name) == SASL_OK && name != NULL &&
	    strcmp(name, c->user) == 0)
		got = 1;
	else if (rc == SASL_BADAUTH)
		got = 0;
	sasl_dispose(&s);
	return got;
}

static void *worker(void *arg)
{
	int t = (int)(long)arg, r, i, got;
	const struct tcase *c;

	for (r = 0; r < rounds; r++)
		for (i = 0; i < ncases; i++) {
			c = &cases[(i + t + r) % ncases];
			got = exchange(c);
			pthread_mutex_lock(&tally_mu);
			attempts++;
			accepted += got == 1;
			refused += got == 0;
			wrong += got != (c->want_ok ? 1 : 0);
			pthread_mutex_unlock(&tally_mu);
		}
	return NULL;
}

/* "ok:PLAIN:alice:/path/to/keyfile" -> *c; -1 when malformed. */
static int parse_case(struct tcase *c, char *spec)
{
	char *want = strtok(spec, ":"), *mech = strtok(NULL, ":"), *user = strtok(NULL, ":");
	char *path = strtok(NULL, "");
	FILE *f;

	if (want == NULL || mech == NULL || user == NULL || path == NULL ||
	    strlen(user) >= sizeof(c->user) || (f = fopen(path, "r")) == NULL)
		return -1;
	c->want_ok = strcmp(want, "ok") == 0;
	c->login = strcmp(mech, "LOGIN") == 0;
	strcpy(c->user, user);
	if (fgets(c->key, sizeof(c->key), f) == NULL)
		c->key[0] = '\0';
	fclose(f);
	c->key[strcspn(c->key, "\n")] = '\0';
	return c->key[0] ? 0 : -1;
}

int main(int argc, char **argv)
{
	pthread_t th[MAX_THREADS];
	int nthreads, i;

	if (argc < 7 || argc - 6 > MAX_CASES || (nthreads = atoi(argv[4])) < 1 ||
	    nthreads > MAX_THREADS || (rounds = atoi(argv[5])) < 1) {
		fprintf(stderr,
		        "usage: sasl-threads PLUGIN_DIR DB EVENTS THREADS ROUNDS CASE...\n");
		return 2;
	}
	plugin_dir = argv[1];
	db = argv[2];
	events = argv[3];
	for (i = 6; i < argc; i++)
		if (parse_case(&cases[ncases++], argv[i]) != 0) {
			fprintf(stderr, "sasl-threads: bad case %d\n", i - 5);
			return 2;
		}
	if (sasl_server_init(callbacks, "sasl-threads") != SASL_OK) {
		fprintf(stderr, "sasl-threads: sasl_server_init failed\n");
		return 2;
	}
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&th[i], NULL, worker, (void *)(long)i) != 0)
			return 2;
	for (i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	sasl_server_done();
	printf("%ld %ld %ld %ld\n", attempts, accepted, refused, wrong);
	return wrong ? 1 : 0;
}
