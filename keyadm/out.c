/* keyadm output: JSON (every string escaped) and readable text. Nothing
 * here ever sees a key, a secret or a hash. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "keyadm.h"

/* MUST: valid UTF-8 JSON whatever the bytes: a byte that is not UTF-8 is
 * U+FFFD, a control, bidi control or separator is \uXXXX, never raw. */
void ka_json_str(FILE *f, const char *s)
{
	size_t n = strlen(s), i = 0, len;
	uint32_t cp = 0;

	fputc('"', f);
	while (i < n) {
		if ((len = ak_utf8_decode(&cp, s + i, n - i)) == 0) {
			fputs("\\ufffd", f);
			i++;
			continue;
		}
		if (cp == '"' || cp == '\\')
			fprintf(f, "\\%c", (char)cp);
		else if (cp == '\n')
			fputs("\\n", f);
		else if (cp == '\t')
			fputs("\\t", f);
		else if (!ak_char_printable(cp))
			fprintf(f, "\\u%04x", (unsigned)cp);
		else
			fwrite(s + i, 1, len, f);
		i += len;
	}
	fputc('"', f);
}

#define ESC_BUFS 8
#define ESC_CAP (4 * 4096 + 1)

/* The terminal form of untrusted text (names, reasons, actors, file
 * names, fields of the events file), as vis(3) does: printable UTF-8
 * stays, a backslash is doubled, a control byte or a byte that is not
 * UTF-8 is \xHH, a C1 control, bidi control or separator is \uHHHH.
 * Returns one of a few rotating buffers, for the arguments of one printf;
 * overlong text is cut at a character. */
const char *ka_esc(const char *s)
{
	static char bufs[ESC_BUFS][ESC_CAP];
	static unsigned next;
	char *out = bufs[next++ % ESC_BUFS];
	size_t n = strlen(s), i = 0, o = 0, len;
	uint32_t cp = 0;
	char one[16];

	while (i < n) {
		if ((len = ak_utf8_decode(&cp, s + i, n - i)) == 0) {
			len = 1;
			cp = 0; /* shown as its byte */
		}
		if (cp == 0)
			snprintf(one, sizeof(one), "\\x%02x", (unsigned char)s[i]);
		else if (cp == '\\')
			snprintf(one, sizeof(one), "\\\\");
		else if (!ak_char_printable(cp))
			snprintf(one, sizeof(one), cp < 0x80 ? "\\x%02x" : "\\u%04x", (unsigned)cp);
		else
			snprintf(one, sizeof(one), "%.*s", (int)len, s + i);
		if (o + strlen(one) >= ESC_CAP)
			break;
		memcpy(out + o, one, strlen(one));
		o += strlen(one);
		i += len;
	}
	out[o] = '\0';
	return out;
}

void ka_json_time(FILE *f, int64_t ms)
{
	if (ms == 0)
		fputs("null", f);
	else
		fprintf(f, "%" PRId64, ms);
}

/* A string, or null for "". */
void ka_json_opt(FILE *f, const char *s)
{
	if (*s == '\0')
		fputs("null", f);
	else
		ka_json_str(f, s);
}

static void json_lists(FILE *f, const struct ak_key *k)
{
	char cidr[64];
	unsigned i;

	fputs(",\"services\":[", f);
	for (i = 0; i < k->n_services && i < AK_SERVICES_MAX; i++) {
		fputs(i ? "," : "", f);
		ka_json_str(f, k->services[i]);
	}
	fputs("],\"sources\":[", f);
	for (i = 0; i < k->n_sources && i < AK_SOURCES_MAX; i++) {
		ak_cidr_format(cidr, sizeof(cidr), &k->sources[i]);
		fputs(i ? "," : "", f);
		ka_json_str(f, cidr);
	}
	fputc(']', f);
}

static void json_use(FILE *f, const struct ka_use *u)
{
	int seen = u != NULL && u->time_ms > 0;

	fputs(",\"lastUsedAt\":", f);
	ka_json_time(f, seen ? u->time_ms : 0);
	fputs(",\"lastUsedService\":", f);
	ka_json_opt(f, seen && strcmp(u->service, "-") != 0 ? u->service : "");
	fputs(",\"lastUsedSource\":", f);
	ka_json_opt(f, seen && strcmp(u->source, "-") != 0 ? u->source : "");
	if (seen && u->host[0] != '\0') {
		fputs(",\"lastUsedHost\":", f);
		ka_json_opt(f, u->host);
	}
}

