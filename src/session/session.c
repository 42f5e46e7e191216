/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Who talks to whom. For now: the local transfer; remote forms say so. */
#include "session/session.h"
#include "session/rsh.h"
#include "engine/engine.h"
#include "engine/refdir.h"
#include "meta/namemap.h"
#include "io/io_sys.h"
#include "session/filters.h"
#include "session/remote.h"
#include "session/remote_spec.h"
#include "session/session_int.h"
#include "session/operand.h"
#include "daemon/server.h"
#include "filter/filter.h"
#include "util/err.h"
#include "util/log.h"
#include "util/path.h"

#include <dirent.h>
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
	ur_abs_path(path, buf, size);
	/* Drop trailing slashes (but keep "/"). */
	size_t n = strlen(buf);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
}

/*
 * The absolute path of the first source's transfer root, where names in the
 * file list start: the directory itself for "dir/", its parent for "dir",
 * SRC for --files-from.
 */
static void transfer_root(const struct ur_opts *o, char *buf, size_t size)
{
	const char *first = o->nargs > 1 ? o->args[0] : ".";
	char tmp[PATH_MAX];
	size_t n = strlen(first);
	bool contents = o->files_from || (n && first[n - 1] == '/') || !strcmp(first, ".") ||
			(n >= 2 && !strcmp(first + n - 2, "/."));
	snprintf(tmp, sizeof(tmp), "%s", first);
	if (!contents && !o->relative) {
		char *slash = strrchr(tmp, '/');
		if (slash && slash != tmp)
			*slash = '\0';
		else if (slash)
			snprintf(tmp, sizeof(tmp), "/");
		else
			snprintf(tmp, sizeof(tmp), ".");
	} else if (!contents) {
		snprintf(tmp, sizeof(tmp), "%s", first[0] == '/' ? "/" : ".");
	}
	abs_path(tmp, buf, size);
}

/*
 * --mkpath: create the missing directories of path (all of it, or all but
 * the last component with drop_name). Returns how many were created, or
 * -(created + 1) after a failure with errno set. In a dry run nothing is
 * made, and what would be made is counted.
 */
static int make_path(struct ur_io *io, const struct ur_opts *o, const char *path, bool drop_name,
		     mode_t umask_)
{
	char buf[PATH_MAX];
	int made = 0;
	snprintf(buf, sizeof(buf), "%s", path);
	char *start = buf;
	while (start[0] == '.' && start[1] == '/')
		start += 2;
	if (drop_name) {
		char *end = strrchr(start, '/');
		if (!end || end == start)
			return 0;
		*end = '\0';
	}
	size_t n = strlen(start);
	while (n > 1 && start[n - 1] == '/')
		start[--n] = '\0';
	bool missing = false;
	for (char *p = start + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		char c = *p;
		*p = '\0';
		struct stat st;
		if (missing || ur_sys_fstatat(io, AT_FDCWD, start, &st, 0) < 0) {
			if (o->dry_run) {
				/* nothing is made, but counted as rsync counts it:
				 * below a missing one all are missing */
				missing = true;
				made++;
				if (!c)
					break;
				*p = c;
				continue;
			}
			if (ur_sys_mkdirat(io, AT_FDCWD, start, 0777 & ~umask_) < 0)
				return -made - 1;
			made++;
		} else if (!S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			return -made - 1;
		}
		if (!c)
			break;
		*p = c;
	}
	return made;
}

/* Does the source directory of top-level entry fe hold anything? */
static bool has_children(struct ur_engine *eng, const struct ur_flist *top, const struct ur_fentry *fe)
{
	char path[PATH_MAX];
	if (!ur_sender_path(eng, top, fe, path, sizeof(path)))
		return false;
	struct ur_dir *d;
	struct ur_dirent de;
	if (ur_dir_open(AT_FDCWD, path, true, &d) < 0)
		return false;
	bool any = ur_dir_read(d, &de, 1) > 0; /* never "." or ".." */
	ur_dir_close(d);
	return any;
}

/*
 * Decide what DEST means, as rsync's get_local_name() does: an existing
 * directory; a directory to create (when more than one file arrives or
 * DEST ends in '/'); else the name for the single file. "More than one"
 * counts the top-level entries plus, as rsync's first file-list segment
 * does, the contents of a directory that is sent recursively.
 * Fills eng->dest_fd/dest_path/dest_file. Returns 0 or an exit code.
 */
