/*
 * decode.h - packet decoder: link layer -> VLANs -> IPv4/IPv6 -> L4.
 *
 * Turns one captured frame into the few facts the flow table needs.
 * Every byte is read through collector/pkt_cursor.h, never past caplen.
 * A frame that cannot be decoded is not an error of the program: it is a
 * drop with a reason, counted by the caller (see sw_drop_reason_name()).
 *
 * Bytes are counted at the IP layer (IP header + payload, from the IP
 * length fields), the convention of NetFlow/IPFIX and Zeek.
 */
#ifndef SEGWATCH_DECODE_H
#define SEGWATCH_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "segwatch/addr.h"
#include "segwatch/proto.h"

/* Link types we decode, by their DLT_ numbers as pcap_datalink() returns
 * them (see pcap/dlt.h). Anything else is SW_DROP_LINKTYPE_UNSUPPORTED. */
#include <pcap/dlt.h>

/* Older pcap/dlt.h may lack the newer link types; the numbers are fixed. */
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif
#ifndef DLT_NFLOG
#define DLT_NFLOG 239
#endif
#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
/* The LINKTYPE_ value of raw IP in savefiles. pcap_datalink() maps it to
 * DLT_RAW, but a reader of the file header may hand it on unmapped. */
#define SW_LINKTYPE_RAW 101

/* Why a frame did not become a packet. Keep sw_drop_reason_name() in step. */
enum sw_drop_reason {
	SW_DROP_NONE = 0,
	SW_DROP_NON_IP,                 /* ARP, LLDP, ...: not an error, counted */
	SW_DROP_LINKTYPE_UNSUPPORTED,
	SW_DROP_LINK_TRUNCATED,         /* shorter than the link header */
	SW_DROP_VLAN_TRUNCATED,
	SW_DROP_VLAN_TOO_DEEP,          /* more tags than SW_MAX_VLAN_TAGS + spare */
	SW_DROP_IP_HEADER_TRUNCATED,
	SW_DROP_BAD_IP_VERSION,         /* version nibble does not match the link */
	SW_DROP_BAD_IP_HEADER_LENGTH,   /* IPv4 IHL < 5, or beyond the frame */
	SW_DROP_BAD_IP_LENGTH,          /* total/payload length inconsistent */
	SW_DROP_IPV6_EXT_TRUNCATED,
	SW_DROP_IPV6_EXT_CHAIN_TOO_LONG,
	SW_DROP_TCP_HEADER_TRUNCATED,
	SW_DROP_BAD_TCP_OFFSET,         /* data offset < 5 or beyond the packet */
	SW_DROP_UDP_HEADER_TRUNCATED,
	SW_DROP_SCTP_HEADER_TRUNCATED,
	SW_DROP_ICMP_HEADER_TRUNCATED,
	SW_DROP_IPV6_MAPPED_ADDRESS,    /* an IPv6 address in ::ffff:0:0/96, not
	                                 * valid on the wire (RFC 4291 2.5.5.2),
	                                 * would read as the IPv4 host */
	SW_DROP_REASON_COUNT
};

/* Stable snake_case name, e.g. "ip_header_truncated". */
const char *sw_drop_reason_name(enum sw_drop_reason r);

#define SW_MAX_VLAN_TAGS 2

enum sw_frag {
	SW_FRAG_NONE = 0,   /* not a fragment */
	SW_FRAG_FIRST,      /* offset 0, more fragments: carries the L4 header */
	SW_FRAG_LATER       /* offset > 0: no L4 header, match by frag_id */
};

/* Firewall metadata of an NFLOG frame (segwatch/source.h). */
struct sw_fw_meta;

/* The 5-tuple of the packet an ICMP error quotes, as that packet was sent
 * (src is the original sender). */
struct sw_quoted {
	struct sw_addr src, dst;
	uint16_t sport, dport;
	uint8_t proto;
};

struct sw_packet {
	uint64_t ts_ns;          /* set by the caller, not by sw_decode() */
	struct sw_addr src, dst;
	/* TCP/UDP/SCTP ports. For ICMP/ICMPv6: sport = type, dport = code.
	 * 0 for other protocols and for later fragments. */
	uint16_t sport, dport;
	uint16_t vlan[SW_MAX_VLAN_TAGS]; /* outer first; 0 = no tag */
	uint8_t n_vlan;
	uint8_t proto;           /* IP protocol number (after IPv6 ext headers) */
	uint8_t tcp_flags;       /* FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 URG 0x20 ECE 0x40 CWR 0x80 */
	uint8_t ip_version;      /* 4 or 6 */
	enum sw_frag frag;
	uint32_t frag_id;        /* IPv4 id or IPv6 fragment identification */
	uint32_t ip_bytes;       /* IP-layer length: header + payload */
	bool icmp_error;         /* an ICMP/ICMPv6 error with a decodable quote */
	struct sw_quoted quoted; /* valid when icmp_error */
	/* What the firewall log rule said (NFLOG sources), or NULL. Set by
	 * the caller like ts_ns (sw_decode() leaves it NULL); borrowed. */
	const struct sw_fw_meta *fw;
};

/* TCP flag bits, as on the wire. */
#define SW_TCP_FIN 0x01
#define SW_TCP_SYN 0x02
#define SW_TCP_RST 0x04
#define SW_TCP_PSH 0x08
#define SW_TCP_ACK 0x10
#define SW_TCP_URG 0x20
#define SW_TCP_ECE 0x40
#define SW_TCP_CWR 0x80

/* Decodes one frame of link type dlt (a DLT_ value). caplen is how many
 * bytes of data are valid, wirelen the frame's original length.
 * Returns SW_DROP_NONE and fills *pkt (except ts_ns), or the reason the
 * frame was dropped (then *pkt is unspecified). Never reads past caplen;
 * borrows data only for the duration of the call. */
enum sw_drop_reason sw_decode(int dlt, const uint8_t *data, uint32_t caplen,
                              uint32_t wirelen, struct sw_packet *pkt);

/* True when dlt is one of the link types sw_decode() understands. */
bool sw_decode_supports_dlt(int dlt);

#endif
