/*
 * flowlog.h - writes flow records as JSON Lines or CSV.
 *
 * One record per ended flow, plus update records (active timeout) marked
 * "update": true whose counters are cumulative since the flow started.
 * Field names are the same in both formats (README, "Flow records").
 */
#ifndef SEGWATCH_FLOWLOG_H
#define SEGWATCH_FLOWLOG_H

#include <stdio.h>

#include "segwatch/error.h"
#include "segwatch/flowtable.h"

enum sw_flowlog_format { SW_FLOWLOG_JSONL, SW_FLOWLOG_CSV };

struct sw_flowlog;

/* Borrows out (the caller closes it after sw_flowlog_close). Writes the
 * CSV header at once. */
struct sw_flowlog *sw_flowlog_new(FILE *out, enum sw_flowlog_format fmt,
                                  struct sw_err *err) SW_WUR;

/* Writes one record (ev is SW_FLOW_UPDATE or SW_FLOW_END). */
void sw_flowlog_write(struct sw_flowlog *fl, enum sw_flow_event ev, enum sw_flow_end why,
                      const struct sw_flow *f);

/* Records written so far. */
uint64_t sw_flowlog_count(const struct sw_flowlog *fl);

/* Flushes; returns SW_ERR_IO (err set) when any write failed (disk full,
 * closed pipe), so no loss goes unnoticed. Frees fl. */
enum sw_status sw_flowlog_free(struct sw_flowlog *fl, struct sw_err *err);

/* Room for sw_format_time()'s output, including the NUL. */
#define SW_TIME_STRLEN 48

/* Formats ns since the epoch as RFC 3339 UTC with nanoseconds. */
const char *sw_format_time(uint64_t ns, char *buf, size_t len);

#endif
