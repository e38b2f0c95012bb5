/*
 * eve.h - violation events as JSON Lines for SIEM shippers (Vector,
 * Fluent Bit, Filebeat), one compact object per line, named after
 * Suricata's EVE JSON:
 *
 *   {"timestamp":"2026-11-25T12:00:00.000000000Z","flow_id":17,
 *    "event_type":"violation","src_ip":"10.1.0.1","src_port":40000,
 *    "dest_ip":"10.2.0.5","dest_port":5432,"proto":"TCP",
 *    "violation":{"id":3,"reason":"denied_ingress","verdict":"denied",
 *      "src":"shop/web","src_endpoint":"shop/web",
 *      "dest":"shop/db","dest_endpoint":"shop/db",
 *      "summary":"ingress of shop/db (isolated by shop/deny): ...",
 *      "fw_verdict":"drop","fw_prefix":"DROP web->db"}}
 *
 * timestamp (RFC 3339, UTC, nanoseconds) and flow_id are those of the
 * violation's first flow, and so are src_ip, src_port, dest_ip and
 * dest_port. proto is "TCP", "UDP", "SCTP", "ICMP", "IPv6-ICMP" or the
 * protocol number. ICMP events carry icmp_type and icmp_code instead of
 * ports; other protocols without ports carry neither. In "violation",
 * src/dest are the identities (endpoint id, or the external address),
 * src_endpoint/dest_endpoint are null for external addresses, and
 * fw_verdict/fw_prefix appear only when a firewall log (NFLOG) was seen
 * for one of its flows by the time the event is written.
 */
#ifndef SEGWATCH_EVE_H
#define SEGWATCH_EVE_H

#include <stdint.h>
#include <stdio.h>

#include "segwatch/baseline.h"
#include "segwatch/error.h"
#include "segwatch/violations.h"

struct sw_eve;

/* Borrows out (the caller closes it after sw_eve_free). Returns NULL with
 * err set (SW_ERR_NOMEM). */
struct sw_eve *sw_eve_new(FILE *out, struct sw_err *err) SW_WUR;

/* The event object of v (new reference, caller releases with
 * json_decref), or NULL when out of memory. */
struct json_t;
struct json_t *sw_eve_violation_json(const struct sw_violation *v);

/* Writes v's event as one line and flushes it, so a shipper tailing the
 * file never reads half an event. A failed write is remembered and
 * reported by sw_eve_free. */
void sw_eve_write_violation(struct sw_eve *e, const struct sw_violation *v);

/* Anomalies (baseline.h) go out as event_type "anomaly": timestamp (when
 * detected), proto and dest_port (not for fan-out), and "anomaly": {id
 * (the store's row, 0 when not stored), kind, src, dest (null for
 * fan-out), src_namespace, dest_namespace, score, evidence}. */
struct json_t *sw_eve_anomaly_json(const struct sw_anomaly *a, int64_t id);
void sw_eve_write_anomaly(struct sw_eve *e, const struct sw_anomaly *a, int64_t id);

/* Events written so far. */
uint64_t sw_eve_count(const struct sw_eve *e);

/* Flushes; returns SW_ERR_IO or SW_ERR_NOMEM (err set) when any event was
 * lost. Frees e; NULL is a no-op returning SW_OK. */
enum sw_status sw_eve_free(struct sw_eve *e, struct sw_err *err);

#endif
