/*
 * test_flowtable.c - cmocka tests of the flow table: direction and
 * initiator, TCP states, timeouts, updates, eviction, VLAN keys, ICMP
 * pairing and error attribution, fragments, port reuse, the firewall
 * verdict a flow keeps (NFLOG).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "segwatch/flowtable.h"

#define SEC 1000000000ull
#define MAX_EVENTS 64

struct event {
	enum sw_flow_event ev;
	enum sw_flow_end why;
	struct sw_flow flow;
};

struct recorder {
	struct event ev[MAX_EVENTS];
	int n;
};

static void record(void *ctx, enum sw_flow_event ev, enum sw_flow_end why, struct sw_flow *f)
{
	struct recorder *r = ctx;

	assert_true(r->n < MAX_EVENTS);
	r->ev[r->n].ev = ev;
	r->ev[r->n].why = why;
	r->ev[r->n].flow = *f;
	r->n++;
}

/* Returns the index of the n-th event of kind ev, or -1. */
static int find(const struct recorder *r, enum sw_flow_event ev, int nth)
{
	for (int i = 0; i < r->n; i++)
		if (r->ev[i].ev == ev && nth-- == 0)
			return i;
	return -1;
}

static int count(const struct recorder *r, enum sw_flow_event ev)
{
	int c = 0;
	for (int i = 0; i < r->n; i++)
		c += r->ev[i].ev == ev;
	return c;
}

static struct sw_addr A, B, C;

static struct sw_packet pkt(const struct sw_addr *s, uint16_t sp, const struct sw_addr *d,
                            uint16_t dp, uint8_t proto, uint8_t flags, uint32_t bytes,
                            uint64_t ts)
{
	struct sw_packet p;

	memset(&p, 0, sizeof(p));
	p.src = *s;
	p.dst = *d;
	p.sport = sp;
	p.dport = dp;
	p.proto = proto;
	p.tcp_flags = flags;
	p.ip_bytes = bytes;
	p.ts_ns = ts;
	p.ip_version = 4;
	return p;
}

static struct sw_flowtable *table(struct recorder *r, uint32_t max_flows)
{
	struct sw_flowtable_config cfg;
	struct sw_err err;
	struct sw_flowtable *ft;

	sw_flowtable_config_default(&cfg);
	cfg.max_flows = max_flows;
	memset(r, 0, sizeof(*r));
	ft = sw_flowtable_new(&cfg, record, r, &err);
	assert_non_null(ft);
	return ft;
}

static void add(struct sw_flowtable *ft, struct sw_packet p)
{
	sw_flowtable_add(ft, &p);
}

static int setup_addrs(void **state)
{
	(void)state;
	assert_int_equal(sw_addr_parse("10.0.0.1", &A), SW_OK);
	assert_int_equal(sw_addr_parse("10.0.0.2", &B), SW_OK);
	assert_int_equal(sw_addr_parse("fd00::3", &C), SW_OK);
	return 0;
}

#define S SW_TCP_SYN
#define SA (SW_TCP_SYN | SW_TCP_ACK)
#define AK SW_TCP_ACK
#define FA (SW_TCP_FIN | SW_TCP_ACK)
#define RA (SW_TCP_RST | SW_TCP_ACK)

