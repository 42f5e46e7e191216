/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The io_uring backend (liburing). One ring per thread, made on the
 * thread's first batch; a batch is queued as SQEs and submitted with one
 * io_uring_enter (more only when it outgrows the ring). Ops the kernel's
 * ring lacks (chmod, chown, utimens, readlink, mknod, ftruncate on this
 * liburing) and ops an old kernel does not list in its probe run as the
 * POSIX call here, in batch order, after what was queued before them.
 * Batch slots are the ring's registered ("direct") file table, which is
 * what lets open -> read/write -> close run as one linked chain.
 */
#include "config.h"

#include "io/io.h"

#if HAVE_LIBURING && !UR_PORTABLE

#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "io/io_int.h"
#include "io/uring_int.h"

#define RING_ENTRIES 256

struct tring {
	struct io_uring ring;
	bool files; /* the UR_IO_SLOTS direct-file table is registered */
	struct statx stx[RING_ENTRIES];
};

struct uring_priv {
	int opmap[UR_OP_COUNT];	    /* IORING_OP_*, or -1: run as POSIX */
	uint8_t route[UR_OP_COUNT]; /* UR_URING_ROUTE_*, when the kernel has the op */
	unsigned min_batch;	    /* smaller batches without slots go straight to POSIX */
};

static pthread_key_t ring_key;
static pthread_once_t ring_once = PTHREAD_ONCE_INIT;
static int ring_key_err;

static void tring_free(void *p)
{
	struct tring *t = p;
	if (!t)
		return;
	io_uring_queue_exit(&t->ring);
	free(t);
}

/* A forked child (the daemon forks per connection) must not share the
 * parent's ring: a SINGLE_ISSUER ring refuses another task's submissions,
 * and completions would go to whichever process reaps first. The child
 * starts a fresh ring on its next batch. */
static void atfork_child(void)
{
	struct tring *t = pthread_getspecific(ring_key);
	if (t) {
		pthread_setspecific(ring_key, NULL);
		tring_free(t);
	}
}

static void key_init(void)
{
	ring_key_err = pthread_key_create(&ring_key, tring_free);
	if (!ring_key_err)
		ring_key_err = pthread_atfork(NULL, NULL, atfork_child);
}

int ur_uring_ring_init(struct io_uring *ring, unsigned entries)
{
	struct io_uring_params p;
	/* SINGLE_ISSUER + DEFER_TASKRUN (6.1): completions run when we wait,
	 * not by interrupting us; older kernels reject the flags (-EINVAL). */
	static const unsigned tries[] = {
	    IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
	    IORING_SETUP_COOP_TASKRUN,
	    0,
	};
	int r = -EINVAL;
	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		memset(&p, 0, sizeof(p));
		p.flags = tries[i];
		r = io_uring_queue_init_params(entries, ring, &p);
		if (r != -EINVAL)
			break;
	}
	return r;
}

/* The calling thread's ring, made on first use; NULL with *err. */
static struct tring *thread_ring(int *err)
{
	pthread_once(&ring_once, key_init);
	if (ring_key_err) {
		*err = -ring_key_err;
		return NULL;
	}
	struct tring *t = pthread_getspecific(ring_key);
	if (t)
		return t;
	t = calloc(1, sizeof(*t));
	if (!t) {
		*err = -ENOMEM;
		return NULL;
	}
	int r = ur_uring_ring_init(&t->ring, RING_ENTRIES);
	if (r < 0) {
		free(t);
		*err = r;
		return NULL;
	}
	t->files = io_uring_register_files_sparse(&t->ring, UR_IO_SLOTS) == 0;
	if (pthread_setspecific(ring_key, t)) {
		tring_free(t);
		*err = -ENOMEM;
		return NULL;
	}
	return t;
}

static bool on_ring(const struct uring_priv *pv, const struct ur_io_op *op)
{
	if (op->iof & UR_IOF_POSIX)
		return false;
	if (pv->opmap[op->opcode] < 0)
		return false;
	/* the ring takes 32-bit lengths */
	if ((op->opcode == UR_OP_READ || op->opcode == UR_OP_WRITE ||
	     op->opcode == UR_OP_READLINKAT) &&
	    op->len > UINT32_MAX)
		return false;
	/* a batch whose slot ops are not all routed here runs as POSIX as a
	 * whole (uring_submit): slots cannot be split between the two */
	return pv->route[op->opcode] != UR_URING_ROUTE_POSIX;
}

