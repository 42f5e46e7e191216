/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The run loop shared by the roles: walk segment by segment, depth first. */
#include "engine/engine.h"
#include "io/io_sys.h"
#include "engine/hlink.h"
#include "engine/refdir.h"
#include "meta/namemap.h"
#include "filter/filter.h"
#include "util/err.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int64_t ur_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

const char *ur_engine_full_dst(struct ur_engine *eng, const char *name)
{
	static char buf[PATH_MAX * 2 + 4];
	if (!strcmp(eng->dest_path, "/"))
		snprintf(buf, sizeof(buf), "\"/%s\"", name);
	else
		snprintf(buf, sizeof(buf), "\"%s/%s\"", eng->dest_path, name);
	return buf;
}

void ur_engine_fail(struct ur_engine *eng, int code)
{
	if (!eng->exit_code || (code == UR_EXIT_PARTIAL && eng->exit_code == UR_EXIT_VANISHED))
		eng->exit_code = code;
}

void ur_engine_count_entry(struct ur_engine *eng, const struct ur_fentry *fe)
{
	struct ur_stats *st = &eng->st;
	if (fe->flags & UR_FE_MISSING)
		return;
	st->num_files++;
	if (S_ISREG(fe->mode)) {
		st->num_reg++;
		st->total_size += fe->size;
	} else if (S_ISDIR(fe->mode)) {
		st->num_dir++;
	} else if (S_ISLNK(fe->mode)) {
		st->num_link++;
		st->total_size += fe->size;
	} else if (S_ISCHR(fe->mode) || S_ISBLK(fe->mode)) {
		st->num_dev++;
	} else {
		st->num_special++;
	}
}

/* --list-only: one line per entry in `ls -l` style, as rsync prints it. */
void ur_list_entry(struct ur_engine *eng, const struct ur_flist *fl, const struct ur_fentry *fe)
{
	const struct ur_opts *o = eng->o;
	static const char types[] = "?pc?d?b?-?l?s???";
	char perms[11], num[64], when[32];
	mode_t m = fe->mode;

	if (!o->implied_dirs && (fe->flags & UR_FE_IMPLIED_DIR))
		return;
	if (o->quiet) /* rsync lists through rwrite(), which -q silences */
		return;
	perms[0] = types[(m & S_IFMT) >> 12];
	const char *rwx = "rwxrwxrwx";
	for (int i = 0; i < 9; i++)
		perms[1 + i] = (m & (0400 >> i)) ? rwx[i] : '-';
	if (m & S_ISUID)
		perms[3] = (m & 0100) ? 's' : 'S';
	if (m & S_ISGID)
		perms[6] = (m & 0010) ? 's' : 'S';
	if (m & S_ISVTX)
		perms[9] = (m & 0001) ? 't' : 'T';
	perms[10] = '\0';
	time_t t = (time_t)fe->mtime;
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y/%m/%d %H:%M:%S", &tm);
	const char *link = ur_fentry_link(fl, fe);
	const char *name = ur_fentry_name(fl, fe);
	fprintf(eng->out, "%s %*s %s ", perms, ur_human_level(o) ? 14 : 11,
		ur_human_num(ur_human_level(o), fe->size, num, sizeof(num)), when);
	ur_report_write(eng->out, name, strlen(name), o->eight_bit_output);
	if (link && o->links) {
		fputs(" -> ", eng->out);
		ur_report_write(eng->out, link, strlen(link), o->eight_bit_output);
	}
	fputc('\n', eng->out);
}

static bool wants_delete_during(const struct ur_opts *o)
{
	return o->delete_mode == UR_DEL_DURING || o->delete_mode == UR_DEL_DELAY ||
	       o->delete_mode == UR_DEL_AFTER;
}

static bool recurses(const struct ur_opts *o, const struct ur_fentry *fe)
{
	if (!S_ISDIR(fe->mode) || (fe->flags & (UR_FE_NO_RECURSE | UR_FE_MOUNT_DIR)))
		return false;
	return o->recursive || (fe->flags & UR_FE_TOP_DIR);
}

