/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"
#include "report/report.h"

#include <string.h>
#include <unistd.h>

/* rsync never lets these three travel as "something changed". */
#define NOT_SIGNIFICANT (UR_ITEM_BASIS_TYPE_FOLLOWS | UR_ITEM_XNAME_FOLLOWS | UR_ITEM_LOCAL_CHANGE)

/* The 16 bits of iflags that cross the wire; the rest are local notes. */
#define WIRE_BITS 0xffffu

static char type_char(mode_t mode)
{
	if (S_ISLNK(mode))
		return 'L';
	if (S_ISDIR(mode))
		return 'd';
	if (S_ISFIFO(mode) || S_ISSOCK(mode))
		return 'S';
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return 'D';
	return 'f';
}

static char first_char(const struct ur_item *it)
{
	uint32_t f = it->iflags;

	if (f & UR_ITEM_LOCAL_CHANGE)
		return f & UR_ITEM_XNAME_FOLLOWS ? 'h' : 'c';
	if (!(f & UR_ITEM_TRANSFER))
		return '.';
	/* A local copy's logging process is rsync's sender, yet it prints
	 * '>': only a sender talking to a remote receiver shows '<'. */
	return it->side == UR_SIDE_SENDER ? '<' : '>';
}

/* 't' when the receiver will set the sender's time, 'T' when it gets the
 * transfer time instead (no -t, or a symlink whose time cannot be set). */
static char time_char(const struct ur_item *it, bool keep_mtimes)
{
	if (!(it->iflags & UR_ITEM_REPORT_TIME))
		return '.';
	if (!keep_mtimes)
		return 'T';
	if (S_ISLNK(it->mode) && (it->no_symlink_times || (it->iflags & UR_ITEM_REPORT_TIMEFAIL)))
		return 'T';
	return 't';
}

/* The atime/crtime column: u, n, or b for both. */
static char times_char(uint32_t times)
{
	if (!times)
		return '.';
	if (times == (UR_ITEM_REPORT_ATIME | UR_ITEM_REPORT_CRTIME))
		return 'b';
	return times == UR_ITEM_REPORT_ATIME ? 'u' : 'n';
}

static void build(const struct ur_item *it, bool keep_mtimes, char c[static 12])
{
	uint32_t f = it->iflags;
	bool is_link = S_ISLNK(it->mode);
	uint32_t times = f & (UR_ITEM_REPORT_ATIME | UR_ITEM_REPORT_CRTIME);
	int i;

	if (f & UR_ITEM_DELETED) {
		memcpy(c, "*deleting  ", 12);
		return;
	}
	c[0] = first_char(it);
	c[1] = type_char(it->mode);
	c[2] = f & UR_ITEM_REPORT_CHANGE ? 'c' : '.';
	/* For symlinks bit 2 means "time could not be set", not size. */
	c[3] = !is_link && (f & UR_ITEM_REPORT_SIZE) ? 's' : '.';
	c[4] = time_char(it, keep_mtimes);
	c[5] = f & UR_ITEM_REPORT_PERMS ? 'p' : '.';
	c[6] = f & UR_ITEM_REPORT_OWNER ? 'o' : '.';
	c[7] = f & UR_ITEM_REPORT_GROUP ? 'g' : '.';
	c[8] = times_char(times);
	c[9] = f & UR_ITEM_REPORT_ACL ? 'a' : '.';
	c[10] = f & UR_ITEM_REPORT_XATTR ? 'x' : '.';
	c[11] = '\0';

	if (f & (UR_ITEM_IS_NEW | UR_ITEM_MISSING_DATA)) {
		char fill = f & UR_ITEM_IS_NEW ? '+' : '?';
		memset(c + 2, fill, 9);
		return;
	}
	/* Nothing to say about the attributes of an item that is not being
	 * transferred: rsync blanks the columns instead of showing dots. */
	if (c[0] == '.' || c[0] == 'h' || c[0] == 'c') {
		for (i = 2; i < 11 && c[i] == '.'; i++)
			;
		if (i == 11)
			memset(c + 2, ' ', 9);
	}
}

