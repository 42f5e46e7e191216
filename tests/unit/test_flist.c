/* SPDX-License-Identifier: GPL-3.0-or-later */
/* File-list order (rsync's, as observed from `rsync -ai`) and de-duplication. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "flist/flist.h"

struct cmp_case {
	const char *a;
	bool a_dir;
	const char *b;
	bool b_dir;
	int sign; /* -1: a first, 0: same, 1: b first */
};

static const struct cmp_case cmp_cases[] = {
	{".", true, "a", false, -1},
	{"a", false, ".", true, 1},
	{".", true, ".", true, 0},
	/* Within one directory every file comes before every directory. */
	{"aa", false, "a", true, -1},
	{"zz", false, "a", true, -1},
	{"b", true, "a", false, 1},
	/* Directories compare as "name/": "a.b/" < "a/" because '.' < '/'. */
	{"a.b", true, "a", true, -1},
	{"a", true, "a.b", true, 1},
	/* Files compare plainly: "a" < "a.b". */
	{"a", false, "a.b", false, -1},
	{"0", false, "aa", false, -1},
	/* Bytes, not locale: upper case before lower, UTF-8 after ASCII. */
	{"B", false, "a", false, -1},
	{"z", false, "\xc3\xa9", false, -1},
	/* A directory comes right before its contents. */
	{"a", true, "a/x", false, -1},
	{"a/x", false, "a", true, 1},
	/* Inside a/: the file x before the directory sub and what it holds. */
	{"a/x", false, "a/sub", true, -1},
	{"a/x", false, "a/sub/z", false, -1},
	{"a/sub", true, "a/sub/z", false, -1},
	/* Contents of a/ before the next directory b/. */
	{"a/sub/z", false, "b", true, -1},
	{"a.b/y", false, "a", true, -1},
	{"a.b/y", false, "a/x", false, -1},
	/* The same path. */
	{"a/b/c", false, "a/b/c", false, 0},
	{"a/b", true, "a/b", true, 0},
	/* A file and a directory of the same name: the file first. */
	{"x", false, "x", true, -1},
};

static int sign(int v)
{
	return v < 0 ? -1 : v > 0;
}

static void test_fname_cmp(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cmp_cases) / sizeof(cmp_cases[0]); i++) {
		const struct cmp_case *c = &cmp_cases[i];
		int got = sign(ur_fname_cmp(c->a, c->a_dir, c->b, c->b_dir));
		if (got != c->sign)
			print_error("case %zu: %s%s vs %s%s: got %d want %d\n", i, c->a,
				    c->a_dir ? "/" : "", c->b, c->b_dir ? "/" : "", got, c->sign);
		assert_int_equal(got, c->sign);
	}
}

static void add(struct ur_flist *fl, const char *name, bool dir)
{
	struct stat st = {.st_mode = dir ? S_IFDIR | 0755 : S_IFREG | 0644};
	assert_non_null(ur_flist_add(fl, name, &st, NULL));
}

/* The order `rsync -ai` prints for this tree. */
static void test_sort_matches_rsync(void **state)
{
	static const char *want[] = {".", "0", "aa", "a.b", "a.b/y", "a", "a/x",
				     "a/sub", "a/sub/z", "b", "b/q"};
	struct ur_flist fl;
	(void)state;
	ur_flist_init(&fl);
	add(&fl, "b/q", false);
	add(&fl, "a/sub", true);
	add(&fl, "a", true);
	add(&fl, "aa", false);
	add(&fl, ".", true);
	add(&fl, "a/x", false);
	add(&fl, "b", true);
	add(&fl, "a.b/y", false);
	add(&fl, "0", false);
	add(&fl, "a/sub/z", false);
	add(&fl, "a.b", true);
	ur_flist_sort(&fl, 0);
	assert_int_equal(fl.n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < fl.n; i++)
		assert_string_equal(ur_fentry_name(&fl, &fl.e[i]), want[i]);
	ur_flist_release(&fl);
}

static void test_dedup_prefers_operand(void **state)
{
	struct ur_flist fl;
	(void)state;
	ur_flist_init(&fl);
	add(&fl, "a", true);
	fl.e[0].flags |= UR_FE_IMPLIED_DIR;
	add(&fl, "a", true);
	add(&fl, "b", false);
	add(&fl, "b", false);
	ur_flist_sort(&fl, 0);
	ur_flist_dedup(&fl, 0);
	assert_int_equal(fl.n, 2);
	/* "a" was named by an operand as well as implied: the operand wins. */
	for (size_t i = 0; i < fl.n; i++)
		if (!strcmp(ur_fentry_name(&fl, &fl.e[i]), "a"))
			assert_false(fl.e[i].flags & UR_FE_IMPLIED_DIR);
	ur_flist_release(&fl);
}

static void test_names_and_links(void **state)
{
	struct ur_flist fl;
	struct stat st = {.st_mode = S_IFLNK | 0777, .st_size = 6};
	(void)state;
	ur_flist_init(&fl);
	/* Enough entries to grow both arrays several times. */
	for (int i = 0; i < 1000; i++) {
		char name[32];
		snprintf(name, sizeof(name), "dir/n%04d", i);
		struct ur_fentry *fe = ur_flist_add(&fl, name, &st, "target");
		assert_non_null(fe);
	}
	assert_string_equal(ur_fentry_name(&fl, &fl.e[999]), "dir/n0999");
	assert_string_equal(ur_fentry_base(&fl, &fl.e[999]), "n0999");
	assert_string_equal(ur_fentry_link(&fl, &fl.e[5]), "target");
	assert_int_equal(fl.e[5].size, 6);
	ur_flist_clear(&fl);
	assert_int_equal(fl.n, 0);
	ur_flist_release(&fl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fname_cmp),
		cmocka_unit_test(test_sort_matches_rsync),
		cmocka_unit_test(test_dedup_prefers_operand),
		cmocka_unit_test(test_names_and_links),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
