/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * -b/--backup, --backup-dir, --suffix: the old version of a destination
 * file is kept, renamed or hard-linked to NAME+SUFFIX beside it or to
 * BACKUP_DIR/NAME+SUFFIX (the backup dir is relative to the destination).
 */
#include "engine/engine.h"
#include "io/io_sys.h"
#include "util/err.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool ur_is_backup_name(const struct ur_engine *eng, const char *dname)
{
	const char *suf = eng->o->suffix ? eng->o->suffix : "~";
	size_t n = strlen(dname), s = strlen(suf);
	return !eng->o->backup_dir && n > s && strcmp(dname + n - s, suf) == 0;
}

/*
 * Make the missing directories on the way to backup path bpath. Each new
 * one takes the attributes of the destination directory it mirrors, as
 * rsync's do; the backup dir itself is made plainly.
 */
static int make_backup_dirs(struct ur_engine *eng, const char *bpath)
{
	const struct ur_opts *o = eng->o;
	size_t root_len = strlen(o->backup_dir);
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", bpath);
	for (char *p = buf + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (ur_sys_mkdirat(eng->io, eng->dest_fd, buf, 0777 & ~eng->umask) < 0) {
			if (errno != EEXIST) {
				ur_error(errno, "backup mkdir %s failed", buf);
				return -1;
			}
		} else if ((size_t)(p - buf) > root_len) {
			/* A mirror of destination dir "buf + root_len + 1". */
			struct stat st;
			const char *rel = buf + root_len + 1;
			if (ur_sys_fstatat(eng->io, eng->dest_fd, rel, &st, 0) == 0) {
				struct ur_fentry fe = {
					.mode = st.st_mode, .uid = st.st_uid, .gid = st.st_gid,
					.mtime = st.st_mtim.tv_sec, .mtime_ns = (uint32_t)st.st_mtim.tv_nsec,
				};
				ur_set_attrs(eng, buf, -1, &fe, NULL, 0);
			}
		}
		*p = '/';
	}
	return 0;
}

/* --inplace overwrites the very inode, so its backup is a copy (data,
 * mode, owner, times of the old file). Returns 0 or -errno. */
static int copy_to(struct ur_engine *eng, const char *dname, const struct stat *st,
		   const char *bpath)
{
	int in = ur_io_openat(eng->io, eng->dest_fd, dname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0);
	if (in < 0)
		return in;
	ur_io_unlinkat(eng->io, eng->dest_fd, bpath, 0);
	int out = ur_io_openat(eng->io, eng->dest_fd, bpath,
			       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st->st_mode & 07777);
	if (out < 0) {
		ur_io_close(eng->io, in);
		return out;
	}
	int rc = ur_copy_file(in, out, 0, NULL);
	if (!rc) {
		struct ur_fentry fe = {
			.mode = st->st_mode, .uid = st->st_uid, .gid = st->st_gid,
			.mtime = st->st_mtim.tv_sec, .mtime_ns = (uint32_t)st->st_mtim.tv_nsec,
		};
		ur_set_attrs(eng, bpath, out, &fe, NULL, UR_ATTR_ACCURATE);
	}
	ur_io_close(eng->io, out);
	ur_io_close(eng->io, in);
	if (rc)
		ur_io_unlinkat(eng->io, eng->dest_fd, bpath, 0);
	return rc;
}

/* A copy of dname at bpath whatever its type (copy_to for a regular
 * file). Returns 0 or -errno. */
