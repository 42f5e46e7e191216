/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Listing source directories ahead of the engine on a second thread: the
 * names and lstats of a directory (the raw part of ur_sender_dir) are read
 * while the main thread is still generating the directory before it. The
 * engine asks for a segment's subdirectories in the order it will enter
 * them; requests from a deeper segment go before its parent's remaining
 * ones, so the walker always works on what depth-first order needs next.
 * Filtering, reporting and the list itself stay on the main thread.
 *
 * Bounded: at most AHEAD_DIRS listings (each holding its directory open)
 * and AHEAD_ENTRIES names are kept unclaimed.
 */
#include "engine/engine.h"
#include "io/io.h"
#include "util/err.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define AHEAD_DIRS    32
#define AHEAD_ENTRIES 65536
#define CHUNK         64

enum req_state { R_PENDING, R_RUNNING, R_DONE };

struct req {
	struct req *next;
	const void *owner;
	enum req_state state;
	bool dropped; /* its owner is gone: free when done */
	struct ur_listing *res;
	char path[];
};

struct ur_walker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t work, done;
	struct req *head; /* in the order the engine will want them */
	size_t ndone, ndone_entries;
	bool stop;
	struct ur_io *io;
};

void ur_listing_free(struct ur_listing *l)
{
	if (!l)
		return;
	ur_dir_close(l->dir);
	free(l->names);
	free(l->off);
	free(l->st);
	free(l->res);
	free(l);
}

/* Read one directory: what ur_sender_dir would, without a word to the user. */
static struct ur_listing *list_dir(struct ur_io *io, const char *path)
{
	struct ur_listing *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->err = ur_dir_open(AT_FDCWD, path, true, &l->dir);
	if (l->err < 0)
		return l;
	size_t cap = 0, ncap = 0, nlen = 0;
	struct ur_dirent ents[CHUNK];
	struct ur_stat sts[CHUNK];
	int res[CHUNK];
	ssize_t n;
	while ((n = ur_dir_read_stat(io, l->dir, ents, sts, res, CHUNK, AT_SYMLINK_NOFOLLOW)) > 0) {
		if (l->n + (size_t)n > cap) {
			size_t c = cap ? cap * 2 : 256;
			while (c < l->n + (size_t)n)
				c *= 2;
			struct ur_stat *s2 = realloc(l->st, c * sizeof(*s2));
			if (s2)
				l->st = s2;
			int *r2 = realloc(l->res, c * sizeof(*r2));
			if (r2)
				l->res = r2;
			size_t *o2 = realloc(l->off, c * sizeof(*o2));
			if (o2)
				l->off = o2;
			if (!s2 || !r2 || !o2)
				goto nomem;
			cap = c;
		}
		for (ssize_t i = 0; i < n; i++) {
			size_t len = strlen(ents[i].name) + 1;
			if (nlen + len > ncap) {
				size_t c = ncap ? ncap * 2 : 4096;
				while (c < nlen + len)
					c *= 2;
				char *n2 = realloc(l->names, c);
				if (!n2)
					goto nomem;
				l->names = n2;
				ncap = c;
			}
			memcpy(l->names + nlen, ents[i].name, len);
			l->off[l->n] = nlen;
			l->st[l->n] = sts[i];
			l->res[l->n] = res[i];
			l->n++;
			nlen += len;
		}
	}
	if (n < 0)
		l->read_err = (int)n;
	return l;
nomem:
	ur_listing_free(l);
	return NULL;
}

