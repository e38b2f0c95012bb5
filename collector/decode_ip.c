/*
 * decode_ip.c - the IP layer: IPv4 (options skipped, fragments) and IPv6
 * with its extension-header chain, checking the length fields against
 * the frame; also the IP header quoted inside an ICMP error.
 *
 * Lengths are checked against the frame's original length, not the
 * captured one: a snap length that cuts the payload is no error.
 * A length field of 0 is taken from the frame instead: IPv4 total length
 * 0 is what captures of Linux BIG TCP/GSO and of Windows large send
 * offload show, IPv6 payload length 0 is a jumbogram or BIG TCP (RFC
 * 2675; the jumbo option itself is not read). The cost: an IPv6 packet
 * with a true payload length 0 counts the frame's padding too.
 */
#include <stdbool.h>
#include <stdint.h>

#include "segwatch/addr.h"
#include "decode_internal.h"
#include "pkt_cursor.h"

#define IPV4_HDR_LEN 20
#define IPV6_HDR_LEN 40
#define IPV4_MF 0x2000
#define IPV4_OFFSET_MASK 0x1fff
#define IPV6_FRAG_HDR_LEN 8
#define IPV6_FRAG_OFFSET_MASK 0xfff8
#define IPV6_FRAG_M 0x0001
/* Extension headers walked before the chain counts as hostile. */
#define IPV6_EXT_MAX 16

/* What the IPv6 extension chain says about the packet. */
struct ip6_chain {
	uint8_t proto;    /* the first protocol that is not an extension */
	enum sw_frag frag;
	uint32_t frag_id;
};

/* The fragment header: offset > 0 ends the walk (what follows is the
 * middle of the payload); offset 0 without M is an atomic fragment
 * (RFC 6946), a whole packet. */
static bool ip6_frag_hdr(struct pkt_cursor *p, uint8_t *nh,
                         struct ip6_chain *ch, bool *later)
{
	struct pkt_cursor h;
	uint8_t next, reserved;
	uint16_t off_m;
	uint32_t id;

	if (!cur_sub(p, IPV6_FRAG_HDR_LEN, &h) || !cur_u8(&h, &next) ||
	    !cur_u8(&h, &reserved) || !cur_u16be(&h, &off_m) ||
	    !cur_u32be(&h, &id))
		return false;
	*nh = next;
	*later = (off_m & IPV6_FRAG_OFFSET_MASK) != 0;
	if (*later || (off_m & IPV6_FRAG_M)) {
		ch->frag = *later ? SW_FRAG_LATER : SW_FRAG_FIRST;
		ch->frag_id = id;
	}
	return true;
}

/* Walks the extension headers from next-header nh; p covers the payload
 * and ends positioned at the transport header. ESP (50) and no-next-
 * header (59) end the chain like any transport protocol. */
static enum sw_drop_reason ip6_walk(struct pkt_cursor *p, uint8_t nh,
                                    struct ip6_chain *ch)
{
	unsigned n;
	uint8_t next, hlen;
	uint32_t size;
	bool later;

	ch->frag = SW_FRAG_NONE;
	ch->frag_id = 0;
	for (n = 0;; n++) {
		switch (nh) {
		case SW_IPPROTO_HOPOPTS:
		case SW_IPPROTO_ROUTING:
		case SW_IPPROTO_DSTOPTS:
		case SW_IPPROTO_MH:
		case SW_IPPROTO_HIP:
		case SW_IPPROTO_SHIM6:
		case SW_IPPROTO_AH:
		case SW_IPPROTO_FRAGMENT:
			break;
		default:
			ch->proto = nh;
			return SW_DROP_NONE;
		}
		if (n == IPV6_EXT_MAX)
			return SW_DROP_IPV6_EXT_CHAIN_TOO_LONG;
		if (nh == SW_IPPROTO_FRAGMENT) {
			if (!ip6_frag_hdr(p, &nh, ch, &later))
				return SW_DROP_IPV6_EXT_TRUNCATED;
			if (later) {
				ch->proto = nh;
				return SW_DROP_NONE;
			}
			continue;
		}
		if (!cur_u8(p, &next) || !cur_u8(p, &hlen))
			return SW_DROP_IPV6_EXT_TRUNCATED;
		/* AH counts 4-octet units minus 2, the others 8-octet units
		 * minus 1; 2 bytes are read already. */
		size = nh == SW_IPPROTO_AH ? ((uint32_t)hlen + 2) * 4
		                           : ((uint32_t)hlen + 1) * 8;
		if (!cur_skip(p, size - 2))
			return SW_DROP_IPV6_EXT_TRUNCATED;
		nh = next;
	}
}

