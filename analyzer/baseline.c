/*
 * baseline.c - learned edges and the anomalies found against them (see
 * include/segwatch/baseline.h); the fan-out detector is in
 * baseline_fanout.c.
 *
 * Layout: edges live in one array in the order they were added (indices
 * never change: edges are never removed); an open-addressing index over
 * their keys (seeded hash of the identity texts, proto and port, linear
 * probing, at most half full) finds a flow's edge. Flows whose edge is
 * held are followed in a second table keyed by f->id (backward-shift
 * deletion at the end) that remembers how many of their cumulative bytes
 * were already attributed. Reported edges and addresses, and the external
 * destinations of the baseline, are sets of 64-bit keyed hashes.
 *
 * Output never depends on the hash seed: every walk is over the edge
 * array, in order.
 */
#include "segwatch/baseline.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "baseline_int.h"
#include "segwatch/flowlog.h"
#include "segwatch/grow.h"
#include "segwatch/proto.h"

#define NONE UINT32_MAX
#define SEC_NS 1000000000ull
#define VOLUME_FLOOR_BYTES 1024.0
#define VOLUME_FLOOR_RATIO 0.1

struct edge {
	char *src;               /* one allocation: src, dst, src_ns, dst_ns */
	char *dst;
	char *src_ns;            /* NULL when external */
	char *dst_ns;
	uint64_t hash;
	uint64_t first_ns, last_ns, flows, bytes;
	uint64_t intervals;
	double mean, m2;
	uint64_t cur_bytes;      /* in the open interval */
	uint16_t port;
	uint8_t proto;
	bool accepted;
	bool dirty;
};

/* A followed flow: what of its bytes its edge already has. */
struct fent {
	uint64_t id;             /* 0: empty */
	uint64_t bytes;
	uint32_t edge;
};

/* A set of 64-bit keys (0 stands for itself as 1), at most max held. */
struct u64set {
	uint64_t *slot;
	size_t size, n, max;
};

enum set_result { SET_PRESENT, SET_ADDED, SET_FULL, SET_NOMEM };

/* One side of a flow: identity text, namespace, endpoint index. */
struct side {
	const char *id;
	const char *ns;
	long ep;
	char buf[SW_ADDR_STRLEN];
};

struct sw_baseline {
	const struct sw_matcher *m;
	const struct sw_inventory *inv;
	struct sw_baseline_config cfg;
	struct sw_baseline_stats st;
	uint64_t seed;
	bool started;
	uint64_t t0, now, learn_end, ivl_start;
	struct edge *edges;
	size_t n_edges, edges_cap;
	uint32_t *index;          /* edge + 1, 0 empty */
	size_t index_size;
	uint32_t *dirty;          /* edge indices, in the order they changed */
	size_t n_dirty, dirty_cap;
	struct fent *flows;
	size_t flows_size, n_flows;
	struct u64set ext_dsts, rep_edges, rep_ext;
	struct sw_fanout *fo;
};

static const char *const kind_names[SW_ANOMALY_KIND_COUNT] = {
	[SW_ANOMALY_NEW_EDGE] = "new_edge",
	[SW_ANOMALY_VOLUME] = "volume",
	[SW_ANOMALY_NEW_EXTERNAL] = "new_external",
	[SW_ANOMALY_FANOUT] = "fanout",
};

const char *sw_anomaly_kind_name(enum sw_anomaly_kind k)
{
	return (unsigned)k < SW_ANOMALY_KIND_COUNT ? kind_names[k] : NULL;
}

enum sw_status sw_anomaly_kind_parse(const char *name, enum sw_anomaly_kind *out)
{
	for (unsigned i = 0; i < SW_ANOMALY_KIND_COUNT; i++)
		if (strcmp(name, kind_names[i]) == 0) {
			*out = (enum sw_anomaly_kind)i;
			return SW_OK;
		}
	return SW_ERR_NOTFOUND;
}

double sw_baseline_edge_stddev(const struct sw_baseline_edge *e)
{
	if (e->intervals < 2 || e->bytes_m2 <= 0)
		return 0;
	return sqrt(e->bytes_m2 / (double)(e->intervals - 1));
}

void sw_baseline_config_default(struct sw_baseline_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->learn_ns = 0;
	cfg->interval_ns = 60 * SEC_NS;
	cfg->volume_k = 3;
	cfg->min_intervals = 5;
	cfg->fanout_threshold = 50;
	cfg->fanout_window_ns = 60 * SEC_NS;
	cfg->max_edges = 262144;
	cfg->max_flows = 1048576;
	cfg->max_sources = 65536;
	cfg->max_reported = 65536;
}

