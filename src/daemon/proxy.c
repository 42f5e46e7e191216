/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "daemon/proxy.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checksum/authsum.h"
#include "util/log.h"

/* rsync's PROXY_BUF_SIZE: the longest request and response line. */
#define LINE_CAP 1024

int ur_proxy_parse(const char *spec, struct ur_proxy *p)
{
	char *hp, *at, *colon;

	memset(p, 0, sizeof(*p));
	snprintf(p->buf, sizeof(p->buf), "%s", spec);
	hp = p->buf;
	if ((at = strrchr(p->buf, '@'))) {
		*at = '\0';
		hp = at + 1;
		if (!(colon = strchr(p->buf, ':'))) {
			ur_errmsg("invalid proxy specification: should be USER:PASS@HOST:PORT");
			return -EINVAL;
		}
		*colon = '\0';
		p->user = p->buf;
		p->pass = colon + 1;
	}
	if (!(colon = strchr(hp, ':'))) {
		ur_errmsg("invalid proxy specification: should be HOST:PORT");
		return -EINVAL;
	}
	*colon = '\0';
	p->host = hp;
	p->port = atoi(colon + 1);
	return 0;
}

/* One response line into buf without its "\r\n"; -1 after saying why. */
static int read_line(int fd, char *buf, const char *toolong, const char *role)
{
	char *cp;
	for (cp = buf; cp < buf + LINE_CAP - 1; cp++) {
		if (read(fd, cp, 1) != 1) {
			ur_error(errno, "[%s] failed to read from proxy", role);
			return -1;
		}
		if (*cp == '\n')
			break;
	}
	if (cp == buf + LINE_CAP - 1) {
		ur_errmsg("%s", toolong);
		return -1;
	}
	*cp = '\0';
	if (cp > buf && cp[-1] == '\r')
		cp[-1] = '\0';
	return 0;
}

int ur_proxy_connect(int fd, const struct ur_proxy *p, const char *host, int port, const char *role)
{
	char req[LINE_CAP + 1], auth[LINE_CAP + 1] = "";
	int len;

	/* no control bytes: they would smuggle lines into the request */
	for (const char *h = host; *h; h++)
		if ((unsigned char)*h < 0x20 || *h == 0x7f) {
			ur_errmsg("invalid control character in proxy CONNECT host");
			return -1;
		}
	if (p->user && p->pass) {
		char cred[LINE_CAP];
		len = snprintf(cred, sizeof(cred), "%s:%s", p->user, p->pass);
		if (len < 0 || (size_t)len >= sizeof(cred) ||
		    ur_base64(cred, (size_t)len, true, auth, sizeof(auth) - 3) < 0) {
			ur_errmsg("authentication information is too long");
			return -1;
		}
	}
	len = snprintf(req, LINE_CAP, "CONNECT %s:%d HTTP/1.0%s%s\r\n\r\n", host, port,
		       *auth ? "\r\nProxy-Authorization: Basic " : "", auth);
	if (len <= 0 || len >= LINE_CAP) {
		ur_errmsg("proxy CONNECT request too long");
		return -1;
	}
	if (write(fd, req, (size_t)len) != len) {
		ur_error(errno, "[%s] failed to write to proxy", role);
		return -1;
	}
	if (read_line(fd, req, "proxy response line too long", role) < 0)
		return -1;
	/* "HTTP/1.x 2xx ...": anything but a 2xx status is a refusal */
	const char *cp = req + 5;
	if (strncmp(req, "HTTP/", 5) != 0)
		goto bad;
	while (isdigit((unsigned char)*cp) || *cp == '.')
		cp++;
	while (*cp == ' ')
		cp++;
	if (*cp != '2')
		goto bad;
	do {
		if (read_line(fd, req, "proxy response header line too long", role) < 0)
			return -1;
	} while (*req);
	return 0;
bad:
	ur_errmsg("bad response from proxy -- %s", req);
	return -1;
}
