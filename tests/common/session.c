/* Unit tests of session records: the text round-trips, a malformed record is
 * refused, the sessions directory's checks, a leader's liveness
 * (common/session.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "unit.h"

#define REC_MAX 2048

static struct ak_session good;
static char good_text[REC_MAX];

static void fill_session(struct ak_session *s)
{
	memset(s, 0, sizeof(*s));
	strcpy(s->id, "AAAAAAAAAAAA");
	strcpy(s->user, "alice");
	strcpy(s->service, "sshd");
	strcpy(s->rhost, "192.0.2.7");
	s->start_ms = 1700000000123;
	s->pid = 4242;
	s->pid_start = 987654321;
	strcpy(s->cgroup, "/user.slice/user-1000.slice/session-7.scope");
	strcpy(s->logind, "7");
}

/* Parses a copy of text: ak_session_parse's 0 or -1. */
static int parse_text(struct ak_session *s, const char *text)
{
	char buf[REC_MAX + 32];

	snprintf(buf, sizeof(buf), "%s", text);
	return ak_session_parse(s, buf);
}

/* The good record with its line for field replaced by line (NULL: dropped),
 * parsed: 0 or -1. */
static int parse_with(const char *field, const char *line)
{
	struct ak_session s;
	char out[REC_MAX], copy[REC_MAX], *l, *save = NULL;
	const char *put;
	size_t flen = strlen(field);

	out[0] = '\0';
	snprintf(copy, sizeof(copy), "%s", good_text);
	for (l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		put = strncmp(l, field, flen) == 0 && l[flen] == ' ' ? line : l;
		if (put != NULL && strlen(out) + strlen(put) + 2 < sizeof(out)) {
			strcat(out, put);
			strcat(out, "\n");
		}
	}
	return parse_text(&s, out);
}

static void test_roundtrip(void)
{
	struct ak_session s;
	int n;

	fill_session(&good);
	n = ak_session_format(good_text, sizeof(good_text), &good);
	ok(n > 0 && (size_t)n == strlen(good_text), "a record is formatted");
	{
		char small[16];

		ok(ak_session_format(small, sizeof(small), &good) == -1,
		   "a record too long for the buffer is -1");
	}
	is_int(parse_text(&s, good_text), 0, "the formatted record parses");
	is_str(s.id, good.id, "id round-trips");
	is_str(s.user, good.user, "user round-trips");
	is_str(s.service, good.service, "service round-trips");
	is_str(s.rhost, good.rhost, "rhost round-trips");
	is_int(s.start_ms, good.start_ms, "start round-trips");
	is_int(s.pid, good.pid, "pid round-trips");
	is_int(s.pid_start, good.pid_start, "pid_start round-trips");
	is_str(s.cgroup, good.cgroup, "cgroup round-trips");
	is_str(s.logind, good.logind, "logind round-trips");
	{
		struct ak_session empty = good;
		char text[REC_MAX];

		empty.rhost[0] = empty.logind[0] = '\0';
		ok(ak_session_format(text, sizeof(text), &empty) > 0 && parse_text(&s, text) == 0 &&
		           s.rhost[0] == '\0' && s.logind[0] == '\0',
		   "empty rhost and logind round-trip as empty");
	}
}

