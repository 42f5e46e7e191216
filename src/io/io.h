/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_IO_H
#define UR_IO_H

/*
 * fastio: every file operation of a transfer goes through this header
 * (DESIGN.md "fastio", docs/fastio.md).
 *
 * A caller fills an array of struct ur_io_op with the ur_io_prep_*()
 * helpers and hands it to ur_io_submit(); each op's result comes back in
 * its `res` field (>= 0 or -errno, as liburing). The POSIX backend runs
 * the array in order with plain syscalls; the io_uring backend queues it
 * on the calling thread's ring and enters the kernel once per batch
 * (ops the ring cannot do run as the POSIX call inside the backend).
 *
 * Ordering: ops of a batch that are not linked may run in any order and
 * concurrently. UR_IOF_LINK orders an op before the next one and cancels
 * the rest of the chain (-ECANCELED) when it fails or a read/write comes
 * back short; UR_IOF_HARDLINK orders without cancelling. This is
 * io_uring's IOSQE_IO_LINK / IOSQE_IO_HARDLINK, emulated by posix.c.
 *
 * Slots: an OPENAT prepared with ur_io_prep_open_slot() puts the file into
 * a batch-local slot (0 .. UR_IO_SLOTS-1) instead of returning a
 * descriptor, and READ, WRITE, WRITEV, FSYNC and CLOSE prepared with
 * ur_io_op_use_slot() name that slot. This is what lets the io_uring
 * backend run open -> read/write -> close as one linked chain (registered
 * "direct" descriptors); a slot must be closed in the batch that opened it.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "io/io_policy.h"
#include "util/err.h"

/* Our own stat: the same fields on every backend and platform, with
 * nanosecond times. */
struct ur_stat {
	uint64_t dev;
	uint64_t ino;
	uint64_t rdev;
	int64_t size;
	int64_t blocks; /* 512-byte blocks */
	uint32_t mode;	/* S_IFMT | permission bits */
	uint32_t nlink;
	uint32_t uid;
	uint32_t gid;
	int64_t atime, mtime, ctime, btime; /* seconds */
	uint32_t atime_ns, mtime_ns, ctime_ns, btime_ns;
	bool has_btime; /* btime is valid (asked with UR_IOF_BTIME and known) */
};

enum ur_io_opcode {
	UR_OP_NOP = 0,
	UR_OP_OPENAT,	  /* fd=dirfd path flags mode -> res: new fd; into a slot:
			   * fd=slot fd2=dirfd -> res 0 */
	UR_OP_CLOSE,	  /* fd */
	UR_OP_STAT,	  /* fd=dirfd path flags(AT_*) st; path NULL: fstat(fd) */
	UR_OP_READ,	  /* fd buf len off (-1: file position) -> res: bytes */
	UR_OP_WRITE,	  /* fd buf len off (-1: file position) -> res: bytes */
	UR_OP_WRITEV,	  /* fd iov iovcnt off (-1: file position) -> res: bytes */
	UR_OP_FSYNC,	  /* fd flags(UR_FSYNC_DATA) */
	UR_OP_FTRUNCATE,  /* fd off */
	UR_OP_FADVISE,	  /* fd off len advice(flags) */
	UR_OP_RENAMEAT,	  /* fd path fd2 path2 flags(RENAME_*; 0 on most) */
	UR_OP_UNLINKAT,	  /* fd path flags(AT_REMOVEDIR) */
	UR_OP_MKDIRAT,	  /* fd path mode */
	UR_OP_SYMLINKAT,  /* path2=target fd path=linkpath */
	UR_OP_LINKAT,	  /* fd path fd2 path2 flags(AT_SYMLINK_FOLLOW) */
	UR_OP_MKNODAT,	  /* fd path mode dev */
	UR_OP_CHMOD,	  /* fd path mode; path NULL: fchmod(fd) */
	UR_OP_CHOWN,	  /* fd path uid gid flags; path NULL: fchown(fd) */
	UR_OP_UTIMENS,	  /* fd path times[2] flags; path NULL: futimens(fd) */
	UR_OP_READLINKAT, /* fd path buf len -> res: length (not NUL-terminated) */
	UR_OP_COUNT
};

#define UR_IOF_LINK	(1u << 0) /* next op runs after this one, only if it fully succeeds */
#define UR_IOF_HARDLINK (1u << 1) /* next op runs after this one, whatever its result */
#define UR_IOF_SLOT	(1u << 2) /* `fd` is a batch slot (see top of file) */
#define UR_IOF_BTIME	(1u << 3) /* STAT: also fetch the birth time if the platform can */
#define UR_IOF_POSIX	(1u << 4) /* run this op as the POSIX call even on io_uring */

