/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The sending role: walk the source into file-list segments. */
#include "engine/engine.h"
#include "io/io_sys.h"
#include "filter/filter.h"
#include "meta/chmod.h"
#include "meta/symlink.h"
#include "util/err.h"
#include "util/log.h"
#include "util/path.h"
#include "util/readall.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *ur_sender_path(struct ur_engine *eng, const struct ur_flist *fl,
			   const struct ur_fentry *fe, char *buf, size_t size)
{
	const char *prefix = eng->roots[fe->root].prefix;
	const char *name = ur_fentry_name(fl, fe);
	int n;

	if (name[0] == '.' && !name[1])
		n = snprintf(buf, size, "%s", prefix);
	else if (prefix[0] == '.' && !prefix[1])
		n = snprintf(buf, size, "%s", name);
	else if (prefix[0] == '/' && !prefix[1])
		n = snprintf(buf, size, "/%s", name);
	else
		n = snprintf(buf, size, "%s/%s", prefix, name);
	if (n < 0 || (size_t)n >= size)
		return NULL;
	return buf;
}

/* rsync prints source paths in errors as absolute paths ("full_fname"). */
static const char *full_src(const char *path, char *buf, size_t size)
{
	char abs[PATH_MAX];
	snprintf(buf, size, "\"%s\"", ur_abs_path(path, abs, sizeof(abs)));
	return buf;
}

/*
 * Stat one source path the way the options ask: -L follows every symlink,
 * --copy-unsafe-links follows the unsafe ones, -k follows links to dirs.
 * `name` is the entry's path in the list (for the safety test).
 * Fills st and, for a kept symlink, link (PATH_MAX). Returns 0 or -errno.
 */
