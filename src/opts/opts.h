/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_OPTS_H
#define UR_OPTS_H

#include <stdbool.h>
#include <stdint.h>

#include "io/io_policy.h"

/* --info flags, in rsync's order (`rsync --info=help`). */
enum ur_info {
	UR_INFO_BACKUP, UR_INFO_COPY, UR_INFO_DEL, UR_INFO_FLIST, UR_INFO_MISC,
	UR_INFO_MOUNT, UR_INFO_NAME, UR_INFO_NONREG, UR_INFO_PROGRESS,
	UR_INFO_REMOVE, UR_INFO_SKIP, UR_INFO_STATS, UR_INFO_SYMSAFE,
	UR_INFO_COUNT
};

/* --debug flags, in rsync's order (`rsync --debug=help`). */
enum ur_debug {
	UR_DEBUG_ACL, UR_DEBUG_BACKUP, UR_DEBUG_BIND, UR_DEBUG_CHDIR,
	UR_DEBUG_CONNECT, UR_DEBUG_CMD, UR_DEBUG_DEL, UR_DEBUG_DELTASUM,
	UR_DEBUG_DUP, UR_DEBUG_EXIT, UR_DEBUG_FILTER, UR_DEBUG_FLIST,
	UR_DEBUG_FUZZY, UR_DEBUG_GENR, UR_DEBUG_HASH, UR_DEBUG_HLINK,
	UR_DEBUG_ICONV, UR_DEBUG_IO, UR_DEBUG_NSTR, UR_DEBUG_OWN, UR_DEBUG_PROTO,
	UR_DEBUG_RECV, UR_DEBUG_SEND, UR_DEBUG_TIME,
	UR_DEBUG_COUNT
};

enum ur_delete_when {
	UR_DEL_NONE = 0,
	UR_DEL_BEFORE,
	UR_DEL_DURING,   /* rsync's default timing for plain --delete */
	UR_DEL_DELAY,
	UR_DEL_AFTER,
};

/* One --chmod clause list, parsed by meta/chmod.c; opaque here. */
struct ur_chmod;

/* A filter given on the command line, in order (filter/ consumes them). */
enum ur_filter_kind {
	UR_FARG_RULE,            /* -f/--filter RULE, -F, --old-dirs' rule */
	UR_FARG_EXCLUDE,         /* --exclude=PATTERN */
	UR_FARG_INCLUDE,         /* --include=PATTERN */
	UR_FARG_EXCLUDE_FROM,    /* --exclude-from=FILE */
	UR_FARG_INCLUDE_FROM,    /* --include-from=FILE */
};
struct ur_filter_arg {
	enum ur_filter_kind kind;
	const char *arg;         /* borrowed from argv or a string literal */
};

/* Which of --compare-dest/--copy-dest/--link-dest was given (only one kind
 * may be). */
enum ur_alt_dest { UR_ALT_NONE = 0, UR_ALT_COMPARE, UR_ALT_COPY, UR_ALT_LINK };
#define UR_MAX_BASIS_DIRS 20
#define UR_MAX_REMOTE_OPTS 32

/*
 * Everything the command line says, after rsync's implications are applied
 * (-a => -rlptgoD, -P => --partial --progress, -v => info/debug levels, ...).
 * Tri-state ints are -1 for "not given" where rsync's default depends on
 * other options. Strings borrow from argv (a few from the environment or
 * string literals: RSYNC_PARTIAL_DIR, RSYNC_ICONV, defaults) unless noted.
 */
struct ur_opts {
	/* verbosity and output */
	int verbose;                     /* count of -v */
	int quiet;                       /* count of -q */
	unsigned char info[UR_INFO_COUNT];
	unsigned char debug[UR_DEBUG_COUNT];
	int itemize;                     /* count of -i */
	const char *out_format;          /* --out-format/--log-format, or NULL */
	bool stats;                      /* --stats given (also sets info STATS2) */
	int human_readable;              /* count of -h (when not alone => help);
	                                  * rsync's level is human_level below */
	bool eight_bit_output;           /* -8 */
	const char *log_file;
	const char *log_file_format;
	int stderr_mode;                 /* 0 errors, 1 all, 2 client */
	int outbuf;                      /* 0 default, 'N', 'L', 'B' */

