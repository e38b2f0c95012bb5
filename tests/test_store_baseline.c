/*
 * test_store_baseline.c - cmocka tests of the store's baseline edges and
 * anomalies on real SQLite files in a mkdtemp directory: edges round trip
 * (and the upsert replacing counters, never demoting an accepted origin),
 * filters and paging of edges, reset, anomalies inserted in the current
 * run, their triage transitions, accepting one putting its edge into the
 * baseline in the same transaction (and a fan-out refused), batches
 * (rolled back together), listing with filters and keyset paging, the
 * read-only refusal, and the module's dirty edges persisted through the
 * sink then loaded into a new baseline. Rows are checked with plain SQLite
 * where the store's own reads could hide a mistake.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "segwatch/store_baseline.h"

#include "match_builders.h"

#define T0 1795608000000000000ull /* 2026-11-25T12:00:00Z */
#define SEC 1000000000ull

struct sfx {
	char dir[64];
	char db[128];
	struct sw_store *st;
};

static int sfx_setup(void **state)
{
	struct sfx *x = calloc(1, sizeof(*x));
	struct sw_err err;

	if (x == NULL)
		return -1;
	snprintf(x->dir, sizeof(x->dir), "/tmp/segwatch-sb-XXXXXX");
	if (mkdtemp(x->dir) == NULL)
		return -1;
	snprintf(x->db, sizeof(x->db), "%s/segwatch.db", x->dir);
	x->st = sw_store_open(x->db, NULL, &err);
	if (x->st == NULL)
		return -1;
	*state = x;
	return 0;
}

static int sfx_teardown(void **state)
{
	struct sfx *x = *state;
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
	char p[160];

	sw_store_close(x->st);
	for (size_t i = 0; i < SW_ARRAY_SIZE(suffixes); i++) {
		snprintf(p, sizeof(p), "%s%s", x->db, suffixes[i]);
		unlink(p);
	}
	rmdir(x->dir);
	free(x);
	return 0;
}

