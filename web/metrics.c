/*
 * metrics.c - the web server's request counters (by route and status) and
 * the two plain routes built from them and the database: /metrics
 * (Prometheus text format 0.0.4, the names of the contract) and /healthz.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web_int.h"

static const unsigned codes[] = {200, 400, 401, 404, 405, 409, 413, 500, 503};
#define N_CODES (SW_ARRAY_SIZE(codes) + 1) /* + other */
#define MAX_ROUTES 32

static const char *const anomaly_kinds[4] = {"new_edge", "volume", "new_external", "fanout"};
static const enum sw_reason denied[3] = {SW_REASON_DENIED_INGRESS, SW_REASON_DENIED_EGRESS,
                                         SW_REASON_DENIED_BOTH};

struct web_metrics {
	uint64_t n[MAX_ROUTES + 1][N_CODES]; /* [route or MAX_ROUTES: other][code] */
	uint64_t cache_hits, cache_misses;
};

struct web_metrics *web_metrics_new(void)
{
	if (web_routes_count > MAX_ROUTES)
		return NULL;
	return calloc(1, sizeof(struct web_metrics));
}

void web_metrics_free(struct web_metrics *m)
{
	free(m);
}

static size_t code_index(unsigned status)
{
	for (size_t i = 0; i < SW_ARRAY_SIZE(codes); i++)
		if (codes[i] == status)
			return i;
	return N_CODES - 1;
}

void web_metrics_count(struct web_metrics *m, size_t route, unsigned status)
{
	size_t r = route < web_routes_count ? route : MAX_ROUTES;

	__atomic_fetch_add(&m->n[r][code_index(status)], 1, __ATOMIC_RELAXED);
}

void web_metrics_cache(struct web_metrics *m, bool hit)
{
	__atomic_fetch_add(hit ? &m->cache_hits : &m->cache_misses, 1, __ATOMIC_RELAXED);
}

void web_metrics_stats(const struct web_metrics *m, struct sw_web_stats *out)
{
	for (size_t r = 0; r <= MAX_ROUTES; r++) {
		for (size_t c = 0; c < N_CODES; c++) {
			uint64_t v = __atomic_load_n(&m->n[r][c], __ATOMIC_RELAXED);
			out->requests += v;
			if (c < SW_ARRAY_SIZE(codes) && codes[c] >= 400 && codes[c] < 500)
				out->errors_4xx += v;
			else if (c == N_CODES - 1 || codes[c] >= 500)
				out->errors_5xx += v;
		}
	}
	out->cache_hits = __atomic_load_n(&m->cache_hits, __ATOMIC_RELAXED);
	out->cache_misses = __atomic_load_n(&m->cache_misses, __ATOMIC_RELAXED);
}

/* ---- the text ---- */

struct text {
	char *buf;
	size_t len, cap;
	bool failed;
};

static void put(struct text *t, const char *fmt, ...) SW_PRINTF(2, 3);

static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		if (t->failed)
			return;
		va_start(ap, fmt);
		n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return;
		}
		char *nb = n < 0 ? NULL : realloc(t->buf, t->cap * 2 + (size_t)n);
		if (nb == NULL) {
			t->failed = true;
			return;
		}
		t->buf = nb;
		t->cap = t->cap * 2 + (size_t)n;
	}
}

