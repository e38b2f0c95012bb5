/*
 * load_common.c - label, protocol, port-name and CIDR readers shared by
 * the loaders (see load_common.h).
 */
#include "load_common.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

enum sw_status sw_load_labels(const struct sw_ydoc *doc, const struct sw_ynode *n,
                              bool strict, const char *what, struct sw_labels *out,
                              struct sw_err *err)
{
	char msg[128];
	enum sw_status st;

	if (sw_ynode_is_null(n))
		return SW_OK;
	snprintf(msg, sizeof(msg), "%s (a map of strings)", what);
	st = sw_yexpect_map(doc, n, msg, err);
	if (st != SW_OK)
		return st;
	for (size_t i = 0; i < n->n; i++) {
		const char *k, *v;
		st = sw_yget_str(doc, sw_ymap_key(n, i), false, "a label key", &k, err);
		if (st == SW_OK && sw_ynode_is_null(sw_ymap_value(n, i)) && !strict) {
			v = "";
		} else if (st == SW_OK) {
			snprintf(msg, sizeof(msg), "a string value for label \"%s\"%s", k,
			         strict ? " (quote numbers and booleans)" : "");
			st = sw_yget_str(doc, sw_ymap_value(n, i), strict, msg, &v, err);
		}
		if (st == SW_OK && sw_labels_set(out, k, v) != SW_OK)
			st = sw_err_set(err, SW_ERR_NOMEM, doc->file, 0, 0, "out of memory");
		if (st != SW_OK) {
			sw_labels_clear(out);
			return st;
		}
	}
	return SW_OK;
}

enum sw_status sw_load_proto(const struct sw_ydoc *doc, const struct sw_ynode *n,
                             bool strict, uint8_t *out, struct sw_err *err)
{
	static const struct { const char *name; uint8_t proto; } protos[] = {
		{"TCP", SW_PROTO_TCP}, {"UDP", SW_PROTO_UDP}, {"SCTP", SW_PROTO_SCTP},
	};
	const char *s;
	char d[64];

	if (sw_ynode_is_null(n)) {
		*out = SW_PROTO_TCP;
		return SW_OK;
	}
	if (sw_ynode_is_scalar(n) && n->kind == SW_YK_STR) {
		s = n->str;
		for (size_t i = 0; i < SW_ARRAY_SIZE(protos); i++) {
			if (strict ? strcmp(s, protos[i].name) == 0 : strcasecmp(s, protos[i].name) == 0) {
				*out = protos[i].proto;
				return SW_OK;
			}
		}
	}
	return sw_yerror(doc, n, err, SW_ERR_PARSE, "expected a protocol TCP, UDP or SCTP, got %s",
	                 sw_ydescribe(n, d, sizeof(d)));
}

bool sw_port_name_valid(const char *name)
{
	size_t len = strlen(name);
	bool letter = false;

	if (len == 0 || len > 15 || name[0] == '-' || name[len - 1] == '-' ||
	    strstr(name, "--") != NULL)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (c >= 'a' && c <= 'z')
			letter = true;
		else if (!(c >= '0' && c <= '9') && c != '-')
			return false;
	}
	return letter;
}

enum sw_status sw_load_prefix(const struct sw_ydoc *doc, const struct sw_ynode *n,
                              bool strict, const char *what, struct sw_prefix *out,
                              struct sw_err *err)
{
	const char *s;
	char d[64];
	enum sw_status st = sw_yget_str(doc, n, false, what, &s, err);

	if (st != SW_OK)
		return st;
	st = sw_prefix_parse(s, strict, out);
	if (st == SW_OK)
		return SW_OK;
	if (st == SW_ERR_INVALID && sw_prefix_parse(s, false, out) == SW_OK) {
		char fixed[SW_PREFIX_STRLEN];
		return sw_yerror(doc, n, err, SW_ERR_INVALID,
		                 "expected %s, got %s: bits are set beyond the prefix length (did you mean %s?)",
		                 what, sw_ydescribe(n, d, sizeof(d)),
		                 sw_prefix_format(out, fixed, sizeof(fixed)));
	}
	return sw_yerror(doc, n, err, SW_ERR_INVALID, "expected %s, got %s", what,
	                 sw_ydescribe(n, d, sizeof(d)));
}