static enum sw_drop_reason dec_ip4(struct pkt_cursor *c, uint32_t wire_left,
                                   struct sw_packet *pkt)
{
	struct pkt_cursor h, l4;
	uint8_t vihl, tos, ttl, proto;
	uint16_t tot_len, id, frag, csum;
	const uint8_t *src, *dst;
	uint32_t hl, len;

	if (!cur_sub(c, IPV4_HDR_LEN, &h) || !cur_u8(&h, &vihl) ||
	    !cur_u8(&h, &tos) || !cur_u16be(&h, &tot_len) ||
	    !cur_u16be(&h, &id) || !cur_u16be(&h, &frag) ||
	    !cur_u8(&h, &ttl) || !cur_u8(&h, &proto) ||
	    !cur_u16be(&h, &csum) || !cur_bytes(&h, 4, &src) ||
	    !cur_bytes(&h, 4, &dst))
		return SW_DROP_IP_HEADER_TRUNCATED;

	hl = (vihl & 0x0fu) * 4;
	if (hl < IPV4_HDR_LEN || hl > wire_left)
		return SW_DROP_BAD_IP_HEADER_LENGTH;
	len = tot_len != 0 ? tot_len : wire_left;
	if (len < hl || len > wire_left)
		return SW_DROP_BAD_IP_LENGTH;
	if (!cur_skip(c, hl - IPV4_HDR_LEN))
		return SW_DROP_IP_HEADER_TRUNCATED;
	cur_sub_upto(c, len - hl, &l4);

	sw_addr_from_v4(&pkt->src, src);
	sw_addr_from_v4(&pkt->dst, dst);
	pkt->ip_version = 4;
	pkt->proto = proto;
	pkt->ip_bytes = len;
	if (frag & (IPV4_MF | IPV4_OFFSET_MASK)) {
		pkt->frag_id = id;
		if (frag & IPV4_OFFSET_MASK) {
			pkt->frag = SW_FRAG_LATER;
			return SW_DROP_NONE;
		}
		pkt->frag = SW_FRAG_FIRST;
	}
	return sw_dec_l4(&l4, len - hl, pkt);
}

/* segwatch keeps IPv4 addresses as ::ffff:a.b.c.d: an IPv6 header with a
 * mapped address (invalid on the wire) would pass for the IPv4 host (its
 * flows, its policy). */
static bool v4_mapped(const struct sw_addr *src, const struct sw_addr *dst)
{
	return sw_addr_is_v4(src) || sw_addr_is_v4(dst);
}

static enum sw_drop_reason dec_ip6(struct pkt_cursor *c, uint32_t wire_left,
                                   struct sw_packet *pkt)
{
	struct pkt_cursor h, p;
	struct ip6_chain ch;
	enum sw_drop_reason r;
	uint32_t vtcfl, len;
	uint16_t plen;
	uint8_t nh, hlim;
	const uint8_t *src, *dst;

	if (!cur_sub(c, IPV6_HDR_LEN, &h) || !cur_u32be(&h, &vtcfl) ||
	    !cur_u16be(&h, &plen) || !cur_u8(&h, &nh) || !cur_u8(&h, &hlim) ||
	    !cur_bytes(&h, 16, &src) || !cur_bytes(&h, 16, &dst))
		return SW_DROP_IP_HEADER_TRUNCATED;

	/* wire_left >= the captured bytes >= IPV6_HDR_LEN here. */
	len = plen != 0 ? plen : wire_left - IPV6_HDR_LEN;
	if (len > wire_left - IPV6_HDR_LEN)
		return SW_DROP_BAD_IP_LENGTH;
	cur_sub_upto(c, len, &p);

