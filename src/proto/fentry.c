/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "proto/fentry.h"

#include <errno.h>
#include <string.h>

/* File type bits as they travel: rsync sends Linux's values everywhere. */
#define W_IFMT	 0170000u
#define W_IFSOCK 0140000u
#define W_IFLNK	 0120000u
#define W_IFREG	 0100000u
#define W_IFBLK	 0060000u
#define W_IFDIR	 0040000u
#define W_IFCHR	 0020000u
#define W_IFIFO	 0010000u

#define IS_TYPE(m, t) (((m)&W_IFMT) == (t))
#define IS_DEVICE(m)  (IS_TYPE(m, W_IFCHR) || IS_TYPE(m, W_IFBLK))
#define IS_SPECIAL(m) (IS_TYPE(m, W_IFIFO) || IS_TYPE(m, W_IFSOCK))

#define MAX_NSEC 999999999

void ur_flist_cfg_init(struct ur_flist_cfg *cfg, const struct ur_caps *caps)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->varint_flags = caps->varint_flist;
	cfg->mod_nsec = caps->mod_nsec;
	cfg->specials_rdev = caps->specials_rdev;
	cfg->safe_flist = caps->safe_flist;
	cfg->inc_recurse = caps->inc_recurse;
	cfg->id0_names = caps->id0_names;
	cfg->csum_len = (unsigned)ur_csum_len(caps->checksum);
}

int ur_fentry_state_init(struct ur_fentry_state *s, const struct ur_flist_cfg *cfg,
			 ur_fentry_lookup_fn lookup, void *lookup_ctx)
{
	memset(s, 0, sizeof(*s));
	if (cfg->always_checksum && cfg->csum_len > UR_FSUM_MAX)
		return -EINVAL;
	/* XMIT_CRTIME_EQ_MTIME is bit 17: only varint flags can carry it, so
	 * rsync refuses --crtimes with a peer that lacks them. */
	if (cfg->preserve_crtimes && !cfg->varint_flags)
		return -EINVAL;
	s->cfg = *cfg;
	s->lookup = lookup;
	s->lookup_ctx = lookup_ctx;
	return 0;
}

void ur_fentry_state_start_list(struct ur_fentry_state *s, int32_t ndx_start)
{
	s->ndx_start = ndx_start;
	s->used = 0;
}

/* Whether this entry carries a device number: real devices, and at
 * protocol 30 FIFOs and sockets too (a dummy one). */
static bool has_rdev(const struct ur_flist_cfg *c, uint32_t mode)
{
	return (c->preserve_devices && IS_DEVICE(mode)) ||
	       (c->preserve_specials && IS_SPECIAL(mode) && c->specials_rdev);
}

static bool valid_type(uint32_t mode)
{
	switch (mode & W_IFMT) {
	case W_IFSOCK:
	case W_IFLNK:
	case W_IFREG:
	case W_IFBLK:
	case W_IFDIR:
	case W_IFCHR:
	case W_IFIFO:
		return true;
	default:
		return false;
	}
}

