/*
 * test_inventory.c - the inventory store (builders, labels, lookup) and
 * its file loaders (Kubernetes objects, native form, docker inspect).
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

#include "segwatch/inventory.h"

#include "warn_log.h"

/* ---- helpers ---- */

static struct sw_prefix pfx(const char *text)
{
	struct sw_prefix p;

	assert_int_equal(sw_prefix_parse(text, false, &p), SW_OK);
	return p;
}

static long lookup(const struct sw_inventory *inv, const char *addr)
{
	struct sw_addr a;

	assert_int_equal(sw_addr_parse(addr, &a), SW_OK);
	return sw_inventory_lookup(inv, &a);
}

static void add_ep(struct sw_inventory *inv, const char *id, const char *const *cidrs)
{
	struct sw_endpoint ep;
	struct sw_prefix ps[8];
	size_t n = 0;
	struct sw_err err;

	memset(&ep, 0, sizeof(ep));
	while (cidrs != NULL && cidrs[n] != NULL) {
		ps[n] = pfx(cidrs[n]);
		n++;
	}
	ep.id = (char *)(uintptr_t)id; /* builders copy and never write */
	ep.prefixes = ps;
	ep.n_prefixes = n;
	assert_int_equal(sw_inventory_add_endpoint(inv, &ep, &err), SW_OK);
}

/* ---- labels ---- */

static void test_labels_sorted_unique(void **state)
{
	struct sw_labels l = {0, NULL};
	static const char *const kv[][2] = {
		{"tier", "web"}, {"app", "a"}, {"zone", "z"}, {"app", "b"}, {"env", "prod"},
	};

	(void)state;
	for (size_t i = 0; i < SW_ARRAY_SIZE(kv); i++)
		assert_int_equal(sw_labels_set(&l, kv[i][0], kv[i][1]), SW_OK);
	assert_int_equal(l.n, 4);
	for (size_t i = 1; i < l.n; i++)
		assert_true(strcmp(l.items[i - 1].key, l.items[i].key) < 0);
	assert_string_equal(sw_labels_get(&l, "app"), "b");
	assert_string_equal(sw_labels_get(&l, "env"), "prod");
	assert_null(sw_labels_get(&l, "missing"));
	assert_null(sw_labels_get(&l, ""));
	sw_labels_clear(&l);
	assert_int_equal(l.n, 0);
	assert_null(sw_labels_get(&l, "app"));
}

/* ---- namespaces ---- */

static void test_namespace_auto_and_merge(void **state)
{
	struct sw_inventory *inv = sw_inventory_new();
	struct sw_labels l = {0, NULL};
	const struct sw_namespace *ns;
	struct sw_err err;

	(void)state;
	assert_non_null(inv);
	add_ep(inv, "prod/web", NULL);
	ns = sw_inventory_find_namespace(inv, "prod");
	assert_non_null(ns);
	assert_int_equal(ns->labels.n, 1);
	assert_string_equal(sw_labels_get(&ns->labels, "kubernetes.io/metadata.name"), "prod");

	assert_int_equal(sw_labels_set(&l, "env", "production"), SW_OK);
	/* the API server keeps this label equal to the name */
	assert_int_equal(sw_labels_set(&l, "kubernetes.io/metadata.name", "other"), SW_OK);
	assert_int_equal(sw_inventory_add_namespace(inv, "prod", &l, &err), SW_OK);
	assert_int_equal(sw_inventory_n_namespaces(inv), 1);
	ns = sw_inventory_find_namespace(inv, "prod");
	assert_string_equal(sw_labels_get(&ns->labels, "env"), "production");
	assert_string_equal(sw_labels_get(&ns->labels, "kubernetes.io/metadata.name"), "prod");
	assert_null(sw_inventory_find_namespace(inv, "dev"));
	assert_int_equal(sw_inventory_add_namespace(inv, "", NULL, &err), SW_ERR_INVALID);
	sw_labels_clear(&l);
	sw_inventory_free(inv);
	sw_inventory_free(NULL);
}

/* ---- endpoints ---- */