	sw_addr_from_v6(&pkt->src, src);
	sw_addr_from_v6(&pkt->dst, dst);
	if (v4_mapped(&pkt->src, &pkt->dst))
		return SW_DROP_IPV6_MAPPED_ADDRESS;
	pkt->ip_version = 6;
	pkt->ip_bytes = IPV6_HDR_LEN + len;
	r = ip6_walk(&p, nh, &ch);
	if (r != SW_DROP_NONE)
		return r;
	pkt->proto = ch.proto;
	pkt->frag = ch.frag;
	pkt->frag_id = ch.frag_id;
	if (ch.frag == SW_FRAG_LATER)
		return SW_DROP_NONE;
	return sw_dec_l4(&p, len - cur_offset(&p), pkt);
}

enum sw_drop_reason sw_dec_ip(struct pkt_cursor *c, uint32_t wire_left,
                              enum sw_dec_net net, struct sw_packet *pkt)
{
	uint8_t first;
	unsigned version;

	if (!cur_peek_u8(c, &first))
		return SW_DROP_IP_HEADER_TRUNCATED;
	if (wire_left < cur_left(c))
		wire_left = cur_left(c);
	version = first >> 4;
	if (net != SW_NET_GUESS && version != (unsigned)net)
		return SW_DROP_BAD_IP_VERSION;
	switch (version) {
	case 4:
		return dec_ip4(c, wire_left, pkt);
	case 6:
		return dec_ip6(c, wire_left, pkt);
	default:
		return SW_DROP_BAD_IP_VERSION;
	}
}

/* The quote is cut short by design, so its length fields are not
 * checked; only what is needed to find addresses and ports is. */
static bool quote4(struct pkt_cursor *c, struct sw_quoted *q,
                   struct pkt_cursor *l4)
{
	struct pkt_cursor h;
	uint8_t vihl, ttl;
	uint16_t frag;
	const uint8_t *src, *dst;
	uint32_t hl;

	if (!cur_sub(c, IPV4_HDR_LEN, &h) || !cur_u8(&h, &vihl) ||
	    !cur_skip(&h, 5) || !cur_u16be(&h, &frag) || !cur_u8(&h, &ttl) ||
	    !cur_u8(&h, &q->proto) || !cur_skip(&h, 2) ||
	    !cur_bytes(&h, 4, &src) || !cur_bytes(&h, 4, &dst))
		return false;
	hl = (vihl & 0x0fu) * 4;
	if (hl < IPV4_HDR_LEN || !cur_skip(c, hl - IPV4_HDR_LEN) ||
	    (frag & IPV4_OFFSET_MASK) != 0)
		return false;
	sw_addr_from_v4(&q->src, src);
	sw_addr_from_v4(&q->dst, dst);
	cur_sub_upto(c, cur_left(c), l4);
	return true;
}

static bool quote6(struct pkt_cursor *c, struct sw_quoted *q,
                   struct pkt_cursor *l4)
{
	struct pkt_cursor h;
	struct ip6_chain ch;
	uint8_t nh;
	const uint8_t *src, *dst;

	if (!cur_sub(c, IPV6_HDR_LEN, &h) || !cur_skip(&h, 6) ||
	    !cur_u8(&h, &nh) || !cur_skip(&h, 1) ||
	    !cur_bytes(&h, 16, &src) || !cur_bytes(&h, 16, &dst))
		return false;
	if (ip6_walk(c, nh, &ch) != SW_DROP_NONE || ch.frag == SW_FRAG_LATER)
		return false;
	q->proto = ch.proto;
	sw_addr_from_v6(&q->src, src);
	sw_addr_from_v6(&q->dst, dst);
	if (v4_mapped(&q->src, &q->dst))
		return false;
	cur_sub_upto(c, cur_left(c), l4);
	return true;
}

bool sw_dec_ip_quote(struct pkt_cursor *c, struct sw_quoted *q,
                     struct pkt_cursor *l4)
{
	uint8_t first;

	if (!cur_peek_u8(c, &first))
		return false;
	switch (first >> 4) {
	case 4:
		return quote4(c, q, l4);
	case 6:
		return quote6(c, q, l4);
	default:
		return false;
	}
}
