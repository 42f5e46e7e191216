/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The --help and --daemon --help texts. The option list and its wording
 * are what rsync 3.5.0 shows its users (ursync accepts the same options),
 * plus our own --io-uring/--no-io-uring.
 */
#include "cli/cli_int.h"
#include "opts/opts.h"
#include "util/log.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct help_row {
	const char *opt; /* "" continues the previous row's description */
	const char *desc;
};

/* clang-format off */
static const struct help_row main_rows[] = {
	{"--verbose, -v", "increase verbosity"},
	{"--info=FLAGS", "fine-grained informational verbosity"},
	{"--debug=FLAGS", "fine-grained debug verbosity"},
	{"--stderr=e|a|c", "change stderr output mode (default: errors)"},
	{"--quiet, -q", "suppress non-error messages"},
	{"--no-motd", "suppress daemon-mode MOTD"},
	{"--checksum, -c", "skip based on checksum, not mod-time & size"},
	{"--archive, -a", "archive mode is -rlptgoD (no -A,-X,-U,-N,-H)"},
	{"--no-OPTION", "turn off an implied OPTION (e.g. --no-D)"},
	{"--recursive, -r", "recurse into directories"},
	{"--inc-recursive, --i-r", "enable incremental recursion"},
	{"--no-inc-recursive", "disable incremental recursion"},
	{"--no-i-r", "same as --no-inc-recursive"},
	{"--relative, -R", "use relative path names"},
	{"--no-implied-dirs", "don't send implied directories with --relative"},
	{"--backup, -b", "make backups (see --suffix & --backup-dir)"},
	{"--backup-dir=DIR", "make backups into hierarchy based in DIR"},
	{"--suffix=SUFFIX", "backup suffix (default ~ w/o --backup-dir)"},
	{"--update, -u", "skip files that are newer on the receiver"},
	{"--inplace", "update destination files in-place"},
	{"--append", "append data onto shorter files"},
	{"--append-verify", "--append w/old data in file checksum"},
	{"--dirs, -d", "transfer directories without recursing"},
	{"--old-dirs", "works like --dirs when talking to old rsync"},
	{"--old-d", "same as --old-dirs"},
	{"--mkpath", "create destination's missing path components"},
	{"--links, -l", "copy symlinks as symlinks"},
	{"--copy-links, -L", "transform symlink into referent file/directory"},
	{"--copy-unsafe-links", "only \"unsafe\" symlinks are transformed"},
	{"--safe-links", "ignore symlinks that point outside the tree"},
	{"--insecure-links", "follow attacker-owned symlinks in operator paths"},
	{"--confine-root=DIR", "refuse operator paths resolving outside DIR"},
	{"--munge-links", "munge symlinks to make them safe & unusable"},
	{"--copy-dirlinks, -k", "transform symlink to directory into referent directory"},
	{"--keep-dirlinks, -K", "treat symlinked directory on receiver as directory"},
	{"--hard-links, -H", "preserve hard links"},
	{"--perms, -p", "preserve permissions"},
	{"--executability, -E", "preserve executability"},
	{"--chmod=CHMOD", "affect file and/or directory permissions"},
	{"--acls, -A", "preserve ACLs (implies --perms)"},
	{"--xattrs, -X", "preserve extended attributes"},
	{"--owner, -o", "preserve owner (super-user only)"},
	{"--group, -g", "preserve group"},
	{"--devices", "preserve device files (super-user only)"},
	{"--copy-devices", "copy device contents as a regular file"},
	{"--write-devices", "write to devices as files (implies --inplace)"},
	{"--specials", "preserve special files"},
	{"--drop-D", "receiver refuses to create devices/specials"},
	{"-D", "same as --devices --specials"},
	{"--times, -t", "preserve modification times"},
	{"--atimes, -U", "preserve access (use) times"},
	{"--open-noatime", "avoid changing the atime on opened files"},
	{"--crtimes, -N", "preserve create times (newness)"},
	{"--omit-dir-times, -O", "omit directories from --times"},
	{"--omit-link-times, -J", "omit symlinks from --times"},
	{"--super", "receiver attempts super-user activities"},
	{"--fake-super", "store/recover privileged attrs using xattrs"},
	{"--sparse, -S", "turn sequences of nulls into sparse blocks"},
	{"--preallocate", "allocate dest files before writing them"},
	{"--dry-run, -n", "perform a trial run with no changes made"},
	{"--whole-file, -W", "copy files whole (w/o delta-xfer algorithm)"},
	{"--no-whole-file, --no-W", "use the delta-xfer algorithm"},
	{"--checksum-choice=STR", "choose the checksum algorithm (aka --cc)"},
	{"--one-file-system, -x", "don't cross filesystem boundaries"},
	{"--block-size=SIZE, -B", "force a fixed checksum block-size"},
	{"--rsh=COMMAND, -e", "specify the remote shell to use"},
	{"--rsync-path=PROGRAM", "specify the rsync to run on remote machine"},
	{"--existing", "skip creating new files on receiver"},
	{"--ignore-non-existing", "skip creating new files on receiver"},
	{"--ignore-existing", "skip updating files that exist on receiver"},
	{"--remove-source-files", "sender removes synchronized files (non-directory)"},
	{"--del", "an alias for --delete-during"},
	{"--delete", "delete extraneous files from dest directories"},
	{"--delete-before", "receiver deletes before xfer, not during"},
	{"--delete-during", "receiver deletes during the transfer"},
	{"--delete-delay", "find deletions during, delete after"},
	{"--delete-after", "receiver deletes after transfer, not during"},
	{"--delete-excluded", "also delete excluded files from dest directories"},
	{"--ignore-missing-args", "ignore missing source arguments without error"},
	{"--delete-missing-args", "delete missing source arguments from destination"},
	{"--ignore-errors", "delete even if there are I/O errors"},
	{"--force", "force deletion of directories even if not empty"},
	{"--max-delete=NUM", "don't delete more than NUM files"},
	{"--max-size=SIZE", "don't transfer any file larger than SIZE"},
	{"--min-size=SIZE", "don't transfer any file smaller than SIZE"},
	{"--max-alloc=SIZE", "change a limit relating to memory alloc"},
	{"--partial", "keep partially transferred files"},
	{"--partial-dir=DIR", "put a partially transferred file into DIR"},
	{"--delay-updates", "put all updated files into place at end"},
	{"--prune-empty-dirs, -m", "prune empty directory chains from file-list"},
	{"--numeric-ids", "don't map uid/gid values by user/group name"},
	{"--usermap=STRING", "custom username mapping"},
	{"--groupmap=STRING", "custom groupname mapping"},
	{"--chown=USER:GROUP", "simple username/groupname mapping"},
	{"--timeout=SECONDS", "set I/O timeout in seconds"},
	{"--contimeout=SECONDS", "set daemon connection timeout in seconds"},
	{"--ignore-times, -I", "don't skip files that match size and time"},
	{"--size-only", "skip files that match in size"},
	{"--modify-window=NUM, -@", "set the accuracy for mod-time comparisons"},
	{"--temp-dir=DIR, -T", "create temporary files in directory DIR"},
	{"--fuzzy, -y", "find similar file for basis if no dest file"},
	{"--compare-dest=DIR", "also compare destination files relative to DIR"},
	{"--copy-dest=DIR", "... and include copies of unchanged files"},
	{"--link-dest=DIR", "hardlink to files in DIR when unchanged"},
	{"--compress, -z", "compress file data during the transfer"},
	{"--compress-choice=STR", "choose the compression algorithm (aka --zc)"},
	{"--compress-level=NUM", "explicitly set compression level (aka --zl)"},
	{"--compress-threads=NUM", "explicitly set compression threads (aka --zt)"},
	{"--skip-compress=LIST", "skip compressing files with suffix in LIST"},
	{"--cvs-exclude, -C", "auto-ignore files in the same way CVS does"},
	{"--filter=RULE, -f", "add a file-filtering RULE"},
	{"-F", "same as --filter='dir-merge /.rsync-filter'"},
	{"", "repeated: --filter='- .rsync-filter'"},
	{"--exclude=PATTERN", "exclude files matching PATTERN"},
	{"--exclude-from=FILE", "read exclude patterns from FILE"},
	{"--include=PATTERN", "don't exclude files matching PATTERN"},
	{"--include-from=FILE", "read include patterns from FILE"},
	{"--files-from=FILE", "read list of source-file names from FILE"},
	{"--from0, -0", "all *-from/filter files are delimited by 0s"},
	{"--old-args", "disable the modern argument-protection idiom"},
	{"--secluded-args, -s", "use the protocol to safely send the arguments"},
	{"--trust-sender", "trust the remote sender's file list"},
	{"--copy-as=USER[:GROUP]", "specify user & optional group for the copy"},
	{"--address=ADDRESS", "bind address for outgoing socket to daemon"},
	{"--port=PORT", "specify double-colon alternate port number"},
	{"--sockopts=OPTIONS", "specify custom TCP options"},
	{"--blocking-io", "use blocking I/O for the remote shell"},
	{"--outbuf=N|L|B", "set out buffering to None, Line, or Block"},
	{"--stats", "give some file-transfer stats"},
	{"--8-bit-output, -8", "leave high-bit chars unescaped in output"},
	{"--human-readable, -h", "output numbers in a human-readable format"},
	{"--progress", "show progress during transfer"},
	{"-P", "same as --partial --progress"},
	{"--itemize-changes, -i", "output a change-summary for all updates"},
	{"--remote-option=OPT, -M", "send OPTION to the remote side only"},
	{"--out-format=FORMAT", "output updates using the specified FORMAT"},
	{"--log-file=FILE", "log what we're doing to the specified FILE"},
	{"--log-file-format=FMT", "log updates using the specified FMT"},
	{"--password-file=FILE", "read daemon-access password from FILE"},
	{"--early-input=FILE", "use FILE for daemon's early exec input"},
	{"--list-only", "list the files instead of copying them"},
	{"--bwlimit=RATE", "limit socket I/O bandwidth"},
	{"--stop-after=MINS", "Stop rsync after MINS minutes have elapsed"},
	{"--stop-at=y-m-dTh:m", "Stop rsync at the specified point in time"},
	{"--fsync", "fsync every written file"},
	{"--write-batch=FILE", "write a batched update to FILE"},
	{"--only-write-batch=FILE", "like --write-batch but w/o updating dest"},
	{"--read-batch=FILE", "read a batched update from FILE"},
	{"--protocol=NUM", "force an older protocol version to be used"},
	{"--iconv=CONVERT_SPEC", "request charset conversion of filenames"},
	{"--checksum-seed=NUM", "set block/file checksum seed (advanced)"},
	{"--ipv4, -4", "prefer IPv4"},
	{"--ipv6, -6", "prefer IPv6"},
	{"--io-uring", "require the io_uring I/O backend (error if absent)"},
	{"--no-io-uring", "always use the portable POSIX I/O backend"},
	{"--version, -V", "print the version + other info and exit"},
	{"--help, -h (*)", "show this help (* -h is help only on its own)"},
};

