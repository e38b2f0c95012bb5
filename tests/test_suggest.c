/*
 * test_suggest.c - suggested policies (segwatch/suggest.h), judged by
 * round trip: the YAML is loaded back with the NetworkPolicy loader and
 * compiled with the matcher; every baseline edge must be allowed
 * (sw_matcher_judge), and the connection list (connlist.h) must equal
 * exactly the edges plus the DNS rules, written here by hand per case.
 * Also: skipped edges, determinism, quoting, namespace selection, the
 * header, and reading baseline_edges from a real store.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "segwatch/connlist.h"
#include "segwatch/inventory.h"
#include "segwatch/match.h"
#include "segwatch/netpol.h"
#include "segwatch/proto.h"
#include "segwatch/store.h"
#include "segwatch/suggest.h"

#define THREE_TIER "examples/inventory.yaml"
#define TCP SW_PROTO_TCP
#define UDP SW_PROTO_UDP

/* ---- helpers ---- */

static char *write_tmp(const char *text, const char *suffix)
{
	char *path = malloc(64);
	int fd;
	FILE *f;

	assert_non_null(path);
	snprintf(path, 64, "/tmp/test_suggest_XXXXXX%s", suffix);
	fd = mkstemps(path, (int)strlen(suffix));
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void fail_warn(void *ctx, const struct sw_err *w)
{
	(void)ctx;
	fail_msg("unexpected warning: %s", w->msg);
}

static void count_warn(void *ctx, const struct sw_err *w)
{
	(void)w;
	(*(int *)ctx)++;
}

static struct sw_inventory *inv_from_file(const char *path)
{
	struct sw_inventory *inv = sw_inventory_new();
	struct sw_err err;

	assert_non_null(inv);
	if (sw_inventory_load_file(inv, path, NULL, NULL, &err) != SW_OK)
		fail_msg("%s: %s", path, err.msg);
	return inv;
}

static struct sw_inventory *inv_from_text(const char *text)
{
	char *path = write_tmp(text, ".yaml");
	struct sw_inventory *inv = inv_from_file(path);

	unlink(path);
	free(path);
	return inv;
}

/* A suggestion loaded back. */
struct rt {
	struct sw_inventory *inv;
	char *yaml;
	struct sw_suggest_stats stats;
	struct sw_policy_set *set;
	struct sw_matcher *m;
};

static void suggest_and_load(struct rt *rt, const struct sw_suggest_edge *edges, size_t n,
                             const struct sw_suggest_options *opt)
{
	struct sw_err err;
	char *path;

	if (sw_suggest_yaml(rt->inv, edges, n, opt, &rt->yaml, NULL, &rt->stats, &err) != SW_OK)
		fail_msg("suggest: %s", err.msg);
	path = write_tmp(rt->yaml, ".yaml");
	rt->set = sw_policy_set_new();
	assert_non_null(rt->set);
	if (sw_policy_set_load_file(rt->set, path, fail_warn, NULL, &err) != SW_OK)
		fail_msg("loading the suggestion back: %u:%u: %s\n%s", err.line, err.column, err.msg,
		         rt->yaml);
	unlink(path);
	free(path);
	rt->m = sw_matcher_new(rt->inv, rt->set, &err);
	if (rt->m == NULL)
		fail_msg("matcher: %s", err.msg);
}

static void rt_free(struct rt *rt)
{
	sw_matcher_free(rt->m);
	sw_policy_set_free(rt->set);
	sw_inventory_free(rt->inv);
	free(rt->yaml);
}

/* An endpoint's first address, or the address itself. */
static void addr_of(const struct sw_inventory *inv, const char *id, struct sw_addr *out)
{
	long i = sw_inventory_find_endpoint(inv, id);

	if (i >= 0) {
		const struct sw_endpoint *e = sw_inventory_endpoint(inv, (size_t)i);
		assert_true(e->n_prefixes > 0);
		sw_prefix_first(&e->prefixes[0], out);
		return;
	}
	assert_int_equal(sw_addr_parse(id, out), SW_OK);
}

static void assert_allowed(const struct rt *rt, const struct sw_suggest_edge *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct sw_addr s, d;
		struct sw_judgement j;

		addr_of(rt->inv, e[i].src, &s);
		addr_of(rt->inv, e[i].dst, &d);
		sw_matcher_judge(rt->m, &s, &d, e[i].proto, e[i].port, &j);
		if (j.verdict != SW_VERDICT_ALLOWED)
			fail_msg("edge %s -> %s %u/%u denied (%s)\n%s", e[i].src, e[i].dst, e[i].proto,
			         e[i].port, sw_reason_name(j.reason), rt->yaml);
	}
}

