/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "daemon/client.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checksum/authsum.h"
#include "proto/handshake.h"
#include "util/log.h"

/* rsync's BIGPATHBUFLEN: a line must fit, with its NUL, in this. */
#define LINE_MAX_LEN (4096 + 1024)
/* ... and the most --early-input may send (rsync's BIGPATHBUFLEN). */
#define EARLY_INPUT_MAX (4096 + 1024)

/* The start failed with exit code code; what went wrong is printed. */
static int failed(struct ur_err *err, int code)
{
	err->code = code;
	err->msg[0] = '\0';
	return -EPROTO;
}

/* One line of the plain exchange, without its '\n' and with every '\r'
 * dropped, as rsync reads it. A line that fills the buffer, a NUL byte and
 * the end of the stream are failures (-EMSGSIZE, -EBADMSG, the read's). */
static int read_line(struct ur_conn *c, char *buf, size_t cap)
{
	size_t n = 0;
	for (;;) {
		char ch;
		int rc = ur_conn_read(c, &ch, 1);
		if (rc < 0)
			return rc;
		if (ch == '\0')
			return -EBADMSG;
		if (ch == '\n')
			break;
		if (ch == '\r')
			continue;
		if (n + 2 >= cap) /* rsync keeps at most cap - 2 characters */
			return -EMSGSIZE;
		buf[n++] = ch;
	}
	buf[n] = '\0';
	return (int)n;
}

/* A read of the exchange failed: at the end of the stream rsync says what
 * it missed (exit 5); a read error or a timeout is the connection's to
 * report (err->code 0: the caller prints c->err). */
static int read_failed(struct ur_conn *c, struct ur_err *err, int rc, const char *what)
{
	if (rc == -EMSGSIZE || rc == -EBADMSG || c->eof) {
		ur_errmsg("%s: %s", ur_progname, what);
		return failed(err, UR_EXIT_STARTCLIENT);
	}
	err->code = 0;
	return rc;
}

static int write_str(struct ur_conn *c, const char *s, size_t n)
{
	int rc = ur_conn_write(c, s, n);
	return rc < 0 ? rc : ur_conn_flush(c);
}

/* --password-file, RSYNC_PASSWORD, or the terminal, as rsync looks. The
 * password file must not be readable by others (and a root client's must
 * belong to root). Returns a malloc'ed password or NULL with err set. */
