/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer target for the rsyncd.conf parser (src/daemon/conf.c). Input:
 * byte 0 bit 0 selects globals-only parsing; the rest is the file. Every
 * &include and &merge reads the same bytes again (so loops are exercised
 * up to the parser's depth bound). Then every value is read back.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct blob {
	const uint8_t *p;
	size_t n;
};

static int blob_read(void *ctx, const char *path, char **buf, size_t *len)
{
	const struct blob *b = ctx;
	if (strstr(path, "missing"))
		return -ENOENT;
	*buf = malloc(b->n ? b->n : 1);
	if (!*buf)
		return -ENOMEM;
	memcpy(*buf, b->p, b->n);
	*len = b->n;
	return 0;
}

static int blob_kind(void *ctx, const char *path)
{
	(void)ctx;
	if (strstr(path, "missing"))
		return -ENOENT;
	return strstr(path, "dir") ? 2 : 1;
}

static int blob_list(void *ctx, const char *dir, const char *glob, char ***names, size_t *n)
{
	(void)ctx;
	(void)glob;
	char **v = malloc(2 * sizeof(*v));
	if (!v)
		return -ENOMEM;
	v[0] = strdup("one.conf");
	v[1] = strdup(dir);
	if (!v[0] || !v[1]) {
		free(v[0]);
		free(v[1]);
		free(v);
		return -ENOMEM;
	}
	*names = v;
	*n = 2;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct blob b = {data + 1, size - 1};
	struct ur_dconf_io io = {
	    .read = blob_read, .kind = blob_kind, .list = blob_list, .log = NULL, .ctx = &b};
	const char *dp[] = {"read only = no", "bogus=1"};
	struct ur_dconf c;
	ur_dconf_init(&c);
	ur_dconf_load_buf(&c, "fuzz.conf", (const char *)b.p, b.n, data[0] & 1, dp, 2, &io);
	size_t total = 0;
	for (size_t m = 0; m <= c.nmods; m++) {
		const struct ur_dsect *s = m < c.nmods ? &c.mods[m] : NULL;
		for (int p = 0; p < UR_DP_COUNT; p++) {
			total += strlen(ur_dconf_str(&c, s, (enum ur_dp)p));
			total += (size_t)ur_dconf_bool(&c, s, (enum ur_dp)p) + 1;
		}
		if (s)
			total += ur_dconf_module(&c, s->name) != NULL;
	}
	ur_dconf_release(&c);
	return total == (size_t)-1;
}
