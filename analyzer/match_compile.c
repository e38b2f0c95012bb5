/*
 * match_compile.c - compiles an inventory and a policy set into the
 * matcher's lookup form (see match_int.h for the layout).
 *
 * Steps: index namespaces and labels; compile every rule and intern its
 * peer list; find the endpoints each peer list and each policy selects
 * (through the label index, so a selector costs what it matches, not the
 * whole inventory); group endpoints with identical behaviour into classes;
 * cut the address space at every endpoint prefix and ipBlock boundary and
 * group external cells by the ipBlocks containing them; lay out per-class
 * rule lists and peer-list bitsets; build the IPv4 bucket table.
 */
#include <stdlib.h>
#include <string.h>

#include "segwatch/grow.h"
#include "match_int.h"

/* Upper bound on the peer-list bitsets (classes x peer lists / 8). */
#define MT_MAX_BITSET_BYTES ((size_t)1 << 30)

/* --- small growable arrays (sw_grow) --------------------------------------- */

struct buf {
	uint8_t *p;
	size_t n, cap;
	bool oom;
};

static void buf_put(struct buf *b, const void *data, size_t len)
{
	if (b->oom)
		return;
	if (!sw_grow((void **)&b->p, &b->cap, b->n + len, 1)) {
		b->oom = true;
		return;
	}
	memcpy(b->p + b->n, data, len);
	b->n += len;
}

static void buf_u32(struct buf *b, uint32_t v)
{
	buf_put(b, &v, sizeof(v));
}

static void buf_str(struct buf *b, const char *s)
{
	buf_put(b, s ? s : "", s ? strlen(s) + 1 : 1);
}

/* --- interning byte strings to dense ids ---------------------------------- */

struct ient {
	uint64_t hash;
	size_t len;
	uint8_t *key;
};

struct intern {
	size_t n, cap;
	struct ient *ents;
	uint32_t *slots; /* UINT32_MAX: empty */
	size_t n_slots;  /* a power of two */
};

static uint64_t hash_bytes(const void *key, size_t len)
{
	const uint8_t *p = key;
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ull;
	}
	return h ^ (h >> 29);
}

static void intern_free(struct intern *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->ents[i].key);
	free(t->ents);
	free(t->slots);
}

static int intern_rehash(struct intern *t)
{
	size_t ns = t->n_slots ? t->n_slots * 2 : 64;
	uint32_t *slots = malloc(ns * sizeof(*slots));

	if (slots == NULL)
		return -1;
	memset(slots, 0xff, ns * sizeof(*slots));
	for (size_t i = 0; i < t->n; i++) {
		size_t s = t->ents[i].hash & (ns - 1);
		while (slots[s] != UINT32_MAX)
			s = (s + 1) & (ns - 1);
		slots[s] = (uint32_t)i;
	}
	free(t->slots);
	t->slots = slots;
	t->n_slots = ns;
	return 0;
}

/* Finds key; adds it when add is true. Returns 1 when found, 0 when added,
 * 2 when absent and not added, -1 when out of memory. */
static int intern_get(struct intern *t, const void *key, size_t len, bool add, uint32_t *id)
{
	uint64_t h = hash_bytes(key, len);
	size_t s;

	if ((t->n + 1) * 2 > t->n_slots && intern_rehash(t) != 0)
		return -1;
	s = h & (t->n_slots - 1);
	while (t->slots[s] != UINT32_MAX) {
		const struct ient *e = &t->ents[t->slots[s]];
		if (e->hash == h && e->len == len && memcmp(e->key, key, len) == 0) {
			*id = t->slots[s];
			return 1;
		}
		s = (s + 1) & (t->n_slots - 1);
	}
	if (!add)
		return 2;
	if (t->n >= UINT32_MAX - 1 || !sw_grow((void **)&t->ents, &t->cap, t->n + 1, sizeof(*t->ents)))
		return -1;
	t->ents[t->n].key = malloc(len ? len : 1);
	if (t->ents[t->n].key == NULL)
		return -1;
	memcpy(t->ents[t->n].key, key, len);
	t->ents[t->n].len = len;
	t->ents[t->n].hash = h;
	t->slots[s] = (uint32_t)t->n;
	*id = (uint32_t)t->n++;
	return 0;
}

/* --- compile context ------------------------------------------------------ */

struct pair {
	uint32_t ep, id;
};

struct pairvec {
	struct pair *v;
	size_t n, cap;
};

/* CSR view of a pairvec: ids of endpoint e are ids[off[e] .. off[e+1]). */
struct csr {
	uint32_t *off;
	uint32_t *ids;
};

struct lbl {
	const char *key, *value;
	uint32_t ep;
};

struct ns_ent {
	const char *name;
	uint32_t idx;
};

/* A peer list (a rule's from/to), interned by content. */
struct listinfo {
	const struct sw_rule *rule;
	const char *pol_ns_name;
	uint32_t pol_ns; /* namespace of the policy, for podSelector-only peers */
	bool has_ipblock;
};

/* The endpoints a distinct selector peer matches: peer_pairs.v[off, off+n). */
struct peerinfo {
	size_t off, n;
};

/* An ipBlock in address-space terms. */
struct xrange {
	mt_u128 first, last;
	bool v4;
};

struct ipb {
	uint32_t list;
	struct xrange cidr;
	size_t exc_off, n_exc;
};

/* An endpoint prefix, for the ownership sweep. */
struct eprefix {
	mt_u128 first, last;
	uint32_t ep;
};

struct cc {
	struct sw_matcher *m;
	const struct sw_inventory *inv;
	const struct sw_policy_set *set;
	struct sw_err *err;

	size_t n_ns;
	const struct sw_namespace **ns;
	struct ns_ent *ns_sorted;
	uint32_t *ep_ns;      /* per endpoint; UINT32_MAX when unknown */
	uint32_t *ns_off;     /* CSR: endpoints per namespace */
	uint32_t *ns_eps;
	uint32_t *ns_stamp;
	uint32_t stamp;

	size_t n_lbl;
	struct lbl *lbl;

	struct intern names;  /* port names used by policies */
	struct intern lists;  /* peer lists */
	struct listinfo *linfo;
	size_t linfo_cap;

	size_t rules_cap, ports_cap;
	uint32_t (*pol_rules)[2][2]; /* per policy, per direction: first rule id, count */

