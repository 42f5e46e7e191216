/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hosts allow / hosts deny with rsync's rules (src/daemon/access.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "daemon/access.h"

static void test_items(void **state)
{
	static const struct {
		const char *item, *addr, *host;
		bool match;
	} cases[] = {
	    {"127.0.0.1", "127.0.0.1", "localhost", true},
	    {"127.0.0.2", "127.0.0.1", "localhost", false},
	    {"127.0.0.0/8", "127.1.2.3", "x", true},
	    {"10.0.0.0/8", "127.1.2.3", "x", false},
	    {"192.168.1.0/255.255.255.0", "192.168.1.77", "x", true},
	    {"192.168.1.0/255.255.255.0", "192.168.2.77", "x", false},
	    {"192.168.1.0/33", "192.168.1.0", "x", false},
	    {"::1", "::1", "x", true},
	    {"fe80::/10", "fe80::1234", "x", true},
	    {"fe80::/10", "2001:db8::1", "x", false},
	    {"::ffff:10.0.0.1", "10.0.0.1", "x", true},
	    {"10.0.0.1", "::ffff:10.0.0.1", "x", true},
	    {"10.0.0.1", "::1", "x", false},
	    {"*.example.org", "192.0.2.1", "host.example.org", true},
	    {"*.EXAMPLE.org", "192.0.2.1", "Host.Example.Org", true},
	    {"*.example.org", "192.0.2.1", "example.org", false},
	    {"h?st", "192.0.2.1", "host", true},
	    {"*", "192.0.2.1", "UNKNOWN", true},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(ur_daemon_access_item(cases[i].item, cases[i].addr, cases[i].host,
						       false, false),
				 cases[i].match);
}

static void test_lists(void **state)
{
	(void)state;
	/* nothing set: everyone */
	assert_true(ur_daemon_access_ok("", "", "192.0.2.1", "x", false));
	assert_true(ur_daemon_access_ok(NULL, NULL, "192.0.2.1", "x", false));
	/* an allow list alone keeps everyone else out */
	assert_true(ur_daemon_access_ok("192.0.2.0/24", NULL, "192.0.2.1", "x", false));
	assert_false(ur_daemon_access_ok("192.0.2.0/24", NULL, "198.51.100.1", "x", false));
	/* an allow match wins over a deny match */
	assert_true(ur_daemon_access_ok("192.0.2.1", "*", "192.0.2.1", "x", false));
	/* not allowed, not denied: in */
	assert_true(ur_daemon_access_ok("192.0.2.1", "10.0.0.0/8", "198.51.100.1", "x", false));
	assert_false(ur_daemon_access_ok("192.0.2.1", "*", "198.51.100.1", "x", false));
	/* lists split at spaces, commas and tabs */
	assert_false(
	    ur_daemon_access_ok(NULL, "10.0.0.1,\t127.0.0.0/8 ::1", "127.0.0.5", "x", false));
	assert_true(
	    ur_daemon_access_ok(NULL, "10.0.0.1,\t127.0.0.0/8 ::1", "192.0.2.9", "x", false));
}

static void test_unresolvable_name_fails_closed(void **state)
{
	(void)state;
	const char *name = "no-such-host.invalid";
	/* in a deny list a name that cannot be resolved counts as a match */
	assert_true(ur_daemon_access_item(name, "192.0.2.1", "UNKNOWN", true, true));
	assert_false(ur_daemon_access_item(name, "192.0.2.1", "UNKNOWN", true, false));
	assert_false(ur_daemon_access_ok(NULL, name, "192.0.2.1", "UNKNOWN", true));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_items),
	    cmocka_unit_test(test_lists),
	    cmocka_unit_test(test_unresolvable_name_fails_closed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