static int stat_entry(struct ur_engine *eng, int dirfd, const char *rel, const char *name,
		      const struct stat *pre, struct stat *st, char *link, bool *followed_dangling)
{
	const struct ur_opts *o = eng->o;

	*followed_dangling = false;
	link[0] = '\0';
	if (pre)
		*st = *pre; /* lstat'ed in the directory's batch */
	else if (ur_sys_fstatat(eng->io, dirfd, rel, st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISLNK(st->st_mode))
		return 0;
	ssize_t len = ur_sys_readlink(eng->io, dirfd, rel, link, PATH_MAX);
	if (len < 0)
		return -errno;
	bool follow = o->copy_links ||
		      (o->copy_unsafe_links && ur_symlink_unsafe(link, name));
	struct stat tst;
	if (!follow && o->copy_dirlinks)
		follow = ur_sys_fstatat(eng->io, dirfd, rel, &tst, 0) == 0 && S_ISDIR(tst.st_mode);
	if (follow) {
		if (ur_sys_fstatat(eng->io, dirfd, rel, &tst, 0) < 0) {
			if (errno == ENOENT) {
				*followed_dangling = true;
				return -ENOENT;
			}
			return -errno;
		}
		*st = tst;
		link[0] = '\0';
	}
	return 0;
}

/* Add one entry for `name` (the path within the list) found at `rel` in
 * dirfd, whose full path for messages is `path`. Reports errors as rsync's
 * sender does. */
static struct ur_fentry *add_entry(struct ur_engine *eng, struct ur_flist *fl, int dirfd,
				   const char *rel, const char *path, const char *name,
				   uint32_t root, bool top, const struct stat *pre, int pre_err)
{
	const struct ur_opts *o = eng->o;
	struct stat st;
	char link[PATH_MAX], pbuf[PATH_MAX + 8];
	bool dangling;
	int rc = pre_err ? pre_err : stat_entry(eng, dirfd, rel, name, pre, &st, link, &dangling);
	if (pre_err)
		dangling = false;

	/* "link/" names the directory the link points to. */
	if (rc == 0 && top && S_ISLNK(st.st_mode) && name[0] == '.' && !name[1]) {
		struct stat tst;
		if (ur_sys_fstatat(eng->io, AT_FDCWD, path, &tst, 0) == 0 && S_ISDIR(tst.st_mode)) {
			st = tst;
			link[0] = '\0';
		}
	}
	/* A dangling operand under -L is simply missing to rsync. */
	if (dangling && top)
		dangling = false;

	if (rc < 0 && eng->quiet_walk)
		return NULL;
	if (rc < 0) {
		if (dangling) {
			eng->io_error = true;
			ur_errmsg("symlink has no referent: %s", full_src(path, pbuf, sizeof(pbuf)));
			ur_engine_fail(eng, UR_EXIT_PARTIAL);
		} else if (rc == -ENOENT && !top) {
			/* Vanished between readdir and stat. */
			ur_errmsg("file has vanished: %s", full_src(path, pbuf, sizeof(pbuf)));
			ur_engine_fail(eng, UR_EXIT_VANISHED);
		} else if (rc == -ENOENT && top && o->ignore_missing_args) {
			/* silently skipped */
		} else if (rc == -ENOENT && top && o->delete_missing_args) {
			struct ur_fentry *fe = ur_flist_add(fl, name, NULL, NULL);
			if (fe) {
				fe->flags |= UR_FE_MISSING;
				fe->root = root;
			}
			return fe;
		} else {
			/* A missing operand does not stop deletions; other errors do. */
			if (rc != -ENOENT || !top)
				eng->io_error = true;
			ur_error(-rc, "[sender] link_stat %s failed", full_src(path, pbuf, sizeof(pbuf)));
			ur_engine_fail(eng, UR_EXIT_PARTIAL);
		}
		return NULL;
	}

	/* The sender's filter rules; the root of a "dir/" operand is never
	 * checked, as in rsync. */
	if (!(top && name[0] == '.' && !name[1]) &&
	    ur_excluded(eng, name, S_ISDIR(st.st_mode), UR_FILTER_SENDER, 0))
		return NULL;
	if (S_ISDIR(st.st_mode) && !o->xfer_dirs && !o->recursive) {
		if (!eng->quiet_walk)
			ur_info("skipping directory %s\n", name);
		return NULL;
	}
	if (o->one_file_system && S_ISDIR(st.st_mode) && !top &&
	    st.st_dev != eng->roots[root].dev) {
		/* -x: the mount point itself is listed (empty) once; -xx drops it. */
		if (o->one_file_system > 1)
			return NULL;
	}

	struct ur_fentry *fe = ur_flist_add(fl, name, &st, link[0] ? link : NULL);
	if (!fe) {
		ur_error(ENOMEM, "out of memory building the file list");
		ur_engine_fail(eng, UR_EXIT_MALLOC);
		return NULL;
	}
	fe->root = root;
	if (o->chmod && !S_ISLNK(st.st_mode))
		fe->mode = ur_chmod_apply(o->chmod, fe->mode);
	if (o->one_file_system && S_ISDIR(st.st_mode) && st.st_dev != eng->roots[root].dev)
		fe->flags |= UR_FE_MOUNT_DIR;
	return fe;
}

/* Strip trailing slashes (keeping a lone "/"). */
static void strip_slashes(char *s)
{
	size_t n = strlen(s);
	while (n > 1 && s[n - 1] == '/')
		s[--n] = '\0';
}

/* True when the operand names a directory's contents ("dir/", "dir/.", "."). */
static bool names_contents(const char *arg)
{
	size_t n = strlen(arg);
	if (n && arg[n - 1] == '/')
		return true;
	if (n == 1 && arg[0] == '.')
		return true;
	return n >= 2 && arg[n - 1] == '.' && arg[n - 2] == '/';
}

/* -R: add the implied parent directories of name (a/b/c adds a, a/b). */
static void add_implied(struct ur_engine *eng, struct ur_flist *fl, const char *prefix,
			const char *name, uint32_t root)
{
	char buf[PATH_MAX], path[PATH_MAX + 2];
	size_t n = strlen(name);
	if (n >= sizeof(buf))
		return;
	memcpy(buf, name, n + 1);
	for (char *p = buf; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (strcmp(prefix, ".") == 0)
			snprintf(path, sizeof(path), "%s", buf);
		else
			snprintf(path, sizeof(path), "%s/%s", strcmp(prefix, "/") ? prefix : "", buf);
		struct stat st;
		if (ur_sys_fstatat(eng->io, AT_FDCWD, path, &st, 0) == 0 && S_ISDIR(st.st_mode)) {
			struct ur_fentry *fe = ur_flist_add(fl, buf, &st, NULL);
			if (fe) {
				fe->root = root;
				fe->flags |= UR_FE_IMPLIED_DIR | UR_FE_NO_RECURSE;
				if (eng->o->chmod)
					fe->mode = ur_chmod_apply(eng->o->chmod, fe->mode);
			}
		}
		*p = '/';
	}
}

/* Largest --files-from list read into memory. */
#define FILES_FROM_MAX ((size_t)1 << 30)

/*
 * Clean one --files-from entry in place, as rsync does: no leading '/',
 * no "." components, ".." takes back the previous component and is dropped
 * at the top, so nothing can climb above the source directory. Returns
 * whether it ended with a '/' (its contents are sent too).
 */
static bool clean_entry(char *e)
{
	size_t n = strlen(e);
	bool slash = n && e[n - 1] == '/';
	char *w = e;
	for (char *p = e; *p;) {
		char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == 0 || (len == 1 && p[0] == '.')) {
			/* nothing */
		} else if (len == 2 && p[0] == '.' && p[1] == '.') {
			while (w > e && w[-1] != '/')
				w--;
			if (w > e)
				w--;
		} else {
			if (w > e)
				*w++ = '/';
			memmove(w, p, len);
			w += len;
		}
		p += len + (end ? 1 : 0);
	}
	*w = '\0';
	return slash;
}

