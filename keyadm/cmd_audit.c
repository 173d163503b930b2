/* keyadm audit and check: the admin trail and the store's health. Neither
 * prints a hash: the chain is verified, not shown. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keyadm.h"

struct ka_audit_run {
	const struct ka_ctx *c;
	int64_t since;
	size_t shown;
};

static void audit_json(const struct ak_audit *a, size_t nth)
{
	printf("%s{\"seq\":%" PRIu64 ",\"time\":%" PRId64 ",\"actor\":", nth ? ",\n" : "\n", a->seq,
	       a->time_ms);
	ka_json_str(stdout, a->actor);
	fputs(",\"action\":", stdout);
	ka_json_str(stdout, a->action);
	printf(",\"id\":%s%s%s,\"owner\":", a->id[0] ? "\"" : "", a->id[0] ? a->id : "null",
	       a->id[0] ? "\"" : "");
	if (a->owner[0])
		ka_json_str(stdout, a->owner);
	else
		fputs("null", stdout);
	fputs(",\"reason\":", stdout);
	if (a->reason[0])
		ka_json_str(stdout, a->reason);
	else
		fputs("null", stdout);
	fputc('}', stdout);
}

static int audit_one(const struct ak_audit *a, void *vr)
{
	struct ka_audit_run *r = vr;
	const struct ka_opts *o = r->c->o;
	char t[40];

	if ((o->user && strcmp(a->owner, o->user) != 0) || (o->key && strcmp(a->id, o->key) != 0) ||
	    a->time_ms < r->since)
		return 0;
	if (o->json) {
		audit_json(a, r->shown++);
		return 0;
	}
	if (r->shown++ == 0)
		printf("%-23s  %-8s  %-12s  %-12s  %s\n", "TIME", "ACTION", "KEY", "OWNER",
		       "ACTOR");
	ak_format_time(t, sizeof(t), a->time_ms);
	printf("%-23s  %-8s  %-12s  %-12s  %s%s%s\n", t, a->action, a->id[0] ? a->id : "-",
	       a->owner[0] ? ka_esc(a->owner) : "-", ka_esc(a->actor),
	       a->reason[0] ? "  reason: " : "", ka_esc(a->reason));
	return 0;
}

static int audit_verify(const struct ka_ctx *c, struct ak_store *st)
{
	struct ak_error e = {AK_OK, ""};
	uint64_t n = ak_store_meta(st)->audit_seq;
	int rc;

	if (c->o->user || c->o->key || c->o->since)
		ka_usage("audit --verify takes no filter");
	rc = ak_store_audit_verify(st, &e);
	ak_store_close(st);
	if (c->o->json) {
		printf("{\"intact\":%s,\"entries\":%" PRIu64 ",\"error\":",
		       rc == 0 ? "true" : "false", n);
		ka_json_opt(stdout, rc == 0 ? "" : e.msg);
		fputs("}\n", stdout);
	} else if (rc == 0)
		printf("audit trail intact: %" PRIu64 " entries\n", n);
	ka_flush(stdout);
	if (rc != 0)
		ka_die(KA_EXIT_FAIL, "audit trail broken: %s", e.msg);
	return KA_EXIT_OK;
}

int ka_cmd_audit(const struct ka_ctx *c)
{
	struct ak_error e = {AK_OK, ""};
	struct ka_audit_run r = {c, INT64_MIN, 0};
	struct ak_store *st;
	int rc;

	if (c->o->user)
		ka_check_user(c->o->user);
	if (c->o->key)
		ka_check_id(c->o->key);
	if (c->o->since)
		r.since = ka_since(c, c->o->since);
	st = ka_store_open(c);
	if (c->o->verify)
		return audit_verify(c, st);
	if (c->o->json)
		fputc('[', stdout);
	rc = ak_store_each_audit(st, 1, audit_one, &r, &e);
	ak_store_close(st);
	if (rc != 0)
		ka_die(KA_EXIT_FAIL, "%s", e.msg);
	if (c->o->json)
		fputs("\n]\n", stdout);
	ka_flush(stdout);
	return KA_EXIT_OK;
}

/* What check found: lines of text, or the "problems" array of --json. */
struct ka_check {
	int json;
	int problems;
};

