/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_ENGINE_H
#define UR_ENGINE_H

/*
 * The three roles of a transfer (DESIGN.md "One engine, two channels").
 *
 *   sender     walks the source into file-list segments (engine/sender.c)
 *   generator  compares each entry with the destination, creates dirs,
 *              links and devices, fixes attributes, deletes, and asks for
 *              regular files to be sent (engine/generator.c)
 *   receiver   writes a requested file to a temporary name, applies its
 *              attributes and renames it into place (engine/receiver.c)
 *
 * The generator reaches the sender and receiver only through struct
 * ur_chan. For a local copy the channel is a direct call that hands the
 * receiver the sender's open descriptor; the wire protocol issue adds a
 * channel that encodes the same requests as rsync's byte stream.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "checksum/checksum.h"
#include "opts/opts.h"
#include "report/report.h"
#include "flist/flist.h"
#include "proto/handshake.h"

struct ur_io;
struct ur_dir;
struct ur_stat;

/* A source operand after trailing-slash and -R processing. */
struct ur_root {
	char *prefix;   /* directory the entry names are relative to (owned) */
	char *display;  /* the operand as the user wrote it, for messages (borrowed) */
	uint64_t dev;   /* st_dev of the operand, for -x */
	char *top;      /* the entry it lists at the top ("." for "dir/"), owned;
			 * NULL: its directories merge with no other root's */
};

struct ur_engine;
struct ur_hlinks;
struct ur_refdirs;
struct ur_namemap;

/* How the generator asks for a regular file (see top of file). */
struct ur_chan {
	/*
	 * Transfer entry fe of list fl into the destination at dname (relative
	 * to the destination root). `dst_exists` tells the receiver whether a
	 * file of that name is there (for --inplace). The item is reported
	 * (ur_report_transfer_start) once the sender has the file open, as
	 * rsync's receiver logs only what it is sent. Returns 0 on success,
	 * or a negative errno after reporting the error; the engine's exit
	 * code is already updated.
	 */
	int (*send_file)(struct ur_engine *eng, const struct ur_flist *fl,
			 const struct ur_fentry *fe, const char *dname, bool dst_exists,
			 struct ur_item *it, int64_t *bytes);
	/* Optional: the generator itemized fe without a transfer (rsync's
	 * itemize(): over the wire the sender hears of it and echoes it). */
	void (*itemized)(struct ur_engine *eng, const struct ur_flist *fl,
			 const struct ur_fentry *fe, uint32_t iflags, const char *xname);
	/* Optional (-c): does destination file dname hold fe's contents?
	 * Without it the generator compares with the sender's file. */
	bool (*same_contents)(struct ur_engine *eng, const struct ur_flist *fl,
			      const struct ur_fentry *fe, const char *dname);
	/* Optional (--remove-source-files): fe arrived or was up to date;
	 * without it the sender's file is removed here (a local copy). */
	void (*done)(struct ur_engine *eng, const struct ur_flist *fl, const struct ur_fentry *fe);
	/* Optional: dname (relative to the destination) was deleted. */
	void (*deleted)(struct ur_engine *eng, const char *dname, mode_t mode);
};

/* A directory whose times/permissions are fixed once its contents are done. */
struct ur_dirfix {
	char *name;
	uint32_t mode;
	int64_t mtime;
	uint32_t mtime_ns;
	int64_t atime;
	uint32_t atime_ns;
	bool set_mode;
};

/* The destination side of one directory's children, looked up in one
 * batch before they are generated (engine.c dest_scan). */
struct ur_dscan {
	const struct ur_flist *fl; /* the children (entries of this list) */
	struct ur_stat *st;        /* lstat of each entry's name, when res is 0 */
	int *res;                  /* 0 or -errno per entry */
	bool all_missing;          /* a directory this run just made: nothing there */
	bool plain_dir;            /* not set-gid and of group egid: a file made
				    * there belongs to euid:egid (grpid mounts too) */
};

