/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "delta/delta.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Files are read in windows of this size: big enough that a syscall costs
 * nothing next to the hashing, small enough to stay in L3. */
#define WINDOW (512u << 10)
/* rsync gives up on an offset after this many blocks with its rolling sum
 * (match.c MAX_CHAIN_LEN): the bytes go as literal data instead. */
#define MAX_CHAIN 1024
/* The patch's output buffer starts small (most files are) and doubles up
 * to this. */
#define PATCH_BUF_MIN (256u << 10)
#define PATCH_BUF_MAX (512u << 10)

/* pread until n bytes or the end of the file; returns bytes read or -errno. */
static ssize_t pread_full(int fd, void *buf, size_t n, int64_t off)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = pread(fd, (uint8_t *)buf + got, n - got, (off_t)(off + (int64_t)got));

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static int pwrite_full(int fd, const void *buf, size_t n, int64_t off)
{
	size_t done = 0;

	while (done < n) {
		ssize_t w =
		    pwrite(fd, (const uint8_t *)buf + done, n - done, (off_t)(off + (int64_t)done));

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO;
		done += (size_t)w;
	}
	return 0;
}

static int32_t block_len(const struct ur_sum_head *h, int32_t i)
{
	return i == h->count - 1 && h->remainder ? h->remainder : h->blength;
}

/* The rules of ur_sum_head_decode, for heads handed to us directly. */
static bool head_ok(const struct ur_sum_head *h)
{
	return h->count >= 0 && h->blength >= 0 && h->blength <= UR_MAX_BLOCK_SIZE &&
	       !(h->count && h->blength == 0) && h->s2length >= 0 &&
	       h->s2length <= UR_SUM_MAX_LEN && h->remainder >= 0 && h->remainder <= h->blength;
}

/* ---- generator ---- */

int ur_delta_sig_head(int64_t size, const struct ur_sig_params *p, struct ur_sum_head *head)
{
	struct ur_sum_sizes s;
	int dlen = ur_sum_len(p->kind), rc;

	memset(head, 0, sizeof(*head));
	if (dlen < 0)
		return dlen;
	/* rsync sends the null head, not its 700-byte shape, for an empty
	 * basis (generator.c: st_size <= 0). */
	if (size == 0)
		return 0;
	rc = ur_sum_sizes(size, p->block_size_opt, p->redo ? UR_SUM_FULL_LEN : UR_SUM_SHORT_LEN,
			  dlen, p->protocol, &s);
	if (rc < 0)
		return rc;
	if (s.blength > UR_MAX_BLOCK_SIZE && p->protocol >= 30)
		return -EINVAL;
	head->count = s.count;
	head->blength = s.blength;
	head->s2length = s.s2length;
	head->remainder = s.remainder;
	return 0;
}

int ur_delta_threads(const struct ur_sig_params *p, int64_t size)
{
	long ncpu;

	if (p->threads > 0)
		return p->threads < UR_DELTA_MAX_THREADS ? p->threads : UR_DELTA_MAX_THREADS;
	if (size < UR_DELTA_PAR_MIN)
		return 1;
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu < 1)
		return 1;
	return ncpu < UR_DELTA_MAX_THREADS ? (int)ncpu : UR_DELTA_MAX_THREADS;
}

/*
 * The signature is cut into segments of about WINDOW bytes (whole blocks).
 * Each thread, the caller's too, takes the next segment nobody has taken,
 * reads and hashes it into one of 2T slots (T threads); the caller emits
 * the segments in order, taking one itself whenever the next to emit is
 * not ready. Taking segments as they come, rather than each thread every
 * T-th, keeps a thread that gets less CPU (the output's preallocation
 * shares it, or another process) from holding the others up. Reading (a
 * copy out of the page cache) costs as much as hashing; both scale with
 * the threads. On the 1 GiB of W4: 0.25 s on one thread, 0.13 s on two.
 */
enum slot_state { SLOT_FREE, SLOT_WORKING, SLOT_DONE };

struct sig_slot {
	enum slot_state state;
	int32_t seg; /* the segment held */
	int rc;	     /* a read error of that segment */
	uint32_t *rolling;
	uint8_t *strong; /* s2length bytes a block */
};

struct sig_job;

struct sig_helper {
	struct sig_job *j;
	pthread_t th;
	uint8_t *buf;
};

struct sig_job {
	int fd;
	int64_t size;
	const struct ur_sum_head *h;
	const struct ur_sig_params *p;
	int32_t seg_blocks, nseg;
	int nthreads, nslots;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* a slot done or freed, or stop */
	int32_t next;	     /* the next segment nobody has taken */
	bool stop;
	struct sig_slot *slots;	    /* nslots; segment s goes to s % nslots */
	struct sig_helper *helpers; /* nthreads - 1 */
};

/* The sums of segment seg into rolling and strong, its bytes read into
 * buf; 0 or a read error. */
static int sig_segment(const struct sig_job *j, int32_t seg, uint8_t *buf, uint32_t *rolling,
		       uint8_t *strong)
{
	const struct ur_sum_head *h = j->h;
	const struct ur_sig_params *p = j->p;
	size_t s2 = (size_t)h->s2length, pos = 0;
	int64_t off = (int64_t)seg * j->seg_blocks * h->blength;
	int32_t first = seg * j->seg_blocks, n = h->count - first;
	size_t want;
	ssize_t got;

	if (n > j->seg_blocks)
		n = j->seg_blocks;
	want = (size_t)n * (size_t)h->blength;
	if ((int64_t)want > j->size - off)
		want = (size_t)(j->size - off);
	got = pread_full(j->fd, buf, want, off);
	if (got < 0)
		return (int)got;
	memset(buf + got, 0, want - (size_t)got);
	for (int32_t i = 0; i < n && pos < want; i++) {
		uint8_t d[UR_SUM_MAX_LEN];
		size_t l = want - pos < (size_t)h->blength ? want - pos : (size_t)h->blength;

		ur_sum_block(p->kind, p->seed, p->seed_fix, buf + pos, l, d);
		memcpy(strong + s2 * (size_t)i, d, s2);
		rolling[i] = ur_rolling_sum(buf + pos, l);
		pos += l;
	}
	return 0;
}

