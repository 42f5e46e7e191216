/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The command line, parsed with rsync 3.5.0's rules (its popt table and the
 * post-processing in its options.c, observed against the real binary):
 *
 *   - long options match exactly (popt takes no abbreviations); "--opt=val"
 *     and "--opt val" (the next word is taken even when it starts with '-');
 *   - short options bundle ("-avz"); one that takes a value eats the rest of
 *     the bundle ("-essh", "-e=ssh") or else the next word;
 *   - options and operands may be interleaved; "--" ends the options;
 *   - --no-OPTION exists only where rsync's table has it.
 *
 * Every option is one row of `main_opts` (or `daemon_opts` once --daemon,
 * --config, --dparam, --detach or --no-detach is seen, as rsync switches
 * tables too). The `sup` column says whether ursync honours the option
 * yet. Unsupported ones are parsed and checked exactly like rsync (so a
 * malformed value is still a usage error, exit 1), and only then refused
 * with "--OPTION is not supported yet" and exit 4.
 *
 * Accepted although nothing in ursync acts on them, because for a local
 * copy rsync's result is the same with or without them:
 *   -z/--compress, --no-z, --zl/--compress-level, --zc/--compress-choice,
 *   --old-compress, --new-compress, --skip-compress, --zt: compression only
 *     changes bytes on a wire; ursync's local copy has no wire. (rsync
 *     compresses its local pipe, so only its sent/received byte counters
 *     differ.) Bad --zc names still exit 4 as in rsync.
 *   --timeout, --contimeout, --blocking-io, --address, --sockopts, -4/-6,
 *   --port, --early-input, --motd/--no-motd: sockets, remote shells and
 *     daemons only.
 *   -s/--secluded-args/--protect-args, --old-args, --trust-sender: how
 *     arguments reach a remote peer; a local transfer trusts itself.
 *   --inc-recursive/--no-inc-recursive: how the file list travels; the
 *     files copied are the same.
 *   --qsort: which sort routine orders the list, not the order.
 *   --from0: only changes how --files-from and filter files are read, and
 *     those are refused while unsupported.
 *   --max-alloc: a memory cap; validated as rsync does.
 *   --no-iconv, --iconv=-, --stderr=errors, and every --no-X whose X is
 *     off by default (--no-H, --no-A, --no-sparse, ...): they ask for what
 *     ursync does anyway.
 *   --outbuf is honoured here with setvbuf(), as rsync does.
 *
 * Refused after parsing because of where the options ended up rather than
 * which were typed: --no-W unless a later -W undid it, a -B other than 0,
 * a --partial-dir that comes from
 * RSYNC_PARTIAL_DIR, an --iconv that comes from RSYNC_ICONV or is not "-".
 * -N/--crtimes is refused at once with exit 1, as rsync built on Linux
 * refuses it (no way to set a creation time there).
 */
#include "config.h"
#include "daemon/conf.h"
#include "cli/cli.h"
#include "opts/opts.h"
#include "cli/cli_int.h"
#include "report/report.h"
#include "meta/chmod.h"
#include "util/err.h"
#include "util/log.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Parser outcomes besides 0 and an exit code. */
#define DONE	    (-1) /* help or version printed: exit 0 */
#define DAEMON_MODE (-2) /* restart with the daemon table */

#define PATH_CAP	  4096 /* rsync's MAXPATHLEN on Linux */
#define MAX_BATCH_NAME	  256

enum { PRIO_DEFAULT = 0, PRIO_USER = 2 };

/* Everything rsync keeps in raw form until the whole line is read. */
struct pctx {
	struct ur_opts *o;
	int argc;
	char **argv;
	const char *cur;  /* the argv word being parsed, for popt's messages */
	bool *positional; /* argv index -> is an operand */
	bool daemon_table;

	int recurse;   /* 0; 1 from -a; 2 from -r (files-from undoes only 1) */
	int xfer_dirs; /* -1 unset; 0; 2 -d; 4 --old-dirs */
	int relative;  /* -1 unset */
	int delete_mode, delete_before, delete_during, delete_after;
	bool delete_excluded;
	int missing_args;  /* bit 1 ignore, bit 2 delete */
	int remove_source; /* 1 --remove-source-files, 2 --remove-sent-files */
	int protect_args;  /* -1 unset */
	int old_args;	   /* -1 unset */
	int version_count;
	int human; /* rsync's human_readable, starting at 1 */
	int do_progress, keep_partial, do_stats;
	int append_mode;
	int atimes_count;
	int max_delete; /* INT_MIN unset */
	int protocol;	/* as given so far (-B's limit depends on it) */
	bool protocol_given;
	bool io_given;
	bool iconv_from_env;
	const char *no_whole_file; /* how --no-whole-file was spelled */
	bool daemon_opt;	   /* --daemon itself, in the daemon table */
	int filter_F;
	const char *max_alloc_arg;
	const char *outbuf_arg;
	bool usermap_via_chown, groupmap_via_chown;
	unsigned char info_prio[UR_INFO_COUNT];
	unsigned char debug_prio[UR_DEBUG_COUNT];
	char refused[96]; /* the first option ursync cannot honour yet */
};

/* ---------------------------------------------------------------- messages */

