/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Buffered, multiplexed connection I/O (see conn.h). */
#include "wire/conn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DATA_FRAME (32 * 1024)	/* rsync frames its data in pieces this size */
#define OUT_HIGH   (256 * 1024) /* write out once this much is waiting */
#define IN_CHUNK   (256 * 1024)

static int grow(uint8_t **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : 4096;
	while (n < need)
		n *= 2;
	uint8_t *p = realloc(*buf, n);
	if (!p)
		return -ENOMEM;
	*buf = p;
	*cap = n;
	return 0;
}

int ur_conn_init(struct ur_conn *c, int fd_in, int fd_out, int timeout)
{
	memset(c, 0, sizeof(*c));
	c->fd_in = fd_in;
	c->fd_out = fd_out;
	c->timeout = timeout;
	c->role = "receiver";
	ur_mux_reader_init(&c->mr);
	ur_ndx_init(&c->ndx_in);
	ur_ndx_init(&c->ndx_out);
	fcntl(fd_in, F_SETFL, fcntl(fd_in, F_GETFL) | O_NONBLOCK);
	fcntl(fd_out, F_SETFL, fcntl(fd_out, F_GETFL) | O_NONBLOCK);
	if (grow(&c->dbuf, &c->dcap, DATA_FRAME * 2) < 0 ||
	    grow(&c->obuf, &c->ocap, OUT_HIGH * 2) < 0 || grow(&c->ibuf, &c->icap, IN_CHUNK) < 0 ||
	    grow(&c->din, &c->dincap, IN_CHUNK) < 0)
		return -ENOMEM;
	return 0;
}

void ur_conn_free(struct ur_conn *c)
{
	free(c->dbuf);
	free(c->obuf);
	free(c->ibuf);
	free(c->din);
	c->dbuf = c->obuf = c->ibuf = c->din = NULL;
}

static int fail(struct ur_conn *c, int code, int errnum, const char *msg)
{
	if (!c->err.msg[0])
		ur_err_set(&c->err, code, errnum, "%s", msg);
	return errnum ? -errnum : -EPROTO;
}

/*
 * Move bytes: write what obuf holds, read what the peer sends into ibuf.
 * want_in: we need input to go on (wait for it). Returns once some progress
 * was made in the direction asked for (or the output is empty and no input
 * is wanted).
 */
static int pump(struct ur_conn *c, bool want_in)
{
	/* Time spent away from the connection does not count: ursync sends
	 * no keep-alives, so a busy stretch must not read as a silent peer. */
	time_t since = c->timeout ? time(NULL) : 0;
	for (;;) {
		bool want_out = c->opos < c->olen;
		if (!want_out && !want_in)
			return 0;
		struct pollfd p[2];
		int np = 0, iin = -1, iout = -1;
		if (!c->eof) {
			iin = np;
			p[np++] = (struct pollfd){.fd = c->fd_in, .events = POLLIN};
		}
		if (want_out) {
			iout = np;
			p[np++] = (struct pollfd){.fd = c->fd_out, .events = POLLOUT};
		}
		if (!np) /* want_in at EOF */
			return fail(c, UR_EXIT_STREAMIO, 0, "connection unexpectedly closed");
		/* rsync's clock (check_timeout): it wakes every half timeout
		 * (rounded up) and gives up once a whole number of seconds
		 * since the last input or output reaches the timeout, the
		 * input's counted from the first wake when nothing came yet. */
		int lull = (c->timeout + 1) / 2;
		int r = poll(p, (nfds_t)np, c->timeout > 0 ? lull * 1000 : -1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return fail(c, UR_EXIT_SOCKETIO, errno, "poll failed");
		}
		if (r == 0) {
			time_t t = time(NULL);
			if (!c->last_in)
				c->last_in = t;
			time_t chk = c->last_in > c->last_out ? c->last_in : c->last_out;
			if (chk < since)
				chk = since;
			if (t - chk < c->timeout)
				continue;
			char m[96];
			snprintf(m, sizeof(m), "[%s] io timeout after %d seconds -- exiting",
				 c->role, (int)(t - chk));
			c->err.code = UR_EXIT_TIMEOUT;
			ur_err_set(&c->err, UR_EXIT_TIMEOUT, 0, "%s", m);
			return -ETIMEDOUT;
		}
		bool progressed = false;
		if (iin >= 0 && (p[iin].revents & (POLLIN | POLLHUP | POLLERR))) {
			if (c->ilen + IN_CHUNK > c->icap) {
				/* Drop what was parsed before growing. */
				if (c->ipos) {
					memmove(c->ibuf, c->ibuf + c->ipos, c->ilen - c->ipos);
					c->ilen -= c->ipos;
					c->ipos = 0;
				}
				if (grow(&c->ibuf, &c->icap, c->ilen + IN_CHUNK) < 0)
					return fail(c, UR_EXIT_MALLOC, ENOMEM, "out of memory");
			}
			ssize_t n = read(c->fd_in, c->ibuf + c->ilen, c->icap - c->ilen);
			if (n > 0) {
				c->ilen += (size_t)n;
				c->total_read += n;
				if (c->timeout)
					c->last_in = time(NULL);
				if (want_in)
					progressed = true;
			} else if (n == 0) {
				c->eof = true;
				if (want_in)
					progressed = true; /* the caller sees the EOF */
			} else if (errno != EAGAIN && errno != EINTR) {
				if (errno == ECONNRESET) {
					c->eof = true;
					progressed = want_in;
				} else {
					return fail(c, UR_EXIT_STREAMIO, errno, "read error");
				}
			}
		}
		if (iout >= 0 && (p[iout].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t n = write(c->fd_out, c->obuf + c->opos, c->olen - c->opos);
			if (n > 0) {
				c->opos += (size_t)n;
				c->total_written += n;
				if (c->timeout)
					c->last_out = time(NULL);
				if (c->opos == c->olen)
					c->opos = c->olen = 0;
				if (!want_in)
					progressed = true;
			} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				char m[96];
				snprintf(m, sizeof(m), "[%s] write error: %s (%d)", c->role,
					 strerror(errno), errno);
				return fail(c, UR_EXIT_STREAMIO, errno, m);
			}
		}
		if (progressed)
			return 0;
	}
}

