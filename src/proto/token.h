/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_PROTO_TOKEN_H
#define UR_PROTO_TOKEN_H

/*
 * The uncompressed delta stream (what the sender writes after the sum
 * head when no compression was negotiated) and the block sums the
 * generator sends before it.
 *
 * Tokens are int32s: n > 0 is n literal bytes that follow, -(i + 1) is
 * "copy block i of the basis", 0 ends the file; the file's whole checksum
 * follows the 0. rsync's sender cuts literal runs at 32 KiB; a receiver
 * must take any positive length.
 *
 * Each block sum is an int32 rolling checksum and s2length bytes of the
 * strong checksum.
 */

#include <stdbool.h>
#include <stdint.h>

#include "proto/varint.h"

#define UR_TOKEN_CHUNK (32 * 1024)

enum ur_token_kind { UR_TOKEN_LITERAL, UR_TOKEN_MATCH, UR_TOKEN_END };

struct ur_token {
	enum ur_token_kind kind;
	const uint8_t *data; /* LITERAL: borrowed from the input */
	size_t len;	     /* LITERAL: bytes in data */
	int32_t block;	     /* MATCH */
};

/* Decoder state: how much of a literal run is still to come. */
struct ur_token_reader {
	int32_t residue;
	int32_t nblocks; /* the sum head's count: matches must be below it */
};

void ur_token_reader_init(struct ur_token_reader *t, int32_t nblocks);

/* Read the next token. A literal run is handed out in pieces as bytes
 * arrive (never more than are present; a piece may be empty when only the
 * run's header has arrived). Returns 0, -ENODATA (nothing consumed), or
 * -EPROTO for a block index outside the sum head. */
int ur_token_read(struct ur_token_reader *t, struct ur_rbuf *r, struct ur_token *tok,
		  struct ur_err *err);

/* Writers: a literal run (header and bytes, cut into UR_TOKEN_CHUNK
 * pieces), a block match, the end. 0 or -ENOBUFS (nothing written). */
int ur_token_put_literal(struct ur_wbuf *w, const void *data, size_t len);
int ur_token_put_match(struct ur_wbuf *w, int32_t block);
int ur_token_put_end(struct ur_wbuf *w);

/* One block sum. s2length up to 64. */
int ur_sum_block_put(struct ur_wbuf *w, uint32_t rolling, const uint8_t *strong, int s2length);
int ur_sum_block_get(struct ur_rbuf *r, int s2length, uint32_t *rolling, uint8_t *strong);

#endif
