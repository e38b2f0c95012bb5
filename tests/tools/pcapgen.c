/*
 * pcapgen.c - segwatch's capture generator: writes a capture file with
 * known conversations, and a truth file (JSON Lines, one object per
 * conversation) that says exactly what a flow meter must report.
 *
 * The capture is written byte by byte (no libpcap), so every variant can
 * be produced: classic pcap in both byte orders with micro- or nanosecond
 * timestamps, pcapng (optionally with blocks a reader must skip), and the
 * link types Ethernet (with 802.1Q / QinQ tags), Linux cooked SLL and
 * SLL2, raw IP, BSD NULL and LOOP.  Output is streamed: only the flows
 * active at one time (--concurrent) are held in memory, so millions of
 * packets take seconds and bounded memory.  Everything is deterministic
 * from --seed.  The addresses are private (10/8, fd00::/8): they are only
 * bytes in a file, nothing is ever sent.
 *
 * Run `pcapgen --help` for the options; tests/integration/README.md
 * describes the truth file's fields.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segwatch/error.h"
#include "segwatch/textparse.h"

/* 2026-11-25T12:00:00Z, the default time of the first packet. */
#define DEFAULT_START_S UINT64_C(1795608000)
#define NS_PER_S UINT64_C(1000000000)
#define NS_PER_MS UINT64_C(1000000)
#define NS_PER_US UINT64_C(1000)

#define LINKTYPE_NULL 0
#define LINKTYPE_ETHERNET 1
#define LINKTYPE_RAW 101
#define LINKTYPE_LOOP 108
#define LINKTYPE_LINUX_SLL 113
#define LINKTYPE_LINUX_SLL2 276

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8
#define ETH_MIN_FRAME 60 /* without the FCS, which captures do not hold */

#define BSD_AF_INET 2

#define IPPROTO_NUM_ICMP 1
#define IPPROTO_NUM_TCP 6
#define IPPROTO_NUM_UDP 17
#define IPPROTO_NUM_ICMPV6 58
#define IPV6_NH_HOPOPTS 0
#define IPV6_NH_DSTOPTS 60

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10

#define MTU 1500
#define MAX_FRAME 2048
#define MAX_DATAGRAM 65535
#define PATTERN_LEN 65536
#define MAX_PAYLOAD 1400        /* below every MSS we use, with options */
#define ICMP_ECHO_DATA 56       /* what ping sends by default */
#define FRAG_MIN_PAYLOAD 1600   /* a fragmented datagram's UDP payload */
#define FRAG_MAX_PAYLOAD 4000
#define SNAPLEN_DEFAULT 262144
#define N_CLIENTS 1000          /* client hosts, each with its own ports */
#define N_SERVERS 40
#define PORT_BASE 32768         /* Linux's ephemeral ports, 32768..60999 */
#define PORT_SPAN 28232u
#define PORT_STRIDE 7919u       /* prime, coprime with PORT_SPAN */
#define MAX_FLOWS 8000000       /* unique ports per client; ICMP addresses */

#define PCAPNG_SHB 0x0A0D0D0Au
#define PCAPNG_IDB 0x00000001u
#define PCAPNG_EPB 0x00000006u
#define PCAPNG_CUSTOM 0x00000BADu    /* custom block, copyable */
#define PCAPNG_LOCAL 0x80000ABCu     /* "reserved for local use": skip */
#define PCAPNG_BOM 0x1A2B3C4Du
#define PEN_EXAMPLE 32473u           /* RFC 5612's example enterprise */

enum link { L_ETHERNET, L_SLL, L_SLL2, L_RAW, L_NULL, L_LOOP };
enum kind { K_TCP_CLOSED, K_TCP_RESET, K_TCP_REJECTED, K_TCP_ATTEMPT, K_UDP, K_ICMP };
enum dir { D_CLI = 0, D_SRV = 1 };

struct link_info {
	const char *name;
	enum link link;
	uint32_t linktype;
};

static const struct link_info links[] = {
	{"ethernet", L_ETHERNET, LINKTYPE_ETHERNET},
	{"sll", L_SLL, LINKTYPE_LINUX_SLL},
	{"sll2", L_SLL2, LINKTYPE_LINUX_SLL2},
	{"raw", L_RAW, LINKTYPE_RAW},
	{"null", L_NULL, LINKTYPE_NULL},
	{"loop", L_LOOP, LINKTYPE_LOOP},
};

/* BSD's AF_INET6 differs per system; readers must accept all three. */
static const uint32_t bsd_af_inet6[] = {24, 28, 30};

struct config {
	const char *out_path;
	const char *truth_path;
	uint64_t seed;
	bool pcapng;
	bool big_endian;
	bool nanosecond;
	bool unknown_blocks;
	const struct link_info *link;
	uint16_t vlan, vlan_inner;   /* 0 = none */
	uint64_t flows, packets, concurrent;
	unsigned mix_tcp, mix_udp, mix_icmp;
	unsigned ipv6_pct, frag_pct, ip_opt_pct, ipv6_ext_pct;
	unsigned rst_pct, rejected_pct, attempt_pct;
	uint64_t idle_gap_s;
	unsigned idle_gap_pct;
	uint64_t snaplen;
	uint64_t payload_max;
	uint64_t start_s;
};

/* xoshiro256** seeded through splitmix64. */
struct rng {
	uint64_t s[4];
};

/* Per direction. bytes: IP layer; frame_bytes: link layer as captured on
 * the wire (orig_len), with Ethernet padding; frags: IP fragments;
 * frag_dgrams: datagrams sent as fragments; frag_nonlast_frame_bytes:
 * frame bytes of the fragments before each datagram's last one. */
struct counters {
	uint64_t pkts, bytes, frame_bytes;
	uint64_t frags, frag_dgrams, frag_nonlast_frame_bytes;
};

struct flow {
	uint64_t next_ts;
	uint64_t idx;
	enum kind kind;
	int phase;
	bool v6, fragmenting, ip_opts, v6_ext;
	enum dir closer;                /* who sends the first FIN or the RST */
	uint8_t cli[16], srv[16];       /* IPv4 in the first 4 bytes */
	uint8_t cli_mac[6], srv_mac[6];
	uint16_t cport, sport;
	uint32_t af6;
	uint32_t flow_label;
	uint32_t cseq, sseq;            /* next sequence number per side */
	uint16_t ipid[2];
	struct rng rng;                 /* the flow's own: same flow whatever the format */
	uint64_t rtt_ns;
	uint32_t left;                  /* data packets / datagrams / messages */
	uint32_t resp_left;
	uint32_t syn_left;
	uint32_t done_dg;               /* datagrams or messages sent */
	uint32_t gap_after;             /* idle gap after this many; 0 = none */
	uint16_t icmp_id, icmp_seq;
	/* the datagram being sent as fragments */
	bool in_dg;
	enum dir dg_dir;
	uint32_t dg_len, dg_off, dg_pat;
	uint16_t dg_id;
	uint64_t dg_delay;              /* from its last fragment to what follows */
	/* truth */
	unsigned segment;
	uint64_t first_ts, last_ts;
	struct counters c[2];
};

struct heap {
	struct flow **v;
	size_t n;
};

struct gen {
	const struct config *cfg;
	struct rng rng;
	FILE *out, *truth;
	uint8_t *pattern;               /* PATTERN_LEN + MAX_DATAGRAM bytes */
	uint8_t frame[MAX_FRAME];
	uint8_t *dgram;                 /* MAX_DATAGRAM bytes */
	struct flow *pool;
	struct flow **free_list;
	size_t n_free;
	struct heap heap;
	uint64_t res_ns;                /* timestamp resolution */
	uint64_t last_ts;
	uint64_t next_start;
	uint64_t started, pkts_left, packets_written;
	uint64_t n_v4, n_v6;            /* client addressing per family */
	uint64_t n_icmp4, n_icmp6;
};

/* One packet of a flow, before it becomes bytes. */
struct pkt {
	enum dir dir;
	uint8_t proto;
	uint8_t tcp_flags;
	uint32_t seq, ack;
	uint32_t payload;               /* L4 payload length */
	uint32_t pat;                   /* offset of the payload in the pattern */
	uint8_t icmp_type;
	uint16_t icmp_seq;
};