int ur_session_open_dest(struct ur_engine *eng, const struct ur_flist *top, char *dest,
			 int file_total)
{
	const struct ur_opts *o = eng->o;
	char apath[PATH_MAX];
	struct stat st;

	if (file_total >= 0) {
		/* the wire: what the first list held */
	} else if ((file_total = (int)top->n) == 1 && S_ISDIR(top->e[0].mode) && !(top->e[0].flags & UR_FE_NO_RECURSE) &&
	    (o->recursive || (top->e[0].flags & UR_FE_TOP_DIR)) && has_children(eng, top, &top->e[0]))
		file_total = 2;
	if (!*dest)
		dest = (char *)".";

	int statret = ur_sys_fstatat(eng->io, AT_FDCWD, dest, &st, 0);
	int stat_errno = errno;
	char *cp = strrchr(dest, '/');
	bool trailing = cp && !cp[1];

	if (o->mkpath && statret < 0 && (cp || file_total > 1)) {
		int made = make_path(eng->io, o, dest, !(file_total > 1 && !trailing), eng->umask);
		if (made < 0) {
			/* This message shows DEST as given, trailing slash and all. */
			ur_abs_path(dest, apath, sizeof(apath));
			ur_error(errno, "[Receiver] mkdir \"%s\" failed", apath);
			return UR_EXIT_FILEIO;
		}
		if (made && (UR_INFO_GTE(o, NAME, 1) || ur_stdout_has_i(o))) {
			int len = (int)strlen(dest);
			if (cp && (file_total == 1 || trailing))
				len = (int)(cp - dest);
			ur_info("created %d director%s for %.*s\n", made, made == 1 ? "y" : "ies", len, dest);
		}
		if (made) {
			statret = ur_sys_fstatat(eng->io, AT_FDCWD, dest, &st, 0);
			stat_errno = errno;
		}
	}

	if (statret == 0) {
		if (S_ISDIR(st.st_mode)) {
			abs_path(dest, apath, sizeof(apath));
			eng->dest_fd = ur_sys_openat(eng->io, AT_FDCWD, dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
			if (eng->dest_fd < 0) {
				ur_error(errno, "[Receiver] change_dir#1 \"%s\" failed", apath);
				return UR_EXIT_FILESELECT;
			}
			eng->dest_path = strdup(apath);
			return eng->dest_path ? 0 : UR_EXIT_MALLOC;
		}
		if (file_total > 1) {
			ur_errmsg("ERROR: destination must be a directory when copying more than 1 file");
			return UR_EXIT_FILESELECT;
		}
		if (file_total == 1 && S_ISDIR(top->e[0].mode)) {
			ur_errmsg("ERROR: cannot overwrite non-directory with a directory");
			return UR_EXIT_FILESELECT;
		}
	} else if (stat_errno != ENOENT) {
		/* This message shows DEST as given, trailing slash and all. */
		ur_abs_path(dest, apath, sizeof(apath));
		ur_error(stat_errno, "[Receiver] ERROR: cannot stat destination \"%s\"", apath);
		return UR_EXIT_FILESELECT;
	}

	if (file_total > 1 || trailing) {
		if (trailing)
			*cp = '\0';
		abs_path(dest, apath, sizeof(apath));
		if (statret == 0) {
			ur_errmsg("ERROR: destination path is not a directory");
			return UR_EXIT_SYNTAX;
		}
		if (!o->dry_run && ur_sys_mkdirat(eng->io, AT_FDCWD, dest, 0777 & ~eng->umask) < 0) {
			ur_error(errno, "[Receiver] mkdir \"%s\" failed", apath);
			return UR_EXIT_FILEIO;
		}
		if (top->n && strcmp(ur_fentry_name(top, &top->e[0]), ".") == 0)
			eng->root_created = true;
		if (UR_INFO_GTE(o, NAME, 1) || ur_stdout_has_i(o))
			ur_info("created directory %s\n", dest);
		eng->dest_path = strdup(apath);
		if (!eng->dest_path)
			return UR_EXIT_MALLOC;
		if (o->dry_run) {
			eng->dest_missing = true;
			return 0;
		}
		eng->dest_fd = ur_sys_openat(eng->io, AT_FDCWD, dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
		if (eng->dest_fd < 0) {
			ur_error(errno, "[Receiver] change_dir#2 \"%s\" failed", apath);
			return UR_EXIT_FILESELECT;
		}
		return 0;
	}

	/* A single item, written under DEST's last component. */
	const char *dir = ".";
	const char *base = dest;
	if (cp) {
		*cp = '\0';
		dir = cp == dest ? "/" : dest;
		base = cp + 1;
	}
	abs_path(dir, apath, sizeof(apath));
	eng->dest_file = strdup(base);
	eng->dest_path = strdup(apath);
	if (!eng->dest_file || !eng->dest_path)
		return UR_EXIT_MALLOC;
	if (o->dry_run && o->mkpath && ur_sys_fstatat(eng->io, AT_FDCWD, dir, &st, 0) < 0) {
		eng->dest_missing = true;
		return 0;
	}
	eng->dest_fd = ur_sys_openat(eng->io, AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (eng->dest_fd < 0) {
		ur_error(errno, "[Receiver] change_dir#3 \"%s\" failed", apath);
		return UR_EXIT_FILESELECT;
	}
	return 0;
}

void ur_session_engine_groups(struct ur_engine *eng)
{
	if (eng->am_root)
		return;
	int n = getgroups(0, NULL);
	if (n > 0 && (eng->groups = calloc((size_t)n, sizeof(gid_t))))
		eng->ngroups = getgroups(n, eng->groups);
	if (eng->ngroups < 0)
		eng->ngroups = 0;
}

void ur_session_engine_release(struct ur_engine *eng)
{
	for (size_t i = 0; i < eng->nroots; i++) {
		free(eng->roots[i].prefix);
		free(eng->roots[i].top);
	}
	free(eng->roots);
	free(eng->dest_path);
	free(eng->dest_file);
	ur_refdirs_free(eng->refs);
	eng->refs = NULL;
	for (size_t i = 0; i < eng->ndirfix; i++)
		free(eng->dirfix[i].name); /* left over when a fatal error stopped the run */
	free(eng->dirfix);
	free(eng->groups);
	ur_filter_list_free(eng->filters);
	ur_filter_list_free(eng->rfilters);
	ur_flist_release(&eng->delayed);
	if (eng->dest_fd >= 0)
		ur_io_close(eng->io, eng->dest_fd);
	ur_io_free(eng->io);
}

static int run_local(struct ur_opts *o)
{
	struct ur_engine eng = {
		.o = o,
		.chan = &ur_local_chan,
		.out = stdout,
		.dest_fd = -1,
		.cur_dfd = -1,
	};
	struct ur_flist top;
	struct ur_namemap umap = {0}, gmap = {0};
	int rc = 0;

	ur_flist_init(&top);
	ur_flist_init(&eng.delayed);
	eng.start_ns = ur_now_ns();
	{
		/* One backend for the run (docs/fastio.md): every file
		 * operation of the engine goes through it. */
		struct ur_err err = {0};
		if (ur_io_open(o->io_policy, &eng.io, &err) < 0) {
			ur_errmsg("%s", err.msg);
			rc = err.code ? err.code : UR_EXIT_UNSUPPORTED;
			goto out;
		}
	}
	/* Every mode ursync creates is computed (rsync's rules apply the
	 * umask itself), so the process runs with none: no chmod afterwards. */
	eng.umask = umask(0);
	eng.euid = (uint32_t)geteuid();
	eng.egid = (uint32_t)getegid();
	eng.am_root = o->am_root < 0 ? geteuid() == 0 : o->am_root > 0;
	ur_session_engine_groups(&eng);

	/* rsync's receiver turns incremental recursion off for the options
	 * that need the whole list first; the sender's banner follows it. */
	bool inc = o->inc_recursive != 0 && o->recursive && o->delete_mode != UR_DEL_BEFORE &&
		   o->delete_mode != UR_DEL_AFTER && !o->delay_updates && !o->prune_empty_dirs;
	/* rsync shows the list being built only when directories go
	 * (-r, -d): a run of single files says nothing */
	if (!o->list_only && UR_INFO_GTE(o, FLIST, 1) && (inc || o->xfer_dirs))
		ur_info(inc ? "sending incremental file list\n" : "building file list ... done\n");
	{
		char root[PATH_MAX];
		transfer_root(o, root, sizeof(root));
		rc = ur_session_filters(&eng, root);
		if (rc)
			goto out;
	}
	rc = ur_sender_top(&eng, &top);
	if (rc < 0) {
		ur_error(-rc, "building the file list");
		rc = UR_EXIT_MALLOC;
		goto out;
	}
	/* rsync's sender reads the root's per-directory rules while building
	 * its first list, before the receiver creates anything. */
	rc = ur_engine_check_root_filters(&eng, &top);
	if (rc)
		goto out;
	/* rsync's receiver reads its id maps with the first list, before it
	 * looks at the destination */
	if (o->usermap && !o->list_only) {
		if ((rc = ur_namemap_parse(&umap, o->usermap, true, o->numeric_ids)) != 0) {
			rc = rc < 0 ? UR_EXIT_MALLOC : rc;
			goto out;
		}
		eng.umap = &umap;
	}
	if (o->groupmap && !o->list_only) {
		if ((rc = ur_namemap_parse(&gmap, o->groupmap, false, o->numeric_ids)) != 0) {
			rc = rc < 0 ? UR_EXIT_MALLOC : rc;
			goto out;
		}
		eng.gmap = &gmap;
	}
	eng.st.flist_buildtime = (double)(ur_now_ns() - eng.start_ns) / 1e9;
	if (!o->list_only) {
		rc = ur_session_open_dest(&eng, &top, o->args[o->nargs - 1], -1);
		if (rc)
			goto out;
		if (o->backup_dir) {
			/* Checked inside the destination, as rsync's receiver does. */
			struct stat bst;
			int br = eng.dest_missing ? -1 : ur_sys_fstatat(eng.io, eng.dest_fd, o->backup_dir, &bst, 0);
			int be = br < 0 ? (eng.dest_missing ? ENOENT : errno) : 0;
			if (br == 0 && !S_ISDIR(bst.st_mode)) {
				ur_errmsg("The backup-dir is not a directory: %s", o->backup_dir);
				rc = UR_EXIT_SYNTAX;
				goto out;
			}
			if (br < 0 && be != ENOENT) {
				ur_errmsg("Failed to stat %s: %s", o->backup_dir, strerror(be));
				rc = UR_EXIT_FILEIO;
				goto out;
			}
			if (UR_INFO_GTE(o, BACKUP, 1))
				ur_info("%sbackup_dir is %s\n", br < 0 ? "(new) " : "", o->backup_dir);
		}
		if (o->temp_dir && !eng.dest_missing) {
			/* Checked once, inside the destination, as rsync's receiver does. */
			struct stat tst;
			int tr = ur_sys_fstatat(eng.io, eng.dest_fd, o->temp_dir, &tst, 0);
			if (tr == 0 && !S_ISDIR(tst.st_mode)) {
				ur_errmsg("The temp-dir is not a directory: %s", o->temp_dir);
				rc = UR_EXIT_SYNTAX;
				goto out;
			}
			if (tr < 0) {
				int e = errno;
				if (e == ENOENT)
					ur_errmsg("The temp-dir does not exist: %s", o->temp_dir);
				else
					ur_errmsg("Failed to stat temp-dir %s: %s", o->temp_dir, strerror(e));
				rc = e == ENOENT ? UR_EXIT_SYNTAX : UR_EXIT_FILEIO;
				goto out;
			}
		}
		if (UR_INFO_GTE(o, MISC, 2))
			ur_info("delta-transmission disabled for local transfer or --whole-file\n");
	}
	ur_engine_run(&eng, &top);

	eng.st.elapsed = (double)(ur_now_ns() - eng.start_ns) / 1e9;
	/* A local copy moves no protocol bytes; report the data moved plus a
	 * file-list estimate so the rate line has meaning. */
	eng.st.total_written = eng.st.literal_data + eng.st.num_files * 8 + 40;
	eng.st.total_read = eng.st.xferred_files * 4 + 30;
	if (!o->list_only && UR_DEBUG_GTE(o, DELTASUM, 1)) {
		/* The sender's match report; whole-file copies match nothing. */
		char num[64];
		ur_info("total: matches=0  hash_hits=0  false_alarms=0 data=%s\n",
			ur_human_num(ur_human_level(o), eng.st.literal_data, num, sizeof(num)));
	}
	/* A fatal error (a failed write) ends rsync's run in its receiver,
	 * before the client prints any summary. */
	if (eng.fatal)
		;
	else if (!o->list_only)
		ur_report_stats(o, stdout, &eng.st);
	else if (UR_INFO_GTE(o, STATS, 2))
		ur_report_stats(o, stdout, &eng.st);
	if (eng.deletes_skipped) {
		ur_errmsg("Deletions stopped due to --max-delete limit (%lld skipped)",
			(long long)eng.deletes_skipped);
		ur_engine_fail(&eng, UR_EXIT_DEL_LIMIT);
	}
	rc = eng.exit_code;
out:
	fflush(stdout);
	ur_flist_release(&top);
	ur_session_engine_release(&eng);
	ur_namemap_release(&umap);
	ur_namemap_release(&gmap);
	return rc;
}

/* --partial-dir as rsync uses it: cleaned, and none if that leaves "." */
static int clean_partial_dir(struct ur_opts *o, char **owned)
{
	*owned = NULL;
	if (!o->partial_dir)
		return 0;
	if (!(*owned = ur_clean_dir(o->partial_dir)))
		return UR_EXIT_MALLOC;
	o->partial_dir = strcmp(*owned, ".") ? *owned : NULL;
	return 0;
}

static int session_run(struct ur_opts *o);

int ur_session_run(struct ur_opts *o)
{
	char *pdir;
	ur_log_quiet = o->quiet > 0;
	ur_signals_install(o->server ? (o->sender ? "sender" : "generator") : NULL);
	int rc = clean_partial_dir(o, &pdir);
	if (!rc)
		rc = session_run(o);
	o->partial_dir = NULL;
	free(pdir);
	return rc;
}

static int (*daemon_parser)(struct ur_opts *, int, char **, const char *, bool, char *, size_t);

void ur_session_set_daemon_parser(int (*parse)(struct ur_opts *o, int argc, char **argv,
					       const char *refuse, bool charset, char *msg,
					       size_t cap))
{
	daemon_parser = parse;
}

static int session_run(struct ur_opts *o)
{
	int rc;
	if (o->daemon) {
		if (!daemon_parser)
			return UR_EXIT_UNSUPPORTED;
		struct ur_daemon_hooks h = {.parse = daemon_parser, .serve = ur_session_serve};
		return ur_daemon_main(o, &h);
	}
	if (o->server)
		return ur_session_server(o);
	if (o->nargs < 1) {
		ur_error(0, "Usage: %s [OPTION]... SRC [SRC]... DEST (see --help)", ur_progname);
		rc = UR_EXIT_SYNTAX;
		goto out;
	}
	{
		struct ur_remote_spec rs;
		struct ur_err err = {0};
		const char *role = "client";
		rc = ur_remote_spec_parse_opts(o, o->nargs, o->args, &rs, &err);
		if (rc) {
			ur_errmsg("%s", err.msg);
			role = rs.mode == UR_XFER_PULL || rs.mode == UR_XFER_DAEMON_PULL ? "Receiver"
											  : "sender";
			ur_remote_spec_free(&rs);
			ur_exit_message(rc, role);
			return rc;
		}
		if (rs.mode != UR_XFER_LOCAL) {
			rc = ur_session_client(o, &rs);
			role = ur_client_exit_role;
			ur_remote_spec_free(&rs);
			if (rc && role)
				ur_exit_message(rc, role);
			return rc;
		}
		ur_remote_spec_free(&rs);
	}
	if (o->checksum && o->checksum_choice) {
		/* -c cannot compare by "none" (the FILE part of XFER[,FILE]) */
		const char *cc = o->checksum_choice, *comma = strchr(cc, ',');
		if (!strcmp(comma ? comma + 1 : cc, "none")) {
			ur_errmsg("Invalid checksum-choice for --checksum: none (0)");
			ur_exit_message(UR_EXIT_UNSUPPORTED, "sender");
			/* rsync's local sender dies there, and its receiver
			 * reports the signal that brings it down */
			ur_exit_message(UR_EXIT_SIGNAL1, "Receiver");
			return UR_EXIT_UNSUPPORTED;
		}
	}
	if (o->remote_opt_count) {
		/* rsync hands -M to the local copy's receiving process; ours
		 * has none yet */
		ur_error(0, "--remote-option on a local copy is not supported yet");
		rc = UR_EXIT_UNSUPPORTED;
		goto out;
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