	struct intern peers;       /* distinct selector peers */
	struct peerinfo *pinfo;
	size_t pinfo_cap;
	struct pairvec peer_pairs; /* (endpoint, peer) */
	struct pairvec pol_pairs;  /* (endpoint, policy selecting it) */
	struct pairvec list_pairs; /* (endpoint, peer list matching it) */
	struct csr pol_csr, list_csr;

	struct intern ep_keys;     /* endpoint class keys */
	uint32_t *class_rep;       /* representative endpoint per endpoint class */
	size_t class_rep_cap;
	struct intern ext_keys;    /* external class keys */

	struct ipb *ipbs;
	size_t n_ipbs, ipbs_cap;
	struct xrange *excs;
	size_t n_excs, excs_cap;
};

static enum sw_status oom(struct cc *c)
{
	return sw_err_set(c->err, SW_ERR_NOMEM, NULL, 0, 0,
	                  "out of memory while compiling policies");
}

mt_u128 mt_addr_to_u128(const struct sw_addr *a)
{
	mt_u128 v = 0;

	for (size_t i = 0; i < 16; i++)
		v = (v << 8) | a->b[i];
	return v;
}

void mt_u128_to_addr(mt_u128 v, struct sw_addr *a)
{
	for (size_t i = 16; i-- > 0;) {
		a->b[i] = (uint8_t)v;
		v >>= 8;
	}
}

static struct xrange prefix_range(const struct sw_prefix *p)
{
	struct sw_addr f, l;
	struct xrange r;

	sw_prefix_first(p, &f);
	sw_prefix_last(p, &l);
	r.first = mt_addr_to_u128(&f);
	r.last = mt_addr_to_u128(&l);
	r.v4 = sw_prefix_is_v4(p);
	return r;
}

static bool is_v4_u128(mt_u128 v)
{
	return v >= MT_V4_FIRST && v <= MT_V4_LAST;
}

static bool xrange_contains(const struct xrange *r, mt_u128 v)
{
	return v >= r->first && v <= r->last && (r->v4 || !is_v4_u128(v));
}

/* --- labels and selectors ------------------------------------------------- */

