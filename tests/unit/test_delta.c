/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The delta engine (src/delta/delta.c): signatures against the block sums
 * rsync 3.5.0's generator sent, and round trips signature -> match ->
 * token stream -> patch for the usual kinds of change, with the amount of
 * literal data checked; hostile token streams refused.
 *
 * The rsync vectors: a basis of pat(size, 7) at the receiver, pushed over
 * with tests/unit/data/capture.sh as the remote shell:
 *   rsync -I --no-whole-file --checksum-seed=SEED [--checksum-choice=C]
 *         [--block-size=B] --rsh=capture.sh src/f localhost:dst/f
 * The generator's stream (server to client, MSG_DATA) holds the sum head
 * and count * (4 + s2length) bytes of block sums; the table has the head
 * and the MD5 of those bytes.
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

/* rsync's test data: a 32-bit LCG, one byte per step. */
static void pat(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

/* A file in the scratch dir holding n bytes of p; returns an fd for reading. */
static int file_with(const char *name, const uint8_t *p, size_t n)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	return fd;
}

static uint8_t *read_back(int fd, size_t *n)
{
	off_t end = lseek(fd, 0, SEEK_END);
	uint8_t *p = malloc((size_t)end + 1);

	assert_non_null(p);
	assert_int_equal(pread(fd, p, (size_t)end, 0), (ssize_t)end);
	*n = (size_t)end;
	return p;
}

static const struct ur_sig_params xxh = {
    .kind = UR_SUM_XXH3_128, .seed = 12345, .seed_fix = true, .protocol = 32};

static int skip_unsupported(enum ur_sum_kind k)
{
	if (!ur_sum_supported(k)) {
		skip();
		return 1;
	}
	return 0;
}

/* ---- signatures against rsync ---- */

struct sig_ctx {
	struct ur_md_ctx md;
	struct ur_sum_ctx sc;
	int blocks;
	int fail_at; /* emit returns -EIO at this block (-1: never) */
};

static int sig_md5(void *ctx, uint32_t rolling, const uint8_t *strong, int s2len)
{
	struct sig_ctx *c = ctx;
	uint8_t le[4] = {(uint8_t)rolling, (uint8_t)(rolling >> 8), (uint8_t)(rolling >> 16),
			 (uint8_t)(rolling >> 24)};

	if (c->blocks == c->fail_at)
		return -EIO;
	c->blocks++;
	ur_sum_update(&c->sc, le, 4);
	ur_sum_update(&c->sc, strong, (size_t)s2len);
	return 0;
}

static void sig_digest(int fd, int64_t size, const struct ur_sig_params *p, struct ur_sum_head *h,
		       char hex[2 * UR_SUM_MAX_LEN + 1])
{
	struct sig_ctx c = {.fail_at = -1};
	uint8_t d[UR_SUM_MAX_LEN];

	ur_sum_init(&c.sc, UR_SUM_MD5, 0);
	assert_int_equal(ur_delta_sig(fd, size, p, h, sig_md5, &c), 0);
	assert_int_equal(c.blocks, h->count);
	ur_sum_final(&c.sc, d);
	ur_sum_hex(UR_SUM_MD5, d, hex);
}

static const struct {
	const char *name;
	int64_t size;
	int32_t seed;
	enum ur_sum_kind kind;
	int32_t bopt;
	struct ur_sum_head h;
	const char *md5;
} sig_vectors[] = {
    {"x0", 0, 12345, UR_SUM_XXH3_128, 0, {0, 0, 0, 0}, "d41d8cd98f00b204e9800998ecf8427e"},
    {"x1", 1, 12345, UR_SUM_XXH3_128, 0, {1, 700, 2, 1}, "5db8ef3ac82ae9c46a7fc3ad7af3e3c6"},
    {"x700", 700, 12345, UR_SUM_XXH3_128, 0, {1, 700, 2, 0}, "1a3e800993f15eb7d97d84f54c364da3"},
    {"x701", 701, 12345, UR_SUM_XXH3_128, 0, {2, 700, 2, 1}, "f13673e545dec703e88cffd2b411ca91"},
    {"x100k",
     102400,
     12345,
     UR_SUM_XXH3_128,
     0,
     {147, 700, 2, 200},
     "e7d14013b7dff2d87b0d812d5522d9ed"},
    {"x3m",
     3145728,
     12345,
     UR_SUM_XXH3_128,
     0,
     {1780, 1768, 2, 456},
     "97cce1c7f6cd124ff5689307f9ac2e30"},
    {"x3mneg",
     3145728,
     -559038737,
     UR_SUM_XXH3_128,
     0,
     {1780, 1768, 2, 456},
     "e8ad2313fcd4c53b9e0b6c99d3e5b386"},
    {"md5_100k",
     102400,
     987654321,
     UR_SUM_MD5,
     0,
     {147, 700, 2, 200},
     "49d06efef9984390d8bb069889508cb3"},
    {"md4_100k", 102400, 1, UR_SUM_MD4, 0, {147, 700, 2, 200}, "cdbc9e25794016b037826cf2666f5872"},
    {"xxh64_701", 701, 42, UR_SUM_XXH64, 0, {2, 700, 2, 1}, "813f6bc577bcc403e5166f0c9d25e968"},
    {"xxh3_3m",
     3145728,
     77,
     UR_SUM_XXH3_64,
     0,
     {1780, 1768, 2, 456},
     "008ba966529e7a3f1c2a25dd10ab536e"},
    {"b1000_3m",
     3145728,
     5,
     UR_SUM_XXH3_128,
     1000,
     {3146, 1000, 2, 728},
     "0b9d10caf0daa220f7128abf34721c16"},
};

static void test_sig_vs_rsync(void **state)
{
	(void)state;
	/* Each vector on the caller's thread and shared with helpers. */
	for (size_t v = 0; v < 2 * sizeof(sig_vectors) / sizeof(sig_vectors[0]); v++) {
		struct ur_sig_params p = {.kind = sig_vectors[v / 2].kind,
					  .seed = sig_vectors[v / 2].seed,
					  .seed_fix = true,
					  .protocol = 32,
					  .block_size_opt = sig_vectors[v / 2].bopt,
					  .threads = v & 1 ? 3 : 1};
		size_t n = (size_t)sig_vectors[v / 2].size;
		uint8_t *b = malloc(n + 1);
		struct ur_sum_head h;
		char hex[2 * UR_SUM_MAX_LEN + 1];
		int fd;

		if (!ur_sum_supported(p.kind))
			continue;
		pat(b, n, 7);
		fd = file_with("basis", b, n);
		sig_digest(fd, (int64_t)n, &p, &h, hex);
		if (memcmp(&h, &sig_vectors[v / 2].h, sizeof(h)) != 0)
			fail_msg("%s: head %d %d %d %d", sig_vectors[v / 2].name, h.count, h.blength,
				 h.s2length, h.remainder);
		if (strcmp(hex, sig_vectors[v / 2].md5) != 0)
			fail_msg("%s: sums md5 %s, rsync's %s", sig_vectors[v / 2].name, hex,
				 sig_vectors[v / 2].md5);
		close(fd);
		free(b);
	}
}

