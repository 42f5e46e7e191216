/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Run a libFuzzer target without libFuzzer: every file named on the command
 * line, and every file in every directory named, is passed once to
 * LLVMFuzzerTestOneInput. Build with any C compiler, e.g.
 *   gcc -fsanitize=address,undefined -Isrc tests/fuzz/replay.c \
 *       tests/fuzz/fuzz_filter.c src/filter/[a-z]*.c src/util/err.c
 * Exits 0 when every input ran (a crash aborts, as under libFuzzer).
 */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs larger than this are skipped (libFuzzer's corpora stay far below). */
#define REPLAY_MAX_INPUT (16u << 20)

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return -1;
	}
	uint8_t *buf = malloc(REPLAY_MAX_INPUT);
	if (!buf) {
		fclose(f);
		return -1;
	}
	size_t n = fread(buf, 1, REPLAY_MAX_INPUT, f);
	int too_big = !feof(f);
	fclose(f);
	if (too_big) {
		fprintf(stderr, "%s: skipped, larger than %u bytes\n", path, REPLAY_MAX_INPUT);
		free(buf);
		return 0;
	}
	/* A private copy of exactly n bytes, so ASan sees overreads. */
	uint8_t *exact = malloc(n ? n : 1);
	if (!exact) {
		free(buf);
		return -1;
	}
	memcpy(exact, buf, n);
	free(buf);
	LLVMFuzzerTestOneInput(exact, n);
	free(exact);
	return 1;
}

static int run_path(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path);

	DIR *d = opendir(path);
	if (!d) {
		perror(path);
		return -1;
	}
	int count = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char sub[4096];
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) >= sizeof(sub))
			continue;
		int rc = run_path(sub);
		if (rc < 0) {
			closedir(d);
			return rc;
		}
		count += rc;
	}
	closedir(d);
	return count;
}

int main(int argc, char **argv)
{
	int total = 0;
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE-OR-DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		int rc = run_path(argv[i]);
		if (rc < 0)
			return 1;
		total += rc;
	}
	printf("replayed %d input(s)\n", total);
	return 0;
}
