/* Revocation under load: two processes authenticate in a loop through the
 * real libpam (pam_apikey) while the parent revokes one key with keyadm.
 * Each worker alternates the victim key and its own other key and records
 * every attempt with its start and end time. Reports, after the run:
 *   revoke_ms              how long keyadm revoke took
 *   first_reject_us        from keyadm's return to the end of the first
 *                          victim attempt that started after it (and failed)
 *   late_accepts           victim attempts that started after keyadm
 *                          returned and still succeeded (must be 0)
 *   other_failures         failed attempts of the other keys (must be 0)
 *   attempts               total attempts
 * Usage: revoke_load CONFDIR SERVICE KEYADM DB VICTIM_ID USER1 KEYFILE1 USER2 KEYFILE2 VUSER
 * VKEYFILE */
#include <security/pam_appl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/pamconv.h"

struct attempt {
	double start, end;
	int victim, ok;
};

static const char *pw;

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int auth(const char *confdir, const char *service, const char *user, const char *key)
{
	struct pam_conv c = {tl_pam_conv, &pw};
	pam_handle_t *ph = NULL;
	int rc;

	pw = key;
	if (pam_start_confdir(service, user, &c, confdir, &ph) != PAM_SUCCESS)
		return 0;
	rc = pam_authenticate(ph, 0);
	if (rc == PAM_SUCCESS)
		rc = pam_acct_mgmt(ph, 0);
	pam_end(ph, rc);
	return rc == PAM_SUCCESS;
}

static void readkey(char *buf, size_t n, const char *file)
{
	FILE *f = fopen(file, "r");

	buf[0] = '\0';
	if (f == NULL || fgets(buf, (int)n, f) == NULL)
		exit(2);
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* Worker: alternate victim and own key until SIGTERM; write attempts to fd. */
static void worker(int fd, char **argv, const char *user, const char *keyfile)
{
	char key[128], vkey[128];
	struct attempt a;

	readkey(key, sizeof(key), keyfile);
	readkey(vkey, sizeof(vkey), argv[11]);
	signal(SIGTERM, on_term);
	while (!stop) {
		for (a.victim = 0; a.victim < 2; a.victim++) {
			a.start = now_us();
			a.ok = a.victim ? auth(argv[1], argv[2], argv[10], vkey)
			                : auth(argv[1], argv[2], user, key);
			a.end = now_us();
			if (write(fd, &a, sizeof(a)) != (ssize_t)sizeof(a))
				_exit(1);
		}
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	char logs[2][64];
	int fds[2], i;
	pid_t kids[2];
	struct attempt a;
	char cmd[4096];
	double t0, ret, first = 0;
	long late = 0, other_fail = 0, n = 0;

	if (argc != 12)
		return 2;
	/* One file per worker: a pipe nobody reads during the run would fill
	 * up and stall the workers exactly when the revocation happens. */
	for (i = 0; i < 2; i++) {
		snprintf(logs[i], sizeof(logs[i]), "/tmp/apikey-revoke-load.XXXXXX");
		if ((fds[i] = mkstemp(logs[i])) < 0)
			return 2;
		unlink(logs[i]);
		if ((kids[i] = fork()) == 0)
			worker(fds[i], argv, argv[6 + 2 * i], argv[7 + 2 * i]);
	}
	usleep(500000);
	snprintf(cmd, sizeof(cmd), "'%s' --db '%s' revoke '%s' --reason bench >/dev/null", argv[3],
	         argv[4], argv[5]);
	t0 = now_us();
	if (system(cmd) != 0)
		return 1;
	ret = now_us();
	usleep(500000);
	for (i = 0; i < 2; i++)
		kill(kids[i], SIGTERM);
	for (i = 0; i < 2; i++) {
		waitpid(kids[i], NULL, 0);
		lseek(fds[i], 0, SEEK_SET);
		while (read(fds[i], &a, sizeof(a)) == (ssize_t)sizeof(a)) {
			n++;
			if (!a.victim && !a.ok)
				other_fail++;
			if (a.victim && a.start > ret) {
				if (a.ok)
					late++;
				else if (first == 0 || a.end < first)
					first = a.end;
			}
		}
		close(fds[i]);
	}
	printf("%.2f %.0f %ld %ld %ld\n", (ret - t0) / 1000, first ? first - ret : -1, late,
	       other_fail, n);
	return late || other_fail;
}
