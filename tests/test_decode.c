/*
 * test_decode.c - cmocka tests of the packet decoder (collector/decode*.c)
 * with hand-built frames: every link layer, VLAN tags, IPv4 and IPv6 with
 * extension headers and fragments, TCP/UDP/SCTP/ICMP, ICMP error quotes,
 * malformed headers, and every good frame cut at every length (copied
 * into an exactly-sized heap buffer so that ASan sees any over-read).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/dlt.h>

#include "segwatch/addr.h"
#include "segwatch/decode.h"

#define LINKTYPE_RAW 101

/* ---- frame builder -------------------------------------------------- */

#define FRAME_MAX 2048

struct frame {
	uint8_t b[FRAME_MAX];
	uint32_t n;
};

static void put8(struct frame *f, unsigned v)
{
	assert_true(f->n < FRAME_MAX);
	f->b[f->n++] = (uint8_t)v;
}

static void put16(struct frame *f, unsigned v)
{
	put8(f, v >> 8 & 0xff);
	put8(f, v & 0xff);
}

static void put32(struct frame *f, uint32_t v)
{
	put16(f, v >> 16);
	put16(f, v & 0xffff);
}

static void put_zeros(struct frame *f, unsigned n)
{
	while (n-- > 0)
		put8(f, 0);
}

static void put_bytes(struct frame *f, const void *p, unsigned n)
{
	const uint8_t *b = p;

	while (n-- > 0)
		put8(f, *b++);
}

/* Host byte order (NFLOG TLV headers, DLT_NULL). */
static void put_he16(struct frame *f, uint16_t v)
{
	put_bytes(f, &v, 2);
}

static void put_he32(struct frame *f, uint32_t v)
{
	put_bytes(f, &v, 4);
}

static void patch16(struct frame *f, uint32_t off, unsigned v)
{
	assert_true(off + 2 <= f->n);
	f->b[off] = (uint8_t)(v >> 8);
	f->b[off + 1] = (uint8_t)v;
}

static void put_addr(struct frame *f, const char *text)
{
	struct sw_addr a;

	assert_int_equal(sw_addr_parse(text, &a), SW_OK);
	if (sw_addr_is_v4(&a))
		put_bytes(f, a.b + 12, 4);
	else
		put_bytes(f, a.b, 16);
}

/* -- link layers -- */

static void eth(struct frame *f, unsigned type)
{
	static const uint8_t macs[12] = {0x02, 0, 0, 0, 0, 0x01,
	                                 0x02, 0, 0, 0, 0, 0x02};

	put_bytes(f, macs, sizeof(macs));
	put16(f, type);
}

/* One tag after a TPID: TCI, then the next EtherType. */
static void vlan(struct frame *f, unsigned tci, unsigned type)
{
	put16(f, tci);
	put16(f, type);
}

static void sll(struct frame *f, unsigned hatype, unsigned proto)
{
	static const uint8_t mac[8] = {0x02, 0, 0, 0, 0, 0x01, 0, 0};

	put16(f, 0);      /* sent to us */
	put16(f, hatype);
	put16(f, 6);      /* address length */
	put_bytes(f, mac, sizeof(mac));
	put16(f, proto);
}

static void sll2(struct frame *f, unsigned hatype, unsigned proto)
{
	static const uint8_t mac[8] = {0x02, 0, 0, 0, 0, 0x01, 0, 0};

	put16(f, proto);
	put16(f, 0);      /* reserved */
	put32(f, 3);      /* interface index */
	put16(f, hatype);
	put8(f, 4);       /* outgoing */
	put8(f, 6);
	put_bytes(f, mac, sizeof(mac));
}

static void nflog_hdr(struct frame *f, unsigned family)
{
	put8(f, family);
	put8(f, 0); /* version */
	put16(f, 1); /* resource id (group), network order */
}

static void nflog_tlv(struct frame *f, uint16_t type, const void *v,
                      uint16_t len)
{
	put_he16(f, (uint16_t)(len + 4));
	put_he16(f, type);
	put_bytes(f, v, len);
	while (f->n % 4 != 0)
		put8(f, 0);
}

/* Starts the payload TLV (type 9); nflog_payload_end() sets its length. */
static uint32_t nflog_payload_begin(struct frame *f)
{
	uint32_t off = f->n;

	put_he16(f, 0);
	put_he16(f, 9);
	return off;
}

static void nflog_payload_end(struct frame *f, uint32_t off)
{
	uint16_t len = (uint16_t)(f->n - off);

	memcpy(f->b + off, &len, 2);
	while (f->n % 4 != 0)
		put8(f, 0);
}

/* -- IP -- */

/* An IPv4 header of ihl 32-bit words (options are NOPs), id 0x1234, no
 * fragmentation; ip4_end() sets the total length. Returns its offset. */
static uint32_t ip4(struct frame *f, unsigned ihl, unsigned proto,
                    const char *src, const char *dst)
{
	uint32_t off = f->n;
	unsigned i;

	put8(f, 0x40 | ihl);
	put8(f, 0);
	put16(f, 0);      /* total length, set by ip4_end() */
	put16(f, 0x1234); /* id */
	put16(f, 0);      /* flags, fragment offset */
	put8(f, 64);
	put8(f, proto);
	put16(f, 0);      /* checksum: not checked */
	put_addr(f, src);
	put_addr(f, dst);
	for (i = 5; i < ihl; i++)
		put32(f, 0x01010101);
	return off;
}

static void ip4_end(struct frame *f, uint32_t off)
{
	patch16(f, off + 2, f->n - off);
}

static void ip4_set_frag(struct frame *f, uint32_t off, unsigned v)
{
	patch16(f, off + 6, v);
}

static uint32_t ip6(struct frame *f, unsigned nh, const char *src,
                    const char *dst)
{
	uint32_t off = f->n;

	put32(f, 0x60012345); /* version, traffic class, flow label */
	put16(f, 0);          /* payload length, set by ip6_end() */
	put8(f, nh);
	put8(f, 64);
	put_addr(f, src);
	put_addr(f, dst);
	return off;
}

static void ip6_end(struct frame *f, uint32_t off)
{
	patch16(f, off + 4, f->n - off - 40);
}

/* Hop-by-hop, routing, destination options, mobility, HIP, Shim6. */
static void ext6(struct frame *f, unsigned next, unsigned hlen)
{
	put8(f, next);
	put8(f, hlen);
	put_zeros(f, (hlen + 1) * 8 - 2);
}

static void ah6(struct frame *f, unsigned next, unsigned hlen)
{
	put8(f, next);
	put8(f, hlen);
	put_zeros(f, (hlen + 2) * 4 - 2);
}

static void frag6(struct frame *f, unsigned next, unsigned offset_bytes,
                  bool more, uint32_t id)
{
	put8(f, next);
	put8(f, 0);
	put16(f, offset_bytes | (more ? 1u : 0u));
	put32(f, id);
}

/* -- transport -- */

static void tcp(struct frame *f, unsigned sport, unsigned dport,
                unsigned flags, unsigned opt_words)
{
	unsigned i;

	put16(f, sport);
	put16(f, dport);
	put32(f, 0x11223344); /* seq */
	put32(f, 0x55667788); /* ack */
	put8(f, (5 + opt_words) << 4);
	put8(f, flags);
	put16(f, 65535);
	put16(f, 0);
	put16(f, 0);
	for (i = 0; i < opt_words; i++)
		put32(f, i == 0 ? 0x020405b4 : 0x01010101); /* MSS, NOPs */
}

static void udp(struct frame *f, unsigned sport, unsigned dport,
                unsigned paylen)
{
	put16(f, sport);
	put16(f, dport);
	put16(f, 8 + paylen);
	put16(f, 0);
	put_zeros(f, paylen);
}

static void sctp(struct frame *f, unsigned sport, unsigned dport)
{
	put16(f, sport);
	put16(f, dport);
	put32(f, 0x01020304); /* verification tag */
	put32(f, 0);          /* checksum */
}

static void icmp(struct frame *f, unsigned type, unsigned code, uint32_t rest)
{
	put8(f, type);
	put8(f, code);
	put16(f, 0);
	put32(f, rest);
}

/* ---- decoding and checking ------------------------------------------ */

/* Decodes the first caplen bytes of bytes from an exactly-sized heap
 * copy, so that ASan reports any read past caplen. */
static enum sw_drop_reason decode_copy(int dlt, const uint8_t *bytes,
                                       uint32_t caplen, uint32_t wirelen,
                                       struct sw_packet *p)
{
	uint8_t *buf = malloc(caplen);
	enum sw_drop_reason r;

	if (caplen > 0) {
		assert_non_null(buf);
		memcpy(buf, bytes, caplen);
	}
	r = sw_decode(dlt, buf, caplen, wirelen, p);
	free(buf);
	return r;
}

static enum sw_drop_reason decode(int dlt, const struct frame *f,
                                  struct sw_packet *p)
{
	return decode_copy(dlt, f->b, f->n, f->n, p);
}

static void assert_reason(enum sw_drop_reason got, enum sw_drop_reason want)
{
	if (got != want)
		fail_msg("drop reason %s, want %s", sw_drop_reason_name(got),
		         sw_drop_reason_name(want));
}

static void assert_addr(const struct sw_addr *a, const char *text)
{
	struct sw_addr want;
	char got_s[SW_ADDR_STRLEN];

	assert_int_equal(sw_addr_parse(text, &want), SW_OK);
	if (sw_addr_cmp(a, &want) != 0)
		fail_msg("address %s, want %s",
		         sw_addr_format(a, got_s, sizeof(got_s)), text);
}

