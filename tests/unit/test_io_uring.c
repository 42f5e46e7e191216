/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The io_uring backend and the probe. The backend tests skip when io_uring
 * is not built or the kernel refuses it; the probe and policy tests run
 * everywhere (the portable build must say "posix (portable build)").
 * The same mixed batch runs on both backends and must give the same
 * results: that is what lets one engine run on either.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "io/io.h"
#include "scratch.h"
#include "io/uring_int.h"

struct fx {
	char dir[64];
	int dfd;
	struct ur_io *ring;
	struct ur_io *posix;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	if (ur_scratch_make(f->dir, sizeof(f->dir), "ur_io_uring") < 0)
		return -1;
	f->dfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int err;
	f->ring = ur_io_uring_new(&err);
	f->posix = ur_io_posix_new();
	if (f->dfd < 0 || !f->posix)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	close(f->dfd);
	ur_io_free(f->ring);
	ur_io_free(f->posix);
	if (ur_scratch_remove(f->dir) < 0)
		return -1;
	free(f);
	return 0;
}

#define NEED_RING(f)                                                                               \
	do {                                                                                       \
		if (!(f)->ring)                                                                    \
			skip();                                                                    \
	} while (0)

static int next_fd(void)
{
	int fd = dup(0);
	close(fd);
	return fd;
}

/* ---- probe and policy: run on every build ---- */

static void test_policy_posix(void **state)
{
	(void)state;
	char line[160];
	struct ur_io *io;
	struct ur_err err;
	ur_io_version_line(UR_IO_POSIX, line, sizeof(line));
	assert_string_equal(line, "posix (--no-io-uring)");
	assert_int_equal(ur_io_open(UR_IO_POSIX, &io, &err), 0);
	assert_int_equal(io->kind, UR_IO_KIND_POSIX);
	assert_string_equal(io->line, "posix (--no-io-uring)");
	ur_io_free(io);

	setenv("URSYNC_IO", "posix", 1);
	assert_int_equal(ur_io_open(UR_IO_AUTO, &io, &err), 0);
	assert_int_equal(io->kind, UR_IO_KIND_POSIX);
	assert_string_equal(io->line, "posix (URSYNC_IO=posix)");
	ur_io_free(io);
	/* the command line wins over the environment */
	setenv("URSYNC_IO", "uring", 1);
	assert_int_equal(ur_io_open(UR_IO_POSIX, &io, &err), 0);
	assert_int_equal(io->kind, UR_IO_KIND_POSIX);
	ur_io_free(io);
	unsetenv("URSYNC_IO");
}

static void test_policy_real(void **state)
{
	(void)state;
	struct ur_io_probe p;
	char line[160];
	struct ur_io *io;
	struct ur_err err;
	int r = ur_io_probe(&p);
	ur_io_version_line(UR_IO_AUTO, line, sizeof(line));
	print_message("io: %s\n", line);
	assert_int_equal(ur_io_open(UR_IO_AUTO, &io, &err), 0);
	if (r == 0) {
		assert_true(p.built);
		assert_true(p.nops > 0);
		assert_true(!strncmp(line, "io_uring (kernel ", 17));
		assert_non_null(strstr(line, " ops, hybrid)"));
		assert_int_equal(io->kind, UR_IO_KIND_URING);
		/* auto sends to the ring only what measured faster there */
		assert_true(ur_uring_op_on_ring(io, UR_OP_FSYNC));
		assert_false(ur_uring_op_on_ring(io, UR_OP_STAT));
		ur_io_free(io);
		assert_int_equal(ur_io_open(UR_IO_URING, &io, &err), 0);
		assert_int_equal(io->kind, UR_IO_KIND_URING);
		assert_true(ur_uring_op_on_ring(io, UR_OP_STAT));
		assert_null(strstr(io->line, "hybrid"));
		print_message("io (--io-uring): %s\n", io->line);
	} else {
		assert_true(!strncmp(line, "posix (", 7));
		assert_int_equal(io->kind, UR_IO_KIND_POSIX);
		if (!p.built)
			assert_string_equal(line, UR_PORTABLE ? "posix (portable build)"
							      : "posix (built without liburing)");
		ur_io_free(io);
		memset(&err, 0, sizeof(err));
		assert_int_equal(ur_io_open(UR_IO_URING, &io, &err), r);
		assert_null(io);
		assert_int_equal(err.code, 4);
		assert_non_null(strstr(err.msg, "io_uring backend is not available"));
	}
	ur_io_free(io);
}

