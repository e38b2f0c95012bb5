/*
 * store_int.h - what the store's files (store.c: connection and migrations,
 * store_write.c: writes, store_read.c: queries) share: the handle and its
 * cache of prepared statements.
 */
#ifndef SEGWATCH_STORE_INT_H
#define SEGWATCH_STORE_INT_H

#include <sqlite3.h>
#include <sys/types.h>

#include "segwatch/store.h"

/* Statements prepared once per handle, on first use. */
enum store_stmt {
	STMT_INSERT_FLOW,
	STMT_INSERT_FLOWS,       /* SW_STORE_FLOWS_PER_INSERT rows at once */
	STMT_INSERT_VIOLATION,
	STMT_UPSERT_VIOLATION,
	STMT_UPSERT_NAMESPACE,
	STMT_UPSERT_ENDPOINT,
	STMT_UPSERT_POLICY,
	STMT_COUNT
};

/* Statements of other store files, cached by the address of their SQL text
 * (a string constant): open addressing, at most SQL_CACHE_SLOTS / 2 used. */
#define SQL_CACHE_SLOTS 256
struct sql_cache_slot {
	const char *sql;
	sqlite3_stmt *stmt;
};

struct sw_store {
	sqlite3 *db;
	char *path;
	bool read_only;
	bool in_batch;
	int version;
	int64_t run_id;          /* current run, 0 when none */
	sqlite3_stmt *stmt[STMT_COUNT];
	struct sql_cache_slot sql_cache[SQL_CACHE_SLOTS];
	size_t sql_cached;
	struct sw_expl_cache *expl; /* store_explain.c; NULL until used */
	struct sw_identity_pairs *pairs; /* store_identities.c; NULL until used */
	bool file_known;         /* file_dev and file_ino hold the file's */
	dev_t file_dev;          /* identity at open (see sw_store_begin_batch) */
	ino_t file_ino;
};

/* store_identities.c: notes that address ip had endpoint identity in a
 * stored flow (table ip_identities; written once per handle); forget drops
 * the handle's memory of written pairs (a batch rolled back, or close). */
enum sw_status sw_store_note_identity(struct sw_store *st, const char *ip, const char *identity,
                                      struct sw_err *err);
void sw_store_identities_forget(struct sw_store *st);

/* The SQL of each cached statement (store_write.c). */
extern const char *const sw_store_stmt_sql[STMT_COUNT];

/* The cached statement, prepared on first use, reset and unbound; NULL
 * with err set on failure. */
sqlite3_stmt *sw_store_stmt(struct sw_store *st, enum store_stmt which, struct sw_err *err);

/* The statement for sql, a string constant (cached by its address, so
 * pass the same constant each time), prepared on first use, reset and
 * unbound; NULL with err set on failure (SW_ERR_NOMEM once
 * SQL_CACHE_SLOTS / 2 distinct statements are cached). Any store file may
 * use it for its own statements; sw_store_close finalizes them. */
sqlite3_stmt *sw_store_sql(struct sw_store *st, const char *sql, struct sw_err *err);

/* Helpers of store_sql.c. sw_sql_reset: resets s and drops its bindings,
 * so no borrowed pointer outlives the call. sw_sql_step_done: steps a
 * write to its end; SQLITE_DONE or the error code. */
void sw_sql_reset(sqlite3_stmt *s);
int sw_sql_step_done(sqlite3_stmt *s);
void sw_sql_bind_text_or_null(sqlite3_stmt *s, int i, const char *text);
void sw_sql_bind_u64(sqlite3_stmt *s, int i, uint64_t v);
const char *sw_sql_col_text(sqlite3_stmt *s, int i);
uint64_t sw_sql_col_u64(sqlite3_stmt *s, int i);
/* SW_ERR_INVALID (err set) on a read-only handle. */
enum sw_status sw_store_need_writable(struct sw_store *st, struct sw_err *err);
/* A multi-statement write joins the open batch, or runs in a transaction
 * of its own (*own): sw_store_auto_end then commits it, or rolls it back
 * when status is not SW_OK; returns the final status. */
enum sw_status sw_store_auto_begin(struct sw_store *st, bool *own, struct sw_err *err);
enum sw_status sw_store_auto_end(struct sw_store *st, bool own, enum sw_status status,
                                 struct sw_err *err);

/* Explanation texts (store_explain.c): sw_explanation_json's compact text
 * of ex (malloc'd; NULL when out of memory), from a cache of shapes;
 * forget empties the cache (the policies it points into may change). */
struct sw_explanation;
char *sw_store_explanation_text(struct sw_store *st, const struct sw_explanation *ex);
void sw_store_explanations_forget(struct sw_store *st);

/* Records SQLite's last error on st->db as a one-line error about the
 * database file: what failed (doing) and what to do about it. Returns
 * the status. */
enum sw_status sw_store_fail(struct sw_store *st, struct sw_err *err, const char *doing);

/* Runs one SQL text without values (BEGIN, COMMIT, ...). */
enum sw_status sw_store_exec(struct sw_store *st, const char *sql, const char *doing,
                             struct sw_err *err);

/* The wall clock in nanoseconds. */
uint64_t sw_store_now_ns(void);

#endif
