/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Filter rules. Expectations were checked against rsync 3.5.0: a small tree
 * listed with `rsync -a --list-only -f RULE... src/` and the same rules run
 * through ur_filter_check by a walker over the same tree gave the same
 * listing for every rule set below that involves the sender's list.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "filter/filter.h"

/* ---- an in-memory file system for the read_file callback ---- */

struct memfile {
	const char *path;
	const char *data;
};

struct memfs {
	const struct memfile *files;
	int reads;
};

static int mem_read(void *ctx, const char *path, char **buf, size_t *len)
{
	struct memfs *fs = ctx;
	for (const struct memfile *f = fs->files; f && f->path; f++) {
		if (strcmp(f->path, path) == 0) {
			size_t n = strlen(f->data);
			*buf = malloc(n + 1);
			if (!*buf)
				return -ENOMEM;
			memcpy(*buf, f->data, n + 1);
			*len = n;
			fs->reads++;
			return 0;
		}
	}
	return -ENOENT;
}

static const struct memfile files[] = {
    {"excl", "- *.o\n# a comment\n\n; another\n+ foo\n- f*\n"},
    {"crlf", "- a\r\n- b\r- c\n"},
    {"bare", "*.tmp\n/top\n!\n*.log\n"},
    {"words", "x.o  y.o\tz.o\n"},
    {"nest1", "- n1\n. nest2\n"},
    {"nest2", "- n2\n"},
    {"self", "merge self\n"},
    {"sided", "- a\n"},
    {"sidedbad", "H a\n"},
    {"badrule", "bogus line\n"},
    {"/home/u/.cvsignore", "*.home\n"},
    {NULL, NULL},
};

static struct ur_filter_list *new_list(struct memfs *fs, const struct memfile *fl)
{
	fs->files = fl;
	fs->reads = 0;
	struct ur_filter_config cfg = {.read_file = mem_read, .ctx = fs};
	struct ur_filter_list *l = ur_filter_list_new(&cfg);
	assert_non_null(l);
	return l;
}

/* ---- the table ---- */

enum { F = 0, D = 1 }; /* file or directory */
#define S UR_FILTER_SENDER
#define R UR_FILTER_RECEIVER
enum { INC = UR_FILTER_INCLUDE, EXC = UR_FILTER_EXCLUDE, NOM = UR_FILTER_NOMATCH };

struct fcase {
	const char *rules[5]; /* --filter arguments; "=x" --exclude=x, "+=x" --include=x */
	const char *path;
	int is_dir;
	int side;
	int want;
};

