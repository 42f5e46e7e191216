/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Transfers over a remote shell: the client that starts the far side and
 * the --server that a far client started (docs/protocol.md "Connection
 * start"). wire/wire_start.c does the handshake; then both run a role
 * from wire/wire.h.
 */
#include "config.h"
#include "session/remote.h"
#include "wire/conn.h"
#include "wire/wire.h"
#include "io/io.h"
#include "proto/handshake.h"
#include "filter/filter.h"
#include "session/filters.h"
#include "session/rsh.h"
#include "session/remote_spec.h"
#include "session/session_int.h"
#include "daemon/client.h"
#include "daemon/proxy.h"
#include "io/net.h"
#include "util/err.h"
#include "util/log.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Options that do not work over the wire yet: refused before connecting. */
static const char *unsupported_remote(const struct ur_opts *o, bool local_sender, bool server)
{
	if (o->cvs_exclude)
		return "--cvs-exclude";
	/* A pushing client reads its --files-from itself; a pull would
	 * have to forward the names to the far sender. */
	if (o->files_from && (server || !local_sender))
		return "--files-from (with a remote source)";
	if (o->relative)
		return "--relative";

	if (o->delete_missing_args)
		return "--delete-missing-args";
	if (o->crtimes)
		return "--crtimes";
	/* the id maps work in a local copy only, for now */
	if (o->usermap)
		return "--usermap (or --chown)";
	if (o->groupmap)
		return "--groupmap (or --chown)";
	return NULL;
}

/* ---- the server ---- */

static struct ur_conn *g_server_conn;

static void server_sink(int kind, const char *msg, size_t len)
{
	struct ur_conn *c = g_server_conn;
	if (!c || !c->mux_out) {
		if (write(STDERR_FILENO, msg, len) < 0) {
			/* nowhere left to say it */
		}
		return;
	}
	enum ur_msg_tag tag = kind == UR_LOG_INFO      ? UR_MSG_INFO
			      : kind == UR_LOG_WARNING ? UR_MSG_WARNING
						       : UR_MSG_ERROR;
	ur_conn_send_msg(c, tag, msg, len > UR_MUX_MAX_TEXT - 1 ? UR_MUX_MAX_TEXT - 1 : len);
}

/* The engine set up as run_local does it. */
static int engine_setup(struct ur_engine *eng, struct ur_opts *o, FILE *out)
{
	memset(eng, 0, sizeof(*eng));
	eng->o = o;
	eng->chan = &ur_local_chan;
	eng->out = out;
	eng->dest_fd = -1;
	eng->cur_dfd = -1;
	ur_flist_init(&eng->delayed);
	eng->start_ns = ur_now_ns();
	eng->umask = umask(0);
	eng->euid = (uint32_t)geteuid();
	eng->egid = (uint32_t)getegid();
	eng->am_root = o->am_root < 0 ? geteuid() == 0 : o->am_root > 0;
	ur_session_engine_groups(eng);
	/* The run's I/O backend (docs/fastio.md), as for a local copy. */
	struct ur_err err = {0};
	if (ur_io_open(o->io_policy, &eng->io, &err) < 0) {
		ur_errmsg("%s", err.msg);
		return err.code ? err.code : UR_EXIT_UNSUPPORTED;
	}
	return 0;
}

static int report_conn_error(struct ur_conn *c, struct ur_wire *w, int rc)
{
	if (w && w->remote_exit >= 0)
		return w->remote_exit ? w->remote_exit : UR_EXIT_STREAMIO;
	if (c->err.msg[0]) {
		if (c->err.msg[0] == '[' || !strncmp(c->err.msg, "protocol", 8))
			ur_errmsg("%s", c->err.msg);
		else
			ur_error(c->err.errnum, "%s", c->err.msg);
	}
	(void)rc;
	return c->err.code ? c->err.code : UR_EXIT_STREAMIO;
}

int ur_session_server(struct ur_opts *o)
{
	return ur_session_serve(o, STDIN_FILENO, STDOUT_FILENO, 0, 0, NULL, 0);
}

int ur_session_serve(struct ur_opts *o, int fd_in, int fd_out, int protocol, int remote_protocol,
		     const char *error, int error_code)
{
	struct ur_conn c;
	struct ur_caps caps;
	struct ur_wire w;
	struct ur_engine eng;
	int rc;

	signal(SIGPIPE, SIG_IGN);
	if (ur_conn_init(&c, fd_in, fd_out, o->timeout) < 0)
		return UR_EXIT_MALLOC;
	c.role = o->sender ? "sender" : "receiver";
	/* Never created: in a daemon's chroot "/dev/null" is a name in the
	 * module. There a pipe nobody reads swallows the lines as well
	 * (SIGPIPE is ignored). */
	FILE *devnull = NULL;
	int nfd = open("/dev/null", O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat nst;
	if (nfd >= 0 && fstat(nfd, &nst) == 0 && S_ISCHR(nst.st_mode))
		devnull = fdopen(nfd, "w");
	if (!devnull && nfd >= 0)
		close(nfd);
	if (!devnull) {
		int pfd[2];
		if (pipe2(pfd, O_CLOEXEC) < 0) {
			ur_conn_free(&c);
			return UR_EXIT_FILEIO;
		}
		close(pfd[0]);
		devnull = fdopen(pfd[1], "w");
		if (!devnull) {
			close(pfd[1]);
			ur_conn_free(&c);
			return UR_EXIT_FILEIO;
		}
	}
	if ((rc = engine_setup(&eng, o, devnull)) != 0) {
		fclose(devnull);
		ur_session_engine_release(&eng);
		return rc;
	}
	g_server_conn = &c;
	ur_log_sink = server_sink;

	/* A daemon's greetings agreed the protocol already. */
	if (protocol)
		rc = ur_wire_negotiate(&c, o, true, o->sender, protocol, remote_protocol, &caps);
	else
		rc = ur_wire_handshake(&c, o, true, o->sender, &caps);
	if (rc < 0) {
		rc = report_conn_error(&c, NULL, rc);
		if (rc == UR_EXIT_UNSUPPORTED) /* a failed negotiation: rsync's server says that much */
			ur_exit_message(rc, o->sender ? "sender" : "Receiver");
		goto out;
	}
	c.mux_out = true;
	ur_conn_start_mux_in(&c);
	if (error) {
		/* The daemon refused what the client asked (its options, a
		 * read-only module): say so on the started protocol, as rsync
		 * does, and wait for the client to hang up. */
		ur_errmsg("%.*s", (int)strcspn(error, "\n"), error);
		for (const char *nl = strchr(error, '\n'); nl && nl[1]; nl = strchr(nl + 1, '\n'))
			ur_errmsg("%.*s", (int)strcspn(nl + 1, "\n"), nl + 1);
		rc = error_code;
		ur_exit_message(rc, o->sender ? "sender" : "Receiver");
		if (caps.protocol >= 31 || !o->sender)
			ur_conn_send_msg_int(&c, UR_MSG_ERROR_EXIT, rc);
		/* rsync's daemon exits here; the client reads the message and
		 * then our end of the stream. Reading on until it hangs up
		 * keeps the kernel from resetting the connection over data we
		 * did not read, which could cost the client the message. */
		ur_conn_flush(&c);
		shutdown(fd_out, SHUT_WR);
		c.on_msg = NULL;
		ur_conn_drain(&c);
		goto out;
	}
	const char *why = unsupported_remote(o, o->sender, true);
	if (why) {
		ur_error(0, "%s is not supported over the wire yet", why);
		rc = UR_EXIT_UNSUPPORTED;
		goto out;
	}
	if ((rc = ur_wire_init(&w, &c, &caps, o, true, o->sender)) < 0) {
		rc = UR_EXIT_MALLOC;
		goto out;
	}
	ur_wire_attach(&eng, &w);
	c.ctx = &eng;
	c.on_msg = ur_wire_on_msg;
	if (ur_wire_recv_filters(&eng, &w) < 0) {
		rc = report_conn_error(&c, &w, -1);
		goto out_wire;
	}
	/* args: the directory to work in, then the paths. */
	if (o->nargs < 1) {
		ur_errmsg("ERROR: server called without args");
		rc = UR_EXIT_SYNTAX;
		goto out_wire;
	}
	if (o->sender) {
		if (!o->relative && strcmp(o->args[0], ".") && chdir(o->args[0]) < 0) {
			ur_error(errno, "change_dir#3 \"%s\" failed", o->args[0]);
			rc = UR_EXIT_FILESELECT;
			goto out_wire;
		}
		/* The sender's operands; ur_sender_top takes all but the last. */
		static char *dot[] = {(char *)".", (char *)"."};
		char **args = calloc((size_t)o->nargs + 1, sizeof(char *));
		if (!args) {
			rc = UR_EXIT_MALLOC;
			goto out_wire;
		}
		int n = 0;
		for (int i = 1; i < o->nargs; i++)
			args[n++] = o->args[i];
		if (!n)
			args[n++] = dot[0];
		args[n++] = dot[1];
		o->args = args;
		o->nargs = n;
		rc = ur_wire_send(&eng, &w);
		free(args);
	} else {
		if (strcmp(o->args[0], ".") && chdir(o->args[0]) < 0) {
			ur_error(errno, "change_dir#4 \"%s\" failed", o->args[0]);
			rc = UR_EXIT_FILESELECT;
			goto out_wire;
		}
		char dest[4096];
		snprintf(dest, sizeof(dest), "%s", o->nargs > 1 ? o->args[1] : ".");
		rc = ur_wire_receive(&eng, &w, dest, ur_session_open_dest);
	}
out_wire:
	if (rc && !w.shutting_down && rc != UR_EXIT_STREAMIO && rc != UR_EXIT_SOCKETIO &&
	    rc != UR_EXIT_TIMEOUT) {
		/* A failure before the end: say so, tell the client the code
		 * (rsync's MSG_ERROR_EXIT) and wait for it to hang up. */
		ur_exit_message(rc, o->sender ? "sender" : "Receiver");
		if (caps.protocol >= 31 || !o->sender)
			ur_conn_send_msg_int(&c, UR_MSG_ERROR_EXIT, rc);
		c.on_msg = NULL;
		ur_conn_drain(&c);
	}
	ur_conn_flush(&c);
	ur_wire_free(&w);
out:
	ur_conn_flush(&c);
	ur_log_sink = NULL;
	g_server_conn = NULL;
	ur_session_engine_release(&eng);
	fclose(devnull);
	ur_conn_free(&c);
	return rc;
}

/* ---- the client ---- */

const char *ur_client_exit_role;

/* Start argv with its stdin and stdout on two socket pairs (as rsync
 * does, so that the far side closing its output is seen as the end even
 * while it still reads), or with one socket as both (one_socket: a daemon
 * started as inetd starts it reads and writes descriptor 0); *fd_in and
 * *fd_out are our ends. */
static int spawn(char **argv, mode_t mask, const char *role, bool one_socket, int *fd_in,
		 int *fd_out, pid_t *pid)
{
	int to[2], from[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, to) < 0)
		return -errno;
	if (one_socket) {
		from[0] = fcntl(to[0], F_DUPFD_CLOEXEC, 0);
		from[1] = fcntl(to[1], F_DUPFD_CLOEXEC, 0);
	}
	if (one_socket ? from[0] < 0 || from[1] < 0
		       : socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, from) < 0) {
		int e = errno;
		close(to[0]);
		close(to[1]);
		if (one_socket && from[0] >= 0)
			close(from[0]);
		if (one_socket && from[1] >= 0)
			close(from[1]);
		return -e;
	}
	fflush(stdout);
	pid_t p = fork();
	if (p < 0) {
		int e = errno;
		close(to[0]);
		close(to[1]);
		close(from[0]);
		close(from[1]);
		return -e;
	}
	if (p == 0) {
		dup2(to[1], STDIN_FILENO);
		dup2(from[1], STDOUT_FILENO);
		signal(SIGPIPE, SIG_DFL);
		/* Our own umask is 0 (modes are computed); the far side gets
		 * the user's. */
		umask(mask);
		execvp(argv[0], argv);
		/* rsync's piped_child(): the forked child reports and ends
		 * with its IPC code, which the client's exit takes up. */
		fprintf(stderr, "%s: [%s] Failed to exec %s: %s (%d)\n", ur_progname, role,
			argv[0], strerror(errno), errno);
		ur_exit_message(UR_EXIT_IPC, role);
		fflush(stderr);
		_exit(UR_EXIT_IPC);
	}
	close(to[1]);
	close(from[1]);
	*fd_out = to[0];
	*fd_in = from[0];
	*pid = p;
	return 0;
}

