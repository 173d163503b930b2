/* Key parsing, the scanner's matcher and the shape test never crash and
 * agree with each other: whatever parses also matches and looks like a
 * key; the id and secret copied out are inside the input. */
#include <stdint.h>
#include <string.h>

#include "apikey_admin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char id[AK_ID_LEN + 1], secret[AK_SECRET_LEN + 1];
	const char *s = (const char *)data;

	if (ak_key_parse(id, secret, s, size, "ak") == AK_VALID) {
		if (ak_key_match(s, size, "ak") != size || !ak_looks_like_key(s, size))
			__builtin_trap();
		if (memcmp(id, s + 3, AK_ID_LEN) != 0)
			__builtin_trap();
	}
	/* any input: a match lies within it, a predicate is 1 or 0 */
	if (ak_key_match(s, size, "corp") > size)
		__builtin_trap();
	if ((unsigned)ak_looks_like_key(s, size) > 1)
		__builtin_trap();
	return 0;
}
