/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A queue of decoded events in timestamp order, and the merge of several
 * such queues by timestamp: each source (a tracefs CPU buffer, a perf CPU
 * ring) fills one queue per CPU, and the merge hands the events on, oldest
 * first, up to a limit that every source has read past.
 */
#ifndef MMT_EVQ_H
#define MMT_EVQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

struct mmt_evq {
	struct mmt_event *ev;
	size_t head, len, cap;	/* ev[head..len) wait to be delivered */
	uint64_t last_ts;	/* of the newest event pushed */
	/* Called for each event after its delivery (it may own a path), or NULL. */
	void (*release)(struct mmt_event *ev);
};

/**
 * mmt_ring_deliver_fn - called for each event in timestamp order
 * Return: 0 to go on, -errno to stop the drain with that error.
 */
typedef int (*mmt_ring_deliver_fn)(const struct mmt_event *ev, void *ctx);

/**
 * mmt_evq_push() - a new slot at the tail of @q, not zeroed
 * Return: 0 and *@slot, or -ENOMEM.
 */
int mmt_evq_push(struct mmt_evq *q, struct mmt_event **slot);

/** mmt_evq_pending() - events waiting in @q. */
static inline bool mmt_evq_pending(const struct mmt_evq *q)
{
	return q->head < q->len;
}

/**
 * mmt_evq_merge() - deliver the events of @qs not newer than @limit, oldest first
 * @qs: @n queues, each in timestamp order
 * Return: events delivered, or the -errno of @fn.
 */
int mmt_evq_merge(struct mmt_evq *const *qs, int n, uint64_t limit, mmt_ring_deliver_fn fn,
		  void *ctx);

/** mmt_evq_free() - release what waits and free the storage; @q itself is the caller's. */
void mmt_evq_free(struct mmt_evq *q);

#endif /* MMT_EVQ_H */