/* Take the next segment if its slot is free (lock held): the slot, or
 * NULL. */
static struct sig_slot *sig_take(struct sig_job *j)
{
	struct sig_slot *sl;

	if (j->next >= j->nseg)
		return NULL;
	sl = &j->slots[j->next % j->nslots];
	if (sl->state != SLOT_FREE)
		return NULL;
	sl->state = SLOT_WORKING;
	sl->seg = j->next++;
	return sl;
}

/* Work on a taken slot with buf, then mark it done (lock held, dropped
 * meanwhile). */
static void sig_work(struct sig_job *j, struct sig_slot *sl, uint8_t *buf)
{
	int rc;

	pthread_mutex_unlock(&j->lock);
	rc = sig_segment(j, sl->seg, buf, sl->rolling, sl->strong);
	pthread_mutex_lock(&j->lock);
	sl->rc = rc;
	sl->state = SLOT_DONE;
	pthread_cond_broadcast(&j->cond);
}

static void *sig_worker(void *arg)
{
	struct sig_helper *hp = arg;
	struct sig_job *j = hp->j;

	pthread_mutex_lock(&j->lock);
	while (!j->stop && j->next < j->nseg) {
		struct sig_slot *sl = sig_take(j);

		if (sl)
			sig_work(j, sl, hp->buf);
		else
			pthread_cond_wait(&j->cond, &j->lock);
	}
	pthread_mutex_unlock(&j->lock);
	return NULL;
}

/* Emit n blocks' sums; 0 or emit's error. */
static int sig_emit(const struct sig_job *j, const uint32_t *rolling, const uint8_t *strong,
		    int32_t n, ur_delta_sig_fn emit, void *ctx)
{
	size_t s2 = (size_t)j->h->s2length;

	for (int32_t i = 0; i < n; i++) {
		int rc = emit(ctx, rolling[i], strong + s2 * (size_t)i, j->h->s2length);

		if (rc < 0)
			return rc;
	}
	return 0;
}

/* A segment's read buffer. */
static uint8_t *sig_buf(const struct sig_job *j)
{
	size_t bytes = (size_t)j->seg_blocks * (size_t)j->h->blength;

	if ((int64_t)bytes > j->size)
		bytes = (size_t)j->size;
	return malloc(bytes ? bytes : 1);
}

static void sig_stop(struct sig_job *j)
{
	pthread_mutex_lock(&j->lock);
	j->stop = true;
	pthread_cond_broadcast(&j->cond);
	pthread_mutex_unlock(&j->lock);
}

/* Start up to nthreads - 1 helpers; nthreads becomes 1 + those started. */
static void sig_start(struct sig_job *j)
{
	int started = 0;

	j->helpers = calloc((size_t)j->nthreads - 1, sizeof(*j->helpers));
	for (int t = 1; j->helpers && t < j->nthreads; t++) {
		struct sig_helper *hp = &j->helpers[started];

		hp->j = j;
		hp->buf = sig_buf(j);
		if (!hp->buf || pthread_create(&hp->th, NULL, sig_worker, hp) != 0) {
			free(hp->buf);
			break;
		}
		started++;
	}
	j->nthreads = 1 + started;
}

int ur_delta_sig(int fd, int64_t size, const struct ur_sig_params *p, struct ur_sum_head *head,
		 ur_delta_sig_fn emit, void *ctx)
{
	struct sig_job j = {.fd = fd, .size = size, .p = p, .h = head};
	uint8_t *buf = NULL;
	int rc;

	rc = ur_delta_sig_head(size, p, head);
	if (rc < 0 || head->count == 0)
		return rc;
	if (!ur_sum_supported(p->kind))
		return -ENOTSUP;
	/* A whole number of blocks per read, so no block straddles two. */
	j.seg_blocks = (int32_t)(WINDOW / (size_t)head->blength) + 1;
	j.nseg = (int32_t)((head->count + (int64_t)j.seg_blocks - 1) / j.seg_blocks);
	j.nthreads = ur_delta_threads(p, size);
	if (j.nthreads > j.nseg)
		j.nthreads = j.nseg;
	j.nslots = 2 * j.nthreads;
	buf = sig_buf(&j);
	j.slots = calloc((size_t)j.nslots, sizeof(*j.slots));
	if (!buf || !j.slots) {
		rc = -ENOMEM;
		goto out;
	}
	for (int k = 0; k < j.nslots; k++) {
		j.slots[k].rolling = malloc(sizeof(uint32_t) * (size_t)j.seg_blocks);
		j.slots[k].strong = malloc((size_t)head->s2length * (size_t)j.seg_blocks + 1);
		if (!j.slots[k].rolling || !j.slots[k].strong) {
			rc = -ENOMEM;
			goto out;
		}
	}
	pthread_mutex_init(&j.lock, NULL);
	pthread_cond_init(&j.cond, NULL);
	/* Helpers that cannot be had (memory, threads) leave more to us. */
	if (j.nthreads > 1)
		sig_start(&j);
	for (int32_t seg = 0; seg < j.nseg && rc == 0; seg++) {
		struct sig_slot *sl = &j.slots[seg % j.nslots];
		int32_t n = head->count - seg * j.seg_blocks;

		if (n > j.seg_blocks)
			n = j.seg_blocks;
		pthread_mutex_lock(&j.lock);
		while (!(sl->state == SLOT_DONE && sl->seg == seg)) {
			struct sig_slot *mine = sig_take(&j);

			if (mine)
				sig_work(&j, mine, buf);
			else
				pthread_cond_wait(&j.cond, &j.lock);
		}
		pthread_mutex_unlock(&j.lock);
		rc = sl->rc;
		if (rc == 0)
			rc = sig_emit(&j, sl->rolling, sl->strong, n, emit, ctx);
		pthread_mutex_lock(&j.lock);
		sl->state = SLOT_FREE;
		pthread_cond_broadcast(&j.cond);
		pthread_mutex_unlock(&j.lock);
	}
	if (j.nthreads > 1) {
		sig_stop(&j);
		for (int t = 0; t < j.nthreads - 1; t++) {
			pthread_join(j.helpers[t].th, NULL);
			free(j.helpers[t].buf);
		}
	}
	free(j.helpers);
	pthread_mutex_destroy(&j.lock);
	pthread_cond_destroy(&j.cond);
out:
	for (int k = 0; j.slots && k < j.nslots; k++) {
		free(j.slots[k].rolling);
		free(j.slots[k].strong);
	}
	free(j.slots);
	free(buf);
	return rc;
}

