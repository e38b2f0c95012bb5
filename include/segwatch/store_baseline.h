/*
 * store_baseline.h - the store's baseline edges and anomalies (tables
 * baseline_edges and anomalies of schema/001_initial.sql): loading and
 * upserting edges, resetting the baseline, recording anomalies, their
 * triage (accepting one puts its edge into the baseline) and listing both.
 *
 * Like the other writes of store.h: values are always bound; a write
 * called inside a batch (sw_store_begin_batch) joins it, outside one it
 * runs in a transaction of its own. Read-only handles refuse writes with
 * SW_ERR_INVALID. Times are nanoseconds since the Unix epoch.
 */
#ifndef SEGWATCH_STORE_BASELINE_H
#define SEGWATCH_STORE_BASELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segwatch/baseline.h"
#include "segwatch/error.h"
#include "segwatch/store.h"

/* ---- baseline edges ---- */

/* A stored edge: the row's id and its columns (strings valid only during
 * the callback). */
struct sw_store_edge {
	int64_t id;
	struct sw_baseline_edge e;
};

/* A status other than SW_OK stops the walk and is returned. */
typedef enum sw_status (*sw_store_edge_fn)(void *ctx, const struct sw_store_edge *e);

/* Which edges: every field set narrows (AND). Order: id ascending. */
struct sw_store_efilter {
	const char *src;        /* identity, exact; NULL: any */
	const char *dst;
	const char *ns;         /* either side's namespace */
	size_t limit;           /* 0: no limit */
	int64_t cursor_id;      /* rows with id > cursor_id; 0: from the start */
};

/* Calls fn for every edge matching f (NULL: all, e.g. to load them into a
 * baseline with sw_baseline_add). *more (may be NULL) tells whether rows
 * remain after the limit. */
enum sw_status sw_store_list_edges(struct sw_store *st, const struct sw_store_efilter *f,
                                   sw_store_edge_fn fn, void *ctx, bool *more,
                                   struct sw_err *err) SW_WUR;

/* Inserts e or updates the row of its key (src, dst, proto, port): every
 * counter and statistic is replaced by e's (the baseline module holds the
 * loaded totals plus what it learned since); an 'accepted' origin is never
 * turned back into 'learned'. Borrows e. */
enum sw_status sw_store_upsert_edge(struct sw_store *st, const struct sw_baseline_edge *e,
                                    struct sw_err *err) SW_WUR;

/* The adapter for sw_baseline_take_dirty: ctx is a struct
 * sw_store_edge_sink whose err receives the first failure. */
struct sw_store_edge_sink {
	struct sw_store *st;
	struct sw_err *err;     /* may be NULL */
};
enum sw_status sw_store_edge_sink_fn(void *ctx, const struct sw_baseline_edge *e);

/* Deletes every edge; *deleted (may be NULL) gets how many. Anomalies are
 * kept. */
enum sw_status sw_store_reset_baseline(struct sw_store *st, uint64_t *deleted,
                                       struct sw_err *err) SW_WUR;

/* Deletes the edges last seen more than older_than_ns before the newest
 * edge was (the baseline's own clock, so that a baseline learned from old
 * captures ages like a live one); *deleted (may be NULL) gets how many.
 * Their anomalies are kept. */
enum sw_status sw_store_expire_baseline(struct sw_store *st, uint64_t older_than_ns,
                                        uint64_t *deleted, struct sw_err *err) SW_WUR;

/* ---- anomalies ---- */

enum sw_anomaly_state {
	SW_ANOMALY_OPEN = 0,
	SW_ANOMALY_ACKNOWLEDGED,
	SW_ANOMALY_RESOLVED,
	SW_ANOMALY_ACCEPTED
};
#define SW_ANOMALY_STATE_COUNT 4

/* "open", "acknowledged", "resolved", "accepted"; NULL for other values. */
const char *sw_anomaly_state_name(enum sw_anomaly_state s);
/* SW_ERR_NOTFOUND for an unknown name. */
enum sw_status sw_anomaly_state_parse(const char *name, enum sw_anomaly_state *out) SW_WUR;

/* Records a (borrowed) in the handle's current run (none when no run was
 * begun), state open. *row_id (may be NULL) gets its id. Errors also:
 * SW_ERR_INVALID (an unknown kind, or evidence that is not a JSON object). */
enum sw_status sw_store_insert_anomaly(struct sw_store *st, const struct sw_anomaly *a,
                                       int64_t *row_id, struct sw_err *err) SW_WUR;

/* Moves anomaly id to state, recording when (now_ns) and who (borrowed,
 * may be NULL). Transitions: open and acknowledged go anywhere; resolved
 * and accepted only reopen (-> open); the same state again is a no-op.
 * Accepting puts the anomaly's edge (src, dst, proto, port) into the
 * baseline with origin 'accepted', first and last seen = the anomaly's
 * detection, no counters, in the same transaction; an edge already there
 * is kept as it is (and keeps its origin). Reopening leaves the edge in
 * the baseline (sw_store_reset_baseline or a new learn removes it).
 * Errors: SW_ERR_NOTFOUND (no such anomaly), SW_ERR_INVALID (not a state,
 * a transition not allowed, or accepting a fanout anomaly, which has no
 * edge). */
enum sw_status sw_store_set_anomaly_state(struct sw_store *st, int64_t id,
                                          enum sw_anomaly_state state, const char *who,
                                          uint64_t now_ns, struct sw_err *err) SW_WUR;

/* Which anomalies: every field set narrows (AND). Order: detected
 * descending, then id descending. Borrows its strings. */
struct sw_store_afilter {
	uint64_t since_ns;      /* detected >= since; 0: no bound */
	uint64_t until_ns;      /* detected <= until; 0: no bound */
	bool has_kind;
	enum sw_anomaly_kind kind;
	bool has_state;
	enum sw_anomaly_state state;
	const char *src;        /* identity, exact; NULL: any */
	const char *dst;
	size_t limit;           /* 0: 100; at most 10000 */
	/* keyset cursor: rows strictly after (cursor_detected_ns, cursor_id)
	 * in the order above; cursor_id 0: from the start */
	uint64_t cursor_detected_ns;
	int64_t cursor_id;
};

/* An anomaly row; strings valid only during the callback. */
struct sw_store_anomaly {
	int64_t id;
	int64_t run_id;         /* 0 when none */
	enum sw_anomaly_kind kind;
	uint64_t detected_ns;
	const char *src;
	const char *dst;        /* NULL for fanout */
	bool has_port;          /* proto and port are set (not fanout) */
	uint8_t proto;
	uint16_t port;
	const char *src_ns, *dst_ns; /* NULL when external */
	bool has_score;
	double score;
	const char *evidence;   /* JSON object text */
	enum sw_anomaly_state state;
	uint64_t state_changed_ns; /* 0 when never changed */
	const char *state_by;   /* NULL when not set */
};

typedef void (*sw_store_anomaly_fn)(void *ctx, const struct sw_store_anomaly *a);

/* Calls fn for each matching row, at most the limit. *more (may be NULL)
 * tells whether rows remain; the next cursor is the last row's
 * (detected_ns, id). */
enum sw_status sw_store_list_anomalies(struct sw_store *st, const struct sw_store_afilter *f,
                                       sw_store_anomaly_fn fn, void *ctx, bool *more,
                                       struct sw_err *err) SW_WUR;

/* One anomaly by id: SW_ERR_NOTFOUND when there is none. */
enum sw_status sw_store_get_anomaly(struct sw_store *st, int64_t id, sw_store_anomaly_fn fn,
                                    void *ctx, struct sw_err *err) SW_WUR;

#endif
