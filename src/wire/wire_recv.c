/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The receiving side over the wire: file lists in, the local engine's
 * generator for each entry, requests out, whole-file data in (wire.h).
 */
#include "config.h"
#include "checksum/checksum.h"
#include "delta/delta.h"
#include "wire/wire.h"
#include "engine/refdir.h"
#include "filter/filter.h"
#include "proto/item.h"
#include "proto/sumhead.h"
#include "proto/token.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* Significant item flags: anything but the basis/xname/local-change bits
 * (what makes rsync's generator tell the sender about an item). */
#define SIGNIFICANT_ITEM_FLAGS                                                                     \
	(~(uint32_t)(UR_ITEM_BASIS_TYPE_FOLLOWS | UR_ITEM_XNAME_FOLLOWS | UR_ITEM_LOCAL_CHANGE) &  \
	 0xFFFFu)

static int wire_fail(struct ur_wire *w, int code, const char *fmt, const char *a, const char *b)
{
	if (!w->c->err.msg[0])
		ur_err_set(&w->c->err, code, 0, fmt, a, b);
	else
		w->c->err.code = code;
	return -EPROTO;
}

/* ---- owners ---- */

static uint32_t map_lookup(struct ur_idmap *m, size_t n, uint32_t id, bool *found)
{
	for (size_t i = 0; i < n; i++)
		if (m[i].id == id) {
			*found = true;
			return m[i].local;
		}
	*found = false;
	return id;
}

static void map_add(struct ur_idmap **m, size_t *n, size_t *cap, uint32_t id, const char *name,
		    bool is_user)
{
	bool found;
	map_lookup(*m, *n, id, &found);
	if (found || id == 0)
		return;
	uint32_t local = id;
	if (name && *name) {
		if (is_user) {
			struct passwd *pw = getpwnam(name);
			if (pw)
				local = pw->pw_uid;
		} else {
			struct group *gr = getgrnam(name);
			if (gr)
				local = gr->gr_gid;
		}
	}
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		struct ur_idmap *nm = realloc(*m, nc * sizeof(*nm));
		if (!nm)
			return;
		*m = nm;
		*cap = nc;
	}
	(*m)[(*n)++] = (struct ur_idmap){id, local};
}

static uint32_t map_uid(struct ur_wire *w, uint32_t id)
{
	bool f;
	return map_lookup(w->uids, w->nuids, id, &f);
}

static uint32_t map_gid(struct ur_wire *w, uint32_t id)
{
	bool f;
	return map_lookup(w->gids, w->ngids, id, &f);
}

/* After a whole (non-incremental) list: the uid and gid name lists. */
static int recv_id_lists(struct ur_engine *eng, struct ur_wire *w)
{
	const struct ur_opts *o = eng->o;
	for (int pass = 0; pass < 2; pass++) {
		bool want = pass == 0 ? o->owner : o->group;
		if (!want || o->numeric_ids)
			continue;
		for (;;) {
			uint32_t id;
			char name[256];
			size_t nlen;
			int rc;
			UR_CONN_DECODE(
			    w->c, rc, r,
			    ur_idlist_decode(r, w->caps.id0_names, &id, name, &nlen, &w->c->err));
			if (rc < 0) {
				if (!w->c->err.code)
					w->c->err.code = UR_EXIT_PROTOCOL;
				return rc;
			}
			if (rc == 1)
				break;
			name[nlen] = '\0';
			if (pass == 0)
				map_add(&w->uids, &w->nuids, &w->capuids, id, name, true);
			else
				map_add(&w->gids, &w->ngids, &w->capgids, id, name, false);
		}
	}
	return 0;
}

/* ---- hard links (-H) ---- */

/* Abbreviated entries take their attributes from their group's first
 * member in the same list (arrival order: the list is not sorted yet). */
static int hlink_lookup(void *ctx, int32_t ndx, struct ur_wentry *first)
{
	struct ur_wire *w = ctx;
	struct ur_wseg *seg = w->building;
	if (!seg || ndx < seg->ndx_start || ndx - seg->ndx_start >= (int32_t)seg->fl.n)
		return -ENOENT;
	const struct ur_fentry *fe = &seg->fl.e[ndx - seg->ndx_start];
	first->mode = fe->mode;
	first->size = fe->size;
	first->mtime = fe->mtime;
	first->mtime_nsec = fe->mtime_ns;
	first->atime = fe->atime;
	first->uid = fe->uid;
	first->gid = fe->gid;
	first->rdev_major = major(fe->rdev);
	first->rdev_minor = minor(fe->rdev);
	first->link = ur_fentry_link(&seg->fl, fe);
	first->link_len = first->link ? strlen(first->link) : 0;
	return 0;
}

/* A sorted list's members join their groups (named by the first member's
 * index): the last index of each group is known before it is generated. */
static void hlink_note(struct ur_wire *w, struct ur_wseg *seg)
{
	for (size_t i = 0; i < seg->fl.n; i++) {
		const struct ur_fentry *fe = &seg->fl.e[i];
		if (fe->hlink >= 0)
			ur_hlinks_note(&w->hl, (uint64_t)fe->hlink, 0, seg->ndx_start + (int64_t)i);
	}
}

/* A member waiting for its leader keeps its list (rsync's in_progress). */
static void hlink_waiting(void *ctx, int64_t idx, int delta)
{
	struct ur_wire *w = ctx;
	for (size_t k = 0; k < w->nsegs; k++) {
		struct ur_wseg *ps = w->segs[k];
		if (idx >= ps->ndx_start && idx < ps->ndx_start + (int64_t)ps->fl.n) {
			ps->waiting += delta;
			return;
		}
	}
}

/* ---- file lists ---- */

static int decode_entry(struct ur_wire *w, struct ur_wentry *we, int32_t *ioerr)
{
	for (;;) {
		struct ur_rbuf rb;
		ur_conn_view(w->c, &rb);
		int rc = ur_fentry_decode(&w->fs, &rb, we, ioerr, &w->c->err);
		if (rc != -ENODATA) {
			if (rc >= 0)
				ur_conn_consume(w->c, rb.pos);
			else
				w->c->err.code = UR_EXIT_PROTOCOL;
			return rc;
		}
		if ((rc = ur_conn_more(w->c)) < 0)
			return rc;
	}
}

static int add_dir(struct ur_wire *w, const char *name)
{
	struct ur_wdir *d = ur_wire_add_dir(w);
	if (!d)
		return -ENOMEM;
	if (!(d->name = strdup(name))) {
		w->ndirs--; /* as if never added */
		return -ENOMEM;
	}
	return 0;
}

/*
 * In a sorted list every entry's directory must be a directory entry seen
 * before it (or the top), so that nothing is written through a symlink the
 * same list made: the stack holds the chain of open directories.
 */
static bool parents_known(const struct ur_flist *fl, const char *parent, size_t *bad)
{
	const char *stack[256];
	size_t depth = 0;
	if (parent && strcmp(parent, "."))
		stack[depth++] = parent;
	for (size_t i = 0; i < fl->n; i++) {
		const struct ur_fentry *fe = &fl->e[i];
		const char *name = ur_fentry_name(fl, fe);
		size_t dlen = fe->base ? fe->base - 1 : 0;
		while (depth) {
			const char *top = stack[depth - 1];
			size_t tl = strlen(top);
			if (dlen >= tl && !strncmp(name, top, tl) &&
			    (dlen == tl || name[tl] == '/'))
				break;
			depth--;
		}
		size_t tl = depth ? strlen(stack[depth - 1]) : 0;
		if (dlen && (!depth || tl != dlen)) {
			*bad = i;
			return false;
		}
		if (S_ISDIR(fe->mode) && strcmp(name, ".") && depth < 256)
			stack[depth++] = name;
	}
	return true;
}

/*
 * Read one file list (the first, or the contents of directory dir).
 */