static const char *label_get(const struct sw_labels *l, const char *key)
{
	if (l->n <= 8) {
		for (size_t i = 0; i < l->n; i++)
			if (strcmp(l->items[i].key, key) == 0)
				return l->items[i].value;
		return NULL;
	}
	size_t lo = 0, hi = l->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(l->items[mid].key, key);
		if (c == 0)
			return l->items[mid].value;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static bool value_in(const struct sw_sel_req *r, const char *v)
{
	for (size_t i = 0; i < r->n_values; i++)
		if (strcmp(r->values[i], v) == 0)
			return true;
	return false;
}

bool sw_selector_matches(const struct sw_selector *sel, const struct sw_labels *labels)
{
	for (size_t i = 0; i < sel->n_reqs; i++) {
		const struct sw_sel_req *r = &sel->reqs[i];
		const char *v = label_get(labels, r->key);
		bool ok;

		switch (r->op) {
		case SW_SEL_IN:
			ok = v != NULL && value_in(r, v);
			break;
		case SW_SEL_NOT_IN:
			ok = v == NULL || !value_in(r, v);
			break;
		case SW_SEL_EXISTS:
			ok = v != NULL;
			break;
		case SW_SEL_DOES_NOT_EXIST:
			ok = v == NULL;
			break;
		default:
			ok = false;
			break;
		}
		if (!ok)
			return false;
	}
	return true;
}

bool sw_prefix_is_v4(const struct sw_prefix *p)
{
	return p->len >= 96 && sw_addr_is_v4(&p->addr);
}

bool sw_ipblock_contains(const struct sw_ipblock *b, const struct sw_addr *a)
{
	mt_u128 v = mt_addr_to_u128(a);
	struct xrange r = prefix_range(&b->cidr);

	if (!xrange_contains(&r, v))
		return false;
	for (size_t i = 0; i < b->n_except; i++) {
		r = prefix_range(&b->except[i]);
		if (xrange_contains(&r, v))
			return false;
	}
	return true;
}

/* --- namespaces and label index ------------------------------------------- */

static int cmp_ns_ent(const void *a, const void *b)
{
	return strcmp(((const struct ns_ent *)a)->name, ((const struct ns_ent *)b)->name);
}

static uint32_t ns_find(const struct cc *c, const char *name)
{
	size_t lo = 0, hi = c->n_ns;

	if (name == NULL)
		return UINT32_MAX;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(c->ns_sorted[mid].name, name);
		if (r == 0)
			return c->ns_sorted[mid].idx;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return UINT32_MAX;
}

static enum sw_status index_namespaces(struct cc *c)
{
	size_t n_ep = c->m->n_ep;

	c->n_ns = sw_inventory_n_namespaces(c->inv);
	c->ns = calloc(c->n_ns + 1, sizeof(*c->ns));
	c->ns_sorted = calloc(c->n_ns + 1, sizeof(*c->ns_sorted));
	c->ns_off = calloc(c->n_ns + 2, sizeof(*c->ns_off));
	c->ns_stamp = calloc(c->n_ns + 1, sizeof(*c->ns_stamp));
	c->ep_ns = calloc(n_ep + 1, sizeof(*c->ep_ns));
	c->ns_eps = calloc(n_ep + 1, sizeof(*c->ns_eps));
	if (!c->ns || !c->ns_sorted || !c->ns_off || !c->ns_stamp || !c->ep_ns || !c->ns_eps)
		return oom(c);
	for (size_t i = 0; i < c->n_ns; i++) {
		c->ns[i] = sw_inventory_namespace(c->inv, i);
		c->ns_sorted[i].name = c->ns[i]->name;
		c->ns_sorted[i].idx = (uint32_t)i;
	}
	qsort(c->ns_sorted, c->n_ns, sizeof(*c->ns_sorted), cmp_ns_ent);
	for (size_t e = 0; e < n_ep; e++) {
		uint32_t ns = ns_find(c, sw_inventory_endpoint(c->inv, e)->ns);
		c->ep_ns[e] = ns;
		if (ns != UINT32_MAX)
			c->ns_off[ns + 1]++;
	}
	for (size_t i = 0; i < c->n_ns; i++)
		c->ns_off[i + 1] += c->ns_off[i];
	{
		uint32_t *fill = calloc(c->n_ns + 1, sizeof(*fill));
		if (fill == NULL)
			return oom(c);
		for (size_t e = 0; e < n_ep; e++) {
			uint32_t ns = c->ep_ns[e];
			if (ns != UINT32_MAX)
				c->ns_eps[c->ns_off[ns] + fill[ns]++] = (uint32_t)e;
		}
		free(fill);
	}
	return SW_OK;
}

static int cmp_lbl(const void *a, const void *b)
{
	const struct lbl *x = a, *y = b;
	int r = strcmp(x->key, y->key);

	if (r == 0)
		r = strcmp(x->value, y->value);
	if (r == 0)
		r = (x->ep > y->ep) - (x->ep < y->ep);
	return r;
}

static enum sw_status index_labels(struct cc *c)
{
	size_t n = 0;

	for (size_t e = 0; e < c->m->n_ep; e++)
		n += sw_inventory_endpoint(c->inv, e)->labels.n;
	c->lbl = calloc(n + 1, sizeof(*c->lbl));
	if (c->lbl == NULL)
		return oom(c);
	for (size_t e = 0; e < c->m->n_ep; e++) {
		const struct sw_labels *l = &sw_inventory_endpoint(c->inv, e)->labels;
		for (size_t i = 0; i < l->n; i++) {
			c->lbl[c->n_lbl].key = l->items[i].key;
			c->lbl[c->n_lbl].value = l->items[i].value ? l->items[i].value : "";
			c->lbl[c->n_lbl].ep = (uint32_t)e;
			c->n_lbl++;
		}
	}
	qsort(c->lbl, c->n_lbl, sizeof(*c->lbl), cmp_lbl);
	return SW_OK;
}

/* The run of label-index entries with this key and value: [*lo, *hi). */
static void lbl_range(const struct cc *c, const char *key, const char *value,
                      size_t *lo_out, size_t *hi_out)
{
	struct lbl probe = {key, value, 0};
	size_t lo = 0, hi = c->n_lbl;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp_lbl(&c->lbl[mid], &probe) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*lo_out = lo;
	probe.ep = UINT32_MAX;
	hi = c->n_lbl;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp_lbl(&c->lbl[mid], &probe) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*hi_out = lo;
}

/* --- selecting endpoints --------------------------------------------------- */

static int pair_add(struct pairvec *pv, uint32_t ep, uint32_t id)
{
	if (!sw_grow((void **)&pv->v, &pv->cap, pv->n + 1, sizeof(*pv->v)))
		return -1;
	pv->v[pv->n].ep = ep;
	pv->v[pv->n].id = id;
	pv->n++;
	return 0;
}

static void stamp_next(struct cc *c)
{
	if (++c->stamp == 0) {
		memset(c->ns_stamp, 0, (c->n_ns + 1) * sizeof(*c->ns_stamp));
		c->stamp = 1;
	}
}

/* Size of the candidate set an In requirement gives through the index. */
static size_t in_candidates(const struct cc *c, const struct sw_sel_req *r)
{
	size_t total = 0, lo, hi;

	for (size_t v = 0; v < r->n_values; v++) {
		lbl_range(c, r->key, r->values[v], &lo, &hi);
		total += hi - lo;
	}
	return total;
}

static bool dup_value(const struct sw_sel_req *r, size_t v)
{
	for (size_t i = 0; i < v; i++)
		if (strcmp(r->values[i], r->values[v]) == 0)
			return true;
	return false;
}

/* Emits (ep, id) for every endpoint in a stamped namespace whose labels
 * match sel (NULL: every endpoint). */
static int select_eps(struct cc *c, const struct sw_selector *sel, struct pairvec *out, uint32_t id)
{
	const struct sw_sel_req *best = NULL;
	size_t best_n = SIZE_MAX;

	for (size_t i = 0; sel && i < sel->n_reqs; i++) {
		if (sel->reqs[i].op != SW_SEL_IN)
			continue;
		size_t n = in_candidates(c, &sel->reqs[i]);
		if (n < best_n) {
			best_n = n;
			best = &sel->reqs[i];
		}
	}
	if (best != NULL) {
		for (size_t v = 0; v < best->n_values; v++) {
			size_t lo, hi;
			if (dup_value(best, v))
				continue;
			lbl_range(c, best->key, best->values[v], &lo, &hi);
			for (size_t k = lo; k < hi; k++) {
				uint32_t e = c->lbl[k].ep;
				uint32_t ns = c->ep_ns[e];
				if (ns == UINT32_MAX || c->ns_stamp[ns] != c->stamp)
					continue;
				if (!sw_selector_matches(sel, &sw_inventory_endpoint(c->inv, e)->labels))
					continue;
				if (pair_add(out, e, id) != 0)
					return -1;
			}
		}
		return 0;
	}
	for (size_t ns = 0; ns < c->n_ns; ns++) {
		if (c->ns_stamp[ns] != c->stamp)
			continue;
		for (uint32_t k = c->ns_off[ns]; k < c->ns_off[ns + 1]; k++) {
			uint32_t e = c->ns_eps[k];
			if (sel && !sw_selector_matches(sel, &sw_inventory_endpoint(c->inv, e)->labels))
				continue;
			if (pair_add(out, e, id) != 0)
				return -1;
		}
	}
	return 0;
}

/* --- rules and peer lists -------------------------------------------------- */

static void ser_selector(struct buf *b, const struct sw_selector *s)
{
	buf_u32(b, (uint32_t)s->n_reqs);
	for (size_t i = 0; i < s->n_reqs; i++) {
		const struct sw_sel_req *r = &s->reqs[i];
		buf_str(b, r->key);
		buf_u32(b, (uint32_t)r->op);
		buf_u32(b, (uint32_t)r->n_values);
		for (size_t v = 0; v < r->n_values; v++)
			buf_str(b, r->values[v]);
	}
}

static void ser_prefix(struct buf *b, const struct sw_prefix *p)
{
	buf_put(b, p->addr.b, sizeof(p->addr.b));
	buf_put(b, &p->len, 1);
}

/* A canonical byte form of one peer of a policy in namespace ns: equal
 * forms match equal sets. */
static void ser_peer(struct buf *b, const char *ns, const struct sw_peer *pe)
{
	if (pe->has_ipblock) {
		buf_put(b, "I", 1);
		ser_prefix(b, &pe->ipblock.cidr);
		buf_u32(b, (uint32_t)pe->ipblock.n_except);
		for (size_t k = 0; k < pe->ipblock.n_except; k++)
			ser_prefix(b, &pe->ipblock.except[k]);
		return;
	}
	buf_put(b, "S", 1);
	buf_put(b, pe->has_pod_sel ? "p" : "-", 1);
	buf_put(b, pe->has_ns_sel ? "n" : "-", 1);
	if (!pe->has_ns_sel)
		buf_str(b, ns);
	if (pe->has_pod_sel)
		ser_selector(b, &pe->pod_sel);
	if (pe->has_ns_sel)
		ser_selector(b, &pe->ns_sel);
}

/* ... and of a rule's peer list. */
static void ser_peers(struct buf *b, const struct sw_netpol *p, const struct sw_rule *r)
{
	for (size_t i = 0; i < r->n_peers; i++)
		ser_peer(b, p->ns, &r->peers[i]);
}

static enum sw_status intern_list(struct cc *c, const struct sw_netpol *p,
                                  const struct sw_rule *r, uint32_t *id)
{
	struct buf b = {0};
	int got;

	ser_peers(&b, p, r);
	if (b.oom) {
		free(b.p);
		return oom(c);
	}
	got = intern_get(&c->lists, b.p ? b.p : (const uint8_t *)"", b.n, true, id);
	free(b.p);
	if (got < 0)
		return oom(c);
	if (got == 0) {
		if (!sw_grow((void **)&c->linfo, &c->linfo_cap, *id + 1, sizeof(*c->linfo)))
			return oom(c);
		c->linfo[*id].rule = r;
		c->linfo[*id].pol_ns_name = p->ns;
		c->linfo[*id].pol_ns = ns_find(c, p->ns);
		c->linfo[*id].has_ipblock = false;
		for (size_t i = 0; i < r->n_peers; i++)
			if (r->peers[i].has_ipblock)
				c->linfo[*id].has_ipblock = true;
	}
	return SW_OK;
}

static enum sw_status compile_ports(struct cc *c, const struct sw_rule *r, struct mt_rule *out)
{
	struct sw_matcher *m = c->m;

	/* upstream: "If this field is empty or missing, this rule matches all
	 * ports" - an empty list is the same as an absent one */
	out->all_ports = !r->ports_present || r->n_ports == 0;
	out->port_off = (uint32_t)m->n_ports;
	out->n_ports = 0;
	if (out->all_ports)
		return SW_OK;
	if (!sw_grow((void **)&m->ports, &c->ports_cap, m->n_ports + r->n_ports, sizeof(*m->ports)))
		return oom(c);
	for (size_t i = 0; i < r->n_ports; i++) {
		const struct sw_port_rule *pr = &r->ports[i];
		struct mt_port *mp = &m->ports[m->n_ports];

		memset(mp, 0, sizeof(*mp));
		mp->proto = pr->proto;
		if (pr->has_port && pr->port_name != NULL) {
			mp->named = true;
			if (intern_get(&c->names, pr->port_name, strlen(pr->port_name), true,
			               &mp->name_id) < 0)
				return oom(c);
		} else if (pr->has_port) {
			mp->lo = pr->port;
			mp->hi = pr->end_port >= pr->port ? pr->end_port : pr->port;
		} else {
			mp->lo = 0;
			mp->hi = UINT16_MAX;
		}
		m->n_ports++;
		out->n_ports++;
	}
	return SW_OK;
}

static enum sw_status compile_rules(struct cc *c)
{
	struct sw_matcher *m = c->m;
	size_t n_pol = sw_policy_set_count(c->set);
	enum sw_status st;

	c->pol_rules = calloc(n_pol + 1, sizeof(*c->pol_rules));
	if (c->pol_rules == NULL)
		return oom(c);
	for (size_t pi = 0; pi < n_pol; pi++) {
		const struct sw_netpol *p = sw_policy_set_get(c->set, pi);
		for (int dir = 0; dir < 2; dir++) {
			bool on = dir == MT_INGRESS ? p->type_ingress : p->type_egress;
			size_t n = dir == MT_INGRESS ? p->n_ingress : p->n_egress;
			const struct sw_rule *rs = dir == MT_INGRESS ? p->ingress : p->egress;

			c->pol_rules[pi][dir][0] = (uint32_t)m->n_rules;
			c->pol_rules[pi][dir][1] = 0;
			if (!on)
				continue;
			if (!sw_grow((void **)&m->rules, &c->rules_cap, m->n_rules + n, sizeof(*m->rules)))
				return oom(c);
			for (size_t ri = 0; ri < n; ri++) {
				struct mt_rule *mr = &m->rules[m->n_rules];
				memset(mr, 0, sizeof(*mr));
				mr->policy = (uint32_t)pi;
				mr->index = (uint32_t)ri;
				mr->list = MT_ALL_PEERS;
				/* upstream: an empty from/to matches all peers, like an
				 * absent one */
				if (rs[ri].peers_present && rs[ri].n_peers > 0) {
					st = intern_list(c, p, &rs[ri], &mr->list);
					if (st != SW_OK)
						return st;
				}
				st = compile_ports(c, &rs[ri], mr);
				if (st != SW_OK)
					return st;
				m->n_rules++;
				c->pol_rules[pi][dir][1]++;
			}
		}
	}
	m->n_lists = c->lists.n;
	return SW_OK;
}

/* The endpoints selector peer pe (of a policy in namespace pol_ns)
 * matches, each distinct peer evaluated once. */
static enum sw_status peer_eps(struct cc *c, const struct sw_peer *pe, const char *pol_ns_name,
                               uint32_t pol_ns, const struct peerinfo **out)
{
	struct buf b = {0};
	uint32_t id;
	int got;

	ser_peer(&b, pol_ns_name, pe);
	got = b.oom ? -1 : intern_get(&c->peers, b.p, b.n, true, &id);
	free(b.p);
	if (got == 0 && !sw_grow((void **)&c->pinfo, &c->pinfo_cap, id + 1, sizeof(*c->pinfo)))
		got = -1;
	if (got < 0)
		return oom(c);
	if (got == 0) {
		c->pinfo[id].off = c->peer_pairs.n;
		stamp_next(c);
		if (pe->has_ns_sel) {
			for (size_t ns = 0; ns < c->n_ns; ns++)
				if (sw_selector_matches(&pe->ns_sel, &c->ns[ns]->labels))
					c->ns_stamp[ns] = c->stamp;
		} else if (pol_ns != UINT32_MAX) {
			c->ns_stamp[pol_ns] = c->stamp;
		}
		if (select_eps(c, pe->has_pod_sel ? &pe->pod_sel : NULL, &c->peer_pairs, id) != 0)
			return oom(c);
		c->pinfo[id].n = c->peer_pairs.n - c->pinfo[id].off;
	}
	*out = &c->pinfo[id];
	return SW_OK;
}

/* Pairs (endpoint, list) for every selector peer of every peer list. */
static enum sw_status match_lists(struct cc *c)
{
	for (uint32_t l = 0; l < c->lists.n; l++) {
		const struct listinfo *li = &c->linfo[l];
		for (size_t i = 0; i < li->rule->n_peers; i++) {
			const struct sw_peer *pe = &li->rule->peers[i];
			const struct peerinfo *pi = NULL;
			enum sw_status st;

			if (pe->has_ipblock || (!pe->has_pod_sel && !pe->has_ns_sel))
				continue;
			st = peer_eps(c, pe, li->pol_ns_name, li->pol_ns, &pi);
			if (st != SW_OK)
				return st;
			for (size_t k = pi->off; k < pi->off + pi->n; k++)
				if (pair_add(&c->list_pairs, c->peer_pairs.v[k].ep, l) != 0)
					return oom(c);
		}
	}
	return SW_OK;
}

/* Pairs (endpoint, policy) for every endpoint a policy selects. */
static enum sw_status match_policies(struct cc *c)
{
	size_t n_pol = sw_policy_set_count(c->set);

	for (size_t pi = 0; pi < n_pol; pi++) {
		const struct sw_netpol *p = sw_policy_set_get(c->set, pi);
		uint32_t ns = ns_find(c, p->ns);
		if (ns == UINT32_MAX || (!p->type_ingress && !p->type_egress))
			continue;
		stamp_next(c);
		c->ns_stamp[ns] = c->stamp;
		if (select_eps(c, &p->pod_sel, &c->pol_pairs, (uint32_t)pi) != 0)
			return oom(c);
	}
	return SW_OK;
}

/* Groups pairs by endpoint, keeping insertion order within an endpoint
 * (ids were added in ascending order, so each run is sorted). */
static int build_csr(const struct pairvec *pv, size_t n_ep, struct csr *out)
{
	uint32_t *fill;

	out->off = calloc(n_ep + 2, sizeof(*out->off));
	out->ids = calloc(pv->n + 1, sizeof(*out->ids));
	fill = calloc(n_ep + 1, sizeof(*fill));
	if (!out->off || !out->ids || !fill) {
		free(fill);
		return -1;
	}
	for (size_t i = 0; i < pv->n; i++)
		out->off[pv->v[i].ep + 1]++;
	for (size_t e = 0; e < n_ep; e++)
		out->off[e + 1] += out->off[e];
	for (size_t i = 0; i < pv->n; i++) {
		uint32_t e = pv->v[i].ep;
		out->ids[out->off[e] + fill[e]++] = pv->v[i].id;
	}
	free(fill);
	return 0;
}

/* --- endpoint classes ------------------------------------------------------ */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static int cmp_named(const void *a, const void *b)
{
	const struct mt_named *x = a, *y = b;

	if (x->name_id != y->name_id)
		return x->name_id < y->name_id ? -1 : 1;
	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	return (x->port > y->port) - (x->port < y->port);
}

/* The class key of endpoint e: its policies, its peer lists (sorted,
 * unique) and its named ports that some policy names (sorted, unique). */
static int ep_key(struct cc *c, uint32_t e, struct buf *b)
{
	const struct sw_endpoint *ep = sw_inventory_endpoint(c->inv, e);
	const struct csr *pc = &c->pol_csr, *lc = &c->list_csr;
	uint32_t n, kept = 0, last = UINT32_MAX;
	struct mt_named *nm = calloc(ep->n_ports + 1, sizeof(*nm));
	size_t n_nm = 0, count_at;

	if (nm == NULL)
		return -1;
	n = pc->off[e + 1] - pc->off[e];
	buf_u32(b, n);
	buf_put(b, pc->ids + pc->off[e], n * sizeof(uint32_t));
	qsort(lc->ids + lc->off[e], lc->off[e + 1] - lc->off[e], sizeof(uint32_t), cmp_u32);
	count_at = b->n;
	buf_u32(b, 0);
	for (uint32_t k = lc->off[e]; k < lc->off[e + 1]; k++) {
		if (lc->ids[k] == last)
			continue;
		last = lc->ids[k];
		buf_u32(b, last);
		kept++;
	}
	if (!b->oom)
		memcpy(b->p + count_at, &kept, sizeof(kept));
	for (size_t i = 0; i < ep->n_ports; i++) {
		const struct sw_named_port *np = &ep->ports[i];
		uint32_t id;
		if (np->name == NULL ||
		    intern_get(&c->names, np->name, strlen(np->name), false, &id) != 1)
			continue;
		nm[n_nm].name_id = id;
		nm[n_nm].proto = np->proto;
		nm[n_nm].port = np->port;
		n_nm++;
	}
	qsort(nm, n_nm, sizeof(nm[0]), cmp_named);
	kept = 0;
	for (size_t i = 0; i < n_nm; i++)
		if (i == 0 || cmp_named(&nm[i - 1], &nm[i]) != 0)
			nm[kept++] = nm[i];
	buf_u32(b, kept);
	for (size_t i = 0; i < kept; i++) {
		uint32_t v[3] = {nm[i].name_id, nm[i].proto, nm[i].port};
		buf_put(b, v, sizeof(v));
	}
	free(nm);
	return b->oom ? -1 : 0;
}

static enum sw_status group_endpoints(struct cc *c)
{
	struct sw_matcher *m = c->m;
	struct buf b = {0};
	enum sw_status st = SW_OK;

	if (build_csr(&c->pol_pairs, m->n_ep, &c->pol_csr) != 0 ||
	    build_csr(&c->list_pairs, m->n_ep, &c->list_csr) != 0)
		return oom(c);
	m->ep_class = calloc(m->n_ep + 1, sizeof(*m->ep_class));
	if (m->ep_class == NULL)
		return oom(c);
	for (uint32_t e = 0; e < m->n_ep && st == SW_OK; e++) {
		uint32_t id;
		int got;

		b.n = 0;
		got = ep_key(c, e, &b) != 0 ? -1 : intern_get(&c->ep_keys, b.p, b.n, true, &id);
		if (got == 0 && !sw_grow((void **)&c->class_rep, &c->class_rep_cap, id + 1,
		                     sizeof(*c->class_rep)))
			got = -1;
		if (got < 0) {
			st = oom(c);
			break;
		}
		if (got == 0)
			c->class_rep[id] = e;
		m->ep_class[e] = id;
	}
	free(b.p);
	m->n_ep_classes = c->ep_keys.n;
	return st;
}

/* --- the address space ------------------------------------------------------ */

static int cmp_u128(const void *a, const void *b)
{
	mt_u128 x = *(const mt_u128 *)a, y = *(const mt_u128 *)b;
	return (x > y) - (x < y);
}

static int cmp_eprefix(const void *a, const void *b)
{
	const struct eprefix *x = a, *y = b;

	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	if (x->last != y->last)
		return x->last > y->last ? -1 : 1; /* wider first */
	return (x->ep < y->ep) - (x->ep > y->ep); /* higher index first */
}

struct u128vec {
	mt_u128 *v;
	size_t n, cap;
};

static int point_add(struct u128vec *pv, mt_u128 v)
{
	if (!sw_grow((void **)&pv->v, &pv->cap, pv->n + 1, sizeof(*pv->v)))
		return -1;
	pv->v[pv->n++] = v;
	return 0;
}

static int range_points(struct u128vec *pv, const struct xrange *r)
{
	if (point_add(pv, r->first) != 0)
		return -1;
	if (r->last != ~(mt_u128)0 && point_add(pv, r->last + 1) != 0)
		return -1;
	return 0;
}

static enum sw_status collect_ipblocks(struct cc *c, struct u128vec *pts)
{
	for (uint32_t l = 0; l < c->lists.n; l++) {
		const struct listinfo *li = &c->linfo[l];
		if (!li->has_ipblock)
			continue;
		for (size_t i = 0; i < li->rule->n_peers; i++) {
			const struct sw_ipblock *ib = &li->rule->peers[i].ipblock;
			struct ipb *x;
			if (!li->rule->peers[i].has_ipblock)
				continue;
			if (!sw_grow((void **)&c->ipbs, &c->ipbs_cap, c->n_ipbs + 1, sizeof(*c->ipbs)) ||
			    !sw_grow((void **)&c->excs, &c->excs_cap, c->n_excs + ib->n_except + 1,
			         sizeof(*c->excs)))
				return oom(c);
			x = &c->ipbs[c->n_ipbs++];
			x->list = l;
			x->cidr = prefix_range(&ib->cidr);
			x->exc_off = c->n_excs;
			x->n_exc = ib->n_except;
			if (range_points(pts, &x->cidr) != 0)
				return oom(c);
			for (size_t k = 0; k < ib->n_except; k++) {
				c->excs[c->n_excs] = prefix_range(&ib->except[k]);
				if (range_points(pts, &c->excs[c->n_excs]) != 0)
					return oom(c);
				c->n_excs++;
			}
		}
	}
	return SW_OK;
}

static enum sw_status collect_eprefixes(struct cc *c, struct u128vec *pts,
                                        struct eprefix **out, size_t *n_out)
{
	size_t n = 0, k = 0;
	struct eprefix *ep;

	for (size_t e = 0; e < c->m->n_ep; e++)
		n += sw_inventory_endpoint(c->inv, e)->n_prefixes;
	ep = calloc(n + 1, sizeof(*ep));
	if (ep == NULL)
		return oom(c);
	for (size_t e = 0; e < c->m->n_ep; e++) {
		const struct sw_endpoint *en = sw_inventory_endpoint(c->inv, e);
		for (size_t i = 0; i < en->n_prefixes; i++) {
			struct xrange r = prefix_range(&en->prefixes[i]);
			ep[k].first = r.first;
			ep[k].last = r.last;
			ep[k].ep = (uint32_t)e;
			k++;
			if (range_points(pts, &r) != 0) {
				free(ep);
				return oom(c);
			}
		}
	}
	qsort(ep, k, sizeof(*ep), cmp_eprefix);
	*out = ep;
	*n_out = k;
	return SW_OK;
}

/* Assigns each elementary interval its owning endpoint: the most specific
 * prefix containing it. Prefixes are nested or disjoint, so a stack of
 * open prefixes sorted outermost-first finds it in one sweep. */
static enum sw_status assign_owners(struct cc *c, const struct eprefix *ep, size_t n_ep)
{
	struct sw_matcher *m = c->m;
	const struct eprefix **stack = calloc(n_ep + 1, sizeof(*stack));
	size_t top = 0, j = 0;

	if (stack == NULL)
		return oom(c);
	for (size_t i = 0; i < m->n_ranges; i++) {
		mt_u128 s = m->starts[i];
		while (j < n_ep && ep[j].first <= s) {
			while (top > 0 && stack[top - 1]->last < ep[j].first)
				top--;
			stack[top++] = &ep[j++];
		}
		while (top > 0 && stack[top - 1]->last < s)
			top--;
		m->owners[i].ep = top > 0 ? (int32_t)stack[top - 1]->ep : -1;
	}
	free(stack);
	return SW_OK;
}

static bool ipb_contains(const struct cc *c, const struct ipb *x, mt_u128 v)
{
	if (!xrange_contains(&x->cidr, v))
		return false;
	for (size_t k = 0; k < x->n_exc; k++)
		if (xrange_contains(&c->excs[x->exc_off + k], v))
			return false;
	return true;
}

/* Gives every external interval a class: the set of peer lists whose
 * ipBlocks contain it. Endpoint intervals take their endpoint's class. */
static enum sw_status classify_ranges(struct cc *c)
{
	struct sw_matcher *m = c->m;
	uint32_t *sig = calloc(c->n_ipbs + 1, sizeof(*sig));
	int got = 0;

	if (sig == NULL)
		return oom(c);
	for (size_t i = 0; i < m->n_ranges && got >= 0; i++) {
		size_t n = 0;
		uint32_t id;

		if (m->owners[i].ep >= 0) {
			m->owners[i].cls = m->ep_class[m->owners[i].ep];
			continue;
		}
		for (size_t k = 0; k < c->n_ipbs; k++) {
			const struct ipb *x = &c->ipbs[k];
			if ((n > 0 && sig[n - 1] == x->list) || !ipb_contains(c, x, m->starts[i]))
				continue;
			sig[n++] = x->list; /* ipbs are in list order: sorted */
		}
		got = intern_get(&c->ext_keys, sig, n * sizeof(*sig), true, &id);
		m->owners[i].cls = (uint32_t)(m->n_ep_classes + id);
	}
	free(sig);
	return got < 0 ? oom(c) : SW_OK;
}

static enum sw_status build_ranges(struct cc *c)
{
	struct sw_matcher *m = c->m;
	struct u128vec pts = {0};
	struct eprefix *ep = NULL;
	size_t n_eprefix = 0, n = 0;
	enum sw_status st;

	if (point_add(&pts, 0) != 0 || point_add(&pts, MT_V4_FIRST) != 0 ||
	    point_add(&pts, MT_V4_LAST + 1) != 0) {
		free(pts.v);
		return oom(c);
	}
	st = collect_ipblocks(c, &pts);
	if (st == SW_OK)
		st = collect_eprefixes(c, &pts, &ep, &n_eprefix);
	if (st != SW_OK) {
		free(pts.v);
		return st;
	}
	qsort(pts.v, pts.n, sizeof(*pts.v), cmp_u128);
	for (size_t i = 0; i < pts.n; i++)
		if (n == 0 || pts.v[i] != pts.v[n - 1])
			pts.v[n++] = pts.v[i];
	m->starts = pts.v;
	m->n_ranges = n;
	m->owners = calloc(n, sizeof(*m->owners));
	if (m->owners == NULL) {
		free(ep);
		return oom(c);
	}
	st = assign_owners(c, ep, n_eprefix);
	free(ep);
	if (st == SW_OK)
		st = classify_ranges(c);
	return st;
}

/* Interval (relative to v4_first) containing IPv4 address a; queries
 * must come in non-decreasing order of a. */
static uint32_t v4_walk(const struct sw_matcher *m, uint32_t a, size_t *k)
{
	while (*k + 1 < m->n_v4 && (uint32_t)m->starts[m->v4_first + *k + 1] <= a)
		(*k)++;
	return (uint32_t)*k;
}

/* True when the block [a, a + size) lies inside interval k. */
static bool v4_uniform(const struct sw_matcher *m, size_t k, uint32_t a, uint32_t size)
{
	return k + 1 == m->n_v4 || (uint32_t)m->starts[m->v4_first + k + 1] - a >= size;
}

/* Adds an L3 table for the /24 block at a; *entry gets its reference. */
static int v4_l3_table(struct sw_matcher *m, size_t *cap, uint32_t a, size_t *k, uint32_t *entry)
{
	uint32_t *t;

	if (m->n_l3 >= MT_V4_NEXT - 1 ||
	    !sw_grow((void **)&m->v4_l3, cap, (m->n_l3 + 1) * 256, sizeof(*m->v4_l3)))
		return -1;
	t = m->v4_l3 + m->n_l3 * 256;
	*entry = MT_V4_NEXT | (uint32_t)m->n_l3++;
	for (uint32_t i = 0; i < 256; i++)
		t[i] = v4_walk(m, a + i, k);
	return 0;
}

static enum sw_status build_v4_table(struct cc *c)
{
	struct sw_matcher *m = c->m;
	size_t k = 0, cap2 = 0, cap3 = 0;

	while (m->starts[m->v4_first] != MT_V4_FIRST)
		m->v4_first++;
	while (m->v4_first + m->n_v4 < m->n_ranges && m->starts[m->v4_first + m->n_v4] <= MT_V4_LAST)
		m->n_v4++;
	m->v4_l1 = calloc(65536, sizeof(*m->v4_l1));
	if (m->v4_l1 == NULL)
		return oom(c);
	for (uint32_t b = 0; b < 65536; b++) {
		uint32_t a = b << 16, iv = v4_walk(m, a, &k), l2;
		if (v4_uniform(m, k, a, 1u << 16)) {
			m->v4_l1[b] = iv;
			continue;
		}
		if (!sw_grow((void **)&m->v4_l2, &cap2, (m->n_l2 + 1) * 256, sizeof(*m->v4_l2)))
			return oom(c);
		l2 = (uint32_t)m->n_l2++;
		m->v4_l1[b] = MT_V4_NEXT | l2;
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t sub = a | i << 8, e;
			iv = v4_walk(m, sub, &k);
			if (v4_uniform(m, k, sub, 256)) {
				m->v4_l2[l2 * 256 + i] = iv;
				continue;
			}
			if (v4_l3_table(m, &cap3, sub, &k, &e) != 0)
				return oom(c);
			m->v4_l2[l2 * 256 + i] = e;
		}
	}
	return SW_OK;
}

