/*
 * test_store.c - cmocka tests of the SQLite store on real files in a
 * mkdtemp directory: open/create/reopen and the connection settings,
 * migrations (an empty file; a newer schema refused), the violation upsert
 * (dedup, counters, runs adding up), ended flows round trip, foreign keys,
 * triage transitions, retention, filtered counts and keyset pages checked
 * against a brute-force count, query plans that use indexes, one-line
 * errors (unwritable place, not a database, locked), a writer SIGKILLed
 * mid-run, a bulk write of 100k flows, and the real pipeline (matcher ->
 * violation table -> store) with inventory, policies and explanations.
 * The tests read the database back with plain SQLite, not with the store.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <jansson.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "segwatch/store.h"

#include "match_builders.h"

#define T0 1795608000000000000ull /* 2026-11-25T12:00:00Z */
#define SEC 1000000000ull

/* ---- fixture: a fresh directory per test ---- */

struct sfx {
	char dir[64];
	char db[128];
};

static int sfx_setup(void **state)
{
	struct sfx *x = calloc(1, sizeof(*x));

	if (x == NULL)
		return -1;
	snprintf(x->dir, sizeof(x->dir), "/tmp/segwatch-store-XXXXXX");
	if (mkdtemp(x->dir) == NULL)
		return -1;
	snprintf(x->db, sizeof(x->db), "%s/segwatch.db", x->dir);
	*state = x;
	return 0;
}

static int sfx_teardown(void **state)
{
	struct sfx *x = *state;
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	char p[160];

	for (size_t i = 0; i < SW_ARRAY_SIZE(suffixes); i++) {
		snprintf(p, sizeof(p), "%s%s", x->db, suffixes[i]);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/other.db", x->dir);
	unlink(p);
	chmod(x->dir, 0700);
	rmdir(x->dir);
	free(x);
	return 0;
}

static struct sw_store *open_ok(const char *path)
{
	struct sw_err err;
	struct sw_store *st = sw_store_open(path, NULL, &err);

	if (st == NULL)
		fail_msg("open %s: %s", path, err.msg);
	return st;
}

/* ---- reading back with plain SQLite ---- */

static sqlite3 *raw_open(const char *path)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 2000);
	return db;
}

static int64_t raw_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* The first column of the first row as text (caller frees), NULL for NULL. */
static char *raw_text(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	const unsigned char *t;
	char *v;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	t = sqlite3_column_text(s, 0);
	v = t ? strdup((const char *)t) : NULL;
	sqlite3_finalize(s);
	return v;
}

static void assert_text(sqlite3 *db, const char *sql, const char *want)
{
	char *got = raw_text(db, sql);

	if (want == NULL)
		assert_null(got);
	else if (got == NULL || strcmp(got, want) != 0)
		fail_msg("%s: got %s, want %s", sql, got ? got : "NULL", want);
	free(got);
}

/* ---- building inputs ---- */

static struct sw_addr ip(const char *text)
{
	struct sw_addr a;

	assert_int_equal(sw_addr_parse(text, &a), SW_OK);
	return a;
}

static struct sw_flow mkflow(uint64_t id, const char *src, const char *dst, uint8_t proto,
                             uint16_t dport, uint64_t first, uint64_t last)
{
	struct sw_flow f;

	memset(&f, 0, sizeof(f));
	f.id = id;
	f.src = ip(src);
	f.dst = ip(dst);
	f.sport = 40000;
	f.dport = dport;
	f.proto = proto;
	f.first_ns = first;
	f.last_ns = last;
	f.dir[0].pkts = 3;
	f.dir[0].bytes = 180;
	f.dir[1].pkts = 2;
	f.dir[1].bytes = 120;
	if (proto == SW_PROTO_TCP)
		f.tcp_state = SW_TCP_CLOSED;
	return f;
}

/* A violation as the violation table would hand it out. */
static struct sw_violation mkviol(const char *src_id, const char *src_ip, const char *dst_id,
                                  const char *dst_ip, uint16_t port, enum sw_reason r,
                                  uint64_t first, uint64_t last, uint64_t flows)
{
	struct sw_violation v;

	memset(&v, 0, sizeof(v));
	v.src_ep = src_id ? 0 : -1;
	v.dst_ep = dst_id ? 0 : -1;
	v.src_id = src_id;
	v.dst_id = dst_id;
	v.src_addr = ip(src_ip);
	v.dst_addr = ip(dst_ip);
	v.proto = SW_PROTO_TCP;
	v.port = port;
	v.reason = r;
	v.first_ns = first;
	v.last_ns = last;
	v.flows = flows;
	v.pkts[0] = flows * 3;
	v.bytes[0] = flows * 180;
	v.pkts[1] = flows * 2;
	v.bytes[1] = flows * 120;
	v.n_samples = flows < SW_VIOLATION_SAMPLES ? flows : SW_VIOLATION_SAMPLES;
	for (size_t i = 0; i < v.n_samples; i++)
		v.samples[i].flow_id = 100 + i;
	v.summary = "ingress of prod/db: no ingress rule admits it";
	return v;
}

static int64_t upsert(struct sw_store *st, const struct sw_violation *v)
{
	struct sw_err err;
	int64_t id = -1;

	if (sw_store_upsert_violation(st, v, &id, &err) != SW_OK)
		fail_msg("upsert: %s", err.msg);
	assert_true(id > 0);
	return id;
}

static void put_flow(struct sw_store *st, const struct sw_flow *f, enum sw_reason r,
                     int64_t vid)
{
	struct sw_store_flow sf = { .flow = f, .end = SW_END_IDLE, .reason = r,
	                            .violation_id = vid };
	struct sw_err err;

	if (sw_store_put_flow(st, &sf, &err) != SW_OK)
		fail_msg("put_flow: %s", err.msg);
}

/* ---- open, create, reopen, migrations ---- */

static void test_open_create_reopen(void **state)
{
	struct sfx *x = *state;
	struct sw_store *st = open_ok(x->db);
	sqlite3 *db;

	assert_true(sw_store_schema_latest() >= 1);
	assert_int_equal(sw_store_schema_version(st), sw_store_schema_latest());
	sw_store_close(st);
	sw_store_close(NULL);

	db = raw_open(x->db);
	assert_int_equal(raw_int(db, "PRAGMA user_version"), sw_store_schema_latest());
	assert_text(db, "PRAGMA journal_mode", "wal");
	assert_int_equal(raw_int(db, "PRAGMA page_size"), SW_STORE_NEW_PAGE_SIZE);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM schema_meta"), sw_store_schema_latest());
	assert_text(db, "SELECT name FROM schema_meta WHERE version = 1", "001_initial.sql");
	for (const char *const *t = (const char *const[]){ "runs", "namespaces", "endpoints",
	        "policies", "flows", "violations", "baseline_edges", "anomalies", NULL }; *t; t++) {
		char sql[128];
		snprintf(sql, sizeof(sql),
		         "SELECT count(*) FROM sqlite_schema WHERE type='table' AND name='%s'", *t);
		assert_int_equal(raw_int(db, sql), 1);
	}
	sqlite3_close(db);

	/* reopening migrates nothing and keeps the data */
	st = open_ok(x->db);
	{
		struct sw_violation v = mkviol(NULL, "203.0.113.1", "prod/db", "10.0.2.10", 1,
		                               SW_REASON_DENIED_INGRESS, T0, T0, 1);
		upsert(st, &v);
	}
	sw_store_close(st);
	st = open_ok(x->db);
	sw_store_close(st);
	db = raw_open(x->db);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM schema_meta"), sw_store_schema_latest());
	assert_int_equal(raw_int(db, "SELECT count(*) FROM violations"), 1);
	sqlite3_close(db);
}

/* ---- upgrades ---- */

struct notices {
	int n;
	char first[512], last[512];
};

static void keep_notice(void *ctx, const char *msg)
{
	struct notices *nt = ctx;

	snprintf(nt->n++ ? nt->last : nt->first, sizeof(nt->first), "%s", msg);
}

/* Applies schema/001.. up to version `upto` as the store would have. */
static void make_old_database(const char *path, int upto)
{
	static const char *const files[] = { "schema/001_initial.sql",
	                                     "schema/002_policy_selects.sql",
	                                     "schema/003_edge_minutes.sql",
	                                     "schema/004_flow_samples.sql",
	                                     "schema/005_ip_identities.sql" };
	sqlite3 *db = NULL;

	assert_true(upto <= (int)SW_ARRAY_SIZE(files));
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	                                 NULL), SQLITE_OK);
	for (int v = 1; v <= upto; v++) {
		FILE *f = fopen(files[v - 1], "r");
		char *sql = calloc(1, 1 << 16), meta[256];

		assert_non_null(f);
		assert_non_null(sql);
		assert_true(fread(sql, 1, (1 << 16) - 1, f) > 0);
		fclose(f);
		if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
			fail_msg("%s: %s", files[v - 1], sqlite3_errmsg(db));
		free(sql);
		snprintf(meta, sizeof(meta), "INSERT INTO schema_meta (version, name, applied_ns) "
		         "VALUES (%d, '%s', 0); PRAGMA user_version = %d", v, files[v - 1] + 7, v);
		assert_int_equal(sqlite3_exec(db, meta, NULL, NULL, NULL), SQLITE_OK);
	}
	sqlite3_close(db);
}

/* Upgrading an existing database is announced before and after (it can
 * take minutes on a large one); creating one is not. */
static void test_upgrade_is_announced(void **state)
{
	struct sfx *x = *state;
	struct notices nt = {0};
	const struct sw_store_config cfg = { .notice = keep_notice, .notice_ctx = &nt };
	struct sw_err err;
	struct sw_store *st;
	char want[64];
	sqlite3 *db;

	st = sw_store_open(x->db, &cfg, &err); /* a new database: no notice */
	assert_non_null(st);
	sw_store_close(st);
	assert_int_equal(nt.n, 0);
	unlink(x->db);

	make_old_database(x->db, 3);
	st = sw_store_open(x->db, &cfg, &err);
	if (st == NULL)
		fail_msg("%s", err.msg);
	assert_int_equal(sw_store_schema_version(st), sw_store_schema_latest());
	sw_store_close(st);
	assert_int_equal(nt.n, 2);
	snprintf(want, sizeof(want), "from schema version 3 to %d", sw_store_schema_latest());
	assert_non_null(strstr(nt.first, want));
	assert_non_null(strstr(nt.first, x->db));
	snprintf(want, sizeof(want), "upgraded to schema version %d in ", sw_store_schema_latest());
	assert_non_null(strstr(nt.last, want));
	db = raw_open(x->db);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM schema_meta"), sw_store_schema_latest());
	assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = "
	                             "'ip_identities'"), 1);
	assert_text(db, "PRAGMA integrity_check", "ok");
	sqlite3_close(db);

	st = sw_store_open(x->db, &cfg, &err); /* up to date: nothing more */
	assert_non_null(st);
	sw_store_close(st);
	assert_int_equal(nt.n, 2);
}