/* The far side's exit status, as rsync's client takes it. */
static int wait_child(pid_t pid)
{
	int status;
	if (pid < 0)
		return 0; /* a socket: no child */
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return UR_EXIT_WAITCHILD;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return UR_EXIT_TERMINATED;
	return UR_EXIT_WAITCHILD;
}

/* The far side's exit status after the run ended with rc. After an io
 * timeout rsync's exit_cleanup() only looks (WNOHANG): a far side that
 * never answers must not hold the client (the remote shell is left to
 * end on the closed pipes). -1 when it has not ended. */
static int reap_child(pid_t pid, int rc)
{
	int status;
	if (rc != UR_EXIT_TIMEOUT || pid < 0)
		return wait_child(pid);
	if (waitpid(pid, &status, WNOHANG) == pid && WIFEXITED(status))
		return WEXITSTATUS(status);
	return -1;
}

/* -s: the words that did not go on the remote shell's command line, on
 * its stdin before anything else (rsync's send_protected_args). Returns 0
 * or the exit code, the message printed. */
static int send_secluded(struct ur_conn *c, const struct ur_opts *o,
			 const struct ur_remote_spec *rs, bool pull)
{
	struct ur_argv words = {0};
	int rc = ur_secluded_args(o, pull, rs->rpaths, rs->nrpaths, &words);
	size_t cap = 0;
	char *buf = NULL;
	ssize_t n = -ENOMEM;

	for (int i = 0; rc == 0 && i < words.n; i++)
		cap += strlen(words.v[i]) + 2;
	if (rc == 0 && (buf = malloc(cap + 1)))
		n = ur_secluded_encode(&words, buf, cap + 1);
	if (n >= 0 && UR_DEBUG_GTE(o, CMD, 1)) {
		ur_info("protected args:");
		for (int i = 1; i < words.n; i++)
			ur_info(" %s", *words.v[i] ? words.v[i] : ".");
		ur_info("  (%d args)\n", words.n - 1);
	}
	ur_argv_free(&words);
	if (n < 0) {
		free(buf);
		ur_error(ENOMEM, "out of memory in send_secluded");
		return UR_EXIT_MALLOC;
	}
	rc = ur_conn_write(c, buf, (size_t)n);
	free(buf);
	if (rc == 0)
		rc = ur_conn_flush(c);
	return rc < 0 ? report_conn_error(c, NULL, rc) : 0;
}

