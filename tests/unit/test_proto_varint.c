/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * rsync's integer encodings and the file-index codec. The fixed byte
 * strings below were read out of rsync 3.5.0 captures (see
 * tests/unit/data/gen_proto_vectors.py): "81 ff" is the compat-flag varint
 * 0x1ff a 3.5.0 server sends, "00 00 10" a directory size of 4096 as a
 * varlong(3), "65 bf 56 e5" the mtime 1709528767 as a varlong(4), and the
 * index bytes come from the generator and sender streams.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto/ndx.h"
#include "proto/varint.h"

struct vcase {
	int64_t v;
	int min; /* 0 = varint */
	size_t n;
	uint8_t b[9];
};

static const struct vcase vcases[] = {
    {0, 0, 1, {0x00}},
    {0x7f, 0, 1, {0x7f}},
    {0x80, 0, 2, {0x80, 0x80}},
    {0x141, 0, 2, {0x81, 0x41}},
    {0x1ff, 0, 2, {0x81, 0xff}},
    {0x3fff, 0, 2, {0xbf, 0xff}},
    {0x4000, 0, 3, {0xc0, 0x00, 0x40}},
    {0x0c01, 0, 2, {0x8c, 0x01}},
    {-1, 0, 5, {0xf0, 0xff, 0xff, 0xff, 0xff}},
    {INT32_MIN, 0, 5, {0xf0, 0x00, 0x00, 0x00, 0x80}},
    {4096, 3, 3, {0x00, 0x00, 0x10}},
    {6, 3, 3, {0x00, 0x06, 0x00}},
    {300, 3, 3, {0x00, 0x2c, 0x01}},
    {1709528767, 4, 4, {0x65, 0xbf, 0x56, 0xe5}},
    {1704164645, 4, 4, {0x65, 0x25, 0x7d, 0x93}},
    {0x80000000LL, 4, 5, {0x80, 0x00, 0x00, 0x00, 0x80}},
    {-1, 4, 9, {0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
    {INT64_MAX, 3, 9, {0xfc, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}},
};

static void test_known_encodings(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vcases) / sizeof(vcases[0]); i++) {
		const struct vcase *c = &vcases[i];
		uint8_t buf[16];
		struct ur_wbuf w;
		struct ur_rbuf r;

		ur_wbuf_init(&w, buf, sizeof(buf));
		if (c->min)
			assert_int_equal(ur_put_varlong(&w, c->v, c->min), 0);
		else
			assert_int_equal(ur_put_varint(&w, (int32_t)c->v), 0);
		assert_int_equal(w.len, c->n);
		assert_memory_equal(buf, c->b, c->n);
		assert_int_equal(
		    c->min ? ur_varlong_size(c->v, c->min) : ur_varint_size((int32_t)c->v), c->n);

		/* Every strict prefix is "need more", and consumes nothing. */
		for (size_t k = 0; k < c->n; k++) {
			int32_t v32;
			int64_t v64;

			ur_rbuf_init(&r, c->b, k);
			if (c->min)
				assert_int_equal(ur_get_varlong(&r, c->min, &v64, NULL), -ENODATA);
			else
				assert_int_equal(ur_get_varint(&r, &v32, NULL), -ENODATA);
			assert_int_equal(r.pos, 0);
		}
		ur_rbuf_init(&r, c->b, c->n);
		if (c->min) {
			int64_t v;

			assert_int_equal(ur_get_varlong(&r, c->min, &v, NULL), 0);
			assert_true(v == c->v);
		} else {
			int32_t v;

			assert_int_equal(ur_get_varint(&r, &v, NULL), 0);
			assert_int_equal(v, (int32_t)c->v);
		}
		assert_int_equal(r.pos, c->n);
	}
}

