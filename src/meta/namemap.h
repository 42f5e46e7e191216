/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_META_NAMEMAP_H
#define UR_META_NAMEMAP_H

/*
 * --usermap, --groupmap and --chown (which rsync turns into "*:USER" and
 * "*:GROUP" maps) on the receiving side, as rsync's uidlist.c maps the
 * sender's ids: the rules in order, the first that matches wins; a rule
 * matches a name exactly, a name by wildcard (any of "*[?"), an id, or an
 * id range "LOW-HIGH". The sender's name of an id is what its system calls
 * it ("" under --numeric-ids or when it has none). An id no rule matches
 * keeps its name's id here, else its number.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ur_namerule;

struct ur_namemap {
	bool users;		  /* a --usermap (else a --groupmap) */
	bool numeric;		  /* --numeric-ids: the sender sends no names */
	struct ur_namerule *rule; /* in the order given (owned) */
	size_t n;
	uint32_t *from, *to; /* ids mapped so far (owned) */
	size_t ncache, capcache;
};

/* Parse spec (rsync's syntax: RULE[,RULE...], RULE being FROM:TO). An
 * unknown TO is reported ("Unknown --usermap name on receiver: X") and its
 * rule dropped, as rsync does. Returns 0, or rsync's exit code (1) after
 * printing what is wrong with spec; -ENOMEM. */
int ur_namemap_parse(struct ur_namemap *m, const char *spec, bool users, bool numeric);

/* The receiver's id for the sender's id. */
uint32_t ur_namemap_map(struct ur_namemap *m, uint32_t id);

void ur_namemap_release(struct ur_namemap *m);

#endif
