/*
 * test_capture.c - component tests of the collector: real capture files
 * written with libpcap, read through sw_source_open_file and the capture
 * loop into a flow table (decoder included); errors for missing files,
 * broken files and bad filters; drops counted by reason.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "segwatch/capture.h"

struct counter {
	int ended;
	struct sw_flow last;
};

static void on_flow(void *ctx, enum sw_flow_event ev, enum sw_flow_end why, struct sw_flow *f)
{
	struct counter *c = ctx;

	(void)why;
	if (ev == SW_FLOW_END) {
		c->ended++;
		c->last = *f;
	}
}

/* Ethernet + IPv4 + TCP frame from 10.0.0.1:sport to 10.0.0.2:dport. */
static size_t tcp_frame(uint8_t *b, uint16_t sport, uint16_t dport, uint8_t flags, int ihl)
{
	static const uint8_t eth[14] = {0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 0x08, 0x00};
	uint8_t *ip = b + 14, *tcp = ip + 20;

	memset(b, 0, 54);
	memcpy(b, eth, sizeof(eth));
	ip[0] = (uint8_t)(0x40 | ihl);
	ip[3] = 40; /* total length */
	ip[8] = 64;
	ip[9] = 6;
	ip[12] = 10, ip[15] = 1;
	ip[16] = 10, ip[19] = 2;
	tcp[0] = (uint8_t)(sport >> 8), tcp[1] = (uint8_t)sport;
	tcp[2] = (uint8_t)(dport >> 8), tcp[3] = (uint8_t)dport;
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	return 54;
}

static void write_capture(const char *path, int n_frames, bool bad_header_last)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d = pcap_dump_open(dead, path);
	uint8_t frame[64];

	assert_non_null(d);
	for (int i = 0; i < n_frames; i++) {
		struct pcap_pkthdr h;
		bool reply = i % 2 == 1;
		size_t len = reply ? tcp_frame(frame, 80, 40000, 0x12, 5)
		                   : tcp_frame(frame, 40000, 80, i == 0 ? 0x02 : 0x10, 5);
		if (reply) { /* swap the addresses */
			frame[14 + 15] = 2;
			frame[14 + 19] = 1;
		}
		if (bad_header_last && i == n_frames - 1)
			len = tcp_frame(frame, 40000, 80, 0x10, 3); /* IHL 3 */
		h.ts.tv_sec = 1700000000 + i;
		h.ts.tv_usec = 0;
		h.caplen = h.len = (bpf_u_int32)len;
		pcap_dump((u_char *)d, &h, frame);
	}
	pcap_dump_close(d);
	pcap_close(dead);
}

static enum sw_status run_file(const char *path, const char *filter, struct counter *c,
                               struct sw_capture_stats *cs, struct sw_err *err)
{
	struct sw_flowtable_config cfg;
	struct sw_source *src;
	static volatile sig_atomic_t stop;
	enum sw_status st;

	memset(c, 0, sizeof(*c));
	sw_flowtable_config_default(&cfg);
	cfg.max_flows = 64;
	struct sw_flowtable *ft = sw_flowtable_new(&cfg, on_flow, c, err);
	assert_non_null(ft);
	struct sw_capture *cap = sw_capture_new(ft, err);
	assert_non_null(cap);
	st = sw_source_open_file(path, filter, &src, err);
	if (st == SW_OK) {
		assert_int_equal(sw_capture_add_source(cap, src), SW_OK);
		st = sw_capture_run(cap, &stop, NULL, NULL, err);
		sw_flowtable_flush(ft, SW_END_OF_INPUT);
		sw_capture_stats(cap, cs);
	}
	sw_capture_free(cap);
	sw_flowtable_free(ft);
	return st;
}

static char tmpdir[64];

static int make_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_capture.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int remove_tmpdir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
}

