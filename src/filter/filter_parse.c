/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The filter rule grammar: rule prefixes and modifiers, merge files, -C. */
#include "filter/filter_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* rsync's built-in --cvs-exclude list (man rsync, --cvs-exclude). */
static const char cvs_default[] =
    "RCS SCCS CVS CVS.adm RCSLOG cvslog.* tags TAGS .make.state .nse_depinfo "
    "*~ #* .#* ,* _$* *$ *.old *.bak *.BAK *.orig *.rej .del-* *.a *.olb *.o "
    "*.obj *.so *.exe *.Z *.elc *.ln core .svn/ .git/ .hg/ .bzr/";

const char *ur_filter_cvs_default(void)
{
	return cvs_default;
}

/* One rule as the tokenizer found it. */
struct tok {
	uint32_t flags;
	const char *start; /* the rule's text, for messages */
	const char *pat;
	size_t len;
};

/*
 * Where the text being read came from, as rsync words it. A peer can choose
 * which file a dir-merge rule reads, so messages about rules read from a
 * file name the file and line instead of quoting the rule.
 */
static void describe_source(const struct ur_filt_parse *p, char *buf, size_t size)
{
	if (p->named_by_file) {
		if (p->parent && p->parent->file) {
			char up[UR_FILTER_MAX_PATTERN + 128];
			describe_source(p->parent, up, sizeof(up));
			snprintf(buf, size, "a file named at %s", up);
		} else {
			snprintf(buf, size, "a file read earlier");
		}
	} else {
		/* A per-directory file is named by its absolute path, as the
		 * sender that read it would name it. */
		const char *root = p->dir && p->file[0] != '/' ? p->l->cfg.abs_root : NULL;
		char where[UR_FILTER_MAX_PATTERN + 64];
		snprintf(where, sizeof(where), "%s%s%s", root ? root : "",
			 root && strcmp(root, "/") ? "/" : "", p->file);
		if (p->line < 0)
			snprintf(buf, size, "%s", where);
		else
			snprintf(buf, size, "%s line %d", where, p->line);
	}
}

/* The rule text to show in a message: the text itself for an argument, a
 * description of its place for file contents. */
static const char *shown(const struct ur_filt_parse *p, const char *text, char *buf, size_t size)
{
	if (!p->file)
		return text;
	char where[UR_FILTER_MAX_PATTERN + 128];
	describe_source(p, where, sizeof(where));
	snprintf(buf, size, "<rule from %s>", where);
	return buf;
}

/* An over-long pattern or line is dropped with rsync's warning (the whole
 * pattern for an argument, its place for file contents). */
static void discard(const struct ur_filt_parse *p, const char *text, size_t len)
{
	p->l->discarded++;
	if (!p->l->cfg.warn)
		return;
	const char *prefix = "discarding over-long filter: ";
	size_t plen = strlen(prefix);
	char where[UR_FILTER_MAX_PATTERN + 128];
	if (p->file) {
		shown(p, "", where, sizeof(where));
		text = where;
		len = strlen(where);
	}
	char *msg = malloc(plen + len + 1);
	if (!msg)
		return;
	memcpy(msg, prefix, plen);
	memcpy(msg + plen, text, len);
	msg[plen + len] = '\0';
	p->l->cfg.warn(p->l->cfg.ctx, msg);
	free(msg);
}

static int syntax_error(const struct ur_filt_parse *p, const char *what, const char *text)
{
	char b[UR_FILTER_MAX_PATTERN + 256];
	return ur_err_set(p->err, UR_EXIT_SYNTAX, EINVAL, "%s: %s", what,
			  shown(p, text, b, sizeof(b)));
}

/* Long rule names; a rule starting with one of their initials must spell the
 * whole name (so "s foo" is unknown, not "show"). */
static const struct {
	const char *name;
	char code;
} long_names[] = {
    {"clear", '!'}, {"dir-merge", ':'}, {"exclude", '-'}, {"hide", 'H'}, {"include", '+'},
    {"merge", '.'}, {"protect", 'P'},	{"risk", 'R'},	  {"show", 'S'},
};

/*
 * Read the rule name at s. Returns the one-character code (or 0 for an
 * unknown name) and leaves *cur on the character before the modifiers:
 * the name's last letter, or the ',' that may follow it.
 */