static int recv_flist(struct ur_engine *eng, struct ur_wire *w, int32_t dir, struct ur_wseg **out)
{
	const struct ur_opts *o = eng->o;
	struct ur_wseg *seg = calloc(1, sizeof(*seg));
	if (!seg)
		return -ENOMEM;
	ur_flist_init(&seg->fl);
	ur_flist_init(&seg->pfl);
	seg->ndx_start = w->next_ndx;
	seg->dir = dir;
	ur_fentry_state_start_list(&w->fs, seg->ndx_start);
	w->building = seg;
	int64_t taken0 = ur_conn_taken(w->c);
	const char *parent = dir >= 0 ? w->dirs[dir].name : NULL;
	size_t plen = parent ? strlen(parent) : 0;
	int rc = 0;

	for (;;) {
		struct ur_wentry we;
		int32_t ioerr = 0;
		rc = decode_entry(w, &we, &ioerr);
		if (rc < 0) {
			if (strstr(w->c->err.msg, "negative file length"))
				w->c->err.code =
				    UR_EXIT_UNSUPPORTED; /* rsync: "Offset underflow" */
			goto fail;
		}
		if (rc == 1) {
			if (!o->ignore_errors)
				w->io_error |= ioerr & 7;
			seg->io_error = (w->io_error & 1) != 0;
			break;
		}
		char name[UR_FNAME_MAX + 1];
		memcpy(name, we.name, we.name_len);
		name[we.name_len] = '\0';
		if ((rc = ur_fentry_name_check(name, we.name_len, o->relative, &w->c->err)) < 0) {
			w->c->err.msg[0] = '\0';
			rc = wire_fail(w, UR_EXIT_UNSUPPORTED,
				       "ABORTING due to unsafe pathname from sender: %s%s", name,
				       "");
			goto fail;
		}
		if (w->caps.inc_recurse) {
			/* Every entry of a directory's list lies directly in it. */
			const char *slash = strrchr(name, '/');
			size_t dl = slash ? (size_t)(slash - name) : 0;
			bool ok = parent ? (dl == plen && !strncmp(name, parent, plen))
					 : (dl == 0 || (parent == NULL && !strcmp(name, ".")));
			if (parent && !strcmp(parent, ".") && dl == 0)
				ok = true;
			if (!ok) {
				rc = wire_fail(w, UR_EXIT_UNSUPPORTED,
					       "ABORTING due to invalid path from sender: %s/%s",
					       parent ? parent : "", name);
				goto fail;
			}
		}
		if (S_ISLNK(we.mode) && !we.link)
			we.link = "";
		char link[UR_FNAME_MAX + 1];
		if (we.link) {
			memcpy(link, we.link, we.link_len);
			link[we.link_len] = '\0';
		}
		if (!o->numeric_ids) {
			if (we.user_name)
				map_add(&w->uids, &w->nuids, &w->capuids, we.uid, we.user_name,
					true);
			if (we.group_name)
				map_add(&w->gids, &w->ngids, &w->capgids, we.gid, we.group_name,
					false);
		}
		struct stat st = {0};
		st.st_mode = we.mode;
		st.st_size = we.size; /* for links and directories too, as lstat gave it */
		st.st_mtim.tv_sec = we.mtime;
		st.st_mtim.tv_nsec = we.mtime_nsec;
		st.st_atim.tv_sec = we.atime;
		st.st_uid = we.uid;
		st.st_gid = we.gid;
		st.st_rdev = makedev(we.rdev_major, we.rdev_minor);
		struct ur_fentry *fe = ur_flist_add(&seg->fl, name, &st, we.link ? link : NULL);
		if (!fe) {
			rc = -ENOMEM;
			goto fail;
		}
		if (we.hlinked && !S_ISDIR(we.mode))
			fe->hlink = we.hlink_ndx >= 0 ? we.hlink_ndx : we.ndx;
		if (we.sum && S_ISREG(we.mode)) {
			/* -c: the sender's checksum, kept in the arena. */
			int64_t off =
			    ur_flist_intern(&seg->fl, (const char *)we.sum, w->fs.cfg.csum_len);
			if (off < 0) {
				rc = -ENOMEM;
				goto fail;
			}
			fe = &seg->fl.e[seg->fl.n - 1];
			fe->sum = (uint32_t)off;
		}
		if (we.top_dir)
			fe->flags |= UR_FE_TOP_DIR;
		if (S_ISDIR(we.mode) && we.no_content_dir)
			fe->flags |= UR_FE_NO_RECURSE;
	}

	w->building = NULL;
	ur_flist_sort(&seg->fl, 0);
	/* A name sent twice is generated once (the first kept, as rsync). */
	for (size_t i = 1; i < seg->fl.n; i++)
		if (!strcmp(ur_fentry_name(&seg->fl, &seg->fl.e[i]),
			    ur_fentry_name(&seg->fl, &seg->fl.e[i - 1])))
			seg->fl.e[i].flags |= UR_FE_PRUNED;
	size_t bad = 0;
	if (!parents_known(&seg->fl, parent, &bad)) {
		/* Nothing may be written through a symlink (or file) the
		 * same list makes: rsync's generator refuses the same way. */
		rc =
		    wire_fail(w, UR_EXIT_PROTOCOL, "ABORTING due to invalid path from sender: %s%s",
			      ur_fentry_name(&seg->fl, &seg->fl.e[bad]), "");
		goto fail;
	}
	seg->dir_base = (int32_t)w->ndirs;
	if (w->caps.inc_recurse)
		for (size_t i = 0; i < seg->fl.n; i++)
			if (S_ISDIR(seg->fl.e[i].mode) &&
			    (rc = add_dir(w, ur_fentry_name(&seg->fl, &seg->fl.e[i]))) < 0)
				goto fail;
	w->next_ndx = seg->ndx_start + (int32_t)seg->fl.n + (w->caps.inc_recurse ? 1 : 0);
	w->file_total += (int64_t)seg->fl.n;
	if (o->hard_links)
		hlink_note(w, seg);
	/* --stats: rsync's receiver counts the list's entries */
	for (size_t i = 0; i < seg->fl.n; i++)
		ur_engine_count_entry(eng, &seg->fl.e[i]);

	if (!w->caps.inc_recurse) {
		if ((rc = recv_id_lists(eng, w)) < 0)
			goto fail;
		w->flist_eof = true;
	}
	/* and the bytes it read meanwhile (with the owners' names, and
	 * whatever came in the same reads), none twice */
	if (taken0 < w->flist_read_mark)
		taken0 = w->flist_read_mark;
	if (w->c->total_read > taken0)
		eng->st.flist_size += w->c->total_read - taken0;
	w->flist_read_mark = w->c->total_read;
	/* Owners by name: the ids this side uses. */
	if (!o->numeric_ids)
		for (size_t i = 0; i < seg->fl.n; i++) {
			seg->fl.e[i].uid = map_uid(w, seg->fl.e[i].uid);
			seg->fl.e[i].gid = map_gid(w, seg->fl.e[i].gid);
		}
	if ((rc = ur_wire_push_seg(w, seg)) < 0)
		goto fail;
	if (out)
		*out = seg;
	return 0;
fail:
	w->building = NULL;
	ur_flist_release(&seg->fl);
	free(seg);
	return rc;
}

/* ---- what the sender says ---- */

enum { ITEM_OK = 0, ITEM_DONE = 1, ITEM_LIST = 2 };

struct ritem {
	int32_t ndx;
	uint16_t iflags;
	struct ur_wire_item wi;
};

/* Read the next index and its attributes, taking in file lists, the end of
 * the lists and deletion stats on the way (rsync's read_ndx_and_attrs).
 * Returns ITEM_DONE for NDX_DONE, ITEM_OK with it filled, or an error. */
