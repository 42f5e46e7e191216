/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The generating role: compare each entry with the destination and act. */
#include "engine/engine.h"
#include "engine/refdir.h"
#include "io/io_sys.h"
#include "meta/symlink.h"
#include "util/err.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHMOD_BITS 07777

const char *ur_dst_name(struct ur_engine *eng, const struct ur_flist *fl,
			const struct ur_fentry *fe)
{
	return eng->dest_file ? eng->dest_file : ur_fentry_name(fl, fe);
}

/* rsync's same_time(): seconds only by default, nanoseconds with a
 * negative window, a tolerance with a positive one. */
static bool same_time(const struct ur_opts *o, int64_t s1, uint32_t ns1, int64_t s2, uint32_t ns2)
{
	if (o->modify_window == 0)
		return s1 == s2;
	if (o->modify_window < 0)
		return s1 == s2 && ns1 == ns2;
	int64_t d = s1 > s2 ? s1 - s2 : s2 - s1;
	return d <= o->modify_window;
}

static bool mtime_differs(const struct ur_opts *o, const struct stat *st, const struct ur_fentry *fe)
{
	return !same_time(o, st->st_mtim.tv_sec, (uint32_t)st->st_mtim.tv_nsec, fe->mtime, fe->mtime_ns);
}

/* Whether -t applies to this type (-O for dirs, -J for symlinks). */
static bool keeps_time(const struct ur_opts *o, mode_t mode)
{
	if (!o->times)
		return false;
	/* -b without --backup-dir implies -O in rsync. */
	if (S_ISDIR(mode))
		return !o->omit_dir_times && !(o->backup && !o->backup_dir);
	if (S_ISLNK(mode))
		return !o->omit_link_times;
	return true;
}

/* The mode a destination item should end up with (rsync's dest_mode()). */
static mode_t final_mode(struct ur_engine *eng, const struct ur_fentry *fe,
			 const struct stat *dst, bool exists)
{
	const struct ur_opts *o = eng->o;
	mode_t fmode = fe->mode;
	if (o->perms)
		return fmode;
	if (exists) {
		mode_t m = (fmode & ~CHMOD_BITS) | (dst->st_mode & CHMOD_BITS);
		if (o->executability && S_ISREG(fmode)) {
			if (!(fmode & 0111))
				m &= ~0111;
			else if (!(dst->st_mode & 0111))
				m |= (m & 0444) >> 2;
		}
		return m;
	}
	return fmode & (~CHMOD_BITS | (0777 & ~eng->umask));
}

/* rsync's ITEM_MATCHED (never sent): the item matched a reference
 * directory's, or is a link named by an empty xname; without -t it gets
 * no "t" for being made. */
#define GEN_MATCHED (1u << 18)

/* Attribute-change flags for an existing item (rsync's itemize()). */
static uint32_t item_flags(struct ur_engine *eng, const struct ur_fentry *fe, mode_t mode,
			   const struct stat *dst, uint32_t iflags)
{
	const struct ur_opts *o = eng->o;
	if (!dst)
		return (iflags | UR_ITEM_IS_NEW) & ~GEN_MATCHED;
	if (S_ISREG(mode) && fe->size != dst->st_size)
		iflags |= UR_ITEM_REPORT_SIZE;
	if (keeps_time(o, mode) ? mtime_differs(o, dst, fe)
				: (iflags & (UR_ITEM_TRANSFER | UR_ITEM_LOCAL_CHANGE)) != 0 &&
					  !(iflags & GEN_MATCHED))
		iflags |= UR_ITEM_REPORT_TIME;
	if (o->atimes && !S_ISDIR(mode) && !S_ISLNK(mode) && fe->atime != dst->st_atim.tv_sec)
		iflags |= UR_ITEM_REPORT_ATIME;
	/* Linux cannot chmod a symlink, so rsync never reports their perms. */
	if (!S_ISLNK(mode)) {
		if (o->perms) {
			if ((dst->st_mode & CHMOD_BITS) != (mode & CHMOD_BITS))
				iflags |= UR_ITEM_REPORT_PERMS;
		} else if (o->executability &&
			   (!!(dst->st_mode & 0111) != !!(mode & 0111))) {
			iflags |= UR_ITEM_REPORT_PERMS;
		}
	}
	if (o->owner && eng->am_root && fe->uid != dst->st_uid)
		iflags |= UR_ITEM_REPORT_OWNER;
	if (o->group && fe->gid != dst->st_gid && ur_can_chgrp(eng, fe->gid))
		iflags |= UR_ITEM_REPORT_GROUP;
	return iflags & ~GEN_MATCHED;
}

void ur_engine_count_created(struct ur_engine *eng, mode_t mode)
{
	struct ur_stats *st = &eng->st;
	st->created_files++;
	if (S_ISREG(mode))
		st->created_reg++;
	else if (S_ISDIR(mode))
		st->created_dir++;
	else if (S_ISLNK(mode))
		st->created_link++;
	else if (S_ISCHR(mode) || S_ISBLK(mode))
		st->created_dev++;
	else
		st->created_special++;
}

bool ur_can_chgrp(const struct ur_engine *eng, gid_t gid)
{
	if (eng->am_root || gid == getegid())
		return true;
	for (int i = 0; i < eng->ngroups; i++)
		if (eng->groups[i] == gid)
			return true;
	return false;
}

/* Fill the reporter's view of one item. name must hold PATH_MAX + 2. */
static void make_item(struct ur_engine *eng, const struct ur_flist *fl, const struct ur_fentry *fe,
		      mode_t mode, uint32_t iflags, char *name, char *local, struct ur_item *it)
{
	const char *n = ur_fentry_name(fl, fe);
	if (eng->dest_file && !S_ISDIR(mode))
		n = ur_fentry_base(fl, fe);
	snprintf(name, PATH_MAX + 2, "%s%s", n, S_ISDIR(mode) ? "/" : "");
	/* %f is the sender's path for the file ("src/." for a "src/" root). */
	if (!ur_sender_path(eng, fl, fe, local, PATH_MAX))
		snprintf(local, PATH_MAX, "%s", n);
	else if (!strcmp(ur_fentry_name(fl, fe), ".") && strcmp(local, "."))
		snprintf(local + strlen(local), PATH_MAX - strlen(local), "%s",
			 strcmp(local, "/") ? "/." : ".");
	*it = (struct ur_item){
		.name = name,
		.link_target = S_ISLNK(mode) ? ur_fentry_link(fl, fe) : NULL,
		.mode = mode,
		.size = fe->size,
		.mtime = fe->mtime,
		.mtime_nsec = (int32_t)fe->mtime_ns,
		.atime = fe->atime,
		.uid = fe->uid,
		.gid = fe->gid,
		.iflags = iflags,
		.local_name = local,
		.skip_group = !ur_can_chgrp(eng, fe->gid),
		.side = eng->chan_state ? UR_SIDE_RECEIVER : UR_SIDE_LOCAL,
		.checksum_len = ur_sum_len(ur_engine_xfer_kind(eng)),
	};
}

