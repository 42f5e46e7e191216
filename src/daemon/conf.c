/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * rsyncd.conf, read with rsync 3.5.0's rules as observed from its daemon
 * (docs/daemon.md): the lexical part (what a line is) and the table of
 * parameters (what a name means). File access goes through struct
 * ur_dconf_io; conf_file.c has the one that reads the disk.
 */
#include "daemon/conf.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* &include inside &include: rsync has no bound; a loop must end. */
#define INCLUDE_DEPTH_MAX 16
/* A longer line or value is refused rather than grown without end. */
#define TOKEN_MAX (64 * 1024)

#define B(name, def)                                                                               \
	{                                                                                          \
		name, UR_DPT_BOOL, def                                                             \
	}
#define S(name, def)                                                                               \
	{                                                                                          \
		name, UR_DPT_STRING, def                                                           \
	}

const struct ur_dparm ur_dparms[UR_DP_COUNT] = {
    [UR_DP_ADDRESS] = S("address", NULL),
    [UR_DP_DAEMON_CHROOT] = S("daemon chroot", NULL),
    [UR_DP_DAEMON_GID] = S("daemon gid", NULL),
    [UR_DP_DAEMON_UID] = S("daemon uid", NULL),
    [UR_DP_MOTD_FILE] = S("motd file", NULL),
    [UR_DP_PID_FILE] = S("pid file", NULL),
    [UR_DP_PROXY_PROTOCOL_HOSTS] = S("proxy protocol hosts", NULL),
    [UR_DP_SOCKET_OPTIONS] = S("socket options", NULL),
    [UR_DP_LISTEN_BACKLOG] = {"listen backlog", UR_DPT_INT, "5"},
    [UR_DP_PORT] = {"port", UR_DPT_INT, "0"},
    [UR_DP_PROXY_PROTOCOL] = B("proxy protocol", "0"),
    [UR_DP_AUTH_DIGEST] = S("auth digest", NULL),
    [UR_DP_AUTH_USERS] = S("auth users", NULL),
    [UR_DP_CHARSET] = S("charset", NULL),
    [UR_DP_COMMENT] = S("comment", NULL),
    [UR_DP_DONT_COMPRESS] = S("dont compress", NULL),
    [UR_DP_EARLY_EXEC] = S("early exec", NULL),
    [UR_DP_EXCLUDE] = S("exclude", NULL),
    [UR_DP_EXCLUDE_FROM] = S("exclude from", NULL),
    [UR_DP_FILTER] = S("filter", NULL),
    [UR_DP_GID] = S("gid", NULL),
    [UR_DP_HOSTS_ALLOW] = S("hosts allow", NULL),
    [UR_DP_HOSTS_DENY] = S("hosts deny", NULL),
    [UR_DP_INCLUDE] = S("include", NULL),
    [UR_DP_INCLUDE_FROM] = S("include from", NULL),
    [UR_DP_INCOMING_CHMOD] = S("incoming chmod", NULL),
    [UR_DP_LOCK_FILE] = S("lock file", "/var/run/rsyncd.lock"),
    [UR_DP_LOG_FILE] = S("log file", NULL),
    [UR_DP_LOG_FORMAT] = S("log format", "%o %h [%a] %m (%u) %f %l"),
    [UR_DP_NAME] = S("name", NULL),
    [UR_DP_NAME_CONVERTER] = S("name converter", NULL),
    [UR_DP_OUTGOING_CHMOD] = S("outgoing chmod", NULL),
    [UR_DP_POST_XFER_EXEC] = S("post-xfer exec", NULL),
    [UR_DP_PRE_XFER_EXEC] = S("pre-xfer exec", NULL),
    [UR_DP_REFUSE_OPTIONS] = S("refuse options", NULL),
    [UR_DP_SECRETS_FILE] = S("secrets file", NULL),
    [UR_DP_SYSLOG_TAG] = S("syslog tag", "rsyncd"),
    [UR_DP_UID] = S("uid", NULL),
    [UR_DP_PATH] = {"path", UR_DPT_PATH, NULL},
    [UR_DP_TEMP_DIR] = {"temp dir", UR_DPT_PATH, NULL},
    [UR_DP_MAX_CONNECTIONS] = {"max connections", UR_DPT_INT, "0"},
    [UR_DP_MAX_VERBOSITY] = {"max verbosity", UR_DPT_INT, "1"},
    [UR_DP_TIMEOUT] = {"timeout", UR_DPT_INT, "0"},
    [UR_DP_SYSLOG_FACILITY] = {"syslog facility", UR_DPT_ENUM, "daemon"},
    [UR_DP_FAKE_SUPER] = B("fake super", "0"),
    [UR_DP_FORWARD_LOOKUP] = B("forward lookup", "1"),
    [UR_DP_IGNORE_ERRORS] = B("ignore errors", "0"),
    [UR_DP_IGNORE_NONREADABLE] = B("ignore nonreadable", "0"),
    [UR_DP_INSECURE_LINKS] = B("insecure links", "0"),
    [UR_DP_LIST] = B("list", "1"),
    [UR_DP_READ_ONLY] = B("read only", "1"),
    [UR_DP_REVERSE_LOOKUP] = B("reverse lookup", "1"),
    [UR_DP_STRICT_MODES] = B("strict modes", "1"),
    [UR_DP_TRANSFER_LOGGING] = B("transfer logging", "0"),
    [UR_DP_WRITE_ONLY] = B("write only", "0"),
    [UR_DP_MUNGE_SYMLINKS] = {"munge symlinks", UR_DPT_BOOL3, "-1"},
    [UR_DP_NUMERIC_IDS] = {"numeric ids", UR_DPT_BOOL3, "-1"},
    [UR_DP_OPEN_NOATIME] = {"open noatime", UR_DPT_BOOL3, "-1"},
    [UR_DP_USE_CHROOT] = {"use chroot", UR_DPT_BOOL3, "-1"},
};

