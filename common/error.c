/*
 * error.c - filling and formatting struct sw_err (see include/segwatch/error.h).
 */
#include "segwatch/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum sw_status sw_err_set(struct sw_err *err, enum sw_status status,
                          const char *file, unsigned line, unsigned column,
                          const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return status;
	err->status = status;
	snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
	err->line = line;
	err->column = column;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return status;
}

void sw_err_clear(struct sw_err *err)
{
	if (err != NULL)
		memset(err, 0, sizeof(*err));
}

const char *sw_err_format(const struct sw_err *err, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	if (err->file[0] == '\0')
		snprintf(buf, len, "%s", err->msg);
	else if (err->line == 0)
		snprintf(buf, len, "%s: %s", err->file, err->msg);
	else if (err->column == 0)
		snprintf(buf, len, "%s:%u: %s", err->file, err->line, err->msg);
	else
		snprintf(buf, len, "%s:%u:%u: %s", err->file, err->line,
		         err->column, err->msg);
	return buf;
}

const char *sw_status_str(enum sw_status status)
{
	switch (status) {
	case SW_OK: return "ok";
	case SW_ERR_IO: return "I/O error";
	case SW_ERR_PARSE: return "parse error";
	case SW_ERR_NOMEM: return "out of memory";
	case SW_ERR_INVALID: return "invalid value";
	case SW_ERR_PERM: return "permission denied";
	case SW_ERR_NOTFOUND: return "not found";
	case SW_ERR_LIMIT: return "limit reached";
	case SW_ERR_UNSUPPORTED: return "unsupported";
	case SW_ERR_BUSY: return "busy";
	}
	return "unknown error";
}
