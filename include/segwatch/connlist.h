/*
 * connlist.h - every connection a compiled policy allows, in a form other
 * tools can diff against.
 *
 * One entry per (source, destination, protocol) with at least one allowed
 * port, between endpoints and the external space:
 *   SRC DST PROTO PORTS
 * SRC/DST is an endpoint id "ns/name" or "ext:FIRST-LAST" (an inclusive
 * external address range); PROTO is TCP, UDP or SCTP; PORTS is an
 * ascending comma-separated list of maximal ranges "N" or "N-M" within
 * 1-65535 (port 0 is not connectable). External ranges are maximal runs of
 * consecutive external addresses with identical connection sets, per
 * endpoint and direction, IPv4 and IPv6 separately (the IPv4-mapped block
 * ::ffff:0:0/96 is not part of the IPv6 space: an IPv6 run may span it).
 * No entry for an endpoint to itself, none between external ranges.
 * Entries are sorted in byte order of their text line.
 */
#ifndef SEGWATCH_CONNLIST_H
#define SEGWATCH_CONNLIST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "segwatch/error.h"
#include "segwatch/match.h"

struct sw_conn {
	const char *src;   /* "ns/name" or "ext:FIRST-LAST" */
	const char *dst;
	uint8_t proto;     /* SW_PROTO_TCP, _UDP or _SCTP */
	size_t n_ranges;   /* >= 1 */
	const struct sw_port_range *ranges; /* ascending, disjoint, non-adjacent */
	const char *line;  /* the whole text line, without newline */
};

struct sw_connlist;

/* Enumerates every allowed connection of m. Borrows m only during the
 * call. On SW_OK *out is set; caller frees with sw_connlist_free.
 * Errors: SW_ERR_NOMEM. */
enum sw_status sw_connlist_build(const struct sw_matcher *m, struct sw_connlist **out,
                                 struct sw_err *err) SW_WUR;

/* NULL is a no-op. */
void sw_connlist_free(struct sw_connlist *cl);

size_t sw_connlist_count(const struct sw_connlist *cl);
/* Entry i (0 <= i < count), valid until sw_connlist_free. */
const struct sw_conn *sw_connlist_get(const struct sw_connlist *cl, size_t i);

/* One line per entry. SW_ERR_IO when writing fails. */
enum sw_status sw_connlist_write_text(const struct sw_connlist *cl, FILE *f) SW_WUR;

/* A JSON array of {"src", "dst", "proto", "ports": [[lo, hi], ...]} in the
 * same order, one object per line. SW_ERR_IO / SW_ERR_NOMEM. */
enum sw_status sw_connlist_write_json(const struct sw_connlist *cl, FILE *f) SW_WUR;

/* "TCP", "UDP" or "SCTP"; NULL for other protocols. */
const char *sw_connlist_proto_name(uint8_t proto);

#endif
