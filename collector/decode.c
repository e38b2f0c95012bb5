/*
 * decode.c - the decoder's public entry: picks the link-layer dissector
 * for a DLT (see include/segwatch/decode.h) and names the drop reasons.
 */
#include "segwatch/decode.h"

#include <stddef.h>
#include <string.h>

#include <pcap/dlt.h>

#include "decode_internal.h"
#include "pkt_cursor.h"



static const char *const drop_names[] = {
	[SW_DROP_NONE] = "none",
	[SW_DROP_NON_IP] = "non_ip",
	[SW_DROP_LINKTYPE_UNSUPPORTED] = "linktype_unsupported",
	[SW_DROP_LINK_TRUNCATED] = "link_truncated",
	[SW_DROP_VLAN_TRUNCATED] = "vlan_truncated",
	[SW_DROP_VLAN_TOO_DEEP] = "vlan_too_deep",
	[SW_DROP_IP_HEADER_TRUNCATED] = "ip_header_truncated",
	[SW_DROP_BAD_IP_VERSION] = "bad_ip_version",
	[SW_DROP_BAD_IP_HEADER_LENGTH] = "bad_ip_header_length",
	[SW_DROP_BAD_IP_LENGTH] = "bad_ip_length",
	[SW_DROP_IPV6_EXT_TRUNCATED] = "ipv6_ext_truncated",
	[SW_DROP_IPV6_EXT_CHAIN_TOO_LONG] = "ipv6_ext_chain_too_long",
	[SW_DROP_TCP_HEADER_TRUNCATED] = "tcp_header_truncated",
	[SW_DROP_BAD_TCP_OFFSET] = "bad_tcp_offset",
	[SW_DROP_UDP_HEADER_TRUNCATED] = "udp_header_truncated",
	[SW_DROP_SCTP_HEADER_TRUNCATED] = "sctp_header_truncated",
	[SW_DROP_ICMP_HEADER_TRUNCATED] = "icmp_header_truncated",
	[SW_DROP_IPV6_MAPPED_ADDRESS] = "ipv6_mapped_address",
};

/* Catches a reason appended to the enum without a name; a gap in the
 * middle is caught by tests/test_decode.c (no name may be NULL). */
_Static_assert(SW_ARRAY_SIZE(drop_names) == SW_DROP_REASON_COUNT,
               "every enum sw_drop_reason needs a name in drop_names");

/* sw_decode() keeps ts_ns, which the caller sets, and zeroes the rest. */
_Static_assert(offsetof(struct sw_packet, ts_ns) == 0,
               "ts_ns must stay the first member of struct sw_packet");

const char *sw_drop_reason_name(enum sw_drop_reason r)
{
	if ((unsigned)r >= SW_ARRAY_SIZE(drop_names) || drop_names[r] == NULL)
		return "unknown";
	return drop_names[r];
}

bool sw_decode_supports_dlt(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_RAW:
	case SW_LINKTYPE_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_NULL:
	case DLT_LOOP:
	case DLT_NFLOG:
		return true;
	default:
		return false;
	}
}

enum sw_drop_reason sw_decode(int dlt, const uint8_t *data, uint32_t caplen,
                              uint32_t wirelen, struct sw_packet *pkt)
{
	struct pkt_cursor c;

	memset((char *)pkt + sizeof(pkt->ts_ns), 0,
	       sizeof(*pkt) - sizeof(pkt->ts_ns));
	cur_init(&c, data, caplen);
	/* A frame cannot have been shorter than what was captured of it. */
	if (wirelen < cur_left(&c))
		wirelen = cur_left(&c);

	switch (dlt) {
	case DLT_EN10MB:
		return sw_dec_ethernet(&c, wirelen, pkt);
	case DLT_LINUX_SLL:
		return sw_dec_sll(&c, wirelen, pkt);
	case DLT_LINUX_SLL2:
		return sw_dec_sll2(&c, wirelen, pkt);
	case DLT_RAW:
	case SW_LINKTYPE_RAW:
		return sw_dec_ip(&c, wirelen, SW_NET_GUESS, pkt);
	case DLT_IPV4:
		return sw_dec_ip(&c, wirelen, SW_NET_IPV4, pkt);
	case DLT_IPV6:
		return sw_dec_ip(&c, wirelen, SW_NET_IPV6, pkt);
	case DLT_NULL:
	case DLT_LOOP:
		return sw_dec_null(&c, wirelen, pkt);
	case DLT_NFLOG:
		return sw_dec_nflog(&c, wirelen, pkt);
	default:
		return SW_DROP_LINKTYPE_UNSUPPORTED;
	}
}
