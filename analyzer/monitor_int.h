/*
 * monitor_int.h - what the monitor's two halves share: monitor.c runs on
 * the capture thread (judging, collecting changes, handing them over),
 * monitor_writer.c on the writer thread (storing them). They meet only in
 * `struct monitor_queue`, under the monitor's lock.
 */
#ifndef SEGWATCH_MONITOR_INT_H
#define SEGWATCH_MONITOR_INT_H

#include <pthread.h>

#include "segwatch/monitor.h"

/* An ended flow as the writer stores it. */
struct flow_rec {
	struct sw_flow f;
	uint8_t why;             /* enum sw_flow_end */
	uint8_t reason;          /* enum sw_reason: the judgement */
	uint64_t vid;            /* the violation it counts in, 0 when none */
};

#define VF_DIRTY 1u
#define VF_NEW 2u

/* A violation's state at a hand-over. */
struct viol_snap {
	struct sw_violation v;
	bool is_new;             /* first snapshot: an event goes out once it is
	                          * stored */
	bool row_assigned;       /* writer: its row was created by the batch
	                          * being written */
	bool deferred;           /* writer: counters left for a later round */
};

/* A violation's counters. */
struct viol_counts {
	uint64_t flows, pkts[2], bytes[2];
};

/* The writer's record of a violation it stored. */
struct stored_violation {
	int64_t row;             /* its row, 0 when not (yet) stored */
	uint64_t written_ns;     /* monotonic: its counters last written */
	struct viol_counts added; /* what committed transactions added to the
	                          * row: the next write adds the rest (other
	                          * runs may be adding to the same row) */
};

/* An anomaly as the writer stores it: the strings in one allocation. */
struct anomaly_rec {
	struct sw_anomaly a;
	char *text;
};

/* Growable arrays of hand-over items. */
struct rec_vec { struct flow_rec *a; size_t n, cap; };
struct snap_vec { struct viol_snap *a; size_t n, cap; };
struct edge_vec { struct sw_baseline_edge *a; size_t n, cap; }; /* strings
                          * borrowed from the baseline (stable until it is
                          * freed, after the writer) */
struct anom_vec { struct anomaly_rec *a; size_t n, cap; };

/* What waits for the writer (under mon->lock) or what the writer holds. */
struct monitor_queue {
	struct snap_vec v;
	struct rec_vec f;
	struct edge_vec e;
	struct anom_vec an;
};

struct sw_monitor {
	struct sw_monitor_config cfg;
	struct sw_violations *vt;
	struct sw_flowtable *ft;
	struct sw_baseline *bl;      /* NULL without baseline_on */
	struct sw_capture *cap;      /* attached, borrowed */

	/* capture thread only */
	struct monitor_queue local;  /* collected since the last hand-over */
	uint8_t *vflags;             /* by violation id: VF_DIRTY, VF_NEW */
	size_t vflags_cap;
	const struct sw_violation **dirty; /* marked since the last hand-over */
	size_t n_dirty, dirty_cap;
	uint64_t next_handover_ns;   /* monotonic */
	bool nomem;                  /* a hand-over item was lost to memory */
	bool resync;                 /* a violation's mark was lost to memory:
	                              * mark them all at the next hand-over */

	/* shared, under lock */
	pthread_mutex_t lock;
	pthread_cond_t wake;         /* writer: work or stop */
	pthread_cond_t drained;      /* capture: the backlog shrank */
	struct monitor_queue shared;
	size_t pending_left;         /* flows the writer took but has not yet put
	                              * in a round: part of the backlog */
	bool stopping;
	struct sw_monitor_stats stats;
	struct sw_err writer_err;    /* the writer's last failure */

	/* writer thread */
	pthread_t writer;
	bool writer_running;
	struct rec_vec pending;      /* ended flows taken from shared in one swap,
	                              * put into rounds from pending_at on */
	size_t pending_at;
	struct monitor_queue held;   /* taken from shared, not yet committed */
	size_t round_flows;          /* flows taken per round: sized from the
	                              * last round's speed to about a commit
	                              * interval, at most max_round_flows */
	struct sw_store_flow *held_rows; /* held.f as the store takes them */
	size_t held_rows_cap;
	int64_t *held_anomaly_rows;  /* rows of held.an, once inserted */
	size_t held_anomaly_cap;
	size_t *held_slot;           /* by violation id: index + 1 in held.v */
	size_t held_slot_cap;
	struct stored_violation *stored; /* by violation id */
	size_t stored_cap;
	bool flush_counters;         /* write every held counter and map sum
	                              * now (the last round at stop): none is
	                              * deferred */
	struct monitor_edges *edges; /* the service map's sums (monitor_edges.c) */
	uint64_t edges_lost;         /* sums of the batch that found no memory */
	size_t map_rows;             /* service-map rows the batch wrote */
	uint64_t round_began_ns;     /* monotonic: the last round's start */
	uint64_t latest_ns;          /* newest flow end seen: retention clock */
	uint64_t next_prune_ns;
};

/* The service map's sums (monitor_edges.c): add a flow's counts in the
 * open transaction; store writes, in it, the sums not written within
 * interval_ns (0: all of them); then tell whether it committed (the sums
 * written are cleared, the rest carried) or was rolled back (what it added
 * is dropped: the transaction is stored again whole). */
struct monitor_edges;
struct monitor_edges *sw_monitor_edges_new(void);
void sw_monitor_edges_free(struct monitor_edges *me);
bool sw_monitor_edges_add(struct monitor_edges *me, const struct sw_store_edge_minute *e);
enum sw_status sw_monitor_edges_store(struct monitor_edges *me, struct sw_store *st,
                                      uint64_t now_ns, uint64_t interval_ns, size_t *written,
                                      struct sw_err *err);
/* Whether store would write any sum now (interval_ns 0: any not yet
 * written). */
bool sw_monitor_edges_due(const struct monitor_edges *me, uint64_t now_ns, uint64_t interval_ns);
void sw_monitor_edges_committed(struct monitor_edges *me, uint64_t now_ns, uint64_t interval_ns);
void sw_monitor_edges_rolled_back(struct monitor_edges *me);
uint64_t sw_monitor_edges_minute(uint64_t last_ns);

/* The writer thread's body (monitor_writer.c). */
void *sw_monitor_writer_main(void *mon);

/* sw_grow that zeroes the elements it adds. */
bool sw_grow_zeroed(void **arr, size_t *cap, size_t need, size_t elem);

/* Appends n items of elem bytes to a growable array (a, n, cap as in the
 * vec structs above); false when out of memory. */
bool sw_vec_push(void **a, size_t *n, size_t *cap, const void *items, size_t count,
                 size_t elem);
#define VEC_PUSH(v, item) sw_vec_push((void **)&(v)->a, &(v)->n, &(v)->cap, (item), 1, \
                                      sizeof(*(v)->a))
/* Moves every item of src to the end of dst (swapping when dst is empty). */
bool sw_vec_move(void **da, size_t *dn, size_t *dcap, void **sa, size_t *sn, size_t *scap,
                 size_t elem);
#define VEC_MOVE(d, s) sw_vec_move((void **)&(d)->a, &(d)->n, &(d)->cap, (void **)&(s)->a, \
                                   &(s)->n, &(s)->cap, sizeof(*(d)->a))
/* Frees the anomalies' texts and empties the vector. */
void sw_anom_clear(struct anom_vec *v);
void sw_monitor_queue_free(struct monitor_queue *q);

/* Monotonic and wall clocks in nanoseconds. */
uint64_t sw_monitor_mono_ns(void);
uint64_t sw_monitor_wall_ns(void);

#endif
