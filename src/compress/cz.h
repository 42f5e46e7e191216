/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_CZ_H
#define UR_CZ_H

/*
 * rsync's compressed token streams (-z): zlib, zlibx, zstd and lz4.
 *
 * The stream for one file is a sequence of flag bytes:
 *   0x00                   END_FLAG: the file's tokens end
 *   0x40 | hi6, lo8, data  DEFLATED_DATA: 1..16383 bytes of compressed data
 *   0x80 | r               TOKEN_REL: block (last run's end + r), r 0..63
 *   0xc0 | r, n16          TOKENRUN_REL: that block and the n (LE16) after it
 *   0x20, int32            TOKEN_LONG: an absolute block index
 *   0x21, int32, n16       TOKENRUN_LONG
 * The compressed data of a file is one continuous stream of the codec; see
 * docs/protocol.md ("Compressed token streams") for the per-codec rules.
 *
 * Both ends live for a whole connection (zstd's context spans files); a
 * file ends with ur_cz_enc_end() / an END token, and the next call starts
 * the next file.
 *
 * Buffers are struct ur_rbuf / ur_wbuf (util/buf.h), as proto/ uses.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

enum ur_cz { UR_CZ_ZLIB, UR_CZ_ZLIBX, UR_CZ_ZSTD, UR_CZ_LZ4 };

/* The flag bytes. */
#define UR_CZ_END_FLAG	     0x00
#define UR_CZ_TOKEN_LONG     0x20
#define UR_CZ_TOKENRUN_LONG  0x21
#define UR_CZ_DEFLATED_DATA  0x40
#define UR_CZ_TOKEN_REL	     0x80
#define UR_CZ_TOKENRUN_REL   0xc0
#define UR_CZ_MAX_DATA_COUNT 16383
/* The largest block index a compressed stream may carry. */
#define UR_CZ_MAX_TOKEN_INDEX 0x7ffffffe

/* Level bounds after rsync's init_compression_level(). "off" is a level
 * that turns compression off (zlib's 0); has_off false when none. */
struct ur_cz_levels {
	int min, max, def;
	bool has_off;
	int off;
};

/* Whether this build has the codec. */
bool ur_cz_available(enum ur_cz alg);
/* "zlib", "zlibx", "zstd", "lz4". */
const char *ur_cz_name(enum ur_cz alg);
/* Name to codec: 0, or -ENOENT for a name rsync does not know ("none" too). */
int ur_cz_by_name(const char *name, enum ur_cz *alg);
/* rsync 3.5.0's compression list for negotiation, strongest first,
 * limited to the codecs this build has ("zstd lz4 zlibx zlib none"). */
const char *ur_cz_default_list(void);
/* Level bounds; -ENOTSUP when the codec is not built in. */
int ur_cz_levels(enum ur_cz alg, struct ur_cz_levels *lv);
/* rsync's mapping of --compress-level: level_given false means no level
 * was given. Returns 0 and the level to use in *out, 1 when the level turns
 * compression off (zlib/zlibx level 0), or -ENOTSUP. Out-of-range levels
 * are clamped, silently, as rsync does. */
int ur_cz_level(enum ur_cz alg, bool level_given, int level, int *out);
/* rsync 3.5.0's default --skip-compress list (space-separated "*.gz ...").
 * rsync parses it but applies no per-file level: no codec can change its
 * level mid-stream, so the option has no effect on the wire. */
extern const char ur_cz_default_skip[];

/* ---- encoder ---- */

struct ur_cz_enc;

/* A new encoder for a connection. level as from ur_cz_level(); protocol is
 * the negotiated protocol version (below 31 zlib repeats the first 64 KiB
 * piece of long matched blocks in its history, as rsync does).
 * 0, -ENOMEM, -ENOTSUP (codec not built in) or -EINVAL. */
int ur_cz_enc_new(enum ur_cz alg, int level, int protocol, struct ur_cz_enc **enc);
void ur_cz_enc_free(struct ur_cz_enc *enc);

/*
 * Output. Every call below appends its wire bytes to a queue inside the
 * encoder and then moves as much of the queue as fits into out (out may be
 * NULL). Nothing is lost when out is small: ur_cz_enc_pending() says how
 * many bytes still wait and ur_cz_enc_drain() moves more. Callers either
 * give a large out or drain until pending is 0 before writing the file's
 * whole-file checksum.
 */
size_t ur_cz_enc_pending(const struct ur_cz_enc *enc);
void ur_cz_enc_drain(struct ur_cz_enc *enc, struct ur_wbuf *out);

/*
 * Literal data. One call is one of rsync's "data only" pieces: the bytes
 * are copied and held until the next call, so the last piece before a
 * match or the end goes out with it, as rsync's sender does. To produce
 * rsync's bytes exactly, call with the pieces rsync's match.c cuts (32 KiB
 * for a file without a basis). 0 or -ENOMEM, -EIO (codec failure).
 */
int ur_cz_enc_literal(struct ur_cz_enc *enc, const void *p, size_t n, struct ur_wbuf *out);
/* A match of basis block `block` (0..UR_CZ_MAX_TOKEN_INDEX). data/len are
 * the block's bytes, which zlib (not zlibx) adds to its history; other
 * codecs ignore them (may be NULL). Consecutive blocks become one run.
 * 0, -EINVAL, -ENOMEM or -EIO. */
int ur_cz_enc_match(struct ur_cz_enc *enc, int32_t block, const void *data, size_t len,
		    struct ur_wbuf *out);
/* The end of the file's tokens (writes END_FLAG). 0, -ENOMEM or -EIO.
 * After any error the encoder is unusable (free it). */
int ur_cz_enc_end(struct ur_cz_enc *enc, struct ur_wbuf *out);

/* ---- decoder ---- */

struct ur_cz_dec;

enum ur_cz_kind { UR_CZ_LITERAL, UR_CZ_MATCH, UR_CZ_END };

struct ur_cz_tok {
	enum ur_cz_kind kind;
	const uint8_t *data; /* LITERAL: borrowed from the decoder until its next call */
	size_t len;	     /* LITERAL: bytes in data, may be 0 */
	int32_t block;	     /* MATCH */
};

int ur_cz_dec_new(enum ur_cz alg, int protocol, struct ur_cz_dec **dec);
void ur_cz_dec_free(struct ur_cz_dec *dec);

/* Block matches at or above nblocks (the file's sum head count) are
 * -EPROTO; the default allows any index up to UR_CZ_MAX_TOKEN_INDEX. */
void ur_cz_dec_set_nblocks(struct ur_cz_dec *dec, int32_t nblocks);

/*
 * The next token. Input is taken in whole units (a flag byte with its
 * arguments, or a DEFLATED_DATA header with all its data: at most 16385
 * bytes). -ENODATA means "give me more bytes" and consumed nothing; when a
 * unit was taken but the codec has no output yet, the token is an empty
 * LITERAL (as ur_token_read's empty pieces), so r->pos always moves on 0.
 * Returns 0, -ENODATA, -EBADMSG (the codec rejects the data, or a
 * zlib stream lost sync) or -EPROTO (a bad block index or run) with detail
 * in err. After an error the decoder is unusable.
 */
int ur_cz_dec_next(struct ur_cz_dec *dec, struct ur_rbuf *r, struct ur_cz_tok *tok,
		   struct ur_err *err);

/* zlib: after a MATCH, the matched block's bytes, before the next call to
 * ur_cz_dec_next() (rsync's see_token). A no-op for other codecs.
 * 0 or -EBADMSG. */
int ur_cz_dec_see(struct ur_cz_dec *dec, const void *data, size_t len, struct ur_err *err);

#endif
