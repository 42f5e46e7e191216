/* SPDX-License-Identifier: GPL-3.0-or-later */
/* --usermap, --groupmap, --chown (see namemap.h). */
#include "meta/namemap.h"
#include "filter/wildmatch.h"
#include "util/err.h"
#include "util/log.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

enum rule_kind { R_ID, R_RANGE, R_NAME, R_WILD };

struct ur_namerule {
	enum rule_kind kind;
	uint32_t lo, hi;
	char *pat;
	uint32_t to;
};

static bool all_digits(const char *s, size_t len)
{
	return len > 0 && strspn(s, "0123456789") >= len;
}

static bool has_wild(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] == '*' || s[i] == '[' || s[i] == '?')
			return true;
	return false;
}

/* rsync's id_parse(): decimal, an overflow is "Invalid ID number". */
static int id_parse(const char *s, size_t len, uint32_t *out)
{
	uint64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > UINT32_MAX) {
			ur_errmsg("Invalid ID number: %.*s", (int)len, s);
			return UR_EXIT_SYNTAX;
		}
	}
	*out = (uint32_t)v;
	return 0;
}

/* rsync's user_to_uid()/group_to_gid() with num_ok: digits are the id. */
static bool name_to_id(const char *name, bool users, uint32_t *id)
{
	if (!*name)
		return false;
	if (all_digits(name, strlen(name)))
		return id_parse(name, strlen(name), id) == 0;
	if (users) {
		struct passwd *pw = getpwnam(name);
		if (pw)
			*id = (uint32_t)pw->pw_uid;
		return pw != NULL;
	}
	struct group *gr = getgrnam(name);
	if (gr)
		*id = (uint32_t)gr->gr_gid;
	return gr != NULL;
}

/* One FROM:TO (len bytes at s) into r; *keep false when TO is unknown (the
 * rule is dropped). 0, an exit code, or -ENOMEM. */
static int parse_rule(struct ur_namemap *m, const char *s, size_t len, struct ur_namerule *r,
		      bool *keep)
{
	const char *what = m->users ? "user" : "group";
	const char *colon = memchr(s, ':', len);
	int rc;

	if (!colon) {
		ur_errmsg("No colon found in --%smap: %.*s", what, (int)len, s);
		return UR_EXIT_SYNTAX;
	}
	size_t flen = (size_t)(colon - s);
	if (flen + 1 == len) {
		ur_errmsg("No name found after colon --%smap: %.*s", what, (int)len, s);
		return UR_EXIT_SYNTAX;
	}
	memset(r, 0, sizeof(*r));
	*keep = false;
	if (flen && s[0] >= '0' && s[0] <= '9') {
		const char *dash = memchr(s, '-', flen);
		size_t dlen = dash ? (size_t)(dash - s) : flen;
		if (strspn(s, "0123456789-") < flen ||
		    (dash &&
		     (dash + 1 == colon || memchr(dash + 1, '-', (size_t)(colon - dash - 1))))) {
			ur_errmsg("Invalid number in --%smap: %.*s", what, (int)flen, s);
			return UR_EXIT_SYNTAX;
		}
		if ((rc = id_parse(s, dlen, &r->lo)) != 0)
			return rc;
		if (dash && (rc = id_parse(dash + 1, (size_t)(colon - dash - 1), &r->hi)) != 0)
			return rc;
		r->kind = r->hi ? R_RANGE : R_ID;
	} else {
		r->kind = has_wild(s, flen) ? R_WILD : R_NAME;
		if (!(r->pat = strndup(s, flen)))
			return -ENOMEM;
	}
	char *to = strndup(colon + 1, len - flen - 1);
	if (!to) {
		free(r->pat);
		return -ENOMEM;
	}
	bool known = name_to_id(to, m->users, &r->to);
	if (!known)
		ur_errmsg("Unknown --%smap name on receiver: %s", what, to);
	free(to);
	if (!known) {
		free(r->pat);
		r->pat = NULL;
		return 0;
	}
	*keep = true;
	return 0;
}

int ur_namemap_parse(struct ur_namemap *m, const char *spec, bool users, bool numeric)
{
	size_t len = strlen(spec), n = 1;

	memset(m, 0, sizeof(*m));
	m->users = users;
	m->numeric = numeric;
	for (size_t i = 0; i < len; i++)
		n += spec[i] == ',';
	if (n > 100000 || !(m->rule = calloc(n, sizeof(*m->rule))))
		return -ENOMEM;
	/* rsync parses the rules last to first (so its messages come in
	 * that order) and keeps them first to first */
	size_t end = len;
	for (;;) {
		size_t start = end;
		while (start > 0 && spec[start - 1] != ',')
			start--;
		struct ur_namerule r;
		bool keep;
		int rc = parse_rule(m, spec + start, end - start, &r, &keep);
		if (rc) {
			ur_namemap_release(m);
			return rc;
		}
		if (keep)
			m->rule[m->n++] = r;
		if (start == 0)
			break;
		end = start - 1;
	}
	for (size_t i = 0; i < m->n / 2; i++) {
		struct ur_namerule t = m->rule[i];
		m->rule[i] = m->rule[m->n - 1 - i];
		m->rule[m->n - 1 - i] = t;
	}
	return 0;
}

/* What the sender calls id ("" when nothing, or under --numeric-ids). */
static const char *sender_name(const struct ur_namemap *m, uint32_t id)
{
	if (m->numeric)
		return "";
	if (m->users) {
		struct passwd *pw = getpwuid((uid_t)id);
		return pw ? pw->pw_name : "";
	}
	struct group *gr = getgrgid((gid_t)id);
	return gr ? gr->gr_name : "";
}

static uint32_t lookup(const struct ur_namemap *m, uint32_t id)
{
	const char *name = sender_name(m, id);
	for (size_t i = 0; i < m->n; i++) {
		const struct ur_namerule *r = &m->rule[i];
		bool hit;
		switch (r->kind) {
		case R_WILD:
			hit = ur_wildmatch(r->pat, name);
			break;
		case R_NAME:
			hit = strcmp(r->pat, name) == 0;
			break;
		case R_RANGE:
			hit = id >= r->lo && id <= r->hi;
			break;
		default:
			hit = id == r->lo;
			break;
		}
		if (hit)
			return r->to;
	}
	/* no rule: the receiver's id of that name (a local copy: the same) */
	uint32_t local;
	if (*name && id && name_to_id(name, m->users, &local) && !all_digits(name, strlen(name)))
		return local;
	return id;
}

uint32_t ur_namemap_map(struct ur_namemap *m, uint32_t id)
{
	for (size_t i = 0; i < m->ncache; i++)
		if (m->from[i] == id)
			return m->to[i];
	uint32_t to = lookup(m, id);
	if (m->ncache == m->capcache && m->capcache < 65536) {
		size_t cap = m->capcache ? m->capcache * 2 : 16;
		uint32_t *f = realloc(m->from, cap * sizeof(*f));
		if (f)
			m->from = f;
		uint32_t *t = f ? realloc(m->to, cap * sizeof(*t)) : NULL;
		if (t) {
			m->to = t;
			m->capcache = cap;
		}
	}
	if (m->ncache < m->capcache) {
		m->from[m->ncache] = id;
		m->to[m->ncache++] = to;
	}
	return to;
}

void ur_namemap_release(struct ur_namemap *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->rule[i].pat);
	free(m->rule);
	free(m->from);
	free(m->to);
	memset(m, 0, sizeof(*m));
}
