// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The perf half of the bench's floor: the kernel's mapping records asked
 * for exactly as mmaptrace asks (the project's own mmt_perf_open(), so the
 * attributes cannot drift), for a workload that scripts/bench started
 * stopped, and nobody reading them while it runs. The ring is large enough
 * for a whole storm, so the kernel writes every record as it does for a
 * reader that keeps up; the rings are counted only once the workload is
 * gone, and "lost" says if one did fill.
 *
 * Usage: perf-floor [-d] [-k KB] PID
 *   -d     non-executable mappings too (mmap_data: what -e do_mmap asks for)
 *   -k KB  ring per CPU (default 32768)
 * Prints "ready" once the events are on, then, when PID has exited, one
 * line: records=N maps=N lost=N corrupt=N
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "evq.h"
#include "perf.h"

#define FLOOR_RING_KB	32768

/* Nothing is kept: the count is what mmt_perf_stats() says. */
static int drop(const struct mmt_event *ev, void *ctx)
{
	(void)ev;
	(void)ctx;
	return 0;
}

/* Return: 0 once @pid has exited, or -errno. */
static int wait_exit(pid_t pid)
{
	struct pollfd pfd = { .events = POLLIN };
	int r;

	pfd.fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd.fd < 0)
		return -errno;
	do
		r = poll(&pfd, 1, -1);
	while (r < 0 && errno == EINTR);
	r = r < 0 ? -errno : 0;
	close(pfd.fd);
	return r;
}

/* Every record the rings hold, read and dropped. Return: 0 or -errno. */
static int count(struct mmt_perf *p)
{
	struct mmt_ring_source src;
	uint64_t horizon;
	int r;

	mmt_perf_source(p, &src);
	r = src.read(src.ctx, &horizon);
	if (r < 0)
		return r;
	r = mmt_evq_merge(src.q, src.nq, UINT64_MAX, drop, NULL);
	return r < 0 ? r : 0;
}

int main(int argc, char **argv)
{
	struct mmt_perf_opts o = { .ring_kb = FLOOR_RING_KB };
	struct mmt_perf_stats st;
	struct mmt_perf *p;
	char *end;
	long v;
	int c, r;

	while ((c = getopt(argc, argv, "dk:")) != -1) {
		switch (c) {
		case 'd':
			o.data = true;
			break;
		case 'k':
			v = strtol(optarg, &end, 10);
			if (*end || v <= 0 || v > 1 << 20)
				goto usage;
			o.ring_kb = (unsigned int)v;
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 1)
		goto usage;
	v = strtol(argv[optind], &end, 10);
	if (*end || v <= 0)
		goto usage;
	o.pid = (pid_t)v;

	p = mmt_perf_open(&o);
	if (!p) {
		fprintf(stderr, "perf-floor: perf_event_open: %s\n", strerror(errno));
		return 1;
	}
	r = mmt_perf_enable(p);
	if (r < 0)
		goto fail;
	printf("ready\n");
	if (fflush(stdout)) {
		r = -errno;
		goto fail;
	}
	r = wait_exit(o.pid);
	if (r < 0)
		goto fail;
	r = mmt_perf_disable(p);
	if (r < 0)
		goto fail;
	r = count(p);
	if (r < 0)
		goto fail;
	mmt_perf_update_lost(p, NULL);
	mmt_perf_stats(p, &st);
	printf("records=%llu maps=%llu lost=%llu corrupt=%llu\n", (unsigned long long)st.records,
	       (unsigned long long)st.maps, (unsigned long long)st.lost,
	       (unsigned long long)st.corrupt);
	mmt_perf_close(p);
	return 0;
fail:
	fprintf(stderr, "perf-floor: %s\n", strerror(-r));
	mmt_perf_close(p);
	return 1;
usage:
	fprintf(stderr, "usage: perf-floor [-d] [-k KB] PID\n");
	return 2;
}
