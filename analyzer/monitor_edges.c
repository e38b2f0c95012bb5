/*
 * monitor_edges.c - the writer's sums for the service map: the flows of a
 * batch are added up per (minute of the last packet, source identity,
 * destination identity, protocol, destination port) in memory, and the
 * sums are added to the store's edge_minutes rows in the batch's
 * transaction. A batch's traffic between the same two workloads is then
 * one row update, not one per flow.
 */
#include "monitor_int.h"

#include <stdlib.h>
#include <string.h>

#include "segwatch/grow.h"

#define MINUTE_NS 60000000000ull

struct edge_sum {
	struct sw_store_edge_minute e;  /* src, dst point into text */
	uint64_t hash;
	char *text;
};

struct monitor_edges {
	struct edge_sum *slots;          /* open addressing; text NULL: empty */
	size_t cap, used;
};

static uint64_t hash_key(uint64_t minute, const char *src, const char *dst, uint8_t proto,
                         uint16_t port)
{
	uint64_t h = 1469598103934665603ull ^ minute ^ ((uint64_t)proto << 16 | port) << 40;

	for (const char *p = src; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	h = (h ^ 0xff) * 1099511628211ull;
	for (const char *p = dst; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	return h ^ (h >> 29);
}

struct monitor_edges *sw_monitor_edges_new(void)
{
	return calloc(1, sizeof(struct monitor_edges));
}

void sw_monitor_edges_clear(struct monitor_edges *me)
{
	for (size_t i = 0; i < me->cap; i++) {
		free(me->slots[i].text);
		me->slots[i].text = NULL;
	}
	me->used = 0;
}

void sw_monitor_edges_free(struct monitor_edges *me)
{
	if (me == NULL)
		return;
	sw_monitor_edges_clear(me);
	free(me->slots);
	free(me);
}

static bool same_key(const struct edge_sum *s, uint64_t h, const struct sw_store_edge_minute *e)
{
	return s->hash == h && s->e.minute_ns == e->minute_ns && s->e.proto == e->proto &&
	       s->e.port == e->port && strcmp(s->e.src, e->src) == 0 &&
	       strcmp(s->e.dst, e->dst) == 0;
}

static bool rehash(struct monitor_edges *me)
{
	size_t cap = me->cap ? me->cap * 2 : 1024;
	struct edge_sum *slots = calloc(cap, sizeof(*slots));

	if (slots == NULL)
		return false;
	for (size_t i = 0; i < me->cap; i++) {
		struct edge_sum *s = &me->slots[i];
		size_t j = s->hash & (cap - 1);

		if (s->text == NULL)
			continue;
		while (slots[j].text != NULL)
			j = (j + 1) & (cap - 1);
		slots[j] = *s;
	}
	free(me->slots);
	me->slots = slots;
	me->cap = cap;
	return true;
}

/* A new slot's copy of e's strings; false when out of memory. */
static bool fill_slot(struct edge_sum *s, uint64_t h, const struct sw_store_edge_minute *e)
{
	size_t ls = strlen(e->src) + 1, ld = strlen(e->dst) + 1;

	s->text = malloc(ls + ld);
	if (s->text == NULL)
		return false;
	memcpy(s->text, e->src, ls);
	memcpy(s->text + ls, e->dst, ld);
	s->e = *e;
	s->e.src = s->text;
	s->e.dst = s->text + ls;
	s->hash = h;
	return true;
}

bool sw_monitor_edges_add(struct monitor_edges *me, const struct sw_store_edge_minute *e)
{
	uint64_t h = hash_key(e->minute_ns, e->src, e->dst, e->proto, e->port);
	size_t j;

	if ((me->used + 1) * 2 > me->cap && !rehash(me))
		return false;
	for (j = h & (me->cap - 1); me->slots[j].text != NULL; j = (j + 1) & (me->cap - 1)) {
		struct edge_sum *s = &me->slots[j];
		if (!same_key(s, h, e))
			continue;
		s->e.flows += e->flows;
		s->e.bytes += e->bytes;
		s->e.denied = s->e.denied || e->denied;
		if (e->violation_id != 0)
			s->e.violation_id = e->violation_id;
		return true;
	}
	if (!fill_slot(&me->slots[j], h, e))
		return false;
	me->used++;
	return true;
}

enum sw_status sw_monitor_edges_store(const struct monitor_edges *me, struct sw_store *st,
                                      struct sw_err *err)
{
	enum sw_status status = SW_OK;

	for (size_t i = 0; status == SW_OK && i < me->cap; i++)
		if (me->slots[i].text != NULL)
			status = sw_store_add_edge_minute(st, &me->slots[i].e, err);
	return status;
}

uint64_t sw_monitor_edges_minute(uint64_t last_ns)
{
	return last_ns - last_ns % MINUTE_NS;
}
