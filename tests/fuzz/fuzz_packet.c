/*
 * fuzz_packet.c - libFuzzer target for the packet decoder (sw_decode) on
 * every link type it supports, feeding what decodes into a small flow
 * table so the flow-table code sees keys an attacker chose.
 *
 * Input: byte 0 selects the link type (low 4 bits, an index into
 * link_types[]) and how wirelen relates to caplen (bits 4-5); the rest is
 * the frame. A decoded packet goes into a 4-flow table together with its
 * reply and a repeat, and (for an ICMP error) a packet of the flow it
 * quotes, then the table is flushed and its counters checked.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/dlt.h>

#include "segwatch/decode.h"
#include "segwatch/flowtable.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* LINKTYPE_RAW as savefiles write it (DLT_RAW is 12 or 14 by platform). */
#define FUZZ_LINKTYPE_RAW 101

/* Every link type sw_decode() supports, and one it does not (the last). */
static const int link_types[] = {
	DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, FUZZ_LINKTYPE_RAW,
	DLT_IPV4, DLT_IPV6, DLT_NULL, DLT_LOOP, DLT_NFLOG, DLT_IEEE802_11,
};

#define FUZZ_MS 1000000ull

#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",   \
			        __FILE__, __LINE__, #cond);                \
			abort();                                           \
		}                                                          \
	} while (0)

struct tally {
	uint64_t starts, ends;
};

static void on_flow(void *ctx, enum sw_flow_event ev, enum sw_flow_end why, struct sw_flow *f)
{
	struct tally *t = ctx;

	CHECK(f->id >= 1);
	CHECK(sw_flow_end_name(why) != NULL);
	if (ev == SW_FLOW_START)
		t->starts++;
	else if (ev == SW_FLOW_END)
		t->ends++;
}

static void check_packet(int dlt, const struct sw_packet *p, uint32_t caplen)
{
	CHECK(sw_decode_supports_dlt(dlt));
	CHECK(p->ip_version == 4 || p->ip_version == 6);
	/* IPv4 addresses are always stored v4-mapped; an IPv6 packet may
	 * carry a v4-mapped address too (::ffff:a.b.c.d on the wire) */
	if (p->ip_version == 4)
		CHECK(sw_addr_is_v4(&p->src) && sw_addr_is_v4(&p->dst));
	CHECK(p->n_vlan <= SW_MAX_VLAN_TAGS);
	CHECK(p->frag == SW_FRAG_NONE || p->frag == SW_FRAG_FIRST || p->frag == SW_FRAG_LATER);
	if (p->frag == SW_FRAG_LATER)
		CHECK(p->sport == 0 && p->dport == 0);
	CHECK(p->fw == NULL);
	(void)caplen;
}

/* Runs p, its reply, a repeat and (ICMP error) the quoted flow through a
 * tiny table, then checks that every flow started also ended. */
static void run_flowtable(const struct sw_packet *p)
{
	struct sw_flowtable_config cfg;
	struct tally t = { 0, 0 };
	struct sw_err err;

	sw_flowtable_config_default(&cfg);
	cfg.max_flows = 4;
	cfg.max_fragments = 4;
	struct sw_flowtable *ft = sw_flowtable_new(&cfg, on_flow, &t, &err);
	if (ft == NULL)
		abort();

	struct sw_packet q[4];
	size_t n = 0;
	q[n] = *p;
	q[n++].ts_ns = 1000 * FUZZ_MS;
	q[n] = *p; /* the reply */
	q[n].src = p->dst;
	q[n].dst = p->src;
	q[n].sport = p->dport;
	q[n].dport = p->sport;
	q[n++].ts_ns = 1001 * FUZZ_MS;
	if (p->icmp_error) {
		struct sw_packet o = *p; /* the packet the error quotes */
		o.icmp_error = false;
		o.frag = SW_FRAG_NONE;
		o.src = p->quoted.src;
		o.dst = p->quoted.dst;
		o.sport = p->quoted.sport;
		o.dport = p->quoted.dport;
		o.proto = p->quoted.proto;
		o.tcp_flags = 0;
		o.ts_ns = 999 * FUZZ_MS;
		sw_flowtable_add(ft, &o);
	}
	q[n] = *p;
	q[n++].ts_ns = 1002 * FUZZ_MS;
	sw_flowtable_add_batch(ft, q, n);
	sw_flowtable_advance(ft, 400000 * FUZZ_MS); /* past every idle timeout */
	sw_flowtable_flush(ft, SW_END_OF_INPUT);

	struct sw_flowtable_stats st;
	sw_flowtable_stats(ft, &st);
	CHECK(st.flows_active == 0);
	CHECK(st.flows_created == st.flows_ended);
	CHECK(t.starts == st.flows_created && t.ends == st.flows_ended);
	sw_flowtable_free(ft);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int dlt = link_types[(data[0] & 0x0f) % SW_ARRAY_SIZE(link_types)];
	unsigned wmode = (data[0] >> 4) & 3;
	/* a copy of exactly the frame's size, so ASan sees any overread */
	uint32_t caplen = (uint32_t)(size - 1);
	uint8_t *frame = malloc(caplen ? caplen : 1);
	if (frame == NULL)
		return 0;
	memcpy(frame, data + 1, caplen);
	uint32_t wirelen = wmode == 0 ? caplen : wmode == 1 ? caplen + 1500
	                 : wmode == 2 ? 0 : UINT32_MAX;

	struct sw_packet p;
	enum sw_drop_reason r = sw_decode(dlt, frame, caplen, wirelen, &p);
	CHECK((unsigned)r < SW_DROP_REASON_COUNT);
	CHECK(sw_drop_reason_name(r) != NULL);
	if (r == SW_DROP_NONE) {
		check_packet(dlt, &p, caplen);
		run_flowtable(&p);
	}
	free(frame);
	return 0;
}
