/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Confinement to a destination root: names from a peer and symlinks
 * planted in the destination must never lead a write outside it. Every
 * case runs twice: with openat2 (where the kernel has it) and with the
 * component walk that other systems use.
 *
 *   base/
 *     outside/            must stay empty
 *     root/               the destination
 *       sub/dir/
 *       sub/up -> ../sub/dir        stays beneath: followed
 *       abs -> <base>/outside       absolute: refused
 *       rel -> ../outside           climbs out: refused
 *       deep -> sub/../../outside   climbs out through a real dir
 *       loop -> loop
 *       file
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "io/io.h"
#include "scratch.h"

struct fx {
	char base[64];
	char outside[96];
	int rootfd;
	int outfd;
	unsigned cflags;
};

static int setup_common(void **state, unsigned cflags)
{
	struct fx *f = calloc(1, sizeof(*f));
	char p[160];
	if (!f)
		return -1;
	f->cflags = cflags;
	if (ur_scratch_make(f->base, sizeof(f->base), "ur_io_confine") < 0)
		return -1;
	snprintf(f->outside, sizeof(f->outside), "%s/outside", f->base);
	snprintf(p, sizeof(p), "%s/root", f->base);
	if (mkdir(f->outside, 0755) || mkdir(p, 0755))
		return -1;
	f->rootfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	f->outfd = open(f->outside, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f->rootfd < 0 || f->outfd < 0)
		return -1;
	if (mkdirat(f->rootfd, "sub", 0755) || mkdirat(f->rootfd, "sub/dir", 0755) ||
	    symlinkat("../sub/dir", f->rootfd, "sub/up") ||
	    symlinkat(f->outside, f->rootfd, "abs") || symlinkat("../outside", f->rootfd, "rel") ||
	    symlinkat("sub/../../outside", f->rootfd, "deep") ||
	    symlinkat("loop", f->rootfd, "loop"))
		return -1;
	int fd = openat(f->rootfd, "file", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	close(fd);
	*state = f;
	return 0;
}

static int setup_openat2(void **state)
{
	return setup_common(state, 0);
}

static int setup_walk(void **state)
{
	return setup_common(state, UR_CONFINE_NO_OPENAT2);
}

static int teardown(void **state)
{
	struct fx *f = *state;
	close(f->rootfd);
	close(f->outfd);
	if (ur_scratch_remove(f->base) < 0)
		return -1;
	free(f);
	return 0;
}

/* Nothing was created outside the root. */
static void outside_untouched(const struct fx *f)
{
	struct stat st;
	assert_int_equal(fstatat(f->outfd, "pwned", &st, AT_SYMLINK_NOFOLLOW), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(fstat(f->outfd, &st), 0);
	assert_int_equal(st.st_nlink, 2); /* no subdirectory either */
}

static void test_names(void **state)
{
	(void)state;
	assert_int_equal(ur_confine_check_name("a/b/c"), 0);
	assert_int_equal(ur_confine_check_name("a//b/./c/"), 0);
	assert_int_equal(ur_confine_check_name(".hidden..x"), 0);
	assert_int_equal(ur_confine_check_name("..."), 0);
	assert_int_equal(ur_confine_check_name("/etc/passwd"), -EXDEV);
	assert_int_equal(ur_confine_check_name(".."), -EXDEV);
	assert_int_equal(ur_confine_check_name("../x"), -EXDEV);
	assert_int_equal(ur_confine_check_name("a/../../x"), -EXDEV);
	assert_int_equal(ur_confine_check_name("a/.."), -EXDEV);
	assert_int_equal(ur_confine_check_name(""), -EINVAL);
	assert_int_equal(ur_confine_check_name(NULL), -EINVAL);
	char longname[300];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(ur_confine_check_name(longname), -ENAMETOOLONG);
}

static void test_escapes_refused(void **state)
{
	struct fx *f = *state;
	static const char *const bad[] = {"abs/pwned", "rel/pwned", "deep/pwned",
					  "../outside/pwned", "sub/../../outside/pwned"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int fd = ur_confine_open(f->rootfd, bad[i], O_WRONLY | O_CREAT | O_CLOEXEC, 0644,
					 f->cflags);
		assert_int_equal(fd, -EXDEV);
		struct ur_confined c;
		assert_int_equal(ur_confine_parent(f->rootfd, bad[i], f->cflags, &c), -EXDEV);
		assert_int_equal(c.dirfd, -1);
	}
	/* an absolute name */
	char abs[160];
	snprintf(abs, sizeof(abs), "%s/pwned", f->outside);
	assert_int_equal(ur_confine_open(f->rootfd, abs, O_WRONLY | O_CREAT, 0644, f->cflags),
			 -EXDEV);
	outside_untouched(f);
}

/* A symlink as the last component: never written through. */
static void test_leaf_symlink(void **state)
{
	struct fx *f = *state;
	/* the receiver's way: O_NOFOLLOW on the leaf */
	assert_int_equal(
	    ur_confine_open(f->rootfd, "abs", O_WRONLY | O_CREAT | O_NOFOLLOW, 0644, f->cflags),
	    -ELOOP);
	/* even without O_NOFOLLOW, following it may not leave the root */
	assert_int_equal(ur_confine_open(f->rootfd, "rel", O_RDONLY | O_DIRECTORY, 0, f->cflags),
			 -EXDEV);
	assert_int_equal(ur_confine_open(f->rootfd, "abs", O_RDONLY | O_DIRECTORY, 0, f->cflags),
			 -EXDEV);
	/* O_EXCL on a link: EEXIST, never a file at its target */
	assert_int_equal(
	    ur_confine_open(f->rootfd, "rel", O_WRONLY | O_CREAT | O_EXCL, 0644, f->cflags),
	    -EEXIST);
	/* *at() on the leaf through the parent API works on the link itself */
	struct ur_confined c;
	assert_int_equal(ur_confine_parent(f->rootfd, "abs", f->cflags, &c), 0);
	assert_int_equal(c.dirfd, f->rootfd);
	assert_false(c.owned);
	assert_string_equal(c.leaf, "abs");
	struct stat st;
	assert_int_equal(fstatat(c.dirfd, c.leaf, &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(unlinkat(c.dirfd, c.leaf, 0), 0);
	ur_confined_release(&c);
	outside_untouched(f);
	assert_int_equal(fstatat(f->outfd, ".", &st, 0), 0); /* the target is still there */
}

static void test_inside_works(void **state)
{
	struct fx *f = *state;
	struct stat st;
	int fd = ur_confine_open(f->rootfd, "sub/dir/new", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
				 0640, f->cflags);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	assert_int_equal(fstatat(f->rootfd, "sub/dir/new", &st, 0), 0);
	assert_int_equal(st.st_size, 1);

	/* a link that stays beneath is followed (as RESOLVE_BENEATH does) */
	fd = ur_confine_open(f->rootfd, "sub/up/new2", O_WRONLY | O_CREAT | O_CLOEXEC, 0640,
			     f->cflags);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(fstatat(f->rootfd, "sub/dir/new2", &st, 0), 0);
	fd = ur_confine_open(f->rootfd, "sub/up", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, f->cflags);
	assert_true(fd >= 0);
	assert_int_equal(fstatat(fd, "new2", &st, 0), 0);
	close(fd);
	/* ... unless every link is refused */
	assert_int_equal(ur_confine_open(f->rootfd, "sub/up/new3", O_WRONLY | O_CREAT, 0640,
					 f->cflags | UR_CONFINE_NO_SYMLINKS),
			 -ELOOP);
	assert_int_equal(ur_confine_open(f->rootfd, "loop/x", O_RDONLY, 0, f->cflags), -ELOOP);
	assert_int_equal(ur_confine_open(f->rootfd, "missing/x", O_RDONLY, 0, f->cflags), -ENOENT);
	assert_int_equal(ur_confine_open(f->rootfd, "file/x", O_RDONLY, 0, f->cflags), -ENOTDIR);
	fd = ur_confine_open(f->rootfd, "./sub//dir/./new", O_RDONLY | O_CLOEXEC, 0, f->cflags);
	assert_true(fd >= 0);
	close(fd);
	fd = ur_confine_open(f->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, f->cflags);
	assert_true(fd >= 0);
	assert_int_equal(fstatat(fd, "file", &st, 0), 0);
	close(fd);

	struct ur_confined c;
	assert_int_equal(ur_confine_parent(f->rootfd, "sub/dir/leaf", f->cflags, &c), 0);
	assert_true(c.owned);
	assert_string_equal(c.leaf, "leaf");
	assert_int_equal(mkdirat(c.dirfd, c.leaf, 0755), 0);
	ur_confined_release(&c);
	ur_confined_release(&c);
	assert_int_equal(fstatat(f->rootfd, "sub/dir/leaf", &st, 0), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(ur_confine_parent(f->rootfd, "sub/up/leaf2", f->cflags, &c), 0);
	assert_int_equal(mkdirat(c.dirfd, c.leaf, 0755), 0);
	ur_confined_release(&c);
	assert_int_equal(fstatat(f->rootfd, "sub/dir/leaf2", &st, 0), 0);
	assert_int_equal(ur_confine_parent(f->rootfd, "sub/dir/", f->cflags, &c), -EINVAL);
	assert_int_equal(ur_confine_parent(f->rootfd, "sub/.", f->cflags, &c), -EINVAL);
	assert_int_equal(ur_confine_parent(f->rootfd, "file/x", f->cflags, &c), -ENOTDIR);
	outside_untouched(f);
}

/* The link is swapped in after the check, between two calls: the walk
 * holds directory fds, so the new link is met at open time and refused. */
static void test_swapped_dir(void **state)
{
	struct fx *f = *state;
	struct ur_confined c;
	assert_int_equal(mkdirat(f->rootfd, "swap", 0755), 0);
	assert_int_equal(ur_confine_parent(f->rootfd, "swap/x", f->cflags, &c), 0);
	ur_confined_release(&c);
	assert_int_equal(unlinkat(f->rootfd, "swap", AT_REMOVEDIR), 0);
	assert_int_equal(symlinkat(f->outside, f->rootfd, "swap"), 0);
	assert_int_equal(ur_confine_parent(f->rootfd, "swap/x", f->cflags, &c), -EXDEV);
	assert_int_equal(
	    ur_confine_open(f->rootfd, "swap/pwned", O_WRONLY | O_CREAT, 0644, f->cflags), -EXDEV);
	outside_untouched(f);
}

/* Each test twice, named for the resolver it runs on. */
#define BOTH(t)                                                                                    \
	{#t " (openat2)", t, setup_openat2, teardown, NULL},                                       \
	{                                                                                          \
#t " (walk)", t, setup_walk, teardown, NULL                                        \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names), BOTH(test_escapes_refused), BOTH(test_leaf_symlink),
	    BOTH(test_inside_works),	  BOTH(test_swapped_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