static const struct fcase cases[] = {
    /* basic matching on the last component */
    {{"- *.o"}, "x.o", F, S, EXC},
    {{"- *.o"}, "a/b/x.o", F, S, EXC},
    {{"- *.o"}, "x.c", F, S, NOM},
    {{"- foo"}, "a/foo", F, S, EXC},
    {{"- foo"}, "a/foo", D, S, EXC},
    {{"- foo"}, "a/foobar", F, S, NOM},
    {{"+ foo"}, "foo", F, S, INC},
    {{"exclude foo"}, "foo", F, S, EXC},
    {{"include foo"}, "foo", F, S, INC},
    {{"exclude,s foo"}, "foo", F, S, EXC},
    {{"-_foo"}, "foo", F, S, EXC},
    {{"- foo bar"}, "foo bar", F, S, EXC},
    {{"-  foo"}, "foo", F, S, NOM}, /* the second space is part of the pattern */
    {{"-  foo"}, " foo", F, S, EXC},
    /* first match wins */
    {{"+ foo", "- *"}, "foo", F, S, INC},
    {{"- *", "+ foo"}, "foo", F, S, EXC},
    {{"+ */", "+ *.c", "- *"}, "src", D, S, INC},
    {{"+ */", "+ *.c", "- *"}, "src/x.c", F, S, INC},
    {{"+ */", "+ *.c", "- *"}, "src/x.h", F, S, EXC},
    /* anchoring */
    {{"- /foo"}, "foo", F, S, EXC},
    {{"- /foo"}, "a/foo", F, S, NOM},
    {{"- /a/b"}, "a/b", F, S, EXC},
    {{"- /b"}, "a/b", F, S, NOM},
    {{"- a/b"}, "x/a/b", F, S, EXC},
    {{"- a/b"}, "xa/b", F, S, NOM},
    {{"- a/*/z"}, "a/b/z", F, S, EXC},
    {{"- a/*/z"}, "q/a/b/z", F, S, EXC},
    {{"- a/*/z"}, "a/b/c/z", F, S, NOM},
    {{"- /a/**/baz"}, "a/b/c/baz", F, S, EXC},
    {{"- /a/**/baz"}, "a/baz", F, S, NOM},
    {{"- c/**/baz"}, "x/c/d/baz", F, S, EXC},
    {{"- **/bar"}, "bar", F, S, EXC},
    {{"- **/bar"}, "a/b/bar", F, S, EXC},
    {{"- **"}, "a/b", F, S, EXC},
    /* directory-only rules */
    {{"- foo/"}, "a/foo", D, S, EXC},
    {{"- foo/"}, "a/foo", F, S, NOM},
    {{"-! */"}, "a/x", F, S, EXC},
    {{"-! */"}, "a/x", D, S, NOM},
    {{"exclude,! */"}, "x", F, S, EXC},
    {{"-! *.c"}, "x.c", F, S, NOM},
    {{"-! *.c"}, "x.h", F, S, EXC},
    /* a trailing triple star matches the directory and everything in it */
    {{"- a/***"}, "a", D, S, EXC},
    {{"- a/***"}, "a", F, S, NOM},
    {{"- a/***"}, "a/b/c", F, S, EXC},
    {{"+ a/***", "- *"}, "b", F, S, EXC},
    /* wildcards and escapes */
    {{"- we[ir]d"}, "wed", F, S, NOM},
    {{"- we[ir]d"}, "weird", F, S, NOM},
    {{"- we[ir]d"}, "weid", F, S, EXC},
    {{"- w[ei]d"}, "wid", F, S, EXC},
    {{"- we\\[ir]d"}, "we[ir]d", F, S, EXC},
    {{"- b\\ack"}, "b\\ack", F, S, EXC}, /* no wildcard: backslash is literal */
    {{"- b\\\\ack*"}, "b\\ack", F, S, EXC},
    {{"- *[!a-m]"}, "core", F, S, NOM},
    {{"- *[!a-m]"}, "foo", F, S, EXC},
    {{"- [[:upper:]]*"}, "CVS", D, S, EXC},
    {{"- [a-"}, "[a-", F, S, NOM},   /* an unterminated set matches nothing, */
    {{"- [a-*"}, "[a-x", F, S, NOM}, /* not even itself, and is no error */
    {{"- [[:bogus:]]*"}, "x", F, S, NOM},
    {{"- ?"}, "a", D, S, EXC},
    {{"- ?"}, "ab", F, S, NOM},
    /* sides: hide/show are the sender's, protect/risk the receiver's */
    {{"H *.c"}, "x.c", F, S, EXC},
    {{"H *.c"}, "x.c", F, R, NOM},
    {{"S *.c", "- *"}, "x.c", F, S, INC},
    {{"P *.c"}, "x.c", F, S, NOM},
    {{"P *.c"}, "x.c", F, R, EXC},
    {{"R *.c", "- *"}, "x.c", F, R, INC},
    {{"-s *.c"}, "x.c", F, R, NOM},
    {{"-r *.c"}, "x.c", F, R, EXC},
    {{"-sr *.c"}, "x.c", F, R, EXC},
    {{"- *.c"}, "x.c", F, R, EXC},
    {{"hide,p x"}, "x", F, S, EXC},
    /* clear */
    {{"- foo", "!"}, "foo", F, S, NOM},
    {{"- a", "clear", "- c"}, "a", F, S, NOM},
    {{"- a", "clear", "- c"}, "c", F, S, EXC},
    {{"- foo", "=!", "- a"}, "foo", F, S, NOM},
    /* old-style --include/--exclude */
    {{"=*.o"}, "x.o", F, S, EXC},
    {{"+=*.c", "=*"}, "x.c", F, S, INC},
    {{"+=*.c", "=*"}, "x.h", F, S, EXC},
    {{"=+ foo", "- *"}, "foo", F, S, INC},
    {{"=- foo"}, "foo", F, S, EXC},
    {{"=!x"}, "!x", F, S, EXC},
    {{"=exclude foo"}, "exclude foo", F, S, EXC},
    /* -C: the built-in CVS list */
    {{"-C"}, "CVS", D, S, EXC},
    {{"-C"}, "a/x.o", F, S, EXC},
    {{"-C"}, "t~", F, S, EXC},
    {{"-C"}, "core", F, S, EXC},
    {{"-C"}, ".git", D, S, EXC},
    {{"-C"}, ".git", F, S, NOM},
    {{"-C"}, "x.c", F, S, NOM},
    {{"-C"}, "#x", F, S, EXC},
    {{"+ core", "-C"}, "core", F, S, INC},
    /* merge files */
    {{". excl"}, "x.o", F, S, EXC},
    {{"merge excl"}, "foo", F, S, INC},
    {{"merge excl"}, "fab", F, S, EXC},
    {{"merge excl"}, "a comment", F, S, NOM},
    {{". crlf"}, "b", F, S, EXC},
    {{". crlf"}, "c", F, S, EXC},
    {{".- bare"}, "x.tmp", F, S, EXC}, /* "!" is a plain pattern here... */
    {{".- bare"}, "!", F, S, EXC},
    {{".C bare"}, "x.tmp", F, S, NOM}, /* ...but clears in a C file */
    {{".C bare"}, "x.log", F, S, EXC},
    {{".- bare"}, "x.log", F, S, EXC},
    {{".+ bare", "- *"}, "x.log", F, S, INC},
    {{".w- words"}, "y.o", F, S, EXC},
    {{".w- words"}, "z.o", F, S, EXC},
    {{". nest1"}, "n2", F, S, EXC},
    {{".e excl"}, "excl", F, S, EXC},
    {{".s sided"}, "a", F, R, NOM},
    {{".s sided"}, "a", F, S, EXC},
    {{"merge,-/ bare"}, "x/top", F, S, NOM},
};

