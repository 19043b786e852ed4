// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Per process, a sorted array of disjoint ranges. A process that loads code
 * maps and protects a few hundred ranges at most, so a linear insert is
 * cheaper than a tree; the processes themselves are a small LRU set, as
 * proc.c's maps snapshots are.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protmap.h"

struct range {
	uint64_t start, end;
	unsigned int prot;
};

struct proc_ranges {
	pid_t tgid;		/* 0: free slot */
	unsigned long last_use;
	struct range *r;
	size_t n, cap;
};

struct mmt_protmap {
	struct proc_ranges p[MMT_PROTMAP_PROCS];
	unsigned long clock;
	uint64_t page;
};

struct mmt_protmap *mmt_protmap_new(void)
{
	struct mmt_protmap *pm = calloc(1, sizeof(*pm));

	if (pm)
		pm->page = (uint64_t)sysconf(_SC_PAGESIZE);
	return pm;
}

void mmt_protmap_free(struct mmt_protmap *pm)
{
	size_t i;

	if (!pm)
		return;
	for (i = 0; i < MMT_PROTMAP_PROCS; i++)
		free(pm->p[i].r);
	free(pm);
}

static struct proc_ranges *find(struct mmt_protmap *pm, pid_t tgid)
{
	size_t i;

	/* 0 marks a free slot; a record whose process is unknown has no place here. */
	if (tgid <= 0)
		return NULL;
	for (i = 0; i < MMT_PROTMAP_PROCS; i++)
		if (pm->p[i].tgid == tgid) {
			pm->p[i].last_use = ++pm->clock;
			return &pm->p[i];
		}
	return NULL;
}

/* The process's slot, taking the least recently used one for a new process. */
static struct proc_ranges *slot(struct mmt_protmap *pm, pid_t tgid)
{
	struct proc_ranges *p = find(pm, tgid), *lru = &pm->p[0];
	size_t i;

	if (p)
		return p;
	for (i = 0; i < MMT_PROTMAP_PROCS; i++)
		if (pm->p[i].last_use < lru->last_use)
			lru = &pm->p[i];
	lru->tgid = tgid;
	lru->n = 0;
	lru->last_use = ++pm->clock;
	return lru;
}

/* Makes room for one range at @at (shifting the rest up). */
static int insert_at(struct proc_ranges *p, size_t at)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 32;
		struct range *r = realloc(p->r, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		p->r = r;
		p->cap = cap;
	}
	memmove(p->r + at + 1, p->r + at, (p->n - at) * sizeof(*p->r));
	p->n++;
	return 0;
}

int mmt_protmap_set(struct mmt_protmap *pm, pid_t tgid, uint64_t start, uint64_t len,
		    unsigned int prot)
{
	struct proc_ranges *p;
	uint64_t end = start + ((len + pm->page - 1) & ~(pm->page - 1));
	size_t i = 0, j;
	int r;

	if (end <= start || tgid <= 0)
		return 0;
	p = slot(pm, tgid);
	/* Ranges wholly before @start stay; the first that reaches past it is cut or split. */
	while (i < p->n && p->r[i].end <= start)
		i++;
	if (i < p->n && p->r[i].start < start) {
		if (p->r[i].end > end) {
			/* @start..@end inside one range: it splits in two around the new one. */
			r = insert_at(p, i + 1);
			if (r < 0)
				return r;
			p->r[i + 1] = p->r[i];
			p->r[i + 1].start = end;
		}
		p->r[i].end = start;
		i++;
	}
	/* Those wholly inside go; one that reaches past @end keeps its tail. */
	for (j = i; j < p->n && p->r[j].end <= end; j++)
		;
	if (j < p->n && p->r[j].start < end)
		p->r[j].start = end;
	/* Not with nothing to move: p->r is still NULL for a new process. */
	if (j > i) {
		memmove(p->r + i, p->r + j, (p->n - j) * sizeof(*p->r));
		p->n -= j - i;
	}
	if (p->n == MMT_PROTMAP_RANGES) {
		/* Full: forget the lowest range rather than refuse the newest. */
		memmove(p->r, p->r + 1, (p->n - 1) * sizeof(*p->r));
		p->n--;
		i = i ? i - 1 : 0;
	}
	r = insert_at(p, i);
	if (r < 0)
		return r;
	p->r[i] = (struct range){ start, end, prot };
	return 0;
}

int mmt_protmap_get(struct mmt_protmap *pm, pid_t tgid, uint64_t addr, unsigned int *prot)
{
	struct proc_ranges *p = find(pm, tgid);
	size_t lo = 0, hi = p ? p->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < p->r[mid].start) {
			hi = mid;
		} else if (addr >= p->r[mid].end) {
			lo = mid + 1;
		} else {
			*prot = p->r[mid].prot;
			return 0;
		}
	}
	return -ENOENT;
}

void mmt_protmap_forget(struct mmt_protmap *pm, pid_t tgid)
{
	struct proc_ranges *p = find(pm, tgid);

	if (p) {
		p->tgid = 0;
		p->n = 0;
		p->last_use = 0;
	}
}
