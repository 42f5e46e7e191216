/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_SESSION_REMOTE_H
#define UR_SESSION_REMOTE_H

#include "opts/opts.h"

struct ur_remote_spec;

/* `ursync --server ...` on stdin/stdout, as a far client started it.
 * Returns the exit code. */
int ur_session_server(struct ur_opts *o);

/* The same on fd_in/fd_out; protocol and remote_protocol are what a
 * daemon's greetings agreed (0: exchange versions as over a remote
 * shell). With error set (lines), the protocol is started only to tell
 * the client and exit with error_code (the daemon's refusals). Returns
 * the exit code. */
int ur_session_serve(struct ur_opts *o, int fd_in, int fd_out, int protocol, int remote_protocol,
		     const char *error, int error_code);

/* After ur_session_client: the role rsync names in its closing error line
 * ("sender", "Receiver" or "generator"), or NULL when the far side already
 * reported the error (MSG_ERROR_EXIT) and nothing more is printed. */
extern const char *ur_client_exit_role;

/* Push or pull over a remote shell (rs from ur_remote_spec_parse). */
int ur_session_client(struct ur_opts *o, const struct ur_remote_spec *rs);

#endif
