/*
 * fuzz_http.c - libFuzzer target for the web API's request-target parsing:
 * the route table and its strict path checks (web_route_find,
 * web_path_encoding_ok), the raw query-string check (web_query_check), and
 * the query parameters of every GET route as sw_store_query validates and
 * binds them, against a small database built once per process in a
 * mkdtemp directory.
 *
 * Input: byte 0 picks the method (low 3 bits), the rest is the raw request
 * target "PATH[?QUERY]" as libmicrohttpd hands it over (a NUL ends it).
 *
 * Invariants (a broken one aborts):
 * - web_path_encoding_ok agrees with an independent percent-decoder;
 * - a routed path round-trips: the route's pattern with its {id} (or the
 *   asset name) put back gives the path byte for byte; the answer is SW_OK
 *   exactly when the method fits the route, and Allow fits the route;
 * - the query check agrees with an independent reference: malformed or
 *   NUL-decoding percent escapes, an empty name, a repeated name or more
 *   than WEB_MAX_PARAMS parameters fail, naming the parameter; else it
 *   passes with the right count;
 * - a GET route's query answers SW_OK with a JSON object (lists: an
 *   "items" array, a "limit"; a next_cursor given back is accepted),
 *   SW_ERR_INVALID naming one of the given parameters, or NOTFOUND for
 *   an item; never BUSY/IO/PARSE; and the tables are unchanged.
 *
 * The database is process state of the harness (libFuzzer runs every
 * input in one process); it is removed at exit.
 */
#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "segwatch/addr.h"
#include "segwatch/proto.h"
#include "segwatch/store.h"
#include "segwatch/store_baseline.h"
#include "segwatch/store_query.h"
#include "../../web/web_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Longest target handed over: libmicrohttpd's connection memory (32 KiB)
 * bounds the real one. */
#define FUZZ_TARGET_MAX 8192
#define T0 1795608000000000000ull
#define SEC 1000000000ull
#define NVIOL 12

#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",   \
			        __FILE__, __LINE__, #cond);                \
			abort();                                           \
		}                                                          \
	} while (0)

static const char *const methods[8] = {
	"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "get", "",
};

/* ---- the database (once per process) ---- */

struct fixture {
	char dir[64], db[96];
	struct sw_store *st;   /* read-only: what the web server's readers use */
	sqlite3 *raw;
	int64_t rows;          /* rows in every table, summed */
};

static struct fixture fx;

static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };

static void fixture_remove(void)
{
	char p[128];

	sqlite3_close(fx.raw);
	sw_store_close(fx.st);
	for (size_t i = 0; i < SW_ARRAY_SIZE(suffixes); i++) {
		snprintf(p, sizeof(p), "%s%s", fx.db, suffixes[i]);
		unlink(p);
	}
	rmdir(fx.dir);
}

static void raw_exec(const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(fx.raw, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "fixture: %s: %s\n", sql, msg);
		abort();
	}
}

