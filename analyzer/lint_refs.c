/*
 * lint_refs.c - references that resolve to nothing in the inventory, or
 * to less than was written: policies and peers whose selectors match no
 * endpoint (policy-selects-nothing, peer-selects-nothing, with a hint for
 * the `name` namespace label that clusters do not set by themselves),
 * namespaceSelector and podSelector split into two peers where one was
 * meant (peer-split-selectors), named ports no destination declares
 * (port-name-unresolved), rules that policyTypes switches off
 * (policy-types-ignore-rules) and policies declared twice
 * (policy-duplicate-name).
 *
 * peer-split-selectors is reported instead of peer-selects-nothing for the
 * podSelector peer it is about: a podSelector-only peer that matches no
 * endpoint of the policy's namespace, next to a namespaceSelector-only
 * peer in the same rule whose namespaces do hold endpoints the podSelector
 * matches. Compose-translated policies are not examined (their selectors
 * are generated and always match their own service).
 */
#include <stdlib.h>
#include <string.h>

#include "lint_int.h"

#define NS_NAME_LABEL "kubernetes.io/metadata.name"

static void check_policy(struct lint_ctx *c, size_t pol)
{
	const struct sw_netpol *p = sw_policy_set_get(c->set, pol);
	char sel[LINT_TEXT_MAX];
	struct lint_at at;

	lint_at_policy(p, &at);
	if (lint_bits_count(lint_pol_sel(c, pol), c->words) == 0) {
		long ns = c->pol_ns[pol];
		if (ns < 0 || lint_ns_count(c, (size_t)ns) == 0)
			lint_add(c, SW_LINT_POLICY_SELECTS_NOTHING, &at, NULL,
			         "%s/%s selects nothing: namespace %s has no endpoint in the inventory",
			         p->ns, p->name, p->ns);
		else
			lint_add(c, SW_LINT_POLICY_SELECTS_NOTHING, &at, NULL,
			         "%s/%s selects nothing: podSelector %s matches none of the %zu "
			         "endpoints of namespace %s", p->ns, p->name,
			         lint_sel_text(&p->pod_sel, sel, sizeof(sel)),
			         lint_ns_count(c, (size_t)ns), p->ns);
	}
	if (!p->type_ingress && p->n_ingress > 0)
		lint_add(c, SW_LINT_POLICY_TYPES_IGNORE_RULES, &at, NULL,
		         "policyTypes of %s/%s leaves out Ingress, so its %zu ingress rule%s no "
		         "effect", p->ns, p->name, p->n_ingress, p->n_ingress == 1 ? " has" : "s have");
	if (!p->type_egress && p->n_egress > 0)
		lint_add(c, SW_LINT_POLICY_TYPES_IGNORE_RULES, &at, NULL,
		         "policyTypes of %s/%s leaves out Egress, so its %zu egress rule%s no "
		         "effect", p->ns, p->name, p->n_egress, p->n_egress == 1 ? " has" : "s have");
}

static void check_duplicate(struct lint_ctx *c, size_t pol)
{
	const struct sw_netpol *p = sw_policy_set_get(c->set, pol);
	struct lint_at at;

	for (size_t i = 0; i < pol; i++) {
		const struct sw_netpol *q = sw_policy_set_get(c->set, i);
		if (lint_is_compose(q) || strcmp(q->ns, p->ns) != 0 || strcmp(q->name, p->name) != 0)
			continue;
		lint_at_policy(p, &at);
		lint_related_policy(q, &at);
		lint_add(c, SW_LINT_POLICY_DUPLICATE_NAME, &at, NULL,
		         "%s/%s is declared again (first at %s:%u): in a cluster the later one "
		         "replaces the earlier, while here both count", p->ns, p->name,
		         q->file ? q->file : "", q->line);
		return;
	}
}

/* True when sel has a requirement on key and no namespace has that label. */
static bool unset_ns_key(const struct lint_ctx *c, const struct sw_selector *sel,
                         const char *key)
{
	bool used = false;

	for (size_t i = 0; i < sel->n_reqs; i++)
		used = used || strcmp(sel->reqs[i].key, key) == 0;
	for (size_t ns = 0; used && ns < c->n_ns; ns++)
		if (sw_labels_get(&sw_inventory_namespace(c->inv, ns)->labels, key) != NULL)
			return false;
	return used;
}

