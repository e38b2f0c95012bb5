/*
 * violations.h - judged flows become violations: every flow is judged by
 * the policy engine when it starts, and the denied ones are aggregated into
 * deduplicated violations whose counters follow their flows to the end.
 *
 * Judging: at SW_FLOW_START the initiator -> responder direction is judged
 * with sw_matcher_judge(src, dst, proto, dport); protocols without ports
 * (ICMP, ICMPv6, anything but TCP, UDP and SCTP) are judged and keyed with
 * port 0. The judgement lives in the flow's `user` slot, so the flow's
 * counters are attributed to its violation when it is updated and when it
 * ends. A flow whose initiator the flow table corrects later (a SYN seen
 * after a midstream start) keeps the judgement made at its start; its
 * counters are still attributed in the judged orientation, and it is
 * counted in direction_changed.
 *
 * Deduplication key: (source identity, destination identity, protocol,
 * destination port, reason). An identity is the inventory endpoint, or, for
 * an address that belongs to no endpoint, the address itself. So a port
 * scan from one source makes one violation per scanned (destination, port),
 * never one per flow; scans from many external addresses make one per
 * address. Memory is bounded: at most max_violations violations are held;
 * a denied flow whose key is new when the cap is reached is counted in
 * overflow_flows and otherwise dropped.
 *
 * Each violation keeps first/last seen, the number of flows, packets and
 * bytes in both directions, up to SW_VIOLATION_SAMPLES sample flows (the
 * first ones), the strongest firewall verdict (NFLOG) of its flows, and an
 * explanation computed once, when the violation is created.
 *
 * Observers (the store, an event stream) register one callback: it hears
 * SW_VIOLATION_NEW when a violation is created (its first flow counted,
 * counters still 0: the flow table announces a flow before accounting its
 * first packet) and SW_VIOLATION_UPDATED whenever a later event changes it
 * (another flow, counters, last seen, firewall verdict).
 *
 * Not thread-safe: one table per flow table, on the flow table's thread.
 */
#ifndef SEGWATCH_VIOLATIONS_H
#define SEGWATCH_VIOLATIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segwatch/addr.h"
#include "segwatch/error.h"
#include "segwatch/flowtable.h"
#include "segwatch/match.h"

/* Sample flows kept per violation: the first flows of its key. */
#define SW_VIOLATION_SAMPLES 5
/* Default and largest bound on distinct violations. A violation with its
 * explanation and summary takes about 1 KiB (the default: about 64 MiB). */
#define SW_VIOLATIONS_DEFAULT_MAX 65536
#define SW_VIOLATIONS_LIMIT (1u << 24)

/* A flow as a violation remembers it (its 5-tuple as judged). */
struct sw_violation_sample {
	uint64_t flow_id;
	struct sw_addr src;
	struct sw_addr dst;
	uint16_t sport;          /* ICMP: request type */
	uint16_t dport;          /* ICMP: code */
	uint8_t proto;
	uint64_t first_ns;
};

/* One violation. Owned by the table; pointers stay valid until
 * sw_violations_free(); fields change only inside sw_violations_flow(). */
struct sw_violation {
	uint64_t id;             /* 1, 2, ... in order of creation */
	/* the key */
	long src_ep;             /* inventory index, -1 for an external address */
	long dst_ep;
	const char *src_id;      /* endpoint id "ns/name", NULL when external
	                          * (points into the inventory) */
	const char *dst_id;
	struct sw_addr src_addr; /* external: the identity; endpoint: the
	                          * address of the first flow */
	struct sw_addr dst_addr;
	uint8_t proto;
	uint16_t port;           /* destination port; 0 for protocols without */
	enum sw_reason reason;   /* SW_REASON_DENIED_* */
	/* what its flows did */
	uint64_t first_ns;       /* start of the first flow */
	uint64_t last_ns;        /* latest last-seen of any flow */
	uint64_t flows;
	uint64_t pkts[2];        /* [0] source -> destination, [1] back */
	uint64_t bytes[2];       /* IP-layer bytes */
	uint8_t fw_verdict;      /* enum sw_fw_verdict: strongest of its flows */
	char fw_prefix[SW_FW_PREFIX_MAX]; /* the log prefix that set it (valid
	                          * UTF-8: invalid bytes become '?'), "" */
	size_t n_samples;
	struct sw_violation_sample samples[SW_VIOLATION_SAMPLES];
	/* why: computed once, at creation; NULL if that ran out of memory */
	const struct sw_explanation *explanation;
	const char *summary;     /* one line, e.g. "ingress of prod/db
	                          * (isolated by prod/default-deny): no ingress
	                          * rule admits prod/web on tcp/5432"; both
	                          * sides joined by "; "; never NULL */
};

enum sw_violation_event { SW_VIOLATION_NEW, SW_VIOLATION_UPDATED };

/* Hears every change. v is valid until sw_violations_free(); f is the flow
 * whose event caused it (valid only during the call). */
