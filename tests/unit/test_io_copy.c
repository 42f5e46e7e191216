/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The whole-file copy chain: each step on its own, fall-through with data
 * already copied, files that report size 0 but have data, and errors that
 * must come back with a position rather than a short file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "io/io.h"
#include "scratch.h"
#include "io/io_int.h"

struct fx {
	char dir[64];
	int dfd;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	if (ur_scratch_make(f->dir, sizeof(f->dir), "ur_io_copy") < 0)
		return -1;
	f->dfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f->dfd < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	close(f->dfd);
	if (ur_scratch_remove(f->dir) < 0)
		return -1;
	free(f);
	return 0;
}

static int make_src(int dfd, const char *name, size_t size)
{
	int fd = openat(dfd, name, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	char *buf = malloc(size + 1);
	assert_non_null(buf);
	uint32_t x = (uint32_t)size * 2654435761u + 1;
	for (size_t i = 0; i < size; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (char)(x >> 16);
	}
	assert_int_equal(pwrite(fd, buf, size, 0), (ssize_t)size);
	free(buf);
	return fd;
}

static void same_content(int a, int b, size_t size)
{
	struct stat sa, sb;
	assert_int_equal(fstat(a, &sa), 0);
	assert_int_equal(fstat(b, &sb), 0);
	assert_int_equal(sb.st_size, (off_t)size);
	char *ba = malloc(size + 1), *bb = malloc(size + 1);
	assert_int_equal(pread(a, ba, size, 0), (ssize_t)size);
	assert_int_equal(pread(b, bb, size, 0), (ssize_t)size);
	assert_memory_equal(ba, bb, size);
	free(ba);
	free(bb);
}

static const size_t sizes[] = {0, 1, 4095, 65536, (1u << 20) + 3};

/* Every step alone, and what it must report. */
static void test_each_step(void **state)
{
	struct fx *f = *state;
	static const unsigned modes[] = {
	    0,
	    UR_COPY_NO_CLONE,
	    UR_COPY_NO_CLONE | UR_COPY_NO_RANGE,
	    UR_COPY_NO_CLONE | UR_COPY_NO_RANGE | UR_COPY_NO_SENDFILE,
	};
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		int in = make_src(f->dfd, "src", sizes[s]);
		for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
			int out =
			    openat(f->dfd, "dst", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
			assert_true(out >= 0);
			struct ur_copy_result r;
			assert_int_equal(ur_copy_file(in, out, modes[m], &r), 0);
			assert_int_equal(r.bytes, (int64_t)sizes[s]);
			assert_int_equal(r.err_pos, -1);
			same_content(in, out, sizes[s]);
			if (sizes[s] == 0) {
				assert_int_equal(r.prim, UR_COPY_NONE);
			} else if (m == 3) {
				assert_int_equal(r.prim, UR_COPY_RW);
				assert_int_equal(r.tried, 1u << UR_COPY_RW);
			} else if (m == 2) {
				assert_int_equal(r.prim,
						 UR_HAVE_SENDFILE ? UR_COPY_SENDFILE : UR_COPY_RW);
			} else if (m == 1) {
				/* same filesystem: copy_file_range works where it exists */
				assert_int_equal(r.prim, HAVE_COPY_FILE_RANGE ? UR_COPY_RANGE
							 : UR_HAVE_SENDFILE   ? UR_COPY_SENDFILE
									      : UR_COPY_RW);
				assert_false(r.tried & (1u << UR_COPY_CLONE));
			} else {
				/* clone where the fs reflinks (btrfs, xfs), else the next;
				 * a filesystem that said no is not asked again */
				assert_true(r.prim != UR_COPY_NONE);
				if (s >= 2 && r.prim != UR_COPY_CLONE)
					assert_false(r.tried & (1u << UR_COPY_CLONE));
			}
			print_message("size %zu mode %zu: %s\n", sizes[s], m,
				      ur_copy_prim_name(r.prim));
			close(out);
		}
		close(in);
	}
	assert_string_equal(ur_copy_prim_name(UR_COPY_RW), "read/write");
	assert_string_equal(ur_copy_prim_name(UR_COPY_CLONE), "clone");
	assert_string_equal(ur_copy_prim_name(UR_COPY_NONE), "none");
}

