/* Usage events: one line per authentication attempt that reached the
 * store, appended with a single write(2) on an O_APPEND descriptor so that
 * concurrent writers never tear lines. Beside the store, never in it:
 * authentication never writes the store.
 *
 * Line: time_ms TAB result TAB id TAB user TAB service TAB source LF
 * Fields are at most their maximum length; a byte outside a field's
 * characters becomes '_'; an empty field is "-". The file is appendable by
 * group apikey (services running as other users append to it), so the
 * reader treats every line as hostile: each field must be exactly what the
 * writer can write (MUST: nothing else reaches keyadm's output). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define SOURCE_MAX 64
/* 2000-01-01 to a day ahead: a forged future use cannot outlive real ones */
#define TIME_MIN 946684800000LL
#define TIME_AHEAD (24LL * 3600 * 1000)

int ak_events_path(char *out, size_t cap, const char *db)
{
	size_t n;

	if (out == NULL || db == NULL)
		return -1;
	n = strlen(db);
	if (n > 3 && strcmp(db + n - 3, ".db") == 0)
		n -= 3;
	if (snprintf(out, cap, "%.*s.events", (int)n, db) >= (int)cap)
		return -1;
	return 0;
}

int ak_events_choose(char *out, size_t cap, int *off, const char *events, const char *db,
                     struct ak_error *e)
{
	if (out == NULL || cap == 0 || off == NULL) {
		ak_err_set(e, AK_E_INVAL, "no buffer for the events path");
		return -1;
	}
	out[0] = '\0';
	*off = events != NULL && strcmp(events, "none") == 0;
	if (*off)
		return 0;
	if (events != NULL && events[0] != '\0') {
		if (snprintf(out, cap, "%s", events) < (int)cap)
			return 0;
	} else if (ak_events_path(out, cap, db) == 0) {
		return 0;
	}
	ak_err_set(e, AK_E_INVAL, "events file path too long");
	return -1;
}

/* Set once per process (of each object the core is linked into) by the
 * first failure worth a report; several threads may race for it. */
static int event_reported;

int ak_event_record(int *report, const char *events, const char *db,
                    const struct ak_verify_req *req, const struct ak_verify_res *res,
                    struct ak_error *e)
{
	struct ak_error mine = {AK_OK, ""};
	char path[4096];
	int off;

	if (report != NULL)
		*report = 0;
	if (e == NULL)
		e = &mine;
	if (ak_events_choose(path, sizeof(path), &off, events, db, e) != 0)
		goto failed; /* a name too long to open: reported, never truncated */
	if (off || ak_event_append(path, req, res, e) == 0)
		return 0;
	/* The default file is optional: the administrator turns events on by
	 * creating it, so its absence is silent; a named one must be there. */
	if ((events == NULL || events[0] == '\0') && e->code == AK_E_NOENT)
		return 0;
failed:
	if (report != NULL)
		*report = !__atomic_exchange_n(&event_reported, 1, __ATOMIC_SEQ_CST);
	return -1;
}

/* A character the writer keeps in a source address (an IP address, or a
 * host name from PAM_RHOST); in a service name, ak_service_char's. */
static int source_char(unsigned char c)
{
	return ak_service_char(c) || c == ':' || c == '%' || c == '[' || c == ']';
}

/* Appends field s (or "-") with the bytes that are not ok(c) as '_', at
 * most max bytes, then sep. */
static size_t put_field(char *p, const char *s, size_t max, int (*ok)(unsigned char), char sep)
{
	size_t i, n = 0;

	if (s == NULL || *s == '\0')
		p[n++] = '-';
	for (i = 0; s != NULL && s[i] != '\0' && i < max; i++)
		p[n++] = ok((unsigned char)s[i]) ? s[i] : '_';
	p[n++] = sep;
	return n;
}

/* path opened with flags into *fd, refused unless it is a regular file:
 * O_NONBLOCK, so that a FIFO put in its place is refused, not waited on (a
 * login would hang); a directory would read as empty. 0, or -1 with
 * AK_E_NOENT (missing), AK_E_UNTRUSTED or AK_E_IO. */