/* --- classes ---------------------------------------------------------------- */

static enum sw_status alloc_classes(struct cc *c)
{
	struct sw_matcher *m = c->m;

	m->n_classes = m->n_ep_classes + c->ext_keys.n;
	m->words = (m->n_lists + 63) / 64;
	if (m->words == 0)
		m->words = 1;
	if (m->n_classes > MT_MAX_BITSET_BYTES / 8 / m->words)
		return sw_err_set(c->err, SW_ERR_LIMIT, NULL, 0, 0,
		                  "policy too large to compile: %zu endpoint classes x %zu peer lists "
		                  "exceed the %zu MiB bound",
		                  m->n_classes, m->n_lists, MT_MAX_BITSET_BYTES >> 20);
	m->classes = calloc(m->n_classes, sizeof(*m->classes));
	m->peerbits = calloc(m->n_classes * m->words, sizeof(*m->peerbits));
	if (m->classes == NULL || m->peerbits == NULL)
		return oom(c);
	return SW_OK;
}

static void set_bit(struct sw_matcher *m, size_t cls, uint32_t list)
{
	m->peerbits[cls * m->words + list / 64] |= (uint64_t)1 << (list % 64);
}

static enum sw_status fill_ep_class(struct cc *c, uint32_t cls, size_t *cr_cap, size_t *nm_cap)
{
	struct sw_matcher *m = c->m;
	struct mt_class *k = &m->classes[cls];
	uint32_t e = c->class_rep[cls];
	const uint8_t *key = c->ep_keys.ents[cls].key;
	uint32_t n_pol, n_list, n_nm, v[3];
	size_t at = 0;

