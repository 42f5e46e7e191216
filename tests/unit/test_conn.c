/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * wire/conn.c, the buffered multiplexed connection, over socket pairs:
 * frames written are rsync's frames, messages reach the handler in order
 * with the data, bytes read ahead before multiplexing starts are parsed as
 * frames afterwards, a peer that closes is an error with rsync's wording,
 * and two ends that both write a lot do not deadlock.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "wire/conn.h"

static void pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
}

/* Frames on the wire: header (7 + tag) << 24 | len, little-endian. */
static void test_frames_written(void **state)
{
	int sv[2];
	struct ur_conn c;
	uint8_t buf[64];
	(void)state;

	pair(sv);
	assert_int_equal(ur_conn_init(&c, sv[0], sv[0], 5), 0);
	c.mux_out = true;
	assert_int_equal(ur_conn_write_int(&c, 0x01020304), 0);
	assert_int_equal(ur_conn_send_msg(&c, UR_MSG_INFO, "hi\n", 3), 0);
	assert_int_equal(ur_conn_write_ndx(&c, 0), 0);
	assert_int_equal(ur_conn_flush(&c), 0);
	ssize_t n = read(sv[1], buf, sizeof(buf));
	const uint8_t want[] = {
	    4, 0, 0, 7, 4, 3, 2, 1,	 /* MSG_DATA, 4 bytes (data goes first) */
	    3, 0, 0, 9, 'h', 'i', '\n', /* MSG_INFO */
	    1, 0, 0, 7, 1,		 /* MSG_DATA: index 0 is a difference of 1 */
	};
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	ur_conn_free(&c);
	close(sv[0]);
	close(sv[1]);
}

struct seen {
	int tags[8];
	int n;
};

static int on_msg(struct ur_conn *c, int tag, const uint8_t *data, size_t len)
{
	struct seen *s = c->ctx;
	(void)data;
	(void)len;
	if (s->n < 8)
		s->tags[s->n++] = tag;
	return tag == UR_MSG_NO_SEND ? 1 : 0;
}

/* Messages between data reach the handler; a handler that asks to look
 * (MSG_NO_SEND) interrupts the read with -EINTR and the data is still
 * there afterwards. */
static void test_messages_and_interrupt(void **state)
{
	int sv[2];
	struct ur_conn c;
	struct seen s = {0};
	(void)state;

	pair(sv);
	const uint8_t in[] = {
	    2, 0, 0, 7, 'a', 'b',	    /* data "ab" */
	    2, 0, 0, 11, 'w', '\n',	    /* MSG_WARNING */
	    4, 0, 0, 109, 5, 0, 0, 0,   /* MSG_NO_SEND 5 */
	    1, 0, 0, 7, 'c',		    /* data "c" */
	};
	assert_int_equal(write(sv[1], in, sizeof(in)), (ssize_t)sizeof(in));
	assert_int_equal(ur_conn_init(&c, sv[0], sv[0], 5), 0);
	c.mux_in = true;
	c.ctx = &s;
	c.on_msg = on_msg;
	uint8_t got[3];
	assert_int_equal(ur_conn_read(&c, got, 2), 0);
	assert_memory_equal(got, "ab", 2);
	/* The data before the message came out; the handler saw both
	 * messages, and the reader goes on with the next data. */
	assert_int_equal(s.n, 2);
	assert_int_equal(s.tags[0], UR_MSG_WARNING);
	assert_int_equal(s.tags[1], UR_MSG_NO_SEND);
	assert_int_equal(ur_conn_read(&c, got, 1), 0);
	assert_int_equal(got[0], 'c');
	/* With no data before it, an interrupting message stops the read. */
	const uint8_t in2[] = {4, 0, 0, 109, 6, 0, 0, 0};
	assert_int_equal(write(sv[1], in2, sizeof(in2)), (ssize_t)sizeof(in2));
	assert_int_equal(ur_conn_read(&c, got, 1), -EINTR);
	assert_int_equal(s.n, 3);
	ur_conn_free(&c);
	close(sv[0]);
	close(sv[1]);
}

/* What was read ahead as plain data during the handshake is parsed as
 * frames once multiplexing starts (a regression: it used to be taken as
 * data, and garbage after a version hung the client). */
static void test_read_ahead_reparsed(void **state)
{
	int sv[2];
	struct ur_conn c;
	(void)state;

	pair(sv);
	const uint8_t in[] = {32, 0, 0, 0, /* version */ 1, 0, 0, 7, 'x', '1', '.', '0', ' '};
	assert_int_equal(write(sv[1], in, sizeof(in)), (ssize_t)sizeof(in));
	assert_int_equal(ur_conn_init(&c, sv[0], sv[0], 5), 0);
	int32_t v;
	assert_int_equal(ur_conn_read_int(&c, &v), 0);
	assert_int_equal(v, 32);
	assert_int_equal(ur_conn_start_mux_in(&c), 0);
	uint8_t b;
	assert_int_equal(ur_conn_read_u8(&c, &b), 0);
	assert_int_equal(b, 'x');
	/* "1.0 " as a header: tag 0x31 - 7, which rsync has not. */
	assert_true(ur_conn_read_u8(&c, &b) < 0);
	assert_int_equal(c.err.code, 12);
	assert_non_null(strstr(c.err.msg, "unexpected tag"));
	ur_conn_free(&c);
	close(sv[0]);
	close(sv[1]);
}

