/*
 * test_netpol_load.c - the policy set and its loaders: Kubernetes
 * NetworkPolicy files (YAML, JSON, List, multi-document) and compose files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "segwatch/netpol.h"

#include "warn_log.h"

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	assert_non_null(d);
	return d;
}

/* ---- the set itself ---- */

static void test_set_add_copies(void **state)
{
	struct sw_policy_set *set = sw_policy_set_new(), *other = sw_policy_set_new();
	struct sw_netpol pol;
	struct sw_sel_req req;
	struct sw_rule rule;
	struct sw_peer peer;
	struct sw_port_rule port;
	char *vals[1];
	const struct sw_netpol *got;
	struct sw_err err;

	(void)state;
	assert_non_null(set);
	assert_int_equal(sw_policy_set_count(set), 0);
	assert_null(sw_policy_set_get(set, 0));
	memset(&pol, 0, sizeof(pol));
	memset(&rule, 0, sizeof(rule));
	memset(&peer, 0, sizeof(peer));
	memset(&port, 0, sizeof(port));
	vals[0] = xstrdup("web");
	req.key = xstrdup("app");
	req.op = SW_SEL_IN;
	req.n_values = 1;
	req.values = vals;
	peer.has_pod_sel = true;
	peer.pod_sel.n_reqs = 1;
	peer.pod_sel.reqs = &req;
	port.proto = 6;
	port.has_port = true;
	port.port_name = xstrdup("http");
	rule.peers_present = true;
	rule.n_peers = 1;
	rule.peers = &peer;
	rule.ports_present = true;
	rule.n_ports = 1;
	rule.ports = &port;
	pol.name = xstrdup("allow-web");
	pol.type_ingress = true;
	pol.n_ingress = 1;
	pol.ingress = &rule;
	pol.pod_sel.n_reqs = 1;
	pol.pod_sel.reqs = &req;
	assert_int_equal(sw_policy_set_add(set, &pol, &err), SW_OK);
	vals[0][0] = 'X'; /* deep copy: the set does not see this */
	got = sw_policy_set_get(set, 0);
	assert_string_equal(got->name, "allow-web");
	assert_string_equal(got->ns, "default");
	assert_string_equal(got->origin, "k8s");
	assert_null(got->file);
	assert_true(got->ingress[0].peers[0].has_pod_sel);
	assert_string_equal(got->ingress[0].peers[0].pod_sel.reqs[0].values[0], "web");
	assert_string_equal(got->pod_sel.reqs[0].key, "app");
	assert_string_equal(got->ingress[0].ports[0].port_name, "http");
	assert_int_equal(got->n_egress, 0);

	assert_int_equal(sw_policy_set_add(other, &pol, &err), SW_OK);
	assert_int_equal(sw_policy_set_merge(set, other, &err), SW_OK);
	assert_int_equal(sw_policy_set_count(set), 2);
	assert_int_equal(sw_policy_set_count(other), 0);
	assert_string_equal(sw_policy_set_get(set, 1)->ingress[0].peers[0].pod_sel.reqs[0].values[0],
	                    "Xeb");
	assert_int_equal(sw_policy_set_remove(set, 0), SW_OK);
	assert_int_equal(sw_policy_set_count(set), 1);
	assert_string_equal(sw_policy_set_get(set, 0)->ingress[0].peers[0].pod_sel.reqs[0].values[0],
	                    "Xeb");
	assert_int_equal(sw_policy_set_remove(set, 1), SW_ERR_NOTFOUND);
	free(vals[0]);
	free(req.key);
	free(port.port_name);
	free(pol.name);
	sw_policy_set_free(other);
	sw_policy_set_free(set);
	sw_policy_set_free(NULL);
	sw_netpol_clear(NULL);
}


/* ---- helpers ---- */

#define SEEDS "tests/data/seeds/"

static struct sw_policy_set *load_ok(const char *path, struct warn_log *log)
{
	struct sw_policy_set *set = sw_policy_set_new();
	struct sw_err err;
	char buf[700];

	assert_non_null(set);
	if (sw_policy_set_load_file(set, path, collect, log, &err) != SW_OK)
		fail_msg("%s", sw_err_format(&err, buf, sizeof(buf)));
	return set;
}

static const struct sw_netpol *pol_by_name(const struct sw_policy_set *set, const char *ns,
                                           const char *name)
{
	for (size_t i = 0; i < sw_policy_set_count(set); i++) {
		const struct sw_netpol *p = sw_policy_set_get(set, i);
		if (strcmp(p->ns, ns) == 0 && strcmp(p->name, name) == 0)
			return p;
	}
	fail_msg("no policy %s/%s", ns, name);
	return NULL;
}

/* Asserts sel is exactly one In requirement key=value. */
static void assert_sel_is(const struct sw_selector *sel, const char *key, const char *value)
{
	assert_int_equal(sel->n_reqs, 1);
	assert_string_equal(sel->reqs[0].key, key);
	assert_int_equal(sel->reqs[0].op, SW_SEL_IN);
	assert_int_equal(sel->reqs[0].n_values, 1);
	assert_string_equal(sel->reqs[0].values[0], value);
}

static void assert_port(const struct sw_port_rule *p, uint8_t proto, uint16_t port)
{
	assert_int_equal(p->proto, proto);
	assert_true(p->has_port);
	assert_null(p->port_name);
	assert_int_equal(p->port, port);
	assert_int_equal(p->end_port, port);
}

static struct sw_prefix pfx(const char *text)
{
	struct sw_prefix p;

	assert_int_equal(sw_prefix_parse(text, false, &p), SW_OK);
	return p;
}

static bool same_prefix(const struct sw_prefix *a, const char *text)
{
	struct sw_prefix b = pfx(text);

	return a->len == b.len && sw_addr_cmp(&a->addr, &b.addr) == 0;
}