bool ur_excluded(struct ur_engine *eng, const char *name, bool is_dir, int side, unsigned flags)
{
	struct ur_filter_list *l = side == UR_FILTER_RECEIVER && eng->rfilters ? eng->rfilters
									    : eng->filters;
	if (!l)
		return false;
	return ur_filter_check_ex(l, name, flags | (is_dir ? UR_FILTER_IS_DIR : 0),
				  (enum ur_filter_side)side) == UR_FILTER_EXCLUDE;
}

/*
 * Enter directory fe for listing: its per-directory merge files join the
 * rules for what is below it (until leave_dir), then its entries are
 * listed into sub. Returns 0 or -errno (already reported).
 */
static int enter_dir(struct ur_engine *eng, const struct ur_flist *fl, const struct ur_fentry *fe,
		     struct ur_flist *sub)
{
	if (eng->filters) {
		struct ur_err err = {0};
		eng->filter_walking = true;
		eng->walk_root = fe->root;
		int rc = ur_filter_push_dir(eng->filters, ur_fentry_name(fl, fe), &err);
		if (eng->rfilters) {
			/* The receiver reads the destination's copy of the same
			 * directory (the name it will have there). */
			struct ur_err rerr = {0};
			if (ur_filter_push_dir(eng->rfilters, ur_dst_name(eng, fl, fe), &rerr) < 0 && !rc) {
				rc = -EINVAL;
				err = rerr;
			}
		}
		eng->filter_walking = false;
		if (rc < 0) {
			/* A bad rule in a per-directory file ends the run, as in rsync. */
			if (!eng->quiet_walk) {
				ur_errmsg("%s", err.msg);
				eng->exit_code = err.code ? err.code : UR_EXIT_SYNTAX;
				eng->fatal = true;
			}
			return rc;
		}
	}
	return ur_sender_dir(eng, fl, fe, sub);
}

int ur_engine_check_root_filters(struct ur_engine *eng, const struct ur_flist *top)
{
	if (!eng->filters)
		return 0;
	for (size_t i = 0; i < top->n; i++) {
		const struct ur_fentry *fe = &top->e[i];
		if (!recurses(eng->o, fe) || strcmp(ur_fentry_name(top, fe), "."))
			continue;
		struct ur_err err = {0};
		eng->filter_walking = true;
		eng->walk_root = fe->root;
		int rc = ur_filter_push_dir(eng->filters, ".", &err);
		eng->filter_walking = false;
		ur_filter_pop_dir(eng->filters);
		if (rc < 0) {
			ur_errmsg("%s", err.msg);
			return err.code ? err.code : UR_EXIT_SYNTAX;
		}
	}
	return 0;
}

/* Leave a directory entered with enter_dir (whatever it returned). */
static void leave_dir(struct ur_engine *eng)
{
	if (eng->filters)
		ur_filter_pop_dir(eng->filters);
	if (eng->rfilters)
		ur_filter_pop_dir(eng->rfilters);
}

