/* The SASL plugin's PLAIN and LOGIN exchanges and its option parsing, on
 * arbitrary client messages and arbitrary option values, against the
 * fixture store (fixture.h). The plugin is compiled in whole; the harness
 * stands in for libsasl2's utilities (options, logging, canon_user, the
 * default proxy policy).
 *
 * Input: one flags byte, with FI_FLAG four bytes saying which of the first
 * 32 calls of the plugin and the core fail (fuzz/failinj.h: allocations,
 * open, read, fstat, GDBM), option lines "name=value" up to a 0xff byte,
 * then up to four client messages separated by 0xff.
 * Checks: every answer is one the protocol allows (and SASL_NOMEM or
 * SASL_FAIL once a call failed); SASL_OK only for alice with her key, or
 * bob with his from 127.0.0.1 to smtp; no log line or error ever holds a
 * key's secret; no descriptor is left open (and, under libFuzzer, no
 * memory) whatever failed. */
#include <stdarg.h>
#include <stdio.h>

#include "../sasl_apikey/plugin.c"
#include "failinj.h"
#include "fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OPTS_MAX 8
#define STEPS_MAX 4

static struct {
	char names[OPTS_MAX][64];
	const char *values[OPTS_MAX];
	char store[OPTS_MAX][1100];
	int n;
} opt;

static char authcid[FIELD_MAX + 1], authzid[FIELD_MAX + 1];

/* A secret the administrator put in an option may be logged with it; one
 * from the client may not. */
static int secret_in_options;

static void no_secret(const char *line)
{
	if (fx_has_secret(line) && !secret_in_options)
		__builtin_trap();
}

static int fz_getopt(void *ctx, const char *plugin, const char *name, const char **out,
                     unsigned *len)
{
	int i;

	(void)ctx;
	(void)plugin;
	for (i = 0; i < opt.n; i++)
		if (strcmp(opt.names[i], name) == 0) {
			*out = opt.values[i];
			*len = (unsigned)strlen(opt.values[i]);
			return SASL_OK;
		}
	return SASL_FAIL;
}

static void fz_log(sasl_conn_t *conn, int level, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	(void)conn;
	(void)level;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	no_secret(line);
}

static void fz_seterror(sasl_conn_t *conn, unsigned flags, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	(void)conn;
	(void)flags;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	no_secret(line);
}

static void *fz_malloc(size_t n)
{
	return malloc(n);
}

static void fz_free(void *p)
{
	free(p);
}

static int fz_checkpass(sasl_conn_t *conn, const char *user, unsigned ulen, const char *pass,
                        unsigned plen)
{
	(void)conn;
	(void)user;
	(void)ulen;
	(void)pass;
	(void)plen;
	return SASL_BADAUTH; /* the library's own password check: no such user */
}

static int fz_canon(sasl_conn_t *conn, const char *in, unsigned len, unsigned flags,
                    sasl_out_params_t *op)
{
	(void)conn;
	(void)op;
	if (len == 0)
		len = (unsigned)strlen(in);
	if (len > FIELD_MAX || memchr(in, '\0', len) != NULL)
		__builtin_trap(); /* the plugin passed on a name it should refuse */
	if (flags & SASL_CU_AUTHID) {
		memcpy(authcid, in, len);
		authcid[len] = '\0';
		op->authid = authcid;
		op->alen = len;
	}
	if (flags & SASL_CU_AUTHZID) {
		memcpy(authzid, in, len);
		authzid[len] = '\0';
		op->user = authzid;
		op->ulen = len;
	}
	return SASL_OK;
}

/* The library's default proxy policy: authzid must equal authcid. */
static int fz_policy(sasl_conn_t *conn, void *ctx, const char *zid, unsigned zlen, const char *cid,
                     unsigned clen, const char *realm, unsigned rlen, struct propctx *pc)
{
	(void)conn, (void)ctx, (void)realm, (void)rlen, (void)pc;
	return zlen == clen && memcmp(zid, cid, clen) == 0 ? SASL_OK : SASL_BADAUTH;
}

static int fz_getcallback(sasl_conn_t *conn, unsigned long id, sasl_callback_ft *proc, void **ctx)
{
	(void)conn;
	if (id != SASL_CB_PROXY_POLICY)
		return SASL_FAIL;
	*proc = (sasl_callback_ft)(void (*)(void))fz_policy; /* the library casts so too */
	*ctx = NULL;
	return SASL_OK;
}

static void read_options(const uint8_t **p, const uint8_t *end)
{
	const uint8_t *block, *q, *line;
	size_t n = fx_field(p, end, 0xff, &block), ln;

	opt.n = 0;
	secret_in_options = 0;
	q = block;
	while (q < block + n && opt.n < OPTS_MAX) {
		const char *eq;
		char *s = opt.store[opt.n];

		ln = fx_field(&q, block + n, '\n', &line);
		fx_expand(s, sizeof(opt.store[0]), line, ln);
		if ((eq = strchr(s, '=')) == NULL || (size_t)(eq - s) >= sizeof(opt.names[0]))
			continue;
		secret_in_options |= fx_has_secret(s);
		memcpy(opt.names[opt.n], s, (size_t)(eq - s));
		opt.names[opt.n][eq - s] = '\0';
		opt.values[opt.n] = strcmp(opt.names[opt.n], "apikey_db") == 0 ||
		                                    strcmp(opt.names[opt.n], "apikey_events") == 0
		                            ? fx_path(eq + 1)
		                            : eq + 1;
		opt.n++;
	}
}

