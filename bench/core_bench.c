/* Core verification rate on one core, without PAM or SASL.
 * Usage: core_bench DB KEYFILE ITERATIONS
 * KEYFILE holds "user key" lines (made by the bench script with keyadm
 * create --batch); verifications cycle through them on one open store
 * (warm) and through ak_verify_path (the front ends' call, with its
 * per-call revalidation). Prints: warm_per_s path_per_s path_us. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "apikey_admin.h"
#include "stats.h"

#define MAXK 1000

static char users[MAXK][AK_USER_MAX + 1], keys[MAXK][AK_KEY_MAX + 1];

static int load(const char *file)
{
	FILE *f = fopen(file, "r");
	int n = 0;

	if (f == NULL)
		return 0;
	while (n < MAXK && fscanf(f, "%64s %79s", users[n], keys[n]) == 2)
		n++;
	fclose(f);
	return n;
}

int main(int argc, char **argv)
{
	struct ak_verify_req req = {NULL, NULL, 0, "bench", "127.0.0.1", 0};
	struct ak_verify_res res;
	struct ak_store *st = NULL;
	struct ak_error e;
	long iters, i, bad = 0;
	double t0, warm, path;
	int n;

	if (argc != 4 || (n = load(argv[2])) == 0) {
		fprintf(stderr, "usage: core_bench DB KEYFILE ITERATIONS\n");
		return 2;
	}
	iters = strtol(argv[3], NULL, 10);
	if (ak_store_open(&st, argv[1], 0, &e) != 0) {
		fprintf(stderr, "core_bench: %s\n", e.msg);
		return 1;
	}
	t0 = now_us();
	for (i = 0; i < iters; i++) {
		req.user = users[i % n];
		req.key = keys[i % n];
		req.key_len = strlen(req.key);
		bad += ak_verify(&res, st, &req) != AK_VALID;
	}
	warm = (double)iters / ((now_us() - t0) / 1e6);
	ak_store_close(st);
	t0 = now_us();
	for (i = 0; i < iters / 4; i++) {
		req.user = users[i % n];
		req.key = keys[i % n];
		req.key_len = strlen(req.key);
		bad += ak_verify_path(&res, argv[1], 0, &req, &e) != AK_VALID;
	}
	path = (double)(iters / 4) / ((now_us() - t0) / 1e6);
	printf("%.0f %.0f %.2f %ld\n", warm, path, 1e6 / path, bad);
	sodium_memzero(keys, sizeof(keys));
	return bad ? 1 : 0;
}
