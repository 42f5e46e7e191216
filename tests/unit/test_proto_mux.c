/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The multiplexed frame reader and header codec, driven with what an rsync
 * 3.5.0 server sent after its handshake (p32_aHD_s2c_mux, captured by
 * tests/unit/data/gen_proto_vectors.py) and with hand-made bad frames.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto/mux.h"
#include "data/proto_vectors.h"

/* Run the reader over in, n bytes at a time; collect the data stream in
 * out and count the frames of each kind. */
static size_t demux(const uint8_t *in, size_t len, size_t step, uint8_t *out, size_t cap,
		    int *frames, int *others)
{
	struct ur_mux_reader r;
	struct ur_mux_event ev;
	size_t pos = 0, got = 0;

	ur_mux_reader_init(&r);
	*frames = *others = 0;
	while (pos < len) {
		size_t n = len - pos < step ? len - pos : step;
		ssize_t used = ur_mux_read(&r, in + pos, n, &ev, NULL);

		assert_true(used >= 0);
		pos += (size_t)used;
		if (ev.tag == UR_MSG_DATA) {
			assert_true(got + ev.len <= cap);
			memcpy(out + got, ev.data, ev.len);
			got += ev.len;
			if (ev.last)
				(*frames)++;
		} else if (ev.tag != UR_MUX_NONE) {
			(*others)++;
		}
	}
	assert_true(ur_mux_reader_idle(&r));
	return got;
}

static void test_captured_stream(void **state)
{
	uint8_t out[4096];
	int frames, others;

	(void)state;
	for (size_t step = 1; step <= 64; step = step * 2 + 1) {
		size_t n = demux(p32_aHD_s2c_mux, sizeof(p32_aHD_s2c_mux), step, out, sizeof(out),
				 &frames, &others);

		assert_int_equal(n, sizeof(p32_aHD_gen));
		assert_memory_equal(out, p32_aHD_gen, n);
		assert_int_equal(others, 0);
		assert_true(frames >= 3);
	}
	/* The first header: a 3-byte data frame, "03 00 00 07". */
	uint8_t hdr[4];

	assert_int_equal(ur_mux_hdr_encode(hdr, UR_MSG_DATA, 3), 0);
	assert_memory_equal(hdr, p32_aHD_s2c_mux, 4);
}

static void test_messages(void **state)
{
	/* An INFO line, an IO_ERROR int, a NOOP, ERROR_EXIT with and without
	 * its code, then data. */
	uint8_t buf[128];
	size_t n = 0;
	struct ur_mux_reader r;
	struct ur_mux_event ev;
	static const char line[] = "hello\n";
	int seen[5] = {0};

	(void)state;
	assert_int_equal(ur_mux_hdr_encode(buf + n, UR_MSG_INFO, 6), 0);
	n += 4;
	memcpy(buf + n, line, 6);
	n += 6;
	assert_int_equal(ur_mux_hdr_encode(buf + n, UR_MSG_IO_ERROR, 4), 0);
	n += 4;
	memcpy(buf + n, "\x01\0\0\0", 4);
	n += 4;
	assert_int_equal(ur_mux_hdr_encode(buf + n, UR_MSG_NOOP, 0), 0);
	n += 4;
	assert_int_equal(ur_mux_hdr_encode(buf + n, UR_MSG_ERROR_EXIT, 0), 0);
	n += 4;
	assert_int_equal(ur_mux_hdr_encode(buf + n, UR_MSG_ERROR_EXIT, 4), 0);
	n += 4;
	memcpy(buf + n, "\x17\0\0\0", 4);
	n += 4;
	/* MSG_INFO is tag 2: header byte 3 is 7 + 2. */
	assert_int_equal(buf[3], 9);

	ur_mux_reader_init(&r);
	for (size_t pos = 0; pos < n;) {
		ssize_t used = ur_mux_read(&r, buf + pos, n - pos, &ev, NULL);

		assert_true(used >= 0);
		pos += (size_t)used;
		switch (ev.tag) {
		case UR_MSG_INFO:
			assert_int_equal(ev.len, 6);
			assert_memory_equal(ev.data, line, 6);
			seen[0]++;
			break;
		case UR_MSG_IO_ERROR:
			assert_int_equal(ev.len, 4);
			assert_int_equal(ev.data[0], 1);
			seen[1]++;
			break;
		case UR_MSG_NOOP:
			seen[2]++;
			break;
		case UR_MSG_ERROR_EXIT:
			seen[ev.len ? 4 : 3]++;
			break;
		default:
			assert_int_equal(ev.tag, UR_MUX_NONE);
		}
	}
	for (int i = 0; i < 5; i++)
		assert_int_equal(seen[i], 1);
}

