/*
 * sched.h - the scheduling of segwatch's own threads: lowering one
 * thread's priority (a replay of capture files yields to the web server
 * that serves the dashboard), and naming threads for top -H and ps -L.
 *
 * Linux keeps a nice value per thread (setpriority(2)); raising
 * it needs no privilege, so it works after privileges are dropped.
 */
#ifndef SEGWATCH_SCHED_H
#define SEGWATCH_SCHED_H

#include "segwatch/error.h"

/* Adds increment (> 0) to the calling thread's nice value (at most 19).
 * SW_ERR_IO with errno's reason when the kernel refuses. */
enum sw_status sw_sched_lower_thread(int increment, struct sw_err *err) SW_WUR;

/* Names the calling thread (at most 15 characters are kept); best effort. */
void sw_sched_name_thread(const char *name);

#endif
