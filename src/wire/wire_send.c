/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The sending side over the wire: file lists out (incremental recursion
 * sends each directory's contents as a list of its own, depth first),
 * then the data of every file the generator asks for (wire.h).
 */
#include "config.h"
#include "delta/delta.h"
#include "wire/wire.h"
#include "proto/item.h"
#include "proto/sumhead.h"
#include "proto/token.h"
#include "util/log.h"
#include "util/path.h"

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

#define LOOKAHEAD 1000 /* entries the sender keeps listed ahead (rsync's MIN_FILECNT_LOOKAHEAD) */
#define LOOKAHEAD_IDLE 10000 /* ... and while it waits for the receiver (MAX_FILECNT_LOOKAHEAD) */

/* ---- owner names ---- */

struct sent_ids {
	uint32_t *v;
	size_t n, cap;
};

/* True the first time id is seen (rsync sends a name once per id). */
static bool first_sight(struct sent_ids *s, uint32_t id)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] == id)
			return false;
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 16;
		uint32_t *nv = realloc(s->v, nc * sizeof(*nv));
		if (!nv)
			return false;
		s->v = nv;
		s->cap = nc;
	}
	s->v[s->n++] = id;
	return true;
}

static const char *user_name(uint32_t uid, char *buf, size_t size)
{
	struct passwd *pw = getpwuid(uid);
	if (!pw)
		return NULL;
	snprintf(buf, size, "%s", pw->pw_name);
	return buf;
}

static const char *group_name(uint32_t gid, char *buf, size_t size)
{
	struct group *gr = getgrgid(gid);
	if (!gr)
		return NULL;
	snprintf(buf, size, "%s", gr->gr_name);
	return buf;
}

/* -H: (dev, ino) -> index of the first member sent, open addressing. */
struct idev {
	uint64_t dev, ino;
	int32_t ndx; /* -1: empty slot */
};

struct sender {
	struct ur_engine *eng;
	struct ur_wire *w;
	struct sent_ids uids, gids;
	int64_t total_size;
	int phase;
	struct idev *hl;
	size_t nhl, caphl;
	uint8_t *sent; /* a bit per index sent once already (a redo's is) */
	uint8_t sum[UR_SUM_MAX_LEN]; /* %C of the file just sent */
	int sum_len;
	int64_t matches, hash_hits, false_alarms; /* --debug=deltasum's total */
	size_t nsent;  /* bytes of it */
};

static bool sent_before(const struct sender *sd, int32_t ndx)
{
	size_t i = (size_t)ndx / 8;
	return i < sd->nsent && (sd->sent[i] >> (ndx % 8) & 1);
}

static int mark_sent(struct sender *sd, int32_t ndx)
{
	size_t i = (size_t)ndx / 8;
	if (i >= sd->nsent) {
		size_t n = sd->nsent ? sd->nsent : 64;
		while (n <= i)
			n *= 2;
		uint8_t *p = realloc(sd->sent, n);
		if (!p)
			return -ENOMEM;
		memset(p + sd->nsent, 0, n - sd->nsent);
		sd->sent = p;
		sd->nsent = n;
	}
	sd->sent[i] |= (uint8_t)(1u << (ndx % 8));
	return 0;
}

/* The first index sent for this file, or -1 after recording ndx as it. */
static int32_t idev_first(struct sender *sd, uint64_t dev, uint64_t ino, int32_t ndx)
{
	if (sd->nhl * 2 >= sd->caphl) {
		size_t nc = sd->caphl ? sd->caphl * 2 : 256;
		struct idev *n = malloc(nc * sizeof(*n));
		if (!n)
			return -1;
		for (size_t i = 0; i < nc; i++)
			n[i].ndx = -1;
		for (size_t i = 0; i < sd->caphl; i++) {
			if (sd->hl[i].ndx < 0)
				continue;
			size_t h =
			    (size_t)((sd->hl[i].dev * 31 + sd->hl[i].ino) * 0x9E3779B97F4A7C15ull) &
			    (nc - 1);
			while (n[h].ndx >= 0)
				h = (h + 1) & (nc - 1);
			n[h] = sd->hl[i];
		}
		free(sd->hl);
		sd->hl = n;
		sd->caphl = nc;
	}
	size_t h = (size_t)((dev * 31 + ino) * 0x9E3779B97F4A7C15ull) & (sd->caphl - 1);
	while (sd->hl[h].ndx >= 0) {
		if (sd->hl[h].dev == dev && sd->hl[h].ino == ino)
			return sd->hl[h].ndx;
		h = (h + 1) & (sd->caphl - 1);
	}
	sd->hl[h] = (struct idev){dev, ino, ndx};
	sd->nhl++;
	return -1;
}

/* ---- lists ---- */

static int copy_entry(struct ur_flist *dst, const struct ur_flist *src, const struct ur_fentry *fe)
{
	struct ur_fentry *ne =
	    ur_flist_add(dst, ur_fentry_name(src, fe), NULL, ur_fentry_link(src, fe));
	if (!ne)
		return -ENOMEM;
	uint32_t name = ne->name, base = ne->base, link = ne->link;
	*ne = *fe;
	ne->name = name;
	ne->base = base;
	ne->link = link;
	return 0;
}

