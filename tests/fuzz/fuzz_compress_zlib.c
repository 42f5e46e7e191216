/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer target for the compressed token decoder (src/compress/cz.c),
 * zlib; fuzz_compress_zlibx.c, _zstd.c and _lz4.c include this file with
 * another FUZZ_CZ_ALG. Byte 0 sets the chunk size the input is fed in,
 * byte 1 the sum head's block count. Up to 4 files are decoded from one
 * connection's decoder; matched blocks are stand-in bytes that zlib's
 * history is shown. What a file decodes to is encoded again and must
 * decode to the same tokens and bytes.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compress/cz.h"

#ifndef FUZZ_CZ_ALG
#define FUZZ_CZ_ALG UR_CZ_ZLIB
#endif

#define MAX_OUT (1u << 20)
#define MAX_OPS 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz_file {
	uint8_t *out; /* literal bytes, all the file's */
	size_t len;
	int32_t ops[MAX_OPS]; /* -1: a literal piece of plen bytes; else a block */
	size_t plen[MAX_OPS];
	int nops;
};

/* Stand-in contents of block b. */
static size_t fz_block(int32_t b, uint8_t *buf)
{
	size_t n = 1 + (size_t)b % 700;

	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)(b * 31 + i * 7);
	return n;
}

/* Decode one file from r fed step bytes at a time: 1 at its end, 0 when
 * the input ran out or the stream was refused. */
static int fz_decode(struct ur_cz_dec *d, struct ur_rbuf *r, size_t full, size_t step,
		     int32_t nblocks, struct fz_file *f)
{
	static uint8_t blk[700];

	f->len = 0;
	f->nops = 0;
	for (;;) {
		struct ur_cz_tok tok;
		struct ur_err err;
		size_t before = r->pos;
		int rc = ur_cz_dec_next(d, r, &tok, &err);

		if (rc == -ENODATA) {
			if (r->pos != before)
				abort();
			if (r->len == full)
				return 0;
			r->len = r->len + step < full ? r->len + step : full;
			continue;
		}
		if (rc < 0) {
			if (rc != -EBADMSG && rc != -EPROTO)
				abort();
			return 0;
		}
		if (tok.kind == UR_CZ_END)
			return 1;
		if (f->nops == MAX_OPS)
			return 0;
		if (tok.kind == UR_CZ_MATCH) {
			if (tok.block < 0 || tok.block >= nblocks)
				abort();
			f->ops[f->nops++] = tok.block;
			if (ur_cz_dec_see(d, blk, fz_block(tok.block, blk), &err) < 0)
				return 0;
			continue;
		}
		if (r->pos == before && tok.len == 0)
			abort(); /* no progress */
		if (tok.len == 0)
			continue;
		if (f->len + tok.len > MAX_OUT)
			return 0;
		memcpy(f->out + f->len, tok.data, tok.len);
		f->len += tok.len;
		f->ops[f->nops] = -1;
		f->plen[f->nops++] = tok.len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz_file f, g;
	static uint8_t blk[700];
	struct ur_cz_dec *d = NULL, *d2 = NULL;
	struct ur_cz_enc *e = NULL;
	struct ur_rbuf r;
	size_t step;
	int32_t nblocks;
	int level;

	if (size < 2 || !ur_cz_available(FUZZ_CZ_ALG))
		return 0;
	if (!f.out && (!(f.out = malloc(MAX_OUT)) || !(g.out = malloc(MAX_OUT))))
		abort();
	step = 1 + data[0] % 64;
	nblocks = data[1] * 3;
	if (ur_cz_dec_new(FUZZ_CZ_ALG, 31, &d) < 0 || ur_cz_dec_new(FUZZ_CZ_ALG, 31, &d2) < 0 ||
	    ur_cz_level(FUZZ_CZ_ALG, false, 0, &level) != 0 ||
	    ur_cz_enc_new(FUZZ_CZ_ALG, level, 31, &e) < 0)
		abort();
	ur_cz_dec_set_nblocks(d, nblocks);
	ur_cz_dec_set_nblocks(d2, nblocks);
	ur_rbuf_init(&r, data + 2, 0);
	for (int file = 0; file < 4; file++) {
		if (!fz_decode(d, &r, size - 2, step, nblocks, &f))
			break;
		/* Encode what was decoded and decode that again. */
		size_t cap = f.len + f.len / 8 + 64 * (size_t)f.nops + 1024, off = 0;
		uint8_t *wire = malloc(cap);
		struct ur_wbuf w;
		struct ur_rbuf r2;

		if (!wire)
			abort();
		ur_wbuf_init(&w, wire, cap);
		for (int i = 0; i < f.nops; i++) {
			int rc;

			if (f.ops[i] < 0) {
				rc = ur_cz_enc_literal(e, f.out + off, f.plen[i], &w);
				off += f.plen[i];
			} else {
				rc = ur_cz_enc_match(e, f.ops[i], blk, fz_block(f.ops[i], blk), &w);
			}
			if (rc < 0)
				abort();
		}
		if (ur_cz_enc_end(e, &w) < 0 || ur_cz_enc_pending(e) != 0)
			abort();
		ur_rbuf_init(&r2, wire, 0);
		if (!fz_decode(d2, &r2, w.len, step, nblocks, &g) || r2.pos != w.len)
			abort();
		if (g.len != f.len || memcmp(g.out, f.out, f.len) != 0)
			abort();
		/* The same blocks in the same order. */
		int j = 0;
		for (int i = 0; i < f.nops; i++) {
			if (f.ops[i] < 0)
				continue;
			while (j < g.nops && g.ops[j] < 0)
				j++;
			if (j == g.nops || g.ops[j++] != f.ops[i])
				abort();
		}
		while (j < g.nops && g.ops[j] < 0)
			j++;
		if (j != g.nops)
			abort();
		free(wire);
	}
	ur_cz_dec_free(d);
	ur_cz_dec_free(d2);
	ur_cz_enc_free(e);
	return 0;
}
