/*
 * api.c - the JSON routes of the web API: the query parameters (decoded by
 * libmicrohttpd, checked raw in routes.c) go to sw_store_query on a reader
 * handle, through the response cache; /api/v1/stats gets the live fields;
 * triage POSTs go to the writable handle.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web_int.h"

#define WHO_MAX 256
#define TRIAGE_BODY_MAX 4096

struct params {
	struct sw_query_param p[WEB_MAX_PARAMS];
	size_t n;
};

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
	struct params *ps = cls;

	(void)kind;
	if (ps->n == WEB_MAX_PARAMS)
		return MHD_NO;
	ps->p[ps->n].name = key;
	ps->p[ps->n].value = value ? value : "";
	ps->n++;
	return MHD_YES;
}

static int by_name(const void *a, const void *b)
{
	const struct sw_query_param *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* "route id name=value\1name=value..." with the names sorted (malloc'd). */
static char *cache_key(const struct web_route *rt, int64_t id, struct params *ps,
                       size_t *len)
{
	size_t cap = 48;
	char *key;
	size_t o;

	qsort(ps->p, ps->n, sizeof(ps->p[0]), by_name);
	for (size_t i = 0; i < ps->n; i++)
		cap += strlen(ps->p[i].name) + strlen(ps->p[i].value) + 2;
	key = malloc(cap);
	if (key == NULL)
		return NULL;
	o = (size_t)snprintf(key, cap, "%d %lld ", (int)rt->query, (long long)id);
	for (size_t i = 0; i < ps->n; i++)
		o += (size_t)snprintf(key + o, cap - o, "%s=%s\1", ps->p[i].name, ps->p[i].value);
	*len = o;
	return key;
}

static enum MHD_Result query_error(struct sw_web *w, struct MHD_Connection *c,
                                   struct web_req *q, const struct web_route *rt,
                                   enum sw_status st, const struct sw_err *err)
{
	unsigned status = web_status_of(st);

	if (status == 400 && err->file[0] != '\0')
		return web_send_param_error(w, c, q, !sw_store_query_param_known(rt->query, err->file),
		                            err->file, err->msg);
	if (status == 404)
		return web_send_error(w, c, q, 404, NULL, "%s", err->msg);
	if (status == 503)
		return web_send_error(w, c, q, 503, NULL, "the database is unavailable: %s",
		                      err->msg);
	web_log(w, "%s: %s", rt->label, err->msg);
	return web_send_error(w, c, q, status == 400 ? 400 : 500, NULL, "%s", err->msg);
}

/* ---- /api/v1/stats: the live fields ---- */

static void set_u64(json_t *o, const char *k, uint64_t v)
{
	json_object_set_new(o, k, json_integer((json_int_t)v));
}

static void stats_live(struct sw_web *w, json_t *o)
{
	struct sw_web_live l;
	json_t *drops = json_object(), *store = json_object();
	uint64_t total = 0;

	memset(&l, 0, sizeof(l));
	w->live(w->live_ctx, &l);
	for (int i = 1; i < SW_DROP_REASON_COUNT; i++) {
		total += l.drops[i];
		if (l.drops[i] != 0)
			set_u64(drops, sw_drop_reason_name((enum sw_drop_reason)i), l.drops[i]);
	}
	json_object_set_new(o, "live", json_true());
	set_u64(o, "packets", l.packets);
	set_u64(o, "frames", l.frames);
	set_u64(o, "drops", total);
	json_object_set_new(o, "drops_by_reason", drops);
	set_u64(o, "active_flows", l.flows_active);
	set_u64(o, "flows_ended", l.flows_ended);
	set_u64(o, "flows_judged", l.flows_judged);
	set_u64(store, "backlog", l.store_backlog);
	set_u64(store, "failed_batches", l.store_failed_batches);
	set_u64(store, "dropped_records", l.store_dropped);
	json_object_set_new(o, "store", store);
	web_live_rates(w, &l, o);
}

