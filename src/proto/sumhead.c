/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "proto/sumhead.h"

#include <errno.h>

/* Which field is wrong, or NULL; the same rules rsync 3.5.0 applies. */
static const char *bad_field(const struct ur_sum_head *h, int max_s2length)
{
	if (h->count < 0)
		return "checksum count";
	if (h->blength < 0 || h->blength > UR_MAX_BLOCK_SIZE)
		return "block length";
	if (h->count && h->blength == 0)
		return "zero block length";
	if (h->s2length < 0 || h->s2length > max_s2length)
		return "checksum length";
	if (h->remainder < 0 || h->remainder > h->blength)
		return "remainder length";
	return NULL;
}

int ur_sum_head_encode(const struct ur_sum_head *h, int max_s2length, struct ur_wbuf *w)
{
	if (bad_field(h, max_s2length))
		return -EINVAL;
	if (w->cap - w->len < 16)
		return -ENOBUFS;
	ur_put_int32(w, h->count);
	ur_put_int32(w, h->blength);
	ur_put_int32(w, h->s2length);
	ur_put_int32(w, h->remainder);
	return 0;
}

int ur_sum_head_decode(struct ur_rbuf *r, int max_s2length, struct ur_sum_head *h,
		       struct ur_err *err)
{
	struct ur_sum_head t;
	const char *bad;

	if (ur_rbuf_left(r) < 16)
		return -ENODATA;
	ur_get_int32(r, &t.count);
	ur_get_int32(r, &t.blength);
	ur_get_int32(r, &t.s2length);
	ur_get_int32(r, &t.remainder);
	bad = bad_field(&t, max_s2length);
	if (bad) {
		r->pos -= 16;
		return ur_err_stream(
		    err, EPROTO,
		    "Invalid %s in sum head (count %ld, blength %ld, s2length %ld, "
		    "remainder %ld)",
		    bad, (long)t.count, (long)t.blength, (long)t.s2length, (long)t.remainder);
	}
	*h = t;
	return 0;
}