/* Hand one non-transfer item to the reporter, and count it as rsync's
 * receiver does. */
static void report_x(struct ur_engine *eng, const struct ur_flist *fl, const struct ur_fentry *fe,
		     mode_t mode, uint32_t iflags, const char *xname)
{
	char name[PATH_MAX + 2], local[PATH_MAX];
	struct ur_item it;
	make_item(eng, fl, fe, mode, iflags, name, local, &it);
	it.hlink_target = xname;
	if ((iflags & UR_ITEM_IS_NEW) && !(iflags & UR_ITEM_TRANSFER))
		ur_engine_count_created(eng, mode);
	ur_report_item(eng->o, eng->out, &it);
	if (eng->chan->itemized)
		eng->chan->itemized(eng, fl, fe, iflags, xname);
}

static void report(struct ur_engine *eng, const struct ur_flist *fl, const struct ur_fentry *fe,
		   mode_t mode, uint32_t iflags)
{
	report_x(eng, fl, fe, mode, iflags, NULL);
}

static void gen_error(struct ur_engine *eng, int errnum, const char *what, const char *dname)
{
	ur_error(errnum, "[generator] %s %s failed", what, ur_engine_full_dst(eng, dname));
	ur_engine_fail(eng, UR_EXIT_PARTIAL);
}

int ur_set_attrs(struct ur_engine *eng, const char *dname, int fd,
		 const struct ur_fentry *fe, const struct stat *cur, int flags)
{
	const struct ur_opts *o = eng->o;
	struct stat st;
	int rc = 0;

	if (o->dry_run)
		return 0;
	if (!cur) {
		if ((fd >= 0 ? ur_sys_fstat(eng->io, fd, &st)
			     : ur_sys_fstatat(eng->io, eng->dest_fd, dname, &st, AT_SYMLINK_NOFOLLOW)) < 0) {
			int e = errno;
			gen_error(eng, e, "stat", dname);
			return -e;
		}
		cur = &st;
	}
	/* fe->mode is the final mode the caller decided on. */
	mode_t mode = fe->mode;

	bool chuid = o->owner && eng->am_root && cur->st_uid != fe->uid;
	bool chgid = o->group && cur->st_gid != fe->gid && ur_can_chgrp(eng, fe->gid);
	if (chuid || chgid) {
		uid_t u = chuid ? fe->uid : cur->st_uid;
		gid_t g = chgid ? fe->gid : cur->st_gid;
		int r = fd >= 0 ? ur_sys_chown(eng->io, fd, NULL, u, g, 0)
				: ur_sys_chown(eng->io, eng->dest_fd, dname, u, g, AT_SYMLINK_NOFOLLOW);
		if (r < 0) {
			int e = errno;
			ur_error(e, "[generator] %s %s failed", chuid ? "chown" : "chgrp", ur_engine_full_dst(eng, dname));
			ur_engine_fail(eng, UR_EXIT_PARTIAL);
			return -e;
		}
	}

	bool skip_m = !(flags & UR_ATTR_FORCE_MTIME) &&
		      (!keeps_time(o, mode) || (flags & UR_ATTR_SKIP_MTIME));
	bool skip_a = !o->atimes || S_ISDIR(mode) || (flags & UR_ATTR_SKIP_MTIME) ||
		      (S_ISLNK(mode) && o->omit_link_times);
	bool set_m = !skip_m &&
		     ((flags & UR_ATTR_ACCURATE)
			      ? cur->st_mtim.tv_sec != fe->mtime || cur->st_mtim.tv_nsec != (long)fe->mtime_ns
			      : mtime_differs(o, cur, fe));
	bool set_a = !skip_a && ((flags & UR_ATTR_ACCURATE) || cur->st_atim.tv_sec != fe->atime);
	if (set_m || set_a) {
		struct timespec ts[2] = {
			{.tv_sec = 0, .tv_nsec = UTIME_OMIT},
			{.tv_sec = 0, .tv_nsec = UTIME_OMIT},
		};
		if (set_a)
			ts[0].tv_sec = fe->atime, ts[0].tv_nsec = 0; /* rsync sends whole seconds */
		if (set_m)
			ts[1].tv_sec = fe->mtime, ts[1].tv_nsec = fe->mtime_ns;
		int r = fd >= 0 ? ur_sys_utimens(eng->io, fd, NULL, ts, 0)
				: ur_sys_utimens(eng->io, eng->dest_fd, dname, ts, AT_SYMLINK_NOFOLLOW);
		if (r < 0) {
			int e = errno;
			ur_error(e, "[generator] failed to set times on %s", ur_engine_full_dst(eng, dname));
			ur_engine_fail(eng, UR_EXIT_PARTIAL);
			rc = -e;
		}
	}

	/* A chown may have cleared set-id bits, so chmod after it. */
	if (!S_ISLNK(mode) && ((cur->st_mode & CHMOD_BITS) != (mode & CHMOD_BITS) ||
			       ((chuid || chgid) && (mode & (S_ISUID | S_ISGID))))) {
		int r = fd >= 0 ? ur_sys_chmod(eng->io, fd, NULL, mode & CHMOD_BITS)
				: ur_sys_chmod(eng->io, eng->dest_fd, dname, mode & CHMOD_BITS);
		if (r < 0) {
			int e = errno;
			ur_error(e, "[generator] failed to set permissions on %s", ur_engine_full_dst(eng, dname));
			ur_engine_fail(eng, UR_EXIT_PARTIAL);
			rc = -e;
		}
	}
	return rc;
}

