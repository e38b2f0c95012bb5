/*
 * match_builders.h - test support for the policy engine's suites: a
 * fixture (inventory + policy set + matcher), builders that make
 * namespaces, endpoints and NetworkPolicies from short strings through the
 * public builder functions (sw_inventory_add_*, sw_policy_set_add), and a
 * seeded random scenario. Everything is static inline so that a suite may
 * use any subset.
 */
#ifndef SEGWATCH_TESTS_MATCH_BUILDERS_H
#define SEGWATCH_TESTS_MATCH_BUILDERS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segwatch/inventory.h"
#include "segwatch/match.h"
#include "segwatch/netpol.h"
#include "segwatch/textparse.h"

/* ---- fixture ---- */

struct fx {
	struct sw_inventory *inv;
	struct sw_policy_set *set;
	struct sw_matcher *m;
};

static inline int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	f->inv = sw_inventory_new();
	f->set = sw_policy_set_new();
	*state = f;
	return f->inv && f->set ? 0 : -1;
}

static inline int teardown(void **state)
{
	struct fx *f = *state;

	sw_matcher_free(f->m);
	sw_policy_set_free(f->set);
	sw_inventory_free(f->inv);
	free(f);
	return 0;
}

static inline char *xstrdup(const char *s)
{
	char *d = strdup(s);

	assert_non_null(d);
	return d;
}

static inline char *xstrndup(const char *s, size_t n)
{
	char *d = strndup(s, n);

	assert_non_null(d);
	return d;
}

static inline void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	assert_non_null(p);
	return p;
}

static inline void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size);
	assert_non_null(p);
	return p;
}

/* "k=v,k2=v2" into labels (sw_labels_clear frees them). */
static inline void labels_of(const char *spec, struct sw_labels *out)
{
	memset(out, 0, sizeof(*out));
	while (spec && *spec) {
		size_t len;
		const char *rest = sw_split(spec, ',', &len);
		char *item = xstrndup(spec, len);
		char *eq = strchr(item, '=');
		assert_non_null(eq);
		*eq = '\0';
		assert_int_equal(sw_labels_set(out, item, eq + 1), SW_OK);
		free(item);
		spec = rest;
	}
}

/* "v1|v2" into a malloc'd value array. */
static inline void values_of(struct sw_sel_req *r, const char *spec)
{
	while (spec) {
		size_t len;
		const char *rest = sw_split(spec, '|', &len);
		r->values = xrealloc(r->values, (r->n_values + 1) * sizeof(*r->values));
		r->values[r->n_values++] = xstrndup(spec, len);
		spec = rest;
	}
}

/* A selector from a comma-separated list: "k=v" or "k=a|b" (In),
 * "k!=a|b" (NotIn), "k" (Exists), "!k" (DoesNotExist); "" matches all. */
static inline void selector_of(const char *spec, struct sw_selector *sel)
{
	memset(sel, 0, sizeof(*sel));
	while (spec && *spec) {
		size_t len;
		const char *rest = sw_split(spec, ',', &len);
		char *item = xstrndup(spec, len);
		char *ne = strstr(item, "!="), *eq = strchr(item, '=');
		struct sw_sel_req *r;

		sel->reqs = xrealloc(sel->reqs, (sel->n_reqs + 1) * sizeof(*sel->reqs));
		r = &sel->reqs[sel->n_reqs++];
		memset(r, 0, sizeof(*r));
		if (ne) {
			*ne = '\0';
			r->op = SW_SEL_NOT_IN;
			values_of(r, ne + 2);
			r->key = xstrdup(item);
		} else if (eq) {
			*eq = '\0';
			r->op = SW_SEL_IN;
			values_of(r, eq + 1);
			r->key = xstrdup(item);
		} else if (item[0] == '!') {
			r->op = SW_SEL_DOES_NOT_EXIST;
			r->key = xstrdup(item + 1);
		} else {
			r->op = SW_SEL_EXISTS;
			r->key = xstrdup(item);
		}
		free(item);
		spec = rest;
	}
}

static inline void ns_add(struct fx *f, const char *name, const char *labels)
{
	struct sw_labels l;
	struct sw_err err;

	labels_of(labels, &l);
	assert_int_equal(sw_inventory_add_namespace(f->inv, name, &l, &err), SW_OK);
	sw_labels_clear(&l);
}