void ur_itemize_str(const struct ur_item *it, char buf[static 12])
{
	build(it, true, buf);
}

void ur_itemize_opts_str(const struct ur_opts *o, const struct ur_item *it, char buf[static 12])
{
	build(it, o ? o->times : true, buf);
}

static bool same_time(const struct ur_opts *o, int64_t s1, long ns1, int64_t s2, long ns2)
{
	int64_t d;

	if (o->modify_window == 0)
		return s1 == s2;
	if (o->modify_window < 0)
		return s1 == s2 && ns1 == ns2;
	d = s1 > s2 ? s1 - s2 : s2 - s1;
	return d <= o->modify_window;
}

static bool acting_as_root(const struct ur_opts *o)
{
	/* --fake-super records ownership in xattrs, so it compares owners
	 * as root would. */
	if (o->fake_super || o->am_root > 0)
		return true;
	return o->am_root < 0 && geteuid() == 0;
}

uint32_t ur_itemize_attrs(const struct ur_opts *o, const struct ur_item *it, const struct stat *dst,
			  uint32_t iflags)
{
	mode_t m = it->mode;
	bool keep_time;
	bool has_xname = it->hlink_target && *it->hlink_target;

	if (!dst) {
		iflags |= UR_ITEM_IS_NEW;
		return iflags & WIRE_BITS;
	}
	keep_time = !o->times	 ? false
		    : S_ISDIR(m) ? !o->omit_dir_times
		    : S_ISLNK(m) ? !o->omit_link_times
				 : true;

	if (S_ISREG(m) && it->size != (int64_t)dst->st_size)
		iflags |= UR_ITEM_REPORT_SIZE;
	if (it->time_failed) {
		/* Only a symlink just created by the receiver learns this. */
		if (iflags & UR_ITEM_LOCAL_CHANGE) {
			iflags |= UR_ITEM_REPORT_TIME;
			if (!o->server || o->protocol == 0 || o->protocol >= 30)
				iflags |= UR_ITEM_REPORT_TIMEFAIL;
		}
	} else if (keep_time) {
		if (!same_time(o, dst->st_mtim.tv_sec, dst->st_mtim.tv_nsec, it->mtime,
			       it->mtime_nsec))
			iflags |= UR_ITEM_REPORT_TIME;
	} else if ((iflags & (UR_ITEM_TRANSFER | UR_ITEM_LOCAL_CHANGE)) &&
		   !(iflags & UR_ITEM_MATCHED) &&
		   (!(iflags & UR_ITEM_XNAME_FOLLOWS) || has_xname)) {
		/* The receiver will stamp it with the transfer time. */
		iflags |= UR_ITEM_REPORT_TIME;
	}
	if (o->atimes && !S_ISDIR(m) && !S_ISLNK(m) &&
	    !same_time(o, it->atime, 0, dst->st_atim.tv_sec, 0))
		iflags |= UR_ITEM_REPORT_ATIME;
	/* Linux cannot chmod a symlink, so rsync never reports its perms. */
	if (!S_ISLNK(m)) {
		if (o->perms) {
			if ((dst->st_mode & 07777) != (m & 07777))
				iflags |= UR_ITEM_REPORT_PERMS;
		} else if (o->executability && !(dst->st_mode & 0111) != !(m & 0111)) {
			iflags |= UR_ITEM_REPORT_PERMS;
		}
	}
	if (o->owner && acting_as_root(o) && it->uid != dst->st_uid)
		iflags |= UR_ITEM_REPORT_OWNER;
	if (o->group && !it->skip_group && it->gid != dst->st_gid)
		iflags |= UR_ITEM_REPORT_GROUP;
	return iflags & WIRE_BITS;
}

uint32_t ur_item_significant(uint32_t iflags)
{
	return iflags & WIRE_BITS & ~NOT_SIGNIFICANT;
}