/* -vv: the command as rsync logs it: words with other characters in
 * quotes, each followed by a space, then the count. */
static void log_command(const struct ur_argv *cmd)
{
	ur_info("opening connection using: ");
	for (int i = 0; i < cmd->n; i++) {
		const char *a = cmd->v[i];
		bool plain = strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "0123456789,.-_=+@/") == strlen(a);
		ur_info(plain ? "%s " : "\"%s\" ", a);
	}
	ur_info(" (%d args)\n", cmd->n);
}

/* RSYNC_CONNECT_PROG with %H as the host (single-quoted for the shell;
 * a host of other characters is refused as rsync refuses it) and %% as %.
 * Returns a malloc'ed command, or NULL after saying why. */
static char *connect_prog_command(const char *prog, const char *host)
{
	size_t hlen = 2, len = strlen(prog) + 1;
	bool unsafe = !*host || strchr("-+~%", *host);
	for (const char *h = host; *h && !unsafe; h++)
		unsafe = !isalnum((unsigned char)*h) && !strchr("._:-%+~", *h);
	if (strchr(prog, '%') && unsafe) {
		ur_errmsg("unsafe host characters for RSYNC_CONNECT_PROG");
		return NULL;
	}
	for (const char *h = host; *h; h++)
		hlen += *h == '\'' ? 4 : 1;
	for (const char *f = strchr(prog, '%'); f; f = strchr(f + 1, '%'))
		len += hlen;
	char *cmd = malloc(len), *t = cmd;
	if (!cmd)
		return NULL;
	for (const char *f = prog; *f; f++) {
		if (*f == '%' && f[1] == '%') {
			*t++ = *++f;
		} else if (*f == '%' && f[1] == 'H') {
			f++;
			*t++ = '\'';
			for (const char *h = host; *h; h++)
				t = *h == '\'' ? stpcpy(t, "'\\''") : (*t = *h, t + 1);
			*t++ = '\'';
		} else {
			*t++ = *f;
		}
	}
	*t = '\0';
	return cmd;
}