static void *worker(void *arg)
{
	struct ur_walker *w = arg;
	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct req *r = NULL;
		if (w->ndone < AHEAD_DIRS && w->ndone_entries < AHEAD_ENTRIES)
			for (r = w->head; r && r->state != R_PENDING; r = r->next)
				;
		if (!r) {
			if (w->stop)
				break;
			pthread_cond_wait(&w->work, &w->lock);
			continue;
		}
		r->state = R_RUNNING;
		pthread_mutex_unlock(&w->lock);
		struct ur_listing *l = list_dir(w->io, r->path);
		pthread_mutex_lock(&w->lock);
		r->res = l;
		r->state = R_DONE;
		w->ndone++;
		w->ndone_entries += l ? l->n : 0;
		if (r->dropped) {
			/* nobody will claim it: unlink and free */
			for (struct req **p = &w->head; *p; p = &(*p)->next)
				if (*p == r) {
					*p = r->next;
					break;
				}
			w->ndone--;
			w->ndone_entries -= l ? l->n : 0;
			ur_listing_free(l);
			free(r);
		}
		pthread_cond_broadcast(&w->done);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int ur_walker_start(struct ur_engine *eng)
{
	struct ur_walker *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->io = eng->io;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->done, NULL);
	int rc = pthread_create(&w->thread, NULL, worker, w);
	if (rc) {
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->work);
		pthread_cond_destroy(&w->done);
		free(w);
		return -rc;
	}
	eng->walker = w;
	return 0;
}

int ur_walker_ahead(struct ur_engine *eng, const void *owner, const char *const *paths, size_t n)
{
	struct ur_walker *w = eng->walker;
	struct req *first = NULL, **tail = &first;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(paths[i]) + 1;
		struct req *r = malloc(sizeof(*r) + len);
		if (!r)
			break; /* fewer listings ahead; the engine lists the rest itself */
		*r = (struct req){.owner = owner, .state = R_PENDING};
		memcpy(r->path, paths[i], len);
		*tail = r;
		tail = &r->next;
	}
	if (!first)
		return -ENOMEM;
	pthread_mutex_lock(&w->lock);
	/* Depth first: these come before whatever is still queued. */
	*tail = w->head;
	w->head = first;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

struct ur_listing *ur_walker_take(struct ur_engine *eng, const char *path)
{
	struct ur_walker *w = eng->walker;
	struct ur_listing *l = NULL;
	if (!w)
		return NULL;
	pthread_mutex_lock(&w->lock);
	struct req **p = &w->head;
	while (*p && ((*p)->dropped || strcmp((*p)->path, path)))
		p = &(*p)->next;
	struct req *r = *p;
	if (r && r->state == R_RUNNING) {
		while (r->state != R_DONE)
			pthread_cond_wait(&w->done, &w->lock);
		/* the list may have changed while we waited */
		for (p = &w->head; *p != r; p = &(*p)->next)
			;
	}
	if (r) {
		*p = r->next;
		if (r->state == R_DONE) {
			l = r->res;
			w->ndone--;
			w->ndone_entries -= l ? l->n : 0;
			pthread_cond_signal(&w->work); /* room to work ahead again */
		}
		free(r); /* a pending one: the caller lists it itself */
	}
	pthread_mutex_unlock(&w->lock);
	return l;
}

void ur_walker_drop(struct ur_engine *eng, const void *owner)
{
	struct ur_walker *w = eng->walker;
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	for (struct req **p = &w->head; *p;) {
		struct req *r = *p;
		if (r->owner != owner) {
			p = &r->next;
			continue;
		}
		if (r->state == R_RUNNING) {
			r->dropped = true; /* the worker frees it */
			p = &r->next;
			continue;
		}
		*p = r->next;
		if (r->state == R_DONE) {
			w->ndone--;
			w->ndone_entries -= r->res ? r->res->n : 0;
			ur_listing_free(r->res);
		}
		free(r);
	}
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->lock);
}

void ur_walker_stop(struct ur_engine *eng)
{
	struct ur_walker *w = eng->walker;
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	for (struct req *r = w->head; r; r = r->next)
		if (r->state == R_PENDING)
			r->state = R_DONE; /* not to be started */
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	for (struct req *r = w->head, *next; r; r = next) {
		next = r->next;
		ur_listing_free(r->res);
		free(r);
	}
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->done);
	free(w);
	eng->walker = NULL;
}
