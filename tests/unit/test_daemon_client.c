/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The pure parts of the daemon client: the path words sent to a daemon
 * (rsync 3.5.0's rewrites, seen in its `--debug=cmd` output), the auth
 * digest choice, the challenge response (the expected strings are
 * base64(DIGEST("sesame" "abc")) without padding, as rsync's client
 * answered a scripted daemon) and base64 itself (RFC 4648's vectors), and
 * RSYNC_PROXY's syntax.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "checksum/authsum.h"
#include "config.h"
#include "daemon/client.h"
#include "daemon/proxy.h"

static void path_arg_is(const char *path, const char *mod, bool old_args, const char *want)
{
	char *got = ur_daemon_path_arg(path, mod, strlen(mod), old_args);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_path_arg(void **state)
{
	(void)state;
	path_arg_is("mod", "mod", false, "mod/");
	path_arg_is("mod/", "mod", false, "mod/");
	path_arg_is("mod/a/b", "mod", false, "mod/a/b");
	path_arg_is("-x", "mod", false, "./-x");
	path_arg_is("mod/a mod/b", "mod", false, "mod/a[ ]mod/b");
	path_arg_is("mod/a mod/b mod/c", "mod", false, "mod/a[ ]mod/b[ ]mod/c");
	path_arg_is("mod/a mod/b", "mod", true, "mod/a mod/b");
	path_arg_is("mod/a modx/b", "mod", false, "mod/a modx/b");
	path_arg_is("", "", false, "/");
}

static void test_choose(void **state)
{
	(void)state;
	const char *strong = HAVE_LIBCRYPTO ? "sha512" : "md5";
	assert_string_equal(ur_authsum_choose("sha512 sha256 sha1 md5 md4"), strong);
	assert_string_equal(ur_authsum_choose("md4 md5"), "md5");
	assert_string_equal(ur_authsum_choose("  md4  "), "md4");
	assert_string_equal(ur_authsum_choose("bogus md4"), "md4");
	assert_null(ur_authsum_choose("bogus"));
	assert_null(ur_authsum_choose(""));
	assert_null(ur_authsum_choose("md55 md"));
	assert_true(ur_authsum_known("md5", 3));
	assert_false(ur_authsum_known("md5", 2));
}

static void response_is(const char *name, const char *want)
{
	char out[2 * UR_AUTHSUM_MAX_LEN + 8];
	int n = ur_authsum_response(name, "sesame", "abc", out, sizeof(out));
	assert_int_equal(n, (int)strlen(want));
	assert_string_equal(out, want);
}

static void test_response(void **state)
{
	(void)state;
	response_is("md5", "qzw10uKehj290N9b8+wIHw");
	if (HAVE_LIBCRYPTO) {
		response_is("sha1", "T5Rk9Nh30Nw4xWDAqwT5zuSZPSg");
		response_is("sha256", "8rt/pP24jZdQmSyTn4knBhPQlgJClLgO1DjTLBHsZ0k");
		response_is("sha512", "q8+JMWab4hvUrDyxVld71Hp+Y+sN3ECakMMwv1KqdzKq7CPGL2vA17CzTS"
				      "ozdDWgaIIiNL0QYMn6GbgND7cMcQ");
	}
	char out[8];
	assert_int_equal(ur_authsum_response("sha3", "a", "b", out, sizeof(out)), -EINVAL);
}

static void test_base64(void **state)
{
	(void)state;
	static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const padded[] = {"",	 "Zg==",     "Zm8=",	"Zm9v",
					     "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	static const char *const bare[] = {"",	     "Zg",	"Zm8",	   "Zm9v",
					   "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
	char out[16];
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		assert_int_equal(ur_base64(in[i], strlen(in[i]), true, out, sizeof(out)),
				 (int)strlen(padded[i]));
		assert_string_equal(out, padded[i]);
		ur_base64(in[i], strlen(in[i]), false, out, sizeof(out));
		assert_string_equal(out, bare[i]);
	}
	assert_int_equal(ur_base64("foobar", 6, true, out, 8), -ENOBUFS);
}

static void test_proxy_parse(void **state)
{
	(void)state;
	struct ur_proxy p;
	assert_int_equal(ur_proxy_parse("proxy.example:3128", &p), 0);
	assert_string_equal(p.host, "proxy.example");
	assert_int_equal(p.port, 3128);
	assert_null(p.user);
	assert_int_equal(ur_proxy_parse("bob:pa:ss@h@x:8080", &p), 0);
	assert_string_equal(p.user, "bob");
	assert_string_equal(p.pass, "pa:ss@h"); /* the last '@' ends the credentials */
	assert_string_equal(p.host, "x");
	assert_int_equal(p.port, 8080);
	assert_int_equal(ur_proxy_parse("nouser@h:1", &p), -EINVAL);
	assert_int_equal(ur_proxy_parse("h", &p), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_path_arg),	cmocka_unit_test(test_choose),
	    cmocka_unit_test(test_response),	cmocka_unit_test(test_base64),
	    cmocka_unit_test(test_proxy_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