static const char *write_case(char *path, size_t len, const char *name, const char *text)
{
	FILE *f;

	snprintf(path, len, "/tmp/segwatch_np_%d_%s", (int)getpid(), name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	fclose(f);
	return path;
}

/* Loads YAML text as a policy file; must succeed. */
static struct sw_policy_set *load_text(const char *text, struct warn_log *log)
{
	char path[256];
	struct sw_policy_set *set;

	write_case(path, sizeof(path), "case.yaml", text);
	set = load_ok(path, log);
	unlink(path);
	return set;
}

#define NP_HEAD "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: t\n  namespace: ns1\nspec:\n"

/* ---- seeds ---- */

static void test_seed_000_microservices(void **state)
{
	struct warn_log log = {0, ""};
	struct sw_policy_set *set = load_ok(SEEDS "000_f9a3f3b2e6733b5e-1.yaml", &log);
	const struct sw_netpol *deny, *fe, *be;
	const struct sw_rule *r;

	(void)state;
	assert_int_equal(sw_policy_set_count(set), 3);
	/* the Istio objects are named and skipped */
	assert_int_equal(log.n, 2);
	assert_non_null(strstr(log.all, "kind PeerAuthentication (security.istio.io/v1beta1) is not a Kubernetes NetworkPolicy (skipped)"));
	assert_non_null(strstr(log.all, "kind AuthorizationPolicy"));

	deny = pol_by_name(set, "microservices", "default-deny-all");
	assert_int_equal(deny->pod_sel.n_reqs, 0); /* {} selects all pods */
	assert_true(deny->type_ingress);
	assert_true(deny->type_egress);
	assert_int_equal(deny->n_ingress, 0);
	assert_int_equal(deny->n_egress, 0);
	assert_string_equal(deny->origin, "k8s");
	assert_int_equal(deny->line, 5);
	assert_string_equal(deny->file, SEEDS "000_f9a3f3b2e6733b5e-1.yaml");
	assert_int_equal(strlen(deny->content_hash), 16);

	fe = pol_by_name(set, "microservices", "frontend-policy");
	assert_sel_is(&fe->pod_sel, "app", "frontend");
	assert_int_equal(fe->n_ingress, 1);
	r = &fe->ingress[0];
	assert_true(r->peers_present);
	assert_int_equal(r->n_peers, 2); /* two peers (OR), as written */
	assert_true(r->peers[0].has_ns_sel);
	assert_false(r->peers[0].has_pod_sel);
	assert_sel_is(&r->peers[0].ns_sel, "name", "ingress-nginx");
	assert_true(r->peers[1].has_pod_sel);
	assert_false(r->peers[1].has_ns_sel);
	assert_sel_is(&r->peers[1].pod_sel, "app", "nginx-ingress");
	assert_true(r->ports_present);
	assert_int_equal(r->n_ports, 1);
	assert_port(&r->ports[0], SW_PROTO_TCP, 8080);
	assert_int_equal(fe->n_egress, 2);
	assert_port(&fe->egress[0].ports[0], SW_PROTO_TCP, 8081);
	assert_sel_is(&fe->egress[0].peers[0].pod_sel, "app", "backend-api");
	assert_port(&fe->egress[1].ports[0], SW_PROTO_UDP, 53);
	assert_sel_is(&fe->egress[1].peers[1].pod_sel, "k8s-app", "kube-dns");

	be = pol_by_name(set, "microservices", "backend-api-policy");
	assert_int_equal(be->n_egress, 3);
	r = &be->egress[2];
	assert_int_equal(r->n_peers, 1);
	assert_true(r->peers[0].has_ipblock);
	assert_true(same_prefix(&r->peers[0].ipblock.cidr, "0.0.0.0/0"));
	assert_int_equal(r->peers[0].ipblock.n_except, 3);
	assert_true(same_prefix(&r->peers[0].ipblock.except[0], "10.0.0.0/8"));
	assert_true(same_prefix(&r->peers[0].ipblock.except[2], "172.16.0.0/12"));
	assert_port(&r->ports[0], SW_PROTO_TCP, 443);
	assert_port(&be->egress[0].ports[0], SW_PROTO_TCP, 5432);
	assert_port(&be->ingress[0].ports[0], SW_PROTO_TCP, 8081);
	assert_string_not_equal(fe->content_hash, be->content_hash);
	sw_policy_set_free(set);
}

static void test_seed_001_db_policy(void **state)
{
	struct warn_log log = {0, ""};
	struct sw_policy_set *set = load_ok(SEEDS "001_9e647032a7b0c2d7-4.yaml", &log);
	const struct sw_netpol *db;

	(void)state;
	assert_int_equal(sw_policy_set_count(set), 1);
	db = pol_by_name(set, "default", "db-policy"); /* no namespace: default */
	assert_sel_is(&db->pod_sel, "app", "database");
	assert_true(db->type_ingress);
	assert_false(db->type_egress);
	assert_sel_is(&db->ingress[0].peers[0].pod_sel, "app", "backend");
	assert_port(&db->ingress[0].ports[0], SW_PROTO_TCP, 5432);
	assert_int_equal(log.n, 0);
	sw_policy_set_free(set);
}

static void test_seed_003_allow_frontend(void **state)
{
	static const char *const files[] = {SEEDS "003_2b7e4d0cc3a9c686-1.yaml",
	                                    SEEDS "003_2b7e4d0cc3a9c686-3.yaml"};

	(void)state;
	for (size_t i = 0; i < SW_ARRAY_SIZE(files); i++) {
		struct warn_log log = {0, ""};
		struct sw_policy_set *set = load_ok(files[i], &log);
		const struct sw_netpol *p = pol_by_name(set, "production", "allow-frontend");
		assert_int_equal(sw_policy_set_count(set), 1);
		assert_sel_is(&p->pod_sel, "app", "backend");
		/* no policyTypes, no egress section: Ingress only */
		assert_true(p->type_ingress);
		assert_false(p->type_egress);
		assert_int_equal(p->n_ingress, 1);
		assert_false(p->ingress[0].ports_present); /* all ports */
		assert_sel_is(&p->ingress[0].peers[0].pod_sel, "app", "frontend");
		assert_false(p->ingress[0].peers[0].has_ns_sel); /* same namespace */
		assert_int_equal(log.n, 0);
		sw_policy_set_free(set);
	}
}

static void test_seed_003_ingress_is_skipped(void **state)
{
	struct warn_log log = {0, ""};
	struct sw_policy_set *set = load_ok(SEEDS "003_2b7e4d0cc3a9c686-2.yaml", &log);

	(void)state;
	assert_int_equal(sw_policy_set_count(set), 0);
	assert_non_null(strstr(log.all, SEEDS "003_2b7e4d0cc3a9c686-2.yaml:6:7: kind Ingress (networking.k8s.io/v1) is not a Kubernetes NetworkPolicy (skipped)"));
	sw_policy_set_free(set);
}

/* ---- semantics captured in the IR ---- */

struct types_case {
	const char *spec;
	bool ingress, egress;
};

static void test_policy_types_default(void **state)
{
	static const struct types_case cases[] = {
		{"  podSelector: {}\n", true, false},
		{"  podSelector: {}\n  ingress: []\n", true, false},
		/* upstream defaults on len(egress) != 0: an empty list adds nothing */
		{"  podSelector: {}\n  egress: []\n", true, false},
		{"  podSelector: {}\n  egress:\n", true, false},
		{"  podSelector: {}\n  egress:\n  - {}\n", true, true},
		{"  podSelector: {}\n  egress:\n  - to: []\n", true, true},
		{"  podSelector: {}\n  policyTypes: [Egress]\n", false, true},
		{"  podSelector: {}\n  policyTypes: []\n  egress: [{}]\n", true, true},
		{"  podSelector: {}\n  policyTypes: [Ingress, Egress]\n", true, true},
		{"  podSelector: {}\n  policyTypes: [Egress]\n  ingress: [{}]\n", false, true},
	};
	char text[512];

	(void)state;
	for (size_t i = 0; i < SW_ARRAY_SIZE(cases); i++) {
		struct warn_log log = {0, ""};
		struct sw_policy_set *set;
		const struct sw_netpol *p;
		snprintf(text, sizeof(text), NP_HEAD "%s", cases[i].spec);
		set = load_text(text, &log);
		p = sw_policy_set_get(set, 0);
		if (p->type_ingress != cases[i].ingress || p->type_egress != cases[i].egress)
			fail_msg("case %zu: ingress %d egress %d", i, p->type_ingress, p->type_egress);
		sw_policy_set_free(set);
	}
}

static void test_absent_vs_empty(void **state)
{
	struct warn_log log = {0, ""};
	struct sw_policy_set *set = load_text(NP_HEAD
	                                      "  podSelector: {}\n"
	                                      "  ingress:\n"
	                                      "  - {}\n"
	                                      "  - from: []\n"
	                                      "    ports: []\n"
	                                      "  - from:\n"
	                                      "    - podSelector: {}\n"
	                                      "    ports:\n"
	                                      "    - protocol: UDP\n", &log);
	const struct sw_netpol *p = sw_policy_set_get(set, 0);

	(void)state;
	assert_int_equal(p->n_ingress, 3);
	assert_false(p->ingress[0].peers_present);
	assert_false(p->ingress[0].ports_present);
	assert_int_equal(p->ingress[0].line, 9);
	assert_true(p->ingress[1].peers_present);
	assert_int_equal(p->ingress[1].n_peers, 0);
	assert_true(p->ingress[1].ports_present);
	assert_int_equal(p->ingress[1].n_ports, 0);
	assert_true(p->ingress[2].peers[0].has_pod_sel);
	assert_int_equal(p->ingress[2].peers[0].pod_sel.n_reqs, 0); /* all pods */
	assert_false(p->ingress[2].peers[0].has_ns_sel);
	assert_int_equal(p->ingress[2].peers[0].line, 13);
	assert_int_equal(p->ingress[2].ports[0].proto, SW_PROTO_UDP);
	assert_false(p->ingress[2].ports[0].has_port); /* all UDP ports */
	assert_int_equal(p->ingress[2].ports[0].line, 15);
	assert_int_equal(log.n, 0);
	sw_policy_set_free(set);
}

static void test_selectors(void **state)
{
	struct warn_log log = {0, ""};
	struct sw_policy_set *set = load_text(NP_HEAD
	                                      "  podSelector:\n"
	                                      "    matchLabels: {tier: db, app: pg}\n"
	                                      "    matchExpressions:\n"
	                                      "    - {key: env, operator: In, values: [prod, staging]}\n"
	                                      "    - {key: canary, operator: NotIn, values: [\"true\"]}\n"
	                                      "    - {key: team, operator: Exists}\n"
	                                      "    - {key: legacy, operator: DoesNotExist, values: []}\n"
	                                      "  ingress:\n"
	                                      "  - from:\n"
	                                      "    - namespaceSelector: {matchLabels: {env: prod}}\n"
	                                      "      podSelector: {matchLabels: {app: web}}\n", &log);
	const struct sw_netpol *p = sw_policy_set_get(set, 0);
	const struct sw_selector *sel = &p->pod_sel;
	const struct sw_peer *peer;

	(void)state;
	assert_int_equal(sel->n_reqs, 6);
	assert_string_equal(sel->reqs[0].key, "app"); /* matchLabels, by key */
	assert_string_equal(sel->reqs[1].key, "tier");
	assert_int_equal(sel->reqs[2].op, SW_SEL_IN);
	assert_int_equal(sel->reqs[2].n_values, 2);
	assert_string_equal(sel->reqs[2].values[1], "staging");
	assert_int_equal(sel->reqs[3].op, SW_SEL_NOT_IN);
	assert_string_equal(sel->reqs[3].values[0], "true");
	assert_int_equal(sel->reqs[4].op, SW_SEL_EXISTS);
	assert_int_equal(sel->reqs[4].n_values, 0);
	assert_int_equal(sel->reqs[5].op, SW_SEL_DOES_NOT_EXIST);
	peer = &p->ingress[0].peers[0]; /* both selectors in one peer: AND */
	assert_true(peer->has_ns_sel);
	assert_true(peer->has_pod_sel);
	assert_false(peer->has_ipblock);
	assert_sel_is(&peer->ns_sel, "env", "prod");
	assert_sel_is(&peer->pod_sel, "app", "web");
	sw_policy_set_free(set);
}

static void test_ipblock_v6_and_sloppy_cidr(void **state)
{
	struct warn_log log = {0, ""};
	struct sw_policy_set *set = load_text(NP_HEAD
	                                      "  podSelector: {}\n"
	                                      "  egress:\n"
	                                      "  - to:\n"
	                                      "    - ipBlock: {cidr: \"fd00::/8\", except: [\"fd00:1::/32\"]}\n"
	                                      "    - ipBlock:\n"
	                                      "        cidr: 10.1.2.3/16\n", &log);
	const struct sw_netpol *p = sw_policy_set_get(set, 0);
	const struct sw_ipblock *ib0 = &p->egress[0].peers[0].ipblock;
	const struct sw_ipblock *ib1 = &p->egress[0].peers[1].ipblock;

	(void)state;
	assert_true(same_prefix(&ib0->cidr, "fd00::/8"));
	assert_true(same_prefix(&ib0->except[0], "fd00:1::/32"));
	assert_true(same_prefix(&ib1->cidr, "10.1.0.0/16")); /* host bits masked */
	assert_int_equal(log.n, 1);
	assert_non_null(strstr(log.all, ":12:15: 10.1.2.3/16 has bits set beyond its prefix length; Kubernetes reads it as 10.1.0.0/16"));
	sw_policy_set_free(set);
}

static void test_ports(void **state)
{
	struct warn_log log = {0, ""};
	struct sw_policy_set *set = load_text(NP_HEAD
	                                      "  podSelector: {}\n"
	                                      "  ingress:\n"
	                                      "  - ports:\n"
	                                      "    - port: http\n"
	                                      "    - {port: 32000, endPort: 32768}\n"
	                                      "    - {protocol: SCTP, port: 9}\n"
	                                      "    - {protocol: UDP, port: dns-udp}\n", &log);
	const struct sw_rule *r = &sw_policy_set_get(set, 0)->ingress[0];

	(void)state;
	assert_int_equal(r->n_ports, 4);
	assert_int_equal(r->ports[0].proto, SW_PROTO_TCP); /* the default */
	assert_true(r->ports[0].has_port);
	assert_string_equal(r->ports[0].port_name, "http");
	assert_null(r->ports[1].port_name);
	assert_int_equal(r->ports[1].port, 32000);
	assert_int_equal(r->ports[1].end_port, 32768);
	assert_port(&r->ports[2], SW_PROTO_SCTP, 9);
	assert_int_equal(r->ports[3].proto, SW_PROTO_UDP);
	assert_string_equal(r->ports[3].port_name, "dns-udp");
	sw_policy_set_free(set);
}

static void test_list_and_json(void **state)
{
	struct warn_log log = {0, ""};
	struct sw_policy_set *set = load_text(
		"{\n"
		"\t\"apiVersion\": \"v1\",\n"
		"\t\"kind\": \"List\",\n"
		"\t\"items\": [\n"
		"\t\t{\"apiVersion\": \"networking.k8s.io/v1\", \"kind\": \"NetworkPolicy\",\n"
		"\t\t \"metadata\": {\"name\": \"a\", \"namespace\": \"x\"},\n"
		"\t\t \"spec\": {\"podSelector\": {}, \"ingress\": [{\"ports\": [{\"port\": 80}, {\"port\": \"web\"}]}]}},\n"
		"\t\t{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"c\"}},\n"
		"\t\t{\"apiVersion\": \"networking.k8s.io/v1\", \"kind\": \"NetworkPolicy\",\n"
		"\t\t \"metadata\": {\"name\": \"b\"}, \"spec\": {\"podSelector\": {\"matchLabels\": {\"app\": \"db\"}}, \"policyTypes\": [\"Egress\"]}}\n"
		"\t]\n"
		"}\n", &log);
	const struct sw_netpol *a, *b;

	(void)state;
	assert_int_equal(sw_policy_set_count(set), 2);
	a = pol_by_name(set, "x", "a");
	assert_port(&a->ingress[0].ports[0], SW_PROTO_TCP, 80);
	/* in JSON a string port is a name, as in YAML */
	assert_string_equal(a->ingress[0].ports[1].port_name, "web");
	assert_int_equal(a->line, 5);
	b = pol_by_name(set, "default", "b");
	assert_false(b->type_ingress);
	assert_true(b->type_egress);
	assert_string_not_equal(a->content_hash, b->content_hash);
	assert_int_equal(log.n, 1);
	assert_non_null(strstr(log.all, "kind ConfigMap (v1) is not a Kubernetes NetworkPolicy"));
	sw_policy_set_free(set);
}

static void test_multi_document_and_duplicates(void **state)
{
	struct warn_log log = {0, ""};
	struct sw_policy_set *set = load_text(NP_HEAD "  podSelector: {}\n---\n" NP_HEAD
	                                      "  podSelector: {}\n---\n", &log);

	(void)state;
	assert_int_equal(sw_policy_set_count(set), 2);
	assert_int_equal(log.n, 1);
	assert_non_null(strstr(log.all, ":9:1: NetworkPolicy ns1/t is declared again"));
	sw_policy_set_free(set);
}

static void test_unknown_field_warnings(void **state)
{
	struct warn_log log = {0, ""};
	struct sw_policy_set *set = load_text(NP_HEAD
	                                      "  podSelector: {}\n"
	                                      "  ingres:\n"
	                                      "  - {}\n"
	                                      "  egress:\n"
	                                      "  - to:\n"
	                                      "    - ipBlock: {cidr: 10.0.0.0/8}\n"
	                                      "      podSelectr: {}\n"
	                                      "    prots: []\n", &log);

	(void)state;
	assert_int_equal(log.n, 3);
	assert_non_null(strstr(log.all, ":8:3: unknown field \"ingres\" in a NetworkPolicy spec (ignored)"));
	assert_non_null(strstr(log.all, ":13:7: unknown field \"podSelectr\" in a peer (ignored)"));
	assert_non_null(strstr(log.all, ":14:5: unknown field \"prots\" in an egress rule (ignored)"));
	/* ingres was ignored: no ingress rules; egress present */
	assert_int_equal(sw_policy_set_get(set, 0)->n_ingress, 0);
	assert_true(sw_policy_set_get(set, 0)->type_egress);
	sw_policy_set_free(set);
}

struct np_err_case {
	const char *text;
	enum sw_status status;
	const char *want; /* after "path:" */
};

static void test_policy_errors(void **state)
{
	static const struct np_err_case cases[] = {
		/* YAML syntax */
		{NP_HEAD "  podSelector: {\n  ingress: []\n", SW_ERR_PARSE, "9:1: invalid YAML: did not find expected ',' or '}'"},
		{NP_HEAD "  podSelector: {}\n   ingress: []\n", SW_ERR_PARSE, "8:4: invalid YAML: did not find expected key while parsing a block mapping (line 7)"},
		/* wrong types */
		{NP_HEAD "  podSelector: [app]\n", SW_ERR_PARSE, "7:16: expected a label selector for spec.podSelector ({matchLabels, matchExpressions}), got a sequence"},
		{NP_HEAD "  podSelector: {}\n  ingress: {from: []}\n", SW_ERR_PARSE, "8:12: expected a list of ingress rules, got a map"},
		{NP_HEAD "  podSelector: {matchLabels: {v: 1}}\n", SW_ERR_PARSE, "7:34: expected a string value for label \"v\" (quote numbers and booleans), got 1"},
		/* a misspelt kind of a Kubernetes API group */
		{"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicyy\nmetadata: {name: x}\n", SW_ERR_PARSE, "2:7: unknown kind \"NetworkPolicyy\" for apiVersion networking.k8s.io/v1"},
		{"apiVersion: v1\nkind: Servce\nmetadata: {name: x}\n", SW_ERR_PARSE, "2:7: unknown kind \"Servce\""},
		/* CIDRs */
		{NP_HEAD "  podSelector: {}\n  egress:\n  - to:\n    - ipBlock: {cidr: 10.0.0.300/8}\n", SW_ERR_INVALID, "10:23: expected a CIDR such as 10.0.0.0/8 or fd00::/64, got \"10.0.0.300/8\""},
		{NP_HEAD "  podSelector: {}\n  egress:\n  - to:\n    - ipBlock: {cidr: 10.0.0.1}\n", SW_ERR_INVALID, "10:23: expected a CIDR such as 10.0.0.0/8 or fd00::/64, got \"10.0.0.1\" (an address without a prefix length)"},
		{NP_HEAD "  podSelector: {}\n  egress:\n  - to:\n    - ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/16]}\n", SW_ERR_INVALID, "10:44: except 11.0.0.0/16 must be a strict subset of cidr 10.0.0.0/8"},
		{NP_HEAD "  podSelector: {}\n  egress:\n  - to:\n    - ipBlock: {cidr: 10.0.0.0/8, except: [10.0.0.0/8]}\n", SW_ERR_INVALID, "10:44: except 10.0.0.0/8 must be a strict subset"},
		{NP_HEAD "  podSelector: {}\n  egress:\n  - to:\n    - ipBlock: {cidr: \"::/0\", except: [10.0.0.0/8]}\n", SW_ERR_INVALID, "10:40: except 10.0.0.0/8 must be a strict subset of cidr ::/0"},
		{NP_HEAD "  podSelector: {}\n  egress:\n  - to:\n    - ipBlock: {except: [10.0.0.0/8]}\n", SW_ERR_PARSE, "10:16: missing field \"cidr\""},
		/* ports */
		{NP_HEAD "  podSelector: {}\n  ingress:\n  - ports:\n    - port: 70000\n", SW_ERR_PARSE, "10:13: expected a port number (1-65535) or a port name, got 70000"},
		{NP_HEAD "  podSelector: {}\n  ingress:\n  - ports:\n    - port: 0\n", SW_ERR_PARSE, "10:13: expected a port number (1-65535) or a port name, got 0"},
		{NP_HEAD "  podSelector: {}\n  ingress:\n  - ports:\n    - {port: 8080, endPort: 80}\n", SW_ERR_INVALID, "10:29: endPort 80 must not be smaller than port 8080"},
		{NP_HEAD "  podSelector: {}\n  ingress:\n  - ports:\n    - {port: http, endPort: 90}\n", SW_ERR_INVALID, "10:29: endPort needs a numeric port"},
		{NP_HEAD "  podSelector: {}\n  ingress:\n  - ports:\n    - {endPort: 90}\n", SW_ERR_INVALID, "10:17: endPort needs a port"},
		{NP_HEAD "  podSelector: {}\n  ingress:\n  - ports:\n    - port: \"80\"\n", SW_ERR_INVALID, "10:13: expected a port number (1-65535) or a port name, got the string \"80\""},
		{NP_HEAD "  podSelector: {}\n  ingress:\n  - ports:\n    - port: Web_Port\n", SW_ERR_INVALID, "10:13: expected a port number or a port name"},
		{NP_HEAD "  podSelector: {}\n  ingress:\n  - ports:\n    - {protocol: ICMP}\n", SW_ERR_PARSE, "10:18: expected a protocol TCP, UDP or SCTP, got \"ICMP\""},
		{NP_HEAD "  podSelector: {}\n  ingress:\n  - ports:\n    - {protocol: tcp}\n", SW_ERR_PARSE, "10:18: expected a protocol TCP, UDP or SCTP, got \"tcp\""},
		/* selectors and peers */
		{NP_HEAD "  podSelector:\n    matchExpressions:\n    - {key: a, operator: In}\n", SW_ERR_INVALID, "9:7: operator In needs a non-empty list of values"},
		{NP_HEAD "  podSelector:\n    matchExpressions:\n    - {key: a, operator: Exists, values: [x]}\n", SW_ERR_INVALID, "9:42: operator Exists takes no values"},
		{NP_HEAD "  podSelector:\n    matchExpressions:\n    - {key: a, operator: in, values: [x]}\n", SW_ERR_PARSE, "9:26: expected an operator In, NotIn, Exists or DoesNotExist, got \"in\""},
		{NP_HEAD "  podSelector: {}\n  ingress:\n  - from:\n    - {}\n", SW_ERR_INVALID, "10:7: a peer must specify podSelector, namespaceSelector or ipBlock"},
		{NP_HEAD "  podSelector: {}\n  ingress:\n  - from:\n    - {podSelector: {}, ipBlock: {cidr: 10.0.0.0/8}}\n", SW_ERR_INVALID, "10:7: a peer may not specify both ipBlock and another peer"},
		{NP_HEAD "  podSelector: {}\n  policyTypes: [Ingress, Sideways]\n", SW_ERR_PARSE, "8:26: expected a policy type Ingress or Egress, got \"Sideways\""},
		/* objects */
		{"apiVersion: networking.k8s.io/v1\nmetadata: {name: x}\n", SW_ERR_PARSE, "1:1: missing field \"kind\""},
		{"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {namespace: x}\nspec: {}\n", SW_ERR_PARSE, "3:11: missing field \"name\""},
		{"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x}\n", SW_ERR_PARSE, "1:1: missing field \"spec\""},
	};
	char path[256], want[900], buf[700];
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < SW_ARRAY_SIZE(cases); i++) {
		struct sw_policy_set *set = sw_policy_set_new();
		struct sw_err err;
		enum sw_status st;
		write_case(path, sizeof(path), "err.yaml", cases[i].text);
		sw_err_clear(&err);
		st = sw_policy_set_load_file(set, path, NULL, NULL, &err);
		snprintf(want, sizeof(want), "%s:%s", path, cases[i].want);
		sw_err_format(&err, buf, sizeof(buf));
		if (st != cases[i].status || strncmp(buf, want, strlen(want)) != 0) {
			print_error("case %zu: status %d\n got  %s\n want %s\n", i, st, buf, want);
			bad++;
		}
		assert_int_equal(sw_policy_set_count(set), 0);
		sw_policy_set_free(set);
		unlink(path);
	}
	assert_int_equal(bad, 0);
}