int ur_fentry_encode(struct ur_fentry_state *s, const struct ur_wentry *e, struct ur_wbuf *w)
{
	const struct ur_flist_cfg *c = &s->cfg;
	const char *prev = s->names[s->cur];
	size_t prev_len = s->name_len[s->cur], l1 = 0, l2;
	size_t start = w->len;
	uint32_t x = 0, rdev_major = s->rdev_major, uid = s->uid, gid = s->gid;
	uint32_t rdev_minor = 0;
	int64_t mtime = s->mtime, atime = s->atime;
	bool abbrev = false, have_last = prev_len > 0;
	size_t ulen = 0, glen = 0;
	int rc = 0;

	if (e->name_len >= UR_FNAME_MAX || (e->name_len && memchr(e->name, 0, e->name_len)))
		return -EINVAL;
	if (e->mtime_nsec > MAX_NSEC || e->size < 0)
		return -EINVAL;
	if ((e->mode & ~0177777u) || (!valid_type(e->mode) && !(c->allow_mode0 && e->mode == 0)))
		return -EINVAL;
	if (e->user_name && (ulen = strlen(e->user_name)) > UR_OWNER_NAME_MAX)
		return -EINVAL;
	if (e->group_name && (glen = strlen(e->group_name)) > UR_OWNER_NAME_MAX)
		return -EINVAL;
	if (IS_TYPE(e->mode, W_IFLNK) && c->preserve_links &&
	    (e->link_len >= UR_FNAME_MAX || (e->link_len && !e->link)))
		return -EINVAL;
	if (c->always_checksum && IS_TYPE(e->mode, W_IFREG) && !e->sum &&
	    !(e->hlinked && e->hlink_ndx >= s->ndx_start))
		return -EINVAL;
	/* The decoder only accepts references to entries already sent. */
	if (e->hlinked && e->hlink_ndx >= 0 && e->hlink_ndx >= s->ndx_start + s->used)
		return -EINVAL;

	if (IS_TYPE(e->mode, W_IFDIR)) {
		if (e->top_dir)
			x |= UR_XMIT_TOP_DIR;
		if (e->no_content_dir)
			x |= UR_XMIT_NO_CONTENT_DIR;
	}
	if (e->mode == s->mode)
		x |= UR_XMIT_SAME_MODE;
	if (c->preserve_devices && IS_DEVICE(e->mode)) {
		rdev_minor = e->rdev_minor;
		if (e->rdev_major == s->rdev_major)
			x |= UR_XMIT_SAME_RDEV_MAJOR;
		else
			rdev_major = e->rdev_major;
	} else if (c->preserve_specials && IS_SPECIAL(e->mode) && c->specials_rdev) {
		/* rsync keeps the running major and sends minor 0. */
		x |= UR_XMIT_SAME_RDEV_MAJOR;
	}
	/* An owner repeats unless this is the very first entry. */
	if (!c->preserve_uid || (e->uid == s->uid && have_last)) {
		x |= UR_XMIT_SAME_UID;
	} else {
		uid = e->uid;
		if (c->inc_recurse && e->user_name)
			x |= UR_XMIT_USER_NAME_FOLLOWS;
	}
	if (!c->preserve_gid || (e->gid == s->gid && have_last)) {
		x |= UR_XMIT_SAME_GID;
	} else {
		gid = e->gid;
		if (c->inc_recurse && e->group_name)
			x |= UR_XMIT_GROUP_NAME_FOLLOWS;
	}
	if (e->mtime == s->mtime)
		x |= UR_XMIT_SAME_TIME;
	else
		mtime = e->mtime;
	if (e->mtime_nsec && c->mod_nsec)
		x |= UR_XMIT_MOD_NSEC;
	if (c->preserve_atimes && !IS_TYPE(e->mode, W_IFDIR)) {
		if (e->atime == s->atime)
			x |= UR_XMIT_SAME_ATIME;
		else
			atime = e->atime;
	}
	if (c->preserve_crtimes && e->crtime == mtime)
		x |= UR_XMIT_CRTIME_EQ_MTIME;
	if (e->hlinked) {
		x |= UR_XMIT_HLINKED;
		if (e->hlink_ndx < 0)
			x |= UR_XMIT_HLINK_FIRST;
		else
			abbrev = e->hlink_ndx >= s->ndx_start;
	}

	/* The shared prefix is capped at 255 because its length is a byte. */
	while (l1 < prev_len && l1 < e->name_len && l1 < 255 && e->name[l1] == prev[l1])
		l1++;
	l2 = e->name_len - l1;
	if (l1)
		x |= UR_XMIT_SAME_NAME;
	if (l2 > 255)
		x |= UR_XMIT_LONG_NAME;

	/* Zero flags would read as the end of the list. */
	if (c->varint_flags) {
		rc |= ur_put_varint(w, (int32_t)(x ? x : UR_XMIT_EXTENDED_FLAGS));
	} else {
		if (!x && !IS_TYPE(e->mode, W_IFDIR))
			x |= UR_XMIT_TOP_DIR; /* meaningless for a non-directory */
		if ((x & 0xFF00) || !x) {
			x |= UR_XMIT_EXTENDED_FLAGS;
			rc |= ur_put_u8(w, (uint8_t)x);
			rc |= ur_put_u8(w, (uint8_t)(x >> 8));
		} else {
			rc |= ur_put_u8(w, (uint8_t)x);
		}
	}
	if (x & UR_XMIT_SAME_NAME)
		rc |= ur_put_u8(w, (uint8_t)l1);
	if (x & UR_XMIT_LONG_NAME)
		rc |= ur_put_varint(w, (int32_t)l2);
	else
		rc |= ur_put_u8(w, (uint8_t)l2);
	rc |= ur_put_bytes(w, e->name + l1, l2);

	if (e->hlinked && e->hlink_ndx >= 0)
		rc |= ur_put_varint(w, e->hlink_ndx);
	if (abbrev)
		goto done;

	rc |= ur_put_varlong(w, e->size, 3);
	if (!(x & UR_XMIT_SAME_TIME))
		rc |= ur_put_varlong(w, mtime, 4);
	if (x & UR_XMIT_MOD_NSEC)
		rc |= ur_put_varint(w, (int32_t)e->mtime_nsec);
	if (c->preserve_crtimes && !(x & UR_XMIT_CRTIME_EQ_MTIME))
		rc |= ur_put_varlong(w, e->crtime, 4);
	if (!(x & UR_XMIT_SAME_MODE))
		rc |= ur_put_int32(w, (int32_t)e->mode);
	if (c->preserve_atimes && !IS_TYPE(e->mode, W_IFDIR) && !(x & UR_XMIT_SAME_ATIME))
		rc |= ur_put_varlong(w, atime, 4);
	if (c->preserve_uid && !(x & UR_XMIT_SAME_UID)) {
		rc |= ur_put_varint(w, (int32_t)uid);
		if (x & UR_XMIT_USER_NAME_FOLLOWS) {
			rc |= ur_put_u8(w, (uint8_t)ulen);
			rc |= ur_put_bytes(w, e->user_name, ulen);
		}
	}
	if (c->preserve_gid && !(x & UR_XMIT_SAME_GID)) {
		rc |= ur_put_varint(w, (int32_t)gid);
		if (x & UR_XMIT_GROUP_NAME_FOLLOWS) {
			rc |= ur_put_u8(w, (uint8_t)glen);
			rc |= ur_put_bytes(w, e->group_name, glen);
		}
	}
	if (has_rdev(c, e->mode)) {
		if (!(x & UR_XMIT_SAME_RDEV_MAJOR))
			rc |= ur_put_varint(w, (int32_t)rdev_major);
		rc |= ur_put_varint(w, (int32_t)rdev_minor);
	}
	if (c->preserve_links && IS_TYPE(e->mode, W_IFLNK)) {
		rc |= ur_put_varint(w, (int32_t)e->link_len);
		rc |= ur_put_bytes(w, e->link, e->link_len);
	}
	if (c->always_checksum && IS_TYPE(e->mode, W_IFREG))
		rc |= ur_put_bytes(w, e->sum, c->csum_len);

done:
	/* Each put either wrote everything or failed with -ENOBUFS. */
	if (rc) {
		w->len = start;
		return -ENOBUFS;
	}
	s->mode = e->mode;
	s->rdev_major = rdev_major;
	s->uid = uid;
	s->gid = gid;
	s->mtime = mtime;
	s->atime = atime;
	s->cur ^= 1;
	memcpy(s->names[s->cur], e->name, e->name_len);
	s->name_len[s->cur] = e->name_len;
	s->used++;
	return 0;
}

