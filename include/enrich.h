/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Enrichment: from the kernel's events to records. The ring's callback
 * pairs each call with its return, drops what the filters do not want
 * before anything is read about it, learns from /proc what the events do
 * not carry (the mapped file, the task), adds the alerts, asks for the
 * hashes and hands the record to the assembly. It owns every per-thread
 * store (pairing, threads, tasks, protections) and forgets a thread in
 * all of them at once.
 */
#ifndef MMT_ENRICH_H
#define MMT_ENRICH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "hashcache.h"
#include "pair.h"

struct mmt_assemble;
struct mmt_enrich;
struct mmt_filters;

/* Counters of the stage, for the stats record and the summary. */
struct mmt_enrich_stats {
	uint64_t filtered;		/* mappings dropped by --comm, --uid, --exclude-path */
	size_t threads;			/* threads state is kept for */
	struct mmt_pair_stats pair;
	bool hashing;			/* a hasher runs (mmap_exec, mprotect_exec) */
	struct mmt_hash_stats hash;	/* valid if hashing */
};

/**
 * mmt_enrich_new() - the stage, handing its records to @assemble
 * @filters: what is wanted; must outlive the stage
 * @mono_to_utc: add to a trace timestamp (CLOCK_MONOTONIC ns) for UTC ns
 *
 * Starts the hashing thread and loads libmagic's database when the records
 * wanted have hashes.
 * Return: the stage, freed by mmt_enrich_free(); NULL + errno.
 */
struct mmt_enrich *mmt_enrich_new(const struct mmt_filters *filters, struct mmt_assemble *assemble,
				  int64_t mono_to_utc);

/**
 * mmt_enrich_free() - free the stage; NULL is fine
 *
 * Call it after the assembly is closed: the assembly held the last hash jobs.
 */
void mmt_enrich_free(struct mmt_enrich *e);

/**
 * mmt_enrich_set_backend() - what the probes placed in the kernel give
 * @name: the backend's name for the records ("kprobe", "tracepoint"); kept
 * @kernel_prev_prot: the kernel gives an mprotect's previous protection, so
 *	the stage need not track the protections the calls set
 * @creds: the calls that change a task's real ids are traced
 *	(mmt_threads_track_creds())
 */
void mmt_enrich_set_backend(struct mmt_enrich *e, const char *name, bool kernel_prev_prot,
			    bool creds);

/**
 * mmt_enrich_deliver() - one event from the ring buffer (an mmt_ring_cb)
 * @ctx: the struct mmt_enrich
 * Return: 0, or -errno (out of memory, an output error).
 */
int mmt_enrich_deliver(const struct mmt_event *ev, void *ctx);

/**
 * mmt_enrich_set_scope() - whose mappings made by the kernel itself (the ELF
 *	loader's, known only from its own records) become records
 * @all: every process's (-a); else those mmt_enrich_watch() names
 * @follow: and the processes they create later (-f)
 */
void mmt_enrich_set_scope(struct mmt_enrich *e, bool all, bool follow);

/** mmt_enrich_watch() - a traced process (CMD, a -p PID). Return: 0 or -ENOMEM. */
int mmt_enrich_watch(struct mmt_enrich *e, pid_t tgid);

/** mmt_enrich_next_batch() - a new drain starts (Kunai's info.event.batch). */
void mmt_enrich_next_batch(struct mmt_enrich *e);

/** mmt_enrich_set_window() - calls paired: those that began in [@start, @end] (mmt_pair). */
void mmt_enrich_set_window(struct mmt_enrich *e, uint64_t start, uint64_t end);

/** mmt_enrich_sweep() - forget the threads that died without an exit event. */
void mmt_enrich_sweep(struct mmt_enrich *e);

/**
 * mmt_enrich_wake_fd() - readable when a hash job finished, so the records
 *	waiting for it can go out; -1 when nothing is hashed
 */
int mmt_enrich_wake_fd(const struct mmt_enrich *e);

/** mmt_enrich_wake_clear() - after the wake fd was readable. */
void mmt_enrich_wake_clear(struct mmt_enrich *e);

/** mmt_enrich_stats() - the counters so far. */
void mmt_enrich_stats(const struct mmt_enrich *e, struct mmt_enrich_stats *s);

#endif /* MMT_ENRICH_H */