/* Every field sw_decode() sets. */
struct want {
	const char *src, *dst;
	unsigned sport, dport, proto, ip_version, tcp_flags;
	uint32_t ip_bytes;
	enum sw_frag frag;
	uint32_t frag_id;
	unsigned n_vlan, vlan0, vlan1;
	bool icmp_error;
	const char *qsrc, *qdst;
	unsigned qsport, qdport, qproto;
};

/* The fields that a snap length cannot change. */
static void assert_pkt_core(const struct sw_packet *p, const struct want *w)
{
	assert_addr(&p->src, w->src);
	assert_addr(&p->dst, w->dst);
	assert_int_equal(p->sport, w->sport);
	assert_int_equal(p->dport, w->dport);
	assert_int_equal(p->proto, w->proto);
	assert_int_equal(p->ip_version, w->ip_version);
	assert_int_equal(p->tcp_flags, w->tcp_flags);
	assert_int_equal(p->ip_bytes, w->ip_bytes);
	assert_int_equal(p->frag, w->frag);
	assert_int_equal(p->frag_id, w->frag_id);
	assert_int_equal(p->n_vlan, w->n_vlan);
	assert_int_equal(p->vlan[0], w->vlan0);
	assert_int_equal(p->vlan[1], w->vlan1);
}

static void assert_quote(const struct sw_packet *p, const struct want *w)
{
	assert_true(p->icmp_error);
	assert_addr(&p->quoted.src, w->qsrc);
	assert_addr(&p->quoted.dst, w->qdst);
	assert_int_equal(p->quoted.sport, w->qsport);
	assert_int_equal(p->quoted.dport, w->qdport);
	assert_int_equal(p->quoted.proto, w->qproto);
}

static void assert_pkt(const struct sw_packet *p, const struct want *w)
{
	assert_pkt_core(p, w);
	if (w->icmp_error)
		assert_quote(p, w);
	else
		assert_false(p->icmp_error);
}

/* ---- good frames, one per layer, each also cut at every length ------ */

/* Frames shorter than `below` (the first entry that applies) give
 * `reason`; frames at least as long as the last `below` decode. */
struct cut {
	uint32_t below;
	enum sw_drop_reason reason;
};

#define MAX_CUTS 6

struct dcase {
	const char *name;
	int dlt;
	void (*build)(struct frame *f);
	struct want want;
	struct cut cuts[MAX_CUTS];
	/* An ICMP error's quote decodes from this captured length on. */
	uint32_t quote_min;
	/* The IP length is bounded by the link header, not the frame, so a
	 * frame cut on the wire is only snapped (NFLOG). */
	bool wire_cut_may_decode;
};

static void build_eth_ipv4_tcp_opts(struct frame *f)
{
	uint32_t ip;

	eth(f, 0x0800);
	ip = ip4(f, 6, 6, "192.0.2.1", "198.51.100.7");
	tcp(f, 40000, 443, SW_TCP_SYN | SW_TCP_ACK | SW_TCP_ECE, 3);
	put_bytes(f, "hello", 5);
	ip4_end(f, ip);
}

static void build_vlan_ipv4_udp(struct frame *f)
{
	uint32_t ip;

	eth(f, 0x8100);
	vlan(f, 0xa00a, 0x0800); /* priority 5, VLAN 10 */
	ip = ip4(f, 5, 17, "10.1.2.3", "10.4.5.6");
	udp(f, 33000, 53, 12);
	ip4_end(f, ip);
}

static void build_qinq_gre(struct frame *f)
{
	uint32_t ip;

	eth(f, 0x88a8);
	vlan(f, 0x3064, 0x8100); /* priority 1, DEI, VLAN 100 */
	vlan(f, 200, 0x0800);
	ip = ip4(f, 5, 47, "10.0.0.1", "10.0.0.2");
	put32(f, 0x00000800); /* GRE carrying IPv4 */
	put_zeros(f, 20);
	ip4_end(f, ip);
}

static void build_three_tags_udp(struct frame *f)
{
	uint32_t ip;

	eth(f, 0x9100);
	vlan(f, 1, 0x88a8);
	vlan(f, 2, 0x8100);
	vlan(f, 3, 0x0800);
	ip = ip4(f, 5, 17, "10.0.0.1", "10.0.0.2");
	udp(f, 1, 2, 0);
	ip4_end(f, ip);
}

static void build_sll_ipv6_chain_udp(struct frame *f)
{
	uint32_t ip;

	sll(f, 1, 0x86dd);
	ip = ip6(f, 0, "2001:db8::1", "2001:db8::2");
	ext6(f, 60, 0);                       /* hop-by-hop, 8 bytes */
	ext6(f, 44, 1);                       /* destination options, 16 */
	frag6(f, 17, 0, true, 0xdeadbeef);    /* first fragment */
	udp(f, 5353, 5354, 4);
	ip6_end(f, ip);
}

static void build_sll2_ipv4_udp(struct frame *f)
{
	uint32_t ip;

	sll2(f, 1, 0x0800);
	ip = ip4(f, 5, 17, "172.16.0.1", "172.16.0.2");
	udp(f, 1234, 4321, 0);
	ip4_end(f, ip);
}

/* 198.51.100.7 tells 192.0.2.1 that its UDP to port 53 found no one. */
static void build_raw_icmp_port_unreach(struct frame *f)
{
	uint32_t ip, quoted;

	ip = ip4(f, 5, 1, "198.51.100.7", "192.0.2.1");
	icmp(f, 3, 3, 0);
	quoted = ip4(f, 5, 17, "192.0.2.1", "198.51.100.7");
	udp(f, 51000, 53, 0);
	patch16(f, quoted + 2, 20 + 8 + 30); /* the original was longer */
	ip4_end(f, ip);
}

static void build_raw_ipv6_tcp(struct frame *f)
{
	uint32_t ip;

	ip = ip6(f, 6, "2001:db8::a", "2001:db8::b");
	tcp(f, 22, 50000, SW_TCP_PSH | SW_TCP_ACK, 0);
	put_zeros(f, 10);
	ip6_end(f, ip);
}

static void build_null_ipv6_sctp(struct frame *f)
{
	uint32_t ip;

	put_he32(f, 30); /* AF_INET6 of macOS */
	ip = ip6(f, 132, "fe80::1", "fe80::2");
	sctp(f, 2905, 2906);
	ip6_end(f, ip);
}

static void build_loop_ipv4_icmp_echo(struct frame *f)
{
	uint32_t ip;

	put32(f, 2); /* AF_INET, network order */
	ip = ip4(f, 5, 1, "127.0.0.1", "127.0.0.2");
	icmp(f, 8, 0, 0x00010001);
	put_zeros(f, 16);
	ip4_end(f, ip);
}

/* A router tells 2001:db8::a that its SYN's hop limit ran out. */
static void build_ipv6_icmpv6_time_exceeded(struct frame *f)
{
	uint32_t ip, quoted;

	ip = ip6(f, 58, "2001:db8:ffff::1", "2001:db8::a");
	icmp(f, 3, 0, 0);
	quoted = ip6(f, 6, "2001:db8::a", "2001:db8:1::99");
	tcp(f, 44123, 443, SW_TCP_SYN, 0);
	ip6_end(f, quoted);
	ip6_end(f, ip);
}

static void build_nflog_ipv4_tcp(struct frame *f)
{
	uint32_t tlv, ip;

	nflog_hdr(f, 2);
	nflog_tlv(f, 10, "abcde", 6); /* prefix, 10 bytes padded to 12 */
	tlv = nflog_payload_begin(f);
	ip = ip4(f, 5, 6, "10.0.0.5", "10.0.0.6");
	tcp(f, 1000, 2000, SW_TCP_SYN, 0);
	ip4_end(f, ip);
	nflog_payload_end(f, tlv);
}

static void build_mpls_ipv4_udp(struct frame *f)
{
	uint32_t ip;

	eth(f, 0x8847);
	put32(f, 100u << 12 | 64);         /* label 100 */
	put32(f, 200u << 12 | 0x100 | 64); /* label 200, bottom of stack */
	ip = ip4(f, 5, 17, "10.9.9.9", "10.8.8.8");
	udp(f, 7, 9, 0);
	ip4_end(f, ip);
}

static void build_pppoe_ipv6_tcp(struct frame *f)
{
	uint32_t ip;

	eth(f, 0x8864);
	put8(f, 0x11);      /* version 1, type 1 */
	put8(f, 0);         /* session data */
	put16(f, 0x1234);   /* session id */
	put16(f, 2 + 40 + 20);
	put16(f, 0x0057);   /* PPP: IPv6 */
	ip = ip6(f, 6, "2001:db8::1", "2001:db8::2");
	tcp(f, 80, 40001, SW_TCP_FIN | SW_TCP_ACK, 0);
	ip6_end(f, ip);
}

static void build_ipv4_first_fragment(struct frame *f)
{
	uint32_t ip;

	eth(f, 0x0800);
	ip = ip4(f, 5, 17, "10.0.0.1", "10.0.0.2");
	ip4_set_frag(f, ip, 0x2000); /* MF, offset 0 */
	udp(f, 4000, 4001, 1472);    /* the UDP length covers all fragments */
	f->n -= 1472 - 24;           /* only 24 bytes travel in this one */
	ip4_end(f, ip);
}

