/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_DAEMON_SERVER_H
#define UR_DAEMON_SERVER_H

/*
 * `ursync --daemon`: the rsync daemon's server side (docs/daemon.md "The
 * server"). It listens on TCP (or serves the one connection of inetd on
 * descriptor 0, or of a remote shell with --server --daemon), speaks the
 * text exchange with the client, applies the module's rules and then
 * hands the connection to the protocol session.
 *
 * daemon/ sits below cli/ and session/; what it needs of them comes in
 * as function pointers.
 */

#include <stdbool.h>
#include <stddef.h>

#include "opts/opts.h"

struct ur_daemon_hooks {
	/*
	 * Parse a client's arguments (argv[0] is a placeholder) into o, fresh
	 * from ur_opts_init, as the server side of a transfer; refuse is the
	 * module's "refuse options" ("" for none) and charset whether the
	 * module sets one (else --iconv is refused). Returns 0, or an exit
	 * code with the messages in msg (lines ending in '\n').
	 */
	int (*parse)(struct ur_opts *o, int argc, char **argv, const char *refuse, bool charset,
		     char *msg, size_t cap);
	/*
	 * Serve the transfer o describes on fd_in/fd_out with the protocol
	 * the greetings agreed. With error set, the protocol is only started
	 * to tell the client error (lines) and exit with error_code. Returns
	 * the exit code.
	 */
	int (*serve)(struct ur_opts *o, int fd_in, int fd_out, int protocol, int remote_protocol,
		     const char *error, int error_code);
};

/* Run the daemon o asks for (o->daemon; o->server for one over a remote
 * shell). Returns the exit code; the listener returns only on failure. */
int ur_daemon_main(struct ur_opts *o, const struct ur_daemon_hooks *h);

#endif
