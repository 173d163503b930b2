/*
 * sasl_apikey: API keys through Cyrus SASL, as a server mechanism plugin
 * providing PLAIN (RFC 4616) and LOGIN. Cyrus SASL has no hook to check a
 * password against a custom verifier (auxprop plugins only hand back
 * stored values), so the mechanisms themselves check the key.
 *
 * The plugin outranks the stock PLAIN and LOGIN, and the library never
 * falls back to another plugin of the same name: so an application whose
 * SASL configuration has no apikey_ option gets the stock behaviour from
 * this plugin (the password to the library's checkpass, which is the
 * configured pwcheck_method). Either way the authentication identity is
 * canonicalised first and only the canonical name is checked.
 *
 * Thin: parse the client's message, ask the core, map the result, log.
 * Every copy of the password is wiped. Several threads may authenticate
 * at once (memcached): the connection state is per connection, the core
 * serialises its cached store handle and sets its one mutable static
 * (the events warn-once flag) atomically.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sasl/sasl.h>
#include <sasl/saslplug.h>

#include <sodium.h>

#include "apikey.h"

#define EXPORT __attribute__((visibility("default")))
#define FIELD_MAX 255   /* authzid and authcid bytes */
#define SECRET_MAX 1024 /* password bytes (fallback passwords too) */
#define MSG_MAX (FIELD_MAX * 2 + SECRET_MAX + 2)

enum mech { MECH_PLAIN, MECH_LOGIN };

struct opts {
	char db[1024];
	char service[AK_SERVICE_LEN + 1]; /* "" -> the connection's service */
	char events[1024];                /* "" -> beside the store; "none" */
	int fallback;
	int enabled; /* an apikey_ option is set: the application opted in */
};

struct conn {
	enum mech mech;
	int step;
	char user[FIELD_MAX + 1]; /* LOGIN: the user name from step 1 */
};

/* One option into out; 0 when absent (out unchanged), 1 when set, -1 when
 * too long. */
static int get_opt(const sasl_utils_t *u, const char *name, char *out, size_t cap)
{
	const char *v = NULL;
	unsigned len = 0;

	if (u->getopt == NULL ||
	    u->getopt(u->getopt_context, "APIKEY", name, &v, &len) != SASL_OK || v == NULL)
		return 0;
	if (len == 0)
		len = (unsigned)strlen(v);
	if (len >= cap)
		return -1;
	memcpy(out, v, len);
	out[len] = '\0';
	return 1;
}

static int bad_opt(const sasl_utils_t *u, const char *name)
{
	u->log(u->conn, SASL_LOG_ERR, "apikey: invalid %s option: failing closed", name);
	return -1;
}

/* Options are read per connection (the application may change its
 * configuration); anything malformed fails closed, naming the option. */
static int read_opts(const sasl_utils_t *u, struct opts *o)
{
	char fb[8] = "no";
	int n;

	memset(o, 0, sizeof(*o));
	snprintf(o->db, sizeof(o->db), "%s", AK_DEFAULT_DB);
	if ((n = get_opt(u, "apikey_db", o->db, sizeof(o->db))) < 0 || o->db[0] != '/')
		return bad_opt(u, "apikey_db");
	o->enabled |= n;
	if ((n = get_opt(u, "apikey_service", o->service, sizeof(o->service))) < 0)
		return bad_opt(u, "apikey_service");
	o->enabled |= n;
	if ((n = get_opt(u, "apikey_events", o->events, sizeof(o->events))) < 0 ||
	    (o->events[0] != '\0' && o->events[0] != '/' && strcmp(o->events, "none") != 0))
		return bad_opt(u, "apikey_events");
	o->enabled |= n;
	if ((n = get_opt(u, "apikey_fallback", fb, sizeof(fb))) < 0 ||
	    (strcmp(fb, "yes") != 0 && strcmp(fb, "no") != 0))
		return bad_opt(u, "apikey_fallback");
	o->enabled |= n;
	o->fallback = strcmp(fb, "yes") == 0;
	return 0;
}

/* "a.b.c.d;port" or "[v6];port" -> the address (the core takes brackets). */
static const char *source_of(const sasl_server_params_t *sp, char *buf, size_t cap)
{
	const char *semi;
	size_t n;

	if (sp->ipremoteport == NULL)
		return NULL;
	semi = strrchr(sp->ipremoteport, ';');
	n = semi ? (size_t)(semi - sp->ipremoteport) : strlen(sp->ipremoteport);
	if (n >= cap)
		return NULL;
	memcpy(buf, sp->ipremoteport, n);
	buf[n] = '\0';
	return buf;
}

