/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "io/net.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* --sockopts names rsync knows, with the level each lives at. */
static const struct {
	const char *name;
	int level, opt;
	bool is_bool; /* takes no value (set to 1) */
} sockopt_table[] = {
    {"SO_KEEPALIVE", SOL_SOCKET, SO_KEEPALIVE, true},
    {"SO_REUSEADDR", SOL_SOCKET, SO_REUSEADDR, true},
    {"SO_BROADCAST", SOL_SOCKET, SO_BROADCAST, true},
    {"TCP_NODELAY", IPPROTO_TCP, TCP_NODELAY, true},
    {"SO_SNDBUF", SOL_SOCKET, SO_SNDBUF, false},
    {"SO_RCVBUF", SOL_SOCKET, SO_RCVBUF, false},
    {"SO_SNDLOWAT", SOL_SOCKET, SO_SNDLOWAT, false},
    {"SO_RCVLOWAT", SOL_SOCKET, SO_RCVLOWAT, false},
    {"SO_SNDTIMEO", SOL_SOCKET, SO_SNDTIMEO, false},
    {"SO_RCVTIMEO", SOL_SOCKET, SO_RCVTIMEO, false},
};

/* Apply "NAME[=VALUE]" words separated by commas or spaces. rsync says
 * so and goes on for an unknown name; so do we (the line goes to err). */
static void set_sockopts(int fd, const char *spec)
{
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", spec);
	for (char *save = NULL, *tok = strtok_r(buf, " \t,", &save); tok;
	     tok = strtok_r(NULL, " \t,", &save)) {
		char *eq = strchr(tok, '=');
		int val = 1;
		if (eq) {
			*eq = '\0';
			val = atoi(eq + 1);
		}
		size_t i;
		for (i = 0; i < sizeof(sockopt_table) / sizeof(sockopt_table[0]); i++)
			if (!strcmp(tok, sockopt_table[i].name))
				break;
		if (i == sizeof(sockopt_table) / sizeof(sockopt_table[0])) {
			fprintf(stderr, "Unknown socket option %s\n", tok);
			continue;
		}
		if (eq && sockopt_table[i].is_bool)
			val = val != 0;
		(void)setsockopt(fd, sockopt_table[i].level, sockopt_table[i].opt, &val,
				 sizeof(val));
	}
}

