/*
 * fuzz_text.c - libFuzzer target for the text parsers: common/textparse
 * (numbers, durations, sizes, port ranges, split), common/addr (address
 * and prefix parsing, formatting round trips) and the NFLOG log-prefix
 * verdict (sw_fw_verdict_parse).
 *
 * The input is one string (a NUL byte ends it early, as it would in C);
 * every parser sees it, and what parses is checked for the properties the
 * headers promise (ranges, round trips). A broken promise aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segwatch/addr.h"
#include "segwatch/source.h"
#include "segwatch/textparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Longest text handed to the parsers: longer adds nothing but time. */
#define FUZZ_TEXT_MAX 4096

#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",   \
			        __FILE__, __LINE__, #cond);                \
			abort();                                           \
		}                                                          \
	} while (0)

static void fuzz_numbers(const char *s, size_t len)
{
	uint64_t v = 0, ns = 0, sz = 0;
	uint16_t lo = 0, hi = 0;

	if (sw_parse_u64(s, len, 10, 65535, &v) == SW_OK)
		CHECK(v >= 10 && v <= 65535);
	if (sw_parse_u64(s, len, 0, UINT64_MAX, &v) == SW_OK) {
		/* decimal digits only: nothing else may have been accepted */
		for (size_t i = 0; i < len; i++)
			CHECK(s[i] >= '0' && s[i] <= '9');
	}
	/* a bare number is seconds and bytes: both must agree with u64 */
	int dur_ok = sw_parse_duration(s, &ns) == SW_OK;
	int size_ok = sw_parse_size(s, &sz) == SW_OK;
	if (sw_parse_u64(s, len, 0, 1000000, &v) == SW_OK) {
		CHECK(!dur_ok || ns == v * 1000000000ull);
		CHECK(!size_ok || sz == v);
	}
	if (sw_parse_port_range(s, &lo, &hi) == SW_OK)
		CHECK(lo <= hi);
}

static void fuzz_split(const char *s, size_t len)
{
	size_t head = 0;
	const char *rest = sw_split(s, ':', &head);

	CHECK(head <= len);
	if (rest == NULL)
		CHECK(head == len);
	else
		CHECK(rest == s + head + 1 && s[head] == ':');
}

static void fuzz_addr(const char *s)
{
	struct sw_addr a, b;
	struct sw_prefix p, q;
	char buf[SW_PREFIX_STRLEN];

	if (sw_addr_parse(s, &a) == SW_OK) {
		sw_addr_format(&a, buf, sizeof(buf));
		CHECK(sw_addr_parse(buf, &b) == SW_OK);
		CHECK(sw_addr_cmp(&a, &b) == 0);
		b = a;
		if (sw_addr_inc(&b))
			CHECK(sw_addr_dec(&b) && sw_addr_cmp(&a, &b) == 0);
	}
	for (int strict = 0; strict <= 1; strict++) {
		if (sw_prefix_parse(s, strict != 0, &p) != SW_OK)
			continue;
		CHECK(p.len <= 128);
		sw_prefix_format(&p, buf, sizeof(buf));
		CHECK(sw_prefix_parse(buf, true, &q) == SW_OK);
		CHECK(q.len == p.len && sw_addr_cmp(&q.addr, &p.addr) == 0);
		sw_prefix_first(&p, &a);
		sw_prefix_last(&p, &b);
		CHECK(sw_addr_cmp(&a, &b) <= 0);
		CHECK(sw_prefix_contains(&p, &a) && sw_prefix_contains(&p, &b));
	}
}

static void fuzz_fw_prefix(const char *s)
{
	enum sw_fw_verdict v = sw_fw_verdict_parse(s);

	CHECK(v == SW_FW_LOG || v == SW_FW_ACCEPT || v == SW_FW_DROP ||
	      v == SW_FW_REJECT);
	CHECK(sw_fw_verdict_name(v) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_TEXT_MAX)
		size = FUZZ_TEXT_MAX;
	char *s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	size_t len = strlen(s);

	fuzz_numbers(s, len);
	fuzz_split(s, len);
	fuzz_addr(s);
	fuzz_fw_prefix(s);
	/* sw_parse_u64 takes a length: give it the embedded NULs too */
	uint64_t v;
	if (sw_parse_u64(s, size, 0, UINT64_MAX, &v) == SW_OK)
		CHECK(size == len);
	free(s);
	return 0;
}