/* The sender's tokens against rsync's: the same pushes as sig_vectors, the
 * new file being the basis with byte size/2 (or the bytes from `from` to
 * `to`) xored with 0x55 and "tail" appended. The MD5 of rsync's token stream (from the echoed sum
 * head to the end token, tokens cut as rsync cuts them) and its file sum. */
static const struct {
	const char *name;
	int64_t size;
	int32_t seed;
	enum ur_sum_kind kind;
	int32_t bopt;
	const char *tokens_md5, *file_sum;
	size_t from, to;
} match_vectors[] = {
    {"x701", 701, 12345, UR_SUM_XXH3_128, 0, "4b3c0cc65c291bf692d9fd2a8dc1696e",
     "16026c5ee37bd41395d81a7687a26af7", 0, 0},
    {"x100k", 102400, 12345, UR_SUM_XXH3_128, 0, "065a0356a7639a1b2df5a232dc002d1c",
     "e976ea5cacee7195c0873e6c6b660843", 0, 0},
    {"x3m", 3145728, 12345, UR_SUM_XXH3_128, 0, "a51b09190c634f570daabcee2a155858",
     "a1b63af580bb97810d9164c5d065c32b", 0, 0},
    {"md5_100k", 102400, 987654321, UR_SUM_MD5, 0, "065a0356a7639a1b2df5a232dc002d1c",
     "4579724c1dc9578f66120d9c2d9131e5", 0, 0},
    {"b1000_3m", 3145728, 5, UR_SUM_XXH3_128, 1000, "965ca113900cfd1cc7595720574cf5fb",
     "a1b63af580bb97810d9164c5d065c32b", 0, 0},
    /* literal pieces of 32768, 32768, 32768, 2496 bytes, then 404 at the end */
    {"lit_300k", 300000, 3, UR_SUM_XXH3_128, 0, "885a1475621a397e420bb8a9a2883912",
     "96473f34910df363d15e1e2d29d52963", 100000, 200000},
};

struct tab_ctx {
	struct ur_delta_sigtab *t;
	int32_t i;
};

static int sig_to_tab(void *ctx, uint32_t rolling, const uint8_t *strong, int s2len)
{
	struct tab_ctx *c = ctx;

	(void)s2len;
	return ur_delta_sigtab_add(c->t, c->i++, rolling, strong);
}

static int put_literal(void *ctx, const uint8_t *p, size_t n)
{
	return ur_token_put_literal(ctx, p, n);
}

static int put_match(void *ctx, int32_t block, const uint8_t *data, size_t len)
{
	(void)data;
	(void)len;
	return ur_token_put_match(ctx, block);
}

static void test_match_vs_rsync(void **state)
{
	(void)state;
	for (size_t v = 0; v < sizeof(match_vectors) / sizeof(match_vectors[0]); v++) {
		struct ur_sig_params p = {.kind = match_vectors[v].kind,
					  .seed = match_vectors[v].seed,
					  .seed_fix = true,
					  .protocol = 32,
					  .block_size_opt = match_vectors[v].bopt};
		size_t n = (size_t)match_vectors[v].size, cap = 64 * 1024 + 2 * n;
		uint8_t *b = malloc(n + 4), *wire = malloc(cap), sum[UR_SUM_MAX_LEN], d[UR_SUM_MAX_LEN];
		struct ur_wbuf w;
		struct ur_delta_out out = {.literal = put_literal, .match = put_match, .ctx = &w};
		struct ur_sum_head h;
		struct tab_ctx tc = {NULL, 0};
		struct ur_sum_ctx sc;
		char hex[2 * UR_SUM_MAX_LEN + 1];
		int fb, fn;

		if (!ur_sum_supported(p.kind))
			continue;
		pat(b, n, 7);
		fb = file_with("mb", b, n);
		if (match_vectors[v].to == 0)
			b[n / 2] ^= 0x55;
		for (size_t i = match_vectors[v].from; i < match_vectors[v].to; i++)
			b[i] ^= 0x55;
		memcpy(b + n, "tail", 4);
		fn = file_with("mn", b, n + 4);
		assert_int_equal(ur_delta_sig_head((int64_t)n, &p, &h), 0);
		assert_int_equal(ur_delta_sigtab_new(&h, &tc.t), 0);
		assert_int_equal(ur_delta_sig(fb, (int64_t)n, &p, &h, sig_to_tab, &tc), 0);
		ur_wbuf_init(&w, wire, cap);
		assert_int_equal(ur_delta_match(fn, (int64_t)n + 4, tc.t, &p, &out, sum, NULL), 16);
		assert_int_equal(ur_token_put_end(&w), 0);
		ur_sum_init(&sc, UR_SUM_MD5, 0);
		ur_sum_update(&sc, wire, w.len);
		ur_sum_final(&sc, d);
		ur_sum_hex(UR_SUM_MD5, d, hex);
		if (strcmp(hex, match_vectors[v].tokens_md5) != 0)
			fail_msg("%s: tokens md5 %s, rsync's %s", match_vectors[v].name, hex,
				 match_vectors[v].tokens_md5);
		/* Printed as the wire bytes, not with %C's byte order. */
		for (int i = 0; i < 16; i++)
			snprintf(hex + 2 * i, 3, "%02x", sum[i]);
		assert_string_equal(hex, match_vectors[v].file_sum);
		ur_delta_sigtab_free(tc.t);
		close(fb);
		close(fn);
		free(b);
		free(wire);
	}
}

/* The head rsync sends: its shape for the size, full-length sums on the
 * redo pass, the null head for an empty basis or one with too many blocks. */