static void test_endpoint_copy_and_names(void **state)
{
	struct sw_inventory *inv = sw_inventory_new();
	char ns[] = "prod", name[] = "backend", pname[] = "http", file[] = "inv.yaml";
	struct sw_label items[] = {{(char[]){"tier"}, (char[]){"api"}},
	                           {(char[]){"app"}, (char[]){"backend"}}};
	struct sw_named_port ports[] = {{8081, 6, pname}};
	struct sw_prefix ps[1];
	struct sw_endpoint ep;
	const struct sw_endpoint *got;
	struct sw_err err;

	(void)state;
	ps[0] = pfx("10.0.2.10");
	memset(&ep, 0, sizeof(ep));
	ep.ns = ns;
	ep.name = name;
	ep.labels.items = items;
	ep.labels.n = 2;
	ep.ports = ports;
	ep.n_ports = 1;
	ep.prefixes = ps;
	ep.n_prefixes = 1;
	ep.file = file;
	ep.line = 7;
	assert_int_equal(sw_inventory_add_endpoint(inv, &ep, &err), SW_OK);
	/* everything was copied: scribbling on the inputs changes nothing */
	ns[0] = name[0] = pname[0] = file[0] = 'X';
	got = sw_inventory_endpoint(inv, 0);
	assert_string_equal(got->id, "prod/backend");
	assert_string_equal(got->ns, "prod");
	assert_string_equal(got->name, "backend");
	assert_string_equal(got->kind, "host");
	assert_string_equal(got->file, "inv.yaml");
	assert_int_equal(got->line, 7);
	assert_string_equal(got->labels.items[0].key, "app"); /* sorted */
	assert_string_equal(sw_labels_get(&got->labels, "tier"), "api");
	assert_int_equal(got->n_ports, 1);
	assert_string_equal(got->ports[0].name, "http");
	assert_int_equal(sw_inventory_find_endpoint(inv, "prod/backend"), 0);
	assert_int_equal(sw_inventory_find_endpoint(inv, "prod/nothing"), -1);
	assert_null(sw_inventory_endpoint(inv, 1));

	/* duplicate id */
	memset(&ep, 0, sizeof(ep));
	ep.id = (char[]){"prod/backend"};
	assert_int_equal(sw_inventory_add_endpoint(inv, &ep, &err), SW_ERR_INVALID);
	assert_non_null(strstr(err.msg, "prod/backend"));
	/* id disagreeing with namespace/name */
	ep.id = (char[]){"prod/a"};
	ep.name = (char[]){"b"};
	assert_int_equal(sw_inventory_add_endpoint(inv, &ep, &err), SW_ERR_INVALID);
	/* id without a slash and nothing else */
	memset(&ep, 0, sizeof(ep));
	ep.id = (char[]){"lonely"};
	assert_int_equal(sw_inventory_add_endpoint(inv, &ep, &err), SW_ERR_INVALID);
	/* id only: ns and name derived */
	ep.id = (char[]){"dev/db"};
	assert_int_equal(sw_inventory_add_endpoint(inv, &ep, &err), SW_OK);
	got = sw_inventory_endpoint(inv, 1);
	assert_string_equal(got->ns, "dev");
	assert_string_equal(got->name, "db");
	assert_non_null(sw_inventory_find_namespace(inv, "dev"));
	assert_int_equal(sw_inventory_n_endpoints(inv), 2);
	sw_inventory_free(inv);
}

static void test_put_endpoint_replaces(void **state)
{
	struct sw_inventory *inv = sw_inventory_new();
	static const char *const a[] = {"10.1.0.1", NULL};
	static const char *const b[] = {"10.1.0.2", NULL};
	struct sw_endpoint ep;
	struct sw_prefix p = pfx("10.9.9.9");
	struct sw_err err;

	(void)state;
	add_ep(inv, "p/a", a);
	add_ep(inv, "p/b", b);
	memset(&ep, 0, sizeof(ep));
	ep.id = (char[]){"p/a"};
	ep.kind = (char[]){"service"};
	ep.prefixes = &p;
	ep.n_prefixes = 1;
	assert_int_equal(sw_inventory_put_endpoint(inv, &ep, &err), SW_OK);
	assert_int_equal(sw_inventory_n_endpoints(inv), 2);
	assert_string_equal(sw_inventory_endpoint(inv, 0)->kind, "service");
	assert_int_equal(lookup(inv, "10.9.9.9"), 0);
	assert_int_equal(lookup(inv, "10.1.0.1"), -1); /* the old address is gone */
	assert_int_equal(lookup(inv, "10.1.0.2"), 1);
	sw_inventory_free(inv);
}