static char rule_code(const char *s, const char **cur)
{
	for (size_t i = 0; i < sizeof(long_names) / sizeof(long_names[0]); i++) {
		size_t n = strlen(long_names[i].name);
		if (*s != long_names[i].name[0])
			continue;
		if (strncmp(s, long_names[i].name, n) != 0)
			return 0;
		unsigned char after = (unsigned char)s[n];
		if (after == ',') {
			*cur = s + n;
			return long_names[i].code;
		}
		if (after == '\0' || after == '_' || isspace(after)) {
			*cur = s + n - 1;
			return long_names[i].code;
		}
		return 0;
	}
	*cur = s[1] == ',' ? s + 1 : s;
	return *s;
}

static int bad_modifier(const struct ur_filt_parse *p, const char *start, const char *at)
{
	char b[UR_FILTER_MAX_PATTERN + 256];
	if (p->file)
		return ur_err_set(p->err, UR_EXIT_SYNTAX, EINVAL,
				  "invalid modifier in filter rule: %s",
				  shown(p, start, b, sizeof(b)));
	return ur_err_set(p->err, UR_EXIT_SYNTAX, EINVAL,
			  "invalid modifier '%c' at position %d in filter rule: %s", *at,
			  (int)(at - start), start);
}

/* Parse the prefix and modifiers of a rule with rule names. On return *sp is
 * on the pattern. */
static int parse_prefix(const struct ur_filt_parse *p, const char **sp, uint32_t *flags)
{
	const char *start = *sp, *s;
	bool words = p->tmpl & R_WORDS;
	bool side_given = false;
	uint32_t f = *flags;
	char code = rule_code(start, &s);

	switch (code) {
	case ':':
		f |= R_DIRMERGE | R_MERGE;
		break;
	case '.':
		f |= R_MERGE;
		break;
	case '+':
		f |= R_INCLUDE;
		break;
	case '-':
		break;
	case 'S':
		f |= R_INCLUDE;
		/* fall through */
	case 'H':
		f |= R_SENDER;
		side_given = true;
		break;
	case 'R':
		f |= R_INCLUDE;
		/* fall through */
	case 'P':
		f |= R_RECEIVER;
		side_given = true;
		break;
	case '!':
		f |= R_CLEAR;
		break;
	default:
		return syntax_error(p, "Unknown filter rule", start);
	}

	if (code != '!') {
		/* Modifiers run up to a space or '_' (the separator, skipped) or
		 * the end; in word-split text whitespace also ends them. */
		while (*++s && *s != ' ' && *s != '_') {
			if (words && isspace((unsigned char)*s)) {
				s--;
				break;
			}
			switch (*s) {
			case '-':
			case '+':
				if (!(f & R_MERGE) || (f & R_NO_PREFIXES))
					return bad_modifier(p, start, s);
				f |= R_NO_PREFIXES | (*s == '+' ? R_INCLUDE : 0);
				break;
			case '/':
				f |= R_ABS;
				break;
			case '!':
				/* Negation belongs to a pattern, not to a file. */
				if (f & R_MERGE)
					return bad_modifier(p, start, s);
				f |= R_NEGATE;
				break;
			case 'C':
				if ((f & R_NO_PREFIXES) || side_given)
					return bad_modifier(p, start, s);
				f |= R_NO_PREFIXES | R_WORDS | R_NO_INHERIT | R_CVS;
				break;
			case 'e':
			case 'n':
			case 'w':
				if (!(f & R_MERGE))
					return bad_modifier(p, start, s);
				f |= *s == 'e'	 ? R_EXCLUDE_SELF
				     : *s == 'n' ? R_NO_INHERIT
						 : R_WORDS;
				break;
			case 'p':
				f |= R_PERISHABLE;
				break;
			case 'r':
			case 's':
				if (side_given)
					return bad_modifier(p, start, s);
				f |= *s == 'r' ? R_RECEIVER : R_SENDER;
				break;
			case 'x':
				f |= R_XATTR;
				break;
			default:
				return bad_modifier(p, start, s);
			}
		}
	}
	if (*s)
		s++;
	*sp = s;
	*flags = f;
	return 0;
}

/* The next rule in *sp, advancing past it. Returns 1 with *t filled, 0 when
 * the text is used up, or -errno. */
