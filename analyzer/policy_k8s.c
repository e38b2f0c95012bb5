/*
 * policy_k8s.c - loads networking.k8s.io/v1 NetworkPolicy objects (single
 * objects, List objects, multi-document YAML, or JSON) into the policy IR
 * of netpol.h, validating them as the API server does:
 *
 *   - metadata.name required; metadata.namespace defaults to "default".
 *   - spec.podSelector absent selects every pod of the namespace (Go
 *     decodes it to an empty selector); warned about, since the API
 *     documents the field as required.
 *   - policyTypes: "Ingress"/"Egress", at most two. When absent or empty,
 *     upstream's SetDefaults_NetworkPolicy applies: Ingress always, Egress
 *     only when spec.egress has at least one rule (len(egress) != 0, so
 *     `egress: []` does not add Egress).
 *   - from/to/ports: present_flags record absent vs present; the API gives
 *     empty and absent the same meaning for these (match all).
 *   - peers: at least one of podSelector, namespaceSelector, ipBlock; an
 *     ipBlock excludes the others. A null selector is an absent one.
 *   - selectors: matchLabels become In requirements with one value;
 *     matchExpressions In/NotIn need values, Exists/DoesNotExist none.
 *   - ipBlock.cidr is parsed as Kubernetes does (ParseCIDRSloppy): host
 *     bits are masked (and warned about); each except must be a strict
 *     subset of the cidr (same family, inside it, longer prefix).
 *   - ports: protocol TCP (default), UDP or SCTP. port: a YAML integer is
 *     a number (1-65535); a string (quoted "80" included: IntOrString
 *     keeps it a string) is a port name and must be an IANA_SVC_NAME (at
 *     most 15 of [a-z0-9-], with a letter). endPort needs a numeric port
 *     and endPort >= port.
 *   - other kinds: warned about by kind and skipped when they are built-in
 *     Kubernetes kinds or custom resources of other API groups; an unknown
 *     kind of a Kubernetes API group (a typo) is an error. Unknown fields in the
 *     object, spec, rules, peers, selectors, ipBlocks and ports: warned
 *     about by name and line.
 *
 * content_hash is the FNV-1a 64-bit hash (16 hex digits) of the object's
 * source text: a change detector for the store, not a cryptographic
 * digest.
 */
#include "segwatch/netpol.h"
#include "segwatch/yamldoc.h"
#include "load_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const object_fields[] = {"apiVersion", "kind", "metadata", "spec",
                                            "status", NULL};
static const char *const spec_fields[] = {"podSelector", "ingress", "egress", "policyTypes",
                                          NULL};
static const char *const ingress_fields[] = {"from", "ports", NULL};
static const char *const egress_fields[] = {"to", "ports", NULL};
static const char *const peer_fields[] = {"podSelector", "namespaceSelector", "ipBlock", NULL};
static const char *const selector_fields[] = {"matchLabels", "matchExpressions", NULL};
static const char *const expr_fields[] = {"key", "operator", "values", NULL};
static const char *const ipblock_fields[] = {"cidr", "except", NULL};
static const char *const port_fields[] = {"protocol", "port", "endPort", NULL};

struct np_ctx {
	const struct sw_ydoc *doc;
	struct sw_policy_set *out;
	const struct sw_policy_set *prev; /* already loaded, for duplicates */
	sw_warn_fn warn;
	void *warn_ctx;
	struct sw_err *err;
};

static enum sw_status nomem(struct np_ctx *c)
{
	return sw_err_set(c->err, SW_ERR_NOMEM, c->doc->file, 0, 0, "out of memory");
}

static bool dup_into(char **dst, const char *src)
{
	*dst = strdup(src);
	return *dst != NULL;
}

