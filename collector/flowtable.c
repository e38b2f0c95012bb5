/*
 * flowtable.c - the bidirectional flow table (see include/segwatch/flowtable.h).
 *
 * Layout: a preallocated pool of entries addressed by 32-bit index, a
 * bucket array of chain heads (separate chaining through entry.hnext) and
 * one intrusive doubly linked list per timeout class in last-seen order.
 * Free entries are chained through hnext. Pool pages never used are never
 * touched, so a large capacity costs memory only as flows arrive.
 *
 * Active-timeout updates are driven by the flow's own packets: a packet
 * that arrives an active interval or more after the last update (or the
 * start) first emits an update with the counters so far. A flow that has
 * gone quiet gets no update; it ends by its idle timeout.
 */
#include "segwatch/flowtable.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "flowtable_frag.h"

#define NIL UINT32_MAX

/* Canonical key: side a is the lower (address, port) tuple, so both
 * directions of a conversation hash and compare equal. */
struct ft_key {
	struct sw_addr a, b;
	uint16_t pa, pb;
	uint32_t vlan_proto;   /* outer VLAN << 20 | inner VLAN << 8 | protocol */
};

_Static_assert(sizeof(struct ft_key) == 40, "every byte of a key is a field (no padding)");

struct ft_list {
	uint32_t head, tail;
};

/* The first 64 bytes hold everything a lookup and a list move touch, so
 * the common packet costs one cache line of the entry plus its counters. */
struct __attribute__((aligned(64))) ft_entry {
	uint32_t hnext;
	uint8_t cls;             /* enum sw_flow_class, or CLS_FREE */
	uint8_t init_is_a : 1;   /* the initiator is key side a */
	uint8_t syn_seen : 1;    /* pure SYN seen from the initiator */
	uint8_t synack_seen : 1;
	uint8_t fin_mask : 2;    /* bit d: FIN seen in direction d */
	uint8_t rst_mask : 2;
	uint16_t spare;
	struct ft_key key;
	uint32_t cprev, cnext;   /* class list */
	uint64_t last_export_ns; /* start, or the last update */
	/* second cache line on */
	struct sw_flow flow;
};

_Static_assert(offsetof(struct ft_entry, flow) == 64,
               "the hot part of a flow entry must fill one cache line");

#define CLS_FREE 0xff
/* The bucket array starts small (cache-friendly for a few thousand flows)
 * and doubles whenever the flows outnumber the buckets. */
#define MIN_BUCKETS 4096u
/* Quiet flows are looked for at most once per millisecond of packet time,
 * so one may end up to 1 ms (of capture time) after its timeout; a flow
 * that receives a packet is checked exactly (flow_is_over). */
#define CHECK_INTERVAL_NS 1000000ull

struct sw_flowtable {
	struct sw_flowtable_config cfg;
	sw_flow_fn fn;
	void *ctx;
	struct ft_entry *pool;
	uint32_t *buckets;
	uint32_t bucket_mask;
	uint32_t free_head;
	uint32_t next_unused;    /* pool entries never used yet start here */
	struct ft_list cls[SW_CLASS_COUNT];
	struct sw_frag_cache *frags;
	uint64_t seed;
	uint64_t now_ns;
	uint64_t next_check_ns;  /* packets before this time skip expiry checks */
	uint64_t next_id;
	struct sw_flowtable_stats st;
};

void sw_flowtable_config_default(struct sw_flowtable_config *cfg)
{
	const uint64_t s = 1000000000ull;

	memset(cfg, 0, sizeof(*cfg));
	cfg->max_flows = 1u << 20;
	cfg->idle_ns[SW_CLASS_TCP] = 300 * s;
	cfg->idle_ns[SW_CLASS_TCP_CLOSED] = 5 * s;
	cfg->idle_ns[SW_CLASS_UDP] = 60 * s;
	cfg->idle_ns[SW_CLASS_ICMP] = 60 * s;
	cfg->idle_ns[SW_CLASS_OTHER] = 60 * s;
	cfg->active_ns = 60 * s;
	cfg->max_fragments = 1u << 16;
}

/* ---- lists ------------------------------------------------------------ */

