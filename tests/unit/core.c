/* Unit tests of the core with golden vectors (computed independently with
 * Python's hmac and zlib), codec round trips and rejections, and the
 * verification order for every result code. */
#include <fcntl.h>
#include <gdbm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "apikey_admin.h"
#include "tap.h"

static char dir[] = "/tmp/apikey-unit.XXXXXX";

/* A status function's outcome as a code: AK_OK, or the reason in e. */
static int code_of(int rc, const struct ak_error *e)
{
	return rc == 0 ? AK_OK : (int)e->code;
}
static char db[512];

static void test_names(void)
{
	is_str(ak_result_name(AK_VALID), "VALID", "VALID name");
	is_str(ak_result_name(AK_SERVICE_DENIED), "SERVICE_DENIED", "SERVICE_DENIED name");
	is_str(ak_result_name(AK_UNAVAILABLE), "UNAVAILABLE", "UNAVAILABLE name");
	is_str(ak_result_name((enum ak_result)99), "UNAVAILABLE",
	       "unknown code maps to UNAVAILABLE");
}

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

static void fill_key(struct ak_key *k)
{
	memset(k, 0, sizeof(*k));
	strcpy(k->id, "AAAAAAAAAAAA");
	strcpy(k->owner, "alice");
	strcpy(k->name, "laptop \xc3\xa9t\xc3\xa9");
	k->alg = AK_HASH_HMAC_SHA256;
	memset(k->hash, 7, sizeof(k->hash));
	k->created_ms = 1700000000000;
	strcpy(k->created_by, "root via sudo: bob");
	k->expires_ms = 1800000000000;
	k->state = AK_STATE_REVOKED;
	k->revoked_ms = 1700000001000;
	strcpy(k->revoked_by, "root");
	strcpy(k->revoked_reason, "laptop lost");
	if (ak_services_parse(k, "sshd,smtp") != 0 ||
	    ak_sources_parse(k, "10.0.0.0/8,2001:db8::/32") != 0)
		k->n_services = 99;
	strcpy(k->rotated_to, "BBBBBBBBBBBB");
}

static void test_codec_key(void)
{
	struct ak_key k, d;
	uint8_t buf[AK_REC_MAX];
	size_t len, cut;
	int all = 1;

	fill_key(&k);
	ok(ak_key_encode(buf, sizeof(buf), &len, &k) == 0, "key record encodes");
	ok(ak_key_decode(&d, buf, len) == 0 && memcmp(&k, &d, sizeof(k)) == 0,
	   "key record round trip");
	for (cut = 0; cut < len; cut++)
		if (ak_key_decode(&d, buf, cut) == 0)
			all = 0;
	ok(all, "every truncation of a key record is refused");
	buf[len] = 0;
	ok(ak_key_decode(&d, buf, len + 1) != 0, "trailing byte refused");
	buf[1] = 2;
	ok(ak_key_decode(&d, buf, len) != 0, "unknown version refused");
	buf[1] = 1;
	buf[0] = 'M';
	ok(ak_key_decode(&d, buf, len) != 0, "wrong record type refused");
	buf[0] = 'K';
	buf[2] = 0xff; /* id length high byte */
	ok(ak_key_decode(&d, buf, len) != 0, "over-long field refused");
	k.n_services = AK_SERVICES_MAX + 1;
	ok(ak_key_encode(buf, sizeof(buf), &len, &k) != 0, "too many services not encoded");
	fill_key(&k);
	k.state = 9;
	ok(ak_key_encode(buf, sizeof(buf), &len, &k) == 0 && ak_key_decode(&d, buf, len) != 0,
	   "unknown state refused by the decoder");
	fill_key(&k);
	strcpy(k.owner, "-rf");
	ok(ak_key_encode(buf, sizeof(buf), &len, &k) == 0 && ak_key_decode(&d, buf, len) != 0,
	   "invalid owner refused by the decoder");
	ok(ak_key_encode(buf, 10, &len, &k) != 0, "encoding into a small buffer fails cleanly");
}

