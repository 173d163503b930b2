/* keyadm: option parsing and dispatch. Options may stand before the
 * subcommand or after its arguments; unknown ones are usage errors. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "keyadm.h"

/* The options, one bit each (see parse_long). */
#define KA_O_DB (UINT64_C(1) << 0)
#define KA_O_PREFIX (UINT64_C(1) << 1)
#define KA_O_NAME (UINT64_C(1) << 2)
#define KA_O_EXPIRES (UINT64_C(1) << 3)
#define KA_O_SERVICE (UINT64_C(1) << 4)
#define KA_O_FROM (UINT64_C(1) << 5)
#define KA_O_REASON (UINT64_C(1) << 6)
#define KA_O_USER (UINT64_C(1) << 7)
#define KA_O_KEY (UINT64_C(1) << 8)
#define KA_O_GRACE (UINT64_C(1) << 9)
#define KA_O_STATE (UINT64_C(1) << 10)
#define KA_O_SINCE (UINT64_C(1) << 11)
#define KA_O_JSON (UINT64_C(1) << 12)
#define KA_O_HELP (UINT64_C(1) << 13)
#define KA_O_VERSION (UINT64_C(1) << 14)
#define KA_O_NO_EXPIRY (UINT64_C(1) << 15)
#define KA_O_ANY_SERVICE (UINT64_C(1) << 16)
#define KA_O_ANY_SOURCE (UINT64_C(1) << 17)
#define KA_O_VERIFY (UINT64_C(1) << 18)
#define KA_O_BATCH (UINT64_C(1) << 19)
#define KA_O_CONFIG (UINT64_C(1) << 20)
#define KA_O_UNUSED (UINT64_C(1) << 21)
#define KA_O_EXPIRING (UINT64_C(1) << 22)
#define KA_O_STALE (UINT64_C(1) << 23)
#define KA_O_RECORD (UINT64_C(1) << 24)
#define KA_O_REVOKE (UINT64_C(1) << 25)
#define KA_O_FOLLOW (UINT64_C(1) << 26)
#define KA_O_GROUP (UINT64_C(1) << 27)
#define KA_O_OUT (UINT64_C(1) << 28)
#define KA_O_VALID (UINT64_C(1) << 29)
#define KA_O_TRUST (UINT64_C(1) << 30)
#define KA_O_CHECK (UINT64_C(1) << 31)
#define KA_O_END_SESSIONS (UINT64_C(1) << 32)
#define KA_O_KEEP_SESSIONS (UINT64_C(1) << 33)
#define KA_O_EVENTS (UINT64_C(1) << 34)
#define KA_O_GLOBAL (KA_O_DB | KA_O_CONFIG | KA_O_JSON | KA_O_HELP | KA_O_VERSION)

struct ka_optdef {
	const char *name;
	uint64_t bit;
	size_t str_off; /* offset of the const char * field, or 0 for a flag */
	size_t flag_off;
};

#define STR(f) offsetof(struct ka_opts, f), 0
#define FLAG(f) 0, offsetof(struct ka_opts, f)

static const struct ka_optdef optdefs[] = {
        {"db", KA_O_DB, STR(db)},
        {"prefix", KA_O_PREFIX, STR(prefix)},
        {"name", KA_O_NAME, STR(name)},
        {"expires", KA_O_EXPIRES, STR(expires)},
        {"service", KA_O_SERVICE, STR(service)},
        {"from", KA_O_FROM, STR(from)},
        {"reason", KA_O_REASON, STR(reason)},
        {"user", KA_O_USER, STR(user)},
        {"key", KA_O_KEY, STR(key)},
        {"grace", KA_O_GRACE, STR(grace)},
        {"state", KA_O_STATE, STR(state)},
        {"since", KA_O_SINCE, STR(since)},
        {"json", KA_O_JSON, FLAG(json)},
        {"help", KA_O_HELP, FLAG(help)},
        {"version", KA_O_VERSION, FLAG(version)},
        {"no-expiry", KA_O_NO_EXPIRY, FLAG(no_expiry)},
        {"any-service", KA_O_ANY_SERVICE, FLAG(any_service)},
        {"any-source", KA_O_ANY_SOURCE, FLAG(any_source)},
        {"verify", KA_O_VERIFY, FLAG(verify)},
        {"batch", KA_O_BATCH, FLAG(batch)},
        {"config", KA_O_CONFIG, STR(config)},
        {"unused", KA_O_UNUSED, STR(unused)},
        {"expiring", KA_O_EXPIRING, STR(expiring)},
        {"stale", KA_O_STALE, STR(stale)},
        {"record", KA_O_RECORD, FLAG(record)},
        {"revoke", KA_O_REVOKE, FLAG(revoke)},
        {"follow-symlinks", KA_O_FOLLOW, FLAG(follow_symlinks)},
        {"group", KA_O_GROUP, STR(group)},
        {"events", KA_O_EVENTS, STR(events[0])},
        {"out", KA_O_OUT, STR(out)},
        {"valid", KA_O_VALID, STR(valid)},
        {"trust", KA_O_TRUST, STR(trust)},
        {"check", KA_O_CHECK, FLAG(check)},
        {"end-sessions", KA_O_END_SESSIONS, FLAG(end_sessions)},
        {"keep-sessions", KA_O_KEEP_SESSIONS, FLAG(keep_sessions)},
};

