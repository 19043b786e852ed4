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
	uint64_t joined;	/* calls that got the kernel's record of their mapping */
	uint64_t kernel_made;	/* kernel's records of mappings no traced call made */
};

/** mmt_pair_new() - empty table. Return: NULL + errno on failure. */
struct mmt_pair *mmt_pair_new(void);

/** mmt_pair_free() - free the table; NULL is fine. */
void mmt_pair_free(struct mmt_pair *pair);

/**
 * mmt_pair_feed() - hand one event to the pairing
 * @pair: the table
 * @ev: an event of role MMAP_ENTER, MMAP_EXIT, MPROT_ENTER, MPROT_EXIT, KMAP or TASK_EXIT
 * @out: filled when a return completes a pair (out->enter.role says of which call),
 *	with the kernel's record of the mapping (out->have_kmap) when one came
 *	between the entry and the return. Release it with mmt_mapping_release().
 *	A KMAP while the thread has no call under way is held for
 *	mmt_pair_take_exec(), or dropped at its next call.
 * Return: 1 if @out holds a mapping, 0 if not, -ENOMEM.
 */
int mmt_pair_feed(struct mmt_pair *pair, const struct mmt_event *ev, struct mmt_mapping *out);

/**
 * mmt_pair_take_exec() - at @tid's exec: one of the file mappings the kernel
 *	made for it outside any call (the ELF loader's: the executable and its
 *	interpreter), oldest first, as a mapping with out->kernel_made set
 * Return: 1 if @out holds one (release it with mmt_mapping_release()), 0 when
 *	there are no more.
 */
int mmt_pair_take_exec(struct mmt_pair *pair, pid_t tid, struct mmt_mapping *out);

/**
 * mmt_pair_exec_image() - at @tid's exec, before mmt_pair_take_exec(): the
 *	path of the first file the kernel mapped for it, which the ELF loader
 *	maps before the interpreter (the process's /proc/PID/exe)
 * Return: the path, owned by the table and valid until the next call on it;
 *	NULL if the kernel's records named no file (or were not read).
 */
const char *mmt_pair_exec_image(const struct mmt_pair *pair, pid_t tid);

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