/* ---------------------------------------------------------------- rng */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
	for (size_t i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* Uniform in [lo, hi] (inclusive); the modulo bias is negligible here. */
static uint64_t rng_range(struct rng *r, uint64_t lo, uint64_t hi)
{
	if (hi <= lo)
		return lo;
	return lo + (rng_next(r) >> 8) % (hi - lo + 1);
}

static bool rng_pct(struct rng *r, unsigned pct)
{
	return rng_range(r, 0, 99) < pct;
}

/* ------------------------------------------------------ byte helpers */

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16(p + 2, (uint16_t)(v >> 16));
}

/* In the capture file's byte order. */
static void put_f16(const struct config *cfg, uint8_t *p, uint16_t v)
{
	if (cfg->big_endian)
		put_be16(p, v);
	else
		put_le16(p, v);
}

static void put_f32(const struct config *cfg, uint8_t *p, uint32_t v)
{
	if (cfg->big_endian)
		put_be32(p, v);
	else
		put_le32(p, v);
}

/* Internet checksum: the running 32-bit sum of 16-bit big-endian words. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (i < len)
		sum += (uint32_t)p[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* ------------------------------------------------------------ output */

static bool write_bytes(struct gen *g, const void *p, size_t len)
{
	return fwrite(p, 1, len, g->out) == len;
}

static bool write_pcap_header(struct gen *g)
{
	const struct config *cfg = g->cfg;
	uint8_t h[24];

	put_f32(cfg, h, cfg->nanosecond ? 0xa1b23c4du : 0xa1b2c3d4u);
	put_f16(cfg, h + 4, 2);
	put_f16(cfg, h + 6, 4);
	put_f32(cfg, h + 8, 0);          /* thiszone */
	put_f32(cfg, h + 12, 0);         /* sigfigs */
	put_f32(cfg, h + 16, (uint32_t)cfg->snaplen);
	put_f32(cfg, h + 20, cfg->link->linktype);
	return write_bytes(g, h, sizeof(h));
}

/* Writes a pcapng block: type, total length, body (already in file byte
 * order, padded to 4 bytes by the caller), total length again. */
static bool write_block(struct gen *g, uint32_t type, const uint8_t *body,
                        size_t len)
{
	uint8_t h[8], t[4];
	uint32_t total = (uint32_t)(len + 12);

	put_f32(g->cfg, h, type);
	put_f32(g->cfg, h + 4, total);
	put_f32(g->cfg, t, total);
	return write_bytes(g, h, 8) && write_bytes(g, body, len) &&
	       write_bytes(g, t, 4);
}

static size_t put_option(const struct config *cfg, uint8_t *p, uint16_t code,
                         const void *val, uint16_t len)
{
	size_t padded = ((size_t)len + 3) & ~(size_t)3;

	put_f16(cfg, p, code);
	put_f16(cfg, p + 2, len);
	memset(p + 4, 0, padded);
	memcpy(p + 4, val, len);
	return 4 + padded;
}

static bool write_pcapng_header(struct gen *g)
{
	static const char app[] = "segwatch-pcapgen";
	const struct config *cfg = g->cfg;
	uint8_t b[64];
	size_t n = 0;
	uint8_t tsresol = 9;

	put_f32(cfg, b, PCAPNG_BOM);
	put_f16(cfg, b + 4, 1);
	put_f16(cfg, b + 6, 0);
	memset(b + 8, 0xff, 8);          /* section length: unknown */
	n = 16;
	n += put_option(cfg, b + n, 4, app, sizeof(app) - 1); /* shb_userappl */
	n += put_option(cfg, b + n, 0, "", 0);
	if (!write_block(g, PCAPNG_SHB, b, n))
		return false;

	put_f16(cfg, b, (uint16_t)cfg->link->linktype);
	put_f16(cfg, b + 2, 0);
	put_f32(cfg, b + 4, (uint32_t)cfg->snaplen);
	n = 8;
	if (cfg->nanosecond) {
		n += put_option(cfg, b + n, 9, &tsresol, 1); /* if_tsresol */
		n += put_option(cfg, b + n, 0, "", 0);
	}
	return write_block(g, PCAPNG_IDB, b, n);
}

/* Blocks a reader does not know and must skip: a custom block and a
 * block type reserved for local use. */
static bool write_unknown_blocks(struct gen *g)
{
	static const char note[] = "pcapgen: skip me";
	uint8_t b[4 + sizeof(note) + 3];
	size_t n = (4 + sizeof(note) - 1 + 3) & ~(size_t)3;

	memset(b, 0, sizeof(b));
	put_f32(g->cfg, b, PEN_EXAMPLE);
	memcpy(b + 4, note, sizeof(note) - 1);
	if (!write_block(g, PCAPNG_CUSTOM, b, n))
		return false;
	memset(b, 0xa5, sizeof(b));
	return write_block(g, PCAPNG_LOCAL, b, 16);
}

static bool write_record(struct gen *g, uint64_t ts, const uint8_t *data,
                         uint32_t len)
{
	const struct config *cfg = g->cfg;
	uint32_t cap = len < cfg->snaplen ? len : (uint32_t)cfg->snaplen;
	uint64_t units = ts / g->res_ns;
	uint8_t h[28], t[4];
	static const uint8_t zero[4];

	if (!cfg->pcapng) {
		uint64_t per_s = NS_PER_S / g->res_ns;
		put_f32(cfg, h, (uint32_t)(units / per_s));
		put_f32(cfg, h + 4, (uint32_t)(units % per_s));
		put_f32(cfg, h + 8, cap);
		put_f32(cfg, h + 12, len);
		return write_bytes(g, h, 16) && write_bytes(g, data, cap);
	}
	uint32_t pad = (4 - cap % 4) % 4;
	uint32_t total = 32 + cap + pad;
	put_f32(cfg, h, PCAPNG_EPB);
	put_f32(cfg, h + 4, total);
	put_f32(cfg, h + 8, 0);          /* interface id */
	put_f32(cfg, h + 12, (uint32_t)(units >> 32));
	put_f32(cfg, h + 16, (uint32_t)units);
	put_f32(cfg, h + 20, cap);
	put_f32(cfg, h + 24, len);
	put_f32(cfg, t, total);
	return write_bytes(g, h, 28) && write_bytes(g, data, cap) &&
	       write_bytes(g, zero, pad) && write_bytes(g, t, 4);
}

/* ------------------------------------------------------ packet bytes */

static size_t link_header_len(const struct config *cfg)
{
	switch (cfg->link->link) {
	case L_ETHERNET:
		return 14 + (cfg->vlan ? 4 : 0) + (cfg->vlan_inner ? 4 : 0);
	case L_SLL:
		return 16;
	case L_SLL2:
		return 20;
	case L_NULL:
	case L_LOOP:
		return 4;
	case L_RAW:
		break;
	}
	return 0;
}

static void put_ethernet(const struct config *cfg, uint8_t *p, const uint8_t *dst,
                         const uint8_t *src, uint16_t ethertype)
{
	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	p += 12;
	if (cfg->vlan && cfg->vlan_inner) {
		put_be16(p, ETH_P_8021AD);
		put_be16(p + 2, cfg->vlan);
		put_be16(p + 4, ETH_P_8021Q);
		put_be16(p + 6, cfg->vlan_inner);
		p += 8;
	} else if (cfg->vlan) {
		put_be16(p, ETH_P_8021Q);
		put_be16(p + 2, cfg->vlan);
		p += 4;
	}
	put_be16(p, ethertype);
}

/* Writes the link header for a packet of flow f in direction d. */
static void put_link(const struct config *cfg, uint8_t *p, const struct flow *f,
                     enum dir d)
{
	const uint8_t *src = d == D_CLI ? f->cli_mac : f->srv_mac;
	const uint8_t *dst = d == D_CLI ? f->srv_mac : f->cli_mac;
	uint16_t et = f->v6 ? ETH_P_IPV6 : ETH_P_IP;
	uint32_t af = f->v6 ? f->af6 : BSD_AF_INET;