static void vmsg(bool prefix, const char *fmt, va_list ap)
{
	ur_log_flush();
	if (prefix)
		fprintf(stderr, "%s: ", ur_progname);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/* Who rsync names in the closing line of a parse error: "server" once
 * --server (always the first word of a server's command line) was read. */
static const char *exit_role = "client";

static int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail_bare(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "ursync: MSG" and the closing line; returns code. */
static int fail(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(true, fmt, ap);
	va_end(ap);
	ur_exit_message(code, exit_role);
	return code;
}

/* Messages rsync prints without its name in front ("Unknown --info item"). */
static int fail_bare(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(false, fmt, ap);
	va_end(ap);
	ur_exit_message(code, exit_role);
	return code;
}

static int daemon_hint(void)
{
	ur_log_flush();
	fprintf(stderr, "(Type \"%s --daemon --help\" for assistance with daemon mode.)\n",
		ur_progname);
	ur_exit_message(UR_EXIT_SYNTAX, exit_role);
	return UR_EXIT_SYNTAX;
}

/* popt's complaint about the current word. */
static int bad_option(struct pctx *c, const char *why)
{
	if (c->daemon_table) {
		ur_log_flush();
		fprintf(stderr, "%s: %s: %s (in daemon mode)\n", ur_progname, c->cur, why);
		return daemon_hint();
	}
	return fail(UR_EXIT_SYNTAX, "%s%s: %s", c->o->server ? "on remote machine: " : "", c->cur,
		    why);
}

static int usage_error(void)
{
	ur_log_flush();
	ur_cli_usage(stderr);
	ur_exit_message(UR_EXIT_SYNTAX, exit_role);
	return UR_EXIT_SYNTAX;
}

static int no_memory(void)
{
	return fail(UR_EXIT_MALLOC, "out of memory in option parsing");
}

/* ------------------------------------------------------ --info and --debug */

#define MAX_VERBOSITY (ur_debug_words.nverbosity - 1)

/* One of the two flag families and where its levels go. */
struct out_set {
	const struct ur_out_words *w;
	unsigned char *levels;
	unsigned char *prio;
};

static struct out_set info_set(struct pctx *c)
{
	return (struct out_set){&ur_info_words, c->o->info, c->info_prio};
}

static struct out_set debug_set(struct pctx *c)
{
	return (struct out_set){&ur_debug_words, c->o->debug, c->debug_prio};
}

/*
 * One --info/--debug value: comma-separated words, each NAME, NAMEn, ALL,
 * ALLn, NONE or HELP, case-insensitive. A setting only replaces one made
 * with the same or a lower priority, which is how an explicit --info beats
 * the levels -v implies whatever their order. Returns 0, DONE after HELP,
 * or an exit code.
 */
static int parse_words(struct pctx *c, const struct out_set *s, const char *str, int prio)
{
	const struct ur_out_words *w = s->w;

	while (str) {
		const char *comma = strchr(str, ',');
		size_t len = comma ? (size_t)(comma - str) : strlen(str);
		const char *next = comma ? comma + 1 : NULL;
		size_t nlen = len;
		int lev = 1;
		bool all = false, found;

		if (!len) {
			str = next;
			continue;
		}
		if (!isdigit((unsigned char)str[0]))
			while (nlen && isdigit((unsigned char)str[nlen - 1]))
				nlen--;
		if (nlen < len) {
			lev = 0;
			for (size_t i = nlen; i < len; i++) {
				lev = lev * 10 + (str[i] - '0');
				if (lev > UR_MAX_OUT_LEVEL) {
					lev = UR_MAX_OUT_LEVEL;
					break;
				}
			}
		}
		if (nlen == 4 && !strncasecmp(str, "help", 4)) {
			ur_cli_output_help(w);
			return DONE;
		}
		if (nlen == 4 && !strncasecmp(str, "none", 4)) {
			all = true;
			lev = 0;
		} else if (nlen == 3 && !strncasecmp(str, "all", 3)) {
			all = true;
		}
		found = all;
		for (int j = 0; j < w->count; j++) {
			if (!all &&
			    (strlen(w->names[j]) != nlen || strncasecmp(str, w->names[j], nlen)))
				continue;
			if (prio >= s->prio[j]) {
				s->prio[j] = (unsigned char)prio;
				s->levels[j] = (unsigned char)lev;
			}
			found = true;
			if (!all)
				break;
		}
		if (!found && !c->o->server)
			return fail_bare(UR_EXIT_SYNTAX, "Unknown %s item: \"%.*s\"", w->opt,
					 (int)nlen, str);
		str = next;
	}
	return 0;
}

/* What -v, -vv, ... imply, below anything given with --info/--debug. */
static void set_verbosity(struct pctx *c, int level)
{
	struct out_set is = info_set(c), ds = debug_set(c);

	if (level > MAX_VERBOSITY)
		level = MAX_VERBOSITY;
	for (int v = 0; v <= level; v++) {
		if (v < is.w->nverbosity && is.w->by_verbosity[v])
			parse_words(c, &is, is.w->by_verbosity[v], PRIO_DEFAULT);
		if (ds.w->by_verbosity[v])
			parse_words(c, &ds, ds.w->by_verbosity[v], PRIO_DEFAULT);
	}
}

static int info_default(struct pctx *c, const char *words)
{
	struct out_set is = info_set(c);
	return parse_words(c, &is, words, PRIO_DEFAULT);
}

/* ------------------------------------------------------------------ sizes */

/* A limit as rsync shows it in these messages: units of 1024 above 1023. */
static const char *limit_text(int64_t n, char *buf, size_t size)
{
	static const char units[] = "KMGTP";
	double d = (double)n;
	int u = -1;

	if (n < 1024) {
		char digits[32];
		int len = snprintf(digits, sizeof(digits), "%lld", (long long)n), out = 0;
		for (int i = 0; i < len && out + 2 < (int)size; i++) {
			if (i && (len - i) % 3 == 0)
				buf[out++] = ',';
			buf[out++] = digits[i];
		}
		buf[out] = '\0';
		return buf;
	}
	do {
		d /= 1024;
		u++;
	} while (d >= 1024 && u < 4);
	snprintf(buf, size, "%.2f%c", d, units[u]);
	return buf;
}

/*
 * rsync's size syntax: digits with an optional fraction, then an optional
 * unit (b K M G T P; def_unit when absent), then "b"/"B" for powers of 1000
 * or "ib"/"iB" (or nothing) for powers of 1024, then optionally "+1" or
 * "-1". max < 0 means "no maximum but the type's"; zero_unlimited lets 0
 * through under min. Messages are rsync's ("--max-size=1x is invalid").
 */
static int parse_size(const char *arg, char def_unit, const char *name, int64_t min, int64_t max,
		      bool zero_unlimited, int64_t *out)
{
	static const char units[] = "bkmgtp";
	const char *p = arg, *why = "invalid", *bound = NULL, *u;
	char unit_ch;
	int64_t cap = max >= 0 ? max : INT64_MAX, unit = 1, limit = -1, size;
	int power, base;
	double d;
	char buf[48];

	while (isdigit((unsigned char)*p))
		p++;
	if (*p == '.')
		while (isdigit((unsigned char)*++p))
			;
	unit_ch = (char)tolower((unsigned char)(*p && *p != '+' && *p != '-' ? *p++ : def_unit));
	if (!unit_ch || !(u = strchr(units, unit_ch)))
		goto bad;
	power = (int)(u - units);
	if (*p == 'b' || *p == 'B') {
		base = 1000;
		p++;
	} else if (!*p || *p == '+' || *p == '-') {
		base = 1024;
	} else if (!strncasecmp(p, "ib", 2)) {
		base = 1024;
		p += 2;
	} else {
		goto bad;
	}
	while (power--) {
		if (unit > cap / base)
			goto too_large;
		unit *= base;
	}
	errno = 0;
	d = strtod(arg, NULL);
	if (errno == ERANGE || d < 0 || d > (double)cap / (double)unit ||
	    (max < 0 && d >= (double)cap / (double)unit))
		goto too_large;
	size = (int64_t)(d * (double)unit);
	if ((*p == '+' || *p == '-') && p[1] == '1' && p != arg) {
		if (*p == '+') {
			if (size == cap)
				goto too_large;
			size++;
		} else {
			size--;
		}
		p += 2;
	}
	if (*p)
		goto bad;
	if (size < 0 || (max >= 0 && size > max))
		goto too_large;
	if (size < min && !(zero_unlimited && size == 0)) {
		why = "too small";
		bound = "min";
		limit = min;
		goto bad;
	}
	*out = size;
	return 0;

too_large:
	why = "too large";
	bound = "max";
	limit = max;
bad:
	if (bound && limit >= 0)
		return fail(UR_EXIT_SYNTAX, "--%s=%s is %s (%s: %s%s)", name, arg, why, bound,
			    limit_text(limit, buf, sizeof(buf)),
			    zero_unlimited && !strcmp(bound, "min") ? " or 0 for unlimited" : "");
	return fail(UR_EXIT_SYNTAX, "--%s=%s is %s", name, arg, why);
}

/* ------------------------------------------------------------- --stop-at */

/*
 * rsync's --stop-at syntax: [[[YY]YY-]MM-]DD[Thh:mm], Thh:mm, hh:mm or :mm
 * ('/' may replace '-'). Omitted fields default to the next matching moment
 * in the future. Returns -1 for a malformed or impossible time.
 */
static int64_t parse_stop_at(const char *arg, time_t now)
{
	const char *p = arg;
	int year = -1, mon = -1, mday = -1, hour = -1, min = -1;
	int mode = 1;	   /* 1 date, 0 time, -1 time that still needs hh:mm */
	int defaulted = 0; /* 1 year, 2 month, 3 day: the finest field left out */
	int64_t step = 0;
	struct tm today, t;
	time_t val;
	int old_mday;

	if (*p == 'T' || *p == 't' || *p == ':') {
		mode = *p == ':' ? 0 : -1;
		p++;
	}
	for (;; p++) {
		long n = 0;

		if (!isdigit((unsigned char)*p))
			return -1;
		do {
			n = n * 10 + (*p++ - '0');
			if (n > 99999999)
				return -1;
		} while (isdigit((unsigned char)*p));
		if (*p == ':')
			mode = 0;
		if (mode > 0) {
			if (year != -1)
				return -1;
			year = mon;
			mon = mday;
			mday = (int)n;
			if (!*p)
				break;
			if (*p == 'T' || *p == 't') {
				if (!p[1])
					break;
				mode = -1;
			} else if (*p != '-' && *p != '/') {
				return -1;
			}
			continue;
		}
		if (hour != -1)
			return -1;
		hour = min;
		min = (int)n;
		if (!*p) {
			if (mode < 0)
				return -1;
			break;
		}
		if (*p != ':')
			return -1;
		mode = 0;
	}

	localtime_r(&now, &today);
	memset(&t, 0, sizeof(t));
	t.tm_isdst = -1;
	if (year < 0) {
		t.tm_year = today.tm_year;
		defaulted = 1;
	} else if (year < 100) {
		t.tm_year = year;
		while (t.tm_year < today.tm_year)
			t.tm_year += 100;
	} else {
		t.tm_year = year - 1900;
	}
	if (mon < 0) {
		t.tm_mon = today.tm_mon;
		defaulted = 2;
	} else {
		t.tm_mon = mon - 1;
	}
	if (mday < 0) {
		t.tm_mday = today.tm_mday;
		defaulted = 3;
	} else {
		t.tm_mday = mday;
	}
	if (min < 0) {
		t.tm_hour = t.tm_min = 0;
	} else if (hour < 0) {
		/* ":mm" alone: the next time the clock shows that minute */
		if (defaulted != 3)
			return -1;
		defaulted = 0;
		t.tm_hour = today.tm_hour;
		t.tm_min = min;
		step = 60 * 60;
	} else {
		t.tm_hour = hour;
		t.tm_min = min;
	}
	old_mday = t.tm_mday;
	if (t.tm_hour > 23 || t.tm_min > 59 || t.tm_mon < 0 || t.tm_mon >= 12 || t.tm_mday < 1 ||
	    t.tm_mday > 31 || (val = mktime(&t)) == (time_t)-1)
		return -1;
	/* mktime() rolls a too-large day into the next month; walk forward to
	 * the first future moment that keeps the requested day. */
	while (defaulted && (val <= now || t.tm_mday < old_mday)) {
		if (defaulted == 3) {
			old_mday = ++t.tm_mday;
		} else if (defaulted == 2) {
			if (t.tm_mday < old_mday)
				t.tm_mday = old_mday;
			else if (++t.tm_mon == 12) {
				t.tm_mon = 0;
				t.tm_year++;
			}
		} else {
			if (t.tm_mday < old_mday) {
				if (t.tm_mon != 2 || old_mday != 29)
					return -1;
				t.tm_mon = 1;
				t.tm_mday = 29;
			}
			t.tm_year++;
		}
		if ((val = mktime(&t)) == (time_t)-1) {
			if (defaulted != 3 || t.tm_mday <= 28)
				return -1;
			t.tm_mday = old_mday = 1;
			defaulted = 2;
		}
	}
	if (step)
		while (val <= now)
			val += step;
	return (int64_t)val;
}

/* ---------------------------------------------------------------- the table */

enum arg_kind { ARG_NONE, ARG_STR, ARG_INT };
enum store {
	ST_FN,	  /* call fn */
	ST_BOOL,  /* bool field = val */
	ST_INT,	  /* int field = val, or the number given for ARG_INT */
	ST_COUNT, /* int field += 1 */
	ST_STR,	  /* const char *field = the value */
};
enum base { IN_OPTS, IN_CTX };

struct optdef;
typedef int (*opt_fn)(struct pctx *c, const struct optdef *d, const char *arg);

struct optdef {
	const char *name;    /* long name without "--"; NULL if short only */
	char sname;	     /* short letter, or 0 */
	unsigned char arg;   /* enum arg_kind */
	unsigned char store; /* enum store */
	unsigned char base;  /* enum base: where off points */
	bool sup;	     /* ursync honours it (else exit 4 after checks) */
	size_t off;
	int val;
	opt_fn fn;
};

/* clang-format off */
#define Y true
#define N false
#define OB(l, s, f, v, sup) {l, s, ARG_NONE, ST_BOOL, IN_OPTS, sup, offsetof(struct ur_opts, f), v, NULL}
#define OI(l, s, f, v, sup) {l, s, ARG_NONE, ST_INT, IN_OPTS, sup, offsetof(struct ur_opts, f), v, NULL}
#define ON(l, s, f, sup) {l, s, ARG_INT, ST_INT, IN_OPTS, sup, offsetof(struct ur_opts, f), 0, NULL}
#define OC(l, s, f, sup) {l, s, ARG_NONE, ST_COUNT, IN_OPTS, sup, offsetof(struct ur_opts, f), 0, NULL}
#define OS(l, s, f, sup) {l, s, ARG_STR, ST_STR, IN_OPTS, sup, offsetof(struct ur_opts, f), 0, NULL}
#define CI(l, s, f, v, sup) {l, s, ARG_NONE, ST_INT, IN_CTX, sup, offsetof(struct pctx, f), v, NULL}
#define CN(l, s, f, sup) {l, s, ARG_INT, ST_INT, IN_CTX, sup, offsetof(struct pctx, f), 0, NULL}
#define CS(l, s, f, sup) {l, s, ARG_STR, ST_STR, IN_CTX, sup, offsetof(struct pctx, f), 0, NULL}
#define FN(l, s, a, fn, v, sup) {l, s, a, ST_FN, IN_OPTS, sup, 0, v, fn}
/* clang-format on */

/* ------------------------------------------------------------- handlers */

/* Remember the first option ursync cannot honour yet, named as given. */
static void note_refused(struct pctx *c, const char *name)
{
	if (!c->refused[0])
		snprintf(c->refused, sizeof(c->refused), "%s", name);
}

static int h_help(struct pctx *c, const struct optdef *d, const char *arg)
{
	(void)d, (void)arg;
	if (c->daemon_table)
		ur_cli_daemon_usage(stdout);
	else
		ur_cli_usage(stdout);
	fflush(stdout);
	return DONE;
}

static int h_version(struct pctx *c, const struct optdef *d, const char *arg)
{
	(void)d, (void)arg;
	c->version_count++;
	return 0;
}

static int h_info(struct pctx *c, const struct optdef *d, const char *arg)
{
	struct out_set s = d->val ? debug_set(c) : info_set(c);
	return parse_words(c, &s, arg, PRIO_USER);
}

static int h_stderr(struct pctx *c, const struct optdef *d, const char *arg)
{
	static const char *const modes[] = {"errors", "all", "client"};
	size_t len = strlen(arg);

	(void)d;
	for (int i = 0; i < 3; i++) {
		if (len && !strncmp(modes[i], arg, len)) {
			c->o->stderr_mode = i;
			if (i) /* "errors" is what ursync does anyway */
				note_refused(c, "--stderr");
			return 0;
		}
	}
	return fail(UR_EXIT_SYNTAX, "--stderr mode \"%s\" is not one of errors, all, or client",
		    arg);
}

static int h_human(struct pctx *c, const struct optdef *d, const char *arg)
{
	(void)arg;
	if (d->val) {
		c->o->human_readable++;
		c->human++;
	} else {
		c->o->human_readable = 0;
		c->human = 0;
	}
	return 0;
}

static int h_archive(struct pctx *c, const struct optdef *d, const char *arg)
{
	struct ur_opts *o = c->o;

	(void)d, (void)arg;
	if (!c->recurse)
		c->recurse = 1;
	o->links = o->perms = o->times = o->group = o->owner = true;
	o->devices = o->specials = true;
	return 0;
}

/* A build without the library refuses as rsync built without it does. */
static int h_acls(struct pctx *c, const struct optdef *d, const char *arg)
{
	(void)d, (void)arg;
	if (!HAVE_ACL)
		return fail(UR_EXIT_SYNTAX, "ACLs are not supported on this %s",
			    c->o->server ? "server" : "client");
	c->o->acls = c->o->perms = true;
	return 0;
}

static int h_xattrs(struct pctx *c, const struct optdef *d, const char *arg)
{
	(void)arg;
	if (!HAVE_XATTR && d->val)
		return fail(UR_EXIT_SYNTAX, "extended attributes are not supported on this %s",
			    c->o->server ? "server" : "client");
	c->o->xattrs = d->val;
	c->o->xattrs_count = d->val ? c->o->xattrs_count + 1 : 0;
	return 0;
}

static int h_hard_links(struct pctx *c, const struct optdef *d, const char *arg)
{
	(void)arg;
	c->o->hard_links = d->val;
	c->o->hard_links_count = d->val ? c->o->hard_links_count + 1 : 0;
	return 0;
}

static int h_atimes(struct pctx *c, const struct optdef *d, const char *arg)
{
	(void)arg;
	c->o->atimes = d->val;
	c->atimes_count = d->val ? c->atimes_count + 1 : 0;
	c->o->atimes_count = c->atimes_count;
	if (c->atimes_count > 1)
		c->o->open_noatime = true; /* -UU */
	return 0;
}

/*
 * Linux has no call that sets a file's creation time, so rsync 3.5.0 built
 * there refuses -N the moment it sees it (exit 1, "This rsync does not
 * support --crtimes (-N)"); ursync does the same on every platform until
 * meta/ can set crtimes somewhere.
 */
static int h_crtimes(struct pctx *c, const struct optdef *d, const char *arg)
{
	(void)c, (void)d, (void)arg;
	return fail(UR_EXIT_SYNTAX, "This ursync does not support --crtimes (-N)");
}

static int h_devspec(struct pctx *c, const struct optdef *d, const char *arg)
{
	(void)arg;
	c->o->devices = c->o->specials = d->val;
	return 0;
}

static int h_modify_window(struct pctx *c, const struct optdef *d, const char *arg)
{
	(void)d, (void)arg;
	c->o->modify_window_set = true;
	return 0;
}

static int h_super(struct pctx *c, const struct optdef *d, const char *arg)
{
	(void)arg;
	c->o->fake_super = d->val < 0;
	c->o->am_root = d->val;
	return 0;
}

static int h_chmod(struct pctx *c, const struct optdef *d, const char *arg)
{
	int rc = ur_chmod_parse(&c->o->chmod, arg);

	(void)d;
	if (rc == -ENOMEM)
		return no_memory();
	if (rc < 0)
		return fail(UR_EXIT_SYNTAX, "Invalid argument passed to --chmod (%s)", arg);
	return 0;
}

static int h_size(struct pctx *c, const struct optdef *d, const char *arg)
{
	int64_t v;
	int rc = parse_size(arg, 'b', d->name, 0, -1, false, &v);

	if (rc)
		return rc;
	if (d->val)
		c->o->max_size = v;
	else
		c->o->min_size = v;
	return 0;
}

static int h_block_size(struct pctx *c, const struct optdef *d, const char *arg)
{
	/* rsync checks against the --protocol given so far */
	int64_t max = c->protocol < 30 ? (int64_t)1 << 29 : (int64_t)1 << 17, v;
	int rc = parse_size(arg, 'b', "block-size", 0, max, false, &v);

	(void)d;
	if (!rc)
		c->o->block_size = (int)v;
	return rc;
}

static int h_no_whole_file(struct pctx *c, const struct optdef *d, const char *arg)
{
	(void)arg;
	c->o->whole_file = 0;
	c->no_whole_file = d->name;
	return 0;
}

static int h_bwlimit(struct pctx *c, const struct optdef *d, const char *arg)
{
	int64_t v;
	int rc = parse_size(arg, 'K', "bwlimit", 512, -1, true, &v);

	(void)d;
	if (!rc)
		c->o->bwlimit = (int)((v + 512) / 1024);
	return rc;
}

static int h_append(struct pctx *c, const struct optdef *d, const char *arg)
{
	(void)arg;
	if (d->val == 1 && c->o->server)
		c->append_mode++;
	else
		c->append_mode = d->val;
	return 0;
}

static int h_missing_args(struct pctx *c, const struct optdef *d, const char *arg)
{
	(void)arg;
	c->missing_args |= d->val;
	return 0;
}

static int h_remove_source(struct pctx *c, const struct optdef *d, const char *arg)
{
	(void)arg;
	c->remove_source = d->val;
	c->o->remove_sent_files = d->val == 2;
	return 0;
}

static int add_filter(struct pctx *c, enum ur_filter_kind kind, const char *arg)
{
	struct ur_opts *o = c->o;
	struct ur_filter_arg *n;

	if (o->filter_count >= INT_MAX / 2)
		return no_memory();
	n = realloc(o->filters, (size_t)(o->filter_count + 1) * sizeof(*n));
	if (!n)
		return no_memory();
	o->filters = n;
	n[o->filter_count].kind = kind;
	n[o->filter_count].arg = arg;
	o->filter_count++;
	return 0;
}

static int h_filter(struct pctx *c, const struct optdef *d, const char *arg)
{
	return add_filter(c, (enum ur_filter_kind)d->val, arg);
}

static int h_filter_F(struct pctx *c, const struct optdef *d, const char *arg)
{
	(void)d, (void)arg;
	/* -F once: a per-directory merge of .rsync-filter; twice: also hide them */
	switch (++c->filter_F) {
	case 1:
		return add_filter(c, UR_FARG_RULE, ": /.rsync-filter");
	case 2:
		return add_filter(c, UR_FARG_RULE, "- .rsync-filter");
	}
	return 0;
}

static const char *const alt_dest_names[] = {
    [UR_ALT_COMPARE] = "--compare-dest",
    [UR_ALT_COPY] = "--copy-dest",
    [UR_ALT_LINK] = "--link-dest",
};

static int h_alt_dest(struct pctx *c, const struct optdef *d, const char *arg)
{
	struct ur_opts *o = c->o;

	if (o->alt_dest && (int)o->alt_dest != d->val)
		return fail(UR_EXIT_SYNTAX, "ERROR: the %s option conflicts with the %s option",
			    alt_dest_names[d->val], alt_dest_names[o->alt_dest]);
	o->alt_dest = (enum ur_alt_dest)d->val;
	if (o->basis_dir_count >= UR_MAX_BASIS_DIRS)
		return fail(UR_EXIT_SYNTAX, "ERROR: at most %d %s args may be specified",
			    UR_MAX_BASIS_DIRS, alt_dest_names[o->alt_dest]);
	o->basis_dirs[o->basis_dir_count++] = arg;
	return 0;
}

static int h_progress_partial(struct pctx *c, const struct optdef *d, const char *arg)
{
	(void)d, (void)arg;
	c->do_progress = c->keep_partial = 1;
	return 0;
}

static int h_compress(struct pctx *c, const struct optdef *d, const char *arg)
{
	(void)arg;
	switch (d->val) {
	case 0:
		c->o->compress = 0;
		c->o->compress_choice = NULL;
		break;
	case 1:
		c->o->compress_choice = "zlib";
		break;
	case 2:
		c->o->compress_choice = "zlibx";
		break;
	}
	return 0;
}

static int h_old_args(struct pctx *c, const struct optdef *d, const char *arg)
{
	(void)d, (void)arg;
	c->old_args = c->old_args <= 0 ? 1 : c->old_args + 1;
	return 0;
}

static int h_remote_option(struct pctx *c, const struct optdef *d, const char *arg)
{
	struct ur_opts *o = c->o;

	(void)d;
	if (*arg != '-')
		return fail(UR_EXIT_SYNTAX, "Remote option must start with a dash: %s", arg);
	if (o->remote_opt_count >= UR_MAX_REMOTE_OPTS)
		return fail(UR_EXIT_SYNTAX, "too many --remote-option args (at most %d)",
			    UR_MAX_REMOTE_OPTS);
	o->remote_opts[o->remote_opt_count++] = arg;
	return 0;
}

static int h_batch(struct pctx *c, const struct optdef *d, const char *arg)
{
	c->o->batch_name = arg;
	if (d->val)
		c->o->write_batch = d->val;
	else
		c->o->read_batch = true;
	return 0;
}

static int h_iconv(struct pctx *c, const struct optdef *d, const char *arg)
{
	(void)d;
	c->o->iconv = arg;
	c->iconv_from_env = false;
	return 0;
}

static char *map_string(const char *prefix, const char *s, size_t len)
{
	size_t plen = strlen(prefix);
	char *m = malloc(plen + len + 1);

	if (m) {
		memcpy(m, prefix, plen);
		memcpy(m + plen, s, len);
		m[plen + len] = '\0';
	}
	return m;
}

/* --usermap (val 0), --groupmap (val 1) */
static int h_idmap(struct pctx *c, const struct optdef *d, const char *arg)
{
	struct ur_opts *o = c->o;
	char **map = d->val ? &o->groupmap : &o->usermap;
	bool *via_chown = d->val ? &c->groupmap_via_chown : &c->usermap_via_chown;
	const char *opt = d->val ? "--groupmap" : "--usermap";

	if (*map) {
		if (*via_chown)
			return fail(UR_EXIT_SYNTAX, "%s conflicts with prior --chown.", opt);
		return fail(UR_EXIT_SYNTAX, "You can only specify %s once.", opt);
	}
	if (!(*map = map_string("", arg, strlen(arg))))
		return no_memory();
	*via_chown = false;
	if (d->val)
		o->group = true;
	else
		o->owner = true;
	return 0;
}

static int h_chown(struct pctx *c, const struct optdef *d, const char *arg)
{
	struct ur_opts *o = c->o;
	const char *colon = strchr(arg, ':');
	size_t ulen = colon ? (size_t)(colon - arg) : strlen(arg);

	(void)d;
	if (ulen) {
		if (o->usermap) {
			if (!c->usermap_via_chown)
				return fail(UR_EXIT_SYNTAX,
					    "--chown conflicts with prior --usermap.");
			return fail(UR_EXIT_SYNTAX,
				    "You can only specify a user-affecting --chown once.");
		}
		if (!(o->usermap = map_string("*:", arg, ulen)))
			return no_memory();
		c->usermap_via_chown = true;
		o->owner = true;
	}
	if (colon && colon[1]) {
		if (o->groupmap) {
			if (!c->groupmap_via_chown)
				return fail(UR_EXIT_SYNTAX,
					    "--chown conflicts with prior --groupmap.");
			return fail(UR_EXIT_SYNTAX,
				    "You can only specify a group-affecting --chown once.");
		}
		if (!(o->groupmap = map_string("*:", colon + 1, strlen(colon + 1))))
			return no_memory();
		c->groupmap_via_chown = true;
		o->group = true;
	}
	return 0;
}

static int h_stop_after(struct pctx *c, const struct optdef *d, const char *arg)
{
	time_t now = time(NULL);
	long long mins = strtoll(arg, NULL, 10);

	(void)d;
	if (mins <= 0 || mins > (LLONG_MAX - (long long)now) / 60)
		return fail(UR_EXIT_SYNTAX, "invalid --stop-after value: %s", arg);
	c->o->stop_at = (int64_t)now + mins * 60;
	return 0;
}

static int h_stop_at(struct pctx *c, const struct optdef *d, const char *arg)
{
	time_t now = time(NULL);
	int64_t when = parse_stop_at(arg, now);

	(void)d;
	if (when == -1)
		return fail(UR_EXIT_SYNTAX, "invalid --stop-at format: %s", arg);
	if (when <= (int64_t)now)
		return fail(UR_EXIT_SYNTAX, "--stop-at time is not in the future: %s", arg);
	c->o->stop_at = when;
	return 0;
}

static int h_protocol(struct pctx *c, const struct optdef *d, const char *arg)
{
	(void)d, (void)arg;
	c->protocol = c->o->protocol;
	c->protocol_given = true;
	return 0;
}

static int h_io(struct pctx *c, const struct optdef *d, const char *arg)
{
	(void)arg;
	c->o->io_policy = (enum ur_io_policy)d->val;
	c->io_given = true;
	return 0;
}

static int h_server(struct pctx *c, const struct optdef *d, const char *arg)
{
	(void)d, (void)arg;
	c->o->server = true;
	c->o->iconv = NULL;
	return 0;
}

static int h_sender(struct pctx *c, const struct optdef *d, const char *arg)
{
	(void)d, (void)arg;
	if (!c->o->server)
		return usage_error();
	c->o->sender = true;
	return 0;
}

static int h_to_daemon(struct pctx *c, const struct optdef *d, const char *arg)
{
	(void)c, (void)d, (void)arg;
	return DAEMON_MODE;
}

static int h_daemon_flag(struct pctx *c, const struct optdef *d, const char *arg)
{
	(void)d, (void)arg;
	c->daemon_opt = true;
	return 0;
}

static int h_dparam(struct pctx *c, const struct optdef *d, const char *arg)
{
	struct ur_opts *o = c->o;

	(void)d;
	if (!strchr(arg, '=')) {
		ur_log_flush();
		fprintf(stderr, "--dparam value is missing an '=': %s\n", arg);
		return daemon_hint();
	}
	if (o->dparam_count >= UR_MAX_REMOTE_OPTS) {
		ur_log_flush();
		fprintf(stderr, "too many --dparam values (at most %d)\n", UR_MAX_REMOTE_OPTS);
		return daemon_hint();
	}
	o->dparams[o->dparam_count++] = arg;
	return 0;
}

/*
 * rsync 3.5.0's option table, in its order. Columns: long name, short
 * letter, field or handler, value, supported.
 */
/* clang-format off */
static const struct optdef main_opts[] = {
	FN("help", 0, ARG_NONE, h_help, 0, Y),
	FN("version", 'V', ARG_NONE, h_version, 0, Y),
	OC("verbose", 'v', verbose, Y),
	OI("no-verbose", 0, verbose, 0, Y),
	OI("no-v", 0, verbose, 0, Y),
	FN("info", 0, ARG_STR, h_info, 0, Y),
	FN("debug", 0, ARG_STR, h_info, 1, Y),
	FN("stderr", 0, ARG_STR, h_stderr, 0, Y),
	OI("msgs2stderr", 0, stderr_mode, 1, N),
	OI("no-msgs2stderr", 0, stderr_mode, 2, N),
	OC("quiet", 'q', quiet, Y),
	OB("motd", 0, no_motd, false, Y),
	OB("no-motd", 0, no_motd, true, Y),
	CI("stats", 0, do_stats, 1, Y),
	FN("human-readable", 'h', ARG_NONE, h_human, 1, Y),
	FN("no-human-readable", 0, ARG_NONE, h_human, 0, Y),
	FN("no-h", 0, ARG_NONE, h_human, 0, Y),
	OB("dry-run", 'n', dry_run, true, Y),
	FN("archive", 'a', ARG_NONE, h_archive, 0, Y),
	CI("recursive", 'r', recurse, 2, Y),
	CI("no-recursive", 0, recurse, 0, Y),
	CI("no-r", 0, recurse, 0, Y),
	OI("inc-recursive", 0, inc_recursive, 1, Y),
	OI("no-inc-recursive", 0, inc_recursive, 0, Y),
	OI("i-r", 0, inc_recursive, 1, Y),
	OI("no-i-r", 0, inc_recursive, 0, Y),
	CI("dirs", 'd', xfer_dirs, 2, Y),
	CI("no-dirs", 0, xfer_dirs, 0, Y),
	CI("no-d", 0, xfer_dirs, 0, Y),
	CI("old-dirs", 0, xfer_dirs, 4, N),
	CI("old-d", 0, xfer_dirs, 4, N),
	OB("perms", 'p', perms, true, Y),
	OB("no-perms", 0, perms, false, Y),
	OB("no-p", 0, perms, false, Y),
	OB("executability", 'E', executability, true, Y),
	FN("acls", 'A', ARG_NONE, h_acls, 0, N),
	OB("no-acls", 0, acls, false, Y),
	OB("no-A", 0, acls, false, Y),
	FN("xattrs", 'X', ARG_NONE, h_xattrs, 1, N),
	FN("no-xattrs", 0, ARG_NONE, h_xattrs, 0, Y),
	FN("no-X", 0, ARG_NONE, h_xattrs, 0, Y),
	OB("times", 't', times, true, Y),
	OB("no-times", 0, times, false, Y),
	OB("no-t", 0, times, false, Y),
	FN("atimes", 'U', ARG_NONE, h_atimes, 1, Y),
	FN("no-atimes", 0, ARG_NONE, h_atimes, 0, Y),
	FN("no-U", 0, ARG_NONE, h_atimes, 0, Y),
	OB("open-noatime", 0, open_noatime, true, Y),
	OB("no-open-noatime", 0, open_noatime, false, Y),
	FN("crtimes", 'N', ARG_NONE, h_crtimes, 0, N),
	OB("no-crtimes", 0, crtimes, false, Y),
	OB("no-N", 0, crtimes, false, Y),
	OB("omit-dir-times", 'O', omit_dir_times, true, Y),
	OB("no-omit-dir-times", 0, omit_dir_times, false, Y),
	OB("no-O", 0, omit_dir_times, false, Y),
	OB("omit-link-times", 'J', omit_link_times, true, Y),
	OB("no-omit-link-times", 0, omit_link_times, false, Y),
	OB("no-J", 0, omit_link_times, false, Y),
	{"modify-window", '@', ARG_INT, ST_INT, IN_OPTS, Y, offsetof(struct ur_opts, modify_window), 0, h_modify_window},
	FN("super", 0, ARG_NONE, h_super, 1, N),
	FN("no-super", 0, ARG_NONE, h_super, 0, N),
	FN("fake-super", 0, ARG_NONE, h_super, -1, N),
	OB("owner", 'o', owner, true, Y),
	OB("no-owner", 0, owner, false, Y),
	OB("no-o", 0, owner, false, Y),
	OB("group", 'g', group, true, Y),
	OB("no-group", 0, group, false, Y),
	OB("no-g", 0, group, false, Y),
	FN(NULL, 'D', ARG_NONE, h_devspec, 1, Y),
	FN("no-D", 0, ARG_NONE, h_devspec, 0, Y),
	OB("devices", 0, devices, true, Y),
	OB("no-devices", 0, devices, false, Y),
	OB("copy-devices", 0, copy_devices, true, N),
	OB("write-devices", 0, write_devices, true, N),
	OB("no-write-devices", 0, write_devices, false, Y),
	OB("specials", 0, specials, true, Y),
	OB("no-specials", 0, specials, false, Y),
	OB("drop-D", 0, drop_devices, true, N),
	OB("no-drop-D", 0, drop_devices, false, Y),
	OS("confine-root", 0, confine_root, N),
	OB("links", 'l', links, true, Y),
	OB("no-links", 0, links, false, Y),
	OB("no-l", 0, links, false, Y),
	OB("copy-links", 'L', copy_links, true, Y),
	OB("copy-unsafe-links", 0, copy_unsafe_links, true, Y),
	OB("safe-links", 0, safe_links, true, Y),
	OB("insecure-links", 0, insecure_links, true, N),
	OB("no-insecure-links", 0, insecure_links, false, Y),
	OB("munge-links", 0, munge_links, true, N),
	OB("no-munge-links", 0, munge_links, false, Y),
	OB("copy-dirlinks", 'k', copy_dirlinks, true, Y),
	OB("keep-dirlinks", 'K', keep_dirlinks, true, N),
	FN("hard-links", 'H', ARG_NONE, h_hard_links, 1, Y),
	FN("no-hard-links", 0, ARG_NONE, h_hard_links, 0, Y),
	FN("no-H", 0, ARG_NONE, h_hard_links, 0, Y),
	CI("relative", 'R', relative, 1, Y),
	CI("no-relative", 0, relative, 0, Y),
	CI("no-R", 0, relative, 0, Y),
	OB("implied-dirs", 0, implied_dirs, true, Y),
	OB("no-implied-dirs", 0, implied_dirs, false, Y),
	OB("i-d", 0, implied_dirs, true, Y),
	OB("no-i-d", 0, implied_dirs, false, Y),
	FN("chmod", 0, ARG_STR, h_chmod, 0, Y),
	OB("ignore-times", 'I', ignore_times, true, Y),
	OB("size-only", 0, size_only, true, Y),
	OC("one-file-system", 'x', one_file_system, Y),
	OI("no-one-file-system", 0, one_file_system, 0, Y),
	OI("no-x", 0, one_file_system, 0, Y),
	OB("update", 'u', update, true, Y),
	OB("existing", 0, ignore_non_existing, true, Y),
	OB("ignore-non-existing", 0, ignore_non_existing, true, Y),
	OB("ignore-existing", 0, ignore_existing, true, Y),
	FN("max-size", 0, ARG_STR, h_size, 1, Y),
	FN("min-size", 0, ARG_STR, h_size, 0, Y),
	CS("max-alloc", 0, max_alloc_arg, Y),
	OB("sparse", 'S', sparse, true, N),
	OB("no-sparse", 0, sparse, false, Y),
	OB("no-S", 0, sparse, false, Y),
	OB("preallocate", 0, preallocate, true, N),
	OB("inplace", 0, inplace, true, Y),
	OB("no-inplace", 0, inplace, false, Y),
	FN("append", 0, ARG_NONE, h_append, 1, Y),
	FN("append-verify", 0, ARG_NONE, h_append, 2, Y),
	FN("no-append", 0, ARG_NONE, h_append, 0, Y),
	CI("del", 0, delete_during, 1, Y),
	CI("delete", 0, delete_mode, 1, Y),
	CI("delete-before", 0, delete_before, 1, Y),
	CI("delete-during", 0, delete_during, 1, Y),
	CI("delete-delay", 0, delete_during, 2, Y),
	CI("delete-after", 0, delete_after, 1, Y),
	CI("delete-excluded", 0, delete_excluded, 1, Y),
	FN("delete-missing-args", 0, ARG_NONE, h_missing_args, 2, Y),
	FN("ignore-missing-args", 0, ARG_NONE, h_missing_args, 1, Y),
	FN("remove-sent-files", 0, ARG_NONE, h_remove_source, 2, Y),
	FN("remove-source-files", 0, ARG_NONE, h_remove_source, 1, Y),
	OB("force", 0, force, true, Y),
	OB("no-force", 0, force, false, Y),
	OB("ignore-errors", 0, ignore_errors, true, Y),
	OB("no-ignore-errors", 0, ignore_errors, false, Y),
	CN("max-delete", 0, max_delete, Y),
	FN(NULL, 'F', ARG_NONE, h_filter_F, 0, Y),
	FN("filter", 'f', ARG_STR, h_filter, UR_FARG_RULE, Y),
	FN("exclude", 0, ARG_STR, h_filter, UR_FARG_EXCLUDE, Y),
	FN("include", 0, ARG_STR, h_filter, UR_FARG_INCLUDE, Y),
	FN("exclude-from", 0, ARG_STR, h_filter, UR_FARG_EXCLUDE_FROM, Y),
	FN("include-from", 0, ARG_STR, h_filter, UR_FARG_INCLUDE_FROM, Y),
	OB("cvs-exclude", 'C', cvs_exclude, true, Y),
	OI("whole-file", 'W', whole_file, 1, Y),
	/* the delta algorithm arrives with the delta issue: refused after
	 * parsing if whole_file is still 0 (so "--no-W -W" is fine) */
	FN("no-whole-file", 0, ARG_NONE, h_no_whole_file, 0, Y),
	FN("no-W", 0, ARG_NONE, h_no_whole_file, 0, Y),
	OB("checksum", 'c', checksum, true, Y),
	OB("no-checksum", 0, checksum, false, Y),
	OB("no-c", 0, checksum, false, Y),
	OS("checksum-choice", 0, checksum_choice, Y),
	OS("cc", 0, checksum_choice, Y),
	/* refused after parsing unless 0 (rsync's "choose for me") */
	FN("block-size", 'B', ARG_STR, h_block_size, 0, Y),
	FN("compare-dest", 0, ARG_STR, h_alt_dest, UR_ALT_COMPARE, Y),
	FN("copy-dest", 0, ARG_STR, h_alt_dest, UR_ALT_COPY, Y),
	FN("link-dest", 0, ARG_STR, h_alt_dest, UR_ALT_LINK, Y),
	OC("fuzzy", 'y', fuzzy, N),
	OI("no-fuzzy", 0, fuzzy, 0, Y),
	OI("no-y", 0, fuzzy, 0, Y),
	OC("compress", 'z', compress, Y),
	FN("old-compress", 0, ARG_NONE, h_compress, 1, Y),
	FN("new-compress", 0, ARG_NONE, h_compress, 2, Y),
	FN("no-compress", 0, ARG_NONE, h_compress, 0, Y),
	FN("no-z", 0, ARG_NONE, h_compress, 0, Y),
	OS("compress-choice", 0, compress_choice, Y),
	OS("zc", 0, compress_choice, Y),
	OS("skip-compress", 0, skip_compress, Y),
	ON("compress-level", 0, compress_level, Y),
	ON("zl", 0, compress_level, Y),
	ON("compress-threads", 0, compress_threads, Y),
	ON("zt", 0, compress_threads, Y),
	FN(NULL, 'P', ARG_NONE, h_progress_partial, 0, Y),
	CI("progress", 0, do_progress, 1, Y),
	CI("no-progress", 0, do_progress, 0, Y),
	CI("partial", 0, keep_partial, 1, Y),
	CI("no-partial", 0, keep_partial, 0, Y),
	OS("partial-dir", 0, partial_dir, Y),
	OB("delay-updates", 0, delay_updates, true, N),
	OB("no-delay-updates", 0, delay_updates, false, Y),
	OB("prune-empty-dirs", 'm', prune_empty_dirs, true, Y),
	OB("no-prune-empty-dirs", 0, prune_empty_dirs, false, Y),
	OB("no-m", 0, prune_empty_dirs, false, Y),
	OS("log-file", 0, log_file, N),
	OS("log-file-format", 0, log_file_format, N),
	OS("out-format", 0, out_format, Y),
	OS("log-format", 0, out_format, Y),
	OC("itemize-changes", 'i', itemize, Y),
	OI("no-itemize-changes", 0, itemize, 0, Y),
	OI("no-i", 0, itemize, 0, Y),
	FN("bwlimit", 0, ARG_STR, h_bwlimit, 0, N),
	OI("no-bwlimit", 0, bwlimit, 0, Y),
	OB("backup", 'b', backup, true, Y),
	OB("no-backup", 0, backup, false, Y),
	OS("backup-dir", 0, backup_dir, Y),
	OS("suffix", 0, suffix, Y),
	OB("list-only", 0, list_only, true, Y),
	FN("read-batch", 0, ARG_STR, h_batch, 0, N),
	FN("write-batch", 0, ARG_STR, h_batch, 1, N),
	FN("only-write-batch", 0, ARG_STR, h_batch, -1, N),
	OS("files-from", 0, files_from, Y),
	OB("from0", '0', from0, true, Y),
	OB("no-from0", 0, from0, false, Y),
	FN("old-args", 0, ARG_NONE, h_old_args, 0, Y),
	CI("no-old-args", 0, old_args, 0, Y),
	CI("secluded-args", 's', protect_args, 1, Y),
	CI("no-secluded-args", 0, protect_args, 0, Y),
	CI("protect-args", 0, protect_args, 1, Y),
	CI("no-protect-args", 0, protect_args, 0, Y),
	CI("no-s", 0, protect_args, 0, Y),
	OB("trust-sender", 0, trust_sender, true, Y),
	OB("numeric-ids", 0, numeric_ids, true, Y),
	OB("no-numeric-ids", 0, numeric_ids, false, Y),
	FN("usermap", 0, ARG_STR, h_idmap, 0, Y),
	FN("groupmap", 0, ARG_STR, h_idmap, 1, Y),
	FN("chown", 0, ARG_STR, h_chown, 0, Y),
	ON("timeout", 0, timeout, Y),
	OI("no-timeout", 0, timeout, 0, Y),
	ON("contimeout", 0, contimeout, Y),
	OI("no-contimeout", 0, contimeout, 0, Y),
	OB("fsync", 0, fsync, true, Y),
	FN("stop-after", 0, ARG_STR, h_stop_after, 0, N),
	FN("time-limit", 0, ARG_STR, h_stop_after, 0, N),
	FN("stop-at", 0, ARG_STR, h_stop_at, 0, N),
	OS("rsh", 'e', rsh, Y),
	OS("rsync-path", 0, rsync_path, Y),
	OS("temp-dir", 'T', temp_dir, Y),
	/* refused after parsing unless it ends up NULL ("-" or --no-iconv) */
	FN("iconv", 0, ARG_STR, h_iconv, 0, Y),
	FN("no-iconv", 0, ARG_NONE, h_iconv, 0, Y),
	OI("ipv4", '4', ipv, 4, Y),
	OI("ipv6", '6', ipv, 6, Y),
	OB("8-bit-output", '8', eight_bit_output, true, Y),
	OB("no-8-bit-output", 0, eight_bit_output, false, Y),
	OB("no-8", 0, eight_bit_output, false, Y),
	OB("mkpath", 0, mkpath, true, Y),
	OB("no-mkpath", 0, mkpath, false, Y),
	OB("qsort", 0, use_qsort, true, Y),
	OS("copy-as", 0, copy_as, N),
	OS("address", 0, address, Y),
	ON("port", 0, port, Y),
	OS("sockopts", 0, sockopts, Y),
	/* rsync refuses it (exit 1) for anything but a daemon transfer */
	OS("password-file", 0, password_file, Y),
	OS("early-input", 0, early_input, Y),
	OB("blocking-io", 0, blocking_io, true, Y),
	OB("no-blocking-io", 0, blocking_io, false, Y),
	CS("outbuf", 0, outbuf_arg, Y),
	FN("remote-option", 'M', ARG_STR, h_remote_option, 0, Y),
	{"protocol", 0, ARG_INT, ST_INT, IN_OPTS, Y, offsetof(struct ur_opts, protocol), 0, h_protocol},
	ON("checksum-seed", 0, checksum_seed, Y),
	FN("server", 0, ARG_NONE, h_server, 0, Y),
	FN("sender", 0, ARG_NONE, h_sender, 0, Y),
	/* any of these switches to the daemon's table */
	FN("config", 0, ARG_STR, h_to_daemon, 0, Y),
	FN("daemon", 0, ARG_NONE, h_to_daemon, 0, Y),
	FN("dparam", 0, ARG_STR, h_to_daemon, 0, Y),
	FN("detach", 0, ARG_NONE, h_to_daemon, 0, Y),
	FN("no-detach", 0, ARG_NONE, h_to_daemon, 0, Y),
	/* ursync's own */
	FN("io-uring", 0, ARG_NONE, h_io, UR_IO_URING, Y),
	FN("no-io-uring", 0, ARG_NONE, h_io, UR_IO_POSIX, Y),
};

/* `--daemon` mode (daemon/server.c). --bwlimit is refused (no rate limit
 * yet); --log-file-format and -v are accepted, the log has one format. */
static const struct optdef daemon_opts[] = {
	OS("address", 0, address, Y),
	ON("bwlimit", 0, daemon_bwlimit, N),
	OS("config", 0, config, Y),
	FN("daemon", 0, ARG_NONE, h_daemon_flag, 0, Y),
	FN("dparam", 'M', ARG_STR, h_dparam, 0, Y),
	OI("ipv4", '4', ipv, 4, Y),
	OI("ipv6", '6', ipv, 6, Y),
	OB("detach", 0, no_detach, false, Y),
	OB("no-detach", 0, no_detach, true, Y),
	OS("log-file", 0, log_file, Y),
	OS("log-file-format", 0, log_file_format, Y),
	ON("port", 0, port, Y),
	OS("sockopts", 0, sockopts, Y),
	ON("protocol", 0, protocol, Y),
	OB("server", 0, server, true, Y),
	OS("temp-dir", 'T', temp_dir, Y),
	OC("verbose", 'v', verbose, Y),
	OI("no-verbose", 0, verbose, 0, Y),
	OI("no-v", 0, verbose, 0, Y),
	FN("help", 'h', ARG_NONE, h_help, 0, Y),
};
/* clang-format on */

/* ----------------------------------------------------------------- scanning */

static const struct optdef *find_long(const struct optdef *t, size_t n, const char *name,
				      size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].name && strlen(t[i].name) == len && !memcmp(t[i].name, name, len))
			return &t[i];
	return NULL;
}

