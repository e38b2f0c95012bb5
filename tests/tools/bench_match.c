/*
 * bench_match.c - benchmark of the policy engine: builds an inventory of
 * 10,000 endpoints and a set of 2,000 NetworkPolicies in memory, times
 * building and compiling them, then times judge() over random flows.
 * Then writes the same inputs as YAML files (the native inventory form
 * and NetworkPolicy manifests) and times loading them through the file
 * loaders and compiling the result, as `segwatch policy` would.
 * No thresholds: the targets are printed next to the measurements.
 *
 *   bench_match [ENDPOINTS [POLICIES [LOOKUPS]]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "segwatch/inventory.h"
#include "segwatch/match.h"
#include "segwatch/netpol.h"
#include "segwatch/textparse.h"

#define N_NAMESPACES 50
#define N_FLOWS (1u << 20)

static const char *const tiers[] = {"web", "api", "db", "cache"};
static const char *const envs[] = {"prod", "staging", "dev"};

struct rng {
	uint64_t s;
};

static uint32_t rnd(struct rng *r, uint32_t n)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return (uint32_t)((r->s >> 11) % n);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const struct sw_err *err)
{
	fprintf(stderr, "bench_match: %s: %s\n", what, err ? err->msg : "out of memory");
	exit(1);
}

static void set_label(struct sw_labels *l, const char *k, const char *v)
{
	if (sw_labels_set(l, k, v) != SW_OK)
		die("labels", NULL);
}

/* Endpoint i: namespace ns<i % 50>, app=app<i>, tier, two named ports,
 * address 10.<i / 65536 + 64>.<i / 256 % 256>.<i % 256>; every tenth has
 * an IPv6 address as well. */
static void add_endpoint(struct sw_inventory *inv, size_t i)
{
	struct sw_endpoint ep;
	char id[64], ns[16], name[32], app[32], ip[64];
	char n_http[] = "http", n_metrics[] = "metrics", kind[] = "Deployment";
	struct sw_prefix pfx[2];
	struct sw_named_port ports[2] = {
		{8080, SW_PROTO_TCP, n_http}, {9090, SW_PROTO_TCP, n_metrics},
	};
	struct sw_err err;

	memset(&ep, 0, sizeof(ep));
	snprintf(ns, sizeof(ns), "ns%zu", i % N_NAMESPACES);
	snprintf(name, sizeof(name), "w%zu", i);
	snprintf(id, sizeof(id), "%s/%s", ns, name);
	snprintf(app, sizeof(app), "app%zu", i);
	ep.id = id;
	ep.ns = ns;
	ep.name = name;
	ep.kind = kind;
	set_label(&ep.labels, "app", app);
	set_label(&ep.labels, "tier", tiers[i % 4]);
	snprintf(ip, sizeof(ip), "10.%zu.%zu.%zu", i / 65536 + 64, i / 256 % 256, i % 256);
	if (sw_prefix_parse(ip, false, &pfx[ep.n_prefixes++]) != SW_OK)
		die("address", NULL);
	if (i % 10 == 0) {
		snprintf(ip, sizeof(ip), "fd00::%zx", i);
		if (sw_prefix_parse(ip, false, &pfx[ep.n_prefixes++]) != SW_OK)
			die("address", NULL);
	}
	ep.prefixes = pfx;
	ep.ports = ports;
	ep.n_ports = 2;
	if (sw_inventory_add_endpoint(inv, &ep, &err) != SW_OK)
		die("endpoint", &err);
	sw_labels_clear(&ep.labels);
}

static void add_namespaces(struct sw_inventory *inv)
{
	for (size_t n = 0; n < N_NAMESPACES; n++) {
		struct sw_labels l = {0, NULL};
		char name[16], team[16];
		struct sw_err err;

		snprintf(name, sizeof(name), "ns%zu", n);
		snprintf(team, sizeof(team), "t%zu", n % 10);
		set_label(&l, "team", team);
		set_label(&l, "env", envs[n % 3]);
		if (sw_inventory_add_namespace(inv, name, &l, &err) != SW_OK)
			die("namespace", &err);
		sw_labels_clear(&l);
	}
}