/* ---- the sender's table ---- */

/*
 * rsync chains blocks in a table of 2^16 (or count * 1.25) buckets and
 * looks the table up at every offset. Here a bitmap of 128 bits per block
 * (at most 16 MiB) answers "no block has this rolling sum" for almost
 * every offset with one bit test, and only its hits go to the bucket
 * chains; both are indexed by the top bits of a multiplicative hash of the
 * rolling sum. Measured on 256 MiB of unmatched data (every offset
 * rolled): 16 bits per block 310 MB/s, 64 bits 500, 128 bits 545.
 */
struct ur_delta_sigtab {
	struct ur_sum_head h;
	int32_t n;	  /* blocks added */
	int32_t alloc;	  /* room in sum1/strong */
	uint32_t *sum1;	  /* rolling sums */
	uint8_t *strong;  /* s2length bytes a block */
	int32_t *next;	  /* bucket chains, -1 ends */
	int32_t *heads;	  /* 2^hbits buckets */
	uint64_t *filter; /* 2^fbits bits */
	unsigned hbits, fbits;
};

static inline uint32_t mix(uint32_t sum)
{
	return sum * 0x9e3779b1u;
}

static unsigned log2_up(uint64_t n)
{
	unsigned b = 0;

	while (((uint64_t)1 << b) < n)
		b++;
	return b;
}

static int build_index(struct ur_delta_sigtab *t)
{
	uint64_t n = (uint64_t)t->n;

	t->hbits = log2_up(2 * n);
	t->hbits = t->hbits < 10 ? 10 : t->hbits > 30 ? 30 : t->hbits;
	t->fbits = log2_up(128 * n);
	t->fbits = t->fbits < 16 ? 16 : t->fbits > 27 ? 27 : t->fbits;
	t->heads = malloc(sizeof(*t->heads) << t->hbits);
	t->next = malloc(sizeof(*t->next) * (size_t)(n ? n : 1));
	t->filter = calloc((size_t)1 << (t->fbits - 6), sizeof(*t->filter));
	if (!t->heads || !t->next || !t->filter)
		return -ENOMEM;
	memset(t->heads, 0xff, sizeof(*t->heads) << t->hbits);
	/* Pushed from the last block down, so each chain runs in block order. */
	for (int32_t i = t->n - 1; i >= 0; i--) {
		uint32_t m = mix(t->sum1[i]), b = m >> (32 - t->fbits);
		uint32_t hb = m >> (32 - t->hbits);

		t->filter[b >> 6] |= (uint64_t)1 << (b & 63);
		t->next[i] = t->heads[hb];
		t->heads[hb] = i;
	}
	return 0;
}

int ur_delta_sigtab_new(const struct ur_sum_head *h, struct ur_delta_sigtab **out)
{
	struct ur_delta_sigtab *t;

	*out = NULL;
	if (!head_ok(h))
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->h = *h;
	if (h->count == 0 && build_index(t) < 0) {
		ur_delta_sigtab_free(t);
		return -ENOMEM;
	}
	*out = t;
	return 0;
}

int ur_delta_sigtab_add(struct ur_delta_sigtab *t, int32_t i, uint32_t rolling,
			const uint8_t *strong)
{
	size_t s2 = (size_t)t->h.s2length;

	if (i != t->n || i >= t->h.count)
		return -EINVAL;
	if (t->n == t->alloc) {
		int32_t na = t->alloc ? t->alloc : 1024;
		uint32_t *ns;
		uint8_t *nst;

		/* Double, but never past the head's count. */
		if (t->alloc)
			na = t->alloc > t->h.count / 2 ? t->h.count : t->alloc * 2;
		if (na > t->h.count)
			na = t->h.count;
		ns = realloc(t->sum1, sizeof(*ns) * (size_t)na);
		if (!ns)
			return -ENOMEM;
		t->sum1 = ns;
		nst = realloc(t->strong, s2 * (size_t)na + 1);
		if (!nst)
			return -ENOMEM;
		t->strong = nst;
		t->alloc = na;
	}
	t->sum1[i] = rolling;
	memcpy(t->strong + s2 * (size_t)i, strong, s2);
	t->n++;
	if (t->n == t->h.count)
		return build_index(t);
	return 0;
}

void ur_delta_sigtab_free(struct ur_delta_sigtab *t)
{
	if (!t)
		return;
	free(t->sum1);
	free(t->strong);
	free(t->next);
	free(t->heads);
	free(t->filter);
	free(t);
}

/* ---- the sender's match ---- */

/* The file being matched, as a window [base, base + have) in buf. Bytes
 * from `last` (the end of the last match or literal piece sent) on are
 * kept when the window moves. */