	memcpy(&n_pol, key, 4);
	at = 4 + (size_t)n_pol * 4;
	memcpy(&n_list, key + at, 4);
	at += 4;
	for (uint32_t i = 0; i < n_list; i++) {
		uint32_t l;
		memcpy(&l, key + at + (size_t)i * 4, 4);
		set_bit(m, cls, l);
	}
	at += (size_t)n_list * 4;
	memcpy(&n_nm, key + at, 4);
	at += 4;
	k->named_off = (uint32_t)m->n_named;
	if (!sw_grow((void **)&m->named, nm_cap, m->n_named + n_nm, sizeof(*m->named)))
		return oom(c);
	for (uint32_t i = 0; i < n_nm; i++) {
		memcpy(v, key + at + (size_t)i * 12, 12);
		m->named[m->n_named].name_id = v[0];
		m->named[m->n_named].proto = (uint8_t)v[1];
		m->named[m->n_named].port = (uint16_t)v[2];
		m->n_named++;
		k->n_named++;
	}
	for (int dir = 0; dir < 2; dir++) {
		k->rule_off[dir] = (uint32_t)m->n_class_rules;
		for (uint32_t i = c->pol_csr.off[e]; i < c->pol_csr.off[e + 1]; i++) {
			uint32_t pi = c->pol_csr.ids[i];
			const struct sw_netpol *p = sw_policy_set_get(c->set, pi);
			uint32_t first = c->pol_rules[pi][dir][0], n = c->pol_rules[pi][dir][1];
			if (!(dir == MT_INGRESS ? p->type_ingress : p->type_egress))
				continue;
			k->iso[dir] = true;
			if (!sw_grow((void **)&m->class_rules, cr_cap, m->n_class_rules + n,
			         sizeof(*m->class_rules)))
				return oom(c);
			for (uint32_t r = 0; r < n; r++)
				m->class_rules[m->n_class_rules++] = first + r;
		}
		k->n_rules[dir] = (uint32_t)(m->n_class_rules - k->rule_off[dir]);
	}
	return SW_OK;
}

