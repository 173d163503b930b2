/* The key forger of the tests and the bench: a key whose id or secret is
 * replaced by random base62 and whose check characters are made right
 * again. The result is well formed, so only the store can refuse it: with
 * a real id and another secret it must be NOT_FOUND, never VALID. The
 * shell tests use it through tests/lib/keyforge (forge in tests/lib.sh). */
#ifndef AK_TESTS_FORGE_H
#define AK_TESTS_FORGE_H
#include <stddef.h>

/* Recomputes the last 6 characters of key (len characters): base62 of
 * the CRC-32 of everything before them. */
void tl_key_fix_check(char *key, size_t len);
/* Replaces key[from] .. key[from + n - 1] by random base62 characters and
 * fixes the check; 0, or -1 when no randomness could be had. */
int tl_key_forge(char *key, size_t len, size_t from, size_t n);
#endif
