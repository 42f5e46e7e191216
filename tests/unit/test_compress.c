/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Compressed token streams (src/compress/cz.c) against rsync 3.5.0's own
 * bytes: tests/unit/data/compress/capture.py pulled two files with
 * `rsync -z --compress-choice=ALG` through a recording remote shell and
 * kept the sender's data stream. File "a" has no basis (rsync sends it in
 * 32 KiB pieces); "b" is a delta against basis_b (runs of matches, short
 * literals, forward and backward jumps). The decoder must rebuild both
 * files from rsync's bytes, and the encoder, given the same tokens, must
 * write rsync's bytes exactly (same system zlib, zstd and lz4 libraries).
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compress/cz.h"

struct blob {
	uint8_t *p;
	size_t len;
};

static struct blob load(const char *name)
{
	char path[4096];
	const char *src = __FILE__, *slash = strrchr(src, '/');
	struct blob b = {0};
	FILE *f;

	snprintf(path, sizeof(path), "%.*sdata/compress/%s", slash ? (int)(slash - src + 1) : 0,
		 src, name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	b.len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	b.p = malloc(b.len + 1);
	assert_non_null(b.p);
	assert_int_equal(fread(b.p, 1, b.len, f), b.len);
	fclose(f);
	return b;
}

/* A decoded file: the rebuilt bytes and the tokens as the sender gave them
 * (literal runs joined up to the next match). */
#define MAX_OPS 4096
struct op {
	bool match;
	int32_t block;
	size_t off, len; /* literal: where in out */
};
struct decoded {
	uint8_t *out;
	size_t len, cap;
	struct op ops[MAX_OPS];
	int nops;
	size_t end; /* where in the input the stream ended */
};

static void append(struct decoded *d, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (d->len + n > d->cap) {
		d->cap = (d->len + n) * 2;
		d->out = realloc(d->out, d->cap);
		assert_non_null(d->out);
	}
	memcpy(d->out + d->len, p, n);
	d->len += n;
}

/*
 * Decode one file's stream from in[at..], fed `step` bytes at a time.
 * basis/blength resolve matches (NULL for none). 0, or the error.
 */
static int decode_file(struct ur_cz_dec *dec, const uint8_t *in, size_t inlen, size_t at,
		       size_t step, const struct blob *basis, size_t blength, bool see,
		       struct decoded *d)
{
	struct ur_rbuf r;
	size_t lim = at;

