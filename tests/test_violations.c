/*
 * test_violations.c - cmocka tests of the violation table: judged flows
 * (fed as flow events with real inventories, policies and matcher) become
 * deduplicated violations; the key, counters across start/update/end, the
 * sample cap, explanations computed once per violation (counted through
 * the explain hook, which wraps the real sw_matcher_explain), the cap on
 * distinct violations and its overflow count, external identities, the
 * firewall verdict, observer callbacks, a late correction of the flow's
 * direction, report order and the JSON form.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segwatch/violations.h"

#include "match_builders.h"

#define T0 1795608000000000000ull /* 2026-11-25T12:00:00Z */
#define SEC 1000000000ull

/* ---- the scene ----
 * prod: isolated for ingress; web admits any endpoint on tcp/80.
 * corp/cli: isolated for egress; may reach prod endpoints on tcp/80 and
 * tcp/5432. So, from corp/cli:
 *   -> prod/web tcp/80     allowed
 *   -> prod/web tcp/22     denied_both
 *   -> prod/db  tcp/5432   denied_ingress
 *   -> 8.8.8.8  udp/53     denied_egress
 * and from an external address -> prod/web tcp/80: denied_ingress. */
static void scene(struct fx *f)
{
	struct sw_netpol *p;
	struct sw_rule *r;

	ns_add(f, "prod", "env=prod");
	ns_add(f, "corp", "team=corp");
	ep_add(f, "prod/web", "app=web", "10.0.1.0/24", "http/TCP/80");
	ep_add(f, "prod/db", "app=db", "10.0.2.10,10.0.2.11", "pg/TCP/5432");
	ep_add(f, "corp/cli", "role=client", "10.9.0.1,10.9.0.2", "");

	pol_add(f, pol_new("prod", "deny-in", "", IN));
	p = pol_new("prod", "web-in", "app=web", IN);
	r = pol_rule(p, IN);
	peer_ns(r, "");
	port_num(r, SW_PROTO_TCP, 80, 0);
	pol_add(f, p);
	p = pol_new("corp", "cli-out", "role=client", EG);
	r = pol_rule(p, EG);
	peer_ns(r, "env=prod");
	port_num(r, SW_PROTO_TCP, 80, 0);
	port_num(r, SW_PROTO_TCP, 5432, 0);
	pol_add(f, p);
}

/* Counts calls, then asks the real engine. */
struct explain_count {
	unsigned calls;
};

static enum sw_status counting_explain(void *ctx, const struct sw_matcher *m,
                                       const struct sw_addr *src, const struct sw_addr *dst,
                                       uint8_t proto, uint16_t dport,
                                       struct sw_explanation **out)
{
	struct explain_count *c = ctx;

	c->calls++;
	return sw_matcher_explain(m, src, dst, proto, dport, out);
}

/* Records observer events. */
struct seen {
	unsigned n_new, n_updated;
	uint64_t last_id;
	uint64_t last_flows;
};

static void on_change(void *ctx, enum sw_violation_event ev, const struct sw_violation *v,
                      const struct sw_flow *f)
{
	struct seen *s = ctx;

	assert_non_null(f);
	if (ev == SW_VIOLATION_NEW)
		s->n_new++;
	else
		s->n_updated++;
	s->last_id = v->id;
	s->last_flows = v->flows;
}

struct vfx {
	struct fx *f;
	struct sw_violations *vt;
	struct explain_count ec;
	struct seen seen;
	uint64_t next_id;
};

static int vsetup(void **state)
{
	struct vfx *v = calloc(1, sizeof(*v));
	void *inner = NULL;

	if (v == NULL || setup(&inner) != 0)
		return -1;
	v->f = inner;
	v->next_id = 1;
	*state = v;
	return 0;
}

static int vteardown(void **state)
{
	struct vfx *v = *state;
	void *inner = v->f;

	sw_violations_free(v->vt);
	teardown(&inner);
	free(v);
	return 0;
}

/* Builds the scene and a table with at most max violations. */
static struct sw_violations *table(struct vfx *v, size_t max)
{
	struct sw_violations_config cfg;
	struct sw_err err;

	scene(v->f);
	memset(&cfg, 0, sizeof(cfg));
	cfg.max_violations = max;
	cfg.explain = counting_explain;
	cfg.explain_ctx = &v->ec;
	cfg.on_change = on_change;
	cfg.on_change_ctx = &v->seen;
	v->vt = sw_violations_new(matcher(v->f), &cfg, &err);
	assert_non_null(v->vt);
	return v->vt;
}

