/* See failinj.h. The wrappers call the real functions: -include put the
 * renaming macros in force for this file too. */
#include "failinj.h"
#undef malloc
#undef calloc
#undef realloc
#undef strdup
#undef open
#undef read
#undef pread
#undef write
#undef fstat
#undef lstat
#undef fdopen
#undef gdbm_fd_open
#undef gdbm_fetch

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>

static struct {
	int armed;
	uint32_t mask;
	unsigned calls, failed;
} fi;

void fi_arm(uint32_t mask)
{
	fi.armed = 1;
	fi.mask = mask;
	fi.calls = fi.failed = 0;
}

unsigned fi_disarm(void)
{
	fi.armed = 0;
	return fi.failed;
}

unsigned fi_failed(void)
{
	return fi.failed;
}

uint32_t fi_mask(int f, const uint8_t **p, const uint8_t *end)
{
	uint32_t m = 0;
	int i;

	if (!(f & FI_FLAG))
		return 0;
	for (i = 0; i < 4 && *p < end; i++)
		m |= (uint32_t) * (*p)++ << (8 * i);
	return m;
}

/* 1 when this call is to fail, with errno set to err. */
static int fail(int err)
{
	unsigned n;

	if (!fi.armed)
		return 0;
	n = fi.calls++;
	if (n >= 32 || !(fi.mask & (1u << n)))
		return 0;
	fi.failed++;
	errno = err;
	return 1;
}

int fi_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d != NULL && readdir(d) != NULL)
		n++;
	if (d != NULL)
		closedir(d);
	return n;
}

void *fi_malloc(size_t n)
{
	return fail(ENOMEM) ? NULL : malloc(n);
}

void *fi_calloc(size_t n, size_t size)
{
	return fail(ENOMEM) ? NULL : calloc(n, size);
}

void *fi_realloc(void *p, size_t n)
{
	return fail(ENOMEM) ? NULL : realloc(p, n);
}

char *fi_strdup(const char *s)
{
	return fail(ENOMEM) ? NULL : strdup(s);
}

int fi_open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	/* EIO: a store that cannot be opened is not a missing one */
	return fail(fi.calls & 1 ? EIO : EMFILE) ? -1 : open(path, flags, mode);
}

ssize_t fi_read(int fd, void *buf, size_t n)
{
	return fail(EIO) ? -1 : read(fd, buf, n);
}

/* A failed pread is sometimes an error, sometimes a short read. */
ssize_t fi_pread(int fd, void *buf, size_t n, off_t off)
{
	if (!fail(EIO))
		return pread(fd, buf, n, off);
	return fi.calls & 1 ? -1 : pread(fd, buf, n / 2, off);
}

ssize_t fi_write(int fd, const void *buf, size_t n)
{
	if (!fail(ENOSPC))
		return write(fd, buf, n);
	return fi.calls & 1 ? -1 : write(fd, buf, n / 2);
}

int fi_fstat(int fd, struct stat *sb)
{
	return fail(EIO) ? -1 : fstat(fd, sb);
}

int fi_lstat(const char *path, struct stat *sb)
{
	return fail(EIO) ? -1 : lstat(path, sb);
}

FILE *fi_fdopen(int fd, const char *mode)
{
	return fail(ENOMEM) ? NULL : fdopen(fd, mode);
}

GDBM_FILE fi_gdbm_fd_open(int fd, const char *name, int block_size, int flags,
                          void (*fatal)(const char *))
{
	if (!fail(EIO))
		return gdbm_fd_open(fd, name, block_size, flags, fatal);
	if (flags & GDBM_CLOERROR)
		close(fd);
	gdbm_errno = GDBM_FILE_OPEN_ERROR;
	return NULL;
}

datum fi_gdbm_fetch(GDBM_FILE db, datum key)
{
	datum none = {NULL, 0};

	if (!fail(EIO))
		return gdbm_fetch(db, key);
	gdbm_errno = GDBM_FILE_READ_ERROR;
	return none;
}