/* ---- policies: every struct on the stack, deep-copied by the set ---- */

struct sel_buf {
	char key[16], val[32];
	char *vals[1];
	struct sw_sel_req req;
};

static struct sw_selector one_label(struct sel_buf *b, const char *k, const char *v)
{
	snprintf(b->key, sizeof(b->key), "%s", k);
	snprintf(b->val, sizeof(b->val), "%s", v);
	b->vals[0] = b->val;
	b->req = (struct sw_sel_req){b->key, SW_SEL_IN, 1, b->vals};
	return (struct sw_selector){1, &b->req};
}

/* Policy p of namespace n: the first of each namespace is default-deny;
 * the others select one app (or a tier) and admit two apps of their
 * namespace, a team's namespaces and an external block on a few ports,
 * and send to two apps, DNS and the Internet outside 10/8. */
static void add_policy(struct sw_policy_set *set, size_t p, size_t n_ep, struct rng *g)
{
	size_t ns = p % N_NAMESPACES;
	char ns_name[16], name[32], app[32], a1[32], a2[32], team[16], origin[] = "k8s";
	char n_http[] = "http", n_metrics[] = "metrics";
	struct sel_buf sb_target, sb_from1, sb_from2, sb_team, sb_to1, sb_to2;
	struct sw_prefix exc[2];
	struct sw_peer in_peers[4], out_peers[3];
	struct sw_port_rule in_ports[3], out_ports[2], dns_port[1];
	struct sw_rule in_rules[1], out_rules[2];
	struct sw_netpol pol;
	struct sw_err err;
	size_t base = ns + N_NAMESPACES * rnd(g, (uint32_t)(n_ep / N_NAMESPACES));

	memset(&pol, 0, sizeof(pol));
	snprintf(ns_name, sizeof(ns_name), "ns%zu", ns);
	snprintf(name, sizeof(name), "pol%zu", p);
	pol.ns = ns_name;
	pol.name = name;
	pol.origin = origin;
	pol.type_ingress = pol.type_egress = true;
	if (p < N_NAMESPACES) { /* default deny */
		if (sw_policy_set_add(set, &pol, &err) != SW_OK)
			die("policy", &err);
		return;
	}
	snprintf(app, sizeof(app), "app%zu", base);
	pol.pod_sel = p % 7 == 0 ? one_label(&sb_target, "tier", tiers[p % 4])
	                         : one_label(&sb_target, "app", app);
	snprintf(a1, sizeof(a1), "app%zu", (base + N_NAMESPACES) % n_ep);
	snprintf(a2, sizeof(a2), "app%zu", (base + 2 * N_NAMESPACES) % n_ep);
	snprintf(team, sizeof(team), "t%u", rnd(g, 10));
	memset(in_peers, 0, sizeof(in_peers));
	in_peers[0].has_pod_sel = true;
	in_peers[0].pod_sel = one_label(&sb_from1, "app", a1);
	in_peers[1].has_pod_sel = true;
	in_peers[1].pod_sel = one_label(&sb_from2, "app", a2);
	in_peers[2].has_ns_sel = in_peers[2].has_pod_sel = true;
	in_peers[2].ns_sel = one_label(&sb_team, "team", team);
	in_peers[2].pod_sel = one_label(&sb_to1, "tier", tiers[(p + 1) % 4]);
	in_peers[3].has_ipblock = true;
	if (sw_prefix_parse("192.168.0.0/16", true, &in_peers[3].ipblock.cidr) != SW_OK)
		die("cidr", NULL);
	memset(in_ports, 0, sizeof(in_ports));
	in_ports[0] = (struct sw_port_rule){SW_PROTO_TCP, true, n_http, 0, 0, 0};
	in_ports[1] = (struct sw_port_rule){SW_PROTO_TCP, true, NULL, (uint16_t)(8000 + p % 100),
	                                    (uint16_t)(8000 + p % 100 + 10), 0};
	in_ports[2] = (struct sw_port_rule){SW_PROTO_UDP, true, NULL, 5353, 5353, 0};
	in_rules[0] = (struct sw_rule){true, 4, in_peers, true, 3, in_ports, 0};

	memset(out_peers, 0, sizeof(out_peers));
	out_peers[0].has_pod_sel = true;
	out_peers[0].pod_sel = one_label(&sb_to2, "app", a1);
	out_peers[1].has_ipblock = true;
	if (sw_prefix_parse("0.0.0.0/0", true, &out_peers[1].ipblock.cidr) != SW_OK ||
	    sw_prefix_parse("10.0.0.0/8", true, &exc[0]) != SW_OK ||
	    sw_prefix_parse("172.16.0.0/12", true, &exc[1]) != SW_OK)
		die("cidr", NULL);
	out_peers[1].ipblock.except = exc;
	out_peers[1].ipblock.n_except = 2;
	out_ports[0] = (struct sw_port_rule){SW_PROTO_TCP, true, NULL, 443, 443, 0};
	out_ports[1] = (struct sw_port_rule){SW_PROTO_TCP, true, n_metrics, 0, 0, 0};
	out_rules[0] = (struct sw_rule){true, 2, out_peers, true, 2, out_ports, 0};
	dns_port[0] = (struct sw_port_rule){SW_PROTO_UDP, true, NULL, 53, 53, 0};
	out_rules[1] = (struct sw_rule){false, 0, NULL, true, 1, dns_port, 0};

	pol.ingress = in_rules;
	pol.n_ingress = 1;
	pol.egress = out_rules;
	pol.n_egress = 2;
	if (sw_policy_set_add(set, &pol, &err) != SW_OK)
		die("policy", &err);
}