static void test_codec_meta_audit(void)
{
	struct ak_meta m, md;
	struct ak_audit a, ad;
	uint8_t buf[AK_REC_MAX], h1[32], h2[32];
	size_t len, cut;
	int all = 1;

	memset(&m, 0, sizeof(m));
	m.schema = 1;
	strcpy(m.prefix, "ak");
	m.generation = 42;
	m.audit_seq = 3;
	ok(ak_meta_encode(buf, sizeof(buf), &len, &m) == 0 && ak_meta_decode(&md, buf, len) == 0 &&
	           memcmp(&m, &md, sizeof(m)) == 0,
	   "meta round trip");
	for (cut = 0; cut < len; cut++)
		if (ak_meta_decode(&md, buf, cut) == 0)
			all = 0;
	ok(all, "every truncation of meta is refused");
	ok(len > 1 && buf[1] == 1, "a store outside a fleet keeps meta version 1");
	strcpy(m.origin, "primary.example");
	m.fleet_role = AK_ROLE_REPLICA;
	m.fleet_stale = AK_STALE_WARN;
	m.serial = 1796163882030;
	m.valid_until_ms = 1796768682030;
	m.bundle_digest[0] = 7;
	ok(ak_meta_encode(buf, sizeof(buf), &len, &m) == 0 && buf[1] == 2 &&
	           ak_meta_decode(&md, buf, len) == 0 && memcmp(&m, &md, sizeof(m)) == 0,
	   "meta version 2 (fleet) round trip");
	for (all = 1, cut = 0; cut < len; cut++)
		if (ak_meta_decode(&md, buf, cut) == 0)
			all = 0;
	ok(all, "every truncation of a fleet meta is refused");
	m.fleet_role = 9;
	ok(ak_meta_encode(buf, sizeof(buf), &len, &m) == 0 && ak_meta_decode(&md, buf, len) != 0,
	   "an unknown fleet role is refused");
	m.fleet_role = AK_ROLE_REPLICA;
	strcpy(m.origin, "bad origin");
	ok(ak_meta_encode(buf, sizeof(buf), &len, &m) == 0 && ak_meta_decode(&md, buf, len) != 0,
	   "an invalid origin is refused");
	ok(ak_origin_valid("host-1.example") && !ak_origin_valid("-host") && !ak_origin_valid("") &&
	           !ak_origin_valid("a_b"),
	   "origin names: host name characters only");
	memset(&a, 0, sizeof(a));
	a.seq = 5;
	a.time_ms = 1700000000000;
	strcpy(a.actor, "root");
	strcpy(a.action, "revoke");
	strcpy(a.id, "AAAAAAAAAAAA");
	strcpy(a.owner, "alice");
	strcpy(a.reason, "offboarding");
	ok(ak_audit_encode(buf, sizeof(buf), &len, &a) == 0 &&
	           ak_audit_decode(&ad, buf, len) == 0 && memcmp(&a, &ad, sizeof(a)) == 0,
	   "audit entry round trip");
	all = 1;
	for (cut = 0; cut < len; cut++)
		if (ak_audit_decode(&ad, buf, cut) == 0)
			all = 0;
	ok(all, "every truncation of an audit entry is refused");
	ak_audit_hash(h1, &a);
	a.reason[0] = 'O';
	ak_audit_hash(h2, &a);
	ok(memcmp(h1, h2, 32) != 0, "audit hash covers the reason");
}