/* The flows' indexes as (name, definition) text, in name order. */
static char *flow_indexes(sqlite3 *db)
{
	return raw_text(db, "SELECT group_concat(name || ':' || sql, ';') FROM (SELECT name, sql"
	                    " FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'flows'"
	                    " ORDER BY name)");
}

/* 006 rebuilds the flows table with its foreign keys deferred to the
 * commit: every row keeps its id and columns, the indexes are those it had,
 * and a reference to a row that is gone (a database edited with foreign
 * keys off) is copied as NULL instead of failing the upgrade. */
static void test_upgrade_defers_flow_keys(void **state)
{
	struct sfx *x = *state;
	struct sw_store *st;
	char *before, *after, *rows;
	sqlite3 *db;

	make_old_database(x->db, 5);
	db = raw_open(x->db);
	assert_int_equal(sqlite3_exec(db,
		"INSERT INTO runs (id, started_ns) VALUES (1, 5);"
		"INSERT INTO violations (id, src, dst, proto, port, reason, src_ip, dst_ip,"
		" first_seen_ns, last_seen_ns) VALUES (1, 'corp/cli', 'prod/db', 6, 5432,"
		" 'denied_ingress', '10.9.0.1', '10.0.2.10', 1, 2);"
		"INSERT INTO flows (id, run_id, flow_id, src, dst, src_ip, dst_ip, sport, dport,"
		" proto, first_ns, last_ns, src_pkts, src_bytes, dst_pkts, dst_bytes, end_reason,"
		" verdict, reason, violation_id, vlan) VALUES"
		" (7, 1, 70, 'corp/cli', 'prod/db', '10.9.0.1', '10.0.2.10', 40000, 5432, 6, 1, 2,"
		"  3, 180, 2, 120, 'idle', 'denied', 'denied_ingress', 1, 100),"
		" (9, 1, 90, '10.9.0.5', 'prod/db', '10.9.0.5', '10.0.2.10', 40001, 443, 6, 3, 4,"
		"  1, 60, 0, 0, 'idle', 'allowed', 'allowed_by_policy', NULL, NULL);"
		"PRAGMA foreign_keys = OFF;"
		"INSERT INTO flows (id, run_id, flow_id, src, dst, src_ip, dst_ip, sport, dport,"
		" proto, first_ns, last_ns, src_pkts, src_bytes, dst_pkts, dst_bytes, end_reason,"
		" verdict, reason, violation_id) VALUES"
		" (12, 4, 120, 'x', 'y', '192.0.2.1', '192.0.2.2', 1, 2, 17, 5, 6, 1, 1, 1, 1,"
		"  'idle', 'denied', 'denied_egress', 77);",
		NULL, NULL, NULL), SQLITE_OK);
	before = flow_indexes(db);
	sqlite3_close(db);

	st = open_ok(x->db);
	assert_int_equal(sw_store_schema_version(st), sw_store_schema_latest());
	sw_store_close(st);

	db = raw_open(x->db);
	after = flow_indexes(db);
	assert_non_null(before);
	assert_string_equal(after, before);
	assert_non_null(strstr(after, "flows_violation:"));
	rows = raw_text(db, "SELECT group_concat(printf('%d %s %d %s %s %d %s %s %s', id,"
	                    " coalesce(run_id, '-'), flow_id, src, dst, dport, coalesce(vlan, '-'),"
	                    " reason, coalesce(violation_id, '-')), '; ') FROM flows ORDER BY id");
	assert_string_equal(rows, "7 1 70 corp/cli prod/db 5432 100 denied_ingress 1; "
	                          "9 1 90 10.9.0.5 prod/db 443 - allowed_by_policy -; "
	                          "12 - 120 x y 2 - denied_egress -");
	assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'flows'"
	                             " AND sql LIKE '%runs(id) ON DELETE CASCADE%DEFERRABLE"
	                             " INITIALLY DEFERRED%violations(id) ON DELETE SET NULL%"
	                             "DEFERRABLE INITIALLY DEFERRED%'"), 1);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'flows_new'"),
	                 0);
	assert_text(db, "PRAGMA integrity_check", "ok");
	assert_int_equal(raw_int(db, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
	/* the actions are as they were: a run deleted takes its flows */
	assert_int_equal(sqlite3_exec(db, "PRAGMA foreign_keys = ON; DELETE FROM runs WHERE id = 1",
	                              NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM flows"), 1);
	sqlite3_close(db);
	free(before);
	free(after);
	free(rows);
}

/* The notice before an upgrade comes after the version was read: there,
 * another process opens the same database and upgrades it first. */
struct racing_open {
	const char *path;
	int opened;
};

static void upgrade_meanwhile(void *ctx, const char *msg)
{
	struct racing_open *r = ctx;
	struct sw_err err;
	struct sw_store *other;

	if (strstr(msg, "upgrading") == NULL)
		return;
	other = sw_store_open(r->path, NULL, &err);
	if (other == NULL)
		fail_msg("%s", err.msg);
	sw_store_close(other);
	r->opened++;
}

/* Two processes opening one database at once (run and serve started
 * together) both find it old; the one whose turn comes second goes on from
 * the version it finds under the write lock, not the one it read. */
static void test_upgrade_raced_by_another_handle(void **state)
{
	struct sfx *x = *state;
	struct racing_open r = { .path = x->db };
	const struct sw_store_config cfg = { .notice = upgrade_meanwhile, .notice_ctx = &r };
	struct sw_err err;
	struct sw_store *st;
	sqlite3 *db;

	make_old_database(x->db, 3);
	st = sw_store_open(x->db, &cfg, &err);
	if (st == NULL)
		fail_msg("%s", err.msg);
	assert_int_equal(r.opened, 1);
	assert_int_equal(sw_store_schema_version(st), sw_store_schema_latest());
	sw_store_close(st);
	db = raw_open(x->db);
	/* each migration applied once */
	assert_int_equal(raw_int(db, "SELECT count(*) FROM schema_meta"), sw_store_schema_latest());
	assert_int_equal(raw_int(db, "SELECT count(DISTINCT version) FROM schema_meta"),
	                 sw_store_schema_latest());
	assert_text(db, "PRAGMA integrity_check", "ok");
	sqlite3_close(db);
}

static void test_migrates_an_empty_file(void **state)
{
	struct sfx *x = *state;
	int fd = open(x->db, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	struct sw_store *st;
	sqlite3 *db;

	assert_true(fd >= 0);
	close(fd);
	st = open_ok(x->db);
	assert_int_equal(sw_store_schema_version(st), sw_store_schema_latest());
	sw_store_close(st);
	db = raw_open(x->db);
	assert_int_equal(raw_int(db, "PRAGMA user_version"), sw_store_schema_latest());
	assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = "
	                             "'violations_last'"), 1);
	sqlite3_close(db);
}

/* A database created with another page size keeps it (SQLite cannot
 * change it in WAL mode) and is migrated and written as any other. */
static void test_existing_page_size_kept(void **state)
{
	struct sfx *x = *state;
	sqlite3 *db = NULL;
	struct sw_store *st;
	struct sw_violation v = mkviol(NULL, "203.0.113.1", "prod/db", "10.0.2.10", 1,
	                               SW_REASON_DENIED_INGRESS, T0, T0, 1);

	assert_int_equal(sqlite3_open(x->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA page_size=4096; CREATE TABLE t (x); DROP TABLE t",
	                              NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	st = open_ok(x->db);
	upsert(st, &v);
	sw_store_close(st);
	db = raw_open(x->db);
	assert_int_equal(raw_int(db, "PRAGMA page_size"), 4096);
	assert_int_equal(raw_int(db, "PRAGMA user_version"), sw_store_schema_latest());
	assert_int_equal(raw_int(db, "SELECT count(*) FROM violations"), 1);
	sqlite3_close(db);
}

static void test_refuses_a_newer_schema(void **state)
{
	struct sfx *x = *state;
	sqlite3 *db = NULL;
	char sql[64];
	struct sw_err err;
	struct sw_store_config ro = { .read_only = true };

	assert_int_equal(sqlite3_open(x->db, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", sw_store_schema_latest() + 1);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE future (x)", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	sw_err_clear(&err);
	assert_null(sw_store_open(x->db, NULL, &err));
	assert_int_equal(err.status, SW_ERR_UNSUPPORTED);
	assert_string_equal(err.file, x->db);
	assert_non_null(strstr(err.msg, "newer than this segwatch"));
	assert_null(strchr(err.msg, '\n'));
	assert_null(sw_store_open(x->db, &ro, &err));
	assert_int_equal(err.status, SW_ERR_UNSUPPORTED);

	/* untouched: same version, journal mode not switched */
	db = raw_open(x->db);
	assert_int_equal(raw_int(db, "PRAGMA user_version"), sw_store_schema_latest() + 1);
	assert_text(db, "PRAGMA journal_mode", "delete");
	assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_schema WHERE name='violations'"
	                             " OR name LIKE 'sqlite_stat%'"), 0);
	sqlite3_close(db);
}

static void test_read_only_open(void **state)
{
	struct sfx *x = *state;
	struct sw_store_config ro = { .read_only = true };
	struct sw_err err;
	struct sw_store *st;
	struct sw_violation v = mkviol("corp/cli", "10.9.0.1", "prod/db", "10.0.2.10", 5432,
	                               SW_REASON_DENIED_INGRESS, T0, T0, 1);
	uint64_t n = 0;

	/* a missing file is not created */
	assert_null(sw_store_open(x->db, &ro, &err));
	assert_int_equal(err.status, SW_ERR_IO);
	assert_int_equal(access(x->db, F_OK), -1);

	st = open_ok(x->db);
	upsert(st, &v);
	sw_store_close(st);
	st = sw_store_open(x->db, &ro, &err);
	assert_non_null(st);
	assert_int_equal(sw_store_count_violations(st, &(struct sw_store_vfilter){ 0 }, &n, &err),
	                 SW_OK);
	assert_int_equal(n, 1);
	assert_int_equal(sw_store_upsert_violation(st, &v, NULL, &err), SW_ERR_INVALID);
	sw_store_close(st);
}

static void test_config_checked_before_any_file(void **state)
{
	struct sfx *x = *state;
	struct sw_store_config big = { .cache_mib = SW_STORE_CACHE_MAX_MIB + 1 };
	struct sw_store *st;
	struct sw_err err;

	assert_null(sw_store_open(x->db, &big, &err));
	assert_int_equal(err.status, SW_ERR_INVALID);
	assert_int_equal(access(x->db, F_OK), -1);
	big.cache_mib = 1; /* a small cache works */
	st = sw_store_open(x->db, &big, &err);
	assert_non_null(st);
	sw_store_close(st);
	assert_int_equal(access(x->db, F_OK), 0);
}

/* ---- violations ---- */

static void test_upsert_deduplicates(void **state)
{
	struct sfx *x = *state;
	struct sw_store *st = open_ok(x->db);
	struct sw_violation v = mkviol("corp/cli", "10.9.0.1", "prod/db", "10.0.2.10", 5432,
	                               SW_REASON_DENIED_INGRESS, T0 + 10 * SEC, T0 + 11 * SEC, 1);
	struct sw_violation other = v;
	int64_t id1, id2, id3;
	sqlite3 *db;

	id1 = upsert(st, &v);
	/* 2 flows more (an upsert adds what its writer has not stored yet),
	 * seen earlier and later; the samples stay the row's first ones */
	v.flows = 2;
	v.n_samples = 3;
	v.samples[1].flow_id = 101;
	v.samples[2].flow_id = 102;
	v.pkts[0] = 27;
	v.bytes[1] = 879;
	v.first_ns = T0 + 5 * SEC;
	v.last_ns = T0 + 20 * SEC;
	v.fw_verdict = SW_FW_DROP;
	snprintf(v.fw_prefix, sizeof(v.fw_prefix), "DROP web->db");
	id2 = upsert(st, &v);
	assert_int_equal(id1, id2);
	/* an older report of the same key, with nothing new, does not narrow
	 * the times */
	v.first_ns = T0 + 8 * SEC;
	v.last_ns = T0 + 9 * SEC;
	v.flows = v.pkts[0] = v.pkts[1] = v.bytes[0] = v.bytes[1] = 0;
	assert_int_equal(upsert(st, &v), id1);
	/* another reason is another key */
	other.reason = SW_REASON_DENIED_BOTH;
	id3 = upsert(st, &other);
	assert_true(id3 != id1);
	sw_store_close(st);

	db = raw_open(x->db);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM violations"), 2);
	assert_int_equal(raw_int(db, "SELECT flows FROM violations WHERE reason='denied_ingress'"), 3);
	assert_int_equal(raw_int(db, "SELECT src_pkts FROM violations WHERE reason='denied_ingress'"),
	                 30);
	assert_int_equal(raw_int(db, "SELECT dst_bytes FROM violations WHERE reason='denied_ingress'"),
	                 999);
	assert_int_equal(raw_int(db, "SELECT first_seen_ns FROM violations WHERE "
	                             "reason='denied_ingress'"), (int64_t)(T0 + 5 * SEC));
	assert_int_equal(raw_int(db, "SELECT last_seen_ns FROM violations WHERE "
	                             "reason='denied_ingress'"), (int64_t)(T0 + 20 * SEC));
	assert_text(db, "SELECT fw_verdict || '|' || fw_prefix FROM violations WHERE "
	                "reason='denied_ingress'", "drop|DROP web->db");
	assert_text(db, "SELECT src || ' ' || dst || ' ' || src_ns || ' ' || dst_ns FROM violations"
	                " WHERE reason='denied_ingress'", "corp/cli prod/db corp prod");
	assert_text(db, "SELECT sample_flow_ids FROM violations WHERE reason='denied_ingress'",
	            "[100]");
	assert_int_equal(raw_int(db, "SELECT json_array_length(sample_flow_ids) FROM violations "
	                             "WHERE reason='denied_both'"), 1);
	assert_text(db, "SELECT state FROM violations WHERE id = 1", "open");
	sqlite3_close(db);
}

/* A key already stored (by an earlier run) met again inside a batch: the
 * plain INSERT tried first fails on the key, the counters are added to the
 * row instead, and the rest of the batch is kept. */
static void test_known_key_in_a_batch(void **state)
{
	struct sfx *x = *state;
	struct sw_store *st = open_ok(x->db);
	struct sw_violation v = mkviol("corp/cli", "10.9.0.1", "prod/db", "10.0.2.10", 5432,
	                               SW_REASON_DENIED_INGRESS, T0, T0 + SEC, 2);
	struct sw_violation fresh = mkviol("corp/cli", "10.9.0.1", "prod/web", "10.0.1.5", 80,
	                                   SW_REASON_DENIED_INGRESS, T0, T0 + SEC, 1);
	struct sw_err err;
	int64_t id, again, other;
	sqlite3 *db;

	id = upsert(st, &v);
	assert_int_equal(sw_store_begin_batch(st, &err), SW_OK);
	other = upsert(st, &fresh);
	v.flows = 7;
	v.last_ns = T0 + 9 * SEC;
	again = upsert(st, &v);
	assert_int_equal(again, id);
	assert_int_equal(sw_store_commit_batch(st, &err), SW_OK);
	sw_store_close(st);

	db = raw_open(x->db);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM violations"), 2);
	assert_int_equal(raw_int(db, "SELECT id FROM violations WHERE dst = 'prod/web'"), other);
	assert_int_equal(raw_int(db, "SELECT flows FROM violations WHERE dst = 'prod/db'"), 2 + 7);
	assert_int_equal(raw_int(db, "SELECT last_seen_ns FROM violations WHERE dst = 'prod/db'"),
	                 (int64_t)(T0 + 9 * SEC));
	sqlite3_close(db);
}

static void test_external_identity_and_runs_add_up(void **state)
{
	struct sfx *x = *state;
	struct sw_store *st = open_ok(x->db);
	struct sw_violation v = mkviol(NULL, "203.0.113.7", "prod/web", "10.0.1.5", 22,
	                               SW_REASON_DENIED_INGRESS, T0, T0 + SEC, 4);
	struct sw_store_run_stats rs = { .packets = 1000, .drops = 2, .flows = 50,
	                                 .json = "{\"eth1\":{\"received\":1000}}" };
	struct sw_err err;
	int64_t run1, run2, id;
	sqlite3 *db;

	assert_int_equal(sw_store_run_begin(st, T0, "pcap:eth1", &run1, &err), SW_OK);
	id = upsert(st, &v);
	assert_int_equal(sw_store_run_end(st, T0 + 60 * SEC, &rs, &err), SW_OK);
	assert_int_equal(sw_store_run_end(st, T0 + 61 * SEC, &rs, &err), SW_ERR_INVALID);
	sw_store_close(st);

	/* a second run adds what it counts to the first's totals */
	st = open_ok(x->db);
	assert_int_equal(sw_store_run_begin(st, T0 + 100 * SEC, "nflog:5", &run2, &err), SW_OK);
	assert_true(run2 > run1);
	v.flows = 2;
	v.pkts[0] = 6;
	v.last_ns = T0 + 101 * SEC;
	v.samples[0].flow_id = 7;
	assert_int_equal(upsert(st, &v), id);
	v.flows = 3; /* the run counted 3 more (5 in all): it adds those */
	v.pkts[0] = 9;
	assert_int_equal(upsert(st, &v), id);
	sw_store_close(st);

	db = raw_open(x->db);
	assert_int_equal(raw_int(db, "SELECT flows FROM violations"), 4 + 5);
	assert_int_equal(raw_int(db, "SELECT src_pkts FROM violations"), 12 + 15);
	assert_text(db, "SELECT src || '>' || dst FROM violations", "203.0.113.7>prod/web");
	assert_int_equal(raw_int(db, "SELECT src_ns IS NULL FROM violations"), 1);
	/* samples stay those of the first run */
	assert_int_equal(raw_int(db, "SELECT sample_run_id FROM violations"), run1);
	assert_int_equal(raw_int(db, "SELECT json_extract(sample_flow_ids, '$[0]') FROM violations"),
	                 100);
	assert_int_equal(raw_int(db, "SELECT packets + drops + flows FROM runs WHERE id = 1"), 1052);
	assert_int_equal(raw_int(db, "SELECT json_extract(stats, '$.eth1.received') FROM runs "
	                             "WHERE id = 1"), 1000);
	assert_int_equal(raw_int(db, "SELECT ended_ns IS NULL FROM runs WHERE id = 2"), 1);
	sqlite3_close(db);
}

/* Two runs at once on one database (two handles) count the same key: each
 * adds what it counted, in whatever order their batches commit, and a run
 * starting meanwhile loses nothing of the other's. */
static void test_concurrent_runs_add_up(void **state)
{
	struct sfx *x = *state;
	struct sw_store *a = open_ok(x->db), *b = open_ok(x->db);
	struct sw_violation v = mkviol("corp/cli", "10.9.0.1", "prod/db", "10.0.2.10", 5432,
	                               SW_REASON_DENIED_INGRESS, T0, T0 + SEC, 3);
	struct sw_violation w = mkviol("corp/cli", "10.9.0.1", "prod/db", "10.0.2.10", 5432,
	                               SW_REASON_DENIED_INGRESS, T0 + 2 * SEC, T0 + 3 * SEC, 5);
	struct sw_err err;
	int64_t ida, idb;
	sqlite3 *db;

	assert_int_equal(sw_store_run_begin(a, T0, "pcap:eth1", NULL, &err), SW_OK);
	ida = upsert(a, &v);
	assert_int_equal(sw_store_run_begin(b, T0, "pcap:eth2", NULL, &err), SW_OK);
	idb = upsert(b, &w);
	assert_int_equal(ida, idb);
	v.flows = 4; /* a's run counted 4 more */
	v.last_ns = T0 + 5 * SEC;
	assert_int_equal(sw_store_update_violation(a, ida, &v, &err), SW_OK);
	w.flows = 1; /* and b's 1 more */
	assert_int_equal(sw_store_update_violation(b, idb, &w, &err), SW_OK);
	sw_store_close(a);
	sw_store_close(b);

	db = raw_open(x->db);
	assert_int_equal(raw_int(db, "SELECT flows FROM violations"), 3 + 5 + 4 + 1);
	assert_int_equal(raw_int(db, "SELECT last_seen_ns FROM violations"), (int64_t)(T0 + 5 * SEC));
	assert_int_equal(raw_int(db, "SELECT first_seen_ns FROM violations"), (int64_t)T0);
	sqlite3_close(db);
}

/* ---- flows ---- */

static void test_put_flow_round_trip(void **state)
{
	struct sfx *x = *state;
	struct sw_store *st = open_ok(x->db);
	struct sw_flow f = mkflow(42, "10.9.0.1", "10.0.2.10", SW_PROTO_TCP, 5432, T0, T0 + 3 * SEC);
	struct sw_flow u = mkflow(43, "fd00::1", "2001:db8::53", SW_PROTO_UDP, 53, T0, T0 + SEC);
	struct sw_violation v = mkviol("corp/cli", "10.9.0.1", "prod/db", "10.0.2.10", 5432,
	                               SW_REASON_DENIED_INGRESS, T0, T0 + 3 * SEC, 1);
	struct sw_store_flow sf;
	struct sw_err err;
	int64_t vid, run;
	sqlite3 *db;

	assert_int_equal(sw_store_run_begin(st, T0, "pcap:eth1", &run, &err), SW_OK);
	f.n_vlan = 2;
	f.vlan[0] = 100;
	f.vlan[1] = 7;
	f.dir[1].bytes = 1 << 20;
	f.tcp_state = SW_TCP_RESET;
	f.fw.verdict = SW_FW_REJECT;
	snprintf(f.fw.prefix, sizeof(f.fw.prefix), "REJECT db");
	assert_int_equal(sw_store_begin_batch(st, &err), SW_OK);
	assert_int_equal(sw_store_begin_batch(st, &err), SW_ERR_INVALID);
	vid = upsert(st, &v);
	memset(&sf, 0, sizeof(sf));
	sf.flow = &f;
	sf.end = SW_END_TCP_RESET;
	sf.src_id = "corp/cli";
	sf.dst_id = "prod/db";
	sf.reason = SW_REASON_DENIED_INGRESS;
	sf.violation_id = vid;
	assert_int_equal(sw_store_put_flow(st, &sf, &err), SW_OK);
	put_flow(st, &u, SW_REASON_NOT_ISOLATED, 0);
	assert_int_equal(sw_store_commit_batch(st, &err), SW_OK);
	assert_int_equal(sw_store_commit_batch(st, &err), SW_ERR_INVALID);

	/* foreign keys are on, checked at the commit: a flow naming a
	 * violation that does not exist fails it, and its batch goes */
	assert_int_equal(sw_store_begin_batch(st, &err), SW_OK);
	sf.violation_id = vid + 1000;
	f.id = 44;
	assert_int_equal(sw_store_put_flow(st, &sf, &err), SW_OK);
	assert_int_equal(sw_store_commit_batch(st, &err), SW_ERR_INVALID);
	assert_non_null(strstr(err.msg, "FOREIGN KEY"));
	assert_int_equal(sw_store_begin_batch(st, &err), SW_OK); /* the next batch is fine */
	assert_int_equal(sw_store_commit_batch(st, &err), SW_OK);
	sw_store_close(st);

	db = raw_open(x->db);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM flows"), 2);
	assert_text(db, "SELECT printf('%d %d %s %s %s %s %s %s %d %d %d %d %d', run_id, flow_id,"
	                " src, dst, src_ns, dst_ns, src_ip, dst_ip, sport, dport, proto, vlan,"
	                " vlan_inner) FROM flows WHERE flow_id = 42",
	            "1 42 corp/cli prod/db corp prod 10.9.0.1 10.0.2.10 40000 5432 6 100 7");
	assert_text(db, "SELECT printf('%d %d %d %d %d %d', first_ns - 1795608000000000000,"
	                " last_ns - first_ns, src_pkts, src_bytes, dst_pkts, dst_bytes)"
	                " FROM flows WHERE flow_id = 42",
	            "0 3000000000 3 180 2 1048576");
	assert_text(db, "SELECT printf('%s %s %s %s %d %s %s', tcp_state, end_reason, verdict,"
	                " reason, violation_id, fw_verdict, fw_prefix) FROM flows WHERE flow_id = 42",
	            "reset tcp_reset denied denied_ingress 1 reject REJECT db");
	assert_text(db, "SELECT printf('%s %s %s %s', src, dst, verdict, reason) FROM flows"
	                " WHERE flow_id = 43", "fd00::1 2001:db8::53 allowed not_isolated");
	assert_int_equal(raw_int(db, "SELECT (src_endpoint IS NULL) + (tcp_state IS NULL) +"
	                             " (vlan IS NULL) + (fw_verdict IS NULL) + (violation_id IS NULL)"
	                             " FROM flows WHERE flow_id = 43"), 5);
	sqlite3_close(db);
}

/* Every column of every flow, in id order, and the identity pairs: what
 * two ways of storing the same flows must agree on. */
static char *flows_dump(const char *path)
{
	sqlite3 *db = raw_open(path);
	char *t = raw_text(db, "SELECT (SELECT group_concat(r, ';') FROM (SELECT printf("
	                       "'%d|%d|%d|%s|%s|%s|%s|%s|%s|%s|%s|%d|%d|%d|%s|%s|%d|%d|%d|%d|%d|%d|%s|"
	                       "%s|%s|%s|%s|%s|%s', id, run_id IS NULL, flow_id, src, dst,"
	                       " src_endpoint, dst_endpoint, src_ns, dst_ns, src_ip, dst_ip, sport,"
	                       " dport, proto, vlan, vlan_inner, first_ns, last_ns, src_pkts,"
	                       " src_bytes, dst_pkts, dst_bytes, tcp_state, end_reason, verdict,"
	                       " reason, violation_id IS NULL, fw_verdict, fw_prefix) AS r"
	                       " FROM flows ORDER BY id)) || '#' || (SELECT group_concat(ip || '=' ||"
	                       " identity, ';') FROM (SELECT * FROM ip_identities ORDER BY 1, 2))");

	sqlite3_close(db);
	return t;
}

/* Stores flows into path in one batch: all with one sw_store_put_flows
 * call, or one sw_store_put_flow call each. */
static void store_flows_into(const char *path, const struct sw_store_flow *sf, size_t n,
                             bool at_once)
{
	struct sw_store *st = open_ok(path);
	struct sw_violation v = mkviol("corp/cli", "10.9.0.1", "prod/db", "10.0.2.10", 5432,
	                               SW_REASON_DENIED_INGRESS, T0, T0 + SEC, 1);
	struct sw_store_flow *copy = calloc(n, sizeof(*copy));
	struct sw_err err;

	assert_non_null(copy);
	assert_int_equal(sw_store_run_begin(st, T0, "pcap:eth1", NULL, &err), SW_OK);
	assert_int_equal(sw_store_begin_batch(st, &err), SW_OK);
	for (size_t i = 0; i < n; i++) {
		copy[i] = sf[i];
		if (sf[i].violation_id != 0)
			copy[i].violation_id = upsert(st, &v);
	}
	if (at_once)
		assert_int_equal(sw_store_put_flows(st, copy, n, &err), SW_OK);
	for (size_t i = 0; !at_once && i < n; i++)
		assert_int_equal(sw_store_put_flow(st, &copy[i], &err), SW_OK);
	assert_int_equal(sw_store_commit_batch(st, &err), SW_OK);
	sw_store_close(st);
	free(copy);
}

/* Flows stored SW_STORE_FLOWS_PER_INSERT to a statement (and the rest of
 * the call one by one) are the rows, in the same order, and the identity
 * pairs that storing them one by one gives: each column of each row goes
 * to its own place. */
static void test_put_flows_as_one_by_one(void **state)
{
	struct sfx *x = *state;
	enum { N = 2 * SW_STORE_FLOWS_PER_INSERT + 5 };
	static const char *const srcs[] = { "10.9.0.1", "10.9.0.2", "fd00::7", "192.0.2.9" };
	struct sw_flow f[N];
	struct sw_store_flow sf[N];
	char other[200], *a, *b;

	for (size_t i = 0; i < N; i++) {
		f[i] = mkflow(100 + i, srcs[i % 4], i % 4 == 2 ? "2001:db8::53" : "10.0.2.10",
		              i % 3 ? SW_PROTO_TCP : SW_PROTO_UDP, (uint16_t)(1000 + i),
		              T0 + i * SEC, T0 + (i + 2) * SEC);
		f[i].sport = (uint16_t)(30000 + 7 * i);
		f[i].dir[0].pkts = i;
		f[i].dir[1].bytes = 1000 * i;
		f[i].n_vlan = (uint8_t)(i % 3);
		f[i].vlan[0] = (uint16_t)(100 + i);
		f[i].vlan[1] = (uint16_t)(200 + i);
		if (i % 7 == 0) {
			f[i].fw.verdict = SW_FW_DROP;
			snprintf(f[i].fw.prefix, sizeof(f[i].fw.prefix), "DROP %zu", i);
		}
		sf[i] = (struct sw_store_flow){
			.flow = &f[i],
			.end = i % 2 ? SW_END_IDLE : SW_END_TCP_CLOSE,
			.src_id = i % 4 == 0 ? "corp/cli" : NULL,
			.dst_id = i % 4 == 2 ? NULL : "prod/db",
			.reason = i % 5 ? SW_REASON_ALLOWED_BY_POLICY : SW_REASON_DENIED_INGRESS,
			.violation_id = i % 5 ? 0 : 1,
		};
	}
	snprintf(other, sizeof(other), "%s/other.db", x->dir);
	store_flows_into(x->db, sf, N, true);
	store_flows_into(other, sf, N, false);
	a = flows_dump(x->db);
	b = flows_dump(other);
	assert_non_null(a);
	assert_non_null(b);
	assert_string_equal(a, b);
	/* and they are all there, each its own */
	assert_non_null(strstr(a, "|1068|"));            /* the last one's dport */
	assert_non_null(strstr(a, "DROP 63"));
	assert_non_null(strstr(a, "#10.0.2.10=prod/db;10.9.0.1=corp/cli"));
	free(a);
	free(b);
	{
		sqlite3 *db = raw_open(x->db);
		assert_int_equal(raw_int(db, "SELECT count(DISTINCT flow_id) FROM flows"), N);
		assert_int_equal(raw_int(db, "SELECT count(*) FROM flows WHERE vlan_inner IS NOT NULL"),
		                 N / 3);
		sqlite3_close(db);
	}
}

/* A dangling reference among flows stored in one call fails the commit
 * (foreign keys are checked there), and the whole batch goes: none of its
 * flows is stored, and the handle goes on. */
static void test_put_flows_dangling_reference_fails_the_batch(void **state)
{
	struct sfx *x = *state;
	enum { N = SW_STORE_FLOWS_PER_INSERT + 8 };
	struct sw_store *st = open_ok(x->db);
	struct sw_flow f[N];
	struct sw_store_flow sf[N];
	struct sw_err err;
	sqlite3 *db;

	for (size_t i = 0; i < N; i++) {
		f[i] = mkflow(1 + i, "10.9.0.1", "10.0.2.10", SW_PROTO_TCP, 5432, T0, T0 + SEC);
		sf[i] = (struct sw_store_flow){ .flow = &f[i], .end = SW_END_IDLE,
		                                .reason = SW_REASON_ALLOWED_BY_POLICY };
	}
	sf[5].violation_id = 999; /* in the multi-row statement */
	assert_int_equal(sw_store_begin_batch(st, &err), SW_OK);
	assert_int_equal(sw_store_put_flows(st, sf, N, &err), SW_OK);
	assert_int_equal(sw_store_commit_batch(st, &err), SW_ERR_INVALID);
	assert_non_null(strstr(err.msg, "FOREIGN KEY"));

	sf[5].violation_id = 0;
	sf[N - 1].violation_id = 999; /* among the rest, one by one */
	assert_int_equal(sw_store_begin_batch(st, &err), SW_OK);
	assert_int_equal(sw_store_put_flows(st, sf, N, &err), SW_OK);
	assert_int_equal(sw_store_commit_batch(st, &err), SW_ERR_INVALID);

	sf[N - 1].violation_id = 0;
	assert_int_equal(sw_store_begin_batch(st, &err), SW_OK);
	assert_int_equal(sw_store_put_flows(st, sf, N, &err), SW_OK);
	assert_int_equal(sw_store_commit_batch(st, &err), SW_OK);
	sw_store_close(st);
	db = raw_open(x->db);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM flows"), N);
	sqlite3_close(db);
}

/* The database file deleted or replaced under an open handle: SQLite
 * would go on writing the old file, unreachable; every batch is refused
 * instead, with the reason. */
static void test_file_replaced_refuses_writes(void **state)
{
	struct sfx *x = *state;
	struct sw_store *st = open_ok(x->db);
	char moved[600];
	struct sw_err err;
	int fd;

	assert_int_equal(sw_store_begin_batch(st, &err), SW_OK);
	assert_int_equal(sw_store_commit_batch(st, &err), SW_OK);
	snprintf(moved, sizeof(moved), "%s.moved", x->db);
	assert_int_equal(rename(x->db, moved), 0);
	assert_int_equal(sw_store_begin_batch(st, &err), SW_ERR_IO);
	assert_non_null(strstr(err.msg, "deleted, moved or replaced"));
	assert_string_equal(err.file, x->db);
	assert_int_equal(rename(moved, x->db), 0); /* back in place: writes again */
	assert_int_equal(sw_store_begin_batch(st, &err), SW_OK);
	assert_int_equal(sw_store_commit_batch(st, &err), SW_OK);
	assert_int_equal(rename(x->db, moved), 0); /* another file at the path */
	fd = open(x->db, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(sw_store_begin_batch(st, &err), SW_ERR_IO);
	sw_store_close(st);
	unlink(moved);
}

static void test_rollback_discards_the_batch(void **state)
{
	struct sfx *x = *state;
	struct sw_store *st = open_ok(x->db);
	struct sw_flow f = mkflow(1, "10.0.0.1", "10.0.0.2", SW_PROTO_UDP, 53, T0, T0);
	struct sw_err err;
	sqlite3 *db;

	assert_int_equal(sw_store_begin_batch(st, &err), SW_OK);
	put_flow(st, &f, SW_REASON_NOT_ISOLATED, 0);
	sw_store_rollback_batch(st);
	f.id = 2;
	put_flow(st, &f, SW_REASON_NOT_ISOLATED, 0); /* autocommit */
	/* closing with an open batch discards it */
	assert_int_equal(sw_store_begin_batch(st, &err), SW_OK);
	f.id = 3;
	put_flow(st, &f, SW_REASON_NOT_ISOLATED, 0);
	sw_store_close(st);
	db = raw_open(x->db);
	assert_int_equal(raw_int(db, "SELECT group_concat(flow_id) FROM flows"), 2);
	sqlite3_close(db);
}

/* An endpoint side's (address, identity) pair is written once per handle;
 * a rolled-back batch takes its pairs with it, so they are written again
 * by the next flow that has them. */
static void test_identity_pairs_survive_rollback(void **state)
{
	struct sfx *x = *state;
	struct sw_store *st = open_ok(x->db);
	struct sw_flow f = mkflow(1, "10.0.0.1", "10.0.0.2", SW_PROTO_TCP, 80, T0, T0);
	struct sw_store_flow sf = { .flow = &f, .end = SW_END_IDLE, .src_id = "prod/web",
	                            .reason = SW_REASON_ALLOWED_BY_POLICY };
	struct sw_err err;
	sqlite3 *db;

	assert_int_equal(sw_store_begin_batch(st, &err), SW_OK);
	assert_int_equal(sw_store_put_flow(st, &sf, &err), SW_OK);
	sw_store_rollback_batch(st);
	assert_int_equal(sw_store_begin_batch(st, &err), SW_OK);
	for (f.id = 2; f.id < 5; f.id++)
		assert_int_equal(sw_store_put_flow(st, &sf, &err), SW_OK);
	sf.dst_id = "prod/db";
	assert_int_equal(sw_store_put_flow(st, &sf, &err), SW_OK);
	assert_int_equal(sw_store_commit_batch(st, &err), SW_OK);
	sw_store_close(st);
	db = raw_open(x->db);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM ip_identities"), 2);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM ip_identities WHERE ip = '10.0.0.1' "
	                             "AND identity = 'prod/web'"), 1);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM ip_identities WHERE ip = '10.0.0.2' "
	                             "AND identity = 'prod/db'"), 1);
	sqlite3_close(db);
}

static void test_prune_flows(void **state)
{
	struct sfx *x = *state;
	struct sw_store *st = open_ok(x->db);
	struct sw_err err;
	uint64_t deleted = 0;
	const uint64_t n_old = 25000; /* more than one delete chunk */
	sqlite3 *db;

	assert_int_equal(sw_store_begin_batch(st, &err), SW_OK);
	for (uint64_t i = 0; i < n_old + 10; i++) {
		/* old flows ended before T0; new ones started before but ended after */
		uint64_t last = i < n_old ? T0 - SEC - i : T0 + i;
		struct sw_flow f = mkflow(i + 1, "10.0.0.1", "10.0.0.2", SW_PROTO_TCP, 80,
		                          T0 - 3600 * SEC, last);
		put_flow(st, &f, SW_REASON_ALLOWED_BY_POLICY, 0);
	}
	assert_int_equal(sw_store_commit_batch(st, &err), SW_OK);
	assert_int_equal(sw_store_begin_batch(st, &err), SW_OK);
	assert_int_equal(sw_store_prune_flows(st, T0, &deleted, &err), SW_ERR_INVALID);
	sw_store_rollback_batch(st);
	assert_int_equal(sw_store_prune_flows(st, T0, &deleted, &err), SW_OK);
	assert_int_equal(deleted, n_old);
	assert_int_equal(sw_store_prune_flows(st, T0, &deleted, &err), SW_OK);
	assert_int_equal(deleted, 0);
	sw_store_close(st);
	db = raw_open(x->db);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM flows"), 10);
	assert_int_equal(raw_int(db, "SELECT min(last_ns) >= 1795608000000000000 FROM flows"), 1);
	sqlite3_close(db);
}

/* ---- triage ---- */

static void test_triage_transitions(void **state)
{
	struct sfx *x = *state;
	struct sw_store *st = open_ok(x->db);
	struct sw_violation v = mkviol("corp/cli", "10.9.0.1", "prod/db", "10.0.2.10", 5432,
	                               SW_REASON_DENIED_INGRESS, T0, T0, 1);
	static const struct {
		enum sw_triage to;
		const char *who;
		enum sw_status want;
		const char *state_after;
		const char *ack_by, *resolved_by; /* after */
	} steps[] = {
		{ SW_TRIAGE_ACKNOWLEDGED, "alice", SW_OK, "acknowledged", "alice", NULL },
		{ SW_TRIAGE_ACKNOWLEDGED, "bob", SW_OK, "acknowledged", "alice", NULL }, /* no-op */
		{ SW_TRIAGE_RESOLVED, "bob", SW_OK, "resolved", "alice", "bob" },
		{ SW_TRIAGE_ACKNOWLEDGED, "carol", SW_ERR_INVALID, "resolved", "alice", "bob" },
		{ (enum sw_triage)7, "carol", SW_ERR_INVALID, "resolved", "alice", "bob" },
		{ SW_TRIAGE_OPEN, "carol", SW_OK, "open", "alice", NULL },
		{ SW_TRIAGE_RESOLVED, NULL, SW_OK, "resolved", "alice", NULL },
	};
	struct sw_err err;
	int64_t id = upsert(st, &v);
	enum sw_triage t;
	sqlite3 *db = raw_open(x->db);

	for (size_t i = 0; i < SW_ARRAY_SIZE(steps); i++) {
		char sql[160];
		assert_int_equal(sw_store_set_violation_state(st, id, steps[i].to, steps[i].who,
		                                              T0 + i * SEC, &err), steps[i].want);
		snprintf(sql, sizeof(sql), "SELECT state FROM violations WHERE id = %lld",
		         (long long)id);
		assert_text(db, sql, steps[i].state_after);
		snprintf(sql, sizeof(sql), "SELECT acknowledged_by FROM violations WHERE id = %lld",
		         (long long)id);
		assert_text(db, sql, steps[i].ack_by);
		snprintf(sql, sizeof(sql), "SELECT resolved_by FROM violations WHERE id = %lld",
		         (long long)id);
		assert_text(db, sql, steps[i].resolved_by);
	}
	/* the no-op kept the first acknowledgement's time */
	assert_int_equal(raw_int(db, "SELECT acknowledged_ns - 1795608000000000000 FROM violations"),
	                 0);
	sqlite3_close(db);
	assert_int_equal(sw_store_set_violation_state(st, id + 99, SW_TRIAGE_OPEN, "x", T0, &err),
	                 SW_ERR_NOTFOUND);
	/* an upsert leaves the state alone */
	upsert(st, &v);
	assert_int_equal(sw_triage_parse("resolved", &t), SW_OK);
	assert_int_equal(t, SW_TRIAGE_RESOLVED);
	assert_int_equal(sw_triage_parse("closed", &t), SW_ERR_NOTFOUND);
	assert_null(sw_triage_name((enum sw_triage)3));
	sw_store_close(st);
	db = raw_open(x->db);
	assert_text(db, "SELECT state FROM violations", "resolved");
	sqlite3_close(db);
}

/* ---- reads ---- */

/* A fixed population: 60 violations over 3 sources, 4 destinations,
 * 3 reasons, 2 ports, times spread over an hour, some acknowledged. */
#define POP 60
static const char *const pop_src[] = { "corp/cli", "prod/web", "203.0.113.9" };
static const char *const pop_dst[] = { "prod/db", "prod/cache", "ops/mon", "8.8.8.8" };
static const enum sw_reason pop_reason[] = { SW_REASON_DENIED_INGRESS, SW_REASON_DENIED_EGRESS,
                                             SW_REASON_DENIED_BOTH };

struct popv {
	const char *src, *dst;
	enum sw_reason reason;
	uint16_t port;
	uint64_t first, last;
	bool acked;
};

static void population(struct popv p[POP])
{
	for (size_t i = 0; i < POP; i++) {
		p[i].src = pop_src[i % 3];
		p[i].dst = pop_dst[(i / 3) % 4];
		p[i].reason = pop_reason[(i / 12) % 3];
		/* the key (src, dst, reason, port) repeats every 36: ports differ */
		p[i].port = (uint16_t)((i % 2 ? 5432 : 22) + (i / 36) * 10000);
		p[i].first = T0 + (i * 37 % POP) * 60 * SEC;
		p[i].last = p[i].first + (i % 5) * 30 * SEC;
		p[i].acked = i % 4 == 0;
	}
}

static bool is_addr(const char *s)
{
	struct sw_addr a;

	return sw_addr_parse(s, &a) == SW_OK;
}

static void store_population(struct sw_store *st, struct popv p[POP])
{
	struct sw_err err;

	assert_int_equal(sw_store_begin_batch(st, &err), SW_OK);
	for (size_t i = 0; i < POP; i++) {
		const char *s = p[i].src, *d = p[i].dst;
		struct sw_violation v = mkviol(is_addr(s) ? NULL : s, is_addr(s) ? s : "10.9.0.1",
		                               is_addr(d) ? NULL : d, is_addr(d) ? d : "10.0.2.10",
		                               p[i].port, p[i].reason, p[i].first, p[i].last, 1);
		int64_t id = upsert(st, &v);
		if (p[i].acked)
			assert_int_equal(sw_store_set_violation_state(st, id, SW_TRIAGE_ACKNOWLEDGED,
			                                              "t", T0, &err), SW_OK);
	}
	assert_int_equal(sw_store_commit_batch(st, &err), SW_OK);
}

static bool ns_is(const char *id, const char *ns)
{
	size_t n = strlen(ns);

	return strncmp(id, ns, n) == 0 && id[n] == '/';
}

static bool pop_match(const struct popv *p, const struct sw_store_vfilter *f)
{
	return (f->since_ns == 0 || p->last >= f->since_ns) &&
	       (f->until_ns == 0 || p->first <= f->until_ns) &&
	       (f->src == NULL || strcmp(p->src, f->src) == 0) &&
	       (f->dst == NULL || strcmp(p->dst, f->dst) == 0) &&
	       (f->ns == NULL || ns_is(p->src, f->ns) || ns_is(p->dst, f->ns)) &&
	       (!f->has_reason || p->reason == f->reason) &&
	       (!f->has_state || (f->state == SW_TRIAGE_ACKNOWLEDGED) == p->acked) &&
	       (!f->has_proto || (f->proto == SW_PROTO_TCP &&
	                          (!f->has_port || p->port == f->port)));
}

struct page {
	size_t n;
	int64_t ids[POP];
	uint64_t last[POP];
};

static void on_row(void *ctx, const struct sw_store_violation *v)
{
	struct page *pg = ctx;

	assert_true(pg->n < POP);
	assert_non_null(v->src);
	assert_non_null(v->summary);
	assert_string_equal(v->sample_flow_ids, "[100]");
	pg->ids[pg->n] = v->id;
	pg->last[pg->n++] = v->last_seen_ns;
}

static const struct sw_store_vfilter filters[] = {
	{ 0 },
	{ .since_ns = T0 + 20 * 60 * SEC },
	{ .since_ns = T0 + 10 * 60 * SEC, .until_ns = T0 + 40 * 60 * SEC },
	{ .src = "corp/cli" },
	{ .dst = "8.8.8.8" },
	{ .ns = "prod" },
	{ .ns = "ops", .since_ns = T0 + 30 * 60 * SEC },
	{ .has_reason = true, .reason = SW_REASON_DENIED_BOTH },
	{ .has_state = true, .state = SW_TRIAGE_ACKNOWLEDGED },
	{ .has_proto = true, .proto = SW_PROTO_TCP, .has_port = true, .port = 22 },
	{ .has_proto = true, .proto = SW_PROTO_UDP },
	{ .src = "prod/web", .has_reason = true, .reason = SW_REASON_DENIED_EGRESS,
	  .has_state = true, .state = SW_TRIAGE_OPEN },
};

static void test_count_and_pages_match_brute_force(void **state)
{
	struct sfx *x = *state;
	struct sw_store *st = open_ok(x->db);
	struct popv p[POP];
	struct sw_err err;

	population(p);
	store_population(st, p);
	for (size_t k = 0; k < SW_ARRAY_SIZE(filters); k++) {
		struct sw_store_vfilter f = filters[k];
		struct page pg = { 0 };
		uint64_t want = 0, got = 0;
		bool more = true;

		for (size_t i = 0; i < POP; i++)
			want += pop_match(&p[i], &f);
		assert_int_equal(sw_store_count_violations(st, &f, &got, &err), SW_OK);
		if (got != want)
			fail_msg("filter %zu: count %llu, brute force %llu", k,
			         (unsigned long long)got, (unsigned long long)want);
		/* pages of 7, each continuing after the previous page's last row */
		f.limit = 7;
		while (more) {
			size_t before = pg.n;
			assert_int_equal(sw_store_list_violations(st, &f, on_row, &pg, &more, &err),
			                 SW_OK);
			assert_true(pg.n - before <= 7);
			if (more)
				assert_int_equal(pg.n - before, 7);
			if (pg.n > 0) {
				f.cursor_last_ns = pg.last[pg.n - 1];
				f.cursor_id = pg.ids[pg.n - 1];
			}
		}
		assert_int_equal(pg.n, want);
		for (size_t i = 1; i < pg.n; i++) /* strictly descending (last, id) */
			assert_true(pg.last[i] < pg.last[i - 1] ||
			            (pg.last[i] == pg.last[i - 1] && pg.ids[i] < pg.ids[i - 1]));
	}
	{
		struct sw_store_vfilter bad = { .has_port = true, .port = 22 };
		uint64_t n;
		assert_int_equal(sw_store_count_violations(st, &bad, &n, &err), SW_ERR_INVALID);
		bad = (struct sw_store_vfilter){ .limit = 1000000 };
		assert_int_equal(sw_store_list_violations(st, &bad, on_row, NULL, NULL, &err),
		                 SW_ERR_INVALID);
	}
	sw_store_close(st);
}

/* A plan uses an index when no table step is a full SCAN: a "SCAN
 * violations" line must say USING (COVERING) INDEX. */
static bool plan_uses_index(const char *plan)
{
	const char *line = plan;

	if (strstr(plan, "USING INDEX") == NULL && strstr(plan, "USING COVERING INDEX") == NULL &&
	    strstr(plan, "INTEGER PRIMARY KEY") == NULL)
		return false;
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		if (strncmp(line, "SCAN violations", 15) == 0 &&
		    (memmem(line, len, "INDEX", 5) == NULL))
			return false;
		line = nl ? nl + 1 : NULL;
	}
	return true;
}

