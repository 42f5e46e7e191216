/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The connection start, checked against both directions of rsync 3.5.0
 * handshakes captured at protocols 30, 31 and 32 (tests/unit/data/
 * gen_proto_vectors.py): our decoder reads them, and our encoder, given
 * what rsync had to say, produces the same bytes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto/handshake.h"
#include "data/proto_vectors.h"

struct hs_case {
	const char *name;
	const uint8_t *c2s, *s2c;
	size_t c2s_len, s2c_len;
	int client_version;
	bool negotiate; /* the client info had 'v' */
	bool inc;	/* ... and 'i' */
};

#define HS(n, ver, v, i)                                                                           \
	{                                                                                          \
#n, n##_c2s_hs, n##_s2c_hs, sizeof(n##_c2s_hs), sizeof(n##_s2c_hs), ver, v, i      \
	}
static const struct hs_case cases[] = {
    HS(p30_aHD, 30, true, true), HS(p31_nov, 31, false, true),	 HS(p32_aHD, 32, true, true),
    HS(p32_num, 32, true, true), HS(p32_noinc, 32, true, false),
};

static void test_client_side(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct hs_case *c = &cases[i];
		uint8_t out[512];
		char list[UR_NSTR_MAX + 1], peer[UR_NSTR_MAX + 1];
		struct ur_wbuf w;
		struct ur_rbuf r;
		struct ur_caps caps;
		struct ur_err err = {0};
		int ver;
		size_t len;
		int n;

		/* What the client sent: its version, then its checksum list. */
		ur_wbuf_init(&w, out, sizeof(out));
		assert_int_equal(ur_hs_put_version(&w, c->client_version), 0);
		if (c->negotiate) {
			n = ur_nstr_build(UR_NSTR_CHECKSUM, NULL, 0, false, list, sizeof(list));
			assert_true(n > 0);
			assert_string_equal(list, "xxh128 xxh3 xxh64 md5 md4 sha1");
			assert_int_equal(ur_hs_put_nstr(&w, list, (size_t)n), 0);
		}
		assert_int_equal(w.len, c->c2s_len);
		assert_memory_equal(out, c->c2s, c->c2s_len);

		/* What the server sent, read as the client reads it. */
		ur_caps_init(&caps);
		ur_rbuf_init(&r, c->s2c, c->s2c_len);
		assert_int_equal(ur_hs_get_version(&r, &ver, &err), 0);
		assert_int_equal(ver, 32);
		assert_int_equal(ur_hs_agree(&caps, c->client_version, ver, &err), 0);
		assert_int_equal(caps.protocol, c->client_version);
		uint32_t flags;

		assert_int_equal(ur_hs_get_compat(&r, &flags, &err), 0);
		assert_int_equal(flags, (c->negotiate ? 0x1ffu : 0x17fu) & (c->inc ? ~0u : ~1u));
		ur_caps_apply_compat(&caps, flags, true, false, NULL);
		assert_int_equal(caps.inc_recurse, c->inc);
		assert_true(caps.symlink_times);
		assert_true(caps.safe_flist);
		assert_true(caps.seed_fix);
		assert_int_equal(caps.varint_flist, c->negotiate);
		assert_int_equal(caps.mod_nsec, c->client_version >= 31);
		assert_int_equal(caps.specials_rdev, c->client_version < 31);
		if (c->negotiate) {
			assert_int_equal(ur_hs_get_nstr(&r, peer, &len, &err), 0);
			assert_string_equal(peer, "xxh128 xxh3 xxh64 md5 md4 sha1 none");
			n = ur_nstr_choose(UR_NSTR_CHECKSUM, list, peer, len, &err);
			assert_int_equal(n, UR_CSUM_XXH3_128);
		} else {
			assert_int_equal(caps.checksum, UR_CSUM_MD5);
		}
		assert_int_equal(ur_hs_get_seed(&r, &caps.checksum_seed), 0);
		assert_int_equal(r.pos, c->s2c_len);
		/* And the server's bytes from our server-side encoder. */
		char info[32];
		bool byte_form;

		ur_wbuf_init(&w, out, sizeof(out));
		assert_int_equal(ur_hs_put_version(&w, 32), 0);
		assert_true(ur_client_info_build(info, sizeof(info), c->inc, true, true) > 0);
		assert_string_equal(info, c->inc ? "e.iLsfxCIvu" : "e.LsfxCIvu");
		if (!c->negotiate)
			memmove(strchr(info, 'v'), strchr(info, 'v') + 1, 2);
		uint32_t f2 = ur_compat_from_client_info(info + 1, c->inc, true, true, &byte_form);

		assert_int_equal(f2, flags);
		assert_false(byte_form);
		assert_int_equal(ur_hs_put_compat(&w, f2, byte_form), 0);
		if (c->negotiate) {
			n = ur_nstr_build(UR_NSTR_CHECKSUM, NULL, 0, true, list, sizeof(list));
			assert_int_equal(ur_hs_put_nstr(&w, list, (size_t)n), 0);
		}
		assert_int_equal(ur_hs_put_seed(&w, caps.checksum_seed), 0);
		assert_int_equal(w.len, c->s2c_len);
		assert_memory_equal(out, c->s2c, c->s2c_len);
	}
}