void ka_json_key(FILE *f, const struct ak_key *k, const struct ka_use *u, int64_t now)
{
	fputs("{\"id\":", f);
	ka_json_str(f, k->id);
	fputs(",\"owner\":", f);
	ka_json_str(f, k->owner);
	fputs(",\"name\":", f);
	ka_json_str(f, k->name);
	fprintf(f, ",\"state\":\"%s\",\"createdAt\":", ak_key_state_at(k, now));
	ka_json_time(f, k->created_ms);
	fputs(",\"createdBy\":", f);
	ka_json_opt(f, k->created_by);
	fputs(",\"expiresAt\":", f);
	ka_json_time(f, k->expires_ms);
	fputs(",\"revokedAt\":", f);
	ka_json_time(f, k->revoked_ms);
	fputs(",\"revokedReason\":", f);
	ka_json_opt(f, k->revoked_reason);
	fputs(",\"revokedBy\":", f);
	ka_json_opt(f, k->revoked_by);
	fputs(",\"disabledAt\":", f);
	ka_json_time(f, k->disabled_ms);
	fputs(",\"disabledReason\":", f);
	ka_json_opt(f, k->disabled_reason);
	fputs(",\"disabledBy\":", f);
	ka_json_opt(f, k->disabled_by);
	json_lists(f, k);
	fputs(",\"rotatedFrom\":", f);
	ka_json_opt(f, k->rotated_from);
	fputs(",\"rotatedTo\":", f);
	ka_json_opt(f, k->rotated_to);
	json_use(f, u);
	fputc('}', f);
}

static void show_lists(FILE *f, const struct ak_key *k)
{
	char cidr[64];
	unsigned i;

	fputs("services:  ", f);
	for (i = 0; i < k->n_services && i < AK_SERVICES_MAX; i++)
		fprintf(f, "%s%s", i ? ", " : "", k->services[i]);
	fputs(k->n_services ? "\nsources:   " : "any\nsources:   ", f);
	for (i = 0; i < k->n_sources && i < AK_SOURCES_MAX; i++) {
		ak_cidr_format(cidr, sizeof(cidr), &k->sources[i]);
		fprintf(f, "%s%s", i ? ", " : "", cidr);
	}
	fputs(k->n_sources ? "\n" : "any\n", f);
}

/* "TIME by ACTOR: reason" lines for the events of a key's life. */
static void show_event(FILE *f, const char *label, int64_t ms, const char *by, const char *why)
{
	char t[40];

	if (ms == 0)
		return;
	ak_format_time(t, sizeof(t), ms);
	fprintf(f, "%-10s %s by %s%s%s\n", label, t, ka_esc(by), *why ? ": " : "", ka_esc(why));
}

/* "2026-11-22 17:44:02 UTC sshd 192.0.2.7", "never", or "not recorded"
 * (events none: no one can tell). */
static void use_text(char *buf, size_t cap, const struct ka_use *u)
{
	char t[40];

	if (u == NULL || u->time_ms <= 0) {
		snprintf(buf, cap, "%s",
		         u != NULL && u->time_ms == KA_USE_OFF ? "not recorded" : "never");
		return;
	}
	ak_format_time(t, sizeof(t), u->time_ms);
	snprintf(buf, cap, "%s %s %s", t, ka_esc(u->service), ka_esc(u->source));
	if (u->host[0] != '\0')
		snprintf(buf + strlen(buf), cap - strlen(buf), " on %s", ka_esc(u->host));
}

void ka_show_key(FILE *f, const struct ak_key *k, const struct ka_use *u, int64_t now)
{
	char t[40], used[640];

	fprintf(f, "id:        %s\nowner:     %s\nname:      %s\nstate:     %s\n", k->id,
	        ka_esc(k->owner), k->name[0] ? ka_esc(k->name) : "-", ak_key_state_at(k, now));
	show_event(f, "created:", k->created_ms, k->created_by, "");
	ak_format_time(t, sizeof(t), k->expires_ms);
	fprintf(f, "expires:   %s\n", k->expires_ms ? t : "never");
	show_event(f, "disabled:", k->disabled_ms, k->disabled_by, k->disabled_reason);
	show_event(f, "revoked:", k->revoked_ms, k->revoked_by, k->revoked_reason);
	show_lists(f, k);
	if (k->rotated_from[0])
		fprintf(f, "rotated from: %s\n", k->rotated_from);
	if (k->rotated_to[0])
		fprintf(f, "rotated to:   %s\n", k->rotated_to);
	use_text(used, sizeof(used), u);
	fprintf(f, "last used: %s\n", used);
}

