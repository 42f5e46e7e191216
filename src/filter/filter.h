/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_FILTER_H
#define UR_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

/*
 * rsync's filter rules (man rsync, FILTER RULES): a rule list built from
 * --filter/--include/--exclude arguments and merge files, checked against
 * transfer-relative paths, with per-directory merge files pushed and popped
 * by the walker. Pure: files are read only through the caller's read_file
 * callback. See docs/filter.md.
 *
 * Errors are -errno with the text rsync prints in err->msg and rsync's exit
 * code in err->code: 1 (UR_EXIT_SYNTAX) for a malformed rule, 11
 * (UR_EXIT_FILEIO) for a merge file that cannot be read or nests too deep.
 */

/* Longest pattern kept (rsync's MAXPATHLEN); longer ones are discarded. */
#define UR_FILTER_MAX_PATTERN 4096
/* Longest line read from a merge file; longer lines are discarded. */
#define UR_FILTER_MAX_LINE (UR_FILTER_MAX_PATTERN + 1024)
/* How deeply merge files may include merge files. */
#define UR_FILTER_MAX_MERGE_DEPTH 32
/* How many dir-merge files may be in force at once (rsync has no limit;
 * each one is read in every directory, so a hostile file naming thousands
 * would make the walk cubic). More is an error. */
#define UR_FILTER_MAX_DIRMERGE 256

/* What ur_filter_check() found: the first rule that matched decides. */
enum ur_filter_result {
	UR_FILTER_EXCLUDE = -1,
	UR_FILTER_NOMATCH = 0,
	UR_FILTER_INCLUDE = 1,
};

/* Which side's rules apply: hide/show (and "s") are the sender's, deciding
 * what goes into the file list; protect/risk (and "r") the receiver's,
 * deciding what deletion may remove. Plain +/- rules apply to both. */
enum ur_filter_side {
	UR_FILTER_SENDER = 1,
	UR_FILTER_RECEIVER = 2,
};

/* Flags for ur_filter_check_ex(). */
enum {
	UR_FILTER_IS_DIR = 1 << 0,	  /* the name is a directory */
	UR_FILTER_IS_XATTR = 1 << 1,	  /* the name is an xattr name ("x" rules only) */
	UR_FILTER_NO_PERISHABLE = 1 << 2, /* skip "p" rules (dir being deleted) */
};

/* Flags for ur_filter_add*(): how the text is read. */
enum {
	/* --include/--exclude(-from): no rule names; only a leading "+ " or
	 * "- " is a prefix, and a lone "!" clears the list. */
	UR_FILTER_OLD_PREFIXES = 1 << 0,
	/* With UR_FILTER_OLD_PREFIXES: an unprefixed pattern includes
	 * (--include, --include-from) instead of excluding. */
	UR_FILTER_DEFAULT_INCLUDE = 1 << 1,
	/* The text holds many rules separated by whitespace (rsyncd.conf's
	 * "filter", "include" and "exclude" parameters). */
	UR_FILTER_WORDS = 1 << 2,
	/* rsyncd.conf rules: a pattern with any '/' matches from the module
	 * root (set cfg.abs_root to the transfer root's path inside the
	 * module), and a directory-only exclude "d/" becomes "d/" + "***" so
	 * it also covers everything below d. */
	UR_FILTER_DAEMON = 1 << 3,
};

struct ur_filter_config {
	/*
	 * Read a whole file: on success set *buf to a malloc'd buffer (the
	 * filter code frees it with free()) and *len, and return 0; otherwise
	 * return -errno. Paths are as the rules name them: a merge file's name,
	 * or DIR/NAME for a per-directory file (DIR as given to
	 * ur_filter_push_dir, NAME alone at the transfer root), or an absolute
	 * path while scanning parents of the transfer root. NULL: every read
	 * fails with -ENOENT.
	 */
	int (*read_file)(void *ctx, const char *path, char **buf, size_t *len);
	void *ctx;
	bool from0;	       /* --from0: lines in merge files end at NUL only */
	bool delete_excluded;  /* --delete-excluded: side-less rules become sender-only */
	const char *home;      /* $HOME: -C reads HOME/.cvsignore (NULL: skip) */
	const char *cvsignore; /* $CVSIGNORE: more -C patterns (NULL: none) */
	/* Absolute path of the transfer root: "/" rules (the "/" modifier) and
	 * dir-merge names that climb above the root ("/.rsync-filter",
	 * "../.rules") use it. NULL: treated as "/". */
	const char *abs_root;
	/* Told each warning rsync prints while reading rules ("discarding
	 * over-long filter: ..."); NULL: they are only counted. */
	void (*warn)(void *ctx, const char *msg);
};

