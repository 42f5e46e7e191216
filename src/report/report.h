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
#include <sys/stat.h>
#include <sys/types.h>

#include "opts/opts.h"
#include "proto/item.h"

/* Item flags: the 16 that cross the wire are rsync's values, defined with
 * their codec in proto/item.h; these three stay on this side. */
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
	int64_t checksum_len;    /* %C: digest length in bytes when no sum is
				  * shown (blank column of 2*len); 0 means 16 */
	const char *local_name;  /* %f: full path on the side that logs */

	/* Added for the formatter; zero is the common local-copy case. */
	unsigned char side;      /* enum ur_item_side: %o and the '<'/'>' of %i */
	bool no_symlink_times;   /* receiver cannot set symlink times: 'T' */
	bool time_failed;        /* symlink time could not be set (FLAG_TIME_FAILED) */
	bool skip_group;         /* group not settable by us: %G "DEFAULT", no 'g' */
	int32_t mtime_nsec;      /* for ur_itemize_attrs with --modify-window=-1 */
	int64_t atime;           /* for ur_itemize_attrs with -U */
	int64_t checksum_bytes;  /* %c: block-checksum bytes for this file */
	const char *sum_hex;     /* %C: whole-file checksum in hex, or NULL */
	const struct ur_report_daemon *daemon; /* %a %h %m %P %u; NULL unless a daemon logs */
};

/* Who logs the item: a local copy (rsync's client is the sender, "send",
 * '>'), the sending side of a remote transfer ("send", '<'), or the
 * receiving side ("recv", '>'). */
enum ur_item_side { UR_SIDE_LOCAL = 0, UR_SIDE_SENDER, UR_SIDE_RECEIVER };

/* Daemon session facts for %a %h %m %P %u. Outside a daemon rsync prints
 * %a %h %P %u literally and %m as "". All borrowed. */
struct ur_report_daemon {
	const char *addr, *host, *module, *module_path, *auth_user;
};

/*
 * Write the 11-character itemize string for it into buf (size >= 12),
 * exactly as rsync's %i does, including "*deleting  " for deletions.
 */
void ur_itemize_str(const struct ur_item *it, char buf[static 12]);

/* The bits of iflags that count as a change (rsync's SIGNIFICANT_ITEM_FLAGS
 * over the 16 wire bits): all but BASIS_TYPE_FOLLOWS, XNAME_FOLLOWS and
 * LOCAL_CHANGE. */
uint32_t ur_item_significant(uint32_t iflags);

/*
 * As ur_itemize_str, honouring the options that change the string: without
 * -t (o->times) a time change shows 'T', not 't'. ur_itemize_str assumes -t.
 */
void ur_itemize_opts_str(const struct ur_opts *o, const struct ur_item *it,
			 char buf[static 12]);

/*
 * The attribute half of rsync's generator itemize(): compare the sender's
 * view of the file in it (mode, size, mtime, mtime_nsec, atime, uid, gid,
 * hlink_target, time_failed, skip_group) with the destination's stat dst
 * (NULL when the item does not exist there) and return iflags plus the
 * UR_ITEM_REPORT_SIZE/TIME/TIMEFAIL/ATIME/PERMS/OWNER/GROUP bits and
 * UR_ITEM_IS_NEW, masked to the 16 bits rsync sends. The caller ORs in
 * ACL, xattr and crtime bits, and passes UR_ITEM_TRANSFER,
 * UR_ITEM_LOCAL_CHANGE, UR_ITEM_XNAME_FOLLOWS and UR_ITEM_MATCHED in iflags
 * as rsync's callers do (they decide the 'T' of a transfer without -t).
 */
uint32_t ur_itemize_attrs(const struct ur_opts *o, const struct ur_item *it,
			  const struct stat *dst, uint32_t iflags);

/*
 * Expand an --out-format FORMAT for it into buf (NUL-terminated, truncated
 * to size). Returns the length written. Supports rsync's escapes %a %b %B
 * %c %C %f %G %h %i %l %L %m %M %n %o %p %P %t %u %U and %%, with the
 * optional field width and '-' flag, and rsync's %'b style separators.
 */
size_t ur_format_item(const struct ur_opts *o, const char *fmt,
		      const struct ur_item *it, char *buf, size_t size);

/*
 * The effective stdout format rsync uses: o->stdout_format when the cli
 * has settled it, else --out-format if given, else
 * "%i %n%L" with -i, else "%n%L" with -v (info NAME), else NULL.
 * Returns a static or borrowed string.
 */
const char *ur_stdout_format(const struct ur_opts *o);

/* True if fmt contains %i (rsync's stdout_format_has_i). */
bool ur_format_has_i(const char *fmt);

/* True if fmt contains the escape %<esc> (widths and ' flags skipped). */
bool ur_format_has(const char *fmt, char esc);

/*
 * rsync's stdout_format_has_i level: 0 without %i; with --out-format
 * containing %i, the -i count | 1; with -i and no --out-format, the -i
 * count. Above 1 unchanged items are shown too.
 */
int ur_stdout_has_i(const struct ur_opts *o);

