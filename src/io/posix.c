/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The POSIX backend: the batch run in order with plain syscalls. It is
 * complete on its own (DESIGN.md "fastio"); the io_uring backend calls
 * ur_posix_exec() for every op its ring cannot do. Also here: the op
 * preparation helpers, single-op wrappers and directory listings, which
 * every backend shares.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h> /* renameat */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "io/io.h"
#include "io/io_int.h"

#if HAVE_STATX
#include <sys/sysmacros.h> /* makedev */
#endif

#if UR_HAVE_SYSCALL_H
#include <sys/syscall.h>
#endif
/* getdents64 hands back d_type without a readdir() copy per entry; glibc
 * 2.30 has the wrapper, older ones only the syscall number. */
#if UR_HAVE_SYSCALL_H && defined(SYS_getdents64)
#define USE_GETDENTS 1
#else
#define USE_GETDENTS 0
#endif

/* ---- stat conversion ---- */

void ur_stat_from_stat(struct ur_stat *st, const struct stat *s)
{
	memset(st, 0, sizeof(*st));
	st->dev = (uint64_t)s->st_dev;
	st->ino = (uint64_t)s->st_ino;
	st->rdev = (uint64_t)s->st_rdev;
	st->size = (int64_t)s->st_size;
	st->blocks = (int64_t)s->st_blocks;
	st->mode = (uint32_t)s->st_mode;
	st->nlink = (uint32_t)s->st_nlink;
	st->uid = (uint32_t)s->st_uid;
	st->gid = (uint32_t)s->st_gid;
	/* st_mtim is POSIX.1-2008; macOS spells it st_mtimespec (docs/fastio.md). */
	st->atime = (int64_t)s->st_atim.tv_sec;
	st->atime_ns = (uint32_t)s->st_atim.tv_nsec;
	st->mtime = (int64_t)s->st_mtim.tv_sec;
	st->mtime_ns = (uint32_t)s->st_mtim.tv_nsec;
	st->ctime = (int64_t)s->st_ctim.tv_sec;
	st->ctime_ns = (uint32_t)s->st_ctim.tv_nsec;
}

#if HAVE_STATX
void ur_stat_from_statx(struct ur_stat *st, const struct statx *x)
{
	memset(st, 0, sizeof(*st));
	st->dev = (uint64_t)makedev(x->stx_dev_major, x->stx_dev_minor);
	st->ino = x->stx_ino;
	st->rdev = (uint64_t)makedev(x->stx_rdev_major, x->stx_rdev_minor);
	st->size = (int64_t)x->stx_size;
	st->blocks = (int64_t)x->stx_blocks;
	st->mode = x->stx_mode;
	st->nlink = x->stx_nlink;
	st->uid = x->stx_uid;
	st->gid = x->stx_gid;
	st->atime = x->stx_atime.tv_sec;
	st->atime_ns = x->stx_atime.tv_nsec;
	st->mtime = x->stx_mtime.tv_sec;
	st->mtime_ns = x->stx_mtime.tv_nsec;
	st->ctime = x->stx_ctime.tv_sec;
	st->ctime_ns = x->stx_ctime.tv_nsec;
	if (x->stx_mask & STATX_BTIME) {
		st->btime = x->stx_btime.tv_sec;
		st->btime_ns = x->stx_btime.tv_nsec;
		st->has_btime = true;
	}
}
#endif

/* ---- batches: checks and link state ---- */

static bool slot_capable(uint8_t opcode)
{
	switch (opcode) {
	case UR_OP_OPENAT:
	case UR_OP_CLOSE:
	case UR_OP_READ:
	case UR_OP_WRITE:
	case UR_OP_WRITEV:
	case UR_OP_FSYNC:
		return true;
	default:
		return false;
	}
}

