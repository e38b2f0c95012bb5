/*
 * capture.h - the collector's loop: frames from every source are decoded
 * and accounted in one flow table; undecodable frames are counted by
 * reason. Capture files are read to their end one after the other; live
 * sources are polled together, and while they are quiet the flow table's
 * clock follows the wall clock so idle flows still end.
 */
#ifndef SEGWATCH_CAPTURE_H
#define SEGWATCH_CAPTURE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "segwatch/decode.h"
#include "segwatch/error.h"
#include "segwatch/flowtable.h"
#include "segwatch/source.h"

struct sw_capture_stats {
	uint64_t frames;                         /* frames read from all sources */
	uint64_t decoded;                        /* frames that became packets */
	uint64_t dropped[SW_DROP_REASON_COUNT];  /* by reason; [SW_DROP_NONE] unused */
	uint64_t source_errors;                  /* sources that stopped on an error */
};

struct sw_capture;

/* Borrows ft, which must outlive the capture. */
struct sw_capture *sw_capture_new(struct sw_flowtable *ft, struct sw_err *err) SW_WUR;
/* Closes every source. NULL is a no-op. */
void sw_capture_free(struct sw_capture *cap);

/* Takes src (closed by sw_capture_free, also on failure). */
enum sw_status sw_capture_add_source(struct sw_capture *cap, struct sw_source *src) SW_WUR;

/* Runs until every file has ended and there is no live source, or until
 * *stop becomes non-zero. A source that fails is reported through warn
 * (ctx warn_ctx) and dropped while the others go on; the run then returns
 * SW_ERR_IO or SW_ERR_PARSE with the first such error in err. Does not
 * flush the flow table. */
enum sw_status sw_capture_run(struct sw_capture *cap, const volatile sig_atomic_t *stop,
                              sw_warn_fn warn, void *warn_ctx, struct sw_err *err);

/* Called by sw_capture_run on its thread after every round of reading:
 * at least every 100 ms while live sources are quiet, and after at most
 * 4096 frames of a busy source. The capture and its flow table may be
 * read (statistics) but not run from it. */
typedef void (*sw_capture_tick_fn)(void *ctx, struct sw_capture *cap);
void sw_capture_set_tick(struct sw_capture *cap, sw_capture_tick_fn fn, void *ctx);

void sw_capture_stats(const struct sw_capture *cap, struct sw_capture_stats *out);
size_t sw_capture_n_sources(const struct sw_capture *cap);
struct sw_source *sw_capture_source(const struct sw_capture *cap, size_t i);

#endif