static int add_arg(struct ur_filter_list *l, const char *arg, struct ur_err *err)
{
	if (strncmp(arg, "+=", 2) == 0)
		return ur_filter_add(l, arg + 2, UR_FILTER_OLD_PREFIXES | UR_FILTER_DEFAULT_INCLUDE,
				     err);
	if (arg[0] == '=')
		return ur_filter_add(l, arg + 1, UR_FILTER_OLD_PREFIXES, err);
	return ur_filter_add(l, arg, 0, err);
}

static void test_table(void **state)
{
	(void)state;
	size_t n = sizeof(cases) / sizeof(cases[0]);
	size_t bad = 0;
	for (size_t i = 0; i < n; i++) {
		const struct fcase *c = &cases[i];
		struct memfs fs;
		struct ur_filter_list *l = new_list(&fs, files);
		struct ur_err err = {0};
		for (int j = 0; j < 5 && c->rules[j]; j++) {
			if (add_arg(l, c->rules[j], &err) < 0) {
				printf("case %zu: rule '%s': %s\n", i, c->rules[j], err.msg);
				bad++;
			}
		}
		int got = ur_filter_check(l, c->path, c->is_dir, (enum ur_filter_side)c->side);
		if (got != c->want) {
			printf("case %zu: %s '%s' %s: got %d want %d\n", i, c->rules[0], c->path,
			       c->is_dir ? "dir" : "file", got, c->want);
			bad++;
		}
		ur_filter_list_free(l);
	}
	assert_int_equal(bad, 0);
	assert_true(n >= 60);
}

/* ---- errors ---- */

struct ecase {
	const char *rule;
	int code;
	const char *msg;
};

