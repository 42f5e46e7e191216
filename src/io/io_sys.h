/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_IO_SYS_H
#define UR_IO_SYS_H

/*
 * io/'s calls in libc's shape, for the layers above whose error paths
 * read errno for rsync's messages (the engine, the session's rule files;
 * docs/fastio.md "The engine on io/"). io/ returns -errno; these thin
 * adapters keep the libc shape: the same arguments after the backend,
 * -1 with errno set on failure. Batches (a directory's stats, a file's
 * close and rename) call ur_io_submit directly.
 */

#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "io/io.h"

static inline int64_t ur_sysret(int64_t r)
{
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

static inline int ur_sys_fstatat(struct ur_io *io, int dirfd, const char *path, struct stat *st,
				 int flags)
{
	return (int)ur_sysret(ur_io_stat_sys(io, dirfd, path, flags, st));
}

static inline int ur_sys_fstat(struct ur_io *io, int fd, struct stat *st)
{
	return (int)ur_sysret(ur_io_stat_sys(io, fd, NULL, 0, st));
}

static inline int ur_sys_openat(struct ur_io *io, int dirfd, const char *path, int flags,
				mode_t mode)
{
	return (int)ur_sysret(ur_io_openat(io, dirfd, path, flags, (uint32_t)mode));
}

static inline int ur_sys_close(struct ur_io *io, int fd)
{
	return (int)ur_sysret(ur_io_close(io, fd));
}

static inline ssize_t ur_sys_read(struct ur_io *io, int fd, void *buf, size_t len)
{
	return (ssize_t)ur_sysret(ur_io_pread(io, fd, buf, len, -1));
}

/* readlinkat, NUL-terminated (size includes the NUL). */
static inline ssize_t ur_sys_readlink(struct ur_io *io, int dirfd, const char *path, char *buf,
				      size_t size)
{
	return (ssize_t)ur_sysret(ur_io_readlink(io, dirfd, path, buf, size));
}

static inline int ur_sys_unlinkat(struct ur_io *io, int dirfd, const char *path, int flags)
{
	return (int)ur_sysret(ur_io_unlinkat(io, dirfd, path, flags));
}

static inline int ur_sys_renameat(struct ur_io *io, int olddir, const char *oldpath, int newdir,
				  const char *newpath)
{
	return (int)ur_sysret(ur_io_renameat(io, olddir, oldpath, newdir, newpath));
}

static inline int ur_sys_mkdirat(struct ur_io *io, int dirfd, const char *path, mode_t mode)
{
	return (int)ur_sysret(ur_io_mkdirat(io, dirfd, path, (uint32_t)mode));
}

static inline int ur_sys_symlinkat(struct ur_io *io, const char *target, int dirfd,
				   const char *linkpath)
{
	return (int)ur_sysret(ur_io_symlinkat(io, target, dirfd, linkpath));
}

static inline int ur_sys_linkat(struct ur_io *io, int olddir, const char *oldpath, int newdir,
				const char *newpath, int flags)
{
	return (int)ur_sysret(ur_io_linkat(io, olddir, oldpath, newdir, newpath, flags));
}

static inline int ur_sys_mknodat(struct ur_io *io, int dirfd, const char *path, mode_t mode,
				 dev_t dev)
{
	return (int)ur_sysret(ur_io_mknodat(io, dirfd, path, (uint32_t)mode, (uint64_t)dev));
}

/* path NULL: fchmod(dirfd) */
static inline int ur_sys_chmod(struct ur_io *io, int dirfd, const char *path, mode_t mode)
{
	return (int)ur_sysret(ur_io_chmod(io, dirfd, path, (uint32_t)mode));
}

/* path NULL: fchown(dirfd) */
static inline int ur_sys_chown(struct ur_io *io, int dirfd, const char *path, uid_t uid, gid_t gid,
			       int flags)
{
	return (int)ur_sysret(ur_io_chown(io, dirfd, path, (uint32_t)uid, (uint32_t)gid, flags));
}

/* path NULL: futimens(dirfd) */
static inline int ur_sys_utimens(struct ur_io *io, int dirfd, const char *path,
				 const struct timespec ts[2], int flags)
{
	return (int)ur_sysret(ur_io_utimens(io, dirfd, path, ts, flags));
}

static inline int ur_sys_fsync(struct ur_io *io, int fd)
{
	return (int)ur_sysret(ur_io_fsync(io, fd, 0));
}

static inline int ur_sys_ftruncate(struct ur_io *io, int fd, int64_t len)
{
	return (int)ur_sysret(ur_io_ftruncate(io, fd, len));
}

#endif