/* ips "10.0.0.1,fd00::1,10.1.0.0/28"; ports "name/TCP/8080,/UDP/53". */
static inline void ep_add(struct fx *f, const char *id, const char *labels, const char *ips,
                   const char *ports)
{
	struct sw_endpoint ep;
	struct sw_prefix pfx[16];
	struct sw_named_port np[16];
	struct sw_err err;
	const char *slash = strchr(id, '/');

	memset(&ep, 0, sizeof(ep));
	assert_non_null(slash);
	ep.id = xstrdup(id);
	ep.ns = xstrndup(id, (size_t)(slash - id));
	ep.name = xstrdup(slash + 1);
	ep.kind = xstrdup("Pod");
	ep.file = xstrdup("test_match.c");
	ep.line = 1;
	labels_of(labels, &ep.labels);
	while (ips && *ips) {
		size_t len;
		const char *rest = sw_split(ips, ',', &len);
		char *one = xstrndup(ips, len);
		assert_true(ep.n_prefixes < SW_ARRAY_SIZE(pfx));
		assert_int_equal(sw_prefix_parse(one, false, &pfx[ep.n_prefixes++]), SW_OK);
		free(one);
		ips = rest;
	}
	ep.prefixes = pfx;
	while (ports && *ports) {
		size_t len, nlen, plen;
		const char *rest = sw_split(ports, ',', &len);
		char *one = xstrndup(ports, len);
		const char *proto = sw_split(one, '/', &nlen);
		const char *num = sw_split(proto, '/', &plen);
		uint64_t v;
		struct sw_named_port *p = &np[ep.n_ports++];

		assert_non_null(num);
		p->name = nlen ? xstrndup(one, nlen) : NULL;
		p->proto = strncmp(proto, "UDP", plen) == 0    ? SW_PROTO_UDP
		           : strncmp(proto, "SCTP", plen) == 0 ? SW_PROTO_SCTP
		                                               : SW_PROTO_TCP;
		assert_int_equal(sw_parse_u64(num, strlen(num), 0, 65535, &v), SW_OK);
		p->port = (uint16_t)v;
		free(one);
		ports = rest;
	}
	ep.ports = np;
	assert_int_equal(sw_inventory_add_endpoint(f->inv, &ep, &err), SW_OK);
	for (size_t i = 0; i < ep.n_ports; i++)
		free(np[i].name);
	sw_labels_clear(&ep.labels);
	free(ep.id);
	free(ep.ns);
	free(ep.name);
	free(ep.kind);
	free(ep.file);
}

enum { IN = 1, EG = 2 };

static inline struct sw_netpol *pol_new(const char *ns, const char *name, const char *podsel,
                                        int types)
{
	struct sw_netpol *p = xcalloc(1, sizeof(*p));

	p->ns = xstrdup(ns);
	p->name = xstrdup(name);
	p->origin = xstrdup("k8s");
	p->file = xstrdup("policy.yaml");
	p->line = 1;
	selector_of(podsel, &p->pod_sel);
	p->type_ingress = (types & IN) != 0;
	p->type_egress = (types & EG) != 0;
	return p;
}

/* Appends a rule with from/to and ports absent. The pointer is valid until
 * the next pol_rule on the same policy. */
static inline struct sw_rule *pol_rule(struct sw_netpol *p, int dir)
{
	struct sw_rule **rs = dir == IN ? &p->ingress : &p->egress;
	size_t *n = dir == IN ? &p->n_ingress : &p->n_egress;
	struct sw_rule *r;

	*rs = xrealloc(*rs, (*n + 1) * sizeof(**rs));
	r = &(*rs)[(*n)++];
	memset(r, 0, sizeof(*r));
	r->line = (unsigned)(10 * *n);
	return r;
}

static inline struct sw_peer *peer_new(struct sw_rule *r)
{
	struct sw_peer *pe;

	r->peers_present = true;
	r->peers = xrealloc(r->peers, (r->n_peers + 1) * sizeof(*r->peers));
	pe = &r->peers[r->n_peers++];
	memset(pe, 0, sizeof(*pe));
	return pe;
}

static inline void peer_pod(struct sw_rule *r, const char *podsel)
{
	struct sw_peer *pe = peer_new(r);

	pe->has_pod_sel = true;
	selector_of(podsel, &pe->pod_sel);
}

static inline void peer_ns(struct sw_rule *r, const char *nssel)
{
	struct sw_peer *pe = peer_new(r);

	pe->has_ns_sel = true;
	selector_of(nssel, &pe->ns_sel);
}

static inline void peer_both(struct sw_rule *r, const char *nssel, const char *podsel)
{
	struct sw_peer *pe = peer_new(r);

	pe->has_ns_sel = pe->has_pod_sel = true;
	selector_of(nssel, &pe->ns_sel);
	selector_of(podsel, &pe->pod_sel);
}

