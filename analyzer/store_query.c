/*
 * store_query.c - the query layer's entry points: validates a route's
 * query parameters into struct qargs (strict: enums, numbers in range,
 * times, identities, cursors of the same route and order), binds them by
 * name into the route's SQL (store_query_*.c) and returns the one JSON
 * value SQLite builds.
 */
#include "store_query_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "segwatch/textparse.h"

#define NS_PER_S 1000000000ll

static const char *const qp_names[QP_COUNT] = {
	[QP_SINCE] = "since", [QP_UNTIL] = "until", [QP_SRC] = "src", [QP_DST] = "dst",
	[QP_NAMESPACE] = "namespace", [QP_POLICY] = "policy", [QP_REASON] = "reason",
	[QP_STATE] = "state", [QP_PROTO] = "proto", [QP_PORT] = "port", [QP_SORT] = "sort",
	[QP_LIMIT] = "limit", [QP_CURSOR] = "cursor", [QP_IP] = "ip", [QP_VERDICT] = "verdict",
	[QP_VIOLATION] = "violation", [QP_KIND] = "kind", [QP_ENDPOINT] = "endpoint",
	[QP_LABEL] = "label",
};

static const struct qroute *const routes[SW_Q_ROUTE_COUNT] = {
	[SW_Q_VIOLATIONS] = &sq_violations, [SW_Q_VIOLATION] = &sq_violation,
	[SW_Q_FLOWS] = &sq_flows, [SW_Q_EDGES] = &sq_edges, [SW_Q_ANOMALIES] = &sq_anomalies,
	[SW_Q_BASELINE] = &sq_baseline, [SW_Q_POLICIES] = &sq_policies,
	[SW_Q_ENDPOINTS] = &sq_endpoints, [SW_Q_RUNS] = &sq_runs, [SW_Q_STATS_DB] = &sq_stats,
	[SW_Q_HEALTH] = &sq_health,
};

static const char *const violation_reasons[] = { "denied_ingress", "denied_egress",
	                                         "denied_both", NULL };
static const char *const flow_reasons[] = { "allowed_by_policy", "not_isolated", "self",
	                                    "denied_ingress", "denied_egress", "denied_both",
	                                    NULL };
static const char *const violation_states[] = { "open", "acknowledged", "resolved", NULL };
static const char *const anomaly_states[] = { "open", "acknowledged", "resolved", "accepted",
	                                      NULL };
static const char *const kinds[] = { "new_edge", "volume", "new_external", "fanout", NULL };
static const char *const verdicts[] = { "allowed", "denied", NULL };
static const char *const sorts[VS_COUNT + 1] = {
	[VS_LAST_DESC] = "-last_seen", [VS_LAST_ASC] = "last_seen",
	[VS_FIRST_DESC] = "-first_seen", [VS_FIRST_ASC] = "first_seen",
	[VS_FLOWS_DESC] = "-flows", [VS_FLOWS_ASC] = "flows", [VS_COUNT] = NULL,
};
static const struct { const char *name; int proto; } protos[] = {
	{ "tcp", 6 }, { "udp", 17 }, { "sctp", 132 }, { "icmp", 1 }, { "icmpv6", 58 },
};

/* ---- errors ---- */

/* "NAME: expected WHAT, got 'VALUE'" with err->file = NAME; the value is
 * cut and its control bytes shown as '?'. */
static enum sw_status bad(struct sw_err *err, const char *name, const char *what,
                          const char *value)
{
	char shown[64];
	size_t i;

	for (i = 0; value[i] != '\0' && i + 1 < sizeof(shown); i++)
		shown[i] = (unsigned char)value[i] < 0x20 || value[i] == 0x7f ? '?' : value[i];
	shown[i] = '\0';
	sw_err_set(err, SW_ERR_INVALID, name, 0, 0, "%s: expected %s, got '%s%s'", name, what,
	           shown, value[i] != '\0' ? "..." : "");
	return SW_ERR_INVALID;
}

/* ---- values ---- */

