/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Item flags, block sums and the uncompressed token stream, against an
 * rsync 3.5.0 delta transfer (tests/unit/data/gen_proto_vectors.py): a
 * 5000-byte file whose basis on the receiver holds its first 4900 bytes.
 * The generator asks for file 2 with 7 block sums; the sender answers
 * with 7 block matches, 100 literal bytes, the end and the file sum.
 * Also the end of a run: a --delete receiver's messages and counts, and a
 * sending server's statistics.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto/item.h"
#include "proto/mux.h"
#include "proto/ndx.h"
#include "proto/xfer_stats.h"
#include "proto/sumhead.h"
#include "proto/token.h"
#include "data/proto_vectors.h"

static void test_generator_sums(void **state)
{
	static struct ur_wire_item it;
	struct ur_ndx_state ds, es;
	struct ur_sum_head h;
	struct ur_rbuf r;
	struct ur_wbuf w;
	static uint8_t out[1024];
	int32_t ndx;

	(void)state;
	ur_ndx_init(&ds);
	ur_ndx_init(&es);
	ur_rbuf_init(&r, p32_delta_gen, sizeof(p32_delta_gen));
	ur_wbuf_init(&w, out, sizeof(out));
	assert_int_equal(ur_ndx_decode(&ds, &r, &ndx, NULL), 0);
	assert_int_equal(ndx, 2);
	assert_int_equal(ur_item_decode(&r, &it, NULL), 0);
	assert_int_equal(it.iflags, UR_ITEM_TRANSFER | UR_ITEM_REPORT_TIME | UR_ITEM_REPORT_SIZE);
	assert_int_equal(ur_sum_head_decode(&r, 16, &h, NULL), 0);
	assert_int_equal(h.count, 7);
	assert_int_equal(ur_ndx_encode(&es, ndx, &w), 0);
	assert_int_equal(ur_item_encode(&it, &w), 0);
	assert_int_equal(ur_sum_head_encode(&h, 16, &w), 0);
	for (int i = 0; i < h.count; i++) {
		uint32_t rolling;
		uint8_t strong[16];

		assert_int_equal(ur_sum_block_get(&r, h.s2length, &rolling, strong), 0);
		assert_int_equal(ur_sum_block_put(&w, rolling, strong, h.s2length), 0);
	}
	assert_int_equal(r.pos, sizeof(p32_delta_gen));
	assert_memory_equal(out, p32_delta_gen, w.len);
}

/* Decode the sender's reply with the input arriving `step` bytes at a time. */
static void sender_reply(size_t step)
{
	static struct ur_wire_item it;
	struct ur_ndx_state ds, es;
	struct ur_sum_head h;
	struct ur_token_reader tr;
	struct ur_token tok;
	struct ur_rbuf r;
	struct ur_wbuf w;
	static uint8_t out[1024], lit[200];
	size_t nlit = 0, end = 0;
	int32_t ndx;
	int matches = 0, rc;

	ur_ndx_init(&ds);
	ur_ndx_init(&es);
	ur_rbuf_init(&r, p32_delta_snd, sizeof(p32_delta_snd));
	ur_wbuf_init(&w, out, sizeof(out));
	assert_int_equal(ur_ndx_decode(&ds, &r, &ndx, NULL), 0);
	assert_int_equal(ur_item_decode(&r, &it, NULL), 0);
	assert_int_equal(ur_sum_head_decode(&r, 16, &h, NULL), 0);
	assert_int_equal(ur_ndx_encode(&es, ndx, &w), 0);
	assert_int_equal(ur_item_encode(&it, &w), 0);
	assert_int_equal(ur_sum_head_encode(&h, 16, &w), 0);

	ur_token_reader_init(&tr, h.count);
	end = r.pos;
	r.len = end;
	for (;;) {
		rc = ur_token_read(&tr, &r, &tok, NULL);
		if (rc == -ENODATA) {
			assert_true(r.len < sizeof(p32_delta_snd));
			end = r.len + step < sizeof(p32_delta_snd) ? r.len + step
								   : sizeof(p32_delta_snd);
			r.len = end;
			continue;
		}
		assert_int_equal(rc, 0);
		if (tok.kind == UR_TOKEN_END)
			break;
		if (tok.kind == UR_TOKEN_MATCH) {
			assert_int_equal(tok.block, matches);
			assert_int_equal(nlit, 0);
			assert_int_equal(ur_token_put_match(&w, tok.block), 0);
			matches++;
		} else {
			assert_true(nlit + tok.len <= sizeof(lit));
			memcpy(lit + nlit, tok.data, tok.len);
			nlit += tok.len;
		}
	}
	assert_int_equal(matches, 7);
	assert_int_equal(nlit, 100);
	assert_int_equal(ur_token_put_literal(&w, lit, nlit), 0);
	assert_int_equal(ur_token_put_end(&w), 0);
	/* The whole-file xxh128 follows the end token. */
	r.len = sizeof(p32_delta_snd);
	assert_int_equal(ur_rbuf_left(&r), 16);
	assert_int_equal(ur_put_bytes(&w, r.p + r.pos, 16), 0);
	assert_int_equal(w.len, sizeof(p32_delta_snd));
	assert_memory_equal(out, p32_delta_snd, w.len);
}