static const struct help_row daemon_rows[] = {
	{"--daemon", "run as an rsync daemon"},
	{"--address=ADDRESS", "bind to the specified address"},
	{"--bwlimit=RATE", "limit socket I/O bandwidth"},
	{"--config=FILE", "specify alternate rsyncd.conf file"},
	{"--dparam=OVERRIDE, -M", "override global daemon config parameter"},
	{"--no-detach", "do not detach from the parent"},
	{"--port=PORT", "listen on alternate port number"},
	{"--log-file=FILE", "override the \"log file\" setting"},
	{"--log-file-format=FMT", "override the \"log format\" setting"},
	{"--sockopts=OPTIONS", "specify custom TCP options"},
	{"--verbose, -v", "increase verbosity"},
	{"--ipv4, -4", "prefer IPv4"},
	{"--ipv6, -6", "prefer IPv6"},
	{"--help, -h", "show this help (when used with --daemon)"},
};
/* clang-format on */

static void print_rows(FILE *f, const struct help_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%-24s %s\n", rows[i].opt, rows[i].desc);
}

void ur_cli_usage(FILE *f)
{
	static const char *const forms[] = {
	    "SRC [SRC]... DEST",
	    "SRC [SRC]... [USER@]HOST:DEST",
	    "SRC [SRC]... [USER@]HOST::DEST",
	    "SRC [SRC]... rsync://[USER@]HOST[:PORT]/DEST",
	    "[USER@]HOST:SRC [DEST]",
	    "[USER@]HOST::SRC [DEST]",
	    "rsync://[USER@]HOST[:PORT]/SRC [DEST]",
	};

	ur_cli_print_version(f);
	fprintf(f,
		"\n%s is a file transfer program capable of efficient remote update\n"
		"via a fast differencing algorithm; it behaves as rsync 3.5.0 does.\n\n",
		ur_progname);
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
		fprintf(f, "%s %s [OPTION]... %s\n", i ? "  or  " : "Usage:", ur_progname,
			forms[i]);
	fputs("The ':' usages connect via remote shell, while '::' & 'rsync://' usages connect\n"
	      "to an rsync daemon, and require SRC or DEST to start with a module name.\n\n"
	      "Options\n",
	      f);
	print_rows(f, main_rows, sizeof(main_rows) / sizeof(main_rows[0]));
	fprintf(f,
		"\nUse \"%s --daemon --help\" to see the daemon-mode command-line options.\n"
		"Please see the ursync(1) and ursyncd.conf(5) manpages for full documentation;\n"
		"options ursync does not implement yet exit with code 4.\n",
		ur_progname);
}

