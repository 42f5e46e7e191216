/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fault injection on the POSIX path of io/ (ur_io_fault_hook): short
 * writes and reads, EINTR, writes that make no progress, and a short write
 * in a linked chain. These are the paths a real disk rarely takes and the
 * engine's copies depend on.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	if (ur_scratch_make(f->dir, sizeof(f->dir), "ur_io_fault") < 0)
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
	    cmocka_unit_test_setup_teardown(test_write_full_short_and_eintr, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_no_progress_is_eio, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_full_and_read_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_short_write_cancels_chain, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
