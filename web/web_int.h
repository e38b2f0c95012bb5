/*
 * web_int.h - what the web server's files share: the server handle, the
 * per-request state, the route table, and the small interfaces of the
 * response cache, metrics counters, event stream and assets.
 *
 * server.c  libmicrohttpd glue: open/run/stop, the request handler
 * listen.c  the listen address and socket
 * routes.c  the route table, strict path and query-string checks
 * api.c     the JSON routes: store_query calls, cache, POST writes
 * reply.c   responses: security headers, JSON errors
 * auth.c    the bearer token, compared in constant time
 * cache.c   the GET response cache of one reader handle
 * metrics.c request counters and the Prometheus text, /healthz
 * sse.c     /api/v1/stream: Server-Sent Events with suspend/resume
 * assets.c  the embedded dashboard
 */
#ifndef SEGWATCH_WEB_INT_H
#define SEGWATCH_WEB_INT_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "segwatch/store.h"
#include "segwatch/web.h"

#include "segwatch/store_query.h"


/* ---- routes ---- */

enum web_kind {
	WK_HEALTHZ, WK_METRICS, WK_LIST, WK_ITEM, WK_ACTION, WK_STREAM, WK_ASSET,
};

struct web_route {
	const char *pattern;      /* "/api/v1/violations/{id}/ack": {id} a segment */
	enum web_kind kind;
	bool post;                /* POST (else GET and HEAD) */
	enum sw_query_route query; /* WK_LIST, WK_ITEM: store_query's route */
	const char *resource;     /* WK_ACTION: "violations" or "anomalies" */
	const char *action;       /* WK_ACTION: "ack", "resolve", ... */
	const char *label;        /* metrics label: the path template */
};

/* The table, and the index of the label "other" (404s, assets). */
extern const struct web_route web_routes[];
extern const size_t web_routes_count;
#define WEB_ROUTE_NONE ((size_t)-1)

/* Finds the route of a raw (undecoded) path. Returns SW_OK with *route;
 * SW_ERR_NOTFOUND for an unknown path; SW_ERR_INVALID when the path exists
 * but not for method (then *allow gets "GET, HEAD" or "POST"). *id gets
 * the {id} segment's value (0 without one). */
enum sw_status web_route_find(const char *path, size_t path_len, const char *method,
                              size_t *route, int64_t *id, const char **allow);

/* Whether every '%' of the raw path is followed by two hex digits and
 * does not encode NUL (a malformed target answers 400, not 404). */
bool web_path_encoding_ok(const char *path, size_t len);

/* Checks a raw query string (after '?', may be NULL): every name and value
 * well-formed percent-encoding, no name twice, at most WEB_MAX_PARAMS.
 * On failure fills err (SW_ERR_INVALID, message "NAME: ...") and *param
 * (the offending name, decoded as far as possible; caller frees). */
#define WEB_MAX_PARAMS 32
enum sw_status web_query_check(const char *query, size_t *n_params, char **param,
                               struct sw_err *err);

/* ---- the server ---- */

struct web_cache;
struct web_metrics;
struct web_sse;

/* One read-only store handle with its response cache. */
struct web_reader {
	pthread_mutex_t mu;
	struct sw_store *st;
	struct web_cache *cache;
};

struct sw_web {
	/* the config, with owned copies of its strings */
	char *db_path, *listen, *token;
	size_t token_len;
	sw_web_live_fn live;
	void *live_ctx;
	unsigned max_connections, timeout_s, threads;
	size_t max_body;
	sw_warn_fn log;
	void *log_ctx;

	int listen_fd;            /* -1 once handed to libmicrohttpd */
	uint16_t port;
	char *tls_cert, *tls_key; /* PEM text, NULL without TLS */
	struct MHD_Daemon *mhd;

	struct web_reader *readers;
	size_t n_readers;
	unsigned next_reader;     /* round robin start (atomic) */
	pthread_mutex_t write_mu;
	struct sw_store *writer;  /* NULL when the database cannot be written */

	struct web_metrics *metrics;
	struct web_rates *rates;
	struct web_sse *sse;
	struct web_guard *guard;
};

/* Per request (libmicrohttpd's req_cls), from the URI log callback. */
struct web_req {
	char *uri;                /* raw request target */
	size_t route;             /* WEB_ROUTE_NONE until routed */
	bool routed;              /* the head was checked: wait for the body */
	char *body;
	size_t body_len;
	bool too_big;
	bool counted;
};

/* ---- the slow-client guard (guard.c) ---- */

struct web_guard;

/* Request heads must be complete within deadline_s of the connection's
 * start or of the previous request's end. NULL when out of memory. */
struct web_guard *web_guard_new(unsigned deadline_s);
/* Starts its thread; false when it cannot. */
bool web_guard_start(struct web_guard *g);
/* Stops the thread and forgets every connection. NULL is a no-op. */
void web_guard_free(struct web_guard *g);
/* A new connection on fd: its handle for the calls below (NULL: not
 * guarded, out of memory). */
void *web_guard_opened(struct web_guard *g, int fd);
void web_guard_closed(struct web_guard *g, void *conn);
/* A request head is complete (answering true) or its answer is done. */
void web_guard_request(struct web_guard *g, void *conn, bool answering);
/* Connections shut down for missing their deadline. */
uint64_t web_guard_dropped(struct web_guard *g);

/* Logs a warning through cfg->log (thread-safe as the callback is). */
void web_log(const struct sw_web *w, const char *fmt, ...) SW_PRINTF(2, 3);

/* A reader handle, locked (reopened first when the database file was
 * replaced); release with web_reader_put. */
struct web_reader *web_reader_get(struct sw_web *w);
void web_reader_put(struct web_reader *r);
/* Reopens the writable handle when its database file was replaced (call
 * with write_mu held). */