struct mstate {
	int fd;
	int64_t size;
	uint8_t *buf;
	size_t cap;
	int64_t base;
	size_t have;
	int64_t last;
	const struct ur_delta_out *out;
	struct ur_sum_ctx sc;
	struct ur_delta_stats st;
	/* --inplace (NULL otherwise): per block, whether it was matched at its
	 * own offset; and the first block boundary at or after the offset of
	 * the last match found, with its index. */
	uint8_t *same;
	int64_t aligned_off;
	int32_t aligned_i;
	uint8_t strong[UR_SUM_MAX_LEN]; /* find_block's, of the block it found */
};

/* Make the window reach `to` (<= size; to - last well below cap). */
static void window(struct mstate *m, int64_t to)
{
	size_t keep_off, keep, want;
	ssize_t got;

	if (to <= m->base + (int64_t)m->have)
		return;
	keep_off = (size_t)(m->last - m->base);
	keep = m->have - keep_off;
	memmove(m->buf, m->buf + keep_off, keep);
	m->base = m->last;
	m->have = keep;
	want = m->cap - keep;
	if ((int64_t)want > m->size - (m->base + (int64_t)keep))
		want = (size_t)(m->size - (m->base + (int64_t)keep));
	got =
	    m->st.read_error ? 0 : pread_full(m->fd, m->buf + keep, want, m->base + (int64_t)keep);
	if (got < 0 || (size_t)got < want) {
		/* rsync's map_ptr: what cannot be read is zeros. */
		if (!m->st.read_error)
			m->st.read_error = got < 0 ? (int)got : -ENODATA;
		if (got < 0)
			got = 0;
		memset(m->buf + keep + got, 0, want - (size_t)got);
	}
	m->have = keep + want;
}

/* Send [last, upto) as literal data, in pieces of at most UR_TOKEN_CHUNK. */
static int send_literal(struct mstate *m, int64_t upto)
{
	while (m->last < upto) {
		size_t n =
		    upto - m->last < UR_TOKEN_CHUNK ? (size_t)(upto - m->last) : UR_TOKEN_CHUNK;
		const uint8_t *p;
		int rc;

		window(m, m->last + (int64_t)n);
		p = m->buf + (m->last - m->base);
		ur_sum_update(&m->sc, p, n);
		rc = m->out->literal(m->out->ctx, p, n);
		if (rc < 0)
			return rc;
		m->st.literal += (int64_t)n;
		m->st.pieces++;
		m->last += (int64_t)n;
	}
	return 0;
}

/* The block matching the window of l bytes at data with rolling sum sum,
 * or -1. The block after the last match (want) is tried first: where
 * several blocks match, rsync's sender takes that one. */
static int32_t find_block(struct mstate *m, const struct ur_delta_sigtab *t,
			  const struct ur_sig_params *p, uint32_t sum, int32_t l,
			  const uint8_t *data, int32_t want)
{
	uint8_t strong[UR_SUM_MAX_LEN];
	size_t s2 = (size_t)t->h.s2length;
	bool hashed = false, counted = false;
	int chain = 0;

	if (want < t->h.count && t->sum1[want] == sum) {
		m->st.hash_hits++;
		counted = true;
		if (block_len(&t->h, want) == l) {
			ur_sum_block(p->kind, p->seed, p->seed_fix, data, (size_t)l, strong);
			hashed = true;
			if (memcmp(strong, t->strong + s2 * (size_t)want, s2) == 0) {
				memcpy(m->strong, strong, sizeof(strong));
				return want;
			}
			m->st.false_alarms++;
		}
	}
	for (int32_t i = t->heads[mix(sum) >> (32 - t->hbits)]; i >= 0; i = t->next[i]) {
		if (t->sum1[i] != sum)
			continue;
		if (!counted) {
			m->st.hash_hits++;
			counted = true;
		}
		if (++chain > MAX_CHAIN)
			break;
		if (i == want || block_len(&t->h, i) != l)
			continue;
		if (!hashed) {
			ur_sum_block(p->kind, p->seed, p->seed_fix, data, (size_t)l, strong);
			hashed = true;
		}
		if (memcmp(strong, t->strong + s2 * (size_t)i, s2) == 0) {
			memcpy(m->strong, strong, sizeof(strong));
			return i;
		}
		m->st.false_alarms++;
	}
	return -1;
}

/* Whether block i of t has this rolling sum, length and strong sum. */
static bool block_is(const struct ur_delta_sigtab *t, int32_t i, uint32_t sum, int32_t l,
		     const uint8_t *strong)
{
	size_t s2 = (size_t)t->h.s2length;

	return t->sum1[i] == sum && block_len(&t->h, i) == l &&
	       memcmp(strong, t->strong + s2 * (size_t)i, s2) == 0;
}

/*
 * find_block under --inplace, in the order rsync's sender tries things
 * when the receiver updates its basis in place:
 *   - a block that starts before *off can only be used where it was
 *     matched at its own offset earlier (its bytes are still there);
 *   - among the blocks with the window's sums, the first in block order,
 *     then: if the window starts on a block boundary (or is a block of
 *     zeros whose sums the block at the next boundary also has), the block
 *     at that boundary is taken instead, and for zeros the match moves
 *     forward to the boundary so the receiver can keep the data in place;
 *   - then the block after the previous match (*want), if it has the same
 *     sums and may be used.
 * As in rsync, a failed move to the boundary leaves the window's sums
 * replaced by those of the bytes at the boundary for the last check.
 * Returns the block and sets *off (moved or not) and *want, or -1.
 */
