/*
 * store_query_anomalies.c - the SQL of /api/v1/anomalies (detected
 * descending) and /api/v1/baseline (last seen descending), one statement
 * per driving index, and the anomaly rows of the event stream.
 */
#include "store_query_int.h"

#define A_RESIDUAL \
	" AND detected_ns >= :since AND detected_ns <= :until" \
	" AND (:kind IS NULL OR kind = :kind) AND (:state IS NULL OR state = :state)" \
	" AND (:src IS NULL OR src = :src) AND (:dst IS NULL OR dst = :dst)"

#define A_LIST(DRIVER) \
	SQ_LIST("FROM anomalies WHERE " DRIVER " (detected_ns, id) < (:ck, :cid)" A_RESIDUAL, \
	        "detected_ns DESC, id DESC", "detected_ns || '.' || id", SQ_ANOMALY_ITEM("v"))

static const char sql_by_src[] = A_LIST("src = :src AND");
static const char sql_by_dst[] = A_LIST("dst = :dst AND");
static const char sql_by_state[] = A_LIST("state = :state AND");
static const char sql_by_kind[] = A_LIST("kind = :kind AND");
static const char sql_by_time[] = A_LIST("");

static const char *pick_anomalies(const struct qargs *a)
{
	if (a->src != NULL)
		return sql_by_src;
	if (a->dst != NULL)
		return sql_by_dst;
	if (a->state != NULL)
		return sql_by_state;
	if (a->kind != NULL)
		return sql_by_kind;
	return sql_by_time;
}

const struct qroute sq_anomalies = {
	.params = QP_BIT(QP_SINCE) | QP_BIT(QP_UNTIL) | QP_BIT(QP_KIND) | QP_BIT(QP_SRC) |
	          QP_BIT(QP_DST) | QP_BIT(QP_STATE) | QP_BIT(QP_LIMIT) | QP_BIT(QP_CURSOR),
	.limit_default = SW_QUERY_LIMIT_DEFAULT,
	.limit_max = SW_QUERY_LIMIT_MAX,
	.pick = pick_anomalies,
	.tag = "A",
	.desc = true,
	.cursor = CUR_KEY_ID,
};

const char sq_sql_anomaly_row[] =
	"SELECT " SQ_ANOMALY_ITEM("v") " FROM anomalies v WHERE v.id = :id";

const char sq_sql_anomaly_events[] =
	"SELECT v.id, " SQ_ANOMALY_ITEM("v") " FROM anomalies v WHERE v.id > :id"
	" ORDER BY v.id LIMIT :lim";

/* ---- baseline ---- */

#define B_ITEM \
	"json_object('id', v.id, 'src', v.src, 'dst', v.dst, 'proto', " SQ_PROTO("v.proto") "," \
	" 'port', v.port, 'src_ns', v.src_ns, 'dst_ns', v.dst_ns," \
	" 'first_seen', " SQ_TS("v.first_seen_ns") ", 'last_seen', " SQ_TS("v.last_seen_ns") "," \
	" 'flows', v.flows, 'bytes', v.bytes, 'intervals', v.intervals," \
	" 'bytes_mean', v.bytes_mean," \
	" 'bytes_stddev', CASE WHEN v.intervals > 1" \
	"   THEN sqrt(v.bytes_m2 / (v.intervals - 1)) ELSE 0.0 END," \
	" 'origin', v.origin)"

#define B_LIST(DRIVER) \
	SQ_LIST("FROM baseline_edges WHERE " DRIVER " (last_seen_ns, id) < (:ck, :cid)" \
	        " AND (:src IS NULL OR src = :src) AND (:dst IS NULL OR dst = :dst)" \
	        " AND (:ns IS NULL OR src_ns = :ns OR dst_ns = :ns)", \
	        "last_seen_ns DESC, id DESC", "last_seen_ns || '.' || id", B_ITEM)

static const char sql_base_src[] = B_LIST("src = :src AND");
static const char sql_base_dst[] = B_LIST("dst = :dst AND");
static const char sql_base_time[] = B_LIST("");

static const char *pick_baseline(const struct qargs *a)
{
	if (a->src != NULL)
		return sql_base_src;
	if (a->dst != NULL)
		return sql_base_dst;
	return sql_base_time;
}

const struct qroute sq_baseline = {
	.params = QP_BIT(QP_SRC) | QP_BIT(QP_DST) | QP_BIT(QP_NAMESPACE) | QP_BIT(QP_LIMIT) |
	          QP_BIT(QP_CURSOR),
	.limit_default = SW_QUERY_LIMIT_DEFAULT,
	.limit_max = SW_QUERY_LIMIT_MAX,
	.pick = pick_baseline,
	.tag = "B",
	.desc = true,
	.cursor = CUR_KEY_ID,
};
