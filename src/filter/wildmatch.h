/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_WILDMATCH_H
#define UR_WILDMATCH_H

#include <stdbool.h>

/*
 * Shell-style matching with rsync's rules (see docs/filter.md):
 *   ?      one character other than '/'
 *   *      any run of characters without '/'
 *   **     any run of characters, '/' included
 *   [...]  one character (never '/') from a set: ranges a-z, negation with
 *          a leading '!' or '^', POSIX classes [:alpha:] etc., '\' escapes
 *   \c     the character c itself
 * A malformed set (no closing ']', or an unknown [:class:]) makes the whole
 * pattern match nothing. Matching is byte-wise (8-bit clean).
 */

/* Does pattern match the whole of text? */
bool ur_wildmatch(const char *pattern, const char *text);

/* As ur_wildmatch, but ASCII letters in text and pattern compare without
 * regard to case (rsync's iwildmatch, used for daemon host lists). */
bool ur_iwildmatch(const char *pattern, const char *text);

/*
 * Where in a slash-separated text a pattern is tried:
 *   UR_WM_WHOLE     the whole text only
 *   UR_WM_ANY_START the whole text, then the text after each '/'
 *   N > 0           only the last N components (fails if text has fewer)
 */
enum { UR_WM_WHOLE = 0, UR_WM_ANY_START = -1 };

/* Match pattern against text at the places `where` selects (above). */
bool ur_wildmatch_at(const char *pattern, const char *text, int where);

/* Plain string equality with the same choice of places (no wildcards). */
bool ur_litmatch_at(const char *literal, const char *text, int where);

#endif