static int64_t total_rows(void)
{
	static const char sql[] =
		"SELECT (SELECT count(*) FROM violations) + (SELECT count(*) FROM flows)"
		" + (SELECT count(*) FROM anomalies) + (SELECT count(*) FROM endpoints)"
		" + (SELECT count(*) FROM policies) + (SELECT count(*) FROM baseline_edges)"
		" + (SELECT count(*) FROM runs)";
	sqlite3_stmt *s;
	int64_t n;

	CHECK(sqlite3_prepare_v2(fx.raw, sql, -1, &s, NULL) == SQLITE_OK);
	CHECK(sqlite3_step(s) == SQLITE_ROW);
	n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

static void put_rows(struct sw_store *w)
{
	static const char *const srcs[] = { "prod/web", "prod/api", "dev/web" };
	static const char *const dsts[] = { "prod/db", "dev/db" };
	static const enum sw_anomaly_kind kinds[] = { SW_ANOMALY_NEW_EDGE, SW_ANOMALY_VOLUME,
		                                      SW_ANOMALY_NEW_EXTERNAL, SW_ANOMALY_FANOUT };
	char sip[32], dip[32];
	struct sw_err err;
	int64_t vid[NVIOL];

	for (int i = 0; i < NVIOL; i++) {
		struct sw_violation v;
		memset(&v, 0, sizeof(v));
		snprintf(sip, sizeof(sip), "10.0.0.%d", 1 + i % 3);
		snprintf(dip, sizeof(dip), "10.1.0.%d", 1 + i);
		v.src_id = srcs[i % 3];
		v.dst_id = i % 5 == 0 ? NULL : dsts[i % 2];
		v.dst_ep = v.dst_id ? 0 : -1;
		CHECK(sw_addr_parse(sip, &v.src_addr) == SW_OK);
		CHECK(sw_addr_parse(dip, &v.dst_addr) == SW_OK);
		v.proto = i % 4 == 0 ? SW_PROTO_UDP : SW_PROTO_TCP;
		v.port = (uint16_t)(5432 + i);
		v.reason = (enum sw_reason)(SW_REASON_DENIED_INGRESS + i % 3);
		v.first_ns = T0 + (uint64_t)i * 60 * SEC;
		v.last_ns = T0 + (uint64_t)(i / 2) * 90 * SEC;
		v.flows = (uint64_t)(i % 4 + 1);
		v.summary = "ingress of prod/db: no rule admits it";
		CHECK(sw_store_upsert_violation(w, &v, &vid[i], &err) == SW_OK);
		if (i % 3 == 0)
			CHECK(sw_store_set_violation_state(w, vid[i], SW_TRIAGE_ACKNOWLEDGED, "alice",
			                                   T0, &err) == SW_OK);

		struct sw_flow f;
		struct sw_store_flow sf;
		memset(&f, 0, sizeof(f));
		f.id = (uint64_t)(1000 + i);
		f.src = v.src_addr;
		f.dst = v.dst_addr;
		f.sport = 40000;
		f.dport = v.port;
		f.proto = v.proto;
		f.first_ns = v.first_ns;
		f.last_ns = v.last_ns;
		f.dir[0].pkts = 3;
		f.dir[0].bytes = 180;
		memset(&sf, 0, sizeof(sf));
		sf.flow = &f;
		sf.end = SW_END_IDLE;
		sf.src_id = v.src_id;
		sf.dst_id = v.dst_id;
		sf.reason = v.reason;
		sf.violation_id = vid[i];
		CHECK(sw_store_put_flow(w, &sf, &err) == SW_OK);

		struct sw_anomaly a;
		memset(&a, 0, sizeof(a));
		a.kind = kinds[i % 4];
		a.detected_ns = T0 + (uint64_t)i * 10 * SEC;
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
		CHECK(sw_store_insert_anomaly(w, &a, NULL, &err) == SW_OK);
	}
}

static void put_inventory(void)
{
	raw_exec("INSERT INTO namespaces (name, labels, loaded_ns) VALUES"
	         " ('prod', '{}', 1), ('dev', '{}', 1);"
	         "INSERT INTO endpoints (id, ns, name, kind, labels, addresses, ports, file, line,"
	         " loaded_ns) VALUES"
	         " ('prod/web', 'prod', 'web', 'pod', '{\"app\":\"web\"}', '[\"10.0.0.1/32\"]',"
	         "  '[]', 'inv.yaml', 3, 1),"
	         " ('prod/db', 'prod', 'db', 'pod', '{\"app\":\"db\"}', '[\"10.1.0.0/24\"]',"
	         "  '[{\"name\":\"pg\",\"proto\":\"tcp\",\"port\":5432}]', NULL, NULL, 1),"
	         " ('dev/db', 'dev', 'db', 'vm', '{\"app\":\"db\"}', '[]', '[]', NULL, NULL, 1);"
	         "INSERT INTO policies (id, ns, name, origin, file, line, content_hash, loaded_ns,"
	         " changed_ns) VALUES (1, 'prod', 'deny-all', 'k8s', 'p.yaml', 1, 'h1', 1, 1),"
	         " (2, 'dev', 'deny-all', 'compose', NULL, NULL, 'h2', 1, 1);"
	         "INSERT INTO baseline_edges (src, dst, proto, port, src_ns, dst_ns, first_seen_ns,"
	         " last_seen_ns, flows, bytes, intervals, bytes_mean, bytes_m2) VALUES"
	         " ('prod/web', 'prod/db', 6, 5432, 'prod', 'prod', 1795608000000000000,"
	         "  1795608100000000000, 10, 1000, 4, 250.0, 300.0);"
	         "UPDATE violations SET explanation = '{\"ingress\":{\"policies\":"
	         "[{\"namespace\":\"prod\",\"name\":\"deny-all\"}]},\"egress\":"
	         "{\"policies\":[]}}' WHERE id IN (2, 7)");
}

static void fixture_open(void)
{
	struct sw_store_config ro = { .cache_mib = 4, .read_only = true };
	struct sw_store *w;
	struct sw_err err;

	snprintf(fx.dir, sizeof(fx.dir), "/tmp/segwatch-fuzz-http-XXXXXX");
	CHECK(mkdtemp(fx.dir) != NULL);
	snprintf(fx.db, sizeof(fx.db), "%s/segwatch.db", fx.dir);
	w = sw_store_open(fx.db, NULL, &err);
	if (w == NULL) {
		fprintf(stderr, "fixture: %s\n", err.msg);
		abort();
	}
	CHECK(sw_store_run_begin(w, T0, "pcap:eth0", NULL, &err) == SW_OK);
	put_rows(w);
	sw_store_close(w);
	CHECK(sqlite3_open(fx.db, &fx.raw) == SQLITE_OK);
	put_inventory();
	fx.st = sw_store_open(fx.db, &ro, &err);
	CHECK(fx.st != NULL);
	fx.rows = total_rows();
	atexit(fixture_remove);
}

/* ---- the path ---- */

/* The route's pattern with id / the asset name put back, compared with
 * the path. */
static void check_route(const char *path, size_t len, const char *method, size_t route,
                        int64_t id, const char *allow, enum sw_status st)
{
	const struct web_route *rt = &web_routes[route];
	const char *brace = strchr(rt->pattern, '{');
	char buf[FUZZ_TARGET_MAX + 64];
	bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;

	CHECK(route < web_routes_count);
	CHECK(strcmp(allow, rt->post ? "POST" : "GET, HEAD") == 0);
	CHECK((st == SW_OK) == (rt->post ? strcmp(method, "POST") == 0 : get));
	CHECK(memchr(path, '%', len) == NULL && memchr(path, '?', len) == NULL);
	if (brace == NULL) {
		CHECK(id == 0 && strlen(rt->pattern) == len && memcmp(rt->pattern, path, len) == 0);
	} else if (strncmp(brace, "{id}", 4) == 0) {
		CHECK(id >= 1);
		snprintf(buf, sizeof(buf), "%.*s%lld%s", (int)(brace - rt->pattern), rt->pattern,
		         (long long)id, brace + 4);
		CHECK(strlen(buf) == len && memcmp(buf, path, len) == 0);
	} else {
		/* /assets/{name}: the name is one safe segment, never hidden */
		size_t pre = (size_t)(brace - rt->pattern);
		CHECK(len > pre && memcmp(path, rt->pattern, pre) == 0);
		CHECK(path[pre] != '.' && memchr(path + pre, '/', len - pre) == NULL);
	}
}

/* ---- the query string: an independent reference ---- */

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = (char)(ch | 0x20);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* Percent-decodes s[0..n) ('+' a space) into out (n + 1 bytes); false on a
 * malformed escape or an escaped NUL. */
static bool ref_decode(const char *s, size_t n, char *out)
{
	size_t o = 0;
	bool good = true;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
			int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
			if (hi < 0 || lo < 0 || (hi | lo) == 0) {
				good = false;
				out[o++] = s[i];
				continue;
			}
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			out[o++] = s[i] == '+' ? ' ' : s[i];
		}
	}
	out[o] = '\0';
	return good;
}