static void head(struct text *t, const char *name, const char *type, const char *help)
{
	put(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void one(struct text *t, const char *name, const char *type, const char *help,
                uint64_t v)
{
	head(t, name, type, help);
	put(t, "%s %" PRIu64 "\n", name, v);
}

static uint64_t jnum(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v)
	                                                       : 0;
}

static void live_metrics(struct sw_web *w, struct text *t)
{
	struct sw_web_live l;

	memset(&l, 0, sizeof(l));
	w->live(w->live_ctx, &l);
	one(t, "segwatch_packets_total", "counter", "Packets decoded.", l.packets);
	one(t, "segwatch_frames_total", "counter", "Frames read from the sources.", l.frames);
	head(t, "segwatch_drops_total", "counter", "Frames that did not become packets.");
	for (int i = 1; i < SW_DROP_REASON_COUNT; i++)
		put(t, "segwatch_drops_total{reason=\"%s\"} %" PRIu64 "\n",
		    sw_drop_reason_name((enum sw_drop_reason)i), l.drops[i]);
	one(t, "segwatch_flows_active", "gauge", "Flows in the flow table.", l.flows_active);
	one(t, "segwatch_flows_ended_total", "counter", "Flows ended.", l.flows_ended);
	one(t, "segwatch_flows_judged_total", "counter", "Flows judged.", l.flows_judged);
	head(t, "segwatch_violation_flows_total", "counter", "Denied flows judged, by reason.");
	for (size_t i = 0; i < SW_ARRAY_SIZE(denied); i++)
		put(t, "segwatch_violation_flows_total{reason=\"%s\"} %" PRIu64 "\n",
		    sw_reason_name(denied[i]), l.denied_flows[denied[i]]);
	head(t, "segwatch_anomalies_total", "counter", "Anomalies detected, by kind.");
	for (size_t i = 0; i < 4; i++)
		put(t, "segwatch_anomalies_total{kind=\"%s\"} %" PRIu64 "\n", anomaly_kinds[i],
		    l.anomalies[i]);
	one(t, "segwatch_store_backlog", "gauge", "Records waiting for the store writer.",
	    l.store_backlog);
	one(t, "segwatch_store_failed_batches_total", "counter", "Store batches that failed.",
	    l.store_failed_batches);
}

/* Serve mode: gauges from the last run's row and the tables. */
static void db_metrics(struct text *t, json_t *s)
{
	json_t *kinds = json_object_get(s, "anomalies_by_kind");

	one(t, "segwatch_packets_total", "gauge", "Packets of the last run (from the database).",
	    jnum(s, "packets"));
	one(t, "segwatch_frames_total", "gauge", "Frames of the last run (from the database).",
	    json_object_get(s, "frames") ? jnum(s, "frames") : jnum(s, "packets"));
	head(t, "segwatch_drops_total", "gauge", "Drops of the last run (from the database).");
	put(t, "segwatch_drops_total{reason=\"all\"} %" PRIu64 "\n", jnum(s, "drops"));
	one(t, "segwatch_flows_judged_total", "gauge", "Flows of the last run (from the database).",
	    jnum(s, "flows"));
	head(t, "segwatch_anomalies_total", "gauge", "Anomaly rows in the database, by kind.");
	for (size_t i = 0; i < 4; i++)
		put(t, "segwatch_anomalies_total{kind=\"%s\"} %" PRIu64 "\n", anomaly_kinds[i],
		    jnum(kinds, anomaly_kinds[i]));
}

static void violation_rows(struct text *t, json_t *s)
{
	json_t *by = json_object_get(s, "violations_by_reason");

	head(t, "segwatch_violations", "gauge", "Violation rows in the database, by reason.");
	for (size_t i = 0; i < SW_ARRAY_SIZE(denied); i++)
		put(t, "segwatch_violations{reason=\"%s\"} %" PRIu64 "\n",
		    sw_reason_name(denied[i]), jnum(by, sw_reason_name(denied[i])));
}

static void http_metrics(struct sw_web *w, struct text *t)
{
	head(t, "segwatch_http_requests_total", "counter", "HTTP requests answered.");
	for (size_t r = 0; r <= MAX_ROUTES; r++) {
		if (r >= web_routes_count && r != MAX_ROUTES)
			continue;
		for (size_t c = 0; c < N_CODES; c++) {
			uint64_t v = __atomic_load_n(&w->metrics->n[r][c], __ATOMIC_RELAXED);
			char code[8];
			if (v == 0)
				continue;
			if (c < SW_ARRAY_SIZE(codes))
				snprintf(code, sizeof(code), "%u", codes[c]);
			else
				snprintf(code, sizeof(code), "other");
			put(t, "segwatch_http_requests_total{route=\"%s\",code=\"%s\"} %" PRIu64 "\n",
			    r < web_routes_count ? web_routes[r].label : "other", code, v);
		}
	}
}

/* The db-derived stats as a JSON object, or NULL. */
static json_t *db_stats(struct sw_web *w)
{
	struct web_reader *r;
	struct sw_err err;
	char *json = NULL;
	size_t len = 0;
	json_t *o = NULL;

	r = web_reader_get(w);
	if (sw_store_query(r->st, SW_Q_STATS_DB, 0, NULL, 0, web_now_ns(), &json, &len, &err) ==
	    SW_OK)
		o = json_loadb(json, len, 0, NULL);
	web_reader_put(r);
	free(json);
	return o;
}

char *web_metrics_text(struct sw_web *w, size_t *len)
{
	struct text t = {malloc(8192), 0, 8192, false};
	json_t *s = db_stats(w);

	if (t.buf == NULL) {
		json_decref(s);
		return NULL;
	}
	one(&t, "segwatch_up", "gauge", "1 while segwatch serves.", 1);
	one(&t, "segwatch_db_up", "gauge", "1 when the database could be read.", s != NULL);
	if (w->live != NULL)
		live_metrics(w, &t);
	else if (s != NULL)
		db_metrics(&t, s);
	if (s != NULL)
		violation_rows(&t, s);
	http_metrics(w, &t);
	json_decref(s);
	if (t.failed) {
		free(t.buf);
		return NULL;
	}
	*len = t.len;
	return t.buf;
}

char *web_healthz(struct sw_web *w, unsigned *status, size_t *len)
{
	struct web_reader *r;
	struct sw_err err;
	char *json = NULL;
	enum sw_status st;
	json_t *o;

	sw_err_clear(&err);
	r = web_reader_get(w);
	st = sw_store_query(r->st, SW_Q_HEALTH, 0, NULL, 0, web_now_ns(), &json, len, &err);
	web_reader_put(r);
	if (st == SW_OK) {
		*status = 200;
		return json;
	}
	free(json);
	*status = 503;
	o = json_pack("{s:s, s:s}", "status", "unavailable", "db",
	              err.msg);
	json = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	*len = json ? strlen(json) : 0;
	return json;
}