static void record_event(const sasl_utils_t *u, const struct opts *o,
                         const struct ak_verify_req *req, const struct ak_verify_res *res)
{
	struct ak_error e = {AK_OK, ""};
	int report;

	/* The core's events policy, as in PAM; its warn-once flag is atomic
	 * (several threads). */
	if (ak_event_record(&report, o->events, o->db, req, res, &e) != 0 && report)
		u->log(u->conn, SASL_LOG_WARN, "apikey: cannot record usage events: %s", e.msg);
}

static void log_result(sasl_server_params_t *sp, const struct ak_verify_req *req,
                       const struct ak_verify_res *res, const char *why)
{
	if (res->result == AK_VALID) {
		sp->utils->log(sp->utils->conn, SASL_LOG_NOTE,
		               "apikey: key %s accepted for %s service %s source %s", res->id,
		               req->user, req->service, req->source ? req->source : "-");
		return;
	}
	/* SASL_LOG_ERR: the library's default level, so that every rejection
	 * reaches the log without extra configuration. */
	sp->utils->log(sp->utils->conn, SASL_LOG_ERR,
	               "apikey: authentication failure; user=%s key=%s result=%s service=%s "
	               "source=%s%s%s",
	               ak_user_for_log(req->user), res->id[0] ? res->id : "-",
	               ak_result_name(res->result), req->service, req->source ? req->source : "-",
	               why ? ": " : "", why ? why : "");
}

static int map_result(enum ak_result r)
{
	if (r == AK_VALID)
		return SASL_OK;
	return r == AK_UNAVAILABLE ? SASL_UNAVAIL : SASL_BADAUTH;
}

/* A separate authzid, after the key checked out: canonicalised (as
 * verified: there is no auxprop to look it up in), then the application's
 * proxy policy (the library's default: authzid must equal authcid). The
 * library asks the same policy again after the mechanism returns; asking
 * here first keeps a refused login from being logged and recorded as a
 * valid use. */
static int authorize(sasl_server_params_t *sp, sasl_out_params_t *op, const char *authzid)
{
	sasl_authorize_t *policy = NULL;
	void *ctx = NULL;
	int rc;

	rc = sp->canon_user(sp->utils->conn, authzid, 0,
	                    SASL_CU_AUTHZID | SASL_CU_EXTERNALLY_VERIFIED, op);
	if (rc != SASL_OK)
		return rc;
	if (sp->utils->getcallback(sp->utils->conn, SASL_CB_PROXY_POLICY,
	                           (sasl_callback_ft *)&policy, &ctx) != SASL_OK ||
	    policy == NULL)
		return SASL_NOAUTHZ;
	return policy(sp->utils->conn, ctx, op->user, op->ulen, op->authid, op->alen,
	              sp->user_realm, sp->urlen, sp->propctx);
}

/* The key path: the canonical authcid (op->authid) must own the key. */
static int check_key(sasl_server_params_t *sp, sasl_out_params_t *op, const struct opts *o,
                     const char *authzid, const char *secret, size_t len)
{
	struct ak_verify_req req = {op->authid, secret, len, NULL, NULL, 0};
	struct ak_verify_res res;
	struct ak_error e = {AK_OK, ""};
	char src[128];
	int rc;

	req.service = o->service[0] ? o->service : (sp->service ? sp->service : "");
	req.source = source_of(sp, src, sizeof(src));
	memset(&res, 0, sizeof(res));
	res.result = AK_MALFORMED;
	if (!ak_user_valid(op->authid)) {
		req.user = "-"; /* never reaches the store, never logged raw */
		log_result(sp, &req, &res, "invalid user name");
		return SASL_BADAUTH;
	}
	if (!ak_looks_like_key(secret, len)) {
		log_result(sp, &req, &res, NULL);
		return SASL_BADAUTH;
	}
	if (ak_verify_path(&res, o->db, 0, &req, &e) != AK_UNAVAILABLE && e.msg[0])
		sp->utils->log(sp->utils->conn, SASL_LOG_WARN, "apikey: %s",
		               e.msg); /* fleet_stale warn */
	if (res.result != AK_VALID && res.result != AK_UNAVAILABLE)
		e.msg[0] = '\0';
	if (res.result == AK_VALID && authzid != NULL &&
	    (rc = authorize(sp, op, authzid)) != SASL_OK) {
		sp->utils->log(
		        sp->utils->conn, SASL_LOG_ERR,
		        "apikey: authorization failure; user=%s key=%s service=%s source=%s: "
		        "the proxy policy refuses another authorization identity",
		        req.user, res.id, req.service, req.source ? req.source : "-");
		return rc;
	}
	record_event(sp->utils, o, &req, &res);
	log_result(sp, &req, &res, res.result == AK_UNAVAILABLE ? e.msg : NULL);
	return map_result(res.result);
}

