/*
 * lint_breadth.c - least privilege: rules and peers that admit more than a
 * reviewer would expect (rule-allow-all, rule-any-peer, rule-any-port,
 * peer-all-namespaces, peer-all-pods, peer-ipblock-all), ipBlocks that
 * cover endpoints' own addresses (peer-ipblock-endpoints, a common
 * misunderstanding: ipBlock never matches endpoints), and compose services
 * published to the outside (compose-port-published).
 *
 * Only rules of a direction in their policy's policyTypes are examined
 * (the others have no effect; lint_refs.c reports them). Compose rules are
 * compose's own model (networks, all ports; 0.0.0.0/0 and ::/0 for
 * "outside"): only compose-port-published applies to them.
 */
#include <stdlib.h>
#include <string.h>

#include "lint_int.h"

static bool ports_all(const struct sw_rule *r)
{
	return !r->ports_present || r->n_ports == 0;
}

static void check_compose_rule(struct lint_ctx *c, const struct lint_rule *lr)
{
	char ports[LINT_TEXT_MAX];
	const char *svc = lr->p->name;
	struct lint_at at;

	if (lr->dir != LINT_IN || !lr->has_ipblock || ports_all(lr->r))
		return;
	if (strncmp(svc, "compose-", 8) == 0)
		svc += 8;
	lint_at_rule(lr, &at);
	lint_add(c, SW_LINT_COMPOSE_PORT_PUBLISHED, &at, lint_pol_sel(c, lr->pol),
	         "service %s publishes %s to the outside: every address may connect (Docker's "
	         "published ports bypass the host's INPUT firewall rules; filter in DOCKER-USER "
	         "or publish on 127.0.0.1)", svc, lint_ports_text(lr->r, ports, sizeof(ports)));
}

static void check_rule_shape(struct lint_ctx *c, const struct lint_rule *lr)
{
	char ports[LINT_TEXT_MAX];
	const char *dir = lint_dir_name(lr->dir);
	struct lint_at at;

	lint_at_rule(lr, &at);
	if (lr->all_peers && ports_all(lr->r)) {
		lint_add(c, SW_LINT_RULE_ALLOW_ALL, &at, lint_pol_sel(c, lr->pol),
		         "%s rule %zu of %s/%s has no %s and no ports: it admits all traffic, so the "
		         "endpoints the policy selects are in effect not isolated for %s", dir,
		         lr->idx, lr->p->ns, lr->p->name, lr->dir == LINT_IN ? "from" : "to", dir);
		return;
	}
	if (lr->all_peers)
		lint_add(c, SW_LINT_RULE_ANY_PEER, &at, lint_pol_sel(c, lr->pol),
		         "%s rule %zu of %s/%s has no %s: it admits every %s, in the cluster and "
		         "outside it, on %s", dir, lr->idx, lr->p->ns, lr->p->name,
		         lr->dir == LINT_IN ? "from" : "to", lint_peer_word(lr->dir),
		         lint_ports_text(lr->r, ports, sizeof(ports)));
	if (ports_all(lr->r)) {
		lint_add(c, SW_LINT_RULE_ANY_PORT, &at, lint_pol_sel(c, lr->pol),
		         "%s rule %zu of %s/%s has no ports: it admits its %ss on every port and "
		         "protocol; name the ports the service uses", dir, lr->idx, lr->p->ns,
		         lr->p->name, lint_peer_word(lr->dir));
		return;
	}
	for (size_t k = 0; k < lr->r->n_ports; k++) {
		const struct sw_port_rule *pr = &lr->r->ports[k];
		char one[LINT_TEXT_MAX];
		if (pr->has_port)
			continue;
		lint_at_port(lr, k, &at);
		lint_add(c, SW_LINT_RULE_ANY_PORT, &at, lint_pol_sel(c, lr->pol),
		         "%s rule %zu of %s/%s: a port entry without a port admits %s", dir, lr->idx,
		         lr->p->ns, lr->p->name, lint_port_text(pr, one, sizeof(one)));
	}
}

