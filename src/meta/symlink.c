/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "meta/symlink.h"

#include <string.h>

/* Is the component starting at p (ending at '/' or NUL) equal to s? */
static bool comp_is(const char *p, size_t len, const char *s)
{
	return strlen(s) == len && memcmp(p, s, len) == 0;
}

bool ur_symlink_unsafe(const char *target, const char *name)
{
	if (!target || !*target || *target == '/')
		return true;

	/* Leading "../" runs are judged by depth below; a ".." anywhere later
	 * in the path, or a trailing "/..", is refused outright as rsync does. */
	const char *t = target;
	while (strncmp(t, "../", 3) == 0) {
		t += 3;
		while (*t == '/')
			t++;
	}
	if (strstr(t, "/../"))
		return true;
	size_t tl = strlen(target);
	if (tl > 3 && strcmp(target + tl - 3, "/..") == 0)
		return true;

	/* How deep the link sits: directory components of its name, where a
	 * ".." resets the count and "." is ignored. */
	int depth = 0;
	const char *p = name;
	for (const char *s; (s = strchr(p, '/')); p = s + 1) {
		size_t len = (size_t)(s - p);
		if (comp_is(p, len, ".."))
			depth = 0;
		else if (!comp_is(p, len, ".") && len)
			depth++;
	}
	if (strcmp(p, "..") == 0)
		depth = 0;

	/* Walk the target's directory part; climbing past depth 0 escapes. */
	p = target;
	for (const char *s; (s = strchr(p, '/')); p = s + 1) {
		size_t len = (size_t)(s - p);
		if (comp_is(p, len, "..")) {
			if (--depth < 0)
				return true;
		} else if (!comp_is(p, len, ".") && len) {
			depth++;
		}
	}
	if (strcmp(p, "..") == 0)
		depth--;
	return depth < 0;
}
