/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_RSH_H
#define UR_RSH_H

/*
 * The command line that starts the far side over a remote shell, built as
 * rsync 3.5.0 builds it (its do_cmd() and server_options()):
 *
 *   RSH-WORDS [-l USER] [-4|-6] HOST RSYNC-PATH --server [--sender] -BUNDLE
 *   [more server options] . RPATH...
 *
 * With -s/--secluded-args the command line stops after -BUNDLE (and
 * --iconv); the rest travels on the shell's stdin (ur_secluded_args).
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "opts/opts.h"
#include "util/err.h"

/* A growable argv. v is NULL-terminated once anything was pushed; the
 * strings are owned. Start from a zeroed struct. */
struct ur_argv {
	char **v;
	int n, cap;
};

void ur_argv_free(struct ur_argv *a);
/* Append a copy of s; 0 or -ENOMEM. */
int ur_argv_push(struct ur_argv *a, const char *s);

/* rsync's clean_fname(CFN_COLLAPSE_DOT_DOT_DIRS): no "//", "./" or
 * trailing "/", "dir/.." folded; "." for what comes to nothing. Returns a
 * string to free, or NULL for no memory. */
char *ur_clean_dir(const char *in);

/* The remote shell to use: -e, else RSYNC_RSH (rsh_env, NULL when unset;
 * rsync uses a set but empty one as is), else "ssh". */
const char *ur_rsh_choose(const struct ur_opts *o, const char *rsh_env);

/*
 * Split an -e/RSYNC_RSH string into words as rsync does: words end at
 * spaces (only ' ', not tabs); '...' and "..." quote, a doubled quote
 * character inside quotes is one literal quote, backslashes are plain
 * characters. Appends to out. Returns 0, -ENOMEM, or -EINVAL for an
 * unterminated quote ("Missing trailing-' in remote-shell command.",
 * exit 1, in err).
 */
int ur_rsh_split(const char *rsh, struct ur_argv *out, struct ur_err *err);

/*
 * The server arguments the client sends, starting at "--server", for the
 * remote side being the sender (pull) or the receiver (push): every word
 * rsync 3.5.0's server_options() produces from the same command line,
 * including the part that -s would send on stdin. Appends to out; 0 or
 * -ENOMEM.
 */
int ur_server_args(const struct ur_opts *o, bool remote_sender, struct ur_argv *out);

/*
 * The whole argv to exec for a remote-shell transfer (see the top of this
 * file). user may be NULL; host has no brackets. rpaths are the remote
 * paths as given after "host:" (each escaped as rsync escapes them;
 * an empty one becomes "."). With -s the argv stops after the option
 * bundle. Returns 0, -ENOMEM, or -EINVAL with err set (bad quoting in the
 * remote-shell command).
 */
int ur_rsh_command(const struct ur_opts *o, const char *rsh_env, const char *user, const char *host,
		   bool remote_sender, const char *const *rpaths, int nrpaths, struct ur_argv *out,
		   struct ur_err *err);

/*
 * With -s/--secluded-args: the words the client writes to the remote
 * shell's stdin after starting it: "rsync", the server options that did not
 * go on the command line, ".", the remote paths (not escaped; an empty word
 * is sent as "."). Appends to out; 0 or -ENOMEM. Without -s it appends
 * nothing.
 */
int ur_secluded_args(const struct ur_opts *o, bool remote_sender, const char *const *rpaths,
		     int nrpaths, struct ur_argv *out);

/*
 * The secluded words in their wire form: each word and a NUL, then one
 * more NUL. Returns the length written to buf, or -ENOBUFS.
 */
ssize_t ur_secluded_encode(const struct ur_argv *words, char *buf, size_t cap);

/*
 * The server's side of -s: read the words from fd (each ended by a NUL, an
 * empty word or the end of the stream ends them), one byte at a time so
 * that nothing of the protocol after them is taken. The words after the
 * first "." are file names and are expanded as rsync's server expands
 * them (glob(3); a pattern that matches nothing stays as it is). Appends
 * to out (the first word is the client's program name). Returns 0, or
 * -errno with err set (a word past PATH_MAX, too many words, a read
 * error).
 */
int ur_secluded_read(int fd, struct ur_argv *out, struct ur_err *err);

/*
 * rsh to an rsync daemon (host::module with -e given): RSH-WORDS
 * [-l USER] HOST RSYNC-PATH --server --daemon . (rsync leaves -l out
 * when the rsh command already holds "-l NAME").
 */
int ur_rsh_daemon_command(const struct ur_opts *o, const char *rsh_env, const char *user,
			  const char *host, struct ur_argv *out, struct ur_err *err);

/* rsync turns blocking I/O on for a shell named "rsh" or "remsh" unless
 * --blocking-io/--no-blocking-io said otherwise (blocking_io_opt: -1 not
 * given, else 0/1). */
bool ur_rsh_blocking_io(const char *rsh_argv0, int blocking_io_opt);

#endif