	d->len = 0;
	d->nops = 0;
	ur_rbuf_init(&r, in, at);
	r.pos = at;
	for (;;) {
		struct ur_cz_tok tok;
		struct ur_err err = {0};
		size_t before = r.pos;
		int rc = ur_cz_dec_next(dec, &r, &tok, &err);

		if (rc == -ENODATA) {
			assert_int_equal(r.pos, before);
			if (lim == inlen)
				return -ENODATA;
			lim = lim + step < inlen ? lim + step : inlen;
			r.len = lim;
			continue;
		}
		if (rc < 0)
			return rc;
		if (tok.kind == UR_CZ_END) {
			d->end = r.pos;
			return 0;
		}
		if (d->nops == MAX_OPS)
			return -E2BIG;
		if (tok.kind == UR_CZ_LITERAL) {
			struct op *o =
			    d->nops && !d->ops[d->nops - 1].match ? &d->ops[d->nops - 1] : NULL;
			if (!o) {
				o = &d->ops[d->nops++];
				o->match = false;
				o->off = d->len;
				o->len = 0;
			}
			o->len += tok.len;
			append(d, tok.data, tok.len);
			continue;
		}
		if (!basis)
			return -EPROTO;
		size_t boff = (size_t)tok.block * blength;
		if (boff >= basis->len)
			return -EPROTO;
		size_t blen = basis->len - boff < blength ? basis->len - boff : blength;
		d->ops[d->nops].match = true;
		d->ops[d->nops].block = tok.block;
		d->ops[d->nops].off = d->len;
		d->ops[d->nops].len = blen;
		d->nops++;
		append(d, basis->p + boff, blen);
		if (see && (rc = ur_cz_dec_see(dec, basis->p + boff, blen, &err)) < 0)
			return rc;
	}
}

struct capture {
	const char *file;
	enum ur_cz alg;
	bool level_given;
	int level;
};

static const struct capture captures[] = {
    {"zlib.s2c", UR_CZ_ZLIB, false, 0},	 {"zlib-1.s2c", UR_CZ_ZLIB, true, 1},
    {"zlib-9.s2c", UR_CZ_ZLIB, true, 9}, {"zlibx.s2c", UR_CZ_ZLIBX, false, 0},
    {"zstd.s2c", UR_CZ_ZSTD, false, 0},	 {"zstd-1.s2c", UR_CZ_ZSTD, true, 1},
    {"lz4.s2c", UR_CZ_LZ4, false, 0},
};

static int32_t le32s(const uint8_t *p)
{
	return (int32_t)ur_le32(p);
}

/* Where the two files' streams are in a capture, found by decoding. */
struct located {
	size_t a_at, a_end, b_at, b_end, blength;
	int32_t count;
	struct decoded da, db;
};

static bool plausible_head(const uint8_t *s, size_t at)
{
	if (at < 16)
		return false;
	int32_t count = le32s(s + at - 16), bl = le32s(s + at - 12), s2 = le32s(s + at - 8),
		rem = le32s(s + at - 4);
	return count >= 0 && bl >= 0 && bl <= (1 << 17) && s2 >= 0 && s2 <= 16 && rem >= 0 &&
	       rem <= bl;
}

static void locate(const struct capture *c, const struct blob *s, const struct blob *a,
		   const struct blob *b, const struct blob *basis, struct located *L)
{
	struct ur_cz_dec *dec;
	bool found = false;

	memset(L, 0, sizeof(*L));
	for (size_t at = 16; at < 400 && !found; at++) {
		if (!plausible_head(s->p, at) || le32s(s->p + at - 16) != 0)
			continue;
		assert_int_equal(ur_cz_dec_new(c->alg, 32, &dec), 0);
		if (decode_file(dec, s->p, s->len, at, s->len, NULL, 0, false, &L->da) == 0 &&
		    L->da.len == a->len && memcmp(L->da.out, a->p, a->len) == 0) {
			L->a_at = at;
			L->a_end = L->da.end;
			found = true;
		}
		ur_cz_dec_free(dec);
	}
	if (!found)
		fail_msg("%s: file a not found", c->file);
	found = false;
	for (size_t at = L->a_end + 16; at < L->a_end + 200 && !found; at++) {
		if (!plausible_head(s->p, at) || le32s(s->p + at - 16) == 0)
			continue;
		/* The same decoder carries on from file a: zstd's context spans files. */
		assert_int_equal(ur_cz_dec_new(c->alg, 32, &dec), 0);
		assert_int_equal(
		    decode_file(dec, s->p, s->len, L->a_at, s->len, NULL, 0, false, &L->da), 0);
		L->count = le32s(s->p + at - 16);
		L->blength = (size_t)le32s(s->p + at - 12);
		ur_cz_dec_set_nblocks(dec, L->count);
		if (decode_file(dec, s->p, s->len, at, s->len, basis, L->blength, true, &L->db) ==
			0 &&
		    L->db.len == b->len && memcmp(L->db.out, b->p, b->len) == 0) {
			L->b_at = at;
			L->b_end = L->db.end;
			found = true;
		}
		ur_cz_dec_free(dec);
	}
	if (!found)
		fail_msg("%s: file b not found", c->file);
}

static void free_located(struct located *L)
{
	free(L->da.out);
	free(L->db.out);
}

struct files {
	struct blob a, b, basis;
};

static struct files load_files(void)
{
	struct files f = {load("a"), load("b"), load("basis_b")};
	return f;
}

static void free_files(struct files *f)
{
	free(f->a.p);
	free(f->b.p);
	free(f->basis.p);
}

/* rsync's bytes decode to the files, whole or fed 1..7 bytes at a time. */
static void test_decode_rsync(void **state)
{
	struct files f = load_files();

	(void)state;
	for (size_t i = 0; i < sizeof(captures) / sizeof(captures[0]); i++) {
		const struct capture *c = &captures[i];
		struct blob s = load(c->file);
		struct located L;
		struct ur_cz_dec *dec;
		int matches = 0, literals = 0;

		if (!ur_cz_available(c->alg)) {
			free(s.p);
			continue;
		}
		locate(c, &s, &f.a, &f.b, &f.basis, &L);
		for (int k = 0; k < L.db.nops; k++)
			L.db.ops[k].match ? matches++ : literals++;
		assert_true(matches > 100);
		assert_true(literals >= 4);
		/* Small feeds give the same result. */
		assert_int_equal(ur_cz_dec_new(c->alg, 32, &dec), 0);
		struct decoded d = {0};
		assert_int_equal(decode_file(dec, s.p, s.len, L.a_at, 1 + i, NULL, 0, false, &d),
				 0);
		assert_memory_equal(d.out, f.a.p, f.a.len);
		ur_cz_dec_set_nblocks(dec, L.count);
		assert_int_equal(
		    decode_file(dec, s.p, s.len, L.b_at, 3, &f.basis, L.blength, true, &d), 0);
		assert_int_equal(d.len, f.b.len);
		assert_memory_equal(d.out, f.b.p, f.b.len);
		/* A block index at or past the sum head's count is refused. */
		struct ur_cz_dec *d2;
		struct decoded dd = {0};
		assert_int_equal(ur_cz_dec_new(c->alg, 32, &d2), 0);
		assert_int_equal(decode_file(d2, s.p, s.len, L.a_at, s.len, NULL, 0, false, &dd),
				 0);
		ur_cz_dec_set_nblocks(d2, 10);
		assert_int_equal(
		    decode_file(d2, s.p, s.len, L.b_at, s.len, &f.basis, L.blength, true, &dd),
		    -EPROTO);
		ur_cz_dec_free(d2);
		free(dd.out);
		free(d.out);
		ur_cz_dec_free(dec);
		free_located(&L);
		free(s.p);
	}
	free_files(&f);
}

/* Encode file a in rsync's 32 KiB pieces, and file b's tokens. */
static void encode_files(struct ur_cz_enc *e, const struct files *f, const struct located *L,
			 struct ur_wbuf *w)
{
	for (size_t off = 0; off < f->a.len; off += 32768) {
		size_t n = f->a.len - off < 32768 ? f->a.len - off : 32768;
		assert_int_equal(ur_cz_enc_literal(e, f->a.p + off, n, w), 0);
	}
	assert_int_equal(ur_cz_enc_end(e, w), 0);
	for (int k = 0; k < L->db.nops; k++) {
		const struct op *o = &L->db.ops[k];
		if (o->match)
			assert_int_equal(
			    ur_cz_enc_match(e, o->block, L->db.out + o->off, o->len, w), 0);
		else
			assert_int_equal(ur_cz_enc_literal(e, L->db.out + o->off, o->len, w), 0);
	}
	assert_int_equal(ur_cz_enc_end(e, w), 0);
}

/* Our encoder writes rsync's bytes. */
static void test_encode_equals_rsync(void **state)
{
	struct files f = load_files();
	static uint8_t buf[1 << 20];

	(void)state;
	for (size_t i = 0; i < sizeof(captures) / sizeof(captures[0]); i++) {
		const struct capture *c = &captures[i];
		struct blob s;
		struct located L;
		struct ur_cz_enc *e;
		struct ur_wbuf w;
		int level;

		if (!ur_cz_available(c->alg))
			continue;
		s = load(c->file);
		locate(c, &s, &f.a, &f.b, &f.basis, &L);
		assert_int_equal(ur_cz_level(c->alg, c->level_given, c->level, &level), 0);
		assert_int_equal(ur_cz_enc_new(c->alg, level, 32, &e), 0);
		ur_wbuf_init(&w, buf, sizeof(buf));
		encode_files(e, &f, &L, &w);
		assert_int_equal(ur_cz_enc_pending(e), 0);
		size_t alen = L.a_end - L.a_at, blen = L.b_end - L.b_at;
		assert_int_equal(w.len, alen + blen);
		assert_memory_equal(buf, s.p + L.a_at, alen);
		assert_memory_equal(buf + alen, s.p + L.b_at, blen);
		ur_cz_enc_free(e);
		free_located(&L);
		free(s.p);
	}
	free_files(&f);
}

/* A tiny output buffer loses nothing: the rest waits to be drained. */
static void test_encode_drain(void **state)
{
	struct files f = load_files();
	static uint8_t big[1 << 20], small[1 << 20];
	const struct capture *c = &captures[0];
	struct blob s = load(c->file);
	struct located L;
	struct ur_cz_enc *e;
	struct ur_wbuf w;
	size_t got = 0;
	int level;

	(void)state;
	if (!ur_cz_available(c->alg)) {
		free(s.p);
		free_files(&f);
		skip();
	}
	locate(c, &s, &f.a, &f.b, &f.basis, &L);
	assert_int_equal(ur_cz_level(c->alg, false, 0, &level), 0);
	assert_int_equal(ur_cz_enc_new(c->alg, level, 32, &e), 0);
	ur_wbuf_init(&w, big, sizeof(big));
	encode_files(e, &f, &L, &w);
	ur_cz_enc_free(e);
	assert_int_equal(ur_cz_enc_new(c->alg, level, 32, &e), 0);
	uint8_t tiny[5];
	struct ur_wbuf t;
	ur_wbuf_init(&t, tiny, sizeof(tiny));
	for (size_t off = 0; off < f.a.len; off += 32768) {
		size_t n = f.a.len - off < 32768 ? f.a.len - off : 32768;
		t.len = 0;
		assert_int_equal(ur_cz_enc_literal(e, f.a.p + off, n, &t), 0);
		memcpy(small + got, tiny, t.len);
		got += t.len;
	}
	t.len = 0;
	assert_int_equal(ur_cz_enc_end(e, &t), 0);
	memcpy(small + got, tiny, t.len);
	got += t.len;
	while (ur_cz_enc_pending(e)) {
		t.len = 0;
		ur_cz_enc_drain(e, &t);
		assert_true(t.len > 0);
		memcpy(small + got, tiny, t.len);
		got += t.len;
	}
	assert_int_equal(got, L.a_end - L.a_at);
	assert_memory_equal(small, big, got);
	ur_cz_enc_free(e);
	free_located(&L);
	free(s.p);
	free_files(&f);
}

/* Run coding: consecutive blocks become one run; jumps past 63 blocks and
 * backward ones are absolute; the END flag closes the file. */
static void test_run_coding(void **state)
{
	static const uint8_t want[] = {0xc0, 3, 0,    0x20, 100,  0,	0,    0,    0x20, 5, 0,
				       0,    0, 0x8a, 0xc0, 0xff, 0xff, 0xc1, 0x01, 0,	  0};
	struct ur_cz_enc *e;
	uint8_t buf[64];
	struct ur_wbuf w;

	(void)state;
	if (!ur_cz_available(UR_CZ_LZ4))
		skip();
	assert_int_equal(ur_cz_enc_new(UR_CZ_LZ4, 0, 32, &e), 0);
	ur_wbuf_init(&w, buf, sizeof(buf));
	for (int32_t b = 0; b <= 3; b++)
		assert_int_equal(ur_cz_enc_match(e, b, NULL, 0, &w), 0);
	assert_int_equal(ur_cz_enc_match(e, 100, NULL, 0, &w), 0);
	assert_int_equal(ur_cz_enc_match(e, 5, NULL, 0, &w), 0);
	assert_int_equal(ur_cz_enc_match(e, 15, NULL, 0, &w), 0); /* +10 */
	assert_int_equal(ur_cz_enc_match(e, 15, NULL, 0, &w), 0); /* the same again: +0 */
	/* 16.. continue the second 15's run, which is cut at 65536 blocks
	 * (15..65550), then 65551..65552. */
	for (int32_t b = 16; b <= 65552; b++)
		assert_int_equal(ur_cz_enc_match(e, b, NULL, 0, &w), 0);
	assert_int_equal(ur_cz_enc_end(e, &w), 0);
	assert_int_equal(w.len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(ur_cz_enc_match(e, -1, NULL, 0, &w), -EINVAL);
	ur_cz_enc_free(e);

	/* And back. */
	struct ur_cz_dec *d;
	struct ur_rbuf r;
	struct ur_cz_tok tok;
	int32_t expect[] = {0, 1, 2, 3, 100, 5, 15, 15};
	assert_int_equal(ur_cz_dec_new(UR_CZ_LZ4, 32, &d), 0);
	ur_rbuf_init(&r, want, sizeof(want));
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		assert_int_equal(ur_cz_dec_next(d, &r, &tok, NULL), 0);
		assert_int_equal(tok.kind, UR_CZ_MATCH);
		assert_int_equal(tok.block, expect[i]);
	}
	for (int32_t b = 16; b <= 65552; b++) {
		assert_int_equal(ur_cz_dec_next(d, &r, &tok, NULL), 0);
		assert_int_equal(tok.block, b);
	}
	assert_int_equal(ur_cz_dec_next(d, &r, &tok, NULL), 0);
	assert_int_equal(tok.kind, UR_CZ_END);
	assert_int_equal(r.pos, sizeof(want));
	ur_cz_dec_free(d);
}

static uint64_t rng_state = 88172645463325252ull;
static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)rng_state;
}

