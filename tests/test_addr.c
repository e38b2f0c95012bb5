/*
 * test_addr.c - cmocka tests of addresses and prefixes: parsing (strict
 * and lenient), formatting, containment, first/last, increment.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <arpa/inet.h>

#include "segwatch/addr.h"

static void test_parse_format(void **state)
{
	static const char *const good[] = {"10.0.0.1", "0.0.0.0", "255.255.255.255",
	                                   "fd00::1", "::", "2001:db8::ff00:42:8329"};
	static const char *const bad[] = {"", "10.0.0", "10.0.0.256", "10.0.0.1 ", "fd00:::1",
	                                  "host", "10.0.0.1/8"};
	struct sw_addr a;
	char buf[SW_ADDR_STRLEN];

	(void)state;
	for (size_t i = 0; i < SW_ARRAY_SIZE(good); i++) {
		assert_int_equal(sw_addr_parse(good[i], &a), SW_OK);
		assert_string_equal(sw_addr_format(&a, buf, sizeof(buf)), good[i]);
	}
	for (size_t i = 0; i < SW_ARRAY_SIZE(bad); i++)
		assert_int_equal(sw_addr_parse(bad[i], &a), SW_ERR_PARSE);
	assert_int_equal(sw_addr_parse("10.1.2.3", &a), SW_OK);
	assert_true(sw_addr_is_v4(&a));
	assert_int_equal(a.b[12], 10);
	assert_int_equal(sw_addr_parse("fd00::1", &a), SW_OK);
	assert_false(sw_addr_is_v4(&a));
}

/* Every IPv4 address's text equals inet_ntop's: all values of each byte
 * position (others varied), and the small buffer fallback. */
static void test_format_v4_equals_inet_ntop(void **state)
{
	struct sw_addr a;
	char buf[SW_ADDR_STRLEN], want[INET_ADDRSTRLEN], small[8];

	(void)state;
	assert_int_equal(sw_addr_parse("0.0.0.0", &a), SW_OK);
	for (unsigned pos = 0; pos < 4; pos++)
		for (unsigned v = 0; v < 256; v++) {
			a.b[12] = (uint8_t)(pos == 0 ? v : v * 7 % 256);
			a.b[13] = (uint8_t)(pos == 1 ? v : v * 13 % 256);
			a.b[14] = (uint8_t)(pos == 2 ? v : v * 31 % 256);
			a.b[15] = (uint8_t)(pos == 3 ? v : 255 - v);
			assert_non_null(inet_ntop(AF_INET, a.b + 12, want, sizeof(want)));
			assert_string_equal(sw_addr_format(&a, buf, sizeof(buf)), want);
		}
	/* too small for the text: empty, as inet_ntop leaves it */
	assert_int_equal(sw_addr_parse("192.168.100.200", &a), SW_OK);
	assert_string_equal(sw_addr_format(&a, small, sizeof(small)), "");
}

static void test_prefix(void **state)
{
	struct sw_prefix p;
	struct sw_addr a, first, last;
	char buf[SW_PREFIX_STRLEN];

	(void)state;
	assert_int_equal(sw_prefix_parse("10.1.0.0/16", true, &p), SW_OK);
	assert_int_equal(p.len, 96 + 16);
	assert_string_equal(sw_prefix_format(&p, buf, sizeof(buf)), "10.1.0.0/16");
	assert_int_equal(sw_addr_parse("10.1.255.7", &a), SW_OK);
	assert_true(sw_prefix_contains(&p, &a));
	assert_int_equal(sw_addr_parse("10.2.0.1", &a), SW_OK);
	assert_false(sw_prefix_contains(&p, &a));
	/* an IPv4 prefix never contains an IPv6 address */
	assert_int_equal(sw_addr_parse("fd00::1", &a), SW_OK);
	assert_false(sw_prefix_contains(&p, &a));
	sw_prefix_first(&p, &first);
	sw_prefix_last(&p, &last);
	assert_string_equal(sw_addr_format(&first, buf, sizeof(buf)), "10.1.0.0");
	assert_string_equal(sw_addr_format(&last, buf, sizeof(buf)), "10.1.255.255");

	assert_int_equal(sw_prefix_parse("10.1.2.3/16", true, &p), SW_ERR_INVALID);
	assert_int_equal(sw_prefix_parse("10.1.2.3/16", false, &p), SW_OK);
	assert_string_equal(sw_prefix_format(&p, buf, sizeof(buf)), "10.1.0.0/16");
	assert_int_equal(sw_prefix_parse("10.0.0.0/33", false, &p), SW_ERR_INVALID);
	assert_int_equal(sw_prefix_parse("fd00::/129", false, &p), SW_ERR_INVALID);
	assert_int_equal(sw_prefix_parse("10.0.0.0/", false, &p), SW_ERR_INVALID);
	assert_int_equal(sw_prefix_parse("/8", false, &p), SW_ERR_PARSE);
	assert_int_equal(sw_prefix_parse("10.0.0.1", true, &p), SW_OK);
	assert_int_equal(p.len, 128);
	assert_int_equal(sw_prefix_parse("0.0.0.0/0", true, &p), SW_OK);
	assert_int_equal(sw_addr_parse("192.0.2.1", &a), SW_OK);
	assert_true(sw_prefix_contains(&p, &a));
	assert_int_equal(sw_prefix_parse("fd00::/7", true, &p), SW_ERR_INVALID);
	assert_int_equal(sw_prefix_parse("fd00::/7", false, &p), SW_OK);
	assert_string_equal(sw_prefix_format(&p, buf, sizeof(buf)), "fc00::/7");
	assert_int_equal(sw_prefix_parse("fd00::/8", true, &p), SW_OK);
	assert_string_equal(sw_prefix_format(&p, buf, sizeof(buf)), "fd00::/8");
}

static void test_inc_dec(void **state)
{
	struct sw_addr a;
	char buf[SW_ADDR_STRLEN];

	(void)state;
	assert_int_equal(sw_addr_parse("10.0.0.255", &a), SW_OK);
	assert_true(sw_addr_inc(&a));
	assert_string_equal(sw_addr_format(&a, buf, sizeof(buf)), "10.0.1.0");
	assert_true(sw_addr_dec(&a));
	assert_string_equal(sw_addr_format(&a, buf, sizeof(buf)), "10.0.0.255");
	memset(a.b, 0xff, sizeof(a.b));
	assert_false(sw_addr_inc(&a));
	memset(a.b, 0, sizeof(a.b));
	assert_false(sw_addr_dec(&a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_format),
		cmocka_unit_test(test_format_v4_equals_inet_ntop),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_inc_dec),
	};
	return cmocka_run_group_tests_name("addr", tests, NULL, NULL);
}