static void test_sig_head(void **state)
{
	struct ur_sig_params p = xxh;
	struct ur_sum_head h;

	(void)state;
	assert_int_equal(ur_delta_sig_head(100000000, &p, &h), 0);
	assert_int_equal(h.blength, 10000);
	assert_int_equal(h.s2length, 3);
	assert_int_equal(h.count, 10000);
	p.redo = true;
	assert_int_equal(ur_delta_sig_head(100000000, &p, &h), 0);
	assert_int_equal(h.s2length, 16);
	p.kind = UR_SUM_XXH64;
	assert_int_equal(ur_delta_sig_head(100000000, &p, &h), 0);
	assert_int_equal(h.s2length, 8);
	assert_int_equal(ur_delta_sig_head(0, &p, &h), 0);
	assert_int_equal(h.count | h.blength | h.s2length | h.remainder, 0);
	p.block_size_opt = 1;
	assert_int_equal(ur_delta_sig_head((int64_t)1 << 40, &p, &h), -EOVERFLOW);
	assert_int_equal(h.count | h.blength | h.s2length | h.remainder, 0);
}

/* A basis that reads short gives zeros past its end (rsync's map_ptr);
 * an emit error stops the walk and comes back. */
static void test_sig_short_and_stop(void **state)
{
	uint8_t b[5000] = {0};
	struct sig_ctx c = {.fail_at = 3};
	struct ur_sum_head h, h2;
	char a[2 * UR_SUM_MAX_LEN + 1], z[2 * UR_SUM_MAX_LEN + 1];
	int fd, fz;

	(void)state;
	if (skip_unsupported(xxh.kind))
		return;
	pat(b, 3000, 1);
	fd = file_with("short", b, 3000);
	fz = file_with("padded", b, sizeof(b));
	sig_digest(fd, sizeof(b), &xxh, &h, a);
	sig_digest(fz, sizeof(b), &xxh, &h2, z);
	assert_string_equal(a, z);
	assert_int_equal(h.count, 8);
	ur_sum_init(&c.sc, UR_SUM_MD5, 0);
	assert_int_equal(ur_delta_sig(fz, sizeof(b), &xxh, &h, sig_md5, &c), -EIO);
	assert_int_equal(c.blocks, 3);
	close(fd);
	close(fz);
}

/* A signature shared by helper threads (ur_delta_threads) is the one the
 * caller's thread computes alone: 20 MiB, so several segments of about
 * 4 MiB go to each thread, with rsync's block size, an odd one and one
 * that leaves a short last block; a file shorter than its size reads as
 * zeros the same way; an emit error in a helper's segment stops the walk
 * after exactly the blocks before it; a read error comes back. */
static void test_sig_threads(void **state)
{
	const size_t n = 20u << 20, have = 9u << 20;
	const int32_t bopts[] = {0, 1000, 4096 + 7};
	uint8_t *b = malloc(n);
	int fd, fshort, fw;

	(void)state;
	if (skip_unsupported(xxh.kind))
		return;
	assert_non_null(b);
	pat(b, n, 11);
	fd = file_with("big", b, n);
	fshort = file_with("bigshort", b, have);
	for (size_t i = 0; i < sizeof(bopts) / sizeof(bopts[0]); i++) {
		struct ur_sig_params p = xxh;
		struct ur_sum_head h1, h;
		char one[2 * UR_SUM_MAX_LEN + 1], hex[2 * UR_SUM_MAX_LEN + 1], zero[2 * UR_SUM_MAX_LEN + 1];

		p.block_size_opt = bopts[i];
		p.threads = 1;
		sig_digest(fd, (int64_t)n, &p, &h1, one);
		for (int t = 2; t <= UR_DELTA_MAX_THREADS + 1; t++) {
			p.threads = t;
			sig_digest(fd, (int64_t)n, &p, &h, hex);
			assert_memory_equal(&h, &h1, sizeof(h));
			assert_string_equal(hex, one);
		}
		/* short file: the helpers' segments past its end are zeros */
		memset(b + have, 0, n - have);
		fw = file_with("bigzeros", b, n);
		p.threads = 1;
		sig_digest(fw, (int64_t)n, &p, &h1, zero);
		p.threads = 3;
		sig_digest(fshort, (int64_t)n, &p, &h, hex);
		assert_string_equal(hex, zero);
		close(fw);
		pat(b, n, 11);
	}
	{
		struct ur_sig_params p = xxh;
		struct sig_ctx c = {.fail_at = 9000};
		struct ur_sum_head h;

		p.block_size_opt = 1000; /* 4195 blocks a segment: 9000 is in the third */
		p.threads = 2;
		ur_sum_init(&c.sc, UR_SUM_MD5, 0);
		assert_int_equal(ur_delta_sig(fd, (int64_t)n, &p, &h, sig_md5, &c), -EIO);
		assert_int_equal(c.blocks, 9000);
		c = (struct sig_ctx){.fail_at = 100};
		ur_sum_init(&c.sc, UR_SUM_MD5, 0);
		assert_int_equal(ur_delta_sig(fd, (int64_t)n, &p, &h, sig_md5, &c), -EIO);
		assert_int_equal(c.blocks, 100);
		/* not open for reading */
		{
			char path[128];
			int wo;

			snprintf(path, sizeof(path), "%s/big", dir);
			wo = open(path, O_WRONLY);
			assert_true(wo >= 0);
			c = (struct sig_ctx){.fail_at = -1};
			ur_sum_init(&c.sc, UR_SUM_MD5, 0);
			assert_int_equal(ur_delta_sig(wo, (int64_t)n, &p, &h, sig_md5, &c), -EBADF);
			close(wo);
		}
	}
	/* the automatic choice: one thread below the threshold */
	{
		struct ur_sig_params p = xxh;

		assert_int_equal(ur_delta_threads(&p, UR_DELTA_PAR_MIN - 1), 1);
		assert_true(ur_delta_threads(&p, UR_DELTA_PAR_MIN) >= 1);
		assert_true(ur_delta_threads(&p, UR_DELTA_PAR_MIN) <= UR_DELTA_MAX_THREADS);
		p.threads = 1;
		assert_int_equal(ur_delta_threads(&p, (int64_t)1 << 40), 1);
		p.threads = 99;
		assert_int_equal(ur_delta_threads(&p, 1), UR_DELTA_MAX_THREADS);
	}
	close(fd);
	close(fshort);
	free(b);
}

/* ---- round trips ---- */

struct tokens {
	struct ur_wbuf w;
	size_t max_piece;
	int32_t *matches; /* the first 64 block indices */
	int nmatch;
};

static int tok_literal(void *ctx, const uint8_t *p, size_t n)
{
	struct tokens *t = ctx;

	if (n > t->max_piece)
		t->max_piece = n;
	return ur_token_put_literal(&t->w, p, n);
}

static int tok_match(void *ctx, int32_t block, const uint8_t *data, size_t len)
{
	(void)data;
	(void)len;
	struct tokens *t = ctx;

	if (t->nmatch < 64)
		t->matches[t->nmatch] = block;
	t->nmatch++;
	return ur_token_put_match(&t->w, block);
}

