/* keyadm scan's reader: walks files and directories and finds strings in
 * a store's key format with a correct check. Files are read in chunks with
 * an overlap of one key, so a key across a chunk boundary is found and a
 * huge file costs no more memory than a small one. Only regular files are
 * read; symbolic links are skipped unless asked, kernel file systems
 * (/proc, /sys) always. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <sodium.h>

#include "keyadm.h"

#define CHUNK (256 * 1024)
#define DEPTH_MAX 128

/* The buffer holds file contents (maybe keys): wiped after every file and
 * by any exit. */
static char buf[CHUNK + AK_KEY_MAX + 2];

struct dirstack {
	dev_t dev[DEPTH_MAX];
	ino_t ino[DEPTH_MAX];
	int n;
};

static int b62(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
}

/* A key at buf[i]: not glued to letters or digits on either side. */
static size_t key_at(const struct ka_walk *w, size_t i, size_t len, char prev, int eof)
{
	size_t n;

	if (buf[i] != w->prefix[0] || b62(i ? buf[i - 1] : prev))
		return 0;
	n = ak_key_match(buf + i, len - i, w->prefix);
	if (n == 0 || (i + n < len && b62(buf[i + n])) || (i + n == len && !eof))
		return 0;
	return n;
}

static int scan_fd(struct ka_walk *w, int fd, const char *file)
{
	size_t keep = strlen(w->prefix) + AK_ID_LEN + AK_SECRET_LEN + AK_CHECK_LEN + 3;
	size_t len = 0, i, n, limit, cap = CHUNK + keep;
	uint64_t off0 = 0, skip = 0, line = 1;
	char prev = '\n';
	ssize_t got;
	int eof = 0;

	while (!eof) {
		got = read(fd, buf + len, cap - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -1;
		eof = got == 0;
		len += (size_t)got;
		if (!eof && len < cap)
			continue;
		limit = eof ? len : len - keep;
		for (i = 0; i < limit; i++) {
			if (off0 + i >= skip && (n = key_at(w, i, len, prev, eof)) != 0) {
				w->found(w->ctx, file, line, buf + i, n);
				skip = off0 + i + n;
			}
			line += buf[i] == '\n';
		}
		if (limit > 0)
			prev = buf[limit - 1];
		memmove(buf, buf + limit, len - limit);
		len -= limit;
		off0 += limit;
	}
	return 0;
}

static int kernel_fs(int fd)
{
	struct statfs fs;

	if (fstatfs(fd, &fs) != 0)
		return 0;
	return fs.f_type == PROC_SUPER_MAGIC || fs.f_type == SYSFS_MAGIC ||
	       fs.f_type == DEBUGFS_MAGIC || fs.f_type == SECURITYFS_MAGIC ||
	       fs.f_type == TRACEFS_MAGIC || fs.f_type == DEVPTS_SUPER_MAGIC ||
	       fs.f_type == CGROUP2_SUPER_MAGIC;
}

static void scan_file(struct ka_walk *w, int dirfd, const char *name, const char *path)
{
	int fd =
	        openat(dirfd, name,
	               O_RDONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK | (w->follow ? 0 : O_NOFOLLOW));
	struct stat sb;

	if (fd < 0 || fstat(fd, &sb) != 0) {
		ka_warn("%s: %s", ka_esc(path), strerror(errno));
		w->errors++;
	} else if (S_ISREG(sb.st_mode) && kernel_fs(fd)) {
		ka_warn("%s: skipped (a kernel file system)", ka_esc(path));
	} else if (S_ISREG(sb.st_mode) && scan_fd(w, fd, path) != 0) {
		ka_warn("%s: %s", ka_esc(path), strerror(errno));
		w->errors++;
	}
	sodium_memzero(buf, sizeof(buf));
	if (fd >= 0)
		close(fd);
}

static void walk(struct ka_walk *w, struct dirstack *ds, int dirfd, const char *name,
                 const char *path, int top);

static void scan_dir_entries(struct ka_walk *w, struct dirstack *ds, DIR *d, const char *path)
{
	char sub[PATH_MAX];
	const struct dirent *de;

	while ((errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (snprintf(sub, sizeof(sub), "%s%s%s", path,
		             path[strlen(path) - 1] == '/' ? "" : "/",
		             de->d_name) >= (int)sizeof(sub)) {
			ka_warn("%s/...: path too long", ka_esc(path));
			w->errors++;
			continue;
		}
		walk(w, ds, dirfd(d), de->d_name, sub, 0);
	}
	if (errno != 0) {
		ka_warn("%s: %s", ka_esc(path), strerror(errno));
		w->errors++;
	}
}

static void scan_dir(struct ka_walk *w, struct dirstack *ds, int dirfd, const char *name,
                     const char *path)
{
	int fd = openat(dirfd, name,
	                O_RDONLY | O_DIRECTORY | O_CLOEXEC | (w->follow ? 0 : O_NOFOLLOW));
	struct stat sb;
	DIR *d;
	int i;

	if (fd < 0 || fstat(fd, &sb) != 0 || (d = fdopendir(fd)) == NULL) {
		ka_warn("%s: %s", ka_esc(path), strerror(errno));
		w->errors++;
		if (fd >= 0)
			close(fd);
		return;
	}
	for (i = 0; i < ds->n; i++)
		if (ds->dev[i] == sb.st_dev && ds->ino[i] == sb.st_ino)
			break; /* a loop through a followed link */
	if (i < ds->n || ds->n == DEPTH_MAX || kernel_fs(fd)) {
		if (i == ds->n)
			ka_warn("%s: skipped (%s)", ka_esc(path),
			        ds->n == DEPTH_MAX ? "too deep" : "a kernel file system");
		closedir(d);
		return;
	}
	ds->dev[ds->n] = sb.st_dev;
	ds->ino[ds->n++] = sb.st_ino;
	scan_dir_entries(w, ds, d, path);
	ds->n--;
	closedir(d);
}

static void walk(struct ka_walk *w, struct dirstack *ds, int dirfd, const char *name,
                 const char *path, int top)
{
	struct stat sb;

	if (fstatat(dirfd, name, &sb, w->follow ? 0 : AT_SYMLINK_NOFOLLOW) != 0) {
		ka_warn("%s: %s", ka_esc(path), strerror(errno));
		w->errors++;
		return;
	}
	if (S_ISLNK(sb.st_mode)) {
		w->symlinks++;
		if (top)
			ka_warn("%s: a symbolic link, not followed (--follow-symlinks)",
			        ka_esc(path));
	} else if (S_ISDIR(sb.st_mode)) {
		scan_dir(w, ds, dirfd, name, path);
	} else if (S_ISREG(sb.st_mode)) {
		scan_file(w, dirfd, name, path);
	}
}

void ka_walk_path(struct ka_walk *w, const char *path)
{
	struct dirstack ds;

	ds.n = 0;
	ka_secret_hold(buf, sizeof(buf));
	walk(w, &ds, AT_FDCWD, path, path, 1);
	ka_secret_wipe();
}
