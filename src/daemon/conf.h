/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_DAEMON_CONF_H
#define UR_DAEMON_CONF_H

/*
 * rsyncd.conf (docs/daemon.md "The configuration file"): a global section
 * and [module] sections of "name = value" lines, with rsync 3.5.0's
 * lexical rules (comments, continuation lines, whitespace and case not
 * significant in names), its &include and &merge directives and its
 * parameter names. A local parameter set in the global section is the
 * default of every module that follows.
 *
 * The parser reads files only through struct ur_dconf_io, so a unit test
 * or a fuzzer hands it bytes; ur_dconf_file_io() is the one that reads
 * the file system.
 */

#include <stdbool.h>
#include <stddef.h>

/* Every parameter of rsync 3.5.0 (its daemon-parm.txt), globals first. */
enum ur_dp {
	/* global */
	UR_DP_ADDRESS,
	UR_DP_DAEMON_CHROOT,
	UR_DP_DAEMON_GID,
	UR_DP_DAEMON_UID,
	UR_DP_MOTD_FILE,
	UR_DP_PID_FILE,
	UR_DP_PROXY_PROTOCOL_HOSTS,
	UR_DP_SOCKET_OPTIONS,
	UR_DP_LISTEN_BACKLOG,
	UR_DP_PORT,
	UR_DP_PROXY_PROTOCOL,
	/* local (per module; in the global section, the default) */
	UR_DP_AUTH_DIGEST,
	UR_DP_AUTH_USERS,
	UR_DP_CHARSET,
	UR_DP_COMMENT,
	UR_DP_DONT_COMPRESS,
	UR_DP_EARLY_EXEC,
	UR_DP_EXCLUDE,
	UR_DP_EXCLUDE_FROM,
	UR_DP_FILTER,
	UR_DP_GID,
	UR_DP_HOSTS_ALLOW,
	UR_DP_HOSTS_DENY,
	UR_DP_INCLUDE,
	UR_DP_INCLUDE_FROM,
	UR_DP_INCOMING_CHMOD,
	UR_DP_LOCK_FILE,
	UR_DP_LOG_FILE,
	UR_DP_LOG_FORMAT,
	UR_DP_NAME,
	UR_DP_NAME_CONVERTER,
	UR_DP_OUTGOING_CHMOD,
	UR_DP_POST_XFER_EXEC,
	UR_DP_PRE_XFER_EXEC,
	UR_DP_REFUSE_OPTIONS,
	UR_DP_SECRETS_FILE,
	UR_DP_SYSLOG_TAG,
	UR_DP_UID,
	UR_DP_PATH,
	UR_DP_TEMP_DIR,
	UR_DP_MAX_CONNECTIONS,
	UR_DP_MAX_VERBOSITY,
	UR_DP_TIMEOUT,
	UR_DP_SYSLOG_FACILITY,
	UR_DP_FAKE_SUPER,
	UR_DP_FORWARD_LOOKUP,
	UR_DP_IGNORE_ERRORS,
	UR_DP_IGNORE_NONREADABLE,
	UR_DP_INSECURE_LINKS,
	UR_DP_LIST,
	UR_DP_READ_ONLY,
	UR_DP_REVERSE_LOOKUP,
	UR_DP_STRICT_MODES,
	UR_DP_TRANSFER_LOGGING,
	UR_DP_WRITE_ONLY,
	UR_DP_MUNGE_SYMLINKS,
	UR_DP_NUMERIC_IDS,
	UR_DP_OPEN_NOATIME,
	UR_DP_USE_CHROOT,
	UR_DP_COUNT
};
#define UR_DP_FIRST_LOCAL UR_DP_AUTH_DIGEST

enum ur_dp_type { UR_DPT_STRING, UR_DPT_PATH, UR_DPT_INT, UR_DPT_ENUM, UR_DPT_BOOL, UR_DPT_BOOL3 };

/* One row of the table: the name as rsyncd.conf spells it, its type and
 * its default ("1"/"0"/"-1" for booleans; NULL for none). */
