/* The PAM module's authenticate and account functions on arbitrary user
 * names, tokens and module options, through a real libpam handle, against
 * the fixture store (fixture.h). The module is compiled in whole; its
 * pam_syslog is caught so that a run does not flood the system log.
 *
 * Input: one flags byte, with FI_FLAG four bytes saying which of the first
 * 32 calls of the module and the core fail (fuzz/failinj.h: allocations,
 * open, read, fstat, GDBM), then fields separated by 0xff: the user, the
 * token, and up to eight module options.
 * Checks: every answer is one the module may give; PAM_SUCCESS only for
 * alice with her key, or bob with his from 127.0.0.1 to smtp, and then
 * account agrees (unless a call of its own failed) and APIKEY_ID names
 * the key; PAM_IGNORE only with nonkey=ignore and a token that is not a
 * key; no log line ever holds a key's secret; no descriptor is left open
 * (and, under libFuzzer, no memory) whatever failed. */
#include <stdarg.h>
#include <stdio.h>

#include <security/pam_appl.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>

static void fz_pam_syslog(const pam_handle_t *ph, int prio, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
#define pam_syslog fz_pam_syslog

#include "../pam_apikey/pam_apikey.c"
#include "failinj.h"
#include "fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ARGS_MAX 8

/* The module logs an unknown option as it is: a secret the administrator
 * put in the options may be logged, one from the user may not. */
static int secret_in_options;

static void fz_pam_syslog(const pam_handle_t *ph, int prio, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	(void)ph;
	(void)prio;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (fx_has_secret(line) && !secret_in_options)
		__builtin_trap();
}

struct answers {
	const char *user, *token;
	int fail;
};

static int fz_conv(int n, const struct pam_message **msg, struct pam_response **resp, void *ctx)
{
	const struct answers *a = ctx;
	struct pam_response *r;
	int i;

	if (a->fail || (r = calloc((size_t)n, sizeof(*r))) == NULL)
		return PAM_CONV_ERR;
	for (i = 0; i < n; i++)
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF)
			r[i].resp = strdup(a->token);
		else if (msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
			r[i].resp = strdup(a->user);
	*resp = r;
	return PAM_SUCCESS;
}

/* The value of the last "name=" option, or NULL. */
static const char *last_opt(int argc, const char **argv, const char *name)
{
	const char *v = NULL;
	int i;

	for (i = 0; i < argc; i++)
		(void)opt_value(argv[i], name, &v);
	return v;
}

/* A refusal the module may give (an error is a refusal too). */
static int denied(int rc)
{
	return rc == PAM_AUTH_ERR || rc == PAM_AUTHINFO_UNAVAIL || rc == PAM_SERVICE_ERR ||
	       rc == PAM_BUF_ERR || rc == PAM_ACCT_EXPIRED;
}

static void after_success(pam_handle_t *ph, const struct answers *a, int argc, const char **argv)
{
	const char *id = pam_getenv(ph, "APIKEY_ID");
	unsigned failed;
	int rc;
	char want[AK_ID_LEN + 1] = "";
	const char *k = fx_key(fx_which(a->token, strlen(a->token)));
	const char *u = strchr(k, '_');

	if (u != NULL && strlen(u + 1) > AK_ID_LEN)
		memcpy(want, u + 1, AK_ID_LEN);
	if (id == NULL || strcmp(id, want) != 0)
		__builtin_trap();
	failed = fi_failed();
	rc = pam_sm_acct_mgmt(ph, 0, argc, argv);
	if (rc != PAM_SUCCESS && (fi_failed() == failed || !denied(rc)))
		__builtin_trap(); /* account must agree: nothing changed */
}

/* The services' stacks in the fixture: pam_start reads them, the target
 * calls the module's functions itself. */
static int stacks(void)
{
	static int done;
	const char *svc[] = {"sshd", "smtp"};
	char path[256];
	size_t i;

	for (i = 0; i < 2 && !done; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", fx_dir(), svc[i]);
		if ((f = fopen(path, "w")) == NULL)
			return -1;
		fputs("auth required pam_deny.so\n", f);
		fclose(f);
	}
	done = 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *hosts[] = {NULL, "127.0.0.1", "10.0.0.1", "::1"};
	static char user[1024], token[2048], args[ARGS_MAX][1100];
	const char *argv[ARGS_MAX];
	const uint8_t *p = data, *end = data + size, *f;
	struct answers a = {user, token, 0};
	struct pam_conv conv = {fz_conv, &a};
	pam_handle_t *ph = NULL;
	const char *svc, *ig;
	int argc = 0, flags, rc, fds = 0;
	uint32_t mask;
	size_t n;

	if (size < 1 || fx_db() == NULL || stacks() != 0)
		return 0;
	flags = *p++;
	mask = fi_mask(flags, &p, end);
	secret_in_options = 0;
	n = fx_field(&p, end, 0xff, &f);
	fx_expand(user, sizeof(user), f, n);
	n = fx_field(&p, end, 0xff, &f);
	fx_expand(token, sizeof(token), f, n);
	while (p < end && argc < ARGS_MAX) {
		n = fx_field(&p, end, 0xff, &f);
		fx_expand(args[argc], sizeof(args[0]), f, n);
		/* paths stay inside the fixture */
		if (strncmp(args[argc], "db=", 3) == 0 || strncmp(args[argc], "events=", 7) == 0) {
			char *eq = strchr(args[argc], '=');
			const char *to = fx_path(eq + 1);

			if (to != eq + 1)
				snprintf(eq + 1, sizeof(args[0]) - (size_t)(eq + 1 - args[argc]),
				         "%s", to);
		}
		argv[argc] = args[argc];
		secret_in_options |= fx_has_secret(args[argc]);
		argc++;
	}
	a.fail = (flags & 16) != 0;
	svc = (flags & 8) ? "smtp" : "sshd";
	if (flags & 32) {
		ak_verify_cache_clear();
		fds = fi_fds();
	}
	if (pam_start_confdir(svc, user[0] ? user : NULL, &conv, fx_dir(), &ph) != PAM_SUCCESS)
		return 0;
	fi_arm(mask);
	if (hosts[flags & 3] != NULL)
		(void)pam_set_item(ph, PAM_RHOST, hosts[flags & 3]);
	if (flags & 4)
		(void)pam_set_item(ph, PAM_AUTHTOK, token);
	rc = pam_sm_authenticate(ph, 0, argc, argv);
	ig = last_opt(argc, argv, "nonkey");
	if ((rc == PAM_SUCCESS &&
	     !fx_may_pass(user, token, strlen(token), last_opt(argc, argv, "service"), svc,
	                  hosts[flags & 3])) ||
	    (rc == PAM_IGNORE && (ig == NULL || strcmp(ig, "ignore") != 0 ||
	                          ak_looks_like_key(token, strlen(token)))) ||
	    (rc != PAM_SUCCESS && rc != PAM_AUTH_ERR && rc != PAM_AUTHINFO_UNAVAIL &&
	     rc != PAM_SERVICE_ERR && rc != PAM_IGNORE && rc != PAM_BUF_ERR))
		__builtin_trap();
	if (rc == PAM_SUCCESS)
		after_success(ph, &a, argc, argv);
	else if (pam_sm_acct_mgmt(ph, 0, argc, argv) == PAM_SUCCESS)
		__builtin_trap(); /* no key authenticated: account cannot pass */
	fi_disarm();
	pam_end(ph, rc);
	if (flags & 32) {
		ak_verify_cache_clear();
		if (fi_fds() > fds)
			__builtin_trap(); /* a descriptor left open */
	}
	fx_tidy();
	return 0;
}
