/*
 * monitor_edges.c - the writer's sums for the service map: ended flows are
 * added up in memory per (minute of the last packet, source identity,
 * destination identity, protocol, destination port), and the sums go into
 * the store's edge_minutes rows (an upsert adds them) in the writer's
 * transactions.
 *
 * A sum is written in the first transaction after it appears; after that,
 * what its edge adds is written at most once per commit interval (and at
 * stop), so two workloads that talk all the time cost one row update per
 * interval, not one per transaction (up to 20 a second). The map thus
 * trails the stored flows by at most a commit interval, and equals them
 * once the run has stopped.
 *
 * Each sum holds what committed transactions added but did not write
 * (carried) and what the open transaction adds (round): a transaction
 * that is rolled back is stored again whole, so its part is dropped, and
 * one that commits folds it in or, for the sums it wrote, clears both.
 */
#include "monitor_int.h"

#include <stdlib.h>
#include <string.h>

#include "segwatch/grow.h"
#include "segwatch/hash.h"

#define MINUTE_NS 60000000000ull

/* What flows add to an edge's row. */
struct edge_delta {
	uint64_t flows, bytes;
	bool denied;
	int64_t violation_id;    /* the latest, 0: none */
};

struct edge_sum {
	struct sw_store_edge_minute key; /* src, dst point into text; counts unused */
	uint64_t hash;
	char *text;              /* NULL: an empty slot */
	struct edge_delta carried, round;
	uint64_t written_ns;     /* monotonic: last written, 0: never */
	bool writing;            /* written in the open transaction */
};

struct monitor_edges {
	struct edge_sum *slots;  /* open addressing, linear probing */
	size_t cap, used;
};

static uint64_t hash_key(uint64_t minute, const char *src, const char *dst, uint8_t proto,
                         uint16_t port)
{
	return sw_hash_two_strings(SW_HASH_SEED ^ minute ^ ((uint64_t)proto << 16 | port) << 40,
	                           src, dst);
}

struct monitor_edges *sw_monitor_edges_new(void)
{
	return calloc(1, sizeof(struct monitor_edges));
}

void sw_monitor_edges_free(struct monitor_edges *me)
{
	if (me == NULL)
		return;
	for (size_t i = 0; i < me->cap; i++)
		free(me->slots[i].text);
	free(me->slots);
	free(me);
}

static bool same_key(const struct edge_sum *s, uint64_t h, const struct sw_store_edge_minute *e)
{
	return s->hash == h && s->key.minute_ns == e->minute_ns && s->key.proto == e->proto &&
	       s->key.port == e->port && strcmp(s->key.src, e->src) == 0 &&
	       strcmp(s->key.dst, e->dst) == 0;
}

/* After a commit, a sum with nothing carried that was last written an
 * interval ago is like a new one (it would be written at once): it can go,
 * so the table holds about the edges of the last interval. */
static bool spent(const struct edge_sum *s, uint64_t now_ns, uint64_t interval_ns)
{
	return s->carried.flows == 0 && now_ns - s->written_ns >= interval_ns;
}

/* Moves the sums into a table of cap slots, leaving out (and freeing) the
 * spent ones when interval_ns is not 0. False when out of memory (the
 * table is then unchanged). */
static bool rebuild(struct monitor_edges *me, size_t cap, uint64_t now_ns, uint64_t interval_ns)
{
	struct edge_sum *slots = calloc(cap, sizeof(*slots));

	if (slots == NULL)
		return false;
	me->used = 0;
	for (size_t i = 0; i < me->cap; i++) {
		struct edge_sum *s = &me->slots[i];
		size_t j = s->hash & (cap - 1);

		if (s->text == NULL)
			continue;
		if (interval_ns != 0 && spent(s, now_ns, interval_ns)) {
			free(s->text);
			continue;
		}
		while (slots[j].text != NULL)
			j = (j + 1) & (cap - 1);
		slots[j] = *s;
		me->used++;
	}
	free(me->slots);
	me->slots = slots;
	me->cap = cap;
	return true;
}

