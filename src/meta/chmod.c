/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "meta/chmod.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define ALL_BITS  07777
#define PERM_BITS 0777
#define CLASS_ONE 0111 /* one bit per class: u, g, o */

/* Every --chmod option appends to one list; a command line never needs more. */
#define MAX_CLAUSES 4096

enum scope { SCOPE_ANY, SCOPE_DIRS, SCOPE_FILES };
enum op { OP_ADD, OP_SUB, OP_EQ, OP_OCTAL };

/*
 * One clause reduced to mask arithmetic: perm = ((perm & keep) | add),
 * then bits copied from one class are or'ed in (or, for '-', taken out).
 */
struct clause {
	unsigned char scope;
	unsigned char op;
	bool x_if_exec;	  /* 'X': drop the x bits of add on non-executables */
	signed char from; /* shift of the class copied from, or -1 */
	mode_t keep;
	mode_t add;
	mode_t copy_to;	   /* CLASS_ONE-style pattern of receiving classes */
	mode_t copy_limit; /* the umask limit for a clause without who */
};

struct ur_chmod {
	size_t n, cap;
	struct clause *v;
};

/* The special bit that sits with each class when a whole class is replaced
 * by a copy of another ("g=u" clears setgid; "o=u" clears sticky). */
static mode_t specials_of_classes(mode_t classes)
{
	mode_t bits = 0;

	if (classes & 0100)
		bits |= S_ISUID;
	if (classes & 0010)
		bits |= S_ISGID;
	if (classes & 0001)
		bits |= S_ISVTX;
	return bits;
}

static int parse_octal(const char *s, size_t len, struct clause *c)
{
	mode_t val = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '7')
			return -EINVAL;
		val = val * 8 + (mode_t)(s[i] - '0');
		if (val > ALL_BITS)
			return -EINVAL;
	}
	c->op = OP_OCTAL;
	c->keep = 0;
	c->add = val;
	return 0;
}

/* Parses s[0..len) (no commas) into *c. */
static int parse_clause(const char *s, size_t len, mode_t mask, struct clause *c)
{
	mode_t who = 0, who_special = 0, perms = 0, special = 0;
	size_t i = 0;

	memset(c, 0, sizeof *c);
	c->from = -1;

	for (; i < len; i++) {
		switch (s[i]) {
		case 'D':
			if (c->scope == SCOPE_FILES)
				return -EINVAL;
			c->scope = SCOPE_DIRS;
			continue;
		case 'F':
			if (c->scope == SCOPE_DIRS)
				return -EINVAL;
			c->scope = SCOPE_FILES;
			continue;
		case 'u':
			who |= 0100;
			who_special |= S_ISUID;
			continue;
		case 'g':
			who |= 0010;
			who_special |= S_ISGID;
			continue;
		case 'o':
			who |= 0001;
			continue;
		case 'a':
			/* rsync, like chmod(1), lets "a+s" set both set-id bits. */
			who |= CLASS_ONE;
			who_special |= S_ISUID | S_ISGID;
			continue;
		}
		break;
	}
	if (i == len)
		return -EINVAL; /* no operator */
	switch (s[i]) {
	case '+':
		c->op = OP_ADD;
		break;
	case '-':
		c->op = OP_SUB;
		break;
	case '=':
		c->op = OP_EQ;
		break;
	default:
		/* A number is allowed only where no who letter was given. */
		if (who == 0 && s[i] >= '0' && s[i] <= '7')
			return parse_octal(s + i, len - i, c);
		return -EINVAL;
	}

	for (i++; i < len; i++) {
		char ch = s[i];

		if (c->from >= 0)
			return -EINVAL; /* a copy item takes exactly one letter */
		switch (ch) {
		case 'r':
			perms |= 4;
			break;
		case 'w':
			perms |= 2;
			break;
		case 'X':
			c->x_if_exec = true;
			perms |= 1;
			break;
		case 'x':
			perms |= 1;
			break;
		case 's':
			/* With no u/g/a the set-uid bit is meant (rsync's reading). */
			special |= who_special ? who_special : S_ISUID;
			break;
		case 't':
			special |= S_ISVTX;
			break;
		case 'u':
		case 'g':
		case 'o':
			if (perms || special)
				return -EINVAL;
			c->from = ch == 'u' ? 6 : ch == 'g' ? 3 : 0;
			break;
		default:
			return -EINVAL;
		}
	}

	mode_t classes = who ? who : CLASS_ONE;
	mode_t limit = who ? PERM_BITS : (PERM_BITS & ~mask);
	mode_t pbits = (classes * perms) & limit;

	c->copy_to = classes;
	c->copy_limit = limit;
	switch (c->op) {
	case OP_ADD:
		c->keep = ALL_BITS;
		c->add = pbits | special;
		break;
	case OP_SUB:
		c->keep = ALL_BITS & ~(pbits | special);
		c->add = 0;
		break;
	default: {
		/* '=' empties the named classes whatever the umask says; it touches
		 * the set-id bits only when 's' is given or a class is copied. */
		mode_t clear = classes * 7;

		if (special)
			clear |= who_special;
		if (c->from >= 0)
			clear |= specials_of_classes(classes);
		c->keep = ALL_BITS & ~clear;
		c->add = pbits | special;
		break;
	}
	}
	return 0;
}