/* ---- hashing and sets ---- */

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 33);
}

static uint64_t feed_str(uint64_t h, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		h = (h ^ *p) * 0x100000001b3ull;
	return (h ^ 0xff) * 0x100000001b3ull; /* the end: "a" "bc" != "ab" "c" */
}

uint64_t sw_baseline_hash_str(uint64_t seed, const char *s)
{
	uint64_t h = mix(feed_str(seed ^ 0xcbf29ce484222325ull, s));

	return h ? h : 1;
}

static uint64_t edge_hash(uint64_t seed, const char *src, const char *dst, uint8_t proto,
                          uint16_t port)
{
	uint64_t h = feed_str(feed_str(seed ^ 0xcbf29ce484222325ull, src), dst);

	h = mix(h ^ ((uint64_t)proto << 16 | port));
	return h ? h : 1;
}

static size_t set_slot(const struct u64set *s, uint64_t key)
{
	size_t mask = s->size - 1, i = (size_t)mix(key) & mask;

	while (s->slot[i] != 0 && s->slot[i] != key)
		i = (i + 1) & mask;
	return i;
}

static bool set_has(const struct u64set *s, uint64_t key)
{
	key = key ? key : 1;
	return s->size != 0 && s->slot[set_slot(s, key)] == key;
}

static bool set_grow(struct u64set *s)
{
	size_t size = s->size ? s->size * 2 : 64;
	uint64_t *old = s->slot;
	size_t old_size = s->size;

	s->slot = calloc(size, sizeof(*s->slot));
	if (s->slot == NULL) {
		s->slot = old;
		return false;
	}
	s->size = size;
	for (size_t i = 0; i < old_size; i++)
		if (old[i] != 0)
			s->slot[set_slot(s, old[i])] = old[i];
	free(old);
	return true;
}

static enum set_result set_add(struct u64set *s, uint64_t key)
{
	key = key ? key : 1;
	if (set_has(s, key))
		return SET_PRESENT;
	if (s->n >= s->max)
		return SET_FULL;
	if ((s->n + 1) * 2 > s->size && !set_grow(s))
		return SET_NOMEM;
	s->slot[set_slot(s, key)] = key;
	s->n++;
	return SET_ADDED;
}

/* ---- the handle ---- */

static enum sw_status check_size(size_t v, const char *name, struct sw_err *err)
{
	if (v == 0 || v > SW_BASELINE_LIMIT)
		return sw_err_set(err, SW_ERR_INVALID, NULL, 0, 0,
		                  "%s: expected 1 to %u, got %zu", name, SW_BASELINE_LIMIT, v);
	return SW_OK;
}

static enum sw_status check_config(const struct sw_baseline_config *c, struct sw_err *err)
{
	if (c->interval_ns == 0 || c->fanout_window_ns == 0)
		return sw_err_set(err, SW_ERR_INVALID, NULL, 0, 0,
		                  "the volume interval and the fan-out window must be longer than 0");
	if (!(c->volume_k > 0) || !isfinite(c->volume_k))
		return sw_err_set(err, SW_ERR_INVALID, NULL, 0, 0,
		                  "the volume factor k must be a positive number, got %g", c->volume_k);
	if (c->min_intervals < 2)
		return sw_err_set(err, SW_ERR_INVALID, NULL, 0, 0,
		                  "volume needs at least 2 intervals of history, got %u",
		                  c->min_intervals);
	if (c->fanout_threshold == 0 || c->fanout_threshold > SW_BASELINE_FANOUT_MAX)
		return sw_err_set(err, SW_ERR_INVALID, NULL, 0, 0,
		                  "the fan-out threshold must be 1 to %u, got %u",
		                  SW_BASELINE_FANOUT_MAX, c->fanout_threshold);
	if (check_size(c->max_edges, "max_edges", err) != SW_OK ||
	    check_size(c->max_flows, "max_flows", err) != SW_OK ||
	    check_size(c->max_sources, "max_sources", err) != SW_OK ||
	    check_size(c->max_reported, "max_reported", err) != SW_OK)
		return SW_ERR_INVALID;
	return SW_OK;
}

