/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "proto/xfer_stats.h"

#include <errno.h>

int ur_xfer_stats_encode(const struct ur_xfer_stats *s, struct ur_wbuf *w)
{
	const int64_t v[5] = {s->total_read, s->total_written, s->total_size, s->flist_buildtime,
			      s->flist_xfertime};
	size_t start = w->len;

	for (int i = 0; i < 5; i++)
		if (ur_put_varlong(w, v[i], 3) < 0) {
			w->len = start;
			return -ENOBUFS;
		}
	return 0;
}

int ur_xfer_stats_decode(struct ur_rbuf *r, struct ur_xfer_stats *s, struct ur_err *err)
{
	size_t start = r->pos;
	int64_t v[5];
	int rc;

	for (int i = 0; i < 5; i++) {
		rc = ur_get_varlong(r, 3, &v[i], err);
		if (rc == 0 && v[i] < 0)
			rc = ur_err_stream(err, EPROTO, "negative transfer statistic");
		if (rc < 0) {
			r->pos = start;
			return rc;
		}
	}
	s->total_read = v[0];
	s->total_written = v[1];
	s->total_size = v[2];
	s->flist_buildtime = v[3];
	s->flist_xfertime = v[4];
	return 0;
}

int ur_del_stats_encode(const struct ur_del_stats *s, struct ur_wbuf *w)
{
	int64_t other = (int64_t)s->files - s->dirs - s->symlinks - s->devices - s->specials;
	const int32_t v[5] = {(int32_t)other, s->dirs, s->symlinks, s->devices, s->specials};
	size_t start = w->len;

	if (other < 0 || s->dirs < 0 || s->symlinks < 0 || s->devices < 0 || s->specials < 0)
		return -EINVAL;
	for (int i = 0; i < 5; i++)
		if (ur_put_varint(w, v[i]) < 0) {
			w->len = start;
			return -ENOBUFS;
		}
	return 0;
}

int ur_del_stats_decode(struct ur_rbuf *r, struct ur_del_stats *s, struct ur_err *err)
{
	size_t start = r->pos;
	int32_t v[5];
	int rc;

	for (int i = 0; i < 5; i++) {
		rc = ur_get_varint(r, &v[i], err);
		if (rc == 0 && (v[i] < 0 || v[i] > UR_MAX_DEL_STAT))
			rc = ur_err_stream(err, EPROTO, "deletion count out of range: %ld",
					   (long)v[i]);
		if (rc < 0) {
			r->pos = start;
			return rc;
		}
	}
	s->files = v[0] + v[1] + v[2] + v[3] + v[4];
	s->dirs = v[1];
	s->symlinks = v[2];
	s->devices = v[3];
	s->specials = v[4];
	return 0;
}
