/*
 * lint_reach.c - checks that need verdicts, all taken from the compiled
 * verdict matcher (lint_index.c): egress isolation without a DNS exception
 * (egress-no-dns, egress-dns-udp-only) and rules whose every connection the
 * other side denies (rule-one-sided).
 *
 * DNS: an endpoint isolated for egress, with at least one egress rule (an
 * endpoint whose egress is denied outright needs no names), has a DNS
 * exception when its egress admits UDP/53 (TCP/53) towards some endpoint
 * or some external address (not the endpoint itself: replicas of a
 * resolver do not count as its DNS). Only the egress side counts: whether the
 * resolver's ingress lets the query in is the resolver's business (and
 * rule-one-sided reports an egress rule its destinations all refuse).
 * External addresses are probed where ipBlock admission can change: the
 * start of each egress ipBlock, the address after each except and after
 * each endpoint prefix inside an ipBlock, plus 0.0.0.0 and ::. Endpoints
 * with the same egress policies are judged once. Compose-isolated
 * endpoints are skipped: Docker's embedded resolver answers inside the
 * container.
 *
 * rule-one-sided: for a rule whose peers are selectors only, every pair of
 * (selected endpoint, matched peer endpoint), other than an endpoint with
 * itself, is judged on candidate ports: the lower end of every port range
 * of the rule and of the other side's rules, the destination's declared
 * ports and 1. When two port sets intersect, the intersection contains
 * one of these, so "no candidate allowed" means no connection the rule
 * admits is allowed. Rules with more than LINT_PAIR_CAP pairs are skipped.
 */
#include <stdlib.h>
#include <string.h>

#include "lint_int.h"

/* ---- growable arrays ---- */

struct addrs {
	struct sw_addr *v;
	size_t n, cap;
};

static bool addrs_push(struct addrs *a, const struct sw_addr *x)
{
	if (a->n == a->cap) {
		size_t ncap = a->cap ? a->cap * 2 : 32;
		struct sw_addr *nv = realloc(a->v, ncap * sizeof(*nv));
		if (nv == NULL)
			return false;
		a->v = nv;
		a->cap = ncap;
	}
	a->v[a->n++] = *x;
	return true;
}

struct ports {
	uint16_t *v;
	size_t n, cap;
};

static bool ports_push(struct ports *p, uint16_t x)
{
	if (p->n == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 32;
		uint16_t *nv = realloc(p->v, ncap * sizeof(*nv));
		if (nv == NULL)
			return false;
		p->v = nv;
		p->cap = ncap;
	}
	p->v[p->n++] = x;
	return true;
}

/* ---- verdicts ---- */

static void judge_eps(const struct lint_ctx *c, size_t src, size_t dst, uint8_t proto,
                      uint16_t port, struct sw_judgement *j)
{
	sw_matcher_judge(c->shadow, &c->shadow_addr[src], &c->shadow_addr[dst], proto, port, j);
}

static bool egress_ok(const struct sw_judgement *j)
{
	return j->reason != SW_REASON_DENIED_EGRESS && j->reason != SW_REASON_DENIED_BOTH;
}

/* ---- DNS ---- */

static bool external(const struct lint_ctx *c, const struct sw_addr *a)
{
	return sw_matcher_endpoint_of(c->m, a) < 0 && sw_matcher_endpoint_of(c->shadow, a) < 0;
}

static bool push_after(const struct lint_ctx *c, struct addrs *out, const struct sw_prefix *p)
{
	struct sw_addr a;

	sw_prefix_last(p, &a);
	return !sw_addr_inc(&a) || !external(c, &a) || addrs_push(out, &a);
}

static bool in_egress_block(const struct lint_ctx *c, const struct sw_addr *a)
{
	for (size_t i = 0; i < c->n_rules; i++) {
		const struct lint_rule *lr = &c->rules[i];
		for (size_t k = 0; lr->dir == LINT_EG && k < lr->r->n_peers; k++)
			if (lr->r->peers[k].has_ipblock &&
			    sw_prefix_contains(&lr->r->peers[k].ipblock.cidr, a))
				return true;
	}
	return false;
}