/* ---- the same inputs as files ---- */

static void yaml_labels(FILE *f, const struct sw_labels *l)
{
	fputc('{', f);
	for (size_t i = 0; i < l->n; i++)
		fprintf(f, "%s\"%s\": \"%s\"", i ? ", " : "", l->items[i].key, l->items[i].value);
	fputc('}', f);
}

static void write_inventory(const struct sw_inventory *inv, const char *path)
{
	FILE *f = fopen(path, "w");
	char buf[SW_PREFIX_STRLEN];

	if (f == NULL)
		die(path, NULL);
	fputs("namespaces:\n", f);
	for (size_t i = 0; i < sw_inventory_n_namespaces(inv); i++) {
		const struct sw_namespace *ns = sw_inventory_namespace(inv, i);
		fprintf(f, "- name: %s\n  labels: ", ns->name);
		yaml_labels(f, &ns->labels);
		fputc('\n', f);
	}
	fputs("endpoints:\n", f);
	for (size_t i = 0; i < sw_inventory_n_endpoints(inv); i++) {
		const struct sw_endpoint *e = sw_inventory_endpoint(inv, i);
		fprintf(f, "- id: %s\n  namespace: %s\n  name: %s\n  labels: ", e->id, e->ns, e->name);
		yaml_labels(f, &e->labels);
		fputs("\n  ips: [", f);
		for (size_t k = 0; k < e->n_prefixes; k++)
			fprintf(f, "%s\"%s\"", k ? ", " : "",
			        sw_prefix_format(&e->prefixes[k], buf, sizeof(buf)));
		fputs("]\n  ports:\n", f);
		for (size_t k = 0; k < e->n_ports; k++)
			fprintf(f, "  - {port: %u, protocol: %s, name: %s}\n", e->ports[k].port,
			        e->ports[k].proto == SW_PROTO_UDP ? "UDP" : "TCP", e->ports[k].name);
	}
	if (fclose(f) != 0)
		die(path, NULL);
}