int ur_io_batch_check(const struct ur_io_op *ops, size_t n, bool *uses_slots)
{
	*uses_slots = false;
	if (n > UR_IO_BATCH_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		const struct ur_io_op *op = &ops[i];
		if (op->opcode >= UR_OP_COUNT)
			return -EINVAL;
		if (op->iof & UR_IOF_SLOT) {
			if (!slot_capable(op->opcode) || op->fd < 0 || op->fd >= UR_IO_SLOTS)
				return -EINVAL;
			*uses_slots = true;
		}
		if (op->opcode == UR_OP_WRITEV && op->len > IOV_MAX)
			return -EINVAL;
	}
	return 0;
}

static int64_t wanted(const struct ur_io_op *op)
{
	if (op->opcode == UR_OP_READ || op->opcode == UR_OP_WRITE)
		return (int64_t)op->len;
	if (op->opcode == UR_OP_WRITEV) {
		int64_t t = 0;
		for (size_t i = 0; i < op->len; i++)
			t += (int64_t)op->iov[i].iov_len;
		return t;
	}
	return -1;
}

bool ur_io_op_failed(const struct ur_io_op *op)
{
	if (op->res < 0)
		return true;
	int64_t w = wanted(op);
	return w >= 0 && op->res < w;
}

void ur_io_chain_step(const struct ur_io_op *op, bool *cancel)
{
	bool end = !(op->iof & (UR_IOF_LINK | UR_IOF_HARDLINK));
	if (!*cancel && (op->iof & UR_IOF_LINK) && ur_io_op_failed(op))
		*cancel = true;
	if (end)
		*cancel = false;
}

/* ---- one op ---- */

void ur_posix_slots_init(struct ur_posix_slots *s)
{
	for (int i = 0; i < UR_IO_SLOTS; i++)
		s->fd[i] = -1;
}

void ur_posix_slots_release(struct ur_posix_slots *s)
{
	for (int i = 0; i < UR_IO_SLOTS; i++) {
		if (s->fd[i] >= 0)
			close(s->fd[i]);
		s->fd[i] = -1;
	}
}

static int64_t ret(int64_t r)
{
	return r < 0 ? -errno : r;
}

static int do_stat(struct ur_io_op *op)
{
	int flags = op->flags;
	const char *path = op->path;
#if HAVE_STATX
	if (op->iof & UR_IOF_BTIME) {
		struct statx x;
		if (!path) {
			path = "";
			flags |= AT_EMPTY_PATH;
		}
		if (statx(op->fd, path, flags, STATX_BASIC_STATS | STATX_BTIME, &x) < 0)
			return -errno;
		ur_stat_from_statx(op->st, &x);
		return 0;
	}
#endif
	struct stat s;
	if ((path ? fstatat(op->fd, path, &s, flags) : fstat(op->fd, &s)) < 0)
		return -errno;
	ur_stat_from_stat(op->st, &s);
	return 0;
}

_Thread_local bool (*ur_io_fault_hook)(struct ur_io_op *op);