/* One integer from a query on a separate plain connection. */
static int64_t sql_int(const struct sfx *x, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t v = -1;

	assert_int_equal(sqlite3_open_v2(x->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static struct sw_baseline_edge edge(const char *src, const char *dst, uint8_t proto,
                                    uint16_t port)
{
	struct sw_baseline_edge e;

	memset(&e, 0, sizeof(e));
	e.src = src;
	e.dst = dst;
	e.proto = proto;
	e.port = port;
	e.src_ns = strchr(src, '/') ? "prod" : NULL;
	e.dst_ns = strchr(dst, '/') ? "prod" : NULL;
	e.first_seen_ns = T0;
	e.last_seen_ns = T0 + 10 * SEC;
	e.flows = 3;
	e.bytes = 4500;
	e.interval_ns = 60 * SEC;
	e.intervals = 7;
	e.bytes_mean = 642.5;
	e.bytes_m2 = 1234.25;
	e.origin = "learned";
	return e;
}

/* ---- collecting edges ---- */

struct got_edge {
	int64_t id;
	char src[64], dst[64], origin[16];
	bool src_ns_null, dst_ns_null;
	uint8_t proto;
	uint16_t port;
	uint64_t first, last, flows, bytes, interval_ns, intervals;
	double mean, m2;
};

struct got_edges {
	size_t n;
	struct got_edge e[32];
};

static enum sw_status collect_edge(void *ctx, const struct sw_store_edge *se)
{
	struct got_edges *g = ctx;
	const struct sw_baseline_edge *e = &se->e;
	struct got_edge *c;

	assert_true(g->n < SW_ARRAY_SIZE(g->e));
	c = &g->e[g->n++];
	c->id = se->id;
	snprintf(c->src, sizeof(c->src), "%s", e->src);
	snprintf(c->dst, sizeof(c->dst), "%s", e->dst);
	snprintf(c->origin, sizeof(c->origin), "%s", e->origin);
	c->src_ns_null = e->src_ns == NULL;
	c->dst_ns_null = e->dst_ns == NULL;
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

static void list_edges(struct sfx *x, const struct sw_store_efilter *f, struct got_edges *g,
                       bool *more)
{
	struct sw_err err;

	memset(g, 0, sizeof(*g));
	if (sw_store_list_edges(x->st, f, collect_edge, g, more, &err) != SW_OK)
		fail_msg("list edges: %s", err.msg);
}

/* ---- collecting anomalies ---- */

struct got_anomaly {
	int64_t id, run_id;
	enum sw_anomaly_kind kind;
	enum sw_anomaly_state state;
	uint64_t detected, state_changed;
	char src[64], dst[64], evidence[256], state_by[32];
	bool dst_null, has_port, has_score;
	uint16_t port;
	double score;
};

struct got_anomalies {
	size_t n;
	struct got_anomaly a[64];
};

static void collect_anomaly(void *ctx, const struct sw_store_anomaly *a)
{
	struct got_anomalies *g = ctx;
	struct got_anomaly *c;

	assert_true(g->n < SW_ARRAY_SIZE(g->a));
	c = &g->a[g->n++];
	c->id = a->id;
	c->run_id = a->run_id;
	c->kind = a->kind;
	c->state = a->state;
	c->detected = a->detected_ns;
	c->state_changed = a->state_changed_ns;
	snprintf(c->src, sizeof(c->src), "%s", a->src);
	snprintf(c->dst, sizeof(c->dst), "%s", a->dst ? a->dst : "");
	snprintf(c->evidence, sizeof(c->evidence), "%s", a->evidence);
	snprintf(c->state_by, sizeof(c->state_by), "%s", a->state_by ? a->state_by : "");
	c->dst_null = a->dst == NULL;
	c->has_port = a->has_port;
	c->port = a->port;
	c->has_score = a->has_score;
	c->score = a->score;
}

static void list_anomalies(struct sfx *x, const struct sw_store_afilter *f,
                           struct got_anomalies *g, bool *more)
{
	struct sw_err err;

	memset(g, 0, sizeof(*g));
	if (sw_store_list_anomalies(x->st, f, collect_anomaly, g, more, &err) != SW_OK)
		fail_msg("list anomalies: %s", err.msg);
}

static int64_t insert(struct sfx *x, enum sw_anomaly_kind kind, const char *src,
                      const char *dst, uint16_t port, uint64_t t)
{
	struct sw_anomaly a;
	struct sw_err err;
	int64_t id = 0;

	memset(&a, 0, sizeof(a));
	a.kind = kind;
	a.detected_ns = t;
	a.src = src;
	a.dst = kind == SW_ANOMALY_FANOUT ? NULL : dst;
	a.proto = kind == SW_ANOMALY_FANOUT ? 0 : 6;
	a.port = port;
	a.src_ns = strchr(src, '/') ? "prod" : NULL;
	a.dst_ns = dst && strchr(dst, '/') ? "prod" : NULL;
	a.score = 2.5;
	a.evidence = "{\"flow_id\":7}";
	if (sw_store_insert_anomaly(x->st, &a, &id, &err) != SW_OK)
		fail_msg("insert: %s", err.msg);
	assert_true(id > 0);
	return id;
}

/* ---- edges ---- */

static void test_edge_round_trip(void **state)
{
	struct sfx *x = *state;
	struct sw_baseline_edge e1 = edge("prod/web", "prod/db", 6, 5432);
	struct sw_baseline_edge e2 = edge("prod/web", "8.8.8.8", 17, 53);
	struct sw_err err;
	struct got_edges g;

	assert_int_equal(sw_store_upsert_edge(x->st, &e1, &err), SW_OK);
	assert_int_equal(sw_store_upsert_edge(x->st, &e2, &err), SW_OK);
	list_edges(x, NULL, &g, NULL);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.e[0].src, "prod/web");
	assert_string_equal(g.e[0].dst, "prod/db");
	assert_int_equal(g.e[0].proto, 6);
	assert_int_equal(g.e[0].port, 5432);
	assert_false(g.e[0].dst_ns_null);
	assert_int_equal(g.e[0].first, T0);
	assert_int_equal(g.e[0].last, T0 + 10 * SEC);
	assert_int_equal(g.e[0].flows, 3);
	assert_int_equal(g.e[0].bytes, 4500);
	assert_int_equal(g.e[0].interval_ns, 60 * SEC);
	assert_int_equal(g.e[0].intervals, 7);
	assert_true(g.e[0].mean == 642.5);
	assert_true(g.e[0].m2 == 1234.25);
	assert_string_equal(g.e[0].origin, "learned");
	assert_true(g.e[1].dst_ns_null);

	/* the upsert replaces counters with the module's totals */
	e1.flows = 10;
	e1.bytes = 9000;
	e1.intervals = 9;
	e1.last_seen_ns = T0 + 100 * SEC;
	e1.first_seen_ns = T0 + 50 * SEC; /* first seen never moves later */
	assert_int_equal(sw_store_upsert_edge(x->st, &e1, &err), SW_OK);
	assert_int_equal(sql_int(x, "SELECT count(*) FROM baseline_edges"), 2);
	assert_int_equal(sql_int(x, "SELECT flows FROM baseline_edges WHERE port = 5432"), 10);
	assert_int_equal(sql_int(x, "SELECT bytes FROM baseline_edges WHERE port = 5432"), 9000);
	assert_int_equal(sql_int(x, "SELECT intervals FROM baseline_edges WHERE port = 5432"), 9);
	assert_int_equal(sql_int(x, "SELECT first_seen_ns FROM baseline_edges WHERE port = 5432"),
	                 (int64_t)T0);
	assert_int_equal(sql_int(x, "SELECT last_seen_ns FROM baseline_edges WHERE port = 5432"),
	                 (int64_t)(T0 + 100 * SEC));

	/* an accepted edge stays accepted */
	assert_int_equal(sql_int(x, "SELECT id FROM baseline_edges WHERE port = 53"), g.e[1].id);
	e2.origin = "accepted";
	assert_int_equal(sw_store_upsert_edge(x->st, &e2, &err), SW_OK);
	e2.origin = "learned";
	assert_int_equal(sw_store_upsert_edge(x->st, &e2, &err), SW_OK);
	assert_int_equal(sql_int(x, "SELECT origin = 'accepted' FROM baseline_edges"
	                            " WHERE port = 53"), 1);

	e1.src = NULL;
	assert_int_equal(sw_store_upsert_edge(x->st, &e1, &err), SW_ERR_INVALID);
}

static void test_edge_filters_and_pages(void **state)
{
	struct sfx *x = *state;
	struct sw_store_efilter f;
	struct got_edges g;
	bool more;
	char dst[32];

	for (int i = 0; i < 7; i++) {
		struct sw_baseline_edge e;
		snprintf(dst, sizeof(dst), "192.0.2.%d", i);
		e = edge(i % 2 ? "prod/web" : "10.1.1.1", dst, 6, (uint16_t)(1000 + i));
		assert_int_equal(sw_store_upsert_edge(x->st, &e, NULL), SW_OK);
	}
	memset(&f, 0, sizeof(f));
	f.src = "prod/web";
	list_edges(x, &f, &g, &more);
	assert_int_equal(g.n, 3);
	assert_false(more);
	memset(&f, 0, sizeof(f));
	f.ns = "prod";
	list_edges(x, &f, &g, NULL);
	assert_int_equal(g.n, 3);
	memset(&f, 0, sizeof(f));
	f.dst = "192.0.2.4";
	list_edges(x, &f, &g, NULL);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.e[0].port, 1004);
	/* pages of 3 by id */
	memset(&f, 0, sizeof(f));
	f.limit = 3;
	list_edges(x, &f, &g, &more);
	assert_int_equal(g.n, 3);
	assert_true(more);
	f.cursor_id = g.e[2].id;
	list_edges(x, &f, &g, &more);
	assert_int_equal(g.n, 3);
	assert_true(more);
	assert_int_equal(g.e[0].port, 1003);
	f.cursor_id = g.e[2].id;
	list_edges(x, &f, &g, &more);
	assert_int_equal(g.n, 1);
	assert_false(more);
}

static void test_reset(void **state)
{
	struct sfx *x = *state;
	struct sw_baseline_edge e = edge("prod/web", "prod/db", 6, 5432);
	uint64_t deleted = 99;

	assert_int_equal(sw_store_upsert_edge(x->st, &e, NULL), SW_OK);
	e.port = 5433;
	assert_int_equal(sw_store_upsert_edge(x->st, &e, NULL), SW_OK);
	insert(x, SW_ANOMALY_NEW_EDGE, "prod/web", "prod/cache", 6379, T0);
	assert_int_equal(sw_store_reset_baseline(x->st, &deleted, NULL), SW_OK);
	assert_int_equal(deleted, 2);
	assert_int_equal(sql_int(x, "SELECT count(*) FROM baseline_edges"), 0);
	assert_int_equal(sql_int(x, "SELECT count(*) FROM anomalies"), 1); /* kept */
	assert_int_equal(sw_store_reset_baseline(x->st, &deleted, NULL), SW_OK);
	assert_int_equal(deleted, 0);
}

/* Edges last seen more than the age before the newest edge go; the
 * boundary stays; anomalies stay; an empty baseline expires nothing. */
static void test_expire(void **state)
{
	struct sfx *x = *state;
	uint64_t deleted = 99;

	assert_int_equal(sw_store_expire_baseline(x->st, SEC, &deleted, NULL), SW_OK);
	assert_int_equal(deleted, 0);
	for (int i = 0; i < 5; i++) { /* last seen at T0 + 10 s + i days */
		struct sw_baseline_edge e = edge("prod/web", "prod/db", 6, (uint16_t)(5432 + i));
		e.last_seen_ns += (uint64_t)i * 86400 * SEC;
		assert_int_equal(sw_store_upsert_edge(x->st, &e, NULL), SW_OK);
	}
	insert(x, SW_ANOMALY_NEW_EDGE, "prod/web", "prod/cache", 6379, T0);
	/* newest: day 4; older than 2 days before it: days 0 and 1 */
	assert_int_equal(sw_store_expire_baseline(x->st, 2 * 86400 * SEC, &deleted, NULL), SW_OK);
	assert_int_equal(deleted, 2);
	assert_int_equal(sql_int(x, "SELECT min(port) FROM baseline_edges"), 5434);
	assert_int_equal(sql_int(x, "SELECT count(*) FROM anomalies"), 1);
	/* an age beyond the baseline's span expires nothing */
	assert_int_equal(sw_store_expire_baseline(x->st, 400 * 86400 * SEC, &deleted, NULL), SW_OK);
	assert_int_equal(deleted, 0);
	assert_int_equal(sw_store_expire_baseline(x->st, 0, &deleted, NULL), SW_OK);
	assert_int_equal(deleted, 2); /* all but the newest */
	assert_int_equal(sql_int(x, "SELECT count(*) FROM baseline_edges"), 1);
}

/* ---- anomalies ---- */

static void test_anomaly_insert(void **state)
{
	struct sfx *x = *state;
	struct sw_err err;
	struct sw_anomaly a;
	int64_t run = 0, id1, id2;
	struct got_anomalies g;

	id1 = insert(x, SW_ANOMALY_NEW_EDGE, "prod/web", "prod/db", 22, T0);
	assert_int_equal(sql_int(x, "SELECT run_id IS NULL FROM anomalies"), 1);
	assert_int_equal(sw_store_run_begin(x->st, T0, "pcap:test", &run, &err), SW_OK);
	id2 = insert(x, SW_ANOMALY_FANOUT, "10.9.9.9", NULL, 0, T0 + SEC);
	assert_true(id2 > id1);
	list_anomalies(x, NULL, &g, NULL);
	assert_int_equal(g.n, 2);
	/* detected descending */
	assert_int_equal(g.a[0].id, id2);
	assert_int_equal(g.a[0].kind, SW_ANOMALY_FANOUT);
	assert_int_equal(g.a[0].run_id, run);
	assert_true(g.a[0].dst_null);
	assert_false(g.a[0].has_port);
	assert_int_equal(g.a[0].state, SW_ANOMALY_OPEN);
	assert_int_equal(g.a[1].id, id1);
	assert_int_equal(g.a[1].run_id, 0);
	assert_true(g.a[1].has_port);
	assert_int_equal(g.a[1].port, 22);
	assert_true(g.a[1].has_score);
	assert_true(g.a[1].score == 2.5);
	assert_string_equal(g.a[1].evidence, "{\"flow_id\":7}");
	assert_int_equal(g.a[1].state_changed, 0);

	memset(&a, 0, sizeof(a));
	a.kind = SW_ANOMALY_VOLUME;
	a.src = "prod/web";
	a.dst = "prod/db";
	a.evidence = "[1,2]";
	assert_int_equal(sw_store_insert_anomaly(x->st, &a, NULL, &err), SW_ERR_INVALID);
	a.evidence = "{oops";
	assert_int_equal(sw_store_insert_anomaly(x->st, &a, NULL, &err), SW_ERR_INVALID);
	a.evidence = NULL;
	a.kind = (enum sw_anomaly_kind)9;
	assert_int_equal(sw_store_insert_anomaly(x->st, &a, NULL, &err), SW_ERR_INVALID);
	a.kind = SW_ANOMALY_VOLUME;
	assert_int_equal(sw_store_insert_anomaly(x->st, &a, NULL, &err), SW_OK); /* "{}" */
	assert_int_equal(sql_int(x, "SELECT count(*) FROM anomalies WHERE evidence = '{}'"), 1);
}

static void test_anomaly_states(void **state)
{
	struct sfx *x = *state;
	struct sw_err err;
	int64_t id = insert(x, SW_ANOMALY_NEW_EDGE, "prod/web", "prod/db", 22, T0);
	static const struct {
		enum sw_anomaly_state to;
		enum sw_status want;
	} steps[] = {
		{SW_ANOMALY_ACKNOWLEDGED, SW_OK},
		{SW_ANOMALY_ACKNOWLEDGED, SW_OK},      /* again: no-op */
		{SW_ANOMALY_RESOLVED, SW_OK},
		{SW_ANOMALY_ACKNOWLEDGED, SW_ERR_INVALID}, /* resolved only reopens */
		{SW_ANOMALY_ACCEPTED, SW_ERR_INVALID},
		{SW_ANOMALY_OPEN, SW_OK},
		{SW_ANOMALY_ACCEPTED, SW_OK},
		{SW_ANOMALY_RESOLVED, SW_ERR_INVALID},  /* accepted only reopens */
		{SW_ANOMALY_OPEN, SW_OK},
	};
	struct got_anomalies g;

	for (size_t i = 0; i < SW_ARRAY_SIZE(steps); i++) {
		enum sw_status s = sw_store_set_anomaly_state(x->st, id, steps[i].to, "alice",
		                                              T0 + i * SEC, &err);
		if (s != steps[i].want)
			fail_msg("step %zu (-> %s): %d, want %d: %s", i,
			         sw_anomaly_state_name(steps[i].to), s, steps[i].want, err.msg);
	}
	list_anomalies(x, NULL, &g, NULL);
	assert_int_equal(g.a[0].state, SW_ANOMALY_OPEN);
	assert_int_equal(g.a[0].state_changed, T0 + 8 * SEC);
	assert_string_equal(g.a[0].state_by, "alice");
	/* reopening leaves the accepted edge in the baseline */
	assert_int_equal(sql_int(x, "SELECT count(*) FROM baseline_edges"), 1);
	assert_int_equal(sw_store_set_anomaly_state(x->st, id + 100, SW_ANOMALY_RESOLVED, NULL,
	                                             T0, &err), SW_ERR_NOTFOUND);
	assert_int_equal(sw_store_set_anomaly_state(x->st, id, (enum sw_anomaly_state)7, NULL,
	                                             T0, &err), SW_ERR_INVALID);
	/* names */
	for (int s = 0; s < SW_ANOMALY_STATE_COUNT; s++) {
		enum sw_anomaly_state back;
		assert_int_equal(sw_anomaly_state_parse(
			sw_anomaly_state_name((enum sw_anomaly_state)s), &back), SW_OK);
		assert_int_equal(back, s);
	}
	assert_null(sw_anomaly_state_name(SW_ANOMALY_STATE_COUNT));
}

static void test_accept_creates_edge(void **state)
{
	struct sfx *x = *state;
	struct sw_err err;
	int64_t ne = insert(x, SW_ANOMALY_NEW_EDGE, "prod/web", "prod/cache", 6379, T0);
	int64_t nx = insert(x, SW_ANOMALY_NEW_EXTERNAL, "prod/web", "203.0.113.7", 443, T0 + SEC);
	int64_t fo = insert(x, SW_ANOMALY_FANOUT, "prod/web", NULL, 0, T0 + 2 * SEC);
	struct sw_baseline_edge known = edge("prod/web", "prod/db", 6, 5432);
	int64_t kn = insert(x, SW_ANOMALY_VOLUME, "prod/web", "prod/db", 5432, T0 + 3 * SEC);
	struct got_edges g;

	assert_int_equal(sw_store_upsert_edge(x->st, &known, NULL), SW_OK);
	assert_int_equal(sw_store_set_anomaly_state(x->st, ne, SW_ANOMALY_ACCEPTED, "bob",
	                                             T0 + 10 * SEC, &err), SW_OK);
	assert_int_equal(sw_store_set_anomaly_state(x->st, nx, SW_ANOMALY_ACCEPTED, "bob",
	                                             T0 + 10 * SEC, &err), SW_OK);
	/* a fan-out has no edge: refused, state unchanged */
	assert_int_equal(sw_store_set_anomaly_state(x->st, fo, SW_ANOMALY_ACCEPTED, "bob",
	                                             T0 + 10 * SEC, &err), SW_ERR_INVALID);
	assert_non_null(strstr(err.msg, "fan-out"));
	assert_int_equal(sql_int(x, "SELECT state = 'open' FROM anomalies WHERE kind = 'fanout'"),
	                 1);
	/* an edge already in the baseline keeps its counters and origin */
	assert_int_equal(sw_store_set_anomaly_state(x->st, kn, SW_ANOMALY_ACCEPTED, "bob",
	                                             T0 + 10 * SEC, &err), SW_OK);

	list_edges(x, NULL, &g, NULL);
	assert_int_equal(g.n, 3);
	assert_string_equal(g.e[0].dst, "prod/db");
	assert_string_equal(g.e[0].origin, "learned");
	assert_int_equal(g.e[0].flows, 3);
	assert_string_equal(g.e[1].dst, "prod/cache");
	assert_string_equal(g.e[1].origin, "accepted");
	assert_int_equal(g.e[1].port, 6379);
	assert_int_equal(g.e[1].proto, 6);
	assert_int_equal(g.e[1].first, T0);
	assert_int_equal(g.e[1].flows, 0);
	assert_false(g.e[1].dst_ns_null);
	assert_string_equal(g.e[2].dst, "203.0.113.7");
	assert_true(g.e[2].dst_ns_null);
	assert_string_equal(g.e[2].origin, "accepted");
	assert_int_equal(sql_int(x, "SELECT count(*) FROM anomalies WHERE state = 'accepted'"), 3);
}

/* Inside a batch, an accept and an insert go or stay together. */
static void test_batch_rollback(void **state)
{
	struct sfx *x = *state;
	struct sw_err err;
	int64_t id = insert(x, SW_ANOMALY_NEW_EDGE, "prod/web", "prod/cache", 6379, T0);
	struct sw_baseline_edge e = edge("prod/a", "prod/b", 6, 1);

	assert_int_equal(sw_store_begin_batch(x->st, &err), SW_OK);
	assert_int_equal(sw_store_set_anomaly_state(x->st, id, SW_ANOMALY_ACCEPTED, NULL, T0, &err),
	                 SW_OK);
	assert_int_equal(sw_store_upsert_edge(x->st, &e, &err), SW_OK);
	insert(x, SW_ANOMALY_VOLUME, "prod/a", "prod/b", 1, T0);
	sw_store_rollback_batch(x->st);
	assert_int_equal(sql_int(x, "SELECT count(*) FROM baseline_edges"), 0);
	assert_int_equal(sql_int(x, "SELECT count(*) FROM anomalies"), 1);
	assert_int_equal(sql_int(x, "SELECT state = 'open' FROM anomalies"), 1);

	assert_int_equal(sw_store_begin_batch(x->st, &err), SW_OK);
	assert_int_equal(sw_store_upsert_edge(x->st, &e, &err), SW_OK);
	insert(x, SW_ANOMALY_VOLUME, "prod/a", "prod/b", 1, T0);
	assert_int_equal(sw_store_commit_batch(x->st, &err), SW_OK);
	assert_int_equal(sql_int(x, "SELECT count(*) FROM baseline_edges"), 1);
	assert_int_equal(sql_int(x, "SELECT count(*) FROM anomalies"), 2);
}

static void test_anomaly_filters_and_pages(void **state)
{
	struct sfx *x = *state;
	struct sw_store_afilter f;
	struct got_anomalies g;
	int64_t ids[10];
	bool more;
	size_t seen = 0;

	for (int i = 0; i < 10; i++)
		ids[i] = insert(x, i % 3 == 0 ? SW_ANOMALY_FANOUT : SW_ANOMALY_NEW_EDGE,
		                i % 2 ? "prod/web" : "10.1.1.1", "prod/db", (uint16_t)i,
		                T0 + (uint64_t)(i / 2) * SEC); /* pairs share a time */
	assert_int_equal(sw_store_set_anomaly_state(x->st, ids[4], SW_ANOMALY_RESOLVED, NULL, T0,
	                                            NULL), SW_OK);
	memset(&f, 0, sizeof(f));
	f.has_kind = true;
	f.kind = SW_ANOMALY_FANOUT;
	list_anomalies(x, &f, &g, NULL);
	assert_int_equal(g.n, 4); /* 0, 3, 6, 9 */
	memset(&f, 0, sizeof(f));
	f.has_state = true;
	f.state = SW_ANOMALY_RESOLVED;
	list_anomalies(x, &f, &g, NULL);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.a[0].id, ids[4]);
	memset(&f, 0, sizeof(f));
	f.src = "prod/web";
	f.since_ns = T0 + 2 * SEC;
	list_anomalies(x, &f, &g, NULL);
	assert_int_equal(g.n, 3); /* 5, 7, 9 */
	memset(&f, 0, sizeof(f));
	f.until_ns = T0;
	list_anomalies(x, &f, &g, NULL);
	assert_int_equal(g.n, 2);

	/* keyset pages of 3 through ties on detected: every row once, in
	 * (detected, id) descending order */
	memset(&f, 0, sizeof(f));
	f.limit = 3;
	do {
		list_anomalies(x, &f, &g, &more);
		for (size_t i = 0; i < g.n; i++, seen++)
			assert_int_equal(g.a[i].id, ids[9 - seen]);
		if (g.n > 0) {
			f.cursor_detected_ns = g.a[g.n - 1].detected;
			f.cursor_id = g.a[g.n - 1].id;
		}
	} while (more);
	assert_int_equal(seen, 10);
	f.limit = 10001;
	assert_int_equal(sw_store_list_anomalies(x->st, &f, collect_anomaly, &g, NULL, NULL),
	                 SW_ERR_INVALID);
}

static void test_get_anomaly(void **state)
{
	struct sfx *x = *state;
	int64_t id = insert(x, SW_ANOMALY_NEW_EXTERNAL, "prod/web", "203.0.113.7", 443, T0);
	struct got_anomalies g;
	struct sw_err err;

	memset(&g, 0, sizeof(g));
	assert_int_equal(sw_store_get_anomaly(x->st, id, collect_anomaly, &g, &err), SW_OK);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.a[0].kind, SW_ANOMALY_NEW_EXTERNAL);
	assert_string_equal(g.a[0].dst, "203.0.113.7");
	assert_int_equal(sw_store_get_anomaly(x->st, id + 1, collect_anomaly, &g, &err),
	                 SW_ERR_NOTFOUND);
}

