/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * --chmod parsing and application. Every expected mode below was produced
 * by rsync 3.5.0 itself: a file or directory with the input mode was copied
 * with `rsync -d -p --chmod=SPEC` under the given umask, and the mode of
 * the copy recorded.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "meta/chmod.h"

struct chmod_case {
	const char *spec;
	mode_t umask;
	mode_t in;
	mode_t want;
};

static const struct chmod_case cases[] = {
    {"u+x", 0022, S_IFREG | 0644, S_IFREG | 0744},
    {"g+w", 0022, S_IFREG | 0644, S_IFREG | 0664},
    {"o-r", 0022, S_IFREG | 0644, S_IFREG | 0640},
    {"a+x", 0022, S_IFREG | 0600, S_IFREG | 0711},
    {"+x", 0022, S_IFREG | 0600, S_IFREG | 0711},
    {"+w", 0022, S_IFREG | 0600, S_IFREG | 0600},
    {"+w", 0000, S_IFREG | 0600, S_IFREG | 0622},
    {"-w", 0022, S_IFREG | 0666, S_IFREG | 0466},
    {"=r", 0022, S_IFREG | 0777, S_IFREG | 0444},
    {"=rw", 0027, S_IFREG | 0777, S_IFREG | 0640},
    {"u=rwx,go=rx", 0022, S_IFREG | 0600, S_IFREG | 0755},
    {"ug+w,o-rwx", 0022, S_IFREG | 0644, S_IFREG | 0660},
    {"D755", 0022, S_IFDIR | 0700, S_IFDIR | 0755},
    {"D755", 0022, S_IFREG | 0600, S_IFREG | 0600},
    {"F644", 0022, S_IFREG | 0777, S_IFREG | 0644},
    {"F644", 0022, S_IFDIR | 0777, S_IFDIR | 0777},
    {"D2775,F664", 0022, S_IFDIR | 0755, S_IFDIR | 02775},
    {"D2775,F664", 0022, S_IFREG | 0755, S_IFREG | 0664},
    {"+X", 0022, S_IFREG | 0644, S_IFREG | 0644},
    {"+X", 0022, S_IFREG | 0744, S_IFREG | 0755},
    {"+X", 0022, S_IFDIR | 0600, S_IFDIR | 0711},
    {"a+X", 0022, S_IFREG | 0610, S_IFREG | 0711},
    {"u-x,+X", 0022, S_IFREG | 0744, S_IFREG | 0755},
    {"Dg+s,ug+w,Fo-w,+X", 0022, S_IFDIR | 0755, S_IFDIR | 02775},
    {"Dg+s,ug+w,Fo-w,+X", 0022, S_IFREG | 0644, S_IFREG | 0664},
    {"Dg+s,ug+w,Fo-w,+X", 0022, S_IFREG | 0646, S_IFREG | 0664},
    {"u+s", 0022, S_IFREG | 0755, S_IFREG | 04755},
    {"g+s", 0022, S_IFDIR | 0755, S_IFDIR | 02755},
    {"+t", 0022, S_IFDIR | 0777, S_IFDIR | 01777},
    {"o+t", 0022, S_IFDIR | 0755, S_IFDIR | 01755},
    {"a+s", 0022, S_IFREG | 0755, S_IFREG | 06755},
    {"+s", 0022, S_IFREG | 0755, S_IFREG | 04755},
    {"o+s", 0022, S_IFREG | 0755, S_IFREG | 04755},
    {"u-s", 0022, S_IFREG | 06755, S_IFREG | 02755},
    {"u=rw", 0022, S_IFREG | 04755, S_IFREG | 04655},
    {"u=rws", 0022, S_IFREG | 0755, S_IFREG | 04655},
    {"=", 0022, S_IFREG | 04755, S_IFREG | 04000},
    {"g=u", 0022, S_IFREG | 0740, S_IFREG | 0770},
    {"o=g", 0022, S_IFREG | 0750, S_IFREG | 0755},
    {"g-o", 0022, S_IFREG | 0775, S_IFREG | 0725},
    {"g=o,o=", 0022, S_IFREG | 0754, S_IFREG | 0740},
    {"u=g", 0022, S_IFREG | 04750, S_IFREG | 0550},
    {"=u", 0022, S_IFDIR | 01755, S_IFDIR | 0755},
    {"+u", 0022, S_IFREG | 0700, S_IFREG | 0755},
    {"+u", 0077, S_IFREG | 0700, S_IFREG | 0700},
    {"644", 0022, S_IFREG | 04777, S_IFREG | 0644},
    {"0", 0022, S_IFREG | 0777, S_IFREG | 00},
    {"7777", 0022, S_IFREG | 00, S_IFREG | 07777},
    {"u+r,g+w,o+x", 0022, S_IFREG | 00, S_IFREG | 0421},
    {"ugo+rwx", 0022, S_IFREG | 00, S_IFREG | 0777},
    {"a-rwx", 0022, S_IFDIR | 0777, S_IFDIR | 00},
    {"go-w", 0022, S_IFREG | 0777, S_IFREG | 0755},
    {"u+rwxXst", 0022, S_IFREG | 00, S_IFREG | 05600},
    {"Du+x", 0022, S_IFREG | 0644, S_IFREG | 0644},
    {"uD+x", 0022, S_IFDIR | 0644, S_IFDIR | 0744},
    {"u=r,u+w", 0022, S_IFREG | 00, S_IFREG | 0600},
    {"a=,u=rw", 0022, S_IFREG | 0777, S_IFREG | 0600},
    {"+r", 0027, S_IFREG | 00, S_IFREG | 0440},
    {"=rwx", 0027, S_IFDIR | 00, S_IFDIR | 0750},
    {"-r", 0027, S_IFREG | 0777, S_IFREG | 0337},
    {"g+t", 0022, S_IFREG | 0755, S_IFREG | 01755},
    {"o=s", 0022, S_IFREG | 0755, S_IFREG | 04750},
    {"ug=s", 0022, S_IFREG | 06755, S_IFREG | 06005},
    {"g=rs", 0022, S_IFDIR | 0755, S_IFDIR | 02745},
    {"a=X", 0022, S_IFREG | 0644, S_IFREG | 00},
    {"a=X", 0022, S_IFDIR | 0640, S_IFDIR | 0111},
    {"-X", 0022, S_IFREG | 0755, S_IFREG | 0644},
    {"+X", 0022, S_IFREG | 00, S_IFREG | 00},
    {"-s", 0022, S_IFREG | 06755, S_IFREG | 02755},
    {"o-s", 0022, S_IFREG | 04755, S_IFREG | 0755},
    {"u+g", 0022, S_IFREG | 0404, S_IFREG | 0404},
    {"o+u", 0077, S_IFREG | 0700, S_IFREG | 0707},
    {"-u", 0022, S_IFREG | 0777, S_IFREG | 022},
    {"-u", 0000, S_IFREG | 0777, S_IFREG | 00},
    {"=g", 0027, S_IFREG | 02750, S_IFREG | 0550},
    {"a-s", 0022, S_IFDIR | 06755, S_IFDIR | 0755},
    {"D0", 0022, S_IFDIR | 0755, S_IFDIR | 00},
    {"F0007", 0022, S_IFREG | 0770, S_IFREG | 07},
    {"00000644", 0022, S_IFREG | 0777, S_IFREG | 0644},
    {"=,+", 0022, S_IFREG | 0755, S_IFREG | 00},
    {"+", 0022, S_IFREG | 0755, S_IFREG | 0755},
};