/* Room for n more bytes in obuf: drop what was written first, so a long
 * stream reuses the same buffer instead of growing it. */
static int out_room(struct ur_conn *c, size_t n)
{
	if (c->opos && c->olen + n > c->ocap) {
		memmove(c->obuf, c->obuf + c->opos, c->olen - c->opos);
		c->olen -= c->opos;
		c->opos = 0;
	}
	if (grow(&c->obuf, &c->ocap, c->olen + n) < 0)
		return fail(c, UR_EXIT_MALLOC, ENOMEM, "out of memory");
	return 0;
}

/* Frame the pending data into obuf. */
static int frame_data(struct ur_conn *c)
{
	size_t off = 0;
	while (off < c->dlen) {
		size_t n = c->dlen - off;
		if (c->mux_out && n > UR_MUX_MAX_LEN)
			n = UR_MUX_MAX_LEN;
		int rc = out_room(c, n + UR_MUX_HDR_LEN);
		if (rc < 0)
			return rc;
		if (c->mux_out) {
			ur_mux_hdr_encode(c->obuf + c->olen, UR_MSG_DATA, (uint32_t)n);
			c->olen += UR_MUX_HDR_LEN;
		}
		memcpy(c->obuf + c->olen, c->dbuf + off, n);
		c->olen += n;
		off += n;
	}
	c->dlen = 0;
	return 0;
}

/* Make sure n more data bytes fit, writing out when a lot is waiting. */
static int room(struct ur_conn *c, size_t n)
{
	if (c->dlen + n > DATA_FRAME) {
		int rc = frame_data(c);
		if (rc < 0)
			return rc;
	}
	while (c->olen - c->opos > OUT_HIGH) {
		int rc = pump(c, false);
		if (rc < 0)
			return rc;
	}
	if (grow(&c->dbuf, &c->dcap, c->dlen + n) < 0)
		return fail(c, UR_EXIT_MALLOC, ENOMEM, "out of memory");
	return 0;
}

int ur_conn_flush(struct ur_conn *c)
{
	int rc = frame_data(c);
	while (rc == 0 && c->opos < c->olen)
		rc = pump(c, false);
	return rc;
}

int ur_conn_write(struct ur_conn *c, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n) {
		size_t k = n > DATA_FRAME ? DATA_FRAME : n;
		int rc = room(c, k);
		if (rc < 0)
			return rc;
		memcpy(c->dbuf + c->dlen, b, k);
		c->dlen += k;
		b += k;
		n -= k;
	}
	return 0;
}

int ur_conn_reserve(struct ur_conn *c, size_t n, struct ur_wbuf *w)
{
	int rc = room(c, n);
	if (rc < 0)
		return rc;
	ur_wbuf_init(w, c->dbuf + c->dlen, c->dcap - c->dlen);
	return 0;
}

void ur_conn_commit(struct ur_conn *c, const struct ur_wbuf *w)
{
	c->dlen += w->len;
}

int ur_conn_write_int(struct ur_conn *c, int32_t v)
{
	uint8_t b[4];
	ur_put_le32(b, (uint32_t)v);
	return ur_conn_write(c, b, 4);
}

int ur_conn_write_u16(struct ur_conn *c, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
	return ur_conn_write(c, b, 2);
}

