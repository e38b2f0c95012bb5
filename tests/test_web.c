/*
 * test_web.c - cmocka tests of the web server over real loopback HTTP: a
 * server on 127.0.0.1, port 0, over a temporary database filled with plain
 * SQLite, and a tiny blocking client. Routes and strict paths, 404/405
 * (with Allow), HEAD, 400 naming the parameter (bad value, unknown name,
 * repeated name, malformed percent-encoding), SQL metacharacters, 401 with
 * and without a token, writes refused without a token, 413, the security
 * headers, the cache seeing writes, /metrics and /api/v1/stats in run mode
 * (live counters), the listen errors, and the event stream:
 * a client receives a row inserted after it connected, and a client
 * resuming with Last-Event-ID gets the rows after that id.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "segwatch/store.h"
#include "segwatch/web.h"

#define T0 1795608000000000000ull /* 2026-11-25T12:00:00Z */
#define TOKEN "0123456789abcdef-test-token"

struct wfx {
	char dir[64];
	char db[128];
	struct sw_web *w;
	uint16_t port;
};

/* ---- the database, with plain SQLite ---- */

static void sql(const char *db, const char *text)
{
	sqlite3 *h = NULL;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	sqlite3_busy_timeout(h, 5000);
	if (sqlite3_exec(h, text, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", text, msg);
	sqlite3_close(h);
}

static void insert_violation(const char *db, int id, const char *src, const char *dst,
                             int port)
{
	char q[1024];

	snprintf(q, sizeof(q),
	         "INSERT INTO violations (id, src, dst, proto, port, reason, src_ip, dst_ip, "
	         "first_seen_ns, last_seen_ns, flows, summary) VALUES (%d, '%s', '%s', 6, %d, "
	         "'denied_ingress', '10.0.0.1', '10.0.0.2', %llu, %llu, 3, 'test')",
	         id, src, dst, port, (unsigned long long)(T0 + (uint64_t)id * 1000000000ull),
	         (unsigned long long)(T0 + (uint64_t)id * 2000000000ull));
	sql(db, q);
}

static int setup_db(void **state)
{
	struct wfx *x = calloc(1, sizeof(*x));
	struct sw_store *st;
	struct sw_err err;

	if (x == NULL)
		return -1;
	snprintf(x->dir, sizeof(x->dir), "/tmp/segwatch-web-XXXXXX");
	if (mkdtemp(x->dir) == NULL)
		return -1;
	snprintf(x->db, sizeof(x->db), "%s/segwatch.db", x->dir);
	st = sw_store_open(x->db, NULL, &err);
	if (st == NULL)
		return -1;
	sw_store_close(st);
	insert_violation(x->db, 1, "shop/web", "shop/db", 5432);
	insert_violation(x->db, 2, "shop/api", "bank/core", 443);
	insert_violation(x->db, 3, "10.9.9.9", "shop/db", 22);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct wfx *x = *state;
	static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
	char p[160];

	sw_web_stop(x->w);
	for (size_t i = 0; i < SW_ARRAY_SIZE(sfx); i++) {
		snprintf(p, sizeof(p), "%s%s", x->db, sfx[i]);
		unlink(p);
	}
	rmdir(x->dir);
	free(x);
	return 0;
}

static void start(struct wfx *x, const char *token)
{
	struct sw_web_config cfg;
	struct sw_err err;

	memset(&cfg, 0, sizeof(cfg));
	cfg.db_path = x->db;
	cfg.listen = "127.0.0.1:0";
	cfg.token = token;
	cfg.max_body = 16 * 1024;
	x->w = sw_web_start(&cfg, &err);
	if (x->w == NULL)
		fail_msg("sw_web_start: %s", err.msg);
	x->port = sw_web_port(x->w);
	assert_true(x->port != 0);
}

static int setup_open(void **state)
{
	if (setup_db(state) != 0)
		return -1;
	start(*state, NULL);
	return 0;
}

static int setup_token(void **state)
{
	if (setup_db(state) != 0)
		return -1;
	start(*state, TOKEN);
	return 0;
}

/* ---- a tiny HTTP client ---- */

struct reply {
	int status;
	char head[8192];
	char *body;
	size_t body_len;
};

static int connect_to(uint16_t port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void send_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
		if (n <= 0)
			return; /* the server may close early (413) */
		data += n;
		len -= (size_t)n;
	}
}

/* Reads until the server closes; splits head and body. */
static void read_reply(int fd, struct reply *r)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap + 1);
	char *sep;
	ssize_t n;

	assert_non_null(buf);
	while ((n = recv(fd, buf + len, cap - len, 0)) > 0) {
		len += (size_t)n;
		if (len == cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
			assert_non_null(buf);
		}
	}
	buf[len] = '\0';
	memset(r, 0, sizeof(*r));
	sep = strstr(buf, "\r\n\r\n");
	if (sep == NULL)
		fail_msg("no HTTP head in %zu bytes: %.200s", len, buf);
	snprintf(r->head, sizeof(r->head), "%.*s", (int)(sep - buf), buf);
	assert_int_equal(strncmp(buf, "HTTP/1.1 ", 9), 0);
	r->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	r->body_len = len - (size_t)(sep + 4 - buf);
	r->body = malloc(r->body_len + 1);
	memcpy(r->body, sep + 4, r->body_len);
	r->body[r->body_len] = '\0';
	free(buf);
}