/* Every token of the stream wire (len bytes, for count blocks) into pt,
 * each taken. */
static void patch_all(struct ur_delta_patch *pt, int32_t count, const uint8_t *wire, size_t len)
{
	struct ur_token_reader rd;
	struct ur_rbuf r;

	ur_token_reader_init(&rd, count);
	ur_rbuf_init(&r, wire, len);
	for (;;) {
		struct ur_token tok;

		assert_int_equal(ur_token_read(&rd, &r, &tok, NULL), 0);
		if (tok.kind == UR_TOKEN_END)
			break;
		assert_int_equal(ur_delta_patch_token(pt, &tok), 0);
	}
}

struct trip {
	struct ur_delta_stats st, pst;
	int32_t matches[64];
	int nmatch;
	size_t max_piece;
	struct ur_sum_head h;
};

/* sig(basis) -> table -> match(new) -> tokens -> patch: the output must be
 * new, and the three whole-file sums agree. */
static void round_trip(const uint8_t *basis, size_t bn, const uint8_t *nw, size_t nn,
		       const struct ur_sig_params *p, struct trip *tr)
{
	struct ur_delta_sigtab *tab = NULL;
	struct tab_ctx tc;
	struct ur_delta_patch pt;
	struct tokens t = {.matches = tr->matches};
	struct ur_delta_out out = {.literal = tok_literal, .match = tok_match, .ctx = &t};
	size_t cap = nn + (nn / UR_TOKEN_CHUNK + 2) * 4 + (bn / 600 + 2) * 4 + 64, got;
	uint8_t *wire = malloc(cap), sum[UR_SUM_MAX_LEN], psum[UR_SUM_MAX_LEN], want[UR_SUM_MAX_LEN], *res;
	struct ur_sum_ctx sc;
	int fb, fn, fo, len;
	char path[128];

	assert_non_null(wire);
	ur_wbuf_init(&t.w, wire, cap);
	fb = file_with("b", basis, bn);
	fn = file_with("n", nw, nn);
	/* The table is made when the head is known: here from the head the
	 * sig would send (the sig fills the same head again). */
	assert_int_equal(ur_delta_sig_head((int64_t)bn, p, &tr->h), 0);
	assert_int_equal(ur_delta_sigtab_new(&tr->h, &tab), 0);
	tc.t = tab;
	tc.i = 0;
	assert_int_equal(ur_delta_sig(fb, (int64_t)bn, p, &tr->h, sig_to_tab, &tc), 0);
	len = ur_delta_match(fn, (int64_t)nn, tab, p, &out, sum, &tr->st);
	assert_int_equal(len, ur_sum_len(p->kind));
	assert_int_equal(ur_token_put_end(&t.w), 0);
	tr->nmatch = t.nmatch;
	tr->max_piece = t.max_piece;
	assert_int_equal(tr->st.literal + tr->st.matched, (int64_t)nn);
	assert_int_equal(tr->st.matches, t.nmatch);
	assert_int_equal(tr->st.read_error, 0);
	ur_sum_init(&sc, p->kind, p->seed);
	ur_sum_update(&sc, nw, nn);
	ur_sum_final(&sc, want);
	assert_memory_equal(sum, want, (size_t)len);

	/* The patch as given, then with its writer thread from the start. */
	for (int pass = 0; pass < 2; pass++) {
		struct ur_sig_params pp = *p;

		pp.threads = pass ? 2 : p->threads;
		snprintf(path, sizeof(path), "%s/out", dir);
		fo = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		assert_true(fo >= 0);
		assert_int_equal(ur_delta_patch_init(&pt, &tr->h, fb, (int64_t)bn, fo, &pp), 0);
		patch_all(&pt, tr->h.count, wire, t.w.len);
		assert_int_equal(ur_delta_patch_finish(&pt, psum), len);
		assert_memory_equal(psum, want, (size_t)len);
		tr->pst = pt.st;
		assert_int_equal(pt.st.literal, tr->st.literal);
		assert_int_equal(pt.st.matched, tr->st.matched);
		ur_delta_patch_release(&pt);
		res = read_back(fo, &got);
		assert_int_equal(got, nn);
		assert_memory_equal(res, nw, nn);
		free(res);
		if (!pass)
			close(fo);
	}
	free(wire);
	ur_delta_sigtab_free(tab);
	close(fb);
	close(fn);
	close(fo);
}

/* xxh128 as rsync 3.5.0 negotiates it, or md5 in a build without libxxhash. */
static struct ur_sig_params params(void)
{
	struct ur_sig_params p = xxh;

	if (!ur_sum_supported(p.kind))
		p.kind = UR_SUM_MD5;
	return p;
}

#define MiB (1u << 20)

static uint8_t *pattern(size_t n, uint32_t seed)
{
	uint8_t *p = malloc(n + 1);

	assert_non_null(p);
	pat(p, n, seed);
	return p;
}

static void test_trip_identical(void **state)
{
	struct ur_sig_params p = params();
	size_t n = MiB + 123;
	uint8_t *b = pattern(n, 3);
	struct trip tr;

	(void)state;
	round_trip(b, n, b, n, &p, &tr);
	assert_int_equal(tr.st.literal, 0);
	assert_int_equal(tr.st.matches, tr.h.count);
	assert_int_equal(tr.h.remainder, (int32_t)(n % (size_t)tr.h.blength));
	for (int i = 0; i < 64; i++)
		assert_int_equal(tr.matches[i], i);
	free(b);
}

/* A few changed bytes cost the blocks they fall in, no more. */
static void test_trip_changed_bytes(void **state)
{
	struct ur_sig_params p = params();
	size_t n = MiB;
	uint8_t *b = pattern(n, 3), *c = malloc(n);
	struct trip tr;

	(void)state;
	memcpy(c, b, n);
	c[10] ^= 1;
	c[500000] ^= 0x80;
	c[n - 1] ^= 0xff;
	round_trip(b, n, c, n, &p, &tr);
	assert_int_equal(tr.st.literal, 3 * tr.h.blength);
	assert_int_equal(tr.st.matches, tr.h.count - 3);
	free(b);
	free(c);
}

static void test_trip_insert_start(void **state)
{
	struct ur_sig_params p = params();
	size_t n = 300000;
	uint8_t *b = pattern(n, 4), *c = malloc(n + 100);
	struct trip tr;

	(void)state;
	memset(c, 'i', 100);
	memcpy(c + 100, b, n);
	round_trip(b, n, c, n + 100, &p, &tr);
	assert_int_equal(tr.st.literal, 100);
	assert_int_equal(tr.st.matches, tr.h.count);
	free(b);
	free(c);
}

