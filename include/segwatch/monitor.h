/*
 * monitor.h - the monitoring pipeline of `segwatch run`: flows from the
 * capture are judged when they start, violations and (optionally) baseline
 * edges and anomalies are kept up to date, and everything is stored in
 * SQLite by a writer thread, so that capture and analysis never wait on
 * the disk.
 *
 * Threads. The capture thread runs sw_capture_run() with the monitor's
 * flow table; the monitor's flow callback judges flows and collects what
 * changed in buffers of its own. At every capture tick (sw_capture's hook:
 * at least every 100 ms) and whenever a buffer fills, it hands them over
 * to the writer: snapshots of the changed violations (by value, so the
 * writer never reads live state), ended flows, baseline edges that
 * changed and anomalies (copied), violations first, so a flow's violation row always exists before the flow is
 * stored. The writer commits a transaction at least every commit interval
 * (default 500 ms). From files, it stores each hand-over it finds at once;
 * from live sources, a round that has work (but not a full load of flows)
 * gathers what comes until an interval after the previous round began, so
 * steady traffic is committed about once an interval and the first work
 * after a quiet spell at once: a violation is in the database within about
 * an interval of its flow's first packet. A
 * transaction takes every waiting violation but only as many ended flows
 * as the writer stores in about a commit interval (never more than
 * max_round_flows; the rest wait for the next one), so commits keep their
 * pace even when a file is read faster than flows can be stored.
 *
 * Backpressure. At most max_backlog ended flows wait for the writer. When
 * the backlog is full, a capture from files waits for the writer (a file
 * can be read later; nothing is lost); a live capture drops the flow
 * records (counted in store_dropped) rather than the packets. Violations
 * and anomalies are never dropped: a violation waiting for the writer is
 * only its latest snapshot.
 *
 * Failures. When a commit fails (disk full, database locked, I/O error)
 * the batch is rolled back and kept; the writer warns once, retries with
 * backoff (0.5 s doubling to 30 s) and, once a commit succeeds again,
 * stores everything kept and says so. Capture goes on meanwhile.
 */
#ifndef SEGWATCH_MONITOR_H
#define SEGWATCH_MONITOR_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "segwatch/baseline.h"
#include "segwatch/capture.h"
#include "segwatch/error.h"
#include "segwatch/flowtable.h"
#include "segwatch/match.h"
#include "segwatch/store.h"
#include "segwatch/violations.h"

#define SW_MONITOR_COMMIT_DEFAULT_NS 500000000ull
#define SW_MONITOR_BACKLOG_DEFAULT 262144
#define SW_MONITOR_ROUND_FLOWS_DEFAULT 65536

struct sw_monitor_config {
	const struct sw_matcher *m;     /* borrowed; outlives the monitor */
	struct sw_store *store;         /* borrowed; used by the writer thread
	                                 * only, from start to finish */
	struct sw_flowtable_config ft;
	size_t max_violations;          /* 0: the violations default */
	bool baseline_on;               /* learn and detect anomalies */
	struct sw_baseline_config baseline; /* its on_anomaly is the monitor's */
	bool live;                      /* live sources: idle intervals close
	                                 * by the wall clock */
	FILE *eve;                      /* borrowed; NULL: no events; one JSON
	                                 * line per new violation and anomaly */
	uint64_t commit_interval_ns;    /* 0: the default */
	uint64_t retain_flows_ns;       /* 0: keep every flow */
	bool no_flows;                  /* store violations only, not flows */
	size_t max_backlog;             /* ended flows waiting; 0: default */
	size_t max_round_flows;         /* most ended flows per transaction;
	                                 * 0: SW_MONITOR_ROUND_FLOWS_DEFAULT */
	bool block_when_full;           /* files: wait for the writer */
	int writer_nice;                /* added to the writer thread's nice
	                                 * value when it starts; 0: none */
	sw_warn_fn warn;                /* may be called from the writer thread */
	void *warn_ctx;
};

/* A consistent snapshot, refreshed at every capture tick. */
struct sw_monitor_stats {
	uint64_t started_ns;            /* wall clock at sw_monitor_start */
	int64_t run_id;
	struct sw_capture_stats cap;
	struct sw_flowtable_stats ft;
	struct sw_violations_stats vt;
	struct sw_baseline_stats bl;    /* zero without a baseline */
	uint64_t store_backlog;         /* ended flows waiting for the writer */
	uint64_t store_batches;         /* committed transactions */
	uint64_t store_failed_batches;  /* commits that failed (then retried) */
	uint64_t store_dropped;         /* flow records dropped: backlog full */
	uint64_t flows_stored;
	uint64_t store_round_max;       /* most flows one transaction stored */
	uint64_t violations_stored;     /* violation rows written: new ones, and
	                                 * counter updates (at most one per
	                                 * violation and commit interval) */
	uint64_t anomalies_stored;
	uint64_t edges_stored;          /* baseline edge upserts */
	uint64_t map_rows_stored;       /* service-map (edge_minutes) row
	                                 * writes: a new one, then at most one
	                                 * per edge, minute and commit interval */
	uint64_t flows_pruned;          /* by retention */
	uint64_t eve_events;
	bool store_failing;             /* the last commit failed */
};

struct sw_monitor;

/* Checks cfg and builds the flow table, the violations table and, with
 * baseline_on, the baseline, loading the stored baseline edges (so a run
 * extends what earlier runs learned). Returns NULL with err set. Caller
 * frees with sw_monitor_free. */
struct sw_monitor *sw_monitor_new(const struct sw_monitor_config *cfg,
                                  struct sw_err *err) SW_WUR;

/* Frees everything; a running writer is stopped first (what it holds is
 * lost: call sw_monitor_finish before). NULL is a no-op. */
void sw_monitor_free(struct sw_monitor *mon);

/* The flow table the capture must feed (owned by the monitor). */
struct sw_flowtable *sw_monitor_flowtable(struct sw_monitor *mon);

/* Hooks the monitor into cap's tick. Borrows cap until sw_monitor_finish. */
void sw_monitor_attach(struct sw_monitor *mon, struct sw_capture *cap);

/* Stores the inventory and policies, begins a run (sources: text for the
 * runs table) and starts the writer thread. */
enum sw_status sw_monitor_start(struct sw_monitor *mon, const char *sources,
                                struct sw_err *err) SW_WUR;

/* After the capture has ended and the flow table has been flushed: hands
 * the rest over, waits for the writer to store it (bounded: a writer that
 * keeps failing gives up after its current backoff and counts what is
 * lost), records the run's end and statistics. Returns the writer's last
 * error when something could not be stored. */
enum sw_status sw_monitor_finish(struct sw_monitor *mon, struct sw_err *err) SW_WUR;

/* Thread-safe. */
void sw_monitor_stats(struct sw_monitor *mon, struct sw_monitor_stats *out);

/* The violations table (for reports after finish; not thread-safe while
 * the capture runs). */
const struct sw_violations *sw_monitor_violations(const struct sw_monitor *mon);

#endif
