/*
 * store_baseline.c - the store's baseline edges and anomalies (see
 * include/segwatch/store_baseline.h): statements cached with
 * sw_store_sql(), every value bound.
 */
#include "store_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "segwatch/store_baseline.h"

#define LIST_DEFAULT 100
#define LIST_MAX 10000

static const char sql_list_edges[] =
	"SELECT id, src, dst, proto, port, src_ns, dst_ns, first_seen_ns, last_seen_ns,"
	" flows, bytes, interval_ns, intervals, bytes_mean, bytes_m2, origin"
	" FROM baseline_edges WHERE id > ?1 AND (?2 IS NULL OR src = ?2)"
	" AND (?3 IS NULL OR dst = ?3) AND (?4 IS NULL OR src_ns = ?4 OR dst_ns = ?4)"
	" ORDER BY id LIMIT ?5";

static const char sql_upsert_edge[] =
	"INSERT INTO baseline_edges (src, dst, proto, port, src_ns, dst_ns, first_seen_ns,"
	" last_seen_ns, flows, bytes, interval_ns, intervals, bytes_mean, bytes_m2, origin)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
	" ON CONFLICT (src, dst, proto, port) DO UPDATE SET"
	" src_ns = excluded.src_ns, dst_ns = excluded.dst_ns,"
	" first_seen_ns = min(first_seen_ns, excluded.first_seen_ns),"
	" last_seen_ns = max(last_seen_ns, excluded.last_seen_ns),"
	" flows = excluded.flows, bytes = excluded.bytes, interval_ns = excluded.interval_ns,"
	" intervals = excluded.intervals, bytes_mean = excluded.bytes_mean,"
	" bytes_m2 = excluded.bytes_m2,"
	" origin = CASE WHEN origin = 'accepted' THEN origin ELSE excluded.origin END";

static const char sql_reset[] = "DELETE FROM baseline_edges";
/* (last_seen_ns is an index: only the expired edges are visited) */
static const char sql_expire[] =
	"DELETE FROM baseline_edges WHERE last_seen_ns <"
	" (SELECT max(last_seen_ns) FROM baseline_edges) - ?1";

static const char sql_insert_anomaly[] =
	"INSERT INTO anomalies (run_id, kind, detected_ns, src, dst, proto, port, src_ns,"
	" dst_ns, score, evidence) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";

static const char sql_anomaly_state[] = "SELECT state, kind FROM anomalies WHERE id = ?1";

static const char sql_set_state[] =
	"UPDATE anomalies SET state = ?2, state_changed_ns = ?3, state_by = ?4 WHERE id = ?1";

/* INSERT ... SELECT needs its WHERE before ON CONFLICT (SQLite's parser). */
static const char sql_accept_edge[] =
	"INSERT INTO baseline_edges (src, dst, proto, port, src_ns, dst_ns, first_seen_ns,"
	" last_seen_ns, origin)"
	" SELECT src, dst, proto, port, src_ns, dst_ns, detected_ns, detected_ns, 'accepted'"
	" FROM anomalies WHERE id = ?1 AND dst IS NOT NULL"
	" ON CONFLICT (src, dst, proto, port) DO NOTHING";

#define ANOMALY_COLUMNS \
	"id, run_id, kind, detected_ns, src, dst, proto, port, src_ns, dst_ns, score," \
	" evidence, state, state_changed_ns, state_by"

static const char sql_list_anomalies[] =
	"SELECT " ANOMALY_COLUMNS " FROM anomalies"
	" WHERE (?1 = 0 OR detected_ns >= ?1) AND (?2 = 0 OR detected_ns <= ?2)"
	" AND (?3 IS NULL OR kind = ?3) AND (?4 IS NULL OR state = ?4)"
	" AND (?5 IS NULL OR src = ?5) AND (?6 IS NULL OR dst = ?6)"
	" AND (?8 = 0 OR detected_ns < ?7 OR (detected_ns = ?7 AND id < ?8))"
	" ORDER BY detected_ns DESC, id DESC LIMIT ?9";

static const char sql_get_anomaly[] = "SELECT " ANOMALY_COLUMNS " FROM anomalies WHERE id = ?1";

/* ---- helpers ---- */

static enum sw_status cached(struct sw_store *st, const char *sql, sqlite3_stmt **s,
                             struct sw_err *err)
{
	*s = sw_store_sql(st, sql, err);
	if (*s == NULL)
		return err && err->status != SW_OK ? err->status : SW_ERR_IO;
	return SW_OK;
}

