/*
 * lint.c - the lint run: the catalogue of checks, the report that collects
 * findings (sorted by file, line, check id), and sw_lint_run, which builds
 * the shared index and runs every check over it. The checks themselves live
 * in lint_{isolation,breadth,refs,reach,redundant}.c, the writers in
 * lint_output.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lint_int.h"

static const struct {
	const char *id;
	enum sw_lint_severity sev;
	const char *summary;
} catalogue[SW_LINT_CHECK_COUNT] = {
	[SW_LINT_NS_NO_DEFAULT_DENY_INGRESS] = {"ns-no-default-deny-ingress", SW_LINT_WARNING,
		"a namespace with endpoints has no default-deny ingress policy"},
	[SW_LINT_NS_NO_DEFAULT_DENY_EGRESS] = {"ns-no-default-deny-egress", SW_LINT_WARNING,
		"a namespace with endpoints has no default-deny egress policy"},
	[SW_LINT_ENDPOINT_INGRESS_OPEN] = {"endpoint-ingress-open", SW_LINT_HIGH,
		"no policy isolates the endpoint for ingress: every source may connect"},
	[SW_LINT_ENDPOINT_EGRESS_OPEN] = {"endpoint-egress-open", SW_LINT_WARNING,
		"no policy isolates the endpoint for egress: it may connect anywhere"},
	[SW_LINT_RULE_ALLOW_ALL] = {"rule-allow-all", SW_LINT_HIGH,
		"a rule with neither peers nor ports admits all traffic"},
	[SW_LINT_RULE_ANY_PEER] = {"rule-any-peer", SW_LINT_WARNING,
		"a rule without from/to admits every peer, inside and outside the cluster"},
	[SW_LINT_RULE_ANY_PORT] = {"rule-any-port", SW_LINT_WARNING,
		"a rule admits every port (no ports, or a port entry without a number)"},
	[SW_LINT_PEER_ALL_NAMESPACES] = {"peer-all-namespaces", SW_LINT_WARNING,
		"an empty namespaceSelector admits every namespace"},
	[SW_LINT_PEER_ALL_PODS] = {"peer-all-pods", SW_LINT_WARNING,
		"an empty podSelector admits every pod of the policy's namespace"},
	[SW_LINT_PEER_IPBLOCK_ALL] = {"peer-ipblock-all", SW_LINT_WARNING,
		"an ipBlock 0.0.0.0/0 or ::/0 admits every address"},
	[SW_LINT_PEER_IPBLOCK_ENDPOINTS] = {"peer-ipblock-endpoints", SW_LINT_WARNING,
		"an ipBlock covers endpoints' addresses, which ipBlock never matches"},
	[SW_LINT_PEER_SELECTS_NOTHING] = {"peer-selects-nothing", SW_LINT_WARNING,
		"a peer's selectors match no endpoint (a typo'd label?)"},
	[SW_LINT_PEER_SPLIT_SELECTORS] = {"peer-split-selectors", SW_LINT_WARNING,
		"namespaceSelector and podSelector written as two peers (OR) instead of one (AND)"},
	[SW_LINT_POLICY_SELECTS_NOTHING] = {"policy-selects-nothing", SW_LINT_WARNING,
		"a policy's podSelector matches no endpoint"},
	[SW_LINT_POLICY_TYPES_IGNORE_RULES] = {"policy-types-ignore-rules", SW_LINT_WARNING,
		"rules of a direction that policyTypes leaves out have no effect"},
	[SW_LINT_POLICY_DUPLICATE_NAME] = {"policy-duplicate-name", SW_LINT_WARNING,
		"two policies share a namespace and name: the cluster keeps only one"},
	[SW_LINT_PORT_NAME_UNRESOLVED] = {"port-name-unresolved", SW_LINT_WARNING,
		"a named port that no destination declares matches nothing"},
	[SW_LINT_EGRESS_NO_DNS] = {"egress-no-dns", SW_LINT_WARNING,
		"isolated for egress without a DNS exception (UDP/53)"},
	[SW_LINT_EGRESS_DNS_UDP_ONLY] = {"egress-dns-udp-only", SW_LINT_INFO,
		"DNS allowed over UDP/53 only; large answers need TCP/53"},
	[SW_LINT_RULE_ONE_SIDED] = {"rule-one-sided", SW_LINT_WARNING,
		"every connection a rule admits is denied by the other side's policies"},
	[SW_LINT_RULE_REDUNDANT] = {"rule-redundant", SW_LINT_INFO,
		"a rule is contained in another rule applying to the same endpoints"},
	[SW_LINT_COMPOSE_PORT_PUBLISHED] = {"compose-port-published", SW_LINT_INFO,
		"a compose service publishes ports reachable from outside"},
};

static const char *const severity_names[] = {"info", "warning", "high"};

const char *sw_lint_severity_name(enum sw_lint_severity s)
{
	return (unsigned)s < SW_ARRAY_SIZE(severity_names) ? severity_names[s] : "unknown";
}

enum sw_status sw_lint_severity_parse(const char *name, enum sw_lint_severity *out)
{
	for (size_t i = 0; i < SW_ARRAY_SIZE(severity_names); i++) {
		if (strcmp(name, severity_names[i]) == 0) {
			*out = (enum sw_lint_severity)i;
			return SW_OK;
		}
	}
	return SW_ERR_NOTFOUND;
}

const char *sw_lint_check_id(enum sw_lint_check c)
{
	return (unsigned)c < SW_LINT_CHECK_COUNT ? catalogue[c].id : "unknown";
}

enum sw_lint_severity sw_lint_check_severity(enum sw_lint_check c)
{
	return (unsigned)c < SW_LINT_CHECK_COUNT ? catalogue[c].sev : SW_LINT_INFO;
}

const char *sw_lint_check_summary(enum sw_lint_check c)
{
	return (unsigned)c < SW_LINT_CHECK_COUNT ? catalogue[c].summary : "";
}

enum sw_status sw_lint_check_parse(const char *id, enum sw_lint_check *out)
{
	for (size_t i = 0; i < SW_LINT_CHECK_COUNT; i++) {
		if (strcmp(id, catalogue[i].id) == 0) {
			*out = (enum sw_lint_check)i;
			return SW_OK;
		}
	}
	return SW_ERR_NOTFOUND;
}

/* ---- the report ---- */