#define LIST_OPS(NAME, PREV, NEXT)                                             \
	static void NAME##_unlink(struct sw_flowtable *ft, struct ft_list *l,  \
	                          uint32_t i)                                  \
	{                                                                      \
		struct ft_entry *e = &ft->pool[i];                             \
		if (e->PREV != NIL)                                            \
			ft->pool[e->PREV].NEXT = e->NEXT;                      \
		else                                                           \
			l->head = e->NEXT;                                     \
		if (e->NEXT != NIL)                                            \
			ft->pool[e->NEXT].PREV = e->PREV;                      \
		else                                                           \
			l->tail = e->PREV;                                     \
		e->PREV = e->NEXT = NIL;                                       \
	}                                                                      \
	static void NAME##_append(struct sw_flowtable *ft, struct ft_list *l,  \
	                          uint32_t i)                                  \
	{                                                                      \
		struct ft_entry *e = &ft->pool[i];                             \
		e->PREV = l->tail;                                             \
		e->NEXT = NIL;                                                 \
		if (l->tail != NIL)                                            \
			ft->pool[l->tail].NEXT = i;                            \
		else                                                           \
			l->head = i;                                           \
		l->tail = i;                                                   \
	}

LIST_OPS(cls, cprev, cnext)

static void list_init(struct ft_list *l)
{
	l->head = l->tail = NIL;
}

/* ---- keys and hashing -------------------------------------------------- */


static bool proto_has_ports(uint8_t proto)
{
	return proto == SW_PROTO_TCP || proto == SW_PROTO_UDP || proto == SW_PROTO_SCTP;
}

static bool proto_is_icmp(uint8_t proto)
{
	return proto == SW_PROTO_ICMP || proto == SW_PROTO_ICMPV6;
}

/* Maps an ICMP reply type to its request type so that both directions of
 * an exchange share a key; *is_reply tells which one the packet was. */
static uint16_t icmp_request_type(uint8_t proto, uint16_t type, bool *is_reply)
{
	static const uint8_t v4_pairs[][2] = {{0, 8}, {14, 13}, {16, 15}, {18, 17}};

	*is_reply = false;
	if (proto == SW_PROTO_ICMPV6) {
		if (type == 129) {
			*is_reply = true;
			return 128;
		}
		return type;
	}
	for (size_t i = 0; i < SW_ARRAY_SIZE(v4_pairs); i++) {
		if (type == v4_pairs[i][0]) {
			*is_reply = true;
			return v4_pairs[i][1];
		}
	}
	return type;
}




/* A packet's flow identity in its own direction. Lookups compare and hash
 * these fields where the decoder left them, rather than a canonical key
 * built first: reading back a key just assembled from narrow stores
 * stalls store forwarding on every packet. */
struct ft_tuple {
	const struct sw_addr *src, *dst;
	uint16_t sport, dport;
	uint32_t vlan_proto;
};

static uint32_t vlan_proto_of(const uint16_t *vlan, uint8_t proto)
{
	return (uint32_t)(vlan[0] & 0xfff) << 20 | (uint32_t)(vlan[1] & 0xfff) << 8 | proto;
}

static void tuple_make(struct ft_tuple *t, const struct sw_addr *src, uint16_t sport,
                       const struct sw_addr *dst, uint16_t dport, uint8_t proto,
                       const uint16_t *vlan)
{
	t->src = src;
	t->dst = dst;
	t->sport = sport;
	t->dport = dport;
	t->vlan_proto = vlan_proto_of(vlan, proto);
}

static uint64_t side_hash(uint64_t seed, const struct sw_addr *a, uint64_t port)
{
	uint64_t x, y, h;

	memcpy(&x, a->b, 8);
	memcpy(&y, a->b + 8, 8);
	h = (x ^ seed) * 0x9e3779b97f4a7c15ull;
	h ^= h >> 29;
	h = (h ^ y ^ (port << 40)) * 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 31);
}

/* Order-independent: both directions of a conversation hash alike. ICMP
 * type and code describe the exchange, not a side. */