static void test_trip_insert_middle(void **state)
{
	struct ur_sig_params p = params();
	size_t n = 2 * MiB, at = 777777;
	uint8_t *b = pattern(n, 5), *c = malloc(n + 77);
	struct trip tr;

	(void)state;
	memcpy(c, b, at);
	memset(c + at, 'x', 77);
	memcpy(c + at + 77, b + at, n - at);
	round_trip(b, n, c, n + 77, &p, &tr);
	/* The block the insertion splits, plus the insertion. */
	assert_true(tr.st.literal <= tr.h.blength + 77);
	assert_int_equal(tr.st.matches, tr.h.count - 1);
	free(b);
	free(c);
}

static void test_trip_delete(void **state)
{
	struct ur_sig_params p = params();
	size_t n = MiB, at = 30000, del = 1000;
	uint8_t *b = pattern(n, 6), *c = malloc(n);
	struct trip tr;

	(void)state;
	memcpy(c, b, at);
	memcpy(c + at, b + at + del, n - at - del);
	round_trip(b, n, c, n - del, &p, &tr);
	assert_true(tr.st.literal < 2 * tr.h.blength);
	assert_true(tr.st.matches >= tr.h.count - 3);
	free(b);
	free(c);
}

/* Truncated: the cut block goes literal. Appended: the basis's short last
 * block never matches in the middle of a file (rsync matches a block only
 * where the window has its length), so it goes literal with the new tail. */
static void test_trip_truncate_append(void **state)
{
	struct ur_sig_params p = params();
	size_t n = MiB + 500;
	uint8_t *b = pattern(n + 5000, 7);
	struct trip tr;

	(void)state;
	round_trip(b, n, b, n - 1234, &p, &tr);
	assert_true(tr.st.literal < tr.h.blength);
	assert_int_equal(tr.st.literal, (int64_t)((n - 1234) % (size_t)tr.h.blength));
	round_trip(b, n, b, n + 5000, &p, &tr);
	assert_int_equal(tr.st.literal, 5000 + tr.h.remainder);
	assert_int_equal(tr.st.matches, tr.h.count - 1);
	free(b);
}

/* Nothing in common: all literal, in runs cut at 32 KiB. */
static void test_trip_different(void **state)
{
	struct ur_sig_params p = params();
	size_t n = 300000;
	uint8_t *b = pattern(n, 8), *c = pattern(n, 9);
	struct trip tr;

	(void)state;
	round_trip(b, n, c, n, &p, &tr);
	assert_int_equal(tr.st.literal, (int64_t)n);
	assert_int_equal(tr.st.matches, 0);
	assert_int_equal(tr.max_piece, UR_TOKEN_CHUNK);
	free(b);
	free(c);
}

static void test_trip_empty(void **state)
{
	struct ur_sig_params p = params();
	uint8_t *b = pattern(100000, 10);
	struct trip tr;

	(void)state;
	round_trip(b, 0, b, 100000, &p, &tr);
	assert_int_equal(tr.h.count, 0);
	assert_int_equal(tr.st.literal, 100000);
	round_trip(b, 100000, b, 0, &p, &tr);
	assert_int_equal(tr.st.literal + tr.st.matched, 0);
	round_trip(b, 0, b, 0, &p, &tr);
	/* Shorter than one block, and exactly the basis's only short block. */
	round_trip(b, 300, b, 300, &p, &tr);
	assert_int_equal(tr.st.matches, 1);
	round_trip(b, 300, b, 299, &p, &tr);
	assert_int_equal(tr.st.literal, 299);
	free(b);
}

/* Where several blocks match, the one after the previous match wins, as
 * rsync's want_i has it: a basis of one block repeated comes back as
 * blocks 0, 1, 2 ... rather than block 0 again and again. */
static void test_trip_next_block_preferred(void **state)
{
	struct ur_sig_params p = params();
	uint8_t *b = malloc(8 * 700);
	struct trip tr;

	(void)state;
	pat(b, 700, 11);
	for (int i = 1; i < 8; i++)
		memcpy(b + i * 700, b, 700);
	round_trip(b, 8 * 700, b, 8 * 700, &p, &tr);
	assert_int_equal(tr.nmatch, 8);
	for (int i = 0; i < 8; i++)
		assert_int_equal(tr.matches[i], i);
	free(b);
}

/* One changed 4 KiB block in 10 MiB costs the blocks it touches. */
static void test_trip_one_change_in_10m(void **state)
{
	struct ur_sig_params p = params();
	size_t n = 10 * MiB;
	uint8_t *b = pattern(n, 12), *c = malloc(n);
	struct trip tr;

	(void)state;
	memcpy(c, b, n);
	pat(c + 5 * MiB, 4096, 99);
	round_trip(b, n, c, n, &p, &tr);
	assert_true(tr.st.literal <= 4096 + 2 * tr.h.blength);
	assert_int_equal(tr.st.literal + tr.st.matched, (int64_t)n);
	assert_true(tr.st.false_alarms <= 2);
	free(b);
	free(c);
}

/* Every kind and --block-size go round: the strong sums and the whole-file
 * sum are the kind's, seeded. */
static void test_trip_kinds(void **state)
{
	static const enum ur_sum_kind kinds[] = {UR_SUM_MD4,	 UR_SUM_MD5,	  UR_SUM_XXH64,
						 UR_SUM_XXH3_64, UR_SUM_XXH3_128, UR_SUM_MD4_OLD};
	size_t n = 200000;
	uint8_t *b = pattern(n, 13), *c = malloc(n);
	struct trip tr;

	(void)state;
	memcpy(c, b, n);
	c[100000] ^= 1;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct ur_sig_params p = {
		    .kind = kinds[k], .seed = -7, .seed_fix = k & 1, .protocol = 32};

		if (!ur_sum_supported(p.kind))
			continue;
		round_trip(b, n, c, n, &p, &tr);
		assert_int_equal(tr.st.literal, 700);
		p.block_size_opt = 64;
		p.redo = true;
		round_trip(b, n, c, n, &p, &tr);
		assert_int_equal(tr.h.blength, 64);
		assert_int_equal(tr.h.s2length, ur_sum_len(p.kind));
		assert_int_equal(tr.st.literal, 64);
	}
	free(b);
	free(c);
}

/* Edits on both sides of the 4 MiB read windows, the largest block rsync
 * allows, and literal runs longer than a window. */
