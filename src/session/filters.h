/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_SESSION_FILTERS_H
#define UR_SESSION_FILTERS_H

struct ur_engine;

/*
 * Build eng->filters from the command line (nothing when no filter option
 * was given). abs_root is the absolute path of the transfer root, for "/"
 * rules. Returns 0 or the exit code after printing rsync's message.
 */
int ur_session_filters(struct ur_engine *eng, const char *abs_root);

struct ur_err;
/* Print a filter error the way rsync does. */
void ur_filter_report(const struct ur_err *err);

#endif
