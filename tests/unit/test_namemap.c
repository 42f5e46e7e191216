/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * --usermap/--groupmap parsing and matching (meta/namemap.c), with numeric
 * targets and --numeric-ids so nothing depends on this system's names:
 * the rules rsync 3.5.0's uidlist.c applies, in order, first match wins.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "meta/namemap.h"

static uint32_t map1(const char *spec, bool numeric, uint32_t id)
{
	struct ur_namemap m;
	assert_int_equal(ur_namemap_parse(&m, spec, true, numeric), 0);
	uint32_t to = ur_namemap_map(&m, id);
	assert_int_equal(ur_namemap_map(&m, id), to); /* cached, the same */
	ur_namemap_release(&m);
	return to;
}

static void test_ids_and_ranges(void **state)
{
	(void)state;
	assert_int_equal(map1("0:5", true, 0), 5);
	assert_int_equal(map1("0:5", true, 1), 1);
	assert_int_equal(map1("10-20:99", true, 10), 99);
	assert_int_equal(map1("10-20:99", true, 20), 99);
	assert_int_equal(map1("10-20:99", true, 21), 21);
	assert_int_equal(map1("10-20:99", true, 9), 9);
	/* "N-0" has no upper end: rsync takes it as the id N alone */
	assert_int_equal(map1("7-0:1", true, 7), 1);
	assert_int_equal(map1("7-0:1", true, 8), 8);
}

static void test_first_rule_wins(void **state)
{
	(void)state;
	assert_int_equal(map1("1-5:10,3:20", true, 3), 10);
	assert_int_equal(map1("3:20,1-5:10", true, 3), 20);
	assert_int_equal(map1("3:20,1-5:10", true, 4), 10);
	assert_int_equal(map1("1:2,2:3", true, 1), 2); /* no chains */
}

static void test_names_under_numeric_ids(void **state)
{
	(void)state;
	/* no names from the sender: a name never matches, "*" matches "" */
	assert_int_equal(map1("root:7", true, 0), 0);
	assert_int_equal(map1("*:7", true, 0), 7);
	assert_int_equal(map1("*:7", true, 4242), 7);
	assert_int_equal(map1("?*:7", true, 4242), 4242);
	assert_int_equal(map1("root:7,*:8", true, 0), 8);
}

static void test_unknown_target_dropped(void **state)
{
	(void)state;
	assert_int_equal(map1("1:no-such-user-here,2:5", true, 1), 1);
	assert_int_equal(map1("1:no-such-user-here,2:5", true, 2), 5);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
	    "foo", "1:", "5-x:1", "1-2-3:1", "5-:1", "99999999999:1", "1:2,foo", "a:b,c", ":",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ur_namemap m;
		assert_int_equal(ur_namemap_parse(&m, bad[i], i % 2 == 0, true), 1);
		ur_namemap_release(&m); /* released already: a no-op */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ids_and_ranges),
	    cmocka_unit_test(test_first_rule_wins),
	    cmocka_unit_test(test_names_under_numeric_ids),
	    cmocka_unit_test(test_unknown_target_dropped),
	    cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
