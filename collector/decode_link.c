/*
 * decode_link.c - link-layer dissectors: from the start of a frame to
 * the first byte of its IP header (Ethernet with VLAN tags, MPLS and
 * PPPoE; Linux cooked SLL and SLL2; BSD loopback; NFLOG).
 *
 * Each one ends in sw_dec_ip() with the bytes left in the frame as the
 * bound for the IP length fields.
 */
#include <stdbool.h>
#include <stdint.h>

#include "decode_internal.h"
#include "pkt_cursor.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100      /* 802.1Q */
#define ETHERTYPE_QINQ 0x88a8      /* 802.1ad service tag */
#define ETHERTYPE_QINQ_OLD 0x9100  /* pre-standard QinQ */
#define ETHERTYPE_MPLS 0x8847
#define ETHERTYPE_MPLS_MCAST 0x8848
#define ETHERTYPE_PPPOE_SESS 0x8864

#define ETHER_ADDRS_LEN 12         /* destination + source MAC */
#define VLAN_VID_MASK 0x0fff
/* Tags beyond SW_MAX_VLAN_TAGS are skipped up to this many in all. */
#define VLAN_TAGS_MAX 8

#define MPLS_BOTTOM_OF_STACK 0x100 /* S bit of a label stack entry */

#define PPP_IPV4 0x0021
#define PPP_IPV6 0x0057

#define SLL_ADDR_LEN 8
#define ARPHRD_NETLINK 824         /* SLL protocol is a netlink family */

/* Address families in DLT_NULL/DLT_LOOP headers. IPv6 differs by OS. */
#define NULL_AF_INET 2
#define NULL_AF_INET6_LINUX 10
#define NULL_AF_INET6_BSD 24       /* NetBSD, OpenBSD, BSD/OS */
#define NULL_AF_INET6_FREEBSD 28
#define NULL_AF_INET6_DARWIN 30

#define NFLOG_TLV_HDR_LEN 4
#define NFLOG_TLV_ALIGN 4
#define NFLOG_TLV_TYPE_MASK 0x3fff /* without the netlink nest/order bits */
#define NFULA_PAYLOAD 9

/* Hands the rest of the frame to the IP layer. c is the frame's cursor,
 * so its offset is the length of the link header. */
static enum sw_drop_reason to_ip(struct pkt_cursor *c, uint32_t wirelen,
                                 enum sw_dec_net net, struct sw_packet *pkt)
{
	return sw_dec_ip(c, wirelen - cur_offset(c), net, pkt);
}

/* A payload that may or may not be IP (after MPLS, or NFLOG of another
 * family): IPv4 or IPv6 by the version nibble, anything else (e.g. an
 * MPLS pseudowire, ARP) is not IP. */
static enum sw_drop_reason guess_ip(struct pkt_cursor *c, uint32_t wire_left,
                                    struct sw_packet *pkt)
{
	uint8_t first;

	if (!cur_peek_u8(c, &first))
		return SW_DROP_IP_HEADER_TRUNCATED;
	switch (first >> 4) {
	case 4:
		return sw_dec_ip(c, wire_left, SW_NET_IPV4, pkt);
	case 6:
		return sw_dec_ip(c, wire_left, SW_NET_IPV6, pkt);
	default:
		return SW_DROP_NON_IP;
	}
}

/* MPLS: skips the label stack (bounded by the frame: every entry takes
 * 4 bytes), then guesses the payload. */
static enum sw_drop_reason dec_mpls(struct pkt_cursor *c, uint32_t wirelen,
                                    struct sw_packet *pkt)
{
	uint32_t lse;

	do {
		if (!cur_u32be(c, &lse))
			return SW_DROP_LINK_TRUNCATED;
	} while ((lse & MPLS_BOTTOM_OF_STACK) == 0);
	return guess_ip(c, wirelen - cur_offset(c), pkt);
}

