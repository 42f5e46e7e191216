/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer target for what follows a file index (src/proto/item.c,
 * sumhead.c, token.c): item flags, and for a transfer a sum head, its
 * block sums and a token stream up to the end token. Byte 0 sets the
 * chunk size the token reader is fed in (and bit 0x10 an 8-byte digest,
 * so at most 8 strong-sum bytes per block). Literal pieces must lie inside
 * the input and add up whatever the chunking.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "proto/item.h"
#include "proto/sumhead.h"
#include "proto/token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ur_wire_item it;
	struct ur_sum_head h;
	struct ur_token_reader tr;
	struct ur_token tok;
	struct ur_rbuf r;
	struct ur_err err;
	size_t step, literal = 0;
	int rc;

	if (size < 1)
		return 0;
	step = 1 + data[0] % 16;
	/* 0x10: the negotiated checksum's digest is 8 bytes (xxh64, xxh3) */
	int max_s2 = (data[0] & 0x10) ? 8 : 16;
	ur_rbuf_init(&r, data + 1, size - 1);
	if (ur_item_decode(&r, &it, &err) < 0)
		return 0;
	if ((it.iflags & UR_ITEM_XNAME_FOLLOWS) && it.xname_len > UR_XNAME_MAX)
		abort();
	if (!(it.iflags & UR_ITEM_TRANSFER))
		return 0;
	if (ur_sum_head_decode(&r, max_s2, &h, &err) < 0)
		return 0;
	if (h.count < 0 || h.blength < 0 || h.blength > UR_MAX_BLOCK_SIZE || h.remainder < 0 ||
	    h.remainder > h.blength || (h.count && !h.blength) || h.s2length < 0 ||
	    h.s2length > max_s2)
		abort();
	/* Block sums, as far as the input goes. */
	for (int32_t i = 0; i < h.count && i < 1000; i++) {
		uint32_t rolling;
		uint8_t strong[16];

		if (ur_sum_block_get(&r, h.s2length, &rolling, strong) < 0)
			break;
	}
	ur_token_reader_init(&tr, h.count);
	size_t full = r.len;

	r.len = r.pos;
	for (;;) {
		size_t before = r.pos;

		rc = ur_token_read(&tr, &r, &tok, &err);
		if (rc == -ENODATA) {
			if (r.pos != before)
				abort();
			if (r.len == full)
				break;
			r.len = r.len + step < full ? r.len + step : full;
			continue;
		}
		if (rc < 0) {
			if (rc != -EPROTO || r.pos != before)
				abort();
			break;
		}
		if (tok.kind == UR_TOKEN_END)
			break;
		if (tok.kind == UR_TOKEN_MATCH && (tok.block < 0 || tok.block >= h.count))
			abort();
		if (tok.kind == UR_TOKEN_LITERAL) {
			if (tok.data < r.p || tok.data + tok.len > r.p + r.len)
				abort();
			literal += tok.len;
		}
	}
	(void)literal;
	return 0;
}