static uint64_t hash_parts(const struct sw_flowtable *ft, const struct sw_addr *a,
                           uint16_t pa, const struct sw_addr *b, uint16_t pb,
                           uint32_t vlan_proto)
{
	uint64_t extra = vlan_proto;
	uint64_t h;

	if (!proto_has_ports((uint8_t)vlan_proto)) {
		extra |= (uint64_t)pa << 32 | (uint64_t)pb << 48;
		pa = pb = 0;
	}
	h = side_hash(ft->seed, a, pa) + side_hash(ft->seed, b, pb);
	h = (h ^ extra) * 0x94d049bb133111ebull;
	return h ^ (h >> 32);
}

static uint64_t key_hash(const struct sw_flowtable *ft, const struct ft_key *k)
{
	return hash_parts(ft, &k->a, k->pa, &k->b, k->pb, k->vlan_proto);
}

static uint64_t tuple_hash(const struct sw_flowtable *ft, const struct ft_tuple *t)
{
	return hash_parts(ft, t->src, t->sport, t->dst, t->dport, t->vlan_proto);
}

static bool addr_eq(const struct sw_addr *x, const struct sw_addr *y)
{
	return memcmp(x->b, y->b, 16) == 0;
}

/* 1: the tuple is k seen from side a; 2: from side b; 0: another flow. */
static int tuple_match(const struct ft_key *k, const struct ft_tuple *t)
{
	if (k->vlan_proto != t->vlan_proto)
		return 0;
	if (!proto_has_ports((uint8_t)t->vlan_proto)) {
		if (k->pa != t->sport || k->pb != t->dport)
			return 0;
		if (addr_eq(&k->a, t->src) && addr_eq(&k->b, t->dst))
			return 1;
		return addr_eq(&k->a, t->dst) && addr_eq(&k->b, t->src) ? 2 : 0;
	}
	if (k->pa == t->sport && k->pb == t->dport && addr_eq(&k->a, t->src) &&
	    addr_eq(&k->b, t->dst))
		return 1;
	if (k->pa == t->dport && k->pb == t->sport && addr_eq(&k->a, t->dst) &&
	    addr_eq(&k->b, t->src))
		return 2;
	return 0;
}

/* Builds the canonical key of a tuple: side a is the lower (address, port);
 * returns true when the tuple's sender is side a (as tuple_match says). */
static bool key_make(struct ft_key *k, const struct ft_tuple *t)
{
	int c = sw_addr_cmp(t->src, t->dst);
	bool ports = proto_has_ports((uint8_t)t->vlan_proto);
	bool from_a = ports ? (c < 0 || (c == 0 && t->sport <= t->dport)) : c <= 0;

	k->vlan_proto = t->vlan_proto;
	k->a = from_a ? *t->src : *t->dst;
	k->b = from_a ? *t->dst : *t->src;
	if (ports) {
		k->pa = from_a ? t->sport : t->dport;
		k->pb = from_a ? t->dport : t->sport;
	} else {
		k->pa = t->sport;
		k->pb = t->dport;
	}
	return from_a;
}

static uint32_t lookup(const struct sw_flowtable *ft, const struct ft_tuple *t, uint64_t h,
                       bool *from_a)
{
	for (uint32_t i = ft->buckets[h & ft->bucket_mask]; i != NIL; i = ft->pool[i].hnext) {
		int m = tuple_match(&ft->pool[i].key, t);
		if (m != 0) {
			*from_a = m == 1;
			return i;
		}
	}
	return NIL;
}

/* ---- lifecycle ----------------------------------------------------------- */

static uint32_t round_pow2(uint32_t n)
{
	uint32_t p = 1;
	while (p < n && p < (1u << 31))
		p <<= 1;
	return p;
}

