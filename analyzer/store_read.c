/*
 * store_read.c - the store's queries: counting and listing violations by a
 * filter (keyset pagination on last seen, id), and the query plan SQLite
 * chooses for them. The SQL text is assembled from fixed fragments chosen
 * by which filter fields are set; every value is bound.
 */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_DEFAULT 100
#define LIST_MAX 10000
#define SQL_MAX 2048

#define VIOLATION_COLUMNS \
	"id, src, dst, src_endpoint, dst_endpoint, src_ip, dst_ip, proto, port, reason," \
	" first_seen_ns, last_seen_ns, flows, src_pkts, src_bytes, dst_pkts, dst_bytes," \
	" fw_verdict, fw_prefix, sample_flow_ids, summary, explanation, state," \
	" state_changed_ns, acknowledged_by, resolved_by"

/* Parameter numbers, fixed whatever the filter. */
enum {
	P_SINCE = 1, P_UNTIL, P_SRC, P_DST, P_NS, P_REASON, P_STATE, P_PROTO, P_PORT,
	P_CUR_LAST, P_CUR_ID, P_LIMIT
};

enum query_kind { Q_COUNT, Q_LIST, Q_PLAN };

static void append(char *sql, size_t len, const char *text)
{
	size_t o = strlen(sql);

	snprintf(sql + o, len - o, "%s", text);
}

/* The WHERE clause of f: " WHERE a AND b" or "". */
static void where_clause(const struct sw_store_vfilter *f, bool cursor, char *sql, size_t len)
{
	const char *parts[11];
	size_t n = 0;

	if (f->since_ns != 0)
		parts[n++] = "last_seen_ns >= ?1";
	if (f->until_ns != 0)
		parts[n++] = "first_seen_ns <= ?2";
	if (f->src != NULL)
		parts[n++] = "src = ?3";
	if (f->dst != NULL)
		parts[n++] = "dst = ?4";
	if (f->ns != NULL)
		parts[n++] = "(src_ns = ?5 OR dst_ns = ?5)";
	if (f->has_reason)
		parts[n++] = "reason = ?6";
	if (f->has_state)
		parts[n++] = "state = ?7";
	if (f->has_proto)
		parts[n++] = "proto = ?8";
	if (f->has_proto && f->has_port)
		parts[n++] = "port = ?9";
	if (cursor && f->cursor_id != 0)
		parts[n++] = "(last_seen_ns, id) < (?10, ?11)";
	for (size_t i = 0; i < n; i++) {
		append(sql, len, i ? " AND " : " WHERE ");
		append(sql, len, parts[i]);
	}
}

static void build_sql(const struct sw_store_vfilter *f, enum query_kind kind, char *sql,
                      size_t len)
{
	sql[0] = '\0';
	if (kind == Q_PLAN)
		append(sql, len, "EXPLAIN QUERY PLAN ");
	append(sql, len, kind == Q_COUNT ? "SELECT count(*) FROM violations"
	                                 : "SELECT " VIOLATION_COLUMNS " FROM violations");
	where_clause(f, kind != Q_COUNT, sql, len);
	if (kind != Q_COUNT)
		append(sql, len, " ORDER BY last_seen_ns DESC, id DESC LIMIT ?12");
}

static enum sw_status check_filter(struct sw_store *st, const struct sw_store_vfilter *f,
                                   struct sw_err *err)
{
	if (f->has_port && !f->has_proto)
		return sw_err_set(err, SW_ERR_INVALID, NULL, 0, 0, "a port filter needs a protocol");
	if (f->has_state && sw_triage_name(f->state) == NULL)
		return sw_err_set(err, SW_ERR_INVALID, NULL, 0, 0, "unknown triage state %d",
		                  (int)f->state);
	if (f->limit > LIST_MAX)
		return sw_err_set(err, SW_ERR_INVALID, NULL, 0, 0,
		                  "at most %d violations per page, asked for %zu", LIST_MAX,
		                  f->limit);
	(void)st;
	return SW_OK;
}

/* Prepares the query of f; fetch is the page size for lists (one more
 * than the limit, to tell whether more rows remain). */
static enum sw_status prepare(struct sw_store *st, const struct sw_store_vfilter *f,
                              enum query_kind kind, sqlite3_int64 fetch, sqlite3_stmt **out,
                              struct sw_err *err)
{
	char sql[SQL_MAX];
	sqlite3_stmt *s;

	if (check_filter(st, f, err) != SW_OK)
		return SW_ERR_INVALID;
	build_sql(f, kind, sql, sizeof(sql));
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return sw_store_fail(st, err, "query violations");
	sqlite3_bind_int64(s, P_SINCE, (sqlite3_int64)f->since_ns);
	sqlite3_bind_int64(s, P_UNTIL, (sqlite3_int64)f->until_ns);
	if (f->src != NULL)
		sqlite3_bind_text(s, P_SRC, f->src, -1, SQLITE_STATIC);
	if (f->dst != NULL)
		sqlite3_bind_text(s, P_DST, f->dst, -1, SQLITE_STATIC);
	if (f->ns != NULL)
		sqlite3_bind_text(s, P_NS, f->ns, -1, SQLITE_STATIC);
	if (f->has_reason)
		sqlite3_bind_text(s, P_REASON, sw_reason_name(f->reason), -1, SQLITE_STATIC);
	if (f->has_state)
		sqlite3_bind_text(s, P_STATE, sw_triage_name(f->state), -1, SQLITE_STATIC);
	sqlite3_bind_int(s, P_PROTO, f->proto);
	sqlite3_bind_int(s, P_PORT, f->port);
	sqlite3_bind_int64(s, P_CUR_LAST, (sqlite3_int64)f->cursor_last_ns);
	sqlite3_bind_int64(s, P_CUR_ID, f->cursor_id);
	sqlite3_bind_int64(s, P_LIMIT, fetch);
	*out = s;
	return SW_OK;
}

