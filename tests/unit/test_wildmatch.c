/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * wildmatch with rsync's semantics. The expectations are facts about rsync
 * 3.5.0's matcher (its wildtest.txt vectors, and filter behaviour observed
 * with `rsync --list-only -f RULE`), written down as our own table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "filter/wildmatch.h"

struct wm_case {
	const char *pattern;
	const char *text;
	bool want;
};

static const struct wm_case cases[] = {
    /* literals, ? and * */
    {"foo", "foo", true},
    {"bar", "foo", false},
    {"", "", true},
    {"???", "foo", true},
    {"??", "foo", false},
    {"*", "foo", true},
    {"f*", "foo", true},
    {"*f", "foo", false},
    {"*foo*", "foo", true},
    {"*ob*a*r*", "foobar", true},
    {"*ab", "aaaaaaabababab", true},
    {"foo\\*", "foo*", true},
    {"foo\\*bar", "foobar", false},
    {"f\\\\oo", "f\\oo", true},
    {"\\a\\b\\c", "abc", true},
    {"\\??\\?b", "?a?b", true},
    {"\\", "", false},
    {"\\", "\\", false},
    {"*/\\", "/\\", false},
    {"*/\\\\", "/\\", true},
    {"@foo", "@foo", true},
    {"@foo", "foo", false},
    {"", "foo", false},
    {"b*a", "aaabbb", false},
    {"*ba*", "aabcaa", false},
    /* sets */
    {"*[al]?", "ball", true},
    {"[ten]", "ten", false},
    {"**[!te]", "ten", true},
    {"**[!ten]", "ten", false},
    {"t[a-g]n", "ten", true},
    {"t[!a-g]n", "ten", false},
    {"t[!a-g]n", "ton", true},
    {"t[^a-g]n", "ton", true},
    {"a[]]b", "a]b", true},
    {"a[]-]b", "a-b", true},
    {"a[]-]b", "a]b", true},
    {"a[]-]b", "aab", false},
    {"a[]a-]b", "aab", true},
    {"]", "]", true},
    {"a[c-c]st", "acrt", false},
    {"a[c-c]rt", "acrt", true},
    {"[!]-]", "]", false},
    {"[!]-]", "a", true},
    {"\\[ab]", "[ab]", true},
    {"[[]ab]", "[ab]", true},
    {"[[:]ab]", "[ab]", true},
    {"[[::]ab]", "[ab]", false},
    {"[[:digit]ab]", "[ab]", true},
    {"[\\[:]ab]", "[ab]", true},
    {"[\\\\-^]", "]", true},
    {"[\\\\-^]", "[", false},
    {"[\\-_]", "-", true},
    {"[\\]]", "]", true},
    {"[\\]]", "\\]", false},
    {"[-]", "-", true},
    {"[--A]", "5", true},
    {"[ --]", "$", true},
    {"[ --]", "0", false},
    {"[a-e-n]", "j", false},
    {"[a-e-n]", "-", true},
    {"[!------]", "a", true},
    {"[]-a]", "^", true},
    {"[]-a]", "[", false},
    {"[a^bc]", "^", true},
    {"[a-]b]", "-b]", true},
    {"[\\]", "\\", false},
    {"[\\\\]", "\\", true},
    {"[!\\\\]", "\\", false},
    {"[A-\\\\]", "G", true},
    {"[\\1-\\3]", "2", true},
    {"[\\1-\\3]", "4", false},
    {"[[-\\]]", "\\", true},
    {"[[-\\]]", "-", false},
    {"[,-.]", "-", true},
    {"[,-.]", "+", false},
    /* malformed sets match nothing */
    {"a[]b", "ab", false},
    {"a[]b", "a[]b", false},
    {"ab[", "ab[", false},
    {"[!", "ab", false},
    {"[-", "ab", false},
    {"[a-", "-", false},
    {"[[:bogus:]]", "a", false},
    /* POSIX classes */
    {"[[:alpha:]][[:digit:]][[:upper:]]", "a1B", true},
    {"[[:digit:][:upper:][:space:]]", "a", false},
    {"[[:digit:][:upper:][:space:]]", "A", true},
    {"[[:digit:][:upper:][:space:]]", " ", true},
    {"[[:digit:][:upper:][:spaci:]]", "1", false},
    {"[[:digit:][:punct:][:space:]]", ".", true},
    {"[[:xdigit:]]", "f", true},
    {"[[:xdigit:]]", "g", false},
    {"[[:lower:]]", "q", true},
    {"[[:blank:]]", "\t", true},
    {"[[:cntrl:]]", "\x01", true},
    {"[a-c[:digit:]x-z]", "5", true},
    {"[a-c[:digit:]x-z]", "y", true},
    {"[a-c[:digit:]x-z]", "q", false},
    {"[[:alpha:]]", "\xe9", false}, /* only ASCII is in a class */
    {"[\xe0-\xef]", "\xe9", true},  /* 8-bit clean ranges */
    /* '/' handling */
    {"foo*bar", "foo/baz/bar", false},
    {"foo**bar", "foo/baz/bar", true},
    {"foo?bar", "foo/bar", false},
    {"foo[/]bar", "foo/bar", false},
    {"f[^eiu][^eiu][^eiu][^eiu][^eiu]r", "foo/bar", false},
    {"f[^eiu][^eiu][^eiu][^eiu][^eiu]r", "foo-bar", true},
    {"**/foo", "foo", false},
    {"**/foo", "/foo", true},
    {"**/foo", "bar/baz/foo", true},
    {"*/foo", "bar/baz/foo", false},
    {"**/bar*", "foo/bar/baz", false},
    {"**/bar/*", "deep/foo/bar/baz", true},
    {"**/bar/*", "deep/foo/bar/baz/", false},
    {"**/bar/**", "deep/foo/bar/baz/", true},
    {"**/bar/*", "deep/foo/bar", false},
    {"**/bar/**", "deep/foo/bar/", true},
    {"**/bar**", "foo/bar/baz", true},
    {"*/bar/**", "foo/bar/baz/x", true},
    {"*/bar/**", "deep/foo/bar/baz/x", false},
    {"**/bar/*/*", "deep/foo/bar/baz/x", true},
    {"**/t[o]", "foo/bar/baz/to", true},
    {"*", "a/b", false},
    {"**", "a/b", true},
    {"a/*", "a/b/c", false},
    {"a/**", "a/b/c", true},
    {"a/***", "a/b", true},
    /* many stars: the search must stay polynomial */
    {"-*-*-*-*-*-*-12-*-*-*-m-*-*-*", "-adobe-courier-bold-o-normal--12-120-75-75-m-70-iso8859-1",
     true},
    {"-*-*-*-*-*-*-12-*-*-*-m-*-*-*", "-adobe-courier-bold-o-normal--12-120-75-75-X-70-iso8859-1",
     false},
    {"-*-*-*-*-*-*-12-*-*-*-m-*-*-*", "-adobe-courier-bold-o-normal--12-120-75-75-/-70-iso8859-1",
     false},
    {"/*/*/*/*/*/*/12/*/*/*/m/*/*/*", "/adobe/courier/bold/o/normal//12/120/75/75/m/70/iso8859/1",
     true},
    {"/*/*/*/*/*/*/12/*/*/*/m/*/*/*", "/adobe/courier/bold/o/normal//12/120/75/75/X/70/iso8859/1",
     false},
    {"**/*a*b*g*n*t", "abcd/abcdefg/abcdefghijk/abcdefghijklmnop.txt", true},
    {"**/*a*b*g*n*t", "abcd/abcdefg/abcdefghijk/abcdefghijklmnop.txtz", false},
};