static char *get_password(const struct ur_opts *o, const char *role, struct ur_err *err)
{
	const char *env = getenv("RSYNC_PASSWORD");
	char buf[512];
	ssize_t n = -1;

	if (!o->password_file) {
		const char *p = env ? env : getpass("Password: ");
		return strdup(p ? p : "");
	}
	if (!strcmp(o->password_file, "-")) {
		n = fgets(buf, sizeof(buf), stdin) ? (ssize_t)strlen(buf) : -1;
	} else {
		int fd = open(o->password_file, O_RDONLY | O_CLOEXEC);
		struct stat st;
		if (fd < 0) {
			ur_error(errno, "[%s] could not open password file %s", role,
				 o->password_file);
			failed(err, UR_EXIT_SYNTAX);
			return NULL;
		}
		if (fstat(fd, &st) < 0) {
			ur_error(errno, "[%s] fstat(%s)", role, o->password_file);
			close(fd);
			failed(err, UR_EXIT_SYNTAX);
			return NULL;
		}
		if (st.st_mode & 06) {
			close(fd);
			ur_errmsg("ERROR: password file must not be other-accessible");
			failed(err, UR_EXIT_SYNTAX);
			return NULL;
		}
		if (geteuid() == 0 && st.st_uid != 0) {
			close(fd);
			ur_errmsg(
			    "ERROR: password file must be owned by root when running as root");
			failed(err, UR_EXIT_SYNTAX);
			return NULL;
		}
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	if (n > 0) {
		buf[n] = '\0';
		char *save = NULL, *p = strtok_r(buf, "\n\r", &save);
		if (p)
			return strdup(p);
	}
	ur_errmsg("ERROR: failed to read a password from %s", o->password_file);
	failed(err, UR_EXIT_SYNTAX);
	return NULL;
}

/* "@RSYNCD: AUTHREQD CHALLENGE": answer "USER RESPONSE" with the strongest
 * digest both lists name (md5 when the server sent no list). */
static int answer_challenge(struct ur_conn *c, const struct ur_opts *o, const char *user,
			    const char *server_list, const char *challenge, struct ur_err *err)
{
	const char *name = ur_authsum_choose(*server_list ? server_list : "md5");
	char resp[2 * UR_AUTHSUM_MAX_LEN + 8], line[LINE_MAX_LEN];
	if (!name) {
		ur_errmsg("Failed to negotiate a daemon auth checksum choice.");
		ur_errmsg("Server list: %s", server_list);
		ur_errmsg("Client list: %s", ur_authsum_list());
		return failed(err, UR_EXIT_UNSUPPORTED);
	}
	if (UR_DEBUG_GTE(o, NSTR, 1))
		ur_info("Client negotiated daemon auth checksum: %s\n", name);
	char *pass = get_password(o, c->role ? c->role : "client", err);
	if (!pass)
		return -EINVAL;
	int rc = ur_authsum_response(name, pass, challenge, resp, sizeof(resp));
	memset(pass, 0, strlen(pass));
	free(pass);
	if (rc < 0) {
		ur_error(-rc, "daemon auth checksum %s", name);
		return failed(err, UR_EXIT_UNSUPPORTED);
	}
	int len = snprintf(line, sizeof(line), "%s %s\n", user && *user ? user : "nobody", resp);
	return write_str(c, line, (size_t)len);
}

/* --early-input=FILE: its bytes (at most rsync's BIGPATHBUFLEN) go to the
 * daemon before the module name, announced by "#early_input=LEN". */
static int send_early_input(struct ur_conn *c, const char *path, const char *role,
			    struct ur_err *err)
{
	char buf[EARLY_INPUT_MAX];
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		ur_error(errno, "[%s] failed to open %s", role, path);
		if (fd >= 0)
			close(fd);
		return failed(err, UR_EXIT_STARTCLIENT);
	}
	if (st.st_size > EARLY_INPUT_MAX) {
		close(fd);
		ur_errmsg("%s is > %d bytes.", path, EARLY_INPUT_MAX);
		return failed(err, UR_EXIT_STARTCLIENT);
	}
	size_t len = 0;
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n <= 0) {
			close(fd);
			ur_errmsg("Early EOF in %s", path);
			return failed(err, UR_EXIT_STARTCLIENT);
		}
		len += (size_t)n;
	}
	close(fd);
	if (!len)
		return 0;
	char head[32];
	int hl = snprintf(head, sizeof(head), "#early_input=%zu\n", len);
	int rc = ur_conn_write(c, head, (size_t)hl);
	return rc < 0 ? rc : write_str(c, buf, len);
}

/* The server's greeting: "@RSYNCD: VERSION.SUB [DIGESTS]". */
static int read_greeting(struct ur_conn *c, int ours, struct ur_daemon_start *st, char *digests,
			 size_t dcap, struct ur_err *err)
{
	char line[LINE_MAX_LEN];
	int rc = read_line(c, line, sizeof(line));
	int theirs = 0, sub = -1, used = 0;
	if (rc < 0)
		return read_failed(c, err, rc, "did not see server greeting");
	if (sscanf(line, "@RSYNCD: %d%n.%d%n", &theirs, &used, &sub, &used) < 1) {
		ur_errmsg("%s: server sent \"%s\" rather than greeting", ur_progname, line);
		return failed(err, UR_EXIT_STARTCLIENT);
	}
	if (sub < 0) {
		if (theirs >= 30) {
			ur_errmsg("%s: the server omitted the subprotocol value: %s", ur_progname,
				  line);
			return failed(err, UR_EXIT_STARTCLIENT);
		}
		sub = 0;
	}
	const char *list = strchr(line + 9, ' ');
	if (!list && theirs > 31) {
		ur_errmsg("%s: the server omitted the digest name list: %s", ur_progname, line);
		return failed(err, UR_EXIT_STARTCLIENT);
	}
	snprintf(digests, dcap, "%s", list ? list + 1 : "");
	st->protocol = ur_daemon_protocol(ours, theirs, sub);
	st->remote_protocol = theirs;
	return 0;
}

