/*
 * source_internal.h - the operations table behind struct sw_source; each
 * backend (source_pcap.c, source_nflog.c) fills one.
 */
#ifndef SEGWATCH_SOURCE_INTERNAL_H
#define SEGWATCH_SOURCE_INTERNAL_H

#include "segwatch/source.h"

struct sw_source_ops {
	int (*next)(struct sw_source *src, struct sw_frame *frame, struct sw_err *err);
	void (*stats)(struct sw_source *src, struct sw_source_stats *out);
	void (*close)(struct sw_source *src);
};

#define SW_SOURCE_NAME_MAX 128

struct sw_source {
	const struct sw_source_ops *ops;
	void *priv;
	int fd;
	bool live;
	int dlt;
	uint64_t frames;
	char name[SW_SOURCE_NAME_MAX];
};

/* Allocates a source with ops, priv (taken) and a printf-style name. */
struct sw_source *sw_source_alloc(const struct sw_source_ops *ops, void *priv,
                                  int fd, bool live, const char *fmt, ...) SW_PRINTF(5, 6);

#endif