struct sw_baseline *sw_baseline_new(const struct sw_matcher *m,
                                    const struct sw_baseline_config *cfg,
                                    struct sw_err *err)
{
	struct sw_baseline *bl;

	if (check_config(cfg, err) != SW_OK)
		return NULL;
	bl = calloc(1, sizeof(*bl));
	if (bl == NULL) {
		sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
		return NULL;
	}
	bl->m = m;
	bl->inv = sw_matcher_inventory(m);
	bl->cfg = *cfg;
	if (getrandom(&bl->seed, sizeof(bl->seed), 0) != (ssize_t)sizeof(bl->seed))
		bl->seed = 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)bl;
	bl->ext_dsts.max = cfg->max_edges;
	bl->rep_edges.max = cfg->max_reported;
	bl->rep_ext.max = cfg->max_reported;
	bl->fo = sw_fanout_new(cfg->fanout_threshold, cfg->fanout_window_ns, cfg->max_sources,
	                       bl->seed);
	if (bl->fo == NULL) {
		free(bl);
		sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
		return NULL;
	}
	return bl;
}

void sw_baseline_free(struct sw_baseline *bl)
{
	if (bl == NULL)
		return;
	for (size_t i = 0; i < bl->n_edges; i++)
		free(bl->edges[i].src);
	free(bl->edges);
	free(bl->index);
	free(bl->dirty);
	free(bl->flows);
	free(bl->ext_dsts.slot);
	free(bl->rep_edges.slot);
	free(bl->rep_ext.slot);
	sw_fanout_free(bl->fo);
	free(bl);
}

/* ---- edges ---- */

static size_t edge_slot(const struct sw_baseline *bl, uint64_t h, const char *src,
                        const char *dst, uint8_t proto, uint16_t port)
{
	size_t mask = bl->index_size - 1, i = (size_t)h & mask;

	for (; bl->index[i] != 0; i = (i + 1) & mask) {
		const struct edge *e = &bl->edges[bl->index[i] - 1];
		if (e->hash == h && e->proto == proto && e->port == port &&
		    strcmp(e->src, src) == 0 && strcmp(e->dst, dst) == 0)
			break;
	}
	return i;
}

static uint32_t edge_find(const struct sw_baseline *bl, uint64_t h, const char *src,
                          const char *dst, uint8_t proto, uint16_t port)
{
	if (bl->index_size == 0)
		return NONE;
	return bl->index[edge_slot(bl, h, src, dst, proto, port)] - 1; /* NONE when 0 */
}

static bool index_reserve(struct sw_baseline *bl)
{
	size_t size = bl->index_size ? bl->index_size : 64;
	uint32_t *old = bl->index;

	if ((bl->n_edges + 1) * 2 <= bl->index_size)
		return true;
	while ((bl->n_edges + 1) * 2 > size)
		size *= 2;
	bl->index = calloc(size, sizeof(*bl->index));
	if (bl->index == NULL) {
		bl->index = old;
		return false;
	}
	bl->index_size = size;
	for (size_t i = 0; i < bl->n_edges; i++) {
		const struct edge *e = &bl->edges[i];
		bl->index[edge_slot(bl, e->hash, e->src, e->dst, e->proto, e->port)] =
			(uint32_t)i + 1;
	}
	free(old);
	return true;
}

static char *copy_or_null(char **p, const char *s)
{
	size_t len;

	if (s == NULL)
		return NULL;
	len = strlen(s) + 1;
	memcpy(*p, s, len);
	*p += len;
	return *p - len;
}

/* Appends an edge with its key and namespaces (copied), all counters 0;
 * NONE when out of memory. The caller has checked the cap. */
static uint32_t edge_append(struct sw_baseline *bl, uint64_t h, const char *src,
                            const char *dst, const char *src_ns, const char *dst_ns,
                            uint8_t proto, uint16_t port)
{
	size_t len = strlen(src) + strlen(dst) + 2 + (src_ns ? strlen(src_ns) + 1 : 0) +
	             (dst_ns ? strlen(dst_ns) + 1 : 0);
	char *text, *p;
	struct edge *e;

	if (!sw_grow((void **)&bl->edges, &bl->edges_cap, bl->n_edges + 1, sizeof(*bl->edges)) ||
	    !index_reserve(bl) || (text = malloc(len)) == NULL)
		return NONE;
	if (dst_ns == NULL && set_add(&bl->ext_dsts, sw_baseline_hash_str(bl->seed, dst)) ==
	    SET_NOMEM) {
		free(text);
		return NONE;
	}
	e = &bl->edges[bl->n_edges];
	memset(e, 0, sizeof(*e));
	p = text;
	e->src = copy_or_null(&p, src);
	e->dst = copy_or_null(&p, dst);
	e->src_ns = copy_or_null(&p, src_ns);
	e->dst_ns = copy_or_null(&p, dst_ns);
	e->hash = h;
	e->proto = proto;
	e->port = port;
	bl->index[edge_slot(bl, h, src, dst, proto, port)] = (uint32_t)bl->n_edges + 1;
	bl->st.edges = ++bl->n_edges;
	return (uint32_t)bl->n_edges - 1;
}

