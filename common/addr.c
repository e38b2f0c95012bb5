/*
 * addr.c - parsing, formatting and prefix arithmetic of struct sw_addr.
 */
#include "segwatch/addr.h"
#include "segwatch/textparse.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

void sw_addr_from_v4(struct sw_addr *a, const uint8_t v4[4])
{
	memcpy(a->b, v4_mapped_prefix, sizeof(v4_mapped_prefix));
	memcpy(a->b + 12, v4, 4);
}

void sw_addr_from_v6(struct sw_addr *a, const uint8_t v6[16])
{
	memcpy(a->b, v6, 16);
}

bool sw_addr_is_v4(const struct sw_addr *a)
{
	return memcmp(a->b, v4_mapped_prefix, sizeof(v4_mapped_prefix)) == 0;
}

int sw_addr_cmp(const struct sw_addr *a, const struct sw_addr *b)
{
	return memcmp(a->b, b->b, 16);
}

enum sw_status sw_addr_parse(const char *text, struct sw_addr *out)
{
	uint8_t buf[16];

	if (strchr(text, ':') == NULL) {
		if (inet_pton(AF_INET, text, buf) != 1)
			return SW_ERR_PARSE;
		sw_addr_from_v4(out, buf);
		return SW_OK;
	}
	if (inet_pton(AF_INET6, text, buf) != 1)
		return SW_ERR_PARSE;
	sw_addr_from_v6(out, buf);
	return SW_OK;
}

/* Dotted quad of b[0..3] into buf (at least 16 bytes): inet_ntop's text,
 * without its printf (the writer formats two per stored flow). */
static void format_v4(const uint8_t *b, char *buf)
{
	char *o = buf;

	for (int i = 0; i < 4; i++) {
		unsigned v = b[i];
		if (i > 0)
			*o++ = '.';
		if (v >= 100)
			*o++ = (char)('0' + v / 100);
		if (v >= 10)
			*o++ = (char)('0' + v / 10 % 10);
		*o++ = (char)('0' + v % 10);
	}
	*o = '\0';
}

const char *sw_addr_format(const struct sw_addr *a, char *buf, size_t len)
{
	const char *ok;

	if (sw_addr_is_v4(a) && len >= 16) {
		format_v4(a->b + 12, buf);
		return buf;
	}
	if (sw_addr_is_v4(a))
		ok = inet_ntop(AF_INET, a->b + 12, buf, (socklen_t)len);
	else
		ok = inet_ntop(AF_INET6, a->b, buf, (socklen_t)len);
	if (ok == NULL && len > 0)
		buf[0] = '\0';
	return buf;
}

static void prefix_mask(struct sw_addr *a, unsigned len, bool ones)
{
	for (unsigned bit = len; bit < 128; bit++) {
		uint8_t m = (uint8_t)(0x80u >> (bit % 8));
		if (ones)
			a->b[bit / 8] |= m;
		else
			a->b[bit / 8] &= (uint8_t)~m;
	}
}

enum sw_status sw_prefix_parse(const char *text, bool strict, struct sw_prefix *out)
{
	char host[SW_ADDR_STRLEN];
	const char *slash = strchr(text, '/');
	size_t hostlen = slash ? (size_t)(slash - text) : strlen(text);
	uint64_t plen;
	struct sw_addr masked;

	if (hostlen == 0 || hostlen >= sizeof(host))
		return SW_ERR_PARSE;
	memcpy(host, text, hostlen);
	host[hostlen] = '\0';
	if (sw_addr_parse(host, &out->addr) != SW_OK)
		return SW_ERR_PARSE;
	bool v4 = sw_addr_is_v4(&out->addr) && strchr(host, ':') == NULL;
	unsigned max = v4 ? 32 : 128;
	if (slash == NULL) {
		plen = max;
	} else if (sw_parse_u64(slash + 1, strlen(slash + 1), 0, max, &plen) != SW_OK) {
		return SW_ERR_INVALID;
	}
	out->len = (uint8_t)(v4 ? plen + 96 : plen);
	masked = out->addr;
	prefix_mask(&masked, out->len, false);
	if (strict && sw_addr_cmp(&masked, &out->addr) != 0)
		return SW_ERR_INVALID;
	out->addr = masked;
	return SW_OK;
}

const char *sw_prefix_format(const struct sw_prefix *p, char *buf, size_t len)
{
	char a[SW_ADDR_STRLEN];
	unsigned plen = p->len;

	if (sw_addr_is_v4(&p->addr) && plen >= 96)
		plen -= 96;
	snprintf(buf, len, "%s/%u", sw_addr_format(&p->addr, a, sizeof(a)), plen);
	return buf;
}

bool sw_prefix_contains(const struct sw_prefix *p, const struct sw_addr *a)
{
	unsigned full = p->len / 8, rest = p->len % 8;

	if (memcmp(p->addr.b, a->b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t m = (uint8_t)(0xffu << (8 - rest));
	return (p->addr.b[full] & m) == (a->b[full] & m);
}

void sw_prefix_first(const struct sw_prefix *p, struct sw_addr *out)
{
	*out = p->addr;
	prefix_mask(out, p->len, false);
}

void sw_prefix_last(const struct sw_prefix *p, struct sw_addr *out)
{
	*out = p->addr;
	prefix_mask(out, p->len, true);
}

bool sw_addr_inc(struct sw_addr *a)
{
	for (int i = 15; i >= 0; i--) {
		if (++a->b[i] != 0)
			return true;
	}
	return false;
}

bool sw_addr_dec(struct sw_addr *a)
{
	for (int i = 15; i >= 0; i--) {
		if (a->b[i]-- != 0)
			return true;
	}
	return false;
}
