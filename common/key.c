/* The key format: <prefix>_<id>_<secret><check>, and its verifier. */
#include <string.h>

#include <sodium.h>

#include "internal.h"

_Static_assert(AK_STORE_KEY_LEN == crypto_auth_hmacsha256_KEYBYTES,
               "the store key is the HMAC key");
_Static_assert(AK_HASH_LEN == crypto_auth_hmacsha256_BYTES, "the verifier is one HMAC");

static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

#define KEY_FIXED (1 + AK_ID_LEN + 1 + AK_SECRET_LEN + AK_CHECK_LEN) /* after prefix */

static int is_b62(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int all_b62(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_b62((unsigned char)s[i]))
			return 0;
	return 1;
}

/* CRC-32 (IEEE 802.3, reflected 0xEDB88320), bitwise: keys are short. */
static uint32_t crc32_ieee(const char *s, size_t n)
{
	uint32_t crc = 0xffffffffu;
	size_t i;
	int b;

	for (i = 0; i < n; i++) {
		crc ^= (uint8_t)s[i];
		for (b = 0; b < 8; b++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

/* The check characters of s[0..n): CRC-32 as 6 base62 digits, most
 * significant first. */
static void check_chars(char *out, const char *s, size_t n)
{
	uint32_t v = crc32_ieee(s, n);
	int i;

	for (i = AK_CHECK_LEN - 1; i >= 0; i--) {
		out[i] = b62[v % 62];
		v /= 62;
	}
}

int ak_prefix_valid(const char *prefix)
{
	size_t i, n;

	if (prefix == NULL)
		return 0;
	n = strlen(prefix);
	if (n < AK_PREFIX_MIN || n > AK_PREFIX_MAX || prefix[0] < 'a' || prefix[0] > 'z')
		return 0;
	for (i = 1; i < n; i++)
		if (!((prefix[i] >= 'a' && prefix[i] <= 'z') ||
		      (prefix[i] >= '0' && prefix[i] <= '9')))
			return 0;
	return 1;
}

/* Uniform base62 characters from one randombytes_buf call per batch:
 * bytes >= 248 (4 * 62) are rejected so that byte % 62 stays uniform.
 * One getrandom(2) per key instead of one per character. */
static void b62_random(char *out, size_t n)
{
	unsigned char pool[96];
	size_t i = 0, j = sizeof(pool);

	while (i < n) {
		if (j == sizeof(pool)) {
			randombytes_buf(pool, sizeof(pool));
			j = 0;
		}
		if (pool[j] < 248)
			out[i++] = b62[pool[j] % 62];
		j++;
	}
	sodium_memzero(pool, sizeof(pool));
}

void ak_id_generate(char *id_out)
{
	b62_random(id_out, AK_ID_LEN);
	id_out[AK_ID_LEN] = '\0';
}

int ak_id_valid(const char *id)
{
	return id != NULL && strlen(id) == AK_ID_LEN && all_b62(id, AK_ID_LEN);
}

int ak_key_generate(char *key_out, char *id_out, const char *prefix)
{
	size_t plen;
	char *p;

	if (key_out == NULL || id_out == NULL || !ak_prefix_valid(prefix))
		return -1;
	if (sodium_init() < 0)
		return -1;
	plen = strlen(prefix);
	memcpy(key_out, prefix, plen);
	p = key_out + plen;
	*p++ = '_';
	ak_id_generate(id_out);
	memcpy(p, id_out, AK_ID_LEN);
	p += AK_ID_LEN;
	*p++ = '_';
	b62_random(p, AK_SECRET_LEN);
	p += AK_SECRET_LEN;
	check_chars(p, key_out, (size_t)(p - key_out));
	p[AK_CHECK_LEN] = '\0';
	return 0;
}

/* Shape and check of a key with this prefix; does not copy anything. */
static int key_well_formed(const char *key, size_t len, const char *prefix)
{
	size_t plen = strlen(prefix);
	const char *p = key + plen;
	char want[AK_CHECK_LEN];

	if (len != plen + KEY_FIXED || memcmp(key, prefix, plen) != 0)
		return 0;
	if (p[0] != '_' || p[1 + AK_ID_LEN] != '_')
		return 0;
	if (!all_b62(p + 1, AK_ID_LEN) || !all_b62(p + 2 + AK_ID_LEN, AK_SECRET_LEN + AK_CHECK_LEN))
		return 0;
	check_chars(want, key, len - AK_CHECK_LEN);
	return memcmp(want, key + len - AK_CHECK_LEN, AK_CHECK_LEN) == 0;
}

enum ak_result ak_key_parse(char *id_out, char *secret_out, const char *key, size_t len,
                            const char *prefix)
{
	size_t plen;

	if (id_out == NULL || secret_out == NULL || key == NULL || !ak_prefix_valid(prefix))
		return AK_MALFORMED;
	if (!key_well_formed(key, len, prefix))
		return AK_MALFORMED;
	plen = strlen(prefix);
	memcpy(id_out, key + plen + 1, AK_ID_LEN);
	id_out[AK_ID_LEN] = '\0';
	memcpy(secret_out, key + plen + 2 + AK_ID_LEN, AK_SECRET_LEN);
	secret_out[AK_SECRET_LEN] = '\0';
	return AK_VALID;
}

void ak_key_hash(uint8_t *out, const uint8_t *store_key, const char *id, const char *secret)
{
	unsigned char msg[AK_ID_LEN + 1 + AK_SECRET_LEN];

	memcpy(msg, id, AK_ID_LEN);
	msg[AK_ID_LEN] = ':';
	memcpy(msg + AK_ID_LEN + 1, secret, AK_SECRET_LEN);
	crypto_auth_hmacsha256(out, msg, sizeof(msg), store_key);
	sodium_memzero(msg, sizeof(msg));
}

/* The same HMAC (crypto_auth_hmacsha256 takes a 32-byte key, the
 * store key's length) over the same message, compared by libsodium in
 * constant time. */
int ak_key_verify(const uint8_t *hash, const uint8_t *store_key, const char *id, const char *secret)
{
	unsigned char msg[AK_ID_LEN + 1 + AK_SECRET_LEN];
	int ok;

	memcpy(msg, id, AK_ID_LEN);
	msg[AK_ID_LEN] = ':';
	memcpy(msg + AK_ID_LEN + 1, secret, AK_SECRET_LEN);
	ok = crypto_auth_hmacsha256_verify(hash, msg, sizeof(msg), store_key) == 0;
	sodium_memzero(msg, sizeof(msg));
	return ok;
}

size_t ak_key_match(const char *s, size_t len, const char *prefix)
{
	size_t n;

	if (s == NULL || !ak_prefix_valid(prefix))
		return 0;
	n = strlen(prefix) + KEY_FIXED;
	if (len < n || !key_well_formed(s, n, prefix))
		return 0;
	return n;
}

int ak_looks_like_key(const char *s, size_t len)
{
	size_t p = 0;

	if (s == NULL)
		return 0;
	while (p < len && p <= AK_PREFIX_MAX && s[p] != '_')
		p++;
	if (p < AK_PREFIX_MIN || p > AK_PREFIX_MAX || p >= len)
		return 0;
	if (s[0] < 'a' || s[0] > 'z' || len != p + KEY_FIXED || s[p + 1 + AK_ID_LEN] != '_')
		return 0;
	return all_b62(s + p + 1, AK_ID_LEN) &&
	       all_b62(s + p + 2 + AK_ID_LEN, AK_SECRET_LEN + AK_CHECK_LEN);
}