int ur_conn_write_varint(struct ur_conn *c, int32_t v)
{
	struct ur_wbuf w;
	int rc = ur_conn_reserve(c, 8, &w);
	if (rc == 0 && (rc = ur_put_varint(&w, v)) == 0)
		ur_conn_commit(c, &w);
	return rc;
}

int ur_conn_write_varlong(struct ur_conn *c, int64_t v, int min_bytes)
{
	struct ur_wbuf w;
	int rc = ur_conn_reserve(c, 12, &w);
	if (rc == 0 && (rc = ur_put_varlong(&w, v, min_bytes)) == 0)
		ur_conn_commit(c, &w);
	return rc;
}

int ur_conn_write_ndx(struct ur_conn *c, int32_t ndx)
{
	struct ur_wbuf w;
	int rc = ur_conn_reserve(c, 8, &w);
	if (rc == 0 && (rc = ur_ndx_encode(&c->ndx_out, ndx, &w)) == 0)
		ur_conn_commit(c, &w);
	return rc;
}

int ur_conn_send_msg(struct ur_conn *c, enum ur_msg_tag tag, const void *p, size_t n)
{
	if (!c->mux_out)
		return -EINVAL;
	int rc = frame_data(c);
	if (rc < 0)
		return rc;
	if ((rc = out_room(c, n + UR_MUX_HDR_LEN)) < 0)
		return rc;
	if (ur_mux_hdr_encode(c->obuf + c->olen, tag, (uint32_t)n) < 0)
		return -EINVAL;
	c->olen += UR_MUX_HDR_LEN;
	if (n)
		memcpy(c->obuf + c->olen, p, n);
	c->olen += n;
	return 0;
}

int ur_conn_send_msg_int(struct ur_conn *c, enum ur_msg_tag tag, int32_t v)
{
	uint8_t b[4];
	ur_put_le32(b, (uint32_t)v);
	return ur_conn_send_msg(c, tag, b, 4);
}

/* Turn raw input into data (and messages); waits for input when none is
 * buffered. Returns 0 once the data stream grew, or an error. */
int ur_conn_more(struct ur_conn *c)
{
	size_t before = c->dinlen;
	/* Drop consumed data so the buffer does not creep. */
	if (c->dinpos && c->dinpos == c->dinlen) {
		c->dinpos = c->dinlen = 0;
		before = 0;
	} else if (c->dinpos > c->dincap / 2) {
		memmove(c->din, c->din + c->dinpos, c->dinlen - c->dinpos);
		c->dinlen -= c->dinpos;
		c->dinpos = 0;
		before = c->dinlen;
	}
	if (c->dead)
		return c->dead;
	for (;;) {
		while (c->ipos < c->ilen) {
			if (!c->mux_in) {
				size_t n = c->ilen - c->ipos;
				if (grow(&c->din, &c->dincap, c->dinlen + n) < 0)
					return fail(c, UR_EXIT_MALLOC, ENOMEM, "out of memory");
				memcpy(c->din + c->dinlen, c->ibuf + c->ipos, n);
				c->dinlen += n;
				c->ipos += n;
				break;
			}
			struct ur_mux_event ev;
			struct ur_err e = {0};
			ssize_t used =
			    ur_mux_read(&c->mr, c->ibuf + c->ipos, c->ilen - c->ipos, &ev, &e);
			if (used < 0) {
				/* rsync's wording: "unexpected tag 25 [sender]". The
				 * data before the bad frame is still delivered. */
				ur_err_set(&c->err, UR_EXIT_STREAMIO, 0, "%s [%s]", e.msg, c->role);
				c->dead = (int)used;
				return c->dinlen > before ? 0 : c->dead;
			}
			c->ipos += (size_t)used;
			if (ev.tag == UR_MUX_NONE)
				continue;
			if (ev.tag == UR_MSG_DATA) {
				if (grow(&c->din, &c->dincap, c->dinlen + ev.len) < 0)
					return fail(c, UR_EXIT_MALLOC, ENOMEM, "out of memory");
				memcpy(c->din + c->dinlen, ev.data, ev.len);
				c->dinlen += ev.len;
				continue;
			}
			if (c->on_msg) {
				int rc = c->on_msg(c, ev.tag, ev.data, ev.len);
				if (rc < 0)
					return rc;
				if (rc > 0) /* the caller wants to look, between data */
					return c->dinlen > before ? 0 : -EINTR;
			}
		}
		if (c->ipos == c->ilen)
			c->ipos = c->ilen = 0;
		if (c->dinlen > before)
			return 0;
		if (c->eof) {
			char m[128];
			snprintf(m, sizeof(m),
				 "connection unexpectedly closed (%lld bytes received so far) [%s]",
				 (long long)c->total_read, c->role);
			return fail(c, UR_EXIT_STREAMIO, 0, m);
		}
		/* What we have to say goes out while we wait to hear. */
		int rc = frame_data(c);
		if (rc == 0)
			rc = pump(c, true);
		if (rc < 0)
			return rc;
	}
}

