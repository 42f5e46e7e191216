/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ur_opts_parse, table-driven: a command line, the return code, and the
 * fields it must leave behind. Expected values come from rsync 3.5.0's
 * behaviour (its options.c and the binary).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

enum ftype { F_END = 0, F_INT, F_BOOL, F_I64, F_STR, F_INFO, F_DEBUG, F_ARG, F_NARGS, F_PTR };

struct expect {
	enum ftype t;
	size_t off;
	int idx;
	int64_t v;
	const char *s;
};

/* clang-format off */
#define EI(f, val) {F_INT, offsetof(struct ur_opts, f), 0, val, NULL}
#define EB(f, val) {F_BOOL, offsetof(struct ur_opts, f), 0, val, NULL}
#define EL(f, val) {F_I64, offsetof(struct ur_opts, f), 0, val, NULL}
#define ES(f, str) {F_STR, offsetof(struct ur_opts, f), 0, 0, str}
#define ENONNULL(f) {F_PTR, offsetof(struct ur_opts, f), 0, 1, NULL}
#define INFO(w, val) {F_INFO, 0, UR_INFO_##w, val, NULL}
#define DEBUG(w, val) {F_DEBUG, 0, UR_DEBUG_##w, val, NULL}
#define ARG(i, str) {F_ARG, 0, i, 0, str}
#define NARGS(n) {F_NARGS, 0, 0, n, NULL}

struct tcase {
	const char *argv[14];   /* after "ursync", NULL-terminated */
	int rc;
	struct expect e[14];
	const char *env[2];     /* {NAME, VALUE} set for this case only */
};

