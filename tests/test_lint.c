/*
 * test_lint.c - `segwatch policy lint`'s checks: one test per check with
 * positive and negative cases (small inventories and policies built with
 * match_builders.h, or read from tests/data/lint/), the seed articles'
 * policies with the findings their prose leads a reviewer to expect, the
 * text and JSON writers, and a property test that the verdict-based checks
 * (rule-one-sided, egress-no-dns) agree with the matcher's explanations on
 * random scenarios.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segwatch/lint.h"

#include "match_builders.h"

#define LINT_DATA "tests/data/lint/"
#define SEEDS "tests/data/seeds/"
#define SEED000 SEEDS "000_f9a3f3b2e6733b5e-1.yaml"
#define SEED001_COMPOSE SEEDS "001_9e647032a7b0c2d7-1.yaml"
#define SEED001_FRAGMENT SEEDS "001_9e647032a7b0c2d7-2.yaml"
#define SEED001_TLS SEEDS "001_9e647032a7b0c2d7-3.yaml"
#define SEED001_POLICY SEEDS "001_9e647032a7b0c2d7-4.yaml"
#define SEED003_FIRST SEEDS "003_2b7e4d0cc3a9c686-1.yaml"
#define SEED003_INGRESS SEEDS "003_2b7e4d0cc3a9c686-2.yaml"
#define SEED003_AGAIN SEEDS "003_2b7e4d0cc3a9c686-3.yaml"
#define POL "policy.yaml" /* the builders' policy file name */

/* ---- running lint and looking at findings ---- */

static struct sw_lint_report *run(struct fx *f)
{
	struct sw_lint_report *r = NULL;
	struct sw_err err;

	if (sw_lint_run(matcher(f), &r, &err) != SW_OK)
		fail_msg("lint failed: %s", err.msg);
	assert_non_null(r);
	return r;
}

static void dump(const struct sw_lint_report *r)
{
	for (size_t i = 0; i < sw_lint_count(r); i++) {
		const struct sw_lint_finding *x = sw_lint_get(r, i);
		print_message("  %s:%u: %s %s: %s\n", x->file, x->line,
		              sw_lint_severity_name(x->severity), x->id, x->message);
	}
}

static size_t count_id(const struct sw_lint_report *r, const char *id)
{
	size_t n = 0;

	for (size_t i = 0; i < sw_lint_count(r); i++)
		n += strcmp(sw_lint_get(r, i)->id, id) == 0;
	return n;
}

static const struct sw_lint_finding *find_at(const struct sw_lint_report *r, const char *id,
                                             const char *file, unsigned line)
{
	for (size_t i = 0; i < sw_lint_count(r); i++) {
		const struct sw_lint_finding *x = sw_lint_get(r, i);
		if (strcmp(x->id, id) == 0 && strcmp(x->file, file) == 0 && x->line == line)
			return x;
	}
	return NULL;
}

static const struct sw_lint_finding *expect_at(const struct sw_lint_report *r, const char *id,
                                               enum sw_lint_severity sev, const char *file,
                                               unsigned line)
{
	const struct sw_lint_finding *x = find_at(r, id, file, line);

	if (x == NULL) {
		dump(r);
		fail_msg("expected %s at %s:%u", id, file, line);
	}
	assert_int_equal(x->severity, sev);
	return x;
}

static void expect_none(const struct sw_lint_report *r, const char *id)
{
	if (count_id(r, id) != 0) {
		dump(r);
		fail_msg("expected no %s", id);
	}
}

static void expect_count(const struct sw_lint_report *r, const char *id, size_t n)
{
	if (count_id(r, id) != n) {
		dump(r);
		fail_msg("expected %zu x %s, got %zu", n, id, count_id(r, id));
	}
}

static bool has_endpoint(const struct sw_lint_finding *x, const char *id)
{
	for (size_t i = 0; i < x->n_endpoints; i++)
		if (strcmp(x->endpoints[i], id) == 0)
			return true;
	return false;
}

struct want {
	const char *id;
	enum sw_lint_severity sev;
	const char *file;
	unsigned line;
};

#define HIGH SW_LINT_HIGH
#define WARN SW_LINT_WARNING
#define INFO SW_LINT_INFO

/* The report holds exactly these findings (in any order). */
static void expect_exactly(const struct sw_lint_report *r, const struct want *w, size_t n)
{
	bool *used = xcalloc(sw_lint_count(r), sizeof(*used));

	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		for (; k < sw_lint_count(r); k++) {
			const struct sw_lint_finding *x = sw_lint_get(r, k);
			if (!used[k] && strcmp(x->id, w[i].id) == 0 && strcmp(x->file, w[i].file) == 0 &&
			    x->line == w[i].line && x->severity == w[i].sev)
				break;
		}
		if (k == sw_lint_count(r)) {
			dump(r);
			free(used);
			fail_msg("missing %s %s at %s:%u", sw_lint_severity_name(w[i].sev), w[i].id,
			         w[i].file, w[i].line);
		}
		used[k] = true;
	}
	for (size_t k = 0; k < sw_lint_count(r); k++) {
		if (!used[k]) {
			const struct sw_lint_finding *x = sw_lint_get(r, k);
			dump(r);
			free(used);
			fail_msg("unexpected %s at %s:%u", x->id, x->file, x->line);
		}
	}
	free(used);
}

/* ---- loading files into the fixture ---- */

static void load_inv(struct fx *f, const char *path)
{
	struct sw_err err;

	if (sw_inventory_load_file(f->inv, path, NULL, NULL, &err) != SW_OK)
		fail_msg("%s:%u:%u: %s", path, err.line, err.column, err.msg);
}

static void load_pol(struct fx *f, const char *path)
{
	struct sw_err err;

	if (sw_policy_set_load_file(f->set, path, NULL, NULL, &err) != SW_OK)
		fail_msg("%s:%u:%u: %s", path, err.line, err.column, err.msg);
	sw_matcher_free(f->m);
	f->m = NULL;
}

static void load_compose(struct fx *f, const char *path)
{
	struct sw_err err;

	if (sw_policy_set_load_compose(f->set, f->inv, path, NULL, NULL, &err) != SW_OK)
		fail_msg("%s:%u:%u: %s", path, err.line, err.column, err.msg);
	sw_matcher_free(f->m);
	f->m = NULL;
}

/* A policy at line `line` of policy.yaml. */
static struct sw_netpol *pol_at(const char *ns, const char *name, const char *podsel, int types,
                                unsigned line)
{
	struct sw_netpol *p = pol_new(ns, name, podsel, types);

	p->line = line;
	return p;
}

/* ---- deny by default ---- */

#define ISO_INV LINT_DATA "isolation-inventory.yaml"
#define ISO_POL LINT_DATA "isolation-policies.yaml"

static void test_ns_no_default_deny(void **state)
{
	struct fx *f = *state;
	struct sw_lint_report *r;
	const struct sw_lint_finding *x;

	load_inv(f, ISO_INV);
	load_pol(f, ISO_POL);
	r = run(f);
	/* at the namespace's first endpoint; locked/ has default-deny both
	 * ways, empty/ has no endpoints */
	expect_count(r, "ns-no-default-deny-ingress", 3);
	expect_count(r, "ns-no-default-deny-egress", 3);
	/* partial/: only the database is isolated, for ingress */
	expect_at(r, "ns-no-default-deny-ingress", WARN, ISO_INV, 15);
	expect_at(r, "ns-no-default-deny-egress", WARN, ISO_INV, 15);
	/* opened/: podSelector {} isolates both ways, but its ingress rule
	 * `- {}` admits everything: no default deny for ingress */
	x = expect_at(r, "ns-no-default-deny-ingress", WARN, ISO_INV, 19);
	assert_string_equal(x->related.policy, "allow-everything");
	assert_int_equal(x->related.line, 29);
	assert_null(find_at(r, "ns-no-default-deny-egress", ISO_INV, 19));
	/* bare/: no policy at all */
	x = expect_at(r, "ns-no-default-deny-ingress", WARN, ISO_INV, 21);
	assert_non_null(strstr(x->message, "no NetworkPolicy at all"));
	assert_string_equal(x->ns, "bare");
	expect_at(r, "ns-no-default-deny-egress", WARN, ISO_INV, 21);
	/* inonly/: podSelector {} with a rule admitting the namespace's own pods
	 * is a default deny (with an explicit allow); nothing for egress */
	assert_null(find_at(r, "ns-no-default-deny-ingress", ISO_INV, 23));
	expect_at(r, "ns-no-default-deny-egress", WARN, ISO_INV, 23);
	sw_lint_report_free(r);
}

static void test_endpoint_open(void **state)
{
	struct fx *f = *state;
	struct sw_lint_report *r;
	const struct sw_lint_finding *x;

	load_inv(f, ISO_INV);
	load_pol(f, ISO_POL);
	r = run(f);
	/* ingress: partial/web and bare/b1 (opened/o1 is isolated, if
	 * uselessly: rule-allow-all reports that) */
	expect_count(r, "endpoint-ingress-open", 2);
	x = expect_at(r, "endpoint-ingress-open", HIGH, ISO_INV, 15);
	assert_int_equal(x->n_endpoints, 1);
	assert_string_equal(x->endpoints[0], "partial/web");
	assert_string_equal(x->direction, "ingress");
	expect_at(r, "endpoint-ingress-open", HIGH, ISO_INV, 21);
	assert_null(find_at(r, "endpoint-ingress-open", ISO_INV, 17)); /* partial/db */
	/* egress: partial/web, partial/db, bare/b1, inonly/i1 */
	expect_count(r, "endpoint-egress-open", 4);
	expect_at(r, "endpoint-egress-open", WARN, ISO_INV, 15);
	expect_at(r, "endpoint-egress-open", WARN, ISO_INV, 17);
	expect_at(r, "endpoint-egress-open", WARN, ISO_INV, 21);
	expect_at(r, "endpoint-egress-open", WARN, ISO_INV, 23);
	sw_lint_report_free(r);
}

