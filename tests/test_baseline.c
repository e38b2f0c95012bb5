/*
 * test_baseline.c - cmocka tests of the baseline module: synthetic flow
 * events (start, updates, end, with cumulative counters as the flow table
 * gives them) through a real matcher built from a small inventory.
 * Learning (edges, counters, byte deltas, interval statistics checked
 * against a naive mean/variance, including gaps without events), detection
 * of each kind (new_edge, new_external, volume, fan-out) and what must not
 * alarm (baseline edges, a steady edge's noise, a known external address,
 * detection without a baseline), loaded edges, dirty edges for the store,
 * fan-out thresholds and the sliding window, caps and their counters,
 * configuration checks, and determinism of a random workload.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segwatch/baseline.h"
#include "segwatch/proto.h"

#include "match_builders.h"

#define T0 1795608000000000000ull /* 2026-11-25T12:00:00Z */
#define SEC 1000000000ull
#define MIN (60 * SEC)
#define MAX_RECS 512

/* ---- recording anomalies ---- */

struct rec {
	enum sw_anomaly_kind kind;
	uint64_t detected_ns;
	char src[64], dst[64], src_ns[32], dst_ns[32];
	bool has_dst, has_src_ns, has_dst_ns;
	uint8_t proto;
	uint16_t port;
	double score;
	char *evidence;
};

struct recs {
	size_t n;
	struct rec r[MAX_RECS];
};

static void copy(char *dst, size_t len, const char *src, bool *has)
{
	if (has != NULL)
		*has = src != NULL;
	snprintf(dst, len, "%s", src ? src : "");
}

static void on_anomaly(void *ctx, const struct sw_anomaly *a)
{
	struct recs *rs = ctx;
	struct rec *r;
	json_t *j;

	assert_true(rs->n < MAX_RECS);
	assert_non_null(a->src);
	assert_non_null(a->evidence);
	j = json_loads(a->evidence, 0, NULL);
	assert_true(json_is_object(j)); /* evidence is a JSON object */
	json_decref(j);
	r = &rs->r[rs->n++];
	r->kind = a->kind;
	r->detected_ns = a->detected_ns;
	copy(r->src, sizeof(r->src), a->src, NULL);
	copy(r->dst, sizeof(r->dst), a->dst, &r->has_dst);
	copy(r->src_ns, sizeof(r->src_ns), a->src_ns, &r->has_src_ns);
	copy(r->dst_ns, sizeof(r->dst_ns), a->dst_ns, &r->has_dst_ns);
	r->proto = a->proto;
	r->port = a->port;
	r->score = a->score;
	r->evidence = xstrdup(a->evidence);
}

static void recs_clear(struct recs *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		free(rs->r[i].evidence);
	rs->n = 0;
}

static size_t count_kind(const struct recs *rs, enum sw_anomaly_kind k)
{
	size_t n = 0;

	for (size_t i = 0; i < rs->n; i++)
		n += rs->r[i].kind == k;
	return n;
}

/* ---- fixture ---- */

struct bfx {
	struct fx *f;
	struct sw_baseline *bl;
	struct sw_baseline_config cfg;
	struct recs recs;
	uint64_t next_id;
};

/* prod/web 10.0.1.0/24, prod/db 10.0.2.10, corp/cli 10.9.0.1-2; no
 * policies: the baseline does not care about verdicts. */
static void scene(struct fx *f)
{
	ns_add(f, "prod", "env=prod");
	ns_add(f, "corp", "team=corp");
	ep_add(f, "prod/web", "app=web", "10.0.1.0/24", "http/TCP/80");
	ep_add(f, "prod/db", "app=db", "10.0.2.10", "pg/TCP/5432");
	ep_add(f, "corp/cli", "role=client", "10.9.0.1,10.9.0.2", "");
}

static int bsetup(void **state)
{
	struct bfx *b = calloc(1, sizeof(*b));
	void *inner = NULL;

	if (b == NULL || setup(&inner) != 0)
		return -1;
	b->f = inner;
	b->next_id = 1;
	scene(b->f);
	sw_baseline_config_default(&b->cfg);
	b->cfg.on_anomaly = on_anomaly;
	b->cfg.on_anomaly_ctx = &b->recs;
	*state = b;
	return 0;
}

static int bteardown(void **state)
{
	struct bfx *b = *state;
	void *inner = b->f;

	sw_baseline_free(b->bl);
	recs_clear(&b->recs);
	teardown(&inner);
	free(b);
	return 0;
}

/* Builds the baseline from b->cfg (after the test adjusted it). */
static struct sw_baseline *make(struct bfx *b)
{
	struct sw_err err;

	b->bl = sw_baseline_new(matcher(b->f), &b->cfg, &err);
	if (b->bl == NULL)
		fail_msg("sw_baseline_new: %s", err.msg);
	return b->bl;
}

static struct sw_flow flow(struct bfx *b, const char *src, const char *dst, const char *pp,
                           uint64_t t)
{
	struct sw_flow f;

	memset(&f, 0, sizeof(f));
	f.id = b->next_id++;
	f.src = addr_of(b->f, src);
	f.dst = addr_of(b->f, dst);
	proto_port(pp, &f.proto, &f.dport);
	f.sport = 40000;
	if (f.proto == SW_PROTO_ICMP) {
		f.sport = 8;
		f.dport = 0;
	}
	f.first_ns = f.last_ns = t;
	return f;
}

static void ev(struct bfx *b, struct sw_flow *f, enum sw_flow_event e, uint64_t bytes0,
               uint64_t bytes1, uint64_t t)
{
	if (e != SW_FLOW_START) {
		f->dir[0].bytes = bytes0;
		f->dir[1].bytes = bytes1;
		f->dir[0].pkts = bytes0 ? 1 + bytes0 / 1000 : 0;
		f->dir[1].pkts = bytes1 ? 1 + bytes1 / 1000 : 0;
		f->last_ns = t;
	}
	sw_baseline_flow(b->bl, e, e == SW_FLOW_END ? SW_END_IDLE : SW_END_NONE, f);
}