struct qparams {
	struct sw_query_param p[WEB_MAX_PARAMS];
	char *names[WEB_MAX_PARAMS], *values[WEB_MAX_PARAMS];
	size_t n;
	bool bad;     /* the reference says the query must be refused */
};

static void qparams_free(struct qparams *q)
{
	for (size_t i = 0; i < q->n; i++) {
		free(q->names[i]);
		free(q->values[i]);
	}
}

/* Splits and decodes the query like libmicrohttpd and the reference rules
 * of web_query_check. */
static void ref_query(const char *query, struct qparams *q)
{
	const char *p = query;

	memset(q, 0, sizeof(*q));
	while (p != NULL && *p != '\0') {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		size_t nl = eq ? (size_t)(eq - p) : len;
		char *name = malloc(nl + 1), *value = malloc(len + 1);
		bool good;

		CHECK(name != NULL && value != NULL);
		good = ref_decode(p, nl, name);
		if (eq != NULL)
			good = ref_decode(eq + 1, len - nl - 1, value) && good;
		else
			value[0] = '\0';
		if (!good || name[0] == '\0' || q->n == WEB_MAX_PARAMS)
			q->bad = true;
		for (size_t i = 0; i < q->n; i++)
			if (strcmp(q->names[i], name) == 0)
				q->bad = true;
		if (q->bad) {
			free(name);
			free(value);
			return;
		}
		q->names[q->n] = name;
		q->values[q->n] = value;
		q->p[q->n].name = name;
		q->p[q->n].value = value;
		q->n++;
		p = amp ? amp + 1 : NULL;
	}
}

static void check_query(const char *query, struct qparams *ref)
{
	struct sw_err err;
	char *param = NULL;
	size_t n = 0;
	enum sw_status st;

	sw_err_clear(&err);
	st = web_query_check(query, &n, &param, &err);
	ref_query(query, ref);
	if (st == SW_OK) {
		CHECK(param == NULL);
		CHECK(!ref->bad && n == ref->n);
		return;
	}
	CHECK(st == SW_ERR_INVALID && err.status == SW_ERR_INVALID);
	CHECK(ref->bad);
	CHECK(param != NULL);
	/* the message starts with the name (as far as it fits) */
	size_t pl = strlen(param);
	CHECK(strncmp(err.msg, param, pl < 64 ? pl : 64) == 0);
	free(param);
}

