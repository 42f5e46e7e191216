/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_SYMLINK_H
#define UR_SYMLINK_H

#include <stdbool.h>

/*
 * rsync's notion of an unsafe symlink: the target is empty or absolute, or
 * its ".." components climb above the top of the transfer, given that the
 * link lives at `name` (its path in the file list).
 */
bool ur_symlink_unsafe(const char *target, const char *name);

#endif
