// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Workload 3, threads mapping at once: T threads wait on a barrier, then each
 * does N rounds of the mmap storm's pair (a page of FILE PROT_READ|PROT_EXEC,
 * 64 KiB anonymous, both unmapped). The time runs from the barrier to the
 * last join.
 *
 * Usage: thread-storm [-t TIMEFILE] T N FILE
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"

static pthread_barrier_t start;
static unsigned long rounds;
static int fd;

static void *storm(void *arg)
{
	unsigned long i;

	(void)arg;
	pthread_barrier_wait(&start);
	for (i = 0; i < rounds; i++) {
		void *f = mmap(NULL, MMT_BENCH_FILE_LEN, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
		void *a = mmap(NULL, MMT_BENCH_ANON_LEN, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (f == MAP_FAILED || a == MAP_FAILED)
			return (void *)1;
		munmap(f, MMT_BENCH_FILE_LEN);
		munmap(a, MMT_BENCH_ANON_LEN);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const char *timefile;
	unsigned long nthreads, i;
	pthread_t *tids;
	uint64_t t0;
	int bad = 0;

	int arg = mmt_bench_args(argc, argv, 3, "thread-storm [-t TIMEFILE] T N FILE", &timefile);
	nthreads = mmt_bench_count(argv[arg], "T");
	rounds = mmt_bench_count(argv[arg + 1], "N");
	fd = open(argv[arg + 2], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		perror(argv[arg + 2]);
		return 1;
	}
	tids = calloc(nthreads, sizeof(*tids));
	/* The main thread is the last to arrive, so the clock starts with the storm. */
	if (!tids || pthread_barrier_init(&start, NULL, (unsigned int)nthreads + 1)) {
		perror("setup");
		return 1;
	}
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&tids[i], NULL, storm, NULL)) {
			fprintf(stderr, "pthread_create failed\n");
			return 1;
		}
	}
	t0 = mmt_mono_ns();
	pthread_barrier_wait(&start);
	for (i = 0; i < nthreads; i++) {
		void *ret;

		pthread_join(tids[i], &ret);
		bad |= ret != NULL;
	}
	if (mmt_bench_report(timefile, mmt_mono_ns() - t0) < 0) {
		perror(timefile);
		return 1;
	}
	if (bad) {
		fprintf(stderr, "thread-storm: a thread's mmap failed\n");
		return 1;
	}
	free(tids);
	close(fd);
	return 0;
}
