/* The key forger (forge.h). Its CRC-32 and base62 are written here, not
 * taken from the core, so that a bug in the core's check cannot hide. */
#include <stdint.h>
#include <sys/random.h>
#include <sys/types.h>

#include "apikey_admin.h"
#include "forge.h"

static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

void tl_key_fix_check(char *key, size_t len)
{
	size_t head = len - AK_CHECK_LEN, i;
	unsigned b;
	uint32_t crc = 0xffffffffu;

	for (i = 0; i < head; i++) {
		crc ^= (unsigned char)key[i];
		for (b = 0; b < 8; b++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	crc = ~crc;
	for (i = AK_CHECK_LEN; i-- > 0; crc /= 62)
		key[head + i] = b62[crc % 62];
}

int tl_key_forge(char *key, size_t len, size_t from, size_t n)
{
	unsigned char r[64];
	size_t i = 0, j = sizeof(r);

	if (len < AK_CHECK_LEN || from + n > len - AK_CHECK_LEN)
		return -1;
	while (i < n) {
		if (j == sizeof(r)) {
			if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
				return -1;
			j = 0;
		}
		if (r[j] < 248) /* 4 * 62: no bias */
			key[from + i++] = b62[r[j] % 62];
		j++;
	}
	tl_key_fix_check(key, len);
	return 0;
}