static void test_parsers(void)
{
	struct ak_key k;
	int64_t ms = 0;

	ok(ak_parse_duration(&ms, "90d") == 0 && ms == 90LL * 86400000, "90d");
	ok(ak_parse_duration(&ms, "12h") == 0 && ms == 12LL * 3600000, "12h");
	ok(ak_parse_duration(&ms, "30min") == 0 && ms == 30LL * 60000, "30min");
	ok(ak_parse_duration(&ms, "45s") == 0 && ms == 45LL * 1000, "45s");
	ok(ak_parse_duration(&ms, "2w") == 0 && ms == 14LL * 86400000, "2w");
	ok(ak_parse_duration(&ms, "6mo") == 0 && ms == 180LL * 86400000, "6mo: 30 days each");
	ok(ak_parse_duration(&ms, "1y") == 0 && ms == 365LL * 86400000, "1y: 365 days");
	ok(ak_parse_duration(&ms, "30m") != 0 && ak_parse_duration(&ms, "6M") != 0 &&
	           ak_parse_duration(&ms, "1mon") != 0 && ak_parse_duration(&ms, "1D") != 0 &&
	           ak_parse_duration(&ms, "1d1h") != 0 && ak_parse_duration(&ms, "201y") != 0,
	   "m, M and other units refused");
	ok(strstr(ak_duration_help("30m"), "30min") != NULL &&
	           strstr(ak_duration_help("6M"), "6mo") != NULL &&
	           strstr(ak_duration_help("6x"), "ambiguous") == NULL,
	   "m and M get the message that names both");
	ok(ak_parse_duration(&ms, "0d") != 0 && ak_parse_duration(&ms, "-1d") != 0 &&
	           ak_parse_duration(&ms, "1x") != 0 && ak_parse_duration(&ms, "d") != 0 &&
	           ak_parse_duration(&ms, "99999999999999d") != 0 &&
	           ak_parse_duration(&ms, " 1d") != 0,
	   "bad durations refused");
	ok(ak_parse_when(&ms, "2027-01-31", 0) == 0 && ms == 1801353600000LL, "date");
	ok(ak_parse_when(&ms, "2027-01-31T12:00:00Z", 0) == 0 && ms == 1801396800000LL,
	   "date and time");
	ok(ak_parse_when(&ms, "2027-02-30", 0) != 0 && ak_parse_when(&ms, "2027-1-31", 0) != 0 &&
	           ak_parse_when(&ms, "2027-01-31T25:00:00Z", 0) != 0 &&
	           ak_parse_when(&ms, "2027-01-31 12:00", 0) != 0,
	   "bad dates refused");
	is_str(ak_user_for_log("mail.user@example.org"), "mail.user@example.org",
	       "a valid user name is logged as it is");
	is_str(ak_user_for_log("abcdefghijklmnopqrstuvwx.y"), "abcdefghijklmnopqrstuvwx.y",
	       "24 letters and digits in a row are logged");
	is_str(ak_user_for_log("abcdefghijklmnopqrstuvwxy"), "-",
	       "25 in a row (a pasted secret) are not");
	is_str(ak_user_for_log("a b"), "-", "an invalid user name is not logged");
	ok(ak_user_valid("alice") && ak_user_valid("mail.user@example.org") &&
	           ak_user_valid("HOST$") && !ak_user_valid("-rf") && !ak_user_valid("+x") &&
	           !ak_user_valid("") && !ak_user_valid("a b") && !ak_user_valid("a$b"),
	   "user name rules");
	ok(ak_text_valid("laptop \xc3\xa9t\xc3\xa9", 128) && !ak_text_valid("a\nb", 128) &&
	           !ak_text_valid("\xc0\x80", 128) && !ak_text_valid("\xff", 128) &&
	           !ak_text_valid("\xed\xa0\x80", 128) && !ak_text_valid("abc", 2),
	   "text rules: UTF-8, no controls, length");
	ok(!ak_text_valid("a\xe2\x80\xae"
	                  "b",
	                  128) &&
	           !ak_text_valid("\xe2\x81\xa6", 128) && !ak_text_valid("\xe2\x81\xa9", 128) &&
	           !ak_text_valid("\xe2\x80\x8e", 128) && !ak_text_valid("\xe2\x80\x8f", 128) &&
	           !ak_text_valid("\xd8\x9c", 128) && !ak_text_valid("\xe2\x80\xa8", 128) &&
	           !ak_text_valid("\xe2\x80\xa9", 128) && !ak_text_valid("\xc2\x85", 128) &&
	           !ak_text_valid("\x1b[31m", 128) &&
	           ak_text_valid("\xe2\x80\xa6 \xe6\x97\xa5\xe6\x9c\xac \xe2\x80\x8d", 128),
	   "text rules: bidi controls, line and paragraph separators, C1 refused; others kept");
	memset(&k, 0, sizeof(k));
	ok(ak_services_parse(&k, "sshd,smtp,sshd") == 0 && k.n_services == 2,
	   "services, duplicates dropped");
	ok(ak_services_parse(&k, "sshd,,smtp") != 0 && ak_services_parse(&k, "ss hd") != 0 &&
	           ak_services_parse(&k, "") != 0,
	   "bad service lists refused");
}