static void test_policy_refused(void **state)
{
	(void)state;
	struct ur_io_probe p;
	char line[160];
	struct ur_io *io;
	struct ur_err err;
	ur_io_probe_fake(-EPERM);
	int r = ur_io_probe(&p);
	ur_io_version_line(UR_IO_AUTO, line, sizeof(line));
	if (p.built) {
		assert_int_equal(r, -EPERM);
		assert_true(!strncmp(line, "posix (io_uring refused: EPERM", 30));
	}
	assert_int_equal(ur_io_open(UR_IO_AUTO, &io, &err), 0);
	assert_int_equal(io->kind, UR_IO_KIND_POSIX);
	ur_io_free(io);
	memset(&err, 0, sizeof(err));
	assert_true(ur_io_open(UR_IO_URING, &io, &err) < 0);
	assert_null(io);
	assert_non_null(strstr(err.msg, p.built ? "EPERM" : "build"));
	ur_io_version_line(UR_IO_URING, line, sizeof(line));
	assert_true(!strncmp(line, "none (io_uring required but unavailable", 39));
	ur_io_probe_fake(-ENOSYS);
	ur_io_version_line(UR_IO_AUTO, line, sizeof(line));
	if (p.built)
		assert_string_equal(line, "posix (io_uring refused: ENOSYS)");
	ur_io_probe_fake(0);
}

/* ---- the same batch on both backends ---- */

#define NSCEN 17

static void scenario(struct ur_io *io, int dfd, const char *d, int64_t res[NSCEN],
		     struct ur_stat *st, char *lbuf)
{
	struct ur_io_op ops[NSCEN];
	char p[8][64];
	struct timespec ts[2] = {{1, 0}, {1500000000, 42}};
	snprintf(p[0], 64, "%s", d);
	snprintf(p[1], 64, "%s/f", d);
	snprintf(p[2], 64, "%s/l", d);
	snprintf(p[3], 64, "%s/g", d);
	snprintf(p[4], 64, "%s/nope/x", d);

	ur_io_prep_mkdirat(&ops[0], dfd, p[0], 0755);
	ur_io_op_link(&ops[0], false);
	ur_io_prep_open_slot(&ops[1], dfd, p[1], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644, 2);
	ur_io_op_link(&ops[1], false);
	ur_io_prep_write(&ops[2], 2, "payload", 7, 0);
	ur_io_op_use_slot(&ops[2], 2);
	ur_io_op_link(&ops[2], true);
	ur_io_prep_close(&ops[3], 2);
	ur_io_op_use_slot(&ops[3], 2);
	/* a chain through POSIX-only ops (chmod, utimens, readlink) */
	ur_io_prep_chmod(&ops[4], dfd, p[1], 0600);
	ur_io_op_link(&ops[4], false);
	ur_io_prep_utimens(&ops[5], dfd, p[1], ts, AT_SYMLINK_NOFOLLOW);
	ur_io_op_link(&ops[5], false);
	ur_io_prep_stat(&ops[6], dfd, p[1], AT_SYMLINK_NOFOLLOW, st);
	ur_io_op_link(&ops[6], false);
	ur_io_prep_symlinkat(&ops[7], "f", dfd, p[2]);
	ur_io_op_link(&ops[7], false);
	ur_io_prep_readlinkat(&ops[8], dfd, p[2], lbuf, 16);
	/* a failing chain through a fallback op */
	ur_io_prep_mkdirat(&ops[9], dfd, p[4], 0755);
	ur_io_op_link(&ops[9], false);
	ur_io_prep_chmod(&ops[10], dfd, p[1], 0666);
	ur_io_op_link(&ops[10], false);
	ur_io_prep_renameat(&ops[11], dfd, p[1], dfd, p[3]);
	/* independent */
	ur_io_prep_linkat(&ops[12], dfd, p[1], dfd, p[3], 0);
	ur_io_prep_unlinkat(&ops[13], dfd, p[2], 0);
	ur_io_op_link(&ops[12], false);
	/* a failure before a hard link cancels past it too */
	snprintf(p[5], 64, "%s/y", d);
	snprintf(p[6], 64, "%s/z", d);
	ur_io_prep_mkdirat(&ops[14], dfd, p[4], 0755);
	ur_io_op_link(&ops[14], false);
	ur_io_prep_mkdirat(&ops[15], dfd, p[5], 0755);
	ur_io_op_link(&ops[15], true);
	ur_io_prep_mkdirat(&ops[16], dfd, p[6], 0755);
	assert_int_equal(ur_io_submit(io, ops, NSCEN), 0);
	for (int i = 0; i < NSCEN; i++)
		res[i] = ops[i].res;
}