static void test_read_only_refuses_writes(void **state)
{
	struct sfx *x = *state;
	struct sw_store_config ro = { .read_only = true };
	struct sw_baseline_edge e = edge("prod/a", "prod/b", 6, 1);
	struct sw_store *st;
	struct sw_err err;
	struct got_edges g;

	assert_int_equal(sw_store_upsert_edge(x->st, &e, NULL), SW_OK);
	st = sw_store_open(x->db, &ro, &err);
	assert_non_null(st);
	assert_int_equal(sw_store_upsert_edge(st, &e, &err), SW_ERR_INVALID);
	assert_int_equal(sw_store_reset_baseline(st, NULL, &err), SW_ERR_INVALID);
	memset(&g, 0, sizeof(g));
	assert_int_equal(sw_store_list_edges(st, NULL, collect_edge, &g, NULL, &err), SW_OK);
	assert_int_equal(g.n, 1);
	sw_store_close(st);
}

/* ---- with the module ---- */

struct loader {
	struct sw_baseline *bl;
};

static enum sw_status load_one(void *ctx, const struct sw_store_edge *e)
{
	struct loader *l = ctx;

	return sw_baseline_add(l->bl, &e->e, NULL);
}

/* Learned edges go to the store through the sink and come back into a
 * new baseline, which then knows them. */
