/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_CHECKSUM_H
#define UR_CHECKSUM_H

/*
 * The sums rsync 3.5.0 puts on the wire, with no syscalls and no
 * allocation:
 *   - the whole-file sum (after a file's tokens, and -c's file sums),
 *   - the strong block sum (one per block of a signature),
 *   - the rolling sum (the weak block sum, rolled a byte at a time),
 *   - the block size and strong-sum length rsync picks for a basis file.
 * Digests are in rsync's byte order: MD4/MD5 as the RFCs give them, the
 * xxhash values as little-endian 64-bit words (xxh128: low word first),
 * SHA-1 as FIPS 180 gives it (from libcrypto, in a build that has it).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The checksum kinds, rsync's CSUM_* (the legacy MD4 ones only as the
 * implied checksum of protocols before 30). */
enum ur_sum_kind {
	UR_SUM_NONE,
	UR_SUM_MD4,	    /* negotiated md4 (protocol 30+) */
	UR_SUM_MD4_OLD,	    /* protocol 27..29: whole-file sum seeded */
	UR_SUM_MD4_BUSTED,  /* 21..26: also no padding on a multiple of 64, 32-bit length */
	UR_SUM_MD4_ARCHAIC, /* < 21: as busted (file-list sums are 2 bytes) */
	UR_SUM_MD5,
	UR_SUM_XXH64,
	UR_SUM_XXH3_64,
	UR_SUM_XXH3_128,
	UR_SUM_SHA1, /* libcrypto's; rsync offers it only through OpenSSL */
};

/* The longest digest (sha1's); block sums stop at UR_SUM_FULL_LEN. */
#define UR_SUM_MAX_LEN 20

/* MD4 and MD5 share a state: four words, the byte count, a partial block. */
struct ur_md_ctx {
	uint32_t h[4];
	uint64_t n;
	uint8_t buf[64];
};

/* One running sum, on the stack or inside any struct (malloc'd ones too).
 * libxxhash's state wants 64-byte alignment, so it sits at the first
 * aligned address in `xxh`: a running sum must not be copied. */
struct ur_sum_ctx {
	enum ur_sum_kind kind;
	union {
		struct ur_md_ctx md;
		unsigned char xxh[640 + 64];
		uint64_t sha[16]; /* libcrypto's SHA_CTX (96 bytes) */
	} u;
};

/* Digest length of a kind: 20 for sha1, 16 for the MD4s, MD5 and xxh128,
 * 8 for xxh64 and xxh3, 1 for none (rsync sends one zero byte); -EINVAL if unknown. */
int ur_sum_len(enum ur_sum_kind k);

/* True if this build can compute kind k (the xxhash kinds need libxxhash,
 * sha1 libcrypto). */
bool ur_sum_supported(enum ur_sum_kind k);

/* Start a whole-file sum (rsync's sum_init). The seed is used only by the
 * legacy MD4 kinds, which hash it first as 4 little-endian bytes; the
 * others are plain digests of the data. Returns the digest length, or
 * -ENOTSUP (xxhash kind without libxxhash) / -EINVAL. */
int ur_sum_init(struct ur_sum_ctx *c, enum ur_sum_kind k, int32_t seed);
void ur_sum_update(struct ur_sum_ctx *c, const void *p, size_t n);
/* Finish: writes the digest and returns its length. */
int ur_sum_final(struct ur_sum_ctx *c, uint8_t out[UR_SUM_MAX_LEN]);

/* The strong sum of one block (rsync's get_checksum2), seeded as rsync
 * does for each kind: xxhash kinds take the seed (sign-extended) as their
 * hash seed; MD5 hashes a nonzero seed as 4 little-endian bytes before the
 * data when seed_fix (CF_CHKSUM_SEED_FIX) is set, after it otherwise; the
 * MD4 kinds hash a nonzero seed after the data; sha1 (only ever through
 * OpenSSL in rsync) hashes a nonzero seed first. NONE gives one zero byte.
 * Returns the digest length, or -ENOTSUP / -EINVAL.
 * An rsync linked with OpenSSL hashes the seed first whenever the digest
 * goes through OpenSSL: md5 chosen by name (negotiated or
 * --checksum-choice) even without the seed fix, and md4 where OpenSSL
 * still offers MD4. Only peers that send 'v' but not 'C' in their client
 * info, or an OpenSSL with MD4 enabled, see a difference: the blocks then
 * never match, and the transfer is correct but sends every byte. */
