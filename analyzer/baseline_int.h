/*
 * baseline_int.h - what the baseline module's files share: the keyed hash
 * (baseline.c) and the fan-out detector (baseline_fanout.c), which keeps,
 * per source, the distinct (destination, port) targets it reached within
 * the sliding window.
 */
#ifndef SEGWATCH_BASELINE_INT_H
#define SEGWATCH_BASELINE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segwatch/addr.h"

/* A seeded 64-bit hash of a NUL-terminated text (never 0). */
uint64_t sw_baseline_hash_str(uint64_t seed, const char *s);

/* A destination as fan-out counts it: the endpoint, or (ep < 0) the
 * external address, and the port. t: when it was last reached. */
struct sw_fanout_target {
	struct sw_addr addr;   /* zero for an endpoint */
	int64_t ep;
	uint64_t t;
	uint16_t port;
};

enum sw_fanout_result {
	SW_FANOUT_QUIET = 0,   /* counted, nothing to report */
	SW_FANOUT_ALARM,       /* over the threshold: report *hit */
	SW_FANOUT_OVERFLOW,    /* the source did not fit (max_sources) */
	SW_FANOUT_NOMEM
};

/* What an alarm reports: the source's targets in the window, in the order
 * they were first reached (valid until the next call). */
struct sw_fanout_hit {
	size_t count;
	const struct sw_fanout_target *targets;
	uint64_t first_seen_ns; /* the oldest target's last reach */
};

struct sw_fanout;

/* threshold >= 1, window_ns > 0, max_sources >= 1 (validated by the
 * caller). NULL when out of memory. */
struct sw_fanout *sw_fanout_new(uint32_t threshold, uint64_t window_ns, size_t max_sources,
                                uint64_t seed);
void sw_fanout_free(struct sw_fanout *fo);

/* Source src_key (a hash of its identity) reached target at now_ns (which
 * never goes back). Borrows target (its t is ignored). */
enum sw_fanout_result sw_fanout_flow(struct sw_fanout *fo, uint64_t src_key,
                                     const struct sw_fanout_target *target, uint64_t now_ns,
                                     struct sw_fanout_hit *hit);

/* Forgets sources whose targets all left the window by now_ns. */
void sw_fanout_sweep(struct sw_fanout *fo, uint64_t now_ns);

/* Sources held. */
size_t sw_fanout_sources(const struct sw_fanout *fo);

#endif