void ur_posix_exec(struct ur_io_op *op, struct ur_posix_slots *slots)
{
	int fd = op->fd;
	int r;

	if (ur_io_fault_hook && ur_io_fault_hook(op))
		return;

	if (op->iof & UR_IOF_SLOT) {
		if (!slots) {
			op->res = -EBADF;
			return;
		}
		if (op->opcode != UR_OP_OPENAT) {
			fd = slots->fd[op->fd];
			if (fd < 0) {
				op->res = -EBADF;
				return;
			}
		}
	}
	switch ((enum ur_io_opcode)op->opcode) {
	case UR_OP_NOP:
		op->res = 0;
		break;
	case UR_OP_OPENAT:
		r = openat((op->iof & UR_IOF_SLOT) ? op->fd2 : op->fd, op->path, op->flags,
			   (mode_t)op->mode);
		op->res = ret(r);
		if (r >= 0 && (op->iof & UR_IOF_SLOT)) {
			/* the slot is an fd number of the batch, not of the caller */
			op->res = 0;
			if (slots->fd[op->fd] >= 0)
				close(slots->fd[op->fd]);
			slots->fd[op->fd] = r;
		}
		break;
	case UR_OP_CLOSE:
		op->res = ret(close(fd));
		if (op->iof & UR_IOF_SLOT)
			slots->fd[op->fd] = -1;
		break;
	case UR_OP_STAT:
		op->res = do_stat(op);
		break;
	case UR_OP_READ:
		op->res = ret(op->off < 0 ? read(fd, op->buf, op->len)
					  : pread(fd, op->buf, op->len, (off_t)op->off));
		break;
	case UR_OP_WRITE:
		op->res = ret(op->off < 0 ? write(fd, op->buf, op->len)
					  : pwrite(fd, op->buf, op->len, (off_t)op->off));
		break;
	case UR_OP_WRITEV:
		op->res = ret(op->off < 0 ? writev(fd, op->iov, (int)op->len)
					  : pwritev(fd, op->iov, (int)op->len, (off_t)op->off));
		break;
	case UR_OP_FSYNC:
#if defined(_POSIX_SYNCHRONIZED_IO) && _POSIX_SYNCHRONIZED_IO > 0
		op->res = ret((op->flags & UR_FSYNC_DATA) ? fdatasync(fd) : fsync(fd));
#else
		op->res = ret(fsync(fd)); /* no fdatasync (macOS): the stronger call */
#endif
		break;
	case UR_OP_FTRUNCATE:
		op->res = ret(ftruncate(fd, (off_t)op->off));
		break;
	case UR_OP_FADVISE:
#ifdef POSIX_FADV_NORMAL
		/* posix_fadvise returns the error instead of setting errno */
		op->res = -posix_fadvise(fd, (off_t)op->off, (off_t)op->len, op->flags);
#else
		op->res = 0;		  /* advice only: macOS has none to give */
#endif
		break;
	case UR_OP_RENAMEAT:
		op->res = ret(renameat(fd, op->path, op->fd2, op->path2));
		break;
	case UR_OP_UNLINKAT:
		op->res = ret(unlinkat(fd, op->path, op->flags));
		break;
	case UR_OP_MKDIRAT:
		op->res = ret(mkdirat(fd, op->path, (mode_t)op->mode));
		break;
	case UR_OP_SYMLINKAT:
		op->res = ret(symlinkat(op->path2, fd, op->path));
		break;
	case UR_OP_LINKAT:
		op->res = ret(linkat(fd, op->path, op->fd2, op->path2, op->flags));
		break;
	case UR_OP_MKNODAT:
		op->res = ret(mknodat(fd, op->path, (mode_t)op->mode, (dev_t)op->dev));
		break;
	case UR_OP_CHMOD:
		op->res = ret(op->path ? fchmodat(fd, op->path, (mode_t)op->mode, op->flags)
				       : fchmod(fd, (mode_t)op->mode));
		break;
	case UR_OP_CHOWN:
		op->res =
		    ret(op->path ? fchownat(fd, op->path, (uid_t)op->uid, (gid_t)op->gid, op->flags)
				 : fchown(fd, (uid_t)op->uid, (gid_t)op->gid));
		break;
	case UR_OP_UTIMENS:
		op->res = ret(op->path ? utimensat(fd, op->path, op->times, op->flags)
				       : futimens(fd, op->times));
		break;
	case UR_OP_READLINKAT:
		op->res = ret(readlinkat(fd, op->path, op->buf, op->len));
		break;
	default:
		op->res = -EINVAL;
		break;
	}
}

/* ---- the backend ---- */

void ur_posix_run_batch(struct ur_io_op *ops, size_t n, bool uses_slots)
{
	struct ur_posix_slots slots;
	bool cancel = false;
	if (uses_slots)
		ur_posix_slots_init(&slots);
	for (size_t i = 0; i < n; i++) {
		if (cancel)
			ops[i].res = -ECANCELED;
		else
			ur_posix_exec(&ops[i], uses_slots ? &slots : NULL);
		ur_io_chain_step(&ops[i], &cancel);
	}
	if (uses_slots)
		ur_posix_slots_release(&slots);
}

