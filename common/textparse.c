/*
 * textparse.c - strict text-to-number helpers (see textparse.h).
 */
#include "segwatch/textparse.h"

#include <string.h>

enum sw_status sw_parse_u64(const char *text, size_t len, uint64_t min,
                            uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0)
		return SW_ERR_PARSE;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned char)text[i] - '0';
		if (d > 9)
			return SW_ERR_PARSE;
		if (v > (UINT64_MAX - d) / 10)
			return SW_ERR_INVALID;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return SW_ERR_INVALID;
	*out = v;
	return SW_OK;
}

static size_t digits_len(const char *text)
{
	size_t n = 0;
	while (text[n] >= '0' && text[n] <= '9')
		n++;
	return n;
}

struct unit {
	const char *suffix;
	uint64_t mult;
};

/* A number with one of the units' suffixes ("" included), times the
 * unit's multiplier. */
static enum sw_status parse_with_unit(const char *text, const struct unit *units, size_t n_units,
                                      uint64_t *out)
{
	size_t n = digits_len(text);
	uint64_t v;
	enum sw_status st = sw_parse_u64(text, n, 0, UINT64_MAX, &v);

	if (st != SW_OK)
		return st;
	for (size_t i = 0; i < n_units; i++) {
		if (strcmp(text + n, units[i].suffix) != 0)
			continue;
		if (v > UINT64_MAX / units[i].mult)
			return SW_ERR_INVALID;
		*out = v * units[i].mult;
		return SW_OK;
	}
	return SW_ERR_PARSE;
}

enum sw_status sw_parse_duration(const char *text, uint64_t *out_ns)
{
	static const struct unit units[] = {
		{"", 1000000000ull}, {"ms", 1000000ull}, {"s", 1000000000ull},
		{"m", 60000000000ull}, {"h", 3600000000000ull},
		{"d", 86400000000000ull},
	};
	return parse_with_unit(text, units, SW_ARRAY_SIZE(units), out_ns);
}

enum sw_status sw_parse_size(const char *text, uint64_t *out)
{
	static const struct unit units[] = {
		{"", 1}, {"k", 1024}, {"K", 1024}, {"M", 1024 * 1024},
		{"G", 1024ull * 1024 * 1024},
	};
	return parse_with_unit(text, units, SW_ARRAY_SIZE(units), out);
}

enum sw_status sw_parse_port_range(const char *text, uint16_t *lo, uint16_t *hi)
{
	size_t head;
	const char *tail = sw_split(text, '-', &head);
	uint64_t a, b;
	enum sw_status st = sw_parse_u64(text, head, 0, 65535, &a);

	if (st != SW_OK)
		return st;
	b = a;
	if (tail != NULL) {
		st = sw_parse_u64(tail, strlen(tail), 0, 65535, &b);
		if (st != SW_OK)
			return st;
		if (b < a)
			return SW_ERR_INVALID;
	}
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return SW_OK;
}

const char *sw_split(const char *text, char sep, size_t *head_len)
{
	const char *p = strchr(text, sep);

	if (p == NULL) {
		*head_len = strlen(text);
		return NULL;
	}
	*head_len = (size_t)(p - text);
	return p + 1;
}
