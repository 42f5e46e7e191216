/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"
#include "report/report.h"

#include <langinfo.h>
#include <locale.h>
#include <stdatomic.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

/*
 * rsync copies the '-' and width digits of an escape into a 32-byte
 * scratch buffer and stops taking digits once 24 bytes are used; a longer
 * width leaves the escape unexpanded. We keep that limit so odd formats
 * come out the same.
 */
#define WIDTH_CHARS_MAX 23
/* rsync expands each escape into a MAXPATHLEN scratch buffer. */
#define PIECE_MAX 4095
/* Large enough for any line rsync itself would print (MAXPATHLEN + 1024). */
#define LINE_MAX_BYTES 8192

struct sbuf {
	char *buf;
	size_t size, len;
};

static void sb_putn(struct sbuf *b, const char *s, size_t n)
{
	size_t room;

	if (!b->size)
		return;
	room = b->size - 1 - b->len;
	if (n > room)
		n = room;
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s)
{
	sb_putn(b, s, strlen(s));
}

static void sb_pad(struct sbuf *b, char ch, long n)
{
	char blk[64];

	memset(blk, ch, sizeof(blk));
	while (n > 0) {
		size_t k = n > (long)sizeof(blk) ? sizeof(blk) : (size_t)n;
		sb_putn(b, blk, k);
		n -= (long)k;
	}
}

/* The '-' flag and width of one escape, as printf would read them. */
struct spec {
	bool given; /* any '-' or digit: rsync pads only then */
	bool left;
	bool zero;     /* leading 0: pads numbers (not strings) with zeros */
	bool overflow; /* width beyond int: printf fails, nothing comes out */
	long width;
};

static void put_padded(struct sbuf *b, const struct spec *sp, const char *s, bool numeric)
{
	size_t n = strlen(s);
	long pad;

	if (sp->overflow)
		return;
	if (n > PIECE_MAX)
		n = PIECE_MAX;
	pad = sp->width > (long)n ? sp->width - (long)n : 0;
	if (pad > PIECE_MAX - (long)n)
		pad = PIECE_MAX - (long)n;
	if (sp->left) {
		sb_putn(b, s, n);
		sb_pad(b, ' ', pad);
	} else {
		sb_pad(b, numeric && sp->zero ? '0' : ' ', pad);
		sb_putn(b, s, n);
	}
}

bool ur_format_has(const char *fmt, char esc)
{
	const char *p;

	if (!fmt)
		return false;
	for (p = fmt; (p = strchr(p, '%')) != NULL;) {
		int used = 0;

		for (p++; *p == '\''; p++)
			;
		if (*p == '-') {
			p++;
			used++;
		}
		while (*p >= '0' && *p <= '9' && used < WIDTH_CHARS_MAX) {
			p++;
			used++;
		}
		while (*p == '\'')
			p++;
		if (!*p)
			break;
		if (*p == esc)
			return true;
		if (*p == '%')
			p++;
	}
	return false;
}

bool ur_format_has_i(const char *fmt)
{
	return ur_format_has(fmt, 'i');
}

const char *ur_stdout_format(const struct ur_opts *o)
{
	/* The cli settles it once; derive the same answer for hand-built opts. */
	if (o->stdout_format)
		return o->stdout_format;
	if (o->out_format)
		return o->out_format;
	if (o->itemize)
		return "%i %n%L";
	if (UR_INFO_GTE(o, NAME, 1))
		return "%n%L";
	return NULL;
}

int ur_stdout_has_i(const struct ur_opts *o)
{
	if (o->out_format) {
		if (o->server && ur_format_has(o->out_format, 'I'))
			return 2;
		if (ur_format_has(o->out_format, 'i'))
			return o->itemize | 1;
		return 0;
	}
	return o->itemize;
}

