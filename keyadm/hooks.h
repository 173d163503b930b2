/* Change hooks: what keyadm's side hands the supervisor (hookrun.c). */
#ifndef KEYADM_HOOKS_H
#define KEYADM_HOOKS_H

#include <stdint.h>

#include "apikey_admin.h"

#define KA_HOOK_SECONDS 10 /* each hook, then SIGKILL */

struct ka_hook_facts {
	int lines; /* a sealed memfd: ACTION<TAB>KEY_ID<TAB>USER lines */
	uint64_t count, generation, from;
	char action[AK_ACTION_MAX + 1];
	char id[AK_ID_LEN + 1];
	char user[AK_USER_MAX + 1];
	struct ak_audit first; /* the change's first entry, to find it in the store */
	char db[4096];
	char dir[1024];
	int dir_set;
};

/* The supervisor's descriptors. */
#define KA_FD_GO 3     /* from keyadm: 'c' once committed, else EOF */
#define KA_FD_STATUS 4 /* to keyadm: warnings for its stderr */
#define KA_FD_LINES 5  /* the facts */

__attribute__((format(printf, 1, 2))) void ka_hook_warn(const char *fmt, ...);
void ka_hooks_run_dir(const struct ka_hook_facts *f);
__attribute__((noreturn)) void ka_hooks_supervise(const struct ka_hook_facts *f, int go,
                                                  int status);

#endif
