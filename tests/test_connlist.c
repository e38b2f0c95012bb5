/*
 * test_connlist.c - the connection list: golden cases written by hand from
 * the Kubernetes documentation's rules (tests/golden/connlist/<case>/:
 * inventory.yaml, policy.yaml, expected.txt; the README of each case says
 * why), compared byte for byte; the format's own rules (port 0, sorting,
 * JSON); and a property test that every line agrees with the matcher's
 * verdicts and that external runs are maximal.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segwatch/connlist.h"
#include "segwatch/inventory.h"
#include "segwatch/match.h"
#include "segwatch/netpol.h"

#include "match_builders.h"

static const char *const golden_cases[] = {
	"default-deny-ingress", "allow-from-namespace", "ipblock-except", "named-ports",
	"endport", "egress-only", "both-directions", "ipv6-ipblock",
};

static const char *golden_dir(void)
{
	const char *d = getenv("SW_GOLDEN_DIR");
	return d ? d : "tests/golden/connlist";
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	int c;

	if (fp == NULL)
		fail_msg("cannot open %s", path);
	assert_non_null(out);
	while ((c = fgetc(fp)) != EOF)
		fputc(c, out);
	fclose(fp);
	fclose(out);
	return buf;
}

static char *connlist_text(const struct sw_matcher *m, bool json)
{
	struct sw_connlist *cl = NULL;
	struct sw_err err;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	if (sw_connlist_build(m, &cl, &err) != SW_OK)
		fail_msg("connlist: %s", err.msg);
	assert_int_equal(json ? sw_connlist_write_json(cl, out) : sw_connlist_write_text(cl, out),
	                 SW_OK);
	fclose(out);
	sw_connlist_free(cl);
	return buf;
}

static void print_warning(void *ctx, const struct sw_err *w)
{
	char buf[1024];

	(void)ctx;
	print_message("warning: %s\n", sw_err_format(w, buf, sizeof(buf)));
}

/* Reports the first differing line of two texts. */
static void compare_text(const char *name, const char *want, const char *got)
{
	size_t line = 1;
	const char *w = want, *g = got;

	if (strcmp(want, got) == 0)
		return;
	while (*w && *w == *g) {
		if (*w == '\n')
			line++;
		w++;
		g++;
	}
	print_message("%s: output differs from expected.txt at line %zu\n--- got:\n%s", name, line,
	              got);
	fail_msg("%s: line %zu differs", name, line);
}

static void test_golden(void **state)
{
	const char *name = *state;
	char path[1024];
	struct sw_inventory *inv = sw_inventory_new();
	struct sw_policy_set *set = sw_policy_set_new();
	struct sw_matcher *m;
	struct sw_err err;
	char *want, *got;

	assert_non_null(inv);
	assert_non_null(set);
	snprintf(path, sizeof(path), "%s/%s/inventory.yaml", golden_dir(), name);
	if (sw_inventory_load_file(inv, path, print_warning, NULL, &err) != SW_OK)
		fail_msg("%s:%u:%u: %s", path, err.line, err.column, err.msg);
	snprintf(path, sizeof(path), "%s/%s/policy.yaml", golden_dir(), name);
	if (sw_policy_set_load_file(set, path, print_warning, NULL, &err) != SW_OK)
		fail_msg("%s:%u:%u: %s", path, err.line, err.column, err.msg);
	m = sw_matcher_new(inv, set, &err);
	if (m == NULL)
		fail_msg("compile: %s", err.msg);
	got = connlist_text(m, false);
	snprintf(path, sizeof(path), "%s/%s/expected.txt", golden_dir(), name);
	want = slurp(path);
	compare_text(name, want, got);
	free(want);
	free(got);
	sw_matcher_free(m);
	sw_policy_set_free(set);
	sw_inventory_free(inv);
}

static void test_golden_cases_all_listed(void **state)
{
	DIR *d = opendir(golden_dir());
	struct dirent *de;
	size_t seen = 0;

	(void)state;
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		bool listed = false;
		if (de->d_name[0] == '.')
			continue;
		for (size_t i = 0; i < SW_ARRAY_SIZE(golden_cases); i++)
			listed |= strcmp(golden_cases[i], de->d_name) == 0;
		if (!listed)
			fail_msg("golden case %s is not in golden_cases[]", de->d_name);
		seen++;
	}
	closedir(d);
	assert_int_equal(seen, SW_ARRAY_SIZE(golden_cases));
}

/* ---- the format, on hand-built inputs ---- */