static enum sw_status fill_classes(struct cc *c)
{
	struct sw_matcher *m = c->m;
	size_t cr_cap = 0, nm_cap = 0;
	enum sw_status st;

	for (uint32_t cls = 0; cls < m->n_ep_classes; cls++) {
		st = fill_ep_class(c, cls, &cr_cap, &nm_cap);
		if (st != SW_OK)
			return st;
	}
	/* never NULL, so that "base + offset" is defined even when empty */
	if ((m->class_rules == NULL && !sw_grow((void **)&m->class_rules, &cr_cap, 1,
	                                    sizeof(*m->class_rules))) ||
	    (m->named == NULL && !sw_grow((void **)&m->named, &nm_cap, 1, sizeof(*m->named))))
		return oom(c);
	for (uint32_t x = 0; x < c->ext_keys.n; x++) {
		size_t cls = m->n_ep_classes + x;
		const struct ient *ke = &c->ext_keys.ents[x];
		m->classes[cls].ext = true;
		m->classes[cls].rule_off[0] = m->classes[cls].rule_off[1] = 0;
		for (size_t i = 0; i < ke->len / 4; i++) {
			uint32_t l;
			memcpy(&l, ke->key + i * 4, 4);
			set_bit(m, cls, l);
		}
	}
	return SW_OK;
}