static const struct ecase errors[] = {
    {"cat foo", UR_EXIT_SYNTAX, "Unknown filter rule: cat foo"},
    {"x", UR_EXIT_SYNTAX, "Unknown filter rule: x"},
    {"s foo", UR_EXIT_SYNTAX, "Unknown filter rule: s foo"},
    {"-foo", UR_EXIT_SYNTAX, "invalid modifier 'f' at position 1 in filter rule: -foo"},
    {"+q a", UR_EXIT_SYNTAX, "invalid modifier 'q' at position 1 in filter rule: +q a"},
    {"P*", UR_EXIT_SYNTAX, "invalid modifier '*' at position 1 in filter rule: P*"},
    {"-n foo", UR_EXIT_SYNTAX, "invalid modifier 'n' at position 1 in filter rule: -n foo"},
    {".! x", UR_EXIT_SYNTAX, "invalid modifier '!' at position 1 in filter rule: .! x"},
    {"Hs x", UR_EXIT_SYNTAX, "invalid modifier 's' at position 1 in filter rule: Hs x"},
    {"HC", UR_EXIT_SYNTAX, "invalid modifier 'C' at position 1 in filter rule: HC"},
    {".-+ x", UR_EXIT_SYNTAX, "invalid modifier '+' at position 2 in filter rule: .-+ x"},
    {"! x", UR_EXIT_SYNTAX, "'!' rule has trailing characters: ! x"},
    {"clear x", UR_EXIT_SYNTAX, "'!' rule has trailing characters: clear x"},
    {"- ", UR_EXIT_SYNTAX, "unexpected end of filter rule: - "},
    {"+", UR_EXIT_SYNTAX, "unexpected end of filter rule: +"},
    {"merge /nonexist", UR_EXIT_FILEIO,
     "failed to open exclude file /nonexist: No such file or directory (2)"},
    {". self", UR_EXIT_FILEIO, "merge-file include depth limit (32) exceeded at <rule from "},
    {". badrule", UR_EXIT_SYNTAX, "Unknown filter rule: <rule from badrule line 1>"},
    {".s sidedbad", UR_EXIT_SYNTAX,
     "specified-side merge file contains specified-side filter: <rule from sidedbad line 1>"},
};

static void test_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		struct memfs fs;
		struct ur_filter_list *l = new_list(&fs, files);
		struct ur_err err = {0};
		int rc = ur_filter_add(l, errors[i].rule, 0, &err);
		if (rc >= 0 || err.code != errors[i].code ||
		    strncmp(err.msg, errors[i].msg, strlen(errors[i].msg)) != 0)
			fail_msg("rule '%s': rc %d code %d msg '%s'", errors[i].rule, rc, err.code,
				 err.msg);
		ur_filter_list_free(l);
	}
}

static void test_errors_misc(void **state)
{
	(void)state;
	struct memfs fs;
	struct ur_filter_list *l = new_list(&fs, files);
	struct ur_err err = {0};

	/* A dir-merge file that does not exist is fine; a merge file is not. */
	assert_int_equal(ur_filter_add(l, ": /nonexist", 0, &err), 0);
	assert_int_equal(ur_filter_add(l, "dir-merge .missing", 0, &err), 0);
	assert_int_equal(ur_filter_push_dir(l, "", &err), 0);
	ur_filter_pop_dir(l);

	assert_int_equal(ur_filter_add_file(l, "/none", UR_FILTER_OLD_PREFIXES, &err), -ENOENT);
	assert_int_equal(err.code, UR_EXIT_FILEIO);
	assert_string_equal(err.msg,
			    "failed to open exclude file /none: No such file or directory (2)");
	assert_int_equal(ur_filter_add_file(
			     l, "/none", UR_FILTER_OLD_PREFIXES | UR_FILTER_DEFAULT_INCLUDE, &err),
			 -ENOENT);
	assert_string_equal(err.msg,
			    "failed to open include file /none: No such file or directory (2)");

	/* Errors inside a merge file do not echo the line. */
	assert_int_equal(ur_filter_add_buf(l, "F", "- ok\n-zz\n", 9, 0, &err), -EINVAL);
	assert_string_equal(err.msg, "invalid modifier in filter rule: <rule from F line 2>");
	ur_filter_list_free(l);

	/* Over-long patterns are dropped, not fatal. */
	l = new_list(&fs, files);
	size_t n = 100 * 1024;
	char *big = malloc(n + 3);
	assert_non_null(big);
	memcpy(big, "- ", 2);
	memset(big + 2, 'a', n);
	big[n + 2] = '\0';
	assert_int_equal(ur_filter_add(l, big, 0, &err), 0);
	assert_int_equal(ur_filter_count(l), 0);
	assert_int_equal(ur_filter_discarded(l), 1);
	big[0] = '\n';
	assert_int_equal(ur_filter_add_buf(l, "big", big, n + 2, 0, &err), 0);
	assert_int_equal(ur_filter_discarded(l), 2);
	free(big);
	ur_filter_list_free(l);
	ur_filter_list_free(NULL);
}

