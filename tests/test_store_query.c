/*
 * test_store_query.c - cmocka tests of the web API's query layer on a real
 * SQLite file in a mkdtemp directory, filled through the store's public
 * API (violations, flows, anomalies) and raw SQL where none exists
 * (namespaces, endpoints, policies, policy_selects): every route's filters
 * narrow exactly as a brute-force SQL count says, keyset pages visit every
 * row once in every order, bad and unknown parameters name the parameter,
 * SQL metacharacters are plain values, unknown ids are NOTFOUND, triage
 * transitions and the event feed, query plans that use indexes, and every
 * answer parses (jansson) with the contract's field names and types.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "segwatch/addr.h"
#include "segwatch/proto.h"
#include "segwatch/store.h"
#include "segwatch/store_baseline.h"
#include "segwatch/store_query.h"

#define T0 1795608000000000000ull /* 2026-11-25T12:00:00Z */
#define SEC 1000000000ull
#define NOW (T0 + 3600 * SEC)
#define NVIOL 40
#define NFLOW 30
#define NANOM 12

struct qfx {
	char dir[64];
	char db[128];
	struct sw_store *st;
	sqlite3 *raw;
	int64_t vid[NVIOL];
};

/* ---- building the database ---- */

static struct sw_addr ip(const char *text)
{
	struct sw_addr a;

	assert_int_equal(sw_addr_parse(text, &a), SW_OK);
	return a;
}

static const char *const srcs[] = { "prod/web", "prod/api", "dev/web", NULL };
static const char *const dsts[] = { "prod/db", "dev/db", NULL };
static const enum sw_reason reasons[] = { SW_REASON_DENIED_INGRESS, SW_REASON_DENIED_EGRESS,
	                                  SW_REASON_DENIED_BOTH };

static void raw_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
}

static int64_t raw_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static bool has_table(sqlite3 *db, const char *name)
{
	char sql[160];

	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '%s'", name);
	return raw_int(db, sql) == 1;
}

/* Violation i: sources, destinations (some external), ports, reasons and
 * times vary with i; i % 4 == 0 is UDP. */
static void put_violations(struct qfx *x)
{
	char sip[32], dip[32];
	struct sw_err err;

	for (int i = 0; i < NVIOL; i++) {
		struct sw_violation v;
		memset(&v, 0, sizeof(v));
		snprintf(sip, sizeof(sip), "10.0.0.%d", 1 + i % 3);
		snprintf(dip, sizeof(dip), "10.1.0.%d", 1 + i);
		v.src_id = srcs[i % 3];
		v.dst_id = i % 5 == 0 ? NULL : dsts[i % 2];
		v.src_ep = 0;
		v.dst_ep = v.dst_id ? 0 : -1;
		v.src_addr = ip(sip);
		v.dst_addr = ip(dip);
		v.proto = i % 4 == 0 ? SW_PROTO_UDP : SW_PROTO_TCP;
		/* i % 6 (source, port) and i / 6 make every key distinct */
		v.port = (uint16_t)((i % 2 ? 5432 : 53) + (i / 6) * 1000);
		v.reason = reasons[i % 3];
		v.first_ns = T0 + (uint64_t)i * 60 * SEC;
		/* last seen collides for pairs: the keyset must break ties by id */
		v.last_ns = T0 + (uint64_t)(i / 2) * 90 * SEC;
		v.flows = (uint64_t)(i % 7 + 1);
		v.n_samples = 1;
		v.samples[0].flow_id = (uint64_t)(1000 + i);
		v.summary = "ingress of prod/db: no rule admits it";
		if (sw_store_upsert_violation(x->st, &v, &x->vid[i], &err) != SW_OK)
			fail_msg("upsert: %s", err.msg);
	}
	for (int i = 0; i < NVIOL; i += 3)
		assert_int_equal(sw_store_set_violation_state(x->st, x->vid[i], SW_TRIAGE_ACKNOWLEDGED,
		                                              "alice", NOW, &err), SW_OK);
	/* a policy named in explanations of two rows */
	raw_exec(x->raw, "UPDATE violations SET explanation = '{\"ingress\":{\"policies\":"
	                 "[{\"namespace\":\"prod\",\"name\":\"deny-all\"}]},\"egress\":"
	                 "{\"policies\":[]}}' WHERE id IN (2, 7)");
}

static void put_flows(struct qfx *x)
{
	char sip[32], dip[32];
	struct sw_err err;

	for (int i = 0; i < NFLOW; i++) {
		struct sw_flow f;
		struct sw_store_flow sf;
		bool denied = i % 3 == 0;
		memset(&f, 0, sizeof(f));
		snprintf(sip, sizeof(sip), "10.0.0.%d", 1 + i % 3);
		snprintf(dip, sizeof(dip), "10.1.0.%d", 1 + i % 4);
		f.id = (uint64_t)(1000 + i);
		f.src = ip(sip);
		f.dst = ip(dip);
		f.sport = 40000;
		f.dport = (uint16_t)(i % 2 ? 5432 : 53);
		f.proto = i % 4 == 0 ? SW_PROTO_UDP : SW_PROTO_TCP;
		f.first_ns = T0 + (uint64_t)i * 30 * SEC;
		f.last_ns = T0 + (uint64_t)(i / 3) * 100 * SEC;
		f.dir[0].pkts = 3;
		f.dir[0].bytes = 180;
		f.dir[1].pkts = 2;
		f.dir[1].bytes = 120;
		memset(&sf, 0, sizeof(sf));
		sf.flow = &f;
		sf.end = SW_END_IDLE;
		sf.src_id = srcs[i % 3];
		sf.dst_id = i % 4 == 3 ? NULL : dsts[i % 2];
		sf.reason = denied ? reasons[(i / 3) % 3] : SW_REASON_ALLOWED_BY_POLICY;
		sf.violation_id = denied ? x->vid[i] : 0;
		if (sw_store_put_flow(x->st, &sf, &err) != SW_OK)
			fail_msg("put_flow: %s", err.msg);
	}
}

static void put_anomalies(struct qfx *x)
{
	static const enum sw_anomaly_kind kinds[] = { SW_ANOMALY_NEW_EDGE, SW_ANOMALY_VOLUME,
		                                      SW_ANOMALY_NEW_EXTERNAL, SW_ANOMALY_FANOUT };
	struct sw_err err;

	for (int i = 0; i < NANOM; i++) {
		struct sw_anomaly a;
		memset(&a, 0, sizeof(a));
		a.kind = kinds[i % 4];
		a.detected_ns = T0 + (uint64_t)(i / 2) * 10 * SEC;
		a.src = srcs[i % 3];
		a.src_ns = i % 3 == 2 ? "dev" : "prod";
		if (a.kind != SW_ANOMALY_FANOUT) {
			a.dst = dsts[i % 2];
			a.dst_ns = i % 2 ? "dev" : "prod";
			a.proto = SW_PROTO_TCP;
			a.port = 5432;
		}
		a.score = 1.5;
		a.evidence = "{\"count\":3}";
		if (sw_store_insert_anomaly(x->st, &a, NULL, &err) != SW_OK)
			fail_msg("insert anomaly: %s", err.msg);
	}
	raw_exec(x->raw, "UPDATE anomalies SET state = 'resolved' WHERE id % 4 = 0");
}

static void put_inventory_raw(struct qfx *x)
{
	raw_exec(x->raw,
	         "INSERT INTO namespaces (name, labels, loaded_ns) VALUES"
	         " ('prod', '{}', 1), ('dev', '{}', 1);"
	         "INSERT INTO endpoints (id, ns, name, kind, labels, addresses, ports, file, line,"
	         " loaded_ns) VALUES"
	         " ('prod/web', 'prod', 'web', 'pod', '{\"app\":\"web\"}', '[\"10.0.0.1/32\"]',"
	         "  '[]', 'inv.yaml', 3, 1795608000000000000),"
	         " ('prod/api', 'prod', 'api', 'pod', '{\"app\":\"api\"}', '[\"10.0.0.2/32\"]',"
	         "  '[]', 'inv.yaml', 9, 1795608000000000000),"
	         " ('prod/db', 'prod', 'db', 'pod', '{\"app\":\"db\"}', '[\"10.1.0.0/24\"]',"
	         "  '[{\"name\":\"pg\",\"proto\":\"tcp\",\"port\":5432}]', NULL, NULL, 1),"
	         " ('dev/web', 'dev', 'web', 'pod', '{\"app\":\"web\"}', '[\"10.0.0.3/32\"]',"
	         "  '[]', NULL, NULL, 1),"
	         " ('dev/db', 'dev', 'db', 'vm', '{\"app\":\"db\"}', '[]', '[]', NULL, NULL, 1);"
	         "INSERT INTO policies (id, ns, name, origin, file, line, content_hash, loaded_ns,"
	         " changed_ns) VALUES (1, 'prod', 'deny-all', 'k8s', 'p.yaml', 1, 'h1', 1, 1),"
	         " (2, 'prod', 'allow-web', 'k8s', 'p.yaml', 9, 'h2', 1, 1),"
	         " (3, 'dev', 'deny-all', 'compose', NULL, NULL, 'h3', 1, 1);"
	         "INSERT INTO baseline_edges (src, dst, proto, port, src_ns, dst_ns, first_seen_ns,"
	         " last_seen_ns, flows, bytes, intervals, bytes_mean, bytes_m2) VALUES"
	         " ('prod/web', 'prod/db', 6, 5432, 'prod', 'prod', 1795608000000000000,"
	         "  1795608100000000000, 10, 1000, 4, 250.0, 300.0),"
	         " ('dev/web', 'dev/db', 6, 53, 'dev', 'dev', 1795608000000000000,"
	         "  1795608200000000000, 2, 100, 1, 100.0, 0.0);");
	if (has_table(x->raw, "policy_selects"))
		raw_exec(x->raw, "INSERT INTO policy_selects VALUES (1, 'prod/web'), (1, 'prod/api'),"
		                 " (1, 'prod/db'), (2, 'prod/db'), (3, 'dev/web'), (3, 'dev/db')");
}

