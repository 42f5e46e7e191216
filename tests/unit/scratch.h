/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_TEST_SCRATCH_H
#define UR_TEST_SCRATCH_H

/* A scratch directory for a unit test: made under /tmp, removed with all
 * it holds. Header-only; each test program is its own executable. */

#include <stdio.h>
#include <stdlib.h>

/* Make /tmp/NAME.XXXXXX into dir (size >= 64). Returns 0 or -1. */
static inline int ur_scratch_make(char *dir, size_t size, const char *name)
{
	snprintf(dir, size, "/tmp/%s.XXXXXX", name);
	return mkdtemp(dir) ? 0 : -1;
}

/* Remove dir and everything below it. Returns 0 or -1. */
static inline int ur_scratch_remove(const char *dir)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

#endif