static const struct optdef *find_short(const struct optdef *t, size_t n, char ch)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].sname == ch)
			return &t[i];
	return NULL;
}

/* popt's integer rules: strtoll base 0, the whole word, within int. */
static int parse_int(struct pctx *c, const char *arg, int *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 0);
	if (*end)
		return bad_option(c, "invalid numeric value");
	if (errno == ERANGE || v > INT_MAX || v < INT_MIN)
		return bad_option(c, "number too large or too small");
	*out = (int)v;
	return 0;
}

/* ------------------------------------------------- a daemon's refuse options */

/* Set while a daemon parses a client's arguments (ur_opts_parse_daemon_args):
 * the module's "refuse options" and whether it sets a charset. */
static const char *daemon_refuse;
static bool daemon_charset;

/* Does one word of "refuse options" name d? rsync matches it against the
 * long and the short name, with wildcards, except that a wildcard never
 * matches the options a daemon needs whole; "a"/"archive" stands for the
 * options -a implies. */
static bool refuse_word_matches(const char *pat, const struct optdef *d)
{
	static const char *const exact_only[] = {"iconv",	 "no-iconv",	  "checksum-seed",
						 "copy-devices", "write-devices", "log-format",
						 "sender",	 "server",	  NULL};
	bool wild = strpbrk(pat, "*?[") != NULL;
	char sname[2] = {d->sname, '\0'};

	if (!strcmp(pat, "a") || !strcmp(pat, "archive")) {
		pat = "[ardlptgoD]";
		wild = true;
	}
	if (wild) {
		if (d->sname && strchr("e0sn", d->sname))
			return false;
		for (int i = 0; d->name && exact_only[i]; i++)
			if (!strcmp(d->name, exact_only[i]))
				return false;
	}
	return (d->name && !fnmatch(pat, d->name, 0)) || (d->sname && !fnmatch(pat, sname, 0));
}