static void test_cidr(void)
{
	struct ak_key k;
	char buf[64];

	memset(&k, 0, sizeof(k));
	ok(ak_source_allowed(&k, NULL), "no restriction allows any source");
	ok(ak_sources_parse(&k, "10.1.2.3/8,2001:db8::/32,192.168.1.7") == 0 && k.n_sources == 3,
	   "CIDR list parses");
	ak_cidr_format(buf, sizeof(buf), &k.sources[0]);
	is_str(buf, "10.0.0.0/8", "host bits cleared");
	ok(ak_source_allowed(&k, "10.200.0.1") && ak_source_allowed(&k, "::ffff:10.9.9.9") &&
	           ak_source_allowed(&k, "2001:db8:1::5") && ak_source_allowed(&k, "192.168.1.7"),
	   "addresses inside match (IPv4, mapped, IPv6)");
	ok(!ak_source_allowed(&k, "11.0.0.1") && !ak_source_allowed(&k, "192.168.1.8") &&
	           !ak_source_allowed(&k, "2001:db9::1") &&
	           !ak_source_allowed(&k, "host.example") && !ak_source_allowed(&k, "") &&
	           !ak_source_allowed(&k, NULL),
	   "addresses outside, host names and no address are denied");
	ok(ak_sources_parse(&k, "10.0.0.0/33") != 0 && ak_sources_parse(&k, "1.2.3") != 0 &&
	           ak_sources_parse(&k, "::1/129") != 0 &&
	           ak_sources_parse(&k, "10.0.0.0/08") != 0 &&
	           ak_sources_parse(&k, "10.0.0.0/") != 0 &&
	           ak_sources_parse(&k, "10.0.0.0/8,") != 0,
	   "bad CIDRs refused");
}

/* A store with one key per case; returns the keys through out[]. */
enum { K_GOOD, K_REVOKED, K_DISABLED, K_EXPIRED, K_SERVICE, K_SOURCE, K_N };

static int make_store(char keys[K_N][AK_KEY_MAX + 1])
{
	struct ak_error e = {0, ""};
	struct ak_txn *t = NULL;
	struct ak_key k;
	int i, changed;

	if (ak_store_init(db, "ak", (gid_t)-1, "tester", &e) != 0 ||
	    ak_txn_begin(&t, db, geteuid(), "tester", &e) != 0) {
		printf("# %s\n", e.msg);
		return -1;
	}
	for (i = 0; i < K_N; i++) {
		if (ak_txn_new_key(t, &k, keys[i], "alice", &e) != 0)
			goto fail;
		if (i == K_REVOKED) {
			k.expires_ms = 1; /* revoked wins over expired */
			if (ak_keyrec_revoke(&k, &changed, ak_txn_now(t), "tester", "lost", &e) !=
			    0)
				goto fail;
		}
		if (i == K_DISABLED &&
		    ak_keyrec_disable(&k, &changed, ak_txn_now(t), "tester", "audit", &e) != 0)
			goto fail;
		if (i == K_EXPIRED)
			k.expires_ms = ak_txn_now(t) - 1;
		if (i == K_SERVICE && ak_services_parse(&k, "smtp") != 0)
			goto fail;
		if (i == K_SOURCE && ak_sources_parse(&k, "192.0.2.0/24") != 0)
			goto fail;
		if (ak_txn_put_key(t, &k, &e) != 0 ||
		    ak_txn_audit(t, "create", k.id, "alice", NULL, &e) != 0)
			goto fail;
	}
	return ak_txn_commit(t, &e);
fail:
	printf("# %s\n", e.msg);
	ak_txn_abort(t);
	return -1;
}

static enum ak_result try_key(const char *user, const char *key, const char *svc, const char *src)
{
	struct ak_verify_req req = {user, key, strlen(key), svc, src, 0};
	struct ak_verify_res res;
	struct ak_error e;

	return ak_verify_path(&res, db, geteuid(), &req, &e);
}

/* Independent CRC-32 and base62 check, to forge a key with a real id,
 * a different secret and a valid check. */
static void forge(char *out, const char *real)
{
	static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	size_t n = strlen(real), i;
	uint32_t crc = 0xffffffffu, v;
	int b;

	memcpy(out, real, n + 1);
	out[20] = out[20] == 'Z' ? 'Y' : 'Z';
	for (i = 0; i < n - AK_CHECK_LEN; i++) {
		crc ^= (uint8_t)out[i];
		for (b = 0; b < 8; b++)
			crc = (crc & 1u) ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
	}
	v = ~crc;
	for (i = n; i-- > n - AK_CHECK_LEN;) {
		out[i] = b62[v % 62];
		v /= 62;
	}
}

