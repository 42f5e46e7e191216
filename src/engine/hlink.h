/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_ENGINE_HLINK_H
#define UR_ENGINE_HLINK_H

/*
 * -H on the receiving side, as rsync's generator does it (docs/engine.md
 * "Hard links"): the members of a group are generated in list order; the
 * first one that is already in the destination leads (it is the basis),
 * or else the last member; the members before the leader wait, and once
 * the leader is in place they become links to it, latest first. Members
 * after the leader link at once.
 *
 * A group is named by two numbers: the wire uses the index of its first
 * member (rsync's gnum), a local copy the source's device and inode. Each
 * member has an index that orders it (the wire's file index, a local
 * copy's walk order); the table must know a group's last index before its
 * members are generated (ur_hlinks_note).
 */

#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"

struct ur_hgroup {
	uint64_t k1, k2;
	int64_t last;		 /* index of its last member */
	char *leader;		 /* the destination name of the member in place */
	int leader_ref;		 /* the reference dir it was linked from, or -1 */
	struct ur_flist pending; /* members waiting for the leader */
	int64_t *pidx;		 /* their indices */
	bool used;
};

struct ur_hlinks {
	struct ur_hgroup *g; /* open addressing on (k1, k2) */
	size_t n, cap;
	/* Called for a member that starts or stops waiting (the wire keeps
	 * its list alive meanwhile); may be NULL. */
	void (*waiting)(void *ctx, int64_t idx, int delta);
	void *ctx;
};

void ur_hlinks_init(struct ur_hlinks *h);
void ur_hlinks_free(struct ur_hlinks *h);

/* A member with index idx exists in group (k1, k2). Returns 0 or -ENOMEM. */
int ur_hlinks_note(struct ur_hlinks *h, uint64_t k1, uint64_t k2, int64_t idx);

/* Generate member fe (index idx) of group (k1, k2) of list fl: generated
 * normally (and leading), linked to the leader, or left waiting. */
void ur_hlinks_generate(struct ur_engine *eng, struct ur_hlinks *h, const struct ur_flist *fl,
			struct ur_fentry *fe, uint64_t k1, uint64_t k2, int64_t idx);

/* The end of the run: members whose group found no leader are generated
 * on their own. */
void ur_hlinks_finish(struct ur_engine *eng, struct ur_hlinks *h);

#endif
