/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Whole-file and block sums of each checksum kind, and the signature
 * shape (block length, strong-sum length) rsync picks for a basis file.
 */
#include <errno.h>
#include <string.h>

#include "config.h"

#include "checksum/checksum.h"
#include "checksum/md_int.h"

#if HAVE_LIBCRYPTO
/* SHA1_Init() and friends are deprecated in OpenSSL 3 in favour of EVP,
 * which allocates its context; the low-level calls keep ur_sum_ctx a
 * plain value and give the same digest. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
_Static_assert(sizeof(SHA_CTX) <= sizeof(((struct ur_sum_ctx *)0)->u.sha),
	       "ur_sum_ctx too small for SHA_CTX");

static SHA_CTX *sha_state(struct ur_sum_ctx *c)
{
	return (SHA_CTX *)(void *)c->u.sha;
}
#endif

#if HAVE_XXHASH
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>
_Static_assert(sizeof(XXH3_state_t) + 63 <= sizeof(((struct ur_sum_ctx *)0)->u.xxh),
	       "ur_sum_ctx too small for XXH3_state_t");
_Static_assert(sizeof(XXH64_state_t) + 63 <= sizeof(((struct ur_sum_ctx *)0)->u.xxh),
	       "ur_sum_ctx too small for XXH64_state_t");

#if UR_XXH3_AVX2
#include "checksum/avx2/xxh3_avx2.h"
/* XXH3 built for AVX2 where the CPU has it (avx2/xxh3_avx2.c). */
static bool xxh3_avx2(void)
{
	return __builtin_cpu_supports("avx2");
}
#else
static bool xxh3_avx2(void)
{
	return false;
}
#define ur_xxh3_update_avx2(s, w, p, n) ((void)0)
#define ur_xxh3_digest64_avx2(s) ((uint64_t)0)
#define ur_xxh3_digest128_avx2(s, lo, hi) ((void)0)
#define ur_xxh3_64_avx2(p, n, seed) ((uint64_t)0)
#define ur_xxh3_128_avx2(p, n, seed, lo, hi) ((void)0)
#endif

/* The state at the first 64-byte boundary in the context. */
static void *xxh_state(struct ur_sum_ctx *c)
{
	uintptr_t p = (uintptr_t)c->u.xxh;

	return c->u.xxh + ((64 - (p & 63)) & 63);
}
#endif

static bool is_xxh(enum ur_sum_kind k)
{
	return k == UR_SUM_XXH64 || k == UR_SUM_XXH3_64 || k == UR_SUM_XXH3_128;
}

/* The pre-27 MD4 kinds keep rsync's old padding bug. */
static bool md4_busted(enum ur_sum_kind k)
{
	return k == UR_SUM_MD4_BUSTED || k == UR_SUM_MD4_ARCHAIC;
}

int ur_sum_len(enum ur_sum_kind k)
{
	switch (k) {
	case UR_SUM_NONE:
		return 1;
	case UR_SUM_MD4:
	case UR_SUM_MD4_OLD:
	case UR_SUM_MD4_BUSTED:
	case UR_SUM_MD4_ARCHAIC:
	case UR_SUM_MD5:
	case UR_SUM_XXH3_128:
		return 16;
	case UR_SUM_XXH64:
	case UR_SUM_XXH3_64:
		return 8;
	case UR_SUM_SHA1:
		return 20;
	}
	return -EINVAL;
}

