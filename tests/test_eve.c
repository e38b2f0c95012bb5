/*
 * test_eve.c - cmocka tests of the EVE JSON Lines writer: violations made
 * by a real table (inventory, policies, matcher) are written, every line
 * is parsed back with jansson, and each event's members are checked
 * exactly (names, values, and that nothing else is there): TCP between
 * endpoints, an external source with a firewall DROP, ICMP and ICMPv6
 * (type and code, no ports), a protocol without ports; one line per call,
 * flushed; a failed write is reported at the end.
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

#include "segwatch/eve.h"
#include "segwatch/violations.h"

#include "match_builders.h"

#define T0 1795608000000000000ull /* 2026-11-25T12:00:00Z */
#define SEC 1000000000ull

struct efx {
	struct fx *f;
	struct sw_violations *vt;
	uint64_t next_id;
};

static int esetup(void **state)
{
	struct efx *e = calloc(1, sizeof(*e));
	void *inner = NULL;
	struct sw_violations_config cfg;
	struct sw_err err;

	if (e == NULL || setup(&inner) != 0)
		return -1;
	e->f = inner;
	e->next_id = 100;
	/* prod isolated for ingress, nothing admitted; an IPv6 endpoint too */
	ns_add(e->f, "prod", "env=prod");
	ep_add(e->f, "prod/web", "app=web", "10.0.1.0/24,fd00:2::/64", "http/TCP/80");
	ep_add(e->f, "prod/cli", "app=cli", "10.0.9.1", "");
	pol_add(e->f, pol_new("prod", "deny-in", "app=web", IN));
	memset(&cfg, 0, sizeof(cfg));
	e->vt = sw_violations_new(matcher(e->f), &cfg, &err);
	if (e->vt == NULL)
		return -1;
	*state = e;
	return 0;
}

static int eteardown(void **state)
{
	struct efx *e = *state;
	void *inner = e->f;

	sw_violations_free(e->vt);
	teardown(&inner);
	free(e);
	return 0;
}

/* Feeds one flow (start, then end) and returns its violation. */
static const struct sw_violation *violate(struct efx *e, const char *src, uint16_t sport,
                                          const char *dst, uint8_t proto, uint16_t dport,
                                          uint64_t t, uint8_t fw, const char *prefix)
{
	struct sw_flow f;
	const struct sw_violation *v = NULL;
	enum sw_reason r;

	memset(&f, 0, sizeof(f));
	f.id = e->next_id++;
	assert_int_equal(sw_addr_parse(src, &f.src), SW_OK);
	assert_int_equal(sw_addr_parse(dst, &f.dst), SW_OK);
	f.proto = proto;
	f.sport = sport;
	f.dport = dport;
	f.first_ns = f.last_ns = t;
	sw_violations_flow(e->vt, SW_FLOW_START, SW_END_NONE, &f);
	f.dir[0].pkts = 1;
	f.dir[0].bytes = 60;
	f.last_ns = t + SEC;
	f.fw.verdict = fw;
	snprintf(f.fw.prefix, sizeof(f.fw.prefix), "%s", prefix ? prefix : "");
	sw_violations_flow(e->vt, SW_FLOW_END, SW_END_IDLE, &f);
	assert_true(sw_violations_judgement(e->vt, &f, &r, &v));
	assert_non_null(v);
	return v;
}

/* Writes the violations as events and returns the text (caller frees). */
static char *render(const struct sw_violation *const *v, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	struct sw_err err;
	struct sw_eve *eve;

	assert_non_null(mem);
	eve = sw_eve_new(mem, &err);
	assert_non_null(eve);
	for (size_t i = 0; i < n; i++) {
		sw_eve_write_violation(eve, v[i]);
		assert_int_equal(sw_eve_count(eve), i + 1);
		/* flushed: the line is complete in the buffer already */
		assert_int_equal(buf[len - 1], '\n');
	}
	assert_int_equal(sw_eve_free(eve, &err), SW_OK);
	fclose(mem);
	return buf;
}

