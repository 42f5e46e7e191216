/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The tail of a local file transfer (fsync?, close, rename into place, close
 * the source) on a second thread, many files to a batch, while the main
 * thread goes on creating and copying the next ones. The machine this was
 * measured on has two cores; the tail is about a third of the system time
 * of a small file (docs/benchmarks.md).
 *
 * Only the main thread prints and changes the engine: the finisher records
 * failures, and ur_finisher_queue()/ur_finisher_flush() report them there,
 * with the messages the synchronous path prints.
 */
#include "engine/engine.h"
#include "io/io_sys.h"
#include "util/err.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define QCAP  256 /* files queued at most */
#define BATCH 64  /* files per ur_io_submit (4 ops each) */
#define WAKE  128 /* the worker sleeps until this many are queued (or a flush): a
		  * directory behind the main thread, off its directory lock */

struct job {
	int out, in;
	char *names; /* "TMP\0DNAME\0", owned */
};

struct failure {
	int errnum;
	int what; /* 0 fsync, 1 close, 2 rename */
	char *names;
};

struct ur_finisher {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t more, room, idle;
	struct job q[QCAP];
	size_t head, n;   /* queued jobs */
	size_t busy;      /* jobs taken by the worker, not yet done */
	bool stop;
	bool flushing;     /* the main thread waits for everything */
	bool worker_waits; /* for more work */
	bool main_waits;   /* for room in the queue */
	bool fsync;
	int dest_fd;
	struct ur_io *io;
	struct failure *fails;
	size_t nfails, capfails;
	bool fatal; /* a close or fsync failed: the run must stop */
	int halt;   /* a signal: take no more jobs (__atomic) */
};

/* The running finisher, for ur_finisher_interrupted() (one per process). */
static struct ur_finisher *live;

bool ur_finisher_wanted(const struct ur_engine *eng)
{
	const struct ur_opts *o = eng->o;
	/* Not when anything later in the run may look at a file that is
	 * still being finished: --remove-source-files (the source goes once
	 * the copy is in place), backups, --inplace/--partial/--temp-dir/
	 * --delay-updates (other tails), hard links, and the receiver's
	 * per-directory merge files (a transferred one must be in place
	 * before the next directory reads it). */
	return !o->dry_run && !o->list_only && !o->remove_source_files && !o->backup &&
	       !o->inplace && !o->partial && !o->temp_dir && !o->delay_updates &&
	       !o->hard_links && !eng->rfilters && !eng->dest_file;
}

static void record(struct ur_finisher *f, int errnum, int what, char *names)
{
	if (f->nfails == f->capfails) {
		size_t ncap = f->capfails ? 2 * f->capfails : 16;
		struct failure *nf = realloc(f->fails, ncap * sizeof(*nf));
		if (!nf) {
			free(names);
			f->fatal = true;
			return;
		}
		f->fails = nf;
		f->capfails = ncap;
	}
	f->fails[f->nfails++] = (struct failure){.errnum = errnum, .what = what, .names = names};
	if (what != 2)
		f->fatal = true;
}

/*
 * After a fatal failure (a close or fsync) nothing more takes its name, as
 * rsync's receiver stops there: later jobs are closed and their temp files
 * removed. Files in the same batch as the failure are already done.
 */
static bool discard_after_fatal(struct ur_finisher *f, struct job *jobs, size_t n)
{
	pthread_mutex_lock(&f->lock);
	bool fatal = f->fatal;
	pthread_mutex_unlock(&f->lock);
	if (!fatal)
		return false;
	for (size_t i = 0; i < n; i++) {
		ur_io_close(f->io, jobs[i].out);
		ur_io_close(f->io, jobs[i].in);
		ur_io_unlinkat(f->io, f->dest_fd, jobs[i].names, 0);
		free(jobs[i].names);
	}
	pthread_mutex_lock(&f->lock);
	f->busy -= n;
	if (!f->n && !f->busy)
		pthread_cond_broadcast(&f->idle);
	pthread_mutex_unlock(&f->lock);
	return true;
}