/*
 * On 6.18 a failing statx, renameat, unlinkat, mkdirat, symlinkat or
 * linkat does not break its IOSQE_IO_LINK chain (the kernel posts the
 * error without marking the request failed; openat, close, read, write,
 * fsync do break it: docs/fastio.md). Our chains promise that any failure
 * cancels the rest, so such an op ends its segment when soft-linked, and
 * the cancellation is done here once it completed.
 */
static bool weak_link(const struct ur_io_op *op)
{
	if (!(op->iof & UR_IOF_LINK))
		return false;
	switch (op->opcode) {
	case UR_OP_STAT:
	case UR_OP_RENAMEAT:
	case UR_OP_UNLINKAT:
	case UR_OP_MKDIRAT:
	case UR_OP_SYMLINKAT:
	case UR_OP_LINKAT:
		return true;
	default:
		return false;
	}
}

/* Is op linked to its neighbours? Chains keep their order, so no op of
 * one is completed early. */
static bool in_chain(const struct ur_io_op *ops, size_t i)
{
	if (ops[i].iof & (UR_IOF_LINK | UR_IOF_HARDLINK))
		return true;
	return i > 0 && (ops[i - 1].iof & (UR_IOF_LINK | UR_IOF_HARDLINK));
}

/*
 * UR_URING_ROUTE_ADAPTIVE: try the op without blocking as a syscall
 * first, and queue it on the ring only if that would block. A READ whose
 * pages are cached costs one preadv2(RWF_NOWAIT), as on POSIX; one that
 * must go to the disk runs on io-wq beside the others of the batch
 * (docs/fastio.md: 3x faster for cold small files, no loss warm). A short
 * non-blocking read may mean "partly cached": the ring reads it whole.
 * Returns true when op is done.
 */
static bool try_inline(const struct uring_priv *pv, struct ur_io_op *ops, size_t i)
{
	struct ur_io_op *op = &ops[i];
	if (pv->route[op->opcode] != UR_URING_ROUTE_ADAPTIVE || (op->iof & UR_IOF_SLOT) ||
	    in_chain(ops, i))
		return false;
	if (op->opcode != UR_OP_READ)
		return false;
	struct iovec v = {op->buf, op->len};
	ssize_t r = preadv2(op->fd, &v, 1, (off_t)op->off, RWF_NOWAIT);
	if (r < 0 && (errno == EAGAIN || errno == EOPNOTSUPP))
		return false;
	if (r > 0 && (size_t)r < op->len) {
		/* EOF, or only the first pages cached? One more look tells:
		 * 0 is EOF. (Callers that ask for exactly the size they expect
		 * never get here.) */
		if (op->off < 0)
			return false; /* the position moved: let the ring go on */
		struct iovec w = {(char *)op->buf + r, op->len - (size_t)r};
		ssize_t r2 = preadv2(op->fd, &w, 1, (off_t)(op->off + r), RWF_NOWAIT);
		if (r2 != 0)
			return false; /* more there: the ring reads it all */
	}
	op->res = r < 0 ? -errno : r;
	return true;
}

static const char empty_path[] = "";

