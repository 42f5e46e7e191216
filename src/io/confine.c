/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Path resolution confined to a root directory fd (DESIGN.md "Receiving
 * side safety"). With openat2 (Linux 5.6) the kernel does it:
 * RESOLVE_BENEATH refuses absolute symlinks and ".." above the root with
 * EXDEV, RESOLVE_NO_MAGICLINKS refuses /proc/self/fd style links. Without
 * it (old kernel: ENOSYS; the BSDs and macOS: no openat2) we walk one
 * component at a time with O_NOFOLLOW, read each symlink ourselves and
 * splice its target into the rest of the path, keeping the list of real
 * directories we are in so that ".." from a link pops one and can never
 * climb above the root. Both give the same answers; the tests run both.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "io/io.h"
#include "io/io_int.h"

#if HAVE_OPENAT2
#include <linux/openat2.h>
#include <sys/syscall.h>
#endif

#define MAX_LINKS 40 /* the kernel's MAXSYMLINKS */

/* Intermediate directories are only searched: O_PATH needs no read
 * permission and costs less where it exists (the portable build takes the
 * O_RDONLY path that macOS has). */
#if defined(O_PATH) && !UR_PORTABLE
#define DIR_FLAGS (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#else
#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#endif

int ur_confine_check_name(const char *path)
{
	if (!path || !*path)
		return -EINVAL;
	if (path[0] == '/')
		return -EXDEV;
	for (const char *p = path; *p;) {
		const char *e = strchr(p, '/');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == 2 && p[0] == '.' && p[1] == '.')
			return -EXDEV;
		if (l > NAME_MAX)
			return -ENAMETOOLONG;
		p += l;
		while (*p == '/')
			p++;
	}
	if (strlen(path) >= PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

#if HAVE_OPENAT2
/* Set once the kernel said ENOSYS: no need to ask again. */
static int openat2_missing;

static int try_openat2(int rootfd, const char *path, int flags, uint32_t mode, unsigned cflags)
{
	struct open_how how;
	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)(unsigned)flags;
	/* openat2 refuses a mode without O_CREAT/O_TMPFILE, unlike openat */
	if (flags & O_CREAT)
		how.mode = mode;
#ifdef O_TMPFILE
	if ((flags & O_TMPFILE) == O_TMPFILE)
		how.mode = mode;
#endif
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	if (cflags & UR_CONFINE_NO_SYMLINKS)
		how.resolve |= RESOLVE_NO_SYMLINKS;
	long r = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	if (r < 0) {
		if (errno == ENOSYS)
			__atomic_store_n(&openat2_missing, 1, __ATOMIC_RELAXED);
		return -errno;
	}
	return (int)r;
}

static bool use_openat2(unsigned cflags)
{
	return !(cflags & UR_CONFINE_NO_OPENAT2) &&
	       !__atomic_load_n(&openat2_missing, __ATOMIC_RELAXED);
}
#endif

/* Open the chain of real directories in `resolved` ("a/b", or "") from the
 * root again, after a ".." popped one. */
static int reopen(int rootfd, const char *resolved, bool *owned)
{
	int cur = rootfd;
	*owned = false;
	char comp[NAME_MAX + 1];
	for (const char *p = resolved; *p;) {
		const char *e = strchr(p, '/');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		memcpy(comp, p, l);
		comp[l] = '\0';
		int fd = openat(cur, comp, DIR_FLAGS);
		int err = errno;
		if (*owned)
			close(cur);
		if (fd < 0)
			return -err;
		cur = fd;
		*owned = true;
		p += l;
		while (*p == '/')
			p++;
	}
	return cur;
}

/*
 * The component walk. pend holds the path still to resolve (modified in
 * place as links are spliced in). With open_leaf, the last component is
 * opened with flags/mode (plus O_NOFOLLOW, following it by hand when the
 * caller did not ask for O_NOFOLLOW) and the result is always a new fd.
 * Without, every component is a directory and the result may be rootfd
 * itself (*owned false).
 */
static int walk(int rootfd, char *pend, bool open_leaf, int flags, uint32_t mode, unsigned cflags,
		bool *owned)
{
	char resolved[PATH_MAX] = "";
	size_t rlen = 0;
	int cur = rootfd;
	int links = 0;
	char comp[NAME_MAX + 1];
	char target[PATH_MAX];
	char tmp[PATH_MAX];
	int rc;

	*owned = false;
	size_t pos = 0;
	for (;;) {
		while (pend[pos] == '/')
			pos++;
		if (!pend[pos])
			break;
		const char *p = pend + pos;
		const char *e = strchr(p, '/');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l > NAME_MAX) {
			rc = -ENAMETOOLONG;
			goto fail;
		}
		memcpy(comp, p, l);
		comp[l] = '\0';
		pos += l;
		size_t q = pos;
		while (pend[q] == '/')
			q++;
		bool last = !pend[q];

		if (!strcmp(comp, "."))
			continue;
		if (!strcmp(comp, "..")) {
			/* only a symlink's target gets here: check_name refused the rest */
			if (!rlen) {
				rc = -EXDEV;
				goto fail;
			}
			char *slash = strrchr(resolved, '/');
			rlen = slash ? (size_t)(slash - resolved) : 0;
			resolved[rlen] = '\0';
			if (*owned)
				close(cur);
			cur = reopen(rootfd, resolved, owned);
			if (cur < 0)
				return cur;
			if (last && open_leaf) {
				/* "dir/.." as the leaf: open the directory we are in */
				int fd =
				    openat(cur, ".", flags & ~(O_CREAT | O_EXCL), (mode_t)mode);
				rc = fd < 0 ? -errno : fd;
				if (*owned)
					close(cur);
				*owned = rc >= 0;
				return rc;
			}
			continue;
		}

		int fd;
		if (last && open_leaf)
			fd = openat(cur, comp, flags | O_NOFOLLOW, (mode_t)mode);
		else
			fd = openat(cur, comp, DIR_FLAGS);
		if (fd >= 0) {
			if (last && open_leaf) {
				if (*owned)
					close(cur);
				*owned = true;
				return fd;
			}
			if (*owned)
				close(cur);
			cur = fd;
			*owned = true;
			if (rlen + 1 + l >= sizeof(resolved)) {
				rc = -ENAMETOOLONG;
				goto fail;
			}
			if (rlen)
				resolved[rlen++] = '/';
			memcpy(resolved + rlen, comp, l + 1);
			rlen += l;
			continue;
		}
		rc = -errno;
		if (rc != -ELOOP && rc != -ENOTDIR && rc != -EEXIST)
			goto fail;
		/* a symlink? (ELOOP from O_NOFOLLOW; ENOTDIR from O_PATH|O_DIRECTORY) */
		ssize_t tl = readlinkat(cur, comp, target, sizeof(target) - 1);
		if (tl < 0)
			goto fail; /* not a link: the open's error stands */
		if (rc == -EEXIST || (last && open_leaf && (flags & O_NOFOLLOW)))
			goto fail; /* O_EXCL, or the caller asked not to follow */
		if (cflags & UR_CONFINE_NO_SYMLINKS) {
			rc = -ELOOP;
			goto fail;
		}
		if (++links > MAX_LINKS) {
			rc = -ELOOP;
			goto fail;
		}
		target[tl] = '\0';
		if (target[0] == '/' || tl == 0) {
			rc = tl ? -EXDEV : -ENOENT;
			goto fail;
		}
		/* pend = target + rest */
		size_t rest = strlen(pend + pos);
		if ((size_t)tl + rest + 1 >= sizeof(tmp)) {
			rc = -ENAMETOOLONG;
			goto fail;
		}
		memcpy(tmp, target, (size_t)tl);
		memcpy(tmp + tl, pend + pos, rest + 1);
		memcpy(pend, tmp, (size_t)tl + rest + 1);
		pos = 0;
	}
	if (open_leaf) {
		/* nothing left but the directory we are in ("." or a link to a dir) */
		int fd = openat(cur, ".", flags & ~(O_CREAT | O_EXCL), (mode_t)mode);
		rc = fd < 0 ? -errno : fd;
		if (*owned)
			close(cur);
		*owned = rc >= 0;
		return rc;
	}
	return cur;
fail:
	if (*owned)
		close(cur);
	*owned = false;
	return rc;
}

