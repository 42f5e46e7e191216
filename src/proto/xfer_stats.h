/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_PROTO_XFER_STATS_H
#define UR_PROTO_XFER_STATS_H

/*
 * Counts exchanged at the end of a run.
 *
 * Transfer statistics: a server that sent files writes five varlong(3)s
 * to the client, its bytes read, bytes written, total file size, and the
 * milliseconds it spent building and sending the file list. The client,
 * being the receiver, reports the first two the other way round.
 *
 * Deletion statistics: after NDX_DEL_STATS the deleting side sends five
 * varints, the regular files (and anything else) deleted, then the
 * directories, symlinks, devices and specials.
 */

#include <stdint.h>

#include "proto/varint.h"

struct ur_xfer_stats {
	int64_t total_read; /* as counted by the side that sends these */
	int64_t total_written;
	int64_t total_size;
	int64_t flist_buildtime;
	int64_t flist_xfertime;
};

struct ur_del_stats {
	int32_t files; /* all deletions, as rsync's "Number of deleted files" */
	int32_t dirs, symlinks, devices, specials;
};

/* rsync caps each wire count so the five sum into an int32. */
#define UR_MAX_DEL_STAT (1 << 28)

/* 0, -ENOBUFS (nothing written). */
int ur_xfer_stats_encode(const struct ur_xfer_stats *s, struct ur_wbuf *w);
/* 0, -ENODATA (nothing consumed), -EBADMSG, or -EPROTO for a negative count. */
int ur_xfer_stats_decode(struct ur_rbuf *r, struct ur_xfer_stats *s, struct ur_err *err);

/* The five counts, without the NDX_DEL_STATS index that precedes them.
 * files must be at least the sum of the others (-EINVAL otherwise). */
int ur_del_stats_encode(const struct ur_del_stats *s, struct ur_wbuf *w);
/* 0, -ENODATA, -EBADMSG, or -EPROTO for a count outside 0..UR_MAX_DEL_STAT. */
int ur_del_stats_decode(struct ur_rbuf *r, struct ur_del_stats *s, struct ur_err *err);

#endif