static void test_lines_and_order(void **state)
{
	struct fx *f = *state;
	struct sw_netpol *p = pol_new("a", "only-b", "", IN | EG);
	struct sw_rule *r;
	char *got;

	/* namespace a admits pods app=z of namespace a only; z lives in b and
	 * may only send to namespace a: nothing is allowed at all */
	r = pol_rule(p, IN);
	peer_pod(r, "app=z");
	port_num(r, SW_PROTO_TCP, 0, 10);
	port_num(r, SW_PROTO_UDP, 53, 0);
	ep_add(f, "a/x", "app=x", "10.0.0.1", NULL);
	ep_add(f, "a/y", "app=y", "10.0.0.2", NULL);
	ep_add(f, "b/z", "app=z", "", NULL);
	pol_add(f, p);
	p = pol_new("b", "z-to-a", "", IN | EG);
	r = pol_rule(p, EG);
	peer_ns(r, "kubernetes.io/metadata.name=a");
	pol_add(f, p);
	got = connlist_text(matcher(f), false);
	assert_string_equal(got, "");
	free(got);
	got = connlist_text(matcher(f), true);
	assert_string_equal(got, "[]\n");
	free(got);

	p = pol_new("a", "from-b", "", IN);
	r = pol_rule(p, IN);
	peer_both(r, "kubernetes.io/metadata.name=b", "");
	port_num(r, SW_PROTO_TCP, 0, 10);
	port_num(r, SW_PROTO_TCP, 8, 20);
	port_num(r, SW_PROTO_TCP, 22, 0);
	port_num(r, SW_PROTO_TCP, 21, 0);
	port_num(r, SW_PROTO_UDP, 53, 0);
	pol_add(f, p);
	got = connlist_text(matcher(f), false);
	/* TCP 0-10, 8-20, 21, 22 merge into one range; port 0 is dropped */
	assert_string_equal(got, "b/z a/x TCP 1-22\n"
	                         "b/z a/x UDP 53\n"
	                         "b/z a/y TCP 1-22\n"
	                         "b/z a/y UDP 53\n");
	free(got);
}

static void test_external_runs_split_at_endpoints(void **state)
{
	struct fx *f = *state;
	struct sw_netpol *p = pol_new("a", "x-out", "app=x", EG);
	struct sw_rule *r = pol_rule(p, EG);
	char *got;

	/* x may reach 192.168.0.0/24 on TCP 443; y sits inside that block, so
	 * the external run stops before it and resumes after */
	peer_ip(r, "192.168.0.0/24", "192.168.0.128/26");
	port_num(r, SW_PROTO_TCP, 443, 0);
	ep_add(f, "a/x", "app=x", "10.0.0.1", NULL);
	ep_add(f, "a/y", "app=y", "192.168.0.10", NULL);
	pol_add(f, p);
	pol_add(f, pol_new("a", "y-closed", "app=y", IN | EG));
	got = connlist_text(matcher(f), false);
	assert_string_equal(got,
	                    "a/x ext:192.168.0.0-192.168.0.9 TCP 443\n"
	                    "a/x ext:192.168.0.11-192.168.0.127 TCP 443\n"
	                    "a/x ext:192.168.0.192-192.168.0.255 TCP 443\n"
	                    "ext:0.0.0.0-10.0.0.0 a/x SCTP 1-65535\n"
	                    "ext:0.0.0.0-10.0.0.0 a/x TCP 1-65535\n"
	                    "ext:0.0.0.0-10.0.0.0 a/x UDP 1-65535\n"
	                    "ext:10.0.0.2-192.168.0.9 a/x SCTP 1-65535\n"
	                    "ext:10.0.0.2-192.168.0.9 a/x TCP 1-65535\n"
	                    "ext:10.0.0.2-192.168.0.9 a/x UDP 1-65535\n"
	                    "ext:192.168.0.11-255.255.255.255 a/x SCTP 1-65535\n"
	                    "ext:192.168.0.11-255.255.255.255 a/x TCP 1-65535\n"
	                    "ext:192.168.0.11-255.255.255.255 a/x UDP 1-65535\n"
	                    "ext:::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff a/x SCTP 1-65535\n"
	                    "ext:::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff a/x TCP 1-65535\n"
	                    "ext:::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff a/x UDP 1-65535\n");
	free(got);
}

