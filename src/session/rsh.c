/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The remote-shell command line. Every word here is what rsync 3.5.0's
 * client puts there for the same options, checked against the binary with
 * a fake remote shell that records its argv (tests/unit/test_rsh.c holds
 * the recordings). ursync drives a stock rsync server, so the server is
 * named "rsync" unless --rsync-path says otherwise.
 */
#include "session/rsh.h"
#include "report/report.h"
#include "proto/handshake.h"
#include "session/remote_spec.h"

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define MAX_ARGS 1000 /* rsync's cap on the whole command */

void ur_argv_free(struct ur_argv *a)
{
	if (!a)
		return;
	for (int i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
}

/* Take ownership of s (NULL means the allocation failed). */
static int push_owned(struct ur_argv *a, char *s)
{
	if (!s)
		return -ENOMEM;
	if (a->n + 1 >= a->cap) {
		int cap = a->cap ? a->cap * 2 : 16;
		char **v = realloc(a->v, (size_t)cap * sizeof(*v));
		if (!v) {
			free(s);
			return -ENOMEM;
		}
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
	return 0;
}

int ur_argv_push(struct ur_argv *a, const char *s)
{
	return push_owned(a, strdup(s));
}

static int pushf(struct ur_argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int pushf(struct ur_argv *a, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return push_owned(a, n < 0 ? NULL : s);
}

const char *ur_rsh_choose(const struct ur_opts *o, const char *rsh_env)
{
	if (o && o->rsh)
		return o->rsh;
	if (rsh_env)
		return rsh_env;
	return "ssh";
}

int ur_rsh_split(const char *rsh, struct ur_argv *out, struct ur_err *err)
{
	size_t len = strlen(rsh);
	char *word = malloc(len + 1);
	const char *f = rsh;
	int rc = 0;

	if (!word)
		return -ENOMEM;
	while (*f) {
		char quote = '\0';
		size_t n = 0;

		if (*f == ' ') {
			f++;
			continue;
		}
		/* a word runs to an unquoted space; quotes may start anywhere in
		 * it, and inside them the quote character doubled is literal */
		while (*f && (*f != ' ' || quote)) {
			if (*f == '\'' || *f == '"') {
				if (!quote) {
					quote = *f++;
					continue;
				}
				if (*f == quote) {
					if (f[1] != quote) {
						quote = '\0';
						f++;
						continue;
					}
					f++;
				}
			}
			word[n++] = *f++;
		}
		if (quote) {
			rc = ur_err_set(err, UR_EXIT_SYNTAX, EINVAL,
					"Missing trailing-%c in remote-shell command.", quote);
			break;
		}
		word[n] = '\0';
		if ((rc = ur_argv_push(out, word)) < 0)
			break;
	}
	free(word);
	return rc;
}

/* ------------------------------------------------------- escaping */

/* How the words reach the far side (rsync's protect_args, old_style_args
 * and trust_sender_args as they stand on a client). */
struct esc {
	bool secluded;	/* -s: nothing is escaped, it goes on stdin */
	int old_args;	/* --old-args count */
	bool am_sender; /* the client sends (a push) */
	bool relative;	/* -R */
	bool trust;	/* a remote "~" needs no protection */
};

enum word_kind {
	W_PATH,	     /* a remote file name: wildcards stay live */
	W_OPT,	     /* an option's value */
	W_REMOTE_OPT /* a -M word: left alone by a single --old-args */
};

#define SHELL_CHARS "!#$&;|<>(){}\"'` \t\n\r\\"
#define WILD_CHARS  "*?[]"

/*
 * rsync's safe_arg(): "NAME=VALUE" (or VALUE alone when name is NULL or
 * "") with the remote shell's special characters backslash-escaped. File
 * names keep wildcards live (and a backslash that already escapes one), a
 * leading '-' becomes "./-" whatever the mode, and a leading '~' that the
 * remote shell would expand in a pulled path is escaped.
 */
static int push_safe(struct ur_argv *a, const struct esc *e, enum word_kind kind, const char *name,
		     const char *arg)
{
	bool path = kind == W_PATH;
	const char *special = path ? SHELL_CHARS : WILD_CHARS SHELL_CHARS;
	bool escape = !e->secluded && e->old_args < 2 &&
		      (e->old_args == 0 || (!path && kind != W_REMOTE_OPT));
	size_t nlen = name && *name ? strlen(name) + 1 : 0;
	char *r = malloc(nlen + 2 + 2 * strlen(arg) + 2), *t = r;
	const char *f = arg;

	if (!r)
		return -ENOMEM;
	if (nlen) {
		memcpy(t, name, nlen - 1);
		t += nlen - 1;
		*t++ = '=';
	}
	if (path && *arg == '-') {
		*t++ = '.';
		*t++ = '/';
	}
	if (escape && path && *arg == '~' && !e->am_sender && !e->trust &&
	    ((e->relative && !strstr(arg, "/./")) || !strchr(arg, '/')))
		*t++ = '\\';
	for (; *f; f++) {
		if (escape) {
			if (*f == '\\') {
				if (!path || !(f[1] && strchr(WILD_CHARS, f[1])))
					*t++ = '\\';
			} else if (strchr(special, *f)) {
				*t++ = '\\';
			}
		}
		*t++ = *f;
	}
	*t = '\0';
	return push_owned(a, r);
}

/* ------------------------------------------------------- server options */

/* rsync's info words: name and where a setting matters (client, server,
 * sending side, receiving side); only those the server needs are sent. */
enum { WH_CLI = 1, WH_SRV = 2, WH_SND = 4, WH_REC = 8 };
static const struct {
	const char *name;
	unsigned char where;
} info_where[UR_INFO_COUNT] = {
    [UR_INFO_BACKUP] = {"BACKUP", WH_REC},
    [UR_INFO_COPY] = {"COPY", WH_REC},
    [UR_INFO_DEL] = {"DEL", WH_REC},
    [UR_INFO_FLIST] = {"FLIST", WH_CLI},
    [UR_INFO_MISC] = {"MISC", WH_SND | WH_REC},
    [UR_INFO_MOUNT] = {"MOUNT", WH_SND | WH_REC},
    [UR_INFO_NAME] = {"NAME", WH_SND | WH_REC},
    [UR_INFO_NONREG] = {"NONREG", WH_REC},
    [UR_INFO_PROGRESS] = {"PROGRESS", WH_CLI},
    [UR_INFO_REMOVE] = {"REMOVE", WH_SND},
    [UR_INFO_SKIP] = {"SKIP", WH_REC},
    [UR_INFO_STATS] = {"STATS", WH_CLI | WH_SRV},
    [UR_INFO_SYMSAFE] = {"SYMSAFE", WH_SND | WH_REC},
};

#define MAX_OUT_LEVEL 4

/*
 * "--info=..." with the levels the user set that matter to the server.
 * When every relevant word was set by the user and at least five share a
 * level, rsync opens with ALL/NONE/ALLn for that level and lists the rest.
 */
static int push_info(struct ur_argv *a, const struct ur_opts *o, bool am_sender)
{
	unsigned where = WH_SRV | (am_sender ? WH_REC : WH_SND);
	int counts[MAX_OUT_LEVEL + 1] = {0}, max = 0, lev = -1, skipped = 0, any = 0;
	char buf[256];
	size_t pos = 0;

	for (int j = 0; j < UR_INFO_COUNT; j++) {
		int l = o->info[j] > MAX_OUT_LEVEL ? MAX_OUT_LEVEL : o->info[j];
		if (!(info_where[j].where & where))
			continue;
		if (!o->info_user[j]) {
			skipped++;
			continue;
		}
		any++;
		if (++counts[l] > max) {
			lev = l;
			max = counts[l];
		}
	}
	if (!any)
		return 0;
	if (skipped || max < 5)
		lev = -1;
	pos = (size_t)snprintf(buf, sizeof(buf), "--info=");
	if (lev == 0)
		pos += (size_t)snprintf(buf + pos, sizeof(buf) - pos, "NONE");
	else if (lev == 1)
		pos += (size_t)snprintf(buf + pos, sizeof(buf) - pos, "ALL");
	else if (lev > 1)
		pos += (size_t)snprintf(buf + pos, sizeof(buf) - pos, "ALL%d", lev);
	for (int j = 0; j < UR_INFO_COUNT && pos < sizeof(buf) - 16; j++) {
		int l = o->info[j] > MAX_OUT_LEVEL ? MAX_OUT_LEVEL : o->info[j];
		if (!o->info_user[j] || l == lev || !(info_where[j].where & where))
			continue;
		if (buf[pos - 1] != '=')
			buf[pos++] = ',';
		pos += (size_t)snprintf(buf + pos, sizeof(buf) - pos, "%s", info_where[j].name);
		if (l != 1)
			buf[pos++] = (char)('0' + l);
		buf[pos] = '\0';
	}
	return ur_argv_push(a, buf);
}

/* rsync's clean_fname(CFN_COLLAPSE_DOT_DOT_DIRS) as --partial-dir gets it:
 * no doubled slashes, no "." components, no trailing slash, "dir/.."
 * collapsed. */
char *ur_clean_dir(const char *in)
{
	size_t len = strlen(in);
	char *out = malloc(len + 2), *t = out;
	const char *f = in, *limit;
	bool anchored = *in == '/';

	if (!out)
		return NULL;
	if (anchored)
		*t++ = *f++;
	limit = t;
	while (*f) {
		if (*f == '/') {
			f++;
			continue;
		}
		if (f[0] == '.' && f[1] == '/') {
			f += 2;
			continue;
		}
		if (f[0] == '.' && f[1] == '.' && (f[2] == '/' || !f[2])) {
			char *s = t - 1;
			if (anchored && t == out + 1) {
				f += 2;
				continue;
			}
			while (s > limit && s[-1] != '/')
				s--;
			if (t > limit && s != t - 1 && (s <= out || s[-1] == '/')) {
				t = s;
				f += 2;
				continue;
			}
			limit = t + 2;
		}
		while (*f && (*t++ = *f++) != '/') {
		}
	}
	if (t > out + anchored && t[-1] == '/')
		t--;
	if (t == out)
		*t++ = '.';
	*t = '\0';
	return out;
}

static const char *const alt_dest_opt[] = {
    [UR_ALT_NONE] = "--compare-dest", /* not reached */
    [UR_ALT_COMPARE] = "--compare-dest",
    [UR_ALT_COPY] = "--copy-dest",
    [UR_ALT_LINK] = "--link-dest",
};

/* n copies of a letter, at most two (or nine for -v) */
static int upto(int n, int max)
{
	return n < 0 ? 0 : n > max ? max : n;
}

/*
 * The single-letter bundle: "-", each letter as often as rsync repeats
 * it, in rsync's order, then the "e" capability word.
 */
static void build_bundle(const struct ur_opts *o, bool am_sender, bool allow_inc, char *b,
			 size_t cap)
{
	int proto = o->protocol ? o->protocol : UR_PROTOCOL_VERSION;
	const char *cc = o->compress_choice;
	bool zlib = cc ? !strcasecmp(cc, "zlib") : (o->compress_z == 1);
	bool dirs = (o->xfer_dirs >= 2 && o->xfer_dirs < 4) ||
		    (o->xfer_dirs && !o->recursive &&
		     (o->list_only || (o->delete_mode != UR_DEL_NONE && am_sender)));
	bool snd = am_sender, rcv = !am_sender;
	const struct {
		char ch;
		int n;
	} letters[] = {
	    {'s', o->secluded_args},
	    {'v', upto(o->verbose, 9)},
	    {'q', o->quiet && o->stderr_mode != 2},
	    {'b', o->backup},
	    {'u', o->update},
	    {'n', o->dry_run},
	    {'l', o->links},
	    {'d', dirs},
	    /* the receiver's side of these only matters when it is remote */
	    {'K', snd && o->keep_dirlinks},
	    {'m', snd && o->prune_empty_dirs},
	    /* -b without --backup-dir implies -O, and then rsync sends no O */
	    {'O', snd && o->omit_dir_times && !(o->backup && !o->backup_dir)},
	    {'J', snd && o->omit_link_times},
	    {'y', snd ? upto(o->fuzzy, 2) : 0},
	    {'L', rcv && o->copy_links},
	    {'k', rcv && o->copy_dirlinks},
	    {'W', o->whole_file > 0},
	    {'H', o->hard_links ? upto(o->hard_links_count, 2) : 0},
	    {'o', o->owner},
	    {'g', o->group},
	    {'D', o->devices},
	    {'t', o->times},
	    {'U', o->atimes ? upto(o->atimes_count, 2) : 0},
	    {'N', o->crtimes},
	    {'p', o->perms},
	    {'E', !o->perms && o->executability && snd},
	    {'A', o->acls},
	    {'X', o->xattrs ? upto(o->xattrs_count, 2) : 0},
	    {'r', o->recursive},
	    {'c', o->checksum},
	    {'C', o->cvs_exclude},
	    {'I', o->ignore_times},
	    {'R', o->relative},
	    {'x', upto(o->one_file_system, 2)},
	    {'S', o->sparse},
	    {'z', o->compress && zlib},
	};
	size_t x = 0;

	b[x++] = '-';
	for (size_t i = 0; i < sizeof(letters) / sizeof(letters[0]); i++)
		for (int k = 0; k < letters[i].n && x + 1 < cap; k++)
			b[x++] = letters[i].ch;
	b[x] = '\0';
	/* the capability word; --protocol=29 or lower leaves it out */
	if (proto >= 30)
		ur_client_info_build(b + x, cap - x, allow_inc, true, true);
}

/* rsync's set_allow_inc_recurse() as the client sees it. */
static bool allow_inc_recurse(const struct ur_opts *o, bool am_sender)
{
	if (o->inc_recursive == 0 || !o->recursive || o->use_qsort)
		return false;
	if (!am_sender && ((o->delete_mode == UR_DEL_BEFORE || o->delete_mode == UR_DEL_AFTER) ||
			   o->delay_updates || o->prune_empty_dirs))
		return false;
	return true;
}

/* --files-from=HOST:FILE names a file on the remote side: its path part. */
static const char *files_from_remote(const char *ff, bool *remote)
{
	char *uh = NULL;
	int port = 0;
	const char *p;

	*remote = false;
	if (!ff || !strcmp(ff, "-"))
		return ff;
	p = ur_hostspec(ff, &uh, &port);
	if (!p)
		return ff;
	free(uh);
	*remote = true;
	return p;
}

static struct esc path_esc(const struct ur_opts *o, bool remote_sender)
{
	bool ff_remote;
	files_from_remote(o->files_from, &ff_remote);
	return (struct esc){
	    .secluded = o->secluded_args,
	    .old_args = o->old_args_level,
	    .am_sender = !remote_sender,
	    .relative = o->relative,
	    .trust = o->trust_sender || o->old_args_level || ff_remote,
	};
}

/*
 * Everything server_options() produces, in its order. *open_n gets how
 * many words go on the command line when -s sends the rest on stdin.
 */
static int build(const struct ur_opts *o, bool remote_sender, struct ur_argv *a, int *open_n)
{
	bool am_sender = !remote_sender;
	bool ff_remote;
	const char *ff = files_from_remote(o->files_from, &ff_remote);
	struct esc e = path_esc(o, remote_sender);
	int proto = o->protocol ? o->protocol : UR_PROTOCOL_VERSION;
	const char *fmt = o->stdout_format;
	const char *cc = o->compress_choice;
	char bundle[80], *pdir;
	int rc = 0;

#define PUSH(s)                                                                                    \
	do {                                                                                       \
		if ((rc = ur_argv_push(a, (s))) < 0)                                               \
			return rc;                                                                 \
	} while (0)
#define PUSHF(...)                                                                                 \
	do {                                                                                       \
		if ((rc = pushf(a, __VA_ARGS__)) < 0)                                              \
			return rc;                                                                 \
	} while (0)
#define SAFE(kind, name, arg)                                                                      \
	do {                                                                                       \
		if ((rc = push_safe(a, &e, (kind), (name), (arg))) < 0)                            \
			return rc;                                                                 \
	} while (0)

	PUSH("--server");
	if (!am_sender)
		PUSH("--sender");
	build_bundle(o, am_sender, allow_inc_recurse(o, am_sender), bundle, sizeof(bundle));
	if (bundle[1])
		PUSH(bundle);
	if (o->iconv) {
		const char *comma = strchr(o->iconv, ',');
		SAFE(W_OPT, "--iconv", comma ? comma + 1 : o->iconv);
	}
	*open_n = a->n;

	if (o->list_only_opt)
		PUSH("--list-only");
	if (o->xfer_dirs && !o->recursive && o->delete_mode != UR_DEL_NONE && am_sender)
		PUSH("--no-r");
	if (o->compress && o->compress_level != -1)
		PUSHF("--compress-level=%d", o->compress_level);
	if (o->devices) {
		if (!o->specials)
			PUSH("--no-specials");
	} else if (o->specials) {
		PUSH("--specials");
	}
	if (fmt && am_sender) {
		int has_i = 0;
		if (o->out_format)
			has_i = ur_format_has(o->out_format, 'i') ? (o->itemize | 1) : 0;
		else if (o->itemize)
			has_i = o->itemize;
		if (has_i > 1)
			PUSH("--log-format=%i%I");
		else if (has_i)
			PUSH("--log-format=%i");
		else if (ur_format_has(fmt, 'o'))
			PUSH("--log-format=%o");
		else if (!o->verbose)
			PUSH("--log-format=X");
	}
	if (o->stderr_mode == 1)
		PUSH("--msgs2stderr");
	else if (o->stderr_mode == 2)
		PUSH("--no-msgs2stderr");
	if (o->block_size)
		PUSHF("-B%u", (unsigned)o->block_size);
	if (o->timeout)
		PUSHF("--timeout=%d", o->timeout);
	if (o->bwlimit)
		PUSHF("--bwlimit=%d", o->bwlimit);
	if (o->backup_dir) {
		/* two words, so that a remote shell expands "~/dir" */
		PUSH("--backup-dir");
		SAFE(W_OPT, "", o->backup_dir);
	}
	if (o->suffix && strcmp(o->suffix, o->backup_dir ? "" : "~"))
		SAFE(W_OPT, "--suffix", o->suffix);
	if (o->checksum_choice)
		SAFE(W_OPT, "--checksum-choice", o->checksum_choice);
	if (cc && !strcasecmp(cc, "zlibx"))
		PUSH("--new-compress");
	else if (cc && !strcasecmp(cc, "zlib"))
		PUSH("--old-compress");
	else if (cc)
		SAFE(W_OPT, "--compress-choice", cc);

	if (am_sender) {
		if (o->max_delete > 0)
			PUSHF("--max-delete=%d", o->max_delete);
		else if (o->max_delete == 0)
			PUSH("--max-delete=-1");
		if (o->min_size >= 0)
			PUSHF("--min-size=%lld", (long long)o->min_size);
		if (o->max_size >= 0)
			PUSHF("--max-size=%lld", (long long)o->max_size);
		if (o->delete_mode == UR_DEL_BEFORE)
			PUSH("--delete-before");
		else if (o->delete_mode == UR_DEL_DELAY)
			PUSH("--delete-delay");
		else if (o->delete_mode == UR_DEL_DURING && o->delete_when_given)
			PUSH("--delete-during");
		else if (o->delete_mode == UR_DEL_AFTER)
			PUSH("--delete-after");
		else if (o->delete_mode != UR_DEL_NONE && !o->delete_excluded)
			PUSH("--delete");
		if (o->delete_excluded)
			PUSH("--delete-excluded");
		if (o->force)
			PUSH("--force");
		if (o->write_batch < 0)
			PUSH("--only-write-batch=X");
		if (o->am_root == 1)
			PUSH("--super");
		if (o->size_only)
			PUSH("--size-only");
		if (o->stats)
			PUSH("--stats");
	} else if (o->skip_compress) {
		SAFE(W_OPT, "--skip-compress", o->skip_compress);
	}
	if (o->max_alloc_arg && o->max_alloc != ((int64_t)1 << 30))
		SAFE(W_OPT, "--max-alloc", o->max_alloc_arg);
	if (o->delete_missing_args)
		PUSH("--delete-missing-args");
	else if (o->ignore_missing_args && !am_sender)
		PUSH("--ignore-missing-args");
	if (o->modify_window_set && am_sender)
		PUSHF(o->modify_window < 0 ? "-@%d" : "--modify-window=%d", o->modify_window);
	if (o->checksum_seed)
		PUSHF("--checksum-seed=%d", o->checksum_seed);
	/* rsync cleans the dir first; one that comes to "." (like "a/..") is
	 * dropped and only --partial remains */
	pdir = o->partial_dir ? ur_clean_dir(o->partial_dir) : NULL;
	if (o->partial_dir && !pdir)
		return -ENOMEM;
	if (pdir && !strcmp(pdir, ".")) {
		free(pdir);
		pdir = NULL;
	}
	if (pdir && am_sender) {
		/* the --delay-updates default dir is the server's own default */
		if (!(o->delay_updates && !strcmp(o->partial_dir, ".~tmp~"))) {
			if ((rc = ur_argv_push(a, "--partial-dir")) == 0)
				rc = push_safe(a, &e, W_OPT, "", pdir);
		}
		free(pdir);
		if (rc < 0)
			return rc;
		if (o->delay_updates)
			PUSH("--delay-updates");
	} else if (o->partial && am_sender) {
		free(pdir);
		PUSH("--partial");
	} else {
		free(pdir);
	}
	if (o->ignore_errors)
		PUSH("--ignore-errors");
	if (o->copy_unsafe_links)
		PUSH("--copy-unsafe-links");
	if (o->safe_links)
		PUSH("--safe-links");
	if (o->numeric_ids)
		PUSH("--numeric-ids");
	if (o->use_qsort)
		PUSH("--use-qsort"); /* sic: the server's table says --qsort */
	if (am_sender) {
		if (o->usermap)
			SAFE(W_OPT, "--usermap", o->usermap);
		if (o->groupmap)
			SAFE(W_OPT, "--groupmap", o->groupmap);
		if (o->ignore_existing)
			PUSH("--ignore-existing");
		if (o->ignore_non_existing)
			PUSH("--existing");
		if (o->temp_dir) {
			PUSH("--temp-dir");
			SAFE(W_OPT, "", o->temp_dir);
		}
		if (o->fsync)
			PUSH("--fsync");
		for (int i = 0; i < o->basis_dir_count; i++) {
			PUSH(alt_dest_opt[o->alt_dest]);
			SAFE(W_OPT, "", o->basis_dirs[i]);
		}
	}
	if ((rc = push_info(a, o, am_sender)) < 0)
		return rc;
	if (o->append) {
		if (o->append_verify)
			PUSH("--append");
		PUSH("--append");
	} else if (o->inplace) {
		PUSH("--inplace");
		if (o->sparse && o->whole_file == 0 && am_sender)
			PUSH("--no-W");
	}
	if (o->files_from && (!am_sender || ff_remote)) {
		if (ff_remote) {
			PUSH("--files-from");
			SAFE(W_OPT, "", ff);
			if (o->from0)
				PUSH("--from0");
		} else {
			/* the client reads the list and streams it, NUL-separated */
			PUSH("--files-from=-");
			PUSH("--from0");
		}
		if (!o->relative)
			PUSH("--no-relative");
	}
	if (o->relative && !o->implied_dirs && (!am_sender || proto >= 30))
		PUSH("--no-implied-dirs");
	if (o->write_devices && am_sender)
		PUSH("--write-devices");
	if (o->remove_sent_files)
		PUSH("--remove-sent-files");
	else if (o->remove_source_files)
		PUSH("--remove-source-files");
	if (o->copy_devices && !am_sender)
		PUSH("--copy-devices");
	if (o->preallocate && am_sender)
		PUSH("--preallocate");
	if (o->open_noatime && o->atimes_count <= 1)
		PUSH("--open-noatime");
	if (o->mkpath && am_sender)
		PUSH("--mkpath");
	for (int i = 0; i < o->remote_opt_count; i++)
		SAFE(W_REMOTE_OPT, NULL, o->remote_opts[i]);
	if (a->n > MAX_ARGS)
		return -E2BIG;
#undef PUSH
#undef PUSHF
#undef SAFE
	return 0;
}

int ur_server_args(const struct ur_opts *o, bool remote_sender, struct ur_argv *out)
{
	int open_n;
	return build(o, remote_sender, out, &open_n);
}

/* The far-side words up to the rsync path: rsh words, -l, -4/-6, host. */
static int shell_prefix(const struct ur_opts *o, const char *rsh_env, const char *user,
			const char *host, bool daemon, struct ur_argv *out, struct ur_err *err)
{
	const char *rsh = ur_rsh_choose(o, rsh_env);
	int first = out->n, rc;
	bool dash_l = false;
	const char *base;

	if ((rc = ur_rsh_split(rsh, out, err)) < 0)
		return rc;
	/* "-l NAME" already in the shell command keeps a daemon's user off */
	for (int i = first; i + 1 < out->n; i++)
		if (!strcmp(out->v[i], "-l") && out->v[i + 1][0] != '-')
			dash_l = true;
	if (user && !(daemon && dash_l)) {
		if ((rc = ur_argv_push(out, "-l")) < 0 || (rc = ur_argv_push(out, user)) < 0)
			return rc;
	}
	/* rsync adds -4/-6 only for a shell whose name is exactly "ssh" */
	base = out->n > first ? out->v[first] : "";
	base = strrchr(base, '/') ? strrchr(base, '/') + 1 : base;
	if (o->ipv && !strcmp(base, "ssh") &&
	    (rc = ur_argv_push(out, o->ipv == 4 ? "-4" : "-6")) < 0)
		return rc;
	if ((rc = ur_argv_push(out, host)) < 0)
		return rc;
	return ur_argv_push(out, o->rsync_path ? o->rsync_path : "rsync");
}

int ur_rsh_command(const struct ur_opts *o, const char *rsh_env, const char *user, const char *host,
		   bool remote_sender, const char *const *rpaths, int nrpaths, struct ur_argv *out,
		   struct ur_err *err)
{
	struct ur_argv srv = {0};
	struct esc e = path_esc(o, remote_sender);
	int open_n, rc;

	if ((rc = shell_prefix(o, rsh_env, user, host, false, out, err)) < 0)
		return rc;
	if ((rc = build(o, remote_sender, &srv, &open_n)) < 0)
		goto out;
	for (int i = 0; i < (o->secluded_args ? open_n : srv.n); i++)
		if ((rc = ur_argv_push(out, srv.v[i])) < 0)
			goto out;
	if (o->secluded_args)
		goto out;
	if ((rc = ur_argv_push(out, ".")) < 0)
		goto out;
	for (int i = 0; i < nrpaths; i++)
		if ((rc = push_safe(out, &e, W_PATH, NULL, *rpaths[i] ? rpaths[i] : ".")) < 0)
			goto out;
	if (out->n > MAX_ARGS)
		rc = ur_err_set(err, UR_EXIT_SYNTAX, E2BIG,
				"internal: args[] overflowed in do_cmd()");
out:
	ur_argv_free(&srv);
	if (rc == -ENOMEM)
		ur_err_set(err, UR_EXIT_MALLOC, ENOMEM, "out of memory in ur_rsh_command");
	return rc;
}

int ur_secluded_args(const struct ur_opts *o, bool remote_sender, const char *const *rpaths,
		     int nrpaths, struct ur_argv *out)
{
	struct ur_argv srv = {0};
	struct esc e = path_esc(o, remote_sender);
	int open_n, rc;

	if (!o->secluded_args)
		return 0;
	if ((rc = build(o, remote_sender, &srv, &open_n)) < 0)
		goto out;
	if ((rc = ur_argv_push(out, "rsync")) < 0)
		goto out;
	for (int i = open_n; i < srv.n; i++)
		if ((rc = ur_argv_push(out, *srv.v[i] ? srv.v[i] : ".")) < 0)
			goto out;
	if ((rc = ur_argv_push(out, ".")) < 0)
		goto out;
	for (int i = 0; i < nrpaths; i++)
		if ((rc = push_safe(out, &e, W_PATH, NULL, *rpaths[i] ? rpaths[i] : ".")) < 0)
			goto out;
out:
	ur_argv_free(&srv);
	return rc;
}

ssize_t ur_secluded_encode(const struct ur_argv *words, char *buf, size_t cap)
{
	size_t pos = 0;

	for (int i = 0; i < words->n; i++) {
		const char *w = *words->v[i] ? words->v[i] : ".";
		size_t len = strlen(w) + 1;
		if (pos + len + 1 > cap)
			return -ENOBUFS;
		memcpy(buf + pos, w, len);
		pos += len;
	}
	if (pos + 1 > cap)
		return -ENOBUFS;
	buf[pos++] = '\0';
	return (ssize_t)pos;
}

/* A word after the dot: its matches, or itself when it has none. */
static int push_expanded(struct ur_argv *out, const char *word)
{
	glob_t g;
	int rc = 0;
	if (!strpbrk(word, "*?[") || glob(word, GLOB_NOCHECK, NULL, &g) != 0 || !g.gl_pathc)
		return ur_argv_push(out, word);
	for (size_t i = 0; rc == 0 && i < g.gl_pathc; i++)
		rc = ur_argv_push(out, g.gl_pathv[i]);
	globfree(&g);
	return rc;
}

int ur_secluded_read(int fd, struct ur_argv *out, struct ur_err *err)
{
	char word[PATH_MAX];
	size_t n = 0;
	bool after_dot = false;
	int words = 0, rc;

	for (;;) {
		char ch;
		ssize_t r = read(fd, &ch, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return ur_err_set(err, UR_EXIT_STREAMIO, errno, "read error");
		if (r == 0 || ch == '\0') {
			if (!n)
				return 0; /* the empty word, or the end */
			word[n] = '\0';
			if (++words > MAX_ARGS * 4)
				return ur_err_set(err, UR_EXIT_PROTOCOL, E2BIG,
						  "too many protected args");
			rc = after_dot ? push_expanded(out, word) : ur_argv_push(out, word);
			if (rc < 0)
				return ur_err_set(err, UR_EXIT_MALLOC, -rc, "out of memory");
			if (!strcmp(word, "."))
				after_dot = true;
			n = 0;
			if (r == 0)
				return 0;
			continue;
		}
		if (n + 1 >= sizeof(word))
			return ur_err_set(err, UR_EXIT_PROTOCOL, ENAMETOOLONG,
					  "protected arg too long");
		word[n++] = ch;
	}
}

int ur_rsh_daemon_command(const struct ur_opts *o, const char *rsh_env, const char *user,
			  const char *host, struct ur_argv *out, struct ur_err *err)
{
	int rc = shell_prefix(o, rsh_env, user, host, true, out, err);

	if (!rc)
		rc = ur_argv_push(out, "--server");
	if (!rc)
		rc = ur_argv_push(out, "--daemon");
	if (!rc)
		rc = ur_argv_push(out, ".");
	return rc;
}

bool ur_rsh_blocking_io(const char *rsh_argv0, int blocking_io_opt)
{
	const char *base;

	if (blocking_io_opt >= 0)
		return blocking_io_opt != 0;
	if (!rsh_argv0)
		return false;
	base = strrchr(rsh_argv0, '/') ? strrchr(rsh_argv0, '/') + 1 : rsh_argv0;
	return !strcmp(base, "rsh") || !strcmp(base, "remsh");
}