static int qfx_setup(void **state)
{
	struct qfx *x = calloc(1, sizeof(*x));
	struct sw_err err;

	if (x == NULL)
		return -1;
	snprintf(x->dir, sizeof(x->dir), "/tmp/segwatch-query-XXXXXX");
	if (mkdtemp(x->dir) == NULL)
		return -1;
	snprintf(x->db, sizeof(x->db), "%s/segwatch.db", x->dir);
	x->st = sw_store_open(x->db, NULL, &err);
	if (x->st == NULL)
		fail_msg("open: %s", err.msg);
	assert_int_equal(sw_store_run_begin(x->st, T0, "pcap:eth0", NULL, &err), SW_OK);
	assert_int_equal(sqlite3_open(x->db, &x->raw), SQLITE_OK);
	sqlite3_busy_timeout(x->raw, 2000);
	put_violations(x);
	put_flows(x);
	put_anomalies(x);
	put_inventory_raw(x);
	*state = x;
	return 0;
}

static int qfx_teardown(void **state)
{
	struct qfx *x = *state;
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	char p[160];

	sqlite3_close(x->raw);
	sw_store_close(x->st);
	for (size_t i = 0; i < SW_ARRAY_SIZE(suffixes); i++) {
		snprintf(p, sizeof(p), "%s%s", x->db, suffixes[i]);
		unlink(p);
	}
	rmdir(x->dir);
	free(x);
	return 0;
}

/* ---- querying ---- */

#define MAXP 8

/* "a=1&b=2" into params (pointing into buf). */
static size_t split_params(char *buf, struct sw_query_param *p)
{
	size_t n = 0;

	for (char *tok = strtok(buf, "&"); tok && n < MAXP; tok = strtok(NULL, "&")) {
		char *eq = strchr(tok, '=');
		p[n].name = tok;
		p[n].value = eq ? eq + 1 : "";
		if (eq)
			*eq = '\0';
		n++;
	}
	return n;
}

static json_t *query_ok(struct qfx *x, enum sw_query_route r, int64_t id, const char *qs)
{
	char buf[1024];
	struct sw_query_param p[MAXP];
	size_t n, len = 0;
	char *json = NULL;
	struct sw_err err;
	json_error_t jerr;
	json_t *j;

	snprintf(buf, sizeof(buf), "%s", qs);
	n = split_params(buf, p);
	if (sw_store_query(x->st, r, id, p, n, NOW, &json, &len, &err) != SW_OK)
		fail_msg("query %d ?%s: %s", (int)r, qs, err.msg);
	assert_int_equal(strlen(json), len);
	j = json_loads(json, 0, &jerr);
	if (j == NULL)
		fail_msg("?%s: not JSON (%s): %s", qs, jerr.text, json);
	free(json);
	return j;
}

static enum sw_status query_err(struct qfx *x, enum sw_query_route r, int64_t id,
                                const char *qs, struct sw_err *err)
{
	char buf[1024];
	struct sw_query_param p[MAXP];
	size_t n, len = 0;
	char *json = NULL;
	enum sw_status st;

	snprintf(buf, sizeof(buf), "%s", qs);
	n = split_params(buf, p);
	st = sw_store_query(x->st, r, id, p, n, NOW, &json, &len, err);
	if (st == SW_OK)
		free(json);
	return st;
}

static size_t n_items(json_t *j)
{
	json_t *items = json_object_get(j, "items");

	assert_true(json_is_array(items));
	return json_array_size(items);
}

/* ---- field names and types ---- */

enum jt { JS, JI, JSN, JIN, JO, JON, JA, JB, JR, JRN };

struct field {
	const char *name;
	enum jt type;
};

static void check_fields(json_t *o, const struct field *f, size_t n)
{
	assert_true(json_is_object(o));
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_object_get(o, f[i].name);
		bool ok;
		if (v == NULL)
			fail_msg("missing field %s", f[i].name);
		switch (f[i].type) {
		case JS: ok = json_is_string(v); break;
		case JI: ok = json_is_integer(v); break;
		case JSN: ok = json_is_string(v) || json_is_null(v); break;
		case JIN: ok = json_is_integer(v) || json_is_null(v); break;
		case JO: ok = json_is_object(v); break;
		case JON: ok = json_is_object(v) || json_is_null(v); break;
		case JA: ok = json_is_array(v); break;
		case JB: ok = json_is_boolean(v); break;
		case JR: ok = json_is_number(v); break;
		default: ok = json_is_number(v) || json_is_null(v); break;
		}
		if (!ok)
			fail_msg("field %s has the wrong type", f[i].name);
	}
	if (json_object_size(o) != n)
		fail_msg("%zu fields, expected %zu", json_object_size(o), n);
}

static const struct field violation_fields[] = {
	{ "id", JI }, { "src", JS }, { "dst", JS }, { "src_endpoint", JSN },
	{ "dst_endpoint", JSN }, { "src_ns", JSN }, { "dst_ns", JSN }, { "src_ip", JS },
	{ "dst_ip", JS }, { "proto", JS }, { "port", JI }, { "reason", JS },
	{ "first_seen", JS }, { "last_seen", JS }, { "flows", JI }, { "src_pkts", JI },
	{ "src_bytes", JI }, { "dst_pkts", JI }, { "dst_bytes", JI }, { "fw_verdict", JSN },
	{ "fw_prefix", JSN }, { "summary", JS }, { "state", JS }, { "state_changed", JSN },
	{ "acknowledged_by", JSN }, { "resolved_by", JSN },
};

static const struct field flow_fields[] = {
	{ "id", JI }, { "run_id", JIN }, { "flow_id", JI }, { "src", JS }, { "dst", JS },
	{ "src_endpoint", JSN }, { "dst_endpoint", JSN }, { "src_ns", JSN }, { "dst_ns", JSN },
	{ "src_ip", JS }, { "src_port", JI }, { "dst_ip", JS }, { "dst_port", JI },
	{ "proto", JS }, { "vlan", JIN }, { "first_seen", JS }, { "last_seen", JS },
	{ "src_pkts", JI }, { "src_bytes", JI }, { "dst_pkts", JI }, { "dst_bytes", JI },
	{ "tcp_state", JSN }, { "end_reason", JS }, { "verdict", JS }, { "reason", JS },
	{ "violation_id", JIN }, { "fw_verdict", JSN }, { "fw_prefix", JSN },
};

static const struct field anomaly_fields[] = {
	{ "id", JI }, { "kind", JS }, { "detected", JS }, { "src", JS }, { "dst", JSN },
	{ "proto", JSN }, { "port", JIN }, { "src_ns", JSN }, { "dst_ns", JSN },
	{ "score", JRN }, { "evidence", JO }, { "state", JS }, { "state_changed", JSN },
	{ "state_by", JSN },
};

static const struct field baseline_fields[] = {
	{ "id", JI }, { "src", JS }, { "dst", JS }, { "proto", JS }, { "port", JI },
	{ "src_ns", JSN }, { "dst_ns", JSN }, { "first_seen", JS }, { "last_seen", JS },
	{ "flows", JI }, { "bytes", JI }, { "intervals", JI }, { "bytes_mean", JR },
	{ "bytes_stddev", JR }, { "origin", JS },
};

static const struct field policy_fields[] = {
	{ "id", JI }, { "ns", JS }, { "name", JS }, { "origin", JS }, { "file", JSN },
	{ "line", JIN }, { "content_hash", JS }, { "loaded", JS }, { "changed", JS },
	{ "selects", JA },
};

