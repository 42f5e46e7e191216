/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The receiving role for a local copy: the sender's open descriptor is
 * handed over and copied into a temporary file that is renamed into place
 * only when complete.
 */
#include "config.h"
#include "engine/engine.h"
#include "delta/delta.h"
#include "io/io_sys.h"
#include "proto/handshake.h"
#include "util/err.h"
#include "util/log.h"
#include "util/path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define COPY_CHUNK (1 << 20)

/*
 * rsync names its temporary files ".NAME.XXXXXX" beside the target (a
 * leading dot of NAME is not doubled), or "NAME.XXXXXX" in --temp-dir.
 * Writes a fresh random name under `dir` into tmp; 0 or -ENAMETOOLONG.
 */
static int temp_name(const char *dir, const char *base, bool dot, char *tmp, size_t size)
{
	static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	static unsigned long seed;
	if (!seed)
		seed = (unsigned long)ur_now_ns() ^ (unsigned long)getpid();
	if (dot && base[0] == '.')
		base++;
	/* Keep the whole name within NAME_MAX. */
	int blen = (int)strlen(base);
	if (blen > NAME_MAX - 8 - (dot ? 1 : 0))
		blen = NAME_MAX - 8 - (dot ? 1 : 0);
	char suffix[7];
	for (int i = 0; i < 6; i++) {
		seed = seed * 6364136223846793005UL + 1442695040888963407UL;
		suffix[i] = letters[(seed >> 33) % (sizeof(letters) - 1)];
	}
	suffix[6] = '\0';
	int n = snprintf(tmp, size, "%s%s%s%.*s.%s", dir, *dir ? "/" : "", dot ? "." : "", blen,
			 base, suffix);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

#define TEMP_FLAGS (O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC)

/* Create a temporary file (temp_name) in dirfd; returns the open fd or -errno. */
static int make_temp(struct ur_io *io, int dirfd, const char *dir, const char *base, bool dot,
		     mode_t mode, char *tmp, size_t size)
{
	for (int tries = 0; tries < 100; tries++) {
		int rc = temp_name(dir, base, dot, tmp, size);
		if (rc < 0)
			return rc;
		int fd = ur_io_openat(io, dirfd, tmp, TEMP_FLAGS, mode);
		if (fd != -EEXIST)
			return fd;
	}
	return -EEXIST;
}

/* Does a relative path climb out of the directory it starts in? */
static bool escapes(const char *path)
{
	int depth = 0;
	for (const char *p = path; *p;) {
		const char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return true;
		} else if (len && !(len == 1 && p[0] == '.')) {
			depth++;
		}
		p += len + (e ? 1 : 0);
	}
	return false;
}

/* Copy all of in to out; the fastest primitive first, falling back on the
 * errors that mean "not here". Returns bytes copied or -errno (with *which
 * telling whether reading (0) or writing (1) failed). */
/* At most one chunk, and never past the size the list gave. */
static size_t chunk_for(int64_t left)
{
	return left < COPY_CHUNK ? (size_t)left : COPY_CHUNK;
}

int ur_partial_name(const struct ur_engine *eng, const char *dname, char *buf, size_t cap)
{
	const char *pd = eng->o->partial_dir;
	const char *slash = strrchr(dname, '/');
	const char *base = slash ? slash + 1 : dname;
	int n = pd[0] == '/' || !slash
			? snprintf(buf, cap, "%s/%s", pd, base)
			: snprintf(buf, cap, "%.*s/%s/%s", (int)(slash - dname), dname, pd, base);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

/* The directory of partial copy pname, made (0700) if need be; something
 * else of that name goes first, as in rsync. */
static bool partial_dir_made(struct ur_engine *eng, char *pname)
{
	char *slash = strrchr(pname, '/');
	struct stat st;
	bool ok = true;
	*slash = '\0';
	if (ur_sys_fstatat(eng->io, eng->dest_fd, pname, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    !S_ISDIR(st.st_mode) && ur_sys_unlinkat(eng->io, eng->dest_fd, pname, 0) < 0)
		ok = false;
	else if (mkdirat(eng->dest_fd, pname, 0700) < 0 && errno != EEXIST)
		ok = false;
	*slash = '/';
	return ok;
}

void ur_partial_drop(struct ur_engine *eng, const char *pname)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(pname, '/');
	ur_sys_unlinkat(eng->io, eng->dest_fd, pname, 0);
	if (!slash || eng->o->partial_dir[0] == '/')
		return;
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - pname), pname);
	unlinkat(eng->dest_fd, dir, AT_REMOVEDIR); /* only if empty */
}