static void logf_(struct ur_dconf *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(struct ur_dconf *c, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	if (!c->io || !c->io->log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	c->io->log(c->io->ctx, line);
}

/* Equal but for case and whitespace, which rsync ignores in names. */
static bool loose_eq(const char *a, const char *b)
{
	for (;;) {
		while (isspace((unsigned char)*a))
			a++;
		while (isspace((unsigned char)*b))
			b++;
		if (!*a || !*b)
			return *a == *b;
		if (toupper((unsigned char)*a) != toupper((unsigned char)*b))
			return false;
		a++;
		b++;
	}
}

int ur_dparm_find(const char *name)
{
	if (*name == '-')
		return -1;
	for (int i = 0; i < UR_DP_COUNT; i++)
		if (loose_eq(ur_dparms[i].name, name))
			return i;
	return -1;
}

static void sect_release(struct ur_dsect *s)
{
	free(s->name);
	for (int i = 0; i < UR_DP_COUNT; i++)
		free(s->val[i]);
	memset(s, 0, sizeof(*s));
}

void ur_dconf_init(struct ur_dconf *c)
{
	memset(c, 0, sizeof(*c));
}

void ur_dconf_release(struct ur_dconf *c)
{
	sect_release(&c->global);
	for (size_t i = 0; i < c->nmods; i++)
		sect_release(&c->mods[i]);
	free(c->mods);
	memset(c, 0, sizeof(*c));
}

static int set_str(char **slot, const char *v)
{
	char *d = strdup(v);
	if (!d)
		return -ENOMEM;
	free(*slot);
	*slot = d;
	return 0;
}

/* A copy of the global section's values (for &include's push and pop). */
static int sect_copy(struct ur_dsect *dst, const struct ur_dsect *src)
{
	memset(dst, 0, sizeof(*dst));
	for (int i = 0; i < UR_DP_COUNT; i++)
		if (src->val[i] && set_str(&dst->val[i], src->val[i]) < 0) {
			sect_release(dst);
			return -ENOMEM;
		}
	return 0;
}

static bool parse_bool(const char *v, bool allow_unset, const char **out)
{
	static const char *const yes[] = {"yes", "true", "1"}, *const no[] = {"no", "false", "0"};
	for (int i = 0; i < 3; i++) {
		if (loose_eq(v, yes[i])) {
			*out = "1";
			return true;
		}
		if (loose_eq(v, no[i])) {
			*out = "0";
			return true;
		}
	}
	if (allow_unset && (loose_eq(v, "unset") || loose_eq(v, "-1"))) {
		*out = "-1";
		return true;
	}
	return false;
}

/* "name = value" in the current section. Returns 0 or -ENOMEM; what is
 * wrong with the line is logged and the line skipped, as rsync does. */
static int do_param(struct ur_dconf *c, const char *name, const char *value)
{
	int p = ur_dparm_find(name);
	if (p < 0) {
		if (*name != '-')
			logf_(c, "Unknown Parameter encountered: \"%s\"", name);
		logf_(c, "IGNORING unknown parameter \"%s\"", name);
		return 0;
	}
	struct ur_dsect *s = c->cur ? c->cur : &c->global;
	if (c->cur && p < UR_DP_FIRST_LOCAL) {
		logf_(c, "Global parameter %s found in module section!", name);
		return 0;
	}
	const struct ur_dparm *d = &ur_dparms[p];
	if (d->type == UR_DPT_BOOL || d->type == UR_DPT_BOOL3) {
		const char *b;
		if (!parse_bool(value, d->type == UR_DPT_BOOL3, &b)) {
			logf_(c, "Badly formed boolean in configuration file: \"%s\".", value);
			return 0;
		}
		return set_str(&s->val[p], b);
	}
	if (set_str(&s->val[p], value) < 0)
		return -ENOMEM;
	if (d->type == UR_DPT_PATH) {
		size_t n = strlen(s->val[p]);
		while (n > 1 && s->val[p][n - 1] == '/')
			s->val[p][--n] = '\0';
	}
	return 0;
}

/* The --dparam values, once, where the global section ends. */
static int apply_dparams(struct ur_dconf *c)
{
	if (c->dparams_done)
		return 0;
	c->dparams_done = true;
	struct ur_dsect *save = c->cur;
	c->cur = NULL;
	for (int i = 0; i < c->ndparams; i++) {
		const char *eq = strchr(c->dparams[i], '=');
		if (!eq)
			continue;
		char name[256];
		snprintf(name, sizeof(name), "%.*s", (int)(eq - c->dparams[i]), c->dparams[i]);
		const char *v = eq + 1;
		while (isspace((unsigned char)*v))
			v++;
		int rc = do_param(c, name, v);
		if (rc < 0)
			return rc;
	}
	c->cur = save;
	return 0;
}

/* "[name]": the global section again, or a module (new, or the one of
 * that name already seen). Returns 0, -EINVAL, -ENOMEM. */
static int do_section(struct ur_dconf *c, const char *name)
{
	if (loose_eq(name, "global")) {
		c->cur = NULL;
		return 0;
	}
	int rc;
	if (!c->cur && !c->nmods && (rc = apply_dparams(c)) < 0)
		return rc;
	if (strchr(name, '/')) {
		logf_(c, "Warning: invalid section name in configuration file: %s", name);
		return -EINVAL;
	}
	for (size_t i = c->nmods; i-- > 0;)
		if (loose_eq(c->mods[i].name, name)) {
			c->cur = &c->mods[i];
			return 0;
		}
	if (c->nmods == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		struct ur_dsect *m = realloc(c->mods, cap * sizeof(*m));
		if (!m)
			return -ENOMEM;
		c->mods = m;
		c->cap = cap;
	}
	struct ur_dsect *s = &c->mods[c->nmods];
	memset(s, 0, sizeof(*s));
	/* a module starts from the global section's local values so far */
	for (int i = UR_DP_FIRST_LOCAL; i < UR_DP_COUNT; i++)
		if (c->global.val[i] && set_str(&s->val[i], c->global.val[i]) < 0) {
			sect_release(s);
			return -ENOMEM;
		}
	if (!(s->name = strdup(name))) {
		sect_release(s);
		return -ENOMEM;
	}
	c->nmods++;
	c->cur = s;
	return 0;
}

/* ---- the lexical part ---- */

struct lex {
	const char *p, *end;
	char *buf;
	size_t n, cap;
};

/* The next byte, or -1 at the end (a NUL byte ends the file too). */
static int next(struct lex *l)
{
	if (l->p >= l->end || !*l->p)
		return -1;
	return (unsigned char)*l->p++;
}

/* Skip blanks but not a newline; the first other byte. */
static int skip_blank(struct lex *l)
{
	int ch;
	do
		ch = next(l);
	while (ch >= 0 && ch != '\n' && isspace(ch));
	return ch;
}

static int skip_line(struct lex *l)
{
	int ch;
	do
		ch = next(l);
	while (ch >= 0 && ch != '\n');
	return ch;
}

static int put(struct lex *l, size_t at, char ch)
{
	if (at + 2 > l->cap) {
		if (l->cap >= TOKEN_MAX)
			return -E2BIG;
		size_t cap = l->cap ? l->cap * 2 : 256;
		char *b = realloc(l->buf, cap);
		if (!b)
			return -ENOMEM;
		l->buf = b;
		l->cap = cap;
	}
	l->buf[at] = ch;
	return 0;
}

/* Where a line ending at pos continues: the offset of a last non-blank
 * '\\', or -1. */
static long continuation(const char *b, long pos)
{
	pos--;
	while (pos >= 0 && isspace((unsigned char)b[pos]))
		pos--;
	return pos >= 0 && b[pos] == '\\' ? pos : -1;
}

/* A name of section header or parameter: blanks runs folded to one space,
 * none at the ends. stop is ']' or '='. Returns the byte that ended it
 * (stop, '\n' without continuation, -1 at the end, or ' ' for a directive
 * name) and its length in *len, or an -errno below -1. */
static int lex_name(struct lex *l, int ch, int stop, bool directive, size_t *len)
{
	size_t i = 0, end = 0;
	int rc;
	for (;;) {
		if (ch < 0 || ch == stop) {
			l->buf[end] = '\0';
			*len = end;
			return ch;
		}
		if (ch == '\n') {
			long k = continuation(l->buf, (long)i);
			if (k < 0) {
				l->buf[end] = '\0';
				*len = end;
				return '\n';
			}
			i = (size_t)k;
			end = i > 0 && l->buf[i - 1] == ' ' ? i - 1 : i;
			ch = next(l);
			continue;
		}
		if (directive && (ch == ' ' || ch == '\t')) {
			l->buf[end] = '\0';
			*len = end;
			return ' ';
		}
		if (isspace(ch)) {
			if ((rc = put(l, end, ' ')) < 0)
				return rc;
			i = end + 1;
			ch = skip_blank(l);
			continue;
		}
		if ((rc = put(l, i, (char)ch)) < 0)
			return rc;
		end = ++i;
		ch = next(l);
	}
}

/* A value from byte ch to the end of its line (and its continuations),
 * written at l->buf + at; trailing blanks dropped, '\r' removed. */
static int lex_value(struct lex *l, int ch, size_t at)
{
	size_t i = at, end = at;
	int rc;
	while (ch >= 0) {
		if (ch == '\r') {
			ch = next(l);
			continue;
		}
		if (ch == '\n') {
			long k = continuation(l->buf + at, (long)(i - at));
			if (k < 0)
				break;
			i = at + (size_t)k;
			end = i;
			while (end > at && isspace((unsigned char)l->buf[end - 1]))
				end--;
			ch = next(l);
			continue;
		}
		if ((rc = put(l, i, (char)ch)) < 0)
			return rc;
		i++;
		if (!isspace(ch))
			end = i;
		ch = next(l);
	}
	if ((rc = put(l, end, '\0')) < 0)
		return rc;
	return 0;
}

static int parse_text(struct ur_dconf *c, const char *path, const char *text, size_t len,
		      bool globals_only);

static int include_one(struct ur_dconf *c, const char *file, bool manage_globals)
{
	char *buf = NULL;
	size_t len = 0;
	int rc = c->io->read(c->io->ctx, file, &buf, &len);
	if (rc < 0) {
		logf_(c, "unable to open config file \"%s\": %s (%d)", file, strerror(-rc), -rc);
		return -EINVAL;
	}
	struct ur_dsect saved = {0};
	if (manage_globals && (rc = sect_copy(&saved, &c->global)) < 0) {
		free(buf);
		return rc;
	}
	if (manage_globals)
		c->cur = NULL;
	rc = parse_text(c, file, buf, len, false);
	free(buf);
	if (manage_globals) {
		/* rsync restores the global values and is back in the global
		 * section after the included file */
		sect_release(&c->global);
		c->global = saved;
		c->cur = NULL;
	}
	return rc;
}

/* &include (globals pushed and popped around each file: the file's own
 * global values do not leak) or &merge (read in place); a directory
 * stands for its *.conf or *.inc files in name order. */
static int do_directive(struct ur_dconf *c, const char *name, const char *val)
{
	bool inc;
	if (!strcasecmp(name, "&include"))
		inc = true;
	else if (!strcasecmp(name, "&merge"))
		inc = false;
	else {
		logf_(c, "Unknown directive: %s.", name);
		return -EINVAL;
	}
	if (!c->io || !c->io->read || c->depth >= INCLUDE_DEPTH_MAX) {
		logf_(c, "unable to stat config file \"%s\": %s (%d)", val, strerror(ELOOP), ELOOP);
		return -EINVAL;
	}
	int kind = c->io->kind ? c->io->kind(c->io->ctx, val) : 1;
	if (kind < 0) {
		logf_(c, "unable to stat config file \"%s\": %s (%d)", val, strerror(-kind), -kind);
		return -EINVAL;
	}
	c->depth++;
	int rc = -EINVAL;
	if (kind == 1) {
		rc = include_one(c, val, inc);
	} else if (kind == 2 && c->io->list) {
		char **names = NULL;
		size_t n = 0;
		rc = c->io->list(c->io->ctx, val, inc ? "*.conf" : "*.inc", &names, &n);
		if (rc < 0)
			logf_(c, "unable to open config dir \"%s\": %s (%d)", val, strerror(-rc),
			      -rc);
		else
			for (size_t i = 0; i < n && rc == 0; i++)
				rc = include_one(c, names[i], inc);
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
		if (rc == -ENOENT)
			rc = -EINVAL;
	}
	c->depth--;
	return rc;
}

static int parse_text(struct ur_dconf *c, const char *path, const char *text, size_t len,
		      bool globals_only)
{
	struct lex l = {.p = text, .end = text + len};
	int rc = 0, ch;
	size_t n;

	(void)path;
	if ((rc = put(&l, 0, '\0')) < 0)
		return rc;
	ch = skip_blank(&l);
	while (ch >= 0 && rc == 0) {
		switch (ch) {
		case '\n':
			ch = skip_blank(&l);
			break;
		case ';':
		case '#':
			ch = skip_line(&l);
			break;
		case '\\': /* a stray backslash: rsync skips it */
			ch = skip_blank(&l);
			break;
		case '[':
			if (globals_only) {
				ch = -1;
				break;
			}
			ch = lex_name(&l, skip_blank(&l), ']', false, &n);
			if (ch < -1) {
				rc = ch;
				break;
			}
			if (ch == ']' && n == 0) {
				logf_(c, "params.c:Section() - Empty section name in config file.");
				rc = -EINVAL;
			} else if (ch == '\n') {
				logf_(c,
				      "params.c:Section() - Badly formed line in config file: %s",
				      l.buf);
				rc = -EINVAL;
			} else if (ch < 0) {
				logf_(c,
				      "params.c:Section() - Unexpected EOF in the config file: %s",
				      l.buf);
				rc = -EINVAL;
			} else {
				rc = do_section(c, l.buf);
				ch = skip_line(&l);
			}
			if (rc == 0)
				ch = skip_blank(&l);
			break;
		default: {
			bool directive = ch == '&';
			int stop = lex_name(&l, ch, '=', directive, &n);
			if (stop < -1) {
				rc = stop;
				break;
			}
			if (stop == '\n' || stop < 0) {
				if (stop < 0)
					logf_(
					    c,
					    "params.c:Parameter() - Unexpected end-of-file at: %s",
					    l.buf);
				else
					logf_(
					    c,
					    "params.c:Parameter() - Ignoring badly formed line in "
					    "config file: %s",
					    l.buf);
				ch = stop < 0 ? -1 : skip_blank(&l);
				break;
			}
			if (stop == '=' && n == 0) {
				logf_(c, "params.c:Parameter() - Invalid parameter name in config "
					 "file.");
				rc = -EINVAL;
				break;
			}
			int vch = skip_blank(&l);
			if (directive && stop == ' ' && vch == '=')
				vch = skip_blank(&l);
			if ((rc = lex_value(&l, vch, n + 1)) < 0)
				break;
			rc = directive ? do_directive(c, l.buf, l.buf + n + 1)
				       : do_param(c, l.buf, l.buf + n + 1);
			ch = skip_blank(&l);
			break;
		}
		}
	}
	free(l.buf);
	if (rc == -E2BIG) {
		logf_(c, "config line longer than %d bytes", TOKEN_MAX);
		rc = -EINVAL;
	}
	if (rc == -EINVAL)
		logf_(c, "params.c:pm_process() - Failed.  Error returned from params.c:parse().");
	return rc;
}

int ur_dconf_load_buf(struct ur_dconf *c, const char *path, const char *buf, size_t len,
		      bool globals_only, const char *const *dparams, int ndparams,
		      const struct ur_dconf_io *io)
{
	c->io = io;
	c->dparams = dparams;
	c->ndparams = ndparams;
	c->cur = NULL;
	int rc = parse_text(c, path, buf, len, globals_only);
	if (rc == 0)
		rc = apply_dparams(c);
	c->cur = NULL;
	return rc;
}

int ur_dconf_load(struct ur_dconf *c, const char *path, bool globals_only,
		  const char *const *dparams, int ndparams, const struct ur_dconf_io *io)
{
	char *buf = NULL;
	size_t len = 0;
	c->io = io;
	if (!path || !*path) {
		logf_(c, "params.c:OpenConfFile() - No config filename specified.");
		return -EINVAL;
	}
	int rc = io->read(io->ctx, path, &buf, &len);
	if (rc < 0) {
		logf_(c, "unable to open config file \"%s\": %s (%d)", path, strerror(-rc), -rc);
		return -EINVAL;
	}
	rc = ur_dconf_load_buf(c, path, buf, len, globals_only, dparams, ndparams, io);
	free(buf);
	return rc;
}

const struct ur_dsect *ur_dconf_module(const struct ur_dconf *c, const char *name)
{
	for (size_t i = c->nmods; i-- > 0;)
		if (loose_eq(c->mods[i].name, name))
			return &c->mods[i];
	return NULL;
}

static const char *raw(const struct ur_dconf *c, const struct ur_dsect *s, enum ur_dp p)
{
	if ((unsigned)p >= UR_DP_COUNT)
		return NULL;
	if (p < UR_DP_FIRST_LOCAL || !s)
		s = &c->global;
	return s->val[p] ? s->val[p] : ur_dparms[p].def;
}

const char *ur_dconf_str(const struct ur_dconf *c, const struct ur_dsect *s, enum ur_dp p)
{
	const char *v = raw(c, s, p);
	return v ? v : "";
}

int ur_dconf_int(const struct ur_dconf *c, const struct ur_dsect *s, enum ur_dp p)
{
	return atoi(ur_dconf_str(c, s, p));
}

int ur_dconf_bool(const struct ur_dconf *c, const struct ur_dsect *s, enum ur_dp p)
{
	const char *v = ur_dconf_str(c, s, p);
	return !strcmp(v, "1") ? 1 : !strcmp(v, "0") ? 0 : -1;
}

bool ur_dconf_isset(const struct ur_dconf *c, const struct ur_dsect *s, enum ur_dp p)
{
	if ((unsigned)p >= UR_DP_COUNT)
		return false;
	if (p < UR_DP_FIRST_LOCAL || !s)
		s = &c->global;
	return s->val[p] != NULL;
}

char *ur_dconf_expand(const char *val)
{
	size_t cap = strlen(val) + 1, n = 0;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	for (const char *f = val; *f;) {
		const char *env = NULL, *close = NULL;
		if (*f == '%' && isupper((unsigned char)f[1]) && (close = strchr(f + 1, '%'))) {
			char var[256];
			if ((size_t)(close - f - 1) < sizeof(var)) {
				snprintf(var, sizeof(var), "%.*s", (int)(close - f - 1), f + 1);
				env = getenv(var);
			}
		}
		const char *piece = env ? env : f;
		size_t plen = env ? strlen(env) : 1;
		if (n + plen + 1 > cap) {
			cap = (n + plen + 1) * 2;
			char *o = realloc(out, cap);
			if (!o) {
				free(out);
				return NULL;
			}
			out = o;
		}
		memcpy(out + n, piece, plen);
		n += plen;
		f = env ? close + 1 : f + 1;
	}
	out[n] = '\0';
	return out;
}
