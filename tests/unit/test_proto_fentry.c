/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * File-list entries, index announcements and sum heads against rsync
 * 3.5.0's own bytes. Each *_flist vector is the whole incremental file
 * list an rsync client sent (protocols 30, 31 with byte flags, 32, and 32
 * with --numeric-ids); the *_gen vectors are what the server's generator
 * sent back. We decode them, check every entry against the tree the
 * capture script built (tests/unit/data/gen_proto_vectors.py), then encode
 * what we decoded and demand the identical bytes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "proto/fentry.h"
#include "proto/handshake.h"
#include "proto/item.h"
#include "proto/ndx.h"
#include "proto/sumhead.h"
#include "data/proto_vectors.h"

#define MAXREC 64
#define MAXSEG 16

struct rec {
	struct ur_wentry e;
	char name[UR_FNAME_MAX];
	char link[UR_FNAME_MAX];
	char user[256], group[256];
	uint8_t sum[UR_FSUM_MAX];
};

struct seg {
	int32_t hdr; /* the announcing index, or 0 for the top list */
	int32_t ndx_start;
	int first, count;
	int32_t io_error;
};

static struct rec recs[MAXREC];
static int nrec;
static struct seg segs[MAXSEG];
static int nseg;

static int lookup(void *ctx, int32_t ndx, struct ur_wentry *first)
{
	(void)ctx;
	for (int i = 0; i < nrec; i++)
		if (recs[i].e.ndx == ndx) {
			*first = recs[i].e;
			return 0;
		}
	return -ENOENT;
}

static void keep(const struct ur_wentry *e)
{
	struct rec *r = &recs[nrec++];

	assert_true(nrec <= MAXREC);
	r->e = *e;
	memcpy(r->name, e->name, e->name_len);
	r->name[e->name_len] = '\0';
	r->e.name = r->name;
	if (e->link) {
		memcpy(r->link, e->link, e->link_len);
		r->e.link = r->link;
	}
	if (e->user_name) {
		strcpy(r->user, e->user_name);
		r->e.user_name = r->user;
	}
	if (e->group_name) {
		strcpy(r->group, e->group_name);
		r->e.group_name = r->group;
	}
	if (e->sum) {
		memcpy(r->sum, e->sum, sizeof(r->sum));
		r->e.sum = r->sum;
	}
}

static void decode_list(struct ur_fentry_state *s, struct ur_rbuf *r, struct seg *g)
{
	struct ur_wentry e;
	struct ur_err err = {0};
	int rc;

	ur_fentry_state_start_list(s, g->ndx_start);
	g->first = nrec;
	while ((rc = ur_fentry_decode(s, r, &e, &g->io_error, &err)) == 0)
		keep(&e);
	if (rc != 1)
		fail_msg("decode: %d %s at %zu", rc, err.msg, r->pos);
	g->count = nrec - g->first;
}

/* Decode a whole incremental file list exchange: the top list, then each
 * announced sub-list, up to NDX_FLIST_EOF. Returns the bytes consumed. */
static size_t decode_all(const struct ur_flist_cfg *cfg, const uint8_t *v, size_t len)
{
	struct ur_fentry_state *s = test_malloc(sizeof(*s));
	struct ur_ndx_state ns;
	struct ur_rbuf r;
	int32_t ndx;

	nrec = nseg = 0;
	assert_int_equal(ur_fentry_state_init(s, cfg, lookup, NULL), 0);
	ur_ndx_init(&ns);
	ur_rbuf_init(&r, v, len);
	segs[0] = (struct seg){.hdr = 0, .ndx_start = 1};
	decode_list(s, &r, &segs[nseg++]);
	for (;;) {
		struct seg *prev = &segs[nseg - 1], *g = &segs[nseg];

		assert_int_equal(ur_ndx_decode(&ns, &r, &ndx, NULL), 0);
		if (ndx == UR_NDX_FLIST_EOF)
			break;
		assert_true(ndx <= UR_NDX_FLIST_OFFSET);
		assert_true(nseg < MAXSEG);
		*g = (struct seg){.hdr = ndx, .ndx_start = prev->ndx_start + prev->count + 1};
		decode_list(s, &r, g);
		nseg++;
	}
	test_free(s);
	return r.pos;
}