/* Is d refused to the daemon's client? rsync's order: refused by default
 * (copy-devices, write-devices), then the module's words left to right
 * ("!word" accepts again), then what a daemon always refuses. */
static bool daemon_refuses(const struct optdef *d)
{
	bool refused =
	    d->name && (!strcmp(d->name, "copy-devices") || !strcmp(d->name, "write-devices"));
	char words[1024];
	snprintf(words, sizeof(words), "%s", daemon_refuse);
	for (char *save = NULL, *w = strtok_r(words, " ", &save); w;
	     w = strtok_r(NULL, " ", &save)) {
		bool negated = *w == '!' && w[1];
		if (refuse_word_matches(negated ? w + 1 : w, d))
			refused = !negated;
	}
	if (d->name && (!fnmatch("log-file*", d->name, 0) || !strcmp(d->name, "insecure-links")))
		refused = true;
	if (d->name && !daemon_charset && !strcmp(d->name, "iconv"))
		refused = true;
	return refused;
}

/* rsync's words for a refused option; returns 4. */
static int report_refused(const struct optdef *d)
{
	ur_log_flush();
	if (d->name && d->sname)
		fprintf(stderr, "%s: The server is configured to refuse --%s (-%c)\n", ur_progname,
			d->name, d->sname);
	else if (d->name)
		fprintf(stderr, "%s: The server is configured to refuse --%s\n", ur_progname,
			d->name);
	else
		fprintf(stderr, "%s: The server is configured to refuse -%c\n", ur_progname,
			d->sname);
	return UR_EXIT_UNSUPPORTED;
}