/* A whole flow: starts at t, ends one second later with bytes (request
 * and response halves). */
static void one(struct bfx *b, const char *src, const char *dst, const char *pp, uint64_t t,
                uint64_t bytes)
{
	struct sw_flow f = flow(b, src, dst, pp, t);

	ev(b, &f, SW_FLOW_START, 0, 0, t);
	ev(b, &f, SW_FLOW_END, bytes / 2, bytes - bytes / 2, t + SEC);
}

/* ---- collecting edges ---- */

struct edge_copy {
	char src[64], dst[64], origin[16];
	bool src_ext, dst_ext;
	uint8_t proto;
	uint16_t port;
	uint64_t first, last, flows, bytes, interval_ns, intervals;
	double mean, m2;
};

struct edges {
	size_t n;
	struct edge_copy e[64];
	size_t fail_at; /* fail when n reaches it (0: never) */
};

static enum sw_status collect(void *ctx, const struct sw_baseline_edge *e)
{
	struct edges *es = ctx;
	struct edge_copy *c;

	if (es->fail_at != 0 && es->n + 1 == es->fail_at)
		return SW_ERR_IO;
	assert_true(es->n < SW_ARRAY_SIZE(es->e));
	c = &es->e[es->n++];
	snprintf(c->src, sizeof(c->src), "%s", e->src);
	snprintf(c->dst, sizeof(c->dst), "%s", e->dst);
	snprintf(c->origin, sizeof(c->origin), "%s", e->origin);
	c->src_ext = e->src_ns == NULL;
	c->dst_ext = e->dst_ns == NULL;
	c->proto = e->proto;
	c->port = e->port;
	c->first = e->first_seen_ns;
	c->last = e->last_seen_ns;
	c->flows = e->flows;
	c->bytes = e->bytes;
	c->interval_ns = e->interval_ns;
	c->intervals = e->intervals;
	c->mean = e->bytes_mean;
	c->m2 = e->bytes_m2;
	return SW_OK;
}

static const struct edge_copy *find_edge(const struct edges *es, const char *src,
                                         const char *dst, uint16_t port)
{
	for (size_t i = 0; i < es->n; i++)
		if (strcmp(es->e[i].src, src) == 0 && strcmp(es->e[i].dst, dst) == 0 &&
		    es->e[i].port == port)
			return &es->e[i];
	return NULL;
}

static void take(struct bfx *b, struct edges *es)
{
	memset(es, 0, sizeof(*es));
	assert_int_equal(sw_baseline_take_dirty(b->bl, collect, es), SW_OK);
}

/* Naive mean and sum of squared deviations of n samples. */
static void naive_stats(const double *x, size_t n, double *mean, double *m2)
{
	double s = 0;

	for (size_t i = 0; i < n; i++)
		s += x[i];
	*mean = s / (double)n;
	*m2 = 0;
	for (size_t i = 0; i < n; i++)
		*m2 += (x[i] - *mean) * (x[i] - *mean);
}

static void assert_close(double got, double want)
{
	if (fabs(got - want) > 1e-6 * fmax(1.0, fabs(want)))
		fail_msg("got %.9g, want %.9g", got, want);
}

/* ---- names ---- */

static void test_kind_names(void **state)
{
	static const char *const names[] = {"new_edge", "volume", "new_external", "fanout"};
	enum sw_anomaly_kind k;

	(void)state;
	for (unsigned i = 0; i < SW_ARRAY_SIZE(names); i++) {
		assert_string_equal(sw_anomaly_kind_name((enum sw_anomaly_kind)i), names[i]);
		assert_int_equal(sw_anomaly_kind_parse(names[i], &k), SW_OK);
		assert_int_equal(k, i);
	}
	assert_null(sw_anomaly_kind_name(SW_ANOMALY_KIND_COUNT));
	assert_int_equal(sw_anomaly_kind_parse("scan", &k), SW_ERR_NOTFOUND);
}

static void test_config_checks(void **state)
{
	struct bfx *b = *state;
	static const struct {
		const char *what;
		int field;
	} cases[] = {
		{"interval 0", 0}, {"k 0", 1}, {"k NaN", 2}, {"min_intervals 1", 3},
		{"threshold 0", 4}, {"threshold too big", 5}, {"window 0", 6},
		{"max_edges 0", 7}, {"max_flows too big", 8}, {"max_sources 0", 9},
		{"max_reported 0", 10},
	};

	for (size_t i = 0; i < SW_ARRAY_SIZE(cases); i++) {
		struct sw_baseline_config c;
		struct sw_err err;
		struct sw_baseline *bl;

		sw_baseline_config_default(&c);
		switch (cases[i].field) {
		case 0: c.interval_ns = 0; break;
		case 1: c.volume_k = 0; break;
		case 2: c.volume_k = NAN; break;
		case 3: c.min_intervals = 1; break;
		case 4: c.fanout_threshold = 0; break;
		case 5: c.fanout_threshold = SW_BASELINE_FANOUT_MAX + 1; break;
		case 6: c.fanout_window_ns = 0; break;
		case 7: c.max_edges = 0; break;
		case 8: c.max_flows = (size_t)SW_BASELINE_LIMIT + 1; break;
		case 9: c.max_sources = 0; break;
		default: c.max_reported = 0; break;
		}
		sw_err_clear(&err);
		bl = sw_baseline_new(matcher(b->f), &c, &err);
		if (bl != NULL)
			fail_msg("%s: accepted", cases[i].what);
		assert_int_equal(err.status, SW_ERR_INVALID);
		assert_true(err.msg[0] != '\0');
	}
	sw_baseline_free(NULL);
}

/* ---- learning ---- */