	switch (cfg->link->link) {
	case L_ETHERNET:
		put_ethernet(cfg, p, dst, src, et);
		break;
	case L_SLL:
		/* the capturing host is the client: its packets are outgoing */
		put_be16(p, d == D_CLI ? 4 : 0);
		put_be16(p + 2, 1);          /* ARPHRD_ETHER */
		put_be16(p + 4, 6);
		memcpy(p + 6, src, 6);
		memset(p + 12, 0, 2);
		put_be16(p + 14, et);
		break;
	case L_SLL2:
		put_be16(p, et);
		put_be16(p + 2, 0);
		put_be32(p + 4, 2);          /* interface index */
		put_be16(p + 8, 1);          /* ARPHRD_ETHER */
		p[10] = d == D_CLI ? 4 : 0;
		p[11] = 6;
		memcpy(p + 12, src, 6);
		memset(p + 18, 0, 2);
		break;
	case L_NULL:
		put_f32(cfg, p, af);         /* the writer's host byte order */
		break;
	case L_LOOP:
		put_be32(p, af);
		break;
	case L_RAW:
		break;
	}
}

/* IPv4 header (with a Router Alert option when f->ip_opts) at p.
 * frag is the 16-bit flags+offset field. Returns the header length. */
static size_t put_ipv4(uint8_t *p, const struct flow *f, enum dir d,
                       uint8_t proto, uint32_t l4_len, uint16_t id,
                       uint16_t frag)
{
	size_t hl = f->ip_opts ? 24 : 20;

	p[0] = (uint8_t)(0x40 | hl / 4);
	p[1] = 0;
	put_be16(p + 2, (uint16_t)(hl + l4_len));
	put_be16(p + 4, id);
	put_be16(p + 6, frag);
	p[8] = 64;
	p[9] = proto;
	put_be16(p + 10, 0);
	memcpy(p + 12, d == D_CLI ? f->cli : f->srv, 4);
	memcpy(p + 16, d == D_CLI ? f->srv : f->cli, 4);
	if (f->ip_opts) {
		p[20] = 0x94;                /* Router Alert, copied */
		p[21] = 4;
		p[22] = 0;
		p[23] = 0;
	}
	put_be16(p + 10, csum_fold(csum_add(0, p, hl)));
	return hl;
}

/* IPv6 header, plus Hop-by-Hop and Destination Options headers (PadN)
 * when f->v6_ext. Returns the length of the header chain. */
static size_t put_ipv6(uint8_t *p, const struct flow *f, enum dir d,
                       uint8_t proto, uint32_t l4_len)
{
	size_t ext = f->v6_ext ? 16 : 0;

	put_be32(p, 0x60000000u | (f->flow_label & 0xfffff));
	put_be16(p + 4, (uint16_t)(ext + l4_len));
	p[6] = f->v6_ext ? IPV6_NH_HOPOPTS : proto;
	p[7] = 64;
	memcpy(p + 8, d == D_CLI ? f->cli : f->srv, 16);
	memcpy(p + 24, d == D_CLI ? f->srv : f->cli, 16);
	if (f->v6_ext) {
		uint8_t *e = p + 40;
		memset(e, 0, 16);
		e[0] = IPV6_NH_DSTOPTS;
		e[2] = 1;                    /* PadN, 4 bytes */
		e[3] = 4;
		e[8] = proto;
		e[10] = 1;
		e[11] = 4;
	}
	return 40 + ext;
}

/* Sum of the pseudo-header for the L4 checksum. */
static uint32_t pseudo_sum(const struct flow *f, enum dir d, uint8_t proto,
                           uint32_t l4_len)
{
	const uint8_t *s = d == D_CLI ? f->cli : f->srv;
	const uint8_t *t = d == D_CLI ? f->srv : f->cli;
	size_t alen = f->v6 ? 16 : 4;
	uint32_t sum = csum_add(csum_add(0, s, alen), t, alen);

	return sum + proto + (l4_len & 0xffff) + (l4_len >> 16);
}

/* Builds the L4 message (header + payload) of p at l4; returns its length. */
static uint32_t put_l4(struct gen *g, uint8_t *l4, const struct flow *f,
                       const struct pkt *p)
{
	const uint8_t *pay = g->pattern + p->pat;
	uint32_t hl;

	switch (p->proto) {
	case IPPROTO_NUM_TCP: {
		bool syn = p->tcp_flags & TCP_SYN;
		hl = syn ? 32 : 20;
		put_be16(l4, p->dir == D_CLI ? f->cport : f->sport);
		put_be16(l4 + 2, p->dir == D_CLI ? f->sport : f->cport);
		put_be32(l4 + 4, p->seq);
		put_be32(l4 + 8, p->ack);
		l4[12] = (uint8_t)(hl / 4 << 4);
		l4[13] = p->tcp_flags;
		put_be16(l4 + 14, p->dir == D_CLI ? 64240 : 65160);
		put_be32(l4 + 16, 0);        /* checksum, urgent pointer */
		if (syn) {
			static const uint8_t opts[12] = {
				2, 4, 0x05, 0xb4,    /* MSS 1460 */
				1, 3, 3, 7,          /* NOP, window scale 7 */
				1, 1, 4, 2           /* NOP, NOP, SACK permitted */
			};
			memcpy(l4 + 20, opts, sizeof(opts));
			if (f->v6)
				put_be16(l4 + 22, 1440);
		}
		break;
	}
	case IPPROTO_NUM_UDP:
		hl = 8;
		put_be16(l4, p->dir == D_CLI ? f->cport : f->sport);
		put_be16(l4 + 2, p->dir == D_CLI ? f->sport : f->cport);
		put_be16(l4 + 4, (uint16_t)(8 + p->payload));
		put_be16(l4 + 6, 0);
		break;
	default:                         /* ICMP and ICMPv6 echo */
		hl = 8;
		l4[0] = p->icmp_type;
		l4[1] = 0;
		put_be16(l4 + 2, 0);
		put_be16(l4 + 4, f->icmp_id);
		put_be16(l4 + 6, p->icmp_seq);
		break;
	}
	memcpy(l4 + hl, pay, p->payload);
	uint32_t len = hl + p->payload;
	uint32_t sum = p->proto == IPPROTO_NUM_ICMP ? 0 :
		pseudo_sum(f, p->dir, p->proto, len);
	uint16_t ck = csum_fold(csum_add(sum, l4, len));
	size_t at = p->proto == IPPROTO_NUM_TCP ? 16 :
		p->proto == IPPROTO_NUM_UDP ? 6 : 2;
	if (ck == 0 && p->proto == IPPROTO_NUM_UDP)
		ck = 0xffff;
	put_be16(l4 + at, ck);
	return len;
}

/* ------------------------------------------------------------- truth */

static void fmt_addr(const struct flow *f, const uint8_t *a, char *buf, size_t len)
{
	if (inet_ntop(f->v6 ? AF_INET6 : AF_INET, a, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
}

static void fmt_vlan(uint16_t v, char *buf, size_t len)
{
	if (v)
		snprintf(buf, len, "%u", v);
	else
		snprintf(buf, len, "null");
}

static const char *kind_state(enum kind k)
{
	switch (k) {
	case K_TCP_CLOSED:
		return "\"closed\"";
	case K_TCP_RESET:
		return "\"reset\"";
	case K_TCP_REJECTED:
		return "\"rejected\"";
	case K_TCP_ATTEMPT:
		return "\"attempted\"";
	default:
		return "null";
	}
}

static uint8_t flow_proto(const struct flow *f)
{
	if (f->kind == K_UDP)
		return IPPROTO_NUM_UDP;
	if (f->kind == K_ICMP)
		return f->v6 ? IPPROTO_NUM_ICMPV6 : IPPROTO_NUM_ICMP;
	return IPPROTO_NUM_TCP;
}

static const char *proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_NUM_TCP:
		return "tcp";
	case IPPROTO_NUM_UDP:
		return "udp";
	case IPPROTO_NUM_ICMP:
		return "icmp";
	default:
		return "icmpv6";
	}
}

static void write_counters(FILE *o, const char *side, const struct counters *c)
{
	fprintf(o, ",\"%s_pkts\":%" PRIu64 ",\"%s_bytes\":%" PRIu64
	        ",\"%s_frame_bytes\":%" PRIu64 ",\"%s_frags\":%" PRIu64
	        ",\"%s_frag_dgrams\":%" PRIu64
	        ",\"%s_frag_nonlast_frame_bytes\":%" PRIu64,
	        side, c->pkts, side, c->bytes, side, c->frame_bytes, side,
	        c->frags, side, c->frag_dgrams, side, c->frag_nonlast_frame_bytes);
}