void web_writer_refresh(struct sw_web *w);

/* The database file at w's path, opened with cfg, when it is no longer the
 * one old has open (an audit written anew at the same path); NULL when it
 * is the same, or the new one cannot be opened yet (still being created):
 * the caller then keeps old. */
struct sw_store *web_store_reopened(const struct sw_web *w, const struct sw_store *old,
                                    const struct sw_store_config *cfg);

/* The wall clock in ns. */
uint64_t web_now_ns(void);

/* ---- listen.c ---- */

/* Parses "HOST:PORT" / "[V6]:PORT", binds and listens (backlog 512,
 * SO_REUSEADDR). *fd and *port on success; SW_ERR_INVALID (address text),
 * SW_ERR_IO ("cannot listen on ADDR: REASON"). */
enum sw_status web_listen(const char *addr, int *fd, uint16_t *port, struct sw_err *err);

/* ---- reply.c ---- */

/* Adds the security headers (and Cache-Control for /api) to r. */
void web_headers(struct MHD_Response *r, bool api);

/* Queues a response built from body (taken: freed with free(); NULL for
 * an empty body) with the content type and headers; destroys it. Counts
 * the request. */
enum MHD_Result web_send(struct sw_web *w, struct MHD_Connection *c, struct web_req *q,
                         unsigned status, const char *type, char *body, size_t len);

/* Queues a JSON error {"error": {...}}; param may be NULL. allow: the
 * Allow header for 405 (or NULL). */
enum MHD_Result web_send_error(struct sw_web *w, struct MHD_Connection *c,
                               struct web_req *q, unsigned status, const char *param,
                               const char *fmt, ...) SW_PRINTF(6, 7);
/* 400 with code unknown_parameter or bad_parameter. */
enum MHD_Result web_send_param_error(struct sw_web *w, struct MHD_Connection *c,
                                     struct web_req *q, bool unknown, const char *param,
                                     const char *msg);
enum MHD_Result web_send_405(struct sw_web *w, struct MHD_Connection *c, struct web_req *q,
                             const char *allow);

/* Queues an existing response (not destroyed here) and counts it. */
enum MHD_Result web_queue(struct sw_web *w, struct MHD_Connection *c, struct web_req *q,
                          unsigned status, struct MHD_Response *r);

/* The HTTP status and error for a store status. */
unsigned web_status_of(enum sw_status st);

/* ---- auth.c ---- */

/* True when the Authorization header carries the configured token
 * (constant-time comparison); false without a configured token. */
bool web_auth_ok(const struct sw_web *w, struct MHD_Connection *c);

/* ---- api.c ---- */

/* A list, item or triage route; id 0 for lists. */
enum MHD_Result web_api(struct sw_web *w, struct MHD_Connection *c, struct web_req *q,
                        const struct web_route *rt, int64_t id);

/* ---- cache.c ---- */

#define WEB_CACHE_ENTRIES 64
#define WEB_CACHE_MAX_BODY (4u << 20)
/* Entries also expire: relative times ("since=15m") move with the clock. */
#define WEB_CACHE_TTL_NS 1000000000ull

struct web_cache *web_cache_new(void);
void web_cache_free(struct web_cache *c);
/* Forgets every entry when the database changed since the last call
 * (PRAGMA data_version of st); returns the response for key (borrowed:
 * valid while the reader that owns c stays locked; queueing it takes a
 * reference of its own), or NULL. */
struct MHD_Response *web_cache_get(struct web_cache *c, struct sw_store *st,
                                   const char *key, size_t key_len, uint64_t now_ns);
/* Stores r under key, taking the caller's reference (destroyed now when
 * it cannot be stored). */
void web_cache_put(struct web_cache *c, const char *key, size_t key_len,
                   struct MHD_Response *r, uint64_t now_ns);

/* ---- metrics.c ---- */

struct web_metrics *web_metrics_new(void);
void web_metrics_free(struct web_metrics *m);
/* Counts one answer of route (WEB_ROUTE_NONE: other) with status. */
void web_metrics_count(struct web_metrics *m, size_t route, unsigned status);
void web_metrics_cache(struct web_metrics *m, bool hit);
void web_metrics_stats(const struct web_metrics *m, struct sw_web_stats *out);
/* The Prometheus text (malloc'd) or NULL. */
char *web_metrics_text(struct sw_web *w, size_t *len);
/* /healthz: status 200 or 503 and its JSON (malloc'd). */
char *web_healthz(struct sw_web *w, unsigned *status, size_t *len);

/* ---- live.c ---- */

struct json_t;
struct web_rates;
struct web_rates *web_rates_new(void);
void web_rates_free(struct web_rates *r);
/* Takes a sample of the live counters (at most one a second); called from
 * the event-stream thread's tick. No-op in serve mode. */
void web_live_sample(struct sw_web *w);
/* Sets o's "rates" object from the samples of the last 10 s and now. */
void web_live_rates(struct sw_web *w, const struct sw_web_live *now, struct json_t *o);

/* ---- sse.c ---- */

struct web_sse *web_sse_new(struct sw_web *w, struct sw_err *err);
enum sw_status web_sse_start(struct web_sse *s, struct sw_err *err);
/* Ends every stream (resumes the suspended ones) before MHD stops. */
void web_sse_shutdown(struct web_sse *s);
void web_sse_free(struct web_sse *s);
size_t web_sse_clients(const struct web_sse *s);
enum MHD_Result web_sse_begin(struct web_sse *s, struct MHD_Connection *c, struct web_req *q);

/* ---- assets.c ---- */

/* The asset at path ("/" or "/assets/NAME"), or false. */
bool web_asset_find(const char *path, size_t len, const char **type,
                    const unsigned char **data, size_t *size);

#endif
