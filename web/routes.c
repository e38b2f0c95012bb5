/*
 * routes.c - the route table of the web API and the strict checks of the
 * raw request target: exact paths, {id} a positive decimal without leading
 * zeros, well-formed percent-encoding and no repeated query parameter.
 */
#include <stdlib.h>
#include <string.h>

#include "segwatch/textparse.h"
#include "web_int.h"

/* Order matters only for the metrics labels. */
const struct web_route web_routes[] = {
	{"/healthz", WK_HEALTHZ, false, SW_Q_HEALTH, NULL, NULL, "/healthz"},
	{"/metrics", WK_METRICS, false, SW_Q_STATS_DB, NULL, NULL, "/metrics"},
	{"/api/v1/violations", WK_LIST, false, SW_Q_VIOLATIONS, NULL, NULL,
	 "/api/v1/violations"},
	{"/api/v1/violations/{id}", WK_ITEM, false, SW_Q_VIOLATION, NULL, NULL,
	 "/api/v1/violations/{id}"},
	{"/api/v1/violations/{id}/ack", WK_ACTION, true, 0, "violations", "ack",
	 "/api/v1/violations/{id}/ack"},
	{"/api/v1/violations/{id}/resolve", WK_ACTION, true, 0, "violations", "resolve",
	 "/api/v1/violations/{id}/resolve"},
	{"/api/v1/violations/{id}/reopen", WK_ACTION, true, 0, "violations", "reopen",
	 "/api/v1/violations/{id}/reopen"},
	{"/api/v1/flows", WK_LIST, false, SW_Q_FLOWS, NULL, NULL, "/api/v1/flows"},
	{"/api/v1/edges", WK_LIST, false, SW_Q_EDGES, NULL, NULL, "/api/v1/edges"},
	{"/api/v1/anomalies", WK_LIST, false, SW_Q_ANOMALIES, NULL, NULL, "/api/v1/anomalies"},
	{"/api/v1/anomalies/{id}/ack", WK_ACTION, true, 0, "anomalies", "ack",
	 "/api/v1/anomalies/{id}/ack"},
	{"/api/v1/anomalies/{id}/resolve", WK_ACTION, true, 0, "anomalies", "resolve",
	 "/api/v1/anomalies/{id}/resolve"},
	{"/api/v1/anomalies/{id}/accept", WK_ACTION, true, 0, "anomalies", "accept",
	 "/api/v1/anomalies/{id}/accept"},
	{"/api/v1/baseline", WK_LIST, false, SW_Q_BASELINE, NULL, NULL, "/api/v1/baseline"},
	{"/api/v1/policies", WK_LIST, false, SW_Q_POLICIES, NULL, NULL, "/api/v1/policies"},
	{"/api/v1/endpoints", WK_LIST, false, SW_Q_ENDPOINTS, NULL, NULL, "/api/v1/endpoints"},
	{"/api/v1/runs", WK_LIST, false, SW_Q_RUNS, NULL, NULL, "/api/v1/runs"},
	{"/api/v1/stats", WK_LIST, false, SW_Q_STATS_DB, NULL, NULL, "/api/v1/stats"},
	{"/api/v1/stream", WK_STREAM, false, 0, NULL, NULL, "/api/v1/stream"},
	{"/", WK_ASSET, false, 0, NULL, NULL, "/"},
	{"/assets/{name}", WK_ASSET, false, 0, NULL, NULL, "/assets"},
};
const size_t web_routes_count = SW_ARRAY_SIZE(web_routes);

/* A strict id: 1..2^63-1, digits only, no leading zero. */
static bool id_ok(const char *s, size_t n, int64_t *id)
{
	uint64_t v;

	if (n == 0 || n > 19 || s[0] == '0' || sw_parse_u64(s, n, 1, INT64_MAX, &v) != SW_OK)
		return false;
	*id = (int64_t)v;
	return true;
}

