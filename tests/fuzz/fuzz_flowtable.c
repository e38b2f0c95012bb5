/*
 * fuzz_flowtable.c - libFuzzer target for the flow table under keys an
 * attacker chooses: a sequence of synthetic packets built from the input
 * bytes, drawn from tiny sets of addresses and ports so that flows collide,
 * ports are reused, fragments and ICMP errors refer to flows that exist or
 * not, timestamps jump forward and backward, and a table of 1-8 flows
 * evicts all the time.
 *
 * Packets are built the way sw_decode() would build them (later fragments
 * have no ports, ICMP carries type/code in the ports, an ICMP error
 * carries a quote), so a failure here is a bug of the table, not of the
 * harness. Invariants checked on every event and at the end:
 *  - no event for a flow that is not live (never started, or ended),
 *    no second start of a live flow, f->user kept across events,
 *    first_ns <= last_ns even when packets arrive out of order;
 *  - never more live flows than max_flows;
 *  - every flow that ends has seen at least one packet;
 *  - flows_created == flows_ended + flows_active, before and after the
 *    final flush, and the callbacks saw exactly those starts and ends.
 *
 * Input: byte 0 configures the table; then 6 bytes per packet (see
 * build_packet()).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segwatch/flowtable.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_SEC 1000000000ull
#define FUZZ_PKT_BYTES 6
#define FUZZ_MAX_PKTS 512
#define FUZZ_MAX_LIVE 16

#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",   \
			        __FILE__, __LINE__, #cond);                \
			abort();                                           \
		}                                                          \
	} while (0)

/* The address pool: 4 IPv4 and 4 IPv6 addresses. */
static const uint8_t v4_pool[4][4] = {
	{ 10, 0, 0, 1 }, { 10, 0, 0, 2 }, { 192, 168, 1, 1 }, { 0, 0, 0, 0 },
};
static const uint8_t v6_pool[4][16] = {
	{ 0xfd, 0, [15] = 1 }, { 0xfd, 0, [15] = 2 },
	{ 0xfe, 0x80, [15] = 1 }, { 0 },
};
static const uint16_t port_pool[16] = {
	0, 1, 53, 80, 443, 1024, 8080, 65535, 33434, 5353, 22, 123, 40000, 40001, 3, 8,
};
static const uint8_t proto_pool[8] = {
	SW_PROTO_TCP, SW_PROTO_TCP, SW_PROTO_UDP, SW_PROTO_ICMP,
	SW_PROTO_ICMPV6, SW_PROTO_SCTP, 47 /* GRE */, 0,
};
/* ICMP errors as sw_decode() reports them: type in sport. */
static const uint16_t icmp4_errors[2] = { 3, 11 };
static const uint16_t icmp6_errors[2] = { 1, 3 };

static const struct sw_fw_meta fw_metas[4] = {
	{ .fw = { .verdict = SW_FW_LOG, .prefix = "LOG" } },
	{ .fw = { .verdict = SW_FW_ACCEPT, .prefix = "ACCEPT x" } },
	{ .fw = { .verdict = SW_FW_DROP, .prefix = "DROP y" } },
	{ .fw = { .verdict = SW_FW_REJECT, .prefix = "REJECT" } },
};

struct live {
	uint32_t max_flows;
	size_t n;
	uint64_t ids[FUZZ_MAX_LIVE];
	uint64_t starts, ends;
};

static long live_find(const struct live *l, uint64_t id)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->ids[i] == id)
			return (long)i;
	return -1;
}

static void on_flow(void *ctx, enum sw_flow_event ev, enum sw_flow_end why, struct sw_flow *f)
{
	struct live *l = ctx;
	long i = live_find(l, f->id);

	CHECK(f->id >= 1);
	CHECK(f->fw.verdict <= SW_FW_REJECT);
	CHECK(f->n_vlan <= SW_MAX_VLAN_TAGS);
	CHECK(f->first_ns <= f->last_ns);
	if (ev == SW_FLOW_START) {
		CHECK(i < 0);                     /* a second start */
		CHECK(f->user == 0);
		CHECK(l->n < l->max_flows && l->n < FUZZ_MAX_LIVE);
		l->ids[l->n++] = f->id;
		f->user = f->id;
		l->starts++;
		return;
	}
	CHECK(i >= 0);                            /* an event for a freed flow */
	CHECK(f->user == f->id);
	if (ev == SW_FLOW_UPDATE) {
		CHECK(why == SW_END_ACTIVE_TIMEOUT);
		return;
	}
	CHECK(ev == SW_FLOW_END && why != SW_END_NONE && why != SW_END_ACTIVE_TIMEOUT);
	CHECK(f->dir[0].pkts + f->dir[1].pkts >= 1);
	l->ids[i] = l->ids[--l->n];
	l->ends++;
}

static void pick_addr(struct sw_addr *a, bool v6, unsigned idx)
{
	if (v6)
		sw_addr_from_v6(a, v6_pool[idx & 3]);
	else
		sw_addr_from_v4(a, v4_pool[idx & 3]);
}

/* Turns 6 bytes into a packet:
 *  b[0]: bit 0-1 src, bit 2-3 dst, bit 4 IPv6, bit 5-7 protocol
 *  b[1]: low nibble sport, high nibble dport (from port_pool)
 *  b[2]: TCP flags
 *  b[3]: bit 0-1 fragment (none, first, later, none), bit 2-3 fragment id,
 *        bit 4 ICMP error, bit 5-6 firewall verdict (0: none), bit 7 VLAN
 *  b[4]: time step: bit 7 back in time, bit 5-6 scale, bit 0-4 amount
 *  b[5]: the quote of an ICMP error: bit 0-1 src, 2-3 dst, 4-5 ports,
 *        6-7 protocol */
