/*
 * server.c - the libmicrohttpd glue of the web server: sw_web_open (config,
 * socket, TLS files, database handles), sw_web_run (the daemon on an epoll
 * thread pool), sw_web_stop, and the request handler that routes each
 * request, enforces the token and the body limit, and hands it on.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "segwatch/textparse.h"
#include "web_int.h"

#define TLS_FILE_MAX (1u << 20)
#define CONNECTION_MEMORY (32u * 1024)
#define READER_CACHE_MIB 16
#define WRITER_BUSY_MS 2000

uint64_t web_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void web_log(const struct sw_web *w, const char *fmt, ...)
{
	struct sw_err e;
	va_list ap;

	if (w->log == NULL)
		return;
	sw_err_clear(&e);
	e.status = SW_ERR_IO;
	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	va_end(ap);
	w->log(w->log_ctx, &e);
}

/* ---- reader handles ---- */

static const struct sw_store_config reader_config = {
	.busy_timeout_ms = SW_STORE_BUSY_TIMEOUT_DEFAULT_MS,
	.cache_mib = READER_CACHE_MIB,
	.read_only = true,
};

struct sw_store *web_store_reopened(const struct sw_web *w, const struct sw_store *old,
                                    const struct sw_store_config *cfg)
{
	struct sw_err err;

	if (!sw_store_file_replaced(old))
		return NULL;
	return sw_store_open(w->db_path, cfg, &err);
}

/* A reader whose database file was replaced (an audit written anew at the
 * same path) opens the new one and forgets its cached answers; while the
 * new file cannot be opened (still being created), it answers from the
 * old one. Reader locked. */
static void reader_refresh(struct sw_web *w, struct web_reader *r)
{
	struct sw_store *st = web_store_reopened(w, r->st, &reader_config);
	struct web_cache *cache = st != NULL ? web_cache_new() : NULL;

	if (cache == NULL) {
		sw_store_close(st);
		return;
	}
	sw_store_close(r->st);
	web_cache_free(r->cache);
	r->st = st;
	r->cache = cache;
}

struct web_reader *web_reader_get(struct sw_web *w)
{
	unsigned start = __atomic_fetch_add(&w->next_reader, 1, __ATOMIC_RELAXED);
	struct web_reader *r = NULL;

	for (size_t i = 0; i < w->n_readers && r == NULL; i++) {
		struct web_reader *cand = &w->readers[(start + i) % w->n_readers];
		if (pthread_mutex_trylock(&cand->mu) == 0)
			r = cand;
	}
	if (r == NULL) {
		r = &w->readers[start % w->n_readers];
		pthread_mutex_lock(&r->mu);
	}
	reader_refresh(w, r);
	return r;
}

void web_reader_put(struct web_reader *r)
{
	pthread_mutex_unlock(&r->mu);
}

/* ---- opening ---- */