/* Writes one truth line for the flow's current segment. */
static void write_truth(struct gen *g, const struct flow *f)
{
	const struct config *cfg = g->cfg;
	char cli[INET6_ADDRSTRLEN], srv[INET6_ADDRSTRLEN], v1[8], v2[8];
	uint8_t proto = flow_proto(f);
	bool icmp = f->kind == K_ICMP;

	fmt_addr(f, f->cli, cli, sizeof(cli));
	fmt_addr(f, f->srv, srv, sizeof(srv));
	fmt_vlan(cfg->vlan, v1, sizeof(v1));
	fmt_vlan(cfg->vlan_inner, v2, sizeof(v2));
	fprintf(g->truth, "{\"flow\":%" PRIu64 ",\"segment\":%u,\"proto\":\"%s\","
	        "\"ip_proto\":%u,\"src_ip\":\"%s\",\"src_port\":%u,"
	        "\"dst_ip\":\"%s\",\"dst_port\":%u,\"vlan\":%s,\"vlan_inner\":%s",
	        f->idx, f->segment, proto_name(proto), proto, cli,
	        icmp ? (f->v6 ? 128u : 8u) : f->cport, srv,
	        icmp ? 0u : f->sport, v1, v2);
	write_counters(g->truth, "src", &f->c[D_CLI]);
	write_counters(g->truth, "dst", &f->c[D_SRV]);
	fprintf(g->truth, ",\"tcp_state\":%s,\"first_ts\":\"%" PRIu64 ".%09" PRIu64
	        "\",\"last_ts\":\"%" PRIu64 ".%09" PRIu64 "\"}\n",
	        kind_state(f->kind), f->first_ts / NS_PER_S, f->first_ts % NS_PER_S,
	        f->last_ts / NS_PER_S, f->last_ts % NS_PER_S);
}

/* ----------------------------------------------------------- packets */

/* Timestamp for the next packet: the flow's time, but never before or
 * equal to the previous packet's. */
static uint64_t take_ts(struct gen *g, const struct flow *f)
{
	uint64_t ts = f->next_ts - f->next_ts % g->res_ns;

	if (g->packets_written > 0 && ts <= g->last_ts)
		ts = g->last_ts + g->res_ns;
	g->last_ts = ts;
	return ts;
}

/* Frames the IP packet at ip (ip_len bytes) in the link header, pads
 * Ethernet, writes it and counts it. */
static bool emit_frame(struct gen *g, struct flow *f, enum dir d,
                       uint32_t ip_len, bool frag, bool first, bool last)
{
	const struct config *cfg = g->cfg;
	size_t lh = link_header_len(cfg);
	uint32_t len = (uint32_t)lh + ip_len;
	uint64_t ts = take_ts(g, f);
	struct counters *c = &f->c[d];

	put_link(cfg, g->frame, f, d);
	if (cfg->link->link == L_ETHERNET && len < ETH_MIN_FRAME) {
		memset(g->frame + len, 0, ETH_MIN_FRAME - len);
		len = ETH_MIN_FRAME;
	}
	if (f->c[D_CLI].pkts == 0 && f->c[D_SRV].pkts == 0)
		f->first_ts = ts;
	f->last_ts = ts;
	c->pkts++;
	c->bytes += ip_len;
	c->frame_bytes += len;
	c->frags += frag;
	c->frag_dgrams += frag && first;
	c->frag_nonlast_frame_bytes += frag && !last ? len : 0;
	g->packets_written++;
	f->next_ts = ts;
	return write_record(g, ts, g->frame, len);
}

/* Builds and writes one unfragmented packet. */
static bool emit(struct gen *g, struct flow *f, const struct pkt *p)
{
	uint8_t *ip = g->frame + link_header_len(g->cfg);
	size_t ihl = f->v6 ? 40 + (f->v6_ext ? 16 : 0) : (f->ip_opts ? 24 : 20);
	uint32_t l4 = put_l4(g, ip + ihl, f, p);
	uint16_t df = p->proto == IPPROTO_NUM_TCP ? 0x4000 : 0;

	if (f->v6)
		put_ipv6(ip, f, p->dir, p->proto, l4);
	else
		put_ipv4(ip, f, p->dir, p->proto, l4, f->ipid[p->dir]++, df);
	return emit_frame(g, f, p->dir, (uint32_t)ihl + l4, false, false, false);
}

/* Writes the next fragment of the datagram f is sending (IPv4 only).
 * The datagram is rebuilt each time from the pattern, so nothing but its
 * length and pattern offset is kept between fragments. */
static bool emit_fragment(struct gen *g, struct flow *f)
{
	struct pkt p = {
		.dir = f->dg_dir, .proto = IPPROTO_NUM_UDP,
		.payload = f->dg_len - 8, .pat = f->dg_pat,
	};
	uint8_t *ip = g->frame + link_header_len(g->cfg);
	size_t ihl = f->ip_opts ? 24 : 20;
	uint32_t max = (uint32_t)(MTU - ihl) & ~7u;
	uint32_t len = f->dg_len - f->dg_off;
	bool more = len > max;
	bool first = f->dg_off == 0;

	put_l4(g, g->dgram, f, &p);
	if (more)
		len = max;
	memcpy(ip + ihl, g->dgram + f->dg_off, len);
	put_ipv4(ip, f, f->dg_dir, IPPROTO_NUM_UDP, len, f->dg_id,
	         (uint16_t)((more ? 0x2000 : 0) | f->dg_off / 8));
	f->dg_off += len;
	f->in_dg = more;
	return emit_frame(g, f, f->dg_dir, (uint32_t)ihl + len, true, first, !more);
}

/* ------------------------------------------------------------- flows */

enum {
	P_SYN, P_SYNACK, P_ACK3, P_REQ, P_RESP, P_CLIACK,
	P_FIN1, P_FIN2, P_LASTACK, P_RST, P_REJECT, P_DONE
};

static uint64_t half_rtt(struct flow *f)
{
	return f->rtt_ns / 2 + rng_range(&f->rng, 0, 200 * NS_PER_US);
}

static uint64_t think_time(struct flow *f)
{
	return rng_range(&f->rng, 1 * NS_PER_MS, 800 * NS_PER_MS);
}

static uint32_t payload_len(const struct gen *g, struct flow *f, uint64_t lo,
                            uint64_t hi)
{
	uint64_t max = g->cfg->payload_max;

	if (hi > max)
		hi = max;
	if (lo > hi)
		lo = hi;
	return (uint32_t)rng_range(&f->rng, lo, hi);
}

static uint32_t pattern_at(struct flow *f)
{
	return (uint32_t)rng_range(&f->rng, 0, PATTERN_LEN - 1);
}

static int tcp_after_data(const struct flow *f)
{
	return f->kind == K_TCP_RESET ? P_RST : P_FIN1;
}

/* A TCP segment from side d with the current sequence numbers. */
static struct pkt tcp_pkt(const struct flow *f, enum dir d, uint8_t flags)
{
	struct pkt p = {
		.dir = d, .proto = IPPROTO_NUM_TCP, .tcp_flags = flags,
		.seq = d == D_CLI ? f->cseq : f->sseq,
		.ack = (flags & TCP_ACK) ? (d == D_CLI ? f->sseq : f->cseq) : 0,
	};
	return p;
}