/*
 * True when rsync logs a transferred file before its data moves
 * (log_before_transfer): a stdout format without %b %c %C, on the client.
 */
bool ur_report_before_transfer(const struct ur_opts *o);

/*
 * Decide whether rsync would print a line for this item (log_item rules:
 * significant changes, -ii and NAME2 show unchanged files, etc.) and if so
 * print it to out with a trailing newline. Called for every file the
 * generator looks at, with iflags already final.
 */
void ur_report_item(const struct ur_opts *o, FILE *out, const struct ur_item *it);
/*
 * Notes on ur_report_item: for an item with UR_ITEM_DELETED it prints what
 * rsync's log_delete() prints ("deleting %n", or the format when it has %i
 * or %o). For an item with UR_ITEM_TRANSFER it prints the line
 * unconditionally (rsync's log_item); an engine that moves data should
 * instead call ur_report_transfer_start() before and ur_report_transfer_end()
 * after, so %b is known and --progress lines interleave as rsync's do.
 * Without %i at -vv it also prints the generator's "NAME is uptodate" /
 * "NAME" lines for unchanged non-directories. Output is suppressed by -q
 * and on a --server; names are escaped as rsync escapes them (see
 * ur_report_write).
 */
void ur_report_transfer_start(const struct ur_opts *o, FILE *out, const struct ur_item *it);
void ur_report_transfer_end(const struct ur_opts *o, FILE *out, const struct ur_item *it);

/*
 * Write len bytes of s to out as rsync's rwrite() does for the terminal:
 * control characters other than tab, bytes that are not valid in the
 * locale's charset (unless eight_bit, -8) and the backslash of a literal
 * "\#ddd" become "\#ooo" octal escapes. A pending progress line is ended
 * first. The charset is the environment's LC_CTYPE (rsync always calls
 * setlocale(LC_CTYPE, "")), read directly, whatever the global locale is.
 */
void ur_report_write(FILE *out, const char *s, size_t len, bool eight_bit);

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
	/* Added: */
	int protocol;                /* negotiated protocol; 0 = o->protocol or 32 */
	bool batch_only;             /* " (BATCH ONLY)"; also when o->write_batch < 0 */
};
/*
 * Units as rsync prints them: the flist times are shown in whole
 * milliseconds and the two "File list ... time" lines only when
 * flist_buildtime is non-zero (a non-zero value under 1 ms shows 0.001, the
 * floor rsync's builder applies). elapsed is truncated to whole seconds
 * (rsync subtracts two time(NULL) readings) and the rate is
 * (sent + received) / (0.5 + seconds); a negative elapsed prints "UNKNOWN".
 * The reg count is num_files minus the other four, as rsync computes it.
 */

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

/* rsync's do_big_dnum(): n with `decimals` digits after the point, grouped
 * or in units as ur_human_num. Returns buf. */
const char *ur_human_dnum(int level, double n, int decimals, char *buf, size_t size);

/*
 * rsync's human_readable level for o (o->human_level): 0 --no-h, 1 by
 * default (digit grouping), 2 for -h (units of 1000), 3+ for -hh (1024).
 */
int ur_human_level(const struct ur_opts *o);

/* --progress: the per-file progress line (info PROGRESS1) and the total
 * line (info PROGRESS2). Call update while copying and end when done. */
struct ur_progress {
	int64_t start_ns, last_ns;
	int64_t ofs_at_last;
	int64_t total_size;          /* progress2: total of the transfer */
	int64_t total_done;
	int64_t xfer_num, xfer_left; /* "xfr#N, to-chk=L/T" */
	int64_t flist_count;
	/* Added: */
	int64_t (*clock_ns)(void);   /* NULL: CLOCK_MONOTONIC; tests inject one */
	bool flist_incomplete;       /* incremental list still growing: "ir-chk" */
	bool started;                /* rsync's ph_start is set (start_ns, start_ofs) */
	int64_t start_ofs;
	bool have_hist;
	int hist_new, hist_old;      /* rsync's 5-entry, 1-second rate history */
	int64_t hist_ns[5], hist_ofs[5];
	int p2_last_len;             /* progress2: longest tail so far (padding) */
};
/*
 * Semantics follow rsync's show_progress()/end_progress(): call with
 * is_last false while a file's data moves (ofs bytes of size; the first
 * call starts the clock and prints, later ones print at most once a
 * second), then once with is_last true, which prints the final line with
 * the average rate, elapsed time and " (xfr#N, to-chk=L/T)\n". Set
 * xfer_num (files transferred so far, this one included), xfer_left,
 * flist_count, and for --info=progress2 total_size (rsync's total_size)
 * and total_done (sizes of the files transferred so far, this one
 * included). Zero-initialise the struct once per run.
 */
void ur_progress_update(const struct ur_opts *o, FILE *out, struct ur_progress *p,
			int64_t ofs, int64_t size, bool is_last);

/* rsync's output_needs_newline: if a progress line without its newline is
 * on the terminal, write the '\n' now. Every ur_report_* output does this. */
void ur_progress_break_line(FILE *out);

#endif