struct entry {
	struct sw_lint_finding f;
	char *msg;          /* owned; f.message points here */
	const char **eps;   /* owned array of borrowed ids */
};

struct sw_lint_report {
	size_t n, cap;
	struct entry *e;
};

void sw_lint_report_free(struct sw_lint_report *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->e[i].msg);
		free(r->e[i].eps);
	}
	free(r->e);
	free(r);
}

size_t sw_lint_count(const struct sw_lint_report *r)
{
	return r ? r->n : 0;
}

const struct sw_lint_finding *sw_lint_get(const struct sw_lint_report *r, size_t i)
{
	return r && i < r->n ? &r->e[i].f : NULL;
}

size_t sw_lint_count_at_least(const struct sw_lint_report *r, enum sw_lint_severity s)
{
	size_t n = 0;

	for (size_t i = 0; r && i < r->n; i++)
		n += r->e[i].f.severity >= s;
	return n;
}

static struct entry *report_push(struct sw_lint_report *r)
{
	if (r->n == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 16;
		struct entry *ne = realloc(r->e, ncap * sizeof(*ne));
		if (ne == NULL)
			return NULL;
		r->e = ne;
		r->cap = ncap;
	}
	memset(&r->e[r->n], 0, sizeof(r->e[r->n]));
	return &r->e[r->n++];
}

static int cmp_entry(const void *pa, const void *pb)
{
	const struct sw_lint_finding *a = &((const struct entry *)pa)->f;
	const struct sw_lint_finding *b = &((const struct entry *)pb)->f;
	int d = strcmp(a->file, b->file);

	if (d != 0)
		return d;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	d = strcmp(a->id, b->id);
	return d != 0 ? d : strcmp(a->message, b->message);
}

/* ---- the finding builder ---- */

static void at_clear(struct lint_at *at)
{
	memset(at, 0, sizeof(*at));
	at->rule = at->peer = at->port = -1;
	at->related.rule = -1;
}

void lint_at_endpoint(const struct lint_ctx *c, size_t ep, struct lint_at *at)
{
	const struct sw_endpoint *e = sw_inventory_endpoint(c->inv, ep);

	at_clear(at);
	at->file = e->file;
	at->line = e->line;
	at->ns = e->ns;
}

void lint_at_policy(const struct sw_netpol *p, struct lint_at *at)
{
	at_clear(at);
	at->file = p->file;
	at->line = p->line;
	at->ns = p->ns;
	at->policy = p->name;
}

void lint_at_rule(const struct lint_rule *lr, struct lint_at *at)
{
	lint_at_policy(lr->p, at);
	at->direction = lint_dir_name(lr->dir);
	at->rule = (long)lr->idx;
	if (lr->r->line)
		at->line = lr->r->line;
}

void lint_at_peer(const struct lint_rule *lr, size_t k, struct lint_at *at)
{
	lint_at_rule(lr, at);
	at->peer = (long)k;
	if (lr->r->peers[k].line)
		at->line = lr->r->peers[k].line;
}

void lint_at_port(const struct lint_rule *lr, size_t k, struct lint_at *at)
{
	lint_at_rule(lr, at);
	at->port = (long)k;
	if (lr->r->ports[k].line)
		at->line = lr->r->ports[k].line;
}

