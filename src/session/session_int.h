/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_SESSION_INT_H
#define UR_SESSION_INT_H

/* Shared by session.c (local) and remote.c (over the wire). */

#include "engine/engine.h"

/* Decide what DEST means and open it (rsync's get_local_name()); file_total
 * is how many entries the first file list holds (with a single recursed
 * directory's contents), or -1 to count them from the source. */
int ur_session_open_dest(struct ur_engine *eng, const struct ur_flist *top, char *dest,
			 int file_total);

/* Fill eng->groups for a non-root run (chgrp decisions). */
void ur_session_engine_groups(struct ur_engine *eng);

/* Free what the engine holds (roots, dest, filters, lists). */
void ur_session_engine_release(struct ur_engine *eng);

/* SIGINT, SIGTERM, SIGHUP: clean up as rsync does and exit 20
 * (signals.c). role names this end in the closing line; NULL: the
 * client's, from ur_client_exit_role at the time (rsync's main process:
 * the generator of a pull, else the sender). */
void ur_signals_install(const char *role);

#endif