static void assert_denied(const struct rt *rt, const char *src, const char *dst, uint8_t proto,
                          uint16_t port)
{
	struct sw_addr s, d;
	struct sw_judgement j;

	addr_of(rt->inv, src, &s);
	addr_of(rt->inv, dst, &d);
	sw_matcher_judge(rt->m, &s, &d, proto, port, &j);
	if (j.verdict != SW_VERDICT_DENIED)
		fail_msg("%s -> %s %u/%u should be denied", src, dst, proto, port);
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The connection list as "SRC DST PROTO PORT" strings, one per port. */
static char **connlist_tuples(const struct sw_matcher *m, size_t *n)
{
	struct sw_connlist *cl = NULL;
	struct sw_err err;
	char **v = NULL;
	size_t k = 0;

	assert_int_equal(sw_connlist_build(m, &cl, &err), SW_OK);
	for (size_t i = 0; i < sw_connlist_count(cl); i++) {
		const struct sw_conn *c = sw_connlist_get(cl, i);
		for (size_t r = 0; r < c->n_ranges; r++) {
			if (c->ranges[r].hi - c->ranges[r].lo > 100)
				fail_msg("over-broad connection: %s", c->line);
			for (unsigned p = c->ranges[r].lo; p <= c->ranges[r].hi; p++) {
				v = realloc(v, (k + 1) * sizeof(*v));
				assert_non_null(v);
				v[k] = malloc(300);
				assert_non_null(v[k]);
				snprintf(v[k], 300, "%s %s %s %u", c->src, c->dst,
				         sw_connlist_proto_name(c->proto), p);
				k++;
			}
		}
	}
	sw_connlist_free(cl);
	qsort(v, k, sizeof(*v), cmp_strp);
	*n = k;
	return v;
}

/* The connection list equals want (want_n strings) plus, for each id of
 * dns_from, "ID DNS TCP 53" and "ID DNS UDP 53". */
static void assert_connlist(const struct rt *rt, const char *const *want, size_t want_n,
                            const char *const *dns_from, size_t dns_n, const char *dns)
{
	size_t n_exp = want_n + 2 * dns_n, n_got = 0;
	char **exp = calloc(n_exp + 1, sizeof(*exp));
	char **got = connlist_tuples(rt->m, &n_got);
	size_t i = 0, j = 0;
	int bad = 0;

	assert_non_null(exp);
	for (size_t k = 0; k < want_n; k++)
		exp[k] = strdup(want[k]);
	for (size_t k = 0; k < dns_n; k++) {
		exp[want_n + 2 * k] = malloc(300);
		exp[want_n + 2 * k + 1] = malloc(300);
		snprintf(exp[want_n + 2 * k], 300, "%s %s TCP 53", dns_from[k], dns);
		snprintf(exp[want_n + 2 * k + 1], 300, "%s %s UDP 53", dns_from[k], dns);
	}
	qsort(exp, n_exp, sizeof(*exp), cmp_strp);
	while (i < n_exp || j < n_got) {
		int c = i == n_exp ? 1 : j == n_got ? -1 : strcmp(exp[i], got[j]);
		if (c < 0)
			print_error("missing:    %s\n", exp[i++]);
		else if (c > 0)
			print_error("unexpected: %s\n", got[j++]);
		else {
			i++;
			j++;
			continue;
		}
		bad = 1;
	}
	if (bad)
		print_error("%s", rt->yaml);
	for (size_t k = 0; k < n_exp; k++)
		free(exp[k]);
	for (size_t k = 0; k < n_got; k++)
		free(got[k]);
	free(exp);
	free(got);
	assert_int_equal(bad, 0);
}

static size_t count_policies_named(const struct sw_policy_set *set, const char *ns,
                                   const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < sw_policy_set_count(set); i++) {
		const struct sw_netpol *p = sw_policy_set_get(set, i);
		n += strcmp(p->ns, ns) == 0 && strcmp(p->name, name) == 0;
	}
	return n;
}