static int open_regular(int *fd, const char *path, int flags, struct ak_error *e)
{
	struct stat sb;
	int err;

	*fd = open(path, flags | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (*fd < 0) {
		err = errno;
		ak_err_set(e, err == ENOENT ? AK_E_NOENT : AK_E_IO, "%s: %s", path, strerror(err));
		return -1;
	}
	if (fstat(*fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		ak_err_set(e, AK_E_UNTRUSTED, "%s: not a regular file", path);
		close(*fd);
		return -1;
	}
	return 0;
}

int ak_event_append(const char *path, const struct ak_verify_req *req,
                    const struct ak_verify_res *res, struct ak_error *e)
{
	char line[64 + 16 + AK_ID_LEN + AK_USER_MAX + AK_SERVICE_LEN + SOURCE_MAX + 8];
	size_t n;
	ssize_t w;
	int fd;

	if (path == NULL || req == NULL || res == NULL) {
		ak_err_set(e, AK_E_INVAL, "no events file");
		return -1;
	}
	n = (size_t)snprintf(line, 40, "%" PRId64 "\t", req->now_ms ? req->now_ms : ak_now_ms());
	n += put_field(line + n, ak_result_name(res->result), 16, ak_word_char, '\t');
	n += put_field(line + n, res->id, AK_ID_LEN, ak_word_char, '\t');
	/* a rejected name may be a secret typed at the user prompt; an
	 * accepted one is the owner's, valid */
	n += put_field(line + n, res->result == AK_VALID ? req->user : ak_user_for_log(req->user),
	               AK_USER_MAX, ak_word_char, '\t');
	n += put_field(line + n, req->service, AK_SERVICE_LEN, ak_service_char, '\t');
	n += put_field(line + n, req->source, SOURCE_MAX, source_char, '\n');
	if (open_regular(&fd, path, O_WRONLY | O_APPEND, e) != 0)
		return -1;
	w = write(fd, line, n);
	close(fd);
	if (w != (ssize_t)n) {
		ak_err_set(e, AK_E_IO, "%s: short write", path);
		return -1;
	}
	return 0;
}

/* Field f is "-" or 1..max characters that are all ok(c). */
static int field_valid(const char *f, size_t max, int (*ok)(unsigned char))
{
	size_t i;

	for (i = 0; f[i] != '\0'; i++)
		if (i >= max || !ok((unsigned char)f[i]))
			return 0;
	return i > 0;
}

/* Decimal milliseconds, digits only, from 2000 to a day from now. */
static int time_parse(int64_t *ms, const char *f)
{
	int64_t v = 0;
	size_t i;

	for (i = 0; f[i] != '\0'; i++) {
		if (f[i] < '0' || f[i] > '9' || i >= 15)
			return -1;
		v = v * 10 + (f[i] - '0');
	}
	if (i == 0 || v < TIME_MIN || v > ak_now_ms() + TIME_AHEAD)
		return -1;
	*ms = v;
	return 0;
}

/* Splits one line into its six fields and checks each one's characters
 * and length (which also makes it ASCII, so valid UTF-8); 0 when it is a
 * well-formed event. */
static int event_parse(struct ak_event *ev, char *line)
{
	char *f[6], *p = line;
	int i;

	for (i = 0; i < 6; i++) {
		f[i] = p;
		p = strchr(p, i < 5 ? '\t' : '\0');
		if (p == NULL)
			return -1;
		if (i < 5)
			*p++ = '\0';
	}
	memset(ev, 0, sizeof(*ev));
	if (time_parse(&ev->time_ms, f[0]) != 0)
		return -1;
	for (i = AK_VALID; i <= AK_UNAVAILABLE; i++)
		if (strcmp(f[1], ak_result_name((enum ak_result)i)) == 0)
			break;
	if (i > AK_UNAVAILABLE)
		return -1;
	ev->result = (enum ak_result)i;
	if ((strcmp(f[2], "-") != 0 && !ak_id_valid(f[2])) ||
	    (strcmp(f[3], "-") != 0 && !ak_user_valid(f[3])) ||
	    !field_valid(f[4], AK_SERVICE_LEN, ak_service_char) ||
	    !field_valid(f[5], SOURCE_MAX, source_char)) /* a seventh field's tab too */
		return -1;
	if (ev->result == AK_VALID && (strcmp(f[2], "-") == 0 || strcmp(f[3], "-") == 0))
		return -1; /* a use names its key and its owner */
	if (strcmp(f[2], "-") != 0)
		memcpy(ev->id, f[2], AK_ID_LEN + 1);
	memcpy(ev->user, f[3], strlen(f[3]) + 1);
	memcpy(ev->service, f[4], strlen(f[4]) + 1);
	memcpy(ev->source, f[5], strlen(f[5]) + 1);
	return 0;
}

/* One line of f into buf without its newline: 1 when it fits and has no
 * NUL byte, 0 for a bad line (read to its end all the same, so that it can
 * neither hide the next line nor become two), -1 at the end. A last line
 * without its newline is the end too, neither read nor counted: it is a
 * write still in progress (or one cut short, which the next write's line
 * then ends, and that glued line is a bad one). */
static int read_line(FILE *f, char *buf, size_t cap)
{
	size_t n = 0;
	int c, fits = 1;

	while ((c = getc_unlocked(f)) != EOF && c != '\n') {
		if (c == '\0' || n + 1 >= cap)
			fits = 0;
		else
			buf[n++] = (char)c;
	}
	buf[n] = '\0';
	if (c == EOF)
		return -1;
	return fits;
}

int ak_events_each_stream(size_t *bad, FILE *f, const char *name,
                          int (*fn)(const struct ak_event *, void *), void *ctx, struct ak_error *e)
{
	char line[1024];
	struct ak_event ev;
	int rc;

	if (bad != NULL)
		*bad = 0;
	if (f == NULL || fn == NULL) {
		ak_err_set(e, AK_E_INVAL, "no events stream or no callback");
		return -1;
	}
	while ((rc = read_line(f, line, sizeof(line))) >= 0) {
		if (rc == 0 || event_parse(&ev, line) != 0) {
			if (bad != NULL)
				(*bad)++;
			continue;
		}
		if (fn(&ev, ctx) != 0)
			break;
	}
	if (!ferror(f))
		return 0;
	ak_err_set(e, AK_E_IO, "%s: read error", name);
	return -1;
}

int ak_events_open(int *fd, const char *path, struct ak_error *e)
{
	if (path == NULL || fd == NULL) {
		ak_err_set(e, AK_E_INVAL, "no events file");
		return -1;
	}
	return open_regular(fd, path, O_RDONLY, e);
}

int ak_events_each(size_t *bad, const char *path, int (*fn)(const struct ak_event *, void *),
                   void *ctx, struct ak_error *e)
{
	FILE *f;
	int fd, code;

	if (bad != NULL)
		*bad = 0;
	if (path == NULL || fn == NULL) {
		ak_err_set(e, AK_E_INVAL, "no events file or no callback");
		return -1;
	}
	if (open_regular(&fd, path, O_RDONLY, e) != 0)
		return -1;
	if ((f = fdopen(fd, "r")) == NULL) {
		ak_err_set(e, AK_E_IO, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	code = ak_events_each_stream(bad, f, path, fn, ctx, e);
	fclose(f);
	return code;
}
