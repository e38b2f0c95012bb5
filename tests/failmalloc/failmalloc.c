/*
 * failmalloc.c - an LD_PRELOAD shim that makes one allocation fail, for
 * the allocation-failure test (tests/integration/alloc_failure.sh).
 *
 *   FAILMALLOC_NTH=N  the Nth call (from 1) to malloc, calloc or realloc
 *                     returns NULL with errno ENOMEM; later calls succeed
 *   FAILMALLOC_COUNT=FILE  at exit, the number of calls is written there
 *
 * Calls from every thread are counted in one atomic counter. The real
 * functions are glibc's __libc_* entry points,
 * so no dlsym recursion is involved.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);

static atomic_ulong calls;
static unsigned long nth;
static const char *count_file;

static unsigned long parse_ul(const char *s)
{
	unsigned long v = 0;

	for (; s != NULL && *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (unsigned long)(*s - '0');
	return v;
}

__attribute__((constructor)) static void failmalloc_init(void)
{
	nth = parse_ul(getenv("FAILMALLOC_NTH"));
	count_file = getenv("FAILMALLOC_COUNT");
}

__attribute__((destructor)) static void failmalloc_fini(void)
{
	FILE *f;

	if (count_file == NULL || (f = fopen(count_file, "w")) == NULL)
		return;
	fprintf(f, "%lu\n", (unsigned long)atomic_load(&calls));
	fclose(f);
}

static int should_fail(void)
{
	unsigned long n = atomic_fetch_add(&calls, 1) + 1;

	if (nth != 0 && n == nth) {
		errno = ENOMEM;
		return 1;
	}
	return 0;
}

void *malloc(size_t size)
{
	return should_fail() ? NULL : __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	return should_fail() ? NULL : __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	return should_fail() ? NULL : __libc_realloc(p, size);
}