static void test_learning_records_edges(void **state)
{
	struct bfx *b = *state;
	struct sw_baseline_stats st;
	struct edges es;
	const struct edge_copy *e;

	b->cfg.learn_ns = SW_BASELINE_LEARN_ALL;
	make(b);
	one(b, "10.9.0.1", "10.0.1.5", "tcp/80", T0, 1000);
	one(b, "10.9.0.2", "10.0.1.7", "tcp/80", T0 + 5 * SEC, 3000); /* same edge */
	one(b, "10.0.1.5", "10.0.2.10", "tcp/5432", T0 + 6 * SEC, 500);
	one(b, "10.9.0.1", "8.8.8.8", "udp/53", T0 + 7 * SEC, 200);
	one(b, "10.9.0.1", "10.0.2.10", "icmp", T0 + 8 * SEC, 84);
	sw_baseline_stats(b->bl, &st);
	assert_true(st.learning);
	assert_int_equal(st.edges, 4);
	assert_int_equal(st.flows, 5);
	assert_int_equal(b->recs.n, 0);

	take(b, &es);
	assert_int_equal(es.n, 4);
	/* in the order they first changed */
	assert_string_equal(es.e[0].src, "corp/cli");
	assert_string_equal(es.e[0].dst, "prod/web");
	e = find_edge(&es, "corp/cli", "prod/web", 80);
	assert_non_null(e);
	assert_int_equal(e->proto, SW_PROTO_TCP);
	assert_int_equal(e->flows, 2);
	assert_int_equal(e->bytes, 4000);
	assert_int_equal(e->first, T0);
	assert_int_equal(e->last, T0 + 6 * SEC); /* the second flow's end */
	assert_false(e->src_ext);
	assert_string_equal(e->origin, "learned");
	assert_int_equal(e->interval_ns, 60 * SEC);
	e = find_edge(&es, "corp/cli", "8.8.8.8", 53);
	assert_non_null(e);
	assert_true(e->dst_ext);
	assert_int_equal(e->bytes, 200);
	e = find_edge(&es, "corp/cli", "prod/db", 0); /* ICMP: port 0 */
	assert_non_null(e);
	assert_int_equal(e->proto, SW_PROTO_ICMP);

	/* nothing changed since: nothing to take */
	take(b, &es);
	assert_int_equal(es.n, 0);
	one(b, "10.0.1.5", "10.0.2.10", "tcp/5432", T0 + 9 * SEC, 100);
	take(b, &es);
	assert_int_equal(es.n, 1);
	assert_int_equal(es.e[0].flows, 2);
	assert_int_equal(es.e[0].bytes, 600);
}

/* Updates carry cumulative counters: the edge gets the differences. */
static void test_byte_deltas(void **state)
{
	struct bfx *b = *state;
	struct sw_flow f;
	struct edges es;

	b->cfg.learn_ns = SW_BASELINE_LEARN_ALL;
	make(b);
	f = flow(b, "10.9.0.1", "10.0.1.5", "tcp/80", T0);
	ev(b, &f, SW_FLOW_START, 0, 0, T0);
	ev(b, &f, SW_FLOW_UPDATE, 1000, 9000, T0 + 10 * SEC);
	ev(b, &f, SW_FLOW_UPDATE, 1500, 20000, T0 + 20 * SEC);
	ev(b, &f, SW_FLOW_END, 1600, 20400, T0 + 25 * SEC);
	/* a late event for the ended flow is ignored */
	ev(b, &f, SW_FLOW_END, 99999, 99999, T0 + 26 * SEC);
	take(b, &es);
	assert_int_equal(es.n, 1);
	assert_int_equal(es.e[0].bytes, 22000);
	assert_int_equal(es.e[0].flows, 1);
	assert_int_equal(es.e[0].last, T0 + 25 * SEC);
}

/* Thousands of concurrent flows on one edge, updated and ended in a
 * scrambled order: every byte is attributed once (the follow table's
 * deletions keep the others findable). */
static void test_many_concurrent_flows(void **state)
{
	struct bfx *b = *state;
	enum { N = 3000 };
	struct sw_flow *fl = xcalloc(N, sizeof(*fl));
	bool *ended = xcalloc(N, sizeof(*ended));
	uint64_t want = 0;
	struct rng g = {7};
	struct edges es;

	b->cfg.learn_ns = SW_BASELINE_LEARN_ALL;
	make(b);
	for (int i = 0; i < N; i++) {
		fl[i] = flow(b, "10.9.0.1", "10.0.1.5", "tcp/80", T0 + (uint64_t)i);
		ev(b, &fl[i], SW_FLOW_START, 0, 0, T0 + (uint64_t)i);
	}
	for (int i = 0; i < N; i++) {
		int k = (int)((uint64_t)i * 7919 % N); /* a permutation: N and 7919 coprime */
		uint64_t b0 = 100 + rnd(&g, 1000), b1 = rnd(&g, 5000);
		ev(b, &fl[k], SW_FLOW_UPDATE, b0, b1, T0 + SEC + (uint64_t)i);
		if (i % 2 == 0) {
			ev(b, &fl[k], SW_FLOW_END, b0 + 10, b1 + 20, T0 + 2 * SEC + (uint64_t)i);
			ended[k] = true;
			want += b0 + b1 + 30;
		} else {
			want += b0 + b1;
		}
	}
	/* the rest end with no more bytes; a second end of an ended flow
	 * (with more bytes) is not followed any more: nothing added */
	for (int i = 0; i < N; i++)
		ev(b, &fl[i], SW_FLOW_END, fl[i].dir[0].bytes + (ended[i] ? 1000 : 0),
		   fl[i].dir[1].bytes, T0 + 3 * SEC);
	free(ended);
	take(b, &es);
	assert_int_equal(es.n, 1);
	assert_int_equal(es.e[0].flows, N);
	assert_int_equal(es.e[0].bytes, want);
	free(fl);
}

