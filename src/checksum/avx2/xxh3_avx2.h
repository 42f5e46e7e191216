/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_CHECKSUM_XXH3_AVX2_H
#define UR_CHECKSUM_XXH3_AVX2_H

/* XXH3 built for AVX2 (xxh3_avx2.c): call only where the CPU has AVX2.
 * state is an XXH3_state_t set up by the library's reset; wide picks the
 * 128-bit variant. The 128-bit results come as their two halves. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void ur_xxh3_update_avx2(void *state, bool wide, const void *p, size_t n);
uint64_t ur_xxh3_digest64_avx2(const void *state);
void ur_xxh3_digest128_avx2(const void *state, uint64_t *lo, uint64_t *hi);
uint64_t ur_xxh3_64_avx2(const void *p, size_t n, uint64_t seed);
void ur_xxh3_128_avx2(const void *p, size_t n, uint64_t seed, uint64_t *lo, uint64_t *hi);

#endif