static int posix_submit(struct ur_io *io, struct ur_io_op *ops, size_t n)
{
	bool uses_slots;
	int rc = ur_io_batch_check(ops, n, &uses_slots);
	if (rc)
		return rc;
	ur_posix_run_batch(ops, n, uses_slots);
	UR_IO_COUNT(io, ops, n);
	return 0;
}

static void posix_release(struct ur_io *io)
{
	(void)io;
}

struct ur_io *ur_io_posix_new(void)
{
	struct ur_io *io = calloc(1, sizeof(*io));
	if (!io)
		return NULL;
	io->kind = UR_IO_KIND_POSIX;
	io->name = "posix";
	io->submit = posix_submit;
	io->release = posix_release;
	strcpy(io->line, "posix");
	return io;
}

int ur_io_submit(struct ur_io *io, struct ur_io_op *ops, size_t n)
{
	if (n == 0)
		return 0;
	UR_IO_COUNT(io, submits, 1);
	return io->submit(io, ops, n);
}

void ur_io_free(struct ur_io *io)
{
	if (!io)
		return;
	if (io->release)
		io->release(io);
	free(io);
}

/* ---- preparing ops ---- */

static void prep(struct ur_io_op *op, enum ur_io_opcode code, int fd, const char *path)
{
	memset(op, 0, sizeof(*op));
	op->opcode = (uint8_t)code;
	op->fd = fd;
	op->fd2 = -1;
	op->path = path;
	op->off = -1;
}

void ur_io_prep_nop(struct ur_io_op *op)
{
	prep(op, UR_OP_NOP, -1, NULL);
}

void ur_io_prep_openat(struct ur_io_op *op, int dirfd, const char *path, int flags, uint32_t mode)
{
	prep(op, UR_OP_OPENAT, dirfd, path);
	op->flags = flags;
	op->mode = mode;
}

void ur_io_prep_open_slot(struct ur_io_op *op, int dirfd, const char *path, int flags,
			  uint32_t mode, unsigned slot)
{
	ur_io_prep_openat(op, dirfd, path, flags, mode);
	/* fd names the slot; the directory goes to fd2 */
	op->fd2 = dirfd;
	op->fd = (int)slot;
	op->iof |= UR_IOF_SLOT;
}

void ur_io_prep_close(struct ur_io_op *op, int fd)
{
	prep(op, UR_OP_CLOSE, fd, NULL);
}

void ur_io_prep_stat(struct ur_io_op *op, int dirfd, const char *path, int flags,
		     struct ur_stat *st)
{
	prep(op, UR_OP_STAT, dirfd, path);
	op->flags = flags;
	op->st = st;
}

void ur_io_prep_read(struct ur_io_op *op, int fd, void *buf, size_t len, int64_t off)
{
	prep(op, UR_OP_READ, fd, NULL);
	op->buf = buf;
	op->len = len;
	op->off = off;
}

void ur_io_prep_write(struct ur_io_op *op, int fd, const void *buf, size_t len, int64_t off)
{
	prep(op, UR_OP_WRITE, fd, NULL);
	op->buf = (void *)(uintptr_t)buf; /* the op never writes through it */
	op->len = len;
	op->off = off;
}

void ur_io_prep_writev(struct ur_io_op *op, int fd, const struct iovec *iov, size_t iovcnt,
		       int64_t off)
{
	prep(op, UR_OP_WRITEV, fd, NULL);
	op->iov = iov;
	op->len = iovcnt;
	op->off = off;
}

void ur_io_prep_fsync(struct ur_io_op *op, int fd, unsigned fsync_flags)
{
	prep(op, UR_OP_FSYNC, fd, NULL);
	op->flags = (int)fsync_flags;
}

void ur_io_prep_ftruncate(struct ur_io_op *op, int fd, int64_t len)
{
	prep(op, UR_OP_FTRUNCATE, fd, NULL);
	op->off = len;
}

