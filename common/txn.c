/* Writes never touch the live file: lock, copy to a temporary file in
 * the same directory, change the copy, sync, rename it over the live
 * file, sync the directory. A crash leaves the old or the new store. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "internal.h"

#define LOCK_WAIT_MS 30000

struct ak_txn {
	struct ak_store st;
	char path[4096];
	char tmp[4096 + 16];
	int lockfd;
	char actor[AK_ACTOR_MAX + 1];
	int64_t now;
};

/* The record writes: store.c, the read side that the front ends link,
 * holds no GDBM write. */
int ak_db_put(struct ak_store *st, const char *key, const uint8_t *val, size_t len, int replace,
              struct ak_error *e)
{
	datum k = {(char *)(uintptr_t)key, (int)strlen(key)};
	datum v = {(char *)(uintptr_t)val, (int)len};

	if (gdbm_store(st->db, k, v, replace ? GDBM_REPLACE : GDBM_INSERT) != 0) {
		ak_err_set(e, AK_E_IO, "store write failed: %s", ak_gdbm_strerror());
		return -1;
	}
	return 0;
}

int ak_meta_put(struct ak_store *st, struct ak_error *e)
{
	uint8_t buf[AK_REC_MAX];
	size_t len;
	int rc;

	if (ak_meta_encode(buf, sizeof(buf), &len, &st->meta) != 0) {
		ak_err_set(e, AK_E_INVAL, "cannot encode the meta record");
		return -1;
	}
	rc = ak_db_put(st, AK_META_KEY, buf, len, 1, e);
	sodium_memzero(buf, sizeof(buf));
	return rc;
}

static int path_join(char *out, size_t cap, const char *path, const char *suffix)
{
	return snprintf(out, cap, "%s%s", path, suffix) >= (int)cap ? -1 : 0;
}

/* The writers' lock: path.wlock, mode 0600, owned by the writer. MUST
 * NOT be a file a reader of the store can open: whoever can open a file
 * can flock it, and a writer waiting on a reader's lock is a revocation
 * delayed by the reader (the lock file of older versions, path.lock, was
 * 0640 in the store's group). Only root can create files in the store's
 * directory (readers check it), so a lock file that fails this check was
 * made by root: refuse it rather than wait on whoever holds it. */
static int lock_trusted(int fd, const char *lp, struct ak_error *e)
{
	struct stat sb;

	if (fstat(fd, &sb) != 0) {
		ak_err_set(e, AK_E_IO, "%s: %s", lp, strerror(errno));
		return -1;
	}
	if (S_ISREG(sb.st_mode) && sb.st_uid == geteuid() && (sb.st_mode & 077) == 0 &&
	    sb.st_nlink == 1)
		return 0;
	ak_err_set(e, AK_E_UNTRUSTED,
	           "%s: the writers' lock must be a file of uid %u with mode 0600, not uid %u "
	           "mode %04o: remove it (the next write makes a new one)",
	           lp, (unsigned)geteuid(), (unsigned)sb.st_uid, (unsigned)(sb.st_mode & 07777));
	return -1;
}

/* The holder of the flock on fd, from /proc/locks (the kernel's word),
 * else from the pid the holder wrote into the lock file. */
static pid_t lock_holder_pid(int fd)
{
	char line[256], kind[16], own[32] = "";
	unsigned maj, mnr;
	unsigned long ino;
	struct stat sb;
	long pid = 0;
	ssize_t n;
	FILE *f;

	if (fstat(fd, &sb) != 0)
		return 0;
	if ((f = fopen("/proc/locks", "re")) != NULL) {
		while (pid == 0 && fgets(line, sizeof(line), f) != NULL)
			if (sscanf(line, "%*s %15s %*s %*s %ld %x:%x:%lu", kind, &pid, &maj, &mnr,
			           &ino) != 5 ||
			    strcmp(kind, "FLOCK") != 0 || ino != sb.st_ino ||
			    maj != major(sb.st_dev) || mnr != minor(sb.st_dev))
				pid = 0;
		fclose(f);
	}
	if (pid == 0 && (n = pread(fd, own, sizeof(own) - 1, 0)) > 0) {
		own[n] = '\0';
		pid = strtol(own, NULL, 10);
	}
	return pid > 0 && pid <= INT32_MAX ? (pid_t)pid : 0;
}