/* calloc that succeeds for 0 elements too. */
static void *alloc_n(size_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

/* ---- selectors ---- */

static enum sw_status load_match_labels(struct np_ctx *c, const struct sw_ynode *n,
                                        struct sw_selector *sel)
{
	struct sw_labels labels = {0, NULL};
	enum sw_status st = sw_load_labels(c->doc, n, true, "matchLabels", &labels, c->err);

	if (st != SW_OK)
		return st;
	for (size_t i = 0; i < labels.n; i++) {
		struct sw_sel_req *r = &sel->reqs[sel->n_reqs];
		r->op = SW_SEL_IN;
		r->values = alloc_n(1, sizeof(*r->values));
		sel->n_reqs++;
		if (r->values == NULL) {
			st = nomem(c);
			break;
		}
		/* move the strings out of labels */
		r->key = labels.items[i].key;
		r->values[0] = labels.items[i].value;
		r->n_values = 1;
		labels.items[i].key = labels.items[i].value = NULL;
	}
	for (size_t i = 0; i < labels.n; i++) {
		free(labels.items[i].key);
		free(labels.items[i].value);
	}
	free(labels.items);
	return st;
}

static enum sw_status load_operator(struct np_ctx *c, const struct sw_ynode *expr,
                                    enum sw_sel_op *op)
{
	static const struct { const char *name; enum sw_sel_op op; } ops[] = {
		{"In", SW_SEL_IN}, {"NotIn", SW_SEL_NOT_IN}, {"Exists", SW_SEL_EXISTS},
		{"DoesNotExist", SW_SEL_DOES_NOT_EXIST},
	};
	static const char what[] = "an operator In, NotIn, Exists or DoesNotExist";
	const char *s;
	char d[64];
	enum sw_status st = sw_yget_field_str(c->doc, expr, "operator", true, what, &s, c->err);

	if (st != SW_OK)
		return st;
	for (size_t i = 0; i < SW_ARRAY_SIZE(ops); i++) {
		if (strcmp(s, ops[i].name) == 0) {
			*op = ops[i].op;
			return SW_OK;
		}
	}
	return sw_yerror(c->doc, sw_ymap_get(expr, "operator"), c->err, SW_ERR_PARSE,
	                 "expected %s, got %s", what,
	                 sw_ydescribe(sw_ymap_get(expr, "operator"), d, sizeof(d)));
}

static enum sw_status load_expr_values(struct np_ctx *c, const struct sw_ynode *expr,
                                       struct sw_sel_req *r)
{
	const struct sw_ynode *vals = sw_ymap_get(expr, "values");
	bool need = r->op == SW_SEL_IN || r->op == SW_SEL_NOT_IN;
	size_t n = sw_ynode_is_seq(vals) ? vals->n : 0;
	enum sw_status st;

	if (!sw_ynode_is_null(vals)) {
		st = sw_yexpect_seq(c->doc, vals, "a list of values", c->err);
		if (st != SW_OK)
			return st;
	}
	if (need && n == 0)
		return sw_yerror(c->doc, vals ? vals : expr, c->err, SW_ERR_INVALID,
		                 "operator %s needs a non-empty list of values",
		                 r->op == SW_SEL_IN ? "In" : "NotIn");
	if (!need && n > 0)
		return sw_yerror(c->doc, vals, c->err, SW_ERR_INVALID,
		                 "operator %s takes no values",
		                 r->op == SW_SEL_EXISTS ? "Exists" : "DoesNotExist");
	if (n == 0)
		return SW_OK;
	r->values = alloc_n(n, sizeof(*r->values));
	if (r->values == NULL)
		return nomem(c);
	for (size_t i = 0; i < n; i++) {
		const char *v;
		st = sw_yget_str(c->doc, sw_yseq_item(vals, i), true, "a string label value", &v,
		                 c->err);
		if (st != SW_OK)
			return st;
		if (!dup_into(&r->values[i], v))
			return nomem(c);
		r->n_values = i + 1;
	}
	return SW_OK;
}

static enum sw_status load_match_exprs(struct np_ctx *c, const struct sw_ynode *n,
                                       struct sw_selector *sel)
{
	enum sw_status st = sw_yexpect_seq(c->doc, n, "a list of matchExpressions", c->err);

	for (size_t i = 0; st == SW_OK && i < n->n; i++) {
		const struct sw_ynode *e = sw_yseq_item(n, i);
		struct sw_sel_req *r = &sel->reqs[sel->n_reqs];
		const char *key;
		st = sw_yexpect_map(c->doc, e, "a match expression ({key, operator, values})", c->err);
		if (st != SW_OK)
			break;
		sw_ywarn_unknown(c->doc, e, expr_fields, "a match expression", c->warn, c->warn_ctx);
		sel->n_reqs++;
		st = sw_yget_field_str(c->doc, e, "key", true, "a label key", &key, c->err);
		if (st == SW_OK && !dup_into(&r->key, key))
			st = nomem(c);
		if (st == SW_OK)
			st = load_operator(c, e, &r->op);
		if (st == SW_OK)
			st = load_expr_values(c, e, r);
	}
	return st;
}

/* A LabelSelector; what names it in messages ("spec.podSelector"). */
static enum sw_status load_selector(struct np_ctx *c, const struct sw_ynode *n,
                                    const char *what, struct sw_selector *sel)
{
	const struct sw_ynode *ml, *me;
	size_t cap = 0;
	char msg[96];
	enum sw_status st;

	memset(sel, 0, sizeof(*sel));
	if (sw_ynode_is_null(n))
		return SW_OK;
	snprintf(msg, sizeof(msg), "a label selector for %s ({matchLabels, matchExpressions})", what);
	st = sw_yexpect_map(c->doc, n, msg, c->err);
	if (st != SW_OK)
		return st;
	sw_ywarn_unknown(c->doc, n, selector_fields, what, c->warn, c->warn_ctx);
	ml = sw_ymap_get(n, "matchLabels");
	me = sw_ymap_get(n, "matchExpressions");
	cap = (sw_ynode_is_map(ml) ? ml->n : 0) + (sw_ynode_is_seq(me) ? me->n : 0);
	sel->reqs = alloc_n(cap, sizeof(*sel->reqs));
	if (sel->reqs == NULL)
		return nomem(c);
	st = load_match_labels(c, ml, sel);
	if (st == SW_OK && !sw_ynode_is_null(me))
		st = load_match_exprs(c, me, sel);
	return st;
}

/* ---- ipBlock ---- */

static bool prefix_v4(const struct sw_prefix *p)
{
	return p->len >= 96 && sw_addr_is_v4(&p->addr);
}

/* Parses like ParseCIDRSloppy: host bits are masked, with a warning. */
static enum sw_status load_cidr(struct np_ctx *c, const struct sw_ynode *n, const char *what,
                                struct sw_prefix *out)
{
	const char *s;
	char fixed[SW_PREFIX_STRLEN];
	enum sw_status st = sw_yget_str(c->doc, n, true, what, &s, c->err);

	if (st != SW_OK)
		return st;
	if (strchr(s, '/') == NULL)
		return sw_yerror(c->doc, n, c->err, SW_ERR_INVALID,
		                 "expected %s, got \"%s\" (an address without a prefix length)", what, s);
	st = sw_load_prefix(c->doc, n, false, what, out, c->err);
	if (st == SW_OK && sw_prefix_parse(s, true, out) != SW_OK) {
		st = sw_prefix_parse(s, false, out);
		sw_ywarn(c->doc, n, c->warn, c->warn_ctx,
		         "%s has bits set beyond its prefix length; Kubernetes reads it as %s",
		         s, sw_prefix_format(out, fixed, sizeof(fixed)));
	}
	return st;
}

static enum sw_status load_ipblock(struct np_ctx *c, const struct sw_ynode *n,
                                   struct sw_ipblock *ib)
{
	const struct sw_ynode *ex;
	enum sw_status st = sw_yexpect_map(c->doc, n, "an ipBlock ({cidr, except})", c->err);
	char a[SW_PREFIX_STRLEN], b[SW_PREFIX_STRLEN];

	if (st != SW_OK)
		return st;
	sw_ywarn_unknown(c->doc, n, ipblock_fields, "an ipBlock", c->warn, c->warn_ctx);
	if (sw_ymap_get(n, "cidr") == NULL)
		return sw_yerror(c->doc, n, c->err, SW_ERR_PARSE,
		                 "missing field \"cidr\" (expected a CIDR such as 10.0.0.0/8)");
	st = load_cidr(c, sw_ymap_get(n, "cidr"), "a CIDR such as 10.0.0.0/8 or fd00::/64",
	               &ib->cidr);
	ex = sw_ymap_get(n, "except");
	if (st != SW_OK || sw_ynode_is_null(ex))
		return st;
	st = sw_yexpect_seq(c->doc, ex, "a list of CIDRs to except", c->err);
	if (st != SW_OK)
		return st;
	ib->except = alloc_n(ex->n, sizeof(*ib->except));
	if (ib->except == NULL)
		return nomem(c);
	for (size_t i = 0; i < ex->n; i++) {
		struct sw_prefix *e = &ib->except[i];
		const struct sw_ynode *en = sw_yseq_item(ex, i);
		st = load_cidr(c, en, "a CIDR to except", e);
		if (st != SW_OK)
			return st;
		ib->n_except = i + 1;
		if (prefix_v4(e) != prefix_v4(&ib->cidr) || e->len <= ib->cidr.len ||
		    !sw_prefix_contains(&ib->cidr, &e->addr))
			return sw_yerror(c->doc, en, c->err, SW_ERR_INVALID,
			                 "except %s must be a strict subset of cidr %s",
			                 sw_prefix_format(e, a, sizeof(a)),
			                 sw_prefix_format(&ib->cidr, b, sizeof(b)));
	}
	return SW_OK;
}

/* ---- peers ---- */

static enum sw_status load_peer(struct np_ctx *c, const struct sw_ynode *n, struct sw_peer *p)
{
	const struct sw_ynode *ps, *ns, *ib;
	enum sw_status st = sw_yexpect_map(c->doc, n,
	                                   "a peer ({podSelector, namespaceSelector} or {ipBlock})",
	                                   c->err);

	if (st != SW_OK)
		return st;
	sw_ywarn_unknown(c->doc, n, peer_fields, "a peer", c->warn, c->warn_ctx);
	p->line = n->line;
	ps = sw_ymap_get(n, "podSelector");
	ns = sw_ymap_get(n, "namespaceSelector");
	ib = sw_ymap_get(n, "ipBlock");
	p->has_pod_sel = !sw_ynode_is_null(ps);
	p->has_ns_sel = !sw_ynode_is_null(ns);
	p->has_ipblock = !sw_ynode_is_null(ib);
	if (!p->has_pod_sel && !p->has_ns_sel && !p->has_ipblock)
		return sw_yerror(c->doc, n, c->err, SW_ERR_INVALID,
		                 "a peer must specify podSelector, namespaceSelector or ipBlock");
	if (p->has_ipblock && (p->has_pod_sel || p->has_ns_sel))
		return sw_yerror(c->doc, n, c->err, SW_ERR_INVALID,
		                 "a peer may not specify both ipBlock and another peer (podSelector or namespaceSelector)");
	st = load_selector(c, ps, "a peer's podSelector", &p->pod_sel);
	if (st == SW_OK)
		st = load_selector(c, ns, "a peer's namespaceSelector", &p->ns_sel);
	if (st == SW_OK && p->has_ipblock)
		st = load_ipblock(c, ib, &p->ipblock);
	return st;
}

static enum sw_status load_peers(struct np_ctx *c, const struct sw_ynode *n, struct sw_rule *r,
                                 const char *key)
{
	char what[48];
	enum sw_status st;

	if (sw_ynode_is_null(n))
		return SW_OK; /* absent or null: all peers */
	snprintf(what, sizeof(what), "a list of peers in %s", key);
	st = sw_yexpect_seq(c->doc, n, what, c->err);
	if (st != SW_OK)
		return st;
	r->peers_present = true;
	r->peers = alloc_n(n->n, sizeof(*r->peers));
	if (r->peers == NULL)
		return nomem(c);
	for (size_t i = 0; st == SW_OK && i < n->n; i++) {
		r->n_peers = i + 1;
		st = load_peer(c, sw_yseq_item(n, i), &r->peers[i]);
	}
	return st;
}

/* ---- ports ---- */

static bool all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
	}
	return true;
}

