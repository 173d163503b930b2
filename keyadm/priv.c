/* keyadm installed setuid root: self-service. The caller is the real uid
 * and nothing it controls (environment, --db, --config) may redirect the
 * store. Privileges are dropped at once and raised only to open the store
 * and around a transaction. */
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keyadm.h"

static int is_setuid;
static uid_t real_uid, priv_uid;
static char self_name[AK_USER_MAX + 1];
static const char *self; /* NULL unless self-service */

int ka_priv_setuid(void)
{
	return is_setuid;
}

const char *ka_self(void)
{
	return self;
}

/* A closed 0, 1 or 2 would let the store be opened as stderr. */
static void fds_open(void)
{
	int fd;

	for (fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			exit(KA_EXIT_FAIL); /* fail safe */
}

/* First thing in main: before any option or variable is looked at. */
void ka_priv_init(void)
{
	const struct passwd *pw;

	real_uid = getuid();
	priv_uid = geteuid();
	if (real_uid == priv_uid)
		return;
	is_setuid = 1;
	fds_open();
	umask(077);
	if (getenv("APIKEY_DB") != NULL || getenv("APIKEY_CONFIG") != NULL)
		ka_usage("APIKEY_DB and APIKEY_CONFIG are refused: a setuid keyadm uses only the "
		         "store named in %s",
		         KA_SYSCONF);
	if (clearenv() != 0)
		exit(KA_EXIT_FAIL); /* fail safe */
	pw = getpwuid(real_uid);
	if (pw == NULL || pw->pw_name == NULL || !ak_user_valid(pw->pw_name) ||
	    strlen(pw->pw_name) >= sizeof(self_name))
		ka_die(KA_EXIT_FAIL, "cannot identify the calling user (uid %u): refused",
		       (unsigned)real_uid);
	memcpy(self_name, pw->pw_name, strlen(pw->pw_name) + 1);
	ka_priv_drop();
}

void ka_priv_raise(void)
{
	if (is_setuid && seteuid(priv_uid) != 0)
		ka_die(KA_EXIT_FAIL, "cannot regain privileges");
}

void ka_priv_drop(void)
{
	if (is_setuid && seteuid(real_uid) != 0)
		exit(KA_EXIT_FAIL); /* fail safe: never go on privileged */
}

static int allowed_cmd(const char *cmd)
{
	static const char *const ok[] = {"create", "list",   "show",   "disable", "enable",
	                                 "rotate", "revoke", "verify", "sessions"};
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(cmd, ok[i]) == 0)
			return 1;
	return 0;
}

/* A user named on the command line must be the caller. */
static void own_user(const char *user)
{
	if (user != NULL && strcmp(user, self_name) != 0)
		ka_usage("you can manage only your own keys (you are %s)", self_name);
}

/* After the options are parsed: what a self-service caller may do. */
void ka_self_check(struct ka_ctx *c)
{
	const struct ka_opts *o = c->o;

	if (!is_setuid)
		return;
	if (o->db != NULL || o->config != NULL)
		ka_usage("--db and --config are refused: a setuid keyadm uses only the store "
		         "named in %s",
		         KA_SYSCONF);
	ka_priv_raise();
	ka_conf_load(&c->pol, KA_SYSCONF, 0);
	ka_priv_drop();
	if (!c->pol.self_service)
		ka_die(KA_EXIT_FAIL, "self-service is not enabled (self_service in %s): ask root",
		       KA_SYSCONF);
	if (!allowed_cmd(o->cmd))
		ka_usage("%s is for root only (self-service: create, list, show, disable, enable, "
		         "rotate, revoke, verify, sessions)",
		         o->cmd);
	if (o->batch || o->record)
		ka_usage("%s is for root only", o->batch ? "create --batch" : "verify --record");
	own_user(o->user);
	if (strcmp(o->cmd, "revoke") != 0 && strcmp(o->cmd, "disable") != 0 &&
	    strcmp(o->cmd, "enable") != 0 && strcmp(o->cmd, "rotate") != 0 &&
	    strcmp(o->cmd, "show") != 0)
		own_user(o->n_args ? o->args[0] : NULL);
	c->db = c->pol.store[0] ? c->pol.store : AK_DEFAULT_DB;
	self = self_name;
	c->self = self;
}
