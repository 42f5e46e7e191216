/* SPDX-License-Identifier: GPL-3.0-or-later */
/* rsyncd.conf as rsync 3.5.0 reads it (src/daemon/conf.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/conf.h"

/* The "files" of a test: name and text; the log collected in one buffer. */
struct fake {
	const char *names[4];
	const char *texts[4];
	char log[4096];
};

static int fake_read(void *ctx, const char *path, char **buf, size_t *len)
{
	struct fake *f = ctx;
	for (int i = 0; i < 4 && f->names[i]; i++)
		if (!strcmp(f->names[i], path)) {
			*buf = strdup(f->texts[i]);
			*len = strlen(f->texts[i]);
			return *buf ? 0 : -ENOMEM;
		}
	return -ENOENT;
}

static int fake_kind(void *ctx, const char *path)
{
	char *b;
	size_t n;
	if (fake_read(ctx, path, &b, &n) < 0)
		return -ENOENT;
	free(b);
	return 1;
}

static void fake_log(void *ctx, const char *line)
{
	struct fake *f = ctx;
	size_t n = strlen(f->log);
	snprintf(f->log + n, sizeof(f->log) - n, "%s\n", line);
}

static int load(struct ur_dconf *c, struct fake *f, const char *text, bool globals_only)
{
	struct ur_dconf_io io = {.read = fake_read, .kind = fake_kind, .log = fake_log, .ctx = f};
	ur_dconf_init(c);
	return ur_dconf_load_buf(c, "test.conf", text, strlen(text), globals_only, NULL, 0, &io);
}

static void test_sections_and_defaults(void **state)
{
	struct ur_dconf c;
	struct fake f = {0};
	(void)state;
	const char *text = "# comment\n"
			   "  ; another\n"
			   "motd file = /etc/motd\n"
			   "read only = no\n"
			   "Max  Connections=3\n"
			   "[ftp]\n"
			   "\tpath = /srv/ftp///\n"
			   "comment = a long \\\n"
			   "  comment\n"
			   "[ Other  Mod ]  trailing ignored\n"
			   "readonly = yes\n"
			   "LIST = false\n"
			   "use chroot = unset\n";
	assert_int_equal(load(&c, &f, text, false), 0);
	assert_string_equal(f.log, "");
	assert_int_equal(c.nmods, 2);
	assert_string_equal(ur_dconf_str(&c, NULL, UR_DP_MOTD_FILE), "/etc/motd");
	const struct ur_dsect *ftp = ur_dconf_module(&c, "ftp");
	assert_non_null(ftp);
	assert_string_equal(ur_dconf_str(&c, ftp, UR_DP_PATH), "/srv/ftp");
	assert_string_equal(ur_dconf_str(&c, ftp, UR_DP_COMMENT), "a long   comment");
	assert_int_equal(ur_dconf_bool(&c, ftp, UR_DP_READ_ONLY), 0); /* global default */
	assert_int_equal(ur_dconf_int(&c, ftp, UR_DP_MAX_CONNECTIONS), 3);
	assert_int_equal(ur_dconf_bool(&c, ftp, UR_DP_LIST), 1);
	assert_int_equal(ur_dconf_bool(&c, ftp, UR_DP_USE_CHROOT), -1);
	assert_string_equal(ur_dconf_str(&c, ftp, UR_DP_LOCK_FILE), "/var/run/rsyncd.lock");
	const struct ur_dsect *o = ur_dconf_module(&c, "other mod");
	assert_non_null(o);
	assert_string_equal(o->name, "Other Mod");
	assert_int_equal(ur_dconf_bool(&c, o, UR_DP_READ_ONLY), 1);
	assert_int_equal(ur_dconf_bool(&c, o, UR_DP_LIST), 0);
	assert_int_equal(ur_dconf_bool(&c, o, UR_DP_USE_CHROOT), -1);
	assert_null(ur_dconf_module(&c, "nope"));
	ur_dconf_release(&c);
}

static void test_soft_errors(void **state)
{
	struct ur_dconf c;
	struct fake f = {0};
	(void)state;
	const char *text = "foo = bar\n"
			   "read only = maybe\n"
			   "[m]\n"
			   "port = 5\n"
			   "noequals line\n"
			   "path = /x\n";
	assert_int_equal(load(&c, &f, text, false), 0);
	assert_string_equal(f.log,
			    "Unknown Parameter encountered: \"foo\"\n"
			    "IGNORING unknown parameter \"foo\"\n"
			    "Badly formed boolean in configuration file: \"maybe\".\n"
			    "Global parameter port found in module section!\n"
			    "params.c:Parameter() - Ignoring badly formed line in config file: "
			    "noequals line\n");
	assert_int_equal(ur_dconf_int(&c, NULL, UR_DP_PORT), 0);
	assert_string_equal(ur_dconf_str(&c, ur_dconf_module(&c, "m"), UR_DP_PATH), "/x");
	ur_dconf_release(&c);
}

