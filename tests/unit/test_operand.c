/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Telling local paths from remote-shell and daemon operands, as rsync does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "session/operand.h"

static const struct {
	const char *arg;
	enum ur_operand_kind kind;
	const char *user, *host, *path;
	int port;
} cases[] = {
	{"src/", UR_OPERAND_LOCAL, NULL, NULL, "src/", 0},
	{"/abs/path", UR_OPERAND_LOCAL, NULL, NULL, "/abs/path", 0},
	{"./a:b", UR_OPERAND_LOCAL, NULL, NULL, "./a:b", 0},      /* '/' before ':' */
	{"dir/x:y", UR_OPERAND_LOCAL, NULL, NULL, "dir/x:y", 0},
	{":leading", UR_OPERAND_LOCAL, NULL, NULL, ":leading", 0},
	{"host:path", UR_OPERAND_SHELL, NULL, "host", "path", 0},
	{"host:", UR_OPERAND_SHELL, NULL, "host", "", 0},
	{"me@host:/srv/x", UR_OPERAND_SHELL, "me", "host", "/srv/x", 0},
	{"[::1]:dst", UR_OPERAND_SHELL, NULL, "::1", "dst", 0},
	{"me@[fe80::1]:d", UR_OPERAND_SHELL, "me", "fe80::1", "d", 0},
	{"host::module/sub", UR_OPERAND_DAEMON, NULL, "host", "module/sub", 0},
	{"u@host::m", UR_OPERAND_DAEMON, "u", "host", "m", 0},
	{"rsync://host/module/p", UR_OPERAND_DAEMON, NULL, "host", "module/p", 0},
	{"rsync://u@host:8730/m", UR_OPERAND_DAEMON, "u", "host", "m", 8730},
	{"RSYNC://host/m", UR_OPERAND_DAEMON, NULL, "host", "m", 0},
	{"rsync://[::1]:873/m/x", UR_OPERAND_DAEMON, NULL, "::1", "m/x", 873},
};

static void check_str(const char *got, const char *want, size_t i)
{
	if (!want) {
		if (got)
			print_error("case %zu: got %s want NULL\n", i, got);
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
}

static void test_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ur_operand op;
		assert_int_equal(ur_operand_parse(cases[i].arg, &op), 0);
		if (op.kind != cases[i].kind)
			print_error("case %zu (%s): kind %d\n", i, cases[i].arg, op.kind);
		assert_int_equal(op.kind, cases[i].kind);
		check_str(op.user, cases[i].user, i);
		check_str(op.host, cases[i].host, i);
		check_str(op.path, cases[i].path, i);
		assert_int_equal(op.port, cases[i].port);
	}
}

static void test_too_long(void **state)
{
	static char big[8192];
	struct ur_operand op;
	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	assert_int_equal(ur_operand_parse(big, &op), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_too_long),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