static int next_rule(const struct ur_filt_parse *p, const char **sp, struct tok *t)
{
	const char *s = *sp;
	bool words = p->tmpl & R_WORDS;

	if (words)
		while (isspace((unsigned char)*s))
			s++;
	if (!*s) {
		*sp = s;
		return 0;
	}
	t->start = s;
	uint32_t f = p->tmpl & R_FROM_TEMPLATE;
	if (p->file)
		f |= R_FROM_FILE;

	if (p->tmpl & R_NO_PREFIXES) {
		/* Bare patterns; a CVS-style file may still say "!". */
		if (*s == '!' && (p->tmpl & R_CVS))
			f |= R_CLEAR;
	} else if (p->old_prefixes) {
		if ((*s == '-' || *s == '+') && s[1] == ' ') {
			f = *s == '+' ? (f | R_INCLUDE) : (f & ~(uint32_t)R_INCLUDE);
			s += 2;
		} else if (*s == '!') {
			f |= R_CLEAR;
		}
	} else {
		int rc = parse_prefix(p, &s, &f);
		if (rc < 0)
			return rc;
	}

	if (p->tmpl & R_SIDES) {
		/* A one-sided merge file must not hold one-sided rules. */
		if (f & R_SIDES)
			return syntax_error(
			    p, "specified-side merge file contains specified-side filter",
			    t->start);
		f |= p->tmpl & R_SIDES;
	}

	size_t len = 0;
	if (words)
		while (s[len] && !isspace((unsigned char)s[len]))
			len++;
	else
		len = strlen(s);

	if (f & R_CLEAR) {
		if (!(p->tmpl & R_NO_PREFIXES) && !p->old_prefixes && len)
			return syntax_error(p, "'!' rule has trailing characters", t->start);
		if (len > 1) /* "!foo" as a bare pattern is just a pattern */
			f &= ~(uint32_t)R_CLEAR;
	} else if (!len && !(f & R_CVS)) {
		return syntax_error(p, "unexpected end of filter rule", t->start);
	}

	/* --delete-excluded: unqualified include/exclude rules act only on the
	 * sender, so excluded files on the receiver get deleted. */
	if (p->l->cfg.delete_excluded && !(f & (R_SIDES | R_MERGE)))
		f |= R_SENDER;

	t->flags = f;
	t->pat = s;
	t->len = len;
	*sp = s + len;
	return 1;
}

static void free_rule_only(struct ur_filt_rule *r)
{
	if (r) {
		free(r->pattern);
		free(r);
	}
}

/*
 * Build a rule from pattern text and append it to p->dst. Trailing '/' makes
 * it directory-only; in a per-directory file an anchored pattern gets the
 * directory in front. A dir-merge rule whose file name is already active is
 * dropped, as rsync drops it.
 */
static int add_rule(const struct ur_filt_parse *p, const char *pat, size_t len, uint32_t flags,
		    bool anchor_here)
{
	const char *pre = "";
	size_t plen = 0;

	if (len > 1 && pat[len - 1] == '/') {
		len--;
		flags |= R_DIR_ONLY;
	}
	/* rsyncd.conf rules are checked against whole module paths without
	 * pruning, so a slash means "from the module root" and an excluded
	 * directory must take its contents with it. */
	const char *suffix = "";
	if (p->daemon && anchor_here && !(flags & R_MERGE)) {
		if (!(flags & R_ABS) && memchr(pat, '/', len))
			flags |= R_ABS;
		if ((flags & R_DIR_ONLY) && !(flags & R_INCLUDE)) {
			flags &= ~(uint32_t)R_DIR_ONLY;
			suffix = "/***";
		}
	}
	if (anchor_here && p->dir && !(flags & (R_ABS | R_MERGE)) && len && pat[0] == '/') {
		pre = p->dir;
		plen = strlen(pre);
		while (plen && pre[plen - 1] == '/')
			plen--;
		/* Parents of the root hold absolute directories; such rules
		 * match the absolute path (rsync marks them the same way). */
		if (p->dir_abs)
			flags |= R_ABS;
	}

	if (flags & R_DIRMERGE) {
		const char *base = pat + len;
		while (base > pat && base[-1] != '/')
			base--;
		char *name = strndup(base, (size_t)(pat + len - base));
		if (!name)
			return ur_err_set(p->err, UR_EXIT_MALLOC, ENOMEM, "out of memory");
		bool dup = ur_filt_already_active(p->l, name);
		free(name);
		if (dup)
			return 0;
		if (p->l->nactive >= UR_FILTER_MAX_DIRMERGE)
			return ur_err_set(p->err, UR_EXIT_SYNTAX, E2BIG,
					  "too many per-directory merge files (limit %d)",
					  UR_FILTER_MAX_DIRMERGE);
	}

	struct ur_filt_rule *r = calloc(1, sizeof(*r));
	if (!r)
		return ur_err_set(p->err, UR_EXIT_MALLOC, ENOMEM, "out of memory");
	/* A relative per-dir directory is joined with a '/' of its own. */
	bool join_slash = plen && !p->dir_abs;
	size_t slen = strlen(suffix);
	size_t total = (join_slash ? 1 : 0) + plen + len + slen;
	r->pattern = malloc(total + 1);
	if (!r->pattern) {
		free(r);
		return ur_err_set(p->err, UR_EXIT_MALLOC, ENOMEM, "out of memory");
	}
	char *w = r->pattern;
	if (join_slash)
		*w++ = '/';
	memcpy(w, pre, plen);
	w += plen;
	memcpy(w, pat, len);
	memcpy(w + len, suffix, slen + 1);

	unsigned slashes = 0;
	for (size_t i = 0; i < total; i++)
		slashes += r->pattern[i] == '/';
	r->slash_cnt = slashes;

	const char *ps = r->pattern;
	if (strpbrk(ps, "*[?")) {
		flags |= R_WILD;
		const char *dbl = strstr(ps, "**");
		if (dbl) {
			flags |= R_WILD2;
			if (dbl == ps)
				flags |= R_WILD2_PREFIX;
			if (total >= 3 && strcmp(ps + total - 3, "***") == 0)
				flags |= R_WILD3_SUFFIX;
		}
	}
	r->flags = flags;

	int rc = ur_filt_rules_push(p->dst, r);
	if (rc < 0) {
		free_rule_only(r);
		return ur_err_set(p->err, UR_EXIT_MALLOC, -rc, "out of memory");
	}
	if (flags & R_DIRMERGE) {
		rc = ur_filt_activate(p->l, r);
		if (rc < 0)
			return ur_err_set(p->err, UR_EXIT_MALLOC, -rc, "out of memory");
	}
	return 0;
}