/* ---- the three-tier example ---- */

static const struct sw_suggest_edge three_tier_edges[] = {
	{"ingress-nginx/nginx-ingress-controller", "microservices/frontend", TCP, 8080},
	{"microservices/frontend", "microservices/backend-api", TCP, 8081},
	{"microservices/backend-api", "microservices/postgres", TCP, 5432},
	{"microservices/admin", "microservices/postgres", TCP, 5432},
	{"microservices/backend-api", "microservices/redis", TCP, 6379},
	{"microservices/backend-api", "203.0.113.10", TCP, 443},
	{"198.51.100.7", "ingress-nginx/nginx-ingress-controller", TCP, 443},
	{"198.51.100.7", "ingress-nginx/nginx-ingress-controller", TCP, 80},
	{"microservices/frontend", "kube-system/kube-dns", UDP, 53},
	{"kube-system/kube-dns", "192.0.2.53", UDP, 53},
};

static const char *const three_tier_ids[] = {
	"ingress-nginx/nginx-ingress-controller", "microservices/frontend",
	"microservices/backend-api", "microservices/postgres", "microservices/redis",
	"microservices/admin",
};

static void test_three_tier_round_trip(void **state)
{
	static const char *const want[] = {
		"ingress-nginx/nginx-ingress-controller microservices/frontend TCP 8080",
		"microservices/frontend microservices/backend-api TCP 8081",
		"microservices/backend-api microservices/postgres TCP 5432",
		"microservices/admin microservices/postgres TCP 5432",
		"microservices/backend-api microservices/redis TCP 6379",
		"microservices/backend-api ext:203.0.113.10-203.0.113.10 TCP 443",
		"ext:198.51.100.7-198.51.100.7 ingress-nginx/nginx-ingress-controller TCP 443",
		"ext:198.51.100.7-198.51.100.7 ingress-nginx/nginx-ingress-controller TCP 80",
		"kube-system/kube-dns ext:192.0.2.53-192.0.2.53 UDP 53",
	};
	struct sw_suggest_options opt;
	struct rt rt;

	(void)state;
	memset(&rt, 0, sizeof(rt));
	memset(&opt, 0, sizeof(opt));
	opt.warn = fail_warn;
	rt.inv = inv_from_file(THREE_TIER);
	suggest_and_load(&rt, three_tier_edges, SW_ARRAY_SIZE(three_tier_edges), &opt);
	assert_allowed(&rt, three_tier_edges, SW_ARRAY_SIZE(three_tier_edges));
	assert_connlist(&rt, want, SW_ARRAY_SIZE(want), three_tier_ids,
	                SW_ARRAY_SIZE(three_tier_ids), "kube-system/kube-dns");
	assert_denied(&rt, "microservices/frontend", "microservices/postgres", TCP, 5432);
	assert_denied(&rt, "microservices/backend-api", "203.0.113.11", TCP, 443);

	assert_int_equal(rt.stats.edges, SW_ARRAY_SIZE(three_tier_edges));
	assert_int_equal(rt.stats.edges_dns, 1);
	assert_int_equal(rt.stats.edges_skipped, 0);
	assert_int_equal(rt.stats.edges_used, SW_ARRAY_SIZE(three_tier_edges) - 1);
	/* the shape: a default deny and DNS egress per namespace, DNS ingress
	 * in kube-system, one ingress and one egress policy per workload */
	assert_int_equal(count_policies_named(rt.set, "microservices", "default-deny"), 1);
	assert_int_equal(count_policies_named(rt.set, "ingress-nginx", "default-deny"), 1);
	assert_int_equal(count_policies_named(rt.set, "kube-system", "default-deny"), 1);
	assert_int_equal(count_policies_named(rt.set, "kube-system", "allow-dns-ingress"), 1);
	assert_int_equal(count_policies_named(rt.set, "microservices", "allow-dns-ingress"), 0);
	assert_int_equal(count_policies_named(rt.set, "microservices", "postgres-ingress"), 1);
	assert_int_equal(count_policies_named(rt.set, "microservices", "postgres-egress"), 0);
	assert_int_equal(count_policies_named(rt.set, "microservices", "backend-api-egress"), 1);
	assert_int_equal(rt.stats.policies, sw_policy_set_count(rt.set));
	/* labels, not addresses, for endpoints; the namespace by its name */
	assert_non_null(strstr(rt.yaml, "kubernetes.io/metadata.name: ingress-nginx"));
	assert_non_null(strstr(rt.yaml, "cidr: 203.0.113.10/32"));
	assert_null(strstr(rt.yaml, "10.30."));
	rt_free(&rt);
}

