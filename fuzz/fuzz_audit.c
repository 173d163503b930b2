/* The audit-chain reader on hostile stores: a GDBM file written by the
 * target from the input (a meta record and a:1..a:n entries), then
 * opened, walked, verified and checked by the core.
 *
 * Input: one flags byte, then fields separated by 0xff: the meta record
 * (empty: the target makes one) and the audit entries. Flag 1 links the
 * entries that decode into a correct chain, flag 2 records its head in
 * the meta, flags 4 and 8 miscount the entries.
 * Checks: no crash; the chain is reported intact only when it is (an
 * independent walk over what the target wrote agrees); check passes only
 * with an intact chain; the walk visits entries 1..n in order. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gdbm.h>

#include "apikey_admin.h"
#include "fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ENTRIES_MAX 16

static struct {
	uint8_t bytes[ENTRIES_MAX][AK_REC_MAX];
	size_t len[ENTRIES_MAX];
	int n;
} in;

static const char *path;

/* Flag 1: entries that decode get seq i and the previous entry's hash. */
static void link_chain(uint8_t head[AK_HASH_LEN])
{
	struct ak_audit a;
	int i;

	memset(head, 0, AK_HASH_LEN);
	for (i = 0; i < in.n; i++) {
		if (ak_audit_decode(&a, in.bytes[i], in.len[i]) != 0)
			continue;
		a.seq = (uint64_t)i + 1;
		memcpy(a.prev, head, AK_HASH_LEN);
		if (ak_audit_encode(in.bytes[i], AK_REC_MAX, &in.len[i], &a) != 0)
			__builtin_trap();
		ak_audit_hash(head, &a);
	}
}

/* The same walk as the reader's, over what was written: 1 when intact. */
static int intact(const struct ak_meta *m)
{
	uint8_t prev[AK_HASH_LEN] = {0};
	struct ak_audit a;
	uint64_t i;

	if (m->audit_seq > (uint64_t)in.n)
		return 0;
	for (i = 0; i < m->audit_seq; i++) {
		if (ak_audit_decode(&a, in.bytes[i], in.len[i]) != 0 || a.seq != i + 1 ||
		    memcmp(a.prev, prev, AK_HASH_LEN) != 0)
			return 0;
		ak_audit_hash(prev, &a);
	}
	return memcmp(prev, m->audit_head, AK_HASH_LEN) == 0;
}

static int put(GDBM_FILE db, const char *k, const uint8_t *v, size_t n)
{
	datum key = {(char *)(uintptr_t)k, (int)strlen(k)};
	datum val = {(char *)(uintptr_t)v, (int)n};

	return gdbm_store(db, key, val, GDBM_REPLACE);
}

static int write_store(const struct ak_meta *m)
{
	uint8_t buf[AK_REC_MAX];
	char k[32];
	size_t n;
	int i, rc = 0;
	GDBM_FILE db;

	unlink(path);
	db = gdbm_open(path, 0, GDBM_NEWDB | GDBM_NOLOCK | GDBM_NOMMAP, 0600, NULL);
	if (db == NULL || ak_meta_encode(buf, sizeof(buf), &n, m) != 0)
		return -1;
	rc |= put(db, "meta", buf, n);
	for (i = 0; i < in.n; i++) {
		snprintf(k, sizeof(k), "a:%d", i + 1);
		rc |= put(db, k, in.bytes[i], in.len[i]);
	}
	gdbm_close(db);
	return rc;
}

struct walk {
	uint64_t next;
};

static int visit(const struct ak_audit *a, void *ctx)
{
	struct walk *w = ctx;

	if (a->seq != ++w->next)
		__builtin_trap();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data + 1, *end = data + size;
	uint8_t head[AK_HASH_LEN];
	struct ak_error e = {AK_OK, ""};
	struct ak_store *st = NULL;
	struct ak_meta m;
	struct walk w = {0};
	int flags, ok_chain, ok_check, ok_walk, have_meta = 0;

	if (size < 1 || (path == NULL && (path = fx_file("keys.db")) == NULL))
		return 0;
	flags = data[0];
	in.n = -1;
	while (p <= end && in.n < ENTRIES_MAX) {
		const uint8_t *sep = memchr(p, 0xff, (size_t)(end - p));
		size_t n = (size_t)((sep ? sep : end) - p);

		if (n > AK_REC_MAX)
			n = AK_REC_MAX;
		if (in.n < 0)
			have_meta = n > 0 && ak_meta_decode(&m, p, n) == 0;
		else {
			memcpy(in.bytes[in.n], p, n);
			in.len[in.n] = n;
		}
		in.n++;
		if (sep == NULL)
			break;
		p = sep + 1;
	}
	if (in.n < 0)
		in.n = 0;
	if (!have_meta) {
		memset(&m, 0, sizeof(m));
		m.schema = 1;
		memcpy(m.prefix, "ak", 3);
		m.audit_seq = (uint64_t)in.n;
	}
	memset(head, 0, sizeof(head));
	if (flags & 1)
		link_chain(head);
	if (flags & 2) {
		m.audit_seq = (uint64_t)in.n;
		memcpy(m.audit_head, head, AK_HASH_LEN);
	}
	if (flags & 4)
		m.audit_seq++;
	if ((flags & 8) && m.audit_seq > 0)
		m.audit_seq--;
	if (write_store(&m) != 0 || ak_store_open(&st, path, geteuid(), &e) != 0)
		return 0;
	ok_chain = ak_store_audit_verify(st, &e) == 0;
	ok_check = ak_store_check(st, &e) == 0;
	ok_walk = ak_store_each_audit(st, 1, visit, &w, &e) == 0;
	if (ok_chain != intact(ak_store_meta(st)) || (ok_check && !ok_chain) ||
	    (ok_walk && w.next != ak_store_meta(st)->audit_seq) || (ok_chain && !ok_walk))
		__builtin_trap();
	ak_store_close(st);
	return 0;
}