static struct sw_flow flow(struct vfx *v, const char *src, uint16_t sport, const char *dst,
                           const char *pp, uint64_t t)
{
	struct sw_flow f;

	memset(&f, 0, sizeof(f));
	f.id = v->next_id++;
	f.src = addr_of(v->f, src);
	f.dst = addr_of(v->f, dst);
	proto_port(pp, &f.proto, &f.dport);
	f.sport = sport;
	if (f.proto == SW_PROTO_ICMP) {
		f.sport = 8;   /* echo request */
		f.dport = 0;   /* code */
	}
	f.first_ns = f.last_ns = t;
	return f;
}

static void start(struct vfx *v, struct sw_flow *f)
{
	sw_violations_flow(v->vt, SW_FLOW_START, SW_END_NONE, f);
}

/* Gives f counters (cumulative) and a new last-seen, then an event. */
static void advance(struct vfx *v, struct sw_flow *f, enum sw_flow_event ev, uint64_t p0,
                    uint64_t b0, uint64_t p1, uint64_t b1, uint64_t t)
{
	f->dir[0].pkts = p0;
	f->dir[0].bytes = b0;
	f->dir[1].pkts = p1;
	f->dir[1].bytes = b1;
	f->last_ns = t;
	sw_violations_flow(v->vt, ev, ev == SW_FLOW_END ? SW_END_IDLE : SW_END_ACTIVE_TIMEOUT, f);
}

/* One whole flow: start, end with these counters. */
static struct sw_flow one(struct vfx *v, const char *src, uint16_t sport, const char *dst,
                          const char *pp, uint64_t t)
{
	struct sw_flow f = flow(v, src, sport, dst, pp, t);

	start(v, &f);
	advance(v, &f, SW_FLOW_END, 3, 180, 2, 120, t + SEC);
	return f;
}

static const struct sw_violation *find(const struct sw_violations *vt, const char *src,
                                       const char *dst, uint8_t proto, uint16_t port)
{
	char sb[SW_ADDR_STRLEN], db[SW_ADDR_STRLEN];

	for (size_t i = 0; i < sw_violations_count(vt); i++) {
		const struct sw_violation *x = sw_violations_get(vt, i);
		if (strcmp(sw_violation_identity(x, false, sb, sizeof(sb)), src) == 0 &&
		    strcmp(sw_violation_identity(x, true, db, sizeof(db)), dst) == 0 &&
		    x->proto == proto && x->port == port)
			return x;
	}
	return NULL;
}

/* ---- the key ---- */

static void test_verdicts_of_the_scene(void **state)
{
	struct vfx *v = *state;
	struct sw_violations *vt = table(v, 0);
	static const struct {
		const char *src, *dst, *pp;
		enum sw_reason reason;
	} cases[] = {
		{"10.9.0.1", "10.0.1.5", "tcp/80", SW_REASON_ALLOWED_BY_POLICY},
		{"10.9.0.1", "10.0.1.5", "tcp/22", SW_REASON_DENIED_BOTH},
		{"10.9.0.1", "10.0.2.10", "tcp/5432", SW_REASON_DENIED_INGRESS},
		{"10.9.0.1", "8.8.8.8", "udp/53", SW_REASON_DENIED_EGRESS},
		{"203.0.113.5", "10.0.1.5", "tcp/80", SW_REASON_DENIED_INGRESS},
		{"203.0.113.5", "198.51.100.1", "tcp/80", SW_REASON_NOT_ISOLATED},
	};
	struct sw_violations_stats st;

	for (size_t i = 0; i < SW_ARRAY_SIZE(cases); i++) {
		struct sw_flow f = one(v, cases[i].src, 40000, cases[i].dst, cases[i].pp, T0);
		enum sw_reason r;
		const struct sw_violation *x;
		assert_true(sw_violations_judgement(vt, &f, &r, &x));
		if (r != cases[i].reason)
			fail_msg("case %zu: %s, want %s", i, sw_reason_name(r),
			         sw_reason_name(cases[i].reason));
		assert_int_equal(x != NULL, cases[i].reason >= SW_REASON_DENIED_INGRESS);
		if (x != NULL)
			assert_int_equal(x->reason, cases[i].reason);
	}
	sw_violations_stats(vt, &st);
	assert_int_equal(st.flows_judged, 6);
	assert_int_equal(st.allowed, 2);
	assert_int_equal(st.denied, 4);
	assert_int_equal(st.not_covered, 1);
	assert_int_equal(st.by_reason[SW_REASON_DENIED_INGRESS], 2);
	assert_int_equal(st.violations, 4);
	assert_int_equal(sw_violations_count(vt), 4);
}