static int bind_local(int fd, int family, const char *addr)
{
	struct addrinfo hints = {
	    .ai_family = family, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
	struct addrinfo *res;
	if (getaddrinfo(addr, NULL, &hints, &res) != 0)
		return -EADDRNOTAVAIL;
	int rc = bind(fd, res->ai_addr, res->ai_addrlen) < 0 ? -errno : 0;
	freeaddrinfo(res);
	return rc;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* connect() that gives up at deadline (ms on the monotonic clock, 0: never).
 * Returns 0, -errno, or -ETIMEDOUT with *timed_out set. */
static int connect_until(int fd, const struct sockaddr *sa, socklen_t len, int64_t deadline,
			 bool *timed_out)
{
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -errno;
	int rc = 0;
	if (connect(fd, sa, len) < 0) {
		if (errno != EINPROGRESS)
			return -errno;
		for (;;) {
			int wait = -1;
			if (deadline) {
				int64_t left = deadline - now_ms();
				if (left <= 0) {
					*timed_out = true;
					return -ETIMEDOUT;
				}
				wait = left > 1000 ? 1000 : (int)left;
			}
			struct pollfd p = {.fd = fd, .events = POLLOUT};
			int n = poll(&p, 1, wait);
			if (n < 0 && errno != EINTR)
				return -errno;
			if (n > 0)
				break;
		}
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			return -errno;
		if (soerr)
			rc = -soerr;
	}
	if (rc == 0 && fcntl(fd, F_SETFL, flags) < 0)
		rc = -errno;
	return rc;
}

static void add_line(struct ur_err *err, const char *tag, const char *host, const char *addr,
		     int errnum)
{
	size_t n = strlen(err->msg);
	if (n && n < sizeof(err->msg) - 1)
		err->msg[n++] = '\n';
	snprintf(err->msg + n, sizeof(err->msg) - n, "%sfailed to connect to %s (%s): %s (%d)",
		 tag ? tag : "", host, addr, strerror(errnum), errnum);
}

int ur_net_connect(const char *host, int port, const struct ur_net_opts *no, struct ur_err *err)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
	struct addrinfo *res0, *res;
	char service[16];
	hints.ai_family = no->family == 4 ? AF_INET : no->family == 6 ? AF_INET6 : AF_UNSPEC;
	snprintf(service, sizeof(service), "%d", port);
	int g = getaddrinfo(host, service, &hints, &res0);
	if (g != 0)
		return ur_err_set(err, UR_EXIT_SOCKETIO, EHOSTUNREACH, "getaddrinfo: %s %d: %s",
				  host, port, gai_strerror(g));

	int64_t deadline = no->contimeout > 0 ? now_ms() + (int64_t)no->contimeout * 1000 : 0;
	int fd = -1, last = ECONNREFUSED;
	bool timed_out = false;
	err->msg[0] = '\0';
	for (res = res0; res && fd < 0; res = res->ai_next) {
		int s = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
		if (s < 0)
			continue;
		if (no->bind_addr && bind_local(s, res->ai_family, no->bind_addr) < 0) {
			close(s);
			continue;
		}
		if (no->sockopts)
			set_sockopts(s, no->sockopts);
		int rc = connect_until(s, res->ai_addr, res->ai_addrlen, deadline, &timed_out);
		if (rc == 0) {
			fd = s;
			break;
		}
		close(s);
		if (timed_out)
			break;
		char addr[256];
		if (getnameinfo(res->ai_addr, res->ai_addrlen, addr, sizeof(addr), NULL, 0,
				NI_NUMERICHOST) != 0)
			snprintf(addr, sizeof(addr), "*getnameinfo failure*");
		last = -rc;
		add_line(err, no->tag, host, addr, last);
	}
	freeaddrinfo(res0);
	if (fd >= 0)
		return fd;
	if (timed_out) {
		err->code = UR_EXIT_CONTIMEOUT;
		err->errnum = ETIMEDOUT;
		err->msg[0] = '\0';
		return -ETIMEDOUT;
	}
	err->code = UR_EXIT_SOCKETIO;
	err->errnum = last;
	return -last;
}

/* ---- the daemon's side: listening, accepting, who the peer is ---- */

int ur_net_listen(const char *addr, int port, int family, int backlog, const char *sockopts,
		  int *fds, int max, struct ur_err *err)
{
	struct addrinfo hints = {.ai_family = family == 4   ? AF_INET
					      : family == 6 ? AF_INET6
							    : AF_UNSPEC,
				 .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE};
	struct addrinfo *res;
	char portstr[16];
	int n = 0, last = 0;

	snprintf(portstr, sizeof(portstr), "%d", port);
	int gai = getaddrinfo(addr && *addr ? addr : NULL, portstr, &hints, &res);
	if (gai) {
		ur_err_set(err, UR_EXIT_SOCKETIO, 0, "getaddrinfo: bind address %s: %s",
			   addr ? addr : "", gai_strerror(gai));
		return -EADDRNOTAVAIL;
	}
	for (struct addrinfo *ai = res; ai && n < max; ai = ai->ai_next) {
		int s = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (s < 0) {
			last = errno;
			continue;
		}
		int one = 1;
		(void)setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ai->ai_family == AF_INET6)
			(void)setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (sockopts && *sockopts)
			set_sockopts(s, sockopts);
		if (bind(s, ai->ai_addr, ai->ai_addrlen) < 0 ||
		    listen(s, backlog > 0 ? backlog : 5) < 0) {
			last = errno;
			close(s);
			continue;
		}
		fds[n++] = s;
	}
	freeaddrinfo(res);
	if (!n) {
		ur_err_set(err, UR_EXIT_SOCKETIO, last,
			   "unable to bind any inbound sockets on port %d", port);
		return last ? -last : -EADDRNOTAVAIL;
	}
	return n;
}