struct ka_cmddef {
	const char *name;
	int (*fn)(const struct ka_ctx *);
	uint64_t opts;
	int min_args, max_args; /* -1: any number */
	const char *usage;
};

static const struct ka_cmddef cmddefs[] = {
        {"init", ka_cmd_init, KA_O_PREFIX | KA_O_GROUP, 0, 0, "init [--prefix P] [--group GROUP]"},
        {"group", ka_cmd_group, 0, 1, 1, "group GROUP"},
        {"create", ka_cmd_create, KA_O_NAME | KA_O_EXPIRES | KA_O_SERVICE | KA_O_FROM | KA_O_BATCH,
         0, 1,
         "create USER|--batch [--name TEXT] [--expires WHEN] [--service LIST] [--from CIDRS]"},
        {"list", ka_cmd_list, KA_O_STATE | KA_O_UNUSED | KA_O_EXPIRING | KA_O_STALE | KA_O_EVENTS,
         0, 1,
         "list [USER] [--state active|disabled|revoked|expired] [--unused DURATION]\n"
         "              [--expiring DURATION] [--stale DURATION] [--events FILE]..."},
        {"show", ka_cmd_show, KA_O_EVENTS, 1, 1, "show ID [--events FILE]..."},
        {"revoke", ka_cmd_revoke,
         KA_O_REASON | KA_O_USER | KA_O_KEY | KA_O_END_SESSIONS | KA_O_KEEP_SESSIONS, 0, -1,
         "revoke ID...|--user USER|--key FILE|- [--reason TEXT]\n"
         "              [--end-sessions|--keep-sessions]"},
        {"disable", ka_cmd_disable,
         KA_O_REASON | KA_O_USER | KA_O_END_SESSIONS | KA_O_KEEP_SESSIONS, 0, -1,
         "disable ID...|--user USER [--reason TEXT] [--end-sessions|--keep-sessions]"},
        {"enable", ka_cmd_enable, KA_O_USER, 0, -1, "enable ID...|--user USER"},
        {"rotate", ka_cmd_rotate, KA_O_GRACE, 1, 1, "rotate ID [--grace DURATION]"},
        {"set", ka_cmd_set,
         KA_O_NAME | KA_O_EXPIRES | KA_O_NO_EXPIRY | KA_O_SERVICE | KA_O_ANY_SERVICE | KA_O_FROM |
                 KA_O_ANY_SOURCE,
         1, 1,
         "set ID [--name TEXT] [--expires WHEN|--no-expiry] [--service LIST|--any-service]\n"
         "              [--from CIDRS|--any-source]"},
        {"purge", ka_cmd_purge, 0, 1, -1, "purge ID..."},
        {"verify", ka_cmd_verify, KA_O_SERVICE | KA_O_FROM | KA_O_RECORD, 1, 1,
         "verify USER [--service NAME] [--from ADDR] [--record] < KEYFILE"},
        {"audit", ka_cmd_audit, KA_O_USER | KA_O_KEY | KA_O_SINCE | KA_O_VERIFY, 0, 0,
         "audit [--user USER] [--key ID] [--since WHEN] | audit --verify"},
        {"sessions", ka_cmd_sessions, KA_O_KEY, 0, 1, "sessions [USER|--key ID]"},
        {"check", ka_cmd_check, 0, 0, 0, "check"},
        {"failures", ka_cmd_failures, KA_O_SINCE | KA_O_KEY | KA_O_USER | KA_O_EVENTS, 0, 0,
         "failures [--since WHEN] [--key ID] [--user USER] [--events FILE]..."},
        {"scan", ka_cmd_scan, KA_O_REVOKE | KA_O_REASON | KA_O_FOLLOW, 1, -1,
         "scan PATH... [--revoke [--reason TEXT]] [--follow-symlinks]"},
        {"signing-key", ka_cmd_signing_key, 0, 1, 1, "signing-key create"},
        {"publish", ka_cmd_publish, KA_O_OUT | KA_O_VALID, 0, 0,
         "publish --out FILE [--valid DURATION]"},
        {"install", ka_cmd_install, KA_O_TRUST | KA_O_CHECK, 1, 1,
         "install FILE [--trust PUBKEY] [--check]"},
        {"status", ka_cmd_status, 0, 0, 0, "status"},
        {"promote", ka_cmd_promote, 0, 0, 0, "promote"},
};

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static const struct ka_cmddef *cmd_find(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < N_ELEMS(cmddefs); i++)
		if (strcmp(cmddefs[i].name, name) == 0)
			return &cmddefs[i];
	return NULL;
}