static const struct field endpoint_fields[] = {
	{ "id", JS }, { "ns", JS }, { "name", JS }, { "kind", JS }, { "labels", JO },
	{ "addresses", JA }, { "ports", JA }, { "file", JSN }, { "line", JIN }, { "loaded", JS },
};

static void check_list_shape(json_t *j, const struct field *f, size_t nf, long limit)
{
	json_t *items = json_object_get(j, "items"), *cur = json_object_get(j, "next_cursor");
	size_t i;
	json_t *it;

	assert_int_equal(json_object_size(j), 3);
	assert_true(json_is_array(items));
	assert_true(json_is_string(cur) || json_is_null(cur));
	assert_int_equal(json_integer_value(json_object_get(j, "limit")), limit);
	json_array_foreach(items, i, it)
		check_fields(it, f, nf);
}

static void test_shapes(void **state)
{
	struct qfx *x = *state;
	json_t *j;

	j = query_ok(x, SW_Q_VIOLATIONS, 0, "");
	check_list_shape(j, violation_fields, SW_ARRAY_SIZE(violation_fields), 100);
	assert_int_equal(n_items(j), NVIOL);
	json_decref(j);
	j = query_ok(x, SW_Q_FLOWS, 0, "limit=1000");
	check_list_shape(j, flow_fields, SW_ARRAY_SIZE(flow_fields), 1000);
	assert_int_equal(n_items(j), NFLOW);
	json_decref(j);
	j = query_ok(x, SW_Q_ANOMALIES, 0, "");
	check_list_shape(j, anomaly_fields, SW_ARRAY_SIZE(anomaly_fields), 100);
	assert_int_equal(n_items(j), NANOM);
	json_decref(j);
	j = query_ok(x, SW_Q_BASELINE, 0, "");
	check_list_shape(j, baseline_fields, SW_ARRAY_SIZE(baseline_fields), 100);
	assert_int_equal(n_items(j), 2);
	/* stddev from Welford's m2: sqrt(300 / 3) = 10 */
	assert_true(json_real_value(json_object_get(json_array_get(json_object_get(j, "items"), 1),
	                                            "bytes_stddev")) == 10.0);
	json_decref(j);
	j = query_ok(x, SW_Q_ENDPOINTS, 0, "");
	check_list_shape(j, endpoint_fields, SW_ARRAY_SIZE(endpoint_fields), 100);
	assert_int_equal(n_items(j), 5);
	/* id order */
	assert_string_equal(json_string_value(json_object_get(
	        json_array_get(json_object_get(j, "items"), 0), "id")), "dev/db");
	json_decref(j);
	if (has_table(x->raw, "policy_selects")) {
		j = query_ok(x, SW_Q_POLICIES, 0, "");
		check_list_shape(j, policy_fields, SW_ARRAY_SIZE(policy_fields), 100);
		assert_int_equal(n_items(j), 3);
		assert_int_equal(json_array_size(json_object_get(
		        json_array_get(json_object_get(j, "items"), 0), "selects")), 3);
		json_decref(j);
	} else {
		print_message("SKIP policies: table policy_selects missing (schema 002)\n");
	}
}

/* Times: RFC 3339 UTC with nanoseconds, and protocol names. */
static void test_time_and_proto_format(void **state)
{
	struct qfx *x = *state;
	json_t *j = query_ok(x, SW_Q_VIOLATION, x->vid[4], "");

	/* violation 4: first seen T0 + 240 s, UDP port 53 */
	assert_string_equal(json_string_value(json_object_get(j, "first_seen")),
	                    "2026-11-25T12:04:00.000000000Z");
	assert_string_equal(json_string_value(json_object_get(j, "proto")), "udp");
	assert_int_equal(json_integer_value(json_object_get(j, "port")), 53);
	assert_true(json_is_null(json_object_get(j, "explanation")));
	assert_true(json_is_array(json_object_get(j, "sample_flows")));
	json_decref(j);
}

/* ---- filters narrow exactly as SQL says ---- */

struct filter_case {
	enum sw_query_route r;
	const char *qs;
	const char *where; /* brute-force count */
};

static const struct filter_case filter_cases[] = {
	{ SW_Q_VIOLATIONS, "src=prod/web", "FROM violations WHERE src = 'prod/web'" },
	{ SW_Q_VIOLATIONS, "dst=prod/db", "FROM violations WHERE dst = 'prod/db'" },
	{ SW_Q_VIOLATIONS, "dst=10.1.0.6", "FROM violations WHERE dst = '10.1.0.6'" },
	{ SW_Q_VIOLATIONS, "namespace=dev", "FROM violations WHERE 'dev' IN (src_ns, dst_ns)" },
	{ SW_Q_VIOLATIONS, "reason=denied_egress", "FROM violations WHERE reason = 'denied_egress'" },
	{ SW_Q_VIOLATIONS, "state=acknowledged", "FROM violations WHERE state = 'acknowledged'" },
	{ SW_Q_VIOLATIONS, "state=open", "FROM violations WHERE state = 'open'" },
	{ SW_Q_VIOLATIONS, "proto=udp", "FROM violations WHERE proto = 17" },
	{ SW_Q_VIOLATIONS, "proto=6&port=53", "FROM violations WHERE proto = 6 AND port = 53" },
	{ SW_Q_VIOLATIONS, "port=53", "FROM violations WHERE port = 53" },
	{ SW_Q_VIOLATIONS, "proto=tcp", "FROM violations WHERE proto = 6" },
	{ SW_Q_VIOLATIONS, "policy=prod/deny-all", "FROM violations WHERE id IN (2, 7)" },
	{ SW_Q_VIOLATIONS, "since=2026-11-25T12:20:00Z",
	  "FROM violations WHERE last_seen_ns >= 1795609200000000000" },
	{ SW_Q_VIOLATIONS, "until=1795608600000000000",
	  "FROM violations WHERE first_seen_ns <= 1795608600000000000" },
	{ SW_Q_VIOLATIONS, "since=2026-11-25T13:00:00%2B01:00&until=2026-11-25T12:20:00.5Z",
	  "FROM violations WHERE last_seen_ns >= 1795604400000000000 AND"
	  " first_seen_ns <= 1795609200500000000" },
	{ SW_Q_VIOLATIONS, "since=35m", "FROM violations WHERE last_seen_ns >= 1795609500000000000" },
	{ SW_Q_VIOLATIONS, "src=prod/api&reason=denied_egress&state=open&port=5432",
	  "FROM violations WHERE src = 'prod/api' AND reason = 'denied_egress' AND state = 'open' AND port = 5432" },
	{ SW_Q_FLOWS, "src=prod/web", "FROM flows WHERE src = 'prod/web'" },
	{ SW_Q_FLOWS, "dst=10.1.0.4", "FROM flows WHERE dst = '10.1.0.4'" },
	{ SW_Q_FLOWS, "namespace=dev", "FROM flows WHERE 'dev' IN (src_ns, dst_ns)" },
	{ SW_Q_FLOWS, "ip=10.0.0.2", "FROM flows WHERE '10.0.0.2' IN (src_ip, dst_ip)" },
	/* an address that is no endpoint's, and one an endpoint's */
	{ SW_Q_FLOWS, "ip=10.1.0.4", "FROM flows WHERE '10.1.0.4' IN (src_ip, dst_ip)" },
	{ SW_Q_FLOWS, "ip=10.1.0.1&verdict=denied",
	  "FROM flows WHERE '10.1.0.1' IN (src_ip, dst_ip) AND verdict = 'denied'" },
	{ SW_Q_FLOWS, "verdict=denied", "FROM flows WHERE verdict = 'denied'" },
	{ SW_Q_FLOWS, "verdict=allowed", "FROM flows WHERE verdict = 'allowed'" },
	{ SW_Q_FLOWS, "reason=denied_both", "FROM flows WHERE reason = 'denied_both'" },
	{ SW_Q_FLOWS, "reason=allowed_by_policy", "FROM flows WHERE reason = 'allowed_by_policy'" },
	{ SW_Q_FLOWS, "port=5432", "FROM flows WHERE dport = 5432" },
	{ SW_Q_FLOWS, "proto=udp&port=53", "FROM flows WHERE proto = 17 AND dport = 53" },
	{ SW_Q_FLOWS, "violation=4", "FROM flows WHERE violation_id = 4" },
	{ SW_Q_FLOWS, "since=1795608500000000000",
	  "FROM flows WHERE last_ns >= 1795608500000000000" },
	{ SW_Q_ANOMALIES, "kind=volume", "FROM anomalies WHERE kind = 'volume'" },
	{ SW_Q_ANOMALIES, "src=dev/web", "FROM anomalies WHERE src = 'dev/web'" },
	{ SW_Q_ANOMALIES, "dst=prod/db", "FROM anomalies WHERE dst = 'prod/db'" },
	{ SW_Q_ANOMALIES, "state=open", "FROM anomalies WHERE state = 'open'" },
	{ SW_Q_ANOMALIES, "until=1795608020000000000",
	  "FROM anomalies WHERE detected_ns <= 1795608020000000000" },
	{ SW_Q_BASELINE, "src=dev/web", "FROM baseline_edges WHERE src = 'dev/web'" },
	{ SW_Q_BASELINE, "dst=prod/db", "FROM baseline_edges WHERE dst = 'prod/db'" },
	{ SW_Q_BASELINE, "namespace=dev", "FROM baseline_edges WHERE src_ns = 'dev'" },
	{ SW_Q_ENDPOINTS, "namespace=prod", "FROM endpoints WHERE ns = 'prod'" },
	{ SW_Q_ENDPOINTS, "label=app=web", "FROM endpoints WHERE name = 'web'" },
	{ SW_Q_ENDPOINTS, "ip=10.0.0.2", "FROM endpoints WHERE id = 'prod/api'" },
	{ SW_Q_POLICIES, "namespace=dev", "FROM policies WHERE ns = 'dev'" },
	{ SW_Q_POLICIES, "endpoint=prod/db", "FROM policies WHERE ns = 'prod'" },
};

