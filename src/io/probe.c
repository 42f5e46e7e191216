/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Which backend, and why (DESIGN.md "fastio"): the policy from the command
 * line (--io-uring, --no-io-uring) or URSYNC_IO, then what the kernel
 * allows. io_uring can be missing from the build (portable, no liburing),
 * refused by seccomp (ENOSYS or EPERM from io_uring_setup, as in Docker's
 * default profile), disabled by kernel.io_uring_disabled (6.6+: 2 refuses
 * everyone, 1 everyone outside io_uring_group), or short of locked memory
 * on kernels before 5.12 (ENOMEM).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "io/io.h"
#include "io/io_int.h"
#include "io/uring_int.h"

#define URING_BUILT (HAVE_LIBURING && !UR_PORTABLE)

#if URING_BUILT
#include <liburing.h>
#endif

static struct ur_io_probe cached;
static pthread_once_t probe_once = PTHREAD_ONCE_INIT;
static int fake_err;

static const char *errname(int e)
{
	static const struct {
		int e;
		const char *name;
	} names[] = {
	    {EPERM, "EPERM"},	{ENOSYS, "ENOSYS"}, {ENOMEM, "ENOMEM"}, {EINVAL, "EINVAL"},
	    {EACCES, "EACCES"}, {EMFILE, "EMFILE"}, {ENFILE, "ENFILE"}, {EFAULT, "EFAULT"},
	};
	static _Thread_local char buf[24];
	if (e < 0)
		e = -e;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].e == e)
			return names[i].name;
	snprintf(buf, sizeof(buf), "errno %d", e);
	return buf;
}

static void kernel_release(char *buf, size_t size)
{
	struct utsname u;
	buf[0] = '\0';
	if (uname(&u) == 0)
		snprintf(buf, size, "%s", u.release);
}

#if URING_BUILT
static int read_disabled_sysctl(void)
{
	FILE *f = fopen("/proc/sys/kernel/io_uring_disabled", "re");
	int v = -1;
	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}
#endif

static void do_probe(void)
{
	struct ur_io_probe *p = &cached;
	memset(p, 0, sizeof(*p));
	p->disabled_sysctl = -1;
	kernel_release(p->kernel, sizeof(p->kernel));
#if URING_BUILT
	p->built = true;
	p->disabled_sysctl = read_disabled_sysctl();
	struct io_uring ring;
	int r = ur_uring_ring_init(&ring, 8);
	if (r < 0) {
		p->err = r;
		return;
	}
	struct io_uring_probe *kp = io_uring_get_probe_ring(&ring);
	if (kp) {
		for (int i = 0; i <= kp->last_op; i++)
			if (kp->ops[i].flags & IO_URING_OP_SUPPORTED)
				p->nops++;
		io_uring_free_probe(kp);
	} else {
		/* before 5.6 there is no probe, and none of the ops we want */
		p->err = -ENOSYS;
	}
	io_uring_queue_exit(&ring);
#else
	p->built = false;
	p->err = -ENOSYS;
#endif
}

int ur_io_probe(struct ur_io_probe *p)
{
	pthread_once(&probe_once, do_probe);
	*p = cached;
	if (fake_err && p->built)
		p->err = fake_err;
	return p->err;
}

void ur_io_probe_fake(int err)
{
	fake_err = err;
}

/* "6.18" from "6.18.44-fc-v657". */
static void short_kernel(const char *rel, char *buf, size_t size)
{
	int maj = 0, min = 0;
	if (sscanf(rel, "%d.%d", &maj, &min) == 2)
		snprintf(buf, size, "%d.%d", maj, min);
	else
		snprintf(buf, size, "%s", rel);
}

/* Why io_uring is not usable, for "posix (...)" and for errors. */
static void refusal(const struct ur_io_probe *p, char *buf, size_t size)
{
	if (!p->built) {
		snprintf(buf, size, UR_PORTABLE ? "portable build" : "built without liburing");
		return;
	}
	if (p->err == -EPERM && p->disabled_sysctl == 2)
		snprintf(buf, size, "io_uring refused: EPERM, kernel.io_uring_disabled=2");
	else if (p->err == -EPERM && p->disabled_sysctl == 1)
		snprintf(buf, size,
			 "io_uring refused: EPERM, kernel.io_uring_disabled=1 and not in "
			 "io_uring_group");
	else if (p->err == -ENOMEM)
		snprintf(buf, size, "io_uring refused: ENOMEM, RLIMIT_MEMLOCK too low");
	else
		snprintf(buf, size, "io_uring refused: %s", errname(p->err));
}

