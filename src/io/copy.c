/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The whole-file copy chain: FICLONE -> copy_file_range -> sendfile ->
 * pread/pwrite. Each step falls through to the next on the errors that
 * mean "not here" (cross-device, filesystem without the feature, old
 * kernel, special file), keeping what it already copied: all steps work
 * on explicit offsets, so the next one starts where the last one stopped.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/io.h"
#include "io/io_int.h"

#if UR_HAVE_FICLONE
#include <linux/fs.h>
#endif
#if UR_HAVE_SENDFILE
#include <sys/sendfile.h>
#endif

/* copy_file_range and sendfile move at most ~2 GiB a call; ask for 1 GiB. */
#define BIG_CHUNK (1 << 30)
#define RW_CHUNK  (256 * 1024)

const char *ur_copy_prim_name(enum ur_copy_prim p)
{
	switch (p) {
	case UR_COPY_CLONE:
		return "clone";
	case UR_COPY_RANGE:
		return "copy_file_range";
	case UR_COPY_SENDFILE:
		return "sendfile";
	case UR_COPY_RW:
		return "read/write";
	default:
		return "none";
	}
}

#if UR_HAVE_FICLONE || HAVE_COPY_FILE_RANGE || UR_HAVE_SENDFILE
/* "This primitive does not work for this pair of files": try the next. */
static bool fall_through(int e)
{
	switch (e) {
	case EXDEV:	 /* across filesystems (copy_file_range before 5.3, clone always) */
	case EOPNOTSUPP: /* the filesystem has no reflink / no copy offload */
#if ENOTSUP != EOPNOTSUPP
	case ENOTSUP:
#endif
	case ENOTTY:  /* FICLONE on a filesystem without the ioctl */
	case ENOSYS:  /* kernel or seccomp without the syscall */
	case EINVAL:  /* special files (procfs, pipes), unaligned clone ranges */
	case ETXTBSY: /* a swap file, or a clone target being executed */
	case EBADF:   /* O_APPEND output, or an fd kind the call refuses */
		return true;
	default:
		return false;
	}
}
#endif

static int fail(struct ur_copy_result *r, enum ur_copy_prim p, int64_t off, int e)
{
	r->err_prim = (int)p;
	r->err_pos = off;
	r->bytes = off;
	return -e;
}

#if UR_HAVE_FICLONE
/* Filesystems (by st_dev of the source) that said they cannot reflink: a
 * clone needs both files on one filesystem, so the answer holds for every
 * later copy from there, and we save the ioctl per file (ext4, tmpfs). */
#define NOCLONE_DEVS 8
static _Thread_local dev_t noclone_dev[NOCLONE_DEVS];
static _Thread_local unsigned noclone_n;

static bool clone_known_missing(dev_t dev)
{
	for (unsigned i = 0; i < noclone_n && i < NOCLONE_DEVS; i++)
		if (noclone_dev[i] == dev)
			return true;
	return false;
}

static void clone_missing(dev_t dev)
{
	noclone_dev[noclone_n++ % NOCLONE_DEVS] = dev;
}
#endif

/* limit < 0: to EOF */
static int copy_rw(int in, int out, int64_t *off, int64_t limit, struct ur_copy_result *r)
{
	char *buf = malloc(RW_CHUNK);
	int rc = 0;
	if (!buf)
		return fail(r, UR_COPY_RW, *off, ENOMEM);
	r->tried |= 1u << UR_COPY_RW;
#ifdef POSIX_FADV_SEQUENTIAL
	/* only this step moves the data through user space: ask for a larger
	 * readahead window (one fadvise call; the kernel steps do their own) */
	if (limit >= 0 && limit - *off >= 4 * RW_CHUNK)
		posix_fadvise(in, (off_t)*off, 0, POSIX_FADV_SEQUENTIAL);
#endif
	for (;;) {
		size_t want = RW_CHUNK;
		if (limit >= 0 && limit - *off < (int64_t)want)
			want = (size_t)(limit - *off);
		if (want == 0)
			break;
		ssize_t n = pread(in, buf, want, (off_t)*off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = fail(r, UR_COPY_RW, *off, errno);
			break;
		}
		if (n == 0)
			break;
		ssize_t done = 0;
		while (done < n) {
			ssize_t w =
			    pwrite(out, buf + done, (size_t)(n - done), (off_t)(*off + done));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				/* a write that makes no progress is an I/O error, not EOF */
				rc = fail(r, UR_COPY_RW, *off + done, w < 0 ? errno : EIO);
				goto out;
			}
			done += w;
		}
		*off += n;
		r->prim = UR_COPY_RW;
	}