static void test_dedup_key(void **state)
{
	struct vfx *v = *state;
	struct sw_violations *vt = table(v, 0);
	const struct sw_violation *x;

	/* two addresses of corp/cli, two of prod/db, other source ports: one key */
	one(v, "10.9.0.1", 40000, "10.0.2.10", "tcp/5432", T0);
	one(v, "10.9.0.2", 40001, "10.0.2.11", "tcp/5432", T0 + SEC);
	one(v, "10.9.0.1", 40002, "10.0.2.11", "tcp/5432", T0 + 2 * SEC);
	assert_int_equal(sw_violations_count(vt), 1);
	x = sw_violations_get(vt, 0);
	assert_int_equal(x->flows, 3);
	assert_string_equal(x->src_id, "corp/cli");
	assert_string_equal(x->dst_id, "prod/db");
	assert_int_equal(x->port, 5432);
	assert_int_equal(x->id, 1);
	/* another port, another protocol: new keys (one row per port) */
	one(v, "10.9.0.1", 40003, "10.0.2.10", "tcp/5433", T0);
	one(v, "10.9.0.1", 40004, "10.0.2.10", "udp/5432", T0);
	assert_int_equal(sw_violations_count(vt), 3);
	assert_non_null(find(vt, "corp/cli", "prod/db", SW_PROTO_TCP, 5433));
	assert_non_null(find(vt, "corp/cli", "prod/db", SW_PROTO_UDP, 5432));
	/* another destination identity, same port: its own key */
	one(v, "10.9.0.1", 40005, "10.0.1.7", "tcp/5432", T0);
	x = find(vt, "corp/cli", "prod/web", SW_PROTO_TCP, 5432);
	assert_non_null(x);
	assert_int_equal(x->reason, SW_REASON_DENIED_INGRESS);
	assert_int_equal(sw_violations_count(vt), 4);
}

static void test_icmp_has_no_port(void **state)
{
	struct vfx *v = *state;
	struct sw_violations *vt = table(v, 0);
	struct sw_flow f = flow(v, "203.0.113.9", 0, "10.0.2.10", "icmp", T0);
	struct sw_flow g = flow(v, "203.0.113.9", 0, "10.0.2.11", "icmp", T0 + SEC);
	const struct sw_violation *x;

	g.dport = 3; /* another code: not part of the key */
	start(v, &f);
	start(v, &g);
	assert_int_equal(sw_violations_count(vt), 1);
	x = sw_violations_get(vt, 0);
	assert_int_equal(x->port, 0);
	assert_int_equal(x->proto, SW_PROTO_ICMP);
	assert_int_equal(x->flows, 2);
	assert_int_equal(x->samples[0].sport, 8);
	assert_non_null(strstr(x->summary, "on icmp"));
}

/* ---- identities ---- */

static void test_external_identities(void **state)
{
	struct vfx *v = *state;
	struct sw_violations *vt = table(v, 0);
	const struct sw_violation *x;
	struct sw_addr a;
	char buf[SW_ADDR_STRLEN];

	one(v, "203.0.113.5", 50000, "10.0.1.5", "tcp/80", T0);
	one(v, "203.0.113.5", 50001, "10.0.1.6", "tcp/80", T0 + SEC);
	one(v, "203.0.113.6", 50002, "10.0.1.5", "tcp/80", T0 + 2 * SEC);
	one(v, "10.9.0.1", 50003, "8.8.8.8", "udp/53", T0);
	one(v, "10.9.0.2", 50004, "8.8.4.4", "udp/53", T0);
	assert_int_equal(sw_violations_count(vt), 4);
	x = find(vt, "203.0.113.5", "prod/web", SW_PROTO_TCP, 80);
	assert_non_null(x);
	assert_int_equal(x->flows, 2);
	assert_null(x->src_id);
	assert_int_equal(x->src_ep, -1);
	assert_int_equal(sw_addr_parse("203.0.113.5", &a), SW_OK);
	assert_memory_equal(&x->src_addr, &a, sizeof(a));
	assert_non_null(find(vt, "203.0.113.6", "prod/web", SW_PROTO_TCP, 80));
	x = find(vt, "corp/cli", "8.8.8.8", SW_PROTO_UDP, 53);
	assert_non_null(x);
	assert_null(x->dst_id);
	assert_string_equal(sw_violation_identity(x, true, buf, sizeof(buf)), "8.8.8.8");
	assert_int_equal(x->reason, SW_REASON_DENIED_EGRESS);
	assert_non_null(find(vt, "corp/cli", "8.8.4.4", SW_PROTO_UDP, 53));
}

