/* Shared by the kill driver (killverify.c) and its verifier processes
 * (verifier.c): one MAP_SHARED mapping made before the fork. The driver
 * is the only writer of keys and windows; a verifier judges an attempt
 * only once the driver's horizon has passed the attempt's end, so every
 * write that could have overlapped it is already described. */
#ifndef KV_KILLVERIFY_H
#define KV_KILLVERIFY_H

#include <stdatomic.h>
#include <stdint.h>

#include "apikey_admin.h"

#define KV_MAXKEYS 2048
#define KV_MAXWIN 24
#define KV_MAXWORKERS 8
#define KV_SERVICE "sshd" /* what every verification asks for */

/* One keyadm command that touched a key: [start, end] on CLOCK_MONOTONIC
 * around the whole command (spawn to reaped), and the answer a
 * verification gets before it and after it (after: what the store held
 * once the command was gone, whether it exited or was killed). */
struct kv_win {
	int64_t start, end;
	uint8_t before, after;
};

struct kv_key {
	char key[AK_KEY_MAX + 1];
	char id[AK_ID_LEN + 1];
	char user[AK_USER_MAX + 1];
	uint8_t initial; /* the answer before the first window */
	_Atomic int nwin;
	struct kv_win win[KV_MAXWIN];
};

struct kv_stats {
	long attempts;
	long wrong_valid;   /* VALID where the store never said so */
	long wrong_refused; /* a definite refusal the store never gave */
	long unavailable;   /* AK_UNAVAILABLE: the store could not be used */
	long in_window;     /* attempts overlapping a write of their key */
	long after_revoke;  /* attempts started after a revoke of their key returned */
	long results[AK_UNAVAILABLE + 1];
	char first_unavailable[AK_ERR_MAX];
};

struct kv_shared {
	_Atomic int64_t horizon; /* every write that started before this is described */
	_Atomic int nkeys;
	_Atomic int hot; /* the key the current write touches: verified every other time */
	_Atomic int stop;
	struct kv_stats ws[KV_MAXWORKERS];
	struct kv_key keys[KV_MAXKEYS];
};

int64_t kv_now(void);
/* Verifies keys in a loop until stop, judging each answer; never returns. */
void kv_verifier(struct kv_shared *m, int w, const char *db) __attribute__((noreturn));

#endif
