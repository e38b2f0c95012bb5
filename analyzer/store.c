/*
 * store.c - the store's connection: opening (with the settings explained
 * in include/segwatch/store.h), forward migrations by PRAGMA user_version,
 * one-line errors about the database file, the statement cache, batches
 * and runs.
 */
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* One schema file, embedded by schema/embed.sh. */
struct sw_schema_migration {
	int version;
	const char *name;
	const char *sql;
};

/* The generated header lives in the build tree (see the Makefile rule for
 * build/gen/schema_sql.h). Without it the binary knows no schema and
 * sw_store_open() says so, rather than breaking the build. */
#if defined(__has_include)
#if __has_include("../build/gen/schema_sql.h")
#include "../build/gen/schema_sql.h"
#define SCHEMA_EMBEDDED 1
#endif
#endif
#ifndef SCHEMA_EMBEDDED
static const struct sw_schema_migration sw_schema_migrations[] = { { 0, "", "" } };
#define SCHEMA_EMBEDDED 0
#endif

#define ADVICE_WRITE "check that the directory exists and that the file and " \
	"its directory are writable, or choose another --db"

int sw_store_schema_latest(void)
{
	return SCHEMA_EMBEDDED ? (int)SW_ARRAY_SIZE(sw_schema_migrations) : 0;
}

int sw_store_schema_version(const struct sw_store *st)
{
	return st->version;
}

uint64_t sw_store_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- errors ---- */

static enum sw_status classify(int code, const char **advice)
{
	switch (code & 0xff) {
	case SQLITE_NOTADB:
		*advice = "the file is not a SQLite database (or is encrypted): "
		          "choose another --db or move the file away";
		return SW_ERR_PARSE;
	case SQLITE_CORRUPT:
		*advice = "the database is corrupt: restore it from a backup, or "
		          "move it away and start a new one";
		return SW_ERR_PARSE;
	case SQLITE_INTERRUPT:
		*advice = "the query ran past its time budget: narrow it (a shorter time "
		          "range, a filter, a smaller limit)";
		return SW_ERR_BUSY;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		*advice = "the database is locked by another process (another "
		          "segwatch run?): stop it or choose another --db";
		return SW_ERR_BUSY;
	case SQLITE_NOMEM:
		*advice = "out of memory";
		return SW_ERR_NOMEM;
	case SQLITE_FULL:
		*advice = "the disk is full: free space or prune flows (--retain-flows)";
		return SW_ERR_IO;
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
	case SQLITE_TOOBIG:
		*advice = "a value was refused";
		return SW_ERR_INVALID;
	default:
		*advice = ADVICE_WRITE;
		return SW_ERR_IO;
	}
}

static enum sw_status fail_code(const char *path, struct sw_err *err, int code,
                                const char *detail, const char *doing)
{
	const char *advice;
	enum sw_status s = classify(code, &advice);

	return sw_err_set(err, s, path, 0, 0, "cannot %s (%s): %s", doing,
	                  detail ? detail : sqlite3_errstr(code), advice);
}

enum sw_status sw_store_fail(struct sw_store *st, struct sw_err *err, const char *doing)
{
	return fail_code(st->path, err, sqlite3_extended_errcode(st->db), sqlite3_errmsg(st->db),
	                 doing);
}

enum sw_status sw_store_exec(struct sw_store *st, const char *sql, const char *doing,
                             struct sw_err *err)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sw_store_fail(st, err, doing);
	return SW_OK;
}

/* ---- statements ---- */

sqlite3_stmt *sw_store_stmt(struct sw_store *st, enum store_stmt which, struct sw_err *err)
{
	sqlite3_stmt *s = st->stmt[which];

	if (s != NULL) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		return s;
	}
	if (sqlite3_prepare_v3(st->db, sw_store_stmt_sql[which], -1, SQLITE_PREPARE_PERSISTENT,
	                       &s, NULL) != SQLITE_OK) {
		sw_store_fail(st, err, "prepare a statement");
		return NULL;
	}
	st->stmt[which] = s;
	return s;
}

static sqlite3_stmt *prepare_cached(struct sw_store *st, struct sql_cache_slot *slot,
                                    const char *sql, struct sw_err *err)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
		sw_store_fail(st, err, "prepare a statement");
		return NULL;
	}
	slot->sql = sql;
	slot->stmt = s;
	st->sql_cached++;
	return s;
}

