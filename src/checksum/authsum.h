/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_CHECKSUM_AUTHSUM_H
#define UR_CHECKSUM_AUTHSUM_H

/*
 * The digests of rsync's daemon authentication (docs/daemon.md): the
 * response to a challenge is base64(DIGEST(password + challenge)) without
 * padding, DIGEST the strongest both ends list. sha512, sha256 and sha1
 * come from libcrypto (absent from a build without it), md5 and md4 from
 * checksum/md.c.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UR_AUTHSUM_MAX_LEN 64

/* Our list, strongest first, as the greeting carries it ("sha512 sha256
 * sha1 md5 md4" with libcrypto). */
const char *ur_authsum_list(void);

/* Is name one of ours? */
bool ur_authsum_known(const char *name, size_t len);

/* The strongest of ours that the space-separated list peer also names,
 * or NULL. */
const char *ur_authsum_choose(const char *peer);

/* base64(DIGEST(a + b)) unpadded into out (at least 2 * UR_AUTHSUM_MAX_LEN
 * bytes). Returns its length, or -EINVAL for a name we do not have. */
int ur_authsum_response(const char *name, const char *a, const char *b, char *out, size_t cap);

/* base64 of len bytes, padded with '=' when pad (HTTP Basic auth), else
 * not (rsync's challenge and response). Returns the length written, or
 * -ENOBUFS. */
int ur_base64(const void *p, size_t len, bool pad, char *out, size_t cap);

#endif
