/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_DELTA_H
#define UR_DELTA_H

/*
 * The delta algorithm, as rsync 3.5.0 runs it, as a library the wire roles
 * call:
 *   - generator: the signature of a basis file (sum head and one rolling
 *     sum plus s2length strong-sum bytes per block), streamed to a
 *     callback (ur_delta_sig);
 *   - sender: the received block sums in a table (ur_delta_sigtab), and
 *     the new file matched against it, streamed as literal runs and block
 *     matches (ur_delta_match);
 *   - receiver: the new file rebuilt from a basis and that stream
 *     (struct ur_delta_patch).
 * Files are read with pread in windows of a few MiB, so no file ever sits
 * in memory whole. Every function returns 0 (or a length) or -errno.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "checksum/checksum.h"
#include "proto/sumhead.h"
#include "proto/token.h"

/* What a signature is computed with: the negotiated checksum, the
 * handshake's seed and CF_CHKSUM_SEED_FIX, the protocol, --block-size
 * (0 = rsync's square-root rule) and the redo pass (full-length strong
 * sums). The match and the patch take the same struct for the kind and
 * the seed of the whole-file sum. threads is how many threads may share
 * the work of one big file (ur_delta_sig, ur_delta_local): 0 picks (one
 * per CPU up to UR_DELTA_MAX_THREADS, for files of UR_DELTA_PAR_MIN bytes
 * or more), 1 keeps to the caller's thread, more forces that many even
 * for a small file (tests). The results never depend on it. */
struct ur_sig_params {
	enum ur_sum_kind kind;
	int32_t seed;
	bool seed_fix;
	int protocol;
	int32_t block_size_opt;
	bool redo;
	/* --inplace: the receiver rebuilds the file over its own basis. The
	 * match then keeps to rsync's in-place rules (a block that lies before
	 * the write position is used only where it was matched at its own
	 * offset, and a block at the current offset is preferred), and the
	 * patch reads but does not rewrite blocks already in place. */
	bool updating_basis;
	/* --append (1) or --append-verify (2): the receiver has the first
	 * append_len bytes; the match sends only what follows, as literal
	 * data, and the patch writes it from append_len on. With 2 the
	 * whole-file sum covers the bytes before append_len as well. */
	int append;
	int64_t append_len;
	int threads;
};

#define UR_DELTA_MAX_THREADS 4
#define UR_DELTA_PAR_MIN ((int64_t)16 << 20)

/* The number of threads the work on a file of size bytes is shared by
 * under p->threads (1 when it stays on the caller's thread). */
int ur_delta_threads(const struct ur_sig_params *p, int64_t size);

/* The length of the basis a sum head describes (rsync's flength). */
static inline int64_t ur_delta_head_len(const struct ur_sum_head *h)
{
	int64_t n = (int64_t)h->count * h->blength;
	return h->remainder && h->count ? n - (h->blength - h->remainder) : n;
}

/* Counters for --stats and --debug=deltasum. literal and matched are bytes
 * of the new file; matches counts block tokens; hash_hits counts offsets
 * where some block had the same rolling sum, false_alarms the blocks whose
 * strong sum then differed. read_error is 0, or the -errno of a failed or
 * short read of the file being matched (ur_delta_match) or -ENODATA for a
 * basis that read short while patching (ur_delta_patch_match). */
struct ur_delta_stats {
	int64_t literal, matched;
	int64_t hash_hits, false_alarms, matches;
	int64_t pieces; /* literal tokens (runs are cut at UR_TOKEN_CHUNK) */
	int read_error;
};

/* ---- generator ---- */

/* Called once per block, in order; strong is borrowed for the call. Return
 * 0 to go on, or a negative errno to stop (ur_delta_sig returns it). */
typedef int (*ur_delta_sig_fn)(void *ctx, uint32_t rolling, const uint8_t *strong, int s2len);

/* The sum head rsync 3.5.0 sends for a basis of size bytes: all zeros for
 * an empty one. Returns 0, -EOVERFLOW (too many blocks: rsync warns "file
 * is too large for checksum sending" and sends the all-zero head, which
 * *head then is) or -EINVAL. */
int ur_delta_sig_head(int64_t size, const struct ur_sig_params *p, struct ur_sum_head *head);

/* The signature of the basis fd (size bytes from offset 0): fills *head
 * (before the first emit call, so emit may send it) and calls emit for
 * each block with its rolling sum and the first s2length bytes of its
 * strong sum. A file shorter than size reads as zeros past its end, as
 * rsync's map_ptr gives them (the receiver's whole-file check catches the
 * difference). Returns 0, emit's error, -ENOMEM, or a read error. emit is
 * always called on the caller's thread, in block order; helper threads
 * (ur_delta_threads) read and hash later stretches of the file meanwhile. */
