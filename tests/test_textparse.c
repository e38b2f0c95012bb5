/*
 * test_textparse.c - cmocka tests of the strict text-to-number helpers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "segwatch/textparse.h"

static void test_u64(void **state)
{
	static const struct {
		const char *text;
		uint64_t min, max;
		enum sw_status want;
		uint64_t value;
	} cases[] = {
		{"0", 0, 10, SW_OK, 0},
		{"10", 0, 10, SW_OK, 10},
		{"11", 0, 10, SW_ERR_INVALID, 0},
		{"", 0, 10, SW_ERR_PARSE, 0},
		{"-1", 0, 10, SW_ERR_PARSE, 0},
		{"+1", 0, 10, SW_ERR_PARSE, 0},
		{" 1", 0, 10, SW_ERR_PARSE, 0},
		{"1 ", 0, 10, SW_ERR_PARSE, 0},
		{"0x10", 0, 100, SW_ERR_PARSE, 0},
		{"18446744073709551615", 0, UINT64_MAX, SW_OK, UINT64_MAX},
		{"18446744073709551616", 0, UINT64_MAX, SW_ERR_INVALID, 0},
		{"99999999999999999999999", 0, UINT64_MAX, SW_ERR_INVALID, 0},
		{"5", 6, 10, SW_ERR_INVALID, 0},
	};
	(void)state;
	for (size_t i = 0; i < SW_ARRAY_SIZE(cases); i++) {
		uint64_t v = 12345;
		enum sw_status st = sw_parse_u64(cases[i].text, strlen(cases[i].text),
		                                 cases[i].min, cases[i].max, &v);
		assert_int_equal(st, cases[i].want);
		assert_int_equal(v, st == SW_OK ? cases[i].value : 12345);
	}
}

static void test_duration(void **state)
{
	static const struct {
		const char *text;
		enum sw_status want;
		uint64_t ns;
	} cases[] = {
		{"30", SW_OK, 30000000000ull},   {"30s", SW_OK, 30000000000ull},
		{"500ms", SW_OK, 500000000ull},  {"5m", SW_OK, 300000000000ull},
		{"2h", SW_OK, 7200000000000ull}, {"7d", SW_OK, 604800000000000ull},
		{"0", SW_OK, 0},                 {"5x", SW_ERR_PARSE, 0},
		{"s", SW_ERR_PARSE, 0},          {"1.5s", SW_ERR_PARSE, 0},
		{"99999999999d", SW_ERR_INVALID, 0},
	};
	(void)state;
	for (size_t i = 0; i < SW_ARRAY_SIZE(cases); i++) {
		uint64_t ns = 0;
		assert_int_equal(sw_parse_duration(cases[i].text, &ns), cases[i].want);
		if (cases[i].want == SW_OK)
			assert_int_equal(ns, cases[i].ns);
	}
}

static void test_size(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(sw_parse_size("64M", &v), SW_OK);
	assert_int_equal(v, 64ull << 20);
	assert_int_equal(sw_parse_size("8k", &v), SW_OK);
	assert_int_equal(v, 8192);
	assert_int_equal(sw_parse_size("1G", &v), SW_OK);
	assert_int_equal(v, 1ull << 30);
	assert_int_equal(sw_parse_size("100", &v), SW_OK);
	assert_int_equal(v, 100);
	assert_int_equal(sw_parse_size("12MB", &v), SW_ERR_PARSE);
}

static void test_port_range(void **state)
{
	uint16_t lo, hi;

	(void)state;
	assert_int_equal(sw_parse_port_range("80", &lo, &hi), SW_OK);
	assert_int_equal(lo, 80);
	assert_int_equal(hi, 80);
	assert_int_equal(sw_parse_port_range("8000-8080", &lo, &hi), SW_OK);
	assert_int_equal(lo, 8000);
	assert_int_equal(hi, 8080);
	assert_int_equal(sw_parse_port_range("8080-8000", &lo, &hi), SW_ERR_INVALID);
	assert_int_equal(sw_parse_port_range("65536", &lo, &hi), SW_ERR_INVALID);
	assert_int_equal(sw_parse_port_range("80-", &lo, &hi), SW_ERR_PARSE);
	assert_int_equal(sw_parse_port_range("-80", &lo, &hi), SW_ERR_PARSE);
	assert_int_equal(sw_parse_port_range("http", &lo, &hi), SW_ERR_PARSE);
}

static void test_split(void **state)
{
	size_t head;
	const char *tail;

	(void)state;
	tail = sw_split("udp=30s", '=', &head);
	assert_int_equal(head, 3);
	assert_string_equal(tail, "30s");
	tail = sw_split("novalue", '=', &head);
	assert_null(tail);
	assert_int_equal(head, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_port_range),
		cmocka_unit_test(test_split),
	};
	return cmocka_run_group_tests_name("textparse", tests, NULL, NULL);
}
