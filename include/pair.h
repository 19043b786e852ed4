/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Entry/return pairing per thread. A thread is in at most one mmap at a time,
 * so the pending entry of a thread is matched by the next return of that
 * thread, whatever CPU either ran on.
 */
#ifndef MMT_PAIR_H
#define MMT_PAIR_H

#include <stdbool.h>
#include <stdint.h>

#include "event.h"

struct mmt_pair;

struct mmt_pair_stats {
	uint64_t paired;
	uint64_t orphan_exits;	/* a return with no entry (the entry was lost) */
	uint64_t orphan_entries; /* an entry whose return never came (lost, or thread died) */
	uint64_t pending;	/* entries waiting now */
};

/** mmt_pair_new() - empty table. Return: NULL + errno on failure. */
struct mmt_pair *mmt_pair_new(void);

/** mmt_pair_free() - free the table; NULL is fine. */
void mmt_pair_free(struct mmt_pair *pair);

/**
 * mmt_pair_feed() - hand one event to the pairing
 * @pair: the table
 * @ev: an event of role MMAP_ENTER, MMAP_EXIT, MPROT_ENTER, MPROT_EXIT or TASK_EXIT
 * @out: filled when a return completes a pair (out->enter.role says of which call)
 * Return: 1 if @out holds a completed mapping, 0 if not, -ENOMEM.
 */
int mmt_pair_feed(struct mmt_pair *pair, const struct mmt_event *ev, struct mmt_mapping *out);

/**
 * mmt_pair_set_window() - when (trace clock) the entry events were on: a
 * return outside [@start, @end) whose entry is missing is of a call that
 * began while they were off, and is not counted as an orphan
 */
void mmt_pair_set_window(struct mmt_pair *p, uint64_t start, uint64_t end);

/**
 * mmt_pair_sweep() - drop the pending entries of threads long gone (their
 * exit events were lost); they count as orphan entries.
 */
void mmt_pair_sweep(struct mmt_pair *pair);

/** mmt_pair_stats() - counters so far. */
void mmt_pair_stats(const struct mmt_pair *pair, struct mmt_pair_stats *st);

#endif /* MMT_PAIR_H */
