/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"
#include "util/log.h"
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *ur_progname = "ursync";
ur_log_sink_fn ur_log_sink;

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

bool ur_log_quiet;

void ur_info(const char *fmt, ...)
{
	char buf[8192];
	va_list ap;
	if (ur_log_quiet)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (ur_log_sink) {
		ur_log_sink(UR_LOG_INFO, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
		return;
	}
	write_escaped(stdout, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* Format a whole error line and hand it on in one piece: to the sink, or
 * to stderr in a single write (stderr is unbuffered, and a line written in
 * parts can interleave with another process's on the same terminal). */
static void error_line(const char *prefix, int errnum, const char *fmt, va_list ap)
{
	char buf[8192];
	size_t n = (size_t)snprintf(buf, sizeof(buf), "%s", prefix);
	int k = vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	if (k > 0)
		n += (size_t)k < sizeof(buf) - n ? (size_t)k : sizeof(buf) - n - 1;
	if (errnum > 0 && n < sizeof(buf))
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, ": %s (%d)", strerror(errnum), errnum);
	if (n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (ur_log_sink) {
		ur_log_sink(UR_LOG_ERROR, buf, n);
		return;
	}
	ur_log_flush();
	fwrite(buf, 1, n, stderr);
}

void ur_error(int errnum, const char *fmt, ...)
{
	va_list ap;
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "%s: ", ur_progname);
	va_start(ap, fmt);
	error_line(prefix, errnum, fmt, ap);
	va_end(ap);
}

void ur_errmsg(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_line("", 0, fmt, ap);
	va_end(ap);
}

void ur_exit_message(int code, const char *role)
{
	if (!code)
		return;
	if (ur_log_sink) {
		char buf[512];
		int n = snprintf(buf, sizeof(buf), "%s error: %s (code %d) [%s=%s]\n", ur_progname,
				 ur_exit_text(code), code, role ? role : "client", UR_VERSION);
		if (n > 0)
			ur_log_sink(UR_LOG_ERROR, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
		return;
	}
	ur_log_flush();
	fprintf(stderr, "%s error: %s (code %d) [%s=%s]\n", ur_progname,
		ur_exit_text(code), code, role ? role : "client", UR_VERSION);
}
