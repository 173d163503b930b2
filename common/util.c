/* Result names, time, and the validation of everything a user types. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

static const char *const result_names[] = {
        [AK_VALID] = "VALID",
        [AK_MALFORMED] = "MALFORMED",
        [AK_NOT_FOUND] = "NOT_FOUND",
        [AK_WRONG_USER] = "WRONG_USER",
        [AK_REVOKED] = "REVOKED",
        [AK_DISABLED] = "DISABLED",
        [AK_EXPIRED] = "EXPIRED",
        [AK_SERVICE_DENIED] = "SERVICE_DENIED",
        [AK_SOURCE_DENIED] = "SOURCE_DENIED",
        [AK_UNAVAILABLE] = "UNAVAILABLE",
};

const char *ak_result_name(enum ak_result r)
{
	if ((unsigned)r >= sizeof(result_names) / sizeof(result_names[0]))
		return "UNAVAILABLE";
	return result_names[r];
}

const char *ak_state_name(uint8_t state)
{
	switch (state) {
	case AK_STATE_ACTIVE:
		return "active";
	case AK_STATE_DISABLED:
		return "disabled";
	case AK_STATE_REVOKED:
		return "revoked";
	default:
		return "invalid";
	}
}

int64_t ak_now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ak_err_set(struct ak_error *e, enum ak_status code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

int ak_strlcpy(char *dst, const char *src, size_t cap)
{
	size_t n = strlen(src);

	if (n >= cap)
		return -1;
	memcpy(dst, src, n + 1);
	return 0;
}

/* [A-Za-z0-9], whatever the locale. */
static int ascii_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int ak_origin_valid(const char *origin)
{
	size_t i, n;

	if (origin == NULL || (n = strlen(origin)) == 0 || n > AK_ORIGIN_MAX ||
	    !ascii_alnum((unsigned char)origin[0]))
		return 0;
	for (i = 0; i < n; i++)
		if (!ascii_alnum((unsigned char)origin[i]) && origin[i] != '.' && origin[i] != '-')
			return 0;
	return 1;
}

int ak_user_valid(const char *user)
{
	size_t i, n;

	if (user == NULL)
		return 0;
	n = strlen(user);
	if (n == 0 || n > AK_USER_MAX)
		return 0;
	if (strchr("-+.@", user[0]) != NULL)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)user[i];
		if (ascii_alnum(c))
			continue;
		if (c == '.' || c == '_' || c == '-' || c == '@')
			continue;
		if (c == '$' && i == n - 1)
			continue;
		return 0;
	}
	return 1;
}

const char *ak_user_for_log(const char *user)
{
	size_t run = 0;
	const char *p;

	if (!ak_user_valid(user))
		return "-";
	for (p = user; *p != '\0'; p++) {
		run = ascii_alnum((unsigned char)*p) ? run + 1 : 0;
		if (run > AK_LOG_RUN_MAX)
			return "-";
	}
	return user;
}

int ak_word_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f;
}

const char *ak_log_clean(char *buf, size_t cap, const char *s)
{
	size_t i;

	if (buf == NULL || cap == 0)
		return "";
	if (s == NULL)
		s = "";
	for (i = 0; i + 1 < cap && s[i] != '\0'; i++)
		buf[i] = ak_word_char((unsigned char)s[i]) ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

size_t ak_utf8_decode(uint32_t *cp_out, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t cp;
	size_t len, i;

	if (n == 0)
		return 0;
	if (s[0] < 0x80)
		len = 1, cp = s[0];
	else if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1fu;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0fu;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07u;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3fu);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0; /* overlong or out of range */
	if (cp >= 0xd800 && cp <= 0xdfff)
		return 0; /* surrogate */
	*cp_out = cp;
	return len;
}

int ak_char_printable(uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
		return 0; /* C0, DEL, C1 */
	if (cp == 0x061c || cp == 0x200e || cp == 0x200f)
		return 0; /* ALM, LRM, RLM */
	if (cp >= 0x2028 && cp <= 0x202e)
		return 0; /* line and paragraph separators, LRE..RLO */
	if (cp >= 0x2066 && cp <= 0x2069)
		return 0; /* LRI..PDI */
	return 1;
}

int ak_text_valid(const char *s, size_t max)
{
	uint32_t cp = 0;
	size_t n, i = 0, step;

	if (s == NULL)
		return 0;
	n = strlen(s);
	if (n > max)
		return 0;
	while (i < n) {
		step = ak_utf8_decode(&cp, s + i, n - i);
		if (step == 0 || !ak_char_printable(cp))
			return 0;
		i += step;
	}
	return 1;
}

/* Strict unsigned decimal: digits only, no sign, no overflow past max. */
static int parse_uint(uint64_t *out, const char *s, size_t len, uint64_t max)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 19)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

#define MS_MAX_DURATION (INT64_C(200) * 366 * 86400 * 1000) /* 200 years */

/* MUST: no unit a person reads as months means minutes. "m" is minutes
 * to systemd and sshd but months to many readers (and "M" months to
 * systemd): both are refused, minutes are "min", months "mo". */