static void prep_sqe(struct tring *t, struct io_uring_sqe *sqe, struct ur_io_op *op, unsigned idx)
{
	bool slot = op->iof & UR_IOF_SLOT;
	switch ((enum ur_io_opcode)op->opcode) {
	case UR_OP_NOP:
		io_uring_prep_nop(sqe);
		break;
	case UR_OP_OPENAT:
		if (slot) /* a direct descriptor is never inherited: O_CLOEXEC is -EINVAL */
			io_uring_prep_openat_direct(sqe, op->fd2, op->path, op->flags & ~O_CLOEXEC,
						    op->mode, (unsigned)op->fd);
		else
			io_uring_prep_openat(sqe, op->fd, op->path, op->flags, op->mode);
		break;
	case UR_OP_CLOSE:
		if (slot)
			io_uring_prep_close_direct(sqe, (unsigned)op->fd);
		else
			io_uring_prep_close(sqe, op->fd);
		break;
	case UR_OP_STAT: {
		unsigned mask = STATX_BASIC_STATS | ((op->iof & UR_IOF_BTIME) ? STATX_BTIME : 0);
		if (op->path)
			io_uring_prep_statx(sqe, op->fd, op->path, op->flags, mask, &t->stx[idx]);
		else
			io_uring_prep_statx(sqe, op->fd, empty_path, op->flags | AT_EMPTY_PATH,
					    mask, &t->stx[idx]);
		break;
	}
	case UR_OP_READ:
		io_uring_prep_read(sqe, op->fd, op->buf, (unsigned)op->len, (uint64_t)op->off);
		break;
	case UR_OP_WRITE:
		io_uring_prep_write(sqe, op->fd, op->buf, (unsigned)op->len, (uint64_t)op->off);
		break;
	case UR_OP_WRITEV:
		io_uring_prep_writev(sqe, op->fd, op->iov, (unsigned)op->len, (uint64_t)op->off);
		break;
	case UR_OP_FSYNC:
		io_uring_prep_fsync(sqe, op->fd,
				    (op->flags & UR_FSYNC_DATA) ? IORING_FSYNC_DATASYNC : 0);
		break;
	case UR_OP_FADVISE:
		io_uring_prep_fadvise(sqe, op->fd, (uint64_t)op->off, (off_t)op->len, op->flags);
		break;
	case UR_OP_RENAMEAT:
		io_uring_prep_renameat(sqe, op->fd, op->path, op->fd2, op->path2, 0);
		break;
	case UR_OP_UNLINKAT:
		io_uring_prep_unlinkat(sqe, op->fd, op->path, op->flags);
		break;
	case UR_OP_MKDIRAT:
		io_uring_prep_mkdirat(sqe, op->fd, op->path, op->mode);
		break;
	case UR_OP_SYMLINKAT:
		io_uring_prep_symlinkat(sqe, op->path2, op->fd, op->path);
		break;
	case UR_OP_LINKAT:
		io_uring_prep_linkat(sqe, op->fd, op->path, op->fd2, op->path2, op->flags);
		break;
	default: /* on_ring() keeps the others away */
		io_uring_prep_nop(sqe);
		break;
	}
	if (slot && op->opcode != UR_OP_OPENAT && op->opcode != UR_OP_CLOSE)
		sqe->flags |= IOSQE_FIXED_FILE;
	if (op->iof & UR_IOF_LINK)
		sqe->flags |= IOSQE_IO_LINK;
	else if (op->iof & UR_IOF_HARDLINK)
		sqe->flags |= IOSQE_IO_HARDLINK;
	io_uring_sqe_set_data64(sqe, idx);
}

/* Submit the n queued SQEs (SQE k is ops[idx[k]]) and wait for all of them. */
static int run_segment(struct ur_io *io, struct tring *t, struct ur_io_op *ops, const size_t *idx,
		       unsigned n)
{
	unsigned got = 0;
	int r;
	UR_IO_COUNT(io, enters, 1);
	r = io_uring_submit_and_wait(&t->ring, n);
	if (r < 0 && r != -EINTR)
		return r;
	while (got < n) {
		struct io_uring_cqe *cqe;
		r = io_uring_peek_cqe(&t->ring, &cqe);
		if (r == -EAGAIN) {
			UR_IO_COUNT(io, enters, 1);
			r = io_uring_wait_cqe(&t->ring, &cqe);
		}
		if (r == -EINTR)
			continue;
		if (r < 0)
			return r;
		uint64_t k = io_uring_cqe_get_data64(cqe);
		if (k < n) {
			struct ur_io_op *op = &ops[idx[k]];
			op->res = cqe->res;
			if (op->opcode == UR_OP_STAT && cqe->res == 0) {
				ur_stat_from_statx(op->st, &t->stx[k]);
				/* the kernel may fill btime unasked: keep the answer the
				 * same as the POSIX backend's */
				if (!(op->iof & UR_IOF_BTIME)) {
					op->st->has_btime = false;
					op->st->btime = 0;
					op->st->btime_ns = 0;
				}
			}
			got++;
		}
		io_uring_cqe_seen(&t->ring, cqe);
	}
	return 0;
}

/* Clear the slots a batch left open (a caller's bug, but not a leak). */
static void close_slots(struct ur_io *io, struct tring *t, const uint64_t open[UR_IO_SLOTS / 64])
{
	unsigned n = 0;
	for (unsigned s = 0; s < UR_IO_SLOTS; s++) {
		if (!(open[s / 64] & (1ull << (s % 64))))
			continue;
		struct io_uring_sqe *sqe = io_uring_get_sqe(&t->ring);
		if (!sqe)
			break;
		io_uring_prep_close_direct(sqe, s);
		io_uring_sqe_set_data64(sqe, UINT64_MAX);
		n++;
	}
	if (!n)
		return;
	UR_IO_COUNT(io, enters, 1);
	io_uring_submit_and_wait(&t->ring, n);
	struct io_uring_cqe *cqe;
	while (n && io_uring_peek_cqe(&t->ring, &cqe) == 0) {
		io_uring_cqe_seen(&t->ring, cqe);
		n--;
	}
}