static bool ipblock_is_all(const struct sw_ipblock *b)
{
	return sw_prefix_is_v4(&b->cidr) ? b->cidr.len == 96 : b->cidr.len == 0;
}

static void check_ipblock_all(struct lint_ctx *c, const struct lint_rule *lr, size_t k)
{
	const struct sw_ipblock *b = &lr->r->peers[k].ipblock;
	char cidr[SW_PREFIX_STRLEN], ex[LINT_TEXT_MAX] = "", ports[LINT_TEXT_MAX];
	struct lint_at at;

	for (size_t i = 0; i < b->n_except; i++) {
		char one[SW_PREFIX_STRLEN];
		size_t used = strlen(ex);
		snprintf(ex + used, sizeof(ex) - used, "%s%s", i ? ", " : " except ",
		         sw_prefix_format(&b->except[i], one, sizeof(one)));
	}
	lint_at_peer(lr, k, &at);
	lint_add(c, SW_LINT_PEER_IPBLOCK_ALL, &at, lint_pol_sel(c, lr->pol),
	         "ipBlock %s%s admits every %s address %s on %s; least privilege: list the "
	         "external ranges actually needed", sw_prefix_format(&b->cidr, cidr, sizeof(cidr)),
	         ex, sw_prefix_is_v4(&b->cidr) ? "IPv4" : "IPv6",
	         lr->dir == LINT_IN ? "as a source" : "as a destination",
	         lint_ports_text(lr->r, ports, sizeof(ports)));
}

/* Every endpoint prefix with its first and last address, sorted by first
 * address, so that the prefixes inside a block are found by bisection. */
struct pfx_ent {
	struct sw_addr first, last;
	size_t ep;
};

struct breadth {
	struct lint_ctx *c;
	struct pfx_ent *pfx;
	size_t n_pfx;
	uint64_t *hit;   /* scratch */
};

static int cmp_pfx(const void *a, const void *b)
{
	return sw_addr_cmp(&((const struct pfx_ent *)a)->first, &((const struct pfx_ent *)b)->first);
}

static bool breadth_init(struct breadth *b)
{
	const struct lint_ctx *c = b->c;
	size_t n = 0;

	for (size_t e = 0; e < c->n_ep; e++)
		n += sw_inventory_endpoint(c->inv, e)->n_prefixes;
	b->pfx = calloc(n ? n : 1, sizeof(*b->pfx));
	b->hit = calloc(c->words, sizeof(*b->hit));
	if (b->pfx == NULL || b->hit == NULL)
		return false;
	for (size_t e = 0; e < c->n_ep; e++) {
		const struct sw_endpoint *ep = sw_inventory_endpoint(c->inv, e);
		for (size_t i = 0; i < ep->n_prefixes; i++, b->n_pfx++) {
			struct pfx_ent *x = &b->pfx[b->n_pfx];
			sw_prefix_first(&ep->prefixes[i], &x->first);
			sw_prefix_last(&ep->prefixes[i], &x->last);
			x->ep = e;
		}
	}
	qsort(b->pfx, b->n_pfx, sizeof(*b->pfx), cmp_pfx);
	return true;
}

/* Endpoints with addresses in block ib: prefixes inside the block (their
 * first or last address admitted), and the endpoint owning the block's
 * first address (a block inside an endpoint's range). */
static void covered(struct breadth *b, const struct sw_ipblock *ib)
{
	struct sw_addr first, last;
	size_t lo = 0, hi = b->n_pfx;
	long owner;

	memset(b->hit, 0, b->c->words * sizeof(*b->hit));
	sw_prefix_first(&ib->cidr, &first);
	sw_prefix_last(&ib->cidr, &last);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (sw_addr_cmp(&b->pfx[mid].first, &first) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < b->n_pfx && sw_addr_cmp(&b->pfx[i].first, &last) <= 0; i++)
		if (sw_ipblock_contains(ib, &b->pfx[i].first) ||
		    sw_ipblock_contains(ib, &b->pfx[i].last))
			lint_set(b->hit, b->pfx[i].ep);
	owner = sw_matcher_endpoint_of(b->c->m, &first);
	if (owner >= 0 && sw_ipblock_contains(ib, &first))
		lint_set(b->hit, (size_t)owner);
}