static bool probe_blocks(const struct lint_ctx *c, struct addrs *out)
{
	for (size_t i = 0; i < c->n_rules; i++) {
		const struct lint_rule *lr = &c->rules[i];
		for (size_t k = 0; lr->dir == LINT_EG && lr->applies && k < lr->r->n_peers; k++) {
			const struct sw_ipblock *b = &lr->r->peers[k].ipblock;
			struct sw_addr first;
			if (!lr->r->peers[k].has_ipblock)
				continue;
			sw_prefix_first(&b->cidr, &first);
			if (external(c, &first) && !addrs_push(out, &first))
				return false;
			for (size_t x = 0; x < b->n_except; x++)
				if (!push_after(c, out, &b->except[x]))
					return false;
		}
	}
	return true;
}

static bool probe_endpoints(const struct lint_ctx *c, struct addrs *out)
{
	for (size_t e = 0; e < c->n_ep; e++) {
		const struct sw_endpoint *ep = sw_inventory_endpoint(c->inv, e);
		for (size_t i = 0; i < ep->n_prefixes; i++) {
			struct sw_addr a;
			sw_prefix_last(&ep->prefixes[i], &a);
			if (sw_addr_inc(&a) && in_egress_block(c, &a) && !push_after(c, out,
			                                                             &ep->prefixes[i]))
				return false;
		}
	}
	return true;
}

/* External addresses where egress admission may change. */
static bool external_probes(const struct lint_ctx *c, struct addrs *out)
{
	static const char *const fixed[] = {"0.0.0.0", "::"};

	for (size_t i = 0; i < SW_ARRAY_SIZE(fixed); i++) {
		struct sw_addr a;
		if (sw_addr_parse(fixed[i], &a) == SW_OK && external(c, &a) && !addrs_push(out, &a))
			return false;
	}
	return probe_blocks(c, out) && probe_endpoints(c, out);
}

/* An endpoint's egress policies, as a signature for grouping. */
struct dns_src {
	size_t ep;
	size_t off, n;       /* into the policy pool */
	const size_t *pols;  /* pool + off, set once the pool is complete */
};

struct dns_run {
	struct lint_ctx *c;
	struct addrs ext;
	size_t *pool;
	size_t n_pool, cap_pool;
	struct dns_src *src;
	size_t n_src;
	uint64_t *dst;   /* scratch: candidate destination endpoints */
};

static int cmp_src(const void *pa, const void *pb)
{
	const struct dns_src *a = pa, *b = pb;
	size_t n = a->n < b->n ? a->n : b->n;

	for (size_t i = 0; i < n; i++)
		if (a->pols[i] != b->pols[i])
			return a->pols[i] < b->pols[i] ? -1 : 1;
	if (a->n != b->n)
		return a->n < b->n ? -1 : 1;
	return (a->ep > b->ep) - (a->ep < b->ep);
}

static bool same_group(const struct dns_src *a, const struct dns_src *b)
{
	return a->n == b->n && memcmp(a->pols, b->pols, a->n * sizeof(*a->pols)) == 0;
}

static bool pool_push(struct dns_run *r, size_t pol)
{
	if (r->n_pool == r->cap_pool) {
		size_t ncap = r->cap_pool ? r->cap_pool * 2 : 64;
		size_t *np = realloc(r->pool, ncap * sizeof(*np));
		if (np == NULL)
			return false;
		r->pool = np;
		r->cap_pool = ncap;
	}
	r->pool[r->n_pool++] = pol;
	return true;
}

/* Adds endpoint e's egress policies to the pool; false when out of memory.
 * *keep tells whether e needs the DNS check. */
static bool dns_source(struct dns_run *r, size_t e, bool *keep)
{
	const struct lint_ctx *c = r->c;
	size_t start = r->n_pool;
	bool rules = false, compose = false;

	for (size_t p = 0; p < c->n_pol; p++) {
		const struct sw_netpol *pol = sw_policy_set_get(c->set, p);
		if (!pol->type_egress || !lint_bit(lint_pol_sel(c, p), e))
			continue;
		if (!pool_push(r, p))
			return false;
		rules = rules || pol->n_egress > 0;
		compose = compose || lint_is_compose(pol);
	}
	*keep = rules && !compose;
	if (*keep)
		r->src[r->n_src++] = (struct dns_src){e, start, r->n_pool - start, NULL};
	else
		r->n_pool = start;
	return true;
}