static enum sw_status check_config(const struct sw_web_config *cfg, struct sw_err *err)
{
	if (cfg->db_path == NULL || cfg->db_path[0] == '\0')
		return sw_err_set(err, SW_ERR_INVALID, NULL, 0, 0, "no database given");
	if ((cfg->tls_cert_file == NULL) != (cfg->tls_key_file == NULL))
		return sw_err_set(err, SW_ERR_INVALID, NULL, 0, 0,
		                  "TLS needs both a certificate and a key file");
	if (cfg->tls_cert_file != NULL && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		return sw_err_set(err, SW_ERR_UNSUPPORTED, NULL, 0, 0,
		                  "this libmicrohttpd was built without TLS: serve plain HTTP "
		                  "behind a TLS proxy, or install a build with GnuTLS");
	if (cfg->token != NULL && strlen(cfg->token) < SW_WEB_TOKEN_MIN)
		return sw_err_set(err, SW_ERR_INVALID, NULL, 0, 0,
		                  "the API token must have at least %d characters",
		                  SW_WEB_TOKEN_MIN);
	if (cfg->threads > SW_WEB_THREADS_MAX)
		return sw_err_set(err, SW_ERR_INVALID, NULL, 0, 0,
		                  "threads: expected at most %d, got %u", SW_WEB_THREADS_MAX,
		                  cfg->threads);
	return SW_OK;
}

/* Copies the config, with defaults for zeros. */
static enum sw_status copy_config(struct sw_web *w, const struct sw_web_config *cfg,
                                  struct sw_err *err)
{
	w->db_path = strdup(cfg->db_path);
	w->listen = strdup(cfg->listen ? cfg->listen : SW_WEB_LISTEN_DEFAULT);
	w->token = cfg->token ? strdup(cfg->token) : NULL;
	if (w->db_path == NULL || w->listen == NULL || (cfg->token && w->token == NULL))
		return sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
	w->token_len = w->token ? strlen(w->token) : 0;
	w->live = cfg->live;
	w->live_ctx = cfg->live_ctx;
	w->max_connections = cfg->max_connections ? cfg->max_connections
	                                          : SW_WEB_MAX_CONNECTIONS_DEFAULT;
	w->timeout_s = cfg->connection_timeout_s ? cfg->connection_timeout_s
	                                         : SW_WEB_TIMEOUT_DEFAULT_S;
	w->max_body = cfg->max_body ? cfg->max_body : SW_WEB_MAX_BODY_DEFAULT;
	w->threads = cfg->threads ? cfg->threads : SW_WEB_THREADS_DEFAULT;
	w->log = cfg->log;
	w->log_ctx = cfg->log_ctx;
	return SW_OK;
}

/* Reads a whole (small) file as a NUL-terminated string. */
static enum sw_status read_file(const char *path, char **out, struct sw_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	char *buf;
	ssize_t n;

	if (fd < 0)
		return sw_err_set(err, SW_ERR_IO, path, 0, 0, "cannot read: %s", strerror(errno));
	buf = malloc(TLS_FILE_MAX + 1);
	if (buf == NULL) {
		close(fd);
		return sw_err_set(err, SW_ERR_NOMEM, path, 0, 0, "out of memory");
	}
	while (len < TLS_FILE_MAX && (n = read(fd, buf + len, TLS_FILE_MAX - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (len == 0 || len == TLS_FILE_MAX) {
		free(buf);
		return sw_err_set(err, SW_ERR_INVALID, path, 0, 0,
		                  "expected a PEM file of 1 to %u bytes", TLS_FILE_MAX - 1);
	}
	buf[len] = '\0';
	*out = buf;
	return SW_OK;
}

/* A store notice (a database upgrade) in the server log. */
static void log_notice(void *ctx, const char *msg)
{
	web_log(ctx, "%s", msg);
}

static struct sw_store_config writer_config(struct sw_web *w)
{
	return (struct sw_store_config){ .busy_timeout_ms = WRITER_BUSY_MS,
	                                 .cache_mib = READER_CACHE_MIB / 4,
	                                 .notice = log_notice, .notice_ctx = w };
}

/* The writable handle after its database file was replaced: the new one
 * (write_mu held). Until it can be opened, writes fail on the old one,
 * which says why. */
void web_writer_refresh(struct sw_web *w)
{
	struct sw_store_config sc = writer_config(w);
	struct sw_store *st;

	/* a deleted file is not created again here: serve needs one to exist */
	if (w->writer == NULL || access(w->db_path, F_OK) != 0)
		return;
	st = web_store_reopened(w, w->writer, &sc);
	if (st == NULL)
		return;
	sw_store_close(w->writer);
	w->writer = st;
	web_log(w, "%s: the database file was replaced: reopened", w->db_path);
}

/* The writable handle; a database that cannot be written only disables
 * the POST routes. */
static enum sw_status open_writer(struct sw_web *w, struct sw_err *err)
{
	struct sw_store_config sc = writer_config(w);
	struct sw_err e;

	w->writer = sw_store_open(w->db_path, &sc, &e);
	if (w->writer != NULL)
		return SW_OK;
	if (e.status == SW_ERR_PARSE || e.status == SW_ERR_UNSUPPORTED || e.status == SW_ERR_NOMEM) {
		*err = e;
		return e.status;
	}
	web_log(w, "%s: writes disabled (triage answers 503): %s", w->db_path, e.msg);
	return SW_OK;
}

static enum sw_status open_readers(struct sw_web *w, struct sw_err *err)
{
	w->readers = calloc(w->threads, sizeof(*w->readers));
	if (w->readers == NULL)
		return sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
	for (size_t i = 0; i < w->threads; i++) {
		struct web_reader *r = &w->readers[i];
		pthread_mutex_init(&r->mu, NULL);
		w->n_readers = i + 1;
		r->st = sw_store_open(w->db_path, &reader_config, err);
		if (r->st == NULL)
			return err->status;
		r->cache = web_cache_new();
		if (r->cache == NULL)
			return sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
	}
	return SW_OK;
}

static enum sw_status open_database(struct sw_web *w, struct sw_err *err)
{
	struct stat sb;

	if (stat(w->db_path, &sb) != 0)
		return sw_err_set(err, errno == ENOENT ? SW_ERR_NOTFOUND : SW_ERR_IO, w->db_path,
		                  0, 0, "cannot open the database: %s", strerror(errno));
	if (open_writer(w, err) != SW_OK)
		return err->status;
	return open_readers(w, err);
}

struct sw_web *sw_web_open(const struct sw_web_config *cfg, struct sw_err *err)
{
	struct sw_web *w;
	enum sw_status st;

	if (check_config(cfg, err) != SW_OK)
		return NULL;
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
		return NULL;
	}
	w->listen_fd = -1;
	pthread_mutex_init(&w->write_mu, NULL);
	st = copy_config(w, cfg, err);
	if (st == SW_OK)
		st = web_listen(w->listen, &w->listen_fd, &w->port, err);
	if (st == SW_OK && cfg->tls_cert_file != NULL) {
		st = read_file(cfg->tls_cert_file, &w->tls_cert, err);
		if (st == SW_OK)
			st = read_file(cfg->tls_key_file, &w->tls_key, err);
	}
	if (st == SW_OK)
		st = open_database(w, err);
	if (st == SW_OK && ((w->metrics = web_metrics_new()) == NULL ||
	                    (w->rates = web_rates_new()) == NULL))
		st = sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
	if (st == SW_OK)
		w->sse = web_sse_new(w, err);
	if (st != SW_OK || w->sse == NULL) {
		sw_web_stop(w);
		return NULL;
	}
	return w;
}

/* ---- requests ---- */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct web_req *q = calloc(1, sizeof(*q));

	(void)cls;
	(void)c;
	if (q == NULL)
		return NULL;
	q->route = WEB_ROUTE_NONE;
	q->uri = strdup(uri);
	if (q->uri == NULL) {
		free(q);
		return NULL;
	}
	return q;
}

/* The guard's handle of c, kept as libmicrohttpd's socket context. */
static void *guard_conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci != NULL ? ci->socket_context : NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_ctx,
                          enum MHD_ConnectionNotificationCode code)
{
	struct sw_web *w = cls;
	const union MHD_ConnectionInfo *ci;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		web_guard_closed(w->guard, *socket_ctx);
		*socket_ctx = NULL;
		return;
	}
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	*socket_ctx = ci != NULL ? web_guard_opened(w->guard, ci->connect_fd) : NULL;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct web_req *q = *req_cls;
	struct sw_web *w = cls;

