/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "proto/ndx.h"

#include <errno.h>

void ur_ndx_init(struct ur_ndx_state *s)
{
	s->prev_pos = -1;
	s->prev_neg = 1;
}

int ur_ndx_encode(struct ur_ndx_state *s, int32_t ndx, struct ur_wbuf *w)
{
	uint8_t b[6];
	size_t n = 0;
	int32_t *prev, mag;
	int64_t diff;

	if (ndx == UR_NDX_DONE)
		return ur_put_u8(w, 0);
	if (ndx == INT32_MIN)
		return -EINVAL;
	if (ndx >= 0) {
		prev = &s->prev_pos;
		mag = ndx;
	} else {
		/* Negative indices travel as their magnitude behind 0xFF. */
		b[n++] = 0xFF;
		prev = &s->prev_neg;
		mag = -ndx;
	}
	diff = (int64_t)mag - *prev;
	if (diff > 0 && diff < 0xFE) {
		b[n++] = (uint8_t)diff;
	} else if (diff < 0 || diff > 0x7FFF) {
		/* Absolute form: 0xFE, then the value with bit 31 set moved to
		 * the front, followed by its three low bytes low-first. */
		b[n++] = 0xFE;
		b[n++] = (uint8_t)((uint32_t)mag >> 24 | 0x80);
		b[n++] = (uint8_t)mag;
		b[n++] = (uint8_t)(mag >> 8);
		b[n++] = (uint8_t)(mag >> 16);
	} else {
		/* A difference of 0 or 254..32767: 0xFE and two bytes, high first. */
		b[n++] = 0xFE;
		b[n++] = (uint8_t)(diff >> 8);
		b[n++] = (uint8_t)diff;
	}
	if (ur_put_bytes(w, b, n) < 0)
		return -ENOBUFS;
	*prev = mag;
	return 0;
}

int ur_ndx_decode(struct ur_ndx_state *s, struct ur_rbuf *r, int32_t *ndx, struct ur_err *err)
{
	const uint8_t *p = r->p + r->pos;
	size_t left = ur_rbuf_left(r), used = 1;
	int32_t *prev = &s->prev_pos;
	uint32_t val;
	uint8_t c;

	if (left < 1)
		return -ENODATA;
	c = p[0];
	if (c == 0) {
		r->pos += 1;
		*ndx = UR_NDX_DONE;
		return 0;
	}
	if (c == 0xFF) {
		if (left < 2)
			return -ENODATA;
		prev = &s->prev_neg;
		c = p[1];
		used = 2;
	}
	if (c == 0xFE) {
		if (left < used + 2)
			return -ENODATA;
		if (p[used] & 0x80) {
			if (left < used + 4)
				return -ENODATA;
			val = (uint32_t)(p[used] & 0x7F) << 24 | (uint32_t)p[used + 1] |
			      (uint32_t)p[used + 2] << 8 | (uint32_t)p[used + 3] << 16;
			used += 4;
		} else {
			val = ((uint32_t)p[used] << 8 | p[used + 1]) + (uint32_t)*prev;
			used += 2;
		}
	} else {
		val = c + (uint32_t)*prev;
	}
	/* A relative step past INT32_MAX is a hostile or broken peer. */
	if (val > (uint32_t)INT32_MAX)
		return ur_err_stream(err, EPROTO, "invalid file index: %lu", (unsigned long)val);
	r->pos += used;
	*prev = (int32_t)val;
	*ndx = prev == &s->prev_neg ? -(int32_t)val : (int32_t)val;
	return 0;
}
