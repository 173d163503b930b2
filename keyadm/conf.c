/* apikey.conf: the site policy. Strict like every parser here: an unknown
 * setting, a bad value or a setting given twice stops keyadm with the file
 * and line, before anything is done. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keyadm.h"

#define LINE_MAX_BYTES 1024

enum {
	S_MAX_LIFETIME,
	S_DEFAULT_EXPIRY,
	S_MAX_KEYS,
	S_SELF_SERVICE,
	S_STORE,
	S_EVENTS,
	S_SS_RATE,
	S_SS_MAX_STORED,
	S_PURGE,
	S_HOOKS_DIR,
	S_FLEET_TRUST,
	S_FLEET_STALE,
	S_N
};

static const char *const settings[S_N] = {"max_lifetime",
                                          "default_expiry",
                                          "max_keys_per_user",
                                          "self_service",
                                          "store",
                                          "events",
                                          "self_service_rate",
                                          "self_service_max_stored",
                                          "purge_revoked_after",
                                          "hooks_dir",
                                          "fleet_trust",
                                          "fleet_stale"};

/* The defaults of the self-service limits and of the retention: a user
 * makes a few keys a day, and a revoked key is still shown for a season. */
#define DEF_SS_RATE "20/1h"
#define DEF_SS_MAX_STORED 100
#define DEF_PURGE "90d"

struct conf_pos {
	const char *file;
	size_t line;
};

static __attribute__((noreturn)) void bad(const struct conf_pos *at, const char *what,
                                          const char *name)
{
	ka_die(KA_EXIT_FAIL, "%s:%zu: %s%s%s", at->file, at->line, name ? name : "",
	       name ? ": " : "", what);
}

static int conf_path(const char *v)
{
	return v[0] == '/' && ak_text_valid(v, 1000);
}

/* 1..1000000, or 0 for "none" when none is allowed. */
static int parse_count(unsigned long *out, const char *v, int none)
{
	char *end;
	unsigned long n;

	if (none && strcmp(v, "none") == 0) {
		*out = 0;
		return 0;
	}
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno != 0 || *end != '\0' || v[0] < '0' || v[0] > '9' || n < 1 || n > 1000000)
		return -1;
	*out = n;
	return 0;
}

/* "N/DURATION" (20/1h) or none. */
static int parse_rate(struct ka_policy *p, const char *v)
{
	char n[16];
	size_t len = strcspn(v, "/");

	snprintf(p->ss_rate_text, sizeof(p->ss_rate_text), "%s", v);
	if (strcmp(v, "none") == 0) {
		p->ss_rate = 0;
		return 0;
	}
	if (len == 0 || len >= sizeof(n) || v[len] != '/' || strlen(v) >= sizeof(p->ss_rate_text))
		return -1;
	memcpy(n, v, len);
	n[len] = '\0';
	if (parse_count(&p->ss_rate, n, 0) != 0 ||
	    ak_parse_duration(&p->ss_rate_window, v + len + 1) != 0)
		return -1;
	return 0;
}

static int parse_retention(struct ka_policy *p, const char *v)
{
	snprintf(p->purge_after_text, sizeof(p->purge_after_text), "%s", v);
	if (strcmp(v, "never") == 0) {
		p->purge_after = 0;
		return 0;
	}
	if (strlen(v) >= sizeof(p->purge_after_text) || ak_parse_duration(&p->purge_after, v) != 0)
		return -1;
	return 0;
}

/* The limits on self-service and the retention of dead keys. */
static void set_limit(struct ka_policy *p, int s, const char *v, const struct conf_pos *at)
{
	if (s == S_SS_RATE && parse_rate(p, v) != 0)
		bad(at, "not a rate N/DURATION (like 20/1h) or none", settings[s]);
	if (s == S_SS_MAX_STORED && parse_count(&p->ss_max_stored, v, 1) != 0)
		bad(at, "not a number from 1 to 1000000 or none", settings[s]);
	if (s == S_PURGE && parse_retention(p, v) != 0)
		bad(at, "not a duration (like 90d) or never", settings[s]);
}

static void set_value(struct ka_policy *p, int s, const char *v, const struct conf_pos *at)
{
	if (s == S_SS_RATE || s == S_SS_MAX_STORED || s == S_PURGE) {
		set_limit(p, s, v, at);
		return;
	}

	if (s == S_MAX_LIFETIME || s == S_DEFAULT_EXPIRY) {
		if (ak_parse_duration(s == S_MAX_LIFETIME ? &p->max_lifetime : &p->default_expiry,
		                      v) != 0)
			bad(at, "not a duration (like 90d, 2w, 12h)", settings[s]);
		if (s == S_MAX_LIFETIME)
			snprintf(p->max_lifetime_text, sizeof(p->max_lifetime_text), "%s", v);
	} else if (s == S_MAX_KEYS) {
		if (parse_count(&p->max_keys, v, 0) != 0)
			bad(at, "not a number from 1 to 1000000", settings[s]);
	} else if (s == S_SELF_SERVICE) {
		if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0)
			bad(at, "yes or no", settings[s]);
		p->self_service = strcmp(v, "yes") == 0;
	} else if (s == S_STORE) {
		if (!conf_path(v))
			bad(at, "not an absolute path", settings[s]);
		snprintf(p->store, sizeof(p->store), "%s", v);
	} else if (s == S_HOOKS_DIR || s == S_FLEET_TRUST) {
		if (!conf_path(v))
			bad(at, "not an absolute path", settings[s]);
		snprintf(s == S_HOOKS_DIR ? p->hooks_dir : p->fleet_trust, sizeof(p->hooks_dir),
		         "%s", v);
	} else if (s == S_FLEET_STALE) {
		if (strcmp(v, "deny") != 0 && strcmp(v, "warn") != 0)
			bad(at, "deny or warn", settings[s]);
		p->fleet_stale = strcmp(v, "warn") == 0 ? AK_STALE_WARN : AK_STALE_DENY;
	} else {
		if (strcmp(v, "none") != 0 && !conf_path(v))
			bad(at, "not an absolute path or none", settings[s]);
		snprintf(p->events, sizeof(p->events), "%s", v);
		p->events_line = at->line;
	}
}