/* Random files of literals (random or repetitive) and matches, several
 * files on one connection, each codec; big blocks (past 64 KiB) too. */
static void roundtrip(enum ur_cz alg, int protocol, size_t blength, int files)
{
	size_t nblocks = 40, baslen = nblocks * blength;
	uint8_t *basis = malloc(baslen);
	struct ur_cz_enc *e;
	struct ur_cz_dec *d;
	int level;

	for (size_t i = 0; i < baslen; i++)
		basis[i] = (uint8_t)(i % 251 < 100 ? rnd() : i % 7);
	assert_int_equal(ur_cz_level(alg, false, 0, &level), 0);
	assert_int_equal(ur_cz_enc_new(alg, level, protocol, &e), 0);
	assert_int_equal(ur_cz_dec_new(alg, protocol, &d), 0);
	for (int file = 0; file < files; file++) {
		struct decoded want = {0}, got = {0};
		size_t cap = 1 << 22;
		uint8_t *wire = malloc(cap);
		struct ur_wbuf w;
		int nops = 1 + (int)(rnd() % 30);

		ur_wbuf_init(&w, wire, cap);
		for (int k = 0; k < nops; k++) {
			if (rnd() % 2) {
				int32_t b = (int32_t)(rnd() % nblocks);
				int run = 1 + (int)(rnd() % 4);
				for (; run && b < (int32_t)nblocks; run--, b++) {
					assert_int_equal(
					    ur_cz_enc_match(e, b, basis + b * blength, blength, &w),
					    0);
					append(&want, basis + b * blength, blength);
				}
			} else {
				size_t n = rnd() % 3 ? rnd() % 2000 : rnd() % 100000;
				uint8_t *lit = malloc(n + 1);
				bool noise = rnd() % 2;
				for (size_t i = 0; i < n; i++)
					lit[i] = noise ? (uint8_t)rnd() : (uint8_t) "abcabd"[i % 6];
				assert_int_equal(ur_cz_enc_literal(e, lit, n, &w), 0);
				append(&want, lit, n);
				free(lit);
			}
		}
		assert_int_equal(ur_cz_enc_end(e, &w), 0);
		assert_int_equal(ur_cz_enc_pending(e), 0);
		struct blob b = {basis, baslen};
		ur_cz_dec_set_nblocks(d, (int32_t)nblocks);
		assert_int_equal(
		    decode_file(d, wire, w.len, 0, 1 + rnd() % 5000, &b, blength, true, &got), 0);
		assert_int_equal(got.end, w.len);
		assert_int_equal(got.len, want.len);
		assert_memory_equal(got.out, want.out, want.len);
		free(want.out);
		free(got.out);
		free(wire);
	}
	ur_cz_enc_free(e);
	ur_cz_dec_free(d);
	free(basis);
}