/* PPPoE session stage: 6-byte PPPoE header, then the PPP protocol. */
static enum sw_drop_reason dec_pppoe(struct pkt_cursor *c, uint32_t wirelen,
                                     struct sw_packet *pkt)
{
	uint16_t ppp_proto;

	if (!cur_skip(c, 6) || !cur_u16be(c, &ppp_proto))
		return SW_DROP_LINK_TRUNCATED;
	switch (ppp_proto) {
	case PPP_IPV4:
		return to_ip(c, wirelen, SW_NET_IPV4, pkt);
	case PPP_IPV6:
		return to_ip(c, wirelen, SW_NET_IPV6, pkt);
	default:
		return SW_DROP_NON_IP;
	}
}

static bool is_vlan_tpid(uint16_t type)
{
	return type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ ||
	       type == ETHERTYPE_QINQ_OLD;
}

/* Everything after an EtherType: VLAN tags (outer first), then IPv4,
 * IPv6, MPLS or PPPoE. Shared by Ethernet and the cooked headers. */
static enum sw_drop_reason dec_ethertype(struct pkt_cursor *c, uint16_t type,
                                         uint32_t wirelen,
                                         struct sw_packet *pkt)
{
	unsigned tags = 0;
	uint16_t tci;

	while (is_vlan_tpid(type)) {
		if (tags == VLAN_TAGS_MAX)
			return SW_DROP_VLAN_TOO_DEEP;
		if (!cur_u16be(c, &tci) || !cur_u16be(c, &type))
			return SW_DROP_VLAN_TRUNCATED;
		if (tags < SW_MAX_VLAN_TAGS)
			pkt->vlan[tags] = tci & VLAN_VID_MASK;
		tags++;
	}
	pkt->n_vlan = (uint8_t)(tags < SW_MAX_VLAN_TAGS ? tags : SW_MAX_VLAN_TAGS);

	switch (type) {
	case ETHERTYPE_IPV4:
		return to_ip(c, wirelen, SW_NET_IPV4, pkt);
	case ETHERTYPE_IPV6:
		return to_ip(c, wirelen, SW_NET_IPV6, pkt);
	case ETHERTYPE_MPLS:
	case ETHERTYPE_MPLS_MCAST:
		return dec_mpls(c, wirelen, pkt);
	case ETHERTYPE_PPPOE_SESS:
		return dec_pppoe(c, wirelen, pkt);
	default:
		/* ARP, LLDP, ..., and 802.3 length fields (LLC frames). */
		return SW_DROP_NON_IP;
	}
}

/* Ethernet II: destination, source, EtherType. */
enum sw_drop_reason sw_dec_ethernet(struct pkt_cursor *c, uint32_t wirelen,
                                    struct sw_packet *pkt)
{
	uint16_t type;

	if (!cur_skip(c, ETHER_ADDRS_LEN) || !cur_u16be(c, &type))
		return SW_DROP_LINK_TRUNCATED;
	return dec_ethertype(c, type, wirelen, pkt);
}

/* Linux cooked v1 (16 bytes): packet type, ARPHRD type, address length,
 * 8 address bytes, protocol. */
enum sw_drop_reason sw_dec_sll(struct pkt_cursor *c, uint32_t wirelen,
                               struct sw_packet *pkt)
{
	uint16_t pkttype, hatype, halen, proto;

	if (!cur_u16be(c, &pkttype) || !cur_u16be(c, &hatype) ||
	    !cur_u16be(c, &halen) || !cur_skip(c, SLL_ADDR_LEN) ||
	    !cur_u16be(c, &proto))
		return SW_DROP_LINK_TRUNCATED;
	if (hatype == ARPHRD_NETLINK)
		return SW_DROP_NON_IP;
	return dec_ethertype(c, proto, wirelen, pkt);
}

/* Linux cooked v2 (20 bytes), as `tcpdump -i any` writes: protocol,
 * reserved, interface index, ARPHRD type, packet type, address length,
 * 8 address bytes. */