static void test_roundtrip(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		uint8_t buf[16];
		struct ur_wbuf w;
		struct ur_rbuf r;
		int64_t v, got;
		int32_t got32;
		int min = 3 + i % 6;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v = (int64_t)(x >> (i % 64));
		if (i & 1)
			v = -v;
		ur_wbuf_init(&w, buf, sizeof(buf));
		assert_int_equal(ur_put_varlong(&w, v, min), 0);
		ur_rbuf_init(&r, buf, w.len);
		assert_int_equal(ur_get_varlong(&r, min, &got, NULL), 0);
		assert_true(got == v);
		assert_int_equal(r.pos, w.len);

		ur_wbuf_init(&w, buf, sizeof(buf));
		assert_int_equal(ur_put_varint(&w, (int32_t)v), 0);
		ur_rbuf_init(&r, buf, w.len);
		assert_int_equal(ur_get_varint(&r, &got32, NULL), 0);
		assert_int_equal(got32, (int32_t)v);
	}
}

static void test_overflow(void **state)
{
	static const uint8_t six[] = {0xf8, 1, 2, 3, 4, 5, 6};
	static const uint8_t nine[] = {0xfe, 1, 2, 3, 4, 5, 6, 7, 8, 9};
	struct ur_err err = {0};
	struct ur_rbuf r;
	int32_t v;
	int64_t l;

	(void)state;
	ur_rbuf_init(&r, six, sizeof(six));
	assert_int_equal(ur_get_varint(&r, &v, &err), -EBADMSG);
	assert_int_equal(err.code, UR_EXIT_STREAMIO);
	assert_int_equal(r.pos, 0);
	/* min 4 + 6 extra bytes would be 10: more than a 64-bit value. */
	ur_rbuf_init(&r, nine, sizeof(nine));
	assert_int_equal(ur_get_varlong(&r, 4, &l, &err), -EBADMSG);
	/* min 3 + 6 is exactly 9 and fine. */
	ur_rbuf_init(&r, nine, sizeof(nine));
	assert_int_equal(ur_get_varlong(&r, 3, &l, &err), 0);
	assert_int_equal(r.pos, 9);
}

static void test_vstring(void **state)
{
	char big[300], out[400];
	uint8_t buf[400];
	struct ur_wbuf w;
	struct ur_rbuf r;
	struct ur_err err = {0};
	size_t len;

	(void)state;
	memset(big, 'q', sizeof(big));
	ur_wbuf_init(&w, buf, sizeof(buf));
	assert_int_equal(ur_put_vstring(&w, big, 300), 0);
	assert_int_equal(buf[0], 0x81);
	assert_int_equal(buf[1], 0x2c);
	assert_int_equal(w.len, 302);
	ur_rbuf_init(&r, buf, w.len);
	assert_int_equal(ur_get_vstring(&r, out, sizeof(out), &len, &err), 0);
	assert_int_equal(len, 300);
	assert_memory_equal(out, big, 300);
	/* Too long for the caller's buffer: refused, nothing consumed. */
	ur_rbuf_init(&r, buf, w.len);
	assert_int_equal(ur_get_vstring(&r, out, 300, &len, &err), -EPROTO);
	assert_int_equal(r.pos, 0);
	ur_rbuf_init(&r, buf, 100);
	assert_int_equal(ur_get_vstring(&r, out, sizeof(out), &len, &err), -ENODATA);
	assert_int_equal(r.pos, 0);
	ur_wbuf_init(&w, buf, sizeof(buf));
	assert_int_equal(ur_put_vstring(&w, big, 0x8000), -EINVAL);
	ur_wbuf_init(&w, buf, 10);
	assert_int_equal(ur_put_vstring(&w, big, 20), -ENOBUFS);
	assert_int_equal(w.len, 0);
}

