/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_LOG_H
#define UR_LOG_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Messages for the user, shaped as rsync shapes them:
 *   info      -> stdout                      ("created directory dst")
 *   error     -> stderr  "ursync: [role] ...: strerror (errno)"
 *   exit      -> stderr  "ursync error: TEXT (code N) at FILE(LINE) [ROLE=VERSION]"
 */

/* The program name used as the message prefix: "ursync", or "rsync" when
 * main() was started under that name. */
extern const char *ur_progname;

void ur_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* -q: ur_info says nothing at all, as rsync's rwrite() drops every
 * informational line when quiet. */
extern bool ur_log_quiet;
/* "ursync: <msg>" to stderr; if errnum > 0 appends ": strerror (errnum)". */
void ur_error(int errnum, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A message to stderr exactly as given (rsync's rprintf(FERROR, ...) lines
 * such as "ERROR: ..." carry no program prefix). */
void ur_errmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The final "ursync error: ... (code N) ..." line for a non-zero exit. */
void ur_exit_message(int code, const char *role);

/*
 * Where messages go instead of stdout/stderr (a --server sends them to
 * the client as protocol messages): kind is UR_LOG_INFO, UR_LOG_ERROR or
 * UR_LOG_WARNING; msg is the whole text with its newline. NULL = the
 * terminal.
 */
enum { UR_LOG_INFO, UR_LOG_ERROR, UR_LOG_WARNING };
typedef void (*ur_log_sink_fn)(int kind, const char *msg, size_t len);
extern ur_log_sink_fn ur_log_sink;

/* Flush stdout before writing to stderr so lines stay in order. */
void ur_log_flush(void);

#endif