static int width(const char *s)
{
	int w = 0;

	for (; *s; s++) /* count UTF-8 characters, not bytes */
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static void pad(FILE *f, const char *s, int w)
{
	int n = width(s);

	fputs(s, f);
	for (; n < w; n++)
		fputc(' ', f);
	fputs("  ", f);
}

void ka_list_table(FILE *f, const struct ak_key *keys, const struct ka_use *u, size_t n,
                   int64_t now)
{
	int wo = 5, wn = 4;
	char c[40], x[40], used[640];
	size_t i;

	for (i = 0; i < n; i++) {
		if (width(ka_esc(keys[i].owner)) > wo)
			wo = width(ka_esc(keys[i].owner));
		if (width(ka_esc(keys[i].name)) > wn)
			wn = width(ka_esc(keys[i].name));
	}
	fprintf(f, "%-*s  ", AK_ID_LEN, "ID");
	pad(f, "OWNER", wo);
	pad(f, "NAME", wn);
	fprintf(f, "%-8s  %-23s  %-23s  %s\n", "STATE", "CREATED", "EXPIRES", "LAST USED");
	for (i = 0; i < n; i++) {
		const struct ak_key *k = &keys[i];
		ak_format_time(c, sizeof(c), k->created_ms);
		ak_format_time(x, sizeof(x), k->expires_ms);
		fprintf(f, "%s  ", k->id);
		pad(f, ka_esc(k->owner), wo);
		pad(f, k->name[0] ? ka_esc(k->name) : "-", wn);
		use_text(used, sizeof(used), &u[i]);
		fprintf(f, "%-8s  %-23s  %-23s  %s\n", ak_key_state_at(k, now), c,
		        k->expires_ms ? x : "never", used);
	}
}

/* All of buf to fd with write(2): for keys, which never go through
 * stdio's buffers (the caller wipes buf). 0, or -1 when not all of it
 * could be written. */
int ka_write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Columns as wide as their widest cell, as column -t makes them, on a
 * terminal or in a pipe: every row is measured, then every row printed
 * (made twice, held never: a report of any length stays in bounded memory). */
void ka_cols_measure(struct ka_cols *c, const char *const *cells)
{
	size_t i;

	for (i = 0; i < c->n && i < KA_COLS_MAX; i++)
		if (width(cells[i]) > c->w[i])
			c->w[i] = width(cells[i]);
}

/* Two spaces between columns; the last one is not padded. */
void ka_cols_print(FILE *f, const struct ka_cols *c, const char *const *cells)
{
	size_t i;

	for (i = 0; i < c->n && i < KA_COLS_MAX; i++) {
		int n = width(cells[i]), last = i + 1 == c->n;
		if (c->right & (1u << i))
			for (; n < c->w[i]; n++)
				fputc(' ', f);
		fputs(cells[i], f);
		for (; !last && n < c->w[i]; n++)
			fputc(' ', f);
		fputs(last ? "\n" : "  ", f);
	}
}

/* Output that cannot be written is a failure, not a silent success. */
void ka_flush(FILE *f)
{
	if (fflush(f) != 0 || ferror(f))
		ka_die(KA_EXIT_FAIL, "cannot write the output");
}

/*
 * While the writers' lock is held nothing is written to the caller's
 * terminal or pipes: a terminal stopped with ^S, or a pipe nobody reads,
 * would hold the write (and every other writer, root's revocations
 * included) for as long as the caller likes. Standard output and error
 * go to memory files instead, copied out once the lock is released and
 * privileges are dropped. Keys are printed only after that (they never
 * pass through these files).
 */
static struct {
	int held;
	int saved[2], mem[2];
} hold = {0, {-1, -1}, {-1, -1}};

void ka_output_hold(void)
{
	int i;

	if (hold.held)
		return;
	ka_flush(stdout); /* before the lock: blocking here holds nothing */
	fflush(stderr);
	hold.held = 1; /* from here, a failure puts back what was moved */
	for (i = 0; i < 2; i++) {
		hold.saved[i] = fcntl(i + 1, F_DUPFD_CLOEXEC, 3);
		hold.mem[i] = memfd_create(i ? "keyadm-stderr" : "keyadm-stdout", MFD_CLOEXEC);
		if (hold.saved[i] < 0 || hold.mem[i] < 0 || dup2(hold.mem[i], i + 1) < 0)
			ka_die(KA_EXIT_FAIL, "cannot hold the output back: %s", strerror(errno));
	}
}

/* Copies what was held to where it was meant to go; -1 when it could
 * not all be written. */
static int output_replay(int mem, int to)
{
	char buf[4096];
	off_t off = 0;
	ssize_t n, w;

	while ((n = pread(mem, buf, sizeof(buf), off)) > 0) {
		for (w = 0; w < n;) {
			ssize_t k = write(to, buf + w, (size_t)(n - w));
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				return -1;
			w += k;
		}
		off += n;
	}
	return n < 0 ? -1 : 0;
}

/* After the lock is released (and the privileges dropped). Idempotent;
 * -1 when the standard output could not all be written. */
int ka_output_release(void)
{
	int i, rc = 0;

	if (!hold.held)
		return 0;
	hold.held = 0;
	fflush(stdout);
	fflush(stderr);
	for (i = 0; i < 2; i++) {
		if (hold.saved[i] < 0 || dup2(hold.saved[i], i + 1) < 0 ||
		    output_replay(hold.mem[i], i + 1) != 0)
			rc |= i == 0 ? -1 : 0;
		if (hold.saved[i] >= 0)
			close(hold.saved[i]);
		if (hold.mem[i] >= 0)
			close(hold.mem[i]);
		hold.saved[i] = hold.mem[i] = -1;
	}
	return rc;
}