/* The i-th line of text, parsed. */
static json_t *line(const char *text, size_t i)
{
	const char *p = text;
	json_error_t jerr;
	json_t *o;
	char *copy;
	const char *nl;

	for (size_t k = 0; k < i; k++) {
		p = strchr(p, '\n');
		assert_non_null(p);
		p++;
	}
	nl = strchr(p, '\n');
	assert_non_null(nl);
	copy = xstrndup(p, (size_t)(nl - p));
	assert_null(strchr(copy, '\n'));
	o = json_loads(copy, 0, &jerr);
	if (o == NULL)
		fail_msg("line %zu is not JSON (%s): %s", i, jerr.text, copy);
	free(copy);
	return o;
}

/* The object has exactly these members (a NULL-terminated list). */
static void members_are(const json_t *o, const char *const *names)
{
	size_t n = 0;

	for (; names[n] != NULL; n++)
		if (json_object_get(o, names[n]) == NULL)
			fail_msg("member %s is missing", names[n]);
	assert_int_equal(json_object_size(o), n);
}

static void str_is(const json_t *o, const char *key, const char *want)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		fail_msg("%s is not a string", key);
	assert_string_equal(json_string_value(v), want);
}

static void int_is(const json_t *o, const char *key, json_int_t want)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		fail_msg("%s is not an integer", key);
	assert_int_equal(json_integer_value(v), want);
}

static const char *const TOP_PORTS[] = {"timestamp", "flow_id", "event_type", "src_ip",
	"src_port", "dest_ip", "dest_port", "proto", "violation", NULL};
static const char *const TOP_ICMP[] = {"timestamp", "flow_id", "event_type", "src_ip",
	"dest_ip", "proto", "icmp_type", "icmp_code", "violation", NULL};
static const char *const TOP_BARE[] = {"timestamp", "flow_id", "event_type", "src_ip",
	"dest_ip", "proto", "violation", NULL};
static const char *const VIOL[] = {"id", "reason", "verdict", "src", "src_endpoint", "dest",
	"dest_endpoint", "summary", NULL};
static const char *const VIOL_FW[] = {"id", "reason", "verdict", "src", "src_endpoint", "dest",
	"dest_endpoint", "summary", "fw_verdict", "fw_prefix", NULL};

static void test_tcp_between_endpoints(void **state)
{
	struct efx *e = *state;
	const struct sw_violation *v = violate(e, "10.0.9.1", 40000, "10.0.1.7", SW_PROTO_TCP, 80,
	                                       T0 + 5, SW_FW_NONE, NULL);
	char *text = render(&v, 1);
	json_t *o = line(text, 0), *m = json_object_get(o, "violation");

	members_are(o, TOP_PORTS);
	str_is(o, "timestamp", "2026-11-25T12:00:00.000000005Z");
	int_is(o, "flow_id", 100);
	str_is(o, "event_type", "violation");
	str_is(o, "src_ip", "10.0.9.1");
	int_is(o, "src_port", 40000);
	str_is(o, "dest_ip", "10.0.1.7");
	int_is(o, "dest_port", 80);
	str_is(o, "proto", "TCP");
	members_are(m, VIOL);
	int_is(m, "id", 1);
	str_is(m, "reason", "denied_ingress");
	str_is(m, "verdict", "denied");
	str_is(m, "src", "prod/cli");
	str_is(m, "src_endpoint", "prod/cli");
	str_is(m, "dest", "prod/web");
	str_is(m, "dest_endpoint", "prod/web");
	str_is(m, "summary", "ingress of prod/web (isolated by prod/deny-in): no ingress rule "
	                     "admits prod/cli on tcp/80");
	/* compact, one line, members in this order */
	assert_int_equal(strncmp(text, "{\"timestamp\":", 13), 0);
	json_decref(o);
	free(text);
}

static void test_external_with_firewall_drop(void **state)
{
	struct efx *e = *state;
	const struct sw_violation *v = violate(e, "203.0.113.5", 50000, "10.0.1.7", SW_PROTO_UDP,
	                                       53, T0, SW_FW_DROP, "DROP \"ext\"->web");
	char *text = render(&v, 1);
	json_t *o = line(text, 0), *m = json_object_get(o, "violation");

	members_are(o, TOP_PORTS);
	str_is(o, "proto", "UDP");
	int_is(o, "dest_port", 53);
	members_are(m, VIOL_FW);
	str_is(m, "src", "203.0.113.5");
	assert_true(json_is_null(json_object_get(m, "src_endpoint")));
	str_is(m, "fw_verdict", "drop");
	str_is(m, "fw_prefix", "DROP \"ext\"->web");
	json_decref(o);
	free(text);
}