/* ---- breadth ---- */

static void test_rule_allow_all(void **state)
{
	struct fx *f = *state;
	struct sw_netpol *p;
	struct sw_rule *rl;
	struct sw_lint_report *r;
	const struct sw_lint_finding *x;

	ep_add(f, "n/a", "app=a", "10.0.0.1", NULL);
	p = pol_at("n", "open-in", "app=a", IN | EG, 1);
	rl = pol_rule(p, IN);
	rl->line = 10;          /* ingress: - {} */
	rl = pol_rule(p, IN);
	rl->line = 12;          /* from app=b on TCP 80: fine */
	peer_pod(rl, "app=b");
	port_num(rl, SW_PROTO_TCP, 80, 0);
	rl = pol_rule(p, EG);
	rl->line = 14;          /* egress: to: [] and ports: [] mean all too */
	rl->peers_present = true;
	rl->ports_present = true;
	pol_add(f, p);
	r = run(f);
	x = expect_at(r, "rule-allow-all", HIGH, POL, 10);
	assert_string_equal(x->direction, "ingress");
	assert_int_equal(x->rule, 0);
	assert_true(has_endpoint(x, "n/a"));
	expect_at(r, "rule-allow-all", HIGH, POL, 14);
	expect_count(r, "rule-allow-all", 2);
	/* reported as allow-all only, not also as any-peer / any-port */
	expect_none(r, "rule-any-peer");
	expect_none(r, "rule-any-port");
	sw_lint_report_free(r);
}

static void test_rule_any_peer(void **state)
{
	struct fx *f = *state;
	struct sw_netpol *p;
	struct sw_rule *rl;
	struct sw_lint_report *r;
	const struct sw_lint_finding *x;

	ep_add(f, "n/web", "app=web", "10.0.0.1", NULL);
	p = pol_at("n", "web", "app=web", IN | EG, 1);
	rl = pol_rule(p, IN);
	rl->line = 10;          /* every source on TCP 443 */
	port_num(rl, SW_PROTO_TCP, 443, 0);
	rl = pol_rule(p, EG);
	rl->line = 20;          /* to pods app=db on 5432: fine */
	peer_pod(rl, "app=db");
	port_num(rl, SW_PROTO_TCP, 5432, 0);
	pol_add(f, p);
	r = run(f);
	x = expect_at(r, "rule-any-peer", WARN, POL, 10);
	assert_non_null(strstr(x->message, "TCP 443"));
	expect_count(r, "rule-any-peer", 1);
	expect_none(r, "rule-allow-all");
	sw_lint_report_free(r);
}

static void test_rule_any_port(void **state)
{
	struct fx *f = *state;
	struct sw_netpol *p;
	struct sw_rule *rl;
	struct sw_lint_report *r;

	ep_add(f, "n/db", "app=db", "10.0.0.1", NULL);
	p = pol_at("n", "db", "app=db", IN, 1);
	rl = pol_rule(p, IN);
	rl->line = 10;          /* from the api, no ports */
	peer_pod(rl, "app=api");
	rl = pol_rule(p, IN);
	rl->line = 20;          /* from the api, every UDP port (a port entry without port) */
	peer_pod(rl, "app=api");
	port_num(rl, SW_PROTO_TCP, 5432, 0);
	port_all(rl, SW_PROTO_UDP);
	rl->ports[0].line = 22;
	rl->ports[1].line = 23;
	rl = pol_rule(p, IN);
	rl->line = 30;          /* numbered ports only: fine */
	peer_pod(rl, "app=api");
	port_num(rl, SW_PROTO_TCP, 5432, 5433);
	pol_add(f, p);
	r = run(f);
	expect_at(r, "rule-any-port", WARN, POL, 10);
	expect_at(r, "rule-any-port", WARN, POL, 23);
	assert_non_null(strstr(find_at(r, "rule-any-port", POL, 23)->message, "every UDP port"));
	expect_count(r, "rule-any-port", 2);
	sw_lint_report_free(r);
}

static void test_peer_all_namespaces(void **state)
{
	struct fx *f = *state;
	struct sw_netpol *p;
	struct sw_rule *rl;
	struct sw_lint_report *r;

	ns_add(f, "mon", "team=mon");
	ep_add(f, "n/api", "app=api", "10.0.0.1", NULL);
	ep_add(f, "mon/prom", "app=prom", "10.0.9.1", NULL);
	p = pol_at("n", "api", "app=api", IN, 1);
	rl = pol_rule(p, IN);
	rl->line = 10;
	peer_ns(rl, "");                    /* every pod everywhere */
	peer_both(rl, "", "app=prom");      /* prometheus pods in any namespace */
	peer_ns(rl, "team=mon");            /* a named namespace: fine */
	peer_both(rl, "team=mon", "");      /* likewise */
	port_num(rl, SW_PROTO_TCP, 9090, 0);
	for (size_t k = 0; k < rl->n_peers; k++)
		rl->peers[k].line = 11 + (unsigned)k;
	pol_add(f, p);
	r = run(f);
	expect_at(r, "peer-all-namespaces", WARN, POL, 11);
	assert_non_null(strstr(expect_at(r, "peer-all-namespaces", WARN, POL, 12)->message,
	                       "app=prom"));
	expect_count(r, "peer-all-namespaces", 2);
	expect_none(r, "peer-all-pods");
	sw_lint_report_free(r);
}

static void test_peer_all_pods(void **state)
{
	struct fx *f = *state;
	struct sw_netpol *p;
	struct sw_rule *rl;
	struct sw_lint_report *r;

	ns_add(f, "other", "team=x");
	ep_add(f, "n/api", "app=api", "10.0.0.1", NULL);
	ep_add(f, "n/web", "app=web", "10.0.0.2", NULL);
	ep_add(f, "other/x", "app=x", "10.0.1.1", NULL);
	p = pol_at("n", "api", "app=api", IN, 1);
	rl = pol_rule(p, IN);
	rl->line = 10;
	peer_pod(rl, "");                   /* every pod of n */
	peer_both(rl, "team=x", "");        /* every pod of the team=x namespaces: fine */
	peer_pod(rl, "app=web");            /* fine */
	port_num(rl, SW_PROTO_TCP, 8080, 0);
	for (size_t k = 0; k < rl->n_peers; k++)
		rl->peers[k].line = 11 + (unsigned)k;
	pol_add(f, p);
	r = run(f);
	assert_true(has_endpoint(expect_at(r, "peer-all-pods", WARN, POL, 11), "n/api"));
	expect_count(r, "peer-all-pods", 1);
	sw_lint_report_free(r);
}

static void test_peer_ipblock_all(void **state)
{
	struct fx *f = *state;
	struct sw_netpol *p;
	struct sw_rule *rl;
	struct sw_lint_report *r;
	const struct sw_lint_finding *x;

	ep_add(f, "n/api", "app=api", "10.0.0.1", NULL);
	p = pol_at("n", "api", "app=api", EG, 1);
	rl = pol_rule(p, EG);
	rl->line = 10;
	peer_ip(rl, "0.0.0.0/0", NULL);
	peer_ip(rl, "::/0", NULL);
	peer_ip(rl, "0.0.0.0/0", "10.0.0.0/8,192.168.0.0/16");
	peer_ip(rl, "203.0.113.0/24", NULL);  /* a named range: fine */
	port_num(rl, SW_PROTO_TCP, 443, 0);
	for (size_t k = 0; k < rl->n_peers; k++)
		rl->peers[k].line = 11 + (unsigned)k;
	pol_add(f, p);
	r = run(f);
	expect_at(r, "peer-ipblock-all", WARN, POL, 11);
	assert_non_null(strstr(expect_at(r, "peer-ipblock-all", WARN, POL, 12)->message, "IPv6"));
	x = expect_at(r, "peer-ipblock-all", WARN, POL, 13);
	assert_non_null(strstr(x->message, "except 10.0.0.0/8, 192.168.0.0/16"));
	assert_int_equal(x->peer, 2);
	expect_count(r, "peer-ipblock-all", 3);
	sw_lint_report_free(r);
}

static void test_peer_ipblock_endpoints(void **state)
{
	struct fx *f = *state;
	struct sw_netpol *p;
	struct sw_rule *rl;
	struct sw_lint_report *r;
	const struct sw_lint_finding *x;

	ep_add(f, "n/api", "app=api", "10.1.0.5", NULL);
	ep_add(f, "n/v6", "app=v6", "fd00::5", NULL);
	ep_add(f, "n/lan", "app=lan", "192.168.3.0/28", NULL);
	p = pol_at("n", "api", "app=api", IN, 1);
	rl = pol_rule(p, IN);
	rl->line = 10;
	peer_ip(rl, "10.0.0.0/8", NULL);                 /* covers n/api */
	peer_ip(rl, "10.0.0.0/8", "10.1.0.0/16");        /* excepts it: fine */
	peer_ip(rl, "fd00::/8", NULL);                   /* covers n/v6 */
	peer_ip(rl, "192.168.3.8/29", NULL);             /* inside n/lan's range */
	peer_ip(rl, "0.0.0.0/0", NULL);                  /* peer-ipblock-all only */
	peer_ip(rl, "172.16.0.0/12", NULL);              /* no endpoint: fine */
	port_num(rl, SW_PROTO_TCP, 443, 0);
	for (size_t k = 0; k < rl->n_peers; k++)
		rl->peers[k].line = 11 + (unsigned)k;
	pol_add(f, p);
	r = run(f);
	x = expect_at(r, "peer-ipblock-endpoints", WARN, POL, 11);
	assert_int_equal(x->n_endpoints, 1);
	assert_string_equal(x->endpoints[0], "n/api");
	x = expect_at(r, "peer-ipblock-endpoints", WARN, POL, 13);
	assert_string_equal(x->endpoints[0], "n/v6");
	expect_at(r, "peer-ipblock-endpoints", WARN, POL, 14);
	expect_count(r, "peer-ipblock-endpoints", 3);
	expect_at(r, "peer-ipblock-all", WARN, POL, 15);
	sw_lint_report_free(r);
}

