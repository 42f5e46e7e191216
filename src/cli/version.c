/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * `ursync --version` in rsync's shape: a first line that scripts parse
 * ("NAME  version X  protocol version N"), then what this build can do,
 * decided by the feature macros meson writes into config.h.
 */
#include "config.h"
#include "cli/cli_int.h"
#include "io/io.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

/* One capability: its name and whether this build has it. A NULL name
 * starts a new section, titled by `section`. */
struct cap {
	const char *section;
	const char *name;
	bool have;
	int bits;	  /* >0: printed as "<bits>-bit <name>" */
	bool quiet_if_no; /* left out rather than printed as "no NAME" */
};

/* clang-format off */
#define SECTION(title) {.section = title}
#define ITEM(n, h) {.name = n, .have = h}

static const struct cap caps[] = {
	SECTION("Capabilities"),
	{.name = "files", .have = true, .bits = (int)sizeof(off_t) * 8},
	{.name = "inums", .have = true, .bits = (int)sizeof(((struct stat *)0)->st_ino) * 8},
	{.name = "timestamps", .have = true, .bits = (int)sizeof(time_t) * 8},
	{.name = "long ints", .have = true, .bits = (int)sizeof(int64_t) * 8},
	ITEM("symlinks", true),
	ITEM("symtimes", HAVE_UTIMENSAT),
	ITEM("atimes", true),
	ITEM("inplace", true),
	/* -A and -X are refused (exit 4) until meta/ grows ACL and xattr
	 * support; the libraries for them are listed under Libraries. */
	ITEM("ACLs", false),
	ITEM("xattrs", false),
	ITEM("optional secluded-args", true),
	{.name = "portable build", .have = UR_PORTABLE, .quiet_if_no = true},
	SECTION("Optimizations"),
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

static const struct cap auths[] = {
	ITEM("md5", true),
	ITEM("md4", true),
};
/* clang-format on */

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define NOT_YET	 "(not yet implemented)"

static bool shown(const struct cap *c)
{
	return c->have || !c->quiet_if_no;
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
		snprintf(buf, size, "%s%s", c->have ? "" : "no ", c->name);
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

static void print_list(FILE *f, const char *title, const struct cap *list, size_t n)
{
	fprintf(f, "%s:\n   ", title);
	for (size_t i = 0; i < n; i++)
		if (list[i].have)
			fprintf(f, " %s", list[i].name);
	fprintf(f, " %s\n", NOT_YET);
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
	fprintf(f, "ursync  version %s  protocol version %d\n", UR_VERSION, UR_PROTOCOL_VERSION);
	fputs("Copyright (C) 2026 by the ursync authors.\n"
	      "Behaviour reference: rsync 3.5.0 (https://rsync.samba.org/)\n",
	      f);
	print_caps(f);
	print_list(f, "Checksum list", checksums, NELEM(checksums));
	print_list(f, "Compress list", compressors, NELEM(compressors));
	print_list(f, "Daemon auth list", auths, NELEM(auths));
	char io[256];
	io_line(io, sizeof(io));
	fprintf(f, "io: %s\n", io);
	fputs("\nursync comes with ABSOLUTELY NO WARRANTY.  This is free software, and you\n"
	      "are welcome to redistribute it under certain conditions.  See the GNU\n"
	      "General Public Licence for details.\n",
	      f);
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

	fprintf(f, ",\n  \"%s\": [\n   ", key);
	for (size_t i = 0; i < n; i++) {
		if (!list[i].have || list[i].name[0] == '(')
			continue;
		fprintf(f, "%s \"%s\"", first ? "" : ",", list[i].name);
		first = false;
	}
	fputs("\n  ]", f);
}

void ur_cli_print_version_json(FILE *f)
{
	bool open = false, first = true;

	fprintf(f,
		"{\n  \"program\": \"ursync\",\n  \"version\": \"%s\",\n"
		"  \"protocol\": \"%d.0\",\n"
		"  \"copyright\": \"(C) 2026 by the ursync authors.\",\n"
		"  \"url\": \"https://rsync.samba.org/\"",
		UR_VERSION, UR_PROTOCOL_VERSION);
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
			fprintf(f, ": %s", c->have ? "true" : "false");
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
		"  \"caveat\": \"ursync comes with ABSOLUTELY NO WARRANTY\"\n}\n",
		io);
}