static enum sw_status load_port_value(struct np_ctx *c, const struct sw_ynode *n,
                                      struct sw_port_rule *p)
{
	static const char what[] = "a port number (1-65535) or a port name";
	uint64_t v;
	char d[64];

	if (sw_ynode_is_scalar(n) && n->kind == SW_YK_INT) {
		enum sw_status st = sw_yget_uint(c->doc, n, 1, 65535, what, &v, c->err);
		if (st != SW_OK)
			return st;
		p->port = p->end_port = (uint16_t)v;
		return SW_OK;
	}
	if (!sw_ynode_is_scalar(n) || n->kind != SW_YK_STR)
		return sw_yerror(c->doc, n, c->err, SW_ERR_PARSE, "expected %s, got %s", what,
		                 sw_ydescribe(n, d, sizeof(d)));
	if (all_digits(n->str))
		return sw_yerror(c->doc, n, c->err, SW_ERR_INVALID,
		                 "expected %s, got the string %s: the API keeps a quoted number a port name, and port names need a letter (write %s without quotes)",
		                 what, sw_ydescribe(n, d, sizeof(d)), n->str);
	if (!sw_port_name_valid(n->str))
		return sw_yerror(c->doc, n, c->err, SW_ERR_INVALID,
		                 "expected a port number or a port name (at most 15 of a-z, 0-9 and '-', with a letter), got %s",
		                 sw_ydescribe(n, d, sizeof(d)));
	if (!dup_into(&p->port_name, n->str))
		return nomem(c);
	return SW_OK;
}