/* ---- lookup ---- */

struct lookup_case {
	const char *addr;
	const char *owner; /* NULL: external */
};

static void test_lookup_most_specific(void **state)
{
	static const char *const wide[] = {"10.0.0.0/8", "fd00::/8", NULL};
	static const char *const mid[] = {"10.0.2.0/24", NULL};
	static const char *const host[] = {"10.0.2.10", "fd00::10", NULL};
	static const char *const tail[] = {"10.0.2.255", "255.255.255.255", NULL};
	static const char *const dup[] = {"10.0.2.0/24", "192.168.1.0/28", NULL};
	static const char *const all6[] = {"::/0", NULL};
	static const struct lookup_case cases[] = {
		{"10.0.2.10", "ns/host"},     {"10.0.2.11", "ns/mid"},
		{"10.0.2.9", "ns/mid"},       {"10.0.2.0", "ns/mid"},
		{"10.0.2.254", "ns/mid"},     {"10.0.2.255", "ns/tail"},
		{"10.0.3.0", "ns/wide"},      {"10.0.1.255", "ns/wide"},
		{"10.255.255.255", "ns/wide"}, {"10.0.0.0", "ns/wide"},
		{"11.0.0.0", NULL},           {"9.255.255.255", NULL},
		{"255.255.255.255", "ns/tail"}, {"192.168.1.15", "ns/dup"},
		{"192.168.1.16", NULL},       {"fd00::10", "ns/host"},
		{"fd00::11", "ns/wide"},      {"fe80::1", "ns/all6"},
		{"::", "ns/all6"},            {"::fffe:ffff:ffff", "ns/all6"},
		{"::1:0:0:0", "ns/all6"},
		/* ::/0 is IPv6 only: it owns no IPv4(-mapped) address */
		{"11.0.0.0", NULL},           {"0.0.0.0", NULL},
	};
	struct sw_inventory *inv = sw_inventory_new();

	(void)state;
	assert_int_equal(lookup(inv, "10.0.0.1"), -1); /* empty */
	/* added in an order unrelated to specificity */
	add_ep(inv, "ns/host", host);
	add_ep(inv, "ns/wide", wide);
	add_ep(inv, "ns/mid", mid);
	add_ep(inv, "ns/tail", tail);
	add_ep(inv, "ns/dup", dup); /* same /24 as ns/mid: the first one keeps it */
	add_ep(inv, "ns/all6", all6);
	assert_int_equal(sw_inventory_build_index(inv), SW_OK);
	for (size_t i = 0; i < SW_ARRAY_SIZE(cases); i++) {
		long got = lookup(inv, cases[i].addr);
		if (cases[i].owner == NULL) {
			if (got != -1)
				fail_msg("%s: expected external, got %ld", cases[i].addr, got);
			continue;
		}
		if (got != sw_inventory_find_endpoint(inv, cases[i].owner))
			fail_msg("%s: expected %s, got %ld", cases[i].addr, cases[i].owner, got);
	}
	sw_inventory_free(inv);
}

/* The table agrees with a linear longest-prefix scan on random data, and
 * is rebuilt after an addition. */
