/* Source-address restrictions: IPv4 and IPv6 CIDRs. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define ADDR_TEXT_MAX 64

/* Parses an address, IPv4 or IPv6 (brackets and an IPv6 zone are
 * accepted and dropped); an IPv4-mapped IPv6 address becomes IPv4. */
static int addr_parse(struct ak_cidr *out, const char *s, size_t n)
{
	char buf[ADDR_TEXT_MAX];
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	char *pct;

	if (n >= 2 && s[0] == '[' && s[n - 1] == ']')
		s++, n -= 2;
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->family = 4;
		out->bits = 32;
		return 0;
	}
	if ((pct = strchr(buf, '%')) != NULL)
		*pct = '\0';
	if (inet_pton(AF_INET6, buf, out->addr) != 1)
		return -1;
	if (memcmp(out->addr, mapped, sizeof(mapped)) == 0) {
		memmove(out->addr, out->addr + 12, 4);
		memset(out->addr + 4, 0, 12);
		out->family = 4;
		out->bits = 32;
		return 0;
	}
	out->family = 6;
	out->bits = 128;
	return 0;
}

/* Clears the host bits so that 10.1.2.3/8 is stored as 10.0.0.0/8. */
static void cidr_normalise(struct ak_cidr *c)
{
	unsigned i, max = c->family == 4 ? 4u : 16u;

	for (i = 0; i < max; i++) {
		unsigned lo = i * 8;
		if (lo >= c->bits)
			c->addr[i] = 0;
		else if (c->bits - lo < 8)
			c->addr[i] &= (uint8_t)(0xffu << (8 - (c->bits - lo)));
	}
}

static int cidr_parse_n(struct ak_cidr *out, const char *s, size_t n)
{
	const char *slash = memchr(s, '/', n);
	size_t alen = slash ? (size_t)(slash - s) : n;
	unsigned bits = 0, maxbits;
	size_t i;

	if (addr_parse(out, s, alen) != 0)
		return -1;
	if (slash == NULL)
		return 0;
	maxbits = out->family == 4 ? 32u : 128u;
	if (slash + 1 == s + n || n - alen - 1 > 3)
		return -1;
	for (i = alen + 1; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		bits = bits * 10 + (unsigned)(s[i] - '0');
	}
	if (bits > maxbits || (s[alen + 1] == '0' && n - alen - 1 > 1))
		return -1;
	out->bits = (uint8_t)bits;
	cidr_normalise(out);
	return 0;
}

int ak_cidr_parse(struct ak_cidr *out, const char *s)
{
	if (out == NULL || s == NULL)
		return -1;
	return cidr_parse_n(out, s, strlen(s));
}

int ak_sources_parse(struct ak_key *k, const char *csv)
{
	const char *p, *comma;
	uint8_t count = 0;
	size_t n;

	if (k == NULL || csv == NULL || *csv == '\0')
		return -1;
	for (p = csv;; p = comma + 1) {
		comma = strchr(p, ',');
		n = comma ? (size_t)(comma - p) : strlen(p);
		if (count >= AK_SOURCES_MAX || cidr_parse_n(&k->sources[count], p, n) != 0)
			return -1;
		count++;
		if (comma == NULL)
			break;
	}
	k->n_sources = count;
	return 0;
}

void ak_cidr_format(char *buf, size_t len, const struct ak_cidr *c)
{
	char a[INET6_ADDRSTRLEN];
	int af = c->family == 4 ? AF_INET : AF_INET6;

	if (inet_ntop(af, c->addr, a, sizeof(a)) == NULL)
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, "%s/%u", a, (unsigned)c->bits);
}

static int cidr_contains(const struct ak_cidr *net, const struct ak_cidr *a)
{
	unsigned full = net->bits / 8u, rest = net->bits % 8u;

	if (net->family != a->family)
		return 0;
	if (memcmp(net->addr, a->addr, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((net->addr[full] ^ a->addr[full]) & (0xffu << (8 - rest))) == 0;
}

int ak_source_allowed(const struct ak_key *k, const char *addr)
{
	struct ak_cidr a;
	uint8_t i;

	if (k->n_sources == 0)
		return 1;
	/* MUST fail closed: no address, or a host name, matches nothing. */
	if (addr == NULL || addr_parse(&a, addr, strlen(addr)) != 0)
		return 0;
	for (i = 0; i < k->n_sources && i < AK_SOURCES_MAX; i++)
		if (cidr_contains(&k->sources[i], &a))
			return 1;
	return 0;
}