/* Each interval gives every edge a sample (0 when idle), gaps included. */
static void test_interval_statistics(void **state)
{
	struct bfx *b = *state;
	double x[12], mean, m2;
	struct edges es;
	const struct edge_copy *e;

	b->cfg.learn_ns = 12 * MIN;
	make(b);
	/* interval 0: 4000 and 1000; 1: 0 and 2000; 2: 6000 and 0; then a
	 * gap (no events at all) until interval 11 */
	one(b, "10.9.0.1", "10.0.1.5", "tcp/80", T0, 4000);
	one(b, "10.9.0.1", "10.0.2.10", "tcp/5432", T0 + 2 * SEC, 1000);
	one(b, "10.9.0.1", "10.0.2.10", "tcp/5432", T0 + MIN + SEC, 2000);
	one(b, "10.9.0.1", "10.0.1.5", "tcp/80", T0 + 2 * MIN + SEC, 6000);
	sw_baseline_advance(b->bl, T0 + 12 * MIN); /* closes intervals 2..11 */
	take(b, &es);
	memset(x, 0, sizeof(x));
	x[0] = 4000;
	x[2] = 6000;
	naive_stats(x, 12, &mean, &m2);
	e = find_edge(&es, "corp/cli", "prod/web", 80);
	assert_non_null(e);
	assert_int_equal(e->intervals, 12);
	assert_close(e->mean, mean);
	assert_close(e->m2, m2);
	memset(x, 0, sizeof(x));
	x[0] = 1000;
	x[1] = 2000;
	naive_stats(x, 12, &mean, &m2);
	e = find_edge(&es, "corp/cli", "prod/db", 5432);
	assert_non_null(e);
	assert_int_equal(e->intervals, 12);
	assert_close(e->mean, mean);
	assert_close(e->m2, m2);

	/* learning ended at 12 min: later intervals do not train */
	sw_baseline_advance(b->bl, T0 + 30 * MIN);
	take(b, &es);
	assert_int_equal(es.n, 0);
}

/* An edge first seen in interval 3 is sampled from interval 3 on. */
static void test_edge_sampled_from_its_first_interval(void **state)
{
	struct bfx *b = *state;
	struct edges es;
	double x[4] = {5000, 0, 0, 0}, mean, m2;

	b->cfg.learn_ns = 10 * MIN;
	make(b);
	one(b, "10.9.0.1", "10.0.1.5", "tcp/80", T0, 100); /* starts the clock */
	one(b, "10.9.0.1", "10.0.2.10", "tcp/5432", T0 + 3 * MIN + SEC, 5000);
	sw_baseline_advance(b->bl, T0 + 7 * MIN);
	take(b, &es);
	naive_stats(x, 4, &mean, &m2);
	assert_int_equal(find_edge(&es, "corp/cli", "prod/db", 5432)->intervals, 4);
	assert_close(find_edge(&es, "corp/cli", "prod/db", 5432)->mean, mean);
	assert_close(find_edge(&es, "corp/cli", "prod/db", 5432)->m2, m2);
	assert_int_equal(find_edge(&es, "corp/cli", "prod/web", 80)->intervals, 7);
}

/* ---- new edges and new external addresses ---- */

/* Learns cli->web tcp/80, web->db tcp/5432, cli->8.8.8.8 udp/53 for 10
 * minutes, then the clock reaches the end of learning. */
static void learn_basic(struct bfx *b)
{
	b->cfg.learn_ns = 10 * MIN;
	make(b);
	one(b, "10.9.0.1", "10.0.1.5", "tcp/80", T0, 1000);
	one(b, "10.0.1.5", "10.0.2.10", "tcp/5432", T0 + SEC, 1000);
	one(b, "10.9.0.1", "8.8.8.8", "udp/53", T0 + 2 * SEC, 100);
	sw_baseline_advance(b->bl, T0 + 10 * MIN);
	assert_int_equal(b->recs.n, 0);
}

static void test_new_edge(void **state)
{
	struct bfx *b = *state;
	struct sw_baseline_stats st;
	const struct rec *r;
	json_t *j;
	uint64_t t = T0 + 11 * MIN;

	learn_basic(b);
	sw_baseline_stats(b->bl, &st);
	assert_false(st.learning);
	/* baseline edges: nothing, from any address of the endpoints */
	one(b, "10.9.0.2", "10.0.1.9", "tcp/80", t, 1000);
	one(b, "10.0.1.3", "10.0.2.10", "tcp/5432", t + SEC, 1000);
	assert_int_equal(b->recs.n, 0);
	/* a new edge, even twice: one anomaly */
	one(b, "10.9.0.1", "10.0.2.10", "tcp/5432", t + 2 * SEC, 1000);
	one(b, "10.9.0.2", "10.0.2.10", "tcp/5432", t + 3 * SEC, 1000);
	assert_int_equal(b->recs.n, 1);
	r = &b->recs.r[0];
	assert_int_equal(r->kind, SW_ANOMALY_NEW_EDGE);
	assert_string_equal(r->src, "corp/cli");
	assert_string_equal(r->dst, "prod/db");
	assert_string_equal(r->src_ns, "corp");
	assert_string_equal(r->dst_ns, "prod");
	assert_int_equal(r->proto, SW_PROTO_TCP);
	assert_int_equal(r->port, 5432);
	assert_int_equal(r->detected_ns, t + 2 * SEC);
	j = json_loads(r->evidence, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "src_ip")), "10.9.0.1");
	assert_string_equal(json_string_value(json_object_get(j, "dst_ip")), "10.0.2.10");
	assert_int_equal(json_integer_value(json_object_get(j, "sport")), 40000);
	assert_non_null(json_object_get(j, "flow_id"));
	json_decref(j);
	/* another port of a known pair is another edge */
	one(b, "10.9.0.1", "10.0.1.5", "tcp/443", t + 4 * SEC, 1000);
	assert_int_equal(b->recs.n, 2);
	assert_int_equal(b->recs.r[1].port, 443);
	/* the reverse direction of a known edge is new too */
	one(b, "10.0.1.5", "10.9.0.1", "tcp/80", t + 5 * SEC, 1000);
	assert_int_equal(b->recs.n, 3);
	assert_string_equal(b->recs.r[2].src, "prod/web");
	sw_baseline_stats(b->bl, &st);
	assert_int_equal(st.anomalies[SW_ANOMALY_NEW_EDGE], 3);
	assert_int_equal(st.edges, 3); /* detection does not learn */
}

