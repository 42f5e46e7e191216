/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * checksum/: MD4 and MD5 against the RFC test suites; every kind's
 * whole-file sum, block sums and rolling sums against values rsync 3.5.0
 * produced; the rolling sum's versions against each other; the signature
 * shape against rsync's --debug=deltasum2 lines.
 *
 * Where the rsync values come from (all with rsync 3.5.0, protocol 32
 * unless said; pat(n) is the n bytes (i * 31 + 7) & 0xff):
 *  - whole-file sums: `rsync -a --out-format='%C %n' --checksum-choice=X`
 *    of files "", "abc", pat(55), pat(64), pat(1000), pat(100000) (the
 *    same with -c). %C prints xxhash sums as big-endian numbers.
 *  - legacy MD4 whole-file sums: the 16 bytes after a file's tokens in the
 *    client's stream of a push at --protocol=29/26/20 with
 *    --checksum-seed=305419896 (tests/unit/data/capture.sh as the shell).
 *  - block sums: the generator's sums in the server's stream of a push
 *    over a basis pat(10000) (15 blocks of 700) with --checksum-seed and
 *    --checksum-choice as given; s2length was 2, so 2 bytes per block.
 *  - sum sizes: `rsync --no-whole-file -a --debug=deltasum2` from a file
 *    onto a different file of the same size (sparse ones via truncate).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"

#include "checksum/checksum.h"

#if HAVE_XXHASH
#include <xxhash.h>
#endif

static uint8_t *pat(size_t n)
{
	uint8_t *p = malloc(n ? n : 1);

	assert_non_null(p);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 31 + 7);
	return p;
}

static void hex16(const uint8_t *b, int n, char *out)
{
	for (int i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

/* RFC 1320 A.5 and RFC 1321 A.5. */
static const char *const rfc_inputs[] = {
    "",
    "a",
    "abc",
    "message digest",
    "abcdefghijklmnopqrstuvwxyz",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
    "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
};
static const char *const rfc_md4[] = {
    "31d6cfe0d16ae931b73c59d7e0c089c0", "bde52cb31de33e46245e05fbdbd6fb24",
    "a448017aaf21d8525fc10ae87aa6729d", "d9130a8164549fe818874806e1c7014b",
    "d79e1c308aa5bbcdeea8ed63df412da9", "043f8582f241db351ce627e153e7f0e4",
    "e33b4ddc9c38f2199c3e7b164fcc0536",
};
static const char *const rfc_md5[] = {
    "d41d8cd98f00b204e9800998ecf8427e", "0cc175b9c0f1b6a831c399e269772661",
    "900150983cd24fb0d6963f7d28e17f72", "f96b697d7cb7938d525a2f31aaf161d0",
    "c3fcd3d76192e4007dfb496cca67e13b", "d174ab98d277d9f5a5611c2c9f419d9f",
    "57edf4a22be3c955ac49da2e2107b67a",
};

static void test_rfc_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rfc_inputs) / sizeof(rfc_inputs[0]); i++) {
		uint8_t d[UR_SUM_MAX_LEN];
		char h[2 * UR_SUM_MAX_LEN + 1];
		size_t n = strlen(rfc_inputs[i]);

		ur_md4(rfc_inputs[i], n, d);
		hex16(d, 16, h);
		assert_string_equal(h, rfc_md4[i]);
		ur_md5(rfc_inputs[i], n, d);
		hex16(d, 16, h);
		assert_string_equal(h, rfc_md5[i]);

		/* The same through the streaming API, a byte at a time. */
		struct ur_sum_ctx c;

		assert_int_equal(ur_sum_init(&c, UR_SUM_MD5, 77), 16);
		for (size_t j = 0; j < n; j++)
			ur_sum_update(&c, rfc_inputs[i] + j, 1);
		assert_int_equal(ur_sum_final(&c, d), 16);
		hex16(d, 16, h);
		assert_string_equal(h, rfc_md5[i]);
	}
}

/* sha1 (libcrypto's): FIPS 180 vectors whole and streamed, the block sum
 * with the seed first as rsync's OpenSSL path hashes it, the hex as the
 * bytes; without libcrypto the kind is refused. */