static void test_roundtrip(void **state)
{
	static const enum ur_cz algs[] = {UR_CZ_ZLIB, UR_CZ_ZLIBX, UR_CZ_ZSTD, UR_CZ_LZ4};

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		if (!ur_cz_available(algs[i]))
			continue;
		roundtrip(algs[i], 32, 700, 6);
		roundtrip(algs[i], 31, 100000, 2);
		roundtrip(algs[i], 30, 100000, 2);
	}
}

/* zlib's history holds matched blocks: skipping the see step breaks the
 * data after a match; protocol 30's history repeats a long block's first
 * 64 KiB piece, so the two protocols' streams differ. */
static void test_zlib_history(void **state)
{
	size_t bl = 70000;
	uint8_t *blk = malloc(bl), *lit = malloc(bl);
	struct ur_cz_enc *e;
	uint8_t *wire[2];
	size_t wlen[2];

	(void)state;
	if (!ur_cz_available(UR_CZ_ZLIB))
		skip();
	for (size_t i = 0; i < bl; i++)
		blk[i] = (uint8_t)rnd();
	/* The literal repeats the block's last 30000 bytes, within zlib's
	 * 32 KiB window once the block is in the history. */
	size_t ll = 30000;
	memcpy(lit, blk + bl - ll, ll);
	for (int pv = 0; pv < 2; pv++) {
		struct ur_wbuf w;
		wire[pv] = malloc(1 << 20);
		ur_wbuf_init(&w, wire[pv], 1 << 20);
		assert_int_equal(ur_cz_enc_new(UR_CZ_ZLIB, 6, pv ? 31 : 30, &e), 0);
		assert_int_equal(ur_cz_enc_match(e, 0, blk, bl, &w), 0);
		assert_int_equal(ur_cz_enc_literal(e, lit, ll, &w), 0);
		assert_int_equal(ur_cz_enc_end(e, &w), 0);
		wlen[pv] = w.len;
		ur_cz_enc_free(e);
	}
	/* The 31 stream is short: the literal is all back-references. */
	assert_true(wlen[1] < 2000);
	assert_true(wlen[1] != wlen[0] || memcmp(wire[0], wire[1], wlen[1]) != 0);
	struct blob b = {blk, bl};
	for (int pv = 0; pv < 2; pv++) {
		struct ur_cz_dec *d;
		struct decoded got = {0};
		assert_int_equal(ur_cz_dec_new(UR_CZ_ZLIB, pv ? 31 : 30, &d), 0);
		assert_int_equal(decode_file(d, wire[pv], wlen[pv], 0, 100, &b, bl, true, &got), 0);
		assert_int_equal(got.len, bl + ll);
		assert_memory_equal(got.out + bl, lit, ll);
		ur_cz_dec_free(d);
		/* Without seeing the block, the back-references do not resolve. */
		assert_int_equal(ur_cz_dec_new(UR_CZ_ZLIB, pv ? 31 : 30, &d), 0);
		int rc = decode_file(d, wire[pv], wlen[pv], 0, 100, &b, bl, false, &got);
		assert_true(rc < 0 || memcmp(got.out + bl, lit, ll) != 0);
		ur_cz_dec_free(d);
		free(got.out);
		got.out = NULL;
	}
	/* A protocol-30 reader of the protocol-31 stream gets other bytes: its
	 * history holds the block's first bytes where the block's last 4465
	 * bytes should be. */
	struct ur_cz_dec *d;
	struct decoded got = {0};
	assert_int_equal(ur_cz_dec_new(UR_CZ_ZLIB, 30, &d), 0);
	int rc = decode_file(d, wire[1], wlen[1], 0, 100, &b, bl, true, &got);
	assert_true(rc < 0 || memcmp(got.out + bl, lit, ll) != 0);
	ur_cz_dec_free(d);
	free(got.out);
	free(wire[0]);
	free(wire[1]);
	free(blk);
	free(lit);
}