struct ur_engine {
	const struct ur_opts *o;
	const struct ur_chan *chan;
	FILE *out;                /* where names, itemize lines and stats go */
	struct ur_io *io;         /* every file operation of the run (owned by the session) */

	struct ur_root *roots;
	size_t nroots;

	int dest_fd;              /* destination root directory (or its parent for a file DEST) */
	char *dest_path;          /* as printed in messages: absolute path of the destination root */
	char *dest_file;          /* DEST names a single file: its name in dest_fd (owned) */
	bool dest_missing;        /* -n: destination root was not created, all is new */
	bool root_created;        /* the session created the destination root */
	int cur_dfd;              /* destination directory whose children are being
				   * generated, or -1 (then paths from dest_fd) */

	struct ur_stats st;
	int exit_code;            /* highest-priority exit code so far (0, 23, 24, 25...) */
	bool fatal;               /* stop the run (a write error, as rsync's receiver does) */
	bool io_error;            /* the sender saw an error: deletions are skipped */
	mode_t umask;
	bool am_root;
	gid_t *groups;            /* our groups: a non-root user may chgrp only to these */
	int ngroups;
	int64_t deletions;        /* for --max-delete */
	int64_t deletes_skipped;

	struct ur_dirfix *dirfix; /* directories to touch up at the end */
	size_t ndirfix, capdirfix;

	struct ur_flist delayed;  /* --delete-delay/--delete-after: names to delete */
	int64_t start_ns;
	struct ur_progress progress;
	int64_t next_index;       /* rsync's file-list index of the next new entry */
	int64_t cur_index;        /* index of the entry being generated */
	int64_t list_total;       /* --progress: entries in the whole transfer */
	bool quiet_walk;          /* sender: a counting walk, report nothing */
	bool in_backup;           /* removing an old backup: do not back it up */
	char sum_hex[2 * UR_SUM_MAX_LEN + 1]; /* %C of the file just received */
	/* --partial-dir: the file's partial copy, the basis of this transfer
	 * (relative to dest_fd), or NULL: the destination's file */
	const char *basis_name;
	/* ...and its type for the wire's request: rsync's FNAMECMP_PARTIAL_DIR,
	 * or the index of the reference directory it is in */
	uint8_t basis_type;
	/* --copy-dest and friends: copy this reference file (an absolute
	 * path) instead of the sender's, unreported; or NULL */
	const char *ref_source;
	struct ur_refdirs *refs;  /* --compare/copy/link-dest, or NULL (owned) */
	/* --usermap/--groupmap/--chown: the sender's ids to ours, applied to
	 * each entry before it is generated; NULL: none (borrowed) */
	struct ur_namemap *umap, *gmap;
	/* What the reference directories did with the regular file just
	 * generated: -2 left it out (--compare-dest), j >= 0 linked it from
	 * directory j, -1 neither (-H wants to know, in a dry run too) */
	int ref_done;
	struct ur_dscan *scan;    /* the children being generated, or NULL */
	bool dir_made;            /* ur_generate() just made the directory it was given */
	uint32_t euid, egid;      /* who owns the files we create */
	struct ur_finisher *fin;  /* the second thread finishing files, or NULL */
	struct ur_walker *walker; /* the thread listing source dirs ahead, or NULL */

	struct ur_filter_list *filters; /* NULL: no filter options (owned) */
	struct ur_filter_list *rfilters; /* the receiver's copy, per-directory
					  * files read from the destination;
					  * NULL: use filters (owned) */
	bool filter_walking;      /* per-directory merge files are being read */
	uint32_t walk_root;       /* ...under this root */

	/* A role run over the wire: the connection's state, which the engine
	 * never looks into (wire/ owns it and reaches the roles through chan),
	 * and the checksum the two ends negotiated. NULL for a local copy. */
	void *chan_state;
	enum ur_sum_kind xfer_sum;
	struct ur_hlinks *hl;     /* -H in a local copy: groups by device and inode */
	int64_t hl_seq;           /* -H in a local copy: walk order of non-directories */
};