/* The connection to a daemon: RSYNC_CONNECT_PROG's program on a pipe, or
 * a TCP socket. Returns 0 or the exit code (the messages printed). */
static int daemon_transport(const struct ur_opts *o, const struct ur_remote_spec *rs, bool pull,
			    mode_t mask, int *fd, int *fd_out, pid_t *pid)
{
	const char *prog = getenv("RSYNC_CONNECT_PROG");
	if (prog) {
		char *cmd = connect_prog_command(prog, rs->host);
		if (!cmd)
			return UR_EXIT_SOCKETIO;
		if (UR_DEBUG_GTE(o, CONNECT, 1))
			ur_info("Using RSYNC_CONNECT_PROG instead of opening tcp connection to %s "
				"port %d\n",
				rs->host, rs->port);
		char *argv[] = {(char *)"sh", (char *)"-c", cmd, NULL};
		int rc = spawn(argv, mask, pull ? "Receiver" : "sender", true, fd, fd_out, pid);
		free(cmd);
		if (rc < 0) {
			ur_error(-rc, "pipe/fork failed");
			return UR_EXIT_IPC;
		}
		return 0;
	}
	/* RSYNC_PROXY: connect to the proxy, then ask it for the daemon */
	const char *pspec = getenv("RSYNC_PROXY");
	struct ur_proxy px;
	bool proxied = pspec && *pspec;
	if (proxied && ur_proxy_parse(pspec, &px) < 0)
		return UR_EXIT_SOCKETIO;
	if (proxied && UR_DEBUG_GTE(o, CONNECT, 1))
		ur_info("connection via http proxy %s port %d\n", px.host, px.port);
	struct ur_net_opts no = {.bind_addr = o->address,
				 .family = o->ipv,
				 .contimeout = o->contimeout,
				 .sockopts = o->sockopts,
				 .tag = pull ? "[Receiver] " : "[sender] "};
	struct ur_err err = {0};
	if (UR_DEBUG_GTE(o, CONNECT, 1))
		ur_info("opening tcp connection to %s port %d\n", rs->host, rs->port);
	int s = ur_net_connect(proxied ? px.host : rs->host, proxied ? px.port : rs->port, &no, &err);
	if (s >= 0 && proxied &&
	    ur_proxy_connect(s, &px, rs->host, rs->port, pull ? "Receiver" : "sender") < 0) {
		close(s);
		return UR_EXIT_SOCKETIO;
	}
	if (s < 0) {
		for (char *line = err.msg, *nl; *line; line = nl + 1) {
			nl = strchr(line, '\n');
			if (nl)
				*nl = '\0';
			ur_errmsg("%s: %s", ur_progname, line);
			if (!nl)
				break;
		}
		return err.code ? err.code : UR_EXIT_SOCKETIO;
	}
	*fd = s;
	*fd_out = dup(s);
	*pid = -1;
	if (*fd_out < 0) {
		close(s);
		ur_error(errno, "dup");
		return UR_EXIT_SOCKETIO;
	}
	return 0;
}