static void check_ipblock_endpoints(struct breadth *b, const struct lint_rule *lr, size_t k)
{
	struct lint_ctx *c = b->c;
	const struct sw_ipblock *ib = &lr->r->peers[k].ipblock;
	char cidr[SW_PREFIX_STRLEN], eps[LINT_TEXT_MAX];
	struct lint_at at;
	size_t n;

	covered(b, ib);
	n = lint_bits_count(b->hit, c->words);
	if (n == 0)
		return;
	lint_at_peer(lr, k, &at);
	lint_add(c, SW_LINT_PEER_IPBLOCK_ENDPOINTS, &at, b->hit,
	         "ipBlock %s covers the addresses of %zu endpoint%s (%s), but an ipBlock is for "
	         "addresses outside the cluster and never matches endpoints' traffic: select "
	         "them with podSelector/namespaceSelector",
	         sw_prefix_format(&ib->cidr, cidr, sizeof(cidr)), n, n == 1 ? "" : "s",
	         lint_eps_text(c, b->hit, eps, sizeof(eps)));
}

static void check_peer(struct breadth *b, const struct lint_rule *lr, size_t k)
{
	struct lint_ctx *c = b->c;
	const struct sw_peer *pe = &lr->r->peers[k];
	const uint64_t *sel_eps = lint_pol_sel(c, lr->pol);
	char sel[LINT_TEXT_MAX];
	struct lint_at at;

	lint_at_peer(lr, k, &at);
	if (pe->has_ipblock) {
		if (ipblock_is_all(&pe->ipblock))
			check_ipblock_all(c, lr, k);
		else
			check_ipblock_endpoints(b, lr, k);
		return;
	}
	if (pe->has_ns_sel && pe->ns_sel.n_reqs == 0) {
		bool all_pods = !pe->has_pod_sel || pe->pod_sel.n_reqs == 0;
		if (all_pods)
			lint_add(c, SW_LINT_PEER_ALL_NAMESPACES, &at, sel_eps,
			         "namespaceSelector: {} admits every pod of every namespace");
		else
			lint_add(c, SW_LINT_PEER_ALL_NAMESPACES, &at, sel_eps,
			         "namespaceSelector: {} admits pods labelled %s in every namespace: "
			         "whoever can label a pod anywhere gets in; name the namespaces",
			         lint_sel_text(&pe->pod_sel, sel, sizeof(sel)));
		return;
	}
	if (!pe->has_ns_sel && pe->has_pod_sel && pe->pod_sel.n_reqs == 0)
		lint_add(c, SW_LINT_PEER_ALL_PODS, &at, sel_eps,
		         "podSelector: {} admits every pod of namespace %s; segment by function: "
		         "select the pods that need this", lr->p->ns);
}

void lint_check_breadth(struct lint_ctx *c)
{
	struct breadth b;

	memset(&b, 0, sizeof(b));
	b.c = c;
	if (!breadth_init(&b)) {
		c->nomem = true;
		free(b.pfx);
		free(b.hit);
		return;
	}
	for (size_t i = 0; i < c->n_rules; i++) {
		const struct lint_rule *lr = &c->rules[i];
		if (!lr->applies)
			continue;
		if (lint_is_compose(lr->p)) {
			check_compose_rule(c, lr);
			continue;
		}
		check_rule_shape(c, lr);
		for (size_t k = 0; k < lr->r->n_peers; k++)
			check_peer(&b, lr, k);
	}
	free(b.pfx);
	free(b.hit);
}
