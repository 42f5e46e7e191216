/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer target for the whole delta (src/delta/delta.c): signature of
 * a basis, the sender's match of a new file against it, and the patch
 * from that stream must give back the new file, with the sender's and the
 * receiver's whole-file sums equal. Byte 0 is the block size (1..128, so
 * blocks match often), byte 1 the checksum kind, bytes 2-3 where the rest
 * splits into basis and new file. Full-length strong sums (the redo pass)
 * rule out false block matches, so any difference is a bug.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "delta/delta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int temp_fd(const uint8_t *p, size_t n)
{
	FILE *f = tmpfile();
	int fd;

	if (!f)
		abort();
	fd = dup(fileno(f));
	fclose(f);
	if (fd < 0 || write(fd, p, n) != (ssize_t)n)
		abort();
	return fd;
}

struct tab_ctx {
	struct ur_delta_sigtab *t;
	int32_t i;
};

static int add(void *ctx, uint32_t rolling, const uint8_t *strong, int s2len)
{
	struct tab_ctx *c = ctx;

	(void)s2len;
	return ur_delta_sigtab_add(c->t, c->i++, rolling, strong);
}

static int lit(void *ctx, const uint8_t *p, size_t n)
{
	if (n > UR_TOKEN_CHUNK)
		abort();
	return ur_delta_patch_literal(ctx, p, n);
}

static int match(void *ctx, int32_t block, const uint8_t *data, size_t len)
{
	(void)data;
	(void)len;
	return ur_delta_patch_match(ctx, block);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum ur_sum_kind kinds[] = {UR_SUM_MD5, UR_SUM_MD4, UR_SUM_XXH3_128,
						 UR_SUM_XXH64};
	static uint8_t got[1 << 16];
	struct ur_sig_params p = {.kind = UR_SUM_MD5, .seed_fix = true, .protocol = 32, .redo = true};
	struct ur_sum_head h;
	struct tab_ctx tc = {NULL, 0};
	struct ur_delta_patch pt;
	struct ur_delta_out out = {.literal = lit, .match = match, .ctx = &pt};
	struct ur_delta_stats st;
	uint8_t s1[UR_SUM_MAX_LEN], s2[UR_SUM_MAX_LEN];
	size_t split, nn;
	int fb, fn, fo, l1, l2;

	if (size < 4 || size > 4 + sizeof(got))
		return 0;
	p.block_size_opt = 1 + data[0] % 128;
	p.kind = kinds[data[1] % 4];
	p.seed = (int32_t)((uint32_t)data[1] * 0x01010101u);
	if (!ur_sum_supported(p.kind))
		p.kind = UR_SUM_MD5;
	split = (size_t)(data[2] | data[3] << 8) % (size - 3);
	data += 4;
	size -= 4;
	nn = size - split;
	fb = temp_fd(data, split);
	fn = temp_fd(data + split, nn);
	fo = temp_fd(NULL, 0);
	if (ur_delta_sig_head((int64_t)split, &p, &h) < 0 || ur_delta_sigtab_new(&h, &tc.t) < 0)
		abort();
	if (ur_delta_sig(fb, (int64_t)split, &p, &h, add, &tc) < 0 || tc.i != h.count)
		abort();
	if (ur_delta_patch_init(&pt, &h, fb, (int64_t)split, fo, &p) < 0)
		abort();
	l1 = ur_delta_match(fn, (int64_t)nn, tc.t, &p, &out, s1, &st);
	l2 = ur_delta_patch_finish(&pt, s2);
	if (l1 <= 0 || l1 != l2 || memcmp(s1, s2, (size_t)l1) != 0)
		abort();
	if (st.literal + st.matched != (int64_t)nn || st.literal != pt.st.literal)
		abort();
	if (lseek(fo, 0, SEEK_END) != (off_t)nn || pread(fo, got, nn, 0) != (ssize_t)nn ||
	    memcmp(got, data + split, nn) != 0)
		abort();
	ur_delta_patch_release(&pt);
	ur_delta_sigtab_free(tc.t);
	close(fb);
	close(fn);
	close(fo);
	return 0;
}