/* Handshake and rejection steps. Returns the delay to the next packet. */
static uint64_t tcp_open_step(struct flow *f, struct pkt *p)
{
	switch (f->phase) {
	case P_SYN:
		*p = tcp_pkt(f, D_CLI, TCP_SYN);
		if (f->kind == K_TCP_ATTEMPT) {
			/* retransmitted after 1 s, then 2 s, as Linux does */
			uint64_t backoff = (1ull << f->done_dg++) * NS_PER_S;
			if (--f->syn_left == 0)
				f->phase = P_DONE;
			return backoff;
		}
		f->phase = f->kind == K_TCP_REJECTED ? P_REJECT : P_SYNACK;
		return half_rtt(f);
	case P_REJECT:
		*p = tcp_pkt(f, D_SRV, TCP_RST | TCP_ACK);
		p->seq = 0;
		p->ack = f->cseq + 1;
		f->phase = P_DONE;
		return 0;
	case P_SYNACK:
		*p = tcp_pkt(f, D_SRV, TCP_SYN | TCP_ACK);
		p->ack = f->cseq + 1;
		f->cseq++;
		f->phase = P_ACK3;
		return half_rtt(f);
	default:                         /* P_ACK3 */
		f->sseq++;
		*p = tcp_pkt(f, D_CLI, TCP_ACK);
		f->phase = f->left ? P_REQ : tcp_after_data(f);
		return rng_range(&f->rng, 10 * NS_PER_US, 2 * NS_PER_MS);
	}
}

/* Request / response / acknowledgement steps. */
static uint64_t tcp_data_step(struct gen *g, struct flow *f, struct pkt *p)
{
	uint64_t delay;

	f->left--;
	switch (f->phase) {
	case P_REQ:
		*p = tcp_pkt(f, D_CLI, TCP_PSH | TCP_ACK);
		p->payload = payload_len(g, f, 16, 600);
		f->cseq += p->payload;
		f->resp_left = (uint32_t)rng_range(&f->rng, 1, 4);
		f->phase = P_RESP;
		delay = half_rtt(f) + rng_range(&f->rng, 0, 5 * NS_PER_MS);
		break;
	case P_RESP:
		f->resp_left--;
		*p = tcp_pkt(f, D_SRV, TCP_ACK | (f->resp_left ? 0 : TCP_PSH));
		p->payload = payload_len(g, f, 1, MAX_PAYLOAD);
		f->sseq += p->payload;
		f->phase = f->resp_left ? P_RESP : P_CLIACK;
		delay = f->resp_left ? rng_range(&f->rng, 5 * NS_PER_US, 300 * NS_PER_US)
		                     : half_rtt(f);
		break;
	default:                         /* P_CLIACK */
		*p = tcp_pkt(f, D_CLI, TCP_ACK);
		f->phase = P_REQ;
		delay = think_time(f);
		break;
	}
	p->pat = pattern_at(f);
	if (f->left == 0) {
		f->phase = tcp_after_data(f);
		delay = half_rtt(f);
	}
	return delay;
}

/* FIN exchange or reset. */
static uint64_t tcp_close_step(struct flow *f, struct pkt *p)
{
	enum dir other = f->closer == D_CLI ? D_SRV : D_CLI;
	uint32_t *seq_closer = f->closer == D_CLI ? &f->cseq : &f->sseq;
	uint32_t *seq_other = f->closer == D_CLI ? &f->sseq : &f->cseq;

	switch (f->phase) {
	case P_FIN1:
		*p = tcp_pkt(f, f->closer, TCP_FIN | TCP_ACK);
		++*seq_closer;
		f->phase = P_FIN2;
		return half_rtt(f);
	case P_FIN2:
		*p = tcp_pkt(f, other, TCP_FIN | TCP_ACK);
		++*seq_other;
		f->phase = P_LASTACK;
		return half_rtt(f);
	case P_LASTACK:
		*p = tcp_pkt(f, f->closer, TCP_ACK);
		break;
	default:                         /* P_RST */
		*p = tcp_pkt(f, f->closer, TCP_RST | TCP_ACK);
		break;
	}
	f->phase = P_DONE;
	return 0;
}

static uint64_t tcp_step(struct gen *g, struct flow *f, struct pkt *p)
{
	switch (f->phase) {
	case P_SYN:
	case P_SYNACK:
	case P_ACK3:
	case P_REJECT:
		return tcp_open_step(f, p);
	case P_REQ:
	case P_RESP:
	case P_CLIACK:
		return tcp_data_step(g, f, p);
	default:
		return tcp_close_step(f, p);
	}
}

static uint64_t icmp_step(struct flow *f, struct pkt *p)
{
	bool req = f->done_dg % 2 == 0;

	memset(p, 0, sizeof(*p));
	p->dir = req ? D_CLI : D_SRV;
	p->proto = f->v6 ? IPPROTO_NUM_ICMPV6 : IPPROTO_NUM_ICMP;
	p->icmp_type = (uint8_t)(f->v6 ? (req ? 128 : 129) : (req ? 8 : 0));
	if (req)
		f->icmp_seq++;
	p->icmp_seq = f->icmp_seq;
	p->payload = ICMP_ECHO_DATA;
	p->pat = (uint32_t)f->icmp_seq * 64 % PATTERN_LEN; /* reply echoes request */
	f->done_dg++;
	if (--f->left == 0)
		f->phase = P_DONE;
	return req ? half_rtt(f) : rng_range(&f->rng, 200 * NS_PER_MS, 1000 * NS_PER_MS);
}

/* UDP: alternating request and response datagrams; in a fragmenting
 * flow the first response and some others are larger than the MTU. */
static uint64_t udp_step(struct gen *g, struct flow *f, struct pkt *p, bool *frag)
{
	bool req = f->done_dg % 2 == 0;
	bool big = f->fragmenting &&
		(f->done_dg == 1 || rng_pct(&f->rng, 30));

	memset(p, 0, sizeof(*p));
	p->dir = req ? D_CLI : D_SRV;
	p->proto = IPPROTO_NUM_UDP;
	p->pat = pattern_at(f);
	if (big) {
		p->payload = (uint32_t)rng_range(&f->rng, FRAG_MIN_PAYLOAD, FRAG_MAX_PAYLOAD);
		f->in_dg = true;
		f->dg_dir = p->dir;
		f->dg_len = 8 + p->payload;
		f->dg_off = 0;
		f->dg_pat = p->pat;
		f->dg_id = f->ipid[p->dir]++;
		*frag = true;
	} else {
		p->payload = req ? payload_len(g, f, 12, 200) : payload_len(g, f, 24, MAX_PAYLOAD);
	}
	f->done_dg++;
	if (--f->left == 0)
		f->phase = P_DONE;
	return req ? half_rtt(f) : think_time(f);
}

/* ------------------------------------------------------ flow set-up */

static enum kind pick_kind(const struct gen *g, struct flow *f)
{
	const struct config *cfg = g->cfg;
	uint64_t total = cfg->mix_tcp + cfg->mix_udp + cfg->mix_icmp;
	uint64_t r = rng_range(&f->rng, 0, total - 1);

	if (r >= cfg->mix_tcp + cfg->mix_udp)
		return K_ICMP;
	if (r >= cfg->mix_tcp)
		return K_UDP;
	r = rng_range(&f->rng, 0, 99);
	if (r < cfg->rst_pct)
		return K_TCP_RESET;
	if (r < cfg->rst_pct + cfg->rejected_pct)
		return K_TCP_REJECTED;
	if (r < cfg->rst_pct + cfg->rejected_pct + cfg->attempt_pct)
		return K_TCP_ATTEMPT;
	return K_TCP_CLOSED;
}

static void mac_from(uint8_t mac[6], const uint8_t *addr, bool v6)
{
	const uint8_t *tail = addr + (v6 ? 12 : 0);

	mac[0] = 0x02;                   /* locally administered */
	mac[1] = v6 ? 0x06 : 0x04;
	memcpy(mac + 2, tail, 4);
}

/* Client address and port: unique per flow. ICMP flows, which have no
 * ports, get a client address of their own. */