/* Peers with the same ports share one rule; ports of one peer are merged. */
static void test_rules_merge_peers_and_ports(void **state)
{
	struct rt rt;
	const struct sw_netpol *pg = NULL, *ing = NULL;

	(void)state;
	memset(&rt, 0, sizeof(rt));
	rt.inv = inv_from_file(THREE_TIER);
	suggest_and_load(&rt, three_tier_edges, SW_ARRAY_SIZE(three_tier_edges), NULL);
	for (size_t i = 0; i < sw_policy_set_count(rt.set); i++) {
		const struct sw_netpol *p = sw_policy_set_get(rt.set, i);
		if (strcmp(p->name, "postgres-ingress") == 0)
			pg = p;
		if (strcmp(p->name, "nginx-ingress-controller-ingress") == 0)
			ing = p;
	}
	assert_non_null(pg);
	assert_int_equal(pg->n_ingress, 1);
	assert_int_equal(pg->ingress[0].n_peers, 2); /* admin and backend-api */
	assert_int_equal(pg->ingress[0].n_ports, 1);
	assert_non_null(ing);
	assert_int_equal(ing->n_ingress, 1);
	assert_int_equal(ing->ingress[0].n_peers, 1);
	assert_int_equal(ing->ingress[0].n_ports, 2); /* 80 and 443 */
	assert_true(ing->ingress[0].peers[0].has_ipblock);
	rt_free(&rt);
}

static void test_empty_baseline(void **state)
{
	struct rt rt;

	(void)state;
	memset(&rt, 0, sizeof(rt));
	rt.inv = inv_from_file(THREE_TIER);
	suggest_and_load(&rt, NULL, 0, NULL);
	assert_connlist(&rt, NULL, 0, three_tier_ids, SW_ARRAY_SIZE(three_tier_ids),
	                "kube-system/kube-dns");
	/* 3 namespaces x (default-deny, allow-dns-egress) + allow-dns-ingress */
	assert_int_equal(sw_policy_set_count(rt.set), 7);
	assert_non_null(strstr(rt.yaml, "# 0 baseline edges (0 used"));
	rt_free(&rt);
}

/* ---- labels that do not single endpoints out, no DNS, IPv6 ---- */

static const char tricky_inventory[] =
	"namespaces:\n"
	"- name: shop\n"
	"  labels: {team: web}\n"
	"- name: data\n"
	"endpoints:\n"
	"- id: shop/web\n"
	"  labels: {app: web}\n"
	"  ips: [10.1.0.1]\n"
	"- id: shop/web-admin\n"
	"  labels: {app: web, role: admin}\n"
	"  ips: [10.1.0.2]\n"
	"- id: shop/batch\n"
	"  ips: [10.1.0.3]\n"
	"- id: shop/Odd_Name\n"
	"  labels: {app: \"80\", enabled: \"true\", note: \"a: b\"}\n"
	"  ips: [10.1.0.4]\n"
	"- id: data/db\n"
	"  labels: {app: db}\n"
	"  ips: [10.2.0.1, \"fd00::21\"]\n"
	"- id: data/legacy\n"
	"  ips: [10.2.0.2]\n";

