/*
 * pam_apikey: API keys as PAM credentials. A thin front end: parse the
 * options, get the user and the token, ask the core, map the result, log.
 *
 * auth     the password is the key; VALID -> PAM_SUCCESS
 * account  re-checks the key that authenticated this transaction;
 *          PAM_IGNORE when no key was used
 * setcred  PAM_SUCCESS; chauthtok: PAM_AUTHTOK_ERR
 * session  records a session opened with a key (keyadm ends it when the
 *          key is revoked); PAM_IGNORE when no key was used
 *
 * MUST fail closed: every error path of auth and account returns a
 * failure, never PAM_IGNORE; the only PAM_IGNOREs are "no key was used"
 * (account, session), a non-key password with nonkey=ignore, which an
 * administrator asked for, and a session record that could not be
 * written: a session grants nothing, so recording never fails it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <security/pam_modutil.h>

#include <sodium.h>

#include "apikey.h"

#define EXPORT __attribute__((visibility("default")))
#define DATA_ID "pam_apikey_id"
#define DATA_SESSION "pam_apikey_session"
#define PROMPT "Password: "

struct opts {
	const char *db;
	const char *service;  /* NULL: PAM_SERVICE */
	const char *events;   /* NULL: beside the store; "none": off */
	const char *sessions; /* the session records; "none": off */
	int nonkey_ignore;
	int use_first_pass;
	int try_first_pass;
	int debug;
};

static int opt_value(const char *arg, const char *name, const char **out)
{
	size_t n = strlen(name);

	if (strncmp(arg, name, n) != 0 || arg[n] != '=')
		return 0;
	*out = arg + n + 1;
	return 1;
}

/* Unknown or malformed options are an error: a typo in a PAM stack must
 * not silently change what is checked. */
static int parse_opts(pam_handle_t *ph, int argc, const char **argv, struct opts *o)
{
	const char *v = NULL;
	int i;

	memset(o, 0, sizeof(*o));
	o->db = AK_DEFAULT_DB;
	o->sessions = AK_SESSIONS_DIR;
	for (i = 0; i < argc; i++) {
		if (opt_value(argv[i], "db", &v) && v[0] == '/')
			o->db = v;
		else if (opt_value(argv[i], "service", &v) && v[0] != '\0')
			o->service = v;
		else if (opt_value(argv[i], "events", &v) && (v[0] == '/' || !strcmp(v, "none")))
			o->events = v;
		else if (opt_value(argv[i], "sessions", &v) && (v[0] == '/' || !strcmp(v, "none")))
			o->sessions = v;
		else if (opt_value(argv[i], "nonkey", &v) &&
		         (!strcmp(v, "fail") || !strcmp(v, "ignore")))
			o->nonkey_ignore = strcmp(v, "ignore") == 0;
		else if (strcmp(argv[i], "use_first_pass") == 0)
			o->use_first_pass = 1;
		else if (strcmp(argv[i], "try_first_pass") == 0)
			o->try_first_pass = 1;
		else if (strcmp(argv[i], "debug") == 0)
			o->debug = 1;
		else {
			pam_syslog(ph, LOG_ERR,
			           "unknown or malformed option \"%.64s\": failing closed",
			           argv[i]);
			return -1;
		}
	}
	return 0;
}

static const char *item_str(pam_handle_t *ph, int type)
{
	const void *v = NULL;

	return pam_get_item(ph, type, &v) == PAM_SUCCESS ? v : NULL;
}

/* pam_unix's failure line, then which key and why: the shape that
 * conf/fail2ban/filter.d/apikey.conf matches (tests/deploy/fail2ban.t). */
static void log_result(pam_handle_t *ph, const struct ak_verify_req *req,
                       const struct ak_verify_res *res, const char *why)
{
	char rhost[128], ruser[128], tty[64], service[AK_SERVICE_LEN + 1];
	const char *login = pam_modutil_getlogin(ph);

	ak_log_clean(rhost, sizeof(rhost), req->source);
	if (res->result == AK_VALID) {
		pam_syslog(ph, LOG_INFO, "key %s accepted for %s service %s rhost %s", res->id,
		           req->user, ak_log_clean(service, sizeof(service), req->service), rhost);
		return;
	}
	pam_syslog(ph, LOG_NOTICE,
	           "authentication failure; logname=%s uid=%d euid=%d tty=%s ruser=%s rhost=%s "
	           "user=%s key=%s result=%s%s%s",
	           login ? login : "", (int)getuid(), (int)geteuid(),
	           ak_log_clean(tty, sizeof(tty), item_str(ph, PAM_TTY)),
	           ak_log_clean(ruser, sizeof(ruser), item_str(ph, PAM_RUSER)), rhost,
	           ak_user_for_log(req->user), res->id[0] ? res->id : "-",
	           ak_result_name(res->result), why ? ": " : "", why ? why : "");
}

