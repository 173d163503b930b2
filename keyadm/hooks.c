/* Change hooks, keyadm's side: the facts of a committed change and the
 * supervisor that runs the hooks. The facts are taken from the audit
 * entries of the change, never from the caller. The supervisor is forked
 * before the rename, while the transaction holds the store's lock, and
 * detaches at once: root in every id, its own session, no descriptor,
 * variable, signal disposition, limit or directory of the caller's. It
 * runs the hooks when keyadm says the change is committed, or, should
 * keyadm be killed before it says so, after checking the store for the
 * change itself: a self-service caller cannot skip the hooks either. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "keyadm.h"
#include "hooks.h"

static struct ka_hook_facts hf = {.lines = -1};
static const char *hooks_dir = KA_HOOKS_DIR;
static int hooks_set;      /* hooks_dir came from apikey.conf */
static int off;            /* no hooks directory: nothing to do */
static int go_fd = -1;     /* to the supervisor: 'c' committed */
static int status_fd = -1; /* from the supervisor: warnings */
static pid_t sup = -1;
static char buf[65536]; /* lines not yet written to hf.lines */
static size_t buf_len;

void ka_hooks_reset(void)
{
	if (hf.lines >= 0)
		close(hf.lines);
	memset(&hf, 0, sizeof(hf));
	hf.lines = -1;
	buf_len = 0;
}

void ka_hooks_config(const char *dir)
{
	if (dir != NULL && dir[0] != '\0') {
		hooks_dir = dir;
		hooks_set = 1;
	}
}

static void flush_lines(void)
{
	size_t done = 0;
	ssize_t n;

	while (done < buf_len) {
		n = write(hf.lines, buf + done, buf_len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ka_warn("the change hooks will not run: cannot buffer the change: %s",
			        strerror(errno));
			close(hf.lines);
			hf.lines = -1;
			off = 1;
			break;
		}
		done += (size_t)n;
	}
	buf_len = 0;
}

/* Called with the privileges of the transaction: a hooks directory that
 * only root can read is seen. */
static int hooks_wanted(void)
{
	struct stat sb;

	if (off)
		return 0;
	if (hf.lines >= 0)
		return 1;
	if (lstat(hooks_dir, &sb) != 0 && errno == ENOENT && !hooks_set) {
		off = 1;
		return 0;
	}
	hf.lines = memfd_create("keyadm-change", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (hf.lines < 0) {
		ka_warn("the change hooks will not run: %s", strerror(errno));
		off = 1;
		return 0;
	}
	return 1;
}

/* One audit entry of the change: ACTION<TAB>KEY_ID<TAB>USER for a key;
 * a store-wide entry (init) only names the action. */
void ka_hooks_note(const struct ak_audit *a)
{
	int n;

	if (!hooks_wanted())
		return;
	if (hf.count == 0 && hf.action[0] == '\0') {
		hf.first = *a;
		snprintf(hf.action, sizeof(hf.action), "%s", a->action);
	}
	if (a->id[0] == '\0')
		return;
	if (hf.count == 0) {
		snprintf(hf.id, sizeof(hf.id), "%s", a->id);
		snprintf(hf.user, sizeof(hf.user), "%s", a->owner);
	}
	hf.count++;
	if (sizeof(buf) - buf_len < AK_ACTION_MAX + AK_ID_LEN + AK_USER_MAX + 4)
		flush_lines();
	n = snprintf(buf + buf_len, sizeof(buf) - buf_len, "%s\t%s\t%s\n", a->action, a->id,
	             a->owner);
	buf_len += (size_t)n;
}

/* Reads warnings from the supervisor until it is done. */
void ka_hooks_wait(void)
{
	char msg[512];
	ssize_t n;
	int st = 0;

	if (sup < 0)
		return;
	fflush(stdout);
	if (go_fd >= 0)
		close(go_fd); /* not committed: the supervisor checks the store */
	go_fd = -1;
	while ((n = read(status_fd, msg, sizeof(msg) - 1)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		fwrite(msg, 1, (size_t)n, stderr);
	}
	close(status_fd);
	status_fd = -1;
	while ((n = waitpid(sup, &st, 0)) < 0 && errno == EINTR)
		;
	if (n > 0 && (!WIFEXITED(st) || WEXITSTATUS(st) != 0))
		ka_warn("warning: the change hooks could not be run");
	sup = -1;
}

/* Before the rename, privileged: forks the supervisor with the facts. */
void ka_hooks_start(const char *db, uint64_t from, uint64_t generation)
{
	int go[2], status[2];

	if (hf.action[0] == '\0' || !hooks_wanted())
		return;
	flush_lines();
	if (hf.lines < 0)
		return;
	(void)fcntl(hf.lines, F_ADD_SEALS,
	            F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
	hf.generation = generation;
	hf.from = from;
	snprintf(hf.db, sizeof(hf.db), "%s", db);
	snprintf(hf.dir, sizeof(hf.dir), "%s", hooks_dir);
	hf.dir_set = hooks_set;
	if (pipe2(go, O_CLOEXEC) != 0 || pipe2(status, O_CLOEXEC) != 0) {
		ka_warn("the change hooks will not run: %s", strerror(errno));
		return;
	}
	fflush(stdout);
	fflush(stderr);
	signal(SIGCHLD, SIG_DFL); /* a caller's SIG_IGN would reap it unseen */
	sup = fork();
	if (sup == 0) {
		ka_secret_wipe(); /* a new key is not the supervisor's to keep */
		ka_hooks_supervise(&hf, go[0], status[1]);
		_exit(0);
	}
	close(go[0]);
	close(status[1]);
	if (sup < 0) {
		ka_warn("the change hooks will not run: %s", strerror(errno));
		close(go[1]);
		close(status[0]);
		return;
	}
	go_fd = go[1];
	status_fd = status[0];
}

static void drop_pending_sigpipe(void)
{
	struct timespec now = {0, 0};
	sigset_t pipe_only, pending;

	sigemptyset(&pipe_only);
	sigaddset(&pipe_only, SIGPIPE);
	if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE))
		(void)sigtimedwait(&pipe_only, NULL, &now);
}

/* Tells the supervisor: 'c', committed. */
static void tell(char what)
{
	ssize_t n;

	void (*was)(int);

	if (go_fd < 0)
		return;
	was = signal(SIGPIPE, SIG_IGN); /* a supervisor that died is no reason to */
	do
		n = write(go_fd, &what, 1);
	while (n < 0 && errno == EINTR);
	/* A writer holds SIGPIPE blocked until its syslog lines are out: a
	 * blocked signal is queued even when ignored, so take it back. */
	if (n < 0 && errno == EPIPE)
		drop_pending_sigpipe();
	signal(SIGPIPE, was);
	close(go_fd);
	go_fd = -1;
}

/* After the rename, the syslog lines and the lock's release. */
void ka_hooks_committed(void)
{
	tell('c');
	ka_hooks_reset();
}

/* The commit failed, before the rename or (syncing the directory) after
 * it: the supervisor looks in the store for the change. */
void ka_hooks_cancel(void)
{
	ka_hooks_wait();
}
