// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One-pass hashing speed: mmt_hash_fd(), the function mmaptrace's hash worker
 * runs (md5, sha1, sha256 and sha512 in one read), on FILE, already in the
 * page cache. scripts/bench compares its CPU time with md5sum, sha1sum,
 * sha256sum and sha512sum run one after the other on the same file.
 *
 * Usage: hashrate FILE
 * Prints one line: bytes=N cpu_s=X wall_s=X sha256=HEX
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "digest.h"

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static double wall_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct mmt_hashes h;
	double cpu, wall;
	int fd, r;

	if (argc != 2) {
		fprintf(stderr, "usage: hashrate FILE\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	cpu = cpu_seconds();
	wall = wall_seconds();
	r = mmt_hash_fd(fd, MMT_HASH_NO_LIMIT, &h);
	cpu = cpu_seconds() - cpu;
	wall = wall_seconds() - wall;
	if (r < 0 || !h.have_hashes) {
		fprintf(stderr, "hashrate: %s: %s\n", argv[1], h.error[0] ? h.error : strerror(-r));
		return 1;
	}
	printf("bytes=%lld cpu_s=%.6f wall_s=%.6f sha256=%s\n", (long long)h.size, cpu, wall,
	       h.sha256);
	close(fd);
	return 0;
}