static void test_lookup_random_vs_linear(void **state)
{
	struct sw_inventory *inv = sw_inventory_new();
	struct sw_err err;
	unsigned seed = 12345;
	char id[32];

	(void)state;
	for (int i = 0; i < 400; i++) {
		struct sw_endpoint ep;
		struct sw_prefix p;
		uint8_t v4[4];
		memset(&ep, 0, sizeof(ep));
		seed = seed * 1103515245u + 12345u;
		v4[0] = 10;
		v4[1] = (uint8_t)((seed >> 8) & 3);
		v4[2] = (uint8_t)(seed >> 16);
		v4[3] = (uint8_t)(seed >> 24);
		sw_addr_from_v4(&p.addr, v4);
		p.len = (uint8_t)(96 + 14 + (seed % 19)); /* /14 .. /32 */
		snprintf(id, sizeof(id), "ns/e%d", i);
		ep.id = id;
		ep.prefixes = &p;
		ep.n_prefixes = 1;
		assert_int_equal(sw_inventory_add_endpoint(inv, &ep, &err), SW_OK);
		if (i == 200)
			assert_int_equal(lookup(inv, "10.0.0.0") >= -1, 1); /* builds early */
	}
	for (int t = 0; t < 20000; t++) {
		struct sw_addr a;
		uint8_t v4[4];
		long best = -1;
		int best_len = -1;
		seed = seed * 1103515245u + 12345u;
		v4[0] = (uint8_t)(t % 7 == 0 ? 11 : 10);
		v4[1] = (uint8_t)((seed >> 8) & 3);
		v4[2] = (uint8_t)(seed >> 16);
		v4[3] = (uint8_t)(seed >> 24);
		sw_addr_from_v4(&a, v4);
		for (size_t i = 0; i < sw_inventory_n_endpoints(inv); i++) {
			const struct sw_endpoint *ep = sw_inventory_endpoint(inv, i);
			if ((int)ep->prefixes[0].len > best_len &&
			    sw_prefix_contains(&ep->prefixes[0], &a)) {
				best = (long)i;
				best_len = ep->prefixes[0].len;
			}
		}
		assert_int_equal(sw_inventory_lookup(inv, &a), best);
	}
	sw_inventory_free(inv);
}


static void test_remove_endpoint(void **state)
{
	struct sw_inventory *inv = sw_inventory_new();
	static const char *const a[] = {"10.0.0.1", NULL};
	static const char *const b[] = {"10.0.0.2", NULL};
	static const char *const c[] = {"10.0.0.3", NULL};

	(void)state;
	add_ep(inv, "x/a", a);
	add_ep(inv, "x/b", b);
	add_ep(inv, "x/c", c);
	assert_int_equal(lookup(inv, "10.0.0.3"), 2);
	assert_int_equal(sw_inventory_remove_endpoint(inv, 1), SW_OK);
	assert_int_equal(sw_inventory_n_endpoints(inv), 2);
	assert_int_equal(sw_inventory_find_endpoint(inv, "x/b"), -1);
	assert_int_equal(sw_inventory_find_endpoint(inv, "x/c"), 1); /* moved down */
	assert_int_equal(lookup(inv, "10.0.0.3"), 1);
	assert_int_equal(lookup(inv, "10.0.0.2"), -1);
	assert_int_equal(sw_inventory_remove_endpoint(inv, 2), SW_ERR_NOTFOUND);
	add_ep(inv, "x/b", b); /* the id is free again */
	assert_int_equal(sw_inventory_find_endpoint(inv, "x/b"), 2);
	sw_inventory_free(inv);
}

static void test_merge(void **state)
{
	struct sw_inventory *a = sw_inventory_new(), *b = sw_inventory_new();
	static const char *const ip1[] = {"10.0.0.1", NULL};
	static const char *const ip2[] = {"10.0.0.2", NULL};
	struct sw_err err;

	(void)state;
	add_ep(a, "x/one", ip1);
	add_ep(b, "y/two", ip2);
	assert_int_equal(sw_inventory_merge(a, b, &err), SW_OK);
	assert_int_equal(sw_inventory_n_endpoints(a), 2);
	assert_int_equal(sw_inventory_n_endpoints(b), 0);
	assert_int_equal(lookup(a, "10.0.0.2"), 1);
	add_ep(b, "x/one", ip2);
	assert_int_equal(sw_inventory_merge(a, b, &err), SW_ERR_INVALID);
	assert_int_equal(sw_inventory_n_endpoints(a), 2);
	sw_inventory_free(a);
	sw_inventory_free(b);
}


/* ---- file loaders ---- */

#define DATA "tests/data/inventory/"

static struct sw_inventory *load_ok(const char *path, struct warn_log *log)
{
	struct sw_inventory *inv = sw_inventory_new();
	struct sw_err err;
	char buf[700];

	assert_non_null(inv);
	if (sw_inventory_load_file(inv, path, collect, log, &err) != SW_OK)
		fail_msg("%s", sw_err_format(&err, buf, sizeof(buf)));
	return inv;
}

static const struct sw_endpoint *ep_by_id(const struct sw_inventory *inv, const char *id)
{
	long i = sw_inventory_find_endpoint(inv, id);

	if (i < 0)
		fail_msg("no endpoint %s", id);
	return sw_inventory_endpoint(inv, (size_t)i);
}

