/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "delta/delta.h"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/*
 * A local --no-whole-file copy runs the three roles of a remote one in one
 * process: the signature of the basis, the match of the new file against
 * it, the patch from the basis and the literal data. rsync runs them as
 * three processes, so the match and the patch overlap; here, for a big
 * file, the match runs on the caller's thread and hands its tokens to a
 * helper thread that patches, through a few batches in a ring. The token
 * stream is the one ur_delta_match produces either way: a batch carries
 * the literal pieces (copied: the match's pointers are borrowed) and the
 * block numbers in order.
 *
 * On W4 (1 GiB, 1,000 changed 4 KiB blocks, tmpfs) the match and the
 * patch each cost about 0.4 s of CPU (the match reading the new file,
 * rolling and confirming blocks by their strong sums; the patch reading
 * the basis again and writing 1 GiB): one after the other they were most
 * of the copy's time, side by side the match sets the pace
 * (docs/benchmarks.md, W4).
 */

/* A batch stands for at most this much output, so the patch starts soon
 * and the last batch, patched after the match is done, is short. */
#define BATCH_OUT (8u << 20)
/* Literal bytes a batch carries (a literal piece is at most
 * UR_TOKEN_CHUNK) and tokens; a batch that fills either is sent. */
#define BATCH_LIT (256u << 10)
#define BATCH_TOKS 2048
/* Patch threads, and batches in flight: each patch thread works on one
 * while the match fills another, and the second patch thread wants two
 * waiting before it starts. */
#define MAX_PATCHERS 2
#define NBATCH (2 * MAX_PATCHERS + 1)
/* What each batch's output is checked with, on both sides: the literal
 * bytes, and for each block copied from the basis the full strong sum of
 * its bytes, which the match has computed anyway to confirm the block and
 * the patch computes of what it read. They differ only where the basis
 * changed since its signature was made. */
#define CHECK_KIND UR_SUM_XXH3_64

struct ptok {
	int32_t block; /* -1: len literal bytes, the next ones in lit */
	uint32_t len;
};

enum bstate { B_FREE, B_FILLING, B_FULL, B_BUSY };

struct batch {
	enum bstate state;
	int64_t seq; /* the order of the batches in the token stream */
	int64_t at;  /* where its output starts */
	int64_t out; /* and its length */
	int ntok;
	size_t nlit;
	struct ur_sum_ctx sc;		/* the match's check, while filling */
	uint8_t want[UR_SUM_MAX_LEN]; /* and once full */
	struct ptok tok[BATCH_TOKS];
	uint8_t lit[BATCH_LIT];
};

/* What a patch thread needs to start its own patch of the output. */
struct patch_args {
	const struct ur_sum_head *h;
	int basis_fd;
	int64_t basis_size;
	int out_fd;
	const struct ur_sig_params *p;	    /* the patch's (its sum: the check) */
	const struct ur_sig_params *strong; /* the signature's */
};

struct pipe {
	struct patch_args pa;
	uint8_t strong[UR_SUM_MAX_LEN]; /* the match's, of the block it found */
	size_t strong_len;
	struct batch *b; /* NBATCH */
	struct batch *cur; /* the one the match fills */
	int64_t seq, at;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* a batch filled or freed, the end, an error */
	bool done;	     /* the match sent its last batch */
	int perr;	     /* the patches' first error */
};

/* 0, -EBADMSG for output that is not what the match sent, or an error. */
static int patch_batch(struct ur_delta_patch *pt, const struct batch *b)
{
	const uint8_t *lit = b->lit;
	uint8_t got[UR_SUM_MAX_LEN];
	int rc = ur_delta_patch_moveto(pt, b->at);

	for (int i = 0; i < b->ntok && rc == 0; i++) {
		if (b->tok[i].block < 0) {
			rc = ur_delta_patch_literal(pt, lit, b->tok[i].len);
			lit += b->tok[i].len;
		} else {
			rc = ur_delta_patch_match(pt, b->tok[i].block);
		}
	}
	if (rc == 0 && (rc = ur_delta_patch_cut(pt, got)) > 0)
		rc = memcmp(got, b->want, (size_t)rc) ? -EBADMSG : 0;
	return rc;
}

