/*
 * lint_index.c - the index every lint check reads, built once per run:
 * endpoints grouped by namespace, the endpoints each policy selects and
 * each rule's selector peers match (bitsets), isolation per endpoint,
 * endpoint shapes (namespace, labels and ports: what policies see), and
 * the verdict matcher over a copy of the inventory in which every endpoint
 * owns one synthetic address (so endpoints without addresses are judged
 * too; ipBlocks never match endpoints, so the verdict between two
 * endpoints does not depend on their addresses).
 */
#include <stdlib.h>
#include <string.h>

#include "lint_int.h"

/* Endpoint i owns 240.0.0.0 + i + 1 in the copy (class E, reserved: IPv4
 * keeps judge() on its fast path). Any address would do: only the copy's
 * endpoints are there, and ipBlocks never match endpoints. */
#define SHADOW_MAX ((size_t)1 << 28)

struct ns_name {
	const char *name;
	size_t idx;
};

static int cmp_ns_name(const void *a, const void *b)
{
	return strcmp(((const struct ns_name *)a)->name, ((const struct ns_name *)b)->name);
}

static long ns_index(const struct ns_name *sorted, size_t n, const char *name)
{
	struct ns_name key = {name, 0};
	const struct ns_name *hit = bsearch(&key, sorted, n, sizeof(*sorted), cmp_ns_name);

	return hit ? (long)hit->idx : -1;
}

/* ep_ns, ns_off, ns_eps and pol_ns. */
static bool index_namespaces(struct lint_ctx *c)
{
	struct ns_name *sorted = calloc(c->n_ns ? c->n_ns : 1, sizeof(*sorted));
	size_t *fill = calloc(c->n_ns + 1, sizeof(*fill));
	bool ok = sorted && fill;

	for (size_t i = 0; ok && i < c->n_ns; i++)
		sorted[i] = (struct ns_name){sw_inventory_namespace(c->inv, i)->name, i};
	if (ok)
		qsort(sorted, c->n_ns, sizeof(*sorted), cmp_ns_name);
	for (size_t e = 0; ok && e < c->n_ep; e++) {
		long ns = ns_index(sorted, c->n_ns, sw_inventory_endpoint(c->inv, e)->ns);
		ok = ns >= 0; /* the inventory creates every endpoint's namespace */
		if (ok) {
			c->ep_ns[e] = (size_t)ns;
			c->ns_off[ns + 1]++;
		}
	}
	for (size_t i = 0; ok && i < c->n_ns; i++) {
		c->ns_off[i + 1] += c->ns_off[i];
		fill[i] = c->ns_off[i];
	}
	for (size_t e = 0; ok && e < c->n_ep; e++)
		c->ns_eps[fill[c->ep_ns[e]]++] = e;
	for (size_t p = 0; ok && p < c->n_pol; p++)
		c->pol_ns[p] = ns_index(sorted, c->n_ns, sw_policy_set_get(c->set, p)->ns);
	free(sorted);
	free(fill);
	return ok;
}

static void index_selection(struct lint_ctx *c)
{
	for (size_t p = 0; p < c->n_pol; p++) {
		const struct sw_netpol *pol = sw_policy_set_get(c->set, p);
		uint64_t *sel = c->pol_sel + p * c->words;
		long ns = c->pol_ns[p];

		if (ns < 0)
			continue;
		for (size_t k = c->ns_off[ns]; k < c->ns_off[ns + 1]; k++) {
			size_t e = c->ns_eps[k];
			if (!sw_selector_matches(&pol->pod_sel, &sw_inventory_endpoint(c->inv, e)->labels))
				continue;
			lint_set(sel, e);
			c->iso[e] |= (uint8_t)((pol->type_ingress ? 1u << LINT_IN : 0) |
			                       (pol->type_egress ? 1u << LINT_EG : 0));
		}
	}
}

static void ns_eps_into(const struct lint_ctx *c, size_t ns, const struct sw_peer *pe,
                        uint64_t *out)
{
	for (size_t k = c->ns_off[ns]; k < c->ns_off[ns + 1]; k++) {
		size_t e = c->ns_eps[k];
		if (!pe->has_pod_sel ||
		    sw_selector_matches(&pe->pod_sel, &sw_inventory_endpoint(c->inv, e)->labels))
			lint_set(out, e);
	}
}

void lint_peer_eps(const struct lint_ctx *c, size_t pol, const struct sw_peer *pe,
                   uint64_t *out)
{
	if (pe->has_ipblock)
		return;
	if (!pe->has_ns_sel) {
		if (c->pol_ns[pol] >= 0)
			ns_eps_into(c, (size_t)c->pol_ns[pol], pe, out);
		return;
	}
	for (size_t ns = 0; ns < c->n_ns; ns++)
		if (sw_selector_matches(&pe->ns_sel, &sw_inventory_namespace(c->inv, ns)->labels))
			ns_eps_into(c, ns, pe, out);
}