/* The daemon's text exchange. Returns 0 (st filled), or the exit code
 * once the messages are printed. */
static int daemon_start(struct ur_conn *c, const struct ur_opts *o,
			const struct ur_remote_spec *rs, bool pull, struct ur_daemon_start *st)
{
	struct ur_argv args = {0};
	struct ur_err err = {0};
	const char *mp = rs->nrpaths ? rs->rpaths[0] : "";
	size_t modlen = strcspn(mp, "/");
	const char *user = rs->user && *rs->user ? rs->user : getenv("USER");
	int rc;

	if (!user)
		user = getenv("LOGNAME");
	if ((rc = ur_server_args(o, pull, &args)) < 0 || (rc = ur_argv_push(&args, ".")) < 0)
		goto oom;
	for (int i = 0; i < rs->nrpaths; i++) {
		char *a = ur_daemon_path_arg(rs->rpaths[i], mp, modlen, o->old_args);
		if (!a)
			goto oom;
		rc = ur_argv_push(&args, a);
		free(a);
		if (rc < 0)
			goto oom;
	}
	struct ur_daemon_req req = {.user = user, .module_path = mp,
				    .args = (const char *const *)args.v, .nargs = args.n};
	rc = ur_daemon_client_start(c, o, &req, st, &err);
	ur_argv_free(&args);
	if (rc == 0)
		return 0;
	if (err.code)
		return err.code;
	return report_conn_error(c, NULL, rc);
oom:
	ur_argv_free(&args);
	ur_error(ENOMEM, "out of memory");
	return UR_EXIT_MALLOC;
}

