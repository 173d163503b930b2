/* keyadm CMD --help: one line per option the command takes, said for that
 * command (--name on create names a new key, on set renames one). Which
 * options a command takes is main.c's table; this is only their words. */
#include <stdio.h>
#include <string.h>

#include "keyadm.h"

struct optdoc {
	const char *cmd; /* NULL: the same for every command */
	const char *opt;
	const char *arg; /* NULL: a flag */
	const char *text;
};

#define JL "JSON Lines: one object per key named, {"

static const struct optdoc docs[] = {
        {NULL, "db", "PATH",
         "the key store (else $APIKEY_DB, store in the policy, " AK_DEFAULT_DB ")"},
        {NULL, "config", "PATH", "the policy file (else $APIKEY_CONFIG, " KA_SYSCONF ")"},
        {NULL, "help", NULL, "this help (also -h, keyadm help COMMAND)"},
        {NULL, "version", NULL, "the version of keyadm"},
        {NULL, "json", NULL, "one JSON document on stdout instead of text"},
        {NULL, "reason", "TEXT", "why, kept in the key and the audit trail (at most 256 bytes)"},
        {NULL, "service", "LIST",
         "only these services (comma-separated PAM or SASL service names)"},
        {NULL, "from", "CIDRS", "only from these sources (comma-separated IPv4 or IPv6 CIDRs)"},
        {NULL, "user", "USER", "every key of USER"},
        {NULL, "key", "ID", "only the entries of key ID"},
        {NULL, "since", "WHEN", "only since WHEN (a duration ago, like 7d, or a date)"},
        {NULL, "expires", "WHEN", "expiry: a duration from now (90d, 6mo) or a date (2027-01-31)"},
        {NULL, "name", "TEXT",
         "a label for the key, like the host or application (at most 128 bytes)"},
        {"init", "prefix", "P",
         "the prefix of every key (2 to 8 of a-z 0-9, default " AK_DEFAULT_PREFIX ")"},
        {"init", "group", "GROUP", "give the store to the services' GROUP (as keyadm group does)"},
        {"init", "json", NULL, "print {db, prefix, mode, events, group} as one JSON object"},
        {"group", "json", NULL, "print {db, group, gid} as one JSON object"},
        {"create", "batch", NULL, "one key per user read from stdin (one user name a line)"},
        {"create", "json", NULL,
         "print {id, key, owner, expiresAt}; with --batch JSON Lines, one a user"},
        {"list", "state", "STATE", "only keys in STATE: active, disabled, revoked or expired"},
        {"list", "unused", "DURATION", "only keys not used for DURATION (never used ones too)"},
        {"list", "expiring", "DURATION", "only keys that expire within DURATION"},
        {"list", "stale", "DURATION", "only keys older than DURATION"},
        {"list", "json", NULL, "print a JSON array of keys, fields as show --json"},
        {"show", "json", NULL, "print the key as one JSON object"},
        {"revoke", "key", "FILE", "the key in FILE (- for stdin), for a key found in the open"},
        {"revoke", "json", NULL,
         JL "revoked, id, owner, changed, revokedAt, reason, sessionsEnded}"},
        {NULL, "end-sessions", NULL,
         "also end the live sessions the keys opened (SIGHUP, SIGKILL after 2 s)"},
        {NULL, "keep-sessions", NULL, "end no session, even with end_sessions yes in the policy"},
        {"disable", "reason", "TEXT",
         "why, kept in the key and the audit trail (at most 256 bytes)"},
        {"disable", "json", NULL,
         JL "disabled, id, owner, changed, disabledAt, reason, sessionsEnded}"},
        {"enable", "json", NULL, JL "enabled, id, owner, changed}"},
        {"purge", "json", NULL, JL "purged, id, owner, changed}"},
        {"rotate", "grace", "DURATION",
         "the old key still logs in for DURATION (without it, revoked at once)"},
        {"rotate", "json", NULL, "print the new key as {id, key, owner, expiresAt}"},
        {"set", "name", "TEXT", "rename the key (at most 128 bytes)"},
        {"set", "expires", "WHEN", "a new expiry: a duration from now or a date"},
        {"set", "no-expiry", NULL, "the key never expires (unless max_lifetime says otherwise)"},
        {"set", "service", "LIST", "only these services from now on (comma-separated)"},
        {"set", "any-service", NULL, "every service again"},
        {"set", "from", "CIDRS", "only these sources from now on (comma-separated CIDRs)"},
        {"set", "any-source", NULL, "every source again"},
        {"set", "json", NULL, "print {set, id, owner, changed} as one JSON object"},
        {"verify", "service", "NAME", "check as service NAME would"},
        {"verify", "from", "ADDR", "check as a client at ADDR would"},
        {"verify", "record", NULL, "log the attempt in the usage events, as a service would"},
        {"verify", "json", NULL, "print {result, id, owner} as one JSON object"},
        {"audit", "user", "USER", "only the entries of USER's keys"},
        {"audit", "verify", NULL, "check the hash chain of the whole trail instead"},
        {"audit", "json", NULL, "print a JSON array; with --verify {intact, entries, error}"},
        {"sessions", "key", "ID", "only the sessions of key ID"},
        {"sessions", "json", NULL,
         "print a JSON array of {key, user, service, host, since, pid, logindSession}"},
        {"check", "json", NULL, "print {db, problems, ok, generation, auditEntries}"},
        {"failures", "key", "ID", "only the attempts with key ID"},
        {"failures", "user", "USER", "only the attempts for user USER"},
        {"failures", "json", NULL, "print a JSON array of groups (key, source, counts)"},
        {"scan", "revoke", NULL, "revoke every key found in this store"},
        {"scan", "reason", "TEXT", "with --revoke: why (default: found by keyadm scan in FILE)"},
        {"scan", "follow-symlinks", NULL, "follow symbolic links (skipped by default)"},
        {"scan", "json", NULL, "print a JSON array of findings (no key is printed)"},
        {NULL, "events", "FILE",
         "read this events file (one per host, repeatable, root only) instead of the store's"},
        {"publish", "out", "FILE",
         "write the signed bundle to FILE (mode 0600, renamed into place)"},
        {"publish", "valid", "DURATION", "how long replicas accept the bundle (default 7d)"},
        {"install", "trust", "PUBKEY",
         "the primary's public key (keys.db.pub; else fleet_trust in the policy)"},
        {"install", "check", NULL, "make every check of the bundle and change nothing"},
};

