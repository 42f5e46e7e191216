/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_SESSION_REMOTE_H
#define UR_SESSION_REMOTE_H

#include "cli/opts.h"

struct ur_remote_spec;

/* `ursync --server ...` on stdin/stdout, as a far client started it.
 * Returns the exit code. */
int ur_session_server(struct ur_opts *o);

/* Push or pull over a remote shell (rs from ur_remote_spec_parse). */
int ur_session_client(struct ur_opts *o, const struct ur_remote_spec *rs);

#endif
