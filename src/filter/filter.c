/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Filter lists: building, matching, and per-directory merge files. */
#include "filter/filter.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter/filter_int.h"
#include "filter/wildmatch.h"

/* Nested dir-merge lists are checked recursively; past this depth a check
 * gives up on the nested list rather than risk the stack. */
#define CHECK_MAX_NEST 256

/* ---- rule vectors ---- */

int ur_filt_rules_push(struct ur_filt_rules *rs, struct ur_filt_rule *r)
{
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 8;
		struct ur_filt_rule **v = realloc(rs->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		rs->v = v;
		rs->cap = cap;
	}
	rs->v[rs->n++] = r;
	return 0;
}

static void dmerge_free(struct ur_filter_list *l, struct ur_filt_dmerge *dm)
{
	/* Newest frames first: their nested dir-merge rules were activated
	 * after the older ones'. */
	while (dm->n) {
		struct ur_filt_frame *fr = &dm->frames[dm->n - 1];
		ur_filt_rules_clear(l, &fr->rules);
		free(fr->rules.v);
		dm->n--;
	}
	free(dm->frames);
	for (size_t i = 0; i < l->nactive; i++)
		if (l->active[i] == dm)
			l->active[i] = NULL;
	while (l->nactive && !l->active[l->nactive - 1])
		l->nactive--;
	free(dm);
}

void ur_filt_rule_free(struct ur_filter_list *l, struct ur_filt_rule *r)
{
	if (!r)
		return;
	if (r->dm)
		dmerge_free(l, r->dm);
	free(r->pattern);
	free(r);
}

void ur_filt_rules_clear(struct ur_filter_list *l, struct ur_filt_rules *rs)
{
	/* Last first, so nested dir-merge state goes in reverse of creation. */
	while (rs->n) {
		struct ur_filt_rule *r = rs->v[--rs->n];
		ur_filt_rule_free(l, r);
	}
}

int ur_filt_activate(struct ur_filter_list *l, struct ur_filt_rule *r)
{
	struct ur_filt_dmerge *dm = calloc(1, sizeof(*dm));
	if (!dm)
		return -ENOMEM;
	if (l->nactive == l->capactive) {
		size_t cap = l->capactive ? l->capactive * 2 : 4;
		struct ur_filt_dmerge **v = realloc(l->active, cap * sizeof(*v));
		if (!v) {
			free(dm);
			return -ENOMEM;
		}
		l->active = v;
		l->capactive = cap;
	}
	dm->owner = r;
	r->dm = dm;
	l->active[l->nactive++] = dm;
	return 0;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

bool ur_filt_already_active(const struct ur_filter_list *l, const char *name)
{
	for (size_t i = 0; i < l->nactive; i++)
		if (l->active[i] && strcmp(base_name(l->active[i]->owner->pattern), name) == 0)
			return true;
	return false;
}

int ur_filt_read(struct ur_filter_list *l, const char *path, char **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	if (!l->cfg.read_file)
		return -ENOENT;
	int rc = l->cfg.read_file(l->cfg.ctx, path, buf, len);
	if (rc >= 0 && !*buf && *len)
		rc = -EINVAL;
	if (rc < 0) {
		free(*buf);
		*buf = NULL;
		*len = 0;
		return rc;
	}
	return 0;
}

/* ---- the list ---- */

static char *dup_or_null(const char *s, bool *fail)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		*fail = true;
	return d;
}

struct ur_filter_list *ur_filter_list_new(const struct ur_filter_config *cfg)
{
	struct ur_filter_list *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	if (cfg) {
		bool fail = false;
		l->cfg = *cfg;
		l->cfg.home = dup_or_null(cfg->home, &fail);
		l->cfg.cvsignore = dup_or_null(cfg->cvsignore, &fail);
		l->cfg.abs_root = dup_or_null(cfg->abs_root, &fail);
		if (fail) {
			ur_filter_list_free(l);
			return NULL;
		}
	}
	return l;
}

void ur_filter_list_free(struct ur_filter_list *l)
{
	if (!l)
		return;
	ur_filt_rules_clear(l, &l->global);
	free(l->global.v);
	ur_filt_rules_clear(l, &l->cvs);
	free(l->cvs.v);
	free(l->active);
	free((char *)l->cfg.home);
	free((char *)l->cfg.cvsignore);
	free((char *)l->cfg.abs_root);
	free(l);
}

size_t ur_filter_count(const struct ur_filter_list *l)
{
	return l ? l->global.n : 0;
}

unsigned ur_filter_discarded(const struct ur_filter_list *l)
{
	return l ? l->discarded : 0;
}

/* ---- adding rules ---- */