/* The stock path (as plain.c and login.c): the canonical authcid's
 * password to the library's checkpass, that is the pwcheck_method (sasldb,
 * saslauthd, ...); then a separate authzid, canonicalised and looked up as
 * any authzid is, after dropping the authzid properties checkpass may have
 * fetched for the authcid. */
static int check_password(sasl_server_params_t *sp, sasl_out_params_t *op, const char *authzid,
                          const char *secret, size_t len)
{
	const struct propval *pr;
	int rc, i;

	rc = sp->utils->checkpass(sp->utils->conn, op->authid, op->alen, secret, (unsigned)len);
	if (rc != SASL_OK) {
		sp->utils->seterror(sp->utils->conn, 0, "Password verification failed");
		return rc;
	}
	if (authzid == NULL)
		return SASL_OK;
	if ((pr = sp->utils->prop_get(sp->propctx)) == NULL)
		return SASL_FAIL;
	for (i = 0; pr[i].name != NULL; i++)
		if (pr[i].name[0] != '*' && pr[i].values != NULL)
			sp->utils->prop_erase(sp->propctx, pr[i].name);
	return sp->canon_user(sp->utils->conn, authzid, 0, SASL_CU_AUTHZID, op);
}

static void set_done(sasl_out_params_t *op)
{
	op->doneflag = 1;
	op->mech_ssf = 0;
	op->maxoutbuf = 0;
	op->encode_context = NULL;
	op->encode = NULL;
	op->decode_context = NULL;
	op->decode = NULL;
	op->param_version = 0;
}

/* authcid (NUL-terminated), authzid (NULL or "" for none) and the
 * NUL-terminated secret of len bytes. The authcid is canonicalised first
 * (the user_realm appended, for one): only the canonical name is checked
 * and recorded, so the identity the application sees is the key's owner. */
static int authenticate(sasl_server_params_t *sp, sasl_out_params_t *op, const char *authcid,
                        const char *authzid, const char *secret, size_t len)
{
	unsigned flags = SASL_CU_AUTHID | SASL_CU_EXTERNALLY_VERIFIED;
	struct opts o;
	int rc;

	if (authzid != NULL && (*authzid == '\0' || strcmp(authzid, authcid) == 0))
		authzid = NULL;
	if (authzid == NULL)
		flags |= SASL_CU_AUTHZID;
	/* A malformed option is the administrator's error: a temporary
	 * failure (SMTP 454), not the client's 535. */
	if (read_opts(sp->utils, &o) != 0)
		return SASL_UNAVAIL;
	if ((rc = sp->canon_user(sp->utils->conn, authcid, 0, flags, op)) != SASL_OK)
		return rc;
	if (!o.enabled || (o.fallback && !ak_looks_like_key(secret, len)))
		rc = check_password(sp, op, authzid, secret, len);
	else
		rc = check_key(sp, op, &o, authzid, secret, len);
	if (rc == SASL_OK)
		set_done(op);
	return rc;
}

static int badprot(sasl_server_params_t *sp, const char *what)
{
	sp->utils->seterror(sp->utils->conn, 0, "apikey: malformed %s message", what);
	sp->utils->log(sp->utils->conn, SASL_LOG_ERR, "apikey: malformed %s message", what);
	return SASL_BADPROT;
}

/* RFC 4616: [authzid] NUL authcid NUL passwd, exactly two NULs. */
static int plain_step(sasl_server_params_t *sp, const char *in, unsigned len, sasl_out_params_t *op)
{
	char msg[MSG_MAX + 1];
	const char *authzid = msg, *authcid, *secret;
	size_t zlen, clen, slen;
	int rc = SASL_BADPROT;

	if (len == 0 || len > MSG_MAX)
		goto out;
	memcpy(msg, in, len);
	msg[len] = '\0';
	zlen = strnlen(msg, len);
	if (zlen >= len || zlen > FIELD_MAX)
		goto out;
	authcid = msg + zlen + 1;
	clen = strnlen(authcid, len - zlen - 1);
	if (zlen + 1 + clen >= len || clen == 0 || clen > FIELD_MAX)
		goto out;
	secret = authcid + clen + 1;
	slen = len - zlen - clen - 2;
	if (slen == 0 || slen > SECRET_MAX || memchr(secret, '\0', slen) != NULL)
		goto out;
	rc = authenticate(sp, op, authcid, authzid, secret, slen);
out:
	sodium_memzero(msg, sizeof(msg));
	return rc == SASL_BADPROT ? badprot(sp, "PLAIN") : rc;
}

/* LOGIN step 1: the user name ("Username:" answered, or the initial
 * response); then ask for the password. */