bool ur_sum_supported(enum ur_sum_kind k)
{
	if (ur_sum_len(k) < 0)
		return false;
	if (k == UR_SUM_SHA1)
		return HAVE_LIBCRYPTO;
	return HAVE_XXHASH || !is_xxh(k);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

#if HAVE_XXHASH
static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_xxh128(uint8_t *out, XXH128_hash_t h)
{
	put_le64(out, h.low64);
	put_le64(out + 8, h.high64);
}
#endif

/* The digest length of a kind this build can compute, or -errno. */
static int usable_len(enum ur_sum_kind k)
{
	int n = ur_sum_len(k);

	return n >= 0 && !ur_sum_supported(k) ? -ENOTSUP : n;
}

int ur_sum_init(struct ur_sum_ctx *c, enum ur_sum_kind k, int32_t seed)
{
	uint8_t s[4];
	int len = usable_len(k);

	if (len < 0)
		return len;
	c->kind = k;
	switch (k) {
	case UR_SUM_NONE:
		break;
	case UR_SUM_MD4_OLD:
	case UR_SUM_MD4_BUSTED:
	case UR_SUM_MD4_ARCHAIC:
		ur_md_init(&c->u.md);
		put_le32(s, (uint32_t)seed);
		ur_md4_update(&c->u.md, s, 4);
		break;
	case UR_SUM_MD4:
	case UR_SUM_MD5:
		ur_md_init(&c->u.md);
		break;
#if HAVE_LIBCRYPTO
	case UR_SUM_SHA1:
		SHA1_Init(sha_state(c));
		break;
#endif
#if HAVE_XXHASH
	/* rsync's whole-file xxhash sums are unseeded. */
	case UR_SUM_XXH64:
		XXH64_reset(xxh_state(c), 0);
		break;
	case UR_SUM_XXH3_64:
	case UR_SUM_XXH3_128: {
		XXH3_state_t *st = xxh_state(c);

		memset(st, 0, sizeof(*st));
		XXH3_INITSTATE(st);
		if (k == UR_SUM_XXH3_64)
			XXH3_64bits_reset(st);
		else
			XXH3_128bits_reset(st);
		break;
	}
#endif
	default: /* a kind this build lacks: refused by usable_len() */
		return -ENOTSUP;
	}
	return len;
}

void ur_sum_update(struct ur_sum_ctx *c, const void *p, size_t n)
{
	switch (c->kind) {
	case UR_SUM_NONE:
		break;
	case UR_SUM_MD4:
	case UR_SUM_MD4_OLD:
	case UR_SUM_MD4_BUSTED:
	case UR_SUM_MD4_ARCHAIC:
		ur_md4_update(&c->u.md, p, n);
		break;
	case UR_SUM_MD5:
		ur_md5_update(&c->u.md, p, n);
		break;
#if HAVE_LIBCRYPTO
	case UR_SUM_SHA1:
		SHA1_Update(sha_state(c), p, n);
		break;
#endif
#if HAVE_XXHASH
	case UR_SUM_XXH64:
		XXH64_update(xxh_state(c), p, n);
		break;
	case UR_SUM_XXH3_64:
	case UR_SUM_XXH3_128:
		if (xxh3_avx2())
			ur_xxh3_update_avx2(xxh_state(c), c->kind == UR_SUM_XXH3_128, p, n);
		else if (c->kind == UR_SUM_XXH3_64)
			XXH3_64bits_update(xxh_state(c), p, n);
		else
			XXH3_128bits_update(xxh_state(c), p, n);
		break;
#endif
	default: /* a kind this build lacks: refused by usable_len() */
		break;
	}
}

int ur_sum_final(struct ur_sum_ctx *c, uint8_t out[UR_SUM_MAX_LEN])
{
	switch (c->kind) {
	case UR_SUM_NONE:
		out[0] = 0;
		break;
	case UR_SUM_MD4:
	case UR_SUM_MD4_OLD:
	case UR_SUM_MD4_BUSTED:
	case UR_SUM_MD4_ARCHAIC:
		ur_md4_final(&c->u.md, md4_busted(c->kind), out);
		break;
	case UR_SUM_MD5:
		ur_md5_final(&c->u.md, out);
		break;
#if HAVE_LIBCRYPTO
	case UR_SUM_SHA1:
		SHA1_Final(out, sha_state(c));
		break;
#endif
#if HAVE_XXHASH
	case UR_SUM_XXH64:
		put_le64(out, XXH64_digest(xxh_state(c)));
		break;
	case UR_SUM_XXH3_64:
		put_le64(out, xxh3_avx2() ? ur_xxh3_digest64_avx2(xxh_state(c))
					  : XXH3_64bits_digest(xxh_state(c)));
		break;
	case UR_SUM_XXH3_128: {
		XXH128_hash_t h;

		if (xxh3_avx2())
			ur_xxh3_digest128_avx2(xxh_state(c), &h.low64, &h.high64);
		else
			h = XXH3_128bits_digest(xxh_state(c));
		put_xxh128(out, h);
		break;
	}
#endif
	default: /* a kind this build lacks: refused by usable_len() */
		return -ENOTSUP;
	}
	return ur_sum_len(c->kind);
}

int ur_sum_block(enum ur_sum_kind k, int32_t seed, bool seed_fix, const void *buf, size_t len,
		 uint8_t out[UR_SUM_MAX_LEN])
{
	struct ur_md_ctx m;
	uint8_t s[4];
	int n = usable_len(k);

	if (n < 0)
		return n;
	put_le32(s, (uint32_t)seed);
	switch (k) {
	case UR_SUM_NONE:
		out[0] = 0;
		break;
	case UR_SUM_MD5:
		/* Seed order is the point of CF_CHKSUM_SEED_FIX; a zero seed
		 * is not hashed at all. */
		ur_md_init(&m);
		if (seed && seed_fix)
			ur_md5_update(&m, s, 4);
		ur_md5_update(&m, buf, len);
		if (seed && !seed_fix)
			ur_md5_update(&m, s, 4);
		ur_md5_final(&m, out);
		break;
	case UR_SUM_MD4:
	case UR_SUM_MD4_OLD:
	case UR_SUM_MD4_BUSTED:
	case UR_SUM_MD4_ARCHAIC:
		/* rsync's own MD4 appends the seed whatever the flag says. */
		ur_md_init(&m);
		ur_md4_update(&m, buf, len);
		if (seed)
			ur_md4_update(&m, s, 4);
		ur_md4_final(&m, md4_busted(k), out);
		break;
#if HAVE_LIBCRYPTO
	case UR_SUM_SHA1: {
		/* rsync's get_checksum2 through OpenSSL: the seed first. */
		SHA_CTX sc;

		SHA1_Init(&sc);
		if (seed)
			SHA1_Update(&sc, s, 4);
		SHA1_Update(&sc, buf, len);
		SHA1_Final(out, &sc);
		break;
	}
#endif
#if HAVE_XXHASH
	/* rsync passes its int seed where xxhash wants a 64-bit one: a
	 * negative seed is sign-extended. */
	case UR_SUM_XXH64:
		put_le64(out, XXH64(buf, len, (uint64_t)(int64_t)seed));
		break;
	case UR_SUM_XXH3_64: {
		uint64_t sd = (uint64_t)(int64_t)seed;

		put_le64(out, xxh3_avx2() ? ur_xxh3_64_avx2(buf, len, sd)
					  : XXH3_64bits_withSeed(buf, len, sd));
		break;
	}
	case UR_SUM_XXH3_128: {
		uint64_t sd = (uint64_t)(int64_t)seed;
		XXH128_hash_t h;

		if (xxh3_avx2())
			ur_xxh3_128_avx2(buf, len, sd, &h.low64, &h.high64);
		else
			h = XXH3_128bits_withSeed(buf, len, sd);
		put_xxh128(out, h);
		break;
	}
#endif
	default: /* a kind this build lacks: refused by usable_len() */
		return -ENOTSUP;
	}
	return n;
}

int ur_sum_hex(enum ur_sum_kind k, const uint8_t *sum, char out[2 * UR_SUM_MAX_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	int n = ur_sum_len(k);
	bool reverse = is_xxh(k);

	if (n < 0 || k == UR_SUM_NONE || k == UR_SUM_MD4_OLD || md4_busted(k))
		return -EINVAL;
	for (int i = 0; i < n; i++) {
		uint8_t b = sum[reverse ? n - 1 - i : i];

		out[2 * i] = hex[b >> 4];
		out[2 * i + 1] = hex[b & 15];
	}
	out[2 * n] = '\0';
	return 2 * n;
}

int ur_sum_sizes(int64_t len, int32_t block_size_opt, int csum_length, int digest_len, int protocol,
		 struct ur_sum_sizes *out)
{
	int32_t max_s2 = digest_len < UR_SUM_FULL_LEN ? digest_len : UR_SUM_FULL_LEN;
	int32_t blength, s2length;
	int64_t count;

	memset(out, 0, sizeof(*out));
	if (len < 0)
		return -EOVERFLOW;
	if (block_size_opt < 0)
		return -EINVAL;

	if (block_size_opt)
		blength = block_size_opt;
	else if (len <= (int64_t)UR_BLOCK_SIZE * UR_BLOCK_SIZE)
		blength = UR_BLOCK_SIZE;
	else {
		/* The square root, rounded down to a multiple of 8, found bit
		 * by bit from the power of two just below it. */
		int32_t max = protocol < 30 ? UR_OLD_MAX_BLOCK_SIZE : UR_MAX_BLOCK_SIZE;
		int64_t c = 1;

		for (int64_t l = len; l >>= 2;)
			c <<= 1;
		if (c >= max)
			blength = max;
		else {
			int64_t b = 0;

			for (; c >= 8; c >>= 1) {
				b |= c;
				if (len < b * b)
					b &= ~c;
			}
			blength = b > UR_BLOCK_SIZE ? (int32_t)b : UR_BLOCK_SIZE;
		}
	}

	if (protocol < 27)
		s2length = csum_length;
	else if (csum_length == UR_SUM_FULL_LEN)
		s2length = max_s2;
	else {
		/* Enough bits for a 2^-10 chance of a false block match over
		 * the whole file: 10 + 2*log2(len) - log2(blength), less the
		 * 32 the rolling sum gives, in whole bytes. */
		int b = 10;

		for (int64_t l = len; l >>= 1;)
			b += 2;
		for (int32_t c = blength; (c >>= 1) && b;)
			b--;
		s2length = (b + 1 - 32 + 7) / 8;
		if (s2length < csum_length)
			s2length = csum_length;
		if (s2length > max_s2)
			s2length = max_s2;
	}

	out->flength = len;
	out->blength = blength;
	out->s2length = s2length;
	out->remainder = (int32_t)(len % blength);
	count = len / blength + (out->remainder != 0);
	if (count > INT32_MAX) {
		out->count = -1;
		return -EOVERFLOW;
	}
	out->count = (int32_t)count;
	return 0;
}
