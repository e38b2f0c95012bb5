/*
 * test_flowlog.c - cmocka tests of flow records: JSON Lines parse as JSON
 * with every field right (checked with jansson), optional fields appear
 * only when they apply, CSV rows have the header's column count; the
 * firewall fields, whose prefix is free text, are JSON-escaped, CSV-quoted
 * and valid UTF-8 whatever the prefix holds.
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

#include "segwatch/flowlog.h"

static struct sw_flow sample_tcp(void)
{
	struct sw_flow f;

	memset(&f, 0, sizeof(f));
	f.id = 42;
	assert_int_equal(sw_addr_parse("10.0.0.1", &f.src), SW_OK);
	assert_int_equal(sw_addr_parse("10.0.0.2", &f.dst), SW_OK);
	f.sport = 40000;
	f.dport = 443;
	f.proto = SW_PROTO_TCP;
	f.first_ns = 1764072000123456789ull; /* 2025-11-25T12:00:00.123456789Z */
	f.last_ns = f.first_ns + 2500000000ull;
	f.dir[0].pkts = 5, f.dir[0].bytes = 400, f.dir[0].tcp_flags = 0x13;
	f.dir[1].pkts = 4, f.dir[1].bytes = 3000, f.dir[1].tcp_flags = 0x12;
	f.tcp_state = SW_TCP_ESTABLISHED;
	f.vlan[0] = 100;
	return f;
}

/* Writes one record and returns what was written (caller frees). */
static char *render(enum sw_flowlog_format fmt, enum sw_flow_event ev, enum sw_flow_end why,
                    const struct sw_flow *f)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	struct sw_err err;

	assert_non_null(mem);
	struct sw_flowlog *fl = sw_flowlog_new(mem, fmt, &err);
	assert_non_null(fl);
	sw_flowlog_write(fl, ev, why, f);
	assert_int_equal(sw_flowlog_count(fl), ev == SW_FLOW_START ? 0 : 1);
	assert_int_equal(sw_flowlog_free(fl, &err), SW_OK);
	fclose(mem);
	return buf;
}

static void test_json_fields(void **state)
{
	struct sw_flow f = sample_tcp();
	char *line = render(SW_FLOWLOG_JSONL, SW_FLOW_END, SW_END_TCP_CLOSE, &f);
	json_error_t jerr;
	json_t *o = json_loads(line, 0, &jerr);

	(void)state;
	assert_non_null(o);
	assert_int_equal(line[strlen(line) - 1], '\n');
	assert_int_equal(json_integer_value(json_object_get(o, "flow_id")), 42);
	assert_string_equal(json_string_value(json_object_get(o, "first_seen")),
	                    "2025-11-25T12:00:00.123456789Z");
	assert_string_equal(json_string_value(json_object_get(o, "last_seen")),
	                    "2025-11-25T12:00:02.623456789Z");
	assert_true(json_real_value(json_object_get(o, "duration")) == 2.5);
	assert_string_equal(json_string_value(json_object_get(o, "proto")), "tcp");
	assert_string_equal(json_string_value(json_object_get(o, "src_ip")), "10.0.0.1");
	assert_int_equal(json_integer_value(json_object_get(o, "dst_port")), 443);
	assert_int_equal(json_integer_value(json_object_get(o, "vlan")), 100);
	assert_null(json_object_get(o, "vlan_inner"));
	assert_int_equal(json_integer_value(json_object_get(o, "dst_bytes")), 3000);
	assert_string_equal(json_string_value(json_object_get(o, "src_tcp_flags")), "FSA");
	assert_string_equal(json_string_value(json_object_get(o, "dst_tcp_flags")), "SA");
	assert_string_equal(json_string_value(json_object_get(o, "tcp_state")), "established");
	assert_true(json_is_false(json_object_get(o, "midstream")));
	assert_null(json_object_get(o, "icmp_type"));
	assert_null(json_object_get(o, "fragments"));
	assert_string_equal(json_string_value(json_object_get(o, "end_reason")), "tcp_close");
	assert_true(json_is_false(json_object_get(o, "update")));
	json_decref(o);
	free(line);
}

