/*
 * baseline.h - learned communication baselines and the anomalies found
 * against them: new edges, new external destinations, volume bursts and
 * fan-out (scans, lateral movement).
 *
 * An edge is (source identity, destination identity, protocol, destination
 * port), initiator -> responder as the flow table sees it. An identity is
 * the inventory endpoint id "ns/name" or, for an address that belongs to
 * no endpoint (external), the address text. Protocols without ports
 * (anything but TCP, UDP, SCTP) have port 0, as in violations.h.
 *
 * Feeding: sw_baseline_flow() has the sw_flow_fn signature and takes the
 * same events as the violation table, on the same thread; it never touches
 * f->user (the violation table owns it) and follows flows by f->id. Time
 * is the flows' packet time (first_ns at a start, last_ns at an update or
 * end), never the wall clock, so a replayed capture gives the same
 * anomalies every time. The module's clock is the latest such time seen
 * (it never goes back); sw_baseline_advance() moves it on when there is no
 * flow event (a live source that is idle).
 *
 * Learning: for learn_ns of flow time from the first flow seen (0: not at
 * all; SW_BASELINE_LEARN_ALL: the whole input) every flow start records
 * its edge: first/last seen, flows and bytes (both directions, IP layer,
 * attributed when the flow table reports them: at updates and at the
 * end, in the interval open at that moment). Time is cut into intervals
 * of interval_ns from the first flow; when an interval closes, each edge
 * held adds its bytes of that interval (0 when it had none) to a running
 * mean and variance (Welford). The last, partial interval of an input is
 * not sampled. Loaded edges take part like learned ones. Outside learning
 * the baseline does not change (attack traffic never trains it).
 *
 * Detection (when not learning and the baseline holds at least one edge):
 *  - new_edge: a flow whose edge is not in the baseline; once per edge;
 *  - new_external: a flow to an external address that is the destination
 *    of no baseline edge; once per address. Such a flow gives new_external
 *    only, never also new_edge (the address is the news; its edges would
 *    repeat it once per source and port);
 *  - volume: at the close of an interval, an edge with at least
 *    min_intervals samples whose bytes in the interval exceed
 *    mean + k * s, s = max(stddev, 0.1 * mean, 1 KiB) (the floor keeps a
 *    steady edge from alarming on noise); score (bytes - mean) / s.
 * Fan-out needs no baseline and is always on (learning or not): a source
 * reaching more than fanout_threshold distinct (destination identity,
 * port) pairs within the last fanout_window_ns; at most once per source
 * per window; score count / threshold.
 *
 * Memory is bounded: edges, followed flows, fan-out sources and the sets
 * of reported edges and addresses have caps; what does not fit is counted
 * in the statistics. Reported sets hold 64-bit keyed hashes, not text.
 *
 * Not thread-safe: one baseline per flow table; a caller that takes dirty
 * edges from another thread holds its own lock around every call.
 */
#ifndef SEGWATCH_BASELINE_H
#define SEGWATCH_BASELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segwatch/error.h"
#include "segwatch/flowtable.h"
#include "segwatch/match.h"

/* learn_ns: learn for the whole input. */
#define SW_BASELINE_LEARN_ALL UINT64_MAX
/* Largest fan-out threshold (each source keeps threshold + 1 targets). */
#define SW_BASELINE_FANOUT_MAX 4096
/* Fan-out evidence names at most this many targets (the first ones). */
#define SW_BASELINE_FANOUT_SAMPLE 10
/* Largest bound on edges, followed flows, sources and reported sets. */
#define SW_BASELINE_LIMIT (1u << 24)

enum sw_anomaly_kind {
	SW_ANOMALY_NEW_EDGE = 0,
	SW_ANOMALY_VOLUME,
	SW_ANOMALY_NEW_EXTERNAL,
	SW_ANOMALY_FANOUT
};
#define SW_ANOMALY_KIND_COUNT 4

/* "new_edge", "volume", "new_external", "fanout"; NULL for other values. */
const char *sw_anomaly_kind_name(enum sw_anomaly_kind k);
/* SW_ERR_NOTFOUND for an unknown name. */
enum sw_status sw_anomaly_kind_parse(const char *name, enum sw_anomaly_kind *out) SW_WUR;

/* One anomaly as the callback hears it. Every pointer is valid only
 * during the call. */
struct sw_anomaly {
	enum sw_anomaly_kind kind;
	uint64_t detected_ns;  /* new_*, fanout: the module's clock at the
	                        * flow's start (its first packet, later only
	                        * if events came late); volume: the end of the
	                        * interval */
	const char *src;       /* identity */
	const char *dst;       /* identity; NULL for fanout */
	uint8_t proto;         /* 0 for fanout */
	uint16_t port;         /* 0 for fanout and protocols without ports */
	const char *src_ns;    /* the endpoint's namespace, NULL when external */
	const char *dst_ns;    /* NULL when external, and for fanout */
	double score;          /* volume: (bytes - mean) / s; fanout: count /
	                        * threshold; new_edge, new_external: 1 */
	const char *evidence;  /* a JSON object, compact text:
	                        * new_edge, new_external: {flow_id, src_ip,
	                        *   dst_ip, sport, first_seen};
	                        * volume: {bytes, mean, stddev, k, threshold
	                        *   (mean + k * s), intervals, interval_start,
	                        *   interval_end};
	                        * fanout: {count, threshold, window_ns,
	                        *   window_start, targets:[{dst, port}] (the
	                        *   first SW_BASELINE_FANOUT_SAMPLE), ports:[...]
	                        *   (distinct, ascending)}; times RFC 3339 */
};

typedef void (*sw_anomaly_fn)(void *ctx, const struct sw_anomaly *a);

