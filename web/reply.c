/*
 * reply.c - every response of the web server goes through here: the
 * security headers, the JSON error bodies of the contract
 * ({"error": {status, code, parameter?, message}}), and the counting of
 * each answer by route and status.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web_int.h"

void web_headers(struct MHD_Response *r, bool api)
{
	MHD_add_response_header(r, "Content-Security-Policy",
	                        "default-src 'self'; frame-ancestors 'none'");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	if (api)
		MHD_add_response_header(r, "Cache-Control", "no-store");
}

/* Routes under /api, /healthz and /metrics are not cached by clients. */
static bool is_api(size_t route)
{
	return route == WEB_ROUTE_NONE || web_routes[route].kind != WK_ASSET;
}

enum MHD_Result web_queue(struct sw_web *w, struct MHD_Connection *c, struct web_req *q,
                          unsigned status, struct MHD_Response *r)
{
	if (!q->counted) {
		web_metrics_count(w->metrics, q->route, status);
		q->counted = true;
	}
	return MHD_queue_response(c, status, r);
}

enum MHD_Result web_send(struct sw_web *w, struct MHD_Connection *c, struct web_req *q,
                         unsigned status, const char *type, char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(body ? len : 0, body,
	                                    body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	if (type != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	web_headers(r, is_api(q->route));
	ret = web_queue(w, c, q, status, r);
	MHD_destroy_response(r);
	return ret;
}

static const char *code_of(unsigned status)
{
	switch (status) {
	case 400: return "bad_parameter";
	case 401: return "unauthorized";
	case 404: return "not_found";
	case 405: return "method_not_allowed";
	case 409: return "conflict";
	case 413: return "payload_too_large";
	case 503: return "unavailable";
	}
	return "internal";
}

/* The error body (malloc'd) or NULL. */
static char *error_json(unsigned status, const char *code, const char *param,
                        const char *msg, size_t *len)
{
	json_t *o = json_pack("{s:{s:i, s:s, s:s}}", "error", "status", (int)status, "code",
	                      code ? code : code_of(status), "message", msg);
	char *text;

	if (o == NULL)
		return NULL;
	if (param != NULL)
		json_object_set_new(json_object_get(o, "error"), "parameter", json_string(param));
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	*len = text ? strlen(text) : 0;
	return text;
}

static enum MHD_Result send_error_v(struct sw_web *w, struct MHD_Connection *c,
                                    struct web_req *q, unsigned status, const char *code,
                                    const char *param, const char *allow, const char *fmt,
                                    va_list ap)
{
	char msg[SW_ERR_MSG_MAX];
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t len = 0;
	char *body;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	body = error_json(status, code, param, msg, &len);
	r = MHD_create_response_from_buffer(body ? len : 0, body,
	                                    body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	web_headers(r, true);
	if (status == 401)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
	if (allow != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	ret = web_queue(w, c, q, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_error_v_wrap(struct sw_web *w, struct MHD_Connection *c,
                                         struct web_req *q, const char *code,
                                         const char *param, const char *fmt, ...)
	SW_PRINTF(6, 7);

static enum MHD_Result send_error_v_wrap(struct sw_web *w, struct MHD_Connection *c,
                                         struct web_req *q, const char *code,
                                         const char *param, const char *fmt, ...)
{
	enum MHD_Result ret;
	va_list ap;

	va_start(ap, fmt);
	ret = send_error_v(w, c, q, 400, code, param, NULL, fmt, ap);
	va_end(ap);
	return ret;
}

enum MHD_Result web_send_error(struct sw_web *w, struct MHD_Connection *c,
                               struct web_req *q, unsigned status, const char *param,
                               const char *fmt, ...)
{
	enum MHD_Result ret;
	va_list ap;

	va_start(ap, fmt);
	ret = send_error_v(w, c, q, status, NULL, param, NULL, fmt, ap);
	va_end(ap);
	return ret;
}

static enum MHD_Result send_405(struct sw_web *w, struct MHD_Connection *c,
                                struct web_req *q, const char *allow, const char *fmt, ...)
	SW_PRINTF(5, 6);

static enum MHD_Result send_405(struct sw_web *w, struct MHD_Connection *c,
                                struct web_req *q, const char *allow, const char *fmt, ...)
{
	enum MHD_Result ret;
	va_list ap;

	va_start(ap, fmt);
	ret = send_error_v(w, c, q, 405, NULL, NULL, allow, fmt, ap);
	va_end(ap);
	return ret;
}

enum MHD_Result web_send_405(struct sw_web *w, struct MHD_Connection *c, struct web_req *q,
                             const char *allow)
{
	return send_405(w, c, q, allow, "method not allowed: use %s", allow);
}

enum MHD_Result web_send_param_error(struct sw_web *w, struct MHD_Connection *c,
                                     struct web_req *q, bool unknown, const char *param,
                                     const char *msg)
{
	return send_error_v_wrap(w, c, q, unknown ? "unknown_parameter" : "bad_parameter",
	                         param, "%s", msg);
}

unsigned web_status_of(enum sw_status st)
{
	switch (st) {
	case SW_OK: return 200;
	case SW_ERR_INVALID:
	case SW_ERR_PARSE: return 400;
	case SW_ERR_NOTFOUND: return 404;
	case SW_ERR_LIMIT: return 413;
	case SW_ERR_BUSY:
	case SW_ERR_IO:
	case SW_ERR_UNSUPPORTED: return 503;
	default: return 500;
	}
}
