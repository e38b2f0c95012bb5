/*
 * grow.h - growable arrays: the one place where capacity doubles.
 */
#ifndef SEGWATCH_GROW_H
#define SEGWATCH_GROW_H

#include <stdbool.h>
#include <stddef.h>

/* Makes room for at least `need` elements of `elem` bytes in *arr, whose
 * capacity is *cap elements: doubling from 16, realloc'ing *arr. Returns
 * false (leaving *arr and *cap as they were) when the size would overflow
 * or memory runs out. */
bool sw_grow(void **arr, size_t *cap, size_t need, size_t elem);

#endif