static void test_tcp_full_close(void **state)
{
	struct recorder r;
	struct sw_flowtable *ft = table(&r, 16);
	uint64_t t = 100 * SEC;

	(void)state;
	/* the server is the lower address, so the key's side a is not the initiator */
	add(ft, pkt(&B, 40000, &A, 80, 6, S, 60, t));
	add(ft, pkt(&A, 80, &B, 40000, 6, SA, 60, t + 1));
	add(ft, pkt(&B, 40000, &A, 80, 6, AK, 52, t + 2));
	add(ft, pkt(&B, 40000, &A, 80, 6, AK | SW_TCP_PSH, 152, t + 3));
	add(ft, pkt(&A, 80, &B, 40000, 6, AK | SW_TCP_PSH, 1052, t + 4));
	add(ft, pkt(&B, 40000, &A, 80, 6, FA, 52, t + 5));
	add(ft, pkt(&A, 80, &B, 40000, 6, FA, 52, t + 6));
	add(ft, pkt(&B, 40000, &A, 80, 6, AK, 52, t + 7));
	assert_int_equal(count(&r, SW_FLOW_END), 0); /* lingering for the last ACK */
	sw_flowtable_advance(ft, t + 6 * SEC);
	int e = find(&r, SW_FLOW_END, 0);
	assert_true(e >= 0);
	const struct sw_flow *f = &r.ev[e].flow;
	assert_int_equal(r.ev[e].why, SW_END_TCP_CLOSE);
	assert_int_equal(f->tcp_state, SW_TCP_CLOSED);
	assert_memory_equal(&f->src, &B, sizeof(B));
	assert_int_equal(f->sport, 40000);
	assert_int_equal(f->dport, 80);
	assert_int_equal(f->dir[0].pkts, 5);
	assert_int_equal(f->dir[0].bytes, 60 + 52 + 152 + 52 + 52);
	assert_int_equal(f->dir[1].pkts, 3);
	assert_int_equal(f->dir[1].bytes, 60 + 1052 + 52);
	assert_int_equal(f->dir[0].tcp_flags, S | AK | SW_TCP_PSH | SW_TCP_FIN);
	assert_false(f->midstream);
	assert_int_equal(f->first_ns, t);
	assert_int_equal(f->last_ns, t + 7);
	assert_int_equal(count(&r, SW_FLOW_START), 1);
	sw_flowtable_free(ft);
}

static void test_initiator_from_synack(void **state)
{
	struct recorder r;
	struct sw_flowtable *ft = table(&r, 16);

	(void)state;
	/* the SYN was missed: the SYN-ACK's receiver initiated */
	add(ft, pkt(&A, 443, &B, 50000, 6, SA, 60, SEC));
	add(ft, pkt(&B, 50000, &A, 443, 6, AK, 52, SEC + 1));
	sw_flowtable_flush(ft, SW_END_OF_INPUT);
	const struct sw_flow *f = &r.ev[find(&r, SW_FLOW_END, 0)].flow;
	assert_memory_equal(&f->src, &B, sizeof(B));
	assert_int_equal(f->dport, 443);
	assert_true(f->midstream);
	assert_int_equal(f->tcp_state, SW_TCP_MIDSTREAM);
	assert_int_equal(r.ev[find(&r, SW_FLOW_END, 0)].why, SW_END_OF_INPUT);
	sw_flowtable_free(ft);
}

static void test_late_syn_swaps_initiator(void **state)
{
	struct recorder r;
	struct sw_flowtable *ft = table(&r, 16);

	(void)state;
	/* captured out of order: a data packet of the server, then the SYN */
	add(ft, pkt(&A, 22, &B, 50001, 6, AK, 100, SEC));
	add(ft, pkt(&B, 50001, &A, 22, 6, S, 60, SEC + 1));
	sw_flowtable_flush(ft, SW_END_OF_INPUT);
	const struct sw_flow *f = &r.ev[find(&r, SW_FLOW_END, 0)].flow;
	assert_memory_equal(&f->src, &B, sizeof(B));
	assert_int_equal(f->dir[0].pkts, 1);
	assert_int_equal(f->dir[0].bytes, 60);
	assert_int_equal(f->dir[1].bytes, 100);
	assert_false(f->midstream);
	sw_flowtable_free(ft);
}