#define N_DOCS (sizeof(docs) / sizeof(docs[0]))

static const struct optdoc *doc_find(const char *cmd, const char *opt)
{
	const struct optdoc *any = NULL;
	size_t i;

	for (i = 0; i < N_DOCS; i++) {
		if (strcmp(docs[i].opt, opt) != 0)
			continue;
		if (docs[i].cmd != NULL && strcmp(docs[i].cmd, cmd) == 0)
			return &docs[i];
		if (docs[i].cmd == NULL)
			any = &docs[i];
	}
	return any;
}

#define HELP_INDENT 25
#define HELP_WIDTH 79

/* "  --name TEXT            a label ...", the words wrapped at 79 columns. */
void ka_help_option(FILE *f, const char *cmd, const char *opt, int takes_value)
{
	const struct optdoc *d = doc_find(cmd, opt);
	const char *w = d ? d->text : "";
	char left[64];
	size_t col = HELP_INDENT, n;

	snprintf(left, sizeof(left), "--%s%s%s", opt, takes_value ? " " : "",
	         takes_value ? (d && d->arg ? d->arg : "VALUE") : "");
	fprintf(f, "  %-*s", HELP_INDENT - 2, left);
	if (strlen(left) > HELP_INDENT - 3)
		fprintf(f, "\n%*s", HELP_INDENT, "");
	while (*w != '\0') {
		n = strcspn(w, " ");
		if (col > HELP_INDENT && col + 1 + n > HELP_WIDTH) {
			fprintf(f, "\n%*s", HELP_INDENT, "");
			col = HELP_INDENT;
		}
		fprintf(f, "%s%.*s", col > HELP_INDENT ? " " : "", (int)n, w);
		col += (col > HELP_INDENT) + n;
		w += n + (w[n] == ' ');
	}
	fputc('\n', f);
}