static bool has_prefix(const struct sw_endpoint *ep, const char *text)
{
	struct sw_prefix p = pfx(text);

	for (size_t i = 0; i < ep->n_prefixes; i++) {
		if (ep->prefixes[i].len == p.len && sw_addr_cmp(&ep->prefixes[i].addr, &p.addr) == 0)
			return true;
	}
	return false;
}

static const struct sw_named_port *find_port(const struct sw_endpoint *ep, uint16_t port,
                                             uint8_t proto)
{
	for (size_t i = 0; i < ep->n_ports; i++) {
		if (ep->ports[i].port == port && ep->ports[i].proto == proto)
			return &ep->ports[i];
	}
	return NULL;
}

static void test_k8s_list_collapses_workloads(void **state)
{
	struct warn_log log = {0, ""};
	struct sw_inventory *inv = load_ok(DATA "kubectl-list.yaml", &log);
	const struct sw_endpoint *web, *db, *backup, *idle, *debug, *agent;
	const struct sw_namespace *ns;

	(void)state;
	/* web (Deployment), db, backup, node-agent, idle, debug: the ReplicaSet,
	 * Job and Pods collapse into their workloads */
	assert_int_equal(sw_inventory_n_endpoints(inv), 6);
	web = ep_by_id(inv, "shop/web");
	assert_string_equal(web->kind, "Deployment");
	assert_false(web->provisional);
	assert_int_equal(web->n_prefixes, 3); /* both pods' IPs, dual stack; the pending pod has none */
	assert_true(has_prefix(web, "10.244.1.10"));
	assert_true(has_prefix(web, "fd00:10:244:1::a"));
	assert_true(has_prefix(web, "10.244.2.11"));
	/* the Deployment's template labels, without pod-template-hash */
	assert_int_equal(web->labels.n, 2);
	assert_string_equal(sw_labels_get(&web->labels, "app"), "web");
	assert_string_equal(sw_labels_get(&web->labels, "tier"), "front");
	assert_null(sw_labels_get(&web->labels, "pod-template-hash"));
	assert_string_equal(find_port(web, 8080, SW_PROTO_TCP)->name, "http");
	assert_string_equal(find_port(web, 9090, SW_PROTO_TCP)->name, "metrics");
	assert_int_equal(web->n_ports, 2); /* the ReplicaSet's and pod's copy are not repeated */
	assert_int_equal(web->line, 20);
	assert_string_equal(web->file, DATA "kubectl-list.yaml");

	db = ep_by_id(inv, "shop/db");
	assert_string_equal(db->kind, "StatefulSet");
	assert_int_equal(db->n_prefixes, 1);
	assert_string_equal(find_port(db, 5432, SW_PROTO_TCP)->name, "pg");

	backup = ep_by_id(inv, "shop/backup"); /* Pod -> Job (absent) -> CronJob */
	assert_string_equal(backup->kind, "CronJob");
	assert_int_equal(backup->n_prefixes, 1); /* the Succeeded pod released its IP */
	assert_true(has_prefix(backup, "10.244.3.30"));
	assert_string_equal(sw_labels_get(&backup->labels, "app"), "backup");

	idle = ep_by_id(inv, "shop/idle"); /* no pods: an endpoint without address */
	assert_int_equal(idle->n_prefixes, 0);
	assert_string_equal(sw_labels_get(&idle->labels, "app"), "idle");

	debug = ep_by_id(inv, "shop/debug"); /* a bare pod is its own endpoint */
	assert_string_equal(debug->kind, "Pod");
	assert_string_equal(sw_labels_get(&debug->labels, "run"), "debug");
	assert_string_equal(find_port(debug, 53, SW_PROTO_UDP)->name, "dns");

	agent = ep_by_id(inv, "kube-system/node-agent"); /* hostNetwork: the node IP is not its own */
	assert_int_equal(agent->n_prefixes, 0);
	assert_int_equal(lookup(inv, "192.168.10.5"), -1);

	assert_int_equal(lookup(inv, "10.244.2.11"), sw_inventory_find_endpoint(inv, "shop/web"));
	assert_int_equal(lookup(inv, "10.244.3.31"), -1);

	ns = sw_inventory_find_namespace(inv, "shop");
	assert_string_equal(sw_labels_get(&ns->labels, "env"), "prod");
	ns = sw_inventory_find_namespace(inv, "kube-system"); /* created on demand */
	assert_non_null(ns);
	assert_string_equal(sw_labels_get(&ns->labels, "kubernetes.io/metadata.name"), "kube-system");

	assert_non_null(strstr(log.all, "kind Service is not part of the inventory (skipped)"));
	assert_non_null(strstr(log.all, "kubectl-list.yaml:276:"));
	assert_non_null(strstr(log.all, "uses the host network"));
	sw_inventory_free(inv);
}