void ur_io_prep_fadvise(struct ur_io_op *op, int fd, int64_t off, int64_t len, int advice)
{
	prep(op, UR_OP_FADVISE, fd, NULL);
	op->off = off;
	op->len = (size_t)len;
	op->flags = advice;
}

void ur_io_prep_renameat(struct ur_io_op *op, int olddir, const char *oldpath, int newdir,
			 const char *newpath)
{
	prep(op, UR_OP_RENAMEAT, olddir, oldpath);
	op->fd2 = newdir;
	op->path2 = newpath;
}

void ur_io_prep_unlinkat(struct ur_io_op *op, int dirfd, const char *path, int flags)
{
	prep(op, UR_OP_UNLINKAT, dirfd, path);
	op->flags = flags;
}

void ur_io_prep_mkdirat(struct ur_io_op *op, int dirfd, const char *path, uint32_t mode)
{
	prep(op, UR_OP_MKDIRAT, dirfd, path);
	op->mode = mode;
}

void ur_io_prep_symlinkat(struct ur_io_op *op, const char *target, int dirfd, const char *linkpath)
{
	prep(op, UR_OP_SYMLINKAT, dirfd, linkpath);
	op->path2 = target;
}

void ur_io_prep_linkat(struct ur_io_op *op, int olddir, const char *oldpath, int newdir,
		       const char *newpath, int flags)
{
	prep(op, UR_OP_LINKAT, olddir, oldpath);
	op->fd2 = newdir;
	op->path2 = newpath;
	op->flags = flags;
}

void ur_io_prep_mknodat(struct ur_io_op *op, int dirfd, const char *path, uint32_t mode,
			uint64_t dev)
{
	prep(op, UR_OP_MKNODAT, dirfd, path);
	op->mode = mode;
	op->dev = dev;
}

void ur_io_prep_chmod(struct ur_io_op *op, int dirfd, const char *path, uint32_t mode)
{
	prep(op, UR_OP_CHMOD, dirfd, path);
	op->mode = mode;
}

void ur_io_prep_chown(struct ur_io_op *op, int dirfd, const char *path, uint32_t uid, uint32_t gid,
		      int flags)
{
	prep(op, UR_OP_CHOWN, dirfd, path);
	op->uid = uid;
	op->gid = gid;
	op->flags = flags;
}

void ur_io_prep_utimens(struct ur_io_op *op, int dirfd, const char *path,
			const struct timespec times[2], int flags)
{
	prep(op, UR_OP_UTIMENS, dirfd, path);
	op->times[0] = times[0];
	op->times[1] = times[1];
	op->flags = flags;
}

void ur_io_prep_readlinkat(struct ur_io_op *op, int dirfd, const char *path, char *buf, size_t len)
{
	prep(op, UR_OP_READLINKAT, dirfd, path);
	op->buf = buf;
	op->len = len;
}

void ur_io_op_use_slot(struct ur_io_op *op, unsigned slot)
{
	op->fd = (int)slot;
	op->iof |= UR_IOF_SLOT;
}

void ur_io_op_link(struct ur_io_op *op, bool hard)
{
	op->iof |= hard ? UR_IOF_HARDLINK : UR_IOF_LINK;
}

/* ---- single ops ---- */

static int64_t one(struct ur_io *io, struct ur_io_op *op)
{
	int rc = ur_io_submit(io, op, 1);
	return rc ? rc : op->res;
}

int ur_io_openat(struct ur_io *io, int dirfd, const char *path, int flags, uint32_t mode)
{
	struct ur_io_op op;
	ur_io_prep_openat(&op, dirfd, path, flags, mode);
	return (int)one(io, &op);
}

int ur_io_close(struct ur_io *io, int fd)
{
	struct ur_io_op op;
	ur_io_prep_close(&op, fd);
	return (int)one(io, &op);
}

int ur_io_stat(struct ur_io *io, int dirfd, const char *path, int flags, struct ur_stat *st)
{
	struct ur_io_op op;
	ur_io_prep_stat(&op, dirfd, path, flags, st);
	return (int)one(io, &op);
}