static void test_file_to_flow(void **state)
{
	char path[128];
	struct counter c;
	struct sw_capture_stats cs;
	struct sw_err err;

	(void)state;
	path_of(path, sizeof(path), "ok.pcap");
	write_capture(path, 4, false);
	assert_int_equal(run_file(path, NULL, &c, &cs, &err), SW_OK);
	assert_int_equal(cs.frames, 4);
	assert_int_equal(cs.decoded, 4);
	assert_int_equal(c.ended, 1);
	assert_int_equal(c.last.sport, 40000);
	assert_int_equal(c.last.dport, 80);
	assert_int_equal(c.last.dir[0].pkts, 2);
	assert_int_equal(c.last.dir[1].pkts, 2);
	assert_int_equal(c.last.dir[0].bytes, 80); /* IP bytes, no Ethernet header */
	assert_int_equal(c.last.first_ns, 1700000000ull * 1000000000ull);
	assert_int_equal(c.last.tcp_state, SW_TCP_ESTABLISHED);
}

static void test_drop_counted_by_reason(void **state)
{
	char path[128];
	struct counter c;
	struct sw_capture_stats cs;
	struct sw_err err;

	(void)state;
	path_of(path, sizeof(path), "bad.pcap");
	write_capture(path, 3, true);
	assert_int_equal(run_file(path, NULL, &c, &cs, &err), SW_OK);
	assert_int_equal(cs.frames, 3);
	assert_int_equal(cs.decoded, 2);
	assert_int_equal(cs.dropped[SW_DROP_BAD_IP_HEADER_LENGTH], 1);
}

static void test_filter(void **state)
{
	char path[128];
	struct counter c;
	struct sw_capture_stats cs;
	struct sw_err err;

	(void)state;
	path_of(path, sizeof(path), "f.pcap");
	write_capture(path, 4, false);
	assert_int_equal(run_file(path, "udp", &c, &cs, &err), SW_OK);
	assert_int_equal(cs.frames, 0);
	assert_int_equal(run_file(path, "tcp src port 80", &c, &cs, &err), SW_OK);
	assert_int_equal(cs.frames, 2);
	assert_int_equal(run_file(path, "tcp and and", &c, &cs, &err), SW_ERR_INVALID);
	assert_non_null(strstr(err.msg, "invalid filter"));
}

static void test_missing_file(void **state)
{
	struct counter c;
	struct sw_capture_stats cs;
	struct sw_err err;

	(void)state;
	assert_int_equal(run_file("/nonexistent/x.pcap", NULL, &c, &cs, &err), SW_ERR_PARSE);
	assert_string_equal(err.file, "/nonexistent/x.pcap");
	assert_non_null(strstr(err.msg, "No such file"));
}

static void test_truncated_file(void **state)
{
	char path[128];
	struct counter c;
	struct sw_capture_stats cs;
	struct sw_err err;

	(void)state;
	path_of(path, sizeof(path), "trunc.pcap");
	write_capture(path, 4, false);
	/* 24-byte header + 3 whole records of 16 + 54, then half a record */
	assert_int_equal(truncate(path, 24 + 3 * 70 + 30), 0);
	assert_int_equal(run_file(path, NULL, &c, &cs, &err), SW_ERR_PARSE);
	assert_int_equal(cs.frames, 3);
	assert_int_equal(c.ended, 1); /* what was read is still accounted */
	assert_string_equal(err.file, path);
	assert_non_null(strstr(err.msg, "after 3 packets"));
}

static void test_not_a_capture(void **state)
{
	char path[128];
	struct counter c;
	struct sw_capture_stats cs;
	struct sw_err err;
	FILE *f;

	(void)state;
	path_of(path, sizeof(path), "text.pcap");
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("this is not a capture file at all\n", f);
	fclose(f);
	assert_int_equal(run_file(path, NULL, &c, &cs, &err), SW_ERR_PARSE);
	assert_non_null(strstr(err.msg, "not a readable pcap"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_to_flow),
		cmocka_unit_test(test_drop_counted_by_reason),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_truncated_file),
		cmocka_unit_test(test_not_a_capture),
	};
	return cmocka_run_group_tests_name("capture", tests, make_tmpdir, remove_tmpdir);
}
