/*
 * flowtable.h - bidirectional flow table with bounded memory.
 *
 * Packets (struct sw_packet, from decode.h) go in; flow events come out
 * through callbacks: a flow starts (its first packet), is updated (when a
 * packet arrives an active-timeout interval or more after its start or
 * last update: the update carries the counters before that packet) and
 * ends (TCP close or reset after a short linger, idle timeout, eviction,
 * end of input, shutdown).
 *
 * Both directions of a conversation are one flow. The initiator (dir[0])
 * is the sender of the first SYN without ACK; otherwise the sender of the
 * first packet seen (for ICMP, the sender of the request type).
 *
 * Capacity is fixed at creation; when it is full the longest-idle flow is
 * evicted and counted. Expiry never walks every flow: each timeout class
 * keeps its flows in last-seen order, so sw_flowtable_advance() only looks
 * at list heads.
 *
 * Time is whatever the caller says it is (packet timestamps for captures,
 * the clock when a live source is idle); it never goes backwards.
 * Not thread-safe: one table per thread.
 */
#ifndef SEGWATCH_FLOWTABLE_H
#define SEGWATCH_FLOWTABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "segwatch/addr.h"
#include "segwatch/decode.h"
#include "segwatch/error.h"
#include "segwatch/proto.h"
#include "segwatch/source.h"

enum sw_tcp_state {
	SW_TCP_NONE = 0,      /* not TCP */
	SW_TCP_ATTEMPTED,     /* SYN from the initiator, no answer */
	SW_TCP_REJECTED,      /* SYN answered by RST */
	SW_TCP_ESTABLISHED,   /* SYN, SYN-ACK seen; not closed yet */
	SW_TCP_CLOSED,        /* FIN both ways */
	SW_TCP_RESET,         /* RST after (or without) establishment */
	SW_TCP_MIDSTREAM      /* first packet was not a SYN: started before capture */
};

enum sw_flow_end {
	SW_END_NONE = 0,      /* not ended: an update */
	SW_END_TCP_CLOSE,
	SW_END_TCP_RESET,
	SW_END_IDLE,
	SW_END_ACTIVE_TIMEOUT,/* used only for update events */
	SW_END_EVICTED,
	SW_END_OF_INPUT,
	SW_END_SHUTDOWN
};

struct sw_flow_dir {
	uint64_t pkts;
	uint64_t bytes;       /* IP-layer bytes */
	uint8_t tcp_flags;    /* union of flags seen in this direction */
};

/* A flow as callbacks see it. Valid only during the callback. */
struct sw_flow {
	uint64_t id;          /* unique within the table, from 1 */
	struct sw_addr src;   /* initiator */
	struct sw_addr dst;
	uint16_t sport;       /* ICMP: request type */
	uint16_t dport;       /* ICMP: code */
	uint16_t vlan[SW_MAX_VLAN_TAGS];
	uint8_t n_vlan;
	uint8_t proto;
	bool midstream;       /* TCP: no SYN seen from the initiator */
	enum sw_tcp_state tcp_state;
	uint64_t first_ns;
	uint64_t last_ns;
	struct sw_flow_dir dir[2]; /* [0] initiator -> responder */
	uint32_t fragments;   /* IP fragments counted on this flow */
	uint32_t icmp_errors; /* ICMP errors quoting this flow */
	uint64_t user;        /* caller's slot, 0 at start, kept across events */
	/* Firewall facts (NFLOG): fw.verdict is the strongest verdict of the
	 * packets logged for this flow (reject > drop > accept > log), the
	 * rest comes from the packet that set it. verdict SW_FW_NONE: no
	 * firewall log seen (e.g. a flow seen only by libpcap). An ICMP error
	 * counted on the flow it quotes does not change it. */
	struct sw_fw fw;
};

enum sw_flow_class {
	SW_CLASS_TCP = 0,
	SW_CLASS_TCP_CLOSED,  /* FIN both ways or RST: short linger */
	SW_CLASS_UDP,
	SW_CLASS_ICMP,
	SW_CLASS_OTHER,
	SW_CLASS_COUNT
};

struct sw_flowtable_config {
	uint32_t max_flows;                        /* > 0 */
	uint64_t idle_ns[SW_CLASS_COUNT];          /* per-class idle timeouts */
	uint64_t active_ns;                        /* 0: no updates */
	uint32_t max_fragments;                    /* fragment-tracking slots */
};

/* Fills cfg with the defaults: 1,048,576 flows; idle TCP 300 s, closed
 * TCP 5 s, UDP 60 s, ICMP 60 s, other 60 s; active 60 s; 65,536
 * fragment slots. */
void sw_flowtable_config_default(struct sw_flowtable_config *cfg);

enum sw_flow_event { SW_FLOW_START, SW_FLOW_UPDATE, SW_FLOW_END };

/* Called for every event; the flow may be modified only in f->user. */
typedef void (*sw_flow_fn)(void *ctx, enum sw_flow_event ev, enum sw_flow_end why,
                           struct sw_flow *f);

struct sw_flowtable_stats {
	uint64_t packets;        /* packets given to sw_flowtable_add */
	uint64_t flows_created;
	uint64_t flows_ended;    /* including evicted */
	uint64_t flows_evicted;  /* ended early because the table was full */
	uint64_t flows_active;
	uint64_t updates;        /* active-timeout updates emitted */
	uint64_t frag_unmatched; /* later fragments whose first was not seen */
	uint64_t frag_evicted;   /* fragment slots overwritten before expiry */
	uint64_t icmp_errors_matched;
};

struct sw_flowtable;

/* Validates cfg whole and allocates the table. Returns NULL with err set
 * (SW_ERR_INVALID or SW_ERR_NOMEM). Borrows cfg; fn may be NULL. */
struct sw_flowtable *sw_flowtable_new(const struct sw_flowtable_config *cfg,
                                      sw_flow_fn fn, void *ctx,
                                      struct sw_err *err) SW_WUR;
/* Frees without emitting events (call sw_flowtable_flush first to get
 * them). NULL is a no-op. */
void sw_flowtable_free(struct sw_flowtable *ft);

/* Ends what the packet's time makes due (quiet flows are looked for once
 * per millisecond of packet time, so one may end up to 1 ms of capture
 * time late; the packet's own flow is checked exactly: a packet after its
 * flow's idle timeout starts a new flow), then accounts the packet
 * (pkt->ts_ns is its time). */
void sw_flowtable_add(struct sw_flowtable *ft, const struct sw_packet *pkt);

/* The same as sw_flowtable_add() for each of n packets in order, but
 * faster: the flow entries of the batch are prefetched first. */
void sw_flowtable_add_batch(struct sw_flowtable *ft, const struct sw_packet *pkts, size_t n);

/* Moves time forward to now_ns (ignored if earlier than the table's time)
 * and ends idle flows / emits due updates. */
void sw_flowtable_advance(struct sw_flowtable *ft, uint64_t now_ns);

/* Ends every flow with reason why (SW_END_OF_INPUT or SW_END_SHUTDOWN). */
void sw_flowtable_flush(struct sw_flowtable *ft, enum sw_flow_end why);

void sw_flowtable_stats(const struct sw_flowtable *ft, struct sw_flowtable_stats *out);

/* Stable names: "closed", "tcp_close", ... */
const char *sw_tcp_state_name(enum sw_tcp_state s);
const char *sw_flow_end_name(enum sw_flow_end e);

#endif