int ur_fentry_encode_end(struct ur_fentry_state *s, int32_t io_error, struct ur_wbuf *w)
{
	size_t start = w->len;
	int rc = 0;

	if (s->cfg.varint_flags) {
		rc |= ur_put_varint(w, 0);
		rc |= ur_put_varint(w, io_error);
	} else if (io_error) {
		if (!s->cfg.safe_flist)
			return -EINVAL;
		rc |= ur_put_u8(w, UR_XMIT_EXTENDED_FLAGS);
		rc |= ur_put_u8(w, UR_XMIT_IO_ERROR_ENDLIST >> 8);
		rc |= ur_put_varint(w, io_error);
	} else {
		rc |= ur_put_u8(w, 0);
	}
	if (rc) {
		w->len = start;
		return -ENOBUFS;
	}
	return 0;
}

/* Decoding reads into locals and commits to the state only at the end, so
 * running out of input anywhere leaves everything as it was. */
#define NEED(expr)                                                                                 \
	do {                                                                                       \
		rc = (expr);                                                                       \
		if (rc < 0)                                                                        \
			goto fail;                                                                 \
	} while (0)

static int get_owner_name(struct ur_rbuf *r, char *buf, const char **out, struct ur_err *err)
{
	uint8_t len;
	int rc = ur_get_u8(r, &len);

	if (rc < 0)
		return rc;
	rc = ur_get_bytes(r, buf, len);
	if (rc < 0)
		return rc;
	if (memchr(buf, 0, len))
		return ur_err_stream(err, EBADMSG, "NUL byte in a user or group name");
	buf[len] = '\0';
	*out = len ? buf : NULL;
	return 0;
}