int ur_daemon_protocol(int ours, int theirs, int their_sub)
{
	/* A peer of a newer protocol, or of a pre-release one (sub != 0),
	 * talks the one below it. */
	if (ours > theirs)
		return their_sub ? theirs - 1 : theirs;
	if (ours == theirs && their_sub != 0)
		return ours - 1;
	return ours;
}

int ur_daemon_client_start(struct ur_conn *c, const struct ur_opts *o,
			   const struct ur_daemon_req *req, struct ur_daemon_start *st,
			   struct ur_err *err)
{
	char line[LINE_MAX_LEN], digests[LINE_MAX_LEN];
	int ours = o->protocol ? o->protocol : UR_PROTOCOL_VERSION, rc;
	const char *mp = req->module_path;
	size_t modlen = strcspn(mp, "/");

	memset(st, 0, sizeof(*st));
	if (*mp == '/') {
		ur_errmsg("ERROR: The remote path must start with a module name not a /");
		return failed(err, UR_EXIT_STARTCLIENT);
	}
	int len = snprintf(line, sizeof(line), "@RSYNCD: %d.0 %s\n", ours, ur_authsum_list());
	if ((rc = write_str(c, line, (size_t)len)) < 0)
		return rc;
	if ((rc = read_greeting(c, ours, st, digests, sizeof(digests), err)) < 0)
		return rc;
	if (o->early_input &&
	    (rc = send_early_input(c, o->early_input, c->role ? c->role : "client", err)) < 0)
		return rc;
	if (UR_DEBUG_GTE(o, CMD, 1)) {
		ur_info("sending daemon args:");
		for (int i = 0; i < req->nargs; i++)
			ur_info(" %s", req->args[i]);
		ur_info("  (%d args)\n", req->nargs);
	}
	len = snprintf(line, sizeof(line), "%.*s\n", (int)modlen, mp);
	if ((rc = write_str(c, line, (size_t)len)) < 0)
		return rc;

	for (;;) {
		if ((rc = read_line(c, line, sizeof(line))) < 0)
			return read_failed(c, err, rc, "didn't get server startup line");
		if (!strncmp(line, "@RSYNCD: AUTHREQD ", 18)) {
			if ((rc = answer_challenge(c, o, req->user, digests, line + 18, err)) < 0)
				return rc;
			continue;
		}
		if (!strcmp(line, "@RSYNCD: OK"))
			break;
		if (!strcmp(line, "@RSYNCD: EXIT")) {
			st->listed = true;
			return 0;
		}
		if (!strncmp(line, "@ERROR", 6)) {
			ur_errmsg("%s", line);
			return failed(err, UR_EXIT_STARTCLIENT);
		}
		/* the motd or a module of the listing: rsync cannot tell them
		 * apart either, and --no-motd drops both */
		if (!o->no_motd)
			ur_info("%s\n", line);
	}

	/* protocol 30+: each word NUL-terminated, an empty one ends them */
	for (int i = 0; i < req->nargs; i++)
		if ((rc = ur_conn_write(c, req->args[i], strlen(req->args[i]) + 1)) < 0)
			return rc;
	if ((rc = ur_conn_write(c, "", 1)) < 0)
		return rc;
	return ur_conn_flush(c);
}

char *ur_daemon_path_arg(const char *path, const char *module, size_t modlen, bool old_args)
{
	char sep[LINE_MAX_LEN];
	size_t extra = 0;

	if (strlen(path) == modlen && !strncmp(path, module, modlen)) {
		char *r = malloc(modlen + 2);
		if (r)
			snprintf(r, modlen + 2, "%.*s/", (int)modlen, module);
		return r;
	}
	snprintf(sep, sizeof(sep), " %.*s/", (int)modlen, module);
	if (*path == '-')
		extra += 2;
	if (!old_args)
		for (const char *p = strstr(path, sep); p; p = strstr(p + 1, sep))
			extra += 2;
	char *r = malloc(strlen(path) + extra + 1), *t = r;
	if (!r)
		return NULL;
	if (*path == '-') {
		*t++ = '.';
		*t++ = '/';
	}
	for (const char *f = path; *f;) {
		if (!old_args && *f == ' ' && !strncmp(f, sep, modlen + 2)) {
			*t++ = '[';
			*t++ = *f++;
			*t++ = ']';
		} else {
			*t++ = *f++;
		}
	}
	*t = '\0';
	return r;
}
