/*
 * test_monitor.c - the monitoring pipeline end to end in one process: a
 * capture file written with libpcap, a real inventory and policy set (YAML
 * files), the monitor's capture and writer threads, and the SQLite file
 * they fill. Checks what the database holds against what was captured,
 * and that the writer bounds each transaction (so commits keep their pace
 * when it is behind).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pcap/pcap.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segwatch/capture.h"
#include "segwatch/inventory.h"
#include "segwatch/match.h"
#include "segwatch/monitor.h"
#include "segwatch/netpol.h"
#include "segwatch/source.h"
#include "segwatch/store.h"

/* 10.0.0.1 -> 10.0.0.2: every FLOWS_DENIED_EVERY-th flow goes to port 22
 * (no policy admits it), the others to port 80. */
#define FLOWS_DENIED_EVERY 10

static const char inventory_yaml[] =
	"namespaces:\n"
	"- name: prod\n"
	"- name: corp\n"
	"endpoints:\n"
	"- id: prod/web\n"
	"  labels: {app: web}\n"
	"  ips: [10.0.0.2/32]\n"
	"- id: corp/client\n"
	"  labels: {role: client}\n"
	"  ips: [10.0.0.1/32]\n";

static const char policies_yaml[] =
	"apiVersion: networking.k8s.io/v1\n"
	"kind: NetworkPolicy\n"
	"metadata: {name: web-in, namespace: prod}\n"
	"spec:\n"
	"  podSelector: {matchLabels: {app: web}}\n"
	"  policyTypes: [Ingress]\n"
	"  ingress:\n"
	"  - ports: [{protocol: TCP, port: 80}]\n";

struct fx {
	char dir[64];
	char pcap[128], inv[128], pol[128], db[128];
	struct sw_inventory *inventory;
	struct sw_policy_set *set;
	struct sw_matcher *m;
};

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Ethernet + IPv4 + TCP, src:sport -> dst:dport (last octets given). */
static size_t tcp_frame(uint8_t *b, uint8_t src, uint8_t dst, uint16_t sport, uint16_t dport,
                        uint8_t flags)
{
	static const uint8_t eth[14] = {0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 0x08, 0x00};
	uint8_t *ip = b + 14, *tcp = ip + 20;

	memset(b, 0, 54);
	memcpy(b, eth, sizeof(eth));
	ip[0] = 0x45;
	ip[3] = 40;
	ip[8] = 64;
	ip[9] = 6;
	ip[12] = 10, ip[15] = src;
	ip[16] = 10, ip[19] = dst;
	tcp[0] = (uint8_t)(sport >> 8), tcp[1] = (uint8_t)sport;
	tcp[2] = (uint8_t)(dport >> 8), tcp[3] = (uint8_t)dport;
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	return 54;
}

/* n flows, a SYN and a SYN-ACK each, all still open at the end of the
 * file (they end together when the flow table is flushed). */
static void write_capture_ending(const char *path, int n, bool reset);
static void write_capture_ports(const char *path, int n, bool reset, int ports);

static void write_capture(const char *path, int n)
{
	write_capture_ending(path, n, false);
}

/* n flows, each a SYN and a SYN-ACK; with reset, the client then resets
 * it, so it ends at once instead of at the end of the file. */
static void write_capture_ending(const char *path, int n, bool reset)
{
	write_capture_ports(path, n, reset, 0);
}

/* As write_capture_ending, but with ports > 0 flow i goes to port
 * 2000 + i % ports (0: port 22 for every FLOWS_DENIED_EVERY-th, else 80). */
