/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The POSIX backend of io/: every op of the batch API, link and slot
 * semantics, directory listings, and the paths a real disk rarely takes
 * (short writes and reads, EINTR, no progress) through a fault-injection
 * hook. Runs as root or not, in a temp dir.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cmocka.h>

#include "io/io.h"
#include "io/io_int.h"
#include "scratch.h"

struct fx {
	char dir[64];
	int dfd;
	struct ur_io *io;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	if (ur_scratch_make(f->dir, sizeof(f->dir), "ur_io_posix") < 0)
		return -1;
	f->dfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	f->io = ur_io_posix_new();
	if (f->dfd < 0 || !f->io)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	ur_io_fault_hook = NULL;
	close(f->dfd);
	ur_io_free(f->io);
	if (ur_scratch_remove(f->dir) < 0)
		return -1;
	free(f);
	return 0;
}

/* The lowest free descriptor: equal before and after means no leak. */
static int next_fd(void)
{
	int fd = dup(0);
	close(fd);
	return fd;
}

static void test_file_ops(void **state)
{
	struct fx *f = *state;
	struct ur_io *io = f->io;
	struct ur_stat st;
	char buf[64];

	assert_int_equal(ur_io_mkdirat(io, f->dfd, "d", 0755), 0);
	assert_int_equal(ur_io_mkdirat(io, f->dfd, "d", 0755), -EEXIST);
	int fd = ur_io_openat(io, f->dfd, "d/a", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ur_io_pwrite(io, fd, "hello ", 6, 0), 6);
	struct iovec iov[2] = {{(void *)"wor", 3}, {(void *)"ld", 2}};
	assert_int_equal(ur_io_pwritev(io, fd, iov, 2, 6), 5);
	assert_int_equal(ur_io_fsync(io, fd, UR_FSYNC_DATA), 0);
	assert_int_equal(ur_io_fsync(io, fd, 0), 0);
	assert_int_equal(ur_io_read_full(io, fd, buf, sizeof(buf), 0), 11);
	assert_memory_equal(buf, "hello world", 11);
	assert_int_equal(ur_io_pread(io, fd, buf, 5, 6), 5);
	assert_memory_equal(buf, "world", 5);

	assert_int_equal(ur_io_stat(io, fd, NULL, 0, &st), 0);
	assert_int_equal(st.size, 11);
	assert_true(S_ISREG(st.mode));
	assert_int_equal(st.mode & 07777, 0600);
	assert_int_equal(st.uid, (uint32_t)geteuid());

	assert_int_equal(ur_io_chmod(io, fd, NULL, 0640), 0);
	assert_int_equal(ur_io_chmod(io, f->dfd, "d/a", 0604), 0);
	assert_int_equal(ur_io_stat(io, f->dfd, "d/a", AT_SYMLINK_NOFOLLOW, &st), 0);
	assert_int_equal(st.mode & 07777, 0604);

	/* chown to what we are works as any user */
	assert_int_equal(ur_io_chown(io, fd, NULL, (uint32_t)geteuid(), (uint32_t)getegid(), 0), 0);
	assert_int_equal(
	    ur_io_chown(io, f->dfd, "d/a", (uint32_t)-1, (uint32_t)getegid(), AT_SYMLINK_NOFOLLOW),
	    0);

	struct timespec ts[2] = {{1000000000, 123456789}, {1234567890, 987654321}};
	assert_int_equal(ur_io_utimens(io, fd, NULL, ts, 0), 0);
	assert_int_equal(ur_io_stat(io, f->dfd, "d/a", 0, &st), 0);
	assert_int_equal(st.mtime, 1234567890);
	assert_int_equal(st.atime, 1000000000);
	/* filesystems may round: tmpfs and ext4 keep ns */
	assert_int_equal(st.mtime_ns, 987654321);
	ts[1].tv_nsec = 5;
	assert_int_equal(ur_io_utimens(io, f->dfd, "d/a", ts, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(ur_io_stat(io, f->dfd, "d/a", 0, &st), 0);
	assert_int_equal(st.mtime_ns, 5);

	assert_int_equal(ur_io_ftruncate(io, fd, 5), 0);
	assert_int_equal(ur_io_stat(io, fd, NULL, 0, &st), 0);
	assert_int_equal(st.size, 5);
	assert_int_equal(ur_io_close(io, fd), 0);
	assert_int_equal(ur_io_close(io, fd), -EBADF);

	assert_int_equal(ur_io_symlinkat(io, "a", f->dfd, "d/l"), 0);
	assert_int_equal(ur_io_readlink(io, f->dfd, "d/l", buf, sizeof(buf)), 1);
	assert_string_equal(buf, "a");
	assert_int_equal(ur_io_readlink(io, f->dfd, "d/l", buf, 1), -EINVAL);
	assert_int_equal(ur_io_symlinkat(io, "0123456789", f->dfd, "d/l2"), 0);
	assert_int_equal(ur_io_readlink(io, f->dfd, "d/l2", buf, 5), -ENAMETOOLONG);
	assert_int_equal(ur_io_stat(io, f->dfd, "d/l", AT_SYMLINK_NOFOLLOW, &st), 0);
	assert_true(S_ISLNK(st.mode));
	assert_int_equal(ur_io_stat(io, f->dfd, "d/l", 0, &st), 0);
	assert_true(S_ISREG(st.mode));

	assert_int_equal(ur_io_linkat(io, f->dfd, "d/a", f->dfd, "d/h", 0), 0);
	assert_int_equal(ur_io_stat(io, f->dfd, "d/h", 0, &st), 0);
	assert_int_equal(st.nlink, 2);
	assert_int_equal(ur_io_renameat(io, f->dfd, "d/h", f->dfd, "d/h2"), 0);
	assert_int_equal(ur_io_stat(io, f->dfd, "d/h", 0, &st), -ENOENT);
	assert_int_equal(ur_io_unlinkat(io, f->dfd, "d/h2", 0), 0);
	assert_int_equal(ur_io_stat(io, f->dfd, "d/a", 0, &st), 0);
	assert_int_equal(st.nlink, 1);

	assert_int_equal(ur_io_mknodat(io, f->dfd, "d/fifo", S_IFIFO | 0600, 0), 0);
	assert_int_equal(ur_io_stat(io, f->dfd, "d/fifo", 0, &st), 0);
	assert_true(S_ISFIFO(st.mode));

	assert_int_equal(ur_io_unlinkat(io, f->dfd, "d", AT_REMOVEDIR), -ENOTEMPTY);
	assert_int_equal(ur_io_unlinkat(io, f->dfd, "d/nope", 0), -ENOENT);
	assert_true(f->io->stats.submits > 20);
}

static void test_write_full_and_positions(void **state)
{
	struct fx *f = *state;
	struct ur_io *io = f->io;
	char big[100000], back[100000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	int fd = ur_io_openat(io, f->dfd, "big", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	/* off -1: the file position */
	assert_int_equal(ur_io_write_full(io, fd, big, 1000, -1), 1000);
	assert_int_equal(ur_io_write_full(io, fd, big + 1000, sizeof(big) - 1000, -1),
			 (ssize_t)(sizeof(big) - 1000));
	assert_int_equal(ur_io_read_full(io, fd, back, sizeof(back), 0), (ssize_t)sizeof(back));
	assert_memory_equal(big, back, sizeof(big));
	assert_int_equal(ur_io_read_full(io, fd, back, 10, (int64_t)sizeof(big) - 4), 4);
	ur_io_close(io, fd);
}

static void test_batch_stat_dir(void **state)
{
	struct fx *f = *state;
	struct ur_io *io = f->io;
	enum { N = 150 };
	char name[32];

	assert_int_equal(ur_io_mkdirat(io, f->dfd, "many", 0755), 0);
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "many/f%03d", i);
		int fd = ur_io_openat(io, f->dfd, name, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		assert_true(fd >= 0);
		assert_int_equal(ur_io_pwrite(io, fd, "xxxxxxxxxx", (size_t)(i % 10), 0), i % 10);
		ur_io_close(io, fd);
	}
	assert_int_equal(ur_io_mkdirat(io, f->dfd, "many/sub", 0755), 0);

	struct ur_dir *d;
	assert_int_equal(ur_dir_open(f->dfd, "many", false, &d), 0);
	static char names[N + 1][16];
	static struct ur_stat sts[N + 1];
	static struct ur_io_op ops[N + 1];
	struct ur_dirent ents[7];
	static struct ur_dirent ents2[100];
	size_t total = 0;
	ssize_t k;
	int nsub = 0;
	while ((k = ur_dir_read(d, ents, 7)) > 0) {
		assert_true(k <= 7);
		for (ssize_t i = 0; i < k; i++) {
			assert_true(total < N + 1);
			assert_string_not_equal(ents[i].name, ".");
			assert_string_not_equal(ents[i].name, "..");
			snprintf(names[total], sizeof(names[0]), "%s", ents[i].name);
			if (!strcmp(ents[i].name, "sub")) {
				nsub++;
				assert_true(ents[i].type == DT_DIR || ents[i].type == DT_UNKNOWN);
			}
			total++;
		}
	}
	assert_int_equal(k, 0);
	assert_int_equal(ur_dir_read(d, ents, 0), -EINVAL);
	assert_int_equal(total, N + 1);
	assert_int_equal(nsub, 1);
	for (size_t i = 0; i < total; i++)
		ur_io_prep_stat(&ops[i], ur_dir_fd(d), names[i], AT_SYMLINK_NOFOLLOW, &sts[i]);
	uint64_t before = io->stats.submits;
	assert_int_equal(ur_io_submit(io, ops, total), 0);
	assert_int_equal(io->stats.submits, before + 1);
	for (size_t i = 0; i < total; i++) {
		assert_int_equal(ops[i].res, 0);
		if (!strcmp(names[i], "sub")) {
			assert_true(S_ISDIR(sts[i].mode));
			continue;
		}
		int num = atoi(names[i] + 1);
		assert_int_equal(sts[i].size, num % 10);
	}
	ur_dir_close(d);
	ur_dir_close(NULL);

	/* the same through ur_dir_read_stat */
	assert_int_equal(ur_dir_open(f->dfd, "many", false, &d), 0);
	struct ur_stat sts2[100];
	int res[100];
	size_t seen = 0;
	while ((k = ur_dir_read_stat(io, d, ents2, sts2, res, 100, AT_SYMLINK_NOFOLLOW)) > 0) {
		for (ssize_t i = 0; i < k; i++) {
			assert_int_equal(res[i], 0);
			if (strcmp(ents2[i].name, "sub"))
				assert_int_equal(sts2[i].size, atoi(ents2[i].name + 1) % 10);
			else
				assert_true(S_ISDIR(sts2[i].mode));
		}
		seen += (size_t)k;
	}
	assert_int_equal(k, 0);
	assert_int_equal(seen, N + 1);
	ur_dir_close(d);
	assert_int_equal(ur_dir_open(f->dfd, "nope", false, &d), -ENOENT);
	assert_int_equal(ur_io_symlinkat(io, "many", f->dfd, "lnk"), 0);
	/* Linux says ENOTDIR for O_DIRECTORY|O_NOFOLLOW on a link, others ELOOP */
	int r = ur_dir_open(f->dfd, "lnk", false, &d);
	assert_true(r == -ELOOP || r == -ENOTDIR);
	assert_int_equal(ur_dir_open(f->dfd, "lnk", true, &d), 0);
	ur_dir_close(d);
}

static void test_links(void **state)
{
	struct fx *f = *state;
	struct ur_io *io = f->io;
	struct ur_io_op ops[6];
	struct ur_stat st;
	char buf[16];

	/* a soft link cancels the rest of its chain, not the next chain */
	ur_io_prep_mkdirat(&ops[0], f->dfd, "nope/x", 0755);
	ur_io_op_link(&ops[0], false);
	ur_io_prep_mkdirat(&ops[1], f->dfd, "c1", 0755);
	ur_io_op_link(&ops[1], true);
	ur_io_prep_mkdirat(&ops[2], f->dfd, "c2", 0755);
	ur_io_prep_mkdirat(&ops[3], f->dfd, "c3", 0755);
	assert_int_equal(ur_io_submit(io, ops, 4), 0);
	assert_int_equal(ops[0].res, -ENOENT);
	assert_int_equal(ops[1].res, -ECANCELED);
	assert_int_equal(ops[2].res, -ECANCELED);
	assert_int_equal(ops[3].res, 0);
	assert_int_equal(ur_io_stat(io, f->dfd, "c1", 0, &st), -ENOENT);

	/* a hard link runs the next op whatever happened */
	ur_io_prep_mkdirat(&ops[0], f->dfd, "nope/x", 0755);
	ur_io_op_link(&ops[0], true);
	ur_io_prep_mkdirat(&ops[1], f->dfd, "c1", 0755);
	assert_int_equal(ur_io_submit(io, ops, 2), 0);
	assert_int_equal(ops[0].res, -ENOENT);
	assert_int_equal(ops[1].res, 0);

	/* a short read breaks a soft link (io_uring does the same) */
	int fd = ur_io_openat(io, f->dfd, "short", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ur_io_pwrite(io, fd, "abc", 3, 0), 3);
	ur_io_prep_read(&ops[0], fd, buf, sizeof(buf), 0);
	ur_io_op_link(&ops[0], false);
	ur_io_prep_write(&ops[1], fd, "Z", 1, 0);
	assert_int_equal(ur_io_submit(io, ops, 2), 0);
	assert_int_equal(ops[0].res, 3);
	assert_int_equal(ops[1].res, -ECANCELED);
	ur_io_prep_read(&ops[0], fd, buf, 3, 0);
	ur_io_op_link(&ops[0], false);
	ur_io_prep_write(&ops[1], fd, "Z", 1, 0);
	assert_int_equal(ur_io_submit(io, ops, 2), 0);
	assert_int_equal(ops[0].res, 3);
	assert_int_equal(ops[1].res, 1);
	ur_io_close(io, fd);
}

static void test_slots(void **state)
{
	struct fx *f = *state;
	struct ur_io *io = f->io;
	struct ur_io_op ops[8];
	char buf[32] = {0};
	int fd0 = next_fd();

	/* create + write + fsync + close as one chain */
	ur_io_prep_open_slot(&ops[0], f->dfd, "s1", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644,
			     3);
	ur_io_op_link(&ops[0], false);
	ur_io_prep_write(&ops[1], 0, "slotted", 7, 0);
	ur_io_op_use_slot(&ops[1], 3);
	ur_io_op_link(&ops[1], false);
	ur_io_prep_fsync(&ops[2], 0, UR_FSYNC_DATA);
	ur_io_op_use_slot(&ops[2], 3);
	ur_io_op_link(&ops[2], true);
	ur_io_prep_close(&ops[3], 3);
	ur_io_op_use_slot(&ops[3], 3);
	assert_int_equal(ur_io_submit(io, ops, 4), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(ops[i].res, i == 1 ? 7 : 0);

	/* open + read (short: hard link) + close */
	ur_io_prep_open_slot(&ops[0], f->dfd, "s1", O_RDONLY | O_CLOEXEC, 0, 0);
	ur_io_op_link(&ops[0], false);
	ur_io_prep_read(&ops[1], 0, buf, sizeof(buf), 0);
	ur_io_op_use_slot(&ops[1], 0);
	ur_io_op_link(&ops[1], true);
	ur_io_prep_close(&ops[2], 0);
	ur_io_op_use_slot(&ops[2], 0);
	assert_int_equal(ur_io_submit(io, ops, 3), 0);
	assert_int_equal(ops[0].res, 0);
	assert_int_equal(ops[1].res, 7);
	assert_int_equal(ops[2].res, 0);
	assert_string_equal(buf, "slotted");

	/* a failed open cancels the soft-linked read; the close after a
	 * hard link still runs and finds nothing */
	ur_io_prep_open_slot(&ops[0], f->dfd, "missing", O_RDONLY, 0, 1);
	ur_io_op_link(&ops[0], false);
	ur_io_prep_read(&ops[1], 0, buf, sizeof(buf), 0);
	ur_io_op_use_slot(&ops[1], 1);
	ur_io_op_link(&ops[1], true);
	ur_io_prep_close(&ops[2], 1);
	ur_io_op_use_slot(&ops[2], 1);
	assert_int_equal(ur_io_submit(io, ops, 3), 0);
	assert_int_equal(ops[0].res, -ENOENT);
	assert_int_equal(ops[1].res, -ECANCELED);
	assert_int_equal(ops[2].res, -ECANCELED);

	/* a slot left open is closed by the batch */
	ur_io_prep_open_slot(&ops[0], f->dfd, "s1", O_RDONLY | O_CLOEXEC, 0, 5);
	assert_int_equal(ur_io_submit(io, ops, 1), 0);
	assert_int_equal(ops[0].res, 0);
	assert_int_equal(next_fd(), fd0);

	/* slots only on ops that take one, and in range */
	ur_io_prep_chmod(&ops[0], 0, NULL, 0644);
	ur_io_op_use_slot(&ops[0], 0);
	assert_int_equal(ur_io_submit(io, ops, 1), -EINVAL);
	ur_io_prep_close(&ops[0], UR_IO_SLOTS);
	ur_io_op_use_slot(&ops[0], UR_IO_SLOTS);
	assert_int_equal(ur_io_submit(io, ops, 1), -EINVAL);
	ops[0].opcode = UR_OP_COUNT;
	ops[0].iof = 0;
	assert_int_equal(ur_io_submit(io, ops, 1), -EINVAL);
	assert_int_equal(ur_io_submit(io, ops, 0), 0);
	/* a slot used before it was opened */
	ur_io_prep_read(&ops[0], 0, buf, 4, 0);
	ur_io_op_use_slot(&ops[0], 9);
	assert_int_equal(ur_io_submit(io, ops, 1), 0);
	assert_int_equal(ops[0].res, -EBADF);
}

static void test_fadvise_nop_btime(void **state)
{
	struct fx *f = *state;
	struct ur_io *io = f->io;
	struct ur_io_op ops[3];
	struct ur_stat st;
	int fd = ur_io_openat(io, f->dfd, "adv", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	ur_io_prep_nop(&ops[0]);
#ifdef POSIX_FADV_SEQUENTIAL
	ur_io_prep_fadvise(&ops[1], fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#else
	ur_io_prep_fadvise(&ops[1], fd, 0, 0, 0);
#endif
	ur_io_prep_stat(&ops[2], fd, NULL, 0, &st);
	ops[2].iof |= UR_IOF_BTIME;
	assert_int_equal(ur_io_submit(io, ops, 3), 0);
	assert_int_equal(ops[0].res, 0);
	assert_int_equal(ops[1].res, 0);
	assert_int_equal(ops[2].res, 0);
	assert_true(S_ISREG(st.mode));
	if (st.has_btime)
		assert_true(st.btime > 0);
	ur_io_close(io, fd);
}

/* ---- fault injection (ur_io_fault_hook): short writes and reads, EINTR,
 * writes that make no progress, a short write in a linked chain ---- */

/* What the hook does to the next ops of one kind, in order. */
enum fault { F_PASS = 0, F_SHORT, F_EINTR, F_ZERO, F_ENOSPC };
static enum fault plan[8];
static unsigned plan_n, plan_at, hook_calls;
static uint8_t plan_op;

static bool hook(struct ur_io_op *op)
{
	if (op->opcode != plan_op || plan_at >= plan_n)
		return false;
	hook_calls++;
	switch (plan[plan_at++]) {
	case F_SHORT: {
		/* Do half of the work for real, as a short write/read would. */
		size_t half = op->len / 2 ? op->len / 2 : 1;
		ssize_t r;
		if (op->opcode == UR_OP_WRITE)
			r = op->off < 0 ? write(op->fd, op->buf, half)
					: pwrite(op->fd, op->buf, half, (off_t)op->off);
		else
			r = op->off < 0 ? read(op->fd, op->buf, half)
					: pread(op->fd, op->buf, half, (off_t)op->off);
		op->res = r < 0 ? -errno : r;
		return true;
	}
	case F_EINTR:
		op->res = -EINTR;
		return true;
	case F_ZERO:
		op->res = 0;
		return true;
	case F_ENOSPC:
		op->res = -ENOSPC;
		return true;
	default:
		return false;
	}
}

static void arm(uint8_t opcode, const enum fault *f, unsigned n)
{
	memcpy(plan, f, n * sizeof(*f));
	plan_n = n;
	plan_at = 0;
	hook_calls = 0;
	plan_op = opcode;
	ur_io_fault_hook = hook;
}

static void fill(char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)('a' + i % 26);
}

static void test_write_full_short_and_eintr(void **state)
{
	struct fx *f = *state;
	char buf[1000], back[1000];
	fill(buf, sizeof(buf));
	int fd = ur_io_openat(f->io, f->dfd, "w", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	const enum fault faults[] = {F_SHORT, F_EINTR, F_SHORT, F_EINTR};
	arm(UR_OP_WRITE, faults, 4);
	assert_int_equal(ur_io_write_full(f->io, fd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	assert_int_equal(hook_calls, 4); /* every fault was met and retried past */
	ur_io_fault_hook = NULL;
	assert_int_equal(pread(fd, back, sizeof(back), 0), (ssize_t)sizeof(back));
	assert_memory_equal(buf, back, sizeof(buf));
	close(fd);
}

static void test_write_no_progress_is_eio(void **state)
{
	struct fx *f = *state;
	char buf[100];
	fill(buf, sizeof(buf));
	int fd = ur_io_openat(f->io, f->dfd, "z", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	const enum fault faults[] = {F_ZERO};
	arm(UR_OP_WRITE, faults, 1);
	assert_int_equal(ur_io_write_full(f->io, fd, buf, sizeof(buf), 0), -EIO);
	const enum fault full[] = {F_SHORT, F_ENOSPC};
	arm(UR_OP_WRITE, full, 2);
	assert_int_equal(ur_io_write_full(f->io, fd, buf, sizeof(buf), 0), -ENOSPC);
	close(fd);
}

static void test_read_full_and_read_file(void **state)
{
	struct fx *f = *state;
	char buf[777], back[777];
	fill(buf, sizeof(buf));
	int fd = ur_io_openat(f->io, f->dfd, "r", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	const enum fault faults[] = {F_EINTR, F_SHORT, F_EINTR, F_SHORT};
	arm(UR_OP_READ, faults, 4);
	assert_int_equal(ur_io_read_full(f->io, fd, back, sizeof(back), 0), (ssize_t)sizeof(back));
	assert_memory_equal(buf, back, sizeof(buf));
	close(fd);

	char *all = NULL;
	size_t len = 0;
	arm(UR_OP_READ, faults, 2); /* EINTR, then a short read at the file position */
	assert_int_equal(ur_io_read_file(f->io, f->dfd, "r", 0, 1 << 20, &all, &len), 0);
	assert_int_equal(len, sizeof(buf));
	assert_memory_equal(all, buf, sizeof(buf));
	assert_int_equal(all[len], '\0');
	free(all);
	ur_io_fault_hook = NULL;
	assert_int_equal(ur_io_read_file(f->io, f->dfd, "r", 0, 100, &all, &len), -EFBIG);
}

/* A short write breaks a soft link: the rename after it must not run, so a
 * half-written temp file never takes the real name. */
static void test_short_write_cancels_chain(void **state)
{
	struct fx *f = *state;
	char buf[64];
	fill(buf, sizeof(buf));
	int fd = ur_io_openat(f->io, f->dfd, ".t", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	struct ur_io_op ops[3];
	ur_io_prep_write(&ops[0], fd, buf, sizeof(buf), 0);
	ur_io_op_link(&ops[0], false);
	ur_io_prep_close(&ops[1], fd);
	ur_io_op_link(&ops[1], false);
	ur_io_prep_renameat(&ops[2], f->dfd, ".t", f->dfd, "final");
	const enum fault faults[] = {F_SHORT};
	arm(UR_OP_WRITE, faults, 1);
	assert_int_equal(ur_io_submit(f->io, ops, 3), 0);
	assert_int_equal(ops[0].res, (int64_t)sizeof(buf) / 2);
	assert_int_equal(ops[1].res, -ECANCELED);
	assert_int_equal(ops[2].res, -ECANCELED);
	struct stat st;
	assert_int_equal(fstatat(f->dfd, "final", &st, 0), -1);
	assert_int_equal(errno, ENOENT);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_file_ops, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_full_short_and_eintr, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_no_progress_is_eio, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_full_and_read_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_short_write_cancels_chain, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_full_and_positions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_batch_stat_dir, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_links, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_slots, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fadvise_nop_btime, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