/* --delete-before: a deletion pass over every directory first. */
static void delete_pass(struct ur_engine *eng, const struct ur_flist *fl)
{
	for (size_t i = 0; i < fl->n; i++) {
		const struct ur_fentry *fe = &fl->e[i];
		if (!recurses(eng->o, fe))
			continue;
		struct ur_flist sub;
		ur_flist_init(&sub);
		if (enter_dir(eng, fl, fe, &sub) == 0) {
			struct stat st;
			const char *dname = ur_dst_name(eng, fl, fe);
			if (ur_sys_fstatat(eng->io, eng->dest_fd, dname, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISDIR(st.st_mode))
				ur_delete_in_dir(eng, dname, &sub);
			delete_pass(eng, &sub);
		}
		leave_dir(eng);
		ur_flist_release(&sub);
	}
}

/* --progress shows "to-chk=LEFT/TOTAL", so count the whole transfer first
 * (rsync's sender is normally that far ahead of its generator). */
static void precount(struct ur_engine *eng, const struct ur_flist *fl, int64_t *n, int64_t *bytes)
{
	for (size_t i = 0; i < fl->n; i++) {
		const struct ur_fentry *fe = &fl->e[i];
		(*n)++;
		if (S_ISREG(fe->mode) || S_ISLNK(fe->mode))
			*bytes += fe->size;
		if (!recurses(eng->o, fe))
			continue;
		struct ur_flist sub;
		ur_flist_init(&sub);
		/* Errors are reported by the real walk, not twice. */
		eng->quiet_walk = true;
		if (enter_dir(eng, fl, fe, &sub) == 0)
			precount(eng, &sub, n, bytes);
		leave_dir(eng);
		eng->quiet_walk = false;
		ur_flist_release(&sub);
	}
}

/* -H: walk the tree once, in the order process() will, so that each group
 * of hard links knows its last member before any is generated. */
static void hl_prescan(struct ur_engine *eng, const struct ur_flist *fl, int64_t *seq)
{
	for (size_t i = 0; i < fl->n; i++) {
		const struct ur_fentry *fe = &fl->e[i];
		if (!S_ISDIR(fe->mode)) {
			if (fe->nlink > 1)
				ur_hlinks_note(eng->hl, fe->dev, fe->ino, *seq);
			(*seq)++;
			continue;
		}
		if (!recurses(eng->o, fe))
			continue;
		struct ur_flist sub;
		ur_flist_init(&sub);
		eng->quiet_walk = true;
		if (enter_dir(eng, fl, fe, &sub) == 0)
			hl_prescan(eng, &sub, seq);
		leave_dir(eng);
		eng->quiet_walk = false;
		ur_flist_release(&sub);
	}
}

/* Is there anything but directories below dir fe (after the filters)? */
static bool has_nondir_below(struct ur_engine *eng, const struct ur_flist *fl,
			     const struct ur_fentry *fe)
{
	struct ur_flist sub;
	bool found = false;

	if (!recurses(eng->o, fe))
		return true;
	ur_flist_init(&sub);
	bool was_quiet = eng->quiet_walk;
	eng->quiet_walk = true;
	if (enter_dir(eng, fl, fe, &sub) == 0) {
		for (size_t i = 0; i < sub.n && !found; i++)
			found = !S_ISDIR(sub.e[i].mode);
		for (size_t i = 0; i < sub.n && !found; i++)
			if (S_ISDIR(sub.e[i].mode))
				found = has_nondir_below(eng, &sub, &sub.e[i]);
	}
	leave_dir(eng);
	eng->quiet_walk = was_quiet;
	ur_flist_release(&sub);
	return found;
}

/*
 * -m: drop the directories of this segment whose whole subtree holds no
 * file, as rsync's receiver prunes its list. The transfer roots stay, and
 * so does a directory the receiver's rules exclude (it is protected).
 */
static void prune_empty(struct ur_engine *eng, struct ur_flist *fl)
{
	for (size_t i = 0; i < fl->n; i++) {
		struct ur_fentry *fe = &fl->e[i];
		const char *name = ur_fentry_name(fl, fe);
		if (!S_ISDIR(fe->mode) || !strcmp(name, ".") || (fe->flags & UR_FE_PRUNED))
			continue;
		if (ur_excluded(eng, name, true, UR_FILTER_RECEIVER, 0))
			continue;
		if (!has_nondir_below(eng, fl, fe))
			fe->flags |= UR_FE_PRUNED;
	}
}

/*
 * Look up every child of the directory just entered in one batch (one
 * enter per 256 names on the ring, plain lstats on POSIX), or not at all
 * when this run just made the directory. Not when an entry's processing
 * can change a sibling's destination entry before the sibling is
 * generated (-b makes NAME~ beside NAME). Returns false when no scan was
 * made (the generator then looks each entry up itself).
 */
static bool dest_scan(struct ur_engine *eng, const struct ur_flist *fl, bool fresh,
		      const struct stat *dirst, struct ur_dscan *sc)
{
	enum { CHUNK = 256 };
	const struct ur_opts *o = eng->o;

	if (o->backup || o->delay_updates || eng->cur_dfd < 0 || !fl->n)
		return false;
	*sc = (struct ur_dscan){
		.fl = fl, .all_missing = fresh, .plain_dir = !(dirst->st_mode & S_ISGID) && dirst->st_gid == (gid_t)eng->egid,
	};
	if (fresh)
		return true;
	sc->st = malloc(fl->n * sizeof(*sc->st));
	sc->res = malloc(fl->n * sizeof(*sc->res));
	if (!sc->st || !sc->res)
		goto fail;
	struct ur_io_op ops[CHUNK];
	for (size_t i = 0; i < fl->n; i += CHUNK) {
		size_t k = fl->n - i < CHUNK ? fl->n - i : CHUNK;
		for (size_t j = 0; j < k; j++)
			ur_io_prep_stat(&ops[j], eng->cur_dfd, ur_fentry_base(fl, &fl->e[i + j]),
					AT_SYMLINK_NOFOLLOW, &sc->st[i + j]);
		if (ur_io_submit(eng->io, ops, k) < 0)
			goto fail;
		for (size_t j = 0; j < k; j++)
			sc->res[i + j] = (int)ops[j].res;
	}
	return true;
fail:
	free(sc->st);
	free(sc->res);
	return false;
}

/* Ask the walker thread for the source listings of fl's subdirectories,
 * in the order process() will enter them. */
static void walk_ahead(struct ur_engine *eng, const struct ur_flist *fl)
{
	char path[PATH_MAX];
	char *arena = NULL;
	size_t *off = NULL, len = 0, cap = 0, k = 0;
	const char **paths = NULL;

	for (size_t i = 0; i < fl->n; i++) {
		const struct ur_fentry *fe = &fl->e[i];
		if (!recurses(eng->o, fe) || (fe->flags & UR_FE_PRUNED) ||
		    !ur_sender_path(eng, fl, fe, path, sizeof(path)))
			continue;
		size_t pl = strlen(path) + 1;
		if (len + pl > cap) {
			size_t c = cap ? cap * 2 : 8192;
			while (c < len + pl)
				c *= 2;
			char *na = realloc(arena, c);
			if (!na)
				goto out;
			arena = na;
			cap = c;
		}
		size_t *no = realloc(off, (k + 1) * sizeof(*no));
		if (!no)
			goto out;
		off = no;
		memcpy(arena + len, path, pl);
		off[k++] = len;
		len += pl;
	}
	if (!k || !(paths = malloc(k * sizeof(*paths))))
		goto out;
	for (size_t i = 0; i < k; i++)
		paths[i] = arena + off[i];
	ur_walker_ahead(eng, fl, paths, k);
out:
	free(paths);
	free(off);
	free(arena);
}

/* --usermap, --groupmap, --chown: what rsync's receiver does to the ids of
 * the list it receives (the owner only as root, with -o). */
static void map_ids(struct ur_engine *eng, struct ur_fentry *fe)
{
	if (eng->umap && eng->am_root && eng->o->owner)
		fe->uid = ur_namemap_map(eng->umap, fe->uid);
	if (eng->gmap && eng->o->group)
		fe->gid = ur_namemap_map(eng->gmap, fe->gid);
}

static void process(struct ur_engine *eng, struct ur_flist *fl)
{
	const struct ur_opts *o = eng->o;
	int64_t base = eng->next_index;

	if (o->prune_empty_dirs && !o->list_only && fl->n && !(fl->e[0].flags & UR_FE_PRUNE_DONE))
		prune_empty(eng, fl);
	eng->next_index += (int64_t)fl->n;
	if (eng->walker && !o->list_only)
		walk_ahead(eng, fl);
	for (size_t i = 0; i < fl->n; i++)
		if (!(fl->e[i].flags & UR_FE_PRUNED))
			ur_engine_count_entry(eng, &fl->e[i]);
	for (size_t i = 0; i < fl->n && !eng->fatal; i++) {
		struct ur_fentry *fe = &fl->e[i];
		eng->cur_index = base + (int64_t)i;
		int64_t seq = S_ISDIR(fe->mode) ? -1 : eng->hl_seq++;
		if (fe->flags & UR_FE_PRUNED)
			continue;
		if (!o->list_only)
			map_ids(eng, fe);
		if (o->list_only) {
			ur_list_entry(eng, fl, fe);
			if (!recurses(o, fe))
				continue;
		} else if (eng->hl && seq >= 0 && fe->nlink > 1) {
			ur_hlinks_generate(eng, eng->hl, fl, fe, fe->dev, fe->ino, seq);
			continue;
		} else if (!ur_generate(eng, fl, fe) || !recurses(o, fe)) {
			continue;
		}
		bool fresh = eng->dir_made;
		struct ur_flist sub;
		ur_flist_init(&sub);
		if (enter_dir(eng, fl, fe, &sub) == 0) {
			bool was_missing = eng->dest_missing;
			const char *dname = ur_dst_name(eng, fl, fe);
			struct stat st = {0};
			if (!o->list_only && !eng->dest_missing &&
			    (ur_sys_fstatat(eng->io, eng->dest_fd, dname, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
			     !S_ISDIR(st.st_mode)))
				eng->dest_missing = true; /* -n: a dir we did not create */
			/* Pruned directories are gone from the list before the
			 * deletion pass looks at it. */
			if (o->prune_empty_dirs && !o->list_only && sub.n) {
				prune_empty(eng, &sub);
				sub.e[0].flags |= UR_FE_PRUNE_DONE;
			}
			if (!o->list_only && !eng->dest_missing && wants_delete_during(o))
				ur_delete_in_dir(eng, dname, &sub);
			/* Children are looked up relative to their directory. */
			int saved_dfd = eng->cur_dfd;
			eng->cur_dfd = -1;
			if (!o->list_only && !eng->dest_missing && !eng->dest_file)
				eng->cur_dfd = ur_sys_openat(eng->io, eng->dest_fd, dname,
							     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
			struct ur_dscan *saved_scan = eng->scan, scan;
			bool have_scan = !o->list_only && !eng->dest_missing &&
					 dest_scan(eng, &sub, fresh, &st, &scan);
			eng->scan = have_scan ? &scan : NULL;
			process(eng, &sub);
			if (have_scan) {
				free(scan.st);
				free(scan.res);
			}
			eng->scan = saved_scan;
			if (eng->cur_dfd >= 0)
				ur_sys_close(eng->io, eng->cur_dfd);
			eng->cur_dfd = saved_dfd;
			eng->dest_missing = was_missing;
		}
		leave_dir(eng);
		ur_flist_release(&sub);
	}
	if (eng->walker)
		ur_walker_drop(eng, fl); /* subdirectories never entered */
}

int ur_engine_run(struct ur_engine *eng, struct ur_flist *top)
{
	const struct ur_opts *o = eng->o;

	if (ur_refdirs_setup(eng) < 0)
		return -ENOMEM;
	if (o->delete_mode == UR_DEL_BEFORE && !o->list_only && !eng->dest_file && !eng->dest_missing) {
		delete_pass(eng, top);
	}
	if (UR_INFO_GTE(o, PROGRESS, 1) && !o->list_only) {
		int64_t n = 0, bytes = 0;
		precount(eng, top, &n, &bytes);
		eng->list_total = n;
		eng->progress.total_size = bytes;
	}
	struct ur_hlinks hl;
	ur_hlinks_init(&hl);
	if (o->hard_links && !o->list_only) {
		int64_t seq = 0;
		eng->hl = &hl;
		hl_prescan(eng, top, &seq);
	}
	if (ur_finisher_wanted(eng) && ur_finisher_start(eng) < 0)
		eng->fin = NULL; /* the synchronous tail it is */
	if (o->recursive && !o->list_only && ur_walker_start(eng) < 0)
		eng->walker = NULL; /* the engine lists every directory itself */
	process(eng, top);
	ur_walker_stop(eng);
	ur_finisher_stop(eng); /* every file in place before deletions and dir times */
	if (eng->hl && !eng->fatal)
		ur_hlinks_finish(eng, eng->hl);
	eng->hl = NULL;
	ur_hlinks_free(&hl);
	if (UR_INFO_GTE(o, PROGRESS, 1))
		ur_progress_break_line(eng->out);
	/* A fatal error ends the run where it stands, as rsync's exit does. */
	if (!o->list_only && !eng->fatal)
		ur_delete_flush(eng);
	if (!eng->fatal)
		ur_generator_finish(eng);
	ur_refdirs_free(eng->refs);
	eng->refs = NULL;
	return 0;
}

enum ur_sum_kind ur_sum_kind_of(enum ur_csum c)
{
	switch (c) {
	case UR_CSUM_MD4:
		return UR_SUM_MD4;
	case UR_CSUM_MD5:
		return UR_SUM_MD5;
	case UR_CSUM_XXH64:
		return UR_SUM_XXH64;
	case UR_CSUM_XXH3_64:
		return UR_SUM_XXH3_64;
	case UR_CSUM_XXH3_128:
		return UR_SUM_XXH3_128;
	case UR_CSUM_SHA1:
		return UR_SUM_SHA1;
	default:
		return UR_SUM_NONE;
	}
}
