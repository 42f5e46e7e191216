/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The daemon's server: the listener, one forked process per connection,
 * and what that process does before the protocol session starts (the
 * mirror image of daemon/client.c; the order of the steps is rsync
 * 3.5.0's, so that a client sees the same lines in the same cases).
 */
#include "config.h"
#include "daemon/server.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "checksum/authsum.h"
#include "daemon/access.h"
#include "daemon/client.h"
#include "daemon/conf.h"
#include "io/net.h"
#include "proto/handshake.h"
#include "util/err.h"
#include "util/log.h"

/* rsync's BIGPATHBUFLEN: the longest line of the text exchange. */
#define LINE_MAX_LEN 4096
/* The most words a client may send (rsync's MAX_DAEMON_ARGS is 2048
 * after globbing) and the most bytes all of them may take. */
#define ARGS_MAX       2048
#define ARGS_BYTES_MAX (1 << 20)
#define DEFAULT_CONFIG "/etc/rsyncd.conf"
#define DEFAULT_PORT   873

/* ---- the daemon's log: "log file", else syslog ---- */

static int log_fd = -1;
static bool log_syslog;

static void log_open(const struct ur_dconf *c, const struct ur_opts *o)
{
	const char *path = o->log_file ? o->log_file : ur_dconf_str(c, NULL, UR_DP_LOG_FILE);
	if (log_fd >= 0 || log_syslog)
		return;
	if (*path) {
		log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (log_fd >= 0)
			return;
	}
	static const struct {
		const char *name;
		int facility;
	} facilities[] = {
	    {"auth", LOG_AUTH},	    {"authpriv", LOG_AUTHPRIV}, {"cron", LOG_CRON},
	    {"daemon", LOG_DAEMON}, {"ftp", LOG_FTP},		{"kern", LOG_KERN},
	    {"lpr", LOG_LPR},	    {"mail", LOG_MAIL},		{"news", LOG_NEWS},
	    {"security", LOG_AUTH}, {"syslog", LOG_SYSLOG},	{"user", LOG_USER},
	    {"uucp", LOG_UUCP},	    {"local0", LOG_LOCAL0},	{"local1", LOG_LOCAL1},
	    {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3},	{"local4", LOG_LOCAL4},
	    {"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6},	{"local7", LOG_LOCAL7},
	};
	const char *fname = ur_dconf_str(c, NULL, UR_DP_SYSLOG_FACILITY);
	int facility = LOG_DAEMON;
	for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (!strcmp(fname, facilities[i].name))
			facility = facilities[i].facility;
	/* the tag is kept: openlog does not copy it */
	static char tag[64];
	snprintf(tag, sizeof(tag), "%s",
		 *ur_dconf_str(c, NULL, UR_DP_SYSLOG_TAG) ? ur_dconf_str(c, NULL, UR_DP_SYSLOG_TAG)
							  : "rsyncd");
	openlog(tag, LOG_PID | LOG_NDELAY, facility);
	log_syslog = true;
}

static void dlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void dlog(const char *fmt, ...)
{
	char msg[1024], line[1200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_fd >= 0) {
		time_t t = time(NULL);
		struct tm tm;
		char ts[32];
		localtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%Y/%m/%d %H:%M:%S", &tm);
		int n = snprintf(line, sizeof(line), "%s [%d] %s\n", ts, (int)getpid(), msg);
		if (n > 0 && write(log_fd, line,
				   (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1) < 0) {
			/* the log is gone: nowhere to say so */
		}
	} else if (log_syslog) {
		syslog(LOG_INFO, "%s", msg);
	}
}

static void conf_log(void *ctx, const char *line)
{
	(void)ctx;
	dlog("%s", line);
}

/* ---- the text exchange on raw descriptors ---- */

struct dconn {
	const struct ur_opts *o;
	const struct ur_daemon_hooks *h;
	struct ur_dconf conf;
	const struct ur_dsect *mod;
	int fd_in, fd_out;
	bool rsh; /* started by a remote shell: no socket, messages on stderr */
	char addr[64], host[256];
	int protocol, remote_protocol;
	char client_digests[LINE_MAX_LEN];
	bool read_only;
	char user[256];
};

static int put(struct dconn *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int put(struct dconn *d, const char *fmt, ...)
{
	char buf[LINE_MAX_LEN + 64];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	size_t len = (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1;
	for (size_t off = 0; off < len;) {
		ssize_t w = write(d->fd_out, buf + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -EPIPE;
		off += (size_t)w;
	}
	return 0;
}

/* A line ending in '\n' (or a NUL when nul_ends): without it and any '\r'
 * before it. Returns its length, or -EPIPE at the end of the stream. A
 * longer line is cut at cap - 1 bytes, the rest dropped. */
static int get_line(struct dconn *d, char *buf, size_t cap, bool nul_ends)
{
	size_t n = 0;
	for (;;) {
		char ch;
		ssize_t r = read(d->fd_in, &ch, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -EPIPE;
		if (ch == '\n' || (nul_ends && ch == '\0'))
			break;
		if (ch == '\r' && !nul_ends)
			continue;
		if (n + 1 < cap)
			buf[n++] = ch;
	}
	buf[n] = '\0';
	return (int)n;
}

static int read_exact(struct dconn *d, char *buf, size_t len)
{
	for (size_t off = 0; off < len;) {
		ssize_t r = read(d->fd_in, buf + off, len - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -EPIPE;
		off += (size_t)r;
	}
	return 0;
}

/* ---- what ursync cannot do yet ---- */

/*
 * A parameter set to something ursync's daemon does not do yet, and
 * would serve less safely (or differently) by ignoring: its name, or
 * NULL. s NULL checks the global section's own parameters.
 */
static const char *unsupported(const struct ur_dconf *c, const struct ur_dsect *s)
{
	static const enum ur_dp strings[] = {
	    UR_DP_CHARSET,	  UR_DP_EARLY_EXEC, UR_DP_PRE_XFER_EXEC,  UR_DP_POST_XFER_EXEC,
	    UR_DP_NAME_CONVERTER, UR_DP_EXCLUDE,    UR_DP_EXCLUDE_FROM,	  UR_DP_INCLUDE,
	    UR_DP_INCLUDE_FROM,	  UR_DP_FILTER,	    UR_DP_INCOMING_CHMOD, UR_DP_OUTGOING_CHMOD,
	};
	static const enum ur_dp bools[] = {UR_DP_FAKE_SUPER, UR_DP_IGNORE_NONREADABLE};
	if (!s) {
		if (ur_dconf_bool(c, NULL, UR_DP_PROXY_PROTOCOL) == 1)
			return "proxy protocol";
		return NULL;
	}
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		if (*ur_dconf_str(c, s, strings[i]))
			return ur_dparms[strings[i]].name;
	for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++)
		if (ur_dconf_bool(c, s, bools[i]) == 1)
			return ur_dparms[bools[i]].name;
	/* no symlink munging yet: only a chroot keeps symlinks in the module */
	if (ur_dconf_bool(c, s, UR_DP_MUNGE_SYMLINKS) == 1)
		return "munge symlinks";
	if (ur_dconf_bool(c, s, UR_DP_USE_CHROOT) == 0)
		return "use chroot = no";
	if (strstr(ur_dconf_str(c, s, UR_DP_PATH), "/./"))
		return "path with /./";
	return NULL;
}

/* Every module's refusal, printed; true when there was one. */
static bool report_unsupported(const struct ur_dconf *c)
{
	bool any = false;
	const char *what = unsupported(c, NULL);
	if (what) {
		fprintf(stderr, "%s: rsyncd.conf: \"%s\" is not supported by ursync's daemon yet\n",
			ur_progname, what);
		any = true;
	}
	for (size_t i = 0; i < c->nmods; i++)
		if ((what = unsupported(c, &c->mods[i]))) {
			fprintf(stderr,
				"%s: rsyncd.conf: module [%s]: \"%s\" is not supported by ursync's "
				"daemon yet\n",
				ur_progname, c->mods[i].name, what);
			any = true;
		}
	if (!any && geteuid() != 0)
		for (size_t i = 0; i < c->nmods; i++)
			if (ur_dconf_bool(c, &c->mods[i], UR_DP_USE_CHROOT) < 0)
				/* unset: rsync falls back to no chroot when it cannot;
				 * ursync refuses the module to its clients instead */
				fprintf(
				    stderr,
				    "%s: warning: module [%s] will be refused: ursync's daemon "
				    "serves a module only inside a chroot yet, which needs root\n",
				    ur_progname, c->mods[i].name);
	if (any)
		fprintf(stderr,
			"%s: refusing to start rather than serve a module less safely than "
			"configured\n",
			ur_progname);
	return any;
}

/* ---- the steps of a connection ---- */

/* How long a client may take over each part of the text exchange before
 * the process ends (SIGALRM's default): rsync's bound, 60 seconds, or the
 * module's "timeout" when shorter. Without it a silent client would hold
 * a process and a "max connections" slot for ever. */
#define HANDSHAKE_TIMEOUT 60

static void handshake_deadline(const struct dconn *d, const struct ur_dsect *m)
{
	if (d->rsh)
		return; /* a remote shell's daemon holds no shared slot */
	int t = ur_dconf_int(&d->conf, m, UR_DP_TIMEOUT);
	alarm(t <= 0 || t > HANDSHAKE_TIMEOUT ? HANDSHAKE_TIMEOUT : (unsigned)t);
}

static void send_listing(struct dconn *d)
{
	for (size_t i = 0; i < d->conf.nmods; i++) {
		const struct ur_dsect *m = &d->conf.mods[i];
		if (ur_dconf_bool(&d->conf, m, UR_DP_LIST) == 1)
			put(d, "%-15s\t%s\n", m->name, ur_dconf_str(&d->conf, m, UR_DP_COMMENT));
	}
	put(d, "@RSYNCD: EXIT\n");
}

/* The greetings: ours (with the motd), then the client's. Returns 0 or -1
 * after telling the client. */
static int exchange_greetings(struct dconn *d)
{
	char line[LINE_MAX_LEN];
	int ours = UR_PROTOCOL_VERSION;
	if (put(d, "@RSYNCD: %d.0 %s\n", ours, ur_authsum_list()) < 0)
		return -1;
	const char *motd = ur_dconf_str(&d->conf, NULL, UR_DP_MOTD_FILE);
	if (*motd) {
		int fd = open(motd, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd >= 0) {
			char buf[4096];
			ssize_t n;
			while ((n = read(fd, buf, sizeof(buf))) > 0)
				for (ssize_t off = 0; off < n;) {
					ssize_t w = write(d->fd_out, buf + off, (size_t)(n - off));
					if (w <= 0) {
						close(fd);
						return -1;
					}
					off += w;
				}
			close(fd);
		}
		put(d, "\n");
	}
	if (get_line(d, line, sizeof(line), false) < 0)
		return -1;
	int theirs = 0, sub = -1;
	if (sscanf(line, "@RSYNCD: %d.%d", &theirs, &sub) < 1) {
		put(d, "@ERROR: protocol startup error\n");
		return -1;
	}
	if (sub < 0) {
		if (theirs >= 30) {
			put(d, "@ERROR: your client omitted the subprotocol value: %s\n", line);
			return -1;
		}
		sub = 0;
	}
	const char *list = strchr(line + 9, ' ');
	if (list)
		snprintf(d->client_digests, sizeof(d->client_digests), "%s", list + 1);
	else if (theirs > 31) {
		put(d, "@ERROR: your client omitted the digest name list: %s\n", line);
		return -1;
	}
	d->protocol = ur_daemon_protocol(ours, theirs, sub);
	d->remote_protocol = theirs;
	return 0;
}

/* One connection slot of "max connections", as rsync claims them: a
 * write lock on one 4-byte record of the lock file per client (0: no
 * limit, below 0: nobody). Returns 0
 * (the descriptor stays open for the life of the process), 1 when every
 * slot is taken, -errno when the file cannot be opened. */
static int claim_slot(const char *path, int max)
{
	if (max == 0)
		return 0;
	if (max < 0)
		return 1; /* a negative count closes the module */
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	for (int i = 0; i < max; i++) {
		struct flock fl = {
		    .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = (off_t)i * 4, .l_len = 4};
		if (fcntl(fd, F_SETLK, &fl) == 0)
			return 0;
	}
	close(fd);
	return 1;
}

/* Is user in a group whose name matches pattern? (auth users "@group") */
static const char *user_in_group(const char *user, const char *pattern)
{
	static char found[256];
	struct passwd *pw = getpwnam(user);
	if (!pw)
		return NULL;
	gid_t groups[256];
	int n = 256;
	if (getgrouplist(user, pw->pw_gid, groups, &n) < 0)
		return NULL;
	for (int i = 0; i < n; i++) {
		struct group *gr = getgrgid(groups[i]);
		if (gr && !fnmatch(pattern, gr->gr_name, 0)) {
			snprintf(found, sizeof(found), "%s", gr->gr_name);
			return found;
		}
	}
	return NULL;
}

/* The secrets file's verdict on user (or group) answering challenge with
 * resp: NULL when right, else rsync's reason. */
static const char *check_secret(struct dconn *d, const char *digest, const char *user,
				const char *group, const char *challenge, const char *resp)
{
	const char *fname = ur_dconf_str(&d->conf, d->mod, UR_DP_SECRETS_FILE);
	if (!*fname)
		return "no secrets file";
	int fd = open(fname, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return "no secrets file";
	struct stat st;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return "ignoring secrets file";
	}
	if (ur_dconf_bool(&d->conf, d->mod, UR_DP_STRICT_MODES) != 0) {
		if (st.st_mode & 06) {
			dlog("secrets file must not be other-accessible (see strict modes option)");
			close(fd);
			return "ignoring secrets file";
		}
		if (geteuid() == 0 && st.st_uid != 0) {
			dlog("secrets file must be owned by root when running as root (see strict "
			     "modes)");
			close(fd);
			return "ignoring secrets file";
		}
	}
	FILE *f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return "no secrets file";
	}
	if (*user == '#') {
		fclose(f);
		return "invalid username";
	}
	const char *err = "secret not found";
	char line[1024], want[2 * UR_AUTHSUM_MAX_LEN + 8];
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *s = strtok_r(line, "\n\r", &save);
		const char *who = user;
		if (!s)
			continue;
		if (*s == '@') {
			who = group;
			s++;
		}
		size_t len = who ? strlen(who) : 0;
		if (!who || strncmp(s, who, len) || s[len] != ':')
			continue;
		if (ur_authsum_response(digest, s + len + 1, challenge, want, sizeof(want)) < 0)
			continue;
		if (!strcmp(want, resp)) {
			err = NULL;
			break;
		}
		err = "password mismatch";
	}
	memset(line, 0, sizeof(line));
	fclose(f);
	return err;
}

/* The challenge: the digest of 32 bytes from the kernel's generator and
 * the client's address and the time, base64 as rsync sends it. */
static int make_challenge(const char *digest, const char *addr, char *out, size_t cap)
{
	unsigned char rnd[32];
	char r64[64], mix[128];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	bool ok = fd >= 0 && read(fd, rnd, sizeof(rnd)) == (ssize_t)sizeof(rnd);
	if (fd >= 0)
		close(fd);
	if (!ok)
		return -EIO; /* no challenge an observer could not guess */
	if (ur_base64(rnd, sizeof(rnd), false, r64, sizeof(r64)) < 0)
		return -EINVAL;
	struct timeval tv;
	gettimeofday(&tv, NULL);
	snprintf(mix, sizeof(mix), "%.16s%ld.%ld.%d", addr, (long)tv.tv_sec, (long)tv.tv_usec,
		 (int)getpid());
	return ur_authsum_response(digest, r64, mix, out, cap) < 0 ? -EINVAL : 0;
}

/* "auth users": the challenge and the client's answer. Returns 0 with
 * d->user set (empty when the module needs no auth), or -1 after the
 * "@ERROR: auth failed" line. */
static int authenticate(struct dconn *d)
{
	const char *users = ur_dconf_str(&d->conf, d->mod, UR_DP_AUTH_USERS);
	const char *name = d->mod->name;
	d->user[0] = '\0';
	if (!*users)
		return 0;
	const char *digest = ur_authsum_choose(*d->client_digests ? d->client_digests : "md5");
	if (!digest) {
		put(d,
		    "@ERROR: your client does not support one of our daemon-auth checksums: %s\n",
		    ur_authsum_list());
		return -1;
	}
	const char *floor = ur_dconf_str(&d->conf, d->mod, UR_DP_AUTH_DIGEST);
	if (*floor) {
		/* our list is strongest first: later is weaker */
		const char *all = ur_authsum_list(), *f = strstr(all, floor),
			   *g = strstr(all, digest);
		if (!f || !ur_authsum_known(floor, strlen(floor)) || g > f) {
			dlog("auth failed on module %s from %s (%s): negotiated auth digest %s is "
			     "weaker than the required 'auth digest = %s'",
			     name, d->host, d->addr, digest, floor);
			put(d, "@ERROR: auth failed on module %s\n", name);
			return -1;
		}
	}
	char challenge[2 * UR_AUTHSUM_MAX_LEN + 8], line[LINE_MAX_LEN];
	if (make_challenge(digest, d->addr, challenge, sizeof(challenge)) < 0) {
		dlog("auth failed on module %s: no random bytes for a challenge", name);
		put(d, "@ERROR: auth failed on module %s\n", name);
		return -1;
	}
	put(d, "@RSYNCD: AUTHREQD %s\n", challenge);
	char *resp;
	if (get_line(d, line, sizeof(line), false) < 0 || !(resp = strchr(line, ' '))) {
		dlog("auth failed on module %s from %s (%s): invalid challenge response", name,
		     d->host, d->addr);
		put(d, "@ERROR: auth failed on module %s\n", name);
		return -1;
	}
	*resp++ = '\0';

	char *list = strdup(users), *save = NULL, *tok;
	char opt = '\0';
	const char *group = NULL;
	if (!list)
		return -1;
	/* rsync's conf_strtok: a leading comma splits on commas alone */
	const char *seps = *list == ',' ? "," : " ,\t";
	for (tok = strtok_r(list, seps, &save); tok; tok = strtok_r(NULL, seps, &save)) {
		char *o = strchr(tok, ':');
		opt = '\0';
		if (o) {
			*o++ = '\0';
			char c0 = (char)tolower((unsigned char)o[0]),
			     c1 = (char)tolower((unsigned char)o[1]);
			opt = c0 == 'd'		       ? 'd'
			      : c0 == 'r' && c1 == 'o' ? 'r'
			      : c0 == 'r' && c1 == 'w' ? 'w'
						       : '\0';
		}
		if (*tok != '@') {
			if (!fnmatch(tok, line, 0))
				break;
		} else if ((group = user_in_group(line, tok + 1))) {
			break;
		}
	}
	const char *err = !tok	       ? "no matching rule"
			  : opt == 'd' ? "denied by rule"
				       : check_secret(d, digest, line, group, challenge, resp);
	free(list);
	if (err) {
		dlog("auth failed on module %s from %s (%s) for %s: %s", name, d->host, d->addr,
		     line, err);
		put(d, "@ERROR: auth failed on module %s\n", name);
		return -1;
	}
	if (opt == 'r')
		d->read_only = true;
	else if (opt == 'w')
		d->read_only = false;
	snprintf(d->user, sizeof(d->user), "%s", line);
	return 0;
}

static bool name_to_uid(const char *s, uid_t *uid)
{
	struct passwd *pw = getpwnam(s);
	char *end;
	if (pw) {
		*uid = pw->pw_uid;
		return true;
	}
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end)
		return false;
	*uid = (uid_t)v;
	return true;
}

static bool name_to_gid(const char *s, gid_t *gid)
{
	struct group *gr = getgrnam(s);
	char *end;
	if (gr) {
		*gid = gr->gr_gid;
		return true;
	}
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end)
		return false;
	*gid = (gid_t)v;
	return true;
}

/* The module's uid and gids (rsync's defaults for root: nobody and the
 * nobody group). Returns 0 or -1 after the @ERROR line. */
static int module_ids(struct dconn *d, bool *set_uid, uid_t *uid, gid_t *gids, int *ngids)
{
	const char *u = ur_dconf_str(&d->conf, d->mod, UR_DP_UID);
	bool root = geteuid() == 0;
	*set_uid = false;
	*ngids = 0;
	if (*u || root) {
		if (!*u)
			u = "nobody";
		if (!name_to_uid(u, uid)) {
			dlog("Invalid uid %s", u);
			put(d, "@ERROR: invalid uid %s\n", u);
			return -1;
		}
		*set_uid = true;
	}
	char *g = strdup(ur_dconf_str(&d->conf, d->mod, UR_DP_GID)), *save = NULL;
	if (!g)
		return -1;
	const char *seps = *g == ',' ? "," : " ,\t";
	for (char *tok = strtok_r(g, seps, &save); tok; tok = strtok_r(NULL, seps, &save)) {
		if (!strcmp(tok, "*") && *ngids == 0) {
			struct passwd *pw = getpwuid(*uid);
			int n = 64;
			if (!pw || getgrouplist(pw->pw_name, pw->pw_gid, gids, &n) < 0) {
				free(g);
				dlog("getgrouplist failed");
				put(d, "@ERROR: getgrouplist failed\n");
				return -1;
			}
			*ngids = n;
			continue;
		}
		if (*ngids >= 64 || !name_to_gid(tok, &gids[*ngids])) {
			dlog("Invalid gid %s", tok);
			put(d, "@ERROR: invalid gid %s\n", tok);
			free(g);
			return -1;
		}
		(*ngids)++;
	}
	free(g);
	if (!*ngids && root) {
		if (!name_to_gid("nobody", &gids[0]) && !name_to_gid("nogroup", &gids[0])) {
			put(d, "@ERROR: invalid gid nobody\n");
			return -1;
		}
		*ngids = 1;
	}
	return 0;
}

/* The client's words: options, then ".", then paths that start with the
 * module's name (dropped here, as rsync drops it) and may hold several
 * paths split at " MODULE/"; each path is globbed. Returns argc, or -1. */
static int read_args(struct dconn *d, char ***argvp, char *request, size_t rcap, bool secluded)
{
	char buf[LINE_MAX_LEN];
	size_t cap = 16, total = 0;
	int argc = 0;
	bool dot = false;
	char **argv = malloc(cap * sizeof(*argv));
	const char *mod = d->mod->name;
	size_t mlen = strlen(mod);
	char sep[LINE_MAX_LEN];

	snprintf(sep, sizeof(sep), " %s/", mod);
	request[0] = '\0';
	if (!argv)
		return -1;
	/* the secluded list brings its own first word */
	if (!secluded)
		argv[argc++] = strdup("rsyncd");
	for (;;) {
		int n = get_line(d, buf, sizeof(buf), true);
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		total += (size_t)n;
		if (total > ARGS_BYTES_MAX || argc >= ARGS_MAX) {
			dlog("too many daemon arguments");
			goto fail;
		}
		char *pieces[64];
		int np = 0;
		if (!dot) {
			pieces[np++] = buf;
			if (!strcmp(buf, "."))
				dot = true;
		} else {
			size_t rl = strlen(request);
			snprintf(request + rl, rcap - rl, "%s%s", rl ? " " : "", buf);
			char *p = buf;
			if (!strncmp(p, mod, mlen))
				p += mlen;
			/* a secluded path is one path, never split */
			while (np < 63 && !secluded) {
				char *next = strstr(p, sep);
				if (next)
					*next = '\0';
				pieces[np++] = p;
				if (!next)
					break;
				p = next + mlen + 1;
			}
			if (secluded)
				pieces[np++] = p;
		}
		for (int i = 0; i < np; i++) {
			glob_t g;
			const char *one = dot && !*pieces[i] ? "." : pieces[i];
			bool globbed =
			    dot && strpbrk(one, "*?[") && glob(one, GLOB_NOCHECK, NULL, &g) == 0;
			size_t cnt = globbed ? g.gl_pathc : 1;
			if (argc + (int)cnt + 2 > ARGS_MAX) {
				if (globbed)
					globfree(&g);
				dlog("too many daemon arguments");
				goto fail;
			}
			while ((size_t)argc + cnt + 2 > cap) {
				cap *= 2;
				char **nv = realloc(argv, cap * sizeof(*nv));
				if (!nv) {
					if (globbed)
						globfree(&g);
					goto fail;
				}
				argv = nv;
			}
			for (size_t k = 0; k < cnt; k++)
				argv[argc++] = strdup(globbed ? g.gl_pathv[k] : one);
			if (globbed)
				globfree(&g);
		}
	}
	argv[argc] = NULL;
	for (int i = 0; i < argc; i++)
		if (!argv[i])
			goto fail;
	*argvp = argv;
	return argc;
fail:
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
	return -1;
}

/* The client asked us to send? (only to know the role of an error) */
static bool args_say_sender(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "."); i++)
		if (!strcmp(argv[i], "--sender"))
			return true;
	return false;
}

/* Did the client send -s (its words follow as a second list)? */
static bool args_say_secluded(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "."); i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--secluded-args") || !strcmp(a, "--protect-args"))
			return true;
		/* in a bundle ("-svlogDtpre.iLsfxCIvu") up to the letter whose
		 * value is the rest of the word */
		if (a[0] == '-' && a[1] != '-')
			for (const char *c = a + 1; *c && !strchr("eBTM@f", *c); c++)
				if (*c == 's')
					return true;
	}
	return false;
}