static void test_query_plans_use_indexes(void **state)
{
	struct sfx *x = *state;
	struct sw_store *st = open_ok(x->db);
	struct popv p[POP];
	struct sw_err err;
	char *plan = NULL;
	sqlite3 *db;

	population(p);
	store_population(st, p);
	/* every filter but "all" */
	for (size_t k = 1; k < SW_ARRAY_SIZE(filters); k++) {
		assert_int_equal(sw_store_violations_plan(st, &filters[k], &plan, &err), SW_OK);
		if (!plan_uses_index(plan))
			fail_msg("filter %zu does not use an index:\n%s", k, plan);
		free(plan);
	}
	/* the time filter searches the last-seen index */
	assert_int_equal(sw_store_violations_plan(st, &filters[1], &plan, &err), SW_OK);
	assert_non_null(strstr(plan, "SEARCH violations USING INDEX violations_last"));
	free(plan);
	/* a cursor page too */
	{
		struct sw_store_vfilter f = { .cursor_last_ns = T0, .cursor_id = 5 };
		assert_int_equal(sw_store_violations_plan(st, &f, &plan, &err), SW_OK);
		assert_non_null(strstr(plan, "SEARCH violations USING INDEX violations_last"));
		free(plan);
	}
	sw_store_close(st);

	/* flows: retention and the future API's filters */
	db = raw_open(x->db);
	{
		static const char *const q[] = {
			"SELECT id FROM flows WHERE id IN (SELECT id FROM flows WHERE last_ns < 1)",
			"SELECT * FROM flows WHERE src = 'a' AND last_ns >= 1",
			"SELECT * FROM flows WHERE dst = 'a' ORDER BY last_ns DESC",
			/* a namespace is a range of identities: "a/..." */
			"SELECT * FROM flows WHERE (src >= 'a/' AND src < 'a0')"
			" OR (dst >= 'a/' AND dst < 'a0')",
			"SELECT * FROM flows WHERE verdict = 'denied' AND last_ns > 5",
			"SELECT * FROM flows WHERE verdict = 'denied' AND reason = 'denied_both'",
			"SELECT * FROM flows WHERE proto = 6 AND dport = 22",
			"SELECT * FROM flows WHERE violation_id = 3",
			"SELECT * FROM anomalies WHERE detected_ns > 3",
			"SELECT * FROM policies WHERE ns = 'a' AND name = 'b'",
		};
		for (size_t i = 0; i < SW_ARRAY_SIZE(q); i++) {
			char sql[512];
			sqlite3_stmt *s;
			bool indexed = false, scan = false;
			snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s", q[i]);
			assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
			while (sqlite3_step(s) == SQLITE_ROW) {
				const char *d = (const char *)sqlite3_column_text(s, 3);
				indexed |= strstr(d, "INDEX") != NULL;
				scan |= strncmp(d, "SCAN ", 5) == 0 && strstr(d, "INDEX") == NULL;
			}
			sqlite3_finalize(s);
			if (!indexed || scan)
				fail_msg("not indexed: %s", q[i]);
		}
	}
	sqlite3_close(db);
}