static void assign_addresses(struct gen *g, struct flow *f)
{
	uint64_t n = f->v6 ? g->n_v6++ : g->n_v4++;
	uint64_t host = n % N_CLIENTS;
	uint64_t server = rng_range(&f->rng, 1, N_SERVERS);
	uint64_t offset = (host * 2654435761u + g->cfg->seed) % PORT_SPAN;

	memset(f->cli, 0, 16);
	memset(f->srv, 0, 16);
	/* for one host, n / N_CLIENTS differs per flow: a different port */
	f->cport = (uint16_t)(PORT_BASE + (n / N_CLIENTS * PORT_STRIDE + offset) % PORT_SPAN);
	if (f->kind == K_ICMP)
		host = f->v6 ? g->n_icmp6++ : g->n_icmp4++;
	if (!f->v6) {
		/* 254 hosts per /24: never .0 or .255 */
		uint32_t net = f->kind == K_ICMP ? 0x0a800000u : 0x0a010000u;
		put_be32(f->cli, net + (uint32_t)(host / 254 * 256 + host % 254 + 1));
		put_be32(f->srv, 0x0a020000u + (uint32_t)server * 4 + 1);
	} else {
		static const uint8_t pfx[8] = {0xfd, 0x00, 0, 0, 0, 0, 0, 0};
		memcpy(f->cli, pfx, 8);
		memcpy(f->srv, pfx, 8);
		f->cli[7] = f->kind == K_ICMP ? 0x80 : 0x01;
		f->srv[7] = 0x02;
		put_be32(f->cli + 12, (uint32_t)host + 1);
		put_be32(f->srv + 12, (uint32_t)server);
	}
	mac_from(f->cli_mac, f->cli, f->v6);
	mac_from(f->srv_mac, f->srv, f->v6);
}

static uint16_t server_port(struct flow *f, enum kind k)
{
	static const uint16_t tcp[] = {80, 443, 22, 5432, 6379, 8080, 3306, 9092};
	/* no tunnels (VXLAN, GENEVE): tshark would find conversations inside */
	static const uint16_t udp[] = {53, 123, 161, 514, 5353, 8125, 1812};

	if (k == K_UDP)
		return udp[rng_range(&f->rng, 0, SW_ARRAY_SIZE(udp) - 1)];
	return tcp[rng_range(&f->rng, 0, SW_ARRAY_SIZE(tcp) - 1)];
}

/* Draws the flow's packet budget around the mean still to be spent. */
static uint32_t budget(const struct gen *g, struct flow *f)
{
	uint64_t flows_left = g->cfg->flows - g->started;
	uint64_t mean = g->pkts_left / (flows_left ? flows_left : 1);

	if (mean < 1)
		mean = 1;
	return (uint32_t)rng_range(&f->rng, (mean + 1) / 2, mean + mean / 2);
}

/* Plans the packets of a new flow; returns how many it will send
 * (fragments not counted). */
static uint32_t plan_flow(struct gen *g, struct flow *f, uint32_t b)
{
	const struct config *cfg = g->cfg;

	f->phase = P_SYN;
	switch (f->kind) {
	case K_TCP_CLOSED:
		f->left = b > 6 ? b - 6 : 0;
		return f->left + 6;
	case K_TCP_RESET:
		f->left = b > 4 ? b - 4 : 0;
		return f->left + 4;
	case K_TCP_REJECTED:
		return 2;
	case K_TCP_ATTEMPT:
		f->syn_left = (uint32_t)rng_range(&f->rng, 1, 3);
		return f->syn_left;
	case K_UDP:
		f->phase = P_REQ;
		f->left = b;
		f->fragmenting = !f->v6 && rng_pct(&f->rng, cfg->frag_pct);
		if (cfg->idle_gap_s && b >= 4 && rng_pct(&f->rng, cfg->idle_gap_pct))
			f->gap_after = (b / 2) & ~1u;
		return b;
	case K_ICMP:
		f->phase = P_REQ;
		f->left = b;
		return b;
	}
	return b;
}

static void start_flow(struct gen *g, struct flow *f)
{
	const struct config *cfg = g->cfg;
	uint32_t planned;

	memset(f, 0, sizeof(*f));
	f->idx = g->started;
	rng_seed(&f->rng, cfg->seed ^ (f->idx * 0xd1342543de82ef95u));
	f->kind = pick_kind(g, f);
	f->v6 = rng_pct(&f->rng, cfg->ipv6_pct);
	f->ip_opts = !f->v6 && rng_pct(&f->rng, cfg->ip_opt_pct);
	f->v6_ext = f->v6 && rng_pct(&f->rng, cfg->ipv6_ext_pct);
	f->af6 = bsd_af_inet6[rng_range(&f->rng, 0, SW_ARRAY_SIZE(bsd_af_inet6) - 1)];
	f->flow_label = (uint32_t)rng_next(&f->rng);
	f->closer = rng_pct(&f->rng, 70) ? D_CLI : D_SRV;
	assign_addresses(g, f);
	f->sport = server_port(f, f->kind);
	f->cseq = (uint32_t)rng_next(&f->rng);
	f->sseq = (uint32_t)rng_next(&f->rng);
	f->ipid[0] = (uint16_t)rng_next(&f->rng);
	f->ipid[1] = (uint16_t)rng_next(&f->rng);
	f->icmp_id = (uint16_t)rng_next(&f->rng);
	f->rtt_ns = rng_range(&f->rng, 100 * NS_PER_US, 40 * NS_PER_MS);
	f->segment = 1;
	planned = plan_flow(g, f, budget(g, f));
	g->pkts_left = g->pkts_left > planned ? g->pkts_left - planned : 0;
	f->next_ts = g->next_start;
	g->started++;
}

/* ------------------------------------------------------------- heap */

static bool earlier(const struct flow *a, const struct flow *b)
{
	return a->next_ts < b->next_ts ||
	       (a->next_ts == b->next_ts && a->idx < b->idx);
}

static void heap_push(struct heap *h, struct flow *f)
{
	size_t i = h->n++;

	while (i > 0 && earlier(f, h->v[(i - 1) / 2])) {
		h->v[i] = h->v[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->v[i] = f;
}

static struct flow *heap_pop(struct heap *h)
{
	struct flow *top = h->v[0];
	struct flow *last = h->v[--h->n];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && earlier(h->v[c + 1], h->v[c]))
			c++;
		if (!earlier(h->v[c], last))
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n > 0)
		h->v[i] = last;
	return top;
}

/* ------------------------------------------------------------- main loop */

/* Sends the flow's next packet and schedules the one after. Returns
 * false on a write error. */
static bool flow_step(struct gen *g, struct flow *f, bool *done)
{
	struct pkt p;
	bool frag = false;
	uint64_t delay;
	bool ok;

	if (f->in_dg) {
		ok = emit_fragment(g, f);
		delay = f->in_dg ? rng_range(&f->rng, 5 * NS_PER_US, 50 * NS_PER_US)
		                 : f->dg_delay;
	} else {
		if (f->kind == K_UDP)
			delay = udp_step(g, f, &p, &frag);
		else if (f->kind == K_ICMP)
			delay = icmp_step(f, &p);
		else
			delay = tcp_step(g, f, &p);
		ok = frag ? emit_fragment(g, f) : emit(g, f, &p);
		if (f->in_dg) {
			f->dg_delay = delay;
			delay = rng_range(&f->rng, 5 * NS_PER_US, 50 * NS_PER_US);
		}
	}
	*done = f->phase == P_DONE && !f->in_dg;
	if (!*done && !f->in_dg && f->gap_after && f->done_dg == f->gap_after) {
		/* an idle gap: what came before is a conversation of its own */
		write_truth(g, f);
		memset(f->c, 0, sizeof(f->c));
		f->segment++;
		f->gap_after = 0;
		/* just over the gap asked for (at least 1 us, so that it
		 * survives microsecond timestamps): a timeout of exactly that
		 * many seconds must have ended the flow */
		delay = g->cfg->idle_gap_s * NS_PER_S + rng_range(&f->rng, NS_PER_US, NS_PER_MS);
	}
	f->next_ts += delay;
	return ok;
}

static bool run(struct gen *g)
{
	const struct config *cfg = g->cfg;

	while (g->heap.n < cfg->concurrent && g->started < cfg->flows) {
		struct flow *f = g->free_list[--g->n_free];
		start_flow(g, f);
		g->next_start += rng_range(&g->rng, 0, 2 * NS_PER_MS);
		heap_push(&g->heap, f);
	}
	while (g->heap.n > 0) {
		struct flow *f = heap_pop(&g->heap);
		bool done;

		if (!flow_step(g, f, &done))
			return false;
		if (cfg->pcapng && cfg->unknown_blocks && g->packets_written == 10 &&
		    !write_unknown_blocks(g))
			return false;
		if (!done) {
			heap_push(&g->heap, f);
			continue;
		}
		write_truth(g, f);
		if (g->started < cfg->flows) {
			g->next_start = g->last_ts + rng_range(&g->rng, 0, 10 * NS_PER_MS);
			start_flow(g, f);
			heap_push(&g->heap, f);
		} else {
			g->free_list[g->n_free++] = f;
		}
	}
	return true;
}