static enum sw_status one_of(const char *name, const char *value, const char *const *names,
                             const char *what, const char **out, struct sw_err *err)
{
	for (size_t i = 0; names[i] != NULL; i++)
		if (strcmp(value, names[i]) == 0) {
			*out = names[i];
			return SW_OK;
		}
	return bad(err, name, what, value);
}

/* An identity or a namespace: 1..SW_QUERY_VALUE_MAX bytes, no control
 * characters. */
static enum sw_status text_value(const char *name, const char *value, const char **out,
                                 struct sw_err *err)
{
	size_t len = strnlen(value, SW_QUERY_VALUE_MAX + 1);

	if (len == 0 || len > SW_QUERY_VALUE_MAX)
		return bad(err, name, "1 to 512 bytes", value);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)value[i] < 0x20 || value[i] == 0x7f)
			return bad(err, name, "text without control characters", value);
	*out = value;
	return SW_OK;
}

static enum sw_status int_value(const char *name, const char *value, uint64_t min,
                                uint64_t max, const char *what, uint64_t *out,
                                struct sw_err *err)
{
	if (sw_parse_u64(value, strlen(value), min, max, out) != SW_OK)
		return bad(err, name, what, value);
	return SW_OK;
}

/* n decimal digits at t into *out. */
static bool digits(const char *t, size_t n, unsigned *out)
{
	uint64_t v;

	for (size_t i = 0; i < n; i++)
		if (t[i] < '0' || t[i] > '9')
			return false;
	if (sw_parse_u64(t, n, 0, 9999, &v) != SW_OK)
		return false;
	*out = (unsigned)v;
	return true;
}

/* RFC 3339: YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM). */
static bool rfc3339(const char *t, int64_t *out)
{
	unsigned y, mo, d, h, mi, s, oh = 0, om = 0;
	uint64_t frac = 0, scale = 100000000;
	size_t i = 19;
	int sign = 0;
	struct tm tm;
	time_t secs;

	if (strlen(t) < 20 || t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != 't') ||
	    t[13] != ':' || t[16] != ':' || !digits(t, 4, &y) || !digits(t + 5, 2, &mo) ||
	    !digits(t + 8, 2, &d) || !digits(t + 11, 2, &h) || !digits(t + 14, 2, &mi) ||
	    !digits(t + 17, 2, &s))
		return false;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
		return false;
	if (t[i] == '.') {
		size_t start = ++i;
		for (; t[i] >= '0' && t[i] <= '9'; i++) {
			if (i - start >= 9)
				return false;
			frac += (uint64_t)(t[i] - '0') * scale;
			scale /= 10;
		}
		if (i == start)
			return false;
	}
	if ((t[i] == 'Z' || t[i] == 'z') && t[i + 1] == '\0') {
		sign = 0;
	} else if ((t[i] == '+' || t[i] == '-') && strlen(t + i) == 6 && t[i + 3] == ':' &&
	           digits(t + i + 1, 2, &oh) && digits(t + i + 4, 2, &om) && oh < 24 && om < 60) {
		sign = t[i] == '+' ? 1 : -1;
	} else {
		return false;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)y - 1900;
	tm.tm_mon = (int)mo - 1;
	tm.tm_mday = (int)d;
	tm.tm_hour = (int)h;
	tm.tm_min = (int)mi;
	tm.tm_sec = (int)s;
	secs = timegm(&tm);
	if (tm.tm_mday != (int)d) /* 2026-02-31 normalised into March */
		return false;
	secs -= sign * (time_t)(oh * 3600 + om * 60);
	if (secs < 0 || secs > INT64_MAX / NS_PER_S - 1)
		return false;
	*out = (int64_t)secs * NS_PER_S + (int64_t)frac;
	return true;
}