static void yaml_selector(FILE *f, const char *indent, const struct sw_selector *s)
{
	static const char *const ops[] = {"In", "NotIn", "Exists", "DoesNotExist"};

	if (s->n_reqs == 0) {
		fputs(" {}\n", f);
		return;
	}
	fprintf(f, "\n%s  matchExpressions:\n", indent);
	for (size_t i = 0; i < s->n_reqs; i++) {
		fprintf(f, "%s  - {key: \"%s\", operator: %s", indent, s->reqs[i].key,
		        ops[s->reqs[i].op]);
		if (s->reqs[i].n_values > 0) {
			fputs(", values: [", f);
			for (size_t v = 0; v < s->reqs[i].n_values; v++)
				fprintf(f, "%s\"%s\"", v ? ", " : "", s->reqs[i].values[v]);
			fputc(']', f);
		}
		fputs("}\n", f);
	}
}

static void yaml_rules(FILE *f, const char *key, const char *peers_key, size_t n,
                       const struct sw_rule *rs)
{
	char buf[SW_PREFIX_STRLEN];

	if (n == 0)
		return;
	fprintf(f, "  %s:\n", key);
	for (size_t i = 0; i < n; i++) {
		const struct sw_rule *r = &rs[i];
		fputs("  - ", f);
		if (!r->peers_present && !r->ports_present)
			fputs("{}", f);
		if (r->peers_present) {
			fprintf(f, "%s:\n", peers_key);
			for (size_t k = 0; k < r->n_peers; k++) {
				const struct sw_peer *pe = &r->peers[k];
				const char *lead = "    - ";
				if (pe->has_ipblock) {
					fprintf(f, "%sipBlock:\n        cidr: \"%s\"\n", lead,
					        sw_prefix_format(&pe->ipblock.cidr, buf, sizeof(buf)));
					if (pe->ipblock.n_except)
						fputs("        except:\n", f);
					for (size_t x = 0; x < pe->ipblock.n_except; x++)
						fprintf(f, "        - \"%s\"\n",
						        sw_prefix_format(&pe->ipblock.except[x], buf, sizeof(buf)));
					continue;
				}
				if (pe->has_ns_sel) {
					fprintf(f, "%snamespaceSelector:", lead);
					yaml_selector(f, "      ", &pe->ns_sel);
					lead = "      ";
				}
				if (pe->has_pod_sel) {
					fprintf(f, "%spodSelector:", lead);
					yaml_selector(f, "      ", &pe->pod_sel);
				}
			}
		}
		if (r->ports_present) {
			fprintf(f, "%sports:\n", r->peers_present ? "    " : "");
			for (size_t k = 0; k < r->n_ports; k++) {
				const struct sw_port_rule *pr = &r->ports[k];
				fprintf(f, "    - protocol: %s\n", pr->proto == SW_PROTO_UDP ? "UDP" : "TCP");
				if (pr->port_name)
					fprintf(f, "      port: %s\n", pr->port_name);
				else if (pr->has_port)
					fprintf(f, "      port: %u\n", pr->port);
				if (!pr->port_name && pr->has_port && pr->end_port > pr->port)
					fprintf(f, "      endPort: %u\n", pr->end_port);
			}
		}
		fputc('\n', f);
	}
}

static void write_policies(const struct sw_policy_set *set, const char *path)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		die(path, NULL);
	for (size_t i = 0; i < sw_policy_set_count(set); i++) {
		const struct sw_netpol *p = sw_policy_set_get(set, i);
		fprintf(f, "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n"
		        "  name: %s\n  namespace: %s\nspec:\n  podSelector:", p->name, p->ns);
		yaml_selector(f, "  ", &p->pod_sel);
		fprintf(f, "  policyTypes: [%s%s%s]\n", p->type_ingress ? "Ingress" : "",
		        p->type_ingress && p->type_egress ? ", " : "", p->type_egress ? "Egress" : "");
		yaml_rules(f, "ingress", "from", p->n_ingress, p->ingress);
		yaml_rules(f, "egress", "to", p->n_egress, p->egress);
	}
	if (fclose(f) != 0)
		die(path, NULL);
}

struct flow {
	struct sw_addr src, dst;
	uint8_t proto;
	uint16_t port;
};

