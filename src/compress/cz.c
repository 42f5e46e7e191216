/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "compress/cz.h"


#include <errno.h>
#include <stdlib.h>
#include <string.h>

#if HAVE_ZLIB
#include <zlib.h>
#endif
#if HAVE_ZSTD
#include <zstd.h>
#endif
#if HAVE_LZ4
#include <lz4.h>
#endif

/* rsync's sender hands its compressor at most this much at a time. */
#define CHUNK 32768
/* rsync's zlib output room for one chunk (0.1% + 16 over the input). */
#define ZOUT_SIZE (CHUNK * 1001 / 1000 + 16)
/* The pieces zlib's history is fed matched blocks in (a stored block's
 * 16-bit length). */
#define SEE_PIECE 0xffff
/* Tokens of a file before the first one; and rsync's "data only" token. */
#define TOK_START (-1)
#define TOK_DATA  (-2)

/* ---- facts ---- */

/* rsync.1.md's list, which rsync 3.5.0 builds into DEFAULT_DONT_COMPRESS. */
const char ur_cz_default_skip[] =
    "*.3g2 *.3gp *.7z *.aac *.ace *.apk *.avi *.bz2 *.deb *.dmg *.ear *.f4v *.flac *.flv "
    "*.gpg *.gz *.iso *.jar *.jpeg *.jpg *.lrz *.lz *.lz4 *.lzma *.lzo *.m1a *.m1v *.m2a "
    "*.m2ts *.m2v *.m4a *.m4b *.m4p *.m4r *.m4v *.mka *.mkv *.mov *.mp1 *.mp2 *.mp3 *.mp4 "
    "*.mpa *.mpeg *.mpg *.mpv *.mts *.odb *.odf *.odg *.odi *.odm *.odp *.ods *.odt *.oga "
    "*.ogg *.ogm *.ogv *.ogx *.opus *.otg *.oth *.otp *.ots *.ott *.oxt *.png *.qt *.rar "
    "*.rpm *.rz *.rzip *.spx *.squashfs *.sxc *.sxd *.sxg *.sxm *.sxw *.sz *.tbz *.tbz2 "
    "*.tgz *.tlz *.ts *.txz *.tzo *.vob *.war *.webm *.webp *.xz *.z *.zip *.zst";

static const char *const names[] = {
    [UR_CZ_ZLIB] = "zlib", [UR_CZ_ZLIBX] = "zlibx", [UR_CZ_ZSTD] = "zstd", [UR_CZ_LZ4] = "lz4"};

bool ur_cz_available(enum ur_cz alg)
{
	switch (alg) {
	case UR_CZ_ZLIB:
	case UR_CZ_ZLIBX:
		return HAVE_ZLIB;
	case UR_CZ_ZSTD:
		return HAVE_ZSTD;
	case UR_CZ_LZ4:
		return HAVE_LZ4;
	}
	return false;
}

const char *ur_cz_name(enum ur_cz alg)
{
	return (unsigned)alg < sizeof(names) / sizeof(names[0]) ? names[alg] : "?";
}

int ur_cz_by_name(const char *name, enum ur_cz *alg)
{
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(name, names[i]) == 0) {
			*alg = (enum ur_cz)i;
			return 0;
		}
	}
	return -ENOENT;
}

/* compat.c's valid_compressions_items, strongest first, as this build has them. */
#if HAVE_ZSTD
#define LIST_ZSTD "zstd "
#else
#define LIST_ZSTD ""
#endif
#if HAVE_LZ4
#define LIST_LZ4 "lz4 "
#else
#define LIST_LZ4 ""
#endif
#if HAVE_ZLIB
#define LIST_ZLIB "zlibx zlib "
#else
#define LIST_ZLIB ""
#endif

const char *ur_cz_default_list(void)
{
	return LIST_ZSTD LIST_LZ4 LIST_ZLIB "none";
}