static void test_hard_errors(void **state)
{
	static const struct {
		const char *text, *first_log;
	} cases[] = {
	    {"[]\n", "params.c:Section() - Empty section name in config file.\n"},
	    {"[m\npath=/\n", "params.c:Section() - Badly formed line in config file: m\n"},
	    {"[m", "params.c:Section() - Unexpected EOF in the config file: m\n"},
	    {"= x\n", "params.c:Parameter() - Invalid parameter name in config file.\n"},
	    {"[a/b]\n", "Warning: invalid section name in configuration file: a/b\n"},
	    {"&foo x\n", "Unknown directive: &foo.\n"},
	    {"&include missing.conf\n",
	     "unable to stat config file \"missing.conf\": No such file or directory (2)\n"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ur_dconf c;
		struct fake f = {0};
		assert_int_equal(load(&c, &f, cases[i].text, false), -EINVAL);
		assert_true(!strncmp(f.log, cases[i].first_log, strlen(cases[i].first_log)));
		assert_non_null(strstr(f.log, "Failed.  Error returned from params.c:parse()."));
		ur_dconf_release(&c);
	}
}

static void test_globals_only(void **state)
{
	struct ur_dconf c;
	struct fake f = {0};
	(void)state;
	/* errors in module sections are not seen before listening */
	assert_int_equal(load(&c, &f, "port = 8730\n[bad\n", true), 0);
	assert_int_equal(ur_dconf_int(&c, NULL, UR_DP_PORT), 8730);
	assert_int_equal(c.nmods, 0);
	ur_dconf_release(&c);
}

static void test_include_merge(void **state)
{
	struct ur_dconf c;
	struct fake f = {.names = {"a.conf", "b.inc"},
			 .texts = {"read only = no\n[inc]\npath = /i\n", "path = /merged\n"}};
	(void)state;
	const char *text = "&include a.conf\n"
			   "[m]\n"
			   "&merge b.inc\n"
			   "[n]\n"
			   "path = /n\n";
	assert_int_equal(load(&c, &f, text, false), 0);
	assert_string_equal(f.log, "");
	assert_int_equal(c.nmods, 3);
	/* the included file's global values do not leak out of it */
	assert_int_equal(ur_dconf_bool(&c, NULL, UR_DP_READ_ONLY), 1);
	assert_int_equal(ur_dconf_bool(&c, ur_dconf_module(&c, "inc"), UR_DP_READ_ONLY), 0);
	assert_string_equal(ur_dconf_str(&c, ur_dconf_module(&c, "m"), UR_DP_PATH), "/merged");
	assert_string_equal(ur_dconf_str(&c, ur_dconf_module(&c, "n"), UR_DP_PATH), "/n");
	ur_dconf_release(&c);
}

static void test_include_loop(void **state)
{
	struct ur_dconf c;
	struct fake f = {.names = {"self.conf"}, .texts = {"&include self.conf\n"}};
	(void)state;
	assert_int_equal(load(&c, &f, "&include self.conf\n", false), -EINVAL);
	ur_dconf_release(&c);
}

static void test_dparams_and_names(void **state)
{
	struct ur_dconf c;
	struct fake f = {0};
	struct ur_dconf_io io = {.read = fake_read, .kind = fake_kind, .log = fake_log, .ctx = &f};
	const char *dp[] = {"readonly=  no", "motdfile=/m"};
	const char *text = "[a]\npath=/a\n";
	(void)state;
	ur_dconf_init(&c);
	assert_int_equal(ur_dconf_load_buf(&c, "t", text, strlen(text), false, dp, 2, &io), 0);
	assert_int_equal(ur_dconf_bool(&c, ur_dconf_module(&c, "a"), UR_DP_READ_ONLY), 0);
	assert_string_equal(ur_dconf_str(&c, NULL, UR_DP_MOTD_FILE), "/m");
	ur_dconf_release(&c);
	assert_int_equal(ur_dparm_find("post-xfer exec"), UR_DP_POST_XFER_EXEC);
	assert_int_equal(ur_dparm_find("PostXfer Exec"), -1); /* the '-' is part of the name */
	assert_int_equal(ur_dparm_find("Hosts Allow"), UR_DP_HOSTS_ALLOW);
	assert_int_equal(ur_dparm_find("hostsallow"), UR_DP_HOSTS_ALLOW);
	assert_int_equal(ur_dparm_find("bind address"), -1);
	for (int i = 0; i < UR_DP_COUNT; i++)
		assert_int_equal(ur_dparm_find(ur_dparms[i].name), i);
}

static void test_expand(void **state)
{
	(void)state;
	setenv("UR_TEST_VAR", "val", 1);
	char *s = ur_dconf_expand("/home/%UR_TEST_VAR%/x%UNSET_XYZ%y%lower%");
	assert_string_equal(s, "/home/val/x%UNSET_XYZ%y%lower%");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sections_and_defaults), cmocka_unit_test(test_soft_errors),
	    cmocka_unit_test(test_hard_errors),		  cmocka_unit_test(test_globals_only),
	    cmocka_unit_test(test_include_merge),	  cmocka_unit_test(test_include_loop),
	    cmocka_unit_test(test_dparams_and_names),	  cmocka_unit_test(test_expand),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
