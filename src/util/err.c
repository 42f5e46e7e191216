/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "util/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

static const struct {
	int code;
	const char *text;
} exit_texts[] = {
	{UR_EXIT_SYNTAX, "syntax or usage error"},
	{UR_EXIT_PROTOCOL, "protocol incompatibility"},
	{UR_EXIT_FILESELECT, "errors selecting input/output files, dirs"},
	{UR_EXIT_UNSUPPORTED, "requested action not supported"},
	{UR_EXIT_STARTCLIENT, "error starting client-server protocol"},
	{UR_EXIT_SOCKETIO, "error in socket IO"},
	{UR_EXIT_FILEIO, "error in file IO"},
	{UR_EXIT_STREAMIO, "error in rsync protocol data stream"},
	{UR_EXIT_MESSAGEIO, "errors with program diagnostics"},
	{UR_EXIT_IPC, "error in IPC code"},
	{UR_EXIT_CRASHED, "sibling process crashed"},
	{UR_EXIT_TERMINATED, "sibling process terminated abnormally"},
	{UR_EXIT_SIGNAL1, "received SIGUSR1"},
	{UR_EXIT_SIGNAL, "received SIGINT, SIGTERM, or SIGHUP"},
	{UR_EXIT_WAITCHILD, "waitpid() failed"},
	{UR_EXIT_MALLOC, "error allocating core memory buffers"},
	{UR_EXIT_PARTIAL, "some files/attrs were not transferred (see previous errors)"},
	{UR_EXIT_VANISHED, "some files vanished before they could be transferred"},
	{UR_EXIT_DEL_LIMIT, "the --max-delete limit stopped deletions"},
	{UR_EXIT_TIMEOUT, "timeout in data send/receive"},
	{UR_EXIT_CONTIMEOUT, "timeout waiting for daemon connection"},
	{UR_EXIT_CMD_FAILED, "remote shell failed"},
	{UR_EXIT_CMD_KILLED, "remote shell killed"},
	{UR_EXIT_CMD_RUN, "remote command could not be run"},
	{UR_EXIT_CMD_NOTFOUND, "remote command not found"},
};

const char *ur_exit_text(int code)
{
	for (size_t i = 0; i < sizeof(exit_texts) / sizeof(exit_texts[0]); i++)
		if (exit_texts[i].code == code)
			return exit_texts[i].text;
	return code ? "unexplained error" : NULL;
}

int ur_err_set(struct ur_err *err, int code, int errnum, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		err->code = code;
		err->errnum = errnum;
	}
	return errnum ? -errnum : -1;
}

int ur_err_stream(struct ur_err *err, int errnum, const char *fmt, ...)
{
	if (err) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		err->errnum = errnum;
		err->code = errnum == EBADMSG ? UR_EXIT_STREAMIO : UR_EXIT_PROTOCOL;
	}
	return -errnum;
}
