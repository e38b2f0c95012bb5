/*
 * store_query_map.c - the SQL of the service map (/api/v1/edges: flows
 * aggregated by src, dst, proto, destination port within the window, from
 * the per-minute table edge_minutes (so the window is counted in whole
 * minutes of the flows' last packets), plus
 * the violations, anomalies and baseline edges of the window; the busiest
 * edges first), of the database part of /api/v1/stats and of /healthz.
 */
#include "store_query_int.h"

#define E_NS " AND (:ns IS NULL OR src_ns = :ns OR dst_ns = :ns)"
#define E_ORDER "flows DESC, bytes DESC, src, dst, proto, port"

static const char sql_edges[] =
	"WITH parts AS ("
	"  SELECT src, dst, proto, port, sum(flows) AS flows, sum(bytes) AS bytes,"
	"   max(denied) AS denied, max(violation_id) AS violation_id, 0 AS anomaly"
	"  FROM edge_minutes WHERE minute_ns > :since - 60000000000 AND minute_ns <= :until"
	E_NS "  GROUP BY src, dst, proto, port"
	" UNION ALL SELECT src, dst, proto, port, 0, 0, 1, id, 0 FROM violations"
	"  WHERE last_seen_ns >= :since AND +first_seen_ns <= :until" E_NS
	" UNION ALL SELECT src, dst, coalesce(proto, 0), coalesce(port, 0), 0, 0, 0, NULL, 1"
	"  FROM anomalies WHERE dst IS NOT NULL AND detected_ns >= :since"
	"  AND detected_ns <= :until" E_NS
	" UNION ALL SELECT src, dst, proto, port, 0, 0, 0, NULL, 0 FROM baseline_edges"
	"  WHERE last_seen_ns >= :since AND +first_seen_ns <= :until" E_NS "),"
	" e AS (SELECT src, dst, proto, port, sum(flows) AS flows, sum(bytes) AS bytes,"
	"  max(denied) AS denied, max(violation_id) AS violation_id, max(anomaly) AS anomaly"
	"  FROM parts GROUP BY src, dst, proto, port),"
	" top AS MATERIALIZED (SELECT * FROM e ORDER BY " E_ORDER " LIMIT :lim + 1),"
	" shown AS MATERIALIZED (SELECT * FROM top ORDER BY " E_ORDER " LIMIT :lim),"
	" nodes AS (SELECT src AS id FROM shown UNION SELECT dst FROM shown)"
	" SELECT json_object("
	" 'nodes', (SELECT json_group_array(json_object('id', n.id,"
	"   'kind', CASE WHEN ep.id IS NULL THEN 'external' ELSE 'endpoint' END,"
	"   'ns', ep.ns, 'name', coalesce(ep.name, n.id),"
	"   'labels', json(coalesce(ep.labels, '{}'))))"
	"   FROM (SELECT id FROM nodes ORDER BY id) n LEFT JOIN endpoints ep ON ep.id = n.id),"
	" 'edges', (SELECT json_group_array(json_object('src', s.src, 'dst', s.dst,"
	"   'proto', " SQ_PROTO("s.proto") ", 'port', s.port, 'flows', s.flows,"
	"   'bytes', s.bytes, 'verdict', CASE WHEN s.denied THEN 'denied' ELSE 'allowed' END,"
	"   'violation_id', s.violation_id,"
	"   'anomaly', json(CASE WHEN s.anomaly THEN 'true' ELSE 'false' END),"
	"   'baseline', json(CASE WHEN EXISTS (SELECT 1 FROM baseline_edges b"
	"     WHERE b.src = s.src AND b.dst = s.dst AND b.proto = s.proto AND b.port = s.port)"
	"     THEN 'true' ELSE 'false' END)))"
	"   FROM (SELECT * FROM shown ORDER BY " E_ORDER ") s),"
	" 'truncated', json(CASE WHEN (SELECT count(*) FROM top) > :lim"
	"   THEN 'true' ELSE 'false' END))";

static const char *pick_edges(const struct qargs *a)
{
	(void)a;
	return sql_edges;
}

/* The end of the newest minute of traffic or violation stored. */
static const char sql_newest[] =
	"SELECT max(coalesce((SELECT max(minute_ns) FROM edge_minutes) + 60000000000, 0),"
	" coalesce((SELECT max(last_seen_ns) FROM violations), 0))";