struct sw_flowtable *sw_flowtable_new(const struct sw_flowtable_config *cfg,
                                      sw_flow_fn fn, void *ctx, struct sw_err *err)
{
	struct sw_flowtable *ft;
	uint32_t nb;

	if (cfg->max_flows == 0 || cfg->max_flows >= NIL) {
		sw_err_set(err, SW_ERR_INVALID, NULL, 0, 0,
		           "max flows must be between 1 and %u, got %u", NIL - 1, cfg->max_flows);
		return NULL;
	}
	for (int c = 0; c < SW_CLASS_COUNT; c++) {
		if (cfg->idle_ns[c] == 0) {
			sw_err_set(err, SW_ERR_INVALID, NULL, 0, 0, "idle timeouts must be positive");
			return NULL;
		}
	}
	ft = calloc(1, sizeof(*ft));
	nb = round_pow2(cfg->max_flows < MIN_BUCKETS ? cfg->max_flows : MIN_BUCKETS);
	if (ft != NULL) {
		/* not zeroed: an entry is cleared when first used, and pages
		 * never used are never touched */
		ft->pool = aligned_alloc(64, (size_t)cfg->max_flows * sizeof(*ft->pool));
		ft->buckets = malloc((size_t)nb * sizeof(*ft->buckets));
		ft->frags = sw_frag_cache_new(cfg->max_fragments);
	}
	if (ft == NULL || ft->pool == NULL || ft->buckets == NULL || ft->frags == NULL) {
		sw_flowtable_free(ft);
		sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0,
		           "cannot allocate a flow table of %u flows", cfg->max_flows);
		return NULL;
	}
	ft->cfg = *cfg;
	ft->fn = fn;
	ft->ctx = ctx;
	memset(ft->buckets, 0xff, (size_t)nb * sizeof(*ft->buckets));
	ft->bucket_mask = nb - 1;
	ft->free_head = NIL;
	for (int c = 0; c < SW_CLASS_COUNT; c++)
		list_init(&ft->cls[c]);
	if (getrandom(&ft->seed, sizeof(ft->seed), 0) != (ssize_t)sizeof(ft->seed))
		ft->seed = 0x2545f4914f6cdd1dull ^ (uint64_t)(uintptr_t)ft;
	ft->next_id = 1;
	return ft;
}

void sw_flowtable_free(struct sw_flowtable *ft)
{
	if (ft == NULL)
		return;
	sw_frag_cache_free(ft->frags);
	free(ft->pool);
	free(ft->buckets);
	free(ft);
}

/* ---- state --------------------------------------------------------------- */

static enum sw_tcp_state tcp_state(const struct ft_entry *e)
{
	if (e->rst_mask) {
		if (e->syn_seen && !e->synack_seen)
			return (e->rst_mask & 2) ? SW_TCP_REJECTED : SW_TCP_ATTEMPTED;
		return SW_TCP_RESET;
	}
	if (e->fin_mask == 3)
		return SW_TCP_CLOSED;
	if (!e->syn_seen)
		return SW_TCP_MIDSTREAM;
	return e->synack_seen ? SW_TCP_ESTABLISHED : SW_TCP_ATTEMPTED;
}

static void emit(struct sw_flowtable *ft, struct ft_entry *e, enum sw_flow_event ev,
                 enum sw_flow_end why)
{
	if (e->flow.proto == SW_PROTO_TCP) {
		e->flow.tcp_state = tcp_state(e);
		e->flow.midstream = !e->syn_seen;
	}
	if (ft->fn != NULL)
		ft->fn(ft->ctx, ev, why, &e->flow);
}

static void hash_remove(struct sw_flowtable *ft, uint32_t i)
{
	uint32_t *link = &ft->buckets[key_hash(ft, &ft->pool[i].key) & ft->bucket_mask];

	while (*link != i)
		link = &ft->pool[*link].hnext;
	*link = ft->pool[i].hnext;
}

static void flow_end(struct sw_flowtable *ft, uint32_t i, enum sw_flow_end why)
{
	struct ft_entry *e = &ft->pool[i];

	emit(ft, e, SW_FLOW_END, why);
	hash_remove(ft, i);
	cls_unlink(ft, &ft->cls[e->cls], i);
	e->cls = CLS_FREE;
	e->hnext = ft->free_head;
	ft->free_head = i;
	ft->st.flows_ended++;
	ft->st.flows_active--;
}

static enum sw_flow_end closed_reason(const struct ft_entry *e)
{
	return e->rst_mask ? SW_END_TCP_RESET : SW_END_TCP_CLOSE;
}

static enum sw_flow_end idle_reason(const struct ft_entry *e)
{
	return e->cls == SW_CLASS_TCP_CLOSED ? closed_reason(e) : SW_END_IDLE;
}