static void test_trip_windows(void **state)
{
	struct ur_sig_params p = params();
	size_t n = 13 * MiB, m = 0;
	uint8_t *b = pattern(n, 16), *c = malloc(n + 2 * MiB);
	static const size_t cuts[] = {4 * MiB - 3, 4 * MiB + 10000, 8 * MiB + 70000, 12 * MiB - 1};
	size_t from = 0;
	struct trip tr;

	(void)state;
	/* Alternately drop 5000 bytes and insert 3000 at each cut. */
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		memcpy(c + m, b + from, cuts[i] - from);
		m += cuts[i] - from;
		from = cuts[i];
		if (i & 1) {
			pat(c + m, 3000, (uint32_t)i);
			m += 3000;
		} else {
			from += 5000;
		}
	}
	memcpy(c + m, b + from, n - from);
	m += n - from;
	round_trip(b, n, c, m, &p, &tr);
	assert_true(tr.st.literal <= 4 * (tr.h.blength + 3000));
	p.block_size_opt = UR_MAX_BLOCK_SIZE;
	round_trip(b, n, c, m, &p, &tr);
	assert_int_equal(tr.h.blength, UR_MAX_BLOCK_SIZE);
	assert_true(tr.st.literal <= 4 * (tr.h.blength + 3000));
	/* A literal run of 9 MiB between matches at both ends. (Every seed of
	 * pat() lies on one cycle, so flip bits to leave it.) */
	memcpy(c, b, n);
	for (size_t i = 2 * MiB; i < 11 * MiB; i++)
		c[i] ^= 0xa5;
	round_trip(b, n, c, n, &p, &tr);
	assert_true(tr.st.literal >= 9 * MiB && tr.st.literal <= 9 * MiB + 2 * tr.h.blength);
	free(b);
	free(c);
}

/* rsync tries at most 1024 blocks with one rolling sum at an offset: a
 * basis of 1100 different blocks with the all-zero block's rolling sum,
 * and a new file that is the 1051st of them, goes as literal data. */
static void test_match_chain_cap(void **state)
{
	struct ur_sig_params p = params();
	size_t bl = 700, nb = 1100;
	uint8_t *b = calloc(nb, bl);
	struct trip tr;
	size_t k = 0;

	(void)state;
	p.block_size_opt = (int32_t)bl;
	/* +1 -1 at i and -1 +1 at j keeps both halves of the rolling sum. */
	for (size_t i = 0; i + 1 < bl && k < nb; i += 2)
		for (size_t j = i + 2; j + 1 < bl && k < nb; j += 2, k++) {
			uint8_t *q = b + k * bl;

			q[i] = 1;
			q[i + 1] = 0xff;
			q[j] = 0xff;
			q[j + 1] = 1;
		}
	assert_int_equal(ur_rolling_sum(b + 5 * bl, bl), 0);
	round_trip(b, nb * bl, b + 1050 * bl, bl, &p, &tr);
	assert_int_equal(tr.st.matches, 0);
	assert_int_equal(tr.st.false_alarms, 1024);
	round_trip(b, nb * bl, b + 1000 * bl, bl, &p, &tr);
	assert_int_equal(tr.st.matches, 1);
	assert_int_equal(tr.matches[0], 1000);
	free(b);
}

/* ---- the sender's table and match refuse what they cannot use ---- */

static int lit_fail(void *ctx, const uint8_t *p, size_t n)
{
	(void)ctx;
	(void)p;
	(void)n;
	return -EPIPE;
}

static int match_fail(void *ctx, int32_t block, const uint8_t *data, size_t len)
{
	(void)data;
	(void)len;
	(void)ctx;
	(void)block;
	return -EPIPE;
}

static int lit_count(void *ctx, const uint8_t *p, size_t n)
{
	(void)p;
	*(size_t *)ctx += n;
	return 0;
}

static void test_sigtab_and_match_errors(void **state)
{
	struct ur_sig_params p = params();
	struct ur_sum_head bad = {1, 0, 2, 0}, h = {2, 700, 2, 100};
	struct ur_delta_sigtab *t;
	struct ur_delta_stats st;
	uint8_t s[2] = {0}, sum[UR_SUM_MAX_LEN], *b = pattern(800, 14);
	struct ur_delta_out fail_lit = {.literal = lit_fail, .match = match_fail, .ctx = NULL};
	size_t count = 0;
	struct ur_delta_out counting = {.literal = lit_count, .match = match_fail, .ctx = &count};
	int fd = file_with("m", b, 800);

	(void)state;
	assert_int_equal(ur_delta_sigtab_new(&bad, &t), -EINVAL);
	assert_null(t);
	bad = (struct ur_sum_head){1, 700, 2, 701};
	assert_int_equal(ur_delta_sigtab_new(&bad, &t), -EINVAL);
	assert_int_equal(ur_delta_sigtab_new(&h, &t), 0);
	assert_int_equal(ur_delta_sigtab_add(t, 1, 0, s), -EINVAL);
	assert_int_equal(ur_delta_sigtab_add(t, 0, 0, s), 0);
	/* Not complete yet. */
	assert_int_equal(ur_delta_match(fd, 800, t, &p, &counting, sum, &st), -EINVAL);
	assert_int_equal(ur_delta_sigtab_add(t, 1, 0, s), 0);
	assert_int_equal(ur_delta_sigtab_add(t, 2, 0, s), -EINVAL);
	/* The callbacks' errors stop the match. */
	assert_int_equal(ur_delta_match(fd, 800, t, &p, &fail_lit, sum, &st), -EPIPE);
	assert_int_equal(ur_delta_match(fd, 800, NULL, &p, &fail_lit, sum, &st), -EPIPE);
	ur_delta_sigtab_free(t);
	ur_delta_sigtab_free(NULL);
	/* A file that reads short: zeros from there on, and a spoiled sum. */
	assert_int_equal(ur_delta_match(fd, 900, NULL, &p, &counting, sum, &st),
			 ur_sum_len(p.kind));
	assert_int_equal(count, 900);
	assert_int_equal(st.read_error, -ENODATA);
	for (int i = 0; i < ur_sum_len(p.kind) - 1; i++)
		assert_int_equal(sum[i], 0);
	assert_true(sum[ur_sum_len(p.kind) - 1] <= 1);
	close(fd);
	free(b);
}

/* ---- the receiver refuses a hostile stream ---- */

static int out_file(void)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/pout", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	return fd;
}

/* The patch's writer thread: a write error comes back (from a later
 * call or from finish) and sticks; a patch given up half way is released
 * with a buffer still at the writer; moveto writes where it is told. */
