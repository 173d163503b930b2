/* CIDR lists, service lists, address matching: no crash on any text, and
 * a parsed list formats and re-parses to the same networks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apikey_admin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ak_key k, again;
	char *s = malloc(size + 1), buf[64];
	uint8_t i;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	memset(&k, 0, sizeof(k));
	if (ak_sources_parse(&k, s) == 0) {
		for (i = 0; i < k.n_sources; i++) {
			memset(&again, 0, sizeof(again));
			ak_cidr_format(buf, sizeof(buf), &k.sources[i]);
			if (ak_sources_parse(&again, buf) != 0 ||
			    memcmp(&again.sources[0], &k.sources[i], sizeof(k.sources[i])) != 0)
				__builtin_trap();
		}
	}
	/* a predicate is 1 or 0; a key with no sources allows any */
	if ((unsigned)ak_source_allowed(&k, s) > 1 ||
	    (k.n_sources == 0 && !ak_source_allowed(&k, s)))
		__builtin_trap();
	memset(&k, 0, sizeof(k));
	if (ak_services_parse(&k, s) == 0 && !ak_service_allowed(&k, k.services[0]))
		__builtin_trap();
	free(s);
	return 0;
}