/* ---- references that resolve to nothing ---- */

static void test_peer_selects_nothing(void **state)
{
	struct fx *f = *state;
	struct sw_netpol *p;
	struct sw_rule *rl;
	struct sw_lint_report *r;

	ns_add(f, "prod", "team=x");
	ns_add(f, "spare", "team=y");       /* no endpoints */
	ep_add(f, "prod/web", "app=web", "10.0.0.1", NULL);
	ep_add(f, "prod/api", "app=api", "10.0.0.2", NULL);
	p = pol_at("prod", "api", "app=api", IN, 1);
	rl = pol_rule(p, IN);
	rl->line = 10;
	peer_pod(rl, "app=wbe");                     /* typo */
	peer_ns(rl, "name=prod");                    /* a label clusters do not set */
	peer_both(rl, "team=x", "app=web");          /* fine */
	peer_both(rl, "team=x", "app=nope");         /* the namespace exists, the pod does not */
	peer_ns(rl, "team=y");                       /* a namespace without endpoints */
	peer_ns(rl, "kubernetes.io/metadata.name=prod"); /* fine */
	port_num(rl, SW_PROTO_TCP, 8080, 0);
	for (size_t k = 0; k < rl->n_peers; k++)
		rl->peers[k].line = 11 + (unsigned)k;
	pol_add(f, p);
	r = run(f);
	assert_non_null(strstr(expect_at(r, "peer-selects-nothing", WARN, POL, 11)->message,
	                       "app=wbe"));
	assert_non_null(strstr(expect_at(r, "peer-selects-nothing", WARN, POL, 12)->message,
	                       "kubernetes.io/metadata.name"));
	expect_at(r, "peer-selects-nothing", WARN, POL, 14);
	assert_non_null(strstr(expect_at(r, "peer-selects-nothing", WARN, POL, 15)->message,
	                       "without endpoints"));
	expect_count(r, "peer-selects-nothing", 4);
	expect_none(r, "peer-split-selectors");
	sw_lint_report_free(r);
}

static void test_peer_split_selectors(void **state)
{
	struct fx *f = *state;
	struct sw_netpol *p;
	struct sw_rule *rl;
	struct sw_lint_report *r;
	const struct sw_lint_finding *x;

	ns_add(f, "kube-system", "name=kube-system");
	ep_add(f, "app/client", "app=client", "10.0.0.1", NULL);
	ep_add(f, "kube-system/dns", "k8s-app=kube-dns", "10.0.9.1", "dns/UDP/53");
	ep_add(f, "kube-system/proxy", "k8s-app=kube-proxy", "10.0.9.2", NULL);
	p = pol_at("app", "client", "app=client", EG, 1);
	rl = pol_rule(p, EG);               /* the seed-000 DNS rule: two peers */
	rl->line = 30;
	peer_ns(rl, "name=kube-system");
	peer_pod(rl, "k8s-app=kube-dns");
	rl->peers[0].line = 31;
	rl->peers[1].line = 34;
	port_num(rl, SW_PROTO_UDP, 53, 0);
	rl = pol_rule(p, EG);               /* the intended form: one peer */
	rl->line = 40;
	peer_both(rl, "name=kube-system", "k8s-app=kube-dns");
	rl->peers[0].line = 41;
	port_num(rl, SW_PROTO_TCP, 53, 0);
	rl = pol_rule(p, EG);               /* pod peer matching nowhere: not a split */
	rl->line = 50;
	peer_ns(rl, "name=kube-system");
	peer_pod(rl, "k8s-app=nope");
	rl->peers[0].line = 51;
	rl->peers[1].line = 52;
	port_num(rl, SW_PROTO_UDP, 5353, 0);
	pol_add(f, p);
	r = run(f);
	x = expect_at(r, "peer-split-selectors", WARN, POL, 34);
	assert_int_equal(x->related.line, 31);
	assert_int_equal(x->n_endpoints, 1);
	assert_string_equal(x->endpoints[0], "kube-system/dns");
	assert_int_equal(x->peer, 1);
	expect_count(r, "peer-split-selectors", 1);
	/* the split peer is not also reported as matching nothing */
	assert_null(find_at(r, "peer-selects-nothing", POL, 34));
	expect_at(r, "peer-selects-nothing", WARN, POL, 52);
	expect_count(r, "peer-selects-nothing", 1);
	sw_lint_report_free(r);
}

static void test_policy_selects_nothing(void **state)
{
	struct fx *f = *state;
	struct sw_lint_report *r;

	ep_add(f, "n/api", "app=api", "10.0.0.1", NULL);
	pol_add(f, pol_at("n", "typo", "app=apo", IN, 1));
	pol_add(f, pol_at("ghost", "elsewhere", "", IN, 20));  /* unknown namespace */
	pol_add(f, pol_at("n", "ok", "app=api", IN, 40));
	pol_add(f, pol_at("n", "all", "", IN, 60));
	r = run(f);
	assert_non_null(strstr(expect_at(r, "policy-selects-nothing", WARN, POL, 1)->message,
	                       "app=apo"));
	assert_non_null(strstr(expect_at(r, "policy-selects-nothing", WARN, POL, 20)->message,
	                       "no endpoint in the inventory"));
	expect_count(r, "policy-selects-nothing", 2);
	sw_lint_report_free(r);
}

static void test_policy_types_ignore_rules(void **state)
{
	struct fx *f = *state;
	struct sw_netpol *p;
	struct sw_rule *rl;
	struct sw_lint_report *r;

	ep_add(f, "n/api", "app=api", "10.0.0.1", NULL);
	p = pol_at("n", "egress-only", "app=api", EG, 1);
	rl = pol_rule(p, IN);               /* ignored: policyTypes [Egress] */
	rl->line = 10;
	rl = pol_rule(p, EG);
	rl->line = 20;
	peer_pod(rl, "app=db");
	port_num(rl, SW_PROTO_TCP, 5432, 0);
	pol_add(f, p);
	p = pol_at("n", "both", "app=api", IN | EG, 40);
	rl = pol_rule(p, IN);
	rl->line = 50;
	peer_pod(rl, "app=web");
	port_num(rl, SW_PROTO_TCP, 80, 0);
	pol_add(f, p);
	r = run(f);
	assert_non_null(strstr(expect_at(r, "policy-types-ignore-rules", WARN, POL, 1)->message,
	                       "Ingress"));
	expect_count(r, "policy-types-ignore-rules", 1);
	/* the ignored rule would be allow-all: not reported, it has no effect */
	expect_none(r, "rule-allow-all");
	sw_lint_report_free(r);
}

static void test_policy_duplicate_name(void **state)
{
	struct fx *f = *state;
	struct sw_lint_report *r;
	const struct sw_lint_finding *x;

	ep_add(f, "a/api", "app=api", "10.0.0.1", NULL);
	ep_add(f, "b/api", "app=api", "10.0.1.1", NULL);
	pol_add(f, pol_at("a", "deny", "", IN, 1));
	pol_add(f, pol_at("b", "deny", "", IN, 20));   /* other namespace: fine */
	pol_add(f, pol_at("a", "deny", "", IN | EG, 40));
	r = run(f);
	x = expect_at(r, "policy-duplicate-name", WARN, POL, 40);
	assert_int_equal(x->related.line, 1);
	assert_string_equal(x->related.policy, "deny");
	expect_count(r, "policy-duplicate-name", 1);
	sw_lint_report_free(r);
}

static void test_port_name_unresolved(void **state)
{
	struct fx *f = *state;
	struct sw_netpol *p;
	struct sw_rule *rl;
	struct sw_lint_report *r;
	const struct sw_lint_finding *x;

	ep_add(f, "n/web", "app=web", "10.0.0.1", "http/TCP/8080");
	ep_add(f, "n/api", "app=api", "10.0.0.2", "http/TCP/9090,stats/UDP/8125");
	ep_add(f, "n/client", "app=client", "10.0.0.3", NULL);
	p = pol_at("n", "in", "app", IN, 1);        /* app exists: all three */
	rl = pol_rule(p, IN);
	rl->line = 10;
	peer_pod(rl, "app=client");
	port_named(rl, SW_PROTO_TCP, "http");       /* both declare it */
	port_named(rl, SW_PROTO_TCP, "htpp");       /* typo */
	port_named(rl, SW_PROTO_TCP, "stats");      /* api declares it for UDP */
	port_named(rl, SW_PROTO_UDP, "stats");      /* fine */
	for (size_t k = 0; k < rl->n_ports; k++)
		rl->ports[k].line = 11 + (unsigned)k;
	pol_add(f, p);
	p = pol_at("n", "out", "app=client", EG, 40);
	rl = pol_rule(p, EG);
	rl->line = 50;
	peer_pod(rl, "app=web");
	port_named(rl, SW_PROTO_TCP, "http");       /* resolves on web */
	rl->ports[0].line = 51;
	rl = pol_rule(p, EG);
	rl->line = 60;
	peer_ip(rl, "203.0.113.0/24", NULL);
	port_named(rl, SW_PROTO_TCP, "http");       /* external addresses name no ports */
	rl->ports[0].line = 61;
	rl = pol_rule(p, EG);
	rl->line = 70;                              /* every destination, none declares it */
	port_named(rl, SW_PROTO_TCP, "metrics");
	rl->ports[0].line = 71;
	pol_add(f, p);
	r = run(f);
	x = expect_at(r, "port-name-unresolved", WARN, POL, 12);
	assert_true(has_endpoint(x, "n/web") && has_endpoint(x, "n/api"));
	assert_non_null(strstr(expect_at(r, "port-name-unresolved", WARN, POL, 13)->message,
	                       "another protocol"));
	assert_non_null(strstr(expect_at(r, "port-name-unresolved", WARN, POL, 61)->message,
	                       "ipBlocks"));
	expect_at(r, "port-name-unresolved", WARN, POL, 71);
	expect_count(r, "port-name-unresolved", 4);
	sw_lint_report_free(r);
}

