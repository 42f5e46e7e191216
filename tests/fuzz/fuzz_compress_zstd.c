/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target for the zstd token decoder: fuzz_compress_zlib.c's body. */
#define FUZZ_CZ_ALG UR_CZ_ZSTD
#include "fuzz_compress_zlib.c"
