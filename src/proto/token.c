/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "proto/token.h"

#include <errno.h>

void ur_token_reader_init(struct ur_token_reader *t, int32_t nblocks)
{
	t->residue = 0;
	t->nblocks = nblocks;
}

int ur_token_read(struct ur_token_reader *t, struct ur_rbuf *r, struct ur_token *tok,
		  struct ur_err *err)
{
	size_t start = r->pos, avail;
	int32_t v;

	if (t->residue == 0) {
		if (ur_get_int32(r, &v) < 0)
			return -ENODATA;
		if (v == 0) {
			tok->kind = UR_TOKEN_END;
			return 0;
		}
		if (v < 0) {
			/* -(i + 1), computed without overflowing at INT32_MIN */
			int64_t block = -(int64_t)v - 1;

			if (block >= t->nblocks) {
				r->pos = start;
				return ur_err_stream(err, EPROTO,
						     "invalid block index %lld (of %ld)",
						     (long long)block, (long)t->nblocks);
			}
			tok->kind = UR_TOKEN_MATCH;
			tok->block = (int32_t)block;
			return 0;
		}
		t->residue = v;
	}
	avail = ur_rbuf_left(r);
	if (avail == 0 && r->pos == start)
		return -ENODATA;
	/* With only the run's header here, this is an empty piece: the header
	 * is remembered in residue and the bytes come with the next call. */
	tok->kind = UR_TOKEN_LITERAL;
	tok->data = r->p + r->pos;
	tok->len = avail < (size_t)t->residue ? avail : (size_t)t->residue;
	r->pos += tok->len;
	t->residue -= (int32_t)tok->len;
	return 0;
}

int ur_token_put_literal(struct ur_wbuf *w, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t start = w->len;

	while (len) {
		size_t n = len < UR_TOKEN_CHUNK ? len : UR_TOKEN_CHUNK;

		if (ur_put_int32(w, (int32_t)n) < 0 || ur_put_bytes(w, p, n) < 0) {
			w->len = start;
			return -ENOBUFS;
		}
		p += n;
		len -= n;
	}
	return 0;
}

int ur_token_put_match(struct ur_wbuf *w, int32_t block)
{
	if (block < 0)
		return -EINVAL;
	return ur_put_int32(w, -(block + 1));
}

int ur_token_put_end(struct ur_wbuf *w)
{
	return ur_put_int32(w, 0);
}

int ur_sum_block_put(struct ur_wbuf *w, uint32_t rolling, const uint8_t *strong, int s2length)
{
	size_t start = w->len;

	if (s2length < 0 || s2length > 64)
		return -EINVAL;
	if (ur_put_int32(w, (int32_t)rolling) < 0 ||
	    ur_put_bytes(w, strong, (size_t)s2length) < 0) {
		w->len = start;
		return -ENOBUFS;
	}
	return 0;
}

int ur_sum_block_get(struct ur_rbuf *r, int s2length, uint32_t *rolling, uint8_t *strong)
{
	int32_t v;

	if (s2length < 0 || s2length > 64)
		return -EINVAL;
	if (ur_rbuf_left(r) < 4 + (size_t)s2length)
		return -ENODATA;
	ur_get_int32(r, &v);
	*rolling = (uint32_t)v;
	ur_get_bytes(r, strong, (size_t)s2length);
	return 0;
}
