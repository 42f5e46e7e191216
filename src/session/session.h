/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_SESSION_H
#define UR_SESSION_H

#include "opts/opts.h"

/* Classify the operands, run the transfer they describe, print the closing
 * error line; returns the process exit code. */
int ur_session_run(struct ur_opts *o);

#endif
