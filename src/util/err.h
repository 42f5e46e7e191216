/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_ERR_H
#define UR_ERR_H

/* rsync's exit codes (errcode.h in rsync); the numbers are part of the interface. */
enum ur_exit {
	UR_EXIT_OK = 0,
	UR_EXIT_SYNTAX = 1,          /* syntax or usage error */
	UR_EXIT_PROTOCOL = 2,        /* protocol incompatibility */
	UR_EXIT_FILESELECT = 3,      /* errors selecting input/output files, dirs */
	UR_EXIT_UNSUPPORTED = 4,     /* requested action not supported */
	UR_EXIT_STARTCLIENT = 5,     /* error starting client-server protocol */
	UR_EXIT_SOCKETIO = 10,       /* error in socket IO */
	UR_EXIT_FILEIO = 11,         /* error in file IO */
	UR_EXIT_STREAMIO = 12,       /* error in rsync protocol data stream */
	UR_EXIT_MESSAGEIO = 13,      /* errors with program diagnostics */
	UR_EXIT_IPC = 14,            /* error in IPC code */
	UR_EXIT_CRASHED = 15,        /* sibling crashed */
	UR_EXIT_TERMINATED = 16,     /* sibling terminated abnormally */
	UR_EXIT_SIGNAL1 = 19,        /* status returned when sent SIGUSR1 */
	UR_EXIT_SIGNAL = 20,         /* status returned when sent SIGINT, SIGTERM, SIGHUP */
	UR_EXIT_WAITCHILD = 21,      /* some error returned by waitpid() */
	UR_EXIT_MALLOC = 22,         /* error allocating core memory buffers */
	UR_EXIT_PARTIAL = 23,        /* partial transfer */
	UR_EXIT_VANISHED = 24,       /* file(s) vanished on sender side */
	UR_EXIT_DEL_LIMIT = 25,      /* skipped some deletes due to --max-delete */
	UR_EXIT_TIMEOUT = 30,        /* timeout in data send/receive */
	UR_EXIT_CONTIMEOUT = 35,     /* timeout waiting for daemon connection */
	UR_EXIT_CMD_FAILED = 255,    /* remote shell failed */
	UR_EXIT_CMD_KILLED = 254,    /* remote shell killed */
	UR_EXIT_CMD_RUN = 126,       /* remote command could not be run */
	UR_EXIT_CMD_NOTFOUND = 127,  /* remote command not found */
};

/* The text rsync prints for an exit code ("some files/attrs were not
 * transferred (see previous errors)"), or NULL for 0. */
const char *ur_exit_text(int code);

/* Detail for the user about a failure, filled in by the function that failed. */
struct ur_err {
	int code;       /* a suggested enum ur_exit */
	int errnum;     /* positive errno, or 0 */
	char msg[512];
};

/* Record a message in err (printf-style); returns -errnum so callers can
 * `return ur_err_set(err, ...)`. err may be NULL. */
int ur_err_set(struct ur_err *err, int code, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A stream that failed to decode (the wire codec's, a compressed token
 * stream's): the message in err and rsync's exit code for it, 12
 * (RERR_STREAMIO) for errnum EBADMSG, a malformed stream, and 2
 * (RERR_PROTOCOL) for EPROTO, a value it may not hold. Returns -errnum;
 * err may be NULL. */
int ur_err_stream(struct ur_err *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