/* rsync at protocol 30 with 70000-byte blocks (capture.py): its zlib
 * history holds block 0's first 65535 bytes and then its first 4465 again,
 * and file c refers back into that. A protocol-30 decoder rebuilds c, a
 * protocol-31 one does not; our protocol-30 encoder writes rsync's bytes. */
static void test_zlib_protocol30_rsync(void **state)
{
	struct blob s, basis;
	static uint8_t c[84000], buf[1 << 16];
	size_t clen = 0;

	(void)state;
	if (!ur_cz_available(UR_CZ_ZLIB))
		skip();
	s = load("zlib-p30.s2c");
	basis = load("basis_b");
	memcpy(c, basis.p, 70000);
	memcpy(c + 70000, basis.p, 4000);
	memcpy(c + 74000, basis.p + 60000, 10000);
	clen = 84000;
	size_t at = 16;
	for (; at < s.len; at++)
		if (le32s(s.p + at - 16) == 2 && le32s(s.p + at - 12) == 70000)
			break;
	assert_true(at < s.len);
	for (int pv = 30; pv <= 31; pv++) {
		struct ur_cz_dec *d;
		struct decoded got = {0};
		assert_int_equal(ur_cz_dec_new(UR_CZ_ZLIB, pv, &d), 0);
		ur_cz_dec_set_nblocks(d, 2);
		int rc = decode_file(d, s.p, s.len, at, 64, &basis, 70000, true, &got);
		if (pv == 30) {
			assert_int_equal(rc, 0);
			assert_int_equal(got.len, clen);
			assert_memory_equal(got.out, c, clen);
			assert_int_equal(got.nops, 2);
			assert_true(got.ops[0].match);
		} else {
			assert_true(rc < 0 || got.len != clen || memcmp(got.out, c, clen) != 0);
		}
		if (pv == 30) {
			struct ur_cz_enc *e;
			struct ur_wbuf w;
			ur_wbuf_init(&w, buf, sizeof(buf));
			assert_int_equal(ur_cz_enc_new(UR_CZ_ZLIB, 6, 30, &e), 0);
			assert_int_equal(ur_cz_enc_match(e, 0, basis.p, 70000, &w), 0);
			assert_int_equal(ur_cz_enc_literal(e, c + 70000, clen - 70000, &w), 0);
			assert_int_equal(ur_cz_enc_end(e, &w), 0);
			assert_int_equal(w.len, got.end - at);
			assert_memory_equal(buf, s.p + at, w.len);
			ur_cz_enc_free(e);
		}
		free(got.out);
		ur_cz_dec_free(d);
	}
	free(s.p);
	free(basis.p);
}