static void test_failed_file_keeps_nothing(void **state)
{
	struct sw_policy_set *set = sw_policy_set_new();
	struct sw_err err;
	char path[256];

	(void)state;
	assert_int_equal(sw_policy_set_load_file(set, SEEDS "003_2b7e4d0cc3a9c686-1.yaml", NULL,
	                                         NULL, &err), SW_OK);
	/* a good policy, then a bad one in the same file */
	write_case(path, sizeof(path), "half.yaml",
	           NP_HEAD "  podSelector: {}\n---\n" NP_HEAD "  podSelector: 3\n");
	assert_int_equal(sw_policy_set_load_file(set, path, NULL, NULL, &err), SW_ERR_PARSE);
	assert_int_equal(err.line, 15);
	assert_int_equal(sw_policy_set_count(set), 1);
	unlink(path);
	assert_int_equal(sw_policy_set_load_file(set, "/nonexistent/p.yaml", NULL, NULL, &err),
	                 SW_ERR_IO);
	sw_policy_set_free(set);
}

static void test_hostile_policy_file(void **state)
{
	struct sw_policy_set *set = sw_policy_set_new();
	struct sw_err err;
	char path[256];
	char *deep = malloc(100001);

	(void)state;
	assert_non_null(deep);
	memset(deep, '[', 100000);
	deep[100000] = '\0';
	write_case(path, sizeof(path), "deep.yaml", deep);
	assert_int_equal(sw_policy_set_load_file(set, path, NULL, NULL, &err), SW_ERR_LIMIT);
	write_case(path, sizeof(path), "bomb.yaml",
	           "a: &a [x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x]\n"
	           "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	           "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	           "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
	           "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
	           "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n");
	assert_int_equal(sw_policy_set_load_file(set, path, NULL, NULL, &err), SW_ERR_LIMIT);
	assert_non_null(strstr(err.msg, "alias bomb"));
	assert_int_equal(sw_policy_set_count(set), 0);
	unlink(path);
	free(deep);
	sw_policy_set_free(set);
}


