/*
 * sasl_apikey: API keys through Cyrus SASL, as a server mechanism plugin
 * providing PLAIN (RFC 4616) and LOGIN. Cyrus SASL has no hook to check a
 * password against a custom verifier (auxprop plugins only hand back
 * stored values), so the mechanisms themselves check the key.
 *
 * Thin: parse the client's message, ask the core, map the result, log,
 * canonicalise. Every copy of the password is wiped. No mutable globals:
 * several threads may authenticate at once (memcached); the core
 * serialises its cached store handle.
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
};

struct conn {
	enum mech mech;
	int step;
	char user[FIELD_MAX + 1]; /* LOGIN: the user name from step 1 */
};

/* One option into out; 0 when absent (out unchanged), -1 when too long. */
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

/* Options are read per connection (the application may change its
 * configuration); anything malformed fails closed. */
static int read_opts(const sasl_utils_t *u, struct opts *o)
{
	char fb[8] = "no";

	memset(o, 0, sizeof(*o));
	snprintf(o->db, sizeof(o->db), "%s", AK_DEFAULT_DB);
	if (get_opt(u, "apikey_db", o->db, sizeof(o->db)) < 0 || o->db[0] != '/' ||
	    get_opt(u, "apikey_service", o->service, sizeof(o->service)) < 0 ||
	    get_opt(u, "apikey_events", o->events, sizeof(o->events)) < 0 ||
	    (o->events[0] != '\0' && o->events[0] != '/' && strcmp(o->events, "none") != 0) ||
	    get_opt(u, "apikey_fallback", fb, sizeof(fb)) < 0 ||
	    (strcmp(fb, "yes") != 0 && strcmp(fb, "no") != 0)) {
		u->log(u->conn, SASL_LOG_ERR,
		       "apikey: invalid apikey_db, apikey_service, apikey_events or "
		       "apikey_fallback "
		       "option: failing closed");
		return -1;
	}
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
	static int warned; /* the plugin's one mutable static: report once per
	                    * process, set atomically (several threads) */
	char path[1100];
	struct ak_error e;

	if (strcmp(o->events, "none") == 0)
		return;
	if (o->events[0] != '\0')
		snprintf(path, sizeof(path), "%s", o->events);
	else if (ak_events_path(path, sizeof(path), o->db) != 0)
		return;
	/* A missing default events file means events are off (as in PAM). */
	if (ak_event_append(path, req, res, &e) != 0 &&
	    !(o->events[0] == '\0' && e.code == AK_E_NOENT) && !__atomic_exchange_n(&warned, 1, 0))
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

/* user and the NUL-terminated secret: a key goes to the core, anything
 * else to the library's checkpass when apikey_fallback is yes. */
static int check_secret(sasl_server_params_t *sp, const char *user, const char *secret, size_t len)
{
	struct ak_verify_req req = {user, secret, len, NULL, NULL, 0};
	struct ak_verify_res res;
	struct ak_error e = {AK_OK, ""};
	struct opts o;
	char src[128];

	if (read_opts(sp->utils, &o) != 0)
		return SASL_BADPARAM;
	if (!ak_looks_like_key(secret, len) && o.fallback)
		return sp->utils->checkpass(sp->utils->conn, user, (unsigned)strlen(user), secret,
		                            (unsigned)len);
	req.service = o.service[0] ? o.service : (sp->service ? sp->service : "");
	req.source = source_of(sp, src, sizeof(src));
	memset(&res, 0, sizeof(res));
	res.result = AK_MALFORMED;
	if (!ak_user_valid(user)) {
		req.user = "-"; /* never reaches the store, never logged raw */
		log_result(sp, &req, &res, "invalid user name");
		return SASL_BADAUTH;
	}
	if (ak_looks_like_key(secret, len)) {
		if (ak_verify_path(o.db, 0, &req, &res, &e) != AK_UNAVAILABLE && e.msg[0])
			sp->utils->log(sp->utils->conn, SASL_LOG_WARN, "apikey: %s", e.msg);
		if (res.result != AK_VALID && res.result != AK_UNAVAILABLE)
			e.msg[0] = '\0';
		record_event(sp->utils, &o, &req, &res);
	}
	log_result(sp, &req, &res, res.result == AK_UNAVAILABLE ? e.msg : NULL);
	return map_result(res.result);
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

/* After the key checked out: the library canonicalises the names and
 * applies its proxy policy to a separate authorisation identity. */
static int finish(sasl_server_params_t *sp, sasl_out_params_t *op, const char *authcid,
                  const char *authzid)
{
	unsigned flags = SASL_CU_AUTHID | SASL_CU_EXTERNALLY_VERIFIED;
	int rc;

	if (authzid == NULL || *authzid == '\0')
		flags |= SASL_CU_AUTHZID;
	rc = sp->canon_user(sp->utils->conn, authcid, 0, flags, op);
	if (rc == SASL_OK && !(flags & SASL_CU_AUTHZID))
		/* Also externally verified: otherwise the library looks the
		 * authzid up in auxprop and, with none loaded, fails. Its proxy
		 * policy still decides whether authcid may act as authzid. */
		rc = sp->canon_user(sp->utils->conn, authzid, 0,
		                    SASL_CU_AUTHZID | SASL_CU_EXTERNALLY_VERIFIED, op);
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
	if ((rc = check_secret(sp, authcid, secret, slen)) == SASL_OK)
		rc = finish(sp, op, authcid, authzid);
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
	if ((rc = check_secret(sp, c->user, secret, len)) == SASL_OK)
		rc = finish(sp, op, c->user, NULL);
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