static void test_verify_order(char keys[K_N][AK_KEY_MAX + 1])
{
	char other[AK_KEY_MAX + 1], id[AK_ID_LEN + 1];

	is_int(try_key("alice", keys[K_GOOD], "sshd", "198.51.100.1"), AK_VALID, "VALID");
	is_int(try_key("alice", "hunter2", "sshd", NULL), AK_MALFORMED, "MALFORMED password");
	if (ak_key_generate(other, id, "ak") == 0)
		is_int(try_key("alice", other, "sshd", NULL), AK_NOT_FOUND, "NOT_FOUND unknown id");
	forge(other, keys[K_GOOD]);
	is_int(try_key("alice", other, "sshd", NULL), AK_NOT_FOUND,
	       "forged secret for a real id is NOT_FOUND");
	is_int(try_key("bob", keys[K_GOOD], "sshd", NULL), AK_WRONG_USER, "WRONG_USER");
	is_int(try_key("alice", keys[K_REVOKED], "sshd", NULL), AK_REVOKED,
	       "REVOKED (before EXPIRED)");
	is_int(try_key("bob", keys[K_REVOKED], "sshd", NULL), AK_WRONG_USER,
	       "WRONG_USER before REVOKED");
	is_int(try_key("alice", keys[K_DISABLED], "sshd", NULL), AK_DISABLED, "DISABLED");
	is_int(try_key("alice", keys[K_EXPIRED], "sshd", NULL), AK_EXPIRED, "EXPIRED");
	is_int(try_key("alice", keys[K_SERVICE], "sshd", NULL), AK_SERVICE_DENIED,
	       "SERVICE_DENIED");
	is_int(try_key("alice", keys[K_SERVICE], "smtp", NULL), AK_VALID, "allowed service VALID");
	is_int(try_key("alice", keys[K_SERVICE], NULL, NULL), AK_SERVICE_DENIED,
	       "no service, restricted key");
	is_int(try_key("alice", keys[K_SOURCE], "sshd", "198.51.100.1"), AK_SOURCE_DENIED,
	       "SOURCE_DENIED");
	is_int(try_key("alice", keys[K_SOURCE], "sshd", "192.0.2.9"), AK_VALID,
	       "allowed source VALID");
	is_int(try_key("alice", keys[K_SOURCE], "sshd", ""), AK_SOURCE_DENIED,
	       "unknown source, restricted key");
}

/* The cached handle must never hide a write: revoke in this process,
 * through the same write path keyadm uses, and verify again at once. */
static void test_revoke_seen(char keys[K_N][AK_KEY_MAX + 1])
{
	int changed;
	char id[AK_ID_LEN + 1];
	struct ak_error e;
	struct ak_txn *t = NULL;
	struct ak_key k;

	is_int(try_key("alice", keys[K_GOOD], "sshd", NULL), AK_VALID,
	       "valid before the revocation");
	memcpy(id, keys[K_GOOD] + 3, AK_ID_LEN);
	id[AK_ID_LEN] = '\0';
	if (ak_txn_begin(&t, db, geteuid(), "tester", &e) != 0 ||
	    ak_store_get_key(&k, ak_txn_store(t), id, &e) != 0 ||
	    ak_keyrec_revoke(&k, &changed, ak_txn_now(t), "tester", "test", &e) != 0 || !changed ||
	    ak_txn_put_key(t, &k, &e) != 0 ||
	    ak_txn_audit(t, "revoke", id, "alice", "test", &e) != 0 || ak_txn_commit(t, &e) != 0) {
		ok(0, "revoke committed: %s", e.msg);
		return;
	}
	is_int(try_key("alice", keys[K_GOOD], "sshd", NULL), AK_REVOKED,
	       "the very next verification in the same process is REVOKED");
}

