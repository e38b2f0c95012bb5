/*
 * textparse.h - the one place where text becomes numbers.
 *
 * No sscanf, atoi or strtol elsewhere: command-line options, NFLOG
 * prefixes, port ranges, durations and query parameters all go through
 * these, which reject trailing garbage, signs, overflow and empty input.
 * Every function borrows its input and writes *out only on SW_OK.
 */
#ifndef SEGWATCH_TEXTPARSE_H
#define SEGWATCH_TEXTPARSE_H

#include <stddef.h>
#include <stdint.h>

#include "segwatch/error.h"

/* Decimal digits only, value within [min, max]. SW_ERR_PARSE when not a
 * number, SW_ERR_INVALID when out of range. */
enum sw_status sw_parse_u64(const char *text, size_t len, uint64_t min,
                            uint64_t max, uint64_t *out) SW_WUR;

/* A duration: a number with an optional unit ms, s, m, h or d (default s),
 * e.g. "30", "500ms", "7d". Result in nanoseconds. */
enum sw_status sw_parse_duration(const char *text, uint64_t *out_ns) SW_WUR;

/* A byte size with an optional unit k, M, G (powers of 1024), e.g. "64M". */
enum sw_status sw_parse_size(const char *text, uint64_t *out) SW_WUR;

/* A port "80" or an inclusive range "8000-8080", each within 0..65535,
 * low <= high. */
enum sw_status sw_parse_port_range(const char *text, uint16_t *lo,
                                   uint16_t *hi) SW_WUR;

/* Splits text at the first occurrence of sep: *head_len gets the length of
 * the part before it, and the return value points past the separator, or
 * is NULL when sep does not occur (then *head_len is strlen(text)). */
const char *sw_split(const char *text, char sep, size_t *head_len);

#endif