static void test_k8s_json(void **state)
{
	struct warn_log log = {0, ""};
	struct sw_inventory *inv = load_ok(DATA "kubectl-list.json", &log);
	const struct sw_endpoint *ledger;

	(void)state;
	assert_int_equal(sw_inventory_n_endpoints(inv), 1);
	ledger = ep_by_id(inv, "payments/ledger");
	assert_string_equal(ledger->kind, "Deployment");
	assert_true(has_prefix(ledger, "10.250.0.7"));
	assert_int_equal(ledger->n_prefixes, 1);
	assert_string_equal(sw_labels_get(&ledger->labels, "version"), "1.2");
	assert_string_equal(find_port(ledger, 7000, SW_PROTO_TCP)->name, "grpc");
	assert_string_equal(sw_labels_get(&sw_inventory_find_namespace(inv, "payments")->labels,
	                                  "team"), "pay");
	assert_int_equal(log.n, 0);
	sw_inventory_free(inv);
}

static void test_k8s_pods_then_deployment_across_files(void **state)
{
	struct warn_log log = {0, ""};
	struct sw_inventory *inv = load_ok(DATA "pods-only.yaml", &log);
	const struct sw_endpoint *api;
	struct sw_err err;

	(void)state;
	api = ep_by_id(inv, "shop/api"); /* ReplicaSet absent: hash suffix stripped */
	assert_string_equal(api->kind, "Deployment");
	assert_true(api->provisional);
	assert_int_equal(api->n_prefixes, 2);
	assert_string_equal(sw_labels_get(&api->labels, "pod-template-hash"), "5f6d7c8b9");
	assert_int_equal(sw_inventory_load_file(inv, DATA "deployments.yaml", collect, &log, &err),
	                 SW_OK);
	assert_int_equal(sw_inventory_n_endpoints(inv), 1);
	api = ep_by_id(inv, "shop/api");
	assert_false(api->provisional);
	assert_int_equal(api->n_prefixes, 2); /* kept */
	assert_string_equal(sw_labels_get(&api->labels, "tier"), "back"); /* the Deployment's */
	assert_null(sw_labels_get(&api->labels, "pod-template-hash"));
	assert_string_equal(find_port(api, 8081, SW_PROTO_TCP)->name, "http");
	assert_string_equal(api->file, DATA "deployments.yaml");
	/* the same Deployment once more is a real duplicate */
	assert_int_equal(sw_inventory_load_file(inv, DATA "deployments.yaml", collect, &log, &err),
	                 SW_ERR_INVALID);
	assert_non_null(strstr(err.msg, "declared twice"));
	sw_inventory_free(inv);
}

static void test_native_form(void **state)
{
	struct warn_log log = {0, ""};
	struct sw_inventory *inv = load_ok(DATA "native.yaml", &log);
	const struct sw_endpoint *be, *fe, *bastion;

	(void)state;
	assert_int_equal(sw_inventory_n_endpoints(inv), 3);
	be = ep_by_id(inv, "prod/backend");
	assert_string_equal(be->kind, "host");
	assert_int_equal(be->n_prefixes, 3);
	assert_true(has_prefix(be, "10.0.2.0/28"));
	assert_string_equal(find_port(be, 8081, SW_PROTO_TCP)->name, "http");
	assert_int_equal(be->line, 7);
	fe = ep_by_id(inv, "prod/frontend");
	assert_string_equal(fe->ns, "prod");
	assert_string_equal(sw_labels_get(&fe->labels, "replicas"), "2");
	assert_non_null(find_port(fe, 8080, SW_PROTO_TCP));
	assert_non_null(find_port(fe, 8443, SW_PROTO_TCP));
	assert_null(find_port(fe, 8080, SW_PROTO_TCP)->name);
	bastion = ep_by_id(inv, "ops/bastion");
	assert_string_equal(bastion->kind, "vm");
	assert_string_equal(find_port(bastion, 53, SW_PROTO_UDP)->name, "dns");
	/* 10.0.2.10 is both a host and inside 10.0.2.0/28: same endpoint */
	assert_int_equal(lookup(inv, "10.0.2.3"), sw_inventory_find_endpoint(inv, "prod/backend"));
	assert_string_equal(sw_labels_get(&sw_inventory_find_namespace(inv, "prod")->labels, "env"),
	                    "prod");
	assert_int_equal(log.n, 0);
	sw_inventory_free(inv);
}