static void mark_dirty(struct sw_baseline *bl, uint32_t idx)
{
	struct edge *e = &bl->edges[idx];

	if (e->dirty)
		return;
	if (!sw_grow((void **)&bl->dirty, &bl->dirty_cap, bl->n_dirty + 1, sizeof(*bl->dirty))) {
		bl->st.nomem++;
		return;
	}
	bl->dirty[bl->n_dirty++] = idx;
	e->dirty = true;
}

enum sw_status sw_baseline_add(struct sw_baseline *bl, const struct sw_baseline_edge *in,
                               struct sw_err *err)
{
	uint64_t h;
	uint32_t idx;
	struct edge *e;

	if (in->src == NULL || in->dst == NULL)
		return sw_err_set(err, SW_ERR_INVALID, NULL, 0, 0,
		                  "a baseline edge needs a source and a destination");
	h = edge_hash(bl->seed, in->src, in->dst, in->proto, in->port);
	if (edge_find(bl, h, in->src, in->dst, in->proto, in->port) != NONE)
		return SW_OK;
	if (bl->n_edges >= bl->cfg.max_edges)
		return sw_err_set(err, SW_ERR_LIMIT, NULL, 0, 0,
		                  "the baseline holds its maximum of %zu edges", bl->cfg.max_edges);
	idx = edge_append(bl, h, in->src, in->dst, in->src_ns, in->dst_ns, in->proto, in->port);
	if (idx == NONE)
		return sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
	e = &bl->edges[idx];
	e->first_ns = in->first_seen_ns;
	e->last_ns = in->last_seen_ns;
	e->flows = in->flows;
	e->bytes = in->bytes;
	e->accepted = in->origin != NULL && strcmp(in->origin, "accepted") == 0;
	if (in->interval_ns == bl->cfg.interval_ns) {
		e->intervals = in->intervals;
		e->mean = in->bytes_mean;
		e->m2 = in->bytes_m2;
	} else if (in->intervals != 0) {
		bl->st.stats_reset++;
	}
	return SW_OK;
}

static void edge_public(const struct sw_baseline *bl, const struct edge *e,
                        struct sw_baseline_edge *out)
{
	out->src = e->src;
	out->dst = e->dst;
	out->proto = e->proto;
	out->port = e->port;
	out->src_ns = e->src_ns;
	out->dst_ns = e->dst_ns;
	out->first_seen_ns = e->first_ns;
	out->last_seen_ns = e->last_ns;
	out->flows = e->flows;
	out->bytes = e->bytes;
	out->interval_ns = bl->cfg.interval_ns;
	out->intervals = e->intervals;
	out->bytes_mean = e->mean;
	out->bytes_m2 = e->m2;
	out->origin = e->accepted ? "accepted" : "learned";
}

enum sw_status sw_baseline_take_dirty(struct sw_baseline *bl, sw_baseline_edge_fn fn,
                                      void *ctx)
{
	size_t i;
	enum sw_status status = SW_OK;

	for (i = 0; i < bl->n_dirty; i++) {
		struct edge *e = &bl->edges[bl->dirty[i]];
		struct sw_baseline_edge pub;

		edge_public(bl, e, &pub);
		status = fn(ctx, &pub);
		if (status != SW_OK)
			break;
		e->dirty = false;
	}
	if (i > 0) {
		memmove(bl->dirty, bl->dirty + i, (bl->n_dirty - i) * sizeof(*bl->dirty));
		bl->n_dirty -= i;
	}
	return status;
}

void sw_baseline_mark_all_dirty(struct sw_baseline *bl)
{
	for (size_t i = 0; i < bl->n_edges; i++)
		mark_dirty(bl, (uint32_t)i);
}