/* Paths for messages: "src/dir/file" relative to the destination, made
 * absolute the way rsync's full_fname() prints it. Returns a static buffer. */
const char *ur_engine_full_dst(struct ur_engine *eng, const char *name);

/* Record an exit code: partial-transfer (23) and vanished (24) merge as rsync
 * does (23 wins), other codes keep the first one. */
void ur_engine_fail(struct ur_engine *eng, int code);
/* --stats: one more entry of the file list ("Number of files", the total
 * size). */
void ur_engine_count_entry(struct ur_engine *eng, const struct ur_fentry *fe);
/* --stats: one more created entry of this type ("Number of created files"). */
void ur_engine_count_created(struct ur_engine *eng, mode_t mode);

/* Read the per-directory rules of the transfer roots once, before the
 * destination is touched. Returns 0 or the exit code (printed). */
int ur_engine_check_root_filters(struct ur_engine *eng, const struct ur_flist *top);

/* Run a transfer of the top-level list (from ur_sender_top) into the
 * destination the session opened. */
int ur_engine_run(struct ur_engine *eng, struct ur_flist *top);

/* sender.c: list the top-level entries of every root into fl (sorted, deduplicated). */
int ur_sender_top(struct ur_engine *eng, struct ur_flist *fl);
/* sender.c: list the contents of directory entry dir (of list parent) into fl. */
int ur_sender_dir(struct ur_engine *eng, const struct ur_flist *parent,
		  const struct ur_fentry *dir, struct ur_flist *fl);
/* sender.c: the source path of fe (in buf of size PATH_MAX). */
const char *ur_sender_path(struct ur_engine *eng, const struct ur_flist *fl,
			   const struct ur_fentry *fe, char *buf, size_t size);
/* sender.c: --remove-source-files after fe was transferred or found up to date. */
void ur_sender_remove(struct ur_engine *eng, const struct ur_flist *fl,
		      const struct ur_fentry *fe);

/* generator.c: examine one entry against the destination and act on it.
 * Returns false when a directory's contents must be skipped. */
bool ur_generate(struct ur_engine *eng, const struct ur_flist *fl, struct ur_fentry *fe);
/* --partial-dir: where dname's partial copy lives (relative to dest_fd,
 * or absolute). 0, or -ENAMETOOLONG. */
int ur_partial_name(const struct ur_engine *eng, const char *dname, char *buf, size_t cap);
/* Remove it, and its directory if that is now empty (a relative one). */
void ur_partial_drop(struct ur_engine *eng, const char *pname);

/* The whole-file checksum kind of a negotiated checksum (protocol 30+:
 * the modern, unseeded MD4). */
enum ur_sum_kind ur_sum_kind_of(enum ur_csum c);

/* The checksum of the transfer: the negotiated one over the wire; locally
 * --checksum-choice's first name, or what two rsync 3.5.0 peers agree on. */
enum ur_sum_kind ur_engine_xfer_kind(const struct ur_engine *eng);
/* %C: the whole-file digest of it (len bytes; "none" leaves the column
 * blank), kept in eng->sum_hex. */
void ur_item_set_sum(struct ur_engine *eng, struct ur_item *it, enum ur_sum_kind kind,
		     const uint8_t *sum, int len);

/* A file failed verification and is about to be received again (rsync's
 * redo): report the attempt that failed (bytes of literal data), count
 * the next one and itemize it against what dname holds now. */
void ur_generate_redo(struct ur_engine *eng, const struct ur_fentry *fe, const char *dname,
		      struct ur_item *it, int64_t bytes);
/* generator.c: -H: make fe a hard link to leader (a destination path that
 * is in place) and report it as rsync does ("hf... NAME => LEADER").
 * leader_ref: the reference directory the leader was linked from, or -1. */