static size_t encode_all(const struct ur_flist_cfg *cfg, uint8_t *out, size_t cap)
{
	struct ur_fentry_state *s = test_malloc(sizeof(*s));
	struct ur_ndx_state ns;
	struct ur_wbuf w;

	assert_int_equal(ur_fentry_state_init(s, cfg, NULL, NULL), 0);
	ur_ndx_init(&ns);
	ur_wbuf_init(&w, out, cap);
	for (int g = 0; g < nseg; g++) {
		if (segs[g].hdr)
			assert_int_equal(ur_ndx_encode(&ns, segs[g].hdr, &w), 0);
		ur_fentry_state_start_list(s, segs[g].ndx_start);
		for (int i = segs[g].first; i < segs[g].first + segs[g].count; i++) {
			struct ur_wentry e = recs[i].e;

			e.name_len = strlen(recs[i].name);
			assert_int_equal(ur_fentry_encode(s, &e, &w), 0);
		}
		assert_int_equal(ur_fentry_encode_end(s, segs[g].io_error, &w), 0);
	}
	assert_int_equal(ur_ndx_encode(&ns, UR_NDX_FLIST_EOF, &w), 0);
	test_free(s);
	return w.len;
}

/* The tree, as stat showed it to the capture script. */
#define T0 1709528767 /* 2024-03-04 05:06:07 UTC */
#define T1 1704164645 /* 2024-01-02 03:04:05 UTC */
struct want {
	const char *name;
	uint32_t mode;
	int64_t size; /* -1: a directory, size depends on the filesystem */
	int64_t mtime;
	uint32_t nsec;
	uint32_t uid, gid;
	const char *user, *group; /* names when sent inline */
	uint32_t major, minor;
	const char *link;
};

static char longdir[201], longfile[201 + 121];

/* a.txt and sub/hard are one inode. With incremental recursion a.txt (in
 * the top list) comes first and sub/hard, in a later list, names it in
 * full; in a single list the second of them is abbreviated. */
static void check_hlinks(bool same_list)
{
	const struct ur_wentry *first = NULL, *second = NULL;

	for (int i = 0; i < nrec; i++) {
		if (strcmp(recs[i].name, "a.txt") && strcmp(recs[i].name, "sub/hard"))
			continue;
		assert_true(recs[i].e.hlinked);
		if (recs[i].e.hlink_ndx < 0)
			first = &recs[i].e;
		else
			second = &recs[i].e;
	}
	assert_non_null(first);
	assert_non_null(second);
	assert_int_equal(second->hlink_ndx, first->ndx);
	assert_int_equal(second->hlink_abbrev, same_list);
	if (!same_list)
		assert_string_equal(first->name, "a.txt");
}

static const struct want tree[] = {
    {".", 040755, -1, T0, 0, 0, 0, "root", "root", 0, 0, NULL},
    {"a.txt", 0100644, 6, T1, 123456789, 0, 0, NULL, NULL, 0, 0, NULL},
    {"bdev", 060644, 0, T0, 0, 0, 0, NULL, NULL, 7, 0, NULL},
    {"cdev", 020644, 0, T0, 0, 0, 0, NULL, NULL, 1, 3, NULL},
    {"fifo", 010644, 0, T0, 0, 0, 0, NULL, NULL, 0, 0, NULL},
    {"link", 0120777, 5, T0, 0, 65534, 65534, "nobody", "nogroup", 0, 0, "a.txt"},
    {longdir, 040755, -1, T0, 0, 0, 0, NULL, NULL, 0, 0, NULL},
    {longfile, 0100644, 0, T0, 0, 0, 0, NULL, NULL, 0, 0, NULL},
    {"sub", 040755, -1, T0, 0, 0, 0, NULL, NULL, 0, 0, NULL},
    {"sub/big", 0100644, 300, T0, 0, 1, 1, "daemon", "daemon", 0, 0, NULL},
    {"sub/deeper", 040755, -1, T0, 500000000, 0, 0, NULL, NULL, 0, 0, NULL},
    {"sub/hard", 0100644, 6, T1, 123456789, 0, 0, NULL, NULL, 0, 0, NULL},
};