ssize_t ur_io_pread(struct ur_io *io, int fd, void *buf, size_t len, int64_t off)
{
	struct ur_io_op op;
	ur_io_prep_read(&op, fd, buf, len, off);
	return (ssize_t)one(io, &op);
}

ssize_t ur_io_pwrite(struct ur_io *io, int fd, const void *buf, size_t len, int64_t off)
{
	struct ur_io_op op;
	ur_io_prep_write(&op, fd, buf, len, off);
	return (ssize_t)one(io, &op);
}

ssize_t ur_io_pwritev(struct ur_io *io, int fd, const struct iovec *iov, size_t iovcnt, int64_t off)
{
	struct ur_io_op op;
	ur_io_prep_writev(&op, fd, iov, iovcnt, off);
	return (ssize_t)one(io, &op);
}

int ur_io_fsync(struct ur_io *io, int fd, unsigned fsync_flags)
{
	struct ur_io_op op;
	ur_io_prep_fsync(&op, fd, fsync_flags);
	return (int)one(io, &op);
}

int ur_io_ftruncate(struct ur_io *io, int fd, int64_t len)
{
	struct ur_io_op op;
	ur_io_prep_ftruncate(&op, fd, len);
	return (int)one(io, &op);
}

int ur_io_renameat(struct ur_io *io, int olddir, const char *oldpath, int newdir,
		   const char *newpath)
{
	struct ur_io_op op;
	ur_io_prep_renameat(&op, olddir, oldpath, newdir, newpath);
	return (int)one(io, &op);
}

int ur_io_unlinkat(struct ur_io *io, int dirfd, const char *path, int flags)
{
	struct ur_io_op op;
	ur_io_prep_unlinkat(&op, dirfd, path, flags);
	return (int)one(io, &op);
}

int ur_io_mkdirat(struct ur_io *io, int dirfd, const char *path, uint32_t mode)
{
	struct ur_io_op op;
	ur_io_prep_mkdirat(&op, dirfd, path, mode);
	return (int)one(io, &op);
}

int ur_io_symlinkat(struct ur_io *io, const char *target, int dirfd, const char *linkpath)
{
	struct ur_io_op op;
	ur_io_prep_symlinkat(&op, target, dirfd, linkpath);
	return (int)one(io, &op);
}

int ur_io_linkat(struct ur_io *io, int olddir, const char *oldpath, int newdir, const char *newpath,
		 int flags)
{
	struct ur_io_op op;
	ur_io_prep_linkat(&op, olddir, oldpath, newdir, newpath, flags);
	return (int)one(io, &op);
}

int ur_io_mknodat(struct ur_io *io, int dirfd, const char *path, uint32_t mode, uint64_t dev)
{
	struct ur_io_op op;
	ur_io_prep_mknodat(&op, dirfd, path, mode, dev);
	return (int)one(io, &op);
}

int ur_io_chmod(struct ur_io *io, int dirfd, const char *path, uint32_t mode)
{
	struct ur_io_op op;
	ur_io_prep_chmod(&op, dirfd, path, mode);
	return (int)one(io, &op);
}

int ur_io_chown(struct ur_io *io, int dirfd, const char *path, uint32_t uid, uint32_t gid,
		int flags)
{
	struct ur_io_op op;
	ur_io_prep_chown(&op, dirfd, path, uid, gid, flags);
	return (int)one(io, &op);
}

int ur_io_utimens(struct ur_io *io, int dirfd, const char *path, const struct timespec times[2],
		  int flags)
{
	struct ur_io_op op;
	ur_io_prep_utimens(&op, dirfd, path, times, flags);
	return (int)one(io, &op);
}

ssize_t ur_io_readlink(struct ur_io *io, int dirfd, const char *path, char *buf, size_t size)
{
	if (size < 2)
		return -EINVAL;
	struct ur_io_op op;
	ur_io_prep_readlinkat(&op, dirfd, path, buf, size);
	int64_t r = one(io, &op);
	if (r < 0)
		return (ssize_t)r;
	if ((size_t)r >= size) /* may have been cut: readlink does not say */
		return -ENAMETOOLONG;
	buf[r] = '\0';
	return (ssize_t)r;
}

