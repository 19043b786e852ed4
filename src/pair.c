// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Open-addressing table tid -> pending entry, with backward-shift deletion
 * so lookups never walk tombstones. It holds at most one entry per live
 * traced thread, so it stays small; it grows by doubling at 50% load.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pair.h"

struct slot {
	pid_t tid;		/* 0: empty (tid 0 is the idle task, never traced) */
	struct mmt_event ev;
};

struct mmt_pair {
	struct slot *slots;
	size_t mask;
	size_t used;
	struct mmt_pair_stats st;
};

static size_t hash_tid(pid_t tid)
{
	return (size_t)((uint32_t)tid * 2654435761u);
}

struct mmt_pair *mmt_pair_new(void)
{
	struct mmt_pair *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->mask = 255;
	p->slots = calloc(p->mask + 1, sizeof(*p->slots));
	if (!p->slots) {
		free(p);
		return NULL;
	}
	return p;
}

void mmt_pair_free(struct mmt_pair *p)
{
	if (!p)
		return;
	free(p->slots);
	free(p);
}

static struct slot *lookup(struct mmt_pair *p, pid_t tid)
{
	size_t i;

	for (i = hash_tid(tid) & p->mask; p->slots[i].tid; i = (i + 1) & p->mask)
		if (p->slots[i].tid == tid)
			return &p->slots[i];
	return NULL;
}

static int grow(struct mmt_pair *p)
{
	size_t old_n = p->mask + 1, i, j;
	struct slot *old = p->slots;

	p->slots = calloc(old_n * 2, sizeof(*p->slots));
	if (!p->slots) {
		p->slots = old;
		return -ENOMEM;
	}
	p->mask = old_n * 2 - 1;
	for (i = 0; i < old_n; i++) {
		if (!old[i].tid)
			continue;
		for (j = hash_tid(old[i].tid) & p->mask; p->slots[j].tid; j = (j + 1) & p->mask)
			;
		p->slots[j] = old[i];
	}
	free(old);
	return 0;
}

static int insert(struct mmt_pair *p, const struct mmt_event *ev)
{
	size_t i;
	int r;

	if ((p->used + 1) * 2 > p->mask + 1) {
		r = grow(p);
		if (r < 0)
			return r;
	}
	for (i = hash_tid(ev->tid) & p->mask; p->slots[i].tid; i = (i + 1) & p->mask)
		;
	p->slots[i].tid = ev->tid;
	p->slots[i].ev = *ev;
	p->used++;
	return 0;
}

/* Backward-shift delete keeps every remaining key reachable from its home. */
static void erase(struct mmt_pair *p, struct slot *s)
{
	size_t i = (size_t)(s - p->slots), j = i, home;

	for (;;) {
		j = (j + 1) & p->mask;
		if (!p->slots[j].tid)
			break;
		home = hash_tid(p->slots[j].tid) & p->mask;
		/* Move j back to i unless its home lies cyclically in (i, j]. */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			p->slots[i] = p->slots[j];
			i = j;
		}
	}
	p->slots[i].tid = 0;
	p->used--;
}

int mmt_pair_feed(struct mmt_pair *p, const struct mmt_event *ev, struct mmt_mapping *out)
{
	struct slot *s = lookup(p, ev->tid);

	switch (ev->role) {
	case MMT_ROLE_MMAP_ENTER:
		if (s) {
			/* The previous entry's return was lost: keep the newest. */
			p->st.orphan_entries++;
			s->ev = *ev;
			return 0;
		}
		return insert(p, ev);
	case MMT_ROLE_MMAP_EXIT:
		if (!s) {
			p->st.orphan_exits++;
			return 0;
		}
		out->enter = s->ev;
		out->tid = ev->tid;
		out->ts_exit = ev->ts;
		out->ret = ev->ret;
		erase(p, s);
		p->st.paired++;
		return 1;
	case MMT_ROLE_TASK_EXIT:
		if (s) {
			p->st.orphan_entries++;
			erase(p, s);
		}
		return 0;
	default:
		return 0;
	}
}

void mmt_pair_stats(const struct mmt_pair *p, struct mmt_pair_stats *st)
{
	*st = p->st;
	st->pending = p->used;
}