/* ---- compose ---- */

#define COMPOSE "tests/data/compose/"

static struct sw_policy_set *load_compose_ok(struct sw_inventory *inv, const char *path,
                                             struct warn_log *log)
{
	struct sw_policy_set *set = sw_policy_set_new();
	struct sw_err err;
	char buf[700];

	assert_non_null(set);
	if (sw_policy_set_load_compose(set, inv, path, collect, log, &err) != SW_OK)
		fail_msg("%s", sw_err_format(&err, buf, sizeof(buf)));
	return set;
}

static const struct sw_endpoint *ep_by_id(const struct sw_inventory *inv, const char *id)
{
	long i = sw_inventory_find_endpoint(inv, id);

	if (i < 0)
		fail_msg("no endpoint %s", id);
	return sw_inventory_endpoint(inv, (size_t)i);
}

static bool has_addr(const struct sw_endpoint *ep, const char *text)
{
	for (size_t i = 0; i < ep->n_prefixes; i++) {
		if (same_prefix(&ep->prefixes[i], text))
			return true;
	}
	return false;
}

/* Asserts r admits peers on compose network net of project. */
static void assert_network_rule(const struct sw_rule *r, const char *project, const char *net)
{
	char key[128];

	snprintf(key, sizeof(key), "segwatch.compose/net.%s", net);
	assert_true(r->peers_present);
	assert_int_equal(r->n_peers, 1);
	assert_true(r->peers[0].has_pod_sel);
	assert_true(r->peers[0].has_ns_sel);
	assert_sel_is(&r->peers[0].pod_sel, key, "true");
	assert_sel_is(&r->peers[0].ns_sel, "kubernetes.io/metadata.name", project);
	assert_false(r->ports_present);
}