/* RFC 3339, integer nanoseconds, or a duration with a unit (now minus it). */
static enum sw_status time_value(const char *name, const char *value, uint64_t now,
                                 int64_t *out, struct sw_err *err)
{
	static const char what[] = "an RFC 3339 time, integer nanoseconds or a duration "
	                           "such as 15m, 24h, 7d";
	size_t len = strlen(value);
	uint64_t v;

	if (len > 0 && strspn(value, "0123456789") == len) {
		if (sw_parse_u64(value, len, 0, INT64_MAX, &v) != SW_OK)
			return bad(err, name, what, value);
		*out = (int64_t)v;
		return SW_OK;
	}
	if (len > 1 && len < 24 && strspn(value, "0123456789") + strspn(value + strspn(value,
	    "0123456789"), "mshd") == len && sw_parse_duration(value, &v) == SW_OK) {
		*out = v >= now ? 0 : (int64_t)(now - v);
		return SW_OK;
	}
	if (!rfc3339(value, out))
		return bad(err, name, what, value);
	return SW_OK;
}

static enum sw_status proto_value(const char *value, int *out, struct sw_err *err)
{
	uint64_t v;

	for (size_t i = 0; i < SW_ARRAY_SIZE(protos); i++)
		if (strcmp(value, protos[i].name) == 0) {
			*out = protos[i].proto;
			return SW_OK;
		}
	if (sw_parse_u64(value, strlen(value), 0, 255, &v) != SW_OK)
		return bad(err, "proto", "tcp, udp, sctp, icmp, icmpv6 or a number from 0 to 255",
		           value);
	*out = (int)v;
	return SW_OK;
}

/* "ns/name" split into a->pol_ns, a->pol_name. */
static enum sw_status policy_value(const char *value, struct qargs *a, struct sw_err *err)
{
	const char *v;
	char *slash;

	if (text_value("policy", value, &v, err) != SW_OK)
		return SW_ERR_INVALID;
	memcpy(a->pol_buf, v, strlen(v) + 1);
	slash = strchr(a->pol_buf, '/');
	if (slash == NULL || slash == a->pol_buf || slash[1] == '\0')
		return bad(err, "policy", "a policy \"namespace/name\"", value);
	*slash = '\0';
	a->pol_ns = a->pol_buf;
	a->pol_name = slash + 1;
	return SW_OK;
}

static enum sw_status label_value(const char *value, struct qargs *a, struct sw_err *err)
{
	const char *v;
	char *eq;

	if (text_value("label", value, &v, err) != SW_OK)
		return SW_ERR_INVALID;
	memcpy(a->label_buf, v, strlen(v) + 1);
	eq = strchr(a->label_buf, '=');
	if (eq == NULL || eq == a->label_buf)
		return bad(err, "label", "a label \"key=value\"", value);
	*eq = '\0';
	a->label_key = a->label_buf;
	a->label_value = eq + 1;
	return SW_OK;
}

static enum sw_status ip_value(const char *value, struct qargs *a, struct sw_err *err)
{
	struct sw_addr addr;

	if (strlen(value) >= SW_ADDR_STRLEN || sw_addr_parse(value, &addr) != SW_OK)
		return bad(err, "ip", "an IPv4 or IPv6 address", value);
	a->ip = sw_addr_format(&addr, a->ip_buf, sizeof(a->ip_buf));
	return SW_OK;
}

/* ---- cursors ---- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "TAG.KEY.ID", "TAG.ID" or "TAG.HEX" as the route writes them. */
static enum sw_status cursor_value(const struct qroute *rt, const char *value,
                                   struct qargs *a, struct sw_err *err)
{
	static const char what[] = "a next_cursor of the same query";
	size_t tag_len = strlen(a->cursor_tag), len = strlen(value);
	const char *rest = value + tag_len + 1, *dot;
	uint64_t k = 0, id = 0;