static int read_item(struct ur_engine *eng, struct ur_wire *w, struct ritem *it)
{
	for (;;) {
		int32_t ndx;
		int rc = ur_conn_read_ndx(w->c, &ndx);
		if (rc < 0)
			return rc;
		if (ndx == UR_NDX_DONE) {
			w->done_seen++;
			return ITEM_DONE;
		}
		if (ndx == UR_NDX_DEL_STATS) {
			for (int i = 0; i < 5; i++) {
				int32_t v;
				if ((rc = ur_conn_read_varint(w->c, &v)) < 0)
					return rc;
				w->del_stats[i] = v;
			}
			continue;
		}
		if (ndx >= 0) {
			/* Echoes may name lists this side already let go of. */
			int32_t lo = 0;
			int32_t hi = w->nsegs ? w->segs[w->nsegs - 1]->ndx_start +
						    (int32_t)w->segs[w->nsegs - 1]->fl.n - 1
					      : -1;
			if (ndx < lo || ndx > hi) {
				char m[96];
				snprintf(m, sizeof(m), "File-list index %d not in %d - %d", ndx,
					 lo - 1, hi);
				return wire_fail(w, UR_EXIT_PROTOCOL, "%s [%s]", m, "receiver");
			}
			it->ndx = ndx;
			if ((rc = ur_conn_read_u16(w->c, &it->iflags)) < 0)
				return rc;
			it->wi.iflags = it->iflags;
			it->wi.basis_type = UR_FNAMECMP_FNAME;
			if (it->iflags & UR_ITEM_BASIS_TYPE_FOLLOWS) {
				if ((rc = ur_conn_read_u8(w->c, &it->wi.basis_type)) < 0)
					return rc;
			}
			if (it->iflags & UR_ITEM_XNAME_FOLLOWS) {
				size_t len = 0;
				UR_CONN_DECODE(w->c, rc, r,
					       ur_get_vstring(r, it->wi.xname, sizeof(it->wi.xname),
							      &len, &w->c->err));
				if (rc < 0) {
					if (!w->c->err.code)
						w->c->err.code = UR_EXIT_PROTOCOL;
					return rc;
				}
			}
			return ITEM_OK;
		}
		if (!w->caps.inc_recurse) {
			char m[64];
			snprintf(m, sizeof(m), "%d", ndx);
			return wire_fail(w, UR_EXIT_PROTOCOL, "Invalid file index: %s [%s]", m,
					 "receiver");
		}
		if (ndx == UR_NDX_FLIST_EOF) {
			w->flist_eof = true;
			return ITEM_LIST;
		}
		int32_t dir = UR_NDX_FLIST_OFFSET - ndx;
		if (dir < 0 || (size_t)dir >= w->ndirs || w->flist_eof) {
			char m[64];
			snprintf(m, sizeof(m), "%d", ndx);
			return wire_fail(w, UR_EXIT_PROTOCOL, "Invalid dir index: %s [%s]", m,
					 "receiver");
		}
		if (w->dirs[dir].seg < 0) {
			return wire_fail(w, UR_EXIT_PROTOCOL, "%s%s",
					 "refusing malicious duplicate flist for dir", "");
		}
		w->dirs[dir].seg = -1; /* its list has come */
		if ((rc = recv_flist(eng, w, dir, NULL)) < 0)
			return rc;
		return ITEM_LIST;
	}
}

/* ---- the data of one file ---- */

struct wire_src {
	struct ur_source base;
	struct ur_wire *w;
	int32_t ndx;
	uint32_t iflags;
	struct ur_sum_head head;
	bool redo;
	bool second;	    /* asked for again after failing verification */
	int basis;	    /* delta: the destination's file, or -1 */
	bool queued;	    /* the request went out already (pipelined) */
	int64_t basis_size;
	const char *dname;
	bool dst_exists;
};

/* What a signature and a patch are computed with on this connection. A
 * file asked for again (redo) gets full-length block sums and no
 * --append, as in rsync's redo pass. */
static void sig_params(const struct ur_engine *eng, const struct ur_wire *w, bool redo,
		       struct ur_sig_params *p)
{
	const struct ur_opts *o = eng->o;
	*p = (struct ur_sig_params){
		.kind = ur_sum_kind_of(w->caps.checksum),
		.seed = w->caps.checksum_seed,
		.seed_fix = w->caps.seed_fix,
		.protocol = w->protocol,
		.block_size_opt = o->block_size,
		.redo = redo,
		.updating_basis = o->inplace,
		.append = o->append && !redo ? 1 + o->append_verify : 0,
	};
}

/* Delta transfer (rsync's default over the wire; -W turns it off, --append
 * turns it on): the block sums of the file already in the destination. */
static bool wants_delta(const struct ur_engine *eng)
{
	const struct ur_opts *o = eng->o;
	/* rsync sends whole files when the checksum is "none" */
	return (o->whole_file != 1 || o->append) && ur_wire_of(eng)->caps.checksum != UR_CSUM_NONE;
}

struct sig_out {
	struct ur_conn *c;
	int s2len;
};

static int put_block_sum(void *ctx, uint32_t rolling, const uint8_t *strong, int s2len)
{
	struct sig_out *so = ctx;
	struct ur_wbuf b;
	int rc = ur_conn_reserve(so->c, 4 + (size_t)s2len, &b);
	if (rc == 0 && (rc = ur_sum_block_put(&b, rolling, strong, s2len)) == 0)
		ur_conn_commit(so->c, &b);
	return rc;
}

static int item_request(struct ur_wire *w, int32_t ndx, uint16_t iflags, uint8_t basis_type)
{
	if (basis_type != UR_FNAMECMP_FNAME)
		iflags |= UR_ITEM_BASIS_TYPE_FOLLOWS;
	int rc = ur_conn_write_ndx(w->c, ndx);
	if (rc == 0)
		rc = ur_conn_write_u16(w->c, iflags);
	if (rc == 0 && (iflags & UR_ITEM_BASIS_TYPE_FOLLOWS))
		rc = ur_conn_write(w->c, &basis_type, 1);
	return rc;
}

/* Ask for file ws->ndx: index, item flags, the sum head and the block
 * sums of the basis (none: the whole file). Opens the basis. */
static int send_request(struct ur_engine *eng, struct wire_src *ws)
{
	struct ur_wire *w = ws->w;
	/* The basis for a delta: the regular file of that name, if any. */
	ws->basis = -1;
	ws->basis_size = 0;
	/* (--partial-dir: the partial copy from an earlier run) */
	const char *bname = eng->basis_name ? eng->basis_name : ws->dname;
	if (wants_delta(eng) && (ws->dst_exists || eng->basis_name) && !eng->dest_missing) {
		int fd = openat(eng->dest_fd, bname, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		struct stat st;
		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
			ws->basis = fd;
			ws->basis_size = st.st_size;
		} else if (fd >= 0) {
			close(fd);
		}
	}
	struct ur_wbuf b;
	struct ur_sum_head h = {0};
	struct ur_sig_params sp;
	sig_params(eng, w, ws->second, &sp);
	int rc = item_request(w, ws->ndx, (uint16_t)ws->iflags,
			      eng->basis_name ? eng->basis_type : UR_FNAMECMP_FNAME);
	if (rc == 0 && ws->basis >= 0 && ur_delta_sig_head(ws->basis_size, &sp, &h) < 0)
		h = (struct ur_sum_head){0};
	if (rc == 0 && (rc = ur_conn_reserve(w->c, 16, &b)) == 0) {
		ur_sum_head_encode(&h, 16, &b);
		ur_conn_commit(w->c, &b);
	}
	/* --append: the head says how much we have; no block sums follow */
	if (rc == 0 && h.count > 0 && !sp.append) {
		struct sig_out so = {.c = w->c, .s2len = h.s2length};
		struct ur_sum_head h2;
		rc = ur_delta_sig(ws->basis, ws->basis_size, &sp, &h2, put_block_sum, &so);
		if (rc == 0 && memcmp(&h, &h2, sizeof(h)))
			rc = -EIO; /* the basis changed under us: the stream is broken */
	}
	return rc;
}