static enum sw_status load_end_port(struct np_ctx *c, const struct sw_ynode *n,
                                    const struct sw_ynode *portnode, struct sw_port_rule *p)
{
	uint64_t v;
	enum sw_status st;

	if (sw_ynode_is_null(n))
		return SW_OK;
	if (!p->has_port)
		return sw_yerror(c->doc, n, c->err, SW_ERR_INVALID,
		                 "endPort needs a port: it may not be given without one");
	if (p->port_name != NULL)
		return sw_yerror(c->doc, n, c->err, SW_ERR_INVALID,
		                 "endPort needs a numeric port, got the port name \"%s\"", p->port_name);
	st = sw_yget_uint(c->doc, n, 1, 65535, "an integer endPort (1-65535)", &v, c->err);
	if (st != SW_OK)
		return st;
	if (v < p->port)
		return sw_yerror(c->doc, n, c->err, SW_ERR_INVALID,
		                 "endPort %u must not be smaller than port %u (line %u)", (unsigned)v,
		                 p->port, portnode->line);
	p->end_port = (uint16_t)v;
	return SW_OK;
}

static enum sw_status load_port(struct np_ctx *c, const struct sw_ynode *n,
                                struct sw_port_rule *p)
{
	const struct sw_ynode *port;
	enum sw_status st = sw_yexpect_map(c->doc, n, "a port ({protocol, port, endPort})", c->err);

