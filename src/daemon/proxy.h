/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_DAEMON_PROXY_H
#define UR_DAEMON_PROXY_H

/*
 * RSYNC_PROXY: a daemon reached through an HTTP proxy's CONNECT method
 * (docs/daemon.md "The transport").
 */

#include <stdbool.h>

/* RSYNC_PROXY split into its parts ("[USER:PASS@]HOST:PORT"); the strings
 * point into buf. */
struct ur_proxy {
	char buf[1024];
	const char *user, *pass; /* NULL without "USER:PASS@" */
	const char *host;
	int port;
};

/* Parse spec into p. Returns 0, or -EINVAL after printing rsync's
 * "invalid proxy specification" line. */
int ur_proxy_parse(const char *spec, struct ur_proxy *p);

/* On fd, connected to the proxy: ask it for a tunnel to host:port
 * ("CONNECT host:port HTTP/1.0", Basic authentication when p has a user)
 * and read its answer up to the blank line. role tags the read and write
 * errors as rsync tags them. Returns 0, or -1 after printing why. */
int ur_proxy_connect(int fd, const struct ur_proxy *p, const char *host, int port,
		     const char *role);

#endif
