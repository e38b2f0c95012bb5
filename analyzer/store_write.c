/*
 * store_write.c - the store's writes: ended flows, violation upserts, the
 * inventory and policies, flow retention and violation triage, all with
 * cached prepared statements and bound values.
 */
#include "store_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segwatch/addr.h"
#include "segwatch/proto.h"

/* Flows deleted per transaction when pruning, so the writer never waits
 * long behind retention. */
#define PRUNE_CHUNK 10000

#define VIOLATION_INSERT \
	"INSERT INTO violations (src, dst, proto, port, reason, src_endpoint," \
	" dst_endpoint, src_ns, dst_ns, src_ip, dst_ip, first_seen_ns, last_seen_ns," \
	" flows, src_pkts, src_bytes, dst_pkts, dst_bytes, fw_verdict, fw_prefix," \
	" sample_run_id, sample_flow_ids, summary, explanation)" \
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15," \
	" ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)"

/* Flows are inserted SW_STORE_FLOWS_PER_INSERT rows per statement (the
 * rest one by one): a statement opens the table's and its six indexes'
 * cursors once for all its rows. OR FAIL: a refused row stops the
 * statement but leaves the rows before it, so SQLite needs no statement
 * journal (a copy of every page the statement touches, to undo just it);
 * the caller rolls the batch back on any failure. The foreign keys are
 * deferred to the commit for the same reason (schema/006). Parameters are
 * numbered in order: row k's column c (1-based) is FLOW_PARAMS * k + c. */
#define FLOW_PARAMS 28
#define FLOW_INSERT \
	"INSERT OR FAIL INTO flows (run_id, flow_id, src, dst, src_endpoint, dst_endpoint," \
	" src_ns, dst_ns, src_ip, dst_ip, sport, dport, proto, vlan, vlan_inner," \
	" first_ns, last_ns, src_pkts, src_bytes, dst_pkts, dst_bytes, tcp_state," \
	" end_reason, verdict, reason, violation_id, fw_verdict, fw_prefix) VALUES "
#define FLOW_4_PARAMS "?,?,?,?"
#define FLOW_ROW "(" FLOW_4_PARAMS "," FLOW_4_PARAMS "," FLOW_4_PARAMS "," FLOW_4_PARAMS "," \
	FLOW_4_PARAMS "," FLOW_4_PARAMS "," FLOW_4_PARAMS ")"
#define FLOW_ROWS_4 FLOW_ROW "," FLOW_ROW "," FLOW_ROW "," FLOW_ROW
#define FLOW_ROWS_16 FLOW_ROWS_4 "," FLOW_ROWS_4 "," FLOW_ROWS_4 "," FLOW_ROWS_4
#define FLOW_ROWS_32 FLOW_ROWS_16 "," FLOW_ROWS_16
_Static_assert(sizeof(FLOW_ROW) == 2 * FLOW_PARAMS + 2, "a row has FLOW_PARAMS parameters");
_Static_assert(sizeof(FLOW_ROWS_32) == SW_STORE_FLOWS_PER_INSERT * sizeof(FLOW_ROW),
               "STMT_INSERT_FLOWS has SW_STORE_FLOWS_PER_INSERT rows");