/* A "." rule: read the named file now, its rules taking the place of the
 * rule. A file that cannot be read is an error. */
static int merge_now(const struct ur_filt_parse *p, const char *name, size_t len, uint32_t flags)
{
	char path[UR_FILTER_MAX_PATTERN + 2];
	size_t dlen = 0;

	/* In a per-directory file a relative name is relative to that dir. */
	if (p->dir && p->dir[0] && name[0] != '/') {
		dlen = strlen(p->dir);
		if (dlen + 1 + len >= sizeof(path)) {
			p->l->discarded++;
			return 0;
		}
		memcpy(path, p->dir, dlen);
		path[dlen++] = '/';
	}
	memcpy(path + dlen, name, len);
	path[dlen + len] = '\0';

	struct ur_filt_parse sub = {
	    .l = p->l,
	    .dst = p->dst,
	    .frame = p->frame,
	    .tmpl = flags,
	    .dir = p->dir,
	    .dir_abs = p->dir_abs,
	    .file = path,
	    .line = (flags & R_WORDS) ? -1 : 0,
	    .named_by_file = p->file != NULL || p->named_by_file,
	    .parent = p,
	    .err = p->err,
	};
	const char *kind = flags & R_INCLUDE ? "include" : "exclude";
	char b[UR_FILTER_MAX_PATTERN + 256];

	if (p->l->merge_depth >= UR_FILTER_MAX_MERGE_DEPTH)
		return ur_err_set(p->err, UR_EXIT_FILEIO, ELOOP,
				  "merge-file include depth limit (%d) exceeded at %s",
				  UR_FILTER_MAX_MERGE_DEPTH, shown(p, path, b, sizeof(b)));

	char *buf = NULL;
	size_t blen = 0;
	int rc = ur_filt_read(p->l, path, &buf, &blen);
	if (rc < 0) {
		if (p->file) /* neither the name nor errno may leak */
			return ur_err_set(p->err, UR_EXIT_FILEIO, -rc, "failed to open %s file %s",
					  kind, shown(p, path, b, sizeof(b)));
		return ur_err_set(p->err, UR_EXIT_FILEIO, -rc, "failed to open %s file %s: %s (%d)",
				  kind, path, strerror(-rc), -rc);
	}
	p->l->merge_depth++;
	rc = ur_filt_parse_buf(&sub, buf, blen);
	p->l->merge_depth--;
	free(buf);
	return rc;
}