	(void)toe;
	web_guard_request(w->guard, guard_conn_of(c), false);
	if (q == NULL)
		return;
	free(q->uri);
	free(q->body);
	free(q);
	*req_cls = NULL;
}

static const char not_built_page[] =
	"<!doctype html><meta charset=utf-8><title>segwatch</title>"
	"<h1>segwatch</h1><p>The dashboard was not built into this binary. The API is at "
	"<code>/api/v1/</code>; see <code>/healthz</code> and <code>/metrics</code>.</p>\n";

static enum MHD_Result serve_asset(struct sw_web *w, struct MHD_Connection *c,
                                   struct web_req *q, const char *path, size_t len)
{
	const unsigned char *data;
	const char *type;
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t size;

	if (!web_asset_find(path, len, &type, &data, &size)) {
		if (len != 1)
			return web_send_error(w, c, q, 404, NULL, "no such asset");
		type = "text/html; charset=utf-8";
		data = (const unsigned char *)not_built_page;
		size = sizeof(not_built_page) - 1;
	}
	/* the asset bytes are static; libmicrohttpd only reads them */
	r = MHD_create_response_from_buffer_with_free_callback_cls(size, (void *)(uintptr_t)data,
	                                                           NULL, NULL);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	web_headers(r, false);
	ret = web_queue(w, c, q, 200, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result serve_text(struct sw_web *w, struct MHD_Connection *c,
                                  struct web_req *q, enum web_kind kind)
{
	unsigned status = 200;
	size_t len = 0;
	char *body;

	if (kind == WK_METRICS) {
		body = web_metrics_text(w, &len);
		if (body == NULL)
			return web_send_error(w, c, q, 500, NULL, "out of memory");
		return web_send(w, c, q, 200, "text/plain; version=0.0.4; charset=utf-8", body,
		                len);
	}
	body = web_healthz(w, &status, &len);
	if (body == NULL)
		return web_send_error(w, c, q, 500, NULL, "out of memory");
	return web_send(w, c, q, status, "application/json", body, len);
}

/* The API routes' checks: token, query string. */
static enum MHD_Result serve_api(struct sw_web *w, struct MHD_Connection *c,
                                 struct web_req *q, int64_t id, const char *query)
{
	const struct web_route *rt = &web_routes[q->route];
	struct sw_err err;
	char *param = NULL;
	enum MHD_Result ret;
	size_t n;

	if (rt->kind == WK_ACTION && w->token == NULL)
		return web_send_error(w, c, q, 401, NULL, "writes need --api-token-file");
	if (w->token != NULL && !web_auth_ok(w, c))
		return web_send_error(w, c, q, 401, NULL,
		                      "this route needs the header 'Authorization: Bearer TOKEN'");
	sw_err_clear(&err);
	if (web_query_check(query, &n, &param, &err) != SW_OK) {
		ret = web_send_error(w, c, q, 400, param, "%s", err.msg);
		free(param);
		return ret;
	}
	if (rt->kind == WK_STREAM)
		return web_sse_begin(w->sse, c, q);
	return web_api(w, c, q, rt, id);
}

/* The first call for a request: routes it and answers errors found in
 * the head at once (404, 405, a Content-Length over the limit); anything
 * else is answered once the request, body included, has been read (an
 * answer queued earlier makes libmicrohttpd close the connection). */
static enum MHD_Result first_call(struct sw_web *w, struct MHD_Connection *c,
                                  struct web_req *q, const char *method)
{
	const char *allow, *clen;
	int64_t id;
	uint64_t n;
	enum sw_status st;

	if (!web_path_encoding_ok(q->uri, strcspn(q->uri, "?")))
		return web_send_error(w, c, q, 400, NULL, "malformed percent-encoding in the path");
	st = web_route_find(q->uri, strcspn(q->uri, "?"), method, &q->route, &id, &allow);
	if (st == SW_ERR_NOTFOUND)
		return web_send_error(w, c, q, 404, NULL, "no such route");
	if (st != SW_OK)
		return web_send_405(w, c, q, allow);
	clen = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (clen != NULL && (sw_parse_u64(clen, strlen(clen), 0, w->max_body, &n) != SW_OK))
		return web_send_error(w, c, q, 413, NULL, "the body exceeds %zu bytes",
		                      w->max_body);
	q->routed = true;
	return MHD_YES;
}

/* Appends a piece of the body, remembering when it went past the limit. */
static void take_body(struct sw_web *w, struct web_req *q, const char *data, size_t n)
{
	char *nb;

	if (q->too_big || n > w->max_body - q->body_len) {
		q->too_big = true;
		return;
	}
	nb = realloc(q->body, q->body_len + n + 1);
	if (nb == NULL) {
		q->too_big = true;
		return;
	}
	memcpy(nb + q->body_len, data, n);
	q->body = nb;
	q->body_len += n;
	q->body[q->body_len] = '\0';
}

/* The whole request has been read: answer it. */
static enum MHD_Result dispatch(struct sw_web *w, struct MHD_Connection *c, struct web_req *q,
                                const char *method)
{
	size_t path_len = strcspn(q->uri, "?");
	const char *query = q->uri[path_len] == '?' ? q->uri + path_len + 1 : NULL;
	const char *allow;
	int64_t id;

	/* the whole request is in: its answer (a stream, maybe) has no deadline */
	web_guard_request(w->guard, guard_conn_of(c), true);
	if (q->too_big)
		return web_send_error(w, c, q, 413, NULL, "the body exceeds %zu bytes", w->max_body);
	web_route_find(q->uri, path_len, method, &q->route, &id, &allow);
	switch (web_routes[q->route].kind) {
	case WK_HEALTHZ:
	case WK_METRICS: return serve_text(w, c, q, web_routes[q->route].kind);
	case WK_ASSET: return serve_asset(w, c, q, q->uri, path_len);
	default: return serve_api(w, c, q, id, query);
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **req_cls)
{
	struct sw_web *w = cls;
	struct web_req *q = *req_cls;

	(void)url;
	(void)version;
	if (q == NULL)
		return MHD_NO; /* out of memory in on_uri */
	if (!q->routed)
		return first_call(w, c, q, method);
	if (*upload_size != 0) {
		take_body(w, q, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	return dispatch(w, c, q, method);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct sw_web *w = cls;
	char msg[SW_ERR_MSG_MAX];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	web_log(w, "http: %s", msg);
}

/* ---- running ---- */

enum sw_status sw_web_run(struct sw_web *w, struct sw_err *err)
{
	struct MHD_OptionItem opt[16];
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
	                 MHD_USE_ERROR_LOG;
	size_t n = 0;
	unsigned per_ip = w->max_connections > 2 ? w->max_connections / 2 : 1;

#define OPT(o, v, p) (opt[n++] = (struct MHD_OptionItem){(o), (intptr_t)(v), (p)})
	OPT(MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log, w); /* first: see its doc */
	OPT(MHD_OPTION_LISTEN_SOCKET, w->listen_fd, NULL);
	if (w->threads > 1)
		OPT(MHD_OPTION_THREAD_POOL_SIZE, w->threads, NULL);
	OPT(MHD_OPTION_CONNECTION_LIMIT, w->max_connections, NULL);
	OPT(MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip, NULL);
	OPT(MHD_OPTION_CONNECTION_TIMEOUT, w->timeout_s, NULL);
	OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONNECTION_MEMORY, NULL);
	OPT(MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)on_uri, w);
	OPT(MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, w);
	OPT(MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, w);
	if (w->tls_cert != NULL) {
		flags |= MHD_USE_TLS;
		OPT(MHD_OPTION_HTTPS_MEM_CERT, 0, w->tls_cert);
		OPT(MHD_OPTION_HTTPS_MEM_KEY, 0, w->tls_key);
	}
	OPT(MHD_OPTION_END, 0, NULL);
#undef OPT
	if (web_sse_start(w->sse, err) != SW_OK)
		return err->status;
	w->guard = web_guard_new(w->timeout_s);
	if (w->guard == NULL || !web_guard_start(w->guard))
		return sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0,
		                  "cannot start the slow-client guard");
	w->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, w, MHD_OPTION_ARRAY, opt,
	                          MHD_OPTION_END);
	if (w->mhd == NULL)
		return sw_err_set(err, SW_ERR_IO, NULL, 0, 0,
		                  "cannot start the HTTP server on %s (libmicrohttpd refused: "
		                  "see the log above)", w->listen);
	w->listen_fd = -1; /* libmicrohttpd's now */
	return SW_OK;
}

struct sw_web *sw_web_start(const struct sw_web_config *cfg, struct sw_err *err)
{
	struct sw_web *w = sw_web_open(cfg, err);