/* An asset name: [A-Za-z0-9._-], not starting with a dot. */
static bool name_ok(const char *s, size_t n)
{
	if (n == 0 || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

/* Matches path against pattern segment by segment. */
static bool match(const char *pat, const char *path, size_t len, int64_t *id)
{
	const char *end = path + len;

	*id = 0;
	while (*pat != '\0') {
		if (pat[0] == '{') {
			const char *close = strchr(pat, '}');
			const char *seg_end = memchr(path, '/', (size_t)(end - path));
			size_t n;
			if (seg_end == NULL)
				seg_end = end;
			n = (size_t)(seg_end - path);
			if (strncmp(pat, "{id}", 4) == 0 ? !id_ok(path, n, id) : !name_ok(path, n))
				return false;
			path = seg_end;
			pat = close + 1;
			continue;
		}
		if (path == end || *path != *pat)
			return false;
		path++;
		pat++;
	}
	return path == end;
}

enum sw_status web_route_find(const char *path, size_t path_len, const char *method,
                              size_t *route, int64_t *id, const char **allow)
{
	bool is_post = strcmp(method, "POST") == 0;
	bool is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;

	for (size_t i = 0; i < web_routes_count; i++) {
		if (!match(web_routes[i].pattern, path, path_len, id))
			continue;
		*route = i;
		*allow = web_routes[i].post ? "POST" : "GET, HEAD";
		if (web_routes[i].post ? is_post : is_get)
			return SW_OK;
		return SW_ERR_INVALID;
	}
	*route = WEB_ROUTE_NONE;
	return SW_ERR_NOTFOUND;
}

/* ---- the query string ---- */

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

bool web_path_encoding_ok(const char *path, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (path[i] != '%')
			continue;
		if (i + 2 >= len || hexval(path[i + 1]) < 0 || hexval(path[i + 2]) < 0 ||
		    (path[i + 1] == '0' && path[i + 2] == '0'))
			return false;
		i += 2;
	}
	return true;
}

/* Decodes n bytes of s ('+' is a space) into a malloc'd string; *bad is
 * set (and decoding goes on, keeping the bad bytes) on a malformed escape
 * or a decoded NUL. */
static char *decode(const char *s, size_t n, bool *bad)
{
	char *out = malloc(n + 1);
	size_t o = 0;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (s[i] == '+') {
			out[o++] = ' ';
			continue;
		}
		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		hi = i + 2 < n ? hexval(s[i + 1]) : -1;
		lo = i + 2 < n ? hexval(s[i + 2]) : -1;
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
			*bad = true;
			out[o++] = s[i];
			continue;
		}
		out[o++] = (char)(hi * 16 + lo);
		i += 2;
	}
	out[o] = '\0';
	return out;
}

/* Fills err and *param for a failure about name. */
static enum sw_status query_fail(char *name, char **param, struct sw_err *err,
                                 const char *why)
{
	sw_err_set(err, SW_ERR_INVALID, NULL, 0, 0, "%s: %s", name, why);
	*param = name;
	return SW_ERR_INVALID;
}

enum sw_status web_query_check(const char *query, size_t *n_params, char **param,
                               struct sw_err *err)
{
	char *names[WEB_MAX_PARAMS];
	size_t n = 0;
	enum sw_status st = SW_OK;
	const char *p = query;

	*param = NULL;
	*n_params = 0;
	while (p != NULL && *p != '\0' && st == SW_OK) {
		size_t len, name_len;
		const char *next = sw_split(p, '&', &len);
		const char *eq = memchr(p, '=', len);
		bool bad = false;
		char *name, *value;

		name_len = eq ? (size_t)(eq - p) : len;
		name = decode(p, name_len, &bad);
		value = eq ? decode(eq + 1, len - name_len - 1, &bad) : NULL;
		if (name == NULL || (eq != NULL && value == NULL)) {
			free(name);
			free(value);
			st = sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
			break;
		}
		free(value);
		if (len == 0 || name[0] == '\0') {
			st = query_fail(name, param, err, "empty parameter name");
		} else if (bad) {
			st = query_fail(name, param, err, "malformed percent-encoding");
		} else if (n == WEB_MAX_PARAMS) {
			st = query_fail(name, param, err, "too many parameters");
		} else {
			for (size_t i = 0; i < n && st == SW_OK; i++)
				if (strcmp(names[i], name) == 0)
					st = query_fail(name, param, err, "given more than once");
			if (st == SW_OK)
				names[n++] = name;
		}
		p = next;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	*n_params = n;
	return st;
}
