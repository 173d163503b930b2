/* Unit tests of the events file: the policy of the services, append, read
 * back, hostile lines, FIFOs and directories in its place (common/events.c). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "tap.h"
#include "unit.h"

static int collect_event(const struct ak_event *ev, void *ctx)
{
	struct ak_event *all = ctx;
	int i;

	for (i = 0; i < 3 && all[i].time_ms != 0; i++)
		;
	if (i < 3)
		all[i] = *ev;
	return 0;
}

static void test_events(void)
{
	char path[600];
	struct ak_verify_req req = {"alice", NULL, 0, "sshd", "192.0.2.1", 1700000000000};
	struct ak_verify_req hostile = {"ev\til\nuser\xff", NULL, 0, "s s", "", 1700000000001};
	struct ak_verify_res res = {AK_REVOKED, "AAAAAAAAAAAA", "alice", 0};
	static const char junk[] = "garbage\tline\n1\tNOPE\t-\t-\t-\t-\n";
	struct ak_event all[3];
	struct ak_error e;
	size_t bad = 0;
	int fd;

	ok(ak_events_path(path, sizeof(path), "/var/lib/apikey/keys.db") == 0 &&
	           strcmp(path, "/var/lib/apikey/keys.events") == 0,
	   "events file beside the store");
	snprintf(path, sizeof(path), "%s/keys.events", dir);
	ok(ak_event_append(path, &req, &res, &e) != 0,
	   "a missing events file is an error, not created");
	fd = open(path, O_CREAT | O_WRONLY, 0660);
	close(fd);
	ok(ak_event_append(path, &req, &res, &e) == 0, "event appended");
	res.result = AK_MALFORMED;
	res.id[0] = '\0';
	ok(ak_event_append(path, &hostile, &res, &e) == 0, "event with hostile fields appended");
	fd = open(path, O_WRONLY | O_APPEND);
	if (write(fd, junk, strlen(junk)) != (ssize_t)strlen(junk))
		printf("# short write\n");
	close(fd);
	memset(all, 0, sizeof(all));
	ok(ak_events_each(&bad, path, collect_event, all, &e) == 0, "events read back");
	ok(all[0].result == AK_REVOKED && strcmp(all[0].id, "AAAAAAAAAAAA") == 0 &&
	           strcmp(all[0].user, "alice") == 0 && strcmp(all[0].source, "192.0.2.1") == 0,
	   "fields survive the round trip");
	ok(all[1].result == AK_MALFORMED && strcmp(all[1].user, "-") == 0 &&
	           strcmp(all[1].service, "s_s") == 0 && strcmp(all[1].source, "-") == 0 &&
	           all[1].id[0] == '\0',
	   "tabs, newlines and non-ASCII bytes cannot split or forge fields; a rejected invalid "
	   "user name is not recorded");
	is_int(bad, 2, "malformed lines are counted, not trusted");
	ok(all[2].time_ms == 0, "no third event");
}

/* Found by fuzz/fuzz_events: a NUL byte in one line made the reader
 * swallow the next (corpus/events/nul), so a writer in the services'
 * group could hide an event from keyadm; a seventh field ended up inside
 * the source (corpus/events/seven-fields). */
static void test_events_hostile(void)
{
	static const char lines[] = "1\tVALID\0\n"
	                            "1\tVALID\t-\tbob\tsmtp\t::1\tVALID\n"
	                            "1700000000000\tREVOKED\tAAAAAAAAAAAA\talice\tsshd\t-\n"
	                            "1700000000001\tVALID\t-\tbob\tsmtp\t-";
	char path[600];
	struct ak_event all[3];
	struct ak_error e;
	size_t bad = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/nul.events", dir);
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0660);
	if (write(fd, lines, sizeof(lines) - 1) != (ssize_t)sizeof(lines) - 1)
		printf("# short write\n");
	close(fd);
	memset(all, 0, sizeof(all));
	ok(ak_events_each(&bad, path, collect_event, all, &e) == 0 && all[0].result == AK_REVOKED &&
	           all[1].time_ms == 0,
	   "a line with a NUL byte does not hide the next");
	is_int(bad, 2,
	       "it is one bad line, as are seven fields; an unterminated tail (a write in "
	       "progress) is neither read nor counted");
	unlink(path);
}

/* A FIFO or a directory in the events file's place: the writer (inside a
 * login) and the reader (keyadm) each refuse it at once. Before, a FIFO
 * with no reader held every login in open(2), and keyadm with it; alarm()
 * in main turns a hang back into a failed test. */