static void evict_one(struct sw_flowtable *ft)
{
	uint32_t victim = NIL;

	for (int c = 0; c < SW_CLASS_COUNT; c++) {
		uint32_t h = ft->cls[c].head;
		if (h != NIL && (victim == NIL ||
		                 ft->pool[h].flow.last_ns < ft->pool[victim].flow.last_ns))
			victim = h;
	}
	if (victim != NIL) {
		ft->st.flows_evicted++;
		flow_end(ft, victim, SW_END_EVICTED);
	}
}

static uint32_t entry_alloc(struct sw_flowtable *ft)
{
	uint32_t i;

	if (ft->free_head == NIL && ft->next_unused == ft->cfg.max_flows)
		evict_one(ft);
	if (ft->free_head != NIL) {
		i = ft->free_head;
		ft->free_head = ft->pool[i].hnext;
	} else {
		i = ft->next_unused++;
	}
	return i;
}

static enum sw_flow_class class_of(uint8_t proto)
{
	if (proto == SW_PROTO_TCP)
		return SW_CLASS_TCP;
	if (proto == SW_PROTO_UDP)
		return SW_CLASS_UDP;
	if (proto_is_icmp(proto))
		return SW_CLASS_ICMP;
	return SW_CLASS_OTHER;
}

/* Doubles the bucket array and rehashes every live flow into it. On
 * allocation failure the table keeps working with longer chains. */
static void buckets_grow(struct sw_flowtable *ft)
{
	uint32_t nb = (ft->bucket_mask + 1) * 2;
	uint32_t *b = malloc((size_t)nb * sizeof(*b));

	if (b == NULL)
		return;
	memset(b, 0xff, (size_t)nb * sizeof(*b));
	for (uint32_t i = 0; i < ft->next_unused; i++) {
		struct ft_entry *e = &ft->pool[i];
		if (e->cls == CLS_FREE)
			continue;
		uint32_t slot = (uint32_t)key_hash(ft, &e->key) & (nb - 1);
		e->hnext = b[slot];
		b[slot] = i;
	}
	free(ft->buckets);
	ft->buckets = b;
	ft->bucket_mask = nb - 1;
}

/* Creates a flow for key k; sender_is_a tells which side sent the first
 * packet, initiator_is_sender whether that sender is the initiator. */
static uint32_t flow_create(struct sw_flowtable *ft, const struct ft_key *k, uint64_t h,
                            bool sender_is_a, bool initiator_is_sender, uint64_t ts)
{
	if (ft->st.flows_active >= ft->bucket_mask + 1 && ft->bucket_mask < (1u << 30))
		buckets_grow(ft); /* h stays valid: only the mask changes */

	uint32_t i = entry_alloc(ft);
	struct ft_entry *e = &ft->pool[i];
	bool init_is_a = sender_is_a == initiator_is_sender;
	uint8_t proto = (uint8_t)(k->vlan_proto & 0xff);
	memset(e, 0, sizeof(*e));
	e->key = *k;
	e->init_is_a = init_is_a;
	e->hnext = ft->buckets[h & ft->bucket_mask];
	ft->buckets[h & ft->bucket_mask] = i;
	e->cls = (uint8_t)class_of(proto);
	cls_append(ft, &ft->cls[e->cls], i);
	e->last_export_ns = ts;

	struct sw_flow *f = &e->flow;
	f->id = ft->next_id++;
	f->src = init_is_a ? k->a : k->b;
	f->dst = init_is_a ? k->b : k->a;
	if (proto_has_ports(proto)) {
		f->sport = init_is_a ? k->pa : k->pb;
		f->dport = init_is_a ? k->pb : k->pa;
	} else {
		f->sport = k->pa;
		f->dport = k->pb;
	}
	f->vlan[0] = (uint16_t)(k->vlan_proto >> 20);
	f->vlan[1] = (uint16_t)((k->vlan_proto >> 8) & 0xfff);
	f->n_vlan = (uint8_t)((f->vlan[0] != 0) + (f->vlan[1] != 0));
	f->proto = proto;
	f->first_ns = f->last_ns = ts;
	ft->st.flows_created++;
	ft->st.flows_active++;
	emit(ft, e, SW_FLOW_START, SW_END_NONE);
	return i;
}

/* Swaps initiator and responder (a SYN arrived from the side we took for
 * the responder before any SYN was seen). */