static void test_sha1(void **state)
{
	(void)state;
	uint8_t d[UR_SUM_MAX_LEN];
	char h[2 * UR_SUM_MAX_LEN + 1];
	struct ur_sum_ctx c;

	assert_int_equal(ur_sum_len(UR_SUM_SHA1), 20);
	if (!HAVE_LIBCRYPTO) {
		assert_false(ur_sum_supported(UR_SUM_SHA1));
		assert_int_equal(ur_sum_init(&c, UR_SUM_SHA1, 0), -ENOTSUP);
		assert_int_equal(ur_sum_block(UR_SUM_SHA1, 0, true, "abc", 3, d), -ENOTSUP);
		return;
	}
	assert_true(ur_sum_supported(UR_SUM_SHA1));
	assert_int_equal(ur_sum_init(&c, UR_SUM_SHA1, 99), 20); /* the seed is not hashed */
	ur_sum_update(&c, "ab", 2);
	ur_sum_update(&c, "c", 1);
	assert_int_equal(ur_sum_final(&c, d), 20);
	assert_int_equal(ur_sum_hex(UR_SUM_SHA1, d, h), 40);
	assert_string_equal(h, "a9993e364706816aba3e25717850c26c9cd0d89d");

	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	assert_int_equal(ur_sum_block(UR_SUM_SHA1, 0, true, two, strlen(two), d), 20);
	hex16(d, 20, h);
	assert_string_equal(h, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");

	uint8_t *a = malloc(1000000);
	assert_non_null(a);
	memset(a, 'a', 1000000);
	ur_sum_init(&c, UR_SUM_SHA1, 0);
	for (size_t off = 0; off < 1000000; off += 4093)
		ur_sum_update(&c, a + off, 1000000 - off < 4093 ? 1000000 - off : 4093);
	ur_sum_final(&c, d);
	hex16(d, 20, h);
	assert_string_equal(h, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");

	/* seed (4 little-endian bytes) first, with or without the seed fix */
	for (int fix = 0; fix < 2; fix++) {
		assert_int_equal(ur_sum_block(UR_SUM_SHA1, 0x12345678, fix, "abc", 3, d), 20);
		hex16(d, 20, h);
		assert_string_equal(h, "d3e61ddc0c84883a9f1e2e76eba65782e2cd74ee");
	}
	memset(a, 'x', 1000);
	ur_sum_block(UR_SUM_SHA1, -5, true, a, 1000, d);
	hex16(d, 20, h);
	assert_string_equal(h, "ab05d3eaa234ceb7ea3063a4198fb990fc885194");
	free(a);
}

static const char *const kind_names[] = {"md4", "md5", "xxh64", "xxh3", "xxh128"};
static const enum ur_sum_kind kinds[] = {UR_SUM_MD4, UR_SUM_MD5, UR_SUM_XXH64, UR_SUM_XXH3_64,
					 UR_SUM_XXH3_128};
static const size_t wf_sizes[] = {0, 3, 55, 64, 1000, 100000};
/* rsync's %C for each kind (rows) and file (columns); "abc" is the 3-byte file. */
static const char *const wf_hex[5][6] = {
    {"31d6cfe0d16ae931b73c59d7e0c089c0", "a448017aaf21d8525fc10ae87aa6729d",
     "f110267076a681063d6517cda2590dab", "1163fe2c9c696de2f357074d3d207ab6",
     "a1449ce09255ece450ace1589258503a", "6cc15f54fc49e226eca1d0de6a806563"},
    {"d41d8cd98f00b204e9800998ecf8427e", "900150983cd24fb0d6963f7d28e17f72",
     "c9e512626618c9980ef21a96597af94c", "b6bf87c24b1bc334e2541387a92b981b",
     "2b1e78d5765de9e10495a01412a1cf22", "7354f16d06a013232daa23cfa7a092df"},
    {"ef46db3751d8e999", "44bc2cf5ad770999", "2471440903895716", "7bbabbc45729d17e",
     "99594f4828043d35", "3ac9cbc5a9b7f843"},
    {"2d06800538d394c2", "78af5f94892f3950", "1fc37b65eeb8ce92", "dd30702ab46b3745",
     "989765d0ea7a5ecd", "ccf90df7e7e37036"},
    {"99aa06d3014798d86001c324468d497f", "06b05ab6733a618578af5f94892f3950",
     "1f1cdfbda44d417faf7d2b68b71cf8ba", "f9bfa77da0891a9636c5f7e547426bc4",
     "f534f51e82a81d29989765d0ea7a5ecd", "8ce7a24d31cd94b1ccf90df7e7e37036"},
};

/* Feed buf in pieces of growing, uneven sizes (1, 2, ... 127, 1, ...). */
static void feed(struct ur_sum_ctx *c, const uint8_t *buf, size_t n)
{
	size_t step = 1;

	for (size_t i = 0; i < n; i += step, step = step % 127 + 1)
		ur_sum_update(c, buf + i, n - i < step ? n - i : step);
}

static void test_whole_file_vs_rsync(void **state)
{
	(void)state;
	for (size_t k = 0; k < 5; k++) {
		if (!ur_sum_supported(kinds[k])) {
			struct ur_sum_ctx c;

			assert_int_equal(ur_sum_init(&c, kinds[k], 0), -ENOTSUP);
			continue;
		}
		for (size_t f = 0; f < 6; f++) {
			uint8_t *buf = f == 1 ? (uint8_t *)strdup("abc") : pat(wf_sizes[f]);
			struct ur_sum_ctx c;
			uint8_t d[UR_SUM_MAX_LEN];
			char h[2 * UR_SUM_MAX_LEN + 1];
			int len = ur_sum_len(kinds[k]);

			/* The seed must not matter to these kinds. */
			assert_int_equal(ur_sum_init(&c, kinds[k], 12345), len);
			feed(&c, buf, wf_sizes[f]);
			assert_int_equal(ur_sum_final(&c, d), len);
			assert_int_equal(ur_sum_hex(kinds[k], d, h), 2 * len);
			if (strcmp(h, wf_hex[k][f]) != 0)
				fail_msg("%s of file %zu: %s, rsync says %s", kind_names[k], f, h,
					 wf_hex[k][f]);
			free(buf);
		}
	}
}

/* A context anywhere a struct may land (malloc gives 16-byte alignment)
 * still works: the xxhash state is aligned inside it. */
static void test_ctx_any_alignment(void **state)
{
	unsigned char *mem = aligned_alloc(64, 64 * ((sizeof(struct ur_sum_ctx) + 127) / 64));
	uint8_t *buf = pat(1000), d[UR_SUM_MAX_LEN];
	char h[2 * UR_SUM_MAX_LEN + 1];

	(void)state;
	assert_non_null(mem);
	for (size_t off = 0; off < 64; off += _Alignof(struct ur_sum_ctx)) {
		struct ur_sum_ctx *c = (struct ur_sum_ctx *)(void *)(mem + off);

		if (!ur_sum_supported(UR_SUM_XXH3_128))
			break;
		assert_int_equal(ur_sum_init(c, UR_SUM_XXH3_128, 0), 16);
		ur_sum_update(c, buf, 1000);
		ur_sum_final(c, d);
		ur_sum_hex(UR_SUM_XXH3_128, d, h);
		assert_string_equal(h, wf_hex[4][4]);
	}
	free(mem);
	free(buf);
}

/* The check rsync runs on libxxhash's streaming XXH3 before offering it. */
static void test_xxh3_rsync_selfcheck(void **state)
{
	static char buf[32816];
	struct ur_sum_ctx c;
	uint8_t d[UR_SUM_MAX_LEN];
	uint64_t v = 0;

	(void)state;
	if (!ur_sum_supported(UR_SUM_XXH3_64))
		skip();
	for (size_t j = 0; j < sizeof(buf); j++)
		buf[j] = (char)(' ' + j % 96);
	assert_int_equal(ur_sum_init(&c, UR_SUM_XXH3_64, 0), 8);
	ur_sum_update(&c, buf, 32816);
	ur_sum_update(&c, buf, 31152);
	ur_sum_update(&c, buf, 32474);
	ur_sum_update(&c, buf, 9322);
	ur_sum_final(&c, d);
	for (int i = 7; i >= 0; i--)
		v = v << 8 | d[i];
	assert_true(v == 0xadbcf16d4678d1deull);
}

#if HAVE_XXHASH
static void le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
#endif

/* ur_sum's XXH3 (built for AVX2 where the CPU has it) agrees with the
 * system's libxxhash at every length class XXH3 treats apart (0, 1-3,
 * 4-8, 9-16, 17-128, 129-240, stripes, blocks of 1 KiB and more), seeded
 * block sums and whole-file sums fed in uneven pieces. */
static void test_xxh3_vs_library(void **state)
{
#if HAVE_XXHASH
	const size_t max = 70000;
	uint8_t *buf = pat(max), got[UR_SUM_MAX_LEN], want[UR_SUM_MAX_LEN];

	(void)state;
	for (size_t n = 0; n <= max; n = n < 300 ? n + 1 : n * 5 / 4 + 7) {
		const int32_t seeds[] = {0, 1, -7, 305419896};

		for (size_t i = 0; i < 4; i++) {
			uint64_t sd = (uint64_t)(int64_t)seeds[i];
			XXH128_hash_t h = XXH3_128bits_withSeed(buf, n, sd);

			assert_int_equal(ur_sum_block(UR_SUM_XXH3_64, seeds[i], true, buf, n, got), 8);
			le64(want, XXH3_64bits_withSeed(buf, n, sd));
			assert_memory_equal(got, want, 8);
			assert_int_equal(ur_sum_block(UR_SUM_XXH3_128, seeds[i], true, buf, n, got),
					 16);
			le64(want, h.low64);
			le64(want + 8, h.high64);
			assert_memory_equal(got, want, 16);
		}
		for (int wide = 0; wide < 2; wide++) {
			struct ur_sum_ctx c;
			XXH128_hash_t h = XXH3_128bits(buf, n);

			ur_sum_init(&c, wide ? UR_SUM_XXH3_128 : UR_SUM_XXH3_64, 0);
			feed(&c, buf, n);
			ur_sum_final(&c, got);
			le64(want, wide ? h.low64 : XXH3_64bits(buf, n));
			le64(want + 8, h.high64);
			assert_memory_equal(got, want, wide ? 16 : 8);
		}
	}
	free(buf);
#else
	(void)state;
	skip();
#endif
}

struct legacy_case {
	enum ur_sum_kind kind;
	size_t size; /* of pat(), 3 meaning "abc" */
	const char *hex;
};

/* Whole-file sums seeded with 305419896: protocol 29 (MD4_OLD), 26
 * (BUSTED) and 20 (ARCHAIC). 60 and 124 bytes plus the 4-byte seed are
 * whole 64-byte blocks, where the pre-27 sums skip the padding. */
static const struct legacy_case legacy[] = {
    {UR_SUM_MD4_OLD, 3, "4d713279fde8d43637584c88006e02f8"},
    {UR_SUM_MD4_OLD, 60, "3595cc2b3497ffe270be2714d2ae66a8"},
    {UR_SUM_MD4_OLD, 124, "0ebca569141d9db3459371acc3d15f3a"},
    {UR_SUM_MD4_OLD, 1000, "d4014fd7279449c5ef1ac5f5dd8376e1"},
    {UR_SUM_MD4_BUSTED, 3, "4d713279fde8d43637584c88006e02f8"},
    {UR_SUM_MD4_BUSTED, 60, "53e827b5ece83f2955e5ec5d85edef6e"},
    {UR_SUM_MD4_BUSTED, 124, "ec03310c1457f7646988d0a2b2e3ae0a"},
    {UR_SUM_MD4_BUSTED, 1000, "d4014fd7279449c5ef1ac5f5dd8376e1"},
    {UR_SUM_MD4_ARCHAIC, 3, "4d713279fde8d43637584c88006e02f8"},
    {UR_SUM_MD4_ARCHAIC, 60, "53e827b5ece83f2955e5ec5d85edef6e"},
    {UR_SUM_MD4_ARCHAIC, 124, "ec03310c1457f7646988d0a2b2e3ae0a"},
    {UR_SUM_MD4_ARCHAIC, 1000, "d4014fd7279449c5ef1ac5f5dd8376e1"},
};

static void test_legacy_md4_whole_file(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(legacy) / sizeof(legacy[0]); i++) {
		uint8_t *buf = legacy[i].size == 3 ? (uint8_t *)strdup("abc") : pat(legacy[i].size);
		struct ur_sum_ctx c;
		uint8_t d[UR_SUM_MAX_LEN];
		char h[2 * UR_SUM_MAX_LEN + 1];

		assert_int_equal(ur_sum_init(&c, legacy[i].kind, 305419896), 16);
		feed(&c, buf, legacy[i].size);
		assert_int_equal(ur_sum_final(&c, d), 16);
		hex16(d, 16, h);
		if (strcmp(h, legacy[i].hex) != 0)
			fail_msg("case %zu: %s, rsync says %s", i, h, legacy[i].hex);
		/* rsync prints these seeded sums as blanks. */
		assert_int_equal(ur_sum_hex(legacy[i].kind, d, h), -EINVAL);
		free(buf);
	}
}

/* Before protocol 27 the MD4 padding held only the low 32 bits of the bit
 * count: pat(600 MiB + 3) (whole-file sum, seed 305419896, --protocol=26
 * and 29) is past 2^32 bits. */
static void test_legacy_md4_long(void **state)
{
	size_t mib = 1 << 20;
	uint8_t *buf = pat(mib), d[UR_SUM_MAX_LEN];
	char h[2 * UR_SUM_MAX_LEN + 1];
	struct ur_sum_ctx c;
	static const enum ur_sum_kind k[2] = {UR_SUM_MD4_BUSTED, UR_SUM_MD4_OLD};
	static const char *const want[2] = {"d7ed4758b117e1baf571e399e0f7fd47",
					    "7f47d1582c7a3863099daf0851d1249f"};

	(void)state;
	for (int i = 0; i < 2; i++) {
		ur_sum_init(&c, k[i], 305419896);
		for (int j = 0; j < 600; j++)
			ur_sum_update(&c, buf, mib);
		ur_sum_update(&c, buf, 3);
		ur_sum_final(&c, d);
		hex16(d, 16, h);
		assert_string_equal(h, want[i]);
	}
	free(buf);
}

/* The rolling sums of pat(10000)'s 700-byte blocks, from rsync's wire. */
static const uint32_t blk_rolling[15] = {
    0xf1b4feba, 0xcfccfeaa, 0xb9e4fe9a, 0xaffcfe8a, 0xf614fe7a, 0x8c2cfe6a, 0x0d44ff5a, 0xfe5cfe4a,
    0xfc74fe3a, 0x3b8cff2a, 0xa5a4ff1a, 0x4ebcfe0a, 0x04d4fdfa, 0xebecfeea, 0x10c8fffc,
};

struct blk_case {
	const char *what;
	enum ur_sum_kind kind;
	int32_t seed;
	bool seed_fix;
	const char *strong; /* the first 2 bytes of each block's sum */
};

static const struct blk_case blk_cases[] = {
    {"md4 seed 1", UR_SUM_MD4, 1, true,
     "f9f3 e340 daa3 032e 1641 3749 160a 6fef 0b35 8250 75cd efbb c4ea 41ad 8d8a"},
    {"md4 negative seed", UR_SUM_MD4, -559038737, true,
     "d1c2 1934 46a1 0942 ddf7 0cc5 758b 89f9 237b f2ff b745 2d2c 34d1 06ff 16f6"},
    {"md5 seed 1", UR_SUM_MD5, 1, true,
     "2b76 4eca 314d 732a cf9f 7478 8cd5 72d3 e6b0 2131 5aff 84b4 6276 2313 485e"},
    {"md5 negative seed", UR_SUM_MD5, -559038737, true,
     "626d b7d6 7e3f d16e 33cb a6f3 2476 6a2c bbc4 4436 3b35 56a6 284a 8ae0 6b23"},
    /* Client info without 'v' (no negotiation): md5, seed first. */
    {"md5 seed fix", UR_SUM_MD5, 305419896, true,
     "b021 c239 cec0 2a32 dc53 e810 853d c43f bb1f 771c 2afe c647 6dc2 4a9f dbde"},
    /* Client info without 'v' and 'C': the implied md5, seed last. */
    {"md5 no seed fix", UR_SUM_MD5, 305419896, false,
     "200d 7919 5b2c 3e8e 4023 dc93 4f43 4c06 3784 daff 5664 c395 b777 f375 6790"},
    /* --protocol=29: MD4_OLD, seed last. */
    {"md4_old", UR_SUM_MD4_OLD, 305419896, false,
     "e767 8de4 a6ed dcf4 47de bc87 fed3 605d 130f bc60 57c0 c424 f61f 6296 9652"},
    {"xxh64 seed 1", UR_SUM_XXH64, 1, true,
     "aa42 741d 4196 e786 d53c a2d2 d922 f2d8 f2ec 57e7 b2ea 9a0f 29d0 8cfb 3c41"},
    {"xxh64 negative seed", UR_SUM_XXH64, -559038737, true,
     "58a6 fc55 26f3 2290 4b73 bcf2 3e57 a1fa cb00 88ca e299 8413 1532 c37e 030d"},
    {"xxh3 seed 1", UR_SUM_XXH3_64, 1, true,
     "ce0d 94e4 2e00 3bd8 a23e d2fa cc4d 3c43 c0c4 128f 486e 6028 c51a e76b 5d9c"},
    {"xxh3 negative seed", UR_SUM_XXH3_64, -559038737, true,
     "f0d2 121a 6872 e3a4 1ea4 7f07 17b2 74f8 b418 e17b da94 52ed f7a1 2292 d58f"},
    {"xxh128 seed 1", UR_SUM_XXH3_128, 1, true,
     "ce0d 94e4 2e00 3bd8 a23e d2fa cc4d 3c43 c0c4 128f 486e 6028 c51a e76b 3c6c"},
    {"xxh128 negative seed", UR_SUM_XXH3_128, -559038737, true,
     "f0d2 121a 6872 e3a4 1ea4 7f07 17b2 74f8 b418 e17b da94 52ed f7a1 2292 abc4"},
    /* No --checksum-choice: the negotiated default. */
    {"xxh128 default", UR_SUM_XXH3_128, 305419896, true,
     "4d01 7714 3ffe 8501 e481 46c5 d8bc 2704 a308 bee2 1694 79b0 6cfa bb43 fe06"},
};

static void check_blocks(const char *what, enum ur_sum_kind kind, int32_t seed, bool seed_fix,
			 const uint8_t *buf, size_t size, size_t blen, const char *strong,
			 const uint32_t *rolling)
{
	size_t nblk = (size + blen - 1) / blen;
	char got[8 * 64] = "";

	assert_true(nblk <= 64);
	for (size_t b = 0; b < nblk; b++) {
		size_t n = size - b * blen < blen ? size - b * blen : blen;
		uint8_t d[UR_SUM_MAX_LEN];

		assert_int_equal(ur_sum_block(kind, seed, seed_fix, buf + b * blen, n, d),
				 ur_sum_len(kind));
		sprintf(got + strlen(got), "%s%02x%02x", b ? " " : "", d[0], d[1]);
		if (ur_rolling_sum(buf + b * blen, n) != rolling[b] ||
		    ur_rolling_sum_scalar(buf + b * blen, n) != rolling[b])
			fail_msg("%s: block %zu rolling sum %08x, rsync says %08x", what, b,
				 ur_rolling_sum(buf + b * blen, n), rolling[b]);
	}
	if (strcmp(got, strong) != 0)
		fail_msg("%s:\n  got   %s\n  rsync %s", what, got, strong);
}

static void test_block_sums_vs_rsync(void **state)
{
	uint8_t *buf = pat(10000);

	(void)state;
	for (size_t i = 0; i < sizeof(blk_cases) / sizeof(blk_cases[0]); i++) {
		const struct blk_case *t = &blk_cases[i];

		if (!ur_sum_supported(t->kind))
			continue;
		check_blocks(t->what, t->kind, t->seed, t->seed_fix, buf, 10000, 700, t->strong,
			     blk_rolling);
	}
	free(buf);
}

/* Protocol 26 and 20 (-B60, seed 305419896) over pat(630): the 60-byte
 * blocks plus the seed fill one MD4 block exactly, so the busted sums
 * skip the padding; the last 30-byte block is padded as usual. */
static void test_block_sums_busted(void **state)
{
	static const uint32_t rolling[11] = {
	    0x0634fffa, 0xe44cffea, 0xe264ffda, 0x007cffca, 0x0a94ffba, 0x00acffaa,
	    0xf6c4ff9a, 0x29dc008a, 0x0bf4007a, 0xd90cff6a, 0xec30ff2f,
	};
	static const char busted[] = "8622 d142 5844 cfda f212 48c5 d592 6cb9 df48 20b3 5d3f";
	static const char old[] = "155b 5b5a 9c19 fb3a ff58 0402 f7b6 1a5a 7cbb 90d6 5d3f";
	uint8_t *buf = pat(630);

	(void)state;
	check_blocks("busted", UR_SUM_MD4_BUSTED, 305419896, false, buf, 630, 60, busted, rolling);
	check_blocks("archaic", UR_SUM_MD4_ARCHAIC, 305419896, true, buf, 630, 60, busted, rolling);
	check_blocks("old", UR_SUM_MD4_OLD, 305419896, false, buf, 630, 60, old, rolling);
	free(buf);
}

/* What the seed does, checked against the definitions rather than rsync:
 * a zero seed is not hashed; MD5's flag moves it; MD4 ignores the flag. */
static void test_block_seed_rules(void **state)
{
	uint8_t *buf = pat(704), d[UR_SUM_MAX_LEN], e[UR_SUM_MAX_LEN];
	uint8_t seeded[708];
	static const uint8_t s[4] = {0x78, 0x56, 0x34, 0x12}; /* 0x12345678 */

	(void)state;
	ur_sum_block(UR_SUM_MD5, 0, true, buf, 700, d);
	ur_md5(buf, 700, e);
	assert_memory_equal(d, e, 16);
	ur_sum_block(UR_SUM_MD4, 0, false, buf, 700, d);
	ur_md4(buf, 700, e);
	assert_memory_equal(d, e, 16);

	memcpy(seeded, s, 4);
	memcpy(seeded + 4, buf, 700);
	ur_sum_block(UR_SUM_MD5, 0x12345678, true, buf, 700, d);
	ur_md5(seeded, 704, e);
	assert_memory_equal(d, e, 16);

	memcpy(seeded, buf, 700);
	memcpy(seeded + 700, s, 4);
	ur_sum_block(UR_SUM_MD5, 0x12345678, false, buf, 700, d);
	ur_md5(seeded, 704, e);
	assert_memory_equal(d, e, 16);
	ur_sum_block(UR_SUM_MD4, 0x12345678, true, buf, 700, d);
	ur_md4(seeded, 704, e);
	assert_memory_equal(d, e, 16);

	/* The unseeded whole-file MD4 is plain MD4, also on a 64-byte multiple. */
	struct ur_sum_ctx c;

	ur_sum_init(&c, UR_SUM_MD4, 99);
	ur_sum_update(&c, buf, 640);
	ur_sum_final(&c, d);
	ur_md4(buf, 640, e);
	assert_memory_equal(d, e, 16);

	/* none: one zero byte. */
	memset(d, 0xff, sizeof(d));
	assert_int_equal(ur_sum_block(UR_SUM_NONE, 5, true, buf, 700, d), 1);
	assert_int_equal(d[0], 0);
	assert_int_equal(ur_sum_init(&c, UR_SUM_NONE, 0), 1);
	ur_sum_update(&c, buf, 700);
	d[0] = 0xff;
	assert_int_equal(ur_sum_final(&c, d), 1);
	assert_int_equal(d[0], 0);
	assert_int_equal(ur_sum_hex(UR_SUM_NONE, d, (char[2 * UR_SUM_MAX_LEN + 1]){0}), -EINVAL);
	free(buf);
}

static void test_lengths(void **state)
{
	(void)state;
	assert_int_equal(ur_sum_len(UR_SUM_NONE), 1);
	assert_int_equal(ur_sum_len(UR_SUM_MD4), 16);
	assert_int_equal(ur_sum_len(UR_SUM_MD4_OLD), 16);
	assert_int_equal(ur_sum_len(UR_SUM_MD4_BUSTED), 16);
	assert_int_equal(ur_sum_len(UR_SUM_MD4_ARCHAIC), 16);
	assert_int_equal(ur_sum_len(UR_SUM_MD5), 16);
	assert_int_equal(ur_sum_len(UR_SUM_XXH64), 8);
	assert_int_equal(ur_sum_len(UR_SUM_XXH3_64), 8);
	assert_int_equal(ur_sum_len(UR_SUM_XXH3_128), 16);
	assert_int_equal(ur_sum_len((enum ur_sum_kind)99), -EINVAL);
	assert_false(ur_sum_supported((enum ur_sum_kind)99));
	assert_int_equal(ur_sum_supported(UR_SUM_XXH3_128), HAVE_XXHASH);
	assert_true(ur_sum_supported(UR_SUM_MD5));
}

/* Known values from the definition, worked by hand:
 * "\x01\x02\x03": s1 = 6, s2 = 3*1 + 2*2 + 1*3 = 10 -> 0x000a0006.
 * "\xff": the byte is -1: s1 = s2 = 0xffff -> 0xffffffff.
 * "\x80\x01": s1 = -128 + 1 = -127 = 0xff81, s2 = 2*-128 + 1 = -255 =
 * 0xff01 -> 0xff01ff81. 256 bytes of 0x7f: s1 = 256*127 = 32512 = 0x7f00,
 * s2 = 127 * (256*257/2) = 4177792 = 0x3fbf80 -> 0xbf807f00. */
static void test_rolling_known(void **state)
{
	uint8_t big[256];

	(void)state;
	memset(big, 0x7f, sizeof(big));
	for (int impl = UR_ROLL_SCALAR; impl <= UR_ROLL_AVX2; impl++) {
		if (!ur_rolling_impl_available((enum ur_roll_impl)impl))
			continue;
		enum ur_roll_impl m = (enum ur_roll_impl)impl;

		assert_int_equal(ur_rolling_sum_with(m, "", 0), 0);
		assert_int_equal(ur_rolling_sum_with(m, "\x01\x02\x03", 3), 0x000a0006);
		assert_int_equal(ur_rolling_sum_with(m, "\xff", 1), 0xffffffff);
		assert_int_equal(ur_rolling_sum_with(m, "\x80\x01", 2), 0xff01ff81);
		assert_int_equal(ur_rolling_sum_with(m, big, 256), 0xbf807f00);
	}
	assert_int_equal(ur_rolling_sum(big, 256), 0xbf807f00);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint8_t rnd(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return (uint8_t)(rng >> 24);
}

/* Every version agrees with the scalar one: every length 0..300 at every
 * alignment 0..3, and some large blocks (up to rsync's largest, 128 KiB,
 * and one past 2^16 bytes of 0xff, where the 16-bit halves wrap often). */
static void test_rolling_versions_agree(void **state)
{
	size_t big = (1 << 17) + 37;
	uint8_t *buf = malloc(big + 4);

	(void)state;
	assert_non_null(buf);
	for (size_t i = 0; i < big + 4; i++)
		buf[i] = rnd();
	for (int impl = UR_ROLL_UNROLLED; impl <= UR_ROLL_AVX2; impl++) {
		enum ur_roll_impl m = (enum ur_roll_impl)impl;

		if (!ur_rolling_impl_available(m))
			continue;
		for (size_t off = 0; off < 4; off++)
			for (size_t n = 0; n <= 300; n++)
				if (ur_rolling_sum_with(m, buf + off, n) !=
				    ur_rolling_sum_scalar(buf + off, n))
					fail_msg("impl %d len %zu off %zu", impl, n, off);
		for (size_t n = 1000; n <= big; n = n * 3 + 1)
			assert_int_equal(ur_rolling_sum_with(m, buf + 1, n),
					 ur_rolling_sum_scalar(buf + 1, n));
		assert_int_equal(ur_rolling_sum_with(m, buf, big), ur_rolling_sum_scalar(buf, big));
	}
	for (size_t n = 0; n <= 300; n++)
		assert_int_equal(ur_rolling_sum(buf, n), ur_rolling_sum_scalar(buf, n));
	memset(buf, 0xff, big);
	for (int impl = UR_ROLL_UNROLLED; impl <= UR_ROLL_AVX2; impl++) {
		if (ur_rolling_impl_available((enum ur_roll_impl)impl))
			assert_int_equal(ur_rolling_sum_with((enum ur_roll_impl)impl, buf, big),
					 ur_rolling_sum_scalar(buf, big));
	}
	/* On x86 the build must have found a vector version. */
#if defined(__x86_64__)
	assert_true(ur_rolling_impl_available(UR_ROLL_SSE2));
	assert_int_not_equal(ur_rolling_best(), UR_ROLL_UNROLLED);
#endif
	free(buf);
}

/* Rolling a window through a buffer gives the sum of each window, as
 * rsync's match loop relies on; trimming at the end shrinks it. */
static void test_rolling_roll(void **state)
{
	uint8_t buf[3000];
	size_t blen = 700;

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = rnd();
	uint32_t sum = ur_rolling_sum(buf, blen);

	for (size_t off = 1; off + blen <= sizeof(buf); off++) {
		sum = ur_rolling_roll(sum, blen, buf[off - 1], buf[off + blen - 1]);
		if (sum != ur_rolling_sum_scalar(buf + off, blen))
			fail_msg("roll to offset %zu", off);
	}
	for (size_t k = blen, off = sizeof(buf) - blen; k > 0; k--, off++) {
		sum = ur_rolling_trim(sum, k, buf[off]);
		assert_int_equal(sum, ur_rolling_sum_scalar(buf + off + 1, k - 1));
	}
	assert_int_equal(sum, 0);
}

struct size_case {
	int64_t len;
	int32_t block_opt;
	int protocol;
	int digest_len;
	int32_t count, rem, blength, s2length;
};

/* rsync 3.5.0 --debug=deltasum2 (checksum xxh128, or xxh64 where
 * digest_len is 8); rsync prints no line for an empty file. */
static const struct size_case sizes[] = {
    {1, 0, 32, 16, 1, 1, 700, 2},
    {700, 0, 32, 16, 1, 0, 700, 2},
    {701, 0, 32, 16, 2, 1, 700, 2},
    {1400, 0, 32, 16, 2, 0, 700, 2},
    {10000, 0, 32, 16, 15, 200, 700, 2},
    {489999, 0, 32, 16, 700, 699, 700, 2},
    {490000, 0, 32, 16, 700, 0, 700, 2},
    {490001, 0, 32, 16, 701, 1, 700, 2},
    {491401, 0, 32, 16, 703, 1, 700, 2},
    {500000, 0, 32, 16, 711, 160, 704, 2},
    {1000000, 0, 32, 16, 1000, 0, 1000, 2},
    {1048576, 0, 32, 16, 1024, 0, 1024, 2},
    {4000000, 0, 32, 16, 2000, 0, 2000, 2},
    {16777216, 0, 32, 16, 4096, 0, 4096, 2},
    {100000000, 0, 32, 16, 10000, 0, 10000, 3},
    {1000000000, 0, 32, 16, 31630, 17536, 31616, 3},
    {10737418240, 0, 32, 16, 103628, 3008, 103616, 4},
    {17179869184, 0, 32, 16, 131072, 0, 131072, 4},
    {21474836480, 0, 32, 16, 163840, 0, 131072, 4},
    {34359738368, 0, 32, 16, 262144, 0, 131072, 4},
    {1000000, 0, 29, 16, 1000, 0, 1000, 2},
    {1000000, 0, 30, 16, 1000, 0, 1000, 2},
    {21474836480, 0, 29, 16, 146550, 132216, 146536, 4},
    {34359738368, 0, 29, 16, 185368, 111248, 185360, 4},
    {1099511627776, 0, 29, 16, 1048576, 0, 1048576, 5},
    {1099511627776, 0, 30, 16, 8388608, 0, 131072, 6},
    /* --block-size */
    {1000000, 8, 32, 16, 125000, 0, 8, 2},
    {1000000, 100, 32, 16, 10000, 0, 100, 2},
    {100000000, 8, 32, 16, 12500000, 0, 8, 4},
    {1000000, 131072, 32, 16, 8, 82496, 131072, 2},
    {10000, 3000, 32, 16, 4, 1000, 3000, 2},
    {1000000000, 16, 32, 16, 62500000, 0, 16, 5},
    {1099511627776, 1024, 32, 16, 1073741824, 0, 1024, 7},
    /* --checksum-choice=xxh64 */
    {1000000, 0, 32, 8, 1000, 0, 1000, 2},
    {1099511627776, 1024, 32, 8, 1073741824, 0, 1024, 7},
};

static void test_sum_sizes_vs_rsync(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		const struct size_case *t = &sizes[i];
		struct ur_sum_sizes s;

		assert_int_equal(ur_sum_sizes(t->len, t->block_opt, UR_SUM_SHORT_LEN, t->digest_len,
					      t->protocol, &s),
				 0);
		if (s.count != t->count || s.remainder != t->rem || s.blength != t->blength ||
		    s.s2length != t->s2length || s.flength != t->len)
			fail_msg("len %lld -B%d p%d: count=%d rem=%d blength=%d s2length=%d, rsync "
				 "count=%d rem=%d blength=%d s2length=%d",
				 (long long)t->len, t->block_opt, t->protocol, s.count, s.remainder,
				 s.blength, s.s2length, t->count, t->rem, t->blength, t->s2length);
	}
}

static void test_sum_sizes_edges(void **state)
{
	struct ur_sum_sizes s;

	(void)state;
	/* Empty: no blocks. */
	assert_int_equal(ur_sum_sizes(0, 0, UR_SUM_SHORT_LEN, 16, 32, &s), 0);
	assert_int_equal(s.count, 0);
	assert_int_equal(s.blength, 700);
	/* The redo pass asks for the whole digest, capped at its length. */
	assert_int_equal(ur_sum_sizes(1000, 0, UR_SUM_FULL_LEN, 16, 32, &s), 0);
	assert_int_equal(s.s2length, 16);
	assert_int_equal(ur_sum_sizes(1000, 0, UR_SUM_FULL_LEN, 8, 32, &s), 0);
	assert_int_equal(s.s2length, 8);
	/* Before protocol 27 the strong sum length is whatever was asked. */
	assert_int_equal(ur_sum_sizes(100000000, 0, UR_SUM_SHORT_LEN, 16, 26, &s), 0);
	assert_int_equal(s.s2length, 2);
	/* Too many blocks for an int32, and a negative length. */
	assert_int_equal(ur_sum_sizes(INT64_C(1) << 40, 1, UR_SUM_SHORT_LEN, 16, 32, &s),
			 -EOVERFLOW);
	assert_int_equal(s.count, -1);
	assert_int_equal(ur_sum_sizes(-1, 0, UR_SUM_SHORT_LEN, 16, 32, &s), -EOVERFLOW);
	assert_int_equal(ur_sum_sizes(100, -5, UR_SUM_SHORT_LEN, 16, 32, &s), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc_vectors),
	    cmocka_unit_test(test_sha1),
	    cmocka_unit_test(test_whole_file_vs_rsync),
	    cmocka_unit_test(test_xxh3_rsync_selfcheck),
	    cmocka_unit_test(test_xxh3_vs_library),
	    cmocka_unit_test(test_ctx_any_alignment),
	    cmocka_unit_test(test_legacy_md4_whole_file),
	    cmocka_unit_test(test_legacy_md4_long),
	    cmocka_unit_test(test_block_sums_vs_rsync),
	    cmocka_unit_test(test_block_sums_busted),
	    cmocka_unit_test(test_block_seed_rules),
	    cmocka_unit_test(test_lengths),
	    cmocka_unit_test(test_rolling_known),
	    cmocka_unit_test(test_rolling_versions_agree),
	    cmocka_unit_test(test_rolling_roll),
	    cmocka_unit_test(test_sum_sizes_vs_rsync),
	    cmocka_unit_test(test_sum_sizes_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