/* excepts: comma-separated, may be NULL. */
static inline void peer_ip(struct sw_rule *r, const char *cidr, const char *excepts)
{
	struct sw_peer *pe = peer_new(r);

	pe->has_ipblock = true;
	assert_int_equal(sw_prefix_parse(cidr, true, &pe->ipblock.cidr), SW_OK);
	while (excepts && *excepts) {
		size_t len;
		const char *rest = sw_split(excepts, ',', &len);
		char *one = xstrndup(excepts, len);
		struct sw_ipblock *b = &pe->ipblock;
		b->except = xrealloc(b->except, (b->n_except + 1) * sizeof(*b->except));
		assert_int_equal(sw_prefix_parse(one, true, &b->except[b->n_except++]), SW_OK);
		free(one);
		excepts = rest;
	}
}

static inline struct sw_port_rule *port_new(struct sw_rule *r, uint8_t proto)
{
	struct sw_port_rule *p;

	r->ports_present = true;
	r->ports = xrealloc(r->ports, (r->n_ports + 1) * sizeof(*r->ports));
	p = &r->ports[r->n_ports++];
	memset(p, 0, sizeof(*p));
	p->proto = proto;
	return p;
}

static inline void port_num(struct sw_rule *r, uint8_t proto, uint16_t port, uint16_t end)
{
	struct sw_port_rule *p = port_new(r, proto);

	p->has_port = true;
	p->port = port;
	p->end_port = end ? end : port;
}

static inline void port_named(struct sw_rule *r, uint8_t proto, const char *name)
{
	struct sw_port_rule *p = port_new(r, proto);

	p->has_port = true;
	p->port_name = xstrdup(name);
}

static inline void port_all(struct sw_rule *r, uint8_t proto)
{
	(void)port_new(r, proto);
}

static inline void pol_add(struct fx *f, struct sw_netpol *p)
{
	struct sw_err err;

	assert_int_equal(sw_policy_set_add(f->set, p, &err), SW_OK);
	sw_netpol_clear(p);
	free(p);
	sw_matcher_free(f->m); /* recompiled on the next judgement */
	f->m = NULL;
}

static inline const struct sw_matcher *matcher(struct fx *f)
{
	struct sw_err err;

	if (f->m == NULL) {
		f->m = sw_matcher_new(f->inv, f->set, &err);
		if (f->m == NULL)
			fail_msg("compile failed: %s", err.msg);
	}
	return f->m;
}

/* An endpoint id's first address, or a literal address. */
static inline struct sw_addr addr_of(struct fx *f, const char *who)
{
	struct sw_addr a;
	long ep = sw_inventory_find_endpoint(f->inv, who);

	if (ep >= 0) {
		const struct sw_endpoint *e = sw_inventory_endpoint(f->inv, (size_t)ep);
		assert_true(e->n_prefixes > 0);
		sw_prefix_first(&e->prefixes[0], &a);
		return a;
	}
	if (sw_addr_parse(who, &a) != SW_OK)
		fail_msg("neither an endpoint nor an address: %s", who);
	return a;
}

static inline void proto_port(const char *spec, uint8_t *proto, uint16_t *port)
{
	size_t len;
	const char *num = sw_split(spec, '/', &len);
	uint64_t v = 0;

	*proto = strncmp(spec, "tcp", len) == 0    ? SW_PROTO_TCP
	         : strncmp(spec, "udp", len) == 0  ? SW_PROTO_UDP
	         : strncmp(spec, "sctp", len) == 0 ? SW_PROTO_SCTP
	                                           : SW_PROTO_ICMP;
	if (num)
		assert_int_equal(sw_parse_u64(num, strlen(num), 0, 65535, &v), SW_OK);
	*port = (uint16_t)v;
}


/* ---- a random scenario ---- */

struct rng {
	uint64_t s;
};

static inline uint32_t rnd(struct rng *r, uint32_t n)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return (uint32_t)((r->s >> 11) % n);
}

static inline const char *random_selector(struct rng *g)
{
	static const char *const vocab_sel[] = {
		"", "app=a", "app=b", "app=a|c", "app!=a", "tier", "!tier", "tier=x,app=b",
		"env=p", "env!=p", "kubernetes.io/metadata.name=n1",
	};
	return vocab_sel[rnd(g, SW_ARRAY_SIZE(vocab_sel))];
}

