/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "util/path.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

const char *ur_abs_path(const char *path, char *buf, size_t size)
{
	char cwd[PATH_MAX];
	if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		snprintf(buf, size, "%s", path);
	else if (path[0] == '.' && !path[1])
		snprintf(buf, size, "%s", cwd);
	else
		snprintf(buf, size, "%s/%s", strcmp(cwd, "/") ? cwd : "", path);
	return buf;
}