static void lock_busy(int fd, const char *lp, struct ak_error *e)
{
	char p[64], comm[32] = "";
	pid_t pid = lock_holder_pid(fd);
	ssize_t n;
	int cf;

	snprintf(p, sizeof(p), "/proc/%ld/comm", (long)pid);
	if (pid > 0 && (cf = open(p, O_RDONLY | O_CLOEXEC)) >= 0) {
		if ((n = read(cf, comm, sizeof(comm) - 1)) > 0)
			comm[n] = '\0';
		close(cf);
	}
	comm[strcspn(comm, "\n")] = '\0';
	if (!ak_text_valid(comm, sizeof(comm) - 1))
		comm[0] = '\0';
	if (pid > 0)
		ak_err_set(e, AK_E_IO,
		           "%s: still locked after %d s by another writer, pid %ld (%s): "
		           "nothing was changed",
		           lp, LOCK_WAIT_MS / 1000, (long)pid, comm[0] ? comm : "gone");
	else
		ak_err_set(e, AK_E_IO, "%s: still locked after %d s by another writer", lp,
		           LOCK_WAIT_MS / 1000);
}

/* The holder's pid, for a writer that gives up waiting (the file is the
 * writers' own: nobody else can read or write it). */
static void lock_note_pid(int fd)
{
	char own[32];
	int n = snprintf(own, sizeof(own), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) != 0 || pwrite(fd, own, (size_t)n, 0) != n)
		return; /* only a hint: /proc/locks names the holder first */
}

/* Waits for the write lock, giving up after LOCK_WAIT_MS. A lock held by
 * a process that died is released by the kernel: no stale locks. */
static int lock_store(const char *path, struct ak_error *e)
{
	char lp[4096 + 8];
	struct timespec pause = {0, 20 * 1000 * 1000};
	int fd, waited = 0;

	if (path_join(lp, sizeof(lp), path, AK_LOCK_SUFFIX) != 0) {
		ak_err_set(e, AK_E_INVAL, "store path too long");
		return -1;
	}
	fd = open(lp, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		ak_err_set(e, AK_E_IO, "%s: %s", lp, strerror(errno));
		return -1;
	}
	if (lock_trusted(fd, lp, e) != 0) {
		close(fd);
		return -1;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if ((errno != EWOULDBLOCK && errno != EINTR) || waited >= LOCK_WAIT_MS) {
			lock_busy(fd, lp, e);
			close(fd);
			return -1;
		}
		nanosleep(&pause, NULL);
		waited += 20;
	}
	lock_note_pid(fd);
	/* The lock file of older versions: nothing waits on it any more. */
	if (path_join(lp, sizeof(lp), path, ".lock") == 0)
		(void)unlink(lp);
	return fd;
}

/* Removes temporary copies left by a writer that was killed; called with
 * the lock held, so no live writer owns them. */
static void remove_stale_copies(const char *path)
{
	char dir[4096], base[4096], full[8192 + 2];
	const char *slash = strrchr(path, '/');
	struct dirent *d;
	size_t blen;
	DIR *dp;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path + (slash == path)), path);
	snprintf(base, sizeof(base), "%s.tmp.", slash ? slash + 1 : path);
	blen = strlen(base);
	if ((dp = opendir(dir)) == NULL)
		return;
	while ((d = readdir(dp)) != NULL) {
		if (strncmp(d->d_name, base, blen) == 0 && strlen(d->d_name) == blen + 6) {
			snprintf(full, sizeof(full), "%s/%s", dir, d->d_name);
			unlink(full);
		}
	}
	closedir(dp);
}

static int copy_fd(int dst, int src, struct ak_error *e)
{
	char buf[65536];
	ssize_t n;
	loff_t off_in = 0, off_out = 0;

	for (;;) {
		n = copy_file_range(src, &off_in, dst, &off_out, 1 << 30, 0);
		if (n == 0)
			return 0;
		if (n < 0)
			break;
	}
	if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
		goto fail;
	/* fallback: plain read/write from where the kernel copy stopped */
	while ((n = pread(src, buf, sizeof(buf), off_in)) > 0) {
		if (pwrite(dst, buf, (size_t)n, off_out) != n)
			goto fail;
		off_in += n;
		off_out += n;
	}
	if (n == 0)
		return 0;
fail:
	ak_err_set(e, AK_E_IO, "copying the store failed: %s", strerror(errno));
	return -1;
}

