/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"
#include "report/report.h"

#include <math.h>
#include <string.h>

#define NUM_BUF 128

/* rsync groups digits with ',' unless the locale's decimal point is not
 * '.', in which case the separator becomes '.'. */
static char group_separator(void)
{
	char probe[32];

	snprintf(probe, sizeof(probe), "%f", 3.14);
	return strchr(probe, '.') ? ',' : '.';
}

/*
 * Digits of n right-aligned in buf with an optional suffix (the fraction
 * rsync's do_big_dnum() hands over), grouped in threes when level > 0.
 */
static const char *digits(int level, int64_t n, const char *suffix, char *buf, size_t size)
{
	char tmp[NUM_BUF];
	char *s = tmp + sizeof(tmp) - 1;
	char sep = level ? group_separator() : '\0';
	bool neg = n < 0;
	size_t slen = suffix ? strlen(suffix) : 0;
	int in_group = 0;
	/* Work with the negative magnitude so INT64_MIN needs no special case. */
	int64_t v = neg ? n : -n;

	if (slen > sizeof(tmp) / 2)
		slen = sizeof(tmp) / 2;
	*s = '\0';
	s -= slen;
	if (slen)
		memcpy(s, suffix, slen);
	if (!v)
		*--s = '0';
	while (v) {
		if (sep) {
			if (in_group == 3) {
				*--s = sep;
				in_group = 1;
			} else {
				in_group++;
			}
		}
		*--s = (char)('0' - v % 10);
		v /= 10;
	}
	if (neg)
		*--s = '-';
	snprintf(buf, size, "%s", s);
	return buf;
}

static const char *big_num(int level, int64_t n, const char *suffix, char *buf, size_t size)
{
	if (level > 1) {
		int mult = level == 2 ? 1000 : 1024;

		if (n >= mult || n <= -mult) {
			static const char units[] = "KMGT";
			double d = (double)n / mult;
			int u = 0;

			if (d < 0)
				d = -d;
			while (u < 4 && d >= mult) {
				d /= mult;
				u++;
			}
			if (n < 0)
				d = -d;
			snprintf(buf, size, "%.2f%c", d, u < 4 ? units[u] : 'P');
			return buf;
		}
	}
	return digits(level, n, suffix, buf, size);
}

const char *ur_human_num(int level, int64_t n, char *buf, size_t size)
{
	return big_num(level, n, NULL, buf, size);
}

const char *ur_human_dnum(int level, double n, int decimals, char *buf, size_t size)
{
	char tmp[NUM_BUF];
	const char *fract;

	snprintf(tmp, sizeof(tmp), "%.*f", decimals, n);
	if (!level || (n < 1000.0 && n > -1000.0) || !isfinite(n)) {
		snprintf(buf, size, "%s", tmp);
		return buf;
	}
	/* Group the integer part; keep printf's rounded fraction, as rsync
	 * does (so 1999.999 reads "1,999.00"). */
	for (fract = tmp + 1; *fract >= '0' && *fract <= '9'; fract++)
		;
	return big_num(level, (int64_t)n, fract, buf, size);
}

int ur_human_level(const struct ur_opts *o)
{
	return o->human_level > 0 ? o->human_level : 0;
}

static int64_t whole_ms(double secs)
{
	int64_t ms;

	if (secs <= 0)
		return 0;
	ms = (int64_t)(secs * 1000.0 + 0.5);
	return ms ? ms : 1;
}

static void counts_line(FILE *out, int comma, const char *prefix, int64_t total,
			const int64_t others[4])
{
	static const char *const labels[] = {"reg", "dir", "link", "dev", "special"};
	char tail[1024], num[NUM_BUF];
	int64_t c[5];
	const char *pre = " (";
	size_t len = 0;
	int j;

	tail[0] = '\0';
	if (total) {
		c[0] = total - (others[0] + others[1] + others[2] + others[3]);
		memcpy(c + 1, others, 4 * sizeof(int64_t));
		for (j = 0; j < 5; j++) {
			if (!c[j])
				continue;
			len += (size_t)snprintf(tail + len, sizeof(tail) - len - 2, "%s%s: %s", pre,
						labels[j],
						ur_human_num(comma, c[j], num, sizeof(num)));
			pre = ", ";
		}
		tail[len++] = ')';
		tail[len] = '\0';
	}
	fprintf(out, "%s: %s%s\n", prefix, ur_human_num(comma, total, num, sizeof(num)), tail);
}