static int wire_open(struct ur_source *s, struct ur_engine *eng, const struct ur_flist *fl,
		     const struct ur_fentry *fe)
{
	struct wire_src *ws = (struct wire_src *)s;
	struct ur_wire *w = ws->w;
	int rc = 0;
	(void)fl;
	(void)fe;
	if (!ws->queued) {
		rc = send_request(eng, ws);
		if (rc == 0)
			rc = ur_conn_flush(w->c);
		w->no_send = -1;
	} else if (w->no_send == ws->ndx) {
		w->no_send = -1;
		return -ENOENT; /* the sender said why */
	}
	/* The answer: echoes of earlier items, lists, then this file. */
	while (rc == 0) {
		struct ritem it;
		rc = read_item(eng, w, &it);
		if ((rc == -EINTR || rc >= 0) && w->no_send == ws->ndx) {
			/* The sender could not open it (it said why). */
			w->c->err.msg[0] = '\0';
			w->no_send = -1;
			return -ENOENT;
		}
		if (rc == -EINTR) {
			rc = 0;
			continue;
		}
		if (rc == ITEM_DONE || rc == ITEM_LIST) {
			/* A list the sender has finished with, or a new one. */
			rc = 0;
			continue;
		}
		if (rc < 0)
			break;
		if (!(it.iflags & UR_ITEM_TRANSFER))
			continue; /* an echo of an itemized entry */
		if (it.ndx != ws->ndx) {
			char m[32];
			snprintf(m, sizeof(m), "%d", it.ndx);
			rc = wire_fail(w, UR_EXIT_PROTOCOL, "unexpected transfer of index %s [%s]",
				       m, "receiver");
			break;
		}
		UR_CONN_DECODE(w->c, rc, r,
			       ur_sum_head_decode(r, ur_wire_s2_max(w), &ws->head, &w->c->err));
		if (rc < 0) {
			if (!w->c->err.code)
				w->c->err.code = UR_EXIT_PROTOCOL;
			break;
		}
		return 0;
	}
	eng->fatal = true;
	return rc < 0 ? rc : -EPROTO;
}

static int64_t wire_copy(struct ur_source *s, struct ur_engine *eng, int out, int64_t size,
			 int *which, struct ur_item *it)
{
	struct wire_src *ws = (struct wire_src *)s;
	struct ur_wire *w = ws->w;
	struct ur_token_reader tr;
	struct ur_delta_patch pt;
	struct ur_sig_params sp;
	int rc;
	(void)size;

	*which = 0;
	sig_params(eng, w, ws->second, &sp);
	if (sp.append)
		sp.append_len = ur_delta_head_len(&ws->head);
	/* Matches may only name blocks of the head the sender echoed, and
	 * only of a basis we have. */
	struct ur_sum_head h = ws->head;
	if (ws->basis < 0)
		h.count = 0;
	rc = ur_delta_patch_init(&pt, &h, ws->basis, ws->basis_size, out, &sp);
	if (rc < 0) {
		ur_err_set(&w->c->err, UR_EXIT_UNSUPPORTED, 0, "checksum %s is not supported yet",
			   ur_csum_name(w->caps.checksum));
		eng->fatal = true;
		return rc;
	}
	int alg = ur_wire_cz(w);
	if (alg >= 0 && !w->cz_dec && ur_cz_dec_new((enum ur_cz)alg, w->protocol, &w->cz_dec) < 0) {
		ur_err_set(&w->c->err, UR_EXIT_UNSUPPORTED, 0, "compression %s is not supported",
			   ur_cz_name((enum ur_cz)alg));
		eng->fatal = true;
		ur_delta_patch_release(&pt);
		return -ENOTSUP;
	}
	if (alg >= 0)
		ur_cz_dec_set_nblocks(w->cz_dec, h.count);
	ur_token_reader_init(&tr, h.count);
	int werr = 0;
	for (;;) {
		struct ur_token tok;
		if (alg >= 0) {
			/* -z: the compressed stream carries the same tokens. */
			struct ur_cz_tok ct;
			UR_CONN_DECODE(w->c, rc, r, ur_cz_dec_next(w->cz_dec, r, &ct, &w->c->err));
			if (rc >= 0) {
				tok.kind = ct.kind == UR_CZ_LITERAL ? UR_TOKEN_LITERAL
					   : ct.kind == UR_CZ_MATCH ? UR_TOKEN_MATCH
								     : UR_TOKEN_END;
				tok.data = ct.data;
				tok.len = ct.len;
				tok.block = ct.block;
			}
		} else {
			UR_CONN_DECODE(w->c, rc, r, ur_token_read(&tr, r, &tok, &w->c->err));
		}
		if (rc < 0) {
			if (!w->c->err.code)
				w->c->err.code = rc == -EBADMSG ? UR_EXIT_STREAMIO : UR_EXIT_PROTOCOL;
			eng->fatal = true;
			if (!werr && out >= 0 && eng->o->partial)
				ur_delta_patch_flush(&pt); /* what arrived, for --partial */
			ur_delta_patch_release(&pt);
			return rc;
		}
		if (tok.kind == UR_TOKEN_END)
			break;
		if (tok.kind == UR_TOKEN_LITERAL && !tok.len)
			continue;
		/* Keep reading after a failed write: the stream must be drained. */
		if (!werr && out >= 0) {
			int prc = ur_delta_patch_token(&pt, &tok);
			if (prc == -EPROTO || prc == -EBADMSG) {
				ur_err_set(&w->c->err, UR_EXIT_PROTOCOL, 0,
					   "invalid block %d from the sender", tok.block);
				eng->fatal = true;
				ur_delta_patch_release(&pt);
				return -EPROTO;
			}
			if (prc < 0)
				werr = -prc;
		}
		if (tok.kind == UR_TOKEN_MATCH && alg == UR_CZ_ZLIB) {
			/* zlib keeps matched data in its history on both sides. */
			int32_t bl = h.blength;
			size_t blen = (tok.block == h.count - 1 && h.remainder) ? (size_t)h.remainder
										 : (size_t)bl;
			uint8_t *blk = malloc(blen ? blen : 1);
			ssize_t got = blk && ws->basis >= 0
					      ? pread(ws->basis, blk, blen, (off_t)tok.block * bl)
					      : -1;
			/* A basis that shrank or failed to read since its sums
			 * went out gives zeros, as rsync's map_ptr does (and as
			 * the patch does): the whole-file check then fails and
			 * the file is asked for again. */
			if (blk && ws->basis >= 0 && got < (ssize_t)blen)
				memset(blk + (got > 0 ? got : 0), 0,
				       blen - (size_t)(got > 0 ? got : 0));
			int src = blk && ws->basis >= 0
					  ? ur_cz_dec_see(w->cz_dec, blk, blen, &w->c->err)
					  : -ENOMEM;
			free(blk);
			if (src < 0) {
				if (!w->c->err.msg[0])
					ur_err_set(&w->c->err, UR_EXIT_MALLOC, ENOMEM,
						   "out of memory for a matched block");
				eng->fatal = true;
				ur_delta_patch_release(&pt);
				return src;
			}
		}
	}
	uint8_t mine[UR_SUM_MAX_LEN], theirs[UR_SUM_MAX_LEN];
	int slen = ur_sum_len(ur_sum_kind_of(w->caps.checksum));
	if (!werr && out >= 0 && (rc = ur_delta_patch_finish(&pt, mine)) < 0)
		werr = -rc;
	int64_t total = pt.out_off;
	w->literal += pt.st.literal;
	w->matched += pt.st.matched;
	ur_delta_patch_release(&pt);
	rc = ur_conn_read(w->c, theirs, (size_t)slen);
	if (rc < 0) {
		eng->fatal = true;
		return rc;
	}
	if (werr) {
		*which = 1;
		return -werr;
	}
	if (out < 0)
		return 0;
	if (memcmp(mine, theirs, (size_t)slen)) {
		ws->redo = true;
		return -EBADMSG;
	}
	ur_item_set_sum(eng, it, ur_sum_kind_of(w->caps.checksum), mine, slen);
	return total;
}