static void build_packet(const uint8_t *b, uint64_t *now, struct sw_packet *p)
{
	static const uint64_t scale[4] = {
		1000, FUZZ_SEC / 1000, FUZZ_SEC, 30 * FUZZ_SEC
	};
	bool v6 = (b[0] & 0x10) != 0;
	uint64_t step = (uint64_t)(b[4] & 0x1f) * scale[(b[4] >> 5) & 3];

	memset(p, 0, sizeof(*p));
	if (b[4] & 0x80)
		*now = *now > step ? *now - step : 0;
	else
		*now += step;
	p->ts_ns = *now;
	pick_addr(&p->src, v6, b[0]);
	pick_addr(&p->dst, v6, b[0] >> 2);
	p->ip_version = v6 ? 6 : 4;
	p->proto = proto_pool[b[0] >> 5];
	p->sport = port_pool[b[1] & 15];
	p->dport = port_pool[b[1] >> 4];
	if (p->proto == SW_PROTO_TCP)
		p->tcp_flags = b[2];
	p->ip_bytes = 20u + b[2];
	p->frag_id = (b[3] >> 2) & 3;
	switch (b[3] & 3) {
	case 1:
		p->frag = SW_FRAG_FIRST;
		break;
	case 2:
		p->frag = SW_FRAG_LATER;
		p->sport = p->dport = 0;
		p->tcp_flags = 0;
		break;
	default:
		break;
	}
	if ((b[3] & 0x60) != 0)
		p->fw = &fw_metas[((b[3] >> 5) + b[2]) & 3];
	if (b[3] & 0x80) {
		p->n_vlan = 1;
		p->vlan[0] = 10;
	}
	bool icmp = p->proto == SW_PROTO_ICMP || p->proto == SW_PROTO_ICMPV6;
	if (icmp && p->frag != SW_FRAG_LATER) {
		p->sport &= 0xff; /* type */
		p->dport &= 0xff; /* code */
		if (b[3] & 0x10) {
			const uint16_t *errs = p->proto == SW_PROTO_ICMP ? icmp4_errors
			                                                 : icmp6_errors;
			p->sport = errs[b[5] & 1];
			p->icmp_error = true;
			pick_addr(&p->quoted.src, v6, b[5]);
			pick_addr(&p->quoted.dst, v6, b[5] >> 2);
			p->quoted.sport = port_pool[(b[5] >> 4) & 3];
			p->quoted.dport = port_pool[((b[5] >> 4) + 1) & 7];
			p->quoted.proto = proto_pool[(b[5] >> 6) + 1];
		}
	}
}

static void check_counts(const struct sw_flowtable *ft, const struct live *l)
{
	struct sw_flowtable_stats st;

	sw_flowtable_stats(ft, &st);
	CHECK(st.flows_created == st.flows_ended + st.flows_active);
	CHECK(st.flows_created == l->starts);
	CHECK(st.flows_ended == l->ends);
	CHECK(st.flows_active == l->n);
	CHECK(st.flows_active <= l->max_flows);
	CHECK(st.flows_evicted <= st.flows_ended);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t actives[4] = { 0, FUZZ_SEC, 60 * FUZZ_SEC, 1 };
	struct sw_flowtable_config cfg;
	struct live l;
	struct sw_err err;

	if (size < 1)
		return 0;
	memset(&l, 0, sizeof(l));
	sw_flowtable_config_default(&cfg);
	cfg.max_flows = 1u + (data[0] & 7);
	cfg.max_fragments = 1u + ((data[0] >> 3) & 3);
	cfg.active_ns = actives[(data[0] >> 5) & 3];
	bool batch = (data[0] & 0x80) != 0;
	l.max_flows = cfg.max_flows;

	struct sw_flowtable *ft = sw_flowtable_new(&cfg, on_flow, &l, &err);
	if (ft == NULL)
		abort();
	size_t n = (size - 1) / FUZZ_PKT_BYTES;
	if (n > FUZZ_MAX_PKTS)
		n = FUZZ_MAX_PKTS;
	struct sw_packet *pkts = calloc(n ? n : 1, sizeof(*pkts));
	if (pkts == NULL)
		abort();
	uint64_t now = 1000 * FUZZ_SEC;
	for (size_t i = 0; i < n; i++)
		build_packet(data + 1 + i * FUZZ_PKT_BYTES, &now, &pkts[i]);

	if (batch) {
		sw_flowtable_add_batch(ft, pkts, n);
	} else {
		for (size_t i = 0; i < n; i++) {
			sw_flowtable_add(ft, &pkts[i]);
			if (pkts[i].tcp_flags == 0xff) /* now and then, a live source's idle tick */
				sw_flowtable_advance(ft, pkts[i].ts_ns + 10 * FUZZ_SEC);
			check_counts(ft, &l);
		}
	}
	check_counts(ft, &l);
	sw_flowtable_flush(ft, SW_END_OF_INPUT);
	check_counts(ft, &l);
	CHECK(l.n == 0);
	free(pkts);
	sw_flowtable_free(ft);
	return 0;
}
