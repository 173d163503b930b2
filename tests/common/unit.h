/* The fixture of the core's unit tests (the programs tests/common/NAME.t): each program
 * gets its own temporary directory and, when it asks, its own store, so
 * that no test depends on another or on their order. */
#ifndef AK_TESTS_UNIT_H
#define AK_TESTS_UNIT_H
#include "apikey_admin.h"

/* The program's directory and the store's path in it (unit_setup). */
extern char dir[];
extern char db[];

/* One key per verification case (unit_store). */
enum { K_GOOD, K_REVOKED, K_DISABLED, K_EXPIRED, K_SERVICE, K_SOURCE, K_N };

/* Makes the directory; 0 or -1. */
int unit_setup(void);
/* Removes the directory; returns tap_status (main: return unit_done(tap_done())). */
int unit_done(int tap_status);
/* A store in db with one key per case; returns the keys through keys[]. */
int make_store(char keys[K_N][AK_KEY_MAX + 1]);
/* A status function's outcome as a code: AK_OK, or the reason in e. */
int code_of(int rc, const struct ak_error *e);
/* A key record with every field set. */
void fill_key(struct ak_key *k);
/* Verifies key as user for svc from src against db. */
enum ak_result try_key(const char *user, const char *key, const char *svc, const char *src);
/* Writes into out a key with real's id, another secret and a valid check
 * (tests/lib/forge.h). */
void forge(char *out, const char *real);
#endif