/* Writes inv and set to files, loads them back, compiles; prints times.
 * The result must judge the flows exactly as m (compiled from memory). */
static void bench_files(const struct sw_inventory *inv, const struct sw_policy_set *set,
                        const struct sw_matcher *m0, const struct flow *fl, size_t n_fl)
{
	size_t differ = 0;
	char dir[] = "/tmp/bench_match.XXXXXX", ipath[64], ppath[64];
	struct sw_inventory *inv2 = sw_inventory_new();
	struct sw_policy_set *set2 = sw_policy_set_new();
	struct sw_matcher *m;
	struct sw_err err;
	double t0, t1, t2;

	if (mkdtemp(dir) == NULL || inv2 == NULL || set2 == NULL)
		die("temporary directory", NULL);
	snprintf(ipath, sizeof(ipath), "%s/inventory.yaml", dir);
	snprintf(ppath, sizeof(ppath), "%s/policies.yaml", dir);
	write_inventory(inv, ipath);
	write_policies(set, ppath);
	t0 = now();
	if (sw_inventory_load_file(inv2, ipath, NULL, NULL, &err) != SW_OK)
		die(ipath, &err);
	if (sw_policy_set_load_file(set2, ppath, NULL, NULL, &err) != SW_OK)
		die(ppath, &err);
	t1 = now();
	m = sw_matcher_new(inv2, set2, &err);
	if (m == NULL)
		die("compile", &err);
	t2 = now();
	for (size_t i = 0; i < n_fl; i++) {
		struct sw_judgement a, b;
		sw_matcher_judge(m0, &fl[i].src, &fl[i].dst, fl[i].proto, fl[i].port, &a);
		sw_matcher_judge(m, &fl[i].src, &fl[i].dst, fl[i].proto, fl[i].port, &b);
		differ += a.verdict != b.verdict || a.reason != b.reason;
	}
	printf("  from files         load %.3f s + compile %.3f s = %.3f s  (target < 2 s; "
	       "%zu endpoints, %zu policies loaded)\n",
	       t1 - t0, t2 - t1, t2 - t0, sw_inventory_n_endpoints(inv2),
	       sw_policy_set_count(set2));
	printf("  verdicts from files vs memory: %zu of %zu differ%s\n", differ, n_fl,
	       differ ? "  <-- MISMATCH" : "");
	sw_matcher_free(m);
	sw_policy_set_free(set2);
	sw_inventory_free(inv2);
	unlink(ipath);
	unlink(ppath);
	rmdir(dir);
}

/* ---- flows ---- */

static void random_addr(struct rng *g, size_t n_ep, struct sw_addr *a)
{
	uint8_t v4[4];
	uint32_t r = rnd(g, 100);

	if (r < 85) { /* an endpoint */
		uint32_t i = rnd(g, (uint32_t)n_ep);
		v4[0] = 10;
		v4[1] = (uint8_t)(i / 65536 + 64);
		v4[2] = (uint8_t)(i / 256 % 256);
		v4[3] = (uint8_t)(i % 256);
	} else if (r < 95) { /* the Internet */
		uint32_t x = rnd(g, 0x7fffffff) * 2u + 1u;
		memcpy(v4, &x, 4);
	} else { /* private, external */
		v4[0] = 192;
		v4[1] = 168;
		v4[2] = (uint8_t)rnd(g, 256);
		v4[3] = (uint8_t)rnd(g, 256);
	}
	sw_addr_from_v4(a, v4);
}

static struct flow *make_flows(size_t n_ep)
{
	static const uint16_t ports[] = {8080, 9090, 443, 53, 5353, 8005, 22, 80};
	struct flow *fl = calloc(N_FLOWS, sizeof(*fl));
	struct rng g = {0x1234567887654321ull};