sqlite3_stmt *sw_store_sql(struct sw_store *st, const char *sql, struct sw_err *err)
{
	size_t h = ((uintptr_t)sql >> 3) * 0x9E3779B97F4A7C15ull >> 56;

	for (size_t i = 0; i < SQL_CACHE_SLOTS; i++) {
		struct sql_cache_slot *slot = &st->sql_cache[(h + i) % SQL_CACHE_SLOTS];

		if (slot->sql == sql) {
			sqlite3_reset(slot->stmt);
			sqlite3_clear_bindings(slot->stmt);
			return slot->stmt;
		}
		if (slot->sql == NULL && st->sql_cached < SQL_CACHE_SLOTS / 2)
			return prepare_cached(st, slot, sql, err);
		if (slot->sql == NULL)
			break;
	}
	sw_err_set(err, SW_ERR_NOMEM, st->path, 0, 0,
	           "more than %d distinct statements: the statement cache is full",
	           SQL_CACHE_SLOTS / 2);
	return NULL;
}

/* ---- opening ---- */

static enum sw_status pragma_int(struct sw_store *st, const char *sql, int *out,
                                 struct sw_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return sw_store_fail(st, err, "read the database");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return sw_store_fail(st, err, "read the database");
	return SW_OK;
}

/* Switching a new database to WAL takes an exclusive lock, and SQLite
 * answers busy at once (its busy handler would risk a deadlock) when
 * another process is switching it too (run and serve started together):
 * retried every 10 ms for up to timeout_ms. */
static enum sw_status set_wal(struct sw_store *st, unsigned timeout_ms, struct sw_err *err)
{
	const struct timespec pause = { .tv_nsec = 10000000 };
	sqlite3_stmt *s;
	const unsigned char *mode;
	bool wal;
	int rc;

	for (unsigned waited = 0;; waited += 10) {
		if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode=WAL", -1, &s, NULL) != SQLITE_OK)
			return sw_store_fail(st, err, "set the journal mode");
		rc = sqlite3_step(s);
		if ((rc & 0xff) != SQLITE_BUSY || waited >= timeout_ms)
			break;
		sqlite3_finalize(s);
		nanosleep(&pause, NULL);
	}
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(s);
		return sw_store_fail(st, err, "switch the database to WAL mode");
	}
	mode = sqlite3_column_text(s, 0);
	wal = mode != NULL && strcmp((const char *)mode, "wal") == 0;
	sqlite3_finalize(s);
	if (!wal)
		return sw_err_set(err, SW_ERR_IO, st->path, 0, 0,
		                  "cannot switch the database to WAL mode (the file system "
		                  "may not support it): choose a --db on a local file system");
	return SW_OK;
}

static enum sw_status migrate_one(struct sw_store *st, const struct sw_schema_migration *m,
                                  struct sw_err *err)
{
	char sql[64], doing[128];
	sqlite3_stmt *s = NULL;
	int rc, version;

	if (sw_store_exec(st, "BEGIN IMMEDIATE", "start a migration", err) != SW_OK)
		return err ? err->status : SW_ERR_IO;
	/* another process (run and serve started together on a new database)
	 * may have migrated since the version was read at open; under the
	 * write lock the version read now is the one to go from */
	if (pragma_int(st, "PRAGMA user_version", &version, err) != SW_OK) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return err ? err->status : SW_ERR_IO;
	}
	if (version >= m->version) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		st->version = version;
		return SW_OK;
	}
	if (sqlite3_exec(st->db, m->sql, NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_prepare_v2(st->db, "INSERT INTO schema_meta (version, name, applied_ns) "
	                       "VALUES (?1, ?2, ?3)", -1, &s, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int(s, 1, m->version);
	sqlite3_bind_text(s, 2, m->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)sw_store_now_ns());
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		goto fail;
	/* PRAGMA takes no parameters; the version is our own integer */
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", m->version);
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	st->version = m->version;
	return SW_OK;
fail:
	snprintf(doing, sizeof(doing), "apply the schema migration %s", m->name);
	sw_store_fail(st, err, doing);
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return err ? err->status : SW_ERR_IO;
}

static enum sw_status too_new(const struct sw_store *st, int latest, struct sw_err *err)
{
	return sw_err_set(err, SW_ERR_UNSUPPORTED, st->path, 0, 0,
	                  "the database has schema version %d, newer than this segwatch "
	                  "knows (%d): use a newer segwatch or another --db", st->version, latest);
}

static enum sw_status migrate(struct sw_store *st, const struct sw_store_config *cfg,
                              struct sw_err *err)
{
	int latest = sw_store_schema_latest();
	char msg[SW_ERR_MSG_MAX + 256];
	bool announce;
	uint64_t started;

	if (latest == 0)
		return sw_err_set(err, SW_ERR_UNSUPPORTED, st->path, 0, 0,
		                  "this segwatch was built without its database schema "
		                  "(schema/embed.sh did not run): rebuild it with make");
	if (st->version > latest)
		return too_new(st, latest, err);
	if (st->read_only) {
		if (st->version < latest)
			return sw_err_set(err, SW_ERR_UNSUPPORTED, st->path, 0, 0,
			                  "the database has schema version %d, older than this "
			                  "segwatch's %d: open it once for writing (segwatch run) "
			                  "to migrate it", st->version, latest);
		return SW_OK;
	}
	/* an upgrade, not the creation of a database, is announced */
	announce = st->version > 0 && st->version < latest && cfg->notice != NULL;
	if (announce) {
		snprintf(msg, sizeof(msg), "%s: upgrading the database from schema version %d to %d "
		         "(on a large database this takes a while; an interrupted upgrade resumes "
		         "at the next start)", st->path, st->version, latest);
		cfg->notice(cfg->notice_ctx, msg);
	}
	started = sw_store_now_ns();
	while (st->version < latest)
		if (migrate_one(st, &sw_schema_migrations[st->version], err) != SW_OK)
			return err ? err->status : SW_ERR_IO;
	if (st->version > latest) /* a newer segwatch migrated it meanwhile */
		return too_new(st, latest, err);
	if (announce) {
		snprintf(msg, sizeof(msg), "%s: upgraded to schema version %d in %.1f s", st->path,
		         latest, (double)(sw_store_now_ns() - started) / 1e9);
		cfg->notice(cfg->notice_ctx, msg);
	}
	return SW_OK;
}

/* PRAGMA name=value (PRAGMA takes no parameters; the value is ours). */
static enum sw_status set_pragma(struct sw_store *st, const char *name, long value,
                                 struct sw_err *err)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA %s=%ld", name, value);
	return sw_store_exec(st, sql, "configure the database", err);
}

