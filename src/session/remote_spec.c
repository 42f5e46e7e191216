/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Local, push, pull or daemon: the operands decide, with the rules and
 * messages of rsync 3.5.0's client (observed against the binary). These
 * differ from session/operand.c in places rsync's behaviour forces:
 * ":path" is remote with an empty host (that is how "host:a :b" names a
 * second source on the same host), and a '[' anywhere but at the start of
 * the host makes the operand local.
 */
#include "session/remote_spec.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define URL_PREFIX   "rsync://"
#define DEFAULT_PORT 873

/* "[user@]host" and where the path starts, or false for a local path. */
static bool split_hostspec(const char *str, bool url, int *port, const char **path_out,
			   size_t *userlen_out, const char **host_out, size_t *hostlen_out)
{
	const char *s, *host = str;
	size_t hostlen = 0, userlen = 0;

	for (s = str;; s++) {
		if (!*s) {
			/* only a URL may end without a path separator */
			if (!url)
				return false;
			if (!hostlen)
				hostlen = (size_t)(s - host);
			break;
		}
		if (*s == ':' || *s == '/') {
			if (!hostlen)
				hostlen = (size_t)(s - host);
			if (*s++ == '/') {
				if (!url)
					return false;
			} else if (url) {
				*port = atoi(s);
				while (isdigit((unsigned char)*s))
					s++;
				if (*s && *s++ != '/')
					return false;
			}
			break;
		}
		if (*s == '@') {
			userlen = (size_t)(s - str) + 1;
			host = s + 1;
		} else if (*s == '[') {
			/* an IPv6 address: "[" only right where the host starts,
			 * "]" followed by the end, ':' or '/' */
			if (s != host)
				return false;
			host++;
			while (*s && *s != ']' && *s != '/')
				s++;
			hostlen = (size_t)(s - host);
			if (*s != ']' || (s[1] && s[1] != '/' && s[1] != ':') || !hostlen)
				return false;
		}
	}
	*path_out = s;
	*userlen_out = userlen;
	*host_out = host;
	*hostlen_out = hostlen;
	return true;
}

static char *join_uh(const char *str, size_t userlen, const char *host, size_t hostlen)
{
	char *r = malloc(userlen + hostlen + 1);
	if (!r)
		return NULL;
	memcpy(r, str, userlen);
	memcpy(r + userlen, host, hostlen);
	r[userlen + hostlen] = '\0';
	return r;
}

static const char *parse_hostspec(const char *str, bool url, int *port, char **uh)
{
	const char *path, *host;
	size_t userlen, hostlen;

	*uh = NULL;
	if (!split_hostspec(str, url, port, &path, &userlen, &host, &hostlen))
		return NULL;
	if (!(*uh = join_uh(str, userlen, host, hostlen))) {
		errno = ENOMEM;
		return NULL;
	}
	return path;
}

const char *ur_hostspec(const char *s, char **uh, int *port)
{
	const char *path;

	errno = 0;
	if (port && !strncasecmp(s, URL_PREFIX, strlen(URL_PREFIX))) {
		path = parse_hostspec(s + strlen(URL_PREFIX), true, port, uh);
		if (path) {
			if (!*port)
				*port = -1;
			return path;
		}
		if (errno == ENOMEM && !*uh)
			return NULL;
	}
	path = parse_hostspec(s, false, NULL, uh);
	if (!path)
		return NULL;
	if (*path == ':') {
		if (port && !*port)
			*port = -1;
		return path + 1;
	}
	if (port)
		*port = 0;
	return path;
}

/* ------------------------------------------------------------------ */

static int fail(struct ur_err *err, const char *msg, const char *arg)
{
	if (arg)
		ur_err_set(err, 1, 0, msg, arg);
	else
		ur_err_set(err, 1, 0, "%s", msg);
	return 1;
}

static int oom(struct ur_err *err)
{
	ur_err_set(err, 22, ENOMEM, "out of memory in ur_remote_spec_parse");
	return 22;
}

/* Keep s (owned) until ur_remote_spec_free. */
static char *own(struct ur_remote_spec *rs, char *s)
{
	if (!s)
		return NULL;
	rs->own_[rs->nown_++] = s;
	return s;
}

/* Split "user@host" at the last '@', as rsync does before starting the
 * shell. */
static void set_user_host(struct ur_remote_spec *rs, char *uh)
{
	char *at = strrchr(uh, '@');

	if (at) {
		*at = '\0';
		rs->user = uh;
		rs->host = at + 1;
	} else {
		rs->host = uh;
	}
}

int ur_remote_spec_parse_opts(const struct ur_opts *o, int nargs, char **args,
			      struct ur_remote_spec *rs, struct ur_err *err)
{
	bool old_args = o && o->old_args;
	bool have_rsh = o && o->rsh;
	const char *ff = o ? o->files_from : NULL;
	char *ff_host = NULL, *uh = NULL, *tmp = NULL;
	int port = o ? o->port : 0, rc = 0;
	const char *path;

	memset(rs, 0, sizeof(*rs));
	rs->mode = UR_XFER_PUSH;
	if (nargs < 1)
		return fail(err, "no operands", NULL);
	/* every operand may be kept, plus the user@host split and files-from */
	rs->own_ = calloc((size_t)nargs + 4, sizeof(*rs->own_));
	rs->vec_ = calloc((size_t)nargs * 2 + 2, sizeof(*rs->vec_));
	if (!rs->own_ || !rs->vec_)
		return oom(err);
	rs->rpaths = rs->vec_;
	rs->lpaths = rs->vec_ + nargs + 1;

