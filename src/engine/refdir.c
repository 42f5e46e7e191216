/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The reference directories of --compare-dest/--copy-dest/--link-dest (see refdir.h). */
#include "engine/refdir.h"
#include "io/io_sys.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const opt_names[] = {
    [UR_ALT_NONE] = "--compare-dest",
    [UR_ALT_COMPARE] = "--compare-dest",
    [UR_ALT_COPY] = "--copy-dest",
    [UR_ALT_LINK] = "--link-dest",
};

/* rsync's pathjoin(): a '/' between the two unless the first ends in one. */
static int join(char *buf, size_t cap, const char *a, size_t alen, const char *b)
{
	const char *sep = alen && a[alen - 1] == '/' ? "" : "/";
	int n = snprintf(buf, cap, "%.*s%s%s", (int)alen, a, sep, b);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int ur_refdir_path(const struct ur_refdirs *r, int j, const char *dname, char *buf, size_t cap)
{
	return join(buf, cap, r->dir[j], strlen(r->dir[j]), dname);
}

int ur_refdirs_setup(struct ur_engine *eng)
{
	const struct ur_opts *o = eng->o;
	struct ur_refdirs *r;

	if (!o->basis_dir_count || o->list_only)
		return 0;
	if (!(r = calloc(1, sizeof(*r))))
		return -ENOMEM;
	const char *cur = eng->dest_path ? eng->dest_path : ".";
	for (int j = 0; j < o->basis_dir_count && j < UR_MAX_BASIS_DIRS; j++) {
		char buf[PATH_MAX];
		size_t len = strlen(o->basis_dirs[j]);
		/* one trailing slash goes, as rsync's check_alt_basis_dirs() */
		if (len > 1 && o->basis_dirs[j][len - 1] == '/')
			len--;
		snprintf(buf, sizeof(buf), "%.*s", (int)len, o->basis_dirs[j]);
		if (buf[0] != '/') {
			/* Relative to the destination. A dry run that did not make
			 * the destination drops one leading "../" against its
			 * parent, so the rest means what it would in a real run. */
			char abs[PATH_MAX];
			const char *slash = strrchr(cur, '/');
			int rc;
			if (eng->dest_missing && slash && !strncmp(buf, "../", 3))
				rc = join(abs, sizeof(abs), cur, (size_t)(slash - cur), buf + 3);
			else
				rc = join(abs, sizeof(abs), cur, strlen(cur), buf);
			if (rc == 0)
				memcpy(buf, abs, strlen(abs) + 1);
		}
		if (!(r->dir[j] = strdup(buf))) {
			ur_refdirs_free(r);
			return -ENOMEM;
		}
		r->n++;
		struct stat st;
		if (ur_sys_fstatat(eng->io, AT_FDCWD, buf, &st, 0) < 0)
			ur_errmsg("%s arg does not exist: %s", opt_names[o->alt_dest], buf);
		else if (!S_ISDIR(st.st_mode))
			ur_errmsg("%s arg is not a dir: %s", opt_names[o->alt_dest], buf);
	}
	eng->refs = r;
	return 0;
}

void ur_refdirs_free(struct ur_refdirs *r)
{
	if (!r)
		return;
	for (int j = 0; j < r->n; j++)
		free(r->dir[j]);
	free(r);
}

int ur_refdir_find(struct ur_engine *eng, const struct ur_flist *fl, const struct ur_fentry *fe,
		   mode_t mode, const char *dname, ur_ref_level_fn level_of, int *level, char *path,
		   size_t cap, struct stat *st)
{
	const struct ur_refdirs *r = eng->refs;
	int best = -1;

	*level = 0;
	for (int j = 0; r && j < r->n; j++) {
		char cand[PATH_MAX];
		struct stat cst;
		if (ur_refdir_path(r, j, dname, cand, sizeof(cand)) < 0 ||
		    ur_sys_fstatat(eng->io, AT_FDCWD, cand, &cst, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		int l = level_of(eng, fl, fe, mode, cand, &cst);
		if (l > *level) {
			*level = l;
			best = j;
			snprintf(path, cap, "%s", cand);
			*st = cst;
		}
		if (l >= 3)
			break;
	}
	return best;
}

bool ur_refdir_has_file(struct ur_engine *eng, const char *dname)
{
	const struct ur_refdirs *r = eng->refs;

	for (int j = 0; r && j < r->n; j++) {
		char cand[PATH_MAX];
		struct stat st;
		if (ur_refdir_path(r, j, dname, cand, sizeof(cand)) == 0 &&
		    ur_sys_fstatat(eng->io, AT_FDCWD, cand, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode))
			return true;
	}
	return false;
}

int ur_refdir_link(struct ur_engine *eng, const char *path, const char *dname)
{
	if (eng->o->dry_run)
		return 0;
	return ur_sys_linkat(eng->io, AT_FDCWD, path, eng->dest_fd, dname, 0) < 0 ? -errno : 0;
}
