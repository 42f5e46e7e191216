/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * `ursync --version` in rsync's shape: a first line that scripts parse
 * ("NAME  version X  protocol version N"), then what this build can do,
 * decided by the feature macros meson writes into config.h and by what
 * is implemented. Started as "rsync", the first line is rsync 3.5.0's and
 * the second names ursync and its version.
 */
#include "config.h"
#include "cli/cli_int.h"
#include "checksum/checksum.h"
#include "io/io.h"
#include "util/log.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

/* The rsync release whose behaviour and --version ursync follows. */
#define UR_RSYNC_VERSION "3.5.0"

/* One capability: its name and whether this build has it. A NULL name
 * starts a new section, titled by `section`. */
struct cap {
	const char *section;
	const char *name;
	bool have;
	int bits;	     /* >0: printed as "<bits>-bit <name>" */
	bool quiet_if_no;    /* left out rather than printed as "no NAME" */
	bool (*probe)(void); /* decided at run time (the CPU), overrides have */
};

static bool simd_roll(void)
{
	return ur_rolling_best() >= UR_ROLL_SSE2;
}

/* clang-format off */
#define SECTION(title) {.section = title}
#define ITEM(n, h) {.name = n, .have = h}

/*
 * rsync 3.5.0's capabilities in its order and with its words, each true
 * only when ursync does it today; a false one is printed "no NAME" as
 * rsync prints what it lacks, so a script looking for a word does not
 * find it. The options behind the false ones are refused with exit 4
 * (see the top of options.c): -A, -X, --write-batch/--read-batch,
 * --iconv, --preallocate, --stop-at/--stop-after. ursync's own lines
 * (Libraries, and "portable build") come after rsync's.
 */
static const struct cap caps[] = {
	SECTION("Capabilities"),
	{.name = "files", .have = true, .bits = (int)sizeof(off_t) * 8},
	{.name = "inums", .have = true, .bits = (int)sizeof(((struct stat *)0)->st_ino) * 8},
	{.name = "timestamps", .have = true, .bits = (int)sizeof(time_t) * 8},
	{.name = "long ints", .have = true, .bits = (int)sizeof(int64_t) * 8},
	ITEM("socketpairs", true),	/* session/remote.c talks to the shell over them */
	ITEM("symlinks", true),
	ITEM("symtimes", HAVE_UTIMENSAT),
	ITEM("hardlinks", true),
	ITEM("hardlink-specials", true),	/* -H links fifos, sockets, devices */
	ITEM("hardlink-symlinks", true),	/* and symlinks (link() on Linux) */
	ITEM("IPv6", true),		/* [addr] operands over a remote shell */
	ITEM("atimes", true),
	ITEM("batchfiles", false),
	ITEM("inplace", true),
	ITEM("append", true),
	ITEM("ACLs", false),
	ITEM("ACL-at", false),
	ITEM("xattrs", false),
	ITEM("optional secluded-args", true),
	ITEM("iconv", false),
	ITEM("prealloc", false),
	ITEM("stop-at", false),
	ITEM("crtimes", false),		/* Linux cannot set a creation time */
	{.name = "portable build", .have = UR_PORTABLE, .quiet_if_no = true},
	SECTION("Optimizations"),
	{.name = "SIMD-roll", .probe = simd_roll},	/* SSE2/AVX2 rolling sums */
	ITEM("asm-roll", false),
	ITEM("openssl-crypto", false),	/* MD4/MD5 are our own C */
	ITEM("asm-MD5", false),
	ITEM("copy_file_range", HAVE_COPY_FILE_RANGE),
	/* What the build found; features that use them come in their issues. */
	SECTION("Libraries"),
	ITEM("liburing", HAVE_LIBURING),
	ITEM("libzstd", HAVE_ZSTD),
	ITEM("liblz4", HAVE_LZ4),
	ITEM("libxxhash", HAVE_XXHASH),
	ITEM("zlib", HAVE_ZLIB),
	ITEM("libacl", HAVE_ACL),
	ITEM("libattr", HAVE_XATTR),
	ITEM("libcrypto", HAVE_LIBCRYPTO),
};