void ur_generate_hlink(struct ur_engine *eng, const struct ur_flist *fl, const struct ur_fentry *fe,
		       const char *leader, int leader_ref);
/* generator.c: apply deferred directory times and modes. */
void ur_generator_finish(struct ur_engine *eng);
/* The destination name of fe: fe's path, or dest_file for a single-file DEST. */
const char *ur_dst_name(struct ur_engine *eng, const struct ur_flist *fl,
			const struct ur_fentry *fe);

/* delete.c: delete what is in destination dir `dname` but not in fl
 * (fl holds dname's sorted children). */
void ur_delete_in_dir(struct ur_engine *eng, const char *dname, const struct ur_flist *fl);
/* delete.c: remove one destination item (recursively for dirs when allowed),
 * reporting each deletion. for_type is what will replace it (0: nothing).
 * Returns 0 or a negative errno. */
int ur_delete_item(struct ur_engine *eng, const char *dname, mode_t mode, mode_t for_type);
/* delete.c: run the deletions recorded for --delete-delay/-after. */
void ur_delete_flush(struct ur_engine *eng);

/* How a backup is made: a deleted file is renamed away, a replaced one
 * hard-linked (the new file's rename then takes the name), and one about
 * to be overwritten in place (--inplace) copied. */
enum ur_backup_how { UR_BACKUP_RENAME, UR_BACKUP_LINK, UR_BACKUP_COPY };

/* backup.c: keep dname's current version before it is replaced or deleted.
 * Returns 1 (renamed, or nothing there), 2 (the original still exists) or
 * 0 after reporting a failure. */
int ur_backup(struct ur_engine *eng, const char *dname, enum ur_backup_how how);
/* Is dname itself a backup (NAME+SUFFIX beside its original)? */
bool ur_is_backup_name(const struct ur_engine *eng, const char *dname);

/* Where ur_receive_file() gets a file's data: the sender's file for a
 * local copy, the token stream over the wire. */
struct ur_source {
	/* Get ready to deliver fe; 0, or -errno after reporting. */
	int (*open)(struct ur_source *s, struct ur_engine *eng, const struct ur_flist *fl,
		    const struct ur_fentry *fe);
	/* Write the data to out: bytes written, or -errno with *which 1 for a
	 * failed write (not yet reported) and 0 for a failure of the source
	 * (already reported). May set it->sum_hex. */
	int64_t (*copy)(struct ur_source *s, struct ur_engine *eng, int out, int64_t size,
			int *which, struct ur_item *it);
	void (*close)(struct ur_source *s);
	/* Optional: consume the data without writing it (the file could not
	 * be created, but the stream must stay in step). */
	void (*discard)(struct ur_source *s, struct ur_engine *eng);
};

/* receiver.c: write fe from src to a temporary file beside dname (or in
 * place, or in --temp-dir), set its attributes and rename it into place. */
int ur_receive_file(struct ur_engine *eng, const struct ur_flist *fl, const struct ur_fentry *fe,
		    const char *dname, bool dst_exists, struct ur_item *it, int64_t *bytes,
		    struct ur_source *src);

/* finisher.c: close and rename received files on a second thread, many
 * to a batch. Is it safe for this run's options? */
bool ur_finisher_wanted(const struct ur_engine *eng);
/* Start the thread (eng->fin). Returns 0 or -errno (then run without). */
int ur_finisher_start(struct ur_engine *eng);
/* Hand over a complete temp file: out (fsync'ed under --fsync) is closed,
 * tmp renamed to dname (both relative to dest_fd), in closed. Takes both
 * descriptors on success; reports earlier failures. Returns 0 or -ENOMEM
 * (then nothing was taken). */
int ur_finisher_queue(struct ur_engine *eng, int out, int in, const char *tmp, const char *dname);
/* Wait until everything queued is done and report failures. */
void ur_finisher_flush(struct ur_engine *eng);
/* Flush, end the thread, free eng->fin; NULL fin does nothing. */
void ur_finisher_stop(struct ur_engine *eng);
/* From a signal handler: stop the finisher and give the files still in its
 * queue (complete, attributes set) their names. Async-signal-safe. */