/* ---- DNS ---- */

/* client (and api) in app/, the cluster DNS in kube-system/, a default
 * deny for app/ (line 1) and the client's egress policy (line 20) whose
 * rules the caller adds. ips false: a manifest-only inventory. */
static struct sw_netpol *dns_setup(struct fx *f, bool ips)
{
	struct sw_netpol *p;
	struct sw_rule *rl;

	ns_add(f, "kube-system", "");
	ep_add(f, "app/client", "app=client", ips ? "10.0.0.1" : NULL, NULL);
	ep_add(f, "app/api", "app=api", ips ? "10.0.0.2" : NULL, "https/TCP/443");
	ep_add(f, "kube-system/dns", "k8s-app=kube-dns", ips ? "10.0.9.10" : NULL,
	       "dns/UDP/53,dns-tcp/TCP/53");
	pol_add(f, pol_at("app", "default-deny", "", IN | EG, 1));
	p = pol_at("app", "client", "app=client", EG, 20);
	rl = pol_rule(p, EG);
	rl->line = 30;
	peer_pod(rl, "app=api");
	port_num(rl, SW_PROTO_TCP, 443, 0);
	return p;
}

static void dns_rule(struct sw_netpol *p, const char *udp_port, const char *tcp_port)
{
	struct sw_rule *rl = pol_rule(p, EG);

	peer_both(rl, "kubernetes.io/metadata.name=kube-system", "k8s-app=kube-dns");
	if (udp_port && strcmp(udp_port, "53") == 0)
		port_num(rl, SW_PROTO_UDP, 53, 0);
	else if (udp_port)
		port_named(rl, SW_PROTO_UDP, udp_port);
	if (tcp_port && strcmp(tcp_port, "53") == 0)
		port_num(rl, SW_PROTO_TCP, 53, 0);
	else if (tcp_port)
		port_named(rl, SW_PROTO_TCP, tcp_port);
}

static void test_egress_no_dns(void **state)
{
	struct fx *f = *state;
	struct sw_lint_report *r;
	const struct sw_lint_finding *x;

	pol_add(f, dns_setup(f, true));
	r = run(f);
	/* client: egress rules, no DNS; pointed at its own policy. api: isolated
	 * for egress by the default deny alone, no rules: needs no names */
	x = expect_at(r, "egress-no-dns", WARN, POL, 20);
	assert_int_equal(x->n_endpoints, 1);
	assert_string_equal(x->endpoints[0], "app/client");
	expect_count(r, "egress-no-dns", 1);
	expect_none(r, "egress-dns-udp-only");
	sw_lint_report_free(r);
}

static void test_egress_dns_allowed(void **state)
{
	static const struct {
		bool ips;
		const char *udp, *tcp;
		size_t no_dns, udp_only;
	} cases[] = {
		{true, "53", "53", 0, 0},
		{false, "53", "53", 0, 0},     /* manifests: no addresses, same verdict */
		{true, "53", NULL, 0, 1},
		{true, "dns", "dns-tcp", 0, 0}, /* named ports resolve on the resolver */
		{true, "dns", NULL, 0, 1},
		{true, "dns-tcp", NULL, 1, 0},  /* UDP "dns-tcp" is declared nowhere */
		{false, NULL, "53", 1, 0},      /* TCP only: lookups start over UDP */
	};

	for (size_t i = 0; i < SW_ARRAY_SIZE(cases); i++) {
		struct fx *f;
		struct sw_netpol *p;
		struct sw_lint_report *r;

		assert_int_equal(setup((void **)&f), 0);
		p = dns_setup(f, cases[i].ips);
		dns_rule(p, cases[i].udp, cases[i].tcp);
		pol_add(f, p);
		r = run(f);
		if (count_id(r, "egress-no-dns") != cases[i].no_dns ||
		    count_id(r, "egress-dns-udp-only") != cases[i].udp_only) {
			dump(r);
			fail_msg("case %zu", i);
		}
		if (cases[i].udp_only)
			expect_at(r, "egress-dns-udp-only", INFO, POL, 20);
		sw_lint_report_free(r);
		teardown((void **)&f);
	}
	(void)state;
}

static void test_egress_dns_external(void **state)
{
	static const struct {
		const char *cidr, *except;
		size_t no_dns;
	} cases[] = {
		{"0.0.0.0/0", NULL, 0},          /* a public resolver anywhere */
		{"8.8.8.8/32", NULL, 0},
		{"10.0.9.10/32", NULL, 1},       /* the cluster DNS's own address: never matches */
		{"10.0.9.0/24", "10.0.9.0/25", 0}, /* 10.0.9.128-255 are external */
		{"10.0.9.8/30", "10.0.9.8/31", 1}, /* .10 is the DNS, .11 the next: see below */
	};

	for (size_t i = 0; i < SW_ARRAY_SIZE(cases); i++) {
		struct fx *f;
		struct sw_netpol *p;
		struct sw_rule *rl;
		struct sw_lint_report *r;

		assert_int_equal(setup((void **)&f), 0);
		p = dns_setup(f, true);
		if (i == 4)  /* make 10.0.9.11 an endpoint too: nothing external is left */
			ep_add(f, "kube-system/dns2", "k8s-app=other", "10.0.9.11", NULL);
		rl = pol_rule(p, EG);
		peer_ip(rl, cases[i].cidr, cases[i].except);
		port_num(rl, SW_PROTO_UDP, 53, 0);
		port_num(rl, SW_PROTO_TCP, 53, 0);
		pol_add(f, p);
		r = run(f);
		if (count_id(r, "egress-no-dns") != cases[i].no_dns) {
			dump(r);
			fail_msg("case %zu (%s)", i, cases[i].cidr);
		}
		sw_lint_report_free(r);
		teardown((void **)&f);
	}
	(void)state;
}

/* Endpoints with the same egress policies are judged once; the resolver
 * among them is the others' DNS, but not its own (its egress admits DNS
 * to nothing else). */
static void test_egress_dns_group(void **state)
{
	for (int order = 0; order < 2; order++) {
		struct fx *f;
		struct sw_netpol *p;
		struct sw_rule *rl;
		struct sw_lint_report *r;

		assert_int_equal(setup((void **)&f), 0);
		if (order == 0) {
			ep_add(f, "n/a", "role=app", "10.0.0.1", NULL);
			ep_add(f, "n/dns", "role=dns", "10.0.0.53", NULL);
		} else {
			ep_add(f, "n/dns", "role=dns", "10.0.0.53", NULL);
			ep_add(f, "n/a", "role=app", "10.0.0.1", NULL);
		}
		p = pol_at("n", "egress", "", EG, 1);
		rl = pol_rule(p, EG);
		peer_pod(rl, "role=dns");
		port_num(rl, SW_PROTO_UDP, 53, 0);
		port_num(rl, SW_PROTO_TCP, 53, 0);
		pol_add(f, p);
		r = run(f);
		expect_count(r, "egress-no-dns", 1);
		assert_string_equal(expect_at(r, "egress-no-dns", WARN, POL, 1)->endpoints[0], "n/dns");
		expect_none(r, "egress-dns-udp-only");
		sw_lint_report_free(r);
		teardown((void **)&f);
	}
	(void)state;
}

/* ---- rules the other side cancels ---- */

/* shop/: api -> db on 5432, client -> api on 8080; default deny for
 * ingress everywhere. */
static void shop_setup(struct fx *f)
{
	struct sw_netpol *p;
	struct sw_rule *rl;

	ep_add(f, "shop/api", "app=api", "10.0.0.1", "http/TCP/8080");
	ep_add(f, "shop/db", "app=db", "10.0.0.2", "postgres/TCP/5432");
	ep_add(f, "shop/client", "app=client", "10.0.0.3", NULL);
	pol_add(f, pol_at("shop", "deny-in", "", IN, 1));
	p = pol_at("shop", "api-out", "app=api", EG, 10);
	rl = pol_rule(p, EG);
	rl->line = 12;
	peer_pod(rl, "app=db");
	port_num(rl, SW_PROTO_TCP, 5432, 0);
	pol_add(f, p);
}

static void db_in(struct fx *f, uint16_t port, uint16_t end, const char *name)
{
	struct sw_netpol *p = pol_at("shop", "db-in", "app=db", IN, 30);
	struct sw_rule *rl = pol_rule(p, IN);

	rl->line = 32;
	peer_pod(rl, "app=api");
	if (name)
		port_named(rl, SW_PROTO_TCP, name);
	else
		port_num(rl, SW_PROTO_TCP, port, end);
	pol_add(f, p);
}