static void run_batch(struct ur_finisher *f, struct job *jobs, size_t n)
{
	struct ur_io_op ops[BATCH * 4];
	size_t first[BATCH], k = 0;
	if (discard_after_fatal(f, jobs, n))
		return;
	for (size_t i = 0; i < n; i++) {
		const char *tmp = jobs[i].names;
		const char *dname = tmp + strlen(tmp) + 1;
		first[i] = k;
		if (f->fsync) {
			ur_io_prep_fsync(&ops[k], jobs[i].out, 0);
			ur_io_op_link(&ops[k++], false);
		}
		ur_io_prep_close(&ops[k], jobs[i].out);
		ur_io_op_link(&ops[k++], false);
		ur_io_prep_renameat(&ops[k++], f->dest_fd, tmp, f->dest_fd, dname);
		ur_io_prep_close(&ops[k++], jobs[i].in);
	}
	int br = ur_io_submit(f->io, ops, k);
	pthread_mutex_lock(&f->lock);
	for (size_t i = 0; i < n; i++) {
		struct ur_io_op *op = &ops[first[i]];
		const char *tmp = jobs[i].names;
		int what = -1, res = 0;
		if (br < 0) {
			what = 1, res = br;
		} else {
			if (f->fsync && op->res < 0)
				what = 0, res = (int)op->res;
			op += f->fsync;
			if (what < 0 && op[0].res < 0)
				what = 1, res = (int)op[0].res;
			if (what < 0 && op[1].res < 0)
				what = 2, res = (int)op[1].res;
		}
		if (br < 0 || op[0].res == -ECANCELED)
			ur_io_close(f->io, jobs[i].out); /* never let a descriptor go */
		if (br < 0)
			ur_io_close(f->io, jobs[i].in);
		if (what >= 0) {
			/* what did not take its name goes, as on the synchronous path */
			ur_io_unlinkat(f->io, f->dest_fd, tmp, 0);
			record(f, -res, what, jobs[i].names);
		} else {
			free(jobs[i].names);
		}
	}
	f->busy -= n;
	if (!f->n && !f->busy)
		pthread_cond_broadcast(&f->idle);
	pthread_mutex_unlock(&f->lock);
}

static void *worker(void *arg)
{
	struct ur_finisher *f = arg;
	struct job jobs[BATCH];
	for (;;) {
		pthread_mutex_lock(&f->lock);
		while (f->n < WAKE && !f->stop && !(f->flushing && f->n)) {
			f->worker_waits = true;
			pthread_cond_wait(&f->more, &f->lock);
			f->worker_waits = false;
		}
		if (!f->n && f->stop) {
			pthread_mutex_unlock(&f->lock);
			return NULL;
		}
		if (__atomic_load_n(&f->halt, __ATOMIC_SEQ_CST)) {
			/* the signal handler owns the queue now; the process ends */
			pthread_mutex_unlock(&f->lock);
			for (;;)
				pause();
		}
		size_t n = f->n < BATCH ? f->n : BATCH;
		for (size_t i = 0; i < n; i++)
			jobs[i] = f->q[(f->head + i) % QCAP];
		f->head = (f->head + n) % QCAP;
		f->n -= n;
		f->busy += n;
		if (f->main_waits)
			pthread_cond_signal(&f->room);
		pthread_mutex_unlock(&f->lock);
		run_batch(f, jobs, n);
	}
}

int ur_finisher_start(struct ur_engine *eng)
{
	struct ur_finisher *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->io = eng->io;
	f->dest_fd = eng->dest_fd;
	f->fsync = eng->o->fsync;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->more, NULL);
	pthread_cond_init(&f->room, NULL);
	pthread_cond_init(&f->idle, NULL);
	int rc = pthread_create(&f->thread, NULL, worker, f);
	if (rc) {
		pthread_mutex_destroy(&f->lock);
		pthread_cond_destroy(&f->more);
		pthread_cond_destroy(&f->room);
		pthread_cond_destroy(&f->idle);
		free(f);
		return -rc;
	}
	eng->fin = f;
	__atomic_store_n(&live, f, __ATOMIC_SEQ_CST);
	return 0;
}