int ur_io_stat_sys(struct ur_io *io, int dirfd, const char *path, int flags, struct stat *st)
{
	struct ur_stat u;
	int r = ur_io_stat(io, dirfd, path, flags, &u);
	if (r < 0)
		return r;
	ur_stat_to_sys(&u, st);
	return 0;
}

void ur_stat_to_sys(const struct ur_stat *u_, struct stat *st)
{
	const struct ur_stat u = *u_;
	memset(st, 0, sizeof(*st));
	st->st_dev = (dev_t)u.dev;
	st->st_ino = (ino_t)u.ino;
	st->st_rdev = (dev_t)u.rdev;
	st->st_size = (off_t)u.size;
	st->st_blocks = (blkcnt_t)u.blocks;
	st->st_mode = (mode_t)u.mode;
	st->st_nlink = (nlink_t)u.nlink;
	st->st_uid = (uid_t)u.uid;
	st->st_gid = (gid_t)u.gid;
	st->st_atim.tv_sec = (time_t)u.atime;
	st->st_atim.tv_nsec = (long)u.atime_ns;
	st->st_mtim.tv_sec = (time_t)u.mtime;
	st->st_mtim.tv_nsec = (long)u.mtime_ns;
	st->st_ctim.tv_sec = (time_t)u.ctime;
	st->st_ctim.tv_nsec = (long)u.ctime_ns;
}