static void write_capture_ports(const char *path, int n, bool reset, int ports)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d = pcap_dump_open(dead, path);
	uint8_t frame[64];

	assert_non_null(d);
	for (int i = 0; i < n; i++) {
		uint16_t sport = (uint16_t)(1024 + i);
		uint16_t dport = ports > 0 ? (uint16_t)(2000 + i % ports)
		                           : i % FLOWS_DENIED_EVERY ? 80 : 22;
		struct pcap_pkthdr h = {.ts = {.tv_sec = 1700000000 + i / 1000,
		                               .tv_usec = (i % 1000) * 1000}};

		h.caplen = h.len = (bpf_u_int32)tcp_frame(frame, 1, 2, sport, dport, 0x02);
		pcap_dump((u_char *)d, &h, frame);
		h.caplen = h.len = (bpf_u_int32)tcp_frame(frame, 2, 1, dport, sport, 0x12);
		pcap_dump((u_char *)d, &h, frame);
		if (!reset)
			continue;
		h.caplen = h.len = (bpf_u_int32)tcp_frame(frame, 1, 2, sport, dport, 0x04);
		pcap_dump((u_char *)d, &h, frame);
	}
	pcap_dump_close(d);
	pcap_close(dead);
}

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct sw_err err;

	if (x == NULL)
		return -1;
	snprintf(x->dir, sizeof(x->dir), "/tmp/test_monitor.XXXXXX");
	if (mkdtemp(x->dir) == NULL)
		return -1;
	snprintf(x->pcap, sizeof(x->pcap), "%s/in.pcap", x->dir);
	snprintf(x->inv, sizeof(x->inv), "%s/inventory.yaml", x->dir);
	snprintf(x->pol, sizeof(x->pol), "%s/policies.yaml", x->dir);
	snprintf(x->db, sizeof(x->db), "%s/segwatch.db", x->dir);
	write_text(x->inv, inventory_yaml);
	write_text(x->pol, policies_yaml);
	x->inventory = sw_inventory_new();
	x->set = sw_policy_set_new();
	if (x->inventory == NULL || x->set == NULL ||
	    sw_inventory_load_file(x->inventory, x->inv, NULL, NULL, &err) != SW_OK ||
	    sw_policy_set_load_file(x->set, x->pol, NULL, NULL, &err) != SW_OK ||
	    (x->m = sw_matcher_new(x->inventory, x->set, &err)) == NULL)
		return -1;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	char cmd[128];

	sw_matcher_free(x->m);
	sw_policy_set_free(x->set);
	sw_inventory_free(x->inventory);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", x->dir);
	free(x);
	return system(cmd) == 0 ? 0 : -1;
}

/* Runs the monitor over x->pcap into x->db, as segwatch run -r does. */
/* The monitor's settings a test chooses; 0: the default. */
struct run_opts {
	size_t max_round_flows;
	uint64_t commit_interval_ns;
	size_t max_backlog;
};

static void run_monitor_with(struct fx *x, const struct run_opts *o, struct sw_monitor_stats *out);

static void run_monitor(struct fx *x, size_t max_round_flows, struct sw_monitor_stats *out)
{
	const struct run_opts o = { .max_round_flows = max_round_flows };

	run_monitor_with(x, &o, out);
}

static void run_monitor_with(struct fx *x, const struct run_opts *o, struct sw_monitor_stats *out)
{
	static volatile sig_atomic_t stop;
	struct sw_monitor_config mc = {0};
	struct sw_store *st;
	struct sw_monitor *mon;
	struct sw_capture *cap;
	struct sw_source *src;
	struct sw_err err;

	st = sw_store_open(x->db, NULL, &err);
	assert_non_null(st);
	mc.m = x->m;
	mc.store = st;
	sw_flowtable_config_default(&mc.ft);
	mc.block_when_full = true;
	mc.max_round_flows = o->max_round_flows;
	mc.commit_interval_ns = o->commit_interval_ns;
	mc.max_backlog = o->max_backlog;
	mon = sw_monitor_new(&mc, &err);
	assert_non_null(mon);
	cap = sw_capture_new(sw_monitor_flowtable(mon), &err);
	assert_non_null(cap);
	assert_int_equal(sw_source_open_file(x->pcap, NULL, &src, &err), SW_OK);
	assert_int_equal(sw_capture_add_source(cap, src), SW_OK);
	sw_monitor_attach(mon, cap);
	assert_int_equal(sw_monitor_start(mon, "file:in.pcap", &err), SW_OK);
	assert_int_equal(sw_capture_run(cap, &stop, NULL, NULL, &err), SW_OK);
	sw_flowtable_flush(sw_monitor_flowtable(mon), SW_END_OF_INPUT);
	if (sw_monitor_finish(mon, &err) != SW_OK)
		fail_msg("finish: %s", err.msg);
	sw_monitor_stats(mon, out);
	sw_capture_free(cap);
	sw_monitor_free(mon);
	sw_store_close(st);
}