static void build_ipv4_later_fragment(struct frame *f)
{
	uint32_t ip;

	eth(f, 0x0800);
	ip = ip4(f, 5, 17, "10.0.0.1", "10.0.0.2");
	ip4_set_frag(f, ip, 185); /* offset 1480, last fragment */
	put_zeros(f, 32);
	ip4_end(f, ip);
}

static void build_ipv6_later_fragment(struct frame *f)
{
	uint32_t ip;

	eth(f, 0x86dd);
	ip = ip6(f, 44, "2001:db8::1", "2001:db8::2");
	frag6(f, 6, 1480, true, 7);
	put_zeros(f, 24);
	ip6_end(f, ip);
}

static void build_ipv6_ah_esp(struct frame *f)
{
	uint32_t ip;

	ip = ip6(f, 51, "2001:db8::1", "2001:db8::2");
	ah6(f, 50, 4); /* (4 + 2) * 4 = 24 bytes */
	put32(f, 0x1000); /* ESP SPI */
	put32(f, 1);      /* sequence */
	put_zeros(f, 16);
	ip6_end(f, ip);
}

static void build_ipv6_rt_hip_shim6_udp(struct frame *f)
{
	uint32_t ip;

	eth(f, 0x86dd);
	ip = ip6(f, 43, "2001:db8::1", "2001:db8::2");
	ext6(f, 139, 2); /* routing, 24 bytes */
	ext6(f, 140, 1); /* HIP, 16 */
	ext6(f, 135, 0); /* Shim6, 8 */
	ext6(f, 17, 0);  /* mobility, 8 */
	udp(f, 500, 4500, 2);
	ip6_end(f, ip);
}

static void build_ipv6_no_next(struct frame *f)
{
	uint32_t ip;

	ip = ip6(f, 0, "2001:db8::1", "2001:db8::2");
	ext6(f, 59, 0);
	ip6_end(f, ip);
}

#define R(x) SW_DROP_##x

static const struct dcase cases[] = {
	{"eth_ipv4_tcp_opts", DLT_EN10MB, build_eth_ipv4_tcp_opts,
	 {"192.0.2.1", "198.51.100.7", 40000, 443, 6, 4, 0x52, 24 + 32 + 5,
	  SW_FRAG_NONE, 0, 0, 0, 0, false, NULL, NULL, 0, 0, 0},
	 {{14, R(LINK_TRUNCATED)}, {38, R(IP_HEADER_TRUNCATED)},
	  {58, R(TCP_HEADER_TRUNCATED)}}, 0, false},
	{"vlan_ipv4_udp", DLT_EN10MB, build_vlan_ipv4_udp,
	 {"10.1.2.3", "10.4.5.6", 33000, 53, 17, 4, 0, 40, SW_FRAG_NONE, 0,
	  1, 10, 0, false, NULL, NULL, 0, 0, 0},
	 {{14, R(LINK_TRUNCATED)}, {18, R(VLAN_TRUNCATED)},
	  {38, R(IP_HEADER_TRUNCATED)}, {46, R(UDP_HEADER_TRUNCATED)}}, 0, false},
	{"qinq_gre", DLT_EN10MB, build_qinq_gre,
	 {"10.0.0.1", "10.0.0.2", 0, 0, 47, 4, 0, 44, SW_FRAG_NONE, 0,
	  2, 100, 200, false, NULL, NULL, 0, 0, 0},
	 {{14, R(LINK_TRUNCATED)}, {22, R(VLAN_TRUNCATED)},
	  {42, R(IP_HEADER_TRUNCATED)}}, 0, false},
	{"three_tags_udp", DLT_EN10MB, build_three_tags_udp,
	 {"10.0.0.1", "10.0.0.2", 1, 2, 17, 4, 0, 28, SW_FRAG_NONE, 0,
	  2, 1, 2, false, NULL, NULL, 0, 0, 0},
	 {{14, R(LINK_TRUNCATED)}, {26, R(VLAN_TRUNCATED)},
	  {46, R(IP_HEADER_TRUNCATED)}, {54, R(UDP_HEADER_TRUNCATED)}}, 0, false},
	{"sll_ipv6_chain_udp", DLT_LINUX_SLL, build_sll_ipv6_chain_udp,
	 {"2001:db8::1", "2001:db8::2", 5353, 5354, 17, 6, 0, 40 + 44,
	  SW_FRAG_FIRST, 0xdeadbeef, 0, 0, 0, false, NULL, NULL, 0, 0, 0},
	 {{16, R(LINK_TRUNCATED)}, {56, R(IP_HEADER_TRUNCATED)},
	  {88, R(IPV6_EXT_TRUNCATED)}, {96, R(UDP_HEADER_TRUNCATED)}}, 0, false},
	{"sll2_ipv4_udp", DLT_LINUX_SLL2, build_sll2_ipv4_udp,
	 {"172.16.0.1", "172.16.0.2", 1234, 4321, 17, 4, 0, 28, SW_FRAG_NONE,
	  0, 0, 0, 0, false, NULL, NULL, 0, 0, 0},
	 {{20, R(LINK_TRUNCATED)}, {40, R(IP_HEADER_TRUNCATED)},
	  {48, R(UDP_HEADER_TRUNCATED)}}, 0, false},
	{"raw_icmp_port_unreach", DLT_RAW, build_raw_icmp_port_unreach,
	 {"198.51.100.7", "192.0.2.1", 3, 3, 1, 4, 0, 56, SW_FRAG_NONE, 0,
	  0, 0, 0, true, "192.0.2.1", "198.51.100.7", 51000, 53, 17},
	 {{20, R(IP_HEADER_TRUNCATED)}, {24, R(ICMP_HEADER_TRUNCATED)}},
	 20 + 8 + 20 + 4, false},
	{"raw_ipv6_tcp", DLT_RAW, build_raw_ipv6_tcp,
	 {"2001:db8::a", "2001:db8::b", 22, 50000, 6, 6, 0x18, 70,
	  SW_FRAG_NONE, 0, 0, 0, 0, false, NULL, NULL, 0, 0, 0},
	 {{40, R(IP_HEADER_TRUNCATED)}, {60, R(TCP_HEADER_TRUNCATED)}}, 0,
	 false},
	{"null_ipv6_sctp", DLT_NULL, build_null_ipv6_sctp,
	 {"fe80::1", "fe80::2", 2905, 2906, 132, 6, 0, 52, SW_FRAG_NONE, 0,
	  0, 0, 0, false, NULL, NULL, 0, 0, 0},
	 {{4, R(LINK_TRUNCATED)}, {44, R(IP_HEADER_TRUNCATED)},
	  {56, R(SCTP_HEADER_TRUNCATED)}}, 0, false},
	{"loop_ipv4_icmp_echo", DLT_LOOP, build_loop_ipv4_icmp_echo,
	 {"127.0.0.1", "127.0.0.2", 8, 0, 1, 4, 0, 44, SW_FRAG_NONE, 0,
	  0, 0, 0, false, NULL, NULL, 0, 0, 0},
	 {{4, R(LINK_TRUNCATED)}, {24, R(IP_HEADER_TRUNCATED)},
	  {28, R(ICMP_HEADER_TRUNCATED)}}, 0, false},
	{"ipv6_icmpv6_time_exceeded", DLT_IPV6,
	 build_ipv6_icmpv6_time_exceeded,
	 {"2001:db8:ffff::1", "2001:db8::a", 3, 0, 58, 6, 0, 108,
	  SW_FRAG_NONE, 0, 0, 0, 0, true, "2001:db8::a", "2001:db8:1::99",
	  44123, 443, 6},
	 {{40, R(IP_HEADER_TRUNCATED)}, {44, R(ICMP_HEADER_TRUNCATED)}},
	 40 + 8 + 40 + 4, false},
	{"nflog_ipv4_tcp", DLT_NFLOG, build_nflog_ipv4_tcp,
	 {"10.0.0.5", "10.0.0.6", 1000, 2000, 6, 4, SW_TCP_SYN, 40,
	  SW_FRAG_NONE, 0, 0, 0, 0, false, NULL, NULL, 0, 0, 0},
	 {{20, R(LINK_TRUNCATED)}, {40, R(IP_HEADER_TRUNCATED)},
	  {60, R(TCP_HEADER_TRUNCATED)}}, 0, true},
	{"mpls_ipv4_udp", DLT_EN10MB, build_mpls_ipv4_udp,
	 {"10.9.9.9", "10.8.8.8", 7, 9, 17, 4, 0, 28, SW_FRAG_NONE, 0,
	  0, 0, 0, false, NULL, NULL, 0, 0, 0},
	 {{22, R(LINK_TRUNCATED)}, {42, R(IP_HEADER_TRUNCATED)},
	  {50, R(UDP_HEADER_TRUNCATED)}}, 0, false},
	{"pppoe_ipv6_tcp", DLT_EN10MB, build_pppoe_ipv6_tcp,
	 {"2001:db8::1", "2001:db8::2", 80, 40001, 6, 6, 0x11, 60,
	  SW_FRAG_NONE, 0, 0, 0, 0, false, NULL, NULL, 0, 0, 0},
	 {{22, R(LINK_TRUNCATED)}, {62, R(IP_HEADER_TRUNCATED)},
	  {82, R(TCP_HEADER_TRUNCATED)}}, 0, false},
	{"ipv4_first_fragment", DLT_EN10MB, build_ipv4_first_fragment,
	 {"10.0.0.1", "10.0.0.2", 4000, 4001, 17, 4, 0, 52, SW_FRAG_FIRST,
	  0x1234, 0, 0, 0, false, NULL, NULL, 0, 0, 0},
	 {{14, R(LINK_TRUNCATED)}, {34, R(IP_HEADER_TRUNCATED)},
	  {42, R(UDP_HEADER_TRUNCATED)}}, 0, false},
	{"ipv4_later_fragment", DLT_EN10MB, build_ipv4_later_fragment,
	 {"10.0.0.1", "10.0.0.2", 0, 0, 17, 4, 0, 52, SW_FRAG_LATER, 0x1234,
	  0, 0, 0, false, NULL, NULL, 0, 0, 0},
	 {{14, R(LINK_TRUNCATED)}, {34, R(IP_HEADER_TRUNCATED)}}, 0, false},
	{"ipv6_later_fragment", DLT_EN10MB, build_ipv6_later_fragment,
	 {"2001:db8::1", "2001:db8::2", 0, 0, 6, 6, 0, 72, SW_FRAG_LATER, 7,
	  0, 0, 0, false, NULL, NULL, 0, 0, 0},
	 {{14, R(LINK_TRUNCATED)}, {54, R(IP_HEADER_TRUNCATED)},
	  {62, R(IPV6_EXT_TRUNCATED)}}, 0, false},
	{"ipv6_ah_esp", DLT_RAW, build_ipv6_ah_esp,
	 {"2001:db8::1", "2001:db8::2", 0, 0, 50, 6, 0, 88, SW_FRAG_NONE, 0,
	  0, 0, 0, false, NULL, NULL, 0, 0, 0},
	 {{40, R(IP_HEADER_TRUNCATED)}, {64, R(IPV6_EXT_TRUNCATED)}}, 0,
	 false},
	{"ipv6_rt_hip_shim6_udp", DLT_EN10MB, build_ipv6_rt_hip_shim6_udp,
	 {"2001:db8::1", "2001:db8::2", 500, 4500, 17, 6, 0, 40 + 56 + 10,
	  SW_FRAG_NONE, 0, 0, 0, 0, false, NULL, NULL, 0, 0, 0},
	 {{14, R(LINK_TRUNCATED)}, {54, R(IP_HEADER_TRUNCATED)},
	  {110, R(IPV6_EXT_TRUNCATED)}, {118, R(UDP_HEADER_TRUNCATED)}}, 0,
	 false},
	{"ipv6_no_next_header", DLT_RAW, build_ipv6_no_next,
	 {"2001:db8::1", "2001:db8::2", 0, 0, 59, 6, 0, 48, SW_FRAG_NONE, 0,
	  0, 0, 0, false, NULL, NULL, 0, 0, 0},
	 {{40, R(IP_HEADER_TRUNCATED)}, {48, R(IPV6_EXT_TRUNCATED)}}, 0,
	 false},
};