enum ur_sum_kind ur_engine_xfer_kind(const struct ur_engine *eng)
{
	const char *cc = eng->o->checksum_choice;
	if (eng->chan_state)
		return eng->xfer_sum;
	if (cc) {
		/* --checksum-choice=XFER[,FILE]: the transfer's is the first */
		const char *comma = strchr(cc, ',');
		int id = ur_nstr_lookup(UR_NSTR_CHECKSUM, cc, comma ? (size_t)(comma - cc) : strlen(cc));
		if (id >= 0)
			return ur_sum_kind_of((enum ur_csum)id);
	}
	/* what two rsync 3.5.0 peers agree on (md5 without libxxhash) */
	return ur_sum_supported(UR_SUM_XXH3_128) ? UR_SUM_XXH3_128 : UR_SUM_MD5;
}

void ur_item_set_sum(struct ur_engine *eng, struct ur_item *it, enum ur_sum_kind kind,
		     const uint8_t *sum, int len)
{
	it->checksum_len = len;
	/* rsync's order of the hex digits for each kind; none, and the MD4s
	 * of old protocols, not shown at all */
	it->sum_hex = len == ur_sum_len(kind) && ur_sum_hex(kind, sum, eng->sum_hex) > 0
			  ? eng->sum_hex
			  : NULL;
}

/* The whole-file digest for --out-format's %C, in the transfer's checksum. */
struct digest {
	bool want;
	struct ur_sum_ctx sc;
};

/* copy_file_range does not say which side failed: these errors are the
 * destination's. */
static bool write_side(int e)
{
	return e == ENOSPC || e == EDQUOT || e == EFBIG;
}

static int64_t copy_fd(struct ur_engine *eng, int in, int out, int64_t size, int *which,
		       struct digest *dg)
{
	int64_t total = 0;
	bool progress = UR_INFO_GTE(eng->o, PROGRESS, 1) && !eng->ref_source;
	static char *buf;

	*which = 0;
	if (!dg->want) {
		/* The kernel copies (io/copy.c), in big steps unless a progress
		 * line wants to see the position move. The list's size is what
		 * rsync sends too: no call to find the end of the file. */
		while (total < size) {
			struct ur_copy_result r;
			int64_t step = progress ? (int64_t)chunk_for(size - total) : size - total;
			int rc = ur_copy_range(in, out, total, step, 0, &r);
			if (rc < 0) {
				*which = write_side(-rc);
				return rc;
			}
			bool short_src = r.bytes < total + step;
			total = r.bytes;
			if (short_src)
				break;
			if (progress && total < size)
				ur_progress_update(eng->o, eng->out, &eng->progress, total, size, false);
		}
		return total;
	}
	while (total < size) {
		if (!buf && !(buf = malloc(COPY_CHUNK)))
			return -ENOMEM;
		ssize_t n = ur_io_pread(eng->io, in, buf, chunk_for(size - total), -1);
		if (n == -EINTR)
			continue;
		if (n < 0) {
			*which = 0;
			return n;
		}
		if (n > 0)
			ur_sum_update(&dg->sc, buf, (size_t)n);
		ssize_t w = ur_io_write_full(eng->io, out, buf, (size_t)n, -1);
		if (w < 0) {
			*which = 1;
			return w;
		}
		if (n == 0)
			break;
		total += n;
		if (total >= size)
			break;
		if (progress)
			ur_progress_update(eng->o, eng->out, &eng->progress, total, size, false);
	}
	return total;
}

