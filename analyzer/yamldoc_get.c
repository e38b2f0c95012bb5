/*
 * yamldoc_get.c - walking a yamldoc tree (see include/segwatch/yamldoc.h):
 * map and sequence access, node descriptions for messages, source hashes,
 * and the typed getters whose errors say file:line:column, what was
 * expected and what was found.
 */
#include "segwatch/yamldoc.h"
#include "segwatch/textparse.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define DESCRIBE_MAX 40 /* characters of a scalar quoted in messages */

static uint64_t fnv1a(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static bool is_one_of(const char *s, const char *const *list)
{
	for (; *list != NULL; list++) {
		if (strcmp(s, *list) == 0)
			return true;
	}
	return false;
}

/* ---- walking ---- */

bool sw_ynode_is_null(const struct sw_ynode *n)
{
	return n == NULL || (n->type == SW_Y_SCALAR && n->kind == SW_YK_NULL);
}

bool sw_ynode_is_map(const struct sw_ynode *n)
{
	return n != NULL && n->type == SW_Y_MAP;
}

bool sw_ynode_is_seq(const struct sw_ynode *n)
{
	return n != NULL && n->type == SW_Y_SEQ;
}

bool sw_ynode_is_scalar(const struct sw_ynode *n)
{
	return n != NULL && n->type == SW_Y_SCALAR;
}

const struct sw_ynode *sw_ymap_get(const struct sw_ynode *map, const char *key)
{
	size_t klen;

	if (map == NULL || map->type != SW_Y_MAP)
		return NULL;
	klen = strlen(key);
	for (size_t i = 0; i < map->n; i++) {
		const struct sw_ynode *k = map->kids[2 * i];
		if (k->type == SW_Y_SCALAR && k->len == klen && memcmp(k->str, key, klen) == 0)
			return map->kids[2 * i + 1];
	}
	return NULL;
}

const struct sw_ynode *sw_ymap_key(const struct sw_ynode *map, size_t i)
{
	return map->kids[2 * i];
}

const struct sw_ynode *sw_ymap_value(const struct sw_ynode *map, size_t i)
{
	return map->kids[2 * i + 1];
}

const struct sw_ynode *sw_yseq_item(const struct sw_ynode *seq, size_t i)
{
	return seq->kids[i];
}

const char *sw_ydescribe(const struct sw_ynode *n, char *buf, size_t len)
{
	size_t o = 0, i;

	if (len == 0)
		return buf;
	if (sw_ynode_is_null(n)) {
		snprintf(buf, len, "null");
		return buf;
	}
	if (n->type != SW_Y_SCALAR) {
		snprintf(buf, len, "%s", n->type == SW_Y_MAP ? "a map" : "a sequence");
		return buf;
	}
	if (n->kind != SW_YK_STR) {
		snprintf(buf, len, "%.*s", DESCRIBE_MAX, n->str);
		return buf;
	}
	/* quoted, with control characters escaped, truncated */
	if (len < 8) {
		buf[0] = '\0';
		return buf;
	}
	buf[o++] = '"';
	for (i = 0; i < n->len && i < DESCRIBE_MAX && o + 6 < len; i++) {
		unsigned char c = (unsigned char)n->str[i];
		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			o += (size_t)snprintf(buf + o, len - o, c == '"' || c == '\\' ? "\\%c" : "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	if (i < n->len && o + 5 < len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

void sw_ynode_hash(const struct sw_ydoc *doc, const struct sw_ynode *n, char hex[17])
{
	size_t start = n->start < doc->text_len ? n->start : doc->text_len;
	size_t end = n->end < doc->text_len ? n->end : doc->text_len;

	if (end < start)
		end = start;
	snprintf(hex, 17, "%016llx", (unsigned long long)fnv1a(doc->text + start, end - start));
}

/* ---- errors and typed getters ---- */

static enum sw_status verror(const struct sw_ydoc *doc, const struct sw_ynode *n,
                             struct sw_err *err, enum sw_status status, const char *fmt,
                             va_list ap) SW_PRINTF(5, 0);

static enum sw_status verror(const struct sw_ydoc *doc, const struct sw_ynode *n,
                             struct sw_err *err, enum sw_status status, const char *fmt,
                             va_list ap)
{
	char msg[SW_ERR_MSG_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	return sw_err_set(err, status, doc ? doc->file : NULL, n ? n->line : 0,
	                  n ? n->column : 0, "%s", msg);
}

enum sw_status sw_yerror(const struct sw_ydoc *doc, const struct sw_ynode *n,
                         struct sw_err *err, enum sw_status status, const char *fmt, ...)
{
	va_list ap;
	enum sw_status st;

	va_start(ap, fmt);
	st = verror(doc, n, err, status, fmt, ap);
	va_end(ap);
	return st;
}

void sw_ywarn(const struct sw_ydoc *doc, const struct sw_ynode *n, sw_warn_fn warn,
              void *warn_ctx, const char *fmt, ...)
{
	struct sw_err w;
	va_list ap;

	if (warn == NULL)
		return;
	va_start(ap, fmt);
	(void)verror(doc, n, &w, SW_OK, fmt, ap);
	va_end(ap);
	warn(warn_ctx, &w);
}

void sw_ywarn_unknown(const struct sw_ydoc *doc, const struct sw_ynode *map,
                      const char *const *known, const char *where, sw_warn_fn warn,
                      void *warn_ctx)
{
	char d[64];

	if (map == NULL || map->type != SW_Y_MAP || warn == NULL)
		return;
	for (size_t i = 0; i < map->n; i++) {
		const struct sw_ynode *k = map->kids[2 * i];
		bool found = false;
		for (const char *const *kn = known; *kn != NULL && !found; kn++)
			found = k->type == SW_Y_SCALAR && strcmp(k->str, *kn) == 0;
		if (!found)
			sw_ywarn(doc, k, warn, warn_ctx, "unknown field %s in %s (ignored)",
			         k->type == SW_Y_SCALAR ? sw_ydescribe(k, d, sizeof(d)) : "(complex key)",
			         where);
	}
}

static enum sw_status expected(const struct sw_ydoc *doc, const struct sw_ynode *n,
                               const char *what, struct sw_err *err)
{
	char d[64];

	return sw_yerror(doc, n, err, SW_ERR_PARSE, "expected %s, got %s", what,
	                 sw_ydescribe(n, d, sizeof(d)));
}

enum sw_status sw_yexpect_map(const struct sw_ydoc *doc, const struct sw_ynode *n,
                              const char *what, struct sw_err *err)
{
	return sw_ynode_is_map(n) ? SW_OK : expected(doc, n, what, err);
}

enum sw_status sw_yexpect_seq(const struct sw_ydoc *doc, const struct sw_ynode *n,
                              const char *what, struct sw_err *err)
{
	return sw_ynode_is_seq(n) ? SW_OK : expected(doc, n, what, err);
}

enum sw_status sw_yget_str(const struct sw_ydoc *doc, const struct sw_ynode *n,
                           bool strict, const char *what, const char **out,
                           struct sw_err *err)
{
	if (!sw_ynode_is_scalar(n) || n->kind == SW_YK_NULL ||
	    (strict && n->kind != SW_YK_STR))
		return expected(doc, n, what, err);
	if (memchr(n->str, '\0', n->len) != NULL)
		return sw_yerror(doc, n, err, SW_ERR_PARSE, "expected %s, got text with a NUL byte",
		                 what);
	*out = n->str;
	return SW_OK;
}

enum sw_status sw_yget_uint(const struct sw_ydoc *doc, const struct sw_ynode *n,
                            uint64_t min, uint64_t max, const char *what,
                            uint64_t *out, struct sw_err *err)
{
	uint64_t v;

	if (!sw_ynode_is_scalar(n) || n->kind != SW_YK_INT ||
	    sw_parse_u64(n->str, n->len, min, max, &v) != SW_OK)
		return expected(doc, n, what, err);
	*out = v;
	return SW_OK;
}

enum sw_status sw_yget_bool(const struct sw_ydoc *doc, const struct sw_ynode *n,
                            const char *what, bool *out, struct sw_err *err)
{
	static const char *const yes[] = {"y", "Y", "yes", "Yes", "YES", "true", "True",
	                                  "TRUE", "on", "On", "ON", NULL};

	if (!sw_ynode_is_scalar(n) || n->kind != SW_YK_BOOL)
		return expected(doc, n, what, err);
	*out = is_one_of(n->str, yes);
	return SW_OK;
}

/* The map lacks key, or is not a map at all. */
static enum sw_status missing(const struct sw_ydoc *doc, const struct sw_ynode *map,
                              const char *key, const char *what, struct sw_err *err)
{
	char d[64];

	if (!sw_ynode_is_map(map))
		return sw_yerror(doc, map, err, SW_ERR_PARSE, "expected a map with field \"%s\", got %s",
		                 key, sw_ydescribe(map, d, sizeof(d)));
	return sw_yerror(doc, map, err, SW_ERR_PARSE, "missing field \"%s\" (expected %s)", key,
	                 what);
}

enum sw_status sw_yget_field_str(const struct sw_ydoc *doc, const struct sw_ynode *map,
                                 const char *key, bool strict, const char *what,
                                 const char **out, struct sw_err *err)
{
	const struct sw_ynode *v = sw_ymap_get(map, key);

	if (v == NULL)
		return missing(doc, map, key, what, err);
	return sw_yget_str(doc, v, strict, what, out, err);
}

enum sw_status sw_yget_field_uint(const struct sw_ydoc *doc, const struct sw_ynode *map,
                                  const char *key, uint64_t min, uint64_t max,
                                  const char *what, uint64_t *out, struct sw_err *err)
{
	const struct sw_ynode *v = sw_ymap_get(map, key);

	if (v == NULL)
		return missing(doc, map, key, what, err);
	return sw_yget_uint(doc, v, min, max, what, out, err);
}