#define UR_FSYNC_DATA	1u /* UR_OP_FSYNC: fdatasync */
#define UR_IO_SLOTS	64
#define UR_IO_BATCH_MAX 4096 /* ops per ur_io_submit() call */

struct ur_io_op {
	uint8_t opcode;	  /* enum ur_io_opcode */
	uint8_t iof;	  /* UR_IOF_* */
	int fd;		  /* file or directory fd (AT_FDCWD allowed), or a slot */
	int fd2;	  /* second directory fd (RENAMEAT, LINKAT) */
	const char *path; /* borrowed until the op completes */
	const char *path2;
	int flags; /* open flags, AT_* flags, fsync or fadvise flags */
	uint32_t mode;
	uint32_t uid, gid;	 /* CHOWN; (uint32_t)-1 leaves one alone */
	uint64_t dev;		 /* MKNODAT */
	void *buf;		 /* READ, WRITE, READLINKAT; borrowed */
	const struct iovec *iov; /* WRITEV; borrowed until the op completes */
	size_t len;		 /* bytes, or iovcnt for WRITEV */
	int64_t off;
	struct timespec times[2]; /* UTIMENS: atime, mtime (UTIME_OMIT/UTIME_NOW allowed) */
	struct ur_stat *st;	  /* STAT: filled on success; borrowed */
	uint64_t user;		  /* the caller's cookie, untouched */
	int64_t res;		  /* result: >= 0, or -errno; -ECANCELED when a link failed */
};

/* Counters a backend keeps, for --debug=io and docs/fastio.md. */
struct ur_io_stats {
	uint64_t ops;	    /* ops run */
	uint64_t submits;   /* ur_io_submit() calls */
	uint64_t enters;    /* io_uring_enter() calls (0 on POSIX) */
	uint64_t fallbacks; /* ops the io_uring backend ran as POSIX calls */
};

enum ur_io_kind { UR_IO_KIND_POSIX = 0, UR_IO_KIND_URING };

/*
 * A backend: function pointers plus state (curl's vtls shape). One struct
 * ur_io may be shared by threads; the io_uring backend keeps one ring per
 * thread, made on the thread's first batch and freed when the thread exits.
 */
struct ur_io {
	enum ur_io_kind kind;
	const char *name; /* "posix", "io_uring" */
	/* Run n ops (n <= UR_IO_BATCH_MAX). Returns 0 when every op ran (each
	 * has its own res), or -errno when the batch as a whole could not be
	 * run (-EINVAL for a malformed batch, -ENOMEM). */
	int (*submit)(struct ur_io *io, struct ur_io_op *ops, size_t n);
	void (*release)(struct ur_io *io);
	void *priv;		  /* backend state */
	struct ur_io_stats stats; /* relaxed atomic counters */
	char line[128];		  /* the --version line, without "io: " */
};

/* ---- choosing a backend (probe.c) ---- */

/*
 * Make the backend the policy asks for. UR_IO_AUTO reads URSYNC_IO
 * ("posix", "uring", "auto"; anything else is ignored), then prefers
 * io_uring when the kernel allows it, routed by measurement: only what ran
 * faster on the ring goes there (docs/fastio.md "Routing"; the line says
 * "hybrid"). UR_IO_URING sends every op the ring has to it, and fails with -ENOSYS
 * (portable build or liburing missing), -EPERM (refused by seccomp or
 * sysctl) or the error io_uring_queue_init gave, with a sentence in err.
 * On success *out is owned by the caller (ur_io_free). io->line says what
 * was chosen and why.
 */
int ur_io_open(enum ur_io_policy policy, struct ur_io **out, struct ur_err *err);
/* Release a backend; NULL does nothing. */
void ur_io_free(struct ur_io *io);

/* What this machine offers, without choosing. */
struct ur_io_probe {
	bool built;	     /* the io_uring backend is compiled in */
	int err;	     /* 0: usable; else -errno from the probe */
	int nops;	     /* opcodes the kernel supports */
	int disabled_sysctl; /* /proc/sys/kernel/io_uring_disabled, -1 unknown */
	char kernel[64];     /* release, e.g. "6.18.44" */
};
/* Probe io_uring (cached after the first call). Returns 0 if usable. */
int ur_io_probe(struct ur_io_probe *p);
/* "io_uring (kernel 6.18, 63 ops, hybrid)", "io_uring (kernel 6.18, 63
 * ops)" or "posix (reason)" for --version: the backend `policy` would
 * choose, without making it. Writes at most size bytes to buf. */