static void test_good_frames(void **state)
{
	struct frame f;
	struct sw_packet p;
	size_t i;

	(void)state;
	for (i = 0; i < SW_ARRAY_SIZE(cases); i++) {
		print_message("  %s\n", cases[i].name);
		memset(&f, 0, sizeof(f));
		cases[i].build(&f);
		memset(&p, 0xa5, sizeof(p));
		p.ts_ns = 42;
		assert_reason(decode(cases[i].dlt, &f, &p), SW_DROP_NONE);
		assert_pkt(&p, &cases[i].want);
		assert_int_equal(p.ts_ns, 42); /* the caller's, left alone */
	}
}

static enum sw_drop_reason cut_reason(const struct dcase *c, uint32_t n)
{
	size_t i;

	for (i = 0; i < MAX_CUTS && c->cuts[i].below != 0; i++)
		if (n < c->cuts[i].below)
			return c->cuts[i].reason;
	return SW_DROP_NONE;
}

/* Snapped: caplen n of a longer frame. The reason must be exactly the one
 * of the header the snap cut into; from the last header on, the packet
 * decodes to the same tuple as the whole frame. */
static void check_snapped(const struct dcase *c, const struct frame *f,
                          uint32_t n)
{
	struct sw_packet p;
	enum sw_drop_reason r, want = cut_reason(c, n);

	r = decode_copy(c->dlt, f->b, n, f->n, &p);
	if (r != want)
		fail_msg("%s snapped at %u of %u: %s, want %s", c->name, n, f->n,
		         sw_drop_reason_name(r), sw_drop_reason_name(want));
	if (r != SW_DROP_NONE)
		return;
	assert_pkt_core(&p, &c->want);
	if (c->quote_min == 0) {
		assert_false(p.icmp_error);
	} else if (n >= c->quote_min) {
		assert_quote(&p, &c->want);
	} else if (p.icmp_error) {
		fail_msg("%s snapped at %u: quote decoded from %u bytes",
		         c->name, n, n);
	}
}

/* Cut on the wire: the frame really was n bytes, so the IP length field
 * lies and the packet must be dropped, whatever the reason. */
static void check_wire_cut(const struct dcase *c, const struct frame *f,
                           uint32_t n)
{
	struct sw_packet p;
	enum sw_drop_reason r = decode_copy(c->dlt, f->b, n, n, &p);

	if (n < f->n && !c->wire_cut_may_decode && r == SW_DROP_NONE)
		fail_msg("%s cut on the wire at %u of %u decoded", c->name, n,
		         f->n);
	if (n == f->n)
		assert_reason(r, SW_DROP_NONE);
}

static void test_every_cut(void **state)
{
	struct frame f;
	size_t i;
	uint32_t n;

	(void)state;
	for (i = 0; i < SW_ARRAY_SIZE(cases); i++) {
		memset(&f, 0, sizeof(f));
		cases[i].build(&f);
		for (n = 0; n <= f.n; n++) {
			check_snapped(&cases[i], &f, n);
			check_wire_cut(&cases[i], &f, n);
		}
	}
}

/* ---- link layers ----------------------------------------------------- */

static void build_v4_udp(struct frame *f)
{
	uint32_t ip = ip4(f, 5, 17, "10.0.0.1", "10.0.0.2");

	udp(f, 1111, 2222, 3);
	ip4_end(f, ip);
}

static void build_v6_udp(struct frame *f)
{
	uint32_t ip = ip6(f, 17, "fd00::1", "fd00::2");

	udp(f, 1111, 2222, 3);
	ip6_end(f, ip);
}

static void test_raw_link_types(void **state)
{
	struct frame v4 = {.n = 0}, v6 = {.n = 0};
	struct sw_packet p;

	(void)state;
	build_v4_udp(&v4);
	build_v6_udp(&v6);

	assert_reason(decode(DLT_RAW, &v4, &p), SW_DROP_NONE);
	assert_int_equal(p.ip_version, 4);
	assert_reason(decode(LINKTYPE_RAW, &v4, &p), SW_DROP_NONE);
	assert_addr(&p.src, "10.0.0.1");
	assert_reason(decode(DLT_IPV4, &v4, &p), SW_DROP_NONE);
	assert_int_equal(p.dport, 2222);
	assert_reason(decode(DLT_RAW, &v6, &p), SW_DROP_NONE);
	assert_int_equal(p.ip_version, 6);
	assert_reason(decode(LINKTYPE_RAW, &v6, &p), SW_DROP_NONE);
	assert_addr(&p.dst, "fd00::2");
	assert_reason(decode(DLT_IPV6, &v6, &p), SW_DROP_NONE);
	assert_int_equal(p.sport, 1111);

	/* DLT_IPV4/DLT_IPV6 insist on their version; raw IP takes 4 or 6. */
	assert_reason(decode(DLT_IPV4, &v6, &p), SW_DROP_BAD_IP_VERSION);
	assert_reason(decode(DLT_IPV6, &v4, &p), SW_DROP_BAD_IP_VERSION);
	v4.b[0] = 0x55;
	assert_reason(decode(DLT_RAW, &v4, &p), SW_DROP_BAD_IP_VERSION);
	v4.b[0] = 0x05;
	assert_reason(decode(DLT_RAW, &v4, &p), SW_DROP_BAD_IP_VERSION);
}

/* Every IPv6 family value of the BSDs and Linux, in both byte orders for
 * DLT_NULL (written on a host of either order) and for DLT_LOOP. */
static void test_null_loop_families(void **state)
{
	static const uint32_t v6_families[] = {10, 24, 28, 30};
	struct frame f;
	struct sw_packet p;
	size_t i;
	int dlt;

	(void)state;
	for (dlt = 0; dlt < 2; dlt++) {
		int d = dlt == 0 ? DLT_NULL : DLT_LOOP;

		for (i = 0; i < SW_ARRAY_SIZE(v6_families); i++) {
			memset(&f, 0, sizeof(f));
			put32(&f, v6_families[i]);
			build_v6_udp(&f);
			assert_reason(decode(d, &f, &p), SW_DROP_NONE);
			assert_int_equal(p.ip_version, 6);
			assert_addr(&p.src, "fd00::1");

			memset(&f, 0, sizeof(f));
			put32(&f, v6_families[i] << 24); /* little-endian */
			build_v6_udp(&f);
			assert_reason(decode(d, &f, &p), SW_DROP_NONE);
			assert_int_equal(p.ip_version, 6);
		}
		memset(&f, 0, sizeof(f));
		put32(&f, 2u << 24);
		build_v4_udp(&f);
		assert_reason(decode(d, &f, &p), SW_DROP_NONE);
		assert_int_equal(p.ip_version, 4);

		/* The family announces the version. */
		memset(&f, 0, sizeof(f));
		put32(&f, 2);
		build_v6_udp(&f);
		assert_reason(decode(d, &f, &p), SW_DROP_BAD_IP_VERSION);

		/* AF_APPLETALK and friends are not IP. */
		memset(&f, 0, sizeof(f));
		put32(&f, 16);
		build_v4_udp(&f);
		assert_reason(decode(d, &f, &p), SW_DROP_NON_IP);
	}
}