	if (ff && strcmp(ff, "-")) {
		int ffport = 0;
		if (!ur_hostspec(ff, &ff_host, &ffport) && errno == ENOMEM && !ff_host)
			return oom(err);
		own(rs, ff_host);
	}

	path = ur_hostspec(args[0], &uh, &port);
	if (path) {
		/* the first operand is remote: a pull */
		own(rs, uh);
		rs->mode = port ? UR_XFER_DAEMON_PULL : UR_XFER_PULL;
		int nsrc = nargs;
		const char *last = args[nargs - 1];
		if (nargs == 1 || last[0] == ':') {
			rs->nlpaths = 0;
		} else {
			int dport = 0;
			char *dh = NULL;
			if (ur_hostspec(last, &dh, &dport)) {
				free(dh);
				return fail(
				    err, "The source and destination cannot both be remote.", NULL);
			}
			nsrc--;
			rs->lpaths[rs->nlpaths++] = last;
		}
		if (ff_host && *ff_host && strcmp(ff_host, uh))
			return fail(
			    err, "--files-from hostname is not the same as the transfer hostname",
			    NULL);
		rs->rpaths[rs->nrpaths++] = path;
		for (int i = 1; i < nsrc; i++) {
			int p2 = port;
			char *h2 = NULL;
			const char *a = ur_hostspec(args[i], &h2, &p2);
			if (!a) {
				if (errno == ENOMEM && !h2)
					return oom(err);
				return fail(
				    err,
				    "Unexpected local arg: %s\n"
				    "If arg is a remote file/dir, prefix it with a colon (:).",
				    args[i]);
			}
			rc = *h2 && strcmp(h2, uh);
			free(h2);
			if (rc)
				return fail(err, "All source args must come from the same machine.",
					    NULL);
			if (p2 != port)
				return fail(
				    err,
				    !port || !p2
					? "All source args must use the same hostspec format."
					: "All source args must use the same port number.",
				    NULL);
			rs->rpaths[rs->nrpaths++] = a;
		}
	} else {
		if (errno == ENOMEM && !uh)
			return oom(err);
		rs->mode = UR_XFER_PUSH;
		const char *dest = nargs > 1 ? args[nargs - 1] : ".";
		int nsrc = nargs > 1 ? nargs - 1 : 1;
		if (!*dest) {
			if (!old_args)
				return fail(err,
					    "Empty destination arg specified (use \".\" or see "
					    "--old-args).",
					    NULL);
			dest = ".";
		}
		port = o ? o->port : 0;
		path = ur_hostspec(dest, &tmp, &port);
		own(rs, tmp);
		if (path && ff_host && *ff_host && strcmp(ff_host, tmp))
			return fail(
			    err, "--files-from hostname is not the same as the transfer hostname",
			    NULL);
		if (!path) {
			rs->mode = UR_XFER_LOCAL;
			if (ff_host)
				return fail(
				    err, "--files-from cannot be remote when the transfer is local",
				    NULL);
			port = 0;
		} else {
			uh = tmp;
			rs->mode = port ? UR_XFER_DAEMON_PUSH : UR_XFER_PUSH;
			rs->rpaths[rs->nrpaths++] = path;
		}
		for (int i = 0; i < nsrc; i++) {
			int p2 = port;
			char *h2 = NULL;
			if (!args[i][0])
				return fail(err, "Empty source arg specified.", NULL);
			if (i && ur_hostspec(args[i], &h2, &p2)) {
				free(h2);
				return fail(err, "Unexpected remote arg: %s", args[i]);
			}
			rs->lpaths[rs->nlpaths++] = args[i];
		}
		if (rs->mode == UR_XFER_LOCAL && nargs > 1)
			rs->lpaths[rs->nlpaths++] = dest;
	}

	/* an empty remote path means the remote home (or the module) as "." */
	if (rs->mode == UR_XFER_PUSH || rs->mode == UR_XFER_PULL)
		for (int i = 0; i < rs->nrpaths; i++)
			if (!*rs->rpaths[i])
				rs->rpaths[i] = ".";

	if (rs->mode == UR_XFER_DAEMON_PUSH || rs->mode == UR_XFER_DAEMON_PULL) {
		rs->port = port < 0 ? DEFAULT_PORT : port;
		rs->daemon_rsh = have_rsh;
		if (!have_rsh) {
			set_user_host(rs, uh);
			return 0;
		}
	}
	if (o && o->password_file &&
	    !(rs->mode == UR_XFER_DAEMON_PUSH || rs->mode == UR_XFER_DAEMON_PULL))
		return fail(err,
			    "The --password-file option may only be used when accessing an "
			    "rsync daemon.",
			    NULL);
	if (o && o->contimeout)
		return fail(err,
			    "The --contimeout option may only be used when connecting to an "
			    "rsync daemon.",
			    NULL);
	if (rs->mode != UR_XFER_LOCAL) {
		set_user_host(rs, uh);
		if (rs->host[0] == '-')
			return fail(err, "Invalid remote host: hostnames may not start with '-'.",
				    NULL);
	}
	return 0;
}

int ur_remote_spec_parse(int nargs, char **args, struct ur_remote_spec *rs, struct ur_err *err)
{
	return ur_remote_spec_parse_opts(NULL, nargs, args, rs, err);
}

void ur_remote_spec_free(struct ur_remote_spec *rs)
{
	if (!rs)
		return;
	for (int i = 0; i < rs->nown_; i++)
		free(rs->own_[i]);
	free(rs->own_);
	free(rs->vec_);
	memset(rs, 0, sizeof(*rs));
}
