/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_DAEMON_CLIENT_H
#define UR_DAEMON_CLIENT_H

/*
 * The client's side of the daemon's text exchange (docs/daemon.md), on a
 * connection still in plain (unmultiplexed) mode: greetings both ways,
 * the message of the day, the module name, the challenge and response,
 * then the server's arguments as NUL-terminated words. After it the
 * protocol session starts as over a remote shell, with the protocol the
 * greetings agreed (wire/wire.h ur_wire_negotiate).
 */

#include <stdbool.h>

#include "opts/opts.h"
#include "util/err.h"
#include "wire/conn.h"

/* What the session asks of the daemon. All borrowed. */
struct ur_daemon_req {
	const char *user;        /* for auth: user@ of the operand, else $USER/$LOGNAME */
	const char *module_path; /* the first remote path: "module[/path]", "" lists */
	const char *const *args; /* the server's words, "." and the paths included */
	int nargs;
};

/* The outcome of a successful start. */
struct ur_daemon_start {
	bool listed;  /* a module listing was shown: nothing more to do (exit 0) */
	int protocol; /* the protocol both speak */
	int remote_protocol;
};

/*
 * Run the exchange. Returns 0 (st says whether a transfer follows), or
 * -errno: with err->code set (5 for an @ERROR line or a refused start, 1
 * for an unusable password file, 4 for no common digest) the reason is
 * printed already; with err->code 0 the connection failed (c->err).
 */
int ur_daemon_client_start(struct ur_conn *c, const struct ur_opts *o,
			   const struct ur_daemon_req *req, struct ur_daemon_start *st,
			   struct ur_err *err);

/*
 * A path operand as rsync's client sends it to a daemon (protocol 30+,
 * without --old-args): exactly the module name becomes "module/", a
 * leading '-' gets "./" before it, and " module/" inside the path is sent
 * as "[ ]module/" so the server cannot split it there. Returns a new
 * string (the caller frees it) or NULL when out of memory.
 */
/* The protocol both ends of a daemon connection speak, from the greetings:
 * ours, and the peer's VERSION.SUB (the same rule on either side). */
int ur_daemon_protocol(int ours, int theirs, int their_sub);

char *ur_daemon_path_arg(const char *path, const char *module, size_t modlen, bool old_args);

#endif
