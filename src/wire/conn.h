/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_WIRE_CONN_H
#define UR_WIRE_CONN_H

/*
 * One end of an rsync connection: two descriptors (a remote shell's pipes
 * or a socket), buffered both ways, with rsync's multiplexed framing once
 * the handshake is over (docs/protocol.md "Multiplexed frames").
 *
 * Reading never blocks while we hold output the peer may be waiting for:
 * every wait polls both directions, so two peers that write at the same
 * time cannot deadlock (rsync's own I/O loop does the same). Out-of-band
 * messages met while reading are handed to conn->on_msg.
 *
 * Typed reads return 0 or a negative errno after setting conn->err; the
 * caller turns that into rsync's exit code (conn->err.code).
 */

#include <errno.h>
#include <time.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/mux.h"
#include "proto/ndx.h"
#include "proto/varint.h"
#include "util/err.h"

struct ur_conn;

/* An out-of-band message arrived (tag != MSG_DATA). Return 0 to go on or
 * a negative errno (with conn->err set) to fail the read in progress. */
typedef int (*ur_conn_msg_fn)(struct ur_conn *c, int tag, const uint8_t *data, size_t len);

struct ur_conn {
	int fd_in, fd_out;
	bool mux_in, mux_out; /* framing on, per direction */
	int timeout;	      /* --timeout seconds, 0 = none */
	time_t last_in, last_out; /* rsync's last_io_in/out (whole seconds; 0 = none yet) */
	const char *role;     /* "sender", "receiver", "generator" for messages */

	/* output: data waiting to be framed, then raw bytes for the fd */
	uint8_t *dbuf;
	size_t dlen, dcap;
	uint8_t *obuf;
	size_t olen, ocap, opos;

	/* input: raw bytes from the fd, and the data stream they carry */
	uint8_t *ibuf;
	size_t ilen, ipos, icap;
	uint8_t *din;
	size_t dinlen, dinpos, dincap;
	struct ur_mux_reader mr;
	bool eof;
	int dead; /* the input failed (a bad frame): every later read fails */

	struct ur_ndx_state ndx_in, ndx_out;
	ur_conn_msg_fn on_msg;
	void *ctx;

	int64_t total_read, total_written; /* bytes through the descriptors */
	struct ur_err err;
};

int ur_conn_init(struct ur_conn *c, int fd_in, int fd_out, int timeout);
void ur_conn_free(struct ur_conn *c);

/* Write everything buffered (framing pending data) and wait until the fd
 * took it. */
int ur_conn_flush(struct ur_conn *c);

/* The data stream (MSG_DATA when multiplexed). */
int ur_conn_write(struct ur_conn *c, const void *p, size_t n);
int ur_conn_write_int(struct ur_conn *c, int32_t v);
int ur_conn_write_varint(struct ur_conn *c, int32_t v);
int ur_conn_write_varlong(struct ur_conn *c, int64_t v, int min_bytes);
int ur_conn_write_ndx(struct ur_conn *c, int32_t ndx);
int ur_conn_write_u16(struct ur_conn *c, uint16_t v);
/* Room for an encoder: a wbuf over free space of at least n bytes at the
 * end of the pending data; commit what the encoder wrote with _commit. */
int ur_conn_reserve(struct ur_conn *c, size_t n, struct ur_wbuf *w);
void ur_conn_commit(struct ur_conn *c, const struct ur_wbuf *w);

/* An out-of-band message (pending data goes first, to keep order). */
int ur_conn_send_msg(struct ur_conn *c, enum ur_msg_tag tag, const void *p, size_t n);
int ur_conn_send_msg_int(struct ur_conn *c, enum ur_msg_tag tag, int32_t v);

/* Reads from the data stream; they wait as needed. */
int ur_conn_read(struct ur_conn *c, void *p, size_t n);
int ur_conn_read_int(struct ur_conn *c, int32_t *v);
int ur_conn_read_u8(struct ur_conn *c, uint8_t *v);
int ur_conn_read_u16(struct ur_conn *c, uint16_t *v);
int ur_conn_read_varint(struct ur_conn *c, int32_t *v);
int ur_conn_read_varlong(struct ur_conn *c, int min_bytes, int64_t *v);
int ur_conn_read_ndx(struct ur_conn *c, int32_t *ndx);
/* A view of the data that has arrived (at least `want` bytes, or less at
 * the end of the stream); decoders that return -ENODATA call _more and
 * retry; what they used is dropped with _consume. */
void ur_conn_view(struct ur_conn *c, struct ur_rbuf *r);
int ur_conn_more(struct ur_conn *c);
void ur_conn_consume(struct ur_conn *c, size_t n);
/* Bytes read from the descriptor and taken by the reader so far (what
 * is buffered but not yet read is left out). */
int64_t ur_conn_taken(const struct ur_conn *c);

/*
 * Run a decoder (expr, which reads the struct ur_rbuf *r) over the data
 * that has arrived, waiting for more while it says -ENODATA; what it used
 * is consumed. rc gets its result, or the connection's error.
 */
#define UR_CONN_DECODE(c, rc, r, expr)                                                             \
	do {                                                                                       \
		for (;;) {                                                                         \
			struct ur_rbuf rb_;                                                        \
			ur_conn_view((c), &rb_);                                                   \
			struct ur_rbuf *r = &rb_;                                                  \
			(rc) = (expr);                                                             \
			if ((rc) != -ENODATA) {                                                    \
				if ((rc) >= 0)                                                     \
					ur_conn_consume((c), rb_.pos);                             \
				break;                                                             \
			}                                                                          \
			if (((rc) = ur_conn_more(c)) < 0)                                          \
				break;                                                             \
		}                                                                                  \
	} while (0)

/* Switch the input to multiplexed frames (after the handshake). */
int ur_conn_start_mux_in(struct ur_conn *c);

/* Would a read return without waiting: input buffered, or the descriptor
 * readable (or at its end) right now? */
bool ur_conn_readable(struct ur_conn *c);

/* Wait for and handle input until the peer closes (used at the end, to
 * take the last messages); returns 0 at EOF. */
int ur_conn_drain(struct ur_conn *c);

#endif