static void wire_close(struct ur_source *s)
{
	struct wire_src *ws = (struct wire_src *)s;
	if (ws->basis >= 0)
		close(ws->basis);
	ws->basis = -1;
}

static void wire_discard(struct ur_source *s, struct ur_engine *eng)
{
	int which;
	struct ur_item it = {0};
	wire_copy(s, eng, -1, 0, &which, &it);
}

/*
 * Pipelining: the generator asks for small files without waiting for their
 * data (rsync's generator runs ahead of its receiver the same way); the
 * data is read, in order, when a list is finished, when too much is in
 * flight, or before anything that must see the files in place.
 */
#define PIPE_FILES 256
#define PIPE_BYTES ((int64_t)16 << 20)
#define PIPE_FILE_MAX ((int64_t)1 << 20)

struct ur_pend {
	int32_t ndx;
	uint32_t iflags;
	bool dst_exists;
	bool retry;
	const struct ur_flist *fl;
	struct ur_fentry fe; /* with the final mode, names in fl's arena */
	char *dname, *name, *local;
	struct ur_item it;
	int basis;
	int64_t basis_size;
};

static bool pipelining(const struct ur_engine *eng, const struct ur_fentry *fe)
{
	const struct ur_opts *o = eng->o;
	return S_ISREG(fe->mode) && fe->size <= PIPE_FILE_MAX && !o->inplace && !o->backup &&
	       !o->partial && !o->hard_links && !UR_INFO_GTE(o, PROGRESS, 1) && !o->dry_run &&
	       !o->temp_dir && eng->dest_fd >= 0;
}

static void pend_free(struct ur_pend *p)
{
	free(p->dname);
	free(p->name);
	free(p->local);
	if (p->basis >= 0)
		close(p->basis);
	p->basis = -1;
}

void ur_wire_pend_release(struct ur_wire *w)
{
	for (size_t i = w->phead; i < w->npend; i++)
		pend_free(&w->pend[i]);
	w->phead = w->npend = 0;
}

static int pend_push(struct ur_wire *w, const struct ur_pend *p)
{
	if (w->npend == w->cappend) {
		/* compact what was drained, then grow */
		if (w->phead) {
			memmove(w->pend, w->pend + w->phead, (w->npend - w->phead) * sizeof(*w->pend));
			w->npend -= w->phead;
			w->phead = 0;
		}
		if (w->npend == w->cappend) {
			size_t nc = w->cappend ? w->cappend * 2 : 64;
			struct ur_pend *n = realloc(w->pend, nc * sizeof(*n));
			if (!n)
				return -ENOMEM;
			w->pend = n;
			w->cappend = nc;
		}
	}
	w->pend[w->npend++] = *p;
	w->pend_bytes += p->fe.size;
	return 0;
}

static int receive_one(struct ur_engine *eng, struct wire_src *ws, const struct ur_flist *fl,
		       const struct ur_fentry *fe, const char *dname, bool dst_exists,
		       struct ur_item *it, int64_t *bytes)
{
	const char *kept = eng->o->partial || eng->o->inplace ? "retained" : "discarded";
	int rc = ur_receive_file(eng, fl, fe, dname, dst_exists, it, bytes, &ws->base);
	if (ws->redo && !eng->fatal) {
		/* As rsync: say so, ask once more (rsync does it in its redo
		 * phase; the sender answers the same way either way). */
		if (UR_INFO_GTE(eng->o, NAME, 1) || ur_stdout_has_i(eng->o))
			ur_errmsg("WARNING: %s failed verification -- update %s (will try again).",
				  ur_fentry_name(fl, fe), kept);
		ws->redo = false;
		ws->queued = false;
		ws->second = true;
		ur_generate_redo(eng, fe, dname, it, 0);
		ws->iflags = it->iflags;
		rc = ur_receive_file(eng, fl, fe, dname, true, it, bytes, &ws->base);
		if (ws->redo) {
			ur_errmsg("ERROR: %s failed verification -- update %s.",
				  ur_fentry_name(fl, fe), kept);
			ur_engine_fail(eng, UR_EXIT_PARTIAL);
		}
	}
	return rc;
}

/* Read the data of every file asked for, in order, finishing each as
 * ur_generate() would have. */
static int wire_drain(struct ur_engine *eng)
{
	struct ur_wire *w = ur_wire_of(eng);
	const struct ur_opts *o = eng->o;
	int64_t saved = eng->cur_index;
	while (w->phead < w->npend && !eng->fatal) {
		struct ur_pend *p = &w->pend[w->phead];
		struct wire_src ws = {
		    .base = {.open = wire_open,
			     .copy = wire_copy,
			     .close = wire_close,
			     .discard = wire_discard},
		    .w = w,
		    .ndx = p->ndx,
		    .iflags = p->iflags,
		    .basis = p->basis,
		    .basis_size = p->basis_size,
		    .queued = true,
		    .second = p->retry,
		    .dname = p->dname,
		    .dst_exists = p->dst_exists,
		};
		p->basis = -1; /* wire_close closes it */
		eng->cur_index = p->ndx;
		int64_t bytes = 0;
		int rc = ur_receive_file(eng, p->fl, &p->fe, p->dname, p->dst_exists, &p->it, &bytes,
					 &ws.base);
		if (ws.redo && !eng->fatal) {
			const char *kept = o->partial || o->inplace ? "retained" : "discarded";
			const char *fname = ur_fentry_name(p->fl, &p->fe);
			if (!p->retry) {
				/* Asked for once more, behind what is already asked
				 * for (its answer comes after theirs). */
				if (UR_INFO_GTE(o, NAME, 1) || ur_stdout_has_i(o))
					ur_errmsg("WARNING: %s failed verification -- update %s (will try "
						  "again).",
						  fname, kept);
				struct wire_src ws2 = ws;
				ws2.queued = false;
				ws2.redo = false;
				ws2.second = true;
				struct ur_pend q = *p;
				q.retry = true;
				q.basis = -1;
				q.dname = strdup(p->dname);
				q.name = strdup(p->name);
				q.local = strdup(p->local);
				q.it.name = q.name;
				q.it.local_name = q.local;
				if (!q.dname || !q.name || !q.local || send_request(eng, &ws2) < 0) {
					pend_free(&q);
					eng->fatal = true;
				} else {
					q.basis = ws2.basis;
					q.basis_size = ws2.basis_size;
					if (pend_push(w, &q) < 0) {
						pend_free(&q);
						eng->fatal = true;
					}
					/* the queue may have moved (and been compacted) */
					p = &w->pend[w->phead];
				}
			} else {
				ur_errmsg("ERROR: %s failed verification -- update %s.", fname, kept);
				ur_engine_fail(eng, UR_EXIT_PARTIAL);
			}
			rc = -EBADMSG;
		}
		if (rc == 0) {
			eng->st.literal_data += bytes;
			p->it.bytes_xfer = bytes;
			p->it.checksum_bytes = 16;
			ur_report_transfer_end(o, eng->out, &p->it);
			if (o->remove_source_files && eng->chan->done)
				eng->chan->done(eng, p->fl, &p->fe);
		}
		w->pend_bytes -= p->fe.size;
		pend_free(p);
		w->phead++;
	}
	if (w->phead == w->npend)
		w->phead = w->npend = 0;
	eng->cur_index = saved;
	return eng->fatal ? -EIO : 0;
}