static void test_events_not_a_file(void)
{
	struct ak_verify_req req = {"alice", NULL, 0, "sshd", "192.0.2.1", 1700000000000};
	struct ak_verify_res res = {AK_VALID, "AAAAAAAAAAAA", "alice", 0};
	struct ak_event all[3];
	struct ak_error e;
	char path[600], buf[64];
	size_t bad = 0;
	int rfd;

	snprintf(path, sizeof(path), "%s/fifo.events", dir);
	ok(mkfifo(path, 0660) == 0, "a FIFO in the events file's place");
	ok(ak_event_append(path, &req, &res, &e) != 0 && e.code == AK_E_IO,
	   "append to a FIFO nobody reads fails at once");
	rfd = open(path, O_RDONLY | O_NONBLOCK);
	ok(ak_event_append(path, &req, &res, &e) != 0 && e.code == AK_E_UNTRUSTED,
	   "append to a FIFO being read is refused: not a regular file");
	ok(read(rfd, buf, sizeof(buf)) <= 0, "and nothing went into the FIFO");
	memset(all, 0, sizeof(all));
	is_int(code_of(ak_events_each(&bad, path, collect_event, all, &e), &e), AK_E_UNTRUSTED,
	       "reading a FIFO is refused, not waited on");
	close(rfd);
	is_int(code_of(ak_events_each(&bad, path, collect_event, all, &e), &e), AK_E_UNTRUSTED,
	       "also with no writer");
	ok(all[0].time_ms == 0 && bad == 0, "no event seen in a FIFO");
	unlink(path);
	ok(mkdir(path, 0770) == 0, "a directory in the events file's place");
	ok(ak_event_append(path, &req, &res, &e) != 0, "append to a directory fails");
	is_int(code_of(ak_events_each(&bad, path, collect_event, all, &e), &e), AK_E_UNTRUSTED,
	       "reading a directory is refused, not taken for an empty file");
	rmdir(path);
	is_int(code_of(ak_events_each(&bad, path, collect_event, all, &e), &e), AK_E_NOENT,
	       "a missing file is AK_E_NOENT");
}

/* The events policy of PAM, SASL and keyadm (ak_events_choose) and the
 * services' append (ak_event_record): no setting is the file beside the
 * store, whose absence is silent; "none" is off; a named file must exist,
 * and a failure is reported once per process. */
static void test_events_policy(void)
{
	struct ak_verify_req req = {"alice", NULL, 0, "sshd", "192.0.2.1", 1700000000000};
	struct ak_verify_res res = {AK_VALID, "AAAAAAAAAAAA", "alice", 0};
	char store[600], beside[600], named[600], out[700], big[5000];
	struct ak_error e = {AK_OK, ""};
	struct stat sb;
	int off = -1, report = -1, fd;

	snprintf(store, sizeof(store), "%s/policy.db", dir);
	snprintf(beside, sizeof(beside), "%s/policy.events", dir);
	snprintf(named, sizeof(named), "%s/named.events", dir);
	ok(ak_events_choose(out, sizeof(out), &off, NULL, store, &e) == 0 && off == 0 &&
	           strcmp(out, beside) == 0,
	   "policy: no setting is the file beside the store");
	ok(ak_events_choose(out, sizeof(out), &off, "", store, &e) == 0 && off == 0 &&
	           strcmp(out, beside) == 0,
	   "policy: an empty setting is the same");
	ok(ak_events_choose(out, sizeof(out), &off, "none", store, &e) == 0 && off == 1 &&
	           out[0] == '\0',
	   "policy: none is off");
	ok(ak_events_choose(out, sizeof(out), &off, named, store, &e) == 0 && off == 0 &&
	           strcmp(out, named) == 0,
	   "policy: a path is that file");
	memset(big, 'a', sizeof(big) - 1);
	big[0] = '/';
	big[sizeof(big) - 1] = '\0';
	ok(ak_events_choose(out, sizeof(out), &off, big, store, &e) == -1 && e.code == AK_E_INVAL,
	   "policy: a path longer than the buffer is refused, never truncated");
	ok(ak_event_record(&report, "none", store, &req, &res, &e) == 0 && report == 0 &&
	           stat(beside, &sb) != 0,
	   "record: none writes nothing and reports nothing");
	ok(ak_event_record(&report, NULL, store, &req, &res, &e) == 0 && report == 0 &&
	           stat(beside, &sb) != 0,
	   "record: no file beside the store is events off, silent, nothing created");
	fd = open(beside, O_CREAT | O_WRONLY, 0660);
	close(fd);
	ok(ak_event_record(&report, NULL, store, &req, &res, &e) == 0 && report == 0 &&
	           stat(beside, &sb) == 0 && sb.st_size > 0,
	   "record: the file beside the store, once created, gets the attempt");
	ok(ak_event_record(&report, named, store, &req, &res, &e) == -1 && e.code == AK_E_NOENT &&
	           report == 1 && stat(named, &sb) != 0,
	   "record: a named file that is missing fails, is reported, is not created");
	ok(ak_event_record(&report, named, store, &req, &res, &e) == -1 && report == 0,
	   "record: the failure is reported once per process");
	fd = open(named, O_CREAT | O_WRONLY, 0660);
	close(fd);
	ok(ak_event_record(&report, named, store, &req, &res, &e) == 0 && report == 0 &&
	           stat(named, &sb) == 0 && sb.st_size > 0,
	   "record: the named file, once created, gets the attempt");
	unlink(beside);
	unlink(named);
}

int main(void)
{
	if (unit_setup() != 0)
		return 1;
	test_events_policy();
	test_events();
	test_events_hostile();
	alarm(30); /* SIGALRM ends the run if a FIFO blocks */
	test_events_not_a_file();
	alarm(0);
	return unit_done(tap_done());
}