	if (st != SW_OK)
		return st;
	sw_ywarn_unknown(c->doc, n, port_fields, "a port", c->warn, c->warn_ctx);
	p->line = n->line;
	st = sw_load_proto(c->doc, sw_ymap_get(n, "protocol"), true, &p->proto, c->err);
	if (st != SW_OK)
		return st;
	port = sw_ymap_get(n, "port");
	p->has_port = !sw_ynode_is_null(port);
	if (p->has_port)
		st = load_port_value(c, port, p);
	if (st == SW_OK)
		st = load_end_port(c, sw_ymap_get(n, "endPort"), port, p);
	return st;
}

static enum sw_status load_ports(struct np_ctx *c, const struct sw_ynode *n, struct sw_rule *r)
{
	enum sw_status st;

	if (sw_ynode_is_null(n))
		return SW_OK; /* all ports and protocols */
	st = sw_yexpect_seq(c->doc, n, "a list of ports", c->err);
	if (st != SW_OK)
		return st;
	r->ports_present = true;
	r->ports = alloc_n(n->n, sizeof(*r->ports));
	if (r->ports == NULL)
		return nomem(c);
	for (size_t i = 0; st == SW_OK && i < n->n; i++) {
		r->n_ports = i + 1;
		st = load_port(c, sw_yseq_item(n, i), &r->ports[i]);
	}
	return st;
}

/* ---- rules and spec ---- */

static enum sw_status load_rules(struct np_ctx *c, const struct sw_ynode *n, bool ingress,
                                 struct sw_rule **rules, size_t *n_rules)
{
	const char *peers_key = ingress ? "from" : "to";
	enum sw_status st;

