/*
 * bench_store.c - ingest of ended flows into SQLite, side by side:
 *   store  sw_store_put_flows, BATCH rows per call and transaction, as
 *          segwatch run's writer does, into a database with segwatch's
 *          schema (all indexes);
 *   bare   the same rows into the same schema with one prepared INSERT in
 *          one transaction, values precomputed (the floor of what SQLite
 *          can do with these indexes).
 * Prints "store_rows_per_s=... bare_rows_per_s=... ratio=..." on one line.
 *
 *   bench_store DIR [ROWS]
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "segwatch/addr.h"
#include "segwatch/store.h"
#include "segwatch/textparse.h"

#define BATCH 8192

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A deterministic flow i among 2000 clients and 40 servers. */
static void make_flow(struct sw_flow *f, size_t i)
{
	char ip[32];

	memset(f, 0, sizeof(*f));
	f->id = i + 1;
	snprintf(ip, sizeof(ip), "10.1.%zu.%zu", (i % 2000) / 250, (i % 2000) % 250 + 1);
	if (sw_addr_parse(ip, &f->src) != SW_OK)
		abort();
	snprintf(ip, sizeof(ip), "10.2.0.%zu", i % 40 + 1);
	if (sw_addr_parse(ip, &f->dst) != SW_OK)
		abort();
	f->sport = (uint16_t)(30000 + i % 30000);
	f->dport = (uint16_t)(i % 3 == 0 ? 443 : 5432);
	f->proto = 6;
	f->tcp_state = SW_TCP_CLOSED;
	f->first_ns = 1795600000000000000ull + i * 1000000ull;
	f->last_ns = f->first_ns + 250000000ull;
	f->dir[0].pkts = 10 + i % 7;
	f->dir[0].bytes = 1000 + i % 977;
	f->dir[1].pkts = 8 + i % 5;
	f->dir[1].bytes = 4000 + i % 1999;
}

static double run_store(const char *path, size_t rows)
{
	struct sw_err err;
	struct sw_store *st = sw_store_open(path, NULL, &err);
	struct sw_flow *f = calloc(BATCH, sizeof(*f));
	struct sw_store_flow *sf = calloc(BATCH, sizeof(*sf));
	double t0;

	if (st == NULL || f == NULL || sf == NULL ||
	    sw_store_run_begin(st, 1, "bench", NULL, &err) != SW_OK) {
		fprintf(stderr, "bench_store: %s\n", st == NULL ? err.msg : "cannot start");
		exit(1);
	}
	t0 = now_s();
	for (size_t i = 0; i < rows; i += BATCH) {
		size_t n = rows - i < BATCH ? rows - i : BATCH;

		for (size_t k = 0; k < n; k++) {
			make_flow(&f[k], i + k);
			sf[k] = (struct sw_store_flow){
				.flow = &f[k], .end = SW_END_TCP_CLOSE,
				.reason = (i + k) % 10 ? SW_REASON_ALLOWED_BY_POLICY
				                       : SW_REASON_DENIED_INGRESS,
			};
		}
		if (sw_store_begin_batch(st, &err) != SW_OK ||
		    sw_store_put_flows(st, sf, n, &err) != SW_OK ||
		    sw_store_commit_batch(st, &err) != SW_OK) {
			fprintf(stderr, "bench_store: %s\n", err.msg);
			exit(1);
		}
	}
	t0 = now_s() - t0;
	sw_store_close(st);
	free(f);
	free(sf);
	return t0;
}

struct bare_row {
	char src[SW_ADDR_STRLEN], dst[SW_ADDR_STRLEN];
	struct sw_flow f;
	const char *reason, *verdict;
};