static void test_new_external(void **state)
{
	struct bfx *b = *state;
	uint64_t t = T0 + 11 * MIN;
	const struct rec *r;

	learn_basic(b);
	/* an address no baseline edge goes to: new_external, not new_edge */
	one(b, "10.9.0.1", "8.8.4.4", "udp/53", t, 100);
	assert_int_equal(b->recs.n, 1);
	r = &b->recs.r[0];
	assert_int_equal(r->kind, SW_ANOMALY_NEW_EXTERNAL);
	assert_string_equal(r->dst, "8.8.4.4");
	assert_false(r->has_dst_ns);
	assert_true(r->has_src_ns);
	/* the same address from elsewhere, on another port: once per address */
	one(b, "10.0.1.5", "8.8.4.4", "tcp/443", t + SEC, 100);
	assert_int_equal(b->recs.n, 1);
	/* a known external address on a new edge: new_edge */
	one(b, "10.0.1.5", "8.8.8.8", "udp/53", t + 2 * SEC, 100);
	assert_int_equal(b->recs.n, 2);
	assert_int_equal(b->recs.r[1].kind, SW_ANOMALY_NEW_EDGE);
	assert_string_equal(b->recs.r[1].dst, "8.8.8.8");
	/* an external source towards an endpoint: new_edge with no src_ns */
	one(b, "203.0.113.9", "10.0.1.5", "tcp/80", t + 3 * SEC, 100);
	assert_int_equal(b->recs.n, 3);
	assert_int_equal(b->recs.r[2].kind, SW_ANOMALY_NEW_EDGE);
	assert_string_equal(b->recs.r[2].src, "203.0.113.9");
	assert_false(b->recs.r[2].has_src_ns);
	/* IPv6 external */
	one(b, "10.9.0.1", "2001:db8::1", "tcp/443", t + 4 * SEC, 100);
	assert_int_equal(b->recs.n, 4);
	assert_int_equal(b->recs.r[3].kind, SW_ANOMALY_NEW_EXTERNAL);
	assert_string_equal(b->recs.r[3].dst, "2001:db8::1");
}

static void test_no_detection_without_baseline(void **state)
{
	struct bfx *b = *state;
	struct sw_baseline_stats st;

	b->cfg.learn_ns = 0;
	make(b);
	one(b, "10.9.0.1", "10.0.1.5", "tcp/80", T0, 1000);
	one(b, "10.9.0.1", "8.8.4.4", "udp/53", T0 + SEC, 100);
	sw_baseline_advance(b->bl, T0 + 60 * MIN);
	sw_baseline_stats(b->bl, &st);
	assert_false(st.learning);
	assert_int_equal(st.edges, 0);
	assert_int_equal(b->recs.n, 0);
}

static void test_loaded_baseline(void **state)
{
	struct bfx *b = *state;
	struct sw_baseline_edge e;
	struct sw_err err;
	struct edges es;

	b->cfg.learn_ns = 0;
	b->cfg.max_edges = 2;
	make(b);
	memset(&e, 0, sizeof(e));
	e.src = "corp/cli";
	e.dst = "prod/web";
	e.src_ns = "corp";
	e.dst_ns = "prod";
	e.proto = SW_PROTO_TCP;
	e.port = 80;
	e.flows = 7;
	e.origin = "accepted";
	assert_int_equal(sw_baseline_add(b->bl, &e, &err), SW_OK);
	assert_int_equal(sw_baseline_add(b->bl, &e, &err), SW_OK); /* already held */
	e.dst = "9.9.9.9";
	e.dst_ns = NULL;
	e.proto = SW_PROTO_UDP;
	e.port = 53;
	assert_int_equal(sw_baseline_add(b->bl, &e, &err), SW_OK);
	e.port = 54;
	assert_int_equal(sw_baseline_add(b->bl, &e, &err), SW_ERR_LIMIT);
	e.src = NULL;
	assert_int_equal(sw_baseline_add(b->bl, &e, &err), SW_ERR_INVALID);

	/* loaded edges are not dirty; they are the baseline */
	take(b, &es);
	assert_int_equal(es.n, 0);
	memset(&es, 0, sizeof(es));
	assert_int_equal(sw_baseline_each(b->bl, collect, &es), SW_OK);
	assert_int_equal(es.n, 2);
	assert_string_equal(es.e[0].origin, "accepted");
	assert_int_equal(es.e[0].flows, 7);

	one(b, "10.9.0.1", "10.0.1.5", "tcp/80", T0, 1000);
	one(b, "10.9.0.2", "9.9.9.9", "udp/53", T0 + SEC, 100);
	assert_int_equal(b->recs.n, 0);
	one(b, "10.9.0.1", "10.0.2.10", "tcp/5432", T0 + 2 * SEC, 100);
	one(b, "10.9.0.1", "8.8.8.8", "udp/53", T0 + 3 * SEC, 100);
	assert_int_equal(b->recs.n, 2);
	assert_int_equal(b->recs.r[0].kind, SW_ANOMALY_NEW_EDGE);
	assert_int_equal(b->recs.r[1].kind, SW_ANOMALY_NEW_EXTERNAL);
}

/* Statistics of another interval length are not comparable: dropped. */
static void test_loaded_other_interval(void **state)
{
	struct bfx *b = *state;
	struct sw_baseline_edge e;
	struct sw_baseline_stats st;
	struct edges es;

	make(b);
	memset(&e, 0, sizeof(e));
	e.src = "corp/cli";
	e.dst = "prod/web";
	e.proto = SW_PROTO_TCP;
	e.port = 80;
	e.interval_ns = 300 * SEC;
	e.intervals = 20;
	e.bytes_mean = 5000;
	e.bytes_m2 = 100;
	assert_int_equal(sw_baseline_add(b->bl, &e, NULL), SW_OK);
	e.port = 81;
	e.interval_ns = 60 * SEC;
	assert_int_equal(sw_baseline_add(b->bl, &e, NULL), SW_OK);
	sw_baseline_stats(b->bl, &st);
	assert_int_equal(st.stats_reset, 1);
	memset(&es, 0, sizeof(es));
	assert_int_equal(sw_baseline_each(b->bl, collect, &es), SW_OK);
	assert_int_equal(es.e[0].intervals, 0);
	assert_close(es.e[0].mean, 0);
	assert_int_equal(es.e[1].intervals, 20);
	assert_close(es.e[1].mean, 5000);
}

