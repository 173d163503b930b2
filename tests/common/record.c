/* Unit tests of the record codecs: key, meta and audit records round trip and every
 * truncation or bad field is refused (common/record.c). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "tap.h"
#include "unit.h"

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

int main(void)
{
	if (unit_setup() != 0)
		return 1;
	test_codec_key();
	test_codec_meta_audit();
	return unit_done(tap_done());
}
