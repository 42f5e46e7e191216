/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer target for the file-list entry decoder (src/proto/fentry.c)
 * and, through it, the encoder. Bytes 0-1 choose the options (flag form,
 * protocol features, what is preserved); the rest is a stream of lists,
 * each ended as rsync ends one. Every entry decoded is encoded again by a
 * mirror encoder and decoded by a second decoder, which must see the
 * same entry; decoding must never consume on failure.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/fentry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXREC 256

struct rec {
	struct ur_wentry e;
	char name[UR_FNAME_MAX];
	char link[UR_FNAME_MAX];
	char user[UR_OWNER_NAME_MAX + 1], group[UR_OWNER_NAME_MAX + 1];
	uint8_t sum[UR_FSUM_MAX];
};

struct store {
	struct rec recs[MAXREC];
	int n;
};

static struct store sa, sb;
static struct ur_fentry_state da, db, enc;
static uint8_t out[UR_FNAME_MAX * 3 + 1024];

static int lookup(void *ctx, int32_t ndx, struct ur_wentry *first)
{
	struct store *s = ctx;

	for (int i = 0; i < s->n; i++)
		if (s->recs[i].e.ndx == ndx) {
			*first = s->recs[i].e;
			return 0;
		}
	return -ENOENT;
}

static void keep(struct store *s, const struct ur_wentry *e)
{
	struct rec *r;

	if (s->n == MAXREC)
		s->n = 0; /* forget the oldest; lookups then fail, which is fine */
	r = &s->recs[s->n++];
	r->e = *e;
	memcpy(r->name, e->name, e->name_len);
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

static bool same(const struct ur_flist_cfg *c, const struct ur_wentry *a, const struct ur_wentry *b)
{
	bool dir = (a->mode & 0170000) == 0040000;

	if (a->name_len != b->name_len || memcmp(a->name, b->name, a->name_len) ||
	    a->mode != b->mode || a->size != b->size || a->mtime != b->mtime || a->uid != b->uid ||
	    a->gid != b->gid || a->rdev_major != b->rdev_major || a->rdev_minor != b->rdev_minor ||
	    a->link_len != b->link_len || a->hlinked != b->hlinked ||
	    a->hlink_ndx != b->hlink_ndx || a->hlink_abbrev != b->hlink_abbrev || a->ndx != b->ndx)
		return false;
	if (c->mod_nsec && a->mtime_nsec != b->mtime_nsec)
		return false;
	if (!dir && c->preserve_atimes && a->atime != b->atime)
		return false;
	if (c->preserve_crtimes && a->crtime != b->crtime)
		return false;
	if (dir && (a->top_dir != b->top_dir || a->no_content_dir != b->no_content_dir))
		return false;
	if (a->link_len && memcmp(a->link, b->link, a->link_len))
		return false;
	if ((a->sum != NULL) != (b->sum != NULL) || (a->sum && memcmp(a->sum, b->sum, c->csum_len)))
		return false;
	/* A peer may send names without incremental recursion, or with an id
	 * that did not change; our encoder sends them only when both matter.
	 * So: whatever the mirror carried must be what the peer sent. */
	if (b->user_name && (!a->user_name || strcmp(a->user_name, b->user_name)))
		return false;
	if (b->group_name && (!a->group_name || strcmp(a->group_name, b->group_name)))
		return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ur_flist_cfg cfg;
	struct ur_rbuf r;
	struct ur_err err;
	bool mirror = true;
	int lists = 0;

	if (size < 2)
		return 0;
	memset(&cfg, 0, sizeof(cfg));
	cfg.varint_flags = data[0] & 1;
	cfg.mod_nsec = data[0] & 2;
	cfg.specials_rdev = !cfg.mod_nsec;
	cfg.safe_flist = data[0] & 4;
	cfg.inc_recurse = data[0] & 8;
	cfg.preserve_uid = data[0] & 16;
	cfg.preserve_gid = data[0] & 32;
	cfg.preserve_devices = data[0] & 64;
	cfg.preserve_specials = data[0] & 128;
	cfg.preserve_links = data[1] & 1;
	cfg.preserve_atimes = data[1] & 2;
	cfg.preserve_crtimes = (data[1] & 4) && cfg.varint_flags;
	cfg.always_checksum = data[1] & 8;
	cfg.allow_mode0 = data[1] & 16;
	cfg.csum_len = (data[1] & 32) ? 16 : 1 + (data[1] >> 6) * 7;

	sa.n = sb.n = 0;
	if (ur_fentry_state_init(&da, &cfg, lookup, &sa) ||
	    ur_fentry_state_init(&db, &cfg, lookup, &sb) ||
	    ur_fentry_state_init(&enc, &cfg, NULL, NULL))
		abort();
	ur_rbuf_init(&r, data + 2, size - 2);
	int32_t start = 1;

	while (lists++ < 64) {
		ur_fentry_state_start_list(&da, start);
		ur_fentry_state_start_list(&db, start);
		ur_fentry_state_start_list(&enc, start);
		for (;;) {
			struct ur_wentry a, b;
			int32_t ioe = 0;
			size_t before = r.pos;
			int rc = ur_fentry_decode(&da, &r, &a, &ioe, &err);

			if (rc < 0) {
				if (r.pos != before)
					abort();
				if (rc != -ENODATA && rc != -EBADMSG && rc != -EPROTO)
					abort();
				return 0;
			}
			if (rc == 1)
				break;
			if (a.name_len >= UR_FNAME_MAX || memchr(a.name, 0, a.name_len) ||
			    a.mtime_nsec > 999999999 || a.size < 0)
				abort();
			keep(&sa, &a);
			if (!mirror)
				continue;
			/* The mirror: encode what we got and read it back. */
			struct ur_wbuf w;
			struct ur_rbuf rb;
			int32_t ioe2;

			ur_wbuf_init(&w, out, sizeof(out));
			rc = ur_fentry_encode(&enc, &a, &w);
			if (rc == -EINVAL) {
				mirror = false; /* something only a peer would send */
				continue;
			}
			if (rc != 0)
				abort();
			ur_rbuf_init(&rb, out, w.len);
			if (ur_fentry_decode(&db, &rb, &b, &ioe2, &err) != 0 || rb.pos != w.len)
				abort();
			if (!same(&cfg, &a, &b))
				abort();
			keep(&sb, &b);
		}
		start += da.used + 1;
	}
	return 0;
}
