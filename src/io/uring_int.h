/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_URING_INT_H
#define UR_URING_INT_H

/* io_uring backend internals shared with probe.c and the unit tests. */

#include <stdbool.h>

#include "io/io.h"

/* Batches smaller than this that use no slots run as POSIX calls on the
 * io_uring backend: a lone op costs one io_uring_enter either way, and
 * statx through the ring is always punted to an io-wq worker
 * (docs/fastio.md has the measurement). */
#define UR_URING_MIN_BATCH 2

struct io_uring;
/* io_uring_queue_init with the cheapest setup flags this kernel takes. */
int ur_uring_ring_init(struct io_uring *ring, unsigned entries);
/* Change the threshold above (benchmarks and tests). */
void ur_uring_set_min_batch(struct ur_io *io, unsigned n);
/* Where an op runs on the io_uring backend (when the kernel has it). */
enum {
	UR_URING_ROUTE_POSIX = 0, /* the POSIX call, inline */
	UR_URING_ROUTE_RING,	  /* the ring (the default) */
	UR_URING_ROUTE_ADAPTIVE,  /* READ only: preadv2(RWF_NOWAIT) inline, the
				   * ring if that would block; ops in chains and
				   * on slots always take the ring */
};
/* Set op's route. A batch with slots runs on the ring only if all its
 * slot ops are routed there, else all as POSIX. */
void ur_uring_set_route(struct ur_io *io, enum ur_io_opcode op, int route);
/* The routing UR_IO_AUTO uses (docs/fastio.md "Measured"): fsync on the
 * ring, READ adaptive, the rest inline (slot chains therefore as POSIX). */
void ur_uring_route_measured(struct ur_io *io);
/* Does this backend run op on the ring (rather than as POSIX)? */
bool ur_uring_op_on_ring(const struct ur_io *io, enum ur_io_opcode op);

/* Tests: make ur_io_probe() report err (-EPERM, -ENOSYS...) as if the
 * kernel had refused; 0 restores the real probe. */
void ur_io_probe_fake(int err);

#endif