static int apply(struct pctx *c, const struct optdef *d, const char *arg)
{
	char *field = (char *)(d->base == IN_CTX ? (void *)c : (void *)c->o) + d->off;
	int num = d->val;

	if (daemon_refuse && !c->daemon_table && daemon_refuses(d))
		return report_refused(d);

	if (d->arg == ARG_INT) {
		int rc = parse_int(c, arg, &num);
		if (rc)
			return rc;
	}
	if (!d->sup) {
		char name[64];
		if (d->name)
			snprintf(name, sizeof(name), "--%s", d->name);
		else
			snprintf(name, sizeof(name), "-%c", d->sname);
		note_refused(c, name);
	}
	switch ((enum store)d->store) {
	case ST_BOOL:
		*(bool *)(void *)field = d->val != 0;
		break;
	case ST_INT:
		*(int *)(void *)field = num;
		break;
	case ST_COUNT:
		(*(int *)(void *)field)++;
		break;
	case ST_STR:
		*(const char **)(void *)field = arg;
		break;
	case ST_FN:
		break;
	}
	return d->fn ? d->fn(c, d, arg) : 0;
}

/* One pass over argv with one table. Returns 0, DONE, DAEMON_MODE or an
 * exit code. */
static int scan(struct pctx *c, const struct optdef *tab, size_t n)
{
	for (int i = 1; i < c->argc; i++) {
		const char *a = c->argv[i];
		const struct optdef *d;
		const char *val = NULL;
		int rc;

		c->cur = a;
		if (a[0] != '-' || !a[1]) {
			c->positional[i] = true;
			continue;
		}
		if (!strcmp(a, "--")) {
			while (++i < c->argc)
				c->positional[i] = true;
			break;
		}
		if (a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);

			if (!(d = find_long(tab, n, name, len)))
				return bad_option(c, "unknown option");
			if (d->arg == ARG_NONE) {
				if (eq)
					return bad_option(c, "option does not take an argument");
			} else if (eq) {
				val = eq + 1;
			} else if (i + 1 < c->argc) {
				val = c->cur = c->argv[++i];
			} else {
				return bad_option(c, "missing argument");
			}
			rc = apply(c, d, val);
			if (rc)
				return rc;
			continue;
		}
		for (const char *p = a + 1; *p; p++) {
			if (!(d = find_short(tab, n, *p)))
				return bad_option(c, "unknown option");
			if (d->arg == ARG_NONE) {
				if (p[1] == '=')
					return bad_option(c, "option does not take an argument");
				rc = apply(c, d, NULL);
				if (rc)
					return rc;
				continue;
			}
			if (p[1])
				val = p + 1 + (p[1] == '=');
			else if (i + 1 < c->argc)
				val = c->cur = c->argv[++i];
			else
				return bad_option(c, "missing argument");
			rc = apply(c, d, val);
			if (rc)
				return rc;
			break;
		}
	}
	return 0;
}