/* One request with "Connection: close"; extra: more header lines. */
static void request(uint16_t port, const char *method, const char *target, const char *extra,
                    const char *body, struct reply *r)
{
	char req[16384];
	int fd = connect_to(port);
	int n;

	n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sConnection: close"
	             "\r\n", method, target, extra ? extra : "");
	if (body != NULL)
		n += snprintf(req + n, sizeof(req) - (size_t)n, "Content-Type: application/json\r\n"
		              "Content-Length: %zu\r\n", strlen(body));
	n += snprintf(req + n, sizeof(req) - (size_t)n, "\r\n");
	send_all(fd, req, (size_t)n);
	if (body != NULL)
		send_all(fd, body, strlen(body));
	read_reply(fd, r);
	close(fd);
}

static void done(struct reply *r)
{
	free(r->body);
	r->body = NULL;
}

/* The value of header name (case-insensitive) in r, or NULL. */
static const char *header(const struct reply *r, const char *name, char *buf, size_t len)
{
	const char *p = r->head;

	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, strlen(name)) == 0 && p[strlen(name)] == ':') {
			const char *v = p + strlen(name) + 1, *e = strstr(v, "\r\n");
			while (*v == ' ')
				v++;
			snprintf(buf, len, "%.*s", (int)(e ? (size_t)(e - v) : strlen(v)), v);
			return buf;
		}
	}
	return NULL;
}

static void assert_header(const struct reply *r, const char *name, const char *want)
{
	char buf[512];
	const char *got = header(r, name, buf, sizeof(buf));

	if (got == NULL || strcmp(got, want) != 0)
		fail_msg("header %s: got %s, want %s\n%s", name, got ? got : "(none)", want, r->head);
}

static void expect(uint16_t port, const char *method, const char *target, const char *extra,
                   const char *body, int status, const char *needle)
{
	struct reply r;

	request(port, method, target, extra, body, &r);
	if (r.status != status || (needle != NULL && strstr(r.body, needle) == NULL))
		fail_msg("%s %s: status %d (want %d), body %.400s (want '%s')", method, target,
		         r.status, status, r.body, needle ? needle : "");
	done(&r);
}

/* ---- routes ---- */