/* Bad bytes give clean errors. */
static void test_corrupt(void **state)
{
	struct ur_cz_dec *d;
	struct ur_cz_tok tok;
	struct ur_rbuf r;
	struct ur_err err;

	(void)state;
	for (int a = UR_CZ_ZLIB; a <= UR_CZ_LZ4; a++) {
		if (!ur_cz_available((enum ur_cz)a))
			continue;
		static const struct {
			uint8_t in[8];
			size_t len;
			int rc;
		} cases[] = {
		    {{0x20, 0xff, 0xff, 0xff, 0xff}, 5, -EPROTO},	/* negative index */
		    {{0x20, 0xff, 0xff, 0xff, 0x7f}, 5, -EPROTO},	/* past the largest */
		    {{0xc1, 0, 0}, 3, -EPROTO},				/* a run of 0 */
		    {{0x21, 0xfe, 0xff, 0xff, 0x7f, 1, 0}, 7, -EPROTO}, /* run past the largest */
		    {{0x40, 3, 0xff, 0xff, 0xff}, 5, -EBADMSG},		/* not compressed data */
		    {{0x20, 1, 0}, 3, -ENODATA},			/* truncated */
		    {{0x41}, 1, -ENODATA},
		};
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			int rc;
			assert_int_equal(ur_cz_dec_new((enum ur_cz)a, 32, &d), 0);
			ur_rbuf_init(&r, cases[i].in, cases[i].len);
			memset(&err, 0, sizeof(err));
			do
				rc = ur_cz_dec_next(d, &r, &tok, &err);
			while (rc == 0 && tok.kind == UR_CZ_LITERAL);
			if (cases[i].rc == -EBADMSG && a == UR_CZ_ZSTD && rc == -ENODATA)
				rc = -EBADMSG; /* zstd may wait for a frame header */
			if (rc != cases[i].rc)
				fail_msg("%s case %zu: %d", ur_cz_name((enum ur_cz)a), i, rc);
			if (rc != -ENODATA)
				assert_true(err.msg[0] != 0);
			ur_cz_dec_free(d);
		}
	}
	/* zlib data that does not end on a sync point before a token. */
	if (ur_cz_available(UR_CZ_ZLIB)) {
		/* A fixed-Huffman block with one literal 'a', not flushed. */
		static const uint8_t in[] = {0x40, 2, 0x4a, 0x04, 0x00};
		assert_int_equal(ur_cz_dec_new(UR_CZ_ZLIB, 32, &d), 0);
		ur_rbuf_init(&r, in, sizeof(in));
		int rc;
		do
			rc = ur_cz_dec_next(d, &r, &tok, &err);
		while (rc == 0 && tok.kind == UR_CZ_LITERAL);
		assert_int_equal(rc, -EBADMSG);
		/* and the decoder stays failed */
		assert_int_equal(ur_cz_dec_next(d, &r, &tok, &err), -EBADMSG);
		ur_cz_dec_free(d);
	}
	/* Corrupting rsync's zlib bytes: an error, never a crash or a hang. */
	if (!ur_cz_available(UR_CZ_ZLIB))
		return;
	struct files f = load_files();
	struct blob s = load("zlib.s2c");
	struct located L;
	locate(&captures[0], &s, &f.a, &f.b, &f.basis, &L);
	int failures = 0;
	for (size_t i = 0; i < 200; i++) {
		struct decoded got = {0};
		uint8_t *c = malloc(s.len);
		memcpy(c, s.p, s.len);
		c[L.a_at + rnd() % (L.a_end - L.a_at)] ^= (uint8_t)(1 + rnd() % 255);
		assert_int_equal(ur_cz_dec_new(UR_CZ_ZLIB, 32, &d), 0);
		int rc = decode_file(d, c, s.len, L.a_at, s.len, NULL, 0, false, &got);
		if (rc < 0 || got.len != f.a.len || memcmp(got.out, f.a.p, f.a.len) != 0)
			failures++;
		ur_cz_dec_free(d);
		free(got.out);
		free(c);
	}
	assert_true(failures > 150);
	free_located(&L);
	free(s.p);
	free_files(&f);
}

