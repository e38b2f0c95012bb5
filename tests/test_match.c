/*
 * test_match.c - the policy engine's verdicts: one test per semantic point
 * of Kubernetes NetworkPolicy (networking.k8s.io/v1), each asserting the
 * verdict and the reason, and each cross-checked against the explanation
 * (which evaluates the policies directly, not the compiled tables); a
 * randomized differential test between the two paths; explanations; the
 * example policies of the seed articles through the file loaders.
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
#include <dirent.h>

#include "segwatch/inventory.h"
#include "segwatch/match.h"
#include "segwatch/netpol.h"
#include "segwatch/textparse.h"

#include "match_builders.h"

/* Judges src -> dst and checks verdict and reason on both the compiled
 * path and the explanation. */
static void expect_at(struct fx *f, const char *src, const char *dst, const char *pp,
                      enum sw_verdict v, enum sw_reason r, int line)
{
	const struct sw_matcher *m = matcher(f);
	struct sw_addr s = addr_of(f, src), d = addr_of(f, dst);
	struct sw_judgement j;
	struct sw_explanation *ex = NULL;
	uint8_t proto;
	uint16_t port;

	proto_port(pp, &proto, &port);
	sw_matcher_judge(m, &s, &d, proto, port, &j);
	if (j.verdict != v || j.reason != r)
		fail_msg("line %d: %s -> %s %s: got %s/%s, want %s/%s", line, src, dst, pp,
		         sw_verdict_name(j.verdict), sw_reason_name(j.reason), sw_verdict_name(v),
		         sw_reason_name(r));
	assert_int_equal(sw_matcher_explain(m, &s, &d, proto, port, &ex), SW_OK);
	if (ex->j.verdict != v || ex->j.reason != r)
		fail_msg("line %d: explain %s -> %s %s: got %s/%s, want %s/%s", line, src, dst, pp,
		         sw_verdict_name(ex->j.verdict), sw_reason_name(ex->j.reason),
		         sw_verdict_name(v), sw_reason_name(r));
	assert_int_equal(ex->j.src_ep, j.src_ep);
	assert_int_equal(ex->j.dst_ep, j.dst_ep);
	sw_explanation_free(ex);
}

#define expect(f, s, d, pp, v, r) expect_at(f, s, d, pp, SW_VERDICT_##v, SW_REASON_##r, __LINE__)

/* Namespaces prod, staging, kube-system and five endpoints. */
static void base(struct fx *f)
{
	ns_add(f, "prod", "env=prod,team=a");
	ns_add(f, "staging", "env=staging");
	ns_add(f, "kube-system", "");
	ep_add(f, "prod/web", "app=web,tier=front", "10.0.1.10,10.0.1.11", "http/TCP/8080");
	ep_add(f, "prod/api", "app=api,tier=back", "10.0.2.10,fd00::20",
	       "http/TCP/9090,metrics/TCP/9100");
	ep_add(f, "prod/db", "app=db", "10.0.3.10", "pg/TCP/5432");
	ep_add(f, "staging/web", "app=web", "10.1.1.10", "http/TCP/8080");
	ep_add(f, "kube-system/dns", "k8s-app=kube-dns", "10.2.0.10", "dns/UDP/53,dns-tcp/TCP/53");
}

/* ---- isolation ---- */

static void test_no_policy_not_isolated(void **state)
{
	struct fx *f = *state;

	base(f);
	expect(f, "prod/web", "prod/api", "tcp/9090", ALLOWED, NOT_ISOLATED);
	expect(f, "8.8.8.8", "prod/web", "tcp/8080", ALLOWED, NOT_ISOLATED);
	expect(f, "prod/web", "8.8.8.8", "udp/53", ALLOWED, NOT_ISOLATED);
	expect(f, "prod/web", "prod/db", "icmp", ALLOWED, NOT_ISOLATED);
}

static void test_external_to_external_not_judged(void **state)
{
	struct fx *f = *state;
	struct sw_judgement j;
	struct sw_addr a, b;

	base(f);
	pol_add(f, pol_new("prod", "deny-all", "", IN | EG));
	expect(f, "8.8.8.8", "1.1.1.1", "tcp/443", ALLOWED, NOT_ISOLATED);
	expect(f, "2001:db8::1", "8.8.8.8", "udp/53", ALLOWED, NOT_ISOLATED);
	a = addr_of(f, "8.8.8.8");
	b = addr_of(f, "1.1.1.1");
	sw_matcher_judge(matcher(f), &a, &b, SW_PROTO_TCP, 443, &j);
	assert_int_equal(j.src_ep, -1);
	assert_int_equal(j.dst_ep, -1);
}

static void test_ingress_isolation(void **state)
{
	struct fx *f = *state;

	base(f);
	pol_add(f, pol_new("prod", "deny-db", "app=db", IN));
	expect(f, "prod/web", "prod/db", "tcp/5432", DENIED, DENIED_INGRESS);
	expect(f, "8.8.8.8", "prod/db", "tcp/5432", DENIED, DENIED_INGRESS);
	/* not selected: not isolated */
	expect(f, "prod/web", "prod/api", "tcp/9090", ALLOWED, NOT_ISOLATED);
	/* the db's egress is not isolated by an Ingress policy */
	expect(f, "prod/db", "prod/web", "tcp/8080", ALLOWED, NOT_ISOLATED);
}

static void test_egress_isolation(void **state)
{
	struct fx *f = *state;

	base(f);
	pol_add(f, pol_new("prod", "web-egress", "app=web", EG));
	expect(f, "prod/web", "prod/api", "tcp/9090", DENIED, DENIED_EGRESS);
	expect(f, "prod/web", "8.8.8.8", "tcp/443", DENIED, DENIED_EGRESS);
	expect(f, "prod/api", "prod/web", "tcp/8080", ALLOWED, NOT_ISOLATED);
	expect(f, "8.8.8.8", "prod/web", "tcp/8080", ALLOWED, NOT_ISOLATED);
}

static void test_denied_both(void **state)
{
	struct fx *f = *state;

	base(f);
	pol_add(f, pol_new("prod", "deny-all", "", IN | EG));
	expect(f, "prod/web", "prod/db", "tcp/5432", DENIED, DENIED_BOTH);
	/* other namespaces are not isolated by it */
	expect(f, "staging/web", "kube-system/dns", "udp/53", ALLOWED, NOT_ISOLATED);
	expect(f, "staging/web", "prod/db", "tcp/5432", DENIED, DENIED_INGRESS);
	expect(f, "prod/db", "staging/web", "tcp/8080", DENIED, DENIED_EGRESS);
}