static void test_routes(void **state)
{
	struct wfx *x = *state;
	static const struct {
		const char *method, *target;
		int status;
		const char *needle;
	} cases[] = {
		{"GET", "/healthz", 200, "\"status\":\"ok\""},
		{"GET", "/api/v1/violations", 200, "\"items\""},
		{"GET", "/api/v1/violations?limit=2", 200, "\"next_cursor\""},
		{"GET", "/api/v1/violations/2", 200, "bank/core"},
		{"GET", "/api/v1/violations/999", 404, "\"not_found\""},
		{"GET", "/api/v1/violations/02", 404, "\"not_found\""},
		{"GET", "/api/v1/violations/-1", 404, "\"not_found\""},
		{"GET", "/api/v1/violations/1x", 404, "\"not_found\""},
		{"GET", "/api/v1/violations/99999999999999999999", 404, "\"not_found\""},
		{"GET", "/api/v1/violations/", 404, NULL},
		{"GET", "/api/v1/nothing", 404, "\"not_found\""},
		{"GET", "/api/v1/flows", 200, "\"items\""},
		{"GET", "/api/v1/edges", 200, "\"edges\""},
		{"GET", "/api/v1/anomalies", 200, "\"items\""},
		{"GET", "/api/v1/baseline", 200, "\"items\""},
		{"GET", "/api/v1/policies", 200, "\"items\""},
		{"GET", "/api/v1/endpoints", 200, "\"items\""},
		{"GET", "/api/v1/stats", 200, "\"live\":false"},
		{"GET", "/metrics", 200, "segwatch_up 1"},
		{"GET", "/", 200, "<"},
		{"GET", "/assets/../etc/passwd", 404, NULL},
	};

	for (size_t i = 0; i < SW_ARRAY_SIZE(cases); i++)
		expect(x->port, cases[i].method, cases[i].target, NULL, NULL, cases[i].status,
		       cases[i].needle);
}

static void test_methods(void **state)
{
	struct wfx *x = *state;
	struct reply r;

	request(x->port, "POST", "/api/v1/violations", NULL, "{}", &r);
	assert_int_equal(r.status, 405);
	assert_header(&r, "Allow", "GET, HEAD");
	assert_non_null(strstr(r.body, "\"method_not_allowed\""));
	done(&r);
	request(x->port, "GET", "/api/v1/violations/1/ack", NULL, NULL, &r);
	assert_int_equal(r.status, 405);
	assert_header(&r, "Allow", "POST");
	done(&r);
	request(x->port, "DELETE", "/api/v1/violations/1", NULL, NULL, &r);
	assert_int_equal(r.status, 405);
	done(&r);
	/* HEAD: the GET's headers, no body */
	request(x->port, "HEAD", "/api/v1/violations", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 0);
	assert_header(&r, "Content-Type", "application/json");
	done(&r);
}