/* A private copy of the live store with the live file's owner and mode. */
static int make_copy(struct ak_txn *t, uid_t trusted_uid, struct ak_error *e)
{
	struct stat sb;
	int src, dst = -1;

	if ((src = ak_store_open_fd(t->path, trusted_uid, e)) < 0)
		return -1;
	if (fstat(src, &sb) != 0) {
		ak_err_set(e, AK_E_IO, "%s: %s", t->path, strerror(errno));
		goto fail;
	}
	if (path_join(t->tmp, sizeof(t->tmp), t->path, ".tmp.XXXXXX") != 0 ||
	    (dst = mkostemp(t->tmp, O_CLOEXEC)) < 0) {
		ak_err_set(e, AK_E_IO, "%s: cannot create a temporary copy: %s", t->path,
		           strerror(errno));
		t->tmp[0] = '\0';
		goto fail;
	}
	if ((fchown(dst, sb.st_uid, sb.st_gid) != 0 && geteuid() == 0) ||
	    fchmod(dst, sb.st_mode & 0755) != 0 || copy_fd(dst, src, e) != 0) {
		if (e && e->code != AK_E_IO)
			ak_err_set(e, AK_E_IO, "%s: %s", t->tmp, strerror(errno));
		goto fail;
	}
	close(src);
	return dst;
fail:
	close(src);
	if (dst >= 0)
		close(dst);
	return -1;
}

/* A batch of thousands of changes touches many buckets: let GDBM's bucket
 * cache grow with the file instead of writing buckets back all the time. */
static void writer_tune(GDBM_FILE db)
{
	int on = 1;

	(void)gdbm_setopt(db, GDBM_SETCACHEAUTO, &on, sizeof(on));
}

/* The arguments checked and an empty transaction for actor, or NULL. */
static struct ak_txn *txn_new(struct ak_txn **out, const char *path, const char *actor,
                              struct ak_error *e)
{
	struct ak_txn *t;

	if (out == NULL || path == NULL || *path == '\0' || actor == NULL ||
	    !ak_text_valid(actor, AK_ACTOR_MAX)) {
		ak_err_set(e, AK_E_INVAL, "bad transaction arguments");
		return NULL;
	}
	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		ak_err_set(e, AK_E_NOMEM, "out of memory");
		return NULL;
	}
	t->lockfd = -1;
	snprintf(t->actor, sizeof(t->actor), "%s", actor);
	return t;
}

int ak_txn_begin(struct ak_txn **out, const char *path, uid_t trusted_uid, const char *actor,
                 struct ak_error *e)
{
	struct ak_txn *t;
	struct stat sb;
	int fd;

	if ((t = txn_new(out, path, actor, e)) == NULL)
		return -1;
	if (ak_strlcpy(t->path, path, sizeof(t->path)) != 0) {
		ak_err_set(e, AK_E_INVAL, "store path too long");
		goto fail;
	}
	/* No lock file next to a store that does not exist (a mistyped --db).
	 * MUST be stat, not access(2): access asks for the real uid, and a
	 * setuid keyadm's caller cannot enter the store's directory. */
	if (stat(path, &sb) != 0) {
		ak_err_set(e, AK_E_IO, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if ((t->lockfd = lock_store(path, e)) < 0)
		goto fail;
	remove_stale_copies(path);
	if ((fd = make_copy(t, trusted_uid, e)) < 0)
		goto fail;
	if (ak_store_attach(&t->st, fd, t->tmp, GDBM_WRITER | GDBM_NOMMAP, e) != 0)
		goto fail;
	writer_tune(t->st.db);
	t->now = ak_now_ms();
	*out = t;
	return 0;
fail:
	ak_txn_abort(t);
	return -1;
}

/* The owner, group and mode of the live store, or of a new one. */
static int new_copy_attrs(const char *path, uid_t trusted_uid, gid_t group, struct stat *sb,
                          struct ak_error *e)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY), rc;

	if (fd < 0 && errno == ENOENT) {
		memset(sb, 0, sizeof(*sb));
		sb->st_uid = geteuid();
		sb->st_gid = group == (gid_t)-1 ? getegid() : group;
		sb->st_mode = 0640;
		return 0;
	}
	if (fd < 0) {
		ak_err_set(e, errno == ELOOP ? AK_E_UNTRUSTED : AK_E_IO, "%s: %s", path,
		           errno == ELOOP ? "is a symbolic link" : strerror(errno));
		return -1;
	}
	rc = ak_fd_trusted(fd, path, trusted_uid, e) != 0 || fstat(fd, sb) != 0 ? -1 : 0;
	close(fd);
	return rc;
}