static void test_non_ip(void **state)
{
	struct frame f;
	struct sw_packet p;

	(void)state;
	memset(&f, 0, sizeof(f));
	eth(&f, 0x0806); /* ARP */
	put_zeros(&f, 28);
	assert_reason(decode(DLT_EN10MB, &f, &p), SW_DROP_NON_IP);

	memset(&f, 0, sizeof(f));
	eth(&f, 0x8100); /* LLDP in a VLAN: the tag is still recorded */
	vlan(&f, 42, 0x88cc);
	put_zeros(&f, 30);
	assert_reason(decode(DLT_EN10MB, &f, &p), SW_DROP_NON_IP);

	memset(&f, 0, sizeof(f));
	eth(&f, 46); /* 802.3 length, then LLC (STP) */
	put8(&f, 0x42);
	put8(&f, 0x42);
	put8(&f, 0x03);
	put_zeros(&f, 43);
	assert_reason(decode(DLT_EN10MB, &f, &p), SW_DROP_NON_IP);

	memset(&f, 0, sizeof(f));
	sll(&f, 824, 0x0000); /* netlink monitor */
	put_zeros(&f, 16);
	assert_reason(decode(DLT_LINUX_SLL, &f, &p), SW_DROP_NON_IP);

	memset(&f, 0, sizeof(f));
	sll2(&f, 824, 0x0800); /* netlink: the protocol is not an EtherType */
	build_v4_udp(&f);
	assert_reason(decode(DLT_LINUX_SLL2, &f, &p), SW_DROP_NON_IP);

	memset(&f, 0, sizeof(f));
	sll(&f, 1, 0x0806);
	put_zeros(&f, 28);
	assert_reason(decode(DLT_LINUX_SLL, &f, &p), SW_DROP_NON_IP);

	memset(&f, 0, sizeof(f));
	eth(&f, 0x8847); /* MPLS pseudowire with a control word */
	put32(&f, 16u << 12 | 0x100 | 64);
	put32(&f, 0);
	put_zeros(&f, 20);
	assert_reason(decode(DLT_EN10MB, &f, &p), SW_DROP_NON_IP);

	memset(&f, 0, sizeof(f));
	eth(&f, 0x8864); /* PPPoE session carrying LCP */
	put_zeros(&f, 6);
	put16(&f, 0xc021);
	put_zeros(&f, 10);
	assert_reason(decode(DLT_EN10MB, &f, &p), SW_DROP_NON_IP);

	memset(&f, 0, sizeof(f));
	eth(&f, 0x8863); /* PPPoE discovery */
	put_zeros(&f, 20);
	assert_reason(decode(DLT_EN10MB, &f, &p), SW_DROP_NON_IP);
}

static void test_vlan_depth(void **state)
{
	struct frame f;
	struct sw_packet p;
	unsigned tags, i;

	(void)state;
	for (tags = 1; tags <= 9; tags++) {
		memset(&f, 0, sizeof(f));
		eth(&f, 0x8100);
		for (i = 1; i <= tags; i++)
			vlan(&f, 0xe000 | i, i < tags ? 0x8100 : 0x0800);
		build_v4_udp(&f);
		if (tags > 8) {
			assert_reason(decode(DLT_EN10MB, &f, &p),
			              SW_DROP_VLAN_TOO_DEEP);
			continue;
		}
		assert_reason(decode(DLT_EN10MB, &f, &p), SW_DROP_NONE);
		assert_int_equal(p.n_vlan, tags < 2 ? tags : 2);
		assert_int_equal(p.vlan[0], 1);
		assert_int_equal(p.vlan[1], tags >= 2 ? 2 : 0);
		assert_int_equal(p.dport, 2222);
	}
}

/* VLAN tags reinserted by libpcap into a cooked capture. */
static void test_sll_vlan(void **state)
{
	struct frame f = {.n = 0};
	struct sw_packet p;

	(void)state;
	sll(&f, 1, 0x8100);
	vlan(&f, 300, 0x86dd);
	build_v6_udp(&f);
	assert_reason(decode(DLT_LINUX_SLL, &f, &p), SW_DROP_NONE);
	assert_int_equal(p.n_vlan, 1);
	assert_int_equal(p.vlan[0], 300);
	assert_int_equal(p.ip_version, 6);
}

static void test_nflog_variants(void **state)
{
	struct frame f;
	struct sw_packet p;
	uint32_t tlv;

	(void)state;
	/* IPv6 family, payload TLV not first nor last. */
	memset(&f, 0, sizeof(f));
	nflog_hdr(&f, 10);
	nflog_tlv(&f, 1, "\x08\x00\x03\x00", 4); /* packet header */
	tlv = nflog_payload_begin(&f);
	build_v6_udp(&f);
	nflog_payload_end(&f, tlv);
	nflog_tlv(&f, 10, "x", 2);
	assert_reason(decode(DLT_NFLOG, &f, &p), SW_DROP_NONE);
	assert_int_equal(p.ip_version, 6);
	assert_int_equal(p.ip_bytes, 40 + 11);
	assert_int_equal(p.sport, 1111);

	/* Family says IPv4, payload is IPv6. */
	memset(&f, 0, sizeof(f));
	nflog_hdr(&f, 2);
	tlv = nflog_payload_begin(&f);
	build_v6_udp(&f);
	nflog_payload_end(&f, tlv);
	assert_reason(decode(DLT_NFLOG, &f, &p), SW_DROP_BAD_IP_VERSION);

	/* Unspecified family: guessed from the packet. */
	memset(&f, 0, sizeof(f));
	nflog_hdr(&f, 0);
	tlv = nflog_payload_begin(&f);
	build_v4_udp(&f);
	nflog_payload_end(&f, tlv);
	assert_reason(decode(DLT_NFLOG, &f, &p), SW_DROP_NONE);
	assert_int_equal(p.ip_version, 4);

	/* No payload TLV (copy range 0). */
	memset(&f, 0, sizeof(f));
	nflog_hdr(&f, 2);
	nflog_tlv(&f, 10, "abc", 4);
	assert_reason(decode(DLT_NFLOG, &f, &p), SW_DROP_LINK_TRUNCATED);

	/* A TLV length below its own header must not loop forever. */
	memset(&f, 0, sizeof(f));
	nflog_hdr(&f, 2);
	put_he16(&f, 2);
	put_he16(&f, 10);
	put_zeros(&f, 8);
	assert_reason(decode(DLT_NFLOG, &f, &p), SW_DROP_LINK_TRUNCATED);

	/* A payload TLV shorter than its own header. */
	memset(&f, 0, sizeof(f));
	nflog_hdr(&f, 2);
	put_he16(&f, 0);
	put_he16(&f, 9);
	build_v4_udp(&f);
	assert_reason(decode(DLT_NFLOG, &f, &p), SW_DROP_LINK_TRUNCATED);

	/* A TLV longer than the message. */
	memset(&f, 0, sizeof(f));
	nflog_hdr(&f, 2);
	put_he16(&f, 400);
	put_he16(&f, 10);
	put_zeros(&f, 8);
	assert_reason(decode(DLT_NFLOG, &f, &p), SW_DROP_LINK_TRUNCATED);
}

static void test_unknown_link_type(void **state)
{
	static const int supported[] = {DLT_EN10MB, DLT_LINUX_SLL,
	                                 DLT_LINUX_SLL2, DLT_RAW, LINKTYPE_RAW,
	                                 DLT_IPV4, DLT_IPV6, DLT_NULL,
	                                 DLT_LOOP, DLT_NFLOG};
	struct frame f = {.n = 0};
	struct sw_packet p;
	size_t i;

	(void)state;
	build_v4_udp(&f);
	for (i = 0; i < SW_ARRAY_SIZE(supported); i++)
		assert_true(sw_decode_supports_dlt(supported[i]));
	assert_false(sw_decode_supports_dlt(DLT_USER0));
	assert_false(sw_decode_supports_dlt(DLT_IEEE802_11));
	assert_false(sw_decode_supports_dlt(-1));
	assert_reason(decode(DLT_USER0, &f, &p), SW_DROP_LINKTYPE_UNSUPPORTED);
	assert_reason(decode(DLT_IEEE802_11_RADIO, &f, &p),
	              SW_DROP_LINKTYPE_UNSUPPORTED);
	assert_reason(decode(-1, &f, &p), SW_DROP_LINKTYPE_UNSUPPORTED);
}

static void test_empty_frame(void **state)
{
	struct sw_packet p;

	(void)state;
	assert_reason(sw_decode(DLT_EN10MB, NULL, 0, 0, &p),
	              SW_DROP_LINK_TRUNCATED);
	assert_reason(sw_decode(DLT_RAW, NULL, 0, 60, &p),
	              SW_DROP_IP_HEADER_TRUNCATED);
	assert_reason(sw_decode(DLT_NFLOG, NULL, 0, 0, &p),
	              SW_DROP_LINK_TRUNCATED);
}

/* ---- IPv4 -------------------------------------------------------------- */