/* ---- errors ---- */

static void test_unwritable_place(void **state)
{
	struct sfx *x = *state;
	char path[160];
	struct sw_err err;

	/* a directory that does not exist */
	snprintf(path, sizeof(path), "%s/missing/segwatch.db", x->dir);
	sw_err_clear(&err);
	assert_null(sw_store_open(path, NULL, &err));
	assert_int_equal(err.status, SW_ERR_IO);
	assert_string_equal(err.file, path);
	assert_non_null(strstr(err.msg, "writable"));
	assert_null(strchr(err.msg, '\n'));

	/* a directory nobody may create files in: root ignores modes, but
	 * not a read-only file system */
	if (geteuid() == 0) {
		snprintf(path, sizeof(path), "/proc/segwatch-test-%d.db", (int)getpid());
	} else {
		assert_int_equal(chmod(x->dir, 0500), 0);
		snprintf(path, sizeof(path), "%s/other.db", x->dir);
	}
	sw_err_clear(&err);
	assert_null(sw_store_open(path, NULL, &err));
	assert_int_equal(err.status, SW_ERR_IO);
	assert_string_equal(err.file, path);
	assert_non_null(strstr(err.msg, "cannot"));
	assert_non_null(strstr(err.msg, "writable"));
	assert_int_equal(access(path, F_OK), -1);
}