static void test_module_persist_and_load(void **state)
{
	struct sfx *x = *state;
	void *inner = NULL;
	struct fx *f;
	struct sw_baseline_config cfg;
	struct sw_baseline *bl;
	struct sw_err err;
	struct sw_store_edge_sink sink = {x->st, &err};
	struct sw_flow fl;
	struct loader l;
	struct sw_baseline_stats st;

	assert_int_equal(setup(&inner), 0);
	f = inner;
	ns_add(f, "prod", "");
	ep_add(f, "prod/web", "app=web", "10.0.1.1", "");
	ep_add(f, "prod/db", "app=db", "10.0.2.1", "");
	sw_baseline_config_default(&cfg);
	cfg.learn_ns = SW_BASELINE_LEARN_ALL;
	bl = sw_baseline_new(matcher(f), &cfg, &err);
	assert_non_null(bl);
	memset(&fl, 0, sizeof(fl));
	fl.id = 1;
	fl.src = addr_of(f, "10.0.1.1");
	fl.dst = addr_of(f, "10.0.2.1");
	fl.proto = 6;
	fl.sport = 40000;
	fl.dport = 5432;
	fl.first_ns = fl.last_ns = T0;
	sw_baseline_flow(bl, SW_FLOW_START, SW_END_NONE, &fl);
	fl.dir[0].bytes = 700;
	fl.dir[1].bytes = 300;
	fl.last_ns = T0 + SEC;
	sw_baseline_flow(bl, SW_FLOW_END, SW_END_IDLE, &fl);
	sw_baseline_advance(bl, T0 + 120 * SEC);

	assert_int_equal(sw_store_begin_batch(x->st, &err), SW_OK);
	assert_int_equal(sw_baseline_take_dirty(bl, sw_store_edge_sink_fn, &sink), SW_OK);
	assert_int_equal(sw_store_commit_batch(x->st, &err), SW_OK);
	sw_baseline_free(bl);
	assert_int_equal(sql_int(x, "SELECT bytes FROM baseline_edges WHERE src = 'prod/web'"
	                            " AND dst = 'prod/db' AND port = 5432"), 1000);
	assert_int_equal(sql_int(x, "SELECT intervals FROM baseline_edges"), 2);
	assert_int_equal(sql_int(x, "SELECT src_ns = 'prod' FROM baseline_edges"), 1);

	cfg.learn_ns = 0;
	l.bl = sw_baseline_new(matcher(f), &cfg, &err);
	assert_non_null(l.bl);
	assert_int_equal(sw_store_list_edges(x->st, NULL, load_one, &l, NULL, &err), SW_OK);
	sw_baseline_stats(l.bl, &st);
	assert_int_equal(st.edges, 1);
	assert_int_equal(st.stats_reset, 0);
	fl.id = 2;
	fl.first_ns = fl.last_ns = T0 + 3600 * SEC;
	sw_baseline_flow(l.bl, SW_FLOW_START, SW_END_NONE, &fl); /* known: quiet */
	fl.id = 3;
	fl.dport = 22;
	sw_baseline_flow(l.bl, SW_FLOW_START, SW_END_NONE, &fl); /* new edge */
	sw_baseline_stats(l.bl, &st);
	assert_int_equal(st.anomalies[SW_ANOMALY_NEW_EDGE], 1);
	sw_baseline_free(l.bl);
	teardown(&inner);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, sfx_setup, sfx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_edge_round_trip),
		T(test_edge_filters_and_pages),
		T(test_reset),
		T(test_expire),
		T(test_anomaly_insert),
		T(test_anomaly_states),
		T(test_accept_creates_edge),
		T(test_batch_rollback),
		T(test_anomaly_filters_and_pages),
		T(test_get_anomaly),
		T(test_read_only_refuses_writes),
		T(test_module_persist_and_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