void ka_usage_cmd(FILE *f, const char *cmd)
{
	const struct ka_cmddef *d = cmd_find(cmd);
	size_t i;

	if (d != NULL) {
		fprintf(f, "usage: keyadm [--db PATH] [--config PATH] [--json] %s\n\noptions:\n",
		        d->usage);
		for (i = 0; i < N_ELEMS(optdefs); i++)
			if (optdefs[i].bit & d->opts)
				ka_help_option(f, d->name, optdefs[i].name,
				               optdefs[i].str_off != 0);
		for (i = 0; i < N_ELEMS(optdefs); i++)
			if (optdefs[i].bit & KA_O_GLOBAL & ~KA_O_VERSION)
				ka_help_option(f, d->name, optdefs[i].name,
				               optdefs[i].str_off != 0);
		fprintf(f, "See keyadm(8).\n");
		return;
	}
	fprintf(f, "usage: keyadm [--db PATH] [--config PATH] [--json] COMMAND [ARGS]\n"
	           "       keyadm --help | --version | help [COMMAND] | COMMAND --help\n\n"
	           "commands (COMMAND --help describes each of its options):\n");
	for (i = 0; i < N_ELEMS(cmddefs); i++)
		fprintf(f, "  %s\n", cmddefs[i].usage);
	fprintf(f,
	        "\nDURATION: a number and a unit: s, min, h, d, w, mo (30 days), y (365 days),\n"
	        "like 90d, 12h, 30min, 2w, 6mo, 1y; m and M are refused (minutes or months?).\n"
	        "WHEN: a duration from now or a date (2027-01-31, 2027-01-31T12:00:00Z).\nThe "
	        "store: --db, else $APIKEY_DB, else store in the "
	        "policy,\nelse %s. The policy: --config, else $APIKEY_CONFIG, else\n%s "
	        "(see apikey.conf(5)).\nThe usage events: events in the policy (a path or none), "
	        "else\nbeside the store (keys.db -> keys.events), with every rotated "
	        "copy\n(keys.events.1, keys.events.2.gz, ...).\n"
	        "Every change is logged to syslog (authpriv.notice), one line per audit entry.\n"
	        "After every change the hooks in hooks_dir run (default %s).\n"
	        "Fleet: the primary publishes signed bundles, replicas install them\n"
	        "(fleet_trust and fleet_stale in the policy).\n"
	        "Sessions opened with a key are in sessions_dir (default %s);\n"
	        "revoke and disable end them with --end-sessions (or end_sessions yes).\n"
	        "Exit status: 0 ok, 1 failure, 2 usage, 3 not found, 4 verify: not VALID;\n"
	        "scan: 0 nothing found, 1 keys found, 5 could not read everything.\n"
	        "See keyadm(8).\n",
	        AK_DEFAULT_DB, KA_SYSCONF, KA_HOOKS_DIR, AK_SESSIONS_DIR);
}

/* Printable ASCII only: safe to repeat in an error message. */
static int echo_safe(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if ((s[i] != ' ' && !ak_word_char((unsigned char)s[i])) || i >= 40)
			return 0;
	return 1;
}

static const struct ka_optdef *opt_find(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < N_ELEMS(optdefs); i++)
		if (strlen(optdefs[i].name) == len && memcmp(optdefs[i].name, name, len) == 0)
			return &optdefs[i];
	return NULL;
}

