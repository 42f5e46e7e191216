/* SPDX-License-Identifier: GPL-3.0-or-later */
/* -H on the receiving side (see hlink.h). */
#include "engine/hlink.h"
#include "engine/refdir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void ur_hlinks_init(struct ur_hlinks *h)
{
	memset(h, 0, sizeof(*h));
}

void ur_hlinks_free(struct ur_hlinks *h)
{
	for (size_t i = 0; i < h->cap; i++) {
		if (!h->g[i].used)
			continue;
		free(h->g[i].leader);
		free(h->g[i].pidx);
		ur_flist_release(&h->g[i].pending);
	}
	free(h->g);
	memset(h, 0, sizeof(*h));
}

static size_t slot(uint64_t k1, uint64_t k2, size_t cap)
{
	return (size_t)(((k1 * 0x9E3779B97F4A7C15ull) ^ (k2 * 0xC2B2AE3D27D4EB4Full)) >> 17) &
	       (cap - 1);
}

static struct ur_hgroup *find(struct ur_hlinks *h, uint64_t k1, uint64_t k2, bool add)
{
	if (add && (h->n + 1) * 2 > h->cap) {
		size_t nc = h->cap ? h->cap * 2 : 64;
		struct ur_hgroup *ng = calloc(nc, sizeof(*ng));
		if (!ng)
			return NULL;
		for (size_t i = 0; i < h->cap; i++) {
			if (!h->g[i].used)
				continue;
			size_t s = slot(h->g[i].k1, h->g[i].k2, nc);
			while (ng[s].used)
				s = (s + 1) & (nc - 1);
			ng[s] = h->g[i];
		}
		free(h->g);
		h->g = ng;
		h->cap = nc;
	}
	if (!h->cap)
		return NULL;
	size_t s = slot(k1, k2, h->cap);
	while (h->g[s].used) {
		if (h->g[s].k1 == k1 && h->g[s].k2 == k2)
			return &h->g[s];
		s = (s + 1) & (h->cap - 1);
	}
	if (!add)
		return NULL;
	struct ur_hgroup *g = &h->g[s];
	memset(g, 0, sizeof(*g));
	g->used = true;
	g->k1 = k1;
	g->k2 = k2;
	g->last = -1;
	g->leader_ref = -1;
	ur_flist_init(&g->pending);
	h->n++;
	return g;
}

int ur_hlinks_note(struct ur_hlinks *h, uint64_t k1, uint64_t k2, int64_t idx)
{
	struct ur_hgroup *g = find(h, k1, k2, true);
	if (!g)
		return -ENOMEM;
	if (idx > g->last)
		g->last = idx;
	return 0;
}

static void wait_for_leader(struct ur_hlinks *h, struct ur_hgroup *g, const struct ur_fentry *fe,
			    const char *dname, int64_t idx)
{
	struct stat z = {0};
	size_t n = g->pending.n;
	int64_t *pi = realloc(g->pidx, (n + 1) * sizeof(*pi));
	if (!pi)
		return;
	g->pidx = pi;
	struct ur_fentry *p = ur_flist_add(&g->pending, dname, &z, NULL);
	if (!p)
		return;
	uint32_t name = p->name, base = p->base;
	*p = *fe;
	p->name = name;
	p->base = base;
	p->link = 0;
	p->sum = 0;
	p->root = 0;
	pi[n] = idx;
	if (h->waiting)
		h->waiting(h->ctx, idx, 1);
}

void ur_hlinks_generate(struct ur_engine *eng, struct ur_hlinks *h, const struct ur_flist *fl,
			struct ur_fentry *fe, uint64_t k1, uint64_t k2, int64_t idx)
{
	struct ur_hgroup *g = find(h, k1, k2, true);
	if (!g) {
		ur_generate(eng, fl, fe);
		return;
	}
	const char *dname = ur_dst_name(eng, fl, fe);
	if (g->leader) {
		ur_generate_hlink(eng, fl, fe, g->leader, g->leader_ref);
		return;
	}
	struct stat st;
	int dfd = eng->dest_fd;
	bool exists = !eng->dest_missing && dfd >= 0 &&
		      fstatat(dfd, dname, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode);
	/* a reference directory's file is a basis too, as rsync's generator
	 * finds it before it decides to wait */
	if (!exists && eng->refs && S_ISREG(fe->mode))
		exists = ur_refdir_has_file(eng, dname);
	/* A regular file waits for the group's last member unless it is in
	 * the destination already; rsync lets the first device, special or
	 * symlink of a group lead (nothing to transfer, nothing to wait for). */
	if (idx < g->last && !exists && S_ISREG(fe->mode)) {
		wait_for_leader(h, g, fe, dname, idx);
		return;
	}
	ur_generate(eng, fl, fe);
	if (eng->ref_done == -2 || (!eng->dest_missing && !eng->o->dry_run &&
				    fstatat(eng->dest_fd, dname, &st, AT_SYMLINK_NOFOLLOW) < 0))
		return; /* not made: the next member will try to lead */
	if (!(g->leader = strdup(dname)))
		return;
	g->leader_ref = eng->ref_done;
	int64_t saved = eng->cur_index;
	int saved_dfd = eng->cur_dfd;
	eng->cur_dfd = -1; /* the waiting ones live in other directories */
	for (size_t i = g->pending.n; i-- > 0;) {
		eng->cur_index = g->pidx[i];
		ur_generate_hlink(eng, &g->pending, &g->pending.e[i], g->leader, g->leader_ref);
		if (h->waiting)
			h->waiting(h->ctx, g->pidx[i], -1);
	}
	eng->cur_index = saved;
	eng->cur_dfd = saved_dfd;
	ur_flist_clear(&g->pending);
}

void ur_hlinks_finish(struct ur_engine *eng, struct ur_hlinks *h)
{
	int saved_dfd = eng->cur_dfd;
	eng->cur_dfd = -1;
	for (size_t i = 0; i < h->cap && !eng->fatal; i++) {
		struct ur_hgroup *g = &h->g[i];
		if (!g->used)
			continue;
		for (size_t k = 0; k < g->pending.n && !eng->fatal; k++) {
			eng->cur_index = g->pidx[k];
			ur_generate(eng, &g->pending, &g->pending.e[k]);
			if (h->waiting)
				h->waiting(h->ctx, g->pidx[k], -1);
		}
		ur_flist_clear(&g->pending);
	}
	eng->cur_dfd = saved_dfd;
}