/* One event per attempt beside the store (the core's events policy); a
 * failed write never changes the result and is reported once per process. */
static void record_event(pam_handle_t *ph, const struct opts *o, const struct ak_verify_req *req,
                         const struct ak_verify_res *res)
{
	struct ak_error e = {AK_OK, ""};
	int report;

	if (ak_event_record(&report, o->events, o->db, req, res, &e) != 0 && report)
		pam_syslog(ph, LOG_WARNING, "cannot record usage events: %s", e.msg);
}

/* The token: with use_first_pass only an earlier module's; with
 * try_first_pass an earlier one if any; otherwise a new prompt. A
 * prompted token is also stored as PAM_AUTHTOK for the modules below.
 * *owned is the caller's copy to wipe and free (NULL if libpam owns it). */
static int get_token(pam_handle_t *ph, const struct opts *o, const char **tok, char **owned)
{
	char *resp = NULL;

	*tok = NULL;
	*owned = NULL;
	if (o->use_first_pass || o->try_first_pass) {
		*tok = item_str(ph, PAM_AUTHTOK);
		if (*tok != NULL || o->use_first_pass)
			return *tok ? PAM_SUCCESS : PAM_AUTH_ERR;
	}
	if (pam_prompt(ph, PAM_PROMPT_ECHO_OFF, &resp, PROMPT) != PAM_SUCCESS || resp == NULL)
		return PAM_AUTH_ERR;
	(void)pam_set_item(ph, PAM_AUTHTOK, resp);
	*tok = *owned = resp;
	return PAM_SUCCESS;
}

static void drop_token(char *owned)
{
	if (owned != NULL) {
		sodium_memzero(owned, strlen(owned));
		free(owned);
	}
}

static void free_id(pam_handle_t *ph, void *data, int status)
{
	(void)ph;
	(void)status;
	free(data);
}

/* A new auth on this handle: until it succeeds, no key has logged the
 * user in, so neither account nor the session may see an earlier key.
 * pam_putenv of a bare name removes the variable (libpam logs a removal
 * of one that is not set). */
static int forget_key(pam_handle_t *ph)
{
	if (pam_getenv(ph, "APIKEY_ID") != NULL && pam_putenv(ph, "APIKEY_ID") != PAM_SUCCESS)
		return PAM_BUF_ERR;
	return pam_set_data(ph, DATA_ID, NULL, NULL) == PAM_SUCCESS ? PAM_SUCCESS : PAM_BUF_ERR;
}

/* VALID: remember the key for account, tell the session which key. */
static int on_valid(pam_handle_t *ph, const struct ak_verify_res *res)
{
	char env[sizeof("APIKEY_ID=") + AK_ID_LEN];
	char *id = strdup(res->id);

	if (id == NULL || pam_set_data(ph, DATA_ID, id, free_id) != PAM_SUCCESS) {
		free(id);
		return PAM_BUF_ERR;
	}
	snprintf(env, sizeof(env), "APIKEY_ID=%s", res->id);
	return pam_putenv(ph, env) == PAM_SUCCESS ? PAM_SUCCESS : PAM_BUF_ERR;
}

static int map_auth(enum ak_result r)
{
	if (r == AK_VALID)
		return PAM_SUCCESS;
	return r == AK_UNAVAILABLE ? PAM_AUTHINFO_UNAVAIL : PAM_AUTH_ERR;
}

static const char *service_of(pam_handle_t *ph, const struct opts *o)
{
	const char *s = o->service ? o->service : item_str(ph, PAM_SERVICE);

	return s ? s : "";
}

/* User names that could be options to a later program, empty or too long
 * never reach the store. */
