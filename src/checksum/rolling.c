/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The rolling sum over a block. Over n bytes x[0..n-1] (signed chars),
 * s1 = sum x[i] and s2 = sum (n - i) * x[i]; only the low 16 bits of each
 * reach the wire, so every version computes mod 2^32 and never needs to
 * worry about lanes overflowing.
 *
 * A run of B-byte pieces splits s2 into three parts the vector versions
 * keep per lane: the pieces' own weighted sums (weights B..1), and B times
 * the s1 carried into each piece (the sum of the running s1 before each).
 */
#include "checksum/checksum.h"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define ROLL_X86 1
#include <immintrin.h>
#else
#define ROLL_X86 0
#endif

static uint32_t pack(uint32_t s1, uint32_t s2)
{
	return (s1 & 0xffff) | (s2 << 16);
}

static uint32_t sx(uint8_t b)
{
	return (uint32_t)(int32_t)(int8_t)b;
}

/* The tail after the vector pieces, and the whole scalar version. */
static uint32_t finish(const uint8_t *p, size_t len, uint32_t s1, uint32_t s2)
{
	for (size_t i = 0; i < len; i++) {
		s1 += sx(p[i]);
		s2 += s1;
	}
	return pack(s1, s2);
}

uint32_t ur_rolling_sum_scalar(const void *buf, size_t len)
{
	return finish(buf, len, 0, 0);
}

/* Four bytes a step, for machines without a vector version. */
static uint32_t rolling_unrolled(const uint8_t *p, size_t len)
{
	uint32_t s1 = 0, s2 = 0;
	size_t i = 0;

	for (; i + 4 <= len; i += 4) {
		uint32_t a = sx(p[i]), b = sx(p[i + 1]), c = sx(p[i + 2]), d = sx(p[i + 3]);

		s2 += 4 * (s1 + a) + 3 * b + 2 * c + d;
		s1 += a + b + c + d;
	}
	return finish(p + i, len - i, s1, s2);
}

#if ROLL_X86
__attribute__((target("sse2"))) static uint32_t hsum128(__m128i v)
{
	v = _mm_add_epi32(v, _mm_shuffle_epi32(v, 0x4e));
	v = _mm_add_epi32(v, _mm_shuffle_epi32(v, 0xb1));
	return (uint32_t)_mm_cvtsi128_si32(v);
}

__attribute__((target("sse2"))) static uint32_t rolling_sse2(const uint8_t *p, size_t len)
{
	const __m128i w0 = _mm_setr_epi16(16, 15, 14, 13, 12, 11, 10, 9);
	const __m128i w1 = _mm_setr_epi16(8, 7, 6, 5, 4, 3, 2, 1);
	const __m128i one = _mm_set1_epi16(1);
	__m128i vs1 = _mm_setzero_si128(), vs2 = vs1, vps = vs1;
	size_t n = len / 16;

	for (size_t i = 0; i < n; i++, p += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
		/* Each byte doubled into a 16-bit lane, shifted down: sign-extended. */
		__m128i lo = _mm_srai_epi16(_mm_unpacklo_epi8(x, x), 8);
		__m128i hi = _mm_srai_epi16(_mm_unpackhi_epi8(x, x), 8);

		vps = _mm_add_epi32(vps, vs1);
		vs1 = _mm_add_epi32(vs1, _mm_madd_epi16(_mm_add_epi16(lo, hi), one));
		vs2 = _mm_add_epi32(vs2,
				    _mm_add_epi32(_mm_madd_epi16(lo, w0), _mm_madd_epi16(hi, w1)));
	}
	return finish(p, len % 16, hsum128(vs1), hsum128(vs2) + 16 * hsum128(vps));
}

__attribute__((target("avx2"))) static uint32_t rolling_avx2(const uint8_t *p, size_t len)
{
	const __m256i w0 =
	    _mm256_setr_epi16(32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17);
	const __m256i w1 = _mm256_setr_epi16(16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1);
	const __m256i one = _mm256_set1_epi16(1);
	__m256i vs1 = _mm256_setzero_si256(), vs2 = vs1, vps = vs1;
	size_t n = len / 32;

	for (size_t i = 0; i < n; i++, p += 32) {
		__m256i lo =
		    _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)p));
		__m256i hi =
		    _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)(p + 16)));

		vps = _mm256_add_epi32(vps, vs1);
		vs1 = _mm256_add_epi32(vs1, _mm256_madd_epi16(_mm256_add_epi16(lo, hi), one));
		vs2 = _mm256_add_epi32(
		    vs2, _mm256_add_epi32(_mm256_madd_epi16(lo, w0), _mm256_madd_epi16(hi, w1)));
	}
	__m128i s1 = _mm_add_epi32(_mm256_castsi256_si128(vs1), _mm256_extracti128_si256(vs1, 1));
	__m128i s2 = _mm_add_epi32(_mm256_castsi256_si128(vs2), _mm256_extracti128_si256(vs2, 1));
	__m128i ps = _mm_add_epi32(_mm256_castsi256_si128(vps), _mm256_extracti128_si256(vps, 1));
	return finish(p, len % 32, hsum128(s1), hsum128(s2) + 32 * hsum128(ps));
}
#endif

bool ur_rolling_impl_available(enum ur_roll_impl impl)
{
	switch (impl) {
	case UR_ROLL_SCALAR:
	case UR_ROLL_UNROLLED:
		return true;
#if ROLL_X86
	case UR_ROLL_SSE2:
		return __builtin_cpu_supports("sse2");
	case UR_ROLL_AVX2:
		return __builtin_cpu_supports("avx2");
#else
	default:
		return false;
#endif
	}
	return false;
}

uint32_t ur_rolling_sum_with(enum ur_roll_impl impl, const void *buf, size_t len)
{
	if (!ur_rolling_impl_available(impl))
		impl = UR_ROLL_SCALAR;
	switch (impl) {
#if ROLL_X86
	case UR_ROLL_SSE2:
		return rolling_sse2(buf, len);
	case UR_ROLL_AVX2:
		return rolling_avx2(buf, len);
#endif
	case UR_ROLL_UNROLLED:
		return rolling_unrolled(buf, len);
	default:
		return ur_rolling_sum_scalar(buf, len);
	}
}

enum ur_roll_impl ur_rolling_best(void)
{
	if (ur_rolling_impl_available(UR_ROLL_AVX2))
		return UR_ROLL_AVX2;
	if (ur_rolling_impl_available(UR_ROLL_SSE2))
		return UR_ROLL_SSE2;
	return UR_ROLL_UNROLLED;
}

uint32_t ur_rolling_sum(const void *buf, size_t len)
{
#if ROLL_X86
	/* Short blocks are not worth the vector set-up. */
	if (len >= 64 && __builtin_cpu_supports("avx2"))
		return rolling_avx2(buf, len);
	if (len >= 32 && __builtin_cpu_supports("sse2"))
		return rolling_sse2(buf, len);
#endif
	return rolling_unrolled(buf, len);
}
