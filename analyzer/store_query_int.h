/*
 * store_query_int.h - what the files of the query layer share
 * (store_query.c: parameters, cursors and the runner; store_query_*.c: the
 * SQL of each resource): the parsed parameters and the SQL fragments that
 * turn columns into the contract's JSON values.
 */
#ifndef SEGWATCH_STORE_QUERY_INT_H
#define SEGWATCH_STORE_QUERY_INT_H

#include "store_int.h"

#include "segwatch/addr.h"
#include "segwatch/store_query.h"

/* The query parameters a route may know, one bit each in qroute.params. */
enum qp {
	QP_SINCE, QP_UNTIL, QP_SRC, QP_DST, QP_NAMESPACE, QP_POLICY, QP_REASON, QP_STATE,
	QP_PROTO, QP_PORT, QP_SORT, QP_LIMIT, QP_CURSOR, QP_IP, QP_VERDICT, QP_VIOLATION,
	QP_KIND, QP_ENDPOINT, QP_LABEL, QP_COUNT
};
#define QP_BIT(q) (1u << (q))

/* Orders of the violation list ("sort"). */
enum vsort { VS_LAST_DESC, VS_LAST_ASC, VS_FIRST_DESC, VS_FIRST_ASC, VS_FLOWS_DESC,
	     VS_FLOWS_ASC, VS_COUNT };

/* Parsed, validated parameters. Strings point into the caller's values or
 * into the buffers here; every one is bound by name (":src", ...) by
 * sq_bind(): a NULL pointer binds NULL. */
struct qargs {
	uint64_t now;
	unsigned set;                   /* QP_BIT of each parameter given */
	int64_t since, until;           /* 0 and INT64_MAX when not given */
	const char *src, *dst, *ns, *ip, *endpoint;
	const char *pol_ns, *pol_name;  /* policy "ns/name", split */
	const char *reason, *state, *kind, *verdict; /* canonical names */
	int proto, port;                /* -1 when not given */
	int ports_proto[3];             /* the protocols a port filter means */
	const char *denied[3];          /* the denied reasons a filter means */
	int64_t violation;              /* 0 when not given */
	enum vsort sort;
	int64_t limit;
	/* keyset cursor: rows after (cur_k, cur_id), or after cur_text */
	int64_t cur_k, cur_id;
	const char *cur_text;
	const char *cursor_tag;         /* the tag this route and sort write */
	int64_t id;                     /* item routes */
	bool rare;                      /* set by the route's probe: the coarse
	                                 * filter matches few rows */
	bool rare_ip;                   /* flows: so does the ip filter */
	char ip_buf[SW_ADDR_STRLEN];
	char pol_buf[SW_QUERY_VALUE_MAX + 1];
	char label_buf[SW_QUERY_VALUE_MAX + 1];
	const char *label_key, *label_value;
	char cur_buf[SW_QUERY_VALUE_MAX + 1];
};

/* Chooses the SQL of a route for a: one string constant per query shape
 * (sw_store_sql caches by its address). */
typedef const char *(*sq_pick_fn)(const struct qargs *a);
/* Looks at the data before pick when the best index depends on how many
 * rows a filter matches (SQLite has no statistics here): sets a->rare. */
typedef enum sw_status (*sq_probe_fn)(struct sw_store *st, struct qargs *a,
                                      struct sw_err *err);

/* A filter matching fewer rows than this is served by its index and a
 * sort; a commoner one by walking the time index in order. */
#define SQ_RARE_ROWS 5000

struct qroute {
	unsigned params;                /* QP_BITs known */
	int64_t limit_default, limit_max;
	sq_pick_fn pick;
	sq_probe_fn probe;              /* may be NULL */
	const char *tag;                /* cursor tag; NULL: sort-dependent */
	bool desc;                      /* keyset descending (cursor defaults) */
	enum { CUR_KEY_ID, CUR_ID, CUR_TEXT } cursor; /* "tag.key.id", "tag.id",
	                                 * "tag.hex" (a text key) */
};

extern const struct qroute sq_violations, sq_violation, sq_flows, sq_edges, sq_anomalies,
	sq_baseline, sq_policies, sq_endpoints, sq_runs, sq_stats, sq_health;

/* The cursor tag of a violation sort. */
const char *sq_violation_tag(enum vsort s);
bool sq_violation_sort_desc(enum vsort s);

/* Binds every named parameter s has from a. */
void sq_bind(sqlite3_stmt *s, const struct qargs *a);

/* Runs sql (a constant) with a bound and copies the first column of its
 * one row into *json (malloc'd). A missing row or a NULL is
 * SW_ERR_NOTFOUND (notfound names what). */
enum sw_status sq_run(struct sw_store *st, const char *sql, const struct qargs *a,
                      const char *notfound, char **json, size_t *len, struct sw_err *err);

/* Records SQLite's last error as a read failure: SW_ERR_BUSY, SW_ERR_IO,
 * SW_ERR_NOMEM, never SW_ERR_INVALID (which names a parameter). */
enum sw_status sq_read_fail(struct sw_store *st, struct sw_err *err);

/* Runs sql (a constant, one integer column) with a bound into *n. */
enum sw_status sq_count(struct sw_store *st, const char *sql, const struct qargs *a,
                        int64_t *n, struct sw_err *err);

/* ---- SQL fragments ---- */