	if (len > SW_QUERY_VALUE_MAX * 2 + 8 || strncmp(value, a->cursor_tag, tag_len) != 0 ||
	    value[tag_len] != '.')
		return bad(err, "cursor", what, value);
	if (rt->cursor == CUR_TEXT) {
		size_t n = strlen(rest), o = 0;
		if (n == 0 || n % 2 != 0 || n / 2 > SW_QUERY_VALUE_MAX)
			return bad(err, "cursor", what, value);
		for (size_t i = 0; i < n; i += 2) {
			int hi = hexval(rest[i]), lo = hexval(rest[i + 1]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return bad(err, "cursor", what, value);
			a->cur_buf[o++] = (char)(hi << 4 | lo);
		}
		a->cur_buf[o] = '\0';
		a->cur_text = a->cur_buf;
		return SW_OK;
	}
	if (rt->cursor == CUR_ID) {
		if (sw_parse_u64(rest, strlen(rest), 0, INT64_MAX, &id) != SW_OK)
			return bad(err, "cursor", what, value);
		a->cur_id = (int64_t)id;
		return SW_OK;
	}
	dot = strchr(rest, '.');
	if (dot == NULL || sw_parse_u64(rest, (size_t)(dot - rest), 0, INT64_MAX, &k) != SW_OK ||
	    sw_parse_u64(dot + 1, strlen(dot + 1), 0, INT64_MAX, &id) != SW_OK)
		return bad(err, "cursor", what, value);
	a->cur_k = (int64_t)k;
	a->cur_id = (int64_t)id;
	return SW_OK;
}

/* ---- parameters ---- */

static enum sw_status one_param(enum sw_query_route r, enum qp q, const char *v,
                                struct qargs *a, struct sw_err *err)
{
	const char *name = qp_names[q];
	uint64_t u;

	switch (q) {
	case QP_SINCE:
		return time_value(name, v, a->now, &a->since, err);
	case QP_UNTIL:
		return time_value(name, v, a->now, &a->until, err);
	case QP_SRC:
		return text_value(name, v, &a->src, err);
	case QP_DST:
		return text_value(name, v, &a->dst, err);
	case QP_NAMESPACE:
		return text_value(name, v, &a->ns, err);
	case QP_ENDPOINT:
		return text_value(name, v, &a->endpoint, err);
	case QP_POLICY:
		return policy_value(v, a, err);
	case QP_LABEL:
		return label_value(v, a, err);
	case QP_IP:
		return ip_value(v, a, err);
	case QP_REASON:
		if (r == SW_Q_FLOWS)
			return one_of(name, v, flow_reasons, "allowed_by_policy, not_isolated, self, "
			              "denied_ingress, denied_egress or denied_both", &a->reason, err);
		return one_of(name, v, violation_reasons,
		              "denied_ingress, denied_egress or denied_both", &a->reason, err);
	case QP_STATE:
		if (r == SW_Q_ANOMALIES)
			return one_of(name, v, anomaly_states,
			              "open, acknowledged, resolved or accepted", &a->state, err);
		return one_of(name, v, violation_states, "open, acknowledged or resolved",
		              &a->state, err);
	case QP_KIND:
		return one_of(name, v, kinds, "new_edge, volume, new_external or fanout", &a->kind,
		              err);
	case QP_VERDICT:
		return one_of(name, v, verdicts, "allowed or denied", &a->verdict, err);
	case QP_PROTO:
		return proto_value(v, &a->proto, err);
	case QP_PORT:
		if (int_value(name, v, 0, 65535, "a port from 0 to 65535", &u, err) != SW_OK)
			return SW_ERR_INVALID;
		a->port = (int)u;
		return SW_OK;
	case QP_VIOLATION:
		if (int_value(name, v, 1, INT64_MAX, "a violation id (a positive integer)", &u,
		              err) != SW_OK)
			return SW_ERR_INVALID;
		a->violation = (int64_t)u;
		return SW_OK;
	case QP_SORT:
		for (int i = 0; i < VS_COUNT; i++)
			if (strcmp(v, sorts[i]) == 0) {
				a->sort = (enum vsort)i;
				return SW_OK;
			}
		return bad(err, name, "last_seen, -last_seen, first_seen, -first_seen, flows or "
		           "-flows", v);
	case QP_LIMIT:
	case QP_CURSOR:
	case QP_COUNT:
		break;
	}
	return SW_OK;
}

static int param_index(const char *name)
{
	for (int q = 0; q < QP_COUNT; q++)
		if (strcmp(name, qp_names[q]) == 0)
			return q;
	return -1;
}

bool sw_store_query_param_known(enum sw_query_route r, const char *name)
{
	int q = name ? param_index(name) : -1;

	return (unsigned)r < SW_Q_ROUTE_COUNT && q >= 0 && (routes[r]->params & QP_BIT(q));
}

static void defaults(struct qargs *a, uint64_t now)
{
	memset(a, 0, sizeof(*a));
	a->now = now;
	a->until = INT64_MAX;
	a->proto = -1;
	a->port = -1;
}

/* limit and cursor last: the cursor's tag depends on sort. */
static enum sw_status paging(enum sw_query_route r, const struct qroute *rt,
                             const char *limit, const char *cursor, struct qargs *a,
                             struct sw_err *err)
{
	char what[64];
	uint64_t u;
	bool desc = rt->tag ? rt->desc : sq_violation_sort_desc(a->sort);

