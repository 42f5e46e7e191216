/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "flist/flist.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Caps keep a hostile or absurd tree from growing the list without bound;
 * offsets are 32-bit so the arena must stay below 4 GiB. */
#define ARENA_MAX ((size_t)UINT32_MAX - 1)

void ur_flist_init(struct ur_flist *fl)
{
	memset(fl, 0, sizeof(*fl));
}

void ur_flist_release(struct ur_flist *fl)
{
	free(fl->e);
	free(fl->arena);
	ur_flist_init(fl);
}

void ur_flist_clear(struct ur_flist *fl)
{
	fl->n = 0;
	fl->alen = 0;
}

int64_t ur_flist_intern(struct ur_flist *fl, const char *s, size_t len)
{
	if (!fl->alen) {
		/* Offset 0 is reserved to mean "none". */
		if (!fl->acap) {
			fl->arena = malloc(4096);
			if (!fl->arena)
				return -ENOMEM;
			fl->acap = 4096;
		}
		fl->arena[0] = '\0';
		fl->alen = 1;
	}
	if (len + 1 > ARENA_MAX - fl->alen)
		return -ENOMEM;
	if (fl->alen + len + 1 > fl->acap) {
		size_t ncap = fl->acap * 2;
		while (ncap < fl->alen + len + 1)
			ncap *= 2;
		if (ncap > ARENA_MAX)
			ncap = ARENA_MAX;
		char *na = realloc(fl->arena, ncap);
		if (!na)
			return -ENOMEM;
		fl->arena = na;
		fl->acap = ncap;
	}
	int64_t off = (int64_t)fl->alen;
	memcpy(fl->arena + fl->alen, s, len);
	fl->arena[fl->alen + len] = '\0';
	fl->alen += len + 1;
	return off;
}

struct ur_fentry *ur_flist_add(struct ur_flist *fl, const char *name,
			       const struct stat *st, const char *link)
{
	if (fl->n == fl->cap) {
		size_t ncap = fl->cap ? fl->cap * 2 : 64;
		struct ur_fentry *ne = realloc(fl->e, ncap * sizeof(*ne));
		if (!ne)
			return NULL;
		fl->e = ne;
		fl->cap = ncap;
	}
	size_t len = strlen(name);
	int64_t noff = ur_flist_intern(fl, name, len);
	if (noff < 0)
		return NULL;
	int64_t loff = 0;
	if (link) {
		loff = ur_flist_intern(fl, link, strlen(link));
		if (loff < 0)
			return NULL;
	}
	struct ur_fentry *fe = &fl->e[fl->n++];
	memset(fe, 0, sizeof(*fe));
	fe->name = (uint32_t)noff;
	const char *slash = strrchr(name, '/');
	fe->base = slash ? (uint32_t)(slash + 1 - name) : 0;
	fe->link = (uint32_t)loff;
	if (st) {
		fe->mode = st->st_mode;
		fe->uid = st->st_uid;
		fe->gid = st->st_gid;
		fe->size = st->st_size;
		fe->mtime = st->st_mtim.tv_sec;
		fe->mtime_ns = (uint32_t)st->st_mtim.tv_nsec;
		fe->atime = st->st_atim.tv_sec;
		fe->atime_ns = (uint32_t)st->st_atim.tv_nsec;
		fe->rdev = st->st_rdev;
		fe->dev = st->st_dev;
		fe->ino = st->st_ino;
		fe->nlink = (uint32_t)st->st_nlink;
	}
	fe->hlink = -1;
	return fe;
}

/* Length of the next path component of p. */
static size_t comp_len(const char *p)
{
	const char *s = strchr(p, '/');
	return s ? (size_t)(s - p) : strlen(p);
}

int ur_fname_cmp(const char *a, bool a_dir, const char *b, bool b_dir)
{
	/* "." is the root of everything and sorts first. */
	if (a[0] == '.' && !a[1])
		return (b[0] == '.' && !b[1]) ? 0 : -1;
	if (b[0] == '.' && !b[1])
		return 1;
	for (;;) {
		size_t la = comp_len(a), lb = comp_len(b);
		bool a_last = a[la] == '\0', b_last = b[lb] == '\0';
		/* A component is a directory if more path follows or the entry is one. */
		bool ad = !a_last || a_dir, bd = !b_last || b_dir;
		if (ad != bd)
			return ad ? 1 : -1;
		size_t m = la < lb ? la : lb;
		int c = memcmp(a, b, m);
		if (c)
			return c;
		if (la != lb) {
			/* One name is a prefix of the other: compare the shorter
			 * one's terminator ('/' for dirs, NUL for files). */
			unsigned char ca = la > m ? (unsigned char)a[m] : (ad ? '/' : 0);
			unsigned char cb = lb > m ? (unsigned char)b[m] : (bd ? '/' : 0);
			return ca < cb ? -1 : 1;
		}
		if (a_last || b_last)
			return a_last == b_last ? 0 : (a_last ? -1 : 1);
		a += la + 1;
		b += lb + 1;
	}
}

static const struct ur_flist *sort_fl;

static int sort_cmp(const void *pa, const void *pb)
{
	const struct ur_fentry *a = pa, *b = pb;
	int c = ur_fname_cmp(ur_fentry_name(sort_fl, a), S_ISDIR(a->mode),
			     ur_fentry_name(sort_fl, b), S_ISDIR(b->mode));
	/* the same name from two operands: the earlier operand's first, so
	 * that ur_flist_dedup keeps it, as rsync keeps the first */
	if (c == 0)
		c = (a->root > b->root) - (a->root < b->root);
	return c;
}

void ur_flist_sort(struct ur_flist *fl, size_t from)
{
	if (fl->n - from < 2)
		return;
	/* qsort has no context argument in C17; the list is sorted by one
	 * thread at a time. */
	sort_fl = fl;
	qsort(fl->e + from, fl->n - from, sizeof(*fl->e), sort_cmp);
	sort_fl = NULL;
}

/* A non-directory among the kept entries from..w-1 (sorted) with the
 * name of directory d: rsync's order puts a directory's files before its
 * subdirectories, so it is found by its own place in that order, not
 * beside d. Returns its index or -1. */
static ssize_t file_twin(const struct ur_flist *fl, size_t from, size_t w, const char *d)
{
	size_t lo = from, hi = w;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct ur_fentry *e = &fl->e[mid];
		int c = ur_fname_cmp(ur_fentry_name(fl, e), S_ISDIR(e->mode), d, false);
		if (c == 0)
			return S_ISDIR(e->mode) ? -1 : (ssize_t)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

void ur_flist_dedup(struct ur_flist *fl, size_t from)
{
	size_t w = from;
	for (size_t r = from; r < fl->n; r++) {
		const char *name = ur_fentry_name(fl, &fl->e[r]);
		if (w > from && strcmp(ur_fentry_name(fl, &fl->e[w - 1]), name) == 0) {
			/* An operand beats the implied parent dir of another. */
			if ((fl->e[w - 1].flags & UR_FE_IMPLIED_DIR) &&
			    !(fl->e[r].flags & UR_FE_IMPLIED_DIR))
				fl->e[w - 1] = fl->e[r];
			continue;
		}
		if (S_ISDIR(fl->e[r].mode)) {
			/* a directory beats a non-directory of the same name
			 * (it may have contents in the list), as in rsync */
			ssize_t k = file_twin(fl, from, w, name);
			if (k >= 0) {
				memmove(fl->e + k, fl->e + k + 1, (w - (size_t)k - 1) * sizeof(*fl->e));
				w--;
			}
		}
		fl->e[w++] = fl->e[r];
	}
	fl->n = w;
}