/* RFC 3339 UTC with nanoseconds of an integer column, NULL for NULL. */
#define SQ_TS(c) \
	"(CASE WHEN " c " IS NULL THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%S', " c \
	" / 1000000000, 'unixepoch') || printf('.%09dZ', " c " % 1000000000) END)"

/* A protocol number as its name ("tcp"), or its decimal text. */
#define SQ_PROTO(c) \
	"coalesce(CASE " c " WHEN 6 THEN 'tcp' WHEN 17 THEN 'udp' WHEN 132 THEN 'sctp'" \
	" WHEN 1 THEN 'icmp' WHEN 58 THEN 'icmpv6' END, CAST(" c " AS TEXT))"

/* The page wrapper of a list: WITH page AS (rows ... LIMIT :lim + 1), then
 * {"items": [ITEM of the first :lim rows], "next_cursor": tag.key.id
 * of the last row when one more exists, "limit": :lim}. FROM_WHERE is
 * "FROM t WHERE ...", ORDER the ORDER BY terms, KEY the cursor's key
 * expression (text) and ITEM a json_object over alias v. */
#define SQ_LIST(FROM_WHERE, ORDER, KEY, ITEM) \
	"WITH page AS MATERIALIZED (SELECT * " FROM_WHERE " ORDER BY " ORDER \
	" LIMIT :lim + 1)" \
	" SELECT json_object('items', (SELECT json_group_array(" ITEM ")" \
	"   FROM (SELECT * FROM page ORDER BY " ORDER " LIMIT :lim) v)," \
	" 'next_cursor', CASE WHEN (SELECT count(*) FROM page) > :lim THEN" \
	"   (SELECT :tag || '.' || " KEY " FROM page ORDER BY " ORDER \
	"    LIMIT 1 OFFSET :lim - 1) END," \
	" 'limit', :lim)"

/* The contract's item objects over a row alias. */
#define SQ_VIOLATION_FIELDS(v) \
	"'id', " v ".id, 'src', " v ".src, 'dst', " v ".dst," \
	" 'src_endpoint', " v ".src_endpoint, 'dst_endpoint', " v ".dst_endpoint," \
	" 'src_ns', " v ".src_ns, 'dst_ns', " v ".dst_ns, 'src_ip', " v ".src_ip," \
	" 'dst_ip', " v ".dst_ip, 'proto', " SQ_PROTO(v ".proto") ", 'port', " v ".port," \
	" 'reason', " v ".reason, 'first_seen', " SQ_TS(v ".first_seen_ns") "," \
	" 'last_seen', " SQ_TS(v ".last_seen_ns") ", 'flows', " v ".flows," \
	" 'src_pkts', " v ".src_pkts, 'src_bytes', " v ".src_bytes," \
	" 'dst_pkts', " v ".dst_pkts, 'dst_bytes', " v ".dst_bytes," \
	" 'fw_verdict', " v ".fw_verdict, 'fw_prefix', " v ".fw_prefix," \
	" 'summary', " v ".summary, 'state', " v ".state," \
	" 'state_changed', " SQ_TS(v ".state_changed_ns") "," \
	" 'acknowledged_by', " v ".acknowledged_by, 'resolved_by', " v ".resolved_by"
#define SQ_VIOLATION_ITEM(v) "json_object(" SQ_VIOLATION_FIELDS(v) ")"

#define SQ_FLOW_ITEM(f) \
	"json_object('id', " f ".id, 'run_id', " f ".run_id, 'flow_id', " f ".flow_id," \
	" 'src', " f ".src, 'dst', " f ".dst, 'src_endpoint', " f ".src_endpoint," \
	" 'dst_endpoint', " f ".dst_endpoint, 'src_ns', " f ".src_ns, 'dst_ns', " f ".dst_ns," \
	" 'src_ip', " f ".src_ip, 'src_port', " f ".sport, 'dst_ip', " f ".dst_ip," \
	" 'dst_port', " f ".dport, 'proto', " SQ_PROTO(f ".proto") ", 'vlan', " f ".vlan," \
	" 'first_seen', " SQ_TS(f ".first_ns") ", 'last_seen', " SQ_TS(f ".last_ns") "," \
	" 'src_pkts', " f ".src_pkts, 'src_bytes', " f ".src_bytes," \
	" 'dst_pkts', " f ".dst_pkts, 'dst_bytes', " f ".dst_bytes," \
	" 'tcp_state', " f ".tcp_state, 'end_reason', " f ".end_reason," \
	" 'verdict', " f ".verdict, 'reason', " f ".reason, 'violation_id', " f ".violation_id," \
	" 'fw_verdict', " f ".fw_verdict, 'fw_prefix', " f ".fw_prefix)"

#define SQ_ANOMALY_ITEM(a) \
	"json_object('id', " a ".id, 'kind', " a ".kind, 'detected', " SQ_TS(a ".detected_ns") "," \
	" 'src', " a ".src, 'dst', " a ".dst, 'proto', " SQ_PROTO(a ".proto") "," \
	" 'port', " a ".port, 'src_ns', " a ".src_ns, 'dst_ns', " a ".dst_ns," \
	" 'score', " a ".score, 'evidence', json(" a ".evidence), 'state', " a ".state," \
	" 'state_changed', " SQ_TS(a ".state_changed_ns") ", 'state_by', " a ".state_by)"

/* One item by :id (the list's item form), and the rows after :id in id
 * order, at most :lim, as (id, item). */
extern const char sq_sql_violation_row[], sq_sql_violation_events[];
extern const char sq_sql_anomaly_row[], sq_sql_anomaly_events[];

#endif