	if (sw_ynode_is_null(n))
		return SW_OK;
	st = sw_yexpect_seq(c->doc, n, ingress ? "a list of ingress rules" : "a list of egress rules",
	                    c->err);
	if (st != SW_OK)
		return st;
	*rules = alloc_n(n->n, sizeof(**rules));
	if (*rules == NULL)
		return nomem(c);
	for (size_t i = 0; st == SW_OK && i < n->n; i++) {
		const struct sw_ynode *rn = sw_yseq_item(n, i);
		struct sw_rule *r = &(*rules)[i];
		*n_rules = i + 1;
		r->line = rn->line;
		if (sw_ynode_is_null(rn))
			continue; /* `- {}` or a bare `-`: all peers, all ports */
		st = sw_yexpect_map(c->doc, rn, ingress ? "an ingress rule ({from, ports})"
		                                        : "an egress rule ({to, ports})", c->err);
		if (st != SW_OK)
			break;
		sw_ywarn_unknown(c->doc, rn, ingress ? ingress_fields : egress_fields,
		                 ingress ? "an ingress rule" : "an egress rule", c->warn, c->warn_ctx);
		st = load_peers(c, sw_ymap_get(rn, peers_key), r, peers_key);
		if (st == SW_OK)
			st = load_ports(c, sw_ymap_get(rn, "ports"), r);
	}
	return st;
}

static enum sw_status load_policy_types(struct np_ctx *c, const struct sw_ynode *spec,
                                        struct sw_netpol *p)
{
	const struct sw_ynode *pt = sw_ymap_get(spec, "policyTypes");
	enum sw_status st;

	if (sw_ynode_is_null(pt) || (sw_ynode_is_seq(pt) && pt->n == 0)) {
		/* SetDefaults_NetworkPolicy */
		p->type_ingress = true;
		p->type_egress = p->n_egress != 0;
		return SW_OK;
	}
	st = sw_yexpect_seq(c->doc, pt, "a list of policyTypes (Ingress, Egress)", c->err);
	if (st != SW_OK)
		return st;
	if (pt->n > 2)
		return sw_yerror(c->doc, pt, c->err, SW_ERR_INVALID,
		                 "policyTypes may not list more than two types");
	for (size_t i = 0; i < pt->n; i++) {
		const struct sw_ynode *t = sw_yseq_item(pt, i);
		char d[64];
		if (sw_ynode_is_scalar(t) && strcmp(t->str, "Ingress") == 0 && t->kind == SW_YK_STR)
			p->type_ingress = true;
		else if (sw_ynode_is_scalar(t) && strcmp(t->str, "Egress") == 0 && t->kind == SW_YK_STR)
			p->type_egress = true;
		else
			return sw_yerror(c->doc, t, c->err, SW_ERR_PARSE,
			                 "expected a policy type Ingress or Egress, got %s",
			                 sw_ydescribe(t, d, sizeof(d)));
	}
	return SW_OK;
}

static enum sw_status load_spec(struct np_ctx *c, const struct sw_ynode *obj, struct sw_netpol *p)
{
	const struct sw_ynode *spec = sw_ymap_get(obj, "spec");
	const struct sw_ynode *ps;
	enum sw_status st;

	if (spec == NULL)
		return sw_yerror(c->doc, obj, c->err, SW_ERR_PARSE,
		                 "missing field \"spec\" (expected a NetworkPolicy spec with a podSelector)");
	st = sw_yexpect_map(c->doc, spec, "a NetworkPolicy spec ({podSelector, ingress, egress, policyTypes})",
	                    c->err);
	if (st != SW_OK)
		return st;
	sw_ywarn_unknown(c->doc, spec, spec_fields, "a NetworkPolicy spec", c->warn, c->warn_ctx);
	ps = sw_ymap_get(spec, "podSelector");
	if (ps == NULL)
		sw_ywarn(c->doc, spec, c->warn, c->warn_ctx,
		         "NetworkPolicy %s/%s has no spec.podSelector: it selects every pod of namespace %s",
		         p->ns, p->name, p->ns);
	st = load_selector(c, ps, "spec.podSelector", &p->pod_sel);
	if (st == SW_OK)
		st = load_rules(c, sw_ymap_get(spec, "ingress"), true, &p->ingress, &p->n_ingress);
	if (st == SW_OK)
		st = load_rules(c, sw_ymap_get(spec, "egress"), false, &p->egress, &p->n_egress);
	if (st == SW_OK)
		st = load_policy_types(c, spec, p);
	return st;
}

/* ---- objects ---- */