static void assert_outside_rule(const struct sw_rule *r)
{
	assert_int_equal(r->n_peers, 2);
	assert_true(r->peers[0].has_ipblock);
	assert_true(same_prefix(&r->peers[0].ipblock.cidr, "0.0.0.0/0"));
	assert_true(r->peers[1].has_ipblock);
	assert_true(same_prefix(&r->peers[1].ipblock.cidr, "::/0"));
	assert_int_equal(r->peers[0].ipblock.n_except, 0);
}

static void test_seed_001_compose_networks(void **state)
{
	struct warn_log log = {0, ""};
	struct sw_inventory *inv = sw_inventory_new();
	struct sw_policy_set *set = load_compose_ok(inv, SEEDS "001_9e647032a7b0c2d7-1.yaml", &log);
	const struct sw_netpol *web, *db, *admin;
	const struct sw_endpoint *ep;

	(void)state;
	/* project: the directory's name */
	assert_int_equal(sw_inventory_n_endpoints(inv), 4);
	assert_int_equal(sw_policy_set_count(set), 4);
	ep = ep_by_id(inv, "seeds/web");
	assert_string_equal(ep->kind, "service");
	assert_string_equal(sw_labels_get(&ep->labels, "com.docker.compose.service"), "web");
	assert_string_equal(sw_labels_get(&ep->labels, "segwatch.compose/net.public"), "true");
	assert_string_equal(sw_labels_get(&ep->labels, "segwatch.compose/net.backend"), "true");
	assert_null(sw_labels_get(&ep->labels, "segwatch.compose/net.database"));
	assert_int_equal(ep->n_prefixes, 0); /* no addresses known */
	assert_int_equal(ep->n_ports, 1);
	assert_int_equal(ep->ports[0].port, 80);
	assert_string_equal(sw_labels_get(&sw_inventory_find_namespace(inv, "seeds")->labels,
	                                  "kubernetes.io/metadata.name"), "seeds");

	web = pol_by_name(set, "seeds", "compose-web");
	assert_string_equal(web->origin, "compose");
	assert_sel_is(&web->pod_sel, "com.docker.compose.service", "web");
	assert_true(web->type_ingress);
	assert_true(web->type_egress);
	assert_int_equal(web->n_ingress, 3);
	assert_network_rule(&web->ingress[0], "seeds", "public");
	assert_network_rule(&web->ingress[1], "seeds", "backend");
	assert_outside_rule(&web->ingress[2]);
	assert_true(web->ingress[2].ports_present);
	assert_int_equal(web->ingress[2].n_ports, 1);
	assert_port(&web->ingress[2].ports[0], SW_PROTO_TCP, 80); /* the container port */
	assert_int_equal(web->n_egress, 3);
	assert_network_rule(&web->egress[1], "seeds", "backend");
	assert_outside_rule(&web->egress[2]);
	assert_false(web->egress[2].ports_present);
	assert_int_equal(strlen(web->content_hash), 32);

	db = pol_by_name(set, "seeds", "compose-db");
	assert_int_equal(db->n_ingress, 1); /* nothing published */
	assert_network_rule(&db->ingress[0], "seeds", "database");
	assert_int_equal(db->n_egress, 2);
	admin = pol_by_name(set, "seeds", "compose-admin");
	assert_network_rule(&admin->ingress[0], "seeds", "backend");
	assert_int_equal(log.n, 0);
	sw_policy_set_free(set);
	sw_inventory_free(inv);
}