static void test_refused(void)
{
	char text[REC_MAX + 32], longv[AK_RHOST_MAX + 16];
	struct ak_session s;

	is_int(parse_with("id", "id AAAAAAAAAAAA"), 0, "the unchanged record parses");
	is_int(parse_with("user", NULL), -1, "a record without its user is refused");
	is_int(parse_with("pid_start", NULL), -1, "a record without its pid_start is refused");
	snprintf(text, sizeof(text), "%suser bob\n", good_text);
	is_int(parse_text(&s, text), -1, "a repeated field is refused");
	snprintf(text, sizeof(text), "%scolour red\n", good_text);
	is_int(parse_text(&s, text), -1, "an unknown field is refused");
	is_int(parse_with("rhost", "rhost 192.0.2.7 evil"), -1, "a value with a blank is refused");
	is_int(parse_with("rhost", "rhost 192.0.2.7\tx"), -1, "a value with a tab is refused");
	is_int(parse_with("service", "service ss\x01hd"), -1,
	       "a value with a control byte is refused");
	is_int(parse_with("cgroup", "cgroup /a\x7f"), -1, "a value with DEL is refused");
	memset(longv, 'a', AK_RHOST_MAX);
	longv[AK_RHOST_MAX] = '\0';
	snprintf(text, sizeof(text), "rhost %s", longv);
	is_int(parse_with("rhost", text), 0, "a value of the longest length parses");
	strcat(text, "a");
	is_int(parse_with("rhost", text), -1, "a value one byte over the limit is refused");
	is_int(parse_with("pid", "pid 1"), -1, "pid 1 is refused");
	is_int(parse_with("pid", "pid -5"), -1, "a negative pid is refused");
	is_int(parse_with("start", "start 99999999999999999999"), -1,
	       "an overflowing start is refused");
	is_int(parse_with("id", "id AAAA"), -1, "an invalid id is refused");
	is_int(parse_with("id", "idAAAAAAAAAAAA"), -1, "a line without a blank is refused");
}

/* ak_sessions_dir's code for path (AK_OK when accepted). */
static int dir_code(const char *path)
{
	struct ak_error e;
	int fd = ak_sessions_dir(path, 0, &e);

	if (fd >= 0)
		close(fd);
	return fd >= 0 ? AK_OK : (int)e.code;
}

static void test_dir(void)
{
	char p[600], link[600];

	snprintf(p, sizeof(p), "%s/run/sessions", dir);
	is_int(dir_code(p), AK_E_NOENT, "a missing directory is AK_E_NOENT without create");
	{
		struct ak_error e;
		int fd = ak_sessions_dir(p, 1, &e);
		struct stat sb;

		ok(fd >= 0 && stat(p, &sb) == 0 && (sb.st_mode & 07777) == 0700,
		   "create makes the directory 0700");
		if (fd >= 0)
			close(fd);
	}
	is_int(dir_code(p), AK_OK, "a 0700 root directory is accepted");
	is_int(dir_code("run/sessions"), AK_E_INVAL, "a relative path is refused");
	ok(chmod(p, 0770) == 0 && dir_code(p) == AK_E_UNTRUSTED,
	   "a group-writable directory is refused");
	ok(chmod(p, 0703) == 0 && dir_code(p) == AK_E_UNTRUSTED,
	   "a world-writable directory is refused");
	ok(chmod(p, 0700) == 0 && chown(p, 1, 0) == 0 && dir_code(p) == AK_E_UNTRUSTED,
	   "a directory not owned by root is refused");
	ok(chown(p, 0, 0) == 0 && dir_code(p) == AK_OK, "owned by root again it is accepted");
	snprintf(link, sizeof(link), "%s/link", dir);
	ok(symlink(p, link) == 0 && dir_code(link) == AK_E_UNTRUSTED,
	   "a symlink to a good directory is refused");
}

static void test_live(void)
{
	struct ak_session s;
	struct ak_error e;

	memset(&s, 0, sizeof(s));
	if (ak_session_fill(&s, getpid(), &e) != 0) {
		ok(0, "the test's own process is read: %s", e.msg);
		return;
	}
	ok(s.pid == getpid() && s.pid_start > 0, "fill records the pid and its start time");
	is_int(ak_session_live(&s), 1, "the test's own session is live");
	s.pid_start++;
	is_int(ak_session_live(&s), 0, "the same pid with another start time is stale");
	ok(ak_session_fill(&s, 1 << 30, &e) != 0 && e.code == AK_E_IO,
	   "fill of a process that does not exist fails");
}

int main(void)
{
	if (unit_setup() != 0)
		return 1;
	test_roundtrip();
	test_refused();
	test_dir();
	test_live();
	return unit_done(tap_done());
}