/* ---- counters ---- */

static void test_counters_start_update_end(void **state)
{
	struct vfx *v = *state;
	struct sw_violations *vt = table(v, 0);
	struct sw_flow f = flow(v, "10.9.0.1", 40000, "10.0.2.10", "tcp/5432", T0);
	struct sw_flow g = flow(v, "10.9.0.2", 40001, "10.0.2.11", "tcp/5432", T0 + 5 * SEC);
	const struct sw_violation *x;

	start(v, &f);
	x = sw_violations_get(vt, 0);
	assert_non_null(x);
	assert_int_equal(x->flows, 1);
	assert_int_equal(x->pkts[0] + x->pkts[1] + x->bytes[0] + x->bytes[1], 0);
	assert_int_equal(x->first_ns, T0);
	assert_int_equal(x->last_ns, T0);

	advance(v, &f, SW_FLOW_UPDATE, 10, 1000, 8, 6000, T0 + 60 * SEC);
	assert_int_equal(x->pkts[0], 10);
	assert_int_equal(x->pkts[1], 8);
	assert_int_equal(x->bytes[0], 1000);
	assert_int_equal(x->bytes[1], 6000);
	assert_int_equal(x->last_ns, T0 + 60 * SEC);

	start(v, &g);
	advance(v, &g, SW_FLOW_END, 2, 120, 1, 60, T0 + 6 * SEC);
	assert_int_equal(x->flows, 2);
	assert_int_equal(x->pkts[0], 12);
	assert_int_equal(x->bytes[1], 6060);
	assert_int_equal(x->last_ns, T0 + 60 * SEC); /* g ended earlier */

	/* counters are cumulative: only the difference is added */
	advance(v, &f, SW_FLOW_UPDATE, 15, 1500, 8, 6000, T0 + 120 * SEC);
	advance(v, &f, SW_FLOW_END, 16, 1540, 9, 6040, T0 + 130 * SEC);
	assert_int_equal(x->pkts[0], 18);
	assert_int_equal(x->pkts[1], 10);
	assert_int_equal(x->bytes[0], 1660);
	assert_int_equal(x->bytes[1], 6100);
	assert_int_equal(x->first_ns, T0);
	assert_int_equal(x->last_ns, T0 + 130 * SEC);
	assert_int_equal(x->flows, 2);
}

static void test_allowed_flows_cost_nothing(void **state)
{
	struct vfx *v = *state;
	struct sw_violations *vt = table(v, 0);

	for (int i = 0; i < 50; i++) {
		struct sw_flow f = flow(v, "10.9.0.1", (uint16_t)(40000 + i), "10.0.1.5", "tcp/80",
		                        T0 + (uint64_t)i);
		start(v, &f);
		advance(v, &f, SW_FLOW_UPDATE, 1, 60, 1, 60, T0 + 70 * SEC);
		advance(v, &f, SW_FLOW_END, 2, 120, 2, 120, T0 + 80 * SEC);
	}
	assert_int_equal(sw_violations_count(vt), 0);
	assert_int_equal(v->ec.calls, 0);
	assert_int_equal(v->seen.n_new + v->seen.n_updated, 0);
}

static void test_late_attach_judges_at_update(void **state)
{
	struct vfx *v = *state;
	struct sw_violations *vt = table(v, 0);
	struct sw_flow f = flow(v, "10.9.0.1", 40000, "10.0.2.10", "tcp/5432", T0);
	enum sw_reason r;
	const struct sw_violation *x;

	assert_false(sw_violations_judgement(vt, &f, &r, &x));
	advance(v, &f, SW_FLOW_UPDATE, 4, 400, 3, 300, T0 + 60 * SEC); /* no START seen */
	assert_true(sw_violations_judgement(vt, &f, &r, &x));
	assert_int_equal(r, SW_REASON_DENIED_INGRESS);
	assert_non_null(x);
	assert_int_equal(x->flows, 1);
	assert_int_equal(x->pkts[0], 4);
	advance(v, &f, SW_FLOW_END, 5, 500, 3, 300, T0 + 61 * SEC);
	assert_int_equal(x->pkts[0], 5);
	assert_int_equal(x->flows, 1);
	/* the judgement still answers at (and after) the end */
	assert_true(sw_violations_judgement(vt, &f, &r, &x));
	assert_ptr_equal(x, sw_violations_get(vt, 0));
}