const char *const sw_store_stmt_sql[STMT_COUNT] = {
	[STMT_INSERT_FLOW] = FLOW_INSERT FLOW_ROW,
	[STMT_INSERT_FLOWS] = FLOW_INSERT FLOW_ROWS_32,
	/* a key new to the database: a plain INSERT, which needs no statement
	 * journal (an upsert does) */
	[STMT_INSERT_VIOLATION] = VIOLATION_INSERT,
	[STMT_UPSERT_VIOLATION] = VIOLATION_INSERT
	" ON CONFLICT (src, dst, proto, port, reason) DO UPDATE SET"
	" first_seen_ns = min(first_seen_ns, excluded.first_seen_ns),"
	" last_seen_ns = max(last_seen_ns, excluded.last_seen_ns),"
	" flows = flows + excluded.flows,"
	" src_pkts = src_pkts + excluded.src_pkts,"
	" src_bytes = src_bytes + excluded.src_bytes,"
	" dst_pkts = dst_pkts + excluded.dst_pkts,"
	" dst_bytes = dst_bytes + excluded.dst_bytes,"
	" fw_verdict = coalesce(excluded.fw_verdict, fw_verdict),"
	" fw_prefix = CASE WHEN excluded.fw_verdict IS NULL THEN fw_prefix"
	"             ELSE excluded.fw_prefix END,"
	" summary = excluded.summary,"
	" explanation = coalesce(excluded.explanation, explanation)"
	" RETURNING id",
	[STMT_UPSERT_NAMESPACE] =
	"INSERT INTO namespaces (name, labels, loaded_ns) VALUES (?1, ?2, ?3)"
	" ON CONFLICT (name) DO UPDATE SET labels = excluded.labels,"
	" loaded_ns = excluded.loaded_ns",
	[STMT_UPSERT_ENDPOINT] =
	"INSERT INTO endpoints (id, ns, name, kind, labels, addresses, ports, file,"
	" line, loaded_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
	" ON CONFLICT (id) DO UPDATE SET ns = excluded.ns, name = excluded.name,"
	" kind = excluded.kind, labels = excluded.labels,"
	" addresses = excluded.addresses, ports = excluded.ports,"
	" file = excluded.file, line = excluded.line, loaded_ns = excluded.loaded_ns",
	[STMT_UPSERT_POLICY] =
	"INSERT INTO policies (ns, name, origin, file, line, content_hash, loaded_ns,"
	" changed_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)"
	" ON CONFLICT (ns, name) DO UPDATE SET origin = excluded.origin,"
	" file = excluded.file, line = excluded.line,"
	" changed_ns = CASE WHEN content_hash = excluded.content_hash THEN changed_ns"
	"              ELSE excluded.loaded_ns END,"
	" content_hash = excluded.content_hash, loaded_ns = excluded.loaded_ns",
};

/* ---- helpers ---- */

