/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_WIRE_H
#define UR_WIRE_H

/*
 * The roles over rsync's wire protocol (docs/protocol.md, docs/engine.md
 * "Over the wire"). The session has done the handshake and switched the
 * connection to multiplexed frames; these functions run the rest of the
 * transfer on one side:
 *
 *   ur_wire_send()     sender: file lists out, file data out on request
 *   ur_wire_receive()  generator and receiver: lists in, the local engine's
 *                      ur_generate() for each entry, requests out, data in
 *
 * The receiving side runs generator and receiver in one thread: small
 * files are asked for ahead and their data read in order later
 * (wire_drain in wire_recv.c), everything else is asked for and received
 * in turn, so the local engine's per-entry code works unchanged.
 */

#include <stdbool.h>
#include <stdint.h>

#include "checksum/checksum.h"
#include "compress/cz.h"
#include "wire/conn.h"
#include "engine/engine.h"
#include "engine/hlink.h"
#include "proto/fentry.h"
#include "proto/handshake.h"

/* One received (or sent) file list. */
struct ur_wseg {
	struct ur_flist fl;
	int32_t ndx_start; /* index of fl.e[0] */
	int32_t dir;	   /* dir-table index of the directory it lists, -1 for the first */
	int32_t dir_base;  /* dir-table index of its first directory entry */
	size_t pos;	   /* sender: next entry to look at for sub-lists */
	struct ur_flist pfl; /* sender: the directory itself (index ndx_start - 1) */
	int32_t waiting;     /* receiver: -H members still waiting for their leader */
	bool io_error;	     /* receiver: the sender's IOERR_GENERAL had come by its end */
};

/* A directory of the transfer, in rsync's dir_flist order. */
struct ur_wdir {
	char *name;
	bool recurse; /* sender: its contents get a list of their own */
	bool ok;      /* receiver: it exists in the destination as a directory */
	int32_t seg;  /* sender: the list it was in (for listing it) */
	size_t entry;
	struct ur_fentry fe; /* receiver, --list-only: the entry, shown when its list comes */
};

struct ur_pend;

struct ur_wire {
	struct ur_conn *c;
	struct ur_caps caps;
	bool am_server;
	bool am_sender;
	int protocol;
	struct ur_fentry_state fs;

	struct ur_wseg **segs; /* live lists, oldest first */
	size_t nsegs, capsegs;
	struct ur_wdir *dirs;
	size_t ndirs, capdirs;
	int32_t next_ndx; /* ndx_start of the next list */
	bool flist_eof;
	int64_t file_total, file_done; /* entries listed / entries in freed lists */

	int32_t no_send;   /* receiver: MSG_NO_SEND for this index arrived */
	int64_t literal, matched; /* receiver: delta statistics */
	struct ur_pend *pend;	  /* receiver: files asked for, data not read yet */
	size_t npend, cappend, phead;
	int64_t pend_bytes;
	struct ur_cz_enc *cz_enc;  /* -z: the connection's compressor (sender) */
	struct ur_cz_dec *cz_dec;  /* -z: ... and decompressor (receiver) */
	int32_t *success;  /* sender: MSG_SUCCESS indices to act on */
	size_t nsuccess, capsuccess;
	struct ur_wseg *building; /* receiver: the list being read */
	struct ur_hlinks hl;	  /* receiver: -H groups */
	int64_t done_sent, done_seen; /* receiver: NDX_DONEs written and echoed */
	int32_t io_error;  /* IOERR_* bits from the sender */
	int32_t *redo;     /* receiver: indices to transfer again */
	size_t nredo, capredo;
	int remote_exit;   /* MSG_ERROR_EXIT's code, or -1 */
	bool shutting_down; /* the end-of-run exchange was reached */
	bool empty_list;    /* receiver: the first list held nothing */
	bool have_list;     /* receiver: the first list arrived whole */

