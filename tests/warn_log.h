/*
 * warn_log.h - test helper: a sw_warn_fn that collects every warning,
 * formatted "file:line:col: message", one per line, for assertions.
 */
#ifndef SEGWATCH_TESTS_WARN_LOG_H
#define SEGWATCH_TESTS_WARN_LOG_H

#include <stdio.h>
#include <string.h>

#include "segwatch/error.h"

struct warn_log {
	int n;
	char all[8192];
};

static inline void collect(void *ctx, const struct sw_err *w)
{
	struct warn_log *log = ctx;
	char buf[SW_ERR_MSG_MAX + SW_ERR_FILE_MAX + 32];
	size_t o = strlen(log->all);

	log->n++;
	snprintf(log->all + o, sizeof(log->all) - o, "%s\n", sw_err_format(w, buf, sizeof(buf)));
}

#endif