static void test_same_results(void **state)
{
	struct fx *f = *state;
	NEED_RING(f);
	int64_t a[NSCEN], b[NSCEN];
	struct ur_stat sa, sb;
	char la[17] = {0}, lb[17] = {0};
	uint64_t fb = f->ring->stats.fallbacks;
	scenario(f->posix, f->dfd, "p", a, &sa, la);
	scenario(f->ring, f->dfd, "u", b, &sb, lb);
	for (int i = 0; i < NSCEN; i++) {
		print_message("op %2d: posix %lld uring %lld\n", i, (long long)a[i],
			      (long long)b[i]);
		assert_int_equal(a[i], b[i]);
	}
	assert_int_equal(a[2], 7);
	assert_int_equal(a[8], 1);
	assert_int_equal(a[9], -ENOENT);
	assert_int_equal(a[10], -ECANCELED);
	assert_int_equal(a[11], -ECANCELED);
	assert_int_equal(a[14], -ENOENT);
	assert_int_equal(a[15], -ECANCELED);
	assert_int_equal(a[16], -ECANCELED);
	assert_int_equal(sa.size, 7);
	assert_int_equal(sb.size, 7);
	assert_int_equal(sa.mode, sb.mode);
	assert_int_equal(sb.mode & 07777, 0600);
	assert_int_equal(sb.mtime, 1500000000);
	assert_int_equal(sb.mtime_ns, 42);
	assert_string_equal(la, lb);
	/* chmod, utimens, readlink ran as POSIX inside the ring backend (the
	 * second chmod was cancelled) */
	assert_int_equal(f->ring->stats.fallbacks - fb, 3);
	assert_true(ur_uring_op_on_ring(f->ring, UR_OP_STAT));
	assert_false(ur_uring_op_on_ring(f->ring, UR_OP_CHMOD));

	/* the hybrid routing of UR_IO_AUTO: slots on the ring, the rest inline */
	int64_t c[NSCEN];
	struct ur_stat sc;
	char lc[17] = {0};
	ur_uring_route_measured(f->ring);
	assert_false(ur_uring_op_on_ring(f->ring, UR_OP_STAT));
	uint64_t e0 = f->ring->stats.enters;
	scenario(f->ring, f->dfd, "h", c, &sc, lc);
	assert_int_equal(f->ring->stats.enters, e0); /* no fsync in it: all inline */
	/* ... and fsyncs go to the ring */
	struct ur_io_op fs[2];
	int fd = ur_io_openat(f->ring, f->dfd, "h/f", O_RDONLY | O_CLOEXEC, 0);
	assert_true(fd >= 0);
	ur_io_prep_fsync(&fs[0], fd, 0);
	ur_io_prep_fsync(&fs[1], fd, UR_FSYNC_DATA);
	assert_int_equal(ur_io_submit(f->ring, fs, 2), 0);
	assert_int_equal(fs[0].res, 0);
	assert_int_equal(fs[1].res, 0);
	assert_int_equal(f->ring->stats.enters, e0 + 1);
	ur_io_close(f->ring, fd);
	for (int i = 0; i < NSCEN; i++)
		assert_int_equal(a[i], c[i]);
	assert_int_equal(sc.size, 7);
	assert_string_equal(la, lc);
}