void ur_io_version_line(enum ur_io_policy policy, char *buf, size_t size);

/* The POSIX backend, always available. Returns NULL only without memory. */
struct ur_io *ur_io_posix_new(void);
/* The io_uring backend with every op the kernel has on the ring, or NULL
 * with *err set (-ENOSYS when not built, the probe's error otherwise). */
struct ur_io *ur_io_uring_new(int *err);

/* ---- batches ---- */

/* Run n ops; see struct ur_io. Counts each call in io->stats. */
int ur_io_submit(struct ur_io *io, struct ur_io_op *ops, size_t n);

/* Preparing ops: each clears *op first and sets only what the op uses. */
void ur_io_prep_nop(struct ur_io_op *op);
void ur_io_prep_openat(struct ur_io_op *op, int dirfd, const char *path, int flags, uint32_t mode);
/* OPENAT into a batch slot (res 0 on success). */
void ur_io_prep_open_slot(struct ur_io_op *op, int dirfd, const char *path, int flags,
			  uint32_t mode, unsigned slot);
void ur_io_prep_close(struct ur_io_op *op, int fd);
/* fstatat(dirfd, path, flags) with flags AT_SYMLINK_NOFOLLOW etc; path NULL: fstat(dirfd). */
void ur_io_prep_stat(struct ur_io_op *op, int dirfd, const char *path, int flags,
		     struct ur_stat *st);
void ur_io_prep_read(struct ur_io_op *op, int fd, void *buf, size_t len, int64_t off);
void ur_io_prep_write(struct ur_io_op *op, int fd, const void *buf, size_t len, int64_t off);
void ur_io_prep_writev(struct ur_io_op *op, int fd, const struct iovec *iov, size_t iovcnt,
		       int64_t off);
void ur_io_prep_fsync(struct ur_io_op *op, int fd, unsigned fsync_flags);
void ur_io_prep_ftruncate(struct ur_io_op *op, int fd, int64_t len);
void ur_io_prep_fadvise(struct ur_io_op *op, int fd, int64_t off, int64_t len, int advice);
void ur_io_prep_renameat(struct ur_io_op *op, int olddir, const char *oldpath, int newdir,
			 const char *newpath);
void ur_io_prep_unlinkat(struct ur_io_op *op, int dirfd, const char *path, int flags);
void ur_io_prep_mkdirat(struct ur_io_op *op, int dirfd, const char *path, uint32_t mode);
void ur_io_prep_symlinkat(struct ur_io_op *op, const char *target, int dirfd, const char *linkpath);
void ur_io_prep_linkat(struct ur_io_op *op, int olddir, const char *oldpath, int newdir,
		       const char *newpath, int flags);
void ur_io_prep_mknodat(struct ur_io_op *op, int dirfd, const char *path, uint32_t mode,
			uint64_t dev);
/* fchmodat(dirfd, path, mode, 0); path NULL: fchmod(dirfd). */
void ur_io_prep_chmod(struct ur_io_op *op, int dirfd, const char *path, uint32_t mode);
/* fchownat(dirfd, path, uid, gid, flags); path NULL: fchown(dirfd). */
void ur_io_prep_chown(struct ur_io_op *op, int dirfd, const char *path, uint32_t uid, uint32_t gid,
		      int flags);
/* utimensat(dirfd, path, times, flags); path NULL: futimens(dirfd). */
void ur_io_prep_utimens(struct ur_io_op *op, int dirfd, const char *path,
			const struct timespec times[2], int flags);
void ur_io_prep_readlinkat(struct ur_io_op *op, int dirfd, const char *path, char *buf, size_t len);
/* Make op's `fd` name a batch slot (for READ, WRITE, WRITEV, FSYNC, CLOSE). */
void ur_io_op_use_slot(struct ur_io_op *op, unsigned slot);
/* Link op to the next op of the batch (hard: run the next one even if op fails). */
void ur_io_op_link(struct ur_io_op *op, bool hard);

/* ---- one op at a time: a batch of one (returns res) ---- */

int ur_io_openat(struct ur_io *io, int dirfd, const char *path, int flags, uint32_t mode);
int ur_io_close(struct ur_io *io, int fd);
int ur_io_stat(struct ur_io *io, int dirfd, const char *path, int flags, struct ur_stat *st);
ssize_t ur_io_pread(struct ur_io *io, int fd, void *buf, size_t len, int64_t off);
ssize_t ur_io_pwrite(struct ur_io *io, int fd, const void *buf, size_t len, int64_t off);
ssize_t ur_io_pwritev(struct ur_io *io, int fd, const struct iovec *iov, size_t iovcnt,
		      int64_t off);