	a->limit = rt->limit_default;
	snprintf(what, sizeof(what), "an integer from 1 to %lld", (long long)rt->limit_max);
	if (limit != NULL) {
		if (int_value("limit", limit, 1, (uint64_t)rt->limit_max, what, &u, err) != SW_OK)
			return SW_ERR_INVALID;
		a->limit = (int64_t)u;
	}
	a->cursor_tag = rt->tag ? rt->tag : sq_violation_tag(a->sort);
	a->cur_k = desc ? INT64_MAX : INT64_MIN;
	a->cur_id = desc ? INT64_MAX : INT64_MIN;
	a->cur_text = "";
	if (r == SW_Q_EDGES && a->since == 0 && !(a->set & QP_BIT(QP_SINCE)))
		a->since = a->now > SW_QUERY_EDGES_WINDOW_NS ?
		           (int64_t)(a->now - SW_QUERY_EDGES_WINDOW_NS) : 0;
	return cursor != NULL ? cursor_value(rt, cursor, a, err) : SW_OK;
}

/* The protocols and reasons that port and verdict filters mean. */
static void derived(struct qargs *a)
{
	for (int i = 0; i < 3; i++) {
		a->ports_proto[i] = a->proto >= 0 ? a->proto : (int[]){ 6, 17, 132 }[i];
		a->denied[i] = a->reason && strncmp(a->reason, "denied_", 7) == 0 ?
		               a->reason : violation_reasons[i];
	}
}

static enum sw_status parse_params(enum sw_query_route r, const struct sw_query_param *p,
                                   size_t n, uint64_t now, struct qargs *a,
                                   struct sw_err *err)
{
	const struct qroute *rt = routes[r];
	const char *limit = NULL, *cursor = NULL;

