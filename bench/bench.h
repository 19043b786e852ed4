/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the bench workloads share: the clock they time themselves with and
 * the file they report the time in. Each workload times only its own storm,
 * not its start-up, so a tracer's set-up time is not counted as slowdown.
 */
#ifndef MMT_BENCH_H
#define MMT_BENCH_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* mmap_storm() maps this much of the file, PROT_READ|PROT_EXEC. */
#define MMT_BENCH_FILE_LEN	4096
/* ... and this much anonymous memory, PROT_READ|PROT_WRITE, untouched. */
#define MMT_BENCH_ANON_LEN	(64 * 1024)

/* The workloads time themselves with the tracer's own clock. */
#include "../include/clock.h"

/**
 * mmt_bench_report() - write "@ns\n" to @path (nothing when @path is NULL)
 * Return: 0, or -errno.
 */
static inline int mmt_bench_report(const char *path, uint64_t ns)
{
	FILE *f;

	if (!path)
		return 0;
	f = fopen(path, "w");
	if (!f)
		return -errno;
	if (fprintf(f, "%llu\n", (unsigned long long)ns) < 0) {
		fclose(f);
		return -EIO;
	}
	return fclose(f) ? -errno : 0;
}

#include <unistd.h>

/*
 * mmt_bench_args() - the workloads' command line: "[-t TIMEFILE] ARG...".
 * Sets *@timefile (NULL without -t); exits 2 with "usage: @usage" unless
 * there are exactly @nargs arguments.
 * Return: the index in @argv of the first argument.
 */
static inline int mmt_bench_args(int argc, char **argv, int nargs, const char *usage,
				 const char **timefile)
{
	int c;

	*timefile = NULL;
	while ((c = getopt(argc, argv, "t:")) != -1) {
		if (c != 't')
			goto fail;
		*timefile = optarg;
	}
	if (argc - optind != nargs)
		goto fail;
	return optind;
fail:
	fprintf(stderr, "usage: %s\n", usage);
	exit(2);
}

/** mmt_bench_count() - parse a positive count, or exit 2 with a message. */
static inline unsigned long mmt_bench_count(const char *s, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v == 0) {
		fprintf(stderr, "invalid %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

#endif /* MMT_BENCH_H */