static void test_json_icmp_update(void **state)
{
	struct sw_flow f = sample_tcp();
	char *line;
	json_t *o;

	(void)state;
	f.proto = SW_PROTO_ICMPV6;
	f.sport = 128;
	f.dport = 0;
	f.vlan[0] = 0;
	f.fragments = 3;
	f.icmp_errors = 1;
	assert_int_equal(sw_addr_parse("fd00::1", &f.src), SW_OK);
	line = render(SW_FLOWLOG_JSONL, SW_FLOW_UPDATE, SW_END_ACTIVE_TIMEOUT, &f);
	o = json_loads(line, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "proto")), "icmpv6");
	assert_string_equal(json_string_value(json_object_get(o, "src_ip")), "fd00::1");
	assert_int_equal(json_integer_value(json_object_get(o, "icmp_type")), 128);
	assert_int_equal(json_integer_value(json_object_get(o, "icmp_code")), 0);
	assert_int_equal(json_integer_value(json_object_get(o, "fragments")), 3);
	assert_int_equal(json_integer_value(json_object_get(o, "icmp_errors")), 1);
	assert_null(json_object_get(o, "tcp_state"));
	assert_null(json_object_get(o, "vlan"));
	assert_true(json_is_true(json_object_get(o, "update")));
	assert_string_equal(json_string_value(json_object_get(o, "end_reason")), "active_timeout");
	json_decref(o);
	free(line);
	/* unknown protocols are named by number; start events write nothing */
	f.proto = 47;
	line = render(SW_FLOWLOG_JSONL, SW_FLOW_END, SW_END_IDLE, &f);
	assert_non_null(strstr(line, "\"proto\":\"47\""));
	free(line);
	line = render(SW_FLOWLOG_JSONL, SW_FLOW_START, SW_END_NONE, &f);
	assert_true(line == NULL || line[0] == '\0');
	free(line);
}

static size_t count_fields(const char *line)
{
	size_t n = 1;
	for (; *line != '\0' && *line != '\n'; line++)
		n += *line == ',';
	return n;
}

static void test_csv_columns(void **state)
{
	struct sw_flow f = sample_tcp();
	char *text = render(SW_FLOWLOG_CSV, SW_FLOW_END, SW_END_IDLE, &f);
	char *row = strchr(text, '\n') + 1;

	(void)state;
	assert_int_equal(strncmp(text, "flow_id,first_seen,", 19), 0);
	assert_int_equal(count_fields(text), count_fields(row));
	assert_non_null(strstr(row, ",tcp,6,10.0.0.1,40000,10.0.0.2,443,100,,5,400,4,3000,FSA,SA,"
	                            "established,false,"));
	free(text);
	f.proto = SW_PROTO_UDP;
	text = render(SW_FLOWLOG_CSV, SW_FLOW_END, SW_END_IDLE, &f);
	row = strchr(text, '\n') + 1;
	assert_int_equal(count_fields(text), count_fields(row));
	free(text);
}

/* A flow an NFLOG rule logged, with a prefix full of what must be escaped. */
static struct sw_flow sample_fw(const char *prefix)
{
	struct sw_flow f = sample_tcp();

	f.fw.verdict = SW_FW_DROP;
	f.fw.family = 2;
	f.fw.hook = 1;
	f.fw.group = 5;
	f.fw.mark = 7;
	snprintf(f.fw.prefix, sizeof(f.fw.prefix), "%s", prefix);
	snprintf(f.fw.in, sizeof(f.fw.in), "%s", "veth-srv");
	return f;
}

static void test_json_firewall_escaped(void **state)
{
	static const struct {
		const char *prefix;  /* as the kernel gave it */
		const char *want;    /* the string JSON must carry */
	} cases[] = {
		{"DROP web->db", "DROP web->db"},
		{"DROP \"q\" back\\slash", "DROP \"q\" back\\slash"},
		{"DROP\tnl\ncr\r\x01\x1f\x7f", "DROP\tnl\ncr\r\x01\x1f\x7f"},
		{"DROP caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x94\xa5", "DROP caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x94\xa5"},
		/* invalid UTF-8: a stray byte, an overlong '/', a surrogate, a cut
		 * character at the end; each bad byte becomes U+FFFD */
		{"DROP \xff x", "DROP \xef\xbf\xbd x"},
		{"DROP \xc0\xaf", "DROP \xef\xbf\xbd\xef\xbf\xbd"},
		{"DROP \xed\xa0\x80", "DROP \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
		{"DROP \xe6\x97", "DROP \xef\xbf\xbd\xef\xbf\xbd"},
	};

	(void)state;
	for (size_t i = 0; i < SW_ARRAY_SIZE(cases); i++) {
		struct sw_flow f = sample_fw(cases[i].prefix);
		char *line = render(SW_FLOWLOG_JSONL, SW_FLOW_END, SW_END_TCP_RESET, &f);
		json_error_t jerr;
		json_t *o = json_loads(line, 0, &jerr); /* rejects invalid UTF-8 too */

		if (o == NULL)
			fail_msg("case %zu: not JSON (%s): %s", i, jerr.text, line);
		assert_int_equal(strchr(line, '\n') - line, (long)strlen(line) - 1);
		assert_string_equal(json_string_value(json_object_get(o, "fw_prefix")),
		                    cases[i].want);
		assert_string_equal(json_string_value(json_object_get(o, "fw_verdict")), "drop");
		assert_int_equal(json_integer_value(json_object_get(o, "fw_group")), 5);
		assert_string_equal(json_string_value(json_object_get(o, "fw_hook")), "input");
		assert_string_equal(json_string_value(json_object_get(o, "fw_in")), "veth-srv");
		assert_null(json_object_get(o, "fw_out"));
		assert_int_equal(json_integer_value(json_object_get(o, "fw_mark")), 7);
		/* the usual fields are still there */
		assert_string_equal(json_string_value(json_object_get(o, "end_reason")), "tcp_reset");
		json_decref(o);
		free(line);
	}
}

static void test_json_no_firewall_fields(void **state)
{
	struct sw_flow f = sample_tcp();
	char *line = render(SW_FLOWLOG_JSONL, SW_FLOW_END, SW_END_IDLE, &f);

	(void)state;
	assert_null(strstr(line, "fw_"));
	free(line);
	/* an empty prefix and no mark are left out, the verdict stays */
	f = sample_fw("");
	f.fw.verdict = SW_FW_LOG;
	f.fw.mark = 0;
	line = render(SW_FLOWLOG_JSONL, SW_FLOW_END, SW_END_IDLE, &f);
	json_t *o = json_loads(line, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "fw_verdict")), "log");
	assert_null(json_object_get(o, "fw_prefix"));
	assert_null(json_object_get(o, "fw_mark"));
	assert_int_equal(json_integer_value(json_object_get(o, "fw_group")), 5);
	json_decref(o);
	free(line);
}