/* The namespace of an endpoint id "ns/name", bound; NULL when id is. */
static void bind_ns_of(sqlite3_stmt *s, int i, const char *id)
{
	const char *slash = id ? strchr(id, '/') : NULL;

	if (slash != NULL)
		sqlite3_bind_text(s, i, id, (int)(slash - id), SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

/* A new reference to j's compact text (caller frees), NULL when out of
 * memory; j is released. */
static char *json_text(json_t *j)
{
	char *text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	json_decref(j);
	return text;
}

/* ---- flows ---- */

/* Binds flow sf to the parameters after the first `o` of s (sb and db get
 * its addresses' text, which s borrows). */
static void bind_flow(sqlite3_stmt *s, int o, const struct sw_store *st,
                      const struct sw_store_flow *sf, char *sb, char *db)
{
	const struct sw_flow *f = sf->flow;
	bool denied = sf->reason == SW_REASON_DENIED_INGRESS ||
	              sf->reason == SW_REASON_DENIED_EGRESS || sf->reason == SW_REASON_DENIED_BOTH;

	sw_addr_format(&f->src, sb, SW_ADDR_STRLEN);
	sw_addr_format(&f->dst, db, SW_ADDR_STRLEN);
	if (st->run_id != 0)
		sqlite3_bind_int64(s, o + 1, st->run_id);
	sw_sql_bind_u64(s, o + 2, f->id);
	sqlite3_bind_text(s, o + 3, sf->src_id ? sf->src_id : sb, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, o + 4, sf->dst_id ? sf->dst_id : db, -1, SQLITE_STATIC);
	sw_sql_bind_text_or_null(s, o + 5, sf->src_id);
	sw_sql_bind_text_or_null(s, o + 6, sf->dst_id);
	bind_ns_of(s, o + 7, sf->src_id);
	bind_ns_of(s, o + 8, sf->dst_id);
	sqlite3_bind_text(s, o + 9, sb, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, o + 10, db, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, o + 11, f->sport);
	sqlite3_bind_int(s, o + 12, f->dport);
	sqlite3_bind_int(s, o + 13, f->proto);
	if (f->n_vlan > 0)
		sqlite3_bind_int(s, o + 14, f->vlan[0]);
	if (f->n_vlan > 1)
		sqlite3_bind_int(s, o + 15, f->vlan[1]);
	sw_sql_bind_u64(s, o + 16, f->first_ns);
	sw_sql_bind_u64(s, o + 17, f->last_ns);
	sw_sql_bind_u64(s, o + 18, f->dir[0].pkts);
	sw_sql_bind_u64(s, o + 19, f->dir[0].bytes);
	sw_sql_bind_u64(s, o + 20, f->dir[1].pkts);
	sw_sql_bind_u64(s, o + 21, f->dir[1].bytes);
	if (f->proto == SW_PROTO_TCP)
		sqlite3_bind_text(s, o + 22, sw_tcp_state_name(f->tcp_state), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, o + 23, sw_flow_end_name(sf->end), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, o + 24, denied ? "denied" : "allowed", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, o + 25, sw_reason_name(sf->reason), -1, SQLITE_STATIC);
	if (sf->violation_id > 0)
		sqlite3_bind_int64(s, o + 26, sf->violation_id);
	if (f->fw.verdict != SW_FW_NONE) {
		sqlite3_bind_text(s, o + 27, sw_fw_verdict_name(f->fw.verdict), -1, SQLITE_STATIC);
		sqlite3_bind_text(s, o + 28, f->fw.prefix, (int)strnlen(f->fw.prefix, SW_FW_PREFIX_MAX),
		                  SQLITE_STATIC);
	}
}

/* n flows with one statement: which is STMT_INSERT_FLOWS for
 * SW_STORE_FLOWS_PER_INSERT of them, STMT_INSERT_FLOW for one. */
static enum sw_status insert_flows(struct sw_store *st, enum store_stmt which,
                                   const struct sw_store_flow *sf, size_t n, struct sw_err *err)
{
	char sb[SW_STORE_FLOWS_PER_INSERT][SW_ADDR_STRLEN];
	char db[SW_STORE_FLOWS_PER_INSERT][SW_ADDR_STRLEN];
	sqlite3_stmt *s = sw_store_stmt(st, which, err);
	int rc;

	if (s == NULL)
		return err ? err->status : SW_ERR_IO;
	for (size_t k = 0; k < n; k++)
		bind_flow(s, (int)k * FLOW_PARAMS, st, &sf[k], sb[k], db[k]);
	rc = sw_sql_step_done(s);
	if (rc != SQLITE_DONE) {
		enum sw_status status = sw_store_fail(st, err, n > 1 ? "store flows" : "store a flow");
		sw_sql_reset(s);
		return status;
	}
	sw_sql_reset(s);
	for (size_t k = 0; k < n; k++) {
		if (sf[k].src_id != NULL && sw_store_note_identity(st, sb[k], sf[k].src_id, err) != SW_OK)
			return err ? err->status : SW_ERR_IO;
		if (sf[k].dst_id != NULL && sw_store_note_identity(st, db[k], sf[k].dst_id, err) != SW_OK)
			return err ? err->status : SW_ERR_IO;
	}
	return SW_OK;
}

enum sw_status sw_store_put_flows(struct sw_store *st, const struct sw_store_flow *sf, size_t n,
                                  struct sw_err *err)
{
	if (sw_store_need_writable(st, err) != SW_OK)
		return SW_ERR_INVALID;
	for (size_t i = 0; i < n;) {
		bool whole = n - i >= SW_STORE_FLOWS_PER_INSERT;
		size_t take = whole ? SW_STORE_FLOWS_PER_INSERT : 1;
		enum sw_status status = insert_flows(st, whole ? STMT_INSERT_FLOWS : STMT_INSERT_FLOW,
		                                     sf + i, take, err);

		if (status != SW_OK)
			return status;
		i += take;
	}
	return SW_OK;
}

enum sw_status sw_store_put_flow(struct sw_store *st, const struct sw_store_flow *sf,
                                 struct sw_err *err)
{
	return sw_store_put_flows(st, sf, 1, err);
}

/* ---- violations ---- */

/* "[1,2,3]": the sample flow ids. */
static void samples_json(const struct sw_violation *v, char *buf, size_t len)
{
	size_t o = 0;

	o += (size_t)snprintf(buf, len, "[");
	for (size_t i = 0; i < v->n_samples && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%llu", i ? "," : "",
		                      (unsigned long long)v->samples[i].flow_id);
	if (o < len)
		snprintf(buf + o, len - o, "]");
}

static void bind_violation(sqlite3_stmt *s, const struct sw_store *st,
                           const struct sw_violation *v, char bufs[4][SW_ADDR_STRLEN],
                           char *samples, size_t samples_len, const char *expl)
{
	sqlite3_bind_text(s, 1, sw_violation_identity(v, false, bufs[0], SW_ADDR_STRLEN), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_text(s, 2, sw_violation_identity(v, true, bufs[1], SW_ADDR_STRLEN), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_int(s, 3, v->proto);
	sqlite3_bind_int(s, 4, v->port);
	sqlite3_bind_text(s, 5, sw_reason_name(v->reason), -1, SQLITE_STATIC);
	sw_sql_bind_text_or_null(s, 6, v->src_id);
	sw_sql_bind_text_or_null(s, 7, v->dst_id);
	bind_ns_of(s, 8, v->src_id);
	bind_ns_of(s, 9, v->dst_id);
	sqlite3_bind_text(s, 10, sw_addr_format(&v->src_addr, bufs[2], SW_ADDR_STRLEN), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_text(s, 11, sw_addr_format(&v->dst_addr, bufs[3], SW_ADDR_STRLEN), -1,
	                  SQLITE_STATIC);
	sw_sql_bind_u64(s, 12, v->first_ns);
	sw_sql_bind_u64(s, 13, v->last_ns);
	sw_sql_bind_u64(s, 14, v->flows);
	sw_sql_bind_u64(s, 15, v->pkts[0]);
	sw_sql_bind_u64(s, 16, v->bytes[0]);
	sw_sql_bind_u64(s, 17, v->pkts[1]);
	sw_sql_bind_u64(s, 18, v->bytes[1]);
	if (v->fw_verdict != SW_FW_NONE) {
		sqlite3_bind_text(s, 19, sw_fw_verdict_name(v->fw_verdict), -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 20, v->fw_prefix, -1, SQLITE_STATIC);
	}
	if (st->run_id != 0)
		sqlite3_bind_int64(s, 21, st->run_id);
	samples_json(v, samples, samples_len);
	sqlite3_bind_text(s, 22, samples, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 23, v->summary ? v->summary : "", -1, SQLITE_STATIC);
	sw_sql_bind_text_or_null(s, 24, expl);
}

/* Steps s, bound to violation v: SQLITE_DONE with *row_id set, or the
 * error code (s is reset either way). */
static int step_violation(struct sw_store *st, sqlite3_stmt *s, const struct sw_violation *v,
                          const char *expl, bool returning, int64_t *row_id)
{
	char bufs[4][SW_ADDR_STRLEN], samples[SW_VIOLATION_SAMPLES * 21 + 3];
	int rc;

	bind_violation(s, st, v, bufs, samples, sizeof(samples), expl);
	rc = sqlite3_step(s);
	if (!returning && rc == SQLITE_DONE)
		*row_id = sqlite3_last_insert_rowid(st->db);
	if (returning && rc == SQLITE_ROW) {
		*row_id = sqlite3_column_int64(s, 0);
		rc = sw_sql_step_done(s);
	}
	sw_sql_reset(s);
	return rc;
}

enum sw_status sw_store_upsert_violation(struct sw_store *st, const struct sw_violation *v,
                                         int64_t *row_id, struct sw_err *err)
{
	char *expl = NULL;
	sqlite3_stmt *s;
	int64_t row = 0;
	int rc;

	if (sw_store_need_writable(st, err) != SW_OK)
		return SW_ERR_INVALID;
	if (v->explanation != NULL &&
	    (expl = sw_store_explanation_text(st, v->explanation)) == NULL)
		return sw_err_set(err, SW_ERR_NOMEM, st->path, 0, 0, "out of memory");
	/* most keys are new: try the plain INSERT first, fold into the stored
	 * row when the key is already there */
	s = sw_store_stmt(st, STMT_INSERT_VIOLATION, err);
	rc = s ? step_violation(st, s, v, expl, false, &row) : SQLITE_ERROR;
	if (rc == SQLITE_CONSTRAINT_UNIQUE) {
		s = sw_store_stmt(st, STMT_UPSERT_VIOLATION, err);
		rc = s ? step_violation(st, s, v, expl, true, &row) : SQLITE_ERROR;
	}
	free(expl);
	if (s == NULL)
		return err ? err->status : SW_ERR_IO;
	if (rc != SQLITE_DONE)
		return sw_store_fail(st, err, "store a violation");
	if (row_id != NULL)
		*row_id = row;
	return SW_OK;
}

static const char sql_update_violation[] =
	"UPDATE violations SET"
	" first_seen_ns = min(first_seen_ns, ?2), last_seen_ns = max(last_seen_ns, ?3),"
	" flows = flows + ?4, src_pkts = src_pkts + ?5,"
	" src_bytes = src_bytes + ?6, dst_pkts = dst_pkts + ?7,"
	" dst_bytes = dst_bytes + ?8,"
	" fw_verdict = coalesce(?9, fw_verdict),"
	" fw_prefix = CASE WHEN ?9 IS NULL THEN fw_prefix ELSE ?10 END"
	" WHERE id = ?1";

enum sw_status sw_store_update_violation(struct sw_store *st, int64_t row_id,
                                         const struct sw_violation *v, struct sw_err *err)
{
	sqlite3_stmt *s;
	enum sw_status status = SW_OK;

	if (sw_store_need_writable(st, err) != SW_OK)
		return SW_ERR_INVALID;
	s = sw_store_sql(st, sql_update_violation, err);
	if (s == NULL)
		return err ? err->status : SW_ERR_IO;
	sqlite3_bind_int64(s, 1, row_id);
	sw_sql_bind_u64(s, 2, v->first_ns);
	sw_sql_bind_u64(s, 3, v->last_ns);
	sw_sql_bind_u64(s, 4, v->flows);
	sw_sql_bind_u64(s, 5, v->pkts[0]);
	sw_sql_bind_u64(s, 6, v->bytes[0]);
	sw_sql_bind_u64(s, 7, v->pkts[1]);
	sw_sql_bind_u64(s, 8, v->bytes[1]);
	if (v->fw_verdict != SW_FW_NONE) {
		sqlite3_bind_text(s, 9, sw_fw_verdict_name(v->fw_verdict), -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 10, v->fw_prefix, -1, SQLITE_STATIC);
	}
	if (sw_sql_step_done(s) != SQLITE_DONE)
		status = sw_store_fail(st, err, "update a violation");
	else if (sqlite3_changes(st->db) != 1)
		status = sw_err_set(err, SW_ERR_NOTFOUND, st->path, 0, 0,
		                    "violation %lld is not in the database", (long long)row_id);
	sw_sql_reset(s);
	return status;
}

static const char sql_add_edge_minute[] =
	"INSERT INTO edge_minutes (minute_ns, src, dst, proto, port, src_ns, dst_ns, flows, bytes,"
	" denied, violation_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
	" ON CONFLICT (minute_ns, src, dst, proto, port) DO UPDATE SET"
	" flows = flows + excluded.flows, bytes = bytes + excluded.bytes,"
	" denied = max(denied, excluded.denied),"
	" violation_id = coalesce(excluded.violation_id, violation_id)";

enum sw_status sw_store_add_edge_minute(struct sw_store *st, const struct sw_store_edge_minute *e,
                                        struct sw_err *err)
{
	sqlite3_stmt *s;
	enum sw_status status = SW_OK;

	if (sw_store_need_writable(st, err) != SW_OK)
		return SW_ERR_INVALID;
	s = sw_store_sql(st, sql_add_edge_minute, err);
	if (s == NULL)
		return err ? err->status : SW_ERR_IO;
	sw_sql_bind_u64(s, 1, e->minute_ns);
	sqlite3_bind_text(s, 2, e->src, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, e->dst, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, e->proto);
	sqlite3_bind_int(s, 5, e->port);
	bind_ns_of(s, 6, e->src_endpoint ? e->src : NULL);
	bind_ns_of(s, 7, e->dst_endpoint ? e->dst : NULL);
	sw_sql_bind_u64(s, 8, e->flows);
	sw_sql_bind_u64(s, 9, e->bytes);
	sqlite3_bind_int(s, 10, e->denied ? 1 : 0);
	if (e->violation_id > 0)
		sqlite3_bind_int64(s, 11, e->violation_id);
	if (sw_sql_step_done(s) != SQLITE_DONE)
		status = sw_store_fail(st, err, "store the service map");
	sw_sql_reset(s);
	return status;
}

/* ---- inventory and policies ---- */

static char *labels_json(const struct sw_labels *l)
{
	json_t *o = json_object();

	for (size_t i = 0; o != NULL && i < l->n; i++)
		if (json_object_set_new(o, l->items[i].key, json_string(l->items[i].value)) != 0) {
			json_decref(o);
			return NULL;
		}
	return json_text(o);
}

static char *addresses_json(const struct sw_endpoint *ep)
{
	char buf[SW_PREFIX_STRLEN];
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < ep->n_prefixes; i++)
		if (json_array_append_new(a, json_string(sw_prefix_format(&ep->prefixes[i], buf,
		                                                           sizeof(buf)))) != 0) {
			json_decref(a);
			return NULL;
		}
	return json_text(a);
}

static char *ports_json(const struct sw_endpoint *ep)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < ep->n_ports; i++) {
		const struct sw_named_port *p = &ep->ports[i];
		const char *proto = sw_proto_name(p->proto);
		if (json_array_append_new(a, json_pack("{s:s?, s:s?, s:i}", "name", p->name,
		                                       "proto", proto, "port", (int)p->port)) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return json_text(a);
}

static enum sw_status put_namespace(struct sw_store *st, const struct sw_namespace *ns,
                                    uint64_t loaded_ns, struct sw_err *err)
{
	char *labels = labels_json(&ns->labels);
	sqlite3_stmt *s;
	enum sw_status status = SW_OK;

	if (labels == NULL)
		return sw_err_set(err, SW_ERR_NOMEM, st->path, 0, 0, "out of memory");
	s = sw_store_stmt(st, STMT_UPSERT_NAMESPACE, err);
	if (s == NULL) {
		free(labels);
		return err ? err->status : SW_ERR_IO;
	}
	sqlite3_bind_text(s, 1, ns->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, labels, -1, SQLITE_STATIC);
	sw_sql_bind_u64(s, 3, loaded_ns);
	if (sw_sql_step_done(s) != SQLITE_DONE)
		status = sw_store_fail(st, err, "store a namespace");
	sw_sql_reset(s);
	free(labels);
	return status;
}

static enum sw_status put_endpoint(struct sw_store *st, const struct sw_endpoint *ep,
                                   uint64_t loaded_ns, struct sw_err *err)
{
	char *labels = labels_json(&ep->labels), *addrs = addresses_json(ep);
	char *ports = ports_json(ep);
	sqlite3_stmt *s = NULL;
	enum sw_status status = SW_OK;

	if (labels == NULL || addrs == NULL || ports == NULL)
		status = sw_err_set(err, SW_ERR_NOMEM, st->path, 0, 0, "out of memory");
	else if ((s = sw_store_stmt(st, STMT_UPSERT_ENDPOINT, err)) == NULL)
		status = err ? err->status : SW_ERR_IO;
	if (s != NULL) {
		sqlite3_bind_text(s, 1, ep->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, ep->ns, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, ep->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, ep->kind ? ep->kind : "host", -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 5, labels, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 6, addrs, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 7, ports, -1, SQLITE_STATIC);
		sw_sql_bind_text_or_null(s, 8, ep->file);
		if (ep->line > 0)
			sqlite3_bind_int64(s, 9, ep->line);
		sw_sql_bind_u64(s, 10, loaded_ns);
		if (sw_sql_step_done(s) != SQLITE_DONE)
			status = sw_store_fail(st, err, "store an endpoint");
		sw_sql_reset(s);
	}
	free(labels);
	free(addrs);
	free(ports);
	return status;
}

enum sw_status sw_store_put_inventory(struct sw_store *st, const struct sw_inventory *inv,
                                      uint64_t loaded_ns, struct sw_err *err)
{
	enum sw_status status;
	bool own;

	if (sw_store_need_writable(st, err) != SW_OK)
		return SW_ERR_INVALID;
	status = sw_store_auto_begin(st, &own, err);
	if (status != SW_OK)
		return status;
	for (size_t i = 0; status == SW_OK && i < sw_inventory_n_namespaces(inv); i++)
		status = put_namespace(st, sw_inventory_namespace(inv, i), loaded_ns, err);
	for (size_t i = 0; status == SW_OK && i < sw_inventory_n_endpoints(inv); i++)
		status = put_endpoint(st, sw_inventory_endpoint(inv, i), loaded_ns, err);
	return sw_store_auto_end(st, own, status, err);
}

static enum sw_status put_policy(struct sw_store *st, const struct sw_netpol *p,
                                 uint64_t loaded_ns, struct sw_err *err)
{
	sqlite3_stmt *s = sw_store_stmt(st, STMT_UPSERT_POLICY, err);
	enum sw_status status = SW_OK;

	if (s == NULL)
		return err ? err->status : SW_ERR_IO;
	sqlite3_bind_text(s, 1, p->ns ? p->ns : "default", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, p->name ? p->name : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, p->origin ? p->origin : "k8s", -1, SQLITE_STATIC);
	sw_sql_bind_text_or_null(s, 4, p->file);
	if (p->line > 0)
		sqlite3_bind_int64(s, 5, p->line);
	sqlite3_bind_text(s, 6, p->content_hash ? p->content_hash : "", -1, SQLITE_STATIC);
	sw_sql_bind_u64(s, 7, loaded_ns);
	if (sw_sql_step_done(s) != SQLITE_DONE)
		status = sw_store_fail(st, err, "store a policy");
	sw_sql_reset(s);
	return status;
}

enum sw_status sw_store_put_policies(struct sw_store *st, const struct sw_policy_set *set,
                                     uint64_t loaded_ns, struct sw_err *err)
{
	enum sw_status status;
	bool own;

	if (sw_store_need_writable(st, err) != SW_OK)
		return SW_ERR_INVALID;
	sw_store_explanations_forget(st);
	status = sw_store_auto_begin(st, &own, err);
	if (status != SW_OK)
		return status;
	for (size_t i = 0; status == SW_OK && i < sw_policy_set_count(set); i++)
		status = put_policy(st, sw_policy_set_get(set, i), loaded_ns, err);
	return sw_store_auto_end(st, own, status, err);
}

/* ---- which endpoints each policy selects ---- */

static const char sql_clear_selects[] = "DELETE FROM policy_selects";
static const char sql_put_select[] =
	"INSERT OR IGNORE INTO policy_selects (policy_id, endpoint_id)"
	" SELECT id, ?3 FROM policies WHERE ns = ?1 AND name = ?2";

static enum sw_status put_select(struct sw_store *st, const struct sw_netpol *p,
                                 const char *endpoint_id, struct sw_err *err)
{
	sqlite3_stmt *s = sw_store_sql(st, sql_put_select, err);
	enum sw_status status = SW_OK;

	if (s == NULL)
		return err ? err->status : SW_ERR_IO;
	sqlite3_bind_text(s, 1, p->ns ? p->ns : "default", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, p->name ? p->name : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, endpoint_id, -1, SQLITE_STATIC);
	if (sw_sql_step_done(s) != SQLITE_DONE)
		status = sw_store_fail(st, err, "store a policy selection");
	sw_sql_reset(s);
	return status;
}

static enum sw_status put_selects_of(struct sw_store *st, const struct sw_netpol *p,
                                     const struct sw_inventory *inv, struct sw_err *err)
{
	enum sw_status status = SW_OK;
	const char *ns = p->ns ? p->ns : "default";

	for (size_t i = 0; status == SW_OK && i < sw_inventory_n_endpoints(inv); i++) {
		const struct sw_endpoint *ep = sw_inventory_endpoint(inv, i);

		if (strcmp(ep->ns, ns) == 0 && sw_selector_matches(&p->pod_sel, &ep->labels))
			status = put_select(st, p, ep->id, err);
	}
	return status;
}

enum sw_status sw_store_put_selections(struct sw_store *st, const struct sw_policy_set *set,
                                       const struct sw_inventory *inv, struct sw_err *err)
{
	enum sw_status status;
	sqlite3_stmt *s;
	bool own;

	if (sw_store_need_writable(st, err) != SW_OK)
		return SW_ERR_INVALID;
	status = sw_store_auto_begin(st, &own, err);
	if (status != SW_OK)
		return status;
	s = sw_store_sql(st, sql_clear_selects, err);
	if (s == NULL)
		status = err ? err->status : SW_ERR_IO;
	else if (sw_sql_step_done(s) != SQLITE_DONE)
		status = sw_store_fail(st, err, "clear the policy selections");
	if (s != NULL)
		sw_sql_reset(s);
	for (size_t i = 0; status == SW_OK && i < sw_policy_set_count(set); i++)
		status = put_selects_of(st, sw_policy_set_get(set, i), inv, err);
	return sw_store_auto_end(st, own, status, err);
}

/* ---- retention ---- */

enum sw_status sw_store_prune_flows(struct sw_store *st, uint64_t older_than_ns,
                                    uint64_t *deleted, struct sw_err *err)
{
	sqlite3_stmt *s;
	uint64_t total = 0;
	int rc, n;

	if (sw_store_need_writable(st, err) != SW_OK)
		return SW_ERR_INVALID;
	if (st->in_batch)
		return sw_err_set(err, SW_ERR_INVALID, st->path, 0, 0,
		                  "flows cannot be pruned inside a batch");
	if (sqlite3_prepare_v2(st->db, "DELETE FROM flows WHERE id IN (SELECT id FROM flows"
	                       " WHERE last_ns < ?1 LIMIT ?2)", -1, &s, NULL) != SQLITE_OK)
		return sw_store_fail(st, err, "prune flows");
	sw_sql_bind_u64(s, 1, older_than_ns);
	sqlite3_bind_int(s, 2, PRUNE_CHUNK);
	do {
		rc = sw_sql_step_done(s);
		n = sqlite3_changes(st->db);
		sqlite3_reset(s);
		if (rc == SQLITE_DONE)
			total += (uint64_t)n;
	} while (rc == SQLITE_DONE && n == PRUNE_CHUNK);
	if (rc != SQLITE_DONE) {
		enum sw_status status = sw_store_fail(st, err, "prune flows");
		sqlite3_finalize(s);
		return status;
	}
	sqlite3_finalize(s);
	/* the service map's minutes go with their flows */
	if (sqlite3_prepare_v2(st->db, "DELETE FROM edge_minutes WHERE minute_ns + 60000000000 <= ?1",
	                       -1, &s, NULL) != SQLITE_OK)
		return sw_store_fail(st, err, "prune the service map");
	sw_sql_bind_u64(s, 1, older_than_ns);
	rc = sw_sql_step_done(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return sw_store_fail(st, err, "prune the service map");
	if (deleted != NULL)
		*deleted = total;
	return SW_OK;
}

/* ---- triage ---- */

static const char *const triage_names[SW_TRIAGE_COUNT] = {
	[SW_TRIAGE_OPEN] = "open",
	[SW_TRIAGE_ACKNOWLEDGED] = "acknowledged",
	[SW_TRIAGE_RESOLVED] = "resolved",
};

const char *sw_triage_name(enum sw_triage t)
{
	return (unsigned)t < SW_TRIAGE_COUNT ? triage_names[t] : NULL;
}

enum sw_status sw_triage_parse(const char *name, enum sw_triage *out)
{
	for (unsigned i = 0; i < SW_TRIAGE_COUNT; i++)
		if (strcmp(name, triage_names[i]) == 0) {
			*out = (enum sw_triage)i;
			return SW_OK;
		}
	return SW_ERR_NOTFOUND;
}

/* The current state of violation id into *cur. */
static enum sw_status triage_current(struct sw_store *st, int64_t id, enum sw_triage *cur,
                                     struct sw_err *err)
{
	sqlite3_stmt *s;
	enum sw_status status = SW_OK;
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT state FROM violations WHERE id = ?1", -1, &s,
	                       NULL) != SQLITE_OK)
		return sw_store_fail(st, err, "read a violation");
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const unsigned char *name = sqlite3_column_text(s, 0);
		if (name == NULL || sw_triage_parse((const char *)name, cur) != SW_OK)
			status = sw_err_set(err, SW_ERR_PARSE, st->path, 0, 0,
			                    "violation %lld has an unknown state", (long long)id);
	} else if (rc == SQLITE_DONE) {
		status = sw_err_set(err, SW_ERR_NOTFOUND, st->path, 0, 0,
		                    "no violation with id %lld", (long long)id);
	} else {
		status = sw_store_fail(st, err, "read a violation");
	}
	sqlite3_finalize(s);
	return status;
}

static enum sw_status triage_write(struct sw_store *st, int64_t id, enum sw_triage state,
                                   const char *who, uint64_t now_ns, struct sw_err *err)
{
	static const char sql[] =
		"UPDATE violations SET state = ?2, state_changed_ns = ?3,"
		" acknowledged_ns = CASE WHEN ?2 = 'acknowledged' THEN ?3 ELSE acknowledged_ns END,"
		" acknowledged_by = CASE WHEN ?2 = 'acknowledged' THEN ?4 ELSE acknowledged_by END,"
		" resolved_ns = CASE ?2 WHEN 'resolved' THEN ?3 WHEN 'open' THEN NULL"
		"               ELSE resolved_ns END,"
		" resolved_by = CASE ?2 WHEN 'resolved' THEN ?4 WHEN 'open' THEN NULL"
		"               ELSE resolved_by END"
		" WHERE id = ?1";
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return sw_store_fail(st, err, "change a violation's state");
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, sw_triage_name(state), -1, SQLITE_STATIC);
	sw_sql_bind_u64(s, 3, now_ns);
	sw_sql_bind_text_or_null(s, 4, who);
	rc = sw_sql_step_done(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return sw_store_fail(st, err, "change a violation's state");
	return SW_OK;
}

enum sw_status sw_store_set_violation_state(struct sw_store *st, int64_t id,
                                            enum sw_triage state, const char *who,
                                            uint64_t now_ns, struct sw_err *err)
{
	enum sw_triage cur;
	enum sw_status status;
	bool own;

	if (sw_store_need_writable(st, err) != SW_OK)
		return SW_ERR_INVALID;
	if (sw_triage_name(state) == NULL)
		return sw_err_set(err, SW_ERR_INVALID, NULL, 0, 0,
		                  "%d is not a triage state (open, acknowledged, resolved)",
		                  (int)state);
	status = sw_store_auto_begin(st, &own, err);
	if (status != SW_OK)
		return status;
	status = triage_current(st, id, &cur, err);
	if (status == SW_OK && cur == SW_TRIAGE_RESOLVED && state == SW_TRIAGE_ACKNOWLEDGED)
		status = sw_err_set(err, SW_ERR_INVALID, NULL, 0, 0,
		                    "violation %lld is resolved: reopen it before acknowledging it",
		                    (long long)id);
	if (status == SW_OK && cur != state)
		status = triage_write(st, id, state, who, now_ns, err);
	return sw_store_auto_end(st, own, status, err);
}