static void test_policy_applies_to_own_namespace_only(void **state)
{
	struct fx *f = *state;

	base(f);
	/* a policy in staging selecting app=web isolates staging/web only */
	pol_add(f, pol_new("staging", "deny-web", "app=web", IN));
	expect(f, "prod/api", "staging/web", "tcp/8080", DENIED, DENIED_INGRESS);
	expect(f, "prod/api", "prod/web", "tcp/8080", ALLOWED, NOT_ISOLATED);
}

static void test_policy_types_decide_directions(void **state)
{
	struct fx *f = *state;
	struct sw_netpol *p = pol_new("prod", "egress-only", "app=api", EG);
	struct sw_rule *r;

	/* ingress rules in a policy whose policyTypes is [Egress] do nothing:
	 * the api stays non-isolated for ingress */
	r = pol_rule(p, IN);
	peer_pod(r, "app=nothing");
	r = pol_rule(p, EG);
	peer_pod(r, "app=db");
	base(f);
	pol_add(f, p);
	expect(f, "prod/web", "prod/api", "tcp/9090", ALLOWED, NOT_ISOLATED);
	expect(f, "prod/api", "prod/db", "tcp/5432", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "prod/api", "prod/web", "tcp/8080", DENIED, DENIED_EGRESS);
}

/* ---- rules ---- */

static void test_union_of_policies(void **state)
{
	struct fx *f = *state;
	struct sw_netpol *a = pol_new("prod", "api-from-web", "app=api", IN);
	struct sw_netpol *b = pol_new("prod", "api-metrics", "tier=back", IN);
	struct sw_rule *r;

	r = pol_rule(a, IN);
	peer_pod(r, "app=web");
	port_num(r, SW_PROTO_TCP, 9090, 0);
	r = pol_rule(b, IN);
	peer_pod(r, "app=db");
	port_num(r, SW_PROTO_TCP, 9100, 0);
	base(f);
	pol_add(f, a);
	pol_add(f, b);
	expect(f, "prod/web", "prod/api", "tcp/9090", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "prod/db", "prod/api", "tcp/9100", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "prod/web", "prod/api", "tcp/9100", DENIED, DENIED_INGRESS);
	expect(f, "prod/db", "prod/api", "tcp/9090", DENIED, DENIED_INGRESS);
}

static void test_rule_without_peers_admits_everyone(void **state)
{
	struct fx *f = *state;
	struct sw_netpol *p = pol_new("prod", "api-open", "app=api", IN);
	struct sw_rule *r = pol_rule(p, IN);

	port_num(r, SW_PROTO_TCP, 9090, 0); /* from absent */
	base(f);
	pol_add(f, p);
	expect(f, "8.8.8.8", "prod/api", "tcp/9090", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "staging/web", "prod/api", "tcp/9090", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "2001:db8::5", "fd00::20", "tcp/9090", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "prod/web", "prod/api", "tcp/9091", DENIED, DENIED_INGRESS);
}

static void test_empty_peer_and_port_lists_mean_all(void **state)
{
	struct fx *f = *state;
	struct sw_netpol *p = pol_new("prod", "db-empty-lists", "app=db", IN);
	struct sw_rule *r = pol_rule(p, IN);

	/* API reference: "If this field is empty or missing, this rule matches
	 * all sources" / "... all ports" */
	r->peers_present = true;
	r->ports_present = true;
	base(f);
	pol_add(f, p);
	expect(f, "8.8.8.8", "prod/db", "tcp/5432", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "prod/web", "prod/db", "udp/1", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "prod/web", "prod/db", "icmp", ALLOWED, ALLOWED_BY_POLICY);
}

static void test_no_rules_denies_all(void **state)
{
	struct fx *f = *state;
	struct sw_netpol *p = pol_new("prod", "allow-all-in", "app=api", IN);

	/* ingress: [{}] allows everything; a policy with no rules denies */
	(void)pol_rule(p, IN);
	base(f);
	pol_add(f, p);
	pol_add(f, pol_new("prod", "deny-db", "app=db", IN));
	expect(f, "8.8.8.8", "prod/api", "sctp/9", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "prod/web", "prod/api", "icmp", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "prod/api", "prod/db", "tcp/5432", DENIED, DENIED_INGRESS);
}

static void test_ports_absent_match_all_protocols(void **state)
{
	struct fx *f = *state;
	struct sw_netpol *p = pol_new("prod", "db-from-api", "app=db", IN);
	struct sw_rule *r = pol_rule(p, IN);

	peer_pod(r, "app=api");
	base(f);
	pol_add(f, p);
	expect(f, "prod/api", "prod/db", "tcp/1", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "prod/api", "prod/db", "udp/65535", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "prod/api", "prod/db", "sctp/5432", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "prod/api", "prod/db", "icmp", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "prod/web", "prod/db", "tcp/5432", DENIED, DENIED_INGRESS);
}

/* ---- peers ---- */

static void test_pod_selector_means_own_namespace(void **state)
{
	struct fx *f = *state;
	struct sw_netpol *p = pol_new("prod", "api-from-web", "app=api", IN);
	struct sw_rule *r = pol_rule(p, IN);

	peer_pod(r, "app=web");
	base(f);
	pol_add(f, p);
	expect(f, "prod/web", "prod/api", "tcp/9090", ALLOWED, ALLOWED_BY_POLICY);
	/* same labels, other namespace */
	expect(f, "staging/web", "prod/api", "tcp/9090", DENIED, DENIED_INGRESS);
	expect(f, "8.8.8.8", "prod/api", "tcp/9090", DENIED, DENIED_INGRESS);
}

static void test_namespace_selector_alone(void **state)
{
	struct fx *f = *state;
	struct sw_netpol *p = pol_new("prod", "api-from-staging", "app=api", IN);
	struct sw_rule *r = pol_rule(p, IN);

	peer_ns(r, "env=staging");
	base(f);
	pol_add(f, p);
	expect(f, "staging/web", "prod/api", "tcp/9090", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "prod/web", "prod/api", "tcp/9090", DENIED, DENIED_INGRESS);
	expect(f, "kube-system/dns", "prod/api", "tcp/9090", DENIED, DENIED_INGRESS);
}

static void test_namespace_name_label(void **state)
{
	struct fx *f = *state;
	struct sw_netpol *p = pol_new("prod", "api-from-kube-system", "app=api", IN);
	struct sw_rule *r = pol_rule(p, IN);

	/* every namespace carries kubernetes.io/metadata.name */
	peer_ns(r, "kubernetes.io/metadata.name=kube-system");
	base(f);
	pol_add(f, p);
	expect(f, "kube-system/dns", "prod/api", "tcp/9090", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "staging/web", "prod/api", "tcp/9090", DENIED, DENIED_INGRESS);
}

