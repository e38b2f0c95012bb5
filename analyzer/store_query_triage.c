/*
 * store_query_triage.c - the query layer's writes and feeds: triage
 * transitions of violations (sw_store_set_violation_state) and anomalies
 * (sw_store_set_anomaly_state, which also accepts an edge into the
 * baseline) answering the updated item, the rows after given ids for the
 * event stream, and the largest ids.
 */
#include "store_query_int.h"

#include <stdlib.h>
#include <string.h>

#include "segwatch/store_baseline.h"

static const struct {
	const char *action;
	enum sw_triage state;
} violation_actions[] = {
	{ "ack", SW_TRIAGE_ACKNOWLEDGED },
	{ "resolve", SW_TRIAGE_RESOLVED },
	{ "reopen", SW_TRIAGE_OPEN },
};

static const struct {
	const char *action;
	enum sw_anomaly_state state;
} anomaly_actions[] = {
	{ "ack", SW_ANOMALY_ACKNOWLEDGED },
	{ "resolve", SW_ANOMALY_RESOLVED },
	{ "reopen", SW_ANOMALY_OPEN },
	{ "accept", SW_ANOMALY_ACCEPTED },
};

static enum sw_status unsupported(struct sw_err *err, const char *resource, const char *action)
{
	return sw_err_set(err, SW_ERR_UNSUPPORTED, NULL, 0, 0, "%.32s has no action '%.32s'",
	                  resource ? resource : "(null)", action ? action : "(null)");
}

static enum sw_status transition_violation(struct sw_store *st, int64_t id, const char *action,
                                           const char *who, uint64_t now_ns,
                                           struct sw_err *err)
{
	for (size_t i = 0; i < SW_ARRAY_SIZE(violation_actions); i++)
		if (strcmp(action, violation_actions[i].action) == 0)
			return sw_store_set_violation_state(st, id, violation_actions[i].state, who,
			                                    now_ns, err);
	return unsupported(err, "violations", action);
}

static enum sw_status transition_anomaly(struct sw_store *st, int64_t id, const char *action,
                                         const char *who, uint64_t now_ns, struct sw_err *err)
{
	for (size_t i = 0; i < SW_ARRAY_SIZE(anomaly_actions); i++)
		if (strcmp(action, anomaly_actions[i].action) == 0)
			return sw_store_set_anomaly_state(st, id, anomaly_actions[i].state, who,
			                                  now_ns, err);
	return unsupported(err, "anomalies", action);
}

enum sw_status sw_store_query_transition(struct sw_store *st, const char *resource, int64_t id,
                                         const char *action, const char *who, uint64_t now_ns,
                                         char **json, size_t *len, struct sw_err *err)
{
	struct qargs a;
	enum sw_status status;
	bool violation = resource != NULL && strcmp(resource, "violations") == 0;

	if (action == NULL || (!violation && (resource == NULL ||
	                                      strcmp(resource, "anomalies") != 0)))
		return unsupported(err, resource, action);
	status = violation ? transition_violation(st, id, action, who, now_ns, err)
	                   : transition_anomaly(st, id, action, who, now_ns, err);
	if (status != SW_OK)
		return status;
	memset(&a, 0, sizeof(a));
	a.id = id;
	return sq_run(st, violation ? sq_sql_violation_row : sq_sql_anomaly_row, &a,
	              violation ? "violation" : "anomaly", json, len, err);
}

static enum sw_status feed(struct sw_store *st, const char *sql, const char *kind,
                           int64_t after, size_t limit, sw_query_event_fn fn, void *ctx,
                           struct sw_err *err)
{
	sqlite3_stmt *s = sw_store_sql(st, sql, err);
	int rc;

	if (s == NULL)
		return err ? err->status : SW_ERR_IO;
	sqlite3_bind_int64(s, sqlite3_bind_parameter_index(s, ":id"), after);
	sqlite3_bind_int64(s, sqlite3_bind_parameter_index(s, ":lim"), (sqlite3_int64)limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		fn(ctx, kind, sqlite3_column_int64(s, 0), (const char *)sqlite3_column_text(s, 1),
		   (size_t)sqlite3_column_bytes(s, 1));
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return sq_read_fail(st, err);
	return SW_OK;
}

enum sw_status sw_store_query_events(struct sw_store *st, int64_t after_violation_id,
                                     int64_t after_anomaly_id, size_t limit,
                                     sw_query_event_fn fn, void *ctx, struct sw_err *err)
{
	enum sw_status status;

	if (limit < 1 || limit > SW_QUERY_LIMIT_MAX)
		return sw_err_set(err, SW_ERR_INVALID, "limit", 0, 0,
		                  "limit: expected an integer from 1 to %d, got '%zu'",
		                  SW_QUERY_LIMIT_MAX, limit);
	status = feed(st, sq_sql_violation_events, "violation", after_violation_id, limit, fn,
	              ctx, err);
	if (status == SW_OK)
		status = feed(st, sq_sql_anomaly_events, "anomaly", after_anomaly_id, limit, fn, ctx,
		              err);
	return status;
}

static const char sql_max_ids[] =
	"SELECT (SELECT coalesce(max(id), 0) FROM violations),"
	" (SELECT coalesce(max(id), 0) FROM anomalies)";

enum sw_status sw_store_query_max_ids(struct sw_store *st, int64_t *violation_id,
                                      int64_t *anomaly_id, struct sw_err *err)
{
	sqlite3_stmt *s = sw_store_sql(st, sql_max_ids, err);
	enum sw_status status = SW_OK;

	if (s == NULL)
		return err ? err->status : SW_ERR_IO;
	if (sqlite3_step(s) == SQLITE_ROW) {
		*violation_id = sqlite3_column_int64(s, 0);
		*anomaly_id = sqlite3_column_int64(s, 1);
	} else {
		status = sq_read_fail(st, err);
	}
	sqlite3_reset(s);
	return status;
}
