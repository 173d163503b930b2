/* The record decoders on arbitrary bytes: never crash, and whatever
 * decodes re-encodes to exactly the same bytes (the format is canonical,
 * so a record cannot carry hidden extra data). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apikey_admin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	if (an != bn || memcmp(a, b, an) != 0)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[AK_REC_MAX];
	struct ak_key k;
	struct ak_meta m;
	struct ak_audit a;
	size_t n;

	if (ak_key_decode(&k, data, size) == 0) {
		if (ak_key_encode(out, sizeof(out), &n, &k) != 0)
			__builtin_trap();
		same(out, n, data, size);
	}
	if (ak_meta_decode(&m, data, size) == 0) {
		if (ak_meta_encode(out, sizeof(out), &n, &m) != 0)
			__builtin_trap();
		same(out, n, data, size);
	}
	if (ak_audit_decode(&a, data, size) == 0) {
		if (ak_audit_encode(out, sizeof(out), &n, &a) != 0)
			__builtin_trap();
		same(out, n, data, size);
	}
	return 0;
}