typedef void (*sw_violation_fn)(void *ctx, enum sw_violation_event ev,
                                const struct sw_violation *v, const struct sw_flow *f);

/* How explanations are computed: sw_matcher_explain (the default) or a
 * caller's function with the same contract (tests count calls through it;
 * a cache could sit here). */
typedef enum sw_status (*sw_explain_fn)(void *ctx, const struct sw_matcher *m,
                                        const struct sw_addr *src, const struct sw_addr *dst,
                                        uint8_t proto, uint16_t dport,
                                        struct sw_explanation **out);

struct sw_violations_config {
	size_t max_violations;   /* 0: SW_VIOLATIONS_DEFAULT_MAX; at most
	                          * SW_VIOLATIONS_LIMIT */
	sw_violation_fn on_change;  /* may be NULL */
	void *on_change_ctx;
	sw_explain_fn explain;   /* NULL: sw_matcher_explain */
	void *explain_ctx;
};

struct sw_violations_stats {
	uint64_t flows_judged;
	uint64_t allowed;
	uint64_t denied;
	uint64_t by_reason[SW_REASON_COUNT];
	uint64_t not_covered;    /* allowed because no side is isolated
	                          * (reason not_isolated), external -> external
	                          * included */
	uint64_t violations;     /* distinct violations held */
	uint64_t overflow_flows; /* denied flows not recorded: cap reached */
	uint64_t nomem_flows;    /* denied flows not recorded or not followed
	                          * to their end: out of memory */
	uint64_t explain_failures; /* violations without explanation or summary
	                          * (memory) */
	uint64_t direction_changed; /* flows whose initiator changed after
	                          * they were judged */
};

struct sw_violations;

/* Borrows m (which must outlive the table) and cfg. Returns NULL with err
 * set: SW_ERR_INVALID (max_violations over the limit), SW_ERR_NOMEM.
 * Caller frees with sw_violations_free. */
struct sw_violations *sw_violations_new(const struct sw_matcher *m,
                                        const struct sw_violations_config *cfg,
                                        struct sw_err *err) SW_WUR;

/* Frees every violation and explanation. NULL is a no-op. */
void sw_violations_free(struct sw_violations *vt);

/* Feeds one flow event; its signature is sw_flow_fn's, so it can be the
 * flow table's callback itself (ctx = the table), or be called from one.
 * Writes f->user (the judgement; it is kept after SW_FLOW_END so that
 * sw_violations_judgement() still answers during the same callback).
 * A flow first seen at UPDATE or END (the table was attached late) is
 * judged then. Never fails: what cannot be recorded is counted. */
void sw_violations_flow(void *vt, enum sw_flow_event ev, enum sw_flow_end why,
                        struct sw_flow *f);

/* The judgement this table recorded for f: returns false when f was never
 * given to it. *reason gets the reason; *v (may be NULL) the violation the
 * flow counts in, or NULL (allowed, or not recorded). */
bool sw_violations_judgement(const struct sw_violations *vt, const struct sw_flow *f,
                             enum sw_reason *reason, const struct sw_violation **v);

void sw_violations_stats(const struct sw_violations *vt, struct sw_violations_stats *out);

/* Violations in order of creation: i from 0 to count - 1 (id = i + 1). */
size_t sw_violations_count(const struct sw_violations *vt);
const struct sw_violation *sw_violations_get(const struct sw_violations *vt, size_t i);

/* Report order: reason (denied_both, denied_ingress, denied_egress), then
 * source, destination (endpoints by id, before external addresses in
 * address order), protocol, port. */
int sw_violation_cmp(const struct sw_violation *a, const struct sw_violation *b);

/* Every violation in report order, as a malloc'd array of count pointers
 * (caller frees the array only, with free()); NULL with *n 0 when there is
 * none; SW_ERR_NOMEM. */
enum sw_status sw_violations_sorted(const struct sw_violations *vt,
                                    const struct sw_violation ***out, size_t *n) SW_WUR;

/* The identity of one side as text: the endpoint id, or the external
 * address. Returns buf (or the id itself). len >= SW_ADDR_STRLEN. */
const char *sw_violation_identity(const struct sw_violation *v, bool dst, char *buf,
                                  size_t len);

/* The protocol's name ("tcp", ...), or its number, in buf. len >= 4. */
const char *sw_violation_proto(uint8_t proto, char *buf, size_t len);

/* The violation as a jansson object (new reference, caller releases with
 * json_decref), NULL when out of memory. Fields: id, reason, src, src_endpoint
 * (null when external), src_ip, dst, dst_endpoint, dst_ip, proto, port,
 * first_seen, last_seen (RFC 3339), flows, src_pkts, src_bytes, dst_pkts,
 * dst_bytes, fw_verdict and fw_prefix (null when no firewall log),
 * samples [{flow_id, src_ip, src_port, dst_ip, dst_port, first_seen}],
 * summary, explanation (sw_explanation_json's object, or null). */
struct json_t;
struct json_t *sw_violation_json(const struct sw_violation *v);

#endif
