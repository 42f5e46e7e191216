/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli/cli.h"
#include "session/rsh.h"
#include "session/session.h"
#include "util/err.h"
#include "util/log.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * A server started with -s gets the rest of its command line on stdin
 * (rsync's protected args): read it and parse the whole again, the words
 * from the shell first. words and *nv hold the strings o points into and
 * live as long as o. Returns ur_opts_parse's result, or an exit code.
 */
static int secluded_reparse(struct ur_opts *o, int argc, char **argv, struct ur_argv *words,
			    char ***nv)
{
	struct ur_err err = {0};
	if (ur_secluded_read(STDIN_FILENO, words, &err) < 0) {
		ur_error(err.errnum, "%s", err.msg);
		ur_exit_message(err.code, "server");
		return err.code;
	}
	int n = 0;
	*nv = calloc((size_t)argc + (size_t)words->n + 1, sizeof(char *));
	if (!*nv) {
		ur_exit_message(UR_EXIT_MALLOC, "server");
		return UR_EXIT_MALLOC;
	}
	for (int i = 0; i < argc; i++)
		(*nv)[n++] = argv[i];
	for (int i = 1; i < words->n; i++) /* words[0] is the client's "rsync" */
		(*nv)[n++] = words->v[i];
	ur_opts_release(o);
	ur_opts_init(o);
	return ur_opts_parse(o, n, *nv);
}

int main(int argc, char **argv)
{
	struct ur_opts o;
	struct ur_argv words = {0};
	char **nv = NULL;
	int rc;

	/* Installed as "rsync" (update-alternatives, a symlink), ursync speaks
	 * as rsync: its messages and --version say "rsync" so that scripts
	 * reading them keep working; under any other name it says "ursync". */
	if (argc > 0 && argv[0]) {
		const char *base = strrchr(argv[0], '/');
		ur_progname = strcmp(base ? base + 1 : argv[0], "rsync") ? "ursync" : "rsync";
	}
	ur_session_set_daemon_parser(ur_opts_parse_daemon_args);
	ur_opts_init(&o);
	rc = ur_opts_parse(&o, argc, argv);
	if (rc < 0) {
		rc = 0;
		goto out;
	}
	if (rc > 0)
		goto out;
	if (o.server && o.secluded_args && !o.daemon) {
		rc = secluded_reparse(&o, argc, argv, &words, &nv);
		if (rc < 0)
			rc = 0;
		if (rc > 0)
			goto out;
	}
	rc = ur_session_run(&o);
out:
	ur_opts_release(&o);
	ur_argv_free(&words);
	free(nv);
	return rc;
}
