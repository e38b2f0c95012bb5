/*
 * store_query_flows.c - the SQL of /api/v1/flows: ended flows, last seen
 * descending, one statement per driving index (the most selective filter
 * given), the other filters written (:x IS NULL OR col = :x).
 */
#include "store_query_int.h"

#include <string.h>

#define F_RESIDUAL \
	" AND last_ns >= :since AND +first_ns <= :until" \
	" AND (:src IS NULL OR src = :src) AND (:dst IS NULL OR dst = :dst)" \
	" AND (:ns IS NULL OR src_ns = :ns OR dst_ns = :ns)" \
	" AND (:ip IS NULL OR src_ip = :ip OR dst_ip = :ip)" \
	" AND (:verdict IS NULL OR verdict = :verdict)" \
	" AND (:reason IS NULL OR reason = :reason)" \
	" AND (:proto IS NULL OR proto = :proto)" \
	" AND (:port IS NULL OR (dport = :port AND proto IN (:pp1, :pp2, :pp3)))" \
	" AND (:violation IS NULL OR violation_id = :violation)"

#define F_LIST(DRIVER) \
	SQ_LIST("FROM flows WHERE " DRIVER " (last_ns, id) < (:ck, :cid)" F_RESIDUAL, \
	        "last_ns DESC, id DESC", "last_ns || '.' || id", SQ_FLOW_ITEM("v"))

static const char sql_by_violation[] = F_LIST("violation_id = :violation AND");
static const char sql_by_src[] = F_LIST("src = :src AND");
static const char sql_by_dst[] = F_LIST("dst = :dst AND");
static const char sql_by_port[] = F_LIST("proto IN (:pp1, :pp2, :pp3) AND dport = :port AND");
/* endpoint identities of a namespace are the range ["ns/", "ns0"); as an
 * OR of two ranges the planner prefers walking flows_last, so the ids
 * come from the two indexes first */
static const char sql_by_ns[] =
	F_LIST("id IN (SELECT id FROM flows WHERE src >= :ns || '/' AND src < :ns || '0'"
	       " UNION SELECT id FROM flows WHERE dst >= :ns || '/' AND dst < :ns || '0') AND");
/* an address: flows whose side is that address with no endpoint (its
 * identity is then the address) or with an endpoint identity the address
 * has had (ip_identities), through flows_src and flows_dst */
#define F_BY_IP(side) \
	" SELECT id FROM flows WHERE " side " = :ip" \
	" UNION SELECT f.id FROM ip_identities i JOIN flows f ON f." side " = i.identity" \
	"  AND f." side "_ip = :ip WHERE i.ip = :ip"
static const char sql_by_ip[] =
	F_LIST("id IN (" F_BY_IP("src") " UNION" F_BY_IP("dst") ") AND");
/* the partial index flows_denied holds denied flows only */
static const char sql_by_denied[] =
	F_LIST("verdict = 'denied' AND reason IN (:dr1, :dr2, :dr3) AND");
static const char sql_by_time[] = F_LIST("");

static bool denied_reason(const char *reason)
{
	return reason != NULL && strncmp(reason, "denied_", 7) == 0;
}

static const char *pick_list(const struct qargs *a)
{
	if (a->violation > 0)
		return sql_by_violation;
	if (a->src != NULL)
		return sql_by_src;
	if (a->dst != NULL)
		return sql_by_dst;
	if (a->port >= 0)
		return sql_by_port;
	if (a->ns != NULL && a->rare)
		return sql_by_ns;
	if (a->ip != NULL && a->rare_ip)
		return sql_by_ip;
	if (denied_reason(a->reason) || (a->reason == NULL && a->verdict != NULL &&
	                                 strcmp(a->verdict, "denied") == 0))
		return sql_by_denied;
	return sql_by_time;
}

#define XSTR(x) #x
#define STR(x) XSTR(x)

static const char sql_ns_rows[] =
	"SELECT (SELECT count(*) FROM (SELECT 1 FROM flows WHERE src >= :ns || '/'"
	"  AND src < :ns || '0' LIMIT " STR(SQ_RARE_ROWS) "))"
	" + (SELECT count(*) FROM (SELECT 1 FROM flows WHERE dst >= :ns || '/'"
	"  AND dst < :ns || '0' LIMIT " STR(SQ_RARE_ROWS) "))";

/* The index entries the ip filter's search reads (each side: the address
 * as identity, and the flows of every identity it has had). */
#define F_IP_ROWS(side) \
	"(SELECT count(*) FROM (SELECT 1 FROM flows WHERE " side " = :ip LIMIT " \
	STR(SQ_RARE_ROWS) ")) + (SELECT count(*) FROM (SELECT 1 FROM ip_identities i" \
	" JOIN flows f ON f." side " = i.identity WHERE i.ip = :ip LIMIT " STR(SQ_RARE_ROWS) "))"
static const char sql_ip_rows[] = "SELECT " F_IP_ROWS("src") " + " F_IP_ROWS("dst");

/* A namespace or address filter (when no stronger one is given): are its
 * flows few enough to fetch them all through flows_src and flows_dst and
 * sort them? An address of a busy workload is not: the time index, walked
 * in order, finds its flows sooner. */
static enum sw_status probe_flows(struct sw_store *st, struct qargs *a, struct sw_err *err)
{
	int64_t n = 0;
	enum sw_status status = SW_OK;

	if (a->violation > 0 || a->src || a->dst || a->port >= 0)
		return SW_OK;
	if (a->ns != NULL) {
		status = sq_count(st, sql_ns_rows, a, &n, err);
		a->rare = status == SW_OK && n < SQ_RARE_ROWS;
	}
	if (status == SW_OK && !a->rare && a->ip != NULL) {
		status = sq_count(st, sql_ip_rows, a, &n, err);
		a->rare_ip = status == SW_OK && n < SQ_RARE_ROWS;
	}
	return status;
}

const struct qroute sq_flows = {
	.params = QP_BIT(QP_SINCE) | QP_BIT(QP_UNTIL) | QP_BIT(QP_SRC) | QP_BIT(QP_DST) |
	          QP_BIT(QP_NAMESPACE) | QP_BIT(QP_IP) | QP_BIT(QP_VERDICT) |
	          QP_BIT(QP_REASON) | QP_BIT(QP_PROTO) | QP_BIT(QP_PORT) |
	          QP_BIT(QP_VIOLATION) | QP_BIT(QP_LIMIT) | QP_BIT(QP_CURSOR),
	.limit_default = SW_QUERY_LIMIT_DEFAULT,
	.limit_max = SW_QUERY_LIMIT_MAX,
	.pick = pick_list,
	.probe = probe_flows,
	.tag = "F",
	.desc = true,
	.cursor = CUR_KEY_ID,
};