/* SQLite checkpoints the WAL once it holds 1000 pages, 16 MiB with the
 * store's pages: the threshold is set in bytes instead. */
static enum sw_status set_checkpoint_size(struct sw_store *st, struct sw_err *err)
{
	int page = 0;

	if (pragma_int(st, "PRAGMA page_size", &page, err) != SW_OK)
		return err ? err->status : SW_ERR_IO;
	return set_pragma(st, "wal_autocheckpoint",
	                  page > 0 ? (long)(SW_STORE_WAL_CHECKPOINT / (unsigned)page) : 1000, err);
}

static enum sw_status setup(struct sw_store *st, const struct sw_store_config *cfg,
                            struct sw_err *err)
{
	unsigned timeout = cfg->busy_timeout_ms ? cfg->busy_timeout_ms
	                                        : SW_STORE_BUSY_TIMEOUT_DEFAULT_MS;
	unsigned cache_mib = cfg->cache_mib ? cfg->cache_mib : SW_STORE_CACHE_DEFAULT_MIB;
	enum sw_status status;

	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, (int)(timeout > 0x7fffffffu ? 0x7fffffffu : timeout));
	/* reading the header first tells a file that is no database */
	if (pragma_int(st, "PRAGMA user_version", &st->version, err) != SW_OK)
		return err ? err->status : SW_ERR_IO;
	if (!st->read_only) {
		/* a new database's page size (no-op on an existing one) */
		if (set_pragma(st, "page_size", SW_STORE_NEW_PAGE_SIZE, err) != SW_OK)
			return err ? err->status : SW_ERR_IO;
		if (st->version <= sw_store_schema_latest() && set_wal(st, timeout, err) != SW_OK)
			return err ? err->status : SW_ERR_IO;
		if (sw_store_exec(st, "PRAGMA synchronous=NORMAL", "configure the database",
		                  err) != SW_OK)
			return err ? err->status : SW_ERR_IO;
		/* a writer's statement journals (an upsert in a batch keeps
		 * one) stay in memory: in a temporary file they cost ~25 write
		 * calls per violation stored (readers keep sorting on disk) */
		if (sw_store_exec(st, "PRAGMA temp_store=MEMORY", "configure the database",
		                  err) != SW_OK)
			return err ? err->status : SW_ERR_IO;
	}
	if (sw_store_exec(st, "PRAGMA foreign_keys=ON", "configure the database", err) != SW_OK)
		return err ? err->status : SW_ERR_IO;
	/* a negative size counts KiB */
	if (set_pragma(st, "cache_size", -(long)cache_mib * 1024, err) != SW_OK)
		return err ? err->status : SW_ERR_IO;
	status = migrate(st, cfg, err);
	if (status != SW_OK || st->read_only)
		return status;
	return set_checkpoint_size(st, err);
}