static void test_versions(void **state)
{
	static const uint8_t v19[] = {19, 0, 0, 0}, v41[] = {41, 0, 0, 0},
			     junk[] = {'@', 'R', 'S', 'Y'};
	struct ur_rbuf r;
	struct ur_caps caps;
	struct ur_err err = {0};
	int v;

	(void)state;
	ur_rbuf_init(&r, v19, 4);
	assert_int_equal(ur_hs_get_version(&r, &v, &err), -EPROTO);
	ur_rbuf_init(&r, v41, 4);
	assert_int_equal(ur_hs_get_version(&r, &v, &err), -EPROTO);
	ur_rbuf_init(&r, junk, 4);
	assert_int_equal(ur_hs_get_version(&r, &v, &err), -EPROTO);
	assert_int_equal(r.pos, 0);
	ur_rbuf_init(&r, v19, 3);
	assert_int_equal(ur_hs_get_version(&r, &v, &err), -ENODATA);
	ur_caps_init(&caps);
	assert_int_equal(ur_hs_agree(&caps, 32, 29, &err), -EPROTO);
	assert_int_equal(ur_hs_agree(&caps, 32, 40, &err), 0);
	assert_int_equal(caps.protocol, 32);
}

static void test_negotiation(void **state)
{
	char ours[UR_NSTR_MAX + 1];
	struct ur_err err = {0};
	static const int mine[] = {UR_CSUM_MD5, UR_CSUM_XXH64};
	int n;

	(void)state;
	n = ur_nstr_build(UR_NSTR_COMPRESS, NULL, 0, true, ours, sizeof(ours));
	assert_string_equal(ours, "zstd lz4 zlibx zlib none");
	n = ur_nstr_build(UR_NSTR_COMPRESS, NULL, 0, false, ours, sizeof(ours));
	assert_string_equal(ours, "zstd lz4 zlibx zlib");
	/* Our own preference wins over the peer's order. */
	n = ur_nstr_build(UR_NSTR_CHECKSUM, mine, 2, false, ours, sizeof(ours));
	assert_string_equal(ours, "md5 xxh64");
	assert_int_equal(ur_nstr_choose(UR_NSTR_CHECKSUM, ours, "xxhash md5", 10, &err),
			 UR_CSUM_MD5);
	assert_int_equal(ur_nstr_choose(UR_NSTR_CHECKSUM, ours, "  xxhash  sha1 ", 15, &err),
			 UR_CSUM_XXH64);
	assert_int_equal(ur_nstr_choose(UR_NSTR_CHECKSUM, ours, "sha1 bogus", 10, &err), -EPROTO);
	assert_string_equal(err.msg, "Failed to negotiate a checksum choice.");
	assert_int_equal(ur_nstr_choose(UR_NSTR_CHECKSUM, ours, "", 0, &err), -EPROTO);
	assert_int_equal(ur_nstr_build(UR_NSTR_CHECKSUM, NULL, 0, true, ours, 10), -ENOBUFS);
	assert_int_equal(ur_csum_len(UR_CSUM_XXH3_128), 16);
	assert_int_equal(ur_csum_len(UR_CSUM_SHA1), 20);
	assert_string_equal(ur_cpres_name(UR_CPRES_ZLIBX), "zlibx");
	(void)n;
}

static void test_old_style_compat(void **state)
{
	bool byte_form;
	uint32_t f = ur_compat_from_client_info(".LsfxCIV", false, true, false, &byte_form);
	uint8_t out[8];
	struct ur_wbuf w;
	struct ur_rbuf r;
	uint32_t back;

	(void)state;
	assert_true(byte_form);
	assert_int_equal(f, UR_CF_SYMLINK_TIMES | UR_CF_SAFE_FLIST | UR_CF_AVOID_XATTR_OPTIM |
				UR_CF_CHKSUM_SEED_FIX | UR_CF_INPLACE_PARTIAL_DIR |
				UR_CF_VARINT_FLIST_FLAGS);
	ur_wbuf_init(&w, out, sizeof(out));
	assert_int_equal(ur_hs_put_compat(&w, f, true), 0);
	assert_int_equal(w.len, 1);
	assert_int_equal(out[0], f);
	/* We never send 'V', so we never need to read the byte form; a byte
	 * below 0x80 reads the same either way. */
	ur_wbuf_init(&w, out, sizeof(out));
	assert_int_equal(ur_hs_put_compat(&w, UR_CF_SAFE_FLIST, true), 0);
	ur_rbuf_init(&r, out, 1);
	assert_int_equal(ur_hs_get_compat(&r, &back, NULL), 0);
	assert_int_equal(back, UR_CF_SAFE_FLIST);
	assert_int_equal(ur_hs_put_compat(&w, UR_CF_ID0_NAMES, true), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_client_side),
	    cmocka_unit_test(test_versions),
	    cmocka_unit_test(test_negotiation),
	    cmocka_unit_test(test_old_style_compat),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
