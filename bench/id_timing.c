/* Can a remote client tell a real key id from an unknown one by timing?
 * Usage: id_timing DB KEYFILE ITERATIONS
 * KEYFILE holds one real key. Measures ak_verify (the front ends' check
 * on an open store) for a well-formed key with the real id and a wrong
 * secret, and for a well-formed key with an id that does not exist,
 * interleaved so that both see the same machine. Both are NOT_FOUND.
 * And, to show what a difference the measurement does see, a key whose
 * check digits are wrong (MALFORMED, refused before the store is read).
 * Prints: real_id_us unknown_id_us malformed_us (medians of batch means). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "apikey_admin.h"
#include "lib/forge.h"
#include "stats.h"

static double median(struct ak_stats *s)
{
	qsort(s->means, (size_t)s->n, sizeof(double), cmp_double);
	return s->n ? s->means[s->n / 2] : 0;
}

int main(int argc, char **argv)
{
	struct ak_verify_req req = {"nobody", NULL, 0, "bench", "127.0.0.1", 0};
	struct ak_verify_res res;
	struct ak_stats real, unknown, typo;
	struct ak_store *st = NULL;
	struct ak_error e;
	char key[AK_KEY_MAX + 2], wrong[AK_KEY_MAX + 2], none[AK_KEY_MAX + 2];
	char bent[AK_KEY_MAX + 2];
	size_t len, plen;
	long iters, i, bad = 0;
	FILE *f;

	if (argc != 4 || sodium_init() < 0 || (f = fopen(argv[2], "r")) == NULL) {
		fprintf(stderr, "usage: id_timing DB KEYFILE ITERATIONS\n");
		return 2;
	}
	if (fgets(key, sizeof(key), f) == NULL)
		key[0] = '\0';
	fclose(f);
	len = strcspn(key, "\n");
	key[len] = '\0';
	plen = strcspn(key, "_");
	iters = strtol(argv[3], NULL, 10);
	if (len < plen + 63 || iters <= 0 || ak_store_open(&st, argv[1], 0, &e) != 0) {
		fprintf(stderr, "id_timing: no store or no key\n");
		return 1;
	}
	memcpy(wrong, key, len + 1);
	memcpy(none, key, len + 1);
	memcpy(bent, key, len + 1);
	bent[len - 1] = bent[len - 1] == '0' ? '1' : '0';
	stats_init(&real, iters);
	stats_init(&unknown, iters);
	stats_init(&typo, iters);
	for (i = 0; i < iters; i++) {
		if (tl_key_forge(wrong, len, plen + 2 + AK_ID_LEN, AK_SECRET_LEN) != 0 ||
		    tl_key_forge(none, len, plen + 1, AK_ID_LEN) != 0)
			bad++;
		req.key = wrong;
		req.key_len = len;
		stats_start(&real);
		bad += ak_verify(&res, st, &req) != AK_NOT_FOUND;
		stats_stop(&real);
		req.key = none;
		stats_start(&unknown);
		bad += ak_verify(&res, st, &req) != AK_NOT_FOUND;
		stats_stop(&unknown);
		req.key = bent;
		stats_start(&typo);
		bad += ak_verify(&res, st, &req) != AK_MALFORMED;
		stats_stop(&typo);
	}
	ak_store_close(st);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(bent, sizeof(bent));
	printf("%.2f %.2f %.2f\n", median(&real), median(&unknown), median(&typo));
	return bad != 0;
}
