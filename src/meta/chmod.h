/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_CHMOD_H
#define UR_CHMOD_H

#include <sys/types.h>

/*
 * --chmod: a list of chmod(1)-style clauses applied to the mode the sender
 * reports for each file, with rsync's extensions and quirks:
 *
 *   SPEC    := CLAUSE ( ',' CLAUSE )*
 *   CLAUSE  := [DF]* ( OCTAL | [ugoa]* OP ( [rwxXst]* | [ugo] ) )
 *   OP      := '+' | '-' | '='
 *
 * 'D' limits a clause to directories, 'F' to everything else. One operator
 * per clause. Without a who letter the permission bits a clause adds,
 * removes or copies are limited by the umask in effect when the clause was
 * parsed (rsync reads its umask once at start-up). An octal number sets all
 * twelve bits as given. 'X' adds execute only to directories and to files
 * that had some execute bit before the whole list was applied.
 */

/* Opaque: an ordered list of clauses. */
struct ur_chmod;

/* Parses one --chmod=SPEC and appends its clauses to *list, allocating the
 * list when *list is NULL. The umask is read (and restored) here, so call it
 * before other threads start. Returns 0, -EINVAL for a malformed SPEC or
 * -ENOMEM; on error *list is left exactly as it was. */
int ur_chmod_parse(struct ur_chmod **list, const char *spec);

/* Frees a list from ur_chmod_parse; NULL does nothing. */
void ur_chmod_free(struct ur_chmod *list);

/* Applies the clauses in order to mode (type bits included) and returns the
 * new mode with the type bits kept, as rsync's tweak_mode does. A NULL or
 * empty list returns mode unchanged. Like rsync, callers should not apply
 * this to symlinks or to a mode of 0. */
mode_t ur_chmod_apply(const struct ur_chmod *list, mode_t mode);

#endif