/* ---- per-directory merge files ---- */

static const struct memfile tree[] = {
    {".rules", "- top.o\n- /anch\n"},
    {"a/.rules", "- y.c\n- /foo\n"},
    {"a/b/.rules", "- /z\n!\n- inner\n"},
    {"c/.rules", "- /w\n"},
    {"n/.rules", "- nfile\n"},
    {"sub/.cvsignore", "*.o core\n"},
    {"sub/deeper/.cvsignore", "! keep\n"},
    {"d/.other", "- other\n"},
    {"d/.rules", ": .other\n- dfile\n"},
    {"e/.rules", "bogus\n"},
    {NULL, NULL},
};

static void test_dirmerge(void **state)
{
	(void)state;
	struct memfs fs;
	struct ur_filter_list *l = new_list(&fs, tree);
	struct ur_err err = {0};

	assert_int_equal(ur_filter_add(l, ": .rules", 0, &err), 0);
	assert_int_equal(ur_filter_push_dir(l, ".", &err), 0);
	assert_int_equal(ur_filter_check(l, "top.o", false, S), EXC);
	assert_int_equal(ur_filter_check(l, "anch", false, S), EXC);
	assert_int_equal(ur_filter_check(l, "a/anch", false, S), NOM);

	assert_int_equal(ur_filter_push_dir(l, "a", &err), 0);
	assert_int_equal(ur_filter_check(l, "a/y.c", false, S), EXC);
	assert_int_equal(ur_filter_check(l, "a/foo", true, S), EXC); /* "/foo" is a/foo */
	assert_int_equal(ur_filter_check(l, "foo", false, S), NOM);
	assert_int_equal(ur_filter_check(l, "a/top.o", false, S), EXC); /* inherited */

	assert_int_equal(ur_filter_push_dir(l, "a/b", &err), 0);
	/* "!" in a/b/.rules dropped everything inherited and its own "- /z" */
	assert_int_equal(ur_filter_check(l, "a/b/z", false, S), NOM);
	assert_int_equal(ur_filter_check(l, "a/b/y.c", false, S), NOM);
	assert_int_equal(ur_filter_check(l, "a/b/top.o", false, S), NOM);
	assert_int_equal(ur_filter_check(l, "a/b/inner", false, S), EXC);
	ur_filter_pop_dir(l);

	assert_int_equal(ur_filter_check(l, "a/b/inner", false, S), NOM);
	assert_int_equal(ur_filter_check(l, "a/y.c", false, S), EXC);
	ur_filter_pop_dir(l);
	assert_int_equal(ur_filter_check(l, "a/y.c", false, S), NOM);

	/* A dir-merge rule inside a per-directory file. */
	assert_int_equal(ur_filter_push_dir(l, "d", &err), 0);
	assert_int_equal(ur_filter_check(l, "d/dfile", false, S), EXC);
	assert_int_equal(ur_filter_check(l, "d/other", false, S), EXC);
	ur_filter_pop_dir(l);
	assert_int_equal(ur_filter_check(l, "d/other", false, S), NOM);

	/* A bad rule in a per-directory file is an error (exit 1). */
	assert_int_equal(ur_filter_push_dir(l, "e", &err), -EINVAL);
	assert_int_equal(err.code, UR_EXIT_SYNTAX);
	assert_string_equal(err.msg, "Unknown filter rule: <rule from e/.rules line 1>");
	ur_filter_pop_dir(l);

	ur_filter_pop_dir(l);
	ur_filter_pop_dir(l); /* one too many is harmless */
	ur_filter_list_free(l);
}

