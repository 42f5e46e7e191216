/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The local delta copy (src/delta/delta_local.c): signature, match and
 * patch in one call, on the caller's thread or shared with helpers. The
 * output must be the new file byte for byte and the counters the same
 * whatever the number of threads: small files, files of several batches
 * (by output length, by token count, by literal bytes), no basis, and the
 * errors of the output and of the source.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "delta/delta.h"
#include "scratch.h"

static char dir[64];

static void pat(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

static int file_with(const char *name, const uint8_t *p, size_t n, int flags)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	if (flags != O_RDWR) {
		close(fd);
		fd = open(path, flags);
		assert_true(fd >= 0);
	}
	return fd;
}

static int empty_out(void)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/out", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	return fd;
}

static void assert_file_is(int fd, const uint8_t *p, size_t n)
{
	uint8_t *got = malloc(n + 1);

	assert_non_null(got);
	assert_int_equal(lseek(fd, 0, SEEK_END), (off_t)n);
	assert_int_equal(pread(fd, got, n, 0), (ssize_t)n);
	assert_memory_equal(got, p, n);
	free(got);
}

static const struct ur_sig_params base = {
    .kind = UR_SUM_XXH3_128, .seed_fix = true, .protocol = 32, .threads = 1};

/* Copy nw over a basis of bn bytes with 1, 2 and 3 threads: the output is
 * nw and the counters agree; returns them (from the last run). */
static struct ur_delta_stats copy_all_ways(const uint8_t *basis, size_t bn, const uint8_t *nw,
					   size_t nn, int32_t bopt)
{
	struct ur_delta_stats first = {0}, st;
	int fb = basis ? file_with("basis", basis, bn, O_RDONLY) : -1;
	int fs = file_with("new", nw, nn, O_RDONLY);

	for (int t = 1; t <= 3; t++) {
		struct ur_sig_params p = base;
		int out = empty_out();
		bool failed = true;

		p.threads = t;
		p.block_size_opt = bopt;
		assert_int_equal(ur_delta_local(fs, (int64_t)nn, fb, (int64_t)bn, out, &p, &st, &failed),
				 (int64_t)nn);
		assert_file_is(out, nw, nn);
		assert_int_equal(st.literal + st.matched, (int64_t)nn);
		assert_int_equal(st.read_error, 0);
		if (t == 1)
			first = st;
		assert_int_equal(st.literal, first.literal);
		assert_int_equal(st.matched, first.matched);
		assert_int_equal(st.matches, first.matches);
		assert_int_equal(st.false_alarms, first.false_alarms);
		close(out);
	}
	if (fb >= 0)
		close(fb);
	close(fs);
	return st;
}

/* Changed bytes, an insertion and a deletion in 20 MiB: three batches by
 * output length; with 700-byte blocks, many batches by token count. */
static void test_local_changes(void **state)
{
	const size_t bn = 20u << 20;
	uint8_t *b = malloc(bn), *n = malloc(bn + 4096);
	size_t nn;
	struct ur_delta_stats st;

	(void)state;
	if (!ur_sum_supported(base.kind)) {
		skip();
		return;
	}
	assert_non_null(b);
	assert_non_null(n);
	pat(b, bn, 3);
	memcpy(n, b, bn);
	for (size_t off = 12345; off + 100 < bn; off += 1u << 20)
		memset(n + off, 0x5a, 100);
	/* 3000 bytes inserted at 5 MiB, 2000 deleted at 15 MiB */
	memmove(n + (5u << 20) + 3000, n + (5u << 20), bn - (5u << 20));
	pat(n + (5u << 20), 3000, 99);
	nn = bn + 3000;
	memmove(n + (15u << 20), n + (15u << 20) + 2000, nn - (15u << 20) - 2000);
	nn -= 2000;
	st = copy_all_ways(b, bn, n, nn, 0);
	assert_true(st.matched > (int64_t)(bn * 9 / 10));
	assert_true(st.literal > 0);
	st = copy_all_ways(b, bn, n, nn, 700);
	assert_true(st.matches > 4 * 2048);
	free(b);
	free(n);
}

/* Small files, an empty one, no basis, and nothing in common (literal
 * only: batches fill by literal bytes). */