static const char *opt_get(const char *name)
{
	const char *v = NULL;
	unsigned len;

	return fz_getopt(NULL, "APIKEY", name, &v, &len) == SASL_OK ? v : NULL;
}

/* PLAIN: exactly [authzid] NUL authcid NUL secret. */
static int plain_may_pass(const char *m, size_t n, const char *option, const char *svc,
                          const char *ipport)
{
	const char *c = memchr(m, '\0', n), *s;

	if (c == NULL || (s = memchr(c + 1, '\0', n - (size_t)(c + 1 - m))) == NULL)
		return 0;
	s++;
	return fx_may_pass(c + 1, s, n - (size_t)(s - m), option, svc, ipport);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *ips[] = {NULL, "127.0.0.1;25", "10.0.0.1;25", "[::1];25"};
	static char msgs[STEPS_MAX][MSG_MAX + 64];
	size_t lens[STEPS_MAX];
	const uint8_t *p = data, *end = data + size, *f;
	sasl_server_plug_t *plugs;
	sasl_utils_t u;
	sasl_server_params_t sp;
	sasl_out_params_t op;
	void *ctx = NULL;
	int n = 0, i, rc = SASL_CONTINUE, ver, count, flags, fds = 0;
	uint32_t mask;

	if (size < 1 || fx_db() == NULL)
		return 0;
	flags = *p++;
	mask = fi_mask(flags, &p, end);
	read_options(&p, end);
	while (p < end && n < STEPS_MAX) {
		size_t fl = fx_field(&p, end, 0xff, &f);
		lens[n] = fx_expand(msgs[n], sizeof(msgs[n]), f, fl);
		n++;
	}
	memset(&u, 0, sizeof(u));
	u.getopt = fz_getopt;
	u.log = fz_log;
	u.seterror = fz_seterror;
	u.malloc = fz_malloc;
	u.free = fz_free;
	u.checkpass = fz_checkpass;
	u.getcallback = fz_getcallback;
	memset(&sp, 0, sizeof(sp));
	sp.utils = &u;
	sp.service = (flags & 16) ? NULL : (flags & 8) ? "smtp" : "imap";
	sp.ipremoteport = ips[(flags >> 1) & 3];
	sp.canon_user = fz_canon;
	memset(&op, 0, sizeof(op));
	authcid[0] = authzid[0] = '\0';
	if (sasl_server_plug_init(&u, SASL_SERVER_PLUG_VERSION, &ver, &plugs, &count) != SASL_OK)
		__builtin_trap();
	if (flags & 32) {
		plugs[0].mech_free(plugs[0].glob_context, &u);
		fds = fi_fds();
	}
	fi_arm(mask);
	if (plugs[flags & 1].mech_new(plugs[flags & 1].glob_context, &sp, NULL, 0, &ctx) !=
	    SASL_OK) {
		if (fi_disarm() == 0)
			__builtin_trap(); /* only a failed call makes a connection fail */
		return 0;
	}
	for (i = 0; i < n && rc == SASL_CONTINUE; i++) {
		const char *out = NULL;
		unsigned outlen = 0;

		rc = plugs[flags & 1].mech_step(ctx, &sp, msgs[i], (unsigned)lens[i], &out, &outlen,
		                                &op);
		if (rc != SASL_OK && rc != SASL_CONTINUE && rc != SASL_BADPROT &&
		    rc != SASL_BADAUTH && rc != SASL_UNAVAIL && rc != SASL_BADPARAM &&
		    !((rc == SASL_NOMEM || rc == SASL_FAIL) && fi_failed() > 0))
			__builtin_trap();
		if (rc == SASL_CONTINUE && !(flags & 1) && i > 0)
			__builtin_trap(); /* PLAIN continues only before any message */
	}
	if (rc == SASL_OK) {
		const char *svc = opt_get("apikey_service");
		int fine = (flags & 1)
		                   ? i >= 2 && fx_may_pass(msgs[i - 2], msgs[i - 1], lens[i - 1],
		                                           svc, sp.service, sp.ipremoteport)
		                   : plain_may_pass(msgs[i - 1], lens[i - 1], svc, sp.service,
		                                    sp.ipremoteport);
		if (!fine || op.doneflag != 1 || authcid[0] == '\0')
			__builtin_trap();
	}
	plugs[flags & 1].mech_dispose(ctx, &u);
	fi_disarm();
	if (flags & 32) {
		plugs[0].mech_free(plugs[0].glob_context, &u);
		if (fi_fds() > fds)
			__builtin_trap(); /* a descriptor left open */
	}
	fx_tidy();
	return 0;
}