static void test_rule_one_sided_egress(void **state)
{
	static const struct {
		bool db_policy;
		uint16_t port, end;
		const char *name;
		size_t found;
		bool db_side;  /* db-in's rule is one-sided too */
	} cases[] = {
		{false, 0, 0, NULL, 1, false}, /* the db admits nothing */
		{true, 5432, 0, NULL, 0, false},
		{true, 5433, 0, NULL, 2, true},  /* another port: both rules are dead */
		{true, 5000, 6000, NULL, 0, false}, /* a range around it */
		{true, 0, 0, "postgres", 0, false}, /* the db's own name for 5432 */
		/* a name the db does not declare: db-in's rule admits nothing by
		 * itself (port-name-unresolved), so only api-out's is one-sided */
		{true, 0, 0, "http", 1, false},
	};

	for (size_t i = 0; i < SW_ARRAY_SIZE(cases); i++) {
		struct fx *f;
		struct sw_lint_report *r;

		assert_int_equal(setup((void **)&f), 0);
		shop_setup(f);
		if (cases[i].db_policy)
			db_in(f, cases[i].port, cases[i].end, cases[i].name);
		r = run(f);
		if (count_id(r, "rule-one-sided") != cases[i].found) {
			dump(r);
			fail_msg("case %zu", i);
		}
		if (cases[i].found) {
			const struct sw_lint_finding *x =
			        expect_at(r, "rule-one-sided", WARN, POL, 12);
			assert_string_equal(x->direction, "egress");
			assert_int_equal(x->n_endpoints, 1);
			assert_string_equal(x->endpoints[0], "shop/db");
		}
		if (cases[i].db_side)
			assert_string_equal(expect_at(r, "rule-one-sided", WARN, POL, 32)->direction,
			                    "ingress");
		if (cases[i].name && cases[i].found)
			expect_at(r, "port-name-unresolved", WARN, POL, 32);
		sw_lint_report_free(r);
		teardown((void **)&f);
	}
	(void)state;
}

static void test_rule_one_sided_ingress(void **state)
{
	for (int client_rule = 0; client_rule < 3; client_rule++) {
		struct fx *f;
		struct sw_netpol *p;
		struct sw_rule *rl;
		struct sw_lint_report *r;

		assert_int_equal(setup((void **)&f), 0);
		shop_setup(f);
		db_in(f, 5432, 0, NULL);
		p = pol_at("shop", "api-in", "app=api", IN, 40);
		rl = pol_rule(p, IN);
		rl->line = 42;
		peer_pod(rl, "app=client");
		port_named(rl, SW_PROTO_TCP, "http");
		pol_add(f, p);
		/* the client's egress: isolated without rules, with a rule to
		 * the api's "http", or to the api on 9999 */
		p = pol_at("shop", "client-out", "app=client", EG, 60);
		if (client_rule > 0) {
			rl = pol_rule(p, EG);
			peer_pod(rl, "app=api");
			if (client_rule == 1)
				port_named(rl, SW_PROTO_TCP, "http");
			else
				port_num(rl, SW_PROTO_TCP, 9999, 0);
		}
		pol_add(f, p);
		r = run(f);
		if (client_rule == 1) {
			expect_none(r, "rule-one-sided");
		} else {
			const struct sw_lint_finding *x =
			        expect_at(r, "rule-one-sided", WARN, POL, 42);
			assert_string_equal(x->direction, "ingress");
			assert_string_equal(x->endpoints[0], "shop/client");
			/* client -> api on 9999 (rule 2) is one-sided too: api admits 8080 */
			expect_count(r, "rule-one-sided", client_rule == 2 ? 2 : 1);
		}
		sw_lint_report_free(r);
		teardown((void **)&f);
	}
	(void)state;
}

/* ---- redundancy ---- */

static void test_rule_redundant(void **state)
{
	struct fx *f = *state;
	struct sw_netpol *p;
	struct sw_rule *rl;
	struct sw_lint_report *r;
	const struct sw_lint_finding *x;

	ep_add(f, "a/web", "app=web", "10.0.0.1", NULL);
	/* a/: rule 1 within rule 0 of the same policy */
	p = pol_at("a", "web", "app=web", IN, 1);
	rl = pol_rule(p, IN);
	rl->line = 10;
	peer_pod(rl, "app=x|y");
	port_num(rl, SW_PROTO_TCP, 80, 90);
	rl = pol_rule(p, IN);
	rl->line = 20;
	peer_pod(rl, "app=x");
	port_num(rl, SW_PROTO_TCP, 85, 0);
	rl = pol_rule(p, IN);                   /* more ports than rule 0: not within */
	rl->line = 30;
	peer_pod(rl, "app=x");
	port_num(rl, SW_PROTO_TCP, 85, 95);
	pol_add(f, p);
	/* a/: a podSelector {} policy covers app=web's rule of all ports */
	p = pol_at("a", "all", "", IN, 40);
	rl = pol_rule(p, IN);
	rl->line = 50;
	peer_pod(rl, "app");                    /* app exists, every port */
	pol_add(f, p);
	r = run(f);
	/* rule 1 (line 20): within rule 0, and within all's rule (app exists,
	 * every port); the first covering rule found is reported */
	x = expect_at(r, "rule-redundant", INFO, POL, 20);
	assert_string_equal(x->related.policy, "web");
	assert_int_equal(x->related.rule, 0);
	/* rule 0 and rule 2 are within all/'s rule (app exists, all ports) */
	expect_at(r, "rule-redundant", INFO, POL, 10);
	expect_at(r, "rule-redundant", INFO, POL, 30);
	/* all/ selects more endpoints than web/: its rule is not redundant */
	assert_null(find_at(r, "rule-redundant", POL, 50));
	expect_count(r, "rule-redundant", 3);
	sw_lint_report_free(r);
}

/* One covering rule and one candidate, in their own namespace. */
struct containment {
	const char *what;
	void (*build)(struct sw_rule *outer, struct sw_rule *inner);
	bool within;
};

static void c_ipblock(struct sw_rule *o, struct sw_rule *i)
{
	peer_ip(o, "10.0.0.0/8", "10.1.0.0/16");
	peer_ip(i, "10.2.0.0/16", NULL);
}

static void c_ipblock_hole(struct sw_rule *o, struct sw_rule *i)
{
	peer_ip(o, "10.0.0.0/8", "10.1.0.0/16");
	peer_ip(i, "10.1.2.0/24", NULL);
}

static void c_ipblock_except(struct sw_rule *o, struct sw_rule *i)
{
	peer_ip(o, "10.0.0.0/8", "10.0.1.0/25");
	peer_ip(i, "10.0.0.0/16", "10.0.1.0/24");
}

static void c_ipblock_family(struct sw_rule *o, struct sw_rule *i)
{
	peer_ip(o, "::/0", NULL);
	peer_ip(i, "10.0.0.0/8", NULL);
}

static void c_own_namespace(struct sw_rule *o, struct sw_rule *i)
{
	peer_ns(o, "kubernetes.io/metadata.name=c");
	peer_pod(i, "app=x");
}

static void c_not_in(struct sw_rule *o, struct sw_rule *i)
{
	peer_pod(o, "app!=y");
	peer_pod(i, "app=x");
}

static void c_not_in_same(struct sw_rule *o, struct sw_rule *i)
{
	peer_pod(o, "app!=y");
	peer_pod(i, "app=y");
}

static void c_two_peers(struct sw_rule *o, struct sw_rule *i)
{
	peer_pod(o, "app=x");
	peer_pod(o, "app=y");
	peer_pod(i, "app=y");
	peer_pod(i, "app=x,tier=1");
}

static void c_named(struct sw_rule *o, struct sw_rule *i)
{
	peer_pod(o, "app=x");
	port_named(o, SW_PROTO_TCP, "http");
	peer_pod(i, "app=x");
	port_named(i, SW_PROTO_TCP, "http");
	port_num(o, SW_PROTO_UDP, 53, 0);  /* more in the outer rule */
}

static void c_named_vs_number(struct sw_rule *o, struct sw_rule *i)
{
	peer_pod(o, "app=x");
	port_named(o, SW_PROTO_TCP, "http");
	peer_pod(i, "app=x");
	port_num(i, SW_PROTO_TCP, 8080, 0);
}

static void c_protocol(struct sw_rule *o, struct sw_rule *i)
{
	peer_pod(o, "app=x");
	port_all(o, SW_PROTO_TCP);
	peer_pod(i, "app=x");
	port_num(i, SW_PROTO_UDP, 53, 0);
}

static void c_all_peers(struct sw_rule *o, struct sw_rule *i)
{
	port_num(o, SW_PROTO_TCP, 443, 0);          /* no from: everyone */
	peer_ip(i, "203.0.113.0/24", NULL);
	port_num(i, SW_PROTO_TCP, 443, 0);
}

static void test_rule_redundant_containment(void **state)
{
	static const struct containment cases[] = {
		{"ipBlock inside, beside the except", c_ipblock, true},
		{"ipBlock inside the except", c_ipblock_hole, false},
		{"except within an except", c_ipblock_except, true},
		{"::/0 holds no IPv4", c_ipblock_family, false},
		{"own namespace by name", c_own_namespace, true},
		{"In within NotIn", c_not_in, true},
		{"the NotIn value itself", c_not_in_same, false},
		{"each peer within one", c_two_peers, true},
		{"same port name", c_named, true},
		{"a name is not a number", c_named_vs_number, false},
		{"another protocol", c_protocol, false},
		{"a rule without peers", c_all_peers, true},
	};

	for (size_t k = 0; k < SW_ARRAY_SIZE(cases); k++) {
		struct fx *f;
		struct sw_netpol *p;
		struct sw_rule *outer, *inner;
		struct sw_lint_report *r;
		bool found;

		assert_int_equal(setup((void **)&f), 0);
		ep_add(f, "c/web", "app=web", "10.9.0.1", NULL);
		p = pol_at("c", "web", "app=web", IN, 1);
		outer = pol_rule(p, IN);
		outer->line = 10;
		inner = pol_rule(p, IN);
		outer = &p->ingress[0];
		inner->line = 20;
		cases[k].build(outer, inner);
		pol_add(f, p);
		r = run(f);
		found = find_at(r, "rule-redundant", POL, 20) != NULL;
		if (found != cases[k].within) {
			dump(r);
			fail_msg("%s: expected %s", cases[k].what,
			         cases[k].within ? "redundant" : "not redundant");
		}
		assert_null(find_at(r, "rule-redundant", POL, 10)); /* never the outer one */
		sw_lint_report_free(r);
		teardown((void **)&f);
	}
	(void)state;
}

