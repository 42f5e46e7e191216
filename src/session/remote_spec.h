/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_REMOTE_SPEC_H
#define UR_REMOTE_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "opts/opts.h"
#include "util/err.h"

/*
 * What the operands ask for, decided with rsync 3.5.0's rules (its
 * start_client()). A pull with no local path (one remote operand, or a
 * last operand starting with ':') is rsync's remote listing: mode PULL,
 * nlpaths 0.
 */
enum ur_xfer_mode {
	UR_XFER_LOCAL,
	UR_XFER_PUSH,	     /* local sources, [user@]host:dest over a remote shell */
	UR_XFER_PULL,	     /* [user@]host:src... [dest] over a remote shell */
	UR_XFER_DAEMON_PUSH, /* host::module or rsync:// destination */
	UR_XFER_DAEMON_PULL, /* host::module or rsync:// sources */
};

struct ur_remote_spec {
	enum ur_xfer_mode mode;
	const char *user;    /* NULL if none ("" for "@host:") */
	const char *host;    /* NULL for local; brackets of [v6] removed; may be "" */
	int port;	     /* daemon forms: --port, the URL's, else 873; 0 otherwise */
	bool daemon_rsh;     /* daemon form reached through -e (rsync's
			      * daemon_connection > 0); set by _parse_opts */
	const char **rpaths; /* remote paths as rsync passes them on: after the
			      * host part, an empty one as "." (daemon forms:
			      * module/path, never rewritten) */
	int nrpaths;
	const char **lpaths; /* local operands: the sources of a push or local
			      * copy followed by the destination, or a pull's
			      * destination */
	int nlpaths;
	/* owned storage */
	char **own_;
	int nown_;
	const char **vec_;
};

/*
 * rsync's check_for_hostspec(): is s remote? Returns the path part (a
 * pointer into s) or NULL for a local path. On success *uh is a malloc'ed
 * "[user@]host" (brackets dropped, may be ""; NULL and -ENOMEM failure are
 * reported by returning NULL with *uh NULL and errno ENOMEM). With port
 * non-NULL "rsync://" URLs are recognised, and *port becomes 0 for a shell
 * form, -1 or the URL's port for a daemon form (a nonzero *port given in is
 * kept for "host::").
 */
const char *ur_hostspec(const char *s, char **uh, int *port);

/*
 * Classify the operands (o->args after option parsing). Returns 0, or the
 * exit code (1) with rsync's message in err->msg (lines joined by '\n').
 * On error rs->mode still tells which side rsync says it is for the
 * closing line: PULL and DAEMON_PULL are "Receiver", the others "sender".
 * rs must be freed with ur_remote_spec_free() either way.
 */
int ur_remote_spec_parse(int nargs, char **args, struct ur_remote_spec *rs, struct ur_err *err);

/* The same, with the checks that depend on options: an empty destination
 * is "." only with --old-args; --files-from=HOST:FILE must name the
 * transfer's host; --password-file and --contimeout need a daemon; a
 * daemon form with -e goes through the remote shell. o may be NULL. */
int ur_remote_spec_parse_opts(const struct ur_opts *o, int nargs, char **args,
			      struct ur_remote_spec *rs, struct ur_err *err);

void ur_remote_spec_free(struct ur_remote_spec *rs);

#endif