static void parse_init(struct ur_filt_parse *p, struct ur_filter_list *l, unsigned flags,
		       struct ur_err *err)
{
	memset(p, 0, sizeof(*p));
	p->l = l;
	p->dst = &l->global;
	p->old_prefixes = flags & UR_FILTER_OLD_PREFIXES;
	p->daemon = flags & UR_FILTER_DAEMON;
	p->tmpl = (flags & UR_FILTER_DEFAULT_INCLUDE) ? R_INCLUDE : 0;
	if (flags & UR_FILTER_WORDS) {
		p->tmpl |= R_WORDS;
		p->line = -1;
	}
	p->err = err;
}

int ur_filter_add(struct ur_filter_list *l, const char *rule, unsigned flags, struct ur_err *err)
{
	struct ur_filt_parse p;
	if (!l || !rule)
		return ur_err_set(err, UR_EXIT_SYNTAX, EINVAL, "no filter rule");
	parse_init(&p, l, flags, err);
	return ur_filt_parse_str(&p, rule);
}

int ur_filter_add_buf(struct ur_filter_list *l, const char *name, const char *buf, size_t len,
		      unsigned flags, struct ur_err *err)
{
	struct ur_filt_parse p;
	if (!l || (!buf && len))
		return ur_err_set(err, UR_EXIT_SYNTAX, EINVAL, "no filter rules");
	parse_init(&p, l, flags, err);
	p.file = name ? name : "-";
	l->merge_depth++;
	int rc = ur_filt_parse_buf(&p, buf ? buf : "", len);
	l->merge_depth--;
	return rc;
}

int ur_filter_add_file(struct ur_filter_list *l, const char *path, unsigned flags,
		       struct ur_err *err)
{
	char *buf;
	size_t len;
	if (!l || !path)
		return ur_err_set(err, UR_EXIT_SYNTAX, EINVAL, "no filter file");
	int rc = ur_filt_read(l, path, &buf, &len);
	if (rc < 0)
		return ur_err_set(err, UR_EXIT_FILEIO, -rc, "failed to open %s file %s: %s (%d)",
				  (flags & UR_FILTER_DEFAULT_INCLUDE) ? "include" : "exclude", path,
				  strerror(-rc), -rc);
	rc = ur_filter_add_buf(l, path, buf, len, flags, err);
	free(buf);
	return rc;
}

int ur_filter_add_F(struct ur_filter_list *l, int nth, struct ur_err *err)
{
	if (nth == 1)
		return ur_filter_add(l, ": /.rsync-filter", 0, err);
	if (nth == 2)
		return ur_filter_add(l, "- .rsync-filter", 0, err);
	return 0;
}

int ur_filter_add_cvs_exclude(struct ur_filter_list *l, struct ur_err *err)
{
	int rc = ur_filter_add(l, ":C", 0, err);
	return rc < 0 ? rc : ur_filter_add(l, "-C", 0, err);
}

int ur_filter_add_cvsignore(struct ur_filter_list *l, const char *value, struct ur_err *err)
{
	const uint32_t cvs = R_NO_PREFIXES | R_WORDS | R_NO_INHERIT | R_CVS;
	if (!l)
		return ur_err_set(err, UR_EXIT_SYNTAX, EINVAL, "no filter list");
	int rc = ur_filt_build_cvs(l, cvs, err);
	if (rc < 0 || !value)
		return rc;
	struct ur_filt_parse p = {.l = l, .dst = &l->cvs, .tmpl = cvs, .line = -1, .err = err};
	return ur_filt_parse_str(&p, value);
}

/* ---- matching ---- */

struct probe {
	const char *path; /* as given */
	unsigned flags;	  /* UR_FILTER_IS_* and UR_FILTER_NO_PERISHABLE */
	enum ur_filter_side side;
	const char *abs; /* transfer root without its leading '/', or "" */
};