static void test_both_selectors_in_one_peer(void **state)
{
	struct fx *f = *state;
	struct sw_netpol *p = pol_new("prod", "api-from-staging-web", "app=api", IN);
	struct sw_rule *r = pol_rule(p, IN);

	peer_both(r, "env=staging", "app=web");
	base(f);
	ep_add(f, "staging/other", "app=other", "10.1.1.20", NULL);
	pol_add(f, p);
	expect(f, "staging/web", "prod/api", "tcp/9090", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "staging/other", "prod/api", "tcp/9090", DENIED, DENIED_INGRESS);
	expect(f, "prod/web", "prod/api", "tcp/9090", DENIED, DENIED_INGRESS);
}

static void test_two_peers_are_or(void **state)
{
	struct fx *f = *state;
	struct sw_netpol *p = pol_new("prod", "api-from-either", "app=api", IN);
	struct sw_rule *r = pol_rule(p, IN);

	/* two list items (not one item with both selectors): either matches */
	peer_ns(r, "env=staging");
	peer_pod(r, "app=db");
	base(f);
	ep_add(f, "staging/other", "app=other", "10.1.1.20", NULL);
	pol_add(f, p);
	expect(f, "staging/other", "prod/api", "tcp/9090", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "prod/db", "prod/api", "tcp/9090", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "prod/web", "prod/api", "tcp/9090", DENIED, DENIED_INGRESS);
}

static void test_empty_namespace_selector_all_pods(void **state)
{
	struct fx *f = *state;
	struct sw_netpol *p = pol_new("prod", "api-from-cluster", "app=api", IN);
	struct sw_rule *r = pol_rule(p, IN);

	peer_ns(r, "");
	base(f);
	pol_add(f, p);
	expect(f, "kube-system/dns", "prod/api", "tcp/9090", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "prod/web", "prod/api", "tcp/9090", ALLOWED, ALLOWED_BY_POLICY);
	/* but not addresses outside the cluster */
	expect(f, "8.8.8.8", "prod/api", "tcp/9090", DENIED, DENIED_INGRESS);
}

static void test_ipblock_with_except(void **state)
{
	struct fx *f = *state;
	struct sw_netpol *p = pol_new("prod", "api-egress", "app=api", EG);
	struct sw_rule *r = pol_rule(p, EG);

	peer_ip(r, "0.0.0.0/0", "10.0.0.0/8,192.168.0.0/16,172.16.0.0/12");
	port_num(r, SW_PROTO_TCP, 443, 0);
	base(f);
	pol_add(f, p);
	expect(f, "prod/api", "8.8.8.8", "tcp/443", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "prod/api", "0.0.0.0", "tcp/443", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "prod/api", "255.255.255.255", "tcp/443", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "prod/api", "10.200.0.1", "tcp/443", DENIED, DENIED_EGRESS);
	expect(f, "prod/api", "172.31.255.255", "tcp/443", DENIED, DENIED_EGRESS);
	expect(f, "prod/api", "172.32.0.0", "tcp/443", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "prod/api", "192.167.255.255", "tcp/443", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "prod/api", "8.8.8.8", "tcp/80", DENIED, DENIED_EGRESS);
}

static void test_ipblock_never_matches_endpoints(void **state)
{
	struct fx *f = *state;
	struct sw_netpol *p = pol_new("prod", "db-from-10", "app=db", IN);
	struct sw_rule *r = pol_rule(p, IN);

	peer_ip(r, "10.0.0.0/8", NULL);
	base(f);
	pol_add(f, p);
	expect(f, "10.9.9.9", "prod/db", "tcp/5432", ALLOWED, ALLOWED_BY_POLICY);
	/* 10.0.1.10 is prod/web's: a pod, not matched by the ipBlock */
	expect(f, "prod/web", "prod/db", "tcp/5432", DENIED, DENIED_INGRESS);
	expect(f, "10.0.1.11", "prod/db", "tcp/5432", DENIED, DENIED_INGRESS);
}

static void test_ipblock_families_are_separate(void **state)
{
	struct fx *f = *state;
	struct sw_netpol *p = pol_new("prod", "api-egress", "app=api", EG);
	struct sw_rule *r = pol_rule(p, EG);

	peer_ip(r, "::/0", "2001:db8:bad::/48");
	r = pol_rule(p, EG);
	peer_ip(r, "0.0.0.0/0", NULL);
	port_num(r, SW_PROTO_UDP, 53, 0);
	base(f);
	pol_add(f, p);
	expect(f, "prod/api", "2001:db8::1", "tcp/443", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "prod/api", "2001:db8:bad::1", "tcp/443", DENIED, DENIED_EGRESS);
	/* ::/0 does not contain IPv4 addresses */
	expect(f, "prod/api", "8.8.8.8", "tcp/443", DENIED, DENIED_EGRESS);
	expect(f, "prod/api", "8.8.8.8", "udp/53", ALLOWED, ALLOWED_BY_POLICY);
	/* and 0.0.0.0/0 no IPv6 address */
	expect(f, "prod/api", "2001:db8:bad::1", "udp/53", DENIED, DENIED_EGRESS);
}

/* ---- selectors ---- */

static void test_selector_operators(void **state)
{
	static const struct {
		const char *sel, *labels;
		bool want;
	} cases[] = {
		{"", "", true},
		{"", "app=x", true},
		{"app=x", "app=x,tier=y", true},
		{"app=x", "app=y", false},
		{"app=x", "", false},
		{"app=x|y", "app=y", true},
		{"app=x,tier=y", "app=x", false},
		{"app!=x|y", "app=z", true},
		{"app!=x|y", "app=y", false},
		{"app!=x", "", true}, /* an absent key satisfies NotIn */
		{"app", "app=", true},
		{"app", "tier=x", false},
		{"!app", "tier=x", true},
		{"!app", "app=x", false},
		{"app,!debug,tier!=db", "app=a,tier=web", true},
		{"app,!debug,tier!=db", "app=a,tier=web,debug=1", false},
	};

	(void)state;
	for (size_t i = 0; i < SW_ARRAY_SIZE(cases); i++) {
		struct sw_selector sel;
		struct sw_labels l;
		struct sw_netpol holder;

		selector_of(cases[i].sel, &sel);
		labels_of(cases[i].labels, &l);
		if (sw_selector_matches(&sel, &l) != cases[i].want)
			fail_msg("selector '%s' on '%s': want %d", cases[i].sel, cases[i].labels,
			         cases[i].want);
		memset(&holder, 0, sizeof(holder));
		holder.pod_sel = sel; /* freed through the policy clearer */
		sw_netpol_clear(&holder);
		sw_labels_clear(&l);
	}
}