int ur_sum_block(enum ur_sum_kind k, int32_t seed, bool seed_fix, const void *buf, size_t len,
		 uint8_t out[UR_SUM_MAX_LEN]);

/* A digest as rsync prints it for %C and -c listings: lowercase hex, the
 * xxhash kinds as the big-endian numbers (so the bytes reversed). Returns
 * 2 * length, or -EINVAL for the kinds rsync prints as blanks (none and the
 * legacy MD4s, whose sums are seeded). */
int ur_sum_hex(enum ur_sum_kind k, const uint8_t *sum, char out[2 * UR_SUM_MAX_LEN + 1]);

/* One-shot RFC digests. */
void ur_md4(const void *p, size_t n, uint8_t out[16]);
void ur_md5(const void *p, size_t n, uint8_t out[16]);

/*
 * The rolling sum, rsync's get_checksum1 with CHAR_OFFSET 0: bytes are
 * signed chars, s1 = sum of x[i], s2 = sum of (len - i) * x[i], both mod
 * 2^16, and the sum is s1 | s2 << 16. ur_rolling_sum picks a vector
 * version when the CPU has one; it gives the same value as the scalar one.
 */
uint32_t ur_rolling_sum(const void *buf, size_t len);
uint32_t ur_rolling_sum_scalar(const void *buf, size_t len);

/* The versions behind ur_rolling_sum, for tests and --version. */
enum ur_roll_impl { UR_ROLL_SCALAR, UR_ROLL_UNROLLED, UR_ROLL_SSE2, UR_ROLL_AVX2 };
/* Whether this build and CPU can run impl. */
bool ur_rolling_impl_available(enum ur_roll_impl impl);
/* The sum by one version (the scalar one if impl is not available). */
uint32_t ur_rolling_sum_with(enum ur_roll_impl impl, const void *buf, size_t len);
/* The version ur_rolling_sum uses for long blocks. */
enum ur_roll_impl ur_rolling_best(void);

/* Slide a window of blen bytes one byte on: `out` leaves at the front,
 * `in` joins at the back. */
static inline uint32_t ur_rolling_roll(uint32_t sum, size_t blen, uint8_t out, uint8_t in)
{
	uint32_t s1 = sum & 0xffff, s2 = sum >> 16;
	uint32_t o = (uint32_t)(int32_t)(int8_t)out, i = (uint32_t)(int32_t)(int8_t)in;

	s1 = s1 - o + i;
	s2 = s2 - (uint32_t)blen * o + s1;
	return (s1 & 0xffff) | (s2 << 16);
}

/* Drop the front byte `out` of a window of blen bytes at the end of the
 * data, leaving a window of blen - 1 bytes. */
static inline uint32_t ur_rolling_trim(uint32_t sum, size_t blen, uint8_t out)
{
	uint32_t s1 = sum & 0xffff, s2 = sum >> 16;
	uint32_t o = (uint32_t)(int32_t)(int8_t)out;

	s1 -= o;
	s2 -= (uint32_t)blen * o;
	return (s1 & 0xffff) | (s2 << 16);
}

/* Strong-sum bytes per block rsync uses in the first pass and in the
 * redo pass after a whole-file sum mismatch. */
#define UR_SUM_SHORT_LEN 2
#define UR_SUM_FULL_LEN	 16

/* rsync's block size bounds: the default for files up to 700*700 bytes,
 * and the largest automatic block (protocol 30+, and before 30). */
#define UR_BLOCK_SIZE	      700
#define UR_MAX_BLOCK_SIZE     (1 << 17)
#define UR_OLD_MAX_BLOCK_SIZE (1 << 29)

/* The signature shape of a basis file, as rsync's sum head carries it. */
struct ur_sum_sizes {
	int64_t flength;
	int32_t count;
	int32_t blength;
	int32_t s2length;
	int32_t remainder;
};

/* The shape rsync 3.5.0 gives a basis file of len bytes
 * (sum_sizes_sqroot): block_size_opt is --block-size (0 = automatic),
 * csum_length the strong-sum bytes wanted (UR_SUM_SHORT_LEN, or
 * UR_SUM_FULL_LEN on the redo pass), digest_len the negotiated checksum's
 * length (caps s2length). Returns 0, or -EOVERFLOW when len is negative or
 * the block count does not fit an int32 (rsync refuses the file; count is
 * then -1), -EINVAL for a negative block size. */
int ur_sum_sizes(int64_t len, int32_t block_size_opt, int csum_length, int digest_len, int protocol,
		 struct ur_sum_sizes *out);

#endif
