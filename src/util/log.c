/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"
#include "util/log.h"
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *ur_progname = "ursync";

void ur_log_flush(void)
{
	fflush(stdout);
}

/*
 * rsync writes informational lines through a filter that shows control
 * characters in names as \#ooo (octal), keeping the line's own newline.
 */
static void write_escaped(FILE *f, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		bool last_nl = c == '\n' && i == len - 1;
		if ((c < 0x20 && c != '\t' && !last_nl) || c == 0x7f)
			fprintf(f, "\\#%03o", c);
		else
			fputc(c, f);
	}
}

void ur_info(const char *fmt, ...)
{
	char buf[8192];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	write_escaped(stdout, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

void ur_error(int errnum, const char *fmt, ...)
{
	va_list ap;
	ur_log_flush();
	fprintf(stderr, "%s: ", ur_progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (errnum > 0)
		fprintf(stderr, ": %s (%d)", strerror(errnum), errnum);
	fputc('\n', stderr);
}

void ur_errmsg(const char *fmt, ...)
{
	va_list ap;
	ur_log_flush();
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void ur_exit_message(int code, const char *role)
{
	if (!code)
		return;
	ur_log_flush();
	fprintf(stderr, "%s error: %s (code %d) [%s=%s]\n", ur_progname,
		ur_exit_text(code), code, role ? role : "client", UR_VERSION);
}
