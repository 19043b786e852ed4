// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The mprotect storm, a JIT's W^X flipping: N times, map an anonymous page
 * PROT_READ|PROT_WRITE (a do_mmap record), write code into it, mprotect it
 * PROT_READ|PROT_EXEC (an mprotect_exec record with the anon_exec alert),
 * back to PROT_READ|PROT_WRITE (no record), and unmap it. One traced mmap
 * and two traced mprotect calls per round.
 *
 * Usage: mprotect-storm [-t TIMEFILE] N
 * TIMEFILE receives the storm's wall time in ns.
 */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"

int main(int argc, char **argv)
{
	const char *timefile;
	unsigned long n, i;
	long page = sysconf(_SC_PAGESIZE);
	uint64_t t0;

	int arg = mmt_bench_args(argc, argv, 1, "mprotect-storm [-t TIMEFILE] N", &timefile);
	n = mmt_bench_count(argv[arg], "N");
	t0 = mmt_mono_ns();
	for (i = 0; i < n; i++) {
		unsigned char *p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		p[0] = 0xc3;	/* "ret": the code a JIT would write */
		if (mprotect(p, (size_t)page, PROT_READ | PROT_EXEC) ||
		    mprotect(p, (size_t)page, PROT_READ | PROT_WRITE)) {
			perror("mprotect");
			return 1;
		}
		munmap(p, (size_t)page);
	}
	if (mmt_bench_report(timefile, mmt_mono_ns() - t0) < 0) {
		perror(timefile);
		return 1;
	}
	return 0;
}