/* The database file's identity, to tell later whether the file at the
 * path is still the one being written. */
static void note_file(struct sw_store *st)
{
	struct stat sb;

	st->file_known = stat(st->path, &sb) == 0;
	if (!st->file_known)
		return;
	st->file_dev = sb.st_dev;
	st->file_ino = sb.st_ino;
}

bool sw_store_file_replaced(const struct sw_store *st)
{
	struct stat sb;

	if (!st->file_known)
		return false;
	if (stat(st->path, &sb) != 0)
		return errno == ENOENT || errno == ENOTDIR;
	return sb.st_dev != st->file_dev || sb.st_ino != st->file_ino;
}

struct sw_store *sw_store_open(const char *path, const struct sw_store_config *cfg,
                               struct sw_err *err)
{
	static const struct sw_store_config defaults;
	struct sw_store *st;
	int flags, rc;

	if (cfg == NULL)
		cfg = &defaults;
	if (cfg->cache_mib > SW_STORE_CACHE_MAX_MIB) {
		sw_err_set(err, SW_ERR_INVALID, path, 0, 0,
		           "the page cache may be at most %u MiB, asked for %u",
		           SW_STORE_CACHE_MAX_MIB, cfg->cache_mib);
		return NULL;
	}
	st = calloc(1, sizeof(*st));
	if (st == NULL || (st->path = strdup(path)) == NULL) {
		free(st);
		sw_err_set(err, SW_ERR_NOMEM, path, 0, 0, "out of memory");
		return NULL;
	}
	st->read_only = cfg->read_only;
	flags = (cfg->read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
	        SQLITE_OPEN_NOMUTEX;
	rc = sqlite3_open_v2(path, &st->db, flags, NULL);
	if (rc != SQLITE_OK) {
		if (st->db == NULL)
			fail_code(path, err, rc, NULL, "open the database");
		else if ((rc & 0xff) == SQLITE_CANTOPEN)
			sw_err_set(err, SW_ERR_IO, path, 0, 0,
			           "cannot %s the database (%s): %s",
			           cfg->read_only ? "open" : "create or open",
			           sqlite3_errmsg(st->db), ADVICE_WRITE);
		else
			sw_store_fail(st, err, "open the database");
		sw_store_close(st);
		return NULL;
	}
	if (setup(st, cfg, err) != SW_OK) {
		sw_store_close(st);
		return NULL;
	}
	note_file(st);
	return st;
}

/* How long a close waits for readers to leave the WAL it truncates. */
#define CLOSE_CHECKPOINT_WAIT_MS 250

/* Whether this process may delete the database's -wal file: it may write
 * the directory and, in a sticky one (/tmp), owns the file or the
 * directory. Not after dropping root's privileges, when root created the
 * database in its own directory. */
static bool wal_deletable(const char *path)
{
	char dir[PATH_MAX], wal[PATH_MAX + 8];
	const char *slash = strrchr(path, '/');
	struct stat ds, ws;
	uid_t me = geteuid();

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) != 0 || stat(dir, &ds) != 0)
		return false;
	if (!(ds.st_mode & S_ISVTX) || me == 0 || ds.st_uid == me)
		return true;
	snprintf(wal, sizeof(wal), "%s-wal", path);
	return stat(wal, &ws) != 0 || ws.st_uid == me;
}

/* At close SQLite checkpoints the WAL into the database and deletes it,
 * but not where this process may not delete the -wal file: there it was
 * left whole, and where the process may not even look the database up by
 * its path (a directory only root may enter, after dropping root's
 * privileges), SQLite takes the file for moved and skips the checkpoint,
 * so the database file alone lacked the last commits. There the WAL is
 * checkpointed into the database here and truncated to zero bytes
 * (persistent WAL, size limit 0), waiting briefly for readers. */
