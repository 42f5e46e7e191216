/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "proto/varint.h"

#include <errno.h>
#include <string.h>

int ur_get_u8(struct ur_rbuf *r, uint8_t *v)
{
	if (r->pos >= r->len)
		return -ENODATA;
	*v = r->p[r->pos++];
	return 0;
}

int ur_get_bytes(struct ur_rbuf *r, void *dst, size_t n)
{
	if (ur_rbuf_left(r) < n)
		return -ENODATA;
	if (n)
		memcpy(dst, r->p + r->pos, n);
	r->pos += n;
	return 0;
}

int ur_get_int32(struct ur_rbuf *r, int32_t *v)
{
	if (ur_rbuf_left(r) < 4)
		return -ENODATA;
	*v = (int32_t)ur_le32(r->p + r->pos);
	r->pos += 4;
	return 0;
}

/* How many extra bytes a lead byte announces: its run of leading one bits.
 * rsync's table stops counting at six, so 0xFE and 0xFF both mean six. */
static int lead_extra(uint8_t lead)
{
	int n = 0;

	while (n < 6 && (lead & (0x80u >> n)))
		n++;
	return n;
}

/*
 * The shared shape of varint (width 4, min 1) and varlong (width 8, min
 * 2..8): the first byte holds `extra` one bits and then the top bits of the
 * value; the next min-1 bytes are the low bytes; then `extra` more bytes
 * continue upward. Bits that land past `width` bytes are dropped, as rsync
 * drops them.
 */
static int get_var(struct ur_rbuf *r, int width, int min, uint64_t *out, struct ur_err *err)
{
	uint8_t b[9] = {0};
	size_t left = ur_rbuf_left(r);
	const uint8_t *s = r->p + r->pos;
	int extra;

	if (left < (size_t)min)
		return -ENODATA;
	extra = lead_extra(s[0]);
	if (min + extra > width + 1)
		return ur_err_stream(err, EBADMSG, "overflow in %s (lead byte 0x%02x)",
				     width == 4 ? "varint" : "varlong", s[0]);
	if (left < (size_t)(min + extra))
		return -ENODATA;
	memcpy(b, s + 1, (size_t)(min - 1 + extra));
	b[min - 1 + extra] = s[0] & (uint8_t)((1u << (8 - extra)) - 1);
	*out = 0;
	for (int i = width - 1; i >= 0; i--)
		*out = *out << 8 | b[i];
	r->pos += (size_t)(min + extra);
	return 0;
}

int ur_get_varint(struct ur_rbuf *r, int32_t *v, struct ur_err *err)
{
	uint64_t u;
	int rc = get_var(r, 4, 1, &u, err);

	if (rc == 0)
		*v = (int32_t)(uint32_t)u;
	return rc;
}

int ur_get_varlong(struct ur_rbuf *r, int min_bytes, int64_t *v, struct ur_err *err)
{
	uint64_t u;
	int rc;

	if (min_bytes < 3 || min_bytes > 8)
		return -EINVAL;
	rc = get_var(r, 8, min_bytes, &u, err);
	if (rc == 0)
		*v = (int64_t)u;
	return rc;
}

int ur_get_vstring(struct ur_rbuf *r, char *buf, size_t cap, size_t *len, struct ur_err *err)
{
	size_t start = r->pos, n;
	uint8_t b;

	if (ur_get_u8(r, &b) < 0)
		return -ENODATA;
	n = b;
	if (b & 0x80) {
		uint8_t lo;

		if (ur_get_u8(r, &lo) < 0) {
			r->pos = start;
			return -ENODATA;
		}
		n = (size_t)(b & 0x7f) << 8 | lo;
	}
	if (n >= cap) {
		r->pos = start;
		return ur_err_stream(err, EPROTO, "over-long vstring received (%zu > %zu)", n,
				     cap ? cap - 1 : 0);
	}
	if (ur_get_bytes(r, buf, n) < 0) {
		r->pos = start;
		return -ENODATA;
	}
	buf[n] = '\0';
	*len = n;
	return 0;
}

int ur_put_bytes(struct ur_wbuf *w, const void *src, size_t n)
{
	if (w->cap - w->len < n)
		return -ENOBUFS;
	if (n)
		memcpy(w->p + w->len, src, n);
	w->len += n;
	return 0;
}

int ur_put_u8(struct ur_wbuf *w, uint8_t v)
{
	return ur_put_bytes(w, &v, 1);
}

int ur_put_int32(struct ur_wbuf *w, int32_t v)
{
	uint8_t b[4];

	ur_put_le32(b, (uint32_t)v);
	return ur_put_bytes(w, b, 4);
}

/* Build the encoding of the low `width` bytes of v into out; returns its length. */
static size_t enc_var(uint8_t out[9], uint64_t v, int width, int min)
{
	uint8_t b[9];
	int top = width; /* index (1-based) of the highest byte kept */
	uint8_t room;

	for (int i = 0; i < width; i++)
		b[i + 1] = (uint8_t)(v >> (8 * i));
	while (top > min && b[top] == 0)
		top--;
	/* With n = top - min extra bytes, the lead byte has n one bits, a zero,
	 * and 7 - n bits of room for the value's highest byte. */
	room = (uint8_t)(1u << (7 - (top - min)));
	if (b[top] >= room) {
		/* The highest byte does not fit beside the marker: send it whole
		 * and let the lead byte carry only the (longer) marker. */
		b[0] = (uint8_t) ~(room - 1);
		top++;
	} else if (top > min) {
		b[0] = (uint8_t)(b[top] | (uint8_t) ~(room * 2 - 1));
	} else {
		b[0] = b[top];
	}
	memcpy(out, b, (size_t)top);
	return (size_t)top;
}

size_t ur_varint_size(int32_t v)
{
	uint8_t tmp[9];

	return enc_var(tmp, (uint32_t)v, 4, 1);
}

size_t ur_varlong_size(int64_t v, int min_bytes)
{
	uint8_t tmp[9];

	return enc_var(tmp, (uint64_t)v, 8, min_bytes);
}

int ur_put_varint(struct ur_wbuf *w, int32_t v)
{
	uint8_t tmp[9];
	size_t n = enc_var(tmp, (uint32_t)v, 4, 1);

	return ur_put_bytes(w, tmp, n);
}

int ur_put_varlong(struct ur_wbuf *w, int64_t v, int min_bytes)
{
	uint8_t tmp[9];
	size_t n;

	if (min_bytes < 3 || min_bytes > 8)
		return -EINVAL;
	n = enc_var(tmp, (uint64_t)v, 8, min_bytes);
	return ur_put_bytes(w, tmp, n);
}

int ur_put_vstring(struct ur_wbuf *w, const char *s, size_t len)
{
	uint8_t hdr[2];
	size_t h = 0;

	if (len > 0x7FFF)
		return -EINVAL;
	if (len > 0x7F)
		hdr[h++] = (uint8_t)(len >> 8 | 0x80);
	hdr[h++] = (uint8_t)len;
	if (w->cap - w->len < h + len)
		return -ENOBUFS;
	ur_put_bytes(w, hdr, h);
	return ur_put_bytes(w, s, len);
}