static void test_not_a_database(void **state)
{
	struct sfx *x = *state;
	FILE *f = fopen(x->db, "w");
	struct sw_err err;
	struct stat before, after;

	assert_non_null(f);
	for (int i = 0; i < 200; i++)
		fprintf(f, "apiVersion: v1\nkind: List\n");
	fclose(f);
	assert_int_equal(stat(x->db, &before), 0);
	sw_err_clear(&err);
	assert_null(sw_store_open(x->db, NULL, &err));
	assert_int_equal(err.status, SW_ERR_PARSE);
	assert_string_equal(err.file, x->db);
	assert_non_null(strstr(err.msg, "not a SQLite database"));
	assert_null(strchr(err.msg, '\n'));
	assert_int_equal(stat(x->db, &after), 0);
	assert_int_equal(after.st_size, before.st_size);
}

static void test_locked_database(void **state)
{
	struct sfx *x = *state;
	struct sw_store_config quick = { .busy_timeout_ms = 50 };
	sqlite3 *db = NULL;
	struct sw_err err;

	/* another process holds an exclusive lock on a rollback-journal file */
	assert_int_equal(sqlite3_open(x->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t (x); BEGIN EXCLUSIVE;"
	                              " INSERT INTO t VALUES (1)", NULL, NULL, NULL), SQLITE_OK);
	sw_err_clear(&err);
	assert_null(sw_store_open(x->db, &quick, &err));
	assert_int_equal(err.status, SW_ERR_BUSY);
	assert_string_equal(err.file, x->db);
	assert_non_null(strstr(err.msg, "locked by another process"));
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
}

