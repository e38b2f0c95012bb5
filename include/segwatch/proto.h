/*
 * proto.h - IP protocol numbers used across segwatch.
 */
#ifndef SEGWATCH_PROTO_H
#define SEGWATCH_PROTO_H

#define SW_PROTO_ICMP 1
#define SW_PROTO_TCP 6
#define SW_PROTO_UDP 17
#define SW_PROTO_ICMPV6 58
#define SW_PROTO_SCTP 132

#include <stdint.h>

/* "tcp", "udp", "icmp", "icmpv6", "sctp", or NULL for other protocols. */
const char *sw_proto_name(uint8_t proto);

#endif