static int wire_send_file(struct ur_engine *eng, const struct ur_flist *fl,
			  const struct ur_fentry *fe, const char *dname, bool dst_exists,
			  struct ur_item *it, int64_t *bytes)
{
	struct ur_wire *w = ur_wire_of(eng);
	struct wire_src ws = {
	    .base = {.open = wire_open,
		     .copy = wire_copy,
		     .close = wire_close,
		     .discard = wire_discard},
	    .w = w,
	    .ndx = (int32_t)eng->cur_index,
	    .iflags = it->iflags,
	    .basis = -1,
	    .dname = dname,
	    .dst_exists = dst_exists,
	};
	if (pipelining(eng, fe)) {
		if (w->npend - w->phead >= PIPE_FILES || w->pend_bytes + fe->size > PIPE_BYTES)
			wire_drain(eng);
		if (eng->fatal)
			return -EIO;
		int rc = send_request(eng, &ws);
		if (rc < 0) {
			if (ws.basis >= 0)
				close(ws.basis);
			eng->fatal = true;
			return rc;
		}
		struct ur_pend p = {
		    .ndx = ws.ndx,
		    .iflags = ws.iflags,
		    .dst_exists = dst_exists,
		    .fl = fl,
		    .fe = *fe,
		    .dname = strdup(dname),
		    .name = strdup(it->name ? it->name : ""),
		    .local = strdup(it->local_name ? it->local_name : ""),
		    .it = *it,
		    .basis = ws.basis,
		    .basis_size = ws.basis_size,
		};
		p.it.name = p.name;
		p.it.local_name = p.local;
		p.it.link_target = NULL;
		if (!p.dname || !p.name || !p.local || pend_push(w, &p) < 0) {
			pend_free(&p);
			eng->fatal = true;
			return -ENOMEM;
		}
		*bytes = 0;
		return 1; /* asked for; wire_drain finishes it */
	}
	/* In order: what was asked for before comes first. */
	if (wire_drain(eng) < 0)
		return -EIO;
	return receive_one(eng, &ws, fl, fe, dname, dst_exists, it, bytes);
}