static void test_patch_writer(void **state)
{
	struct ur_sig_params p = params();
	struct ur_sum_head h = {0, 0, 0, 0};
	struct ur_delta_patch pt;
	uint8_t *b = pattern(3u << 20, 21), sum[UR_SUM_MAX_LEN], *res;
	char path[128];
	int ro, fo = out_file(), rc = 0;
	size_t n;

	(void)state;
	p.threads = 2;
	snprintf(path, sizeof(path), "%s/ro", dir);
	close(file_with("ro", b, 1));
	ro = open(path, O_RDONLY);
	assert_true(ro >= 0);
	assert_int_equal(ur_delta_patch_init(&pt, &h, -1, 0, ro, &p), 0);
	for (size_t off = 0; off < (3u << 20) && rc == 0; off += 100000)
		rc = ur_delta_patch_literal(&pt, b + off, off + 100000 <= (3u << 20) ? 100000 : (3u << 20) - off);
	if (rc == 0)
		rc = ur_delta_patch_finish(&pt, sum);
	assert_int_equal(rc, -EBADF);
	assert_int_equal(ur_delta_patch_literal(&pt, b, 1), -EBADF);
	assert_int_equal(ur_delta_patch_finish(&pt, sum), -EBADF);
	ur_delta_patch_release(&pt);
	close(ro);
	/* given up half way */
	assert_int_equal(ur_delta_patch_init(&pt, &h, -1, 0, fo, &p), 0);
	assert_int_equal(ur_delta_patch_literal(&pt, b, 2u << 20), 0);
	ur_delta_patch_release(&pt);
	/* two stretches written out of order */
	assert_int_equal(ftruncate(fo, 0), 0);
	assert_int_equal(ur_delta_patch_init(&pt, &h, -1, 0, fo, &p), 0);
	assert_int_equal(ur_delta_patch_moveto(&pt, 1u << 20), 0);
	assert_int_equal(ur_delta_patch_literal(&pt, b + (1u << 20), 2u << 20), 0);
	assert_int_equal(ur_delta_patch_moveto(&pt, 0), 0);
	assert_int_equal(ur_delta_patch_literal(&pt, b, 1u << 20), 0);
	assert_int_equal(ur_delta_patch_finish(&pt, sum), ur_sum_len(p.kind));
	ur_delta_patch_release(&pt);
	res = read_back(fo, &n);
	assert_int_equal(n, 3u << 20);
	assert_memory_equal(res, b, n);
	free(res);
	free(b);
	close(fo);
}

static void test_patch_hostile(void **state)
{
	struct ur_sig_params p = params();
	struct ur_sum_head h = {10, 700, 2, 0};
	struct ur_delta_patch pt;
	struct ur_token end = {.kind = UR_TOKEN_END};
	uint8_t *b = pattern(3000, 15), sum[UR_SUM_MAX_LEN], *res;
	int fb = file_with("pb", b, 3000), fo = out_file();
	size_t n;

	(void)state;
	/* An index at or past the count, or negative. */
	assert_int_equal(ur_delta_patch_init(&pt, &h, fb, 3000, fo, &p), 0);
	assert_int_equal(ur_delta_patch_match(&pt, 10), -EPROTO);
	/* The error sticks. */
	assert_int_equal(ur_delta_patch_literal(&pt, "x", 1), -EPROTO);
	assert_int_equal(ur_delta_patch_finish(&pt, sum), -EPROTO);
	ur_delta_patch_release(&pt);
	assert_int_equal(ur_delta_patch_init(&pt, &h, fb, 3000, fo, &p), 0);
	assert_int_equal(ur_delta_patch_match(&pt, -1), -EPROTO);
	ur_delta_patch_release(&pt);
	/* The head says 10 blocks, the basis has 4 and a bit: block 4 would
	 * end past the basis. */
	assert_int_equal(ur_delta_patch_init(&pt, &h, fb, 3000, fo, &p), 0);
	assert_int_equal(ur_delta_patch_match(&pt, 4), -EPROTO);
	ur_delta_patch_release(&pt);
	/* A basis that has shrunk below its stated size: not the peer's
	 * fault, so zeros (as rsync's map_ptr) and a read error to report. */
	assert_int_equal(ur_delta_patch_init(&pt, &h, fb, 7000, fo, &p), 0);
	assert_int_equal(ur_delta_patch_match(&pt, 3), 0);
	assert_int_equal(ur_delta_patch_match(&pt, 4), 0);
	assert_int_equal(ur_delta_patch_finish(&pt, sum), ur_sum_len(p.kind));
	assert_int_equal(pt.st.read_error, -ENODATA);
	ur_delta_patch_release(&pt);
	res = read_back(fo, &n);
	assert_int_equal(n, 1400);
	assert_memory_equal(res, b + 2100, 900);
	for (size_t i = 900; i < 1400; i++)
		assert_int_equal(res[i], 0);
	free(res);
	assert_int_equal(ftruncate(fo, 0), 0);
	/* A match with no basis, unless the output is being discarded. */
	assert_int_equal(ur_delta_patch_init(&pt, &h, -1, 0, fo, &p), 0);
	assert_int_equal(ur_delta_patch_match(&pt, 0), -EPROTO);
	ur_delta_patch_release(&pt);
	assert_int_equal(ur_delta_patch_init(&pt, &h, -1, 0, -1, &p), 0);
	assert_int_equal(ur_delta_patch_match(&pt, 0), 0);
	assert_int_equal(ur_delta_patch_literal(&pt, "abc", 3), 0);
	assert_int_equal(ur_delta_patch_finish(&pt, sum), ur_sum_len(p.kind));
	assert_int_equal(pt.st.matched, 700);
	ur_delta_patch_release(&pt);
	/* The end token is for finish; a bad head is refused. */
	assert_int_equal(ur_delta_patch_init(&pt, &h, fb, 3000, fo, &p), 0);
	assert_int_equal(ur_delta_patch_token(&pt, &end), -EINVAL);
	ur_delta_patch_release(&pt);
	h.remainder = 701;
	assert_int_equal(ur_delta_patch_init(&pt, &h, fb, 3000, fo, &p), -EINVAL);
	/* A good one: blocks 3, 2, literal, block 1 land where they belong. */
	h.remainder = 0;
	assert_int_equal(ur_delta_patch_init(&pt, &h, fb, 3000, fo, &p), 0);
	assert_int_equal(ur_delta_patch_match(&pt, 3), 0);
	assert_int_equal(ur_delta_patch_match(&pt, 2), 0);
	assert_int_equal(ur_delta_patch_literal(&pt, "hello", 5), 0);
	assert_int_equal(ur_delta_patch_match(&pt, 1), 0);
	assert_int_equal(ur_delta_patch_finish(&pt, sum), ur_sum_len(p.kind));
	ur_delta_patch_release(&pt);
	res = read_back(fo, &n);
	assert_int_equal(n, 3 * 700 + 5);
	assert_memory_equal(res, b + 2100, 700);
	assert_memory_equal(res + 700, b + 1400, 700);
	assert_memory_equal(res + 1400, "hello", 5);
	assert_memory_equal(res + 1405, b + 700, 700);
	free(res);
	free(b);
	close(fb);
	close(fo);
}