static void flow_swap(struct ft_entry *e)
{
	struct sw_flow *f = &e->flow;
	struct sw_flow_dir d = f->dir[0];
	struct sw_addr a = f->src;
	uint16_t p = f->sport;

	e->init_is_a = !e->init_is_a;
	f->dir[0] = f->dir[1];
	f->dir[1] = d;
	f->src = f->dst;
	f->dst = a;
	f->sport = f->dport;
	f->dport = p;
	e->fin_mask = (uint8_t)(((e->fin_mask & 1u) << 1) | ((e->fin_mask >> 1) & 1u)) & 3u;
	e->rst_mask = (uint8_t)(((e->rst_mask & 1u) << 1) | ((e->rst_mask >> 1) & 1u)) & 3u;
}

static void touch(struct sw_flowtable *ft, uint32_t i, uint64_t ts)
{
	struct ft_entry *e = &ft->pool[i];

	if (ts > e->flow.last_ns)
		e->flow.last_ns = ts;
	if (ft->cls[e->cls].tail != i) {
		cls_unlink(ft, &ft->cls[e->cls], i);
		cls_append(ft, &ft->cls[e->cls], i);
	}
}

/* TCP bookkeeping for a packet in direction d of flow i. */
static void tcp_update(struct sw_flowtable *ft, uint32_t i, int d, uint8_t flags)
{
	struct ft_entry *e = &ft->pool[i];
	bool pure_syn = (flags & (SW_TCP_SYN | SW_TCP_ACK)) == SW_TCP_SYN;

	if (pure_syn && !e->syn_seen) {
		if (d == 1)
			flow_swap(e);
		e->syn_seen = 1;
	}
	if ((flags & (SW_TCP_SYN | SW_TCP_ACK)) == (SW_TCP_SYN | SW_TCP_ACK) && d == 1)
		e->synack_seen = 1;
	if (flags & SW_TCP_FIN)
		e->fin_mask = (uint8_t)(e->fin_mask | (1u << d)) & 3u;
	if (flags & SW_TCP_RST)
		e->rst_mask = (uint8_t)(e->rst_mask | (1u << d)) & 3u;
	if ((e->fin_mask == 3 || e->rst_mask) && e->cls == SW_CLASS_TCP) {
		cls_unlink(ft, &ft->cls[e->cls], i);
		e->cls = SW_CLASS_TCP_CLOSED;
		cls_append(ft, &ft->cls[e->cls], i);
	}
}

/* Which side of a new flow initiates it, given its first packet. */
static bool sender_initiates(const struct sw_packet *p, bool icmp_reply)
{
	if (p->proto == SW_PROTO_TCP)
		return (p->tcp_flags & (SW_TCP_SYN | SW_TCP_ACK)) != (SW_TCP_SYN | SW_TCP_ACK);
	if (proto_is_icmp(p->proto))
		return !icmp_reply;
	return true;
}

/* Counts an ICMP error on the flow it quotes; false when there is none. */
static bool icmp_error_attach(struct sw_flowtable *ft, const struct sw_packet *p)
{
	const struct sw_quoted *q = &p->quoted;
	struct ft_tuple t;
	bool reply, from_a;
	uint16_t qs = q->sport;

	if (proto_is_icmp(q->proto))
		qs = icmp_request_type(q->proto, q->sport, &reply);
	tuple_make(&t, &q->src, qs, &q->dst, q->dport, q->proto, p->vlan);
	uint32_t i = lookup(ft, &t, tuple_hash(ft, &t), &from_a);
	if (i == NIL)
		return false;
	ft->pool[i].flow.icmp_errors++;
	ft->st.icmp_errors_matched++;
	touch(ft, i, p->ts_ns);
	return true;
}

/* Ends flow i when the packet at ts cannot belong to it: its idle time
 * passed (expiry is only checked every millisecond), or a new SYN reuses
 * the ports of a closed connection. */
static bool flow_is_over(struct sw_flowtable *ft, uint32_t i, bool new_syn, uint64_t ts)
{
	struct ft_entry *e = &ft->pool[i];

	if (e->flow.last_ns + ft->cfg.idle_ns[e->cls] <= ts) {
		flow_end(ft, i, idle_reason(e));
		return true;
	}
	if (new_syn && e->cls == SW_CLASS_TCP_CLOSED) {
		flow_end(ft, i, closed_reason(e));
		return true;
	}
	return false;
}

