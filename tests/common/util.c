/* Unit tests of result names, durations, dates, user names, text, service lists
 * and the log form of a name (common/util.c). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "tap.h"
#include "unit.h"

static void test_names(void)
{
	is_str(ak_result_name(AK_VALID), "VALID", "VALID name");
	is_str(ak_result_name(AK_SERVICE_DENIED), "SERVICE_DENIED", "SERVICE_DENIED name");
	is_str(ak_result_name(AK_UNAVAILABLE), "UNAVAILABLE", "UNAVAILABLE name");
	is_str(ak_result_name((enum ak_result)99), "UNAVAILABLE",
	       "unknown code maps to UNAVAILABLE");
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

/* The log form of an untrusted name (the PAM module's host, tty and
 * service, keyadm scan's file): printable ASCII but the space as it is,
 * every other byte '?', truncated to the buffer. */
static void test_log_form(void)
{
	char in[2] = "", out[8] = "x";
	int c, same = 1;

	for (c = 1; c < 256; c++) {
		in[0] = (char)c;
		(void)ak_log_clean(out, sizeof(out), in);
		if (out[1] != '\0' || out[0] != (c > 0x20 && c < 0x7f ? (char)c : '?') ||
		    ak_word_char((unsigned char)c) != (c > 0x20 && c < 0x7f))
			same = 0;
	}
	ok(same, "log form: each byte 0x21..0x7e as it is, any other (space, 8-bit) as '?'");
	is_str(ak_log_clean(out, sizeof(out), "h\xc3\xa9 t\n"), "h???t?",
	       "log form: one '?' per byte, UTF-8 and controls alike");
	is_str(ak_log_clean(out, 4, "abcdef"), "abc", "log form: truncated to the buffer");
	is_str(ak_log_clean(out, sizeof(out), NULL), "", "log form: no name is the empty string");
	out[0] = 'x';
	ok(ak_log_clean(out, 0, "abc")[0] == '\0' && out[0] == 'x',
	   "log form: a buffer of no bytes is not written");
}

int main(void)
{
	if (unit_setup() != 0)
		return 1;
	test_names();
	test_parsers();
	test_log_form();
	return unit_done(tap_done());
}
