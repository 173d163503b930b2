/* keyadm signing-key, publish, status, promote: the primary's side of a
 * fleet (install, the replica's side, is in cmd_install.c). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fleet.h"

#define DEFAULT_VALID "7d"

static int have_file(const char *db, const char *suffix)
{
	char path[4096 + 16];
	struct stat sb;

	ka_fleet_path(path, sizeof(path), db, suffix);
	return lstat(path, &sb) == 0;
}

/* The fleet's name: a promoted replica keeps its primary's, a new primary
 * takes the host's name. */
static void origin_of(char *out, size_t cap, const struct ak_meta *m)
{
	char host[256];

	if (m->origin[0] != '\0') {
		snprintf(out, cap, "%s", m->origin);
		return;
	}
	if (gethostname(host, sizeof(host)) != 0 || (host[sizeof(host) - 1] = '\0', 0) ||
	    !ak_origin_valid(host))
		ka_die(KA_EXIT_FAIL,
		       "this host's name is not a valid origin (1 to %d of A-Z a-z "
		       "0-9 . -)",
		       AK_ORIGIN_MAX);
	memcpy(out, host, strlen(host) + 1 <= cap ? strlen(host) + 1 : 0);
}

int ka_cmd_signing_key(const struct ka_ctx *c)
{
	struct ka_signer s;
	struct ak_store *st;
	char origin[AK_ORIGIN_MAX + 1], fp[64], pub[4096 + 16];

	if (strcmp(c->o->args[0], "create") != 0)
		ka_usage("signing-key: the only action is create");
	st = ka_store_open(c);
	if (ak_store_meta(st)->fleet_role == AK_ROLE_REPLICA)
		ka_die(KA_EXIT_FAIL,
		       "%s: this store is a replica of %s: only a primary signs "
		       "(keyadm promote first)",
		       c->db, ak_store_meta(st)->origin);
	origin_of(origin, sizeof(origin), ak_store_meta(st));
	ak_store_close(st);
	ka_signer_create(c->db, origin, &s);
	ka_fingerprint(fp, sizeof(fp), s.pk);
	ka_fleet_path(pub, sizeof(pub), c->db, ".pub");
	if (c->o->json) {
		fputs("{\"publicKey\":", stdout);
		ka_json_str(stdout, pub);
		printf(",\"fingerprint\":\"%s\",\"origin\":", fp);
		ka_json_str(stdout, origin);
		fputs("}\n", stdout);
	} else
		printf("public key: %s\nfingerprint: %s\norigin: %s\n", ka_esc(pub), fp, origin);
	sodium_memzero(&s, sizeof(s));
	ka_flush(stdout);
	return KA_EXIT_OK;
}

/* MUST: a serial never repeats and never goes down. The serial file
 * counts, and the clock (ms) and the store (generation, and the serial a
 * promoted replica brought) are floors, so a store and a serial file
 * restored from an old backup still publish above everything before. */
static uint64_t next_serial(const struct ka_serial *cur, const struct ak_meta *m, int64_t now)
{
	uint64_t s = cur->serial + 1;

	if (m->serial + 1 > s)
		s = m->serial + 1;
	if (m->generation > s)
		s = m->generation;
	if ((uint64_t)now > s)
		s = (uint64_t)now;
	return s;
}

/* Into OUT by a temporary file and rename(2): a reader (rsync) sees the
 * old bundle or the new one, whole. Mode 0600: a bundle holds the store's
 * key and every verifier, like the store itself. */