static void test_headers(void **state)
{
	struct wfx *x = *state;
	static const char *const targets[] = {"/api/v1/violations", "/healthz", "/",
	                                      "/api/v1/nothing", "/metrics"};
	struct reply r;
	char buf[64];

	for (size_t i = 0; i < SW_ARRAY_SIZE(targets); i++) {
		request(x->port, "GET", targets[i], NULL, NULL, &r);
		assert_header(&r, "Content-Security-Policy",
		              "default-src 'self'; frame-ancestors 'none'");
		assert_header(&r, "X-Content-Type-Options", "nosniff");
		assert_header(&r, "Referrer-Policy", "no-referrer");
		assert_header(&r, "X-Frame-Options", "DENY");
		if (strcmp(targets[i], "/") != 0)
			assert_header(&r, "Cache-Control", "no-store");
		else
			assert_non_null(header(&r, "Content-Type", buf, sizeof(buf)));
		done(&r);
	}
	request(x->port, "GET", "/metrics", NULL, NULL, &r);
	assert_header(&r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	done(&r);
}

/* 400s name the parameter. */
static void test_parameters(void **state)
{
	struct wfx *x = *state;
	static const struct {
		const char *target, *needle, *needle2;
	} cases[] = {
		{"/api/v1/violations?limit=x", "\"parameter\":\"limit\"", "\"bad_parameter\""},
		{"/api/v1/violations?limit=0", "\"parameter\":\"limit\"", "\"bad_parameter\""},
		{"/api/v1/violations?nope=1", "\"parameter\":\"nope\"", "\"unknown_parameter\""},
		{"/api/v1/violations?limit=1&limit=2", "\"parameter\":\"limit\"", "more than once"},
		{"/api/v1/violations?src=%zz", "\"parameter\":\"src\"", "percent"},
		{"/api/v1/violations?src=%4", "\"parameter\":\"src\"", "percent"},
		{"/api/v1/violations?src=a%00b", "\"parameter\":\"src\"", "percent"},
		{"/api/v1/violations?cursor=garbage", "\"parameter\":\"cursor\"", "bad_parameter"},
		{"/api/v1/flows?verdict=maybe", "\"parameter\":\"verdict\"", "bad_parameter"},
		{"/api/v1/violations?=1", "bad_parameter", NULL},
	};
	struct reply r;

	for (size_t i = 0; i < SW_ARRAY_SIZE(cases); i++) {
		request(x->port, "GET", cases[i].target, NULL, NULL, &r);
		if (r.status != 400 || strstr(r.body, cases[i].needle) == NULL ||
		    (cases[i].needle2 && strstr(r.body, cases[i].needle2) == NULL))
			fail_msg("%s: %d %s", cases[i].target, r.status, r.body);
		assert_non_null(strstr(r.body, "\"status\":400"));
		done(&r);
	}
	/* SQL metacharacters are plain values */
	expect(x->port, "GET", "/api/v1/violations?src=%27%20OR%201%3D1--", NULL, NULL, 200,
	       "\"items\":[]");
	expect(x->port, "GET", "/api/v1/violations?src=shop%2Fweb", NULL, NULL, 200, "shop/db");
	/* a percent-encoded path is no route */
	expect(x->port, "GET", "/api/v1/violations/%31", NULL, NULL, 404, NULL);
}

/* Without a token reads are open, writes refused. */
static void test_no_token(void **state)
{
	struct wfx *x = *state;
	struct reply r;

	request(x->port, "POST", "/api/v1/violations/1/ack", NULL, NULL, &r);
	assert_int_equal(r.status, 401);
	assert_non_null(strstr(r.body, "writes need --api-token-file"));
	assert_header(&r, "WWW-Authenticate", "Bearer");
	done(&r);
	expect(x->port, "GET", "/api/v1/violations/1", NULL, NULL, 200, "\"state\":\"open\"");
}

static void test_token(void **state)
{
	struct wfx *x = *state;
	const char *good = "Authorization: Bearer " TOKEN "\r\n";
	struct reply r;

	request(x->port, "GET", "/api/v1/violations", NULL, NULL, &r);
	assert_int_equal(r.status, 401);
	assert_header(&r, "WWW-Authenticate", "Bearer");
	assert_non_null(strstr(r.body, "\"unauthorized\""));
	done(&r);
	expect(x->port, "GET", "/api/v1/violations",
	       "Authorization: Bearer 0123456789abcdef-test-tokeX\r\n", NULL, 401, NULL);
	expect(x->port, "GET", "/api/v1/violations", "Authorization: Bearer " TOKEN "x\r\n",
	       NULL, 401, NULL);
	expect(x->port, "GET", "/api/v1/violations", "Authorization: Basic abc\r\n", NULL, 401,
	       NULL);
	expect(x->port, "GET", "/api/v1/stream", NULL, NULL, 401, NULL);
	expect(x->port, "GET", "/api/v1/violations", good, NULL, 200, "\"items\"");
	/* no token needed */
	expect(x->port, "GET", "/healthz", NULL, NULL, 200, "\"ok\"");
	expect(x->port, "GET", "/metrics", NULL, NULL, 200, "segwatch_http_requests_total");
	expect(x->port, "GET", "/", NULL, NULL, 200, NULL);
	/* writes */
	expect(x->port, "POST", "/api/v1/violations/1/ack", NULL, "{\"by\":\"alice\"}", 401,
	       NULL);
	expect(x->port, "POST", "/api/v1/violations/1/ack", good, "{\"by\":\"alice\"}", 200,
	       "\"state\":\"acknowledged\"");
	expect(x->port, "POST", "/api/v1/violations/1/resolve", good, NULL, 200,
	       "\"state\":\"resolved\"");
	expect(x->port, "POST", "/api/v1/violations/1/ack", good, NULL, 409, "\"conflict\"");
	expect(x->port, "POST", "/api/v1/violations/1/reopen", good, "", 200,
	       "\"state\":\"open\"");
	expect(x->port, "POST", "/api/v1/violations/77/ack", good, NULL, 404, NULL);
	expect(x->port, "POST", "/api/v1/violations/2/ack", good, "[1]", 400, NULL);
	expect(x->port, "POST", "/api/v1/violations/2/ack", good, "{\"who\":\"x\"}", 400,
	       "\"parameter\":\"who\"");
	/* the cache sees the write */
	expect(x->port, "GET", "/api/v1/violations?state=acknowledged", good, NULL, 200,
	       "\"items\":[]");
	expect(x->port, "POST", "/api/v1/violations/2/ack", good, NULL, 200, "acknowledged");
	expect(x->port, "GET", "/api/v1/violations?state=acknowledged", good, NULL, 200,
	       "bank/core");
}

static void test_too_large(void **state)
{
	struct wfx *x = *state;
	char *big = malloc(20001);
	struct reply r;

	memset(big, ' ', 20000);
	big[20000] = '\0';
	request(x->port, "POST", "/api/v1/violations/1/ack", NULL, big, &r);
	assert_int_equal(r.status, 413);
	assert_non_null(strstr(r.body, "\"payload_too_large\""));
	done(&r);
	free(big);
}

/* The cache: an identical query twice gives identical bytes; an insert
 * shows at once. */
static void test_cache(void **state)
{
	struct wfx *x = *state;
	struct reply a, b;
	struct sw_web_stats st;

	request(x->port, "GET", "/api/v1/violations?limit=10", NULL, NULL, &a);
	request(x->port, "GET", "/api/v1/violations?limit=10", NULL, NULL, &b);
	assert_int_equal(a.status, 200);
	assert_string_equal(a.body, b.body);
	assert_null(strstr(a.body, "shop/new"));
	done(&a);
	done(&b);
	insert_violation(x->db, 50, "shop/new", "shop/db", 80);
	expect(x->port, "GET", "/api/v1/violations?limit=10", NULL, NULL, 200, "shop/new");
	sw_web_stats(x->w, &st);
	assert_true(st.requests >= 3);
}

/* ---- the event stream ---- */

/* Reads from fd until needle appears or 5 s pass; returns the text. */
static char *read_until(int fd, const char *needle)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = calloc(1, cap + 1);
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t n;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (strstr(buf, needle) != NULL || t.tv_sec - t0.tv_sec > 5 || len == cap)
			break;
		if (poll(&p, 1, 200) <= 0)
			continue;
		n = recv(fd, buf + len, cap - len, 0);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
	}
	return buf;
}