static int64_t one_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* 20,000 flows end at once (the flush at the end of the file) while the
 * writer stores at most 4096 per transaction: all are stored, in at least
 * five commits, none of which holds more than 4096; every denied flow
 * points at the one violation row, which counts them all. */
static void test_rounds_are_bounded_and_complete(void **state)
{
	struct fx *x = *state;
	const int n = 20000;
	struct sw_monitor_stats s;
	sqlite3 *db;

	write_capture(x->pcap, n);
	run_monitor(x, 4096, &s);
	assert_int_equal(s.flows_stored, n);
	assert_int_equal(s.store_dropped, 0);
	assert_int_equal(s.store_backlog, 0);
	assert_true(s.store_round_max <= 4096);
	assert_true(s.store_batches >= (uint64_t)(n + 4095) / 4096);

	assert_int_equal(sqlite3_open_v2(x->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(one_int(db, "SELECT count(*) FROM flows"), n);
	assert_int_equal(one_int(db, "SELECT count(*) FROM flows WHERE verdict = 'denied'"),
	                 n / FLOWS_DENIED_EVERY);
	assert_int_equal(one_int(db, "SELECT count(*) FROM violations"), 1);
	assert_int_equal(one_int(db, "SELECT flows FROM violations WHERE src = 'corp/client' AND "
	                             "dst = 'prod/web' AND port = 22"), n / FLOWS_DENIED_EVERY);
	assert_int_equal(one_int(db, "SELECT count(*) FROM flows f JOIN violations v ON "
	                             "v.id = f.violation_id WHERE f.dport = 22"),
	                 n / FLOWS_DENIED_EVERY);
	assert_int_equal(one_int(db, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
	assert_int_equal(one_int(db, "SELECT count(*) FROM (SELECT DISTINCT run_id, flow_id "
	                             "FROM flows)"), n);
	sqlite3_close(db);
}

/* The default sizing stores a small file in a few transactions. */
static void test_default_rounds(void **state)
{
	struct fx *x = *state;
	struct sw_monitor_stats s;

	write_capture(x->pcap, 500);
	run_monitor(x, 0, &s);
	assert_int_equal(s.flows_stored, 500);
	assert_int_equal(s.store_round_max, 500);
	assert_true(s.store_batches >= 1 && s.store_batches <= 3);
}

/* The flows end all through the file, and a backlog bound of one hand-over
 * keeps the capture at most a hand-over ahead of the writer: the one
 * violation and the map's few edges change between the 5 rounds. A row is
 * written when it is new, then at most once per commit interval, and with
 * its final counters at stop: with an interval longer than the run, twice;
 * with one too short to defer anything, more often. The counts are exact
 * either way. */
static void test_counters_written_once_per_interval(void **state)
{
	struct fx *x = *state;
	const int n = 20000;
	struct run_opts o = { .max_round_flows = 4096, .max_backlog = 4096 };
	struct sw_monitor_stats s, deferred = {0};
	int64_t map_rows;
	sqlite3 *db;

	write_capture_ending(x->pcap, n, true);
	for (int pass = 0; pass < 2; pass++) {
		o.commit_interval_ns = pass == 0 ? 3600000000000ull : 1;
		run_monitor_with(x, &o, &s);
		assert_int_equal(s.flows_stored, n);
		assert_int_equal(s.store_dropped, 0);
		assert_true(s.store_batches >= (uint64_t)(n + 4095) / 4096);
		if (pass == 0)
			assert_int_equal(s.violations_stored, 2);
		else /* the capture may run a hand-over ahead: some rounds merge */
			assert_true(s.violations_stored > deferred.violations_stored);
		assert_int_equal(sqlite3_open_v2(x->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
		map_rows = one_int(db, "SELECT count(*) FROM edge_minutes");
		assert_true(map_rows >= 2 && map_rows <= 4); /* ports 80 and 22, one or two minutes */
		if (pass == 0)
			assert_true(s.map_rows_stored <= 2 * (uint64_t)map_rows);
		else
			assert_true(s.map_rows_stored > deferred.map_rows_stored);
		assert_int_equal(one_int(db, "SELECT sum(flows) FROM edge_minutes"),
		                 (int64_t)(pass + 1) * n);
		if (pass == 0)
			deferred = s;
		/* the second run folds into the first one's row */
		assert_int_equal(one_int(db, "SELECT flows FROM violations WHERE port = 22"),
		                 (int64_t)(pass + 1) * (n / FLOWS_DENIED_EVERY));
		assert_int_equal(one_int(db, "SELECT count(*) FROM flows WHERE dport = 22 AND "
		                             "violation_id IS NOT NULL"),
		                 (int64_t)(pass + 1) * (n / FLOWS_DENIED_EVERY));
		sqlite3_close(db);
	}
}

/* Thousands of map edges (one per destination port), in rounds of 1024
 * flows that each touch a third of them: their sums are looked up through
 * an index that grows, and with a 1 ns commit interval are written, found
 * spent and compacted away after every commit, then started again by the
 * next round. Either way every edge_minutes row equals the aggregate of
 * the stored flows. */
static void test_map_sums_many_edges(void **state)
{
	struct fx *x = *state;
	const int n = 12000, ports = 3000;
	struct run_opts o = { .max_round_flows = 1024, .max_backlog = 1024 };
	struct sw_monitor_stats s;
	char path[200];
	int64_t rows;
	sqlite3 *db;

	write_capture_ports(x->pcap, n, true, ports);
	for (int pass = 0; pass < 2; pass++) {
		for (const char *const *sfx = (const char *const[]){ "", "-wal", "-shm", NULL }; *sfx;
		     sfx++) {
			snprintf(path, sizeof(path), "%s%s", x->db, *sfx);
			unlink(path);
		}
		o.commit_interval_ns = pass == 0 ? 3600000000000ull : 1;
		run_monitor_with(x, &o, &s);
		assert_int_equal(s.flows_stored, n);
		assert_true(s.store_batches >= (uint64_t)n / 1024);
		assert_int_equal(sqlite3_open_v2(x->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
		rows = one_int(db, "SELECT count(*) FROM edge_minutes");
		assert_int_equal(one_int(db, "SELECT sum(flows) FROM edge_minutes"), n);
		assert_int_equal(rows, one_int(db, "SELECT count(*) FROM (SELECT DISTINCT last_ns -"
		                                   " last_ns % 60000000000, src, dst, proto, dport"
		                                   " FROM flows)"));
		assert_true(rows >= ports);
		/* each sum found again by its key: written when new and at stop */
		if (pass == 0)
			assert_true(s.map_rows_stored <= 2 * (uint64_t)rows);
		assert_int_equal(one_int(db, "SELECT count(*) FROM (SELECT last_ns - last_ns"
		                             " % 60000000000 AS m, src, dst, proto, dport, count(*) AS c,"
		                             " sum(src_bytes + dst_bytes) AS b,"
		                             " max(verdict = 'denied') AS d FROM flows"
		                             " GROUP BY 1, 2, 3, 4, 5) f LEFT JOIN edge_minutes e"
		                             " ON e.minute_ns = f.m AND e.src = f.src AND e.dst = f.dst"
		                             " AND e.proto = f.proto AND e.port = f.dport"
		                             " WHERE e.flows IS NOT f.c OR e.bytes IS NOT f.b"
		                             " OR e.denied IS NOT f.d"), 0);
		sqlite3_close(db);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rounds_are_bounded_and_complete, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_default_rounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counters_written_once_per_interval, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_map_sums_many_edges, setup, teardown),
	};
	return cmocka_run_group_tests_name("monitor", tests, NULL, NULL);
}