static __attribute__((format(printf, 2, 3))) void problem(struct ka_check *k, const char *fmt, ...)
{
	char msg[4096 + 256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!k->json)
		printf("problem: %s\n", msg);
	else {
		fputs(k->problems ? "," : "", stdout);
		ka_json_str(stdout, msg);
	}
	k->problems++;
}

/* One file beside the store: owned by root, not writable by group or
 * others, and (the store) not readable by others; the writers' lock
 * (want_private 2) readable by nobody else. */
static void check_file(struct ka_check *k, const char *path, int want_private)
{
	struct stat sb;

	if (lstat(path, &sb) != 0) {
		problem(k, "%s: %s", path, strerror(errno));
		return;
	}
	if (!S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode)) {
		problem(k, "%s: not a regular file", path);
		return;
	}
	if (sb.st_uid != 0 && sb.st_uid != geteuid())
		problem(k, "%s: owned by uid %u, not root", path, (unsigned)sb.st_uid);
	if (sb.st_mode & (S_IWGRP | S_IWOTH))
		problem(k, "%s: writable by group or others (mode %04o)", path,
		        (unsigned)(sb.st_mode & 07777));
	if (want_private == 2 && (sb.st_mode & 077))
		problem(k,
		        "%s: open to group or others (mode %04o): they could hold the writers' "
		        "lock",
		        path, (unsigned)(sb.st_mode & 07777));
	else if (want_private && (sb.st_mode & S_IROTH))
		problem(k, "%s: readable by others (mode %04o)", path,
		        (unsigned)(sb.st_mode & 07777));
}

static void check_dir(struct ka_check *k, const char *db)
{
	char dir[4096];
	const char *slash = strrchr(db, '/');

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - db + (slash == db)), db);
	check_file(k, dir, 0);
}

/* The store itself; its metadata into *m when it opens and checks. */
static int check_store(struct ka_check *k, const char *db, struct ak_meta *m)
{
	struct ak_error e = {AK_OK, ""};
	struct ak_store *st = NULL;
	int good = 0;

	if (ak_store_open(&st, db, geteuid(), &e) != 0)
		problem(k, "%s", e.msg);
	else if (ak_store_check(st, &e) != 0)
		problem(k, "%s", e.msg);
	else {
		*m = *ak_store_meta(st);
		good = 1;
	}
	ak_store_close(st);
	return good;
}

int ka_cmd_check(const struct ka_ctx *c)
{
	struct ka_check k = {c->o->json, 0};
	struct ak_meta m;
	char lock[4096 + 8];
	struct stat sb;
	int good;

	memset(&m, 0, sizeof(m));
	if (k.json) {
		fputs("{\"db\":", stdout);
		ka_json_str(stdout, c->db);
		fputs(",\"problems\":[", stdout);
	}
	check_dir(&k, c->db);
	check_file(&k, c->db, 1);
	snprintf(lock, sizeof(lock), "%s" AK_LOCK_SUFFIX, c->db);
	if (lstat(lock, &sb) == 0)
		check_file(&k, lock, 2);
	good = check_store(&k, c->db, &m);
	if (k.json && good)
		printf("],\"ok\":%s,\"generation\":%" PRIu64 ",\"auditEntries\":%" PRIu64 "}\n",
		       k.problems ? "false" : "true", m.generation, m.audit_seq);
	else if (k.json)
		fputs("],\"ok\":false,\"generation\":null,\"auditEntries\":null}\n", stdout);
	else if (good)
		printf("ok: %s: generation %" PRIu64 ", %" PRIu64 " audit entries\n", c->db,
		       m.generation, m.audit_seq);
	ka_flush(stdout);
	if (k.problems)
		ka_die(KA_EXIT_FAIL, "%d problem%s found", k.problems, k.problems > 1 ? "s" : "");
	return KA_EXIT_OK;
}