static void test_icmp_and_portless(void **state)
{
	struct efx *e = *state;
	const struct sw_violation *v[3];
	char *text;
	json_t *o;

	v[0] = violate(e, "203.0.113.7", 8, "10.0.1.9", SW_PROTO_ICMP, 0, T0, SW_FW_NONE, NULL);
	v[1] = violate(e, "fd00:9::1", 128, "fd00:2::5", SW_PROTO_ICMPV6, 0, T0 + SEC,
	               SW_FW_REJECT, "REJECT v6");
	v[2] = violate(e, "203.0.113.8", 0, "10.0.1.9", 47, 0, T0 + 2 * SEC, SW_FW_NONE, NULL);
	text = render(v, 3);

	o = line(text, 0);
	members_are(o, TOP_ICMP);
	str_is(o, "proto", "ICMP");
	int_is(o, "icmp_type", 8);
	int_is(o, "icmp_code", 0);
	int_is(json_object_get(o, "violation"), "id", 1);
	json_decref(o);

	o = line(text, 1);
	members_are(o, TOP_ICMP);
	str_is(o, "proto", "IPv6-ICMP");
	str_is(o, "src_ip", "fd00:9::1");
	str_is(o, "dest_ip", "fd00:2::5");
	int_is(o, "icmp_type", 128);
	str_is(o, "timestamp", "2026-11-25T12:00:01.000000000Z");
	members_are(json_object_get(o, "violation"), VIOL_FW);
	str_is(json_object_get(o, "violation"), "fw_verdict", "reject");
	json_decref(o);

	o = line(text, 2);
	members_are(o, TOP_BARE);
	str_is(o, "proto", "47");
	str_is(json_object_get(o, "violation"), "summary",
	       "ingress of prod/web (isolated by prod/deny-in): no ingress rule admits "
	       "203.0.113.8 on 47");
	json_decref(o);
	assert_null(strchr(strchr(strchr(strchr(text, '\n') + 1, '\n') + 1, '\n') + 1, '\n'));
	free(text);
}

static void test_event_json_matches_line(void **state)
{
	struct efx *e = *state;
	const struct sw_violation *v = violate(e, "10.0.9.1", 40001, "10.0.1.8", SW_PROTO_TCP, 443,
	                                       T0, SW_FW_NONE, NULL);
	char *text = render(&v, 1);
	json_t *a = line(text, 0), *b = sw_eve_violation_json(v);

	assert_non_null(b);
	assert_true(json_equal(a, b));
	json_decref(a);
	json_decref(b);
	free(text);
}

static void test_write_failure_reported(void **state)
{
	struct efx *e = *state;
	const struct sw_violation *v = violate(e, "10.0.9.1", 40002, "10.0.1.8", SW_PROTO_TCP, 22,
	                                       T0, SW_FW_NONE, NULL);
	FILE *ro = fopen("/dev/null", "r");
	struct sw_err err;
	struct sw_eve *eve;

	assert_non_null(ro);
	eve = sw_eve_new(ro, &err);
	assert_non_null(eve);
	sw_eve_write_violation(eve, v);
	sw_eve_write_violation(eve, v);
	assert_int_equal(sw_eve_count(eve), 0);
	sw_err_clear(&err);
	assert_int_equal(sw_eve_free(eve, &err), SW_ERR_IO);
	assert_non_null(strstr(err.msg, "2 violation events not written"));
	fclose(ro);
	assert_int_equal(sw_eve_free(NULL, &err), SW_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tcp_between_endpoints, esetup, eteardown),
		cmocka_unit_test_setup_teardown(test_external_with_firewall_drop, esetup, eteardown),
		cmocka_unit_test_setup_teardown(test_icmp_and_portless, esetup, eteardown),
		cmocka_unit_test_setup_teardown(test_event_json_matches_line, esetup, eteardown),
		cmocka_unit_test_setup_teardown(test_write_failure_reported, esetup, eteardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
