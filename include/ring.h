/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ring reader: per-CPU raw sub-buffers (trace_pipe_raw) decoded with
 * libtraceevent's kbuffer, merged across CPUs by timestamp.
 */
#ifndef MMT_RING_H
#define MMT_RING_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#include "event.h"
#include "evq.h"
#include "probe.h"

struct tracefs_instance;
struct mmt_ring;

struct mmt_ring_stats {
	uint64_t events;	/* events decoded */
	uint64_t subbufs;	/* sub-buffers read */
	uint64_t lost;		/* per-CPU stats: overrun + commit overrun + dropped */
	uint64_t markers;	/* sub-buffers that carried a missed-events marker */
	uint64_t unknown;	/* events of an id the reader did not ask for, or cut short */
	uint64_t corrupt;	/* sub-buffers skipped: commit size past the page */
	uint64_t unseen;	/* records the kernel handed over and the reader did not read
				   (counted in lost too) */
	uint64_t unread;	/* events in the buffers at the last stats read */
};

/*
 * Another source of events, merged with the tracefs buffers by timestamp
 * (the perf rings: the kernel's own record of a mapping comes from inside
 * the call, between its entry and its return).
 */
struct mmt_ring_source {
	/*
	 * Queue what the source has; *@horizon: every event older than it is
	 * queued now (events newer than the horizon are held for the next read).
	 * Return: 0 or -errno.
	 */
	int (*read)(void *ctx, uint64_t *horizon);
	struct mmt_evq *const *q;	/* its queues, each in timestamp order */
	int nq;
	void *ctx;
};

/**
 * mmt_ring_open() - open every CPU's raw buffer of @inst, non-blocking
 * @inst: the tool's instance
 * @events: the events to decode (only their formats are parsed)
 * @nevents: how many
 * Return: the reader, released with mmt_ring_close(); NULL + errno.
 */
struct mmt_ring *mmt_ring_open(struct tracefs_instance *inst,
			       const struct mmt_probe_event *events, size_t nevents);

/** mmt_ring_close() - close the buffers and free the reader; NULL is fine. */
void mmt_ring_close(struct mmt_ring *ring);

/**
 * mmt_ring_pollfds() - fill @fds with one POLLIN entry per CPU buffer
 * @ring: the reader
 * @fds: array of at least mmt_ring_ncpus() entries
 * Return: the number of entries filled.
 */
int mmt_ring_pollfds(const struct mmt_ring *ring, struct pollfd *fds);
int mmt_ring_ncpus(const struct mmt_ring *ring);

/**
 * mmt_ring_drain() - read all CPUs, deliver events in timestamp order
 * @ring: the reader
 * @final: deliver everything; otherwise events newer than the start of the
 *	call are held for the next one, because a CPU that has not been read
 *	yet may still commit an older one; and it returns after 100 ms even if
 *	there is more to read (the caller's poll says so at once)
 * @fn: receives the events
 * @ctx: passed to @fn
 * Return: events delivered, or -errno (a read error or @fn's error).
 */
int mmt_ring_drain(struct mmt_ring *ring, bool final, mmt_ring_deliver_fn fn, void *ctx);

/**
 * mmt_ring_attach() - merge @src's queues with the buffers' from the next drain on
 * @src: copied; its queues must outlive the ring
 * Return: 0 or -ENOMEM.
 */
int mmt_ring_attach(struct mmt_ring *ring, const struct mmt_ring_source *src);

/** mmt_ring_held() - true if events are held back for the next drain. */
bool mmt_ring_held(const struct mmt_ring *ring);

/**
 * mmt_ring_update_lost() - re-read per-CPU stats
 * @ring: the reader
 * @cpu_lost: per CPU, the events lost since the last call (ncpus entries), or NULL
 * Return: events lost since the last call on all CPUs, or -errno.
 */
int64_t mmt_ring_update_lost(struct mmt_ring *ring, uint64_t *cpu_lost);

/**
 * mmt_ring_settle() - wait until no writer is active on any CPU
 * @ring: the reader
 * @max_ms: how long at most
 *
 * After the events are disabled, a writer that passed the enable check
 * before may still commit, microseconds later: a last drain before that
 * would leave its event unread. Settled is two reads of the per-CPU counts,
 * 1 ms apart, that agree.
 * Return: 0, -ETIMEDOUT, or -errno from reading the stats.
 */
int mmt_ring_settle(struct mmt_ring *ring, int max_ms);

/** mmt_ring_stats() - counters so far. */
void mmt_ring_stats(const struct mmt_ring *ring, struct mmt_ring_stats *st);


#endif /* MMT_RING_H */
