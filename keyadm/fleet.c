/* keyadm fleet: the files beside a primary's store. keys.db.sign (the
 * Ed25519 secret key, 0600), keys.db.pub (its public half, what replicas
 * trust) and keys.db.serial (the last serial published: serials never
 * repeat and never go down, even after the store is restored). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fleet.h"

#define SECRET_TAG "apikey-fleet-secret-key"
#define PUBLIC_TAG "apikey-fleet-public-key"
#define KEYFILE_MAX 512
/* "SERIAL PUBLISHED VALID_UNTIL\n", each 20 digits: always 63 bytes, so
 * an update rewrites the same bytes in place. */
#define SERIAL_LEN 63

void ka_fleet_path(char *out, size_t cap, const char *db, const char *suffix)
{
	if (snprintf(out, cap, "%s%s", db, suffix) >= (int)cap)
		ka_die(KA_EXIT_FAIL, "store path too long");
}

/* "SHA256:" and the unpadded base64 of SHA-256(pk), as ssh-keygen -l. */
void ka_fingerprint(char *out, size_t cap, const uint8_t *pk)
{
	uint8_t h[crypto_hash_sha256_BYTES];
	char b[sodium_base64_ENCODED_LEN(sizeof(h), sodium_base64_VARIANT_ORIGINAL_NO_PADDING)];

	crypto_hash_sha256(h, pk, crypto_sign_PUBLICKEYBYTES);
	sodium_bin2base64(b, sizeof(b), h, sizeof(h), sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	snprintf(out, cap, "SHA256:%s", b);
}

void ka_keynum(uint8_t *out, const uint8_t *pk)
{
	uint8_t h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, pk, crypto_sign_PUBLICKEYBYTES);
	memcpy(out, h, KA_KEYNUM_LEN);
}

/* TAG ORIGIN BASE64 newline, exactly, into bin (n bytes). */
static int parse_keyfile(char *origin, uint8_t *bin, size_t n, char *text, const char *tag)
{
	char *save = NULL, *t, *o, *b, *nl = strchr(text, '\n');
	size_t got = 0;

	if (nl == NULL || nl[1] != '\0')
		return -1;
	*nl = '\0';
	t = strtok_r(text, " ", &save);
	o = strtok_r(NULL, " ", &save);
	b = strtok_r(NULL, " ", &save);
	if (t == NULL || o == NULL || b == NULL || strtok_r(NULL, " ", &save) != NULL ||
	    strcmp(t, tag) != 0 || !ak_origin_valid(o))
		return -1;
	if (sodium_base642bin(bin, n, b, strlen(b), NULL, &got, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    got != n)
		return -1;
	snprintf(origin, AK_ORIGIN_MAX + 1, "%s", o);
	return 0;
}

/* Reads a small key file that must be a regular file of root (or the
 * caller, for keyadm's own stores) and not writable by others; a secret
 * key file must not be readable by them either. */
static int read_keyfile(char *buf, size_t cap, const char *path, mode_t deny, char *why,
                        size_t wcap)
{
	struct stat sb;
	ssize_t n = -1;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		snprintf(why, wcap, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    (sb.st_uid != 0 && sb.st_uid != geteuid()) || (sb.st_mode & deny) != 0)
		snprintf(why, wcap, "%s: not a regular file of root's %s", path,
		         deny & 044 ? "with mode 0600" : "writable only by its owner");
	else if ((n = read(fd, buf, cap - 1)) < 0 || (size_t)n >= cap - 1)
		snprintf(why, wcap, "%s: cannot read the key", path);
	close(fd);
	if (n < 0 || (size_t)n >= cap - 1)
		return -1;
	buf[n] = '\0';
	return 0;
}

int ka_trust_load(struct ka_signer *s, const char *path, char *why, size_t cap)
{
	char buf[KEYFILE_MAX];

	memset(s, 0, sizeof(*s));
	if (read_keyfile(buf, sizeof(buf), path, 022, why, cap) != 0)
		return -1;
	if (parse_keyfile(s->origin, s->pk, sizeof(s->pk), buf, PUBLIC_TAG) != 0) {
		snprintf(why, cap, "%s: not an apikey fleet public key", path);
		return -1;
	}
	return 0;
}

void ka_signer_load(struct ka_signer *s, const char *db)
{
	char path[4096 + 16], buf[KEYFILE_MAX], why[AK_ERR_MAX + 4096];
	int rc;

	ka_fleet_path(path, sizeof(path), db, ".sign");
	memset(s, 0, sizeof(*s));
	if (access(path, F_OK) != 0 && errno == ENOENT)
		ka_die(KA_EXIT_FAIL, "%s: no signing key (keyadm signing-key create makes one)",
		       path);
	if (read_keyfile(buf, sizeof(buf), path, 077, why, sizeof(why)) != 0)
		ka_die(KA_EXIT_FAIL, "%s", why);
	rc = parse_keyfile(s->origin, s->sk, sizeof(s->sk), buf, SECRET_TAG);
	sodium_memzero(buf, sizeof(buf));
	if (rc != 0) {
		sodium_memzero(s, sizeof(*s));
		ka_die(KA_EXIT_FAIL, "%s: not an apikey fleet signing key", path);
	}
	crypto_sign_ed25519_sk_to_pk(s->pk, s->sk);
}

/* Writes "TAG ORIGIN BASE64\n" into a new file (O_EXCL: never replaces). */
static int write_keyfile(const char *path, mode_t mode, const char *tag, const char *origin,
                         const uint8_t *bin, size_t n)
{
	char b[sodium_base64_ENCODED_LEN(crypto_sign_SECRETKEYBYTES,
	                                 sodium_base64_VARIANT_ORIGINAL)];
	char line[KEYFILE_MAX];
	int fd, len, rc = -1;

	sodium_bin2base64(b, sizeof(b), bin, n, sodium_base64_VARIANT_ORIGINAL);
	len = snprintf(line, sizeof(line), "%s %s %s\n", tag, origin, b);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, mode);
	if (fd >= 0 && fchmod(fd, mode) == 0 && write(fd, line, (size_t)len) == len &&
	    fsync(fd) == 0)
		rc = 0;
	if (fd >= 0)
		close(fd);
	sodium_memzero(b, sizeof(b));
	sodium_memzero(line, sizeof(line));
	return fd < 0 ? -2 : rc;
}