/* Collects the endpoints needing the DNS check and their egress policies. */
static bool dns_sources(struct dns_run *r)
{
	struct lint_ctx *c = r->c;

	r->src = calloc(c->n_ep ? c->n_ep : 1, sizeof(*r->src));
	if (r->src == NULL)
		return false;
	for (size_t e = 0; e < c->n_ep; e++) {
		bool keep;
		if ((c->iso[e] & (1u << LINT_EG)) && !dns_source(r, e, &keep))
			return false;
	}
	for (size_t i = 0; i < r->n_src; i++)
		r->src[i].pols = r->pool + r->src[i].off;
	return true;
}

/* Where the group's egress admits proto/53: an external address (then
 * every member has DNS), or up to two endpoints. Egress admission towards
 * an endpoint is the same from every member except towards itself, so a
 * member has DNS when there is an external witness, or an endpoint witness
 * other than itself. */
struct witness {
	bool external;
	size_t n;      /* endpoint witnesses found, at most 2 */
	size_t first;
};

static void dns_witnesses(struct dns_run *r, const struct dns_src *g, long alt, uint8_t proto,
                          struct witness *w)
{
	struct lint_ctx *c = r->c;
	struct sw_judgement j;

	memset(w, 0, sizeof(*w));
	for (size_t i = 0; i < r->ext.n; i++) {
		sw_matcher_judge(c->shadow, &c->shadow_addr[g->ep], &r->ext.v[i], proto, 53, &j);
		if (j.verdict == SW_VERDICT_ALLOWED) {
			w->external = true;
			return;
		}
	}
	for (size_t d = lint_bits_next(r->dst, c->n_ep, 0); d < c->n_ep && w->n < 2;
	     d = lint_bits_next(r->dst, c->n_ep, d + 1)) {
		long s = d == g->ep ? alt : (long)g->ep;
		if (s < 0)
			continue;
		judge_eps(c, (size_t)s, d, proto, 53, &j);
		if (!egress_ok(&j))
			continue;
		if (w->n++ == 0)
			w->first = d;
	}
}

static bool has_witness(const struct witness *w, size_t ep)
{
	return w->external || w->n >= 2 || (w->n == 1 && w->first != ep);
}

/* Destinations the group's egress rules may admit. */
static void dns_destinations(struct dns_run *r, const struct dns_src *g)
{
	struct lint_ctx *c = r->c;

	memset(r->dst, 0, c->words * sizeof(*r->dst));
	for (size_t i = 0; i < c->n_rules; i++) {
		const struct lint_rule *lr = &c->rules[i];
		bool mine = false;
		for (size_t k = 0; k < g->n && !mine; k++)
			mine = g->pols[k] == lr->pol;
		if (!mine || lr->dir != LINT_EG)
			continue;
		for (size_t w = 0; w < c->words; w++)
			r->dst[w] |= lr->all_peers ? ~(uint64_t)0 : lr->eps[w];
	}
	for (size_t e = c->n_ep; e < c->words * 64; e++)
		r->dst[e / 64] &= ~((uint64_t)1 << (e % 64));
}

/* The policy to point at: isolating for egress with egress rules,
 * preferring one that selects specific pods. */
static size_t dns_policy(const struct dns_run *r, const struct dns_src *g)
{
	size_t best = g->pols[0];
	bool best_specific = false, best_rules = false;

	for (size_t k = 0; k < g->n; k++) {
		size_t p = g->pols[k];
		const struct sw_netpol *pol = sw_policy_set_get(r->c->set, p);
		bool rules = pol->n_egress > 0, specific = rules && pol->pod_sel.n_reqs > 0;
		if ((rules && !best_rules) || (specific && !best_specific)) {
			best = p;
			best_rules = rules;
			best_specific = specific;
		}
	}
	return best;
}

static void dns_report(struct dns_run *r, const struct dns_src *s, size_t pol, bool udp)
{
	struct lint_ctx *c = r->c;
	const struct sw_netpol *p = sw_policy_set_get(c->set, pol);
	const char *id = sw_inventory_endpoint(c->inv, s->ep)->id;
	char pols[LINT_TEXT_MAX];
	struct lint_at at;

	lint_at_policy(p, &at);
	at.direction = "egress";
	lint_pols_text(c, s->pols, s->n, pols, sizeof(pols));
	if (!udp)
		lint_add_ep(c, SW_LINT_EGRESS_NO_DNS, &at, s->ep,
		            "%s is isolated for egress (%s) and no egress rule admits DNS (UDP/53) "
		            "to any endpoint or address: name lookups fail; allow UDP and TCP 53 to "
		            "the cluster DNS (e.g. namespace kube-system, pods k8s-app=kube-dns)",
		            id, pols);
	else
		lint_add_ep(c, SW_LINT_EGRESS_DNS_UDP_ONLY, &at, s->ep,
		            "%s may reach DNS over UDP/53 but not TCP/53 (%s): answers too large "
		            "for UDP are retried over TCP and fail", id, pols);
}

