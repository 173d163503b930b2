/* Unit tests of source address lists (common/cidr.c). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "tap.h"
#include "unit.h"

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

int main(void)
{
	if (unit_setup() != 0)
		return 1;
	test_cidr();
	return unit_done(tap_done());
}
