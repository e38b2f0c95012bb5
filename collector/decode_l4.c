/*
 * decode_l4.c - the transport layer: ports of TCP, UDP and SCTP, TCP
 * flags, ICMP/ICMPv6 type and code, and the 5-tuple an ICMP error
 * quotes. Other protocols are protocol-only flows (ports 0).
 *
 * ICMP and ICMPv6 need their whole 4-byte fixed header (type, code,
 * checksum) captured, else icmp_header_truncated; the same 4 bytes are
 * needed from a quoted ICMP message. A quoted packet is never itself
 * searched for a quote.
 */
#include <stdbool.h>
#include <stdint.h>

#include "decode_internal.h"
#include "pkt_cursor.h"

#define TCP_HDR_LEN 20
#define UDP_HDR_LEN 8
#define SCTP_HDR_LEN 12
#define ICMP_HDR_LEN 4
/* type, code, checksum, then 4 type-specific bytes before the quote */
#define ICMP_ERR_REST_LEN 4
/* Enough of a quoted transport header for ports or type and code. */
#define QUOTE_L4_LEN 4

/* ICMP error types, as bit masks over the type number. */
#define BIT(n) (1u << (n))
#define ICMP4_ERRORS (BIT(3) | BIT(4) | BIT(5) | BIT(11) | BIT(12))
#define ICMP6_ERRORS (BIT(1) | BIT(2) | BIT(3) | BIT(4))

static enum sw_drop_reason dec_tcp(struct pkt_cursor *c, uint32_t l4_len,
                                   struct sw_packet *pkt)
{
	struct pkt_cursor h;
	uint16_t sport, dport;
	uint8_t off, flags;
	uint32_t doff;

	/* c holds at most l4_len bytes, so a header longer than the IP
	 * payload is caught here too. */
	if (!cur_sub(c, TCP_HDR_LEN, &h) || !cur_u16be(&h, &sport) ||
	    !cur_u16be(&h, &dport) || !cur_skip(&h, 8) || !cur_u8(&h, &off) ||
	    !cur_u8(&h, &flags))
		return SW_DROP_TCP_HEADER_TRUNCATED;
	doff = (uint32_t)(off >> 4) * 4;
	if (doff < TCP_HDR_LEN || doff > l4_len)
		return SW_DROP_BAD_TCP_OFFSET;
	pkt->sport = sport;
	pkt->dport = dport;
	pkt->tcp_flags = flags;
	return SW_DROP_NONE;
}

/* UDP and SCTP: ports first, the rest of the fixed header must be there. */
static enum sw_drop_reason dec_ports(struct pkt_cursor *c, uint32_t hdr_len,
                                     enum sw_drop_reason truncated,
                                     struct sw_packet *pkt)
{
	struct pkt_cursor h;
	uint16_t sport, dport;

	if (!cur_sub(c, hdr_len, &h) || !cur_u16be(&h, &sport) ||
	    !cur_u16be(&h, &dport))
		return truncated;
	pkt->sport = sport;
	pkt->dport = dport;
	return SW_DROP_NONE;
}

/* Ports of the quoted transport header: for TCP, UDP and SCTP the first
 * 4 bytes, for ICMP type and code; other protocols have none. */
static bool quote_ports(struct pkt_cursor *l4, struct sw_quoted *q)
{
	struct pkt_cursor h;
	uint8_t type, code;

	switch (q->proto) {
	case SW_IPPROTO_TCP:
	case SW_IPPROTO_UDP:
	case SW_IPPROTO_SCTP:
		return cur_sub(l4, QUOTE_L4_LEN, &h) && cur_u16be(&h, &q->sport) &&
		       cur_u16be(&h, &q->dport);
	case SW_IPPROTO_ICMP:
	case SW_IPPROTO_ICMPV6:
		if (!cur_sub(l4, QUOTE_L4_LEN, &h) || !cur_u8(&h, &type) ||
		    !cur_u8(&h, &code))
			return false;
		q->sport = type;
		q->dport = code;
		return true;
	default:
		q->sport = 0;
		q->dport = 0;
		return true;
	}
}

/* c is positioned after the ICMP fixed header of an error message. */
static void dec_icmp_quote(struct pkt_cursor *c, struct sw_packet *pkt)
{
	struct sw_quoted q;
	struct pkt_cursor l4;

	if (!cur_skip(c, ICMP_ERR_REST_LEN) || !sw_dec_ip_quote(c, &q, &l4) ||
	    !quote_ports(&l4, &q))
		return;
	pkt->quoted = q;
	pkt->icmp_error = true;
}

static enum sw_drop_reason dec_icmp(struct pkt_cursor *c, uint32_t errors,
                                    struct sw_packet *pkt)
{
	struct pkt_cursor h;
	uint8_t type, code;

	if (!cur_sub(c, ICMP_HDR_LEN, &h) || !cur_u8(&h, &type) ||
	    !cur_u8(&h, &code))
		return SW_DROP_ICMP_HEADER_TRUNCATED;
	pkt->sport = type;
	pkt->dport = code;
	if (type < 32 && (errors & BIT(type)))
		dec_icmp_quote(c, pkt);
	return SW_DROP_NONE;
}

enum sw_drop_reason sw_dec_l4(struct pkt_cursor *c, uint32_t l4_len,
                              struct sw_packet *pkt)
{
	switch (pkt->proto) {
	case SW_IPPROTO_TCP:
		return dec_tcp(c, l4_len, pkt);
	case SW_IPPROTO_UDP:
		return dec_ports(c, UDP_HDR_LEN, SW_DROP_UDP_HEADER_TRUNCATED, pkt);
	case SW_IPPROTO_SCTP:
		return dec_ports(c, SCTP_HDR_LEN, SW_DROP_SCTP_HEADER_TRUNCATED,
		                 pkt);
	case SW_IPPROTO_ICMP:
		return dec_icmp(c, ICMP4_ERRORS, pkt);
	case SW_IPPROTO_ICMPV6:
		return dec_icmp(c, ICMP6_ERRORS, pkt);
	default:
		return SW_DROP_NONE;
	}
}
