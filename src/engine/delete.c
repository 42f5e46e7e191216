/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Deleting extraneous destination files (--delete and friends). */
#include "engine/engine.h"
#include "io/io_sys.h"
#include "filter/filter.h"
#include "util/err.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A listing of one destination directory, in rsync's file-list order. */
static int list_dest_dir(struct ur_engine *eng, const char *dname, struct ur_flist *out)
{
	enum { CHUNK = 64 };
	struct ur_dir *d;
	struct ur_dirent ents[CHUNK];
	struct ur_stat sts[CHUNK];
	int res[CHUNK];
	ssize_t n;
	int rc = ur_dir_open(eng->dest_fd, dname, false, &d);
	if (rc < 0)
		return rc;
	/* One batch of lstats per CHUNK names (one enter on the ring). */
	while ((n = ur_dir_read_stat(eng->io, d, ents, sts, res, CHUNK, AT_SYMLINK_NOFOLLOW)) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			struct stat st;
			if (res[i] < 0)
				continue;
			ur_stat_to_sys(&sts[i], &st);
			if (!ur_flist_add(out, ents[i].name, &st, NULL)) {
				ur_dir_close(d);
				return -ENOMEM;
			}
		}
	}
	ur_dir_close(d);
	if (n < 0)
		return (int)n;
	ur_flist_sort(out, 0);
	return 0;
}

static void join(char *buf, size_t size, const char *dir, const char *base)
{
	if (dir[0] == '.' && !dir[1])
		snprintf(buf, size, "%s", base);
	else
		snprintf(buf, size, "%s/%s", dir, base);
}

/* Tell the user about one deletion (rsync's log_delete()). */
static void log_delete(struct ur_engine *eng, const char *dname, mode_t mode)
{
	char name[PATH_MAX + 2];
	snprintf(name, sizeof(name), "%s%s", dname, S_ISDIR(mode) ? "/" : "");
	struct ur_item it = {
		.name = name, .mode = mode, .iflags = UR_ITEM_DELETED, .local_name = name,
	};
	ur_report_item(eng->o, eng->out, &it);
	if (eng->chan->deleted)
		eng->chan->deleted(eng, dname, mode);
}

static void count_deleted(struct ur_engine *eng, mode_t mode)
{
	struct ur_stats *st = &eng->st;
	st->deleted_files++;
	if (S_ISREG(mode))
		st->deleted_reg++;
	else if (S_ISDIR(mode))
		st->deleted_dir++;
	else if (S_ISLNK(mode))
		st->deleted_link++;
	else if (S_ISCHR(mode) || S_ISBLK(mode))
		st->deleted_dev++;
	else
		st->deleted_special++;
}

enum { DR_SUCCESS, DR_FAILURE, DR_AT_LIMIT, DR_NOT_EMPTY };

static int delete_one(struct ur_engine *eng, const char *dname, mode_t mode, bool recurse,
		      bool make_room, bool dir_is_empty);

/* Delete a directory's contents, deepest last-sorted first as rsync does. */
static int delete_contents(struct ur_engine *eng, const char *dname, bool recurse)
{
	struct ur_flist list;
	int ret = DR_SUCCESS;
	ur_flist_init(&list);
	if (list_dest_dir(eng, dname, &list) < 0 || !list.n)
		goto out;
	if (!recurse) {
		ret = DR_NOT_EMPTY;
		goto out;
	}
	for (size_t i = list.n; i-- > 0;) {
		char child[PATH_MAX];
		const struct ur_fentry *fe = &list.e[i];
		join(child, sizeof(child), dname, ur_fentry_name(&list, fe));
		/* Protected contents keep their directory; perishable rules do
		 * not protect anything inside a directory being deleted. */
		if (ur_excluded(eng, child, S_ISDIR(fe->mode), UR_FILTER_RECEIVER,
				UR_FILTER_NO_PERISHABLE)) {
			ret = DR_NOT_EMPTY;
			continue;
		}
		if (S_ISDIR(fe->mode) && delete_contents(eng, child, true) != DR_SUCCESS)
			ret = DR_NOT_EMPTY;
		if (delete_one(eng, child, fe->mode, false, false, true) != DR_SUCCESS)
			ret = DR_NOT_EMPTY;
	}
out:
	ur_flist_release(&list);
	if (ret == DR_NOT_EMPTY)
		ur_info("cannot delete non-empty directory: %s\n", dname);
	return ret;
}

