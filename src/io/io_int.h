/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_IO_INT_H
#define UR_IO_INT_H

/* Shared between the backends of io/: not for other layers. */

#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "io/io.h"

/* Linux interfaces no HAVE_* macro of the build covers; each is off in the
 * portable build so that build compiles only what macOS and the BSDs have. */
#if !UR_PORTABLE && defined(__has_include)
#if __has_include(<linux/fs.h>)
#define UR_HAVE_FICLONE 1
#endif
#if __has_include(<sys/sendfile.h>)
#define UR_HAVE_SENDFILE 1
#endif
#if __has_include(<sys/syscall.h>)
#define UR_HAVE_SYSCALL_H 1
#endif
#endif
#ifndef UR_HAVE_FICLONE
#define UR_HAVE_FICLONE 0
#endif
#ifndef UR_HAVE_SENDFILE
#define UR_HAVE_SENDFILE 0
#endif
#ifndef UR_HAVE_SYSCALL_H
#define UR_HAVE_SYSCALL_H 0
#endif

/* Count in io->stats: relaxed atomics, so threads sharing a backend keep
 * exact totals. */
#define UR_IO_COUNT(io, field, n)                                                                  \
	__atomic_fetch_add(&(io)->stats.field, (uint64_t)(n), __ATOMIC_RELAXED)

/* Slots of one batch on the POSIX backend: slot -> fd, -1 when empty. */
struct ur_posix_slots {
	int fd[UR_IO_SLOTS];
};
void ur_posix_slots_init(struct ur_posix_slots *s);
/* Close what the batch left open in its slots. */
void ur_posix_slots_release(struct ur_posix_slots *s);

/* Tests only (fault injection): when set, called before each op the POSIX
 * path runs; returning true means the hook has set op->res (an error, EINTR,
 * or a short count after doing part of the work itself) and the syscall is
 * not made. NULL in every real run. */
extern _Thread_local bool (*ur_io_fault_hook)(struct ur_io_op *op);

/* Run one op with plain syscalls and set op->res. slots may be NULL when
 * the batch uses none. */
void ur_posix_exec(struct ur_io_op *op, struct ur_posix_slots *slots);
/* Run a checked batch with plain calls, in order, honouring links: the
 * POSIX backend, and io_uring's fallback for what the ring will not take. */
void ur_posix_run_batch(struct ur_io_op *ops, size_t n, bool uses_slots);

/* Check a batch: opcodes, slot numbers, slot use only on ops that take one.
 * Returns 0 or -EINVAL. Sets *uses_slots. */
int ur_io_batch_check(const struct ur_io_op *ops, size_t n, bool *uses_slots);

/* Does op's result break a soft link (failure, or a short read/write)? */
bool ur_io_op_failed(const struct ur_io_op *op);

/* Walk link state over one completed (or cancelled) op: *cancel says the
 * ops after it in its chain must be cancelled. */
void ur_io_chain_step(const struct ur_io_op *op, bool *cancel);

/* Fill st from struct stat. */
void ur_stat_from_stat(struct ur_stat *st, const struct stat *s);
#if HAVE_STATX
struct statx;
void ur_stat_from_statx(struct ur_stat *st, const struct statx *x);
#endif

#endif