static int64_t table_rows(struct qfx *x, enum sw_query_route r)
{
	switch (r) {
	case SW_Q_VIOLATIONS: return raw_int(x->raw, "SELECT count(*) FROM violations");
	case SW_Q_FLOWS: return raw_int(x->raw, "SELECT count(*) FROM flows");
	case SW_Q_ANOMALIES: return raw_int(x->raw, "SELECT count(*) FROM anomalies");
	case SW_Q_BASELINE: return raw_int(x->raw, "SELECT count(*) FROM baseline_edges");
	case SW_Q_POLICIES: return raw_int(x->raw, "SELECT count(*) FROM policies");
	default: return raw_int(x->raw, "SELECT count(*) FROM endpoints");
	}
}

static void test_filters_narrow(void **state)
{
	struct qfx *x = *state;
	char sql[512], qs[256];

	for (size_t i = 0; i < SW_ARRAY_SIZE(filter_cases); i++) {
		const struct filter_case *c = &filter_cases[i];
		int64_t want;
		json_t *j;
		char *pct;
		if (c->r == SW_Q_POLICIES && !has_table(x->raw, "policy_selects"))
			continue;
		snprintf(sql, sizeof(sql), "SELECT count(*) %s", c->where);
		want = raw_int(x->raw, sql);
		if (want == 0)
			fail_msg("case %zu ?%s: the fixture has no matching row", i, c->qs);
		snprintf(qs, sizeof(qs), "%s&limit=1000", c->qs);
		/* the caller decodes %2B into '+' */
		if ((pct = strstr(qs, "%2B")) != NULL) {
			*pct = '+';
			memmove(pct + 1, pct + 3, strlen(pct + 3) + 1);
		}
		j = query_ok(x, c->r, 0, qs);
		if ((int64_t)n_items(j) != want)
			fail_msg("case %zu ?%s: %zu items, SQL counts %lld", i, c->qs, n_items(j),
			         (long long)want);
		if (want >= table_rows(x, c->r))
			fail_msg("case %zu ?%s: the fixture's rows all match", i, c->qs);
		json_decref(j);
	}
}

/* ---- pagination ---- */

static void walk_pages(struct qfx *x, enum sw_query_route r, const char *base,
                       const char *count_sql, const char *key)
{
	int64_t total = raw_int(x->raw, count_sql);
	char qs[512], *cursor = NULL;
	json_t *seen = json_object();
	size_t pages = 0, rows = 0;

	do {
		json_t *j, *items, *it;
		size_t i;
		snprintf(qs, sizeof(qs), "%s%slimit=3%s%s", base, base[0] ? "&" : "",
		         cursor ? "&cursor=" : "", cursor ? cursor : "");
		free(cursor);
		cursor = NULL;
		j = query_ok(x, r, 0, qs);
		items = json_object_get(j, "items");
		assert_true(json_array_size(items) <= 3);
		json_array_foreach(items, i, it) {
			char k[600];
			json_t *idv = json_object_get(it, key);
			if (json_is_string(idv))
				snprintf(k, sizeof(k), "%s", json_string_value(idv));
			else
				snprintf(k, sizeof(k), "%lld", (long long)json_integer_value(idv));
			if (json_object_get(seen, k) != NULL)
				fail_msg("?%s: row %s twice", base, k);
			json_object_set_new(seen, k, json_true());
			rows++;
		}
		if (json_is_string(json_object_get(j, "next_cursor"))) {
			cursor = strdup(json_string_value(json_object_get(j, "next_cursor")));
			assert_int_equal(json_array_size(items), 3);
		}
		json_decref(j);
		pages++;
		assert_true(pages < 100);
	} while (cursor != NULL);
	if ((int64_t)rows != total)
		fail_msg("?%s: %zu rows over %zu pages, %lld exist", base, rows, pages,
		         (long long)total);
	json_decref(seen);
}

static void test_pagination(void **state)
{
	struct qfx *x = *state;
	static const char *const sorts[] = { "", "sort=-last_seen", "sort=last_seen",
		                             "sort=first_seen", "sort=-first_seen", "sort=flows",
		                             "sort=-flows", "src=prod/web", "namespace=prod",
		                             "port=5432" };

	for (size_t i = 0; i < SW_ARRAY_SIZE(sorts); i++) {
		char sql[256];
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM violations %s",
		         strcmp(sorts[i], "src=prod/web") == 0 ? "WHERE src = 'prod/web'" :
		         strcmp(sorts[i], "namespace=prod") == 0 ? "WHERE 'prod' IN (src_ns, dst_ns)" :
		         strcmp(sorts[i], "port=5432") == 0 ? "WHERE port = 5432" : "");
		walk_pages(x, SW_Q_VIOLATIONS, sorts[i], sql, "id");
	}
	walk_pages(x, SW_Q_FLOWS, "", "SELECT count(*) FROM flows", "id");
	walk_pages(x, SW_Q_FLOWS, "verdict=denied", "SELECT count(*) FROM flows WHERE verdict = 'denied'", "id");
	walk_pages(x, SW_Q_ANOMALIES, "", "SELECT count(*) FROM anomalies", "id");
	walk_pages(x, SW_Q_BASELINE, "", "SELECT count(*) FROM baseline_edges", "id");
	walk_pages(x, SW_Q_ENDPOINTS, "", "SELECT count(*) FROM endpoints", "id");
	if (has_table(x->raw, "policy_selects"))
		walk_pages(x, SW_Q_POLICIES, "", "SELECT count(*) FROM policies", "id");
}

/* The order: last seen descending, ties by id descending. */
static void test_default_order(void **state)
{
	struct qfx *x = *state;
	json_t *j = query_ok(x, SW_Q_VIOLATIONS, 0, "limit=1000"), *it;
	const char *prev_ts = NULL;
	int64_t prev_id = 0;
	size_t i;

	json_array_foreach(json_object_get(j, "items"), i, it) {
		const char *ts = json_string_value(json_object_get(it, "last_seen"));
		int64_t id = json_integer_value(json_object_get(it, "id"));
		if (prev_ts != NULL) {
			int c = strcmp(ts, prev_ts);
			assert_true(c < 0 || (c == 0 && id < prev_id));
		}
		prev_ts = ts;
		prev_id = id;
	}
	json_decref(j);
}

/* ---- errors ---- */

struct bad_case {
	enum sw_query_route r;
	const char *qs;
	const char *param;
};