static void test_selector_operators_in_policy(void **state)
{
	struct fx *f = *state;
	struct sw_netpol *p = pol_new("prod", "not-front", "tier!=front", IN);

	/* NotIn selects the db (no tier label) and the api (tier=back) */
	base(f);
	pol_add(f, p);
	expect(f, "prod/web", "prod/db", "tcp/5432", DENIED, DENIED_INGRESS);
	expect(f, "prod/web", "prod/api", "tcp/9090", DENIED, DENIED_INGRESS);
	expect(f, "prod/api", "prod/web", "tcp/8080", ALLOWED, NOT_ISOLATED);
	p = pol_new("prod", "no-tier", "!tier", EG);
	pol_add(f, p);
	expect(f, "prod/db", "prod/web", "tcp/8080", DENIED, DENIED_EGRESS);
	expect(f, "prod/api", "prod/web", "tcp/8080", ALLOWED, NOT_ISOLATED);
}

/* ---- ports ---- */

static void test_port_protocol_must_match(void **state)
{
	struct fx *f = *state;
	struct sw_netpol *p = pol_new("kube-system", "dns", "k8s-app=kube-dns", IN);
	struct sw_rule *r = pol_rule(p, IN);

	port_num(r, SW_PROTO_UDP, 53, 0);
	base(f);
	pol_add(f, p);
	expect(f, "prod/web", "kube-system/dns", "udp/53", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "prod/web", "kube-system/dns", "tcp/53", DENIED, DENIED_INGRESS);
	expect(f, "prod/web", "kube-system/dns", "sctp/53", DENIED, DENIED_INGRESS);
	expect(f, "prod/web", "kube-system/dns", "udp/54", DENIED, DENIED_INGRESS);
}

static void test_port_protocol_without_number(void **state)
{
	struct fx *f = *state;
	struct sw_netpol *p = pol_new("prod", "db-udp", "app=db", IN);
	struct sw_rule *r = pol_rule(p, IN);

	port_all(r, SW_PROTO_UDP); /* protocol UDP, no port: every UDP port */
	base(f);
	pol_add(f, p);
	expect(f, "prod/web", "prod/db", "udp/1", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "prod/web", "prod/db", "udp/65535", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "prod/web", "prod/db", "tcp/5432", DENIED, DENIED_INGRESS);
	expect(f, "prod/web", "prod/db", "icmp", DENIED, DENIED_INGRESS);
}

static void test_port_range_end_port(void **state)
{
	struct fx *f = *state;
	struct sw_netpol *p = pol_new("prod", "db-range", "app=db", IN);
	struct sw_rule *r = pol_rule(p, IN);

	port_num(r, SW_PROTO_TCP, 32000, 32768);
	base(f);
	pol_add(f, p);
	expect(f, "prod/web", "prod/db", "tcp/32000", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "prod/web", "prod/db", "tcp/32768", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "prod/web", "prod/db", "tcp/32400", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "prod/web", "prod/db", "tcp/31999", DENIED, DENIED_INGRESS);
	expect(f, "prod/web", "prod/db", "tcp/32769", DENIED, DENIED_INGRESS);
}

static void test_named_port_ingress(void **state)
{
	struct fx *f = *state;
	struct sw_netpol *p = pol_new("prod", "api-http", "tier", IN);
	struct sw_rule *r = pol_rule(p, IN);

	/* one policy over api (http=9090) and web (http=8080): "http" means
	 * each destination's own port */
	port_named(r, SW_PROTO_TCP, "http");
	base(f);
	pol_add(f, p);
	expect(f, "prod/db", "prod/api", "tcp/9090", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "prod/db", "prod/web", "tcp/8080", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "prod/db", "prod/api", "tcp/8080", DENIED, DENIED_INGRESS);
	expect(f, "prod/db", "prod/web", "tcp/9090", DENIED, DENIED_INGRESS);
	expect(f, "prod/db", "prod/api", "udp/9090", DENIED, DENIED_INGRESS);
}

static void test_named_port_egress_resolves_on_destination(void **state)
{
	struct fx *f = *state;
	struct sw_netpol *p = pol_new("prod", "web-to-pg", "app=web", EG);
	struct sw_rule *r = pol_rule(p, EG);

	port_named(r, SW_PROTO_TCP, "pg");
	base(f);
	pol_add(f, p);
	expect(f, "prod/web", "prod/db", "tcp/5432", ALLOWED, ALLOWED_BY_POLICY);
	/* the api has no port named pg */
	expect(f, "prod/web", "prod/api", "tcp/5432", DENIED, DENIED_EGRESS);
	/* external destinations have no named ports */
	expect(f, "prod/web", "8.8.8.8", "tcp/5432", DENIED, DENIED_EGRESS);
}

static void test_named_port_name_and_protocol(void **state)
{
	struct fx *f = *state;
	struct sw_netpol *p = pol_new("kube-system", "dns", "", IN);
	struct sw_rule *r = pol_rule(p, IN);

	/* "dns" is UDP 53 on the dns pod: TCP "dns" names nothing there, even
	 * though TCP 53 exists under another name */
	port_named(r, SW_PROTO_TCP, "dns");
	base(f);
	pol_add(f, p);
	expect(f, "prod/web", "kube-system/dns", "tcp/53", DENIED, DENIED_INGRESS);
	expect(f, "prod/web", "kube-system/dns", "udp/53", DENIED, DENIED_INGRESS);
	p = pol_new("kube-system", "dns-tcp", "", IN);
	r = pol_rule(p, IN);
	port_named(r, SW_PROTO_TCP, "dns-tcp");
	pol_add(f, p);
	expect(f, "prod/web", "kube-system/dns", "tcp/53", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "prod/web", "kube-system/dns", "udp/53", DENIED, DENIED_INGRESS);
}

static void test_icmp_only_rules_without_ports(void **state)
{
	struct fx *f = *state;
	struct sw_netpol *p = pol_new("prod", "db", "app=db", IN);
	struct sw_rule *r = pol_rule(p, IN);

	peer_pod(r, "app=web");
	port_num(r, SW_PROTO_TCP, 1, 65535);
	port_all(r, SW_PROTO_UDP);
	base(f);
	pol_add(f, p);
	expect(f, "prod/web", "prod/db", "icmp", DENIED, DENIED_INGRESS);
	p = pol_new("prod", "db-ping", "app=db", IN);
	r = pol_rule(p, IN);
	peer_pod(r, "app=web");
	pol_add(f, p);
	expect(f, "prod/web", "prod/db", "icmp", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "prod/api", "prod/db", "icmp", DENIED, DENIED_INGRESS);
}

/* ---- self and replicas ---- */