/* ------------------------------------------------------- after the options */

/* rsync's test for "host:path", "host::module" and "rsync://..." */
static bool has_hostspec(const char *s)
{
	if (!strncasecmp(s, "rsync://", 8))
		return true;
	for (; *s && *s != '/'; s++)
		if (*s == ':')
			return true;
	return false;
}

/* rsync 3.5.0's checksum names (`rsync --version`), whatever this build has. */
static bool checksum_name_ok(const char *name, size_t len)
{
	static const char *const names[] = {"auto", "xxh128", "xxh3", "xxh64", "xxhash",
					    "md5",  "md4",    "sha1", "none"};

	for (size_t i = 0; i < NELEM(names); i++)
		if (strlen(names[i]) == len && !strncasecmp(name, names[i], len))
			return true;
	return false;
}

static int count_positional(struct pctx *c)
{
	int n = 0;
	for (int i = 1; i < c->argc; i++)
		n += c->positional[i];
	return n;
}

/* rsync's checks and implications once every option has been read, in
 * its order (the first failing check is the one reported). */
static int finish(struct pctx *c)
{
	struct ur_opts *o = c->o;
	const char *env;
	int nargs = count_positional(c);
	int rc;

	if (c->version_count) {
		if (c->version_count > 1 && !o->server)
			ur_cli_print_version_json(stdout);
		else
			ur_cli_print_version(stdout);
		fflush(stdout);
		return DONE;
	}

	if (!c->max_alloc_arg && (env = getenv("RSYNC_MAX_ALLOC")) && *env)
		c->max_alloc_arg = env;
	o->max_alloc_arg = c->max_alloc_arg;
	if (c->max_alloc_arg) {
		int64_t v;
		rc = parse_size(c->max_alloc_arg, 'B', "max-alloc", 1024 * 1024, -1, true, &v);
		if (rc)
			return rc;
		/* rsync 3.5.0 (the binary) takes 0 as "no limit" */
		o->max_alloc = v ? v : INT64_MAX;
	}

	if (c->old_args < 0) {
		if (!o->server && c->protect_args <= 0 && (env = getenv("RSYNC_OLD_ARGS")) &&
		    *env) {
			c->protect_args = 0;
			c->old_args = atoi(env);
		} else {
			c->old_args = 0;
		}
	} else if (c->old_args) {
		if (c->protect_args > 0)
			return fail(UR_EXIT_SYNTAX, "--secluded-args conflicts with --old-args.");
		c->protect_args = 0;
	}
	if (c->protect_args < 0) {
		if (!o->server && (env = getenv("RSYNC_PROTECT_ARGS")) && *env)
			c->protect_args = atoi(env) ? 1 : 0;
		else
			c->protect_args = 0;
	}
	o->secluded_args = c->protect_args > 0;
	o->old_args_level = c->old_args;
	o->old_args = c->old_args > 0;

	if (o->checksum_choice && (!strcasecmp(o->checksum_choice, "auto") ||
				   !strcasecmp(o->checksum_choice, "auto,auto")))
		o->checksum_choice = NULL;
	if (o->checksum_choice) {
		const char *cc = o->checksum_choice, *comma = strchr(cc, ',');
		if (!checksum_name_ok(cc, comma ? (size_t)(comma - cc) : strlen(cc)))
			return fail_bare(UR_EXIT_UNSUPPORTED, "unknown checksum name: %s", cc);
		if (comma && !checksum_name_ok(comma + 1, strlen(comma + 1)))
			return fail_bare(UR_EXIT_UNSUPPORTED, "unknown checksum name: %s",
					 comma + 1);
	}

	/* "-h" on its own is the old spelling of --help */
	if (c->human > 1 && c->argc == 2 && !o->server) {
		ur_cli_usage(stdout);
		fflush(stdout);
		return DONE;
	}
	o->human_level = c->human;

	o->compress_z = o->compress;
	if (!o->compress_choice && o->compress > 1)
		o->compress_choice = "zlibx";
	if (o->compress_choice && strcasecmp(o->compress_choice, "auto")) {
		static const char *const names[] = {"zstd", "lz4", "zlibx", "zlib", "none"};
		size_t k;
		for (k = 0; k < NELEM(names); k++)
			if (!strcasecmp(o->compress_choice, names[k]))
				break;
		if (k == NELEM(names))
			return fail_bare(UR_EXIT_UNSUPPORTED, "unknown compress name: %s",
					 o->compress_choice);
		if (!strcasecmp(o->compress_choice, "none"))
			o->compress = 0;
		else if (!o->compress)
			o->compress = 1;
	} else {
		o->compress_choice = NULL;
	}
	if (o->compress_level != -1 && !o->compress)
		o->compress = 1; /* rsync: a level alone (even after --zc=none) turns it on */
	if (o->compress_threads < 0)
		o->compress_threads = 0;

	if (c->outbuf_arg && !o->server) {
		int mode = toupper((unsigned char)c->outbuf_arg[0]), how;
		switch (mode) {
		case 'N':
		case 'U':
			o->outbuf = 'N';
			how = _IONBF;
			break;
		case 'L':
			o->outbuf = 'L';
			how = _IOLBF;
			break;
		case 'B':
		case 'F':
			o->outbuf = 'B';
			how = _IOFBF;
			break;
		default:
			return fail(UR_EXIT_SYNTAX,
				    "Invalid --outbuf setting -- specify N, L, or B.");
		}
		fflush(stdout);
		setvbuf(stdout, NULL, how, 0);
	}

	set_verbosity(c, o->verbose);
	if (c->do_stats) {
		info_default(c, o->verbose > 1 ? "stats3" : "stats2");
		o->stats = true;
	}

	if (o->iconv && !o->server && !strcmp(o->iconv, "-"))
		o->iconv = NULL;
	if (o->fuzzy > 1)
		o->fuzzy = o->basis_dir_count + 1;

	if (HAVE_XATTR && o->fake_super && o->xattrs_count > 1)
		return fail(UR_EXIT_SYNTAX, "--fake-super conflicts with -XX");
	if (!HAVE_XATTR && o->fake_super)
		return fail(UR_EXIT_SYNTAX,
			    "--fake-super requires an rsync with extended attributes enabled");

	if (o->write_batch && o->read_batch)
		return fail(UR_EXIT_SYNTAX,
			    "--write-batch and --read-batch can not be used together");
	if (o->write_batch > 0 || o->read_batch) {
		if (o->server) {
			o->read_batch = false;
			o->write_batch = 0;
			o->batch_name = NULL;
		} else if (o->dry_run) {
			o->write_batch = 0;
		}
	} else if (o->write_batch < 0 && o->dry_run) {
		o->write_batch = 0;
	}
	if (o->read_batch && o->files_from)
		return fail(UR_EXIT_SYNTAX, "--read-batch cannot be used with --files-from");
	if (o->read_batch && c->remove_source)
		return fail(UR_EXIT_SYNTAX, "--read-batch cannot be used with --remove-%s-files",
			    c->remove_source == 1 ? "source" : "sent");
	if (o->batch_name && strlen(o->batch_name) > MAX_BATCH_NAME)
		return fail(UR_EXIT_SYNTAX, "the batch-file name must be %d characters or less.",
			    MAX_BATCH_NAME);
	if (o->temp_dir && strlen(o->temp_dir) >= PATH_CAP - 10)
		return fail(UR_EXIT_SYNTAX, "the --temp-dir path is WAY too long.");

	if (c->max_delete == INT_MIN)
		o->max_delete = -1;
	else
		o->max_delete = c->max_delete < 0 ? 0 : c->max_delete;

	if (o->files_from) {
		if (c->recurse == 1) /* -a's recursion, not an explicit -r */
			c->recurse = 0;
		if (c->xfer_dirs < 0)
			c->xfer_dirs = 1;
	}
	o->list_only_opt = o->list_only;
	if (nargs < 2 && !o->read_batch && !o->server)
		o->list_only = true;
	if (c->xfer_dirs >= 4) {
		rc = add_filter(c, UR_FARG_RULE, "- /*/*");
		if (rc)
			return rc;
		o->old_dirs = true;
		c->recurse = c->xfer_dirs = 1;
	} else if (c->recurse) {
		c->xfer_dirs = 1;
	} else if (c->xfer_dirs < 0) {
		c->xfer_dirs = o->list_only ? 1 : 0;
	}
	o->recursive = c->recurse != 0;
	o->xfer_dirs = c->xfer_dirs;
	if (c->relative < 0)
		c->relative = o->files_from ? 1 : 0;
	o->relative = c->relative != 0;
	if (!o->relative)
		o->implied_dirs = false;

	if (c->delete_before + !!c->delete_during + c->delete_after > 1)
		return fail(UR_EXIT_SYNTAX, "You may not combine multiple --delete-WHEN options.");
	o->delete_excluded = c->delete_excluded;
	o->delete_when_given = c->delete_before || c->delete_during || c->delete_after;
	if (c->delete_before)
		o->delete_mode = UR_DEL_BEFORE;
	else if (c->delete_during == 2)
		o->delete_mode = UR_DEL_DELAY;
	else if (c->delete_during)
		o->delete_mode = UR_DEL_DURING;
	else if (c->delete_after)
		o->delete_mode = UR_DEL_AFTER;
	else if (c->delete_mode || c->delete_excluded)
		o->delete_mode = UR_DEL_DURING;
	if (!o->xfer_dirs && o->delete_mode != UR_DEL_NONE)
		return fail(UR_EXIT_SYNTAX,
			    "--delete does not work without --recursive (-r) or --dirs (-d).");
	if (c->missing_args == 3)
		c->missing_args = 2;
	o->ignore_missing_args = c->missing_args == 1;
	o->delete_missing_args = c->missing_args == 2;
	o->remove_source_files = c->remove_source != 0;

	if (o->munge_links && !o->daemon) {
		struct stat st;
		if (stat("/rsyncd-munged", &st) == 0 && S_ISDIR(st.st_mode))
			return fail_bare(
			    UR_EXIT_UNSUPPORTED,
			    "Symlink munging is unsafe when a /rsyncd-munged directory exists.");
	}
	if (o->confine_root) {
		if (*o->confine_root != '/')
			return fail(UR_EXIT_SYNTAX, "--confine-root must be an absolute path");
		if (o->insecure_links)
			return fail(UR_EXIT_SYNTAX,
				    "--insecure-links cannot be combined with --confine-root");
	}

	/* backups: rsync turns an empty --backup-dir into "same as the dest" */
	{
		bool dir_is_dest = false;
		if (!o->suffix)
			o->suffix = o->backup_dir ? "" : "~";
		if (strchr(o->suffix, '/'))
			return fail(UR_EXIT_SYNTAX, "--suffix cannot contain slashes: %s",
				    o->suffix);
		if (o->backup_dir) {
			const char *b = o->backup_dir;
			o->backup = true;
			while (b[0] == '.' && b[1] == '/')
				b += 2;
			if (b[0] == '.' && !b[1])
				b++;
			if (strlen(b) > PATH_CAP - 128)
				return fail(UR_EXIT_SYNTAX,
					    "the --backup-dir path is WAY too long.");
			o->backup_dir = *b ? b : NULL;
			dir_is_dest = !*b;
		}
		if (!o->backup_dir && !*o->suffix && (!o->server || !o->sender))
			return fail(UR_EXIT_SYNTAX, "--suffix cannot be empty %s",
				    dir_is_dest ? "when --backup-dir is the same as the dest dir"
						: "without a --backup-dir");
		/* rsync also protects "*SUFFIX" from deletion when backing up
		 * into the destination; filter/ adds that rule. */
	}

	if (o->out_format) {
		o->stdout_format = o->out_format;
		o->log_before_transfer = !ur_format_has(o->out_format, 'b') &&
					 !ur_format_has(o->out_format, 'c') &&
					 !ur_format_has(o->out_format, 'C') && !o->server;
	} else if (o->itemize) {
		o->stdout_format = "%i %n%L";
		o->log_before_transfer = !o->server;
	}
	if (c->do_progress && !o->server) {
		if (!o->log_before_transfer && o->info[UR_INFO_NAME] == 0)
			info_default(c, "name");
		info_default(c, "FLIST2,PROGRESS");
	}
	if (o->info[UR_INFO_NAME] >= 1 && !o->stdout_format) {
		o->stdout_format = "%n%L";
		o->log_before_transfer = !o->server;
	}
	if (o->log_file && !o->daemon) {
		if (!o->log_file_format)
			o->log_file_format = "%i %n%L";
	} else if (!o->daemon) {
		o->log_file_format = NULL;
	}

	if (c->append_mode) {
		if (o->whole_file > 0)
			return fail(UR_EXIT_SYNTAX, "--append cannot be used with --whole-file");
		o->inplace = true;
	}
	o->append = c->append_mode != 0;
	o->append_verify = c->append_mode == 2;
	if (o->write_devices)
		o->inplace = true;
	if (o->delay_updates && !o->partial_dir)
		o->partial_dir = ".~tmp~";
	if (o->inplace) {
		if (o->partial_dir)
			return fail(UR_EXIT_SYNTAX, "--%s cannot be used with --%s",
				    c->append_mode ? "append" : "inplace",
				    o->delay_updates ? "delay-updates" : "partial-dir");
		c->keep_partial = 0;
	} else {
		if (c->keep_partial && !o->partial_dir && !o->server &&
		    (env = getenv("RSYNC_PARTIAL_DIR")) && *env)
			o->partial_dir = env;
		if (o->partial_dir) {
			const char *p = o->partial_dir;
			while (p[0] == '.' && p[1] == '/')
				for (p += 2; *p == '/'; p++) {
				}
			if (!*p || !strcmp(p, ".") || !strcmp(p, "./"))
				o->partial_dir = NULL;
			c->keep_partial = 1;
		}
	}
	o->partial = c->keep_partial != 0;

	if (o->files_from) {
		if (nargs > 2 || (!o->server && nargs == 1))
			return usage_error();
		if (strcmp(o->files_from, "-") && has_hostspec(o->files_from)) {
			const char *path = strchr(o->files_from, ':');
			while (path && *path == ':')
				path++;
			if (path && !strcmp(path, "-"))
				return fail(UR_EXIT_SYNTAX, "Invalid --files-from remote filename");
		} else if (strcmp(o->files_from, "-")) {
			int fd = open(o->files_from, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				return fail(UR_EXIT_SYNTAX, "failed to open files-from file %s: %s",
					    o->files_from, strerror(errno));
			close(fd);
		}
	}
	return 0;
}

/*
 * What the remote-shell code needs besides the settled options: which
 * --info levels the user set (rsync forwards only those), and on a server
 * the client's capability letters, which rsync's client sends as the value
 * of -e ("-logDtpre.iLsfxCIvu": -e takes ".iLsfxCIvu"); with no -e the
 * client info is empty.
 */
static void note_remote_facts(struct pctx *c)
{
	struct ur_opts *o = c->o;

	for (int j = 0; j < UR_INFO_COUNT; j++)
		o->info_user[j] = c->info_prio[j] >= PRIO_USER;
	if (o->server)
		o->client_info = o->rsh ? o->rsh : "";
}

/* After --daemon: what rsync checks before starting the daemon. */
static int finish_daemon(struct pctx *c)
{
	struct ur_opts *o = c->o;

	if (o->temp_dir && strlen(o->temp_dir) >= PATH_CAP - 10)
		return fail(UR_EXIT_SYNTAX, "the --temp-dir path is WAY too long.");
	if (!c->daemon_opt) {
		ur_log_flush();
		fputs("Daemon option(s) used without --daemon.\n", stderr);
		return daemon_hint();
	}
	/* rsync checks the --dparam names against its table at once */
	for (int i = 0; i < o->dparam_count; i++) {
		char name[256];
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(o->dparams[i], "="),
			 o->dparams[i]);
		if (ur_dparm_find(name) < 0)
			return fail_bare(UR_EXIT_SYNTAX, "Unknown parameter \"%s\"", name);
	}
	o->daemon = true;
	return 0;
}

