/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef UR_IO_POLICY_H
#define UR_IO_POLICY_H

/*
 * Which fastio backend a run asks for (docs/fastio.md "Choosing the
 * backend"): --io-uring, --no-io-uring, or the default, auto. Its own
 * header so opts/opts.h can carry the choice without io/ depending on cli/.
 */
enum ur_io_policy { UR_IO_AUTO = 0, UR_IO_URING, UR_IO_POSIX };

#endif
