/*
 * sched.c - lowering and naming the calling thread (see
 * include/segwatch/sched.h).
 */
#include "segwatch/sched.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The highest nice value Linux allows. */
#define NICE_MAX 19

enum sw_status sw_sched_lower_thread(int increment, struct sw_err *err)
{
	id_t tid = (id_t)syscall(SYS_gettid);
	int now;

	if (increment <= 0)
		return SW_OK;
	errno = 0;
	now = getpriority(PRIO_PROCESS, tid); /* -1 is a valid value: errno tells */
	if (now == -1 && errno != 0)
		return sw_err_set(err, SW_ERR_IO, NULL, 0, 0, "cannot read the thread's priority: %s",
		                  strerror(errno));
	if (now >= NICE_MAX)
		return SW_OK;
	now = now + increment > NICE_MAX ? NICE_MAX : now + increment;
	if (setpriority(PRIO_PROCESS, tid, now) != 0)
		return sw_err_set(err, SW_ERR_IO, NULL, 0, 0, "cannot lower the thread's priority: %s",
		                  strerror(errno));
	return SW_OK;
}

void sw_sched_name_thread(const char *name)
{
	char shortened[16];

	snprintf(shortened, sizeof(shortened), "%s", name);
	(void)pthread_setname_np(pthread_self(), shortened);
}
