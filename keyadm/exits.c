/* keyadm helpers: dying with the right exit code, the actor, opening the
 * store, transactions that never outlive an error, checked input. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "keyadm.h"

/* The one open transaction, aborted (copy removed, lock released) by any
 * exit on an error path. */
static struct ak_txn *open_txn;
/* Its store and first audit entry of its own, for the syslog lines. */
static const char *open_db;
static uint64_t open_from;
/* A buffer holding a key, wiped by any exit on an error path. */
static void *secret_buf;
static size_t secret_len;

void ka_secret_hold(void *buf, size_t len)
{
	secret_buf = buf;
	secret_len = len;
}

void ka_secret_wipe(void)
{
	if (secret_buf != NULL)
		sodium_memzero(secret_buf, secret_len);
	secret_buf = NULL;
	secret_len = 0;
}

/* What KA_EXIT_FAIL means for this command (scan: its own error code). */
static int fail_code = KA_EXIT_FAIL;

void ka_fail_code(int code)
{
	fail_code = code;
}

/* While the writers' lock may be held: the signals a terminal or the
 * caller's own processes can send wait (^C, ^Z, a hang-up, a closed
 * pipe), and what this process writes waits in memory. A change is
 * never cut between the rename and its syslog line. */
static sigset_t sig_saved;
static int sig_held;

static void writing_begin(void)
{
	static const int held[] = {SIGINT,  SIGQUIT, SIGTSTP, SIGTTIN,   SIGTTOU,
	                           SIGHUP,  SIGTERM, SIGPIPE, SIGUSR1,   SIGUSR2,
	                           SIGALRM, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF};
	sigset_t set;
	size_t i;

	ka_output_hold();
	sigemptyset(&set);
	for (i = 0; i < sizeof(held) / sizeof(held[0]); i++)
		sigaddset(&set, held[i]);
	if (!sig_held && sigprocmask(SIG_BLOCK, &set, &sig_saved) != 0)
		ka_die(KA_EXIT_FAIL, "cannot block signals: %s", strerror(errno));
	sig_held = 1;
	ka_priv_raise(); /* self-service: privileged until commit or abort */
}

/* After the lock is released (and the syslog lines sent): the caller's
 * uid again, then the signals, then the output. Idempotent; -1 when the
 * output held back could not be written. */
static int writing_end(void)
{
	ka_priv_drop();
	if (sig_held) {
		sig_held = 0;
		sigprocmask(SIG_SETMASK, &sig_saved, NULL);
	}
	return ka_output_release();
}

/* Every error exit: wipe, abort the transaction, leave. */
static __attribute__((noreturn)) void leave(int code)
{
	ka_secret_wipe();
	ak_txn_abort(open_txn);
	open_txn = NULL;
	(void)writing_end();
	ka_hooks_wait(); /* a change committed before the error still runs them */
	exit(code == KA_EXIT_FAIL ? fail_code : code);
}

static void vwarn(const char *fmt, va_list ap)
{
	fputs("keyadm: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void ka_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

void ka_die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	leave(code);
}

void ka_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	leave(KA_EXIT_USAGE);
}

/* The core's messages never hold a key, a secret or a hash. */
void ka_die_err(const struct ak_error *e)
{
	int code = KA_EXIT_FAIL;

	if (e->code == AK_E_NOENT)
		code = KA_EXIT_NOENT;
	ka_die(code, "%s", e->msg[0] ? e->msg : "failed");
}

/* "alice"; a root shell opened with sudo is "root via sudo: alice". */
void ka_actor(char *out, size_t cap)
{
	const struct passwd *pw = getpwuid(getuid());
	const char *su = getenv("SUDO_USER"), *suid = getenv("SUDO_UID");

	if (pw != NULL && pw->pw_name != NULL && ak_text_valid(pw->pw_name, AK_USER_MAX))
		snprintf(out, cap, "%s", pw->pw_name);
	else
		snprintf(out, cap, "uid %u", (unsigned)getuid());
	if (getuid() == 0 && su != NULL && suid != NULL && ak_user_valid(su))
		snprintf(out, cap, "root via sudo: %s", su);
}

struct ak_store *ka_store_open(const struct ka_ctx *c)
{
	struct ak_error e = {AK_OK, ""};
	struct ak_store *st = NULL;
	struct stat sb;
	int rc;