static void warn_duplicate(struct np_ctx *c, const struct sw_ynode *obj, const struct sw_netpol *p)
{
	const struct sw_policy_set *sets[] = {c->prev, c->out};

	for (size_t s = 0; s < SW_ARRAY_SIZE(sets); s++) {
		for (size_t i = 0; i < sw_policy_set_count(sets[s]); i++) {
			const struct sw_netpol *q = sw_policy_set_get(sets[s], i);
			if (strcmp(q->ns, p->ns) == 0 && strcmp(q->name, p->name) == 0) {
				sw_ywarn(c->doc, obj, c->warn, c->warn_ctx,
				         "NetworkPolicy %s/%s is declared again (first at %s:%u); both count",
				         p->ns, p->name, q->file ? q->file : "?", q->line);
				return;
			}
		}
	}
}

static enum sw_status load_netpol(struct np_ctx *c, const struct sw_ynode *obj)
{
	struct sw_netpol p;
	const struct sw_ynode *md = sw_ymap_get(obj, "metadata");
	const char *name = NULL, *ns = NULL;
	char hash[17];
	enum sw_status st;

	memset(&p, 0, sizeof(p));
	sw_ywarn_unknown(c->doc, obj, object_fields, "a NetworkPolicy", c->warn, c->warn_ctx);
	if (md == NULL)
		return sw_yerror(c->doc, obj, c->err, SW_ERR_PARSE,
		                 "missing field \"metadata\" (expected metadata with a name)");
	st = sw_yexpect_map(c->doc, md, "metadata with a name", c->err);
	if (st == SW_OK)
		st = sw_yget_field_str(c->doc, md, "name", true, "a metadata.name", &name, c->err);
	if (st == SW_OK && !sw_ynode_is_null(sw_ymap_get(md, "namespace")))
		st = sw_yget_str(c->doc, sw_ymap_get(md, "namespace"), true, "a metadata.namespace",
		                 &ns, c->err);
	if (st != SW_OK)
		return st;
	sw_ynode_hash(c->doc, obj, hash);
	if (!dup_into(&p.name, name) || !dup_into(&p.ns, ns ? ns : "default") ||
	    !dup_into(&p.origin, "k8s") || !dup_into(&p.file, c->doc->file) ||
	    !dup_into(&p.content_hash, hash)) {
		sw_netpol_clear(&p);
		return nomem(c);
	}
	p.line = obj->line;
	st = load_spec(c, obj, &p);
	if (st == SW_OK) {
		warn_duplicate(c, obj, &p);
		st = sw_policy_set_add(c->out, &p, c->err);
	}
	sw_netpol_clear(&p);
	return st;
}

/* True for objects a policy file may legitimately carry besides
 * NetworkPolicies: the built-in kinds of Kubernetes' own API groups, and
 * anything of another API group (custom resources such as Istio's or
 * Cilium's policies). An unknown kind in a Kubernetes API group (or with
 * no apiVersion) is a typo, and an error: a misspelt NetworkPolicy must not
 * be skipped silently. */
static bool known_other_kind(const char *kind, const char *api)
{
	static const char *const builtin[] = {
		"Namespace", "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
		"Job", "CronJob", "Service", "Endpoints", "EndpointSlice", "Ingress",
		"IngressClass", "ConfigMap", "Secret", "ServiceAccount", "Role", "RoleBinding",
		"ClusterRole", "ClusterRoleBinding", "PersistentVolumeClaim", "PersistentVolume",
		"HorizontalPodAutoscaler", "PodDisruptionBudget", "LimitRange", "ResourceQuota",
		"CustomResourceDefinition", "StorageClass", "PriorityClass", "Gateway",
		"HTTPRoute", "GatewayClass", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy",
		"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "Node", "Event",
	};
	const char *slash = api ? strchr(api, '/') : NULL;

	if (slash != NULL) {
		size_t glen = (size_t)(slash - api);
		bool k8s_group = glen >= 7 && strncmp(slash - 7, ".k8s.io", 7) == 0;
		bool core_like = memchr(api, '.', glen) == NULL; /* apps/v1, batch/v1 */
		if (!k8s_group && !core_like)
			return true; /* a custom resource of someone else's API group */
	}
	for (size_t i = 0; i < SW_ARRAY_SIZE(builtin); i++)
		if (strcmp(kind, builtin[i]) == 0)
			return true;
	return false;
}

static enum sw_status load_object(struct np_ctx *c, const struct sw_ynode *obj, bool in_list);

static enum sw_status load_list(struct np_ctx *c, const struct sw_ynode *obj)
{
	const struct sw_ynode *items = sw_ymap_get(obj, "items");
	enum sw_status st;