void ur_cli_daemon_usage(FILE *f)
{
	ur_cli_print_version(f);
	fprintf(f, "\nUsage: %s --daemon [OPTION]...\n", ur_progname);
	print_rows(f, daemon_rows, sizeof(daemon_rows) / sizeof(daemon_rows[0]));
	fprintf(f,
		"\nIf you were not trying to invoke %s as a daemon, avoid using any of the\n"
		"daemon-specific options.  See also the ursyncd.conf(5) manpage.\n",
		ur_progname);
}

/* ------------------------------------------------- --info=help, --debug=help */

/* clang-format off */
static const char *const info_names[UR_INFO_COUNT] = {
	[UR_INFO_BACKUP] = "BACKUP", [UR_INFO_COPY] = "COPY", [UR_INFO_DEL] = "DEL",
	[UR_INFO_FLIST] = "FLIST", [UR_INFO_MISC] = "MISC", [UR_INFO_MOUNT] = "MOUNT",
	[UR_INFO_NAME] = "NAME", [UR_INFO_NONREG] = "NONREG", [UR_INFO_PROGRESS] = "PROGRESS",
	[UR_INFO_REMOVE] = "REMOVE", [UR_INFO_SKIP] = "SKIP", [UR_INFO_STATS] = "STATS",
	[UR_INFO_SYMSAFE] = "SYMSAFE",
};