int ur_session_client(struct ur_opts *o, const struct ur_remote_spec *rs)
{
	struct ur_argv cmd = {0};
	struct ur_err err = {0};
	struct ur_conn c;
	struct ur_caps caps;
	struct ur_wire w;
	struct ur_engine eng;
	bool pull = rs->mode == UR_XFER_PULL || rs->mode == UR_XFER_DAEMON_PULL;
	bool daemon = rs->mode == UR_XFER_DAEMON_PULL || rs->mode == UR_XFER_DAEMON_PUSH;
	int rc, fd = -1, fd_out = -1, child = -1;
	pid_t pid = -1;

	ur_client_exit_role = "client";
	const char *why = unsupported_remote(o, !pull, false);
	if (!why && daemon && o->secluded_args)
		why = "--secluded-args (with a daemon)";
	if (why) {
		ur_error(0, "%s is not supported over the wire yet", why);
		return UR_EXIT_UNSUPPORTED;
	}
	/* The rules are read (and checked) before anything is started, as
	 * rsync parses them with the options. */
	if ((rc = engine_setup(&eng, o, stdout)) != 0)
		goto out_early;
	{
		/* Merge files are read here and their rules sent; a
		 * per-directory merge rule is refused (not yet). */
		char cwd[4096];
		if (!getcwd(cwd, sizeof(cwd)))
			snprintf(cwd, sizeof(cwd), "/");
		if ((rc = ur_session_filters(&eng, cwd)) != 0)
			goto out_early;
		for (size_t i = 0; eng.filters && i < ur_filter_count(eng.filters); i++) {
			char text[64];
			ur_filter_rule_text(eng.filters, i, text, sizeof(text));
			size_t mods = strcspn(text, " ");
			if (text[0] == ':' || memchr(text, 'C', mods)) {
				ur_error(0, "per-directory merge rules over the wire are not "
					    "supported yet");
				rc = UR_EXIT_UNSUPPORTED;
				goto out_early;
			}
		}
		/* The receiver's rules are the same list (deletion checks it
		 * with the receiver's side). */
		ur_filter_list_free(eng.rfilters);
		eng.rfilters = NULL;
	}

	signal(SIGPIPE, SIG_IGN);
	if (daemon && !rs->daemon_rsh) {
		rc = daemon_transport(o, rs, pull, eng.umask, &fd, &fd_out, &pid);
		if (rc)
			goto out_early;
	} else {
		if (daemon)
			rc = ur_rsh_daemon_command(o, getenv("RSYNC_RSH"), rs->user, rs->host, &cmd,
						   &err);
		else
			rc = ur_rsh_command(o, getenv("RSYNC_RSH"), rs->user, rs->host, pull,
					    rs->rpaths, rs->nrpaths, &cmd, &err);
		if (rc < 0) {
			ur_errmsg("%s", err.msg);
			rc = err.code ? err.code : UR_EXIT_SYNTAX;
			goto out_early;
		}
		if (UR_DEBUG_GTE(o, CMD, 1))
			log_command(&cmd);
		rc = spawn(cmd.v, eng.umask, pull ? "Receiver" : "sender", false, &fd, &fd_out, &pid);
		ur_argv_free(&cmd);
		if (rc < 0) {
			ur_error(-rc, "pipe/fork failed");
			rc = UR_EXIT_IPC;
			goto out_early;
		}
	}
	if (ur_conn_init(&c, fd, fd_out, o->timeout) < 0) {
		rc = UR_EXIT_MALLOC;
		goto out_early;
	}
	c.role = pull ? "Receiver" : "sender";
	ur_client_exit_role = c.role;
	if (o->secluded_args && !daemon && (rc = send_secluded(&c, o, rs, pull)) != 0) {
		close(fd);
		close(fd_out);
		wait_child(pid);
		goto out;
	}
	if (daemon) {
		struct ur_daemon_start st;
		rc = daemon_start(&c, o, rs, pull, &st);
		if (rc == 0 && st.listed) {
			close(fd);
			close(fd_out);
			wait_child(pid);
			goto out;
		}
		if (rc == 0)
			rc = ur_wire_negotiate(&c, o, false, !pull, st.protocol, st.remote_protocol,
					       &caps);
		else if (rc > 0) {
			/* the start failed; its messages are out */
			close(fd);
			close(fd_out);
			wait_child(pid);
			goto out;
		}
	} else {
		rc = ur_wire_handshake(&c, o, false, !pull, &caps);
	}
	if (rc < 0) {
		rc = report_conn_error(&c, NULL, rc);
		if (rc == UR_EXIT_UNSUPPORTED) {
			/* A failed negotiation fails on both ends: let the server
			 * end first, as rsync's client does, so that its last
			 * writes do not meet a closed pipe. */
			shutdown(fd_out, SHUT_WR);
			child = wait_child(pid);
		}
		close(fd);
		close(fd_out);
		if (child < 0)
			child = reap_child(pid, rc);
		/* The far side ended before answering: its status counts when
		 * higher, as rsync's exit_cleanup() takes it (127: no rsync
		 * there; 14: the remote shell could not be started); ssh's own
		 * failure (255) stays a stream error. */
		if (c.eof && child > 0 && child != 255 && child > rc)
			rc = child;
		goto out;
	}
	ur_conn_start_mux_in(&c);
	c.mux_out = true;
	if ((rc = ur_wire_init(&w, &c, &caps, o, false, !pull)) < 0) {
		rc = UR_EXIT_MALLOC;
		goto out;
	}
	ur_wire_attach(&eng, &w);
	c.ctx = &eng;
	c.on_msg = ur_wire_on_msg;
	if ((rc = ur_wire_send_filters(&eng, &w)) < 0) {
		rc = report_conn_error(&c, &w, rc);
		goto out_wire;
	}
	if (pull) {
		if (UR_INFO_GTE(o, FLIST, 1) && !o->list_only)
			ur_info(caps.inc_recurse ? "receiving incremental file list\n"
						 : "receiving file list ... done\n");
		char dest[4096];
		/* No local path: a remote listing (o->list_only). */
		snprintf(dest, sizeof(dest), "%s", rs->nlpaths ? rs->lpaths[0] : ".");
		rc = ur_wire_receive(&eng, &w, dest, ur_session_open_dest);
		/* rsync's closing line names the process that ended the run:
		 * the generator once files were looked at. */
		if (w.have_list && !w.empty_list)
			ur_client_exit_role = "generator";
	} else {
		if (UR_INFO_GTE(o, FLIST, 1))
			ur_info(caps.inc_recurse ? "sending incremental file list\n"
						 : "building file list ... done\n");
		/* ur_sender_top reads the sources from o->args (all but the last). */
		rc = ur_wire_send(&eng, &w);
	}
	if (w.remote_exit >= 0)
		ur_client_exit_role = NULL; /* the far side said it all */
	if (w.empty_list) {
		/* rsync's client, with nothing to receive, waits for the server
		 * to exit and then writes once more, reporting the broken pipe:
		 * the same here, in the same order. */
		ur_conn_drain(&c);
		child = wait_child(pid);
		c.err.msg[0] = '\0';
		if (ur_conn_write_ndx(&c, UR_NDX_DONE) == 0 && ur_conn_flush(&c) < 0 &&
		    c.err.msg[0])
			ur_errmsg("%s: %s", ur_progname, c.err.msg);
	}
	if (rc != UR_EXIT_TIMEOUT) {
		ur_conn_flush(&c);
		shutdown(fd_out, SHUT_WR);
		ur_conn_drain(&c);
	}
	if (pull) {
		/* rsync's client shows the sender's counts, from its side. */
		eng.st.total_written = w.peer_written;
		eng.st.total_read = w.peer_read;
		eng.st.total_size = w.peer_total_size;
		eng.st.literal_data = w.literal;
		eng.st.matched_data = w.matched;
	} else {
		eng.st.total_written = c.total_written;
		eng.st.total_read = c.total_read;
		/* deletions as the receiving server counted them */
		const int64_t *d = w.del_stats;
		eng.st.deleted_reg = d[0];
		eng.st.deleted_dir = d[1];
		eng.st.deleted_link = d[2];
		eng.st.deleted_dev = d[3];
		eng.st.deleted_special = d[4];
		eng.st.deleted_files = d[0] + d[1] + d[2] + d[3] + d[4];
	}
	/* the sender's list times: ours, or what the server sent */
	eng.st.flist_buildtime = (double)w.flist_build_ms / 1000;
	eng.st.flist_xfertime = (double)w.flist_xfer_ms / 1000;
out_wire:
	ur_wire_free(&w);
	close(fd);
	close(fd_out);
	if (child < 0)
		child = reap_child(pid, rc);
	if (child > rc)
		rc = child;
	if (!rc || rc == UR_EXIT_PARTIAL || rc == UR_EXIT_VANISHED) {
		eng.st.elapsed = (double)(ur_now_ns() - eng.start_ns) / 1e9;
		ur_report_stats(o, stdout, &eng.st);
	}
out:
	ur_conn_free(&c);
out_early:
	ur_session_engine_release(&eng);
	return rc;
}