void ur_finisher_interrupted(void);

/* The file being received, for a signal's cleanup (engine/interrupt.c):
 * temp tmp in tdirfd, written through out; keep (relative to dest_fd, or
 * NULL) is where --partial/--partial-dir put what arrived, dated 1970 when
 * zero_mtime and owned by uid:gid (-1: left alone) as rsync's
 * finish_transfer() sets them; partial_dir: keep's directory is made
 * first. The strings are copied. */
void ur_interrupt_track(int tdirfd, int out, const char *tmp, int dest_fd, const char *keep,
			bool partial_dir, bool zero_mtime, uid_t uid, gid_t gid);
/* The tracked file was renamed, queued or cleaned up: nothing to do. */
void ur_interrupt_untrack(void);
/* rsync's exit_cleanup() for the receiving side, from a signal handler
 * (SIGINT, SIGTERM, SIGHUP): the tracked file is kept as a partial copy
 * or removed, the finisher's queue renamed. Async-signal-safe; the caller
 * exits next. */
void ur_engine_interrupted(void);

/* walker.c: one source directory as listed ahead (names and lstats). */
struct ur_listing {
	int err;             /* opening it failed: -errno (nothing else is set) */
	int read_err;        /* reading it failed part way: -errno */
	struct ur_dir *dir;  /* open, for the *at() calls on its entries */
	size_t n;
	char *names;         /* entry i's name is names + off[i] */
	size_t *off;
	struct ur_stat *st;  /* lstat of entry i when res[i] is 0 */
	int *res;
};
void ur_listing_free(struct ur_listing *l);
/* Start the thread (eng->walker). Returns 0 or -errno (then list inline). */
int ur_walker_start(struct ur_engine *eng);
/* Ask for these source directories, in the order they will be listed,
 * before anything asked earlier; owner groups them for ur_walker_drop. */
int ur_walker_ahead(struct ur_engine *eng, const void *owner, const char *const *paths, size_t n);
/* The listing of path if it was asked for (waiting if it is being read);
 * NULL when not asked or not started yet (list it yourself). The caller
 * owns the result (ur_listing_free). */
struct ur_listing *ur_walker_take(struct ur_engine *eng, const char *path);
/* Forget what owner asked for and did not take. */
void ur_walker_drop(struct ur_engine *eng, const void *owner);
/* End the thread and free everything; NULL walker does nothing. */
void ur_walker_stop(struct ur_engine *eng);

/* receiver.c: the local channel. */
extern const struct ur_chan ur_local_chan;

#define UR_ATTR_ACCURATE (1 << 0)   /* compare mtimes to the nanosecond (after a transfer) */
#define UR_ATTR_SKIP_MTIME (1 << 1) /* leave times alone */
#define UR_ATTR_FORCE_MTIME (1 << 2) /* set the mtime even without -t */

/* Set owner, times and mode of dname from fe (fe->mode is the final mode),
 * as the options ask. fd is an open descriptor of the file or -1; cur its
 * current stat or NULL to look. Returns 0 or negative errno (reported). */
int ur_set_attrs(struct ur_engine *eng, const char *dname, int fd,
		 const struct ur_fentry *fe, const struct stat *cur, int flags);

/* Is the transfer-relative name excluded on this side (filters, if any)? */
bool ur_excluded(struct ur_engine *eng, const char *name, bool is_dir, int side, unsigned flags);

/* Can we give a file group gid? (rsync skips the change when not.) */
bool ur_can_chgrp(const struct ur_engine *eng, gid_t gid);

/* --list-only: print fe as rsync lists a file (`ls -l` style). */
void ur_list_entry(struct ur_engine *eng, const struct ur_flist *fl, const struct ur_fentry *fe);

/* Monotonic clock in nanoseconds. */
int64_t ur_now_ns(void);

#endif