int ak_txn_begin_new(struct ak_txn **out, const char *path, uid_t trusted_uid, const char *actor,
                     gid_t group, struct ak_error *e)
{
	struct ak_txn *t;
	struct stat sb;
	int fd = -1;

	if ((t = txn_new(out, path, actor, e)) == NULL)
		return -1;
	if (ak_strlcpy(t->path, path, sizeof(t->path)) != 0 ||
	    path_join(t->tmp, sizeof(t->tmp), path, ".tmp.XXXXXX") != 0) {
		t->tmp[0] = '\0';
		ak_err_set(e, AK_E_INVAL, "store path too long");
		goto fail;
	}
	if ((t->lockfd = lock_store(path, e)) < 0 ||
	    new_copy_attrs(path, trusted_uid, group, &sb, e) != 0) {
		t->tmp[0] = '\0';
		goto fail;
	}
	remove_stale_copies(path);
	if ((fd = mkostemp(t->tmp, O_CLOEXEC)) < 0) {
		ak_err_set(e, AK_E_IO, "%s: cannot create a new store: %s", path, strerror(errno));
		t->tmp[0] = '\0';
		goto fail;
	}
	if ((fchown(fd, sb.st_uid, sb.st_gid) != 0 && geteuid() == 0) ||
	    fchmod(fd, sb.st_mode & 0755) != 0) {
		ak_err_set(e, AK_E_IO, "%s: %s", t->tmp, strerror(errno));
		close(fd);
		goto fail;
	}
	t->st.db = gdbm_fd_open(fd, t->tmp, 0,
	                        GDBM_NEWDB | GDBM_NOLOCK | GDBM_NOMMAP | GDBM_CLOEXEC, NULL);
	if (t->st.db == NULL) {
		ak_err_set(e, AK_E_IO, "%s: %s", path, ak_gdbm_strerror());
		close(fd);
		goto fail;
	}
	writer_tune(t->st.db);
	t->st.meta.schema = AK_SCHEMA;
	t->now = ak_now_ms();
	*out = t;
	return 0;
fail:
	ak_txn_abort(t);
	return -1;
}

struct ak_store *ak_txn_store(struct ak_txn *t)
{
	return t ? &t->st : NULL;
}

const char *ak_txn_actor(const struct ak_txn *t)
{
	return t ? t->actor : "";
}

int64_t ak_txn_now(const struct ak_txn *t)
{
	return t ? t->now : 0;
}

void ak_txn_abort(struct ak_txn *t)
{
	if (t == NULL)
		return;
	if (t->st.db != NULL)
		gdbm_close(t->st.db);
	if (t->tmp[0] != '\0')
		unlink(t->tmp);
	if (t->lockfd >= 0)
		close(t->lockfd);
	sodium_memzero(t, sizeof(*t));
	free(t);
}

static int sync_dir_of(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	int fd, rc;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path + (slash == path)), path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int ak_txn_commit(struct ak_txn *t, struct ak_error *e)
{
	int fd = -1, rc = -1;

	if (t == NULL)
		return -1;
	t->st.meta.generation++;
	if (ak_meta_put(&t->st, e) != 0)
		goto out;
	/* gdbm_close may still write; keep a descriptor to sync after it. */
	if ((fd = dup(gdbm_fdesc(t->st.db))) < 0 || gdbm_sync(t->st.db) != 0) {
		ak_err_set(e, AK_E_IO, "syncing the store failed: %s", ak_gdbm_strerror());
		goto out;
	}
	gdbm_close(t->st.db);
	t->st.db = NULL;
	if (fsync(fd) != 0) {
		ak_err_set(e, AK_E_IO, "syncing the store failed: %s", strerror(errno));
		goto out;
	}
	if (rename(t->tmp, t->path) != 0) {
		ak_err_set(e, AK_E_IO, "%s: cannot replace the store: %s", t->path,
		           strerror(errno));
		goto out;
	}
	t->tmp[0] = '\0';
	rc = 0; /* renamed: the change is made, readers see it */
	if (sync_dir_of(t->path) != 0)
		ak_err_set(e, AK_E_IO,
		           "%s: the change is made but syncing the directory failed: %s", t->path,
		           strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	ak_txn_abort(t);
	return rc;
}