static double run_bare(const char *path, size_t rows)
{
	static const char sql[] =
		"INSERT INTO flows (run_id, flow_id, src, dst, src_endpoint, dst_endpoint,"
		" src_ns, dst_ns, src_ip, dst_ip, sport, dport, proto, vlan, vlan_inner,"
		" first_ns, last_ns, src_pkts, src_bytes, dst_pkts, dst_bytes, tcp_state,"
		" end_reason, verdict, reason, violation_id, fw_verdict, fw_prefix)"
		" VALUES (NULL, ?1, ?2, ?3, NULL, NULL, NULL, NULL, ?2, ?3, ?4, ?5, ?6, NULL, NULL,"
		" ?7, ?8, ?9, ?10, ?11, ?12, 'closed', 'tcp_close', ?13, ?14, NULL, NULL, NULL)";
	/* (the store's rows name the run; these do not: a NULL run_id is
	 * the one column the bare loop saves) */
	struct sw_err err;
	struct sw_store *st = sw_store_open(path, NULL, &err); /* the same schema */
	struct bare_row *r = calloc(rows, sizeof(*r));
	sqlite3 *db;
	sqlite3_stmt *s;
	double t0;

	if (st == NULL || r == NULL) {
		fprintf(stderr, "bench_store: cannot prepare the bare database\n");
		exit(1);
	}
	sw_store_close(st);
	for (size_t i = 0; i < rows; i++) {
		make_flow(&r[i].f, i);
		sw_addr_format(&r[i].f.src, r[i].src, sizeof(r[i].src));
		sw_addr_format(&r[i].f.dst, r[i].dst, sizeof(r[i].dst));
		r[i].verdict = i % 10 ? "allowed" : "denied";
		r[i].reason = i % 10 ? "allowed_by_policy" : "denied_ingress";
	}
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
	                 " PRAGMA cache_size=-65536", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench_store: %s\n", sqlite3_errmsg(db));
		exit(1);
	}
	t0 = now_s();
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	for (size_t i = 0; i < rows; i++) {
		const struct sw_flow *f = &r[i].f;
		sqlite3_bind_int64(s, 1, (sqlite3_int64)f->id);
		sqlite3_bind_text(s, 2, r[i].src, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, r[i].dst, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 4, f->sport);
		sqlite3_bind_int(s, 5, f->dport);
		sqlite3_bind_int(s, 6, f->proto);
		sqlite3_bind_int64(s, 7, (sqlite3_int64)f->first_ns);
		sqlite3_bind_int64(s, 8, (sqlite3_int64)f->last_ns);
		sqlite3_bind_int64(s, 9, (sqlite3_int64)f->dir[0].pkts);
		sqlite3_bind_int64(s, 10, (sqlite3_int64)f->dir[0].bytes);
		sqlite3_bind_int64(s, 11, (sqlite3_int64)f->dir[1].pkts);
		sqlite3_bind_int64(s, 12, (sqlite3_int64)f->dir[1].bytes);
		sqlite3_bind_text(s, 13, r[i].verdict, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 14, r[i].reason, -1, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE) {
			fprintf(stderr, "bench_store: %s\n", sqlite3_errmsg(db));
			exit(1);
		}
		sqlite3_reset(s);
	}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	t0 = now_s() - t0;
	sqlite3_finalize(s);
	sqlite3_close(db);
	free(r);
	return t0;
}

int main(int argc, char **argv)
{
	char a[4096], b[4096];
	size_t rows = 200000;
	double ts, tb;

	if (argc < 2) {
		fputs("usage: bench_store DIR [ROWS]\n", stderr);
		return 2;
	}
	if (argc > 2) {
		uint64_t v;
		if (sw_parse_u64(argv[2], strlen(argv[2]), 1, 100000000, &v) != SW_OK) {
			fputs("bench_store: ROWS: expected a number\n", stderr);
			return 2;
		}
		rows = (size_t)v;
	}
	snprintf(a, sizeof(a), "%s/bench-store.db", argv[1]);
	snprintf(b, sizeof(b), "%s/bench-bare.db", argv[1]);
	remove(a);
	remove(b);
	tb = run_bare(b, rows);
	ts = run_store(a, rows);
	printf("rows=%zu store_rows_per_s=%.0f bare_rows_per_s=%.0f ratio=%.3f\n", rows,
	       (double)rows / ts, (double)rows / tb, tb / ts);
	return 0;
}