static void test_sender_tokens(void **state)
{
	(void)state;
	sender_reply(1);
	sender_reply(3);
	sender_reply(64);
	sender_reply(4096);
}

static void test_token_bounds(void **state)
{
	static uint8_t big[UR_TOKEN_CHUNK * 2 + 10];
	static uint8_t buf[sizeof(big) + 64];
	struct ur_token_reader tr;
	struct ur_token tok;
	struct ur_wbuf w;
	struct ur_rbuf r;
	struct ur_err err = {0};

	(void)state;
	/* Long literals are cut into 32 KiB runs, as rsync's sender does. */
	ur_wbuf_init(&w, buf, sizeof(buf));
	assert_int_equal(ur_token_put_literal(&w, big, sizeof(big)), 0);
	assert_int_equal(w.len, sizeof(big) + 12);
	assert_int_equal(buf[0], 0x00);
	assert_int_equal(buf[1], 0x80);
	ur_wbuf_init(&w, buf, 100);
	assert_int_equal(ur_token_put_literal(&w, big, 200), -ENOBUFS);
	assert_int_equal(w.len, 0);
	/* A match beyond the sum head, and INT32_MIN, are refused. */
	ur_wbuf_init(&w, buf, sizeof(buf));
	assert_int_equal(ur_token_put_match(&w, 3), 0);
	assert_int_equal(ur_put_int32(&w, INT32_MIN), 0);
	ur_token_reader_init(&tr, 3);
	ur_rbuf_init(&r, buf, w.len);
	assert_int_equal(ur_token_read(&tr, &r, &tok, &err), -EPROTO);
	assert_int_equal(r.pos, 0);
	ur_token_reader_init(&tr, 4);
	assert_int_equal(ur_token_read(&tr, &r, &tok, &err), 0);
	assert_int_equal(tok.block, 3);
	assert_int_equal(ur_token_read(&tr, &r, &tok, &err), -EPROTO);
}

static void test_item(void **state)
{
	static struct ur_wire_item it, back;
	uint8_t buf[5000];
	struct ur_wbuf w;
	struct ur_rbuf r;
	struct ur_err err = {0};

	(void)state;
	/* From the generator capture: a hard link reported with its target. */
	static const uint8_t hl[] = {0x00, 0x70, 0x08, 's', 'u', 'b', '/', 'h', 'a', 'r', 'd'};

	ur_rbuf_init(&r, hl, sizeof(hl));
	assert_int_equal(ur_item_decode(&r, &it, &err), 0);
	assert_int_equal(it.iflags, UR_ITEM_XNAME_FOLLOWS | UR_ITEM_IS_NEW | UR_ITEM_LOCAL_CHANGE);
	assert_string_equal(it.xname, "sub/hard");
	assert_int_equal(it.basis_type, UR_FNAMECMP_FNAME);
	for (size_t n = 0; n < sizeof(hl); n++) {
		ur_rbuf_init(&r, hl, n);
		assert_int_equal(ur_item_decode(&r, &back, &err), -ENODATA);
		assert_int_equal(r.pos, 0);
	}
	it.iflags |= UR_ITEM_BASIS_TYPE_FOLLOWS;
	it.basis_type = UR_FNAMECMP_FUZZY;
	ur_wbuf_init(&w, buf, sizeof(buf));
	assert_int_equal(ur_item_encode(&it, &w), 0);
	ur_rbuf_init(&r, buf, w.len);
	assert_int_equal(ur_item_decode(&r, &back, &err), 0);
	assert_int_equal(back.basis_type, UR_FNAMECMP_FUZZY);
	assert_string_equal(back.xname, "sub/hard");
	/* An xname of 4096 bytes is too long for rsync and for us. */
	buf[0] = 0x00;
	buf[1] = 0x10;
	buf[2] = 0x90;
	buf[3] = 0x00;
	memset(buf + 4, 'x', 4096);
	ur_rbuf_init(&r, buf, 4100);
	assert_int_equal(ur_item_decode(&r, &back, &err), -EPROTO);
	it.xname_len = UR_XNAME_MAX + 1;
	assert_int_equal(ur_item_encode(&it, &w), -EINVAL);
}

