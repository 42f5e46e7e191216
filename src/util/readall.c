/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "util/readall.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

int ur_read_all(int fd, size_t max, char **buf, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *b = malloc(cap + 1);

	if (!b)
		return -ENOMEM;
	for (;;) {
		if (n == cap) {
			if (cap >= max) {
				free(b);
				return -EFBIG;
			}
			size_t ncap = cap * 2 < max ? cap * 2 : max;
			char *nb = realloc(b, ncap + 1);
			if (!nb) {
				free(b);
				return -ENOMEM;
			}
			b = nb;
			cap = ncap;
		}
		ssize_t r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(b);
			return -e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}
