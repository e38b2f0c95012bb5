/*
 * lint_redundant.c - rule-redundant: a rule whose allowed set (peers x
 * ports) is contained in another rule of the same direction, in a policy
 * that selects at least the same endpoints.
 *
 * Conservative on purpose: containment is decided from the text of the
 * rules alone, never from the inventory (which changes), and only where it
 * is exact:
 *  - policies: same namespace, and the covering policy's podSelector is
 *    implied by the other's (every requirement of the broader selector
 *    follows from a single requirement of the narrower one);
 *  - peers: every peer of the rule lies within one peer of the other rule
 *    (a rule without peers contains every rule, is contained only in
 *    such a rule); selector peers compare namespace part and pod part
 *    with the same implication (a peer without namespaceSelector stands
 *    for kubernetes.io/metadata.name=<policy namespace>); ipBlocks by
 *    prefix containment, each except of the broader block that overlaps
 *    the narrower one having to lie within an except of the narrower;
 *  - ports: every port entry lies within one entry of the other rule (same
 *    protocol; a range within a range, a name equal to a name, anything
 *    within an entry without port); a rule without ports contains every
 *    rule and is contained only in such a rule.
 * A union of several rules covering one is not detected. When two rules
 * contain each other and apply to the same endpoints, only the later one
 * is reported.
 */
#include <stdlib.h>
#include <string.h>

#include "lint_int.h"

#define NS_NAME_LABEL "kubernetes.io/metadata.name"

static bool has_value(const struct sw_sel_req *r, const char *v)
{
	for (size_t i = 0; i < r->n_values; i++)
		if (strcmp(r->values[i], v) == 0)
			return true;
	return false;
}

/* Every value of a is in b (all_in) / none is (none_in). */
static bool values_within(const struct sw_sel_req *a, const struct sw_sel_req *b, bool all_in)
{
	for (size_t i = 0; i < a->n_values; i++)
		if (has_value(b, a->values[i]) != all_in)
			return false;
	return true;
}

/* Every label set satisfying a satisfies b (same key). */
static bool req_implies(const struct sw_sel_req *a, const struct sw_sel_req *b)
{
	if (strcmp(a->key, b->key) != 0)
		return false;
	switch (b->op) {
	case SW_SEL_IN:
		return a->op == SW_SEL_IN && values_within(a, b, true);
	case SW_SEL_NOT_IN:
		return (a->op == SW_SEL_IN && values_within(a, b, false)) ||
		       (a->op == SW_SEL_NOT_IN && values_within(b, a, true)) ||
		       a->op == SW_SEL_DOES_NOT_EXIST;
	case SW_SEL_EXISTS:
		return (a->op == SW_SEL_IN && a->n_values > 0) || a->op == SW_SEL_EXISTS;
	case SW_SEL_DOES_NOT_EXIST:
		return a->op == SW_SEL_DOES_NOT_EXIST;
	}
	return false;
}

/* Everything a matches, b matches. */
static bool sel_implies(const struct sw_selector *a, const struct sw_selector *b)
{
	for (size_t j = 0; j < b->n_reqs; j++) {
		bool found = false;
		for (size_t i = 0; i < a->n_reqs && !found; i++)
			found = req_implies(&a->reqs[i], &b->reqs[j]);
		if (!found)
			return false;
	}
	return true;
}

/* Namespace part of a peer as a selector: its namespaceSelector, or the
 * policy's namespace by name. own/value are storage for the latter. */
static const struct sw_selector *ns_part(const struct sw_peer *pe, const struct sw_netpol *p,
                                         struct sw_selector *own, struct sw_sel_req *req,
                                         char *key, char **value)
{
	if (pe->has_ns_sel)
		return &pe->ns_sel;
	*value = p->ns;
	req->key = key;
	req->op = SW_SEL_IN;
	req->n_values = 1;
	req->values = value;
	own->n_reqs = 1;
	own->reqs = req;
	return own;
}

static bool selector_peer_within(const struct sw_peer *a, const struct sw_peer *b,
                                 const struct sw_netpol *p)
{
	char key_a[] = NS_NAME_LABEL, key_b[] = NS_NAME_LABEL;
	char *val_a, *val_b;
	struct sw_selector own_a, own_b;
	struct sw_sel_req req_a, req_b;
	const struct sw_selector *na = ns_part(a, p, &own_a, &req_a, key_a, &val_a);
	const struct sw_selector *nb = ns_part(b, p, &own_b, &req_b, key_b, &val_b);
	bool b_all_pods = !b->has_pod_sel || b->pod_sel.n_reqs == 0;
	bool a_all_pods = !a->has_pod_sel || a->pod_sel.n_reqs == 0;

	if (!sel_implies(na, nb))
		return false;
	if (b_all_pods)
		return true;
	return !a_all_pods && sel_implies(&a->pod_sel, &b->pod_sel);
}