	/* the sender's statistics, for --stats on a client */
	int64_t peer_read, peer_written, peer_total_size, flist_build_ms, flist_xfer_ms;
	int64_t flist_read_mark; /* --stats: bytes read up to the last list's end */
	int64_t del_stats[5];

	/* uid/gid names -> local ids (receiver, by name unless --numeric-ids) */
	struct ur_idmap {
		uint32_t id, local;
	} *uids, *gids;
	size_t nuids, ngids, capuids, capgids;
};

/*
 * wire_start.c: start a protocol session on c as a remote shell does:
 * exchange protocol versions (ours is --protocol or the newest), then
 * ur_wire_negotiate. Fills caps. Returns 0, or -errno with c->err set
 * (its code is the exit code; a failed choice has printed its lists).
 */
int ur_wire_handshake(struct ur_conn *c, const struct ur_opts *o, bool am_server, bool am_sender,
		      struct ur_caps *caps);
/* The rest of the start once both versions are known (the daemon's
 * greeting exchanges them as text): the protocol both speak, compat
 * flags, checksum and compression choice, --debug=nstr, the seed. */
int ur_wire_negotiate(struct ur_conn *c, const struct ur_opts *o, bool am_server, bool am_sender,
		      int ours, int theirs, struct ur_caps *caps);

/* Run eng's roles over w: the engine keeps w as its channel state and the
 * negotiated checksum as the transfer's. */
void ur_wire_attach(struct ur_engine *eng, struct ur_wire *w);

/* The wire of an engine whose roles run over one. */
static inline struct ur_wire *ur_wire_of(const struct ur_engine *eng)
{
	return eng->chan_state;
}

int ur_wire_init(struct ur_wire *w, struct ur_conn *c, const struct ur_caps *caps,
		 const struct ur_opts *o, bool am_server, bool am_sender);
void ur_wire_free(struct ur_wire *w);
/* Files asked for whose data never came (the run ended first): their
 * names and basis descriptors go. */
void ur_wire_pend_release(struct ur_wire *w);

/* A new directory slot at the end of w->dirs, zeroed (the array grows as
 * needed; ndirs counts it): NULL when out of memory. */
struct ur_wdir *ur_wire_add_dir(struct ur_wire *w);

/* Keep seg as the newest live list (0 or -ENOMEM). */
int ur_wire_push_seg(struct ur_wire *w, struct ur_wseg *seg);

/* The message handler for the connection: prints what the peer reports
 * (on a client) and records MSG_IO_ERROR, MSG_NO_SEND, MSG_ERROR_EXIT. */
int ur_wire_on_msg(struct ur_conn *c, int tag, const uint8_t *data, size_t len);

/* Sender: send the lists of eng's roots and answer requests until the end
 * of the run. Returns 0 or an exit code (the error already printed). */
int ur_wire_send(struct ur_engine *eng, struct ur_wire *w);

/* Receiver: read the first list, let open_dest decide the destination
 * (it opens eng->dest_fd), then generate and receive. dest is the
 * destination operand. Returns 0 or an exit code. */
typedef int (*ur_wire_open_dest_fn)(struct ur_engine *eng, const struct ur_flist *top,
				    char *dest, int file_total);
int ur_wire_receive(struct ur_engine *eng, struct ur_wire *w, char *dest,
		    ur_wire_open_dest_fn open_dest);

/* -z: the codec of the negotiated compression, or -1 for none. */
int ur_wire_cz(const struct ur_wire *w);
/* The same for a negotiated compression. */
int ur_cz_of(enum ur_cpres c);

/* The most strong-sum bytes per block a sum head may carry: the length of
 * the negotiated checksum's digest (rsync's xfer_sum_len). */
int ur_wire_s2_max(const struct ur_wire *w);


/* The filter rules the client sends to the server (none yet: the empty
 * list), and the server reading them. */
int ur_wire_send_filters(struct ur_engine *eng, struct ur_wire *w);
int ur_wire_recv_filters(struct ur_engine *eng, struct ur_wire *w);

#endif