/* Serve mode: the keys the contract lists, from what the database has. */
static void stats_db(json_t *o)
{
	json_t *v;

	json_object_set_new(o, "live", json_false());
	if (json_object_get(o, "frames") == NULL)
		json_object_set(o, "frames", (v = json_object_get(o, "packets")) ? v
		                                                                  : json_integer(0));
	if (json_object_get(o, "drops_by_reason") == NULL)
		json_object_set_new(o, "drops_by_reason", json_object());
	if (json_object_get(o, "active_flows") == NULL)
		json_object_set_new(o, "active_flows", json_integer(0));
	if (json_object_get(o, "flows_ended") == NULL)
		json_object_set(o, "flows_ended", (v = json_object_get(o, "flows_stored"))
		                                           ? v : json_integer(0));
	if (json_object_get(o, "flows_judged") == NULL)
		json_object_set(o, "flows_judged", (v = json_object_get(o, "flows")) ? v
		                                                                      : json_integer(0));
	if (json_object_get(o, "store") == NULL)
		json_object_set_new(o, "store", json_pack("{s:i, s:i, s:i}", "backlog", 0,
		                                          "failed_batches", 0, "dropped_records", 0));
	json_object_set_new(o, "rates", json_pack("{s:f, s:f, s:f}", "packets_per_s", 0.0,
	                                          "flows_per_s", 0.0, "violations_per_s", 0.0));
}

/* Adds the live (or serve-mode) fields to the db-derived stats; takes
 * *json and replaces it. */
static enum sw_status stats_merge(struct sw_web *w, char **json, size_t *len)
{
	json_t *o = json_loadb(*json, *len, 0, NULL);
	char *out;

	if (!json_is_object(o)) {
		json_decref(o);
		return SW_ERR_PARSE;
	}
	if (w->live != NULL)
		stats_live(w, o);
	else
		stats_db(o);
	out = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (out == NULL)
		return SW_ERR_NOMEM;
	free(*json);
	*json = out;
	*len = strlen(out);
	return SW_OK;
}

/* ---- GET ---- */

/* Answers from the reader r (locked by the caller); cacheable answers are
 * kept in r's cache. */
static enum MHD_Result answer(struct sw_web *w, struct MHD_Connection *c, struct web_req *q,
                              const struct web_route *rt, int64_t id, struct params *ps,
                              struct web_reader *r, const char *key, size_t key_len)
{
	bool cacheable = key != NULL && rt->query != SW_Q_STATS_DB;
	uint64_t now = web_now_ns();
	struct MHD_Response *resp;
	enum MHD_Result ret;
	struct sw_err err;
	char *json = NULL;
	size_t len = 0;
	enum sw_status st;

