/*
 * suggest.c - turns an inventory and baseline edges into the model of
 * least-privilege NetworkPolicies (see segwatch/suggest.h): workloads
 * and their exact selectors, one link per side of each edge, rules that
 * merge the ports of a peer and the peers of a port set, and policy
 * names. suggest_emit.c writes the model as YAML.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segwatch/grow.h"
#include "segwatch/proto.h"
#include "suggest_int.h"

#define DNS_PORT 53
#define DNS_LABEL_KEY "k8s-app"
#define DNS_LABEL_VALUE "kube-dns"
/* Policy names are DNS subdomains (at most 253 characters): room for a
 * workload's name, "-ingress" and a "-N" disambiguator. */
#define NAME_STEM_MAX 200

/* One side of an edge: a rule on owner's ingress or egress. */
struct sg_link {
	size_t owner;
	bool ingress;
	struct sg_peer peer;
	struct sg_port port;
};

struct sg_build {
	const struct sw_inventory *inv;
	const struct sw_suggest_options *opt;
	struct sg_model *m;
	size_t *ep_group;  /* endpoint index -> group index */
	bool *ep_dns;      /* endpoint is labelled k8s-app=kube-dns */
	struct sg_link *links;
	size_t n_links, cap_links;
};

/* One end of an edge, resolved. */
struct sg_end {
	bool external;
	size_t ep;
	struct sw_addr addr;
};

static enum sw_status nomem(struct sw_err *err)
{
	return sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory suggesting policies");
}

static void warn(const struct sg_build *b, const char *fmt, ...) SW_PRINTF(2, 3);
static void warn(const struct sg_build *b, const char *fmt, ...)
{
	struct sw_err w;
	va_list ap;

	if (b->opt->warn == NULL)
		return;
	sw_err_clear(&w);
	w.status = SW_ERR_INVALID;
	va_start(ap, fmt);
	vsnprintf(w.msg, sizeof(w.msg), fmt, ap);
	va_end(ap);
	b->opt->warn(b->opt->warn_ctx, &w);
}

/* ---- sorted string sets ---- */

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void sort_unique(const char **v, size_t *n)
{
	size_t k = 0;

	if (*n == 0)
		return;
	qsort(v, *n, sizeof(*v), cmp_strp);
	for (size_t i = 1; i < *n; i++)
		if (strcmp(v[i], v[k]) != 0)
			v[++k] = v[i];
	*n = k + 1;
}

static bool in_set(const char *const *v, size_t n, const char *s)
{
	return n > 0 && bsearch(&s, v, n, sizeof(*v), cmp_strp) != NULL;
}

/* ---- namespaces ---- */

static enum sw_status pick_namespaces(struct sg_build *b, struct sw_err *err)
{
	const struct sw_suggest_options *o = b->opt;
	size_t n = o->n_namespaces > 0 ? o->n_namespaces : sw_inventory_n_namespaces(b->inv);
	const char **v = calloc(n > 0 ? n : 1, sizeof(*v));

	if (v == NULL)
		return nomem(err);
	for (size_t i = 0; i < n; i++) {
		const struct sw_namespace *ns;

		if (o->n_namespaces == 0) {
			v[i] = sw_inventory_namespace(b->inv, i)->name;
			continue;
		}
		ns = sw_inventory_find_namespace(b->inv, o->namespaces[i]);
		if (ns == NULL) {
			free(v);
			return sw_err_set(err, SW_ERR_NOTFOUND, NULL, 0, 0,
			                  "namespace \"%s\" is not in the inventory", o->namespaces[i]);
		}
		v[i] = ns->name;
	}
	sort_unique(v, &n);
	b->m->ns = v;
	b->m->n_ns = n;
	return SW_OK;
}

/* ---- workloads ---- */

static int labels_cmp(const struct sw_labels *a, const struct sw_labels *b)
{
	for (size_t i = 0; i < a->n && i < b->n; i++) {
		int c = strcmp(a->items[i].key, b->items[i].key);
		if (c == 0)
			c = strcmp(a->items[i].value, b->items[i].value);
		if (c != 0)
			return c;
	}
	return a->n < b->n ? -1 : a->n > b->n;
}