	defaults(a, now);
	for (size_t i = 0; i < n; i++) {
		int q = p[i].name ? param_index(p[i].name) : -1;
		const char *v = p[i].value ? p[i].value : "";

		if (q < 0 || !(rt->params & QP_BIT(q)))
			return sw_err_set(err, SW_ERR_INVALID, p[i].name ? p[i].name : "", 0, 0,
			                  "%.64s: unknown parameter for this route",
			                  p[i].name ? p[i].name : "");
		if (a->set & QP_BIT(q))
			return bad(err, qp_names[q], "the parameter once", v);
		a->set |= QP_BIT(q);
		if (q == QP_LIMIT)
			limit = v;
		else if (q == QP_CURSOR)
			cursor = v;
		else if (one_param(r, (enum qp)q, v, a, err) != SW_OK)
			return SW_ERR_INVALID;
	}
	derived(a);
	return paging(r, rt, limit, cursor, a, err);
}

/* ---- binding and running ---- */

static void bind_text(sqlite3_stmt *s, const char *name, const char *v)
{
	int i = sqlite3_bind_parameter_index(s, name);

	if (i > 0 && v != NULL)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

static void bind_int(sqlite3_stmt *s, const char *name, int64_t v, bool present)
{
	int i = sqlite3_bind_parameter_index(s, name);

	if (i > 0 && present)
		sqlite3_bind_int64(s, i, v);
}

void sq_bind(sqlite3_stmt *s, const struct qargs *a)
{
	bind_int(s, ":now", (int64_t)a->now, true);
	bind_int(s, ":since", a->since, true);
	bind_int(s, ":until", a->until, true);
	bind_text(s, ":src", a->src);
	bind_text(s, ":dst", a->dst);
	bind_text(s, ":ns", a->ns);
	bind_text(s, ":ip", a->ip);
	bind_text(s, ":endpoint", a->endpoint);
	bind_text(s, ":pol_ns", a->pol_ns);
	bind_text(s, ":pol_name", a->pol_name);
	bind_text(s, ":reason", a->reason);
	bind_text(s, ":state", a->state);
	bind_text(s, ":kind", a->kind);
	bind_text(s, ":verdict", a->verdict);
	bind_text(s, ":lkey", a->label_key);
	bind_text(s, ":lval", a->label_value);
	bind_int(s, ":proto", a->proto, a->proto >= 0);
	bind_int(s, ":port", a->port, a->port >= 0);
	bind_int(s, ":pp1", a->ports_proto[0], true);
	bind_int(s, ":pp2", a->ports_proto[1], true);
	bind_int(s, ":pp3", a->ports_proto[2], true);
	bind_text(s, ":dr1", a->denied[0]);
	bind_text(s, ":dr2", a->denied[1]);
	bind_text(s, ":dr3", a->denied[2]);
	bind_int(s, ":violation", a->violation, a->violation > 0);
	bind_int(s, ":ck", a->cur_k, true);
	bind_int(s, ":cid", a->cur_id, true);
	bind_text(s, ":ctext", a->cur_text);
	bind_text(s, ":tag", a->cursor_tag);
	bind_int(s, ":lim", a->limit, true);
	bind_int(s, ":id", a->id, true);
}

/* A failed read: SQLite's "value refused" classes mean a bug here, never
 * a caller's parameter, so they do not come back as SW_ERR_INVALID (which
 * names a parameter). */
enum sw_status sq_read_fail(struct sw_store *st, struct sw_err *err)
{
	enum sw_status status = sw_store_fail(st, err, "query the database");

	if (status != SW_ERR_INVALID)
		return status;
	return sw_err_set(err, SW_ERR_IO, NULL, 0, 0, "cannot query the database: %s",
	                  sqlite3_errmsg(st->db));
}

static enum sw_status copy_out(const unsigned char *text, int n, char **json, size_t *len,
                               struct sw_err *err)
{
	char *out = malloc((size_t)n + 1);

	if (out == NULL)
		return sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
	memcpy(out, text, (size_t)n);
	out[n] = '\0';
	*json = out;
	if (len != NULL)
		*len = (size_t)n;
	return SW_OK;
}

/* Every API query has a time budget, so that one expensive request (a
 * service map over millions of flows, an unindexed sort) cannot hold a
 * server thread for long: past it, SQLite interrupts the statement and the
 * request answers SW_ERR_BUSY (503) asking for a narrower query. */
#define QUERY_BUDGET_NS 2000000000ull
#define QUERY_CHECK_OPS 10000

static int over_budget(void *deadline)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec >
	       *(const uint64_t *)deadline;
}

static int step_budgeted(struct sw_store *st, sqlite3_stmt *s)
{
	struct timespec ts;
	uint64_t deadline;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	deadline = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec + QUERY_BUDGET_NS;
	sqlite3_progress_handler(st->db, QUERY_CHECK_OPS, over_budget, &deadline);
	rc = sqlite3_step(s);
	sqlite3_progress_handler(st->db, 0, NULL, NULL);
	return rc;
}

enum sw_status sq_run(struct sw_store *st, const char *sql, const struct qargs *a,
                      const char *notfound, char **json, size_t *len, struct sw_err *err)
{
	sqlite3_stmt *s = sw_store_sql(st, sql, err);
	enum sw_status status;
	int rc;

	if (s == NULL)
		return err ? err->status : SW_ERR_IO;
	sq_bind(s, a);
	rc = step_budgeted(st, s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
		status = copy_out(sqlite3_column_text(s, 0), sqlite3_column_bytes(s, 0), json, len,
		                  err);
	else if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		status = sw_err_set(err, SW_ERR_NOTFOUND, NULL, 0, 0, "%s %lld not found",
		                    notfound ? notfound : "item", (long long)a->id);
	else
		status = sq_read_fail(st, err);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return status;
}

enum sw_status sq_count(struct sw_store *st, const char *sql, const struct qargs *a,
                        int64_t *n, struct sw_err *err)
{
	sqlite3_stmt *s = sw_store_sql(st, sql, err);
	enum sw_status status = SW_OK;

	if (s == NULL)
		return err ? err->status : SW_ERR_IO;
	sq_bind(s, a);
	if (step_budgeted(st, s) == SQLITE_ROW)
		*n = sqlite3_column_int64(s, 0);
	else
		status = sq_read_fail(st, err);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return status;
}

/* Parses p for route r and lets the route look at the data. */
static enum sw_status prepare_args(struct sw_store *st, enum sw_query_route r,
                                   const struct sw_query_param *p, size_t n, uint64_t now,
                                   struct qargs *a, struct sw_err *err)
{
	enum sw_status status = parse_params(r, p, n, now, a, err);

	if (status == SW_OK && routes[r]->probe != NULL)
		status = routes[r]->probe(st, a, err);
	return status;
}

enum sw_status sw_store_query(struct sw_store *st, enum sw_query_route r, int64_t id,
                              const struct sw_query_param *p, size_t n, uint64_t now_ns,
                              char **json, size_t *len, struct sw_err *err)
{
	struct qargs *a;
	enum sw_status status;

	if ((unsigned)r >= SW_Q_ROUTE_COUNT)
		return sw_err_set(err, SW_ERR_UNSUPPORTED, NULL, 0, 0, "unknown route %d", (int)r);
	a = malloc(sizeof(*a));
	if (a == NULL)
		return sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
	status = prepare_args(st, r, p, n, now_ns, a, err);
	a->id = id;
	if (status == SW_OK)
		status = sq_run(st, routes[r]->pick(a), a, "violation", json, len, err);
	free(a);
	return status;
}

enum sw_status sw_store_query_plan(struct sw_store *st, enum sw_query_route r,
                                   const struct sw_query_param *p, size_t n, uint64_t now_ns,
                                   char **plan, struct sw_err *err)
{
	struct qargs a;
	char *sql = NULL, *text = NULL;
	size_t tlen = 0;
	sqlite3_stmt *s = NULL;
	enum sw_status status;
	FILE *out;

	if ((unsigned)r >= SW_Q_ROUTE_COUNT)
		return sw_err_set(err, SW_ERR_UNSUPPORTED, NULL, 0, 0, "unknown route %d", (int)r);
	status = prepare_args(st, r, p, n, now_ns, &a, err);
	if (status != SW_OK)
		return status;
	if (asprintf(&sql, "EXPLAIN QUERY PLAN %s", routes[r]->pick(&a)) < 0)
		return sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		free(sql);
		return sq_read_fail(st, err);
	}
	free(sql);
	sq_bind(s, &a);
	out = open_memstream(&text, &tlen);
	if (out == NULL) {
		sqlite3_finalize(s);
		return sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
	}
	while (sqlite3_step(s) == SQLITE_ROW)
		fprintf(out, "%s\n", (const char *)sqlite3_column_text(s, 3));
	sqlite3_finalize(s);
	if (fclose(out) != 0) {
		free(text);
		return sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
	}
	*plan = text;
	return SW_OK;
}
