/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Who talks to whom. For now: the local transfer; remote forms say so. */
#include "session/session.h"
#include "engine/engine.h"
#include "session/operand.h"
#include "util/err.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* "/cwd/path" for messages, as rsync's full_fname() shows paths. */
static void abs_path(const char *path, char *buf, size_t size)
{
	char cwd[PATH_MAX];
	if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		snprintf(buf, size, "%s", path);
	else if (strcmp(path, ".") == 0)
		snprintf(buf, size, "%s", cwd);
	else
		snprintf(buf, size, "%s/%s", strcmp(cwd, "/") ? cwd : "", path);
	/* Drop trailing slashes (but keep "/"). */
	size_t n = strlen(buf);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
}

/* mkdir -p for --mkpath; returns 0 or -errno (and the path that failed). */
static int make_path(const char *path, char *failed, size_t fsize)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; ; p++) {
		if (*p == '/' || !*p) {
			char c = *p;
			*p = '\0';
			if (mkdir(buf, 0777) < 0 && errno != EEXIST) {
				snprintf(failed, fsize, "%s", buf);
				return -errno;
			}
			if (!c)
				break;
			*p = c;
		}
	}
	return 0;
}

/*
 * Decide what DEST means (rsync's get_local_name): an existing directory,
 * a file name for a single non-directory source, or a directory to create.
 * Fills eng->dest_fd/dest_path/dest_file. Returns 0 or an exit code.
 */