int ur_fentry_decode(struct ur_fentry_state *s, struct ur_rbuf *r, struct ur_wentry *e,
		     int32_t *io_error, struct ur_err *err)
{
	const struct ur_flist_cfg *c = &s->cfg;
	size_t start = r->pos, l1 = 0, l2;
	unsigned nxt = s->cur ^ 1;
	char *name = s->names[nxt];
	uint32_t x, mode = s->mode, uid = s->uid, gid = s->gid, rdev_major = s->rdev_major;
	int64_t mtime = s->mtime, atime = s->atime;
	int32_t v;
	uint8_t b;
	int rc;

	memset(e, 0, sizeof(*e));
	e->hlink_ndx = -1;

	if (c->varint_flags) {
		NEED(ur_get_varint(r, &v, err));
		x = (uint32_t)v;
		if (x == 0) {
			NEED(ur_get_varint(r, &v, err));
			*io_error = v;
			return 1;
		}
	} else {
		NEED(ur_get_u8(r, &b));
		x = b;
		if (x == 0) {
			*io_error = 0;
			return 1;
		}
		if (x & UR_XMIT_EXTENDED_FLAGS) {
			NEED(ur_get_u8(r, &b));
			x |= (uint32_t)b << 8;
		}
		if (x == (UR_XMIT_EXTENDED_FLAGS | UR_XMIT_IO_ERROR_ENDLIST)) {
			if (!c->safe_flist) {
				rc = ur_err_stream(err, EPROTO, "Invalid flist flag: %x", x);
				goto fail;
			}
			NEED(ur_get_varint(r, &v, err));
			*io_error = v;
			return 1;
		}
	}
	e->xflags = x;

	if (x & UR_XMIT_SAME_NAME) {
		NEED(ur_get_u8(r, &b));
		l1 = b;
	}
	if (x & UR_XMIT_LONG_NAME) {
		NEED(ur_get_varint(r, &v, err));
		l2 = (uint32_t)v;
		if (v < 0)
			l2 = SIZE_MAX;
	} else {
		NEED(ur_get_u8(r, &b));
		l2 = b;
	}
	if (l1 > s->name_len[s->cur] || l2 >= UR_FNAME_MAX - l1) {
		rc = ur_err_stream(err, EBADMSG, "overflow: xflags=0x%x l1=%zu l2=%zu", x, l1,
				   l2 == SIZE_MAX ? (size_t)0 : l2);
		goto fail;
	}
	memcpy(name, s->names[s->cur], l1);
	NEED(ur_get_bytes(r, name + l1, l2));
	if (memchr(name + l1, 0, l2)) {
		rc = ur_err_stream(err, EBADMSG, "NUL byte in a file name");
		goto fail;
	}
	e->name = name;
	e->name_len = l1 + l2;
	e->ndx = s->ndx_start + s->used;

	if ((x & (UR_XMIT_HLINKED | UR_XMIT_HLINK_FIRST)) == UR_XMIT_HLINKED) {
		int32_t first;

		NEED(ur_get_varint(r, &first, err));
		if (first < 0 || first >= e->ndx) {
			rc = ur_err_stream(err, EPROTO,
					   "hard-link reference out of range: %ld (%ld)",
					   (long)first, (long)e->ndx);
			goto fail;
		}
		e->hlinked = true;
		e->hlink_ndx = first;
		if (first >= s->ndx_start) {
			struct ur_wentry f;

			memset(&f, 0, sizeof(f));
			if (!s->lookup || s->lookup(s->lookup_ctx, first, &f) < 0) {
				rc = ur_err_stream(err, EPROTO, "hard-link reference %ld not found",
						   (long)first);
				goto fail;
			}
			e->hlink_abbrev = true;
			e->size = f.size;
			mtime = f.mtime;
			e->mtime_nsec = f.mtime_nsec;
			mode = f.mode;
			if (c->preserve_atimes && !IS_TYPE(mode, W_IFDIR))
				atime = f.atime;
			e->crtime = f.crtime;
			if (c->preserve_uid)
				uid = f.uid;
			if (c->preserve_gid)
				gid = f.gid;
			if (c->preserve_devices && IS_DEVICE(mode)) {
				rdev_major = f.rdev_major;
				e->rdev_minor = f.rdev_minor;
			}
			if (c->preserve_links && IS_TYPE(mode, W_IFLNK)) {
				if (f.link_len >= UR_FNAME_MAX) {
					rc = -EINVAL;
					goto fail;
				}
				memcpy(s->link, f.link, f.link_len);
				s->link[f.link_len] = '\0';
				e->link = s->link;
				e->link_len = f.link_len;
			}
			if (c->always_checksum && IS_TYPE(mode, W_IFREG) && f.sum) {
				memcpy(s->sum, f.sum, c->csum_len);
				e->sum = s->sum;
			}
			goto commit;
		}
	} else if (x & UR_XMIT_HLINKED) {
		e->hlinked = true;
	}

	{
		int64_t size;

		NEED(ur_get_varlong(r, 3, &size, err));
		if (size < 0) {
			rc = ur_err_stream(err, EPROTO, "negative file length %lld",
					   (long long)size);
			goto fail;
		}
		e->size = size;
	}
	if (!(x & UR_XMIT_SAME_TIME))
		NEED(ur_get_varlong(r, 4, &mtime, err));
	if (x & UR_XMIT_MOD_NSEC) {
		NEED(ur_get_varint(r, &v, err));
		if (v < 0 || v > MAX_NSEC) {
			rc = ur_err_stream(err, EPROTO, "modtime_nsec out of range: %ld", (long)v);
			goto fail;
		}
		e->mtime_nsec = (uint32_t)v;
	}
	if (c->preserve_crtimes) {
		if (x & UR_XMIT_CRTIME_EQ_MTIME)
			e->crtime = mtime;
		else
			NEED(ur_get_varlong(r, 4, &e->crtime, err));
	}
	if (!(x & UR_XMIT_SAME_MODE)) {
		NEED(ur_get_int32(r, &v));
		mode = (uint32_t)v;
	}
	/* Checked after XMIT_SAME_MODE too: a first entry that claims the
	 * previous mode would otherwise get mode 0. */
	if ((mode & ~0177777u) || (!valid_type(mode) && !(mode == 0 && c->allow_mode0))) {
		rc = ur_err_stream(err, EPROTO, "invalid file mode 0%o", (unsigned)mode);
		goto fail;
	}
	if (c->preserve_atimes && !IS_TYPE(mode, W_IFDIR) && !(x & UR_XMIT_SAME_ATIME))
		NEED(ur_get_varlong(r, 4, &atime, err));
	if (c->preserve_uid && !(x & UR_XMIT_SAME_UID)) {
		NEED(ur_get_varint(r, &v, err));
		uid = (uint32_t)v;
		if (x & UR_XMIT_USER_NAME_FOLLOWS)
			NEED(get_owner_name(r, s->user, &e->user_name, err));
	}
	if (c->preserve_gid && !(x & UR_XMIT_SAME_GID)) {
		NEED(ur_get_varint(r, &v, err));
		gid = (uint32_t)v;
		if (x & UR_XMIT_GROUP_NAME_FOLLOWS)
			NEED(get_owner_name(r, s->group, &e->group_name, err));
	}
	if (has_rdev(c, mode)) {
		if (!(x & UR_XMIT_SAME_RDEV_MAJOR)) {
			NEED(ur_get_varint(r, &v, err));
			rdev_major = (uint32_t)v;
		}
		NEED(ur_get_varint(r, &v, err));
		e->rdev_minor = (uint32_t)v;
		e->size = 0;
	} else if (IS_DEVICE(mode)) {
		e->size = 0;
	}
	if (c->preserve_links && IS_TYPE(mode, W_IFLNK)) {
		NEED(ur_get_varint(r, &v, err));
		if (v < 0 || v >= UR_FNAME_MAX) {
			rc = ur_err_stream(err, EBADMSG, "overflow: linkname_len=%ld", (long)v);
			goto fail;
		}
		NEED(ur_get_bytes(r, s->link, (size_t)v));
		s->link[v] = '\0';
		e->link = s->link;
		e->link_len = (size_t)v;
	}
	if (c->always_checksum && IS_TYPE(mode, W_IFREG)) {
		NEED(ur_get_bytes(r, s->sum, c->csum_len));
		e->sum = s->sum;
	}

commit:
	if (IS_TYPE(mode, W_IFDIR)) {
		e->top_dir = x & UR_XMIT_TOP_DIR;
		e->no_content_dir = x & UR_XMIT_NO_CONTENT_DIR;
	}
	e->mode = mode;
	e->mtime = mtime;
	e->atime = atime;
	e->uid = uid;
	e->gid = gid;
	/* A FIFO's or socket's number (protocol 30) is a dummy: report none. */
	if (IS_DEVICE(mode))
		e->rdev_major = rdev_major;
	else
		e->rdev_minor = 0;
	s->mode = mode;
	s->mtime = mtime;
	s->atime = atime;
	s->uid = uid;
	s->gid = gid;
	s->rdev_major = rdev_major;
	s->cur = nxt;
	s->name_len[nxt] = e->name_len;
	s->used++;
	return 0;

fail:
	r->pos = start;
	return rc;
}

