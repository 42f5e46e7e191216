/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_PROTO_ITEM_H
#define UR_PROTO_ITEM_H

/*
 * What follows a file index in the generator's requests and the sender's
 * replies: 16 bits of item flags (the itemize bits), then a basis type
 * byte and an extra name when the flags say so.
 */

#include <stdint.h>

#include "proto/varint.h"

#define UR_ITEM_REPORT_ATIME	   (1u << 0)
#define UR_ITEM_REPORT_CHANGE	   (1u << 1)
#define UR_ITEM_REPORT_SIZE	   (1u << 2) /* regular files */
#define UR_ITEM_REPORT_TIMEFAIL	   (1u << 2) /* symlinks */
#define UR_ITEM_REPORT_TIME	   (1u << 3)
#define UR_ITEM_REPORT_PERMS	   (1u << 4)
#define UR_ITEM_REPORT_OWNER	   (1u << 5)
#define UR_ITEM_REPORT_GROUP	   (1u << 6)
#define UR_ITEM_REPORT_ACL	   (1u << 7)
#define UR_ITEM_REPORT_XATTR	   (1u << 8)
#define UR_ITEM_REPORT_CRTIME	   (1u << 10)
#define UR_ITEM_BASIS_TYPE_FOLLOWS (1u << 11)
#define UR_ITEM_XNAME_FOLLOWS	   (1u << 12)
#define UR_ITEM_IS_NEW		   (1u << 13)
#define UR_ITEM_LOCAL_CHANGE	   (1u << 14)
#define UR_ITEM_TRANSFER	   (1u << 15)

/* Basis types: 0..0x7F index a --compare-dest/--link-dest/--copy-dest. */
#define UR_FNAMECMP_FNAME	0x80
#define UR_FNAMECMP_PARTIAL_DIR 0x81
#define UR_FNAMECMP_BACKUP	0x82
#define UR_FNAMECMP_FUZZY	0x83

#define UR_XNAME_MAX 4095

struct ur_wire_item {
	uint16_t iflags;
	uint8_t basis_type; /* with ITEM_BASIS_TYPE_FOLLOWS, else FNAMECMP_FNAME */
	uint16_t xname_len; /* with ITEM_XNAME_FOLLOWS */
	char xname[UR_XNAME_MAX + 1];
};

/* Append flags, basis type and xname as the flags ask. -EINVAL for an
 * xname longer than UR_XNAME_MAX. */
int ur_item_encode(const struct ur_wire_item *it, struct ur_wbuf *w);

/* Read them: 0, -ENODATA (nothing consumed), -EPROTO for an xname of
 * 4096 bytes or more (rsync's limit). The xname is returned verbatim: a
 * basis-type xname is a peer-chosen path that the caller must check
 * before joining it to a directory. */
int ur_item_decode(struct ur_rbuf *r, struct ur_wire_item *it, struct ur_err *err);

#endif