static void free_args(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}

/* A connection: the steps of rsync's start_daemon and rsync_module.
 * Returns the exit code of the connection's process. */
static int serve_conn(struct dconn *d, const char *config)
{
	char line[LINE_MAX_LEN];
	struct ur_dconf_io io = ur_dconf_file_io(conf_log, NULL);
	const struct ur_opts *o = d->o;

	ur_dconf_init(&d->conf);
	if (ur_dconf_load(&d->conf, config, false, o->dparams, o->dparam_count, &io) < 0)
		return UR_EXIT_SYNTAX;
	log_open(&d->conf, o);

	/* daemon chroot, daemon gid, daemon uid */
	const char *p = ur_dconf_str(&d->conf, NULL, UR_DP_DAEMON_CHROOT);
	if (*p && (chroot(p) < 0 || chdir("/") < 0)) {
		dlog("daemon chroot(\"%s\") failed: %s", p, strerror(errno));
		return UR_EXIT_SYNTAX;
	}
	p = ur_dconf_str(&d->conf, NULL, UR_DP_DAEMON_GID);
	gid_t dg;
	if (*p && (!name_to_gid(p, &dg) || setgid(dg) < 0 || setgroups(1, &dg) < 0)) {
		dlog("Invalid daemon gid: %s", p);
		return UR_EXIT_SYNTAX;
	}
	p = ur_dconf_str(&d->conf, NULL, UR_DP_DAEMON_UID);
	uid_t du;
	if (*p && (!name_to_uid(p, &du) || setuid(du) < 0)) {
		dlog("Invalid daemon uid: %s", p);
		return UR_EXIT_SYNTAX;
	}

	/* who is there */
	bool reverse = ur_dconf_bool(&d->conf, NULL, UR_DP_REVERSE_LOOKUP) != 0;
	for (size_t i = 0; !reverse && i < d->conf.nmods; i++)
		reverse = ur_dconf_bool(&d->conf, &d->conf.mods[i], UR_DP_REVERSE_LOOKUP) != 0;
	if (ur_net_is_socket(d->fd_in)) {
		ur_net_peer(d->fd_in, d->addr, sizeof(d->addr), reverse ? d->host : NULL,
			    sizeof(d->host));
	} else {
		/* a remote shell: sshd says who connected */
		const char *ssh = getenv("SSH_CONNECTION");
		snprintf(d->addr, sizeof(d->addr), "%.*s", ssh ? (int)strcspn(ssh, " ") : 7,
			 ssh ? ssh : "0.0.0.0");
		snprintf(d->host, sizeof(d->host), "UNKNOWN");
	}
	if (!reverse)
		snprintf(d->host, sizeof(d->host), "UNDETERMINED");
	dlog("connect from %s (%s)", d->host, d->addr);
	handshake_deadline(d, NULL);

	if (exchange_greetings(d) < 0)
		return UR_EXIT_STARTCLIENT;
	if (get_line(d, line, sizeof(line), false) < 0)
		return UR_EXIT_STARTCLIENT;
	if (!strncmp(line, "#early_input=", 13)) {
		/* the data for an early exec, which ursync does not run: read and
		 * dropped */
		long len = strtol(line + 13, NULL, 10);
		char buf[LINE_MAX_LEN + 1024];
		if (len <= 0 || len > (long)sizeof(buf)) {
			put(d, "@ERROR: invalid early_input length\n");
			return UR_EXIT_STARTCLIENT;
		}
		if (read_exact(d, buf, (size_t)len) < 0 ||
		    get_line(d, line, sizeof(line), false) < 0)
			return UR_EXIT_STARTCLIENT;
	}
	if (!*line || !strcmp(line, "#list")) {
		dlog("module-list request from %s (%s)", d->host, d->addr);
		send_listing(d);
		return 0;
	}
	if (*line == '#') {
		put(d, "@ERROR: Unknown command '%s'\n", line);
		return UR_EXIT_STARTCLIENT;
	}
	d->mod = ur_dconf_module(&d->conf, line);
	if (!d->mod) {
		dlog("unknown module '%s' tried from %s (%s)", line, d->host, d->addr);
		put(d, "@ERROR: Unknown module '%s'\n", line);
		return UR_EXIT_STARTCLIENT;
	}
	if (d->protocol < 30) {
		/* ursync transfers with protocol 30 and later only (a listing
		 * above is the same for older clients) */
		dlog("protocol %d client refused from %s (%s)", d->remote_protocol, d->host,
		     d->addr);
		put(d, "@ERROR: protocol version mismatch -- ursync's daemon needs protocol 30 or "
		       "later\n");
		return UR_EXIT_PROTOCOL;
	}
	const struct ur_dsect *m = d->mod;
	const char *name = m->name;
	setenv("RSYNC_MODULE_NAME", name, 1);
	setenv("RSYNC_HOST_NAME", d->host, 1);
	setenv("RSYNC_HOST_ADDR", d->addr, 1);

	if (!ur_daemon_access_ok(ur_dconf_str(&d->conf, m, UR_DP_HOSTS_ALLOW),
				 ur_dconf_str(&d->conf, m, UR_DP_HOSTS_DENY), d->addr, d->host,
				 ur_dconf_bool(&d->conf, m, UR_DP_FORWARD_LOOKUP) != 0)) {
		dlog("rsync denied on module %s from %s (%s)", name, d->host, d->addr);
		if (ur_dconf_bool(&d->conf, m, UR_DP_LIST) != 1)
			put(d, "@ERROR: Unknown module '%s'\n", name);
		else
			put(d, "@ERROR: access denied to %s from %s (%s)\n", name, d->host,
			    d->addr);
		return UR_EXIT_STARTCLIENT;
	}
	const char *why = unsupported(&d->conf, m);
	if (why) {
		dlog("module %s uses \"%s\", which ursync's daemon does not support yet", name,
		     why);
		put(d, "@ERROR: module %s uses \"%s\", which this daemon does not support yet\n",
		    name, why);
		return UR_EXIT_STARTCLIENT;
	}
	if (!d->rsh)
		dlog("rsync allowed access on module %s from %s (%s)", name, d->host, d->addr);

	int maxc = ur_dconf_int(&d->conf, m, UR_DP_MAX_CONNECTIONS);
	int slot = claim_slot(ur_dconf_str(&d->conf, m, UR_DP_LOCK_FILE), maxc);
	if (slot < 0) {
		dlog("failed to open lock file %s: %s", ur_dconf_str(&d->conf, m, UR_DP_LOCK_FILE),
		     strerror(-slot));
		put(d, "@ERROR: failed to open lock file\n");
		return UR_EXIT_STARTCLIENT;
	}
	if (slot > 0) {
		dlog("max connections (%d) reached", maxc);
		put(d, "@ERROR: max connections (%d) reached -- try again later\n", maxc);
		return UR_EXIT_STARTCLIENT;
	}

	d->read_only = ur_dconf_bool(&d->conf, m, UR_DP_READ_ONLY) != 0;
	handshake_deadline(d, m);
	if (authenticate(d) < 0)
		return UR_EXIT_STARTCLIENT;
	setenv("RSYNC_USER_NAME", d->user, 1);
	alarm(0); /* local work from here to the arguments */

	bool set_uid;
	uid_t uid = 0;
	gid_t gids[64];
	int ngids;
	if (module_ids(d, &set_uid, &uid, gids, &ngids) < 0)
		return UR_EXIT_STARTCLIENT;

	char *path = ur_dconf_expand(ur_dconf_str(&d->conf, m, UR_DP_PATH));
	if (!path)
		return UR_EXIT_MALLOC;
	if (!*path) {
		free(path);
		dlog("No path specified for module %s", name);
		put(d, "@ERROR: no path setting.\n");
		return UR_EXIT_STARTCLIENT;
	}
	setenv("RSYNC_MODULE_PATH", path, 1);
	/* "use chroot" unset: on when chroot works (as root); ursync serves a
	 * module only inside its chroot (no symlink munging yet) */
	tzset();
	if (chroot(path) < 0) {
		int e = errno;
		dlog("chroot(\"%s\") failed: %s (%d)", path, strerror(e), e);
		if (ur_dconf_bool(&d->conf, m, UR_DP_USE_CHROOT) < 0 && e == EPERM)
			put(d,
			    "@ERROR: module %s needs \"use chroot\", which needs root: this "
			    "daemon does not serve a module without chroot yet\n",
			    name);
		else
			put(d, "@ERROR: chroot failed\n");
		free(path);
		return UR_EXIT_STARTCLIENT;
	}
	free(path);
	if (chdir("/") < 0) {
		dlog("chdir / failed: %s", strerror(errno));
		put(d, "@ERROR: chdir failed\n");
		return UR_EXIT_STARTCLIENT;
	}
	if (ngids) {
		if (setgid(gids[0]) < 0) {
			dlog("setgid %ld failed: %s", (long)gids[0], strerror(errno));
			put(d, "@ERROR: setgid failed\n");
			return UR_EXIT_STARTCLIENT;
		}
		if (setgroups((size_t)ngids, gids) < 0) {
			dlog("setgroups failed: %s", strerror(errno));
			put(d, "@ERROR: setgroups failed\n");
			return UR_EXIT_STARTCLIENT;
		}
	}
	if (set_uid && (setuid(uid) < 0 || seteuid(uid) < 0)) {
		dlog("setuid %ld failed: %s", (long)uid, strerror(errno));
		put(d, "@ERROR: setuid failed\n");
		return UR_EXIT_STARTCLIENT;
	}

	handshake_deadline(d, m);
	put(d, "@RSYNCD: OK\n");

	char **argv = NULL, request[1024];
	int argc = read_args(d, &argv, request, sizeof(request), false);
	if (argc > 0 && args_say_secluded(argc, argv)) {
		/* -s: the "." and the paths follow as a second list (rsync's
		 * protected args, after a first word of its own); the options
		 * of the first list still count */
		char **more = NULL;
		int n = read_args(d, &more, request, sizeof(request), true);
		char **all = n > 0 ? realloc(argv, (size_t)(argc + n) * sizeof(*argv)) : NULL;
		if (!all) {
			if (n > 0)
				free_args(n, more);
			free_args(argc, argv);
			return UR_EXIT_PROTOCOL;
		}
		argv = all;
		free(more[0]);
		memcpy(argv + argc, more + 1, (size_t)n * sizeof(*more)); /* with the NULL */
		argc += n - 1;
		free(more);
	}
	alarm(0);
	if (argc < 0)
		return UR_EXIT_PROTOCOL;

	struct ur_opts co;
	char msg[2048];
	msg[0] = '\0';
	ur_opts_init(&co);
	const char *refuse = ur_dconf_str(&d->conf, m, UR_DP_REFUSE_OPTIONS);
	int rc = d->h->parse(&co, argc, argv, refuse, *ur_dconf_str(&d->conf, m, UR_DP_CHARSET),
			     msg, sizeof(msg));
	co.secluded_args = false; /* how the words came: done with here */
	if (rc == 0 && (co.daemon || !co.server)) {
		snprintf(msg, sizeof(msg),
			 "%s: Error parsing options: option may be supported on "
			 "client but not on server?\n",
			 ur_progname);
		rc = UR_EXIT_UNSUPPORTED;
	}
	if (rc != 0) {
		/* tell the client once the protocol runs, as rsync does */
		ur_opts_release(&co);
		ur_opts_init(&co);
		co.server = true;
		co.sender = args_say_sender(argc, argv);
		if (!msg[0])
			snprintf(msg, sizeof(msg),
				 "%s: Error parsing options: option may be supported on client "
				 "but not on server?\n",
				 ur_progname);
		dlog("%.*s", (int)strcspn(msg, "\n"), msg);
		rc = d->h->serve(&co, d->fd_in, d->fd_out, d->protocol, d->remote_protocol, msg,
				 UR_EXIT_UNSUPPORTED);
		goto out;
	}
	if (*request && *d->user)
		dlog("rsync %s %s from %s@%s (%s)", co.sender ? "on" : "to", request, d->user,
		     d->host, d->addr);
	else if (*request)
		dlog("rsync %s %s from %s (%s)", co.sender ? "on" : "to", request, d->host,
		     d->addr);

	/* the module's say over what the client asked */
	int t = ur_dconf_int(&d->conf, m, UR_DP_TIMEOUT);
	if (t > 0 && (!co.timeout || t < co.timeout))
		co.timeout = t;
	const char *tmp = ur_dconf_str(&d->conf, m, UR_DP_TEMP_DIR);
	if (*tmp)
		co.temp_dir = tmp;
	if (ur_dconf_bool(&d->conf, m, UR_DP_NUMERIC_IDS) == 1)
		co.numeric_ids = true;
	if (ur_dconf_bool(&d->conf, m, UR_DP_IGNORE_ERRORS) == 1)
		co.ignore_errors = true;
	const char *error = NULL;
	if (co.sender && ur_dconf_bool(&d->conf, m, UR_DP_WRITE_ONLY) == 1)
		error = "ERROR: module is write only\n";
	else if (co.sender && d->read_only && co.remove_source_files)
		error = "ERROR: --remove-source-files cannot be used with a read-only module\n";
	else if (!co.sender && d->read_only)
		error = "ERROR: module is read only\n";
	rc = d->h->serve(&co, d->fd_in, d->fd_out, d->protocol, d->remote_protocol, error,
			 UR_EXIT_SYNTAX);
out:
	ur_opts_release(&co);
	free_args(argc, argv);
	return rc;
}