	if (w != NULL && sw_web_run(w, err) != SW_OK) {
		sw_web_stop(w);
		return NULL;
	}
	return w;
}

uint16_t sw_web_port(const struct sw_web *w)
{
	return w->port;
}

void sw_web_stats(const struct sw_web *w, struct sw_web_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (w->metrics != NULL)
		web_metrics_stats(w->metrics, out);
	if (w->sse != NULL)
		out->streams = web_sse_clients(w->sse);
}

static void close_readers(struct sw_web *w)
{
	for (size_t i = 0; i < w->n_readers; i++) {
		web_cache_free(w->readers[i].cache);
		sw_store_close(w->readers[i].st);
		pthread_mutex_destroy(&w->readers[i].mu);
	}
	free(w->readers);
}

void sw_web_stop(struct sw_web *w)
{
	if (w == NULL)
		return;
	if (w->mhd != NULL) {
		MHD_socket fd = MHD_quiesce_daemon(w->mhd);
		web_sse_shutdown(w->sse);
		MHD_stop_daemon(w->mhd);
		web_guard_free(w->guard);
		w->guard = NULL;
		if (fd != MHD_INVALID_SOCKET)
			close(fd);
	}
	web_sse_free(w->sse);
	if (w->listen_fd >= 0)
		close(w->listen_fd);
	close_readers(w);
	sw_store_close(w->writer);
	pthread_mutex_destroy(&w->write_mu);
	web_metrics_free(w->metrics);
	web_rates_free(w->rates);
	free(w->tls_cert);
	if (w->tls_key != NULL)
		explicit_bzero(w->tls_key, strlen(w->tls_key));
	free(w->tls_key);
	if (w->token != NULL)
		explicit_bzero(w->token, w->token_len);
	free(w->token);
	free(w->db_path);
	free(w->listen);
	free(w);
}