/* A new slot's copy of e's key; false when out of memory. */
static bool fill_slot(struct edge_sum *s, uint64_t h, const struct sw_store_edge_minute *e)
{
	size_t ls = strlen(e->src) + 1, ld = strlen(e->dst) + 1;
	char *text = malloc(ls + ld);

	if (text == NULL)
		return false;
	memcpy(text, e->src, ls);
	memcpy(text + ls, e->dst, ld);
	*s = (struct edge_sum){ .key = *e, .hash = h, .text = text };
	s->key.src = text;
	s->key.dst = text + ls;
	return true;
}

static void delta_merge(struct edge_delta *into, const struct edge_delta *d)
{
	into->flows += d->flows;
	into->bytes += d->bytes;
	into->denied = into->denied || d->denied;
	if (d->violation_id != 0)
		into->violation_id = d->violation_id;
}

static void delta_add(struct edge_delta *d, const struct sw_store_edge_minute *e)
{
	const struct edge_delta one = { .flows = e->flows, .bytes = e->bytes, .denied = e->denied,
	                                .violation_id = e->violation_id };

	delta_merge(d, &one);
}

bool sw_monitor_edges_add(struct monitor_edges *me, const struct sw_store_edge_minute *e)
{
	uint64_t h = hash_key(e->minute_ns, e->src, e->dst, e->proto, e->port);
	size_t j;

	if ((me->used + 1) * 2 > me->cap && !rebuild(me, me->cap ? me->cap * 2 : 1024, 0, 0))
		return false;
	for (j = h & (me->cap - 1); me->slots[j].text != NULL; j = (j + 1) & (me->cap - 1))
		if (same_key(&me->slots[j], h, e)) {
			delta_add(&me->slots[j].round, e);
			return true;
		}
	if (!fill_slot(&me->slots[j], h, e))
		return false;
	me->used++;
	delta_add(&me->slots[j].round, e);
	return true;
}

/* Both parts of a sum, as one row's addition. */
static struct sw_store_edge_minute pending_row(const struct edge_sum *s)
{
	struct sw_store_edge_minute row = s->key;
	struct edge_delta sum = s->carried;

	delta_merge(&sum, &s->round);
	row.flows = sum.flows;
	row.bytes = sum.bytes;
	row.denied = sum.denied;
	row.violation_id = sum.violation_id;
	return row;
}

enum sw_status sw_monitor_edges_store(struct monitor_edges *me, struct sw_store *st,
                                      uint64_t now_ns, uint64_t interval_ns, size_t *written,
                                      struct sw_err *err)
{
	enum sw_status status = SW_OK;

	*written = 0;
	for (size_t i = 0; status == SW_OK && i < me->cap; i++) {
		struct edge_sum *s = &me->slots[i];
		struct sw_store_edge_minute row;

		if (s->text == NULL)
			continue;
		row = pending_row(s);
		if (row.flows == 0)
			continue;
		if (s->written_ns != 0 && now_ns - s->written_ns < interval_ns)
			continue; /* written lately: what it adds waits */
		status = sw_store_add_edge_minute(st, &row, err);
		s->writing = status == SW_OK;
		*written += s->writing;
	}
	return status;
}

void sw_monitor_edges_committed(struct monitor_edges *me, uint64_t now_ns, uint64_t interval_ns)
{
	size_t spent_n = 0;

	for (size_t i = 0; i < me->cap; i++) {
		struct edge_sum *s = &me->slots[i];

		if (s->text == NULL)
			continue;
		if (s->writing) {
			memset(&s->carried, 0, sizeof(s->carried));
			s->written_ns = now_ns;
		} else {
			delta_merge(&s->carried, &s->round);
		}
		memset(&s->round, 0, sizeof(s->round));
		s->writing = false;
		spent_n += spent(s, now_ns, interval_ns);
	}
	/* at most as often as the table fills up with spent sums; without the
	 * memory, they stay until the next time */
	if (spent_n * 2 > me->used)
		(void)rebuild(me, me->cap, now_ns, interval_ns);
}

void sw_monitor_edges_rolled_back(struct monitor_edges *me)
{
	for (size_t i = 0; i < me->cap; i++) {
		memset(&me->slots[i].round, 0, sizeof(me->slots[i].round));
		me->slots[i].writing = false;
	}
}

uint64_t sw_monitor_edges_minute(uint64_t last_ns)
{
	return last_ns - last_ns % MINUTE_NS;
}
