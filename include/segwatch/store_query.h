/*
 * store_query.h - the data side of the web API (/work/api-contract.md):
 * one query per route that validates the route's query parameters and
 * answers the response body as JSON text built inside SQLite (json_object,
 * json_group_array), plus the triage writes, the event feed of the SSE
 * stream and the largest row ids.
 *
 * Parameters: every route knows a fixed set of names (see the contract and
 * web/openapi.yaml); values are checked strictly (enums, numbers in range,
 * times, identities of at most SW_QUERY_VALUE_MAX bytes without control
 * characters, cursors produced by an earlier answer of the same route and
 * sort). A failure names the parameter: SW_ERR_INVALID, err->file = the
 * parameter's name, err->msg = "NAME: expected ..., got '...'".
 * sw_store_query_param_known() tells an unknown name (400
 * unknown_parameter) from a bad value (400 bad_parameter).
 *
 * Times out are RFC 3339 UTC with nanoseconds ("2026-11-25T14:03:07.123456789Z");
 * times in are RFC 3339, integer nanoseconds since the epoch, or a duration
 * with a unit ("15m", "24h", "7d": now minus that).
 *
 * Threads: like the store handle, one thread at a time per handle.
 */
#ifndef SEGWATCH_STORE_QUERY_H
#define SEGWATCH_STORE_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segwatch/error.h"
#include "segwatch/store.h"

/* Longest identity, namespace, label or cursor value accepted. */
#define SW_QUERY_VALUE_MAX 512
/* Page sizes: lists, and the service map's edges. */
#define SW_QUERY_LIMIT_DEFAULT 100
#define SW_QUERY_LIMIT_MAX 1000
#define SW_QUERY_EDGES_DEFAULT 1000
#define SW_QUERY_EDGES_MAX 10000
/* The service map's window when no since is given: the last hour (of the
 * data, when the newest stored is older than that). */
#define SW_QUERY_EDGES_WINDOW_NS (3600ull * 1000000000ull)

/* One query parameter, already percent-decoded; both strings borrowed. */
struct sw_query_param {
	const char *name;
	const char *value;
};

enum sw_query_route {
	SW_Q_VIOLATIONS,   /* GET /api/v1/violations */
	SW_Q_VIOLATION,    /* GET /api/v1/violations/{id} */
	SW_Q_FLOWS,        /* GET /api/v1/flows */
	SW_Q_EDGES,        /* GET /api/v1/edges */
	SW_Q_ANOMALIES,    /* GET /api/v1/anomalies */
	SW_Q_BASELINE,     /* GET /api/v1/baseline */
	SW_Q_POLICIES,     /* GET /api/v1/policies */
	SW_Q_ENDPOINTS,    /* GET /api/v1/endpoints */
	SW_Q_RUNS,         /* GET /api/v1/runs */
	SW_Q_STATS_DB,     /* the db-derived part of GET /api/v1/stats (below) */
	SW_Q_HEALTH        /* GET /healthz: {"status":"ok","db":"ok","schema_version":N} */
};
#define SW_Q_ROUTE_COUNT 11

/* Answers route r. id: the item's id for SW_Q_VIOLATION, else ignored.
 * p[0..n) the query parameters (borrowed). now_ns: the clock for relative
 * times and for stats. On SW_OK *json is a malloc'd NUL-terminated body the
 * caller frees with free(), *len its length (without the NUL).
 * SW_Q_STATS_DB answers {now, run:{id, started, sources, ended|null}|null,
 * packets, drops, flows (of the last run row), flows_stored, violations,
 * violations_open, violations_by_reason{}, anomalies, anomalies_by_kind{},
 * series:[{t, violations, flows}]}: the server adds the live fields.
 * Errors: SW_ERR_INVALID (a parameter: see above), SW_ERR_NOTFOUND (no
 * item with id), SW_ERR_BUSY (database locked), SW_ERR_IO, SW_ERR_NOMEM. */
enum sw_status sw_store_query(struct sw_store *st, enum sw_query_route r, int64_t id,
                              const struct sw_query_param *p, size_t n, uint64_t now_ns,
                              char **json, size_t *len, struct sw_err *err) SW_WUR;

/* Whether route r knows the parameter name. */
bool sw_store_query_param_known(enum sw_query_route r, const char *name);

/* Triage: resource "violations" or "anomalies", action "ack", "resolve",
 * "reopen" or (anomalies only) "accept", which also puts the anomaly's
 * edge into baseline_edges with origin 'accepted', in the same
 * transaction. who (borrowed, may be NULL) is recorded. On SW_OK *json is
 * the updated item (as in the list; caller frees with free()).
 * Errors: SW_ERR_NOTFOUND (no such id), SW_ERR_INVALID (not allowed from
 * the current state, e.g. resolved -> acknowledged: 409 conflict),
 * SW_ERR_UNSUPPORTED (unknown resource or action, or accepting an anomaly
 * without a destination), SW_ERR_BUSY, SW_ERR_IO. */
enum sw_status sw_store_query_transition(struct sw_store *st, const char *resource, int64_t id,
                                         const char *action, const char *who, uint64_t now_ns,
                                         char **json, size_t *len,
                                         struct sw_err *err) SW_WUR;

/* Hears one new row: kind "violation" or "anomaly", its id and its item
 * JSON (valid only during the call). */
typedef void (*sw_query_event_fn)(void *ctx, const char *kind, int64_t id, const char *json,
                                  size_t len);

/* Calls fn for violation rows with id > after_violation_id, then anomaly
 * rows with id > after_anomaly_id, each in id order, at most limit of each
 * (1..SW_QUERY_LIMIT_MAX). The caller advances its ids from the calls. */
enum sw_status sw_store_query_events(struct sw_store *st, int64_t after_violation_id,
                                     int64_t after_anomaly_id, size_t limit,
                                     sw_query_event_fn fn, void *ctx,
                                     struct sw_err *err) SW_WUR;

/* The largest violation and anomaly ids (0 when the table is empty). */
enum sw_status sw_store_query_max_ids(struct sw_store *st, int64_t *violation_id,
                                      int64_t *anomaly_id, struct sw_err *err) SW_WUR;

/* The query plan SQLite chooses for route r with parameters p (EXPLAIN
 * QUERY PLAN details, one per line): a malloc'd string the caller frees
 * with free(). For tests and diagnostics. */
enum sw_status sw_store_query_plan(struct sw_store *st, enum sw_query_route r,
                                   const struct sw_query_param *p, size_t n, uint64_t now_ns,
                                   char **plan, struct sw_err *err) SW_WUR;

#endif