/* True when every label of sub is in sup with the same value. */
static bool labels_superset(const struct sw_labels *sup, const struct sw_labels *sub)
{
	for (size_t i = 0; i < sub->n; i++) {
		const char *v = sw_labels_get(sup, sub->items[i].key);
		if (v == NULL || strcmp(v, sub->items[i].value) != 0)
			return false;
	}
	return true;
}

struct ep_ref {
	const struct sw_endpoint *ep;
	size_t idx;
};

static int cmp_ep_ref(const void *pa, const void *pb)
{
	const struct sw_endpoint *a = ((const struct ep_ref *)pa)->ep;
	const struct sw_endpoint *b = ((const struct ep_ref *)pb)->ep;
	int c = strcmp(a->ns, b->ns);

	if (c == 0)
		c = labels_cmp(&a->labels, &b->labels);
	return c != 0 ? c : strcmp(a->name, b->name);
}

/* A group while building: its place in the endpoint order. */
struct group_tmp {
	struct sg_group g;
	size_t tmp_id;
	size_t ns_lo, ns_hi; /* refs of its namespace */
};

static int cmp_group_tmp(const void *pa, const void *pb)
{
	const struct sg_group *a = &((const struct group_tmp *)pa)->g;
	const struct sg_group *b = &((const struct group_tmp *)pb)->g;
	int c = strcmp(a->ns, b->ns);

	return c != 0 ? c : strcmp(a->first_name, b->first_name);
}

/* The keys that set apart the other endpoints of the namespace whose
 * labels include the group's: DoesNotExist on each excludes them. */
static enum sw_status find_absent(const struct ep_ref *refs, struct group_tmp *t,
                                  const size_t *tmp_of)
{
	size_t n = 0, cap = 0;
	const char **v = NULL;

	for (size_t r = t->ns_lo; r < t->ns_hi; r++) {
		const struct sw_labels *l = &refs[r].ep->labels;

		if (tmp_of[refs[r].idx] == t->tmp_id || !labels_superset(l, t->g.labels))
			continue;
		for (size_t i = 0; i < l->n; i++) {
			if (sw_labels_get(t->g.labels, l->items[i].key) != NULL)
				continue;
			if (!sw_grow((void **)&v, &cap, n + 1, sizeof(*v))) {
				free(v);
				return SW_ERR_NOMEM;
			}
			v[n++] = l->items[i].key;
		}
	}
	sort_unique(v, &n);
	t->g.absent = v;
	t->g.n_absent = n;
	return SW_OK;
}

/* Groups refs (sorted by namespace, labels, name) into tmp groups; fills
 * tmp_of (endpoint index -> tmp id). Returns the number of groups. */
static size_t group_refs(const struct ep_ref *refs, size_t n, struct group_tmp *t,
                         size_t *tmp_of)
{
	size_t ng = 0, ns_lo = 0;

	for (size_t r = 0; r < n; r++) {
		const struct sw_endpoint *e = refs[r].ep;

		if (r > 0 && strcmp(e->ns, refs[r - 1].ep->ns) != 0)
			ns_lo = r;
		if (r == 0 || strcmp(e->ns, refs[r - 1].ep->ns) != 0 ||
		    labels_cmp(&e->labels, &refs[r - 1].ep->labels) != 0) {
			memset(&t[ng], 0, sizeof(t[ng]));
			t[ng].g.ns = e->ns;
			t[ng].g.labels = &e->labels;
			t[ng].g.first_name = e->name;
			t[ng].tmp_id = ng;
			t[ng].ns_lo = ns_lo;
			ng++;
		}
		t[ng - 1].g.n_members++;
		tmp_of[refs[r].idx] = ng - 1;
	}
	for (size_t g = 0; g < ng; g++) {
		size_t hi = t[g].ns_lo;
		while (hi < n && strcmp(refs[hi].ep->ns, t[g].g.ns) == 0)
			hi++;
		t[g].ns_hi = hi;
	}
	return ng;
}

