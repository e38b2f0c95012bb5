/*
 * sse.c - /api/v1/stream, Server-Sent Events, without a thread per client:
 * each client's response reads from its own buffer and, when that is
 * empty, suspends its connection (libmicrohttpd then leaves it alone). One
 * hub thread with its own read-only store handle polls the database every
 * SSE_POLL_MS for rows past each client's cursor "V:A" (largest violation
 * and anomaly id delivered), appends the events and keepalive comments to
 * the buffers and resumes the connections that have something to send.
 * When the database file is replaced, the hub follows the new one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "segwatch/textparse.h"
#include "web_int.h"

#define SSE_POLL_MS 300
#define SSE_KEEPALIVE_S 15
#define SSE_RETRY_MS 2000
#define SSE_BATCH 200
#define SSE_BUF_MAX (1u << 20)   /* a slow client gets no more rows until it reads */
#define SSE_BLOCK 4096
#define SSE_SHUTDOWN_WAIT_S 3

struct sse_client {
	struct sse_client *next, *prev;
	struct web_sse *hub;
	struct MHD_Connection *conn;
	char *buf;
	size_t len, off, cap;
	int64_t v, a;             /* cursor: the last ids delivered */
	bool suspended;
	bool linked;              /* in the hub's list */
	uint64_t last_ns;         /* when bytes were last queued */
};

struct web_sse {
	struct sw_web *w;
	struct sw_store *st;      /* the hub thread's own handle */
	pthread_t thread;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t tick;      /* wakes the hub early (shutdown) */
	pthread_cond_t gone;      /* a client was freed */
	bool stopping;
	struct sse_client *clients;
	size_t n;
	uint64_t keepalive_ns;
};

/* The hub's own read-only handle. */
static const struct sw_store_config hub_store_config = {
	.busy_timeout_ms = SW_STORE_BUSY_TIMEOUT_DEFAULT_MS, .cache_mib = 4, .read_only = true,
};

struct web_sse *web_sse_new(struct sw_web *w, struct sw_err *err)
{
	struct web_sse *s = calloc(1, sizeof(*s));
	unsigned ka = w->timeout_s / 2 < SSE_KEEPALIVE_S ? w->timeout_s / 2 : SSE_KEEPALIVE_S;

	if (s == NULL) {
		sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
		return NULL;
	}
	s->w = w;
	s->keepalive_ns = (uint64_t)(ka ? ka : 1) * 1000000000ull;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->tick, NULL);
	pthread_cond_init(&s->gone, NULL);
	s->st = sw_store_open(w->db_path, &hub_store_config, err);
	if (s->st == NULL) {
		web_sse_free(s);
		return NULL;
	}
	return s;
}

size_t web_sse_clients(const struct web_sse *s)
{
	return __atomic_load_n(&s->n, __ATOMIC_RELAXED);
}

/* ---- a client's buffer (hub lock held) ---- */

static bool append(struct sse_client *cl, const char *text, size_t n)
{
	if (cl->off > 0 && cl->off == cl->len)
		cl->off = cl->len = 0;
	if (cl->len + n > cl->cap) {
		size_t cap = (cl->len + n) * 2;
		char *nb = realloc(cl->buf, cap);
		if (nb == NULL)
			return false;
		cl->buf = nb;
		cl->cap = cap;
	}
	memcpy(cl->buf + cl->len, text, n);
	cl->len += n;
	cl->last_ns = web_now_ns();
	return true;
}

/* One event; the JSON may hold no newline, but one "data:" line per line
 * keeps the framing right if it ever does. */
static void on_event(void *ctx, const char *kind, int64_t id, const char *json, size_t len)
{
	struct sse_client *cl = ctx;
	char head[96];
	int n;

	if (strcmp(kind, "violation") == 0)
		cl->v = id;
	else
		cl->a = id;
	n = snprintf(head, sizeof(head), "id: %lld:%lld\nevent: %s\n", (long long)cl->v,
	             (long long)cl->a, kind);
	append(cl, head, (size_t)n);
	while (len > 0) {
		const char *nl = memchr(json, '\n', len);
		size_t line = nl ? (size_t)(nl - json) : len;
		append(cl, "data: ", 6);
		append(cl, json, line);
		append(cl, "\n", 1);
		json += line + (nl != NULL);
		len -= line + (nl != NULL);
	}
	append(cl, "\n", 1);
}