/* Emits an update when the packet at ts comes an active interval or more
 * after the flow's start or last update (counters before this packet). */
static void update_if_due(struct sw_flowtable *ft, uint32_t i, uint64_t ts)
{
	struct ft_entry *e = &ft->pool[i];

	if (ft->cfg.active_ns == 0 || ts < e->last_export_ns + ft->cfg.active_ns)
		return;
	e->last_export_ns = ts;
	ft->st.updates++;
	emit(ft, e, SW_FLOW_UPDATE, SW_END_ACTIVE_TIMEOUT);
}

/* sw_flowtable_add() with the packet's tuple hash when the caller already
 * computed it (hash may be NULL). */
static void add_hashed(struct sw_flowtable *ft, const struct sw_packet *p, const uint64_t *hash)
{
	struct ft_tuple t;
	struct ft_key k;
	uint16_t sport = p->sport, dport = p->dport;
	bool reply = false;

	ft->st.packets++;
	/* end what this packet's time makes due before accounting it, so a
	 * packet after an idle gap starts a new flow */
	if (p->ts_ns >= ft->next_check_ns)
		sw_flowtable_advance(ft, p->ts_ns);
	if (p->icmp_error && icmp_error_attach(ft, p))
		return;
	if (p->frag == SW_FRAG_FIRST)
		sw_frag_cache_put(ft->frags, p, &ft->st.frag_evicted);
	else if (p->frag == SW_FRAG_LATER &&
	         !sw_frag_cache_get(ft->frags, p, &sport, &dport))
		ft->st.frag_unmatched++;
	if (proto_is_icmp(p->proto))
		sport = icmp_request_type(p->proto, sport, &reply);

	tuple_make(&t, &p->src, sport, &p->dst, dport, p->proto, p->vlan);
	uint64_t h = hash != NULL ? *hash : tuple_hash(ft, &t);
	bool from_a = false;
	uint32_t i = lookup(ft, &t, h, &from_a);
	bool new_syn = p->proto == SW_PROTO_TCP &&
	               (p->tcp_flags & (SW_TCP_SYN | SW_TCP_ACK)) == SW_TCP_SYN;
	if (i != NIL && flow_is_over(ft, i, new_syn, p->ts_ns))
		i = NIL;
	if (i == NIL) {
		from_a = key_make(&k, &t);
		i = flow_create(ft, &k, h, from_a, sender_initiates(p, reply), p->ts_ns);
	} else
		update_if_due(ft, i, p->ts_ns);

	struct ft_entry *e = &ft->pool[i];
	int d = (from_a == e->init_is_a) ? 0 : 1;
	if (p->proto == SW_PROTO_TCP)
		tcp_update(ft, i, d, p->tcp_flags);
	d = (from_a == e->init_is_a) ? 0 : 1; /* a SYN may have swapped sides */
	e->flow.dir[d].pkts++;
	e->flow.dir[d].bytes += p->ip_bytes;
	e->flow.dir[d].tcp_flags |= p->tcp_flags;
	if (p->frag != SW_FRAG_NONE)
		e->flow.fragments++;
	if (p->fw != NULL && p->fw->fw.verdict > e->flow.fw.verdict)
		e->flow.fw = p->fw->fw; /* the strongest verdict, with its facts */
	touch(ft, i, p->ts_ns);
}

void sw_flowtable_advance(struct sw_flowtable *ft, uint64_t now_ns)
{
	if (now_ns > ft->now_ns)
		ft->now_ns = now_ns;
	now_ns = ft->now_ns;
	ft->next_check_ns = now_ns + CHECK_INTERVAL_NS;
	for (int c = 0; c < SW_CLASS_COUNT; c++) {
		uint64_t idle = ft->cfg.idle_ns[c];
		uint32_t h;
		while ((h = ft->cls[c].head) != NIL && ft->pool[h].flow.last_ns + idle <= now_ns)
			flow_end(ft, h, idle_reason(&ft->pool[h]));
	}
}