static void check_tree(bool nsec, bool names, bool same_list)
{

	assert_int_equal(nrec, (int)(sizeof(tree) / sizeof(tree[0])));
	for (int i = 0; i < nrec; i++) {
		const struct ur_wentry *e = &recs[i].e;
		const struct want *t = NULL;

		for (size_t k = 0; k < sizeof(tree) / sizeof(tree[0]); k++)
			if (strcmp(tree[k].name, recs[i].name) == 0)
				t = &tree[k];
		if (!t)
			fail_msg("unexpected entry %s", recs[i].name);
		assert_int_equal(e->mode, t->mode);
		if (t->size >= 0)
			assert_int_equal(e->size, t->size);
		assert_int_equal(e->mtime, t->mtime);
		assert_int_equal(e->mtime_nsec, nsec ? t->nsec : 0);
		assert_int_equal(e->uid, t->uid);
		assert_int_equal(e->gid, t->gid);
		if (names && t->user) {
			assert_non_null(e->user_name);
			assert_string_equal(e->user_name, t->user);
			assert_string_equal(e->group_name, t->group);
		} else {
			assert_null(e->user_name);
			assert_null(e->group_name);
		}
		/* At protocol 30 FIFOs carry a dummy device number too. */
		if ((t->mode & 0170000) == 020000 || (t->mode & 0170000) == 060000) {
			assert_int_equal(e->rdev_major, t->major);
			assert_int_equal(e->rdev_minor, t->minor);
		}
		if (t->link) {
			assert_int_equal(e->link_len, strlen(t->link));
			assert_memory_equal(e->link, t->link, e->link_len);
		}
		if (strcmp(t->name, ".") == 0)
			assert_true(e->top_dir);
	}
	check_hlinks(same_list);
}

static void cfg_for(struct ur_flist_cfg *cfg, int proto, bool varint)
{
	struct ur_caps caps;

	ur_caps_init(&caps);
	assert_int_equal(ur_hs_agree(&caps, proto, 32, NULL), 0);
	ur_caps_apply_compat(&caps, varint ? 0x1ff : 0x17f, true, false, NULL);
	ur_flist_cfg_init(cfg, &caps);
	cfg->preserve_uid = cfg->preserve_gid = true;
	cfg->preserve_devices = cfg->preserve_specials = true;
	cfg->preserve_links = cfg->preserve_hard_links = true;
}

static void run_capture(const uint8_t *v, size_t len, int proto, bool varint, bool names)
{
	struct ur_flist_cfg cfg;
	static uint8_t out[8192];
	size_t n;

	cfg_for(&cfg, proto, varint);
	n = decode_all(&cfg, v, len);
	assert_int_equal(n, len);
	check_tree(proto >= 31, names, false);
	assert_int_equal(nseg, 4); /* ., n*200/, sub/, sub/deeper/ */
	n = encode_all(&cfg, out, sizeof(out));
	assert_int_equal(n, len);
	assert_memory_equal(out, v, len);
}

static void test_flist_p30(void **state)
{
	(void)state;
	run_capture(p30_aHD_flist, sizeof(p30_aHD_flist), 30, true, true);
}

static void test_flist_p31_byte_flags(void **state)
{
	(void)state;
	run_capture(p31_nov_flist, sizeof(p31_nov_flist), 31, false, true);
}

static void test_flist_p32(void **state)
{
	(void)state;
	run_capture(p32_aHD_flist, sizeof(p32_aHD_flist), 32, true, true);
}

