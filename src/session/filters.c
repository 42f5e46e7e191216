/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The filter list of a run, built from the command line in rsync's order
 * (every --filter/--include/--exclude/--*-from as given, then -C), and the
 * file reading the pure filter/ layer asks for.
 */
#include "session/filters.h"
#include "engine/engine.h"
#include "io/io_sys.h"
#include "filter/filter.h"
#include "util/err.h"
#include "util/log.h"
#include "util/readall.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Merge files may be large lists, but not unbounded. */
#define FILTER_FILE_MAX (64 << 20)

/*
 * Files named on the command line (and "-" for standard input) are found
 * from the current directory; per-directory files met during the walk are
 * transfer-relative, so they are found under the root being walked.
 */
static int read_cb(void *ctx, const char *path, char **buf, size_t *len)
{
	struct ur_engine *eng = ctx;
	char full[PATH_MAX];


	if (!eng->filter_walking && strcmp(path, "-") == 0)
		return ur_read_all(STDIN_FILENO, FILTER_FILE_MAX, buf, len);
	if (eng->filter_walking && path[0] != '/') {
		const char *prefix = eng->roots[eng->walk_root].prefix;
		if ((size_t)snprintf(full, sizeof(full), "%s/%s", prefix, path) >= sizeof(full))
			return -ENAMETOOLONG;
		path = full;
	}
	return ur_io_read_file(eng->io, AT_FDCWD, path, 0, FILTER_FILE_MAX, buf, len);
}

void ur_filter_report(const struct ur_err *err)
{
	/* rsync prints rule syntax errors bare and failed file reads as
	 * system errors of the client. */
	if (err->code == UR_EXIT_FILEIO)
		ur_error(0, "[client] %s", err->msg);
	else
		ur_errmsg("%s", err->msg);
}

/*
 * The receiver's copy of the rules reads per-directory files from the
 * destination (rsync's receiver knows only what is on its side, so a
 * merge file that has not arrived yet protects nothing).
 */
static int read_dest_cb(void *ctx, const char *path, char **buf, size_t *len)
{
	struct ur_engine *eng = ctx;


	if (!eng->filter_walking)
		return read_cb(ctx, path, buf, len);
	if (eng->dest_missing || eng->dest_fd < 0 || path[0] == '/')
		return -ENOENT;
	return ur_io_read_file(eng->io, eng->dest_fd, path, O_NOFOLLOW, FILTER_FILE_MAX, buf, len);
}

static bool reads_stdin(const struct ur_opts *o)
{
	for (int i = 0; i < o->filter_count; i++)
		if ((o->filters[i].kind == UR_FARG_EXCLUDE_FROM ||
		     o->filters[i].kind == UR_FARG_INCLUDE_FROM) && !strcmp(o->filters[i].arg, "-"))
			return true;
	return false;
}

static void warn_cb(void *ctx, const char *msg)
{
	(void)ctx;
	ur_errmsg("%s", msg);
}

/* One list from the command line's filter options, reading through cb. */
/* Does --partial-dir add its rule (rsync's client does, for a relative
 * directory)? */
static bool partial_rule(const struct ur_opts *o)
{
	return o->partial_dir && o->partial_dir[0] != '/' && !o->server;
}

static int build_list(struct ur_engine *eng, const char *abs_root,
		      int (*cb)(void *, const char *, char **, size_t *), bool warn,
		      struct ur_filter_list **out)
{
	const struct ur_opts *o = eng->o;
	struct ur_err err = {0};
	int rc = 0;

	struct ur_filter_config cfg = {
		.read_file = cb,
		.ctx = eng,
		.from0 = o->from0,
		.delete_excluded = o->delete_excluded,
		.home = getenv("HOME"),
		.cvsignore = getenv("CVSIGNORE"),
		.abs_root = abs_root,
		/* The receiver's copy reads the same rules: warn once. */
		.warn = warn ? warn_cb : NULL,
	};
	struct ur_filter_list *l = *out = ur_filter_list_new(&cfg);
	if (!l)
		return UR_EXIT_MALLOC;
	for (int i = 0; i < o->filter_count && !rc; i++) {
		const struct ur_filter_arg *f = &o->filters[i];
		unsigned old = UR_FILTER_OLD_PREFIXES;
		switch (f->kind) {
		case UR_FARG_RULE:
			rc = ur_filter_add(l, f->arg, 0, &err);
			break;
		case UR_FARG_EXCLUDE:
			rc = ur_filter_add(l, f->arg, old, &err);
			break;
		case UR_FARG_INCLUDE:
			rc = ur_filter_add(l, f->arg, old | UR_FILTER_DEFAULT_INCLUDE, &err);
			break;
		case UR_FARG_EXCLUDE_FROM:
			rc = ur_filter_add_file(l, f->arg, old, &err);
			break;
		case UR_FARG_INCLUDE_FROM:
			rc = ur_filter_add_file(l, f->arg, old | UR_FILTER_DEFAULT_INCLUDE,
						&err);
			break;
		}
	}
	/* Backups beside the files must survive --delete: rsync adds a
	 * protect rule for the suffix after the command line's rules. */
	if (!rc && o->backup && !o->backup_dir && o->delete_mode != UR_DEL_NONE &&
	    !o->delete_excluded) {
		char rule[300];
		snprintf(rule, sizeof(rule), "P *%s", o->suffix ? o->suffix : "~");
		rc = ur_filter_add(l, rule, 0, &err);
	}
	if (!rc && o->cvs_exclude)
		rc = ur_filter_add_cvs_exclude(l, &err);
	/* A relative --partial-dir is kept out of the transfer and safe from
	 * --delete by a rule the client adds last (the server gets it with
	 * the others): "-p DIR/", perishable so a directory holding only it
	 * can still go. */
	if (!rc && partial_rule(o)) {
		char rule[PATH_MAX + 8];
		snprintf(rule, sizeof(rule), "-p %s/", o->partial_dir);
		rc = ur_filter_add(l, rule, 0, &err);
	}
	if (rc < 0) {
		ur_filter_report(&err);
		return err.code ? err.code : UR_EXIT_SYNTAX;
	}
	return 0;
}

int ur_session_filters(struct ur_engine *eng, const char *abs_root)
{
	const struct ur_opts *o = eng->o;
	bool protect_backups = o->backup && !o->backup_dir && o->delete_mode != UR_DEL_NONE &&
			       !o->delete_excluded;
	if (!o->filter_count && !o->cvs_exclude && !protect_backups && !partial_rule(o))
		return 0;
	int rc = build_list(eng, abs_root, read_cb, true, &eng->filters);
	/* Only deletion consults the receiver's rules. A command-line file
	 * read twice would consume standard input twice, so "-" is only read
	 * for the sender's list and the receiver shares its rules then. */
	if (!rc && o->delete_mode != UR_DEL_NONE && !reads_stdin(o))
		rc = build_list(eng, abs_root, read_dest_cb, false, &eng->rfilters);
	return rc;
}