static const char *const info_help[UR_INFO_COUNT] = {
	[UR_INFO_BACKUP] = "Mention files backed up",
	[UR_INFO_COPY] = "Mention files copied locally on the receiving side",
	[UR_INFO_DEL] = "Mention deletions on the receiving side",
	[UR_INFO_FLIST] = "Mention file-list receiving/sending (levels 1-2)",
	[UR_INFO_MISC] = "Mention miscellaneous information (levels 1-2)",
	[UR_INFO_MOUNT] = "Mention mounts that were found or skipped",
	[UR_INFO_NAME] = "Mention 1) updated file/dir names, 2) unchanged names",
	[UR_INFO_NONREG] = "Mention skipped non-regular files (default 1, 0 disables)",
	[UR_INFO_PROGRESS] = "Mention 1) per-file progress or 2) total transfer progress",
	[UR_INFO_REMOVE] = "Mention files removed on the sending side",
	[UR_INFO_SKIP] = "Mention files skipped due to transfer overrides (levels 1-2)",
	[UR_INFO_STATS] = "Mention statistics at end of run (levels 1-3)",
	[UR_INFO_SYMSAFE] = "Mention symlinks that are unsafe",
};

static const char *const debug_names[UR_DEBUG_COUNT] = {
	[UR_DEBUG_ACL] = "ACL", [UR_DEBUG_BACKUP] = "BACKUP", [UR_DEBUG_BIND] = "BIND",
	[UR_DEBUG_CHDIR] = "CHDIR", [UR_DEBUG_CONNECT] = "CONNECT", [UR_DEBUG_CMD] = "CMD",
	[UR_DEBUG_DEL] = "DEL", [UR_DEBUG_DELTASUM] = "DELTASUM", [UR_DEBUG_DUP] = "DUP",
	[UR_DEBUG_EXIT] = "EXIT", [UR_DEBUG_FILTER] = "FILTER", [UR_DEBUG_FLIST] = "FLIST",
	[UR_DEBUG_FUZZY] = "FUZZY", [UR_DEBUG_GENR] = "GENR", [UR_DEBUG_HASH] = "HASH",
	[UR_DEBUG_HLINK] = "HLINK", [UR_DEBUG_ICONV] = "ICONV", [UR_DEBUG_IO] = "IO",
	[UR_DEBUG_NSTR] = "NSTR", [UR_DEBUG_OWN] = "OWN", [UR_DEBUG_PROTO] = "PROTO",
	[UR_DEBUG_RECV] = "RECV", [UR_DEBUG_SEND] = "SEND", [UR_DEBUG_TIME] = "TIME",
};

