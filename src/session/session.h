/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_SESSION_H
#define UR_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "opts/opts.h"

/* The parser a daemon uses for its clients' arguments (cli's
 * ur_opts_parse_daemon_args, handed down by main: daemon/ and session/
 * sit below cli/). */
void ur_session_set_daemon_parser(int (*parse)(struct ur_opts *o, int argc, char **argv,
					       const char *refuse, bool charset, char *msg,
					       size_t cap));

/* Classify the operands, run the transfer they describe, print the closing
 * error line; returns the process exit code. */
int ur_session_run(struct ur_opts *o);

#endif
