/*
 * lint_output.c - writes a lint report as text (one finding per line, then
 * a summary line) or as one JSON object, keeping the findings at or above a
 * minimum severity.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "segwatch/lint.h"

struct counts {
	size_t sev[3];
	size_t shown;
	size_t hidden;
};

static void count(const struct sw_lint_report *r, enum sw_lint_severity min, struct counts *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < sw_lint_count(r); i++) {
		const struct sw_lint_finding *f = sw_lint_get(r, i);
		if (f->severity < min) {
			c->hidden++;
			continue;
		}
		c->shown++;
		if ((unsigned)f->severity < 3)
			c->sev[f->severity]++;
	}
}

static int write_summary(const struct counts *c, enum sw_lint_severity min, FILE *f)
{
	int n = fprintf(f, "%zu finding%s", c->shown, c->shown == 1 ? "" : "s");
	const char *sep = " (";

	for (int s = SW_LINT_HIGH; n >= 0 && s >= (int)min; s--) {
		if (c->sev[s] == 0)
			continue;
		n = fprintf(f, "%s%zu %s", sep, c->sev[s], sw_lint_severity_name((enum sw_lint_severity)s));
		sep = ", ";
	}
	if (n >= 0 && sep[0] == ',')
		n = fprintf(f, ")");
	if (n >= 0 && min > SW_LINT_INFO)
		n = fprintf(f, " at or above %s", sw_lint_severity_name(min));
	if (n >= 0 && c->hidden > 0)
		n = fprintf(f, "; %zu below %s not shown", c->hidden, sw_lint_severity_name(min));
	if (n >= 0)
		n = fprintf(f, "\n");
	return n;
}

enum sw_status sw_lint_write_text(const struct sw_lint_report *r, enum sw_lint_severity min,
                                  FILE *f)
{
	struct counts c;

	for (size_t i = 0; i < sw_lint_count(r); i++) {
		const struct sw_lint_finding *x = sw_lint_get(r, i);
		if (x->severity < min)
			continue;
		if (fprintf(f, "%s:%u: %s %s: %s\n", x->file[0] ? x->file : "-", x->line,
		            sw_lint_severity_name(x->severity), x->id, x->message) < 0)
			return SW_ERR_IO;
	}
	count(r, min, &c);
	if (write_summary(&c, min, f) < 0 || fflush(f) != 0)
		return SW_ERR_IO;
	return SW_OK;
}

/* ---- JSON ---- */

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *index_or_null(long i)
{
	return i >= 0 ? json_integer(i) : json_null();
}

static json_t *related_json(const struct sw_lint_related *r)
{
	if (r->policy == NULL)
		return json_null();
	return json_pack("{s:o, s:o, s:o, s:o, s:s, s:I}", "namespace", str_or_null(r->ns),
	                 "policy", str_or_null(r->policy), "direction", str_or_null(r->direction),
	                 "rule", index_or_null(r->rule), "file", r->file ? r->file : "",
	                 "line", (json_int_t)r->line);
}

static json_t *finding_json(const struct sw_lint_finding *x)
{
	json_t *eps = json_array();
	json_t *o;

	for (size_t i = 0; eps && i < x->n_endpoints; i++)
		if (json_array_append_new(eps, json_string(x->endpoints[i])) != 0) {
			json_decref(eps);
			return NULL;
		}
	if (eps == NULL)
		return NULL;
	o = json_pack("{s:s, s:s, s:s, s:I, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
	              "check", x->id, "severity", sw_lint_severity_name(x->severity), "file",
	              x->file, "line", (json_int_t)x->line, "message", x->message, "namespace",
	              str_or_null(x->ns), "policy", str_or_null(x->policy), "direction",
	              str_or_null(x->direction), "rule", index_or_null(x->rule), "peer",
	              index_or_null(x->peer), "port", index_or_null(x->port), "endpoints", eps,
	              "related", related_json(&x->related));
	return o;
}

static json_t *report_json(const struct sw_lint_report *r, enum sw_lint_severity min)
{
	json_t *arr = json_array();
	struct counts c;

	for (size_t i = 0; arr && i < sw_lint_count(r); i++) {
		const struct sw_lint_finding *x = sw_lint_get(r, i);
		if (x->severity >= min && json_array_append_new(arr, finding_json(x)) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	if (arr == NULL)
		return NULL;
	count(r, min, &c);
	return json_pack("{s:o, s:{s:s, s:I, s:I, s:I, s:I, s:I}}", "findings", arr, "summary",
	                 "min_severity", sw_lint_severity_name(min), "shown", (json_int_t)c.shown,
	                 "high", (json_int_t)c.sev[SW_LINT_HIGH], "warning",
	                 (json_int_t)c.sev[SW_LINT_WARNING], "info", (json_int_t)c.sev[SW_LINT_INFO],
	                 "hidden", (json_int_t)c.hidden);
}

enum sw_status sw_lint_write_json(const struct sw_lint_report *r, enum sw_lint_severity min,
                                  FILE *f)
{
	json_t *j = report_json(r, min);
	int bad;

	if (j == NULL)
		return SW_ERR_NOMEM;
	bad = json_dumpf(j, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0 || fputc('\n', f) == EOF ||
	      fflush(f) != 0;
	json_decref(j);
	return bad ? SW_ERR_IO : SW_OK;
}