static int32_t find_block_inplace(struct mstate *m, const struct ur_delta_sigtab *t,
				  const struct ur_sig_params *p, uint32_t sum, int32_t l,
				  int64_t *off, int32_t *want)
{
	uint8_t strong[UR_SUM_MAX_LEN];
	const int32_t blen = t->h.blength;
	const uint8_t *data = m->buf + (*off - m->base);
	bool hashed = false;
	int chain = 0;
	int32_t i;

	for (i = t->heads[mix(sum) >> (32 - t->hbits)]; i >= 0; i = t->next[i]) {
		if (t->sum1[i] != sum)
			continue;
		if ((int64_t)i * blen < *off && !m->same[i])
			continue; /* overwritten by now */
		if (!chain)
			m->st.hash_hits++;
		if (++chain > MAX_CHAIN)
			return -1;
		if (block_len(&t->h, i) != l)
			continue;
		if (!hashed) {
			ur_sum_block(p->kind, p->seed, p->seed_fix, data, (size_t)l, strong);
			hashed = true;
		}
		if (block_is(t, i, sum, l, strong))
			break;
		m->st.false_alarms++;
	}
	if (i < 0)
		return -1;

	while (m->aligned_off < *off) {
		m->aligned_off += blen;
		m->aligned_i++;
	}
	int32_t ai = m->aligned_i;
	if ((*off == m->aligned_off || (sum == 0 && l == blen && m->aligned_off + l <= m->size)) &&
	    ai < t->h.count) {
		if (i != ai && !block_is(t, ai, sum, l, strong))
			goto check_want;
		i = ai;
		if (*off != m->aligned_off) {
			/* Zeros here and at the boundary ahead: move there. */
			window(m, m->aligned_off + l);
			const uint8_t *d2 = m->buf + (m->aligned_off - m->base);
			sum = ur_rolling_sum(d2, (size_t)l);
			if (sum != t->sum1[i])
				goto check_want;
			ur_sum_block(p->kind, p->seed, p->seed_fix, d2, (size_t)l, strong);
			if (!block_is(t, i, sum, l, strong))
				goto check_want;
			*off = m->aligned_off;
		}
		m->same[i] = 1;
		*want = i;
	}
check_want:
	if (i != *want && *want < t->h.count &&
	    ((int64_t)*want * blen >= *off || m->same[*want]) && block_is(t, *want, sum, l, strong))
		i = *want;
	return i;
}

/* Whether some block has the rolling sum: the bitmap, then the chain. */
static inline bool has_sum(const struct ur_delta_sigtab *t, uint32_t sum)
{
	uint32_t h = mix(sum), b = h >> (32 - t->fbits);

	if (!((t->filter[b >> 6] >> (b & 63)) & 1))
		return false;
	for (int32_t i = t->heads[h >> (32 - t->hbits)]; i >= 0; i = t->next[i])
		if (t->sum1[i] == sum)
			return true;
	return false;
}

/* Roll the full-length window at w (file offset off) a byte at a time up
 * to lim, stopping where some block has the rolling sum. The incoming
 * bytes w[blength...] must be in the buffer. Returns the new offset. The
 * table's fields are copied to locals: the compiler cannot see that
 * nothing in the loop changes them. */
static int64_t roll_fast(const struct ur_delta_sigtab *t, const uint8_t *w, int64_t off,
			 int64_t lim, uint32_t *ps1, uint32_t *ps2)
{
	const uint32_t ub = (uint32_t)t->h.blength;
	const unsigned fshift = 32 - t->fbits, hshift = 32 - t->hbits;
	const uint64_t *filter = t->filter;
	const int32_t *heads = t->heads, *next = t->next;
	const uint32_t *sum1 = t->sum1;
	const uint8_t *start = w, *in = w + ub, *end = w + (lim - off);
	uint32_t s1 = *ps1, s2 = *ps2;

	while (w < end) {
		uint32_t o = (uint32_t)(int32_t)(int8_t)*w++, sum, h, b;

		s1 += (uint32_t)(int32_t)(int8_t)*in++ - o;
		s2 += s1 - ub * o;
		sum = (s1 & 0xffff) | (s2 << 16);
		h = mix(sum);
		b = h >> fshift;
		if (__builtin_expect((filter[b >> 6] >> (b & 63)) & 1, 0)) {
			int32_t i = heads[h >> hshift];

			while (i >= 0 && sum1[i] != sum)
				i = next[i];
			if (i >= 0)
				break;
		}
	}
	*ps1 = s1;
	*ps2 = s2;
	return off + (int64_t)(w - start);
}

static int hash_search(struct mstate *m, const struct ur_delta_sigtab *t,
		       const struct ur_sig_params *p)
{
	const int64_t size = m->size;
	const int32_t blen = t->h.blength;
	/* Offsets from `end` on leave less than the last block's length. */
	const int64_t end = size + 1 - block_len(&t->h, t->h.count - 1);
	int64_t off = 0;
	int32_t k = size < blen ? (int32_t)size : blen, want = 0;
	uint32_t s1, s2, sum;
	int rc;

	window(m, k);
	sum = ur_rolling_sum(m->buf, (size_t)k);
	s1 = sum & 0xffff;
	s2 = sum >> 16;
	while (off < end) {
		const uint8_t *w;
		int64_t lim;

		if (off - m->last >= UR_TOKEN_CHUNK) {
			rc = send_literal(m, off);
			if (rc < 0)
				return rc;
		}
		window(m, off + k + (off + k < size));
		w = m->buf + (off - m->base);
		sum = (s1 & 0xffff) | (s2 << 16);
		if (has_sum(t, sum)) {
			int32_t i = m->same ? find_block_inplace(m, t, p, sum, k, &off, &want)
					    : find_block(m, t, p, sum, k, w, want);

			if (i >= 0) {
				int32_t l = block_len(&t->h, i);

				w = m->buf + (off - m->base); /* it may have moved */

				rc = send_literal(m, off);
				if (rc < 0)
					return rc;
				ur_sum_update(&m->sc, w, (size_t)l);
				if (m->out->strong && m->same)
					ur_sum_block(p->kind, p->seed, p->seed_fix, w, (size_t)l,
						     m->out->strong);
				else if (m->out->strong)
					memcpy(m->out->strong, m->strong, sizeof(m->strong));
				rc = m->out->match(m->out->ctx, i, w, (size_t)l);
				if (rc < 0)
					return rc;
				m->st.matched += l;
				m->st.matches++;
				want = i + 1;
				off += l;
				m->last = off;
				if (off >= end)
					break;
				k = size - off < blen ? (int32_t)(size - off) : blen;
				window(m, off + k);
				sum = ur_rolling_sum(m->buf + (off - m->base), (size_t)k);
				s1 = sum & 0xffff;
				s2 = sum >> 16;
				continue;
			}
		}
		/* The hot loop: roll while no block has the rolling sum, as far
		 * as the window, the literal cut and the full-length windows go. */
		lim = m->base + (int64_t)m->have - blen;
		if (lim > size - blen)
			lim = size - blen;
		if (lim > m->last + UR_TOKEN_CHUNK)
			lim = m->last + UR_TOKEN_CHUNK;
		if (k == blen && off < lim) {
			off = roll_fast(t, w, off, lim, &s1, &s2);
			continue;
		}
		/* Near the end: the window shrinks once no byte is left to add. */
		if (off + k < size) {
			sum = ur_rolling_roll((s1 & 0xffff) | (s2 << 16), (size_t)k, w[0], w[k]);
		} else {
			sum = ur_rolling_trim((s1 & 0xffff) | (s2 << 16), (size_t)k, w[0]);
			k--;
		}
		s1 = sum & 0xffff;
		s2 = sum >> 16;
		off++;
	}
	return 0;
}