void ur_conn_view(struct ur_conn *c, struct ur_rbuf *r)
{
	ur_rbuf_init(r, c->din + c->dinpos, c->dinlen - c->dinpos);
}

int64_t ur_conn_taken(const struct ur_conn *c)
{
	return c->total_read - (int64_t)(c->ilen - c->ipos) - (int64_t)(c->dinlen - c->dinpos);
}

void ur_conn_consume(struct ur_conn *c, size_t n)
{
	c->dinpos += n;
}

int ur_conn_read(struct ur_conn *c, void *p, size_t n)
{
	uint8_t *b = p;
	while (n) {
		size_t have = c->dinlen - c->dinpos;
		if (!have) {
			int rc = ur_conn_more(c);
			if (rc < 0)
				return rc;
			continue;
		}
		size_t k = have < n ? have : n;
		memcpy(b, c->din + c->dinpos, k);
		c->dinpos += k;
		b += k;
		n -= k;
	}
	return 0;
}

int ur_conn_read_int(struct ur_conn *c, int32_t *v)
{
	uint8_t b[4];
	int rc = ur_conn_read(c, b, 4);
	if (rc == 0)
		*v = (int32_t)ur_le32(b);
	return rc;
}

int ur_conn_read_u8(struct ur_conn *c, uint8_t *v)
{
	return ur_conn_read(c, v, 1);
}

int ur_conn_read_u16(struct ur_conn *c, uint16_t *v)
{
	uint8_t b[2];
	int rc = ur_conn_read(c, b, 2);
	if (rc == 0)
		*v = (uint16_t)(b[0] | b[1] << 8);
	return rc;
}

/* Run a decoder that reports -ENODATA until enough data has arrived. */
#define DECODE(c, call)                                                                            \
	do {                                                                                       \
		for (;;) {                                                                         \
			struct ur_rbuf rb_;                                                        \
			ur_conn_view((c), &rb_);                                                   \
			struct ur_rbuf *r_ = &rb_;                                                 \
			int rc_ = (call);                                                          \
			if (rc_ != -ENODATA) {                                                     \
				if (rc_ >= 0)                                                      \
					ur_conn_consume((c), rb_.pos);                             \
				else if (!(c)->err.msg[0])                                         \
					(c)->err.code = UR_EXIT_STREAMIO;                          \
				return rc_;                                                        \
			}                                                                          \
			if ((rc_ = ur_conn_more(c)) < 0)                                           \
				return rc_;                                                        \
		}                                                                                  \
	} while (0)

int ur_conn_read_varint(struct ur_conn *c, int32_t *v)
{
	DECODE(c, ur_get_varint(r_, v, &c->err));
}

int ur_conn_read_varlong(struct ur_conn *c, int min_bytes, int64_t *v)
{
	DECODE(c, ur_get_varlong(r_, min_bytes, v, &c->err));
}

int ur_conn_read_ndx(struct ur_conn *c, int32_t *ndx)
{
	DECODE(c, ur_ndx_decode(&c->ndx_in, r_, ndx, &c->err));
}

int ur_conn_drain(struct ur_conn *c)
{
	int rc = ur_conn_flush(c);
	while (rc == 0) {
		rc = ur_conn_more(c);
		c->dinpos = c->dinlen; /* stray data at the end is ignored */
	}
	if (c->eof && c->ipos >= c->ilen)
		return 0;
	return rc;
}

int ur_conn_start_mux_in(struct ur_conn *c)
{
	/* Bytes read ahead as plain data are frames from here on: put them
	 * back in front of the raw input. */
	size_t extra = c->dinlen - c->dinpos;
	if (extra) {
		size_t rest = c->ilen - c->ipos;
		if (grow(&c->ibuf, &c->icap, extra + rest) < 0)
			return fail(c, UR_EXIT_MALLOC, ENOMEM, "out of memory");
		memmove(c->ibuf + extra, c->ibuf + c->ipos, rest);
		memcpy(c->ibuf, c->din + c->dinpos, extra);
		c->ipos = 0;
		c->ilen = extra + rest;
		c->dinpos = c->dinlen = 0;
	}
	c->mux_in = true;
	return 0;
}

bool ur_conn_readable(struct ur_conn *c)
{
	if (c->dinpos < c->dinlen || c->ipos < c->ilen || c->eof || c->dead)
		return true;
	struct pollfd p = {.fd = c->fd_in, .events = POLLIN};
	return poll(&p, 1, 0) > 0;
}