static void track_slot(const struct ur_io_op *op, uint64_t open[UR_IO_SLOTS / 64])
{
	if (!(op->iof & UR_IOF_SLOT) || op->res < 0)
		return;
	uint64_t bit = 1ull << (op->fd % 64);
	if (op->opcode == UR_OP_OPENAT)
		open[op->fd / 64] |= bit;
	else if (op->opcode == UR_OP_CLOSE)
		open[op->fd / 64] &= ~bit;
}

static int posix_batch(struct ur_io *io, struct ur_io_op *ops, size_t n, bool uses_slots)
{
	ur_posix_run_batch(ops, n, uses_slots);
	UR_IO_COUNT(io, fallbacks, n);
	UR_IO_COUNT(io, ops, n);
	return 0;
}

static int uring_submit(struct ur_io *io, struct ur_io_op *ops, size_t n)
{
	struct uring_priv *pv = io->priv;
	bool uses_slots, cancel = false;
	int rc = ur_io_batch_check(ops, n, &uses_slots);
	if (rc)
		return rc;

	if (!uses_slots && n < pv->min_batch)
		return posix_batch(io, ops, n, false);
	int err = 0;
	struct tring *t = thread_ring(&err);
	bool slots_ok = t && t->files;
	if (uses_slots) {
		/* slots live in the ring's file table: every slot op must go there */
		for (size_t i = 0; slots_ok && i < n; i++)
			if ((ops[i].iof & UR_IOF_SLOT) && !on_ring(pv, &ops[i]))
				slots_ok = false;
	}
	if (!t || (uses_slots && !slots_ok))
		return posix_batch(io, ops, n, uses_slots);

	uint64_t open[UR_IO_SLOTS / 64] = {0};
	size_t i = 0;
	while (i < n) {
		if (cancel) {
			ops[i].res = -ECANCELED;
			ur_io_chain_step(&ops[i], &cancel);
			i++;
			continue;
		}
		if (!on_ring(pv, &ops[i])) {
			ur_posix_exec(&ops[i], NULL);
			UR_IO_COUNT(io, fallbacks, 1);
			ur_io_chain_step(&ops[i], &cancel);
			i++;
			continue;
		}
		/* queue ring ops up to the next POSIX op or a full ring */
		size_t start = i;
		unsigned q = 0;
		struct io_uring_sqe *sqe = NULL, *last = NULL;
		size_t idx[RING_ENTRIES]; /* queued op -> index in ops */
		while (i < n && q < RING_ENTRIES && on_ring(pv, &ops[i])) {
			if (try_inline(pv, ops, i)) {
				UR_IO_COUNT(io, fallbacks, 1);
				i++;
				continue;
			}
			sqe = io_uring_get_sqe(&t->ring);
			if (!sqe)
				break;
			prep_sqe(t, sqe, &ops[i], q);
			idx[q++] = i;
			last = sqe;
			i++;
			if (weak_link(&ops[i - 1]))
				break;
		}
		if (q == 0) {
			if (i > start)
				continue; /* all done inline */
			/* no SQE free: the ring was left dirty; run the op as POSIX */
			ur_posix_exec(&ops[i], NULL);
			UR_IO_COUNT(io, fallbacks, 1);
			ur_io_chain_step(&ops[i], &cancel);
			i++;
			continue;
		}
		/* a chain that goes on past this segment continues after we wait */
		last->flags &= (__u8) ~(IOSQE_IO_LINK | IOSQE_IO_HARDLINK);
		rc = run_segment(io, t, ops, idx, q);
		if (rc) {
			for (size_t j = start; j < n; j++)
				ops[j].res = rc;
			/* SQEs or CQEs may be left behind: the thread's next batch
			 * gets a fresh ring rather than stale completions */
			pthread_setspecific(ring_key, NULL);
			tring_free(t);
			return rc;
		}
		for (size_t j = start; j < i; j++) {
			track_slot(&ops[j], open);
			ur_io_chain_step(&ops[j], &cancel);
		}
	}
	bool left = false;
	for (size_t s = 0; s < UR_IO_SLOTS / 64; s++)
		left |= open[s] != 0;
	if (left)
		close_slots(io, t, open);
	UR_IO_COUNT(io, ops, n);
	return rc;
}

static void uring_release(struct ur_io *io)
{
	free(io->priv);
	io->priv = NULL;
	/* the calling thread's ring goes with its backend; other threads'
	 * rings go when those threads exit */
	pthread_once(&ring_once, key_init);
	if (!ring_key_err) {
		struct tring *t = pthread_getspecific(ring_key);
		if (t) {
			pthread_setspecific(ring_key, NULL);
			tring_free(t);
		}
	}
}