	if (sw_ynode_is_null(items))
		return SW_OK;
	st = sw_yexpect_seq(c->doc, items, "a list of items", c->err);
	for (size_t i = 0; st == SW_OK && i < items->n; i++)
		st = load_object(c, sw_yseq_item(items, i), true);
	return st;
}

static bool is_list_kind(const char *kind)
{
	size_t n = strlen(kind);

	return n >= 4 && strcmp(kind + n - 4, "List") == 0;
}

static enum sw_status load_object(struct np_ctx *c, const struct sw_ynode *obj, bool in_list)
{
	const char *kind, *api = NULL;
	const struct sw_ynode *av;
	enum sw_status st = sw_yexpect_map(c->doc, obj, "a Kubernetes object (with kind:)", c->err);

	if (st != SW_OK)
		return st;
	if (sw_ymap_get(obj, "kind") == NULL)
		return sw_yerror(c->doc, obj, c->err, SW_ERR_PARSE,
		                 "missing field \"kind\" (expected a Kubernetes object such as a NetworkPolicy)");
	st = sw_yget_str(c->doc, sw_ymap_get(obj, "kind"), true, "an object kind", &kind, c->err);
	av = sw_ymap_get(obj, "apiVersion");
	if (st == SW_OK && !sw_ynode_is_null(av))
		st = sw_yget_str(c->doc, av, true, "an apiVersion", &api, c->err);
	if (st != SW_OK)
		return st;
	if (is_list_kind(kind)) {
		if (in_list)
			return sw_yerror(c->doc, obj, c->err, SW_ERR_PARSE,
			                 "expected a Kubernetes object, got a List inside a List");
		return load_list(c, obj);
	}
	if (strcmp(kind, "NetworkPolicy") != 0 && !known_other_kind(kind, api))
		return sw_yerror(c->doc, sw_ymap_get(obj, "kind"), c->err, SW_ERR_PARSE,
		                 "unknown kind \"%s\"%s%s%s: expected NetworkPolicy (or List), or "
		                 "another Kubernetes kind, which is skipped", kind,
		                 api ? " for apiVersion " : "", api ? api : "", "");
	if (strcmp(kind, "NetworkPolicy") != 0 ||
	    (api != NULL && strcmp(api, "networking.k8s.io/v1") != 0 &&
	     strcmp(api, "extensions/v1beta1") != 0)) {
		sw_ywarn(c->doc, sw_ymap_get(obj, "kind"), c->warn, c->warn_ctx,
		         "kind %s%s%s%s is not a Kubernetes NetworkPolicy (skipped)", kind,
		         api ? " (" : "", api ? api : "", api ? ")" : "");
		return SW_OK;
	}
	if (api != NULL && strcmp(api, "extensions/v1beta1") == 0)
		sw_ywarn(c->doc, av, c->warn, c->warn_ctx,
		         "apiVersion extensions/v1beta1 is long removed; read as networking.k8s.io/v1");
	return load_netpol(c, obj);
}

enum sw_status sw_policy_set_load_file(struct sw_policy_set *set, const char *path,
                                       sw_warn_fn warn, void *warn_ctx,
                                       struct sw_err *err)
{
	struct sw_ydoc *doc = NULL;
	struct sw_policy_set *tmp;
	struct np_ctx c;
	enum sw_status st = sw_ydoc_load_file(path, NULL, &doc, err);

	if (st != SW_OK)
		return st;
	tmp = sw_policy_set_new();
	if (tmp == NULL) {
		sw_ydoc_free(doc);
		return sw_err_set(err, SW_ERR_NOMEM, path, 0, 0, "out of memory");
	}
	c.doc = doc;
	c.out = tmp;
	c.prev = set;
	c.warn = warn;
	c.warn_ctx = warn_ctx;
	c.err = err;
	for (size_t i = 0; st == SW_OK && i < doc->n_docs; i++) {
		if (!sw_ynode_is_null(doc->docs[i]))
			st = load_object(&c, doc->docs[i], false);
	}
	if (st == SW_OK && sw_policy_set_count(tmp) == 0)
		sw_ywarn(doc, NULL, warn, warn_ctx, "the file declares no NetworkPolicy");
	if (st == SW_OK)
		st = sw_policy_set_merge(set, tmp, err);
	sw_policy_set_free(tmp);
	sw_ydoc_free(doc);
	return st;
}
