/*
 * hash.h - the string hash of segwatch's in-memory tables (open
 * addressing): 64-bit FNV-1a over two strings, kept apart by a byte no
 * string holds, then folded so that the low bits (the slot) depend on all
 * of them.
 */
#ifndef SEGWATCH_HASH_H
#define SEGWATCH_HASH_H

#include <stdint.h>

#define SW_HASH_SEED 1469598103934665603ull

/* a and b after seed (SW_HASH_SEED, or it mixed with the key's numbers). */
static inline uint64_t sw_hash_two_strings(uint64_t seed, const char *a, const char *b)
{
	uint64_t h = seed;

	for (const char *p = a; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	h = (h ^ 0xff) * 1099511628211ull;
	for (const char *p = b; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	return h ^ (h >> 29);
}

#endif