static int get_user(pam_handle_t *ph, const char **user)
{
	if (pam_get_user(ph, user, NULL) != PAM_SUCCESS || *user == NULL)
		return -1;
	if (!ak_user_valid(*user)) {
		pam_syslog(ph, LOG_NOTICE, "refusing an invalid user name");
		return -1;
	}
	return 0;
}

static int check_token(pam_handle_t *ph, const struct opts *o, struct ak_verify_req *req,
                       struct ak_verify_res *res)
{
	struct ak_error e = {AK_OK, ""};
	const char *why = NULL;

	if (!ak_looks_like_key(req->key, req->key_len)) {
		if (o->nonkey_ignore) {
			if (o->debug)
				pam_syslog(ph, LOG_DEBUG, "not a key; nonkey=ignore");
			return PAM_IGNORE;
		}
		memset(res, 0, sizeof(*res));
		res->result = AK_MALFORMED;
	} else {
		if (ak_verify_path(res, o->db, 0, req, &e) == AK_UNAVAILABLE)
			why = e.msg;
		else if (e.msg[0] != '\0') /* a stale replica under fleet_stale warn */
			pam_syslog(ph, LOG_WARNING, "%s", e.msg);
		record_event(ph, o, req, res);
	}
	log_result(ph, req, res, why);
	return res->result == AK_VALID ? on_valid(ph, res) : map_auth(res->result);
}

EXPORT int pam_sm_authenticate(pam_handle_t *ph, int flags, int argc, const char **argv)
{
	struct ak_verify_req req = {NULL, NULL, 0, NULL, NULL, 0};
	struct ak_verify_res res;
	struct opts o;
	char *owned = NULL;
	int rc = PAM_AUTH_ERR;

	(void)flags;
	if (parse_opts(ph, argc, argv, &o) != 0) {
		rc = PAM_SERVICE_ERR;
		goto out;
	}
	if ((rc = forget_key(ph)) != PAM_SUCCESS)
		goto out;
	rc = PAM_AUTH_ERR;
	if (get_user(ph, &req.user) != 0)
		goto out;
	if ((rc = get_token(ph, &o, &req.key, &owned)) != PAM_SUCCESS)
		goto out;
	rc = PAM_AUTH_ERR;
	req.key_len = strnlen(req.key, PAM_MAX_RESP_SIZE + 1);
	if (req.key_len > PAM_MAX_RESP_SIZE) {
		pam_syslog(ph, LOG_NOTICE, "token longer than %d bytes refused", PAM_MAX_RESP_SIZE);
		goto out;
	}
	req.service = service_of(ph, &o);
	req.source = item_str(ph, PAM_RHOST);
	rc = check_token(ph, &o, &req, &res);
out:
	drop_token(owned);
	return rc;
}

EXPORT int pam_sm_acct_mgmt(pam_handle_t *ph, int flags, int argc, const char **argv)
{
	struct ak_verify_req req = {NULL, NULL, 0, NULL, NULL, 0};
	struct ak_verify_res res;
	struct ak_error e = {AK_OK, ""};
	const void *id = NULL;
	struct opts o;

	(void)flags;
	if (parse_opts(ph, argc, argv, &o) != 0)
		return PAM_SERVICE_ERR;
	if (pam_get_data(ph, DATA_ID, &id) != PAM_SUCCESS || id == NULL) {
		if (o.debug)
			pam_syslog(ph, LOG_DEBUG, "account: no key in this transaction; ignored");
		return PAM_IGNORE;
	}
	if (get_user(ph, &req.user) != 0)
		return PAM_AUTH_ERR;
	req.service = service_of(ph, &o);
	req.source = item_str(ph, PAM_RHOST);
	/* The key may have been revoked, disabled or expired since auth. */
	if (ak_recheck_path(&res, o.db, 0, id, &req, &e) == AK_VALID) {
		if (e.msg[0] != '\0')
			pam_syslog(ph, LOG_WARNING, "%s", e.msg);
		return PAM_SUCCESS;
	}
	log_result(ph, &req, &res, res.result == AK_UNAVAILABLE ? e.msg : NULL);
	if (res.result == AK_EXPIRED)
		return PAM_ACCT_EXPIRED;
	return map_auth(res.result);
}

EXPORT int pam_sm_setcred(pam_handle_t *ph, int flags, int argc, const char **argv)
{
	(void)ph;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_SUCCESS;
}

