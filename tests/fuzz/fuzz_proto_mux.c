/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer target for the multiplexed frame reader (src/proto/mux.c).
 * Byte 0 picks the chunk size the stream is fed in; the rest is the
 * stream. Checks: the reader never consumes more than it is given, data
 * pieces lie inside the input, messages respect the tag table's lengths,
 * and the data seen is the same whatever the chunking.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/mux.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Returns a checksum of the data stream and the number of messages. */
static uint64_t run(const uint8_t *in, size_t n, size_t step, size_t *msgs, int *rc_out)
{
	static struct ur_mux_reader r;
	struct ur_mux_event ev;
	struct ur_err err;
	uint64_t h = 1469598103934665603ull;
	size_t pos = 0;

	ur_mux_reader_init(&r);
	*msgs = 0;
	*rc_out = 0;
	while (pos < n) {
		size_t k = n - pos < step ? n - pos : step;
		ssize_t used = ur_mux_read(&r, in + pos, k, &ev, &err);

		if (used < 0) {
			if (used != -EPROTO)
				abort();
			*rc_out = (int)used;
			break;
		}
		if ((size_t)used > k)
			abort();
		if (ev.tag == UR_MSG_DATA) {
			if (ev.data < in + pos || ev.data + ev.len > in + pos + (size_t)used)
				abort();
			for (size_t i = 0; i < ev.len; i++)
				h = (h ^ ev.data[i]) * 1099511628211ull;
		} else if (ev.tag != UR_MUX_NONE) {
			const struct ur_msg_info *m = ur_msg_lookup(ev.tag);

			if (!m || (ev.len > m->max_len && ev.len != m->alt_len))
				abort();
			if (ev.len && ev.data[ev.len - 1] != ev.data[ev.len - 1])
				abort();
			(*msgs)++;
		}
		if (used == 0 && ev.tag == UR_MUX_NONE)
			abort(); /* no progress */
		pos += (size_t)used;
	}
	return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t m1, m2;
	int rc1, rc2;

	if (size < 1)
		return 0;
	uint64_t a = run(data + 1, size - 1, 1 + data[0] % 32, &m1, &rc1);
	uint64_t b = run(data + 1, size - 1, size, &m2, &rc2);

	if (rc1 != rc2 || (rc1 == 0 && (a != b || m1 != m2)))
		abort();
	return 0;
}