/* Splits one RFC 4180 record (quoted fields, doubled quotes) into at
 * most max fields of up to 127 bytes; returns the field count. */
static int csv_split(const char *s, char fields[][128], int max)
{
	int n = 0;

	for (;;) {
		size_t k = 0;
		bool q = *s == '"';
		assert_true(n < max);
		if (q)
			s++;
		while (*s != '\0') {
			if (q && s[0] == '"' && s[1] == '"') {
				fields[n][k++] = '"';
				s += 2;
			} else if (q && *s == '"') {
				q = false;
				s++;
			} else if (!q && (*s == ',' || *s == '\n')) {
				break;
			} else {
				fields[n][k++] = *s++;
			}
			assert_true(k < 127);
		}
		fields[n++][k] = '\0';
		if (*s != ',')
			return n;
		s++;
	}
}

static void test_csv_firewall_quoted(void **state)
{
	static char head[48][128], row[48][128];
	struct sw_flow f = sample_fw("DROP a,\"b\" c");
	char *text = render(SW_FLOWLOG_CSV, SW_FLOW_END, SW_END_IDLE, &f);
	int nh = csv_split(text, head, 48);
	int nr = csv_split(strchr(text, '\n') + 1, row, 48);
	int col = -1;

	(void)state;
	assert_int_equal(nh, nr);
	for (int i = 0; i < nh; i++)
		if (strcmp(head[i], "fw_prefix") == 0)
			col = i;
	assert_true(col > 0);
	assert_string_equal(row[col], "DROP a,\"b\" c");
	assert_string_equal(row[col - 1], "drop");
	assert_string_equal(row[col + 1], "5");
	assert_non_null(strstr(text, ",drop,\"DROP a,\"\"b\"\" c\",5,input,veth-srv,,7\n"));
	free(text);
	/* a flow without firewall facts has the columns, empty */
	f = sample_tcp();
	text = render(SW_FLOWLOG_CSV, SW_FLOW_END, SW_END_IDLE, &f);
	nr = csv_split(strchr(text, '\n') + 1, row, 48);
	assert_int_equal(nr, nh);
	for (int i = col - 1; i < nr; i++)
		assert_string_equal(row[i], "");
	free(text);
}

static void test_format_time(void **state)
{
	char buf[SW_TIME_STRLEN];

	(void)state;
	assert_string_equal(sw_format_time(0, buf, sizeof(buf)), "1970-01-01T00:00:00.000000000Z");
	assert_string_equal(sw_format_time(1000000001ull, buf, sizeof(buf)),
	                    "1970-01-01T00:00:01.000000001Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_fields),
		cmocka_unit_test(test_json_icmp_update),
		cmocka_unit_test(test_csv_columns),
		cmocka_unit_test(test_json_firewall_escaped),
		cmocka_unit_test(test_json_no_firewall_fields),
		cmocka_unit_test(test_csv_firewall_quoted),
		cmocka_unit_test(test_format_time),
	};
	return cmocka_run_group_tests_name("flowlog", tests, NULL, NULL);
}