int ur_cz_levels(enum ur_cz alg, struct ur_cz_levels *lv)
{
	if (!ur_cz_available(alg))
		return -ENOTSUP;
	memset(lv, 0, sizeof(*lv));
	switch (alg) {
	case UR_CZ_ZLIB:
	case UR_CZ_ZLIBX:
		lv->min = 1;
		lv->max = 9;
		lv->def = 6;
		lv->has_off = true;
		lv->off = 0;
		return 0;
	case UR_CZ_ZSTD:
#if HAVE_ZSTD
		lv->min = ZSTD_minCLevel();
		lv->max = ZSTD_maxCLevel();
		lv->def = ZSTD_CLEVEL_DEFAULT;
#endif
		return 0;
	case UR_CZ_LZ4:
		return 0;
	}
	return -ENOTSUP;
}

int ur_cz_level(enum ur_cz alg, bool level_given, int level, int *out)
{
	struct ur_cz_levels lv;
	int rc = ur_cz_levels(alg, &lv);

	if (rc < 0)
		return rc;
	if (!level_given) {
		*out = lv.def;
		return 0;
	}
	/* zlib's Z_DEFAULT_COMPRESSION and zstd's 0 mean "the default". */
	if ((alg == UR_CZ_ZLIB || alg == UR_CZ_ZLIBX) && level == -1)
		level = lv.def;
	else if (alg == UR_CZ_ZSTD && level == 0)
		level = lv.def;
	else if (lv.has_off && level == lv.off)
		return 1;
	*out = level < lv.min ? lv.min : level > lv.max ? lv.max : level;
	return 0;
}

/* ---- the encoder's output queue ---- */

struct queue {
	uint8_t *p;
	size_t head, len, cap; /* bytes head..len wait */
};

static int q_room(struct queue *q, size_t n)
{
	if (q->head && q->head == q->len)
		q->head = q->len = 0;
	if (q->len + n <= q->cap)
		return 0;
	if (q->head) {
		memmove(q->p, q->p + q->head, q->len - q->head);
		q->len -= q->head;
		q->head = 0;
		if (q->len + n <= q->cap)
			return 0;
	}
	size_t cap = q->cap ? q->cap : 4096;
	while (cap < q->len + n)
		cap *= 2;
	uint8_t *p = realloc(q->p, cap);
	if (!p)
		return -ENOMEM;
	q->p = p;
	q->cap = cap;
	return 0;
}

static int q_put(struct queue *q, const void *p, size_t n)
{
	int rc = q_room(q, n);

	if (rc < 0)
		return rc;
	memcpy(q->p + q->len, p, n);
	q->len += n;
	return 0;
}

static int q_u8(struct queue *q, unsigned v)
{
	uint8_t b = (uint8_t)v;

	return q_put(q, &b, 1);
}

/* ---- encoder ---- */

struct ur_cz_enc {
	enum ur_cz alg;
	int level, protocol;
	int32_t last_token, run_start, last_run_end;
	bool flush_pending;
	struct queue q;
	uint8_t *held; /* the literal piece not yet sent */
	size_t held_len, held_cap;
	uint8_t *obuf; /* two header bytes, then up to MAX_DATA_COUNT (more for lz4) */
	size_t obuf_size;
#if HAVE_ZLIB
	z_stream z;
	bool z_ready;
	uint8_t *zsink; /* where zlib's output for matched blocks goes to be dropped */
#endif
#if HAVE_ZSTD
	ZSTD_CCtx *zc;
#endif
};