static void test_dirmerge_modifiers(void **state)
{
	(void)state;
	struct memfs fs;
	struct ur_err err = {0};

	/* n: rules apply only in their own directory */
	struct ur_filter_list *l = new_list(&fs, tree);
	assert_int_equal(ur_filter_add(l, ":n .rules", 0, &err), 0);
	assert_int_equal(ur_filter_push_dir(l, "", &err), 0);
	assert_int_equal(ur_filter_check(l, "top.o", false, S), EXC);
	assert_int_equal(ur_filter_push_dir(l, "n", &err), 0);
	assert_int_equal(ur_filter_check(l, "n/top.o", false, S), NOM);
	assert_int_equal(ur_filter_check(l, "n/nfile", false, S), EXC);
	ur_filter_pop_dir(l);
	ur_filter_pop_dir(l);
	ur_filter_list_free(l);

	/* e: the merge file itself is excluded */
	l = new_list(&fs, tree);
	assert_int_equal(ur_filter_add(l, "dir-merge,e .rules", 0, &err), 0);
	assert_int_equal(ur_filter_check(l, "x/.rules", false, S), EXC);
	ur_filter_list_free(l);

	/* C: .cvsignore, word-split, no inheritance, "!" clears */
	l = new_list(&fs, tree);
	assert_int_equal(ur_filter_add(l, ":C", 0, &err), 0);
	assert_int_equal(ur_filter_push_dir(l, "sub", &err), 0);
	assert_int_equal(ur_filter_check(l, "sub/a.o", false, S), EXC);
	assert_int_equal(ur_filter_check(l, "sub/core", false, S), EXC);
	assert_int_equal(ur_filter_push_dir(l, "sub/deeper", &err), 0);
	assert_int_equal(ur_filter_check(l, "sub/deeper/a.o", false, S), NOM);
	assert_int_equal(ur_filter_check(l, "sub/deeper/keep", false, S), EXC);
	ur_filter_pop_dir(l);
	ur_filter_pop_dir(l);
	ur_filter_list_free(l);

	/* the same name twice is one dir-merge */
	l = new_list(&fs, tree);
	assert_int_equal(ur_filter_add(l, ": .rules", 0, &err), 0);
	assert_int_equal(ur_filter_add(l, ":n .rules", 0, &err), 0);
	assert_int_equal(ur_filter_count(l), 1);
	ur_filter_list_free(l);
}

/* Parent directories of the transfer root ("/.rsync-filter" via -F). */
static const struct memfile parents[] = {
    {"/.rsync-filter", "- rootrule\n"},
    {"/t/.rsync-filter", "- /src/anch\n- tmprule\n"},
    {".rsync-filter", "- srcrule\n"},
    {NULL, NULL},
};

