/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "session/operand.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Split "user@host" in place. */
static void split_user(struct ur_operand *op, char *uh)
{
	char *at = strrchr(uh, '@');
	if (at) {
		*at = '\0';
		op->user = uh;
		uh = at + 1;
	}
	size_t n = strlen(uh);
	if (n >= 2 && uh[0] == '[' && uh[n - 1] == ']') {
		uh[n - 1] = '\0';
		uh++;
	}
	op->host = uh;
}

int ur_operand_parse(const char *arg, struct ur_operand *op)
{
	memset(op, 0, sizeof(*op));
	op->kind = UR_OPERAND_LOCAL;
	op->path = arg;
	size_t len = strlen(arg);
	if (len >= sizeof(op->buf))
		return -ENAMETOOLONG;
	memcpy(op->buf, arg, len + 1);
	char *s = op->buf;

	if (strncasecmp(s, "rsync://", 8) == 0) {
		char *hp = s + 8;
		char *slash = strchr(hp, '/');
		op->path = slash ? slash + 1 : "";
		if (slash)
			*slash = '\0';
		/* host[:port], where an [ipv6] host may hold colons. */
		char *colon = hp[0] == '[' ? strchr(strchr(hp, ']') ? strchr(hp, ']') : hp, ':')
					   : strrchr(hp, ':');
		if (colon) {
			*colon = '\0';
			op->port = atoi(colon + 1);
		}
		split_user(op, hp);
		op->kind = UR_OPERAND_DAEMON;
		return 0;
	}

	/* A host part ends at the first ':' and may not contain '/'; a
	 * bracketed IPv6 address may hold colons of its own. */
	char *p = s;
	char *hostpart = s;
	char *at = strchr(s, '@');
	char *sep = strpbrk(s, ":/[");
	if (at && (!sep || at < sep))
		hostpart = at + 1;
	if (*hostpart == '[') {
		char *close = strchr(hostpart, ']');
		if (!close || close[1] != ':')
			return 0;
		p = close + 1;
	} else {
		p = strchr(s, ':');
		if (!p)
			return 0;
	}
	for (char *q = s; q < p; q++)
		if (*q == '/')
			return 0;
	if (p == s)
		return 0;
	*p = '\0';
	if (p[1] == ':') {
		op->kind = UR_OPERAND_DAEMON;
		op->path = p + 2;
	} else {
		op->kind = UR_OPERAND_SHELL;
		op->path = p + 1;
	}
	split_user(op, s);
	return 0;
}