static void test_docker_inspect(void **state)
{
	struct warn_log log = {0, ""};
	struct sw_inventory *inv = load_ok(DATA "docker-inspect.json", &log);
	const struct sw_endpoint *web, *app, *hand;

	(void)state;
	assert_int_equal(sw_inventory_n_endpoints(inv), 3);
	web = ep_by_id(inv, "shop/web"); /* replicas 1 and 2, on two networks */
	assert_string_equal(web->kind, "container");
	assert_int_equal(web->n_prefixes, 4);
	assert_true(has_prefix(web, "172.20.0.2"));
	assert_true(has_prefix(web, "fd00:20::2"));
	assert_true(has_prefix(web, "172.20.0.3"));
	assert_true(has_prefix(web, "172.21.0.2"));
	assert_string_equal(sw_labels_get(&web->labels, "com.docker.compose.service"), "web");
	assert_string_equal(sw_labels_get(&web->labels, "com.docker.compose.project"), "shop");
	app = ep_by_id(inv, "shop/app"); /* compose v1 naming */
	assert_true(has_prefix(app, "172.20.0.4"));
	hand = ep_by_id(inv, "shop/handmade"); /* not compose-named */
	assert_int_equal(hand->labels.n, 0);
	assert_int_equal(lookup(inv, "172.20.0.9"), -1);
	sw_inventory_free(inv);
}