bool lint_ns_sel_matches_any(const struct lint_ctx *c, const struct sw_selector *sel,
                             bool *any_eps)
{
	bool any = false;

	*any_eps = false;
	for (size_t ns = 0; ns < c->n_ns; ns++) {
		if (!sw_selector_matches(sel, &sw_inventory_namespace(c->inv, ns)->labels))
			continue;
		any = true;
		*any_eps = *any_eps || lint_ns_count(c, ns) > 0;
	}
	return any;
}

static size_t count_rules(const struct lint_ctx *c)
{
	size_t n = 0;

	for (size_t p = 0; p < c->n_pol; p++) {
		const struct sw_netpol *pol = sw_policy_set_get(c->set, p);
		n += pol->n_ingress + pol->n_egress;
	}
	return n;
}

static void index_rule(struct lint_ctx *c, struct lint_rule *lr, size_t pol, int dir,
                       size_t idx)
{
	const struct sw_netpol *p = sw_policy_set_get(c->set, pol);
	const struct sw_rule *r = dir == LINT_IN ? &p->ingress[idx] : &p->egress[idx];

	lr->pol = pol;
	lr->dir = dir;
	lr->idx = idx;
	lr->p = p;
	lr->r = r;
	lr->applies = dir == LINT_IN ? p->type_ingress : p->type_egress;
	lr->all_peers = !r->peers_present || r->n_peers == 0;
	for (size_t k = 0; k < r->n_peers; k++) {
		lr->has_ipblock = lr->has_ipblock || r->peers[k].has_ipblock;
		lint_peer_eps(c, pol, &r->peers[k], lr->eps);
	}
}

static bool index_rules(struct lint_ctx *c)
{
	size_t k = 0;

	c->n_rules = count_rules(c);
	c->rules = calloc(c->n_rules ? c->n_rules : 1, sizeof(*c->rules));
	c->rule_bits = calloc((c->n_rules ? c->n_rules : 1) * c->words, sizeof(*c->rule_bits));
	if (c->rules == NULL || c->rule_bits == NULL)
		return false;
	for (size_t p = 0; p < c->n_pol; p++) {
		const struct sw_netpol *pol = sw_policy_set_get(c->set, p);
		for (int dir = LINT_IN; dir <= LINT_EG; dir++) {
			size_t n = dir == LINT_IN ? pol->n_ingress : pol->n_egress;
			for (size_t i = 0; i < n; i++, k++) {
				c->rules[k].eps = c->rule_bits + k * c->words;
				index_rule(c, &c->rules[k], p, dir, i);
			}
		}
	}
	return true;
}

/* ---- shapes ---- */

struct shape_ent {
	const struct sw_endpoint *e;
	size_t idx;
};

static int cmp_port(const struct sw_named_port *a, const struct sw_named_port *b)
{
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if ((a->name == NULL) != (b->name == NULL))
		return a->name == NULL ? -1 : 1;
	return a->name ? strcmp(a->name, b->name) : 0;
}

static int cmp_shape(const void *pa, const void *pb)
{
	const struct sw_endpoint *a = ((const struct shape_ent *)pa)->e;
	const struct sw_endpoint *b = ((const struct shape_ent *)pb)->e;
	int d = strcmp(a->ns, b->ns);

	if (d != 0)
		return d;
	if (a->labels.n != b->labels.n)
		return a->labels.n < b->labels.n ? -1 : 1;
	for (size_t i = 0; i < a->labels.n; i++) {
		d = strcmp(a->labels.items[i].key, b->labels.items[i].key);
		if (d == 0)
			d = strcmp(a->labels.items[i].value, b->labels.items[i].value);
		if (d != 0)
			return d;
	}
	if (a->n_ports != b->n_ports)
		return a->n_ports < b->n_ports ? -1 : 1;
	for (size_t i = 0; i < a->n_ports; i++) {
		d = cmp_port(&a->ports[i], &b->ports[i]);
		if (d != 0)
			return d;
	}
	return 0;
}

