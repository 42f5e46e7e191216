/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_UTIL_BUF_H
#define UR_UTIL_BUF_H

/*
 * Byte buffers the pure layers read and write (proto/, compress/): a
 * borrowed input with a read position, a borrowed output with a fill
 * level, and little-endian loads and stores.
 */

#include <stddef.h>
#include <stdint.h>

/* Bytes to decode. Borrows p; pos is how far decoding has got. */
struct ur_rbuf {
	const uint8_t *p;
	size_t len;
	size_t pos;
};

/* Room to encode into. Borrows p; len is how much has been written. */
struct ur_wbuf {
	uint8_t *p;
	size_t cap;
	size_t len;
};

static inline void ur_rbuf_init(struct ur_rbuf *r, const void *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->pos = 0;
}

static inline size_t ur_rbuf_left(const struct ur_rbuf *r)
{
	return r->len - r->pos;
}

static inline void ur_wbuf_init(struct ur_wbuf *w, void *p, size_t cap)
{
	w->p = p;
	w->cap = cap;
	w->len = 0;
}

/* Little-endian load/store helpers. */
static inline uint32_t ur_le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static inline void ur_put_le32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}

#endif