static void test_seed_001_compose_fragments(void **state)
{
	static const struct { const char *file; size_t n; } files[] = {
		{SEEDS "001_9e647032a7b0c2d7-2.yaml", 1},
		{SEEDS "001_9e647032a7b0c2d7-3.yaml", 2},
	};

	(void)state;
	for (size_t i = 0; i < SW_ARRAY_SIZE(files); i++) {
		struct warn_log log = {0, ""};
		struct sw_inventory *inv = sw_inventory_new();
		struct sw_policy_set *set = load_compose_ok(inv, files[i].file, &log);
		const struct sw_netpol *app = pol_by_name(set, "seeds", "compose-app");
		assert_int_equal(sw_policy_set_count(set), files[i].n);
		/* no networks: the project's default network */
		assert_network_rule(&app->ingress[0], "seeds", "default");
		assert_int_equal(app->n_ingress, 1);
		assert_int_equal(app->n_egress, 2);
		assert_int_equal(log.n, 0);
		sw_policy_set_free(set);
		sw_inventory_free(inv);
	}
}


/* The seed's three compose snippets describe one project (one directory):
 * they merge as `docker compose -f ... -f ...` would, in any order. */
static void test_compose_files_of_one_project_merge(void **state)
{
	static const char *const orders[][3] = {
		{SEEDS "001_9e647032a7b0c2d7-1.yaml", SEEDS "001_9e647032a7b0c2d7-2.yaml",
		 SEEDS "001_9e647032a7b0c2d7-3.yaml"},
		{SEEDS "001_9e647032a7b0c2d7-3.yaml", SEEDS "001_9e647032a7b0c2d7-2.yaml",
		 SEEDS "001_9e647032a7b0c2d7-1.yaml"},
	};

	(void)state;
	for (size_t o = 0; o < SW_ARRAY_SIZE(orders); o++) {
		struct sw_inventory *inv = sw_inventory_new();
		struct sw_policy_set *set = sw_policy_set_new();
		const struct sw_netpol *app, *db;
		const struct sw_endpoint *ep;
		struct sw_err err;
		for (size_t i = 0; i < 3; i++)
			assert_int_equal(sw_policy_set_load_compose(set, inv, orders[o][i], NULL, NULL, &err),
			                 SW_OK);
		assert_int_equal(sw_policy_set_count(set), 4);
		assert_int_equal(sw_inventory_n_endpoints(inv), 4);
		app = pol_by_name(set, "seeds", "compose-app");
		assert_int_equal(app->n_ingress, 2); /* backend and database, no default */
		ep = ep_by_id(inv, "seeds/app");
		assert_non_null(sw_labels_get(&ep->labels, "segwatch.compose/net.backend"));
		assert_non_null(sw_labels_get(&ep->labels, "segwatch.compose/net.database"));
		assert_null(sw_labels_get(&ep->labels, "segwatch.compose/net.default"));
		db = pol_by_name(set, "seeds", "compose-db");
		assert_int_equal(db->n_ingress, 1);
		assert_network_rule(&db->ingress[0], "seeds", "database");
		assert_int_equal(pol_by_name(set, "seeds", "compose-web")->n_ingress, 3);
		sw_policy_set_free(set);
		sw_inventory_free(inv);
	}
}

