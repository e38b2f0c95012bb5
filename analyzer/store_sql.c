/*
 * store_sql.c - small SQLite helpers every store file uses (declared in
 * store_int.h): stepping and resetting statements, binding and reading
 * unsigned 64-bit values and optional text, and writes that join the open
 * batch or run in a transaction of their own.
 */
#include "store_int.h"

void sw_sql_reset(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

int sw_sql_step_done(sqlite3_stmt *s)
{
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		;
	return rc;
}

void sw_sql_bind_text_or_null(sqlite3_stmt *s, int i, const char *text)
{
	if (text != NULL)
		sqlite3_bind_text(s, i, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

void sw_sql_bind_u64(sqlite3_stmt *s, int i, uint64_t v)
{
	sqlite3_bind_int64(s, i, (sqlite3_int64)v);
}

const char *sw_sql_col_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

uint64_t sw_sql_col_u64(sqlite3_stmt *s, int i)
{
	return (uint64_t)sqlite3_column_int64(s, i);
}

enum sw_status sw_store_need_writable(struct sw_store *st, struct sw_err *err)
{
	if (st->read_only)
		return sw_err_set(err, SW_ERR_INVALID, st->path, 0, 0,
		                  "the database was opened read-only");
	return SW_OK;
}

enum sw_status sw_store_auto_begin(struct sw_store *st, bool *own, struct sw_err *err)
{
	*own = !st->in_batch;
	return *own ? sw_store_begin_batch(st, err) : SW_OK;
}

enum sw_status sw_store_auto_end(struct sw_store *st, bool own, enum sw_status status,
                                 struct sw_err *err)
{
	if (!own)
		return status;
	if (status != SW_OK) {
		sw_store_rollback_batch(st);
		return status;
	}
	return sw_store_commit_batch(st, err);
}
