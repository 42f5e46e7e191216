/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_IO_NET_H
#define UR_IO_NET_H

/*
 * Sockets for the daemon's client: a TCP connection to HOST:PORT, as
 * rsync's client opens it (every address getaddrinfo gives, in order,
 * until one connects; --address binds the local end; -4/-6 pick the
 * family; --contimeout bounds the wait).
 */

#include <stdbool.h>
#include <stddef.h>

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

/* The most sockets a daemon listens on (one per address family). */
#define UR_NET_LISTEN_MAX 8

/*
 * The daemon's listening sockets: every address getaddrinfo gives for
 * addr (NULL: any) and port, narrowed to family 4 or 6 (0: both), with
 * backlog and rsync's "socket options". Fills fds (at most max) and
 * returns how many, or -errno with rsync's message in err (code 10).
 */
int ur_net_listen(const char *addr, int port, int family, int backlog, const char *sockopts,
		  int *fds, int max, struct ur_err *err);

/* Wait on the n listening sockets and accept one connection. Returns the
 * new socket (close-on-exec) or -errno (-EINTR when a signal came). */
int ur_net_accept(const int *fds, int n);

/* Is fd a socket (a daemon started by inetd has one as stdin)? */
bool ur_net_is_socket(int fd);

/*
 * The peer of socket fd: its numeric address ("UNKNOWN" when there is
 * none; "0.0.0.0" for a local socketpair, as rsync says) and, when name
 * is not NULL, the name its address resolves to and back ("UNKNOWN" when
 * it does not). Returns 0 or -errno.
 */
int ur_net_peer(int fd, char *addr, size_t acap, char *name, size_t ncap);

/* The numeric addresses host resolves to, in a malloc'ed NULL-terminated
 * array of malloc'ed strings. Returns how many, or -ENOENT, -ENOMEM. */
int ur_net_resolve(const char *host, char ***addrs);

#endif
