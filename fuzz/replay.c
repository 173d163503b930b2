/* Runs a fuzz target over files without libFuzzer, so that `make check`
 * replays the corpus and every regression input with the normal build.
 * Usage: fuzz_X.replay FILE... ; prints TAP, one line per file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	static uint8_t buf[1 << 20];
	int i;

	for (i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		size_t n;

		if (f == NULL) {
			printf("not ok %d - cannot open %s\n", i, argv[i]);
			continue;
		}
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, n);
		printf("ok %d - replayed %s\n", i, argv[i]);
	}
	printf("1..%d\n", argc - 1);
	return 0;
}
