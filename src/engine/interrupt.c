/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What a signal leaves in the destination (rsync's exit_cleanup() on the
 * receiving side): the file being received is kept as a partial copy under
 * --partial or --partial-dir, and removed otherwise; files already
 * complete in the finisher's queue take their names. Runs inside a signal
 * handler, so only async-signal-safe calls, and plain syscalls rather
 * than io/'s ring.
 */
#include "engine/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The one file being received (the receiver handles one at a time). */
static struct {
	volatile sig_atomic_t active;
	int tdirfd, dest_fd, out;
	bool zero_mtime; /* --partial: dated 1970, as rsync leaves it */
	uid_t uid;	 /* -o as root, -g: the file's owner and group, else -1 */
	gid_t gid;
	char tmp[PATH_MAX];
	char keep[PATH_MAX]; /* "" = remove */
	size_t pdir_len;     /* --partial-dir: keep[0..pdir_len) is made first */
} cur;

void ur_interrupt_track(int tdirfd, int out, const char *tmp, int dest_fd, const char *keep,
			bool partial_dir, bool zero_mtime, uid_t uid, gid_t gid)
{
	cur.active = 0;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	size_t lt = strlen(tmp), lk = keep ? strlen(keep) : 0;
	if (lt >= sizeof(cur.tmp) || lk >= sizeof(cur.keep))
		return;
	memcpy(cur.tmp, tmp, lt + 1);
	memcpy(cur.keep, keep ? keep : "", lk + 1);
	const char *slash = partial_dir && keep ? strrchr(keep, '/') : NULL;
	cur.pdir_len = slash ? (size_t)(slash - keep) : 0;
	cur.tdirfd = tdirfd;
	cur.dest_fd = dest_fd;
	cur.out = out;
	cur.zero_mtime = zero_mtime;
	cur.uid = uid;
	cur.gid = gid;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	cur.active = 1;
}

void ur_interrupt_untrack(void)
{
	cur.active = 0;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static void settle_current(void)
{
	if (!cur.active)
		return;
	cur.active = 0;
	struct stat st;
	/* rsync keeps a partial file only once data has come
	 * (cleanup_got_literal): an empty one must not replace the old. */
	bool keep = cur.keep[0] && fstat(cur.out, &st) == 0 && st.st_size > 0;
	if (keep && cur.pdir_len) {
		cur.keep[cur.pdir_len] = '\0';
		if (mkdirat(cur.dest_fd, cur.keep, 0700) < 0 && errno != EEXIST)
			keep = false;
		cur.keep[cur.pdir_len] = '/';
	}
	if (keep && (cur.uid != (uid_t)-1 || cur.gid != (gid_t)-1))
		fchown(cur.out, cur.uid, cur.gid);
	if (keep && cur.zero_mtime) {
		struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT}, {0, 0}};
		futimens(cur.out, ts);
	}
	if (!keep || renameat(cur.tdirfd, cur.tmp, cur.dest_fd, cur.keep) < 0)
		unlinkat(cur.tdirfd, cur.tmp, 0);
}

void ur_engine_interrupted(void)
{
	settle_current();
	ur_finisher_interrupted();
}
