/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer target for src/checksum/, a differential one: every rolling
 * sum version must equal the scalar one, rolling a window along the input
 * must give each window's sum, and each kind's streaming sum, fed in
 * pieces cut by the input's first bytes, must equal the one-shot block sum
 * with seed 0 (which every kind leaves out).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "checksum/checksum.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_rolling(const uint8_t *data, size_t size)
{
	uint32_t want = ur_rolling_sum_scalar(data, size);

	for (int impl = UR_ROLL_UNROLLED; impl <= UR_ROLL_AVX2; impl++)
		if (ur_rolling_impl_available((enum ur_roll_impl)impl) &&
		    ur_rolling_sum_with((enum ur_roll_impl)impl, data, size) != want)
			abort();
	if (ur_rolling_sum(data, size) != want)
		abort();
}

static void check_roll(const uint8_t *data, size_t size, size_t blen)
{
	if (blen == 0 || blen > size)
		return;
	uint32_t sum = ur_rolling_sum(data, blen);

	for (size_t off = 1; off + blen <= size && off < 512; off++) {
		sum = ur_rolling_roll(sum, blen, data[off - 1], data[off + blen - 1]);
		if (sum != ur_rolling_sum_scalar(data + off, blen))
			abort();
	}
}

static void check_stream(enum ur_sum_kind k, const uint8_t *data, size_t size, uint8_t cut)
{
	struct ur_sum_ctx c;
	uint8_t a[UR_SUM_MAX_LEN], b[UR_SUM_MAX_LEN];
	size_t step = (size_t)cut % 97 + 1;

	if (!ur_sum_supported(k))
		return;
	if (ur_sum_init(&c, k, 0) != ur_sum_len(k))
		abort();
	for (size_t i = 0; i < size; i += step, step = step * 7 % 131 + 1)
		ur_sum_update(&c, data + i, size - i < step ? size - i : step);
	if (ur_sum_final(&c, a) != ur_sum_len(k) ||
	    ur_sum_block(k, 0, true, data, size, b) != ur_sum_len(k) ||
	    memcmp(a, b, (size_t)ur_sum_len(k)) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum ur_sum_kind kinds[] = {UR_SUM_MD4, UR_SUM_MD5, UR_SUM_XXH64,
						 UR_SUM_XXH3_64, UR_SUM_XXH3_128};
	uint8_t cut = size ? data[0] : 0;

	check_rolling(data, size);
	for (size_t off = 1; off < 4 && off < size; off++)
		check_rolling(data + off, size - off);
	check_roll(data, size, size > 1 ? (size_t)data[1] % 200 + 1 : 1);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		check_stream(kinds[i], data, size, cut);
	return 0;
}