/* Steps a write to its end; *changes (may be NULL) gets the rows changed. */
static enum sw_status run_write(struct sw_store *st, sqlite3_stmt *s, const char *doing,
                                uint64_t *changes, struct sw_err *err)
{
	enum sw_status status = SW_OK;

	if (sw_sql_step_done(s) != SQLITE_DONE)
		status = sw_store_fail(st, err, doing);
	else if (changes != NULL)
		*changes = (uint64_t)sqlite3_changes(st->db);
	sw_sql_reset(s);
	return status;
}

/* ---- edges ---- */

static void read_edge(sqlite3_stmt *s, struct sw_store_edge *out)
{
	struct sw_baseline_edge *e = &out->e;

	memset(out, 0, sizeof(*out));
	out->id = sqlite3_column_int64(s, 0);
	e->src = sw_sql_col_text(s, 1);
	e->dst = sw_sql_col_text(s, 2);
	e->proto = (uint8_t)sqlite3_column_int(s, 3);
	e->port = (uint16_t)sqlite3_column_int(s, 4);
	e->src_ns = sw_sql_col_text(s, 5);
	e->dst_ns = sw_sql_col_text(s, 6);
	e->first_seen_ns = sw_sql_col_u64(s, 7);
	e->last_seen_ns = sw_sql_col_u64(s, 8);
	e->flows = sw_sql_col_u64(s, 9);
	e->bytes = sw_sql_col_u64(s, 10);
	e->interval_ns = sw_sql_col_u64(s, 11);
	e->intervals = sw_sql_col_u64(s, 12);
	e->bytes_mean = sqlite3_column_double(s, 13);
	e->bytes_m2 = sqlite3_column_double(s, 14);
	e->origin = sw_sql_col_text(s, 15);
}

enum sw_status sw_store_list_edges(struct sw_store *st, const struct sw_store_efilter *f,
                                   sw_store_edge_fn fn, void *ctx, bool *more,
                                   struct sw_err *err)
{
	static const struct sw_store_efilter all;
	sqlite3_stmt *s;
	enum sw_status status;
	size_t n = 0;
	int rc;

	if (f == NULL)
		f = &all;
	if (more != NULL)
		*more = false;
	if ((status = cached(st, sql_list_edges, &s, err)) != SW_OK)
		return status;
	sqlite3_bind_int64(s, 1, f->cursor_id);
	sw_sql_bind_text_or_null(s, 2, f->src);
	sw_sql_bind_text_or_null(s, 3, f->dst);
	sw_sql_bind_text_or_null(s, 4, f->ns);
	sqlite3_bind_int64(s, 5, f->limit ? (sqlite3_int64)f->limit + 1 : -1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct sw_store_edge e;
		if (f->limit != 0 && n == f->limit) {
			if (more != NULL)
				*more = true;
			break;
		}
		read_edge(s, &e);
		n++;
		status = fn(ctx, &e);
		if (status != SW_OK)
			break;
	}
	if (status == SW_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
		status = sw_store_fail(st, err, "read the baseline");
	sw_sql_reset(s);
	return status;
}

enum sw_status sw_store_upsert_edge(struct sw_store *st, const struct sw_baseline_edge *e,
                                    struct sw_err *err)
{
	sqlite3_stmt *s;
	enum sw_status status;

	if ((status = sw_store_need_writable(st, err)) != SW_OK)
		return status;
	if (e->src == NULL || e->dst == NULL)
		return sw_err_set(err, SW_ERR_INVALID, st->path, 0, 0,
		                  "a baseline edge needs a source and a destination");
	if ((status = cached(st, sql_upsert_edge, &s, err)) != SW_OK)
		return status;
	sqlite3_bind_text(s, 1, e->src, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, e->dst, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, e->proto);
	sqlite3_bind_int(s, 4, e->port);
	sw_sql_bind_text_or_null(s, 5, e->src_ns);
	sw_sql_bind_text_or_null(s, 6, e->dst_ns);
	sw_sql_bind_u64(s, 7, e->first_seen_ns);
	sw_sql_bind_u64(s, 8, e->last_seen_ns);
	sw_sql_bind_u64(s, 9, e->flows);
	sw_sql_bind_u64(s, 10, e->bytes);
	sw_sql_bind_u64(s, 11, e->interval_ns);
	sw_sql_bind_u64(s, 12, e->intervals);
	sqlite3_bind_double(s, 13, e->bytes_mean);
	sqlite3_bind_double(s, 14, e->bytes_m2);
	sqlite3_bind_text(s, 15, e->origin ? e->origin : "learned", -1, SQLITE_STATIC);
	return run_write(st, s, "store a baseline edge", NULL, err);
}

enum sw_status sw_store_edge_sink_fn(void *ctx, const struct sw_baseline_edge *e)
{
	struct sw_store_edge_sink *sink = ctx;

