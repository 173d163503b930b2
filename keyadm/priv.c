/* keyadm installed setuid root: self-service. The caller is the real uid
 * and nothing it controls (environment, --db, --config, resource limits)
 * may redirect the store or stop a write. Privileges are dropped at once
 * and raised only to open the store and around a transaction: raised,
 * every uid and gid is root's, so the kernel refuses the caller's kill(2)
 * and ptrace(2) while the writers' lock is held. */
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keyadm.h"

static int is_setuid;
static uid_t real_uid, priv_uid;
static gid_t real_gid;
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

/* Limits the caller set must not end a write half way: a CPU or file
 * size limit kills with SIGXCPU/SIGXFSZ (between the rename and the
 * syslog line, say), a small memory or descriptor limit makes syslog(3)
 * drop its line. No core image either: keyadm holds keys. */
static void limits_reset(void)
{
	static const int unlimited[] = {RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_DATA, RLIMIT_AS};
	struct rlimit inf = {RLIM_INFINITY, RLIM_INFINITY}, none = {0, 0}, fds = {1024, 1024};
	struct rlimit now;
	size_t i;

	for (i = 0; i < sizeof(unlimited) / sizeof(unlimited[0]); i++)
		if (setrlimit(unlimited[i], &inf) != 0)
			exit(KA_EXIT_FAIL); /* fail safe */
	if (getrlimit(RLIMIT_NOFILE, &now) != 0)
		exit(KA_EXIT_FAIL); /* fail safe */
	if (now.rlim_max > fds.rlim_max)
		fds.rlim_max = now.rlim_max; /* raise the soft limit, never lower the hard one */
	if ((now.rlim_cur < fds.rlim_cur && setrlimit(RLIMIT_NOFILE, &fds) != 0) ||
	    setrlimit(RLIMIT_CORE, &none) != 0)
		exit(KA_EXIT_FAIL); /* fail safe */
}

/* MUST follow every change of credentials: the kernel then resets the
 * flag to fs.suid_dumpable, and a dumpable process can be traced by its
 * real uid and dumps its memory (keys) to a core file. */
static void not_dumpable(void)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		exit(KA_EXIT_FAIL); /* fail safe */
}

/* First thing in main: before any option or variable is looked at. */
void ka_priv_init(void)
{
	const struct passwd *pw;

	not_dumpable(); /* root's keyadm too: no core image holding keys */
	real_uid = getuid();
	real_gid = getgid();
	priv_uid = geteuid();
	if (real_uid == priv_uid)
		return;
	is_setuid = 1;
	fds_open();
	umask(077);
	if (priv_uid != 0)
		ka_die(KA_EXIT_FAIL, "a setuid keyadm must be owned by root");
	limits_reset();
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

/* Every uid and gid root's: the caller's uid is none of ours, so the
 * kernel refuses its signals (even SIGSTOP) and ptrace. */
void ka_priv_raise(void)
{
	if (!is_setuid)
		return;
	if (setresuid(0, 0, 0) != 0 || setresgid(0, 0, 0) != 0)
		ka_die(KA_EXIT_FAIL, "cannot regain privileges");
	not_dumpable();
}

/* Back to the caller's uid and gid, keeping root as the saved uid only
 * (to raise again). Idempotent. */
void ka_priv_drop(void)
{
	if (!is_setuid)
		return;
	if ((geteuid() == 0 && setresgid(real_gid, real_gid, real_gid) != 0) ||
	    setresuid(real_uid, real_uid, 0) != 0)
		exit(KA_EXIT_FAIL); /* fail safe: never go on privileged */
	not_dumpable();
}

static int allowed_cmd(const char *cmd)
{
	static const char *const ok[] = {"create", "list",   "show",   "disable",
	                                 "enable", "rotate", "revoke", "verify"};
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
		         "rotate, revoke, verify)",
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
