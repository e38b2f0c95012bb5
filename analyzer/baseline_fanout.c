/*
 * baseline_fanout.c - the fan-out detector of the baseline module (see
 * include/segwatch/baseline.h and baseline_int.h).
 *
 * Each source (keyed by a hash of its identity) keeps the distinct
 * targets it reached within the window, at most threshold + 1 of them (the
 * oldest gives way: more are never needed to know that the count exceeds
 * the threshold), in the order they were first reached. An open-addressing
 * index (linear probing, at most half full) finds a source; sources all of
 * whose targets left the window are forgotten by sw_fanout_sweep(), which
 * also runs (at most once per second of flow time) when the table is full.
 */
#include "baseline_int.h"

#include <stdlib.h>
#include <string.h>

#include "segwatch/grow.h"

#define SWEEP_MIN_NS 1000000000ull

struct source {
	uint64_t key;
	uint64_t last_ns;        /* latest reach of any target */
	uint64_t reported_ns;    /* last alarm */
	bool reported;
	size_t n, cap;
	struct sw_fanout_target *t;
};

struct sw_fanout {
	uint32_t threshold;
	uint64_t window_ns;
	size_t max_sources;
	uint64_t seed;
	uint64_t last_sweep_ns;
	struct source *src;
	size_t n, cap;
	uint32_t *index;         /* source index + 1, 0 empty */
	size_t index_size;       /* power of two */
};

struct sw_fanout *sw_fanout_new(uint32_t threshold, uint64_t window_ns, size_t max_sources,
                                uint64_t seed)
{
	struct sw_fanout *fo = calloc(1, sizeof(*fo));

	if (fo == NULL)
		return NULL;
	fo->threshold = threshold;
	fo->window_ns = window_ns;
	fo->max_sources = max_sources;
	fo->seed = seed;
	return fo;
}

void sw_fanout_free(struct sw_fanout *fo)
{
	if (fo == NULL)
		return;
	for (size_t i = 0; i < fo->n; i++)
		free(fo->src[i].t);
	free(fo->src);
	free(fo->index);
	free(fo);
}

size_t sw_fanout_sources(const struct sw_fanout *fo)
{
	return fo->n;
}

/* ---- the source index ---- */

static size_t slot_of(const struct sw_fanout *fo, uint64_t key)
{
	uint64_t h = (key ^ fo->seed) * 0x9e3779b97f4a7c15ull;
	size_t mask = fo->index_size - 1, i = (size_t)(h >> 17) & mask;

	while (fo->index[i] != 0 && fo->src[fo->index[i] - 1].key != key)
		i = (i + 1) & mask;
	return i;
}

/* Rebuilds the index for n sources, growing it when needed. */
static bool index_rebuild(struct sw_fanout *fo, size_t n)
{
	size_t size = fo->index_size ? fo->index_size : 64;

	while (n * 2 > size)
		size *= 2;
	if (size != fo->index_size) {
		uint32_t *ix = calloc(size, sizeof(*ix));
		if (ix == NULL)
			return false;
		free(fo->index);
		fo->index = ix;
		fo->index_size = size;
	} else {
		memset(fo->index, 0, size * sizeof(*fo->index));
	}
	for (size_t i = 0; i < fo->n; i++)
		fo->index[slot_of(fo, fo->src[i].key)] = (uint32_t)i + 1;
	return true;
}

static bool expired(const struct sw_fanout *fo, uint64_t t, uint64_t now_ns)
{
	return now_ns - t >= fo->window_ns;
}

void sw_fanout_sweep(struct sw_fanout *fo, uint64_t now_ns)
{
	size_t o = 0;

	fo->last_sweep_ns = now_ns;
	for (size_t i = 0; i < fo->n; i++) {
		if (expired(fo, fo->src[i].last_ns, now_ns)) {
			free(fo->src[i].t);
			continue;
		}
		fo->src[o++] = fo->src[i];
	}
	if (o == fo->n)
		return;
	fo->n = o;
	/* the index keeps its size, so this cannot fail */
	(void)index_rebuild(fo, fo->n);
}