static int open_stream(uint16_t port, const char *last_id)
{
	char req[512];
	int fd = connect_to(port);
	int n = snprintf(req, sizeof(req), "GET /api/v1/stream HTTP/1.1\r\nHost: x\r\n"
	                 "Accept: text/event-stream\r\n%s%s%s\r\n",
	                 last_id ? "Last-Event-ID: " : "", last_id ? last_id : "",
	                 last_id ? "\r\n" : "");
	send_all(fd, req, (size_t)n);
	return fd;
}

static void test_stream(void **state)
{
	struct wfx *x = *state;
	int fds[24];
	char *text;
	int fd;

	/* 24 idle streams must not starve the other requests */
	for (size_t i = 0; i < SW_ARRAY_SIZE(fds); i++)
		fds[i] = open_stream(x->port, NULL);
	fd = open_stream(x->port, NULL);
	text = read_until(fd, "retry: 2000");
	assert_non_null(strstr(text, "text/event-stream"));
	assert_non_null(strstr(text, "retry: 2000"));
	free(text);
	expect(x->port, "GET", "/api/v1/violations", NULL, NULL, 200, "\"items\"");
	insert_violation(x->db, 60, "shop/late", "shop/db", 9000);
	text = read_until(fd, "shop/late");
	assert_non_null(strstr(text, "event: violation"));
	assert_non_null(strstr(text, "id: 60:0"));
	assert_null(strstr(text, "shop/web")); /* rows from before are not sent */
	free(text);
	close(fd);
	/* resuming after violation 2 */
	fd = open_stream(x->port, "2:0");
	text = read_until(fd, "shop/late");
	assert_non_null(strstr(text, "id: 3:0"));
	assert_non_null(strstr(text, "id: 60:0"));
	assert_null(strstr(text, "id: 1:0"));
	assert_null(strstr(text, "id: 2:0"));
	free(text);
	close(fd);
	fd = open_stream(x->port, "garbage");
	text = read_until(fd, "Last-Event-ID");
	assert_non_null(strstr(text, "400"));
	free(text);
	close(fd);
	for (size_t i = 0; i < SW_ARRAY_SIZE(fds); i++)
		close(fds[i]);
}

