/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "filter/wildmatch.h"

#include <ctype.h>
#include <stddef.h>
#include <string.h>

/*
 * Outcomes of one matching attempt. Besides yes and no, an attempt can tell
 * the '*' loops above it that trying further along the text is pointless:
 *  - STOP: the text ran out before the pattern did, so no later start can
 *    succeed either; every loop gives up at once.
 *  - NEED_SLASH: a single '*' met a '/' it cannot cross; only an enclosing
 *    '**' can still help, so single-star loops give up and the nearest '**'
 *    keeps going.
 * These two cut-offs keep the search polynomial (each star loop walks the
 * text at most once per start offset), which is what makes a pattern full of
 * stars safe to run on hostile input.
 */
enum {
	WM_NO = 0,
	WM_YES = 1,
	WM_STOP = -1,
	WM_NEED_SLASH = -2,
};

/* One recursion level per star; past this we answer "no match" rather than
 * risk the stack. Filter patterns are capped well below this. */
#define WM_MAX_DEPTH 10000

struct wm {
	bool fold; /* compare ASCII letters without case */
};

static unsigned char fold(const struct wm *m, unsigned char c)
{
	return m->fold && c < 128 && isupper(c) ? (unsigned char)tolower(c) : c;
}

/* Is c in the POSIX class named by name[0..len)? -1 for an unknown name. */
static int in_class(const unsigned char *name, size_t len, unsigned char c)
{
	static const struct {
		const char *name;
		int (*test)(int);
	} classes[] = {
	    {"alnum", isalnum}, {"alpha", isalpha}, {"blank", isblank}, {"cntrl", iscntrl},
	    {"digit", isdigit}, {"graph", isgraph}, {"lower", islower}, {"print", isprint},
	    {"punct", ispunct}, {"space", isspace}, {"upper", isupper}, {"xdigit", isxdigit},
	};

	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		if (strlen(classes[i].name) == len && memcmp(classes[i].name, name, len) == 0)
			/* Only ASCII belongs to a class, whatever the locale says. */
			return c < 128 && classes[i].test(c);
	}
	return -1;
}

/*
 * Match one text character t against the bracket expression that starts
 * just after the '[' at *pp. On success *pp is left on the closing ']'.
 * Returns WM_YES, WM_NO, or WM_STOP when the expression is malformed (the
 * whole pattern then matches nothing).
 */
static int match_set(const struct wm *m, const unsigned char **pp, unsigned char t)
{
	const unsigned char *p = *pp;
	bool negated = false, hit = false;
	unsigned char prev = 0; /* last single member, a range's possible start */

	if (*p == '!' || *p == '^') {
		negated = true;
		p++;
	}
	/* The first member is taken literally even when it is ']'. */
	for (bool first = true; first || *p != ']'; first = false, p++) {
		unsigned char c = *p;

		if (c == '\0')
			return WM_STOP;
		if (c == '\\') {
			c = *++p;
			if (c == '\0')
				return WM_STOP;
			c = fold(m, c);
			hit |= t == c;
			prev = c;
		} else if (c == '-' && prev && p[1] && p[1] != ']') {
			unsigned char hi = *++p;
			if (hi == '\\') {
				hi = *++p;
				if (hi == '\0')
					return WM_STOP;
			}
			hi = fold(m, hi);
			hit |= t >= prev && t <= hi;
			prev = 0;
		} else if (c == '[' && p[1] == ':') {
			const unsigned char *name = p + 2, *end = name;
			while (*end && *end != ']')
				end++;
			if (*end == '\0')
				return WM_STOP;
			if (end == name || end[-1] != ':') {
				/* "[:" without ":]": an ordinary '[' member. */
				hit |= t == '[';
				prev = '[';
				continue;
			}
			int r = in_class(name, (size_t)(end - 1 - name), t);
			if (r < 0)
				return WM_STOP;
			hit |= r > 0;
			prev = 0;
			p = end;
		} else {
			c = fold(m, c);
			hit |= t == c;
			prev = c;
		}
	}
	*pp = p;
	/* A set never matches '/', not even a negated one. */
	return hit != negated && t != '/' ? WM_YES : WM_NO;
}

static int run(const struct wm *m, const unsigned char *p, const unsigned char *t, unsigned depth)
{
	if (depth > WM_MAX_DEPTH)
		return WM_STOP;

	for (; *p; p++, t++) {
		unsigned char pc = *p;
		if (*t == '\0' && pc != '*')
			return WM_STOP;
		unsigned char tc = fold(m, *t);

		switch (pc) {
		case '?':
			if (tc == '/')
				return WM_NO;
			break;
		case '[': {
			p++;
			int r = match_set(m, &p, tc);
			if (r != WM_YES)
				return r;
			break;
		}
		case '*': {
			bool cross = p[1] == '*';
			while (p[1] == '*')
				p++;
			p++;
			if (*p == '\0') {
				/* A trailing star takes the rest, if it may. */
				if (!cross && strchr((const char *)t, '/'))
					return WM_NO;
				return WM_YES;
			}
			for (;; t++) {
				if (*t == '\0')
					return WM_STOP;
				int r = run(m, p, t, depth + 1);
				if (r == WM_NO) {
					if (!cross && *t == '/')
						return WM_NEED_SLASH;
				} else if (!cross || r != WM_NEED_SLASH) {
					return r;
				}
			}
		}
		case '\\':
			/* A trailing backslash compares as NUL and so fails. */
			pc = *++p;
			if (pc == '\0')
				return WM_NO;
			/* fall through */
		default:
			if (tc != fold(m, pc))
				return WM_NO;
			break;
		}
	}
	return *t ? WM_NO : WM_YES;
}

bool ur_wildmatch(const char *pattern, const char *text)
{
	const struct wm m = {.fold = false};
	return run(&m, (const unsigned char *)pattern, (const unsigned char *)text, 0) == WM_YES;
}

bool ur_iwildmatch(const char *pattern, const char *text)
{
	const struct wm m = {.fold = true};
	return run(&m, (const unsigned char *)pattern, (const unsigned char *)text, 0) == WM_YES;
}

/* The start of the last n '/'-separated components of text, or NULL when
 * text has fewer than n. */
static const char *last_components(const char *text, int n)
{
	const char *s = text + strlen(text);
	while (s > text) {
		if (*--s == '/' && --n == 0)
			return s + 1;
	}
	return n == 1 ? text : NULL;
}

bool ur_wildmatch_at(const char *pattern, const char *text, int where)
{
	const struct wm m = {.fold = false};
	const unsigned char *p = (const unsigned char *)pattern;

	if (where > 0 && !(text = last_components(text, where)))
		return false;
	int r = run(&m, p, (const unsigned char *)text, 0);
	if (r == WM_YES || r == WM_STOP || where >= 0)
		return r == WM_YES;
	/* Slide the start to just after each '/', until a try says yes or that
	 * no later start can succeed. */
	for (const char *s = text; *s; s++) {
		if (*s != '/')
			continue;
		r = run(&m, p, (const unsigned char *)s + 1, 0);
		if (r == WM_YES || r == WM_STOP)
			break;
	}
	return r == WM_YES;
}

bool ur_litmatch_at(const char *literal, const char *text, int where)
{
	if (where > 0 && !(text = last_components(text, where)))
		return false;
	return strcmp(literal, text) == 0;
}