void sw_flowtable_flush(struct sw_flowtable *ft, enum sw_flow_end why)
{
	for (int c = 0; c < SW_CLASS_COUNT; c++) {
		while (ft->cls[c].head != NIL) {
			uint32_t h = ft->cls[c].head;
			enum sw_flow_end r = c == SW_CLASS_TCP_CLOSED ? closed_reason(&ft->pool[h]) : why;
			flow_end(ft, h, r);
		}
	}
}

void sw_flowtable_stats(const struct sw_flowtable *ft, struct sw_flowtable_stats *out)
{
	*out = ft->st;
}

const char *sw_tcp_state_name(enum sw_tcp_state s)
{
	static const char *const names[] = {
		[SW_TCP_NONE] = "none", [SW_TCP_ATTEMPTED] = "attempted",
		[SW_TCP_REJECTED] = "rejected", [SW_TCP_ESTABLISHED] = "established",
		[SW_TCP_CLOSED] = "closed", [SW_TCP_RESET] = "reset",
		[SW_TCP_MIDSTREAM] = "midstream",
	};
	return (unsigned)s < SW_ARRAY_SIZE(names) ? names[s] : "unknown";
}

const char *sw_flow_end_name(enum sw_flow_end e)
{
	static const char *const names[] = {
		[SW_END_NONE] = "none", [SW_END_TCP_CLOSE] = "tcp_close",
		[SW_END_TCP_RESET] = "tcp_reset", [SW_END_IDLE] = "idle",
		[SW_END_ACTIVE_TIMEOUT] = "active_timeout", [SW_END_EVICTED] = "evicted",
		[SW_END_OF_INPUT] = "end_of_input", [SW_END_SHUTDOWN] = "shutdown",
	};
	return (unsigned)e < SW_ARRAY_SIZE(names) ? names[e] : "unknown";
}

void sw_flowtable_add(struct sw_flowtable *ft, const struct sw_packet *p)
{
	add_hashed(ft, p, NULL);
}

/* Computes the tuple a packet will look up, for the prefetch and then the
 * lookup itself (later fragments and ICMP errors may be looked up under
 * other keys: skipped, they compute their own). */
static bool prefetch_tuple(const struct sw_packet *p, struct ft_tuple *t)
{
	uint16_t sport = p->sport;
	bool reply;

	if (p->frag == SW_FRAG_LATER || p->icmp_error)
		return false;
	if (proto_is_icmp(p->proto))
		sport = icmp_request_type(p->proto, sport, &reply);
	tuple_make(t, &p->src, sport, &p->dst, p->dport, p->proto, p->vlan);
	return true;
}

void sw_flowtable_add_batch(struct sw_flowtable *ft, const struct sw_packet *pkts, size_t n)
{
	/* software pipeline: the bucket of packet i is prefetched BUCKET_AHEAD
	 * packets before it is accounted, the entry the bucket leads to
	 * ENTRY_AHEAD packets before, so its cache lines are there in time */
	enum { BUCKET_AHEAD = 8, ENTRY_AHEAD = 4, RING = 2 * BUCKET_AHEAD };
	uint64_t hash[RING];
	bool keyed[RING];
	struct ft_tuple t;

	for (size_t i = 0; i < n + BUCKET_AHEAD; i++) {
		if (i < n) {
			keyed[i % RING] = prefetch_tuple(&pkts[i], &t);
			if (keyed[i % RING]) {
				hash[i % RING] = tuple_hash(ft, &t);
				__builtin_prefetch(&ft->buckets[hash[i % RING] & ft->bucket_mask]);
			}
		}
		size_t j = i - (BUCKET_AHEAD - ENTRY_AHEAD);
		if (i >= BUCKET_AHEAD - ENTRY_AHEAD && j < n && keyed[j % RING]) {
			uint32_t e = ft->buckets[hash[j % RING] & ft->bucket_mask];
			if (e != NIL) {
				__builtin_prefetch(&ft->pool[e]);
				__builtin_prefetch(&ft->pool[e].flow.last_ns);
			}
		}
		if (i >= BUCKET_AHEAD) {
			/* the hash computed for the prefetch serves the lookup too */
			size_t k = i - BUCKET_AHEAD;
			add_hashed(ft, &pkts[k], keyed[k % RING] ? &hash[k % RING] : NULL);
		}
	}
}
