/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The receiving role for a local copy: the sender's open descriptor is
 * handed over and copied into a temporary file that is renamed into place
 * only when complete.
 */
#include "config.h"
#include "engine/engine.h"
#include "engine/delta.h"
#include "engine/eio_int.h"
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
#if HAVE_XXHASH
#include <xxhash.h>
#endif

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

/* The whole-file digest for --out-format's %C (XXH3-128, what two rsync
 * 3.5.0 peers agree on), when the build has xxhash. */
struct digest {
	bool want;
#if HAVE_XXHASH
	XXH3_state_t *st;
#endif
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
	bool progress = UR_INFO_GTE(eng->o, PROGRESS, 1);
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
#if HAVE_XXHASH
		if (dg->st && n > 0)
			XXH3_128bits_update(dg->st, buf, (size_t)n);
#endif
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
	char *sum_hex = eng->sum_hex;
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

	int which;
	int64_t n;
	struct digest dg = {.want = !from && ur_format_has(ur_stdout_format(o), 'C')};
#if HAVE_XXHASH
	if (dg.want && (dg.st = XXH3_createState()))
		XXH3_128bits_reset(dg.st);
#endif
	if (from) {
		n = from->copy(from, eng, out, fe->size, &which, it);
		if (n < 0 && !which) {
			rc = (int)n;
			goto fail; /* the stream said why */
		}
	} else {
		n = copy_fd(eng, in, out, fe->size, &which, &dg);
	}
#if HAVE_XXHASH
	if (dg.st) {
		XXH128_canonical_t c;
		XXH128_canonicalFromHash(&c, XXH3_128bits_digest(dg.st));
		for (int i = 0; i < 16; i++)
			snprintf(sum_hex + 2 * i, 3, "%02x", c.digest[i]);
		it->sum_hex = sum_hex;
		XXH3_freeState(dg.st);
	}
#endif
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
	if (UR_INFO_GTE(o, PROGRESS, 1))
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
	if (!temp_in_place && o->partial && out >= 0) {
		/* --partial keeps what arrived, under the real name and with
		 * the file's attributes. When the run dies there, rsync dates it
		 * 1970 so that no later quick check or -u takes it as done. */
		struct ur_fentry pf = *fe;
		int flags = o->times ? UR_ATTR_ACCURATE : UR_ATTR_SKIP_MTIME;
		if (eng->fatal) {
			pf.mtime = 0;
			flags = UR_ATTR_ACCURATE | UR_ATTR_FORCE_MTIME;
		}
		ur_set_attrs(eng, tmp, out, &pf, NULL, flags);
		ur_io_close(eng->io, out);
		out = -1;
		if (ur_io_renameat(eng->io, tdirfd, tmp, eng->dest_fd, dname) < 0)
			ur_io_unlinkat(eng->io, tdirfd, tmp, 0);
	} else if (!temp_in_place) {
		ur_io_unlinkat(eng->io, tdirfd, tmp, 0);
	}
	if (out >= 0)
		ur_io_close(eng->io, out);
	out = -1;
out:
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
 * (engine/delta.c), the destination's file the basis. Its block sums go
 * into a table, the source is matched against it, and the result is
 * rebuilt into the temporary file from the basis and the literal data.
 */
struct delta_src {
	struct ur_source base;
	const char *dname;
	int in, basis;
	int64_t basis_size;
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
	ds->basis = ur_sys_openat(eng->io, eng->dest_fd, ds->dname, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0);
	if (ds->basis >= 0 && (fstat(ds->basis, &st) < 0 || !S_ISREG(st.st_mode))) {
		ur_io_close(eng->io, ds->basis);
		ds->basis = -1;
	}
	ds->basis_size = ds->basis >= 0 ? st.st_size : 0;
	return 0;
}

static int64_t delta_copy(struct ur_source *s, struct ur_engine *eng, int out, int64_t size,
			  int *which, struct ur_item *it)
{
	struct delta_src *ds = (struct delta_src *)s;
	struct ur_sig_params sp = {
	    .kind = UR_SUM_XXH3_128, /* what two rsync 3.5.0 peers agree on */
	    .protocol = 32,
	    .block_size_opt = eng->o->block_size,
	};
	struct ur_delta_stats st;
	bool out_failed;
	(void)it;

	int64_t rc = ur_delta_local(ds->in, size, ds->basis, ds->basis_size, out, &sp, &st,
				    &out_failed);
	if (rc < 0) {
		*which = out_failed;
		if (!*which) {
			ur_error((int)-rc, "[sender] read errors mapping \"%s\"", ds->path);
			ur_engine_fail(eng, UR_EXIT_PARTIAL);
		}
		return rc;
	}
	*which = 0;
	/* The generator counts what arrived as literal data; only the
	 * literal part was. */
	eng->st.matched_data += st.matched;
	eng->st.literal_data -= st.matched;
	return rc;
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
	if (eng->o->whole_file == 0 && dst_exists && !eng->o->inplace) {
		struct delta_src ds = {
		    .base = {.open = delta_open, .copy = delta_copy, .close = delta_close},
		    .dname = dname,
		    .in = -1,
		    .basis = -1,
		};
		return ur_receive_file(eng, fl, fe, dname, dst_exists, it, bytes, &ds.base);
	}
	return ur_receive_file(eng, fl, fe, dname, dst_exists, it, bytes, NULL);
}

const struct ur_chan ur_local_chan = {
	.send_file = local_send_file,
};