static int send_entry(struct sender *sd, const struct ur_flist *fl, const struct ur_fentry *fe,
		      int32_t ndx)
{
	struct ur_wire *w = sd->w;
	const struct ur_opts *o = sd->eng->o;
	char ubuf[256], gbuf[256];
	const char *name = ur_fentry_name(fl, fe);
	const char *link = ur_fentry_link(fl, fe);
	struct ur_wentry we = {
	    .name = name,
	    .name_len = strlen(name),
	    .mode = fe->mode,
	    .size = fe->size, /* as lstat gave it: rsync sends directories and links theirs too */
	    .mtime = fe->mtime,
	    .mtime_nsec = fe->mtime_ns,
	    .atime = fe->atime,
	    .uid = fe->uid,
	    .gid = fe->gid,
	    .rdev_major = major(fe->rdev),
	    .rdev_minor = minor(fe->rdev),
	    .link = link,
	    .link_len = link ? strlen(link) : 0,
	    .top_dir = (fe->flags & UR_FE_TOP_DIR) != 0,
	    .no_content_dir = S_ISDIR(fe->mode) && (fe->flags & UR_FE_NO_RECURSE),
	    .hlink_ndx = -1,
	};
	uint8_t fsum[UR_SUM_MAX_LEN];
	if (o->checksum && S_ISREG(fe->mode)) {
		/* -c: every regular file's checksum travels in the list. */
		memset(fsum, 0, sizeof(fsum));
		char path[PATH_MAX];
		int fd = ur_sender_path(sd->eng, fl, fe, path, sizeof(path))
			     ? open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)
			     : -1;
		struct ur_sum_ctx sum;
		if (fd >= 0 && ur_sum_init(&sum, ur_sum_kind_of(w->caps.file_checksum),
					   w->caps.checksum_seed) >= 0) {
			static uint8_t buf[1 << 16];
			ssize_t n;
			while ((n = read(fd, buf, sizeof(buf))) > 0)
				ur_sum_update(&sum, buf, (size_t)n);
			ur_sum_final(&sum, fsum);
		}
		if (fd >= 0)
			close(fd);
		we.sum = fsum;
	}
	if (o->hard_links && !S_ISDIR(fe->mode) && fe->nlink > 1) {
		we.hlinked = true;
		we.hlink_ndx = idev_first(sd, fe->dev, fe->ino, ndx);
	}
	if (!S_ISCHR(fe->mode) && !S_ISBLK(fe->mode))
		we.rdev_major = we.rdev_minor = 0;
	if (!o->numeric_ids) {
		if (o->owner && first_sight(&sd->uids, fe->uid) && w->caps.inc_recurse)
			we.user_name = user_name(fe->uid, ubuf, sizeof(ubuf));
		if (o->group && first_sight(&sd->gids, fe->gid) && w->caps.inc_recurse)
			we.group_name = group_name(fe->gid, gbuf, sizeof(gbuf));
	}
	if (S_ISREG(fe->mode) || S_ISLNK(fe->mode))
		sd->total_size += S_ISLNK(fe->mode) ? (int64_t)we.link_len : fe->size;
	struct ur_wbuf b;
	int rc = ur_conn_reserve(w->c, 2 * UR_FNAME_MAX + 1024, &b);
	if (rc < 0)
		return rc;
	rc = ur_fentry_encode(&w->fs, &we, &b);
	if (rc < 0) {
		ur_error(0, "cannot send %s", name);
		return 0;
	}
	ur_conn_commit(w->c, &b);
	return 0;
}

static int add_dirs(struct ur_wire *w, struct ur_wseg *seg, int32_t segid)
{
	seg->dir_base = (int32_t)w->ndirs;
	for (size_t i = 0; i < seg->fl.n; i++) {
		const struct ur_fentry *fe = &seg->fl.e[i];
		if (!S_ISDIR(fe->mode))
			continue;
		struct ur_wdir *d = ur_wire_add_dir(w);
		if (!d)
			return -ENOMEM;
		d->recurse = strcmp(ur_fentry_name(&seg->fl, fe), ".") != 0;
		d->seg = segid;
		d->entry = i;
	}
	return 0;
}

/* Send seg as a list (entries, then the end marker) and keep it. */
static int send_seg(struct sender *sd, struct ur_wseg *seg)
{
	struct ur_wire *w = sd->w;
	int rc;
	seg->ndx_start = w->next_ndx;
	ur_fentry_state_start_list(&w->fs, seg->ndx_start);
	for (size_t i = 0; i < seg->fl.n; i++)
		if ((rc = send_entry(sd, &seg->fl, &seg->fl.e[i], seg->ndx_start + (int32_t)i)) < 0)
			return rc;
	struct ur_wbuf b;
	if ((rc = ur_conn_reserve(w->c, 16, &b)) < 0)
		return rc;
	int32_t ioerr =
	    sd->eng->io_error && !sd->eng->o->ignore_errors && w->fs.cfg.safe_flist ? 1 : 0;
	if ((rc = ur_fentry_encode_end(&w->fs, ioerr, &b)) < 0)
		return rc;
	ur_conn_commit(w->c, &b);
	w->next_ndx = seg->ndx_start + (int32_t)seg->fl.n + (w->caps.inc_recurse ? 1 : 0);
	w->file_total += (int64_t)seg->fl.n;
	for (size_t i = 0; i < seg->fl.n; i++)
		ur_engine_count_entry(sd->eng, &seg->fl.e[i]);
	int32_t segid = (int32_t)w->nsegs + (int32_t)(w->file_done ? 0 : 0);
	(void)segid;
	return 0;
}

/* The directory listing of dir entry fe of fl into out (sorted). */
static int list_dir(struct ur_engine *eng, const struct ur_flist *fl, const struct ur_fentry *fe,
		    struct ur_flist *out)
{
	int rc = ur_sender_dir(eng, fl, fe, out);
	/* A directory that cannot be opened has been reported (and the io
	 * error recorded); as in rsync it goes with no contents and the rest
	 * of the list goes on. Only a name too long for a path ends it. */
	if (rc < 0 && rc != -ENAMETOOLONG)
		rc = 0;
	if (rc < 0)
		return rc;
	ur_flist_sort(out, 0);
	return 0;
}