static void test_untrusted(char keys[K_N][AK_KEY_MAX + 1])
{
	char p[600];
	int fd;

	chmod(db, 0662);
	is_int(try_key("alice", keys[K_GOOD], "sshd", NULL), AK_UNAVAILABLE,
	       "group/world-writable store refused");
	chmod(db, 0640);
	snprintf(p, sizeof(p), "%s/link.db", dir);
	if (symlink(db, p) == 0) {
		struct ak_verify_req req = {"alice", keys[K_GOOD], strlen(keys[K_GOOD]),
		                            NULL,    NULL,         0};
		struct ak_verify_res res;
		struct ak_error e;
		is_int(ak_verify_path(&res, p, geteuid(), &req, &e), AK_UNAVAILABLE,
		       "symlinked store refused");
		ok(strstr(e.msg, "symbolic link") != NULL, "error names the symlink");
	}
	snprintf(p, sizeof(p), "%s/empty.db", dir);
	fd = open(p, O_CREAT | O_WRONLY, 0640);
	close(fd);
	{
		struct ak_store *st = NULL;
		struct ak_error e;
		ok(ak_store_open(&st, p, geteuid(), &e) != 0 && st == NULL,
		   "empty file is not a store");
		snprintf(p, sizeof(p), "%s/missing.db", dir);
		ok(ak_store_open(&st, p, geteuid(), &e) != 0 && e.code == AK_E_IO,
		   "missing store reported");
		ok(ak_store_open(&st, dir, geteuid(), &e) != 0 && e.code == AK_E_UNTRUSTED,
		   "directory refused");
	}
	{
		struct ak_store *st = NULL;
		struct ak_error e;
		ok(ak_store_init(db, "ak", (gid_t)-1, "tester", &e) != 0 && e.code == AK_E_EXISTS,
		   "init refuses to overwrite a store");
		ok(ak_store_open(&st, db, geteuid(), &e) == 0,
		   "store still opens after the refused init");
		ak_store_close(st);
	}
}

static int count_key(const struct ak_key *k, void *ctx)
{
	(void)k;
	(*(int *)ctx)++;
	return 0;
}

static void test_store_reads(void)
{
	struct ak_store *st = NULL;
	struct ak_error e;
	int n = 0, m = 0;

	if (ak_store_open(&st, db, geteuid(), &e) != 0) {
		ok(0, "store opens: %s", e.msg);
		return;
	}
	ok(ak_store_each_key(st, count_key, &n, &e) == 0 && n == K_N, "each_key sees every key");
	ok(ak_store_user_keys(st, "alice", count_key, &m, &e) == 0 && m == K_N,
	   "user index lists every key");
	m = 0;
	ok(ak_store_user_keys(st, "bob", count_key, &m, &e) == 0 && m == 0, "user without keys");
	is_int(ak_store_meta(st)->audit_seq, 1 + K_N, "one audit entry per change");
	is_int(ak_store_meta(st)->generation, 2, "generation counts commits");
	is_int(ak_store_audit_verify(st, &e), 0, "audit chain verifies");
	is_int(ak_store_check(st, &e), 0, "store check passes");
	ak_store_close(st);
}

/* Rewrites audit entry 2 in place with GDBM, as an attacker with write
 * access would; the chain must notice. */
static void test_audit_tamper(void)
{
	char copy[600], cmd[1300];
	struct ak_store *st = NULL;
	struct ak_error e;
	struct ak_audit a;
	GDBM_FILE g;
	datum k = {(char *)"a:2", 3}, v;
	uint8_t buf[AK_REC_MAX];
	size_t len;

	snprintf(copy, sizeof(copy), "%s/tamper.db", dir);
	snprintf(cmd, sizeof(cmd), "cp %s %s", db, copy);
	if (system(cmd) != 0 || (g = gdbm_open(copy, 0, GDBM_WRITER, 0, NULL)) == NULL) {
		ok(0, "tamper copy");
		return;
	}
	v = gdbm_fetch(g, k);
	if (v.dptr && ak_audit_decode(&a, (uint8_t *)v.dptr, (size_t)v.dsize) == 0) {
		strcpy(a.actor, "mallory");
		if (ak_audit_encode(buf, sizeof(buf), &len, &a) == 0) {
			datum nv = {(char *)buf, (int)len};
			gdbm_store(g, k, nv, GDBM_REPLACE);
		}
	}
	free(v.dptr);
	gdbm_close(g);
	chmod(copy, 0640);
	if (ak_store_open(&st, copy, geteuid(), &e) != 0) {
		ok(0, "tampered store opens");
		return;
	}
	ok(ak_store_audit_verify(st, &e) == -1 && e.code == AK_E_CORRUPT &&
	           strstr(e.msg, "entry 3") != NULL,
	   "a rewritten audit entry breaks the chain at the next entry");
	ok(ak_store_check(st, &e) != 0, "store check fails on the broken chain");
	ak_store_close(st);
}