/* --append-verify: the first n bytes go into the whole-file sum (read
 * through the window buffer; what cannot be read counts as zeros). */
static void sum_prefix(struct mstate *m, int64_t n)
{
	for (int64_t off = 0; off < n;) {
		size_t c = n - off < (int64_t)m->cap ? (size_t)(n - off) : m->cap;
		ssize_t got = m->st.read_error ? 0 : pread_full(m->fd, m->buf, c, off);

		if (got < 0 || (size_t)got < c) {
			if (!m->st.read_error)
				m->st.read_error = got < 0 ? (int)got : -ENODATA;
			memset(m->buf + (got > 0 ? got : 0), 0, c - (size_t)(got > 0 ? got : 0));
		}
		ur_sum_update(&m->sc, m->buf, c);
		off += (int64_t)c;
	}
}

int ur_delta_match(int fd, int64_t size, const struct ur_delta_sigtab *t,
		   const struct ur_sig_params *p, const struct ur_delta_out *out,
		   uint8_t sum[UR_SUM_MAX_LEN], struct ur_delta_stats *st)
{
	struct mstate m;
	int rc, len;

	if (size < 0 || (t && t->n != t->h.count))
		return -EINVAL;
	memset(&m, 0, sizeof(m));
	rc = ur_sum_init(&m.sc, p->kind, p->seed);
	if (rc < 0)
		return rc;
	/* No whole-file sum wanted (a local copy): one pass over the file
	 * fewer, 0.06 s a GiB. */
	if (!sum)
		ur_sum_init(&m.sc, UR_SUM_NONE, 0);
	m.fd = fd;
	m.size = size;
	m.out = out;
	m.cap = WINDOW + 2 * UR_MAX_BLOCK_SIZE + 2 * UR_TOKEN_CHUNK;
	if ((int64_t)m.cap > size)
		m.cap = size ? (size_t)size : 1;
	m.buf = malloc(m.cap);
	if (!m.buf)
		return -ENOMEM;
	if (p->append) {
		/* The receiver has the first bytes: what follows is literal. */
		int64_t from = p->append_len < 0 ? 0 : p->append_len > size ? size : p->append_len;

		if (p->append == 2)
			sum_prefix(&m, from);
		m.base = m.last = from;
		t = NULL;
	}
	if (t && t->h.count > 0 && size > 0 && p->updating_basis &&
	    !(m.same = calloc((size_t)t->h.count, 1))) {
		free(m.buf);
		return -ENOMEM;
	}
	if (t && t->h.count > 0 && size > 0)
		rc = hash_search(&m, t, p);
	if (rc >= 0)
		rc = send_literal(&m, size);
	if (rc >= 0 && !sum) {
		rc = 0;
	} else if (rc >= 0) {
		len = ur_sum_final(&m.sc, sum);
		if (m.st.read_error) {
			/* rsync's sender spoils the digest of a file it could not
			 * read: all zero bits, or ...01 if that was the digest. */
			int z = 0;

			while (z < len && sum[z] == 0)
				z++;
			memset(sum, 0, (size_t)len);
			if (z == len)
				sum[len - 1] = 1;
		}
		rc = len;
	}
	if (st)
		*st = m.st;
	free(m.buf);
	free(m.same);
	return rc;
}

/* ---- the receiver's patch ---- */

int ur_delta_patch_init(struct ur_delta_patch *pt, const struct ur_sum_head *h, int basis_fd,
			int64_t basis_size, int out_fd, const struct ur_sig_params *p)
{
	int rc;

	memset(pt, 0, sizeof(*pt));
	if (!head_ok(h) || basis_size < 0)
		return -EINVAL;
	rc = ur_sum_init(&pt->sum, p->kind, p->seed);
	if (rc < 0)
		return rc;
	pt->h = *h;
	pt->basis_fd = basis_fd;
	pt->basis_size = basis_fd >= 0 ? basis_size : 0;
	pt->out_fd = out_fd;
	pt->updating = p->updating_basis && out_fd >= 0;
	pt->cap = PATCH_BUF_MIN;
	pt->buf = malloc(pt->cap);
	if (!pt->buf)
		return -ENOMEM;
	/* No thread for a small file (its cost would show), nor for an
	 * in-place update, which reads the file it writes. */
	pt->writer_at = pt->updating				 ? INT64_MAX
			: p->threads > 1			 ? 0
			: ur_delta_threads(p, UR_DELTA_PAR_MIN) > 1 ? UR_DELTA_PAR_MIN
								    : INT64_MAX;
	if (p->append && p->append_len > 0) {
		/* The data goes after what the receiver has; --append-verify
		 * sums that part of the basis first. */
		pt->out_off = p->append_len;
		for (int64_t off = 0; p->append == 2 && basis_fd >= 0 && off < p->append_len;) {
			size_t c = p->append_len - off < (int64_t)pt->cap ? (size_t)(p->append_len - off)
									: pt->cap;
			ssize_t got = pt->st.read_error ? 0 : pread_full(basis_fd, pt->buf, c, off);

			if (got < 0 || (size_t)got < c) {
				/* zeros, and the sums will differ: the file is redone */
				if (got < 0)
					got = 0;
				memset(pt->buf + got, 0, c - (size_t)got);
				pt->st.read_error = -ENODATA;
			}
			ur_sum_update(&pt->sum, pt->buf, c);
			off += (int64_t)c;
		}
	}
	return 0;
}