/* ---- volume ---- */

/* One flow of `bytes` in each interval i in [from, to) on cli->db, 10 s
 * into the interval; intervals start at T0 (the clock starts there). */
static void steady(struct bfx *b, int from, int to, const uint64_t *bytes)
{
	sw_baseline_advance(b->bl, T0);
	for (int i = from; i < to; i++)
		one(b, "10.9.0.1", "10.0.2.10", "tcp/5432", T0 + (uint64_t)i * MIN + 10 * SEC,
		    bytes[i]);
}

static void test_volume(void **state)
{
	struct bfx *b = *state;
	uint64_t bytes[20];
	double x[10], mean, m2, sd;
	const struct rec *r;
	json_t *j;

	b->cfg.learn_ns = 10 * MIN;
	make(b);
	for (int i = 0; i < 20; i++)
		bytes[i] = 100000 + (uint64_t)(i % 3) * 2000; /* 100k, 102k, 104k */
	for (int i = 0; i < 10; i++)
		x[i] = (double)bytes[i];
	naive_stats(x, 10, &mean, &m2);
	sd = sqrt(m2 / 9);
	bytes[14] = 125000;  /* +25 %: beyond 3 stddev, within 3 * 10 % of the mean */
	bytes[16] = 900000;  /* a burst */
	steady(b, 0, 18, bytes);
	sw_baseline_advance(b->bl, T0 + 18 * MIN);
	assert_int_equal(b->recs.n, 1);
	r = &b->recs.r[0];
	assert_int_equal(r->kind, SW_ANOMALY_VOLUME);
	assert_string_equal(r->src, "corp/cli");
	assert_string_equal(r->dst, "prod/db");
	assert_int_equal(r->port, 5432);
	assert_int_equal(r->detected_ns, T0 + 17 * MIN); /* the interval's end */
	/* the floor 0.1 * mean exceeds the stddev here */
	assert_true(sd < 0.1 * mean);
	assert_close(r->score, (900000 - mean) / (0.1 * mean));
	j = json_loads(r->evidence, 0, NULL);
	assert_int_equal(json_integer_value(json_object_get(j, "bytes")), 900000);
	assert_close(json_real_value(json_object_get(j, "mean")), mean);
	assert_close(json_real_value(json_object_get(j, "stddev")), sd);
	assert_close(json_real_value(json_object_get(j, "k")), 3);
	assert_close(json_real_value(json_object_get(j, "threshold")), mean + 3 * 0.1 * mean);
	assert_int_equal(json_integer_value(json_object_get(j, "intervals")), 10);
	assert_string_equal(json_string_value(json_object_get(j, "interval_start")),
	                    "2026-11-25T12:16:00.000000000Z");
	assert_string_equal(json_string_value(json_object_get(j, "interval_end")),
	                    "2026-11-25T12:17:00.000000000Z");
	json_decref(j);
}

/* Too little history: no volume judgement. */
static void test_volume_needs_history(void **state)
{
	struct bfx *b = *state;
	uint64_t bytes[8] = {1000, 1000, 1000, 1000, 5000000, 5000000, 5000000, 5000000};

	b->cfg.learn_ns = 4 * MIN; /* 4 samples < min_intervals 5 */
	make(b);
	steady(b, 0, 8, bytes);
	sw_baseline_advance(b->bl, T0 + 9 * MIN);
	assert_int_equal(count_kind(&b->recs, SW_ANOMALY_VOLUME), 0);
}

/* A tiny steady edge does not alarm on a few hundred bytes more (1 KiB
 * floor), but does on much more. */
static void test_volume_floor(void **state)
{
	struct bfx *b = *state;
	uint64_t bytes[9] = {100, 100, 100, 100, 100, 100, 2000, 100, 5000};

	b->cfg.learn_ns = 6 * MIN;
	make(b);
	steady(b, 0, 9, bytes);
	sw_baseline_advance(b->bl, T0 + 10 * MIN);
	assert_int_equal(b->recs.n, 1);
	assert_int_equal(b->recs.r[0].kind, SW_ANOMALY_VOLUME);
	assert_int_equal(b->recs.r[0].detected_ns, T0 + 9 * MIN);
	assert_close(b->recs.r[0].score, (5000.0 - 100.0) / 1024.0);
}

/* ---- fan-out ---- */

static void test_fanout_threshold(void **state)
{
	struct bfx *b = *state;
	struct sw_baseline_stats st;
	const struct rec *r;
	json_t *j, *targets, *ports;
	char dst[32];

	b->cfg.fanout_threshold = 5;
	b->cfg.fanout_window_ns = 60 * SEC;
	make(b);
	for (int i = 0; i < 5; i++) {
		snprintf(dst, sizeof(dst), "192.0.2.%d", 10 + i);
		one(b, "10.9.0.1", dst, "tcp/22", T0 + (uint64_t)i * SEC, 60);
	}
	/* the same targets again, and another address of the same source */
	one(b, "10.9.0.1", "192.0.2.10", "tcp/22", T0 + 6 * SEC, 60);
	one(b, "10.9.0.2", "192.0.2.11", "tcp/22", T0 + 7 * SEC, 60);
	assert_int_equal(b->recs.n, 0);
	/* the sixth distinct (destination, port): alarm */
	one(b, "10.9.0.1", "192.0.2.10", "tcp/23", T0 + 8 * SEC, 60);
	assert_int_equal(b->recs.n, 1);
	r = &b->recs.r[0];
	assert_int_equal(r->kind, SW_ANOMALY_FANOUT);
	assert_string_equal(r->src, "corp/cli");
	assert_false(r->has_dst);
	assert_int_equal(r->proto, 0);
	assert_int_equal(r->detected_ns, T0 + 8 * SEC);
	assert_close(r->score, 6.0 / 5.0);
	j = json_loads(r->evidence, 0, NULL);
	assert_int_equal(json_integer_value(json_object_get(j, "count")), 6);
	assert_int_equal(json_integer_value(json_object_get(j, "threshold")), 5);
	targets = json_object_get(j, "targets");
	assert_int_equal(json_array_size(targets), 6);
	assert_string_equal(json_string_value(json_object_get(json_array_get(targets, 0), "dst")),
	                    "192.0.2.10");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(targets, 5), "port")),
	                 23);
	ports = json_object_get(j, "ports");
	assert_int_equal(json_array_size(ports), 2);
	assert_int_equal(json_integer_value(json_array_get(ports, 0)), 22);
	assert_int_equal(json_integer_value(json_array_get(ports, 1)), 23);
	json_decref(j);
	/* more targets in the same window: no second alarm */
	for (int i = 0; i < 10; i++) {
		snprintf(dst, sizeof(dst), "192.0.2.%d", 100 + i);
		one(b, "10.9.0.1", dst, "tcp/22", T0 + 9 * SEC + (uint64_t)i * SEC, 60);
	}
	assert_int_equal(b->recs.n, 1);
	/* a window later, still scanning: a second alarm */
	for (int i = 0; i < 6; i++) {
		snprintf(dst, sizeof(dst), "198.51.100.%d", 1 + i);
		one(b, "10.9.0.1", dst, "tcp/22", T0 + 70 * SEC + (uint64_t)i * SEC, 60);
	}
	assert_int_equal(b->recs.n, 2);
	sw_baseline_stats(b->bl, &st);
	assert_int_equal(st.anomalies[SW_ANOMALY_FANOUT], 2);
}