static void test_rejects(void **state)
{
	struct {
		uint32_t word;
	} bad[] = {
	    {(uint32_t)(7 + 11) << 24 | 0},   /* tag 11: unknown */
	    {(uint32_t)(7 + 103) << 24 | 4},  /* tag 103: unknown */
	    {(uint32_t)0 << 24 | 4},	      /* tag -7 */
	    {(uint32_t)(7 + 9) << 24 | 5},    /* MSG_REDO must be 4 bytes */
	    {(uint32_t)(7 + 42) << 24 | 1},   /* MSG_NOOP must be empty */
	    {(uint32_t)(7 + 2) << 24 | 5120}, /* text past rsync's buffer */
	    {(uint32_t)(7 + 100) << 24 | 8},  /* MSG_SUCCESS 4 or 20 */
	    {(uint32_t)(7 + 86) << 24 | 2},   /* MSG_ERROR_EXIT 0 or 4 */
	};
	struct ur_mux_reader r;
	struct ur_mux_event ev;
	struct ur_err err = {0};
	uint8_t h[4];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		h[0] = (uint8_t)bad[i].word;
		h[1] = (uint8_t)(bad[i].word >> 8);
		h[2] = (uint8_t)(bad[i].word >> 16);
		h[3] = (uint8_t)(bad[i].word >> 24);
		ur_mux_reader_init(&r);
		assert_int_equal(ur_mux_read(&r, h, 3, &ev, &err), 3);
		assert_int_equal(ev.tag, UR_MUX_NONE);
		assert_int_equal(ur_mux_read(&r, h + 3, 1, &ev, &err), -EPROTO);
		assert_int_equal(err.code, UR_EXIT_PROTOCOL);
	}
	assert_int_equal(ur_mux_hdr_encode(h, UR_MSG_DATA, 0x1000000), -EINVAL);
	assert_int_equal(ur_mux_hdr_encode(h, (enum ur_msg_tag)11, 0), -EINVAL);
	assert_int_equal(ur_mux_hdr_encode(h, UR_MSG_DATA, 0xFFFFFF), 0);
	assert_int_equal(ur_mux_hdr_check(UR_MSG_SUCCESS, 20, NULL), 0);
	assert_int_equal(ur_mux_hdr_check(UR_MSG_STATS, 8, NULL), 0);
}

static void test_table(void **state)
{
	size_t n;
	const struct ur_msg_info *t = ur_msg_table(&n);

	(void)state;
	assert_int_equal(n, 18);
	for (size_t i = 0; i < n; i++) {
		assert_ptr_equal(ur_msg_lookup((int)t[i].tag), &t[i]);
		assert_non_null(t[i].name);
	}
	assert_string_equal(ur_msg_name(UR_MSG_NO_SEND), "MSG_NO_SEND");
	assert_string_equal(ur_msg_name(UR_MSG_ERROR_UTF8), "MSG_ERROR_UTF8");
	assert_null(ur_msg_name(11));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_captured_stream),
	    cmocka_unit_test(test_messages),
	    cmocka_unit_test(test_rejects),
	    cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
