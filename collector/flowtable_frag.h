/*
 * flowtable_frag.h - internal to the flow table: remembers the ports that
 * a first IP fragment carried, so later fragments (which have no L4
 * header) are counted on the same flow. Keyed by (src, dst, protocol,
 * fragment id); direct-mapped and bounded: a slot overwritten while still
 * live is counted, never grown.
 */
#ifndef SEGWATCH_FLOWTABLE_FRAG_H
#define SEGWATCH_FLOWTABLE_FRAG_H

#include <stdbool.h>
#include <stdint.h>

#include "segwatch/decode.h"

struct sw_frag_cache;

/* slots is rounded up to a power of two; 0 gives a minimal cache. */
struct sw_frag_cache *sw_frag_cache_new(uint32_t slots);
void sw_frag_cache_free(struct sw_frag_cache *fc);

/* Remembers the ports of a first fragment; increments *evicted when a
 * live slot of another datagram is overwritten. */
void sw_frag_cache_put(struct sw_frag_cache *fc, const struct sw_packet *p, uint64_t *evicted);

/* Finds the ports of the datagram a later fragment belongs to. */
bool sw_frag_cache_get(const struct sw_frag_cache *fc, const struct sw_packet *p,
                       uint16_t *sport, uint16_t *dport);

#endif