	return sw_store_upsert_edge(sink->st, e, sink->err);
}

/* One DELETE of edges (?1 bound to arg unless it is negative), in the open
 * batch or a transaction of its own. */
static enum sw_status delete_edges(struct sw_store *st, const char *sql, int64_t arg,
                                   const char *doing, uint64_t *deleted, struct sw_err *err)
{
	sqlite3_stmt *s;
	enum sw_status status;
	bool own;

	if ((status = sw_store_need_writable(st, err)) != SW_OK)
		return status;
	if ((status = sw_store_auto_begin(st, &own, err)) != SW_OK)
		return status;
	status = cached(st, sql, &s, err);
	if (status == SW_OK) {
		if (arg >= 0)
			sqlite3_bind_int64(s, 1, arg);
		status = run_write(st, s, doing, deleted, err);
	}
	return sw_store_auto_end(st, own, status, err);
}

enum sw_status sw_store_reset_baseline(struct sw_store *st, uint64_t *deleted,
                                       struct sw_err *err)
{
	return delete_edges(st, sql_reset, -1, "reset the baseline", deleted, err);
}

enum sw_status sw_store_expire_baseline(struct sw_store *st, uint64_t older_than_ns,
                                        uint64_t *deleted, struct sw_err *err)
{
	int64_t age = older_than_ns > INT64_MAX ? INT64_MAX : (int64_t)older_than_ns;

	return delete_edges(st, sql_expire, age, "expire baseline edges", deleted, err);
}

/* ---- anomalies ---- */

static const char *const state_names[SW_ANOMALY_STATE_COUNT] = {
	[SW_ANOMALY_OPEN] = "open",
	[SW_ANOMALY_ACKNOWLEDGED] = "acknowledged",
	[SW_ANOMALY_RESOLVED] = "resolved",
	[SW_ANOMALY_ACCEPTED] = "accepted",
};

const char *sw_anomaly_state_name(enum sw_anomaly_state s)
{
	return (unsigned)s < SW_ANOMALY_STATE_COUNT ? state_names[s] : NULL;
}

enum sw_status sw_anomaly_state_parse(const char *name, enum sw_anomaly_state *out)
{
	for (unsigned i = 0; i < SW_ANOMALY_STATE_COUNT; i++)
		if (strcmp(name, state_names[i]) == 0) {
			*out = (enum sw_anomaly_state)i;
			return SW_OK;
		}
	return SW_ERR_NOTFOUND;
}

static bool is_json_object(const char *text)
{
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	bool ok = json_is_object(j);

	json_decref(j);
	return ok;
}

enum sw_status sw_store_insert_anomaly(struct sw_store *st, const struct sw_anomaly *a,
                                       int64_t *row_id, struct sw_err *err)
{
	const char *kind = sw_anomaly_kind_name(a->kind);
	sqlite3_stmt *s;
	enum sw_status status;

	if ((status = sw_store_need_writable(st, err)) != SW_OK)
		return status;
	if (kind == NULL || a->src == NULL)
		return sw_err_set(err, SW_ERR_INVALID, st->path, 0, 0,
		                  "an anomaly needs a known kind and a source");
	if (a->evidence != NULL && !is_json_object(a->evidence))
		return sw_err_set(err, SW_ERR_INVALID, st->path, 0, 0,
		                  "the evidence of an anomaly must be a JSON object");
	if ((status = cached(st, sql_insert_anomaly, &s, err)) != SW_OK)
		return status;
	if (st->run_id != 0)
		sqlite3_bind_int64(s, 1, st->run_id);
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
	sw_sql_bind_u64(s, 3, a->detected_ns);
	sqlite3_bind_text(s, 4, a->src, -1, SQLITE_STATIC);
	sw_sql_bind_text_or_null(s, 5, a->dst);
	if (a->kind != SW_ANOMALY_FANOUT) {
		sqlite3_bind_int(s, 6, a->proto);
		sqlite3_bind_int(s, 7, a->port);
	}
	sw_sql_bind_text_or_null(s, 8, a->src_ns);
	sw_sql_bind_text_or_null(s, 9, a->dst_ns);
	sqlite3_bind_double(s, 10, a->score);
	sqlite3_bind_text(s, 11, a->evidence ? a->evidence : "{}", -1, SQLITE_STATIC);
	status = run_write(st, s, "store an anomaly", NULL, err);
	if (status == SW_OK && row_id != NULL)
		*row_id = sqlite3_last_insert_rowid(st->db);
	return status;
}

/* The current state and kind of anomaly id. */
static enum sw_status anomaly_current(struct sw_store *st, int64_t id,
                                      enum sw_anomaly_state *state, enum sw_anomaly_kind *kind,
                                      struct sw_err *err)
{
	sqlite3_stmt *s;
	enum sw_status status;
	int rc;