int ur_fentry_name_check(const char *name, size_t len, bool relative_paths, struct ur_err *err)
{
	size_t i = 0;

	if (len && name[0] == '/' && !relative_paths)
		goto bad;
	while (i < len) {
		size_t j = i;

		while (j < len && name[j] != '/')
			j++;
		if (j - i == 2 && name[i] == '.' && name[i + 1] == '.')
			goto bad;
		i = j + 1;
	}
	return 0;
bad:
	return ur_err_stream(err, EPROTO, "unsafe pathname from sender: %.*s",
			     (int)(len > 200 ? 200 : len), name);
}

int ur_idlist_encode_one(struct ur_wbuf *w, uint32_t id, const char *name)
{
	size_t start = w->len, len = name ? strlen(name) : 0;
	int rc = 0;

	/* rsync truncates a longer name to what a length byte can say. */
	if (len > UR_OWNER_NAME_MAX)
		len = UR_OWNER_NAME_MAX;
	rc |= ur_put_varint(w, (int32_t)id);
	rc |= ur_put_u8(w, (uint8_t)len);
	rc |= ur_put_bytes(w, name, len);
	if (rc) {
		w->len = start;
		return -ENOBUFS;
	}
	return 0;
}

int ur_idlist_encode_end(struct ur_wbuf *w, bool id0_names, const char *name0)
{
	if (id0_names)
		return ur_idlist_encode_one(w, 0, name0);
	return ur_put_varint(w, 0);
}

int ur_idlist_decode(struct ur_rbuf *r, bool id0_names, uint32_t *id, char *name, size_t *name_len,
		     struct ur_err *err)
{
	size_t start = r->pos;
	int32_t v;
	uint8_t len;
	int rc = ur_get_varint(r, &v, err);

	if (rc < 0)
		return rc;
	*id = (uint32_t)v;
	name[0] = '\0';
	*name_len = 0;
	if (v == 0 && !id0_names)
		return 1;
	if ((rc = ur_get_u8(r, &len)) < 0 || (rc = ur_get_bytes(r, name, len)) < 0) {
		r->pos = start;
		return rc;
	}
	if (memchr(name, 0, len)) {
		r->pos = start;
		return ur_err_stream(err, EBADMSG, "NUL byte in a user or group name");
	}
	name[len] = '\0';
	*name_len = len;
	return v == 0 ? 1 : 0;
}