/* rsync -a --delete removed old1, old2, olddir and oldlink. */
static void test_delete_run(void **state)
{
	struct ur_mux_reader mr;
	struct ur_mux_event ev;
	static uint8_t data[256];
	size_t nd = 0, pos = 0;
	int deleted = 0;
	struct ur_ndx_state ns;
	struct ur_rbuf r;
	struct ur_wbuf w;
	struct ur_del_stats ds;
	uint8_t out[32];
	int32_t ndx;

	(void)state;
	ur_mux_reader_init(&mr);
	while (pos < sizeof(p32_del_s2c_mux)) {
		ssize_t n = ur_mux_read(&mr, p32_del_s2c_mux + pos, sizeof(p32_del_s2c_mux) - pos,
					&ev, NULL);

		assert_true(n > 0);
		pos += (size_t)n;
		if (ev.tag == UR_MSG_DELETED) {
			assert_true(ev.len >= 4);
			assert_memory_equal(ev.data, "old", 3);
			deleted++;
		} else if (ev.tag == UR_MSG_DATA) {
			memcpy(data + nd, ev.data, ev.len);
			nd += ev.len;
		}
	}
	assert_int_equal(deleted, 4);
	/* Find NDX_DEL_STATS in the generator's stream: index, flags, heads... */
	ur_ndx_init(&ns);
	ur_rbuf_init(&r, data, nd);
	for (;;) {
		assert_int_equal(ur_ndx_decode(&ns, &r, &ndx, NULL), 0);
		if (ndx == UR_NDX_DEL_STATS)
			break;
		if (ndx >= 0) {
			static struct ur_wire_item it;
			struct ur_sum_head h;

			assert_int_equal(ur_item_decode(&r, &it, NULL), 0);
			if (it.iflags & UR_ITEM_TRANSFER)
				assert_int_equal(ur_sum_head_decode(&r, 16, &h, NULL), 0);
		}
	}
	size_t at = r.pos;

	assert_int_equal(ur_del_stats_decode(&r, &ds, NULL), 0);
	assert_int_equal(ds.files, 4);
	assert_int_equal(ds.dirs, 1);
	assert_int_equal(ds.symlinks, 1);
	assert_int_equal(ds.devices, 0);
	ur_wbuf_init(&w, out, sizeof(out));
	assert_int_equal(ur_del_stats_encode(&ds, &w), 0);
	assert_int_equal(w.len, r.pos - at);
	assert_memory_equal(out, data + at, w.len);
	/* Out of range counts. */
	static const uint8_t big[] = {0xf0, 0x00, 0x00, 0x00, 0x20, 0, 0, 0, 0}; /* 1 << 29 */
	struct ur_err err = {0};

	ur_rbuf_init(&r, big, sizeof(big));
	assert_int_equal(ur_del_stats_decode(&r, &ds, &err), -EPROTO);
	assert_int_equal(r.pos, 0);
}

static void test_sender_stats(void **state)
{
	struct ur_xfer_stats st;
	struct ur_rbuf r;
	struct ur_wbuf w;
	uint8_t out[64];
	int32_t ndx;
	struct ur_ndx_state ns;

	(void)state;
	ur_rbuf_init(&r, p32_pull_tail, sizeof(p32_pull_tail));
	assert_int_equal(ur_xfer_stats_decode(&r, &st, NULL), 0);
	assert_int_equal(st.total_size, 3); /* the one file, "hi\n" */
	assert_true(st.total_read > 0 && st.total_written > st.total_size);
	ur_ndx_init(&ns);
	assert_int_equal(ur_ndx_decode(&ns, &r, &ndx, NULL), 0);
	assert_int_equal(ndx, UR_NDX_DONE);
	assert_int_equal(r.pos, sizeof(p32_pull_tail));
	ur_wbuf_init(&w, out, sizeof(out));
	assert_int_equal(ur_xfer_stats_encode(&st, &w), 0);
	assert_int_equal(w.len, sizeof(p32_pull_tail) - 1);
	assert_memory_equal(out, p32_pull_tail, w.len);
	for (size_t n = 0; n < w.len; n++) {
		ur_rbuf_init(&r, out, n);
		assert_int_equal(ur_xfer_stats_decode(&r, &st, NULL), -ENODATA);
		assert_int_equal(r.pos, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_generator_sums), cmocka_unit_test(test_sender_tokens),
	    cmocka_unit_test(test_token_bounds),   cmocka_unit_test(test_item),
	    cmocka_unit_test(test_delete_run),	   cmocka_unit_test(test_sender_stats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