static const char *const debug_help[UR_DEBUG_COUNT] = {
	[UR_DEBUG_ACL] = "Debug extra ACL info",
	[UR_DEBUG_BACKUP] = "Debug backup actions (levels 1-2)",
	[UR_DEBUG_BIND] = "Debug socket bind actions",
	[UR_DEBUG_CHDIR] = "Debug when the current directory changes",
	[UR_DEBUG_CONNECT] = "Debug connection events (levels 1-2)",
	[UR_DEBUG_CMD] = "Debug commands+options that are issued (levels 1-2)",
	[UR_DEBUG_DEL] = "Debug delete actions (levels 1-3)",
	[UR_DEBUG_DELTASUM] = "Debug delta-transfer checksumming (levels 1-4)",
	[UR_DEBUG_DUP] = "Debug weeding of duplicate names",
	[UR_DEBUG_EXIT] = "Debug exit events (levels 1-3)",
	[UR_DEBUG_FILTER] = "Debug filter actions (levels 1-3)",
	[UR_DEBUG_FLIST] = "Debug file-list operations (levels 1-4)",
	[UR_DEBUG_FUZZY] = "Debug fuzzy scoring (levels 1-2)",
	[UR_DEBUG_GENR] = "Debug generator functions",
	[UR_DEBUG_HASH] = "Debug hashtable code",
	[UR_DEBUG_HLINK] = "Debug hard-link actions (levels 1-3)",
	[UR_DEBUG_ICONV] = "Debug iconv character conversions (levels 1-2)",
	[UR_DEBUG_IO] = "Debug I/O routines (levels 1-4)",
	[UR_DEBUG_NSTR] = "Debug negotiation strings",
	[UR_DEBUG_OWN] = "Debug ownership changes in users & groups (levels 1-2)",
	[UR_DEBUG_PROTO] = "Debug protocol information",
	[UR_DEBUG_RECV] = "Debug receiver functions",
	[UR_DEBUG_SEND] = "Debug sender functions",
	[UR_DEBUG_TIME] = "Debug setting of modified times (levels 1-2)",
};