/* ---- the store's parameters ---- */

/* Whether name is one of the parameters given; a name too long for
 * err->file (SW_ERR_FILE_MAX) is named by its truncated prefix. */
static bool names_given(const struct qparams *q, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < q->n; i++) {
		if (strcmp(q->p[i].name, name) == 0)
			return true;
		if (n == SW_ERR_FILE_MAX - 1 && strncmp(q->p[i].name, name, n) == 0)
			return true;
	}
	return false;
}

static void check_answer(const struct web_route *rt, const char *json, size_t len,
                         struct qparams *q, uint64_t now);

static void check_store(const struct web_route *rt, int64_t id, struct qparams *q,
                        uint64_t now)
{
	struct sw_err err;
	char *json = NULL;
	size_t len = 0;
	enum sw_status st;

	sw_err_clear(&err);
	st = sw_store_query(fx.st, rt->query, id, q->p, q->n, now, &json, &len, &err);
	if (st == SW_OK) {
		CHECK(json != NULL && strlen(json) == len);
		check_answer(rt, json, len, q, now);
	} else if (st == SW_ERR_INVALID) {
		CHECK(err.file[0] != '\0' && names_given(q, err.file));
	} else {
		CHECK(st == SW_ERR_NOTFOUND && rt->query == SW_Q_VIOLATION);
	}
	free(json);
	CHECK(total_rows() == fx.rows);
}

static void check_answer(const struct web_route *rt, const char *json, size_t len,
                         struct qparams *q, uint64_t now)
{
	json_error_t je;
	json_t *o = json_loadb(json, len, 0, &je);
	json_t *cur;

	CHECK(json_is_object(o));
	if (rt->kind == WK_LIST && rt->query != SW_Q_STATS_DB && rt->query != SW_Q_EDGES) {
		CHECK(json_is_array(json_object_get(o, "items")));
		CHECK(json_is_integer(json_object_get(o, "limit")));
		cur = json_object_get(o, "next_cursor");
		CHECK(cur != NULL && (json_is_null(cur) || json_is_string(cur)));
		/* a cursor the route gave must be taken back, once */
		if (json_is_string(cur) && !names_given(q, "cursor") && q->n < WEB_MAX_PARAMS) {
			struct sw_err err;
			char *next = NULL;
			size_t nlen = 0;
			q->p[q->n].name = "cursor";
			q->p[q->n].value = json_string_value(cur);
			sw_err_clear(&err);
			CHECK(sw_store_query(fx.st, rt->query, 0, q->p, q->n + 1, now, &next, &nlen,
			                     &err) == SW_OK);
			free(next);
		}
	}
	if (rt->query == SW_Q_EDGES)
		CHECK(json_is_array(json_object_get(o, "edges")));
	json_decref(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *method;
	char *uri;
	size_t path_len, route;
	const char *allow, *query;
	int64_t id;
	enum sw_status st;
	struct qparams q;

	if (size == 0)
		return 0;
	if (fx.st == NULL)
		fixture_open();
	method = methods[data[0] & 7];
	if (size - 1 > FUZZ_TARGET_MAX)
		size = FUZZ_TARGET_MAX + 1;
	uri = malloc(size);
	CHECK(uri != NULL);
	memcpy(uri, data + 1, size - 1);
	uri[size - 1] = '\0';

	path_len = strcspn(uri, "?");
	query = uri[path_len] == '?' ? uri + path_len + 1 : NULL;
	/* the path's percent-encoding check agrees with the reference; a
	 * routed path (no '%' at all) always passes it */
	char *scratch = malloc(path_len + 1);
	CHECK(scratch != NULL);
	bool path_ok = web_path_encoding_ok(uri, path_len);
	CHECK(path_ok == ref_decode(uri, path_len, scratch));
	free(scratch);
	st = web_route_find(uri, path_len, method, &route, &id, &allow);
	CHECK(st == SW_ERR_NOTFOUND || path_ok);
	if (st == SW_ERR_NOTFOUND)
		CHECK(route == WEB_ROUTE_NONE);
	else
		check_route(uri, path_len, method, route, id, allow, st);

	check_query(query, &q);
	if (st == SW_OK && !q.bad && (web_routes[route].kind == WK_LIST ||
	                              web_routes[route].kind == WK_ITEM))
		check_store(&web_routes[route], id, &q, T0 + 3600 * SEC);
	qparams_free(&q);
	free(uri);
	return 0;
}