int ur_net_accept(const int *fds, int n)
{
	struct pollfd pfd[UR_NET_LISTEN_MAX];
	if (n > UR_NET_LISTEN_MAX)
		n = UR_NET_LISTEN_MAX;
	for (int i = 0; i < n; i++)
		pfd[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
	if (poll(pfd, (nfds_t)n, -1) < 0)
		return -errno;
	for (int i = 0; i < n; i++)
		if (pfd[i].revents & POLLIN) {
			int s = accept4(fds[i], NULL, NULL, SOCK_CLOEXEC);
			return s < 0 ? -errno : s;
		}
	return -EAGAIN;
}

bool ur_net_is_socket(int fd)
{
	int type;
	socklen_t len = sizeof(type);
	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0;
}

/* An IPv4 address seen through an IPv6 socket, as the IPv4 one. */
static void unmap_v4(struct sockaddr_storage *ss, socklen_t *len)
{
	if (ss->ss_family != AF_INET6)
		return;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (!IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		return;
	struct sockaddr_in s4 = {.sin_family = AF_INET, .sin_port = s6->sin6_port};
	memcpy(&s4.sin_addr, s6->sin6_addr.s6_addr + 12, 4);
	memcpy(ss, &s4, sizeof(s4));
	*len = sizeof(s4);
}

int ur_net_peer(int fd, char *addr, size_t acap, char *name, size_t ncap)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	snprintf(addr, acap, "UNKNOWN");
	if (name)
		snprintf(name, ncap, "UNKNOWN");
	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
		return -errno;
	if (ss.ss_family == AF_UNIX) {
		/* a socketpair (RSYNC_CONNECT_PROG): rsync says 0.0.0.0 */
		snprintf(addr, acap, "0.0.0.0");
		if (name)
			snprintf(name, ncap, "localhost");
		return 0;
	}
	unmap_v4(&ss, &len);
	if (getnameinfo((struct sockaddr *)&ss, len, addr, (socklen_t)acap, NULL, 0,
			NI_NUMERICHOST))
		return -EINVAL;
	if (!name)
		return 0;
	char host[NI_MAXHOST];
	if (getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), NULL, 0, NI_NAMEREQD))
		return 0;
	/* the name counts only when it maps back to the address */
	struct addrinfo hints = {.ai_family = ss.ss_family, .ai_socktype = SOCK_STREAM}, *res;
	if (getaddrinfo(host, NULL, &hints, &res))
		return 0;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		char a[NI_MAXHOST];
		if (!getnameinfo(ai->ai_addr, ai->ai_addrlen, a, sizeof(a), NULL, 0,
				 NI_NUMERICHOST) &&
		    !strcmp(a, addr)) {
			snprintf(name, ncap, "%s", host);
			break;
		}
	}
	freeaddrinfo(res);
	return 0;
}

int ur_net_resolve(const char *host, char ***addrs)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;
	if (getaddrinfo(host, NULL, &hints, &res))
		return -ENOENT;
	int n = 0;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
		n++;
	char **v = calloc((size_t)n + 1, sizeof(*v));
	if (!v) {
		freeaddrinfo(res);
		return -ENOMEM;
	}
	n = 0;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		char a[NI_MAXHOST];
		if (!getnameinfo(ai->ai_addr, ai->ai_addrlen, a, sizeof(a), NULL, 0,
				 NI_NUMERICHOST) &&
		    (v[n] = strdup(a)))
			n++;
	}
	freeaddrinfo(res);
	*addrs = v;
	return n;
}