static int login_user(struct conn *c, sasl_server_params_t *sp, const char *in, unsigned len,
                      const char **out, unsigned *outlen)
{
	if (len == 0 || len > FIELD_MAX || memchr(in, '\0', len) != NULL)
		return badprot(sp, "LOGIN");
	memcpy(c->user, in, len);
	c->user[len] = '\0';
	*out = "Password:";
	*outlen = 9;
	c->step = 2;
	return SASL_CONTINUE;
}

/* LOGIN: "Username:" then "Password:", or the user name as the initial
 * response. Challenges are not NUL-terminated on the wire. */
static int login_step(struct conn *c, sasl_server_params_t *sp, const char *in, unsigned len,
                      const char **out, unsigned *outlen, sasl_out_params_t *op)
{
	char secret[SECRET_MAX + 1];
	int rc = SASL_BADPROT;

	if (c->step == 0 && len == 0) {
		*out = "Username:";
		*outlen = 9;
		c->step = 1;
		return SASL_CONTINUE;
	}
	if (c->step <= 1)
		return login_user(c, sp, in, len, out, outlen);
	if (len == 0 || len > SECRET_MAX || memchr(in, '\0', len) != NULL)
		goto out;
	memcpy(secret, in, len);
	secret[len] = '\0';
	rc = authenticate(sp, op, c->user, NULL, secret, len);
out:
	sodium_memzero(secret, sizeof(secret));
	return rc == SASL_BADPROT ? badprot(sp, "LOGIN") : rc;
}

static int mech_new(void *glob, sasl_server_params_t *sp, const char *challenge, unsigned challen,
                    void **ctx)
{
	struct conn *c = sp->utils->malloc(sizeof(*c));

	(void)challenge;
	(void)challen;
	if (c == NULL)
		return SASL_NOMEM;
	memset(c, 0, sizeof(*c));
	c->mech = *(const enum mech *)glob;
	*ctx = c;
	return SASL_OK;
}

static int mech_step(void *ctx, sasl_server_params_t *sp, const char *in, unsigned len,
                     const char **out, unsigned *outlen, sasl_out_params_t *op)
{
	struct conn *c = ctx;
	int rc;

	*out = NULL;
	*outlen = 0;
	if (c->mech == MECH_LOGIN)
		rc = login_step(c, sp, in, len, out, outlen, op);
	else if (len == 0 && c->step++ == 0)
		return SASL_CONTINUE; /* no initial response: send an empty challenge */
	else
		rc = plain_step(sp, in, len, op);
	if (rc == SASL_BADAUTH)
		sp->utils->seterror(sp->utils->conn, 0, "authentication failed");
	return rc;
}

static void mech_dispose(void *ctx, const sasl_utils_t *u)
{
	if (ctx == NULL)
		return;
	sodium_memzero(ctx, sizeof(struct conn));
	u->free(ctx);
}

static void mech_free(void *glob, const sasl_utils_t *u)
{
	(void)glob;
	(void)u;
	ak_verify_cache_clear();
}

EXPORT int sasl_server_plug_init(const sasl_utils_t *utils, int maxversion, int *out_version,
                                 sasl_server_plug_t **pluglist, int *plugcount);

static const enum mech plain_mech = MECH_PLAIN, login_mech = MECH_LOGIN;

/* SASL_SET_HASH_STRENGTH_BITS(256) ranks these mechanisms above the stock
 * PLAIN and LOGIN plugins whatever the order the library loads them in. */
static sasl_server_plug_t plugins[] = {
        {"PLAIN", 0,
         SASL_SEC_NOANONYMOUS | SASL_SEC_PASS_CREDENTIALS | SASL_SET_HASH_STRENGTH_BITS(256),
         SASL_FEAT_WANT_CLIENT_FIRST | SASL_FEAT_ALLOWS_PROXY, (void *)(uintptr_t)&plain_mech,
         mech_new, mech_step, mech_dispose, mech_free, NULL, NULL, NULL, NULL, NULL},
        {"LOGIN", 0,
         SASL_SEC_NOANONYMOUS | SASL_SEC_PASS_CREDENTIALS | SASL_SET_HASH_STRENGTH_BITS(256), 0,
         (void *)(uintptr_t)&login_mech, mech_new, mech_step, mech_dispose, mech_free, NULL, NULL,
         NULL, NULL, NULL},
};

EXPORT int sasl_server_plug_init(const sasl_utils_t *utils, int maxversion, int *out_version,
                                 sasl_server_plug_t **pluglist, int *plugcount)
{
	if (maxversion < SASL_SERVER_PLUG_VERSION) {
		utils->seterror(utils->conn, 0, "apikey: SASL server plugin version mismatch");
		return SASL_BADVERS;
	}
	*out_version = SASL_SERVER_PLUG_VERSION;
	*pluglist = plugins;
	*plugcount = 2;
	return SASL_OK;
}