/* The keepalive comment comes at half the connection timeout when that is
 * under 30 s, so a quiet stream is never timed out. */
static void test_keepalive(void **state)
{
	struct wfx *x = *state;
	struct sw_web_config cfg;
	struct sw_err err;
	struct sw_web *w;
	char *text;
	int fd;

	memset(&cfg, 0, sizeof(cfg));
	cfg.db_path = x->db;
	cfg.listen = "127.0.0.1:0";
	cfg.connection_timeout_s = 2;
	w = sw_web_start(&cfg, &err);
	if (w == NULL)
		fail_msg("%s", err.msg);
	fd = open_stream(sw_web_port(w), NULL);
	text = read_until(fd, ": keepalive");
	assert_non_null(strstr(text, ": keepalive\n\n"));
	free(text);
	text = read_until(fd, ": keepalive"); /* still open after the timeout */
	assert_non_null(strstr(text, ": keepalive"));
	free(text);
	close(fd);
	sw_web_stop(w);
}

/* ---- run mode: live statistics ---- */

static void fake_live(void *ctx, struct sw_web_live *out)
{
	(void)ctx;
	out->packets = 4242;
	out->frames = 4300;
	out->drops[SW_DROP_NON_IP] = 58;
	out->flows_active = 7;
	out->denied_flows[SW_REASON_DENIED_EGRESS] = 9;
	out->anomalies[2] = 3;
}

static void test_live(void **state)
{
	struct wfx *x = *state;
	struct sw_web_config cfg;
	struct sw_err err;
	struct sw_web *w;
	uint16_t port;

	memset(&cfg, 0, sizeof(cfg));
	cfg.db_path = x->db;
	cfg.listen = "127.0.0.1:0";
	cfg.live = fake_live;
	w = sw_web_start(&cfg, &err);
	if (w == NULL)
		fail_msg("%s", err.msg);
	port = sw_web_port(w);
	expect(port, "GET", "/api/v1/stats", NULL, NULL, 200, "\"live\":true");
	expect(port, "GET", "/api/v1/stats", NULL, NULL, 200, "\"packets\":4242");
	expect(port, "GET", "/api/v1/stats", NULL, NULL, 200, "\"drops_by_reason\":{\"non_ip\":58}");
	expect(port, "GET", "/metrics", NULL, NULL, 200, "segwatch_packets_total 4242\n");
	expect(port, "GET", "/metrics", NULL, NULL, 200,
	       "segwatch_violation_flows_total{reason=\"denied_egress\"} 9\n");
	expect(port, "GET", "/metrics", NULL, NULL, 200,
	       "segwatch_anomalies_total{kind=\"new_external\"} 3\n");
	expect(port, "GET", "/metrics", NULL, NULL, 200,
	       "segwatch_violations{reason=\"denied_ingress\"} 3\n");
	expect(port, "GET", "/metrics", NULL, NULL, 200,
	       "segwatch_http_requests_total{route=\"/api/v1/stats\",code=\"200\"} 3\n");
	sw_web_stop(w);
}