/* Edge units as rsync's decoders take them: an empty data unit is nothing
 * to zstd (it goes back to reading flags) but an error to zlib and lz4;
 * an lz4 block that decompresses to nothing gives no literal (rsync would
 * take its 0 as the file's end; its sender never writes one before data). */
static void test_empty_units(void **state)
{
	static const uint8_t empty[] = {0x40, 0, 0};
	static const uint8_t lz4_nothing[] = {0x40, 1, 0, 0x80, 0};
	struct ur_cz_dec *d;
	struct ur_cz_tok tok;
	struct ur_rbuf r;
	struct ur_err err;
	int rc;

	(void)state;
	for (int a = UR_CZ_ZLIB; a <= UR_CZ_LZ4; a++) {
		if (!ur_cz_available((enum ur_cz)a))
			continue;
		assert_int_equal(ur_cz_dec_new((enum ur_cz)a, 32, &d), 0);
		ur_rbuf_init(&r, empty, sizeof(empty));
		do
			rc = ur_cz_dec_next(d, &r, &tok, &err);
		while (rc == 0 && tok.kind == UR_CZ_LITERAL && tok.len == 0);
		if (a == UR_CZ_ZSTD) {
			assert_int_equal(rc, 0);
			assert_int_equal(tok.kind, UR_CZ_END);
		} else {
			assert_int_equal(rc, -EBADMSG);
		}
		ur_cz_dec_free(d);
	}
	if (!ur_cz_available(UR_CZ_LZ4))
		return;
	assert_int_equal(ur_cz_dec_new(UR_CZ_LZ4, 32, &d), 0);
	ur_rbuf_init(&r, lz4_nothing, sizeof(lz4_nothing));
	assert_int_equal(ur_cz_dec_next(d, &r, &tok, &err), 0);
	assert_int_equal(tok.kind, UR_CZ_MATCH);
	assert_int_equal(tok.block, 0);
	assert_int_equal(ur_cz_dec_next(d, &r, &tok, &err), 0);
	assert_int_equal(tok.kind, UR_CZ_END);
	ur_cz_dec_free(d);
}

