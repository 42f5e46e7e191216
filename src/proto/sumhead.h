/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_PROTO_SUMHEAD_H
#define UR_PROTO_SUMHEAD_H

/*
 * The sum head that precedes a file's block signatures (generator to
 * sender) and its delta (sender to receiver): four little-endian int32s,
 * block count, block length, strong-sum length per block, and the length
 * of the last, short block.
 */

#include <stdint.h>

#include "proto/varint.h"

/* The largest block rsync 3.5.0 accepts at protocol 30+. */
#define UR_MAX_BLOCK_SIZE (1 << 17)

struct ur_sum_head {
	int32_t count;	   /* number of blocks */
	int32_t blength;   /* block length */
	int32_t s2length;  /* bytes of strong sum sent per block */
	int32_t remainder; /* length of the last block, 0 if blength divides */
};

/* 0, -ENOBUFS, or -EINVAL for a head the decoder would refuse. */
int ur_sum_head_encode(const struct ur_sum_head *h, int max_s2length, struct ur_wbuf *w);

/* 0, -ENODATA, or -EPROTO when a field is out of range: count < 0, blength
 * outside 0..UR_MAX_BLOCK_SIZE (or 0 with blocks), s2length outside
 * 0..max_s2length (the negotiated checksum's length), remainder outside
 * 0..blength. */
int ur_sum_head_decode(struct ur_rbuf *r, int max_s2length, struct ur_sum_head *h,
		       struct ur_err *err);

#endif