static void test_direction_corrected_later(void **state)
{
	struct vfx *v = *state;
	struct sw_violations *vt = table(v, 0);
	/* first packet from the client, taken as initiator and judged */
	struct sw_flow f = flow(v, "10.9.0.1", 40000, "10.0.2.10", "tcp/5432", T0);
	const struct sw_violation *x;
	struct sw_violations_stats st;
	struct sw_addr a;
	uint16_t p;

	start(v, &f);
	x = sw_violations_get(vt, 0);
	advance(v, &f, SW_FLOW_UPDATE, 3, 300, 1, 100, T0 + 60 * SEC);
	/* the flow table swaps sides (a SYN from the other side) */
	a = f.src, f.src = f.dst, f.dst = a;
	p = f.sport, f.sport = f.dport, f.dport = p;
	advance(v, &f, SW_FLOW_END, 2, 200, 5, 500, T0 + 61 * SEC);
	/* still attributed in the judged orientation: [0] = 10.9.0.1 -> db */
	assert_int_equal(x->pkts[0], 5);
	assert_int_equal(x->bytes[0], 500);
	assert_int_equal(x->pkts[1], 2);
	assert_int_equal(x->bytes[1], 200);
	assert_int_equal(x->reason, SW_REASON_DENIED_INGRESS);
	sw_violations_stats(vt, &st);
	assert_int_equal(st.direction_changed, 1);
	assert_int_equal(st.flows_judged, 1);
}

/* ---- samples, explanations, the cap ---- */

static void test_sample_cap(void **state)
{
	struct vfx *v = *state;
	struct sw_violations *vt = table(v, 0);
	uint64_t ids[7];
	const struct sw_violation *x;

	for (int i = 0; i < 7; i++) {
		struct sw_flow f = one(v, i % 2 ? "10.9.0.1" : "10.9.0.2", (uint16_t)(41000 + i),
		                       "10.0.2.10", "tcp/5432", T0 + (uint64_t)i * SEC);
		ids[i] = f.id;
	}
	assert_int_equal(sw_violations_count(vt), 1);
	x = sw_violations_get(vt, 0);
	assert_int_equal(x->flows, 7);
	assert_int_equal(x->n_samples, SW_VIOLATION_SAMPLES);
	for (size_t i = 0; i < SW_VIOLATION_SAMPLES; i++) {
		assert_int_equal(x->samples[i].flow_id, ids[i]);
		assert_int_equal(x->samples[i].sport, 41000 + i);
		assert_int_equal(x->samples[i].dport, 5432);
		assert_int_equal(x->samples[i].first_ns, T0 + i * SEC);
	}
	assert_int_equal(x->pkts[0], 7 * 3);
}

static void test_explanation_once_per_violation(void **state)
{
	struct vfx *v = *state;
	struct sw_violations *vt = table(v, 0);
	const struct sw_violation *x;

	for (int i = 0; i < 20; i++)
		one(v, "10.9.0.1", (uint16_t)(42000 + i), "10.0.2.10", "tcp/5432", T0);
	assert_int_equal(v->ec.calls, 1);
	for (int i = 0; i < 20; i++)
		one(v, "10.9.0.2", (uint16_t)(43000 + i), "10.0.1.5", "tcp/22", T0);
	assert_int_equal(v->ec.calls, 2);
	assert_int_equal(sw_violations_count(vt), 2);

	x = find(vt, "corp/cli", "prod/db", SW_PROTO_TCP, 5432);
	assert_non_null(x);
	assert_non_null(x->explanation);
	assert_int_equal(x->explanation->j.reason, SW_REASON_DENIED_INGRESS);
	assert_string_equal(x->summary,
	                    "ingress of prod/db (isolated by prod/deny-in): no ingress rule admits "
	                    "corp/cli on tcp/5432");
	x = find(vt, "corp/cli", "prod/web", SW_PROTO_TCP, 22);
	assert_non_null(x);
	assert_string_equal(x->summary,
	                    "egress of corp/cli (isolated by corp/cli-out): no egress rule admits "
	                    "prod/web on tcp/22; ingress of prod/web (isolated by prod/deny-in, "
	                    "prod/web-in): no ingress rule admits corp/cli on tcp/22");
}