void ur_finisher_interrupted(void)
{
	struct ur_finisher *f = __atomic_load_n(&live, __ATOMIC_SEQ_CST);
	if (!f)
		return;
	__atomic_store_n(&f->halt, 1, __ATOMIC_SEQ_CST);
	/* The batch the worker holds it renames itself; give it a second. */
	for (int i = 0; i < 1000 && __atomic_load_n(&f->busy, __ATOMIC_SEQ_CST); i++)
		nanosleep(&(struct timespec){0, 1000000}, NULL);
	size_t n = __atomic_load_n(&f->n, __ATOMIC_SEQ_CST);
	for (size_t i = 0; i < n; i++) {
		const char *tmp = f->q[(f->head + i) % QCAP].names;
		if (renameat(f->dest_fd, tmp, f->dest_fd, tmp + strlen(tmp) + 1) < 0)
			unlinkat(f->dest_fd, tmp, 0);
	}
}

/* Print what the finisher recorded (main thread; lock held by caller). */
static void report(struct ur_engine *eng, struct ur_finisher *f)
{
	for (size_t i = 0; i < f->nfails; i++) {
		struct failure *x = &f->fails[i];
		const char *tmp = x->names;
		const char *dname = tmp + strlen(tmp) + 1;
		if (x->what == 0) {
			ur_error(x->errnum, "[receiver] fsync failed on %s", ur_engine_full_dst(eng, tmp));
		} else if (x->what == 1) {
			ur_error(x->errnum, "[receiver] close failed on %s",
				 ur_engine_full_dst(eng, dname));
		} else {
			ur_error(x->errnum, "[receiver] rename %s -> \"%s\" failed",
				 ur_engine_full_dst(eng, tmp), dname);
			ur_engine_fail(eng, UR_EXIT_PARTIAL);
		}
		free(x->names);
	}
	f->nfails = 0;
	if (f->fatal && !eng->fatal) {
		eng->exit_code = UR_EXIT_FILEIO;
		eng->fatal = true;
	}
}

int ur_finisher_queue(struct ur_engine *eng, int out, int in, const char *tmp, const char *dname)
{
	struct ur_finisher *f = eng->fin;
	size_t lt = strlen(tmp) + 1, ld = strlen(dname) + 1;
	char *names = malloc(lt + ld);
	if (!names)
		return -ENOMEM;
	memcpy(names, tmp, lt);
	memcpy(names + lt, dname, ld);
	pthread_mutex_lock(&f->lock);
	while (f->n == QCAP) {
		f->main_waits = true;
		pthread_cond_wait(&f->room, &f->lock);
		f->main_waits = false;
	}
	f->q[(f->head + f->n) % QCAP] = (struct job){.out = out, .in = in, .names = names};
	f->n++;
	if (f->worker_waits && f->n >= WAKE)
		pthread_cond_signal(&f->more);
	report(eng, f);
	pthread_mutex_unlock(&f->lock);
	return 0;
}

void ur_finisher_flush(struct ur_engine *eng)
{
	struct ur_finisher *f = eng->fin;
	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	f->flushing = true;
	pthread_cond_signal(&f->more);
	while (f->n || f->busy)
		pthread_cond_wait(&f->idle, &f->lock);
	f->flushing = false;
	report(eng, f);
	pthread_mutex_unlock(&f->lock);
}

void ur_finisher_stop(struct ur_engine *eng)
{
	struct ur_finisher *f = eng->fin;
	if (!f)
		return;
	ur_finisher_flush(eng);
	pthread_mutex_lock(&f->lock);
	f->stop = true;
	pthread_cond_signal(&f->more);
	pthread_mutex_unlock(&f->lock);
	pthread_join(f->thread, NULL);
	pthread_mutex_destroy(&f->lock);
	pthread_cond_destroy(&f->more);
	pthread_cond_destroy(&f->room);
	pthread_cond_destroy(&f->idle);
	__atomic_store_n(&live, NULL, __ATOMIC_SEQ_CST);
	free(f->fails);
	free(f);
	eng->fin = NULL;
}
