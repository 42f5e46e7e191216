/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "opts/opts.h"

#include <stdlib.h>
#include <string.h>

#include "meta/chmod.h"

void ur_opts_init(struct ur_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->implied_dirs = true;
	o->inc_recursive = -1;
	o->am_root = -1;
	o->whole_file = -1;
	o->min_size = -1;
	o->max_size = -1;
	o->max_delete = -1;
	o->compress_level = -1;
	o->human_level = 1;
	o->max_alloc = UR_DEFAULT_MAX_ALLOC;
	o->info[UR_INFO_NONREG] = 1;
	o->io_policy = UR_IO_AUTO;
}

void ur_opts_release(struct ur_opts *o)
{
	ur_chmod_free(o->chmod);
	o->chmod = NULL;
	free(o->usermap);
	o->usermap = NULL;
	free(o->groupmap);
	o->groupmap = NULL;
	free(o->filters);
	o->filters = NULL;
	o->filter_count = 0;
}