static void test_flist_p32_numeric(void **state)
{
	(void)state;
	run_capture(p32_num_flist, sizeof(p32_num_flist), 32, true, false);
}

/* Without incremental recursion: one list at index 0, owners by id with
 * the uid and gid lists after it; here also -c (xxh128 file sums) and -U.
 * sub/hard now points into the same list, so it is abbreviated. */
static void test_flist_p32_noinc(void **state)
{
	/* xxh128 of nothing, in the order rsync sends it */
	static const uint8_t empty_sum[16] = {0x7f, 0x49, 0x8d, 0x46, 0x24, 0xc3, 0x01, 0x60,
					      0xd8, 0x98, 0x47, 0x01, 0xd3, 0x06, 0xaa, 0x99};
	static const char *const users[] = {"daemon", "nobody", "root"};
	static const char *const groups[] = {"daemon", "nogroup", "root"};
	struct ur_flist_cfg cfg;
	struct ur_fentry_state *s = test_malloc(sizeof(*s));
	static uint8_t out[8192];
	struct ur_rbuf r;
	struct ur_wbuf w;
	struct ur_err err = {0};
	struct seg *g = &segs[0];
	char name[256];
	size_t len;
	uint32_t id;
	int rc;

	(void)state;
	cfg_for(&cfg, 32, true);
	cfg.inc_recurse = false;
	cfg.preserve_atimes = cfg.always_checksum = true;
	cfg.csum_len = 16;
	assert_int_equal(ur_fentry_state_init(s, &cfg, lookup, NULL), 0);
	nrec = 0;
	nseg = 1;
	*g = (struct seg){.hdr = 0, .ndx_start = 0};
	ur_rbuf_init(&r, p32_noinc_flist, sizeof(p32_noinc_flist));
	decode_list(s, &r, g);
	check_tree(true, false, true);
	for (int i = 0; i < nrec; i++) {
		if (recs[i].e.hlink_abbrev)
			assert_non_null(recs[i].e.sum);
		if (recs[i].name[0] == 'n' && strchr(recs[i].name, '/'))
			assert_memory_equal(recs[i].e.sum, empty_sum, 16);
	}
	/* Then the id lists, each ending with root's name (CF_ID0_NAMES). */
	for (int list = 0; list < 2; list++) {
		const char *const *want = list ? groups : users;

		for (int k = 0; k < 3; k++) {
			rc = ur_idlist_decode(&r, true, &id, name, &len, &err);
			assert_int_equal(rc, k == 2 ? 1 : 0);
			assert_string_equal(name, want[k]);
		}
	}
	assert_int_equal(r.pos, sizeof(p32_noinc_flist));

	/* And back: the list, then the two id lists. */
	nseg = 1;
	size_t n = encode_all(&cfg, out, sizeof(out));

	n -= 2; /* encode_all ends with NDX_FLIST_EOF (ff 01 here), which is not sent
		 * without incremental recursion */
	ur_wbuf_init(&w, out, sizeof(out));
	w.len = n;
	static const uint32_t ids[] = {1, 65534};

	for (int list = 0; list < 2; list++) {
		const char *const *want = list ? groups : users;

		for (int k = 0; k < 2; k++)
			assert_int_equal(ur_idlist_encode_one(&w, ids[k], want[k]), 0);
		assert_int_equal(ur_idlist_encode_end(&w, true, "root"), 0);
	}
	assert_int_equal(w.len, sizeof(p32_noinc_flist));
	assert_memory_equal(out, p32_noinc_flist, w.len);
	test_free(s);
}

/* Walk a generator stream: index, item flags, optional basis type and
 * xname, and for transfers a sum head and its block sums. Re-encode it as
 * we go; returns the number of sum heads seen. */
