// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Event queues and their merge by timestamp. A thread that migrates between
 * its mmap entry and return puts the two halves on different CPUs, and the
 * kernel's record of the mapping sits in a third (perf) ring: only a merge
 * of every queue by timestamp gives the order the calls happened in.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "evq.h"

int mmt_evq_push(struct mmt_evq *q, struct mmt_event **slot)
{
	if (q->head && q->head == q->len) {
		q->head = q->len = 0;
	} else if (q->len == q->cap && q->head > q->cap / 2) {
		/* Reclaim the consumed front before growing. */
		memmove(q->ev, q->ev + q->head, (q->len - q->head) * sizeof(*q->ev));
		q->len -= q->head;
		q->head = 0;
	}
	if (q->len == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 1024;
		struct mmt_event *n = realloc(q->ev, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		q->ev = n;
		q->cap = cap;
	}
	*slot = &q->ev[q->len++];
	return 0;
}

int mmt_evq_merge(struct mmt_evq *const *qs, int n, uint64_t limit, mmt_ring_deliver_fn fn,
		  void *ctx)
{
	int delivered = 0, i, r;

	for (;;) {
		struct mmt_evq *best = NULL;
		struct mmt_event *ev;

		/* Linear: a handful of CPUs; a heap pays off only well past 64. */
		for (i = 0; i < n; i++) {
			struct mmt_evq *q = qs[i];

			if (mmt_evq_pending(q) && (!best || q->ev[q->head].ts < best->ev[best->head].ts))
				best = q;
		}
		if (!best || best->ev[best->head].ts > limit)
			return delivered;
		ev = &best->ev[best->head++];
		r = fn(ev, ctx);
		if (best->release)
			best->release(ev);
		if (r < 0)
			return r;
		delivered++;
	}
}

void mmt_evq_free(struct mmt_evq *q)
{
	if (q->release)
		while (mmt_evq_pending(q))
			q->release(&q->ev[q->head++]);
	free(q->ev);
	q->ev = NULL;
	q->head = q->len = q->cap = 0;
}