void lint_related_policy(const struct sw_netpol *p, struct lint_at *at)
{
	at->related.ns = p->ns;
	at->related.policy = p->name;
	at->related.direction = NULL;
	at->related.rule = -1;
	at->related.file = p->file;
	at->related.line = p->line;
}

void lint_related_rule(const struct lint_rule *lr, struct lint_at *at)
{
	lint_related_policy(lr->p, at);
	at->related.direction = lint_dir_name(lr->dir);
	at->related.rule = (long)lr->idx;
	if (lr->r->line)
		at->related.line = lr->r->line;
}

static const char **eps_array(const struct lint_ctx *c, const uint64_t *eps, size_t *n)
{
	size_t k = 0;
	const char **v;

	*n = eps ? lint_bits_count(eps, c->words) : 0;
	if (*n == 0)
		return NULL;
	v = malloc(*n * sizeof(*v));
	if (v == NULL)
		return NULL;
	for (size_t i = lint_bits_next(eps, c->n_ep, 0); i < c->n_ep;
	     i = lint_bits_next(eps, c->n_ep, i + 1))
		v[k++] = sw_inventory_endpoint(c->inv, i)->id;
	return v;
}

static void add_v(struct lint_ctx *c, enum sw_lint_check check, const struct lint_at *at,
                  const uint64_t *eps, const char *fmt, va_list ap)
{
	struct entry *e = report_push(c->rep);
	char msg[LINT_MSG_MAX];

	if (e == NULL) {
		c->nomem = true;
		return;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	e->msg = strdup(msg);
	e->eps = eps_array(c, eps, &e->f.n_endpoints);
	if (e->msg == NULL || (e->f.n_endpoints > 0 && e->eps == NULL)) {
		c->nomem = true;
		free(e->msg);
		free(e->eps);
		c->rep->n--;
		return;
	}
	e->f.check = check;
	e->f.id = sw_lint_check_id(check);
	e->f.severity = sw_lint_check_severity(check);
	e->f.file = at->file ? at->file : "";
	e->f.line = at->line;
	e->f.message = e->msg;
	e->f.ns = at->ns;
	e->f.policy = at->policy;
	e->f.direction = at->direction;
	e->f.rule = at->rule;
	e->f.peer = at->peer;
	e->f.port = at->port;
	e->f.endpoints = e->eps;
	e->f.related = at->related;
}

void lint_add(struct lint_ctx *c, enum sw_lint_check check, const struct lint_at *at,
              const uint64_t *eps, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_v(c, check, at, eps, fmt, ap);
	va_end(ap);
}

void lint_add_ep(struct lint_ctx *c, enum sw_lint_check check, const struct lint_at *at,
                 size_t ep, const char *fmt, ...)
{
	uint64_t *one = calloc(c->words ? c->words : 1, sizeof(*one));
	va_list ap;

	if (one == NULL) {
		c->nomem = true;
		return;
	}
	lint_set(one, ep);
	va_start(ap, fmt);
	add_v(c, check, at, one, fmt, ap);
	va_end(ap);
	free(one);
}

/* ---- bitsets ---- */

size_t lint_bits_count(const uint64_t *b, size_t words)
{
	size_t n = 0;

	for (size_t i = 0; i < words; i++)
		n += (size_t)__builtin_popcountll(b[i]);
	return n;
}

size_t lint_bits_next(const uint64_t *b, size_t n, size_t i)
{
	while (i < n) {
		uint64_t w = b[i / 64] >> (i % 64);
		if (w != 0) {
			i += (size_t)__builtin_ctzll(w);
			return i < n ? i : n;
		}
		i = (i / 64 + 1) * 64;
	}
	return n;
}

bool lint_is_compose(const struct sw_netpol *p)
{
	return p->origin != NULL && strcmp(p->origin, "compose") == 0;
}

/* ---- the run ---- */

enum sw_status sw_lint_run(const struct sw_matcher *m, struct sw_lint_report **out,
                           struct sw_err *err)
{
	struct lint_ctx c;
	enum sw_status st;

	memset(&c, 0, sizeof(c));
	*out = NULL;
	c.m = m;
	c.inv = sw_matcher_inventory(m);
	c.set = sw_matcher_policies(m);
	c.rep = calloc(1, sizeof(*c.rep));
	if (c.rep == NULL)
		return sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
	st = lint_index_build(&c, err);
	if (st == SW_OK) {
		lint_check_isolation(&c);
		lint_check_breadth(&c);
		lint_check_refs(&c);
		lint_check_reach(&c);
		lint_check_redundant(&c);
		if (c.nomem)
			st = sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
	}
	lint_index_free(&c);
	if (st != SW_OK) {
		sw_lint_report_free(c.rep);
		return st;
	}
	if (c.rep->n > 1)
		qsort(c.rep->e, c.rep->n, sizeof(*c.rep->e), cmp_entry);
	*out = c.rep;
	return SW_OK;
}
