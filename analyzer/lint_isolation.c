/*
 * lint_isolation.c - deny by default: namespaces without a default-deny
 * policy per direction (ns-no-default-deny-ingress/-egress) and endpoints
 * that no policy isolates (endpoint-ingress-open/-egress-open).
 *
 * A default-deny policy for a direction selects every pod of its namespace
 * (empty podSelector), has the direction in policyTypes and no rule of
 * that direction admitting everything (no peers and no ports); rules that
 * admit some peers are allowed (deny by default, then allow explicitly).
 * A podSelector {} policy with a rule admitting everything opens every pod
 * whatever else selects it, so it cancels a default deny.
 * Namespaces whose every endpoint is isolated by compose-translated
 * policies are exempt: compose denies by default between networks.
 */
#include <stdlib.h>
#include <string.h>

#include "lint_int.h"

/* Per namespace and direction. */
struct ns_state {
	size_t n_policies;          /* policies of the namespace */
	bool default_deny[2];
	long open_all[2];           /* a podSelector {} policy whose rule admits all, or -1 */
	size_t open_rule[2];
};

static bool rule_admits_all(const struct sw_rule *r)
{
	return (!r->peers_present || r->n_peers == 0) && (!r->ports_present || r->n_ports == 0);
}

static void scan_policy(struct ns_state *s, const struct sw_netpol *p, size_t pol)
{
	s->n_policies++;
	if (p->pod_sel.n_reqs != 0)
		return;
	for (int dir = LINT_IN; dir <= LINT_EG; dir++) {
		const struct sw_rule *rules = dir == LINT_IN ? p->ingress : p->egress;
		size_t n = dir == LINT_IN ? p->n_ingress : p->n_egress;
		bool all = false;

		if (!(dir == LINT_IN ? p->type_ingress : p->type_egress))
			continue;
		for (size_t i = 0; i < n && !all; i++) {
			all = rule_admits_all(&rules[i]);
			if (all && s->open_all[dir] < 0) {
				s->open_all[dir] = (long)pol;
				s->open_rule[dir] = i;
			}
		}
		if (!all)
			s->default_deny[dir] = true;
	}
}

/* True when a compose policy isolates every endpoint of ns for dir. */
static bool compose_isolated(const struct lint_ctx *c, size_t ns, int dir)
{
	for (size_t k = c->ns_off[ns]; k < c->ns_off[ns + 1]; k++) {
		size_t e = c->ns_eps[k];
		bool found = false;
		for (size_t p = 0; p < c->n_pol && !found; p++) {
			const struct sw_netpol *pol = sw_policy_set_get(c->set, p);
			found = lint_is_compose(pol) && lint_bit(lint_pol_sel(c, p), e) &&
			        (dir == LINT_IN ? pol->type_ingress : pol->type_egress);
		}
		if (!found)
			return false;
	}
	return true;
}

static void report_ns(struct lint_ctx *c, size_t ns, const struct ns_state *s, int dir)
{
	const char *name = sw_inventory_namespace(c->inv, ns)->name;
	enum sw_lint_check check = dir == LINT_IN ? SW_LINT_NS_NO_DEFAULT_DENY_INGRESS
	                                          : SW_LINT_NS_NO_DEFAULT_DENY_EGRESS;
	const char *type = dir == LINT_IN ? "Ingress" : "Egress";
	struct lint_at at;

	lint_at_endpoint(c, c->ns_eps[c->ns_off[ns]], &at);
	if (s->open_all[dir] >= 0) {
		const struct sw_netpol *p = sw_policy_set_get(c->set, (size_t)s->open_all[dir]);
		const struct sw_rule *r = dir == LINT_IN ? &p->ingress[s->open_rule[dir]]
		                                         : &p->egress[s->open_rule[dir]];
		lint_related_policy(p, &at);
		at.related.direction = lint_dir_name(dir);
		at.related.rule = (long)s->open_rule[dir];
		at.related.line = r->line ? r->line : p->line;
		lint_add(c, check, &at, NULL,
		         "namespace %s has no default-deny %s: %s/%s selects every pod but its %s "
		         "rule %zu (line %u) admits everything", name, lint_dir_name(dir), p->ns,
		         p->name, lint_dir_name(dir), s->open_rule[dir], at.related.line);
		return;
	}
	lint_add(c, check, &at, NULL,
	         "namespace %s has no default-deny %s policy (podSelector: {}, policyTypes: "
	         "[%s])%s: pods no other policy selects are open, and so is every new pod",
	         name, lint_dir_name(dir), type,
	         s->n_policies == 0 ? " and no NetworkPolicy at all" : "");
}

static void check_namespaces(struct lint_ctx *c)
{
	struct ns_state *st = calloc(c->n_ns ? c->n_ns : 1, sizeof(*st));

	if (st == NULL) {
		c->nomem = true;
		return;
	}
	for (size_t i = 0; i < c->n_ns; i++)
		st[i].open_all[LINT_IN] = st[i].open_all[LINT_EG] = -1;
	for (size_t p = 0; p < c->n_pol; p++)
		if (c->pol_ns[p] >= 0)
			scan_policy(&st[c->pol_ns[p]], sw_policy_set_get(c->set, p), p);
	for (size_t ns = 0; ns < c->n_ns; ns++) {
		if (lint_ns_count(c, ns) == 0)
			continue;
		for (int dir = LINT_IN; dir <= LINT_EG; dir++)
			if ((!st[ns].default_deny[dir] || st[ns].open_all[dir] >= 0) &&
			    !compose_isolated(c, ns, dir))
				report_ns(c, ns, &st[ns], dir);
	}
	free(st);
}

static void check_endpoints(struct lint_ctx *c)
{
	for (size_t e = 0; e < c->n_ep; e++) {
		const char *id = sw_inventory_endpoint(c->inv, e)->id;
		struct lint_at at;

		lint_at_endpoint(c, e, &at);
		if (!(c->iso[e] & (1u << LINT_IN))) {
			at.direction = "ingress";
			lint_add_ep(c, SW_LINT_ENDPOINT_INGRESS_OPEN, &at, e,
			            "%s is not isolated for ingress (no policy selects it with Ingress): "
			            "every source, in the cluster or outside, may connect on every port",
			            id);
		}
		if (!(c->iso[e] & (1u << LINT_EG))) {
			at.direction = "egress";
			lint_add_ep(c, SW_LINT_ENDPOINT_EGRESS_OPEN, &at, e,
			            "%s is not isolated for egress (no policy selects it with Egress): "
			            "it may connect to every destination on every port", id);
		}
	}
}

void lint_check_isolation(struct lint_ctx *c)
{
	check_namespaces(c);
	check_endpoints(c);
}