static int walk_gen(const uint8_t *v, size_t len, struct ur_sum_head *last)
{
	struct ur_ndx_state ds, es;
	struct ur_rbuf r;
	struct ur_wbuf w;
	static uint8_t out[4096];
	struct ur_err err = {0};
	static struct ur_wire_item it;
	int heads = 0;

	ur_ndx_init(&ds);
	ur_ndx_init(&es);
	ur_rbuf_init(&r, v, len);
	ur_wbuf_init(&w, out, sizeof(out));
	while (ur_rbuf_left(&r)) {
		int32_t ndx;

		assert_int_equal(ur_ndx_decode(&ds, &r, &ndx, &err), 0);
		assert_int_equal(ur_ndx_encode(&es, ndx, &w), 0);
		if (ndx < 0)
			continue;
		assert_int_equal(ur_item_decode(&r, &it, &err), 0);
		assert_int_equal(ur_item_encode(&it, &w), 0);
		if (it.iflags & UR_ITEM_TRANSFER) {
			struct ur_sum_head h;
			size_t sums;

			assert_int_equal(ur_sum_head_decode(&r, 16, &h, &err), 0);
			assert_int_equal(ur_sum_head_encode(&h, 16, &w), 0);
			sums = (size_t)h.count * (4 + (size_t)h.s2length);
			assert_true(ur_rbuf_left(&r) >= sums);
			assert_int_equal(ur_put_bytes(&w, r.p + r.pos, sums), 0);
			r.pos += sums;
			*last = h;
			heads++;
		}
	}
	assert_int_equal(w.len, len);
	assert_memory_equal(out, v, len);
	return heads;
}

static void test_generator_streams(void **state)
{
	struct ur_sum_head h;

	(void)state;
	/* New files: empty sum heads. */
	assert_true(walk_gen(p30_aHD_gen, sizeof(p30_aHD_gen), &h) > 0);
	assert_int_equal(h.count, 0);
	assert_true(walk_gen(p31_nov_gen, sizeof(p31_nov_gen), &h) > 0);
	assert_true(walk_gen(p32_aHD_gen, sizeof(p32_aHD_gen), &h) > 0);
	assert_true(walk_gen(p32_num_gen, sizeof(p32_num_gen), &h) > 0);
	assert_true(walk_gen(p32_noinc_gen, sizeof(p32_noinc_gen), &h) > 0);
	/* A 4900-byte basis: 7 blocks of 700, 2-byte strong sums. */
	assert_int_equal(walk_gen(p32_delta_gen, sizeof(p32_delta_gen), &h), 1);
	assert_int_equal(h.count, 7);
	assert_int_equal(h.blength, 700);
	assert_int_equal(h.s2length, 2);
	assert_int_equal(h.remainder, 0);
}

static void test_sum_head_bounds(void **state)
{
	static const struct ur_sum_head bad[] = {
	    {-1, 700, 2, 0}, {1, 0, 2, 0},     {1, (1 << 17) + 1, 2, 0}, {1, 700, 17, 0},
	    {1, 700, -1, 0}, {1, 700, 2, 701}, {1, 700, 2, -1},
	};
	uint8_t buf[16];
	struct ur_wbuf w;
	struct ur_rbuf r;
	struct ur_sum_head h;
	struct ur_err err = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ur_wbuf_init(&w, buf, sizeof(buf));
		assert_int_equal(ur_sum_head_encode(&bad[i], 16, &w), -EINVAL);
		ur_put_int32(&w, bad[i].count);
		ur_put_int32(&w, bad[i].blength);
		ur_put_int32(&w, bad[i].s2length);
		ur_put_int32(&w, bad[i].remainder);
		ur_rbuf_init(&r, buf, 16);
		assert_int_equal(ur_sum_head_decode(&r, 16, &h, &err), -EPROTO);
		assert_int_equal(r.pos, 0);
	}
	ur_rbuf_init(&r, buf, 15);
	assert_int_equal(ur_sum_head_decode(&r, 16, &h, &err), -ENODATA);
}

