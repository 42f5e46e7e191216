/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Placeholder until the option table lands. */
#include "cli/opts.h"
#include <string.h>
void ur_opts_init(struct ur_opts *o) { memset(o, 0, sizeof(*o)); }
void ur_opts_release(struct ur_opts *o) { (void)o; }
int ur_opts_parse(struct ur_opts *o, int argc, char **argv) { o->args = argv + 1; o->nargs = argc - 1; return 0; }
