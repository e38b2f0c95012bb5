/*
 * flowtable_frag.c - first-fragment port memory (see flowtable_frag.h).
 */
#include "flowtable_frag.h"

#include <stdlib.h>
#include <string.h>

/* How long a datagram's fragments may keep arriving (Linux: 30 s). */
#define FRAG_TTL_NS (60ull * 1000000000ull)

struct frag_slot {
	struct sw_addr src, dst;
	uint64_t ts_ns;
	uint32_t id;
	uint16_t sport, dport;
	uint8_t proto;
	bool used;
};

struct sw_frag_cache {
	uint32_t mask;
	struct frag_slot slots[];
};

struct sw_frag_cache *sw_frag_cache_new(uint32_t slots)
{
	uint32_t n = 16;
	struct sw_frag_cache *fc;

	while (n < slots && n < (1u << 24))
		n <<= 1;
	fc = calloc(1, sizeof(*fc) + (size_t)n * sizeof(fc->slots[0]));
	if (fc != NULL)
		fc->mask = n - 1;
	return fc;
}

void sw_frag_cache_free(struct sw_frag_cache *fc)
{
	free(fc);
}

static uint32_t slot_of(const struct sw_frag_cache *fc, const struct sw_packet *p)
{
	uint32_t h = p->frag_id * 0x9e3779b1u;

	for (int i = 0; i < 16; i += 4) {
		uint32_t a, b;
		memcpy(&a, p->src.b + i, 4);
		memcpy(&b, p->dst.b + i, 4);
		h = (h ^ a ^ (b * 0x85ebca6bu)) * 0xc2b2ae35u;
	}
	h ^= p->proto;
	return (h ^ (h >> 15)) & fc->mask;
}

static bool same_datagram(const struct frag_slot *s, const struct sw_packet *p)
{
	return s->used && s->id == p->frag_id && s->proto == p->proto &&
	       sw_addr_cmp(&s->src, &p->src) == 0 && sw_addr_cmp(&s->dst, &p->dst) == 0;
}

void sw_frag_cache_put(struct sw_frag_cache *fc, const struct sw_packet *p, uint64_t *evicted)
{
	struct frag_slot *s = &fc->slots[slot_of(fc, p)];

	if (s->used && !same_datagram(s, p) && s->ts_ns + FRAG_TTL_NS > p->ts_ns)
		(*evicted)++;
	s->src = p->src;
	s->dst = p->dst;
	s->ts_ns = p->ts_ns;
	s->id = p->frag_id;
	s->proto = p->proto;
	s->sport = p->sport;
	s->dport = p->dport;
	s->used = true;
}

bool sw_frag_cache_get(const struct sw_frag_cache *fc, const struct sw_packet *p,
                       uint16_t *sport, uint16_t *dport)
{
	const struct frag_slot *s = &fc->slots[slot_of(fc, p)];

	if (!same_datagram(s, p) || s->ts_ns + FRAG_TTL_NS <= p->ts_ns)
		return false;
	*sport = s->sport;
	*dport = s->dport;
	return true;
}
