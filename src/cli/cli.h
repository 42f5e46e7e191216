/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_CLI_H
#define UR_CLI_H

/*
 * The command line: rsync 3.5.0's option table and its parser. The
 * options land in struct ur_opts (opts/opts.h), which every layer below
 * reads; only this folder knows how they were spelled.
 */

#include <stdbool.h>
#include <stddef.h>

#include "opts/opts.h"

/*
 * Parse argv with rsync 3.5.0's rules into o. Returns 0 when the caller
 * should go on, a positive exit code after printing the reason (usage
 * error: 1; not supported yet: 4), or -1 when the run is already complete
 * (--help, --version printed; exit 0).
 */
int ur_opts_parse(struct ur_opts *o, int argc, char **argv);

/*
 * A daemon's parse of its client's arguments (daemon/server.h's parse
 * hook): ur_opts_parse with the module's "refuse options" (and --iconv
 * refused without a charset), its messages caught into msg instead of
 * stderr (without the closing exit line). Returns 0 or an exit code.
 */
int ur_opts_parse_daemon_args(struct ur_opts *o, int argc, char **argv, const char *refuse,
			      bool charset, char *msg, size_t cap);

#endif
