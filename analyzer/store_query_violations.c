/*
 * store_query_violations.c - the SQL of /api/v1/violations (list and item)
 * and of the violation rows the event stream and triage answer. The
 * default order (last seen descending) has one statement per driving
 * index, chosen by the most selective filter given, so that SQLite walks
 * that index in order and stops after a page; the other orders have one
 * statement each. Filters not driving are written (:x IS NULL OR col = :x).
 */
#include "store_query_int.h"

#define V_RESIDUAL \
	" AND last_seen_ns >= :since AND +first_seen_ns <= :until" \
	" AND (:src IS NULL OR src = :src) AND (:dst IS NULL OR dst = :dst)" \
	" AND (:ns IS NULL OR src_ns = :ns OR dst_ns = :ns)" \
	" AND (:reason IS NULL OR reason = :reason)" \
	" AND (:state IS NULL OR state = :state)" \
	" AND (:proto IS NULL OR proto = :proto)" \
	" AND (:port IS NULL OR (port = :port AND proto IN (:pp1, :pp2, :pp3)))" \
	" AND (:pol_name IS NULL OR (instr(explanation, :pol_name) > 0 AND EXISTS (" \
	"  SELECT 1 FROM json_each(explanation, '$.ingress.policies') j" \
	"  WHERE j.value ->> 'namespace' = :pol_ns AND j.value ->> 'name' = :pol_name" \
	"  UNION ALL SELECT 1 FROM json_each(explanation, '$.egress.policies') j" \
	"  WHERE j.value ->> 'namespace' = :pol_ns AND j.value ->> 'name' = :pol_name)))"

#define V_LIST(DRIVER, KEYCOL, CMP, DIR) \
	SQ_LIST("FROM violations WHERE " DRIVER " (" KEYCOL ", id) " CMP " (:ck, :cid)" \
	        V_RESIDUAL, KEYCOL " " DIR ", id " DIR, KEYCOL " || '.' || id", \
	        SQ_VIOLATION_ITEM("v"))

#define V_LAST(DRIVER) V_LIST(DRIVER, "last_seen_ns", "<", "DESC")

/* The first page of one side of a namespace filter, in order: the page
 * of the union is within the union of both sides' pages. */
#define V_NS_SIDE(COND) \
	"SELECT id FROM (SELECT id FROM violations WHERE " COND \
	" AND (last_seen_ns, id) < (:ck, :cid)" V_RESIDUAL \
	" ORDER BY last_seen_ns DESC, id DESC LIMIT :lim + 1)"

/* Drivers of the default order, most selective first. */
static const char sql_by_src[] = V_LAST("src = :src AND");
static const char sql_by_dst[] = V_LAST("dst = :dst AND");
static const char sql_by_port[] = V_LAST("proto IN (:pp1, :pp2, :pp3) AND port = :port AND");
static const char sql_by_ns[] =
	V_LAST("id IN (" V_NS_SIDE("src_ns = :ns") " UNION " V_NS_SIDE("dst_ns = :ns") ") AND");
static const char sql_by_state[] = V_LAST("state = :state AND");
static const char sql_by_reason[] = V_LAST("reason = :reason AND");
/* violations_port orders a protocol's rows by port first: only a rare
 * protocol is worth it (probe_proto) */
static const char sql_by_proto[] = V_LAST("proto = :proto AND");
static const char sql_by_time[] = V_LAST("");

/* The other orders: walk the order's index, or take an identity's rows
 * from its index and sort them. */
enum { D_NONE, D_SRC, D_DST, D_COUNT };
#define V_SORTED(KEYCOL, CMP, DIR) { \
		[D_NONE] = V_LIST("", KEYCOL, CMP, DIR), \
		[D_SRC] = V_LIST("src = :src AND", KEYCOL, CMP, DIR), \
		[D_DST] = V_LIST("dst = :dst AND", KEYCOL, CMP, DIR) }

static const char *const sql_sorted[VS_COUNT][D_COUNT] = {
	[VS_LAST_DESC] = { [D_NONE] = sql_by_time, [D_SRC] = sql_by_src, [D_DST] = sql_by_dst },
	[VS_LAST_ASC] = V_SORTED("last_seen_ns", ">", "ASC"),
	[VS_FIRST_DESC] = V_SORTED("first_seen_ns", "<", "DESC"),
	[VS_FIRST_ASC] = V_SORTED("first_seen_ns", ">", "ASC"),
	[VS_FLOWS_DESC] = V_SORTED("flows", "<", "DESC"),
	[VS_FLOWS_ASC] = V_SORTED("flows", ">", "ASC"),
};