static void test_rule_redundant_equivalent(void **state)
{
	struct fx *f = *state;
	struct sw_lint_report *r;

	ep_add(f, "n/web", "app=web", "10.0.0.1", NULL);
	for (unsigned i = 0; i < 2; i++) {
		struct sw_netpol *p = pol_at("n", i ? "web-b" : "web-a", "app=web", IN, 1 + 40 * i);
		struct sw_rule *rl = pol_rule(p, IN);
		rl->line = 10 + 40 * i;
		peer_pod(rl, "app=client");
		port_num(rl, SW_PROTO_TCP, 80, 0);
		pol_add(f, p);
	}
	r = run(f);
	/* the two rules contain each other: only the later is redundant */
	assert_int_equal(expect_at(r, "rule-redundant", INFO, POL, 50)->related.line, 10);
	expect_count(r, "rule-redundant", 1);
	sw_lint_report_free(r);
}

/* ---- the seed articles ---- */

/* Seed 000: default-deny-all for microservices, then allows for frontend
 * and backend-api, with the cluster's namespaces labelled `name` as the
 * article's selectors expect. */
static void test_seed_000_labelled(void **state)
{
#define INV LINT_DATA "seed000-inventory.yaml"
	static const struct want want[] = {
		/* frontend's ingress "from the ingress controller" is two peers:
		 * namespace ingress-nginx (all its pods) OR pods app=nginx-ingress
		 * of microservices (none) */
		{"peer-split-selectors", WARN, SEED000, 36},
		/* the DNS rule has the same shape: all of kube-system on UDP 53 */
		{"peer-split-selectors", WARN, SEED000, 56},
		/* so the frontend has DNS, but only over UDP */
		{"egress-dns-udp-only", INFO, SEED000, 18},
		/* backend-api: egress isolated, rules, no DNS at all */
		{"egress-no-dns", WARN, SEED000, 65},
		/* backend-api may send to postgres and redis, but default-deny-all
		 * isolates their ingress and nothing admits backend-api */
		{"rule-one-sided", WARN, SEED000, 88},
		{"rule-one-sided", WARN, SEED000, 96},
		/* "external API calls to specific endpoints" is the whole internet */
		{"peer-ipblock-all", WARN, SEED000, 105},
		/* kube-system and ingress-nginx have no policy at all */
		{"ns-no-default-deny-ingress", WARN, INV, 33},
		{"ns-no-default-deny-egress", WARN, INV, 33},
		{"endpoint-ingress-open", HIGH, INV, 33},
		{"endpoint-egress-open", WARN, INV, 33},
		{"ns-no-default-deny-ingress", WARN, INV, 39},
		{"ns-no-default-deny-egress", WARN, INV, 39},
		{"endpoint-ingress-open", HIGH, INV, 39},
		{"endpoint-egress-open", WARN, INV, 39},
	};
	struct fx *f = *state;
	struct sw_lint_report *r;

	load_inv(f, INV);
	load_pol(f, SEED000);
	r = run(f);
	expect_exactly(r, want, SW_ARRAY_SIZE(want));
	sw_lint_report_free(r);
#undef INV
}

/* The same policies on a stock cluster, where namespaces carry only
 * kubernetes.io/metadata.name: the `name` selectors match nothing, and
 * the frontend loses DNS too. */
static void test_seed_000_stock_cluster(void **state)
{
#define INV LINT_DATA "seed000-stock-inventory.yaml"
	static const struct want want[] = {
		{"peer-selects-nothing", WARN, SEED000, 33}, /* name=ingress-nginx */
		{"peer-selects-nothing", WARN, SEED000, 36}, /* app=nginx-ingress in microservices */
		{"peer-selects-nothing", WARN, SEED000, 53}, /* name=kube-system */
		{"peer-selects-nothing", WARN, SEED000, 56}, /* k8s-app=kube-dns in microservices */
		{"egress-no-dns", WARN, SEED000, 18},
		{"egress-no-dns", WARN, SEED000, 65},
		{"rule-one-sided", WARN, SEED000, 88},
		{"rule-one-sided", WARN, SEED000, 96},
		{"peer-ipblock-all", WARN, SEED000, 105},
		{"ns-no-default-deny-ingress", WARN, INV, 21},
		{"ns-no-default-deny-egress", WARN, INV, 21},
		{"endpoint-ingress-open", HIGH, INV, 21},
		{"endpoint-egress-open", WARN, INV, 21},
		{"ns-no-default-deny-ingress", WARN, INV, 27},
		{"ns-no-default-deny-egress", WARN, INV, 27},
		{"endpoint-ingress-open", HIGH, INV, 27},
		{"endpoint-egress-open", WARN, INV, 27},
	};
	struct fx *f = *state;
	struct sw_lint_report *r;
	const struct sw_lint_finding *x;

	load_inv(f, INV);
	load_pol(f, SEED000);
	r = run(f);
	expect_exactly(r, want, SW_ARRAY_SIZE(want));
	x = find_at(r, "peer-selects-nothing", SEED000, 53);
	assert_non_null(strstr(x->message, "kubernetes.io/metadata.name"));
	sw_lint_report_free(r);
#undef INV
}

/* Seed 001, LEVEL 5: a policy for the database only (Ingress). The other
 * pods of the namespace stay open; nothing has egress isolation. The
 * rule names its port and its peer: no breadth finding. */
static void test_seed_001_db_policy(void **state)
{
#define INV LINT_DATA "seed001-inventory.yaml"
	static const struct want want[] = {
		{"ns-no-default-deny-ingress", WARN, INV, 7},
		{"ns-no-default-deny-egress", WARN, INV, 7},
		{"endpoint-ingress-open", HIGH, INV, 7},   /* backend */
		{"endpoint-egress-open", WARN, INV, 7},
		{"endpoint-egress-open", WARN, INV, 9},    /* database */
		{"endpoint-ingress-open", HIGH, INV, 13},  /* web */
		{"endpoint-egress-open", WARN, INV, 13},
	};
	struct fx *f = *state;
	struct sw_lint_report *r;

	load_inv(f, INV);
	load_pol(f, SEED001_POLICY);
	r = run(f);
	expect_exactly(r, want, SW_ARRAY_SIZE(want));
	sw_lint_report_free(r);
#undef INV
}

/* Without an inventory the same policy selects nothing and its peer
 * matches nothing. */
static void test_seed_001_db_policy_alone(void **state)
{
	static const struct want want[] = {
		{"policy-selects-nothing", WARN, SEED001_POLICY, 4},
		{"peer-selects-nothing", WARN, SEED001_POLICY, 16},
	};
	struct fx *f = *state;
	struct sw_lint_report *r;

	load_pol(f, SEED001_POLICY);
	r = run(f);
	expect_exactly(r, want, SW_ARRAY_SIZE(want));
	sw_lint_report_free(r);
}

/* Seed 001's compose files: networks isolate by default (no namespace
 * finding), web publishes port 80; the fragments publish nothing. */
static void test_seed_001_compose(void **state)
{
	static const struct want want[] = {
		{"compose-port-published", INFO, SEED001_COMPOSE, 7},
	};
	static const char *const quiet[] = {SEED001_FRAGMENT, SEED001_TLS};
	struct fx *f = *state;
	struct sw_lint_report *r;
	const struct sw_lint_finding *x;

	load_compose(f, SEED001_COMPOSE);
	r = run(f);
	expect_exactly(r, want, SW_ARRAY_SIZE(want));
	x = sw_lint_get(r, 0);
	assert_non_null(strstr(x->message, "TCP 80"));
	assert_string_equal(x->endpoints[0], "seeds/web");
	sw_lint_report_free(r);
	for (size_t i = 0; i < SW_ARRAY_SIZE(quiet); i++) {
		struct fx *g;
		assert_int_equal(setup((void **)&g), 0);
		load_compose(g, quiet[i]);
		r = run(g);
		expect_exactly(r, NULL, 0);
		sw_lint_report_free(r);
		teardown((void **)&g);
	}
}

/* Seed 003: allow-frontend isolates the backend for ingress and admits
 * the frontend on every port; everything else in production (and all of
 * staging) is open. */
#define INV003 LINT_DATA "seed003-inventory.yaml"
static const struct want seed003_open[] = {
	{"ns-no-default-deny-ingress", WARN, INV003, 8},
	{"ns-no-default-deny-egress", WARN, INV003, 8},
	{"endpoint-ingress-open", HIGH, INV003, 8},    /* production/frontend */
	{"endpoint-egress-open", WARN, INV003, 8},
	{"endpoint-egress-open", WARN, INV003, 11},    /* production/backend */
	{"ns-no-default-deny-ingress", WARN, INV003, 14},
	{"ns-no-default-deny-egress", WARN, INV003, 14},
	{"endpoint-ingress-open", HIGH, INV003, 14},   /* staging/frontend */
	{"endpoint-egress-open", WARN, INV003, 14},
};

static void test_seed_003_allow_frontend(void **state)
{
	struct want want[SW_ARRAY_SIZE(seed003_open) + 1];
	struct fx *f = *state;
	struct sw_lint_report *r;

	memcpy(want, seed003_open, sizeof(seed003_open));
	want[SW_ARRAY_SIZE(seed003_open)] = (struct want){"rule-any-port", WARN, SEED003_FIRST, 15};
	load_inv(f, INV003);
	load_pol(f, SEED003_FIRST);
	r = run(f);
	expect_exactly(r, want, SW_ARRAY_SIZE(want));
	sw_lint_report_free(r);
}

/* The article's Ingress resource is no NetworkPolicy: the backend is open
 * as well. */