static void test_short_read_link(void **state)
{
	struct fx *f = *state;
	NEED_RING(f);
	struct ur_io *io = f->ring;
	struct ur_io_op ops[3];
	char buf[16];
	int fd = ur_io_openat(io, f->dfd, "short", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ur_io_pwrite(io, fd, "abc", 3, 0), 3);
	ur_io_prep_read(&ops[0], fd, buf, sizeof(buf), 0);
	ur_io_op_link(&ops[0], false);
	ur_io_prep_write(&ops[1], fd, "Z", 1, 0);
	ur_io_prep_nop(&ops[2]);
	assert_int_equal(ur_io_submit(io, ops, 3), 0);
	assert_int_equal(ops[0].res, 3);
	assert_int_equal(ops[1].res, -ECANCELED);
	assert_int_equal(ops[2].res, 0);
	ur_io_close(io, fd);
}

static void test_batched_stat(void **state)
{
	struct fx *f = *state;
	NEED_RING(f);
	struct ur_io *io = f->ring;
	enum { N = 300 }; /* more than one ring's worth */
	static char names[N][16];
	static struct ur_stat st[N];
	static struct ur_io_op ops[N];
	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "s%03d", i);
		ur_io_prep_open_slot(&ops[0], f->dfd, names[i], O_WRONLY | O_CREAT, 0644, 0);
		ur_io_op_link(&ops[0], false);
		ur_io_prep_write(&ops[1], 0, "0123456789", (size_t)(i % 11), 0);
		ur_io_op_use_slot(&ops[1], 0);
		ur_io_op_link(&ops[1], true);
		ur_io_prep_close(&ops[2], 0);
		ur_io_op_use_slot(&ops[2], 0);
		assert_int_equal(ur_io_submit(io, ops, 3), 0);
		assert_int_equal(ops[2].res, 0);
	}
	for (int i = 0; i < N; i++)
		ur_io_prep_stat(&ops[i], f->dfd, names[i], AT_SYMLINK_NOFOLLOW, &st[i]);
	uint64_t e0 = io->stats.enters;
	assert_int_equal(ur_io_submit(io, ops, N), 0);
	for (int i = 0; i < N; i++) {
		assert_int_equal(ops[i].res, 0);
		assert_int_equal(st[i].size, i % 11);
	}
	assert_int_equal(io->stats.enters - e0, 2);
	/* 100 fit in one enter */
	e0 = io->stats.enters;
	assert_int_equal(ur_io_submit(io, ops, 100), 0);
	assert_int_equal(io->stats.enters - e0, 1);
	/* compare with POSIX */
	struct ur_stat ps;
	assert_int_equal(ur_io_stat(f->posix, f->dfd, names[7], AT_SYMLINK_NOFOLLOW, &ps), 0);
	assert_memory_equal(&ps, &st[7], sizeof(ps));
	/* a directory listing stated through the ring, 64 per enter */
	struct ur_dir *d;
	static struct ur_dirent ents[N];
	static int res[N];
	assert_int_equal(ur_dir_open(f->dfd, ".", false, &d), 0);
	e0 = io->stats.enters;
	ssize_t k = ur_dir_read_stat(io, d, ents, st, res, N, AT_SYMLINK_NOFOLLOW);
	assert_int_equal(k, N); /* 300 short names fit one getdents buffer */
	assert_int_equal(io->stats.enters - e0, (N + 63) / 64);
	for (int i = 0; i < N; i++) {
		assert_int_equal(res[i], 0);
		assert_int_equal(st[i].size, atoi(ents[i].name + 1) % 11);
	}
	assert_int_equal(ur_dir_read_stat(io, d, ents, st, res, N, 0), 0);
	ur_dir_close(d);
}