/* rsync negotiates --protocol in its handshake; the outcome for a given
 * number is fixed, so say it here. */
static int check_protocol(struct pctx *c)
{
	int p = c->o->protocol;

	if (!c->protocol_given || (p >= UR_PROTOCOL_MIN_SUPPORTED && p <= UR_PROTOCOL_VERSION))
		return 0;
	if (p < 20 || p > 40) {
		ur_log_flush();
		fputs("protocol version mismatch -- is your shell clean?\n"
		      "(see the rsync manpage for an explanation)\n",
		      stderr);
		ur_exit_message(UR_EXIT_PROTOCOL, exit_role);
		return UR_EXIT_PROTOCOL;
	}
	if (p > UR_PROTOCOL_VERSION)
		return fail_bare(UR_EXIT_PROTOCOL,
				 "--protocol must be no more than %d on the Client.",
				 UR_PROTOCOL_VERSION);
	/* 20..29 are rsync's older protocols; ursync speaks 30 to 32 */
	return fail(UR_EXIT_UNSUPPORTED, "--protocol=%d is not supported yet", p);
}

/* Options or implications ursync cannot honour yet: 0, or 4 after saying so. */
static int refuse(struct pctx *c)
{
	struct ur_opts *o = c->o;
	const char *what = c->refused[0] ? c->refused : NULL;

	if (!what && o->iconv)
		what = c->iconv_from_env ? "--iconv (from RSYNC_ICONV)" : "--iconv";
	if (!what)
		return 0;
	return fail(UR_EXIT_UNSUPPORTED, "%s is not supported yet", what);
}