/* Targets leave the window: five now and five a minute later is never
 * more than five within a minute. */
static void test_fanout_window_slides(void **state)
{
	struct bfx *b = *state;
	char dst[32];

	b->cfg.fanout_threshold = 5;
	b->cfg.fanout_window_ns = 60 * SEC;
	make(b);
	for (int round = 0; round < 4; round++)
		for (int i = 0; i < 5; i++) {
			snprintf(dst, sizeof(dst), "192.0.2.%d", round * 10 + i);
			one(b, "10.9.0.1", dst, "udp/161",
			    T0 + (uint64_t)round * 61 * SEC + (uint64_t)i * SEC, 60);
		}
	assert_int_equal(b->recs.n, 0);
	/* endpoints count by identity: many web addresses are one target */
	for (int i = 0; i < 20; i++) {
		snprintf(dst, sizeof(dst), "10.0.1.%d", 1 + i);
		one(b, "10.9.0.1", dst, "tcp/80", T0 + 400 * SEC + (uint64_t)i * SEC, 60);
	}
	assert_int_equal(b->recs.n, 0);
	/* ICMP sweeps count (port 0 per address) */
	for (int i = 0; i < 6; i++) {
		snprintf(dst, sizeof(dst), "192.0.2.%d", 200 + i);
		one(b, "10.0.1.4", dst, "icmp", T0 + 500 * SEC + (uint64_t)i * SEC, 60);
	}
	assert_int_equal(b->recs.n, 1);
	assert_string_equal(b->recs.r[0].src, "prod/web");
}

/* Fan-out is on while learning and without any baseline. */
static void test_fanout_while_learning(void **state)
{
	struct bfx *b = *state;
	char dst[32];

	b->cfg.learn_ns = SW_BASELINE_LEARN_ALL;
	b->cfg.fanout_threshold = 3;
	make(b);
	for (int i = 0; i < 4; i++) {
		snprintf(dst, sizeof(dst), "203.0.113.%d", i + 1);
		one(b, "198.51.100.7", dst, "tcp/445", T0 + (uint64_t)i * SEC, 60);
	}
	assert_int_equal(b->recs.n, 1);
	assert_int_equal(b->recs.r[0].kind, SW_ANOMALY_FANOUT);
	assert_string_equal(b->recs.r[0].src, "198.51.100.7");
	assert_false(b->recs.r[0].has_src_ns);
}

/* ---- caps ---- */

static void test_caps(void **state)
{
	struct bfx *b = *state;
	struct sw_baseline_stats st;
	struct sw_flow f1, f2;

	b->cfg.learn_ns = 10 * MIN;
	b->cfg.max_edges = 2;
	b->cfg.max_reported = 1;
	b->cfg.max_flows = 1;
	b->cfg.max_sources = 1;
	make(b);
	one(b, "10.9.0.1", "10.0.1.5", "tcp/80", T0, 1000);
	one(b, "10.9.0.1", "8.8.8.8", "udp/53", T0 + SEC, 1000);
	one(b, "10.9.0.1", "10.0.2.10", "tcp/5432", T0 + 2 * SEC, 1000); /* third edge */
	sw_baseline_stats(b->bl, &st);
	assert_int_equal(st.edges, 2);
	assert_int_equal(st.edges_overflow, 1);
	/* a second source for fan-out while the first is in its window */
	one(b, "10.0.1.5", "10.0.2.10", "tcp/5432", T0 + 3 * SEC, 1000);
	sw_baseline_stats(b->bl, &st);
	assert_int_equal(st.sources_overflow, 1);
	assert_int_equal(st.edges_overflow, 2);

	/* two concurrent flows on a known edge: one is followed */
	f1 = flow(b, "10.9.0.1", "10.0.1.5", "tcp/80", T0 + 4 * SEC);
	f2 = flow(b, "10.9.0.2", "10.0.1.5", "tcp/80", T0 + 4 * SEC);
	ev(b, &f1, SW_FLOW_START, 0, 0, T0 + 4 * SEC);
	ev(b, &f2, SW_FLOW_START, 0, 0, T0 + 4 * SEC);
	ev(b, &f1, SW_FLOW_END, 10, 10, T0 + 5 * SEC);
	ev(b, &f2, SW_FLOW_END, 10, 10, T0 + 5 * SEC);
	sw_baseline_stats(b->bl, &st);
	assert_int_equal(st.flows_overflow, 1);

	/* detection: two new edges, room to remember one */
	sw_baseline_advance(b->bl, T0 + 11 * MIN);
	one(b, "10.9.0.1", "10.0.2.10", "tcp/5432", T0 + 11 * MIN, 100);
	one(b, "10.9.0.1", "10.0.2.10", "tcp/5433", T0 + 11 * MIN + SEC, 100);
	sw_baseline_stats(b->bl, &st);
	assert_int_equal(st.anomalies[SW_ANOMALY_NEW_EDGE], 1);
	assert_int_equal(st.reported_overflow, 1);
	assert_int_equal(count_kind(&b->recs, SW_ANOMALY_NEW_EDGE), 1);
}

