/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer target for rsync's integer and string encodings
 * (src/proto/varint.c). The input is a program: each step takes one
 * selector byte (varint, varlong with 3..8 minimum bytes, vstring, int32,
 * transfer or deletion statistics) and decodes from the bytes that follow. Every value decoded is
 * encoded again and must decode to itself; a decoder must never consume on -ENODATA or an error.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/xfer_stats.h"
#include "proto/varint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_varint(int32_t v)
{
	uint8_t buf[16];
	struct ur_wbuf w;
	struct ur_rbuf r;
	int32_t back;

	ur_wbuf_init(&w, buf, sizeof(buf));
	if (ur_put_varint(&w, v) != 0 || w.len != ur_varint_size(v))
		abort();
	ur_rbuf_init(&r, buf, w.len);
	if (ur_get_varint(&r, &back, NULL) != 0 || back != v || r.pos != w.len)
		abort();
}

static void check_varlong(int64_t v, int min)
{
	uint8_t buf[16];
	struct ur_wbuf w;
	struct ur_rbuf r;
	int64_t back;

	ur_wbuf_init(&w, buf, sizeof(buf));
	if (ur_put_varlong(&w, v, min) != 0 || w.len != ur_varlong_size(v, min))
		abort();
	ur_rbuf_init(&r, buf, w.len);
	if (ur_get_varlong(&r, min, &back, NULL) != 0 || back != v || r.pos != w.len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ur_rbuf r;
	struct ur_err err;

	ur_rbuf_init(&r, data, size);
	while (ur_rbuf_left(&r) > 0) {
		uint8_t sel = r.p[r.pos++];
		size_t before = r.pos;
		int rc = 0;

		switch (sel % 6) {
		case 0: {
			int32_t v;

			rc = ur_get_varint(&r, &v, &err);
			if (rc == 0)
				check_varint(v);
			break;
		}
		case 1: {
			int64_t v;
			int min = 3 + (sel >> 2) % 6;

			rc = ur_get_varlong(&r, min, &v, &err);
			if (rc == 0)
				check_varlong(v, min);
			break;
		}
		case 2: {
			char buf[300];
			size_t len;
			uint8_t out[310];
			struct ur_wbuf w;

			rc = ur_get_vstring(&r, buf, 1 + (size_t)(sel >> 2) * 4, &len, &err);
			if (rc == 0) {
				if (buf[len] != '\0')
					abort();
				ur_wbuf_init(&w, out, sizeof(out));
				if (ur_put_vstring(&w, buf, len) != 0)
					abort();
			}
			break;
		}
		case 3: {
			int32_t v;

			rc = ur_get_int32(&r, &v);
			break;
		}
		case 4: {
			struct ur_xfer_stats st;
			uint8_t out[64];
			struct ur_wbuf w;

			rc = ur_xfer_stats_decode(&r, &st, &err);
			if (rc == 0) {
				ur_wbuf_init(&w, out, sizeof(out));
				if (st.total_read < 0 || ur_xfer_stats_encode(&st, &w) != 0)
					abort();
			}
			break;
		}
		default: {
			struct ur_del_stats ds, back;
			uint8_t out[32];
			struct ur_wbuf w;
			struct ur_rbuf rb;

			rc = ur_del_stats_decode(&r, &ds, &err);
			if (rc == 0) {
				ur_wbuf_init(&w, out, sizeof(out));
				if (ur_del_stats_encode(&ds, &w) != 0)
					abort();
				ur_rbuf_init(&rb, out, w.len);
				if (ur_del_stats_decode(&rb, &back, NULL) != 0 ||
				    back.files != ds.files || back.dirs != ds.dirs ||
				    back.specials != ds.specials)
					abort();
			}
			break;
		}
		}
		if (rc < 0) {
			if (r.pos != before)
				abort();
			if (rc != -ENODATA && rc != -EBADMSG && rc != -EPROTO)
				abort();
			break;
		}
	}
	return 0;
}
