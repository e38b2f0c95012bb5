/*
 * netpol.c - the policy set: an owning, growable array of NetworkPolicy IR
 * (see include/segwatch/netpol.h). The loaders that fill it live in
 * policy_k8s.c and policy_compose.c.
 */
#include "segwatch/netpol.h"

#include <stdlib.h>
#include <string.h>

struct sw_policy_set {
	size_t n, cap;
	struct sw_netpol *pols;
};

struct sw_policy_set *sw_policy_set_new(void)
{
	return calloc(1, sizeof(struct sw_policy_set));
}

void sw_policy_set_free(struct sw_policy_set *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i < set->n; i++)
		sw_netpol_clear(&set->pols[i]);
	free(set->pols);
	free(set);
}

size_t sw_policy_set_count(const struct sw_policy_set *set)
{
	return set->n;
}

const struct sw_netpol *sw_policy_set_get(const struct sw_policy_set *set, size_t i)
{
	return i < set->n ? &set->pols[i] : NULL;
}

/* ---- freeing ---- */

static void selector_clear(struct sw_selector *sel)
{
	for (size_t i = 0; i < sel->n_reqs; i++) {
		free(sel->reqs[i].key);
		for (size_t j = 0; j < sel->reqs[i].n_values; j++)
			free(sel->reqs[i].values[j]);
		free(sel->reqs[i].values);
	}
	free(sel->reqs);
	sel->reqs = NULL;
	sel->n_reqs = 0;
}

static void rule_clear(struct sw_rule *r)
{
	for (size_t i = 0; i < r->n_peers; i++) {
		selector_clear(&r->peers[i].pod_sel);
		selector_clear(&r->peers[i].ns_sel);
		free(r->peers[i].ipblock.except);
	}
	free(r->peers);
	for (size_t i = 0; i < r->n_ports; i++)
		free(r->ports[i].port_name);
	free(r->ports);
	memset(r, 0, sizeof(*r));
}

void sw_netpol_clear(struct sw_netpol *pol)
{
	if (pol == NULL)
		return;
	free(pol->name);
	free(pol->ns);
	free(pol->origin);
	selector_clear(&pol->pod_sel);
	for (size_t i = 0; i < pol->n_ingress; i++)
		rule_clear(&pol->ingress[i]);
	free(pol->ingress);
	for (size_t i = 0; i < pol->n_egress; i++)
		rule_clear(&pol->egress[i]);
	free(pol->egress);
	free(pol->file);
	free(pol->content_hash);
	memset(pol, 0, sizeof(*pol));
}

/* ---- deep copy; each returns false on out of memory, leaving what it
 * copied so far in dst for the caller's sw_netpol_clear() ---- */

static bool copy_str(char **dst, const char *src)
{
	size_t n;

	*dst = NULL;
	if (src == NULL)
		return true;
	n = strlen(src) + 1;
	*dst = malloc(n);
	if (*dst == NULL)
		return false;
	memcpy(*dst, src, n);
	return true;
}