/* A sweep frees sources whose window passed, so a new source fits. */
static void test_fanout_sources_recycled(void **state)
{
	struct bfx *b = *state;
	struct sw_baseline_stats st;

	b->cfg.max_sources = 1;
	make(b);
	one(b, "10.9.0.1", "192.0.2.1", "tcp/22", T0, 60);
	one(b, "10.0.1.5", "192.0.2.1", "tcp/22", T0 + SEC, 60);
	sw_baseline_stats(b->bl, &st);
	assert_int_equal(st.sources_overflow, 1);
	one(b, "10.0.1.5", "192.0.2.1", "tcp/22", T0 + 2 * MIN, 60);
	sw_baseline_stats(b->bl, &st);
	assert_int_equal(st.sources_overflow, 1);
}

/* ---- dirty edges ---- */

static void test_take_dirty_failure(void **state)
{
	struct bfx *b = *state;
	struct edges es;

	b->cfg.learn_ns = SW_BASELINE_LEARN_ALL;
	make(b);
	one(b, "10.9.0.1", "10.0.1.5", "tcp/80", T0, 1000);
	one(b, "10.9.0.1", "10.0.2.10", "tcp/5432", T0 + SEC, 1000);
	one(b, "10.0.1.5", "10.0.2.10", "tcp/5432", T0 + 2 * SEC, 1000);
	memset(&es, 0, sizeof(es));
	es.fail_at = 2;
	assert_int_equal(sw_baseline_take_dirty(b->bl, collect, &es), SW_ERR_IO);
	assert_int_equal(es.n, 1);
	take(b, &es); /* the failed one and the rest */
	assert_int_equal(es.n, 2);
	assert_string_equal(es.e[0].dst, "prod/db");
	assert_string_equal(es.e[1].src, "prod/web");
	take(b, &es);
	assert_int_equal(es.n, 0);
	sw_baseline_mark_all_dirty(b->bl);
	take(b, &es);
	assert_int_equal(es.n, 3);
}

/* ---- determinism ---- */

static void random_run(struct bfx *b, uint64_t seed, struct recs *out)
{
	struct rng g = {seed};
	static const char *const srcs[] = {"10.9.0.1", "10.0.1.5", "10.0.2.10", "203.0.113.1"};
	static const char *const pps[] = {"tcp/80", "tcp/5432", "udp/53", "tcp/443", "icmp"};
	struct sw_baseline_config cfg = b->cfg;
	struct sw_baseline *bl;
	struct sw_err err;
	struct bfx *run = xcalloc(1, sizeof(*run));

	cfg.on_anomaly_ctx = out;
	cfg.learn_ns = 20 * MIN;
	cfg.fanout_threshold = 8;
	bl = sw_baseline_new(matcher(b->f), &cfg, &err);
	assert_non_null(bl);
	run->f = b->f;
	run->bl = bl;
	run->next_id = 1;
	for (int i = 0; i < 3000; i++) {
		char dst[32];
		uint64_t t = T0 + (uint64_t)i * 400 * 1000000ull; /* 0.4 s apart: 20 min */
		uint32_t d = rnd(&g, 10);
		if (i > 2000)
			t += 30 * MIN; /* detection: some bursts and scans */
		if (d < 6)
			snprintf(dst, sizeof(dst), "%s", d < 3 ? "10.0.1.7" : "10.0.2.10");
		else
			snprintf(dst, sizeof(dst), "192.0.2.%u", rnd(&g, i > 2000 ? 60 : 4));
		one(run, srcs[rnd(&g, 4)], dst, pps[rnd(&g, 5)], t,
		    (uint64_t)rnd(&g, 5000) * (i > 2500 && d == 0 ? 100 : 1));
	}
	sw_baseline_advance(bl, T0 + 3 * 3600 * SEC);
	sw_baseline_free(bl);
	free(run);
}

static void test_deterministic(void **state)
{
	struct bfx *b = *state;
	struct recs *a = xcalloc(1, sizeof(*a)), *c = xcalloc(1, sizeof(*c));
	size_t kinds = 0;

	random_run(b, 42, a);
	random_run(b, 42, c);
	assert_true(a->n > 3);
	assert_int_equal(a->n, c->n);
	for (size_t i = 0; i < a->n; i++) {
		assert_int_equal(a->r[i].kind, c->r[i].kind);
		assert_int_equal(a->r[i].detected_ns, c->r[i].detected_ns);
		assert_string_equal(a->r[i].src, c->r[i].src);
		assert_string_equal(a->r[i].dst, c->r[i].dst);
		assert_int_equal(a->r[i].port, c->r[i].port);
		assert_string_equal(a->r[i].evidence, c->r[i].evidence);
	}
	for (int k = 0; k < SW_ANOMALY_KIND_COUNT; k++)
		kinds += count_kind(a, (enum sw_anomaly_kind)k) > 0;
	assert_true(kinds >= 3); /* the workload exercises most detectors */
	recs_clear(a);
	recs_clear(c);
	free(a);
	free(c);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, bsetup, bteardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_kind_names),
		T(test_config_checks),
		T(test_learning_records_edges),
		T(test_byte_deltas),
		T(test_many_concurrent_flows),
		T(test_interval_statistics),
		T(test_edge_sampled_from_its_first_interval),
		T(test_new_edge),
		T(test_new_external),
		T(test_no_detection_without_baseline),
		T(test_loaded_baseline),
		T(test_loaded_other_interval),
		T(test_volume),
		T(test_volume_needs_history),
		T(test_volume_floor),
		T(test_fanout_threshold),
		T(test_fanout_window_slides),
		T(test_fanout_while_learning),
		T(test_caps),
		T(test_fanout_sources_recycled),
		T(test_take_dirty_failure),
		T(test_deterministic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