static void test_state_changes(void)
{
	struct ak_error e = {AK_OK, ""};
	struct ak_key k;
	int ch;

	fill_key(&k);
	k.state = AK_STATE_ACTIVE;
	k.expires_ms = 0;
	ok(ak_keyrec_revoke(&k, &ch, 1000, "a", "first", NULL) == 0 && ch == 1,
	   "revoke changes an active key");
	ok(ak_keyrec_revoke(&k, &ch, 2000, "b", "second", NULL) == 0 && ch == 0 &&
	           k.revoked_ms == 1000 && strcmp(k.revoked_reason, "first") == 0 &&
	           strcmp(k.revoked_by, "a") == 0,
	   "revoking again keeps the first time, reason and actor");
	ok(ak_keyrec_enable(&k, &ch, &e) == -1 && e.code == AK_E_STATE && ch == 0 &&
	           k.state == AK_STATE_REVOKED,
	   "a revoked key cannot be enabled");
	ok(ak_keyrec_disable(&k, &ch, 3000, "a", NULL, &e) == -1 && e.code == AK_E_STATE,
	   "a revoked key cannot be disabled");
	fill_key(&k);
	k.state = AK_STATE_ACTIVE;
	k.expires_ms = 0;
	ok(ak_keyrec_disable(&k, &ch, 1000, "a", "billing", NULL) == 0 && ch == 1 &&
	           ak_keyrec_disable(&k, &ch, 2000, "a", "x", NULL) == 0 && ch == 0,
	   "disable, then disable again is a no-op");
	ok(ak_keyrec_enable(&k, &ch, NULL) == 0 && ch == 1 && k.state == AK_STATE_ACTIVE &&
	           k.disabled_ms == 0,
	   "enable");
	k.expires_ms = 5;
	is_str(ak_key_state_at(&k, 10), "expired", "state at a later time is expired");
	is_str(ak_key_state_at(&k, 1), "active", "state before expiry is active");
}

static int collect_event(const struct ak_event *ev, void *ctx)
{
	struct ak_event *all = ctx;
	int i;

	for (i = 0; i < 3 && all[i].time_ms != 0; i++)
		;
	if (i < 3)
		all[i] = *ev;
	return 0;
}

static void test_events(void)
{
	char path[600];
	struct ak_verify_req req = {"alice", NULL, 0, "sshd", "192.0.2.1", 1700000000000};
	struct ak_verify_req hostile = {"ev\til\nuser\xff", NULL, 0, "s s", "", 1700000000001};
	struct ak_verify_res res = {AK_REVOKED, "AAAAAAAAAAAA", "alice", 0};
	static const char junk[] = "garbage\tline\n1\tNOPE\t-\t-\t-\t-\n";
	struct ak_event all[3];
	struct ak_error e;
	size_t bad = 0;
	int fd;

	ok(ak_events_path(path, sizeof(path), "/var/lib/apikey/keys.db") == 0 &&
	           strcmp(path, "/var/lib/apikey/keys.events") == 0,
	   "events file beside the store");
	snprintf(path, sizeof(path), "%s/keys.events", dir);
	ok(ak_event_append(path, &req, &res, &e) != 0,
	   "a missing events file is an error, not created");
	fd = open(path, O_CREAT | O_WRONLY, 0660);
	close(fd);
	ok(ak_event_append(path, &req, &res, &e) == 0, "event appended");
	res.result = AK_MALFORMED;
	res.id[0] = '\0';
	ok(ak_event_append(path, &hostile, &res, &e) == 0, "event with hostile fields appended");
	fd = open(path, O_WRONLY | O_APPEND);
	if (write(fd, junk, strlen(junk)) != (ssize_t)strlen(junk))
		printf("# short write\n");
	close(fd);
	memset(all, 0, sizeof(all));
	ok(ak_events_each(&bad, path, collect_event, all, &e) == 0, "events read back");
	ok(all[0].result == AK_REVOKED && strcmp(all[0].id, "AAAAAAAAAAAA") == 0 &&
	           strcmp(all[0].user, "alice") == 0 && strcmp(all[0].source, "192.0.2.1") == 0,
	   "fields survive the round trip");
	ok(all[1].result == AK_MALFORMED && strcmp(all[1].user, "-") == 0 &&
	           strcmp(all[1].service, "s_s") == 0 && strcmp(all[1].source, "-") == 0 &&
	           all[1].id[0] == '\0',
	   "tabs, newlines and non-ASCII bytes cannot split or forge fields; a rejected invalid "
	   "user name is not recorded");
	is_int(bad, 2, "malformed lines are counted, not trusted");
	ok(all[2].time_ms == 0, "no third event");
}