static const struct sw_suggest_edge tricky_edges[] = {
	{"shop/web", "data/db", TCP, 5432},
	{"shop/web", "data/db", TCP, 5433},
	{"shop/web-admin", "data/db", TCP, 5432},
	{"shop/batch", "data/legacy", UDP, 9000},
	{"data/legacy", "2001:db8::5", TCP, 443},
	{"192.0.2.9", "shop/web", TCP, 80},
	{"shop/Odd_Name", "shop/web", TCP, 80},
	{"10.1.0.3", "10.2.0.1", TCP, 22}, /* addresses of shop/batch and data/db */
	{"fd00::9", "shop/batch", SW_PROTO_SCTP, 3868},
};

static const char *const tricky_want[] = {
	"shop/web data/db TCP 5432",
	"shop/web data/db TCP 5433",
	"shop/web-admin data/db TCP 5432",
	"shop/batch data/legacy UDP 9000",
	"data/legacy ext:2001:db8::5-2001:db8::5 TCP 443",
	"ext:192.0.2.9-192.0.2.9 shop/web TCP 80",
	"shop/Odd_Name shop/web TCP 80",
	"shop/batch data/db TCP 22",
	"ext:fd00::9-fd00::9 shop/batch SCTP 3868",
};

static void test_tricky_round_trip(void **state)
{
	struct sw_suggest_options opt;
	struct rt rt;
	int warnings = 0;

	(void)state;
	memset(&rt, 0, sizeof(rt));
	memset(&opt, 0, sizeof(opt));
	opt.warn = count_warn;
	opt.warn_ctx = &warnings;
	rt.inv = inv_from_text(tricky_inventory);
	suggest_and_load(&rt, tricky_edges, SW_ARRAY_SIZE(tricky_edges), &opt);
	assert_allowed(&rt, tricky_edges, SW_ARRAY_SIZE(tricky_edges));
	/* no kube-dns: egress to port 53 of any pod, which no isolated pod
	 * accepts, so nothing beyond the edges */
	assert_connlist(&rt, tricky_want, SW_ARRAY_SIZE(tricky_want), NULL, 0, NULL);
	assert_int_equal(warnings, 0);
	/* web's selector must exclude web-admin, batch's every labelled pod */
	assert_denied(&rt, "shop/web-admin", "data/db", TCP, 5433);
	assert_denied(&rt, "shop/web", "data/legacy", UDP, 9000);
	assert_non_null(strstr(rt.yaml, "operator: DoesNotExist"));
	/* values that would read back as numbers or booleans are quoted */
	assert_non_null(strstr(rt.yaml, "app: \"80\""));
	assert_non_null(strstr(rt.yaml, "enabled: \"true\""));
	assert_non_null(strstr(rt.yaml, "cidr: 2001:db8::5/128"));
	/* names are DNS subdomains */
	assert_int_equal(count_policies_named(rt.set, "shop", "odd-name-egress"), 1);
	assert_null(strstr(rt.yaml, "kube-dns"));
	rt_free(&rt);
}

static void test_skipped_edges(void **state)
{
	static const struct sw_suggest_edge edges[] = {
		{"nowhere/x", "shop/web", TCP, 80},
		{"shop/web", "not an address", TCP, 80},
		{"192.0.2.1", "192.0.2.2", TCP, 80},
		{"shop/web", "data/db", SW_PROTO_ICMP, 0},
		{"shop/web", "data/db", TCP, 0},
		{"shop/web", "data/db", TCP, 5432},
	};
	struct sw_suggest_options opt;
	struct rt rt;
	int warnings = 0;

	(void)state;
	memset(&rt, 0, sizeof(rt));
	memset(&opt, 0, sizeof(opt));
	opt.warn = count_warn;
	opt.warn_ctx = &warnings;
	rt.inv = inv_from_text(tricky_inventory);
	suggest_and_load(&rt, edges, SW_ARRAY_SIZE(edges), &opt);
	assert_int_equal(warnings, 5);
	assert_int_equal(rt.stats.edges_skipped, 5);
	assert_int_equal(rt.stats.edges_used, 1);
	assert_connlist(&rt, (const char *const[]){"shop/web data/db TCP 5432"}, 1, NULL, 0, NULL);
	rt_free(&rt);
}

/* Only the chosen namespaces get policies; edges into them from elsewhere
 * still give ingress rules. */
