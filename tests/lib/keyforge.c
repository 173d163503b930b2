/* keyforge KEYFILE OUT [newid]: writes to OUT the key of KEYFILE with
 * the same prefix and id (with newid: a random id, a key that does not
 * exist) and another secret with a correct check: a well-formed key that
 * must never be accepted. The forge function of tests/lib.sh. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "apikey_admin.h"
#include "forge.h"

int main(int argc, char **argv)
{
	char key[AK_KEY_MAX + 2] = "";
	FILE *in = argc == 3 || argc == 4 ? fopen(argv[1], "re") : NULL;
	size_t len, plen;
	int rc = 1, fd;

	if (in == NULL) {
		fprintf(stderr, "usage: keyforge KEYFILE OUT [newid]\n");
		return 2;
	}
	if (fgets(key, sizeof(key), in) == NULL)
		key[0] = '\0';
	fclose(in);
	len = strcspn(key, "\r\n");
	key[len] = '\0';
	plen = strcspn(key, "_");
	/* PREFIX_ID_SECRETCHECK: the secret starts after the second '_' */
	if (plen + 1 + AK_ID_LEN + 1 + AK_CHECK_LEN >= len || key[plen + 1 + AK_ID_LEN] != '_' ||
	    (argc == 4 && tl_key_forge(key, len, plen + 1, AK_ID_LEN) != 0) ||
	    tl_key_forge(key, len, plen + 2 + AK_ID_LEN,
	                 len - AK_CHECK_LEN - (plen + 2 + AK_ID_LEN)) != 0) {
		fprintf(stderr, "keyforge: %s holds no key\n", argv[1]);
		goto out;
	}
	key[len] = '\n';
	fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0 && write(fd, key, len + 1) == (ssize_t)(len + 1))
		rc = 0;
	if (fd < 0 || close(fd) != 0)
		rc = 1;
out:
	memset(key, 0, sizeof(key));
	return rc;
}