	resp = cacheable ? web_cache_get(r->cache, r->st, key, key_len, now) : NULL;
	if (resp != NULL) {
		web_metrics_cache(w->metrics, true);
		return web_queue(w, c, q, 200, resp);
	}
	web_metrics_cache(w->metrics, false);
	sw_err_clear(&err);
	st = sw_store_query(r->st, rt->query, id, ps->p, ps->n, now, &json, &len, &err);
	if (st == SW_OK && rt->query == SW_Q_STATS_DB)
		st = stats_merge(w, &json, &len);
	if (st != SW_OK) {
		free(json);
		return query_error(w, c, q, rt, st, &err);
	}
	resp = MHD_create_response_from_buffer(len, json, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(json);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	web_headers(resp, true);
	ret = web_queue(w, c, q, 200, resp);
	if (cacheable && len <= WEB_CACHE_MAX_BODY)
		web_cache_put(r->cache, key, key_len, resp, now);
	else
		MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result get(struct sw_web *w, struct MHD_Connection *c, struct web_req *q,
                           const struct web_route *rt, int64_t id)
{
	struct params ps;
	struct web_reader *r;
	enum MHD_Result ret;
	size_t key_len = 0;
	char *key;

	ps.n = 0;
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect, &ps);
	key = cache_key(rt, id, &ps, &key_len);
	r = web_reader_get(w);
	ret = answer(w, c, q, rt, id, &ps, r, key, key_len);
	web_reader_put(r);
	free(key);
	return ret;
}

/* ---- POST: triage ---- */

/* The optional body {"by": "alice", "comment": "..."}: *who (into buf) or
 * NULL; otherwise queues the error and returns false. */
static bool triage_body(struct sw_web *w, struct MHD_Connection *c, struct web_req *q,
                        char who[WHO_MAX + 1], bool *has_who, enum MHD_Result *ret)
{
	json_error_t je;
	const char *k;
	json_t *o, *v;
	size_t i = 0;

	*has_who = false;
	while (i < q->body_len && strchr(" \t\r\n", q->body[i]) != NULL)
		i++;
	if (i == q->body_len)
		return true;
	if (q->body_len > TRIAGE_BODY_MAX) {
		*ret = web_send_error(w, c, q, 413, NULL, "the body exceeds %d bytes",
		                      TRIAGE_BODY_MAX);
		return false;
	}
	o = json_loadb(q->body, q->body_len, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(o)) {
		json_decref(o);
		*ret = web_send_error(w, c, q, 400, "body", "body: expected a JSON object "
		                      "{\"by\": NAME, \"comment\": TEXT}");
		return false;
	}
	json_object_foreach(o, k, v) {
		const char *s = json_string_value(v);
		if (strcmp(k, "by") != 0 && strcmp(k, "comment") != 0) {
			char msg[SW_ERR_MSG_MAX];
			snprintf(msg, sizeof(msg), "%.64s: unknown field: expected by or comment", k);
			*ret = web_send_param_error(w, c, q, true, k, msg);
			json_decref(o);
			return false;
		}
		if (s == NULL || (strcmp(k, "by") == 0 && (strlen(s) == 0 || strlen(s) > WHO_MAX))) {
			*ret = web_send_error(w, c, q, 400, k, "%s: expected a string%s", k,
			                      strcmp(k, "by") == 0 ? " of 1 to 256 bytes" : "");
			json_decref(o);
			return false;
		}
		if (strcmp(k, "by") == 0) {
			snprintf(who, WHO_MAX + 1, "%s", s);
			*has_who = true;
		}
	}
	json_decref(o);
	return true;
}

static enum MHD_Result transition_error(struct sw_web *w, struct MHD_Connection *c,
                                        struct web_req *q, enum sw_status st,
                                        const struct sw_err *err)
{
	switch (st) {
	case SW_ERR_NOTFOUND: return web_send_error(w, c, q, 404, NULL, "%s", err->msg);
	case SW_ERR_INVALID:
	case SW_ERR_UNSUPPORTED: return web_send_error(w, c, q, 409, NULL, "%s", err->msg);
	case SW_ERR_BUSY:
	case SW_ERR_IO:
		return web_send_error(w, c, q, 503, NULL, "the database is unavailable: %s",
		                      err->msg);
	default:
		web_log(w, "triage: %s", err->msg);
		return web_send_error(w, c, q, 500, NULL, "%s", err->msg);
	}
}

static enum MHD_Result post(struct sw_web *w, struct MHD_Connection *c, struct web_req *q,
                            const struct web_route *rt, int64_t id)
{
	char who[WHO_MAX + 1];
	enum MHD_Result ret = MHD_NO;
	struct sw_err err;
	char *json = NULL;
	size_t len = 0;
	enum sw_status st;
	bool has_who;

	if (!triage_body(w, c, q, who, &has_who, &ret))
		return ret;
	if (w->writer == NULL)
		return web_send_error(w, c, q, 503, NULL,
		                      "the database cannot be written by this server");
	sw_err_clear(&err);
	pthread_mutex_lock(&w->write_mu);
	web_writer_refresh(w);
	st = sw_store_query_transition(w->writer, rt->resource, id, rt->action,
	                               has_who ? who : NULL, web_now_ns(), &json, &len, &err);
	pthread_mutex_unlock(&w->write_mu);
	if (st != SW_OK) {
		free(json);
		return transition_error(w, c, q, st, &err);
	}
	return web_send(w, c, q, 200, "application/json", json, len);
}

enum MHD_Result web_api(struct sw_web *w, struct MHD_Connection *c, struct web_req *q,
                        const struct web_route *rt, int64_t id)
{
	if (rt->kind == WK_ACTION)
		return post(w, c, q, rt, id);
	return get(w, c, q, rt, id);
}