/* ---- the listener ---- */

static const char *pid_path;

static void on_term(int sig)
{
	(void)sig;
	if (pid_path)
		unlink(pid_path);
	_exit(0);
}

static int write_pid_file(const char *path)
{
	if (!*path)
		return 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		dlog("failed to create pid file %s: %s", path, strerror(errno));
		fprintf(stderr, "failed to create pid file %s: %s\n", path, strerror(errno));
		return -1;
	}
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	bool ok = write(fd, buf, (size_t)n) == n;
	close(fd);
	if (!ok)
		return -1;
	pid_path = path;
	return 0;
}

static int listener(const struct ur_opts *o, const struct ur_daemon_hooks *h, const char *config)
{
	struct ur_dconf conf;
	struct ur_dconf_io io = ur_dconf_file_io(conf_log, NULL);
	struct ur_err err = {0};
	int fds[UR_NET_LISTEN_MAX], n, rc;

	ur_dconf_init(&conf);
	if (o->log_file)
		log_open(&conf, o); /* what is wrong with the file goes there too */
	if (ur_dconf_load(&conf, config, true, o->dparams, o->dparam_count, &io) < 0) {
		fprintf(stderr, "Failed to parse config file: %s\n", config);
		ur_dconf_release(&conf);
		return UR_EXIT_SYNTAX;
	}
	/* what ursync cannot do is known before anyone connects: the whole
	 * file is read for it (rsync reads modules per connection) */
	{
		struct ur_dconf full;
		struct ur_dconf_io quiet = ur_dconf_file_io(NULL, NULL);
		ur_dconf_init(&full);
		if (ur_dconf_load(&full, config, false, o->dparams, o->dparam_count, &quiet) == 0 &&
		    report_unsupported(&full)) {
			ur_dconf_release(&full);
			ur_dconf_release(&conf);
			return UR_EXIT_SYNTAX;
		}
		ur_dconf_release(&full);
	}
	log_open(&conf, o);
	int port = o->port ? o->port : ur_dconf_int(&conf, NULL, UR_DP_PORT);
	if (!port)
		port = DEFAULT_PORT;
	const char *addr = o->address ? o->address : ur_dconf_str(&conf, NULL, UR_DP_ADDRESS);
	const char *sockopts =
	    o->sockopts ? o->sockopts : ur_dconf_str(&conf, NULL, UR_DP_SOCKET_OPTIONS);
	n = ur_net_listen(*addr ? addr : NULL, port, o->ipv,
			  ur_dconf_int(&conf, NULL, UR_DP_LISTEN_BACKLOG), sockopts, fds,
			  UR_NET_LISTEN_MAX, &err);
	if (n < 0) {
		/* rsync's daemon says this in its log only */
		if (err.errnum)
			dlog("bind() failed: %s (%d)", strerror(err.errnum), err.errnum);
		dlog("%s", err.msg);
		rc = err.code ? err.code : UR_EXIT_SOCKETIO;
		dlog("%s error: %s (code %d)", ur_progname, ur_exit_text(rc), rc);
		ur_dconf_release(&conf);
		return rc;
	}
	if (!o->no_detach) {
		fflush(NULL);
		pid_t pid = fork();
		if (pid < 0) {
			fprintf(stderr, "failed to fork: %s\n", strerror(errno));
			return UR_EXIT_FILEIO;
		}
		if (pid)
			_exit(0);
		setsid();
		for (int i = 0; i < 3; i++) {
			close(i);
			if (open("/dev/null", O_RDWR) < 0)
				break;
		}
	}
	char *pidfile = strdup(ur_dconf_str(&conf, NULL, UR_DP_PID_FILE));
	if (!pidfile || write_pid_file(pidfile) < 0) {
		free(pidfile);
		return UR_EXIT_FILEIO;
	}
	dlog("ursyncd version %s starting, listening on port %d", UR_VERSION, port);
	ur_dconf_release(&conf);

	signal(SIGCHLD, SIG_IGN); /* no zombies: nobody waits for a connection */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	signal(SIGHUP, on_term);
	for (;;) {
		int s = ur_net_accept(fds, n);
		if (s < 0) {
			/* out of descriptors or memory: wait rather than spin */
			if (s != -EINTR && s != -EAGAIN && s != -ECONNABORTED)
				usleep(100 * 1000);
			continue;
		}
		pid_t pid = fork();
		if (pid < 0)
			dlog("fork failed: %s", strerror(errno));
		if (pid == 0) {
			for (int i = 0; i < n; i++)
				close(fds[i]);
			signal(SIGCHLD, SIG_DFL);
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			signal(SIGHUP, SIG_DFL);
			pid_path = NULL;
			int one = 1;
			(void)setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
			struct dconn d = {.o = o, .h = h, .fd_in = s, .fd_out = dup(s)};
			if (d.fd_out < 0)
				_exit(UR_EXIT_SOCKETIO);
			rc = serve_conn(&d, config);
			ur_dconf_release(&d.conf);
			_exit(rc);
		}
		close(s);
	}
}

int ur_daemon_main(struct ur_opts *o, const struct ur_daemon_hooks *h)
{
	const char *config = o->config ? o->config : DEFAULT_CONFIG;
	struct dconn d = {.o = o, .h = h};
	int rc;

	if (o->server) {
		/* --server --daemon: one client over a remote shell */
		d.fd_in = STDIN_FILENO;
		d.fd_out = STDOUT_FILENO;
		d.rsh = true;
		rc = serve_conn(&d, config);
		ur_dconf_release(&d.conf);
		return rc;
	}
	if (ur_net_is_socket(STDIN_FILENO)) {
		/* inetd (or RSYNC_CONNECT_PROG): the connection is descriptor 0;
		 * stdout and stderr are not for messages */
		for (int i = 1; i < 3; i++) {
			close(i);
			if (open("/dev/null", O_RDWR) < 0)
				break;
		}
		d.fd_in = STDIN_FILENO;
		if ((d.fd_out = dup(STDIN_FILENO)) < 0)
			return UR_EXIT_SOCKETIO;
		rc = serve_conn(&d, config);
		ur_dconf_release(&d.conf);
		return rc;
	}
	return listener(o, h, config);
}