static void test_local_small_and_literal(void **state)
{
	const size_t big = 6u << 20;
	uint8_t *b = malloc(big), *n = malloc(big);
	struct ur_delta_stats st;

	(void)state;
	if (!ur_sum_supported(base.kind)) {
		skip();
		return;
	}
	pat(b, big, 1);
	/* pat() with another seed is the same stream further on: flip it */
	pat(n, big, 2);
	for (size_t i = 0; i < big; i++)
		n[i] ^= 0xa5;
	st = copy_all_ways(b, 5000, b, 5000, 0);
	assert_int_equal(st.matched, 5000);
	st = copy_all_ways(b, 5000, n, 0, 0);
	assert_int_equal(st.literal, 0);
	st = copy_all_ways(b, 0, n, 100000, 0);
	assert_int_equal(st.literal, 100000);
	st = copy_all_ways(NULL, 0, n, 100000, 0);
	assert_int_equal(st.literal, 100000);
	st = copy_all_ways(b, big, n, big, 0);
	assert_int_equal(st.literal, (int64_t)big);
	free(b);
	free(n);
}

/* An output that cannot be written fails as the output's fault; a source
 * that cannot be read as the source's. */
static void test_local_errors(void **state)
{
	const size_t bn = 3u << 20;
	uint8_t *b = malloc(bn);

	(void)state;
	if (!ur_sum_supported(base.kind)) {
		skip();
		return;
	}
	pat(b, bn, 5);
	for (int t = 1; t <= 3; t++) {
		struct ur_sig_params p = base;
		struct ur_delta_stats st;
		int fb = file_with("basis", b, bn, O_RDONLY);
		int fs = file_with("new", b, bn, O_RDONLY);
		int ro = file_with("ro", b, 10, O_RDONLY);
		int wo = file_with("wo", b, bn, O_WRONLY);
		bool failed = false;

		p.threads = t;
		assert_int_equal(ur_delta_local(fs, (int64_t)bn, fb, (int64_t)bn, ro, &p, &st, &failed),
				 -EBADF);
		assert_true(failed);
		/* literal data only, so the patch writes early */
		assert_int_equal(ur_delta_local(fs, (int64_t)bn, -1, 0, ro, &p, &st, &failed), -EBADF);
		assert_true(failed);
		failed = true;
		int out = empty_out();
		assert_int_equal(ur_delta_local(wo, (int64_t)bn, fb, (int64_t)bn, out, &p, &st, &failed),
				 -EBADF);
		assert_false(failed);
		assert_int_equal(st.read_error, -EBADF);
		close(out);
		close(fb);
		close(fs);
		close(ro);
		close(wo);
	}
	free(b);
}

/* A basis that changes after its signature was made: each thread count
 * notices (-EBADMSG, not the output's fault), whether a matched block was
 * rewritten or the basis shrank (the patch reads zeros); the same basis
 * left alone copies. */
static void test_local_basis_changed(void **state)
{
	const size_t bn = 20u << 20;
	uint8_t *b = malloc(bn), *n = malloc(bn);

	(void)state;
	if (!ur_sum_supported(base.kind)) {
		skip();
		return;
	}
	assert_non_null(b);
	assert_non_null(n);
	pat(b, bn, 7);
	memcpy(n, b, bn);
	memset(n + 3000, 0x11, 50); /* some literal data too */
	for (int change = 0; change < 3; change++) {
		for (int t = 1; t <= 3; t++) {
			struct ur_sig_params p = base;
			struct ur_delta_stats st;
			struct ur_sum_head h;
			int fb = file_with("basis", b, bn, O_RDWR);
			int fs = file_with("new", n, bn, O_RDONLY);
			int out = empty_out();
			bool failed = true;

			p.threads = t;
			struct ur_delta_sigtab *tab = ur_delta_sig_table(fb, (int64_t)bn, &p, &h);
			assert_non_null(tab);
			if (change == 1) /* a block far in, after the first batches */
				assert_int_equal(pwrite(fb, "changed", 7, (off_t)(bn - 9000)), 7);
			if (change == 2)
				assert_int_equal(ftruncate(fb, (off_t)(bn / 2)), 0);
			int64_t rc = ur_delta_local_table(fs, (int64_t)bn, tab, &h, fb, (int64_t)bn,
							  out, &p, &st, &failed);
			if (change == 0) {
				assert_int_equal(rc, (int64_t)bn);
				assert_file_is(out, n, bn);
			} else {
				assert_int_equal(rc, -EBADMSG);
				assert_false(failed);
			}
			close(out);
			close(fb);
			close(fs);
		}
	}
	free(b);
	free(n);
}

static int setup(void **state)
{
	(void)state;
	return ur_scratch_make(dir, sizeof(dir), "ursync-delta-local");
}

static int teardown(void **state)
{
	(void)state;
	return ur_scratch_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_local_changes),
	    cmocka_unit_test(test_local_small_and_literal),
	    cmocka_unit_test(test_local_errors),
	    cmocka_unit_test(test_local_basis_changed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