static void test_overflow_counted(void **state)
{
	struct vfx *v = *state;
	struct sw_violations *vt = table(v, 2);
	struct sw_violations_stats st;
	struct sw_flow f;
	enum sw_reason r;
	const struct sw_violation *x;

	one(v, "10.9.0.1", 40000, "10.0.2.10", "tcp/5432", T0);   /* key 1 */
	one(v, "10.9.0.1", 40001, "10.0.1.5", "tcp/22", T0);      /* key 2 */
	one(v, "10.9.0.1", 40002, "10.0.1.5", "tcp/23", T0);      /* over */
	f = one(v, "10.9.0.1", 40003, "8.8.8.8", "udp/53", T0);   /* over */
	one(v, "10.9.0.2", 40004, "10.0.2.11", "tcp/5432", T0);   /* key 1 again */
	sw_violations_stats(vt, &st);
	assert_int_equal(sw_violations_count(vt), 2);
	assert_int_equal(st.violations, 2);
	assert_int_equal(st.overflow_flows, 2);
	assert_int_equal(st.denied, 5);
	assert_int_equal(sw_violations_get(vt, 0)->flows, 2);
	assert_int_equal(v->ec.calls, 2);
	/* an overflowed flow is still judged, without a violation */
	assert_true(sw_violations_judgement(vt, &f, &r, &x));
	assert_int_equal(r, SW_REASON_DENIED_EGRESS);
	assert_null(x);
}

/* A scan from 3000 external addresses: the index grows and every key is
 * found again on the second round. */
static void test_many_keys(void **state)
{
	struct vfx *v = *state;
	struct sw_violations *vt = table(v, 0);
	struct sw_violations_stats st;
	char src[32];

	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 3000; i++) {
			snprintf(src, sizeof(src), "198.18.%d.%d", i / 250, i % 250 + 1);
			one(v, src, (uint16_t)(30000 + round), "10.0.1.5", "tcp/22", T0 + (uint64_t)i);
		}
	}
	sw_violations_stats(vt, &st);
	assert_int_equal(st.violations, 3000);
	assert_int_equal(st.denied, 6000);
	assert_int_equal(v->ec.calls, 3000);
	for (size_t i = 0; i < 3000; i++) {
		const struct sw_violation *x = sw_violations_get(vt, i);
		assert_int_equal(x->id, i + 1);
		assert_int_equal(x->flows, 2);
		assert_int_equal(x->n_samples, 2);
	}
	assert_null(sw_violations_get(vt, 3000));
}

static void test_config_limit(void **state)
{
	struct vfx *v = *state;
	struct sw_violations_config cfg;
	struct sw_err err;

	scene(v->f);
	memset(&cfg, 0, sizeof(cfg));
	cfg.max_violations = (size_t)SW_VIOLATIONS_LIMIT + 1;
	sw_err_clear(&err);
	assert_null(sw_violations_new(matcher(v->f), &cfg, &err));
	assert_int_equal(err.status, SW_ERR_INVALID);
}

/* ---- firewall verdicts and observers ---- */

static void test_fw_verdict_kept(void **state)
{
	struct vfx *v = *state;
	struct sw_violations *vt = table(v, 0);
	struct sw_flow f = flow(v, "10.9.0.1", 40000, "10.0.2.10", "tcp/5432", T0);
	struct sw_flow g = flow(v, "10.9.0.2", 40001, "10.0.2.10", "tcp/5432", T0 + SEC);
	struct sw_flow h = flow(v, "10.9.0.2", 40002, "10.0.2.10", "tcp/5432", T0 + 2 * SEC);
	const struct sw_violation *x;

	start(v, &f);
	x = sw_violations_get(vt, 0);
	assert_int_equal(x->fw_verdict, SW_FW_NONE);
	assert_string_equal(x->fw_prefix, "");
	f.fw.verdict = SW_FW_DROP;
	snprintf(f.fw.prefix, sizeof(f.fw.prefix), "DROP cli->db");
	advance(v, &f, SW_FLOW_END, 3, 180, 0, 0, T0 + 3 * SEC);
	assert_int_equal(x->fw_verdict, SW_FW_DROP);
	assert_string_equal(x->fw_prefix, "DROP cli->db");
	/* a weaker verdict does not replace it */
	start(v, &g);
	g.fw.verdict = SW_FW_ACCEPT;
	snprintf(g.fw.prefix, sizeof(g.fw.prefix), "ACCEPT all");
	advance(v, &g, SW_FLOW_END, 1, 60, 0, 0, T0 + 4 * SEC);
	assert_int_equal(x->fw_verdict, SW_FW_DROP);
	assert_string_equal(x->fw_prefix, "DROP cli->db");
	/* a stronger one does; invalid UTF-8 in a prefix is replaced */
	start(v, &h);
	h.fw.verdict = SW_FW_REJECT;
	snprintf(h.fw.prefix, sizeof(h.fw.prefix), "REJECT \xff\xc3(x) \xc3\xa9 \xed\xa0\x80 "
	         "\xe0\x80\x80 \xf0\x9f\x98\x80");
	advance(v, &h, SW_FLOW_END, 1, 60, 1, 40, T0 + 5 * SEC);
	assert_int_equal(x->fw_verdict, SW_FW_REJECT);
	assert_string_equal(x->fw_prefix, "REJECT ?" "?(x) \xc3\xa9 ?" "?? ?" "?? \xf0\x9f\x98\x80");
	/* what the JSON form carries is what jansson accepts */
	json_t *o = sw_violation_json(x);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "fw_prefix")), x->fw_prefix);
	json_decref(o);
}

