/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_PROTO_HANDSHAKE_H
#define UR_PROTO_HANDSHAKE_H

/*
 * The start of a connection, after any daemon greeting:
 *   both sides   int32 protocol version (each writes before reading)
 *   server       varint compat flags (protocol 30+)
 *   both sides   vstring checksum list, then vstring compression list
 *                (only with CF_VARINT_FLIST_FLAGS; the compression list
 *                only when compressing without an explicit choice)
 *   server       int32 checksum seed
 * Everything negotiated lands in struct ur_caps; callers test those fields,
 * never the protocol number.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/varint.h"

#define UR_PROTOCOL_VERSION  32 /* what we speak by default */
#define UR_MIN_PROTOCOL	     30 /* the oldest we speak */
#define UR_PEER_MIN_PROTOCOL 20 /* outside 20..40 the shell is not clean */
#define UR_PEER_MAX_PROTOCOL 40

/* Compatibility flags the server sends at protocol 30+. */
#define UR_CF_INC_RECURSE	  (1u << 0)
#define UR_CF_SYMLINK_TIMES	  (1u << 1)
#define UR_CF_SYMLINK_ICONV	  (1u << 2)
#define UR_CF_SAFE_FLIST	  (1u << 3)
#define UR_CF_AVOID_XATTR_OPTIM	  (1u << 4)
#define UR_CF_CHKSUM_SEED_FIX	  (1u << 5)
#define UR_CF_INPLACE_PARTIAL_DIR (1u << 6)
#define UR_CF_VARINT_FLIST_FLAGS  (1u << 7)
#define UR_CF_ID0_NAMES		  (1u << 8)
#define UR_CF_ALL		  0x1FFu

/* Longest negotiation string rsync accepts (its buffer is 256 bytes). */
#define UR_NSTR_MAX 255

enum ur_csum {
	UR_CSUM_NONE,
	UR_CSUM_MD4,
	UR_CSUM_MD5,
	UR_CSUM_SHA1,
	UR_CSUM_XXH64,
	UR_CSUM_XXH3_64,
	UR_CSUM_XXH3_128,
	UR_CSUM_COUNT
};

enum ur_cpres {
	UR_CPRES_NONE,
	UR_CPRES_ZLIB,
	UR_CPRES_ZLIBX,
	UR_CPRES_LZ4,
	UR_CPRES_ZSTD,
	UR_CPRES_COUNT
};

enum ur_nstr_kind { UR_NSTR_CHECKSUM, UR_NSTR_COMPRESS };

/* What both ends agreed on. */
struct ur_caps {
	int protocol; /* min(ours, theirs); informational only */
	int remote_protocol;
	uint32_t compat_flags;
	bool inc_recurse;	/* CF_INC_RECURSE */
	bool symlink_times;	/* receiver can set symlink times */
	bool symlink_iconv;	/* CF_SYMLINK_ICONV */
	bool safe_flist;	/* an I/O error may end a file list (CF_SAFE_FLIST or 31+) */
	bool xattr_optim;	/* 31+ and not CF_AVOID_XATTR_OPTIM */
	bool seed_fix;		/* CF_CHKSUM_SEED_FIX: seed goes after the data */
	bool inplace_partial;	/* CF_INPLACE_PARTIAL_DIR */
	bool varint_flist;	/* CF_VARINT_FLIST_FLAGS: varint xflags */
	bool negotiate_strings; /* checksum/compress lists are exchanged */
	bool id0_names;		/* CF_ID0_NAMES: id lists carry uid/gid 0's name */
	bool mod_nsec;		/* 31+: mtimes carry nanoseconds */
	bool specials_rdev;	/* < 31: FIFOs and sockets carry a dummy rdev */
	enum ur_csum checksum;	/* for block and whole-file sums */
	enum ur_csum file_checksum; /* -c's file sums (--checksum-choice=X,Y) */
	enum ur_cpres compress; /* when compressing */
	int32_t checksum_seed;
};

void ur_caps_init(struct ur_caps *c);

/* The version int. _get bounds it to 20..40 (-EPROTO otherwise, the
 * "is your shell clean?" case). */