/* The waiting batch that comes first in the stream, if at least `more`
 * batches wait (or the match is done), else NULL: patching in order keeps
 * the writes sequential. */
static struct batch *first_full(struct pipe *q, int more)
{
	struct batch *f = NULL;
	int n = 0;

	for (int i = 0; i < NBATCH; i++) {
		if (q->b[i].state != B_FULL)
			continue;
		n++;
		if (!f || q->b[i].seq < f->seq)
			f = &q->b[i];
	}
	return n >= more || q->done ? f : NULL;
}

struct worker {
	struct pipe *q;
	int idx;
	pthread_t th;
};

/*
 * A patch thread: batches in stream order, each written at its own
 * offset, so two threads can patch side by side, one reading the basis
 * while the other writes (writes to one file take turns on its inode
 * lock). The second thread only steps in when two batches wait: where
 * patching keeps up with the match (tmpfs, the output's pages allocated
 * beforehand) a third busy thread on two CPUs would only take turns
 * with the match, which then sets the pace.
 */
static void *patch_worker(void *arg)
{
	struct worker *wk = arg;
	struct pipe *q = wk->q;
	struct ur_delta_patch pt;
	uint8_t sum[UR_SUM_MAX_LEN];
	int rc;

	rc = ur_delta_patch_init(&pt, q->pa.h, q->pa.basis_fd, q->pa.basis_size, q->pa.out_fd,
				 q->pa.p);
	ur_delta_patch_sum_blocks(&pt, q->pa.strong);
	pthread_mutex_lock(&q->lock);
	while (rc == 0 && !q->perr) {
		struct batch *b;

		while (!(b = first_full(q, 1 + wk->idx)) && !q->done && !q->perr)
			pthread_cond_wait(&q->cond, &q->lock);
		if (!b || q->perr)
			break;
		b->state = B_BUSY;
		pthread_mutex_unlock(&q->lock);
		rc = patch_batch(&pt, b);
		pthread_mutex_lock(&q->lock);
		b->state = B_FREE;
		pthread_cond_broadcast(&q->cond);
	}
	pthread_mutex_unlock(&q->lock);
	if (rc == 0) {
		rc = ur_delta_patch_finish(&pt, sum);
		rc = rc < 0 ? rc : 0;
	}
	ur_delta_patch_release(&pt);
	if (rc < 0) {
		/* The match stops at its next batch; the other patches too. */
		pthread_mutex_lock(&q->lock);
		if (!q->perr)
			q->perr = rc;
		pthread_cond_broadcast(&q->cond);
		pthread_mutex_unlock(&q->lock);
	}
	return NULL;
}

/* Hand the filled batch over (if any) and, unless this is the end, take
 * a free one; 0 or the patches' error. Lock held. */
static int ship_locked(struct pipe *q, bool last)
{
	if (q->cur && q->cur->ntok) {
		ur_sum_final(&q->cur->sc, q->cur->want);
		q->cur->state = B_FULL;
		q->at += q->cur->out;
		q->cur = NULL;
		pthread_cond_broadcast(&q->cond);
	}
	if (last)
		return 0;
	while (!q->cur && !q->perr) {
		for (int i = 0; i < NBATCH && !q->cur; i++)
			if (q->b[i].state == B_FREE)
				q->cur = &q->b[i];
		if (!q->cur)
			pthread_cond_wait(&q->cond, &q->lock);
	}
	if (q->perr)
		return q->perr;
	q->cur->state = B_FILLING;
	q->cur->seq = q->seq++;
	q->cur->at = q->at;
	q->cur->out = 0;
	q->cur->ntok = 0;
	q->cur->nlit = 0;
	ur_sum_init(&q->cur->sc, CHECK_KIND, 0);
	return 0;
}

