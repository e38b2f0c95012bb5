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
	char *text;              /* the key's strings, in one allocation */
	struct edge_delta carried, round;
	uint64_t written_ns;     /* monotonic: last written, 0: never */
	bool writing;            /* written in the open transaction */
};

/* The sums lie in one dense array, which every pass walks (a round's map
 * rows, its commit); a small open-addressing index (linear probing) finds
 * them by key. Growing or compacting rewrites only the index: 4 bytes a
 * slot, where rehashing the sums themselves moved ~180 bytes each, into
 * fresh pages whose first touch was a read (each then faulted twice and
 * flushed the capture thread's TLB). */
struct monitor_edges {
	struct edge_sum *sums;
	size_t n, sums_cap;
	uint32_t *index;         /* 0: empty slot, else the sum's position + 1 */
	size_t index_cap;        /* a power of two, at least twice n */
};

/* Index slots are uint32_t: at most this many sums. */
#define EDGES_MAX (UINT32_MAX / 4)

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
	for (size_t i = 0; i < me->n; i++)
		free(me->sums[i].text);
	free(me->sums);
	free(me->index);
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

/* Enters every sum into an empty index of index_cap slots. */
static void reindex(struct monitor_edges *me)
{
	size_t mask = me->index_cap - 1;

	for (size_t i = 0; i < me->n; i++) {
		size_t j = me->sums[i].hash & mask;

		while (me->index[j] != 0)
			j = (j + 1) & mask;
		me->index[j] = (uint32_t)(i + 1);
	}
}

/* Room in the index for one more sum; false when out of memory (the table
 * is then unchanged). */
static bool index_room(struct monitor_edges *me)
{
	size_t cap = me->index_cap ? me->index_cap : 1024;
	uint32_t *index;

	if ((me->n + 1) * 2 <= me->index_cap)
		return true;
	while ((me->n + 1) * 2 > cap)
		cap *= 2;
	if (me->n + 1 > EDGES_MAX || (index = calloc(cap, sizeof(*index))) == NULL)
		return false;
	free(me->index);
	me->index = index;
	me->index_cap = cap;
	reindex(me);
	return true;
}

/* Frees the spent sums, closes the gaps in the array and rebuilds the
 * index in place. */
static void drop_spent(struct monitor_edges *me, uint64_t now_ns, uint64_t interval_ns)
{
	size_t kept = 0;

	for (size_t i = 0; i < me->n; i++) {
		if (spent(&me->sums[i], now_ns, interval_ns))
			free(me->sums[i].text);
		else
			me->sums[kept++] = me->sums[i];
	}
	me->n = kept;
	memset(me->index, 0, me->index_cap * sizeof(*me->index));
	reindex(me);
}

/* A new sum's copy of e's key; false when out of memory. */
static bool fill_sum(struct edge_sum *s, uint64_t h, const struct sw_store_edge_minute *e)
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
	size_t j, mask;

	if (!index_room(me))
		return false;
	mask = me->index_cap - 1;
	for (j = h & mask; me->index[j] != 0; j = (j + 1) & mask) {
		struct edge_sum *s = &me->sums[me->index[j] - 1];
		if (same_key(s, h, e)) {
			delta_add(&s->round, e);
			return true;
		}
	}
	if (!sw_grow((void **)&me->sums, &me->sums_cap, me->n + 1, sizeof(*me->sums)) ||
	    !fill_sum(&me->sums[me->n], h, e))
		return false;
	delta_add(&me->sums[me->n].round, e);
	me->index[j] = (uint32_t)++me->n;
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

/* Whether a sum adding flows is to be written now: not when it was
 * written less than interval_ns ago (what it adds then waits). */
static bool due(const struct edge_sum *s, uint64_t flows, uint64_t now_ns, uint64_t interval_ns)
{
	return flows > 0 && (s->written_ns == 0 || now_ns - s->written_ns >= interval_ns);
}

bool sw_monitor_edges_due(const struct monitor_edges *me, uint64_t now_ns, uint64_t interval_ns)
{
	for (size_t i = 0; i < me->n; i++)
		if (due(&me->sums[i], me->sums[i].carried.flows + me->sums[i].round.flows, now_ns,
		        interval_ns))
			return true;
	return false;
}

enum sw_status sw_monitor_edges_store(struct monitor_edges *me, struct sw_store *st,
                                      uint64_t now_ns, uint64_t interval_ns, size_t *written,
                                      struct sw_err *err)
{
	enum sw_status status = SW_OK;

	*written = 0;
	for (size_t i = 0; status == SW_OK && i < me->n; i++) {
		struct edge_sum *s = &me->sums[i];
		struct sw_store_edge_minute row = pending_row(s);

		if (!due(s, row.flows, now_ns, interval_ns))
			continue;
		status = sw_store_add_edge_minute(st, &row, err);
		s->writing = status == SW_OK;
		*written += s->writing;
	}
	return status;
}

void sw_monitor_edges_committed(struct monitor_edges *me, uint64_t now_ns, uint64_t interval_ns)
{
	size_t spent_n = 0;

	for (size_t i = 0; i < me->n; i++) {
		struct edge_sum *s = &me->sums[i];

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
	if (spent_n * 2 > me->n)
		drop_spent(me, now_ns, interval_ns);
}

void sw_monitor_edges_rolled_back(struct monitor_edges *me)
{
	for (size_t i = 0; i < me->n; i++) {
		memset(&me->sums[i].round, 0, sizeof(me->sums[i].round));
		me->sums[i].writing = false;
	}
}

uint64_t sw_monitor_edges_minute(uint64_t last_ns)
{
	return last_ns - last_ns % MINUTE_NS;
}