static void test_slot_leftover(void **state)
{
	struct fx *f = *state;
	NEED_RING(f);
	struct ur_io_op ops[2];
	char buf[8];
	/* the thread's ring is made on its first batch: count fds after it */
	ur_io_prep_nop(&ops[0]);
	ur_io_prep_nop(&ops[1]);
	assert_int_equal(ur_io_submit(f->ring, ops, 2), 0);
	int fd0 = next_fd();
	int fd = ur_io_openat(f->posix, f->dfd, "x", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	ur_io_close(f->posix, fd);
	ur_io_prep_open_slot(&ops[0], f->dfd, "x", O_RDONLY | O_CLOEXEC, 0, 7);
	assert_int_equal(ur_io_submit(f->ring, ops, 1), 0);
	assert_int_equal(ops[0].res, 0);
	/* the next batch finds slot 7 empty again */
	ur_io_prep_read(&ops[0], 7, buf, sizeof(buf), 0);
	ur_io_op_use_slot(&ops[0], 7);
	assert_int_equal(ur_io_submit(f->ring, ops, 1), 0);
	assert_int_equal(ops[0].res, -EBADF);
	assert_int_equal(next_fd(), fd0);
}

struct thr {
	struct ur_io *io;
	int dfd;
	int ok;
};

static void *worker(void *arg)
{
	struct thr *t = arg;
	struct ur_io_op ops[32];
	struct ur_stat st[32];
	t->ok = 1;
	for (int round = 0; round < 50; round++) {
		for (int i = 0; i < 32; i++)
			ur_io_prep_stat(&ops[i], t->dfd, "s005", 0, &st[i]);
		if (ur_io_submit(t->io, ops, 32))
			t->ok = 0;
		for (int i = 0; i < 32; i++)
			if (ops[i].res || st[i].size != 5)
				t->ok = 0;
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct fx *f = *state;
	NEED_RING(f);
	int fd = ur_io_openat(f->posix, f->dfd, "s005", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_int_equal(ur_io_pwrite(f->posix, fd, "12345", 5, 0), 5);
	ur_io_close(f->posix, fd);
	pthread_t th[4];
	struct thr t[4];
	uint64_t ops0 = f->ring->stats.ops, sub0 = f->ring->stats.submits;
	for (int i = 0; i < 4; i++) {
		t[i] = (struct thr){f->ring, f->dfd, 0};
		assert_int_equal(pthread_create(&th[i], NULL, worker, &t[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(t[i].ok, 1);
	}
	/* the counters are exact across threads */
	assert_int_equal(f->ring->stats.ops - ops0, 4 * 50 * 32);
	assert_int_equal(f->ring->stats.submits - sub0, 4 * 50);
}

static void test_small_batches(void **state)
{
	struct fx *f = *state;
	NEED_RING(f);
	struct ur_stat st;
	/* a lone op goes straight to POSIX (UR_URING_MIN_BATCH) ... */
	uint64_t e0 = f->ring->stats.enters;
	assert_int_equal(ur_io_stat(f->ring, f->dfd, ".", 0, &st), 0);
	assert_int_equal(f->ring->stats.enters, e0);
	/* ... unless told otherwise */
	ur_uring_set_min_batch(f->ring, 1);
	assert_int_equal(ur_io_stat(f->ring, f->dfd, ".", 0, &st), 0);
	assert_int_equal(f->ring->stats.enters, e0 + 1);
	assert_true(S_ISDIR(st.mode));
	assert_int_equal(ur_io_stat(f->ring, f->dfd, "missing", 0, &st), -ENOENT);
	ur_uring_set_min_batch(f->ring, UR_URING_MIN_BATCH);
}

/* A forked child gets its own ring (the daemon forks per connection). */
static void test_fork(void **state)
{
	struct fx *f = *state;
	NEED_RING(f);
	struct ur_io_op ops[2];
	struct ur_stat st[2];
	ur_io_prep_stat(&ops[0], f->dfd, ".", 0, &st[0]);
	ur_io_prep_stat(&ops[1], f->dfd, ".", 0, &st[1]);
	assert_int_equal(ur_io_submit(f->ring, ops, 2), 0); /* the parent's ring exists */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		uint64_t e0 = f->ring->stats.enters;
		int ok = ur_io_submit(f->ring, ops, 2) == 0 && ops[0].res == 0 && ops[1].res == 0 &&
			 f->ring->stats.enters == e0 + 1;
		_exit(ok ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(ur_io_submit(f->ring, ops, 2), 0); /* and the parent's still works */
	assert_int_equal(ops[0].res, 0);
}

/* UR_IO_AUTO's READ: inline when the pages are cached, the ring when a
 * read is chained (or would block). Same results either way. */
static void test_adaptive_read(void **state)
{
	struct fx *f = *state;
	NEED_RING(f);
	struct ur_io *io = f->ring;
	struct ur_io_op ops[4];
	char a[16] = {0}, b[16] = {0}, c[16] = {0}, d[16] = {0};
	int fd = ur_io_openat(f->posix, f->dfd, "ad", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	assert_int_equal(ur_io_pwrite(f->posix, fd, "0123456789", 10, 0), 10);
	ur_uring_route_measured(io);
	assert_true(ur_uring_op_on_ring(io, UR_OP_READ));
	uint64_t e0 = io->stats.enters, fb = io->stats.fallbacks;
	ur_io_prep_read(&ops[0], fd, a, 10, 0);	       /* exact */
	ur_io_prep_read(&ops[1], fd, b, sizeof(b), 4); /* short: EOF */
	ur_io_prep_read(&ops[2], fd, c, 4, 8);	       /* short: EOF after 2 */
	ur_io_prep_read(&ops[3], fd, d, 4, 100);       /* past EOF */
	assert_int_equal(ur_io_submit(io, ops, 4), 0);
	assert_int_equal(ops[0].res, 10);
	assert_int_equal(ops[1].res, 6);
	assert_int_equal(ops[2].res, 2);
	assert_int_equal(ops[3].res, 0);
	assert_memory_equal(a, "0123456789", 10);
	assert_memory_equal(b, "456789", 6);
	assert_memory_equal(c, "89", 2);
	assert_int_equal(io->stats.enters, e0); /* cached: no ring at all */
	assert_int_equal(io->stats.fallbacks - fb, 4);
	/* chained reads keep their order on the ring */
	ur_io_prep_read(&ops[0], fd, a, 3, 0);
	ur_io_op_link(&ops[0], false);
	ur_io_prep_read(&ops[1], fd, b, 3, 3);
	assert_int_equal(ur_io_submit(io, ops, 2), 0);
	assert_int_equal(ops[0].res, 3);
	assert_int_equal(ops[1].res, 3);
	assert_int_equal(io->stats.enters, e0 + 1);
	/* errors come back the same */
	ur_io_prep_read(&ops[0], -1, a, 3, 0);
	ur_io_prep_read(&ops[1], f->dfd, b, 3, 0);
	assert_int_equal(ur_io_submit(io, ops, 2), 0);
	assert_int_equal(ops[0].res, -EBADF);
	assert_int_equal(ops[1].res, -EISDIR);
	ur_io_close(f->posix, fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_policy_posix),
	    cmocka_unit_test(test_policy_real),
	    cmocka_unit_test(test_policy_refused),
	    cmocka_unit_test_setup_teardown(test_same_results, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_short_read_link, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_batched_stat, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_slot_leftover, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_small_batches, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_adaptive_read, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fork, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