/* Does the pattern of r match the probe's name (before negation)? */
static bool pattern_hits(const struct ur_filt_rule *r, const struct probe *pr, const char *name)
{
	const char *lead = "";
	const char *tail = "";
	bool lead_is_root = false; /* lead is the transfer root: a '/' follows */
	const char *pat = r->pattern;
	bool anchored = false;
	int where;

	if (!r->slash_cnt && !(r->flags & R_WILD2)) {
		/* No '/' and no "**": only the last component counts. */
		const char *s = strrchr(name, '/');
		if (s)
			name = s + 1;
	} else if ((r->flags & R_ABS) && pr->path[0] != '/' && pr->abs[0]) {
		lead = pr->abs;
		lead_is_root = true;
	} else if ((r->flags & R_WILD2_PREFIX) && pr->path[0] != '/') {
		lead = "/"; /* lets a leading "**" + "/" match at the top */
	}
	if ((pr->flags & UR_FILTER_IS_DIR) && (r->flags & R_WILD3_SUFFIX))
		tail = "/"; /* a trailing triple star also matches the dir itself */

	if (*pat == '/') {
		anchored = true;
		pat++;
	}
	if (!anchored && r->slash_cnt && !(r->flags & R_WILD2))
		where = (int)r->slash_cnt + 1; /* the last slash_cnt+1 components */
	else if (!anchored && (r->flags & R_WILD2) && !(r->flags & R_WILD2_PREFIX))
		where = UR_WM_ANY_START;
	else
		where = UR_WM_WHOLE;

	if (!*lead && !*tail) {
		if (r->flags & R_WILD)
			return ur_wildmatch_at(pat, name, where);
		if (anchored)
			return strcmp(name, pat) == 0;
		/* A literal matches whole trailing components. */
		size_t nl = strlen(name), ql = strlen(pat);
		return ql <= nl && strcmp(name + nl - ql, pat) == 0 &&
		       (nl == ql || name[nl - ql - 1] == '/');
	}

	/* Join lead + name + tail. */
	char stackbuf[2 * UR_FILTER_MAX_PATTERN + 8];
	size_t ll = strlen(lead), nl = strlen(name), tl = strlen(tail);
	bool sep = lead_is_root;
	size_t need = ll + (sep ? 1 : 0) + nl + tl + 1;
	char *text = need <= sizeof(stackbuf) ? stackbuf : malloc(need);
	if (!text)
		return false;
	char *w = text;
	memcpy(w, lead, ll);
	w += ll;
	if (sep)
		*w++ = '/';
	memcpy(w, name, nl);
	w += nl;
	memcpy(w, tail, tl + 1);

	bool hit = r->flags & R_WILD ? ur_wildmatch_at(pat, text, where)
				     : ur_litmatch_at(pat, text, where);
	if (text != stackbuf)
		free(text);
	return hit;
}

/* Does rule r fire for the probe (after negation)? */
static bool rule_fires(const struct ur_filt_rule *r, const struct probe *pr)
{
	const char *name = pr->path + (pr->path[0] == '/');
	bool negate = r->flags & R_NEGATE;

	if (!*name)
		return false;
	if (!(pr->flags & UR_FILTER_IS_XATTR) != !(r->flags & R_XATTR))
		return false;
	if ((r->flags & R_DIR_ONLY) && !(pr->flags & UR_FILTER_IS_DIR))
		return negate; /* so "-! DIR/" excludes every non-directory */
	return pattern_hits(r, pr, name) != negate;
}

static bool side_applies(const struct ur_filt_rule *r, enum ur_filter_side side)
{
	uint32_t s = r->flags & R_SIDES;
	if (!s || s == R_SIDES)
		return true;
	return side == UR_FILTER_SENDER ? (s & R_SENDER) : (s & R_RECEIVER);
}

static int check_rules(const struct ur_filter_list *l, const struct ur_filt_rules *rs,
		       const struct probe *pr, unsigned nest)
{
	if (nest > CHECK_MAX_NEST)
		return UR_FILTER_NOMATCH;
	for (size_t i = 0; i < rs->n; i++) {
		const struct ur_filt_rule *r = rs->v[i];
		int rc;

		if ((pr->flags & UR_FILTER_NO_PERISHABLE) && (r->flags & R_PERISHABLE))
			continue;
		if (r->flags & R_DIRMERGE) {
			/* This directory's rules, then each parent's, until a
			 * frame that does not inherit. */
			const struct ur_filt_dmerge *dm = r->dm;
			for (size_t f = dm ? dm->n : 0; f-- > 0;) {
				rc = check_rules(l, &dm->frames[f].rules, pr, nest + 1);
				if (rc)
					return rc;
				if (dm->frames[f].cut)
					break;
			}
			continue;
		}
		if (r->flags & R_CVS) {
			rc = check_rules(l, &l->cvs, pr, nest + 1);
			if (rc)
				return rc;
			continue;
		}
		if (!side_applies(r, pr->side))
			continue;
		if (rule_fires(r, pr))
			return r->flags & R_INCLUDE ? UR_FILTER_INCLUDE : UR_FILTER_EXCLUDE;
	}
	return UR_FILTER_NOMATCH;
}

