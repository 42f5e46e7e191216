/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_PATH_H
#define UR_PATH_H

#include <stddef.h>

/*
 * PATH made absolute against the current directory, as rsync's messages
 * show paths ("." is the directory itself; anything else is joined, a
 * trailing slash kept). Writes into buf and returns it.
 */
const char *ur_abs_path(const char *path, char *buf, size_t size);

#endif