static const struct bad_case bad_cases[] = {
	{ SW_Q_VIOLATIONS, "limit=0", "limit" },
	{ SW_Q_VIOLATIONS, "limit=1001", "limit" },
	{ SW_Q_VIOLATIONS, "limit=x", "limit" },
	{ SW_Q_VIOLATIONS, "limit=-1", "limit" },
	{ SW_Q_VIOLATIONS, "limit=", "limit" },
	{ SW_Q_EDGES, "limit=10001", "limit" },
	{ SW_Q_VIOLATIONS, "cursor=abc", "cursor" },
	{ SW_Q_VIOLATIONS, "cursor=VLD.1", "cursor" },
	{ SW_Q_VIOLATIONS, "cursor=VLD.1.x", "cursor" },
	{ SW_Q_VIOLATIONS, "cursor=VFA.1.2", "cursor" },        /* another sort's */
	{ SW_Q_VIOLATIONS, "sort=first_seen&cursor=VLD.1.2", "cursor" },
	{ SW_Q_FLOWS, "cursor=VLD.1.2", "cursor" },             /* another route's */
	{ SW_Q_ENDPOINTS, "cursor=E.6", "cursor" },
	{ SW_Q_ENDPOINTS, "cursor=E.zz", "cursor" },
	{ SW_Q_VIOLATIONS, "since=yesterday", "since" },
	{ SW_Q_VIOLATIONS, "since=2026-13-01T00:00:00Z", "since" },
	{ SW_Q_VIOLATIONS, "since=2026-02-30T00:00:00Z", "since" },
	{ SW_Q_VIOLATIONS, "since=2026-11-25T12:00:00", "since" },
	{ SW_Q_VIOLATIONS, "until=2026-11-25T12:00:00.1234567890Z", "until" },
	{ SW_Q_VIOLATIONS, "until=99999999999999999999", "until" },
	{ SW_Q_VIOLATIONS, "since=15x", "since" },
	{ SW_Q_VIOLATIONS, "reason=allowed_by_policy", "reason" },
	{ SW_Q_VIOLATIONS, "state=accepted", "state" },
	{ SW_Q_VIOLATIONS, "proto=tcpx", "proto" },
	{ SW_Q_VIOLATIONS, "proto=256", "proto" },
	{ SW_Q_VIOLATIONS, "port=65536", "port" },
	{ SW_Q_VIOLATIONS, "port=http", "port" },
	{ SW_Q_VIOLATIONS, "sort=id", "sort" },
	{ SW_Q_VIOLATIONS, "policy=nopolicy", "policy" },
	{ SW_Q_VIOLATIONS, "src=", "src" },
	{ SW_Q_VIOLATIONS, "src=a\001b", "src" },
	{ SW_Q_VIOLATIONS, "limit=5&limit=6", "limit" },
	{ SW_Q_FLOWS, "verdict=maybe", "verdict" },
	{ SW_Q_FLOWS, "ip=10.0.0.300", "ip" },
	{ SW_Q_FLOWS, "violation=0", "violation" },
	{ SW_Q_ANOMALIES, "kind=spike", "kind" },
	{ SW_Q_ENDPOINTS, "label=novalue", "label" },
	{ SW_Q_ENDPOINTS, "label==x", "label" },
	/* unknown parameters, for the route */
	{ SW_Q_VIOLATIONS, "verdict=denied", "verdict" },
	{ SW_Q_VIOLATIONS, "bogus=1", "bogus" },
	{ SW_Q_FLOWS, "sort=flows", "sort" },
	{ SW_Q_EDGES, "cursor=x", "cursor" },
	{ SW_Q_VIOLATION, "limit=1", "limit" },
	{ SW_Q_STATS_DB, "x=1", "x" },
};

static void test_bad_parameters(void **state)
{
	struct qfx *x = *state;
	char long_src[700];
	struct sw_query_param p;
	char *json = NULL;
	size_t len;

	for (size_t i = 0; i < SW_ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct sw_err err;
		enum sw_status st = query_err(x, c->r, 1, c->qs, &err);
		if (st != SW_ERR_INVALID)
			fail_msg("case %zu ?%s: status %d, not invalid", i, c->qs, (int)st);
		if (strcmp(err.file, c->param) != 0)
			fail_msg("case %zu ?%s: names '%s', not %s", i, c->qs, err.file, c->param);
		assert_true(strncmp(err.msg, c->param, strlen(c->param)) == 0);
		assert_true(strstr(err.msg, "expected") != NULL || strstr(err.msg, "unknown") != NULL);
		/* the server tells an unknown name from a bad value */
		assert_int_equal(sw_store_query_param_known(c->r, c->param),
		                 strstr(err.msg, "unknown parameter") == NULL);
	}
	/* the message quotes the value */
	{
		struct sw_err err;
		assert_int_equal(query_err(x, SW_Q_VIOLATIONS, 0, "limit=x", &err), SW_ERR_INVALID);
		assert_string_equal(err.msg, "limit: expected an integer from 1 to 1000, got 'x'");
	}
	/* identities of at most 512 bytes */
	memset(long_src, 'a', 513);
	long_src[513] = '\0';
	p.name = "src";
	p.value = long_src;
	{
		struct sw_err err;
		assert_int_equal(sw_store_query(x->st, SW_Q_VIOLATIONS, 0, &p, 1, NOW, &json, &len,
		                                &err), SW_ERR_INVALID);
		assert_string_equal(err.file, "src");
		long_src[512] = '\0';
		assert_int_equal(sw_store_query(x->st, SW_Q_VIOLATIONS, 0, &p, 1, NOW, &json, &len,
		                                &err), SW_OK);
		free(json);
	}
}

/* Values are bound: quotes, comments and LIKE wildcards are plain text. */
static void test_metacharacters_harmless(void **state)
{
	struct qfx *x = *state;
	static const char *const evil[] = { "'", "x' OR '1'='1", "\"; DROP TABLE violations; --",
		                            "%", "_", "*", "prod/web' --", "a\\b", "?1", ":src",
		                            "$(x)", "prod/%" };
	static const struct { enum sw_query_route r; const char *name; } slots[] = {
		{ SW_Q_VIOLATIONS, "src" }, { SW_Q_VIOLATIONS, "dst" },
		{ SW_Q_VIOLATIONS, "namespace" }, { SW_Q_FLOWS, "src" }, { SW_Q_FLOWS, "dst" },
		{ SW_Q_FLOWS, "namespace" }, { SW_Q_ANOMALIES, "src" }, { SW_Q_ANOMALIES, "dst" },
		{ SW_Q_BASELINE, "src" }, { SW_Q_BASELINE, "namespace" },
		{ SW_Q_ENDPOINTS, "namespace" }, { SW_Q_EDGES, "namespace" },
		{ SW_Q_POLICIES, "namespace" }, { SW_Q_POLICIES, "endpoint" },
	};

	for (size_t s = 0; s < SW_ARRAY_SIZE(slots); s++)
		for (size_t e = 0; e < SW_ARRAY_SIZE(evil); e++) {
			struct sw_query_param p = { slots[s].name, evil[e] };
			char *json = NULL;
			size_t len;
			struct sw_err err;
			json_t *j;
			if (slots[s].r == SW_Q_POLICIES && !has_table(x->raw, "policy_selects"))
				continue;
			if (sw_store_query(x->st, slots[s].r, 0, &p, 1, NOW, &json, &len, &err) != SW_OK)
				fail_msg("%s=%s: %s", slots[s].name, evil[e], err.msg);
			j = json_loads(json, 0, NULL);
			assert_non_null(j);
			if (slots[s].r == SW_Q_EDGES)
				assert_int_equal(json_array_size(json_object_get(j, "edges")), 0);
			else
				assert_int_equal(n_items(j), 0);
			json_decref(j);
			free(json);
		}
	/* label and policy values too */
	{
		json_t *j = query_ok(x, SW_Q_ENDPOINTS, 0, "label=app=web' OR 1=1 --");
		assert_int_equal(n_items(j), 0);
		json_decref(j);
		j = query_ok(x, SW_Q_VIOLATIONS, 0, "policy=prod/deny-all' OR '1'='1");
		assert_int_equal(n_items(j), 0);
		json_decref(j);
	}
	assert_int_equal(raw_int(x->raw, "SELECT count(*) FROM violations"), NVIOL);
}

static void test_item_and_notfound(void **state)
{
	struct qfx *x = *state;
	struct sw_err err;
	char *json = NULL;
	size_t len;
	json_t *j, *samples;

	j = query_ok(x, SW_Q_VIOLATION, x->vid[7], "");
	{
		struct field detail[SW_ARRAY_SIZE(violation_fields) + 2];
		memcpy(detail, violation_fields, sizeof(violation_fields));
		detail[SW_ARRAY_SIZE(violation_fields)] = (struct field){ "explanation", JON };
		detail[SW_ARRAY_SIZE(violation_fields) + 1] = (struct field){ "sample_flows", JA };
		check_fields(j, detail, SW_ARRAY_SIZE(detail));
	}
	json_decref(j);
	j = query_ok(x, SW_Q_VIOLATION, x->vid[3], "");
	assert_int_equal(json_integer_value(json_object_get(j, "id")), x->vid[3]);
	assert_true(json_is_null(json_object_get(j, "explanation")));
	/* violation 3's sample is flow 1003 of the run, stored denied */
	samples = json_object_get(j, "sample_flows");
	assert_int_equal(json_array_size(samples), 1);
	check_fields(json_array_get(samples, 0), flow_fields, SW_ARRAY_SIZE(flow_fields));
	assert_int_equal(json_integer_value(json_object_get(json_array_get(samples, 0), "flow_id")),
	                 1003);
	json_decref(j);
	j = query_ok(x, SW_Q_VIOLATION, 2, "");
	assert_true(json_is_object(json_object_get(j, "explanation")));
	json_decref(j);

	assert_int_equal(sw_store_query(x->st, SW_Q_VIOLATION, 999999, NULL, 0, NOW, &json, &len,
	                                &err), SW_ERR_NOTFOUND);
	assert_int_equal(sw_store_query(x->st, SW_Q_VIOLATION, -1, NULL, 0, NOW, &json, &len,
	                                &err), SW_ERR_NOTFOUND);
	assert_int_equal(sw_store_query_transition(x->st, "violations", 999999, "ack", "bob", NOW,
	                                           &json, &len, &err), SW_ERR_NOTFOUND);
	assert_int_equal(sw_store_query_transition(x->st, "anomalies", 999999, "ack", "bob", NOW,
	                                           &json, &len, &err), SW_ERR_NOTFOUND);
	assert_int_equal(sw_store_query_transition(x->st, "violations", 1, "accept", "bob", NOW,
	                                           &json, &len, &err), SW_ERR_UNSUPPORTED);
	assert_int_equal(sw_store_query_transition(x->st, "flows", 1, "ack", "bob", NOW, &json,
	                                           &len, &err), SW_ERR_UNSUPPORTED);
}