static void test_ipv4_bad_ihl(void **state)
{
	struct frame f;
	struct sw_packet p;
	unsigned ihl;
	uint32_t ip;

	(void)state;
	for (ihl = 0; ihl < 5; ihl++) {
		memset(&f, 0, sizeof(f));
		eth(&f, 0x0800);
		ip = ip4(&f, ihl, 17, "10.0.0.1", "10.0.0.2");
		udp(&f, 1, 2, 8);
		ip4_end(&f, ip);
		assert_reason(decode(DLT_EN10MB, &f, &p),
		              SW_DROP_BAD_IP_HEADER_LENGTH);
	}

	/* IHL 15 (60 bytes) in a 40-byte packet: beyond the frame. */
	memset(&f, 0, sizeof(f));
	ip = ip4(&f, 5, 17, "10.0.0.1", "10.0.0.2");
	udp(&f, 1, 2, 12);
	ip4_end(&f, ip);
	f.b[0] = 0x4f;
	assert_reason(decode(DLT_RAW, &f, &p), SW_DROP_BAD_IP_HEADER_LENGTH);
	/* The same 40 bytes snapped from a longer packet: options cut. */
	patch16(&f, 2, 100);
	assert_reason(decode_copy(DLT_RAW, f.b, f.n, 100, &p),
	              SW_DROP_IP_HEADER_TRUNCATED);
}

static void test_ipv4_total_length(void **state)
{
	struct frame f;
	struct sw_packet p;
	uint32_t ip;

	(void)state;
	memset(&f, 0, sizeof(f));
	eth(&f, 0x0800);
	ip = ip4(&f, 6, 17, "10.0.0.1", "10.0.0.2");
	udp(&f, 1, 2, 8);
	ip4_end(&f, ip); /* 24 + 16 = 40 */

	/* Beyond the frame. */
	patch16(&f, ip + 2, 41);
	assert_reason(decode(DLT_EN10MB, &f, &p), SW_DROP_BAD_IP_LENGTH);
	/* ... but not beyond the wire length: snapped, and fine. */
	assert_reason(decode_copy(DLT_EN10MB, f.b, f.n, f.n + 1, &p),
	              SW_DROP_NONE);
	assert_int_equal(p.ip_bytes, 41);
	/* Shorter than the header. */
	patch16(&f, ip + 2, 23);
	assert_reason(decode(DLT_EN10MB, &f, &p), SW_DROP_BAD_IP_LENGTH);
	patch16(&f, ip + 2, 19);
	assert_reason(decode(DLT_EN10MB, &f, &p), SW_DROP_BAD_IP_LENGTH);
	/* Header only: UDP has no room. */
	patch16(&f, ip + 2, 24);
	assert_reason(decode(DLT_EN10MB, &f, &p), SW_DROP_UDP_HEADER_TRUNCATED);
	/* Shorter than the frame (Ethernet padding): the IP length counts. */
	patch16(&f, ip + 2, 32);
	assert_reason(decode(DLT_EN10MB, &f, &p), SW_DROP_NONE);
	assert_int_equal(p.ip_bytes, 32);
	assert_int_equal(p.sport, 1);
}

/* Linux BIG TCP / GSO: total length 0 in a packet above 64 KiB, captured
 * with a snap length; large send offload does the same below 64 KiB. */
static void test_ipv4_big_tcp(void **state)
{
	struct frame f = {.n = 0};
	struct sw_packet p;
	uint32_t ip;

	(void)state;
	eth(&f, 0x0800);
	ip = ip4(&f, 5, 6, "10.0.0.1", "10.0.0.2");
	tcp(&f, 5201, 40000, SW_TCP_ACK, 0);
	patch16(&f, ip + 2, 0);
	assert_reason(decode_copy(DLT_EN10MB, f.b, f.n, 14 + 185000, &p),
	              SW_DROP_NONE);
	assert_int_equal(p.ip_bytes, 185000);
	assert_int_equal(p.sport, 5201);
	assert_int_equal(p.tcp_flags, SW_TCP_ACK);
	assert_reason(decode_copy(DLT_EN10MB, f.b, f.n, 2030, &p),
	              SW_DROP_NONE);
	assert_int_equal(p.ip_bytes, 2016);
	/* A frame too short for the header it announces. */
	f.b[14] = 0x4f;
	assert_reason(decode_copy(DLT_EN10MB, f.b, f.n, 14 + 56, &p),
	              SW_DROP_BAD_IP_HEADER_LENGTH);
}

/* A broken savefile record may claim a wire length below caplen: the
 * captured bytes are real, so the frame counts as caplen long. */
static void test_wirelen_below_caplen(void **state)
{
	struct frame f = {.n = 0};
	struct sw_packet p;
	uint32_t ip;

	(void)state;
	eth(&f, 0x0800);
	ip = ip4(&f, 5, 6, "10.0.0.1", "10.0.0.2");
	tcp(&f, 5201, 40000, SW_TCP_ACK, 0);
	ip4_end(&f, ip);
	assert_reason(decode_copy(DLT_EN10MB, f.b, f.n, 0, &p), SW_DROP_NONE);
	assert_int_equal(p.ip_bytes, 40);
	assert_reason(decode_copy(DLT_EN10MB, f.b, f.n, 10, &p), SW_DROP_NONE);
	assert_int_equal(p.dport, 40000);
	/* A length 0 must not come from a wrapped-around frame length. */
	patch16(&f, ip + 2, 0);
	assert_reason(decode_copy(DLT_EN10MB, f.b, f.n, 0, &p), SW_DROP_NONE);
	assert_int_equal(p.ip_bytes, 40);
}

static void test_ipv4_version_mismatch(void **state)
{
	struct frame f;
	struct sw_packet p;

	(void)state;
	memset(&f, 0, sizeof(f));
	eth(&f, 0x0800);
	build_v6_udp(&f);
	assert_reason(decode(DLT_EN10MB, &f, &p), SW_DROP_BAD_IP_VERSION);

	memset(&f, 0, sizeof(f));
	eth(&f, 0x86dd);
	build_v4_udp(&f);
	assert_reason(decode(DLT_EN10MB, &f, &p), SW_DROP_BAD_IP_VERSION);

	memset(&f, 0, sizeof(f));
	sll(&f, 1, 0x0800);
	build_v6_udp(&f);
	assert_reason(decode(DLT_LINUX_SLL, &f, &p), SW_DROP_BAD_IP_VERSION);

	memset(&f, 0, sizeof(f));
	eth(&f, 0x8864);
	put_zeros(&f, 6);
	put16(&f, 0x0021);
	build_v6_udp(&f);
	assert_reason(decode(DLT_EN10MB, &f, &p), SW_DROP_BAD_IP_VERSION);
}

static void test_ipv4_fragment_with_tcp(void **state)
{
	struct frame f = {.n = 0};
	struct sw_packet p;
	uint32_t ip;

	(void)state;
	/* DF alone is not a fragment. */
	eth(&f, 0x0800);
	ip = ip4(&f, 5, 6, "10.0.0.1", "10.0.0.2");
	ip4_set_frag(&f, ip, 0x4000);
	tcp(&f, 1, 2, SW_TCP_SYN, 0);
	ip4_end(&f, ip);
	assert_reason(decode(DLT_EN10MB, &f, &p), SW_DROP_NONE);
	assert_int_equal(p.frag, SW_FRAG_NONE);
	assert_int_equal(p.frag_id, 0);

	/* A later fragment whose bytes look like garbage TCP: not parsed. */
	ip4_set_frag(&f, ip, 0x2001);
	f.b[ip + 20 + 12] = 0x10; /* data offset 1 */
	assert_reason(decode(DLT_EN10MB, &f, &p), SW_DROP_NONE);
	assert_int_equal(p.frag, SW_FRAG_LATER);
	assert_int_equal(p.frag_id, 0x1234);
	assert_int_equal(p.sport, 0);
	assert_int_equal(p.tcp_flags, 0);
	assert_int_equal(p.proto, 6);
}

/* ---- IPv6 -------------------------------------------------------------- */

static void build_dstopts_chain(struct frame *f, unsigned n)
{
	uint32_t ip;
	unsigned i;

	ip = ip6(f, 60, "2001:db8::1", "2001:db8::2");
	for (i = 0; i < n; i++)
		ext6(f, i + 1 < n ? 60 : 17, 0);
	udp(f, 1, 2, 0);
	ip6_end(f, ip);
}

static void test_ipv6_chain_bound(void **state)
{
	struct frame f;
	struct sw_packet p;

	(void)state;
	memset(&f, 0, sizeof(f));
	build_dstopts_chain(&f, 16);
	assert_reason(decode(DLT_RAW, &f, &p), SW_DROP_NONE);
	assert_int_equal(p.proto, 17);
	assert_int_equal(p.dport, 2);

	memset(&f, 0, sizeof(f));
	build_dstopts_chain(&f, 17);
	assert_reason(decode(DLT_RAW, &f, &p), SW_DROP_IPV6_EXT_CHAIN_TOO_LONG);

	memset(&f, 0, sizeof(f));
	build_dstopts_chain(&f, 100);
	assert_reason(decode(DLT_RAW, &f, &p), SW_DROP_IPV6_EXT_CHAIN_TOO_LONG);
}

static void test_ipv6_ext_truncated(void **state)
{
	struct frame f = {.n = 0};
	struct sw_packet p;
	uint32_t ip;

	(void)state;
	/* A destination-options length beyond the payload length. */
	ip = ip6(&f, 60, "2001:db8::1", "2001:db8::2");
	put8(&f, 17);
	put8(&f, 255);
	put_zeros(&f, 30);
	ip6_end(&f, ip);
	assert_reason(decode(DLT_RAW, &f, &p), SW_DROP_IPV6_EXT_TRUNCATED);

	/* The payload length ends inside a header even though the frame has
	 * more (padding). */
	memset(&f, 0, sizeof(f));
	ip = ip6(&f, 0, "2001:db8::1", "2001:db8::2");
	ext6(&f, 17, 1);
	udp(&f, 1, 2, 0);
	patch16(&f, ip + 4, 8);
	assert_reason(decode(DLT_RAW, &f, &p), SW_DROP_IPV6_EXT_TRUNCATED);
}