/* Checksum and compression names in rsync's order of preference. */
static const struct cap checksums[] = {
	ITEM("xxh128", HAVE_XXHASH),
	ITEM("xxh3", HAVE_XXHASH),
	ITEM("xxh64", HAVE_XXHASH),
	ITEM("(xxhash)", HAVE_XXHASH),
	ITEM("md5", true),
	ITEM("md4", true),
	ITEM("sha1", HAVE_LIBCRYPTO),
	ITEM("none", true),
};

static const struct cap compressors[] = {
	ITEM("zstd", HAVE_ZSTD),
	ITEM("lz4", HAVE_LZ4),
	ITEM("zlibx", HAVE_ZLIB),
	ITEM("zlib", HAVE_ZLIB),
	ITEM("none", true),
};

/* The daemon client's digests (checksum/authsum.c): the SHA family
 * from libcrypto, md5 and md4 always. */
static const struct cap auths[] = {
	ITEM("sha512", HAVE_LIBCRYPTO),
	ITEM("sha256", HAVE_LIBCRYPTO),
	ITEM("sha1", HAVE_LIBCRYPTO),
	ITEM("md5", true),
	ITEM("md4", true),
};
/* clang-format on */

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static bool has(const struct cap *c)
{
	return c->probe ? c->probe() : c->have;
}

static bool shown(const struct cap *c)
{
	return has(c) || !c->quiet_if_no;
}

/* Speaking as rsync (started as "rsync"): rsync's own version on the line
 * scripts parse, ursync's on the next. */
static bool as_rsync(void)
{
	return !strcmp(ur_progname, "rsync");
}

/* Is caps[i] the last item shown in its section? */
static bool is_last(size_t i)
{
	for (size_t j = i + 1; j < NELEM(caps); j++) {
		if (!caps[j].name)
			return true;
		if (shown(&caps[j]))
			return false;
	}
	return true;
}

static void cap_text(const struct cap *c, char *buf, size_t size)
{
	if (c->bits)
		snprintf(buf, size, "%d-bit %s", c->bits, c->name);
	else
		snprintf(buf, size, "%s%s", has(c) ? "" : "no ", c->name);
}

/* Items separated by ", ", indented four spaces, lines kept under 75
 * columns as rsync keeps them. */
static void print_caps(FILE *f)
{
	char item[64];
	int col = 0;

	for (size_t i = 0; i < NELEM(caps); i++) {
		bool last = is_last(i);
		int len;

		if (caps[i].name && !shown(&caps[i]))
			continue;
		if (!caps[i].name) {
			if (col)
				fputc('\n', f);
			fprintf(f, "%s:\n", caps[i].section);
			col = 0;
			continue;
		}
		cap_text(&caps[i], item, sizeof(item));
		len = (int)strlen(item) + 1 + !last;
		if (col && col + len >= 75) {
			fputc('\n', f);
			col = 0;
		}
		if (!col)
			col = fprintf(f, "   ");
		col += fprintf(f, " %s%s", item, last ? "" : ",");
	}
	if (col)
		fputc('\n', f);
}

/* The names that work, as rsync lists them; `none` when there is none. */
static void print_list(FILE *f, const char *title, const struct cap *list, size_t n,
		       const char *none)
{
	bool any = false;

	fprintf(f, "%s:\n   ", title);
	for (size_t i = 0; i < n; i++) {
		if (list[i].have) {
			fprintf(f, " %s", list[i].name);
			any = true;
		}
	}
	fprintf(f, "%s%s\n", any ? "" : " ", any ? "" : none);
}

/*
 * The backend a transfer would use by default (URSYNC_IO counts; the line
 * is printed while the options are still being read, so --io-uring and
 * --no-io-uring later on the command line do not).
 */
static void io_line(char *buf, size_t size)
{
	ur_io_version_line(UR_IO_AUTO, buf, size);
}