void ur_report_stats(const struct ur_opts *o, FILE *out, const struct ur_stats *st)
{
	int lvl = ur_human_level(o);
	int comma = lvl ? 1 : 0;
	int proto = st->protocol ? st->protocol : o->protocol ? o->protocol : 32;
	char a[NUM_BUF], b[NUM_BUF], c[NUM_BUF];

	if (o->quiet || o->server)
		return;
	ur_progress_break_line(out);

	if (UR_INFO_GTE(o, STATS, 2)) {
		int64_t t_build = whole_ms(st->flist_buildtime);

		fputc('\n', out);
		counts_line(
		    out, comma, "Number of files", st->num_files,
		    (const int64_t[4]){st->num_dir, st->num_link, st->num_dev, st->num_special});
		if (proto >= 29)
			counts_line(out, comma, "Number of created files", st->created_files,
				    (const int64_t[4]){st->created_dir, st->created_link,
						       st->created_dev, st->created_special});
		if (proto >= 31)
			counts_line(out, comma, "Number of deleted files", st->deleted_files,
				    (const int64_t[4]){st->deleted_dir, st->deleted_link,
						       st->deleted_dev, st->deleted_special});
		fprintf(out, "Number of regular files transferred: %s\n",
			ur_human_num(comma, st->xferred_files, a, sizeof(a)));
		fprintf(out, "Total file size: %s bytes\n",
			ur_human_num(lvl, st->total_size, a, sizeof(a)));
		fprintf(out, "Total transferred file size: %s bytes\n",
			ur_human_num(lvl, st->total_transferred_size, a, sizeof(a)));
		fprintf(out, "Literal data: %s bytes\n",
			ur_human_num(lvl, st->literal_data, a, sizeof(a)));
		fprintf(out, "Matched data: %s bytes\n",
			ur_human_num(lvl, st->matched_data, a, sizeof(a)));
		fprintf(out, "File list size: %s\n",
			ur_human_num(lvl, st->flist_size, a, sizeof(a)));
		if (t_build) {
			fprintf(out, "File list generation time: %s seconds\n",
				ur_human_dnum(comma, (double)t_build / 1000, 3, a, sizeof(a)));
			fprintf(out, "File list transfer time: %s seconds\n",
				ur_human_dnum(comma, (double)whole_ms(st->flist_xfertime) / 1000, 3,
					      a, sizeof(a)));
		}
		fprintf(out, "Total bytes sent: %s\n",
			ur_human_num(lvl, st->total_written, a, sizeof(a)));
		fprintf(out, "Total bytes received: %s\n",
			ur_human_num(lvl, st->total_read, a, sizeof(a)));
	}

	if (UR_INFO_GTE(o, STATS, 1)) {
		int64_t moved = st->total_written + st->total_read;
		const char *rate = "UNKNOWN";

		if (st->elapsed >= 0) {
			/* No libm: truncation is floor for a non-negative time. */
			double secs = (double)(int64_t)st->elapsed;
			rate = ur_human_dnum(lvl, (double)moved / (0.5 + secs), 2, c, sizeof(c));
		}
		fputc('\n', out);
		fprintf(out, "sent %s bytes  received %s bytes  %s bytes/sec\n",
			ur_human_num(lvl, st->total_written, a, sizeof(a)),
			ur_human_num(lvl, st->total_read, b, sizeof(b)), rate);
		fprintf(
		    out, "total size is %s  speedup is %s%s\n",
		    ur_human_num(lvl, st->total_size, a, sizeof(a)),
		    ur_human_dnum(comma, (double)st->total_size / (double)moved, 2, b, sizeof(b)),
		    st->batch_only || o->write_batch < 0 ? " (BATCH ONLY)"
		    : o->dry_run			 ? " (DRY RUN)"
							 : "");
	}
	fflush(out);
}