static bool prefix_within(const struct sw_prefix *a, const struct sw_prefix *b)
{
	return sw_prefix_is_v4(a) == sw_prefix_is_v4(b) && a->len >= b->len &&
	       sw_prefix_contains(b, &a->addr);
}

static bool overlap(const struct sw_prefix *a, const struct sw_prefix *b)
{
	return prefix_within(a, b) || prefix_within(b, a);
}

static bool ipblock_within(const struct sw_ipblock *a, const struct sw_ipblock *b)
{
	if (!prefix_within(&a->cidr, &b->cidr))
		return false;
	for (size_t i = 0; i < b->n_except; i++) {
		const struct sw_prefix *eb = &b->except[i];
		bool covered = false;
		if (!overlap(eb, &a->cidr))
			continue;
		if (!prefix_within(eb, &a->cidr))
			return false; /* all of a is excepted: not worth deciding */
		for (size_t k = 0; k < a->n_except && !covered; k++)
			covered = prefix_within(eb, &a->except[k]);
		if (!covered)
			return false;
	}
	return true;
}

static bool peer_within(const struct sw_peer *a, const struct sw_peer *b,
                        const struct sw_netpol *p)
{
	if (a->has_ipblock || b->has_ipblock)
		return a->has_ipblock && b->has_ipblock && ipblock_within(&a->ipblock, &b->ipblock);
	return selector_peer_within(a, b, p);
}

static bool port_within(const struct sw_port_rule *a, const struct sw_port_rule *b)
{
	if (a->proto != b->proto)
		return false;
	if (!b->has_port)
		return true;
	if (!a->has_port)
		return false;
	if (a->port_name || b->port_name)
		return a->port_name && b->port_name && strcmp(a->port_name, b->port_name) == 0;
	return a->port >= b->port && (a->end_port > a->port ? a->end_port : a->port) <=
	                                 (b->end_port > b->port ? b->end_port : b->port);
}

static bool ports_within(const struct sw_rule *a, const struct sw_rule *b)
{
	if (!b->ports_present || b->n_ports == 0)
		return true;
	if (!a->ports_present || a->n_ports == 0)
		return false;
	for (size_t i = 0; i < a->n_ports; i++) {
		bool found = false;
		for (size_t j = 0; j < b->n_ports && !found; j++)
			found = port_within(&a->ports[i], &b->ports[j]);
		if (!found)
			return false;
	}
	return true;
}

/* Everything rule a admits, rule b admits (same namespace). */
static bool rule_within(const struct lint_rule *a, const struct lint_rule *b)
{
	if (!ports_within(a->r, b->r))
		return false;
	if (b->all_peers)
		return true;
	if (a->all_peers)
		return false;
	for (size_t i = 0; i < a->r->n_peers; i++) {
		bool found = false;
		for (size_t j = 0; j < b->r->n_peers && !found; j++)
			found = peer_within(&a->r->peers[i], &b->r->peers[j], a->p);
		if (!found)
			return false;
	}
	return true;
}

/* Policy b applies to every endpoint policy a selects. */
static bool policy_covers(const struct lint_rule *a, const struct lint_rule *b)
{
	return a->pol == b->pol || sel_implies(&a->p->pod_sel, &b->p->pod_sel);
}

static bool candidate(const struct lint_rule *lr)
{
	return lr->applies && !lint_is_compose(lr->p);
}

static void report(struct lint_ctx *c, const struct lint_rule *lr, const struct lint_rule *by)
{
	struct lint_at at;

	lint_at_rule(lr, &at);
	lint_related_rule(by, &at);
	lint_add(c, SW_LINT_RULE_REDUNDANT, &at, NULL,
	         "%s rule %zu of %s/%s is redundant: %s rule %zu of %s/%s (%s:%u), which applies "
	         "to the same endpoints%s, admits every peer and port it does",
	         lint_dir_name(lr->dir), lr->idx, lr->p->ns, lr->p->name, lint_dir_name(by->dir),
	         by->idx, by->p->ns, by->p->name, by->p->file ? by->p->file : "", at.related.line,
	         by->pol == lr->pol ? "" : " or more");
}

void lint_check_redundant(struct lint_ctx *c)
{
	for (size_t i = 0; i < c->n_rules; i++) {
		const struct lint_rule *a = &c->rules[i];
		if (!candidate(a))
			continue;
		for (size_t j = 0; j < c->n_rules; j++) {
			const struct lint_rule *b = &c->rules[j];
			if (j == i || !candidate(b) || b->dir != a->dir || strcmp(a->p->ns, b->p->ns) != 0)
				continue;
			if (!policy_covers(a, b) || !rule_within(a, b))
				continue;
			if (j > i && policy_covers(b, a) && rule_within(b, a))
				continue; /* equivalent: the later one is reported */
			report(c, a, b);
			break;
		}
	}
}