	if ((status = cached(st, sql_anomaly_state, &s, err)) != SW_OK)
		return status;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *sn = sw_sql_col_text(s, 0), *kn = sw_sql_col_text(s, 1);
		if (sn == NULL || kn == NULL || sw_anomaly_state_parse(sn, state) != SW_OK ||
		    sw_anomaly_kind_parse(kn, kind) != SW_OK)
			status = sw_err_set(err, SW_ERR_PARSE, st->path, 0, 0,
			                    "anomaly %lld has an unknown state or kind", (long long)id);
	} else if (rc == SQLITE_DONE) {
		status = sw_err_set(err, SW_ERR_NOTFOUND, st->path, 0, 0,
		                    "no anomaly with id %lld", (long long)id);
	} else {
		status = sw_store_fail(st, err, "read an anomaly");
	}
	sw_sql_reset(s);
	return status;
}

static enum sw_status check_transition(const struct sw_store *st, int64_t id,
                                       enum sw_anomaly_state cur, enum sw_anomaly_state to,
                                       enum sw_anomaly_kind kind, struct sw_err *err)
{
	if (to == SW_ANOMALY_ACCEPTED && kind == SW_ANOMALY_FANOUT && cur != to)
		return sw_err_set(err, SW_ERR_INVALID, st->path, 0, 0,
		                  "anomaly %lld is a fan-out: it has no edge to accept into the "
		                  "baseline (acknowledge or resolve it)", (long long)id);
	if ((cur == SW_ANOMALY_RESOLVED || cur == SW_ANOMALY_ACCEPTED) && to != cur &&
	    to != SW_ANOMALY_OPEN)
		return sw_err_set(err, SW_ERR_INVALID, st->path, 0, 0,
		                  "anomaly %lld is %s: reopen it before marking it %s",
		                  (long long)id, sw_anomaly_state_name(cur), sw_anomaly_state_name(to));
	return SW_OK;
}

static enum sw_status state_write(struct sw_store *st, int64_t id, enum sw_anomaly_state to,
                                  const char *who, uint64_t now_ns, struct sw_err *err)
{
	sqlite3_stmt *s;
	enum sw_status status;

	if ((status = cached(st, sql_set_state, &s, err)) != SW_OK)
		return status;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, sw_anomaly_state_name(to), -1, SQLITE_STATIC);
	sw_sql_bind_u64(s, 3, now_ns);
	sw_sql_bind_text_or_null(s, 4, who);
	status = run_write(st, s, "change an anomaly's state", NULL, err);
	if (status != SW_OK || to != SW_ANOMALY_ACCEPTED)
		return status;
	if ((status = cached(st, sql_accept_edge, &s, err)) != SW_OK)
		return status;
	sqlite3_bind_int64(s, 1, id);
	return run_write(st, s, "accept an anomaly's edge into the baseline", NULL, err);
}

enum sw_status sw_store_set_anomaly_state(struct sw_store *st, int64_t id,
                                          enum sw_anomaly_state state, const char *who,
                                          uint64_t now_ns, struct sw_err *err)
{
	enum sw_anomaly_state cur = SW_ANOMALY_OPEN;
	enum sw_anomaly_kind kind = SW_ANOMALY_NEW_EDGE;
	enum sw_status status;
	bool own;

	if ((status = sw_store_need_writable(st, err)) != SW_OK)
		return status;
	if (sw_anomaly_state_name(state) == NULL)
		return sw_err_set(err, SW_ERR_INVALID, NULL, 0, 0,
		                  "%d is not an anomaly state (open, acknowledged, resolved, "
		                  "accepted)", (int)state);
	if ((status = sw_store_auto_begin(st, &own, err)) != SW_OK)
		return status;
	status = anomaly_current(st, id, &cur, &kind, err);
	if (status == SW_OK)
		status = check_transition(st, id, cur, state, kind, err);
	if (status == SW_OK && cur != state)
		status = state_write(st, id, state, who, now_ns, err);
	return sw_store_auto_end(st, own, status, err);
}

