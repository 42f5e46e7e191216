/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer target for the receiver's side of the delta (src/delta/
 * delta.c): a sum head and a token stream from the peer applied to a
 * basis file. Bytes 0-7 choose the chunk size the token reader is fed in,
 * the head (count, block length, remainder) and the basis's length (its
 * bytes are a fixed pattern); the rest is the token stream. Whatever the
 * stream, the patch must not read or write out of bounds, must refuse
 * (-EPROTO) a block that is not in the head or not in the basis, and what
 * it writes must be exactly the literal bytes and basis blocks the stream
 * names, in order.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "delta/delta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BASIS_MAX 8192

static int temp_fd(void)
{
	FILE *f = tmpfile();
	int fd;

	if (!f)
		abort();
	fd = dup(fileno(f));
	fclose(f);
	if (fd < 0)
		abort();
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t basis[BASIS_MAX], model[1 << 20], got[1 << 20];
	const struct ur_sig_params p = {.kind = UR_SUM_MD5, .seed_fix = true, .protocol = 32, .threads = 1};
	struct ur_sum_head h;
	struct ur_delta_patch pt;
	struct ur_token_reader tr;
	struct ur_token tok;
	struct ur_rbuf r;
	size_t step, mlen = 0, full;
	int64_t blen_avail;
	uint8_t sum[UR_SUM_MAX_LEN], want[UR_SUM_MAX_LEN];
	struct ur_sum_ctx sc;
	int fb, fo, rc, len;
	bool check = true; /* the output is compared with the model */
	uint32_t seed = 1;

	if (size < 8)
		return 0;
	step = 1 + data[0] % 16;
	h.blength = 1 + (data[1] | data[2] << 8) % 1024;
	h.count = data[3] % 32;
	h.remainder = (data[4] | data[5] << 8) % (h.blength + 1);
	h.s2length = 2;
	blen_avail = (data[6] | data[7] << 8) % BASIS_MAX;
	for (size_t i = 0; i < BASIS_MAX; i++) {
		seed = seed * 1103515245u + 12345u;
		basis[i] = (uint8_t)(seed >> 16);
	}
	fb = temp_fd();
	fo = temp_fd();
	if (write(fb, basis, (size_t)blen_avail) != blen_avail)
		abort();
	if (ur_delta_patch_init(&pt, &h, fb, blen_avail, fo, &p) < 0)
		abort();
	ur_token_reader_init(&tr, h.count);
	ur_rbuf_init(&r, data + 8, size - 8);
	full = r.len;
	r.len = 0;
	for (;;) {
		size_t before = r.pos;

		rc = ur_token_read(&tr, &r, &tok, NULL);
		if (rc == -ENODATA) {
			if (r.len == full)
				break;
			r.len = r.len + step < full ? r.len + step : full;
			continue;
		}
		if (rc < 0) {
			/* An index past the head's count: the reader refuses it. */
			if (rc != -EPROTO || r.pos != before)
				abort();
			break;
		}
		if (tok.kind == UR_TOKEN_END)
			break;
		rc = ur_delta_patch_token(&pt, &tok);
		if (tok.kind == UR_TOKEN_LITERAL) {
			if (rc < 0)
				abort();
			if (mlen + tok.len > sizeof(model)) {
				check = false;
				break;
			}
			memcpy(model + mlen, tok.data, tok.len);
			mlen += tok.len;
		} else {
			int64_t off = (int64_t)tok.block * h.blength;
			int64_t l =
			    tok.block == h.count - 1 && h.remainder ? h.remainder : h.blength;

			/* Refused exactly when the block is not all in the basis. */
			if ((rc == -EPROTO) != (off + l > blen_avail))
				abort();
			if (rc < 0 || mlen + (size_t)l > sizeof(model)) {
				check = false;
				break;
			}
			memcpy(model + mlen, basis + off, (size_t)l);
			mlen += (size_t)l;
		}
	}
	len = ur_delta_patch_finish(&pt, sum);
	if (check) {
		off_t end = lseek(fo, 0, SEEK_END);

		if (len != 16 || end != (off_t)mlen || pread(fo, got, mlen, 0) != (ssize_t)mlen ||
		    memcmp(got, model, mlen) != 0)
			abort();
		ur_sum_init(&sc, p.kind, 0);
		ur_sum_update(&sc, model, mlen);
		ur_sum_final(&sc, want);
		if (memcmp(sum, want, 16) != 0)
			abort();
	}
	ur_delta_patch_release(&pt);
	close(fb);
	close(fo);
	return 0;
}