int ur_filter_check_ex(const struct ur_filter_list *l, const char *path, unsigned flags,
		       enum ur_filter_side side)
{
	if (!l || !path)
		return UR_FILTER_NOMATCH;
	struct probe pr = {.path = path, .flags = flags, .side = side, .abs = ""};
	if (l->cfg.abs_root) {
		pr.abs = l->cfg.abs_root;
		while (*pr.abs == '/')
			pr.abs++;
	}
	return check_rules(l, &l->global, &pr, 0);
}

int ur_filter_check(const struct ur_filter_list *l, const char *path, bool is_dir,
		    enum ur_filter_side side)
{
	return ur_filter_check_ex(l, path, is_dir ? UR_FILTER_IS_DIR : 0, side);
}

/* ---- per-directory merge files ---- */

static struct ur_filt_frame *frame_push(struct ur_filt_dmerge *dm, unsigned depth, bool cut)
{
	if (dm->n == dm->cap) {
		size_t cap = dm->cap ? dm->cap * 2 : 4;
		struct ur_filt_frame *v = realloc(dm->frames, cap * sizeof(*v));
		if (!v)
			return NULL;
		dm->frames = v;
		dm->cap = cap;
	}
	struct ur_filt_frame *fr = &dm->frames[dm->n++];
	memset(fr, 0, sizeof(*fr));
	fr->depth = depth;
	fr->cut = cut;
	return fr;
}

/* Read one per-directory file into a new frame of dm. A missing file just
 * leaves the frame empty. dir is transfer-relative, or absolute when
 * dir_abs (parents of the transfer root). */
static int read_into_frame(struct ur_filter_list *l, struct ur_filt_dmerge *dm, const char *dir,
			   bool dir_abs, unsigned depth, struct ur_err *err)
{
	const struct ur_filt_rule *owner = dm->owner;
	const char *name = base_name(owner->pattern);
	char path[UR_FILTER_MAX_PATTERN + 2];
	size_t dl = strlen(dir);

	/* The frame is pushed even when nothing is read, so pop stays simple. */
	struct ur_filt_frame *fr = frame_push(dm, depth, owner->flags & R_NO_INHERIT);
	if (!fr)
		return ur_err_set(err, UR_EXIT_MALLOC, ENOMEM, "out of memory");

	int n =
	    dl ? snprintf(path, sizeof(path), "%s%s%s", dir, dir[dl - 1] == '/' ? "" : "/", name)
	       : snprintf(path, sizeof(path), "%s", name);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		l->discarded++; /* rsync: "cannot add local filter rules in long-named directory" */
		return 0;
	}
	char *buf;
	size_t len;
	if (ur_filt_read(l, path, &buf, &len) < 0)
		return 0;

	struct ur_filt_parse p = {
	    .l = l,
	    .dst = &fr->rules,
	    .frame = fr,
	    .tmpl = owner->flags & ~(uint32_t)R_FROM_FILE,
	    .dir = dir,
	    .dir_abs = dir_abs,
	    .file = path,
	    .named_by_file = owner->flags & R_FROM_FILE,
	    .err = err,
	};
	/* Parsing adds rules and may activate new dir-merge rules, but pushes
	 * no frames, so fr stays valid while the file is read. */
	int rc = ur_filt_parse_buf(&p, buf, len);
	free(buf);
	return rc;
}

/* Collapse "//", "/./" and "dir/.." in an absolute path, in place. */
static void clean_abs(char *path)
{
	char *w = path;
	const char *s = path;
	while (*s) {
		while (*s == '/')
			s++;
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		if (n == 0)
			break;
		if (n == 1 && s[0] == '.') {
			/* skip */
		} else if (n == 2 && s[0] == '.' && s[1] == '.') {
			while (w > path && *--w != '/')
				;
		} else {
			*w++ = '/';
			memmove(w, s, n);
			w += n;
		}
		s += n;
	}
	if (w == path)
		*w++ = '/';
	*w = '\0';
}

/*
 * A dir-merge name with a directory part ("/.rsync-filter", "../.rules")
 * names a directory above the transfer: read the file in that directory and
 * in each one below it down to the transfer root's parent, as inherited
 * rules, before the root's own. Afterwards the rule names just the file.
 */
static int scan_parents(struct ur_filter_list *l, struct ur_filt_dmerge *dm, const char *dir,
			struct ur_err *err)
{
	struct ur_filt_rule *owner = dm->owner;
	const char *slash = strrchr(owner->pattern, '/');
	int rc = 0;

	if (!slash)
		return 0;
	if (!l->cfg.abs_root || l->cfg.abs_root[0] != '/' || (owner->flags & R_NO_INHERIT))
		goto rename;