static void test_compose_translation(void **state)
{
	struct warn_log log = {0, ""};
	struct sw_inventory *inv = sw_inventory_new();
	struct sw_policy_set *set = load_compose_ok(inv, COMPOSE "shop/docker-compose.yml", &log);
	const struct sw_netpol *web, *db, *worker, *offline, *sidecar;
	const struct sw_rule *out;
	const struct sw_endpoint *api;

	(void)state;
	assert_int_equal(sw_inventory_n_endpoints(inv), 7);
	assert_int_equal(sw_policy_set_count(set), 6); /* not tool: network_mode host */
	assert_non_null(strstr(log.all, "service tool uses network_mode host"));

	web = pol_by_name(set, "shop", "compose-web"); /* "Shop" normalized */
	assert_int_equal(web->n_ingress, 3);
	out = &web->ingress[2];
	assert_outside_rule(out);
	/* 127.0.0.1 and [::1] bindings are not reachable from outside */
	assert_int_equal(out->n_ports, 5);
	assert_port(&out->ports[0], SW_PROTO_TCP, 80);
	assert_port(&out->ports[1], SW_PROTO_TCP, 443);
	assert_int_equal(out->ports[2].proto, SW_PROTO_UDP);
	assert_int_equal(out->ports[2].port, 6000);
	assert_int_equal(out->ports[2].end_port, 6002);
	assert_port(&out->ports[3], SW_PROTO_TCP, 8443);
	assert_port(&out->ports[4], SW_PROTO_UDP, 53);

	db = pol_by_name(set, "shop", "compose-db"); /* only on an internal network */
	assert_int_equal(db->n_ingress, 1);
	assert_network_rule(&db->ingress[0], "shop", "data");
	assert_int_equal(db->n_egress, 1);

	worker = pol_by_name(set, "shop", "compose-worker"); /* service:api */
	assert_int_equal(worker->n_ingress, 1);
	assert_network_rule(&worker->ingress[0], "shop", "back");
	assert_string_equal(sw_labels_get(&ep_by_id(inv, "shop/worker")->labels,
	                                  "segwatch.compose/net.back"), "true");

	offline = pol_by_name(set, "shop", "compose-offline"); /* none: isolated */
	assert_int_equal(offline->n_ingress, 0);
	assert_int_equal(offline->n_egress, 0);
	assert_true(offline->type_ingress && offline->type_egress);

	sidecar = pol_by_name(set, "shop", "compose-sidecar");
	assert_network_rule(&sidecar->ingress[0], "shop", "default");

	api = ep_by_id(inv, "shop/api");
	assert_true(has_addr(api, "172.30.0.10")); /* static ipv4_address */
	assert_int_equal(api->n_prefixes, 1);
	assert_string_equal(ep_by_id(inv, "shop/web")->ports[4].name, "https");
	sw_policy_set_free(set);
	sw_inventory_free(inv);
}

static void test_compose_addresses_from_inventory(void **state)
{
	struct warn_log log = {0, ""};
	struct sw_inventory *inv = sw_inventory_new();
	struct sw_policy_set *set;
	struct sw_endpoint ep;
	struct sw_prefix p = pfx("10.1.0.5");
	struct sw_err err;
	const struct sw_endpoint *api, *web;
	struct sw_addr a;

	(void)state;
	memset(&ep, 0, sizeof(ep));
	ep.id = (char[]){"shop/web"};
	ep.prefixes = &p;
	ep.n_prefixes = 1;
	assert_int_equal(sw_inventory_add_endpoint(inv, &ep, &err), SW_OK);
	assert_int_equal(sw_inventory_load_file(inv, COMPOSE "inspect-shop.json", collect, &log, &err),
	                 SW_OK);
	assert_int_equal(sw_inventory_n_endpoints(inv), 4);
	set = load_compose_ok(inv, COMPOSE "shop/docker-compose.yml", &log);
	web = ep_by_id(inv, "shop/web"); /* same id: its address is kept */
	assert_true(has_addr(web, "10.1.0.5"));
	assert_string_equal(web->kind, "service");
	assert_string_equal(sw_labels_get(&web->labels, "segwatch.compose/net.front"), "true");
	api = ep_by_id(inv, "shop/api"); /* shop-api-1 and shop_api_2 absorbed */
	assert_int_equal(api->n_prefixes, 3);
	assert_true(has_addr(api, "172.17.0.2"));
	assert_true(has_addr(api, "172.17.0.3"));
	assert_true(has_addr(api, "172.30.0.10"));
	assert_int_equal(sw_inventory_find_endpoint(inv, "docker/shop-api-1"), -1);
	assert_int_equal(sw_inventory_find_endpoint(inv, "docker/shop_api_2"), -1);
	assert_true(sw_inventory_find_endpoint(inv, "docker/shop-apix-1") >= 0);
	assert_int_equal(sw_addr_parse("172.17.0.3", &a), SW_OK);
	assert_int_equal(sw_inventory_lookup(inv, &a), sw_inventory_find_endpoint(inv, "shop/api"));
	sw_policy_set_free(set);
	sw_inventory_free(inv);
}