	/* what to transfer */
	bool recursive;                  /* -r */
	int xfer_dirs;                   /* rsync's final value, used as a bool:
	                                  * 0 none, 2 -d alone, 1 with -r or
	                                  * --list-only (see options.c) */
	bool relative;                   /* -R */
	bool implied_dirs;               /* default true; --no-implied-dirs */
	int inc_recursive;               /* -1 default (on), 0/1 explicit */
	bool links;                      /* -l */
	bool copy_links;                 /* -L */
	bool copy_unsafe_links;
	bool safe_links;
	bool munge_links;
	bool copy_dirlinks;              /* -k */
	bool keep_dirlinks;              /* -K */
	bool hard_links;                 /* -H */
	bool perms;                      /* -p */
	bool executability;              /* -E */
	struct ur_chmod *chmod;          /* --chmod, owned */
	bool acls;                       /* -A */
	bool xattrs;                     /* -X */
	bool owner;                      /* -o */
	bool group;                      /* -g */
	bool numeric_ids;
	bool devices;                    /* --devices / -D */
	bool specials;                   /* --specials / -D */
	bool copy_devices;
	bool write_devices;
	bool times;                      /* -t */
	bool atimes;                     /* -U */
	bool crtimes;                    /* -N */
	bool omit_dir_times;             /* -O */
	bool omit_link_times;            /* -J */
	bool open_noatime;
	int am_root;                     /* --super: 1, --no-super: 0, -1 default (euid==0) */
	bool fake_super;
	bool sparse;                     /* -S */
	bool preallocate;
	bool fsync;

	/* how to decide and update */
	bool dry_run;                    /* -n */
	int whole_file;                  /* -1 default (local: on), 0 --no-W, 1 -W */
	bool checksum;                   /* -c */
	bool size_only;
	bool ignore_times;               /* -I */
	int modify_window;               /* -@ (negative: nanosecond-exact) */
	bool modify_window_set;
	bool update;                     /* -u */
	bool ignore_non_existing;        /* --existing */
	bool ignore_existing;
	int64_t min_size;                /* -1 unset */
	int64_t max_size;                /* -1 unset */
	int one_file_system;             /* count of -x */
	bool inplace;
	bool append;
	bool append_verify;
	bool partial;
	const char *partial_dir;
	bool delay_updates;
	const char *temp_dir;            /* -T */
	bool mkpath;
	bool list_only;
	bool ignore_missing_args;
	bool delete_missing_args;
	bool remove_source_files;
	bool prune_empty_dirs;           /* -m */

	/* deletion */
	enum ur_delete_when delete_mode; /* UR_DEL_NONE unless some --delete* given */
	bool delete_excluded;
	int max_delete;                  /* -1 unset; 0 means "warn, delete none" as rsync */
	bool force;
	bool ignore_errors;

	/* backups and reference dirs */
	bool backup;                     /* -b */
	const char *backup_dir;
	const char *suffix;              /* NULL: "~" unless backup_dir given */

	/* remote and session */
	const char *rsh;                 /* -e, else RSYNC_RSH, else "ssh" when needed */
	const char *rsync_path;
	int protocol;                    /* 0 = newest (32) */
	int port;                        /* 0 = default 873 */
	int timeout;
	int contimeout;
	const char *address;
	int ipv;                         /* 0, 4 or 6 */
	bool blocking_io;
	bool server;                     /* --server */
	bool sender;                     /* --sender (with --server) */
	bool daemon;                     /* --daemon */
	const char *config;              /* --config */
	const char *password_file;
	bool no_motd;
	const char *remote_opts[32];     /* -M, in order */
	int remote_opt_count;
	bool old_args;
	bool secluded_args;
	bool from0;

	/* filters (filter/ arrives in its own issue: given rules are recorded
	 * here in order so that issue can consume them) */
	bool cvs_exclude;

	/* compression and checksums (the delta issue) */
	int compress;                    /* count of -z */
	int compress_level;              /* -1 unset */
	const char *compress_choice;
	const char *checksum_choice;
	int checksum_seed;
	int block_size;                  /* 0 unset */

	/* fastio */
	enum ur_io_policy io_policy;

	/* operands: all but the last are sources unless there is only one */
	char **args;                     /* borrowed from argv */
	int nargs;

