/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_PROTO_VARINT_H
#define UR_PROTO_VARINT_H

/*
 * Byte buffers and rsync's integer and string encodings.
 *
 * Conventions for everything in src/proto/ (docs/protocol.md, "Return
 * values"):
 *   0          success; a reader advanced past what it consumed
 *   -ENODATA   the input ended before the item was complete; nothing was
 *              consumed and no state changed, so call again with more bytes
 *   -ENOBUFS   the output buffer is too small; nothing was written
 *   -EBADMSG   the peer's bytes are malformed (detail in struct ur_err)
 *   -EPROTO    well-formed, but a value the protocol forbids (detail too)
 *   -EINVAL    the caller asked to encode something unencodable
 * Readers never fill the ur_err for -ENODATA; it is not an error.
 */

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"


/* Readers: 0, -ENODATA, or -EBADMSG/-EPROTO with detail in err (may be NULL). */
int ur_get_u8(struct ur_rbuf *r, uint8_t *v);
int ur_get_bytes(struct ur_rbuf *r, void *dst, size_t n);
/* rsync's write_int: 4 bytes, little-endian, two's complement. */
int ur_get_int32(struct ur_rbuf *r, int32_t *v);
/* rsync's varint: 1 to 5 bytes, the count of extra bytes in the first byte's high bits. */
int ur_get_varint(struct ur_rbuf *r, int32_t *v, struct ur_err *err);
/* rsync's varlong with at least min_bytes bytes (3..8: rsync uses 3 for
 * sizes and 4 for times; fewer could not reach 64 bits). */
int ur_get_varlong(struct ur_rbuf *r, int min_bytes, int64_t *v, struct ur_err *err);
/* rsync's vstring: a 1- or 2-byte length (high bit of the first selects two,
 * up to 0x7FFF) and the bytes. Copies into buf and NUL-terminates; a string
 * of cap bytes or more is -EPROTO. *len gets the length. */
int ur_get_vstring(struct ur_rbuf *r, char *buf, size_t cap, size_t *len, struct ur_err *err);

/* Writers: 0, -ENOBUFS, or -EINVAL. */
int ur_put_u8(struct ur_wbuf *w, uint8_t v);
int ur_put_bytes(struct ur_wbuf *w, const void *src, size_t n);
int ur_put_int32(struct ur_wbuf *w, int32_t v);
int ur_put_varint(struct ur_wbuf *w, int32_t v);
/* min_bytes 3..8, else -EINVAL. */
int ur_put_varlong(struct ur_wbuf *w, int64_t v, int min_bytes);
/* len must be <= 0x7FFF. */
int ur_put_vstring(struct ur_wbuf *w, const char *s, size_t len);

/* Sizes of the encodings, for callers that reserve room first. */
size_t ur_varint_size(int32_t v);
size_t ur_varlong_size(int64_t v, int min_bytes);

#endif