static int ship(struct pipe *q)
{
	int rc;

	pthread_mutex_lock(&q->lock);
	rc = ship_locked(q, false);
	pthread_mutex_unlock(&q->lock);
	return rc;
}

static int pipe_literal(void *ctx, const uint8_t *p, size_t n)
{
	struct pipe *q = ctx;
	struct batch *b = q->cur;
	int rc;

	if ((b->ntok == BATCH_TOKS || b->nlit + n > BATCH_LIT) && (rc = ship(q)) < 0)
		return rc;
	b = q->cur;
	memcpy(b->lit + b->nlit, p, n);
	ur_sum_update(&b->sc, p, n);
	b->nlit += n;
	b->out += (int64_t)n;
	b->tok[b->ntok++] = (struct ptok){.block = -1, .len = (uint32_t)n};
	return 0;
}

static int pipe_match(void *ctx, int32_t block, const uint8_t *data, size_t len)
{
	struct pipe *q = ctx;
	struct batch *b = q->cur;
	(void)data;

	ur_sum_update(&b->sc, q->strong, q->strong_len);
	b->tok[b->ntok++] = (struct ptok){.block = block};
	b->out += (int64_t)len;
	if (b->ntok == BATCH_TOKS || b->out >= BATCH_OUT)
		return ship(q);
	return 0;
}

static int serial_literal(void *ctx, const uint8_t *p, size_t n)
{
	return ur_delta_patch_literal(ctx, p, n);
}

static int serial_match(void *ctx, int32_t block, const uint8_t *data, size_t len)
{
	(void)data;
	(void)len;
	return ur_delta_patch_match(ctx, block);
}

struct ur_delta_out ur_delta_patch_out(struct ur_delta_patch *pt)
{
	return (struct ur_delta_out){.literal = serial_literal, .match = serial_match, .ctx = pt};
}

/* The match on the caller's thread into npatch patch threads through the
 * batches. Returns what ur_delta_match returns (the patches' error
 * first: *patch_failed), or 1 when no thread could be had and nothing was
 * done; *total gets the output's length. */
static int match_piped(int src_fd, int64_t size, const struct ur_delta_sigtab *t,
		       const struct ur_sig_params *p, const struct patch_args *pa, int npatch,
		       struct ur_delta_stats *st, int64_t *total, bool *patch_failed)
{
	struct pipe q = {.pa = *pa, .strong_len = (size_t)ur_sum_len(p->kind)};
	struct ur_delta_out out = {
	    .literal = pipe_literal, .match = pipe_match, .ctx = &q, .strong = q.strong};
	struct worker wk[MAX_PATCHERS];
	int started = 0, rc;

	q.b = malloc(sizeof(*q.b) * NBATCH);
	if (!q.b)
		return 1;
	for (int i = 0; i < NBATCH; i++)
		q.b[i].state = B_FREE;
	pthread_mutex_init(&q.lock, NULL);
	pthread_cond_init(&q.cond, NULL);
	ship(&q); /* takes the first batch: no error yet */
	if (npatch > MAX_PATCHERS)
		npatch = MAX_PATCHERS;
	for (; started < npatch; started++) {
		wk[started] = (struct worker){.q = &q, .idx = started};
		if (pthread_create(&wk[started].th, NULL, patch_worker, &wk[started]) != 0)
			break;
	}
	if (!started) {
		rc = 1;
		goto out;
	}
	rc = ur_delta_match(src_fd, size, t, p, &out, NULL, st);
	pthread_mutex_lock(&q.lock);
	if (rc >= 0)
		ship_locked(&q, true);
	q.done = true;
	pthread_cond_broadcast(&q.cond);
	pthread_mutex_unlock(&q.lock);
	for (int i = 0; i < started; i++)
		pthread_join(wk[i].th, NULL);
	if (q.perr)
		rc = q.perr;
	*patch_failed = q.perr != 0;
	*total = q.at;
out:
	pthread_mutex_destroy(&q.lock);
	pthread_cond_destroy(&q.cond);
	free(q.b);
	return rc;
}