/* A root whose prefix is the first plen bytes of path (index in *ri). */
static int add_root_for(struct ur_engine *eng, const char *path, size_t plen, uint32_t *ri)
{
	for (size_t i = 0; i < eng->nroots; i++)
		if (strlen(eng->roots[i].prefix) == plen && !strncmp(eng->roots[i].prefix, path, plen)) {
			*ri = (uint32_t)i;
			return 0;
		}
	struct ur_root *nr = realloc(eng->roots, (eng->nroots + 1) * sizeof(*nr));
	if (!nr)
		return -ENOMEM;
	eng->roots = nr;
	struct ur_root *r = &nr[eng->nroots];
	*r = nr[0];
	r->top = NULL;
	r->prefix = strndup(path, plen);
	if (!r->prefix)
		return -ENOMEM;
	*ri = (uint32_t)eng->nroots++;
	return 0;
}

/* --files-from: the entries of the list, all under the one SRC. */
static int files_from_top(struct ur_engine *eng, struct ur_flist *fl)
{
	const struct ur_opts *o = eng->o;
	char *buf = NULL, *copy;
	size_t len = 0;
	int rc;
	if (strcmp(o->files_from, "-")) {
		rc = ur_io_read_file(eng->io, AT_FDCWD, o->files_from, 0, FILES_FROM_MAX, &buf, &len);
		if (rc == -ENOENT || rc == -EACCES || rc == -ENOTDIR || rc == -ELOOP ||
		    rc == -ENAMETOOLONG) {
			ur_error(-rc, "failed to open files-from file %s", o->files_from);
			return rc;
		}
	} else {
		rc = ur_read_all(STDIN_FILENO, FILES_FROM_MAX, &buf, &len); /* a pipe, not a file */
	}
	if (rc < 0)
		return rc;

	struct ur_root *r = &eng->roots[0];
	eng->nroots = 1;
	r->display = o->args[0];
	copy = strdup(o->args[0]);
	if (!copy) {
		free(buf);
		return -ENOMEM;
	}
	strip_slashes(copy);
	r->prefix = copy;
	struct stat rst;
	if (ur_sys_fstatat(eng->io, AT_FDCWD, r->prefix, &rst, 0) == 0)
		r->dev = rst.st_dev;

	/* Entries end at NUL with --from0, else at '\n' or '\r'. */
	for (char *p = buf; p < buf + len;) {
		char *end = p;
		while (end < buf + len && (o->from0 ? *end != '\0' : (*end != '\n' && *end != '\r')))
			end++;
		*end = '\0';
		char *e = p;
		p = end + 1;
		if (!*e || *e == '#' || *e == ';')
			continue;
		/* A leading "./" sends the "." directory itself, as with -R. */
		bool dot_lead = e[0] == '.' && e[1] == '/';
		r = &eng->roots[0]; /* add_root_for() may move the array */
		uint32_t ri = 0;
		/* With -R a "/./" in the line ends the part that is not sent,
		 * as on the command line: "from/./dir/f" is "dir/f" under
		 * SRC/from, a root of its own. */
		char base[PATH_MAX];
		const char *pfx = r->prefix;
		char *dd = o->relative ? strstr(e, "/./") : NULL;
		if (dd) {
			*dd = '\0';
			clean_entry(e);
			snprintf(base, sizeof(base), "%s%s%s", r->prefix, *e ? "/" : "", e);
			rc = add_root_for(eng, base, strlen(base), &ri);
			if (rc < 0)
				break;
			r = &eng->roots[0];
			pfx = base;
			e = dd + 3;
			dot_lead = e[0] == '.' && e[1] == '/';
		}
		bool contents = clean_entry(e);
		char name[PATH_MAX], path[PATH_MAX];
		const char *use = *e ? e : ".";
		if (strcmp(e, ".") && *e)
			snprintf(path, sizeof(path), "%s/%s", pfx, e);
		else
			snprintf(path, sizeof(path), "%s", pfx);
		if (!o->relative) {
			/* Without -R each entry is its last component, found in
			 * its own directory: a root of its own. */
			const char *b = strrchr(use, '/');
			if (b) {
				rc = add_root_for(eng, path, (size_t)(strrchr(path, '/') - path), &ri);
				if (rc < 0)
					break;
				use = b + 1;
			}
		}
		snprintf(name, sizeof(name), "%s", use);
		if (o->relative && o->implied_dirs && dot_lead) {
			struct stat dst;
			if (ur_sys_fstatat(eng->io, AT_FDCWD, pfx, &dst, 0) == 0 && S_ISDIR(dst.st_mode)) {
				struct ur_fentry *dfe = ur_flist_add(fl, ".", &dst, NULL);
				if (dfe) {
					dfe->root = ri;
					dfe->flags |= UR_FE_IMPLIED_DIR | UR_FE_NO_RECURSE;
				}
			}
		}
		if (o->relative && o->implied_dirs && strchr(name, '/'))
			add_implied(eng, fl, pfx, name, ri);
		struct ur_fentry *fe = add_entry(eng, fl, AT_FDCWD, path, path, name, ri, true, NULL, 0);
		if (fe && S_ISDIR(fe->mode)) {
			fe->flags |= UR_FE_TOP_DIR;
			if (!o->recursive && !contents)
				fe->flags |= UR_FE_NO_RECURSE;
		}
	}
	free(buf);
	ur_flist_sort(fl, 0);
	ur_flist_dedup(fl, 0);
	return rc;
}