static void test_ipv6_lengths(void **state)
{
	struct frame f = {.n = 0};
	struct sw_packet p;
	uint32_t ip;

	(void)state;
	eth(&f, 0x86dd);
	ip = ip6(&f, 6, "2001:db8::1", "2001:db8::2");
	tcp(&f, 5201, 40000, SW_TCP_ACK, 0);
	ip6_end(&f, ip);

	patch16(&f, ip + 4, 21);
	assert_reason(decode(DLT_EN10MB, &f, &p), SW_DROP_BAD_IP_LENGTH);
	assert_reason(decode_copy(DLT_EN10MB, f.b, f.n, f.n + 1, &p),
	              SW_DROP_NONE);
	assert_int_equal(p.ip_bytes, 61);

	/* Jumbogram / BIG TCP: the length comes from the frame. */
	patch16(&f, ip + 4, 0);
	assert_reason(decode_copy(DLT_EN10MB, f.b, f.n, 14 + 40 + 100000, &p),
	              SW_DROP_NONE);
	assert_int_equal(p.ip_bytes, 40 + 100000);
	assert_int_equal(p.dport, 40000);
	assert_reason(decode(DLT_EN10MB, &f, &p), SW_DROP_NONE);
	assert_int_equal(p.ip_bytes, 60);
	/* A 0 that leaves no room for the TCP header the packet announces. */
	assert_reason(decode_copy(DLT_EN10MB, f.b, 14 + 40 + 10, 14 + 40 + 10,
	                          &p),
	              SW_DROP_TCP_HEADER_TRUNCATED);
}

/* An IPv6 header with raw 16-byte addresses (put_addr writes 4 for a
 * mapped one). */
static uint32_t ip6_raw(struct frame *f, unsigned nh, const uint8_t src[16],
                        const uint8_t dst[16])
{
	uint32_t off = f->n;

	put32(f, 0x60000000);
	put16(f, 0);
	put8(f, nh);
	put8(f, 64);
	put_bytes(f, src, 16);
	put_bytes(f, dst, 16);
	return off;
}

/* IPv4-mapped addresses (::ffff:0:0/96) on the wire would pass for the
 * IPv4 host: the packet is dropped and counted, as source or destination;
 * ::ffff:0:0:0/96 (IPv4-translated) and 64:ff9b::/96 are ordinary IPv6. */
static void test_ipv6_mapped_address(void **state)
{
	static const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1};
	static const uint8_t translated[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0,
	                                       10, 0, 0, 1};
	static const uint8_t nat64[16] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0,
	                                  10, 0, 0, 1};
	static const uint8_t plain[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
	const uint8_t *const other[] = {translated, nat64, plain};
	struct frame f;
	struct sw_packet p;
	uint32_t ip;

	(void)state;
	for (int dir = 0; dir < 2; dir++) {
		memset(&f, 0, sizeof(f));
		ip = ip6_raw(&f, 17, dir ? plain : mapped, dir ? mapped : plain);
		udp(&f, 5353, 53, 0);
		ip6_end(&f, ip);
		assert_reason(decode(DLT_IPV6, &f, &p), SW_DROP_IPV6_MAPPED_ADDRESS);
	}
	for (size_t i = 0; i < SW_ARRAY_SIZE(other); i++) {
		memset(&f, 0, sizeof(f));
		ip = ip6_raw(&f, 17, other[i], plain);
		udp(&f, 5353, 53, 0);
		ip6_end(&f, ip);
		assert_reason(decode(DLT_IPV6, &f, &p), SW_DROP_NONE);
		assert_false(sw_addr_is_v4(&p.src));
		assert_int_equal(p.ip_version, 6);
	}
	assert_string_equal(sw_drop_reason_name(SW_DROP_IPV6_MAPPED_ADDRESS),
	                    "ipv6_mapped_address");
}

/* ---- transport ----------------------------------------------------------- */

static void test_tcp_offset(void **state)
{
	struct frame f;
	struct sw_packet p;
	unsigned doff;
	uint32_t ip, th;

	(void)state;
	memset(&f, 0, sizeof(f));
	eth(&f, 0x0800);
	ip = ip4(&f, 5, 6, "10.0.0.1", "10.0.0.2");
	th = f.n;
	tcp(&f, 1, 2, SW_TCP_SYN, 2); /* 28 bytes */
	ip4_end(&f, ip);

	for (doff = 0; doff < 5; doff++) {
		f.b[th + 12] = (uint8_t)(doff << 4);
		assert_reason(decode(DLT_EN10MB, &f, &p), SW_DROP_BAD_TCP_OFFSET);
	}
	f.b[th + 12] = 7 << 4; /* exactly the segment */
	assert_reason(decode(DLT_EN10MB, &f, &p), SW_DROP_NONE);
	f.b[th + 12] = 8 << 4; /* 4 bytes beyond the IP payload */
	assert_reason(decode(DLT_EN10MB, &f, &p), SW_DROP_BAD_TCP_OFFSET);
	f.b[th + 12] = 15 << 4;
	assert_reason(decode(DLT_EN10MB, &f, &p), SW_DROP_BAD_TCP_OFFSET);

	/* A snap length that cuts the options is fine: only the fixed 20
	 * bytes are needed, the declared length is checked. */
	f.b[th + 12] = 7 << 4;
	assert_reason(decode_copy(DLT_EN10MB, f.b, th + 20, f.n, &p),
	              SW_DROP_NONE);
	assert_int_equal(p.tcp_flags, SW_TCP_SYN);
	f.b[th + 12] = 8 << 4;
	assert_reason(decode_copy(DLT_EN10MB, f.b, th + 20, f.n, &p),
	              SW_DROP_BAD_TCP_OFFSET);
}

static void test_tcp_flags(void **state)
{
	struct frame f;
	struct sw_packet p;
	unsigned flags;
	uint32_t ip;

	(void)state;
	for (flags = 0; flags < 256; flags += 17) {
		memset(&f, 0, sizeof(f));
		ip = ip4(&f, 5, 6, "10.0.0.1", "10.0.0.2");
		tcp(&f, 1, 2, flags, 0);
		ip4_end(&f, ip);
		assert_reason(decode(DLT_RAW, &f, &p), SW_DROP_NONE);
		assert_int_equal(p.tcp_flags, flags);
	}
}

static void test_other_protocols(void **state)
{
	static const unsigned protos[] = {47, 50, 89, 103, 112, 255};
	struct frame f;
	struct sw_packet p;
	size_t i;
	uint32_t ip;

	(void)state;
	for (i = 0; i < SW_ARRAY_SIZE(protos); i++) {
		memset(&f, 0, sizeof(f));
		ip = ip4(&f, 5, protos[i], "10.0.0.1", "10.0.0.2");
		put32(&f, 0xffffffff); /* would be ports if it were TCP */
		ip4_end(&f, ip);
		assert_reason(decode(DLT_RAW, &f, &p), SW_DROP_NONE);
		assert_int_equal(p.proto, protos[i]);
		assert_int_equal(p.sport, 0);
		assert_int_equal(p.dport, 0);
	}
}

/* ---- ICMP errors ---------------------------------------------------------- */

/* An ICMPv4 error of the given type quoting a TCP SYN from 10.0.0.1;
 * quote_l4 bytes of its TCP header are kept. */
static void build_icmp4_error(struct frame *f, unsigned type,
                              unsigned quote_l4)
{
	uint32_t ip, quoted;

	ip = ip4(f, 5, 1, "10.0.0.254", "10.0.0.1");
	icmp(f, type, 0, 0);
	quoted = ip4(f, 6, 6, "10.0.0.1", "10.9.0.1");
	patch16(f, quoted + 2, 24 + 20);
	tcp(f, 40000, 80, SW_TCP_SYN, 0);
	f->n -= 20 - quote_l4;
	ip4_end(f, ip);
}

static void test_icmp4_error_types(void **state)
{
	static const struct {
		unsigned type;
		bool error;
	} types[] = {{0, false}, {3, true}, {4, true}, {5, true}, {8, false},
	             {11, true}, {12, true}, {13, false}, {14, false}};
	struct frame f;
	struct sw_packet p;
	size_t i;

	(void)state;
	for (i = 0; i < SW_ARRAY_SIZE(types); i++) {
		memset(&f, 0, sizeof(f));
		build_icmp4_error(&f, types[i].type, 8);
		assert_reason(decode(DLT_RAW, &f, &p), SW_DROP_NONE);
		assert_int_equal(p.sport, types[i].type);
		assert_int_equal(p.icmp_error, types[i].error);
		if (!types[i].error)
			continue;
		assert_addr(&p.quoted.src, "10.0.0.1");
		assert_addr(&p.quoted.dst, "10.9.0.1");
		assert_int_equal(p.quoted.sport, 40000);
		assert_int_equal(p.quoted.dport, 80);
		assert_int_equal(p.quoted.proto, 6);
	}
}