static int open_dest(struct ur_engine *eng, const struct ur_flist *top, const char *dest)
{
	const struct ur_opts *o = eng->o;
	char apath[PATH_MAX], failed[PATH_MAX];
	struct stat st;
	size_t dl = strlen(dest);
	bool trailing = dl && dest[dl - 1] == '/';
	bool single_file = top->n == 1 && !S_ISDIR(top->e[0].mode) && !(top->e[0].flags & UR_FE_MISSING);

	abs_path(dest, apath, sizeof(apath));
	if (stat(dest, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			goto open_dir;
		if (top->n > 1) {
			ur_error(0, "ERROR: destination must be a directory when copying more than 1 file");
			return UR_EXIT_FILESELECT;
		}
		goto single;
	}
	if (single_file && !trailing)
		goto single;

	/* Create the destination directory. */
	if (o->mkpath) {
		char parent[PATH_MAX];
		snprintf(parent, sizeof(parent), "%s", dest);
		char *s = strrchr(parent, '/');
		while (s && s > parent && !s[1]) {
			*s = '\0';
			s = strrchr(parent, '/');
		}
		if (s && s != parent) {
			*s = '\0';
			if (!o->dry_run && make_path(parent, failed, sizeof(failed)) < 0) {
				char af[PATH_MAX];
				abs_path(failed, af, sizeof(af));
				ur_error(errno, "[Receiver] mkdir \"%s\" failed", af);
				return UR_EXIT_FILEIO;
			}
		}
	}
	if (!o->dry_run && mkdir(dest, 0777) < 0 && errno != EEXIST) {
		ur_error(errno, "[Receiver] mkdir \"%s\" failed", apath);
		return UR_EXIT_FILEIO;
	}
	if (UR_INFO_GTE(o, NAME, 1) || ur_format_has_i(ur_stdout_format(o)))
		ur_info("created directory %s\n", dest);
	eng->root_created = true;
	if (o->dry_run) {
		eng->dest_missing = true;
		eng->dest_fd = -1;
		eng->dest_path = strdup(apath);
		return 0;
	}
open_dir:
	eng->dest_fd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (eng->dest_fd < 0) {
		ur_error(errno, "[Receiver] change_dir#3 \"%s\" failed", apath);
		return UR_EXIT_FILESELECT;
	}
	eng->dest_path = strdup(apath);
	return eng->dest_path ? 0 : UR_EXIT_MALLOC;

single: {
	/* DEST names the file itself; its directory must exist (or --mkpath). */
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", dest);
	char *s = strrchr(dir, '/');
	const char *base = dest;
	if (s) {
		*s = '\0';
		base = dest + (s - dir) + 1;
		if (!dir[0])
			snprintf(dir, sizeof(dir), "/");
	} else {
		snprintf(dir, sizeof(dir), ".");
	}
	if (o->mkpath && !o->dry_run && make_path(dir, failed, sizeof(failed)) < 0) {
		char af[PATH_MAX];
		abs_path(failed, af, sizeof(af));
		ur_error(errno, "[Receiver] mkdir \"%s\" failed", af);
		return UR_EXIT_FILEIO;
	}
	abs_path(dir, apath, sizeof(apath));
	eng->dest_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (eng->dest_fd < 0) {
		if (o->dry_run && o->mkpath) {
			eng->dest_missing = true;
		} else {
			ur_error(errno, "[Receiver] change_dir#3 \"%s\" failed", apath);
			return UR_EXIT_FILESELECT;
		}
	}
	eng->dest_file = strdup(base);
	eng->dest_path = strdup(apath);
	return eng->dest_file && eng->dest_path ? 0 : UR_EXIT_MALLOC;
}
}

static void engine_release(struct ur_engine *eng)
{
	for (size_t i = 0; i < eng->nroots; i++)
		free(eng->roots[i].prefix);
	free(eng->roots);
	free(eng->dest_path);
	free(eng->dest_file);
	free(eng->dirfix);
	ur_flist_release(&eng->delayed);
	if (eng->dest_fd >= 0)
		close(eng->dest_fd);
}

static int run_local(struct ur_opts *o)
{
	struct ur_engine eng = {
		.o = o,
		.chan = &ur_local_chan,
		.out = stdout,
		.dest_fd = -1,
	};
	struct ur_flist top;
	int rc = 0;

	ur_flist_init(&top);
	ur_flist_init(&eng.delayed);
	eng.start_ns = ur_now_ns();
	eng.umask = umask(0);
	umask(eng.umask);
	eng.am_root = o->am_root < 0 ? geteuid() == 0 : o->am_root > 0;

	if (!o->list_only && UR_INFO_GTE(o, FLIST, 1))
		ur_info(o->inc_recursive != 0 && o->recursive ? "sending incremental file list\n"
							      : "building file list ... done\n");
	rc = ur_sender_top(&eng, &top);
	if (rc < 0) {
		ur_error(-rc, "building the file list");
		rc = UR_EXIT_MALLOC;
		goto out;
	}
	eng.st.flist_buildtime = (double)(ur_now_ns() - eng.start_ns) / 1e9;
	if (!o->list_only) {
		rc = open_dest(&eng, &top, o->args[o->nargs - 1]);
		if (rc)
			goto out;
		if (UR_INFO_GTE(o, MISC, 2))
			ur_info("delta-transmission disabled for local transfer or --whole-file\n");
	}
	ur_engine_run(&eng, &top);

	eng.st.elapsed = (double)(ur_now_ns() - eng.start_ns) / 1e9;
	/* A local copy moves no protocol bytes; report the data moved plus a
	 * file-list estimate so the rate line has meaning. */
	eng.st.total_written = eng.st.literal_data + eng.st.num_files * 8 + 40;
	eng.st.total_read = eng.st.xferred_files * 4 + 30;
	if (!o->list_only)
		ur_report_stats(o, stdout, &eng.st);
	else if (UR_INFO_GTE(o, STATS, 2))
		ur_report_stats(o, stdout, &eng.st);
	if (eng.deletes_skipped) {
		ur_warn("Deletions stopped due to --max-delete limit (%lld skipped)",
			(long long)eng.deletes_skipped);
		ur_engine_fail(&eng, UR_EXIT_DEL_LIMIT);
	}
	rc = eng.exit_code;
out:
	fflush(stdout);
	ur_flist_release(&top);
	engine_release(&eng);
	return rc;
}

int ur_session_run(struct ur_opts *o)
{
	int rc;
	if (o->nargs < 1) {
		ur_error(0, "Usage: ursync [OPTION]... SRC [SRC]... DEST (see --help)");
		rc = UR_EXIT_SYNTAX;
		goto out;
	}
	for (int i = 0; i < o->nargs; i++) {
		struct ur_operand op;
		ur_operand_parse(o->args[i], &op);
		if (op.kind != UR_OPERAND_LOCAL) {
			ur_error(0, "remote transfers (%s) are not supported yet", o->args[i]);
			rc = UR_EXIT_UNSUPPORTED;
			goto out;
		}
	}
	if (o->nargs == 1) {
		/* A lone source lists it, as rsync does. */
		o->list_only = true;
		o->nargs = 2;
		/* args[1] is never read as DEST in list mode. */
	}
	rc = run_local(o);
out:
	if (rc)
		ur_exit_message(rc, "client");
	return rc;
}