int ur_delta_sig(int fd, int64_t size, const struct ur_sig_params *p, struct ur_sum_head *head,
		 ur_delta_sig_fn emit, void *ctx);

/* ---- sender ---- */

/* The generator's block sums, indexed by rolling sum. */
struct ur_delta_sigtab;

/* A table for the blocks of head h (validated as ur_sum_head_decode does;
 * -EINVAL otherwise). Memory grows with the blocks added, not with the
 * count the peer claims. *out is the caller's (ur_delta_sigtab_free). */
int ur_delta_sigtab_new(const struct ur_sum_head *h, struct ur_delta_sigtab **out);
/* Add block i, which must be the next one (0, 1, ... count - 1; -EINVAL
 * otherwise): its rolling sum and s2length strong-sum bytes (copied).
 * The index is built when the last block arrives. 0, -EINVAL or -ENOMEM. */
int ur_delta_sigtab_add(struct ur_delta_sigtab *t, int32_t i, uint32_t rolling,
			const uint8_t *strong);
/* NULL does nothing. */
void ur_delta_sigtab_free(struct ur_delta_sigtab *t);

/* Where ur_delta_match sends the delta. literal gets the new file's
 * unmatched bytes in pieces of at most UR_TOKEN_CHUNK (borrowed for the
 * call), match a block index; consecutive literal calls continue one run.
 * Each returns 0 or a negative errno that stops the match. */
struct ur_delta_out {
	int (*literal)(void *ctx, const uint8_t *p, size_t n);
	int (*match)(void *ctx, int32_t block, const uint8_t *data, size_t len);
	void *ctx;
	/* NULL, or where each match call finds the full strong sum of the
	 * matched bytes (the signature's kind and seed, all of its length) */
	uint8_t *strong;
};

/* Match the file fd (size bytes) against t (NULL or no blocks: all
 * literal), as rsync's match.c does: a block matches where the rolling sum
 * and then the strong sum agree and the window has the block's length;
 * among several, the block after the previous match wins; at most 1024
 * equal rolling sums are tried at one offset. Writes the whole-file sum
 * of the bytes (p->kind, p->seed) to sum (NULL: none wanted, 0 is
 * returned) and returns its length, or
 * -errno (the callbacks' errors, -EINVAL for a table that is not
 * complete, -ENOMEM). Like rsync, a file that cannot be read to size
 * reads as zeros from there on, the digest is spoiled so that the
 * receiver rejects the file, and st->read_error says why. st may be NULL. */
int ur_delta_match(int fd, int64_t size, const struct ur_delta_sigtab *t,
		   const struct ur_sig_params *p, const struct ur_delta_out *out,
		   uint8_t sum[UR_SUM_MAX_LEN], struct ur_delta_stats *st);

/* ---- receiver ---- */

/* A patch's writer thread (delta.c). */
struct ur_patch_writer;

/* Rebuilding one file: init, then the tokens one at a time, then finish.
 * Writes go to out_fd from offset 0 with pwrite, coalesced in a buffer;
 * runs of consecutive blocks are read from the basis with one pread. Once
 * the output passes UR_DELTA_PAR_MIN bytes (p->threads permitting: see
 * ur_delta_threads) a writer thread takes the full buffers while the patch
 * fills another. st counts literal and matched bytes and matches. Like any
 * running sum, a patch must not be copied once started. */
struct ur_delta_patch {
	struct ur_sum_head h;
	int basis_fd;
	int64_t basis_size;
	int out_fd;
	bool updating;	       /* --inplace: out_fd is the basis itself */
	int64_t out_off;       /* bytes written to out_fd */
	struct ur_sum_ctx sum; /* the whole-file sum of the output */
	uint8_t *buf;	       /* output not yet written */
	size_t len, cap;
	int32_t run_start; /* consecutive matches not yet read */
	int32_t run_n;
	int err; /* the first error; every later call returns it */
	struct ur_delta_stats st;
	int64_t writer_at;	   /* start the writer at this much output */
	struct ur_patch_writer *w; /* NULL: writes on the caller's thread */
	uint8_t *spare;		   /* the buffer not being filled */
	size_t spare_cap;
	/* ur_delta_patch_sum_blocks: what the blocks' strong sums are */
	const struct ur_sig_params *blocks;
};

/* Start rebuilding against the basis basis_fd of basis_size bytes (-1, 0:
 * none) into out_fd (-1: discard the output, as rsync's receiver does for
 * a file it skips, still checking the stream). The head is the one the
 * sender echoed (validated: -EINVAL). Returns 0, -EINVAL, -ENOMEM or
 * -ENOTSUP (the kind is not in this build). */
int ur_delta_patch_init(struct ur_delta_patch *pt, const struct ur_sum_head *h, int basis_fd,
			int64_t basis_size, int out_fd, const struct ur_sig_params *p);