static enum sw_status build_groups_from(struct sg_build *b, const struct ep_ref *refs,
                                        size_t n, struct group_tmp *t, size_t *perm)
{
	size_t ng = group_refs(refs, n, t, b->ep_group);

	for (size_t g = 0; g < ng; g++)
		if (find_absent(refs, &t[g], b->ep_group) != SW_OK) {
			for (size_t k = 0; k < g; k++)
				free(t[k].g.absent);
			return SW_ERR_NOMEM;
		}
	qsort(t, ng, sizeof(*t), cmp_group_tmp);
	for (size_t g = 0; g < ng; g++)
		perm[t[g].tmp_id] = g;
	for (size_t i = 0; i < n; i++)
		b->ep_group[i] = perm[b->ep_group[i]];
	for (size_t g = 0; g < ng; g++)
		b->m->groups[g] = t[g].g;
	b->m->n_groups = ng;
	return SW_OK;
}

static enum sw_status build_groups(struct sg_build *b, struct sw_err *err)
{
	size_t n = sw_inventory_n_endpoints(b->inv);
	struct ep_ref *refs = calloc(n > 0 ? n : 1, sizeof(*refs));
	struct group_tmp *t = calloc(n > 0 ? n : 1, sizeof(*t));
	size_t *perm = calloc(n > 0 ? n : 1, sizeof(*perm));
	enum sw_status st = SW_ERR_NOMEM;

	b->m->groups = calloc(n > 0 ? n : 1, sizeof(*b->m->groups));
	if (refs != NULL && t != NULL && perm != NULL && b->m->groups != NULL) {
		for (size_t i = 0; i < n; i++) {
			refs[i].ep = sw_inventory_endpoint(b->inv, i);
			refs[i].idx = i;
		}
		qsort(refs, n, sizeof(*refs), cmp_ep_ref);
		st = build_groups_from(b, refs, n, t, perm);
	}
	free(refs);
	free(t);
	free(perm);
	return st == SW_OK ? SW_OK : nomem(err);
}

static enum sw_status find_dns(struct sg_build *b, struct sw_err *err)
{
	size_t n = sw_inventory_n_endpoints(b->inv), k = 0;
	const char **v = calloc(n > 0 ? n : 1, sizeof(*v));

	if (v == NULL)
		return nomem(err);
	for (size_t i = 0; i < n; i++) {
		const struct sw_endpoint *e = sw_inventory_endpoint(b->inv, i);
		const char *app = sw_labels_get(&e->labels, DNS_LABEL_KEY);

		b->ep_dns[i] = app != NULL && strcmp(app, DNS_LABEL_VALUE) == 0;
		if (b->ep_dns[i])
			v[k++] = e->ns;
	}
	sort_unique(v, &k);
	b->m->dns_ns = v;
	b->m->n_dns_ns = k;
	return SW_OK;
}

/* ---- edges -> links ---- */

static bool resolve(const struct sw_inventory *inv, const char *id, struct sg_end *out)
{
	long i;

	memset(out, 0, sizeof(*out));
	if (id == NULL)
		return false;
	i = sw_inventory_find_endpoint(inv, id);
	if (i < 0 && sw_addr_parse(id, &out->addr) == SW_OK) {
		i = sw_inventory_lookup(inv, &out->addr);
		if (i < 0) {
			out->external = true;
			return true;
		}
	}
	if (i < 0)
		return false;
	out->ep = (size_t)i;
	return true;
}

static void peer_of(const struct sg_build *b, const struct sg_end *e, struct sg_peer *p)
{
	memset(p, 0, sizeof(*p));
	if (e->external) {
		p->kind = SG_PEER_EXTERNAL;
		p->addr = e->addr;
	} else {
		p->kind = SG_PEER_GROUP;
		p->group = b->ep_group[e->ep];
	}
}

static const char *ns_of(const struct sg_build *b, const struct sg_end *e)
{
	return e->external ? NULL : sw_inventory_endpoint(b->inv, e->ep)->ns;
}