static void write_out(const char *out, const struct ka_bundle_out *b)
{
	char tmp[4096 + 16];
	FILE *f;
	int fd, err;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", out) >= (int)sizeof(tmp))
		ka_die(KA_EXIT_FAIL, "--out path too long");
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		ka_die(KA_EXIT_FAIL, "%s: %s", out, strerror(errno));
	if ((f = fdopen(fd, "w")) == NULL) {
		err = errno;
		close(fd);
		unlink(tmp);
		ka_die(KA_EXIT_FAIL, "%s: %s", out, strerror(err));
	}
	if (fchmod(fd, 0600) != 0 || ka_bundle_emit(f, b) != 0 || fsync(fd) != 0) {
		err = errno;
		fclose(f);
		unlink(tmp);
		ka_die(KA_EXIT_FAIL, "%s: cannot write the bundle: %s", out, strerror(err));
	}
	if (fclose(f) != 0 || rename(tmp, out) != 0) {
		err = errno;
		unlink(tmp);
		ka_die(KA_EXIT_FAIL, "%s: cannot write the bundle: %s", out, strerror(err));
	}
}

static void publish_report(const struct ka_ctx *c, const struct ka_bundle *h, size_t len)
{
	char until[32];

	if (c->o->json) {
		fputs("{\"out\":", stdout);
		ka_json_str(stdout, c->o->out);
		printf(",\"origin\":\"%s\",\"serial\":%" PRIu64 ",\"generation\":%" PRIu64
		       ",\"keys\":%" PRIu64 ",\"bytes\":%zu,\"publishedAt\":%" PRId64
		       ",\"validUntil\":%" PRId64 "}\n",
		       h->origin, h->serial, h->generation, h->count, len, h->published_ms,
		       h->valid_until_ms);
		return;
	}
	ak_format_time(until, sizeof(until), h->valid_until_ms);
	printf("published serial %" PRIu64 " of %s (generation %" PRIu64 ", %" PRIu64
	       " keys, %zu bytes, valid until %s) to %s\n",
	       h->serial, h->origin, h->generation, h->count, len, until, ka_esc(c->o->out));
}

int ka_cmd_publish(const struct ka_ctx *c)
{
	struct ka_signer s;
	struct ka_serial cur, next;
	struct ka_bundle h;
	struct ka_bundle_out b;
	struct ak_store *st;
	int64_t valid;
	int fd;

	if (c->o->out == NULL)
		ka_usage("publish: --out FILE is required");
	if (ak_parse_duration(&valid, c->o->valid ? c->o->valid : DEFAULT_VALID) != 0)
		ka_usage("invalid --valid (a duration like 7d, 12h)");
	st = ka_store_open(c);
	if (ak_store_meta(st)->fleet_role == AK_ROLE_REPLICA)
		ka_die(KA_EXIT_FAIL,
		       "%s: this store is a replica of %s: only the primary publishes", c->db,
		       ak_store_meta(st)->origin);
	ka_signer_load(&s, c->db);
	fd = ka_serial_open(c->db, &cur);
	memset(&h, 0, sizeof(h));
	h.published_ms = ak_now_ms();
	h.valid_until_ms = h.published_ms + valid;
	h.serial = next_serial(&cur, ak_store_meta(st), h.published_ms);
	/* the serial is spent before the bundle exists: never handed out twice */
	next = (struct ka_serial){h.serial, h.published_ms, h.valid_until_ms};
	ka_serial_write(fd, c->db, &next);
	ka_bundle_build(&b, st, &s, &h);
	sodium_memzero(&s, sizeof(s));
	ak_store_close(st);
	write_out(c->o->out, &b);
	close(fd);
	publish_report(c, &h, b.len);
	ka_bundle_free(&b);
	ka_flush(stdout);
	return KA_EXIT_OK;
}

static const char *role_of(const struct ka_ctx *c, const struct ak_meta *m)
{
	if (m->fleet_role == AK_ROLE_REPLICA)
		return "replica";
	return have_file(c->db, ".sign") ? "primary" : "standalone";
}

static void status_time(const char *label, const char *jname, int json, int64_t ms)
{
	char t[32];

	if (json) {
		printf(",\"%s\":", jname);
		ka_json_time(stdout, ms);
		return;
	}
	ak_format_time(t, sizeof(t), ms);
	printf("%-12s %s\n", label, t);
}