static const struct {
	enum ur_io_opcode op;
	int ring_op;
} opmap[] = {
    {UR_OP_NOP, IORING_OP_NOP},
    {UR_OP_OPENAT, IORING_OP_OPENAT},
    {UR_OP_CLOSE, IORING_OP_CLOSE},
#if HAVE_STATX
    {UR_OP_STAT, IORING_OP_STATX},
#endif
    {UR_OP_READ, IORING_OP_READ},
    {UR_OP_WRITE, IORING_OP_WRITE},
    {UR_OP_WRITEV, IORING_OP_WRITEV},
    {UR_OP_FSYNC, IORING_OP_FSYNC},
    {UR_OP_FADVISE, IORING_OP_FADVISE},
    {UR_OP_RENAMEAT, IORING_OP_RENAMEAT},
    {UR_OP_UNLINKAT, IORING_OP_UNLINKAT},
    {UR_OP_MKDIRAT, IORING_OP_MKDIRAT},
    {UR_OP_SYMLINKAT, IORING_OP_SYMLINKAT},
    {UR_OP_LINKAT, IORING_OP_LINKAT},
};

struct ur_io *ur_io_uring_new(int *err)
{
	struct ur_io_probe pr;
	int r = ur_io_probe(&pr);
	if (r) {
		*err = r;
		return NULL;
	}
	struct io_uring_probe *kp = io_uring_get_probe();
	struct ur_io *io = calloc(1, sizeof(*io));
	struct uring_priv *pv = calloc(1, sizeof(*pv));
	if (!io || !pv || !kp) {
		free(io);
		free(pv);
		if (kp)
			io_uring_free_probe(kp);
		*err = kp ? -ENOMEM : -ENOSYS;
		return NULL;
	}
	for (int i = 0; i < UR_OP_COUNT; i++)
		pv->opmap[i] = -1;
	for (size_t i = 0; i < sizeof(opmap) / sizeof(opmap[0]); i++)
		if (io_uring_opcode_supported(kp, opmap[i].ring_op))
			pv->opmap[opmap[i].op] = opmap[i].ring_op;
	for (int i = 0; i < UR_OP_COUNT; i++)
		pv->route[i] = UR_URING_ROUTE_RING;
	io_uring_free_probe(kp);
	pv->min_batch = UR_URING_MIN_BATCH;
	io->kind = UR_IO_KIND_URING;
	io->name = "io_uring";
	io->submit = uring_submit;
	io->release = uring_release;
	io->priv = pv;
	snprintf(io->line, sizeof(io->line), "io_uring");
	*err = 0;
	return io;
}

void ur_uring_set_min_batch(struct ur_io *io, unsigned n)
{
	if (io->kind == UR_IO_KIND_URING)
		((struct uring_priv *)io->priv)->min_batch = n;
}

bool ur_uring_op_on_ring(const struct ur_io *io, enum ur_io_opcode op)
{
	if (io->kind != UR_IO_KIND_URING)
		return false;
	const struct uring_priv *pv = io->priv;
	return pv->opmap[op] >= 0 && pv->route[op] != UR_URING_ROUTE_POSIX;
}

void ur_uring_set_route(struct ur_io *io, enum ur_io_opcode op, int route)
{
	/* only READ knows how to try first without blocking */
	if (route == UR_URING_ROUTE_ADAPTIVE && op != UR_OP_READ)
		route = UR_URING_ROUTE_RING;
	if (io->kind == UR_IO_KIND_URING && op < UR_OP_COUNT)
		((struct uring_priv *)io->priv)->route[op] = (uint8_t)route;
}

void ur_uring_route_measured(struct ur_io *io)
{
	/* docs/fastio.md "Measured": with a warm cache every op but fsync was
	 * 1.1-1.9x slower through the ring than as a syscall on this kernel,
	 * batched fdatasync was 60x faster (io-wq runs them in parallel), and
	 * reads that miss the cache gain from the ring while hits do not */
	for (int i = 0; i < UR_OP_COUNT; i++)
		ur_uring_set_route(io, (enum ur_io_opcode)i, UR_URING_ROUTE_POSIX);
	ur_uring_set_route(io, UR_OP_FSYNC, UR_URING_ROUTE_RING);
	ur_uring_set_route(io, UR_OP_READ, UR_URING_ROUTE_ADAPTIVE);
}

#endif /* HAVE_LIBURING && !UR_PORTABLE */