static void report_nothing(struct lint_ctx *c, const struct lint_rule *lr, size_t k)
{
	const struct sw_peer *pe = &lr->r->peers[k];
	char ns_sel[LINT_TEXT_MAX], pod_sel[LINT_TEXT_MAX];
	bool any_eps;
	struct lint_at at;

	lint_at_peer(lr, k, &at);
	lint_sel_text(&pe->pod_sel, pod_sel, sizeof(pod_sel));
	if (!pe->has_ns_sel) {
		lint_add(c, SW_LINT_PEER_SELECTS_NOTHING, &at, NULL,
		         "podSelector %s matches no endpoint of namespace %s (a peer without "
		         "namespaceSelector means the policy's own namespace)", pod_sel, lr->p->ns);
		return;
	}
	lint_sel_text(&pe->ns_sel, ns_sel, sizeof(ns_sel));
	if (!lint_ns_sel_matches_any(c, &pe->ns_sel, &any_eps))
		lint_add(c, SW_LINT_PEER_SELECTS_NOTHING, &at, NULL,
		         "namespaceSelector %s matches no namespace%s", ns_sel,
		         unset_ns_key(c, &pe->ns_sel, "name")
		                 ? " (no namespace has a \"name\" label: clusters set only "
		                   NS_NAME_LABEL ", select on that)"
		                 : "");
	else if (!any_eps)
		lint_add(c, SW_LINT_PEER_SELECTS_NOTHING, &at, NULL,
		         "namespaceSelector %s matches only namespaces without endpoints in the "
		         "inventory", ns_sel);
	else
		lint_add(c, SW_LINT_PEER_SELECTS_NOTHING, &at, NULL,
		         "podSelector %s matches no endpoint of the namespaces namespaceSelector %s "
		         "selects", pod_sel, ns_sel);
}

/* peer-split-selectors for pod-only peer k; true when reported. */
static bool check_split(struct lint_ctx *c, const struct lint_rule *lr, size_t k,
                        uint64_t *scratch)
{
	const struct sw_peer *pe = &lr->r->peers[k];
	char ns_sel[LINT_TEXT_MAX], pod_sel[LINT_TEXT_MAX], eps[LINT_TEXT_MAX];
	struct lint_at at;

	if (pe->has_ns_sel || !pe->has_pod_sel)
		return false;
	for (size_t j = 0; j < lr->r->n_peers; j++) {
		const struct sw_peer *ns_peer = &lr->r->peers[j];
		struct sw_peer both = *pe;
		if (!ns_peer->has_ns_sel || ns_peer->has_pod_sel)
			continue;
		both.has_ns_sel = true;
		both.ns_sel = ns_peer->ns_sel;
		memset(scratch, 0, c->words * sizeof(*scratch));
		lint_peer_eps(c, lr->pol, &both, scratch);
		if (lint_bits_count(scratch, c->words) == 0)
			continue;
		lint_at_peer(lr, k, &at);
		lint_related_rule(lr, &at);
		if (ns_peer->line)
			at.related.line = ns_peer->line;
		lint_add(c, SW_LINT_PEER_SPLIT_SELECTORS, &at, scratch,
		         "podSelector %s is a peer of its own, ORed with namespaceSelector %s (line "
		         "%u): it looks in namespace %s only, where it matches nothing, while the "
		         "other peer admits every pod of its namespaces, %s among them; to admit only "
		         "those pods, write both selectors in one peer",
		         lint_sel_text(&pe->pod_sel, pod_sel, sizeof(pod_sel)),
		         lint_sel_text(&ns_peer->ns_sel, ns_sel, sizeof(ns_sel)), at.related.line,
		         lr->p->ns, lint_eps_text(c, scratch, eps, sizeof(eps)));
		return true;
	}
	return false;
}

