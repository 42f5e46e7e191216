/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"
#include "report/report.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define HIST_SLOTS 5
/* A start this close after the previous file's last data counts the gap
 * as part of this file's transfer, as rsync guesses. */
#define GUESS_START_MS	1500
#define UPDATE_EVERY_MS 1000

/* rsync's output_needs_newline: one terminal, so one flag per process. */
static atomic_bool line_open;

void ur_progress_break_line(FILE *out)
{
	if (atomic_exchange(&line_open, false))
		fputc('\n', out);
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t ms_between(int64_t from_ns, int64_t to_ns)
{
	return (to_ns - from_ns) / 1000000;
}

static void print_line(const struct ur_opts *o, FILE *out, struct ur_progress *p, int64_t ofs,
		       int64_t size, int64_t now, bool is_last)
{
	char eol[128], rem[64], num[128], line[512];
	const char *units;
	double rate, remain;
	int64_t diff;
	int pct, n;

	if (is_last) {
		int len = snprintf(
		    eol, sizeof(eol), " (xfr#%" PRId64 ", %s-chk=%" PRId64 "/%" PRId64 ")\n",
		    p->xfer_num, p->flist_incomplete ? "ir" : "to", p->xfer_left, p->flist_count);

		if (UR_INFO_GTE(o, PROGRESS, 2)) {
			/* One running line: no newline, and blanks over the
			 * tail of a longer previous line. */
			len--;
			if (p->p2_last_len < len)
				p->p2_last_len = len;
			eol[p->p2_last_len] = '\0';
			while (p->p2_last_len > len)
				eol[--p->p2_last_len] = ' ';
			is_last = false;
		}
		diff = p->started ? ms_between(p->start_ns, now) : 0;
		if (diff == 0)
			diff = 1;
		rate = (double)(ofs - (p->started ? p->start_ofs : 0)) * 1000.0 / (double)diff /
		       1024.0;
		/* The last line shows the time taken, not the time left. */
		remain = (double)diff / 1000.0;
	} else {
		int64_t old_ns = p->hist_ns[p->hist_old];

		strcpy(eol, "  ");
		diff = ms_between(old_ns, now);
		if (diff == 0)
			diff = 1;
		rate = (double)(ofs - p->hist_ofs[p->hist_old]) * 1000.0 / (double)diff / 1024.0;
		remain = rate != 0.0 ? (double)(size - ofs) / rate / 1000.0 : 0.0;
	}

	if (rate > 1024.0 * 1024.0) {
		rate /= 1024.0 * 1024.0;
		units = "GB/s";
	} else if (rate > 1024.0) {
		rate /= 1024.0;
		units = "MB/s";
	} else {
		units = "kB/s";
	}

	if (remain < 0 || remain > 9999.0 * 3600.0) {
		strcpy(rem, "  ??:??:??");
	} else {
		snprintf(rem, sizeof(rem), "%4u:%02u:%02u", (unsigned)(remain / 3600.0),
			 (unsigned)(remain / 60.0) % 60, (unsigned)remain % 60);
	}

	if (ofs == size || size <= 0)
		pct = 100;
	else
		pct = (int)(100.0 * (double)ofs / (double)size);

	atomic_store(&line_open, false);
	if (o->quiet)
		return;
	n = snprintf(line, sizeof(line), "\r%15s %3d%% %7.2f%s %s%s",
		     ur_human_num(ur_human_level(o), ofs, num, sizeof(num)), pct, rate, units, rem,
		     eol);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	ur_report_write(out, line, (size_t)n, true);
	if (!is_last) {
		atomic_store(&line_open, true);
		fflush(out);
	}
}

/* rsync stays quiet while a background job would scribble on a terminal. */
static bool in_background(FILE *out)
{
	int fd = fileno(out);
	pid_t tc;

	if (fd < 0)
		return false;
	tc = tcgetpgrp(fd);
	return tc != -1 && tc != getpgrp();
}

void ur_progress_update(const struct ur_opts *o, FILE *out, struct ur_progress *p, int64_t ofs,
			int64_t size, bool is_last)
{
	bool total_mode = UR_INFO_GTE(o, PROGRESS, 2);
	int64_t now;
	int i;

	if (o->server || !UR_INFO_GTE(o, PROGRESS, 1))
		return;
	now = p->clock_ns ? p->clock_ns() : mono_ns();

	if (is_last) {
		if (total_mode) {
			print_line(o, out, p, p->total_done, p->total_size, now, true);
		} else {
			print_line(o, out, p, size, size, now, true);
			p->started = false;
			p->start_ns = 0;
			p->start_ofs = 0;
		}
		return;
	}

	if (total_mode) {
		ofs = p->total_done - size + ofs;
		size = p->total_size;
	}

	if (!p->started) {
		if (p->have_hist && ms_between(p->hist_ns[p->hist_new], now) <= GUESS_START_MS) {
			p->start_ns = p->hist_ns[p->hist_new];
			p->start_ofs = 0;
		} else {
			p->start_ns = now;
			p->start_ofs = ofs;
		}
		for (i = 0; i < HIST_SLOTS; i++) {
			p->hist_ns[i] = p->start_ns;
			p->hist_ofs[i] = p->start_ofs;
		}
		p->started = p->have_hist = true;
	} else {
		if (ms_between(p->hist_ns[p->hist_new], now) < UPDATE_EVERY_MS)
			return;
		p->hist_new = p->hist_old;
		p->hist_old = (p->hist_old + 1) % HIST_SLOTS;
		p->hist_ns[p->hist_new] = now;
		p->hist_ofs[p->hist_new] = ofs;
	}
	p->last_ns = p->hist_ns[p->hist_new];
	p->ofs_at_last = p->hist_ofs[p->hist_new];

	if (in_background(out))
		return;
	print_line(o, out, p, ofs, size, now, false);
}