/*
 * A named directory operand ("b/sub") that an earlier "dir/" operand also
 * holds ("a/" with a/sub): rsync lists a "dir/" operand's contents in the
 * first list, keeps the earlier operand's "sub" and merges the two
 * trees. Here the contents of "." come in a list of their own, so the
 * top-level "sub" takes the earlier operand's directory (attributes and
 * root; ur_sender_dir then merges the other's contents) and the listing of
 * "." leaves it out (ur_sender_dir).
 */
static bool join(char *buf, size_t size, const char *a, const char *b);

static void adopt_earlier_dirs(struct ur_engine *eng, struct ur_flist *fl)
{
	if (eng->nroots < 2)
		return;
	for (size_t k = 0; k < fl->n; k++) {
		struct ur_fentry *e = &fl->e[k];
		const char *name = ur_fentry_name(fl, e);
		if (!S_ISDIR(e->mode) || !strcmp(name, ".") || strchr(name, '/'))
			continue;
		for (uint32_t i = 0; i < e->root; i++) {
			const struct ur_root *r = &eng->roots[i];
			char path[PATH_MAX];
			struct stat st;
			if (!r->top || strcmp(r->top, ".") || !join(path, sizeof(path), r->prefix, name) ||
			    ur_sys_fstatat(eng->io, AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
			    !S_ISDIR(st.st_mode))
				continue;
			struct ur_flist tmp;
			ur_flist_init(&tmp);
			struct ur_fentry *n = add_entry(eng, &tmp, AT_FDCWD, path, path, name, i, false,
							&st, 0);
			if (n && S_ISDIR(n->mode)) {
				uint32_t keep_name = e->name, keep_base = e->base, flags = e->flags;
				*e = *n;
				e->name = keep_name;
				e->base = keep_base;
				e->flags = (n->flags & ~UR_FE_NO_RECURSE) | (flags & UR_FE_NO_RECURSE) |
					   (flags & UR_FE_TOP_DIR);
			}
			ur_flist_release(&tmp);
			break;
		}
	}
}

int ur_sender_top(struct ur_engine *eng, struct ur_flist *fl)
{
	const struct ur_opts *o = eng->o;
	int nsrc = o->nargs - 1;

	if (o->files_from) {
		eng->roots = calloc(1, sizeof(*eng->roots));
		return eng->roots ? files_from_top(eng, fl) : -ENOMEM;
	}

	eng->roots = calloc((size_t)(nsrc > 0 ? nsrc : 1), sizeof(*eng->roots));
	if (!eng->roots)
		return -ENOMEM;
	for (int i = 0; i < nsrc; i++) {
		const char *arg = o->args[i];
		char *copy = strdup(arg);
		if (!copy)
			return -ENOMEM;
		struct ur_root *r = &eng->roots[eng->nroots];
		uint32_t ri = (uint32_t)eng->nroots++;
		r->display = (char *)arg;
		const char *name;
		bool contents = names_contents(arg);

		if (o->relative) {
			/* Everything after a "/./" (or the whole path) is kept. */
			char *dot = strstr(copy, "/./");
			char *rel;
			if (dot) {
				*dot = '\0';
				r->prefix = strdup(copy[0] ? copy : "/");
				rel = dot + 3;
			} else {
				r->prefix = strdup(copy[0] == '/' ? "/" : ".");
				rel = copy;
			}
			while (*rel == '/')
				rel++;
			/* A leading "./" sends the "." directory itself too. */
			bool dot_lead = rel[0] == '.' && rel[1] == '/';
			while (rel[0] == '.' && rel[1] == '/')
				rel += 2;
			if (dot_lead && o->implied_dirs) {
				struct stat dst;
				if (ur_sys_fstatat(eng->io, AT_FDCWD, r->prefix, &dst, 0) == 0 && S_ISDIR(dst.st_mode)) {
					struct ur_fentry *dfe = ur_flist_add(fl, ".", &dst, NULL);
					if (dfe) {
						dfe->root = ri;
						dfe->flags |= UR_FE_IMPLIED_DIR | UR_FE_NO_RECURSE;
					}
				}
			}
			strip_slashes(rel);
			size_t rl = strlen(rel);
			if (rl >= 2 && strcmp(rel + rl - 2, "/.") == 0)
				rel[rl - 2] = '\0';
			if (!*rel || strcmp(rel, ".") == 0)
				rel = (char *)".";
			name = rel;
			if (o->implied_dirs && strcmp(name, "."))
				add_implied(eng, fl, r->prefix, name, ri);
		} else if (contents) {
			strip_slashes(copy);
			size_t cl = strlen(copy);
			if (cl >= 2 && strcmp(copy + cl - 2, "/.") == 0)
				copy[cl - 2] = '\0';
			r->prefix = strdup(copy[0] ? copy : "/");
			name = ".";
		} else {
			strip_slashes(copy);
			char *slash = strrchr(copy, '/');
			if (slash && slash[1]) {
				*slash = '\0';
				r->prefix = strdup(copy[0] ? copy : "/");
				name = slash + 1;
			} else if (slash) {
				r->prefix = strdup("/");
				name = ".";
			} else {
				r->prefix = strdup(".");
				name = copy;
			}
		}
		if (!r->prefix) {
			free(copy);
			return -ENOMEM;
		}

		/* rsync enters the operand's directory first; a missing one is
		 * reported as such. */
		struct stat pst;
		if (strcmp(r->prefix, ".") && ur_sys_fstatat(eng->io, AT_FDCWD, r->prefix, &pst, 0) < 0) {
			char pbuf[PATH_MAX + 8];
			int e = errno;
			if (e != ENOENT)
				eng->io_error = true;
			if (!(e == ENOENT && o->ignore_missing_args))
				ur_error(e, "[sender] change_dir %s failed",
					 full_src(r->prefix, pbuf, sizeof(pbuf)));
			if (!(e == ENOENT && o->ignore_missing_args))
				ur_engine_fail(eng, UR_EXIT_PARTIAL);
			free(copy);
			continue;
		}

		char path[PATH_MAX];
		struct ur_fentry tmp = {0};
		int64_t noff = ur_flist_intern(fl, name, strlen(name));
		if (noff < 0) {
			free(copy);
			return -ENOMEM;
		}
		tmp.name = (uint32_t)noff;
		tmp.root = ri;
		if (!ur_sender_path(eng, fl, &tmp, path, sizeof(path))) {
			ur_error(ENAMETOOLONG, "[sender] %s", arg);
			ur_engine_fail(eng, UR_EXIT_PARTIAL);
			free(copy);
			continue;
		}
		struct stat rst;
		if (ur_sys_fstatat(eng->io, AT_FDCWD, path, &rst, 0) == 0)
			r->dev = rst.st_dev;
		char namebuf[PATH_MAX];
		snprintf(namebuf, sizeof(namebuf), "%s", name);
		free(copy);
		if (!(r->top = strdup(namebuf)))
			return -ENOMEM;
		struct ur_fentry *fe = add_entry(eng, fl, AT_FDCWD, path, path, namebuf, ri, true, NULL, 0);
		if (fe && S_ISDIR(fe->mode)) {
			fe->flags |= UR_FE_TOP_DIR;
			/* -d without -r: a named dir is created but its contents are
			 * listed only when the operand named them ("dir/"). */
			if (!o->recursive && !(strcmp(namebuf, ".") == 0))
				fe->flags |= UR_FE_NO_RECURSE;
		}
	}
	ur_flist_sort(fl, 0);
	ur_flist_dedup(fl, 0);
	adopt_earlier_dirs(eng, fl);
	return 0;
}

/* buf = "a/b" (or "b" for a NULL a); false when it does not fit. */
static bool join(char *buf, size_t size, const char *a, const char *b)
{
	size_t la = a ? strlen(a) : 0, lb = strlen(b);
	if (la + (a ? 1 : 0) + lb + 1 > size)
		return false;
	if (a) {
		memcpy(buf, a, la);
		buf[la++] = '/';
	}
	memcpy(buf + la, b, lb + 1);
	return true;
}

/* One name of directory `dir` (listed at `path`, open as dfd) with its lstat
 * (res 0) or the error from it, into fl. */
static void sender_child(struct ur_engine *eng, const struct ur_fentry *dir, const char *dname,
			 bool is_root, const char *path, int dfd, const char *b,
			 const struct ur_stat *ust, int res, struct ur_flist *fl)
{
	char child[PATH_MAX], name[PATH_MAX], pbuf[PATH_MAX + 8];
	/* joined by hand: snprintf was a tenth of the main thread's user time
	 * in the no-change rerun (W2) */
	bool ok = join(child, sizeof(child), strcmp(path, "/") ? path : "", b) &&
		  (is_root ? join(name, sizeof(name), NULL, b) : join(name, sizeof(name), dname, b));
	if (!ok) {
		eng->io_error = true;
		ur_error(ENAMETOOLONG, "[sender] skipping long name in %s",
			 full_src(path, pbuf, sizeof(pbuf)));
		ur_engine_fail(eng, UR_EXIT_PARTIAL);
		return;
	}
	struct stat st;
	if (res == 0)
		ur_stat_to_sys(ust, &st);
	add_entry(eng, fl, dfd, b, child, name, dir->root, false, &st, res);
}

/* List dir's children from dir->root into fl (unsorted). merged: the
 * directory of another operand with the same name, which may be missing
 * or not a directory there (then nothing is listed and nothing said). */
static int list_dir(struct ur_engine *eng, const struct ur_flist *parent,
		    const struct ur_fentry *dir, struct ur_flist *fl, bool merged)
{
	char path[PATH_MAX], pbuf[PATH_MAX + 8];
	const char *dname = ur_fentry_name(parent, dir);
	bool is_root = dname[0] == '.' && !dname[1];

	if (!ur_sender_path(eng, parent, dir, path, sizeof(path)))
		return -ENAMETOOLONG;
	/* Entries are looked up relative to the open directory: one path
	 * component per stat instead of the whole path, and lstat'ed in
	 * batches (one enter per CHUNK names on the ring). */
	enum { CHUNK = 64 };
	struct ur_dir *d = NULL;
	struct ur_listing *pre = ur_walker_take(eng, path);
	if (merged && !pre) {
		struct stat st;
		if (ur_sys_fstatat(eng->io, AT_FDCWD, path, &st,
				   is_root ? 0 : AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode))
			return 0;
	}
	int rc = pre ? pre->err : ur_dir_open(AT_FDCWD, path, true, &d);
	if (rc < 0 && eng->quiet_walk) {
		ur_listing_free(pre);
		return rc;
	}
	if (rc < 0) {
		eng->io_error = true;
		ur_error(-rc, "[sender] opendir %s failed", full_src(path, pbuf, sizeof(pbuf)));
		ur_engine_fail(eng, UR_EXIT_PARTIAL);
		ur_listing_free(pre);
		return rc;
	}
	if (pre) {
		/* listed ahead by the walker thread */
		int dfd = ur_dir_fd(pre->dir);
		for (size_t i = 0; i < pre->n; i++)
			sender_child(eng, dir, dname, is_root, path, dfd, pre->names + pre->off[i],
				     &pre->st[i], pre->res[i], fl);
		if (pre->read_err < 0) {
			eng->io_error = true;
			ur_error(-pre->read_err, "[sender] readdir(%s)", full_src(path, pbuf, sizeof(pbuf)));
			ur_engine_fail(eng, UR_EXIT_PARTIAL);
		}
		ur_listing_free(pre);
		return 0;
	}
	int dfd = ur_dir_fd(d);
	struct ur_dirent ents[CHUNK];
	struct ur_stat sts[CHUNK];
	int res[CHUNK];
	ssize_t n;
	while ((n = ur_dir_read_stat(eng->io, d, ents, sts, res, CHUNK, AT_SYMLINK_NOFOLLOW)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			sender_child(eng, dir, dname, is_root, path, dfd, ents[i].name, &sts[i], res[i],
				     fl);
	}
	if (n < 0) {
		eng->io_error = true;
		ur_error((int)-n, "[sender] readdir(%s)", full_src(path, pbuf, sizeof(pbuf)));
		ur_engine_fail(eng, UR_EXIT_PARTIAL);
	}
	ur_dir_close(d);
	return 0;
}

/* Does root r list dname's directory too? Its top entry is "." (an
 * operand "dir/") or dname or one of dname's parents. */
static bool root_has(const struct ur_root *r, const char *dname)
{
	if (!r->top)
		return false;
	if (!strcmp(r->top, "."))
		return true;
	size_t n = strlen(r->top);
	return !strncmp(dname, r->top, n) && (dname[n] == '\0' || dname[n] == '/');
}

int ur_sender_dir(struct ur_engine *eng, const struct ur_flist *parent,
		  const struct ur_fentry *dir, struct ur_flist *fl)
{
	int rc = list_dir(eng, parent, dir, fl, false);
	if (rc < 0)
		return rc;
	const char *dn = ur_fentry_name(parent, dir);
	if (eng->nroots > 1 && dn[0] == '.' && !dn[1] && eng->roots[dir->root].top) {
		/* a child that another operand names is in the top list already
		 * (adopt_earlier_dirs) */
		size_t w = 0;
		for (size_t k = 0; k < fl->n; k++) {
			const char *cn = ur_fentry_name(fl, &fl->e[k]);
			bool named = false;
			for (size_t i = 0; i < eng->nroots && !named; i++)
				named = eng->roots[i].top && strcmp(eng->roots[i].top, ".") &&
					!strcmp(eng->roots[i].top, cn);
			if (!named || !S_ISDIR(fl->e[k].mode))
				fl->e[w++] = fl->e[k];
		}
		fl->n = w;
	}
	/* Operands whose trees hold a directory of the same name are merged
	 * into one, as rsync merges "a/ b/" into the destination: their
	 * children join the list, and for a name in several the earliest
	 * operand's entry stays (the sort puts it first). */
	if (eng->nroots > 1 && eng->roots[dir->root].top) {
		const char *dname = ur_fentry_name(parent, dir);
		bool more = false;
		for (size_t i = 0; i < eng->nroots; i++) {
			if (i == dir->root || !root_has(&eng->roots[i], dname))
				continue;
			struct ur_fentry alt = *dir;
			alt.root = (uint32_t)i;
			if (list_dir(eng, parent, &alt, fl, true) < 0)
				continue;
			more = true;
		}
		if (more) {
			ur_flist_sort(fl, 0);
			ur_flist_dedup(fl, 0);
			return 0;
		}
	}
	ur_flist_sort(fl, 0);
	return 0;
}

void ur_sender_remove(struct ur_engine *eng, const struct ur_flist *fl,
		      const struct ur_fentry *fe)
{
	char path[PATH_MAX], pbuf[PATH_MAX + 8];
	if (eng->o->dry_run || S_ISDIR(fe->mode))
		return;
	if (!ur_sender_path(eng, fl, fe, path, sizeof(path)))
		return;
	/* Refuse to remove a source that changed since it was listed. */
	struct stat st;
	if (ur_sys_fstatat(eng->io, AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_size != fe->size || st.st_mtim.tv_sec != fe->mtime)) {
		ur_error(0, "[sender] Skipping sender remove for changed file: %s",
			 full_src(path, pbuf, sizeof(pbuf)) );
		return;
	}
	if (ur_sys_unlinkat(eng->io, AT_FDCWD, path, 0) < 0) {
		int e = errno;
		ur_error(e, "[sender] sender failed to remove %s", path);
		return;
	}
	if (UR_INFO_GTE(eng->o, REMOVE, 1))
		ur_info("sender removed %s\n", ur_fentry_name(fl, fe));
}