static json_t *transition_ok(struct qfx *x, const char *res, int64_t id, const char *action)
{
	char *json = NULL;
	size_t len;
	struct sw_err err;
	json_t *j;

	if (sw_store_query_transition(x->st, res, id, action, "carol", NOW + SEC, &json, &len,
	                              &err) != SW_OK)
		fail_msg("%s %lld %s: %s", res, (long long)id, action, err.msg);
	j = json_loads(json, 0, NULL);
	assert_non_null(j);
	free(json);
	return j;
}

static void test_transitions(void **state)
{
	struct qfx *x = *state;
	char *json = NULL;
	size_t len;
	struct sw_err err;
	json_t *j;
	int64_t accept_id;

	j = transition_ok(x, "violations", x->vid[1], "ack");
	check_fields(j, violation_fields, SW_ARRAY_SIZE(violation_fields));
	assert_string_equal(json_string_value(json_object_get(j, "state")), "acknowledged");
	assert_string_equal(json_string_value(json_object_get(j, "acknowledged_by")), "carol");
	assert_string_equal(json_string_value(json_object_get(j, "state_changed")),
	                    "2026-11-25T13:00:01.000000000Z");
	json_decref(j);
	j = transition_ok(x, "violations", x->vid[1], "resolve");
	assert_string_equal(json_string_value(json_object_get(j, "state")), "resolved");
	json_decref(j);
	/* resolved -> acknowledged is a conflict, naming no parameter */
	assert_int_equal(sw_store_query_transition(x->st, "violations", x->vid[1], "ack", NULL, NOW,
	                                           &json, &len, &err), SW_ERR_INVALID);
	assert_string_equal(err.file, "");
	j = transition_ok(x, "violations", x->vid[1], "reopen");
	assert_string_equal(json_string_value(json_object_get(j, "state")), "open");
	json_decref(j);

	/* anomalies: ack, then accept puts the edge into the baseline */
	accept_id = raw_int(x->raw, "SELECT min(id) FROM anomalies WHERE kind = 'new_edge'");
	j = transition_ok(x, "anomalies", accept_id, "ack");
	check_fields(j, anomaly_fields, SW_ARRAY_SIZE(anomaly_fields));
	assert_string_equal(json_string_value(json_object_get(j, "state")), "acknowledged");
	assert_string_equal(json_string_value(json_object_get(j, "state_by")), "carol");
	json_decref(j);
	raw_exec(x->raw, "DELETE FROM baseline_edges");
	j = transition_ok(x, "anomalies", accept_id, "accept");
	assert_string_equal(json_string_value(json_object_get(j, "state")), "accepted");
	json_decref(j);
	assert_int_equal(raw_int(x->raw, "SELECT count(*) FROM baseline_edges WHERE"
	                                 " origin = 'accepted' AND src = 'prod/web'"), 1);
	j = query_ok(x, SW_Q_ANOMALIES, 0, "state=accepted");
	assert_int_equal(n_items(j), 1);
	json_decref(j);
	j = query_ok(x, SW_Q_BASELINE, 0, "");
	assert_int_equal(n_items(j), 1);
	assert_string_equal(json_string_value(json_object_get(
	        json_array_get(json_object_get(j, "items"), 0), "origin")), "accepted");
	json_decref(j);
}

struct events {
	int violations, anomalies;
	int64_t last_v, last_a;
	bool ordered;
};

static void on_event(void *ctx, const char *kind, int64_t id, const char *json, size_t len)
{
	struct events *e = ctx;
	json_t *j = json_loadb(json, len, 0, NULL);

	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "id")), id);
	if (strcmp(kind, "violation") == 0) {
		check_fields(j, violation_fields, SW_ARRAY_SIZE(violation_fields));
		e->ordered &= id > e->last_v;
		e->last_v = id;
		e->violations++;
	} else {
		assert_string_equal(kind, "anomaly");
		check_fields(j, anomaly_fields, SW_ARRAY_SIZE(anomaly_fields));
		e->ordered &= id > e->last_a;
		e->last_a = id;
		e->anomalies++;
	}
	json_decref(j);
}

static void test_events_and_max_ids(void **state)
{
	struct qfx *x = *state;
	struct events e = { .ordered = true };
	struct sw_err err;
	int64_t v, a;

	assert_int_equal(sw_store_query_max_ids(x->st, &v, &a, &err), SW_OK);
	assert_int_equal(v, raw_int(x->raw, "SELECT max(id) FROM violations"));
	assert_int_equal(a, raw_int(x->raw, "SELECT max(id) FROM anomalies"));
	assert_int_equal(sw_store_query_events(x->st, v, a, 100, on_event, &e, &err), SW_OK);
	assert_int_equal(e.violations + e.anomalies, 0);
	e.last_v = v - 5;
	e.last_a = a - 3;
	assert_int_equal(sw_store_query_events(x->st, v - 5, a - 3, 100, on_event, &e, &err),
	                 SW_OK);
	assert_int_equal(e.violations, 5);
	assert_int_equal(e.anomalies, 3);
	assert_true(e.ordered);
	e.violations = e.anomalies = 0;
	e.last_v = e.last_a = 0;
	assert_int_equal(sw_store_query_events(x->st, 0, 0, 4, on_event, &e, &err), SW_OK);
	assert_int_equal(e.violations, 4);
	assert_int_equal(e.anomalies, 4);
	assert_int_equal(sw_store_query_events(x->st, 0, 0, 0, on_event, &e, &err), SW_ERR_INVALID);
}

static void test_edges_stats_health(void **state)
{
	struct qfx *x = *state;
	json_t *j, *edges, *nodes, *it;
	size_t i;

	j = query_ok(x, SW_Q_EDGES, 0, "since=1795600000000000000&until=1795700000000000000");
	edges = json_object_get(j, "edges");
	nodes = json_object_get(j, "nodes");
	assert_true(json_array_size(edges) > 0);
	assert_false(json_is_true(json_object_get(j, "truncated")));
	json_array_foreach(edges, i, it) {
		static const struct field ef[] = {
			{ "src", JS }, { "dst", JS }, { "proto", JS }, { "port", JI }, { "flows", JI },
			{ "bytes", JI }, { "verdict", JS }, { "violation_id", JIN }, { "anomaly", JB },
			{ "baseline", JB },
		};
		check_fields(it, ef, SW_ARRAY_SIZE(ef));
	}
	json_array_foreach(nodes, i, it) {
		static const struct field nf[] = {
			{ "id", JS }, { "kind", JS }, { "ns", JSN }, { "name", JS }, { "labels", JO },
		};
		check_fields(it, nf, SW_ARRAY_SIZE(nf));
	}
	/* the baseline edge prod/web -> prod/db tcp/5432 is flagged */
	{
		bool found = false;
		json_array_foreach(edges, i, it)
			if (strcmp(json_string_value(json_object_get(it, "src")), "prod/web") == 0 &&
			    strcmp(json_string_value(json_object_get(it, "dst")), "prod/db") == 0 &&
			    json_integer_value(json_object_get(it, "port")) == 5432)
				found = json_is_true(json_object_get(it, "baseline"));
		assert_true(found);
	}
	json_decref(j);
	j = query_ok(x, SW_Q_EDGES, 0, "since=1795600000000000000&limit=2");
	assert_int_equal(json_array_size(json_object_get(j, "edges")), 2);
	assert_true(json_is_true(json_object_get(j, "truncated")));
	json_decref(j);

	j = query_ok(x, SW_Q_STATS_DB, 0, "");
	assert_int_equal(json_integer_value(json_object_get(j, "violations")), NVIOL);
	assert_int_equal(json_integer_value(json_object_get(j, "violations_open")),
	                 raw_int(x->raw, "SELECT count(*) FROM violations WHERE state = 'open'"));
	assert_int_equal(json_integer_value(json_object_get(j, "anomalies")), NANOM);
	assert_int_equal(json_array_size(json_object_get(j, "series")), 60);
	assert_true(json_is_object(json_object_get(j, "run")));
	assert_string_equal(json_string_value(json_object_get(j, "now")),
	                    "2026-11-25T13:00:00.000000000Z");
	json_decref(j);
	j = query_ok(x, SW_Q_HEALTH, 0, "");
	assert_string_equal(json_string_value(json_object_get(j, "status")), "ok");
	assert_int_equal(json_integer_value(json_object_get(j, "schema_version")),
	                 sw_store_schema_version(x->st));
	json_decref(j);
}