/* rsync answers each of these with "Invalid argument passed to --chmod". */
static const char *const invalid[] = {
    "",	    ",",     "u+x,", ",u+x", "u",    "D",     "DF+x",	  "FD+x",  "u+r-w",
    "u+q",  "u=755", "+755", "u755", "8",    "0755x", "777777",	  "10000", "g=ur",
    "g=ru", "g=uo",  "g+Xu", "a+a",  "x+r",  "u+ x",  "u+x,,g+x", "U+x",   "d755",
    "+-",   "u==r",  "F",    "g=ua", " u+x", "u+x ",  "07778",	  "D9",	   "a+su",
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct chmod_case *c = &cases[i];
		struct ur_chmod *list = NULL;
		mode_t old = umask(c->umask);
		int ret = ur_chmod_parse(&list, c->spec);

		umask(old);
		if (ret != 0 || !list)
			fail_msg("case %zu: parse \"%s\" returned %d", i, c->spec, ret);
		mode_t got = ur_chmod_apply(list, c->in);
		if (got != c->want)
			fail_msg("case %zu: \"%s\" umask %03o on %06o: got %06o, want %06o", i,
				 c->spec, (unsigned)c->umask, (unsigned)c->in, (unsigned)got,
				 (unsigned)c->want);
		ur_chmod_free(list);
	}
}

static void test_invalid(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
		struct ur_chmod *list = NULL;
		int ret = ur_chmod_parse(&list, invalid[i]);

		if (ret != -EINVAL)
			fail_msg("\"%s\": returned %d, want -EINVAL", invalid[i], ret);
		if (list)
			fail_msg("\"%s\": list allocated on error", invalid[i]);
	}
}