static void test_self_always_allowed(void **state)
{
	struct fx *f = *state;

	base(f);
	pol_add(f, pol_new("prod", "deny-all", "", IN | EG));
	expect(f, "10.0.1.10", "10.0.1.10", "tcp/8080", ALLOWED, SELF);
	expect(f, "fd00::20", "fd00::20", "udp/1", ALLOWED, SELF);
}

static void test_replicas_judged_by_policy(void **state)
{
	struct fx *f = *state;
	struct sw_netpol *p;
	struct sw_rule *r;

	base(f);
	pol_add(f, pol_new("prod", "deny-all", "", IN | EG));
	expect(f, "10.0.1.10", "10.0.1.11", "tcp/8080", DENIED, DENIED_BOTH);
	expect(f, "10.0.2.10", "fd00::20", "tcp/9090", DENIED, DENIED_BOTH);
	p = pol_new("prod", "web-peers", "app=web", IN | EG);
	r = pol_rule(p, IN);
	peer_pod(r, "app=web");
	r = pol_rule(p, EG);
	peer_pod(r, "app=web");
	pol_add(f, p);
	expect(f, "10.0.1.10", "10.0.1.11", "tcp/8080", ALLOWED, ALLOWED_BY_POLICY);
}

static void test_most_specific_prefix_owns(void **state)
{
	struct fx *f = *state;
	struct sw_addr a;

	base(f);
	ep_add(f, "prod/subnet", "app=subnet", "10.0.4.0/24", NULL);
	ep_add(f, "prod/host", "app=host", "10.0.4.7", NULL);
	pol_add(f, pol_new("prod", "deny-host", "app=host", IN));
	expect(f, "prod/web", "10.0.4.7", "tcp/80", DENIED, DENIED_INGRESS);
	expect(f, "prod/web", "10.0.4.8", "tcp/80", ALLOWED, NOT_ISOLATED);
	a = addr_of(f, "10.0.4.7");
	assert_int_equal(sw_matcher_endpoint_of(matcher(f), &a),
	                 sw_inventory_find_endpoint(f->inv, "prod/host"));
	a = addr_of(f, "10.0.4.255");
	assert_int_equal(sw_matcher_endpoint_of(matcher(f), &a),
	                 sw_inventory_find_endpoint(f->inv, "prod/subnet"));
	a = addr_of(f, "10.0.5.0");
	assert_int_equal(sw_matcher_endpoint_of(matcher(f), &a), -1);
}

static void test_lookup_agrees_with_inventory(void **state)
{
	struct fx *f = *state;
	static const char *const prefixes[] = {
		"0.0.0.0", "255.255.255.255", "10.0.0.0/8", "10.1.0.0/16", "10.1.16.0/20",
		"10.1.17.0/24", "10.1.17.16/28", "10.1.17.20", "10.1.17.254/31", "10.2.255.255",
		"10.3.0.0", "172.16.0.0/12", "192.168.1.128/25", "::ffff:1.2.3.4", "::1",
		"fd00::/64", "fd00::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	};
	static const char *const probes[] = {
		"0.0.0.1", "9.255.255.255", "10.0.255.255", "10.1.15.255", "10.1.32.0",
		"10.1.31.255", "10.1.16.255", "10.1.18.0", "10.2.0.0", "10.2.255.254",
		"10.3.0.1", "11.0.0.0", "172.31.255.255", "172.32.0.0", "192.168.1.127",
		"192.168.2.0", "1.2.3.5", "::", "::2", "fd00::ffff:ffff:ffff:ffff", "fd00:0:0:1::",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", "::fffe:ffff:ffff", "::1:0:0:0",
	};
	const struct sw_matcher *m;
	size_t checked = 0;

	for (size_t i = 0; i < SW_ARRAY_SIZE(prefixes); i++) {
		char id[32];
		snprintf(id, sizeof(id), "n/p%zu", i);
		ep_add(f, id, "", prefixes[i], NULL);
	}
	m = matcher(f);
	/* every address of 10.1.17.0/24 and its neighbours, then the probes */
	for (uint32_t v = 0x0a0110f0u; v <= 0x0a011210u; v++) {
		uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
		struct sw_addr a;
		sw_addr_from_v4(&a, b);
		assert_int_equal(sw_matcher_endpoint_of(m, &a), sw_inventory_lookup(f->inv, &a));
		checked++;
	}
	for (size_t i = 0; i < SW_ARRAY_SIZE(prefixes) + SW_ARRAY_SIZE(probes); i++) {
		const char *t = i < SW_ARRAY_SIZE(prefixes) ? prefixes[i]
		                                            : probes[i - SW_ARRAY_SIZE(prefixes)];
		struct sw_prefix p;
		struct sw_addr a;
		assert_int_equal(sw_prefix_parse(t, false, &p), SW_OK);
		sw_prefix_first(&p, &a);
		if (sw_matcher_endpoint_of(m, &a) != sw_inventory_lookup(f->inv, &a))
			fail_msg("%s: matcher %ld, inventory %ld", t, sw_matcher_endpoint_of(m, &a),
			         sw_inventory_lookup(f->inv, &a));
		sw_prefix_last(&p, &a);
		assert_int_equal(sw_matcher_endpoint_of(m, &a), sw_inventory_lookup(f->inv, &a));
		checked++;
	}
	assert_true(checked > 300);
}

static void test_shared_address_owner_agrees_with_inventory(void **state)
{
	struct fx *f = *state;
	struct sw_addr a;

	/* two endpoints declaring the same address (a misconfiguration): the
	 * matcher must pick the same owner as the inventory does */
	base(f);
	ep_add(f, "prod/twin-a", "app=twin", "10.0.7.7", NULL);
	ep_add(f, "prod/twin-b", "app=twin", "10.0.7.7,10.0.7.8", NULL);
	a = addr_of(f, "10.0.7.7");
	assert_int_equal(sw_matcher_endpoint_of(matcher(f), &a), sw_inventory_lookup(f->inv, &a));
	a = addr_of(f, "10.0.7.8");
	assert_int_equal(sw_matcher_endpoint_of(matcher(f), &a),
	                 sw_inventory_find_endpoint(f->inv, "prod/twin-b"));
}

/* ---- explanations ---- */

static struct sw_explanation *explain(struct fx *f, const char *src, const char *dst,
                                      const char *pp)
{
	struct sw_addr s = addr_of(f, src), d = addr_of(f, dst);
	struct sw_explanation *ex = NULL;
	uint8_t proto;
	uint16_t port;

	proto_port(pp, &proto, &port);
	assert_int_equal(sw_matcher_explain(matcher(f), &s, &d, proto, port, &ex), SW_OK);
	return ex;
}

static void explain_fixture(struct fx *f)
{
	struct sw_netpol *p = pol_new("prod", "api-from-web", "app=api", IN);
	struct sw_rule *r;

	r = pol_rule(p, IN);
	peer_pod(r, "app=db");
	r = pol_rule(p, IN);
	peer_pod(r, "app=web");
	port_num(r, SW_PROTO_TCP, 9090, 0);
	base(f);
	pol_add(f, pol_new("prod", "deny-all", "", IN | EG));
	pol_add(f, p);
}

static void test_explain_policies_and_rules(void **state)
{
	struct fx *f = *state;
	struct sw_explanation *ex;
	char *text;

	explain_fixture(f);
	ex = explain(f, "prod/web", "prod/api", "tcp/9090");
	/* egress of web: isolated by deny-all, no rule admits it */
	assert_int_equal(ex->j.verdict, SW_VERDICT_DENIED);
	assert_int_equal(ex->j.reason, SW_REASON_DENIED_EGRESS);
	assert_true(ex->egress.isolated);
	assert_false(ex->egress.allowed);
	assert_int_equal(ex->egress.n_policies, 1);
	assert_string_equal(ex->egress.policies[0].name, "deny-all");
	assert_int_equal(ex->egress.n_rules, 0);
	/* ingress of api: two policies; rule 1 of api-from-web admits it */
	assert_string_equal(ex->ingress.ep_id, "prod/api");
	assert_true(ex->ingress.allowed);
	assert_int_equal(ex->ingress.n_policies, 2);
	assert_string_equal(ex->ingress.policies[0].name, "deny-all");
	assert_string_equal(ex->ingress.policies[1].name, "api-from-web");
	assert_int_equal(ex->ingress.n_rules, 1);
	assert_string_equal(ex->ingress.rules[0].name, "api-from-web");
	assert_int_equal(ex->ingress.rules[0].rule_index, 1);
	assert_int_equal(ex->ingress.rules[0].line, 20);
	text = sw_explanation_text(ex);
	assert_non_null(text);
	assert_non_null(strstr(text, "denied (denied_egress)"));
	assert_non_null(strstr(text, "egress of prod/web: isolated by prod/deny-all (policy.yaml:1)"));
	assert_non_null(strstr(text, "allowed by prod/api-from-web ingress[1] (policy.yaml:20)"));
	assert_non_null(strstr(text, "no egress rule of these policies admits "
	                             "10.0.2.10 (prod/api) on tcp/9090"));
	free(text);
	sw_explanation_free(ex);
}

static void test_explain_json(void **state)
{
	struct fx *f = *state;
	struct sw_explanation *ex;
	json_t *j, *rules;

	explain_fixture(f);
	ex = explain(f, "8.8.8.8", "prod/api", "tcp/9090");
	j = sw_explanation_json(ex);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "verdict")), "denied");
	assert_string_equal(json_string_value(json_object_get(j, "reason")), "denied_ingress");
	assert_string_equal(json_string_value(json_object_get(j, "src")), "8.8.8.8");
	assert_string_equal(json_string_value(json_object_get(j, "proto")), "tcp");
	assert_int_equal(json_integer_value(json_object_get(j, "port")), 9090);
	assert_true(json_is_null(json_object_get(json_object_get(j, "egress"), "endpoint")));
	assert_true(json_is_true(json_object_get(json_object_get(j, "ingress"), "isolated")));
	assert_int_equal(json_array_size(json_object_get(json_object_get(j, "ingress"), "policies")), 2);
	json_decref(j);
	sw_explanation_free(ex);

	ex = explain(f, "prod/db", "prod/api", "udp/7");
	/* db's egress is isolated by deny-all; the api's ingress rule 0 admits db */
	assert_int_equal(ex->j.reason, SW_REASON_DENIED_EGRESS);
	j = sw_explanation_json(ex);
	rules = json_object_get(json_object_get(j, "ingress"), "rules");
	assert_int_equal(json_array_size(rules), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rules, 0), "direction")),
	                    "ingress");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(rules, 0), "index")), 0);
	json_decref(j);
	sw_explanation_free(ex);
}