static void test_table(void **state)
{
	(void)state;
	size_t bad = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool got = ur_wildmatch(cases[i].pattern, cases[i].text);
		if (got != cases[i].want) {
			printf("case %zu: pattern '%s' text '%s': got %d want %d\n", i,
			       cases[i].pattern, cases[i].text, got, cases[i].want);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
	assert_true(sizeof(cases) / sizeof(cases[0]) >= 80);
}

struct at_case {
	const char *pattern;
	const char *text;
	int where;
	bool want;
};

/* Where a pattern is tried, as rsync's filter code asks for it. */
static const struct at_case at_cases[] = {
    {"b/c", "a/b/c", 2, true},
    {"a/b/c", "a/b/c", 3, true},
    {"a/b/c", "a/b/c", 4, false},
    {"b/*", "a/b/c", 2, true},
    {"b/*", "x/a/b/c", 2, true},
    {"a/*", "x/a/b/c", 2, false},
    {"c/**", "a/c/d/e", UR_WM_ANY_START, true},
    {"c/**", "a/xc/d/e", UR_WM_ANY_START, false},
    {"c/**/e", "c/d/e", UR_WM_ANY_START, true},
    {"d/*", "a/c/d/e/f", UR_WM_ANY_START, false},
    {"d/*/f", "a/c/d/e/f", UR_WM_ANY_START, true},
    {"b/**", "a/b", UR_WM_ANY_START, false},
    {"b/**", "a/b/", UR_WM_ANY_START, true},
    {"a/b", "a/b", UR_WM_WHOLE, true},
    {"a/b", "x/a/b", UR_WM_WHOLE, false},
};

static void test_where(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(at_cases) / sizeof(at_cases[0]); i++) {
		const struct at_case *c = &at_cases[i];
		if (ur_wildmatch_at(c->pattern, c->text, c->where) != c->want)
			fail_msg("case %zu: '%s' vs '%s' where %d", i, c->pattern, c->text,
				 c->where);
	}
	assert_true(ur_litmatch_at("b/c", "a/b/c", 2));
	assert_false(ur_litmatch_at("b/c", "a/xb/c", 2));
	assert_false(ur_litmatch_at("a/b/c", "b/c", 3));
	assert_true(ur_litmatch_at("x", "x", UR_WM_WHOLE));
}

static void test_fold(void **state)
{
	(void)state;
	assert_true(ur_iwildmatch("FOO*", "foobar"));
	assert_true(ur_iwildmatch("foo*", "FOOBAR"));
	assert_true(ur_iwildmatch("[A-C]x", "bX"));
	assert_false(ur_wildmatch("FOO*", "foobar"));
	assert_false(ur_iwildmatch("foo", "fox"));
}

/* Long and hostile inputs finish quickly and do not overflow the stack. */
static void test_hostile(void **state)
{
	(void)state;
	size_t n = 100 * 1024;
	char *pat = malloc(n + 1), *text = malloc(n + 1);
	assert_non_null(pat);
	assert_non_null(text);
	for (size_t i = 0; i < n; i++) {
		pat[i] = (i % 2) ? 'a' : '*';
		text[i] = 'a';
	}
	pat[n] = text[n] = '\0';
	text[n - 1] = 'b';
	assert_false(ur_wildmatch(pat, text));

	memset(pat, '*', n);
	assert_true(ur_wildmatch(pat, text));

	for (size_t i = 0; i < n; i++)
		pat[i] = (i % 3 == 2) ? 'a' : '*';
	assert_false(ur_wildmatch(pat, text));

	memset(pat, '[', n);
	assert_false(ur_wildmatch(pat, text));
	free(pat);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_where),
	    cmocka_unit_test(test_fold),
	    cmocka_unit_test(test_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
