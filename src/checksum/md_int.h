/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_CHECKSUM_MD_INT_H
#define UR_CHECKSUM_MD_INT_H

/* The streaming MD4/MD5 functions behind ur_sum_*. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "checksum/checksum.h"

void ur_md_init(struct ur_md_ctx *m);
void ur_md4_update(struct ur_md_ctx *m, const void *p, size_t n);
void ur_md5_update(struct ur_md_ctx *m, const void *p, size_t n);
/* busted: rsync's pre-27 MD4 (see md.c). */
void ur_md4_final(struct ur_md_ctx *m, bool busted, uint8_t out[16]);
void ur_md5_final(struct ur_md_ctx *m, uint8_t out[16]);

#endif