int ur_cz_enc_new(enum ur_cz alg, int level, int protocol, struct ur_cz_enc **encp)
{
	struct ur_cz_enc *e;

	*encp = NULL;
	if ((unsigned)alg > UR_CZ_LZ4)
		return -EINVAL;
	if (!ur_cz_available(alg))
		return -ENOTSUP;
	if (!(e = calloc(1, sizeof(*e))))
		return -ENOMEM;
	e->alg = alg;
	e->level = level;
	e->protocol = protocol;
	e->last_token = TOK_START;
	e->obuf_size = UR_CZ_MAX_DATA_COUNT + 2;
#if HAVE_LZ4
	if (alg == UR_CZ_LZ4 && (size_t)LZ4_compressBound(CHUNK) > e->obuf_size)
		e->obuf_size = (size_t)LZ4_compressBound(CHUNK);
#endif
	if (!(e->obuf = malloc(e->obuf_size)))
		goto nomem;
#if HAVE_ZLIB
	if (alg == UR_CZ_ZLIB || alg == UR_CZ_ZLIBX) {
		if (deflateInit2(&e->z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			goto nomem;
		e->z_ready = true;
		if (!(e->zsink = malloc(ZOUT_SIZE)))
			goto nomem;
	}
#endif
#if HAVE_ZSTD
	if (alg == UR_CZ_ZSTD) {
		if (!(e->zc = ZSTD_createCCtx()))
			goto nomem;
		if (ZSTD_isError(ZSTD_CCtx_setParameter(e->zc, ZSTD_c_compressionLevel, level))) {
			ur_cz_enc_free(e);
			return -EINVAL;
		}
	}
#endif
	*encp = e;
	return 0;
nomem:
	ur_cz_enc_free(e);
	return -ENOMEM;
}

void ur_cz_enc_free(struct ur_cz_enc *e)
{
	if (!e)
		return;
#if HAVE_ZLIB
	if (e->z_ready)
		deflateEnd(&e->z);
	free(e->zsink);
#endif
#if HAVE_ZSTD
	ZSTD_freeCCtx(e->zc);
#endif
	free(e->q.p);
	free(e->held);
	free(e->obuf);
	free(e);
}

size_t ur_cz_enc_pending(const struct ur_cz_enc *e)
{
	return e->q.len - e->q.head;
}

void ur_cz_enc_drain(struct ur_cz_enc *e, struct ur_wbuf *out)
{
	size_t n = ur_cz_enc_pending(e);

	if (!out || !n)
		return;
	if (n > out->cap - out->len)
		n = out->cap - out->len;
	memcpy(out->p + out->len, e->q.p + e->q.head, n);
	out->len += n;
	e->q.head += n;
}

/* One DEFLATED_DATA unit from obuf (whose data starts at obuf + 2). */
__attribute__((unused)) static int put_data(struct ur_cz_enc *e, size_t n)
{
	e->obuf[0] = (uint8_t)(UR_CZ_DEFLATED_DATA + (n >> 8));
	e->obuf[1] = (uint8_t)n;
	return q_put(&e->q, e->obuf, n + 2);
}

static int put_run(struct ur_cz_enc *e)
{
	int64_t r = (int64_t)e->run_start - e->last_run_end;
	int32_t n = e->last_token - e->run_start;
	uint8_t b[7];
	size_t len = 0;

	if (r >= 0 && r <= 63) {
		b[len++] = (uint8_t)((n == 0 ? UR_CZ_TOKEN_REL : UR_CZ_TOKENRUN_REL) + r);
	} else {
		b[len++] = n == 0 ? UR_CZ_TOKEN_LONG : UR_CZ_TOKENRUN_LONG;
		ur_put_le32(b + len, (uint32_t)e->run_start);
		len += 4;
	}
	if (n != 0) {
		b[len++] = (uint8_t)n;
		b[len++] = (uint8_t)(n >> 8);
	}
	return q_put(&e->q, b, len);
}

#if HAVE_ZLIB
/*
 * The data of one send: rsync fills 16383-byte units and, when the data
 * ends with a sync flush, drops the flush's final 00 00 ff ff. When a
 * flushing unit fills up, its last 4 bytes are held back and start the
 * next unit, in case they are that trailer.
 */
static int zlib_data(struct ur_cz_enc *e, int32_t token, const uint8_t *p, size_t nb)
{
	z_stream *z = &e->z;
	int flush = Z_NO_FLUSH, rc;

	z->avail_in = 0;
	z->avail_out = 0;
	do {
		if (z->avail_in == 0 && nb != 0) {
			size_t n = nb < CHUNK ? nb : CHUNK;

			z->next_in = (Bytef *)(uintptr_t)p;
			z->avail_in = (uInt)n;
			nb -= n;
			p += n;
		}
		if (z->avail_out == 0) {
			z->next_out = e->obuf + 2;
			z->avail_out = UR_CZ_MAX_DATA_COUNT;
			if (flush != Z_NO_FLUSH) {
				memcpy(z->next_out, e->obuf + UR_CZ_MAX_DATA_COUNT - 2, 4);
				z->next_out += 4;
				z->avail_out -= 4;
			}
		}
		if (nb == 0 && token != TOK_DATA)
			flush = Z_SYNC_FLUSH;
		rc = deflate(z, flush);
		if (rc != Z_OK && rc != Z_BUF_ERROR)
			return -EIO;
		if (nb == 0 || z->avail_out == 0) {
			long n = UR_CZ_MAX_DATA_COUNT - (long)z->avail_out;

			if (flush != Z_NO_FLUSH)
				n -= 4;
			if (n > 0 && (rc = put_data(e, (size_t)n)) < 0)
				return rc;
		}
	} while (nb != 0 || z->avail_out == 0);
	return 0;
}

/* zlib (not zlibx): a matched block joins the history. rsync's system-zlib
 * build does this with a sync flush whose output it drops; the receiver
 * mirrors it with a stored block (ur_cz_dec_see). */
static int zlib_see(struct ur_cz_enc *e, const uint8_t *p, size_t len)
{
	z_stream *z = &e->z;

	do {
		size_t n1 = len > SEE_PIECE ? SEE_PIECE : len;

		len -= n1;
		z->next_in = (Bytef *)(uintptr_t)p;
		z->avail_in = (uInt)n1;
		/* Protocol 30 feeds the first piece again for each piece. */
		if (e->protocol >= 31)
			p += n1;
		do {
			z->next_out = e->zsink;
			z->avail_out = ZOUT_SIZE;
			int rc = deflate(z, Z_SYNC_FLUSH);
			if (rc != Z_OK && rc != Z_BUF_ERROR)
				return -EIO;
		} while (z->avail_in != 0 || z->avail_out == 0);
	} while (len > 0);
	return 0;
}
#endif

#if HAVE_ZSTD
static int zstd_data(struct ur_cz_enc *e, int32_t token, const uint8_t *p, size_t nb)
{
	ZSTD_inBuffer in = {p, nb, 0};
	ZSTD_EndDirective mode = token != TOK_DATA ? ZSTD_e_flush : ZSTD_e_continue;
	bool finished;
	int rc;

	do {
		ZSTD_outBuffer out = {e->obuf + 2, UR_CZ_MAX_DATA_COUNT, 0};
		size_t r = ZSTD_compressStream2(e->zc, &out, &in, mode);

		if (ZSTD_isError(r))
			return -EIO;
		finished = mode == ZSTD_e_flush ? r == 0 : in.pos == in.size;
		if (out.pos != 0 && (rc = put_data(e, out.pos)) < 0)
			return rc;
	} while (!finished);
	return 0;
}
#endif

#if HAVE_LZ4
/* Independent LZ4 blocks of up to 16383 input bytes; one that compresses
 * past 16383 is retried with half the input. */
static int lz4_data(struct ur_cz_enc *e, const uint8_t *p, size_t nb)
{
	int in = 0, out = 0, rc;

	do {
		if (out == 0)
			in = (int)(nb < UR_CZ_MAX_DATA_COUNT ? nb : UR_CZ_MAX_DATA_COUNT);
		else
			in /= 2;
		out = LZ4_compress_default((const char *)p, (char *)e->obuf + 2, in,
					   (int)e->obuf_size - 2);
		if (out <= 0)
			return -EIO;
		if (out <= UR_CZ_MAX_DATA_COUNT) {
			if ((rc = put_data(e, (size_t)out)) < 0)
				return rc;
			out = 0;
			nb -= (size_t)in;
			p += in;
		}
	} while (nb != 0);
	return 0;
}
#endif

/* rsync's send_token() for a compressed stream: nb literal bytes, then
 * token (a block, TOK_START for the end, TOK_DATA for none). */
static int send_token(struct ur_cz_enc *e, int32_t token, const uint8_t *p, size_t nb,
		      const uint8_t *blk, size_t blen)
{
	int rc = 0;

	(void)p; /* unused in a build without codecs, where no encoder exists */

	if (e->last_token == TOK_START) {
#if HAVE_ZLIB
		if (e->z_ready && deflateReset(&e->z) != Z_OK)
			return -EIO;
#endif
		e->last_run_end = 0;
		e->run_start = token;
		e->flush_pending = false;
	} else if (e->last_token == TOK_DATA) {
		e->run_start = token;
	} else if (nb != 0 || token != e->last_token + 1 ||
		   (int64_t)token >= (int64_t)e->run_start + 65536) {
		if ((rc = put_run(e)) < 0)
			return rc;
		e->last_run_end = e->last_token;
		e->run_start = token;
	}
	e->last_token = token;
	if (nb != 0 || e->flush_pending) {
		switch (e->alg) {
		case UR_CZ_ZLIB:
		case UR_CZ_ZLIBX:
#if HAVE_ZLIB
			rc = zlib_data(e, token, p, nb);
#endif
			break;
		case UR_CZ_ZSTD:
#if HAVE_ZSTD
			rc = zstd_data(e, token, p, nb);
#endif
			break;
		case UR_CZ_LZ4:
#if HAVE_LZ4
			rc = lz4_data(e, p, nb);
#endif
			break;
		}
		if (rc < 0)
			return rc;
		e->flush_pending = token == TOK_DATA;
	}
	if (token == TOK_START)
		return q_u8(&e->q, UR_CZ_END_FLAG);
#if HAVE_ZLIB
	if (token != TOK_DATA && e->alg == UR_CZ_ZLIB)
		return zlib_see(e, blk, blen);
#else
	(void)blk;
	(void)blen;
#endif
	return 0;
}

int ur_cz_enc_literal(struct ur_cz_enc *e, const void *p, size_t n, struct ur_wbuf *out)
{
	int rc;

	if (n == 0)
		return 0;
	if (e->held_len) {
		if ((rc = send_token(e, TOK_DATA, e->held, e->held_len, NULL, 0)) < 0)
			return rc;
		e->held_len = 0;
	}
	if (n > e->held_cap) {
		uint8_t *h = realloc(e->held, n);

		if (!h)
			return -ENOMEM;
		e->held = h;
		e->held_cap = n;
	}
	memcpy(e->held, p, n);
	e->held_len = n;
	ur_cz_enc_drain(e, out);
	return 0;
}

int ur_cz_enc_match(struct ur_cz_enc *e, int32_t block, const void *data, size_t len,
		    struct ur_wbuf *out)
{
	int rc;

	if (block < 0 || block > UR_CZ_MAX_TOKEN_INDEX)
		return -EINVAL;
	/* zlib adds the block to its history: it needs the bytes. */
	if (e->alg == UR_CZ_ZLIB && (!data || len == 0))
		return -EINVAL;
	rc = send_token(e, block, e->held, e->held_len, data, len);
	e->held_len = 0;
	ur_cz_enc_drain(e, out);
	return rc;
}

int ur_cz_enc_end(struct ur_cz_enc *e, struct ur_wbuf *out)
{
	int rc = send_token(e, TOK_START, e->held, e->held_len, NULL, 0);

	e->held_len = 0;
	ur_cz_enc_drain(e, out);
	return rc;
}

/* ---- decoder ---- */

enum dstate { D_INIT, D_IDLE, D_INFLATING, D_INFLATED, D_RUNNING, D_BROKEN };

struct ur_cz_dec {
	enum ur_cz alg;
	int protocol;
	enum dstate state;
	int32_t rx_token, rx_run, nblocks;
	uint8_t cbuf[UR_CZ_MAX_DATA_COUNT];
	size_t cin_len, cin_pos;
	uint8_t *dbuf;
	size_t dsize;
#if HAVE_ZLIB
	z_stream z;
	bool z_ready;
#endif
#if HAVE_ZSTD
	ZSTD_DCtx *zd;
#endif
};

int ur_cz_dec_new(enum ur_cz alg, int protocol, struct ur_cz_dec **decp)
{
	struct ur_cz_dec *d;

	*decp = NULL;
	if ((unsigned)alg > UR_CZ_LZ4)
		return -EINVAL;
	if (!ur_cz_available(alg))
		return -ENOTSUP;
	if (!(d = calloc(1, sizeof(*d))))
		return -ENOMEM;
	d->alg = alg;
	d->protocol = protocol;
	d->state = D_INIT;
	d->nblocks = UR_CZ_MAX_TOKEN_INDEX;
	d->dsize = ZOUT_SIZE;
#if HAVE_ZSTD
	if (alg == UR_CZ_ZSTD) {
		/* rsync's room: two of zstd's output blocks. */
		d->dsize = ZSTD_DStreamOutSize() * 2;
		if (!(d->zd = ZSTD_createDCtx()))
			goto nomem;
	}
#endif
#if HAVE_LZ4
	if (alg == UR_CZ_LZ4) {
		d->dsize = (size_t)LZ4_compressBound(CHUNK);
		if (d->dsize < UR_CZ_MAX_DATA_COUNT + 2)
			d->dsize = UR_CZ_MAX_DATA_COUNT + 2;
	}
#endif
	if (!(d->dbuf = malloc(d->dsize)))
		goto nomem;
#if HAVE_ZLIB
	if (alg == UR_CZ_ZLIB || alg == UR_CZ_ZLIBX) {
		if (inflateInit2(&d->z, -15) != Z_OK)
			goto nomem;
		d->z_ready = true;
	}
#endif
	*decp = d;
	return 0;
nomem:
	ur_cz_dec_free(d);
	return -ENOMEM;
}

void ur_cz_dec_free(struct ur_cz_dec *d)
{
	if (!d)
		return;
#if HAVE_ZLIB
	if (d->z_ready)
		inflateEnd(&d->z);
#endif
#if HAVE_ZSTD
	ZSTD_freeDCtx(d->zd);
#endif
	free(d->dbuf);
	free(d);
}

void ur_cz_dec_set_nblocks(struct ur_cz_dec *d, int32_t nblocks)
{
	d->nblocks = nblocks < 0 ? 0 : nblocks;
}

static int fail(struct ur_cz_dec *d, struct ur_err *err, int errnum, const char *what)
{
	d->state = D_BROKEN;
	return ur_err_stream(err, errnum, "%s", what);
}

static int match(struct ur_cz_dec *d, struct ur_cz_tok *tok, struct ur_err *err)
{
	if (d->rx_token >= d->nblocks) {
		d->state = D_BROKEN;
		return ur_err_stream(err, EPROTO, "invalid block index %ld (of %ld)",
				     (long)d->rx_token, (long)d->nblocks);
	}
	tok->kind = UR_CZ_MATCH;
	tok->block = d->rx_token;
	return 0;
}

/* A token flag with its arguments, all present in r (checked by the caller). */
static int token_num(struct ur_cz_dec *d, const uint8_t *u, struct ur_err *err)
{
	unsigned flag = u[0];
	size_t at = 1;

	if (flag & UR_CZ_TOKEN_REL) {
		int32_t incr = (int32_t)(flag & 0x3f);

		if (d->rx_token > UR_CZ_MAX_TOKEN_INDEX - incr)
			return fail(d, err, EPROTO, "invalid token number in compressed stream");
		d->rx_token += incr;
		flag >>= 6;
	} else {
		int32_t t = (int32_t)ur_le32(u + 1);

		at += 4;
		if (t < 0 || t > UR_CZ_MAX_TOKEN_INDEX)
			return fail(d, err, EPROTO, "invalid token number in compressed stream");
		d->rx_token = t;
	}
	if (flag & 1) {
		d->rx_run = (int32_t)(u[at] | (unsigned)u[at + 1] << 8);
		if (d->rx_run <= 0 || d->rx_token > UR_CZ_MAX_TOKEN_INDEX - d->rx_run)
			return fail(d, err, EPROTO, "invalid token number in compressed stream");
		d->state = D_RUNNING;
	}
	return 0;
}

/* Bytes in the unit that starts with flag. */
static size_t unit_len(unsigned flag, const uint8_t *p, size_t avail)
{
	if ((flag & 0xc0) == UR_CZ_DEFLATED_DATA)
		return avail < 2 ? 2 : 2 + ((flag & 0x3f) << 8 | p[1]);
	if (flag == UR_CZ_END_FLAG)
		return 1;
	if (flag & UR_CZ_TOKEN_REL)
		return (flag & 0x40) ? 3 : 1;
	return (flag & 1) ? 7 : 5;
}

#if HAVE_ZLIB
/* Before a token after compressed data: output still inside zlib, then
 * the 00 00 ff ff the sender dropped. 1 when data was returned. */
static int zlib_finish_data(struct ur_cz_dec *d, struct ur_cz_tok *tok, struct ur_err *err)
{
	static const uint8_t trailer[4] = {0, 0, 0xff, 0xff};
	z_stream *z = &d->z;
	int rc;

	z->avail_in = 0;
	z->next_out = d->dbuf;
	z->avail_out = (uInt)d->dsize;
	rc = inflate(z, Z_SYNC_FLUSH);
	size_t n = d->dsize - z->avail_out;

	if (rc != Z_OK && rc != Z_BUF_ERROR)
		return fail(d, err, EBADMSG, "inflate flush failed");
	if (n != 0 && rc != Z_BUF_ERROR) {
		tok->kind = UR_CZ_LITERAL;
		tok->data = d->dbuf;
		tok->len = n;
		return 1;
	}
	if (!inflateSyncPoint(z))
		return fail(d, err, EBADMSG, "decompressor lost sync");
	z->next_in = (Bytef *)(uintptr_t)trailer;
	z->avail_in = 4;
	inflate(z, Z_SYNC_FLUSH);
	d->state = D_IDLE;
	return 0;
}
#endif

/* D_INFLATING: 1 with a literal, 0 to go on, or an error. */
static int inflate_some(struct ur_cz_dec *d, struct ur_cz_tok *tok, struct ur_err *err)
{
	size_t n = 0;

	(void)err;
	switch (d->alg) {
	case UR_CZ_ZLIB:
	case UR_CZ_ZLIBX: {
#if HAVE_ZLIB
		z_stream *z = &d->z;

		z->next_out = d->dbuf;
		z->avail_out = (uInt)d->dsize;
		if (inflate(z, Z_NO_FLUSH) != Z_OK)
			return fail(d, err, EBADMSG, "inflate failed on compressed token data");
		n = d->dsize - z->avail_out;
		if (z->avail_in == 0)
			d->state = D_INFLATED;
#endif
		break;
	}
	case UR_CZ_ZSTD: {
#if HAVE_ZSTD
		ZSTD_inBuffer in = {d->cbuf, d->cin_len, d->cin_pos};
		ZSTD_outBuffer out = {d->dbuf, d->dsize, 0};
		size_t r = ZSTD_decompressStream(d->zd, &out, &in);

		if (ZSTD_isError(r))
			return fail(d, err, EBADMSG, "zstd rejects compressed token data");
		/* rsync's loop would spin here; a peer's bytes must not make us. */
		if (in.pos == d->cin_pos && in.pos < in.size && out.pos == 0)
			return fail(d, err, EBADMSG, "zstd makes no progress");
		d->cin_pos = in.pos;
		n = out.pos;
		if (in.pos == in.size && n < d->dsize)
			d->state = D_IDLE;
#endif
		break;
	}
	case UR_CZ_LZ4: {
#if HAVE_LZ4
		int out = LZ4_decompress_safe((const char *)d->cbuf, (char *)d->dbuf,
					      (int)d->cin_len, (int)d->dsize);

		if (out < 0)
			return fail(d, err, EBADMSG, "lz4 rejects compressed token data");
		n = (size_t)out;
		d->state = D_IDLE;
#endif
		break;
	}
	}
	if (n == 0)
		return 0;
	tok->kind = UR_CZ_LITERAL;
	tok->data = d->dbuf;
	tok->len = n;
	return 1;
}

int ur_cz_dec_next(struct ur_cz_dec *d, struct ur_rbuf *r, struct ur_cz_tok *tok,
		   struct ur_err *err)
{
	size_t start = r->pos;
	int rc;

	for (;;) {
		switch (d->state) {
		case D_BROKEN:
			return ur_err_stream(err, EBADMSG,
					     "compressed token stream already failed");
		case D_INIT:
#if HAVE_ZLIB
			if (d->z_ready && inflateReset(&d->z) != Z_OK)
				return fail(d, err, EBADMSG, "inflate reset failed");
#endif
			d->state = D_IDLE;
			d->rx_token = 0;
			break;
		case D_IDLE:
		case D_INFLATED: {
			size_t avail = ur_rbuf_left(r), len;
			const uint8_t *u = r->p + r->pos;

			if (avail < 1 || avail < (len = unit_len(u[0], u, avail))) {
				if (r->pos == start)
					return -ENODATA;
				/* A data unit went into the codec with nothing out yet. */
				tok->kind = UR_CZ_LITERAL;
				tok->data = d->dbuf;
				tok->len = 0;
				return 0;
			}
			if ((u[0] & 0xc0) == UR_CZ_DEFLATED_DATA) {
				d->cin_len = len - 2;
				d->cin_pos = 0;
				memcpy(d->cbuf, u + 2, d->cin_len);
				r->pos += len;
#if HAVE_ZLIB
				d->z.next_in = d->cbuf;
				d->z.avail_in = (uInt)d->cin_len;
#endif
				d->state = D_INFLATING;
				break;
			}
#if HAVE_ZLIB
			if (d->state == D_INFLATED) {
				if ((rc = zlib_finish_data(d, tok, err)) != 0)
					return rc < 0 ? rc : 0;
			}
#endif
			d->state = D_IDLE;
			r->pos += len;
			if (u[0] == UR_CZ_END_FLAG) {
				d->state = D_INIT;
				tok->kind = UR_CZ_END;
				return 0;
			}
			if ((rc = token_num(d, u, err)) < 0)
				return rc;
			return match(d, tok, err);
		}
		case D_INFLATING:
			if ((rc = inflate_some(d, tok, err)) != 0)
				return rc < 0 ? rc : 0;
			break;
		case D_RUNNING:
			if (d->rx_run <= 0 || d->rx_token >= UR_CZ_MAX_TOKEN_INDEX)
				return fail(d, err, EPROTO,
					    "invalid token number in compressed stream");
			d->rx_token++;
			if (--d->rx_run == 0)
				d->state = D_IDLE;
			return match(d, tok, err);
		}
	}
}

int ur_cz_dec_see(struct ur_cz_dec *d, const void *data, size_t len, struct ur_err *err)
{
#if HAVE_ZLIB
	const uint8_t *p = data;
	uint8_t hdr[5] = {0};
	size_t blklen = 0;
	z_stream *z = &d->z;

	if (d->alg != UR_CZ_ZLIB)
		return 0;
	if (d->state == D_BROKEN)
		return ur_err_stream(err, EBADMSG, "compressed token stream already failed");
	/* The block goes into zlib's window as a stored block of up to 64 KiB
	 * pieces, as the sender's history got it. */
	z->avail_in = 0;
	do {
		if (z->avail_in == 0 && len != 0) {
			if (blklen == 0) {
				blklen = len > SEE_PIECE ? SEE_PIECE : len;
				hdr[1] = (uint8_t)blklen;
				hdr[2] = (uint8_t)(blklen >> 8);
				hdr[3] = (uint8_t)~hdr[1];
				hdr[4] = (uint8_t)~hdr[2];
				z->next_in = hdr;
				z->avail_in = 5;
			} else {
				z->next_in = (Bytef *)(uintptr_t)p;
				z->avail_in = (uInt)blklen;
				if (d->protocol >= 31)
					p += blklen;
				len -= blklen;
				blklen = 0;
			}
		}
		z->next_out = d->dbuf;
		z->avail_out = (uInt)d->dsize;
		int rc = inflate(z, Z_SYNC_FLUSH);
		if (rc != Z_OK && rc != Z_BUF_ERROR)
			return fail(d, err, EBADMSG, "inflate (token) failed");
	} while (len || z->avail_out == 0);
#else
	(void)d;
	(void)data;
	(void)len;
	(void)err;
#endif
	return 0;
}