	/* ---- appended by the cli issue; all parsed as rsync 3.5.0 does ---- */
	int human_level;                 /* rsync's human_readable: 0 --no-h,
	                                  * 1 default (digit separators), 2 -h
	                                  * (units of 1000), 3 -hh (1024) */
	const char *stdout_format;       /* effective: out_format, else "%i %n%L"
	                                  * with -i, else "%n%L" with info NAME1+,
	                                  * else NULL (static or borrowed) */
	bool log_before_transfer;        /* stdout_format has no %b/%c/%C */
	int xattrs_count;                /* count of -X (-XX also copies rsync.%) */
	int hard_links_count;            /* count of -H */
	bool drop_devices;               /* --drop-D */
	const char *confine_root;        /* --confine-root=DIR */
	bool insecure_links;             /* --insecure-links */
	bool trust_sender;               /* --trust-sender */
	bool old_dirs;                   /* --old-dirs (a filter rule was added:
	                                  * "- /STAR/STAR", STAR being '*') */
	int fuzzy;                       /* count of -y; -yy: basis_dir_count + 1 */
	enum ur_alt_dest alt_dest;
	const char *basis_dirs[UR_MAX_BASIS_DIRS]; /* --*-dest DIRs, borrowed */
	int basis_dir_count;
	char *usermap;                   /* --usermap, or "*:USER" from --chown; owned */
	char *groupmap;                  /* --groupmap, or "*:GROUP" from --chown; owned */
	struct ur_filter_arg *filters;   /* owned array (strings are not); rsync
	                                  * also protects "*SUFFIX" from deletion
	                                  * when -b and --delete are given without
	                                  * --backup-dir or --delete-excluded: that
	                                  * rule is left to filter/ to add */
	int filter_count;
	const char *files_from;          /* --files-from=FILE ("-" = stdin) */
	int64_t max_alloc;               /* bytes; default 1 GiB, INT64_MAX = no limit */
	int bwlimit;                     /* KiB/s as rsync rounds it; 0 = none */
	int64_t stop_at;                 /* --stop-after/--stop-at as a time_t; 0 = none */
	const char *skip_compress;
	int compress_threads;
	const char *copy_as;
	const char *early_input;
	const char *sockopts;
	const char *iconv;               /* --iconv or RSYNC_ICONV; NULL = none */
	const char *batch_name;          /* --write-batch/--only-write-batch/--read-batch */
	int write_batch;                 /* 1 --write-batch, -1 --only-write-batch */
	bool read_batch;
	bool use_qsort;                  /* --qsort */
	int old_args_level;              /* count of --old-args (rsync's old_style_args) */
	bool remove_sent_files;          /* the deprecated --remove-sent-files spelling */
	/* --daemon mode */
	bool no_detach;
	const char *dparams[UR_MAX_REMOTE_OPTS]; /* -M/--dparam in daemon mode */
	int dparam_count;
	int daemon_bwlimit;
	/* ---- appended by the remote-shell issue (what the server args need) ---- */
	const char *client_info;         /* --server: the -e value, the client's
	                                  * capability letters (".iLsfxCIvu"),
	                                  * "" when -e was absent; else NULL */
	bool list_only_opt;              /* --list-only itself was given */
	unsigned char info_user[UR_INFO_COUNT]; /* 1: level set by --info (rsync's
	                                  * USER_PRIORITY), forwarded to the server */
	int compress_z;                  /* -z count as given (before --zc and
	                                  * --zl adjust o->compress) */
	const char *max_alloc_arg;       /* --max-alloc or RSYNC_MAX_ALLOC text */
	int atimes_count;                /* count of -U */
	bool delete_when_given;          /* --delete-before/-during/-delay/-after
	                                  * or --del named the timing (rsync
	                                  * forwards plain --delete otherwise) */
};

#define UR_INFO_GTE(o, f, n) ((o)->info[UR_INFO_##f] >= (n))
#define UR_DEBUG_GTE(o, f, n) ((o)->debug[UR_DEBUG_##f] >= (n))

/* --max-alloc when none is given (rsync's default, 1 GiB). */
#define UR_DEFAULT_MAX_ALLOC ((int64_t)1 << 30)

/* Set rsync's defaults (everything off, implied dirs on, tri-states -1). */
void ur_opts_init(struct ur_opts *o);
/* Free what ur_opts owns (chmod list, usermap, groupmap, filters); o
 * itself is the caller's. */
void ur_opts_release(struct ur_opts *o);

#endif
