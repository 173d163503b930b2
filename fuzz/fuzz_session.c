/* Session records (what keyadm reads from the sessions directory): no
 * crash on any input, and an accepted record formats back to a text that
 * parses to the same record. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apikey_admin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ak_session a, b;
	static char text[8192];
	char *s;
	int n;

	if (size > 4096 || (s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (memchr(s, '\0', size) == NULL && ak_session_parse(&a, s) == 0) {
		if (!ak_id_valid(a.id) || !ak_user_valid(a.user) || a.pid <= 1)
			__builtin_trap();
		if ((n = ak_session_format(text, sizeof(text), &a)) < 0 ||
		    ak_session_parse(&b, text) != 0 || memcmp(&a, &b, sizeof(a)) != 0)
			__builtin_trap();
	}
	free(s);
	return 0;
}