static const struct {
	const char *name;
	uint64_t ms;
} units[] = {
        {"s", 1000},
        {"min", 60 * 1000},
        {"h", 3600 * 1000},
        {"d", 86400 * 1000},
        {"w", 7 * 86400 * 1000},
        {"mo", UINT64_C(30) * 86400 * 1000},
        {"y", UINT64_C(365) * 86400 * 1000},
};

int ak_parse_duration(int64_t *ms, const char *s)
{
	uint64_t n;
	size_t len, digits, i;

	if (ms == NULL || s == NULL || (len = strlen(s)) < 2)
		return -1;
	digits = strspn(s, "0123456789");
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(s + digits, units[i].name) != 0)
			continue;
		if (parse_uint(&n, s, digits, (uint64_t)MS_MAX_DURATION / units[i].ms) != 0 ||
		    n == 0)
			return -1;
		*ms = (int64_t)(n * units[i].ms);
		return 0;
	}
	return -1;
}

const char *ak_duration_help(const char *s)
{
	const char *u = s + strspn(s, "0123456789");

	if (strcmp(u, "m") == 0 || strcmp(u, "M") == 0)
		return "not a duration: m is ambiguous, write 30min for minutes or 6mo for months";
	return "not a duration (a number and a unit: s, min, h, d, w, mo = 30 days, "
	       "y = 365 days; like 90d, 12h, 30min, 6mo)";
}

/* "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ", checked by a round trip so that
 * 2027-02-30 is refused rather than moved to March. */
static int parse_date(int64_t *ms, const char *s)
{
	struct tm tm, back;
	uint64_t f[6] = {0, 0, 0, 0, 0, 0};
	size_t len = strlen(s);
	time_t t;

	if (len != 10 && len != 20)
		return -1;
	if (s[4] != '-' || s[7] != '-')
		return -1;
	if (parse_uint(&f[0], s, 4, 9999) || parse_uint(&f[1], s + 5, 2, 12) ||
	    parse_uint(&f[2], s + 8, 2, 31))
		return -1;
	if (len == 20) {
		if (s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z')
			return -1;
		if (parse_uint(&f[3], s + 11, 2, 23) || parse_uint(&f[4], s + 14, 2, 59) ||
		    parse_uint(&f[5], s + 17, 2, 59))
			return -1;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)f[0] - 1900;
	tm.tm_mon = (int)f[1] - 1;
	tm.tm_mday = (int)f[2];
	tm.tm_hour = (int)f[3];
	tm.tm_min = (int)f[4];
	tm.tm_sec = (int)f[5];
	back = tm;
	t = timegm(&tm);
	if (t == (time_t)-1 || tm.tm_mday != back.tm_mday || tm.tm_mon != back.tm_mon ||
	    f[0] < 1970)
		return -1;
	*ms = (int64_t)t * 1000;
	return 0;
}

int ak_parse_when(int64_t *ms, const char *s, int64_t now_ms)
{
	int64_t d;

	if (ms == NULL || s == NULL)
		return -1;
	if (ak_parse_duration(&d, s) == 0) {
		*ms = now_ms + d;
		return 0;
	}
	return parse_date(ms, s);
}

void ak_format_time(char *buf, size_t len, int64_t ms)
{
	struct tm tm;
	time_t t = (time_t)(ms / 1000);

	if (buf == NULL || len == 0)
		return;
	if (ms <= 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, len, "-");
}

int ak_service_char(unsigned char c)
{
	return ascii_alnum(c) || c == '.' || c == '_' || c == '-';
}

static int service_name_valid(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > AK_SERVICE_LEN)
		return 0;
	for (i = 0; i < n; i++)
		if (!ak_service_char((unsigned char)s[i]))
			return 0;
	return 1;
}

int ak_services_parse(struct ak_key *k, const char *csv)
{
	const char *p, *comma;
	size_t n, i;
	uint8_t count = 0;

	if (k == NULL || csv == NULL || *csv == '\0')
		return -1;
	for (p = csv;; p = comma + 1) {
		comma = strchr(p, ',');
		n = comma ? (size_t)(comma - p) : strlen(p);
		if (!service_name_valid(p, n) || count >= AK_SERVICES_MAX)
			return -1;
		for (i = 0; i < count; i++) /* duplicates are harmless: drop them */
			if (strlen(k->services[i]) == n && memcmp(k->services[i], p, n) == 0)
				break;
		if (i == count) {
			memcpy(k->services[count], p, n);
			k->services[count][n] = '\0';
			count++;
		}
		if (comma == NULL)
			break;
	}
	k->n_services = count;
	return 0;
}

int ak_service_allowed(const struct ak_key *k, const char *service)
{
	uint8_t i;

	if (k->n_services == 0)
		return 1;
	if (service == NULL || *service == '\0')
		return 0;
	for (i = 0; i < k->n_services && i < AK_SERVICES_MAX; i++)
		if (strcmp(k->services[i], service) == 0)
			return 1;
	return 0;
}
