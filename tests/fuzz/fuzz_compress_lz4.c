/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target for the lz4 token decoder: fuzz_compress_zlib.c's body. */
#define FUZZ_CZ_ALG UR_CZ_LZ4
#include "fuzz_compress_zlib.c"