out:
	free(buf);
	return rc;
}

static int copy_from(int in, int out, int64_t off, int64_t size, unsigned flags,
		     struct ur_copy_result *r);

int ur_copy_file(int in, int out, unsigned flags, struct ur_copy_result *res)
{
	struct ur_copy_result local;
	struct ur_copy_result *r = res ? res : &local;
	struct stat st;

	memset(r, 0, sizeof(*r));
	r->err_pos = -1;
	if (fstat(in, &st) < 0)
		return fail(r, UR_COPY_NONE, 0, errno);
	/* Size 0 may still hold data (procfs, sysfs): only read/write finds
	 * out, reading to EOF. Otherwise we copy the size fstat gave, as
	 * rsync's sender sends the size it listed; a file that shrank stops
	 * early at EOF (r->bytes says so). */
	bool sized = st.st_size > 0;
	int64_t size = sized ? (int64_t)st.st_size : -1;

#if UR_HAVE_FICLONE
	if (sized && !(flags & UR_COPY_NO_CLONE) && !clone_known_missing(st.st_dev)) {
		r->tried |= 1u << UR_COPY_CLONE;
		if (ioctl(out, FICLONE, in) == 0) {
			struct stat ost;
			if (fstat(out, &ost) < 0)
				return fail(r, UR_COPY_CLONE, 0, errno);
			r->prim = UR_COPY_CLONE;
			r->bytes = (int64_t)ost.st_size;
			return 0;
		}
		if (errno == EOPNOTSUPP || errno == ENOTTY)
			clone_missing(st.st_dev);
		if (!fall_through(errno))
			return fail(r, UR_COPY_CLONE, 0, errno);
	}
#endif

	return copy_from(in, out, 0, size, flags, r);
}

int ur_copy_range(int in, int out, int64_t off, int64_t len, unsigned flags,
		  struct ur_copy_result *res)
{
	struct ur_copy_result local;
	struct ur_copy_result *r = res ? res : &local;

	memset(r, 0, sizeof(*r));
	r->err_pos = -1;
	r->bytes = off;
	if (off < 0 || len < 0)
		return fail(r, UR_COPY_NONE, off, EINVAL);
	if (len == 0)
		return 0;
	return copy_from(in, out, off, off + len, flags, r);
}

/* The kernel steps, then read/write, from off to size (size < 0: to EOF
 * by read/write only). */
static int copy_from(int in, int out, int64_t off, int64_t size, unsigned flags,
		     struct ur_copy_result *r)
{
	int rc;
	bool sized = size >= 0;
	(void)sized; /* only the kernel steps read it */

#if HAVE_COPY_FILE_RANGE
	if (sized && !(flags & UR_COPY_NO_RANGE)) {
		r->tried |= 1u << UR_COPY_RANGE;
		while (off < size) {
			off_t ioff = (off_t)off, ooff = (off_t)off;
			size_t want = size - off < BIG_CHUNK ? (size_t)(size - off) : BIG_CHUNK;
			ssize_t n = copy_file_range(in, &ioff, out, &ooff, want, 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				if (fall_through(errno))
					break;
				return fail(r, UR_COPY_RANGE, off, errno);
			}
			if (n == 0) {
				r->bytes = off;
				return 0;
			}
			off += n;
			r->prim = UR_COPY_RANGE;
		}
		if (off >= size) {
			r->bytes = off;
			return 0;
		}
	}
#endif

#if UR_HAVE_SENDFILE
	if (sized && !(flags & UR_COPY_NO_SENDFILE)) {
		r->tried |= 1u << UR_COPY_SENDFILE;
		/* sendfile writes at out's file position */
		if (lseek(out, (off_t)off, SEEK_SET) < 0)
			goto rw;
		while (off < size) {
			off_t ioff = (off_t)off;
			size_t want = size - off < BIG_CHUNK ? (size_t)(size - off) : BIG_CHUNK;
			ssize_t n = sendfile(out, in, &ioff, want);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				if (fall_through(errno))
					break;
				return fail(r, UR_COPY_SENDFILE, off, errno);
			}
			if (n == 0) {
				r->bytes = off;
				return 0;
			}
			off += n;
			r->prim = UR_COPY_SENDFILE;
		}
		if (off >= size) {
			r->bytes = off;
			return 0;
		}
	}
rw:
#endif
	(void)flags;
	rc = copy_rw(in, out, &off, size, r);
	if (rc)
		return rc;
	r->bytes = off;
	return 0;
}