/* Found by fuzz/fuzz_events: a NUL byte in one line made the reader
 * swallow the next (corpus/events/nul), so a writer in the services'
 * group could hide an event from keyadm; a seventh field ended up inside
 * the source (corpus/events/seven-fields). */
static void test_events_hostile(void)
{
	static const char lines[] = "1\tVALID\0\n"
	                            "1\tVALID\t-\tbob\tsmtp\t::1\tVALID\n"
	                            "1700000000000\tREVOKED\tAAAAAAAAAAAA\talice\tsshd\t-\n"
	                            "1700000000001\tVALID\t-\tbob\tsmtp\t-";
	char path[600];
	struct ak_event all[3];
	struct ak_error e;
	size_t bad = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/nul.events", dir);
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0660);
	if (write(fd, lines, sizeof(lines) - 1) != (ssize_t)sizeof(lines) - 1)
		printf("# short write\n");
	close(fd);
	memset(all, 0, sizeof(all));
	ok(ak_events_each(&bad, path, collect_event, all, &e) == 0 && all[0].result == AK_REVOKED &&
	           all[1].time_ms == 0,
	   "a line with a NUL byte does not hide the next");
	is_int(bad, 2,
	       "it is one bad line, as are seven fields; an unterminated tail (a write in "
	       "progress) is neither read nor counted");
	unlink(path);
}

/* A FIFO or a directory in the events file's place: the writer (inside a
 * login) and the reader (keyadm) each refuse it at once. Before, a FIFO
 * with no reader held every login in open(2), and keyadm with it; alarm()
 * in main turns a hang back into a failed test. */
static void test_events_not_a_file(void)
{
	struct ak_verify_req req = {"alice", NULL, 0, "sshd", "192.0.2.1", 1700000000000};
	struct ak_verify_res res = {AK_VALID, "AAAAAAAAAAAA", "alice", 0};
	struct ak_event all[3];
	struct ak_error e;
	char path[600], buf[64];
	size_t bad = 0;
	int rfd;

	snprintf(path, sizeof(path), "%s/fifo.events", dir);
	ok(mkfifo(path, 0660) == 0, "a FIFO in the events file's place");
	ok(ak_event_append(path, &req, &res, &e) != 0 && e.code == AK_E_IO,
	   "append to a FIFO nobody reads fails at once");
	rfd = open(path, O_RDONLY | O_NONBLOCK);
	ok(ak_event_append(path, &req, &res, &e) != 0 && e.code == AK_E_UNTRUSTED,
	   "append to a FIFO being read is refused: not a regular file");
	ok(read(rfd, buf, sizeof(buf)) <= 0, "and nothing went into the FIFO");
	memset(all, 0, sizeof(all));
	is_int(code_of(ak_events_each(&bad, path, collect_event, all, &e), &e), AK_E_UNTRUSTED,
	       "reading a FIFO is refused, not waited on");
	close(rfd);
	is_int(code_of(ak_events_each(&bad, path, collect_event, all, &e), &e), AK_E_UNTRUSTED,
	       "also with no writer");
	ok(all[0].time_ms == 0 && bad == 0, "no event seen in a FIFO");
	unlink(path);
	ok(mkdir(path, 0770) == 0, "a directory in the events file's place");
	ok(ak_event_append(path, &req, &res, &e) != 0, "append to a directory fails");
	is_int(code_of(ak_events_each(&bad, path, collect_event, all, &e), &e), AK_E_UNTRUSTED,
	       "reading a directory is refused, not taken for an empty file");
	rmdir(path);
	is_int(code_of(ak_events_each(&bad, path, collect_event, all, &e), &e), AK_E_NOENT,
	       "a missing file is AK_E_NOENT");
}

int main(void)
{
	char keys[K_N][AK_KEY_MAX + 1];

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(db, sizeof(db), "%s/keys.db", dir);
	test_names();
	test_golden();
	test_malformed();
	test_generate();
	test_codec_key();
	test_codec_meta_audit();
	test_parsers();
	test_cidr();
	ok(make_store(keys) == 0, "store created with one key per case");
	test_verify_order(keys);
	test_store_reads();
	test_revoke_seen(keys);
	test_untrusted(keys);
	test_audit_tamper();
	test_state_changes();
	test_events();
	test_events_hostile();
	alarm(30); /* SIGALRM ends the run if a FIFO blocks */
	test_events_not_a_file();
	alarm(0);
	sodium_memzero(keys, sizeof(keys));
	{
		char cmd[600];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
	}
	return tap_done();
}