/* ------------------------------------------------------------ options */

static void usage(FILE *o)
{
	fputs("usage: pcapgen [options] -o OUT.pcap --truth OUT.truth.jsonl\n"
	      "  -o, --output FILE        capture to write ('-' = stdout)\n"
	      "      --truth FILE         truth, one JSON object per conversation\n"
	      "      --seed N             random seed (default 1)\n"
	      "      --format pcap|pcapng (default pcap)\n"
	      "      --byte-order le|be   (default le)\n"
	      "      --nanosecond         nanosecond timestamps\n"
	      "      --pcapng-unknown-block  add blocks a reader must skip\n"
	      "      --link ethernet|sll|sll2|raw|null|loop (default ethernet)\n"
	      "      --vlan ID            802.1Q tag on every frame (ethernet)\n"
	      "      --qinq OUTER,INNER   802.1ad + 802.1Q tags (ethernet)\n"
	      "      --flows N            conversations (default 100)\n"
	      "      --packets N          total packets, approximately (default 20 per flow)\n"
	      "      --mix tcp=60,udp=30,icmp=10  protocol weights\n"
	      "      --concurrent N       flows active at once (default 64)\n"
	      "      --ipv6-share PCT     share of IPv6 flows\n"
	      "      --fragments PCT      share of IPv4 UDP flows sending fragments\n"
	      "      --tcp-rst PCT        TCP flows ending with RST\n"
	      "      --tcp-rejected PCT   TCP SYNs answered by RST|ACK\n"
	      "      --tcp-attempt PCT    TCP SYNs without answer\n"
	      "      --idle-gap SECONDS   an idle gap of SECONDS + 1us..1ms in some UDP flows\n"
	      "                           (the truth has a record per active period)\n"
	      "      --idle-gap-share PCT share of UDP flows with the gap (default 30)\n"
	      "      --ip-options PCT     IPv4 flows with a Router Alert option\n"
	      "      --ipv6-ext PCT       IPv6 flows with Hop-by-Hop + Destination options\n"
	      "      --snaplen N          captured bytes per frame (default 262144; 128 or\n"
	      "                           more keeps every header; the truth is unchanged)\n"
	      "      --payload-max N      largest TCP/UDP payload (default 1200, max 1400;\n"
	      "                           fragmented datagrams carry 1600..4000 bytes)\n"
	      "      --start SECONDS      Unix time of the first packet (default 2026-11-25T12:00:00Z)\n",
	      o);
}

enum opt_id {
	O_TRUTH = 256, O_SEED, O_FORMAT, O_BYTE_ORDER, O_NANO, O_UNKNOWN, O_LINK,
	O_VLAN, O_QINQ, O_FLOWS, O_PACKETS, O_MIX, O_CONCURRENT, O_IPV6,
	O_FRAGS, O_RST, O_REJECTED, O_ATTEMPT, O_IDLE_GAP, O_IDLE_SHARE,
	O_IP_OPTS, O_IPV6_EXT, O_SNAPLEN, O_PAYLOAD_MAX, O_START, O_HELP
};

static const struct option long_opts[] = {
	{"output", required_argument, NULL, 'o'},
	{"truth", required_argument, NULL, O_TRUTH},
	{"seed", required_argument, NULL, O_SEED},
	{"format", required_argument, NULL, O_FORMAT},
	{"byte-order", required_argument, NULL, O_BYTE_ORDER},
	{"nanosecond", no_argument, NULL, O_NANO},
	{"pcapng-unknown-block", no_argument, NULL, O_UNKNOWN},
	{"link", required_argument, NULL, O_LINK},
	{"vlan", required_argument, NULL, O_VLAN},
	{"qinq", required_argument, NULL, O_QINQ},
	{"flows", required_argument, NULL, O_FLOWS},
	{"packets", required_argument, NULL, O_PACKETS},
	{"mix", required_argument, NULL, O_MIX},
	{"concurrent", required_argument, NULL, O_CONCURRENT},
	{"ipv6-share", required_argument, NULL, O_IPV6},
	{"fragments", required_argument, NULL, O_FRAGS},
	{"tcp-rst", required_argument, NULL, O_RST},
	{"tcp-rejected", required_argument, NULL, O_REJECTED},
	{"tcp-attempt", required_argument, NULL, O_ATTEMPT},
	{"idle-gap", required_argument, NULL, O_IDLE_GAP},
	{"idle-gap-share", required_argument, NULL, O_IDLE_SHARE},
	{"ip-options", required_argument, NULL, O_IP_OPTS},
	{"ipv6-ext", required_argument, NULL, O_IPV6_EXT},
	{"snaplen", required_argument, NULL, O_SNAPLEN},
	{"payload-max", required_argument, NULL, O_PAYLOAD_MAX},
	{"start", required_argument, NULL, O_START},
	{"help", no_argument, NULL, O_HELP},
	{NULL, 0, NULL, 0},
};

static bool parse_num(const char *name, const char *text, uint64_t min,
                      uint64_t max, uint64_t *out)
{
	if (sw_parse_u64(text, strlen(text), min, max, out) == SW_OK)
		return true;
	fprintf(stderr, "pcapgen: --%s: expected a number in %" PRIu64 "..%" PRIu64
	        ", got \"%s\"\n", name, min, max, text);
	return false;
}

static bool parse_pct(const char *name, const char *text, unsigned *out)
{
	uint64_t v;

	if (!parse_num(name, text, 0, 100, &v))
		return false;
	*out = (unsigned)v;
	return true;
}

/* "tcp=60,udp=30,icmp=10": weights, any subset, at least one non-zero. */
static bool parse_mix(struct config *cfg, const char *text)
{
	const char *p = text;

	cfg->mix_tcp = cfg->mix_udp = cfg->mix_icmp = 0;
	while (p != NULL) {
		size_t item_len, key_len;
		const char *next = sw_split(p, ',', &item_len);
		const char *val = sw_split(p, '=', &key_len);
		uint64_t w;
		unsigned *dst = NULL;

		if (val == NULL || val > p + item_len ||
		    sw_parse_u64(val, item_len - key_len - 1, 0, 1000, &w) != SW_OK)
			dst = NULL;
		else if (key_len == 3 && strncmp(p, "tcp", 3) == 0)
			dst = &cfg->mix_tcp;
		else if (key_len == 3 && strncmp(p, "udp", 3) == 0)
			dst = &cfg->mix_udp;
		else if (key_len == 4 && strncmp(p, "icmp", 4) == 0)
			dst = &cfg->mix_icmp;
		if (dst == NULL) {
			fprintf(stderr, "pcapgen: --mix: expected tcp=N,udp=N,icmp=N, got \"%s\"\n",
			        text);
			return false;
		}
		*dst = (unsigned)w;
		p = next;
	}
	if (cfg->mix_tcp + cfg->mix_udp + cfg->mix_icmp == 0) {
		fprintf(stderr, "pcapgen: --mix: all weights are zero\n");
		return false;
	}
	return true;
}

static bool parse_qinq(struct config *cfg, const char *text)
{
	size_t head;
	const char *inner = sw_split(text, ',', &head);
	uint64_t o, i;

	if (inner == NULL || sw_parse_u64(text, head, 1, 4094, &o) != SW_OK ||
	    sw_parse_u64(inner, strlen(inner), 1, 4094, &i) != SW_OK) {
		fprintf(stderr, "pcapgen: --qinq: expected OUTER,INNER (1..4094), got \"%s\"\n",
		        text);
		return false;
	}
	cfg->vlan = (uint16_t)o;
	cfg->vlan_inner = (uint16_t)i;
	return true;
}

static bool parse_choice(const char *name, const char *text, const char *a,
                         const char *b, bool *is_b)
{
	if (strcmp(text, a) == 0 || strcmp(text, b) == 0) {
		*is_b = strcmp(text, b) == 0;
		return true;
	}
	fprintf(stderr, "pcapgen: --%s: expected %s or %s, got \"%s\"\n", name, a, b, text);
	return false;
}

