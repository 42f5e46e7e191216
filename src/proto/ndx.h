/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_PROTO_NDX_H
#define UR_PROTO_NDX_H

/*
 * File-list indices at protocol 30 and later: each is sent as a difference
 * from the previous index of the same sign, so a run of files costs a byte
 * each. Each direction of a connection keeps its own state, and the
 * encoder and the decoder of one direction must see the same sequence.
 */

#include <stdint.h>

#include "proto/varint.h"

#define UR_NDX_DONE	 (-1)
#define UR_NDX_FLIST_EOF (-2)
#define UR_NDX_DEL_STATS (-3)
/* Incremental-recursion list number n is announced as index -101 - n. */
#define UR_NDX_FLIST_OFFSET (-101)

struct ur_ndx_state {
	int32_t prev_pos; /* last non-negative index, starts at -1 */
	int32_t prev_neg; /* last negative index, negated; starts at 1 */
};

void ur_ndx_init(struct ur_ndx_state *s);

/* Append ndx. NDX_DONE is a lone zero byte and leaves the state alone.
 * Returns 0, -ENOBUFS, or -EINVAL for INT32_MIN (which has no encoding). */
int ur_ndx_encode(struct ur_ndx_state *s, int32_t ndx, struct ur_wbuf *w);

/* Read one index: 0, -ENODATA (nothing consumed, state unchanged), or
 * -EPROTO for an index that does not fit in an int32. */
int ur_ndx_decode(struct ur_ndx_state *s, struct ur_rbuf *r, int32_t *ndx, struct ur_err *err);

#endif