static void dns_group(struct dns_run *r, size_t first, size_t end)
{
	const struct dns_src *g = &r->src[first];
	long alt = end - first > 1 ? (long)r->src[first + 1].ep : -1;
	struct witness udp, tcp;
	size_t pol;

	dns_destinations(r, g);
	dns_witnesses(r, g, alt, SW_PROTO_UDP, &udp);
	dns_witnesses(r, g, alt, SW_PROTO_TCP, &tcp);
	pol = dns_policy(r, g);
	for (size_t i = first; i < end; i++) {
		size_t ep = r->src[i].ep;
		if (!has_witness(&udp, ep) || !has_witness(&tcp, ep))
			dns_report(r, &r->src[i], pol, has_witness(&udp, ep));
	}
}

static void check_dns(struct lint_ctx *c)
{
	struct dns_run r;

	memset(&r, 0, sizeof(r));
	r.c = c;
	r.dst = calloc(c->words, sizeof(*r.dst));
	if (r.dst == NULL || !dns_sources(&r) || !external_probes(c, &r.ext)) {
		c->nomem = true;
	} else {
		qsort(r.src, r.n_src, sizeof(*r.src), cmp_src);
		for (size_t i = 0, j; i < r.n_src; i = j) {
			for (j = i + 1; j < r.n_src && same_group(&r.src[i], &r.src[j]); j++)
				;
			dns_group(&r, i, j);
		}
	}
	free(r.ext.v);
	free(r.pool);
	free(r.src);
	free(r.dst);
}

/* ---- rule-one-sided ---- */

static bool named_is(const struct sw_endpoint *e, const char *name, uint8_t proto, uint16_t port)
{
	for (size_t i = 0; i < e->n_ports; i++)
		if (e->ports[i].name && strcmp(e->ports[i].name, name) == 0 &&
		    e->ports[i].proto == proto && e->ports[i].port == port)
			return true;
	return false;
}

/* Rule r admits proto/port towards dst (named ports resolve on dst). */
static bool rule_port_admits(const struct sw_rule *r, const struct sw_endpoint *dst,
                             uint8_t proto, uint16_t port)
{
	if (!r->ports_present || r->n_ports == 0)
		return true;
	for (size_t i = 0; i < r->n_ports; i++) {
		const struct sw_port_rule *p = &r->ports[i];
		uint16_t hi = p->end_port > p->port ? p->end_port : p->port;
		if (p->proto != proto)
			continue;
		if (!p->has_port)
			return true;
		if (p->port_name ? named_is(dst, p->port_name, proto, port)
		                 : port >= p->port && port <= hi)
			return true;
	}
	return false;
}

static bool rule_ports_into(const struct sw_rule *r, struct ports *out)
{
	for (size_t i = 0; r->ports_present && i < r->n_ports; i++)
		if (r->ports[i].has_port && r->ports[i].port_name == NULL &&
		    !ports_push(out, r->ports[i].port))
			return false;
	return true;
}

static int cmp_u16(const void *a, const void *b)
{
	uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;

	return (x > y) - (x < y);
}

static void ports_unique(struct ports *p)
{
	size_t n = 0;

	if (p->n < 2)
		return;
	if (p->n > 32) {
		qsort(p->v, p->n, sizeof(*p->v), cmp_u16);
	} else {
		for (size_t i = 1; i < p->n; i++) /* insertion sort: a handful of ports */
			for (size_t j = i; j > 0 && p->v[j - 1] > p->v[j]; j--) {
				uint16_t t = p->v[j];
				p->v[j] = p->v[j - 1];
				p->v[j - 1] = t;
			}
	}
	for (size_t i = 0; i < p->n; i++)
		if (n == 0 || p->v[i] != p->v[n - 1])
			p->v[n++] = p->v[i];
	p->n = n;
}

/* For rule-one-sided: per endpoint and direction, the lower ends of the
 * numeric port ranges of the rules applying to it. */