static void test_explain_self_and_external(void **state)
{
	struct fx *f = *state;
	struct sw_explanation *ex;
	char *text;

	explain_fixture(f);
	ex = explain(f, "10.0.1.10", "10.0.1.10", "tcp/1");
	assert_int_equal(ex->j.reason, SW_REASON_SELF);
	text = sw_explanation_text(ex);
	assert_non_null(strstr(text, "own address"));
	free(text);
	sw_explanation_free(ex);
	ex = explain(f, "1.2.3.4", "5.6.7.8", "icmp");
	assert_int_equal(ex->j.reason, SW_REASON_NOT_ISOLATED);
	text = sw_explanation_text(ex);
	assert_non_null(strstr(text, "external"));
	assert_non_null(strstr(text, " icmp: allowed (not_isolated)"));
	free(text);
	sw_explanation_free(ex);
}

static void test_reason_names(void **state)
{
	static const char *const names[] = {
		"allowed_by_policy", "not_isolated", "self",
		"denied_ingress", "denied_egress", "denied_both",
	};

	(void)state;
	for (unsigned i = 0; i < SW_ARRAY_SIZE(names); i++) {
		enum sw_reason r;
		assert_string_equal(sw_reason_name((enum sw_reason)i), names[i]);
		assert_int_equal(sw_reason_parse(names[i], &r), SW_OK);
		assert_int_equal(r, i);
	}
	assert_string_equal(sw_reason_name((enum sw_reason)99), "unknown");
	{
		enum sw_reason r;
		assert_int_equal(sw_reason_parse("allowed", &r), SW_ERR_NOTFOUND);
	}
	assert_string_equal(sw_verdict_name(SW_VERDICT_ALLOWED), "allowed");
	assert_string_equal(sw_verdict_name(SW_VERDICT_DENIED), "denied");
}

/* ---- differential: compiled tables vs direct evaluation ---- */

