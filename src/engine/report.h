/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_REPORT_H
#define UR_REPORT_H

/*
 * What the user sees about each file and about the run: the itemize string
 * (-i), --out-format escapes, -v names, --stats, the closing "sent ...
 * total size is ..." lines, --progress and human-readable numbers.
 * Everything here formats; the engine decides what happened.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "cli/opts.h"

/* Item flags. The values are rsync's (they cross the wire in protocol 29+). */
#define UR_ITEM_REPORT_ATIME (1u << 0)
#define UR_ITEM_REPORT_CHANGE (1u << 1)
#define UR_ITEM_REPORT_SIZE (1u << 2)      /* regular files */
#define UR_ITEM_REPORT_TIMEFAIL (1u << 2)  /* symlinks */
#define UR_ITEM_REPORT_TIME (1u << 3)
#define UR_ITEM_REPORT_PERMS (1u << 4)
#define UR_ITEM_REPORT_OWNER (1u << 5)
#define UR_ITEM_REPORT_GROUP (1u << 6)
#define UR_ITEM_REPORT_ACL (1u << 7)
#define UR_ITEM_REPORT_XATTR (1u << 8)
#define UR_ITEM_REPORT_CRTIME (1u << 10)
#define UR_ITEM_BASIS_TYPE_FOLLOWS (1u << 11)
#define UR_ITEM_XNAME_FOLLOWS (1u << 12)
#define UR_ITEM_IS_NEW (1u << 13)
#define UR_ITEM_LOCAL_CHANGE (1u << 14)
#define UR_ITEM_TRANSFER (1u << 15)
#define UR_ITEM_MISSING_DATA (1u << 16)
#define UR_ITEM_DELETED (1u << 17)
#define UR_ITEM_MATCHED (1u << 18)

/* One event about one file, as the formatter needs it. All borrowed. */
struct ur_item {
	const char *name;        /* path as rsync prints it for %n (dirs end in '/') */
	const char *link_target; /* symlink target for %L (" -> target"), or NULL */
	const char *hlink_target;/* hard-link target for %L (" => target"), or NULL */
	mode_t mode;             /* S_IFMT and permission bits of the file */
	int64_t size;            /* %l */
	int64_t mtime;           /* %M (seconds) */
	uid_t uid;               /* %U */
	gid_t gid;               /* %G */
	uint32_t iflags;         /* UR_ITEM_* */
	int64_t bytes_xfer;      /* %b: bytes sent/received for this file */
	int64_t checksum_len;    /* reserved for %C; 0 */
	const char *local_name;  /* %f: full path on the side that logs */
};

/*
 * Write the 11-character itemize string for it into buf (size >= 12),
 * exactly as rsync's %i does, including "*deleting  " for deletions.
 */
void ur_itemize_str(const struct ur_item *it, char buf[static 12]);

/*
 * Expand an --out-format FORMAT for it into buf (NUL-terminated, truncated
 * to size). Returns the length written. Supports rsync's escapes %a %b %B
 * %c %C %f %G %h %i %l %L %m %M %n %o %p %P %t %u %U and %%, with the
 * optional field width and '-' flag, and rsync's %'b style separators.
 */
size_t ur_format_item(const struct ur_opts *o, const char *fmt,
		      const struct ur_item *it, char *buf, size_t size);

/*
 * The effective stdout format rsync uses: --out-format if given, else
 * "%i %n%L" with -i, else "%n%L" with -v (info NAME), else NULL.
 * Returns a static or borrowed string.
 */
const char *ur_stdout_format(const struct ur_opts *o);

/* True if fmt contains %i (rsync's stdout_format_has_i). */
bool ur_format_has_i(const char *fmt);

/*
 * Decide whether rsync would print a line for this item (log_item rules:
 * significant changes, -ii and NAME2 show unchanged files, etc.) and if so
 * print it to out with a trailing newline. Called for every file the
 * generator looks at, with iflags already final.
 */
void ur_report_item(const struct ur_opts *o, FILE *out, const struct ur_item *it);

/* Counters for --stats, named as in rsync's output. */
struct ur_stats {
	int64_t num_files, num_reg, num_dir, num_link, num_dev, num_special;
	int64_t created_files, created_reg, created_dir, created_link, created_dev, created_special;
	int64_t deleted_files, deleted_reg, deleted_dir, deleted_link, deleted_dev, deleted_special;
	int64_t xferred_files;       /* Number of regular files transferred */
	int64_t total_size;          /* Total file size (reg sizes + symlink target lengths) */
	int64_t total_transferred_size;
	int64_t literal_data;
	int64_t matched_data;
	int64_t flist_size;
	double flist_buildtime;      /* seconds */
	double flist_xfertime;       /* seconds */
	int64_t total_written;       /* Total bytes sent */
	int64_t total_read;          /* Total bytes received */
	double elapsed;              /* seconds, for bytes/sec */
};

/*
 * Print the end-of-run report as rsync does for the given options: the
 * --stats block (info STATS2+) and the "sent N bytes  received N bytes  N
 * bytes/sec" / "total size is N  speedup is N.NN" lines (info STATS1+),
 * honouring -h levels and rsync's " (DRY RUN)" suffix.
 */
void ur_report_stats(const struct ur_opts *o, FILE *out, const struct ur_stats *st);

/*
 * Format n as rsync's human_num() would at -h level `level` (0: digits with
 * no separators... see rsync's do_big_num rules) into buf. Returns buf.
 */
const char *ur_human_num(int level, int64_t n, char *buf, size_t size);

/* --progress: the per-file progress line (info PROGRESS1) and the total
 * line (info PROGRESS2). Call update while copying and end when done. */
struct ur_progress {
	int64_t start_ns, last_ns;
	int64_t ofs_at_last;
	int64_t total_size;          /* progress2: total of the transfer */
	int64_t total_done;
	int64_t xfer_num, xfer_left; /* "xfr#N, to-chk=L/T" */
	int64_t flist_count;
};
void ur_progress_update(const struct ur_opts *o, FILE *out, struct ur_progress *p,
			int64_t ofs, int64_t size, bool is_last);

#endif