/* ---- libmicrohttpd's side ---- */

static ssize_t sse_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct sse_client *cl = cls;
	struct web_sse *s = cl->hub;
	size_t n;

	(void)pos;
	pthread_mutex_lock(&s->mu);
	if (cl->off < cl->len) {
		n = cl->len - cl->off < max ? cl->len - cl->off : max;
		memcpy(out, cl->buf + cl->off, n);
		cl->off += n;
		pthread_mutex_unlock(&s->mu);
		return (ssize_t)n;
	}
	if (s->stopping) {
		pthread_mutex_unlock(&s->mu);
		return MHD_CONTENT_READER_END_OF_STREAM;
	}
	cl->suspended = true;
	MHD_suspend_connection(cl->conn);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

static void sse_free(void *cls)
{
	struct sse_client *cl = cls;
	struct web_sse *s = cl->hub;

	pthread_mutex_lock(&s->mu);
	if (cl->linked) {
		if (cl->prev != NULL)
			cl->prev->next = cl->next;
		else
			s->clients = cl->next;
		if (cl->next != NULL)
			cl->next->prev = cl->prev;
		__atomic_store_n(&s->n, s->n - 1, __ATOMIC_RELAXED);
		pthread_cond_broadcast(&s->gone);
	}
	pthread_mutex_unlock(&s->mu);
	free(cl->buf);
	free(cl);
}

/* "V:A" with both ids in 0..2^63-1. */
static bool parse_cursor(const char *text, int64_t *v, int64_t *a)
{
	uint64_t x, y;
	size_t hl;
	const char *rest = sw_split(text, ':', &hl);

	if (rest == NULL || sw_parse_u64(text, hl, 0, INT64_MAX, &x) != SW_OK ||
	    sw_parse_u64(rest, strlen(rest), 0, INT64_MAX, &y) != SW_OK)
		return false;
	*v = (int64_t)x;
	*a = (int64_t)y;
	return true;
}

/* The client's starting cursor: Last-Event-ID, else the newest rows now. */
static enum MHD_Result start_cursor(struct web_sse *s, struct MHD_Connection *c,
                                    struct web_req *q, int64_t *v, int64_t *a, bool *ok)
{
	const char *last = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID");
	struct web_reader *r;
	struct sw_err err;
	enum sw_status st;

	*ok = false;
	if (last != NULL) {
		if (!parse_cursor(last, v, a))
			return web_send_error(s->w, c, q, 400, "Last-Event-ID",
			                      "Last-Event-ID: expected V:A (two ids), got '%.64s'", last);
		*ok = true;
		return MHD_YES;
	}
	sw_err_clear(&err);
	r = web_reader_get(s->w);
	st = sw_store_query_max_ids(r->st, v, a, &err);
	web_reader_put(r);
	if (st != SW_OK)
		return web_send_error(s->w, c, q, 503, NULL, "the database is unavailable: %s",
		                      err.msg);
	*ok = true;
	return MHD_YES;
}

enum MHD_Result web_sse_begin(struct web_sse *s, struct MHD_Connection *c, struct web_req *q)
{
	char hello[64];
	struct sse_client *cl;
	struct MHD_Response *r;
	enum MHD_Result ret;
	int64_t v = 0, a = 0;
	bool ok;
	int n;

	ret = start_cursor(s, c, q, &v, &a, &ok);
	if (!ok)
		return ret;
	cl = calloc(1, sizeof(*cl));
	n = snprintf(hello, sizeof(hello), "retry: %d\n\n", SSE_RETRY_MS);
	if (cl == NULL)
		return web_send_error(s->w, c, q, 500, NULL, "out of memory");
	cl->hub = s;
	cl->conn = c;
	cl->v = v;
	cl->a = a;
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, SSE_BLOCK, sse_read, cl, sse_free);
	if (r == NULL || !append(cl, hello, (size_t)n)) {
		if (r != NULL)
			MHD_destroy_response(r); /* frees cl through sse_free: not linked yet */
		else
			free(cl);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
	MHD_add_response_header(r, "X-Accel-Buffering", "no");
	web_headers(r, true);
	pthread_mutex_lock(&s->mu);
	if (s->stopping) {
		pthread_mutex_unlock(&s->mu);
		MHD_destroy_response(r); /* frees cl */
		return web_send_error(s->w, c, q, 503, NULL, "the server is stopping");
	}
	cl->next = s->clients;
	if (s->clients != NULL)
		s->clients->prev = cl;
	s->clients = cl;
	cl->linked = true;
	__atomic_store_n(&s->n, s->n + 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&s->mu);
	ret = web_queue(s->w, c, q, 200, r);
	MHD_destroy_response(r);
	return ret;
}