	ka_priv_raise(); /* self-service: only around opening the store */
	/* stat, not access(2), which would ask for the real uid */
	if (stat(c->db, &sb) != 0 && errno == ENOENT) {
		ka_priv_drop();
		ka_die(KA_EXIT_FAIL, "%s: no key store (create one with keyadm init)", c->db);
	}
	rc = ak_store_open(&st, c->db, geteuid(), &e);
	ka_priv_drop();
	if (rc != 0)
		ka_die(KA_EXIT_FAIL, "%s", e.msg);
	return st;
}

/* The store is opened read-only first so that a missing, untrusted or
 * corrupt store is refused before anything (even a lock file) is made. */
/* MUST: a replica's keys change only by keyadm install, from its primary. */
void ka_refuse_replica(const struct ka_ctx *c, const struct ak_meta *m)
{
	if (m->fleet_role == AK_ROLE_REPLICA)
		ka_die(KA_EXIT_FAIL,
		       "%s: this store is a replica of %s: make the change on the primary, %s "
		       "(nothing was changed)",
		       c->db, m->origin, m->origin);
}

static struct ak_txn *txn_begin(const struct ka_ctx *c, int replica_ok)
{
	struct ak_error e = {AK_OK, ""};
	struct ak_store *st;

	ka_hooks_wait(); /* the hooks of an earlier change run first */
	st = ka_store_open(c);
	if (!replica_ok)
		ka_refuse_replica(c, ak_store_meta(st));
	ak_store_close(st);
	writing_begin();
	if (ak_txn_begin(&open_txn, c->db, geteuid(), c->actor, &e) != 0)
		ka_die(KA_EXIT_FAIL, "%s", e.msg);
	/* again under the lock: the store may have become a replica since */
	if (!replica_ok)
		ka_refuse_replica(c, ak_store_meta(ak_txn_store(open_txn)));
	open_db = c->db;
	open_from = ak_store_meta(ak_txn_store(open_txn))->audit_seq + 1;
	return open_txn;
}

struct ak_txn *ka_txn_begin(const struct ka_ctx *c)
{
	return txn_begin(c, 0);
}

/* keyadm promote: the one change a replica's store takes locally. */
struct ak_txn *ka_txn_begin_replica(const struct ka_ctx *c)
{
	return txn_begin(c, 1);
}

/* A transaction on a new empty store that replaces (or creates) c->db. */
struct ak_txn *ka_txn_begin_new(const struct ka_ctx *c, gid_t group)
{
	struct ak_error e = {AK_OK, ""};

	ka_hooks_wait();
	writing_begin();
	if (ak_txn_begin_new(&open_txn, c->db, geteuid(), c->actor, group, &e) != 0)
		ka_die(KA_EXIT_FAIL, "%s (nothing was changed)", e.msg);
	open_db = c->db;
	open_from = 1;
	return open_txn;
}

void ka_txn_commit(struct ak_txn *t)
{
	struct ak_error e = {AK_OK, ""};
	int rc;

	ka_changes_collect(ak_txn_store(t), open_from, open_db);
	ka_hooks_start(open_db, open_from, ak_store_meta(ak_txn_store(t))->generation + 1);
	open_txn = NULL;
	rc = ak_txn_commit(t, &e);
	if (rc != 0) {
		ka_hooks_cancel();
		ka_die(KA_EXIT_FAIL, "%s (nothing was changed)", e.msg);
	}
	if (e.code != AK_OK)
		ka_warn("%s", e.msg);
	ka_changes_log(); /* MUST come before writing_end: never cut off */
	ka_hooks_committed();
	if (writing_end() != 0)
		ka_die(KA_EXIT_FAIL, "the change is made but its output could not be written");
}

/* Nothing to change: no write at all. */
void ka_txn_abort_quiet(struct ak_txn *t)
{
	open_txn = NULL;
	ak_txn_abort(t);
	if (writing_end() != 0)
		ka_die(KA_EXIT_FAIL, "cannot write the output");
}

void ka_txn_fail(struct ak_txn *t, const struct ak_error *e)
{
	(void)t; /* ka_die aborts the open transaction */
	ka_die(e->code == AK_E_NOENT ? KA_EXIT_NOENT : KA_EXIT_FAIL, "%s (nothing was changed)",
	       e->msg[0] ? e->msg : "failed");
}

