/* Durations, dates, user names and free text: no crash on any input, and
 * an accepted date formats back to a readable time. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apikey_admin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), buf[64];
	int64_t ms;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (ak_parse_duration(&ms, s) == 0 && ms <= 0)
		__builtin_trap();
	if (ak_parse_when(&ms, s, 1700000000000) == 0) {
		ak_format_time(buf, sizeof(buf), ms);
		if (buf[0] == '\0')
			__builtin_trap();
	}
	/* what a predicate accepts is within its bounds */
	if (ak_user_valid(s) && (size == 0 || strlen(s) > AK_USER_MAX))
		__builtin_trap();
	if (ak_text_valid(s, AK_NAME_MAX) && strlen(s) > AK_NAME_MAX)
		__builtin_trap();
	if (ak_prefix_valid(s) && (strlen(s) < AK_PREFIX_MIN || strlen(s) > AK_PREFIX_MAX))
		__builtin_trap();
	free(s);
	return 0;
}
