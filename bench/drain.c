// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The reader's drain rate on a prefilled buffer: open an instance that
 * scripts/bench filled with mmap events (and then switched off), and time
 * the project's own mmt_ring_drain() over it, on one CPU, until it is empty.
 * The callback is mmaptrace's own pairing (mmt_pair_feed), or nothing (-n):
 * what the reader does per event before /proc and output.
 *
 * Usage: drain [-n] [-c CPU] INSTANCE
 * Prints one line: events=N paired=N cpu_s=X wall_s=X subbufs=N lost=N
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tracefs.h>

#include "pair.h"
#include "ring.h"

/* The tracepoint backend's events, as probe.c enables them. */
static const struct mmt_probe_event events[] = {
	{ "syscalls", "sys_enter_mmap", MMT_ROLE_MMAP_ENTER },
	{ "syscalls", "sys_exit_mmap", MMT_ROLE_MMAP_EXIT },
	{ "sched", "sched_process_exit", MMT_ROLE_TASK_EXIT },
	{ "sched", "sched_process_exec", MMT_ROLE_TASK_EXEC },
	{ "task", "task_newtask", MMT_ROLE_TASK_NEW },
	{ "task", "task_rename", MMT_ROLE_TASK_RENAME },
};

static uint64_t paired;

static int feed(const struct mmt_event *ev, void *ctx)
{
	struct mmt_mapping m;
	int r;

	if (ev->role != MMT_ROLE_MMAP_ENTER && ev->role != MMT_ROLE_MMAP_EXIT &&
	    ev->role != MMT_ROLE_TASK_EXIT)
		return 0;
	r = mmt_pair_feed(ctx, ev, &m);
	if (r > 0)
		paired++;
	return r < 0 ? r : 0;
}

static int nothing(const struct mmt_event *ev, void *ctx)
{
	(void)ev;
	(void)ctx;
	return 0;
}

static double seconds(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	mmt_ring_deliver_fn fn = feed;
	struct tracefs_instance *inst;
	struct mmt_ring_stats st;
	struct mmt_pair *pair;
	struct mmt_ring *ring;
	double cpu0, wall0;
	int64_t lost;
	cpu_set_t set;
	int c, cpu = 0, r;

	while ((c = getopt(argc, argv, "nc:")) != -1) {
		switch (c) {
		case 'n':
			fn = nothing;
			break;
		case 'c':
			cpu = atoi(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 1)
		goto usage;
	/* One core: the target is a rate per core, not what both CPUs can do. */
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0) {
		perror("sched_setaffinity");
		return 1;
	}
	inst = tracefs_instance_alloc(NULL, argv[optind]);
	pair = mmt_pair_new();
	if (!inst || !pair) {
		perror("setup");
		return 1;
	}
	ring = mmt_ring_open(inst, events, sizeof(events) / sizeof(events[0]));
	if (!ring) {
		fprintf(stderr, "drain: cannot open the buffers of %s: %s\n", argv[optind],
			strerror(errno));
		return 1;
	}
	cpu0 = seconds(CLOCK_PROCESS_CPUTIME_ID);
	wall0 = seconds(CLOCK_MONOTONIC);
	do
		r = mmt_ring_drain(ring, true, fn, pair);
	while (r > 0);
	cpu0 = seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
	wall0 = seconds(CLOCK_MONOTONIC) - wall0;
	if (r < 0) {
		fprintf(stderr, "drain: %s\n", strerror(-r));
		return 1;
	}
	/* Losses while draining; scripts/bench reads the prefill's own from the stats. */
	lost = mmt_ring_update_lost(ring, NULL);
	mmt_ring_stats(ring, &st);
	printf("events=%llu paired=%llu cpu_s=%.6f wall_s=%.6f subbufs=%llu lost=%lld\n",
	       (unsigned long long)st.events, (unsigned long long)paired, cpu0, wall0,
	       (unsigned long long)st.subbufs, (long long)lost);
	mmt_ring_close(ring);
	mmt_pair_free(pair);
	tracefs_instance_free(inst);
	return 0;
usage:
	fprintf(stderr, "usage: drain [-n] [-c CPU] INSTANCE\n");
	return 2;
}