	if (fl == NULL)
		die("flows", NULL);
	for (size_t i = 0; i < N_FLOWS; i++) {
		random_addr(&g, n_ep, &fl[i].src);
		random_addr(&g, n_ep, &fl[i].dst);
		fl[i].port = ports[rnd(&g, SW_ARRAY_SIZE(ports))];
		fl[i].proto = fl[i].port == 53 || fl[i].port == 5353 ? SW_PROTO_UDP : SW_PROTO_TCP;
	}
	return fl;
}

static uint64_t arg(int argc, char **argv, int i, uint64_t def)
{
	uint64_t v;

	if (argc <= i)
		return def;
	if (sw_parse_u64(argv[i], strlen(argv[i]), 1, 1000000000ull, &v) != SW_OK) {
		fprintf(stderr, "usage: bench_match [ENDPOINTS [POLICIES [LOOKUPS]]]\n");
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	size_t n_ep = arg(argc, argv, 1, 10000), n_pol = arg(argc, argv, 2, 2000);
	uint64_t lookups = arg(argc, argv, 3, 50000000);
	struct sw_inventory *inv = sw_inventory_new();
	struct sw_policy_set *set = sw_policy_set_new();
	struct sw_matcher *m;
	struct sw_matcher_stats st;
	struct sw_err err;
	struct rng g = {0x9e3779b97f4a7c15ull};
	struct flow *fl;
	double t0, t1, t2, t3;
	uint64_t allowed = 0, reasons[SW_REASON_COUNT] = {0};

	if (inv == NULL || set == NULL || n_ep < N_NAMESPACES)
		die("setup", NULL);
	t0 = now();
	add_namespaces(inv);
	for (size_t i = 0; i < n_ep; i++)
		add_endpoint(inv, i);
	for (size_t p = 0; p < n_pol; p++)
		add_policy(set, p, n_ep, &g);
	(void)sw_inventory_n_endpoints(inv);
	t1 = now();
	m = sw_matcher_new(inv, set, &err);
	if (m == NULL)
		die("compile", &err);
	t2 = now();
	sw_matcher_get_stats(m, &st);
	fl = make_flows(n_ep);
	for (size_t i = 0; i < N_FLOWS; i++) { /* warm the cache */
		struct sw_judgement j;
		sw_matcher_judge(m, &fl[i].src, &fl[i].dst, fl[i].proto, fl[i].port, &j);
		reasons[j.reason]++;
	}
	t3 = now();
	for (uint64_t k = 0; k < lookups; k++) {
		const struct flow *f = &fl[k & (N_FLOWS - 1)];
		struct sw_judgement j;
		sw_matcher_judge(m, &f->src, &f->dst, f->proto, f->port, &j);
		allowed += j.verdict == SW_VERDICT_ALLOWED;
	}
	t3 = now() - t3;
	printf("policy engine: %zu endpoints, %zu policies, %zu namespaces\n", st.endpoints,
	       st.policies, (size_t)N_NAMESPACES);
	printf("  build inputs       %8.3f s\n", t1 - t0);
	printf("  compile            %8.3f s  (target: inputs + compile < 2 s)\n", t2 - t1);
	printf("  compiled form      %zu endpoint classes, %zu external classes, %zu address "
	       "ranges, %zu peer lists, %zu rules, %.1f MiB\n",
	       st.endpoint_classes, st.external_classes, st.address_ranges, st.peer_lists,
	       st.rules, (double)st.bytes / (1024.0 * 1024.0));
	printf("  judge              %8.2f M lookups/s  (target >= 10 M/s; %llu lookups, "
	       "%.1f%% allowed)\n",
	       (double)lookups / t3 / 1e6, (unsigned long long)lookups,
	       100.0 * (double)allowed / (double)lookups);
	bench_files(inv, set, m, fl, N_FLOWS);
	printf("  reasons:");
	for (int r = 0; r < SW_REASON_COUNT; r++)
		printf(" %s=%.1f%%", sw_reason_name((enum sw_reason)r),
		       100.0 * (double)reasons[r] / N_FLOWS);
	printf("\n");
	free(fl);
	sw_matcher_free(m);
	sw_policy_set_free(set);
	sw_inventory_free(inv);
	return 0;
}