struct prealloc {
	int fd;
	int64_t len;
	pthread_t th;
	bool running;
};

#if HAVE_FALLOCATE
static void *prealloc_worker(void *arg)
{
	struct prealloc *a = arg;

	/* A hint: where the filesystem cannot, the writes allocate. */
	(void)fallocate(a->fd, FALLOC_FL_KEEP_SIZE, 0, (off_t)a->len);
	return NULL;
}
#endif

/* Have the output's blocks allocated while the signature is computed.
 * On tmpfs a write into a fresh page costs three times a write into an
 * allocated one (1 GiB: 0.38 s against 0.14 s); the allocation is the
 * same work either way, but the writes take turns on the file's inode
 * lock, and during the signature nothing else holds it. The size is
 * kept: a file that ends up shorter (a read error) fails anyway. */
static void prealloc_start(struct prealloc *a)
{
#if HAVE_FALLOCATE
	a->running = pthread_create(&a->th, NULL, prealloc_worker, a) == 0;
#else
	(void)a;
#endif
}

static void prealloc_wait(struct prealloc *a)
{
	if (a->running)
		pthread_join(a->th, NULL);
	a->running = false;
}

struct sig_fill {
	struct ur_delta_sigtab *t;
	int32_t next;
};

static int sig_add(void *ctx, uint32_t rolling, const uint8_t *strong, int s2len)
{
	struct sig_fill *f = ctx;
	(void)s2len;
	return ur_delta_sigtab_add(f->t, f->next++, rolling, strong);
}

struct ur_delta_sigtab *ur_delta_sig_table(int basis_fd, int64_t basis_size,
					   const struct ur_sig_params *p, struct ur_sum_head *h)
{
	struct ur_delta_sigtab *tab = NULL;

	*h = (struct ur_sum_head){0};
	if (basis_fd >= 0 && ur_delta_sig_head(basis_size, p, h) == 0 && h->count > 0 &&
	    ur_delta_sigtab_new(h, &tab) == 0) {
		struct ur_sum_head h2;
		struct sig_fill f = {.t = tab};

		if (ur_delta_sig(basis_fd, basis_size, p, &h2, sig_add, &f) < 0) {
			ur_delta_sigtab_free(tab);
			tab = NULL;
		}
	}
	if (!tab)
		*h = (struct ur_sum_head){0};
	return tab;
}

/* The serial path's check: the match's output summed on its way to the
 * patch, as a batch's is. */
struct checked_out {
	struct ur_sum_ctx sc;
	struct ur_delta_patch *pt;
	uint8_t strong[UR_SUM_MAX_LEN];
	size_t strong_len;
};

static int checked_literal(void *ctx, const uint8_t *p, size_t n)
{
	struct checked_out *c = ctx;

	ur_sum_update(&c->sc, p, n);
	return ur_delta_patch_literal(c->pt, p, n);
}

static int checked_match(void *ctx, int32_t block, const uint8_t *data, size_t len)
{
	struct checked_out *c = ctx;
	(void)data;
	(void)len;

	ur_sum_update(&c->sc, c->strong, c->strong_len);
	return ur_delta_patch_match(c->pt, block);
}

/* ur_delta_local from the signature on; takes tab (and frees it) and
 * waits for pa0. */
static int64_t local_run(int src_fd, int64_t size, struct ur_delta_sigtab *tab,
			 const struct ur_sum_head *hp, int basis_fd, int64_t basis_size, int out_fd,
			 const struct ur_sig_params *p, struct ur_delta_stats *st, bool *out_failed,
			 struct prealloc *pa0)
{
	struct ur_sum_head h = *hp;
	struct ur_delta_patch pt;
	struct ur_sig_params pp = *p;
	uint8_t want[UR_SUM_MAX_LEN], got[UR_SUM_MAX_LEN];
	int64_t total = 0, rc;
	int nthreads = ur_delta_threads(p, size);