/*
 * The writer: the patch fills one buffer while the other is written, in
 * order, one at a time. Writing into fresh pages costs more than reading
 * the basis and summing together (W4 over the wire, tmpfs: pwrite 0.38 s,
 * pread 0.13 s, XXH3 0.06 s a GiB), and rsync's receiver does all three
 * on one CPU too, so the sender's CPU is the only other one busy.
 */
struct ur_patch_writer {
	pthread_t th;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* a job, its end, or quit */
	int fd;
	const uint8_t *buf; /* the job; NULL: idle */
	size_t len;
	int64_t off;
	bool quit;
	int err; /* the first write error */
};

static void *writer_main(void *arg)
{
	struct ur_patch_writer *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->buf && !w->quit)
			pthread_cond_wait(&w->cond, &w->lock);
		if (!w->buf)
			break;
		pthread_mutex_unlock(&w->lock);
		int rc = w->err ? 0 : pwrite_full(w->fd, w->buf, w->len, w->off);
		pthread_mutex_lock(&w->lock);
		if (rc < 0 && !w->err)
			w->err = rc;
		w->buf = NULL;
		pthread_cond_broadcast(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static struct ur_patch_writer *writer_start(int fd)
{
	struct ur_patch_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->fd = fd;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	if (pthread_create(&w->th, NULL, writer_main, w) != 0) {
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->cond);
		free(w);
		return NULL;
	}
	return w;
}

/* Wait until the writer is idle; its first error or 0. */
static int writer_wait(struct ur_patch_writer *w)
{
	int rc;

	pthread_mutex_lock(&w->lock);
	while (w->buf)
		pthread_cond_wait(&w->cond, &w->lock);
	rc = w->err;
	pthread_mutex_unlock(&w->lock);
	return rc;
}

static void writer_stop(struct ur_patch_writer *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->quit = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->th, NULL);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w);
}

/* Hand the buffer to the writer and take the other one; 0 or -errno. */
static int writer_give(struct ur_delta_patch *pt)
{
	uint8_t *b;
	size_t c;
	int rc = writer_wait(pt->w);

	if (rc < 0)
		return rc;
	if (pt->spare_cap < pt->cap) {
		free(pt->spare);
		pt->spare = malloc(pt->cap);
		pt->spare_cap = pt->spare ? pt->cap : 0;
		if (!pt->spare)
			return -ENOMEM;
	}
	pthread_mutex_lock(&pt->w->lock);
	pt->w->buf = pt->buf;
	pt->w->len = pt->len;
	pt->w->off = pt->out_off;
	pthread_cond_broadcast(&pt->w->cond);
	pthread_mutex_unlock(&pt->w->lock);
	b = pt->buf;
	c = pt->cap;
	pt->buf = pt->spare;
	pt->cap = pt->spare_cap;
	pt->spare = b;
	pt->spare_cap = c;
	return 0;
}

static int fail(struct ur_delta_patch *pt, int err)
{
	if (!pt->err)
		pt->err = err;
	return pt->err;
}

static int flush_out(struct ur_delta_patch *pt)
{
	int rc = 0;

	if (pt->out_fd >= 0 && pt->len && !pt->w && pt->out_off + (int64_t)pt->len >= pt->writer_at) {
		pt->w = writer_start(pt->out_fd);
		if (!pt->w)
			pt->writer_at = INT64_MAX; /* no thread: write here */
	}
	if (pt->out_fd >= 0 && pt->len)
		rc = pt->w ? writer_give(pt) : pwrite_full(pt->out_fd, pt->buf, pt->len, pt->out_off);
	if (rc < 0)
		return fail(pt, rc);
	pt->out_off += (int64_t)pt->len;
	pt->len = 0;
	if (pt->cap < PATCH_BUF_MAX) {
		uint8_t *nb = realloc(pt->buf, pt->cap * 2);

		if (nb) {
			pt->buf = nb;
			pt->cap *= 2;
		}
	}
	return 0;
}

/* The strong sums of the whole blocks in p (n bytes, from a block's
 * start; the last may be the file's short one) into the sum. */
static void sum_blocks(struct ur_delta_patch *pt, const uint8_t *p, size_t n)
{
	const struct ur_sig_params *bp = pt->blocks;
	uint8_t d[UR_SUM_MAX_LEN];

	for (size_t at = 0; at < n;) {
		size_t l = n - at < (size_t)pt->h.blength ? n - at : (size_t)pt->h.blength;
		int dn = ur_sum_block(bp->kind, bp->seed, bp->seed_fix, p + at, l, d);

		if (dn > 0)
			ur_sum_update(&pt->sum, d, (size_t)dn);
		at += l;
	}
}

void ur_delta_patch_sum_blocks(struct ur_delta_patch *pt, const struct ur_sig_params *p)
{
	pt->blocks = p;
}

/* Read the pending run of consecutive blocks from the basis into the
 * output, in as few preads as the buffer allows. */