static void test_tcp_states(void **state)
{
	static const struct {
		uint8_t flags[3];
		int from_server[3];
		int n;
		enum sw_tcp_state want;
		enum sw_flow_end why;
	} cases[] = {
		{{S}, {0}, 1, SW_TCP_ATTEMPTED, SW_END_OF_INPUT},
		{{S, RA}, {0, 1}, 2, SW_TCP_REJECTED, SW_END_TCP_RESET},
		{{S, SA, AK}, {0, 1, 0}, 3, SW_TCP_ESTABLISHED, SW_END_OF_INPUT},
		{{S, SA, RA}, {0, 1, 0}, 3, SW_TCP_RESET, SW_END_TCP_RESET},
		{{AK, AK}, {0, 1}, 2, SW_TCP_MIDSTREAM, SW_END_OF_INPUT},
		{{S, S | SW_TCP_RST}, {0, 0}, 2, SW_TCP_ATTEMPTED, SW_END_TCP_RESET},
	};

	(void)state;
	for (size_t c = 0; c < SW_ARRAY_SIZE(cases); c++) {
		struct recorder r;
		struct sw_flowtable *ft = table(&r, 16);
		for (int i = 0; i < cases[c].n; i++) {
			if (cases[c].from_server[i])
				add(ft, pkt(&B, 80, &A, 1234, 6, cases[c].flags[i], 40, SEC + i));
			else
				add(ft, pkt(&A, 1234, &B, 80, 6, cases[c].flags[i], 40, SEC + i));
		}
		sw_flowtable_flush(ft, SW_END_OF_INPUT);
		int e = find(&r, SW_FLOW_END, 0);
		assert_true(e >= 0);
		assert_int_equal(r.ev[e].flow.tcp_state, cases[c].want);
		assert_int_equal(r.ev[e].why, cases[c].why);
		sw_flowtable_free(ft);
	}
}

static void test_udp_idle_timeout(void **state)
{
	struct recorder r;
	struct sw_flowtable *ft = table(&r, 16);

	(void)state;
	add(ft, pkt(&A, 5353, &B, 53, 17, 0, 70, 10 * SEC));
	add(ft, pkt(&B, 53, &A, 5353, 17, 0, 120, 10 * SEC + 5));
	sw_flowtable_advance(ft, 69 * SEC);
	assert_int_equal(count(&r, SW_FLOW_END), 0);
	sw_flowtable_advance(ft, 71 * SEC);
	int e = find(&r, SW_FLOW_END, 0);
	assert_true(e >= 0);
	assert_int_equal(r.ev[e].why, SW_END_IDLE);
	assert_int_equal(r.ev[e].flow.dir[1].bytes, 120);
	/* a later packet of the same 5-tuple is a new flow */
	add(ft, pkt(&A, 5353, &B, 53, 17, 0, 70, 80 * SEC));
	assert_int_equal(count(&r, SW_FLOW_START), 2);
	assert_true(r.ev[find(&r, SW_FLOW_START, 1)].flow.id > r.ev[e].flow.id);
	sw_flowtable_free(ft);
}

static void test_packet_after_idle_gap_starts_new_flow(void **state)
{
	struct recorder r;
	struct sw_flowtable *ft = table(&r, 16);

	(void)state;
	add(ft, pkt(&A, 5353, &B, 53, 17, 0, 70, 10 * SEC));
	/* no explicit advance: the next packet's own time ends the idle flow */
	add(ft, pkt(&A, 5353, &B, 53, 17, 0, 80, 75 * SEC));
	assert_int_equal(count(&r, SW_FLOW_START), 2);
	int e = find(&r, SW_FLOW_END, 0);
	assert_true(e >= 0);
	assert_int_equal(r.ev[e].why, SW_END_IDLE);
	assert_int_equal(r.ev[e].flow.dir[0].bytes, 70);
	sw_flowtable_flush(ft, SW_END_OF_INPUT);
	assert_int_equal(r.ev[find(&r, SW_FLOW_END, 1)].flow.dir[0].bytes, 80);
	sw_flowtable_free(ft);
}

static void test_active_timeout_updates(void **state)
{
	struct recorder r;
	struct sw_flowtable *ft = table(&r, 16);

	(void)state;
	for (int s = 0; s <= 130; s += 10)
		add(ft, pkt(&A, 1000, &B, 2000, 17, 0, 100, (uint64_t)s * SEC));
	/* updates at 60 s and 120 s, cumulative counters, each emitted
	 * before the packet whose time made it due */
	assert_int_equal(count(&r, SW_FLOW_UPDATE), 2);
	const struct event *u1 = &r.ev[find(&r, SW_FLOW_UPDATE, 0)];
	const struct event *u2 = &r.ev[find(&r, SW_FLOW_UPDATE, 1)];
	assert_int_equal(u1->why, SW_END_ACTIVE_TIMEOUT);
	assert_int_equal(u1->flow.dir[0].pkts, 6);
	assert_int_equal(u2->flow.dir[0].pkts, 12);
	assert_int_equal(u1->flow.id, u2->flow.id);
	sw_flowtable_flush(ft, SW_END_SHUTDOWN);
	assert_int_equal(r.ev[find(&r, SW_FLOW_END, 0)].flow.dir[0].pkts, 14);
	assert_int_equal(r.ev[find(&r, SW_FLOW_END, 0)].why, SW_END_SHUTDOWN);
	sw_flowtable_free(ft);
}

