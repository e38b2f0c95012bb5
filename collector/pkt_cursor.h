/*
 * pkt_cursor.h - the one bounds-checked reader of packet bytes.
 *
 * A cursor is a window {data, len} over captured bytes and a read
 * position. Every reader checks that the bytes are there, returns false
 * when they are not (leaving the cursor and *out untouched) and advances
 * the position otherwise. Dissectors never index the buffer themselves.
 *
 * Everything is static inline: with a sub-cursor of constant length the
 * compiler folds the checks of fixed-size header fields away.
 * A cursor borrows its bytes; it owns nothing and needs no cleanup.
 */
#ifndef SEGWATCH_PKT_CURSOR_H
#define SEGWATCH_PKT_CURSOR_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct pkt_cursor {
	const uint8_t *data; /* first byte of the window (borrowed) */
	uint32_t len;        /* bytes in the window */
	uint32_t pos;        /* next byte to read, 0..len */
};

/* A window over len bytes at data. data may be NULL only when len is 0
 * (an empty window then points at a private byte, so that no pointer
 * arithmetic is ever done on NULL). */
static inline void cur_init(struct pkt_cursor *c, const uint8_t *data,
                            uint32_t len)
{
	static const uint8_t empty[1];

	c->data = data != NULL ? data : empty;
	c->len = data != NULL ? len : 0;
	c->pos = 0;
}

/* Bytes not yet read. */
static inline uint32_t cur_left(const struct pkt_cursor *c)
{
	return c->len - c->pos;
}

/* Bytes already read (the offset of the next byte in the window). */
static inline uint32_t cur_offset(const struct pkt_cursor *c)
{
	return c->pos;
}

static inline bool cur_has(const struct pkt_cursor *c, uint32_t n)
{
	return n <= c->len - c->pos;
}

static inline bool cur_skip(struct pkt_cursor *c, uint32_t n)
{
	if (!cur_has(c, n))
		return false;
	c->pos += n;
	return true;
}

static inline bool cur_peek_u8(const struct pkt_cursor *c, uint8_t *out)
{
	if (!cur_has(c, 1))
		return false;
	*out = c->data[c->pos];
	return true;
}

static inline bool cur_u8(struct pkt_cursor *c, uint8_t *out)
{
	if (!cur_peek_u8(c, out))
		return false;
	c->pos++;
	return true;
}

static inline bool cur_u16be(struct pkt_cursor *c, uint16_t *out)
{
	const uint8_t *p;

	if (!cur_has(c, 2))
		return false;
	p = c->data + c->pos;
	*out = (uint16_t)((unsigned)p[0] << 8 | p[1]);
	c->pos += 2;
	return true;
}

static inline bool cur_u32be(struct pkt_cursor *c, uint32_t *out)
{
	const uint8_t *p;

	if (!cur_has(c, 4))
		return false;
	p = c->data + c->pos;
	*out = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
	c->pos += 4;
	return true;
}

/* In the byte order of this host (NFLOG TLV headers, DLT_NULL family). */
static inline bool cur_u16he(struct pkt_cursor *c, uint16_t *out)
{
	if (!cur_has(c, 2))
		return false;
	memcpy(out, c->data + c->pos, 2);
	c->pos += 2;
	return true;
}

/* Points *out at the next n bytes (no copy) and skips them. */
static inline bool cur_bytes(struct pkt_cursor *c, uint32_t n,
                             const uint8_t **out)
{
	if (!cur_has(c, n))
		return false;
	*out = c->data + c->pos;
	c->pos += n;
	return true;
}

/* Makes *sub a cursor over exactly the next n bytes and skips them in c. */
static inline bool cur_sub(struct pkt_cursor *c, uint32_t n,
                           struct pkt_cursor *sub)
{
	if (!cur_has(c, n))
		return false;
	sub->data = c->data + c->pos;
	sub->len = n;
	sub->pos = 0;
	c->pos += n;
	return true;
}

/* Like cur_sub() for at most n bytes: a length field may declare more
 * than the snap length kept. Never fails. */
static inline void cur_sub_upto(struct pkt_cursor *c, uint32_t n,
                                struct pkt_cursor *sub)
{
	uint32_t left = cur_left(c);

	if (n > left)
		n = left;
	sub->data = c->data + c->pos;
	sub->len = n;
	sub->pos = 0;
	c->pos += n;
}

#endif
