/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer target for src/filter/wildmatch.c. The input is a pattern and a
 * text separated by the first NUL byte (or the first newline when there is
 * no NUL). Every matching entry point runs on the pair.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filter/wildmatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *sep = memchr(data, '\0', size);
	if (!sep)
		sep = memchr(data, '\n', size);
	size_t plen = sep ? (size_t)(sep - data) : size;
	size_t tstart = sep ? plen + 1 : size;

	char *pat = malloc(plen + 1);
	char *text = malloc(size - tstart + 1);
	if (!pat || !text)
		goto out;
	memcpy(pat, data, plen);
	pat[plen] = '\0';
	memcpy(text, data + tstart, size - tstart);
	text[size - tstart] = '\0'; /* the text ends at its first NUL, if any */

	bool m = ur_wildmatch(pat, text);
	(void)ur_iwildmatch(pat, text);
	for (int where = -1; where <= 3; where++) {
		bool w = ur_wildmatch_at(pat, text, where);
		(void)ur_litmatch_at(pat, text, where);
		if (where == UR_WM_WHOLE && w != m)
			abort(); /* the two whole-text entry points must agree */
		/* Matching anywhere includes matching the whole text. */
		if (where == UR_WM_ANY_START && m && !w)
			abort();
	}
out:
	free(pat);
	free(text);
	return 0;
}
