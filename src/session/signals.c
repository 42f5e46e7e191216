/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * SIGINT, SIGTERM and SIGHUP end a run as rsync's sig_int() does: the
 * receiving side keeps or removes the file it was writing
 * (ur_engine_interrupted), the closing line says "received SIGINT,
 * SIGTERM, or SIGHUP (code 20)", and the exit code is 20. Only the main
 * thread runs the cleanup: a worker thread that takes the signal passes it
 * on.
 */
#include "config.h"
#include "session/session_int.h"
#include "util/err.h"
#include "util/log.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static pthread_t main_thread;
static const char *volatile fixed_role;

extern const char *ur_client_exit_role; /* remote.c */

static size_t put(char *buf, size_t n, size_t cap, const char *s)
{
	size_t l = strlen(s);
	if (l > cap - 1 - n)
		l = cap - 1 - n;
	memcpy(buf + n, s, l);
	return n + l;
}

static void on_signal(int sig)
{
	static volatile sig_atomic_t seen;

	if (!pthread_equal(pthread_self(), main_thread)) {
		pthread_kill(main_thread, sig);
		return;
	}
	if (seen)
		return; /* a second one while cleaning up */
	seen = 1;
	ur_engine_interrupted();

	/* rsync's line comes from its main process: the sender of a local
	 * copy or a push, the generator of a pull */
	const char *role = fixed_role ? fixed_role : ur_client_exit_role;
	if (!role || !strcmp(role, "client"))
		role = "sender";
	else if (!strcmp(role, "Receiver"))
		role = "generator";
	char buf[256];
	size_t n = put(buf, 0, sizeof(buf), ur_progname);
	n = put(buf, n, sizeof(buf), " error: received SIGINT, SIGTERM, or SIGHUP (code 20) [");
	n = put(buf, n, sizeof(buf), role);
	n = put(buf, n, sizeof(buf), "=" UR_VERSION "]\n");
	ssize_t w = write(STDERR_FILENO, buf, n);
	(void)w;
	_exit(UR_EXIT_SIGNAL);
}

void ur_signals_install(const char *role)
{
	struct sigaction sa;

	main_thread = pthread_self();
	fixed_role = role;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGINT);
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaddset(&sa.sa_mask, SIGHUP);
	/* no SA_RESTART: a blocked read or write ends at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}