enum sw_status sw_baseline_each(const struct sw_baseline *bl, sw_baseline_edge_fn fn,
                                void *ctx)
{
	for (size_t i = 0; i < bl->n_edges; i++) {
		struct sw_baseline_edge pub;
		enum sw_status status;

		edge_public(bl, &bl->edges[i], &pub);
		status = fn(ctx, &pub);
		if (status != SW_OK)
			return status;
	}
	return SW_OK;
}

void sw_baseline_stats(const struct sw_baseline *bl, struct sw_baseline_stats *out)
{
	*out = bl->st;
	out->learning = bl->cfg.learn_ns != 0 && (!bl->started || bl->now < bl->learn_end);
}

/* ---- followed flows ---- */

static size_t flow_slot(const struct sw_baseline *bl, uint64_t id)
{
	size_t mask = bl->flows_size - 1, i = (size_t)mix(id ^ bl->seed) & mask;

	while (bl->flows[i].id != 0 && bl->flows[i].id != id)
		i = (i + 1) & mask;
	return i;
}

static struct fent *flow_find(struct sw_baseline *bl, uint64_t id)
{
	struct fent *fe;

	if (bl->flows_size == 0 || id == 0)
		return NULL;
	fe = &bl->flows[flow_slot(bl, id)];
	return fe->id == id ? fe : NULL;
}

static bool flows_reserve(struct sw_baseline *bl)
{
	size_t size = bl->flows_size ? bl->flows_size * 2 : 256;
	struct fent *old = bl->flows;
	size_t old_size = bl->flows_size;

	if ((bl->n_flows + 1) * 2 <= bl->flows_size)
		return true;
	bl->flows = calloc(size, sizeof(*bl->flows));
	if (bl->flows == NULL) {
		bl->flows = old;
		return false;
	}
	bl->flows_size = size;
	for (size_t i = 0; i < old_size; i++)
		if (old[i].id != 0)
			bl->flows[flow_slot(bl, old[i].id)] = old[i];
	free(old);
	return true;
}

static void follow(struct sw_baseline *bl, uint64_t id, uint32_t edge)
{
	struct fent *fe;

	if (id == 0)
		return;
	if (flow_find(bl, id) != NULL)
		return; /* a flow id is started once; be safe */
	if (bl->n_flows >= bl->cfg.max_flows) {
		bl->st.flows_overflow++;
		return;
	}
	if (!flows_reserve(bl)) {
		bl->st.nomem++;
		return;
	}
	fe = &bl->flows[flow_slot(bl, id)];
	fe->id = id;
	fe->bytes = 0;
	fe->edge = edge;
	bl->n_flows++;
}

/* Removes fe, moving later entries of its probe run back into the hole. */
static void unfollow(struct sw_baseline *bl, struct fent *fe)
{
	size_t mask = bl->flows_size - 1, hole = (size_t)(fe - bl->flows), i = hole;

	for (;;) {
		size_t home;
		i = (i + 1) & mask;
		if (bl->flows[i].id == 0)
			break;
		home = (size_t)mix(bl->flows[i].id ^ bl->seed) & mask;
		/* movable when home is not cyclically within (hole, i] */
		if ((i > hole && (home <= hole || home > i)) ||
		    (i < hole && home <= hole && home > i)) {
			bl->flows[hole] = bl->flows[i];
			hole = i;
		}
	}
	bl->flows[hole].id = 0;
	bl->n_flows--;
}

/* ---- anomalies ---- */

static json_t *json_time(uint64_t ns)
{
	char buf[SW_TIME_STRLEN];

	return json_string(sw_format_time(ns, buf, sizeof(buf)));
}

static json_t *json_addr(const struct sw_addr *a)
{
	char buf[SW_ADDR_STRLEN];

	return json_string(sw_addr_format(a, buf, sizeof(buf)));
}

/* Hands a to the callback with ev's compact text as evidence (released). */
static void emit(struct sw_baseline *bl, struct sw_anomaly *a, json_t *ev)
{
	char *text = ev != NULL ? json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	json_decref(ev);
	if (text == NULL)
		bl->st.nomem++;
	a->evidence = text != NULL ? text : "{}";
	bl->st.anomalies[a->kind]++;
	if (bl->cfg.on_anomaly != NULL)
		bl->cfg.on_anomaly(bl->cfg.on_anomaly_ctx, a);
	free(text);
}