void ka_signer_create(const char *db, const char *origin, struct ka_signer *s)
{
	char sp[4096 + 16], pp[4096 + 16];
	int rc;

	ka_fleet_path(sp, sizeof(sp), db, ".sign");
	ka_fleet_path(pp, sizeof(pp), db, ".pub");
	/* MUST: never overwrite a signing key: the replicas trust it */
	if (access(sp, F_OK) == 0 || errno != ENOENT || access(pp, F_OK) == 0 || errno != ENOENT)
		ka_die(KA_EXIT_FAIL,
		       "%s: a signing key (or its public key) already exists; keyadm "
		       "never replaces one",
		       sp);
	memset(s, 0, sizeof(*s));
	snprintf(s->origin, sizeof(s->origin), "%s", origin);
	crypto_sign_keypair(s->pk, s->sk);
	rc = write_keyfile(sp, 0600, SECRET_TAG, origin, s->sk, sizeof(s->sk));
	sodium_memzero(s->sk, sizeof(s->sk));
	if (rc == 0 && write_keyfile(pp, 0644, PUBLIC_TAG, origin, s->pk, sizeof(s->pk)) == 0)
		return;
	if (rc != -2)
		unlink(sp);
	ka_die(KA_EXIT_FAIL, "%s: cannot create the signing key: %s (nothing was made)",
	       rc == -2 ? sp : pp, strerror(errno));
}

/* Strict: exactly SERIAL_LEN bytes of three 20-digit numbers. */
static int serial_parse(struct ka_serial *s, const char *buf, size_t n)
{
	unsigned long long v[3];
	size_t i;

	if (n != SERIAL_LEN || buf[20] != ' ' || buf[41] != ' ' || buf[62] != '\n')
		return -1;
	for (i = 0; i < 3; i++) {
		const char *p = buf + 21 * i;
		size_t j;
		v[i] = 0;
		for (j = 0; j < 20; j++) {
			if (p[j] < '0' || p[j] > '9' || v[i] > (UINT64_MAX - 9) / 10)
				return -1;
			v[i] = v[i] * 10 + (unsigned)(p[j] - '0');
		}
	}
	if (v[1] > INT64_MAX || v[2] > INT64_MAX)
		return -1;
	s->serial = v[0];
	s->published_ms = (int64_t)v[1];
	s->valid_until_ms = (int64_t)v[2];
	return 0;
}

static void serial_load(int fd, const char *path, struct ka_serial *cur)
{
	char buf[SERIAL_LEN + 1];
	struct stat sb;
	ssize_t n;

	memset(cur, 0, sizeof(*cur));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_uid != geteuid() ||
	    (sb.st_mode & 077) != 0)
		ka_die(KA_EXIT_FAIL, "%s: not a regular file of root's with mode 0600", path);
	if ((n = pread(fd, buf, sizeof(buf), 0)) < 0)
		ka_die(KA_EXIT_FAIL, "%s: %s", path, strerror(errno));
	/* MUST fail closed: a damaged serial file could let serials repeat */
	if (n != 0 && serial_parse(cur, buf, (size_t)n) != 0)
		ka_die(KA_EXIT_FAIL,
		       "%s: damaged serial file; restore it or remove it (the next "
		       "serial then comes from the clock and the store)",
		       path);
}

/* Opens and locks keys.db.serial (made if absent) for publish. */
int ka_serial_open(const char *db, struct ka_serial *cur)
{
	char path[4096 + 16];
	int fd;

	ka_fleet_path(path, sizeof(path), db, ".serial");
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0)
		ka_die(KA_EXIT_FAIL, "%s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX) != 0)
		ka_die(KA_EXIT_FAIL, "%s: cannot lock: %s", path, strerror(errno));
	serial_load(fd, path, cur);
	return fd;
}

/* Rewrites the serial file in place (same length) and syncs it; the lock
 * goes with the descriptor. */
void ka_serial_write(int fd, const char *db, const struct ka_serial *s)
{
	char buf[SERIAL_LEN + 1];

	snprintf(buf, sizeof(buf), "%020" PRIu64 " %020" PRId64 " %020" PRId64 "\n", s->serial,
	         s->published_ms, s->valid_until_ms);
	if (pwrite(fd, buf, SERIAL_LEN, 0) != SERIAL_LEN || ftruncate(fd, SERIAL_LEN) != 0 ||
	    fsync(fd) != 0)
		ka_die(KA_EXIT_FAIL,
		       "%s.serial: cannot record the serial: %s (nothing was "
		       "published)",
		       db, strerror(errno));
}

/* For status: 0, or -1 when there is no serial file. */
int ka_serial_read(const char *db, struct ka_serial *s)
{
	char path[4096 + 16];
	int fd;

	ka_fleet_path(path, sizeof(path), db, ".serial");
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		memset(s, 0, sizeof(*s));
		return -1;
	}
	serial_load(fd, path, s);
	close(fd);
	return 0;
}