struct one_sided {
	struct lint_ctx *c;
	struct ports *side[2];  /* [LINT_IN], [LINT_EG]: n_ep each */
	struct ports cand;      /* scratch */
	/* shapes already judged: stamp[shape] == gen (outer loop: gen_d) */
	uint64_t *stamp, *stamp_d;
	uint64_t gen, gen_d;
};

static bool one_sided_init(struct one_sided *o)
{
	struct lint_ctx *c = o->c;

	for (int dir = LINT_IN; dir <= LINT_EG; dir++) {
		o->side[dir] = calloc(c->n_ep ? c->n_ep : 1, sizeof(*o->side[dir]));
		if (o->side[dir] == NULL)
			return false;
	}
	o->stamp = calloc(c->n_shapes ? c->n_shapes : 1, sizeof(*o->stamp));
	o->stamp_d = calloc(c->n_shapes ? c->n_shapes : 1, sizeof(*o->stamp_d));
	if (o->stamp == NULL || o->stamp_d == NULL)
		return false;
	for (size_t i = 0; i < c->n_rules; i++) {
		const struct lint_rule *lr = &c->rules[i];
		const uint64_t *sel = lint_pol_sel(c, lr->pol);
		if (!lr->applies)
			continue;
		for (size_t e = lint_bits_next(sel, c->n_ep, 0); e < c->n_ep;
		     e = lint_bits_next(sel, c->n_ep, e + 1))
			if (!rule_ports_into(lr->r, &o->side[lr->dir][e]))
				return false;
	}
	for (int dir = LINT_IN; dir <= LINT_EG; dir++)
		for (size_t e = 0; e < c->n_ep; e++)
			ports_unique(&o->side[dir][e]);
	return true;
}

static void one_sided_free(struct one_sided *o)
{
	for (int dir = LINT_IN; dir <= LINT_EG; dir++) {
		for (size_t e = 0; o->side[dir] && e < o->c->n_ep; e++)
			free(o->side[dir][e].v);
		free(o->side[dir]);
	}
	free(o->cand.v);
	free(o->stamp);
	free(o->stamp_d);
}

/* Candidate ports for the connections lr admits whose other side is
 * endpoint other (direction odir): 1, the lower ends of lr's ranges and of
 * the other side's. The destination's declared ports are added by the
 * caller. */
static bool candidates(struct one_sided *o, const struct lint_rule *lr, size_t other, int odir)
{
	const struct ports *os = &o->side[odir][other];

	o->cand.n = 0;
	if (!ports_push(&o->cand, 1) || !rule_ports_into(lr->r, &o->cand))
		return false;
	for (size_t i = 0; i < os->n; i++)
		if (!ports_push(&o->cand, os->v[i]))
			return false;
	ports_unique(&o->cand);
	return true;
}

/* Some connection src -> dst on proto/port that lr admits is allowed:
 * 1 yes, 0 no, -1 lr does not admit it. */
static int try_port(const struct lint_ctx *c, const struct lint_rule *lr, size_t src, size_t dst,
                    uint8_t proto, uint16_t port)
{
	struct sw_judgement j;

	if (!rule_port_admits(lr->r, sw_inventory_endpoint(c->inv, dst), proto, port))
		return -1;
	judge_eps(c, src, dst, proto, port, &j);
	return j.verdict == SW_VERDICT_ALLOWED;
}

/* 1: some connection src -> dst that lr admits is allowed; 0: none is;
 * -1: lr admits no connection src -> dst on its own (its ports name
 * nothing on dst: port-name-unresolved's business). o->cand holds the
 * candidates of the other side. */
static int pair_allowed(const struct one_sided *o, const struct lint_rule *lr, size_t src,
                        size_t dst)
{
	static const uint8_t all_protos[] = {SW_PROTO_TCP, SW_PROTO_UDP, SW_PROTO_SCTP};
	const struct lint_ctx *c = o->c;
	const struct sw_endpoint *de = sw_inventory_endpoint(c->inv, dst);
	int judged = -1;

	for (size_t pi = 0; pi < SW_ARRAY_SIZE(all_protos); pi++) {
		for (size_t k = 0; k < o->cand.n + de->n_ports; k++) {
			uint16_t port = k < o->cand.n ? o->cand.v[k] : de->ports[k - o->cand.n].port;
			int v;
			if (k >= o->cand.n && bsearch(&port, o->cand.v, o->cand.n, sizeof(port), cmp_u16))
				continue; /* already tried */
			v = try_port(c, lr, src, dst, all_protos[pi], port);
			if (v == 1)
				return 1;
			if (v == 0)
				judged = 0;
		}
	}
	return judged;
}