/* --- driver ------------------------------------------------------------------ */

static void cc_free(struct cc *c)
{
	free(c->ns);
	free(c->ns_sorted);
	free(c->ep_ns);
	free(c->ns_off);
	free(c->ns_eps);
	free(c->ns_stamp);
	free(c->lbl);
	intern_free(&c->names);
	intern_free(&c->lists);
	free(c->linfo);
	free(c->pol_rules);
	intern_free(&c->peers);
	free(c->pinfo);
	free(c->peer_pairs.v);
	free(c->pol_pairs.v);
	free(c->list_pairs.v);
	free(c->pol_csr.off);
	free(c->pol_csr.ids);
	free(c->list_csr.off);
	free(c->list_csr.ids);
	intern_free(&c->ep_keys);
	free(c->class_rep);
	intern_free(&c->ext_keys);
	free(c->ipbs);
	free(c->excs);
}

static void account(struct sw_matcher *m)
{
	m->bytes = sizeof(*m) + m->n_ep * sizeof(*m->ep_class) +
	           m->n_classes * (sizeof(*m->classes) + m->words * sizeof(*m->peerbits)) +
	           m->n_rules * sizeof(*m->rules) + m->n_ports * sizeof(*m->ports) +
	           m->n_class_rules * sizeof(*m->class_rules) + m->n_named * sizeof(*m->named) +
	           m->n_ranges * (sizeof(*m->starts) + sizeof(*m->owners)) +
	           (65536 + (m->n_l2 + m->n_l3) * 256) * sizeof(*m->v4_l1);
}