/* -c: the destination file's checksum against the one in the list. */
static bool wire_same_contents(struct ur_engine *eng, const struct ur_flist *fl,
			       const struct ur_fentry *fe, const char *dname)
{
	struct ur_wire *w = ur_wire_of(eng);
	if (!fe->sum)
		return false;
	int fd = openat(eng->dest_fd, dname, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	struct ur_sum_ctx sum;
	bool same = false;
	if (ur_sum_init(&sum, ur_sum_kind_of(w->caps.file_checksum), w->caps.checksum_seed) >= 0) {
		static uint8_t buf[1 << 16];
		ssize_t n;
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			ur_sum_update(&sum, buf, (size_t)n);
		uint8_t d[UR_SUM_MAX_LEN];
		int len = ur_sum_final(&sum, d);
		same = n == 0 && len == (int)w->fs.cfg.csum_len &&
		       !memcmp(d, fl->arena + fe->sum, (size_t)len);
	}
	close(fd);
	return same;
}

/* --remove-source-files: tell the sender (rsync's MSG_SUCCESS). */
static void wire_done(struct ur_engine *eng, const struct ur_flist *fl, const struct ur_fentry *fe)
{
	(void)fl;
	if (eng->o->dry_run || S_ISDIR(fe->mode))
		return;
	ur_conn_send_msg_int(ur_wire_of(eng)->c, UR_MSG_SUCCESS, (int32_t)eng->cur_index);
}

static void wire_itemized(struct ur_engine *eng, const struct ur_flist *fl,
			  const struct ur_fentry *fe, uint32_t iflags, const char *xname)
{
	struct ur_wire *w = ur_wire_of(eng);
	const struct ur_opts *o = eng->o;
	(void)fl;
	(void)fe;
	if (!(iflags & SIGNIFICANT_ITEM_FLAGS) && !UR_INFO_GTE(o, NAME, 2) &&
	    ur_stdout_has_i(o) < 2 && !(xname && *xname))
		return;
	if (item_request(w, (int32_t)eng->cur_index, (uint16_t)(iflags & 0xFFFF), UR_FNAMECMP_FNAME) == 0 &&
	    (iflags & UR_ITEM_XNAME_FOLLOWS)) {
		const char *x = xname ? xname : "";
		struct ur_wbuf b;
		if (ur_conn_reserve(w->c, strlen(x) + 8, &b) == 0 &&
		    ur_put_vstring(&b, x, strlen(x)) == 0)
			ur_conn_commit(w->c, &b);
	}
}

static void wire_deleted(struct ur_engine *eng, const char *dname, mode_t mode)
{
	struct ur_wire *w = ur_wire_of(eng);
	if (!w->am_server)
		return;
	size_t n = strlen(dname);
	char buf[PATH_MAX + 1];
	if (n >= PATH_MAX)
		return;
	memcpy(buf, dname, n);
	/* A directory's name goes with its terminating NUL. */
	if (S_ISDIR(mode))
		buf[n++] = '\0';
	ur_conn_send_msg(w->c, UR_MSG_DELETED, buf, n);
}

static const struct ur_chan wire_chan = {
    .send_file = wire_send_file,
    .itemized = wire_itemized,
    .same_contents = wire_same_contents,
    .done = wire_done,
    .deleted = wire_deleted,
};

/* ---- the run ---- */

static void free_seg(struct ur_wire *w)
{
	struct ur_wseg *seg = w->segs[0];
	w->file_done += (int64_t)seg->fl.n;
	ur_flist_release(&seg->fl);
	free(seg);
	memmove(w->segs, w->segs + 1, (w->nsegs - 1) * sizeof(*w->segs));
	w->nsegs--;
}

static bool dir_ok(struct ur_engine *eng, const char *dname)
{
	struct stat st;
	return fstatat(eng->dest_fd, dname, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

/* --delete for directory entry idx of fl: its children are the entries
 * of fl right below it (a whole list holds the tree, depth first). */
static void delete_below(struct ur_engine *eng, const struct ur_flist *fl, size_t idx)
{
	const char *dname = ur_fentry_name(fl, &fl->e[idx]);
	bool top = !strcmp(dname, ".");
	size_t dl = strlen(dname);
	struct ur_flist kids;
	ur_flist_init(&kids);
	for (size_t j = top ? 0 : idx + 1; j < fl->n; j++) {
		const struct ur_fentry *fe = &fl->e[j];
		const char *n = ur_fentry_name(fl, fe);
		if (top) {
			if (fe->base || !strcmp(n, "."))
				continue;
		} else {
			if (strncmp(n, dname, dl) || n[dl] != '/')
				break; /* past the subtree */
			if (fe->base != dl + 1)
				continue;
		}
		struct stat st = {.st_mode = fe->mode};
		struct ur_fentry *k = ur_flist_add(&kids, n, &st, NULL);
		if (k)
			k->flags = fe->flags;
	}
	ur_delete_in_dir(eng, dname, &kids);
	ur_flist_release(&kids);
}

/* Generate every entry of seg (its directory already generated). */
static void generate_seg(struct ur_engine *eng, struct ur_wire *w, struct ur_wseg *seg)
{
	const struct ur_opts *o = eng->o;
	bool was_missing = eng->dest_missing;
	int saved = eng->cur_dfd;

	if (o->list_only) {
		/* A remote listing. With incremental recursion rsync shows a
		 * directory when its own list comes (the top one first). */
		bool inc = w->caps.inc_recurse;
		if (inc && seg->dir >= 0) {
			struct ur_flist one;
			ur_flist_init(&one);
			struct ur_wdir *dd = &w->dirs[seg->dir];
			struct ur_fentry *p = ur_flist_add(&one, dd->name, NULL, NULL);
			if (p) {
				uint32_t name = p->name, base = p->base;
				*p = dd->fe;
				p->name = name;
				p->base = base;
				p->link = p->sum = 0;
				ur_list_entry(eng, &one, p);
			}
			ur_flist_release(&one);
		}
		int32_t dl = seg->dir_base;
		for (size_t i = 0; i < seg->fl.n; i++) {
			struct ur_fentry *fe = &seg->fl.e[i];
			bool top = !strcmp(ur_fentry_name(&seg->fl, fe), ".");
			if (!(fe->flags & UR_FE_PRUNED) && (!inc || !S_ISDIR(fe->mode) || top))
				ur_list_entry(eng, &seg->fl, fe);
			if (S_ISDIR(fe->mode) && inc) {
				w->dirs[dl].ok = true;
				w->dirs[dl++].fe = *fe;
			}
		}
		return;
	}

	/* rsync's IOERR_GENERAL: a list may be short, so no deletions from
	 * here on (delete.c). rsync's generator reads a list when it comes to
	 * it, so an error in a later list spares the deletions before it. */
	if (seg->io_error)
		eng->io_error = true;
	if (seg->dir >= 0) {
		const char *dname = w->dirs[seg->dir].name;
		if (!w->dirs[seg->dir].ok)
			return; /* the directory could not be made: skip its contents */
		if (!eng->dest_missing && !eng->dest_file && !dir_ok(eng, dname))
			eng->dest_missing = true;
		if (!eng->dest_missing && o->delete_mode && o->delete_mode != UR_DEL_BEFORE)
			ur_delete_in_dir(eng, dname, &seg->fl);
		eng->cur_dfd = -1;
		if (!eng->dest_missing && !eng->dest_file)
			eng->cur_dfd = openat(eng->dest_fd, dname,
					      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	int32_t d = seg->dir_base;
	for (size_t i = 0; i < seg->fl.n && !eng->fatal; i++) {
		struct ur_fentry *fe = &seg->fl.e[i];
		bool is_dir = S_ISDIR(fe->mode);
		eng->cur_index = seg->ndx_start + (int64_t)i;
		if (fe->hlink >= 0 && o->hard_links && !(fe->flags & UR_FE_PRUNED)) {
			ur_hlinks_generate(eng, &w->hl, &seg->fl, fe, (uint64_t)fe->hlink, 0,
					   eng->cur_index);
		} else if (!(fe->flags & UR_FE_PRUNED)) {
			bool go = ur_generate(eng, &seg->fl, fe);
			bool content = go && is_dir && !(fe->flags & UR_FE_NO_RECURSE);
			if (is_dir && w->caps.inc_recurse)
				w->dirs[d].ok = content;
			/* --delete: a directory's extras go once it is made (for
			 * incremental lists, when its own list starts; the top
			 * "." is in the first list with its contents). */
			bool whole =
			    !w->caps.inc_recurse || !strcmp(ur_fentry_name(&seg->fl, fe), ".");
			if (content && whole && o->delete_mode && o->delete_mode != UR_DEL_BEFORE &&
			    !eng->dest_missing && !eng->dest_file &&
			    (o->recursive || (fe->flags & UR_FE_TOP_DIR)))
				delete_below(eng, &seg->fl, i);
		}
		if (is_dir)
			d++;
	}
	/* Every file of this list in place before the list is let go (and
	 * before the next directory's deletions). */
	wire_drain(eng);
	if (eng->cur_dfd >= 0 && eng->cur_dfd != saved)
		close(eng->cur_dfd);
	eng->cur_dfd = saved;
	eng->dest_missing = was_missing;
}

static int write_done(struct ur_wire *w)
{
	w->done_sent++;
	return ur_conn_write_ndx(w->c, UR_NDX_DONE);
}

/* Read until the sender has answered every NDX_DONE we wrote, plus
 * `extra` of its own. */
static int wait_done(struct ur_engine *eng, struct ur_wire *w, int extra)
{
	int rc = ur_conn_flush(w->c);
	int64_t want = w->done_sent + extra;
	while (rc >= 0 && w->done_seen < want) {
		struct ritem it;
		rc = read_item(eng, w, &it);
		if (rc == -EINTR)
			rc = 0;
	}
	return rc < 0 ? rc : 0;
}

/* At protocol 31+: the deletion statistics (when deleting) and the
 * NDX_DONE that ends the deletion phase. */
static int write_del_stats(struct ur_engine *eng, struct ur_wire *w)
{
	int rc = 0;
	if (eng->o->delete_mode) {
		const struct ur_stats *st = &eng->st;
		int64_t files = st->deleted_files - st->deleted_dir - st->deleted_link -
				st->deleted_dev - st->deleted_special;
		int32_t v[5] = {(int32_t)files, (int32_t)st->deleted_dir, (int32_t)st->deleted_link,
				(int32_t)st->deleted_dev, (int32_t)st->deleted_special};
		rc = ur_conn_write_ndx(w->c, UR_NDX_DEL_STATS);
		for (int i = 0; i < 5 && rc == 0; i++)
			rc = ur_conn_write_varint(w->c, v[i]);
	}
	if (rc == 0)
		rc = ur_conn_write_ndx(w->c, UR_NDX_DONE);
	return rc;
}

static int finish_error(struct ur_engine *eng, struct ur_wire *w, int rc)
{
	(void)rc;
	struct ur_err *e = &w->c->err;
	if (w->remote_exit >= 0)
		return w->remote_exit ? w->remote_exit : UR_EXIT_STREAMIO;
	if (e->msg[0]) {
		if (!strncmp(e->msg, "ABORTING", 8) || !strncmp(e->msg, "[", 1) ||
		    strstr(e->msg, "failed verification"))
			ur_errmsg("%s", e->msg);
		else
			ur_error(e->errnum, "%s", e->msg);
	}
	if (!e->code)
		e->code = eng->exit_code ? eng->exit_code : UR_EXIT_STREAMIO;
	return e->code;
}

int ur_wire_receive(struct ur_engine *eng, struct ur_wire *w, char *dest,
		    ur_wire_open_dest_fn open_dest)
{
	const struct ur_opts *o = eng->o;
	struct ur_wseg *first;
	int rc;

	eng->chan = &wire_chan;
	ur_wire_attach(eng, w);
	w->fs.lookup = hlink_lookup;
	w->fs.lookup_ctx = w;
	w->hl.waiting = hlink_waiting;
	w->hl.ctx = w;
	if (!eng->nroots) {
		/* Names in messages (%f) are the sender's, relative. */
		eng->roots = calloc(1, sizeof(*eng->roots));
		if (!eng->roots || !(eng->roots[0].prefix = strdup(".")))
			return UR_EXIT_MALLOC;
		eng->roots[0].display = NULL;
		eng->nroots = 1;
	}
	w->c->ctx = eng;
	w->c->on_msg = ur_wire_on_msg;

	if ((rc = recv_flist(eng, w, -1, &first)) < 0)
		return finish_error(eng, w, rc);
	w->have_list = true;
	/* One entry (a named directory): its contents come straight after,
	 * before anything else (rsync's recv_additional_file_list). */
	if (w->caps.inc_recurse && w->file_total == 1) {
		int32_t ndx;
		if ((rc = ur_conn_read_ndx(w->c, &ndx)) < 0)
			return finish_error(eng, w, rc);
		if (ndx == UR_NDX_FLIST_EOF) {
			w->flist_eof = true;
		} else {
			int32_t dir = UR_NDX_FLIST_OFFSET - ndx;
			if (dir < 0 || (size_t)dir >= w->ndirs) {
				char m[32];
				snprintf(m, sizeof(m), "%d", ndx);
				rc = wire_fail(w, UR_EXIT_PROTOCOL, "Invalid dir index: %s [%s]", m,
					       "receiver");
				return finish_error(eng, w, rc);
			}
			w->dirs[dir].seg = -1;
			if ((rc = recv_flist(eng, w, dir, NULL)) < 0)
				return finish_error(eng, w, rc);
		}
	}

	if (!first->fl.n) {
		/* Nothing to do: the end of the run as rsync's client has it. */
		w->empty_list = true;
		w->shutting_down = true;
		if (w->io_error & 2)
			ur_engine_fail(eng, UR_EXIT_VANISHED);
		if (w->io_error & 1)
			ur_engine_fail(eng, UR_EXIT_PARTIAL);
		rc = ur_conn_flush(w->c);
		return rc < 0 ? finish_error(eng, w, rc) : eng->exit_code;
	}
	if (!o->list_only) {
		rc = open_dest(eng, &first->fl, dest, (int)w->file_total);
		if (rc)
			return rc;
		/* --link-dest and friends: relative to the destination just opened */
		if (ur_refdirs_setup(eng) < 0)
			return UR_EXIT_MALLOC;
	}

	/* -m: directories with no file anywhere below them leave the list
	 * (the receiver turned incremental recursion off for it), except the
	 * top and what the receiver's rules protect. */
	if (o->prune_empty_dirs && !w->caps.inc_recurse) {
		struct ur_flist *fl = &w->segs[0]->fl;
		for (size_t i = 0; i < fl->n; i++) {
			struct ur_fentry *fe = &fl->e[i];
			const char *dn = ur_fentry_name(fl, fe);
			if (!S_ISDIR(fe->mode) || !strcmp(dn, ".") ||
			    ur_excluded(eng, dn, true, UR_FILTER_RECEIVER, 0))
				continue;
			size_t dl = strlen(dn);
			bool content = false;
			for (size_t j = i + 1; j < fl->n && !content; j++) {
				const char *n = ur_fentry_name(fl, &fl->e[j]);
				if (strncmp(n, dn, dl) || n[dl] != '/')
					break;
				content = !S_ISDIR(fl->e[j].mode);
			}
			if (!content)
				fe->flags |= UR_FE_PRUNED;
		}
	}

	/* --delete-before: one pass over the whole list (the receiver turned
	 * incremental recursion off for it) before anything is generated. */
	if (w->segs[0]->io_error)
		eng->io_error = true;
	if (o->delete_mode == UR_DEL_BEFORE && !eng->dest_missing && !eng->dest_file) {
		struct ur_wseg *all = w->segs[0];
		for (size_t i = 0; i < all->fl.n; i++) {
			const struct ur_fentry *fe = &all->fl.e[i];
			struct stat st;
			const char *dn = ur_fentry_name(&all->fl, fe);
			if (!S_ISDIR(fe->mode) || (fe->flags & (UR_FE_NO_RECURSE | UR_FE_PRUNED)) ||
			    !(o->recursive || (fe->flags & UR_FE_TOP_DIR)))
				continue;
			if (fstatat(eng->dest_fd, dn, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISDIR(st.st_mode))
				delete_below(eng, &all->fl, i);
		}
	}

	/* -H: rsync's generator waits until the lists are well ahead (or
	 * all in) so that a group's last member is known. */
	if (o->hard_links && w->caps.inc_recurse) {
		if ((rc = ur_conn_flush(w->c)) < 0)
			return finish_error(eng, w, rc);
		while (!w->flist_eof && w->file_total - w->file_done < 500) {
			struct ritem it;
			rc = read_item(eng, w, &it);
			if (rc == -EINTR || rc == ITEM_DONE || rc == ITEM_OK || rc == ITEM_LIST)
				continue;
			if (rc < 0)
				return finish_error(eng, w, rc);
		}
	}

	/* Phase 0: every list in order. */
	size_t done_segs = 0; /* lists we told the sender we are done with */
	size_t cur = 0;	      /* index in w->segs of the list being generated */
	int64_t lists = 0;
	for (;;) {
		struct ur_wseg *seg = w->segs[cur];
		lists++;
		generate_seg(eng, w, seg);
		if (eng->fatal)
			break;
		if (!w->caps.inc_recurse)
			break;
		/* The lists before this one are finished: say so, so that the
		 * sender keeps sending (it looks ahead only so far). */
		while (cur > 0 && !w->segs[0]->waiting) {
			if ((rc = write_done(w)) < 0)
				return finish_error(eng, w, rc);
			free_seg(w);
			cur--;
			done_segs++;
		}
		if (cur + 1 >= w->nsegs) {
			/* Wait for the next list (or the end of the lists). */
			if ((rc = ur_conn_flush(w->c)) < 0)
				return finish_error(eng, w, rc);
			while (cur + 1 >= w->nsegs && !w->flist_eof) {
				struct ritem it;
				rc = read_item(eng, w, &it);
				if (rc == -EINTR || rc == ITEM_DONE || rc == ITEM_OK ||
				    rc == ITEM_LIST)
					continue; /* echoes, and the list we wait for */
				if (rc < 0)
					return finish_error(eng, w, rc);
			}
			if (cur + 1 >= w->nsegs)
				break;
		}
		cur++;
	}
	/* -H members whose group found no leader: each on its own. */
	ur_hlinks_finish(eng, &w->hl);
	if (eng->fatal)
		return finish_error(eng, w, -EIO);

	/* End of phase 0: the remaining lists (inc) or the one list. */
	int pending = w->caps.inc_recurse ? (int)w->nsegs : 1;
	for (int i = 0; i < pending; i++)
		if ((rc = write_done(w)) < 0)
			return finish_error(eng, w, rc);
	if ((rc = wait_done(eng, w, 0)) < 0)
		return finish_error(eng, w, rc);
	while (w->nsegs > 1)
		free_seg(w);

	/* Phase 1 (redo) has nothing to redo for whole files; phase 2. */
	/* Both are answered; the second ends the sender's loop. */
	if ((rc = write_done(w)) < 0 || (rc = write_done(w)) < 0)
		return finish_error(eng, w, rc);
	/* Deletion statistics go early unless deletions wait for the end
	 * (--delete-delay, --delete-after). */
	bool late_del = o->delete_mode == UR_DEL_DELAY || o->delete_mode == UR_DEL_AFTER;
	if (w->protocol >= 31 && !late_del && (rc = write_del_stats(eng, w)) < 0)
		return finish_error(eng, w, rc);

	/* The sender: phase 2's echo and its own end. */
	if ((rc = wait_done(eng, w, 0)) < 0)
		return finish_error(eng, w, rc);
	if (!w->am_server) {
		/* A server sender's statistics (its read and written swap). */
		int64_t *v[5] = {&w->peer_written, &w->peer_read, &w->peer_total_size,
				 &w->flist_build_ms, &w->flist_xfer_ms};
		for (int i = 0; i < 5; i++)
			if ((rc = ur_conn_read_varlong(w->c, 3, v[i])) < 0)
				return finish_error(eng, w, rc);
	}
	if (late_del)
		ur_delete_flush(eng);
	if (eng->deletes_skipped) {
		/* Said before the end, so a server's client still hears it. */
		ur_errmsg("Deletions stopped due to --max-delete limit (%lld skipped)",
			  (long long)eng->deletes_skipped);
		ur_engine_fail(eng, UR_EXIT_DEL_LIMIT);
	}
	if (late_del && w->protocol >= 31 && (rc = write_del_stats(eng, w)) < 0)
		return finish_error(eng, w, rc);
	/* At 31+ the sender answers our last NDX_DONE (read_final_goodbye). */
	if (w->protocol >= 31 && (rc = wait_done(eng, w, 1)) < 0)
		return finish_error(eng, w, rc);

	w->shutting_down = true;
	if (!eng->fatal)
		ur_generator_finish(eng);
	/* The final goodbye. */
	if ((rc = ur_conn_write_ndx(w->c, UR_NDX_DONE)) < 0 || (rc = ur_conn_flush(w->c)) < 0)
		return finish_error(eng, w, rc);
	if (w->io_error & 2)
		ur_engine_fail(eng, UR_EXIT_VANISHED);
	if (w->io_error & 1)
		ur_engine_fail(eng, UR_EXIT_PARTIAL);
	(void)done_segs;
	return eng->exit_code;
}
