/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "checksum/authsum.h"
#include "config.h"

#include <errno.h>
#include <string.h>

#include "checksum/checksum.h"

#if HAVE_LIBCRYPTO
#include <openssl/evp.h>
#endif

enum kind { K_SHA512, K_SHA256, K_SHA1, K_MD5, K_MD4 };

static const struct {
	const char *name;
	enum kind kind;
	bool needs_crypto;
} table[] = {
    {"sha512", K_SHA512, true}, {"sha256", K_SHA256, true}, {"sha1", K_SHA1, true},
    {"md5", K_MD5, false},	{"md4", K_MD4, false},
};
#define NKINDS (sizeof(table) / sizeof(table[0]))

static bool have(size_t i)
{
	return !table[i].needs_crypto || HAVE_LIBCRYPTO;
}

const char *ur_authsum_list(void)
{
	return HAVE_LIBCRYPTO ? "sha512 sha256 sha1 md5 md4" : "md5 md4";
}

static int find(const char *name, size_t len)
{
	for (size_t i = 0; i < NKINDS; i++)
		if (have(i) && strlen(table[i].name) == len && !memcmp(table[i].name, name, len))
			return (int)i;
	return -1;
}

bool ur_authsum_known(const char *name, size_t len)
{
	return find(name, len) >= 0;
}

const char *ur_authsum_choose(const char *peer)
{
	int best = -1;
	for (const char *p = peer; *p;) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " ");
		int i = find(p, n);
		if (i >= 0 && (best < 0 || i < best))
			best = i;
		p += n;
	}
	return best < 0 ? NULL : table[best].name;
}

int ur_base64(const void *p, size_t len, bool pad, char *out, size_t cap)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const uint8_t *d = p;
	size_t o = 0;
	if ((len + 2) / 3 * 4 + 1 > cap)
		return -ENOBUFS;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)d[i] << 16;
		size_t left = len - i;
		if (left > 1)
			v |= (uint32_t)d[i + 1] << 8;
		if (left > 2)
			v |= d[i + 2];
		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		if (left > 1)
			out[o++] = b64[(v >> 6) & 63];
		else if (pad)
			out[o++] = '=';
		if (left > 2)
			out[o++] = b64[v & 63];
		else if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
	return (int)o;
}

int ur_authsum_response(const char *name, const char *a, const char *b, char *out, size_t cap)
{
	int i = find(name, strlen(name));
	uint8_t dig[UR_AUTHSUM_MAX_LEN];
	unsigned int dlen = 0;
	if (i < 0)
		return -EINVAL;
	switch (table[i].kind) {
	case K_MD5:
	case K_MD4: {
		struct ur_sum_ctx c;
		if (ur_sum_init(&c, table[i].kind == K_MD5 ? UR_SUM_MD5 : UR_SUM_MD4, 0) < 0)
			return -EINVAL;
		ur_sum_update(&c, a, strlen(a));
		ur_sum_update(&c, b, strlen(b));
		dlen = (unsigned int)ur_sum_final(&c, dig);
		break;
	}
	default: {
#if HAVE_LIBCRYPTO
		const EVP_MD *md = table[i].kind == K_SHA512   ? EVP_sha512()
				   : table[i].kind == K_SHA256 ? EVP_sha256()
							       : EVP_sha1();
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();
		bool ok = ctx && EVP_DigestInit_ex(ctx, md, NULL) &&
			  EVP_DigestUpdate(ctx, a, strlen(a)) &&
			  EVP_DigestUpdate(ctx, b, strlen(b)) &&
			  EVP_DigestFinal_ex(ctx, dig, &dlen);
		EVP_MD_CTX_free(ctx);
		if (!ok)
			return -EINVAL;
#else
		return -EINVAL;
#endif
	}
	}
	return ur_base64(dig, dlen, false, out, cap);
}