static int read_run(struct ur_delta_patch *pt)
{
	int32_t last = pt->run_start + pt->run_n - 1;
	int64_t off = (int64_t)pt->run_start * pt->h.blength;
	int64_t end = (int64_t)last * pt->h.blength + block_len(&pt->h, last);
	/* --inplace, and the blocks are where they belong already: read them
	 * for the sum, but leave the file alone. */
	bool in_place = pt->updating && off == pt->out_off + (int64_t)pt->len;
	int rc;

	pt->run_n = 0;
	if (in_place && (rc = flush_out(pt)) < 0)
		return rc;
	while (off < end) {
		size_t n, room;
		ssize_t got;

		/* (whole blocks at a time when their sums are taken) */
		room = pt->cap - pt->len;
		if ((room == 0 || (pt->blocks && room < (size_t)pt->h.blength && end - off > (int64_t)room)) &&
		    (rc = flush_out(pt)) < 0)
			return rc;
		room = pt->cap - pt->len;
		if (pt->blocks && end - off > (int64_t)room)
			room -= room % (size_t)pt->h.blength;
		n = end - off < (int64_t)room ? (size_t)(end - off) : room;
		got = pread_full(pt->basis_fd, pt->buf + pt->len, n, off);
		if (got < 0)
			return fail(pt, (int)got);
		if ((size_t)got < n) {
			/* The basis shrank since it was measured: not the peer's
			 * fault. Zeros, as rsync's map_ptr gives, and the
			 * whole-file sum will not match. */
			memset(pt->buf + pt->len + got, 0, n - (size_t)got);
			if (!pt->st.read_error)
				pt->st.read_error = -ENODATA;
		}
		if (pt->blocks)
			sum_blocks(pt, pt->buf + pt->len, n);
		else
			ur_sum_update(&pt->sum, pt->buf + pt->len, n);
		if (in_place)
			pt->out_off += (int64_t)n;
		else
			pt->len += n;
		off += (int64_t)n;
	}
	return 0;
}

int ur_delta_patch_literal(struct ur_delta_patch *pt, const void *data, size_t n)
{
	const uint8_t *p = data;
	int rc;

	if (pt->err)
		return pt->err;
	if (pt->run_n && (rc = read_run(pt)) < 0)
		return rc;
	ur_sum_update(&pt->sum, p, n);
	pt->st.literal += (int64_t)n;
	while (n) {
		size_t c;

		if (pt->len == pt->cap && (rc = flush_out(pt)) < 0)
			return rc;
		c = n < pt->cap - pt->len ? n : pt->cap - pt->len;
		memcpy(pt->buf + pt->len, p, c);
		pt->len += c;
		p += c;
		n -= c;
	}
	return 0;
}

int ur_delta_patch_match(struct ur_delta_patch *pt, int32_t block)
{
	int64_t off;
	int32_t l;
	int rc;

	if (pt->err)
		return pt->err;
	if (block < 0 || block >= pt->h.count)
		return fail(pt, -EPROTO);
	l = block_len(&pt->h, block);
	off = (int64_t)block * pt->h.blength;
	pt->st.matched += l;
	pt->st.matches++;
	if (pt->basis_fd < 0) {
		/* Discarding a file without a basis: a match is ordinary. */
		if (pt->out_fd >= 0)
			return fail(pt, -EPROTO);
		pt->out_off += l;
		return 0;
	}
	if (off + l > pt->basis_size)
		return fail(pt, -EPROTO);
	if (pt->run_n && pt->run_start + pt->run_n == block) {
		pt->run_n++;
		return 0;
	}
	if (pt->run_n && (rc = read_run(pt)) < 0)
		return rc;
	pt->run_start = block;
	pt->run_n = 1;
	return 0;
}

int ur_delta_patch_token(struct ur_delta_patch *pt, const struct ur_token *tok)
{
	switch (tok->kind) {
	case UR_TOKEN_LITERAL:
		return ur_delta_patch_literal(pt, tok->data, tok->len);
	case UR_TOKEN_MATCH:
		return ur_delta_patch_match(pt, tok->block);
	default:
		return -EINVAL;
	}
}

/* Read the pending run of blocks and, with flush, write what is buffered;
 * 0 or the first error. */
static int settle(struct ur_delta_patch *pt, bool flush)
{
	int rc;

	if (pt->err)
		return pt->err;
	if (pt->run_n && (rc = read_run(pt)) < 0)
		return rc;
	return flush ? flush_out(pt) : 0;
}

int ur_delta_patch_flush(struct ur_delta_patch *pt)
{
	int rc = settle(pt, true);

	if (rc == 0 && pt->w && (rc = writer_wait(pt->w)) < 0)
		return fail(pt, rc);
	return rc;
}

int ur_delta_patch_cut(struct ur_delta_patch *pt, uint8_t sum[UR_SUM_MAX_LEN])
{
	int rc = settle(pt, false);

	if (rc < 0)
		return rc;
	rc = ur_sum_final(&pt->sum, sum);
	ur_sum_init(&pt->sum, pt->sum.kind, 0);
	return rc;
}

int ur_delta_patch_moveto(struct ur_delta_patch *pt, int64_t out_off)
{
	int rc = settle(pt, true);

	if (rc == 0)
		pt->out_off = out_off;
	return rc;
}

int ur_delta_patch_finish(struct ur_delta_patch *pt, uint8_t sum[UR_SUM_MAX_LEN])
{
	int rc = settle(pt, true);

	if (rc < 0)
		return rc;
	if (pt->w && (rc = writer_wait(pt->w)) < 0)
		return fail(pt, rc);
	return ur_sum_final(&pt->sum, sum);
}

void ur_delta_patch_release(struct ur_delta_patch *pt)
{
	writer_stop(pt->w); /* after its last write: it may hold spare */
	pt->w = NULL;
	free(pt->buf);
	free(pt->spare);
	pt->buf = pt->spare = NULL;
	pt->len = pt->cap = pt->spare_cap = 0;
}
