/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli/cli.h"
#include "session/session.h"
#include "util/log.h"

int main(int argc, char **argv)
{
	struct ur_opts o;
	int rc;

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