static bool has_ports(uint8_t proto)
{
	return proto == SW_PROTO_TCP || proto == SW_PROTO_UDP || proto == SW_PROTO_SCTP;
}

static void side_of(const struct sw_baseline *bl, const struct sw_addr *a, struct side *s)
{
	s->ep = sw_matcher_endpoint_of(bl->m, a);
	if (s->ep >= 0) {
		const struct sw_endpoint *ep = sw_inventory_endpoint(bl->inv, (size_t)s->ep);
		s->id = ep->id;
		s->ns = ep->ns;
	} else {
		s->id = sw_addr_format(a, s->buf, sizeof(s->buf));
		s->ns = NULL;
	}
}

static void report_new(struct sw_baseline *bl, enum sw_anomaly_kind kind,
                       const struct sw_flow *f, const struct side *src,
                       const struct side *dst, uint16_t port)
{
	struct sw_anomaly a = {
		.kind = kind, .detected_ns = bl->now, .src = src->id, .dst = dst->id,
		.proto = f->proto, .port = port, .src_ns = src->ns, .dst_ns = dst->ns,
		.score = 1,
	};

	emit(bl, &a, json_pack("{s:I, s:o, s:o, s:i, s:o}", "flow_id", (json_int_t)f->id,
	                       "src_ip", json_addr(&f->src), "dst_ip", json_addr(&f->dst),
	                       "sport", (int)f->sport, "first_seen", json_time(f->first_ns)));
}

/* Records a report of key in set; true when it is the first. */
static bool first_report(struct sw_baseline *bl, struct u64set *set, uint64_t key)
{
	switch (set_add(set, key)) {
	case SET_ADDED:
		return true;
	case SET_FULL:
		bl->st.reported_overflow++;
		return false;
	case SET_NOMEM:
		bl->st.nomem++;
		return false;
	default:
		return false;
	}
}

/* A detection-time flow whose edge the baseline lacks. */
static void detect_new(struct sw_baseline *bl, const struct sw_flow *f, const struct side *src,
                       const struct side *dst, uint16_t port, uint64_t h)
{
	if (dst->ep < 0) {
		uint64_t ah = sw_baseline_hash_str(bl->seed, dst->id);
		if (!set_has(&bl->ext_dsts, ah)) {
			if (first_report(bl, &bl->rep_ext, ah))
				report_new(bl, SW_ANOMALY_NEW_EXTERNAL, f, src, dst, port);
			return;
		}
	}
	if (first_report(bl, &bl->rep_edges, h))
		report_new(bl, SW_ANOMALY_NEW_EDGE, f, src, dst, port);
}

