/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "proto/mux.h"

#include <errno.h>
#include <string.h>

#include "proto/varint.h"

/*
 * Allowed payload lengths follow rsync 3.5.0's read_a_msg(): fixed 4-byte
 * ints for the index and error messages, 0 or 4 for MSG_ERROR_EXIT, 4 or
 * 4+8+8 for MSG_SUCCESS (the longer form is a local server's dev/inode
 * pair), 8 for MSG_STATS, nothing for MSG_NOOP, and text below the buffer
 * size for log lines and deletions.
 */
static const struct ur_msg_info msg_table[] = {
    {UR_MSG_DATA, "MSG_DATA", 0, UR_MUX_MAX_LEN, 0},
    {UR_MSG_ERROR_XFER, "MSG_ERROR_XFER", 0, UR_MUX_MAX_TEXT, 0},
    {UR_MSG_INFO, "MSG_INFO", 0, UR_MUX_MAX_TEXT, 0},
    {UR_MSG_ERROR, "MSG_ERROR", 0, UR_MUX_MAX_TEXT, 0},
    {UR_MSG_WARNING, "MSG_WARNING", 0, UR_MUX_MAX_TEXT, 0},
    {UR_MSG_ERROR_SOCKET, "MSG_ERROR_SOCKET", 0, UR_MUX_MAX_TEXT, 0},
    {UR_MSG_LOG, "MSG_LOG", 0, UR_MUX_MAX_TEXT, 0},
    {UR_MSG_CLIENT, "MSG_CLIENT", 0, UR_MUX_MAX_TEXT, 0},
    {UR_MSG_ERROR_UTF8, "MSG_ERROR_UTF8", 0, UR_MUX_MAX_TEXT, 0},
    {UR_MSG_REDO, "MSG_REDO", 4, 4, 0},
    {UR_MSG_STATS, "MSG_STATS", 8, 8, 0},
    {UR_MSG_IO_ERROR, "MSG_IO_ERROR", 4, 4, 0},
    {UR_MSG_IO_TIMEOUT, "MSG_IO_TIMEOUT", 4, 4, 0},
    {UR_MSG_NOOP, "MSG_NOOP", 0, 0, 0},
    {UR_MSG_ERROR_EXIT, "MSG_ERROR_EXIT", 0, 0, 4},
    {UR_MSG_SUCCESS, "MSG_SUCCESS", 4, 4, 20},
    {UR_MSG_DELETED, "MSG_DELETED", 0, UR_MUX_MAX_TEXT, 0},
    {UR_MSG_NO_SEND, "MSG_NO_SEND", 4, 4, 0},
};

#define MSG_TABLE_LEN (sizeof(msg_table) / sizeof(msg_table[0]))

const struct ur_msg_info *ur_msg_lookup(int tag)
{
	for (size_t i = 0; i < MSG_TABLE_LEN; i++)
		if ((int)msg_table[i].tag == tag)
			return &msg_table[i];
	return NULL;
}

const char *ur_msg_name(int tag)
{
	const struct ur_msg_info *m = ur_msg_lookup(tag);

	return m ? m->name : NULL;
}

const struct ur_msg_info *ur_msg_table(size_t *n)
{
	*n = MSG_TABLE_LEN;
	return msg_table;
}

int ur_mux_hdr_encode(uint8_t out[UR_MUX_HDR_LEN], enum ur_msg_tag tag, uint32_t len)
{
	if (!ur_msg_lookup((int)tag) || len > UR_MUX_MAX_LEN)
		return -EINVAL;
	ur_put_le32(out, (uint32_t)(UR_MPLEX_BASE + (int)tag) << 24 | len);
	return 0;
}

void ur_mux_hdr_decode(const uint8_t in[UR_MUX_HDR_LEN], int *tag, uint32_t *len)
{
	uint32_t v = ur_le32(in);

	*len = v & UR_MUX_MAX_LEN;
	*tag = (int)(v >> 24) - UR_MPLEX_BASE;
}

int ur_mux_hdr_check(int tag, uint32_t len, struct ur_err *err)
{
	const struct ur_msg_info *m = ur_msg_lookup(tag);

	if (!m)
		return ur_err_stream(err, EPROTO, "unexpected tag %d", tag);
	if ((len < m->min_len || len > m->max_len) && !(m->alt_len && len == m->alt_len))
		return ur_err_stream(err, EPROTO, "invalid length %u for %s", (unsigned)len,
				     m->name);
	return 0;
}

void ur_mux_reader_init(struct ur_mux_reader *r)
{
	r->hdr_have = 0;
	r->in_frame = false;
	r->tag = UR_MUX_NONE;
	r->len = 0;
	r->done = 0;
}

bool ur_mux_reader_idle(const struct ur_mux_reader *r)
{
	return r->hdr_have == 0 && !r->in_frame;
}

ssize_t ur_mux_read(struct ur_mux_reader *r, const uint8_t *in, size_t n, struct ur_mux_event *ev,
		    struct ur_err *err)
{
	size_t used = 0;

	memset(ev, 0, sizeof(*ev));
	ev->tag = UR_MUX_NONE;

	if (!r->in_frame) {
		size_t take = UR_MUX_HDR_LEN - r->hdr_have;
		int rc;

		if (take > n)
			take = n;
		memcpy(r->hdr + r->hdr_have, in, take);
		r->hdr_have += (unsigned)take;
		used = take;
		if (r->hdr_have < UR_MUX_HDR_LEN)
			return (ssize_t)used;
		ur_mux_hdr_decode(r->hdr, &r->tag, &r->len);
		rc = ur_mux_hdr_check(r->tag, r->len, err);
		if (rc < 0)
			return rc;
		r->hdr_have = 0;
		r->done = 0;
		r->in_frame = true;
		if (r->len == 0) {
			/* An empty data frame carries nothing worth reporting;
			 * an empty message (MSG_NOOP, MSG_ERROR_EXIT) is the
			 * message. */
			r->in_frame = false;
			if (r->tag != UR_MSG_DATA) {
				ev->tag = r->tag;
				ev->data = r->msg;
				ev->first = ev->last = true;
			}
			return (ssize_t)used;
		}
	}

	size_t avail = n - used;
	size_t want = r->len - r->done;
	size_t take = avail < want ? avail : want;

	if (r->tag == UR_MSG_DATA) {
		if (take == 0)
			return (ssize_t)used;
		ev->tag = UR_MSG_DATA;
		ev->data = in + used;
		ev->len = take;
		ev->first = r->done == 0;
		r->done += (uint32_t)take;
		ev->last = r->done == r->len;
	} else {
		/* Other messages are small (ur_mux_hdr_check capped them) and
		 * are handed over whole. */
		memcpy(r->msg + r->done, in + used, take);
		r->done += (uint32_t)take;
		if (r->done == r->len) {
			ev->tag = r->tag;
			ev->data = r->msg;
			ev->len = r->len;
			ev->first = ev->last = true;
		}
	}
	if (r->done == r->len)
		r->in_frame = false;
	return (ssize_t)(used + take);
}