/* What each -v adds (index = number of -v), as `rsync --info=help` and
 * `rsync --debug=help` list them. */
static const char *const info_by_verbosity[] = {
	"NONREG",
	"COPY,DEL,FLIST,MISC,NAME,STATS,SYMSAFE",
	"BACKUP,MISC2,MOUNT,NAME2,REMOVE,SKIP",
};

static const char *const debug_by_verbosity[] = {
	NULL,
	NULL,
	"BIND,CMD,CONNECT,DEL,DELTASUM,DUP,FILTER,FLIST,ICONV",
	"ACL,BACKUP,CONNECT2,DELTASUM2,DEL2,EXIT,FILTER2,FLIST2,FUZZY,GENR,OWN,RECV,SEND,TIME",
	"CMD2,DELTASUM3,DEL3,EXIT2,FLIST3,ICONV2,OWN2,PROTO,TIME2",
	"CHDIR,DELTASUM4,FLIST4,FUZZY2,HASH,HLINK",
};

const struct ur_out_words ur_info_words = {
	"--info", info_names, info_help, UR_INFO_COUNT,
	info_by_verbosity, (int)NELEM(info_by_verbosity),
};

const struct ur_out_words ur_debug_words = {
	"--debug", debug_names, debug_help, UR_DEBUG_COUNT,
	debug_by_verbosity, (int)NELEM(debug_by_verbosity),
};
/* clang-format on */

void ur_cli_output_help(const struct ur_out_words *w)
{
	FILE *f = stdout;

	fputs("Use OPT or OPT1 for level 1 output, OPT2 for level 2, etc.; OPT0 silences.\n\n", f);
	for (int j = 0; j < w->count; j++)
		fprintf(f, "%-10s %s\n", w->names[j], w->help[j]);
	fprintf(f, "\n%-10s Set all %s options (e.g. all%d)\n", "ALL", w->opt, UR_MAX_OUT_LEVEL);
	fprintf(f, "%-10s Silence all %s options (same as all0)\n", "NONE", w->opt);
	fprintf(f, "%-10s Output this help message\n", "HELP");
	fputs("\nOptions added at each level of verbosity:\n", f);
	for (int v = 0; v < w->nverbosity; v++) {
		int level[UR_DEBUG_COUNT + UR_INFO_COUNT];
		bool first = true;

		if (!w->by_verbosity[v])
			continue;
		/* listed in the family's order, not the order of the string */
		for (int j = 0; j < w->count; j++)
			level[j] = 0;
		for (const char *p = w->by_verbosity[v]; *p;) {
			size_t len = strcspn(p, ","), nlen = len;
			while (nlen && isdigit((unsigned char)p[nlen - 1]))
				nlen--;
			for (int j = 0; j < w->count; j++)
				if (strlen(w->names[j]) == nlen &&
				    !strncasecmp(p, w->names[j], nlen))
					level[j] = nlen < len ? p[nlen] - '0' : 1;
			p += len + (p[len] == ',');
		}
		fprintf(f, "%d) ", v);
		for (int j = 0; j < w->count; j++) {
			if (!level[j])
				continue;
			fprintf(f, "%s%s", first ? "" : ",", w->names[j]);
			if (level[j] != 1)
				fprintf(f, "%d", level[j]);
			first = false;
		}
		fputc('\n', f);
	}
	fflush(f);
}