/* The source with key, created when new; NULL when it does not fit. */
static struct source *source_of(struct sw_fanout *fo, uint64_t key, uint64_t now_ns,
                                enum sw_fanout_result *why)
{
	size_t slot;
	struct source *s;

	if (fo->index_size != 0) {
		slot = slot_of(fo, key);
		if (fo->index[slot] != 0)
			return &fo->src[fo->index[slot] - 1];
	}
	if (fo->n >= fo->max_sources && now_ns >= fo->last_sweep_ns + SWEEP_MIN_NS)
		sw_fanout_sweep(fo, now_ns);
	if (fo->n >= fo->max_sources) {
		*why = SW_FANOUT_OVERFLOW;
		return NULL;
	}
	*why = SW_FANOUT_NOMEM;
	if (!sw_grow((void **)&fo->src, &fo->cap, fo->n + 1, sizeof(*fo->src)))
		return NULL;
	if ((fo->n + 1) * 2 > fo->index_size && !index_rebuild(fo, fo->n + 1))
		return NULL;
	s = &fo->src[fo->n];
	memset(s, 0, sizeof(*s));
	s->key = key;
	fo->index[slot_of(fo, key)] = (uint32_t)fo->n + 1;
	fo->n++;
	return s;
}

/* ---- targets ---- */

static bool same_target(const struct sw_fanout_target *a, const struct sw_fanout_target *b)
{
	return a->ep == b->ep && a->port == b->port &&
	       (a->ep >= 0 || memcmp(&a->addr, &b->addr, sizeof(a->addr)) == 0);
}

/* Drops the targets that left the window, keeping the order. */
static void expire_targets(const struct sw_fanout *fo, struct source *s, uint64_t now_ns)
{
	size_t o = 0;

	for (size_t i = 0; i < s->n; i++)
		if (!expired(fo, s->t[i].t, now_ns))
			s->t[o++] = s->t[i];
	s->n = o;
}

/* Records target; false when out of memory. */
static bool target_add(struct sw_fanout *fo, struct source *s,
                       const struct sw_fanout_target *target, uint64_t now_ns)
{
	size_t keep = (size_t)fo->threshold + 1;

	for (size_t i = 0; i < s->n; i++)
		if (same_target(&s->t[i], target)) {
			s->t[i].t = now_ns;
			return true;
		}
	if (s->n == keep) {
		/* the first reached is the oldest or was reached again: drop
		 * the least recently reached */
		size_t old = 0;
		for (size_t i = 1; i < s->n; i++)
			if (s->t[i].t < s->t[old].t)
				old = i;
		memmove(&s->t[old], &s->t[old + 1], (s->n - old - 1) * sizeof(*s->t));
		s->n--;
	}
	if (!sw_grow((void **)&s->t, &s->cap, s->n + 1, sizeof(*s->t)))
		return false;
	s->t[s->n] = *target;
	s->t[s->n].t = now_ns;
	s->n++;
	return true;
}

enum sw_fanout_result sw_fanout_flow(struct sw_fanout *fo, uint64_t src_key,
                                     const struct sw_fanout_target *target, uint64_t now_ns,
                                     struct sw_fanout_hit *hit)
{
	enum sw_fanout_result why = SW_FANOUT_QUIET;
	struct source *s = source_of(fo, src_key, now_ns, &why);
	uint64_t first;

	if (s == NULL)
		return why;
	expire_targets(fo, s, now_ns);
	if (!target_add(fo, s, target, now_ns))
		return SW_FANOUT_NOMEM;
	s->last_ns = now_ns;
	if (s->n <= fo->threshold)
		return SW_FANOUT_QUIET;
	if (s->reported && now_ns - s->reported_ns < fo->window_ns)
		return SW_FANOUT_QUIET;
	s->reported = true;
	s->reported_ns = now_ns;
	first = now_ns;
	for (size_t i = 0; i < s->n; i++)
		if (s->t[i].t < first)
			first = s->t[i].t;
	hit->count = s->n;
	hit->targets = s->t;
	hit->first_seen_ns = first;
	return SW_FANOUT_ALARM;
}
