/* Failure injection for the front-end fuzz targets (as pam-u2f wraps
 * malloc, open, read and friends): force-included (-include) into every
 * file of the PAM and SASL targets and their replays, it renames the calls
 * below to fi_* wrappers (failinj.c) that fail a call when the input says
 * so. Only our code is renamed: libpam, libsasl2, GDBM's internals and
 * libFuzzer allocate as usual. Outside fi_arm .. fi_disarm (the fixture's
 * setup, the harness's own checks) every wrapper passes through. */
#ifndef FUZZ_FAILINJ_H
#define FUZZ_FAILINJ_H

#include <gdbm.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Calls 0..31 after fi_arm fail where mask has their bit set. */
void fi_arm(uint32_t mask);
/* Back to pass-through; returns how many calls failed. */
unsigned fi_disarm(void);
/* How many calls failed since fi_arm. */
unsigned fi_failed(void);
/* The mask of flags byte f's input: 4 bytes at *p (then past them) when
 * f has FI_FLAG, else 0 (no call fails). */
#define FI_FLAG 64
uint32_t fi_mask(int f, const uint8_t **p, const uint8_t *end);
/* Open descriptors of the process (a leak check for the targets). */
int fi_fds(void);

void *fi_malloc(size_t n);
void *fi_calloc(size_t n, size_t size);
void *fi_realloc(void *p, size_t n);
char *fi_strdup(const char *s);
int fi_open(const char *path, int flags, ...);
ssize_t fi_read(int fd, void *buf, size_t n);
ssize_t fi_pread(int fd, void *buf, size_t n, off_t off);
ssize_t fi_write(int fd, const void *buf, size_t n);
int fi_fstat(int fd, struct stat *sb);
int fi_lstat(const char *path, struct stat *sb);
FILE *fi_fdopen(int fd, const char *mode);
GDBM_FILE fi_gdbm_fd_open(int fd, const char *name, int block_size, int flags,
                          void (*fatal)(const char *));
datum fi_gdbm_fetch(GDBM_FILE db, datum key);

#define malloc fi_malloc
#define calloc fi_calloc
#define realloc fi_realloc
#define strdup fi_strdup
#define open fi_open
#define read fi_read
#define pread fi_pread
#define write fi_write
#define fstat fi_fstat
#define lstat fi_lstat
#define fdopen fi_fdopen
#define gdbm_fd_open fi_gdbm_fd_open
#define gdbm_fetch fi_gdbm_fetch

#endif