/* ---- crash safety ---- */

#define CRASH_FLOWS 200

/* The child: batches of flows and a violation whose count is the batch
 * number; reports each committed batch on fd. Never returns. */
static void crash_writer(const char *path, int fd)
{
	struct sw_err err;
	struct sw_store *st = sw_store_open(path, NULL, &err);
	struct sw_violation v = mkviol("corp/cli", "10.9.0.1", "prod/db", "10.0.2.10", 5432,
	                               SW_REASON_DENIED_INGRESS, T0, T0, 1);

	if (st == NULL || sw_store_run_begin(st, T0, "crash", NULL, &err) != SW_OK)
		_exit(2);
	for (uint32_t b = 1; b < 1000000; b++) {
		if (sw_store_begin_batch(st, &err) != SW_OK)
			_exit(3);
		for (uint32_t i = 0; i < CRASH_FLOWS; i++) {
			struct sw_flow f = mkflow((uint64_t)b * CRASH_FLOWS + i, "10.9.0.1",
			                          "10.0.2.10", SW_PROTO_TCP, 5432, T0 + b, T0 + b);
			struct sw_store_flow sf = { .flow = &f, .end = SW_END_IDLE,
			                            .reason = SW_REASON_DENIED_INGRESS };
			if (sw_store_put_flow(st, &sf, &err) != SW_OK)
				_exit(4);
		}
		v.flows = 1; /* each batch adds one flow to the violation */
		v.last_ns = T0 + b;
		if (sw_store_upsert_violation(st, &v, NULL, &err) != SW_OK ||
		    sw_store_commit_batch(st, &err) != SW_OK)
			_exit(5);
		if (write(fd, &b, sizeof(b)) != (ssize_t)sizeof(b))
			_exit(6);
	}
	_exit(0);
}