static void test_json_same_content(void **state)
{
	struct fx *f = *state;
	char addrs[SCENARIO_MAX_ADDRS][SW_ADDR_STRLEN];
	char *text, *json, *line;
	json_t *arr;
	json_error_t jerr;
	size_t i = 0;

	(void)random_scenario(f, 42, addrs);
	text = connlist_text(matcher(f), false);
	json = connlist_text(matcher(f), true);
	arr = json_loads(json, 0, &jerr);
	if (arr == NULL)
		fail_msg("bad JSON at line %d: %s", jerr.line, jerr.text);
	assert_true(json_is_array(arr));
	for (line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n"), i++) {
		json_t *o = json_array_get(arr, i), *ports = json_object_get(o, "ports");
		char *rebuilt = NULL;
		size_t len = 0;
		FILE *fp = open_memstream(&rebuilt, &len);

		assert_non_null(o);
		fprintf(fp, "%s %s %s ", json_string_value(json_object_get(o, "src")),
		        json_string_value(json_object_get(o, "dst")),
		        json_string_value(json_object_get(o, "proto")));
		assert_true(json_array_size(ports) > 0);
		for (size_t k = 0; k < json_array_size(ports); k++) {
			json_int_t lo = json_integer_value(json_array_get(json_array_get(ports, k), 0));
			json_int_t hi = json_integer_value(json_array_get(json_array_get(ports, k), 1));
			assert_true(lo >= 1 && lo <= hi && hi <= 65535);
			fprintf(fp, k ? ",%lld" : "%lld", (long long)lo);
			if (hi != lo)
				fprintf(fp, "-%lld", (long long)hi);
		}
		fclose(fp);
		assert_string_equal(rebuilt, line);
		free(rebuilt);
	}
	assert_true(i > 10);
	assert_int_equal(json_array_size(arr), i);
	json_decref(arr);
	free(text);
	free(json);
}

/* ---- every line agrees with the verdicts ---- */

struct parsed {
	const struct sw_conn *c;
	bool src_ext, dst_ext;
	struct sw_addr lo, hi; /* of the external side */
};

static void ext_range(const char *s, struct sw_addr *lo, struct sw_addr *hi)
{
	char buf[2 * SW_ADDR_STRLEN + 8];
	char *dash;

	assert_true(strncmp(s, "ext:", 4) == 0);
	snprintf(buf, sizeof(buf), "%s", s + 4);
	/* IPv6 text has no '-': the separator is the only one */
	dash = strchr(buf, '-');
	assert_non_null(dash);
	*dash = '\0';
	assert_int_equal(sw_addr_parse(buf, lo), SW_OK);
	assert_int_equal(sw_addr_parse(dash + 1, hi), SW_OK);
	assert_true(sw_addr_cmp(lo, hi) <= 0);
	assert_int_equal(sw_addr_is_v4(lo), sw_addr_is_v4(hi));
}

static bool ports_has(const struct sw_conn *c, uint16_t port)
{
	for (size_t i = 0; i < c->n_ranges; i++)
		if (port >= c->ranges[i].lo && port <= c->ranges[i].hi)
			return true;
	return false;
}

/* The entry for (src, dst, proto) where an external side contains addr. */
static const struct sw_conn *find(const struct parsed *ps, size_t n, const char *src,
                                  const char *dst, const struct sw_addr *ext, uint8_t proto)
{
	for (size_t i = 0; i < n; i++) {
		const struct parsed *p = &ps[i];
		if (p->c->proto != proto || p->src_ext != (src == NULL) || p->dst_ext != (dst == NULL))
			continue;
		if (p->src_ext || p->dst_ext) {
			if (ext == NULL || sw_addr_cmp(ext, &p->lo) < 0 || sw_addr_cmp(ext, &p->hi) > 0)
				continue;
		}
		if ((src && strcmp(p->c->src, src) != 0) || (dst && strcmp(p->c->dst, dst) != 0))
			continue;
		return p->c;
	}
	return NULL;
}

static void check_pair(const struct sw_matcher *m, const struct parsed *ps, size_t n,
                       const struct sw_addr *a, const struct sw_addr *b, const char *ida,
                       const char *idb)
{
	static const uint8_t protos[] = {SW_PROTO_TCP, SW_PROTO_UDP, SW_PROTO_SCTP};
	const struct sw_addr *ext = ida == NULL ? a : idb == NULL ? b : NULL;

	for (size_t k = 0; k < SW_ARRAY_SIZE(protos); k++) {
		const struct sw_conn *c = find(ps, n, ida, idb, ext, protos[k]);
		for (uint32_t port = 1; port <= 65535; port = port < 200 ? port + 1 : port + 9000) {
			struct sw_judgement j;
			bool listed = c != NULL && ports_has(c, (uint16_t)port);
			sw_matcher_judge(m, a, b, protos[k], (uint16_t)port, &j);
			if (listed != (j.verdict == SW_VERDICT_ALLOWED))
				fail_msg("%s -> %s proto %u port %u: connlist %s, judge %s",
				         ida ? ida : "ext", idb ? idb : "ext", protos[k], port,
				         listed ? "lists it" : "does not", sw_reason_name(j.reason));
		}
	}
}

/* The endpoint side of an entry with an external side. */
static const char *ep_side(const struct parsed *p)
{
	return p->src_ext ? p->c->dst : p->c->src;
}

/* The entries of endpoint ep, direction (outbound when the external side
 * is the destination), external run starting at lo: one slot per
 * protocol. */