/* Index sequences with the bytes rsync 3.5.0 put on the wire for them. */
static void test_ndx_captured(void **state)
{
	/* The sender's list announcements in the p32 capture: list of
	 * directory 1 (-102), then of directory 2 (-103), then FLIST_EOF. */
	static const uint8_t neg[] = {0xff, 0x65, 0xff, 0x01, 0xff, 0xfe, 0x80, 0x02, 0x00, 0x00};
	static const int32_t neg_v[] = {-102, -103, UR_NDX_FLIST_EOF};
	/* The generator asks for 1, 3, 4, then goes back to 2 (absolute), done. */
	static const uint8_t pos[] = {0x02, 0x02, 0x01, 0xfe, 0x80, 0x02, 0x00, 0x00, 0x00};
	static const int32_t pos_v[] = {1, 3, 4, 2, UR_NDX_DONE};
	struct ur_ndx_state es, ds;
	uint8_t buf[32];
	struct ur_wbuf w;
	struct ur_rbuf r;
	int32_t v;

	(void)state;
	ur_ndx_init(&es);
	ur_ndx_init(&ds);
	ur_wbuf_init(&w, buf, sizeof(buf));
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(ur_ndx_encode(&es, neg_v[i], &w), 0);
	assert_int_equal(w.len, sizeof(neg));
	assert_memory_equal(buf, neg, sizeof(neg));
	ur_rbuf_init(&r, neg, sizeof(neg));
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(ur_ndx_decode(&ds, &r, &v, NULL), 0);
		assert_int_equal(v, neg_v[i]);
	}

	ur_ndx_init(&es);
	ur_ndx_init(&ds);
	ur_wbuf_init(&w, buf, sizeof(buf));
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(ur_ndx_encode(&es, pos_v[i], &w), 0);
	assert_int_equal(w.len, sizeof(pos));
	assert_memory_equal(buf, pos, sizeof(pos));
	ur_rbuf_init(&r, pos, sizeof(pos));
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(ur_ndx_decode(&ds, &r, &v, NULL), 0);
		assert_int_equal(v, pos_v[i]);
	}
}

static void test_ndx_forms(void **state)
{
	static const int32_t seq[] = {0,  1,  254,  255,     600,	600, 40000, 5,		5,
				      -2, -3, -200, -100000, INT32_MAX, 0,   -1,    -INT32_MAX, 7};
	struct ur_ndx_state es, ds;
	uint8_t buf[256];
	struct ur_wbuf w;
	struct ur_rbuf r;
	int32_t v;

	(void)state;
	ur_ndx_init(&es);
	ur_ndx_init(&ds);
	ur_wbuf_init(&w, buf, sizeof(buf));
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++)
		assert_int_equal(ur_ndx_encode(&es, seq[i], &w), 0);
	assert_int_equal(ur_ndx_encode(&es, INT32_MIN, &w), -EINVAL);
	/* Feed one byte more each time: -ENODATA until an index completes. */
	size_t end = 0;

	ur_rbuf_init(&r, buf, 0);
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		int rc;

		while ((rc = ur_ndx_decode(&ds, &r, &v, NULL)) == -ENODATA) {
			assert_true(end < w.len);
			r.len = ++end;
		}
		assert_int_equal(rc, 0);
		assert_int_equal(v, seq[i]);
	}
	assert_int_equal(r.pos, w.len);

	/* A relative step past INT32_MAX is refused. */
	static const uint8_t bad[] = {0xfe, 0xff, 0xff, 0xff, 0xff, 0x05};
	struct ur_err err = {0};

	ur_ndx_init(&ds);
	ur_rbuf_init(&r, bad, sizeof(bad));
	assert_int_equal(ur_ndx_decode(&ds, &r, &v, &err), 0);
	assert_int_equal(v, INT32_MAX);
	assert_int_equal(ur_ndx_decode(&ds, &r, &v, &err), -EPROTO);
	assert_int_equal(r.pos, 5);
	/* The buffer too small: nothing written, state unchanged. */
	ur_ndx_init(&es);
	ur_wbuf_init(&w, buf, 2);
	assert_int_equal(ur_ndx_encode(&es, 100000, &w), -ENOBUFS);
	assert_int_equal(w.len, 0);
	assert_int_equal(es.prev_pos, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_known_encodings), cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_overflow),	    cmocka_unit_test(test_vstring),
	    cmocka_unit_test(test_ndx_captured),    cmocka_unit_test(test_ndx_forms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