/* Act on one parsed rule. */
static int take_rule(struct ur_filt_parse *p, struct tok *t)
{
	uint32_t f = t->flags;
	const char *pat = t->pat;
	size_t len = t->len;
	int rc;

	if (len >= UR_FILTER_MAX_PATTERN) {
		discard(p, pat, len);
		return 0;
	}
	if (f & R_CLEAR) {
		ur_filt_rules_clear(p->l, p->dst);
		if (p->frame)
			p->frame->cut = true;
		return 0;
	}
	if (f & R_MERGE) {
		if (!len) {
			pat = ".cvsignore";
			len = strlen(pat);
		}
		if (f & R_EXCLUDE_SELF) {
			const char *base = pat + len;
			while (base > pat && base[-1] != '/')
				base--;
			rc = add_rule(p, base, (size_t)(pat + len - base), f & R_FROM_FILE, false);
			if (rc < 0)
				return rc;
			f &= ~(uint32_t)R_EXCLUDE_SELF;
		}
		if (!(f & R_DIRMERGE))
			return merge_now(p, pat, len, f);
	}
	rc = add_rule(p, pat, len, f, true);
	if (rc < 0)
		return rc;
	if ((f & R_CVS) && !(f & R_MERGE))
		return ur_filt_build_cvs(p->l, f, p->err);
	return 0;
}

int ur_filt_parse_str(struct ur_filt_parse *p, const char *s)
{
	struct tok t = {0};
	int rc;

	if (!s)
		return 0;
	while ((rc = next_rule(p, &s, &t)) > 0) {
		rc = take_rule(p, &t);
		if (rc < 0)
			return rc;
	}
	return rc;
}

int ur_filt_parse_buf(struct ur_filt_parse *p, const char *buf, size_t len)
{
	bool words = p->tmpl & R_WORDS;
	bool nul_ends = p->l->cfg.from0;
	char *line = malloc(UR_FILTER_MAX_LINE);
	int rc = 0;

	if (!line)
		return ur_err_set(p->err, UR_EXIT_MALLOC, ENOMEM, "out of memory");
	p->line = words ? -1 : 0;

	size_t i = 0;
	while (i <= len) {
		size_t n = 0;
		bool overflow = false, at_end = true;

		if (!words)
			p->line++;
		for (; i < len; i++) {
			unsigned char c = (unsigned char)buf[i];
			if (words && isspace(c)) {
				i++;
				at_end = false;
				break;
			}
			if (nul_ends ? c == '\0' : (c == '\n' || c == '\r')) {
				/* CR LF is one line end, not two. */
				if (c == '\r' && i + 1 < len && buf[i + 1] == '\n')
					i++;
				i++;
				at_end = false;
				break;
			}
			if (n < UR_FILTER_MAX_LINE - 1)
				line[n++] = (char)c;
			else
				overflow = true;
		}
		if (overflow) {
			discard(p, "", 0);
			n = 0;
		}
		line[n] = '\0';
		if (line[0] && (words || (line[0] != '#' && line[0] != ';'))) {
			rc = ur_filt_parse_str(p, line);
			if (rc < 0)
				break;
		}
		if (at_end)
			break;
	}
	free(line);
	return rc;
}

/*
 * The list "-C" consults, filled the first time a "-C" rule is read: the
 * built-in names (perishable), then HOME/.cvsignore if it can be read, then
 * $CVSIGNORE. flags are the -C rule's, which the patterns inherit.
 */
int ur_filt_build_cvs(struct ur_filter_list *l, uint32_t flags, struct ur_err *err)
{
	if (l->cvs_built)
		return 0;
	l->cvs_built = true;

	struct ur_filt_parse p = {
	    .l = l,
	    .dst = &l->cvs,
	    .tmpl = (flags & ~(uint32_t)R_FROM_FILE) | R_PERISHABLE,
	    .line = -1,
	    .err = err,
	};
	int rc = ur_filt_parse_str(&p, cvs_default);
	if (rc < 0)
		return rc;
	p.tmpl = flags & ~(uint32_t)R_FROM_FILE;

	if (l->cfg.home) {
		char path[UR_FILTER_MAX_PATTERN];
		int n = snprintf(path, sizeof(path), "%s/.cvsignore", l->cfg.home);
		char *buf = NULL;
		size_t blen = 0;
		if (n > 0 && (size_t)n < sizeof(path) && ur_filt_read(l, path, &buf, &blen) == 0) {
			struct ur_filt_parse fp = p;
			fp.file = path;
			rc = ur_filt_parse_buf(&fp, buf, blen);
			free(buf);
			if (rc < 0)
				return rc;
		}
	}
	return ur_filt_parse_str(&p, l->cfg.cvsignore);
}