/* Writes text to a fresh file named like the case; returns the path. */
static const char *write_case(char *path, size_t len, const char *name, const char *text)
{
	FILE *f;

	snprintf(path, len, "/tmp/segwatch_inv_%d_%s", (int)getpid(), name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	fclose(f);
	return path;
}

struct err_case {
	const char *name;
	const char *text;
	enum sw_status status;
	const char *want; /* after "path:" */
};

static void test_load_errors(void **state)
{
	static const struct err_case cases[] = {
		{"badcidr.yaml",
		 "endpoints:\n- id: a/b\n  ips: [10.0.0.1, 10.0.0.0/33]\n",
		 SW_ERR_INVALID, "3:19: expected an IP address or CIDR (10.0.2.10, 10.0.2.0/28, fd00::10), got \"10.0.0.0/33\""},
		{"hostbits.yaml",
		 "endpoints:\n- id: a/b\n  ips: [10.0.2.5/24]\n",
		 SW_ERR_INVALID, "3:9: expected an IP address or CIDR (10.0.2.10, 10.0.2.0/28, fd00::10), got \"10.0.2.5/24\": bits are set beyond the prefix length (did you mean 10.0.2.0/24?)"},
		{"port.yaml",
		 "endpoints:\n- id: a/b\n  ports:\n  - {port: 70000}\n",
		 SW_ERR_PARSE, "4:12: expected a port number (1-65535), got 70000"},
		{"proto.yaml",
		 "endpoints:\n- id: a/b\n  ports:\n  - {port: 7, protocol: ICMP}\n",
		 SW_ERR_PARSE, "4:25: expected a protocol TCP, UDP or SCTP, got \"ICMP\""},
		{"idmismatch.yaml",
		 "endpoints:\n- id: prod/a\n  namespace: dev\n  name: a\n",
		 SW_ERR_INVALID, "2:3: endpoint id \"prod/a\" does not equal namespace/name \"dev/a\""},
		{"dup.yaml",
		 "endpoints:\n- id: a/b\n- id: a/b\n",
		 SW_ERR_INVALID, "3:3: endpoint \"a/b\" is declared twice"},
		{"syntax.yaml",
		 "endpoints:\n- id: a/b\n  ips: [10.0.0.1\n",
		 SW_ERR_PARSE, "4:1: invalid YAML"},
		{"type.yaml",
		 "endpoints:\n  id: a/b\n",
		 SW_ERR_PARSE, "2:3: expected a list of endpoints, got a map"},
		{"unknownform.yaml",
		 "hello: world\n",
		 SW_ERR_PARSE, "1:1: expected an inventory"},
		{"podport.yaml",
		 "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    ports:\n    - containerPort: http\n",
		 SW_ERR_PARSE, "7:22: expected an integer containerPort (1-65535), got \"http\""},
		{"podip.yaml",
		 "kind: Pod\nmetadata: {name: p}\nstatus:\n  podIP: 10.1.1\n",
		 SW_ERR_INVALID, "4:10: expected a pod IP address, got \"10.1.1\""},
		{"nolabelstr.yaml",
		 "kind: Pod\nmetadata:\n  name: p\n  labels: {version: 2}\n",
		 SW_ERR_PARSE, "4:21: expected a string value for label \"version\" (quote numbers and booleans), got 2"},
		{"noname.yaml",
		 "kind: Deployment\nmetadata: {namespace: x}\n",
		 SW_ERR_PARSE, "2:11: missing field \"name\" (expected a metadata.name)"},
	};
	char path[256], want[900], buf[700];

	(void)state;
	for (size_t i = 0; i < SW_ARRAY_SIZE(cases); i++) {
		struct sw_inventory *inv = sw_inventory_new();
		struct sw_err err;
		enum sw_status st;
		write_case(path, sizeof(path), cases[i].name, cases[i].text);
		sw_err_clear(&err);
		st = sw_inventory_load_file(inv, path, NULL, NULL, &err);
		snprintf(want, sizeof(want), "%s:%s", path, cases[i].want);
		sw_err_format(&err, buf, sizeof(buf));
		if (st != cases[i].status || strncmp(buf, want, strlen(want)) != 0)
			fail_msg("%s: status %d\n got  %s\n want %s", cases[i].name, st, buf, want);
		/* nothing of a failed file is kept */
		assert_int_equal(sw_inventory_n_endpoints(inv), 0);
		assert_int_equal(sw_inventory_n_namespaces(inv), 0);
		sw_inventory_free(inv);
		unlink(path);
	}
}

static void test_unknown_field_warning(void **state)
{
	char path[256], want[400];
	struct warn_log log = {0, ""};
	struct sw_inventory *inv;

	(void)state;
	write_case(path, sizeof(path), "unknown.yaml",
	           "endpoints:\n- id: a/b\n  lables: {x: y}\n  ips: [10.9.0.1]\n");
	inv = load_ok(path, &log);
	assert_int_equal(log.n, 1);
	snprintf(want, sizeof(want), "%s:3:3: unknown field \"lables\" in an endpoint (ignored)\n", path);
	assert_string_equal(log.all, want);
	assert_int_equal(sw_inventory_n_endpoints(inv), 1);
	sw_inventory_free(inv);
	unlink(path);
}

static void test_missing_file(void **state)
{
	struct sw_inventory *inv = sw_inventory_new();
	struct sw_err err;

	(void)state;
	assert_int_equal(sw_inventory_load_file(inv, DATA "no-such-file.yaml", NULL, NULL, &err),
	                 SW_ERR_IO);
	assert_string_equal(err.file, DATA "no-such-file.yaml");
	sw_inventory_free(inv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_labels_sorted_unique),
		cmocka_unit_test(test_namespace_auto_and_merge),
		cmocka_unit_test(test_endpoint_copy_and_names),
		cmocka_unit_test(test_put_endpoint_replaces),
		cmocka_unit_test(test_lookup_most_specific),
		cmocka_unit_test(test_lookup_random_vs_linear),
		cmocka_unit_test(test_remove_endpoint),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_k8s_list_collapses_workloads),
		cmocka_unit_test(test_k8s_json),
		cmocka_unit_test(test_k8s_pods_then_deployment_across_files),
		cmocka_unit_test(test_native_form),
		cmocka_unit_test(test_docker_inspect),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_unknown_field_warning),
		cmocka_unit_test(test_missing_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