static enum sw_status add_link(struct sg_build *b, const struct sg_end *owner, bool ingress,
                               const struct sg_end *other, const struct sw_suggest_edge *e)
{
	struct sg_link *l;

	if (!sw_grow((void **)&b->links, &b->cap_links, b->n_links + 1, sizeof(*b->links)))
		return SW_ERR_NOMEM;
	l = &b->links[b->n_links++];
	memset(l, 0, sizeof(*l));
	l->owner = b->ep_group[owner->ep];
	l->ingress = ingress;
	peer_of(b, other, &l->peer);
	l->port.proto = e->proto;
	l->port.port = e->port;
	return SW_OK;
}

static bool edge_usable(struct sg_build *b, const struct sw_suggest_edge *e,
                        struct sg_end *s, struct sg_end *d)
{
	const char *why = NULL;

	if (!resolve(b->inv, e->src, s))
		why = "the source is neither an inventory endpoint nor an address";
	else if (!resolve(b->inv, e->dst, d))
		why = "the destination is neither an inventory endpoint nor an address";
	else if (s->external && d->external)
		why = "both ends are external addresses";
	else if (e->proto != SW_PROTO_TCP && e->proto != SW_PROTO_UDP &&
	         e->proto != SW_PROTO_SCTP)
		why = "a NetworkPolicy names only TCP, UDP and SCTP ports";
	else if (e->port == 0)
		why = "port 0 is not connectable";
	if (why == NULL)
		return true;
	warn(b, "baseline edge %s -> %s proto %u port %u skipped: %s",
	     e->src != NULL ? e->src : "(null)", e->dst != NULL ? e->dst : "(null)",
	     (unsigned)e->proto, (unsigned)e->port, why);
	return false;
}

static enum sw_status add_edge(struct sg_build *b, const struct sw_suggest_edge *e)
{
	struct sg_end s, d;
	bool src_sel, dst_sel;
	struct sw_suggest_stats *stats = &b->m->stats;

	if (!edge_usable(b, e, &s, &d)) {
		stats->edges_skipped++;
		return SW_OK;
	}
	if (!s.external && !d.external && b->ep_dns[d.ep] && e->port == DNS_PORT &&
	    (e->proto == SW_PROTO_UDP || e->proto == SW_PROTO_TCP)) {
		stats->edges_dns++;
		return SW_OK;
	}
	src_sel = !s.external && in_set(b->m->ns, b->m->n_ns, ns_of(b, &s));
	dst_sel = !d.external && in_set(b->m->ns, b->m->n_ns, ns_of(b, &d));
	if (src_sel && add_link(b, &s, false, &d, e) != SW_OK)
		return SW_ERR_NOMEM;
	if (dst_sel && add_link(b, &d, true, &s, e) != SW_OK)
		return SW_ERR_NOMEM;
	if (src_sel || dst_sel)
		stats->edges_used++;
	else
		stats->edges_outside++;
	return SW_OK;
}

static int cmp_peer(const struct sg_peer *a, const struct sg_peer *b)
{
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	switch (a->kind) {
	case SG_PEER_GROUP:
		return a->group < b->group ? -1 : a->group > b->group;
	case SG_PEER_EXTERNAL:
		return sw_addr_cmp(&a->addr, &b->addr);
	case SG_PEER_DNS:
		return strcmp(a->dns_ns, b->dns_ns);
	case SG_PEER_ANY_POD:
		break;
	}
	return 0;
}

static int cmp_port(const struct sg_port *a, const struct sg_port *b)
{
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	return a->port < b->port ? -1 : a->port > b->port;
}

static int cmp_link(const void *pa, const void *pb)
{
	const struct sg_link *a = pa, *b = pb;
	int c;

	if (a->owner != b->owner)
		return a->owner < b->owner ? -1 : 1;
	if (a->ingress != b->ingress)
		return a->ingress ? -1 : 1;
	c = cmp_peer(&a->peer, &b->peer);
	return c != 0 ? c : cmp_port(&a->port, &b->port);
}