static void check_peers(struct lint_ctx *c, const struct lint_rule *lr, uint64_t *scratch)
{
	for (size_t k = 0; k < lr->r->n_peers; k++) {
		const struct sw_peer *pe = &lr->r->peers[k];
		if (pe->has_ipblock)
			continue;
		memset(scratch, 0, c->words * sizeof(*scratch));
		lint_peer_eps(c, lr->pol, pe, scratch);
		if (lint_bits_count(scratch, c->words) > 0)
			continue;
		if (!check_split(c, lr, k, scratch))
			report_nothing(c, lr, k);
	}
}

/* Endpoints a rule's ports resolve on: the selected ones for ingress, the
 * peers for egress. */
static const uint64_t *port_destinations(const struct lint_ctx *c, const struct lint_rule *lr,
                                         uint64_t *scratch)
{
	if (lr->dir == LINT_IN)
		return lint_pol_sel(c, lr->pol);
	if (!lr->all_peers)
		return lr->eps;
	for (size_t e = 0; e < c->n_ep; e++)
		lint_set(scratch, e);
	return scratch;
}

static bool declares(const struct sw_endpoint *e, const char *name, int proto)
{
	for (size_t i = 0; i < e->n_ports; i++)
		if (e->ports[i].name && strcmp(e->ports[i].name, name) == 0 &&
		    (proto < 0 || e->ports[i].proto == proto))
			return true;
	return false;
}

static void check_named_port(struct lint_ctx *c, const struct lint_rule *lr, size_t k,
                             const uint64_t *dst)
{
	const struct sw_port_rule *pr = &lr->r->ports[k];
	char port[LINT_TEXT_MAX], eps[LINT_TEXT_MAX];
	bool other_proto = false;
	struct lint_at at;

	lint_at_port(lr, k, &at);
	lint_port_text(pr, port, sizeof(port));
	if (lint_bits_count(dst, c->words) == 0) {
		if (lr->dir == LINT_EG && lr->has_ipblock)
			lint_add(c, SW_LINT_PORT_NAME_UNRESOLVED, &at, NULL,
			         "%s matches nothing: the rule's destinations are ipBlocks, and "
			         "addresses outside the inventory declare no named ports", port);
		return;
	}
	for (size_t e = lint_bits_next(dst, c->n_ep, 0); e < c->n_ep;
	     e = lint_bits_next(dst, c->n_ep, e + 1)) {
		const struct sw_endpoint *ep = sw_inventory_endpoint(c->inv, e);
		if (declares(ep, pr->port_name, pr->proto))
			return;
		other_proto = other_proto || declares(ep, pr->port_name, -1);
	}
	lint_add(c, SW_LINT_PORT_NAME_UNRESOLVED, &at, dst,
	         "%s matches nothing: no %s (%s) declares a port of that name and protocol%s",
	         port, lr->dir == LINT_IN ? "endpoint the policy selects" : "destination",
	         lint_eps_text(c, dst, eps, sizeof(eps)),
	         other_proto ? " (it is declared for another protocol)" : "");
}

static void check_ports(struct lint_ctx *c, const struct lint_rule *lr, uint64_t *scratch)
{
	const uint64_t *dst = NULL;

	for (size_t k = 0; lr->r->ports_present && k < lr->r->n_ports; k++) {
		if (lr->r->ports[k].port_name == NULL)
			continue;
		if (dst == NULL) {
			memset(scratch, 0, c->words * sizeof(*scratch));
			dst = port_destinations(c, lr, scratch);
		}
		check_named_port(c, lr, k, dst);
	}
}

void lint_check_refs(struct lint_ctx *c)
{
	uint64_t *scratch = calloc(c->words, sizeof(*scratch));

	if (scratch == NULL) {
		c->nomem = true;
		return;
	}
	for (size_t p = 0; p < c->n_pol; p++) {
		if (lint_is_compose(sw_policy_set_get(c->set, p)))
			continue;
		check_policy(c, p);
		check_duplicate(c, p);
	}
	for (size_t i = 0; i < c->n_rules; i++) {
		const struct lint_rule *lr = &c->rules[i];
		if (!lr->applies || lint_is_compose(lr->p))
			continue;
		check_peers(c, lr, scratch);
		check_ports(c, lr, scratch);
	}
	free(scratch);
}