static void test_compiled_matches_direct_evaluation(void **state)
{
	struct fx *f = *state;
	char addrs[SCENARIO_MAX_ADDRS][SW_ADDR_STRLEN];
	size_t n_addrs = random_scenario(f, 0x9e3779b97f4a7c15ull, addrs);

	{
		const struct sw_matcher *m = matcher(f);
		static const char *const pps[] = {"tcp/80", "tcp/85", "tcp/90", "udp/53", "tcp/53",
		                                  "udp/80", "icmp", "tcp/110", "sctp/80"};
		size_t checked = 0, allowed = 0;

		for (size_t i = 0; i < n_addrs; i++) {
			struct sw_addr a = addr_of(f, addrs[i]);
			assert_int_equal(sw_matcher_endpoint_of(m, &a), sw_inventory_lookup(f->inv, &a));
			for (size_t j = 0; j < n_addrs; j++) {
				struct sw_addr b = addr_of(f, addrs[j]);
				for (size_t k = 0; k < SW_ARRAY_SIZE(pps); k++) {
					struct sw_judgement jd;
					struct sw_explanation *ex;
					uint8_t proto;
					uint16_t port;
					proto_port(pps[k], &proto, &port);
					sw_matcher_judge(m, &a, &b, proto, port, &jd);
					assert_int_equal(sw_matcher_explain(m, &a, &b, proto, port, &ex), SW_OK);
					if (jd.verdict != ex->j.verdict || jd.reason != ex->j.reason)
						fail_msg("%s -> %s %s: compiled %s, direct %s", addrs[i], addrs[j],
						         pps[k], sw_reason_name(jd.reason),
						         sw_reason_name(ex->j.reason));
					allowed += jd.verdict == SW_VERDICT_ALLOWED;
					checked++;
					sw_explanation_free(ex);
				}
			}
		}
		/* the random policies must exercise both outcomes */
		assert_true(allowed > checked / 20);
		assert_true(allowed < checked - checked / 20);
	}
}

/* ---- the seed articles' policies, through the loaders ---- */

static const char *seed_dir(void)
{
	const char *d = getenv("SW_SEED_DIR");
	return d ? d : "tests/data/seeds";
}

/* True when a line of the file contains needle (starts with it when
 * at_start). */
static bool file_has(const char *path, const char *needle, bool at_start)
{
	FILE *fp = fopen(path, "r");
	char line[512];
	bool found = false;

	while (fp && !found && fgets(line, sizeof(line), fp)) {
		const char *at = strstr(line, needle);
		found = at != NULL && (!at_start || at == line);
	}
	if (fp)
		fclose(fp);
	return found;
}

/* Loads every file of the seed directory whose name starts with prefix
 * and that holds a NetworkPolicy. Returns how many were loaded. */
static int load_seed_policies(struct fx *f, const char *prefix)
{
	DIR *d = opendir(seed_dir());
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)) != NULL) {
		char path[1024];
		struct sw_err err;

		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", seed_dir(), de->d_name);
		if (!file_has(path, "NetworkPolicy", false))
			continue;
		if (sw_policy_set_load_file(f->set, path, NULL, NULL, &err) != SW_OK)
			fail_msg("%s:%u:%u: %s", path, err.line, err.column, err.msg);
		n++;
	}
	if (d)
		closedir(d);
	sw_matcher_free(f->m);
	f->m = NULL;
	return n;
}

static void test_seed_000_microservices(void **state)
{
	struct fx *f = *state;

	ns_add(f, "microservices", "");
	ns_add(f, "kube-system", "name=kube-system");
	ns_add(f, "ingress-nginx", "name=ingress-nginx");
	ep_add(f, "microservices/frontend", "app=frontend", "10.0.1.10", NULL);
	ep_add(f, "microservices/backend-api", "app=backend-api", "10.0.1.20", NULL);
	ep_add(f, "microservices/postgres", "app=postgres", "10.0.1.30", NULL);
	ep_add(f, "microservices/redis", "app=redis", "10.0.1.40", NULL);
	ep_add(f, "kube-system/kube-dns", "k8s-app=kube-dns", "10.0.9.10", NULL);
	ep_add(f, "ingress-nginx/controller", "app=nginx-ingress", "10.0.8.10", NULL);
	if (load_seed_policies(f, "000") == 0)
		skip();
	/* frontend -> backend-api:8081 allowed; to the database denied */
	expect(f, "microservices/frontend", "microservices/backend-api", "tcp/8081", ALLOWED,
	       ALLOWED_BY_POLICY);
	expect(f, "microservices/frontend", "microservices/backend-api", "tcp/8080", DENIED,
	       DENIED_BOTH);
	expect(f, "microservices/frontend", "microservices/postgres", "tcp/5432", DENIED,
	       DENIED_BOTH);
	/* backend-api's egress admits postgres:5432 and redis:6379, but
	 * default-deny-all also isolates their ingress and nothing admits it */
	expect(f, "microservices/backend-api", "microservices/postgres", "tcp/5432", DENIED,
	       DENIED_INGRESS);
	expect(f, "microservices/backend-api", "microservices/redis", "tcp/6379", DENIED,
	       DENIED_INGRESS);
	expect(f, "microservices/backend-api", "microservices/redis", "tcp/6380", DENIED,
	       DENIED_BOTH);
	/* backend-api -> external 443 allowed, 80 denied, private ranges denied */
	expect(f, "microservices/backend-api", "93.184.216.34", "tcp/443", ALLOWED,
	       ALLOWED_BY_POLICY);
	expect(f, "microservices/backend-api", "93.184.216.34", "tcp/80", DENIED, DENIED_EGRESS);
	expect(f, "microservices/backend-api", "192.168.1.1", "tcp/443", DENIED, DENIED_EGRESS);
	expect(f, "microservices/backend-api", "172.20.0.1", "tcp/443", DENIED, DENIED_EGRESS);
	/* DNS from the frontend to kube-system is allowed (UDP only) */
	expect(f, "microservices/frontend", "kube-system/kube-dns", "udp/53", ALLOWED,
	       ALLOWED_BY_POLICY);
	expect(f, "microservices/frontend", "kube-system/kube-dns", "tcp/53", DENIED, DENIED_EGRESS);
	/* backend-api has no DNS rule */
	expect(f, "microservices/backend-api", "kube-system/kube-dns", "udp/53", DENIED,
	       DENIED_EGRESS);
	/* the ingress controller reaches the frontend on 8080 only */
	expect(f, "ingress-nginx/controller", "microservices/frontend", "tcp/8080", ALLOWED,
	       ALLOWED_BY_POLICY);
	expect(f, "ingress-nginx/controller", "microservices/frontend", "tcp/22", DENIED,
	       DENIED_INGRESS);
	/* default deny: nothing else in */
	expect(f, "8.8.8.8", "microservices/frontend", "tcp/8080", DENIED, DENIED_INGRESS);
	expect(f, "microservices/backend-api", "microservices/frontend", "tcp/8080", DENIED,
	       DENIED_BOTH);
}

static void test_seed_001_db_policy(void **state)
{
	struct fx *f = *state;

	ep_add(f, "default/backend", "app=backend", "10.0.0.2", NULL);
	ep_add(f, "default/database", "app=database", "10.0.0.3", NULL);
	ep_add(f, "default/web", "app=web", "10.0.0.4", NULL);
	if (load_seed_policies(f, "001") == 0)
		skip();
	/* only app=backend reaches the database, on TCP 5432 */
	expect(f, "default/backend", "default/database", "tcp/5432", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "default/backend", "default/database", "tcp/5433", DENIED, DENIED_INGRESS);
	expect(f, "default/web", "default/database", "tcp/5432", DENIED, DENIED_INGRESS);
	/* policyTypes [Ingress]: the database's egress is open */
	expect(f, "default/database", "default/web", "tcp/80", ALLOWED, NOT_ISOLATED);
}