static void test_namespace_selection(void **state)
{
	static const char *const only_shop[] = {"shop"};
	struct sw_suggest_options opt;
	struct rt rt;

	(void)state;
	memset(&rt, 0, sizeof(rt));
	memset(&opt, 0, sizeof(opt));
	opt.namespaces = only_shop;
	opt.n_namespaces = 1;
	rt.inv = inv_from_text(tricky_inventory);
	suggest_and_load(&rt, tricky_edges, SW_ARRAY_SIZE(tricky_edges), &opt);
	assert_allowed(&rt, tricky_edges, SW_ARRAY_SIZE(tricky_edges));
	for (size_t i = 0; i < sw_policy_set_count(rt.set); i++)
		assert_string_equal(sw_policy_set_get(rt.set, i)->ns, "shop");
	assert_denied(&rt, "shop/web", "shop/batch", TCP, 80);
	assert_denied(&rt, "data/legacy", "shop/web", TCP, 80);
	rt_free(&rt);
	rt.inv = inv_from_text(tricky_inventory);
	{
		static const char *const unknown[] = {"nope"};
		struct sw_err err;
		char *text = NULL;
		opt.namespaces = unknown;
		assert_int_equal(sw_suggest_yaml(rt.inv, NULL, 0, &opt, &text, NULL, NULL, &err),
		                 SW_ERR_NOTFOUND);
		assert_null(text);
		assert_non_null(strstr(err.msg, "nope"));
	}
	sw_inventory_free(rt.inv);
}

/* The same edges in another order give the same bytes; the header says
 * how many edges and when. */
static void test_deterministic_and_header(void **state)
{
	struct sw_suggest_edge rev[SW_ARRAY_SIZE(tricky_edges)];
	struct sw_suggest_options opt;
	struct sw_inventory *inv = inv_from_text(tricky_inventory);
	struct sw_err err;
	char *a = NULL, *b = NULL;
	size_t n = SW_ARRAY_SIZE(tricky_edges), len = 0;

	(void)state;
	for (size_t i = 0; i < n; i++)
		rev[i] = tricky_edges[n - 1 - i];
	memset(&opt, 0, sizeof(opt));
	opt.generated_ns = UINT64_C(1700000000) * 1000000000u;
	assert_int_equal(sw_suggest_yaml(inv, tricky_edges, n, &opt, &a, &len, NULL, &err), SW_OK);
	assert_int_equal(sw_suggest_yaml(inv, rev, n, &opt, &b, NULL, NULL, &err), SW_OK);
	assert_string_equal(a, b);
	assert_int_equal(strlen(a), len);
	assert_true(a[0] == '#');
	assert_non_null(strstr(a, "generated from\n# 9 baseline edges"));
	assert_non_null(strstr(a, "2023-11-14T22:13:20Z"));
	free(a);
	free(b);
	sw_inventory_free(inv);
}

/* ---- the store ---- */

struct collected {
	char lines[8][128];
	size_t n;
};

static enum sw_status collect(void *ctx, const struct sw_suggest_edge *e)
{
	struct collected *c = ctx;

	assert_true(c->n < SW_ARRAY_SIZE(c->lines));
	snprintf(c->lines[c->n++], sizeof(c->lines[0]), "%s %s %u %u", e->src, e->dst, e->proto,
	         e->port);
	return SW_OK;
}

static enum sw_status stop_at_first(void *ctx, const struct sw_suggest_edge *e)
{
	(void)e;
	(*(int *)ctx)++;
	return SW_ERR_LIMIT;
}

