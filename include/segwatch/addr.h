/*
 * addr.h - IP addresses and prefixes shared by the collector and analyzer.
 *
 * One representation for both families: 16 bytes, IPv4 stored as an
 * IPv4-mapped IPv6 address (::ffff:a.b.c.d), so comparison, hashing and
 * prefix matching never branch on the family.
 */
#ifndef SEGWATCH_ADDR_H
#define SEGWATCH_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segwatch/error.h"

struct sw_addr {
	uint8_t b[16];
};

/* A prefix: addr with the bits beyond len cleared. len counts in the
 * 128-bit space, so an IPv4 /24 has len 96 + 24 = 120. */
struct sw_prefix {
	struct sw_addr addr;
	uint8_t len;
};

/* Longest text form of an address, including the NUL. */
#define SW_ADDR_STRLEN 46
/* Longest text form of a prefix ("addr/len"), including the NUL. */
#define SW_PREFIX_STRLEN 50

void sw_addr_from_v4(struct sw_addr *a, const uint8_t v4[4]);
void sw_addr_from_v6(struct sw_addr *a, const uint8_t v6[16]);
bool sw_addr_is_v4(const struct sw_addr *a);
int sw_addr_cmp(const struct sw_addr *a, const struct sw_addr *b);

/* Parses "10.0.0.1" or "fd00::1" (exactly, no surrounding text).
 * Returns SW_OK or SW_ERR_PARSE. */
enum sw_status sw_addr_parse(const char *text, struct sw_addr *out) SW_WUR;

/* Writes the conventional text form (dotted quad for IPv4). Returns buf. */
const char *sw_addr_format(const struct sw_addr *a, char *buf, size_t len);

/* Parses "10.0.0.0/8", "fd00::/64" or a bare address (a host prefix).
 * Host bits beyond the length must be zero when strict is true (as the
 * Kubernetes API requires for ipBlock.cidr); otherwise they are cleared.
 * Returns SW_OK, SW_ERR_PARSE (not an address) or SW_ERR_INVALID
 * (length out of range, or host bits set when strict). */
enum sw_status sw_prefix_parse(const char *text, bool strict,
                               struct sw_prefix *out) SW_WUR;

/* Writes "addr/len" with len in the family's own terms (/24, not /120). */
const char *sw_prefix_format(const struct sw_prefix *p, char *buf, size_t len);

bool sw_prefix_contains(const struct sw_prefix *p, const struct sw_addr *a);

/* The first and last address of a prefix. */
void sw_prefix_first(const struct sw_prefix *p, struct sw_addr *out);
void sw_prefix_last(const struct sw_prefix *p, struct sw_addr *out);

/* Adds one to / subtracts one from an address in the 128-bit space;
 * returns false on wrap-around. */
bool sw_addr_inc(struct sw_addr *a);
bool sw_addr_dec(struct sw_addr *a);

#endif