/* calloc of n elements that never returns NULL for n == 0 on success. */
static void *alloc_n(size_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

static bool copy_selector(struct sw_selector *dst, const struct sw_selector *src)
{
	memset(dst, 0, sizeof(*dst));
	if (src->n_reqs == 0)
		return true;
	dst->reqs = alloc_n(src->n_reqs, sizeof(*dst->reqs));
	if (dst->reqs == NULL)
		return false;
	for (size_t i = 0; i < src->n_reqs; i++) {
		const struct sw_sel_req *s = &src->reqs[i];
		struct sw_sel_req *d = &dst->reqs[i];
		dst->n_reqs = i + 1;
		d->op = s->op;
		if (!copy_str(&d->key, s->key))
			return false;
		if (s->n_values == 0)
			continue;
		d->values = alloc_n(s->n_values, sizeof(*d->values));
		if (d->values == NULL)
			return false;
		for (size_t j = 0; j < s->n_values; j++) {
			d->n_values = j + 1;
			if (!copy_str(&d->values[j], s->values[j]))
				return false;
		}
	}
	return true;
}

static bool copy_peer(struct sw_peer *dst, const struct sw_peer *src)
{
	*dst = *src;
	memset(&dst->pod_sel, 0, sizeof(dst->pod_sel));
	memset(&dst->ns_sel, 0, sizeof(dst->ns_sel));
	dst->ipblock.except = NULL;
	dst->ipblock.n_except = 0;
	if (!copy_selector(&dst->pod_sel, &src->pod_sel) ||
	    !copy_selector(&dst->ns_sel, &src->ns_sel))
		return false;
	if (src->ipblock.n_except > 0) {
		size_t n = src->ipblock.n_except;
		dst->ipblock.except = alloc_n(n, sizeof(*dst->ipblock.except));
		if (dst->ipblock.except == NULL)
			return false;
		memcpy(dst->ipblock.except, src->ipblock.except, n * sizeof(*dst->ipblock.except));
		dst->ipblock.n_except = n;
	}
	return true;
}

static bool copy_rule(struct sw_rule *dst, const struct sw_rule *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->peers_present = src->peers_present;
	dst->ports_present = src->ports_present;
	dst->line = src->line;
	if (src->n_peers > 0) {
		dst->peers = alloc_n(src->n_peers, sizeof(*dst->peers));
		if (dst->peers == NULL)
			return false;
		for (size_t i = 0; i < src->n_peers; i++) {
			dst->n_peers = i + 1;
			if (!copy_peer(&dst->peers[i], &src->peers[i]))
				return false;
		}
	}
	if (src->n_ports > 0) {
		dst->ports = alloc_n(src->n_ports, sizeof(*dst->ports));
		if (dst->ports == NULL)
			return false;
		for (size_t i = 0; i < src->n_ports; i++) {
			dst->n_ports = i + 1;
			dst->ports[i] = src->ports[i];
			if (!copy_str(&dst->ports[i].port_name, src->ports[i].port_name))
				return false;
		}
	}
	return true;
}

static bool copy_rules(struct sw_rule **dst, size_t *dst_n, const struct sw_rule *src,
                       size_t n)
{
	*dst = NULL;
	*dst_n = 0;
	if (n == 0)
		return true;
	*dst = alloc_n(n, sizeof(**dst));
	if (*dst == NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		*dst_n = i + 1;
		if (!copy_rule(&(*dst)[i], &src[i]))
			return false;
	}
	return true;
}

static bool copy_netpol(struct sw_netpol *dst, const struct sw_netpol *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->type_ingress = src->type_ingress;
	dst->type_egress = src->type_egress;
	dst->line = src->line;
	return copy_str(&dst->name, src->name) &&
	       copy_str(&dst->ns, src->ns ? src->ns : "default") &&
	       copy_str(&dst->origin, src->origin ? src->origin : "k8s") &&
	       copy_str(&dst->file, src->file) &&
	       copy_str(&dst->content_hash, src->content_hash) &&
	       copy_selector(&dst->pod_sel, &src->pod_sel) &&
	       copy_rules(&dst->ingress, &dst->n_ingress, src->ingress, src->n_ingress) &&
	       copy_rules(&dst->egress, &dst->n_egress, src->egress, src->n_egress);
}

static bool reserve(struct sw_policy_set *set, size_t need)
{
	size_t ncap;
	struct sw_netpol *p;

	if (need <= set->cap)
		return true;
	ncap = set->cap ? set->cap * 2 : 16;
	while (ncap < need)
		ncap *= 2;
	p = realloc(set->pols, ncap * sizeof(*p));
	if (p == NULL)
		return false;
	set->pols = p;
	set->cap = ncap;
	return true;
}

enum sw_status sw_policy_set_add(struct sw_policy_set *set, const struct sw_netpol *pol,
                                 struct sw_err *err)
{
	if (!reserve(set, set->n + 1))
		return sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
	if (!copy_netpol(&set->pols[set->n], pol)) {
		sw_netpol_clear(&set->pols[set->n]);
		return sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
	}
	set->n++;
	return SW_OK;
}

enum sw_status sw_policy_set_merge(struct sw_policy_set *dst, struct sw_policy_set *src,
                                   struct sw_err *err)
{
	if (src->n == 0)
		return SW_OK;
	if (!reserve(dst, dst->n + src->n))
		return sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
	memcpy(dst->pols + dst->n, src->pols, src->n * sizeof(*src->pols));
	dst->n += src->n;
	src->n = 0;
	return SW_OK;
}

enum sw_status sw_policy_set_remove(struct sw_policy_set *set, size_t i)
{
	if (i >= set->n)
		return SW_ERR_NOTFOUND;
	sw_netpol_clear(&set->pols[i]);
	memmove(&set->pols[i], &set->pols[i + 1], (set->n - i - 1) * sizeof(*set->pols));
	set->n--;
	return SW_OK;
}
