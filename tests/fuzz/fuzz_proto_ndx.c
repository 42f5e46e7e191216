/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer target for the file-index codec (src/proto/ndx.c): decode the
 * input as a sequence of indices, encode the sequence again with a fresh
 * encoder, and decode that with a fresh decoder: it must give the same
 * sequence.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "proto/ndx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXN 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int32_t seq[MAXN];
	static uint8_t out[MAXN * 6];
	struct ur_ndx_state ds, es, ds2;
	struct ur_rbuf r;
	struct ur_wbuf w;
	struct ur_err err;
	size_t n = 0;

	ur_ndx_init(&ds);
	ur_rbuf_init(&r, data, size);
	while (n < MAXN) {
		size_t before = r.pos;
		int rc = ur_ndx_decode(&ds, &r, &seq[n], &err);

		if (rc < 0) {
			if (r.pos != before || (rc != -ENODATA && rc != -EPROTO))
				abort();
			break;
		}
		if (seq[n] == INT32_MIN)
			abort();
		n++;
	}
	ur_ndx_init(&es);
	ur_wbuf_init(&w, out, sizeof(out));
	for (size_t i = 0; i < n; i++)
		if (ur_ndx_encode(&es, seq[i], &w) != 0)
			abort();
	ur_ndx_init(&ds2);
	ur_rbuf_init(&r, out, w.len);
	for (size_t i = 0; i < n; i++) {
		int32_t v;

		if (ur_ndx_decode(&ds2, &r, &v, &err) != 0 || v != seq[i])
			abort();
	}
	if (r.pos != w.len)
		abort();
	return 0;
}