/* The key of this session: the one auth verified on this handle. sshd's
 * keyboard-interactive authenticates in a child process whose data does
 * not come back, only the PAM environment does: APIKEY_ID, which this
 * module set, is then taken if the key is still valid for this user,
 * service and host (a user's own environment files are read later in
 * the session stack than the recipe puts this module). */
static const char *session_key(pam_handle_t *ph, const struct opts *o, const char *user)
{
	struct ak_verify_req req = {NULL, NULL, 0, NULL, NULL, 0};
	struct ak_verify_res res;
	struct ak_error e = {AK_OK, ""};
	const void *id = NULL;

	if (pam_get_data(ph, DATA_ID, &id) == PAM_SUCCESS && id != NULL)
		return id;
	if ((id = pam_getenv(ph, "APIKEY_ID")) == NULL || !ak_id_valid(id))
		return NULL;
	req.user = user;
	req.service = service_of(ph, o);
	req.source = item_str(ph, PAM_RHOST);
	return ak_recheck_path(&res, o->db, 0, id, &req, &e) == AK_VALID ? id : NULL;
}

static void free_session(pam_handle_t *ph, void *data, int status)
{
	(void)ph;
	(void)status;
	free(data);
}

static int record_session(pam_handle_t *ph, const struct opts *o, const char *id, const char *user,
                          struct ak_error *e)
{
	struct ak_session *s = NULL;

	if (ak_session_record(&s, o->sessions, id, user, service_of(ph, o), item_str(ph, PAM_RHOST),
	                      e) != 0)
		return -1;
	if (pam_set_data(ph, DATA_SESSION, s, free_session) != PAM_SUCCESS) {
		/* the handle cannot keep it, so nothing could end it: remove it */
		if (ak_session_end(s, o->sessions, e) == 0)
			e->msg[0] = '\0';
		free(s);
		return -1;
	}
	return 0;
}

/* A session opened with a key is recorded so that keyadm revoke
 * --end-sessions can end it. A session grants nothing: a record that
 * cannot be written is logged (once per process) and ignored. */
EXPORT int pam_sm_open_session(pam_handle_t *ph, int flags, int argc, const char **argv)
{
	static int warned; /* set atomically, as the core's events flag */
	struct ak_error e = {AK_OK, ""};
	const char *id, *user = item_str(ph, PAM_USER);
	struct opts o;

	(void)flags;
	if (parse_opts(ph, argc, argv, &o) != 0)
		return PAM_SERVICE_ERR;
	if (strcmp(o.sessions, "none") == 0 || user == NULL || !ak_user_valid(user) ||
	    (id = session_key(ph, &o, user)) == NULL)
		return PAM_IGNORE;
	if (record_session(ph, &o, id, user, &e) == 0) {
		if (o.debug)
			pam_syslog(ph, LOG_DEBUG, "session of key %s recorded", id);
		return PAM_SUCCESS;
	}
	if (!__atomic_exchange_n(&warned, 1, __ATOMIC_SEQ_CST))
		pam_syslog(ph, LOG_WARNING, "cannot record the session of key %s: %s", id, e.msg);
	return PAM_IGNORE;
}

EXPORT int pam_sm_close_session(pam_handle_t *ph, int flags, int argc, const char **argv)
{
	struct ak_error e = {AK_OK, ""};
	const void *data = NULL;
	struct opts o;

	(void)flags;
	if (parse_opts(ph, argc, argv, &o) != 0)
		return PAM_SERVICE_ERR;
	if (pam_get_data(ph, DATA_SESSION, &data) != PAM_SUCCESS || data == NULL)
		return PAM_IGNORE;
	if (ak_session_end(data, o.sessions, &e) != 0 && o.debug)
		pam_syslog(ph, LOG_DEBUG, "%s", e.msg);
	(void)pam_set_data(ph, DATA_SESSION, NULL, NULL);
	return PAM_SUCCESS;
}

/* Keys change with keyadm rotate, never through passwd. */
EXPORT int pam_sm_chauthtok(pam_handle_t *ph, int flags, int argc, const char **argv)
{
	(void)flags;
	(void)argc;
	(void)argv;
	pam_syslog(ph, LOG_NOTICE, "API keys cannot be changed with passwd: use keyadm rotate");
	return PAM_AUTHTOK_ERR;
}