struct ur_filter_list;

/* A new, empty list using cfg (copied; its strings too). NULL: no memory. */
struct ur_filter_list *ur_filter_list_new(const struct ur_filter_config *cfg);

/* Free the list, its rules and any pushed directory state. NULL is fine. */
void ur_filter_list_free(struct ur_filter_list *l);

/* Append one rule given as an argument: --filter=RULE (flags 0),
 * --exclude=PAT (UR_FILTER_OLD_PREFIXES), --include=PAT
 * (UR_FILTER_OLD_PREFIXES | UR_FILTER_DEFAULT_INCLUDE). A merge (".")
 * rule reads its file now. Returns 0 or -errno (see top of file). */
int ur_filter_add(struct ur_filter_list *l, const char *rule, unsigned flags, struct ur_err *err);

/* Append the rules in buf[0..len), read as a merge file named name (used in
 * messages): lines (or NUL-terminated records with from0), blank lines and
 * lines starting with '#' or ';' skipped. flags as for ur_filter_add
 * (--exclude-from's contents: UR_FILTER_OLD_PREFIXES). */
int ur_filter_add_buf(struct ur_filter_list *l, const char *name, const char *buf, size_t len,
		      unsigned flags, struct ur_err *err);

/* --exclude-from/--include-from FILE: read FILE through the callback and
 * append its rules; a file that cannot be read is an error (exit 11). */
int ur_filter_add_file(struct ur_filter_list *l, const char *path, unsigned flags,
		       struct ur_err *err);

/* -F given for the nth time (1, 2, ...): the first adds the rule
 * ": /.rsync-filter", the second "- .rsync-filter", later ones nothing. */
int ur_filter_add_F(struct ur_filter_list *l, int nth, struct ur_err *err);

/* -C (--cvs-exclude): appends ":C" (per-directory .cvsignore) then "-C"
 * (the default list, HOME/.cvsignore and $CVSIGNORE), as rsync does after
 * all other rules. */
int ur_filter_add_cvs_exclude(struct ur_filter_list *l, struct ur_err *err);

/* rsync's built-in -C pattern list, space separated. */
const char *ur_filter_cvs_default(void);

/* Add whitespace-separated CVS patterns (a $CVSIGNORE value; NULL is fine)
 * to the list consulted by "-C" rules. The first "-C" rule fills that list
 * from the defaults, HOME/.cvsignore and cfg->cvsignore by itself; this is
 * for callers that learn the value later. */
int ur_filter_add_cvsignore(struct ur_filter_list *l, const char *value, struct ur_err *err);

/* Check one transfer-relative path ("dir/file", no leading "./") against
 * the rules that apply to side. Returns an enum ur_filter_result. */
int ur_filter_check(const struct ur_filter_list *l, const char *path, bool is_dir,
		    enum ur_filter_side side);

/* As ur_filter_check, with UR_FILTER_IS_* flags. */
int ur_filter_check_ex(const struct ur_filter_list *l, const char *path, unsigned flags,
		       enum ur_filter_side side);

/*
 * Entering a directory (transfer-relative, "" or "." for the root): for each
 * active dir-merge rule read DIR/NAME through the callback (a missing file is
 * not an error) and put its rules in front of those inherited from parent
 * directories. Anchored patterns ("/x") in the file match relative to DIR.
 * Every push must be paired with ur_filter_pop_dir(), even on error.
 * Returns 0 or -errno for a malformed rule in a merge file (exit 1).
 */
int ur_filter_push_dir(struct ur_filter_list *l, const char *dir, struct ur_err *err);

/* Leaving the directory of the matching push: drop its per-directory rules. */
void ur_filter_pop_dir(struct ur_filter_list *l);

/* Number of rules in the top-level list (merge files expanded; each
 * dir-merge rule counts as one). */
size_t ur_filter_count(const struct ur_filter_list *l);

/* Patterns and lines discarded for being over-long (rsync warns
 * "discarding over-long filter" for each). */
unsigned ur_filter_discarded(const struct ur_filter_list *l);

/* Write rule i of the top-level list as rsync writes a rule for the peer
 * ("- *.o", ":n- .rules", "+/ x/"): prefix, modifiers, a space, pattern,
 * and "/" for a directory-only rule. Returns the length (which may exceed
 * size; the text is then cut), or -ERANGE if i is out of range. */
int ur_filter_rule_text(const struct ur_filter_list *l, size_t i, char *buf, size_t size);

#endif