	/* Where we are: the transfer root plus the pushed directory. */
	char here[UR_FILTER_MAX_PATTERN + 2], start[UR_FILTER_MAX_PATTERN + 2];
	int n = snprintf(here, sizeof(here), "%s/%s", l->cfg.abs_root, dir);
	if (n < 0 || (size_t)n >= sizeof(here))
		goto rename;
	clean_abs(here);
	size_t dpart = (size_t)(slash - owner->pattern);
	if (owner->pattern[0] == '/')
		n = snprintf(start, sizeof(start), "%.*s", (int)dpart, owner->pattern);
	else
		n = snprintf(start, sizeof(start), "%s/%.*s", here, (int)dpart, owner->pattern);
	if (n < 0 || (size_t)n >= sizeof(start))
		goto rename;
	clean_abs(start);

	/* start must be here or a parent of it. */
	size_t sl = strlen(start), hl = strlen(here);
	if (strcmp(start, "/") == 0)
		sl = 0;
	if (strcmp(here, "/") == 0)
		hl = 0; /* the root has no parents to scan */
	if (sl > hl || strncmp(start, here, sl) != 0 || (here[sl] != '/' && here[sl] != '\0'))
		goto rename;
	/* Read start, then each directory below it, stopping before here. */
	for (size_t end = sl; end < hl;) {
		char d[UR_FILTER_MAX_PATTERN + 2];
		snprintf(d, sizeof(d), "%.*s", end ? (int)end : 1, end ? here : "/");
		rc = read_into_frame(l, dm, d, true, 0, err);
		if (rc < 0)
			break;
		end++;
		while (end < hl && here[end] != '/')
			end++;
	}
rename:;
	/* From now on the rule names only the file. */
	char *base = strdup(slash + 1);
	if (!base)
		return ur_err_set(err, UR_EXIT_MALLOC, ENOMEM, "out of memory");
	free(owner->pattern);
	owner->pattern = base;
	return rc;
}

int ur_filter_push_dir(struct ur_filter_list *l, const char *dir, struct ur_err *err)
{
	int rc = 0;
	if (!l)
		return 0;
	if (!dir)
		dir = "";
	while (dir[0] == '.' && dir[1] == '/')
		dir += 2;
	if (dir[0] == '.' && dir[1] == '\0')
		dir = "";
	l->depth++;
	/* Files read here may add dir-merge rules; they are read here too. */
	for (size_t i = 0; i < l->nactive && rc >= 0; i++) {
		struct ur_filt_dmerge *dm = l->active[i];
		if (!dm)
			continue;
		if (!dm->set_up) {
			dm->set_up = true;
			rc = scan_parents(l, dm, dir, err);
			if (rc < 0)
				break;
		}
		rc = read_into_frame(l, dm, dir, false, l->depth, err);
	}
	return rc;
}

void ur_filter_pop_dir(struct ur_filter_list *l)
{
	if (!l || !l->depth)
		return;
	for (size_t i = l->nactive; i-- > 0;) {
		if (i >= l->nactive)
			continue;
		struct ur_filt_dmerge *dm = l->active[i];
		while (dm && dm->n && dm->frames[dm->n - 1].depth == l->depth) {
			struct ur_filt_frame *fr = &dm->frames[dm->n - 1];
			ur_filt_rules_clear(l, &fr->rules);
			free(fr->rules.v);
			dm->n--;
		}
	}
	l->depth--;
}

/* ---- rules as text ---- */

int ur_filter_rule_text(const struct ur_filter_list *l, size_t i, char *buf, size_t size)
{
	if (!l || i >= l->global.n)
		return -ERANGE;
	const struct ur_filt_rule *r = l->global.v[i];
	uint32_t f = r->flags;
	char pre[24], *w = pre;

	*w++ = (f & R_DIRMERGE) ? ':' : (f & R_INCLUDE) ? '+' : '-';
	if (f & R_ABS)
		*w++ = '/';
	if (f & R_NEGATE)
		*w++ = '!';
	if (f & R_CVS) {
		*w++ = 'C';
	} else {
		if (f & R_NO_INHERIT)
			*w++ = 'n';
		if (f & R_WORDS)
			*w++ = 'w';
		if (f & R_NO_PREFIXES)
			*w++ = (f & R_INCLUDE) ? '+' : '-';
	}
	if (f & R_EXCLUDE_SELF)
		*w++ = 'e';
	if (f & R_XATTR)
		*w++ = 'x';
	if (f & R_SENDER)
		*w++ = 's';
	if (f & R_RECEIVER)
		*w++ = 'r';
	if (f & R_PERISHABLE)
		*w++ = 'p';
	*w = '\0';
	int n = snprintf(buf, size, "%s %s%s", pre, r->pattern, (f & R_DIR_ONLY) ? "/" : "");
	return n;
}