static void test_seed_003_ingress_resource(void **state)
{
	struct want want[SW_ARRAY_SIZE(seed003_open) + 1];
	struct fx *f = *state;
	struct sw_lint_report *r;

	memcpy(want, seed003_open, sizeof(seed003_open));
	want[SW_ARRAY_SIZE(seed003_open)] =
	        (struct want){"endpoint-ingress-open", HIGH, INV003, 11};
	load_inv(f, INV003);
	load_pol(f, SEED003_INGRESS);
	r = run(f);
	expect_exactly(r, want, SW_ARRAY_SIZE(want));
	sw_lint_report_free(r);
}

/* The article shows allow-frontend twice (inline and as
 * allow-frontend.yaml): applying both leaves one policy in a cluster. */
static void test_seed_003_applied_twice(void **state)
{
	struct want want[SW_ARRAY_SIZE(seed003_open) + 4];
	size_t n = SW_ARRAY_SIZE(seed003_open);
	struct fx *f = *state;
	struct sw_lint_report *r;

	memcpy(want, seed003_open, sizeof(seed003_open));
	want[n++] = (struct want){"rule-any-port", WARN, SEED003_FIRST, 15};
	want[n++] = (struct want){"rule-any-port", WARN, SEED003_AGAIN, 15};
	want[n++] = (struct want){"policy-duplicate-name", WARN, SEED003_AGAIN, 5};
	want[n++] = (struct want){"rule-redundant", INFO, SEED003_AGAIN, 15};
	load_inv(f, INV003);
	load_pol(f, SEED003_FIRST);
	load_pol(f, SEED003_AGAIN);
	r = run(f);
	expect_exactly(r, want, n);
	sw_lint_report_free(r);
}

/* A policy set that follows the seeds' advice: nothing to report, not
 * even at info (the negative case of every check at once). */
static void test_clean_policy_set(void **state)
{
	struct fx *f = *state;
	struct sw_lint_report *r;

	load_inv(f, LINT_DATA "clean-inventory.yaml");
	load_pol(f, LINT_DATA "clean-policies.yaml");
	r = run(f);
	expect_exactly(r, NULL, 0);
	assert_int_equal(sw_lint_count_at_least(r, SW_LINT_INFO), 0);
	sw_lint_report_free(r);
}

/* ---- output ---- */

static char *text_of(const struct sw_lint_report *r, enum sw_lint_severity min)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	assert_int_equal(sw_lint_write_text(r, min, out), SW_OK);
	fclose(out);
	return buf;
}

static void test_sorted_and_text(void **state)
{
	struct fx *f = *state;
	struct sw_lint_report *r;
	char *text;

	load_inv(f, INV003);
	load_pol(f, SEED003_FIRST);
	load_pol(f, SEED003_AGAIN);
	r = run(f);
	for (size_t i = 1; i < sw_lint_count(r); i++) {
		const struct sw_lint_finding *a = sw_lint_get(r, i - 1), *b = sw_lint_get(r, i);
		int d = strcmp(a->file, b->file);
		assert_true(d < 0 || (d == 0 && (a->line < b->line ||
		                                 (a->line == b->line && strcmp(a->id, b->id) <= 0))));
	}
	text = text_of(r, SW_LINT_WARNING);
	assert_non_null(strstr(text, INV003 ":8: high endpoint-ingress-open: production/frontend "
	                             "is not isolated for ingress"));
	assert_non_null(strstr(text, "\n" SEED003_AGAIN ":5: warning policy-duplicate-name: "));
	assert_null(strstr(text, "rule-redundant")); /* info, below the default */
	assert_non_null(strstr(text, "\n12 findings (2 high, 10 warning) at or above warning; "
	                             "1 below warning not shown\n"));
	free(text);
	text = text_of(r, SW_LINT_INFO);
	assert_non_null(strstr(text, SEED003_AGAIN ":15: info rule-redundant: "));
	assert_non_null(strstr(text, "\n13 findings (2 high, 10 warning, 1 info)\n"));
	free(text);
	text = text_of(r, SW_LINT_HIGH);
	assert_non_null(strstr(text, "\n2 findings (2 high) at or above high; 11 below high not "
	                             "shown\n"));
	free(text);
	assert_int_equal(sw_lint_count_at_least(r, SW_LINT_HIGH), 2);
	assert_int_equal(sw_lint_count_at_least(r, SW_LINT_INFO), 13);
	sw_lint_report_free(r);
}

static void test_json(void **state)
{
	struct fx *f = *state;
	struct sw_lint_report *r;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	json_t *j, *fs, *x = NULL;
	json_error_t jerr;

	assert_non_null(out);
	load_inv(f, INV003);
	load_pol(f, SEED003_FIRST);
	load_pol(f, SEED003_AGAIN);
	r = run(f);
	assert_int_equal(sw_lint_write_json(r, SW_LINT_INFO, out), SW_OK);
	fclose(out);
	j = json_loads(buf, 0, &jerr);
	if (j == NULL)
		fail_msg("bad JSON: %s", jerr.text);
	fs = json_object_get(j, "findings");
	assert_int_equal(json_array_size(fs), 13);
	for (size_t i = 0; i < json_array_size(fs); i++)
		if (strcmp(json_string_value(json_object_get(json_array_get(fs, i), "check")),
		           "rule-redundant") == 0)
			x = json_array_get(fs, i);
	assert_non_null(x);
	assert_string_equal(json_string_value(json_object_get(x, "severity")), "info");
	assert_string_equal(json_string_value(json_object_get(x, "file")), SEED003_AGAIN);
	assert_int_equal(json_integer_value(json_object_get(x, "line")), 15);
	assert_string_equal(json_string_value(json_object_get(x, "namespace")), "production");
	assert_string_equal(json_string_value(json_object_get(x, "policy")), "allow-frontend");
	assert_string_equal(json_string_value(json_object_get(x, "direction")), "ingress");
	assert_int_equal(json_integer_value(json_object_get(x, "rule")), 0);
	assert_true(json_is_null(json_object_get(x, "peer")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(x, "related"),
	                                                      "file")), SEED003_FIRST);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(x, "related"),
	                                                    "line")), 15);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "summary"),
	                                                    "high")), 2);
	json_decref(j);
	free(buf);
	sw_lint_report_free(r);
}

static void test_catalogue(void **state)
{
	(void)state;
	for (int c = 0; c < SW_LINT_CHECK_COUNT; c++) {
		enum sw_lint_check back;
		const char *id = sw_lint_check_id((enum sw_lint_check)c);
		assert_int_equal(sw_lint_check_parse(id, &back), SW_OK);
		assert_int_equal(back, c);
		assert_true(strlen(sw_lint_check_summary((enum sw_lint_check)c)) > 10);
	}
	for (int s = SW_LINT_INFO; s <= SW_LINT_HIGH; s++) {
		enum sw_lint_severity back;
		assert_int_equal(sw_lint_severity_parse(
		                         sw_lint_severity_name((enum sw_lint_severity)s), &back), SW_OK);
		assert_int_equal(back, s);
	}
	assert_int_equal(sw_lint_check_severity(SW_LINT_RULE_ALLOW_ALL), SW_LINT_HIGH);
	assert_int_equal(sw_lint_check_severity(SW_LINT_RULE_REDUNDANT), SW_LINT_INFO);
	assert_string_equal(sw_lint_check_id(SW_LINT_CHECK_COUNT), "unknown");
	{
		enum sw_lint_severity s;
		enum sw_lint_check c;
		assert_int_equal(sw_lint_severity_parse("error", &s), SW_ERR_NOTFOUND);
		assert_int_equal(sw_lint_check_parse("no-such-check", &c), SW_ERR_NOTFOUND);
	}
}

/* ---- agreement with the matcher on random scenarios ---- */

#define SCN_EPS 16

static void lint_scenario(struct fx *f, uint64_t seed)
{
	static const char *const nss[] = {"n1", "n2", "n3"};
	static const char *const labels[] = {
		"app=a", "app=b,tier=x", "app=c,tier=y", "app=a,tier=x", "", "app=b",
	};
	static const char *const ports[] = {"web/TCP/80", "web/TCP/90,dns/UDP/53", "dns/TCP/85", ""};
	struct rng g = {seed};

	ns_add(f, "n1", "env=p");
	ns_add(f, "n2", "env=q");
	ns_add(f, "n3", "");
	for (int e = 0; e < SCN_EPS; e++) {
		char id[32], ip[32];
		snprintf(id, sizeof(id), "%s/e%d", nss[e % 3], e);
		snprintf(ip, sizeof(ip), "10.1.2.%d", 100 + e);
		ep_add(f, id, labels[rnd(&g, SW_ARRAY_SIZE(labels))], ip,
		       ports[rnd(&g, SW_ARRAY_SIZE(ports))]);
	}
	for (int p = 0; p < 12; p++) {
		char name[16];
		struct sw_netpol *pol;
		snprintf(name, sizeof(name), "p%d", p);
		pol = pol_new(nss[rnd(&g, 3)], name, random_selector(&g), 1 + (int)rnd(&g, 3));
		pol->line = (unsigned)(100 * (p + 1));
		for (uint32_t k = rnd(&g, 3); k > 0; k--) {
			struct sw_rule *rl = pol_rule(pol, IN);
			random_rule(&g, rl);
			rl->line = pol->line + 10 + (unsigned)pol->n_ingress;
		}
		for (uint32_t k = rnd(&g, 3); k > 0; k--) {
			struct sw_rule *rl = pol_rule(pol, EG);
			random_rule(&g, rl);
			rl->line = pol->line + 50 + (unsigned)pol->n_egress;
		}
		pol_add(f, pol);
	}
}

struct rule_seen {
	bool listed;   /* some connection between two endpoints lists the rule */
	bool allowed;  /* one of them is allowed */
};

static bool lists(const struct sw_expl_side *s, size_t pol, size_t idx)
{
	for (size_t i = 0; i < s->n_rules; i++)
		if (s->rules[i].policy == pol && s->rules[i].rule_index == idx)
			return true;
	return false;
}

