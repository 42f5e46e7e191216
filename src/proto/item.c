/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "proto/item.h"

#include <errno.h>

int ur_item_encode(const struct ur_wire_item *it, struct ur_wbuf *w)
{
	size_t start = w->len;
	int rc = 0;

	if ((it->iflags & UR_ITEM_XNAME_FOLLOWS) && it->xname_len > UR_XNAME_MAX)
		return -EINVAL;
	rc |= ur_put_u8(w, (uint8_t)it->iflags);
	rc |= ur_put_u8(w, (uint8_t)(it->iflags >> 8));
	if (it->iflags & UR_ITEM_BASIS_TYPE_FOLLOWS)
		rc |= ur_put_u8(w, it->basis_type);
	if (it->iflags & UR_ITEM_XNAME_FOLLOWS)
		rc |= ur_put_vstring(w, it->xname, it->xname_len);
	if (rc) {
		w->len = start;
		return -ENOBUFS;
	}
	return 0;
}

int ur_item_decode(struct ur_rbuf *r, struct ur_wire_item *it, struct ur_err *err)
{
	size_t start = r->pos, len = 0;
	uint8_t lo, hi, bt = UR_FNAMECMP_FNAME;
	int rc;

	if ((rc = ur_get_u8(r, &lo)) < 0 || (rc = ur_get_u8(r, &hi)) < 0)
		goto fail;
	it->iflags = (uint16_t)(lo | hi << 8);
	if ((it->iflags & UR_ITEM_BASIS_TYPE_FOLLOWS) && (rc = ur_get_u8(r, &bt)) < 0)
		goto fail;
	it->basis_type = bt;
	it->xname[0] = '\0';
	if ((it->iflags & UR_ITEM_XNAME_FOLLOWS) &&
	    (rc = ur_get_vstring(r, it->xname, sizeof(it->xname), &len, err)) < 0)
		goto fail;
	it->xname_len = (uint16_t)len;
	return 0;
fail:
	r->pos = start;
	return rc;
}