static inline void random_rule(struct rng *g, struct sw_rule *r)
{
	static const char *const vocab_cidr[] = {
		"10.0.0.0/8", "10.1.0.0/16", "0.0.0.0/0", "10.1.2.0/24", "192.168.0.0/16", "::/0",
		"fd00::/8", "10.1.2.128/25",
	};
	uint32_t n = rnd(g, 3);

	for (uint32_t i = 0; i < n; i++) {
		switch (rnd(g, 4)) {
		case 0:
			peer_pod(r, random_selector(g));
			break;
		case 1:
			peer_ns(r, random_selector(g));
			break;
		case 2:
			peer_both(r, random_selector(g),
			          random_selector(g));
			break;
		default: {
			uint32_t c = rnd(g, SW_ARRAY_SIZE(vocab_cidr));
			const char *ex = c == 0 ? "10.1.0.0/16,10.3.0.0/16" : c == 2 ? "10.0.0.0/8" :
			                 c == 5 ? "fd00::/9" : NULL;
			peer_ip(r, vocab_cidr[c], ex);
		}
		}
	}
	n = rnd(g, 3);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t proto = rnd(g, 3) == 0 ? SW_PROTO_UDP : SW_PROTO_TCP;
		switch (rnd(g, 4)) {
		case 0:
			port_num(r, proto, (uint16_t)(rnd(g, 4) * 10 + 80), 0);
			break;
		case 1:
			port_num(r, proto, 80, (uint16_t)(85 + rnd(g, 20)));
			break;
		case 2:
			port_named(r, proto, rnd(g, 2) ? "web" : "dns");
			break;
		default:
			port_all(r, proto);
		}
	}
}


#define SCENARIO_MAX_ADDRS 64

/* Three namespaces, 24 endpoints (one without addresses, some dual-stack)
 * with random labels and named ports, 14 random policies. Writes the
 * endpoints' first IPv4 addresses and a dozen external addresses near the
 * ipBlock boundaries into addrs. */
static inline size_t random_scenario(struct fx *f, uint64_t seed,
                                     char addrs[SCENARIO_MAX_ADDRS][SW_ADDR_STRLEN])
{
	static const char *const nss[] = {"n1", "n2", "n3"};
	static const char *const labels[] = {
		"app=a", "app=b,tier=x", "app=c,tier=y", "app=a,tier=x", "", "app=b",
	};
	static const char *const ports[] = {"web/TCP/80", "web/TCP/90,dns/UDP/53", "dns/TCP/85", ""};
	static const char *const ext[] = {
		"10.1.2.1", "10.1.2.200", "10.1.3.1", "10.3.0.9", "10.9.9.9", "192.168.1.1",
		"8.8.8.8", "fd00::ffff", "fd80::1", "2001:db8::1", "10.0.0.1", "10.1.0.1",
	};
	struct rng g = {seed};
	size_t n_addrs = 0;

	ns_add(f, "n1", "env=p");
	ns_add(f, "n2", "env=q");
	ns_add(f, "n3", "");
	for (int e = 0; e < 24; e++) {
		char id[32], ips[96];
		snprintf(id, sizeof(id), "%s/e%d", nss[e % 3], e);
		if (e % 5 == 4)
			snprintf(ips, sizeof(ips), "fd00::%x,10.1.2.%d", e, 100 + e);
		else
			snprintf(ips, sizeof(ips), "10.1.2.%d,10.%d.%d.1", 100 + e, e % 4, e);
		ep_add(f, id, labels[rnd(&g, SW_ARRAY_SIZE(labels))], e == 7 ? "" : ips,
		       ports[rnd(&g, SW_ARRAY_SIZE(ports))]);
		if (e != 7)
			snprintf(addrs[n_addrs++], SW_ADDR_STRLEN, "10.1.2.%d", 100 + e);
	}
	for (size_t i = 0; i < SW_ARRAY_SIZE(ext); i++)
		snprintf(addrs[n_addrs++], SW_ADDR_STRLEN, "%s", ext[i]);
	for (int p = 0; p < 14; p++) {
		char name[16];
		int types = 1 + (int)rnd(&g, 3);
		struct sw_netpol *pol;

		snprintf(name, sizeof(name), "p%d", p);
		pol = pol_new(nss[rnd(&g, 3)], name, random_selector(&g), types);
		for (uint32_t k = rnd(&g, 3); k > 0; k--)
			random_rule(&g, pol_rule(pol, IN));
		for (uint32_t k = rnd(&g, 3); k > 0; k--)
			random_rule(&g, pol_rule(pol, EG));
		pol_add(f, pol);
	}
	return n_addrs;
}

#endif
