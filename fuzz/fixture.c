/* See fixture.h. Built into the fuzz targets and their replays only. */
#include "fixture.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct {
	int ready;
	char dir[64];
	char db[96], corrupt[96], events[96], side[96], missing[96];
	char keys[FX_N][AK_KEY_MAX + 1];
} fx;

static void fx_remove(void)
{
	DIR *d = opendir(fx.dir);
	struct dirent *de;

	while (d != NULL && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			(void)unlinkat(dirfd(d), de->d_name, 0);
	if (d != NULL)
		closedir(d);
	rmdir(fx.dir);
}

static int touch(const char *path, const char *bytes, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int ok = fd >= 0 && write(fd, bytes, n) == (ssize_t)n;

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

/* One key per case, as fixture.h lists them. */
static int fx_keys(void)
{
	struct ak_error e = {AK_OK, ""};
	struct ak_txn *t = NULL;
	struct ak_key k;
	int i, rc = 0, changed;

	if (ak_txn_begin(&t, fx.db, geteuid(), "fuzz", &e) != 0)
		return -1;
	for (i = FX_ALICE; i < FX_N && rc == 0; i++) {
		rc = ak_txn_new_key(t, &k, fx.keys[i], i == FX_BOB ? "bob" : "alice", &e);
		if (rc == 0 && i == FX_BOB)
			rc = ak_services_parse(&k, "smtp") | ak_sources_parse(&k, "127.0.0.0/8");
		if (rc == 0 && i == FX_REVOKED)
			rc = ak_keyrec_revoke(&k, &changed, ak_txn_now(t), "fuzz", "lost", &e);
		if (rc == 0 && i == FX_DISABLED)
			rc = ak_keyrec_disable(&k, &changed, ak_txn_now(t), "fuzz", "held", &e);
		if (i == FX_EXPIRED)
			k.expires_ms = ak_txn_now(t) - 1;
		if (rc == 0)
			rc = ak_txn_put_key(t, &k, &e);
	}
	if (rc != 0) {
		ak_txn_abort(t);
		return -1;
	}
	return ak_txn_commit(t, &e);
}

/* The fixture's directory, made on the first call and removed at exit. */
static int fx_mkdir(void)
{
	const char *tmp = getenv("TMPDIR");

	if (fx.dir[0] != '\0')
		return 0;
	snprintf(fx.dir, sizeof(fx.dir), "%s/akfuzz.XXXXXX",
	         tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	if (mkdtemp(fx.dir) == NULL) {
		fx.dir[0] = '\0';
		return -1;
	}
	atexit(fx_remove);
	return 0;
}

const char *fx_file(const char *name)
{
	static char path[160];

	if (fx_mkdir() != 0)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", fx.dir, name);
	return path;
}

const char *fx_db(void)
{
	static const char junk[] = "GDBM? no: not a store at all\n";
	struct ak_error e = {AK_OK, ""};

	if (fx.ready)
		return fx.db;
	if (fx_mkdir() != 0)
		return NULL;
	snprintf(fx.db, sizeof(fx.db), "%s/keys.db", fx.dir);
	snprintf(fx.side, sizeof(fx.side), "%s/keys.events", fx.dir);
	snprintf(fx.corrupt, sizeof(fx.corrupt), "%s/corrupt.db", fx.dir);
	snprintf(fx.events, sizeof(fx.events), "%s/other.events", fx.dir);
	snprintf(fx.missing, sizeof(fx.missing), "%s/missing", fx.dir);
	if (ak_store_init(fx.db, "ak", (gid_t)-1, "fuzz", &e) != 0 || fx_keys() != 0 ||
	    touch(fx.corrupt, junk, sizeof(junk) - 1) != 0 || touch(fx.events, "", 0) != 0 ||
	    touch(fx.side, "", 0) != 0) {
		fprintf(stderr, "fuzz fixture: %s\n", e.msg[0] ? e.msg : "cannot create");
		return NULL;
	}
	fx.ready = 1;
	return fx.db;
}

size_t fx_expand(char *out, size_t cap, const uint8_t *in, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len && n + 1 < cap; i++) {
		if (in[i] == 0x01 && i + 1 < len && in[i + 1] >= '1' && in[i + 1] < '0' + FX_N) {
			const char *k = fx.keys[in[++i] - '0'];
			size_t kl = strlen(k);

			if (n + kl + 1 > cap)
				break;
			memcpy(out + n, k, kl);
			n += kl;
		} else {
			out[n++] = (char)in[i];
		}
	}
	out[n] = '\0';
	return n;
}

const char *fx_key(int which)
{
	return which > 0 && which < FX_N ? fx.keys[which] : "";
}

int fx_which(const char *s, size_t len)
{
	int i;

	for (i = FX_ALICE; i < FX_N; i++)
		if (strlen(fx.keys[i]) == len && memcmp(fx.keys[i], s, len) == 0)
			return i;
	return 0;
}

int fx_may_pass(const char *user, const char *secret, size_t len, const char *option,
                const char *conn_service, const char *source)
{
	const char *svc = option != NULL && option[0] != '\0' ? option : conn_service;
	int which = fx_which(secret, len);

	if (which == FX_ALICE)
		return strcmp(user, "alice") == 0;
	return which == FX_BOB && strcmp(user, "bob") == 0 && svc != NULL &&
	       strcmp(svc, "smtp") == 0 && source != NULL && strncmp(source, "127.", 4) == 0;
}

const char *fx_path(const char *v)
{
	if (v == NULL || v[0] != '/')
		return v;
	if (strcmp(v, "/s") == 0)
		return fx.db;
	if (strcmp(v, "/c") == 0)
		return fx.corrupt;
	if (strcmp(v, "/e") == 0)
		return fx.events;
	return fx.missing;
}

int fx_has_secret(const char *s)
{
	int i;

	for (i = FX_ALICE; i < FX_N; i++) {
		const char *secret = strrchr(fx.keys[i], '_');

		if (secret != NULL && strstr(s, secret + 1) != NULL)
			return 1;
	}
	return 0;
}

const char *fx_dir(void)
{
	return fx.dir;
}

void fx_tidy(void)
{
	static unsigned calls;
	struct stat st;

	if (++calls % 1024 != 0)
		return;
	if (stat(fx.events, &st) == 0 && st.st_size > (1 << 20) && truncate(fx.events, 0) != 0)
		fprintf(stderr, "fuzz fixture: cannot truncate the events file\n");
	if (stat(fx.side, &st) == 0 && st.st_size > (1 << 20) && truncate(fx.side, 0) != 0)
		fprintf(stderr, "fuzz fixture: cannot truncate the events file\n");
}

size_t fx_field(const uint8_t **p, const uint8_t *end, uint8_t sep, const uint8_t **field)
{
	const uint8_t *s = *p, *e = memchr(s, sep, (size_t)(end - s));

	if (e == NULL)
		e = end;
	*field = s;
	*p = e < end ? e + 1 : end;
	return (size_t)(e - s);
}
