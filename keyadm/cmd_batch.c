/* keyadm create --batch: one key per user read from stdin, all in one
 * snapshot write, keys printed in the same order once the write is
 * committed. Creating a large store one `create` at a time would copy the
 * whole store once per key. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "keyadm.h"

#define BATCH_MAX 10000000 /* users in one batch */

struct batch {
	char (*users)[AK_USER_MAX + 1];
	char (*keys)[AK_KEY_MAX + 1];
	char (*ids)[AK_ID_LEN + 1];
	size_t n, cap;
};

/* Every line must be a valid user name; anything else refuses the whole
 * batch before the store is touched. */
static void batch_read(struct batch *b)
{
	char *line = NULL;
	size_t len = 0, lineno = 0;
	ssize_t got;

	while ((got = getline(&line, &len, stdin)) > 0) {
		lineno++;
		if (line[got - 1] == '\n')
			line[--got] = '\0';
		if (memchr(line, '\0', (size_t)got) != NULL || !ak_user_valid(line))
			ka_usage("stdin line %zu: not a valid user name", lineno);
		if (b->n == BATCH_MAX)
			ka_usage("more than %d users in one batch", BATCH_MAX);
		if (b->n == b->cap) {
			b->cap = b->cap ? b->cap * 2 : 1024;
			b->users = realloc(b->users, b->cap * sizeof(*b->users));
			if (b->users == NULL)
				ka_die(KA_EXIT_FAIL, "out of memory");
		}
		memcpy(b->users[b->n++], line, (size_t)got + 1);
	}
	free(line);
	if (b->n == 0)
		ka_usage("create --batch: no users on stdin (one per line)");
}

#define LINE_MAX_LEN (AK_KEY_MAX + AK_ID_LEN + AK_USER_MAX + 48)

/* The keys go out through a buffer of our own with write(2), wiped
 * after: none is left behind in stdio's buffers (a core image, a
 * later allocation) once the batch is printed. */
static void batch_print(const struct ka_ctx *c, struct batch *b)
{
	char buf[65536];
	size_t i, used = 0;
	int bad = 0;

	ka_flush(stdout);
	for (i = 0; i < b->n && !bad; i++) {
		if (sizeof(buf) - used < LINE_MAX_LEN) {
			bad = ka_write_all(STDOUT_FILENO, buf, used);
			used = 0;
		}
		if (c->o->json)
			used += (size_t)snprintf(
			        buf + used, sizeof(buf) - used,
			        "{\"id\":\"%s\",\"key\":\"%s\",\"owner\":\"%s\"}\n", b->ids[i],
			        b->keys[i], b->users[i]);
		else
			used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s\n",
			                         b->keys[i]);
	}
	if (!bad)
		bad = ka_write_all(STDOUT_FILENO, buf, used);
	sodium_memzero(buf, sizeof(buf));
	sodium_memzero(b->keys, b->n * sizeof(*b->keys));
	ka_secret_wipe();
	if (bad)
		ka_die(KA_EXIT_FAIL,
		       "%zu keys were made but could not all be written out: "
		       "revoke them (keyadm list)",
		       b->n);
	fprintf(stderr, "keyadm: %zu keys created\n", b->n);
}

int ka_create_batch(const struct ka_ctx *c, const struct ak_key *r)
{
	struct ak_error e = {AK_OK, ""};
	struct batch b = {NULL, NULL, NULL, 0, 0};
	struct ak_txn *t;
	struct ak_key k;
	size_t i;

	batch_read(&b);
	b.keys = calloc(b.n, sizeof(*b.keys));
	b.ids = calloc(b.n, sizeof(*b.ids));
	if (b.keys == NULL || b.ids == NULL)
		ka_die(KA_EXIT_FAIL, "out of memory");
	ka_secret_hold(b.keys, b.n * sizeof(*b.keys));
	t = ka_txn_begin(c);
	for (i = 0; i < b.n; i++) {
		ka_policy_make_room(c, t, b.users[i], KA_ROOM_LIVE);
		if (ak_txn_new_key(t, &k, b.keys[i], b.users[i], &e) != 0)
			ka_txn_fail(t, &e);
		ka_copy_restrictions(&k, r);
		if (ak_txn_put_key(t, &k, &e) != 0 ||
		    ak_txn_audit(t, "create", k.id, b.users[i], "batch", &e) != 0)
			ka_txn_fail(t, &e);
		memcpy(b.ids[i], k.id, sizeof(b.ids[i]));
	}
	ka_txn_commit(t); /* MUST come first: a printed key is a stored key */
	batch_print(c, &b);
	free(b.keys);
	free(b.ids);
	free(b.users);
	return KA_EXIT_OK;
}