static void run_set(const struct parsed *ps, size_t n, const char *ep, bool outbound,
                    const struct sw_addr *lo, const struct sw_conn *out[3])
{
	static const uint8_t protos[] = {SW_PROTO_TCP, SW_PROTO_UDP, SW_PROTO_SCTP};

	for (size_t k = 0; k < 3; k++) {
		out[k] = NULL;
		for (size_t i = 0; i < n; i++) {
			const struct parsed *p = &ps[i];
			if ((p->src_ext || p->dst_ext) && p->dst_ext == outbound &&
			    p->c->proto == protos[k] && strcmp(ep_side(p), ep) == 0 &&
			    sw_addr_cmp(&p->lo, lo) == 0)
				out[k] = p->c;
		}
	}
}

static bool same_ports(const struct sw_conn *a, const struct sw_conn *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return a->n_ranges == b->n_ranges &&
	       memcmp(a->ranges, b->ranges, a->n_ranges * sizeof(*a->ranges)) == 0;
}

/* Adjacent external runs of one endpoint and direction must differ in
 * their connection sets (otherwise they were not maximal). */
static void check_maximal(const struct parsed *ps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct parsed *x = &ps[i];
		struct sw_addr next = x->hi;
		const struct sw_conn *sx[3], *sy[3];
		bool same = true;

		if (!(x->src_ext || x->dst_ext) || !sw_addr_inc(&next) ||
		    sw_addr_is_v4(&next) != sw_addr_is_v4(&x->hi))
			continue;
		run_set(ps, n, ep_side(x), x->dst_ext, &next, sy);
		if (sy[0] == NULL && sy[1] == NULL && sy[2] == NULL)
			continue; /* no run starts right after x */
		run_set(ps, n, ep_side(x), x->dst_ext, &x->lo, sx);
		for (size_t k = 0; k < 3; k++)
			same &= same_ports(sx[k], sy[k]);
		if (same)
			fail_msg("the run after '%s' has the same connections", x->c->line);
	}
}

static void test_agrees_with_judge(void **state)
{
	struct fx *f = *state;
	char addrs[SCENARIO_MAX_ADDRS][SW_ADDR_STRLEN];
	size_t n_addrs = random_scenario(f, 7, addrs);
	const struct sw_matcher *m = matcher(f);
	struct sw_connlist *cl = NULL;
	struct sw_err err;
	struct parsed *ps;
	size_t n;

	assert_int_equal(sw_connlist_build(m, &cl, &err), SW_OK);
	n = sw_connlist_count(cl);
	ps = xcalloc(n, sizeof(*ps));
	for (size_t i = 0; i < n; i++) {
		ps[i].c = sw_connlist_get(cl, i);
		ps[i].src_ext = strncmp(ps[i].c->src, "ext:", 4) == 0;
		ps[i].dst_ext = strncmp(ps[i].c->dst, "ext:", 4) == 0;
		assert_false(ps[i].src_ext && ps[i].dst_ext);
		assert_string_not_equal(ps[i].c->src, ps[i].c->dst);
		if (ps[i].src_ext || ps[i].dst_ext)
			ext_range(ps[i].src_ext ? ps[i].c->src : ps[i].c->dst, &ps[i].lo, &ps[i].hi);
		if (i > 0)
			assert_true(strcmp(ps[i - 1].c->line, ps[i].c->line) < 0);
	}
	for (size_t i = 0; i < n_addrs; i++) {
		struct sw_addr a = addr_of(f, addrs[i]);
		long ea = sw_matcher_endpoint_of(m, &a);
		const char *ida = ea >= 0 ? sw_inventory_endpoint(f->inv, (size_t)ea)->id : NULL;
		for (size_t k = 0; k < n_addrs; k++) {
			struct sw_addr b = addr_of(f, addrs[k]);
			long eb = sw_matcher_endpoint_of(m, &b);
			const char *idb = eb >= 0 ? sw_inventory_endpoint(f->inv, (size_t)eb)->id : NULL;
			if ((ida == NULL && idb == NULL) || (ea >= 0 && ea == eb))
				continue;
			check_pair(m, ps, n, &a, &b, ida, idb);
		}
	}
	check_maximal(ps, n);
	free(ps);
	sw_connlist_free(cl);
}

_Static_assert(SW_ARRAY_SIZE(golden_cases) == 8, "add a G(i) line to main() for each case");

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define G(i) cmocka_unit_test_prestate(test_golden, (void *)(uintptr_t)golden_cases[i])

int main(void)
{
	const struct CMUnitTest tests[] = {
		G(0), G(1), G(2), G(3), G(4), G(5), G(6), G(7),
		cmocka_unit_test(test_golden_cases_all_listed),
		T(test_lines_and_order),
		T(test_external_runs_split_at_endpoints),
		T(test_json_same_content),
		T(test_agrees_with_judge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