/* A failed parse leaves an existing list exactly as it was. */
static void test_invalid_keeps_list(void **state)
{
	struct ur_chmod *list = NULL;
	mode_t old = umask(022);

	(void)state;
	assert_int_equal(ur_chmod_parse(&list, "u+x"), 0);
	struct ur_chmod *before = list;
	for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
		assert_int_equal(ur_chmod_parse(&list, invalid[i]), -EINVAL);
		assert_ptr_equal(list, before);
	}
	/* "go+w,u+x" would half-apply if the good first clause were kept. */
	assert_int_equal(ur_chmod_parse(&list, "go+w,u+q"), -EINVAL);
	assert_int_equal(ur_chmod_apply(list, S_IFREG | 0644), S_IFREG | 0744);
	ur_chmod_free(list);
	umask(old);
}

/* Repeated --chmod options append, in order, like one comma list. */
static void test_append(void **state)
{
	struct ur_chmod *a = NULL, *b = NULL;
	mode_t old = umask(022);

	(void)state;
	assert_int_equal(ur_chmod_parse(&a, "u=r"), 0);
	assert_int_equal(ur_chmod_parse(&a, "u+w"), 0);
	assert_int_equal(ur_chmod_parse(&a, "Dg+s,F600"), 0);
	assert_int_equal(ur_chmod_parse(&b, "u=r,u+w,Dg+s,F600"), 0);
	for (mode_t m = 0; m <= 07777; m += 0111) {
		assert_int_equal(ur_chmod_apply(a, S_IFREG | m), ur_chmod_apply(b, S_IFREG | m));
		assert_int_equal(ur_chmod_apply(a, S_IFDIR | m), ur_chmod_apply(b, S_IFDIR | m));
	}
	assert_int_equal(ur_chmod_apply(a, S_IFREG | 0777), S_IFREG | 0600);
	assert_int_equal(ur_chmod_apply(a, S_IFDIR | 0077), S_IFDIR | 02677);
	ur_chmod_free(a);
	ur_chmod_free(b);
	umask(old);
}

/* The umask counts when the clause is parsed, not when it is applied. */
static void test_umask_read_at_parse(void **state)
{
	struct ur_chmod *list = NULL;
	mode_t old = umask(077);

	(void)state;
	assert_int_equal(ur_chmod_parse(&list, "+rwx"), 0);
	umask(0);
	assert_int_equal(ur_chmod_apply(list, S_IFREG | 0), S_IFREG | 0700);
	ur_chmod_free(list);
	umask(old);
}

/* Type bits pass through untouched, for every file type; clauses that
 * match nothing leave the mode alone. */
static void test_type_bits_kept(void **state)
{
	static const mode_t types[] = {S_IFREG, S_IFDIR, S_IFLNK, S_IFIFO,
				       S_IFCHR, S_IFBLK, S_IFSOCK};
	struct ur_chmod *list = NULL, *none = NULL;

	(void)state;
	assert_int_equal(ur_chmod_parse(&list, "0"), 0);
	assert_int_equal(ur_chmod_parse(&none, "Du+x"), 0);
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		assert_int_equal(ur_chmod_apply(list, types[i] | 07777), types[i]);
		assert_int_equal(ur_chmod_apply(NULL, types[i] | 0640), types[i] | 0640);
		if (types[i] != S_IFDIR)
			assert_int_equal(ur_chmod_apply(none, types[i] | 0640), types[i] | 0640);
	}
	ur_chmod_free(list);
	ur_chmod_free(none);
	ur_chmod_free(NULL);
}

/* A command line cannot grow the list without bound. */
static void test_clause_cap(void **state)
{
	static char spec[5 * 5000];
	struct ur_chmod *list = NULL;
	size_t n = 0;

	(void)state;
	for (int i = 0; i < 5000; i++)
		n += (size_t)snprintf(spec + n, sizeof spec - n, "%su+x", i ? "," : "");
	assert_int_equal(ur_chmod_parse(&list, spec), -EINVAL);
	assert_null(list);
	assert_int_equal(ur_chmod_parse(&list, "u+x,g+x,o+x"), 0);
	assert_int_equal(ur_chmod_apply(list, S_IFREG | 0), S_IFREG | 0111);
	ur_chmod_free(list);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_invalid),
	    cmocka_unit_test(test_invalid_keeps_list),
	    cmocka_unit_test(test_append),
	    cmocka_unit_test(test_umask_read_at_parse),
	    cmocka_unit_test(test_type_bits_kept),
	    cmocka_unit_test(test_clause_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