/* Loads the seed's compose files that declare networks (the other
 * compose snippets of an article are separate examples: loaded together
 * they would be one project and redefine each other's services). The
 * rest must load too, each on its own. */
static int load_seed_compose(struct fx *f, const char *prefix)
{
	DIR *d = opendir(seed_dir());
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)) != NULL) {
		char path[1024];
		struct sw_err err;
		bool nets;

		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", seed_dir(), de->d_name);
		if (!file_has(path, "services:", true))
			continue;
		nets = file_has(path, "networks:", true);
		if (!nets) {
			struct sw_inventory *inv = sw_inventory_new();
			struct sw_policy_set *set = sw_policy_set_new();
			assert_non_null(inv);
			assert_non_null(set);
			if (sw_policy_set_load_compose(set, inv, path, NULL, NULL, &err) != SW_OK)
				fail_msg("%s:%u:%u: %s", path, err.line, err.column, err.msg);
			sw_policy_set_free(set);
			sw_inventory_free(inv);
			continue;
		}
		if (sw_policy_set_load_compose(f->set, f->inv, path, NULL, NULL, &err) != SW_OK)
			fail_msg("%s:%u:%u: %s", path, err.line, err.column, err.msg);
		n++;
	}
	if (d)
		closedir(d);
	sw_matcher_free(f->m);
	f->m = NULL;
	return n;
}

static void test_seed_001_compose_networks(void **state)
{
	struct fx *f = *state;

	/* the project is named after the file's directory; the addresses come
	 * from the inventory */
	ep_add(f, "seeds/web", "", "172.20.0.2", NULL);
	ep_add(f, "seeds/app", "", "172.20.0.3", NULL);
	ep_add(f, "seeds/db", "", "172.20.0.4", NULL);
	ep_add(f, "seeds/admin", "", "172.20.0.5", NULL);
	if (load_seed_compose(f, "001") == 0)
		skip();
	/* web<->app (backend), app<->db (database), app<->admin (backend) */
	expect(f, "seeds/web", "seeds/app", "tcp/8000", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "seeds/app", "seeds/web", "tcp/80", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "seeds/app", "seeds/db", "tcp/5432", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "seeds/admin", "seeds/app", "udp/53", ALLOWED, ALLOWED_BY_POLICY);
	/* web<->db share no network */
	expect(f, "seeds/web", "seeds/db", "tcp/5432", DENIED, DENIED_BOTH);
	expect(f, "seeds/db", "seeds/web", "tcp/80", DENIED, DENIED_BOTH);
	/* the article lists web<->admin as having no shared network, but its
	 * compose file puts both on "backend": they may talk */
	expect(f, "seeds/web", "seeds/admin", "tcp/80", ALLOWED, ALLOWED_BY_POLICY);
	/* from outside, only web's published port 80 */
	expect(f, "203.0.113.9", "seeds/web", "tcp/80", ALLOWED, ALLOWED_BY_POLICY);
	expect(f, "203.0.113.9", "seeds/web", "tcp/443", DENIED, DENIED_INGRESS);
	expect(f, "203.0.113.9", "seeds/db", "tcp/5432", DENIED, DENIED_INGRESS);
}

static void test_seed_003_allow_frontend(void **state)
{
	struct fx *f = *state;

	ns_add(f, "production", "");
	ns_add(f, "staging", "");
	ep_add(f, "production/frontend", "app=frontend", "10.0.0.2", NULL);
	ep_add(f, "production/backend", "app=backend", "10.0.0.3", NULL);
	ep_add(f, "production/other", "app=other", "10.0.0.4", NULL);
	ep_add(f, "staging/frontend", "app=frontend", "10.0.1.2", NULL);
	if (load_seed_policies(f, "003") == 0)
		skip();
	/* policyTypes defaults to [Ingress]: frontend pods reach the backend
	 * on every port; nothing else does */
	expect(f, "production/frontend", "production/backend", "tcp/8080", ALLOWED,
	       ALLOWED_BY_POLICY);
	expect(f, "production/frontend", "production/backend", "udp/9999", ALLOWED,
	       ALLOWED_BY_POLICY);
	expect(f, "staging/frontend", "production/backend", "tcp/8080", DENIED, DENIED_INGRESS);
	expect(f, "production/other", "production/backend", "tcp/8080", DENIED, DENIED_INGRESS);
	expect(f, "production/backend", "8.8.8.8", "tcp/443", ALLOWED, NOT_ISOLATED);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_no_policy_not_isolated),
		T(test_external_to_external_not_judged),
		T(test_ingress_isolation),
		T(test_egress_isolation),
		T(test_denied_both),
		T(test_policy_applies_to_own_namespace_only),
		T(test_policy_types_decide_directions),
		T(test_union_of_policies),
		T(test_rule_without_peers_admits_everyone),
		T(test_empty_peer_and_port_lists_mean_all),
		T(test_no_rules_denies_all),
		T(test_ports_absent_match_all_protocols),
		T(test_pod_selector_means_own_namespace),
		T(test_namespace_selector_alone),
		T(test_namespace_name_label),
		T(test_both_selectors_in_one_peer),
		T(test_two_peers_are_or),
		T(test_empty_namespace_selector_all_pods),
		T(test_ipblock_with_except),
		T(test_ipblock_never_matches_endpoints),
		T(test_ipblock_families_are_separate),
		cmocka_unit_test(test_selector_operators),
		T(test_selector_operators_in_policy),
		T(test_port_protocol_must_match),
		T(test_port_protocol_without_number),
		T(test_port_range_end_port),
		T(test_named_port_ingress),
		T(test_named_port_egress_resolves_on_destination),
		T(test_named_port_name_and_protocol),
		T(test_icmp_only_rules_without_ports),
		T(test_self_always_allowed),
		T(test_replicas_judged_by_policy),
		T(test_most_specific_prefix_owns),
		T(test_shared_address_owner_agrees_with_inventory),
		T(test_lookup_agrees_with_inventory),
		T(test_explain_policies_and_rules),
		T(test_explain_json),
		T(test_explain_self_and_external),
		cmocka_unit_test(test_reason_names),
		T(test_compiled_matches_direct_evaluation),
		T(test_seed_000_microservices),
		T(test_seed_001_db_policy),
		T(test_seed_001_compose_networks),
		T(test_seed_003_allow_frontend),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