static void read_anomaly(sqlite3_stmt *s, struct sw_store_anomaly *a)
{
	const char *kind = sw_sql_col_text(s, 2), *state = sw_sql_col_text(s, 12);

	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(s, 0);
	a->run_id = sqlite3_column_int64(s, 1);
	if (kind == NULL || sw_anomaly_kind_parse(kind, &a->kind) != SW_OK)
		a->kind = SW_ANOMALY_NEW_EDGE; /* the schema's CHECK forbids it */
	a->detected_ns = sw_sql_col_u64(s, 3);
	a->src = sw_sql_col_text(s, 4);
	a->dst = sw_sql_col_text(s, 5);
	a->has_port = sqlite3_column_type(s, 6) != SQLITE_NULL;
	a->proto = (uint8_t)sqlite3_column_int(s, 6);
	a->port = (uint16_t)sqlite3_column_int(s, 7);
	a->src_ns = sw_sql_col_text(s, 8);
	a->dst_ns = sw_sql_col_text(s, 9);
	a->has_score = sqlite3_column_type(s, 10) != SQLITE_NULL;
	a->score = sqlite3_column_double(s, 10);
	a->evidence = sw_sql_col_text(s, 11);
	if (a->evidence == NULL)
		a->evidence = "{}";
	if (state == NULL || sw_anomaly_state_parse(state, &a->state) != SW_OK)
		a->state = SW_ANOMALY_OPEN;
	a->state_changed_ns = sw_sql_col_u64(s, 13);
	a->state_by = sw_sql_col_text(s, 14);
}

static void bind_afilter(sqlite3_stmt *s, const struct sw_store_afilter *f, size_t limit)
{
	sw_sql_bind_u64(s, 1, f->since_ns);
	sw_sql_bind_u64(s, 2, f->until_ns);
	sw_sql_bind_text_or_null(s, 3, f->has_kind ? sw_anomaly_kind_name(f->kind) : NULL);
	sw_sql_bind_text_or_null(s, 4, f->has_state ? sw_anomaly_state_name(f->state) : NULL);
	sw_sql_bind_text_or_null(s, 5, f->src);
	sw_sql_bind_text_or_null(s, 6, f->dst);
	sw_sql_bind_u64(s, 7, f->cursor_detected_ns);
	sqlite3_bind_int64(s, 8, f->cursor_id);
	sqlite3_bind_int64(s, 9, (sqlite3_int64)limit + 1);
}

enum sw_status sw_store_list_anomalies(struct sw_store *st, const struct sw_store_afilter *f,
                                       sw_store_anomaly_fn fn, void *ctx, bool *more,
                                       struct sw_err *err)
{
	static const struct sw_store_afilter all;
	size_t limit, n = 0;
	sqlite3_stmt *s;
	enum sw_status status;
	int rc;

	if (f == NULL)
		f = &all;
	limit = f->limit == 0 ? LIST_DEFAULT : f->limit;
	if (limit > LIST_MAX)
		return sw_err_set(err, SW_ERR_INVALID, NULL, 0, 0,
		                  "at most %d anomalies per page, asked for %zu", LIST_MAX, limit);
	if (more != NULL)
		*more = false;
	if ((status = cached(st, sql_list_anomalies, &s, err)) != SW_OK)
		return status;
	bind_afilter(s, f, limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct sw_store_anomaly a;
		if (n == limit) {
			if (more != NULL)
				*more = true;
			break;
		}
		read_anomaly(s, &a);
		n++;
		fn(ctx, &a);
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		status = sw_store_fail(st, err, "read anomalies");
	sw_sql_reset(s);
	return status;
}

enum sw_status sw_store_get_anomaly(struct sw_store *st, int64_t id, sw_store_anomaly_fn fn,
                                    void *ctx, struct sw_err *err)
{
	sqlite3_stmt *s;
	enum sw_status status;
	int rc;

	if ((status = cached(st, sql_get_anomaly, &s, err)) != SW_OK)
		return status;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		struct sw_store_anomaly a;
		read_anomaly(s, &a);
		fn(ctx, &a);
	} else if (rc == SQLITE_DONE) {
		status = sw_err_set(err, SW_ERR_NOTFOUND, st->path, 0, 0, "no anomaly with id %lld",
		                    (long long)id);
	} else {
		status = sw_store_fail(st, err, "read an anomaly");
	}
	sw_sql_reset(s);
	return status;
}