int ur_io_fsync(struct ur_io *io, int fd, unsigned fsync_flags);
int ur_io_ftruncate(struct ur_io *io, int fd, int64_t len);
int ur_io_renameat(struct ur_io *io, int olddir, const char *oldpath, int newdir,
		   const char *newpath);
int ur_io_unlinkat(struct ur_io *io, int dirfd, const char *path, int flags);
int ur_io_mkdirat(struct ur_io *io, int dirfd, const char *path, uint32_t mode);
int ur_io_symlinkat(struct ur_io *io, const char *target, int dirfd, const char *linkpath);
int ur_io_linkat(struct ur_io *io, int olddir, const char *oldpath, int newdir, const char *newpath,
		 int flags);
int ur_io_mknodat(struct ur_io *io, int dirfd, const char *path, uint32_t mode, uint64_t dev);
int ur_io_chmod(struct ur_io *io, int dirfd, const char *path, uint32_t mode);
int ur_io_chown(struct ur_io *io, int dirfd, const char *path, uint32_t uid, uint32_t gid,
		int flags);
int ur_io_utimens(struct ur_io *io, int dirfd, const char *path, const struct timespec times[2],
		  int flags);
/* readlinkat into buf, NUL-terminated; returns the length or -errno
 * (-ENAMETOOLONG when it does not fit). */
ssize_t ur_io_readlink(struct ur_io *io, int dirfd, const char *path, char *buf, size_t size);
/* ur_io_stat into the platform's struct stat, for callers written against
 * it (the engine); returns 0 or -errno. */
int ur_io_stat_sys(struct ur_io *io, int dirfd, const char *path, int flags, struct stat *st);
/* The fields of u in the platform's struct stat (the rest zero). */
void ur_stat_to_sys(const struct ur_stat *u, struct stat *st);
/* Read the whole file path (under dirfd, opened with O_RDONLY | oflags) into a
 * malloc'd NUL-terminated buffer (*buf owned by the caller, *len without
 * the NUL); more than max bytes is -EFBIG. Returns 0 or -errno. */
int ur_io_read_file(struct ur_io *io, int dirfd, const char *path, int oflags, size_t max,
		    char **buf, size_t *len);
/* Read until len bytes or EOF (short reads retried); returns bytes read. */
ssize_t ur_io_read_full(struct ur_io *io, int fd, void *buf, size_t len, int64_t off);
/* Write all of buf (short writes retried); returns len or -errno. */
ssize_t ur_io_write_full(struct ur_io *io, int fd, const void *buf, size_t len, int64_t off);

/* ---- directory listings (getdents64 where it exists, readdir elsewhere) ---- */

struct ur_dirent {
	const char *name; /* borrowed until the next ur_dir_read() or ur_dir_close() */
	uint64_t ino;
	unsigned char type; /* DT_REG, DT_DIR, ...; DT_UNKNOWN if the fs does not say */
};

struct ur_dir;

/* Open directory path under dirfd (O_NOFOLLOW unless follow). Returns 0
 * and *out, or -errno. The listing never contains "." or "..". */
int ur_dir_open(int dirfd, const char *path, bool follow, struct ur_dir **out);
/* Take ownership of an open directory fd. Returns 0 or -errno (fd is
 * closed on failure). */
int ur_dir_from_fd(int fd, struct ur_dir **out);
/* Up to max (> 0) entries into ents; returns the count, 0 at the end, or
 * -errno. */
ssize_t ur_dir_read(struct ur_dir *d, struct ur_dirent *ents, size_t max);
/* The directory's fd, for *at() calls on its entries (owned by d). */
int ur_dir_fd(const struct ur_dir *d);
/* Close and free; NULL does nothing. */
void ur_dir_close(struct ur_dir *d);
/*
 * Read up to max entries, as ur_dir_read, and stat each relative to the
 * directory (at_flags: AT_SYMLINK_NOFOLLOW to lstat) in batches through
 * io: one io_uring_enter per 64 entries on the ring. res[i] is 0 or -errno
 * for ents[i] (-ENOENT: gone since it was listed). Returns the count, 0
 * at the end, or -errno.
 */
ssize_t ur_dir_read_stat(struct ur_io *io, struct ur_dir *d, struct ur_dirent *ents,
			 struct ur_stat *sts, int *res, size_t max, int at_flags);

/* ---- the whole-file copy chain (copy.c) ---- */