/*
 * The basis changes between the signature and the patch (another process
 * writes the destination while the file is in flight). The receiver sized
 * the basis when it sent the sums; the tokens were matched against what it
 * was then. The rebuilt file must not pass the whole-file check, so that
 * the receiver redoes the file and never renames the result into place.
 */
enum basis_change { BASIS_SHRINKS, BASIS_REWRITTEN, BASIS_GONE_EMPTY, BASIS_GROWS };

static void patch_after_change(enum basis_change how)
{
	struct ur_sig_params p = params();
	size_t bn = 50000, nn = 60000;
	uint8_t *basis = pattern(bn, 21), *nw = malloc(nn), sum[UR_SUM_MAX_LEN], psum[UR_SUM_MAX_LEN];
	struct ur_sum_head h;
	struct ur_delta_sigtab *tab = NULL;
	struct tab_ctx tc;
	int32_t m[64];
	struct tokens t = {.matches = m};
	struct ur_delta_out out = {.literal = tok_literal, .match = tok_match, .ctx = &t};
	struct ur_delta_stats st;
	struct ur_delta_patch pt;
	size_t cap = nn * 2 + 4096;
	uint8_t *wire = malloc(cap);
	int fb, fn, fo, len;

	assert_non_null(nw);
	assert_non_null(wire);
	/* new = the basis with a change in the middle and a tail: mostly matches */
	memcpy(nw, basis, bn);
	memset(nw + 20000, 'x', 100);
	pat(nw + bn, nn - bn, 22);
	fb = file_with("cb", basis, bn);
	fn = file_with("cn", nw, nn);
	ur_wbuf_init(&t.w, wire, cap);
	assert_int_equal(ur_delta_sig_head((int64_t)bn, &p, &h), 0);
	assert_int_equal(ur_delta_sigtab_new(&h, &tab), 0);
	tc.t = tab;
	tc.i = 0;
	assert_int_equal(ur_delta_sig(fb, (int64_t)bn, &p, &h, sig_to_tab, &tc), 0);
	len = ur_delta_match(fn, (int64_t)nn, tab, &p, &out, sum, &st);
	assert_int_equal(len, ur_sum_len(p.kind));
	assert_true(st.matches > 10);
	assert_int_equal(ur_token_put_end(&t.w), 0);

	/* Now the destination's basis changes, through the same open file. */
	switch (how) {
	case BASIS_SHRINKS:
		assert_int_equal(ftruncate(fb, 30000), 0);
		break;
	case BASIS_REWRITTEN: {
		uint8_t junk[700];
		memset(junk, 0x5a, sizeof(junk));
		assert_int_equal(pwrite(fb, junk, sizeof(junk), 7000), (ssize_t)sizeof(junk));
		break;
	}
	case BASIS_GONE_EMPTY:
		assert_int_equal(ftruncate(fb, 0), 0);
		break;
	case BASIS_GROWS:
		/* Appending does not change the blocks matched: the file is right. */
		assert_int_equal(pwrite(fb, "more", 4, (off_t)bn), 4);
		break;
	}

	fo = out_file();
	/* The size the receiver saw when it sent the sums. */
	assert_int_equal(ur_delta_patch_init(&pt, &h, fb, (int64_t)bn, fo, &p), 0);
	/* A block past the shrunken end is not the peer's fault: it reads as
	 * zeros, the stream goes on. */
	patch_all(&pt, h.count, wire, t.w.len);
	assert_int_equal(ur_delta_patch_finish(&pt, psum), len);
	if (how == BASIS_GROWS) {
		assert_memory_equal(psum, sum, (size_t)len);
		assert_int_equal(pt.st.read_error, 0);
	} else {
		/* The sum the sender computed over the real new file differs
		 * from the rebuilt one's: the receiver must redo the file. */
		assert_memory_not_equal(psum, sum, (size_t)len);
		assert_int_equal(pt.st.read_error, how == BASIS_REWRITTEN ? 0 : -ENODATA);
	}
	assert_int_equal(pt.st.literal + pt.st.matched, (int64_t)nn);
	ur_delta_patch_release(&pt);
	ur_delta_sigtab_free(tab);
	free(wire);
	free(nw);
	free(basis);
	close(fb);
	close(fn);
	close(fo);
}

static void test_patch_basis_shrinks(void **state)
{
	(void)state;
	patch_after_change(BASIS_SHRINKS);
}

static void test_patch_basis_rewritten(void **state)
{
	(void)state;
	patch_after_change(BASIS_REWRITTEN);
}

static void test_patch_basis_emptied(void **state)
{
	(void)state;
	patch_after_change(BASIS_GONE_EMPTY);
}

static void test_patch_basis_grows(void **state)
{
	(void)state;
	patch_after_change(BASIS_GROWS);
}

static int setup(void **state)
{
	(void)state;
	return ur_scratch_make(dir, sizeof(dir), "test_delta");
}

static int teardown(void **state)
{
	(void)state;
	return ur_scratch_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sig_vs_rsync),
	    cmocka_unit_test(test_match_vs_rsync),
	    cmocka_unit_test(test_sig_head),
	    cmocka_unit_test(test_sig_short_and_stop),
	    cmocka_unit_test(test_sig_threads),
	    cmocka_unit_test(test_trip_identical),
	    cmocka_unit_test(test_trip_changed_bytes),
	    cmocka_unit_test(test_trip_insert_start),
	    cmocka_unit_test(test_trip_insert_middle),
	    cmocka_unit_test(test_trip_delete),
	    cmocka_unit_test(test_trip_truncate_append),
	    cmocka_unit_test(test_trip_different),
	    cmocka_unit_test(test_trip_empty),
	    cmocka_unit_test(test_trip_next_block_preferred),
	    cmocka_unit_test(test_trip_one_change_in_10m),
	    cmocka_unit_test(test_trip_kinds),
	    cmocka_unit_test(test_trip_windows),
	    cmocka_unit_test(test_match_chain_cap),
	    cmocka_unit_test(test_sigtab_and_match_errors),
	    cmocka_unit_test(test_patch_writer),
	    cmocka_unit_test(test_patch_hostile),
	    cmocka_unit_test(test_patch_basis_shrinks),
	    cmocka_unit_test(test_patch_basis_rewritten),
	    cmocka_unit_test(test_patch_basis_emptied),
	    cmocka_unit_test(test_patch_basis_grows),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
