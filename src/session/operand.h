/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_OPERAND_H
#define UR_OPERAND_H

enum ur_operand_kind {
	UR_OPERAND_LOCAL,   /* a path */
	UR_OPERAND_SHELL,   /* [user@]host:path, over a remote shell */
	UR_OPERAND_DAEMON,  /* [user@]host::module/path or rsync://[user@]host[:port]/module/path */
};

/* A SRC or DEST operand split into its parts. Strings point into buf. */
struct ur_operand {
	enum ur_operand_kind kind;
	const char *user;   /* NULL if none */
	const char *host;   /* NULL for local; brackets of [ipv6] removed */
	int port;           /* rsync:// only; 0 = default */
	const char *path;   /* path (or module/path for the daemon forms) */
	char buf[4096];
};

/*
 * Classify arg with rsync's rules: "rsync://" URLs, "host::path" and
 * "host:path" are remote when the part before the colon holds no '/',
 * "[v6addr]:path" is a host. Everything else is a local path. Returns 0 or
 * -ENAMETOOLONG.
 */
int ur_operand_parse(const char *arg, struct ur_operand *op);

#endif