/* Encode/decode cases the captures do not cover. */
static void test_roundtrip_options(void **state)
{
	struct ur_flist_cfg cfg;
	struct ur_fentry_state *es = test_malloc(sizeof(*es)), *ds = test_malloc(sizeof(*ds));
	static uint8_t buf[16384];
	static const uint8_t sum[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	char longname[3000];
	struct ur_wbuf w;
	struct ur_rbuf r;
	struct ur_wentry d;
	struct ur_err err = {0};
	int32_t ioe;

	(void)state;
	memset(longname, 'L', sizeof(longname));
	memcpy(longname, "dir/", 4);
	for (int varint = 0; varint < 2; varint++) {
		cfg_for(&cfg, 31, varint);
		cfg.preserve_atimes = cfg.always_checksum = true;
		cfg.preserve_crtimes = true;
		assert_int_equal(ur_fentry_state_init(es, &cfg, NULL, NULL), varint ? 0 : -EINVAL);
		cfg.preserve_crtimes = varint;
		cfg.csum_len = 16;
		assert_int_equal(ur_fentry_state_init(es, &cfg, NULL, NULL), 0);
		assert_int_equal(ur_fentry_state_init(ds, &cfg, lookup, NULL), 0);
		ur_fentry_state_start_list(es, 5);
		ur_fentry_state_start_list(ds, 5);
		nrec = 0;
		ur_wbuf_init(&w, buf, sizeof(buf));
		struct ur_wentry in[4];

		memset(in, 0, sizeof(in));
		in[0] = (struct ur_wentry){.name = "dir/f",
					   .name_len = 5,
					   .mode = 0100600,
					   .size = 1LL << 40,
					   .mtime = -5,
					   .mtime_nsec = 1,
					   .atime = 77,
					   .crtime = -5,
					   .uid = 1000,
					   .gid = 1000,
					   .sum = sum,
					   .hlinked = true,
					   .hlink_ndx = -1};
		in[1] = in[0];
		in[1].name = "dir/g"; /* abbreviated link to in[0] (index 5) */
		in[1].hlink_ndx = 5;
		in[2] = (struct ur_wentry){.name = longname,
					   .name_len = sizeof(longname),
					   .mode = 0140755,
					   .mtime = 9,
					   .crtime = 1,
					   .atime = 77,
					   .uid = 1000,
					   .gid = 5};
		in[3] = in[2];
		in[3].name = "zz";
		in[3].name_len = 2;
		in[3].mode = 0; /* refused without --delete-missing-args */
		for (int i = 0; i < 3; i++)
			assert_int_equal(ur_fentry_encode(es, &in[i], &w), 0);
		assert_int_equal(ur_fentry_encode(es, &in[3], &w), -EINVAL);
		assert_int_equal(ur_fentry_encode_end(es, 0, &w), 0);
		/* Decode one byte at a time: -ENODATA until each entry is whole. */
		ur_rbuf_init(&r, buf, 0);
		for (int i = 0; i < 4; i++) {
			int rc;

			while ((rc = ur_fentry_decode(ds, &r, &d, &ioe, &err)) == -ENODATA) {
				assert_true(r.len < w.len);
				r.len++;
			}
			if (i == 3) {
				assert_int_equal(rc, 1);
				assert_int_equal(ioe, 0);
				break;
			}
			if (rc != 0)
				fail_msg("entry %d: %d %s", i, rc, err.msg);
			assert_int_equal(d.name_len, in[i].name_len);
			assert_memory_equal(d.name, in[i].name, d.name_len);
			assert_int_equal(d.mode, in[i].mode);
			assert_true(d.size == in[i].size);
			assert_true(d.mtime == in[i].mtime);
			assert_int_equal(d.mtime_nsec, in[i].mtime_nsec);
			assert_true(d.atime == in[i].atime);
			if (varint)
				assert_true(d.crtime == in[i].crtime);
			assert_int_equal(d.uid, in[i].uid);
			assert_int_equal(d.gid, in[i].gid);
			assert_int_equal(d.ndx, 5 + i);
			if (in[i].sum)
				assert_memory_equal(d.sum, sum, 16);
			assert_int_equal(d.hlink_abbrev, i == 1);
			keep(&d);
		}
		assert_int_equal(r.pos, w.len);
		/* An I/O error at the end of a list. */
		ur_wbuf_init(&w, buf, sizeof(buf));
		assert_int_equal(ur_fentry_encode_end(es, 1, &w), 0);
		ur_rbuf_init(&r, buf, w.len);
		assert_int_equal(ur_fentry_decode(ds, &r, &d, &ioe, &err), 1);
		assert_int_equal(ioe, 1);
		/* Encoding into too small a buffer changes nothing. */
		ur_wbuf_init(&w, buf, 3);
		assert_int_equal(ur_fentry_encode(es, &in[0], &w), -ENOBUFS);
		assert_int_equal(w.len, 0);
	}
	test_free(es);
	test_free(ds);
}

static void test_bad_entries(void **state)
{
	struct ur_flist_cfg cfg;
	struct ur_fentry_state *s = test_malloc(sizeof(*s));
	struct ur_wentry e;
	struct ur_rbuf r;
	struct ur_err err = {0};
	int32_t ioe;
	const struct {
		const uint8_t *b;
		size_t n;
		int rc;
	} bad[] = {
#define BYTES(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})
	    /* SAME_NAME with 3 bytes of a previous name that is empty */
	    {BYTES(0x20, 0x03, 0x01, 'x'), -EBADMSG},
	    /* a long name of 4096 bytes */
	    {BYTES(0x40, 0x90, 0x00), -EBADMSG},
	    /* a negative long name length */
	    {BYTES(0x40, 0xf0, 0xff, 0xff, 0xff, 0xff), -EBADMSG},
	    /* a NUL inside a name */
	    {BYTES(0x02, 0x02, 'a', 0), -EBADMSG},
	    /* mode with type bits 0170000 (size, mtime, then the mode) */
	    {BYTES(0x18, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 0x00, 0xf0, 0x00, 0x00), -EPROTO},
	    /* mode with a bit above 0177777 */
	    {BYTES(0x18, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 0xa4, 0x81, 0x01, 0x00), -EPROTO},
	    /* a first entry claiming the previous mode: there is none */
	    {BYTES(0x1a, 1, 'a', 0, 0, 0, 0, 0, 0, 0), -EPROTO},
	    /* nanoseconds of a billion (0x3b9aca00) */
	    {BYTES(0xa0, 0x18, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 0xf0, 0x00, 0xca, 0x9a, 0x3b), -EPROTO},
	    /* a hard link to index 0 from the first entry of a list at 0 */
	    {BYTES(0x82, 0x18, 1, 'a', 0), -EPROTO},
	    /* a symlink target of 4096 bytes */
	    {BYTES(0x18, 1, 'l', 0, 0, 0, 0, 0, 0, 0, 0xff, 0xa1, 0, 0, 0x90, 0x00), -EBADMSG},
	    /* a negative size */
	    {BYTES(0x18, 1, 'a', 0xfc, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), -EPROTO},
	    /* a user name with a NUL in it */
	    {BYTES(0x84, 0x10, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 0xa4, 0x81, 0, 0, 5, 2, 'r', 0),
	     -EBADMSG},
#undef BYTES
	};

	(void)state;
	cfg_for(&cfg, 32, true);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ur_fentry_state_init(s, &cfg, NULL, NULL), 0);
		ur_fentry_state_start_list(s, 0);
		ur_rbuf_init(&r, bad[i].b, bad[i].n);
		int rc = ur_fentry_decode(s, &r, &e, &ioe, &err);

		if (rc != bad[i].rc)
			fail_msg("case %zu: %d (%s)", i, rc, err.msg);
		assert_int_equal(r.pos, 0);
	}
	/* Byte flags: the error end needs safe_flist. */
	cfg_for(&cfg, 30, false);
	cfg.safe_flist = false;
	assert_int_equal(ur_fentry_state_init(s, &cfg, NULL, NULL), 0);
	ur_rbuf_init(&r, (const uint8_t[]){0x04, 0x10, 0x01}, 3);
	assert_int_equal(ur_fentry_decode(s, &r, &e, &ioe, &err), -EPROTO);
	test_free(s);
}