void ur_cli_print_version(FILE *f)
{
	if (as_rsync())
		fprintf(f, "rsync  version %s  protocol version %d\nursync  version %s\n",
			UR_RSYNC_VERSION, UR_PROTOCOL_VERSION, UR_VERSION);
	else
		fprintf(f, "ursync  version %s  protocol version %d\n", UR_VERSION,
			UR_PROTOCOL_VERSION);
	fputs("Copyright (C) 2026 by the ursync authors.\n"
	      "Behaviour reference: rsync " UR_RSYNC_VERSION " (https://rsync.samba.org/)\n",
	      f);
	print_caps(f);
	print_list(f, "Checksum list", checksums, NELEM(checksums), "");
	print_list(f, "Compress list", compressors, NELEM(compressors), "");
	print_list(f, "Daemon auth list", auths, NELEM(auths), "");
	char io[256];
	io_line(io, sizeof(io));
	fprintf(f, "io: %s\n", io);
	fprintf(f,
		"\n%s comes with ABSOLUTELY NO WARRANTY.  This is free software, and you\n"
		"are welcome to redistribute it under certain conditions.  See the GNU\n"
		"General Public Licence for details.\n",
		ur_progname);
}

/* JSON keys as rsync -VV spells them: lower case, spaces and dashes as '_'. */
static void json_key(FILE *f, const char *name)
{
	fputc('"', f);
	for (const char *p = name; *p; p++)
		fputc(*p == ' ' || *p == '-' ? '_' : *p, f);
	fputc('"', f);
}

static void json_list(FILE *f, const char *key, const struct cap *list, size_t n)
{
	bool first = true;

	fprintf(f, ",\n  \"%s\": [", key);
	for (size_t i = 0; i < n; i++) {
		if (!list[i].have || list[i].name[0] == '(')
			continue;
		fprintf(f, "%s \"%s\"", first ? "\n   " : ",", list[i].name);
		first = false;
	}
	fputs(first ? "]" : "\n  ]", f);
}

void ur_cli_print_version_json(FILE *f)
{
	bool open = false, first = true;

	fprintf(f, "{\n  \"program\": \"%s\",\n  \"version\": \"%s\",\n", ur_progname,
		as_rsync() ? UR_RSYNC_VERSION : UR_VERSION);
	if (as_rsync())
		fprintf(f, "  \"ursync_version\": \"%s\",\n", UR_VERSION);
	fprintf(f,
		"  \"protocol\": \"%d.0\",\n"
		"  \"copyright\": \"(C) 2026 by the ursync authors.\",\n"
		"  \"url\": \"https://rsync.samba.org/\"",
		UR_PROTOCOL_VERSION);
	for (size_t i = 0; i < NELEM(caps); i++) {
		const struct cap *c = &caps[i];

		if (c->name && !shown(c))
			continue;
		if (!c->name) {
			fprintf(f, "%s,\n  \"%c%s\": {", open ? "\n  }" : "", c->section[0] | 0x20,
				c->section + 1);
			open = true;
			first = true;
			continue;
		}
		fputs(first ? "\n    " : ",\n    ", f);
		first = false;
		if (c->bits) {
			/* "64-bit files" -> "file_bits", as rsync names it */
			char key[48];
			size_t kl = strlen(c->name);
			snprintf(key, sizeof(key), "%.*s bits", (int)(kl - 1), c->name);
			json_key(f, key);
			fprintf(f, ": %d", c->bits);
		} else if (!strcmp(c->name, "optional secluded-args")) {
			fputs("\"secluded_args\": \"optional\"", f);
		} else {
			json_key(f, c->name);
			fprintf(f, ": %s", has(c) ? "true" : "false");
		}
	}
	if (open)
		fputs("\n  }", f);
	json_list(f, "checksum_list", checksums, NELEM(checksums));
	json_list(f, "compress_list", compressors, NELEM(compressors));
	json_list(f, "daemon_auth_list", auths, NELEM(auths));
	char io[256];
	io_line(io, sizeof(io));
	fprintf(f,
		",\n  \"io\": \"%s\",\n  \"license\": \"GPLv3\",\n"
		"  \"caveat\": \"%s comes with ABSOLUTELY NO WARRANTY\"\n}\n",
		io, ur_progname);
}