static void test_parent_scan(void **state)
{
	(void)state;
	struct memfs fs = {.files = parents};
	struct ur_filter_config cfg = {.read_file = mem_read, .ctx = &fs, .abs_root = "/t/src"};
	struct ur_filter_list *l = ur_filter_list_new(&cfg);
	struct ur_err err = {0};
	char text[64];

	assert_non_null(l);
	assert_int_equal(ur_filter_add_F(l, 1, &err), 0);
	assert_int_equal(ur_filter_add_F(l, 2, &err), 0);
	assert_int_equal(ur_filter_add_F(l, 3, &err), 0);
	assert_int_equal(ur_filter_count(l), 2);
	assert_int_equal(ur_filter_rule_text(l, 1, text, sizeof(text)), 15);
	assert_string_equal(text, "- .rsync-filter");

	assert_int_equal(ur_filter_push_dir(l, "", &err), 0);
	assert_int_equal(ur_filter_check(l, "x/rootrule", false, S), EXC);
	assert_int_equal(ur_filter_check(l, "tmprule", false, S), EXC);
	assert_int_equal(ur_filter_check(l, "srcrule", false, S), EXC);
	assert_int_equal(ur_filter_check(l, "anch", false, S), EXC);
	assert_int_equal(ur_filter_check(l, "x/anch", false, S), NOM);
	assert_int_equal(ur_filter_check(l, ".rsync-filter", false, S), EXC);
	assert_int_equal(ur_filter_rule_text(l, 0, text, sizeof(text)), 15);
	assert_string_equal(text, ": .rsync-filter");
	ur_filter_pop_dir(l);
	ur_filter_list_free(l);

	/* A relative name climbing out of the root scans from there. */
	cfg.abs_root = "/t/src/";
	l = ur_filter_list_new(&cfg);
	assert_non_null(l);
	assert_int_equal(ur_filter_add(l, ": ../.rsync-filter", 0, &err), 0);
	assert_int_equal(ur_filter_push_dir(l, "", &err), 0);
	assert_int_equal(ur_filter_check(l, "tmprule", false, S), EXC);
	assert_int_equal(ur_filter_check(l, "rootrule", false, S), NOM);
	assert_int_equal(ur_filter_check(l, "srcrule", false, S), EXC);
	ur_filter_pop_dir(l);
	ur_filter_list_free(l);

	/* At "/" there are no parents: the root's file is read once. */
	cfg.abs_root = "/";
	fs.reads = 0;
	l = ur_filter_list_new(&cfg);
	assert_non_null(l);
	assert_int_equal(ur_filter_add_F(l, 1, &err), 0);
	assert_int_equal(ur_filter_push_dir(l, "", &err), 0);
	assert_int_equal(fs.reads, 1);
	ur_filter_pop_dir(l);
	ur_filter_list_free(l);
}

/* ---- CVS and environment ---- */

static void test_cvs(void **state)
{
	(void)state;
	struct memfs fs = {.files = files};
	struct ur_filter_config cfg = {
	    .read_file = mem_read, .ctx = &fs, .home = "/home/u", .cvsignore = "*.env !x"};
	struct ur_filter_list *l = ur_filter_list_new(&cfg);
	struct ur_err err = {0};

	assert_non_null(l);
	assert_int_equal(ur_filter_add_cvs_exclude(l, &err), 0);
	assert_int_equal(ur_filter_check(l, "a.home", false, S), EXC);
	assert_int_equal(ur_filter_check(l, "a.env", false, S), EXC);
	assert_int_equal(ur_filter_check(l, "!x", false, S), EXC);
	assert_int_equal(ur_filter_check(l, "x.o", false, S), EXC);
	/* the built-in names are perishable */
	assert_int_equal(ur_filter_check_ex(l, "x.o", UR_FILTER_NO_PERISHABLE, R), NOM);
	assert_int_equal(ur_filter_check_ex(l, "a.env", UR_FILTER_NO_PERISHABLE, R), EXC);
	assert_int_equal(ur_filter_add_cvsignore(l, "later", &err), 0);
	assert_int_equal(ur_filter_check(l, "later", false, S), EXC);
	assert_non_null(strstr(ur_filter_cvs_default(), "*.orig"));
	ur_filter_list_free(l);

	/* "!" in $CVSIGNORE clears the list built so far */
	cfg.cvsignore = "! only";
	l = ur_filter_list_new(&cfg);
	assert_non_null(l);
	assert_int_equal(ur_filter_add(l, "-C", 0, &err), 0);
	assert_int_equal(ur_filter_check(l, "x.o", false, S), NOM);
	assert_int_equal(ur_filter_check(l, "only", false, S), EXC);
	ur_filter_list_free(l);
}

static void test_delete_excluded_and_xattr(void **state)
{
	(void)state;
	struct ur_filter_config cfg = {.delete_excluded = true};
	struct ur_filter_list *l = ur_filter_list_new(&cfg);
	struct ur_err err = {0};

	assert_non_null(l);
	assert_int_equal(ur_filter_add(l, "- *.o", 0, &err), 0);
	assert_int_equal(ur_filter_add(l, "P keep", 0, &err), 0);
	assert_int_equal(ur_filter_check(l, "x.o", false, S), EXC);
	assert_int_equal(ur_filter_check(l, "x.o", false, R), NOM);
	assert_int_equal(ur_filter_check(l, "keep", false, R), EXC);
	ur_filter_list_free(l);

	l = ur_filter_list_new(NULL);
	assert_non_null(l);
	assert_int_equal(ur_filter_add(l, "-x user.*", 0, &err), 0);
	assert_int_equal(ur_filter_check(l, "user.foo", false, S), NOM);
	assert_int_equal(ur_filter_check_ex(l, "user.foo", UR_FILTER_IS_XATTR, S), EXC);
	/* no read_file callback: merge files cannot be read */
	assert_int_equal(ur_filter_add(l, ". x", 0, &err), -ENOENT);
	ur_filter_list_free(l);
}

