/* The store the front-end fuzz targets authenticate against: five keys
 * whose right answers are known, so a target can check that nothing but
 * the right user with the right key in the right place is ever accepted.
 * Fuzz input names a key as the two bytes "\x01" and '1'..'5' (fx_expand),
 * and an absolute path option as "/s" (the store), "/c" (a corrupt store),
 * "/e" (an events file); any other absolute path becomes a missing file
 * inside the fixture, so that no input reaches a file outside it. */
#ifndef FUZZ_FIXTURE_H
#define FUZZ_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "apikey_admin.h"

enum fx_key {
	FX_ALICE = 1, /* alice's, no limits */
	FX_BOB,       /* bob's, service smtp, source 127.0.0.0/8 */
	FX_REVOKED,   /* alice's */
	FX_DISABLED,  /* alice's */
	FX_EXPIRED,   /* alice's */
	FX_N
};

/* Creates the fixture on the first call (removed at exit); NULL on failure. */
const char *fx_db(void);
/* A path for name in the fixture's directory (made on the first call,
 * removed at exit, without a store unless fx_db was called); static. */
const char *fx_file(const char *name);
/* Input bytes into a NUL-terminated string with keys expanded; returns its
 * length (at most cap - 1; longer input is cut). */
size_t fx_expand(char *out, size_t cap, const uint8_t *in, size_t len);
/* Key which (1..FX_N-1) in full: for the targets' checks only. */
const char *fx_key(int which);
/* Which key s is exactly (1..FX_N-1), 0 for none. */
int fx_which(const char *s, size_t len);
/* The one way in: alice's key as alice, or bob's as bob from 127.0.0.0/8
 * to smtp (its limits). The service is option's when that is set and not
 * empty, else conn_service's; source is an address, "127.0.0.1;25" too. */
int fx_may_pass(const char *user, const char *secret, size_t len, const char *option,
                const char *conn_service, const char *source);
/* An option value as the target must pass it on: absolute paths mapped
 * into the fixture, anything else unchanged. */
const char *fx_path(const char *v);
/* 1 when s holds any key's secret part (a log line, an error message). */
int fx_has_secret(const char *s);
/* The fixture's directory (the PAM target keeps its service files there). */
const char *fx_dir(void);
/* Keeps the events files from growing without bound. */
void fx_tidy(void);
/* The fixture's copy of one field split off at sep: *p advances past it. */
size_t fx_field(const uint8_t **p, const uint8_t *end, uint8_t sep, const uint8_t **field);

#endif
