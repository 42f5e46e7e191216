/* SPDX-License-Identifier: GPL-3.0-or-later */
/* rsyncd.conf from the file system: the reader conf.c parses through. */
#include "daemon/conf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A configuration file larger than this is not a configuration file. */
#define CONF_FILE_MAX (16u << 20)

struct file_ctx {
	void (*log)(void *, const char *);
	void *ctx;
};

static int file_read(void *ctx, const char *path, char **buf, size_t *len)
{
	(void)ctx;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_size > (off_t)CONF_FILE_MAX) {
		int e = errno ? errno : EFBIG;
		close(fd);
		return -e;
	}
	size_t cap = (size_t)st.st_size + 1, n = 0;
	char *b = malloc(cap);
	if (!b) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		if (n + 1 >= cap) {
			if (cap > CONF_FILE_MAX) {
				free(b);
				close(fd);
				return -EFBIG;
			}
			char *nb = realloc(b, cap * 2);
			if (!nb) {
				free(b);
				close(fd);
				return -ENOMEM;
			}
			b = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, b + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(b);
			close(fd);
			return -e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

static int file_kind(void *ctx, const char *path)
{
	(void)ctx;
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	return S_ISREG(st.st_mode) ? 1 : S_ISDIR(st.st_mode) ? 2 : 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int file_list(void *ctx, const char *dir, const char *glob, char ***names, size_t *n)
{
	(void)ctx;
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	char **v = NULL;
	size_t cnt = 0, cap = 0;
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(d))) {
		if (fnmatch(glob, de->d_name, 0))
			continue;
		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 16;
			char **nv = realloc(v, nc * sizeof(*nv));
			if (!nv) {
				rc = -ENOMEM;
				break;
			}
			v = nv;
			cap = nc;
		}
		size_t len = strlen(dir) + strlen(de->d_name) + 2;
		if (!(v[cnt] = malloc(len))) {
			rc = -ENOMEM;
			break;
		}
		snprintf(v[cnt++], len, "%s/%s", dir, de->d_name);
	}
	closedir(d);
	if (rc < 0) {
		for (size_t i = 0; i < cnt; i++)
			free(v[i]);
		free(v);
		return rc;
	}
	if (cnt > 1)
		qsort(v, cnt, sizeof(*v), cmp_str);
	*names = v;
	*n = cnt;
	return 0;
}

static void file_log(void *ctx, const char *line)
{
	struct file_ctx *fc = ctx;
	if (fc->log)
		fc->log(fc->ctx, line);
}

struct ur_dconf_io ur_dconf_file_io(void (*log)(void *, const char *), void *ctx)
{
	static struct file_ctx fc;
	fc.log = log;
	fc.ctx = ctx;
	return (struct ur_dconf_io){
	    .read = file_read, .kind = file_kind, .list = file_list, .log = file_log, .ctx = &fc};
}
