/* Every committed change also goes to syslog (authpriv.notice), one line
 * per new audit entry, as useradd and passwd do: a record of who did what
 * outside the store, which a root who rewrites the store cannot take back
 * from a remote log host, and the list of revocations to apply again
 * after restoring an older copy of the store. A large change (create
 * --batch) is one line per action instead. Only what the audit trail
 * holds goes out: ids, owners, actors, reasons; never a key. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "keyadm.h"

#define EACH_MAX 32   /* entries logged one by one; more: one line per action */
#define ACTIONS_MAX 8 /* distinct actions one change can hold */

static struct {
	const char *db;
	uint64_t n;
	struct ak_audit each[EACH_MAX];
	struct {
		char action[AK_ACTION_MAX + 1];
		uint64_t n, first, last;
	} sum[ACTIONS_MAX]; /* one change has one actor: each[0]'s */
	size_t actions;
} ch;

/* s in double quotes, with " and \ escaped: a reason (which self-service
 * users write) cannot close the quotes and add a field of its own. */
static const char *quoted(char *out, size_t cap, const char *s)
{
	size_t n = 0;

	out[n++] = '"';
	for (; *s != '\0' && n + 3 < cap; s++) {
		if (*s == '"' || *s == '\\')
			out[n++] = '\\';
		out[n++] = *s;
	}
	out[n++] = '"';
	out[n] = '\0';
	return out;
}

/* end-sessions entries count the sessions ended ("2 sessions"): a
 * sessions=N field; any other reason is quoted. */
static int is_end_sessions(const struct ak_audit *a)
{
	return strcmp(a->action, "end-sessions") == 0;
}

static const char *reason_field(const struct ak_audit *a)
{
	if (a->reason[0] == '\0')
		return "";
	return is_end_sessions(a) ? " sessions=" : " reason=";
}

static const char *reason_value(char *out, size_t cap, const struct ak_audit *a)
{
	if (a->reason[0] == '\0')
		return "";
	if (is_end_sessions(a)) {
		snprintf(out, cap, "%lu", strtoul(a->reason, NULL, 10));
		return out;
	}
	return quoted(out, cap, a->reason);
}

static int collect_one(const struct ak_audit *a, void *ctx)
{
	size_t i;

	(void)ctx;
	ka_hooks_note(a);
	if (ch.n < EACH_MAX)
		ch.each[ch.n] = *a;
	ch.n++;
	for (i = 0; i < ch.actions && strcmp(ch.sum[i].action, a->action) != 0; i++)
		;
	if (i == ch.actions) {
		if (i == ACTIONS_MAX)
			return 0; /* counted in n; the lines name the first actions */
		snprintf(ch.sum[i].action, sizeof(ch.sum[i].action), "%s", a->action);
		ch.sum[i].first = a->seq;
		ch.actions++;
	}
	ch.sum[i].n++;
	ch.sum[i].last = a->seq;
	return 0;
}

void ka_changes_collect(const struct ak_store *st, uint64_t from, const char *db)
{
	struct ak_error e = {AK_OK, ""};

	memset(&ch, 0, sizeof(ch));
	ch.db = db;
	ka_hooks_reset();
	if (ak_store_each_audit(st, from, collect_one, NULL, &e) != 0) {
		ka_warn("%s: this change is not logged to syslog and runs no hooks: %s", db, e.msg);
		memset(&ch, 0, sizeof(ch));
		ka_hooks_reset();
	}
}

void ka_changes_log(void)
{
	char by[2 * AK_ACTOR_MAX + 3], why[2 * AK_REASON_MAX + 3];
	const struct ak_audit *a;
	size_t i;

	if (ch.n == 0)
		return;
	openlog("keyadm", LOG_PID, LOG_AUTHPRIV);
	if (ch.n <= EACH_MAX) {
		for (i = 0; i < ch.n; i++) {
			a = &ch.each[i];
			syslog(LOG_NOTICE, "%s%s%s%s%s by=%s%s%s entry=%" PRIu64 " store=%s",
			       a->action, a->id[0] ? " key=" : "", a->id,
			       a->owner[0] ? " user=" : "", a->owner,
			       quoted(by, sizeof(by), a->actor), reason_field(a),
			       reason_value(why, sizeof(why), a), a->seq, ch.db);
		}
	} else {
		for (i = 0; i < ch.actions; i++)
			syslog(LOG_NOTICE,
			       "%s of %" PRIu64 " keys by=%s entries=%" PRIu64 "-%" PRIu64
			       " store=%s (keyadm audit lists each)",
			       ch.sum[i].action, ch.sum[i].n,
			       quoted(by, sizeof(by), ch.each[0].actor), ch.sum[i].first,
			       ch.sum[i].last, ch.db);
	}
	closelog();
	memset(&ch, 0, sizeof(ch));
}