static void test_observer_events(void **state)
{
	struct vfx *v = *state;
	struct sw_violations *vt = table(v, 0);
	struct sw_flow f = flow(v, "10.9.0.1", 40000, "10.0.2.10", "tcp/5432", T0);
	struct sw_flow g;

	start(v, &f);
	assert_int_equal(v->seen.n_new, 1);
	assert_int_equal(v->seen.n_updated, 0);
	assert_int_equal(v->seen.last_id, 1);
	advance(v, &f, SW_FLOW_UPDATE, 2, 100, 1, 50, T0 + 60 * SEC);
	assert_int_equal(v->seen.n_updated, 1);
	/* nothing changed: no event */
	advance(v, &f, SW_FLOW_UPDATE, 2, 100, 1, 50, T0 + 60 * SEC);
	assert_int_equal(v->seen.n_updated, 1);
	g = flow(v, "10.9.0.2", 40001, "10.0.2.10", "tcp/5432", T0 + SEC);
	start(v, &g);
	assert_int_equal(v->seen.n_new, 1);
	assert_int_equal(v->seen.n_updated, 2);
	assert_int_equal(v->seen.last_flows, 2);
	one(v, "10.9.0.1", 40002, "8.8.8.8", "udp/53", T0);
	assert_int_equal(v->seen.n_new, 2);
	assert_int_equal(v->seen.last_id, 2);
	assert_int_equal(sw_violations_count(vt), 2);
}

/* ---- order and JSON ---- */

static void test_report_order(void **state)
{
	struct vfx *v = *state;
	struct sw_violations *vt = table(v, 0);
	const struct sw_violation **s = NULL;
	size_t n = 0;

	one(v, "10.9.0.1", 40000, "8.8.8.8", "udp/53", T0);          /* egress */
	one(v, "203.0.113.5", 40001, "10.0.1.5", "tcp/80", T0);      /* ingress, external */
	one(v, "10.9.0.1", 40002, "10.0.2.10", "tcp/5432", T0);      /* ingress */
	one(v, "10.9.0.1", 40003, "10.0.1.5", "tcp/443", T0);        /* both */
	one(v, "10.9.0.1", 40004, "10.0.1.5", "tcp/22", T0);         /* both */
	one(v, "10.9.0.1", 40005, "10.0.2.10", "tcp/22", T0);        /* both */
	assert_int_equal(sw_violations_sorted(vt, &s, &n), SW_OK);
	assert_int_equal(n, 6);
	static const struct {
		enum sw_reason r;
		const char *dst;
		uint16_t port;
	} want[] = {
		{SW_REASON_DENIED_BOTH, "prod/db", 22},
		{SW_REASON_DENIED_BOTH, "prod/web", 22},
		{SW_REASON_DENIED_BOTH, "prod/web", 443},
		{SW_REASON_DENIED_INGRESS, "prod/db", 5432},  /* corp/cli first */
		{SW_REASON_DENIED_INGRESS, "prod/web", 80},   /* then the external source */
		{SW_REASON_DENIED_EGRESS, "8.8.8.8", 53},
	};
	for (size_t i = 0; i < n; i++) {
		char buf[SW_ADDR_STRLEN];
		assert_int_equal(s[i]->reason, want[i].r);
		assert_string_equal(sw_violation_identity(s[i], true, buf, sizeof(buf)), want[i].dst);
		assert_int_equal(s[i]->port, want[i].port);
	}
	assert_null(s[4]->src_id);
	free(s);
}