static int delete_one(struct ur_engine *eng, const char *dname, mode_t mode, bool recurse,
		      bool make_room, bool dir_is_empty)
{
	const struct ur_opts *o = eng->o;
	int ret;

	if (S_ISDIR(mode) && !dir_is_empty) {
		ret = delete_contents(eng, dname, recurse);
		if (ret != DR_SUCCESS)
			return ret;
	}
	if (!make_room && o->max_delete >= 0 && eng->st.deleted_files >= o->max_delete) {
		eng->deletes_skipped++;
		return DR_AT_LIMIT;
	}
	bool ok;
	if (o->backup && !S_ISDIR(mode) && !eng->in_backup && !ur_is_backup_name(eng, dname)) {
		/* -b: the file moves to its backup name instead of going away. */
		int b = ur_backup(eng, dname, UR_BACKUP_RENAME);
		ok = b == 1 || (b == 2 && ur_sys_unlinkat(eng->io, eng->dest_fd, dname, 0) == 0);
		if (!b)
			return DR_FAILURE;
	} else {
		ok = o->dry_run ||
		     ur_sys_unlinkat(eng->io, eng->dest_fd, dname, S_ISDIR(mode) ? AT_REMOVEDIR : 0) == 0;
	}
	if (ok) {
		if (!make_room) {
			log_delete(eng, dname, mode);
			count_deleted(eng, mode);
		}
		return DR_SUCCESS;
	}
	if (S_ISDIR(mode) && (errno == ENOTEMPTY || errno == EEXIST)) {
		ur_info("cannot delete non-empty directory: %s\n", dname);
		return DR_NOT_EMPTY;
	}
	if (errno == ENOENT)
		return DR_SUCCESS;
	ur_error(errno, "[generator] delete_file: %s(%s) failed", S_ISDIR(mode) ? "rmdir" : "unlink", dname);
	ur_engine_fail(eng, UR_EXIT_PARTIAL);
	return DR_FAILURE;
}

static const char *type_desc(mode_t for_type)
{
	if (S_ISREG(for_type))
		return "regular file";
	if (S_ISDIR(for_type))
		return "directory";
	if (S_ISLNK(for_type))
		return "symlink";
	if (S_ISCHR(for_type) || S_ISBLK(for_type))
		return "device file";
	return "special file";
}

int ur_delete_item(struct ur_engine *eng, const char *dname, mode_t mode, mode_t for_type)
{
	const struct ur_opts *o = eng->o;
	bool recurse = o->delete_mode != UR_DEL_NONE || o->force;
	int ret = delete_one(eng, dname, mode, recurse, for_type != 0, false);
	if (ret != DR_SUCCESS && for_type) {
		ur_errmsg("could not make way for new %s: %s", type_desc(for_type), dname);
		ur_engine_fail(eng, UR_EXIT_PARTIAL);
	}
	return ret == DR_SUCCESS ? 0 : -ENOTEMPTY;
}

/* Is base one of the names in the sorted source segment? */
static bool in_source(const struct ur_flist *fl, const char *base)
{
	size_t lo = 0, hi = fl->n;
	/* The segment is sorted with files before dirs, so names are not in
	 * strcmp order overall; a linear scan over one directory is fine for
	 * typical sizes, but use two binary searches (as file, as dir). */
	for (int pass = 0; pass < 2; pass++) {
		lo = 0;
		hi = fl->n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			const struct ur_fentry *fe = &fl->e[mid];
			int c = ur_fname_cmp(ur_fentry_base(fl, fe), S_ISDIR(fe->mode), base, pass == 1);
			if (c == 0)
				return !(fe->flags & UR_FE_PRUNED);
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	return false;
}

void ur_delete_in_dir(struct ur_engine *eng, const char *dname, const struct ur_flist *fl)
{
	const struct ur_opts *o = eng->o;
	static bool warned;

	if (eng->io_error && !o->ignore_errors) {
		if (!warned)
			ur_info("IO error encountered -- skipping file deletion\n");
		warned = true;
		return;
	}
	struct ur_flist list;
	ur_flist_init(&list);
	if (list_dest_dir(eng, dname, &list) < 0)
		goto out;
	for (size_t i = list.n; i-- > 0;) {
		const struct ur_fentry *fe = &list.e[i];
		const char *base = ur_fentry_name(&list, fe);
		if (in_source(fl, base))
			continue;
		char child[PATH_MAX];
		join(child, sizeof(child), dname, base);
		/* Excluded on the receiving side: protected from deletion. */
		if (ur_excluded(eng, child, S_ISDIR(fe->mode), UR_FILTER_RECEIVER, 0))
			continue;
		if (o->delete_mode == UR_DEL_DELAY || o->delete_mode == UR_DEL_AFTER) {
			struct stat st = {.st_mode = fe->mode};
			ur_flist_add(&eng->delayed, child, &st, NULL);
			continue;
		}
		delete_one(eng, child, fe->mode, true, false, false);
	}
out:
	ur_flist_release(&list);
}

void ur_delete_flush(struct ur_engine *eng)
{
	for (size_t i = 0; i < eng->delayed.n; i++) {
		const struct ur_fentry *fe = &eng->delayed.e[i];
		delete_one(eng, ur_fentry_name(&eng->delayed, fe), fe->mode, true, false, false);
	}
	ur_flist_clear(&eng->delayed);
}
