/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_PROTO_MUX_H
#define UR_PROTO_MUX_H

/*
 * rsync's multiplexed stream: every frame starts with a 4-byte
 * little-endian header, (MPLEX_BASE + tag) << 24 | length, and carries
 * `length` bytes of payload. Tag 0 (MSG_DATA) is the protocol stream itself;
 * the rest are out-of-band messages.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/err.h"

#define UR_MPLEX_BASE  7
#define UR_MUX_HDR_LEN 4
#define UR_MUX_MAX_LEN 0xFFFFFFu
/* rsync reads text messages into a MAXPATHLEN + 1024 buffer and refuses
 * anything that does not fit with its terminating NUL. */
#define UR_MUX_MAX_TEXT 5119u

enum ur_msg_tag {
	UR_MSG_DATA = 0,
	UR_MSG_ERROR_XFER = 1,
	UR_MSG_INFO = 2,
	UR_MSG_ERROR = 3,
	UR_MSG_WARNING = 4,
	UR_MSG_ERROR_SOCKET = 5,
	UR_MSG_LOG = 6,
	UR_MSG_CLIENT = 7,
	UR_MSG_ERROR_UTF8 = 8,
	UR_MSG_REDO = 9,
	UR_MSG_STATS = 10,
	UR_MSG_IO_ERROR = 22,
	UR_MSG_IO_TIMEOUT = 33,
	UR_MSG_NOOP = 42,
	UR_MSG_ERROR_EXIT = 86,
	UR_MSG_SUCCESS = 100,
	UR_MSG_DELETED = 101,
	UR_MSG_NO_SEND = 102,
};

/* One row of the tag table: the tag, rsync's name for it, and the payload
 * lengths a peer may send (min..max; fixed-size messages have min == max,
 * alt is a second allowed length or 0). */
struct ur_msg_info {
	enum ur_msg_tag tag;
	const char *name;
	uint32_t min_len;
	uint32_t max_len;
	uint32_t alt_len;
};

/* The table row for tag, or NULL if rsync 3.5.0 defines no such tag. */
const struct ur_msg_info *ur_msg_lookup(int tag);
/* "MSG_INFO" etc., or NULL for an unknown tag. */
const char *ur_msg_name(int tag);
/* The whole table (for iteration); *n gets its length. */
const struct ur_msg_info *ur_msg_table(size_t *n);

/* Encode a frame header into out[4]: 0, or -EINVAL for an unknown tag or a
 * length over 0xFFFFFF. */
int ur_mux_hdr_encode(uint8_t out[UR_MUX_HDR_LEN], enum ur_msg_tag tag, uint32_t len);
/* Decode a header without judging it: *tag may be any value from -7 to 248. */
void ur_mux_hdr_decode(const uint8_t in[UR_MUX_HDR_LEN], int *tag, uint32_t *len);
/* Check a decoded header against the table: 0, or -EPROTO for an unknown
 * tag or a length that tag never has. */
int ur_mux_hdr_check(int tag, uint32_t len, struct ur_err *err);

/* What ur_mux_read found. For MSG_DATA, data/len is a piece of the payload
 * borrowed from the caller's input (a frame may arrive as many pieces);
 * first/last say where in the frame the piece sits. For every other tag,
 * data/len is the whole payload, borrowed from the reader until the next
 * call. tag is UR_MUX_NONE when the bytes given completed nothing. */
#define UR_MUX_NONE (-1)
struct ur_mux_event {
	int tag;
	const uint8_t *data;
	size_t len;
	bool first;
	bool last;
};

/* An incremental frame reader. Zero-initialised is ready (or call _init). */
struct ur_mux_reader {
	uint8_t hdr[UR_MUX_HDR_LEN];
	unsigned hdr_have;
	bool in_frame;
	int tag;
	uint32_t len;  /* payload length of the current frame */
	uint32_t done; /* payload bytes of it already consumed */
	uint8_t msg[UR_MUX_MAX_TEXT + 1];
};

void ur_mux_reader_init(struct ur_mux_reader *r);

/* Feed up to n bytes. Returns how many it consumed (0..n) and fills ev with
 * at most one event; call again with the rest. A frame that is complete
 * only in its header ends with no event for non-data tags until the
 * payload arrives. Negative: -EPROTO for an unknown tag or a bad length
 * (the reader is then dead; ur_mux_reader_init to reuse). */
ssize_t ur_mux_read(struct ur_mux_reader *r, const uint8_t *in, size_t n, struct ur_mux_event *ev,
		    struct ur_err *err);

/* True between frames (no partial header or payload pending). */
bool ur_mux_reader_idle(const struct ur_mux_reader *r);

#endif