/* Operands to the end of argv, in order, so o->args can borrow them. */
static int gather_args(struct pctx *c)
{
	struct ur_opts *o = c->o;
	int n = count_positional(c), opt = 1, pos;
	char **tmp = malloc((size_t)c->argc * sizeof(*tmp));

	if (!tmp)
		return no_memory();
	pos = c->argc - n;
	for (int i = 1; i < c->argc; i++) {
		if (c->positional[i])
			tmp[pos++] = c->argv[i];
		else
			tmp[opt++] = c->argv[i];
	}
	memcpy(c->argv + 1, tmp + 1, (size_t)(c->argc - 1) * sizeof(*tmp));
	free(tmp);
	o->args = c->argv + c->argc - n;
	o->nargs = n;
	return 0;
}

static void ctx_init(struct pctx *c, struct ur_opts *o, int argc, char **argv, bool *positional)
{
	memset(c, 0, sizeof(*c));
	c->o = o;
	c->argc = argc;
	c->argv = argv;
	c->positional = positional;
	c->xfer_dirs = -1;
	c->relative = -1;
	c->protect_args = -1;
	c->old_args = -1;
	c->human = 1;
	c->max_delete = INT_MIN;
	c->protocol = UR_PROTOCOL_VERSION;
}

int ur_opts_parse(struct ur_opts *o, int argc, char **argv)
{
	struct pctx c;
	bool *positional;
	const char *env;
	int rc;

	exit_role = argc > 1 && !strcmp(argv[1], "--server") ? "server" : "client";
	if (argc < 2)
		return usage_error();
	positional = calloc((size_t)argc, sizeof(*positional));
	if (!positional)
		return no_memory();
	ctx_init(&c, o, argc, argv, positional);

	/* rsync takes a default --iconv from the environment before parsing */
	if ((env = getenv("RSYNC_ICONV")) && *env) {
		o->iconv = env;
		c.iconv_from_env = true;
	}
	rc = scan(&c, main_opts, NELEM(main_opts));
	if (rc == DAEMON_MODE) {
		/* rsync starts over with the daemon's table */
		ur_opts_release(o);
		ur_opts_init(o);
		memset(positional, 0, (size_t)argc * sizeof(*positional));
		ctx_init(&c, o, argc, argv, positional);
		c.daemon_table = true;
		rc = scan(&c, daemon_opts, NELEM(daemon_opts));
		if (!rc)
			rc = finish_daemon(&c);
		if (!rc)
			rc = gather_args(&c);
		if (!rc)
			rc = refuse(&c);
		goto out;
	}
	if (!rc)
		rc = finish(&c);
	if (!rc)
		note_remote_facts(&c);
	if (!rc)
		rc = gather_args(&c);
	/* a server given -s reads its file names from stdin (cli/main.c) */
	if (!rc && o->nargs < 1 && !(o->server && o->secluded_args))
		rc = usage_error();
	if (!rc)
		rc = check_protocol(&c);
	if (!rc)
		rc = refuse(&c);
	if (!rc && !c.io_given && (env = getenv("URSYNC_IO"))) {
		if (!strcmp(env, "posix"))
			o->io_policy = UR_IO_POSIX;
		else if (!strcmp(env, "uring"))
			o->io_policy = UR_IO_URING;
	}
out:
	free(positional);
	return rc == DONE ? -1 : rc;
}

/* What rsync refuses by implication once all is parsed: every delete mode
 * (and --remove-source-files of a sender) when "delete" is refused, -z when
 * "compress" is (--zl and --zc imply it), --partial when "partial" is. */
static int refuse_implied(const struct ur_opts *o)
{
	static const char *const implied[] = {"delete", "compress", "partial"};
	bool on[] = {o->delete_mode != UR_DEL_NONE || o->delete_excluded ||
			 (o->sender && o->remove_source_files),
		     o->compress > 0, o->partial};
	for (size_t i = 0; i < NELEM(implied); i++) {
		const struct optdef *d =
		    find_long(main_opts, NELEM(main_opts), implied[i], strlen(implied[i]));
		if (on[i] && d && daemon_refuses(d))
			return report_refused(d);
	}
	return 0;
}

/* Point fd at a new pipe (p[0] stays for reading, -1 when there is
 * none). Returns a copy of the old fd to put back, or -1 when fd is
 * unchanged. */
static int divert(int fd, int p[2])
{
	int saved = -1;
	fflush(fd == STDOUT_FILENO ? stdout : stderr);
	if (pipe2(p, O_CLOEXEC) < 0) {
		p[0] = -1;
		return -1;
	}
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	saved = dup(fd);
	if (saved >= 0 && dup2(p[1], fd) < 0) {
		close(saved);
		saved = -1;
	}
	close(p[1]);
	return saved;
}

int ur_opts_parse_daemon_args(struct ur_opts *o, int argc, char **argv, const char *refuse,
			      bool charset, char *msg, size_t cap)
{
	int pfd[2], out[2], rc;

	msg[0] = '\0';
	/* Nothing of a parse belongs on stdout: over a remote shell it is the
	 * client's connection. What --help or --version would print there
	 * goes to a pipe and is dropped. The parser says what is wrong on
	 * stderr; a daemon's client hears it on the protocol instead, so it
	 * is caught here. */
	int saved_out = divert(STDOUT_FILENO, out);
	int saved = divert(STDERR_FILENO, pfd);
	daemon_refuse = refuse ? refuse : "";
	daemon_charset = charset;
	rc = ur_opts_parse(o, argc, argv);
	if (rc == 0)
		rc = refuse_implied(o);
	daemon_refuse = NULL;
	fflush(stdout);
	if (saved_out >= 0) {
		dup2(saved_out, STDOUT_FILENO);
		close(saved_out);
	}
	if (out[0] >= 0)
		close(out[0]);
	fflush(stderr);
	if (saved >= 0) {
		dup2(saved, STDERR_FILENO);
		close(saved);
	}
	if (pfd[0] >= 0) {
		char buf[4096];
		ssize_t n = read(pfd[0], buf, sizeof(buf) - 1);
		close(pfd[0]);
		buf[n > 0 ? n : 0] = '\0';
		/* the closing "error: ... (code N)" line is the server's own */
		size_t len = 0, plen = strlen(ur_progname);
		for (char *line = buf, *nl; *line; line = nl) {
			nl = strchr(line, '\n');
			nl = nl ? nl + 1 : line + strlen(line);
			bool closing = !strncmp(line, ur_progname, plen) &&
				       !strncmp(line + plen, " error: ", 8);
			if (!closing && len + (size_t)(nl - line) < cap) {
				memcpy(msg + len, line, (size_t)(nl - line));
				len += (size_t)(nl - line);
			}
		}
		msg[len] = '\0';
	}
	if (rc < 0) /* --help or --version: nothing a server does */
		rc = UR_EXIT_UNSUPPORTED;
	return rc;
}