static void sort_links(struct sg_build *b)
{
	size_t k = 0;

	if (b->n_links == 0)
		return;
	qsort(b->links, b->n_links, sizeof(*b->links), cmp_link);
	for (size_t i = 1; i < b->n_links; i++)
		if (cmp_link(&b->links[i], &b->links[k]) != 0)
			b->links[++k] = b->links[i];
	b->n_links = k + 1;
}

/* ---- rules and policies ---- */

static bool same_ports(const struct sg_rule *r, const struct sg_link *l, size_t n)
{
	if (r->n_ports != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (cmp_port(&r->ports[i], &l[i].port) != 0)
			return false;
	return true;
}

static enum sw_status rule_add_peer(struct sg_rule *r, const struct sg_peer *p)
{
	struct sg_peer *np = realloc(r->peers, (r->n_peers + 1) * sizeof(*np));

	if (np == NULL)
		return SW_ERR_NOMEM;
	np[r->n_peers++] = *p;
	r->peers = np;
	return SW_OK;
}

/* Adds the peer of links[0..n) (one peer, its ports ascending) to the
 * rule with the same ports, or to a new rule. */
static enum sw_status policy_add_peer(struct sg_policy *p, const struct sg_link *l, size_t n)
{
	struct sg_rule *r;

	for (size_t i = 0; i < p->n_rules; i++)
		if (same_ports(&p->rules[i], l, n))
			return rule_add_peer(&p->rules[i], &l[0].peer);
	r = realloc(p->rules, (p->n_rules + 1) * sizeof(*r));
	if (r == NULL)
		return SW_ERR_NOMEM;
	p->rules = r;
	r = &p->rules[p->n_rules++];
	memset(r, 0, sizeof(*r));
	r->ports = calloc(n, sizeof(*r->ports));
	if (r->ports == NULL)
		return SW_ERR_NOMEM;
	for (size_t i = 0; i < n; i++)
		r->ports[i] = l[i].port;
	r->n_ports = n;
	return rule_add_peer(r, &l[0].peer);
}

/* Fills p's rules from links[0..n), one owner and direction. */
static enum sw_status policy_rules_from(struct sg_policy *p, const struct sg_link *l, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i + 1;
		while (j < n && cmp_peer(&l[j].peer, &l[i].peer) == 0)
			j++;
		if (policy_add_peer(p, &l[i], j - i) != SW_OK)
			return SW_ERR_NOMEM;
		i = j;
	}
	return SW_OK;
}

static void stem_of(const char *name, char *out, size_t len)
{
	size_t k = 0;

	for (const char *c = name; *c != '\0' && k + 1 < len && k < NAME_STEM_MAX; c++) {
		char ch = *c;
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.'))
			ch = '-';
		if (k == 0 && (ch == '-' || ch == '.'))
			continue;
		out[k++] = ch;
	}
	while (k > 0 && (out[k - 1] == '-' || out[k - 1] == '.'))
		k--;
	out[k] = '\0';
	if (k == 0)
		snprintf(out, len, "workload");
}

/* Appends a policy in ns named stem+suffix, made unique among the
 * policies of ns (those from ns_first on) with "-2", "-3" ... */
static struct sg_policy *new_policy(struct sg_model *m, size_t *cap, size_t ns_first,
                                    const char *ns, const char *stem, const char *suffix)
{
	char name[NAME_STEM_MAX + 64];
	struct sg_policy *p;

	snprintf(name, sizeof(name), "%s%s", stem, suffix);
	for (unsigned n = 2;; n++) {
		bool taken = false;
		for (size_t i = ns_first; i < m->n_policies && !taken; i++)
			taken = strcmp(m->policies[i].name, name) == 0;
		if (!taken)
			break;
		snprintf(name, sizeof(name), "%s%s-%u", stem, suffix, n);
	}
	if (!sw_grow((void **)&m->policies, cap, m->n_policies + 1, sizeof(*m->policies)))
		return NULL;
	p = &m->policies[m->n_policies];
	memset(p, 0, sizeof(*p));
	p->name = strdup(name);
	if (p->name == NULL)
		return NULL;
	m->n_policies++;
	p->ns = ns;
	return p;
}