static void test_facts(void **state)
{
	struct ur_cz_levels lv;
	enum ur_cz alg;
	int level;

	(void)state;
	assert_int_equal(ur_cz_by_name("zlibx", &alg), 0);
	assert_int_equal(alg, UR_CZ_ZLIBX);
	assert_int_equal(ur_cz_by_name("none", &alg), -ENOENT);
	assert_string_equal(ur_cz_name(UR_CZ_LZ4), "lz4");
#if HAVE_ZLIB && HAVE_ZSTD && HAVE_LZ4
	assert_string_equal(ur_cz_default_list(), "zstd lz4 zlibx zlib none");
#endif
	if (ur_cz_available(UR_CZ_ZLIB)) {
		assert_int_equal(ur_cz_levels(UR_CZ_ZLIB, &lv), 0);
		assert_int_equal(lv.min, 1);
		assert_int_equal(lv.max, 9);
		assert_int_equal(lv.def, 6);
		assert_int_equal(ur_cz_level(UR_CZ_ZLIB, false, 0, &level), 0);
		assert_int_equal(level, 6);
		assert_int_equal(ur_cz_level(UR_CZ_ZLIB, true, 0, &level), 1); /* off */
		assert_int_equal(ur_cz_level(UR_CZ_ZLIBX, true, -1, &level), 0);
		assert_int_equal(level, 6);
		assert_int_equal(ur_cz_level(UR_CZ_ZLIB, true, 42, &level), 0);
		assert_int_equal(level, 9);
		assert_int_equal(ur_cz_level(UR_CZ_ZLIB, true, -5, &level), 0);
		assert_int_equal(level, 1);
	}
	if (ur_cz_available(UR_CZ_ZSTD)) {
		assert_int_equal(ur_cz_levels(UR_CZ_ZSTD, &lv), 0);
		assert_int_equal(lv.def, 3);
		assert_int_equal(lv.max, 22);
		assert_false(lv.has_off);
		assert_int_equal(ur_cz_level(UR_CZ_ZSTD, true, 0, &level), 0);
		assert_int_equal(level, 3);
		assert_int_equal(ur_cz_level(UR_CZ_ZSTD, true, 99, &level), 0);
		assert_int_equal(level, 22);
		assert_int_equal(ur_cz_level(UR_CZ_ZSTD, true, -99999999, &level), 0);
		assert_int_equal(level, lv.min);
	}
	if (ur_cz_available(UR_CZ_LZ4)) {
		assert_int_equal(ur_cz_level(UR_CZ_LZ4, true, 5, &level), 0);
		assert_int_equal(level, 0);
	}
	assert_non_null(strstr(ur_cz_default_skip, "*.gz *.iso"));
	assert_int_equal(strncmp(ur_cz_default_skip, "*.3g2 ", 6), 0);
	assert_non_null(strstr(ur_cz_default_skip, " *.zst"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decode_rsync), cmocka_unit_test(test_encode_equals_rsync),
	    cmocka_unit_test(test_encode_drain), cmocka_unit_test(test_run_coding),
	    cmocka_unit_test(test_roundtrip),	 cmocka_unit_test(test_zlib_protocol30_rsync),
	    cmocka_unit_test(test_zlib_history), cmocka_unit_test(test_corrupt),
	    cmocka_unit_test(test_empty_units),	 cmocka_unit_test(test_facts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
