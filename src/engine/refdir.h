/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_ENGINE_REFDIR_H
#define UR_ENGINE_REFDIR_H

/*
 * --compare-dest, --copy-dest, --link-dest: the reference directories the
 * generator looks in for a file missing from the destination (docs/engine.md
 * "Reference directories"). This file finds the candidates; what to do with
 * one (skip, copy, link, use as a basis) is the generator's decision.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "engine/engine.h"

struct ur_refdirs {
	int n;
	char *dir[UR_MAX_BASIS_DIRS]; /* absolute, as rsync makes them (owned) */
};

/* Resolve the command line's DIRs against the destination (a relative one
 * is relative to it) into eng->refs, warning as rsync does of one that is
 * missing or not a directory. Returns 0 or -ENOMEM. */
int ur_refdirs_setup(struct ur_engine *eng);

/* Free eng->refs; NULL does nothing. */
void ur_refdirs_free(struct ur_refdirs *r);

/*
 * How well reference item path (lstat st) stands in for fe: 1 same type,
 * 2 also passes the quick check, 3 also has the same attributes. 0: not a
 * candidate (another type).
 */
typedef int (*ur_ref_level_fn)(struct ur_engine *eng, const struct ur_flist *fl,
			       const struct ur_fentry *fe, mode_t mode, const char *path,
			       const struct stat *st);

/* The best reference for dname, as rsync picks it: the first directory at
 * the best level, stopping at the first of level 3. Fills path (cap bytes)
 * and st with it and returns its index, setting *level; -1 when no
 * directory has one (*level 0). */
int ur_refdir_find(struct ur_engine *eng, const struct ur_flist *fl, const struct ur_fentry *fe,
		   mode_t mode, const char *dname, ur_ref_level_fn level_of, int *level, char *path,
		   size_t cap, struct stat *st);

/* Reference directory j's path for dname (rsync's pathjoin()): 0, or
 * -ENAMETOOLONG. */
int ur_refdir_path(const struct ur_refdirs *r, int j, const char *dname, char *buf, size_t cap);

/* Does some reference directory hold a regular file at dname? */
bool ur_refdir_has_file(struct ur_engine *eng, const char *dname);

/* Hard-link reference path to dname (relative to the destination) through
 * the run's io. 0 or -errno. */
int ur_refdir_link(struct ur_engine *eng, const char *path, const char *dname);

#endif