static void test_name_check(void **state)
{
	static const struct {
		const char *name;
		bool rel;
		int rc;
	} cases[] = {
	    {".", false, 0},
	    {"a/b/c", false, 0},
	    {"..a/b..", false, 0},
	    {"a/.../b", false, 0},
	    {"", false, 0},
	    {"..", false, -EPROTO},
	    {"a/..", false, -EPROTO},
	    {"../a", false, -EPROTO},
	    {"a/../b", false, -EPROTO},
	    {"/etc", false, -EPROTO},
	    {"/etc", true, 0},
	    {"/../x", true, -EPROTO},
	    {"a//..//b", false, -EPROTO},
	};
	struct ur_err err = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(
		    ur_fentry_name_check(cases[i].name, strlen(cases[i].name), cases[i].rel, &err),
		    cases[i].rc);
	/* Every name in the captured lists passes. */
	struct ur_flist_cfg cfg;

	cfg_for(&cfg, 32, true);
	decode_all(&cfg, p32_aHD_flist, sizeof(p32_aHD_flist));
	for (int i = 0; i < nrec; i++)
		assert_int_equal(
		    ur_fentry_name_check(recs[i].name, strlen(recs[i].name), false, NULL), 0);
}

static void test_idlist(void **state)
{
	uint8_t buf[256];
	struct ur_wbuf w;
	struct ur_rbuf r;
	uint32_t id;
	char name[256];
	size_t len;

	(void)state;
	for (int id0 = 0; id0 < 2; id0++) {
		ur_wbuf_init(&w, buf, sizeof(buf));
		assert_int_equal(ur_idlist_encode_one(&w, 1, "daemon"), 0);
		assert_int_equal(ur_idlist_encode_one(&w, 65534, "nobody"), 0);
		assert_int_equal(ur_idlist_encode_end(&w, id0, "root"), 0);
		assert_memory_equal(buf,
				    "\x01\x06"
				    "daemon\xc0\xfe\xff\x06"
				    "nobody\x00",
				    17);
		ur_rbuf_init(&r, buf, w.len);
		assert_int_equal(ur_idlist_decode(&r, id0, &id, name, &len, NULL), 0);
		assert_int_equal(id, 1);
		assert_string_equal(name, "daemon");
		assert_int_equal(ur_idlist_decode(&r, id0, &id, name, &len, NULL), 0);
		assert_int_equal(id, 65534);
		assert_int_equal(ur_idlist_decode(&r, id0, &id, name, &len, NULL), 1);
		assert_int_equal(id, 0);
		assert_string_equal(name, id0 ? "root" : "");
		assert_int_equal(r.pos, w.len);
	}
	ur_rbuf_init(&r,
		     "\x05\x09"
		     "ab",
		     4);
	assert_int_equal(ur_idlist_decode(&r, true, &id, name, &len, NULL), -ENODATA);
	assert_int_equal(r.pos, 0);
}

int main(void)
{
	memset(longdir, 'n', 200);
	memcpy(longfile, longdir, 200);
	longfile[200] = '/';
	memset(longfile + 201, 'm', 120);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_flist_p30),	    cmocka_unit_test(test_flist_p31_byte_flags),
	    cmocka_unit_test(test_flist_p32),	    cmocka_unit_test(test_flist_p32_numeric),
	    cmocka_unit_test(test_flist_p32_noinc), cmocka_unit_test(test_generator_streams),
	    cmocka_unit_test(test_sum_head_bounds), cmocka_unit_test(test_roundtrip_options),
	    cmocka_unit_test(test_bad_entries),	    cmocka_unit_test(test_name_check),
	    cmocka_unit_test(test_idlist),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
