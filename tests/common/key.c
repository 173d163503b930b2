/* Unit tests of the key format: golden vectors (computed independently with Python's
 * hmac and zlib), malformed keys, generation and prefixes (common/key.c). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "tap.h"
#include "unit.h"

static void test_golden(void)
{
	const char *k1 = "ak_0Zk3P9qLm2Xa_w4Qxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx2mSY9g";
	const char *k2 = "mycorp_AAAAAAAAAAAA_0123456789012345678901234567890123456789abc0ReMUZ";
	static const char hmac_hex[] =
	        "a0d362d67b818573b5de4b74867a8f253689812c74ee8d70964849b854b29c3c";
	char id[AK_ID_LEN + 1], secret[AK_SECRET_LEN + 1], hex[65];
	uint8_t key[32], h[32];
	int i;

	is_int(ak_key_parse(id, secret, k1, strlen(k1), "ak"), AK_VALID, "golden key parses");
	is_str(id, "0Zk3P9qLm2Xa", "golden key id");
	is_int(ak_key_parse(id, secret, k2, strlen(k2), "mycorp"), AK_VALID,
	       "golden key, long prefix");
	is_int(ak_key_parse(id, secret, k2, strlen(k2), "ak"), AK_MALFORMED,
	       "wrong prefix is MALFORMED");
	for (i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	ak_key_hash(h, key, "AAAAAAAAAAAA", "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB");
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	is_str(hex, hmac_hex, "HMAC-SHA-256 verifier matches the golden vector");
	ok(ak_key_match(k1, strlen(k1) + 5, "ak") == strlen(k1),
	   "scanner matches a key followed by text");
	ok(ak_looks_like_key(k2, strlen(k2)), "key-shaped text recognised");
	ok(!ak_looks_like_key("hunter2", 7), "a password is not key-shaped");
}

static void test_malformed(void)
{
	const char *good = "ak_0Zk3P9qLm2Xa_w4Qxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx2mSY9g";
	char buf[128], id[AK_ID_LEN + 1], secret[AK_SECRET_LEN + 1];
	size_t n = strlen(good);

	memcpy(buf, good, n + 1);
	is_int(ak_key_parse(id, secret, buf, n - 1, "ak"), AK_MALFORMED, "short key");
	memcpy(buf + n, "x", 2);
	is_int(ak_key_parse(id, secret, buf, n + 1, "ak"), AK_MALFORMED, "long key");
	memcpy(buf, good, n + 1);
	buf[20] = '-';
	is_int(ak_key_parse(id, secret, buf, n, "ak"), AK_MALFORMED, "character outside base62");
	memcpy(buf, good, n + 1);
	buf[n - 1] = buf[n - 1] == 'g' ? 'h' : 'g';
	is_int(ak_key_parse(id, secret, buf, n, "ak"), AK_MALFORMED, "wrong check characters");
	memcpy(buf, good, n + 1);
	buf[20] = 'y'; /* a typo in the secret */
	is_int(ak_key_parse(id, secret, buf, n, "ak"), AK_MALFORMED, "typo caught by the check");
	memcpy(buf, good, n + 1);
	buf[15] = 'Q';
	is_int(ak_key_parse(id, secret, buf, n, "ak"), AK_MALFORMED, "missing separator");
	memcpy(buf, good, n + 1);
	buf[30] = '\0';
	is_int(ak_key_parse(id, secret, buf, n, "ak"), AK_MALFORMED, "NUL byte inside");
	is_int(ak_key_parse(id, secret, "", 0, "ak"), AK_MALFORMED, "empty key");
	is_int(ak_key_parse(id, secret, good, n, "AK"), AK_MALFORMED, "invalid prefix argument");
}

static void test_generate(void)
{
	char key[AK_KEY_MAX + 1], id[AK_ID_LEN + 1], id2[AK_ID_LEN + 1], sec[AK_SECRET_LEN + 1];
	char first[AK_ID_LEN + 1];
	int i, good = 1, distinct = 1;

	for (i = 0; i < 1000; i++) {
		if (ak_key_generate(key, id, "ak") != 0 || strlen(key) != 2 + 63 ||
		    ak_key_parse(id2, sec, key, strlen(key), "ak") != AK_VALID ||
		    strcmp(id, id2) != 0)
			good = 0;
		if (i == 0)
			memcpy(first, id, sizeof(first));
		else if (strcmp(first, id) == 0)
			distinct = 0;
	}
	ok(good, "1000 generated keys have the right length, alphabet and check");
	ok(distinct, "generated ids differ");
	ok(ak_key_generate(key, id, "A") != 0, "invalid prefix refused");
	ok(ak_prefix_valid("ak") && ak_prefix_valid("corp2024") && !ak_prefix_valid("a") &&
	           !ak_prefix_valid("2ak") && !ak_prefix_valid("abcdefghijklmnopq"),
	   "prefix rules");
	sodium_memzero(key, sizeof(key));
	sodium_memzero(sec, sizeof(sec));
}

/* ak_key_verify: true for the verifier ak_key_hash makes of id:secret
 * under the store key, and for nothing else. */
static void test_verify(void)
{
	const char *id = "AAAAAAAAAAAA", *sec = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
	uint8_t key[AK_STORE_KEY_LEN], other[AK_STORE_KEY_LEN], h[AK_HASH_LEN];
	char sec2[AK_SECRET_LEN + 1];
	int i;

	for (i = 0; i < AK_STORE_KEY_LEN; i++)
		key[i] = (uint8_t)i;
	memcpy(other, key, sizeof(other));
	other[0] ^= 1;
	memcpy(sec2, sec, sizeof(sec2));
	sec2[AK_SECRET_LEN - 1] = 'C';
	ak_key_hash(h, key, id, sec);
	is_int(ak_key_verify(h, key, id, sec), 1, "the verifier of id:secret verifies");
	is_int(ak_key_verify(h, key, id, sec2), 0, "another secret does not");
	is_int(ak_key_verify(h, key, "AAAAAAAAAAAB", sec), 0, "another id does not");
	is_int(ak_key_verify(h, other, id, sec), 0, "another store key does not");
	h[AK_HASH_LEN - 1] ^= 1;
	is_int(ak_key_verify(h, key, id, sec), 0, "a verifier one bit off does not");
	memset(h, 0, sizeof(h));
	is_int(ak_key_verify(h, key, id, sec), 0, "the zero verifier (an unknown id's) does not");
}

int main(void)
{
	if (unit_setup() != 0)
		return 1;
	test_golden();
	test_malformed();
	test_generate();
	test_verify();
	return unit_done(tap_done());
}