static int copy_across(struct ur_engine *eng, const char *dname, const struct stat *st,
		       const char *bpath)
{
	if (S_ISREG(st->st_mode))
		return copy_to(eng, dname, st, bpath);
	ur_io_unlinkat(eng->io, eng->dest_fd, bpath, 0);
	int rc;
	if (S_ISLNK(st->st_mode)) {
		char target[PATH_MAX];
		ssize_t n = ur_io_readlink(eng->io, eng->dest_fd, dname, target, sizeof(target));
		if (n < 0)
			return (int)n;
		rc = ur_io_symlinkat(eng->io, target, eng->dest_fd, bpath);
	} else {
		rc = ur_io_mknodat(eng->io, eng->dest_fd, bpath, st->st_mode, st->st_rdev);
	}
	if (rc < 0)
		return rc;
	struct ur_fentry fe = {
	    .mode = st->st_mode, .uid = st->st_uid, .gid = st->st_gid,
	    .mtime = st->st_mtim.tv_sec, .mtime_ns = (uint32_t)st->st_mtim.tv_nsec,
	};
	ur_set_attrs(eng, bpath, -1, &fe, NULL, UR_ATTR_ACCURATE);
	return 0;
}

int ur_backup(struct ur_engine *eng, const char *dname, enum ur_backup_how how)
{
	bool prefer_rename = how == UR_BACKUP_RENAME;
	const struct ur_opts *o = eng->o;
	const char *suf = o->suffix ? o->suffix : "~";
	char bpath[PATH_MAX];
	struct stat st;

	if (o->dry_run)
		return 1;
	if (ur_sys_fstatat(eng->io, eng->dest_fd, dname, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 1 : 0;
	int n = o->backup_dir ? snprintf(bpath, sizeof(bpath), "%s/%s%s", o->backup_dir, dname, suf)
			      : snprintf(bpath, sizeof(bpath), "%s%s", dname, suf);
	if (n < 0 || (size_t)n >= sizeof(bpath)) {
		ur_errmsg("backup filename too long");
		return 0;
	}
	if (o->backup_dir && make_backup_dirs(eng, bpath) < 0)
		return 0;

	int ret = 0;
	if (how == UR_BACKUP_COPY && S_ISREG(st.st_mode)) {
		int rc = copy_to(eng, dname, &st, bpath);
		if (rc < 0) {
			ur_error(-rc, "[receiver] backup of %s failed", ur_engine_full_dst(eng, dname));
			return 0;
		}
		ret = 2;
	}
	for (int tries = 0; tries < 2 && !ret; tries++) {
		/* Linking keeps the name in place for the rename that follows;
		 * a deletion just moves the file. */
		if (!prefer_rename &&
		    ur_sys_linkat(eng->io, eng->dest_fd, dname, eng->dest_fd, bpath, 0) == 0)
			ret = 2;
		else if ((prefer_rename || errno == EXDEV || errno == EPERM || errno == EMLINK) &&
			 ur_sys_renameat(eng->io, eng->dest_fd, dname, eng->dest_fd, bpath) == 0)
			ret = 1;
		else if (errno == EEXIST || errno == EISDIR || errno == ENOTEMPTY) {
			/* An old backup is in the way: it goes. */
			struct stat bst;
			eng->in_backup = true; /* that deletion is not itself backed up */
			int drc = ur_sys_fstatat(eng->io, eng->dest_fd, bpath, &bst, AT_SYMLINK_NOFOLLOW) < 0
					  ? -1
					  : ur_delete_item(eng, bpath, bst.st_mode, S_IFREG);
			eng->in_backup = false;
			if (drc < 0)
				break;
		} else {
			break;
		}
	}
	if (!ret && errno == EXDEV && !S_ISDIR(st.st_mode)) {
		/* --backup-dir on another file system: the backup is a copy
		 * (a new link, FIFO or device node for those), as rsync makes
		 * it; a deleted file then goes. */
		int rc = copy_across(eng, dname, &st, bpath);
		if (rc == 0)
			ret = prefer_rename && ur_sys_unlinkat(eng->io, eng->dest_fd, dname, 0) == 0 ? 1 : 2;
		else
			errno = -rc;
	}
	if (!ret) {
		ur_error(errno, "[receiver] backup of %s failed", ur_engine_full_dst(eng, dname));
		return 0;
	}
	if (UR_INFO_GTE(o, BACKUP, 1))
		ur_info("backed up %s to %s\n", dname, bpath);
	return ret;
}