static void test_json_form(void **state)
{
	struct vfx *v = *state;
	struct sw_violations *vt = table(v, 0);
	struct sw_flow f = flow(v, "203.0.113.5", 50000, "10.0.1.5", "tcp/80", T0 + 123456789);
	json_t *o, *s0;

	start(v, &f);
	f.fw.verdict = SW_FW_DROP;
	snprintf(f.fw.prefix, sizeof(f.fw.prefix), "DROP in");
	advance(v, &f, SW_FLOW_END, 3, 180, 0, 0, T0 + 3 * SEC);
	o = sw_violation_json(sw_violations_get(vt, 0));
	assert_non_null(o);
	assert_int_equal(json_integer_value(json_object_get(o, "id")), 1);
	assert_string_equal(json_string_value(json_object_get(o, "reason")), "denied_ingress");
	assert_string_equal(json_string_value(json_object_get(o, "src")), "203.0.113.5");
	assert_true(json_is_null(json_object_get(o, "src_endpoint")));
	assert_string_equal(json_string_value(json_object_get(o, "dst")), "prod/web");
	assert_string_equal(json_string_value(json_object_get(o, "dst_endpoint")), "prod/web");
	assert_string_equal(json_string_value(json_object_get(o, "dst_ip")), "10.0.1.5");
	assert_string_equal(json_string_value(json_object_get(o, "proto")), "tcp");
	assert_int_equal(json_integer_value(json_object_get(o, "port")), 80);
	assert_string_equal(json_string_value(json_object_get(o, "first_seen")),
	                    "2026-11-25T12:00:00.123456789Z");
	assert_string_equal(json_string_value(json_object_get(o, "last_seen")),
	                    "2026-11-25T12:00:03.000000000Z");
	assert_int_equal(json_integer_value(json_object_get(o, "flows")), 1);
	assert_int_equal(json_integer_value(json_object_get(o, "src_pkts")), 3);
	assert_int_equal(json_integer_value(json_object_get(o, "src_bytes")), 180);
	assert_int_equal(json_integer_value(json_object_get(o, "dst_pkts")), 0);
	assert_string_equal(json_string_value(json_object_get(o, "fw_verdict")), "drop");
	assert_string_equal(json_string_value(json_object_get(o, "fw_prefix")), "DROP in");
	assert_int_equal(json_array_size(json_object_get(o, "samples")), 1);
	s0 = json_array_get(json_object_get(o, "samples"), 0);
	assert_int_equal(json_integer_value(json_object_get(s0, "flow_id")), f.id);
	assert_int_equal(json_integer_value(json_object_get(s0, "src_port")), 50000);
	assert_string_equal(json_string_value(json_object_get(o, "summary")),
	                    sw_violations_get(vt, 0)->summary);
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "explanation"),
	                                                      "reason")), "denied_ingress");
	assert_true(json_is_object(json_object_get(json_object_get(o, "explanation"), "ingress")));
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_verdicts_of_the_scene, vsetup, vteardown),
		cmocka_unit_test_setup_teardown(test_dedup_key, vsetup, vteardown),
		cmocka_unit_test_setup_teardown(test_icmp_has_no_port, vsetup, vteardown),
		cmocka_unit_test_setup_teardown(test_external_identities, vsetup, vteardown),
		cmocka_unit_test_setup_teardown(test_counters_start_update_end, vsetup, vteardown),
		cmocka_unit_test_setup_teardown(test_allowed_flows_cost_nothing, vsetup, vteardown),
		cmocka_unit_test_setup_teardown(test_late_attach_judges_at_update, vsetup, vteardown),
		cmocka_unit_test_setup_teardown(test_direction_corrected_later, vsetup, vteardown),
		cmocka_unit_test_setup_teardown(test_sample_cap, vsetup, vteardown),
		cmocka_unit_test_setup_teardown(test_explanation_once_per_violation, vsetup,
		                                vteardown),
		cmocka_unit_test_setup_teardown(test_overflow_counted, vsetup, vteardown),
		cmocka_unit_test_setup_teardown(test_many_keys, vsetup, vteardown),
		cmocka_unit_test_setup_teardown(test_config_limit, vsetup, vteardown),
		cmocka_unit_test_setup_teardown(test_fw_verdict_kept, vsetup, vteardown),
		cmocka_unit_test_setup_teardown(test_observer_events, vsetup, vteardown),
		cmocka_unit_test_setup_teardown(test_report_order, vsetup, vteardown),
		cmocka_unit_test_setup_teardown(test_json_form, vsetup, vteardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