/* ---- opening ---- */

static void test_open_errors(void **state)
{
	struct wfx *x = *state;
	struct sw_web_config cfg;
	struct sw_err err;
	char addr[64];

	memset(&cfg, 0, sizeof(cfg));
	cfg.db_path = x->db;
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", x->port);
	cfg.listen = addr;
	assert_null(sw_web_open(&cfg, &err));
	assert_int_equal(err.status, SW_ERR_IO);
	assert_non_null(strstr(err.msg, "cannot listen on 127.0.0.1:"));
	assert_non_null(strstr(err.msg, "Address already in use"));
	cfg.listen = "localhost:80";
	assert_null(sw_web_open(&cfg, &err));
	assert_int_equal(err.status, SW_ERR_INVALID);
	cfg.listen = "::1:80";
	assert_null(sw_web_open(&cfg, &err));
	assert_int_equal(err.status, SW_ERR_INVALID);
	cfg.listen = "127.0.0.1:70000";
	assert_null(sw_web_open(&cfg, &err));
	assert_int_equal(err.status, SW_ERR_INVALID);
	cfg.listen = "127.0.0.1:0";
	cfg.token = "short";
	assert_null(sw_web_open(&cfg, &err));
	assert_int_equal(err.status, SW_ERR_INVALID);
	cfg.token = NULL;
	cfg.tls_cert_file = "/nonexistent.pem";
	assert_null(sw_web_open(&cfg, &err));
	assert_int_equal(err.status, SW_ERR_INVALID);
	cfg.tls_cert_file = NULL;
	cfg.db_path = "/nonexistent/segwatch.db";
	assert_null(sw_web_open(&cfg, &err));
	assert_int_equal(err.status, SW_ERR_NOTFOUND);
	sw_web_stop(NULL);
}

static void test_ipv6(void **state)
{
	struct wfx *x = *state;
	struct sw_web_config cfg;
	struct sw_err err;
	struct sw_web *w;

	memset(&cfg, 0, sizeof(cfg));
	cfg.db_path = x->db;
	cfg.listen = "[::1]:0";
	w = sw_web_start(&cfg, &err);
	if (w == NULL) {
		/* no IPv6 on this host */
		assert_true(err.status == SW_ERR_IO);
		return;
	}
	assert_true(sw_web_port(w) != 0);
	sw_web_stop(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_routes, setup_open, teardown),
		cmocka_unit_test_setup_teardown(test_methods, setup_open, teardown),
		cmocka_unit_test_setup_teardown(test_headers, setup_open, teardown),
		cmocka_unit_test_setup_teardown(test_parameters, setup_open, teardown),
		cmocka_unit_test_setup_teardown(test_no_token, setup_open, teardown),
		cmocka_unit_test_setup_teardown(test_token, setup_token, teardown),
		cmocka_unit_test_setup_teardown(test_too_large, setup_token, teardown),
		cmocka_unit_test_setup_teardown(test_cache, setup_open, teardown),
		cmocka_unit_test_setup_teardown(test_stream, setup_open, teardown),
		cmocka_unit_test_setup_teardown(test_keepalive, setup_db, teardown),
		cmocka_unit_test_setup_teardown(test_live, setup_db, teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup_open, teardown),
		cmocka_unit_test_setup_teardown(test_ipv6, setup_open, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
