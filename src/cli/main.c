/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli/cli.h"
#include "session/session.h"
#include "util/log.h"

#include <string.h>

int main(int argc, char **argv)
{
	struct ur_opts o;
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
	rc = ur_session_run(&o);
out:
	ur_opts_release(&o);
	return rc;
}