static bool index_shapes(struct lint_ctx *c)
{
	struct shape_ent *v = calloc(c->n_ep ? c->n_ep : 1, sizeof(*v));

	c->ep_shape = calloc(c->n_ep ? c->n_ep : 1, sizeof(*c->ep_shape));
	if (v == NULL || c->ep_shape == NULL) {
		free(v);
		return false;
	}
	for (size_t e = 0; e < c->n_ep; e++)
		v[e] = (struct shape_ent){sw_inventory_endpoint(c->inv, e), e};
	qsort(v, c->n_ep, sizeof(*v), cmp_shape);
	for (size_t i = 0; i < c->n_ep; i++) {
		if (i > 0 && cmp_shape(&v[i - 1], &v[i]) != 0)
			c->n_shapes++;
		c->ep_shape[v[i].idx] = c->n_shapes;
	}
	c->n_shapes += c->n_ep > 0;
	free(v);
	return true;
}

/* ---- the verdict matcher ---- */

static void shadow_address(size_t i, struct sw_addr *a)
{
	uint32_t v = 0xf0000000u + (uint32_t)i + 1;
	uint8_t v4[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

	sw_addr_from_v4(a, v4);
}

static enum sw_status build_shadow(struct lint_ctx *c, struct sw_err *err)
{
	enum sw_status st = SW_OK;

	if (c->n_ep >= SHADOW_MAX - 1)
		return sw_err_set(err, SW_ERR_LIMIT, NULL, 0, 0, "lint: too many endpoints (%zu)",
		                  c->n_ep);
	c->shadow_inv = sw_inventory_new();
	c->shadow_addr = calloc(c->n_ep ? c->n_ep : 1, sizeof(*c->shadow_addr));
	if (c->shadow_inv == NULL || c->shadow_addr == NULL)
		return sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
	for (size_t i = 0; st == SW_OK && i < c->n_ns; i++) {
		const struct sw_namespace *ns = sw_inventory_namespace(c->inv, i);
		st = sw_inventory_add_namespace(c->shadow_inv, ns->name, &ns->labels, err);
	}
	for (size_t i = 0; st == SW_OK && i < c->n_ep; i++) {
		struct sw_endpoint e = *sw_inventory_endpoint(c->inv, i);
		struct sw_prefix pfx;

		shadow_address(i, &c->shadow_addr[i]);
		pfx.addr = c->shadow_addr[i];
		pfx.len = 128; /* a host prefix in the 128-bit space */
		e.prefixes = &pfx;
		e.n_prefixes = 1;
		e.provisional = false;
		st = sw_inventory_add_endpoint(c->shadow_inv, &e, err);
		if (st == SW_OK && sw_inventory_find_endpoint(c->shadow_inv, e.id) != (long)i)
			st = sw_err_set(err, SW_ERR_INVALID, NULL, 0, 0,
			                "lint: endpoint %s changed places in the copy", e.id);
	}
	if (st != SW_OK)
		return st;
	c->shadow = sw_matcher_new(c->shadow_inv, c->set, err);
	return c->shadow ? SW_OK : err ? err->status : SW_ERR_NOMEM;
}

enum sw_status lint_index_build(struct lint_ctx *c, struct sw_err *err)
{
	c->n_ep = sw_inventory_n_endpoints(c->inv);
	c->n_ns = sw_inventory_n_namespaces(c->inv);
	c->n_pol = sw_policy_set_count(c->set);
	c->words = c->n_ep ? (c->n_ep + 63) / 64 : 1;
	c->ep_ns = calloc(c->n_ep ? c->n_ep : 1, sizeof(*c->ep_ns));
	c->ns_off = calloc(c->n_ns + 1, sizeof(*c->ns_off));
	c->ns_eps = calloc(c->n_ep ? c->n_ep : 1, sizeof(*c->ns_eps));
	c->pol_ns = calloc(c->n_pol ? c->n_pol : 1, sizeof(*c->pol_ns));
	c->pol_sel = calloc((c->n_pol ? c->n_pol : 1) * c->words, sizeof(*c->pol_sel));
	c->iso = calloc(c->n_ep ? c->n_ep : 1, sizeof(*c->iso));
	if (!c->ep_ns || !c->ns_off || !c->ns_eps || !c->pol_ns || !c->pol_sel || !c->iso)
		return sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
	if (!index_namespaces(c))
		return sw_err_set(err, SW_ERR_INVALID, NULL, 0, 0,
		                  "lint: an endpoint's namespace is missing from the inventory");
	index_selection(c);
	if (!index_rules(c) || !index_shapes(c))
		return sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
	return build_shadow(c, err);
}

void lint_index_free(struct lint_ctx *c)
{
	sw_matcher_free(c->shadow);
	sw_inventory_free(c->shadow_inv);
	free(c->shadow_addr);
	free(c->rule_bits);
	free(c->rules);
	free(c->ep_shape);
	free(c->iso);
	free(c->pol_sel);
	free(c->pol_ns);
	free(c->ns_eps);
	free(c->ns_off);
	free(c->ep_ns);
}
