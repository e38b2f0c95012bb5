/*
 * test_grow.c - cmocka tests of growable arrays: capacity doubles from 16,
 * contents survive, and an impossible size fails without touching the array.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#include "segwatch/grow.h"

static void test_doubles_and_keeps(void **state)
{
	int *v = NULL;
	size_t cap = 0;

	(void)state;
	for (int i = 0; i < 1000; i++) {
		assert_true(sw_grow((void **)&v, &cap, (size_t)i + 1, sizeof(*v)));
		v[i] = i * 3;
	}
	assert_int_equal(cap, 1024);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(v[i], i * 3);
	/* enough room already: nothing changes */
	int *before = v;
	assert_true(sw_grow((void **)&v, &cap, 10, sizeof(*v)));
	assert_ptr_equal(v, before);
	assert_int_equal(cap, 1024);
	free(v);
}

static void test_overflow_refused(void **state)
{
	char *v = NULL;
	size_t cap = 0;

	(void)state;
	assert_true(sw_grow((void **)&v, &cap, 1, 1));
	assert_int_equal(cap, 16);
	assert_false(sw_grow((void **)&v, &cap, SIZE_MAX, 1));
	assert_false(sw_grow((void **)&v, &cap, SIZE_MAX / 4, 8));
	assert_int_equal(cap, 16);
	assert_non_null(v);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_doubles_and_keeps),
		cmocka_unit_test(test_overflow_refused),
	};
	return cmocka_run_group_tests_name("grow", tests, NULL, NULL);
}
