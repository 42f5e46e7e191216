/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_READALL_H
#define UR_READALL_H

#include <stddef.h>

/*
 * Read fd to its end into a malloc'd, NUL-terminated buffer (*buf, owned
 * by the caller; *len excludes the NUL). More than max bytes is -EFBIG.
 * Returns 0 or -errno; nothing is allocated on failure.
 */
int ur_read_all(int fd, size_t max, char **buf, size_t *len);

#endif