static void test_eviction_longest_idle(void **state)
{
	struct recorder r;
	struct sw_flowtable *ft = table(&r, 2);
	struct sw_flowtable_stats st;

	(void)state;
	add(ft, pkt(&A, 1, &B, 2, 17, 0, 30, 1 * SEC));   /* flow 1 */
	add(ft, pkt(&A, 3, &B, 4, 6, S, 40, 2 * SEC));    /* flow 2 */
	add(ft, pkt(&A, 1, &B, 2, 17, 0, 30, 3 * SEC));   /* flow 1 again: flow 2 is now oldest */
	add(ft, pkt(&A, 5, &B, 6, 17, 0, 30, 4 * SEC));   /* flow 3 evicts flow 2 */
	int e = find(&r, SW_FLOW_END, 0);
	assert_true(e >= 0);
	assert_int_equal(r.ev[e].why, SW_END_EVICTED);
	assert_int_equal(r.ev[e].flow.sport, 3);
	sw_flowtable_stats(ft, &st);
	assert_int_equal(st.flows_evicted, 1);
	assert_int_equal(st.flows_active, 2);
	assert_int_equal(st.flows_created, st.flows_ended + st.flows_active);
	sw_flowtable_free(ft);
}

static void test_vlan_in_key(void **state)
{
	struct recorder r;
	struct sw_flowtable *ft = table(&r, 16);
	struct sw_packet p = pkt(&A, 1, &B, 2, 17, 0, 30, SEC);

	(void)state;
	add(ft, p);
	p.vlan[0] = 10;
	p.n_vlan = 1;
	add(ft, p);
	p.vlan[1] = 20;
	p.n_vlan = 2;
	add(ft, p);
	add(ft, p);
	assert_int_equal(count(&r, SW_FLOW_START), 3);
	sw_flowtable_flush(ft, SW_END_OF_INPUT);
	int found = 0;
	for (int i = 0; i < r.n; i++) {
		const struct sw_flow *f = &r.ev[i].flow;
		if (r.ev[i].ev == SW_FLOW_END && f->vlan[0] == 10 && f->vlan[1] == 20) {
			assert_int_equal(f->dir[0].pkts, 2);
			assert_int_equal(f->n_vlan, 2);
			found++;
		}
	}
	assert_int_equal(found, 1);
	sw_flowtable_free(ft);
}

static void test_icmp_echo_pairs(void **state)
{
	struct recorder r;
	struct sw_flowtable *ft = table(&r, 16);

	(void)state;
	/* the reply is seen first: the initiator is still the requester */
	add(ft, pkt(&B, 0, &A, 0, 1, 0, 84, SEC));       /* echo reply B->A */
	add(ft, pkt(&A, 8, &B, 0, 1, 0, 84, SEC + 1));   /* echo request A->B */
	add(ft, pkt(&C, 128, &A, 0, 58, 0, 104, SEC + 2)); /* ICMPv6 echo, other flow */
	sw_flowtable_flush(ft, SW_END_OF_INPUT);
	assert_int_equal(count(&r, SW_FLOW_END), 2);
	const struct sw_flow *f = &r.ev[find(&r, SW_FLOW_END, 0)].flow;
	if (f->proto != 1)
		f = &r.ev[find(&r, SW_FLOW_END, 1)].flow;
	assert_memory_equal(&f->src, &A, sizeof(A));
	assert_int_equal(f->sport, 8);
	assert_int_equal(f->dir[0].pkts, 1);
	assert_int_equal(f->dir[1].pkts, 1);
	sw_flowtable_free(ft);
}

