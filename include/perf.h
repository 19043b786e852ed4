/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The perf source: one software dummy event per CPU with mmap records on
 * (perf_event_open(2), no BPF), so the kernel writes a PERF_RECORD_MMAP2 for
 * every new mapping from inside the call: the file's path by d_path, its
 * device, inode and generation, the protection and flags. The records are
 * decoded into struct mmt_event (MMT_ROLE_KMAP) in one queue per CPU, for
 * the ring's merge by timestamp: the same CLOCK_MONOTONIC as the tracefs
 * instance's "mono" trace clock.
 */
#ifndef MMT_PERF_H
#define MMT_PERF_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ring.h"

struct mmt_perf;

struct mmt_perf_opts {
	pid_t pid;		/* > 0: this process and the children it makes later
				   (inherit); 0: every process of the host, or with
				   @tid, that thread (see mmt_perf_follow()) */
	pid_t tid;		/* > 0 (and @pid 0): that thread and what it makes later */
	bool data;		/* non-executable mappings too (mmap_data) */
	unsigned int ring_kb;	/* per CPU, rounded up to a power of two pages; 0: default */
};

struct mmt_perf_stats {
	uint64_t records;	/* records read */
	uint64_t maps;		/* of them, MMAP2 records */
	uint64_t comms;		/* and COMM records of an exec */
	uint64_t lost;		/* records the kernel dropped (PERF_RECORD_LOST) */
	uint64_t corrupt;	/* records cut short or of an impossible size: the rest
				   of that CPU's data was skipped */
};

/**
 * mmt_perf_open() - an event per CPU, disabled, its ring mapped
 * Return: freed by mmt_perf_close(); NULL + errno (EACCES, EPERM: refused by
 *	perf_event_paranoid or lockdown; ENOENT, ENOSYS: no perf events).
 */
struct mmt_perf *mmt_perf_open(const struct mmt_perf_opts *o);

/**
 * mmt_perf_follow() - also record thread @tid and the tasks it makes later
 * @p: rings opened for a thread (opts.tid)
 * @tid: another thread, of a -p process: its records go to the same rings
 *	(PERF_EVENT_IOC_SET_OUTPUT), so a -p run reads its processes' records, not
 *	the host's. A thread already followed is not opened twice.
 * Return: 1 if followed now, 0 if it was already; -ESRCH if it is gone; -E2BIG
 *	past %MMT_PERF_MAX_FOLLOWED threads; another -errno.
 */
int mmt_perf_follow(struct mmt_perf *p, pid_t tid);

/* Most threads mmt_perf_follow() takes: each costs an event per CPU. */
#define MMT_PERF_MAX_FOLLOWED	1024

/** mmt_perf_close() - close the events and unmap the rings; NULL is fine. */
void mmt_perf_close(struct mmt_perf *p);

/** mmt_perf_enable() - start (or mmt_perf_disable(): stop) recording. Return: 0 or -errno. */
int mmt_perf_enable(struct mmt_perf *p);
int mmt_perf_disable(struct mmt_perf *p);

/**
 * mmt_perf_source() - the rings as a source for mmt_ring_attach()
 * @src: filled; its queues belong to @p
 */
void mmt_perf_source(struct mmt_perf *p, struct mmt_ring_source *src);

/**
 * mmt_perf_pollfds() - one POLLIN entry per CPU into @fds
 *
 * A ring wakes its poller only when half full: the poll's timeout is what
 * bounds the latency (a wakeup per record costs the traced workload ten
 * times its run).
 * Return: the number of entries filled (mmt_perf_ncpus()).
 */
int mmt_perf_pollfds(const struct mmt_perf *p, struct pollfd *fds);
int mmt_perf_ncpus(const struct mmt_perf *p);

/**
 * mmt_perf_update_lost() - records lost since the last call
 * @cpu_lost: per CPU (mmt_perf_ncpus() entries), or NULL
 * Return: the total since the last call.
 */
uint64_t mmt_perf_update_lost(struct mmt_perf *p, uint64_t *cpu_lost);

/** mmt_perf_stats() - counters so far. */
void mmt_perf_stats(const struct mmt_perf *p, struct mmt_perf_stats *st);

#endif /* MMT_PERF_H */