/* The peer closing mid-frame: rsync's "connection unexpectedly closed". */
static void test_eof(void **state)
{
	int sv[2];
	struct ur_conn c;
	(void)state;

	pair(sv);
	const uint8_t in[] = {9, 0, 0, 7, 'a'};
	assert_int_equal(write(sv[1], in, sizeof(in)), (ssize_t)sizeof(in));
	close(sv[1]);
	assert_int_equal(ur_conn_init(&c, sv[0], sv[0], 5), 0);
	c.mux_in = true;
	c.role = "Receiver";
	uint8_t got[9];
	assert_true(ur_conn_read(&c, got, 9) < 0);
	assert_int_equal(c.err.code, 12);
	assert_string_equal(c.err.msg,
			    "connection unexpectedly closed (5 bytes received so far) [Receiver]");
	ur_conn_free(&c);
	close(sv[0]);
}

/* Both ends write 4 MiB before reading: buffering both ways while
 * waiting keeps them from deadlocking (rsync's own I/O loop does the same). */
static void test_no_deadlock(void **state)
{
	int sv[2];
	(void)state;

	pair(sv);
	const size_t big = 4 << 20;
	uint8_t *chunk = calloc(1, 65536);
	assert_non_null(chunk);
	pid_t pid = fork();
	assert_true(pid >= 0);
	int fd = pid == 0 ? sv[1] : sv[0];
	close(pid == 0 ? sv[0] : sv[1]);
	struct ur_conn c;
	assert_int_equal(ur_conn_init(&c, fd, fd, 10), 0);
	c.mux_in = c.mux_out = true;
	int rc = 0;
	for (size_t i = 0; i < big && rc == 0; i += 65536)
		rc = ur_conn_write(&c, chunk, 65536);
	if (rc == 0)
		rc = ur_conn_flush(&c);
	for (size_t i = 0; i < big && rc == 0; i += 65536)
		rc = ur_conn_read(&c, chunk, 65536);
	ur_conn_free(&c);
	free(chunk);
	if (pid == 0)
		_exit(rc == 0 ? 0 : 1);
	assert_int_equal(rc, 0);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(fd);
}

/* A long stream to a reader that keeps up reuses the output buffer (a
 * regression: written bytes stayed in front of it and it grew with the
 * stream, 256 MiB for a 256 MiB file). */
static void test_stream_buffer_bounded(void **state)
{
	int sv[2];
	(void)state;

	pair(sv);
	const size_t total = 32 << 20;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		static uint8_t buf[1 << 16];
		size_t got = 0;
		ssize_t n;
		while ((n = read(sv[1], buf, sizeof(buf))) > 0)
			got += (size_t)n;
		_exit(got >= total ? 0 : 1);
	}
	close(sv[1]);
	struct ur_conn c;
	assert_int_equal(ur_conn_init(&c, sv[0], sv[0], 10), 0);
	c.mux_out = true;
	uint8_t *chunk = calloc(1, 32768);
	assert_non_null(chunk);
	for (size_t i = 0; i < total; i += 32768)
		assert_int_equal(ur_conn_write(&c, chunk, 32768), 0);
	assert_int_equal(ur_conn_flush(&c), 0);
	assert_true(c.ocap <= (size_t)4 << 20);
	ur_conn_free(&c);
	free(chunk);
	close(sv[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* A silent peer: --timeout's message and exit code 30. */
static void test_timeout(void **state)
{
	int sv[2];
	struct ur_conn c;
	(void)state;

	pair(sv);
	assert_int_equal(ur_conn_init(&c, sv[0], sv[0], 1), 0);
	c.role = "Receiver";
	uint8_t b;
	assert_int_equal(ur_conn_read_u8(&c, &b), -ETIMEDOUT);
	assert_int_equal(c.err.code, 30);
	assert_string_equal(c.err.msg, "[Receiver] io timeout after 1 seconds -- exiting");
	ur_conn_free(&c);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_frames_written),	   cmocka_unit_test(test_messages_and_interrupt),
	    cmocka_unit_test(test_read_ahead_reparsed), cmocka_unit_test(test_eof),
	    cmocka_unit_test(test_no_deadlock),	   cmocka_unit_test(test_timeout),
	    cmocka_unit_test(test_stream_buffer_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
