/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer target for the filter rules (src/filter/). Input layout:
 *   byte 0     option bits (see below)
 *   bytes 1..  rule lines, up to the first NUL: each line is one argument
 *              (bits 3-4: --filter, --exclude, --include, or rsyncd.conf)
 *   after NUL  the bytes of every file the rules read (merge files,
 *              per-directory merge files, HOME/.cvsignore), also added
 *              once as a merge-file buffer
 * Then directories are pushed and popped and paths checked: fixed ones
 * and each rule line as a path.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filter/filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct blob {
	const uint8_t *p;
	size_t n;
};

static int read_blob(void *ctx, const char *path, char **buf, size_t *len)
{
	const struct blob *b = ctx;
	if (strstr(path, "missing"))
		return -ENOENT;
	*buf = malloc(b->n ? b->n : 1);
	if (!*buf)
		return -ENOMEM;
	memcpy(*buf, b->p, b->n);
	*len = b->n;
	return 0;
}

static const char *const paths[] = {
    "a",	   "a/b",      "a/b/c.o", "x.o", "CVS",	 ".rsync-filter", "a/.rules",
    "foo/bar/baz", "dir/sub/", "/abs",	  "",	 "core", ".git",
};

static void check_all(const struct ur_filter_list *l, char *const *lines, size_t nlines)
{
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		for (unsigned f = 0; f < 8; f++) {
			int r = ur_filter_check_ex(l, paths[i], f,
						   (f & 1) ? UR_FILTER_SENDER : UR_FILTER_RECEIVER);
			if (r < -1 || r > 1)
				abort();
		}
	}
	for (size_t i = 0; i < nlines; i++) {
		(void)ur_filter_check(l, lines[i], false, UR_FILTER_SENDER);
		(void)ur_filter_check(l, lines[i], true, UR_FILTER_RECEIVER);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t opt = data[0];
	data++;
	size--;

	const uint8_t *nul = memchr(data, '\0', size);
	size_t alen = nul ? (size_t)(nul - data) : size;
	struct blob file = {nul ? nul + 1 : data + size, nul ? size - alen - 1 : 0};

	/* Split the rule text into NUL-terminated lines. */
	char *text = malloc(alen + 1);
	char **lines = calloc(alen + 1, sizeof(*lines));
	size_t nlines = 0;
	if (!text || !lines)
		goto out;
	memcpy(text, data, alen);
	text[alen] = '\0';
	for (char *s = text; s && *s;) {
		char *e = strchr(s, '\n');
		if (e)
			*e = '\0';
		lines[nlines++] = s;
		s = e ? e + 1 : NULL;
	}

	struct ur_filter_config cfg = {
	    .read_file = read_blob,
	    .ctx = &file,
	    .from0 = opt & 1,
	    .delete_excluded = opt & 2,
	    .home = "/h",
	    .cvsignore = (opt & 4) ? "*.env ! keep" : NULL,
	    .abs_root = (opt & 32) ? "/t/src" : NULL,
	};
	struct ur_filter_list *l = ur_filter_list_new(&cfg);
	if (!l)
		goto out;
	struct ur_err err = {0};
	/* bits 3-4: how arguments are read */
	static const unsigned add_modes[4] = {
	    0,
	    UR_FILTER_OLD_PREFIXES,
	    UR_FILTER_OLD_PREFIXES | UR_FILTER_DEFAULT_INCLUDE,
	    UR_FILTER_OLD_PREFIXES | UR_FILTER_WORDS | UR_FILTER_DAEMON,
	};
	unsigned add = add_modes[(opt >> 3) & 3];

	for (size_t i = 0; i < nlines; i++)
		if (ur_filter_add(l, lines[i], add, &err) < 0 && err.msg[0] == '\0')
			abort(); /* every error explains itself */
	(void)ur_filter_add_buf(l, "blob", (const char *)file.p, file.n, add, &err);
	if (opt & 64)
		(void)ur_filter_add_cvs_exclude(l, &err);
	if (opt & 128) {
		(void)ur_filter_add_F(l, 1, &err);
		(void)ur_filter_add_F(l, 2, &err);
	}

	check_all(l, lines, nlines);
	static const char *const dirs[] = {"", "a", "a/b", "a/b/c"};
	size_t pushed = 0;
	for (; pushed < sizeof(dirs) / sizeof(dirs[0]); pushed++) {
		int rc = ur_filter_push_dir(l, dirs[pushed], &err);
		check_all(l, lines, nlines);
		if (rc < 0) {
			pushed++;
			break;
		}
	}
	while (pushed--) {
		ur_filter_pop_dir(l);
		check_all(l, lines, nlines);
	}

	char buf[256];
	for (size_t i = 0; i < ur_filter_count(l); i++)
		if (ur_filter_rule_text(l, i, buf, sizeof(buf)) < 0)
			abort();
	ur_filter_list_free(l);
out:
	free(text);
	free(lines);
	return 0;
}
