/* The kill driver's own declarations, shared by its three files:
 * killverify.c (set-up, the write loop, figures), kvrun.c (planning,
 * running and killing keyadm) and kvjudge.c (judging a write against the
 * store). The verifiers (verifier.c) see only killverify.h. */
#ifndef KV_KVDRIVER_H
#define KV_KVDRIVER_H

#include <sys/types.h>

#include "killverify.h"

#define KV_WARMUP 16      /* first writes: creates, never killed (timing, targets) */
#define KV_KILL_SHARE 0.6 /* of the other writes */

/* When a write is killed: after a random delay from its start; a random
 * moment after its temporary copy appears (copying, changing, syncing);
 * or right after its rename (syncing the directory, printing, exiting),
 * the narrow window random delays rarely hit. */
enum kv_kill { KILL_NONE, KILL_DELAY, KILL_COPY, KILL_RENAME, KILL_N };

struct kv_model {
	uint8_t exists, state, svc_ok;
};

enum kv_op { OP_CREATE, OP_DISABLE, OP_ENABLE, OP_SET, OP_REVOKE, OP_ROTATE, OP_N };
extern const char *const op_names[OP_N];

struct kv_cmd {
	enum kv_op op;
	int target; /* the key written to; -1 for create */
	struct kv_model before, want, fresh_want;
	char user[AK_USER_MAX + 1]; /* the owner of a new key */
	enum kv_kill how;
	int64_t delay_ns; /* after the start, the copy or the rename */
	int64_t start, end;
	int killed, status;
};

struct kv_fig {
	long writes, completed, killed, before_rename, after_rename, failed, lost, torn;
	long unprinted, open_fail, check_fail, keyadm_checks, keyadm_check_fail;
	long tmp_after_write, tmp_after_kill, per_op[OP_N], killed_op[OP_N], killed_how[KILL_N];
};

struct kv_drv {
	struct kv_shared *m;
	const char *keyadm, *db;
	char out[4200], err[4200], dir[4096], tmpbase[4096], prefix[AK_PREFIX_MAX + 1];
	struct kv_model model[KV_MAXKEYS];
	int nfixed, watch; /* watch: inotify on the store's directory */
	int early;         /* --early: windows end where they start */
	uint64_t rng, gen;
	double avg_ms; /* mean run time of the writes that were not killed */
	struct kv_fig f;
};

/* kvrun.c: the next write and when to kill it; running it; keyadm check. */
void kv_plan(struct kv_drv *d, struct kv_cmd *c);
void kv_choose_kill(struct kv_drv *d, struct kv_cmd *c);
void kv_run(struct kv_drv *d, struct kv_cmd *c);
void kv_show_err(struct kv_drv *d, const char *what);
int kv_keyadm_check(struct kv_drv *d);
int kv_tmp_copies(struct kv_drv *d);
/* kvjudge.c: what the store holds, and a write judged against it. */
uint8_t kv_answer(const struct kv_model *k);
int kv_truth(const struct ak_store *st, const char *id, struct kv_model *out);
int kv_resolve(struct kv_drv *d, const struct kv_cmd *c);

#endif