/* ---- the hub ---- */

/* The database file replaced (an audit written anew at the same path):
 * the hub reads the new one, and every client's cursor goes back to 0:0,
 * since the new file's ids start again and all its rows are new to them.
 * While the new file cannot be opened (still being created), the old one
 * stays, and the next poll tries again. Hub thread. */
static void follow_replaced_file(struct web_sse *s)
{
	struct sw_store *st = web_store_reopened(s->w, s->st, &hub_store_config);

	if (st == NULL)
		return;
	sw_store_close(s->st);
	s->st = st;
	pthread_mutex_lock(&s->mu);
	for (struct sse_client *cl = s->clients; cl != NULL; cl = cl->next)
		cl->v = cl->a = 0;
	pthread_mutex_unlock(&s->mu);
	web_log(s->w, "%s: the database file was replaced: the event stream follows the new one",
	        s->w->db_path);
}

static void tick(struct web_sse *s)
{
	struct sw_err err;
	int64_t v = 0, a = 0;
	bool have = sw_store_query_max_ids(s->st, &v, &a, &err) == SW_OK;
	uint64_t now = web_now_ns();

	pthread_mutex_lock(&s->mu);
	for (struct sse_client *cl = s->clients; cl != NULL; cl = cl->next) {
		if (have && (cl->v < v || cl->a < a) && cl->len - cl->off < SSE_BUF_MAX &&
		    sw_store_query_events(s->st, cl->v, cl->a, SSE_BATCH, on_event, cl, &err) !=
		    SW_OK)
			web_log(s->w, "event stream: %s", err.msg);
		if (now - cl->last_ns >= s->keepalive_ns)
			append(cl, ": keepalive\n\n", 13);
		if (cl->len > cl->off && cl->suspended) {
			cl->suspended = false;
			MHD_resume_connection(cl->conn);
		}
	}
	pthread_mutex_unlock(&s->mu);
}

static void *hub_main(void *arg)
{
	struct web_sse *s = arg;
	struct timespec ts;

	pthread_mutex_lock(&s->mu);
	while (!s->stopping) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += SSE_POLL_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&s->tick, &s->mu, &ts);
		if (s->stopping)
			break;
		pthread_mutex_unlock(&s->mu);
		web_live_sample(s->w);
		follow_replaced_file(s);
		tick(s);
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

enum sw_status web_sse_start(struct web_sse *s, struct sw_err *err)
{
	if (pthread_create(&s->thread, NULL, hub_main, s) != 0)
		return sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "cannot start the stream thread");
	s->started = true;
	return SW_OK;
}

void web_sse_shutdown(struct web_sse *s)
{
	struct timespec ts;

	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->stopping = true;
	pthread_cond_broadcast(&s->tick);
	for (struct sse_client *cl = s->clients; cl != NULL; cl = cl->next) {
		if (cl->suspended) {
			cl->suspended = false;
			MHD_resume_connection(cl->conn);
		}
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += SSE_SHUTDOWN_WAIT_S;
	while (s->n > 0 && pthread_cond_timedwait(&s->gone, &s->mu, &ts) == 0)
		;
	pthread_mutex_unlock(&s->mu);
	if (s->started) {
		pthread_join(s->thread, NULL);
		s->started = false;
	}
}

void web_sse_free(struct web_sse *s)
{
	if (s == NULL)
		return;
	web_sse_shutdown(s);
	sw_store_close(s->st);
	pthread_cond_destroy(&s->gone);
	pthread_cond_destroy(&s->tick);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
