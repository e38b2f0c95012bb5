/*
 * source.c - the backend-independent part of struct sw_source: dispatch
 * through the operations table and the common bookkeeping.
 */
#include "source_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

struct sw_source *sw_source_alloc(const struct sw_source_ops *ops, void *priv,
                                  int fd, bool live, const char *fmt, ...)
{
	struct sw_source *src = calloc(1, sizeof(*src));
	va_list ap;

	if (src == NULL)
		return NULL;
	src->ops = ops;
	src->priv = priv;
	src->fd = fd;
	src->live = live;
	va_start(ap, fmt);
	vsnprintf(src->name, sizeof(src->name), fmt, ap);
	va_end(ap);
	return src;
}

int sw_source_next(struct sw_source *src, struct sw_frame *frame, struct sw_err *err)
{
	frame->fw = NULL; /* only NFLOG sources attach firewall metadata */
	int r = src->ops->next(src, frame, err);

	if (r == SW_NEXT_FRAME)
		src->frames++;
	return r;
}

int sw_source_fd(const struct sw_source *src)
{
	return src->fd;
}

int sw_source_dlt(const struct sw_source *src)
{
	return src->dlt;
}

bool sw_source_is_live(const struct sw_source *src)
{
	return src->live;
}

const char *sw_source_name(const struct sw_source *src)
{
	return src->name;
}

void sw_source_stats(struct sw_source *src, struct sw_source_stats *out)
{
	out->frames = src->frames;
	out->kernel_drops = 0;
	out->iface_drops = 0;
	if (src->ops->stats != NULL)
		src->ops->stats(src, out);
}

void sw_source_close(struct sw_source *src)
{
	if (src == NULL)
		return;
	src->ops->close(src);
	free(src);
}
