/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_IO_NET_H
#define UR_IO_NET_H

/*
 * Sockets for the daemon's client: a TCP connection to HOST:PORT, as
 * rsync's client opens it (every address getaddrinfo gives, in order,
 * until one connects; --address binds the local end; -4/-6 pick the
 * family; --contimeout bounds the wait).
 */

#include "util/err.h"

struct ur_net_opts {
	const char *bind_addr; /* --address, or NULL */
	int family;            /* 0, 4 or 6 (-4/-6) */
	int contimeout;        /* seconds, 0: the kernel's own */
	const char *sockopts;  /* --sockopts "NAME[=VAL],...", or NULL */
	const char *tag;       /* put before each "failed to connect" line ("[Receiver] ") */
};

/*
 * Connect to host:port. Returns the socket (blocking, close-on-exec), or
 * -errno with rsync's message in err (one line per address that failed,
 * joined by '\n'; empty when --contimeout ran out): code 10 (socket I/O)
 * when no address resolves or connects, 35 when --contimeout ran out.
 */
int ur_net_connect(const char *host, int port, const struct ur_net_opts *no, struct ur_err *err);

#endif