enum sw_status sw_store_count_violations(struct sw_store *st,
                                         const struct sw_store_vfilter *f,
                                         uint64_t *count, struct sw_err *err)
{
	sqlite3_stmt *s;
	enum sw_status status = prepare(st, f, Q_COUNT, 0, &s, err);

	if (status != SW_OK)
		return status;
	if (sqlite3_step(s) == SQLITE_ROW)
		*count = (uint64_t)sqlite3_column_int64(s, 0);
	else
		status = sw_store_fail(st, err, "count violations");
	sqlite3_finalize(s);
	return status;
}

static void row_read(sqlite3_stmt *s, struct sw_store_violation *v)
{
	const char *reason, *state;

	memset(v, 0, sizeof(*v));
	v->id = sqlite3_column_int64(s, 0);
	v->src = sw_sql_col_text(s, 1);
	v->dst = sw_sql_col_text(s, 2);
	v->src_endpoint = sw_sql_col_text(s, 3);
	v->dst_endpoint = sw_sql_col_text(s, 4);
	v->src_ip = sw_sql_col_text(s, 5);
	v->dst_ip = sw_sql_col_text(s, 6);
	v->proto = (uint8_t)sqlite3_column_int(s, 7);
	v->port = (uint16_t)sqlite3_column_int(s, 8);
	reason = sw_sql_col_text(s, 9);
	if (reason == NULL || sw_reason_parse(reason, &v->reason) != SW_OK)
		v->reason = SW_REASON_DENIED_BOTH;
	v->first_seen_ns = sw_sql_col_u64(s, 10);
	v->last_seen_ns = sw_sql_col_u64(s, 11);
	v->flows = sw_sql_col_u64(s, 12);
	v->src_pkts = sw_sql_col_u64(s, 13);
	v->src_bytes = sw_sql_col_u64(s, 14);
	v->dst_pkts = sw_sql_col_u64(s, 15);
	v->dst_bytes = sw_sql_col_u64(s, 16);
	v->fw_verdict = sw_sql_col_text(s, 17);
	v->fw_prefix = sw_sql_col_text(s, 18);
	v->sample_flow_ids = sw_sql_col_text(s, 19);
	v->summary = sw_sql_col_text(s, 20);
	v->explanation = sw_sql_col_text(s, 21);
	state = sw_sql_col_text(s, 22);
	if (state == NULL || sw_triage_parse(state, &v->state) != SW_OK)
		v->state = SW_TRIAGE_OPEN;
	v->state_changed_ns = sw_sql_col_u64(s, 23);
	v->acknowledged_by = sw_sql_col_text(s, 24);
	v->resolved_by = sw_sql_col_text(s, 25);
}

enum sw_status sw_store_list_violations(struct sw_store *st, const struct sw_store_vfilter *f,
                                        sw_store_violation_fn fn, void *ctx, bool *more,
                                        struct sw_err *err)
{
	size_t limit = f->limit ? f->limit : LIST_DEFAULT, n = 0;
	struct sw_store_violation v;
	sqlite3_stmt *s;
	enum sw_status status = prepare(st, f, Q_LIST, (sqlite3_int64)limit + 1, &s, err);
	int rc;

	if (status != SW_OK)
		return status;
	if (more != NULL)
		*more = false;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == limit) {
			if (more != NULL)
				*more = true;
			rc = SQLITE_DONE;
			break;
		}
		row_read(s, &v);
		fn(ctx, &v);
		n++;
	}
	if (rc != SQLITE_DONE)
		status = sw_store_fail(st, err, "list violations");
	sqlite3_finalize(s);
	return status;
}

enum sw_status sw_store_violations_plan(struct sw_store *st, const struct sw_store_vfilter *f,
                                        char **plan, struct sw_err *err)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out;
	sqlite3_stmt *s;
	enum sw_status status = prepare(st, f, Q_PLAN, LIST_DEFAULT + 1, &s, err);
	int rc;

	if (status != SW_OK)
		return status;
	out = open_memstream(&text, &len);
	if (out == NULL) {
		sqlite3_finalize(s);
		return sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
	}
	/* columns: id, parent, notused, detail */
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		fprintf(out, "%s\n", sw_sql_col_text(s, 3) ? sw_sql_col_text(s, 3) : "");
	if (rc != SQLITE_DONE)
		status = sw_store_fail(st, err, "explain a violation query");
	sqlite3_finalize(s);
	if (fclose(out) != 0 && status == SW_OK)
		status = sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
	if (status != SW_OK) {
		free(text);
		return status;
	}
	*plan = text;
	return SW_OK;
}

static const char sql_data_version[] = "PRAGMA data_version";

int64_t sw_store_data_version(struct sw_store *st)
{
	sqlite3_stmt *s = sw_store_sql(st, sql_data_version, NULL);
	int64_t v = -1;

	if (s == NULL)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return v;
}