/* One line: blank, "# comment", or "setting value". */
static void conf_line(struct ka_policy *p, char *line, unsigned *seen, const struct conf_pos *at)
{
	char *save = NULL, *name, *val;
	int s;

	name = strtok_r(line, " \t\r\n", &save);
	if (name == NULL || name[0] == '#')
		return;
	for (s = 0; s < S_N; s++)
		if (strcmp(name, settings[s]) == 0)
			break;
	if (s == S_N)
		bad(at,
		    "unknown setting (max_lifetime, default_expiry, max_keys_per_user, "
		    "self_service, self_service_rate, self_service_max_stored, "
		    "purge_revoked_after, store, events, hooks_dir, fleet_trust, fleet_stale)",
		    NULL);
	if (*seen & (1u << s))
		bad(at, "given twice", settings[s]);
	*seen |= 1u << s;
	val = strtok_r(NULL, " \t\r\n", &save);
	if (val == NULL || strtok_r(NULL, " \t\r\n", &save) != NULL)
		bad(at, "takes exactly one value", settings[s]);
	set_value(p, s, val, at);
}

/* MUST: a policy that root did not write is no policy: the file must be a
 * regular file owned by root (or the caller) and not writable by others. */
static FILE *conf_open(const char *path, int must_exist)
{
	struct stat sb;
	FILE *f;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		if (errno == ENOENT && !must_exist)
			return NULL;
		ka_die(KA_EXIT_FAIL, "%s: %s", path, strerror(errno));
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
		ka_die(KA_EXIT_FAIL, "%s: not a regular file", path);
	if ((sb.st_uid != 0 && sb.st_uid != geteuid()) || (sb.st_mode & (S_IWGRP | S_IWOTH)))
		ka_die(KA_EXIT_FAIL,
		       "%s: must be owned by root and not writable by group or "
		       "others: ignored, refusing to run",
		       path);
	if ((f = fdopen(fd, "r")) == NULL)
		ka_die(KA_EXIT_FAIL, "%s: %s", path, strerror(errno));
	return f;
}

void ka_conf_load(struct ka_policy *p, const char *path, int must_exist)
{
	struct conf_pos at = {path, 0};
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned seen = 0;
	FILE *f = conf_open(path, must_exist);

	memset(p, 0, sizeof(*p));
	if (parse_rate(p, DEF_SS_RATE) != 0 || parse_retention(p, DEF_PURGE) != 0)
		ka_die(KA_EXIT_FAIL, "bad built-in defaults"); /* cannot happen */
	p->ss_max_stored = DEF_SS_MAX_STORED;
	if (f == NULL)
		return;
	snprintf(p->path, sizeof(p->path), "%s", path);
	while ((n = getline(&line, &cap, f)) > 0) {
		at.line++;
		if (n > LINE_MAX_BYTES)
			bad(&at, "line too long", NULL);
		if (memchr(line, '\0', (size_t)n) != NULL)
			bad(&at, "NUL byte", NULL);
		conf_line(p, line, &seen, &at);
	}
	if (ferror(f))
		ka_die(KA_EXIT_FAIL, "%s: cannot read", path);
	free(line);
	fclose(f);
	if (p->max_lifetime && p->default_expiry > p->max_lifetime)
		ka_die(KA_EXIT_FAIL, "%s: default_expiry is longer than max_lifetime", path);
}

/* Not setuid: --config, else $APIKEY_CONFIG, else the default (which may
 * be missing: no limits). The store: --db, $APIKEY_DB, store, default. */
void ka_conf_select(struct ka_ctx *c)
{
	const char *env = getenv("APIKEY_CONFIG"), *db = getenv("APIKEY_DB");

	if (ka_priv_setuid())
		return; /* ka_self_check did it from the compiled-in file only */
	if (c->o->config != NULL)
		ka_conf_load(&c->pol, c->o->config, 1);
	else if (env != NULL && *env != '\0')
		ka_conf_load(&c->pol, env, 1);
	else
		ka_conf_load(&c->pol, KA_SYSCONF, 0);
	if (c->o->db != NULL)
		c->db = c->o->db;
	else if (db != NULL && *db != '\0')
		c->db = db;
	else
		c->db = c->pol.store[0] ? c->pol.store : AK_DEFAULT_DB;
}