static void test_store_baseline_edges(void **state)
{
	char dir[] = "/tmp/test_suggest_db_XXXXXX";
	char path[64], wal[80], shm[80];
	struct sw_store_config ro = { .read_only = true };
	struct sw_store *st;
	struct sw_err err;
	struct collected c;
	sqlite3 *db;
	int calls = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sw.db", dir);
	st = sw_store_open(path, NULL, &err);
	if (st == NULL)
		fail_msg("%s", err.msg);
	sw_store_close(st);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
		"INSERT INTO baseline_edges (src, dst, proto, port, first_seen_ns, last_seen_ns) VALUES"
		" ('shop/web', 'data/db', 6, 5432, 1, 2),"
		" ('192.0.2.9', 'shop/web', 6, 80, 1, 2),"
		" ('shop/web', 'data/db', 6, 22, 1, 2),"
		" ('shop/web', 'data/db', 6, 70000, 1, 2)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	st = sw_store_open(path, &ro, &err);
	if (st == NULL)
		fail_msg("%s", err.msg);
	memset(&c, 0, sizeof(c));
	assert_int_equal(sw_store_each_baseline_edge(st, collect, &c, &err), SW_OK);
	assert_int_equal(c.n, 4);
	assert_string_equal(c.lines[0], "192.0.2.9 shop/web 6 80");
	assert_string_equal(c.lines[1], "shop/web data/db 6 22");
	assert_string_equal(c.lines[2], "shop/web data/db 6 5432");
	assert_string_equal(c.lines[3], "shop/web data/db 0 0"); /* out of range */
	assert_int_equal(sw_store_each_baseline_edge(st, stop_at_first, &calls, &err),
	                 SW_ERR_LIMIT);
	assert_int_equal(calls, 1);
	/* a second walk after the early stop starts again */
	memset(&c, 0, sizeof(c));
	assert_int_equal(sw_store_each_baseline_edge(st, collect, &c, &err), SW_OK);
	assert_int_equal(c.n, 4);
	sw_store_close(st);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	snprintf(shm, sizeof(shm), "%s-shm", path);
	unlink(wal);
	unlink(shm);
	unlink(path);
	rmdir(dir);
}

/* The inventory written to the store and read back suggests the same. */
static void test_store_inventory(void **state)
{
	char dir[] = "/tmp/test_suggest_inv_XXXXXX";
	char path[64], wal[80], shm[80];
	struct sw_store_config ro = { .read_only = true };
	struct sw_inventory *inv = inv_from_text(tricky_inventory);
	struct sw_inventory *back = sw_inventory_new();
	struct sw_store *st;
	struct sw_err err;
	char *a = NULL, *b = NULL;
	const struct sw_endpoint *db;

	(void)state;
	assert_non_null(back);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sw.db", dir);
	st = sw_store_open(path, NULL, &err);
	if (st == NULL)
		fail_msg("%s", err.msg);
	assert_int_equal(sw_store_put_inventory(st, inv, 1, &err), SW_OK);
	sw_store_close(st);
	st = sw_store_open(path, &ro, &err);
	assert_non_null(st);
	if (sw_store_load_inventory(st, back, &err) != SW_OK)
		fail_msg("%s", err.msg);
	sw_store_close(st);
	assert_int_equal(sw_inventory_n_endpoints(back), sw_inventory_n_endpoints(inv));
	assert_int_equal(sw_inventory_n_namespaces(back), sw_inventory_n_namespaces(inv));
	db = sw_inventory_endpoint(back, (size_t)sw_inventory_find_endpoint(back, "data/db"));
	assert_int_equal(db->n_prefixes, 2);
	assert_string_equal(sw_labels_get(&db->labels, "app"), "db");
	assert_int_equal(sw_suggest_yaml(inv, tricky_edges, SW_ARRAY_SIZE(tricky_edges), NULL, &a,
	                                 NULL, NULL, &err), SW_OK);
	assert_int_equal(sw_suggest_yaml(back, tricky_edges, SW_ARRAY_SIZE(tricky_edges), NULL,
	                                 &b, NULL, NULL, &err), SW_OK);
	assert_string_equal(a, b);
	free(a);
	free(b);
	sw_inventory_free(inv);
	sw_inventory_free(back);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	snprintf(shm, sizeof(shm), "%s-shm", path);
	unlink(wal);
	unlink(shm);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_three_tier_round_trip),
		cmocka_unit_test(test_rules_merge_peers_and_ports),
		cmocka_unit_test(test_empty_baseline),
		cmocka_unit_test(test_tricky_round_trip),
		cmocka_unit_test(test_skipped_edges),
		cmocka_unit_test(test_namespace_selection),
		cmocka_unit_test(test_deterministic_and_header),
		cmocka_unit_test(test_store_baseline_edges),
		cmocka_unit_test(test_store_inventory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