int ur_hs_put_version(struct ur_wbuf *w, int version);
int ur_hs_get_version(struct ur_rbuf *r, int *version, struct ur_err *err);

/* Agree a protocol: min(ours, theirs); -EPROTO if below UR_MIN_PROTOCOL. */
int ur_hs_agree(struct ur_caps *c, int ours, int theirs, struct ur_err *err);

/* The client's "-e" option value that announces what it supports, as
 * rsync 3.5.0 builds it: "e.iLsfxCIvu" (i only with incremental recursion,
 * s only with iconv support). Returns the length, or -ENOBUFS. */
int ur_client_info_build(char *buf, size_t cap, bool allow_inc_recurse, bool symlink_times,
			 bool symlink_iconv);

/* Server side: the compat flags an rsync 3.5.0 server derives from the
 * client info letters (the text after "e", e.g. ".iLsfxCIvu"). *byte_form
 * is set when the client asked for the old single-byte encoding ('V'). */
uint32_t ur_compat_from_client_info(const char *info, bool allow_inc_recurse, bool symlink_times,
				    bool symlink_iconv, bool *byte_form);

/* The compat flags on the wire: a varint (or one byte for 'V' clients). */
int ur_hs_put_compat(struct ur_wbuf *w, uint32_t flags, bool byte_form);
int ur_hs_get_compat(struct ur_rbuf *r, uint32_t *flags, struct ur_err *err);

/* Fill the flag-derived fields of c from compat flags. am_sender/am_server
 * and the client info (NULL on the client) decide symlink_times as rsync
 * does. c->protocol must be set first. */
void ur_caps_apply_compat(struct ur_caps *c, uint32_t flags, bool am_sender, bool am_server,
			  const char *client_info);

/* Names: "md5", "zstd", ... (NULL for out of range). */
const char *ur_csum_name(enum ur_csum c);
const char *ur_cpres_name(enum ur_cpres c);
/* Name to id, with rsync's alias "xxhash" for xxh64; -1 if unknown. */
int ur_nstr_lookup(enum ur_nstr_kind kind, const char *name, size_t len);
/* Digest length of a checksum (none is 1, as in rsync). */
int ur_csum_len(enum ur_csum c);

/* Build the list one side sends. prefs (n ids, our order of preference)
 * or NULL for rsync's default order: "xxh128 xxh3 xxh64 md5 md4 sha1 none"
 * and "zstd lz4 zlibx zlib none". A client leaves "none" out, as rsync
 * does. Returns the length, or -ENOBUFS / -EINVAL. */
int ur_nstr_build(enum ur_nstr_kind kind, const int *prefs, size_t n, bool am_server, char *buf,
		  size_t cap);

/* A list from the user (RSYNC_CHECKSUM_LIST, RSYNC_COMPRESS_LIST): names
 * separated by white space, up to a "&" on a client and from after it on a
 * server (one variable can serve both ends). Unknown names and repeats go,
 * an alias becomes its name; if names were given and none is known the
 * list is "INVALID" (so the negotiation fails, as rsync's does). Returns
 * the length, 0 for a list without names (the default list is used), or
 * -ENOBUFS. */
int ur_nstr_parse(enum ur_nstr_kind kind, const char *list, bool am_server, char *buf, size_t cap);

/* Choose from the peer's list: the entry of `ours` (built by
 * ur_nstr_build) that ranks highest in our list and also appears in the
 * peer's. Returns the id, or -EPROTO when nothing is shared ("Failed to
 * negotiate a checksum choice"). */
int ur_nstr_choose(enum ur_nstr_kind kind, const char *ours, const char *peer, size_t peer_len,
		   struct ur_err *err);

/* The list as a vstring (the wire form); _get caps it at UR_NSTR_MAX. */
int ur_hs_put_nstr(struct ur_wbuf *w, const char *list, size_t len);
int ur_hs_get_nstr(struct ur_rbuf *r, char buf[UR_NSTR_MAX + 1], size_t *len, struct ur_err *err);

/* The checksum seed: an int32 the server sends last. */
int ur_hs_put_seed(struct ur_wbuf *w, int32_t seed);
int ur_hs_get_seed(struct ur_rbuf *r, int32_t *seed);

#endif