static void dirfix_add(struct ur_engine *eng, const char *dname, const struct ur_fentry *fe,
		       mode_t mode, bool set_mode)
{
	if (eng->ndirfix == eng->capdirfix) {
		size_t ncap = eng->capdirfix ? eng->capdirfix * 2 : 64;
		struct ur_dirfix *nd = realloc(eng->dirfix, ncap * sizeof(*nd));
		if (!nd)
			return;
		eng->dirfix = nd;
		eng->capdirfix = ncap;
	}
	char *n = strdup(dname);
	if (!n)
		return;
	eng->dirfix[eng->ndirfix++] = (struct ur_dirfix){
		.name = n, .mode = mode, .mtime = fe->mtime, .mtime_ns = fe->mtime_ns,
		.atime = fe->atime, .atime_ns = fe->atime_ns, .set_mode = set_mode,
	};
}

void ur_generator_finish(struct ur_engine *eng)
{
	const struct ur_opts *o = eng->o;
	/* Deepest first does not matter for times (setting a child's mtime
	 * does not touch the parent's), but modes are restored last-in
	 * first-out so a read-only parent is fixed after its children. */
	for (size_t i = eng->ndirfix; i-- > 0;) {
		struct ur_dirfix *d = &eng->dirfix[i];
		if (!o->dry_run) {
			struct stat st;
			struct ur_fentry cmp = {.mtime = d->mtime, .mtime_ns = d->mtime_ns};
			if (keeps_time(o, S_IFDIR) &&
			    ur_sys_fstatat(eng->io, eng->dest_fd, d->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    mtime_differs(o, &st, &cmp)) {
				struct timespec ts[2] = {
					{.tv_sec = 0, .tv_nsec = UTIME_OMIT},
					{.tv_sec = d->mtime, .tv_nsec = d->mtime_ns},
				};
				if (ur_sys_utimens(eng->io, eng->dest_fd, d->name, ts, AT_SYMLINK_NOFOLLOW) < 0 &&
				    errno != ENOENT) {
					ur_error(errno, "[generator] failed to set times on %s", ur_engine_full_dst(eng, d->name));
					ur_engine_fail(eng, UR_EXIT_PARTIAL);
				}
			}
			if (d->set_mode &&
			    ur_sys_chmod(eng->io, eng->dest_fd, d->name, d->mode & CHMOD_BITS) < 0 &&
			    errno != ENOENT) {
				ur_error(errno, "[generator] failed to set permissions on %s", ur_engine_full_dst(eng, d->name));
				ur_engine_fail(eng, UR_EXIT_PARTIAL);
			}
		}
		free(d->name);
	}
	eng->ndirfix = 0;
}

/* Compare the whole contents of two files (-c): equal sums mean equal data,
 * and for a local copy reading both is what computing the sums costs. */
static bool same_contents(struct ur_engine *eng, const struct ur_flist *fl,
			  const struct ur_fentry *fe, const char *dname)
{
	char path[PATH_MAX];
	bool same = false;
	if (eng->chan->same_contents)
		return eng->chan->same_contents(eng, fl, fe, dname);
	if (!ur_sender_path(eng, fl, fe, path, sizeof(path)))
		return false;
	int a = ur_sys_openat(eng->io, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
	int b = ur_sys_openat(eng->io, eng->dest_fd, dname, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0);
	if (a < 0 || b < 0)
		goto out;
	static char ba[65536], bb[65536];
	for (;;) {
		ssize_t na = ur_sys_read(eng->io, a, ba, sizeof(ba));
		if (na < 0)
			goto out;
		ssize_t got = 0;
		while (got < na) {
			ssize_t nb = ur_sys_read(eng->io, b, bb + got, (size_t)(na - got));
			if (nb <= 0)
				goto out;
			got += nb;
		}
		if (na == 0) {
			same = ur_sys_read(eng->io, b, bb, 1) == 0;
			goto out;
		}
		if (memcmp(ba, bb, (size_t)na))
			goto out;
	}
out:
	if (a >= 0)
		ur_sys_close(eng->io, a);
	if (b >= 0)
		ur_sys_close(eng->io, b);
	return same;
}

static bool quick_check_ok(struct ur_engine *eng, const struct ur_flist *fl,
			   const struct ur_fentry *fe, const char *dname, const struct stat *dst)
{
	const struct ur_opts *o = eng->o;
	if (dst->st_size != fe->size)
		return false;
	if (o->checksum)
		return same_contents(eng, fl, fe, dname);
	if (o->size_only)
		return true;
	if (o->ignore_times)
		return false;
	return !mtime_differs(o, dst, fe);
}

/* Create a symlink, device or special at dname, replacing whatever is there
 * (a directory is deleted first; anything else is replaced atomically by
 * creating under a temporary name and renaming). */
static int create_special(struct ur_engine *eng, const char *dname, const struct ur_fentry *fe,
			  const char *target, const struct stat *dst, mode_t mode)
{
	if (eng->o->dry_run)
		return 0;
	if (dst && S_ISDIR(dst->st_mode)) {
		if (ur_delete_item(eng, dname, dst->st_mode, mode) < 0)
			return -ENOTEMPTY;
		dst = NULL;
	}
	char tmp[PATH_MAX];
	const char *where = dname;
	if (dst && eng->o->backup) {
		if (!ur_backup(eng, dname, UR_BACKUP_RENAME))
			return -EIO;
		dst = NULL; /* renamed away: the new item takes the free name */
	}
	if (dst) {
		const char *slash = strrchr(dname, '/');
		int dl = slash ? (int)(slash - dname + 1) : 0;
		snprintf(tmp, sizeof(tmp), "%.*s.%s.%06ld", dl, dname, slash ? slash + 1 : dname,
			 (long)(getpid() % 1000000));
		where = tmp;
		ur_sys_unlinkat(eng->io, eng->dest_fd, tmp, 0);
	}
	int r;
	if (S_ISLNK(mode))
		r = ur_sys_symlinkat(eng->io, target, eng->dest_fd, where);
	else
		r = ur_sys_mknodat(eng->io, eng->dest_fd, where, (mode & (S_IFMT | CHMOD_BITS)),
				   (dev_t)fe->rdev);
	if (r < 0) {
		int e = errno;
		ur_error(e, "[generator] %s %s failed", S_ISLNK(mode) ? "symlink" : "mknod",
			 ur_engine_full_dst(eng, dname));
		ur_engine_fail(eng, UR_EXIT_PARTIAL);
		return -e;
	}
	if (dst && ur_sys_renameat(eng->io, eng->dest_fd, where, eng->dest_fd, dname) < 0) {
		int e = errno;
		ur_sys_unlinkat(eng->io, eng->dest_fd, where, 0);
		ur_error(e, "[generator] rename %s failed", ur_engine_full_dst(eng, dname));
		ur_engine_fail(eng, UR_EXIT_PARTIAL);
		return -e;
	}
	return 0;
}

/* rsync's get_file_type(): char and block devices are one type. */
static int ftype_of(mode_t m)
{
	if (S_ISCHR(m) || S_ISBLK(m))
		return S_IFCHR;
	return (int)(m & S_IFMT);
}

/* rsync's unchanged_attrs(): would the options change anything of st? */
static bool unchanged_attrs(struct ur_engine *eng, const struct ur_fentry *fe, mode_t mode,
			    const struct stat *st)
{
	const struct ur_opts *o = eng->o;
	bool lnk = S_ISLNK(fe->mode);

	if (o->times && !(lnk && o->omit_link_times) && mtime_differs(o, st, fe))
		return false;
	/* Linux cannot chmod a symlink */
	if (!lnk && (o->perms ? (st->st_mode & CHMOD_BITS) != (mode & CHMOD_BITS)
			      : o->executability && !!(st->st_mode & 0111) != !!(mode & 0111)))
		return false;
	if (o->owner && eng->am_root && st->st_uid != fe->uid)
		return false;
	if (o->group && ur_can_chgrp(eng, fe->gid) && st->st_gid != fe->gid)
		return false;
	return true;
}

/* How well reference item path stands in for fe (ur_ref_level_fn). */
static int ref_level(struct ur_engine *eng, const struct ur_flist *fl, const struct ur_fentry *fe,
		     mode_t mode, const char *path, const struct stat *st)
{
	bool quick;

	if (ftype_of(fe->mode) != ftype_of(st->st_mode))
		return 0;
	if (S_ISREG(fe->mode)) {
		/* an absolute path: the destination's descriptor is not used */
		quick = quick_check_ok(eng, fl, fe, path, st);
	} else if (S_ISLNK(fe->mode)) {
		char cur[PATH_MAX];
		ssize_t n = ur_sys_readlink(eng->io, AT_FDCWD, path, cur, sizeof(cur));
		quick = n > 0 && strcmp(cur, ur_fentry_link(fl, fe)) == 0;
	} else if (S_ISCHR(fe->mode) || S_ISBLK(fe->mode)) {
		quick = st->st_rdev == (dev_t)fe->rdev;
	} else {
		quick = true; /* a directory, a FIFO, a socket */
	}
	if (!quick)
		return 1;
	return unchanged_attrs(eng, fe, mode, st) ? 3 : 2;
}

/* Copy reference file path to dname with fe's attributes (final mode), as
 * rsync's copy_altdest_file() does: a temporary file renamed into place. */
static int copy_ref(struct ur_engine *eng, const struct ur_flist *fl, const struct ur_fentry *final,
		    const char *dname, const char *path)
{
	char iname[PATH_MAX + 2], ilocal[PATH_MAX];
	struct ur_item it;
	int64_t bytes = 0;

	make_item(eng, fl, final, final->mode, 0, iname, ilocal, &it);
	eng->ref_source = path;
	int rc = ur_receive_file(eng, fl, final, dname, false, &it, &bytes, NULL);
	eng->ref_source = NULL;
	return rc;
}

/* "NAME is uptodate" from the generator itself (-vv without -i). */
static void say_uptodate(struct ur_engine *eng, const char *dname, const char *suffix)
{
	if (UR_INFO_GTE(eng->o, NAME, 2) && !ur_stdout_has_i(eng->o)) {
		fflush(eng->out);
		ur_info("%s%s is uptodate\n", dname, suffix);
	}
}

/*
 * rsync's try_dests_reg() for a regular file: -2 when the reference
 * directories settled it (skipped, linked or copied and reported), the
 * index of a reference file to use as the transfer's basis (in path, its
 * stat in refst: rsync itemizes the transfer against it), or
 * -1. real is the destination's file, or NULL when there is none: then
 * only an exact match counts.
 */
static int refs_reg(struct ur_engine *eng, const struct ur_flist *fl, const struct ur_fentry *fe,
		    const char *dname, mode_t mode, const struct stat *real, char *path, size_t cap,
		    struct stat *refst)
{
	const struct ur_opts *o = eng->o;
	struct ur_fentry final = *fe;
	struct stat st;
	int level;
	int j = ur_refdir_find(eng, fl, fe, mode, dname, ref_level, &level, path, cap, &st);

	final.mode = mode;
	if (j < 0)
		return -1;
	if (level == 3 && o->alt_dest != UR_ALT_COPY) {
		if (real) {
			if (o->alt_dest == UR_ALT_LINK && real->st_dev == st.st_dev &&
			    real->st_ino == st.st_ino)
				return -1;
			if (!o->dry_run && ur_sys_unlinkat(eng->io, eng->dest_fd, dname, 0) < 0 &&
			    errno != ENOENT)
				return -1;
		}
		if (o->alt_dest == UR_ALT_LINK) {
			int rc = ur_refdir_link(eng, path, dname);
			if (rc < 0) {
				/* rsync tells only at -v, and copies instead */
				if (UR_INFO_GTE(o, NAME, 1))
					ur_info("%s: [generator] link %s => %s failed: %s (%d)\n", ur_progname,
						ur_engine_full_dst(eng, dname), path, strerror(-rc), -rc);
				goto copy;
			}
			if (o->atimes)
				ur_set_attrs(eng, dname, -1, &final, &st, 0);
			eng->ref_done = j;
			/* shown from -ii (-vv: "is uptodate") */
			report_x(eng, fl, fe, mode,
				 item_flags(eng, fe, mode, &st,
					    UR_ITEM_LOCAL_CHANGE | UR_ITEM_XNAME_FOLLOWS | GEN_MATCHED),
				 "");
		} else {
			report(eng, fl, fe, mode, item_flags(eng, fe, mode, &st, 0));
			eng->ref_done = -2;
		}
		return -2;
	}
	if (real)
		return -1;
	if (level < 2) {
		*refst = st;
		return j;
	}
copy:
	if (!o->dry_run && copy_ref(eng, fl, &final, dname, path) < 0)
		return -1;
	report(eng, fl, fe, mode, item_flags(eng, fe, mode, &st, UR_ITEM_LOCAL_CHANGE));
	if (level == 3)
		say_uptodate(eng, dname, "");
	return -2;
}

/*
 * rsync's try_dests_non() for a directory, symlink, device or special
 * missing from the destination: -2 when an exact match settled it (linked,
 * or for --compare-dest skipped; a directory and --copy-dest's items are
 * still made, unreported), -3 when an exact match could not be linked
 * (made, unreported), a reference index (the item is made and reported
 * against it: *st), or -1.
 */
static int refs_non(struct ur_engine *eng, const struct ur_flist *fl, const struct ur_fentry *fe,
		    const char *dname, mode_t mode, struct stat *st)
{
	const struct ur_opts *o = eng->o;
	char path[PATH_MAX];
	int level;
	int j = ur_refdir_find(eng, fl, fe, mode, dname, ref_level, &level, path, sizeof(path), st);
	bool is_dir = S_ISDIR(fe->mode);
	bool unlinked = false;

	if (j < 0)
		return -1;
	if (level < 3)
		return j;
	if (o->alt_dest == UR_ALT_LINK && !is_dir) {
		if (ur_refdir_link(eng, path, dname) < 0) {
			unlinked = true;
			level = 2;
		}
	} else {
		level = 2;
	}
	if (ur_stdout_has_i(o) && (UR_INFO_GTE(o, NAME, 2) || ur_stdout_has_i(o) > 1)) {
		uint32_t chg = o->alt_dest == UR_ALT_COMPARE && !is_dir
				       ? 0
				       : UR_ITEM_LOCAL_CHANGE | (level == 3 ? UR_ITEM_XNAME_FOLLOWS : 0);
		report_x(eng, fl, fe, mode, item_flags(eng, fe, mode, st, chg | GEN_MATCHED),
			 level == 3 ? "" : NULL);
	}
	say_uptodate(eng, dname, is_dir ? "/" : "");
	return unlinked ? -3 : -2;
}

/*
 * -H with reference directories (rsync's hard_link_check()): a member
 * missing from the destination is itemized against its reference file.
 * For --link-dest that is the one of the leader's inode (lst; NULL in a
 * dry run, which takes the leader's file in the reference directory it
 * was linked from, leader_ref, as rsync does), and the
 * link is then made quietly unless -ii or -vv with -i asks. Returns 0 (none),
 * 1 (rst filled) or 2 (rst filled, quiet).
 */
static int hlink_ref(struct ur_engine *eng, const struct ur_flist *fl, const struct ur_fentry *fe,
		     const char *dname, const char *leader, int leader_ref, const struct stat *lst,
		     struct stat *rst)
{
	const struct ur_opts *o = eng->o;
	const struct ur_refdirs *r = eng->refs;
	int found = 0;

	for (int j = 0; j < r->n; j++) {
		char path[PATH_MAX];
		struct stat cst, ls;
		if (ur_refdir_path(r, j, dname, path, sizeof(path)) < 0 ||
		    ur_sys_fstatat(eng->io, AT_FDCWD, path, &cst, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (o->alt_dest == UR_ALT_LINK) {
			char lpath[PATH_MAX];
			if (lst)
				ls = *lst;
			else if (leader_ref < 0 ||
				 ur_refdir_path(r, leader_ref, leader, lpath, sizeof(lpath)) < 0 ||
				 ur_sys_fstatat(eng->io, AT_FDCWD, lpath, &ls, AT_SYMLINK_NOFOLLOW) < 0)
				continue;
			if (ls.st_dev != cst.st_dev || ls.st_ino != cst.st_ino)
				continue;
			*rst = cst;
			int has_i = ur_stdout_has_i(o);
			return has_i && (UR_INFO_GTE(o, NAME, 2) || has_i > 1) ? 1 : 2;
		}
		if (!S_ISREG(fe->mode) || !quick_check_ok(eng, fl, fe, path, &cst))
			continue;
		*rst = cst;
		found = 1;
		if (unchanged_attrs(eng, fe, fe->mode, &cst))
			break;
	}
	return found;
}

void ur_generate_hlink(struct ur_engine *eng, const struct ur_flist *fl, const struct ur_fentry *fe,
		       const char *leader, int leader_ref)
{
	const struct ur_opts *o = eng->o;
	const char *dname = ur_dst_name(eng, fl, fe);
	struct stat dst, lst;
	int dret = -1;
	bool have_leader = false;
	uint32_t iflags = UR_ITEM_LOCAL_CHANGE | UR_ITEM_XNAME_FOLLOWS;

	if (!eng->dest_missing) {
		dret = fstatat(eng->dest_fd, dname, &dst, AT_SYMLINK_NOFOLLOW);
		have_leader = fstatat(eng->dest_fd, leader, &lst, AT_SYMLINK_NOFOLLOW) == 0;
	}
	if (dret == 0 && have_leader && dst.st_dev == lst.st_dev && dst.st_ino == lst.st_ino) {
		/* Linked already: unchanged (shown from -ii on). */
		report_x(eng, fl, fe, fe->mode, iflags, "");
		return;
	}
	if (dret == 0 && S_ISDIR(dst.st_mode)) {
		if (ur_delete_item(eng, dname, dst.st_mode, fe->mode) < 0)
			return;
		dret = -1;
	}
	struct stat rst;
	int ref = dret != 0 && eng->refs ? hlink_ref(eng, fl, fe, dname, leader, leader_ref,
						     have_leader ? &lst : NULL, &rst)
					 : 0;
	iflags = item_flags(eng, fe, fe->mode, dret == 0 ? &dst : ref ? &rst : NULL, iflags);
	if (!o->dry_run && have_leader) {
		/* Made beside the target and renamed over it, so a failure
		 * leaves the old file in place. */
		char tmp[PATH_MAX];
		const char *slash = strrchr(dname, '/');
		int n = snprintf(tmp, sizeof(tmp), "%.*s%s.%s.hl%06ld", slash ? (int)(slash - dname) : 0,
				 dname, slash ? "/" : "", slash ? slash + 1 : dname,
				 (long)(ur_now_ns() % 1000000));
		int rc = n > 0 && (size_t)n < sizeof(tmp)
				 ? linkat(eng->dest_fd, leader, eng->dest_fd, tmp, 0)
				 : (errno = ENAMETOOLONG, -1);
		if (rc == 0 && renameat(eng->dest_fd, tmp, eng->dest_fd, dname) < 0) {
			int e = errno;
			unlinkat(eng->dest_fd, tmp, 0);
			errno = e;
			rc = -1;
		}
		if (rc < 0) {
			ur_error(errno, "link %s => %s failed", ur_engine_full_dst(eng, dname), leader);
			ur_engine_fail(eng, UR_EXIT_PARTIAL);
			return;
		}
	}
	if (ref == 2)
		say_uptodate(eng, dname, "");
	else
		report_x(eng, fl, fe, fe->mode, iflags, leader);
}

static bool gen_dir(struct ur_engine *eng, const struct ur_flist *fl, struct ur_fentry *fe,
		    const char *dname, int dret, struct stat *dst)
{
	const struct ur_opts *o = eng->o;
	bool exists = dret == 0;

	if (!o->implied_dirs && (fe->flags & UR_FE_IMPLIED_DIR))
		return true;
	if (exists && !S_ISDIR(dst->st_mode)) {
		if (ur_delete_item(eng, dname, dst->st_mode, S_IFDIR) < 0) {
			ur_errmsg("*** Skipping any contents from this failed directory ***");
			return false;
		}
		exists = false;
	}
	mode_t mode = final_mode(eng, fe, dst, exists);
	struct stat rst;
	int rj = !exists && eng->refs ? refs_non(eng, fl, fe, dname, mode, &rst) : -1;
	/* an exact match in a reference directory was reported there (-ii) */
	if (rj >= 0 || rj == -1)
		report(eng, fl, fe, mode,
		       item_flags(eng, fe, mode, rj >= 0 ? &rst : exists ? dst : NULL,
				  exists ? 0 : UR_ITEM_LOCAL_CHANGE));

	if (o->dry_run)
		return true; /* its contents are still examined, as all new */
	/* We need to write into the directory while filling it even when its
	 * final mode forbids that; the final mode is applied at the end. */
	mode_t work = mode & CHMOD_BITS;
	bool fix_mode = false;
	if (!eng->am_root && (work & S_IRWXU) != S_IRWXU) {
		work |= S_IRWXU;
		fix_mode = true;
	}
	if (!exists) {
		int mr = ur_sys_mkdirat(eng->io, eng->dest_fd, dname, work);
		eng->dir_made = mr == 0;
		if (mr < 0 && errno != EEXIST) {
			int e = errno;
			ur_error(e, "[generator] recv_generator: mkdir %s failed", ur_engine_full_dst(eng, dname));
			ur_engine_fail(eng, UR_EXIT_PARTIAL);
			ur_errmsg("*** Skipping any contents from this failed directory ***");
			return false;
		}
	}
	if (!o->perms && eng->dir_made) {
		/* a directory made under a set-gid parent inherits the bit;
		 * without -p it keeps it, as rsync's set_file_attrs does */
		struct stat nst;
		if (ur_sys_fstatat(eng->io, eng->dest_fd, dname, &nst, AT_SYMLINK_NOFOLLOW) == 0 &&
		    (nst.st_mode & S_ISGID)) {
			mode |= S_ISGID;
			work |= S_ISGID;
		}
	}
	struct ur_fentry tmp = *fe;
	tmp.mode = (mode & ~CHMOD_BITS) | work;
	ur_set_attrs(eng, dname, -1, &tmp, NULL, 0);
	if (keeps_time(o, S_IFDIR) || fix_mode)
		dirfix_add(eng, dname, fe, mode, fix_mode);
	return true;
}

/* --remove-source-files: fe arrived, or was up to date. */
static void source_done(struct ur_engine *eng, const struct ur_flist *fl, const struct ur_fentry *fe)
{
	if (!eng->o->remove_source_files)
		return;
	if (eng->chan->done)
		eng->chan->done(eng, fl, fe);
	else
		ur_sender_remove(eng, fl, fe);
}

#define UR_SETTLE_CREATED (1 << 0)  /* the item was (re)made: a local change */
#define UR_SETTLE_ACCURATE (1 << 1) /* -c confirmed it: compare times to the ns */
#define UR_SETTLE_QUIET (1 << 2)    /* a reference directory's match: no report */

/*
 * The tail every non-transferred item shares: set its attributes (final is
 * fe with the final mode), report it against what was there before (dst,
 * or NULL for a new item), and let --remove-source-files have the source.
 * Returns true for ur_generate().
 */
static bool settle(struct ur_engine *eng, const struct ur_flist *fl, const struct ur_fentry *fe,
		   const char *dname, const struct ur_fentry *final, const struct stat *dst, int how)
{
	bool created = how & UR_SETTLE_CREATED;
	ur_set_attrs(eng, dname, -1, final, created ? NULL : dst,
		     (how & UR_SETTLE_ACCURATE) ? UR_ATTR_ACCURATE : 0);
	if (!(how & UR_SETTLE_QUIET))
		report(eng, fl, fe, final->mode,
		       item_flags(eng, fe, final->mode, dst,
				  created ? UR_ITEM_LOCAL_CHANGE | UR_ITEM_REPORT_CHANGE : 0));
	source_done(eng, fl, fe);
	return true;
}

/* mkdir -p of dname's parent directories, relative to the destination. */
static void make_parents(struct ur_engine *eng, const char *dname)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", dname);
	for (char *p = strchr(buf, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (ur_sys_mkdirat(eng->io, eng->dest_fd, buf, 0777 & ~eng->umask) < 0 && errno != EEXIST) {
			ur_error(errno, "[generator] recv_generator: mkdir %s failed", ur_engine_full_dst(eng, buf));
			ur_engine_fail(eng, UR_EXIT_PARTIAL);
			return;
		}
		*p = '/';
	}
}

/*
 * What rsync's receiver reads for one whole-file transfer, which is what its
 * %b shows even for a local copy: the file index (1 byte for a near one),
 * the item flags (2), the sum head (16), the data in literal tokens of at
 * most 32 KiB with a 4-byte header each, the end token (4) and the
 * whole-file checksum (16).
 */
static int64_t wire_bytes(int64_t size)
{
	const int64_t chunk = 32768;
	return 1 + 2 + 16 + size + 4 * ((size + chunk - 1) / chunk) + 4 + 16;
}

void ur_generate_redo(struct ur_engine *eng, const struct ur_fentry *fe, const char *dname,
		      struct ur_item *it, int64_t bytes)
{
	const struct ur_opts *o = eng->o;
	struct stat dst;

	if (!it->bytes_xfer)
		it->bytes_xfer = wire_bytes(bytes);
	it->checksum_bytes = 16;
	ur_report_transfer_end(o, eng->out, it);
	it->bytes_xfer = 0;
	eng->st.xferred_files++;
	eng->st.total_transferred_size += fe->size;
	/* rsync's redo pass turns -c off, so no "c" this time */
	it->iflags = UR_ITEM_TRANSFER;
	if (ur_sys_fstatat(eng->io, eng->dest_fd, dname, &dst, AT_SYMLINK_NOFOLLOW) == 0)
		it->iflags = item_flags(eng, fe, fe->mode, &dst, it->iflags);
	else
		it->iflags |= UR_ITEM_IS_NEW;
}

/* A symlink, device or special missing from the destination: true when a
 * reference directory settled it (linked, or left out by --compare-dest);
 * else *was (what to itemize against) and *how say how it is made. */
static bool refs_made(struct ur_engine *eng, const struct ur_flist *fl, const struct ur_fentry *fe,
		      const char *dname, mode_t mode, struct stat *rst, const struct stat **was,
		      int *how)
{
	int rj = refs_non(eng, fl, fe, dname, mode, rst);
	if (rj == -2 && eng->o->alt_dest != UR_ALT_COPY)
		return true;
	if (rj == -2 || rj == -3)
		*how |= UR_SETTLE_QUIET;
	else if (rj >= 0)
		*was = rst;
	return false;
}

bool ur_generate(struct ur_engine *eng, const struct ur_flist *fl, struct ur_fentry *fe)
{
	const struct ur_opts *o = eng->o;
	const char *name = ur_fentry_name(fl, fe);
	const char *dname = ur_dst_name(eng, fl, fe);
	struct stat dst;
	int dret = -1, derr = ENOENT;
	bool is_dir = S_ISDIR(fe->mode);

	eng->dir_made = false;
	eng->ref_done = -1;
	const struct ur_dscan *sc = eng->scan && eng->scan->fl == fl ? eng->scan : NULL;
	if (sc && !eng->dest_missing) {
		/* looked up with its siblings (engine.c dest_scan) */
		size_t i = (size_t)(fe - fl->e);
		dret = sc->all_missing || sc->res[i] < 0 ? -1 : 0;
		derr = sc->all_missing ? ENOENT : -sc->res[i];
		if (dret == 0)
			ur_stat_to_sys(&sc->st[i], &dst);
	} else if (!eng->dest_missing) {
		dret = eng->cur_dfd >= 0
			       ? ur_sys_fstatat(eng->io, eng->cur_dfd, ur_fentry_base(fl, fe), &dst,
						AT_SYMLINK_NOFOLLOW)
			       : ur_sys_fstatat(eng->io, eng->dest_fd, dname, &dst, AT_SYMLINK_NOFOLLOW);
		derr = dret < 0 ? errno : 0;
	}
	/* The session just made the destination root: rsync reports it as new
	 * (but it is there for --existing). */
	bool root_new = false;
	if (dret == 0 && eng->root_created && !eng->dest_file && name[0] == '.' && !name[1]) {
		dret = -1;
		derr = ENOENT;
		root_new = true;
	}

	/* -R --no-implied-dirs: parents that were not sent are made plainly. */
	if (dret < 0 && derr == ENOENT && o->relative && !o->implied_dirs && !o->dry_run &&
	    strchr(dname, '/'))
		make_parents(eng, dname);

	if (fe->flags & UR_FE_MISSING) {
		if (dret == 0)
			ur_delete_item(eng, dname, dst.st_mode, 0);
		return true;
	}

	if (o->ignore_non_existing && dret < 0 && derr == ENOENT && !root_new) {
		if (UR_INFO_GTE(o, SKIP, 1))
			ur_info("not creating new %s \"%s\"\n", is_dir ? "directory" : "file", name);
		return !is_dir;
	}
	if (dret < 0 && derr != ENOENT) {
		gen_error(eng, derr, "recv_generator: failed to stat", dname);
		return false;
	}
	if (o->ignore_existing && dret == 0 && (!is_dir || !S_ISDIR(dst.st_mode))) {
		if (UR_INFO_GTE(o, SKIP, 1))
			ur_info("%s exists\n", name);
		return !is_dir;
	}

	if (is_dir)
		return gen_dir(eng, fl, fe, dname, dret, &dst);

	mode_t mode = final_mode(eng, fe, &dst, dret == 0 && !S_ISDIR(dst.st_mode));

	if (S_ISLNK(fe->mode) && o->links) {
		const char *target = ur_fentry_link(fl, fe);
		if (o->safe_links && ur_symlink_unsafe(target, name)) {
			if (UR_INFO_GTE(o, NAME, 1))
				ur_info("ignoring unsafe symlink \"%s\" -> \"%s\"\n", name, target);
			return true;
		}
		if (dret == 0 && S_ISLNK(dst.st_mode)) {
			char cur[PATH_MAX];
			ssize_t n = ur_sys_readlink(eng->io, eng->dest_fd, dname, cur, sizeof(cur));
			if (n >= 0) {
				if (strcmp(cur, target) == 0)
					return settle(eng, fl, fe, dname, fe, &dst, 0);
			}
		}
		bool same_type = dret == 0 && S_ISLNK(dst.st_mode);
		const struct stat *was = same_type ? &dst : NULL;
		struct stat rst;
		int how = UR_SETTLE_CREATED;
		if (dret != 0 && eng->refs && refs_made(eng, fl, fe, dname, fe->mode, &rst, &was, &how))
			return true; /* linked, or --compare-dest's: not made */
		if (create_special(eng, dname, fe, target, dret == 0 ? &dst : NULL, fe->mode) < 0)
			return true;
		return settle(eng, fl, fe, dname, fe, was, how);
	}

	bool dev = S_ISCHR(fe->mode) || S_ISBLK(fe->mode);
	bool special = S_ISFIFO(fe->mode) || S_ISSOCK(fe->mode);
	if ((dev && eng->am_root && o->devices) || (special && o->specials)) {
		/* rsync treats char and block devices as one type here and tells
		 * them apart only by device number; specials must match exactly. */
		bool same_type = dret == 0 &&
				 (dev ? (S_ISCHR(dst.st_mode) || S_ISBLK(dst.st_mode))
				      : (dst.st_mode & S_IFMT) == (fe->mode & S_IFMT));
		struct ur_fentry tmp = *fe;
		tmp.mode = mode;
		if (same_type && (!dev || dst.st_rdev == fe->rdev))
			return settle(eng, fl, fe, dname, &tmp, &dst, 0);
		const struct stat *was = same_type ? &dst : NULL;
		struct stat rst;
		int how = UR_SETTLE_CREATED;
		if (dret != 0 && eng->refs && refs_made(eng, fl, fe, dname, mode, &rst, &was, &how))
			return true; /* linked, or --compare-dest's: not made */
		if (create_special(eng, dname, fe, NULL, dret == 0 ? &dst : NULL, mode) < 0)
			return true;
		return settle(eng, fl, fe, dname, &tmp, was, how);
	}

	if (!S_ISREG(fe->mode)) {
		if (UR_INFO_GTE(o, NONREG, 1))
			ur_info("skipping non-regular file \"%s\"\n", name);
		return true;
	}

	if (o->max_size >= 0 && fe->size > o->max_size) {
		if (UR_INFO_GTE(o, SKIP, 1))
			ur_info("%s is over max-size\n", name);
		return true;
	}
	if (o->min_size >= 0 && fe->size < o->min_size) {
		if (UR_INFO_GTE(o, SKIP, 1))
			ur_info("%s is under min-size\n", name);
		return true;
	}
	if (o->update && dret == 0 && S_ISREG(dst.st_mode) &&
	    fe->mtime - dst.st_mtim.tv_sec < o->modify_window) {
		if (UR_INFO_GTE(o, SKIP, 1))
			ur_info("%s is newer\n", name);
		return true;
	}

	if (dret == 0 && !S_ISREG(dst.st_mode)) {
		if (ur_delete_item(eng, dname, dst.st_mode, S_IFREG) < 0)
			return true;
		dret = -1;
		mode = final_mode(eng, fe, &dst, false);
	}

	/* The reference directories: an exact match settles the file; else a
	 * reference file may be the basis of the transfer. */
	char refpath[PATH_MAX];
	struct stat refst;
	int ref_basis = -1;
	if (eng->refs && (dret != 0 || o->alt_dest != UR_ALT_COPY)) {
		int rj = refs_reg(eng, fl, fe, dname, mode, dret == 0 ? &dst : NULL, refpath,
				  sizeof(refpath), &refst);
		if (rj == -2) {
			source_done(eng, fl, fe);
			return true;
		}
		ref_basis = rj;
	}

	/* --partial-dir: a partial copy from an earlier run is the basis, or
	 * goes if the file turns out to be up to date. */
	char pname[PATH_MAX];
	bool partial = false;
	if (o->partial_dir && ur_partial_name(eng, dname, pname, sizeof(pname)) == 0) {
		struct stat pst;
		partial = ur_sys_fstatat(eng->io, eng->dest_fd, pname, &pst, AT_SYMLINK_NOFOLLOW) == 0 &&
			  S_ISREG(pst.st_mode);
	}
	if (dret == 0 && quick_check_ok(eng, fl, fe, dname, &dst)) {
		struct ur_fentry tmp = *fe;
		tmp.mode = mode;
		if (partial && !o->dry_run)
			ur_partial_drop(eng, pname);
		return settle(eng, fl, fe, dname, &tmp, &dst, o->checksum ? UR_SETTLE_ACCURATE : 0);
	}
	/* --append leaves alone a file that is not shorter than the source,
	 * without a word or an attribute change, as rsync does. */
	if (o->append && dret == 0 && dst.st_size >= fe->size)
		return true;

	uint32_t iflags = UR_ITEM_TRANSFER | (o->checksum ? UR_ITEM_REPORT_CHANGE : 0);
	iflags = item_flags(eng, fe, mode, ref_basis >= 0 ? &refst : dret == 0 ? &dst : NULL, iflags);
	if (iflags & UR_ITEM_IS_NEW)
		ur_engine_count_created(eng, fe->mode);
	eng->st.xferred_files++;
	eng->st.total_transferred_size += fe->size;
	eng->progress.xfer_num = eng->st.xferred_files;
	eng->progress.flist_count = eng->list_total;
	eng->progress.xfer_left = eng->list_total - eng->cur_index - 1;
	eng->progress.total_done += fe->size;
	char iname[PATH_MAX + 2], ilocal[PATH_MAX];
	struct ur_item it;
	make_item(eng, fl, fe, mode, iflags, iname, ilocal, &it);
	if (o->dry_run) {
		ur_report_transfer_start(o, eng->out, &it);
		ur_report_transfer_end(o, eng->out, &it);
		if (eng->chan->itemized)
			eng->chan->itemized(eng, fl, fe, iflags, NULL);
		return true;
	}
	struct ur_fentry tmp = *fe;
	tmp.mode = mode;
	int64_t bytes = 0;
	eng->basis_name = partial ? pname : ref_basis >= 0 ? refpath : NULL;
	eng->basis_type = partial ? UR_FNAMECMP_PARTIAL_DIR : (uint8_t)ref_basis;
	int sent = eng->chan->send_file(eng, fl, &tmp, dname, dret == 0, &it, &bytes);
	eng->basis_name = NULL;
	if (sent == 0 && partial)
		ur_partial_drop(eng, pname); /* the basis, used up */
	if (sent == 0) {
		eng->st.literal_data += bytes;
		if (!it.bytes_xfer) /* (a delta says what it sent) */
			it.bytes_xfer = wire_bytes(bytes);
		it.checksum_bytes = 16; /* what rsync's %c shows for a whole-file copy */
		ur_report_transfer_end(o, eng->out, &it);
		source_done(eng, fl, fe);
	}
	return true;
}