static void test_sigkill_mid_run(void **state)
{
	struct sfx *x = *state;
	int fds[2], status;
	uint32_t b, last = 0, n = 0;
	pid_t pid;
	sqlite3 *db;
	char sql[200];

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		crash_writer(x->db, fds[1]);
	}
	close(fds[1]);
	/* let it commit a few dozen batches, then kill it wherever it is */
	while (n < 40 && read(fds[0], &b, sizeof(b)) == (ssize_t)sizeof(b)) {
		assert_int_equal(b, last + 1);
		last = b;
		n++;
	}
	assert_int_equal(n, 40);
	assert_int_equal(kill(pid, SIGKILL), 0);
	/* batches it reported before dying count too */
	while (read(fds[0], &b, sizeof(b)) == (ssize_t)sizeof(b)) {
		assert_int_equal(b, last + 1);
		last = b;
	}
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	/* the store opens it cleanly (the WAL is replayed) */
	sw_store_close(open_ok(x->db));
	db = raw_open(x->db);
	assert_text(db, "PRAGMA integrity_check", "ok");
	assert_int_equal(raw_int(db, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
	/* every reported batch is there, whole; at most one more beyond */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM flows WHERE flow_id < %u",
	         (last + 1) * CRASH_FLOWS);
	assert_int_equal(raw_int(db, sql), (int64_t)last * CRASH_FLOWS);
	assert_int_equal(raw_int(db, "SELECT count(*) % 200 FROM flows"), 0);
	assert_true(raw_int(db, "SELECT count(*) FROM flows") <= (int64_t)(last + 1) * CRASH_FLOWS);
	assert_true(raw_int(db, "SELECT flows FROM violations") >= last);
	assert_true(raw_int(db, "SELECT flows FROM violations") <= last + 1);
	sqlite3_close(db);
}

/* ---- bulk ---- */

static void test_bulk_100k_flows(void **state)
{
	struct sfx *x = *state;
	struct sw_store *st = open_ok(x->db);
	struct sw_err err;
	const uint64_t total = 100000, batch = 5000;
	char wal[PATH_MAX];
	struct stat sb;
	off_t wal_max = 0;
	sqlite3 *db;

	snprintf(wal, sizeof(wal), "%s-wal", x->db);

	assert_int_equal(sw_store_run_begin(st, T0, "bulk", NULL, &err), SW_OK);
	for (uint64_t i = 0; i < total; i += batch) {
		assert_int_equal(sw_store_begin_batch(st, &err), SW_OK);
		for (uint64_t j = i; j < i + batch; j++) {
			char src[32];
			struct sw_flow f;
			snprintf(src, sizeof(src), "10.%u.%u.%u", (unsigned)(j >> 16) & 255,
			         (unsigned)(j >> 8) & 255, (unsigned)j & 255);
			f = mkflow(j + 1, src, "10.0.2.10", SW_PROTO_TCP, (uint16_t)(j % 1000),
			           T0 + j * 1000, T0 + j * 1000 + SEC);
			put_flow(st, &f, j % 10 ? SW_REASON_ALLOWED_BY_POLICY : SW_REASON_DENIED_INGRESS,
			         0);
		}
		assert_int_equal(sw_store_commit_batch(st, &err), SW_OK);
		if (stat(wal, &sb) == 0 && sb.st_size > wal_max)
			wal_max = sb.st_size;
	}
	/* checkpointed at SW_STORE_WAL_CHECKPOINT bytes (the WAL is then
	 * written from its start again): that and one batch's pages (about
	 * 3 MiB: its flows go all over the src index), where SQLite's 1000
	 * pages would be 16 MiB */
	assert_true(wal_max > 0);
	assert_true(wal_max < (off_t)SW_STORE_WAL_CHECKPOINT + (6 << 20));
	sw_store_close(st);
	db = raw_open(x->db);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM flows"), (int64_t)total);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM flows WHERE verdict = 'denied'"),
	                 (int64_t)total / 10);
	assert_int_equal(raw_int(db, "SELECT count(DISTINCT src) FROM flows"), (int64_t)total);
	sqlite3_close(db);
}

/* ---- the real pipeline: matcher -> violation table -> store ---- */

struct pipe_ctx {
	struct sw_store *st;
	int64_t row[16];  /* store row id by in-memory violation id */
	struct sw_violation stored[16]; /* by id: the counters stored */
	unsigned upserts;
};

/* Each change of a violation is stored as the writer does: what it has
 * not yet added to the row. */
static void to_store(void *ctx, enum sw_violation_event ev, const struct sw_violation *v,
                     const struct sw_flow *f)
{
	struct pipe_ctx *p = ctx;
	struct sw_violation part = *v;
	int64_t id;

	(void)ev;
	(void)f;
	assert_true(v->id < SW_ARRAY_SIZE(p->row));
	part.flows -= p->stored[v->id].flows;
	for (int i = 0; i < 2; i++) {
		part.pkts[i] -= p->stored[v->id].pkts[i];
		part.bytes[i] -= p->stored[v->id].bytes[i];
	}
	p->stored[v->id] = *v;
	id = upsert(p->st, &part);
	assert_true(v->id < SW_ARRAY_SIZE(p->row));
	assert_true(p->row[v->id] == 0 || p->row[v->id] == id);
	p->row[v->id] = id;
	p->upserts++;
}

/* The inventory of the explanation tests: prod/web, prod/db, corp/cli, and
 * prod isolated for ingress (deny-in). */
static void office(struct fx *f)
{
	ns_add(f, "prod", "env=prod");
	ns_add(f, "corp", "team=corp");
	ep_add(f, "prod/web", "app=web", "10.0.1.0/24", "http/TCP/80");
	ep_add(f, "prod/db", "app=db", "10.0.2.10", "pg/TCP/5432");
	ep_add(f, "corp/cli", "role=client", "10.9.0.1", "");
	pol_add(f, pol_new("prod", "deny-in", "", IN));
}

/* web-in: prod/web admits TCP 80 from every namespace (cidr NULL) or from
 * one address block. */
static void web_in_from(struct fx *f, const char *cidr)
{
	struct sw_netpol *p = pol_new("prod", "web-in", "app=web", IN);
	struct sw_rule *r = pol_rule(p, IN);

	if (cidr != NULL)
		peer_ip(r, cidr, NULL);
	else
		peer_ns(r, "");
	port_num(r, SW_PROTO_TCP, 80, 0);
	pol_add(f, p);
}

