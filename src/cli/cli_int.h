/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_CLI_INT_H
#define UR_CLI_INT_H

/* What options.c, help.c and version.c share inside cli/. */

#include <stdio.h>

/* The protocol this build speaks natively, and the oldest it will offer. */
#define UR_PROTOCOL_VERSION	  32
#define UR_PROTOCOL_MIN_SUPPORTED 30

/* A "name9" level means name4, as in rsync. */
#define UR_MAX_OUT_LEVEL 4

/* The --info or --debug flag family: names in enum order (opts/opts.h). */
struct ur_out_words {
	const char *opt;	  /* "--info" or "--debug" */
	const char *const *names; /* [count], upper case */
	const char *const *help;  /* [count] */
	int count;
	const char *const *by_verbosity; /* what the n-th -v adds; NULL: nothing */
	int nverbosity;
};
extern const struct ur_out_words ur_info_words;
extern const struct ur_out_words ur_debug_words;

/* `--info=help` / `--debug=help` on stdout, as rsync lays it out. */
void ur_cli_output_help(const struct ur_out_words *w);

/* `ursync --version`: the version block in rsync's layout. */
void ur_cli_print_version(FILE *f);
/* `ursync -VV`: the same facts as JSON, as rsync prints for -VV. */
void ur_cli_print_version_json(FILE *f);
/* `ursync --help` (stdout) or a usage error (stderr). */
void ur_cli_usage(FILE *f);
/* `ursync --daemon --help`. */
void ur_cli_daemon_usage(FILE *f);

#endif