enum sw_drop_reason sw_dec_sll2(struct pkt_cursor *c, uint32_t wirelen,
                                struct sw_packet *pkt)
{
	uint16_t proto, reserved, hatype;
	uint32_t ifindex;
	uint8_t pkttype, halen;

	if (!cur_u16be(c, &proto) || !cur_u16be(c, &reserved) ||
	    !cur_u32be(c, &ifindex) || !cur_u16be(c, &hatype) ||
	    !cur_u8(c, &pkttype) || !cur_u8(c, &halen) ||
	    !cur_skip(c, SLL_ADDR_LEN))
		return SW_DROP_LINK_TRUNCATED;
	if (hatype == ARPHRD_NETLINK)
		return SW_DROP_NON_IP;
	return dec_ethertype(c, proto, wirelen, pkt);
}

static uint32_t bswap32(uint32_t v)
{
	return v >> 24 | (v >> 8 & 0xff00) | (v << 8 & 0xff0000) | v << 24;
}

/* DLT_NULL (family in the capturing host's order) and DLT_LOOP (network
 * order). Families are small numbers, so a value with its upper half set
 * is in the other byte order: both are accepted, as tcpdump does. */
enum sw_drop_reason sw_dec_null(struct pkt_cursor *c, uint32_t wirelen,
                                struct sw_packet *pkt)
{
	uint32_t family;

	if (!cur_u32be(c, &family))
		return SW_DROP_LINK_TRUNCATED;
	if (family & 0xffff0000u)
		family = bswap32(family);
	switch (family) {
	case NULL_AF_INET:
		return to_ip(c, wirelen, SW_NET_IPV4, pkt);
	case NULL_AF_INET6_LINUX:
	case NULL_AF_INET6_BSD:
	case NULL_AF_INET6_FREEBSD:
	case NULL_AF_INET6_DARWIN:
		return to_ip(c, wirelen, SW_NET_IPV6, pkt);
	default:
		return SW_DROP_NON_IP;
	}
}

/* NFLOG: a 4-byte header (family, version, resource id), then TLVs with
 * a host-order length (including the 4-byte TLV header) and type, each
 * padded to 4 bytes. The payload TLV holds the IP packet. A message
 * without one (copy range 0) or with a broken TLV is link_truncated. */
enum sw_drop_reason sw_dec_nflog(struct pkt_cursor *c, uint32_t wirelen,
                                 struct sw_packet *pkt)
{
	uint8_t family, version;
	uint16_t resid, tlv_len, tlv_type;
	struct pkt_cursor ip;
	enum sw_dec_net net;
	uint32_t body;

	(void)wirelen; /* the payload TLV's length bounds the IP packet */
	if (!cur_u8(c, &family) || !cur_u8(c, &version) ||
	    !cur_u16be(c, &resid))
		return SW_DROP_LINK_TRUNCATED;
	net = family == NULL_AF_INET          ? SW_NET_IPV4
	      : family == NULL_AF_INET6_LINUX ? SW_NET_IPV6
	                                      : SW_NET_GUESS;

	while (cur_u16he(c, &tlv_len) && cur_u16he(c, &tlv_type)) {
		if (tlv_len < NFLOG_TLV_HDR_LEN)
			return SW_DROP_LINK_TRUNCATED;
		body = tlv_len - NFLOG_TLV_HDR_LEN;
		if ((tlv_type & NFLOG_TLV_TYPE_MASK) == NFULA_PAYLOAD) {
			cur_sub_upto(c, body, &ip);
			if (net == SW_NET_GUESS)
				return guess_ip(&ip, body, pkt);
			return sw_dec_ip(&ip, body, net, pkt);
		}
		/* Padding of the last TLV may be cut: then there is nothing
		 * left to find anyway. */
		body = (body + NFLOG_TLV_ALIGN - 1) & ~(uint32_t)(NFLOG_TLV_ALIGN - 1);
		if (!cur_skip(c, body))
			return SW_DROP_LINK_TRUNCATED;
	}
	return SW_DROP_LINK_TRUNCATED;
}