int ur_confine_open(int rootfd, const char *path, int flags, uint32_t mode, unsigned cflags)
{
	int rc = ur_confine_check_name(path);
	if (rc)
		return rc;
#if HAVE_OPENAT2
	if (use_openat2(cflags)) {
		rc = try_openat2(rootfd, path, flags, mode, cflags);
		if (rc != -ENOSYS)
			return rc;
	}
#endif
	char pend[PATH_MAX];
	bool owned;
	snprintf(pend, sizeof(pend), "%s", path);
	return walk(rootfd, pend, true, flags, mode, cflags, &owned);
}

int ur_confine_parent(int rootfd, const char *path, unsigned cflags, struct ur_confined *c)
{
	c->dirfd = -1;
	c->leaf = NULL;
	c->owned = false;
	int rc = ur_confine_check_name(path);
	if (rc)
		return rc;
	size_t len = strlen(path);
	if (path[len - 1] == '/')
		return -EINVAL;
	const char *slash = strrchr(path, '/');
	const char *leaf = slash ? slash + 1 : path;
	if (!strcmp(leaf, "."))
		return -EINVAL;
	if (!slash) {
		/* the common case costs no syscall */
		c->dirfd = rootfd;
		c->leaf = leaf;
		return 0;
	}
	char dir[PATH_MAX];
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
#if HAVE_OPENAT2
	if (use_openat2(cflags)) {
		rc = try_openat2(rootfd, dir, DIR_FLAGS & ~O_NOFOLLOW, 0, cflags);
		if (rc >= 0) {
			c->dirfd = rc;
			c->owned = true;
			c->leaf = leaf;
			return 0;
		}
		if (rc != -ENOSYS)
			return rc;
	}
#endif
	bool owned;
	rc = walk(rootfd, dir, false, 0, 0, cflags, &owned);
	if (rc < 0)
		return rc;
	c->dirfd = rc;
	c->owned = owned;
	c->leaf = leaf;
	return 0;
}

void ur_confined_release(struct ur_confined *c)
{
	if (c->owned && c->dirfd >= 0)
		close(c->dirfd);
	c->owned = false;
	c->dirfd = -1;
}