static json_t *fanout_targets(const struct sw_baseline *bl, const struct sw_fanout_hit *hit)
{
	size_t n = hit->count < SW_BASELINE_FANOUT_SAMPLE ? hit->count : SW_BASELINE_FANOUT_SAMPLE;
	json_t *arr = json_array();

	for (size_t i = 0; arr != NULL && i < n; i++) {
		const struct sw_fanout_target *t = &hit->targets[i];
		char buf[SW_ADDR_STRLEN];
		const char *id = t->ep >= 0 ? sw_inventory_endpoint(bl->inv, (size_t)t->ep)->id
		                            : sw_addr_format(&t->addr, buf, sizeof(buf));
		if (json_array_append_new(arr, json_pack("{s:s, s:i}", "dst", id, "port",
		                                         (int)t->port)) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* The distinct ports of the targets, ascending. */
static json_t *fanout_ports(const struct sw_fanout_hit *hit)
{
	uint16_t *p = malloc(hit->count * sizeof(*p));
	json_t *arr = p != NULL ? json_array() : NULL;

	for (size_t i = 0; p != NULL && i < hit->count; i++)
		p[i] = hit->targets[i].port;
	if (p != NULL)
		qsort(p, hit->count, sizeof(*p), cmp_u16);
	for (size_t i = 0; arr != NULL && i < hit->count; i++)
		if ((i == 0 || p[i] != p[i - 1]) && json_array_append_new(arr, json_integer(p[i])) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	free(p);
	return arr;
}

static void fanout_flow(struct sw_baseline *bl, const struct side *src, const struct side *dst,
                        const struct sw_flow *f, uint16_t port)
{
	struct sw_fanout_target t;
	struct sw_fanout_hit hit;
	struct sw_anomaly a;

	memset(&t, 0, sizeof(t));
	t.ep = dst->ep;
	if (dst->ep < 0)
		t.addr = f->dst;
	t.port = port;
	switch (sw_fanout_flow(bl->fo, sw_baseline_hash_str(bl->seed, src->id), &t, bl->now,
	                       &hit)) {
	case SW_FANOUT_ALARM:
		break;
	case SW_FANOUT_OVERFLOW:
		bl->st.sources_overflow++;
		return;
	case SW_FANOUT_NOMEM:
		bl->st.nomem++;
		return;
	default:
		return;
	}
	memset(&a, 0, sizeof(a));
	a.kind = SW_ANOMALY_FANOUT;
	a.detected_ns = bl->now;
	a.src = src->id;
	a.src_ns = src->ns;
	a.score = (double)hit.count / bl->cfg.fanout_threshold;
	emit(bl, &a, json_pack("{s:I, s:i, s:I, s:o, s:o, s:o}", "count", (json_int_t)hit.count,
	                       "threshold", (int)bl->cfg.fanout_threshold,
	                       "window_ns", (json_int_t)bl->cfg.fanout_window_ns,
	                       "window_start", json_time(hit.first_seen_ns),
	                       "targets", fanout_targets(bl, &hit), "ports", fanout_ports(&hit)));
}

/* ---- intervals ---- */

static bool learning_at(const struct sw_baseline *bl, uint64_t t)
{
	return bl->cfg.learn_ns != 0 && t < bl->learn_end;
}

static void welford_add(struct edge *e, double x)
{
	double d = x - e->mean;

	e->intervals++;
	e->mean += d / (double)e->intervals;
	e->m2 += d * (x - e->mean);
}

/* Adds m samples of 0 at once (Chan et al.'s merge of two groups). */
static void welford_zeros(struct edge *e, uint64_t m)
{
	double n = (double)e->intervals, n2 = n + (double)m, d = -e->mean;

	if (m == 0)
		return;
	e->mean = e->mean * n / n2;
	e->m2 += d * d * n * (double)m / n2;
	e->intervals += m;
}

static void volume_check(struct sw_baseline *bl, const struct edge *e, uint64_t start,
                         uint64_t end)
{
	double sd = 0, s, x = (double)e->cur_bytes;
	struct sw_anomaly a;

	if (e->intervals < bl->cfg.min_intervals || e->cur_bytes == 0)
		return;
	if (e->m2 > 0)
		sd = sqrt(e->m2 / (double)(e->intervals - 1));
	s = fmax(sd, fmax(VOLUME_FLOOR_RATIO * e->mean, VOLUME_FLOOR_BYTES));
	if (!(x > e->mean + bl->cfg.volume_k * s))
		return;
	a = (struct sw_anomaly){
		.kind = SW_ANOMALY_VOLUME, .detected_ns = end, .src = e->src, .dst = e->dst,
		.proto = e->proto, .port = e->port, .src_ns = e->src_ns, .dst_ns = e->dst_ns,
		.score = (x - e->mean) / s,
	};
	emit(bl, &a, json_pack("{s:I, s:f, s:f, s:f, s:f, s:I, s:o, s:o}",
	                       "bytes", (json_int_t)e->cur_bytes, "mean", e->mean, "stddev", sd,
	                       "k", bl->cfg.volume_k, "threshold", e->mean + bl->cfg.volume_k * s,
	                       "intervals", (json_int_t)e->intervals,
	                       "interval_start", json_time(start), "interval_end", json_time(end)));
}

/* Closes the interval [start, start + interval): a sample of every edge
 * while learning, a volume check otherwise. */
static void close_interval(struct sw_baseline *bl, uint64_t start)
{
	bool learn = learning_at(bl, start);

	for (size_t i = 0; i < bl->n_edges; i++) {
		struct edge *e = &bl->edges[i];
		if (learn) {
			welford_add(e, (double)e->cur_bytes);
			mark_dirty(bl, (uint32_t)i);
		} else {
			volume_check(bl, e, start, start + bl->cfg.interval_ns);
		}
		e->cur_bytes = 0;
	}
	bl->st.intervals++;
}

/* m intervals from start passed without a flow event: 0 samples for those
 * that were learning. */
static void skip_intervals(struct sw_baseline *bl, uint64_t start, uint64_t m)
{
	uint64_t learn = 0;

	if (bl->cfg.learn_ns != 0 && start < bl->learn_end)
		learn = bl->learn_end == UINT64_MAX
		        ? m : (bl->learn_end - start + bl->cfg.interval_ns - 1) / bl->cfg.interval_ns;
	if (learn > m)
		learn = m;
	for (size_t i = 0; learn > 0 && i < bl->n_edges; i++) {
		welford_zeros(&bl->edges[i], learn);
		mark_dirty(bl, (uint32_t)i);
	}
	bl->st.intervals += m;
}

static void start_clock(struct sw_baseline *bl, uint64_t t)
{
	bl->started = true;
	bl->t0 = bl->now = bl->ivl_start = t;
	if (bl->cfg.learn_ns == SW_BASELINE_LEARN_ALL || t > UINT64_MAX - bl->cfg.learn_ns)
		bl->learn_end = UINT64_MAX;
	else
		bl->learn_end = t + bl->cfg.learn_ns;
}

void sw_baseline_advance(struct sw_baseline *bl, uint64_t now_ns)
{
	uint64_t ivl = bl->cfg.interval_ns, gap;

	if (!bl->started)
		start_clock(bl, now_ns);
	if (now_ns <= bl->now)
		return;
	bl->now = now_ns;
	if (now_ns - bl->ivl_start < ivl)
		return;
	close_interval(bl, bl->ivl_start);
	bl->ivl_start += ivl;
	gap = (now_ns - bl->ivl_start) / ivl;
	if (gap > 0) {
		skip_intervals(bl, bl->ivl_start, gap);
		bl->ivl_start += gap * ivl;
	}
	sw_fanout_sweep(bl->fo, now_ns);
}

/* ---- flow events ---- */

static void flow_start(struct sw_baseline *bl, const struct sw_flow *f)
{
	uint16_t port = has_ports(f->proto) ? f->dport : 0;
	struct side src, dst;
	uint64_t h;
	uint32_t idx;

	bl->st.flows++;
	side_of(bl, &f->src, &src);
	side_of(bl, &f->dst, &dst);
	fanout_flow(bl, &src, &dst, f, port);
	h = edge_hash(bl->seed, src.id, dst.id, f->proto, port);
	idx = edge_find(bl, h, src.id, dst.id, f->proto, port);
	if (learning_at(bl, bl->now)) {
		if (idx == NONE && bl->n_edges >= bl->cfg.max_edges) {
			bl->st.edges_overflow++;
		} else if (idx == NONE) {
			idx = edge_append(bl, h, src.id, dst.id, src.ns, dst.ns, f->proto, port);
			if (idx == NONE)
				bl->st.nomem++;
			else
				bl->edges[idx].first_ns = f->first_ns;
		}
		if (idx != NONE) {
			struct edge *e = &bl->edges[idx];
			e->flows++;
			if (f->first_ns < e->first_ns || e->first_ns == 0)
				e->first_ns = f->first_ns;
			if (f->first_ns > e->last_ns)
				e->last_ns = f->first_ns;
			mark_dirty(bl, idx);
		}
	} else if (idx == NONE && bl->n_edges > 0) {
		detect_new(bl, f, &src, &dst, port, h);
	}
	if (idx != NONE)
		follow(bl, f->id, idx);
}

static void flow_bytes(struct sw_baseline *bl, const struct sw_flow *f, bool end)
{
	struct fent *fe = flow_find(bl, f->id);
	uint64_t total = f->dir[0].bytes + f->dir[1].bytes, delta;
	struct edge *e;

	if (fe == NULL)
		return;
	delta = total > fe->bytes ? total - fe->bytes : 0;
	fe->bytes = total > fe->bytes ? total : fe->bytes;
	e = &bl->edges[fe->edge];
	e->cur_bytes += delta;
	if (learning_at(bl, bl->now) && (delta > 0 || f->last_ns > e->last_ns)) {
		e->bytes += delta;
		if (f->last_ns > e->last_ns)
			e->last_ns = f->last_ns;
		mark_dirty(bl, fe->edge);
	}
	if (end)
		unfollow(bl, fe);
}

void sw_baseline_flow(void *ctx, enum sw_flow_event ev, enum sw_flow_end why,
                      struct sw_flow *f)
{
	struct sw_baseline *bl = ctx;
	uint64_t t = ev == SW_FLOW_START ? f->first_ns : f->last_ns;

	(void)why;
	sw_baseline_advance(bl, t);
	if (ev == SW_FLOW_START)
		flow_start(bl, f);
	else
		flow_bytes(bl, f, ev == SW_FLOW_END);
}
