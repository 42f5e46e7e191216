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

void ur_info(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
}

void ur_warn(const char *fmt, ...)
{
	va_list ap;
	ur_log_flush();
	fprintf(stderr, "%s: ", ur_progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
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

void ur_exit_message(int code, const char *role)
{
	if (!code)
		return;
	ur_log_flush();
	fprintf(stderr, "%s error: %s (code %d) [%s=%s]\n", ur_progname,
		ur_exit_text(code), code, role ? role : "client", UR_VERSION);
}