static enum sw_status dns_rule(struct sg_policy *p, const struct sg_model *m, bool ingress)
{
	struct sg_rule *r = calloc(1, sizeof(*r));
	size_t np = ingress || m->n_dns_ns == 0 ? 1 : m->n_dns_ns;

	if (r == NULL)
		return SW_ERR_NOMEM;
	p->rules = r;
	p->n_rules = 1;
	r->peers = calloc(np, sizeof(*r->peers));
	r->ports = calloc(2, sizeof(*r->ports));
	if (r->peers == NULL || r->ports == NULL)
		return SW_ERR_NOMEM;
	r->n_peers = np;
	if (ingress || m->n_dns_ns == 0) {
		r->peers[0].kind = SG_PEER_ANY_POD;
	} else {
		for (size_t i = 0; i < np; i++) {
			r->peers[i].kind = SG_PEER_DNS;
			r->peers[i].dns_ns = m->dns_ns[i];
		}
	}
	r->n_ports = 2;
	r->ports[0].proto = SW_PROTO_TCP;
	r->ports[1].proto = SW_PROTO_UDP;
	r->ports[0].port = r->ports[1].port = DNS_PORT;
	return SW_OK;
}

static enum sw_status ns_fixed_policies(struct sg_model *m, size_t *cap, size_t first,
                                        const char *ns)
{
	struct sg_policy *p = new_policy(m, cap, first, ns, "default-deny", "");

	if (p == NULL)
		return SW_ERR_NOMEM;
	p->target = SG_TARGET_ALL;
	p->ingress = p->egress = true;
	p = new_policy(m, cap, first, ns, "allow-dns-egress", "");
	if (p == NULL)
		return SW_ERR_NOMEM;
	p->target = SG_TARGET_ALL;
	p->egress = true;
	if (dns_rule(p, m, false) != SW_OK)
		return SW_ERR_NOMEM;
	if (!in_set(m->dns_ns, m->n_dns_ns, ns))
		return SW_OK;
	p = new_policy(m, cap, first, ns, "allow-dns-ingress", "");
	if (p == NULL)
		return SW_ERR_NOMEM;
	p->target = SG_TARGET_DNS;
	p->ingress = true;
	return dns_rule(p, m, true);
}

/* The policies of group g from links[*cur...] (its ingress, then egress). */
static enum sw_status group_policies(struct sg_build *b, size_t *cap, size_t first, size_t g,
                                     size_t *cur)
{
	struct sg_model *m = b->m;
	const struct sg_group *grp = &m->groups[g];
	char stem[NAME_STEM_MAX + 1];
	size_t first_lo = *cur;

	stem_of(grp->first_name, stem, sizeof(stem));
	for (int dir = 0; dir < 2; dir++) {
		bool ingress = dir == 0;
		size_t lo = *cur, hi = lo;
		struct sg_policy *p;

		while (hi < b->n_links && b->links[hi].owner == g && b->links[hi].ingress == ingress)
			hi++;
		*cur = hi;
		if (hi == lo)
			continue;
		if (grp->n_members > 1 && (ingress || lo == first_lo))
			warn(b, "workload %s/%s: %zu endpoints share its labels and get the same "
			     "policies", grp->ns, grp->first_name, grp->n_members);
		p = new_policy(m, cap, first, grp->ns, stem, ingress ? "-ingress" : "-egress");
		if (p == NULL)
			return SW_ERR_NOMEM;
		p->target = SG_TARGET_GROUP;
		p->group = g;
		p->ingress = ingress;
		p->egress = !ingress;
		if (policy_rules_from(p, &b->links[lo], hi - lo) != SW_OK)
			return SW_ERR_NOMEM;
	}
	return SW_OK;
}

static enum sw_status build_policies(struct sg_build *b, struct sw_err *err)
{
	struct sg_model *m = b->m;
	size_t cap = 0, g = 0, cur = 0;

