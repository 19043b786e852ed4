// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pending entry of each thread, in a tid map. It holds at most one entry
 * per live traced thread, so it stays small.
 */
#include <errno.h>
#include <stdlib.h>

#include "pair.h"
#include "tidmap.h"

struct mmt_pair {
	struct mmt_tidmap *pending;
	struct mmt_pair_stats st;
	uint64_t start, end;	/* when the entries were recorded */
};

void mmt_pair_set_window(struct mmt_pair *p, uint64_t start, uint64_t end)
{
	p->start = start;
	p->end = end;
}

struct mmt_pair *mmt_pair_new(void)
{
	struct mmt_pair *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->end = UINT64_MAX;
	p->pending = mmt_tidmap_new(sizeof(struct mmt_event));
	if (!p->pending) {
		free(p);
		return NULL;
	}
	return p;
}

void mmt_pair_free(struct mmt_pair *p)
{
	if (!p)
		return;
	mmt_tidmap_free(p->pending);
	free(p);
}

int mmt_pair_feed(struct mmt_pair *p, const struct mmt_event *ev, struct mmt_mapping *out)
{
	struct mmt_event *pending = mmt_tidmap_get(p->pending, ev->tid);
	int created;

	switch (ev->role) {
	case MMT_ROLE_MPROT_ENTER:
	case MMT_ROLE_MMAP_ENTER:
		/* A pending entry here lost its return: keep the newest. */
		if (pending)
			p->st.orphan_entries++;
		pending = mmt_tidmap_put(p->pending, ev->tid, &created);
		if (!pending)
			return -ENOMEM;
		*pending = *ev;
		return 0;
	case MMT_ROLE_MPROT_EXIT:
		/*
		 * The mprotect entries are filtered in the kernel (those that add
		 * no PROT_EXEC are not recorded) and their returns are not: a
		 * return without its entry is the rule, not a loss.
		 */
		if (!pending || pending->role != MMT_ROLE_MPROT_ENTER)
			return 0;
		goto paired;
	case MMT_ROLE_MMAP_EXIT:
		if (!pending || pending->role != MMT_ROLE_MMAP_ENTER) {
			/* A call that began while entries were off lost nothing. */
			if (ev->ts >= p->start && ev->ts < p->end)
				p->st.orphan_exits++;
			return 0;
		}
paired:
		out->enter = *pending;
		out->tid = ev->tid;
		out->ts_exit = ev->ts;
		out->ret = ev->ret;
		mmt_tidmap_del(p->pending, ev->tid);
		p->st.paired++;
		return 1;
	case MMT_ROLE_TASK_EXIT:
		if (pending) {
			p->st.orphan_entries++;
			mmt_tidmap_del(p->pending, ev->tid);
		}
		return 0;
	default:
		return 0;
	}
}

void mmt_pair_sweep(struct mmt_pair *p)
{
	p->st.orphan_entries += mmt_tidmap_sweep(p->pending, mmt_tid_gone);
}

void mmt_pair_stats(const struct mmt_pair *p, struct mmt_pair_stats *st)
{
	*st = p->st;
	st->pending = mmt_tidmap_count(p->pending);
}