static void wal_truncate_if_kept(struct sw_store *st)
{
	int persist = 1;

	if (st->read_only || st->db == NULL || wal_deletable(st->path))
		return;
	sqlite3_file_control(st->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
	sqlite3_exec(st->db, "PRAGMA journal_size_limit=0", NULL, NULL, NULL);
	sqlite3_busy_timeout(st->db, CLOSE_CHECKPOINT_WAIT_MS);
	sqlite3_wal_checkpoint_v2(st->db, "main", SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
}

void sw_store_close(struct sw_store *st)
{
	if (st == NULL)
		return;
	sw_store_rollback_batch(st);
	for (size_t i = 0; i < STMT_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	for (size_t i = 0; i < SQL_CACHE_SLOTS; i++)
		sqlite3_finalize(st->sql_cache[i].stmt);
	/* keeps the planner's statistics current (SQLite's advice for
	 * long-lived connections at close), sampling at most ~400 rows per
	 * index: a full ANALYZE of a grown flows table would take seconds */
	if (!st->read_only && st->db != NULL && st->version == sw_store_schema_latest())
		sqlite3_exec(st->db, "PRAGMA analysis_limit=400; PRAGMA optimize", NULL, NULL, NULL);
	wal_truncate_if_kept(st);
	sqlite3_close_v2(st->db);
	sw_store_explanations_forget(st);
	sw_store_identities_forget(st);
	free(st->path);
	free(st);
}

/* ---- batches ---- */

enum sw_status sw_store_begin_batch(struct sw_store *st, struct sw_err *err)
{
	if (st->in_batch)
		return sw_err_set(err, SW_ERR_INVALID, st->path, 0, 0, "a batch is already open");
	/* SQLite would go on writing the old file, unreachable: everything
	 * written from then on would be lost */
	if (sw_store_file_replaced(st))
		return sw_err_set(err, SW_ERR_IO, st->path, 0, 0,
		                  "the database file was deleted, moved or replaced while in use: "
		                  "what is written now would be lost; restart segwatch to "
		                  "create it again");
	/* IMMEDIATE: take the write lock now, so a busy database fails here
	 * (after busy_timeout) and never half-way through the batch */
	if (sw_store_exec(st, "BEGIN IMMEDIATE", "start a write batch", err) != SW_OK)
		return err ? err->status : SW_ERR_IO;
	st->in_batch = true;
	return SW_OK;
}

enum sw_status sw_store_commit_batch(struct sw_store *st, struct sw_err *err)
{
	if (!st->in_batch)
		return sw_err_set(err, SW_ERR_INVALID, st->path, 0, 0, "no batch is open");
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		enum sw_status s = sw_store_fail(st, err, "commit a write batch");
		sw_store_rollback_batch(st);
		return s;
	}
	st->in_batch = false;
	return SW_OK;
}

void sw_store_rollback_batch(struct sw_store *st)
{
	if (!st->in_batch)
		return;
	sw_store_identities_forget(st); /* its pairs went with it */
	if (sqlite3_get_autocommit(st->db) == 0)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	st->in_batch = false;
}

/* ---- runs ---- */

enum sw_status sw_store_run_begin(struct sw_store *st, uint64_t started_ns,
                                  const char *sources, int64_t *run_id,
                                  struct sw_err *err)
{
	sqlite3_stmt *s = NULL;
	enum sw_status status;

	if (st->in_batch)
		return sw_err_set(err, SW_ERR_INVALID, st->path, 0, 0,
		                  "a run cannot begin inside a batch");
	status = sw_store_begin_batch(st, err);
	if (status != SW_OK)
		return status;
	if (sqlite3_prepare_v2(st->db, "INSERT INTO runs (started_ns, sources) VALUES (?1, ?2)",
	                       -1, &s, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)started_ns);
	sqlite3_bind_text(s, 2, sources ? sources : "", -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(s);
	s = NULL;
	status = sw_store_commit_batch(st, err);
	if (status != SW_OK)
		return status;
	st->run_id = sqlite3_last_insert_rowid(st->db);
	if (run_id != NULL)
		*run_id = st->run_id;
	return SW_OK;
fail:
	status = sw_store_fail(st, err, "record the start of a run");
	sqlite3_finalize(s);
	sw_store_rollback_batch(st);
	return status;
}

enum sw_status sw_store_run_end(struct sw_store *st, uint64_t ended_ns,
                                const struct sw_store_run_stats *stats, struct sw_err *err)
{
	static const struct sw_store_run_stats none;
	sqlite3_stmt *s;
	int rc;

	if (st->run_id == 0)
		return sw_err_set(err, SW_ERR_INVALID, st->path, 0, 0, "no run has begun");
	if (stats == NULL)
		stats = &none;
	if (sqlite3_prepare_v2(st->db, "UPDATE runs SET ended_ns = ?1, packets = ?2, drops = ?3,"
	                       " flows = ?4, stats = ?5 WHERE id = ?6", -1, &s, NULL) != SQLITE_OK)
		return sw_store_fail(st, err, "record the end of a run");
	sqlite3_bind_int64(s, 1, (sqlite3_int64)ended_ns);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)stats->packets);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)stats->drops);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)stats->flows);
	if (stats->json != NULL)
		sqlite3_bind_text(s, 5, stats->json, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, st->run_id);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return sw_store_fail(st, err, "record the end of a run");
	st->run_id = 0;
	return SW_OK;
}