static void test_pipeline_inventory_policies_explanations(void **state)
{
	struct sfx *x = *state;
	void *inner = NULL;
	struct fx *f;
	struct sw_violations *vt;
	struct sw_violations_config cfg = { 0 };
	struct pipe_ctx pc = { 0 };
	struct sw_err err;
	struct sw_flow fl[3];
	const char *const who[3][2] = {
		{ "corp/cli", "prod/db" }, { "corp/cli", "prod/db" }, { "corp/cli", "prod/web" } };
	sqlite3 *db;

	assert_int_equal(setup(&inner), 0);
	f = inner;
	office(f);
	web_in_from(f, NULL);
	cfg.on_change = to_store;
	cfg.on_change_ctx = &pc;
	vt = sw_violations_new(matcher(f), &cfg, &err);
	assert_non_null(vt);
	pc.st = open_ok(x->db);

	assert_int_equal(sw_store_put_inventory(pc.st, f->inv, T0, &err), SW_OK);
	assert_int_equal(sw_store_put_policies(pc.st, f->set, T0, &err), SW_OK);
	assert_int_equal(sw_store_run_begin(pc.st, T0, "test", NULL, &err), SW_OK);
	assert_int_equal(sw_store_begin_batch(pc.st, &err), SW_OK);
	for (int i = 0; i < 3; i++) {
		enum sw_reason r;
		const struct sw_violation *v;
		struct sw_store_flow sf;
		fl[i] = mkflow((uint64_t)i + 1, "10.9.0.1", i < 2 ? "10.0.2.10" : "10.0.1.5",
		               SW_PROTO_TCP, i < 2 ? 5432 : 80, T0 + (uint64_t)i * SEC,
		               T0 + (uint64_t)i * SEC);
		sw_violations_flow(vt, SW_FLOW_START, SW_END_NONE, &fl[i]);
		fl[i].last_ns += SEC;
		sw_violations_flow(vt, SW_FLOW_END, SW_END_IDLE, &fl[i]);
		assert_true(sw_violations_judgement(vt, &fl[i], &r, &v));
		sf = (struct sw_store_flow){ .flow = &fl[i], .end = SW_END_IDLE,
		                             .src_id = who[i][0], .dst_id = who[i][1], .reason = r,
		                             .violation_id = v ? pc.row[v->id] : 0 };
		assert_int_equal(sw_store_put_flow(pc.st, &sf, &err), SW_OK);
	}
	assert_int_equal(sw_store_commit_batch(pc.st, &err), SW_OK);
	assert_true(pc.upserts >= 2);

	/* a policy whose content changed moves its changed_ns */
	{
		struct sw_netpol *p = pol_new("prod", "extra", "app=db", IN);
		pol_add(f, p);
	}
	assert_int_equal(sw_store_put_policies(pc.st, f->set, T0 + 60 * SEC, &err), SW_OK);
	sw_store_close(pc.st);

	db = raw_open(x->db);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM namespaces"), 2);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM endpoints"), 3);
	assert_text(db, "SELECT json_extract(labels, '$.app') FROM endpoints WHERE id='prod/db'",
	            "db");
	assert_text(db, "SELECT addresses || ports FROM endpoints WHERE id='prod/db'",
	            "[\"10.0.2.10/32\"][{\"name\":\"pg\",\"port\":5432,\"proto\":\"tcp\"}]");
	assert_int_equal(raw_int(db, "SELECT count(*) FROM policies"), 3);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM policies WHERE loaded_ns = "
	                             "1795608060000000000"), 3);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM policies WHERE changed_ns = "
	                             "1795608000000000000"), 2);
	/* one violation (the allowed web flow makes none), two flows in it */
	assert_int_equal(raw_int(db, "SELECT count(*) FROM violations"), 1);
	assert_int_equal(raw_int(db, "SELECT flows FROM violations"), 2);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM flows WHERE violation_id = "
	                             "(SELECT id FROM violations)"), 2);
	assert_text(db, "SELECT verdict FROM flows WHERE flow_id = 3", "allowed");
	/* the explanation is JSON that SQLite can query */
	assert_text(db, "SELECT json_extract(explanation, '$.ingress.policies[0].name')"
	                " FROM violations", "deny-in");
	assert_int_equal(raw_int(db, "SELECT json_extract(explanation, '$.ingress.isolated')"
	                             " FROM violations"), 1);
	assert_text(db, "SELECT reason FROM violations", "denied_ingress");
	sqlite3_close(db);

	sw_violations_free(vt);
	teardown(&inner);
}

/* Explanation texts come from a cache of shapes with the addresses filled
 * in: each stored text equals sw_explanation_json's compact text, for
 * IPv4 and IPv6, external and inventory sources, denied and allowed sides,
 * including shapes met again with other addresses and after the policies
 * were stored anew (which empties the cache). */
static void test_explanation_texts(void **state)
{
	static const struct { const char *src, *dst; uint16_t port; } conn[] = {
		{ "203.0.113.7", "10.0.2.10", 5432 },  { "203.0.113.99", "10.0.2.10", 5432 },
		{ "10.9.0.1", "10.0.2.10", 5432 },     { "10.9.0.1", "10.0.1.5", 22 },
		{ "198.51.100.1", "10.0.1.5", 22 },    { "2001:db8::7", "fd00::10", 443 },
		{ "2001:db8:0:1::ffff", "fd00::10", 443 }, { "10.9.0.1", "fd00::10", 443 },
	};
	struct sfx *x = *state;
	void *inner = NULL;
	struct fx *f;
	struct sw_store *st;
	struct sw_err err;
	sqlite3 *db;

	assert_int_equal(setup(&inner), 0);
	f = inner;
	ep_add(f, "prod/api", "app=api", "fd00::10", "");
	office(f);
	web_in_from(f, "198.51.100.0/24");
	st = open_ok(x->db);
	for (int round = 0; round < 2; round++) {
		assert_int_equal(sw_store_put_policies(st, f->set, T0, &err), SW_OK);
		for (size_t i = 0; i < SW_ARRAY_SIZE(conn); i++) {
			struct sw_violation v = mkviol(NULL, conn[i].src, NULL, conn[i].dst,
			                               conn[i].port, SW_REASON_DENIED_INGRESS,
			                               T0, T0 + SEC, 1);
			struct sw_explanation *ex;
			struct sw_addr a, b;
			char *want, sql[96];
			json_t *j;
			int64_t id;

			assert_int_equal(sw_addr_parse(conn[i].src, &a), SW_OK);
			assert_int_equal(sw_addr_parse(conn[i].dst, &b), SW_OK);
			assert_int_equal(sw_matcher_explain(matcher(f), &a, &b, SW_PROTO_TCP,
			                                    conn[i].port, &ex), SW_OK);
			v.explanation = ex;
			v.port = (uint16_t)(conn[i].port + round); /* a new row each round */
			id = upsert(st, &v);
			j = sw_explanation_json(ex);
			want = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
			assert_non_null(want);
			db = raw_open(x->db);
			snprintf(sql, sizeof(sql), "SELECT explanation FROM violations WHERE id = %lld",
			         (long long)id);
			assert_text(db, sql, want);
			sqlite3_close(db);
			free(want);
			json_decref(j);
			sw_explanation_free(ex);
		}
	}
	sw_store_close(st);
	teardown(&inner);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_create_reopen, sfx_setup, sfx_teardown),
		cmocka_unit_test_setup_teardown(test_migrates_an_empty_file, sfx_setup, sfx_teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_is_announced, sfx_setup, sfx_teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_defers_flow_keys, sfx_setup, sfx_teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_raced_by_another_handle, sfx_setup,
		                                sfx_teardown),
		cmocka_unit_test_setup_teardown(test_existing_page_size_kept, sfx_setup, sfx_teardown),
		cmocka_unit_test_setup_teardown(test_refuses_a_newer_schema, sfx_setup, sfx_teardown),
		cmocka_unit_test_setup_teardown(test_read_only_open, sfx_setup, sfx_teardown),
		cmocka_unit_test_setup_teardown(test_config_checked_before_any_file, sfx_setup,
		                                sfx_teardown),
		cmocka_unit_test_setup_teardown(test_known_key_in_a_batch, sfx_setup, sfx_teardown),
		cmocka_unit_test_setup_teardown(test_upsert_deduplicates, sfx_setup, sfx_teardown),
		cmocka_unit_test_setup_teardown(test_external_identity_and_runs_add_up, sfx_setup,
		                                sfx_teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_runs_add_up, sfx_setup, sfx_teardown),
		cmocka_unit_test_setup_teardown(test_put_flow_round_trip, sfx_setup, sfx_teardown),
		cmocka_unit_test_setup_teardown(test_put_flows_as_one_by_one, sfx_setup, sfx_teardown),
		cmocka_unit_test_setup_teardown(test_put_flows_dangling_reference_fails_the_batch,
		                                sfx_setup, sfx_teardown),
		cmocka_unit_test_setup_teardown(test_file_replaced_refuses_writes, sfx_setup,
		                                sfx_teardown),
		cmocka_unit_test_setup_teardown(test_rollback_discards_the_batch, sfx_setup,
		                                sfx_teardown),
		cmocka_unit_test_setup_teardown(test_identity_pairs_survive_rollback, sfx_setup,
		                                sfx_teardown),
		cmocka_unit_test_setup_teardown(test_prune_flows, sfx_setup, sfx_teardown),
		cmocka_unit_test_setup_teardown(test_triage_transitions, sfx_setup, sfx_teardown),
		cmocka_unit_test_setup_teardown(test_count_and_pages_match_brute_force, sfx_setup,
		                                sfx_teardown),
		cmocka_unit_test_setup_teardown(test_query_plans_use_indexes, sfx_setup, sfx_teardown),
		cmocka_unit_test_setup_teardown(test_unwritable_place, sfx_setup, sfx_teardown),
		cmocka_unit_test_setup_teardown(test_not_a_database, sfx_setup, sfx_teardown),
		cmocka_unit_test_setup_teardown(test_locked_database, sfx_setup, sfx_teardown),
		cmocka_unit_test_setup_teardown(test_sigkill_mid_run, sfx_setup, sfx_teardown),
		cmocka_unit_test_setup_teardown(test_bulk_100k_flows, sfx_setup, sfx_teardown),
		cmocka_unit_test_setup_teardown(test_explanation_texts, sfx_setup, sfx_teardown),
		cmocka_unit_test_setup_teardown(test_pipeline_inventory_policies_explanations,
		                                sfx_setup, sfx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