struct sw_matcher *sw_matcher_new(const struct sw_inventory *inv,
                                  const struct sw_policy_set *set, struct sw_err *err)
{
	struct cc c;
	enum sw_status st;
	enum sw_status (*const steps[])(struct cc *) = {
		index_namespaces, index_labels, compile_rules, match_lists, match_policies,
		group_endpoints, build_ranges, build_v4_table, alloc_classes, fill_classes,
	};

	memset(&c, 0, sizeof(c));
	c.m = calloc(1, sizeof(*c.m));
	if (c.m == NULL) {
		sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory while compiling policies");
		return NULL;
	}
	c.inv = inv;
	c.set = set;
	c.err = err;
	c.m->inv = inv;
	c.m->set = set;
	c.m->n_ep = sw_inventory_n_endpoints(inv);
	if (c.m->n_ep >= INT32_MAX) {
		sw_err_set(err, SW_ERR_LIMIT, NULL, 0, 0, "too many endpoints: %zu", c.m->n_ep);
		sw_matcher_free(c.m);
		return NULL;
	}
	for (size_t i = 0; i < SW_ARRAY_SIZE(steps); i++) {
		st = steps[i](&c);
		if (st != SW_OK) {
			cc_free(&c);
			sw_matcher_free(c.m);
			return NULL;
		}
	}
	cc_free(&c);
	account(c.m);
	return c.m;
}