/* Lint's examined rules: in policyTypes, selector peers only. */
static bool examined(const struct sw_netpol *p, const struct sw_rule *r, bool ingress)
{
	if (!(ingress ? p->type_ingress : p->type_egress) || !r->peers_present || r->n_peers == 0)
		return false;
	for (size_t k = 0; k < r->n_peers; k++)
		if (r->peers[k].has_ipblock)
			return false;
	return true;
}

/* Counts of what the property tests saw, so that they cannot pass
 * vacuously. */
struct seen_totals {
	size_t one_sided, effective, no_dns, udp_only, dns_ok;
};

static void check_one_sided(struct fx *f, const struct sw_lint_report *rep,
                            struct seen_totals *t)
{
	static const uint8_t protos[] = {SW_PROTO_TCP, SW_PROTO_UDP};
	const struct sw_policy_set *set = f->set;
	size_t n_ep = sw_inventory_n_endpoints(f->inv);
	struct rule_seen seen[12][2][3];
	uint16_t sweep[40];
	size_t n_sweep = 0;

	memset(seen, 0, sizeof(seen));
	sweep[n_sweep++] = 1;
	sweep[n_sweep++] = 53;
	for (uint16_t p = 79; p <= 111; p++)
		sweep[n_sweep++] = p;
	for (size_t a = 0; a < n_ep; a++) {
		for (size_t b = 0; b < n_ep; b++) {
			struct sw_addr src = addr_of(f, sw_inventory_endpoint(f->inv, a)->id);
			struct sw_addr dst = addr_of(f, sw_inventory_endpoint(f->inv, b)->id);
			if (a == b)
				continue;
			for (size_t pi = 0; pi < SW_ARRAY_SIZE(protos); pi++) {
				for (size_t k = 0; k < n_sweep; k++) {
					struct sw_explanation *ex;
					assert_int_equal(sw_matcher_explain(matcher(f), &src, &dst, protos[pi],
					                                    sweep[k], &ex), SW_OK);
					for (size_t p = 0; p < sw_policy_set_count(set); p++) {
						const struct sw_netpol *pol = sw_policy_set_get(set, p);
						for (size_t i = 0; i < pol->n_ingress; i++)
							if (lists(&ex->ingress, p, i)) {
								seen[p][0][i].listed = true;
								seen[p][0][i].allowed |= ex->j.verdict == SW_VERDICT_ALLOWED;
							}
						for (size_t i = 0; i < pol->n_egress; i++)
							if (lists(&ex->egress, p, i)) {
								seen[p][1][i].listed = true;
								seen[p][1][i].allowed |= ex->j.verdict == SW_VERDICT_ALLOWED;
							}
					}
					sw_explanation_free(ex);
				}
			}
		}
	}
	for (size_t p = 0; p < sw_policy_set_count(set); p++) {
		const struct sw_netpol *pol = sw_policy_set_get(set, p);
		for (int in = 1; in >= 0; in--) {
			size_t n = in ? pol->n_ingress : pol->n_egress;
			for (size_t i = 0; i < n; i++) {
				const struct sw_rule *rl = in ? &pol->ingress[i] : &pol->egress[i];
				const struct rule_seen *s = &seen[p][in ? 0 : 1][i];
				bool expected = examined(pol, rl, in) && s->listed && !s->allowed;
				bool got = find_at(rep, "rule-one-sided", POL, rl->line) != NULL;
				if (got != expected) {
					dump(rep);
					fail_msg("%s %s rule %zu (line %u): lint %s, matcher: listed %d allowed %d",
					         pol->name, in ? "ingress" : "egress", i, rl->line,
					         got ? "reports it" : "does not", s->listed, s->allowed);
				}
				t->one_sided += got;
				t->effective += examined(pol, rl, in) && s->allowed;
			}
		}
	}
}

static bool egress_has_rules(const struct fx *f, const struct sw_endpoint *e)
{
	for (size_t p = 0; p < sw_policy_set_count(f->set); p++) {
		const struct sw_netpol *pol = sw_policy_set_get(f->set, p);
		if (pol->type_egress && strcmp(pol->ns, e->ns) == 0 && pol->n_egress > 0 &&
		    sw_selector_matches(&pol->pod_sel, &e->labels))
			return true;
	}
	return false;
}

static bool dns_reachable(struct fx *f, size_t a, uint8_t proto)
{
	static const char *const ext[] = {
		"10.0.0.1", "10.1.0.1", "8.8.8.8", "10.1.2.1", "10.1.2.200", "192.168.1.1",
		"10.3.0.9", "2001:db8::1", "fd80::1", "fd00::ffff",
	};
	struct sw_addr src = addr_of(f, sw_inventory_endpoint(f->inv, a)->id);
	struct sw_judgement j;

	for (size_t b = 0; b < sw_inventory_n_endpoints(f->inv); b++) {
		struct sw_addr dst = addr_of(f, sw_inventory_endpoint(f->inv, b)->id);
		if (b == a)
			continue;
		sw_matcher_judge(matcher(f), &src, &dst, proto, 53, &j);
		if (j.reason != SW_REASON_DENIED_EGRESS && j.reason != SW_REASON_DENIED_BOTH)
			return true;
	}
	for (size_t i = 0; i < SW_ARRAY_SIZE(ext); i++) {
		struct sw_addr dst = addr_of(f, ext[i]);
		sw_matcher_judge(matcher(f), &src, &dst, proto, 53, &j);
		if (j.verdict == SW_VERDICT_ALLOWED)
			return true;
	}
	return false;
}

static void check_dns(struct fx *f, const struct sw_lint_report *rep, struct seen_totals *t)
{
	for (size_t a = 0; a < sw_inventory_n_endpoints(f->inv); a++) {
		const struct sw_endpoint *e = sw_inventory_endpoint(f->inv, a);
		struct sw_addr src = addr_of(f, e->id), ext = addr_of(f, "203.0.113.1");
		struct sw_judgement j;
		bool udp, tcp, want_none, want_udp_only, got_none = false, got_udp_only = false;

		sw_matcher_judge(matcher(f), &src, &ext, SW_PROTO_ICMP, 0, &j);
		if (j.reason == SW_REASON_NOT_ISOLATED || !egress_has_rules(f, e))
			continue; /* not isolated for egress (ICMP to outside passes), or no rules */
		udp = dns_reachable(f, a, SW_PROTO_UDP);
		tcp = dns_reachable(f, a, SW_PROTO_TCP);
		want_none = !udp;
		want_udp_only = udp && !tcp;
		for (size_t i = 0; i < sw_lint_count(rep); i++) {
			const struct sw_lint_finding *x = sw_lint_get(rep, i);
			if (x->n_endpoints == 1 && strcmp(x->endpoints[0], e->id) == 0) {
				got_none |= strcmp(x->id, "egress-no-dns") == 0;
				got_udp_only |= strcmp(x->id, "egress-dns-udp-only") == 0;
			}
		}
		if (got_none != want_none || got_udp_only != want_udp_only) {
			dump(rep);
			fail_msg("%s: udp %d tcp %d, lint no-dns %d udp-only %d", e->id, udp, tcp,
			         got_none, got_udp_only);
		}
		t->no_dns += got_none;
		t->udp_only += got_udp_only;
		t->dns_ok += udp && tcp;
	}
}

static void test_agrees_with_matcher(void **state)
{
	static const uint64_t seeds[] = {1, 7, 42, 1234, 99991, 5, 6, 8, 9, 10};
	struct seen_totals t = {0, 0, 0, 0, 0};

	for (size_t s = 0; s < SW_ARRAY_SIZE(seeds); s++) {
		struct fx *f;
		struct sw_lint_report *r;

		assert_int_equal(setup((void **)&f), 0);
		lint_scenario(f, seeds[s]);
		r = run(f);
		check_one_sided(f, r, &t);
		check_dns(f, r, &t);
		sw_lint_report_free(r);
		teardown((void **)&f);
	}
	print_message("one-sided %zu, effective %zu, no-dns %zu, udp-only %zu, dns ok %zu\n",
	              t.one_sided, t.effective, t.no_dns, t.udp_only, t.dns_ok);
	assert_true(t.one_sided > 0 && t.effective > 0);
	assert_true(t.no_dns > 0 && t.udp_only > 0 && t.dns_ok > 0);
	(void)state;
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_ns_no_default_deny),
		T(test_endpoint_open),
		T(test_rule_allow_all),
		T(test_rule_any_peer),
		T(test_rule_any_port),
		T(test_peer_all_namespaces),
		T(test_peer_all_pods),
		T(test_peer_ipblock_all),
		T(test_peer_ipblock_endpoints),
		T(test_peer_selects_nothing),
		T(test_peer_split_selectors),
		T(test_policy_selects_nothing),
		T(test_policy_types_ignore_rules),
		T(test_policy_duplicate_name),
		T(test_port_name_unresolved),
		T(test_egress_no_dns),
		cmocka_unit_test(test_egress_dns_allowed),
		cmocka_unit_test(test_egress_dns_external),
		cmocka_unit_test(test_egress_dns_group),
		cmocka_unit_test(test_rule_one_sided_egress),
		cmocka_unit_test(test_rule_one_sided_ingress),
		T(test_rule_redundant),
		cmocka_unit_test(test_rule_redundant_containment),
		T(test_rule_redundant_equivalent),
		T(test_seed_000_labelled),
		T(test_seed_000_stock_cluster),
		T(test_seed_001_db_policy),
		T(test_seed_001_db_policy_alone),
		T(test_seed_001_compose),
		T(test_seed_003_allow_frontend),
		T(test_seed_003_ingress_resource),
		T(test_seed_003_applied_twice),
		T(test_clean_policy_set),
		T(test_sorted_and_text),
		T(test_json),
		cmocka_unit_test(test_catalogue),
		cmocka_unit_test(test_agrees_with_matcher),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
