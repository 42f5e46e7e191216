/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * MD4 (RFC 1320) and MD5 (RFC 1321), written from the RFCs. Both take
 * 64-byte blocks of little-endian words and pad the same way, so they
 * share the buffering and differ in the compression function.
 */
#include <string.h>

#include "checksum/md_int.h"

static uint32_t rol(uint32_t x, unsigned s)
{
	return (x << s) | (x >> (32 - s));
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void md4_block(uint32_t h[4], const uint8_t *p)
{
	/* Word order of rounds 2 and 3, and the shifts of each round. */
	static const uint8_t r2[16] = {0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15};
	static const uint8_t r3[16] = {0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15};
	static const uint8_t s1[4] = {3, 7, 11, 19}, s2[4] = {3, 5, 9, 13}, s3[4] = {3, 9, 11, 15};
	uint32_t x[16], a = h[0], b = h[1], c = h[2], d = h[3], t;

	for (int i = 0; i < 16; i++)
		x[i] = le32(p + 4 * i);
	for (int i = 0; i < 16; i++) {
		t = rol(a + ((b & c) | (~b & d)) + x[i], s1[i & 3]);
		a = d, d = c, c = b, b = t;
	}
	for (int i = 0; i < 16; i++) {
		t = rol(a + ((b & c) | (b & d) | (c & d)) + x[r2[i]] + 0x5a827999u, s2[i & 3]);
		a = d, d = c, c = b, b = t;
	}
	for (int i = 0; i < 16; i++) {
		t = rol(a + (b ^ c ^ d) + x[r3[i]] + 0x6ed9eba1u, s3[i & 3]);
		a = d, d = c, c = b, b = t;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d;
}

/* RFC 1321's T[i] = floor(2^32 * |sin(i + 1)|). */
static const uint32_t md5_t[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

static void md5_block(uint32_t h[4], const uint8_t *p)
{
	static const uint8_t sh[4][4] = {
	    {7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};
	uint32_t x[16], a = h[0], b = h[1], c = h[2], d = h[3], f, t;
	unsigned k;

	for (int i = 0; i < 16; i++)
		x[i] = le32(p + 4 * i);
	for (unsigned i = 0; i < 64; i++) {
		switch (i >> 4) {
		case 0:
			f = (b & c) | (~b & d), k = i;
			break;
		case 1:
			f = (b & d) | (c & ~d), k = (5 * i + 1) & 15;
			break;
		case 2:
			f = b ^ c ^ d, k = (3 * i + 5) & 15;
			break;
		default:
			f = c ^ (b | ~d), k = (7 * i) & 15;
			break;
		}
		t = b + rol(a + f + x[k] + md5_t[i], sh[i >> 4][i & 3]);
		a = d, d = c, c = b, b = t;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d;
}

void ur_md_init(struct ur_md_ctx *m)
{
	m->h[0] = 0x67452301u;
	m->h[1] = 0xefcdab89u;
	m->h[2] = 0x98badcfeu;
	m->h[3] = 0x10325476u;
	m->n = 0;
}

static void md_update(struct ur_md_ctx *m, const void *data, size_t len,
		      void (*block)(uint32_t[4], const uint8_t *))
{
	const uint8_t *p = data;
	size_t have = (size_t)(m->n & 63);

	m->n += len;
	if (have) {
		size_t take = 64 - have < len ? 64 - have : len;

		memcpy(m->buf + have, p, take);
		p += take, len -= take, have += take;
		if (have < 64)
			return;
		block(m->h, m->buf);
	}
	for (; len >= 64; p += 64, len -= 64)
		block(m->h, p);
	if (len)
		memcpy(m->buf, p, len);
}

/* The padding both RFCs use: 0x80, zeros to 56 mod 64, the bit count as a
 * little-endian 64-bit word (only its low 32 bits when short_len). */
static void md_pad(struct ur_md_ctx *m, bool short_len, void (*block)(uint32_t[4], const uint8_t *))
{
	uint64_t bits = m->n << 3;
	size_t have = (size_t)(m->n & 63);

	m->buf[have++] = 0x80;
	if (have > 56) {
		memset(m->buf + have, 0, 64 - have);
		block(m->h, m->buf);
		have = 0;
	}
	memset(m->buf + have, 0, 56 - have);
	put_le32(m->buf + 56, (uint32_t)bits);
	put_le32(m->buf + 60, short_len ? 0 : (uint32_t)(bits >> 32));
	block(m->h, m->buf);
}

static void md_out(const struct ur_md_ctx *m, uint8_t out[16])
{
	for (int i = 0; i < 4; i++)
		put_le32(out + 4 * i, m->h[i]);
}

void ur_md4_update(struct ur_md_ctx *m, const void *p, size_t n)
{
	md_update(m, p, n, md4_block);
}

void ur_md5_update(struct ur_md_ctx *m, const void *p, size_t n)
{
	md_update(m, p, n, md5_block);
}

void ur_md4_final(struct ur_md_ctx *m, bool busted, uint8_t out[16])
{
	/* rsync before protocol 27 skipped the padding when the data was a
	 * whole number of blocks, and sent only 32 bits of the bit count. */
	if (!busted || (m->n & 63))
		md_pad(m, busted, md4_block);
	md_out(m, out);
}

void ur_md5_final(struct ur_md_ctx *m, uint8_t out[16])
{
	md_pad(m, false, md5_block);
	md_out(m, out);
}

void ur_md4(const void *p, size_t n, uint8_t out[16])
{
	struct ur_md_ctx m;

	ur_md_init(&m);
	ur_md4_update(&m, p, n);
	ur_md4_final(&m, false, out);
}

void ur_md5(const void *p, size_t n, uint8_t out[16])
{
	struct ur_md_ctx m;

	ur_md_init(&m);
	ur_md5_update(&m, p, n);
	ur_md5_final(&m, out);
}