static void test_icmp_error_attributed(void **state)
{
	struct recorder r;
	struct sw_flowtable *ft = table(&r, 16);
	struct sw_packet err = pkt(&B, 3, &A, 3, 1, 0, 56, SEC + 1);
	struct sw_flowtable_stats st;

	(void)state;
	add(ft, pkt(&A, 40000, &B, 9999, 17, 0, 40, SEC));
	err.icmp_error = true;
	err.quoted.src = A;
	err.quoted.dst = B;
	err.quoted.sport = 40000;
	err.quoted.dport = 9999;
	err.quoted.proto = 17;
	add(ft, err);
	sw_flowtable_flush(ft, SW_END_OF_INPUT);
	assert_int_equal(count(&r, SW_FLOW_START), 1);
	const struct sw_flow *f = &r.ev[find(&r, SW_FLOW_END, 0)].flow;
	assert_int_equal(f->icmp_errors, 1);
	assert_int_equal(f->dir[0].pkts, 1);
	sw_flowtable_stats(ft, &st);
	assert_int_equal(st.icmp_errors_matched, 1);
	sw_flowtable_free(ft);
}

static void test_fragments_follow_first(void **state)
{
	struct recorder r;
	struct sw_flowtable *ft = table(&r, 16);
	struct sw_packet first = pkt(&A, 5000, &B, 6000, 17, 0, 1500, SEC);
	struct sw_packet later = pkt(&A, 0, &B, 0, 17, 0, 500, SEC + 1);
	struct sw_packet orphan = later;
	struct sw_flowtable_stats st;

	(void)state;
	first.frag = SW_FRAG_FIRST;
	first.frag_id = 77;
	later.frag = SW_FRAG_LATER;
	later.frag_id = 77;
	orphan.frag = SW_FRAG_LATER;
	orphan.frag_id = 78;
	add(ft, first);
	add(ft, later);
	add(ft, orphan);
	sw_flowtable_flush(ft, SW_END_OF_INPUT);
	assert_int_equal(count(&r, SW_FLOW_END), 2);
	for (int i = 0; i < r.n; i++) {
		const struct sw_flow *f = &r.ev[i].flow;
		if (r.ev[i].ev != SW_FLOW_END)
			continue;
		if (f->sport == 5000) {
			assert_int_equal(f->dir[0].pkts, 2);
			assert_int_equal(f->dir[0].bytes, 2000);
			assert_int_equal(f->fragments, 2);
		} else {
			assert_int_equal(f->sport, 0);
			assert_int_equal(f->fragments, 1);
		}
	}
	sw_flowtable_stats(ft, &st);
	assert_int_equal(st.frag_unmatched, 1);
	sw_flowtable_free(ft);
}

static void test_port_reuse_after_close(void **state)
{
	struct recorder r;
	struct sw_flowtable *ft = table(&r, 16);

	(void)state;
	add(ft, pkt(&A, 1234, &B, 80, 6, S, 60, SEC));
	add(ft, pkt(&B, 80, &A, 1234, 6, RA, 40, SEC + 1));
	add(ft, pkt(&A, 1234, &B, 80, 6, S, 60, SEC + 2));
	assert_int_equal(count(&r, SW_FLOW_START), 2);
	assert_int_equal(count(&r, SW_FLOW_END), 1);
	assert_int_equal(r.ev[find(&r, SW_FLOW_END, 0)].flow.tcp_state, SW_TCP_REJECTED);
	sw_flowtable_flush(ft, SW_END_OF_INPUT);
	assert_int_equal(r.ev[find(&r, SW_FLOW_END, 1)].flow.tcp_state, SW_TCP_ATTEMPTED);
	sw_flowtable_free(ft);
}