/* /api/v1/runs: every run, newest first, with its end and capture
 * statistics (a run still going, or killed, has no end); pages by cursor;
 * only limit and cursor are known. */
static void test_runs_history(void **state)
{
	struct qfx *x = *state;
	static const struct field rf[] = {
		{ "id", JI }, { "started", JS }, { "ended", JSN }, { "sources", JS },
		{ "packets", JI }, { "drops", JI }, { "flows", JI }, { "stats", JON },
	};
	const struct sw_store_run_stats first = { 1000, 7, 40, "{\"frames\":1000}" };
	const struct sw_store_run_stats second = { 2000, 0, 90, NULL };
	struct sw_err err;
	json_t *j, *items, *it;
	size_t i;

	/* the fixture's run (pcap:eth0, begun at T0) ends; two more follow */
	assert_int_equal(sw_store_run_end(x->st, T0 + 5 * SEC, &first, &err), SW_OK);
	assert_int_equal(sw_store_run_begin(x->st, T0 + 10 * SEC, "nflog:5", NULL, &err), SW_OK);
	assert_int_equal(sw_store_run_end(x->st, T0 + 20 * SEC, &second, &err), SW_OK);
	assert_int_equal(sw_store_run_begin(x->st, T0 + 30 * SEC, "pcap:eth1", NULL, &err), SW_OK);

	j = query_ok(x, SW_Q_RUNS, 0, "");
	items = json_object_get(j, "items");
	assert_int_equal(json_array_size(items), 3);
	json_array_foreach(items, i, it)
		check_fields(it, rf, SW_ARRAY_SIZE(rf));
	it = json_array_get(items, 0); /* the newest, still running */
	assert_string_equal(json_string_value(json_object_get(it, "sources")), "pcap:eth1");
	assert_true(json_is_null(json_object_get(it, "ended")));
	assert_int_equal(json_integer_value(json_object_get(it, "packets")), 0);
	it = json_array_get(items, 1);
	assert_string_equal(json_string_value(json_object_get(it, "sources")), "nflog:5");
	assert_string_equal(json_string_value(json_object_get(it, "started")),
	                    "2026-11-25T12:00:10.000000000Z");
	assert_string_equal(json_string_value(json_object_get(it, "ended")),
	                    "2026-11-25T12:00:20.000000000Z");
	assert_int_equal(json_integer_value(json_object_get(it, "flows")), 90);
	assert_true(json_is_null(json_object_get(it, "stats")));
	it = json_array_get(items, 2);
	assert_string_equal(json_string_value(json_object_get(it, "sources")), "pcap:eth0");
	assert_int_equal(json_integer_value(json_object_get(it, "packets")), 1000);
	assert_int_equal(json_integer_value(json_object_get(it, "drops")), 7);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(it, "stats"),
	                                                    "frames")), 1000);
	assert_true(json_is_null(json_object_get(j, "next_cursor")));
	json_decref(j);

	walk_pages(x, SW_Q_RUNS, "", "SELECT count(*) FROM runs", "id");
	j = query_ok(x, SW_Q_RUNS, 0, "limit=1");
	assert_string_equal(json_string_value(json_object_get(j, "next_cursor")), "R.3");
	json_decref(j);
	j = query_ok(x, SW_Q_RUNS, 0, "limit=1&cursor=R.3");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
	                 json_object_get(j, "items"), 0), "id")), 2);
	json_decref(j);
	assert_int_equal(query_err(x, SW_Q_RUNS, 0, "src=prod/web", &err), SW_ERR_INVALID);
	assert_int_equal(query_err(x, SW_Q_RUNS, 0, "cursor=V.3", &err), SW_ERR_INVALID);
}

/* The web server reads through read-only handles. */
static void test_read_only_handle(void **state)
{
	struct qfx *x = *state;
	struct sw_store_config cfg = { .read_only = true };
	struct sw_err err;
	struct sw_store *ro = sw_store_open(x->db, &cfg, &err);
	struct sw_query_param p = { "state", "acknowledged" };
	char *json = NULL;
	size_t len;
	json_t *j;

	if (ro == NULL)
		fail_msg("open read-only: %s", err.msg);
	assert_int_equal(sw_store_query(ro, SW_Q_VIOLATIONS, 0, &p, 1, NOW, &json, &len, &err),
	                 SW_OK);
	j = json_loads(json, 0, NULL);
	assert_int_equal((int64_t)n_items(j),
	                 raw_int(x->raw, "SELECT count(*) FROM violations WHERE state = 'acknowledged'"));
	json_decref(j);
	free(json);
	/* writes are refused */
	assert_int_equal(sw_store_query_transition(ro, "violations", 1, "ack", NULL, NOW, &json,
	                                           &len, &err), SW_ERR_INVALID);
	sw_store_close(ro);
}

/* ---- the map's default window ---- */

static size_t edges_at(struct qfx *x, uint64_t now, const char *qs)
{
	char buf[128];
	struct sw_query_param p[MAXP];
	struct sw_err err;
	char *json = NULL;
	size_t len, n;
	json_t *j;

	snprintf(buf, sizeof(buf), "%s", qs);
	n = split_params(buf, p);
	if (sw_store_query(x->st, SW_Q_EDGES, 0, p, n, now, &json, &len, &err) != SW_OK)
		fail_msg("edges ?%s: %s", qs, err.msg);
	j = json_loads(json, 0, NULL);
	free(json);
	assert_non_null(j);
	n = json_array_size(json_object_get(j, "edges"));
	json_decref(j);
	return n;
}

/* A month after the data, the map without since shows the data's last
 * hour (the same edges as that hour asked for), not an empty hour; with
 * since, exactly what was asked. */
static void test_map_window_follows_old_data(void **state)
{
	struct qfx *x = *state;
	const uint64_t later = NOW + 30 * 86400 * SEC;
	int64_t newest = raw_int(x->raw, "SELECT max(last_seen_ns) FROM violations");
	char since[64];

	assert_true(newest > 0 && (uint64_t)newest < NOW);
	snprintf(since, sizeof(since), "since=%lld", (long long)(newest - 3600 * (int64_t)SEC));
	assert_true(edges_at(x, later, since) > 0);
	assert_int_equal(edges_at(x, later, ""), edges_at(x, later, since));
	assert_int_equal(edges_at(x, later, "since=1h"), 0);
}

/* ---- the ip filter ---- */

/* Flows of one workload: more than the store reads through an identity
 * (SQ_RARE_ROWS, 5000) before it walks the time index instead. */
#define BUSY_FLOWS 5200

static void put_ip_flow(struct qfx *x, uint64_t id, const char *sip, const char *src_id,
                        const char *dip, const char *dst_id)
{
	struct sw_flow f;
	struct sw_store_flow sf;
	struct sw_err err;

	memset(&f, 0, sizeof(f));
	f.id = id;
	f.src = ip(sip);
	f.dst = ip(dip);
	f.dport = 443;
	f.proto = SW_PROTO_TCP;
	f.first_ns = T0 + id * SEC;
	f.last_ns = f.first_ns + SEC;
	memset(&sf, 0, sizeof(sf));
	sf.flow = &f;
	sf.end = SW_END_IDLE;
	sf.src_id = src_id;
	sf.dst_id = dst_id;
	sf.reason = SW_REASON_ALLOWED_BY_POLICY;
	if (sw_store_put_flow(x->st, &sf, &err) != SW_OK)
		fail_msg("put_flow: %s", err.msg);
}

static void expect_ip_flows(struct qfx *x, const char *addr)
{
	char sql[160], qs[96];
	int64_t want;
	json_t *j;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM flows WHERE '%s' IN (src_ip, dst_ip)",
	         addr);
	want = raw_int(x->raw, sql);
	assert_true(want > 0);
	snprintf(qs, sizeof(qs), "ip=%s&limit=1000", addr);
	j = query_ok(x, SW_Q_FLOWS, 0, qs);
	if ((int64_t)n_items(j) != want)
		fail_msg("?ip=%s: %zu items, SQL counts %lld", addr, n_items(j), (long long)want);
	json_decref(j);
}