/* True when an endpoint of this shape was judged already in this round
 * (and marks it). */
static bool seen(uint64_t *stamp, uint64_t gen, size_t shape)
{
	if (stamp[shape] == gen)
		return true;
	stamp[shape] = gen;
	return false;
}

/* 1: some pair is allowed, 0: none is, -1: no pair to judge. The peer
 * endpoint d is the other side, so it is the outer loop. Endpoints of one
 * shape are judged alike, so each shape is judged once per round (an
 * endpoint is never paired with itself). */
static int rule_effective(struct one_sided *o, const struct lint_rule *lr)
{
	struct lint_ctx *c = o->c;
	const uint64_t *sel = lint_pol_sel(c, lr->pol);
	int judged = -1;

	o->gen_d++;
	for (size_t d = lint_bits_next(lr->eps, c->n_ep, 0); d < c->n_ep;
	     d = lint_bits_next(lr->eps, c->n_ep, d + 1)) {
		bool d_judged = false;
		if (o->stamp_d[c->ep_shape[d]] == o->gen_d)
			continue;
		if (!candidates(o, lr, d, lr->dir == LINT_EG ? LINT_IN : LINT_EG)) {
			c->nomem = true;
			return 1;
		}
		o->gen++;
		for (size_t s = lint_bits_next(sel, c->n_ep, 0); s < c->n_ep;
		     s = lint_bits_next(sel, c->n_ep, s + 1)) {
			int v;
			if (s == d || seen(o->stamp, o->gen, c->ep_shape[s]))
				continue;
			d_judged = true;
			v = lr->dir == LINT_EG ? pair_allowed(o, lr, s, d) : pair_allowed(o, lr, d, s);
			if (v == 1)
				return 1;
			if (v == 0)
				judged = 0;
		}
		/* d's shape is done once it met every other shape of sel: unless
		 * it was alone there (s == d), another d of this shape adds nothing */
		if (d_judged && !lint_bit(sel, d))
			o->stamp_d[c->ep_shape[d]] = o->gen_d;
	}
	return judged;
}

static void report_one_sided(struct lint_ctx *c, const struct lint_rule *lr)
{
	char eps[LINT_TEXT_MAX], ports[LINT_TEXT_MAX];
	struct lint_at at;

	lint_at_rule(lr, &at);
	lint_add(c, SW_LINT_RULE_ONE_SIDED, &at, lr->eps,
	         "%s rule %zu of %s/%s admits %s %s on %s, but their %s admits none of it: every "
	         "connection the rule allows is denied (a connection needs both the source's "
	         "egress and the destination's ingress)", lint_dir_name(lr->dir), lr->idx,
	         lr->p->ns, lr->p->name, lr->dir == LINT_IN ? "traffic from" : "traffic to",
	         lint_eps_text(c, lr->eps, eps, sizeof(eps)),
	         lint_ports_text(lr->r, ports, sizeof(ports)),
	         lr->dir == LINT_IN ? "egress" : "ingress");
}

static void check_one_sided(struct lint_ctx *c)
{
	struct one_sided o;

	memset(&o, 0, sizeof(o));
	o.c = c;
	if (!one_sided_init(&o))
		c->nomem = true;
	for (size_t i = 0; i < c->n_rules && !c->nomem; i++) {
		const struct lint_rule *lr = &c->rules[i];
		size_t n_sel, n_peer;
		if (!lr->applies || lr->all_peers || lr->has_ipblock || lint_is_compose(lr->p))
			continue;
		n_sel = lint_bits_count(lint_pol_sel(c, lr->pol), c->words);
		n_peer = lint_bits_count(lr->eps, c->words);
		if (n_sel == 0 || n_peer == 0 || n_sel * n_peer > LINT_PAIR_CAP)
			continue;
		if (rule_effective(&o, lr) == 0)
			report_one_sided(c, lr);
	}
	one_sided_free(&o);
}

void lint_check_reach(struct lint_ctx *c)
{
	check_dns(c);
	check_one_sided(c);
}