struct ur_dparm {
	const char *name;
	enum ur_dp_type type;
	const char *def;
};
extern const struct ur_dparm ur_dparms[UR_DP_COUNT];

/* A section: the global one or a module. val[i] is NULL until set (then
 * the default applies); booleans are stored as "1", "0" or "-1". */
struct ur_dsect {
	char *name;
	char *val[UR_DP_COUNT];
};

struct ur_dconf {
	struct ur_dsect global;
	struct ur_dsect *mods;
	size_t nmods, cap;
	/* parser state */
	struct ur_dsect *cur; /* NULL: the global section */
	bool dparams_done;
	const char *const *dparams;
	int ndparams;
	int depth;
	const struct ur_dconf_io *io;
};

/* Where the parser reads files and says what it found wrong. */
struct ur_dconf_io {
	/* The whole file in a malloc'ed *buf. 0 or -errno. */
	int (*read)(void *ctx, const char *path, char **buf, size_t *len);
	/* 1 for a regular file, 2 for a directory, 0 for anything else, or
	 * -errno. */
	int (*kind)(void *ctx, const char *path);
	/* The names in dir matching glob ("*.conf", "*.inc"), as full paths
	 * in a malloc'ed array of malloc'ed strings, sorted. 0 or -errno. */
	int (*list)(void *ctx, const char *dir, const char *glob, char ***names, size_t *n);
	/* One line of rsync's log (without newline). */
	void (*log)(void *ctx, const char *line);
	void *ctx;
};

/* The reader of the file system, logging to log(ctx, ...) (may be NULL). */
struct ur_dconf_io ur_dconf_file_io(void (*log)(void *, const char *), void *ctx);

void ur_dconf_init(struct ur_dconf *c);
void ur_dconf_release(struct ur_dconf *c);

/*
 * Parse path into c (fresh from ur_dconf_init): with globals_only, stop at
 * the first section header, as rsync's daemon does before listening.
 * dparams ("name=value", borrowed) are applied at the end of the global
 * section. Returns 0, or -EINVAL when the file is unusable (rsync's
 * "Failed to parse config file"; the reason went to io->log), -ENOMEM.
 * Unknown parameters and bad booleans are logged and skipped, as rsync
 * does.
 */
int ur_dconf_load(struct ur_dconf *c, const char *path, bool globals_only,
		  const char *const *dparams, int ndparams, const struct ur_dconf_io *io);

/* Parse bytes as if they were the file named path (the unit test and the
 * fuzzer; &include still goes through io). */
int ur_dconf_load_buf(struct ur_dconf *c, const char *path, const char *buf, size_t len,
		      bool globals_only, const char *const *dparams, int ndparams,
		      const struct ur_dconf_io *io);

/* The parameter named name (rsync's matching: case and whitespace not
 * significant), or -1. */
int ur_dparm_find(const char *name);

/* The module named name (rsync matches it the same loose way), or NULL. */
const struct ur_dsect *ur_dconf_module(const struct ur_dconf *c, const char *name);

/* A value of section s (NULL: the global section): its own, else the
 * default (for a global parameter always the global section's). Never
 * NULL for strings: "" when unset without a default. */
const char *ur_dconf_str(const struct ur_dconf *c, const struct ur_dsect *s, enum ur_dp p);
int ur_dconf_int(const struct ur_dconf *c, const struct ur_dsect *s, enum ur_dp p);
/* 1, 0, or -1 (unset, for the BOOL3 ones). */
int ur_dconf_bool(const struct ur_dconf *c, const struct ur_dsect *s, enum ur_dp p);
/* Was the parameter set in s (or, for a local one, in the global section
 * before s began)? */
bool ur_dconf_isset(const struct ur_dconf *c, const struct ur_dsect *s, enum ur_dp p);

/* %VAR% replaced by the environment's VAR where it is set, as rsync
 * expands string parameters. A malloc'ed string, or NULL when out of
 * memory. */
char *ur_dconf_expand(const char *val);

#endif