/* Size 0 in fstat but data to read (procfs): only read/write sees it. */
static void test_size_zero_with_data(void **state)
{
	struct fx *f = *state;
	int in = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (in < 0)
		skip();
	int out = openat(f->dfd, "status", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	struct ur_copy_result r;
	assert_int_equal(ur_copy_file(in, out, 0, &r), 0);
	assert_true(r.bytes > 10);
	assert_int_equal(r.prim, UR_COPY_RW);
	struct stat st;
	assert_int_equal(fstat(out, &st), 0);
	assert_int_equal(st.st_size, r.bytes);
	close(in);
	close(out);
}

/* Across filesystems (tmpfs -> /tmp): whatever step works, same bytes. */
static void test_cross_fs(void **state)
{
	struct fx *f = *state;
	char sdir[64];
	snprintf(sdir, sizeof(sdir), "/dev/shm/ur_io_copy.XXXXXX");
	if (!mkdtemp(sdir))
		skip();
	int sfd = open(sdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int in = make_src(sfd, "src", 300000);
	int out = openat(f->dfd, "x", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	struct ur_copy_result r;
	assert_int_equal(ur_copy_file(in, out, 0, &r), 0);
	assert_int_equal(r.bytes, 300000);
	same_content(in, out, 300000);
	print_message("tmpfs -> /tmp: %s (tried 0x%x)\n", ur_copy_prim_name(r.prim), r.tried);
	close(in);
	close(out);
	unlinkat(sfd, "src", 0);
	close(sfd);
	rmdir(sdir);
}

/* A full device: -ENOSPC with the position, on every step. */
static void test_enospc(void **state)
{
	struct fx *f = *state;
	int out = open("/dev/full", O_WRONLY | O_CLOEXEC);
	if (out < 0)
		skip();
	int in = make_src(f->dfd, "src", 10000);
	static const unsigned modes[] = {0,
					 UR_COPY_NO_CLONE | UR_COPY_NO_RANGE | UR_COPY_NO_SENDFILE};
	for (size_t m = 0; m < 2; m++) {
		struct ur_copy_result r;
		assert_int_equal(ur_copy_file(in, out, modes[m], &r), -ENOSPC);
		assert_int_equal(r.err_pos, 0);
		assert_int_equal(r.bytes, 0);
		assert_true(r.err_prim != UR_COPY_NONE);
	}
	close(in);
	close(out);
}

/* A file size limit stops the copy part way: -EFBIG at the limit, and the
 * result says how much is there, never a silent short file. */
static void test_partial_failure(void **state)
{
	struct fx *f = *state;
	struct rlimit old, lim;
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
	int in = make_src(f->dfd, "src", 200000);
	static const unsigned modes[] = {
	    UR_COPY_NO_CLONE,
	    UR_COPY_NO_CLONE | UR_COPY_NO_RANGE,
	    UR_COPY_NO_CLONE | UR_COPY_NO_RANGE | UR_COPY_NO_SENDFILE,
	};
	for (size_t m = 0; m < 3; m++) {
		int out = openat(f->dfd, "dst", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		lim = old;
		lim.rlim_cur = 65536;
		assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
		struct ur_copy_result r;
		int rc = ur_copy_file(in, out, modes[m], &r);
		assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
		assert_int_equal(rc, -EFBIG);
		assert_int_equal(r.err_pos, 65536);
		assert_int_equal(r.bytes, 65536);
		struct stat st;
		assert_int_equal(fstat(out, &st), 0);
		assert_int_equal(st.st_size, 65536);
		close(out);
	}
	signal(SIGXFSZ, prev);
	close(in);
}

/* Output that a step refuses (O_APPEND: copy_file_range says EBADF) falls
 * through to a step that works. */
static void test_append_output(void **state)
{
	struct fx *f = *state;
	int in = make_src(f->dfd, "src", 5000);
	int out = openat(f->dfd, "app", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	struct ur_copy_result r;
	assert_int_equal(ur_copy_file(in, out, UR_COPY_NO_CLONE, &r), 0);
	assert_int_equal(r.bytes, 5000);
	int back = openat(f->dfd, "app", O_RDONLY | O_CLOEXEC);
	same_content(in, back, 5000);
	print_message("O_APPEND: %s (tried 0x%x)\n", ur_copy_prim_name(r.prim), r.tried);
	close(back);
	close(in);
	close(out);
	/* an unreadable source is an error, not a fall-through to nothing */
	int wo = openat(f->dfd, "src", O_WRONLY | O_CLOEXEC);
	out = openat(f->dfd, "dst", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_int_equal(ur_copy_file(wo, out, 0, &r), -EBADF);
	close(wo);
	close(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_each_step, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_size_zero_with_data, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cross_fs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_enospc, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_partial_failure, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_append_output, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
