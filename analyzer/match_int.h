/*
 * match_int.h - the compiled form of a matcher, shared by match.c (which
 * builds it and judges with it) and connlist.c (which enumerates it).
 * Private to the policy engine: nothing outside analyzer/ includes it.
 *
 * Layout. Endpoints that behave identically (same selecting policies, same
 * peer lists matching them, same relevant named ports) share a class; so do
 * external cells (maximal address intervals outside every endpoint, split
 * at every ipBlock/except boundary) that lie in the same ipBlocks. For each
 * class we keep its isolation flags, the rules that apply to it as a
 * target (per direction), its named ports, and a bitset over peer lists:
 * bit L is set when peer list L (a rule's from/to) matches the class.
 * The address space is a sorted array of elementary intervals, each owned
 * by one endpoint or external, each with its class.
 */
#ifndef SEGWATCH_MATCH_INT_H
#define SEGWATCH_MATCH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segwatch/match.h"

__extension__ typedef unsigned __int128 mt_u128;

enum { MT_INGRESS = 0, MT_EGRESS = 1 };

#define MT_ALL_PEERS UINT32_MAX

/* One compiled NetworkPolicyPort. */
struct mt_port {
	uint8_t proto;
	bool named;       /* name_id is used; lo/hi are not */
	uint16_t lo, hi;  /* numeric inclusive range */
	uint32_t name_id; /* interned port name */
};

/* One compiled ingress or egress rule. */
struct mt_rule {
	uint32_t list;     /* peer list id, or MT_ALL_PEERS (from/to absent) */
	bool all_ports;    /* ports absent: every protocol and port */
	uint32_t port_off; /* into sw_matcher.ports */
	uint32_t n_ports;
	uint32_t policy;   /* index in the policy set */
	uint32_t index;    /* index within spec.ingress / spec.egress */
};

/* A named container port of a destination, restricted to names some
 * policy uses. */
struct mt_named {
	uint32_t name_id;
	uint8_t proto;
	uint16_t port;
};

struct mt_class {
	bool ext;
	bool iso[2];          /* [MT_INGRESS], [MT_EGRESS] */
	uint32_t rule_off[2]; /* into sw_matcher.class_rules */
	uint32_t n_rules[2];
	uint32_t named_off;   /* into sw_matcher.named */
	uint32_t n_named;
};

/* Owner of one elementary address interval. */
struct mt_owner {
	int32_t ep;   /* endpoint index or -1 */
	uint32_t cls; /* class id */
};

#define MT_V4_NEXT 0x80000000u

struct sw_matcher {
	const struct sw_inventory *inv;
	const struct sw_policy_set *set;

	size_t n_ep;
	uint32_t *ep_class;         /* n_ep */

	size_t n_classes;
	size_t n_ep_classes;        /* classes [0, n_ep_classes) are endpoint classes */
	struct mt_class *classes;
	size_t words;               /* bitset words per class */
	uint64_t *peerbits;         /* n_classes * words */

	size_t n_rules;
	struct mt_rule *rules;
	size_t n_ports;
	struct mt_port *ports;
	size_t n_class_rules;
	uint32_t *class_rules;      /* rule ids, per class and direction */
	size_t n_named;
	struct mt_named *named;
	size_t n_lists;

	/* The address space: interval i is [starts[i], starts[i+1]-1]; the
	 * last one ends at the top of the space. starts[0] == 0. */
	size_t n_ranges;
	mt_u128 *starts;
	struct mt_owner *owners;
	/* IPv4 fast path, a DIR-16-8-8 table over the intervals inside
	 * ::ffff:0:0/96 (indices relative to v4_first). v4_l1 is indexed by
	 * the top 16 bits of the address, a v4_l2 table by the next 8, a v4_l3
	 * table by the last 8. An entry is an interval index, or, with
	 * MT_V4_NEXT set, the number of a next-level table (256 entries) for
	 * a block that holds an interval boundary. */
	size_t v4_first;
	size_t n_v4;
	uint32_t *v4_l1;            /* 65536 */
	uint32_t *v4_l2;            /* n_l2 * 256 */
	uint32_t *v4_l3;            /* n_l3 * 256 */
	size_t n_l2, n_l3;

	size_t bytes;
};

/* The mapped IPv4 block ::ffff:0:0/96 in the 128-bit space. */
#define MT_V4_FIRST (((mt_u128)0xffffu) << 32)
#define MT_V4_LAST (MT_V4_FIRST | 0xffffffffu)

mt_u128 mt_addr_to_u128(const struct sw_addr *a);
void mt_u128_to_addr(mt_u128 v, struct sw_addr *a);

/* Index of the interval containing v. */
size_t mt_range_of(const struct sw_matcher *m, mt_u128 v);

static inline bool mt_peer_bit(const struct sw_matcher *m, uint32_t cls, uint32_t list)
{
	return (m->peerbits[(size_t)cls * m->words + list / 64] >> (list % 64)) & 1u;
}

/* True when rule r's peers match class other. */
static inline bool mt_rule_peer_matches(const struct sw_matcher *m,
                                        const struct mt_rule *r, uint32_t other)
{
	return r->list == MT_ALL_PEERS || mt_peer_bit(m, other, r->list);
}

/* True when class cls has a named port name_id/proto equal to port. */
bool mt_named_has(const struct sw_matcher *m, uint32_t cls, uint32_t name_id,
                  uint8_t proto, uint16_t port);

/* Resolves named port name_id/proto on class cls: calls fn for each port
 * number it names (normally at most one). */
void mt_named_each(const struct sw_matcher *m, uint32_t cls, uint32_t name_id,
                   uint8_t proto, void (*fn)(void *ctx, uint16_t port), void *ctx);

#endif
