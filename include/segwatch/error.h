/*
 * error.h - the one error convention of segwatch.
 *
 * Every fallible function returns an enum sw_status: SW_OK (0) on success,
 * a negative code on failure. Functions that can say more take a
 * struct sw_err * (may be NULL) and fill it with where the problem is
 * (file, line, column when known) and a human sentence that names what was
 * expected and what was found.  Only main() turns an error into an exit.
 */
#ifndef SEGWATCH_ERROR_H
#define SEGWATCH_ERROR_H

#include <stddef.h>

#if defined(__GNUC__)
#define SW_WUR __attribute__((warn_unused_result))
#define SW_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SW_WUR
#define SW_PRINTF(f, a)
#endif

#define SW_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum sw_status {
	SW_OK = 0,
	SW_ERR_IO = -1,       /* a file, socket or device failed */
	SW_ERR_PARSE = -2,    /* input text or bytes are malformed */
	SW_ERR_NOMEM = -3,    /* an allocation failed */
	SW_ERR_INVALID = -4,  /* a value is out of range or inconsistent */
	SW_ERR_PERM = -5,     /* missing privileges */
	SW_ERR_NOTFOUND = -6, /* a named thing does not exist */
	SW_ERR_LIMIT = -7,    /* a configured bound was reached */
	SW_ERR_UNSUPPORTED = -8,
	SW_ERR_BUSY = -9      /* already in use (e.g. NFLOG group bound) */
};

#define SW_ERR_MSG_MAX 512
#define SW_ERR_FILE_MAX 256

struct sw_err {
	enum sw_status status;
	char file[SW_ERR_FILE_MAX]; /* "" when the error is not about a file */
	unsigned line;              /* 1-based; 0 when unknown */
	unsigned column;            /* 1-based; 0 when unknown */
	char msg[SW_ERR_MSG_MAX];
};

/* Records an error in *err (ignored when err is NULL) and returns status,
 * so callers can write `return sw_err_set(err, SW_ERR_PARSE, ...)`.
 * file may be NULL. */
enum sw_status sw_err_set(struct sw_err *err, enum sw_status status,
                          const char *file, unsigned line, unsigned column,
                          const char *fmt, ...) SW_PRINTF(6, 7);

/* Clears *err to "no error". err may be NULL. */
void sw_err_clear(struct sw_err *err);

/* Formats the error as "file:line:col: message" (omitting unknown parts)
 * into buf; returns buf. */
const char *sw_err_format(const struct sw_err *err, char *buf, size_t len);

/* Receives non-fatal findings (an unknown field, a deprecated form) while
 * a loader goes on. ctx is the caller's; w is valid only during the call. */
typedef void (*sw_warn_fn)(void *ctx, const struct sw_err *w);

/* A static English name for a status code ("parse error", ...). */
const char *sw_status_str(enum sw_status status);

#endif
