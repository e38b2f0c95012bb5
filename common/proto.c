/*
 * proto.c - names of the IP protocols segwatch knows (see proto.h).
 */
#include "segwatch/proto.h"

#include <stddef.h>

const char *sw_proto_name(uint8_t proto)
{
	switch (proto) {
	case SW_PROTO_TCP: return "tcp";
	case SW_PROTO_UDP: return "udp";
	case SW_PROTO_ICMP: return "icmp";
	case SW_PROTO_ICMPV6: return "icmpv6";
	case SW_PROTO_SCTP: return "sctp";
	}
	return NULL;
}
