/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_FLIST_H
#define UR_FLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Entry flags. */
#define UR_FE_TOP_DIR (1u << 0)     /* a transfer root directory ("." or a SRC dir) */
#define UR_FE_IMPLIED_DIR (1u << 1) /* -R parent component, not named by the user */
#define UR_FE_MISSING (1u << 2)     /* --delete-missing-args: source is absent */
#define UR_FE_MOUNT_DIR (1u << 3)   /* -x: a directory on another filesystem */
#define UR_FE_NO_RECURSE (1u << 4)  /* a directory whose contents are not sent */
#define UR_FE_PRUNED (1u << 5)      /* -m: an empty directory chain, not sent */
#define UR_FE_PRUNE_DONE (1u << 6)  /* -m: this segment was pruned already (first entry) */

/*
 * One file as the sender saw it. Fixed size; names live in the list's arena
 * (offsets, so the arena may grow). Paths are relative to the transfer
 * root, "." for the root itself, never with a trailing slash.
 */
struct ur_fentry {
	uint32_t name;      /* arena offset of the relative path */
	uint32_t base;      /* offset of the last component within the path */
	uint32_t link;      /* arena offset of the symlink target; 0 = none */
	uint32_t mode;
	uint32_t uid, gid;
	uint32_t mtime_ns, atime_ns;
	uint32_t flags;     /* UR_FE_* */
	uint32_t root;      /* index of the source root it came from */
	int64_t size;
	int64_t mtime, atime;
	uint64_t rdev;
	uint64_t dev;       /* st_dev, for -x */
	uint64_t ino;       /* st_ino, for -H */
	uint32_t nlink;     /* st_nlink, for -H */
	int32_t hlink;      /* -H over the wire: hard-link group (the index of
			     * its first member), -1 for none */
	uint32_t sum;       /* -c over the wire: arena offset of the sender's
			     * file checksum (its length is the connection's), 0 = none */
};

/* A list of entries plus the string arena holding their names. */
struct ur_flist {
	struct ur_fentry *e;
	size_t n, cap;
	char *arena;
	size_t alen, acap;
};

void ur_flist_init(struct ur_flist *fl);
void ur_flist_release(struct ur_flist *fl);
/* Forget the entries but keep the memory for reuse. */
void ur_flist_clear(struct ur_flist *fl);

/* Copy a string into the arena; returns its offset or -ENOMEM. */
int64_t ur_flist_intern(struct ur_flist *fl, const char *s, size_t len);

/*
 * Append an entry for path `name` (copied) described by st, with symlink
 * target `link` (copied, may be NULL). Returns the new entry (valid until
 * the next add) or NULL on ENOMEM.
 */
struct ur_fentry *ur_flist_add(struct ur_flist *fl, const char *name,
			       const struct stat *st, const char *link);

static inline const char *ur_fentry_name(const struct ur_flist *fl, const struct ur_fentry *fe)
{
	return fl->arena + fe->name;
}

static inline const char *ur_fentry_base(const struct ur_flist *fl, const struct ur_fentry *fe)
{
	return fl->arena + fe->name + fe->base;
}

static inline const char *ur_fentry_link(const struct ur_flist *fl, const struct ur_fentry *fe)
{
	return fe->link ? fl->arena + fe->link : NULL;
}

/*
 * Compare two relative paths in rsync's file-list order: component by
 * component; within one directory every non-directory sorts before every
 * directory, and directory names compare as if they ended in '/'.
 */
int ur_fname_cmp(const char *a, bool a_dir, const char *b, bool b_dir);

/* Sort entries [from, n) into rsync's order. */
void ur_flist_sort(struct ur_flist *fl, size_t from);

/*
 * Drop later duplicates of the same name in the sorted range [from, n),
 * keeping the first (rsync keeps the first source that named it).
 */
void ur_flist_dedup(struct ur_flist *fl, size_t from);

#endif