/* One "--name[=value]" at argv[*i]; consumes the value's word if needed. */
static void parse_long(struct ka_opts *o, int argc, char **argv, int *i)
{
	const char *arg = argv[*i] + 2, *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
	const struct ka_optdef *d = opt_find(arg, len);
	const char *val = eq ? eq + 1 : NULL;

	if (d == NULL)
		ka_usage(echo_safe(argv[*i]) ? "unknown option %s" : "unknown option%s",
		         echo_safe(argv[*i]) ? argv[*i] : "");
	if ((o->given & d->bit) && d->bit != KA_O_EVENTS)
		ka_usage("option --%s given twice", d->name);
	if (d->bit == KA_O_EVENTS && o->n_events == KA_EVENTS_MAX)
		ka_usage("option --events given more than %d times", KA_EVENTS_MAX);
	o->given |= d->bit;
	if (d->str_off == 0) {
		if (val != NULL)
			ka_usage("option --%s takes no value", d->name);
		*(int *)(void *)((char *)o + d->flag_off) = 1;
		return;
	}
	if (val == NULL) {
		if (*i + 1 >= argc)
			ka_usage("option --%s needs a value", d->name);
		val = argv[++*i];
	}
	if (*val == '\0')
		ka_usage("option --%s needs a non-empty value", d->name);
	if (d->bit == KA_O_EVENTS)
		o->events[o->n_events++] = val; /* repeatable: one file per host */
	else
		*(const char **)(void *)((char *)o + d->str_off) = val;
}

static void parse_args(struct ka_opts *o, int argc, char **argv)
{
	int i, only_args = 0;

	o->args = calloc((size_t)argc + 1, sizeof(char *));
	if (o->args == NULL)
		ka_die(KA_EXIT_FAIL, "out of memory");
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!only_args && strcmp(a, "--") == 0) {
			only_args = 1;
		} else if (!only_args && strncmp(a, "--", 2) == 0) {
			parse_long(o, argc, argv, &i);
		} else if (!only_args && strcmp(a, "-h") == 0) {
			o->help = 1;
			o->given |= KA_O_HELP;
		} else if (!only_args && a[0] == '-' && a[1] != '\0') {
			ka_usage(echo_safe(a) ? "unknown option %s" : "unknown option%s",
			         echo_safe(a) ? a : "");
		} else if (o->cmd == NULL) {
			o->cmd = argv[i];
		} else {
			o->args[o->n_args++] = argv[i];
		}
	}
}

static const struct ka_cmddef *resolve(const struct ka_opts *o)
{
	const struct ka_cmddef *d;
	uint64_t extra;

	if ((d = cmd_find(o->cmd)) == NULL)
		ka_usage(echo_safe(o->cmd) ? "unknown command %s" : "unknown command%s",
		         echo_safe(o->cmd) ? o->cmd : "");
	extra = o->given & ~(d->opts | KA_O_GLOBAL);
	if (extra != 0) {
		size_t i;
		for (i = 0; i < N_ELEMS(optdefs); i++)
			if (extra & optdefs[i].bit)
				ka_usage("%s does not take --%s", d->name, optdefs[i].name);
	}
	if (o->n_args < d->min_args)
		ka_usage("%s: missing argument (usage: keyadm %s)", d->name, d->usage);
	if (d->max_args >= 0 && o->n_args > d->max_args)
		ka_usage("%s: too many arguments (usage: keyadm %s)", d->name, d->usage);
	return d;
}

static int help_or_version(const struct ka_opts *o)
{
	if (o->version) {
		printf("keyadm %s\n", AK_VERSION);
		return 1;
	}
	if (o->cmd != NULL && strcmp(o->cmd, "help") == 0) {
		if (o->n_args > 1 || (o->n_args == 1 && cmd_find(o->args[0]) == NULL))
			ka_usage("help: no such command");
		ka_usage_cmd(stdout, o->n_args ? o->args[0] : NULL);
		return 1;
	}
	if (o->help) {
		if (o->cmd != NULL && cmd_find(o->cmd) == NULL)
			ka_usage("no such command");
		ka_usage_cmd(stdout, o->cmd);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct ka_opts o;
	static struct ka_ctx c;
	const struct ka_cmddef *d;
	int rc;

	ka_priv_init(); /* MUST come first: setuid, nothing of the caller's counts */
	parse_args(&o, argc, argv);
	if (help_or_version(&o)) {
		ka_flush(stdout);
		return KA_EXIT_OK;
	}
	if (o.cmd == NULL)
		ka_usage("no command (keyadm --help lists them)");
	d = resolve(&o);
	if (sodium_init() < 0)
		ka_die(KA_EXIT_FAIL, "cannot initialise libsodium");
	c.o = &o;
	c.now = ak_now_ms();
	ka_self_check(&c);
	ka_conf_select(&c);
	ka_events_select(&c);
	ka_hooks_config(c.pol.hooks_dir);
	ka_actor(c.actor, sizeof(c.actor));
	rc = d->fn(&c);
	ka_hooks_wait();
	return rc;
}