enum choice { CHOOSE_POSIX, CHOOSE_URING, CHOOSE_FAIL };

/* The policy after URSYNC_IO (read only under UR_IO_AUTO: the command line
 * wins), and a note for the line when the environment decided. */
static enum ur_io_policy effective(enum ur_io_policy policy, const char **why)
{
	*why = NULL;
	if (policy != UR_IO_AUTO)
		return policy;
	const char *env = getenv("URSYNC_IO");
	if (env && !strcmp(env, "posix")) {
		*why = "URSYNC_IO=posix";
		return UR_IO_POSIX;
	}
	if (env && !strcmp(env, "uring")) {
		*why = "URSYNC_IO=uring";
		return UR_IO_URING;
	}
	return UR_IO_AUTO;
}

static enum choice choose(enum ur_io_policy policy, char *line, size_t size)
{
	const char *why;
	enum ur_io_policy eff = effective(policy, &why);
	struct ur_io_probe p;
	char reason[128];

	if (eff == UR_IO_POSIX) {
		snprintf(line, size, "posix (%s)", why ? why : "--no-io-uring");
		return CHOOSE_POSIX;
	}
	ur_io_probe(&p);
	if (p.err) {
		refusal(&p, reason, sizeof(reason));
		if (eff == UR_IO_URING) {
			snprintf(line, size, "none (io_uring required%s%s but unavailable: %s)",
				 why ? " by " : "", why ? why : "", reason);
			return CHOOSE_FAIL;
		}
		snprintf(line, size, "posix (%s)", reason);
		return CHOOSE_POSIX;
	}
	char k[32];
	short_kernel(p.kernel, k, sizeof(k));
	/* auto routes by measurement (ur_uring_route_measured): say so */
	snprintf(line, size, "io_uring (kernel %s, %d ops%s)", k, p.nops,
		 eff == UR_IO_AUTO ? ", hybrid" : "");
	return CHOOSE_URING;
}

void ur_io_version_line(enum ur_io_policy policy, char *buf, size_t size)
{
	choose(policy, buf, size);
}

#if !URING_BUILT
struct ur_io *ur_io_uring_new(int *err)
{
	*err = -ENOSYS;
	return NULL;
}

void ur_uring_set_min_batch(struct ur_io *io, unsigned n)
{
	(void)io;
	(void)n;
}

bool ur_uring_op_on_ring(const struct ur_io *io, enum ur_io_opcode op)
{
	(void)io;
	(void)op;
	return false;
}

void ur_uring_set_route(struct ur_io *io, enum ur_io_opcode op, int route)
{
	(void)io;
	(void)op;
	(void)route;
}

void ur_uring_route_measured(struct ur_io *io)
{
	(void)io;
}
#endif

int ur_io_open(enum ur_io_policy policy, struct ur_io **out, struct ur_err *err)
{
	char line[sizeof(((struct ur_io *)0)->line)];
	struct ur_io *io = NULL;
	int r = 0;

	*out = NULL;
	enum choice c = choose(policy, line, sizeof(line));
	if (c == CHOOSE_FAIL) {
		struct ur_io_probe p;
		char reason[128];
		ur_io_probe(&p);
		refusal(&p, reason, sizeof(reason));
		return ur_err_set(err, UR_EXIT_UNSUPPORTED, p.err ? -p.err : ENOSYS,
				  "--io-uring: the io_uring backend is not available (%s)", reason);
	}
	if (c == CHOOSE_URING) {
		io = ur_io_uring_new(&r);
		if (!io) {
			/* the probe passed but the backend could not be made: say so */
			const char *why;
			if (effective(policy, &why) == UR_IO_URING)
				return ur_err_set(
				    err, UR_EXIT_UNSUPPORTED, -r,
				    "--io-uring: the io_uring backend failed to start (%s)",
				    errname(r));
			snprintf(line, sizeof(line), "posix (io_uring failed: %s)", errname(r));
		} else if (effective(policy, &(const char *){NULL}) == UR_IO_AUTO) {
			ur_uring_route_measured(io);
		}
	}
	if (!io)
		io = ur_io_posix_new();
	if (!io)
		return ur_err_set(err, UR_EXIT_MALLOC, ENOMEM,
				  "out of memory making the I/O backend");
	snprintf(io->line, sizeof(io->line), "%s", line);
	*out = io;
	return 0;
}