/* Without since, the window is the last hour of the data: the hour up to
 * now, or up to the newest data when that is older (a database of past
 * captures, served or audited later, would show an empty map). */
static enum sw_status probe_edges(struct sw_store *st, struct qargs *a, struct sw_err *err)
{
	int64_t newest = 0;
	enum sw_status status;

	if (a->set & QP_BIT(QP_SINCE))
		return SW_OK;
	status = sq_count(st, sql_newest, a, &newest, err);
	if (status == SW_OK && newest > 0 && (uint64_t)newest < a->now)
		a->since = newest > (int64_t)SW_QUERY_EDGES_WINDOW_NS
		           ? newest - (int64_t)SW_QUERY_EDGES_WINDOW_NS : 0;
	return status;
}

const struct qroute sq_edges = {
	.params = QP_BIT(QP_SINCE) | QP_BIT(QP_UNTIL) | QP_BIT(QP_NAMESPACE) | QP_BIT(QP_LIMIT),
	.limit_default = SW_QUERY_EDGES_DEFAULT,
	.limit_max = SW_QUERY_EDGES_MAX,
	.pick = pick_edges,
	.probe = probe_edges,
};

#define MINUTE_NS "60000000000"
#define LAST_RUN(col) "(SELECT " col " FROM runs ORDER BY started_ns DESC, id DESC LIMIT 1)"
#define COUNT_V(col, val) \
	"'" val "', (SELECT count(*) FROM violations WHERE " col " = '" val "')"
#define COUNT_A(val) "'" val "', (SELECT count(*) FROM anomalies WHERE kind = '" val "')"

static const char sql_stats[] =
	"SELECT json_object('now', " SQ_TS(":now") ","
	" 'run', (SELECT json_object('id', id, 'started', " SQ_TS("started_ns") ","
	"   'sources', sources, 'ended', " SQ_TS("ended_ns") ")"
	"   FROM runs ORDER BY started_ns DESC, id DESC LIMIT 1),"
	" 'packets', coalesce(" LAST_RUN("packets") ", 0),"
	" 'drops', coalesce(" LAST_RUN("drops") ", 0),"
	" 'flows', coalesce(" LAST_RUN("flows") ", 0),"
	" 'flows_stored', (SELECT count(*) FROM flows),"
	" 'violations', (SELECT count(*) FROM violations),"
	" 'violations_open', (SELECT count(*) FROM violations WHERE state = 'open'),"
	" 'violations_by_reason', json_object(" COUNT_V("reason", "denied_ingress") ","
	"   " COUNT_V("reason", "denied_egress") ", " COUNT_V("reason", "denied_both") "),"
	" 'anomalies', (SELECT count(*) FROM anomalies),"
	" 'anomalies_by_kind', json_object(" COUNT_A("new_edge") ", " COUNT_A("volume") ","
	"   " COUNT_A("new_external") ", " COUNT_A("fanout") "),"
	" 'series', (WITH RECURSIVE m(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM m WHERE i < 59)"
	"   SELECT json_group_array(json_object('t', " SQ_TS("t") ","
	"    'violations', (SELECT count(*) FROM violations"
	"      WHERE first_seen_ns >= t AND first_seen_ns < t + " MINUTE_NS "),"
	"    'flows', (SELECT count(*) FROM flows"
	"      WHERE last_ns >= t AND last_ns < t + " MINUTE_NS ")))"
	"   FROM (SELECT (:now / " MINUTE_NS " - 59 + i) * " MINUTE_NS " AS t"
	"         FROM m ORDER BY i)))";

static const char *pick_stats(const struct qargs *a)
{
	(void)a;
	return sql_stats;
}

const struct qroute sq_stats = {
	.params = 0,
	.pick = pick_stats,
};

static const char sql_health[] =
	"SELECT json_object('status', 'ok', 'db', 'ok',"
	" 'schema_version', (SELECT user_version FROM pragma_user_version))";

static const char *pick_health(const struct qargs *a)
{
	(void)a;
	return sql_health;
}

const struct qroute sq_health = {
	.params = 0,
	.pick = pick_health,
};
