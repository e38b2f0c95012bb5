/*
 * decode_internal.h - how the decoder's layers hand a frame to each other.
 *
 * decode.c picks a link-layer dissector by DLT (decode_link.c), which
 * finds the network layer and calls sw_dec_ip() (decode_ip.c), which
 * calls sw_dec_l4() (decode_l4.c) on the IP payload. ICMP errors come
 * back to decode_ip.c for the quoted header (sw_dec_ip_quote()).
 * Not part of the public API; everything here borrows the frame.
 */
#ifndef SEGWATCH_DECODE_INTERNAL_H
#define SEGWATCH_DECODE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "segwatch/decode.h"
#include "pkt_cursor.h"

/* IP versions a link layer can announce to sw_dec_ip(). */
enum sw_dec_net {
	SW_NET_GUESS = 0, /* by the version nibble (raw IP, MPLS) */
	SW_NET_IPV4 = 4,
	SW_NET_IPV6 = 6
};

/* IP protocol numbers the decoder looks at. */
enum {
	SW_IPPROTO_HOPOPTS = 0,
	SW_IPPROTO_ICMP = 1,
	SW_IPPROTO_TCP = 6,
	SW_IPPROTO_UDP = 17,
	SW_IPPROTO_ROUTING = 43,
	SW_IPPROTO_FRAGMENT = 44,
	SW_IPPROTO_GRE = 47,
	SW_IPPROTO_ESP = 50,
	SW_IPPROTO_AH = 51,
	SW_IPPROTO_ICMPV6 = 58,
	SW_IPPROTO_NONE = 59,
	SW_IPPROTO_DSTOPTS = 60,
	SW_IPPROTO_SCTP = 132,
	SW_IPPROTO_MH = 135,
	SW_IPPROTO_HIP = 139,
	SW_IPPROTO_SHIM6 = 140
};

/* Link layers (decode_link.c). c covers the captured frame; wirelen is
 * the frame's original length, never less than c's length. */
enum sw_drop_reason sw_dec_ethernet(struct pkt_cursor *c, uint32_t wirelen,
                                    struct sw_packet *pkt);
enum sw_drop_reason sw_dec_sll(struct pkt_cursor *c, uint32_t wirelen,
                               struct sw_packet *pkt);
enum sw_drop_reason sw_dec_sll2(struct pkt_cursor *c, uint32_t wirelen,
                                struct sw_packet *pkt);
/* DLT_NULL and DLT_LOOP: a 4-byte address family, either byte order. */
enum sw_drop_reason sw_dec_null(struct pkt_cursor *c, uint32_t wirelen,
                                struct sw_packet *pkt);
enum sw_drop_reason sw_dec_nflog(struct pkt_cursor *c, uint32_t wirelen,
                                 struct sw_packet *pkt);

/* The IP layer (decode_ip.c). c starts at the IP header and holds the
 * captured bytes; wire_left is how many bytes the frame had from there
 * on (the bound for the IP length fields). net says which version the
 * link layer announced. Fills addresses, proto, ip_bytes, frag and
 * frag_id, then decodes L4 unless the packet is a later fragment. */
enum sw_drop_reason sw_dec_ip(struct pkt_cursor *c, uint32_t wire_left,
                              enum sw_dec_net net, struct sw_packet *pkt);

/* The IP header quoted by an ICMP error: fills q's addresses and proto
 * and points *l4 at the quoted transport bytes. False when the quote is
 * too short, malformed, or a later fragment (no transport header). */
bool sw_dec_ip_quote(struct pkt_cursor *c, struct sw_quoted *q,
                     struct pkt_cursor *l4);

/* The transport layer (decode_l4.c). c holds the captured IP payload,
 * l4_len is its declared length (from the IP header), pkt->proto and
 * the addresses are already set. */
enum sw_drop_reason sw_dec_l4(struct pkt_cursor *c, uint32_t l4_len,
                              struct sw_packet *pkt);

#endif