bool ur_report_before_transfer(const struct ur_opts *o)
{
	const char *fmt = ur_stdout_format(o);

	if (o->server || !fmt)
		return false;
	if (!o->out_format)
		return true;
	return !ur_format_has(fmt, 'b') && !ur_format_has(fmt, 'c') && !ur_format_has(fmt, 'C');
}

/* rsync's timestring(): local time, or a fixed note when it cannot. */
static void time_text(int64_t t, bool dashes, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	char *c;

	if (!localtime_r(&tt, &tm)) {
		strcpy(out, "(time out of range)");
	} else {
		snprintf(out, 32, "%4d/%02d/%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	}
	if (dashes)
		for (c = out; (c = strchr(c, ' ')) != NULL;)
			*c = '-';
}

/* The nine permission characters of ls -l, without the type. */
static void perm_text(mode_t mode, char out[10])
{
	static const char rwx[] = "rwxrwxrwx";
	int i;

	for (i = 0; i < 9; i++)
		out[i] = mode & (1u << (8 - i)) ? rwx[i] : '-';
	if (mode & S_ISUID)
		out[2] = mode & S_IXUSR ? 's' : 'S';
	if (mode & S_ISGID)
		out[5] = mode & S_IXGRP ? 's' : 'S';
	if (mode & S_ISVTX)
		out[8] = mode & S_IXOTH ? 't' : 'T';
	out[9] = '\0';
}

static bool ends_with_slash(const char *s)
{
	size_t n = strlen(s);

	return n && s[n - 1] == '/';
}

/*
 * Expand one escape letter ch into b. Returns false when rsync leaves the
 * escape as it was written (unknown letters, daemon-only fields outside a
 * daemon).
 */
static bool expand(const struct ur_opts *o, const struct ur_item *it, char ch,
		   const struct spec *sp, int humanize, struct sbuf *b)
{
	bool deleted = it->iflags & UR_ITEM_DELETED;
	const struct ur_report_daemon *dm = it->daemon;
	char tmp[PIECE_MAX + 1];
	char num[128];
	const char *n = NULL;

	switch (ch) {
	case 'a':
		if (!dm || !dm->addr)
			return false;
		n = dm->addr;
		break;
	case 'h':
		if (!dm)
			return false;
		n = dm->host ? dm->host : "UNDETERMINED";
		break;
	case 'm':
		n = dm && dm->module ? dm->module : "";
		break;
	case 'P':
		if (!dm || !dm->module_path)
			return false;
		n = dm->module_path;
		break;
	case 'u':
		if (!dm || !dm->auth_user)
			return false;
		n = dm->auth_user;
		break;
	case 'l':
		/* A deletion is logged from a blank file entry: size, time,
		 * owner and permissions all read as zero. */
		put_padded(b, sp, ur_human_num(humanize, deleted ? 0 : it->size, num, sizeof(num)),
			   false);
		return true;
	case 'b':
	case 'c': {
		int64_t v = !(it->iflags & UR_ITEM_TRANSFER) ? 0
			    : ch == 'b'			     ? it->bytes_xfer
							     : it->checksum_bytes;
		put_padded(b, sp, ur_human_num(humanize, v, num, sizeof(num)), false);
		return true;
	}
	case 'U':
		snprintf(num, sizeof(num), "%u", o->owner && !deleted ? (unsigned)it->uid : 0u);
		put_padded(b, sp, num, true);
		return true;
	case 'G':
		if (!o->group || it->skip_group) {
			n = "DEFAULT";
			break;
		}
		snprintf(num, sizeof(num), "%u", deleted ? 0u : (unsigned)it->gid);
		put_padded(b, sp, num, true);
		return true;
	case 'p':
		snprintf(num, sizeof(num), "%d", (int)getpid());
		put_padded(b, sp, num, true);
		return true;
	case 'M':
		time_text(deleted ? 0 : it->mtime, true, tmp);
		n = tmp;
		break;
	case 't':
		time_text(time(NULL), false, tmp);
		n = tmp;
		break;
	case 'B':
		perm_text(deleted ? 0 : it->mode, tmp);
		n = tmp;
		break;
	case 'o':
		n = deleted ? "del." : it->side == UR_SIDE_RECEIVER ? "recv" : "send";
		break;
	case 'f': {
		const char *src = it->local_name ? it->local_name : it->name ? it->name : "";
		size_t len;

		/* rsync drops one leading '/', and the long form never ends in
		 * a directory's '/'. */
		if (*src == '/')
			src++;
		snprintf(tmp, sizeof(tmp), "%s", src);
		len = strlen(tmp);
		if (len > 1 && tmp[len - 1] == '/')
			tmp[len - 1] = '\0';
		n = tmp;
		break;
	}
	case 'n':
		snprintf(tmp, sizeof(tmp), "%s", it->name ? it->name : "");
		if (S_ISDIR(it->mode) && !ends_with_slash(tmp) && strlen(tmp) < PIECE_MAX)
			strcat(tmp, "/");
		n = tmp;
		break;
	case 'L': {
		const char *target;

		if (it->hlink_target && *it->hlink_target) {
			sb_puts(b, " => ");
			target = it->hlink_target;
		} else if (S_ISLNK(it->mode) && !deleted) {
			sb_puts(b, " -> ");
			target = it->link_target ? it->link_target : "";
		} else {
			/* With a width rsync still emits the arrow's room. */
			if (!sp->given)
				return true;
			sb_puts(b, "    ");
			target = "";
		}
		put_padded(b, sp, target, false);
		return true;
	}
	case 'i':
		ur_itemize_opts_str(o, it, tmp);
		n = tmp;
		break;
	case 'C': {
		bool show = false;

		if (S_ISREG(it->mode) && it->sum_hex)
			show = (o->checksum && !deleted) || (it->iflags & UR_ITEM_TRANSFER);
		if (show) {
			n = it->sum_hex;
			break;
		}
		/* The blank column is never padded to a width: rsync builds it
		 * in the scratch buffer it skips padding for. */
		sb_pad(
		    b, ' ',
		    2 * (it->checksum_len > 0 && it->checksum_len <= 64 ? it->checksum_len : 16));
		return true;
	}
	case '%':
		n = "%";
		break;
	default:
		return false;
	}
	if (sp->given)
		put_padded(b, sp, n, false);
	else
		sb_puts(b, n);
	return true;
}

size_t ur_format_item(const struct ur_opts *o, const char *fmt, const struct ur_item *it, char *buf,
		      size_t size)
{
	struct sbuf b = {buf, size, 0};
	const char *p = fmt, *pct;

	if (size)
		buf[0] = '\0';
	while ((pct = strchr(p, '%')) != NULL) {
		struct spec sp = {0};
		int humanize = 0, used = 0;
		const char *q = pct + 1;

		sb_putn(&b, p, (size_t)(pct - p));
		while (*q == '\'') {
			humanize++;
			q++;
		}
		if (*q == '-') {
			sp.left = sp.given = true;
			q++;
			used++;
		}
		if (*q == '0')
			sp.zero = true;
		while (*q >= '0' && *q <= '9' && used < WIDTH_CHARS_MAX) {
			sp.given = true;
			if (sp.width > (INT_MAX - (*q - '0')) / 10)
				sp.overflow = true;
			else
				sp.width = sp.width * 10 + (*q - '0');
			q++;
			used++;
		}
		while (*q == '\'') {
			humanize++;
			q++;
		}
		if (!*q || !expand(o, it, *q, &sp, humanize, &b)) {
			/* Left as written; scanning resumes at the letter. */
			sb_putn(&b, pct, (size_t)(q - pct));
			p = q;
			continue;
		}
		p = q + 1;
	}
	sb_puts(&b, p);
	return b.len;
}

/* ---- writing lines the way rsync's rwrite() filters them ---- */

/*
 * rsync calls setlocale(LC_CTYPE, "") first thing, so which bytes are
 * "valid characters" follows the environment. We ask the environment's
 * locale directly rather than rely on main() having switched the global
 * one, and switch only this thread, only while checking.
 */
static locale_t env_ctype(void)
{
	static _Atomic(locale_t) cached;
	locale_t loc = atomic_load(&cached);
	locale_t expected = (locale_t)0;

	if (loc)
		return loc;
	loc = newlocale(LC_CTYPE_MASK, "", (locale_t)0);
	if (!loc)
		loc = newlocale(LC_CTYPE_MASK, "C", (locale_t)0);
	if (!loc)
		return (locale_t)0;
	if (!atomic_compare_exchange_strong(&cached, &expected, loc)) {
		freelocale(loc);
		loc = expected;
	}
	return loc;
}

static bool codeset_is_ascii(locale_t loc)
{
	const char *cs = nl_langinfo_l(CODESET, loc);

	return !cs || !*cs || !strcmp(cs, "ANSI_X3.4-1968") || !strcmp(cs, "ASCII") ||
	       !strcmp(cs, "US-ASCII") || !strcmp(cs, "646");
}

/* Bytes in the valid character at s in the locale's charset, 0 if none.
 * rsync runs its output through iconv(charset, charset) for this. */
static size_t valid_char_len(const char *s, size_t len)
{
	locale_t loc = env_ctype(), old;
	mbstate_t st;
	size_t r;

	if (!loc)
		return 0;
	old = uselocale(loc);
	if (MB_CUR_MAX == 1) {
		r = codeset_is_ascii(loc) ? 0 : 1;
	} else {
		memset(&st, 0, sizeof(st));
		r = mbrtowc(NULL, s, len, &st);
		if (r == (size_t)-1 || r == (size_t)-2 || r == 0)
			r = 0;
	}
	uselocale(old);
	return r;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

void ur_report_write(FILE *out, const char *s, size_t len, bool eight_bit)
{
	char tail = '\0';
	size_t i = 0;

	ur_progress_break_line(out);
	if (len && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		tail = s[--len];
	if (len && s[0] == '\r') {
		fputc('\r', out);
		i = 1;
	}
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		size_t run;

		/* A literal "\#123" would read as an escape: escape its '\'. */
		if (i + 4 < len && c == '\\' && s[i + 1] == '#' && is_digit(s[i + 2]) &&
		    is_digit(s[i + 3]) && is_digit(s[i + 4])) {
			fprintf(out, "\\#%03o", c);
			i++;
			continue;
		}
		if (c < ' ' && c != '\t') {
			fprintf(out, "\\#%03o", c);
			i++;
			continue;
		}
		if (c < 0x80 || eight_bit) {
			fputc(c, out);
			i++;
			continue;
		}
		run = valid_char_len(s + i, len - i);
		if (!run) {
			fprintf(out, "\\#%03o", c);
			i++;
			continue;
		}
		fwrite(s + i, 1, run, out);
		i += run;
	}
	if (tail) {
		fputc(tail, out);
		fflush(out);
	}
}

/* ---- which items get a line ---- */

static void print_item(const struct ur_opts *o, FILE *out, const char *fmt,
		       const struct ur_item *it)
{
	char line[LINE_MAX_BYTES];
	size_t n = ur_format_item(o, fmt, it, line, sizeof(line) - 1);

	line[n++] = '\n';
	ur_report_write(out, line, n, o->eight_bit_output);
}

static void print_name_line(const struct ur_opts *o, FILE *out, const struct ur_item *it,
			    const char *suffix)
{
	char line[LINE_MAX_BYTES];
	size_t n;

	snprintf(line, sizeof(line), "%s", it->name ? it->name : "");
	n = strlen(line);
	/* These generator messages name the path without a dir's '/'. */
	if (n > 1 && line[n - 1] == '/')
		line[--n] = '\0';
	n = (size_t)snprintf(line + n, sizeof(line) - n, "%s\n", suffix) + n;
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	ur_report_write(out, line, n, o->eight_bit_output);
}

static bool silent(const struct ur_opts *o)
{
	return o->quiet || o->server;
}

static void report_deletion(const struct ur_opts *o, FILE *out, const struct ur_item *it)
{
	const char *fmt = ur_stdout_format(o);

	if (!UR_INFO_GTE(o, DEL, 1) && !fmt)
		return;
	if (!fmt || (!ur_stdout_has_i(o) && !ur_format_has(fmt, 'o')))
		fmt = "deleting %n";
	print_item(o, out, fmt, it);
}

void ur_report_item(const struct ur_opts *o, FILE *out, const struct ur_item *it)
{
	uint32_t f = it->iflags;
	uint32_t sig = ur_item_significant(f);
	const char *fmt = ur_stdout_format(o);
	int has_i = ur_stdout_has_i(o);
	bool name2 = UR_INFO_GTE(o, NAME, 2);
	bool xname = it->hlink_target && *it->hlink_target;
	bool is_dir = S_ISDIR(it->mode);
	bool sent, see;

	if (silent(o))
		return;
	if (f & UR_ITEM_DELETED) {
		report_deletion(o, out, it);
		return;
	}
	if (f & UR_ITEM_TRANSFER) {
		if (fmt)
			print_item(o, out, fmt, it);
		return;
	}

	/* The generator passes an item on only when it has news, or the
	 * user asked to see unchanged items. */
	sent = sig || name2 || has_i > 1 || xname;
	see = has_i && (sig || xname || has_i > 1 || name2);
	if (sent && fmt &&
	    (see || ((f & UR_ITEM_LOCAL_CHANGE) && sig) || xname || (is_dir && sig))) {
		print_item(o, out, fmt, it);
		return;
	}

	/*
	 * Without %i, -vv makes the generator itself name each existing
	 * non-directory it leaves in place: "NAME" when it fixed attributes,
	 * "NAME is uptodate" otherwise (always the latter for a hard link
	 * that is already there). A sender (a pushing client) is not the
	 * generator and says nothing of them.
	 */
	if (!name2 || has_i || is_dir || (f & UR_ITEM_IS_NEW) || it->side == UR_SIDE_SENDER)
		return;
	if (f & UR_ITEM_LOCAL_CHANGE) {
		if ((f & UR_ITEM_XNAME_FOLLOWS) && !xname)
			print_name_line(o, out, it, " is uptodate");
		return;
	}
	if (sig & (UR_ITEM_REPORT_TIME | UR_ITEM_REPORT_ATIME | UR_ITEM_REPORT_CRTIME |
		   UR_ITEM_REPORT_PERMS | UR_ITEM_REPORT_OWNER | UR_ITEM_REPORT_GROUP |
		   UR_ITEM_REPORT_ACL | UR_ITEM_REPORT_XATTR))
		print_name_line(o, out, it, "");
	else
		print_name_line(o, out, it, " is uptodate");
}

void ur_report_transfer_start(const struct ur_opts *o, FILE *out, const struct ur_item *it)
{
	if (silent(o))
		return;
	if (ur_report_before_transfer(o)) {
		print_item(o, out, ur_stdout_format(o), it);
		return;
	}
	/* A format logged after the data (it has %b) leaves --progress
	 * lines unlabelled, so rsync names the file first. */
	if (!o->dry_run && UR_INFO_GTE(o, NAME, 1) && o->info[UR_INFO_PROGRESS] == 1)
		print_name_line(o, out, it, "");
}

void ur_report_transfer_end(const struct ur_opts *o, FILE *out, const struct ur_item *it)
{
	const char *fmt = ur_stdout_format(o);

	if (silent(o) || !fmt || ur_report_before_transfer(o))
		return;
	print_item(o, out, fmt, it);
}