int ur_receive_file(struct ur_engine *eng, const struct ur_flist *fl, const struct ur_fentry *fe,
		    const char *dname, bool dst_exists, struct ur_item *it, int64_t *bytes,
		    struct ur_source *from)
{
	const struct ur_opts *o = eng->o;
	char src[PATH_MAX], tmp[PATH_MAX], dir[PATH_MAX];
	int in = -1, out = -1, rc = 0;
	int tdirfd = eng->dest_fd;
	bool temp_in_place = false;

	*bytes = 0;
	/* A stream (the wire) delivers the data; else the sender's file. */
	if (from) {
		rc = from->open(from, eng, fl, fe);
		if (rc < 0)
			return rc;
		src[0] = '\0';
	} else if (eng->ref_source) {
		snprintf(src, sizeof(src), "%s", eng->ref_source);
	} else if (!ur_sender_path(eng, fl, fe, src, sizeof(src))) {
		return -ENAMETOOLONG;
	}
#ifdef O_NOATIME
	int noatime = o->open_noatime ? O_NOATIME : 0;
#else
	int noatime = 0;
#endif
	/* The temp file is born with its final permission bits (the process
	 * umask is 0), less the set-id bits, which a later chown would clear
	 * anyway and which ur_set_attrs() puts back after it. */
	mode_t create_mode = fe->mode & 0777;

