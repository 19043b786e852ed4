// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Workload 1, the mmap storm: N times, map a page of FILE PROT_READ|PROT_EXEC
 * (an mmap_exec record each) and 64 KiB of anonymous memory (a do_mmap record
 * only), and unmap both. Two traced mmap calls per round.
 *
 * Usage: mmap-storm [-t TIMEFILE] N FILE
 * TIMEFILE receives the storm's wall time in ns.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"

int main(int argc, char **argv)
{
	const char *timefile;
	unsigned long n, i;
	uint64_t t0;
	int fd;

	int arg = mmt_bench_args(argc, argv, 2, "mmap-storm [-t TIMEFILE] N FILE", &timefile);
	n = mmt_bench_count(argv[arg], "N");
	fd = open(argv[arg + 1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		perror(argv[arg + 1]);
		return 1;
	}
	t0 = mmt_mono_ns();
	for (i = 0; i < n; i++) {
		void *f = mmap(NULL, MMT_BENCH_FILE_LEN, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
		void *a = mmap(NULL, MMT_BENCH_ANON_LEN, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (f == MAP_FAILED || a == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		munmap(f, MMT_BENCH_FILE_LEN);
		munmap(a, MMT_BENCH_ANON_LEN);
	}
	if (mmt_bench_report(timefile, mmt_mono_ns() - t0) < 0) {
		perror(timefile);
		return 1;
	}
	close(fd);
	return 0;
}