	for (size_t i = 0; i < m->n_ns; i++) {
		size_t first = m->n_policies;

		if (ns_fixed_policies(m, &cap, first, m->ns[i]) != SW_OK)
			return nomem(err);
		while (g < m->n_groups && strcmp(m->groups[g].ns, m->ns[i]) < 0)
			g++;
		for (; g < m->n_groups && strcmp(m->groups[g].ns, m->ns[i]) == 0; g++)
			if (group_policies(b, &cap, first, g, &cur) != SW_OK)
				return nomem(err);
	}
	m->stats.policies = m->n_policies;
	return SW_OK;
}

/* ---- the model ---- */

static void model_free(struct sg_model *m)
{
	for (size_t i = 0; i < m->n_groups; i++)
		free(m->groups[i].absent);
	free(m->groups);
	free(m->ns);
	free(m->dns_ns);
	for (size_t i = 0; i < m->n_policies; i++) {
		struct sg_policy *p = &m->policies[i];
		for (size_t r = 0; r < p->n_rules; r++) {
			free(p->rules[r].peers);
			free(p->rules[r].ports);
		}
		free(p->rules);
		free(p->name);
	}
	free(m->policies);
	memset(m, 0, sizeof(*m));
}

static enum sw_status model_build(struct sg_build *b, const struct sw_suggest_edge *edges,
                                  size_t n_edges, struct sw_err *err)
{
	size_t n_ep = sw_inventory_n_endpoints(b->inv);
	enum sw_status st;

	b->ep_group = calloc(n_ep > 0 ? n_ep : 1, sizeof(*b->ep_group));
	b->ep_dns = calloc(n_ep > 0 ? n_ep : 1, sizeof(*b->ep_dns));
	if (b->ep_group == NULL || b->ep_dns == NULL)
		return nomem(err);
	b->m->stats.edges = n_edges;
	st = pick_namespaces(b, err);
	if (st == SW_OK)
		st = build_groups(b, err);
	if (st == SW_OK)
		st = find_dns(b, err);
	for (size_t i = 0; st == SW_OK && i < n_edges; i++)
		if (add_edge(b, &edges[i]) != SW_OK)
			st = nomem(err);
	if (st != SW_OK)
		return st;
	sort_links(b);
	return build_policies(b, err);
}

enum sw_status sw_suggest_yaml(const struct sw_inventory *inv,
                               const struct sw_suggest_edge *edges, size_t n_edges,
                               const struct sw_suggest_options *opt, char **text,
                               size_t *len, struct sw_suggest_stats *stats,
                               struct sw_err *err)
{
	static const struct sw_suggest_options defaults;
	struct sg_model m;
	struct sg_build b;
	size_t n = 0;
	enum sw_status st;

	memset(&m, 0, sizeof(m));
	memset(&b, 0, sizeof(b));
	b.inv = inv;
	b.opt = opt != NULL ? opt : &defaults;
	b.m = &m;
	*text = NULL;
	if (n_edges > 0 && edges == NULL)
		return sw_err_set(err, SW_ERR_INVALID, NULL, 0, 0, "edges is NULL");
	st = model_build(&b, edges, n_edges, err);
	if (st == SW_OK)
		st = sg_emit(&m, b.opt->generated_ns, text, &n, err);
	if (st == SW_OK && len != NULL)
		*len = n;
	if (st == SW_OK && stats != NULL)
		*stats = m.stats;
	free(b.ep_group);
	free(b.ep_dns);
	free(b.links);
	model_free(&m);
	return st;
}

enum sw_status sw_suggest_write(const struct sw_inventory *inv,
                                const struct sw_suggest_edge *edges, size_t n_edges,
                                const struct sw_suggest_options *opt, FILE *out,
                                struct sw_suggest_stats *stats, struct sw_err *err)
{
	char *text = NULL;
	size_t len = 0;
	enum sw_status st = sw_suggest_yaml(inv, edges, n_edges, opt, &text, &len, stats, err);

	if (st != SW_OK)
		return st;
	if (fwrite(text, 1, len, out) != len || fflush(out) != 0)
		st = sw_err_set(err, SW_ERR_IO, NULL, 0, 0, "cannot write the suggested policies");
	free(text);
	return st;
}