/* rsyncd.conf "exclude = foo/ /bar.c c/deep", checked against what an
 * rsync 3.5.0 daemon with that module lists. */
static void test_daemon(void **state)
{
	(void)state;
	const unsigned fl = UR_FILTER_WORDS | UR_FILTER_DAEMON | UR_FILTER_OLD_PREFIXES;
	struct ur_filter_config cfg = {.abs_root = "/"};
	struct ur_err err = {0};
	struct ur_filter_list *l = ur_filter_list_new(&cfg);

	assert_non_null(l);
	assert_int_equal(ur_filter_add(l, "foo/ /bar.c  c/deep", fl, &err), 0);
	assert_int_equal(ur_filter_count(l), 3);
	assert_int_equal(ur_filter_check(l, "a/foo", true, S), EXC);
	assert_int_equal(ur_filter_check(l, "a/foo/q", false, S), EXC);
	assert_int_equal(ur_filter_check(l, "foo", false, S), NOM);
	assert_int_equal(ur_filter_check(l, "bar.c", false, S), EXC);
	assert_int_equal(ur_filter_check(l, "x/bar.c", false, S), NOM);
	assert_int_equal(ur_filter_check(l, "c/deep", true, S), EXC);
	assert_int_equal(ur_filter_check(l, "x/c/deep", true, S), EXC); /* not anchored */
	ur_filter_list_free(l);

	/* rsync://host/m/a/: the transfer root is "a" inside the module */
	cfg.abs_root = "/a";
	l = ur_filter_list_new(&cfg);
	assert_non_null(l);
	assert_int_equal(ur_filter_add(l, "foo/ /bar.c c/deep /a/b/z", fl, &err), 0);
	assert_int_equal(ur_filter_check(l, "foo", true, S), EXC);
	assert_int_equal(ur_filter_check(l, "b/foo", false, S), NOM);
	assert_int_equal(ur_filter_check(l, "b/z", false, S), EXC);
	assert_int_equal(ur_filter_check(l, "bar.c", false, S), NOM);
	ur_filter_list_free(l);
}

static void test_rule_text(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} t[] = {
	    {"- *.o", "- *.o"},
	    {"include foo/", "+ foo/"},
	    {"H x", "-s x"},
	    {"R x", "+r x"},
	    {"-!p x", "-!p x"},
	    {":n- .r", ":n- .r"},
	    {"dir-merge,e .r", ": .r"},
	    {"-/ a/b", "-/ a/b"},
	    {":C", ":C .cvsignore"},
	    {"-x user.*", "-x user.*"},
	};
	char buf[64];
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct ur_filter_list *l = ur_filter_list_new(NULL);
		struct ur_err err = {0};
		assert_non_null(l);
		assert_int_equal(ur_filter_add(l, t[i].in, 0, &err), 0);
		size_t last = ur_filter_count(l) - 1;
		assert_true(ur_filter_rule_text(l, last, buf, sizeof(buf)) > 0);
		assert_string_equal(buf, t[i].out);
		ur_filter_list_free(l);
	}
	struct ur_filter_list *l = ur_filter_list_new(NULL);
	assert_int_equal(ur_filter_rule_text(l, 0, buf, sizeof(buf)), -ERANGE);
	ur_filter_list_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_errors_misc),
	    cmocka_unit_test(test_dirmerge),
	    cmocka_unit_test(test_dirmerge_modifiers),
	    cmocka_unit_test(test_parent_scan),
	    cmocka_unit_test(test_cvs),
	    cmocka_unit_test(test_delete_excluded_and_xattr),
	    cmocka_unit_test(test_daemon),
	    cmocka_unit_test(test_rule_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