/* An id is repeated in messages only once it is known to be one: a key
 * pasted by mistake must not be echoed to a terminal or a log. */
void ka_check_id(const char *id)
{
	if (ak_id_valid(id))
		return;
	if (ak_looks_like_key(id, strlen(id)))
		ka_usage("that is a full key, not an id: never put a key on the command line "
		         "(use revoke --key FILE, or the %d characters between the underscores)",
		         AK_ID_LEN);
	ka_usage("not a key id (%d letters and digits)", AK_ID_LEN);
}

void ka_check_user(const char *user)
{
	if (!ak_user_valid(user))
		ka_usage("invalid user name (1 to %d of A-Z a-z 0-9 . _ - @, not starting with "
		         "- + . @)",
		         AK_USER_MAX);
}

/* Not a refusal: a Dovecot or Postfix virtual user is in no passwd
 * database and still logs in with a key. A typo is caught here. */
void ka_warn_not_passwd(const char *user, size_t line)
{
	char at[48] = "";

	if (line != 0)
		snprintf(at, sizeof(at), " (stdin line %zu)", line);
	ka_warn("warning: %s%s is not in the passwd database (getent passwd): the key is made "
	        "all the same, as for a virtual mail user",
	        user, at);
}

void ka_check_text(const char *what, const char *s, size_t max)
{
	if (*s == '\0' || !ak_text_valid(s, max))
		ka_usage("invalid %s (1 to %zu bytes of UTF-8 without control characters, bidi "
		         "controls or line separators): nothing was changed",
		         what, max);
}

/* A duration option (what: "--grace"), the parser apikey.conf uses too. */
int64_t ka_duration(const char *what, const char *s)
{
	int64_t ms;

	if (ak_parse_duration(&ms, s) != 0)
		ka_usage("invalid %s: %s", what, ak_duration_help(s));
	return ms;
}

/* A future time: a duration from now or a date. */
int64_t ka_when(const struct ka_ctx *c, const char *s)
{
	int64_t ms;

	if (ak_parse_when(&ms, s, c->now) != 0)
		ka_usage("invalid time: %s, nor a date (2027-01-31, 2027-01-31T12:00:00Z)",
		         ak_duration_help(s));
	if (ms <= c->now)
		ka_usage("that time is in the past");
	return ms;
}

/* Reads all of fd into buf (cap bytes, at most KA_INPUT_MAX used); too
 * much input is refused. Returns the length, one trailing newline
 * stripped. The caller MUST wipe buf. */
size_t ka_read_input(char *buf, size_t cap, int fd)
{
	size_t len = 0;
	ssize_t n;

	for (;;) {
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			sodium_memzero(buf, cap);
			ka_die(KA_EXIT_FAIL, "cannot read the key: %s", strerror(errno));
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > KA_INPUT_MAX || len == cap) {
			sodium_memzero(buf, cap);
			ka_usage("input too long (a key is at most %d bytes)", AK_KEY_MAX);
		}
	}
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	return len;
}

int ka_open_input(const char *path)
{
	int fd;

	if (strcmp(path, "-") == 0)
		return STDIN_FILENO;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		ka_die(KA_EXIT_FAIL, "cannot open the key file: %s", strerror(errno));
	return fd;
}

/* A key of the transaction's store; a missing id is reported (not fatal).
 * MUST: in self-service another user's key is missing, exactly like an id
 * that does not exist, so that ids of others do not leak. */
int ka_key_lookup(struct ak_txn *t, struct ak_key *k, const char *id)
{
	struct ak_error e = {AK_OK, ""};
	int rc = ak_store_get_key(k, ak_txn_store(t), id, &e);

	if (rc != 0 && e.code == AK_E_NOENT)
		return -1;
	if (rc != 0)
		ka_txn_fail(t, &e);
	if (ka_self() != NULL && strcmp(k->owner, ka_self()) != 0) {
		memset(k, 0, sizeof(*k));
		return -1;
	}
	return 0;
}

/* --since: a duration means that long ago, a date means that date. */
int64_t ka_since(const struct ka_ctx *c, const char *s)
{
	int64_t d;

	if (ak_parse_duration(&d, s) == 0)
		return c->now - d;
	if (ak_parse_when(&d, s, c->now) != 0)
		ka_usage("invalid --since: %s, nor a date (2027-01-31)", ak_duration_help(s));
	return d;
}