static void test_many_flows_consistent(void **state)
{
	struct sw_flowtable_config cfg;
	struct sw_err err;
	struct sw_flowtable_stats st;
	struct sw_flowtable *ft;

	(void)state;
	sw_flowtable_config_default(&cfg);
	cfg.max_flows = 1000;
	ft = sw_flowtable_new(&cfg, NULL, NULL, &err);
	assert_non_null(ft);
	for (uint32_t i = 0; i < 5000; i++) {
		struct sw_addr s = A;
		s.b[14] = (uint8_t)(i >> 8);
		s.b[15] = (uint8_t)i;
		struct sw_packet p = pkt(&s, (uint16_t)(i * 7), &B, 53, 17, 0, 60, SEC + i);
		sw_flowtable_add(ft, &p);
		p = pkt(&B, 53, &s, (uint16_t)(i * 7), 17, 0, 60, SEC + i);
		sw_flowtable_add(ft, &p);
	}
	sw_flowtable_stats(ft, &st);
	assert_int_equal(st.packets, 10000);
	assert_int_equal(st.flows_created, 5000);
	assert_int_equal(st.flows_active, 1000);
	assert_int_equal(st.flows_evicted, 4000);
	sw_flowtable_flush(ft, SW_END_OF_INPUT);
	sw_flowtable_stats(ft, &st);
	assert_int_equal(st.flows_ended, 5000);
	assert_int_equal(st.flows_active, 0);
	sw_flowtable_free(ft);
}

static void test_config_validated(void **state)
{
	struct sw_flowtable_config cfg;
	struct sw_err err;

	(void)state;
	sw_flowtable_config_default(&cfg);
	cfg.max_flows = 0;
	assert_null(sw_flowtable_new(&cfg, NULL, NULL, &err));
	assert_int_equal(err.status, SW_ERR_INVALID);
	sw_flowtable_config_default(&cfg);
	cfg.idle_ns[SW_CLASS_UDP] = 0;
	assert_null(sw_flowtable_new(&cfg, NULL, NULL, &err));
	sw_flowtable_free(NULL);
}

/* NFLOG metadata for a packet: verdict from the prefix convention. */
static struct sw_fw_meta fw_meta(const char *prefix, uint16_t group, const char *in,
                                 uint32_t mark)
{
	struct sw_fw_meta m;

	memset(&m, 0, sizeof(m));
	snprintf(m.fw.prefix, sizeof(m.fw.prefix), "%s", prefix);
	snprintf(m.fw.in, sizeof(m.fw.in), "%s", in);
	m.fw.verdict = (uint8_t)sw_fw_verdict_parse(prefix);
	m.fw.group = group;
	m.fw.mark = mark;
	m.fw.family = 2;
	m.fw.hook = 1;
	return m;
}

static struct sw_packet with_fw(struct sw_packet p, const struct sw_fw_meta *m)
{
	p.fw = m;
	return p;
}

/* The flow keeps the strongest verdict seen (reject > drop > accept >
 * log), with the facts of the packet that first set it. */
static void test_firewall_verdict_strongest(void **state)
{
	static const struct {
		const char *prefixes[4];
		enum sw_fw_verdict want;
		int setter; /* index of the packet whose facts the flow keeps */
	} cases[] = {
		{{"ACCEPT a", "DROP b", "ACCEPT c", "LOG d"}, SW_FW_DROP, 1},
		{{"LOG a", "log b", "x", "y"}, SW_FW_LOG, 0},
		{{"DROP a", "drop b", "REJECT c", "DROP d"}, SW_FW_REJECT, 2},
		{{"accept a", "ACCEPT b", "LOG c", "accept d"}, SW_FW_ACCEPT, 0},
	};
	struct sw_fw_meta m[4];

	(void)state;
	for (size_t c = 0; c < SW_ARRAY_SIZE(cases); c++) {
		struct recorder r;
		struct sw_flowtable *ft = table(&r, 16);
		for (int i = 0; i < 4; i++) {
			char in[16];
			snprintf(in, sizeof(in), "eth%d", i);
			m[i] = fw_meta(cases[c].prefixes[i], (uint16_t)(10 + i), in, (uint32_t)i);
			/* alternate directions: the verdict is the flow's, not a side's */
			if (i % 2 == 0)
				add(ft, with_fw(pkt(&A, 40000, &B, 5432, 6, i ? AK : S, 60, SEC + i), &m[i]));
			else
				add(ft, with_fw(pkt(&B, 5432, &A, 40000, 6, AK, 60, SEC + i), &m[i]));
		}
		sw_flowtable_flush(ft, SW_END_OF_INPUT);
		const struct sw_flow *f = &r.ev[find(&r, SW_FLOW_END, 0)].flow;
		int k = cases[c].setter;
		assert_int_equal(f->fw.verdict, cases[c].want);
		assert_string_equal(f->fw.prefix, cases[c].prefixes[k]);
		assert_int_equal(f->fw.group, 10 + k);
		assert_int_equal(f->fw.mark, k);
		assert_string_equal(f->fw.in, m[k].fw.in);
		sw_flowtable_free(ft);
	}
}