static void test_compose_docker_inspect_labels(void **state)
{
	struct warn_log log = {0, ""};
	struct sw_inventory *inv = sw_inventory_new();
	struct sw_policy_set *set;
	struct sw_err err;
	char path[256];

	(void)state;
	assert_int_equal(sw_inventory_load_file(inv, "tests/data/inventory/docker-inspect.json",
	                                        collect, &log, &err), SW_OK);
	write_case(path, sizeof(path), "compose.yml",
	           "name: shop\nservices:\n  web: {networks: [backend, public]}\n"
	           "  app: {networks: [backend]}\nnetworks: {backend: {}, public: {}}\n");
	set = load_compose_ok(inv, path, &log);
	assert_int_equal(ep_by_id(inv, "shop/web")->n_prefixes, 4);
	assert_true(has_addr(ep_by_id(inv, "shop/app"), "172.20.0.4"));
	assert_true(sw_inventory_find_endpoint(inv, "shop/handmade") >= 0);
	assert_int_equal(sw_policy_set_count(set), 2);
	unlink(path);
	sw_policy_set_free(set);
	sw_inventory_free(inv);
}

static void test_compose_project_from_directory(void **state)
{
	struct warn_log log = {0, ""};
	struct sw_inventory *inv = sw_inventory_new();
	struct sw_policy_set *set = load_compose_ok(inv, COMPOSE "noname.yml", &log);

	(void)state;
	assert_non_null(pol_by_name(set, "compose", "compose-web"));
	assert_port(&pol_by_name(set, "compose", "compose-web")->ingress[1].ports[0], SW_PROTO_TCP, 80);
	sw_policy_set_free(set);
	sw_inventory_free(inv);
}

static void test_compose_errors(void **state)
{
	static const struct np_err_case cases[] = {
		{"name: p\nservices:\n  web:\n    networks: [front]\n", SW_ERR_INVALID, "4:16: service web refers to undefined network front"},
		{"name: p\nservices:\n  web:\n    ports: [\"80:abc\"]\n", SW_ERR_INVALID, "4:13: expected a container port (1-65535, or a range N-M), got \"abc\""},
		{"name: p\nservices:\n  web:\n    ports: [\"80/icmp\"]\n", SW_ERR_PARSE, "4:13: expected a protocol tcp, udp or sctp, got \"icmp\""},
		{"name: p\nservices:\n  web:\n    ports: [\"70000\"]\n", SW_ERR_INVALID, "4:13: expected a container port"},
		{"name: p\nservices:\n  web:\n    ports: [\"bad.ip:80:80\"]\n", SW_ERR_INVALID, "4:13: expected a host IP address in the port mapping, got \"bad.ip\""},
		{"name: p\nservices:\n  web:\n    ports:\n    - {published: 80}\n", SW_ERR_PARSE, "5:7: missing field \"target\""},
		{"name: p\nservices:\n  web:\n    network_mode: none\n    networks: [default]\n", SW_ERR_INVALID, "4:19: service web has both network_mode and networks"},
		{"name: p\nservices:\n  web:\n    network_mode: \"service:nope\"\n", SW_ERR_INVALID, "4:19: network_mode service:nope names no service"},
		{"name: p\nnetworks: {}\n", SW_ERR_PARSE, "1:1: missing field \"services\""},
		{"name: p\nservices: [web]\n", SW_ERR_PARSE, "2:11: expected a map of services, got a sequence"},
		{"name: p\nservices:\n  web:\nnetworks:\n  n: {internal: maybe}\n", SW_ERR_PARSE, "5:17: expected internal: true or false, got \"maybe\""},
		{"name: p\nservices:\n  web: {image: x\n", SW_ERR_PARSE, "4:1: invalid YAML"},
	};
	char path[256], want[900], buf[700];
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < SW_ARRAY_SIZE(cases); i++) {
		struct sw_policy_set *set = sw_policy_set_new();
		struct sw_inventory *inv = sw_inventory_new();
		struct sw_err err;
		enum sw_status st;
		write_case(path, sizeof(path), "compose.yml", cases[i].text);
		sw_err_clear(&err);
		st = sw_policy_set_load_compose(set, inv, path, NULL, NULL, &err);
		snprintf(want, sizeof(want), "%s:%s", path, cases[i].want);
		sw_err_format(&err, buf, sizeof(buf));
		if (st != cases[i].status || strncmp(buf, want, strlen(want)) != 0) {
			print_error("case %zu: status %d\n got  %s\n want %s\n", i, st, buf, want);
			bad++;
		}
		/* nothing of a failed file is kept */
		assert_int_equal(sw_policy_set_count(set), 0);
		assert_int_equal(sw_inventory_n_endpoints(inv), 0);
		sw_policy_set_free(set);
		sw_inventory_free(inv);
		unlink(path);
	}
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_add_copies),
		cmocka_unit_test(test_seed_000_microservices),
		cmocka_unit_test(test_seed_001_db_policy),
		cmocka_unit_test(test_seed_003_allow_frontend),
		cmocka_unit_test(test_seed_003_ingress_is_skipped),
		cmocka_unit_test(test_policy_types_default),
		cmocka_unit_test(test_absent_vs_empty),
		cmocka_unit_test(test_selectors),
		cmocka_unit_test(test_ipblock_v6_and_sloppy_cidr),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_list_and_json),
		cmocka_unit_test(test_multi_document_and_duplicates),
		cmocka_unit_test(test_unknown_field_warnings),
		cmocka_unit_test(test_policy_errors),
		cmocka_unit_test(test_failed_file_keeps_nothing),
		cmocka_unit_test(test_hostile_policy_file),
		cmocka_unit_test(test_seed_001_compose_networks),
		cmocka_unit_test(test_seed_001_compose_fragments),
		cmocka_unit_test(test_compose_files_of_one_project_merge),
		cmocka_unit_test(test_compose_translation),
		cmocka_unit_test(test_compose_addresses_from_inventory),
		cmocka_unit_test(test_compose_docker_inspect_labels),
		cmocka_unit_test(test_compose_project_from_directory),
		cmocka_unit_test(test_compose_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