/* An edge with every column of the store's baseline_edges table. */
struct sw_baseline_edge {
	const char *src;       /* identity */
	const char *dst;
	uint8_t proto;
	uint16_t port;
	const char *src_ns;    /* NULL when external */
	const char *dst_ns;
	uint64_t first_seen_ns;
	uint64_t last_seen_ns;
	uint64_t flows;
	uint64_t bytes;
	uint64_t interval_ns;  /* the sampling interval of the statistics; 0
	                        * when there are none */
	uint64_t intervals;    /* samples */
	double bytes_mean;     /* per interval */
	double bytes_m2;       /* sum of squared deviations from the mean */
	const char *origin;    /* "learned" or "accepted"; NULL: "learned" */
};

/* The sample standard deviation of bytes per interval (0 below two
 * samples). */
double sw_baseline_edge_stddev(const struct sw_baseline_edge *e);

struct sw_baseline_config {
	uint64_t learn_ns;          /* 0: detect only; SW_BASELINE_LEARN_ALL */
	uint64_t interval_ns;       /* > 0 */
	double volume_k;            /* > 0 */
	uint32_t min_intervals;     /* >= 2: samples before volume is judged */
	uint32_t fanout_threshold;  /* 1 .. SW_BASELINE_FANOUT_MAX */
	uint64_t fanout_window_ns;  /* > 0 */
	size_t max_edges;           /* 1 .. SW_BASELINE_LIMIT each */
	size_t max_flows;           /* flows followed for their bytes */
	size_t max_sources;         /* fan-out state */
	size_t max_reported;        /* per reported set (edges, addresses) */
	sw_anomaly_fn on_anomaly;   /* may be NULL */
	void *on_anomaly_ctx;
};

/* Fills cfg with the defaults: not learning; interval 60 s; k 3; 5
 * intervals; fan-out 50 targets in 60 s; 262,144 edges; 1,048,576 flows;
 * 65,536 sources; 65,536 reported edges and addresses; no callback.
 * Memory at the caps: about 200 bytes per edge (with its identity texts),
 * 48 per followed flow, 32 * (threshold + 1) per busy source, 16 per
 * reported key: some 50 + 50 + 100 + 2 MiB with the defaults. */
void sw_baseline_config_default(struct sw_baseline_config *cfg);

struct sw_baseline_stats {
	uint64_t edges;              /* edges held */
	bool learning;               /* at the module's current time */
	uint64_t flows;              /* flow starts seen */
	uint64_t intervals;          /* intervals closed */
	uint64_t anomalies[SW_ANOMALY_KIND_COUNT];
	uint64_t edges_overflow;     /* learning flows whose new edge did not fit */
	uint64_t flows_overflow;     /* flows not followed: cap (bytes lost) */
	uint64_t sources_overflow;   /* flows of sources fan-out could not track */
	uint64_t reported_overflow;  /* new_edge/new_external not reported: the
	                              * reported set was full */
	uint64_t stats_reset;        /* loaded edges whose statistics were
	                              * dropped: another interval_ns */
	uint64_t nomem;              /* anything lost for want of memory */
};

struct sw_baseline;

/* Validates cfg whole and makes an empty baseline judging identities with
 * m. Borrows m (and its inventory): they must outlive the baseline; copies
 * cfg. Returns NULL with err set (SW_ERR_INVALID, SW_ERR_NOMEM). Caller
 * frees with sw_baseline_free. */
struct sw_baseline *sw_baseline_new(const struct sw_matcher *m,
                                    const struct sw_baseline_config *cfg,
                                    struct sw_err *err) SW_WUR;

/* NULL is a no-op. */
void sw_baseline_free(struct sw_baseline *bl);

/* Adds a stored edge (copied; borrows e). Statistics made with another
 * interval_ns are dropped (counted in stats_reset). An edge already held
 * is left as it is. Not marked dirty. Errors: SW_ERR_INVALID (no src or
 * dst), SW_ERR_LIMIT (max_edges reached), SW_ERR_NOMEM. */
enum sw_status sw_baseline_add(struct sw_baseline *bl, const struct sw_baseline_edge *e,
                               struct sw_err *err) SW_WUR;

/* The flow-event callback: pass the baseline as ctx. */
void sw_baseline_flow(void *bl, enum sw_flow_event ev, enum sw_flow_end why,
                      struct sw_flow *f);

/* Moves the module's clock to now_ns (ignored when earlier), closing the
 * intervals that ended. */
void sw_baseline_advance(struct sw_baseline *bl, uint64_t now_ns);

/* Hears one changed edge; e is valid only during the call. A status other
 * than SW_OK stops the walk. */
typedef enum sw_status (*sw_baseline_edge_fn)(void *ctx, const struct sw_baseline_edge *e);

/* Calls fn for every edge changed since the last call (in the order they
 * first changed) and clears their marks. While learning, every edge
 * changes at each interval close (it gets a sample, 0 when idle), so a
 * caller persisting every few seconds writes each edge about once per
 * interval. When fn fails, that edge and the
 * ones not reached stay marked and its status is returned. A caller whose
 * transaction fails after a walk calls sw_baseline_mark_all_dirty(). */
enum sw_status sw_baseline_take_dirty(struct sw_baseline *bl, sw_baseline_edge_fn fn,
                                      void *ctx);

/* Marks every edge changed, so the next take_dirty gives them all. */
void sw_baseline_mark_all_dirty(struct sw_baseline *bl);

/* Calls fn for every edge held, in the order they were added. */
enum sw_status sw_baseline_each(const struct sw_baseline *bl, sw_baseline_edge_fn fn,
                                void *ctx);

void sw_baseline_stats(const struct sw_baseline *bl, struct sw_baseline_stats *out);

#endif