/* Flows without NFLOG packets have no firewall facts; an ICMP error
 * logged by a rule does not change the verdict of the flow it quotes. */
static void test_firewall_absent_and_icmp_error(void **state)
{
	struct recorder r;
	struct sw_flowtable *ft = table(&r, 16);
	struct sw_fw_meta acc = fw_meta("ACCEPT udp", 5, "veth0", 0);
	struct sw_fw_meta rej = fw_meta("REJECT out", 5, "", 0);
	struct sw_packet err = pkt(&B, 3, &A, 3, 1, 0, 56, SEC + 2);
	struct sw_fw empty;

	(void)state;
	add(ft, pkt(&A, 1000, &B, 53, 17, 0, 40, SEC));               /* libpcap only */
	add(ft, with_fw(pkt(&A, 2000, &B, 53, 17, 0, 40, SEC + 1), &acc));
	err.icmp_error = true;
	err.quoted.src = A;
	err.quoted.dst = B;
	err.quoted.sport = 2000;
	err.quoted.dport = 53;
	err.quoted.proto = 17;
	add(ft, with_fw(err, &rej));
	sw_flowtable_flush(ft, SW_END_OF_INPUT);
	assert_int_equal(count(&r, SW_FLOW_END), 2);
	memset(&empty, 0, sizeof(empty));
	for (int i = 0; i < 2; i++) {
		const struct sw_flow *f = &r.ev[find(&r, SW_FLOW_END, i)].flow;
		if (f->sport == 1000) {
			assert_int_equal(f->fw.verdict, SW_FW_NONE);
			assert_memory_equal(&f->fw, &empty, sizeof(empty));
		} else {
			assert_int_equal(f->icmp_errors, 1);
			assert_int_equal(f->fw.verdict, SW_FW_ACCEPT);
			assert_string_equal(f->fw.prefix, "ACCEPT udp");
			assert_string_equal(f->fw.in, "veth0");
		}
	}
	sw_flowtable_free(ft);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(sw_tcp_state_name(SW_TCP_CLOSED), "closed");
	assert_string_equal(sw_flow_end_name(SW_END_OF_INPUT), "end_of_input");
	assert_string_equal(sw_proto_name(58), "icmpv6");
	assert_null(sw_proto_name(47));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_full_close),
		cmocka_unit_test(test_initiator_from_synack),
		cmocka_unit_test(test_late_syn_swaps_initiator),
		cmocka_unit_test(test_tcp_states),
		cmocka_unit_test(test_udp_idle_timeout),
		cmocka_unit_test(test_packet_after_idle_gap_starts_new_flow),
		cmocka_unit_test(test_active_timeout_updates),
		cmocka_unit_test(test_eviction_longest_idle),
		cmocka_unit_test(test_vlan_in_key),
		cmocka_unit_test(test_icmp_echo_pairs),
		cmocka_unit_test(test_icmp_error_attributed),
		cmocka_unit_test(test_fragments_follow_first),
		cmocka_unit_test(test_port_reuse_after_close),
		cmocka_unit_test(test_many_flows_consistent),
		cmocka_unit_test(test_config_validated),
		cmocka_unit_test(test_firewall_verdict_strongest),
		cmocka_unit_test(test_firewall_absent_and_icmp_error),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests_name("flowtable", tests, setup_addrs, NULL);
}