static bool recurses(const struct ur_opts *o, const struct ur_fentry *fe)
{
	if (!S_ISDIR(fe->mode) || (fe->flags & (UR_FE_NO_RECURSE | UR_FE_MOUNT_DIR)))
		return false;
	return o->recursive || (fe->flags & UR_FE_TOP_DIR);
}

/* Without incremental recursion: the whole tree in one list. */
static int list_all(struct ur_engine *eng, struct ur_flist *all, size_t from)
{
	size_t end = all->n;
	for (size_t i = from; i < end; i++) {
		struct ur_fentry fe = all->e[i];
		const char *name = ur_fentry_name(all, &fe);
		if (!recurses(eng->o, &fe) || (!strcmp(name, ".") && from != 0))
			continue;
		struct ur_flist sub;
		ur_flist_init(&sub);
		int rc = list_dir(eng, all, &fe, &sub);
		if (rc == 0) {
			size_t start = all->n;
			for (size_t j = 0; j < sub.n && rc == 0; j++)
				rc = copy_entry(all, &sub, &sub.e[j]);
			if (rc == 0 && all->n > start)
				rc = list_all(eng, all, start);
		}
		ur_flist_release(&sub);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The sender's dir table holds no names: directory d's entry lives in the
 * list it came in, which stays until its own list was sent. */
static struct ur_wseg *seg_by_id(struct ur_wire *w, int32_t id)
{
	for (size_t i = 0; i < w->nsegs; i++)
		if ((int32_t)w->segs[i]->pos == id)
			return w->segs[i];
	return NULL;
}

/*
 * The depth-first order of the sub-lists: after directory D's list come the
 * lists of D's subdirectories (in list order), then D's next sibling's.
 * A stack of (list id, next dir position) frames walks it.
 */
struct frame {
	int32_t seg_id;
	size_t next;   /* next entry to look at */
	int32_t dnext; /* dir index of the next directory entry */
};

struct walk {
	struct frame *f;
	size_t n, cap;
	int32_t next_id;
	struct ur_flist **keep; /* lists by id, kept while their dirs are pending */
	size_t nkeep, capkeep;
};

static struct walk g_walk;

static int keep_list(struct walk *wk, struct ur_flist *fl, int32_t *id)
{
	if (wk->nkeep == wk->capkeep) {
		size_t nc = wk->capkeep ? wk->capkeep * 2 : 16;
		struct ur_flist **nk = realloc(wk->keep, nc * sizeof(*nk));
		if (!nk)
			return -ENOMEM;
		wk->keep = nk;
		wk->capkeep = nc;
	}
	wk->keep[wk->nkeep] = fl;
	*id = (int32_t)wk->nkeep++;
	return 0;
}

static int push_frame(struct walk *wk, int32_t id, int32_t dir_base)
{
	if (wk->n == wk->cap) {
		size_t nc = wk->cap ? wk->cap * 2 : 16;
		struct frame *nf = realloc(wk->f, nc * sizeof(*nf));
		if (!nf)
			return -ENOMEM;
		wk->f = nf;
		wk->cap = nc;
	}
	wk->f[wk->n++] = (struct frame){id, 0, dir_base};
	return 0;
}

/* Send the next sub-list (or NDX_FLIST_EOF when there is none). */
static int send_extra(struct sender *sd)
{
	struct ur_engine *eng = sd->eng;
	struct ur_wire *w = sd->w;
	struct walk *wk = &g_walk;
	int rc;

	while (wk->n) {
		struct frame *fr = &wk->f[wk->n - 1];
		struct ur_flist *fl = wk->keep[fr->seg_id];
		size_t i = fr->next;
		while (i < fl->n &&
		       !(S_ISDIR(fl->e[i].mode) && strcmp(ur_fentry_name(fl, &fl->e[i]), "."))) {
			if (S_ISDIR(fl->e[i].mode))
				fr->dnext++;
			i++;
		}
		if (i >= fl->n) {
			/* Done with this list's directories. */
			ur_flist_release(fl);
			free(fl);
			wk->keep[fr->seg_id] = NULL;
			wk->n--;
			continue;
		}
		fr->next = i + 1;
		int32_t dir = fr->dnext++;
		struct ur_fentry fe = fl->e[i];
		struct ur_wseg *seg = calloc(1, sizeof(*seg));
		if (!seg)
			return -ENOMEM;
		ur_flist_init(&seg->fl);
		ur_flist_init(&seg->pfl);
		if ((rc = copy_entry(&seg->pfl, fl, &fe)) < 0)
			return rc;
		seg->dir = dir;
		if (recurses(eng->o, &fe) && (rc = list_dir(eng, fl, &fe, &seg->fl)) < 0) {
			free(seg);
			return rc;
		}
		if ((rc = ur_conn_write_ndx(w->c, UR_NDX_FLIST_OFFSET - dir)) < 0 ||
		    (rc = send_seg(sd, seg)) < 0)
			return rc;
		/* Its directories: a copy of the list stays for the walk. */
		struct ur_flist *copy = malloc(sizeof(*copy));
		if (!copy)
			return -ENOMEM;
		ur_flist_init(copy);
		for (size_t k = 0; k < seg->fl.n; k++)
			if ((rc = copy_entry(copy, &seg->fl, &seg->fl.e[k])) < 0)
				return rc;
		int32_t id;
		if ((rc = keep_list(wk, copy, &id)) < 0)
			return rc;
		if ((rc = add_dirs(w, seg, id)) < 0)
			return rc;
		if ((rc = ur_wire_push_seg(w, seg)) < 0)
			return rc;
		if ((rc = push_frame(wk, id, seg->dir_base)) < 0)
			return rc;
		return 1;
	}
	w->flist_eof = true;
	return ur_conn_write_ndx(w->c, UR_NDX_FLIST_EOF);
}

static int send_extra_lists(struct sender *sd)
{
	struct ur_wire *w = sd->w;
	while (!w->flist_eof && w->file_total - w->file_done < LOOKAHEAD) {
		int rc = send_extra(sd);
		if (rc < 0)
			return rc;
	}
	/* While nothing has come from the receiver, keep the lists coming
	 * (up to 10000 entries ahead, as rsync's I/O loop does): the
	 * receiver may need the next list, or the end of the lists, before
	 * it finishes one, and a list of 1000 entries or more would
	 * otherwise leave both ends waiting for the other. */
	while (!w->flist_eof && w->file_total - w->file_done < LOOKAHEAD_IDLE &&
	       !ur_conn_readable(w->c)) {
		int rc = ur_conn_flush(w->c);
		if (rc < 0)
			return rc;
		if (ur_conn_readable(w->c))
			break;
		if ((rc = send_extra(sd)) < 0)
			return rc;
	}
	return 0;
}

/* ---- requests ---- */

static const struct ur_fentry *find_entry(struct ur_wire *w, int32_t ndx,
					  const struct ur_flist **fl)
{
	for (size_t i = 0; i < w->nsegs; i++) {
		struct ur_wseg *seg = w->segs[i];
		if (ndx == seg->ndx_start - 1 && seg->pfl.n) {
			/* A list's own directory, which the generator revisits. */
			*fl = &seg->pfl;
			return &seg->pfl.e[0];
		}
		if (ndx >= seg->ndx_start && ndx < seg->ndx_start + (int32_t)seg->fl.n) {
			*fl = &seg->fl;
			return &seg->fl.e[ndx - seg->ndx_start];
		}
	}
	return NULL;
}

static void log_item(struct sender *sd, const struct ur_flist *fl, const struct ur_fentry *fe,
		     uint32_t iflags, bool transfer_end, int64_t bytes, const char *xname)
{
	struct ur_engine *eng = sd->eng;
	char name[PATH_MAX + 2], local[PATH_MAX];
	const char *n = ur_fentry_name(fl, fe);
	snprintf(name, sizeof(name), "%s%s", n, S_ISDIR(fe->mode) ? "/" : "");
	if (!ur_sender_path(eng, fl, fe, local, sizeof(local)))
		snprintf(local, sizeof(local), "%s", n);
	struct ur_item it = {
	    .name = name,
	    .link_target = S_ISLNK(fe->mode) ? ur_fentry_link(fl, fe) : NULL,
	    .mode = fe->mode,
	    .size = fe->size,
	    .mtime = fe->mtime,
	    .mtime_nsec = (int32_t)fe->mtime_ns,
	    .atime = fe->atime,
	    .uid = fe->uid,
	    .gid = fe->gid,
	    .iflags = iflags,
	    .local_name = local,
	    .bytes_xfer = bytes,
	    .side = UR_SIDE_SENDER,
	    .hlink_target = xname,
	    .checksum_len = ur_sum_len(ur_engine_xfer_kind(eng)),
	};
	if (transfer_end && sd->sum_len > 0)
		ur_item_set_sum(eng, &it, ur_engine_xfer_kind(eng), sd->sum, sd->sum_len);
	if (!(iflags & UR_ITEM_TRANSFER))
		ur_report_item(eng->o, eng->out, &it);
	else if (!transfer_end)
		ur_report_transfer_start(eng->o, eng->out, &it);
	else
		ur_report_transfer_end(eng->o, eng->out, &it);
}

static int echo_item(struct ur_wire *w, int32_t ndx, const struct ur_wire_item *wi)
{
	struct ur_wbuf b;
	int rc = ur_conn_write_ndx(w->c, ndx);
	if (rc == 0 && (rc = ur_conn_reserve(w->c, UR_XNAME_MAX + 16, &b)) == 0 &&
	    (rc = ur_item_encode(wi, &b)) == 0)
		ur_conn_commit(w->c, &b);
	return rc;
}

/* Tokens of the delta, as rsync sends them uncompressed. */
static int put_literal(void *ctx, const uint8_t *p, size_t n)
{
	struct ur_wire *w = ctx;
	int rc = ur_conn_write_int(w->c, (int32_t)n);
	return rc ? rc : ur_conn_write(w->c, p, n);
}

static int put_match(void *ctx, int32_t block, const uint8_t *data, size_t len)
{
	struct ur_wire *w = ctx;
	(void)data;
	(void)len;
	return ur_conn_write_int(w->c, -(block + 1));
}

/* -z: what the compressor holds goes out, a piece at a time. */
static int cz_drain(struct ur_wire *w)
{
	while (ur_cz_enc_pending(w->cz_enc)) {
		struct ur_wbuf b;
		int rc = ur_conn_reserve(w->c, 1 << 16, &b);
		if (rc < 0)
			return rc;
		ur_cz_enc_drain(w->cz_enc, &b);
		ur_conn_commit(w->c, &b);
	}
	return 0;
}

static int cz_literal(void *ctx, const uint8_t *p, size_t n)
{
	struct ur_wire *w = ctx;
	struct ur_wbuf b;
	int rc = ur_conn_reserve(w->c, 1 << 16, &b);
	if (rc == 0) {
		rc = ur_cz_enc_literal(w->cz_enc, p, n, &b);
		ur_conn_commit(w->c, &b);
	}
	return rc < 0 ? rc : cz_drain(w);
}

static int cz_match(void *ctx, int32_t block, const uint8_t *data, size_t len)
{
	struct ur_wire *w = ctx;
	struct ur_wbuf b;
	int rc = ur_conn_reserve(w->c, 1 << 16, &b);
	if (rc == 0) {
		rc = ur_cz_enc_match(w->cz_enc, block, data, len, &b);
		ur_conn_commit(w->c, &b);
	}
	return rc < 0 ? rc : cz_drain(w);
}

static int cz_end(struct ur_wire *w)
{
	struct ur_wbuf b;
	int rc = ur_conn_reserve(w->c, 1 << 16, &b);
	if (rc == 0) {
		rc = ur_cz_enc_end(w->cz_enc, &b);
		ur_conn_commit(w->c, &b);
	}
	return rc < 0 ? rc : cz_drain(w);
}

static int send_data(struct sender *sd, const struct ur_flist *fl, const struct ur_fentry *fe,
		     int32_t ndx, const struct ur_wire_item *wi, const struct ur_sum_head *head,
		     const struct ur_delta_sigtab *tab, int append)
{
	struct ur_engine *eng = sd->eng;
	struct ur_wire *w = sd->w;
	char path[PATH_MAX];
	int rc;

	if (!ur_sender_path(eng, fl, fe, path, sizeof(path)))
		return 0;
	/* rsync's do_open_checklinks(): a file is opened without following a
	 * symlink (one swapped in since the list was made) unless -L or
	 * --copy-unsafe-links may have put a followed link in the list. */
	int nofollow = eng->o->copy_links || eng->o->copy_unsafe_links ? 0 : O_NOFOLLOW;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | nofollow);
	if (fd < 0) {
		int e = errno;
		char abs[PATH_MAX];
		ur_abs_path(path, abs, sizeof(abs));
		if (e == ENOENT) {
			ur_errmsg("file has vanished: \"%s\"", abs);
			eng->io_error |= 2;
			w->io_error |= 2;
		} else {
			ur_error(e, "[sender] send_files failed to open \"%s\"", abs);
			w->io_error |= 1;
		}
		return ur_conn_send_msg_int(w->c, UR_MSG_NO_SEND, ndx);
	}
	log_item(sd, fl, fe, wi->iflags, false, 0, NULL);
	if ((rc = echo_item(w, ndx, wi)) < 0)
		goto out;
	struct ur_wbuf b;
	if ((rc = ur_conn_reserve(w->c, 16, &b)) < 0)
		goto out;
	ur_sum_head_encode(head, 16, &b);
	ur_conn_commit(w->c, &b);

	/* The delta against the generator's block sums (none: all literal),
	 * then the end token and the whole-file checksum. */
	struct ur_sig_params sp = {
	    .kind = ur_sum_kind_of(w->caps.checksum),
	    .seed = w->caps.checksum_seed,
	    .seed_fix = w->caps.seed_fix,
	    .protocol = w->protocol,
	    .block_size_opt = eng->o->block_size,
	    /* rsync's rule: in place unless the receiver's basis is another
	     * file (its backup, say) */
	    .updating_basis = eng->o->inplace && wi->basis_type == UR_FNAMECMP_FNAME,
	    .append = append,
	    .append_len = append ? ur_delta_head_len(head) : 0,
	};
	struct ur_delta_out dout = {.literal = put_literal, .match = put_match, .ctx = w};
	int alg = ur_wire_cz(w);
	if (alg >= 0) {
		if (!w->cz_enc) {
			/* One compressor for the connection (zstd's spans files). */
			int lvl = 0;
			if (ur_cz_level((enum ur_cz)alg, eng->o->compress_level != -1,
					eng->o->compress_level, &lvl) < 0 ||
			    ur_cz_enc_new((enum ur_cz)alg, lvl, w->protocol, &w->cz_enc) < 0) {
				rc = ur_err_set(&w->c->err, UR_EXIT_UNSUPPORTED, ENOTSUP,
						"compression %s is not supported",
						ur_cz_name((enum ur_cz)alg));
				goto out;
			}
		}
		dout.literal = cz_literal;
		dout.match = cz_match;
	}
	struct ur_delta_stats dst = {0};
	uint8_t digest[UR_SUM_MAX_LEN];
	rc = ur_delta_match(fd, fe->size, tab, &sp, &dout, digest, &dst);
	if (rc == -ENOTSUP) {
		rc = ur_err_set(&w->c->err, UR_EXIT_UNSUPPORTED, ENOTSUP, "checksum %s is not supported",
				ur_csum_name(w->caps.checksum));
		goto out;
	}
	if (rc < 0)
		goto out;
	if (dst.read_error) {
		ur_error(dst.read_error, "read errors mapping \"%s\"", path);
		w->io_error |= 1;
	}
	if ((rc = alg >= 0 ? cz_end(w) : ur_conn_write_int(w->c, 0)) < 0)
		goto out;
	rc = ur_conn_write(w->c, digest, (size_t)ur_sum_len(sp.kind));
	int64_t sent = dst.literal;
	sd->matches += dst.matches;
	sd->hash_hits += dst.hash_hits;
	sd->false_alarms += dst.false_alarms;
	eng->st.matched_data += dst.matched;
	eng->st.literal_data += sent;
	memcpy(sd->sum, digest, sizeof(sd->sum));
	sd->sum_len = ur_sum_len(sp.kind);
	log_item(sd, fl, fe, wi->iflags, true, sent, NULL);
	sd->sum_len = 0;
out:
	close(fd);
	return rc;
}

/* --remove-source-files: the receiver has each of these. */
static void remove_sent(struct sender *sd)
{
	struct ur_wire *w = sd->w;
	for (size_t i = 0; i < w->nsuccess; i++) {
		const struct ur_flist *fl = NULL;
		const struct ur_fentry *fe = find_entry(w, w->success[i], &fl);
		if (fe && !S_ISDIR(fe->mode))
			ur_sender_remove(sd->eng, fl, fe);
	}
	w->nsuccess = 0;
}

/* ---- the run ---- */

static int finish_error(struct ur_engine *eng, struct ur_wire *w)
{
	struct ur_err *e = &w->c->err;
	if (w->remote_exit >= 0)
		return w->remote_exit ? w->remote_exit : UR_EXIT_STREAMIO;
	if (e->msg[0]) {
		if (e->msg[0] == '[' || !strncmp(e->msg, "Invalid", 7))
			ur_errmsg("%s", e->msg);
		else
			ur_error(e->errnum, "%s", e->msg);
	}
	if (!e->code)
		e->code = eng->exit_code ? eng->exit_code : UR_EXIT_STREAMIO;
	return e->code;
}

/* Read one index with its attributes (rsync's read_ndx_and_attrs on the
 * sending side). Returns 1 for NDX_DONE, 0 for an item. */
static int read_request(struct sender *sd, int32_t *ndx, struct ur_wire_item *wi)
{
	struct ur_wire *w = sd->w;
	int rc;
	for (;;) {
		if ((rc = ur_conn_read_ndx(w->c, ndx)) < 0)
			return rc;
		if (*ndx == UR_NDX_DONE)
			return 1;
		if (*ndx == UR_NDX_DEL_STATS) {
			int32_t v[5];
			for (int i = 0; i < 5; i++)
				if ((rc = ur_conn_read_varint(w->c, &v[i])) < 0)
					return rc;
			if (w->am_server) {
				/* A server sender passes them on to the client. */
				rc = ur_conn_write_ndx(w->c, UR_NDX_DEL_STATS);
				for (int i = 0; i < 5 && rc == 0; i++)
					rc = ur_conn_write_varint(w->c, v[i]);
				if (rc < 0)
					return rc;
			}
			for (int i = 0; i < 5; i++)
				w->del_stats[i] = v[i];
			continue;
		}
		if (*ndx < 0) {
			ur_err_set(&w->c->err, UR_EXIT_PROTOCOL, 0,
				   "Invalid file index: %d [sender]", *ndx);
			return -EPROTO;
		}
		uint16_t fl;
		if ((rc = ur_conn_read_u16(w->c, &fl)) < 0)
			return rc;
		wi->iflags = fl;
		wi->basis_type = UR_FNAMECMP_FNAME;
		wi->xname_len = 0;
		if (fl & UR_ITEM_BASIS_TYPE_FOLLOWS &&
		    (rc = ur_conn_read_u8(w->c, &wi->basis_type)) < 0)
			return rc;
		if (fl & UR_ITEM_XNAME_FOLLOWS) {
			size_t len = 0;
			UR_CONN_DECODE(
			    w->c, rc, r,
			    ur_get_vstring(r, wi->xname, sizeof(wi->xname), &len, &w->c->err));
			if (rc < 0)
				return rc;
			wi->xname_len = (uint16_t)len;
			wi->xname[len < sizeof(wi->xname) ? len : sizeof(wi->xname) - 1] = '\0';
		}
		return 0;
	}
}

static int send_run(struct ur_engine *eng, struct ur_wire *w, struct sender *sd)
{
	const struct ur_opts *o = eng->o;
	struct ur_flist top;
	int rc;
	int64_t t0 = ur_now_ns();

	ur_wire_attach(eng, w);
	w->c->ctx = eng;
	w->c->on_msg = ur_wire_on_msg;
	memset(&g_walk, 0, sizeof(g_walk));
	ur_flist_init(&top);
	if ((rc = ur_sender_top(eng, &top)) < 0) {
		ur_error(-rc, "building the file list");
		return UR_EXIT_MALLOC;
	}

	/* The first list: the operands, plus the contents of a "." root. */
	struct ur_wseg *first = calloc(1, sizeof(*first));
	if (!first)
		return UR_EXIT_MALLOC;
	ur_flist_init(&first->fl);
	ur_flist_init(&first->pfl);
	first->dir = -1;
	for (size_t i = 0; i < top.n && rc == 0; i++)
		rc = copy_entry(&first->fl, &top, &top.e[i]);
	if (w->caps.inc_recurse) {
		for (size_t i = 0; i < top.n && rc == 0; i++) {
			struct ur_fentry fe = top.e[i];
			if (!recurses(o, &fe) || strcmp(ur_fentry_name(&top, &fe), "."))
				continue;
			struct ur_flist sub;
			ur_flist_init(&sub);
			rc = list_dir(eng, &top, &fe, &sub);
			for (size_t j = 0; j < sub.n && rc == 0; j++)
				rc = copy_entry(&first->fl, &sub, &sub.e[j]);
			ur_flist_release(&sub);
		}
	} else if (rc == 0) {
		rc = list_all(eng, &first->fl, 0);
	}
	ur_flist_release(&top);
	if (rc < 0) {
		ur_error(-rc, "building the file list");
		return UR_EXIT_MALLOC;
	}
	ur_flist_sort(&first->fl, 0);
	ur_flist_dedup(&first->fl, 0);
	if (first->fl.n && !strcmp(ur_fentry_name(&first->fl, &first->fl.e[0]), ".") &&
	    copy_entry(&first->pfl, &first->fl, &first->fl.e[0]) < 0)
		return UR_EXIT_MALLOC;
	w->flist_build_ms = (ur_now_ns() - t0) / 1000000;
	if (w->flist_build_ms == 0)
		w->flist_build_ms = 1; /* rsync's never says 0 (it prints none then) */
	if ((rc = send_seg(sd, first)) < 0)
		return finish_error(eng, w);
	if (w->caps.inc_recurse) {
		struct ur_flist *copy = malloc(sizeof(*copy));
		int32_t id;
		if (!copy)
			return UR_EXIT_MALLOC;
		ur_flist_init(copy);
		for (size_t k = 0; k < first->fl.n; k++)
			copy_entry(copy, &first->fl, &first->fl.e[k]);
		if (keep_list(&g_walk, copy, &id) < 0 || add_dirs(w, first, id) < 0 ||
		    push_frame(&g_walk, id, first->dir_base) < 0)
			return UR_EXIT_MALLOC;
	} else {
		/* The owners' names after the whole list. */
		for (int pass = 0; pass < 2 && !o->numeric_ids; pass++) {
			bool want = pass == 0 ? o->owner : o->group;
			if (!want)
				continue;
			struct sent_ids *ids = pass == 0 ? &sd->uids : &sd->gids;
			for (size_t i = 0; i < first->fl.n; i++)
				first_sight(ids,
					    pass == 0 ? first->fl.e[i].uid : first->fl.e[i].gid);
			struct ur_wbuf b;
			for (size_t i = 0; i < ids->n && rc == 0; i++) {
				char nb[256];
				const char *nm = pass == 0 ? user_name(ids->v[i], nb, sizeof(nb))
							   : group_name(ids->v[i], nb, sizeof(nb));
				if (!ids->v[i] || !nm)
					continue;
				if ((rc = ur_conn_reserve(w->c, 300, &b)) == 0 &&
				    (rc = ur_idlist_encode_one(&b, ids->v[i], nm)) == 0)
					ur_conn_commit(w->c, &b);
			}
			char nb[256];
			const char *n0 = pass == 0 ? user_name(0, nb, sizeof(nb))
						   : group_name(0, nb, sizeof(nb));
			if (rc == 0 && (rc = ur_conn_reserve(w->c, 300, &b)) == 0 &&
			    (rc = ur_idlist_encode_end(&b, w->caps.id0_names, n0 ? n0 : "")) == 0)
				ur_conn_commit(w->c, &b);
			if (rc < 0)
				return finish_error(eng, w);
		}
		w->flist_eof = true;
	}
	first->pos = 0;
	if ((rc = ur_wire_push_seg(w, first)) < 0)
		return UR_EXIT_MALLOC;
	if (!first->fl.n) {
		/* Nothing to send: rsync's sender ends here. */
		w->shutting_down = true;
		if ((rc = ur_conn_flush(w->c)) < 0)
			return finish_error(eng, w);
		if (eng->io_error)
			ur_engine_fail(eng, UR_EXIT_PARTIAL);
		return eng->exit_code;
	}
	/* With one named directory the receiver wants its contents at once. */
	if (w->caps.inc_recurse && first->fl.n == 1 && (rc = send_extra(sd)) < 0)
		return finish_error(eng, w);
	/* With no directory to descend into, the end of the lists goes out
	 * with the first one (as rsync's sender does: --stats's "File list
	 * size" on the other end counts what arrived with it). */
	bool subdirs = false;
	for (size_t i = 0; i < first->fl.n && !subdirs; i++)
		subdirs = S_ISDIR(first->fl.e[i].mode) &&
			  strcmp(ur_fentry_name(&first->fl, &first->fl.e[i]), ".");
	if (w->caps.inc_recurse && first->fl.n != 1 && !subdirs && (rc = send_extra(sd)) < 0)
		return finish_error(eng, w);
	if ((rc = ur_conn_flush(w->c)) < 0)
		return finish_error(eng, w);
	w->flist_xfer_ms = (ur_now_ns() - t0) / 1000000 - w->flist_build_ms;
	if (w->flist_xfer_ms < 0)
		w->flist_xfer_ms = 0;

	int max_phase = 2;
	for (;;) {
		if (w->caps.inc_recurse && (rc = send_extra_lists(sd)) < 0)
			return finish_error(eng, w);
		int32_t ndx;
		struct ur_wire_item wi;
		rc = read_request(sd, &ndx, &wi);
		if (rc < 0)
			return finish_error(eng, w);
		remove_sent(sd);
		if (rc == 1) {
			if (w->caps.inc_recurse && w->nsegs) {
				/* The receiver is done with the oldest list. */
				struct ur_wseg *seg = w->segs[0];
				w->file_done += (int64_t)seg->fl.n;
				ur_flist_release(&seg->fl);
				ur_flist_release(&seg->pfl);
				free(seg);
				memmove(w->segs, w->segs + 1, (w->nsegs - 1) * sizeof(*w->segs));
				w->nsegs--;
				if (w->nsegs) {
					if ((rc = ur_conn_write_ndx(w->c, UR_NDX_DONE)) < 0)
						return finish_error(eng, w);
					continue;
				}
			}
			if (++sd->phase > max_phase)
				break;
			if ((rc = ur_conn_write_ndx(w->c, UR_NDX_DONE)) < 0)
				return finish_error(eng, w);
			continue;
		}
		const struct ur_flist *fl = NULL;
		const struct ur_fentry *fe = find_entry(w, ndx, &fl);
		if (!fe) {
			ur_err_set(&w->c->err, UR_EXIT_PROTOCOL, 0,
				   "Invalid file index: %d [sender]", ndx);
			return finish_error(eng, w);
		}
		if (!(wi.iflags & UR_ITEM_TRANSFER) || o->dry_run) {
			const char *xn = (wi.iflags & UR_ITEM_XNAME_FOLLOWS) ? wi.xname : NULL;
			log_item(sd, fl, fe, wi.iflags, false, 0, xn);
			if ((wi.iflags & UR_ITEM_TRANSFER) && o->dry_run)
				log_item(sd, fl, fe, wi.iflags, true, 0, NULL);
			if ((rc = echo_item(w, ndx, &wi)) < 0)
				return finish_error(eng, w);
			/* rsync's sender counts what the receiver created */
			if (wi.iflags & UR_ITEM_IS_NEW)
				ur_engine_count_created(eng, fe->mode);
			if (wi.iflags & UR_ITEM_TRANSFER) {
				eng->st.xferred_files++;
				eng->st.total_transferred_size += fe->size;
			}
			continue;
		}
		if (sd->phase == 2) {
			ur_err_set(&w->c->err, UR_EXIT_PROTOCOL, 0,
				   "got transfer request in phase 2 [sender]");
			return finish_error(eng, w);
		}
		struct ur_sum_head head;
		UR_CONN_DECODE(w->c, rc, r,
			       ur_sum_head_decode(r, ur_wire_s2_max(w), &head, &w->c->err));
		if (rc < 0)
			return finish_error(eng, w);
		/* --append: the head only says how much the receiver has. A
		 * file asked for again failed verification: rsync's sender
		 * then drops --append for it. */
		int append = 0;
		bool again = sent_before(sd, ndx);
		if (o->append && !again)
			append = 1 + o->append_verify;
		if ((rc = mark_sent(sd, ndx)) < 0)
			return finish_error(eng, w);
		/* rsync allocates a 24-byte entry per block before reading any and
		 * stops at --max-alloc (exit 22); ursync's table grows with the
		 * sums that arrive, but refuses the same counts. --append reads no
		 * sums, and rsync allocates none there. */
		if (!append && eng->o->max_alloc > 0 && head.count >= eng->o->max_alloc / 24) {
			ur_err_set(&w->c->err, UR_EXIT_MALLOC, 0,
				   "[sender] exceeded --max-alloc=%lld setting (sum head count %ld)",
				   (long long)eng->o->max_alloc, (long)head.count);
			return finish_error(eng, w);
		}
		/* The generator's block sums of its basis, for the delta. */
		struct ur_delta_sigtab *tab = NULL;
		if (!append && head.count > 0 && (rc = ur_delta_sigtab_new(&head, &tab)) < 0) {
			ur_err_set(&w->c->err, UR_EXIT_PROTOCOL, 0, "invalid sum head [sender]");
			return finish_error(eng, w);
		}
		for (int32_t i = 0; !append && i < head.count; i++) {
			uint8_t blk[4 + UR_SUM_MAX_LEN];
			if ((rc = ur_conn_read(w->c, blk, 4 + (size_t)head.s2length)) < 0 ||
			    (rc = ur_delta_sigtab_add(tab, i, ur_le32(blk), blk + 4)) < 0) {
				if (rc == -ENOMEM)
					ur_err_set(&w->c->err, UR_EXIT_MALLOC, ENOMEM,
						   "[sender] out of memory for %ld block sums",
						   (long)head.count);
				ur_delta_sigtab_free(tab);
				return finish_error(eng, w);
			}
		}
		eng->st.xferred_files++;
		eng->st.total_transferred_size += fe->size;
		if ((wi.iflags & UR_ITEM_IS_NEW) && !again)
			ur_engine_count_created(eng, S_IFREG);
		rc = send_data(sd, fl, fe, ndx, &wi, &head, tab, append);
		ur_delta_sigtab_free(tab);
		if (rc < 0)
			return finish_error(eng, w);
	}
	if (UR_DEBUG_GTE(o, DELTASUM, 1))
		ur_info("total: matches=%lld  hash_hits=%lld  false_alarms=%lld data=%lld\n",
			(long long)sd->matches, (long long)sd->hash_hits, (long long)sd->false_alarms,
			(long long)eng->st.literal_data);
	if (w->io_error && w->protocol >= 30)
		ur_conn_send_msg_int(w->c, UR_MSG_IO_ERROR, w->io_error);
	if ((rc = ur_conn_write_ndx(w->c, UR_NDX_DONE)) < 0)
		return finish_error(eng, w);
	eng->st.total_size = sd->total_size;
	if (w->am_server) {
		int64_t v[5] = {w->c->total_read, w->c->total_written, sd->total_size,
				w->flist_build_ms, w->flist_xfer_ms};
		for (int i = 0; i < 5; i++)
			if ((rc = ur_conn_write_varlong(w->c, v[i], 3)) < 0)
				return finish_error(eng, w);
	}
	if ((rc = ur_conn_flush(w->c)) < 0)
		return finish_error(eng, w);
	/* The final goodbye. */
	w->shutting_down = true;
	int32_t ndx;
	struct ur_wire_item wi;
	rc = read_request(sd, &ndx, &wi);
	remove_sent(sd);
	if (rc == 1 && w->protocol >= 31) {
		if ((rc = ur_conn_write_ndx(w->c, UR_NDX_DONE)) < 0 ||
		    (rc = ur_conn_flush(w->c)) < 0)
			return finish_error(eng, w);
		rc = read_request(sd, &ndx, &wi);
	}
	if (rc < 0)
		return finish_error(eng, w);
	if (rc != 1) {
		ur_err_set(&w->c->err, UR_EXIT_PROTOCOL, 0,
			   "Invalid packet at end of run (%d) [sender]", ndx);
		return finish_error(eng, w);
	}
	(void)seg_by_id;
	if (eng->io_error)
		ur_engine_fail(eng, UR_EXIT_PARTIAL);
	if (w->io_error & 2)
		ur_engine_fail(eng, UR_EXIT_VANISHED);
	if (w->io_error & 1)
		ur_engine_fail(eng, UR_EXIT_PARTIAL);
	return eng->exit_code;
}

int ur_wire_send(struct ur_engine *eng, struct ur_wire *w)
{
	struct sender sd = {.eng = eng, .w = w};
	int rc = send_run(eng, w, &sd);
	/* Whatever the outcome: the walk's lists and the owner and link
	 * tables go. */
	for (size_t i = 0; i < g_walk.nkeep; i++)
		if (g_walk.keep[i]) {
			ur_flist_release(g_walk.keep[i]);
			free(g_walk.keep[i]);
		}
	free(g_walk.keep);
	free(g_walk.f);
	memset(&g_walk, 0, sizeof(g_walk));
	free(sd.uids.v);
	free(sd.gids.v);
	free(sd.hl);
	free(sd.sent);
	return rc;
}