enum ur_copy_prim {
	UR_COPY_NONE = 0, /* nothing copied (empty source) */
	UR_COPY_CLONE,	  /* FICLONE reflink */
	UR_COPY_RANGE,	  /* copy_file_range */
	UR_COPY_SENDFILE, /* sendfile */
	UR_COPY_RW,	  /* pread/pwrite */
};

#define UR_COPY_NO_CLONE    (1u << 0) /* skip a step (tests, --debug, policy) */
#define UR_COPY_NO_RANGE    (1u << 1)
#define UR_COPY_NO_SENDFILE (1u << 2)

struct ur_copy_result {
	enum ur_copy_prim prim; /* the step that copied the last bytes */
	unsigned tried;		/* bit (1 << prim) for each step attempted */
	int64_t bytes;		/* bytes now in out from offset 0 */
	int64_t err_pos;	/* on failure: the offset in out where it failed */
	int err_prim;		/* on failure: the step that failed */
};

/*
 * Copy `in` into `out` at offset 0 (out should be empty): the size fstat
 * reports at the start (less if the file shrinks: r->bytes says how much),
 * or up to EOF when fstat says 0 (procfs). Tries FICLONE, copy_file_range,
 * sendfile and pread/pwrite, each falling through to the next on EXDEV,
 * EOPNOTSUPP, ENOSYS, EINVAL, ETXTBSY or EBADF (data copied so far is
 * kept); a filesystem that cannot clone is remembered per thread. Returns
 * 0, or -errno (ENOSPC, EIO, ...) with r->err_pos; never a silent short
 * copy. r may be NULL. File positions of in and out are unspecified after.
 */
int ur_copy_file(int in, int out, unsigned flags, struct ur_copy_result *r);
/*
 * Copy len bytes of in, from offset off, to the same offset of out, when
 * the caller already knows the size (rsync's list gives it): no fstat. A
 * source that ends early stops the copy (r->bytes says where). Tries
 * copy_file_range (which reflinks by itself where the filesystem can),
 * sendfile and pread/pwrite, falling through as ur_copy_file does; no
 * FICLONE. r->bytes is off plus what was copied. Returns 0 or -errno with
 * r->err_pos.
 */
int ur_copy_range(int in, int out, int64_t off, int64_t len, unsigned flags,
		  struct ur_copy_result *r);
/* "clone", "copy_file_range", "sendfile", "read/write", "none". */
const char *ur_copy_prim_name(enum ur_copy_prim p);

/* ---- confinement to a destination root (confine.c) ---- */

#define UR_CONFINE_NO_OPENAT2  (1u << 0) /* use the component walk even if openat2 exists */
#define UR_CONFINE_NO_SYMLINKS (1u << 1) /* refuse every symlink, even beneath the root */

/*
 * Open path relative to rootfd such that nothing outside the root is
 * reached: absolute paths and any ".." component are refused (-EXDEV),
 * symlinks in the middle are followed only while they stay beneath the
 * root (-EXDEV when they would leave it, -ELOOP past 40), magic links
 * (/proc/self/fd/...) are refused. The last component is opened with the
 * caller's flags; it is followed (beneath the root) unless flags has
 * O_NOFOLLOW. Returns a new fd or -errno.
 */
int ur_confine_open(int rootfd, const char *path, int flags, uint32_t mode, unsigned cflags);

/* A parent directory and leaf for *at() calls (see ur_confine_parent). */
struct ur_confined {
	int dirfd;	  /* the parent directory, beneath the root */
	const char *leaf; /* last component, borrowed from the path given */
	bool owned;	  /* dirfd was opened for this (release closes it) */
};

/*
 * Resolve every component of path but the last beneath rootfd (as
 * ur_confine_open does) and return the parent directory and leaf name:
 * "a/b/c" gives (fd of a/b, "c"); "c" gives (rootfd, "c"). The leaf is
 * never resolved, so *at() calls with AT_SYMLINK_NOFOLLOW / O_NOFOLLOW on
 * it cannot leave the root. A trailing slash, an empty path or a leaf of
 * "." is refused (-EINVAL), ".." anywhere (-EXDEV). Returns 0 or -errno.
 */
int ur_confine_parent(int rootfd, const char *path, unsigned cflags, struct ur_confined *c);
/* Close c->dirfd if owned; safe to call twice. */
void ur_confined_release(struct ur_confined *c);
/* Is path acceptable as a name beneath a root? Returns 0, -EXDEV for an
 * absolute path or any ".." component, -EINVAL for an empty one, or
 * -ENAMETOOLONG. ("a//b/./c" is fine.) */
int ur_confine_check_name(const char *path);

#endif