int ka_cmd_status(const struct ka_ctx *c)
{
	struct ak_store *st = ka_store_open(c);
	struct ak_meta m = *ak_store_meta(st);
	struct ka_signer pub;
	struct ka_serial ser = {0, 0, 0};
	const char *role = role_of(c, &m);
	char path[4096 + 16], why[64];
	int json = c->o->json;

	ak_store_close(st);
	if (strcmp(role, "primary") == 0) {
		ka_fleet_path(path, sizeof(path), c->db, ".pub");
		if (m.origin[0] == '\0' && ka_trust_load(&pub, path, why, sizeof(why)) == 0)
			snprintf(m.origin, sizeof(m.origin), "%s", pub.origin);
		if (ka_serial_read(c->db, &ser) == 0) {
			m.serial = ser.serial;
			m.published_ms = ser.published_ms;
			m.valid_until_ms = ser.valid_until_ms;
		}
	}
	if (json) {
		printf("{\"role\":\"%s\",\"origin\":", role);
		if (m.origin[0])
			ka_json_str(stdout, m.origin);
		else
			fputs("null", stdout);
		printf(",\"serial\":%" PRIu64 ",\"generation\":%" PRIu64, m.serial, m.generation);
	} else {
		printf("%-12s %s\n%-12s %s\n%-12s %" PRIu64 "\n%-12s %" PRIu64 "\n", "role", role,
		       "origin", m.origin[0] ? m.origin : "-", "serial", m.serial, "generation",
		       m.generation);
	}
	status_time("published", "publishedAt", json, m.published_ms);
	status_time("installed", "installedAt", json, m.installed_ms);
	status_time("valid until", "validUntil", json, m.valid_until_ms);
	if (json)
		printf(",\"stale\":%s}\n",
		       m.fleet_role == AK_ROLE_REPLICA && c->now > m.valid_until_ms ? "true"
		                                                                    : "false");
	else if (m.fleet_role == AK_ROLE_REPLICA)
		printf("%-12s %s (fleet_stale %s)\n", "fresh",
		       c->now > m.valid_until_ms ? "no" : "yes",
		       m.fleet_stale == AK_STALE_WARN ? "warn" : "deny");
	ka_flush(stdout);
	return KA_EXIT_OK;
}

/* A replica becomes a store of its own that keeps the fleet's origin and
 * serial: with a signing key it is the new primary (keyadm(8) FLEET). */
int ka_cmd_promote(const struct ka_ctx *c)
{
	struct ak_error e = {AK_OK, ""};
	struct ak_txn *t = ka_txn_begin_replica(c);
	struct ak_meta *m = ak_txn_meta(t);
	struct ka_serial cur, next;
	char reason[AK_REASON_MAX + 1], origin[AK_ORIGIN_MAX + 1];
	int fd;

	if (m->fleet_role != AK_ROLE_REPLICA)
		ka_die(KA_EXIT_FAIL, "%s: not a replica (nothing was changed)", c->db);
	snprintf(reason, sizeof(reason), "was a replica of %s at serial %" PRIu64, m->origin,
	         m->serial);
	m->fleet_role = AK_ROLE_NONE;
	if (ak_txn_audit(t, "promote", "", "", reason, &e) != 0)
		ka_txn_fail(t, &e);
	/* the new primary's serials start above the last one installed */
	fd = ka_serial_open(c->db, &cur);
	next = cur;
	if (m->serial > next.serial)
		next.serial = m->serial;
	ka_serial_write(fd, c->db, &next);
	close(fd);
	snprintf(origin, sizeof(origin), "%s", m->origin);
	ka_txn_commit(t);
	printf("%s is no longer a replica of %s; next: keyadm signing-key create, then give the "
	       "replicas the new public key (fleet_trust)\n",
	       ka_esc(c->db), origin);
	ka_flush(stdout);
	return KA_EXIT_OK;
}