static bool parse_link(struct config *cfg, const char *text)
{
	for (size_t i = 0; i < SW_ARRAY_SIZE(links); i++) {
		if (strcmp(text, links[i].name) == 0) {
			cfg->link = &links[i];
			return true;
		}
	}
	fprintf(stderr, "pcapgen: --link: expected ethernet, sll, sll2, raw, null or loop, got \"%s\"\n",
	        text);
	return false;
}

static bool parse_opt(struct config *cfg, int c, const char *arg, bool *packets_set)
{
	uint64_t v;

	switch (c) {
	case 'o': cfg->out_path = arg; return true;
	case O_TRUTH: cfg->truth_path = arg; return true;
	case O_SEED: return parse_num("seed", arg, 0, UINT64_MAX, &cfg->seed);
	case O_FORMAT: return parse_choice("format", arg, "pcap", "pcapng", &cfg->pcapng);
	case O_BYTE_ORDER: return parse_choice("byte-order", arg, "le", "be", &cfg->big_endian);
	case O_NANO: cfg->nanosecond = true; return true;
	case O_UNKNOWN: cfg->unknown_blocks = true; return true;
	case O_LINK: return parse_link(cfg, arg);
	case O_VLAN:
		if (!parse_num("vlan", arg, 1, 4094, &v))
			return false;
		cfg->vlan = (uint16_t)v;
		cfg->vlan_inner = 0;
		return true;
	case O_QINQ: return parse_qinq(cfg, arg);
	case O_FLOWS: return parse_num("flows", arg, 0, MAX_FLOWS, &cfg->flows);
	case O_PACKETS:
		*packets_set = true;
		return parse_num("packets", arg, 0, UINT32_MAX, &cfg->packets);
	case O_MIX: return parse_mix(cfg, arg);
	case O_CONCURRENT: return parse_num("concurrent", arg, 1, 10000000, &cfg->concurrent);
	case O_IPV6: return parse_pct("ipv6-share", arg, &cfg->ipv6_pct);
	case O_FRAGS: return parse_pct("fragments", arg, &cfg->frag_pct);
	case O_RST: return parse_pct("tcp-rst", arg, &cfg->rst_pct);
	case O_REJECTED: return parse_pct("tcp-rejected", arg, &cfg->rejected_pct);
	case O_ATTEMPT: return parse_pct("tcp-attempt", arg, &cfg->attempt_pct);
	case O_IDLE_GAP: return parse_num("idle-gap", arg, 1, 86400, &cfg->idle_gap_s);
	case O_IDLE_SHARE: return parse_pct("idle-gap-share", arg, &cfg->idle_gap_pct);
	case O_IP_OPTS: return parse_pct("ip-options", arg, &cfg->ip_opt_pct);
	case O_IPV6_EXT: return parse_pct("ipv6-ext", arg, &cfg->ipv6_ext_pct);
	case O_SNAPLEN: return parse_num("snaplen", arg, 64, 262144, &cfg->snaplen);
	case O_PAYLOAD_MAX: return parse_num("payload-max", arg, 16, MAX_PAYLOAD, &cfg->payload_max);
	case O_START: return parse_num("start", arg, 0, UINT32_MAX - 86400 * 365, &cfg->start_s);
	default: return false;
	}
}

static bool check_config(const struct config *cfg)
{
	if (cfg->out_path == NULL || cfg->truth_path == NULL) {
		fprintf(stderr, "pcapgen: -o and --truth are required (see --help)\n");
		return false;
	}
	if (cfg->vlan && cfg->link->link != L_ETHERNET) {
		fprintf(stderr, "pcapgen: --vlan/--qinq need --link ethernet\n");
		return false;
	}
	if (cfg->rst_pct + cfg->rejected_pct + cfg->attempt_pct > 100) {
		fprintf(stderr, "pcapgen: --tcp-rst + --tcp-rejected + --tcp-attempt exceed 100\n");
		return false;
	}
	return true;
}

/* Returns 0 when the options are good, 1 on an error, 2 for --help. */
static int parse_args(int argc, char **argv, struct config *cfg)
{
	bool packets_set = false;
	int c;

	*cfg = (struct config){
		.seed = 1, .link = &links[0], .flows = 100, .concurrent = 64,
		.mix_tcp = 60, .mix_udp = 30, .mix_icmp = 10, .idle_gap_pct = 30,
		.snaplen = SNAPLEN_DEFAULT, .payload_max = 1200,
		.start_s = DEFAULT_START_S,
	};
	while ((c = getopt_long(argc, argv, "o:h", long_opts, NULL)) != -1) {
		if (c == O_HELP || c == 'h')
			return 2;
		if (c == '?' || !parse_opt(cfg, c, optarg, &packets_set))
			return 1;
	}
	if (optind < argc) {
		fprintf(stderr, "pcapgen: unexpected argument \"%s\"\n", argv[optind]);
		return 1;
	}
	if (!packets_set)
		cfg->packets = cfg->flows * 20;
	return check_config(cfg) ? 0 : 1;
}

/* ------------------------------------------------------------- setup */

static bool gen_init(struct gen *g, const struct config *cfg)
{
	size_t n = cfg->concurrent < cfg->flows ? cfg->concurrent : cfg->flows;

	memset(g, 0, sizeof(*g));
	g->cfg = cfg;
	rng_seed(&g->rng, cfg->seed);
	g->res_ns = cfg->nanosecond ? 1 : NS_PER_US;
	g->next_start = cfg->start_s * NS_PER_S;
	g->pkts_left = cfg->packets;
	g->pattern = malloc(PATTERN_LEN + MAX_DATAGRAM);
	g->dgram = malloc(MAX_DATAGRAM);
	g->pool = calloc(n ? n : 1, sizeof(*g->pool));
	g->free_list = calloc(n ? n : 1, sizeof(*g->free_list));
	g->heap.v = calloc(n ? n : 1, sizeof(*g->heap.v));
	if (!g->pattern || !g->dgram || !g->pool || !g->free_list || !g->heap.v)
		return false;
	for (size_t i = 0; i < PATTERN_LEN + MAX_DATAGRAM; i++)
		g->pattern[i] = (uint8_t)(rng_next(&g->rng) >> 56);
	for (size_t i = 0; i < n; i++)
		g->free_list[g->n_free++] = &g->pool[i];
	return true;
}

static void gen_free(struct gen *g)
{
	free(g->pattern);
	free(g->dgram);
	free(g->pool);
	free(g->free_list);
	free(g->heap.v);
}

static FILE *open_out(const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "wb");

	if (f == NULL)
		fprintf(stderr, "pcapgen: cannot write %s: %s\n", path, strerror(errno));
	else
		setvbuf(f, NULL, _IOFBF, 1 << 20);
	return f;
}

static bool close_out(FILE *f, const char *path, bool ok)
{
	if (f == NULL)
		return ok;
	if (ferror(f) || fclose(f) != 0) {
		if (ok)
			fprintf(stderr, "pcapgen: writing %s failed: %s\n", path, strerror(errno));
		return false;
	}
	return ok;
}

static bool generate(struct gen *g)
{
	const struct config *cfg = g->cfg;

	if (cfg->pcapng) {
		if (!write_pcapng_header(g))
			return false;
		if (cfg->unknown_blocks && !write_unknown_blocks(g))
			return false;
	} else if (!write_pcap_header(g)) {
		return false;
	}
	return run(g);
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct gen g;
	bool ok;

	switch (parse_args(argc, argv, &cfg)) {
	case 0:
		break;
	case 2:
		usage(stdout);
		return 0;
	default:
		return 2;
	}
	if (!gen_init(&g, &cfg)) {
		fprintf(stderr, "pcapgen: out of memory\n");
		gen_free(&g);
		return 1;
	}
	g.out = open_out(cfg.out_path);
	g.truth = g.out ? open_out(cfg.truth_path) : NULL;
	ok = g.out && g.truth && generate(&g);
	ok = close_out(g.out, cfg.out_path, ok);
	ok = close_out(g.truth, cfg.truth_path, ok);
	gen_free(&g);
	if (ok)
		fprintf(stderr, "pcapgen: %" PRIu64 " flows, %" PRIu64 " packets\n",
		        g.started, g.packets_written);
	return ok ? 0 : 1;
}
