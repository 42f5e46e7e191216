/* SPDX-License-Identifier: GPL-3.0-or-later */
/* rsync's unsafe-symlink rule (--safe-links, --copy-unsafe-links). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "meta/symlink.h"

static const struct {
	const char *target, *name;
	bool unsafe;
} cases[] = {
	{"/etc/passwd", "l", true},       /* absolute */
	{"", "l", true},                  /* empty */
	{"a", "l", false},
	{"./a", "l", false},
	{"sub/a", "l", false},
	{"../x", "l", true},              /* climbs out of the top */
	{"../x", "d/l", false},           /* one level down: stays inside */
	{"../../x", "d/l", true},
	{"../../x", "d/e/l", false},
	{"..//..//x", "d/e/l", false},    /* repeated slashes after leading ".." */
	{"a/../b", "l", true},            /* ".." after a name is refused outright */
	{"a/..", "l", true},              /* so is a trailing "/.." */
	{"..", "d/l", false},             /* the parent of d is the top: fine */
	{"..", "l", true},
	{"../d/x", "d/e/l", false},
	{"x/y/../../z", "d/l", true},
	{"../x", "./d/l", false},         /* "." components do not count */
	{"../x", "d/./l", false},
	{"../../x", "d/./l", true},
};

static void test_unsafe(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool got = ur_symlink_unsafe(cases[i].target, cases[i].name);
		if (got != cases[i].unsafe)
			print_error("case %zu: %s at %s: got %d\n", i, cases[i].target,
				    cases[i].name, got);
		assert_int_equal(got, cases[i].unsafe);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_unsafe)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