int ur_io_read_file(struct ur_io *io, int dirfd, const char *path, int oflags, size_t max,
		    char **buf, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *b = NULL;
	int rc = 0;
	int fd = ur_io_openat(io, dirfd, path, O_RDONLY | O_CLOEXEC | oflags, 0);
	if (fd < 0)
		return fd;
	for (;;) {
		if (!b || n + 1 >= cap) {
			if (b)
				cap *= 2;
			char *nb = realloc(b, cap);
			if (!nb) {
				rc = -ENOMEM;
				goto out;
			}
			b = nb;
		}
		ssize_t r = ur_io_pread(io, fd, b + n, cap - n - 1, -1);
		if (r == -EINTR)
			continue;
		if (r < 0) {
			rc = (int)r;
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			rc = -EFBIG;
			goto out;
		}
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	b = NULL;
out:
	free(b);
	ur_io_close(io, fd);
	return rc;
}

ssize_t ur_io_read_full(struct ur_io *io, int fd, void *buf, size_t len, int64_t off)
{
	size_t got = 0;
	while (got < len) {
		ssize_t r = ur_io_pread(io, fd, (char *)buf + got, len - got,
					off < 0 ? -1 : off + (int64_t)got);
		if (r == -EINTR)
			continue;
		if (r < 0)
			return r;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

ssize_t ur_io_write_full(struct ur_io *io, int fd, const void *buf, size_t len, int64_t off)
{
	size_t done = 0;
	while (done < len) {
		ssize_t r = ur_io_pwrite(io, fd, (const char *)buf + done, len - done,
					 off < 0 ? -1 : off + (int64_t)done);
		if (r == -EINTR)
			continue;
		if (r < 0)
			return r;
		if (r == 0) /* no progress and no error: do not spin */
			return -EIO;
		done += (size_t)r;
	}
	return (ssize_t)len;
}

/* ---- directory listings ---- */

#define DIRBUF 32768

struct ur_dir {
	int fd;
#if USE_GETDENTS
	size_t pos, len;
	bool eof;
#else
	DIR *d;
#endif
	_Alignas(uint64_t) char buf[DIRBUF]; /* linux_dirent64 records are 8-aligned */
};

#if USE_GETDENTS
/* The kernel's struct linux_dirent64. */
struct dent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};
#endif

static bool dot_or_dotdot(const char *n)
{
	return n[0] == '.' && (!n[1] || (n[1] == '.' && !n[2]));
}

int ur_dir_from_fd(int fd, struct ur_dir **out)
{
	struct ur_dir *d = malloc(sizeof(*d));
	if (!d) {
		close(fd);
		return -ENOMEM;
	}
	d->fd = fd;
#if USE_GETDENTS
	d->pos = d->len = 0;
	d->eof = false;
#else
	d->d = fdopendir(fd);
	if (!d->d) {
		int e = errno;
		close(fd);
		free(d);
		return -e;
	}
#endif
	*out = d;
	return 0;
}

int ur_dir_open(int dirfd, const char *path, bool follow, struct ur_dir **out)
{
	int fd =
	    openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
	if (fd < 0)
		return -errno;
	return ur_dir_from_fd(fd, out);
}

ssize_t ur_dir_read(struct ur_dir *d, struct ur_dirent *ents, size_t max)
{
	size_t n = 0;
	if (max == 0)
		return -EINVAL; /* 0 would read as "the end" */
#if USE_GETDENTS
	while (n == 0) {
		if (d->pos >= d->len) {
			if (d->eof)
				return 0;
			long r = syscall(SYS_getdents64, d->fd, d->buf, sizeof(d->buf));
			if (r < 0)
				return -errno;
			if (r == 0) {
				d->eof = true;
				return 0;
			}
			d->pos = 0;
			d->len = (size_t)r;
		}
		while (n < max && d->pos < d->len) {
			struct dent64 *e = (struct dent64 *)(void *)(d->buf + d->pos);
			d->pos += e->d_reclen;
			if (dot_or_dotdot(e->d_name))
				continue;
			ents[n].name = e->d_name;
			ents[n].ino = e->d_ino;
			ents[n].type = e->d_type;
			n++;
		}
	}
#else
	/* readdir() may reuse its buffer on the next call: copy names into ours. */
	size_t used = 0;
	while (n < max) {
		errno = 0;
		long pos = telldir(d->d);
		struct dirent *e = readdir(d->d);
		if (!e) {
			if (errno)
				return n ? (ssize_t)n : -errno;
			break;
		}
		if (dot_or_dotdot(e->d_name))
			continue;
		size_t l = strlen(e->d_name) + 1;
		if (used + l > sizeof(d->buf)) {
			seekdir(d->d, pos); /* this one goes first next time */
			break;
		}
		memcpy(d->buf + used, e->d_name, l);
		ents[n].name = d->buf + used;
		ents[n].ino = (uint64_t)e->d_ino;
#ifdef DT_UNKNOWN
		ents[n].type = e->d_type;
#else
		ents[n].type = 0;
#endif
		used += l;
		n++;
	}
#endif
	return (ssize_t)n;
}

ssize_t ur_dir_read_stat(struct ur_io *io, struct ur_dir *d, struct ur_dirent *ents,
			 struct ur_stat *sts, int *res, size_t max, int at_flags)
{
	enum { CHUNK = 64 };
	struct ur_io_op ops[CHUNK];
	ssize_t n = ur_dir_read(d, ents, max);
	for (ssize_t i = 0; i < n; i += CHUNK) {
		size_t k = (size_t)(n - i) < CHUNK ? (size_t)(n - i) : CHUNK;
		for (size_t j = 0; j < k; j++)
			ur_io_prep_stat(&ops[j], d->fd, ents[i + (ssize_t)j].name, at_flags,
					&sts[i + (ssize_t)j]);
		int rc = ur_io_submit(io, ops, k);
		if (rc)
			return rc;
		for (size_t j = 0; j < k; j++)
			res[i + (ssize_t)j] = (int)ops[j].res;
	}
	return n;
}

int ur_dir_fd(const struct ur_dir *d)
{
	return d->fd;
}

void ur_dir_close(struct ur_dir *d)
{
	if (!d)
		return;
#if USE_GETDENTS
	close(d->fd);
#else
	closedir(d->d);
#endif
	free(d);
}