static mode_t current_umask(void)
{
	mode_t m = umask(0);

	umask(m);
	return m;
}

int ur_chmod_parse(struct ur_chmod **list, const char *spec)
{
	struct ur_chmod *l = *list;
	size_t count = 1;
	mode_t mask = current_umask();
	int ret;

	if (!spec)
		return -EINVAL;
	for (const char *p = spec; *p; p++)
		count += *p == ',';
	if (count > MAX_CLAUSES || (l && l->n + count > MAX_CLAUSES))
		return -EINVAL;

	if (!l) {
		l = calloc(1, sizeof *l);
		if (!l)
			return -ENOMEM;
	}
	if (l->n + count > l->cap) {
		size_t cap = l->n + count;
		struct clause *v = realloc(l->v, cap * sizeof *v);

		if (!v) {
			ret = -ENOMEM;
			goto out;
		}
		l->v = v;
		l->cap = cap;
	}

	/* Parse into the spare slots; l->n moves only when all clauses parse. */
	const char *s = spec;
	for (size_t k = 0; k < count; k++) {
		const char *end = strchr(s, ',');
		size_t len = end ? (size_t)(end - s) : strlen(s);

		ret = parse_clause(s, len, mask, &l->v[l->n + k]);
		if (ret < 0)
			goto out;
		s += len + 1;
	}
	l->n += count;
	*list = l;
	return 0;
out:
	if (!*list)
		ur_chmod_free(l);
	return ret;
}

void ur_chmod_free(struct ur_chmod *list)
{
	if (!list)
		return;
	free(list->v);
	free(list);
}

mode_t ur_chmod_apply(const struct ur_chmod *list, mode_t mode)
{
	mode_t perm = mode & ALL_BITS;
	bool is_dir = S_ISDIR(mode);
	/* 'X' looks at the mode as it was before any clause ran. */
	bool had_x = (mode & 0111) != 0;

	if (!list)
		return mode;
	for (size_t k = 0; k < list->n; k++) {
		const struct clause *c = &list->v[k];
		mode_t copied = 0, add = c->add;

		if ((c->scope == SCOPE_DIRS && !is_dir) || (c->scope == SCOPE_FILES && is_dir))
			continue;
		if (c->from >= 0)
			copied = (c->copy_to * ((perm >> c->from) & 7)) & c->copy_limit;
		if (c->x_if_exec && !had_x && !is_dir)
			add &= ~(mode_t)0111;
		perm = (perm & c->keep) | add;
		if (c->op == OP_SUB)
			perm &= ~copied;
		else
			perm |= copied;
	}
	return (mode & ~(mode_t)ALL_BITS) | perm;
}
