/* The kill driver (killverify.c): resolving a write against the store.
 * A write that exited 0 must be there whole, a killed one whole or not
 * at all (the store's generation says which), anything else must be
 * unchanged; what the store then holds becomes the key's answer after
 * the write's window. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "kvdriver.h"

uint8_t kv_answer(const struct kv_model *k)
{
	if (!k->exists)
		return AK_NOT_FOUND;
	if (k->state == AK_STATE_REVOKED)
		return AK_REVOKED;
	if (k->state == AK_STATE_DISABLED)
		return AK_DISABLED;
	return k->svc_ok ? AK_VALID : AK_SERVICE_DENIED;
}

static int same(const struct kv_model *a, const struct kv_model *b)
{
	return a->exists == b->exists && a->state == b->state && a->svc_ok == b->svc_ok;
}

/* What the store holds for id; -1 when the record cannot be read. */
int kv_truth(const struct ak_store *st, const char *id, struct kv_model *out)
{
	struct ak_error e = {AK_OK, ""};
	struct ak_key k;
	int rc = ak_store_get_key(&k, st, id, &e);

	memset(out, 0, sizeof(*out));
	if (rc != 0 && e.code == AK_E_NOENT)
		return 0;
	if (rc != 0) {
		fprintf(stderr, "key %s unreadable: %s\n", id, e.msg);
		return -1;
	}
	out->exists = 1;
	out->state = (uint8_t)k.state;
	out->svc_ok = ak_service_allowed(&k, KV_SERVICE) ? 1 : 0;
	return 0;
}

/* A new key printed by create or rotate: its index (not yet published), or -1. */
static int new_key(struct kv_drv *d, const char *user)
{
	char buf[256], id[AK_ID_LEN + 1], secret[AK_SECRET_LEN + 1];
	int fd = open(d->out, O_RDONLY | O_CLOEXEC), n = atomic_load(&d->m->nkeys), idx = -1;
	ssize_t len = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;
	struct kv_key *k = &d->m->keys[n];

	if (fd >= 0)
		close(fd);
	if (len > 1 && len - 1 <= AK_KEY_MAX && buf[len - 1] == '\n' && n < KV_MAXKEYS &&
	    ak_key_parse(id, secret, buf, (size_t)len - 1, d->prefix) == AK_VALID) {
		memcpy(k->key, buf, (size_t)len - 1);
		k->key[len - 1] = '\0';
		memcpy(k->id, id, sizeof(k->id));
		snprintf(k->user, sizeof(k->user), "%s", user);
		k->initial = AK_NOT_FOUND;
		idx = n;
	}
	sodium_memzero(buf, sizeof(buf));
	sodium_memzero(secret, sizeof(secret));
	return idx;
}

/* The window of c on key idx, and the model becomes what the store holds. */
static void add_win(struct kv_drv *d, int idx, const struct kv_cmd *c,
                    const struct kv_model *before, const struct kv_model *after)
{
	struct kv_key *k = &d->m->keys[idx];
	int n = atomic_load_explicit(&k->nwin, memory_order_relaxed);

	d->model[idx] = *after;
	if (kv_answer(before) == kv_answer(after) || n >= KV_MAXWIN)
		return;
	k->win[n] = (struct kv_win){c->start, d->early ? c->start : c->end, kv_answer(before),
	                            kv_answer(after)};
	atomic_store_explicit(&k->nwin, n + 1, memory_order_release);
}

/* Exited 0: the change is there. Killed: all of it when the generation
 * moved, none of it otherwise. Failed: nothing changed. */
static void judge_write(struct kv_drv *d, const struct kv_cmd *c, const char *id,
                        const struct kv_model *got, const struct kv_model *before,
                        const struct kv_model *want, int committed)
{
	const struct kv_model *should =
	        c->killed ? (committed ? want : before) : (c->status == 0 ? want : before);

	if (same(got, should))
		return;
	if (!c->killed && c->status == 0)
		d->f.lost++;
	else
		d->f.torn++;
	fprintf(stderr, "write %ld (%s, %s): key %s is %s, expected %s\n", d->f.writes,
	        op_names[c->op], c->killed ? "killed" : "exited", id,
	        ak_result_name(kv_answer(got)), ak_result_name(kv_answer(should)));
}

static void resolve_fresh(struct kv_drv *d, const struct ak_store *st, const struct kv_cmd *c,
                          int committed)
{
	const struct kv_model none = {0, 0, 0};
	struct kv_model got;
	int idx = new_key(d, c->user);

	if (idx < 0) {
		if (!c->killed && c->status == 0) {
			d->f.lost++;
			fprintf(stderr, "write %ld (%s) exited 0 without a key\n", d->f.writes,
			        op_names[c->op]);
		}
		d->f.unprinted += c->killed && committed;
		return;
	}
	if (kv_truth(st, d->m->keys[idx].id, &got) != 0 || !got.exists) {
		d->f.lost++;
		fprintf(stderr, "a printed key %s is not in the store\n", d->m->keys[idx].id);
	} else {
		judge_write(d, c, d->m->keys[idx].id, &got, &none, &c->fresh_want, committed);
	}
	add_win(d, idx, c, &none, &got);
	atomic_store(&d->m->nkeys, idx + 1);
}

/* Every key as its model says: a change no write made is a lost or torn one. */
static void check_all(struct kv_drv *d, const struct ak_store *st)
{
	int n = atomic_load(&d->m->nkeys), i;
	struct kv_model got;

	for (i = 0; i < n; i++) {
		if (kv_truth(st, d->m->keys[i].id, &got) != 0 || !same(&got, &d->model[i])) {
			d->f.lost++;
			fprintf(stderr, "after write %ld key %s is %s, expected %s\n", d->f.writes,
			        d->m->keys[i].id, ak_result_name(kv_answer(&got)),
			        ak_result_name(kv_answer(&d->model[i])));
			d->model[i] = got;
		}
	}
}

int kv_resolve(struct kv_drv *d, const struct kv_cmd *c)
{
	struct ak_error e = {AK_OK, ""};
	struct ak_store *st = NULL;
	struct kv_model got;
	uint64_t gen0 = d->gen;
	int committed;

	if (ak_store_open(&st, d->db, getuid(), &e) != 0) {
		d->f.open_fail++;
		fprintf(stderr, "after write %ld the store does not open: %s\n", d->f.writes,
		        e.msg);
		return -1;
	}
	d->gen = ak_store_meta(st)->generation;
	committed = d->gen == gen0 + 1;
	if (d->gen != gen0 + (!c->killed && c->status == 0) && !(c->killed && committed)) {
		d->f.torn++;
		fprintf(stderr, "write %ld (%s): generation %llu -> %llu\n", d->f.writes,
		        op_names[c->op], (unsigned long long)gen0, (unsigned long long)d->gen);
	}
	if (c->killed)
		*(committed ? &d->f.after_rename : &d->f.before_rename) += 1;
	if (c->target >= 0) {
		if (kv_truth(st, d->m->keys[c->target].id, &got) != 0)
			got = c->before;
		judge_write(d, c, d->m->keys[c->target].id, &got, &c->before, &c->want, committed);
		add_win(d, c->target, c, &c->before, &got);
	}
	if (c->op == OP_CREATE || c->op == OP_ROTATE)
		resolve_fresh(d, st, c, committed);
	check_all(d, st);
	if (ak_store_check(st, &e) != 0) {
		d->f.check_fail++;
		fprintf(stderr, "after write %ld the check fails: %s\n", d->f.writes, e.msg);
	}
	ak_store_close(st);
	return 0;
}