static const struct tcase cases[] = {
	/* archive and bundles */
	{.argv = {"-avz", "s", "d"}, .rc = 0, .e = {EB(recursive, 1), EB(links, 1), EB(perms, 1), EB(times, 1),
	  EB(group, 1), EB(owner, 1), EB(devices, 1), EB(specials, 1), EI(compress, 1),
	  EI(verbose, 1), EI(xfer_dirs, 1), EB(acls, 0), EB(hard_links, 0), INFO(NAME, 1)}},
	{.argv = {"-vvv", "s", "d"}, .rc = 0, .e = {EI(verbose, 3), INFO(NAME, 2), INFO(MISC, 2), INFO(COPY, 1),
	  DEBUG(DEL, 2), DEBUG(BIND, 1), DEBUG(ACL, 1), DEBUG(CHDIR, 0), DEBUG(PROTO, 0)}},
	{.argv = {"-vvvvvv", "s", "d"}, .rc = 0, .e = {DEBUG(CHDIR, 1), DEBUG(DELTASUM, 4), DEBUG(FLIST, 4),
	  DEBUG(IO, 0), INFO(NAME, 2)}},
	{.argv = {"-ax", "-x", "s", "d"}, .rc = 0, .e = {EI(one_file_system, 2), EB(recursive, 1)}},
	{.argv = {"-x", "--no-x", "s", "d"}, .rc = 0, .e = {EI(one_file_system, 0)}},
	{.argv = {"-v", "--no-v", "s", "d"}, .rc = 0, .e = {EI(verbose, 0), INFO(NAME, 0), INFO(NONREG, 1)}},
	{.argv = {"s", "d"}, .rc = 0, .e = {EI(whole_file, -1), EI(max_delete, -1), EL(min_size, -1),
	  EL(max_size, -1), INFO(NONREG, 1), INFO(NAME, 0), EI(io_policy, UR_IO_AUTO),
	  EB(implied_dirs, 0), EI(inc_recursive, -1), EI(am_root, -1), EI(human_level, 1),
	  EB(list_only, 0), EI(xfer_dirs, 0), NARGS(2)}},

	/* -h: help alone, human-readable otherwise */
	{.argv = {"-h"}, .rc = -1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--human-readable"}, .rc = -1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"-h", "s", "d"}, .rc = 0, .e = {EI(human_readable, 1), EI(human_level, 2)}},
	{.argv = {"-hh", "s"}, .rc = 0, .e = {EI(human_readable, 2), EI(human_level, 3), EB(list_only, 1),
	  EI(xfer_dirs, 1)}},
	{.argv = {"-h", "-v"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"-h", "--no-h", "s", "d"}, .rc = 0, .e = {EI(human_readable, 0), EI(human_level, 0)}},

	/* -e forms */
	{.argv = {"-essh", "s", "d"}, .rc = 0, .e = {ES(rsh, "ssh")}},
	{.argv = {"-e", "ssh -p 2222", "s", "d"}, .rc = 0, .e = {ES(rsh, "ssh -p 2222"), NARGS(2)}},
	{.argv = {"-ve=ssh", "s", "d"}, .rc = 0, .e = {ES(rsh, "ssh"), EI(verbose, 1)}},
	{.argv = {"--rsh", "-x", "s", "d"}, .rc = 0, .e = {ES(rsh, "-x"), EI(one_file_system, 0)}},
	{.argv = {"-ve"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},

	/* popt: no abbreviations, no value for flags, operands anywhere, "--" */
	{.argv = {"--verb", "s", "d"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--dry-run=1", "s", "d"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"-n=1", "s", "d"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"-vQ", "s", "d"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--no-archive", "s", "d"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"s", "-n", "d"}, .rc = 0, .e = {EB(dry_run, 1), NARGS(2), ARG(0, "s"), ARG(1, "d")}},
	{.argv = {"--", "-n", "d"}, .rc = 0, .e = {EB(dry_run, 0), NARGS(2), ARG(0, "-n"), ARG(1, "d")}},
	{.argv = {"-", "d"}, .rc = 0, .e = {NARGS(2), ARG(0, "-")}},

	/* negations */
	{.argv = {"-a", "--no-r", "s", "d"}, .rc = 0, .e = {EB(recursive, 0), EI(xfer_dirs, 0), EB(links, 1)}},
	{.argv = {"--no-r", "-a", "s", "d"}, .rc = 0, .e = {EB(recursive, 1)}},
	{.argv = {"-a", "--no-perms", "--no-o", "--no-g", "s", "d"}, .rc = 0, .e = {EB(perms, 0), EB(owner, 0),
	  EB(group, 0), EB(times, 1)}},
	{.argv = {"-a", "--no-p", "--no-t", "--no-l", "s", "d"}, .rc = 0, .e = {EB(perms, 0), EB(times, 0),
	  EB(links, 0)}},
	{.argv = {"-D", "s", "d"}, .rc = 0, .e = {EB(devices, 1), EB(specials, 1)}},
	{.argv = {"-a", "--no-D", "s", "d"}, .rc = 0, .e = {EB(devices, 0), EB(specials, 0)}},
	{.argv = {"--no-H", "--no-A", "--no-X", "--no-S", "-a", "s", "d"}, .rc = 0, .e = {EB(hard_links, 0)}},
	{.argv = {"-R", "--no-implied-dirs", "s", "d"}, .rc = 0, .e = {EB(relative, 1), EB(implied_dirs, 0)}},
	{.argv = {"-R", "s", "d"}, .rc = 0, .e = {EB(relative, 1), EB(implied_dirs, 1)}},
	{.argv = {"--no-i-r", "--no-motd", "s", "d"}, .rc = 0, .e = {EI(inc_recursive, 0), EB(no_motd, 1)}},
	{.argv = {"-i", "-i", "--no-i", "s", "d"}, .rc = 0, .e = {EI(itemize, 0)}},

	/* whole-file tri-state */
	{.argv = {"-W", "s", "d"}, .rc = 0, .e = {EI(whole_file, 1)}},
	{.argv = {"--no-W", "s", "d"}, .rc = 0, .e = {EI(whole_file, 0)}},
	{.argv = {"--no-whole-file", "s", "d"}, .rc = 0, .e = {EI(whole_file, 0)}},
	{.argv = {"--no-W", "-W", "s", "d"}, .rc = 0, .e = {EI(whole_file, 1)}},
	{.argv = {"-B0", "s", "d"}, .rc = 0, .e = {EI(block_size, 0)}},

	/* --info / --debug and what -v, --stats, --progress imply */
	{.argv = {"--info=name2,progress2", "s", "d"}, .rc = 0, .e = {INFO(NAME, 2), INFO(PROGRESS, 2),
	  INFO(COPY, 0), ES(stdout_format, "%n%L")}},
	{.argv = {"-v", "--info=name0", "s", "d"}, .rc = 0, .e = {INFO(NAME, 0), INFO(COPY, 1)}},
	{.argv = {"--info=name0", "-v", "s", "d"}, .rc = 0, .e = {INFO(NAME, 0), INFO(COPY, 1)}},
	{.argv = {"--info=ALL", "s", "d"}, .rc = 0, .e = {INFO(BACKUP, 1), INFO(SYMSAFE, 1), INFO(STATS, 1)}},
	{.argv = {"--info=all9", "s", "d"}, .rc = 0, .e = {INFO(NAME, 4), INFO(PROGRESS, 4)}},
	{.argv = {"-vv", "--info=NONE", "s", "d"}, .rc = 0, .e = {INFO(NAME, 0), INFO(NONREG, 0), INFO(MISC, 0),
	  DEBUG(DEL, 1)}},
	{.argv = {"--info=Name,,SKIP2", "s", "d"}, .rc = 0, .e = {INFO(NAME, 1), INFO(SKIP, 2)}},
	{.argv = {"--info=foo", "s", "d"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--info=2", "s", "d"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--info=help"}, .rc = -1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--debug=del3,io", "s", "d"}, .rc = 0, .e = {DEBUG(DEL, 3), DEBUG(IO, 1), DEBUG(ACL, 0)}},
	{.argv = {"--debug=bogus", "s", "d"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--debug=HELP", "s", "d"}, .rc = -1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--stats", "s", "d"}, .rc = 0, .e = {EB(stats, 1), INFO(STATS, 2)}},
	{.argv = {"--stats", "-vv", "s", "d"}, .rc = 0, .e = {INFO(STATS, 3)}},
	{.argv = {"--stats", "--info=stats1", "s", "d"}, .rc = 0, .e = {INFO(STATS, 1)}},
	{.argv = {"--progress", "s", "d"}, .rc = 0, .e = {INFO(PROGRESS, 1), INFO(FLIST, 2), INFO(NAME, 1)}},
	{.argv = {"-P", "s", "d"}, .rc = 0, .e = {EB(partial, 1), INFO(PROGRESS, 1)}},
	{.argv = {"-i", "-i", "s", "d"}, .rc = 0, .e = {EI(itemize, 2), ES(stdout_format, "%i %n%L"),
	  EB(log_before_transfer, 1)}},
	{.argv = {"--out-format=%n", "--log-format=%i %b", "s", "d"}, .rc = 0, .e = {ES(out_format, "%i %b"),
	  EB(log_before_transfer, 0)}},

	/* --server: what rsync 3.5.0's client sends (its -e value is the client
	 * info, ".iLsfxCIvu"; "" when -e is absent) */
	{.argv = {"--server", "--sender", "-logDtpre.iLsfxCIvu", ".", "src"}, .rc = 0, .e = {EB(server, 1),
	  EB(sender, 1), ES(client_info, ".iLsfxCIvu"), EB(links, 1), EB(owner, 1), EB(group, 1),
	  EB(devices, 1), EB(times, 1), EB(perms, 1), EB(recursive, 1), EB(list_only, 0), NARGS(2),
	  ARG(0, "."), ARG(1, "src")}},
	{.argv = {"--server", "-vlogDtprze.iLsfxCIvu", "--delete", ".", "dst"}, .rc = 0, .e = {EB(server, 1),
	  EB(sender, 0), ES(client_info, ".iLsfxCIvu"), EI(verbose, 1), EI(compress, 1),
	  EI(delete_mode, UR_DEL_DURING), NARGS(2), ARG(1, "dst")}},
	{.argv = {"--server", "-r", ".", "dst"}, .rc = 0, .e = {EB(server, 1), ES(client_info, ""),
	  EB(recursive, 1), NARGS(2)}},
	{.argv = {"--server", "-e", ".LsfxCIvu", "--sender", ".", "a", "b"}, .rc = 0, .e = {
	  ES(client_info, ".LsfxCIvu"), EB(sender, 1), NARGS(3)}},
	{.argv = {"-essh", "s", "h:d"}, .rc = 0, .e = {{F_PTR, offsetof(struct ur_opts, client_info), 0, 0, NULL},
	  ES(rsh, "ssh")}},
	/* what the server arguments need to know about how options were given */
	{.argv = {"--list-only", "s", "d"}, .rc = 0, .e = {EB(list_only_opt, 1), EB(list_only, 1)}},
	{.argv = {"s"}, .rc = 0, .e = {EB(list_only_opt, 0), EB(list_only, 1)}},
	{.argv = {"-v", "--info=name2,del0", "s", "d"}, .rc = 0, .e = {
	  {F_BOOL, offsetof(struct ur_opts, info_user) + UR_INFO_NAME, 0, 1, NULL},
	  {F_BOOL, offsetof(struct ur_opts, info_user) + UR_INFO_DEL, 0, 1, NULL},
	  {F_BOOL, offsetof(struct ur_opts, info_user) + UR_INFO_COPY, 0, 0, NULL}, INFO(COPY, 1)}},
	{.argv = {"-zz", "--zl=3", "s", "d"}, .rc = 0, .e = {EI(compress_z, 2), ES(compress_choice, "zlibx")}},
	{.argv = {"--zl=3", "s", "d"}, .rc = 0, .e = {EI(compress_z, 0), EI(compress, 1)}},
	{.argv = {"-UU", "s", "d"}, .rc = 0, .e = {EI(atimes_count, 2), EB(open_noatime, 1)}},
	{.argv = {"--max-alloc=2G", "s", "d"}, .rc = 0, .e = {ES(max_alloc_arg, "2G")}},
	{.argv = {"-r", "--delete", "s", "d"}, .rc = 0, .e = {EB(delete_when_given, 0)}},
	{.argv = {"-r", "--delete-during", "s", "d"}, .rc = 0, .e = {EB(delete_when_given, 1),
	  EI(delete_mode, UR_DEL_DURING)}},
	{.argv = {"-r", "--del", "s", "d"}, .rc = 0, .e = {EB(delete_when_given, 1)}},

	/* sizes */
	{.argv = {"--min-size=1k", "--max-size=1.5M", "s", "d"}, .rc = 0, .e = {EL(min_size, 1024),
	  EL(max_size, 1572864)}},
	{.argv = {"--max-size=1kb", "s", "d"}, .rc = 0, .e = {EL(max_size, 1000)}},
	{.argv = {"--max-size=1KiB", "s", "d"}, .rc = 0, .e = {EL(max_size, 1024)}},
	{.argv = {"--max-size=1m+1", "--min-size=1m-1", "s", "d"}, .rc = 0, .e = {EL(max_size, 1048577),
	  EL(min_size, 1048575)}},
	{.argv = {"--max-size=2g", "--min-size=.5k", "s", "d"}, .rc = 0, .e = {EL(max_size, 2147483648LL),
	  EL(min_size, 512)}},
	{.argv = {"--max-size=", "s", "d"}, .rc = 0, .e = {EL(max_size, 0)}},
	{.argv = {"--min-size=junk", "s", "d"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--max-size=-1", "s", "d"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--max-size=+1", "s", "d"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--max-size=8192P", "s", "d"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--max-size=8191P", "s", "d"}, .rc = 0, .e = {EL(max_size, 8191LL << 50)}},
	{.argv = {"--max-alloc=1k", "s", "d"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--max-alloc=0", "s", "d"}, .rc = 0, .e = {EL(max_alloc, INT64_MAX)}},
	{.argv = {"--max-alloc=2g", "s", "d"}, .rc = 0, .e = {EL(max_alloc, 2147483648LL)}},
	{.argv = {"-B", "200000", "s", "d"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"-B1k", "s", "d"}, .rc = 0, .e = {EI(block_size, 1024)}},
	{.argv = {"--bwlimit=1b", "s", "d"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--bwlimit=1000", "s", "d"}, .rc = 4, .e = {EI(bwlimit, 1000)}},

	/* numbers */
	{.argv = {"--modify-window=-1", "s", "d"}, .rc = 0, .e = {EI(modify_window, -1), EB(modify_window_set, 1)}},
	{.argv = {"-@2", "s", "d"}, .rc = 0, .e = {EI(modify_window, 2)}},
	{.argv = {"--modify-window=x", "s", "d"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--port=x", "s", "d"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--port=0x10", "s", "d"}, .rc = 0, .e = {EI(port, 16)}},
	{.argv = {"--max-delete=2147483648", "s", "d"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"-r", "--max-delete=-3", "s", "d"}, .rc = 0, .e = {EI(max_delete, 0)}},
	{.argv = {"--max-delete=garbage", "s", "d"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--protocol=99", "s", "d"}, .rc = 2, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--protocol=33", "s", "d"}, .rc = 2, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--protocol=29", "s", "d"}, .rc = 4, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--protocol=31", "s", "d"}, .rc = 0, .e = {EI(protocol, 31)}},

	/* deletion */
	{.argv = {"--delete", "s", "d"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"-r", "--delete", "s", "d"}, .rc = 0, .e = {EI(delete_mode, UR_DEL_DURING)}},
	{.argv = {"-r", "--del", "s", "d"}, .rc = 0, .e = {EI(delete_mode, UR_DEL_DURING)}},
	{.argv = {"-d", "--delete-before", "s", "d"}, .rc = 0, .e = {EI(delete_mode, UR_DEL_BEFORE),
	  EI(xfer_dirs, 2), EB(recursive, 0)}},
	{.argv = {"-r", "--delete-delay", "s", "d"}, .rc = 0, .e = {EI(delete_mode, UR_DEL_DELAY)}},
	{.argv = {"-r", "--delete-after", "s", "d"}, .rc = 0, .e = {EI(delete_mode, UR_DEL_AFTER)}},
	{.argv = {"-r", "--delete-during", "--delete-delay", "s", "d"}, .rc = 0, .e = {EI(delete_mode, UR_DEL_DELAY)}},
	{.argv = {"-r", "--delete-before", "--delete-after", "s", "d"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"-r", "--delete-excluded", "s", "d"}, .rc = 0, .e = {EI(delete_mode, UR_DEL_DURING),
	  EB(delete_excluded, 1)}},
	{.argv = {"--ignore-missing-args", "--delete-missing-args", "s", "d"}, .rc = 0,
	 .e = {EB(delete_missing_args, 1), EB(ignore_missing_args, 0)}},

	/* conflicts rsync rejects, and pairs it allows */
	{.argv = {"--inplace", "--partial-dir=x", "s", "d"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--inplace", "--delay-updates", "s", "d"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--append", "-W", "s", "d"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--inplace", "-P", "s", "d"}, .rc = 0, .e = {EB(inplace, 1), EB(partial, 0)}},
	{.argv = {"-c", "--size-only", "s", "d"}, .rc = 0, .e = {EB(checksum, 1), EB(size_only, 1)}},
	{.argv = {"--existing", "--ignore-existing", "s", "d"}, .rc = 0, .e = {EB(ignore_non_existing, 1),
	  EB(ignore_existing, 1)}},
	{.argv = {"-E", "-p", "s", "d"}, .rc = 0, .e = {EB(executability, 1), EB(perms, 1)}},
	{.argv = {"-s", "--old-args", "s", "d"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--suffix=a/b", "s", "d"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"-b", "--suffix=", "s", "d"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--usermap=a", "--usermap=b", "s", "d"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--chown=u:g", "s", "d"}, .rc = 0, .e = {ES(usermap, "*:u"), ES(groupmap, "*:g"), EB(owner, 1)}},
	{.argv = {"--link-dest=a", "--copy-dest=b", "s", "d"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--stop-after=0", "s", "d"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--stop-at=2001-01-01", "s", "d"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--stop-at=2099-01-01T12:00", "s", "d"}, .rc = 4, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--outbuf=x", "s", "d"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--outbuf=line", "s", "d"}, .rc = 0, .e = {EI(outbuf, 'L')}},
	{.argv = {"-M", "foo", "s", "d"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--zc=foo", "s", "d"}, .rc = 4, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"-zz", "s", "d"}, .rc = 0, .e = {EI(compress, 2), ES(compress_choice, "zlibx")}},
	{.argv = {"--zl=3", "s", "d"}, .rc = 0, .e = {EI(compress, 1), EI(compress_level, 3)}},
	{.argv = {"--chmod=u+x", "--chmod=g-w", "s", "d"}, .rc = 0, .e = {ENONNULL(chmod)}},
	{.argv = {"--chmod=x", "s", "d"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},

	/* parsed but not supported yet: exit 4 with the values recorded */
	/* parsed; a local copy refuses it later (session), the wire does it */
	{.argv = {"-H", "s", "d"}, .rc = 0, .e = {EB(hard_links, 1)}},
	{.argv = {"-aHAX", "s", "d"}, .rc = 4, .e = {EB(hard_links, 1), EB(acls, 1), EB(xattrs, 1)}},
	{.argv = {"--exclude=*.o", "-f", "- x", "s", "d"}, .rc = 0, .e = {EI(filter_count, 2)}},
	{.argv = {"-a", "--files-from=-", "s", "d"}, .rc = 0, .e = {EB(recursive, 0), EB(relative, 1), NARGS(2)}},
	{.argv = {"-a", "--files-from=-", "d"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"-UU", "s", "d"}, .rc = 0, .e = {EB(open_noatime, 1)}},
	{.argv = {"--server", "--sender", ".", "x"}, .rc = 0, .e = {EB(server, 1), EB(sender, 1), ES(client_info, "")}},
	{.argv = {"--sender", "--server", ".", "x"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--daemon", "--port=8730", "--no-detach"}, .rc = 0, .e = {EB(daemon, 1), EI(port, 8730),
	  EB(no_detach, 1)}},
	{.argv = {"--daemon", "--bwlimit=10"}, .rc = 4, .e = {EB(daemon, 1)}},
	{.argv = {"--daemon", "--dparam=bogus=1"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--daemon", "-M", "Read Only = no"}, .rc = 0, .e = {EI(dparam_count, 1)}},
	{.argv = {"--server", "--daemon", "."}, .rc = 0, .e = {EB(daemon, 1), EB(server, 1)}},
	{.argv = {"--config=x"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--daemon", "-a"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--daemon", "--help"}, .rc = -1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"-h", "--daemon"}, .rc = -1, .e = {{F_END, 0, 0, 0, NULL}}},

	/* --version and --help win over everything but earlier errors */
	{.argv = {"-V", "--delete", "s", "d"}, .rc = -1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--foo", "--version"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--link-dest=x", "--help"}, .rc = -1, .e = {{F_END, 0, 0, 0, NULL}}},

	/* operands */
	{.argv = {"-v"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--list-only", "s", "d"}, .rc = 0, .e = {EB(list_only, 1)}},

	/* fastio policy */
	{.argv = {"--io-uring", "s", "d"}, .rc = 0, .e = {EI(io_policy, UR_IO_URING)}},
	{.argv = {"--no-io-uring", "s", "d"}, .rc = 0, .e = {EI(io_policy, UR_IO_POSIX)}},
	{.argv = {"s", "d"}, .rc = 0, .e = {EI(io_policy, UR_IO_POSIX)}, .env = {"URSYNC_IO", "posix"}},
	{.argv = {"s", "d"}, .rc = 0, .e = {EI(io_policy, UR_IO_URING)}, .env = {"URSYNC_IO", "uring"}},
	{.argv = {"--io-uring", "s", "d"}, .rc = 0, .e = {EI(io_policy, UR_IO_URING)}, .env = {"URSYNC_IO", "posix"}},
	{.argv = {"--partial", "s", "d"}, .rc = 0, .e = {ES(partial_dir, ".p"), EB(partial, true)}, .env = {"RSYNC_PARTIAL_DIR", ".p"}},
	{.argv = {"s", "d"}, .rc = 0, .e = {EB(partial, false)}, .env = {"RSYNC_PARTIAL_DIR", ".p"}},
	{.argv = {"s", "d"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}, .env = {"RSYNC_MAX_ALLOC", "5"}},
	{.argv = {"s", "d"}, .rc = 4, .e = {ES(iconv, "utf8")}, .env = {"RSYNC_ICONV", "utf8"}},
	{.argv = {"--no-iconv", "s", "d"}, .rc = 0, .e = {{F_END, 0, 0, 0, NULL}}, .env = {"RSYNC_ICONV", "utf8"}},
	{.argv = {"--iconv=-", "s", "d"}, .rc = 0, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"-N", "s", "d"}, .rc = 1, .e = {{F_END, 0, 0, 0, NULL}}},
	{.argv = {"--no-N", "--no-crtimes", "s", "d"}, .rc = 0, .e = {EB(crtimes, 0)}},
};
/* clang-format on */

static const char *const clean_env[] = {
    "URSYNC_IO", "RSYNC_PARTIAL_DIR", "RSYNC_MAX_ALLOC", "RSYNC_OLD_ARGS", "RSYNC_PROTECT_ARGS",
};

/* Run one parse with stdout and stderr sent to /dev/null. */
static int quiet_parse(struct ur_opts *o, int argc, char **argv)
{
	int out = dup(1), err = dup(2), null = open("/dev/null", O_WRONLY);
	int rc;

	assert_true(out >= 0 && err >= 0 && null >= 0);
	fflush(stdout);
	fflush(stderr);
	dup2(null, 1);
	dup2(null, 2);
	rc = ur_opts_parse(o, argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(out, 1);
	dup2(err, 2);
	close(out);
	close(err);
	close(null);
	return rc;
}

static void describe(const struct tcase *t, char *buf, size_t size)
{
	size_t len = (size_t)snprintf(buf, size, "ursync");
	for (int i = 0; t->argv[i] && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, " '%s'", t->argv[i]);
}

static void check_case(const struct tcase *t)
{
	char *argv[16];
	char what[256];
	struct ur_opts o;
	int argc = 1, rc;

	describe(t, what, sizeof(what));
	for (size_t i = 0; i < sizeof(clean_env) / sizeof(clean_env[0]); i++)
		unsetenv(clean_env[i]);
	if (t->env[0])
		setenv(t->env[0], t->env[1], 1);
	argv[0] = (char *)"ursync";
	for (int i = 0; t->argv[i]; i++)
		argv[argc++] = (char *)t->argv[i];
	argv[argc] = NULL;

	ur_opts_init(&o);
	rc = quiet_parse(&o, argc, argv);
	if (rc != t->rc)
		print_error("%s: returned %d, expected %d\n", what, rc, t->rc);
	assert_int_equal(rc, t->rc);

	for (const struct expect *e = t->e; e->t != F_END; e++) {
		const char *field = (const char *)&o + e->off;
		int64_t got = 0;
		const char *s = NULL;

		switch (e->t) {
		case F_INT:
			got = *(const int *)(const void *)field;
			break;
		case F_BOOL:
			got = *(const bool *)(const void *)field;
			break;
		case F_I64:
			got = *(const int64_t *)(const void *)field;
			break;
		case F_INFO:
			got = o.info[e->idx];
			break;
		case F_DEBUG:
			got = o.debug[e->idx];
			break;
		case F_NARGS:
			got = o.nargs;
			break;
		case F_PTR:
			got = *(void *const *)(const void *)field != NULL;
			break;
		case F_STR:
			s = *(const char *const *)(const void *)field;
			break;
		case F_ARG:
			assert_true(e->idx < o.nargs);
			s = o.args[e->idx];
			break;
		case F_END:
			break;
		}
		if (e->t == F_STR || e->t == F_ARG) {
			if (!s || strcmp(s, e->s))
				print_error("%s: expected \"%s\", got \"%s\" (field at %zu)\n",
					    what, e->s, s ? s : "(null)", e->off);
			assert_non_null(s);
			assert_string_equal(s, e->s);
		} else {
			if (got != e->v)
				print_error("%s: field at %zu/%d is %lld, expected %lld\n", what,
					    e->off, e->idx, (long long)got, (long long)e->v);
			assert_int_equal(got, e->v);
		}
	}
	ur_opts_release(&o);
	if (t->env[0])
		unsetenv(t->env[0]);
}

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);
}

/* No operands at all: usage on stderr, exit 1. */
static void test_no_args(void **state)
{
	char *argv[] = {(char *)"ursync", NULL};
	struct ur_opts o;

	(void)state;
	ur_opts_init(&o);
	assert_int_equal(quiet_parse(&o, 1, argv), 1);
	ur_opts_release(&o);
}

/* Operands are moved behind the options, in order, and still borrowed. */
static void test_args_order(void **state)
{
	char *argv[] = {(char *)"ursync", (char *)"a", (char *)"-r", (char *)"b",
			(char *)"--rsh",  (char *)"c", (char *)"d",  NULL};
	struct ur_opts o;

	(void)state;
	ur_opts_init(&o);
	assert_int_equal(quiet_parse(&o, 7, argv), 0);
	assert_int_equal(o.nargs, 3);
	assert_string_equal(o.args[0], "a");
	assert_string_equal(o.args[1], "b");
	assert_string_equal(o.args[2], "d");
	assert_string_equal(o.rsh, "c");
	assert_true(o.args == argv + 4);
	ur_opts_release(&o);
}

/* Help and version go to stdout; errors and refusals to stderr. */
static void test_streams(void **state)
{
	char *help[] = {(char *)"ursync", (char *)"--version", NULL};
	char *bad[] = {(char *)"ursync", (char *)"-A", (char *)"s", (char *)"d", NULL};
	char out_path[] = "/tmp/ursync-test-options-XXXXXX";
	int fd = mkstemp(out_path), saved = dup(1), saved_err = dup(2);
	struct ur_opts o;
	char buf[4096];
	ssize_t n;

	(void)state;
	assert_true(fd >= 0 && saved >= 0 && saved_err >= 0);
	fflush(stdout);
	dup2(fd, 1);
	ur_opts_init(&o);
	assert_int_equal(ur_opts_parse(&o, 2, help), -1);
	ur_opts_release(&o);
	fflush(stdout);
	dup2(saved, 1);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "ursync  version "));
	assert_non_null(strstr(buf, "protocol version 32"));
	assert_non_null(strstr(buf, "\nio: "));

	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	fflush(stderr);
	dup2(fd, 2);
	ur_opts_init(&o);
	assert_int_equal(ur_opts_parse(&o, 4, bad), 4);
	ur_opts_release(&o);
	fflush(stderr);
	dup2(saved_err, 2);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "ursync: --acls is not supported yet"));
	assert_non_null(strstr(buf, "(code 4)"));

	close(fd);
	close(saved);
	close(saved_err);
	unlink(out_path);
}

/* A daemon's parse of its client's words with a module's refuse options. */
static void test_daemon_refuse(void **state)
{
	static const struct {
		const char *refuse;
		const char *args[4];
		int rc;
		const char *msg;
	} rcases[] = {
	    {"", {"--server", "-logDtpr", "."}, 0, ""},
	    {"checksum",
	     {"--server", "-tc", "."},
	     4,
	     "ursync: The server is configured to refuse --checksum (-c)\n"},
	    {"del*",
	     {"--server", "--delete", "."},
	     4,
	     "ursync: The server is configured to refuse --delete\n"},
	    {"a",
	     {"--server", "-l", "."},
	     4,
	     "ursync: The server is configured to refuse --links (-l)\n"},
	    {"* !times !server !recursive", {"--server", "-tr", "."}, 0, ""},
	    {"*", {"--server", "-n", "."}, 0, ""},	   /* wildcards spare -n */
	    {"dry-run", {"--server", "-n", "."}, 4, NULL}, /* by name it is refused */
	    {"", {"--server", "--copy-devices", "."}, 4, NULL},
	    /* accepted again, then refused as not supported by ursync */
	    {"!copy-devices",
	     {"--server", "--copy-devices", "."},
	     4,
	     "ursync: --copy-devices is not supported yet\n"},
	    {"", {"--server", "--bogus", "."}, 1, NULL},
	    /* implied: every delete mode is a --delete */
	    {"delete",
	     {"--server", "-r", "--delete-after", "."},
	     4,
	     "ursync: The server is configured to refuse --delete\n"},
	    {"delete-* !delete-during", {"--server", "-r", "--delete-during", "."}, 0, ""},
	    {"delete",
	     {"--server", "--sender", "--remove-source-files", "."},
	     4,
	     "ursync: The server is configured to refuse --delete\n"},
	    {"delete-*", {"--server", "--sender", "--remove-source-files", "."}, 0, ""},
	    {"compress",
	     {"--server", "--compress-level=3", "."},
	     4,
	     "ursync: The server is configured to refuse --compress (-z)\n"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rcases) / sizeof(rcases[0]); i++) {
		char *argv[6] = {(char *)"rsyncd"};
		int argc = 1;
		for (int k = 0; k < 4 && rcases[i].args[k]; k++)
			argv[argc++] = (char *)rcases[i].args[k];
		argv[argc] = NULL;
		struct ur_opts o;
		char msg[512];
		ur_opts_init(&o);
		int rc = ur_opts_parse_daemon_args(&o, argc, argv, rcases[i].refuse, false, msg,
						   sizeof(msg));
		ur_opts_release(&o);
		if (rc != rcases[i].rc)
			fprintf(stderr, "case %zu: rc %d, msg %s", i, rc, msg);
		assert_int_equal(rc, rcases[i].rc);
		if (rcases[i].msg)
			assert_string_equal(msg, rcases[i].msg);
		else
			assert_true(msg[0] != '\0' && !strstr(msg, "error: "));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),	  cmocka_unit_test(test_no_args),
	    cmocka_unit_test(test_args_order),	  cmocka_unit_test(test_streams),
	    cmocka_unit_test(test_daemon_refuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