/* n literal bytes (borrowed for the call). 0 or a write error. */
int ur_delta_patch_literal(struct ur_delta_patch *pt, const void *data, size_t n);
/* Copy block i of the basis (i * blength, the last block remainder bytes
 * long). -EPROTO when i is not below the head's count, when the block lies
 * past basis_size, or when there is no basis and the output is not
 * discarded; else 0 or an I/O error (possibly of an earlier block: reads
 * are deferred to coalesce runs). A basis that has shrunk below
 * basis_size since reads as zeros there, as rsync's does: st.read_error
 * is then -ENODATA and the whole-file sum will not match. */
int ur_delta_patch_match(struct ur_delta_patch *pt, int32_t block);
/* A token from ur_token_read: a literal piece or a match as above; the end
 * token is -EINVAL (call ur_delta_patch_finish). */
int ur_delta_patch_token(struct ur_delta_patch *pt, const struct ur_token *tok);
/* Write what is buffered so far (a stream that broke off: --partial keeps
 * what arrived, as rsync's receiver, which writes as it reads, does).
 * 0 or the first error. */
int ur_delta_patch_flush(struct ur_delta_patch *pt);
/* Write what is buffered, then go on writing at out_off: for threads that
 * share one output, each patching whole stretches of the token stream
 * (delta_local.c). The whole-file sum then covers only this patch's
 * stretches; such patches are made with kind UR_SUM_NONE. 0 or the first
 * error. */
int ur_delta_patch_moveto(struct ur_delta_patch *pt, int64_t out_off);
/* From here on the sum takes, for each block copied from the basis, the
 * full strong sum of its bytes (p's kind and seed, as ur_delta_out's
 * strong gives them) instead of the bytes; literal data goes in as it is.
 * A local copy compares that with what the match saw (delta_local.c)
 * without hashing the matched bytes twice. p is borrowed. */
void ur_delta_patch_sum_blocks(struct ur_delta_patch *pt, const struct ur_sig_params *p);
/* The sum of the output since the start or the last cut (the blocks
 * pending read first), and a new sum from here (unseeded: for kinds that
 * take no seed). Its length, or the first error. */
int ur_delta_patch_cut(struct ur_delta_patch *pt, uint8_t sum[UR_SUM_MAX_LEN]);
/* Write what is buffered and give the whole-file sum of the output in sum.
 * Returns its length, or the first error of the file (a write error may
 * show only here: the writer thread's). */
int ur_delta_patch_finish(struct ur_delta_patch *pt, uint8_t sum[UR_SUM_MAX_LEN]);
/* Free the buffers and stop the writer; the fds stay the caller's. */
void ur_delta_patch_release(struct ur_delta_patch *pt);

/* ---- all three, for a local copy (delta_local.c) ---- */

/* The signature of basis_fd as the match's table, its head in h; NULL
 * (and an empty head) when there is no basis or its signature cannot be
 * had (too many blocks, a read error): everything goes as literal data. */
struct ur_delta_sigtab *ur_delta_sig_table(int basis_fd, int64_t basis_size,
					   const struct ur_sig_params *p, struct ur_sum_head *h);
/* The match's output into the patch pt, token by token on this thread. */
struct ur_delta_out ur_delta_patch_out(struct ur_delta_patch *pt);

/* Rebuild src_fd (size bytes) into out_fd, written from offset 0, by the
 * signature of basis_fd (basis_size bytes; -1: none), the match of src_fd
 * against it and the patch, exactly as the three roles of a remote copy
 * would (a basis without a usable signature: all literal). For a big file
 * (ur_delta_threads) the signature is shared by helper threads and the
 * patch runs on a thread of its own beside the match. Returns the bytes
 * written, or -errno with *out_failed true for a failure of the output
 * or the basis and false for a read error of src_fd (st->read_error: a
 * source that cannot be read to size fails, where the wire would have
 * sent zeros and a spoiled whole-file sum). The output is checked
 * against the source as it is written (an XXH3 of each stretch on both
 * sides; no rsync sum, nothing shows it): a basis that changed under us
 * gives -EBADMSG (*out_failed false), as a whole-file sum that does not
 * match would. st gets the match's counters. Needs libxxhash (-ENOTSUP
 * without: the caller's serial path sums as the wire does). */
int64_t ur_delta_local(int src_fd, int64_t size, int basis_fd, int64_t basis_size, int out_fd,
		       const struct ur_sig_params *p, struct ur_delta_stats *st, bool *out_failed);
/* The same from a signature made beforehand (tab and its head h, from
 * ur_delta_sig_table; tab is freed): for tests, whose basis then changes
 * under the copy. */
int64_t ur_delta_local_table(int src_fd, int64_t size, struct ur_delta_sigtab *tab,
			     const struct ur_sum_head *h, int basis_fd, int64_t basis_size,
			     int out_fd, const struct ur_sig_params *p, struct ur_delta_stats *st,
			     bool *out_failed);

#endif