	const char *slash = strrchr(dname, '/');
	const char *base = slash ? slash + 1 : dname;
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - dname) : 0, dname);

	/* The usual case opens the source and creates the temp file in one
	 * batch (one enter on the ring). */
	int early_out = -ENOENT;
	bool paired = !from && !o->inplace && !o->temp_dir &&
		      temp_name(dir, base, true, tmp, sizeof(tmp)) == 0;
	if (from) {
		/* opened above */
	} else if (paired) {
		struct ur_io_op ops[2];
		ur_io_prep_openat(&ops[0], AT_FDCWD, src, O_RDONLY | O_CLOEXEC | O_NOCTTY | noatime, 0);
		ur_io_prep_openat(&ops[1], eng->dest_fd, tmp, TEMP_FLAGS, create_mode);
		int br = ur_io_submit(eng->io, ops, 2);
		in = (int)ur_sysret(br < 0 ? br : ops[0].res);
		early_out = br < 0 ? br : (int)ops[1].res;
		if (in < 0 && early_out >= 0) {
			int e = errno;
			ur_io_close(eng->io, early_out);
			ur_io_unlinkat(eng->io, eng->dest_fd, tmp, 0);
			errno = e;
		}
	} else {
		in = ur_sys_openat(eng->io, AT_FDCWD, src, O_RDONLY | O_CLOEXEC | O_NOCTTY | noatime, 0);
	}
	if (!from && in < 0) {
		int e = errno;
		char abs[PATH_MAX];
		ur_abs_path(src, abs, sizeof(abs));
		if (e == ENOENT) {
			ur_errmsg("file has vanished: \"%s\"", abs);
			ur_engine_fail(eng, UR_EXIT_VANISHED);
		} else {
			ur_error(e, "[sender] send_files failed to open \"%s\"", abs);
			ur_engine_fail(eng, UR_EXIT_PARTIAL);
		}
		return -e;
	}

	if (!eng->ref_source)
		ur_report_transfer_start(o, eng->out, it);

	if (o->inplace && o->backup && dst_exists && !ur_backup(eng, dname, UR_BACKUP_COPY)) {
		eng->exit_code = UR_EXIT_FILEIO; /* rsync gives up here */
		eng->fatal = true;
		rc = -EIO;
		goto out;
	}
	if (o->inplace) {
		out = ur_sys_openat(eng->io, eng->dest_fd, dname,
				    O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		/* As rsync: EACCES may be fs.protected_regular refusing O_CREAT on
		 * an existing file, so try without it; then a read-only file of
		 * ours gets owner-write just long enough to open it. */
		if (out < 0 && errno == EACCES)
			out = ur_sys_openat(eng->io, eng->dest_fd, dname, O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0);
		if (out < 0 && errno == EACCES) {
			struct stat st;
			if (ur_sys_fstatat(eng->io, eng->dest_fd, dname, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISREG(st.st_mode) && !(st.st_mode & S_IWUSR) &&
			    ur_sys_chmod(eng->io, eng->dest_fd, dname, (st.st_mode & 07777) | S_IWUSR) == 0) {
				out = ur_sys_openat(eng->io, eng->dest_fd, dname,
						    O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0);
				int e = errno;
				ur_sys_chmod(eng->io, eng->dest_fd, dname, st.st_mode & 07777);
				errno = e;
			} else {
				errno = EACCES;
			}
		}
		if (out < 0)
			rc = -errno;
		snprintf(tmp, sizeof(tmp), "%s", dname);
		temp_in_place = true;
	} else if (o->temp_dir) {
		/* --temp-dir is taken relative to the destination; one that
		 * climbs out of it is refused (rsync 3.5.0 confines it). */
		if (o->temp_dir[0] != '/' && escapes(o->temp_dir))
			rc = -EINVAL;
		else if ((tdirfd = ur_sys_openat(eng->io, eng->dest_fd, o->temp_dir,
						 O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)) < 0)
			rc = -errno;
		else
			rc = out = make_temp(eng->io, tdirfd, "", base, false, create_mode, tmp, sizeof(tmp));
		if (rc < 0)
			snprintf(tmp, sizeof(tmp), "%s/%s.XXXXXX", o->temp_dir, base);
	} else if (paired && early_out != -EEXIST) {
		rc = out = early_out;
	} else {
		rc = out = make_temp(eng->io, eng->dest_fd, dir, base, true, create_mode, tmp, sizeof(tmp));
	}
	if (out < 0) {
		ur_error(-rc, "[receiver] %s %s failed", o->inplace ? "open" : "mkstemp",
			 ur_engine_full_dst(eng, tmp));
		ur_engine_fail(eng, UR_EXIT_PARTIAL);
		/* A stream still has the data on its way: take it in. */
		if (from && from->discard)
			from->discard(from, eng);
		goto out;
	}
	rc = 0;
	if (!temp_in_place) {
		/* What a signal does with it (interrupt.c): kept under
		 * --partial (dated 1970) or in --partial-dir, else removed. */
		char pname[PATH_MAX];
		const char *keep = !o->partial ? NULL
				   : !o->partial_dir ? dname
				   : ur_partial_name(eng, dname, pname, sizeof(pname)) == 0 ? pname
											 : NULL;
		ur_interrupt_track(tdirfd, out, tmp, eng->dest_fd, keep, o->partial_dir != NULL,
				   !o->partial_dir,
				   o->owner && eng->am_root ? (uid_t)fe->uid : (uid_t)-1,
				   o->group && ur_can_chgrp(eng, fe->gid) ? (gid_t)fe->gid : (gid_t)-1);
	}

	int which;
	int64_t n;
	struct digest dg = {.want = !from && ur_format_has(ur_stdout_format(o), 'C')};
	if (dg.want && ur_sum_init(&dg.sc, ur_engine_xfer_kind(eng), 0) < 0)
		dg.want = false;
	if (from) {
		n = from->copy(from, eng, out, fe->size, &which, it);
		if (n < 0 && !which) {
			rc = (int)n;
			goto fail; /* the stream said why */
		}
	} else {
		n = copy_fd(eng, in, out, fe->size, &which, &dg);
	}
	if (dg.want) {
		uint8_t d[UR_SUM_MAX_LEN];
		ur_item_set_sum(eng, it, dg.sc.kind, d, ur_sum_final(&dg.sc, d));
	}
	if (n >= 0 && o->inplace && ur_sys_ftruncate(eng->io, out, n) < 0) {
		n = -errno;
		which = 1;
	}
	if (n < 0) {
		rc = (int)n;
		if (which) {
			/* rsync's receiver treats a failed write as fatal. */
			ur_error(-rc, "[receiver] write failed on %s", ur_engine_full_dst(eng, dname));
			eng->exit_code = UR_EXIT_FILEIO;
			eng->fatal = true;
		} else {
			ur_error(-rc, "[sender] read errors mapping \"%s\"", src);
			ur_engine_fail(eng, UR_EXIT_PARTIAL);
		}
		goto fail;
	}
	*bytes = n;
	if (UR_INFO_GTE(o, PROGRESS, 1) && !eng->ref_source)
		ur_progress_update(o, eng->out, &eng->progress, n, fe->size, true);

	/* What the file is now, without asking: we just made it, unless
	 * --inplace reused an existing one. Unknown owners make the chown
	 * happen whenever -o/-g ask for one. */
	bool known_owner = !o->temp_dir && eng->scan && eng->scan->fl == fl && eng->scan->plain_dir;
	struct stat made = {
		.st_mode = S_IFREG | create_mode,
		/* in a directory without set-gid, a new file is ours */
		.st_uid = known_owner ? (uid_t)eng->euid : (uid_t)-1,
		.st_gid = known_owner ? (gid_t)eng->egid : (gid_t)-1,
		.st_mtim = {.tv_sec = INT64_MIN, .tv_nsec = 0},
		.st_atim = {.tv_sec = INT64_MIN, .tv_nsec = 0},
	};
	ur_set_attrs(eng, tmp, out, fe, temp_in_place ? NULL : &made,
		     o->times ? UR_ATTR_ACCURATE : UR_ATTR_SKIP_MTIME);
	if (eng->fin && tdirfd == eng->dest_fd && !temp_in_place &&
	    ur_finisher_queue(eng, out, in, tmp, dname) == 0) {
		ur_interrupt_untrack();
		out = in = -1; /* the finisher's now */
		goto out;
	}
	if (!temp_in_place && !(o->backup && dst_exists)) {
		/* fsync? -> close -> rename as one linked chain, the source's
		 * close beside it: one enter on the ring. */
		struct ur_io_op ops[4];
		size_t k = 0, ifs = SIZE_MAX;
		if (o->fsync) {
			ifs = k;
			ur_io_prep_fsync(&ops[k], out, 0);
			ur_io_op_link(&ops[k++], false);
		}
		size_t icl = k;
		ur_io_prep_close(&ops[k], out);
		ur_io_op_link(&ops[k++], false);
		size_t irn = k;
		ur_io_prep_renameat(&ops[k++], tdirfd, tmp, eng->dest_fd, dname);
		if (in >= 0)
			ur_io_prep_close(&ops[k++], in);
		int br = ur_io_submit(eng->io, ops, k);
		if (br < 0) {
			for (size_t i = 0; i < k; i++)
				ops[i].res = br;
		} else {
			in = -1;
			if (ops[icl].res != -ECANCELED)
				out = -1; /* close always releases the descriptor */
		}
		if (ifs != SIZE_MAX && ops[ifs].res < 0) {
			rc = (int)ops[ifs].res;
			ur_error(-rc, "[receiver] fsync failed on %s", ur_engine_full_dst(eng, tmp));
			eng->exit_code = UR_EXIT_FILEIO;
			eng->fatal = true;
			goto fail;
		}
		if (ops[icl].res < 0) {
			rc = (int)ops[icl].res;
			ur_error(-rc, "[receiver] close failed on %s", ur_engine_full_dst(eng, dname));
			eng->exit_code = UR_EXIT_FILEIO;
			eng->fatal = true;
			goto fail;
		}
		if (ops[irn].res < 0) {
			rc = (int)ops[irn].res;
			ur_error(-rc, "[receiver] rename %s -> \"%s\" failed", ur_engine_full_dst(eng, tmp),
				 dname);
			ur_engine_fail(eng, UR_EXIT_PARTIAL);
			goto fail;
		}
		goto out;
	}
	if (o->fsync && ur_sys_fsync(eng->io, out) < 0) {
		rc = -errno;
		ur_error(-rc, "[receiver] fsync failed on %s", ur_engine_full_dst(eng, tmp));
		eng->exit_code = UR_EXIT_FILEIO;
		eng->fatal = true;
		goto fail;
	}
	if (ur_sys_close(eng->io, out) < 0) {
		out = -1;
		rc = -errno;
		ur_error(-rc, "[receiver] close failed on %s", ur_engine_full_dst(eng, dname));
		eng->exit_code = UR_EXIT_FILEIO;
		eng->fatal = true;
		goto fail;
	}
	out = -1;
	if (!temp_in_place && o->backup && dst_exists && !ur_backup(eng, dname, UR_BACKUP_LINK)) {
		eng->exit_code = UR_EXIT_FILEIO; /* rsync gives up here */
		eng->fatal = true;
		rc = -EIO;
		goto fail;
	}
	if (!temp_in_place && ur_sys_renameat(eng->io, tdirfd, tmp, eng->dest_fd, dname) < 0) {
		rc = -errno;
		ur_error(-rc, "[receiver] rename %s -> \"%s\" failed", ur_engine_full_dst(eng, tmp), dname);
		ur_engine_fail(eng, UR_EXIT_PARTIAL);
		goto fail;
	}
	goto out;

fail:
	ur_interrupt_untrack();
	if (!temp_in_place && o->partial && out >= 0) {
		/* --partial keeps what arrived, under the real name and with
		 * the file's attributes. When the run dies there, rsync dates it
		 * 1970 so that no later quick check or -u takes it as done.
		 * --partial-dir keeps it in that directory instead, undated. */
		struct ur_fentry pf = *fe;
		int flags = o->times ? UR_ATTR_ACCURATE : UR_ATTR_SKIP_MTIME;
		char pname[PATH_MAX];
		const char *keep = dname;
		if (o->partial_dir) {
			keep = ur_partial_name(eng, dname, pname, sizeof(pname)) == 0 &&
				       partial_dir_made(eng, pname)
				   ? pname
				   : NULL;
			flags = UR_ATTR_SKIP_MTIME;
		} else if (eng->fatal) {
			pf.mtime = 0;
			flags = UR_ATTR_ACCURATE | UR_ATTR_FORCE_MTIME;
		}
		ur_set_attrs(eng, tmp, out, &pf, NULL, flags);
		ur_io_close(eng->io, out);
		out = -1;
		if (!keep || ur_io_renameat(eng->io, tdirfd, tmp, eng->dest_fd, keep) < 0)
			ur_io_unlinkat(eng->io, tdirfd, tmp, 0);
	} else if (!temp_in_place) {
		ur_io_unlinkat(eng->io, tdirfd, tmp, 0);
	}
	if (out >= 0)
		ur_io_close(eng->io, out);
	out = -1;
out:
	ur_interrupt_untrack();
	if (in >= 0)
		ur_io_close(eng->io, in);
	if (from)
		from->close(from);
	if (out >= 0)
		ur_io_close(eng->io, out);
	if (tdirfd != eng->dest_fd && tdirfd >= 0)
		ur_io_close(eng->io, tdirfd);
	return rc;
}

/*
 * --no-whole-file on a local copy: the same delta code as over the wire
 * (delta/delta.c), the destination's file the basis. Its block sums go
 * into a table, the source is matched against it, and the result is
 * rebuilt into the temporary file from the basis and the literal data.
 */
struct delta_src {
	struct ur_source base;
	const char *dname;
	int in, basis;
	int64_t basis_size;
	int append;	    /* 1 --append, 2 --append-verify, 0 a full delta */
	bool verify_failed; /* --append-verify: the kept part differed */
	bool redo;	    /* the second time */
	char path[PATH_MAX];
};

static int delta_open(struct ur_source *s, struct ur_engine *eng, const struct ur_flist *fl,
		      const struct ur_fentry *fe)
{
	struct delta_src *ds = (struct delta_src *)s;
	if (!ur_sender_path(eng, fl, fe, ds->path, sizeof(ds->path)))
		return -ENAMETOOLONG;
	ds->in = ur_sys_openat(eng->io, AT_FDCWD, ds->path, O_RDONLY | O_CLOEXEC | O_NOCTTY, 0);
	if (ds->in < 0) {
		int e = errno;
		char abs[PATH_MAX];
		ur_abs_path(ds->path, abs, sizeof(abs));
		if (e == ENOENT) {
			ur_errmsg("file has vanished: \"%s\"", abs);
			ur_engine_fail(eng, UR_EXIT_VANISHED);
		} else {
			ur_error(e, "[sender] send_files failed to open \"%s\"", abs);
			ur_engine_fail(eng, UR_EXIT_PARTIAL);
		}
		return -e;
	}
	struct stat st;
	ds->basis = ur_sys_openat(eng->io, eng->dest_fd, eng->basis_name ? eng->basis_name : ds->dname,
				  O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0);
	if (ds->basis >= 0 && (fstat(ds->basis, &st) < 0 || !S_ISREG(st.st_mode))) {
		ur_io_close(eng->io, ds->basis);
		ds->basis = -1;
	}
	ds->basis_size = ds->basis >= 0 ? st.st_size : 0;
	return 0;
}

/* The counters and %b of a delta copy that wrote `written` bytes (0 for
 * one that failed). */
static void delta_account(struct ur_engine *eng, struct ur_item *it,
			  const struct ur_delta_stats *st, int64_t written, bool redo)
{
	/* The generator counts what arrived as literal data; only the
	 * literal part was (not the matches, nor what --append kept). */
	eng->st.matched_data += st->matched;
	eng->st.literal_data += st->literal - written;
	/* %b: what rsync's sender writes for it (index and flags, sum head,
	 * a header per literal piece, a token per match, end and file sum) */
	it->bytes_xfer = 3 + 16 + st->literal + 4 * (st->pieces + st->matches) + 4 + 16;
	if (redo)
		it->bytes_xfer += 4; /* an index behind the last: its long form */
}

static int64_t delta_copy(struct ur_source *s, struct ur_engine *eng, int out, int64_t size,
			  int *which, struct ur_item *it)
{
	struct delta_src *ds = (struct delta_src *)s;
	struct ur_sig_params sp = {
	    .kind = ur_engine_xfer_kind(eng),
	    .protocol = 32,
	    .block_size_opt = eng->o->block_size,
	    /* rsync's sender matches for an in-place update unless the basis
	     * is the backup; ours is always the file itself, so always. */
	    .updating_basis = eng->o->inplace,
	    .append = ds->append,
	    .append_len = ds->append ? ds->basis_size : 0,
	};
	struct ur_sum_head h = {0};
	struct ur_delta_sigtab *tab = NULL;
	struct ur_delta_patch pt;
	struct ur_delta_stats st = {0};
	uint8_t sum[UR_SUM_MAX_LEN], mine[UR_SUM_MAX_LEN];
	int rc;

	*which = 0;
	if (!ds->append && !eng->o->inplace && !ds->redo && ur_delta_threads(&sp, size) > 1 &&
	    !ur_format_has(ur_stdout_format(eng->o), 'C')) {
		/* A big file, the plain case: on threads, checked as it is
		 * written rather than by whole-file sums (%C wants those). */
		bool out_failed;
		int64_t n = ur_delta_local(ds->in, size, ds->basis, ds->basis_size, out, &sp, &st,
					   &out_failed);
		if (n != -ENOTSUP) { /* (else no libxxhash: the serial path) */
			if (n < 0 && n != -EBADMSG) {
				*which = out_failed;
				if (!*which) {
					ur_error((int)-n, "[sender] read errors mapping \"%s\"",
						 ds->path);
					ur_engine_fail(eng, UR_EXIT_PARTIAL);
				}
				return n;
			}
			/* -EBADMSG: the basis changed under us, and the file
			 * comes again, as when whole-file sums differ */
			ds->verify_failed = n == -EBADMSG;
			delta_account(eng, it, &st, n >= 0 ? n : 0, ds->redo);
			return n;
		}
	}
	/* --append: no block sums, the receiver keeps what it has */
	if (!ds->append)
		tab = ur_delta_sig_table(ds->basis, ds->basis_size, &sp, &h);
	rc = ur_delta_patch_init(&pt, &h, ds->basis, ds->basis_size, out, &sp);
	if (rc < 0) {
		ur_delta_sigtab_free(tab);
		*which = 1;
		return rc;
	}
	struct ur_delta_out dout = ur_delta_patch_out(&pt);
	rc = ur_delta_match(ds->in, size, tab, &sp, &dout, sum, &st);
	ur_delta_sigtab_free(tab);
	int slen = rc;
	if (rc >= 0)
		rc = ur_delta_patch_finish(&pt, mine);
	/* Only the bytes --append-verify kept can differ: the two ends read
	 * the same source. */
	if (rc >= 0 && memcmp(sum, mine, (size_t)slen)) {
		/* (or the basis changed under us) */
		ds->verify_failed = true;
		if (!eng->o->inplace)
			rc = -EBADMSG; /* never renamed into place */
	}
	int64_t total = pt.out_off;
	ur_delta_patch_release(&pt);
	delta_account(eng, it, &st, rc >= 0 ? total : 0, ds->redo);
	if (st.read_error) {
		/* The source read short: its sum was spoiled, so the file
		 * failed verification above and comes again. */
		ur_error(-st.read_error, "[sender] read errors mapping \"%s\"", ds->path);
		ur_engine_fail(eng, UR_EXIT_PARTIAL);
	}
	*which = rc < 0 && rc != -EBADMSG; /* else a failed write */
	if (rc >= 0)
		ur_item_set_sum(eng, it, sp.kind, sum, slen);
	return rc < 0 ? rc : total;
}

static void delta_close(struct ur_source *s)
{
	struct delta_src *ds = (struct delta_src *)s;
	if (ds->in >= 0)
		close(ds->in);
	if (ds->basis >= 0)
		close(ds->basis);
	ds->in = ds->basis = -1;
}

static int local_send_file(struct ur_engine *eng, const struct ur_flist *fl,
			   const struct ur_fentry *fe, const char *dname, bool dst_exists,
			   struct ur_item *it, int64_t *bytes)
{
	const struct ur_opts *o = eng->o;
	/* --append is a delta of its own kind even where -W is the default;
	 * --checksum-choice=none means whole files (no block sums). */
	bool delta = (o->whole_file == 0 && ur_engine_xfer_kind(eng) != UR_SUM_NONE) || o->append;
	if (delta && (dst_exists || eng->basis_name)) {
		struct delta_src ds = {
		    .base = {.open = delta_open, .copy = delta_copy, .close = delta_close},
		    .dname = dname,
		    .in = -1,
		    .basis = -1,
		    .append = o->append ? 1 + o->append_verify : 0,
		};
		int rc = ur_receive_file(eng, fl, fe, dname, dst_exists, it, bytes, &ds.base);
		if ((rc == 0 || rc == -EBADMSG) && ds.verify_failed) {
			/* As rsync's redo: an in-place file stays (with its
			 * attributes), and the file comes again in full,
			 * itemized again. */
			if (UR_INFO_GTE(o, NAME, 1) || ur_stdout_has_i(o))
				ur_errmsg("WARNING: %s failed verification -- update %s (will try "
					  "again).",
					  ur_fentry_name(fl, fe),
					  o->inplace || o->partial ? "retained" : "discarded");
			if (rc < 0) {
				*bytes = 0;
			} else {
				/* rsync sets no time on a file that failed: it keeps
				 * the time of the write */
				struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_nsec = UTIME_NOW}};
				utimensat(eng->dest_fd, dname, ts, AT_SYMLINK_NOFOLLOW);
			}
			eng->st.literal_data += *bytes; /* what the generator would add */
			ur_generate_redo(eng, fe, dname, it, *bytes);
			ds.append = 0;
			ds.verify_failed = false;
			ds.redo = true;
			rc = ur_receive_file(eng, fl, fe, dname, true, it, bytes, &ds.base);
			if (ds.verify_failed) {
				ur_errmsg("ERROR: %s failed verification -- update %s.",
					  ur_fentry_name(fl, fe),
					  o->inplace || o->partial ? "retained" : "discarded");
				ur_engine_fail(eng, UR_EXIT_PARTIAL);
			}
		}
		return rc;
	}
	return ur_receive_file(eng, fl, fe, dname, dst_exists, it, bytes, NULL);
}

const struct ur_chan ur_local_chan = {
	.send_file = local_send_file,
};