static void expect_ip_plan(struct qfx *x, const char *addr, const char *index)
{
	char buf[64], *plan = NULL;
	struct sw_query_param p[MAXP];
	struct sw_err err;
	size_t n;

	snprintf(buf, sizeof(buf), "ip=%s", addr);
	n = split_params(buf, p);
	assert_int_equal(sw_store_query_plan(x->st, SW_Q_FLOWS, p, n, NOW, &plan, &err), SW_OK);
	if (strstr(plan, index) == NULL)
		fail_msg("?ip=%s does not use %s:\n%s", addr, index, plan);
	free(plan);
}

/* An address found under every identity it had: as no endpoint's, and as
 * two workloads' in turn (a pod address used again), on either side; and
 * one of a workload with more flows than a search through its identity
 * should read (then the time index is walked). */
static void test_ip_filter_follows_identities(void **state)
{
	struct qfx *x = *state;
	char sip[32];

	put_ip_flow(x, 5001, "10.7.0.9", NULL, "10.1.0.1", "prod/db");
	put_ip_flow(x, 5002, "10.7.0.9", "dev/old", "10.1.0.1", "prod/db");
	put_ip_flow(x, 5003, "10.7.0.9", "dev/new", "10.1.0.2", NULL);
	put_ip_flow(x, 5004, "10.0.0.1", "prod/web", "10.7.0.9", "dev/new");
	put_ip_flow(x, 5005, "10.0.0.1", "prod/web", "10.7.0.10", "dev/new");
	expect_ip_flows(x, "10.7.0.9");
	assert_int_equal(raw_int(x->raw, "SELECT count(*) FROM ip_identities WHERE ip = '10.7.0.9'"),
	                 2);

	assert_int_equal(sw_store_begin_batch(x->st, NULL), SW_OK);
	for (int i = 0; i < BUSY_FLOWS; i++) {
		snprintf(sip, sizeof(sip), "10.8.%d.%d", i / 250, i % 250 + 1);
		put_ip_flow(x, (uint64_t)(6000 + i), sip, "prod/busy", "10.1.0.3", "dev/db");
	}
	assert_int_equal(sw_store_commit_batch(x->st, NULL), SW_OK);
	expect_ip_flows(x, "10.8.3.7");
	expect_ip_flows(x, "10.7.0.9");
	expect_ip_plan(x, "10.7.0.9", "flows_src");
	expect_ip_plan(x, "10.8.3.7", "flows_last");
}

/* ---- plans ---- */

/* No table is walked whole: every SCAN line names an index. */
static bool plan_uses_index(const char *plan, const char *table)
{
	const char *line = plan;
	size_t tl = strlen(table);

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		if (len > 5 + tl && strncmp(line, "SCAN ", 5) == 0 &&
		    strncmp(line + 5, table, tl) == 0 && line[5 + tl] != '_' &&
		    memmem(line, len, "INDEX", 5) == NULL)
			return false;
		line = nl ? nl + 1 : NULL;
	}
	return strstr(plan, "INDEX") != NULL || strstr(plan, "PRIMARY KEY") != NULL;
}

static const struct { enum sw_query_route r; const char *qs; const char *table;
	              const char *index; } plan_cases[] = {
	{ SW_Q_VIOLATIONS, "", "violations", "violations_last" },
	{ SW_Q_VIOLATIONS, "src=a", "violations", "violations_src" },
	{ SW_Q_VIOLATIONS, "dst=a", "violations", "violations_dst" },
	{ SW_Q_VIOLATIONS, "namespace=a", "violations", "violations_src_ns" },
	{ SW_Q_VIOLATIONS, "reason=denied_both", "violations", "violations_reason" },
	{ SW_Q_VIOLATIONS, "state=open", "violations", "violations_state" },
	{ SW_Q_VIOLATIONS, "proto=tcp", "violations", "violations_port" },
	{ SW_Q_VIOLATIONS, "port=80", "violations", "violations_port" },
	{ SW_Q_VIOLATIONS, "since=1h", "violations", "violations_last" },
	{ SW_Q_VIOLATIONS, "sort=first_seen", "violations", "violations_first" },
	{ SW_Q_VIOLATIONS, "sort=-first_seen", "violations", "violations_first" },
	{ SW_Q_VIOLATIONS, "sort=last_seen", "violations", "violations_last" },
	{ SW_Q_VIOLATIONS, "since=1h&until=1795608600000000000", "violations", "violations_last" },
	{ SW_Q_VIOLATIONS, "namespace=a", "violations", "violations_dst_ns" },
	{ SW_Q_VIOLATIONS, "src=a&sort=first_seen", "violations", "violations_src" },
	{ SW_Q_VIOLATIONS, "dst=a&sort=-flows", "violations", "violations_dst" },
	{ SW_Q_VIOLATIONS, "src=a&state=open&port=5", "violations", "violations_src" },
	{ SW_Q_FLOWS, "", "flows", "flows_last" },
	{ SW_Q_FLOWS, "src=a", "flows", "flows_src" },
	{ SW_Q_FLOWS, "dst=a", "flows", "flows_dst" },
	{ SW_Q_FLOWS, "namespace=a", "flows", "flows_src" },
	{ SW_Q_FLOWS, "verdict=denied", "flows", "flows_denied" },
	{ SW_Q_FLOWS, "reason=denied_egress", "flows", "flows_denied" },
	{ SW_Q_FLOWS, "port=53", "flows", "flows_port" },
	{ SW_Q_FLOWS, "violation=3", "flows", "flows_violation" },
	{ SW_Q_FLOWS, "ip=10.0.0.2", "flows", "flows_src" },
	{ SW_Q_FLOWS, "ip=10.0.0.2", "flows", "flows_dst" },
	/* a violation's sample flows */
	{ SW_Q_VIOLATION, "", "flows", "flows_violation" },
	{ SW_Q_ANOMALIES, "", "anomalies", "anomalies_time" },
	{ SW_Q_ANOMALIES, "kind=volume", "anomalies", "anomalies_kind" },
	{ SW_Q_ANOMALIES, "src=a", "anomalies", "anomalies_src" },
	{ SW_Q_ANOMALIES, "dst=a", "anomalies", "anomalies_dst" },
	{ SW_Q_ANOMALIES, "state=open", "anomalies", "anomalies_state" },
	{ SW_Q_BASELINE, "", "baseline_edges", "baseline_edges_last" },
	{ SW_Q_BASELINE, "dst=a", "baseline_edges", "baseline_edges_dst" },
};

static void test_plans_use_indexes(void **state)
{
	struct qfx *x = *state;

	for (size_t i = 0; i < SW_ARRAY_SIZE(plan_cases); i++) {
		char buf[256], *plan = NULL;
		struct sw_query_param p[MAXP];
		struct sw_err err;
		size_t n;
		snprintf(buf, sizeof(buf), "%s", plan_cases[i].qs);
		n = split_params(buf, p);
		if (sw_store_query_plan(x->st, plan_cases[i].r, p, n, NOW, &plan, &err) != SW_OK)
			fail_msg("plan %zu: %s", i, err.msg);
		if (!plan_uses_index(plan, plan_cases[i].table) ||
		    strstr(plan, plan_cases[i].index) == NULL)
			fail_msg("?%s does not use %s:\n%s", plan_cases[i].qs, plan_cases[i].index, plan);
		free(plan);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_shapes, qfx_setup, qfx_teardown),
		cmocka_unit_test_setup_teardown(test_time_and_proto_format, qfx_setup, qfx_teardown),
		cmocka_unit_test_setup_teardown(test_filters_narrow, qfx_setup, qfx_teardown),
		cmocka_unit_test_setup_teardown(test_pagination, qfx_setup, qfx_teardown),
		cmocka_unit_test_setup_teardown(test_default_order, qfx_setup, qfx_teardown),
		cmocka_unit_test_setup_teardown(test_bad_parameters, qfx_setup, qfx_teardown),
		cmocka_unit_test_setup_teardown(test_metacharacters_harmless, qfx_setup, qfx_teardown),
		cmocka_unit_test_setup_teardown(test_item_and_notfound, qfx_setup, qfx_teardown),
		cmocka_unit_test_setup_teardown(test_transitions, qfx_setup, qfx_teardown),
		cmocka_unit_test_setup_teardown(test_events_and_max_ids, qfx_setup, qfx_teardown),
		cmocka_unit_test_setup_teardown(test_edges_stats_health, qfx_setup, qfx_teardown),
		cmocka_unit_test_setup_teardown(test_runs_history, qfx_setup, qfx_teardown),
		cmocka_unit_test_setup_teardown(test_read_only_handle, qfx_setup, qfx_teardown),
		cmocka_unit_test_setup_teardown(test_plans_use_indexes, qfx_setup, qfx_teardown),
		cmocka_unit_test_setup_teardown(test_ip_filter_follows_identities, qfx_setup,
		                                qfx_teardown),
		cmocka_unit_test_setup_teardown(test_map_window_follows_old_data, qfx_setup,
		                                qfx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
