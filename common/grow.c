/*
 * grow.c - growable arrays (see grow.h).
 */
#include "segwatch/grow.h"

#include <stdint.h>
#include <stdlib.h>

bool sw_grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = *cap ? *cap : 16;
	void *p;

	if (need <= *cap)
		return true;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return false;
		ncap *= 2;
	}
	if (elem != 0 && ncap > SIZE_MAX / elem)
		return false;
	p = realloc(*arr, ncap * elem);
	if (p == NULL)
		return false;
	*arr = p;
	*cap = ncap;
	return true;
}