static const char *const sort_tags[VS_COUNT] = {
	[VS_LAST_DESC] = "VLD", [VS_LAST_ASC] = "VLA", [VS_FIRST_DESC] = "VFD",
	[VS_FIRST_ASC] = "VFA", [VS_FLOWS_DESC] = "VND", [VS_FLOWS_ASC] = "VNA",
};

const char *sq_violation_tag(enum vsort s)
{
	return sort_tags[s];
}

bool sq_violation_sort_desc(enum vsort s)
{
	return s == VS_LAST_DESC || s == VS_FIRST_DESC || s == VS_FLOWS_DESC;
}

static const char *pick_list(const struct qargs *a)
{
	if (a->src != NULL)
		return sql_sorted[a->sort][D_SRC];
	if (a->dst != NULL)
		return sql_sorted[a->sort][D_DST];
	if (a->sort != VS_LAST_DESC)
		return sql_sorted[a->sort][D_NONE];
	if (a->port >= 0)
		return sql_by_port;
	if (a->ns != NULL)
		return sql_by_ns;
	if (a->state != NULL)
		return sql_by_state;
	if (a->reason != NULL)
		return sql_by_reason;
	if (a->proto >= 0 && a->rare)
		return sql_by_proto;
	return sql_by_time;
}

#define XSTR(x) #x
#define STR(x) XSTR(x)

static const char sql_proto_rows[] =
	"SELECT count(*) FROM (SELECT 1 FROM violations WHERE proto = :proto"
	" LIMIT " STR(SQ_RARE_ROWS) ")";

/* A protocol filter alone: is the protocol rare? */
static enum sw_status probe_proto(struct sw_store *st, struct qargs *a, struct sw_err *err)
{
	int64_t n = 0;
	enum sw_status status;

	if (a->proto < 0 || a->port >= 0 || a->src || a->dst || a->ns || a->state || a->reason ||
	    a->sort != VS_LAST_DESC)
		return SW_OK;
	status = sq_count(st, sql_proto_rows, a, &n, err);
	a->rare = n < SQ_RARE_ROWS;
	return status;
}

const struct qroute sq_violations = {
	.params = QP_BIT(QP_SINCE) | QP_BIT(QP_UNTIL) | QP_BIT(QP_SRC) | QP_BIT(QP_DST) |
	          QP_BIT(QP_NAMESPACE) | QP_BIT(QP_POLICY) | QP_BIT(QP_REASON) |
	          QP_BIT(QP_STATE) | QP_BIT(QP_PROTO) | QP_BIT(QP_PORT) | QP_BIT(QP_SORT) |
	          QP_BIT(QP_LIMIT) | QP_BIT(QP_CURSOR),
	.limit_default = SW_QUERY_LIMIT_DEFAULT,
	.limit_max = SW_QUERY_LIMIT_MAX,
	.pick = pick_list,
	.probe = probe_proto,
	.tag = NULL,
	.desc = true,
};

/* ---- one violation ---- */

/* With its sample flows: the flows of its sample run that point at it and
 * whose ids it keeps (index flows_violation). */
static const char sql_detail[] =
	"SELECT json_object(" SQ_VIOLATION_FIELDS("v") ","
	" 'explanation', json(v.explanation),"
	" 'sample_flows', (SELECT json_group_array(" SQ_FLOW_ITEM("f") ")"
	"   FROM (SELECT * FROM flows WHERE violation_id = v.id AND run_id = v.sample_run_id"
	"         AND flow_id IN (SELECT value FROM json_each(v.sample_flow_ids))"
	"         ORDER BY first_ns, id) f))"
	" FROM violations v WHERE v.id = :id";

static const char *pick_detail(const struct qargs *a)
{
	(void)a;
	return sql_detail;
}

const struct qroute sq_violation = {
	.params = 0,
	.pick = pick_detail,
};

const char sq_sql_violation_row[] =
	"SELECT " SQ_VIOLATION_ITEM("v") " FROM violations v WHERE v.id = :id";

const char sq_sql_violation_events[] =
	"SELECT v.id, " SQ_VIOLATION_ITEM("v") " FROM violations v WHERE v.id > :id"
	" ORDER BY v.id LIMIT :lim";