	/* The patches sum what they write with the check, not with rsync's
	 * kind: a local copy has no peer to compare whole-file sums with, and
	 * threads patch stretches of the output out of order. */
	pp.kind = CHECK_KIND;
	/* The patch threads are the helpers here, not writer threads. */
	pp.threads = 1;
	if (nthreads > 1) {
		struct patch_args pa = {&h, basis_fd, basis_size, out_fd, &pp, p};
		bool patch_failed = false;

		rc = match_piped(src_fd, size, tab, p, &pa, nthreads, st, &total, &patch_failed);
		prealloc_wait(pa0);
		if (rc != 1) {
			ur_delta_sigtab_free(tab);
			if (rc >= 0 && st->read_error)
				rc = st->read_error;
			*out_failed = rc != -EBADMSG && (patch_failed || st->read_error == 0);
			return rc < 0 ? rc : total;
		}
	}
	prealloc_wait(pa0);
	rc = ur_delta_patch_init(&pt, &h, basis_fd, basis_size, out_fd, &pp);
	if (rc < 0) {
		ur_delta_sigtab_free(tab);
		return rc;
	}
	struct checked_out co = {.pt = &pt, .strong_len = (size_t)ur_sum_len(p->kind)};
	struct ur_delta_out out = {
	    .literal = checked_literal, .match = checked_match, .ctx = &co, .strong = co.strong};

	ur_delta_patch_sum_blocks(&pt, p);

	ur_sum_init(&co.sc, CHECK_KIND, 0);
	rc = ur_delta_match(src_fd, size, tab, p, &out, NULL, st);
	ur_delta_sigtab_free(tab);
	if (rc >= 0)
		rc = ur_delta_patch_finish(&pt, got);
	/* Over the wire the spoiled whole-file sum makes the receiver reject
	 * a file the sender could not read; here the read error itself
	 * fails the file. */
	if (rc >= 0 && st->read_error)
		rc = st->read_error;
	*out_failed = pt.err != 0 || st->read_error == 0;
	if (rc > 0) {
		int n = ur_sum_final(&co.sc, want);

		if (memcmp(got, want, (size_t)n) != 0) {
			rc = -EBADMSG; /* the basis changed under us */
			*out_failed = false;
		}
	}
	if (rc >= 0)
		rc = pt.out_off;
	ur_delta_patch_release(&pt);
	return rc;
}

int64_t ur_delta_local(int src_fd, int64_t size, int basis_fd, int64_t basis_size, int out_fd,
		       const struct ur_sig_params *p, struct ur_delta_stats *st, bool *out_failed)
{
	struct ur_sum_head h;
	struct prealloc pa0 = {.fd = out_fd, .len = size};

	memset(st, 0, sizeof(*st));
	*out_failed = true;
	if (!ur_sum_supported(CHECK_KIND))
		return -ENOTSUP;
	if (ur_delta_threads(p, size) > 1 && out_fd >= 0 && size > 0)
		prealloc_start(&pa0);
	struct ur_delta_sigtab *tab = ur_delta_sig_table(basis_fd, basis_size, p, &h);
	return local_run(src_fd, size, tab, &h, basis_fd, basis_size, out_fd, p, st, out_failed,
			 &pa0);
}

int64_t ur_delta_local_table(int src_fd, int64_t size, struct ur_delta_sigtab *tab,
			     const struct ur_sum_head *h, int basis_fd, int64_t basis_size,
			     int out_fd, const struct ur_sig_params *p, struct ur_delta_stats *st,
			     bool *out_failed)
{
	struct prealloc none = {.fd = -1};

	memset(st, 0, sizeof(*st));
	*out_failed = true;
	if (!ur_sum_supported(CHECK_KIND)) {
		ur_delta_sigtab_free(tab);
		return -ENOTSUP;
	}
	return local_run(src_fd, size, tab, h, basis_fd, basis_size, out_fd, p, st, out_failed,
			 &none);
}