static void test_icmp_quote_too_short(void **state)
{
	struct frame f;
	struct sw_packet p;
	uint32_t ip, quoted;

	(void)state;
	/* Only 2 bytes of the quoted TCP header (options kept the IHL at 6). */
	memset(&f, 0, sizeof(f));
	build_icmp4_error(&f, 3, 2);
	assert_reason(decode(DLT_RAW, &f, &p), SW_DROP_NONE);
	assert_int_equal(p.sport, 3);
	assert_false(p.icmp_error);

	/* The quoted IHL says 6 but only 20 header bytes are there. */
	memset(&f, 0, sizeof(f));
	ip = ip4(&f, 5, 1, "10.0.0.254", "10.0.0.1");
	icmp(&f, 11, 0, 0);
	quoted = ip4(&f, 5, 17, "10.0.0.1", "10.9.0.1");
	f.b[quoted] = 0x46;
	ip4_end(&f, ip);
	assert_reason(decode(DLT_RAW, &f, &p), SW_DROP_NONE);
	assert_false(p.icmp_error);

	/* A quoted IHL below 5. */
	f.b[quoted] = 0x44;
	assert_reason(decode(DLT_RAW, &f, &p), SW_DROP_NONE);
	assert_false(p.icmp_error);

	/* Neither IPv4 nor IPv6. */
	f.b[quoted] = 0x25;
	assert_reason(decode(DLT_RAW, &f, &p), SW_DROP_NONE);
	assert_false(p.icmp_error);

	/* A quoted later fragment has no ports to match. */
	memset(&f, 0, sizeof(f));
	ip = ip4(&f, 5, 1, "10.0.0.254", "10.0.0.1");
	icmp(&f, 11, 1, 0);
	quoted = ip4(&f, 5, 17, "10.0.0.1", "10.9.0.1");
	ip4_set_frag(&f, quoted, 100);
	put_zeros(&f, 8);
	ip4_end(&f, ip);
	assert_reason(decode(DLT_RAW, &f, &p), SW_DROP_NONE);
	assert_false(p.icmp_error);
}

static void test_icmp_quote_protocol_only(void **state)
{
	struct frame f = {.n = 0};
	struct sw_packet p;
	uint32_t ip;

	(void)state;
	/* GRE has no ports: addresses are enough. */
	ip = ip4(&f, 5, 1, "10.0.0.254", "10.0.0.1");
	icmp(&f, 3, 2, 0); /* protocol unreachable */
	ip4(&f, 5, 47, "10.0.0.1", "10.9.0.1");
	ip4_end(&f, ip);
	assert_reason(decode(DLT_RAW, &f, &p), SW_DROP_NONE);
	assert_true(p.icmp_error);
	assert_int_equal(p.quoted.proto, 47);
	assert_int_equal(p.quoted.sport, 0);
	assert_int_equal(p.quoted.dport, 0);
	assert_addr(&p.quoted.dst, "10.9.0.1");
}

/* An error quoting an error: the inner one is read for type and code
 * only, never searched for another quote. */
static void test_icmp_quote_no_recursion(void **state)
{
	struct frame f = {.n = 0};
	struct sw_packet p;
	uint32_t ip, q1, q2;

	(void)state;
	ip = ip4(&f, 5, 1, "10.0.0.254", "10.0.0.1");
	icmp(&f, 3, 1, 0);
	q1 = ip4(&f, 5, 1, "10.0.0.1", "10.0.0.77");
	icmp(&f, 11, 0, 0);
	q2 = ip4(&f, 5, 17, "10.0.0.77", "10.0.0.88");
	udp(&f, 9, 9, 0);
	ip4_end(&f, q2);
	ip4_end(&f, q1);
	ip4_end(&f, ip);
	assert_reason(decode(DLT_RAW, &f, &p), SW_DROP_NONE);
	assert_true(p.icmp_error);
	assert_addr(&p.quoted.src, "10.0.0.1");
	assert_addr(&p.quoted.dst, "10.0.0.77");
	assert_int_equal(p.quoted.proto, 1);
	assert_int_equal(p.quoted.sport, 11);
	assert_int_equal(p.quoted.dport, 0);
}

static void test_icmp6_error_types(void **state)
{
	static const struct {
		unsigned type;
		bool error;
	} types[] = {{1, true}, {2, true}, {3, true}, {4, true}, {128, false},
	             {129, false}, {135, false}, {0, false}};
	struct frame f;
	struct sw_packet p;
	size_t i;
	uint32_t ip, quoted;

	(void)state;
	for (i = 0; i < SW_ARRAY_SIZE(types); i++) {
		memset(&f, 0, sizeof(f));
		ip = ip6(&f, 58, "fd00::fe", "fd00::1");
		icmp(&f, types[i].type, 0, 1280);
		quoted = ip6(&f, 44, "fd00::1", "fd00::99");
		frag6(&f, 17, 0, true, 99); /* a first fragment: ports are there */
		udp(&f, 443, 61000, 0);
		ip6_end(&f, quoted);
		ip6_end(&f, ip);
		assert_reason(decode(DLT_IPV6, &f, &p), SW_DROP_NONE);
		assert_int_equal(p.sport, types[i].type);
		assert_int_equal(p.icmp_error, types[i].error);
		if (!types[i].error)
			continue;
		assert_addr(&p.quoted.src, "fd00::1");
		assert_addr(&p.quoted.dst, "fd00::99");
		assert_int_equal(p.quoted.sport, 443);
		assert_int_equal(p.quoted.dport, 61000);
		assert_int_equal(p.quoted.proto, 17);
	}
}

/* The quote of a later fragment has no transport header to match. */
static void test_icmp6_quote_later_fragment(void **state)
{
	struct frame f = {.n = 0};
	struct sw_packet p;
	uint32_t ip, quoted;

	(void)state;
	ip = ip6(&f, 58, "fd00::fe", "fd00::1");
	icmp(&f, 3, 1, 0); /* fragment reassembly time exceeded */
	quoted = ip6(&f, 0, "fd00::1", "fd00::99");
	ext6(&f, 44, 0);
	frag6(&f, 17, 1232, true, 99);
	put_zeros(&f, 16);
	ip6_end(&f, quoted);
	ip6_end(&f, ip);
	assert_reason(decode(DLT_IPV6, &f, &p), SW_DROP_NONE);
	assert_int_equal(p.sport, 3);
	assert_int_equal(p.dport, 1);
	assert_false(p.icmp_error);

	/* The same quote as a first fragment does decode. */
	patch16(&f, quoted + 40 + 8 + 2, 1);
	assert_reason(decode(DLT_IPV6, &f, &p), SW_DROP_NONE);
	assert_true(p.icmp_error);
	assert_int_equal(p.quoted.proto, 17);
	assert_addr(&p.quoted.src, "fd00::1");
}

/* ---- names ------------------------------------------------------------------ */

static void test_drop_reason_names(void **state)
{
	unsigned i, j;
	const char *s;

	(void)state;
	for (i = 0; i < SW_DROP_REASON_COUNT; i++) {
		s = sw_drop_reason_name((enum sw_drop_reason)i);
		assert_non_null(s);
		assert_true(s[0] != '\0');
		assert_string_not_equal(s, "unknown");
		for (j = 0; s[j] != '\0'; j++)
			assert_true((s[j] >= 'a' && s[j] <= 'z') || s[j] == '_' ||
			            (s[j] >= '0' && s[j] <= '9'));
		for (j = 0; j < i; j++)
			assert_string_not_equal(
			        s, sw_drop_reason_name((enum sw_drop_reason)j));
	}
	assert_string_equal(sw_drop_reason_name(SW_DROP_IP_HEADER_TRUNCATED),
	                    "ip_header_truncated");
	assert_string_equal(sw_drop_reason_name(SW_DROP_BAD_IP_LENGTH),
	                    "bad_ip_length");
	assert_string_equal(sw_drop_reason_name(SW_DROP_NON_IP), "non_ip");
	assert_string_equal(sw_drop_reason_name(SW_DROP_REASON_COUNT), "unknown");
	assert_string_equal(sw_drop_reason_name((enum sw_drop_reason)-1),
	                    "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_frames),
		cmocka_unit_test(test_every_cut),
		cmocka_unit_test(test_raw_link_types),
		cmocka_unit_test(test_null_loop_families),
		cmocka_unit_test(test_non_ip),
		cmocka_unit_test(test_vlan_depth),
		cmocka_unit_test(test_sll_vlan),
		cmocka_unit_test(test_nflog_variants),
		cmocka_unit_test(test_unknown_link_type),
		cmocka_unit_test(test_empty_frame),
		cmocka_unit_test(test_ipv4_bad_ihl),
		cmocka_unit_test(test_ipv4_total_length),
		cmocka_unit_test(test_ipv4_big_tcp),
		cmocka_unit_test(test_wirelen_below_caplen),
		cmocka_unit_test(test_ipv4_version_mismatch),
		cmocka_unit_test(test_ipv4_fragment_with_tcp),
		cmocka_unit_test(test_ipv6_chain_bound),
		cmocka_unit_test(test_ipv6_ext_truncated),
		cmocka_unit_test(test_ipv6_lengths),
		cmocka_unit_test(test_ipv6_mapped_address),
		cmocka_unit_test(test_tcp_offset),
		cmocka_unit_test(test_tcp_flags),
		cmocka_unit_test(test_other_protocols),
		cmocka_unit_test(test_icmp4_error_types),
		cmocka_unit_test(test_icmp_quote_too_short),
		cmocka_unit_test(test_icmp_quote_protocol_only),
		cmocka_unit_test(test_icmp_quote_no_recursion),
		cmocka_unit_test(test_icmp6_error_types),
		cmocka_unit_test(test_icmp6_quote_later_fragment),
		cmocka_unit_test(test_drop_reason_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
